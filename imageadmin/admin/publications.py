"""Admin for publishing: the Publish page (diff, confirm, run) and the read-only record.

Only users with `imageadmin.publish_presets` (preset admins, superusers) see either; the
admin's own checks refuse everyone else with 403.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join

from imageadmin import publishing
from imageadmin.admin.variants import freshness_context
from imageadmin.conf import conf
from imageadmin.models import Publication, PublicationStatus
from resizer_lambda.errors import ConfigError

if TYPE_CHECKING:  # generic to the type checker; Django's class takes no subscript at run time
    _ModelAdmin = admin.ModelAdmin[Publication]
else:
    _ModelAdmin = admin.ModelAdmin

PERMISSION = "imageadmin.publish_presets"
POLL_SECONDS = 3


def can_publish(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.has_perm(PERMISSION))


@admin.register(Publication)
class PublicationAdmin(_ModelAdmin):
    list_display = ["__str__", "status", "via", "created_by", "created_at", "summary"]
    list_filter = ["status", "via"]
    list_select_related = ["created_by"]
    fields = [
        "status",
        "failed_step",
        "error",
        "steps_table",
        "changes_view",
        ("created_by", "via", "dry_run"),
        ("created_at", "finished_at"),
        "snapshot_view",
    ]
    readonly_fields = [
        "status",
        "failed_step",
        "error",
        "steps_table",
        "changes_view",
        "created_by",
        "via",
        "dry_run",
        "created_at",
        "finished_at",
        "snapshot_view",
    ]

    class Media:
        css = {"all": ["imageadmin/publish.css"]}

    # Read-only for everyone; visible to whoever may publish.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_publish(request) or super().has_view_permission(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_publish(request) or super().has_module_permission(request)

    @admin.display(description="what it did")
    def summary(self, obj: Publication) -> str:
        if obj.status == PublicationStatus.FAILED:
            return f"failed in {obj.failed_step}: {obj.error}"[:200]
        if obj.status == PublicationStatus.DRY_RUN:
            return "dry run: nothing written"
        done = [
            s["title"] for s in obj.steps or [] if s.get("outcome") == "ok" and s["name"] != "read"
        ]
        return ", ".join(done) or "nothing to change"

    @admin.display(description="steps")
    def steps_table(self, obj: Publication) -> str:
        rows = format_html_join(
            "",
            '<tr class="publish-step publish-{}" data-step="{}"><th>{}</th>'
            '<td class="publish-outcome">{}</td><td>{}</td><td><code>{}</code></td>'
            '<td class="publish-error">{}</td></tr>',
            (
                (
                    s["outcome"],
                    s["name"],
                    s["title"],
                    s["outcome"].replace("_", " "),
                    s["detail"],
                    " ".join(s["request_ids"]),
                    s["error"],
                )
                for s in obj.steps or []
            ),
        )
        return format_html(
            '<table class="publish-steps" id="publish-steps"><thead><tr><th>step</th>'
            "<th>outcome</th><th>detail</th><th>AWS request ids</th><th>error</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="changes")
    def changes_view(self, obj: Publication) -> str:
        changes = obj.changes or {}
        parts = [format_html("<p>Compared with {}.</p>", changes.get("baseline", "?"))]
        for config in changes.get("config", []):
            items = format_html_join("", "<li>{}</li>", ((i,) for i in config["items"]))
            parts.append(
                format_html(
                    "<h4>{}: {}</h4><ul>{}</ul>",
                    publishing.STEP_TITLES.get(config["name"], config["name"]),
                    config["summary"],
                    items,
                )
            )
            if config.get("diff"):
                parts.append(
                    format_html(
                        '<details><summary>diff</summary><pre class="publish-diff">{}</pre>'
                        "</details>",
                        config["diff"],
                    )
                )
        purges = format_html_join(
            "",
            "<li>{}: {} ({} objects, {} rows)</li>",
            ((p["preset"], p["reason"], p["objects"], p["rows"]) for p in changes.get("purge", [])),
        )
        parts.append(format_html("<h4>Purge</h4><ul>{}</ul>", purges or "nothing"))
        return format_html_join("", "{}", ((p,) for p in parts))

    @admin.display(description="presets contract")
    def snapshot_view(self, obj: Publication) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.snapshot, indent=2))

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "publish/",
                self.admin_site.admin_view(self.publish_view),
                name="imageadmin_publication_publish",
            ),
            *super().get_urls(),
        ]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Publication | None = None,
    ) -> HttpResponse:
        context["poll_seconds"] = POLL_SECONDS
        context["running"] = obj is not None and obj.status == PublicationStatus.RUNNING
        return super().render_change_form(request, context, add, change, form_url, obj)

    def publish_view(self, request: HttpRequest) -> HttpResponse:
        """Show what publishing would change (GET); start it (POST) and show its record.

        The POST starts the publication on the task queue (in-process without a broker) and
        redirects to its record, which refreshes itself until the publication has finished.
        """
        if not can_publish(request):
            raise PermissionDenied
        if request.method == "POST":
            return self._start(request)
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET", "POST"])
        plan: publishing.Plan | None = None
        error = ""
        try:
            plan = publishing.build_plan()
        except (publishing.AwsError, publishing.Refused) as err:
            error = str(err)
        except ConfigError as err:
            error = f"The presets are not valid for the resizer: {err.message}"
        context = {
            **self.admin_site.each_context(request),
            "title": "Publish presets to AWS",
            "opts": Publication._meta,
            "plan": plan,
            "retired_days": conf.IMAGEADMIN_RETIRED_VARIANT_DAYS,
            "error": error,
            "last": Publication.objects.exclude(status=PublicationStatus.DRY_RUN).first(),
            "history_url": reverse("admin:imageadmin_publication_changelist"),
            "media": self.media,
            **freshness_context(request),
        }
        return TemplateResponse(request, "admin/imageadmin/publication/publish.html", context)

    def _start(self, request: HttpRequest) -> HttpResponse:
        try:
            publication = publishing.start(request.user, via="admin")
        except publishing.PublishInProgress as err:
            self.message_user(request, str(err), messages.ERROR)
            return HttpResponseRedirect(request.path)
        publishing.run_in_background(publication)
        return HttpResponseRedirect(
            reverse("admin:imageadmin_publication_change", args=[publication.pk])
        )
