"""The AWS boundary: a 404 is ObjectMissing, a passing failure says to try again, a refusal says
what to fix (never "try again"), and what is not AWS's answer re-raises as it is.

The table tests build botocore's own exceptions; the storage tests go through boto3 to moto's
server, with failures AWS would answer injected at botocore's `before-call` hook, so the
client, s3transfer and django-storages code paths all run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
)
from botocore.retries import standard
from django.test import Client

from imageadmin import assets, aws, storage
from imageadmin.models import Asset
from tests.imageadmin import assets_files as files
from tests.imageadmin.conftest import use_bucket

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/admin/imageadmin/asset/upload/"


def client_error(code: str, status: int, message: str = "msg", rid: str = "REQ1") -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"RequestId": rid, "HTTPStatusCode": status},
    }
    return ClientError(response, "PutObject")


# --- the classification -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("NoSuchKey", 404, aws.ObjectMissing),
        ("404", 404, aws.ObjectMissing),  # HeadObject's bodyless 404
        ("NoSuchWebsiteConfiguration", 404, aws.ObjectMissing),
        ("NoSuchLifecycleConfiguration", 404, aws.ObjectMissing),
        ("SlowDown", 503, aws.AwsUnavailable),
        ("Throttling", 400, aws.AwsUnavailable),
        ("TooManyInvalidationsInProgress", 400, aws.AwsUnavailable),
        ("InternalError", 500, aws.AwsUnavailable),
        ("SomethingNew", 502, aws.AwsUnavailable),  # any 5xx
        ("AccessDenied", 403, aws.AwsRefused),
        ("NoSuchBucket", 404, aws.AwsRefused),  # a 404, but a setting to fix
        ("InvalidAccessKeyId", 403, aws.AwsRefused),
        ("SignatureDoesNotMatch", 403, aws.AwsRefused),
        ("NoSuchDistribution", 404, aws.AwsRefused),
        ("EntityTooLarge", 400, aws.AwsRefused),
    ],
)
def test_client_errors_are_classified_by_code_and_status(
    code: str, status: int, kind: type[aws.AwsError]
) -> None:
    err = aws.translate("PutObject", client_error(code, status), "s3://b/k")
    assert type(err) is kind
    assert err is not None
    assert (err.code, err.request_id) == (code, "REQ1")
    assert str(err).startswith(f"PutObject failed: {code}: msg (s3://b/k, request id REQ1)")


def test_a_refusal_says_it_is_configuration_and_never_to_try_again() -> None:
    err = aws.translate("PutObject", client_error("AccessDenied", 403, "Access Denied", "R-9"))
    assert isinstance(err, aws.AwsRefused)
    assert "AccessDenied: Access Denied (request id R-9)" in str(err)
    assert "configuration problem" in str(err)
    assert "try again" not in str(err)


def test_a_passing_failure_says_to_try_again() -> None:
    err = aws.translate("GetObject", client_error("SlowDown", 503))
    assert isinstance(err, aws.AwsUnavailable)
    assert str(err).endswith("try again in a moment.")


@pytest.mark.parametrize(
    ("raised", "kind"),
    [
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), aws.AwsUnavailable),
        (ReadTimeoutError(endpoint_url="http://127.0.0.1:9"), aws.AwsUnavailable),
        (NoCredentialsError(), aws.AwsRefused),
    ],
)
def test_failures_before_an_answer_are_classified(
    raised: Exception, kind: type[aws.AwsError]
) -> None:
    assert type(aws.translate("GetObject", raised)) is kind


def test_an_upload_failure_is_classified_by_the_client_error_it_wraps() -> None:
    inner = client_error("AccessDenied", 403)
    wrapped = S3UploadFailedError(f"Failed to upload a.jpg: {inner}")
    wrapped.__context__ = inner  # boto3's transfer manager raises it inside `except ClientError`
    assert isinstance(aws.translate("PutObject", wrapped), aws.AwsRefused)


def test_what_is_not_an_aws_answer_re_raises_unchanged() -> None:
    bug = ParamValidationError(report="Invalid length for parameter Key, value: 0")
    assert aws.translate("GetObject", bug) is None
    with pytest.raises(ParamValidationError), aws.translated("GetObject"):
        raise bug
    with pytest.raises(KeyError), aws.translated("GetObject"):
        raise KeyError("not botocore's at all")


def test_every_code_botocore_retries_counts_as_transient() -> None:
    retried = standard.TransientRetryableChecker._TRANSIENT_ERROR_CODES
    throttled = standard.ThrottledRetryableChecker._THROTTLED_ERROR_CODES
    assert set(retried) | set(throttled) <= aws.TRANSIENT_CODES


# --- storage, through boto3 to moto's server ----------------------------------------------------


@pytest.fixture
def answer_with() -> Iterator[Callable[[str, str, int], None]]:
    """Make the storage client's next calls of an S3 operation get an AWS error answer."""
    registered: list[tuple[str, Any]] = []

    def inject(operation: str, code: str, status: int) -> None:
        def answer(**kwargs: Any) -> tuple[Any, dict[str, Any]]:
            parsed = {
                "Error": {"Code": code, "Message": f"injected {code}"},
                "ResponseMetadata": {"RequestId": f"REQ-{code}", "HTTPStatusCode": status},
            }
            return SimpleNamespace(status_code=status, headers={}), parsed

        event = f"before-call.s3.{operation}"
        storage.client().meta.events.register(event, answer)
        registered.append((event, answer))

    yield inject
    for event, handler in registered:
        storage.client().meta.events.unregister(event, handler)


def test_reading_a_missing_key_is_object_missing() -> None:
    with pytest.raises(aws.ObjectMissing) as caught:
        storage.read("originals/nothing-here.jpg")
    assert caught.value.code == "NoSuchKey"
    assert "s3://" in str(caught.value)


def test_reading_from_a_missing_bucket_is_refused_not_missing(settings: Any) -> None:
    use_bucket(settings, "no-such-bucket-here")
    with pytest.raises(aws.AwsRefused) as caught:
        storage.read("originals/a.jpg")
    assert caught.value.code == "NoSuchBucket"
    assert caught.value.request_id


def test_a_parameter_botocore_refuses_re_raises_as_it_is() -> None:
    with pytest.raises(ParamValidationError):
        storage.read("")  # S3 keys have at least one character: a bug, not AWS's answer


def test_a_throttled_delete_is_unavailable(answer_with: Callable[[str, str, int], None]) -> None:
    answer_with("DeleteObjects", "SlowDown", 503)
    with pytest.raises(aws.AwsUnavailable) as caught:
        storage.delete(["small/a.jpg"])
    assert caught.value.request_id == "REQ-SlowDown"


# --- the admin's upload -------------------------------------------------------------------------


@pytest.fixture
def editor_client(client: Client, editor: Any) -> Client:
    client.force_login(editor)
    return client


def upload_error(editor_client: Client) -> str:
    response = editor_client.post(UPLOAD_URL, {"files": [files.upload_file("a.jpg", files.jpeg())]})
    assert response.status_code == 200
    assert not Asset.objects.exists()
    [result] = response.context["results"]
    return str(result.error)


def test_upload_denied_by_s3_is_a_configuration_problem_not_try_again(
    editor_client: Client, answer_with: Callable[[str, str, int], None]
) -> None:
    answer_with("PutObject", "AccessDenied", 403)
    error = upload_error(editor_client)
    assert error.startswith("a.jpg could not be stored. PutObject failed: AccessDenied")
    assert "request id REQ-AccessDenied" in error
    assert "configuration problem" in error
    assert "try again" not in error


def test_upload_to_a_missing_bucket_is_a_configuration_problem(
    editor_client: Client, settings: Any
) -> None:
    use_bucket(settings, "no-such-bucket-here")
    error = upload_error(editor_client)
    assert "NoSuchBucket" in error
    assert "configuration problem" in error
    assert "try again" not in error


def test_upload_while_s3_is_slow_says_try_again(
    editor_client: Client, answer_with: Callable[[str, str, int], None]
) -> None:
    answer_with("PutObject", "SlowDown", 503)
    error = upload_error(editor_client)
    assert "SlowDown" in error
    assert "try again" in error


def test_upload_failing_otherwise_re_raises(
    editor_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(key: str, data: bytes, content_type: str, metadata: object = None) -> str:
        raise ParamValidationError(report="a bug in how the object is described")

    monkeypatch.setattr(storage, "save_original", broken)
    with pytest.raises(ParamValidationError):
        assets.upload(files.upload_file("a.jpg", files.jpeg()), None)
    with pytest.raises(ParamValidationError):
        editor_client.post(UPLOAD_URL, {"files": [files.upload_file("a.jpg", files.jpeg())]})
