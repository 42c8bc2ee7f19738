"""Tell CloudFront to forget variants deleted outside a publication (a deleted asset's).

A variant carries `Cache-Control: max-age` of a year, so CloudFront would go on serving a
deleted asset's variants from its cache for that long. Deleting an asset therefore invalidates
its variant paths, the way a publication invalidates a changed preset's: one path per key, or
the presets' wildcards beyond 1,000 paths. Without a distribution id nothing is sent.
"""

from __future__ import annotations

from collections.abc import Iterable

from imageadmin.conf import conf
from imageadmin.publishing import aws, desired


def invalidate(variant_keys: Iterable[str], reference: str = "") -> str | None:
    """Invalidate the CDN paths of `variant_keys`; return the invalidation id (None: not sent).

    Keys that are not variants (originals, the presets JSON: never public) are left out.
    """
    distribution = str(conf.IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID)
    protected = desired.protected_prefixes(
        conf.IMAGEADMIN_ORIGINALS_PREFIX, conf.IMAGEADMIN_PRESETS_KEY
    )
    by_preset: dict[str, list[str]] = {}
    for key in variant_keys:
        name = desired.preset_of_key(key)
        if name is not None and not key.startswith(protected):
            by_preset.setdefault(name, []).append(key)
    if not distribution or not by_preset:
        return None
    paths, _ = desired.invalidation_paths(by_preset)
    answer = aws.invalidate(distribution, paths, reference)
    return str(answer.value.get("Id", ""))
