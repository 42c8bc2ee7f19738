"""How current the variant figures are, beside each of them, and "Sync now" to make them so.

The presets list (counts, storage bars), the preset form's impact panel and the Publish page's
purge figures all come from Variant rows; each says whether S3 events keep them live and when
the listing sync last ran, and the button starts that sync and shows its job.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from demosite.celery import app as celery_app
from imageadmin import aws, freshness, variants
from imageadmin.models import Job, JobStatus, ObjectMark, Preset
from tests.imageadmin.publish_data import configure

pytestmark = pytest.mark.django_db

PRESETS = reverse("admin:imageadmin_preset_changelist")
VARIANTS = reverse("admin:imageadmin_variant_changelist")
PUBLISH = reverse("admin:imageadmin_publication_publish")
SYNC = reverse("admin:imageadmin_variant_sync")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def padmin(client: Client, preset_admin: Any) -> Client:
    client.force_login(preset_admin)
    return client


@pytest.fixture
def eager() -> Iterator[None]:
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def finished_sync(minutes_ago: int) -> Job:
    job = Job.objects.create(kind=variants.SYNC, status=JobStatus.DONE, total=1, done=1)
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=minutes_ago))
    return job


def freshness_of(html: str) -> str:
    found = re.search(r'<span class="variant-freshness-text">(.*?)</span>', html, re.S)
    assert found, html
    return " ".join(found.group(1).split())


# --- the sentence -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({}, "Never synced with S3: only what imageadmin made itself is counted."),
        (
            {"synced_at": NOW - timedelta(minutes=5)},
            "From the listing sync: last synced 2026-12-02 09:55 (5\xa0minutes ago).",
        ),
        (
            {"events": True, "synced_at": NOW - timedelta(hours=2, minutes=3)},
            "Live from S3 events; last synced 2026-12-02 07:57 (2\xa0hours ago).",
        ),
        (
            {"events": True, "last_event_at": NOW - timedelta(seconds=4)},
            "Live from S3 events (last event 2026-12-02 09:59 (just now)); never synced.",
        ),
        (
            {"synced_at": NOW - timedelta(days=1), "running_job": 7},
            "From the listing sync: last synced 2026-12-01 10:00 (1\xa0day ago); "
            "a sync is running (job #7).",
        ),
    ],
)
def test_the_sentence_says_where_figures_come_from_and_how_old(
    state: dict[str, Any], expected: str, settings: Any
) -> None:
    settings.TIME_ZONE = "UTC"
    assert freshness.Freshness(**state).text(NOW) == expected


def test_current_reads_the_last_completed_sync_the_running_one_and_the_last_event(
    settings: Any,
) -> None:
    settings.IMAGEADMIN_EVENTS_QUEUE_URL = ""
    assert freshness.current() == freshness.Freshness()
    done = finished_sync(minutes_ago=10)
    Job.objects.create(kind=variants.SYNC, status=JobStatus.FAILED)  # not a completed sync
    running = Job.objects.create(kind=variants.SYNC, status=JobStatus.RUNNING)
    abandoned = Job.objects.create(kind=variants.SYNC, status=JobStatus.RUNNING)
    Job.objects.filter(pk=abandoned.pk).update(updated_at=timezone.now() - timedelta(hours=2))
    ObjectMark.objects.create(key="small/originals/a.jpg", sequencer="1", present=True)

    found = freshness.current()
    assert (found.sync_job, found.running_job, found.events) == (done.pk, running.pk, False)
    assert found.last_event_at is None  # events are not configured: no claim about them

    settings.IMAGEADMIN_EVENTS_QUEUE_URL = "https://sqs.eu-central-1.amazonaws.com/1/q"
    assert freshness.current().last_event_at is not None


# --- beside every figure ------------------------------------------------------------------------


def test_presets_list_says_how_current_its_counts_are_with_sync_now(padmin: Client) -> None:
    finished_sync(minutes_ago=5)
    html = padmin.get(PRESETS).content.decode()

    assert "Variant counts and storage: From the listing sync: last synced" in freshness_of(html)
    assert "(5 minutes ago)" in freshness_of(html)  # the no-break space, normalised
    assert f'<form method="post" action="{SYNC}">' in html
    assert "Sync now</button>" in html


def test_with_events_the_figures_say_they_are_live(padmin: Client, settings: Any) -> None:
    settings.IMAGEADMIN_EVENTS_QUEUE_URL = "https://sqs.eu-central-1.amazonaws.com/1/q"
    ObjectMark.objects.create(key="small/originals/a.jpg", sequencer="1", present=True)

    text = freshness_of(padmin.get(PRESETS).content.decode())

    assert "Live from S3 events (last event " in text
    assert "(just now)); never synced." in text


def test_preset_form_impact_says_how_current_without_a_nested_form(padmin: Client) -> None:
    finished_sync(minutes_ago=3)
    small = Preset.objects.get(name="small")
    html = padmin.get(reverse("admin:imageadmin_preset_change", args=[small.pk])).content.decode()

    panel = html[html.index('id="preset-impact-heading"') :]
    panel = panel[: panel.index("</section>")]
    assert "These figures: From the listing sync: last synced" in freshness_of(panel)
    assert "<form" not in panel  # the panel is inside the change form
    assert f'href="{VARIANTS}"' in panel


def test_publish_page_says_how_current_the_purge_rows_are(
    padmin: Client, settings: Any, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(settings, s3_endpoint, monkeypatch)
    finished_sync(minutes_ago=1)
    try:
        html = padmin.get(PUBLISH).content.decode()
    finally:
        aws.cloudfront.cache_clear()

    purge = html[html.index('id="publish-purge"') :]
    purge = purge[: purge.index("</section>")]
    text = freshness_of(purge)
    assert text.startswith("Objects in S3: listed just now. Variant rows: From the listing sync")
    assert f'action="{SYNC}"' in purge


# --- Sync now -----------------------------------------------------------------------------------


def test_sync_now_starts_the_sync_and_shows_its_job(
    client: Client, editor: Any, eager: None, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(editor)  # editors see variants and jobs: they may sync
    assert "Sync now</button>" in client.get(VARIANTS).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(SYNC)

    job = Job.objects.get(kind=variants.SYNC)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:imageadmin_job_change", args=[job.pk])
    page = client.get(response["Location"]).content.decode()
    assert f"Sync job #{job.pk} lists the bucket" in page
    assert 'id="job-progress"' in page
    job.refresh_from_db()
    assert (job.status, job.created_by) == (JobStatus.DONE, editor)
    assert "last synced" in freshness_of(client.get(VARIANTS).content.decode())


def test_sync_now_while_a_sync_runs_shows_that_one(padmin: Client) -> None:
    running = Job.objects.create(kind=variants.SYNC, status=JobStatus.RUNNING)

    response = padmin.post(SYNC)

    assert response["Location"] == reverse("admin:imageadmin_job_change", args=[running.pk])
    assert Job.objects.filter(kind=variants.SYNC).count() == 1
    assert (
        f"A sync is already running: job #{running.pk}."
        in padmin.get(response["Location"]).content.decode()
    )


def test_sync_now_is_a_post_for_those_who_see_variants(
    client: Client, django_user_model: Any
) -> None:
    clerk = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    client.force_login(clerk)
    assert client.post(SYNC).status_code == 403
    assert not Job.objects.exists()

    boss = django_user_model.objects.create_superuser("boss", password="x")
    client.force_login(boss)
    assert client.get(SYNC).status_code == 405
