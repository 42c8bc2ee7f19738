"""The asset admin through Django's test client: upload, change, delete, actions, permissions."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.test import Client
from django.urls import reverse

from imageadmin import assets, variants
from imageadmin.models import Asset, Job, Preset, Variant
from tests.imageadmin import assets_files as files

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/admin/imageadmin/asset/upload/"
CHANGELIST_URL = "/admin/imageadmin/asset/"


@pytest.fixture
def editor_client(client: Client, editor: Any) -> Client:
    client.force_login(editor)
    return client


def bucket_keys(s3_client: Any, bucket: str) -> list[str]:
    response = s3_client.list_objects_v2(Bucket=bucket)
    return sorted(obj["Key"] for obj in response.get("Contents", []))


def make_asset(editor: Any, name: str = "dress.jpg", seed: int = 1) -> Asset:
    return assets.upload(files.upload_file(name, files.jpeg((640, 480), seed=seed)), editor)


# --- upload -----------------------------------------------------------------------------------


def test_changelist_links_to_the_upload_page(editor_client: Client) -> None:
    response = editor_client.get(CHANGELIST_URL)
    assert response.status_code == 200
    assert f'href="{UPLOAD_URL}"' in response.content.decode()
    # The plain "add" URL (the admin index's "+ Add") leads there too.
    add = editor_client.get("/admin/imageadmin/asset/add/")
    assert add.status_code == 302
    assert add["Location"] == UPLOAD_URL


def test_upload_page_has_a_dropzone_and_a_multiple_file_input(editor_client: Client) -> None:
    html = editor_client.get(UPLOAD_URL).content.decode()
    assert 'id="assets-dropzone"' in html
    assert re.search(r'<input type="file" name="files" id="assets-files" multiple', html)
    assert "csrfmiddlewaretoken" in html
    assert "imageadmin/assets_upload.js" in html


def test_one_post_with_many_files_reports_each(
    editor_client: Client, editor: Any, s3_client: Any, s3_bucket: str
) -> None:
    response = editor_client.post(
        UPLOAD_URL,
        {
            "files": [
                files.upload_file("red dress.jpg", files.jpeg(seed=1)),
                files.upload_file("broken.jpg", files.truncated_jpeg()),
                files.upload_file("logo.png", files.png_alpha(), "image/png"),
                files.upload_file("vector.svg", files.SVG, "image/svg+xml"),
            ]
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 uploaded, 2 refused." in html
    assert "broken.jpg is a damaged or truncated" in html
    assert "vector.svg is an SVG image" in html
    good = list(Asset.objects.order_by("original_name"))
    assert [a.original_name for a in good] == ["logo.png", "red dress.jpg"]
    assert bucket_keys(s3_client, s3_bucket) == sorted(a.key for a in good)
    for asset in good:
        for preset in ("small", "medium", "large", "xlarge"):
            assert asset.variant_url(preset) in html
    # Each addition is in the admin's history, by the editor.
    assert LogEntry.objects.filter(user=editor, action_flag=ADDITION).count() == 2


def test_fragment_post_answers_with_one_row(editor_client: Client) -> None:
    good = editor_client.post(
        UPLOAD_URL, {"fragment": "1", "files": files.upload_file("a.jpg", files.jpeg())}
    )
    assert good.status_code == 201
    html = good.content.decode()
    assert 'data-status="ok"' in html
    assert Asset.objects.get().variant_url("small") in html

    bad = editor_client.post(
        UPLOAD_URL, {"fragment": "1", "files": files.upload_file("b.jpg", files.garbage_jpeg())}
    )
    assert bad.status_code == 422
    assert 'data-status="error"' in bad.content.decode()
    assert "b.jpg is a damaged or truncated" in bad.content.decode()


def test_duplicate_upload_shows_the_existing_asset(
    editor_client: Client, editor: Any, s3_client: Any, s3_bucket: str
) -> None:
    first = make_asset(editor, "first.jpg")
    data = files.jpeg((640, 480), seed=1)
    response = editor_client.post(
        UPLOAD_URL, {"fragment": "1", "files": files.upload_file("again.jpg", data)}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-status="duplicate"' in html
    assert "again.jpg is already uploaded as first.jpg" in html
    assert reverse("admin:imageadmin_asset_change", args=[first.pk]) in html
    assert first.variant_url("medium") in html
    assert bucket_keys(s3_client, s3_bucket) == [first.key]


def test_file_names_are_escaped(editor_client: Client) -> None:
    response = editor_client.post(
        UPLOAD_URL, {"files": [files.upload_file("<img src=x onerror=alert(1)>.jpg", b"nope")]}
    )
    html = response.content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;.jpg is not an image" in html


def test_post_without_files_warns(editor_client: Client) -> None:
    response = editor_client.post(UPLOAD_URL, {}, follow=True)
    assert "Choose one or more image files" in response.content.decode()


def test_staff_without_add_permission_cannot_upload(
    client: Client, django_user_model: Any, s3_client: Any, s3_bucket: str
) -> None:
    user = django_user_model.objects.create(username="viewer", is_staff=True)
    client.force_login(user)
    assert client.get(UPLOAD_URL).status_code == 403
    response = client.post(UPLOAD_URL, {"files": files.upload_file("a.jpg", files.jpeg())})
    assert response.status_code == 403
    assert bucket_keys(s3_client, s3_bucket) == []


def test_post_without_csrf_token_is_refused(
    editor: Any, s3_client: Any, s3_bucket: str, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post(UPLOAD_URL, {"files": files.upload_file("a.jpg", files.jpeg())})
    assert response.status_code == 403
    assert Asset.objects.count() == 0
    assert bucket_keys(s3_client, s3_bucket) == []

    asset = make_asset(editor)
    delete_url = reverse("admin:imageadmin_asset_delete", args=[asset.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Asset.objects.filter(pk=asset.pk).exists()
    assert bucket_keys(s3_client, s3_bucket) == [asset.key]


def test_upload_with_csrf_token_is_accepted(editor: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    page = client.get(UPLOAD_URL).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    response = client.post(
        UPLOAD_URL,
        {"csrfmiddlewaretoken": token.group(1), "files": files.upload_file("a.jpg", files.jpeg())},
    )
    assert response.status_code == 200
    assert Asset.objects.count() == 1


# --- changelist -------------------------------------------------------------------------------


def test_changelist_search_and_filters(editor_client: Client, editor: Any) -> None:
    dress = make_asset(editor, "Red Dress.jpg", seed=1)
    dress.alt_text = "linen summer dress"
    dress.save()
    logo = assets.upload(files.upload_file("logo.png", files.png_alpha(), "image/png"), editor)

    def names(query: str) -> list[str]:
        response = editor_client.get(CHANGELIST_URL + query)
        assert response.status_code == 200
        return [a.original_name for a in response.context["cl"].result_list]

    assert names("?q=linen") == ["Red Dress.jpg"]  # alt text
    assert names(f"?q={logo.key.rsplit('/', 1)[1]}") == ["logo.png"]  # key
    assert names("?q=red+dress") == ["Red Dress.jpg"]  # original name
    assert names("?format__exact=png") == ["logo.png"]
    assert names(f"?uploaded_by__id__exact={editor.pk}") == ["logo.png", "Red Dress.jpg"]
    page = editor_client.get(CHANGELIST_URL).content.decode()
    assert f'src="{dress.variant_url("small")}" width="150" height="112"' in page
    assert f'src="{logo.variant_url("small")}" width="40" height="30"' in page


# --- change form ------------------------------------------------------------------------------


def _textarea(page: str, element_id: str) -> str:
    """Return what a browser shows (and copies) from a textarea: its text, unescaped once."""
    match = re.search(rf'<textarea id="{element_id}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match is not None, element_id
    return html.unescape(match.group(1))


def test_change_form_shows_urls_and_snippets(editor_client: Client, editor: Any) -> None:
    asset = make_asset(editor)
    asset.alt_text = 'Red "summer" dress </textarea><b>'
    asset.save()
    url = reverse("admin:imageadmin_asset_change", args=[asset.pk])
    page = editor_client.get(url).content.decode()
    for preset in Preset.objects.active():
        assert f'value="{asset.variant_url(preset.name)}"' in page
        assert f'data-copy="{asset.variant_url(preset.name)}"' in page
    assert "imageadmin/assets_copy.js" in page
    assert "<b>" not in page

    img = _textarea(page, "assets-img-snippet")
    # 640 x 480: xlarge (1200) does not upscale, so it is the widest candidate at 640.
    assert img.startswith(f'<img src="{asset.variant_url("xlarge")}"')
    for preset, width in (("small", 150), ("medium", 300), ("large", 600), ("xlarge", 640)):
        assert f"{asset.variant_url(preset)} {width}w" in img
    assert 'alt="Red &quot;summer&quot; dress &lt;/textarea&gt;&lt;b&gt;"' in img
    assert 'width="640" height="480"' in img

    picture = _textarea(page, "assets-picture-snippet")
    assert picture.startswith("<picture>")
    assert picture.endswith("</picture>")
    assert f'<source type="image/avif" srcset="{asset.variant_url("small", "avif")} 150w' in picture
    assert f'<source type="image/webp" srcset="{asset.variant_url("small", "webp")} 150w' in picture
    assert 'alt="Red &quot;summer&quot; dress &lt;/textarea&gt;&lt;b&gt;"' in picture


def test_editor_can_change_alt_text_only(editor_client: Client, editor: Any) -> None:
    asset = make_asset(editor)
    url = reverse("admin:imageadmin_asset_change", args=[asset.pk])
    response = editor_client.post(
        url, {"alt_text": "A red dress", "original_name": "hacked.jpg", "format": "png"}
    )
    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.alt_text == "A red dress"
    assert (asset.original_name, asset.format) == ("dress.jpg", "jpeg")


# --- delete -----------------------------------------------------------------------------------


def _put_variants(s3_client: Any, bucket: str, asset: Asset) -> None:
    for key in (
        asset.variant_key("small"),
        asset.variant_key("large"),
        asset.variant_key("medium", "webp"),
    ):
        s3_client.put_object(Bucket=bucket, Key=key, Body=b"v")


def test_delete_view_removes_original_and_variants(
    editor_client: Client,
    editor: Any,
    s3_client: Any,
    s3_bucket: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    asset = make_asset(editor)
    other = make_asset(editor, "other.jpg", seed=2)
    _put_variants(s3_client, s3_bucket, asset)
    assert len(bucket_keys(s3_client, s3_bucket)) == 5

    url = reverse("admin:imageadmin_asset_delete", args=[asset.pk])
    assert editor_client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert list(Asset.objects.all()) == [other]
    assert bucket_keys(s3_client, s3_bucket) == [other.key]


@pytest.mark.usefixtures("eager_tasks")
def test_an_asset_with_variant_rows_can_be_deleted(
    editor_client: Client,
    editor: Any,
    s3_client: Any,
    s3_bucket: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Warming records a Variant row per object; editors cannot delete those rows on their own."""
    with django_capture_on_commit_callbacks(execute=True):
        warmed = [make_asset(editor, f"w{i}.jpg", seed=i) for i in range(2)]
    assert Variant.objects.filter(asset=warmed[0]).exists()

    url = reverse("admin:imageadmin_asset_delete", args=[warmed[0].pk])
    page = editor_client.get(url).content.decode()
    assert "Are you sure" in page
    assert "permission to delete" not in page
    with django_capture_on_commit_callbacks(execute=True):
        assert editor_client.post(url, {"post": "yes"}).status_code == 302
    data = {"action": "delete_selected", "_selected_action": [warmed[1].pk]}
    assert "Are you sure" in editor_client.post(CHANGELIST_URL, data).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert editor_client.post(CHANGELIST_URL, {**data, "post": "yes"}).status_code == 302
    assert not Asset.objects.exists()
    assert not Variant.objects.exists()
    assert bucket_keys(s3_client, s3_bucket) == []


def test_bulk_delete_action_removes_originals_and_variants(
    editor_client: Client,
    editor: Any,
    s3_client: Any,
    s3_bucket: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    doomed = [make_asset(editor, f"d{i}.jpg", seed=i) for i in range(3)]
    kept = make_asset(editor, "kept.jpg", seed=10)
    for asset in doomed:
        _put_variants(s3_client, s3_bucket, asset)

    data = {"action": "delete_selected", "_selected_action": [a.pk for a in doomed]}
    confirm = editor_client.post(CHANGELIST_URL, data)
    assert confirm.status_code == 200
    assert "Are you sure" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(CHANGELIST_URL, {**data, "post": "yes"})
    assert response.status_code == 302
    assert list(Asset.objects.all()) == [kept]
    assert bucket_keys(s3_client, s3_bucket) == [kept.key]


# --- actions: generate and purge start a Job --------------------------------------------------


@pytest.fixture
def fake_variants(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Replace the variant job starters by a recorder (the real ones enqueue Celery tasks)."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def starter(kind: str) -> Any:
        def start(**kwargs: Any) -> Job:
            calls.append((kind, kwargs))
            return Job.objects.create(kind=kind, total=len(kwargs["asset_ids"]))

        return start

    monkeypatch.setattr(variants, "start_generate", starter("generate"))
    monkeypatch.setattr(variants, "start_purge", starter("purge"))
    return calls


@pytest.mark.parametrize(
    ("action", "kind"),
    [("generate_variants", "generate"), ("purge_variants", "purge")],
)
def test_variant_actions_start_a_job_and_open_it(
    action: str,
    kind: str,
    editor_client: Client,
    editor: Any,
    fake_variants: list[tuple[str, dict[str, Any]]],
) -> None:
    chosen = [make_asset(editor, f"a{i}.jpg", seed=i) for i in range(2)]
    make_asset(editor, "not-chosen.jpg", seed=5)

    response = editor_client.post(
        CHANGELIST_URL, {"action": action, "_selected_action": [a.pk for a in chosen]}
    )

    job = Job.objects.get(kind=kind)  # uploads started warm jobs too
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:imageadmin_job_change", args=[job.pk])
    ((called, kwargs),) = fake_variants
    assert called == kind
    assert sorted(kwargs.pop("asset_ids")) == sorted(a.pk for a in chosen)
    assert kwargs == {"user": editor}
