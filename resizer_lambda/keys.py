"""The variant key grammar, shared by the Lambda and Django (its one owner).

    <head>/<original key>
    head  = preset ["." token] ["@2x"] ["." fmt]
    token = 8 lowercase hex digits: presets.output_token(preset), the version of its output
    fmt   = webp | avif | jpeg | png | auto

Without fmt the output format is the preset's own ("original" keeps the source's); an explicit
fmt lets a <picture> list AVIF and WebP sources without `Vary: Accept`; `auto` is the plain URL of
a preset with format negotiation, which a CloudFront Function rewrites by the Accept header.
The Lambda renders only keys at the preset's current token; an unversioned key (`small/...`,
`small.webp/...`) or a stale token is redirected to the current one (docs/resizer.md, URL scheme).
A token (8 hex digits) can never be mistaken for a format word, nor the reverse.

Keys arrive already decoded (API Gateway decodes the query string once); nothing here decodes
again: `+` stays `+`, `%` is an ordinary character and Unicode is not normalised. A key that is
not valid UTF-8 once decoded (`%ED%A0%80` gives an unpaired surrogate) names no S3 object: refused.

An original's extension is read before any trailing spaces: `photo.jpg ` (legal in S3) is a JPEG
key like any other, stored, redirected and routed with the space percent-encoded (`%20`). `.mpo`
(multi-picture JPEG, what many cameras write) is allowed: its first picture is a JPEG.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from resizer_lambda.errors import BadKey, UnknownPreset

KeyFormat = Literal["jpeg", "png", "webp", "avif"]
KEY_FORMATS: tuple[KeyFormat, ...] = ("webp", "avif", "jpeg", "png")
HeadFormat = Literal["jpeg", "png", "webp", "avif", "auto"]
AUTO: HeadFormat = "auto"
HEAD_FORMATS: tuple[HeadFormat, ...] = (*KEY_FORMATS, AUTO)
DENSITIES = (1, 2)
TOKEN_LENGTH = 8
TOKEN_RE = re.compile(r"^[0-9a-f]{8}$")
_TOKEN_ANY_CASE = re.compile(r"^[0-9a-fA-F]{8}$")
ORIGINAL_EXTENSIONS = frozenset({"jpg", "jpeg", "jpe", "mpo", "png", "webp", "gif", "avif"})
MAX_KEY_BYTES = 1024


@dataclass(frozen=True)
class Head:
    """A variant key's head: preset, output token (None: unversioned), density, format."""

    preset: str
    token: str | None = None
    density: int = 1
    fmt: HeadFormat | None = None

    def __str__(self) -> str:
        head = self.preset
        if self.token is not None:
            head += f".{self.token}"
        if self.density != 1:
            head += f"@{self.density}x"
        if self.fmt is not None:
            head += f".{self.fmt}"
        return head


@dataclass(frozen=True)
class VariantRequest:
    """A parsed variant key: its head (preset, token, density, format) and its original."""

    key: str
    head: Head
    original_key: str

    @property
    def preset(self) -> str:
        return self.head.preset

    @property
    def token(self) -> str | None:
        return self.head.token

    @property
    def density(self) -> int:
        return self.head.density

    @property
    def fmt(self) -> HeadFormat | None:
        return self.head.fmt


def _check_length(key: str) -> None:
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError as err:
        code = ord(key[err.start])
        raise BadKey(
            f"key is not valid UTF-8: it contains an unpaired surrogate (U+{code:04X}, from "
            "an escape such as %ED%A0%80); percent-encode the key's UTF-8 bytes"
        ) from err
    if size > MAX_KEY_BYTES:
        raise BadKey(f"key is longer than {MAX_KEY_BYTES} bytes of UTF-8")


def _check_chars(key: str) -> None:
    for ch in key:
        code = ord(ch)
        if code < 0x20 or 0x7F <= code <= 0x9F:
            raise BadKey(f"key contains a control character (U+{code:04X})")
        if ch == "\\":
            raise BadKey("key contains a backslash")


def _check_format(fmt: str) -> HeadFormat:
    if fmt not in HEAD_FORMATS:
        raise BadKey(f"format {fmt!r} is not one of {', '.join(HEAD_FORMATS)}")
    return fmt


def check_token(token: str) -> str:
    """Return `token` if it is 8 lowercase hex digits, or raise BadKey saying why."""
    if TOKEN_RE.match(token):
        return token
    if _TOKEN_ANY_CASE.match(token):
        raise BadKey(f"version token {token!r} must be lowercase hex")
    raise BadKey(f"version token {token!r} is not {TOKEN_LENGTH} lowercase hex digits")


def parse_head(head: str) -> Head:
    """Return the Head of `preset[.token][@2x][.fmt]`, or raise BadKey saying why."""
    if head in (".", ".."):
        raise BadKey("key must not contain '.' or '..' segments")
    base, at, after = head.partition("@")
    fmt: HeadFormat | None = None
    density = 1
    if at:
        word, dot, fmt_text = after.partition(".")
        if word != "2x":
            raise BadKey(f"density '@{word}' is not supported: only '@2x' (after the token)")
        density = 2
        if dot:
            fmt = _check_format(fmt_text)
    preset, _, rest = base.partition(".")
    if not preset:
        raise BadKey("key must name a preset before the first '/'")
    token: str | None = None
    if "." in base:
        parts = rest.split(".")
        if len(parts) > 2 or (at and len(parts) > 1):
            raise BadKey(
                f"head {head!r} is not <preset>[.<token>][@2x][.<format>]: "
                f"format {rest!r} is not one of {', '.join(HEAD_FORMATS)}"
            )
        first = parts[0]
        if len(parts) == 2 and not _TOKEN_ANY_CASE.match(first):
            raise BadKey(f"format {rest!r} is not one of {', '.join(HEAD_FORMATS)}")
        if len(parts) == 2 or at or _TOKEN_ANY_CASE.match(first):
            token = check_token(first)
            if len(parts) == 2:
                fmt = _check_format(parts[1])
        else:
            fmt = _check_format(first)
    return Head(preset, token, density, fmt)


def split_head(key: str) -> tuple[Head, str]:
    """Return (Head, rest) of `<head>/<rest>`, or raise BadKey saying why.

    The one reader of a variant key's head, so the handler, Django's purges and listings, and the
    checks agree on which keys are variants. Only the head is checked (not the preset's name).
    """
    head, sep, rest = key.partition("/")
    if not sep:
        raise BadKey("key must be <preset>/<original key>")
    return parse_head(head), rest


def check_original_key(original_key: str, preset_names: Collection[str] = ()) -> None:
    """Raise BadKey unless `original_key` is a safe key for an original image."""
    if not original_key:
        raise BadKey("original key is empty")
    _check_length(original_key)
    _check_chars(original_key)
    if original_key.startswith("/"):
        raise BadKey("key must not start with '/'")
    segments = original_key.split("/")
    for segment in segments:
        if segment == "":
            raise BadKey("key must not contain empty segments ('//' or a trailing '/')")
        if segment in (".", ".."):
            raise BadKey("key must not contain '.' or '..' segments")
    try:
        variant_like = split_head(original_key)[0].preset in preset_names
    except BadKey:
        variant_like = False
    if variant_like:
        raise BadKey(f"{original_key!r} is itself a variant key: no variants of variants")
    name = segments[-1].rstrip(" ")
    ext = name.rsplit(".", 1)[1].lower() if "." in name else ""
    if ext not in ORIGINAL_EXTENSIONS:
        allowed = ", ".join(sorted(ORIGINAL_EXTENSIONS))
        raise BadKey(f"extension {ext or '(none)'!r} is not allowed; use one of {allowed}")


def parse_variant_key(key: str, preset_names: Collection[str]) -> VariantRequest:
    """Return the VariantRequest for `key`, or raise BadKey / UnknownPreset saying why."""
    if not key:
        raise BadKey("key is empty")
    _check_length(key)
    _check_chars(key)
    if key.startswith("/"):
        raise BadKey("key must not start with '/'")
    head, original_key = split_head(key)
    if head.preset not in preset_names:
        raise UnknownPreset(f"unknown preset {head.preset!r}")
    if original_key.startswith("/"):
        raise BadKey("key must not contain '//'")
    check_original_key(original_key, preset_names)
    return VariantRequest(key=key, head=head, original_key=original_key)


def build_variant_key(
    preset: str,
    original_key: str,
    fmt: HeadFormat | None = None,
    *,
    token: str | None,
    density: int = 1,
) -> str:
    """Return the variant key for `original_key` under `preset` at `token` (None: unversioned).

    `token` is keyword-only and required, so no caller builds an unversioned key by accident.
    """
    if fmt is not None:
        _check_format(fmt)
    if token is not None:
        check_token(token)
    if density not in DENSITIES:
        raise BadKey(f"density {density!r} is not one of {', '.join(map(str, DENSITIES))}")
    return f"{Head(preset, token, density, fmt)}/{original_key}"


def url_for_key(base_url: str, key: str) -> str:
    """Return `base_url/key` with the key percent-encoded once (for Location and links).

    `@` stays as it is (RFC 3986 allows it in a path), so a `@2x` head reads as written.
    """
    return f"{base_url.rstrip('/')}/{quote(key, safe='/@')}"
