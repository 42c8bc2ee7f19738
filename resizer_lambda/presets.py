"""The presets contract: the JSON that Django writes and the Lambda reads.

`presets.schema.json` beside this file documents the same contract as a JSON Schema; this module
parses it by hand (no jsonschema import, to keep the Lambda's cold start small) and the tests check
that both accept and refuse the same documents. Every refusal names the offending field.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, cast

from resizer_lambda.errors import ConfigError

SCHEMA_VERSION = 2
# Version 1 (no `negotiate`) is still read: a new Lambda serves a bucket published by an old admin.
SCHEMA_VERSIONS = (1, 2)
# Bump when the renderer's output for the same preset changes (a resampling or encoder change):
# every preset's output token changes with it, so every variant URL does.
RENDER_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("presets.schema.json")
BUNDLED_PATH = Path(__file__).with_name("presets.json")

Fit = Literal["inside", "cover", "contain"]
OutputFormat = Literal["original", "jpeg", "png", "webp", "avif"]
FITS: tuple[Fit, ...] = ("inside", "cover", "contain")
FORMATS: tuple[OutputFormat, ...] = ("original", "jpeg", "png", "webp", "avif")
NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,62})$")
HEX_RE = re.compile(r"^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$")
MAX_DIMENSION = 8192
MAX_PRESETS = 200
# Pillow refuses to open anything over 2 x Image.MAX_IMAGE_PIXELS whatever we allow.
MAX_SOURCE_PIXELS = 178_956_970
MAX_SOURCE_BYTES = 1024**3
# A decode limit must end before the Lambda's 25 s timeout, with time left to answer.
MAX_DECODE_SECONDS = 20.0
DEFAULT_CACHE_CONTROL = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Limits:
    """Bounds on what the resizer accepts as an original."""

    max_pixels: int = 75_000_000
    max_bytes: int = 50 * 1024 * 1024
    # Wall-clock seconds a decode may take (resizer_lambda.deadline). The slowest real photos of
    # bench/'s corpus decode in 0.16 s at full size (0.9 s scaled to 75 MP; bench/hostile.py):
    # 10 s leaves 11x for a slower or fractional vCPU, and 15 s of the Lambda's 25 s timeout to
    # fetch, resize and store.
    max_decode_seconds: float = 10.0


@dataclass(frozen=True)
class Preset:
    """One named output size; `height` is None for width-only presets that keep the aspect."""

    name: str
    width: int
    height: int | None = None
    fit: Fit = "inside"
    format: OutputFormat = "original"
    quality: int = 82
    upscale: bool = False
    background: str = "#ffffff"
    # Plain URLs are handed out as `.auto` URLs that a CloudFront Function rewrites to AVIF, WebP
    # or the preset's own format by the Accept header. Not part of the output token.
    negotiate: bool = False

    def __post_init__(self) -> None:
        # Direct construction is held to the same rules as parsed JSON.
        _check_preset(asdict(self), f"preset {self.name!r}")


def output_token(preset: Preset) -> str:
    """Return the preset's output token: 8 hex digits of what shapes its pixels.

    The first 8 hex digits of SHA-256 over canonical JSON of the render version and the fields
    that shape the output. Variant keys carry it (resizer_lambda.keys), so a changed preset has
    new URLs and the year-long `immutable` caching stays correct. `negotiate` is left out: it
    changes which URL is handed out, not any variant's pixels.
    """
    fields = [
        RENDER_VERSION,
        preset.width,
        preset.height,
        preset.fit,
        preset.format,
        preset.quality,
        preset.upscale,
        preset.background,
    ]
    text = json.dumps(fields, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:8]


DENSITY_FITS: tuple[Fit, ...] = ("cover", "contain")


def at_density(preset: Preset, density: int) -> Preset:
    """Return the preset a `@<density>x` key renders: width and height times `density`.

    Only fixed-size presets (cover, contain) have density renditions: an `inside` preset is
    already offered at several widths in a srcset. Sizes stay within MAX_DIMENSION, shrunk
    together so the aspect ratio is kept. Raises ValueError for another fit or density.
    """
    if density == 1:
        return preset
    if density != 2:
        raise ValueError(f"density {density} is not supported (only 2)")
    if preset.fit not in DENSITY_FITS or preset.height is None:
        raise ValueError("2x renditions exist only for cover and contain presets")
    width, height = preset.width * density, preset.height * density
    shrink = min(1.0, MAX_DIMENSION / max(width, height))
    width, height = max(1, round(width * shrink)), max(1, round(height * shrink))
    return replace(preset, width=width, height=height)


@dataclass(frozen=True)
class Config:
    """A whole, validated presets document."""

    presets: tuple[Preset, ...]
    limits: Limits = field(default_factory=Limits)
    cache_control: str = DEFAULT_CACHE_CONTROL
    schema_version: int = SCHEMA_VERSION

    def get(self, name: str) -> Preset | None:
        """Return the preset called `name`, or None."""
        for preset in self.presets:
            if preset.name == name:
                return preset
        return None

    @property
    def names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.presets)

    def to_dict(self) -> dict[str, Any]:
        """Return the document with every default written out (what export writes)."""
        presets = [asdict(p) for p in self.presets]
        if self.schema_version < 2:  # version 1 has no `negotiate`
            for preset in presets:
                del preset["negotiate"]
        return {
            "schema_version": self.schema_version,
            "cache_control": self.cache_control,
            "limits": {
                "max_source_pixels": self.limits.max_pixels,
                "max_source_bytes": self.limits.max_bytes,
                "max_decode_seconds": self.limits.max_decode_seconds,
            },
            "presets": presets,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n"


_PRESET_FIELDS = ("name", "width", "height", "fit", "format", "quality", "upscale", "background")
_PRESET_FIELDS_V2 = (*_PRESET_FIELDS, "negotiate")


def _fail(where: str, message: str) -> ConfigError:
    return ConfigError(f"{where}: {message}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_int(value: object, where: str, low: int, high: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON (and JSON Schema) do not tell 150 from 150.0
    if not _is_int(value) or not low <= cast(int, value) <= high:
        raise _fail(where, f"must be an integer from {low} to {high}, got {value!r}")
    return cast(int, value)


def _check_seconds(value: object, where: str, high: float) -> float:
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not 0 < value <= high  # also refuses NaN
    ):
        raise _fail(
            where, f"must be a number of seconds above 0 and at most {high:g}, got {value!r}"
        )
    return float(value)


def _check_unknown(obj: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    unknown = sorted(set(obj) - set(allowed))
    if unknown:
        raise _fail(where, f"unknown field(s) {', '.join(map(repr, unknown))}")


def _check_preset(
    raw: Mapping[str, Any], where: str, version: int = SCHEMA_VERSION
) -> dict[str, Any]:
    """Validate one preset mapping (of a `version` document) and return it with defaults."""
    _check_unknown(raw, _PRESET_FIELDS if version < 2 else _PRESET_FIELDS_V2, where)
    for required in ("name", "width"):
        if required not in raw:
            raise _fail(f"{where}.{required}", "is required")
    name = raw["name"]
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise _fail(
            f"{where}.name",
            f"must be a slug of lowercase letters, digits, '-' or '_' "
            f"(1-63 characters, starting with a letter or digit), got {name!r}",
        )
    out: dict[str, Any] = {"name": name}
    out["width"] = _check_int(raw["width"], f"{where}.width", 1, MAX_DIMENSION)
    height = raw.get("height")
    if height is not None:
        height = _check_int(height, f"{where}.height", 1, MAX_DIMENSION)
    out["height"] = height
    fit = raw.get("fit", "inside")
    if fit not in FITS:
        raise _fail(f"{where}.fit", f"must be one of {', '.join(FITS)}, got {fit!r}")
    if fit != "inside" and height is None:
        raise _fail(f"{where}.height", f"is required when fit is {fit!r}")
    out["fit"] = fit
    fmt = raw.get("format", "original")
    if fmt not in FORMATS:
        raise _fail(f"{where}.format", f"must be one of {', '.join(FORMATS)}, got {fmt!r}")
    out["format"] = fmt
    out["quality"] = _check_int(raw.get("quality", 82), f"{where}.quality", 1, 100)
    upscale = raw.get("upscale", False)
    if not isinstance(upscale, bool):
        raise _fail(f"{where}.upscale", f"must be true or false, got {upscale!r}")
    out["upscale"] = upscale
    background = raw.get("background", "#ffffff")
    if not isinstance(background, str) or not HEX_RE.match(background):
        raise _fail(f"{where}.background", f"must be #rrggbb or #rrggbbaa, got {background!r}")
    out["background"] = background
    negotiate = raw.get("negotiate", False)
    if not isinstance(negotiate, bool):
        raise _fail(f"{where}.negotiate", f"must be true or false, got {negotiate!r}")
    out["negotiate"] = negotiate
    return out


DEFAULT_PRESETS: tuple[Preset, ...] = (
    Preset("small", 150),
    Preset("medium", 300),
    Preset("large", 600),
    Preset("xlarge", 1200),
)
DEFAULT_CONFIG = Config(presets=DEFAULT_PRESETS)


def parse_limits(raw: object) -> Limits:
    """Return the Limits for a decoded `limits` object, or raise ConfigError naming the field.

    Django's system checks call this on the upload settings, so a limit the Lambda would refuse
    fails `manage.py check` with the contract's own bound and message.
    """
    if not isinstance(raw, dict):
        raise _fail("limits", "must be an object")
    _check_unknown(raw, ("max_source_pixels", "max_source_bytes", "max_decode_seconds"), "limits")
    defaults = Limits()
    return Limits(
        max_pixels=_check_int(
            raw.get("max_source_pixels", defaults.max_pixels),
            "limits.max_source_pixels",
            1,
            MAX_SOURCE_PIXELS,
        ),
        max_bytes=_check_int(
            raw.get("max_source_bytes", defaults.max_bytes),
            "limits.max_source_bytes",
            1,
            MAX_SOURCE_BYTES,
        ),
        max_decode_seconds=_check_seconds(
            raw.get("max_decode_seconds", defaults.max_decode_seconds),
            "limits.max_decode_seconds",
            MAX_DECODE_SECONDS,
        ),
    )


def parse(doc: object) -> Config:
    """Return the Config for a decoded presets document, or raise ConfigError naming the field."""
    if not isinstance(doc, dict):
        raise _fail("document", f"must be a JSON object, got {type(doc).__name__}")
    _check_unknown(doc, ("schema_version", "cache_control", "limits", "presets"), "document")
    if "schema_version" not in doc:
        raise _fail("schema_version", "is required")
    version = doc["schema_version"]
    if not _is_int(version) or version not in SCHEMA_VERSIONS:
        known = " or ".join(map(str, SCHEMA_VERSIONS))
        raise _fail(
            "schema_version",
            f"must be {known} (the versions this resizer understands), got {version!r}",
        )
    cache_control = doc.get("cache_control", DEFAULT_CACHE_CONTROL)
    if not isinstance(cache_control, str) or not 1 <= len(cache_control) <= 256:
        raise _fail("cache_control", f"must be a string of 1-256 characters, got {cache_control!r}")
    if any(ord(c) < 32 or ord(c) == 127 for c in cache_control):
        raise _fail("cache_control", "must not contain control characters")
    limits = parse_limits(doc.get("limits", {}))
    if "presets" not in doc:
        raise _fail("presets", "is required")
    raw_presets = doc["presets"]
    if not isinstance(raw_presets, list) or not 1 <= len(raw_presets) <= MAX_PRESETS:
        raise _fail("presets", f"must be a list of 1 to {MAX_PRESETS} presets")
    presets: list[Preset] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_presets):
        where = f"presets[{i}]"
        if not isinstance(raw, dict):
            raise _fail(where, "must be an object")
        checked = _check_preset(raw, where, version)
        if checked["name"] in seen:
            raise _fail(f"{where}.name", f"duplicate preset name {checked['name']!r}")
        seen.add(checked["name"])
        presets.append(Preset(**checked))
    return Config(
        presets=tuple(presets),
        limits=limits,
        cache_control=cache_control,
        schema_version=version,
    )


def loads(text: str | bytes, source: str = "presets") -> Config:
    """Parse presets JSON text; errors are prefixed with `source` (a file name or S3 URI)."""
    try:
        doc = json.loads(text)
    except ValueError as err:  # JSONDecodeError and UnicodeDecodeError
        raise ConfigError(f"{source}: not valid JSON: {err}") from err
    try:
        return parse(doc)
    except ConfigError as err:
        raise ConfigError(f"{source}: {err.message}") from err


def load_file(path: str | Path) -> Config:
    """Return the Config in a JSON file."""
    try:
        text = Path(path).read_bytes()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read presets file: {err.strerror}") from err
    return loads(text, str(path))


Fetch = Callable[[str | None], tuple[bytes, str] | None]
"""Given the last ETag, return (body, etag), or None when the object has not changed."""


class RefreshingConfig:
    """Serve a Config read through `fetch`, re-reading it at most every `ttl` seconds.

    A published change applies within `ttl` without a redeploy. The first read must succeed (the
    Lambda cannot serve without presets). A later read that is invalid or fails keeps the last good
    Config and reports the error through `on_error`: never a silent half-applied configuration.
    """

    def __init__(
        self,
        fetch: Fetch,
        source: str,
        ttl: float = 60.0,
        on_error: Callable[[Exception], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._source = source
        self._ttl = ttl
        self._on_error = on_error
        self._clock = clock
        self._lock = threading.Lock()
        self._config: Config | None = None
        self._etag: str | None = None
        self._checked_at = float("-inf")

    def get(self) -> Config:
        """Return the current Config, re-reading the source when the TTL has passed."""
        with self._lock:
            now = self._clock()
            if self._config is not None and now - self._checked_at < self._ttl:
                return self._config
            try:
                fetched = self._fetch(self._etag)
                if fetched is not None:
                    body, etag = fetched
                    self._config = loads(body, self._source)
                    self._etag = etag
            except Exception as err:
                if self._config is None:
                    raise
                if self._on_error is not None:
                    self._on_error(err)
            self._checked_at = now
            assert self._config is not None
            return self._config


class StaticConfig:
    """Serve one Config that never changes (bundled file, PRESETS_FILE, or built-in defaults)."""

    def __init__(self, config: Config) -> None:
        self._config = config

    def get(self) -> Config:
        return self._config
