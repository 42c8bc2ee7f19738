"""The preset admin: changelist storage, the preview endpoint, impact and saving."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import connection
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from imageadmin.models import MAX_ACTIVE_PRESETS, Job, Preset, Variant, VariantStatus
from tests.imageadmin.conftest import use_bucket
from tests.imageadmin.preset_data import make_asset, make_variants, preset_form

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:imageadmin_preset_changelist")
ADD = reverse("admin:imageadmin_preset_add")
TIMES = "\xa0\N{MULTIPLICATION SIGN}\xa0"  # kept on one line
PREVIEW = reverse("admin:imageadmin_preset_preview")


def change_url(preset: Preset) -> str:
    return reverse("admin:imageadmin_preset_change", args=[preset.pk])


def impact_url(preset: Preset) -> str:
    return reverse("admin:imageadmin_preset_impact", args=[preset.pk])


@pytest.fixture
def padmin(client: Client, preset_admin: Any) -> Client:
    client.force_login(preset_admin)
    return client


@pytest.fixture
def medium() -> Preset:
    return Preset.objects.get(name="medium")


# --- changelist ---------------------------------------------------------------------------------


def test_changelist_shows_size_fit_format_counts_and_storage_bars(
    padmin: Client, medium: Preset
) -> None:
    Preset.objects.create(name="square", width=300, height=300, fit="cover", format="webp")
    assets = [make_asset(f"a{i}.jpg", store=False) for i in range(3)]
    make_variants(medium, assets[:2], size=2000)
    make_variants(medium, assets[2:], size=1000, status=VariantStatus.STALE)

    response = padmin.get(CHANGELIST)

    assert response.status_code == 200
    rows = {p.name: p for p in response.context["cl"].result_list}
    assert (rows["medium"].variant_count, rows["medium"].variant_bytes) == (3, 5000)
    assert (rows["medium"].stale_count, rows["medium"].stale_bytes) == (1, 1000)
    assert rows["small"].variant_count == 0
    html = response.content.decode()
    assert f"150{TIMES}auto" in html
    assert f"300{TIMES}300" in html
    assert ">cover<" in html
    assert ">webp<" in html
    assert "3 variants (4.9\xa0KB), 1 variant (1000\xa0bytes) stale" in html  # the bar's title
    # medium is the largest: its ready part is 4000/5000 of the bar, the stale part the rest.
    assert 'class="preset-storage-ready" width="96.0"' in html
    assert 'class="preset-storage-stale" x="96.0" width="24.0"' in html
    assert f"?preset__id__exact={medium.pk}" in html
    assert f"5 of {MAX_ACTIVE_PRESETS}" in html


def test_changelist_queries_do_not_grow_with_presets(padmin: Client) -> None:
    asset = make_asset(store=False)
    for preset in Preset.objects.all():
        make_variants(preset, [asset])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert padmin.get(CHANGELIST).status_code == 200
        return len(queries)

    before = count()
    for i in range(10):
        preset = Preset.objects.create(name=f"extra{i}", width=100 + i, active=False)
        make_variants(preset, [asset])
    assert count() == before


def test_deleting_presets_confirms_with_totals_and_starts_a_purge_job(padmin: Client) -> None:
    preset = Preset.objects.create(name="old", width=90, active=False)
    make_variants(preset, [make_asset(f"a{i}.jpg", store=False) for i in range(3)])
    data = {"action": "delete_selected", "_selected_action": [preset.pk]}

    confirm = padmin.post(CHANGELIST, data)
    response = padmin.post(CHANGELIST, {**data, "post": "yes"}, follow=True)

    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "old: 3 variants (2.9\xa0KB); a purge job deletes its variants from S3" in html
    assert "originals/2026/11/a0.jpg" not in html  # totals, not one line per variant
    assert response.status_code == 200
    assert not Preset.objects.filter(name="old").exists()
    assert not Variant.objects.filter(preset_id=preset.pk).exists()
    job = Job.objects.get()
    assert job.kind == "purge"
    assert any(f"Purge job #{job.pk}</a> deletes the variants of “old”" in str(m)
               for m in response.context["messages"])  # fmt: skip


def test_deleting_one_preset_from_its_page_starts_a_purge_job(
    padmin: Client, medium: Preset
) -> None:
    url = reverse("admin:imageadmin_preset_delete", args=[medium.pk])

    assert "medium: no variants" in padmin.get(url).content.decode()
    assert padmin.post(url, {"post": "yes"}).status_code == 302
    assert Job.objects.get().kind == "purge"
    assert not Preset.objects.filter(pk=medium.pk).exists()


# --- preview endpoint ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "size", "fmt"),
    [
        ({"width": "200"}, (200, 150), "JPEG"),
        ({"width": "200", "height": "200", "fit": "cover", "format": "webp"}, (200, 200), "WEBP"),
        ({"width": "200", "height": "200", "fit": "contain", "format": "png"}, (200, 200), "PNG"),
        ({"width": "1600", "upscale": "true", "quality": "60"}, (1600, 1200), "JPEG"),
        ({"width": "1600", "upscale": "false"}, (800, 600), "JPEG"),
        ({"width": "120", "format": "avif"}, (120, 90), "AVIF"),
    ],
)
def test_preview_renders_the_preset_on_the_asset(
    padmin: Client, params: dict[str, str], size: tuple[int, int], fmt: str
) -> None:
    asset = make_asset()

    response = padmin.get(PREVIEW, {"asset": asset.pk, **params})

    assert response.status_code == 200
    image = Image.open(io.BytesIO(response.content))
    assert (image.size, image.format) == (size, fmt)
    assert response["Content-Type"] == f"image/{fmt.lower()}"
    assert (response["X-Preview-Width"], response["X-Preview-Height"]) == tuple(map(str, size))
    assert response["X-Preview-Bytes"] == str(len(response.content))
    cache = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache


def test_preview_pads_contain_with_the_background(padmin: Client) -> None:
    asset = make_asset(size=(400, 100))
    params = {"asset": asset.pk, "width": 100, "height": 100, "fit": "contain"}

    response = padmin.get(PREVIEW, {**params, "format": "png", "background": "#ff0000"})

    image = Image.open(io.BytesIO(response.content)).convert("RGB")
    assert image.getpixel((50, 2)) == (255, 0, 0)  # the padding above the 100x25 picture


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({}, "width", "width: is required"),
        ({"width": "0"}, "width", "width: must be an integer from 1 to 8192, got 0"),
        ({"width": "abc"}, "width", "width: must be an integer from 1 to 8192, got 'abc'"),
        ({"width": "9000"}, "width", "width: must be an integer from 1 to 8192, got 9000"),
        ({"width": "100", "height": "-5"}, "height", "got '-5'"),
        ({"width": "100", "fit": "cover"}, "height", "height: is required when fit is 'cover'"),
        ({"width": "100", "fit": "stretch"}, "fit", "fit: must be one of inside, cover, contain"),
        ({"width": "100", "format": "gif"}, "format", "format: must be one of original, jpeg"),
        ({"width": "100", "quality": "101"}, "quality", "from 1 to 100, got 101"),
        ({"width": "100", "upscale": "maybe"}, "upscale", "must be true or false, got 'maybe'"),
        ({"width": "100", "background": "red"}, "background", "must be #rrggbb or #rrggbbaa"),
    ],
)
def test_preview_refuses_bad_parameters_with_the_parsers_message(
    padmin: Client, params: dict[str, str], field: str, message: str
) -> None:
    asset = make_asset(store=False)

    response = padmin.get(PREVIEW, {"asset": asset.pk, **params})

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert message in response.json()["error"]


@pytest.mark.parametrize(
    ("asset", "status"),
    [("", 400), ("abc", 400), ("\N{SUPERSCRIPT TWO}", 400), ("9" * 30, 400), ("99999", 404),
     ("9" * 18, 404)],
)  # fmt: skip
def test_preview_needs_an_existing_asset(padmin: Client, asset: str, status: int) -> None:
    response = padmin.get(PREVIEW, {"asset": asset, "width": 100})

    assert response.status_code == status
    assert response.json()["field"] == "asset"


def test_preview_of_an_original_missing_from_s3_is_404(padmin: Client) -> None:
    asset = make_asset(store=False)

    response = padmin.get(PREVIEW, {"asset": asset.pk, "width": 100})

    assert response.status_code == 404
    assert "missing from S3" in response.json()["error"]


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"\xff\xd8\xff\xe0 truncated", 422, "not a readable JPEG"),
        (b"II*\x00" + b"\x00" * 64, 415, "not a JPEG, PNG, WebP, GIF or AVIF"),
    ],
)
def test_preview_of_a_bad_original_answers_as_the_lambda_would(
    padmin: Client, data: bytes, status: int, message: str
) -> None:
    asset = make_asset(data=data)

    response = padmin.get(PREVIEW, {"asset": asset.pk, "width": 100})

    assert response.status_code == status
    assert message in response.json()["error"]


def test_preview_of_an_original_over_the_pixel_limit_is_413(padmin: Client, settings: Any) -> None:
    settings.IMAGEADMIN_MAX_UPLOAD_PIXELS = 1000
    asset = make_asset()

    response = padmin.get(PREVIEW, {"asset": asset.pk, "width": 100})

    assert response.status_code == 413
    assert "the limit is 1000" in response.json()["error"]


def test_preview_when_s3_cannot_be_reached_is_502(
    padmin: Client, settings: Any, s3_bucket: str
) -> None:
    asset = make_asset(store=False)
    use_bucket(settings, s3_bucket, "http://127.0.0.1:9")  # discard port: connection refused

    response = padmin.get(PREVIEW, {"asset": asset.pk, "width": 100})

    assert response.status_code == 502
    error = response.json()["error"]
    assert error.startswith("GetObject failed: Could not connect")
    assert error.endswith("AWS is temporarily unavailable; try again in a moment.")


def test_preview_answers_only_get(padmin: Client) -> None:
    assert padmin.post(PREVIEW, {"width": 100}).status_code == 405


# --- change form: preview panel and impact ------------------------------------------------------


def test_add_form_offers_recent_assets_for_a_preview_of_the_unsaved_preset(padmin: Client) -> None:
    older, newer = make_asset("older.jpg", store=False), make_asset("newer.jpg", store=False)

    html = padmin.get(ADD).content.decode()

    assert f'data-preview-url="{PREVIEW}"' in html
    assert html.index(f'<option value="{newer.pk}">') < html.index(f'<option value="{older.pk}">')
    assert "data-impact-url" not in html
    assert "A new preset has no variants yet" in html
    assert "imageadmin/preset_preview.js" in html


def test_change_form_without_assets_says_so_instead_of_a_broken_image(
    padmin: Client, medium: Preset
) -> None:
    html = padmin.get(change_url(medium)).content.decode()

    assert "No assets yet, so there is nothing to preview." in html
    assert "preset-preview-img" not in html


def test_change_form_says_how_many_variants_the_preset_has(padmin: Client, medium: Preset) -> None:
    assets = [make_asset(f"a{i}.jpg", store=False) for i in range(3)]
    make_variants(medium, assets[:2], size=1500)
    make_variants(medium, assets[2:], status=VariantStatus.STALE)

    html = padmin.get(change_url(medium)).content.decode()

    assert (
        f"This preset has 2 variants ({filesizeformat(3000)}) in use, and 1 already stale" in html
    )
    assert f'data-impact-url="{impact_url(medium)}"' in html
    assert "Saving changes no output: the 2 variants" in html


def test_impact_of_an_output_change_counts_the_variants_made_stale(
    padmin: Client, medium: Preset
) -> None:
    make_variants(medium, [make_asset(f"a{i}.jpg", store=False) for i in range(3)], size=2048)
    values = preset_form(medium)

    same = padmin.get(impact_url(medium), values).json()
    wider = padmin.get(impact_url(medium), {**values, "width": 320}).json()

    assert (same["makes_stale"], same["renamed"], same["variants"]) == (False, False, 3)
    assert wider["makes_stale"] is True
    assert wider["bytes"] == 3 * 2048
    assert wider["message"].startswith(f"Saving makes 3 variants ({filesizeformat(6144)}) stale")


def test_impact_of_a_rename_warns_about_urls(padmin: Client, medium: Preset) -> None:
    make_variants(medium, [make_asset(store=False)])

    body = padmin.get(impact_url(medium), {**preset_form(medium), "name": "mid"}).json()

    assert body["renamed"] is True
    assert "http://127.0.0.1:8080/medium/… to http://127.0.0.1:8080/mid/…" in body["message"]
    assert "Saving makes 1 variant" in body["message"]


def test_impact_of_invalid_values_is_400_with_the_message(padmin: Client, medium: Preset) -> None:
    response = padmin.get(impact_url(medium), {**preset_form(medium), "fit": "cover"})

    assert response.status_code == 400
    assert response.json()["error"] == "height: is required when fit is 'cover'"


@pytest.mark.parametrize("pk", [9999, 10**30])
def test_impact_of_a_missing_preset_is_404(padmin: Client, pk: int) -> None:
    assert padmin.get(reverse("admin:imageadmin_preset_impact", args=[pk])).status_code == 404


# --- saving -------------------------------------------------------------------------------------


def test_saving_a_new_output_marks_variants_stale_and_says_how_many(
    padmin: Client, medium: Preset
) -> None:
    assets = [make_asset(f"a{i}.jpg", store=False) for i in range(3)]
    make_variants(medium, assets, size=1024)
    other = make_variants(Preset.objects.get(name="small"), assets[:1])[0]

    response = padmin.post(change_url(medium), preset_form(medium, width=320), follow=True)

    assert response.status_code == 200
    assert set(medium.variants.values_list("status", flat=True)) == {VariantStatus.STALE}
    other.refresh_from_db()
    assert other.status == VariantStatus.READY
    texts = [str(m) for m in response.context["messages"]]
    assert any(
        t.startswith(f"3 variants ({filesizeformat(3072)}) of “medium” are now stale")
        for t in texts
    )


def test_saving_without_an_output_change_keeps_variants(padmin: Client, medium: Preset) -> None:
    make_variants(medium, [make_asset(store=False)])

    response = padmin.post(change_url(medium), preset_form(medium, position=7), follow=True)

    assert medium.variants.get().status == VariantStatus.READY
    assert not any("stale" in str(m) for m in response.context["messages"])
    medium.refresh_from_db()
    assert medium.position == 7


def test_renaming_warns_that_urls_change(padmin: Client, medium: Preset) -> None:
    make_variants(medium, [make_asset(store=False)])

    response = padmin.post(change_url(medium), preset_form(medium, name="mid"), follow=True)

    texts = " ".join(str(m) for m in response.context["messages"])
    assert "“medium” is now “mid”: its URLs changed from http://127.0.0.1:8080/medium/…" in texts
    assert "1 variant (1000\xa0bytes) of “mid” is now stale" in texts
    assert medium.variants.get().status == VariantStatus.STALE


def test_saving_what_the_lambda_would_refuse_shows_the_error_on_the_field(
    padmin: Client, medium: Preset
) -> None:
    response = padmin.post(change_url(medium), preset_form(medium, fit="cover", height=""))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["height"] == [
        "is required when fit is 'cover'"
    ]
    medium.refresh_from_db()
    assert medium.fit == "inside"


def test_the_26th_active_preset_is_refused(padmin: Client) -> None:
    for i in range(MAX_ACTIVE_PRESETS - Preset.objects.active().count()):
        Preset.objects.create(name=f"p{i}", width=50 + i)
    new = Preset(name="one-too-many", width=99)

    response = padmin.post(ADD, preset_form(new, active="on"))

    assert response.status_code == 200
    assert (
        "At most 25 presets can be active" in response.context["adminform"].form.errors["active"][0]
    )
    assert padmin.post(ADD, preset_form(new, active=None)).status_code == 302


def test_a_preset_named_like_the_originals_prefix_is_refused(padmin: Client) -> None:
    response = padmin.post(ADD, preset_form(Preset(name="originals", width=100)))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [
        "'originals' is the originals prefix; a preset cannot share it."
    ]


def test_a_new_preset_is_saved_without_stale_messages(padmin: Client) -> None:
    data = preset_form(Preset(name="hero", width=1600, height=600, fit="cover", format="avif"))

    response = padmin.post(ADD, data, follow=True)

    assert Preset.objects.filter(name="hero", fit="cover").exists()
    assert not any("stale" in str(m) for m in response.context["messages"])
