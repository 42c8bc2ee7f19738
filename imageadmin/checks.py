"""System checks that explain a misconfigured deployment before it misbehaves.

Ids are stable (`imageadmin.E001` ...) so a deployment can silence one knowingly. Settings checks
are pure; the one that compares the originals prefix with preset names needs the database and is
tagged so, so it runs only with `check --database` (and before `migrate`).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.db import DatabaseError
from django.utils.module_loading import import_string

from imageadmin import warming
from imageadmin.conf import conf
from resizer_lambda import keys
from resizer_lambda import presets as contract
from resizer_lambda.errors import BadKey, ConfigError

S3_STORAGE = "storages.backends.s3.S3Storage"
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def check_cdn_url(**kwargs: Any) -> list[CheckMessage]:
    """IMAGEADMIN_CDN_URL must be an absolute http(s) URL: every variant URL starts with it."""
    value = conf.IMAGEADMIN_CDN_URL
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts and parts.scheme in ("http", "https") and parts.hostname and not parts.query:
        return []
    return [
        Error(
            f"IMAGEADMIN_CDN_URL must be an absolute http(s) URL, got {value!r}.",
            hint="Set it to the CloudFront (or other CDN) base URL front-ends fetch variants "
            "from, e.g. https://images.example.com, without a query string.",
            id="imageadmin.E001",
        )
    ]


def bucket_name_problem(name: object) -> str | None:
    """Return why `name` is not a valid S3 bucket name, or None."""
    if not isinstance(name, str) or not name:
        return "it is empty"
    if not 3 <= len(name) <= 63:
        return f"it is {len(name)} characters long; S3 allows 3 to 63"
    if not _BUCKET_RE.match(name):
        return (
            "S3 allows only lowercase letters, digits, '.' and '-', starting and ending "
            "with a letter or digit"
        )
    if ".." in name:
        return "it contains '..'"
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        return "it is formatted as an IP address"
    if name.startswith(_BUCKET_PREFIXES) or name.endswith(_BUCKET_SUFFIXES):
        return "it uses a prefix or suffix S3 reserves"
    return None


def _storage_config() -> tuple[str, dict[str, Any] | None]:
    alias = conf.IMAGEADMIN_STORAGE
    config = settings.STORAGES.get(alias) if isinstance(alias, str) else None
    return str(alias), config if isinstance(config, dict) else None


def check_bucket(**kwargs: Any) -> list[CheckMessage]:
    """The imageadmin storage's bucket_name must be a valid S3 bucket name."""
    alias, config = _storage_config()
    if config is None:
        return []  # E012 says the alias is missing
    value = (config.get("OPTIONS") or {}).get("bucket_name", "")
    problem = bucket_name_problem(value)
    if problem is None:
        return []
    return [
        Error(
            f"STORAGES[{alias!r}]['OPTIONS']['bucket_name'] {value!r} is not a valid S3 bucket "
            f"name: {problem}.",
            hint="Set it to the name of the bucket holding originals and variants (the stack's "
            "BucketName output), e.g. 'shop-images'.",
            id="imageadmin.E002",
        )
    ]


def _prefix() -> object:
    return conf.IMAGEADMIN_ORIGINALS_PREFIX


def check_originals_prefix(**kwargs: Any) -> list[CheckMessage]:
    """IMAGEADMIN_ORIGINALS_PREFIX must keep originals in their own folder, apart from variants."""
    value = _prefix()
    prefix = value.strip("/") if isinstance(value, str) else ""
    if not prefix:
        return [
            Error(
                f"IMAGEADMIN_ORIGINALS_PREFIX is empty ({value!r}): originals would be stored at "
                "the bucket root, beside the <preset>/ folders of variants.",
                hint="Set it to a folder name that is not a preset name, e.g. 'originals'.",
                id="imageadmin.E003",
            )
        ]
    problem = ""
    try:
        keys.check_original_key(f"{prefix}/probe.jpg")
    except BadKey as err:
        problem = err.message
    if not problem:
        try:
            head, _ = keys.split_head(f"{prefix}/probe.jpg")
        except BadKey:
            head = None  # not shaped like a variant folder
        if head is not None and (head.fmt or head.token or head.density != 1):
            what = f" in {head.fmt}" if head.fmt and not head.token else ""
            problem = f"'{head}/' is how variants of a preset '{head.preset}'{what} are stored"
    if not problem:
        return []
    return [
        Error(
            f"IMAGEADMIN_ORIGINALS_PREFIX {value!r} does not make valid original keys: {problem}.",
            hint="Use one or more folder names joined by single '/' (no '.' or '..' segments, "
            "backslashes or control characters, and no first folder named like a variant "
            "folder, <preset>.webp), e.g. 'originals' or 'shop/originals'.",
            id="imageadmin.E004",
        )
    ]


# Each upload setting is the contract field the Lambda reads it as.
_UPLOAD_LIMITS = (
    ("IMAGEADMIN_MAX_UPLOAD_BYTES", "max_source_bytes", "imageadmin.E005", "52428800"),
    ("IMAGEADMIN_MAX_UPLOAD_PIXELS", "max_source_pixels", "imageadmin.E006", "75000000"),
)


def check_upload_limits(**kwargs: Any) -> list[CheckMessage]:
    """The upload limits must be source limits the presets contract accepts.

    The contract's own parser judges each value, so its bounds and wording are never restated.
    """
    found: list[CheckMessage] = []
    for name, field, check_id, example in _UPLOAD_LIMITS:
        value = getattr(conf, name)
        try:
            contract.parse_limits({field: value})
        except ConfigError as err:
            unreadable = " (the environment variable is not an integer, read as -1)"
            found.append(
                Error(
                    f"{name} is not a source limit the resizer accepts: {err.message}"
                    f"{unreadable if value == -1 else ''}.",
                    hint=f"Set the environment variable {name} to a whole number such as "
                    f"{example}; the resizer refuses originals above it, and uploads are "
                    "checked against it.",
                    id=check_id,
                )
            )
    return found


def check_prefix_not_a_preset(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """No preset may be named like the originals folder (database check: needs the table)."""
    if not databases:
        return []
    from imageadmin.models import Preset

    value = _prefix()
    head = value.strip("/").split("/")[0] if isinstance(value, str) else ""
    if not head:
        return []
    try:
        clash = Preset.objects.filter(name=head).exists()
    except DatabaseError:  # not migrated yet: nothing to compare
        return []
    if not clash:
        return []
    return [
        Error(
            f"Preset '{head}' has the name of the originals folder "
            f"(IMAGEADMIN_ORIGINALS_PREFIX {value!r}): its variant URLs would address originals.",
            hint="Rename the preset in the admin, or choose another IMAGEADMIN_ORIGINALS_PREFIX "
            "(and move the originals).",
            id="imageadmin.E007",
        )
    ]


def check_storage(**kwargs: Any) -> list[CheckMessage]:
    """IMAGEADMIN_STORAGE must name an S3Storage in STORAGES, never the shop's default one."""
    alias, config = _storage_config()
    example = (
        f"STORAGES[{alias!r}] = {{'BACKEND': '{S3_STORAGE}', "
        "'OPTIONS': {'bucket_name': 'shop-images'}}"
    )
    if config is None:
        return [
            Error(
                f"STORAGES has no {alias!r} entry (IMAGEADMIN_STORAGE): imageadmin keeps "
                "originals and variants in a storage of its own.",
                hint=f"Add {example} to your settings (docs/integrate.md), or set "
                "IMAGEADMIN_STORAGE to the alias of an existing S3Storage.",
                id="imageadmin.E012",
            )
        ]
    backend = config.get("BACKEND", "")
    try:
        from storages.backends.s3 import S3Storage

        is_s3 = issubclass(import_string(backend), S3Storage)
    except ImportError:
        is_s3 = False
    problem = ""
    if not is_s3:
        problem = (
            f"uses {backend or 'no backend'!r}, not {S3_STORAGE}: originals would not reach "
            "the bucket the resizer Lambda reads"
        )
    elif alias == "default":
        problem = (
            "is the project's default storage: the shop's own media files would be stored in "
            "the images bucket, beside the originals"
        )
    if not problem:
        return []
    return [
        Error(
            f"STORAGES[{alias!r}] (IMAGEADMIN_STORAGE) {problem}.",
            hint=f"Add a separate entry, e.g. {example}, and leave IMAGEADMIN_STORAGE at "
            "'imageadmin'.",
            id="imageadmin.E012",
        )
    ]


def check_celery_broker(**kwargs: Any) -> list[CheckMessage]:
    """In production, tasks should run on a worker rather than inside web requests."""
    broker: object = getattr(settings, "CELERY_BROKER_URL", None)  # the host's, if any
    if settings.DEBUG or broker:
        return []
    return [
        Warning(
            "CELERY_BROKER_URL is not set while DEBUG is off: generating and purging variants "
            "run inside the admin's web requests, which time out on large jobs.",
            hint="Set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0) and run a worker: "
            "celery -A <your project> worker.",
            id="imageadmin.W002",
        )
    ]


def _whole_number(name: str, low: int) -> bool:
    value = getattr(conf, name)
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def check_publishing(**kwargs: Any) -> list[CheckMessage]:
    """The settings `manage.py publish` writes AWS configuration from must make sense."""
    found: list[CheckMessage] = []
    protocol = conf.IMAGEADMIN_API_PROTOCOL
    if protocol not in ("http", "https"):
        found.append(
            Error(
                f"IMAGEADMIN_API_PROTOCOL must be 'https' or 'http', got {protocol!r}.",
                hint="The routing rules redirect missing variants to the API with this protocol; "
                "API Gateway speaks https ('http' only for a local stack).",
                id="imageadmin.E008",
            )
        )
    if not _whole_number("IMAGEADMIN_VARIANT_EXPIRE_DAYS", 1):
        value = conf.IMAGEADMIN_VARIANT_EXPIRE_DAYS
        found.append(
            Error(
                f"IMAGEADMIN_VARIANT_EXPIRE_DAYS must be a whole number of days >= 1, got "
                f"{value!r}.",
                hint="S3 lifecycle rules expire objects after at least one day; set it to e.g. 30.",
                id="imageadmin.E009",
            )
        )
    if not _whole_number("IMAGEADMIN_PUBLISH_SETTLE_SECONDS", 0):
        value = conf.IMAGEADMIN_PUBLISH_SETTLE_SECONDS
        found.append(
            Error(
                f"IMAGEADMIN_PUBLISH_SETTLE_SECONDS must be a whole number of seconds >= 0, got "
                f"{value!r}.",
                hint="Use the Lambda's PRESETS_TTL plus its timeout (90 with the template's "
                "defaults), or 0 where no Lambda caches the presets.",
                id="imageadmin.E010",
            )
        )
    host = conf.IMAGEADMIN_API_HOST
    if not (isinstance(host, str) and host.strip() and "/" not in host):
        found.append(
            Error(
                f"IMAGEADMIN_API_HOST must be the resize API's host name, got {host!r}.",
                hint="Publishing writes a routing rule per active preset that redirects a "
                "missing variant to this host; empty, the redirect goes nowhere and no variant "
                "is ever made. Set it to the stack's ApiHost output (e.g. "
                "abc123defg.execute-api.eu-central-1.amazonaws.com), without https:// or a path "
                "(IMAGEADMIN_API_PATH has the path).",
                id="imageadmin.E014",
            )
        )
    key = conf.IMAGEADMIN_PRESETS_KEY
    if not (isinstance(key, str) and key.startswith("_config/") and len(key) > len("_config/")):
        found.append(
            Error(
                f"IMAGEADMIN_PRESETS_KEY must be a key under _config/, got {key!r}.",
                hint="The bucket policy keeps only _config/ (and the originals) from public "
                "reads; anywhere else the presets JSON would be public. The stack's PresetsKey "
                "output gives the value (default _config/presets.json).",
                id="imageadmin.E011",
            )
        )
    return found


def check_warm_formats(**kwargs: Any) -> list[CheckMessage]:
    """IMAGEADMIN_WARM_FORMATS must name formats the key grammar has (or "preset")."""
    try:
        warming.parse(conf.IMAGEADMIN_WARM_FORMATS)
    except ValueError as err:
        return [
            Error(
                f"IMAGEADMIN_WARM_FORMATS {err}.",
                hint=f"Use a list of {', '.join(map(repr, warming.CHOICES))} (default "
                '["avif", "webp", "preset"]), or [] to make no variants on upload.',
                id="imageadmin.E013",
            )
        ]
    return []


def _s3_endpoint() -> tuple[str, str]:
    """Return the S3 endpoint the imageadmin storage uses and where it was set ("" = AWS)."""
    alias, config = _storage_config()
    options = (config or {}).get("OPTIONS") or {}
    if options.get("endpoint_url"):
        return str(options["endpoint_url"]), f"STORAGES[{alias!r}]['OPTIONS']['endpoint_url']"
    if getattr(settings, "AWS_S3_ENDPOINT_URL", None):
        return str(settings.AWS_S3_ENDPOINT_URL), "AWS_S3_ENDPOINT_URL"
    if os.environ.get("AWS_ENDPOINT_URL_S3"):
        return os.environ["AWS_ENDPOINT_URL_S3"], "the environment variable AWS_ENDPOINT_URL_S3"
    return "", ""


def check_s3_endpoint_deploy(**kwargs: Any) -> list[CheckMessage]:
    """In production S3 must be AWS (endpoint unset) or an explicit, non-local endpoint."""
    url, source = _s3_endpoint()
    host = urlsplit(url).hostname or "" if url else ""
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local:
        return []
    return [
        Warning(
            f"{source} is {url!r}, a loopback address: in production imageadmin would store "
            "originals on this machine's local S3 emulator, not in the bucket the Lambda reads.",
            hint="Leave the endpoint unset to use AWS S3 (boto3 finds the region and "
            "credentials), or set it explicitly to your S3-compatible service.",
            id="imageadmin.W003",
        )
    ]


SETTINGS_CHECKS = (
    check_cdn_url,
    check_bucket,
    check_originals_prefix,
    check_upload_limits,
    check_storage,
    check_celery_broker,
    check_publishing,
    check_warm_formats,
)
