"""Admin: replace an asset's original ("Replace image" on the asset's page).

The form takes one file; `imageadmin.assets.replace` applies the upload's checks, stores it
under a new key, purges the old original and variants exactly and warms the new variants. A
refused file is shown on the form's field; S3 trouble is shown the same way, with what to do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.html import format_html

from imageadmin import assets as services
from imageadmin import aws
from imageadmin.conf import conf
from imageadmin.models import Asset

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Asset]
else:
    _ModelAdmin = admin.ModelAdmin

ACCEPT = "image/jpeg,image/png,image/webp,image/gif,image/avif,.jpg,.jpeg,.png,.webp,.gif,.avif"


class ReplaceForm(forms.Form):
    """One image file, checked by the upload's own checks when the form is handled."""

    file = forms.FileField(
        label="New image",
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )


def urls(model_admin: _ModelAdmin) -> list[URLPattern]:
    """Return the replace view's URL pattern (`admin:imageadmin_asset_replace`)."""
    view = model_admin.admin_site.admin_view(
        lambda request, object_id: replace_view(model_admin, request, object_id)
    )
    return [path("<path:object_id>/replace/", view, name="imageadmin_asset_replace")]


def _handle(request: HttpRequest, asset: Asset, form: ReplaceForm) -> HttpResponse | None:
    """Replace the original from a valid form; return where to go, or None with form errors."""
    upload = form.cleaned_data["file"]
    old_name = str(asset)
    try:
        job = services.replace(asset, upload, request.user, name=upload.name)
    except services.DuplicateUpload as err:
        link = reverse("admin:imageadmin_asset_change", args=[err.existing.pk])
        form.add_error("file", format_html('{} <a href="{}">Open it</a>.', err.message, link))
        return None
    except services.UploadRefused as err:
        form.add_error("file", err.message)
        return None
    except aws.AwsUnavailable as err:
        form.add_error("file", f"The file could not be stored; nothing changed. {err}")
        return None
    except aws.AwsError as err:
        message = f"The file could not be stored; nothing changed. {err} Tell the administrator."
        form.add_error("file", message)
        return None
    change_url = reverse("admin:imageadmin_asset_change", args=[asset.pk])
    text = (
        f"“{old_name}” was replaced by “{asset}”: its URLs changed, and the old original and "
        "variants were removed from S3 and the CDN."
    )
    if job is None:
        messages.success(request, text)
        return HttpResponseRedirect(change_url)
    try:
        job_url = reverse("admin:imageadmin_job_change", args=[job.pk])
    except NoReverseMatch:
        messages.success(request, f"{text} Its new variants are being made ({job}).")
        return HttpResponseRedirect(change_url)
    messages.success(
        request,
        format_html('{} Its new variants are being made: <a href="{}">{}</a>.', text, job_url, job),
    )
    return HttpResponseRedirect(job_url)


def replace_view(model_admin: _ModelAdmin, request: HttpRequest, object_id: str) -> HttpResponse:
    """Show the replace form (GET) or replace the asset's original (POST)."""
    asset = model_admin.get_object(request, object_id)
    if asset is None:
        raise Http404(f"There is no asset {object_id!r}.")
    if not model_admin.has_change_permission(request, asset):
        raise PermissionDenied
    posted = request.method == "POST"
    form = ReplaceForm(request.POST, request.FILES) if posted else ReplaceForm()
    if posted and form.is_valid():
        done = _handle(request, asset, form)
        if done is not None:
            return done
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": asset,
        "title": f"Replace the image of “{asset}”",
        "form": form,
        "accepted": services.ACCEPTED,
        "max_bytes": conf.IMAGEADMIN_MAX_UPLOAD_BYTES,
        "max_megapixels": conf.IMAGEADMIN_MAX_UPLOAD_PIXELS / 1_000_000,
        "media": model_admin.media,
    }
    status = 400 if request.method == "POST" else 200
    return TemplateResponse(request, "admin/imageadmin/asset/replace.html", context, status=status)
