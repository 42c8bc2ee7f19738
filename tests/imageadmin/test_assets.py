"""imageadmin.assets: uploads are checked and stored whole or not at all; deletes clean S3."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.db import IntegrityError
from django.db.models import QuerySet
from storages.backends.s3 import S3Storage

from imageadmin import assets, aws, storage
from imageadmin.models import Asset, Preset, Variant
from resizer_lambda import imaging, keys
from tests.imageadmin import assets_files as files
from tests.resizer.images import scan_bomb

pytestmark = pytest.mark.django_db

KEY_RE = r"originals/\d{4}/\d{2}/%s-[0-9a-f]{6}\.%s"


def bucket_keys(s3_client: Any, bucket: str) -> list[str]:
    response = s3_client.list_objects_v2(Bucket=bucket)
    return sorted(obj["Key"] for obj in response.get("Contents", []))


def put(s3_client: Any, bucket: str, key: str) -> None:
    s3_client.put_object(Bucket=bucket, Key=key, Body=b"variant")


# --- good uploads ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make", "fmt", "size", "content_type"),
    [
        ("summer dress.jpg", files.jpeg, "jpeg", (64, 48), "image/jpeg"),
        ("logo.png", files.png_alpha, "png", (40, 30), "image/png"),
        ("banner.webp", files.webp, "webp", (50, 20), "image/webp"),
        ("anim.gif", files.gif, "gif", (30, 30), "image/gif"),
    ],
)
def test_upload_stores_original_and_row(
    name: str,
    make: Callable[[], bytes],
    fmt: str,
    size: tuple[int, int],
    content_type: str,
    editor: Any,
    s3_client: Any,
    s3_bucket: str,
) -> None:
    data = make()
    asset = assets.upload(files.upload_file(name, data), editor)

    asset.refresh_from_db()
    assert (asset.width, asset.height, asset.format) == (*size, fmt)
    assert asset.bytes == len(data)
    assert asset.original_name == name
    assert asset.uploaded_by == editor
    assert re.fullmatch(KEY_RE % (r"[a-z-]+", assets.EXTENSIONS[fmt]), asset.key)
    keys.check_original_key(asset.key, {"small", "medium", "large", "xlarge"})
    assert bucket_keys(s3_client, s3_bucket) == [asset.key]
    head = s3_client.get_object(Bucket=s3_bucket, Key=asset.key)
    assert head["Body"].read() == data
    assert head["ContentType"] == content_type


def test_exif_rotated_jpeg_gets_display_dimensions(editor: Any) -> None:
    asset = assets.upload(files.upload_file("portrait.jpg", files.exif_rotated_jpeg()), editor)
    # Stored 80 wide x 40 high, orientation 6 (rotate 90° clockwise to display): 40 x 80.
    assert (asset.width, asset.height) == (40, 80)
    assert asset.variant_size(Preset.objects.get(name="small")) == (40, 80)


def test_sha256_is_recorded(editor: Any) -> None:
    import hashlib

    data = files.jpeg(seed=42)
    asset = assets.upload(files.upload_file("a.jpg", data), editor)
    assert asset.sha256 == hashlib.sha256(data).hexdigest()


# --- keys are made server-side from a slug, never from the raw name ---------------------------


@pytest.mark.parametrize(
    ("raw_name", "make", "slug", "ext"),
    [
        ("../../etc/passwd.jpg", files.jpeg, "passwd", "jpg"),
        ("ümlaut façade.JPG", files.jpeg, "umlaut-facade", "jpg"),
        ("a\\b.png", files.png_alpha, "b", "png"),
        ("C:\\Users\\me\\Desktop\\Photo 1.jpeg", files.jpeg, "photo-1", "jpg"),
        ("x" * 300 + ".jpg", files.jpeg, "x" * assets.MAX_SLUG_CHARS, "jpg"),
        (".jpg", files.jpeg, "image", "jpg"),
        ("no-extension", files.jpeg, "no-extension", "jpg"),
        ("really-a-jpeg.png", files.jpeg, "really-a-jpeg", "jpg"),
        ("photo.php.jpg", files.jpeg, "photo-php", "jpg"),
        ("evil\u202egnp.jpg", files.jpeg, "evilgnp", "jpg"),
        (
            "\uff46\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48.jpg",
            files.jpeg,
            "fullwidth",
            "jpg",
        ),
        ("写真.jpg", files.jpeg, "image", "jpg"),
        ("a%2F..%2Fb.jpg", files.jpeg, "a-2f-2fb", "jpg"),
        ("tab\there\x00nul.webp", files.webp, "tab-herenul", "webp"),
        ("..", files.jpeg, "image", "jpg"),
        ("small/photo.jpg", files.jpeg, "photo", "jpg"),
    ],
)
def test_key_safety(
    raw_name: str,
    make: Callable[[], bytes],
    slug: str,
    ext: str,
    editor: Any,
    s3_client: Any,
    s3_bucket: str,
) -> None:
    asset = assets.upload(files.upload_file("upload", make()), editor, name=raw_name)

    assert re.fullmatch(KEY_RE % (re.escape(slug), ext), asset.key), asset.key
    keys.check_original_key(asset.key, set(Preset.objects.values_list("name", flat=True)))
    assert ".." not in asset.key
    assert "\\" not in asset.key
    assert bucket_keys(s3_client, s3_bucket) == [asset.key]
    assert len(asset.original_name) <= assets.MAX_NAME_CHARS
    assert not any(c in asset.original_name for c in "/\\\x00\t\u202e")


def test_display_name_keeps_extension_when_truncating() -> None:
    name = assets.display_name("y" * 400 + ".webp")
    assert len(name) <= assets.MAX_NAME_CHARS
    assert name.endswith("….webp")


def test_keys_are_unique_for_the_same_name(editor: Any) -> None:
    first = assets.upload(files.upload_file("same.jpg", files.jpeg(seed=1)), editor)
    second = assets.upload(files.upload_file("same.jpg", files.jpeg(seed=2)), editor)
    assert first.key != second.key


# --- refused files: a clear message, nothing stored -------------------------------------------


@pytest.mark.parametrize(
    ("name", "make", "code", "message"),
    [
        ("notes.txt", lambda: b"hello, world\n", "unsupported", "not an image this site accepts"),
        ("logo.svg", lambda: files.SVG, "unsupported", "is an SVG image"),
        ("scan.tif", files.tiff, "unsupported", "is a TIFF image"),
        ("old.bmp", files.bmp, "unsupported", "is a BMP image"),
        ("brochure.pdf", lambda: files.PDF, "unsupported", "is a PDF document"),
        ("photo.jpg", lambda: b"\x00\x00\x00\x18ftypheic" + b"\x00" * 40, "unsupported", "HEIC"),
        ("empty.jpg", lambda: b"", "empty", "is empty"),
        ("half.jpg", files.truncated_jpeg, "corrupt", "damaged or truncated"),
        ("half.png", files.truncated_png, "corrupt", "damaged or truncated"),
        ("noise.jpg", files.garbage_jpeg, "corrupt", "damaged or truncated"),
        ("bomb.png", files.png_bomb, "too_many_pixels", "too many pixels"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(
    name: str,
    make: Callable[[], bytes],
    code: str,
    message: str,
    editor: Any,
    s3_client: Any,
    s3_bucket: str,
) -> None:
    with pytest.raises(assets.UploadRefused) as info:
        assets.upload(files.upload_file(name, make()), editor)

    assert info.value.code == code
    assert message in info.value.message
    assert info.value.message.startswith(name)
    assert bucket_keys(s3_client, s3_bucket) == []
    assert Asset.objects.count() == 0


def test_over_the_pixel_limit_is_refused_before_decoding(
    settings: Any, editor: Any, monkeypatch: pytest.MonkeyPatch, s3_client: Any, s3_bucket: str
) -> None:
    settings.IMAGEADMIN_MAX_UPLOAD_PIXELS = 10_000

    def no_decoding(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(imaging, "render_one", no_decoding)
    with pytest.raises(assets.UploadRefused) as info:
        assets.upload(files.upload_file("wide.png", files.png_alpha((200, 100))), editor)

    assert info.value.code == "too_many_pixels"
    assert info.value.message == "wide.png is 200x100 = 20,000 pixels; the limit is 10,000."
    assert bucket_keys(s3_client, s3_bucket) == []
    assert Asset.objects.count() == 0


def test_a_jpeg_scan_bomb_is_refused_before_decoding_and_nothing_is_stored(
    editor: Any, monkeypatch: pytest.MonkeyPatch, s3_client: Any, s3_bucket: str
) -> None:
    # 3000 scans of 8000x8000 in ~100 KB: decoding it would tie the web worker up for minutes.
    bomb = scan_bomb(3000, (256, 256), claim=(8000, 8000))

    def no_decoding(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(imaging, "render_one", no_decoding)
    start = time.perf_counter()
    with pytest.raises(assets.UploadRefused) as info:
        assets.upload(files.upload_file("sunset.jpg", bomb), editor)
    elapsed = time.perf_counter() - start

    assert info.value.code == "too_many_scans"
    assert info.value.message == (
        "sunset.jpg is a JPEG with 3,000 scans; the limit is 100 (cameras and editors write "
        "about 10). Save it again as a standard JPEG."
    )
    assert bucket_keys(s3_client, s3_bucket) == []
    assert Asset.objects.count() == 0
    assert elapsed < 1.0  # ~10 ms here


def test_a_decode_over_the_time_limit_is_refused(
    editor: Any, monkeypatch: pytest.MonkeyPatch, s3_client: Any, s3_bucket: str
) -> None:
    slow = scan_bomb(100, (2000, 2000))  # within the scan limit; ~0.4 s to decode here
    render_one = imaging.render_one

    def with_a_short_limit(data: bytes, preset: Any, limits: Any, *args: Any) -> Any:
        return render_one(data, preset, replace(limits, max_decode_seconds=0.01), *args)

    monkeypatch.setattr(imaging, "render_one", with_a_short_limit)

    with pytest.raises(assets.UploadRefused) as info:
        assets.upload(files.upload_file("slow.jpg", slow), editor)

    assert info.value.code == "too_slow"
    assert info.value.message.startswith("slow.jpg takes over 0.01 s to decode")
    assert bucket_keys(s3_client, s3_bucket) == []
    assert Asset.objects.count() == 0


def test_over_the_byte_limit_is_refused(
    settings: Any, editor: Any, s3_client: Any, s3_bucket: str
) -> None:
    settings.IMAGEADMIN_MAX_UPLOAD_BYTES = 1000
    data = files.jpeg((200, 200))
    assert len(data) > 1000

    with pytest.raises(assets.UploadRefused) as info:
        assets.upload(files.upload_file("big.jpg", data), editor)

    assert info.value.code == "too_large"
    assert info.value.message.startswith("big.jpg is ")
    assert info.value.message.endswith("the limit is 1000 bytes.")
    assert bucket_keys(s3_client, s3_bucket) == []
    assert Asset.objects.count() == 0


# --- duplicates -------------------------------------------------------------------------------


def test_duplicate_is_refused_naming_the_existing_asset(
    editor: Any, s3_client: Any, s3_bucket: str
) -> None:
    data = files.jpeg(seed=7)
    first = assets.upload(files.upload_file("original.jpg", data), editor)

    with pytest.raises(assets.DuplicateUpload) as info:
        assets.upload(files.upload_file("copy of original.jpg", data), editor)

    assert info.value.existing == first
    assert info.value.code == "duplicate"
    assert "copy of original.jpg is already uploaded as original.jpg" in info.value.message
    assert f"asset #{first.pk}" in info.value.message
    assert bucket_keys(s3_client, s3_bucket) == [first.key]
    assert Asset.objects.count() == 1


def test_concurrent_duplicate_loses_the_race_cleanly(
    editor: Any, monkeypatch: pytest.MonkeyPatch, s3_client: Any, s3_bucket: str
) -> None:
    """Another request stores the same bytes between our check and our insert."""
    data = files.jpeg(seed=8)
    real_store = assets._store
    winner: list[Asset] = []

    def store_then_lose(key: str, checked: assets.Checked, point: Any) -> str:
        stored = real_store(key, checked, point)
        winner.append(
            Asset.objects.create(
                original="originals/2026/01/winner-000000.jpg",
                original_name="winner.jpg",
                width=1,
                height=1,
                format="jpeg",
                bytes=len(data),
                sha256=checked.sha256,
            )
        )
        return stored

    monkeypatch.setattr(assets, "_store", store_then_lose)
    with pytest.raises(assets.DuplicateUpload) as info:
        assets.upload(files.upload_file("loser.jpg", data), editor)

    assert info.value.existing == winner[0]
    assert bucket_keys(s3_client, s3_bucket) == []  # our object was removed again
    assert list(Asset.objects.all()) == winner


# --- half-done never: S3 and the database agree ----------------------------------------------


def test_failed_row_insert_leaves_no_s3_object(
    editor: Any, monkeypatch: pytest.MonkeyPatch, s3_client: Any, s3_bucket: str
) -> None:
    def fail(self: Asset, *args: Any, **kwargs: Any) -> None:
        raise IntegrityError("forced")

    monkeypatch.setattr(Asset, "save", fail)
    with pytest.raises(IntegrityError, match="forced"):
        assets.upload(files.upload_file("a.jpg", files.jpeg()), editor)

    assert bucket_keys(s3_client, s3_bucket) == []
    monkeypatch.undo()
    assert Asset.objects.count() == 0


def test_failed_s3_put_leaves_no_row(
    editor: Any, monkeypatch: pytest.MonkeyPatch, s3_client: Any, s3_bucket: str
) -> None:
    def fail(self: S3Storage, name: str, content: Any) -> str:
        raise ClientError({"Error": {"Code": "SlowDown", "Message": "forced"}}, "PutObject")

    monkeypatch.setattr(S3Storage, "_save", fail)
    with pytest.raises(aws.AwsUnavailable, match=r"PutObject failed: SlowDown: forced"):
        assets.upload(files.upload_file("a.jpg", files.jpeg()), editor)

    assert Asset.objects.count() == 0
    assert bucket_keys(s3_client, s3_bucket) == []


# --- delete -----------------------------------------------------------------------------------


def _asset_with_variants(editor: Any, s3_client: Any, bucket: str, seed: int) -> Asset:
    asset = assets.upload(files.upload_file(f"p{seed}.jpg", files.jpeg(seed=seed)), editor)
    for key in (
        asset.variant_key("small"),
        asset.variant_key("medium", "webp"),
        asset.variant_key("xlarge", "avif"),
    ):
        put(s3_client, bucket, key)
    # A variant made under a preset that is inactive now, and a Variant row with its own key.
    retired = Preset.objects.create(name="retired", width=50, active=False)
    put(s3_client, bucket, asset.variant_key(retired.name, "png"))
    legacy = f"legacy/{asset.key}"
    put(s3_client, bucket, legacy)
    Variant.objects.create(asset=asset, preset=retired, key=legacy)
    return asset


def test_delete_removes_original_and_variants_after_commit(
    editor: Any,
    s3_client: Any,
    s3_bucket: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    doomed = _asset_with_variants(editor, s3_client, s3_bucket, seed=1)
    kept = assets.upload(files.upload_file("kept.jpg", files.jpeg(seed=99)), editor)
    put(s3_client, s3_bucket, kept.variant_key("small"))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert assets.delete_assets([doomed.pk]) == 1
    # Rows are gone at once; S3 waits for the commit.
    assert not Asset.objects.filter(pk=doomed.pk).exists()
    assert not Variant.objects.filter(asset_id=doomed.pk).exists()
    assert len(bucket_keys(s3_client, s3_bucket)) == 8
    for callback in callbacks:
        callback()

    assert bucket_keys(s3_client, s3_bucket) == sorted([kept.key, kept.variant_key("small")])


def test_delete_accepts_a_queryset(
    editor: Any,
    s3_client: Any,
    s3_bucket: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    a = _asset_with_variants(editor, s3_client, s3_bucket, seed=1)
    b = assets.upload(files.upload_file("b.jpg", files.jpeg(seed=2)), editor)
    with django_capture_on_commit_callbacks(execute=True):
        deleted = assets.delete_assets(Asset.objects.filter(pk__in=[a.pk, b.pk]))
    assert deleted == 2
    assert bucket_keys(s3_client, s3_bucket) == []
    assert assets.delete_assets([]) == 0


def test_failed_database_delete_loses_no_original(
    editor: Any,
    s3_client: Any,
    s3_bucket: str,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    asset = _asset_with_variants(editor, s3_client, s3_bucket, seed=3)
    before = bucket_keys(s3_client, s3_bucket)

    def fail(self: QuerySet[Any]) -> None:
        raise IntegrityError("forced")

    monkeypatch.setattr(QuerySet, "delete", fail)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(IntegrityError),
    ):
        assets.delete_assets([asset.pk])

    assert callbacks == []
    assert bucket_keys(s3_client, s3_bucket) == before
    assert Asset.objects.filter(pk=asset.pk).exists()


def test_s3_failure_after_commit_is_logged_not_raised(
    editor: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    asset = assets.upload(files.upload_file("a.jpg", files.jpeg()), editor)

    def fail(object_keys: Any) -> str:
        raise aws.AwsUnavailable("DeleteObjects", "forced")

    monkeypatch.setattr(storage, "delete_batch", fail)
    with django_capture_on_commit_callbacks(execute=True):
        assets.delete_assets([asset.pk])

    assert not Asset.objects.exists()
    [failed] = [
        r for r in caplog.records if getattr(r, "event", "") == "asset.objects_delete_failed"
    ]
    assert failed.levelname == "ERROR"
    assert failed.exc_info is not None
