"""Versioned keys through the Lambda: redirects to the current token, `.auto`, `@2x` renditions.

The handler runs unpatched against moto's S3 server; a botocore hook counts S3 calls, so a
redirect that must not touch S3 is seen not to.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from resizer_lambda import handler
from resizer_lambda.presets import Preset, output_token
from tests.resizer.conftest import CDN_URL, Invoke, image_bytes
from tests.resizer.test_handler import ListKeys, assert_error, write_presets

ORIGINAL = "originals/photo.jpg"
SMALL_SOURCE = "originals/little.jpg"  # 400 x 200: too small for a 2x of `sq` or `box`
PRESETS = [
    Preset("small", 150),
    Preset("nego", 100, negotiate=True),
    Preset("sq", 300, 300, fit="cover"),
    Preset("box", 300, 200, fit="contain", format="png", background="#ff0000"),
    Preset("big", 300, 300, fit="cover", upscale=True),
]
TOKENS = {p.name: output_token(p) for p in PRESETS}
STALE = "0badc0de"


def doc() -> dict[str, Any]:
    presets = []
    for p in PRESETS:
        presets.append(
            {
                "name": p.name,
                "width": p.width,
                "height": p.height,
                "fit": p.fit,
                "format": p.format,
                "background": p.background,
                "upscale": p.upscale,
                "negotiate": p.negotiate,
            }
        )
    return {"schema_version": 2, "presets": presets}


@pytest.fixture
def stocked(
    lambda_env: str,
    s3_client: Any,
    photo: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    monkeypatch.setenv("PRESETS_FILE", write_presets(tmp_path, doc()))
    s3_client.put_object(Bucket=lambda_env, Key=ORIGINAL, Body=photo)
    s3_client.put_object(Bucket=lambda_env, Key=SMALL_SOURCE, Body=image_bytes(400, 200))
    return lambda_env


@pytest.fixture
def s3_calls(stocked: str) -> list[str]:
    """Return the names of the S3 operations the handler's client makes from now on."""
    calls: list[str] = []
    client = handler.get_resizer().client
    client.meta.events.register("before-call.s3", lambda model, **_: calls.append(str(model.name)))
    return calls


def stored(s3_client: Any, bucket: str, key: str) -> Image.Image:
    body = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
    im = Image.open(io.BytesIO(body))
    im.load()
    return im


def v(name: str, suffix: str = "") -> str:
    """Return the current head of preset `name`, with `suffix` (`@2x`, `.webp`...) after it."""
    return f"{name}.{TOKENS[name]}{suffix}"


@pytest.mark.parametrize(
    ("key", "target"),
    [
        # Unversioned keys, as pages cached before versioning have them.
        (f"small/{ORIGINAL}", f"{v('small')}/{ORIGINAL}"),
        (f"small.webp/{ORIGINAL}", f"{v('small', '.webp')}/{ORIGINAL}"),
        (f"sq@2x/{ORIGINAL}", f"{v('sq', '@2x')}/{ORIGINAL}"),
        (f"sq@2x.avif/{ORIGINAL}", f"{v('sq', '@2x.avif')}/{ORIGINAL}"),
        # A stale or unknown token: same density and format at the current token.
        (f"small.{STALE}/{ORIGINAL}", f"{v('small')}/{ORIGINAL}"),
        (f"small.{STALE}.png/{ORIGINAL}", f"{v('small', '.png')}/{ORIGINAL}"),
        (f"sq.{STALE}@2x.webp/{ORIGINAL}", f"{v('sq', '@2x.webp')}/{ORIGINAL}"),
        # A negotiating preset's plain unversioned URL becomes its `.auto` URL for the edge...
        (f"nego/{ORIGINAL}", f"{v('nego', '.auto')}/{ORIGINAL}"),
        (f"nego.webp/{ORIGINAL}", f"{v('nego', '.webp')}/{ORIGINAL}"),
        # ...and `.auto` reaching the Lambda (no edge function in front) its own format.
        (f"{v('nego', '.auto')}/{ORIGINAL}", f"{v('nego')}/{ORIGINAL}"),
        (f"nego.{STALE}.auto/{ORIGINAL}", f"{v('nego')}/{ORIGINAL}"),
        (f"{v('small', '.auto')}/{ORIGINAL}", f"{v('small')}/{ORIGINAL}"),
        (f"{v('sq', '@2x.auto')}/{ORIGINAL}", f"{v('sq', '@2x')}/{ORIGINAL}"),
        # The original need not exist: nothing is read to redirect.
        ("small/originals/nowhere.jpg", f"{v('small')}/originals/nowhere.jpg"),
    ],
)
def test_other_versions_redirect_to_the_current_key_without_touching_s3(
    key: str, target: str, invoke: Invoke, s3_calls: list[str], stocked: str, list_keys: ListKeys
) -> None:
    result = invoke(key)

    assert result.status == 301, result.response
    assert result.headers["Location"] == f"{CDN_URL}/{target}"
    assert result.headers["Cache-Control"] == "public, max-age=60"
    assert result.response["body"] == ""
    assert s3_calls == []
    assert list_keys(stocked) == sorted([ORIGINAL, SMALL_SOURCE])
    assert result.log["redirect"] == "version"


def test_following_the_redirect_renders_the_current_version(
    invoke: Invoke, stocked: str, s3_client: Any
) -> None:
    first = invoke(f"small.{STALE}/{ORIGINAL}")
    current = first.headers["Location"].removeprefix(f"{CDN_URL}/")

    second = invoke(current)

    assert second.status == 301
    assert second.headers["Location"] == first.headers["Location"]
    assert second.headers["Cache-Control"] == "no-store"
    assert stored(s3_client, stocked, current).size == (150, 75)
    obj = s3_client.head_object(Bucket=stocked, Key=current)
    assert obj["CacheControl"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize(
    ("name", "source", "size"),
    [
        ("sq", ORIGINAL, (600, 600)),
        ("box", ORIGINAL, (600, 400)),
        # Too small a source: as large as it allows, the preset's aspect ratio kept.
        ("sq", SMALL_SOURCE, (200, 200)),
        ("box", SMALL_SOURCE, (400, 267)),
        # Unless the preset upscales.
        ("big", SMALL_SOURCE, (600, 600)),
    ],
)
def test_2x_renders_twice_the_box(
    name: str, source: str, size: tuple[int, int], invoke: Invoke, stocked: str, s3_client: Any
) -> None:
    key = f"{v(name, '@2x')}/{source}"

    result = invoke(key)

    assert result.status == 301, result.response
    assert result.headers["Location"] == f"{CDN_URL}/{key}"
    assert stored(s3_client, stocked, key).size == size


def test_2x_contain_pads_with_the_preset_background(
    invoke: Invoke, stocked: str, s3_client: Any
) -> None:
    key = f"{v('box', '@2x')}/{ORIGINAL}"
    assert invoke(key).status == 301
    im = stored(s3_client, stocked, key).convert("RGB")
    # A 2:1 source in a 3:2 box: 600x300 of picture, bands of red above and below.
    assert im.getpixel((300, 10)) == (255, 0, 0)
    assert im.getpixel((300, 390)) == (255, 0, 0)
    assert im.getpixel((300, 200)) != (255, 0, 0)


@pytest.mark.parametrize(
    "key", [f"{v('small', '@2x')}/{ORIGINAL}", f"small@2x/{ORIGINAL}", f"nego.{STALE}@2x/a.jpg"]
)
def test_2x_of_an_inside_preset_is_404_saying_why(
    key: str, invoke: Invoke, s3_calls: list[str]
) -> None:
    result = invoke(key)
    assert_error(result, 404, "no_density", "2x renditions exist only for cover and contain")
    assert s3_calls == []


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        (f"sq.{TOKENS['sq']}@3x/{ORIGINAL}", "density '@3x' is not supported"),
        (f"small.{TOKENS['small'].upper()}/{ORIGINAL}", "must be lowercase hex"),
        (f"small.{TOKENS['small']}.gif/{ORIGINAL}", "format 'gif'"),
    ],
)
def test_bad_heads_are_400_saying_why(
    key: str, fragment: str, invoke: Invoke, stocked: str
) -> None:
    assert_error(invoke(key), 400, "bad_key", fragment)


def test_version_1_presets_still_serve(
    lambda_env: str, s3_client: Any, photo: bytes, tmp_path: Path, invoke: Invoke, monkeypatch: Any
) -> None:
    old = {"schema_version": 1, "presets": [{"name": "small", "width": 150}]}
    monkeypatch.setenv("PRESETS_FILE", write_presets(tmp_path, old))
    s3_client.put_object(Bucket=lambda_env, Key=ORIGINAL, Body=photo)
    key = f"{v('small')}/{ORIGINAL}"

    assert invoke(key).status == 301
    assert stored(s3_client, lambda_env, key).size == (150, 75)
