"""The variants admin (read-only, no per-row queries) and the jobs admin (progress, polling)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from imageadmin.models import Job, JobStatus, Preset, Variant, VariantStatus
from tests.imageadmin.preset_data import make_asset, make_variants
from tests.imageadmin.versioned import head

pytestmark = pytest.mark.django_db

VARIANTS = reverse("admin:imageadmin_variant_changelist")
JOBS = reverse("admin:imageadmin_job_changelist")


@pytest.fixture
def padmin(client: Client, preset_admin: Any) -> Client:
    client.force_login(preset_admin)
    return client


def test_variants_list_shows_columns_and_links_to_the_cdn(padmin: Client) -> None:
    medium = Preset.objects.get(name="medium")
    variant = make_variants(medium, [make_asset("pier.jpg", store=False)], size=2048)[0]

    html = padmin.get(VARIANTS).content.decode()

    assert f'href="http://127.0.0.1:8080/{variant.key}"' in html
    assert "300\xa0\N{MULTIPLICATION SIGN}\xa0300" in html
    assert "2.0\xa0KB" in html
    assert "pier.jpg" in html


def test_variants_list_queries_do_not_grow_with_rows(padmin: Client) -> None:
    presets = list(Preset.objects.all())

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert padmin.get(VARIANTS).status_code == 200
        return len(queries)

    make_variants(presets[0], [make_asset("first.jpg", store=False)])
    before = count()
    assets = [make_asset(f"a{i}.jpg", store=False) for i in range(5)]
    for preset in presets:
        make_variants(preset, assets)
    assert count() == before


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status__exact=stale", {"{s}/originals/2026/11/b.jpg"}),
        ("format=webp", {"{mw}/originals/2026/11/a.jpg"}),
        ("preset__id__exact={small}", {"{s}/originals/2026/11/a.jpg",
                                       "{s}/originals/2026/11/b.jpg"}),
    ],
)  # fmt: skip
def test_variants_filter_by_preset_status_and_format(
    padmin: Client, query: str, expected: set[str]
) -> None:
    small, medium = Preset.objects.get(name="small"), Preset.objects.get(name="medium")
    a, b = make_asset("a.jpg", store=False), make_asset("b.jpg", store=False)
    make_variants(small, [a])
    make_variants(small, [b], status=VariantStatus.STALE)
    Variant.objects.create(
        asset=a, preset=medium, format="webp", key=a.variant_key("medium", "webp")
    )

    response = padmin.get(f"{VARIANTS}?{query.format(small=small.pk)}")

    heads = {"s": head("small"), "mw": head("medium", ".webp")}
    assert {v.key for v in response.context["cl"].result_list} == {
        key.format(**heads) for key in expected
    }


def test_variants_cannot_be_added_changed_or_deleted_here(padmin: Client, admin_user: Any) -> None:
    variant = make_variants(Preset.objects.get(name="small"), [make_asset(store=False)])[0]
    change = reverse("admin:imageadmin_variant_change", args=[variant.pk])

    assert padmin.get(reverse("admin:imageadmin_variant_add")).status_code == 403
    assert padmin.get(change).status_code == 200  # view only
    assert padmin.post(change, {"status": "failed"}).status_code == 403
    assert (
        padmin.get(reverse("admin:imageadmin_variant_delete", args=[variant.pk])).status_code == 403
    )
    assert "delete_selected" not in padmin.get(VARIANTS).content.decode()
    padmin.force_login(admin_user)
    assert padmin.get(reverse("admin:imageadmin_variant_add")).status_code == 403
    variant.refresh_from_db()
    assert variant.status == VariantStatus.READY


# --- jobs ---------------------------------------------------------------------------------------


def make_job(status: str = JobStatus.RUNNING, **fields: Any) -> Job:
    values = {"kind": "generate", "total": 10, "done": 3, "failed": 1, **fields}
    return Job.objects.create(status=status, **values)


def test_jobs_list_shows_progress(padmin: Client) -> None:
    make_job()

    html = padmin.get(JOBS).content.decode()

    assert "3 done, 1 failed of 10" in html
    assert "40%" in html


def test_running_job_page_shows_a_progress_bar_that_polls(padmin: Client) -> None:
    job = make_job(message="asset 7: corrupt")

    html = padmin.get(reverse("admin:imageadmin_job_change", args=[job.pk])).content.decode()

    assert 'data-active="1"' in html
    assert f'data-progress-url="{reverse("admin:imageadmin_job_progress", args=[job.pk])}"' in html
    assert 'aria-valuenow="40"' in html
    assert 'id="job-bar-done" width="30.0%"' in html
    assert 'x="30.0%" width="10.0%"' in html
    assert "3 done, 1 failed, of 10" in html
    assert "asset 7: corrupt" in html
    assert 'http-equiv="refresh"' in html  # inside <noscript>
    assert "imageadmin/job_progress.js" in html


def test_finished_job_page_does_not_poll(padmin: Client) -> None:
    job = make_job(JobStatus.DONE, done=10, failed=0)

    html = padmin.get(reverse("admin:imageadmin_job_change", args=[job.pk])).content.decode()

    assert 'data-active="0"' in html
    assert 'http-equiv="refresh"' not in html
    assert 'aria-valuenow="100"' in html


def test_progress_endpoint_answers_json(padmin: Client) -> None:
    job = make_job(JobStatus.QUEUED, total=0, done=0, failed=0)
    url = reverse("admin:imageadmin_job_progress", args=[job.pk])

    body = padmin.get(url).json()
    Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, total=4, done=1, failed=3)
    later = padmin.get(url).json()

    assert (body["status"], body["active"], body["percent"]) == ("queued", True, 100)
    assert (later["status"], later["active"], later["percent"]) == ("failed", False, 100)
    assert (later["done_percent"], later["failed_percent"]) == (25.0, 75.0)
    for pk in (job.pk + 1, 10**30):
        missing = padmin.get(reverse("admin:imageadmin_job_progress", args=[pk]))
        assert missing.status_code == 404


def test_jobs_are_read_only(padmin: Client, client: Client) -> None:
    job = make_job()

    assert padmin.get(reverse("admin:imageadmin_job_add")).status_code == 403
    assert padmin.post(reverse("admin:imageadmin_job_change", args=[job.pk]), {}).status_code == 403
    assert padmin.get(reverse("admin:imageadmin_job_delete", args=[job.pk])).status_code == 403


def test_progress_needs_the_view_permission(client: Client, django_user_model: Any) -> None:
    job = make_job()
    client.force_login(django_user_model.objects.create_user("nobody", password="x", is_staff=True))

    assert client.get(reverse("admin:imageadmin_job_progress", args=[job.pk])).status_code == 403
