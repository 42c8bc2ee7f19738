"""Preset rows -> the presets contract the Lambda reads (validated by the resizer's own parser).

Defaults are written out at export time so the Lambda never reads a Django setting: the cache
header and the source limits come from here, not from the Lambda's environment.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from imageadmin import versions
from imageadmin.conf import conf
from imageadmin.logs import log_event
from imageadmin.models import Asset, Preset
from resizer_lambda import keys
from resizer_lambda import presets as contract
from resizer_lambda.errors import ConfigError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActivePreset:
    """An active Preset row with its contract form and the URLs the Lambda serves for it.

    `spec` is the preset as the Lambda serves it (imageadmin.versions: the last publication;
    the saved row when not published yet), so every URL handed out is one the Lambda renders and
    every size computed is the size that URL delivers; unpublished edits show after publishing.
    """

    id: int
    name: str
    spec: contract.Preset
    token: str = ""
    negotiate: bool = False

    @property
    def responsive(self) -> bool:
        """Return whether the preset keeps the aspect ratio (fit inside), so fits a srcset."""
        return self.spec.fit == "inside"

    @property
    def has_density(self) -> bool:
        """Return whether the preset has a `@2x` rendition (fixed size: cover or contain)."""
        return self.spec.fit in contract.DENSITY_FITS

    def key(self, asset: Asset, fmt: keys.HeadFormat | None = None, density: int = 1) -> str:
        """Return the current key of `asset` under this preset (plain: `.auto` if negotiating)."""
        if fmt is None and self.negotiate:
            fmt = keys.AUTO
        return asset.variant_key(self.name, fmt, token=self.token, density=density)

    def url(self, asset: Asset, fmt: keys.HeadFormat | None = None, density: int = 1) -> str:
        """Return the current CDN URL of `asset` under this preset."""
        return keys.url_for_key(conf.IMAGEADMIN_CDN_URL, self.key(asset, fmt, density))

    def stored_key(self, asset: Asset, fmt: keys.KeyFormat | None = None) -> str:
        """Return the key a rendition is stored at (never `.auto`: the edge rewrites it)."""
        return asset.variant_key(self.name, fmt, token=self.token)


def cache_control() -> str:
    """Return the Cache-Control header variants are stored with."""
    return str(conf.IMAGEADMIN_CACHE_CONTROL)


def limits() -> contract.Limits:
    """Return the source limits: the upload limits, so the Lambda accepts any uploaded original.

    Read through the contract's parser (ConfigError naming the field when a setting is out of
    its bounds; check E005/E006 says so at start-up).
    """
    return contract.parse_limits(
        {
            "max_source_pixels": conf.IMAGEADMIN_MAX_UPLOAD_PIXELS,
            "max_source_bytes": conf.IMAGEADMIN_MAX_UPLOAD_BYTES,
        }
    )


def config_dict(presets: Iterable[Preset]) -> dict[str, Any]:
    """Return the contract document for `presets` before validation."""
    lim = limits()
    return {
        "schema_version": contract.SCHEMA_VERSION,
        "cache_control": cache_control(),
        "limits": {
            "max_source_pixels": lim.max_pixels,
            "max_source_bytes": lim.max_bytes,
            "max_decode_seconds": lim.max_decode_seconds,
        },
        "presets": [p.contract_dict() for p in presets],
    }


def build_config(presets: Iterable[Preset] | None = None) -> contract.Config:
    """Return the validated contract for the active presets (or `presets`).

    Raises resizer_lambda.errors.ConfigError naming the field when the Lambda would refuse it
    (for instance no active preset at all, or a row saved around model validation).
    """
    rows = list(Preset.objects.active() if presets is None else presets)
    return contract.parse(config_dict(rows))


def named_or_narrowest(presets: Sequence[ActivePreset], name: str) -> ActivePreset | None:
    """Return the preset called `name`, else the narrowest one (None when there is none).

    How the admin picks the preset of its thumbnails and previews: the one it names when it is
    active, else the smallest there is.
    """
    ranked = sorted(presets, key=lambda p: (p.name != name, p.spec.width))
    return ranked[0] if ranked else None


def active_presets() -> list[ActivePreset]:
    """Return the active presets in admin order with their served tokens, in two queries.

    A row the resizer would refuse (saved around model validation) is left out and logged rather
    than breaking every page that shows an image.
    """
    result: list[ActivePreset] = []
    served = versions.published()
    for row in Preset.objects.active():
        try:
            spec = served.spec(row.name, row.to_contract())
            token = contract.output_token(spec)
            active = ActivePreset(row.pk, row.name, spec, token, spec.negotiate)
            result.append(active)
        except ConfigError as err:
            log_event(
                logger,
                "presets.invalid",
                level=logging.WARNING,
                preset=row.name,
                error=err.message,
            )
    return result
