"""Deleting assets in the admin says first that their CDN URLs will stop working."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.imageadmin.preset_data import make_asset

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client: Client, editor: Any) -> Client:
    client.force_login(editor)
    return client


def test_the_delete_page_warns_that_cdn_urls_stop_working(editor_client: Client) -> None:
    asset = make_asset(store=False)

    body = editor_client.get(reverse("admin:imageadmin_asset_delete", args=[asset.pk])).content

    assert b'id="cdn-urls-warning"' in body
    assert b"will stop working" in body
    assert asset.key.encode() in body


def test_the_bulk_delete_page_warns_too(editor_client: Client) -> None:
    assets = [make_asset(store=False, name=f"a{i}.jpg") for i in range(2)]

    response = editor_client.post(
        reverse("admin:imageadmin_asset_changelist"),
        {"action": "delete_selected", "_selected_action": [a.pk for a in assets]},
    )

    assert response.status_code == 200
    assert b"2 selected images" in response.content
    assert b"will stop working" in response.content
