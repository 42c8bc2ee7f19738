"""Admin for variants: a read-only record of what exists in S3, and "Sync now".

Rows mirror objects the Lambda or `generate_variants` made; editing or deleting a row here would
make the table lie about the bucket, so this admin offers neither. Purging (rows and objects
together) is an action on assets and presets that goes through `imageadmin.variants`. The rows'
freshness (S3 events, the last listing sync) is shown beside every figure they feed, with a
"Sync now" button that starts the listing sync and leads to its job page.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import URLPattern, path, reverse
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.views.decorators.http import require_POST

from imageadmin import freshness
from imageadmin.conf import conf
from imageadmin.models import Variant
from imageadmin.variants import start_sync
from resizer_lambda import keys

if TYPE_CHECKING:  # generic to the type checker; Django's class takes no subscript at run time
    _ModelAdmin = admin.ModelAdmin[Variant]
else:
    _ModelAdmin = admin.ModelAdmin

TIMES = "\N{NO-BREAK SPACE}\N{MULTIPLICATION SIGN}\N{NO-BREAK SPACE}"


SYNC_PERMISSIONS = ("imageadmin.view_variant", "imageadmin.view_job")


def can_sync(request: HttpRequest) -> bool:
    """Return whether the user may start a sync: whoever sees the variants and their jobs."""
    return bool(request.user.is_active and request.user.has_perms(SYNC_PERMISSIONS))


def freshness_context(request: HttpRequest) -> dict[str, Any]:
    """Return what `admin/imageadmin/freshness.html` needs beside a figure fed by Variant rows."""
    return {
        "freshness": freshness.current().text(),
        "sync_url": reverse("admin:imageadmin_variant_sync"),
        "can_sync": can_sync(request),
    }


def when(moment: datetime | None) -> str:
    """Return a moment as the changelists show it: "2026-12-02 14:05" (local time), or "-"."""
    # Compact and sortable by eye: the changelist has many columns.
    return "-" if moment is None else date_format(localtime(moment), "Y-m-d H:i")


@admin.register(Variant)
class VariantAdmin(_ModelAdmin):
    list_display = [
        "asset_name",
        "preset",
        "format_name",
        "cdn_key",
        "size",
        "file_size",
        "status",
        "seen",
    ]
    list_filter = ["preset", "status", "format"]
    # Newest first. (The model's asset, preset, format order would mark three narrow columns
    # with 42 px sort markers, which the columns cannot spare at 1366 px.)
    ordering = ["-id"]
    list_select_related = ["asset", "preset"]
    search_fields = ["key"]
    show_full_result_count = False  # no second COUNT(*) over a large table
    list_per_page = 100
    fields = readonly_fields = (
        "asset",
        "preset",
        "format",
        "cdn_key",
        "size",
        "file_size",
        "status",
        "generated_at",
        "last_seen_at",
    )

    class Media:
        css = {"all": ("imageadmin/freshness.css", "imageadmin/changelist.css")}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="asset", ordering="asset")
    def asset_name(self, obj: Variant) -> str:
        # Cut with an ellipsis by changelist.css; the title shows the whole name.
        name = str(obj.asset)
        return format_html('<span title="{}">{}</span>', name, name)

    @admin.display(description="format", ordering="format")
    def format_name(self, obj: Variant) -> str:
        return obj.format or "-"

    @admin.display(description="key", ordering="key")
    def cdn_key(self, obj: Variant) -> str:
        url = keys.url_for_key(conf.IMAGEADMIN_CDN_URL, obj.key)
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, obj.key)

    @admin.display(description="size")
    def size(self, obj: Variant) -> str:
        if obj.width is None or obj.height is None:
            return "-"
        return f"{obj.width}{TIMES}{obj.height}"

    @admin.display(description="generated / last seen", ordering="generated_at")
    def seen(self, obj: Variant) -> str:
        # One column for both moments: two date columns do not fit at 1366 px.
        return format_html(
            '{}<br><span class="quiet">{}</span>', when(obj.generated_at), when(obj.last_seen_at)
        )

    @admin.display(description="bytes", ordering="bytes")
    def file_size(self, obj: Variant) -> str:
        return filesizeformat(obj.bytes)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {**freshness_context(request), **(extra_context or {})}
        return super().changelist_view(request, context)

    def get_urls(self) -> list[URLPattern]:
        sync = self.admin_site.admin_view(self.sync_view)
        return [path("sync/", sync, name="imageadmin_variant_sync"), *super().get_urls()]

    @method_decorator(require_POST)
    def sync_view(self, request: HttpRequest) -> HttpResponse:
        """Start the listing sync (or find the one running) and show its job page."""
        if not can_sync(request):
            raise PermissionDenied
        job = freshness.running_sync()
        if job is not None:
            text = "A sync is already running: job #{}."
            self.message_user(request, format_html(text, job.pk), messages.INFO)
        else:
            job = start_sync(user=request.user)
            text = "Sync job #{} lists the bucket and brings the variant rows in line with it."
            self.message_user(request, format_html(text, job.pk), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:imageadmin_job_change", args=[job.pk]))
