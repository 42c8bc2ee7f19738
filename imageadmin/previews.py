"""Preset previews and change impact for the preset admin.

A preview is made in-process by the resizer's own parser and renderer
(`resizer_lambda.presets.parse`, `resizer_lambda.imaging.render_one`), so what an admin sees while
editing is what front-ends will get after publishing. The impact of a change is decided by
`Preset.output_fingerprint()`, the same rule `save_model` uses to mark variants stale.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, Sum
from django.template.defaultfilters import filesizeformat

from imageadmin import aws, storage
from imageadmin.conf import conf
from imageadmin.models import Asset, Preset, Variant, VariantStatus
from resizer_lambda import focal, imaging, keys
from resizer_lambda import presets as contract
from resizer_lambda.errors import ConfigError, ResizerError

PREVIEW_NAME = "preview"
RECENT_ASSETS = 20
_FIELD_RE = re.compile(r"^presets\[\d+\]\.(\w+): (.*)$")
_INT_RE = re.compile(r"^\s*[0-9]{1,9}\s*$")
_ID_RE = re.compile(r"^[0-9]{1,18}$")
_TRUE = frozenset({"1", "true", "on", "yes"})
_FALSE = frozenset({"", "0", "false", "off", "no"})


class PreviewError(Exception):
    """A preview cannot be made; `status` is the HTTP answer, `field` the parameter at fault."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


def _number(value: str | None) -> Any:
    # Digits become ints; anything else goes to the parser as is, so it names the problem.
    if value is None:
        return None
    return int(value) if _INT_RE.match(value) else value


def _flag(value: str | None) -> Any:
    if value is None or value.lower() in _FALSE:
        return False
    return True if value.lower() in _TRUE else value


def spec_from_params(params: Mapping[str, str], name: str = PREVIEW_NAME) -> contract.Preset:
    """Return the contract Preset the query parameters describe, validated by the resizer."""
    raw: dict[str, Any] = {"name": name, "width": _number(params.get("width"))}
    if raw["width"] is None:
        raise PreviewError(400, "width: is required", "width")
    height = params.get("height", "")
    raw["height"] = _number(height) if height.strip() else None
    for field in ("fit", "format", "background"):
        if params.get(field):
            raw[field] = params[field]
    if params.get("quality", "").strip():
        raw["quality"] = _number(params["quality"])
    raw["upscale"] = _flag(params.get("upscale"))
    try:
        config = contract.parse({"schema_version": contract.SCHEMA_VERSION, "presets": [raw]})
    except ConfigError as err:
        match = _FIELD_RE.match(err.message)
        if match:
            raise PreviewError(400, f"{match[1]}: {match[2]}", match[1]) from err
        raise PreviewError(400, err.message) from err
    return config.presets[0]


def limits() -> contract.Limits:
    """Return the limits the resizer will apply to originals (settings, else its defaults)."""
    default = contract.Limits()
    max_bytes = conf.IMAGEADMIN_MAX_UPLOAD_BYTES
    max_pixels = conf.IMAGEADMIN_MAX_UPLOAD_PIXELS
    return contract.Limits(
        max_pixels=max_pixels if max_pixels > 0 else default.max_pixels,
        max_bytes=max_bytes if max_bytes > 0 else default.max_bytes,
    )


def recent_assets(count: int = RECENT_ASSETS) -> list[Asset]:
    """Return the assets offered as preview sources, newest first."""
    return list(Asset.objects.order_by("-created_at", "-id")[:count])


def get_asset(asset_id: str | None) -> Asset:
    """Return the asset named by the `asset` parameter."""
    if not asset_id or not _ID_RE.match(asset_id):
        raise PreviewError(400, f"asset: must be an asset id, got {asset_id or ''!r}", "asset")
    asset = Asset.objects.filter(pk=int(asset_id)).first()
    if asset is None:
        raise PreviewError(404, f"asset: there is no asset {asset_id}", "asset")
    return asset


def focal_from_params(params: Mapping[str, str], asset: Asset) -> focal.Focal | None:
    """Return the focal point a preview is cropped around: `focal=x,y`, else the asset's own.

    `focal=` (empty) asks for the centre: the asset page previews a point before it is saved.
    """
    if "focal" not in params:
        return asset.focal
    value = params["focal"].strip()
    if not value:
        return None
    try:
        return focal.parse(value)
    except focal.BadFocal as err:
        raise PreviewError(400, str(err), "focal") from err


def render(
    asset: Asset, spec: contract.Preset, point: focal.Focal | None = None
) -> imaging.Rendered:
    """Return `spec` applied to the asset's original, read from S3 and rendered in-process.

    A cover crop is centred on `point` (None: the centre), as the Lambda centres it on the
    original's metadata.
    """
    try:
        data = storage.read(asset.key)
    except aws.ObjectMissing as err:
        raise PreviewError(404, f"the original of {asset} is missing from S3: {err}") from err
    except aws.AwsError as err:
        raise PreviewError(502, str(err)) from err
    try:
        return imaging.render_one(data, spec, limits(), focal=point)
    except ResizerError as err:
        # Too large (413), unsupported (415) or corrupt (422): what the Lambda would answer.
        raise PreviewError(err.status, err.message) from err


@dataclass(frozen=True)
class Usage:
    """The variants of one preset that a change would make stale, and what they weigh."""

    variants: int = 0
    bytes: int = 0
    stale: int = 0


def usage(preset: Preset) -> Usage:
    """Return how many live (not yet stale) variants `preset` has, in one query."""
    if preset.pk is None:
        return Usage()
    live = ~Q(status=VariantStatus.STALE)
    totals = Variant.objects.filter(preset=preset).aggregate(
        variants=Count("pk", filter=live),
        bytes=Sum("bytes", filter=live),
        stale=Count("pk", filter=Q(status=VariantStatus.STALE)),
    )
    return Usage(totals["variants"], totals["bytes"] or 0, totals["stale"])


def describe(count: int, size: int) -> str:
    """Return "1,234 variants (56.0 MB)"."""
    noun = "variant" if count == 1 else "variants"
    return f"{count:,} {noun} ({filesizeformat(size)})"


def preset_url(name: str) -> str:
    """Return the URL pattern of a preset's variants, for messages."""
    return keys.url_for_key(conf.IMAGEADMIN_CDN_URL, f"{name}/") + "…"


@dataclass(frozen=True)
class Impact:
    """What saving a preset with new values does to its existing variants and URLs."""

    usage: Usage
    makes_stale: bool
    old_name: str
    new_name: str

    @property
    def renamed(self) -> bool:
        return self.old_name != self.new_name

    @property
    def affects_variants(self) -> bool:
        return (self.makes_stale or self.renamed) and self.usage.variants > 0

    def message(self) -> str:
        """Return the sentence shown live on the change form."""
        parts = []
        if self.renamed:
            parts.append(
                f"Renaming changes this preset's URLs from {preset_url(self.old_name)} to "
                f"{preset_url(self.new_name)}: update front-ends that use the old name."
            )
        used = describe(self.usage.variants, self.usage.bytes)
        if self.affects_variants:
            they = "it is" if self.usage.variants == 1 else "they are"
            parts.append(
                f"Saving makes {used} stale: once published, the preset gets new URLs, the "
                f"old ones redirect to them, and {they} left to expire."
            )
        elif self.usage.variants:
            parts.append(f"Saving changes no output: the {used} stay valid.")
        else:
            parts.append("No variants exist yet, so saving makes nothing stale.")
        return " ".join(parts)

    def saved_message(self, name: str) -> str:
        """Return the message shown after the save, with what was marked stale."""
        parts = []
        if self.renamed:
            parts.append(
                f"“{self.old_name}” is now “{self.new_name}”: its URLs changed from "
                f"{preset_url(self.old_name)} to {preset_url(self.new_name)}."
            )
        if self.affects_variants:
            used = describe(self.usage.variants, self.usage.bytes)
            are, they = ("is", "it is") if self.usage.variants == 1 else ("are", "they are")
            parts.append(
                f"{used} of “{name}” {are} now stale: publishing gives the preset new URLs "
                f"(old ones redirect) and {they} left to expire."
            )
        return " ".join(parts)


def as_model(spec: contract.Preset) -> Preset:
    """Return an unsaved Preset with the values of `spec` (to ask it for its fingerprint)."""
    return Preset(
        name=spec.name,
        width=spec.width,
        height=spec.height,
        fit=spec.fit,
        format=spec.format,
        quality=spec.quality,
        upscale=spec.upscale,
        background=spec.background,
    )


def change_impact(before: Preset, after: Preset, current: Usage | None = None) -> Impact:
    """Return what saving `after` over the stored `before` did (the rule `save_model` uses)."""
    return Impact(
        usage=current if current is not None else usage(before),
        makes_stale=before.output_fingerprint() != after.output_fingerprint(),
        old_name=before.name,
        new_name=after.name,
    )
