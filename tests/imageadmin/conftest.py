"""Fixtures for the Django side: S3 on moto's server, the database, roles and a browser."""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings

from tests.browser import browser_type_launch_args

# What tests/demosite and tests/localaws take from here. Not `django_db_setup`: a second
# definition of that session fixture in another directory would set the test database up
# again, replacing the file the first one made while its connection is still in use.
__all__ = [
    "browser_type_launch_args",
    "eager_tasks",
    "editor",
    "generated",
    "preset_admin",
    "presets",
    "publishing_aws",
    "pytest_configure",
    "run_on_commit",
    "s3_bucket",
    "stored_asset",
    "use_bucket",
]

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from the test
# body are still synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_configure(config: pytest.Config) -> None:
    # The default hasher takes about a second per user here; tests make many users.
    django_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_report_header(config: pytest.Config) -> str:
    engine = django_settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"imageadmin database: {engine}"


@pytest.fixture(scope="session", autouse=True)
def _database_reachable() -> None:
    """Skip the whole run, saying why, when DATABASE_URL names a server that is not there."""
    db = django_settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        return
    import psycopg

    try:
        psycopg.connect(
            host=db.get("HOST") or "127.0.0.1",
            port=db.get("PORT") or 5432,
            user=db.get("USER") or "postgres",
            dbname=db.get("NAME") or "postgres",
            connect_timeout=3,
        ).close()
    except psycopg.OperationalError as err:
        pytest.skip(f"PostgreSQL named by DATABASE_URL is not reachable: {err}")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None) -> None:
    """Keep serialized_rollback working in tests that run after Playwright has started.

    Django's connections live in an asgiref Local (per context). Playwright's sync API runs the
    tests in a greenlet with its own context, where `connections["default"]` is a new wrapper
    without the `_test_serialized_contents` that setup_databases stored on the first one, so
    transaction=True tests would not restore the roles and default presets. Storing the contents
    on the wrapper's class lets every wrapper see them.
    """
    from django.db import connections

    for alias in connections:
        wrapper = connections[alias]
        contents = getattr(wrapper, "_test_serialized_contents", None)
        if contents is not None:
            type(wrapper)._test_serialized_contents = contents


def use_bucket(settings: Any, bucket: str, endpoint: str | None = None) -> None:
    """Point the imageadmin storage (STORAGES["imageadmin"]) at `bucket` for one test."""
    entry = settings.STORAGES["imageadmin"]
    options = {**entry["OPTIONS"], "bucket_name": bucket}
    if endpoint is not None:
        options["endpoint_url"] = endpoint
    settings.STORAGES = {**settings.STORAGES, "imageadmin": {**entry, "OPTIONS": options}}


@pytest.fixture(autouse=True)
def s3_bucket(settings: Any, s3_endpoint: str, bucket: str) -> str:
    """Point the imageadmin storage at a fresh bucket on moto's server."""
    settings.AWS_S3_ENDPOINT_URL = s3_endpoint
    use_bucket(settings, bucket, s3_endpoint)
    return bucket


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Run Celery tasks in-process whatever CELERY_BROKER_URL says."""
    from demosite.celery import app as celery_app

    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def presets() -> dict[str, Any]:
    """The four default presets, fresh (modules may override this fixture)."""
    from tests.imageadmin.originals import default_presets

    return default_presets()


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks: Any) -> Any:
    """Run what services enqueue on commit, as the request's commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def stored_asset(s3_client: Any, s3_bucket: str) -> Any:
    """Make assets whose originals are in the test bucket: `stored_asset(key, size, fmt, ...)`.

    `originals.make_asset` bound to this test's bucket: the object is put, the row created.
    """
    from tests.imageadmin.originals import make_asset

    return functools.partial(make_asset, s3_client, s3_bucket)


@pytest.fixture
def generated(run_on_commit: Any) -> Any:
    """Make variants as a committed request would: `generated(assets, preset_ids=None)`.

    Starts a generate job for the assets (rows or ids), runs its tasks once the transaction
    "commits" (eagerly with `eager_tasks`) and returns the Job, refreshed.
    """
    from imageadmin import variants

    def generate(assets: Iterable[Any], preset_ids: Iterable[Any] | None = None) -> Any:
        with run_on_commit():
            job = variants.start_generate(list(assets), preset_ids=preset_ids)
        job.refresh_from_db()
        return job

    return generate


@pytest.fixture
def publishing_aws(
    settings: Any, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Point publishing at moto's server (S3 and CloudFront), as `publish_data.configure` says."""
    from imageadmin import aws
    from tests.imageadmin.publish_data import configure

    configure(settings, s3_endpoint, monkeypatch)
    yield
    aws.cloudfront.cache_clear()


@pytest.fixture
def editor(django_user_model: Any) -> Any:
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("editor", "editor@example.com", "editor-pass")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def preset_admin(django_user_model: Any) -> Any:
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("padmin", "padmin@example.com", "padmin-pass")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name="Preset admins"))
    return user
