"""Admin for variants: a read-only record of what exists in S3.

Rows mirror objects the Lambda or `generate_variants` made; editing or deleting a row here would
make the table lie about the bucket, so this admin offers neither. Purging (rows and objects
together) is an action on assets and presets that goes through `imageadmin.variants`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime

from imageadmin.conf import conf
from imageadmin.models import Variant
from resizer_lambda import keys

if TYPE_CHECKING:  # generic to the type checker; Django's class takes no subscript at run time
    _ModelAdmin = admin.ModelAdmin[Variant]
else:
    _ModelAdmin = admin.ModelAdmin

TIMES = "\N{NO-BREAK SPACE}\N{MULTIPLICATION SIGN}\N{NO-BREAK SPACE}"


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
        css = {"all": ("imageadmin/changelist.css",)}

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
