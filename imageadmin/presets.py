"""Preset rows -> the presets contract the Lambda reads (validated by the resizer's own parser).

Defaults are written out at export time so the Lambda never reads a Django setting: the cache
header and the source limits come from here, not from the Lambda's environment.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from imageadmin.conf import conf
from imageadmin.logs import log_event
from imageadmin.models import Preset
from resizer_lambda import presets as contract
from resizer_lambda.errors import ConfigError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActivePreset:
    """An active Preset row with its contract form (what sizes are computed from)."""

    id: int
    name: str
    spec: contract.Preset

    @property
    def responsive(self) -> bool:
        """Return whether the preset keeps the aspect ratio (fit inside), so fits a srcset."""
        return self.spec.fit == "inside"


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
    """Return the active presets in admin order, in one query.

    A row the resizer would refuse (saved around model validation) is left out and logged rather
    than breaking every page that shows an image.
    """
    result: list[ActivePreset] = []
    for row in Preset.objects.active():
        try:
            result.append(ActivePreset(row.pk, row.name, row.to_contract()))
        except ConfigError as err:
            log_event(
                logger,
                "presets.invalid",
                level=logging.WARNING,
                preset=row.name,
                error=err.message,
            )
    return result
