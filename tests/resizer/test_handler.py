"""The Lambda end to end: recorded events in, boto3 against moto's S3 server, Pillow for real.

The handler is called as a function (invoking through moto's Lambda needs Docker); everything
below it runs unpatched. S3 failures moto cannot produce come from `fakes.FakeS3Server`.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import unicodedata
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
from PIL import Image

from resizer_lambda import handler, s3
from resizer_lambda.presets import DEFAULT_CACHE_CONTROL, Preset, output_token
from tests.resizer.conftest import CDN_URL, Invoke, head, image_bytes
from tests.resizer.fakes import EVENT_KINDS, FakeContext, fake_s3, make_event

ListKeys = Callable[[str], list[str]]
# The heads the Lambda renders: each preset at its current output token.
SMALL, MEDIUM, THUMB = head("small"), head("medium"), head("thumb")
ORIGINAL = "originals/photo.jpg"


@pytest.fixture
def original(lambda_env: str, s3_client: Any, photo: bytes) -> str:
    """Put the 2000x1000 JPEG at ORIGINAL in the handler's bucket; return the bucket."""
    s3_client.put_object(Bucket=lambda_env, Key=ORIGINAL, Body=photo, ContentType="image/jpeg")
    return lambda_env


def fetch(s3_client: Any, bucket: str, key: str) -> tuple[dict[str, Any], Image.Image]:
    """Return the stored object's metadata and its decoded image."""
    obj = s3_client.get_object(Bucket=bucket, Key=key)
    im = Image.open(io.BytesIO(obj["Body"].read()))
    im.load()
    return obj, im


def presets_doc(**limits: int) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "cache_control": "public, max-age=600",
        "limits": {f"max_source_{name}": value for name, value in limits.items()},
        "presets": [
            {"name": "thumb", "width": 64, "height": 64, "fit": "cover", "format": "webp"},
            {"name": "small", "width": 150},
        ],
    }


def write_presets(tmp_path: Path, doc: object) -> str:
    path = tmp_path / "presets.json"
    path.write_text(json.dumps(doc))
    return str(path)


def assert_error(result: Any, status: int, code: str, fragment: str) -> None:
    assert result.status == status, result.response
    assert result.headers["Cache-Control"] == "no-store"
    assert result.headers["Content-Type"] == "application/json"
    body = result.json
    assert set(body) == {"code", "message"}
    assert body["code"] == code
    assert fragment in body["message"], body["message"]
    assert result.log["status"] == status
    assert result.log["code"] == code


# --- the round trip -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_round_trip_renders_stores_and_redirects(
    kind: str, original: str, invoke: Invoke, s3_client: Any, list_keys: ListKeys
) -> None:
    result = invoke(f"{SMALL}/{ORIGINAL}", kind=kind)

    assert result.status == 301
    assert result.headers["Location"] == f"{CDN_URL}/{SMALL}/{ORIGINAL}"
    assert result.response["body"] == ""
    obj, im = fetch(s3_client, original, f"{SMALL}/{ORIGINAL}")
    assert (im.format, im.size) == ("JPEG", (150, 75))
    assert obj["ContentType"] == "image/jpeg"
    assert obj["CacheControl"] == DEFAULT_CACHE_CONTROL
    assert list_keys(original) == [ORIGINAL, f"{SMALL}/{ORIGINAL}"]
    assert result.log["existed"] is False


@pytest.mark.parametrize(
    ("fmt", "pil_format", "content_type"),
    [("webp", "WEBP", "image/webp"), ("png", "PNG", "image/png"), ("avif", "AVIF", "image/avif")],
)
def test_format_suffix_sets_format_and_content_type(
    fmt: str, pil_format: str, content_type: str, original: str, invoke: Invoke, s3_client: Any
) -> None:
    key = f"{SMALL}.{fmt}/{ORIGINAL}"
    result = invoke(key)

    assert result.status == 301
    assert result.headers["Location"] == f"{CDN_URL}/{key}"
    obj, im = fetch(s3_client, original, key)
    assert (im.format, im.width) == (pil_format, 150)
    assert obj["ContentType"] == content_type


def test_second_request_skips_rendering(original: str, invoke: Invoke, s3_client: Any) -> None:
    key = f"{SMALL}/{ORIGINAL}"
    first = invoke(key)
    before = s3_client.head_object(Bucket=original, Key=key)
    second = invoke(key)
    after = s3_client.head_object(Bucket=original, Key=key)

    assert first.log["existed"] is False
    assert second.status == 301
    assert second.headers["Location"] == first.headers["Location"]
    assert second.log["existed"] is True
    assert "fetch" not in second.log["ms"]
    assert "put" not in second.log["ms"]
    assert (after["ETag"], after["LastModified"]) == (before["ETag"], before["LastModified"])


def test_variant_written_by_a_racing_request_is_left_alone(
    original: str, invoke: Invoke, s3_client: Any
) -> None:
    # Another container won the race: its object (here a recognisable marker) must survive.
    key = f"{SMALL}/{ORIGINAL}"
    marker = s3_client.put_object(Bucket=original, Key=key, Body=image_bytes(150, 75))

    result = invoke(key)

    assert result.status == 301
    assert result.log["existed"] is True
    assert s3_client.head_object(Bucket=original, Key=key)["ETag"] == marker["ETag"]


AWKWARD_KEYS = {
    "plus": "originals/a+b.jpg",
    "percent": "originals/100% real.jpg",
    "looks-encoded": "originals/%41%2B%20.jpg",
    "spaces": "originals/with  two spaces.jpg",
    "non-nfc": "originals/cafe\u0301.jpg",
    "cjk": "originals/日本語/写真.jpg",
}


@pytest.mark.parametrize("kind", EVENT_KINDS)
@pytest.mark.parametrize("source", AWKWARD_KEYS.values(), ids=AWKWARD_KEYS.keys())
def test_awkward_keys_round_trip_exactly(
    source: str,
    kind: str,
    lambda_env: str,
    invoke: Invoke,
    s3_client: Any,
    list_keys: ListKeys,
) -> None:
    s3_client.put_object(Bucket=lambda_env, Key=source, Body=image_bytes(400, 200))
    key = f"{SMALL}/{source}"

    result = invoke(key, kind=kind)

    assert result.status == 301, result.response
    # Stored under exactly the requested key: no second decode, no Unicode normalisation.
    assert list_keys(lambda_env) == sorted([source, key])
    location = result.headers["Location"]
    assert location.isascii()
    assert location == f"{CDN_URL}/{quote(key, safe='/')}"
    assert unquote(location.removeprefix(CDN_URL + "/")) == key  # encoded exactly once
    assert result.log["key"] == key


def test_non_nfc_key_is_a_different_object_from_its_nfc_twin(
    lambda_env: str, invoke: Invoke, s3_client: Any
) -> None:
    decomposed = "originals/cafe\u0301.jpg"
    assert unicodedata.normalize("NFC", decomposed) != decomposed
    s3_client.put_object(Bucket=lambda_env, Key=decomposed, Body=image_bytes(400, 200))

    result = invoke(f"{SMALL}/{unicodedata.normalize('NFC', decomposed)}")

    assert_error(result, 404, "original_not_found", "caf")


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_head_renders_and_redirects_without_body(
    kind: str, original: str, invoke: Invoke, list_keys: ListKeys
) -> None:
    result = invoke(f"{SMALL}/{ORIGINAL}", kind=kind, method="HEAD")

    assert result.status == 301
    assert result.response["body"] == ""
    assert f"{SMALL}/{ORIGINAL}" in list_keys(original)


# --- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [302, 307])
def test_redirect_code_is_configurable(
    code: int, original: str, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIRECT_CODE", str(code))
    result = invoke(f"{SMALL}/{ORIGINAL}")
    assert result.status == code
    assert result.headers["Location"] == f"{CDN_URL}/{SMALL}/{ORIGINAL}"


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"REDIRECT_CODE": "soon"}, "REDIRECT_CODE"),
        ({"REDIRECT_CODE": "200"}, "REDIRECT_CODE"),
        ({"BUCKET": None}, "BUCKET"),
        ({"BUCKET": "  "}, "BUCKET"),
        ({"URL": None}, "URL"),
        ({"URL": "cdn.example.com"}, "URL"),
        ({"RESPONSE_MODE": "inline"}, "RESPONSE_MODE"),
        ({"PRESETS_TTL": "a minute"}, "PRESETS_TTL"),
        ({"PRESETS_TTL": "-1"}, "PRESETS_TTL"),
        ({"PRESETS_TTL": "nan"}, "PRESETS_TTL"),
    ],
    ids=lambda v: json.dumps(v) if isinstance(v, dict) else v,
)
def test_bad_environment_is_a_config_error_naming_the_variable(
    env: dict[str, str | None],
    fragment: str,
    original: str,
    invoke: Invoke,
    list_keys: ListKeys,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name)
        else:
            monkeypatch.setenv(name, value)

    result = invoke(f"{SMALL}/{ORIGINAL}")

    assert_error(result, 500, "config_error", fragment)
    assert result.log["level"] == "error"
    assert list_keys(original) == [ORIGINAL]


def test_config_error_is_retried_on_the_next_request(
    original: str, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIRECT_CODE", "200")
    assert invoke(f"{SMALL}/{ORIGINAL}").status == 500
    monkeypatch.setenv("REDIRECT_CODE", "302")
    assert invoke(f"{SMALL}/{ORIGINAL}").status == 302  # a broken container is not cached


# --- direct responses ------------------------------------------------------------------------


@pytest.fixture
def direct(original: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("RESPONSE_MODE", "direct")
    return original


def decoded_image(result: Any) -> Image.Image:
    assert result.response["isBase64Encoded"] is True
    im = Image.open(io.BytesIO(base64.b64decode(result.response["body"])))
    im.load()
    return im


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_direct_mode_returns_the_image(
    kind: str, direct: str, invoke: Invoke, list_keys: ListKeys
) -> None:
    result = invoke(f"{SMALL}.webp/{ORIGINAL}", kind=kind)

    assert result.status == 200
    assert result.headers["Content-Type"] == "image/webp"
    assert result.headers["Cache-Control"] == DEFAULT_CACHE_CONTROL
    im = decoded_image(result)
    assert (im.format, im.size) == ("WEBP", (150, 75))
    assert result.headers["Content-Length"] == str(len(base64.b64decode(result.response["body"])))
    assert f"{SMALL}.webp/{ORIGINAL}" in list_keys(direct)  # stored for the CDN as well


def test_direct_mode_serves_an_existing_variant_from_s3(
    direct: str, invoke: Invoke, s3_client: Any
) -> None:
    invoke(f"{SMALL}/{ORIGINAL}")
    stored = s3_client.get_object(Bucket=direct, Key=f"{SMALL}/{ORIGINAL}")["Body"].read()

    result = invoke(f"{SMALL}/{ORIGINAL}")

    assert result.status == 200
    assert result.log["existed"] is True
    assert result.headers["Content-Type"] == "image/jpeg"
    assert base64.b64decode(result.response["body"]) == stored


def test_direct_mode_falls_back_to_redirect_over_the_payload_limit(
    direct: str, invoke: Invoke, list_keys: ListKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handler, "DIRECT_RAW_LIMIT", 1000)  # a 150 px JPEG is larger

    rendered = invoke(f"{SMALL}/{ORIGINAL}")
    existing = invoke(f"{SMALL}/{ORIGINAL}")

    for result in (rendered, existing):
        assert result.status == 301
        assert result.headers["Location"] == f"{CDN_URL}/{SMALL}/{ORIGINAL}"
        assert result.response["body"] == ""
    assert rendered.log["bytes_out"] > 1000
    assert f"{SMALL}/{ORIGINAL}" in list_keys(direct)


def test_direct_limits_fit_lambdas_six_megabyte_response() -> None:
    encoded = len(base64.b64encode(b"\0" * handler.DIRECT_RAW_LIMIT))
    assert encoded <= handler.DIRECT_RESPONSE_LIMIT < 6 * 1024 * 1024


@pytest.mark.parametrize("existing", [False, True], ids=["rendered", "existing"])
def test_direct_mode_head_has_no_body(existing: bool, direct: str, invoke: Invoke) -> None:
    if existing:
        invoke(f"{SMALL}/{ORIGINAL}")
    result = invoke(f"{SMALL}/{ORIGINAL}", method="HEAD")

    assert result.status == 200
    assert result.response["body"] == ""
    assert result.response["isBase64Encoded"] is False
    assert result.headers["Content-Type"] == "image/jpeg"
    assert int(result.headers["Content-Length"]) > 0


# --- client errors: each answers JSON, never cached, and writes nothing -------------------------

KEY_ERRORS = [
    ("empty", "", 400, "bad_key", "empty"),
    ("dot-dot", "small/originals/../photo.jpg", 400, "bad_key", "'..'"),
    ("leading-slash", f"/small/{ORIGINAL}", 400, "bad_key", "'/'"),
    ("double-slash", "small/originals//photo.jpg", 400, "bad_key", "//"),
    ("double-slash-head", f"small//{ORIGINAL}", 400, "bad_key", "//"),
    ("backslash", "small/originals\\photo.jpg", 400, "bad_key", "backslash"),
    ("control-char", "small/originals/ph\x07oto.jpg", 400, "bad_key", "control character"),
    ("newline", "small/originals/photo.jpg\n", 400, "bad_key", "control character"),
    ("too-long", "small/originals/" + "a" * 1010 + ".jpg", 400, "bad_key", "1024 bytes"),
    ("no-original", "small", 400, "bad_key", "<preset>/<original key>"),
    ("variant-of-variant", f"small/medium/{ORIGINAL}", 400, "bad_key", "variant"),
    ("variant-of-format", f"small/large.webp/{ORIGINAL}", 400, "bad_key", "variant"),
    ("bad-extension", "small/originals/photo.txt", 400, "bad_key", "extension"),
    ("no-extension", "small/originals/photo", 400, "bad_key", "extension"),
    ("unknown-format", f"small.gif/{ORIGINAL}", 400, "bad_key", "'gif'"),
    ("unknown-preset", f"huge/{ORIGINAL}", 404, "unknown_preset", "'huge'"),
    ("missing-original", f"{SMALL}/originals/nothere.jpg", 404, "original_not_found", "nothere"),
]


@pytest.mark.parametrize(
    ("key", "status", "code", "fragment"),
    [case[1:] for case in KEY_ERRORS],
    ids=[case[0] for case in KEY_ERRORS],
)
def test_key_errors(
    key: str,
    status: int,
    code: str,
    fragment: str,
    original: str,
    invoke: Invoke,
    list_keys: ListKeys,
) -> None:
    result = invoke(key)
    assert_error(result, status, code, fragment)
    assert result.log["level"] == "info"  # a client's mistake is not an error of ours
    assert list_keys(original) == [ORIGINAL]


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_missing_key_parameter(
    kind: str, original: str, invoke: Invoke, list_keys: ListKeys
) -> None:
    assert_error(invoke(kind=kind), 400, "bad_key", "missing query parameter 'key'")
    assert list_keys(original) == [ORIGINAL]


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_two_key_parameters(kind: str, original: str, invoke: Invoke, list_keys: ListKeys) -> None:
    result = invoke(f"{SMALL}/{ORIGINAL}", f"medium/{ORIGINAL}", kind=kind)
    assert_error(result, 400, "bad_key", "exactly one 'key'")
    assert list_keys(original) == [ORIGINAL]


@pytest.mark.parametrize("kind", EVENT_KINDS)
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_other_methods_are_refused(
    kind: str, method: str, original: str, invoke: Invoke, list_keys: ListKeys
) -> None:
    result = invoke(f"{SMALL}/{ORIGINAL}", kind=kind, method=method)
    assert_error(result, 405, "method_not_allowed", method)
    assert result.headers["Allow"] == "GET, HEAD"
    assert list_keys(original) == [ORIGINAL]


def png_header_only(width: int, height: int) -> bytes:
    """Return a PNG whose header claims width x height, with almost no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>'
CONTENT_ERRORS = [
    ("bomb", "bomb.png", lambda photo: png_header_only(30000, 30000), 413, "too_large", "pixel"),
    ("svg-as-png", "drawing.png", lambda photo: SVG, 415, "unsupported_format", "not a JPEG"),
    ("text-as-jpg", "notes.jpg", lambda photo: b"hello\n", 415, "unsupported_format", "JPEG"),
    ("empty", "empty.jpg", lambda photo: b"", 422, "corrupt_image", "empty"),
    ("truncated", "cut.jpg", lambda photo: photo[: len(photo) // 3], 422, "corrupt_image", "JPEG"),
    ("garbage", "junk.jpg", lambda _: b"\xff\xd8\xff" + b"\x13" * 99, 422, "corrupt_image", ""),
]


@pytest.mark.parametrize(
    ("name", "make", "status", "code", "fragment"),
    [case[1:] for case in CONTENT_ERRORS],
    ids=[case[0] for case in CONTENT_ERRORS],
)
def test_bad_originals(
    name: str,
    make: Callable[[bytes], bytes],
    status: int,
    code: str,
    fragment: str,
    lambda_env: str,
    invoke: Invoke,
    s3_client: Any,
    photo: bytes,
    list_keys: ListKeys,
) -> None:
    s3_client.put_object(Bucket=lambda_env, Key=f"originals/{name}", Body=make(photo))

    result = invoke(f"{SMALL}/originals/{name}")

    assert_error(result, status, code, fragment)
    assert list_keys(lambda_env) == [f"originals/{name}"]


@pytest.mark.parametrize(
    ("limits", "fragment"),
    [({"bytes": 1000}, "the limit is 1000"), ({"pixels": 1_000_000}, "the limit is 1000000")],
    ids=["bytes", "pixels"],
)
def test_originals_over_the_configured_limits(
    limits: dict[str, int],
    fragment: str,
    original: str,
    invoke: Invoke,
    list_keys: ListKeys,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PRESETS_FILE", write_presets(tmp_path, presets_doc(**limits)))
    result = invoke(f"{SMALL}/{ORIGINAL}")
    assert_error(result, 413, "too_large", fragment)
    assert list_keys(original) == [ORIGINAL]


# --- S3 failures --------------------------------------------------------------------------------


def test_throttled_s3_answers_503_after_bounded_retries(
    lambda_env: str, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_s3(status=503, code="SlowDown") as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", fake.url)  # the standard variable, nothing else
        result = invoke(f"{SMALL}/{ORIGINAL}")

    assert_error(result, 503, "unavailable", "retry")
    assert int(result.headers["Retry-After"]) > 0
    assert fake.count() == s3.ATTEMPTS == 3
    assert result.log["level"] == "error"


def test_s3_that_never_answers_is_503_after_bounded_retries(
    lambda_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with fake_s3(hang=5.0) as fake:
        client = s3.make_client(fake.url, attempts=3, read_timeout=0.2, connect_timeout=0.2)
        settings = handler.Settings.from_env({"BUCKET": lambda_env, "URL": CDN_URL})
        resizer = handler.Resizer(settings, client)
        event = make_event("http_api_v2", f"{SMALL}/{ORIGINAL}")
        response = handler.handle_event(event, resizer, FakeContext())

    assert response["statusCode"] == 503
    assert response["headers"]["Retry-After"]
    assert json.loads(response["body"])["code"] == "unavailable"
    assert "in time" in json.loads(response["body"])["message"]
    assert fake.count() == 3
    log = json.loads(capsys.readouterr().out)
    assert "ReadTimeoutError" in log["cause"]


def test_access_denied_is_a_generic_500_with_the_traceback_only_in_the_log(
    lambda_env: str, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_s3(status=403, code="AccessDenied", message="Access Denied") as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", fake.url)
        result = invoke(f"{SMALL}/{ORIGINAL}", context=FakeContext(aws_request_id="req-42"))

    assert_error(result, 500, "internal_error", "req-42")
    assert "AccessDenied" not in result.response["body"]
    assert "Traceback" not in result.response["body"]
    assert fake.count() == 2  # HEAD (403 reads as "absent"), then the GET that is refused
    assert result.log["level"] == "error"
    assert "Traceback" in result.log["error"]
    assert "AccessDenied" in result.log["error"]


def test_missing_bucket_is_a_generic_500_not_a_404(
    lambda_env: str, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUCKET", "no-such-bucket-anywhere")
    result = invoke(f"{SMALL}/{ORIGINAL}")
    assert_error(result, 500, "internal_error", "internal error")
    assert "NoSuchBucket" in result.log["error"]


# --- presets sources -----------------------------------------------------------------------------


def test_presets_file_with_a_custom_preset(
    original: str,
    invoke: Invoke,
    s3_client: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PRESETS_FILE", write_presets(tmp_path, presets_doc()))

    result = invoke(f"{THUMB}/{ORIGINAL}")

    assert result.status == 301
    obj, im = fetch(s3_client, original, f"{THUMB}/{ORIGINAL}")
    assert (im.format, im.size) == ("WEBP", (64, 64))
    assert obj["ContentType"] == "image/webp"
    assert obj["CacheControl"] == "public, max-age=600"
    assert_error(invoke(f"medium/{ORIGINAL}"), 404, "unknown_preset", "'medium'")


def test_invalid_presets_file_is_a_config_error_naming_the_field(
    original: str,
    invoke: Invoke,
    list_keys: ListKeys,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = presets_doc()
    doc["presets"][0]["width"] = 0
    path = write_presets(tmp_path, doc)
    monkeypatch.setenv("PRESETS_FILE", path)

    result = invoke(f"{THUMB}/{ORIGINAL}")

    assert_error(result, 500, "config_error", "presets[0].width")
    assert path in result.json["message"]
    assert list_keys(original) == [ORIGINAL]


def put_presets(s3_client: Any, bucket: str, doc: object, key: str = "config/presets.json") -> Any:
    body = json.dumps(doc) if not isinstance(doc, bytes) else doc
    return s3_client.put_object(Bucket=bucket, Key=key, Body=body)


def with_preset(name: str, width: int) -> dict[str, Any]:
    doc = presets_doc()
    doc["presets"].append({"name": name, "width": width})
    return doc


def test_presets_from_s3(
    original: str, invoke: Invoke, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_presets(s3_client, original, presets_doc())
    monkeypatch.setenv("PRESETS_S3_KEY", "config/presets.json")

    result = invoke(f"{THUMB}/{ORIGINAL}")

    assert result.status == 301
    assert fetch(s3_client, original, f"{THUMB}/{ORIGINAL}")[1].size == (64, 64)


def test_presets_from_another_bucket(
    original: str, invoke: Invoke, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3_client.create_bucket(Bucket="t-presets-elsewhere")
    try:
        put_presets(s3_client, "t-presets-elsewhere", presets_doc(), key="p.json")
        monkeypatch.setenv("PRESETS_S3_KEY", "p.json")
        monkeypatch.setenv("PRESETS_BUCKET", "t-presets-elsewhere")
        assert invoke(f"{THUMB}/{ORIGINAL}").status == 301
    finally:
        s3_client.delete_object(Bucket="t-presets-elsewhere", Key="p.json")
        s3_client.delete_bucket(Bucket="t-presets-elsewhere")


def test_missing_presets_object_is_a_config_error(
    original: str, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRESETS_S3_KEY", "config/absent.json")
    assert_error(invoke(f"{SMALL}/{ORIGINAL}"), 500, "config_error", "config/absent.json")


def test_s3_presets_change_applies_after_the_ttl(
    original: str, invoke: Invoke, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_presets(s3_client, original, presets_doc())
    monkeypatch.setenv("PRESETS_S3_KEY", "config/presets.json")
    monkeypatch.setenv("PRESETS_TTL", "0")
    assert invoke(f"{THUMB}/{ORIGINAL}").status == 301

    put_presets(s3_client, original, with_preset("wide", 800))

    wide = f"wide.{output_token(Preset('wide', 800))}/{ORIGINAL}"
    assert invoke(wide).status == 301
    assert fetch(s3_client, original, wide)[1].width == 800


def test_s3_presets_change_waits_for_the_ttl(
    original: str, invoke: Invoke, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_presets(s3_client, original, presets_doc())
    monkeypatch.setenv("PRESETS_S3_KEY", "config/presets.json")  # default TTL: 60 s
    assert invoke(f"{THUMB}/{ORIGINAL}").status == 301

    put_presets(s3_client, original, with_preset("wide", 800))

    assert_error(invoke(f"wide/{ORIGINAL}"), 404, "unknown_preset", "'wide'")


def test_s3_presets_refresh_with_a_clock(original: str, s3_client: Any) -> None:
    now = [1000.0]
    statuses: list[int] = []
    client = s3.make_client()
    client.meta.events.register(
        "after-call.s3.GetObject",
        lambda http_response, **_: statuses.append(http_response.status_code),
    )
    put_presets(s3_client, original, presets_doc())
    env = {"BUCKET": original, "URL": CDN_URL, "PRESETS_S3_KEY": "config/presets.json"}
    source = handler.presets_source(handler.Settings.from_env(env), client, clock=lambda: now[0])

    first = source.get()
    now[0] += 59
    put_presets(s3_client, original, with_preset("wide", 800))
    assert source.get() is first  # within the TTL: not even asked
    assert statuses == [200]

    now[0] += 2
    second = source.get()
    assert "wide" in second.names
    now[0] += 61
    assert source.get() is second  # unchanged: a conditional GET answered 304
    assert statuses == [200, 200, 304]


def test_invalid_s3_presets_keep_the_last_good_config_and_log_an_error(
    original: str, invoke: Invoke, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_presets(s3_client, original, presets_doc())
    monkeypatch.setenv("PRESETS_S3_KEY", "config/presets.json")
    monkeypatch.setenv("PRESETS_TTL", "0")
    assert invoke(f"{SMALL}/{ORIGINAL}").status == 301

    broken = with_preset("wide", 800)
    broken["presets"][0]["width"] = "64"
    put_presets(s3_client, original, broken)
    result = invoke(f"{THUMB}/{ORIGINAL}")

    assert result.status == 301  # served with the last good presets
    assert result.log["level"] == "error"  # and still one line for the request
    assert "presets[0].width" in result.log["presets_error"]
    assert "s3://" in result.log["presets_error"]
    assert_error(invoke(f"wide/{ORIGINAL}"), 404, "unknown_preset", "'wide'")

    put_presets(s3_client, original, with_preset("wide", 800))  # fixed: applies again
    fixed = invoke(f"wide/{ORIGINAL}")
    assert fixed.status == 301
    assert "presets_error" not in fixed.log


def test_invalid_first_s3_presets_are_a_config_error(
    original: str, invoke: Invoke, s3_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_presets(s3_client, original, b"{not json")
    monkeypatch.setenv("PRESETS_S3_KEY", "config/presets.json")
    assert_error(invoke(f"{SMALL}/{ORIGINAL}"), 500, "config_error", "not valid JSON")


# --- the log line and the container --------------------------------------------------------------


def test_one_log_line_per_request(original: str, invoke: Invoke, photo: bytes) -> None:
    result = invoke(f"{SMALL}/{ORIGINAL}", context=FakeContext(aws_request_id="req-7"))

    log = result.log  # asserts there is exactly one line, and that it is JSON
    assert log["request_id"] == "req-7"
    assert log["key"] == f"{SMALL}/{ORIGINAL}"
    assert log["preset"] == "small"
    assert log["status"] == 301
    assert log["level"] == "info"
    assert log["bytes_in"] == len(photo)
    assert 0 < log["bytes_out"] < log["bytes_in"]
    assert log["size"] == [150, 75]
    for stage in ("exists", "fetch", "decode", "resize", "encode", "put", "total"):
        assert isinstance(log["ms"][stage], float), stage
        assert log["ms"][stage] >= 0


def test_one_log_line_for_an_error(original: str, invoke: Invoke) -> None:
    log = invoke(f"huge/{ORIGINAL}").log
    assert (log["status"], log["code"], log["key"]) == (404, "unknown_preset", f"huge/{ORIGINAL}")
    assert "unknown preset" in log["message"]
    assert log["bytes_in"] == log["bytes_out"] == 0


def test_client_and_settings_are_made_once_per_container(
    original: str, invoke: Invoke, s3_endpoint: str
) -> None:
    invoke(f"{SMALL}/{ORIGINAL}")
    first = handler.get_resizer()
    invoke(f"{MEDIUM}/{ORIGINAL}")

    assert handler.get_resizer() is first
    assert first.client.meta.endpoint_url == s3_endpoint  # AWS_ENDPOINT_URL_S3, honoured
    handler.reset()
    assert handler.get_resizer().client is not first.client


def test_originals_prefix_confines_reads(
    original: str, invoke: Invoke, list_keys: ListKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORIGINALS_PREFIX", "originals/")
    # Outside the prefix the role could not read anyway: a 404, not an AccessDenied 500.
    result = invoke(f"{SMALL}/elsewhere/photo.jpg")
    assert_error(result, 404, "original_not_found", "not under originals/")
    assert list_keys(original) == [ORIGINAL]
    assert invoke(f"{SMALL}/{ORIGINAL}").status == 301
