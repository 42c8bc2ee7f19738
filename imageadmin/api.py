"""Read-only JSON for front-ends: the active presets, and one asset's variant URLs and sizes.

Answers are public and cacheable for a minute. The ETag is a hash of the body, so it changes
exactly when the answer does; `If-None-Match` gets a 304 through Django's own conditional-GET
logic (`get_conditional_response`, what ConditionalGetMiddleware and `@condition` use). Nothing
here touches S3: sizes are computed from the asset's stored dimensions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import quote_etag

from imageadmin.models import Asset
from imageadmin.presets import ActivePreset, active_presets
from resizer_lambda import keys

MAX_AGE = 60
EXPLICIT_FORMATS: tuple[keys.KeyFormat, ...] = ("avif", "webp")
SAFE_METHODS = ("GET", "HEAD")
View = Callable[..., HttpResponse]


def _error(status: int, code: str, message: str) -> JsonResponse:
    response = JsonResponse({"code": code, "message": message}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def safe_only(view: View) -> View:
    """Answer anything but GET and HEAD with a JSON 405 and an Allow header."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in SAFE_METHODS:
            response = _error(405, "method_not_allowed", f"{request.method} is not allowed")
            response["Allow"] = ", ".join(SAFE_METHODS)
            return response
        return view(request, *args, **kwargs)

    return wrapper


def cacheable(request: HttpRequest, payload: dict[str, Any]) -> HttpResponse:
    """Return `payload` as public JSON with an ETag, or a 304 when the client has it already."""
    body = json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
    data = body.encode()
    etag = quote_etag(hashlib.sha256(data).hexdigest()[:32])
    response = HttpResponse(data, content_type="application/json")
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    conditional = get_conditional_response(request, etag=etag, response=response)
    return response if conditional is None else conditional


def preset_json(preset: ActivePreset) -> dict[str, Any]:
    spec = preset.spec
    return {
        "name": spec.name,
        "width": spec.width,
        "height": spec.height,
        "fit": spec.fit,
        "format": spec.format,
        "token": preset.token,
        "negotiate": preset.negotiate,
        "densities": [1, 2] if preset.has_density else [1],
    }


def asset_json(asset: Asset, presets: list[ActivePreset]) -> dict[str, Any]:
    """Return the asset with, per active preset, its current URLs and computed sizes.

    URLs carry the preset's published token (imageadmin.versions); `url` is the `.auto` URL of
    a preset with format negotiation. A cover or contain preset adds `2x`: the same for its
    `@2x` rendition.
    """
    variants: dict[str, dict[str, Any]] = {}
    for preset in presets:
        variants[preset.name] = _entry(asset, preset, 1)
        if preset.has_density:
            variants[preset.name]["2x"] = _entry(asset, preset, 2)
    return {
        "id": asset.pk,
        "key": asset.key,
        "width": asset.width,
        "height": asset.height,
        "format": asset.format,
        "alt": asset.alt_text,
        "focal": _focal_json(asset),
        "variants": variants,
    }


def _focal_json(asset: Asset) -> dict[str, float] | None:
    """Return the focal point as fractions of the width and height (CSS `object-position`)."""
    point = asset.focal
    return None if point is None else {"x": point.x, "y": point.y}


def _entry(asset: Asset, preset: ActivePreset, density: int) -> dict[str, Any]:
    width, height = asset.variant_size(preset.spec, density)
    entry: dict[str, Any] = {
        "url": preset.url(asset, density=density),
        "width": width,
        "height": height,
    }
    for fmt in EXPLICIT_FORMATS:
        entry[fmt] = preset.url(asset, fmt, density)
    return entry


@safe_only
def presets_view(request: HttpRequest) -> HttpResponse:
    """GET /api/presets: the active presets in admin order."""
    return cacheable(request, {"presets": [preset_json(p) for p in active_presets()]})


@safe_only
def asset_view(request: HttpRequest, asset_id: int) -> HttpResponse:
    """GET /api/assets/<id>: one asset and its variants' URLs and sizes, or a JSON 404."""
    asset = Asset.objects.filter(pk=asset_id).first()
    if asset is None:
        return _error(404, "not_found", f"no asset with id {asset_id}")
    return cacheable(request, asset_json(asset, active_presets()))
