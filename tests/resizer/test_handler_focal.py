"""The Lambda reads an original's focal point from its S3 metadata (moto's server, real photo).

The original carries `x-amz-meta-focal` as Django writes it; the handler gets it from the
GetObject it makes anyway. A cover variant is cropped around it, other fits ignore it, and a
malformed value is the centre, logged, never an error.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from resizer_lambda import presets
from tests.photos import LADYBIRD
from tests.resizer.conftest import Invoke
from tests.resizer.test_imaging_focal import red_pixels

ORIGINAL = "originals/ladybird.jpg"
PRESETS = {
    "schema_version": 1,
    "presets": [
        {"name": "tall", "width": 100, "height": 300, "fit": "cover", "format": "png"},
        {"name": "small", "width": 160, "format": "png"},
    ],
}
CONFIG = presets.parse(PRESETS)


def variant(name: str) -> str:
    """Return the key of ORIGINAL's variant under `name` at its current token."""
    preset = CONFIG.get(name)
    assert preset is not None
    return f"{name}.{presets.output_token(preset)}/{ORIGINAL}"


@pytest.fixture
def lambda_presets(lambda_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "presets.json"
    path.write_text(json.dumps(PRESETS))
    monkeypatch.setenv("PRESETS_FILE", str(path))
    return lambda_env


def put_original(s3_client: Any, bucket: str, metadata: dict[str, str]) -> None:
    s3_client.put_object(
        Bucket=bucket,
        Key=ORIGINAL,
        Body=LADYBIRD.read_bytes(),
        ContentType="image/jpeg",
        Metadata=metadata,
    )


def stored(s3_client: Any, bucket: str, key: str) -> Image.Image:
    body = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
    im = Image.open(io.BytesIO(body))
    im.load()
    return im


def test_cover_variant_is_cropped_around_the_metadata_focal_point(
    lambda_presets: str, s3_client: Any, invoke: Invoke
) -> None:
    put_original(s3_client, lambda_presets, {"focal": "0.7000,0.4800"})

    result = invoke(variant("tall"))

    assert result.status == 301
    assert result.log["focal"] == "0.7000,0.4800"
    assert result.log["level"] == "info"
    out = stored(s3_client, lambda_presets, variant("tall"))
    assert out.size == (100, 300)
    assert len(red_pixels(out)) > 50  # the ladybird is in frame


def test_without_metadata_the_crop_is_centred(
    lambda_presets: str, s3_client: Any, invoke: Invoke
) -> None:
    put_original(s3_client, lambda_presets, {})

    result = invoke(variant("tall"))

    assert result.status == 301
    assert "focal" not in result.log
    assert red_pixels(stored(s3_client, lambda_presets, variant("tall"))) == []


@pytest.mark.parametrize("value", ["0.7,1.5", "left", "0.7", "nan,0.5", "0.7,0.48,1"])
def test_malformed_metadata_is_the_centre_and_logged(
    lambda_presets: str, s3_client: Any, invoke: Invoke, value: str
) -> None:
    put_original(s3_client, lambda_presets, {"focal": value})

    result = invoke(variant("tall"))

    assert result.status == 301
    assert result.log["level"] == "warning"
    assert "focal" in result.log["focal_error"]
    assert "focal" not in result.log
    assert red_pixels(stored(s3_client, lambda_presets, variant("tall"))) == []


def test_other_fits_ignore_the_focal_point(
    lambda_presets: str, s3_client: Any, invoke: Invoke
) -> None:
    put_original(s3_client, lambda_presets, {"focal": "0.0000,0.0000"})

    result = invoke(variant("small"))

    assert result.status == 301
    assert "focal" not in result.log
    assert stored(s3_client, lambda_presets, variant("small")).size == (160, 100)
