"""The real stack for end-to-end tests: moto's server, the local edge, Django's live server.

moto's server (S3 and CloudFront) is the session's `s3_endpoint`; each test gets a fresh bucket
(`s3_bucket`, shared with tests/imageadmin), a CloudFront distribution, and a local edge serving
on a free port, which is the CDN URL and the API host for Django, exactly as `make run` wires them.
Celery runs eagerly, in the live server's thread.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from werkzeug.serving import BaseWSGIServer

from demosite.celery import app as celery_app
from localaws.config import create_distribution
from localaws.edge import Edge, EdgeConfig, serve_in_thread
from tests.browser import browser_type_launch_args  # noqa: F401  (Debian's Chromium)
from tests.imageadmin.conftest import (  # noqa: F401  (the Django side's fixtures, shared)
    django_db_setup,
    editor,
    preset_admin,
    pytest_configure,
    s3_bucket,
)


@dataclass
class LocalStack:
    edge: Edge
    server: BaseWSGIServer
    url: str
    bucket: str
    distribution_id: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def local_stack(
    settings: Any,
    s3_endpoint: str,
    s3_bucket: str,  # noqa: F811  (the imported fixture)
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[LocalStack]:
    from imageadmin import aws

    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFRONT", s3_endpoint)
    aws.cloudfront.cache_clear()
    cloudfront = boto3.client("cloudfront")
    distribution = create_distribution(cloudfront, s3_bucket)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    settings.IMAGEADMIN_CDN_URL = url
    settings.IMAGEADMIN_API_HOST = f"127.0.0.1:{port}"
    settings.IMAGEADMIN_API_PATH = "default/resize"
    settings.IMAGEADMIN_API_PROTOCOL = "http"
    settings.IMAGEADMIN_PUBLISH_SETTLE_SECONDS = 0
    settings.IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID = distribution
    settings.DEMOSITE_PAGES = True
    config = EdgeConfig(
        bucket=s3_bucket,
        lambda_env={
            "BUCKET": s3_bucket,
            "URL": url,
            "PRESETS_S3_KEY": settings.IMAGEADMIN_PRESETS_KEY,
            "ORIGINALS_PREFIX": settings.IMAGEADMIN_ORIGINALS_PREFIX,
            "PRESETS_TTL": "0",
            "AWS_ENDPOINT_URL_S3": s3_endpoint,
        },
        distribution_id=distribution,
        website_ttl=0,  # every request sees what was just published
        invalidation_ttl=0,
    )
    edge = Edge(config, boto3.client("s3"), cloudfront)
    server = serve_in_thread(edge, port=port)
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield LocalStack(edge, server, url, s3_bucket, distribution)
    celery_app.conf.task_always_eager = eager
    server.shutdown()
    aws.cloudfront.cache_clear()
