"""Fixtures for the Lambda's tests: images made with Pillow, the handler's environment, invoke."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image

from resizer_lambda import handler
from resizer_lambda.presets import DEFAULT_PRESETS, Preset, output_token
from tests.resizer.fakes import FakeContext, make_event

CDN_URL = "https://cdn.example.com"
LAMBDA_ENV = (
    "BUCKET",
    "URL",
    "REDIRECT_CODE",
    "RESPONSE_MODE",
    "PRESETS_FILE",
    "PRESETS_S3_KEY",
    "PRESETS_BUCKET",
    "PRESETS_TTL",
    "METRICS_NAMESPACE",
)


def image_bytes(
    width: int, height: int, fmt: str = "JPEG", mode: str = "RGB", noise: bool = False
) -> bytes:
    """Return an encoded image with structure (gradients; noise on request) in `mode`."""
    if noise:
        bands = [Image.effect_noise((width, height), 64).convert("L") for _ in range(3)]
    else:
        gradient = Image.linear_gradient("L")
        bands = [
            gradient.resize((width, height)),
            gradient.rotate(90).resize((width, height)),
            Image.radial_gradient("L").resize((width, height)),
        ]
    im = Image.merge("RGB", bands)
    if mode != "RGB":
        im = im.convert(mode)
    buf = io.BytesIO()
    im.save(buf, fmt)
    return buf.getvalue()


@pytest.fixture(scope="session")
def photo() -> bytes:
    """A 2000x1000 JPEG original."""
    return image_bytes(2000, 1000)


@pytest.fixture
def lambda_env(monkeypatch: pytest.MonkeyPatch, bucket: str, s3_endpoint: str) -> Iterator[str]:
    """Set the handler's environment for `bucket` on moto, with fresh container state."""
    for name in LAMBDA_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BUCKET", bucket)
    monkeypatch.setenv("URL", CDN_URL)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    handler.reset()
    yield bucket
    handler.reset()


@dataclass
class Invocation:
    """One handler call: the response and the JSON log lines it wrote to stdout."""

    response: dict[str, Any]
    logs: list[dict[str, Any]]

    @property
    def status(self) -> int:
        return int(self.response["statusCode"])

    @property
    def headers(self) -> dict[str, str]:
        return dict(self.response.get("headers") or {})

    @property
    def json(self) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self.response["body"])
        return body

    @property
    def log(self) -> dict[str, Any]:
        assert len(self.logs) == 1, self.logs
        return self.logs[0]


Invoke = Callable[..., Invocation]


@pytest.fixture
def invoke(capsys: pytest.CaptureFixture[str]) -> Invoke:
    """Return a function that calls `handler.handler` with a recorded event for some keys."""

    def call(
        *keys: str,
        kind: str = "apigw_rest_v1",
        method: str = "GET",
        event: dict[str, Any] | None = None,
        context: FakeContext | None = None,
    ) -> Invocation:
        capsys.readouterr()  # drop anything written before this call
        if event is None:
            event = make_event(kind, *keys, method=method)
        response = handler.handler(event, context or FakeContext())
        out = capsys.readouterr().out
        logs = [json.loads(line) for line in out.splitlines() if line.strip()]
        return Invocation(response, logs)

    return call


@pytest.fixture
def list_keys(s3_client: Any) -> Callable[[str], list[str]]:
    """Return a function listing every key in a bucket, sorted."""

    def keys(bucket: str) -> list[str]:
        pages = s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    return keys


def head(name: str) -> str:
    """Return `<name>.<token>`: the head the Lambda renders for a preset of the defaults or `thumb`.

    `thumb` is the 64x64 WebP cover preset the handler tests publish beside `small`.
    """
    known = {p.name: p for p in DEFAULT_PRESETS}
    known["thumb"] = Preset("thumb", 64, 64, fit="cover", format="webp")
    return f"{name}.{output_token(known[name])}"
