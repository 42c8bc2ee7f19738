"""Helpers for the variant tests: originals in the bucket, default presets, an S3 request spy.

Originals are real images made with Pillow and put with boto3, with their Asset rows created
directly (as an upload would), so tests need no fixtures checked in.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from typing import Any

import pytest
from botocore.endpoint import Endpoint
from PIL import Image

from imageadmin.models import Asset, Preset

CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
DEFAULT_WIDTHS = {"small": 150, "medium": 300, "large": 600, "xlarge": 1200}
WARMED = ("avif", "webp", None)  # IMAGEADMIN_WARM_FORMATS' default: AVIF, WebP, the plain key


def warmed_keys(assets: Iterable[Asset]) -> set[str]:
    """Return the variant keys an upload warms: every active preset of each asset, by default."""
    names = list(Preset.objects.active().values_list("name", flat=True))
    return {a.variant_key(n, f) for a in assets for n in names for f in WARMED}


def default_presets() -> dict[str, Preset]:
    """Return the presets by name, with migration 0003's four defaults present."""
    for position, (name, width) in enumerate(DEFAULT_WIDTHS.items()):
        Preset.objects.get_or_create(name=name, defaults={"width": width, "position": position})
    return {p.name: p for p in Preset.objects.all()}


class S3Calls:
    """Record the S3 operations botocore sends, calling through to the server."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.operations: list[str] = []
        real = Endpoint.make_request

        def spy(endpoint: Endpoint, operation_model: Any, request_dict: Any) -> Any:
            self.operations.append(operation_model.name)
            return real(endpoint, operation_model, request_dict)

        monkeypatch.setattr(Endpoint, "make_request", spy)


def image_bytes(size: tuple[int, int], fmt: str = "JPEG", colour: str = "#3366cc") -> bytes:
    """Return an encoded image of `size` with a gradient, so encoders have something to do."""
    mode = "RGBA" if fmt == "PNG" else "RGB"
    im = Image.new(mode, size, colour)
    width, height = size
    for x in range(0, width, max(1, width // 16)):
        im.paste((x * 255 // width, 80, 200), (x, 0, min(width, x + 4), height))
    buf = io.BytesIO()
    im.save(buf, fmt)
    return buf.getvalue()


def make_asset(
    s3: Any,
    bucket: str,
    key: str,
    size: tuple[int, int] = (1600, 1000),
    fmt: str = "JPEG",
    *,
    data: bytes | None = None,
    alt: str = "",
) -> Asset:
    """Put an original at `key` and create its Asset row directly (as an upload would)."""
    body = image_bytes(size, fmt) if data is None else data
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=CONTENT_TYPES.get(fmt, ""))
    return Asset.objects.create(
        original=key,
        original_name=key.rsplit("/", 1)[-1],
        width=size[0],
        height=size[1],
        format=fmt.lower(),
        bytes=len(body),
        sha256=hashlib.sha256(body + key.encode()).hexdigest(),
        alt_text=alt,
    )


def fetch_image(s3: Any, bucket: str, key: str) -> tuple[Image.Image, dict[str, Any]]:
    """Return the object at `key` opened with Pillow, and its GetObject response."""
    response = s3.get_object(Bucket=bucket, Key=key)
    im = Image.open(io.BytesIO(response["Body"].read()))
    im.load()
    return im, response


def keys_in(s3: Any, bucket: str, prefix: str = "") -> set[str]:
    """Return every key in the bucket under `prefix`."""
    found: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        found.update(obj["Key"] for obj in page.get("Contents", []))
    return found
