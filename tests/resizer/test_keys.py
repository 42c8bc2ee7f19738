"""The variant key grammar, as a table: what parses, what is refused and why."""

from __future__ import annotations

import pytest

from resizer_lambda.errors import BadKey, UnknownPreset
from resizer_lambda.keys import (
    MAX_KEY_BYTES,
    Head,
    VariantRequest,
    build_variant_key,
    check_original_key,
    parse_variant_key,
    split_head,
    url_for_key,
)

PRESETS = frozenset({"small", "medium", "large", "xlarge"})


@pytest.mark.parametrize(
    ("key", "preset", "fmt", "original"),
    [
        ("small/photo.jpg", "small", None, "photo.jpg"),
        ("medium/originals/2026/cat.PNG", "medium", None, "originals/2026/cat.PNG"),
        ("large.webp/originals/cat.jpg", "large", "webp", "originals/cat.jpg"),
        ("xlarge.avif/a.jpeg", "xlarge", "avif", "a.jpeg"),
        ("small.jpeg/a.png", "small", "jpeg", "a.png"),
        ("small.png/a.gif", "small", "png", "a.gif"),
        # Decoded exactly once: '+' stays '+', '%' is a plain character.
        ("small/a+b.jpg", "small", None, "a+b.jpg"),
        ("small/100%25.jpg", "small", None, "100%25.jpg"),
        ("small/with space.jpg", "small", None, "with space.jpg"),
        # Unicode is kept as sent: NFD and NFC spellings are different keys.
        ("small/cafe\u0301.jpg", "small", None, "cafe\u0301.jpg"),
        ("small/caf\u00e9.jpg", "small", None, "caf\u00e9.jpg"),
        ("small/\u65e5\u672c.webp", "small", None, "\u65e5\u672c.webp"),
        # Segments that merely contain dots are fine.
        ("small/a..b/c.jpg", "small", None, "a..b/c.jpg"),
        ("small/.hidden/c.jpg", "small", None, ".hidden/c.jpg"),
        # A folder named like a preset with an unknown suffix is not a variant.
        ("small/small.tmp/c.jpg", "small", None, "small.tmp/c.jpg"),
        # Multi-picture JPEG (cameras, phones): its first picture is a JPEG.
        ("small/DCIM/IMG_0001.MPO", "small", None, "DCIM/IMG_0001.MPO"),
        ("large.webp/stereo.mpo", "large", "webp", "stereo.mpo"),
        # Trailing spaces are part of the S3 key; the extension is read before them.
        ("small/photo.jpg ", "small", None, "photo.jpg "),
        ("small/photo.PNG   ", "small", None, "photo.PNG   "),
        ("small.avif/a b/photo.mpo ", "small", "avif", "a b/photo.mpo "),
        ("small.auto/a.jpg", "small", "auto", "a.jpg"),
    ],
)
def test_valid_unversioned_keys_parse(
    key: str, preset: str, fmt: str | None, original: str
) -> None:
    expected = VariantRequest(key, Head(preset, None, 1, fmt), original)  # type: ignore[arg-type]
    assert parse_variant_key(key, PRESETS) == expected


@pytest.mark.parametrize(
    ("key", "head", "original"),
    [
        ("small.0a1b2c3d/o/a.jpg", Head("small", "0a1b2c3d"), "o/a.jpg"),
        ("small.0a1b2c3d.webp/o/a.jpg", Head("small", "0a1b2c3d", 1, "webp"), "o/a.jpg"),
        ("small.0a1b2c3d.auto/o/a.jpg", Head("small", "0a1b2c3d", 1, "auto"), "o/a.jpg"),
        ("small.0a1b2c3d@2x/o/a.jpg", Head("small", "0a1b2c3d", 2), "o/a.jpg"),
        ("small.0a1b2c3d@2x.avif/o/a.jpg", Head("small", "0a1b2c3d", 2, "avif"), "o/a.jpg"),
        ("small@2x/o/a.jpg", Head("small", None, 2), "o/a.jpg"),
        ("small@2x.png/o/a.jpg", Head("small", None, 2, "png"), "o/a.jpg"),
        # All digits, all letters: still a token (8 hex), never a format.
        ("large.12345678/a.jpg", Head("large", "12345678"), "a.jpg"),
        ("large.deadbeef.jpeg/a.jpg", Head("large", "deadbeef", 1, "jpeg"), "a.jpg"),
        # A folder shaped like a versioned head is part of the original key.
        ("small.0a1b2c3d/x.0a1b2c3d/a.jpg", Head("small", "0a1b2c3d"), "x.0a1b2c3d/a.jpg"),
    ],
)
def test_valid_versioned_keys_parse(key: str, head: Head, original: str) -> None:
    parsed = parse_variant_key(key, PRESETS)
    assert parsed == VariantRequest(key, head, original)
    assert (parsed.preset, parsed.token, parsed.density, parsed.fmt) == (
        head.preset,
        head.token,
        head.density,
        head.fmt,
    )


@pytest.mark.parametrize(
    ("key", "error", "fragment"),
    [
        ("", BadKey, "empty"),
        ("small", BadKey, "<preset>/<original key>"),
        ("small/", BadKey, "original key is empty"),
        ("/small/a.jpg", BadKey, "start with '/'"),
        ("small//a.jpg", BadKey, "'//'"),
        ("small/a//b.jpg", BadKey, "empty segments"),
        ("small/a/", BadKey, "empty segments"),
        ("small/../a.jpg", BadKey, "'..'"),
        ("small/./a.jpg", BadKey, "'.'"),
        ("small/a/../../b.jpg", BadKey, "'..'"),
        ("../small/a.jpg", BadKey, "'..'"),
        ("small/a\\b.jpg", BadKey, "backslash"),
        ("small/a\x00.jpg", BadKey, "control character (U+0000)"),
        ("small/a\nb.jpg", BadKey, "control character (U+000A)"),
        ("small/a\x7f.jpg", BadKey, "control character (U+007F)"),
        ("small/a\u0085.jpg", BadKey, "control character (U+0085)"),
        ("small/" + "a" * 1020 + ".jpg", BadKey, "longer than 1024 bytes"),
        ("small/" + "\u00e9" * 510 + ".jpg", BadKey, "longer than 1024 bytes"),
        ("small/medium/a.jpg", BadKey, "itself a variant key"),
        ("small/small.webp/a.jpg", BadKey, "itself a variant key"),
        ("small/a.svg", BadKey, "extension 'svg' is not allowed"),
        ("small/a.svg ", BadKey, "extension 'svg' is not allowed"),
        ("small/photo. ", BadKey, "extension '(none)'"),
        ("small/photo.jpg\t", BadKey, "control character (U+0009)"),
        ("small/photo.jpg\u00a0", BadKey, "extension 'jpg\\xa0'"),  # only spaces are trimmed
        # Unpaired surrogates (%ED%A0%80 decoded as UTF-16 would be): no S3 key can hold one.
        ("small/\ud800.jpg", BadKey, "unpaired surrogate (U+D800"),
        ("small/a\udc80b.jpg", BadKey, "unpaired surrogate (U+DC80"),
        ("sm\udfffall/a.jpg", BadKey, "unpaired surrogate (U+DFFF"),
        ("small/a.php", BadKey, "extension 'php'"),
        ("small/README", BadKey, "extension '(none)'"),
        ("small.gif/a.jpg", BadKey, "format 'gif' is not one of"),
        ("small.0A1B2C3D/a.jpg", BadKey, "version token '0A1B2C3D' must be lowercase hex"),
        ("small.0a1b2c3/a.jpg", BadKey, "format '0a1b2c3' is not one of"),
        ("small.0a1b2c3d4/a.jpg", BadKey, "format '0a1b2c3d4' is not one of"),
        ("small.0a1b2c3d.gif/a.jpg", BadKey, "format 'gif' is not one of"),
        ("small.0a1b2c3d.webp.avif/a.jpg", BadKey, "is not <preset>[.<token>][@2x][.<format>]"),
        ("small.webp.0a1b2c3d/a.jpg", BadKey, "format 'webp.0a1b2c3d'"),
        ("small.0a1b2c3d@3x/a.jpg", BadKey, "density '@3x' is not supported"),
        ("small.0a1b2c3d@1x/a.jpg", BadKey, "density '@1x' is not supported"),
        ("small.0a1b2c3d@2X/a.jpg", BadKey, "density '@2X' is not supported"),
        ("small.0a1b2c3d@2x@2x/a.jpg", BadKey, "density '@2x@2x' is not supported"),
        ("small.webp@2x/a.jpg", BadKey, "version token 'webp' is not 8 lowercase hex"),
        ("small.0a1b2c3d@2x.gif/a.jpg", BadKey, "format 'gif' is not one of"),
        ("huge.0a1b2c3d/a.jpg", UnknownPreset, "unknown preset 'huge'"),
        ("small./a.jpg", BadKey, "format '' is not one of"),
        ("small.webp.avif/a.jpg", BadKey, "format 'webp.avif'"),
        ("huge/a.jpg", UnknownPreset, "unknown preset 'huge'"),
        ("Small/a.jpg", UnknownPreset, "unknown preset 'Small'"),
        ("huge.webp/a.jpg", UnknownPreset, "unknown preset 'huge'"),
    ],
)
def test_bad_keys_are_refused_with_a_reason(
    key: str, error: type[Exception], fragment: str
) -> None:
    with pytest.raises(error) as caught:
        parse_variant_key(key, PRESETS)
    assert fragment in str(caught.value)


def test_refusals_carry_their_http_status() -> None:
    with pytest.raises(BadKey) as bad:
        parse_variant_key("small/../a.jpg", PRESETS)
    with pytest.raises(UnknownPreset) as unknown:
        parse_variant_key("huge/a.jpg", PRESETS)
    assert (bad.value.status, bad.value.code) == (400, "bad_key")
    assert (unknown.value.status, unknown.value.code) == (404, "unknown_preset")


def test_longest_allowed_key_passes() -> None:
    key = "small/" + "a" * (MAX_KEY_BYTES - len("small/") - 4) + ".jpg"
    assert len(key.encode()) == MAX_KEY_BYTES
    assert parse_variant_key(key, PRESETS).preset == "small"


@pytest.mark.parametrize(
    ("preset", "original", "fmt", "token", "density", "key"),
    [
        ("small", "originals/a.jpg", None, None, 1, "small/originals/a.jpg"),
        ("large", "originals/a b+c%.jpg", "webp", None, 1, "large.webp/originals/a b+c%.jpg"),
        ("small", "o/a.jpg", None, "0a1b2c3d", 1, "small.0a1b2c3d/o/a.jpg"),
        ("small", "o/a.jpg", "avif", "0a1b2c3d", 1, "small.0a1b2c3d.avif/o/a.jpg"),
        ("small", "o/a.jpg", "auto", "0a1b2c3d", 1, "small.0a1b2c3d.auto/o/a.jpg"),
        ("small", "o/a.jpg", None, "0a1b2c3d", 2, "small.0a1b2c3d@2x/o/a.jpg"),
        ("small", "o/a.jpg", "webp", "0a1b2c3d", 2, "small.0a1b2c3d@2x.webp/o/a.jpg"),
    ],
)
def test_build_is_the_inverse_of_parse(
    preset: str, original: str, fmt: str | None, token: str | None, density: int, key: str
) -> None:
    built = build_variant_key(preset, original, fmt, token=token, density=density)  # type: ignore[arg-type]
    assert built == key
    parsed = parse_variant_key(built, PRESETS)
    assert parsed.head == Head(preset, token, density, fmt)  # type: ignore[arg-type]
    assert parsed.original_key == original


@pytest.mark.parametrize(
    ("fmt", "token", "density", "fragment"),
    [
        ("gif", None, 1, "format 'gif'"),
        (None, "0A1B2C3D", 1, "must be lowercase hex"),
        (None, "webp", 1, "is not 8 lowercase hex digits"),
        (None, "0a1b2c3d", 3, "density 3 is not one of 1, 2"),
    ],
)
def test_build_refuses_what_parse_would(
    fmt: str | None, token: str | None, density: int, fragment: str
) -> None:
    with pytest.raises(BadKey, match=fragment):
        build_variant_key("small", "a.jpg", fmt, token=token, density=density)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("key", "url"),
    [
        ("small/a.jpg", "https://cdn.example.com/small/a.jpg"),
        ("small/a b+c%.jpg", "https://cdn.example.com/small/a%20b%2Bc%25.jpg"),
        ("small/caf\u00e9.jpg", "https://cdn.example.com/small/caf%C3%A9.jpg"),
        ("small/cafe\u0301.jpg", "https://cdn.example.com/small/cafe%CC%81.jpg"),
        ("small/a?b#c.jpg", "https://cdn.example.com/small/a%3Fb%23c.jpg"),
        ("small/photo.jpg ", "https://cdn.example.com/small/photo.jpg%20"),
    ],
)
def test_url_is_percent_encoded_once(key: str, url: str) -> None:
    assert url_for_key("https://cdn.example.com/", key) == url


def test_original_key_check_stands_alone() -> None:
    check_original_key("originals/a.jpg", PRESETS)
    check_original_key("originals/a.mpo ", PRESETS)
    with pytest.raises(BadKey, match="itself a variant key"):
        check_original_key("xlarge/a.jpg", PRESETS)
    with pytest.raises(BadKey, match=r"unpaired surrogate \(U\+D800"):
        check_original_key("originals/\ud800.jpg", PRESETS)


@pytest.mark.parametrize(
    ("key", "head"),
    [
        ("small/a.jpg", (Head("small"), "a.jpg")),
        ("small.webp/originals/a.jpg", (Head("small", fmt="webp"), "originals/a.jpg")),
        ("x.avif/a/b/c.png", (Head("x", fmt="avif"), "a/b/c.png")),
        ("small.jpeg/", (Head("small", fmt="jpeg"), "")),  # the rest is the caller's to check
        ("huge.png/a.jpg", (Head("huge", fmt="png"), "a.jpg")),  # any name: presets unknown here
        ("originals/2026/a.jpg", (Head("originals"), "2026/a.jpg")),
        ("small/medium.webp/a.jpg", (Head("small"), "medium.webp/a.jpg")),  # first segment only
        ("s.0a1b2c3d@2x.auto/a.jpg", (Head("s", "0a1b2c3d", 2, "auto"), "a.jpg")),
    ],
)
def test_split_head_reads_preset_token_density_format_and_rest(
    key: str, head: tuple[Head, str]
) -> None:
    assert split_head(key) == head


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        ("", "<preset>/<original key>"),
        ("small", "<preset>/<original key>"),
        ("small.webp", "<preset>/<original key>"),
        ("/a.jpg", "must name a preset"),
        (".webp/a.jpg", "must name a preset"),
        ("./a.jpg", "'.' or '..'"),
        ("../a.jpg", "'.' or '..'"),
        ("small./a.jpg", "format '' is not one of"),
        ("small.gif/a.jpg", "format 'gif' is not one of"),
        ("small.webp.avif/a.jpg", "format 'webp.avif'"),
        ("small.WEBP/a.jpg", "format 'WEBP'"),
        ("small.ABCDEF01/a.jpg", "must be lowercase hex"),
        ("small@3x/a.jpg", "density '@3x'"),
        ("@2x/a.jpg", "must name a preset"),
    ],
)
def test_split_head_refuses_what_is_not_a_variant_head(key: str, fragment: str) -> None:
    with pytest.raises(BadKey) as caught:
        split_head(key)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    "head",
    [
        Head("small"),
        Head("small", "0a1b2c3d"),
        Head("s", "0a1b2c3d", 2, "webp"),
        Head("s", None, 2),
    ],
)
def test_head_prints_as_it_parses(head: Head) -> None:
    assert split_head(f"{head}/a.jpg") == (head, "a.jpg")
