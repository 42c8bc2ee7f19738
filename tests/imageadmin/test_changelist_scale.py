"""The asset changelist with 10,000 rows: a fixed number of queries and not one S3 request."""

from __future__ import annotations

from typing import Any

import botocore.endpoint
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from imageadmin import storage
from imageadmin.models import Asset, Preset
from tests.imageadmin.versioned import head

pytestmark = pytest.mark.django_db

CHANGELIST_URL = "/admin/imageadmin/asset/"
QUERIES = ["", "?q=dress", "?format__exact=jpeg&o=-3", "?uploaded_by__id__exact=1&p=2"]


@pytest.fixture
def s3_requests(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every HTTP request botocore sends (and still send it)."""
    sent: list[str] = []
    real = botocore.endpoint.Endpoint.make_request

    def spy(self: botocore.endpoint.Endpoint, operation_model: Any, request_dict: Any) -> Any:
        sent.append(operation_model.name)
        return real(self, operation_model, request_dict)

    monkeypatch.setattr(botocore.endpoint.Endpoint, "make_request", spy)
    return sent


def make_assets(count: int, users: list[Any], start: int = 0) -> None:
    Asset.objects.bulk_create(
        [
            Asset(
                original=f"originals/2026/11/summer-dress-{i:06x}.jpg",
                original_name=f"summer dress {i}.jpg",
                width=1200 + i % 7,
                height=800,
                format="jpeg" if i % 3 else "png",
                bytes=100_000 + i,
                sha256=f"{i:064x}",
                uploaded_by=users[i % len(users)],
            )
            for i in range(start, start + count)
        ],
        batch_size=1000,
    )


def query_counts(client: Client) -> dict[str, int]:
    counts = {}
    for query in QUERIES:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(CHANGELIST_URL + query)
        assert response.status_code == 200, query
        counts[query] = len(ctx.captured_queries)
    return counts


@pytest.mark.slow
def test_changelist_queries_do_not_grow_with_rows(
    client: Client, editor: Any, django_user_model: Any, s3_requests: list[str]
) -> None:
    users = [editor, django_user_model.objects.create(username="other", is_staff=True)]
    client.force_login(editor)
    make_assets(10, users)
    small = query_counts(client)

    make_assets(9_990, users, start=10)
    assert Asset.objects.count() == 10_000
    large = query_counts(client)

    assert large == small
    assert s3_requests == []
    # The spy does see real requests: one made on purpose is recorded.
    storage.client().list_objects_v2(Bucket=storage.bucket())
    assert s3_requests == ["ListObjectsV2"]


@pytest.mark.slow
def test_changelist_rows_use_cdn_urls_built_from_keys(
    client: Client, editor: Any, settings: Any, s3_requests: list[str]
) -> None:
    settings.IMAGEADMIN_CDN_URL = "https://cdn.example.com"
    client.force_login(editor)
    make_assets(10_000, [editor])

    response = client.get(CHANGELIST_URL)
    html = response.content.decode()

    assert html.count('class="assets-thumb"') == 100
    newest = Asset.objects.first()
    assert newest is not None
    # small is 150 wide: a 1200+ x 800 original gives about 150 x 100, computed without S3.
    width, height = newest.variant_size(Preset.objects.get(name="small"))
    assert (
        f'<img class="assets-thumb" src="https://cdn.example.com/{head("small")}/{newest.key}" '
        f'width="{width}" height="{height}" alt="" loading="lazy">'
    ) in html
    assert "10000 assets" in html or "10,000 assets" in html
    assert s3_requests == []
