"""Admin for presets: storage per preset, a live preview, and what saving a change affects.

Only preset admins (and superusers) have preset permissions; the admin's own permission checks
refuse everyone else, and the preview and impact endpoints ask the same questions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.urls import URLPattern, path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import escape, format_html
from django.views.decorators.http import require_GET

from imageadmin import previews
from imageadmin.admin.variants import freshness_context
from imageadmin.conf import conf
from imageadmin.models import MAX_ACTIVE_PRESETS, Preset, Variant, VariantStatus
from imageadmin.publishing.pending import pending_changes
from imageadmin.variants import mark_stale, start_purge

if TYPE_CHECKING:  # generic to the type checker; Django's class takes no subscript at run time
    from django_stubs_ext import WithAnnotations

    _ModelAdmin = admin.ModelAdmin[Preset]

    class _Storage(TypedDict):
        """What `PresetAdmin.get_queryset` annotates each preset with."""

        variant_count: int
        variant_bytes: int
        stale_count: int
        stale_bytes: int

    ListedPreset = WithAnnotations[Preset, _Storage]
else:
    _ModelAdmin = admin.ModelAdmin

TIMES = "\N{NO-BREAK SPACE}\N{MULTIPLICATION SIGN}\N{NO-BREAK SPACE}"
BAR_WIDTH = 120
BAR_HEIGHT = 10
_STALE = Q(variants__status=VariantStatus.STALE)


class PresetChangeList(ChangeList):
    """Give every row of the page the page's largest storage, to scale the storage bars."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        largest = max((p.variant_bytes for p in self.result_list), default=0)
        for preset in self.result_list:
            preset.largest_bytes = largest


@admin.register(Preset)
class PresetAdmin(_ModelAdmin):
    list_display = ["name", "size", "fit_name", "format_name", "active", "variants", "storage"]
    list_display_links = ["name"]
    list_filter = ["active", "fit", "format"]
    search_fields = ["name"]
    fieldsets = [
        (None, {"fields": ["name", "active", "position"]}),
        (
            "Output",
            {"fields": [("width", "height"), "fit", "format", "quality", "upscale", "background"]},
        ),
        ("Delivery", {"fields": ["negotiate"]}),
        ("Housekeeping", {"fields": ["expire_days"]}),
    ]

    class Media:
        css = {"all": ["imageadmin/preset.css", "imageadmin/freshness.css"]}
        js = ["imageadmin/preset_preview.js"]

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "name" and field is not None:
            # The admin renders help text as HTML: spell the URL pattern out, escaped.
            url = f"{conf.IMAGEADMIN_CDN_URL}/<name>/<original key>"
            field.help_text = escape(f"Used in URLs: {url}. Lowercase letters, digits, - and _.")
        return field

    def get_queryset(self, request: HttpRequest) -> QuerySet[Preset]:
        # One GROUP BY query for the whole page: counts and bytes per preset, stale ones apart.
        return (
            super()
            .get_queryset(request)
            .annotate(
                variant_count=Count("variants"),
                variant_bytes=Coalesce(Sum("variants__bytes"), 0),
                stale_count=Count("variants", filter=_STALE),
                stale_bytes=Coalesce(Sum("variants__bytes", filter=_STALE), 0),
            )
        )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return PresetChangeList

    @admin.display(description="size")
    def size(self, obj: Preset) -> str:
        return f"{obj.width}{TIMES}{obj.height or 'auto'}"

    @admin.display(description="fit", ordering="fit")
    def fit_name(self, obj: Preset) -> str:
        return obj.fit

    @admin.display(description="format", ordering="format")
    def format_name(self, obj: Preset) -> str:
        return obj.format

    @admin.display(description="variants", ordering="variant_count")
    def variants(self, obj: ListedPreset) -> str:
        url = reverse("admin:imageadmin_variant_changelist") + f"?preset__id__exact={obj.pk}"
        stale = f" ({obj.stale_count:,} stale)" if obj.stale_count else ""
        return format_html('<a href="{}">{}</a>{}', url, f"{obj.variant_count:,}", stale)

    @admin.display(description="storage", ordering="variant_bytes")
    def storage(self, obj: ListedPreset) -> str:
        largest = getattr(obj, "largest_bytes", 0) or obj.variant_bytes or 1
        ready = BAR_WIDTH * (obj.variant_bytes - obj.stale_bytes) / largest
        stale = BAR_WIDTH * obj.stale_bytes / largest
        label = previews.describe(obj.variant_count, obj.variant_bytes)
        if obj.stale_bytes:
            label += f", {previews.describe(obj.stale_count, obj.stale_bytes)} stale"
        return format_html(
            '<span class="preset-storage" title="{label}">'
            '<svg width="{w}" height="{h}" role="img" aria-label="{label}">'
            '<rect class="preset-storage-track" width="{w}" height="{h}" rx="2"/>'
            '<rect class="preset-storage-ready" width="{ready}" height="{h}" rx="2"/>'
            '<rect class="preset-storage-stale" x="{ready}" width="{stale}" '
            'height="{h}" rx="2"/></svg> {size}</span>',
            label=label,
            w=BAR_WIDTH,
            h=BAR_HEIGHT,
            ready=f"{ready:.1f}",
            stale=f"{stale:.1f}",
            size=filesizeformat(obj.variant_bytes),
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        totals = Variant.objects.aggregate(
            count=Count("pk"),
            bytes=Coalesce(Sum("bytes"), 0),
            stale=Count("pk", filter=Q(status=VariantStatus.STALE)),
        )
        context = {
            "variant_totals": previews.describe(totals["count"], totals["bytes"]),
            "stale_total": totals["stale"],
            "active_presets": Preset.objects.active().count(),
            "max_active_presets": MAX_ACTIVE_PRESETS,
            "can_publish": request.user.has_perm("imageadmin.publish_presets"),
            "pending": pending_changes(),
            **freshness_context(request),
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    def _not_live_yet(self, request: HttpRequest) -> None:
        pending = pending_changes()
        if not len(pending):
            return
        text = "Saved, but not live yet: the CDN uses the presets as last published ({})."
        if request.user.has_perm("imageadmin.publish_presets"):
            url = reverse("admin:imageadmin_publication_publish")
            text += ' <a href="{}">Publish to AWS</a> to apply.'
            self.message_user(request, format_html(text, pending.label(), url), messages.INFO)
        else:
            text += " Ask a preset admin to publish."
            self.message_user(request, format_html(text, pending.label()), messages.INFO)

    def response_add(
        self, request: HttpRequest, obj: Preset, post_url_continue: str | None = None
    ) -> HttpResponse:
        self._not_live_yet(request)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request: HttpRequest, obj: Preset) -> HttpResponse:
        self._not_live_yet(request)
        return super().response_change(request, obj)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Preset | None = None,
    ) -> HttpResponse:
        context["preview_assets"] = previews.recent_assets()
        context["preview_url"] = reverse("admin:imageadmin_preset_preview")
        if obj is not None and obj.pk is not None:
            context["impact_url"] = reverse("admin:imageadmin_preset_impact", args=[obj.pk])
            usage = previews.usage(obj)
            context["usage"] = usage
            context["usage_text"] = previews.describe(usage.variants, usage.bytes)
            context["impact_text"] = previews.change_impact(obj, obj, usage).message()
            context.update(freshness_context(request))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(
        self, request: HttpRequest, obj: Preset, form: ModelForm[Preset], change: bool
    ) -> None:
        before = Preset.objects.filter(pk=obj.pk).first() if change else None
        current = previews.usage(before) if before is not None else None
        super().save_model(request, obj, form, change)
        if before is None:
            return
        impact = previews.change_impact(before, obj, current)
        if impact.affects_variants:
            mark_stale(obj)
        if impact.affects_variants or impact.renamed:
            self.message_user(request, impact.saved_message(obj.name), messages.WARNING)

    def get_deleted_objects(
        self, objs: Any, request: HttpRequest
    ) -> tuple[list[str], dict[str, int], set[str], list[str]]:
        """List presets with their variant totals, not every variant row (there can be millions).

        Variant rows go with their preset and the purge job deletes their objects, so no variant
        permission is asked for (the variants admin offers no delete).
        """
        presets = list(objs)
        totals = {
            row["preset"]: row
            for row in Variant.objects.filter(preset__in=presets)
            .values("preset")
            .annotate(count=Count("pk"), size=Sum("bytes"))
            .order_by()
        }
        listed = []
        for preset in presets:
            row = totals.get(preset.pk)
            used = previews.describe(row["count"], row["size"] or 0) if row else "no variants"
            listed.append(f"{preset}: {used}; a purge job deletes its variants from S3")
        counts = {str(Preset._meta.verbose_name_plural): len(presets)}
        variant_count = sum(row["count"] for row in totals.values())
        if variant_count:
            counts[str(Variant._meta.verbose_name_plural)] = variant_count
        return listed, counts, set(), []

    def _purge(self, request: HttpRequest, presets: list[Preset]) -> None:
        # The Lambda makes objects before sync records them, so purge even without rows.
        job = start_purge(preset_ids=[p.pk for p in presets], user=request.user)
        url = reverse("admin:imageadmin_job_change", args=[job.pk])
        names = ", ".join(f"“{p}”" for p in presets)
        text = '<a href="{}">Purge job #{}</a> deletes the variants of {} from S3.'
        self.message_user(request, format_html(text, url, job.pk, names), messages.INFO)

    def delete_model(self, request: HttpRequest, obj: Preset) -> None:
        self._purge(request, [obj])
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Preset]) -> None:
        self._purge(request, list(queryset))
        super().delete_queryset(request, queryset)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("preview/", wrap(self.preview_view), name="imageadmin_preset_preview"),
            path(
                "<int:object_id>/impact/",
                wrap(self.impact_view),
                name="imageadmin_preset_impact",
            ),
            *super().get_urls(),
        ]

    @staticmethod
    def _error(err: previews.PreviewError) -> JsonResponse:
        return JsonResponse({"error": err.message, "field": err.field}, status=err.status)

    @method_decorator(require_GET)
    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """Return the preset the query describes, applied to one asset (admin-only, no-store)."""
        if not (self.has_change_permission(request) or self.has_add_permission(request)):
            raise PermissionDenied
        try:
            spec = previews.spec_from_params(request.GET)
            asset = previews.get_asset(request.GET.get("asset"))
            rendered = previews.render(asset, spec, previews.focal_from_params(request.GET, asset))
        except previews.PreviewError as err:
            return self._error(err)
        response = HttpResponse(rendered.data, content_type=rendered.content_type)
        response["Cache-Control"] = "private, no-store"
        response["Content-Disposition"] = f'inline; filename="preview.{rendered.format}"'
        response["X-Preview-Width"] = str(rendered.width)
        response["X-Preview-Height"] = str(rendered.height)
        response["X-Preview-Format"] = rendered.format
        response["X-Preview-Bytes"] = str(len(rendered.data))
        return response

    @method_decorator(require_GET)
    def impact_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Return, as JSON, what saving the stored preset with the query's values would do."""
        saved = Preset.objects.filter(pk=object_id).first()
        if saved is None:
            return JsonResponse({"error": f"there is no preset {object_id}"}, status=404)
        if not self.has_change_permission(request, saved):
            raise PermissionDenied
        try:
            spec = previews.spec_from_params(request.GET, request.GET.get("name") or saved.name)
        except previews.PreviewError as err:
            return self._error(err)
        impact = previews.change_impact(saved, previews.as_model(spec))
        return JsonResponse(
            {
                "variants": impact.usage.variants,
                "bytes": impact.usage.bytes,
                "makes_stale": impact.affects_variants,
                "renamed": impact.renamed,
                "message": impact.message(),
            }
        )
