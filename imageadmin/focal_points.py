"""Focal points: keep an asset's on its original in S3, and re-make its cover variants.

The Lambda has no database: it learns an original's focal point from the S3 user metadata
`focal` ("x,y", `resizer_lambda.focal` owns the format), which it reads from the GetObject it
makes anyway. So the point lives in two places, the Asset row (for the admin, previews and
warming) and the original's metadata (for the Lambda), and a change goes to S3 first: a row
that says one thing while the Lambda crops by another is what must not happen.

A cover variant made before the change shows the old crop under the same URL for a year
(`Cache-Control: immutable`), so changing the point purges exactly that asset's cover variants
(every format: objects, rows and CloudFront paths, through `imageadmin.purging`) and warms them
again in the background (`variants.start_warm`, limited to cover presets).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from imageadmin import aws, purging, storage, variants
from imageadmin.logs import log_event
from imageadmin.models import Asset, Fit, Job, Preset, Variant
from resizer_lambda import focal

logger = logging.getLogger(__name__)


def metadata_for(point: focal.Focal | None) -> dict[str, str | None]:
    """Return the metadata change for `point`: the value, or None (no key: the centre)."""
    return {focal.METADATA_KEY: None if point is None else focal.format_value(point)}


def initial_metadata(point: focal.Focal | None) -> dict[str, str]:
    """Return the metadata an original is uploaded with (none for the centre)."""
    return {} if point is None else {focal.METADATA_KEY: focal.format_value(point)}


def store(asset: Asset) -> None:
    """Write the asset's focal point onto its original in S3 (raise `aws.AwsError`)."""
    storage.set_metadata(asset.key, metadata_for(asset.focal))
    log_event(logger, "focal.stored", asset=asset.pk, key=asset.key, focal=asset.focal)


@dataclass(frozen=True)
class Remade:
    """What re-making an asset's cover variants did."""

    presets: list[str]  # every cover preset (active or not: their objects may still be served)
    purged: purging.Purged | None = None  # None: nothing to purge, or the purge failed
    error: aws.AwsError | None = None  # the delete failed: the old crops are still served
    job: Job | None = None  # the warming of the active cover presets


def remake_cover_variants(asset: Asset, user: Any = None) -> Remade:
    """Purge the asset's cover variants (all formats) and warm the active ones again.

    Deleting a variant is always safe (a request re-makes it, now around the new point), so the
    purge runs at once; the warming job is sent once the caller's transaction commits. A failed
    delete is returned, not raised: the point is saved either way, and the message says so.
    """
    covers = Preset.objects.filter(fit=Fit.COVER)
    names = list(covers.values_list("name", flat=True))
    if not names:
        return Remade([])
    rows = Variant.objects.filter(asset=asset, preset__fit=Fit.COVER)
    doomed = variants.keys_of_assets([asset.key], names, rows)
    try:
        purged = purging.purge(doomed)
    except aws.AwsError as err:
        log_event(
            logger, "focal.purge_failed", level=logging.WARNING, asset=asset.pk, error=str(err)
        )
        return Remade(names, error=err)
    rows.delete()
    if purged.error is not None:
        log_event(
            logger,
            "focal.invalidation_failed",
            level=logging.ERROR,
            asset=asset.pk,
            error=str(purged.error),
        )
    active = list(covers.filter(active=True).values_list("pk", flat=True))
    job = variants.start_warm([asset.pk], user, preset_ids=active) if active else None
    return Remade(names, purged, job=job)


def change(asset: Asset, point: focal.Focal | None, user: Any = None) -> Remade:
    """Set the asset's focal point: S3 metadata, then the row, then its cover variants.

    Raise `aws.AwsError` when the metadata cannot be written; then nothing has changed.
    """
    asset.focal_x, asset.focal_y = (None, None) if point is None else (point.x, point.y)
    store(asset)
    asset.save(update_fields=["focal_x", "focal_y", "updated_at"])
    return remake_cover_variants(asset, user)
