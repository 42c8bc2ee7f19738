"""Hostile and unusual requests through the handler, against moto's S3 (as in test_handler.py).

Scan bombs and slow decodes are refused with a 422 in well under the Lambda's 25 s timeout and
write nothing; a key with an unpaired surrogate is a 400 with its one log line; `.mpo` originals
and keys ending in a space are served like any other (docs/resizer.md says why).
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from PIL import Image

from resizer_lambda import handler, jpeg
from tests.resizer import images as img
from tests.resizer.conftest import CDN_URL, Invoke, head
from tests.resizer.fakes import EVENT_KINDS, make_event
from tests.resizer.test_handler import ListKeys, assert_error, fetch, write_presets

# --- scan bombs and slow decodes ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("claim", "preset"), [(None, "small"), ((8000, 8000), "xlarge")], ids=["small", "8000x8000"]
)
def test_a_scan_bomb_is_refused_fast_and_nothing_is_written(
    claim: tuple[int, int] | None,
    preset: str,
    lambda_env: str,
    invoke: Invoke,
    s3_client: Any,
    list_keys: ListKeys,
) -> None:
    bomb = img.scan_bomb(3000, (256, 256), claim)
    s3_client.put_object(Bucket=lambda_env, Key="originals/bomb.jpg", Body=bomb)

    start = time.perf_counter()
    result = invoke(f"{head(preset)}/originals/bomb.jpg")
    elapsed = time.perf_counter() - start

    assert_error(result, 422, "too_many_scans", f"has 3000 scans; the limit is {jpeg.MAX_SCANS}")
    assert result.log["level"] == "info"  # the file's fault, not ours
    assert result.log["bytes_in"] == len(bomb)
    assert "decode" not in result.log["ms"]  # never decoded
    assert list_keys(lambda_env) == ["originals/bomb.jpg"]
    assert elapsed < 1.0  # ~25 ms here, S3 round trips included; the decode would take minutes


def test_a_decode_over_the_time_limit_answers_422_and_writes_nothing(
    lambda_env: str,
    invoke: Invoke,
    s3_client: Any,
    list_keys: ListKeys,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = {
        "schema_version": 1,
        "limits": {"max_decode_seconds": 0.05},
        "presets": [{"name": "small", "width": 150}],
    }
    monkeypatch.setenv("PRESETS_FILE", write_presets(tmp_path, doc))
    # Within the scan limit, but every scan walks 3000x3000 pixels: ~1 s to decode here.
    slow = img.scan_bomb(jpeg.MAX_SCANS, (3000, 3000))
    s3_client.put_object(Bucket=lambda_env, Key="originals/slow.jpg", Body=slow)

    result = invoke(f"{head('small')}/originals/slow.jpg")

    assert_error(result, 422, "decode_too_slow", "took over 0.05 s")
    assert "limits.max_decode_seconds" in result.json["message"]
    assert 50 <= result.log["ms"]["decode"] < 1000  # stopped a scan or so after the limit
    assert list_keys(lambda_env) == ["originals/slow.jpg"]


# --- keys that are not UTF-8 --------------------------------------------------------------------


def surrogate_event(kind: str, key: str, raw: str) -> dict[str, Any]:
    """Return the `kind` event as API Gateway sends `?key=<raw>`: `key` decoded, `raw` not."""
    event = make_event(kind, "placeholder")
    event["queryStringParameters"] = {"key": key}
    if kind == "apigw_rest_v1":
        event["multiValueQueryStringParameters"] = {"key": [key]}
    else:
        event["rawQueryString"] = f"key={raw}"
    return event


@pytest.mark.parametrize("kind", EVENT_KINDS)
@pytest.mark.parametrize(
    ("key", "raw", "code_point"),
    [
        ("small/originals/\ud800.jpg", "small%2Foriginals%2F%ED%A0%80.jpg", "U+D800"),
        ("small/originals/a\udfff.jpg", "small%2Foriginals%2Fa%ED%BF%BF.jpg", "U+DFFF"),
    ],
    ids=["high", "low"],
)
def test_an_unpaired_surrogate_is_a_bad_key_with_its_log_line(
    kind: str,
    key: str,
    raw: str,
    code_point: str,
    lambda_env: str,
    invoke: Invoke,
    list_keys: ListKeys,
) -> None:
    result = invoke(event=surrogate_event(kind, key, raw))

    assert_error(result, 400, "bad_key", f"unpaired surrogate ({code_point}")
    assert result.log["key"] == key  # logged as sent, escaped (`\ud800`) in the JSON line
    assert result.log["level"] == "info"
    assert list_keys(lambda_env) == []


def test_the_log_line_of_a_surrogate_key_survives_a_strict_utf8_stdout() -> None:
    # Lambda's stdout encodes strictly: a raw lone surrogate would raise instead of logging.
    stream = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    handler.log_line({"key": "small/\ud800.jpg", "status": 400}, stream)
    stream.seek(0)
    line = stream.read()
    assert line.isascii()
    assert json.loads(line) == {"key": "small/\ud800.jpg", "status": 400}


# --- .mpo originals and keys ending in a space ----------------------------------------------------


def mpo(first: Image.Image) -> bytes:
    """Return a two-picture MPO file (as cameras write) whose first picture is `first`."""
    buf = io.BytesIO()
    second = Image.new("RGB", first.size, "blue")
    first.save(buf, "MPO", save_all=True, append_images=[second])
    return buf.getvalue()


@pytest.mark.parametrize(
    ("name", "variant", "pil_format", "content_type"),
    [
        ("IMG_0001.MPO", f"{head('small')}/originals/IMG_0001.MPO", "JPEG", "image/jpeg"),
        ("stereo.mpo", f"{head('small')}.webp/originals/stereo.mpo", "WEBP", "image/webp"),
    ],
)
def test_an_mpo_original_is_resized_from_its_first_picture(
    name: str,
    variant: str,
    pil_format: str,
    content_type: str,
    lambda_env: str,
    invoke: Invoke,
    s3_client: Any,
) -> None:
    s3_client.put_object(Bucket=lambda_env, Key=f"originals/{name}", Body=mpo(img.quadrants()))

    result = invoke(variant)

    assert result.status == 301, result.response
    assert result.headers["Location"] == f"{CDN_URL}/{variant}"
    obj, im = fetch(s3_client, lambda_env, variant)
    assert (im.format, im.size, obj["ContentType"]) == (pil_format, (80, 40), content_type)
    assert getattr(im, "n_frames", 1) == 1
    colours = img.quadrant_colours(im)
    assert all(img.close(colours[q], img.QUADRANTS[q], 24) for q in img.QUADRANTS), colours


@pytest.mark.parametrize("kind", EVENT_KINDS)
@pytest.mark.parametrize("source", ["originals/photo.jpg ", "originals/two spaces.png  "])
def test_a_key_ending_in_a_space_is_its_own_object_end_to_end(
    source: str, kind: str, lambda_env: str, invoke: Invoke, s3_client: Any, list_keys: ListKeys
) -> None:
    fmt = "PNG" if ".png" in source else "JPEG"
    s3_client.put_object(Bucket=lambda_env, Key=source, Body=img.encode(img.quadrants(), fmt))
    s3_client.put_object(Bucket=lambda_env, Key=source.rstrip(), Body=b"not this one")
    key = f"{head('small')}/{source}"

    result = invoke(key, kind=kind)

    assert result.status == 301, result.response
    location = result.headers["Location"]
    assert location == f"{CDN_URL}/{quote(key, safe='/')}"
    assert location.endswith(".jpg%20" if fmt == "JPEG" else ".png%20%20")
    assert list_keys(lambda_env) == sorted([source, source.rstrip(), key])
    assert fetch(s3_client, lambda_env, key)[1].format == fmt
