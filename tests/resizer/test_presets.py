"""The presets contract: parser and JSON Schema agree; every refusal names its field."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from resizer_lambda import presets as presets_module
from resizer_lambda.errors import ConfigError
from resizer_lambda.presets import (
    DEFAULT_CONFIG,
    MAX_SOURCE_BYTES,
    MAX_SOURCE_PIXELS,
    RENDER_VERSION,
    SCHEMA_PATH,
    Config,
    Limits,
    Preset,
    RefreshingConfig,
    at_density,
    load_file,
    loads,
    output_token,
    parse,
    parse_limits,
)

SCHEMA = json.loads(SCHEMA_PATH.read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

MINIMAL: dict[str, Any] = {"schema_version": 2, "presets": [{"name": "small", "width": 150}]}


def _with(path: str, value: Any) -> dict[str, Any]:
    """Return MINIMAL with the dotted/indexed `path` set to `value` (or deleted for ...)."""
    doc = copy.deepcopy(MINIMAL)
    *parents, last = path.split(".")
    target: Any = doc
    for part in parents:
        target = target[int(part)] if part.isdigit() else target.setdefault(part, {})
    key: Any = int(last) if last.isdigit() else last
    if value is ...:
        del target[key]
    else:
        target[key] = value
    return doc


def test_defaults_are_the_four_of_the_source_design() -> None:
    widths = {p.name: (p.width, p.height, p.fit, p.upscale) for p in DEFAULT_CONFIG.presets}
    assert widths == {
        "small": (150, None, "inside", False),
        "medium": (300, None, "inside", False),
        "large": (600, None, "inside", False),
        "xlarge": (1200, None, "inside", False),
    }


def test_exported_defaults_round_trip_and_satisfy_the_schema() -> None:
    doc = json.loads(DEFAULT_CONFIG.to_json())
    VALIDATOR.validate(doc)
    assert parse(doc) == DEFAULT_CONFIG
    # Defaults are written out, so the Lambda never needs to know them.
    assert doc["presets"][0] == {
        "name": "small",
        "width": 150,
        "height": None,
        "fit": "inside",
        "format": "original",
        "quality": 82,
        "upscale": False,
        "background": "#ffffff",
        "negotiate": False,
    }
    assert doc["limits"] == {
        "max_source_pixels": 75_000_000,
        "max_source_bytes": 52_428_800,
        "max_decode_seconds": 10.0,
    }


VALID = [
    MINIMAL,
    _with("presets.0.height", 100),
    _with("presets.0.height", None),
    _with("presets.0.fit", "cover")
    | {"presets": [{"name": "sq", "width": 64, "height": 64, "fit": "cover"}]},
    {
        "schema_version": 1,
        "presets": [
            {"name": "box", "width": 64, "height": 32, "fit": "contain", "background": "#00000000"}
        ],
    },
    _with("presets.0.format", "avif"),
    _with("presets.0.quality", 1),
    _with("presets.0.quality", 100),
    _with("presets.0.upscale", True),
    _with("presets.0.name", "a"),
    _with("presets.0.name", "hero_2x-wide"),
    _with("limits", {"max_source_pixels": 10, "max_source_bytes": 10}),
    _with("limits", {"max_decode_seconds": 2.5}),
    _with("limits", {"max_decode_seconds": 20}),
    _with("limits", {"max_decode_seconds": 0.001}),
    _with("cache_control", "public, max-age=60"),
    _with("presets.0.negotiate", True),
    _with("presets.0.negotiate", False),
    # Version 1 documents (no negotiate) are still read: a new Lambda, an old admin.
    _with("schema_version", 1),
]

# (document, the field the error must name)
INVALID = [
    ([], "document"),
    ({"presets": MINIMAL["presets"]}, "schema_version"),
    (_with("schema_version", 3), "schema_version"),
    (_with("schema_version", 0), "schema_version"),
    (_with("schema_version", "1"), "schema_version"),
    (_with("schema_version", True), "schema_version"),
    (_with("presets", []), "presets"),
    (_with("presets", {}), "presets"),
    (_with("extra", 1), "document"),
    (_with("presets.0.name", ...), "presets[0].name"),
    (_with("presets.0.name", "Small"), "presets[0].name"),
    (_with("presets.0.name", "small.webp"), "presets[0].name"),
    (_with("presets.0.name", "-x"), "presets[0].name"),
    (_with("presets.0.name", "a" * 64), "presets[0].name"),
    (_with("presets.0.name", "a/b"), "presets[0].name"),
    (_with("presets.0.width", ...), "presets[0].width"),
    (_with("presets.0.width", 0), "presets[0].width"),
    (_with("presets.0.width", 8193), "presets[0].width"),
    (_with("presets.0.width", "150"), "presets[0].width"),
    (_with("presets.0.width", 150.5), "presets[0].width"),
    (_with("presets.0.width", True), "presets[0].width"),
    (_with("presets.0.height", 0), "presets[0].height"),
    (_with("presets.0.fit", "fill"), "presets[0].fit"),
    (_with("presets.0.fit", "cover"), "presets[0].height"),
    (_with("presets.0.fit", "contain"), "presets[0].height"),
    (_with("presets.0.format", "gif"), "presets[0].format"),
    (_with("presets.0.quality", 0), "presets[0].quality"),
    (_with("presets.0.quality", 101), "presets[0].quality"),
    (_with("presets.0.upscale", "yes"), "presets[0].upscale"),
    (_with("presets.0.background", "white"), "presets[0].background"),
    (_with("presets.0.colour", "red"), "presets[0]"),
    (_with("presets.0.negotiate", "yes"), "presets[0].negotiate"),
    (_with("presets.0.negotiate", 1), "presets[0].negotiate"),
    # negotiate came with version 2: a version 1 document cannot carry it.
    (_with("presets.0.negotiate", True) | {"schema_version": 1}, "presets[0]"),
    (_with("limits", {"max_source_pixels": 0}), "limits.max_source_pixels"),
    (_with("limits", {"max_source_pixels": 178_956_971}), "limits.max_source_pixels"),
    (_with("limits", {"max_source_bytes": -1}), "limits.max_source_bytes"),
    (_with("limits", {"max_pixels": 5}), "limits"),
    (_with("limits", {"max_decode_seconds": 0}), "limits.max_decode_seconds"),
    (_with("limits", {"max_decode_seconds": -1}), "limits.max_decode_seconds"),
    # At or past the Lambda's 25 s timeout a decode limit could never answer in time.
    (_with("limits", {"max_decode_seconds": 20.5}), "limits.max_decode_seconds"),
    (_with("limits", {"max_decode_seconds": float("inf")}), "limits.max_decode_seconds"),
    (_with("limits", {"max_decode_seconds": "10"}), "limits.max_decode_seconds"),
    (_with("limits", {"max_decode_seconds": True}), "limits.max_decode_seconds"),
    (_with("limits", {"max_decode_seconds": None}), "limits.max_decode_seconds"),
    (_with("cache_control", ""), "cache_control"),
    (_with("cache_control", "public\r\nX-Evil: 1"), "cache_control"),
]


@pytest.mark.parametrize("doc", VALID)
def test_valid_documents_pass_parser_and_schema(doc: dict[str, Any]) -> None:
    VALIDATOR.validate(doc)
    config = parse(doc)
    assert isinstance(config, Config)
    assert [p.name for p in config.presets] == [p["name"] for p in doc["presets"]]


@pytest.mark.parametrize(("doc", "field"), INVALID)
def test_invalid_documents_are_refused_naming_the_field(doc: Any, field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(doc)
    assert caught.value.message.startswith(f"{field}:"), caught.value.message
    assert caught.value.status == 500


@pytest.mark.parametrize(("doc", "field"), INVALID)
def test_schema_refuses_what_the_parser_refuses(doc: Any, field: str) -> None:
    assert not VALIDATOR.is_valid(doc)


def test_duplicate_names_are_refused() -> None:
    doc = {"schema_version": 2, "presets": [{"name": "a", "width": 1}, {"name": "a", "width": 2}]}
    with pytest.raises(ConfigError, match=r"presets\[1\]\.name: duplicate preset name 'a'"):
        parse(doc)


def test_a_bad_preset_anywhere_refuses_the_whole_file(tmp_path: Path) -> None:
    doc = {
        "schema_version": 1,
        "presets": [{"name": "ok", "width": 10}, {"name": "bad", "width": -1}],
    }
    path = tmp_path / "presets.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ConfigError) as caught:
        load_file(path)
    assert caught.value.message == (
        f"{path}: presets[1].width: must be an integer from 1 to 8192, got -1"
    )


def test_unreadable_and_non_json_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read presets file"):
        load_file(tmp_path / "missing.json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        loads("{", "x.json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        loads(b"\xff\xfe", "x.json")


def test_direct_construction_is_validated_too() -> None:
    with pytest.raises(ConfigError, match="height: is required when fit is 'cover'"):
        Preset("sq", 100, fit="cover")
    with pytest.raises(ConfigError, match="width"):
        Preset("x", 0)


def test_limits_default() -> None:
    assert parse(MINIMAL).limits == Limits()


def test_decode_seconds_are_read_as_a_float() -> None:
    limits = parse(_with("limits", {"max_decode_seconds": 3})).limits
    assert limits == Limits(max_decode_seconds=3.0)
    assert isinstance(limits.max_decode_seconds, float)
    with pytest.raises(ConfigError) as caught:
        parse(_with("limits", {"max_decode_seconds": 0}))
    assert caught.value.message == (
        "limits.max_decode_seconds: must be a number of seconds above 0 and at most 20, got 0"
    )
    # NaN is not JSON (nor can a JSON Schema refuse it), but Python's json module reads it.
    with pytest.raises(ConfigError, match=r"limits\.max_decode_seconds"):
        loads(
            '{"schema_version": 1, "limits": {"max_decode_seconds": NaN}, "presets": '
            '[{"name": "small", "width": 150}]}'
        )


@pytest.mark.parametrize(
    ("raw", "limits"),
    [
        ({}, Limits()),
        ({"max_source_bytes": 10}, Limits(max_bytes=10)),
        ({"max_source_pixels": MAX_SOURCE_PIXELS}, Limits(max_pixels=MAX_SOURCE_PIXELS)),
        ({"max_source_pixels": 100.0, "max_source_bytes": 1}, Limits(100, 1)),  # JSON's 100.0
    ],
)
def test_parse_limits_accepts(raw: dict[str, Any], limits: Limits) -> None:
    assert parse_limits(raw) == limits


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "limits: must be an object"),
        ({"max_source_pixels": MAX_SOURCE_PIXELS + 1}, "limits.max_source_pixels: must be an"),
        ({"max_source_bytes": MAX_SOURCE_BYTES + 1}, "limits.max_source_bytes: must be an"),
        ({"max_source_bytes": True}, "got True"),
        ({"max_bytes": 1}, "unknown field(s) 'max_bytes'"),
    ],
)
def test_parse_limits_refuses_naming_the_field(raw: object, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_limits(raw)
    assert message in caught.value.message


class FakeSource:
    """A presets object in a store: fetch returns None (304) while the ETag matches."""

    def __init__(self, body: str) -> None:
        self.body, self.etag, self.calls = body, "v1", 0

    def publish(self, body: str, etag: str) -> None:
        self.body, self.etag = body, etag

    def fetch(self, etag: str | None) -> tuple[bytes, str] | None:
        self.calls += 1
        return None if etag == self.etag else (self.body.encode(), self.etag)


def _doc(width: int) -> str:
    return json.dumps({"schema_version": 1, "presets": [{"name": "small", "width": width}]})


def test_refreshing_config_rereads_after_ttl_and_keeps_last_good() -> None:
    now = [0.0]
    errors: list[Exception] = []
    source = FakeSource(_doc(150))
    config = RefreshingConfig(
        source.fetch, "s3://b/presets.json", ttl=60, on_error=errors.append, clock=lambda: now[0]
    )
    assert config.get().presets[0].width == 150
    source.publish(_doc(200), "v2")
    now[0] = 59.0
    assert config.get().presets[0].width == 150  # within the TTL: not re-read
    assert source.calls == 1
    now[0] = 60.0
    assert config.get().presets[0].width == 200  # a published change applies
    now[0] = 120.0
    assert config.get().presets[0].width == 200  # unchanged: a 304, nothing parsed
    assert source.calls == 3
    source.publish('{"schema_version": 1, "presets": [{"name": "small", "width": 0}]}', "v3")
    now[0] = 180.0
    assert config.get().presets[0].width == 200  # invalid copy refused, last good kept
    assert len(errors) == 1
    assert "s3://b/presets.json: presets[0].width" in str(errors[0])


def test_refreshing_config_first_read_must_succeed() -> None:
    source = FakeSource('{"schema_version": 1}')
    config = RefreshingConfig(source.fetch, "s3://b/p.json")
    with pytest.raises(ConfigError, match=r"s3://b/p.json: presets: is required"):
        config.get()


def test_version_1_documents_read_without_negotiate_and_write_back_as_version_1() -> None:
    config = parse({"schema_version": 1, "presets": [{"name": "small", "width": 150}]})
    assert config.schema_version == 1
    assert config.presets[0].negotiate is False
    doc = config.to_dict()
    assert "negotiate" not in doc["presets"][0]
    VALIDATOR.validate(doc)
    assert parse(doc) == config


SQUARE = Preset("sq", 100, 100, fit="cover")


@pytest.mark.parametrize(
    ("changed", "same_token"),
    [
        (SQUARE, True),
        (Preset("other-name", 100, 100, fit="cover"), True),  # the name is in the key already
        (Preset("sq", 100, 100, fit="cover", negotiate=True), True),  # which URL, not pixels
        (Preset("sq", 101, 100, fit="cover"), False),
        (Preset("sq", 100, 99, fit="cover"), False),
        (Preset("sq", 100, 100, fit="contain"), False),
        (Preset("sq", 100, 100, fit="cover", format="webp"), False),
        (Preset("sq", 100, 100, fit="cover", quality=81), False),
        (Preset("sq", 100, 100, fit="cover", upscale=True), False),
        (Preset("sq", 100, 100, fit="cover", background="#000000"), False),
    ],
)
def test_output_token_follows_what_shapes_the_pixels(changed: Preset, same_token: bool) -> None:
    token = output_token(SQUARE)
    assert re.fullmatch(r"[0-9a-f]{8}", token)
    assert (output_token(changed) == token) is same_token


def test_output_token_is_sha256_of_canonical_json_and_follows_the_render_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An independent oracle: the documented recipe, spelled out.
    text = json.dumps([RENDER_VERSION, 100, 100, "cover", "original", 82, False, "#ffffff"])
    expected = hashlib.sha256(text.replace(", ", ",").encode()).hexdigest()[:8]
    assert output_token(SQUARE) == expected
    monkeypatch.setattr(presets_module, "RENDER_VERSION", RENDER_VERSION + 1)
    assert output_token(SQUARE) != expected


@pytest.mark.parametrize(
    ("preset", "size"),
    [
        (Preset("sq", 100, 100, fit="cover"), (200, 200)),
        (Preset("box", 320, 180, fit="contain"), (640, 360)),
        # Within MAX_DIMENSION, shrunk together so the aspect ratio stays.
        (Preset("wide", 8000, 2000, fit="cover"), (8192, 2048)),
    ],
)
def test_at_density_doubles_fixed_size_presets(preset: Preset, size: tuple[int, int]) -> None:
    dense = at_density(preset, 2)
    assert (dense.width, dense.height) == size
    assert (dense.name, dense.fit, dense.quality) == (preset.name, preset.fit, preset.quality)
    assert at_density(preset, 1) is preset


def test_at_density_refuses_inside_presets_and_other_densities() -> None:
    with pytest.raises(ValueError, match="only for cover and contain"):
        at_density(Preset("small", 150), 2)
    with pytest.raises(ValueError, match="only 2"):
        at_density(SQUARE, 3)
