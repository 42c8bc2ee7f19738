"""The focal point on the asset page: the picker, its previews and the change form's handling.

The asset's picture is shown with a crosshair where the focal point is; clicking moves it (and
the arrow keys nudge it), writing fractions into the hidden `focal_x`/`focal_y` fields, and
**Reset to centre** empties them. Beside it, each active cover preset's crop is previewed by
`preview_view`, which renders it in-process with the resizer's own code
(`imageadmin.previews.render`): the crop geometry has one owner (`resizer_lambda.focal`) and the
editor sees exactly what the Lambda will make, clamping and upscaling rules included, instead of
a rectangle drawn by a JavaScript copy of the arithmetic. Saving goes through
`imageadmin.focal_points` (S3 metadata, then purge and re-warm of the cover variants).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from imageadmin import focal_points, previews
from imageadmin.models import Asset
from imageadmin.presets import ActivePreset, active_presets
from resizer_lambda import focal

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

    AssetModelAdmin = ModelAdmin[Asset]
else:
    AssetModelAdmin = Any

FIELDS = ("focal_x", "focal_y")
PREVIEW_BOX = 160  # CSS pixels a cover preview is shown within


class AssetForm(forms.ModelForm):  # type: ignore[type-arg]
    """The asset change form: focal_x/focal_y are hidden, so their errors are shown on top."""

    class Meta:
        model = Asset
        fields = ("alt_text", *FIELDS)
        widgets = {name: forms.HiddenInput for name in FIELDS}

    def full_clean(self) -> None:
        super().full_clean()
        for name in FIELDS:
            for message in self.errors.pop(name, []):
                self.add_error(None, f"Focal point ({name}): {message}")


def cover_presets(presets: list[ActivePreset] | None = None) -> list[ActivePreset]:
    """Return the active presets whose crop follows the focal point."""
    rows = active_presets() if presets is None else presets
    return [p for p in rows if p.spec.fit == "cover"]


def _preview_box(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, PREVIEW_BOX / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def picker_html(asset: Asset, preset: ActivePreset | None) -> SafeString | str:
    """Return the picker: the picture (CDN URL of `preset`), crosshair, reset, cover previews."""
    if not asset.pk or preset is None:
        return ""
    width, height = asset.variant_size(preset.spec)
    point = asset.focal or focal.CENTRE
    value = "" if asset.focal is None else focal.format_value(asset.focal)
    covers = cover_presets()
    preview_url = reverse("admin:imageadmin_asset_focal_preview", args=[asset.pk])
    figures = format_html_join(
        "",
        '<figure class="focal-preview"><img data-preset="{}" alt="{} crop" width="{}" '
        'height="{}"><figcaption>{} <span>{} \N{MULTIPLICATION SIGN} {}</span></figcaption>'
        "</figure>",
        (
            (
                p.name,
                p.name,
                *_preview_box(*asset.variant_size(p.spec)),
                p.name,
                *asset.variant_size(p.spec),
            )
            for p in covers
        ),
    )
    if not covers:
        figures = format_html(
            '<p class="help">{}</p>',
            "No active preset crops (fit “cover”), so the focal point changes no image yet; "
            "it is kept for when one does.",
        )
    return format_html(
        '<div class="focal-picker" data-focal-picker data-preview-url="{url}" data-value="{value}">'
        '<div class="focal-frame" tabindex="0" role="group" '
        'aria-label="Focal point: click the picture or use the arrow keys" '
        'style="width: {w}px; aspect-ratio: {w} / {h}">'
        '<img class="focal-image" src="{src}" width="{w}" height="{h}" alt="{alt}"'
        ' draggable="false">'
        '<span class="focal-marker" style="left: {left}%; top: {top}%" aria-hidden="true"></span>'
        "</div>"
        '<p class="focal-status" aria-live="polite">{text}</p>'
        '<p><button type="button" class="button focal-reset">Reset to centre</button></p>'
        '<p class="help">Click the point that must stay in frame when a preset crops the image; '
        "the arrow keys move it (with Shift, ten times as far). Save to apply it: the cover "
        "variants are then made again.</p>"
        '<div class="focal-previews">{figures}</div>'
        "</div>",
        url=preview_url,
        value=value,
        text=describe(asset.focal),
        src=asset.variant_url(preset.name),
        w=width,
        h=height,
        alt=asset.alt_text,
        left=f"{point.x * 100:.2f}",
        top=f"{point.y * 100:.2f}",
        figures=figures,
    )


def describe(point: focal.Focal | None) -> str:
    """Return the point for people: "x 70.0%, y 48.0%" or "the centre"."""
    if point is None:
        return "Focal point: the centre (not set)"
    return f"Focal point: x {point.x * 100:.1f}%, y {point.y * 100:.1f}% from the top left"


def preview_view(
    request: HttpRequest, model_admin: AssetModelAdmin, object_id: str
) -> HttpResponse:
    """Return one cover preset of the asset cropped around `focal=x,y` (empty: the centre)."""
    asset = model_admin.get_object(request, object_id)
    if asset is None:
        raise Http404("no such asset")
    if not model_admin.has_view_permission(request, asset):
        raise PermissionDenied
    name = request.GET.get("preset", "")
    preset = next((p for p in cover_presets() if p.name == name), None)
    if preset is None:
        message = f"preset: {name!r} is not an active cover preset"
        return JsonResponse({"error": message, "field": "preset"}, status=404)
    try:
        point = previews.focal_from_params(request.GET, asset)
        rendered = previews.render(asset, preset.spec, point)
    except previews.PreviewError as err:
        return JsonResponse({"error": err.message, "field": err.field}, status=err.status)
    response = HttpResponse(rendered.data, content_type=rendered.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Preview-Width"] = str(rendered.width)
    response["X-Preview-Height"] = str(rendered.height)
    return response


def urls(model_admin: AssetModelAdmin) -> list[URLPattern]:
    """Return the picker's URL pattern for AssetAdmin.get_urls."""

    def view(request: HttpRequest, object_id: str) -> HttpResponse:
        return preview_view(request, model_admin, object_id)

    wrapped = model_admin.admin_site.admin_view(never_cache(require_GET(view)))
    name = f"{model_admin.opts.app_label}_{model_admin.opts.model_name}_focal_preview"
    return [path("<path:object_id>/focal-preview/", wrapped, name=name)]


def remade_message(remade: focal_points.Remade) -> tuple[SafeString | str, int]:
    """Return what saving a new focal point did, and the message level, for the admin."""
    if not remade.presets:
        return "Focal point saved. No preset crops (fit “cover”), so no variant changed.", 25
    names = ", ".join(remade.presets)
    if remade.error is not None:
        text = (
            f"Focal point saved, but the old {names} variants could not be deleted: "
            f"{remade.error} They keep the old crop until purged (action “Purge variants”)."
        )
        return text, 40
    parts = [f"Focal point saved. The {names} variants of this image were deleted"]
    purged = remade.purged
    if purged is not None and purged.invalidation is not None:
        parts.append(f" and CloudFront told to forget them (invalidation {purged.invalidation.id})")
    elif purged is not None and purged.error is not None:
        parts.append(f", but the CloudFront invalidation failed ({purged.error}): the CDN may show "
                     "the old crop until it expires")  # fmt: skip
    if remade.job is None:
        return format_html("{}; they are made again on their next request.", "".join(parts)), 25
    job_url = reverse("admin:imageadmin_job_change", args=[remade.job.pk])
    return format_html(
        '{}; <a href="{}">{}</a> makes them again around the new point.',
        "".join(parts),
        job_url,
        f"job #{remade.job.pk}",
    ), 25
