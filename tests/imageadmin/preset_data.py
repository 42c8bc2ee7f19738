"""Assets and variants for the preset, role and browser tests: real images in moto's S3."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from django.utils import timezone
from PIL import Image, ImageDraw

from imageadmin import storage, versions
from imageadmin.models import Asset, Preset, Variant, VariantStatus

CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def picture(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """Return a picture with a gradient sky, a sun and hills (crops and pads are visible)."""
    shade = Image.linear_gradient("L").resize((width, height))
    red, green = shade.point(lambda v: 40 + v // 2), shade.point(lambda v: 110 + v // 3)
    im = Image.merge("RGB", (red, green, Image.new("L", (width, height), 210)))
    draw = ImageDraw.Draw(im)
    r = min(width, height) // 6
    draw.ellipse((width * 0.7 - r, height * 0.3 - r, width * 0.7 + r, height * 0.3 + r),
                 fill=(250, 200, 60))  # fmt: skip
    draw.polygon([(0, height), (0, height * 0.65), (width * 0.35, height * 0.5),
                  (width * 0.7, height * 0.7), (width, height * 0.55), (width, height)],
                 fill=(50, 140, 70))  # fmt: skip
    return im.convert(mode) if mode != "RGB" else im


def encode(im: Image.Image, fmt: str = "JPEG") -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return buf.getvalue()


def make_asset(
    name: str = "harbour.jpg",
    size: tuple[int, int] = (800, 600),
    fmt: str = "JPEG",
    data: bytes | None = None,
    store: bool = True,
) -> Asset:
    """Store an original in S3 (unless `store` is false) and return its Asset row."""
    data = encode(picture(*size), fmt) if data is None else data
    key = f"originals/2026/11/{name}"
    if store:
        storage.write(key, data, CONTENT_TYPES.get(fmt, "application/octet-stream"), "private")
    return Asset.objects.create(
        original=key,
        original_name=name,
        width=size[0],
        height=size[1],
        format=fmt.lower(),
        bytes=len(data),
        sha256=hashlib.sha256(data + name.encode()).hexdigest(),
    )


def make_variants(
    preset: Preset, assets: list[Asset], size: int = 1000, status: str = VariantStatus.READY
) -> list[Variant]:
    """Create Variant rows of `preset` for `assets` (the objects themselves are not needed)."""
    return [
        Variant.objects.create(
            asset=asset,
            preset=preset,
            key=asset.variant_key(preset.name),
            token=versions.current_token(preset.name) or "",
            width=preset.width,
            height=preset.height or preset.width,
            bytes=size,
            status=status,
            generated_at=timezone.now(),
        )
        for asset in assets
    ]


def preset_form(preset: Preset, **changes: Any) -> dict[str, Any]:
    """Return the POST data of the preset change form for `preset`, with `changes` applied."""
    data: dict[str, Any] = {
        "name": preset.name,
        "width": preset.width,
        "height": preset.height or "",
        "fit": preset.fit,
        "format": preset.format,
        "quality": preset.quality,
        "background": preset.background,
        "expire_days": preset.expire_days or "",
        "position": preset.position,
    }
    if preset.active:
        data["active"] = "on"
    if preset.upscale:
        data["upscale"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}
