"""The asset chooser: its JSON endpoints (search, upload) and the widget's HTML."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Permission
from django.test import Client

from imageadmin import assets, aws, storage
from imageadmin.admin.chooser import thumbnail_preset
from imageadmin.fields import AssetField
from imageadmin.models import Asset, Preset
from imageadmin.presets import active_presets, named_or_narrowest
from imageadmin.widgets import AssetChooserWidget
from tests.imageadmin import assets_files as files
from tests.imageadmin.versioned import head

pytestmark = pytest.mark.django_db

SEARCH_URL = "/admin/imageadmin/asset/chooser/search/"
UPLOAD_URL = "/admin/imageadmin/asset/chooser/upload/"
CDN = "https://cdn.example.com"


@pytest.fixture(autouse=True)
def cdn(settings: Any) -> None:
    settings.IMAGEADMIN_CDN_URL = CDN


@pytest.fixture
def editor_client(client: Client, editor: Any) -> Client:
    client.force_login(editor)
    return client


def staff(django_user_model: Any, name: str, *codenames: str) -> Any:
    user = django_user_model.objects.create_user(name, f"{name}@example.com", "pass")
    user.is_staff = True
    user.save()
    for codename in codenames:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="imageadmin", codename=codename)
        )
    return user


def row(name: str, alt: str = "", size: tuple[int, int] = (1600, 1200)) -> Asset:
    """Create an Asset row directly: searching never reads the original."""
    return Asset.objects.create(
        original=f"originals/2026/12/{name}",
        original_name=name,
        alt_text=alt,
        width=size[0],
        height=size[1],
        format="jpeg",
        bytes=1000,
        sha256=name.ljust(64, "0")[:64],
    )


def bucket_keys(s3_client: Any, bucket: str) -> list[str]:
    response = s3_client.list_objects_v2(Bucket=bucket)
    return sorted(obj["Key"] for obj in response.get("Contents", []))


def found(client: Client, q: str) -> list[str]:
    response = client.get(SEARCH_URL, {"q": q})
    assert response.status_code == 200, response.content
    return [r["name"] for r in response.json()["results"]]


# --- search -----------------------------------------------------------------------------------


def test_search_by_name_and_alt_text_every_word(editor_client: Client) -> None:
    row("red-shoe.jpg", alt="A red running shoe")
    row("blue-shoe.jpg", alt="Blue trainer")
    row("hat.jpg", alt="Straw hat, red band")
    assert found(editor_client, "shoe") == ["blue-shoe.jpg", "red-shoe.jpg"]
    assert found(editor_client, "RED") == ["hat.jpg", "red-shoe.jpg"]
    assert found(editor_client, "red running") == ["red-shoe.jpg"]
    assert found(editor_client, "trainer") == ["blue-shoe.jpg"]
    assert found(editor_client, "  ") == ["hat.jpg", "blue-shoe.jpg", "red-shoe.jpg"]  # newest
    assert found(editor_client, "umbrella") == []


def test_search_by_id_and_without_control_characters(editor_client: Client) -> None:
    hat = row("hat.jpg")
    row("scarf.jpg")
    assert found(editor_client, f"#{hat.pk}") == ["hat.jpg"]
    assert found(editor_client, str(hat.pk)) == ["hat.jpg"]
    assert found(editor_client, "h\x00a\u200bt") == ["hat.jpg"]  # PostgreSQL refuses NUL
    assert found(editor_client, "9" * 30) == []  # beyond any id: no overflow


def test_a_result_has_the_thumbnail_size_and_admin_link(editor_client: Client) -> None:
    shoe = row("red shoe.jpg", alt="A red shoe", size=(1600, 1000))
    (result,) = editor_client.get(SEARCH_URL, {"q": "shoe"}).json()["results"]
    assert result == {
        "id": shoe.pk,
        "name": "red shoe.jpg",
        "alt": "A red shoe",
        "width": 1600,
        "height": 1000,
        "format": "jpeg",
        "dimensions": "1600 \N{MULTIPLICATION SIGN} 1000",
        "thumbnail": {
            "url": f"{CDN}/{head('small')}/originals/2026/12/red%20shoe.jpg",
            "width": 150,
            "height": 94,
        },
        "change_url": f"/admin/imageadmin/asset/{shoe.pk}/change/",
        "focal": "",  # the centre: no focal point set
    }


def test_search_is_capped_and_says_there_is_more(editor_client: Client) -> None:
    from imageadmin.admin.chooser import SEARCH_LIMIT

    for i in range(SEARCH_LIMIT + 1):
        row(f"sock-{i:02}.jpg")
    body = editor_client.get(SEARCH_URL, {"q": "sock"}).json()
    assert (len(body["results"]), body["more"], body["limit"]) == (SEARCH_LIMIT, True, SEARCH_LIMIT)
    assert body["results"][0]["name"] == f"sock-{SEARCH_LIMIT:02}.jpg"  # newest first
    body = editor_client.get(SEARCH_URL, {"q": "sock-01"}).json()
    assert (len(body["results"]), body["more"]) == (1, False)


def test_search_needs_view_permission(client: Client, django_user_model: Any) -> None:
    row("hat.jpg")
    client.force_login(staff(django_user_model, "nobody"))
    response = client.get(SEARCH_URL, {"q": "hat"})
    assert response.status_code == 403
    assert response.json() == {
        "code": "permission_denied",
        "message": "You do not have permission to view images.",
    }
    client.force_login(staff(django_user_model, "viewer", "view_asset"))
    assert found(client, "hat") == ["hat.jpg"]


def test_anonymous_and_non_staff_users_get_json_403(client: Client, django_user_model: Any) -> None:
    for url in (SEARCH_URL, UPLOAD_URL):
        response = client.get(url)
        assert response.status_code == 403
        assert response.json()["code"] == "login_required"
    customer = django_user_model.objects.create_user("customer", "c@example.com", "pass")
    customer.user_permissions.add(Permission.objects.get(codename="view_asset"))
    client.force_login(customer)
    assert client.get(SEARCH_URL).json()["code"] == "login_required"


def test_bad_search_requests_are_4xx_json(editor_client: Client) -> None:
    response = editor_client.get(SEARCH_URL, {"q": "x" * 201})
    assert response.status_code == 400
    assert response.json()["code"] == "query_too_long"
    response = editor_client.post(SEARCH_URL, {"q": "hat"})
    assert (response.status_code, response["Allow"]) == (405, "GET")
    assert response.json()["code"] == "method_not_allowed"


# --- upload -----------------------------------------------------------------------------------


def test_upload_stores_the_asset_and_answers_it(
    editor_client: Client, editor: Any, s3_client: Any, s3_bucket: str
) -> None:
    response = editor_client.post(
        UPLOAD_URL, {"file": files.upload_file("summer dress.jpg", files.jpeg((640, 480)))}
    )
    assert response.status_code == 201
    body = response.json()
    asset = Asset.objects.get()
    assert (asset.original_name, asset.width, asset.uploaded_by) == (
        "summer dress.jpg",
        640,
        editor,
    )
    assert body["duplicate"] is False
    assert body["message"] == "Uploaded summer dress.jpg."
    assert body["asset"]["id"] == asset.pk
    assert body["asset"]["thumbnail"]["url"] == asset.variant_url("small")
    assert bucket_keys(s3_client, s3_bucket) == [asset.key]
    entry = LogEntry.objects.get()
    assert (entry.action_flag, entry.object_id) == (ADDITION, str(asset.pk))


@pytest.mark.parametrize(
    ("name", "data", "code", "message"),
    [
        ("broken.jpg", files.truncated_jpeg(), "corrupt", "broken.jpg is a damaged or truncated"),
        ("logo.svg", files.SVG, "unsupported", "logo.svg is an SVG image; upload a JPEG"),
        ("notes.pdf", files.PDF, "unsupported", "notes.pdf is a PDF document"),
        ("empty.jpg", b"", "empty", "empty.jpg is empty."),
    ],
)
def test_a_refused_upload_says_why_and_stores_nothing(
    editor_client: Client,
    s3_client: Any,
    s3_bucket: str,
    name: str,
    data: bytes,
    code: str,
    message: str,
) -> None:
    response = editor_client.post(UPLOAD_URL, {"file": files.upload_file(name, data)})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == code
    assert body["message"].startswith(message)
    assert not Asset.objects.exists()
    assert bucket_keys(s3_client, s3_bucket) == []


def test_a_duplicate_answers_the_existing_asset_by_name(
    editor_client: Client, editor: Any, s3_client: Any, s3_bucket: str
) -> None:
    data = files.jpeg((300, 200), seed=5)
    existing = assets.upload(files.upload_file("hat.jpg", data), editor)
    response = editor_client.post(UPLOAD_URL, {"file": files.upload_file("copy of hat.jpg", data)})
    assert response.status_code == 200
    body = response.json()
    assert body["duplicate"] is True
    assert body["asset"]["id"] == existing.pk
    assert body["message"].startswith(
        f"copy of hat.jpg is already uploaded as hat.jpg (asset #{existing.pk}, "
    )
    assert Asset.objects.count() == 1
    assert bucket_keys(s3_client, s3_bucket) == [existing.key]


def test_upload_needs_add_permission(client: Client, django_user_model: Any) -> None:
    client.force_login(staff(django_user_model, "viewer", "view_asset"))
    response = client.post(UPLOAD_URL, {"file": files.upload_file("a.jpg", files.jpeg())})
    assert response.status_code == 403
    assert response.json()["message"] == "You do not have permission to upload images."
    assert not Asset.objects.exists()


def test_bad_upload_requests_are_4xx_json(editor_client: Client) -> None:
    response = editor_client.post(UPLOAD_URL, {})
    assert (response.status_code, response.json()["code"]) == (400, "one_file")
    two = [
        files.upload_file("a.jpg", files.jpeg(seed=1)),
        files.upload_file("b.jpg", files.jpeg(seed=2)),
    ]
    response = editor_client.post(UPLOAD_URL, {"file": two})
    assert (response.status_code, response.json()["code"]) == (400, "one_file")
    response = editor_client.post(UPLOAD_URL, b"garbage", content_type="multipart/form-data")
    assert (response.status_code, response.json()["code"]) == (400, "bad_request")
    response = editor_client.get(UPLOAD_URL)
    assert (response.status_code, response["Allow"]) == (405, "POST")
    assert not Asset.objects.exists()


def test_upload_needs_the_csrf_token(editor: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post(UPLOAD_URL, {"file": files.upload_file("a.jpg", files.jpeg())})
    assert response.status_code == 403
    assert not Asset.objects.exists()


@pytest.mark.parametrize(
    ("error", "status", "code", "advice"),
    [
        (
            aws.error_for("PutObject", "SlowDown", "Please reduce your request rate"),
            503,
            "storage_unavailable",
            "try again",
        ),
        (
            aws.error_for("PutObject", "AccessDenied", "Access Denied"),
            502,
            "storage_refused",
            "Tell the site's administrator.",
        ),
    ],
)
def test_a_storage_failure_is_json_saying_whether_to_try_again(
    editor_client: Client,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    status: int,
    code: str,
    advice: str,
) -> None:
    def fail(*args: Any, **kwargs: Any) -> str:
        raise error

    monkeypatch.setattr(storage, "save_original", fail)
    response = editor_client.post(UPLOAD_URL, {"file": files.upload_file("a.jpg", files.jpeg())})
    assert response.status_code == status
    assert response.json()["code"] == code
    assert advice in response.json()["message"]
    assert not Asset.objects.exists()


# --- the widget -------------------------------------------------------------------------------


def test_the_widget_shows_the_current_image_and_the_endpoints() -> None:
    shoe = row("red shoe.jpg", size=(1600, 1000))
    html = AssetChooserWidget().render("image", shoe.pk, {"id": "id_image"})
    assert f'<input type="hidden" name="image" value="{shoe.pk}" id="id_image">' in html
    assert f'data-search-url="{SEARCH_URL}"' in html
    assert f'data-upload-url="{UPLOAD_URL}"' in html
    src = f"{CDN}/{head('small')}/originals/2026/12/red%20shoe.jpg"
    assert f'src="{src}" width="150" height="94"' in html
    assert ">red shoe.jpg</a>" in html
    assert "1600 \N{MULTIPLICATION SIGN} 1000" in html
    assert 'id="id_image_choose"' in html
    assert AssetChooserWidget().id_for_label("id_image") == "id_image_choose"
    assert AssetChooserWidget().render("image", shoe) == AssetChooserWidget().render(
        "image", shoe.pk
    )
    assert 'data-asset-chooser-action="clear">' in html  # shown: there is something to clear


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "No image chosen."), ("", "No image chosen."), ("987654", "#987654 no longer exists")],
)
def test_the_widget_without_an_image(value: Any, text: str) -> None:
    html = AssetChooserWidget().render("image", value, {"id": "id_image"})
    assert text in html
    assert 'class="asset-chooser-thumb" alt="" hidden' in html


def test_the_widget_of_a_required_field_has_no_clear_button() -> None:
    widget = AssetChooserWidget()
    widget.is_required = True
    assert 'data-asset-chooser-action="clear"' not in widget.render("image", None)


def test_the_widget_media() -> None:
    media = str(AssetChooserWidget().media)
    assert "imageadmin/asset_chooser.js" in media
    assert "imageadmin/asset_chooser.css" in media


def test_rendering_never_lists_the_choices(django_assert_num_queries: Any) -> None:
    """A ModelChoiceField's <select> would load every asset; the chooser loads only its own."""
    for i in range(30):
        row(f"sock-{i:02}.jpg")
    sock = Asset.objects.get(original_name="sock-07.jpg")

    class ProductForm(forms.Form):
        image = AssetField(Asset).formfield()

    with django_assert_num_queries(3):  # the chosen asset, the served tokens, the presets
        html = str(ProductForm(initial={"image": sock.pk})["image"])
    assert "sock-07.jpg" in html
    assert "sock-08.jpg" not in html


def test_the_thumbnail_preset_is_small_else_the_narrowest_active_one(
    presets: dict[str, Preset],
) -> None:
    assert named_or_narrowest([], "small") is None
    active = active_presets()
    assert thumbnail_preset(active) == named_or_narrowest(active, "small")
    assert thumbnail_preset(active).name == "small"  # type: ignore[union-attr]
    narrow = [p for p in active if p.name != "small"]
    assert thumbnail_preset(narrow).name == "medium"  # type: ignore[union-attr]
    assert named_or_narrowest(active, "large").name == "large"  # type: ignore[union-attr]
