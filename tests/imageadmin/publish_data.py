"""Helpers for the publishing tests: AWS settings, a CloudFront distribution, variant objects."""

from __future__ import annotations

import hashlib
from typing import Any

import boto3

from imageadmin import versions
from imageadmin.models import Asset, Preset, Variant
from localaws import config as local_config

API_HOST = "api.example.com"
READ_PREFIXES = ("Get", "List", "Head")


def configure(settings: Any, s3_endpoint: str, monkeypatch: Any) -> None:
    """Point publishing at moto's server (S3 and CloudFront) with test-friendly settings."""
    from imageadmin import aws

    settings.IMAGEADMIN_API_HOST = API_HOST
    settings.IMAGEADMIN_API_PATH = "default/resize"
    settings.IMAGEADMIN_API_PROTOCOL = "https"
    settings.IMAGEADMIN_PUBLISH_SETTLE_SECONDS = 0
    settings.IMAGEADMIN_VARIANT_EXPIRE_DAYS = 30
    settings.IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID = ""
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT", s3_endpoint)
    aws.cloudfront.cache_clear()


def create_distribution(endpoint: str, bucket: str) -> str:
    """Create, on moto's server, the distribution `make run` creates in front of `bucket`."""
    return local_config.create_distribution(
        boto3.client("cloudfront", endpoint_url=endpoint), bucket
    )


def invalidated_paths(endpoint: str, distribution_id: str) -> list[list[str]]:
    """Return the paths of each invalidation of the distribution, oldest first."""
    cloudfront = boto3.client("cloudfront", endpoint_url=endpoint)
    listing = cloudfront.list_invalidations(DistributionId=distribution_id)["InvalidationList"]
    result = []
    for summary in reversed(listing.get("Items", [])):
        inv = cloudfront.get_invalidation(DistributionId=distribution_id, Id=summary["Id"])
        result.append(sorted(inv["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]))
    return result


def put_variants(s3: Any, bucket: str, preset: str, originals: list[str]) -> list[str]:
    """Put a plain and a WebP variant of each original at `preset`'s current token; the keys."""
    made = []
    token = versions.current_token(preset)
    for original in originals:
        for head in (f"{preset}.{token}", f"{preset}.{token}.webp"):
            key = f"{head}/{original}"
            s3.put_object(Bucket=bucket, Key=key, Body=b"variant", ContentType="image/jpeg")
            made.append(key)
    return made


def variant_rows(preset: Preset, originals: list[str]) -> list[Variant]:
    """Create an Asset per original (if needed) and a Variant row of `preset` for each."""
    rows = []
    token = versions.current_token(preset.name) or ""
    for original in originals:
        asset, _ = Asset.objects.get_or_create(
            original=original,
            defaults={
                "original_name": original.rsplit("/", 1)[-1],
                "width": 800,
                "height": 600,
                "format": "jpeg",
                "bytes": 1000,
                "sha256": hashlib.sha256(original.encode()).hexdigest(),
            },
        )
        rows.append(
            Variant.objects.create(
                asset=asset,
                preset=preset,
                key=f"{preset.name}.{token}/{original}",
                token=token,
                bytes=100,
            )
        )
    return rows


def is_write(operation: str) -> bool:
    return not operation.startswith(READ_PREFIXES)
