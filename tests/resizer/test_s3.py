"""s3.py, the boundary module: every function's found / missing / throttled / other-error case.

Happy paths and 404s run against moto's S3 server; throttling, timeouts and AccessDenied come
from `fakes.FakeS3Server`, so botocore's real retry and error parsing are what is exercised.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from resizer_lambda import s3
from resizer_lambda.errors import ConfigError, OriginalNotFound, TooLarge, Unavailable
from tests.resizer.fakes import FakeS3Server, fake_s3

MISSING_BUCKET = "no-such-bucket-anywhere"


@pytest.fixture
def client(s3_endpoint: str) -> Any:
    """The Lambda's own client, pointed at moto through AWS_ENDPOINT_URL_S3."""
    return s3.make_client()


@pytest.fixture
def slowdown() -> Iterator[FakeS3Server]:
    with fake_s3(status=503, code="SlowDown") as fake:
        yield fake


@pytest.fixture
def denied() -> Iterator[FakeS3Server]:
    with fake_s3(status=403, code="AccessDenied", message="Access Denied") as fake:
        yield fake


@pytest.fixture
def hanging() -> Iterator[FakeS3Server]:
    with fake_s3(hang=5.0) as fake:
        yield fake


def client_for(fake: FakeS3Server, attempts: int = 1) -> Any:
    return s3.make_client(fake.url, attempts=attempts, connect_timeout=0.3, read_timeout=0.3)


# --- make_client ---------------------------------------------------------------------------------


def test_make_client_honours_aws_endpoint_url_s3(client: Any, s3_endpoint: str) -> None:
    assert client.meta.endpoint_url == s3_endpoint


def test_make_client_bounds_retries_and_timeouts(client: Any) -> None:
    config = client.meta.config
    assert config.retries == {"total_max_attempts": s3.ATTEMPTS, "mode": "standard"}
    assert (config.connect_timeout, config.read_timeout) == (s3.CONNECT_TIMEOUT, s3.READ_TIMEOUT)


def test_worst_case_fits_inside_api_gateways_timeout() -> None:
    backoff = 1 + 2  # botocore's standard mode: at most 2**i s after throttled attempt i
    assert s3.ATTEMPTS * (s3.CONNECT_TIMEOUT + s3.READ_TIMEOUT) + backoff < 29


def test_attempts_count_every_try_and_stop(slowdown: FakeS3Server) -> None:
    with pytest.raises(Unavailable, match="SlowDown"):
        s3.get_object(client_for(slowdown, attempts=2), "bkt", "k.jpg", 100)
    assert slowdown.count("GET") == 2


# --- exists --------------------------------------------------------------------------------------


def test_exists(client: Any, bucket: str, s3_client: Any) -> None:
    s3_client.put_object(Bucket=bucket, Key="small/a.jpg", Body=b"x")
    assert s3.exists(client, bucket, "small/a.jpg") is True
    assert s3.exists(client, bucket, "small/b.jpg") is False


def test_exists_reads_a_missing_bucket_as_absent(client: Any) -> None:
    # A HEAD has no error body: the get that follows in the handler names the bucket.
    assert s3.exists(client, MISSING_BUCKET, "small/a.jpg") is False


def test_exists_reads_403_as_absent(denied: FakeS3Server) -> None:
    # Without s3:ListBucket S3 answers 403 for a missing key.
    assert s3.exists(client_for(denied), "bkt", "small/a.jpg") is False


def test_exists_throttled(slowdown: FakeS3Server) -> None:
    with pytest.raises(Unavailable) as info:
        s3.exists(client_for(slowdown), "bkt", "small/a.jpg")
    assert info.value.headers() == {"Retry-After": "2"}


def test_exists_timeout(hanging: FakeS3Server) -> None:
    with pytest.raises(Unavailable, match="in time"):
        s3.exists(client_for(hanging), "bkt", "small/a.jpg")


def test_exists_other_error_reraises() -> None:
    with (
        fake_s3(status=400, code="InvalidRequest") as fake,
        pytest.raises(ClientError) as info,
    ):
        s3.exists(client_for(fake), "bkt", "small/a.jpg")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# --- get_object ----------------------------------------------------------------------------------


def test_get_object(client: Any, bucket: str, s3_client: Any) -> None:
    s3_client.put_object(Bucket=bucket, Key="a.jpg", Body=b"0123456789")
    assert s3.get_object(client, bucket, "a.jpg", 10) == b"0123456789"


def test_get_object_missing_key(client: Any, bucket: str) -> None:
    with pytest.raises(OriginalNotFound, match=r"'originals/a\.jpg'"):
        s3.get_object(client, bucket, "originals/a.jpg", 100)


def test_get_object_missing_bucket_reraises(client: Any) -> None:
    with pytest.raises(ClientError, match="NoSuchBucket"):
        s3.get_object(client, MISSING_BUCKET, "a.jpg", 100)


def test_get_object_over_the_limit(client: Any, bucket: str, s3_client: Any) -> None:
    s3_client.put_object(Bucket=bucket, Key="a.jpg", Body=b"0123456789")
    with pytest.raises(TooLarge, match="10 bytes; the limit is 9"):
        s3.get_object(client, bucket, "a.jpg", 9)


def test_get_object_refuses_by_content_length_before_reading_the_body() -> None:
    # The fake announces 50 MB, sends 16 bytes and then stalls: reading the body would hang
    # until the read timeout (and end as Unavailable), so TooLarge proves it was never read.
    with fake_s3(announce_length=50_000_000) as fake:
        client = s3.make_client(fake.url, attempts=1, read_timeout=20)
        started = time.monotonic()
        with pytest.raises(TooLarge, match="50000000 bytes"):
            s3.get_object(client, "bkt", "big.jpg", 1_000_000)
        assert time.monotonic() - started < 10


def test_get_object_throttled(slowdown: FakeS3Server) -> None:
    with pytest.raises(Unavailable, match="SlowDown"):
        s3.get_object(client_for(slowdown), "bkt", "a.jpg", 100)


def test_get_object_timeout(hanging: FakeS3Server) -> None:
    with pytest.raises(Unavailable, match="in time"):
        s3.get_object(client_for(hanging), "bkt", "a.jpg", 100)


def test_get_object_other_error_reraises(denied: FakeS3Server) -> None:
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.get_object(client_for(denied), "bkt", "a.jpg", 100)


# --- put_object ----------------------------------------------------------------------------------


def test_put_object(client: Any, bucket: str, s3_client: Any) -> None:
    s3.put_object(client, bucket, "small/a+b é.jpg", b"data", "image/jpeg", "max-age=60")
    obj = s3_client.get_object(Bucket=bucket, Key="small/a+b é.jpg")
    assert obj["Body"].read() == b"data"
    assert (obj["ContentType"], obj["CacheControl"]) == ("image/jpeg", "max-age=60")


def test_put_object_missing_bucket_reraises(client: Any) -> None:
    with pytest.raises(ClientError, match="NoSuchBucket"):
        s3.put_object(client, MISSING_BUCKET, "a.jpg", b"data", "image/jpeg", "max-age=60")


def test_put_object_throttled(slowdown: FakeS3Server) -> None:
    with pytest.raises(Unavailable, match="writing"):
        s3.put_object(client_for(slowdown), "bkt", "a.jpg", b"data", "image/jpeg", "max-age=60")
    assert slowdown.count("PUT") == 1


def test_put_object_timeout(hanging: FakeS3Server) -> None:
    with pytest.raises(Unavailable, match="in time"):
        s3.put_object(client_for(hanging), "bkt", "a.jpg", b"data", "image/jpeg", "max-age=60")


def test_put_object_other_error_reraises(denied: FakeS3Server) -> None:
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.put_object(client_for(denied), "bkt", "a.jpg", b"data", "image/jpeg", "max-age=60")


# --- get_if_changed ------------------------------------------------------------------------------


def test_get_if_changed(client: Any, bucket: str, s3_client: Any) -> None:
    first = s3_client.put_object(Bucket=bucket, Key="presets.json", Body=b"{}")

    assert s3.get_if_changed(client, bucket, "presets.json", None) == (b"{}", first["ETag"])
    assert s3.get_if_changed(client, bucket, "presets.json", first["ETag"]) is None  # 304

    second = s3_client.put_object(Bucket=bucket, Key="presets.json", Body=b"[]")
    assert s3.get_if_changed(client, bucket, "presets.json", first["ETag"]) == (
        b"[]",
        second["ETag"],
    )


def test_get_if_changed_missing_key(client: Any, bucket: str) -> None:
    with pytest.raises(ConfigError, match=f"s3://{bucket}/presets.json"):
        s3.get_if_changed(client, bucket, "presets.json", None)


def test_get_if_changed_missing_bucket_reraises(client: Any) -> None:
    with pytest.raises(ClientError, match="NoSuchBucket"):
        s3.get_if_changed(client, MISSING_BUCKET, "presets.json", None)


def test_get_if_changed_throttled(slowdown: FakeS3Server) -> None:
    with pytest.raises(Unavailable, match=r"presets\.json"):
        s3.get_if_changed(client_for(slowdown), "bkt", "presets.json", '"abc"')


def test_get_if_changed_timeout(hanging: FakeS3Server) -> None:
    with pytest.raises(Unavailable, match="in time"):
        s3.get_if_changed(client_for(hanging), "bkt", "presets.json", None)


def test_get_if_changed_other_error_reraises(denied: FakeS3Server) -> None:
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.get_if_changed(client_for(denied), "bkt", "presets.json", None)
