"""The variant key grammar, shared by the Lambda and Django.

    <preset>/<original key>          output format from the preset ("original" keeps the source's)
    <preset>.<fmt>/<original key>    fmt in webp, avif, jpeg, png: explicit format, so a <picture>
                                     can list AVIF and WebP sources without `Vary: Accept`

Keys arrive already decoded (API Gateway decodes the query string once); nothing here decodes
again: `+` stays `+`, `%` is an ordinary character and Unicode is not normalised. A key that is
not valid UTF-8 once decoded (`%ED%A0%80` gives an unpaired surrogate) names no S3 object: refused.

An original's extension is read before any trailing spaces: `photo.jpg ` (legal in S3) is a JPEG
key like any other, stored, redirected and routed with the space percent-encoded (`%20`). `.mpo`
(multi-picture JPEG, what many cameras write) is allowed: its first picture is a JPEG.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal, cast
from urllib.parse import quote

from resizer_lambda.errors import BadKey, UnknownPreset

KeyFormat = Literal["jpeg", "png", "webp", "avif"]
KEY_FORMATS: tuple[KeyFormat, ...] = ("webp", "avif", "jpeg", "png")
ORIGINAL_EXTENSIONS = frozenset({"jpg", "jpeg", "jpe", "mpo", "png", "webp", "gif", "avif"})
MAX_KEY_BYTES = 1024


@dataclass(frozen=True)
class VariantRequest:
    """A parsed variant key: which preset, which explicit format (if any), which original."""

    key: str
    preset: str
    fmt: KeyFormat | None
    original_key: str


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


def split_head(key: str) -> tuple[str, KeyFormat | None, str]:
    """Return (preset, fmt, rest) of `<preset>[.<fmt>]/<rest>`, or raise BadKey saying why.

    The one reader of a variant key's head, so the handler, Django's purges and listings, and the
    checks agree on which keys are variants. Only the head is checked (not the preset's name).
    """
    head, sep, rest = key.partition("/")
    if not sep:
        raise BadKey("key must be <preset>/<original key>")
    if head in (".", ".."):
        raise BadKey("key must not contain '.' or '..' segments")
    preset, dot, fmt = head.partition(".")
    if dot and fmt not in KEY_FORMATS:
        raise BadKey(f"format {fmt!r} is not one of {', '.join(KEY_FORMATS)}")
    if not preset:
        raise BadKey("key must name a preset before the first '/'")
    return preset, cast(KeyFormat, fmt) if dot else None, rest


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
        variant_like = split_head(original_key)[0] in preset_names
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
    preset, fmt, original_key = split_head(key)
    if preset not in preset_names:
        raise UnknownPreset(f"unknown preset {preset!r}")
    if original_key.startswith("/"):
        raise BadKey("key must not contain '//'")
    check_original_key(original_key, preset_names)
    return VariantRequest(
        key=key,
        preset=preset,
        fmt=fmt,
        original_key=original_key,
    )


def build_variant_key(preset: str, original_key: str, fmt: KeyFormat | None = None) -> str:
    """Return the variant key for `original_key` under `preset` (and an explicit format)."""
    if fmt is not None and fmt not in KEY_FORMATS:
        raise BadKey(f"format {fmt!r} is not one of {', '.join(KEY_FORMATS)}")
    head = f"{preset}.{fmt}" if fmt else preset
    return f"{head}/{original_key}"


def url_for_key(base_url: str, key: str) -> str:
    """Return `base_url/key` with the key percent-encoded once (for Location and links)."""
    return f"{base_url.rstrip('/')}/{quote(key, safe='/')}"
