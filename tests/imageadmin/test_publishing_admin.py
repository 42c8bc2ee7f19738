"""The Publish page, the publication record in the admin, and `manage.py publish`."""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command, execute_from_command_line
from django.test import Client
from django.urls import reverse

from demosite.celery import app as celery_app
from imageadmin import aws, publishing
from imageadmin.models import Preset, Publication, PublicationStatus
from tests.imageadmin.conftest import use_bucket
from tests.imageadmin.originals import keys_in
from tests.imageadmin.publish_data import configure, put_variants

pytestmark = pytest.mark.django_db

PUBLISH = reverse("admin:imageadmin_publication_publish")
PUBLICATIONS = reverse("admin:imageadmin_publication_changelist")
PRESETS = reverse("admin:imageadmin_preset_changelist")


@pytest.fixture(autouse=True)
def aws_settings(
    settings: Any, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    configure(settings, s3_endpoint, monkeypatch)
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous
    aws.cloudfront.cache_clear()


@pytest.fixture
def padmin(client: Client, preset_admin: Any) -> Client:
    client.force_login(preset_admin)
    return client


def changed_medium(s3_client: Any, s3_bucket: str) -> list[str]:
    """Publish, then give `medium` two variant objects and a new width."""
    publishing.publish()
    keys = put_variants(s3_client, s3_bucket, "medium", ["originals/2026/11/pier.jpg"])
    Preset.objects.filter(name="medium").update(width=240)
    return keys


# --- the admin ---------------------------------------------------------------------------------


def test_editors_cannot_see_or_use_publishing(client: Client, editor: Any) -> None:
    client.force_login(editor)
    pub = publishing.publish()

    assert client.get(PUBLISH).status_code == 403
    assert client.post(PUBLISH).status_code == 403
    assert client.get(PUBLICATIONS).status_code == 403
    change = reverse("admin:imageadmin_publication_change", args=[pub.pk])
    assert client.get(change).status_code == 403
    assert Publication.objects.count() == 1


def test_the_presets_changelist_links_to_publish(padmin: Client) -> None:
    html = padmin.get(PRESETS).content.decode()

    assert f'href="{PUBLISH}"' in html


def test_publish_page_shows_the_diff_before_anything_is_written(
    padmin: Client, s3_client: Any, s3_bucket: str
) -> None:
    keys = changed_medium(s3_client, s3_bucket)
    s3_client.delete_bucket_lifecycle(Bucket=s3_bucket)
    website = s3_client.get_bucket_website(Bucket=s3_bucket)
    del website["ResponseMetadata"]
    website["RoutingRules"][3]["Redirect"]["HttpRedirectCode"] = "302"  # edited in the console
    s3_client.put_bucket_website(Bucket=s3_bucket, WebsiteConfiguration=website)

    response = padmin.get(PUBLISH)

    assert response.status_code == 200
    plan = response.context["plan"]
    assert plan.purges == []
    assert [n.change.name for n in plan.new_urls] == ["medium"]
    html = response.content.decode()
    assert "preset medium" in html
    assert "width 300 → 240" in html
    assert 'class="publish-new-urls-row" data-preset="medium"' in html
    assert "old URLs redirect to the new ones" in html
    assert "lifecycle rule imageadmin-medium" in html
    assert "routing rule medium on 404" in html
    assert "302 https://api.example.com/default/resize?key=medium" in html
    assert "Unified diff" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert set(keys) <= keys_in(s3_client, s3_bucket)  # a GET writes nothing
    assert Publication.objects.count() == 1


def test_publishing_from_the_admin_shows_each_step(
    padmin: Client,
    preset_admin: Any,
    s3_client: Any,
    s3_bucket: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    changed_medium(s3_client, s3_bucket)

    with django_capture_on_commit_callbacks(execute=True):
        response = padmin.post(PUBLISH)

    pub = Publication.objects.first()
    assert pub is not None
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:imageadmin_publication_change", args=[pub.pk])
    assert (pub.status, pub.via, pub.created_by) == ("succeeded", "admin", preset_admin)
    page = padmin.get(response["Location"]).content.decode()
    assert 'id="publication-status"' in page
    assert "<strong>succeeded</strong>" in page
    for title in publishing.STEP_TITLES.values():
        assert title in page
    assert 'data-step="purge"' in page
    # A changed preset gets new URLs: its objects stay (they expire), nothing is purged.
    assert set(pub.changes["new_urls"][0]) >= {"preset", "old_token", "new_token"}
    assert keys_in(s3_client, s3_bucket, "medium") != set()
    listing = padmin.get(PUBLICATIONS).content.decode()
    assert str(pub) in listing


def test_a_running_publication_refuses_a_second_and_its_page_refreshes(padmin: Client) -> None:
    running = publishing.start()

    response = padmin.post(PUBLISH, follow=True)

    assert "is still running" in response.content.decode()
    assert Publication.objects.count() == 1
    page = padmin.get(reverse("admin:imageadmin_publication_change", args=[running.pk]))
    assert 'http-equiv="refresh"' in page.content.decode()


def test_an_unreachable_task_queue_fails_the_publication(
    padmin: Client, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    from imageadmin import tasks

    def refuse(*args: Any) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.publish_presets, "delay", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        padmin.post(PUBLISH)

    pub = Publication.objects.get()
    assert pub.status == PublicationStatus.FAILED
    assert pub.error == "Could not reach the task queue: broker down"


def test_publish_without_csrf_is_refused(preset_admin: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(preset_admin)

    assert client.post(PUBLISH).status_code == 403
    assert not Publication.objects.exists()


def test_the_page_explains_unreachable_aws(padmin: Client, settings: Any) -> None:
    use_bucket(settings, "no-such-bucket-here")

    response = padmin.get(PUBLISH)

    assert response.status_code == 200
    assert "NoSuchBucket" in response.content.decode()
    assert 'id="publish-form"' not in response.content.decode()


# --- the command ----------------------------------------------------------------------------------


def test_command_lists_each_step(s3_client: Any, s3_bucket: str) -> None:
    changed_medium(s3_client, s3_bucket)
    out = StringIO()

    call_command("publish", stdout=out)

    text = out.getvalue()
    assert "[done] Read the live AWS state" in text
    assert "[done] Presets JSON: 1 changed (request " in text
    assert "[unchanged] Website routing rules" in text
    assert "new URLs medium (changed: width 300 → 240): token " in text
    assert "[skipped] Purge stale variants" in text
    assert "[skipped] CloudFront invalidation" in text
    assert text.rstrip().endswith(f"Published ({Publication.objects.first()}).")


def test_command_dry_run_prints_the_diff_and_writes_nothing(s3_client: Any, s3_bucket: str) -> None:
    keys = changed_medium(s3_client, s3_bucket)
    out = StringIO()

    call_command("publish", "--dry-run", stdout=out)

    text = out.getvalue()
    assert '-      "width": 300,' in text
    assert '+      "width": 240,' in text
    assert "[would do] Presets JSON" in text
    assert "nothing was written to AWS" in text
    assert set(keys) <= keys_in(s3_client, s3_bucket)
    assert Publication.objects.first().status == PublicationStatus.DRY_RUN  # type: ignore[union-attr]


def test_command_exits_non_zero_on_failure(
    settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    use_bucket(settings, "no-such-bucket-here")

    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "publish"])

    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert "[FAILED] Read the live AWS state" in captured.out
    assert "failed in step read" in captured.err
