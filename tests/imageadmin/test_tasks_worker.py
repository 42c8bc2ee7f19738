"""A real Celery worker (in a thread) consuming from Redis on 127.0.0.1:6379.

The task messages go through the broker as JSON, so this proves the tasks take ids only. Each run
uses its own queue name, so concurrent test runs sharing the Redis server never steal each
other's tasks. The worker thread opens its own database connection: SQLite's shared in-memory
test database and PostgreSQL both see the committed rows of a transaction=True test.
serialized_rollback restores the migrations' rows (roles, default presets) afterwards, as the
browser tests expect: a plain transactional flush would recreate content types under new ids.
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import kombu.pools
import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun

from demosite.celery import app as celery_app
from imageadmin import variants
from imageadmin.models import Job, JobStatus, Preset, Variant
from tests.imageadmin.originals import fetch_image, image_bytes, make_asset
from tests.imageadmin.versioned import head

REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, 9
CONF_KEYS = ("broker_url", "task_always_eager", "task_default_queue", "worker_hijack_root_logger")


def _redis_error() -> str | None:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    except OSError as err:
        return f"Redis is not reachable on {REDIS_HOST}:{REDIS_PORT}: {err}"
    if not reply.startswith(b"+PONG"):
        return f"{REDIS_HOST}:{REDIS_PORT} did not answer PING like Redis: {reply!r}"
    return None


def _reset_connections(app: Celery) -> None:
    """Forget pools and AMQP state built from the previous configuration."""
    kombu.pools.reset()  # closes and forgets kombu's process-wide connection/producer pools
    app._pool = None
    app.__dict__.pop("amqp", None)


@pytest.fixture
def redis_app() -> Iterator[tuple[Celery, str]]:
    """Point the project's Celery app at Redis with its own queue, eager off; restore after."""
    reason = _redis_error()
    if reason:
        pytest.skip(reason)
    queue = f"imageadmin-test-{uuid.uuid4().hex[:12]}"
    saved = {key: celery_app.conf[key] for key in CONF_KEYS}
    celery_app.conf.update(
        broker_url=f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
        task_always_eager=False,
        task_default_queue=queue,
        worker_hijack_root_logger=False,
    )
    _reset_connections(celery_app)
    try:
        yield celery_app, queue
    finally:
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
        _reset_connections(celery_app)
        celery_app.conf.update(saved)


class Finished:
    """Count tasks the worker has finished (the worker thread signals; the test thread waits)."""

    def __init__(self) -> None:
        self.count = 0
        self.states: list[str] = []
        self._cond = threading.Condition()

    def __call__(self, sender: Any = None, state: str | None = None, **kwargs: Any) -> None:
        with self._cond:
            self.count += 1
            self.states.append(str(state))
            self._cond.notify_all()

    def wait_for(self, n: int, timeout: float = 60.0) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self.count >= n, timeout):
                pytest.fail(f"the worker finished {self.count} of {n} tasks in {timeout}s")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_generates_variants_from_the_redis_queue(
    redis_app: tuple[Celery, str], s3_client: Any, s3_bucket: str
) -> None:
    app, queue = redis_app
    # Start from known presets rather than migration 0003's defaults.
    Preset.objects.all().delete()
    small = Preset.objects.create(name="small", width=150)
    Preset.objects.create(name="square", width=200, height=200, fit="cover", format="webp")
    assets = [
        make_asset(s3_client, s3_bucket, "originals/worker/one.jpg", (1200, 800)),
        make_asset(s3_client, s3_bucket, "originals/worker/two.png", (600, 900), "PNG"),
    ]
    broken = make_asset(
        s3_client, s3_bucket, "originals/worker/broken.jpg", (10, 10), data=image_bytes((8, 8))[:50]
    )

    finished = Finished()
    task_postrun.connect(finished, weak=False)
    try:
        with start_worker(app, perform_ping_check=False, queues=[queue], shutdown_timeout=30):
            # autocommit: on_commit sends at once, and the worker sees the committed rows
            job = variants.start_generate([a.pk for a in assets] + [broken.pk])
            assert Job.objects.get(pk=job.pk).total == 3
            finished.wait_for(3)
    finally:
        task_postrun.disconnect(finished)

    assert finished.states == ["SUCCESS"] * 3  # a broken original is reported, not raised
    job.refresh_from_db()
    assert (job.status, job.done, job.failed) == (JobStatus.FAILED, 2, 1)
    assert "originals/worker/broken.jpg" in job.message
    s, q = head("small"), head("square")  # the keys at each preset's current token
    expected = {
        f"{s}/originals/worker/one.jpg": ("JPEG", (150, 100), "image/jpeg"),
        f"{q}/originals/worker/one.jpg": ("WEBP", (200, 200), "image/webp"),
        f"{s}/originals/worker/two.png": ("PNG", (150, 225), "image/png"),
        f"{q}/originals/worker/two.png": ("WEBP", (200, 200), "image/webp"),
    }
    for key, (fmt, size, content_type) in expected.items():
        im, response = fetch_image(s3_client, s3_bucket, key)
        assert (im.format, im.size, response["ContentType"]) == (fmt, size, content_type)
    assert set(Variant.objects.values_list("key", flat=True)) == set(expected)
    assert Variant.objects.get(key=f"{s}/originals/worker/one.jpg").preset_id == small.pk


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_runs_purge_and_sync(
    redis_app: tuple[Celery, str], s3_client: Any, s3_bucket: str
) -> None:
    app, queue = redis_app
    Preset.objects.all().delete()
    Preset.objects.create(name="small", width=150)
    asset = make_asset(s3_client, s3_bucket, "originals/worker/sync.jpg", (300, 300))
    s3_client.put_object(Bucket=s3_bucket, Key="small.avif/originals/worker/sync.jpg", Body=b"x")

    finished = Finished()
    task_postrun.connect(finished, weak=False)
    try:
        with start_worker(app, perform_ping_check=False, queues=[queue], shutdown_timeout=30):
            sync_job = variants.start_sync()
            finished.wait_for(1)
            assert Variant.objects.filter(asset=asset, format="avif").count() == 1
            purge_job = variants.start_purge([asset.pk])
            finished.wait_for(2)
    finally:
        task_postrun.disconnect(finished)

    sync_job.refresh_from_db()
    purge_job.refresh_from_db()
    assert (sync_job.status, sync_job.done) == (JobStatus.DONE, 1)
    assert "small: 1 objects, 1 bytes; 1 created" in sync_job.message
    assert (purge_job.status, purge_job.done) == (JobStatus.DONE, 1)
    assert not Variant.objects.exists()
    listed = s3_client.list_objects_v2(Bucket=s3_bucket, Prefix="small")
    assert listed["KeyCount"] == 0
