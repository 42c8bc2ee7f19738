"""Saved preset changes are marked as not live until published."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from imageadmin import publishing
from imageadmin.models import Preset
from imageadmin.publishing.pending import pending_changes
from tests.imageadmin.preset_data import preset_form
from tests.imageadmin.publish_data import configure

pytestmark = pytest.mark.django_db

LIST = reverse("admin:imageadmin_preset_changelist")


@pytest.fixture(autouse=True)
def _aws(settings: Any, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(settings, s3_endpoint, monkeypatch)


@pytest.fixture
def padmin(client: Client, preset_admin: Any) -> Client:
    client.force_login(preset_admin)
    return client


def test_nothing_published_yet_says_so(padmin: Client) -> None:
    body = padmin.get(LIST).content.decode()
    assert 'id="publish-pending">never published<' in body


def test_after_publishing_nothing_is_pending(padmin: Client) -> None:
    publishing.publish()
    assert len(pending_changes()) == 0
    assert 'id="publish-pending"' not in padmin.get(LIST).content.decode()


def test_a_saved_change_is_pending_until_published(padmin: Client) -> None:
    publishing.publish()
    medium = Preset.objects.get(name="medium")
    data = preset_form(medium)
    data["width"] = 320

    response = padmin.post(
        reverse("admin:imageadmin_preset_change", args=[medium.pk]), data, follow=True
    )

    texts = [str(m) for m in response.context["messages"]]
    assert any("not live yet" in t and "1 unpublished change" in t for t in texts), texts
    body = padmin.get(LIST).content.decode()
    assert 'id="publish-pending">1 unpublished change<' in body
    assert "preset medium changed" in body  # the link's title lists the changes
    publishing.publish()
    assert 'id="publish-pending"' not in padmin.get(LIST).content.decode()


def test_added_and_deactivated_presets_count(padmin: Client) -> None:
    publishing.publish()
    Preset.objects.create(name="hero", width=1600)
    Preset.objects.filter(name="small").update(active=False)

    pending = pending_changes()

    assert set(pending.changes) == {"preset hero added", "preset small removed"}
    assert pending.label() == "2 unpublished changes"
