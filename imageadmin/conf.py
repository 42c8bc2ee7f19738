"""The app's settings: every `IMAGEADMIN_*` setting with its documented default.

A host project sets only what differs from these defaults in its own settings module (at least
`IMAGEADMIN_CDN_URL` and a `STORAGES` entry named by `IMAGEADMIN_STORAGE`; docs/integrate.md).
Read a setting as `conf.IMAGEADMIN_CDN_URL`: the host's value when it has one, else the default
here. Values are read on every access, so `override_settings` in a host's tests works.
`imageadmin.checks` reports a value that cannot work, with the setting's name.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from resizer_lambda import presets as contract

DEFAULTS: dict[str, Any] = {
    # The STORAGES alias originals and variants are stored through: an S3Storage (django-storages)
    # whose bucket the resizer Lambda reads. Never the host's `default` storage, so the shop's own
    # media files stay where they are.
    "IMAGEADMIN_STORAGE": "imageadmin",
    # Originals are stored under this folder of the bucket; variants under <preset>/ folders.
    "IMAGEADMIN_ORIGINALS_PREFIX": "originals",
    # The CDN (CloudFront) base URL variant URLs start with. Required: "" fails check E001.
    "IMAGEADMIN_CDN_URL": "",
    # Where the bucket's routing rules send a missing variant: <protocol>://<host>/<path>?key=...
    # (the stack's ApiHost output; "default/resize" is its stage and resource).
    "IMAGEADMIN_API_HOST": "",
    "IMAGEADMIN_API_PATH": "default/resize",
    "IMAGEADMIN_API_PROTOCOL": "https",
    # The distribution publishing and deletes invalidate ("": nothing is invalidated).
    "IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID": "",
    # The SQS queue S3 sends the bucket's object events to (the stack's EventsQueueUrl output);
    # `manage.py consume_variant_events` reads it. "": Variant rows follow the bucket only
    # through the listing sync.
    "IMAGEADMIN_EVENTS_QUEUE_URL": "",
    # The presets JSON the Lambda reads; must be under _config/ (kept private by the bucket policy).
    "IMAGEADMIN_PRESETS_KEY": "_config/presets.json",
    # The Cache-Control header variants are stored with (written into the presets JSON).
    "IMAGEADMIN_CACHE_CONTROL": contract.DEFAULT_CACHE_CONTROL,
    # Lifecycle: variants expire this many days after they were made (Preset.expire_days
    # overrides it per preset); they are remade on the next request.
    "IMAGEADMIN_VARIANT_EXPIRE_DAYS": 30,
    # A published preset change gives the preset a new output token, so new URLs; the variants
    # at the old token are no longer handed out (their URLs redirect) and a lifecycle rule per
    # retired token (<preset>.<old token>) expires them this many days after they were made.
    "IMAGEADMIN_RETIRED_VARIANT_DAYS": 30,
    # Publishing waits this long after the presets JSON changed before it purges stale variants:
    # the Lambda re-reads the JSON at most every PRESETS_TTL (60 s) and a render already running
    # may take up to its 25 s timeout.
    "IMAGEADMIN_PUBLISH_SETTLE_SECONDS": 90,
    # Variants made in the background when an original is uploaded or replaced: every active
    # preset in each of these formats, from one read and one decode (imageadmin.warming).
    # "avif" and "webp" are the <source>s {% picture %} lists first; "preset" is the plain
    # <preset>/ URL in the preset's own format (the <img> fallback). [] turns warming off: the
    # Lambda makes each variant on its first request.
    "IMAGEADMIN_WARM_FORMATS": ["avif", "webp", "preset"],
    # Upload limits; the Lambda gets them through the presets JSON, so it accepts every upload.
    "IMAGEADMIN_MAX_UPLOAD_BYTES": contract.Limits().max_bytes,
    "IMAGEADMIN_MAX_UPLOAD_PIXELS": contract.Limits().max_pixels,
}


class _AppSettings:
    """Attribute access to the `IMAGEADMIN_*` settings, falling back to `DEFAULTS`."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"{name} is not an imageadmin setting")
        return getattr(settings, name, DEFAULTS[name])


conf = _AppSettings()
