"""Admin for jobs: read-only progress of long-running tasks, refreshed while they run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from imageadmin.models import Job, JobStatus

if TYPE_CHECKING:  # generic to the type checker; Django's class takes no subscript at run time
    _ModelAdmin = admin.ModelAdmin[Job]
else:
    _ModelAdmin = admin.ModelAdmin

ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
POLL_SECONDS = 2
BAR_WIDTH = 120
BAR_HEIGHT = 10


def progress(job: Job) -> dict[str, Any]:
    """Return what the progress bar shows, as the JSON endpoint answers it."""
    total = max(job.total, job.done + job.failed, 1)
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "status_display": job.get_status_display(),
        "done": job.done,
        "failed": job.failed,
        "total": job.total,
        "percent": job.percent,
        "done_percent": round(100 * job.done / total, 1),
        "failed_percent": round(100 * job.failed / total, 1),
        "message": job.message,
        "active": job.status in ACTIVE,
        "updated_at": job.updated_at.isoformat(),
    }


@admin.register(Job)
class JobAdmin(_ModelAdmin):
    list_display = [
        "__str__",
        "kind",
        "status",
        "progress_bar",
        "failed",
        "created_by",
        "created_at",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["created_by"]
    # Status, counts and message are in the progress panel above, which keeps itself current.
    fields = readonly_fields = ("kind", "created_by", "created_at", "updated_at")

    class Media:
        css = {"all": ["imageadmin/job.css"]}
        js = ["imageadmin/job_progress.js"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="progress")
    def progress_bar(self, obj: Job) -> str:
        total = obj.total or 1
        done = BAR_WIDTH * min(obj.done, total) / total
        failed = BAR_WIDTH * min(obj.failed, total - min(obj.done, total)) / total
        return format_html(
            '<span class="job-progress-inline" title="{done} done, {failed} failed of {total}">'
            '<svg width="{w}" height="{h}" role="img" aria-label="{percent}%">'
            '<rect class="job-bar-track" width="{w}" height="{h}" rx="2"/>'
            '<rect class="job-bar-done" width="{dw}" height="{h}" rx="2"/>'
            '<rect class="job-bar-failed" x="{dw}" width="{fw}" height="{h}" rx="2"/>'
            "</svg> {percent}%</span>",
            done=obj.done,
            failed=obj.failed,
            total=obj.total,
            w=BAR_WIDTH,
            h=BAR_HEIGHT,
            dw=f"{done:.1f}",
            fw=f"{failed:.1f}",
            percent=obj.percent,
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/progress/",
                self.admin_site.admin_view(self.progress_view),
                name="imageadmin_job_progress",
            ),
            *super().get_urls(),
        ]

    def progress_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Return the job's progress as JSON, for the change page to poll."""
        job = Job.objects.filter(pk=object_id).first()
        if job is None:
            return JsonResponse({"error": f"there is no job {object_id}"}, status=404)
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        return JsonResponse(progress(job))

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Job | None = None,
    ) -> HttpResponse:
        if obj is not None:
            context["job_progress"] = progress(obj)
            context["job_progress_url"] = reverse("admin:imageadmin_job_progress", args=[obj.pk])
            context["poll_seconds"] = POLL_SECONDS
        return super().render_change_form(request, context, add, change, form_url, obj)
