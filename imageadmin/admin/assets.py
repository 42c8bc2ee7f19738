"""Admin for assets: drag-and-drop upload, a changelist that scales, URLs and snippets to copy.

Every S3 effect goes through `imageadmin.assets` (upload, delete) or `imageadmin.variants`
(generate, purge); rows show CDN URLs built from the key string, never storage calls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from imageadmin import assets as services
from imageadmin import aws, focal_points, variants, warming
from imageadmin.admin import focal as focal_admin
from imageadmin.admin.variants import when
from imageadmin.conf import conf
from imageadmin.logs import log_event
from imageadmin.models import Asset, Job, Variant
from imageadmin.presets import ActivePreset, active_presets, named_or_narrowest
from imageadmin.templatetags import images

if TYPE_CHECKING:  # generic to the type checker; Django's class takes no subscript at run time
    _ModelAdmin = admin.ModelAdmin[Asset]
else:
    _ModelAdmin = admin.ModelAdmin

logger = logging.getLogger(__name__)

THUMBNAIL_PRESET = "small"
PREVIEW_PRESET = "medium"


@dataclass(frozen=True)
class PresetUrl:
    """One preset's CDN URL for an asset, with the size the resizer will make."""

    preset: str
    url: str
    width: int
    height: int


@dataclass
class UploadResult:
    """What happened to one file of an upload batch."""

    name: str
    asset: Asset | None = None
    error: str = ""
    duplicate: bool = False
    urls: list[PresetUrl] = field(default_factory=list)
    job: Job | None = None  # the variants being made in the background (warming)
    warm_formats: str = ""  # which, for people

    @property
    def status(self) -> int:
        return 201 if self.asset and not self.duplicate else 200 if self.asset else 422


def preset_urls(asset: Asset, presets: Sequence[ActivePreset]) -> list[PresetUrl]:
    """Return the asset's URL and output size for each preset (no S3 call)."""
    out = []
    for preset in presets:
        width, height = asset.variant_size(preset.spec)
        out.append(PresetUrl(preset.name, preset.url(asset), width, height))
    return out


def log_store_failure(name: str, err: aws.AwsError) -> None:
    """Log an upload S3 could not store (inside the `except`): `upload.failed`.

    A warning when S3 was unavailable (the next try may work), an error with the traceback when
    it refused (a setting or a permission to fix). The upload page and the chooser both call it.
    """
    unavailable = isinstance(err, aws.AwsUnavailable)
    log_event(
        logger,
        "upload.failed",
        level=logging.WARNING if unavailable else logging.ERROR,
        exc_info=not unavailable,
        name=name,
        reason="unavailable" if unavailable else "refused",
        error=str(err),
    )


def thumbnail_html(asset: Asset, preset: ActivePreset | None) -> SafeString | str:
    if preset is None:
        return ""
    width, height = asset.variant_size(preset.spec)
    return format_html(
        '<img class="assets-thumb" src="{}" width="{}" height="{}" alt="" loading="lazy">',
        preset.url(asset),
        width,
        height,
    )


def img_snippet(asset: Asset, presets: Sequence[ActivePreset]) -> str:
    """Return an `<img srcset sizes>` tag with the same candidates as the {% picture %} tag."""
    candidates = images.responsive_candidates(asset, presets)
    if not candidates:
        return ""
    preset, width, height = candidates[-1]
    return format_html(
        '<img src="{}"\n     srcset="{}"\n     sizes="{}"\n     width="{}" height="{}" alt="{}"'
        ' loading="lazy" decoding="async">',
        preset.url(asset),
        images.srcset(asset, None, presets).replace(", ", ",\n             "),
        _sizes(width),
        width,
        height,
        asset.alt_text,
    )


def picture_snippet(asset: Asset, presets: Sequence[ActivePreset]) -> str:
    """Return the {% picture %} tag's HTML for the asset, one element a line."""
    candidates = images.responsive_candidates(asset, presets)
    if not candidates:
        return ""
    html = str(images.picture_html(asset, _sizes(candidates[-1][1]), presets=presets))
    for tag in ("<source ", "<img "):
        html = html.replace(tag, "\n  " + tag)
    return html.replace("</picture>", "\n</picture>")


def _sizes(widest: int) -> str:
    return f"(max-width: {widest}px) 100vw, {widest}px"


@admin.register(Asset)
class AssetAdmin(_ModelAdmin):
    list_display = (
        "thumbnail",
        "original_name",
        "size",
        "format",
        "dimensions",
        "uploaded_by",
        "created",
    )
    list_display_links = ("original_name",)
    list_select_related = ("uploaded_by",)
    list_filter = ("format", "created_at", ("uploaded_by", admin.RelatedOnlyFieldListFilter))
    search_fields = ("original_name", "alt_text", "original")
    list_per_page = 100
    form = focal_admin.AssetForm
    fields = (
        "preview",
        *focal_admin.FIELDS,
        "original_name",
        "alt_text",
        "key",
        "dimensions",
        "format",
        "size",
        "sha256",
        "uploaded_by",
        "created_at",
        "updated_at",
    )
    readonly_fields = tuple(f for f in fields if f not in ("alt_text", *focal_admin.FIELDS))
    actions = ["generate_variants", "purge_variants"]

    class Media:
        css = {"all": ("imageadmin/assets.css", "imageadmin/changelist.css")}
        js = ("imageadmin/assets_copy.js", "imageadmin/focal_point.js")

    # --- columns and read-only fields ---------------------------------------------------------

    @admin.display(description="")
    def thumbnail(self, obj: Asset) -> SafeString | str:
        # The changelist binds the preset once per request (get_list_display); this is the
        # fallback for any other caller.
        return thumbnail_html(obj, named_or_narrowest(active_presets(), THUMBNAIL_PRESET))

    @admin.display(description="size", ordering="bytes")
    def size(self, obj: Asset) -> str:
        return str(filesizeformat(obj.bytes))

    @admin.display(description="dimensions", ordering="width")
    def dimensions(self, obj: Asset) -> str:
        return f"{obj.width} x {obj.height}"

    @admin.display(description="created", ordering="created_at")
    def created(self, obj: Asset) -> str:
        return when(obj.created_at)  # compact: the changelist has many columns

    @admin.display(description="S3 key")
    def key(self, obj: Asset) -> str:
        return obj.key

    @admin.display(description="preview and focal point")
    def preview(self, obj: Asset) -> SafeString | str:
        """Show the picture with the focal point picker (`imageadmin.admin.focal`)."""
        return focal_admin.picker_html(obj, named_or_narrowest(active_presets(), PREVIEW_PRESET))

    def get_list_display(self, request: HttpRequest) -> list[str | Callable[[Asset], str | bool]]:
        """Bind the thumbnail column to one preset lookup per request, not one per row."""
        # Django asks for the list display more than once per request: look the preset up once.
        if not hasattr(request, "_assets_thumbnail_preset"):
            request._assets_thumbnail_preset = named_or_narrowest(  # type: ignore[attr-defined]
                active_presets(), THUMBNAIL_PRESET
            )
        preset: ActivePreset | None = request._assets_thumbnail_preset  # type: ignore[attr-defined]

        @admin.display(description="")
        def thumbnail(obj: Asset) -> SafeString | str:
            return thumbnail_html(obj, preset)

        return [thumbnail if f == "thumbnail" else f for f in self.list_display]

    # --- views --------------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        from imageadmin.admin import chooser, replace  # they import this module

        info = self.opts.app_label, self.opts.model_name
        upload = path(
            "upload/",
            self.admin_site.admin_view(self.upload_view),
            name="{}_{}_upload".format(*info),
        )
        # Before the admin's own patterns, whose "<path:object_id>/" would take "chooser/...".
        return [
            upload,
            *chooser.urls(self),
            *focal_admin.urls(self),
            *replace.urls(self),
            *super().get_urls(),
        ]

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Send "Add asset" to the upload page: an asset is made from a file, not a form."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("admin:imageadmin_asset_upload"))

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """Upload many files: each is checked and stored on its own; bad ones say why."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        results: list[UploadResult] = []
        if request.method == "POST":
            presets = active_presets()
            results = [
                self._upload_one(request, f, presets) for f in request.FILES.getlist("files")
            ]
            if request.POST.get("fragment"):
                return self._fragment(request, results)
            if not results:
                messages.warning(request, "Choose one or more image files to upload.")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Upload images",
            "results": results,
            "accepted": services.ACCEPTED,
            "max_bytes": conf.IMAGEADMIN_MAX_UPLOAD_BYTES,
            "max_megapixels": conf.IMAGEADMIN_MAX_UPLOAD_PIXELS / 1_000_000,
            "media": self.media,
            "ok_count": sum(1 for r in results if r.asset and not r.duplicate),
            "error_count": sum(1 for r in results if r.error and not r.duplicate),
        }
        return TemplateResponse(request, "admin/imageadmin/asset/upload.html", context)

    def _upload_one(
        self, request: HttpRequest, file: Any, presets: list[ActivePreset]
    ) -> UploadResult:
        name = services.display_name(file.name)
        try:
            asset = services.upload(file, request.user, name=name, warm=False)
        except services.DuplicateUpload as err:
            return UploadResult(
                name, err.existing, err.message, True, preset_urls(err.existing, presets)
            )
        except services.UploadRefused as err:
            return UploadResult(name, error=err.message)
        except aws.AwsUnavailable as err:  # its message says to try again
            log_store_failure(name, err)
            return UploadResult(name, error=f"{name} could not be stored. {err}")
        except aws.AwsError as err:  # a setting to fix: another try would fail the same way
            log_store_failure(name, err)
            message = f"{name} could not be stored. {err} Tell the site's administrator."
            return UploadResult(name, error=message)
        self.log_addition(request, asset, [{"added": {}}])
        # Warmed here rather than by the upload service, so that the row can link to the job.
        job = variants.start_warm([asset.pk], request.user)
        if job is not None:
            job.refresh_from_db()  # without a broker it has run already
        formats = warming.describe(warming.configured())
        return UploadResult(
            name, asset, urls=preset_urls(asset, presets), job=job, warm_formats=formats
        )

    def _fragment(self, request: HttpRequest, results: list[UploadResult]) -> HttpResponse:
        """Answer one file's XHR with its result row (the same template as the full page)."""
        body = "".join(
            render_to_string(
                "admin/imageadmin/asset/upload_result.html", {"result": r}, request=request
            )
            for r in results
        )
        status = results[0].status if len(results) == 1 else 200
        return HttpResponse(body, status=status if results else 400)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = dict(extra_context or {})
        asset = self.get_object(request, object_id)
        if asset is not None:
            presets = active_presets()
            extra["asset_urls"] = preset_urls(asset, presets)
            extra["img_snippet"] = img_snippet(asset, presets)
            extra["picture_snippet"] = picture_snippet(asset, presets)
        # "Save and add another" would lead to the upload page and lose the point; hide it.
        extra["show_save_and_add_another"] = False
        return super().change_view(request, object_id, form_url, extra)

    def save_model(self, request: HttpRequest, obj: Asset, form: Any, change: bool) -> None:
        """Save; a moved focal point goes to S3 first, then its cover variants are re-made."""
        moved = change and any(name in form.changed_data for name in focal_admin.FIELDS)
        if moved:
            try:
                focal_points.store(obj)
            except aws.AwsError as err:  # S3 keeps the old point: so does the row
                obj.focal_x = form.initial.get("focal_x")
                obj.focal_y = form.initial.get("focal_y")
                self.message_user(
                    request, f"The focal point was not changed: {err}", messages.ERROR
                )
                moved = False
        super().save_model(request, obj, form, change)
        if moved:
            text, level = focal_admin.remade_message(
                focal_points.remake_cover_variants(obj, request.user)
            )
            self.message_user(request, text, level)

    # --- deleting goes through the service (S3 after commit) ----------------------------------

    def get_deleted_objects(
        self, objs: Sequence[Asset] | QuerySet[Asset], request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        """Let an asset go with its Variant rows, which no one may delete on their own.

        The rows record objects in S3 (the variant admin is read-only so that they cannot lie);
        the delete service removes the objects with them. Without this, Django would refuse to
        delete any asset that has variants, for want of a "delete variant" permission.
        """
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed = perms_needed - {str(Variant._meta.verbose_name)}
        return deleted, counts, perms_needed, protected

    def delete_model(self, request: HttpRequest, obj: Asset) -> None:
        services.delete_assets([obj.pk])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Asset]) -> None:
        services.delete_assets(queryset)

    # --- actions: variants through imageadmin.variants, then the Job's page -------------------

    @admin.action(description="Generate variants now", permissions=["change"])
    def generate_variants(
        self, request: HttpRequest, queryset: QuerySet[Asset]
    ) -> HttpResponse | None:
        ids = list(queryset.values_list("pk", flat=True))
        return self._show_job(request, variants.start_generate(asset_ids=ids, user=request.user))

    @admin.action(description="Purge variants", permissions=["change"])
    def purge_variants(
        self, request: HttpRequest, queryset: QuerySet[Asset]
    ) -> HttpResponse | None:
        ids = list(queryset.values_list("pk", flat=True))
        return self._show_job(request, variants.start_purge(asset_ids=ids, user=request.user))

    def _show_job(self, request: HttpRequest, job: Job) -> HttpResponse | None:
        """Send the user to the job's progress page (or say it started, without the jobs admin)."""
        try:
            return HttpResponseRedirect(reverse("admin:imageadmin_job_change", args=[job.pk]))
        except NoReverseMatch:
            self.message_user(request, f"Started {job}.", messages.SUCCESS)
            return None
