"""Run a publication on the task queue: what the admin's Publish button does.

A publication may wait (IMAGEADMIN_PUBLISH_SETTLE_SECONDS) and purge many objects, longer than a
web request should last, so the admin starts it here and shows its record, which refreshes
itself until the worker has finished.
"""

from __future__ import annotations

from django.utils import timezone

from imageadmin import jobs
from imageadmin.models import Publication, PublicationStatus
from imageadmin.publishing.apply import READ, Outcome, run


def run_started(publication_id: int) -> str:
    """Run a publication that `start` created (the Celery task's body); return its status."""
    publication = Publication.objects.filter(pk=publication_id).first()
    if publication is None:
        return "missing"
    if publication.status != PublicationStatus.RUNNING or publication.finished_at is not None:
        return str(publication.status)  # already run (a task delivered twice)
    if any(s.get("outcome") != Outcome.NOT_RUN for s in publication.steps or []):
        return str(publication.status)  # another worker is on it
    return str(run(publication).status)


def run_in_background(publication: Publication) -> None:
    """Run `publication` on the task queue once the caller's transaction commits.

    Without a broker Celery runs it in-process (eagerly); a queue that cannot be reached
    fails the publication, saying so.
    """
    pk = publication.pk

    def failed(err: Exception) -> None:
        Publication.objects.filter(pk=pk, status=PublicationStatus.RUNNING).update(
            status=PublicationStatus.FAILED,
            failed_step=READ,
            error=jobs.unreachable(err),
            finished_at=timezone.now(),
        )

    jobs.send_on_commit([jobs.Send(jobs.PUBLISH_PRESETS, (pk,))], failed, f"publication {pk}")
