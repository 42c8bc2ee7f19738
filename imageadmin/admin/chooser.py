"""The asset chooser's JSON endpoints, mounted by AssetAdmin under .../asset/chooser/.

    GET  chooser/search/?q=red+shoe   assets whose name or alt text has every word (view asset)
    POST chooser/upload/  file=<one>  upload through imageadmin.assets.upload (add asset)
    POST chooser/focal/   asset=<id> focal=<x,y or empty>  set its focal point (change asset)

Only active staff get an answer, and only with the asset permission the action needs; uploads
need the CSRF token. Every answer is JSON, errors included (`{"code": ..., "message": ...}` with
a 4xx status), so the widget's script can show the message as it is. An upload goes through the
same service as the upload page: the same checks, the same messages, and a duplicate answers
with the asset that already has those bytes, for the widget to select.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.html import strip_tags
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from imageadmin import assets as services
from imageadmin import aws, focal_points
from imageadmin.admin import focal as focal_admin
from imageadmin.admin.assets import THUMBNAIL_PRESET, log_store_failure
from imageadmin.logs import log_event
from imageadmin.models import Asset
from imageadmin.presets import ActivePreset, active_presets, named_or_narrowest
from imageadmin.widgets import MAX_PK
from resizer_lambda import focal

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    AssetModelAdmin = ModelAdmin[Asset]
else:
    AssetModelAdmin = Any

ACCEPTED = services.ACCEPTED
SEARCH_LIMIT = 24
MAX_QUERY_CHARS = 200
Endpoint = Callable[[HttpRequest, AssetModelAdmin], HttpResponse]

logger = logging.getLogger(__name__)


def error(status: int, code: str, message: str) -> JsonResponse:
    """Return the JSON error every endpoint answers with."""
    return JsonResponse({"code": code, "message": message}, status=status)


def thumbnail_preset(presets: Sequence[ActivePreset]) -> ActivePreset | None:
    """Return the preset thumbnails use: the asset changelist's, so both show the same file."""
    return named_or_narrowest(presets, THUMBNAIL_PRESET)


def describe(
    asset: Asset, preset: ActivePreset | None = None, *, admin_site: str = "admin"
) -> dict[str, Any]:
    """Return what the chooser shows of an asset: name, size, alt text, thumbnail, admin link.

    `preset` is the thumbnail preset, looked up from the active presets when not given.
    """
    if preset is None:
        preset = thumbnail_preset(active_presets())
    thumbnail = None
    if preset is not None:
        width, height = asset.variant_size(preset.spec)
        thumbnail = {"url": preset.url(asset), "width": width, "height": height}
    try:
        change_url = reverse(f"{admin_site}:imageadmin_asset_change", args=[asset.pk])
    except NoReverseMatch:
        change_url = ""
    return {
        "id": asset.pk,
        "name": str(asset),
        "alt": asset.alt_text,
        "width": asset.width,
        "height": asset.height,
        "format": asset.format,
        "dimensions": f"{asset.width} \N{MULTIPLICATION SIGN} {asset.height}",
        "thumbnail": thumbnail,
        "change_url": change_url,
        "focal": "" if asset.focal is None else focal.format_value(asset.focal),
    }


def clean_query(raw: str) -> str:
    """Return the search text without control characters (PostgreSQL refuses NUL in LIKE)."""
    text = "".join(c for c in raw if unicodedata.category(c) not in ("Cc", "Cf"))
    return " ".join(text.split())


def matching(rows: QuerySet[Asset], query: str) -> QuerySet[Asset]:
    """Return the rows whose name or alt text has every word ("#12" or "12" also finds id 12)."""
    for word in query.split():
        match = Q(original_name__icontains=word) | Q(alt_text__icontains=word)
        digits = word.removeprefix("#")
        if digits.isdecimal() and digits.isascii() and 0 < int(digits) <= MAX_PK:
            match |= Q(pk=int(digits))
        rows = rows.filter(match)
    return rows


def search(request: HttpRequest, model_admin: AssetModelAdmin) -> HttpResponse:
    """Answer the first SEARCH_LIMIT matches, newest first, and whether there are more."""
    if not model_admin.has_view_permission(request):
        return error(403, "permission_denied", "You do not have permission to view images.")
    query = clean_query(request.GET.get("q", ""))
    if len(query) > MAX_QUERY_CHARS:
        return error(400, "query_too_long", f"Search for at most {MAX_QUERY_CHARS} characters.")
    found = list(matching(model_admin.get_queryset(request), query)[: SEARCH_LIMIT + 1])
    preset = thumbnail_preset(active_presets())
    site = model_admin.admin_site.name
    return JsonResponse(
        {
            "query": query,
            "results": [describe(a, preset, admin_site=site) for a in found[:SEARCH_LIMIT]],
            "more": len(found) > SEARCH_LIMIT,
            "limit": SEARCH_LIMIT,
        }
    )


def upload(request: HttpRequest, model_admin: AssetModelAdmin) -> HttpResponse:
    """Upload one file as a new asset; a duplicate answers with the existing asset instead."""
    if not model_admin.has_add_permission(request):
        return error(403, "permission_denied", "You do not have permission to upload images.")
    try:
        files = request.FILES.getlist("file")
    except (MultiPartParserError, RequestDataTooBig, TooManyFilesSent) as err:
        return error(400, "bad_request", f"The upload could not be read: {err}")
    if len(files) != 1:
        return error(400, "one_file", "Send one image file in the field 'file'.")
    name = services.display_name(files[0].name)
    site = model_admin.admin_site.name
    try:
        asset = services.upload(files[0], request.user, name=name)
    except services.DuplicateUpload as err:
        return JsonResponse(
            {
                "asset": describe(err.existing, admin_site=site),
                "duplicate": True,
                "message": f"{err.message} That image is now selected.",
            }
        )
    except services.UploadRefused as err:
        return error(422, err.code, err.message)
    except aws.AwsUnavailable as err:  # its message says to try again
        log_store_failure(name, err)
        return error(503, "storage_unavailable", f"{name} could not be stored. {err}")
    except aws.AwsError as err:  # a setting to fix: the same upload would fail again
        log_store_failure(name, err)
        return error(
            502,
            "storage_refused",
            f"{name} could not be stored. {err} Tell the site's administrator.",
        )
    model_admin.log_addition(request, asset, [{"added": {}}])
    return JsonResponse(
        {
            "asset": describe(asset, admin_site=site),
            "duplicate": False,
            "message": f"Uploaded {name}.",
        },
        status=201,
    )


def set_focal(request: HttpRequest, model_admin: AssetModelAdmin) -> HttpResponse:
    """Set the chosen asset's focal point (`focal=x,y`; empty: the centre), as the asset page does.

    The same service saves it (`imageadmin.focal_points.change`): S3 metadata first, then the
    row, then its cover variants are purged and warmed again.
    """
    raw_id = request.POST.get("asset", "")
    pk = int(raw_id) if raw_id.isdecimal() and raw_id.isascii() and len(raw_id) < 19 else 0
    asset = model_admin.get_queryset(request).filter(pk=pk).first() if pk else None
    if asset is None:
        return error(404, "not_found", f"There is no image #{raw_id[:20]}.")
    if not model_admin.has_change_permission(request, asset):
        return error(403, "permission_denied", "You do not have permission to change images.")
    value = request.POST.get("focal", "").strip()
    try:
        point = focal.parse(value) if value else None
    except focal.BadFocal as err:
        return error(400, "bad_focal", str(err))
    try:
        remade = focal_points.change(asset, point, request.user)
    except aws.AwsUnavailable as err:
        return error(503, "storage_unavailable", f"The focal point was not changed. {err}")
    except aws.AwsError as err:
        log_event(
            logger,
            "focal.failed",
            level=logging.ERROR,
            exc_info=True,
            asset=asset.pk,
            error=str(err),
        )
        return error(502, "storage_refused", f"The focal point was not changed. {err}")
    model_admin.log_change(request, asset, [{"changed": {"fields": ["focal_x", "focal_y"]}}])
    text, _ = focal_admin.remade_message(remade)
    return JsonResponse(
        {
            "asset": describe(asset, admin_site=model_admin.admin_site.name),
            "message": strip_tags(str(text)),
            "job": remade.job.pk if remade.job is not None else None,
        }
    )


def endpoint(model_admin: AssetModelAdmin, view: Endpoint, method: str) -> Callable[..., Any]:
    """Return `view` for active staff only, answering JSON where the admin would redirect.

    `admin_site.admin_view` sends a logged-out user to the login page, which a script cannot
    show; here they get a JSON 403 saying so. CSRF and no-cache are as for admin views.
    """

    def wrapper(request: HttpRequest) -> HttpResponse:
        if not model_admin.admin_site.has_permission(request):
            return error(
                403, "login_required", "Log in to the admin again: your session has ended."
            )
        if request.method != method:
            response = error(405, "method_not_allowed", f"Use {method}.")
            response["Allow"] = method
            return response
        return view(request, model_admin)

    return csrf_protect(never_cache(wrapper))


def urls(model_admin: AssetModelAdmin) -> list[URLPattern]:
    """Return the chooser's URL patterns for AssetAdmin.get_urls."""
    prefix = f"{model_admin.opts.app_label}_{model_admin.opts.model_name}_chooser"
    return [
        path("chooser/search/", endpoint(model_admin, search, "GET"), name=f"{prefix}_search"),
        path("chooser/upload/", endpoint(model_admin, upload, "POST"), name=f"{prefix}_upload"),
        path("chooser/focal/", endpoint(model_admin, set_focal, "POST"), name=f"{prefix}_focal"),
    ]
