"""System checks: each misconfiguration has a stable id, a message naming it and a hint."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.test import override_settings
from storages.backends.s3 import S3Storage

from imageadmin.models import Preset
from imageadmin.presets import build_config
from resizer_lambda import presets as contract
from resizer_lambda.errors import ConfigError


class MyS3(S3Storage):
    """A project's own S3 storage: still S3."""


S3 = {"default": {"BACKEND": "storages.backends.s3.S3Storage"}}


def run(databases: list[str] | None = None) -> dict[str, checks.CheckMessage]:
    """Return the imageadmin messages of every registered check, by id."""
    found = checks.run_checks(include_deployment_checks=False, databases=databases)
    return {m.id: m for m in found if m.id and m.id.startswith("imageadmin.")}


def test_the_default_settings_pass() -> None:
    with override_settings(DEBUG=True):
        assert run() == {}


@pytest.mark.parametrize(
    "url",
    ["", "images.example.com", "ftp://images.example.com", "https://", "https://x.com/?v=1", None],
)
def test_e001_cdn_url_must_be_http(url: Any) -> None:
    with override_settings(IMAGEADMIN_CDN_URL=url):
        found = run()["imageadmin.E001"]
    assert found.level == checks.ERROR
    assert f"IMAGEADMIN_CDN_URL must be an absolute http(s) URL, got {url!r}" in found.msg
    assert "e.g. https://images.example.com" in found.hint


@pytest.mark.parametrize("url", ["https://images.example.com", "http://127.0.0.1:8080/cdn"])
def test_e001_accepts_http_urls(url: str) -> None:
    with override_settings(IMAGEADMIN_CDN_URL=url):
        assert "imageadmin.E001" not in run()


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "it is empty"),
        ("ab", "it is 2 characters long"),
        ("a" * 64, "it is 64 characters long"),
        ("Images", "only lowercase letters, digits"),
        ("images_2", "only lowercase letters, digits"),
        ("-images", "starting and ending with a letter or digit"),
        ("my..images", "it contains '..'"),
        ("192.168.1.1", "formatted as an IP address"),
        ("xn--images", "prefix or suffix S3 reserves"),
        ("images-s3alias", "prefix or suffix S3 reserves"),
    ],
)
def test_e002_bucket_must_be_a_valid_s3_name(name: str, problem: str) -> None:
    with override_settings(STORAGES=_with_bucket(name)):
        found = run()["imageadmin.E002"]
    bucket_option = "STORAGES['imageadmin']['OPTIONS']['bucket_name']"
    assert f"{bucket_option} {name!r} is not a valid S3 bucket name" in found.msg
    assert problem in found.msg
    assert "name of the bucket holding originals and variants" in found.hint


@pytest.mark.parametrize("name", ["images", "shop.images-2026", "abc"])
def test_e002_accepts_valid_bucket_names(name: str) -> None:
    with override_settings(STORAGES=_with_bucket(name)):
        assert "imageadmin.E002" not in run()


@pytest.mark.parametrize("prefix", ["", "/", "//"])
def test_e003_originals_prefix_must_not_be_empty(prefix: str) -> None:
    with override_settings(IMAGEADMIN_ORIGINALS_PREFIX=prefix):
        found = run()["imageadmin.E003"]
    assert "originals would be stored at the bucket root" in found.msg
    assert "not a preset name, e.g. 'originals'" in found.hint


@pytest.mark.parametrize(
    ("prefix", "problem"),
    [
        ("a//b", "empty segments"),
        ("a/../b", "'.' or '..' segments"),
        ("./originals", "'.' or '..' segments"),
        ("orig\\inals", "backslash"),
        ("orig\ninals", "control character"),
        ("small.webp", "variants of a preset 'small' in webp"),
        ("x" * 1100, "longer than 1024 bytes"),
    ],
)
def test_e004_originals_prefix_must_make_valid_keys(prefix: str, problem: str) -> None:
    with override_settings(IMAGEADMIN_ORIGINALS_PREFIX=prefix):
        found = run()["imageadmin.E004"]
    assert "does not make valid original keys" in found.msg
    assert problem in found.msg
    assert "e.g. 'originals' or 'shop/originals'." in found.hint


@pytest.mark.parametrize("prefix", ["originals", "/originals/", "shop/originals", "up.loads"])
def test_e003_e004_accept_folder_prefixes(prefix: str) -> None:
    with override_settings(IMAGEADMIN_ORIGINALS_PREFIX=prefix):
        assert not {"imageadmin.E003", "imageadmin.E004"} & set(run())


@pytest.mark.parametrize(
    ("setting", "check_id"),
    [("IMAGEADMIN_MAX_UPLOAD_BYTES", "imageadmin.E005"),
     ("IMAGEADMIN_MAX_UPLOAD_PIXELS", "imageadmin.E006")],
)  # fmt: skip
@pytest.mark.parametrize(
    ("value", "shown"),
    [(-1, "not an integer, read as -1"), (0, "got 0"), ("100", "got '100'"), (True, "got True"),
     (2 * 1024**3 * 1000, "got 2147483648000")],
)  # fmt: skip
def test_e005_e006_upload_limits_must_be_positive_integers(
    setting: str, check_id: str, value: Any, shown: str
) -> None:
    with override_settings(**{setting: value}):
        found = run()[check_id]
    assert found.msg.startswith(f"{setting} is not a source limit the resizer accepts: limits.")
    assert "must be an integer from 1 to" in found.msg  # the contract's own words
    assert shown in found.msg
    assert f"Set the environment variable {setting} to a whole number" in found.hint


@pytest.mark.parametrize(
    ("setting", "check_id", "bound"),
    [("IMAGEADMIN_MAX_UPLOAD_BYTES", "imageadmin.E005", contract.MAX_SOURCE_BYTES),
     ("IMAGEADMIN_MAX_UPLOAD_PIXELS", "imageadmin.E006", contract.MAX_SOURCE_PIXELS)],
)  # fmt: skip
def test_e005_e006_pass_exactly_what_the_presets_json_can_carry(
    setting: str, check_id: str, bound: int
) -> None:
    """A limit that passes the check exports; one past the contract's bound fails the check."""
    rows = [Preset(name="small", width=150)]
    with override_settings(**{setting: bound}):
        assert check_id not in run()
        build_config(rows)  # the contract parses the exported document
    with override_settings(**{setting: bound + 1}):
        assert check_id in run()
        with pytest.raises(ConfigError):
            build_config(rows)


@pytest.mark.django_db
def test_e007_a_preset_named_like_the_originals_folder_is_a_database_check() -> None:
    Preset.objects.bulk_create([Preset(name="uploads", width=100)])  # around clean()

    with override_settings(IMAGEADMIN_ORIGINALS_PREFIX="uploads/2026"):
        without_db = run()
        found = run(databases=["default"])["imageadmin.E007"]

    assert "imageadmin.E007" not in without_db
    assert "Preset 'uploads' has the name of the originals folder" in found.msg
    assert "Rename the preset in the admin" in found.hint


@pytest.mark.django_db
def test_e007_is_quiet_when_no_preset_clashes() -> None:
    assert "imageadmin.E007" not in run(databases=["default"])


def _with_bucket(name: str) -> dict[str, Any]:
    from django.conf import settings

    entry = settings.STORAGES["imageadmin"]
    return {**settings.STORAGES, "imageadmin": {**entry, "OPTIONS": {"bucket_name": name}}}


@pytest.mark.parametrize(
    "backend",
    ["django.core.files.storage.FileSystemStorage", "no.such.Storage", ""],
)
def test_e012_the_imageadmin_storage_must_be_s3(backend: str) -> None:
    with override_settings(STORAGES={**S3, "imageadmin": {"BACKEND": backend}}):
        found = run()["imageadmin.E012"]
    assert found.level == checks.ERROR
    assert "STORAGES['imageadmin'] (IMAGEADMIN_STORAGE) uses" in found.msg
    assert "not storages.backends.s3.S3Storage" in found.msg
    assert "'BACKEND': 'storages.backends.s3.S3Storage'" in found.hint


def test_e012_a_missing_alias_says_what_to_add() -> None:
    with override_settings(STORAGES=S3):
        found = run()["imageadmin.E012"]
    assert "STORAGES has no 'imageadmin' entry (IMAGEADMIN_STORAGE)" in found.msg
    assert "docs/integrate.md" in found.hint


def test_e012_refuses_the_projects_default_storage() -> None:
    with override_settings(IMAGEADMIN_STORAGE="default", STORAGES=S3):
        found = run()["imageadmin.E012"]
    assert "is the project's default storage" in found.msg


def test_e012_accepts_s3_subclasses_and_leaves_default_alone() -> None:
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "imageadmin": {
            "BACKEND": "tests.imageadmin.test_checks.MyS3",
            "OPTIONS": {"bucket_name": "shop-images"},
        },
    }
    with override_settings(STORAGES=storages):
        assert "imageadmin.E012" not in run()


def test_w002_production_without_a_broker_warns() -> None:
    with override_settings(DEBUG=False, CELERY_BROKER_URL=""):
        found = run()["imageadmin.W002"]
    with override_settings(DEBUG=False, CELERY_BROKER_URL="redis://127.0.0.1:6379/0"):
        assert "imageadmin.W002" not in run()
    with override_settings(DEBUG=True, CELERY_BROKER_URL=""):
        assert "imageadmin.W002" not in run()
    assert found.level == checks.WARNING
    assert "CELERY_BROKER_URL is not set while DEBUG is off" in found.msg
    assert "celery -A <your project> worker" in found.hint


@pytest.mark.parametrize(
    ("setting", "value", "check_id"),
    [
        ("IMAGEADMIN_API_PROTOCOL", "ftp", "imageadmin.E008"),
        ("IMAGEADMIN_VARIANT_EXPIRE_DAYS", 0, "imageadmin.E009"),
        ("IMAGEADMIN_VARIANT_EXPIRE_DAYS", -1, "imageadmin.E009"),
        ("IMAGEADMIN_PUBLISH_SETTLE_SECONDS", -1, "imageadmin.E010"),
        ("IMAGEADMIN_PUBLISH_SETTLE_SECONDS", "90", "imageadmin.E010"),
        ("IMAGEADMIN_PRESETS_KEY", "presets.json", "imageadmin.E011"),
        ("IMAGEADMIN_PRESETS_KEY", "_config/", "imageadmin.E011"),
        ("IMAGEADMIN_API_HOST", "", "imageadmin.E014"),
        ("IMAGEADMIN_API_HOST", "  ", "imageadmin.E014"),
        ("IMAGEADMIN_API_HOST", None, "imageadmin.E014"),
        (
            "IMAGEADMIN_API_HOST",
            "https://abc.execute-api.eu-central-1.amazonaws.com",
            "imageadmin.E014",
        ),
        (
            "IMAGEADMIN_API_HOST",
            "abc.execute-api.eu-central-1.amazonaws.com/default",
            "imageadmin.E014",
        ),
    ],
)
def test_e008_e011_publishing_settings(setting: str, value: Any, check_id: str) -> None:
    with override_settings(**{setting: value}):
        found = run()[check_id]
    assert found.level == checks.ERROR
    assert found.msg.startswith(setting)


def test_e014_names_the_stack_output_and_accepts_a_host_with_a_port() -> None:
    with override_settings(IMAGEADMIN_API_HOST=""):
        found = run()["imageadmin.E014"]
    assert "IMAGEADMIN_API_HOST must be the resize API's host name, got ''" in found.msg
    assert "the stack's ApiHost output" in found.hint
    for host in ("abc123defg.execute-api.eu-central-1.amazonaws.com", "127.0.0.1:8080"):
        with override_settings(IMAGEADMIN_API_HOST=host):
            assert "imageadmin.E014" not in run()


def test_publishing_settings_for_a_local_stack_pass() -> None:
    with override_settings(
        DEBUG=True, IMAGEADMIN_API_PROTOCOL="http", IMAGEADMIN_PUBLISH_SETTLE_SECONDS=0
    ):
        assert run() == {}


@pytest.mark.parametrize(
    ("endpoint", "warned"),
    [
        ("http://127.0.0.1:9000", True),
        ("http://localhost:9000", True),
        ("http://[::1]:9000", True),
        ("https://s3.eu-central-1.amazonaws.com", False),
        ("https://minio.internal.example:9000", False),
        (None, False),
    ],
)
def test_w003_a_loopback_s3_endpoint_is_reported_by_check_deploy(
    endpoint: str | None, warned: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    storages = {"imageadmin": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {}}}
    with override_settings(STORAGES=storages, AWS_S3_ENDPOINT_URL=endpoint):
        normal = checks.run_checks(include_deployment_checks=False)
        deploy = checks.run_checks(include_deployment_checks=True)
    assert "imageadmin.W003" not in {m.id for m in normal}  # `make run` and tests stay quiet
    found = [m for m in deploy if m.id == "imageadmin.W003"]
    assert bool(found) == warned
    if warned:
        assert "AWS_S3_ENDPOINT_URL is" in found[0].msg
        assert "Leave the endpoint unset" in found[0].hint


def test_w003_names_the_storage_option_and_the_boto3_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    options = {"endpoint_url": "http://127.0.0.1:9000"}
    storages = {"imageadmin": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}}
    with override_settings(STORAGES=storages, AWS_S3_ENDPOINT_URL=None):
        found = [m for m in checks.run_checks(include_deployment_checks=True)]
    assert any("STORAGES['imageadmin']['OPTIONS']['endpoint_url']" in m.msg for m in found)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9100")
    storages["imageadmin"]["OPTIONS"] = {}
    with override_settings(STORAGES=storages, AWS_S3_ENDPOINT_URL=None):
        found = [m for m in checks.run_checks(include_deployment_checks=True)]
    assert any("AWS_ENDPOINT_URL_S3" in m.msg for m in found if m.id == "imageadmin.W003")
