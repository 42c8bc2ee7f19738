"""`make run`: start the whole system on this machine, supervise it, stop it on Ctrl-C.

What starts, in this order (each child in its own process group, see processes.py):

1. moto's server on 127.0.0.1:IMAGEADMIN_S3_PORT (9000): S3, CloudFront and SQS. The bucket is
   restored from `<data>/s3/` (snapshot.py) and a CloudFront distribution is created; its id
   becomes IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID. Then the bucket's object events are wired to
   an SQS queue with its dead-letter queue, as the template wires them (events.py); its URL
   becomes IMAGEADMIN_EVENTS_QUEUE_URL.
2. In this process: migrations, the demo accounts, a publication of the presets (the presets
   JSON, routing and lifecycle rules), and the demo photos on a fresh system (seed.py).
3. The local edge on 127.0.0.1:IMAGEADMIN_EDGE_PORT (8080): CloudFront, the S3 website endpoint,
   API Gateway and the resizer Lambda (edge.py). It is also the CDN URL and the API host.
4. Django's development server on 127.0.0.1:IMAGEADMIN_WEB_PORT (8000), reloading on code edits.
5. A Celery worker on Redis (IMAGEADMIN_REDIS_URL, default redis://127.0.0.1:6379/3) when Redis
   answers; otherwise tasks run eagerly inside the web process (no CELERY_BROKER_URL).
6. `manage.py consume_variant_events`, which applies the bucket's events to the Variant rows, so
   a variant the Lambda makes is counted in the admin within seconds.

Every process gets the environment `config.stack_env` makes: moto's endpoints, dummy credentials
and none of the developer's own AWS configuration.
Ctrl-C (SIGINT), SIGTERM or SIGHUP stops the event consumer, the worker, the web server and the
edge, saves the bucket, then stops moto. The bucket is also saved every
IMAGEADMIN_SNAPSHOT_SECONDS (30).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import IO, Any

from localaws import events, seed, snapshot
from localaws.config import (
    BASE_DIR,
    REGION,
    LocalConfig,
    StartupError,
    create_distribution,
    redis_reachable,
    stack_env,
    write_env_file,
)
from localaws.processes import Child, Console, port_free, wait_for_port


class Stop(Exception):
    """A stop signal arrived."""


class _Say(logging.Handler):
    """Print the Django side's log lines (uploads, publishing) behind `run |`."""

    def __init__(self, say: Callable[[str], None]) -> None:
        super().__init__()
        self._say = say

    def emit(self, record: logging.LogRecord) -> None:
        self._say(self.format(record))


class Stack:
    """The running system: its children, the order they start and stop in."""

    def __init__(self, config: LocalConfig, out: IO[str] | None = None) -> None:
        self.config = config
        self.console = Console(out)
        self.children: list[Child] = []
        self.stopping = False
        self.hurry = False
        self.broker = ""
        self.distribution_id = ""
        self.events: events.Wiring | None = None
        self.env: dict[str, str] = {}
        self._s3: Any = None
        self.env_file: Path | None = None
        self._saved_at = time.monotonic()

    def say(self, line: str) -> None:
        self.console.say("run", line)

    def child(self, name: str, argv: list[str], port: int | None = None, **kw: Any) -> Child:
        child = Child(name, argv, self.env, port=port, cwd=BASE_DIR, **kw)
        self.children.append(child)
        child.start()
        return child

    def start(self) -> None:
        cfg = self.config
        for name, port in (("S3", cfg.s3_port), ("edge", cfg.edge_port), ("web", cfg.web_port)):
            if not port_free(port):
                var = f"IMAGEADMIN_{name.upper()}_PORT"
                raise StartupError(
                    f"port {port} ({name}) is in use: stop what uses it or set {var}"
                )
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
        self.env = stack_env(cfg, dict(os.environ))
        py = sys.executable
        s3 = self.child(
            "s3",
            [py, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(cfg.s3_port)],
            cfg.s3_port,
            log_file=cfg.data_dir / "log" / "s3.log",
        )
        wait_for_port(s3, self.console, self.children, 60)
        self._prepare_aws()
        self._prepare_django()
        queue_url = self.events.queue_url if self.events else ""
        self.env = stack_env(cfg, dict(os.environ), self.distribution_id, self.broker, queue_url)
        edge = self.child("edge", [py, "-m", "localaws.edge"], cfg.edge_port)
        web_argv = [py, "manage.py", "runserver", f"127.0.0.1:{cfg.web_port}"]  # reloads on edits
        web = self.child("web", web_argv, cfg.web_port)
        if self.broker:
            self.child("worker", self._worker_argv())
        self.child("events", [py, "manage.py", "consume_variant_events"])
        wait_for_port(edge, self.console, self.children, 60)
        wait_for_port(web, self.console, self.children, 60)

    def _worker_argv(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "demosite",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            self.env["IMAGEADMIN_CELERY_QUEUE"],
            "-B",
            "-s",
            str(self.config.data_dir / "celerybeat-schedule"),
        ]

    def _prepare_aws(self) -> None:
        import boto3

        os.environ.clear()
        os.environ.update(self.env)
        self._s3 = boto3.client("s3", region_name=REGION)
        saved = self.config.data_dir / "s3"
        fresh = not snapshot.exists(saved)
        restored = snapshot.restore(self._s3, self.config.bucket, saved)
        if fresh:
            self.say(f"S3: new empty bucket {self.config.bucket!r} (first start in this folder)")
        else:
            self.say(f"S3: bucket {self.config.bucket!r} restored: {restored} object(s)")
        cloudfront = boto3.client("cloudfront", region_name=REGION)
        self.distribution_id = create_distribution(cloudfront, self.config.bucket)
        os.environ["IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID"] = self.distribution_id
        # After the restore: its re-written objects must not arrive as a flood of events.
        sqs = boto3.client("sqs", region_name=REGION)
        self.events = events.wire(self._s3, sqs, self.config.bucket)
        os.environ["IMAGEADMIN_EVENTS_QUEUE_URL"] = self.events.queue_url
        if self.config.broker_url:
            self.broker = self.config.broker_url
        elif self.config.redis_url and redis_reachable(self.config.redis_url):
            self.broker = self.config.redis_url
        shared = dict(os.environ)
        if self.broker:
            shared["CELERY_BROKER_URL"] = self.broker
        self.env_file = write_env_file(self.config.data_dir, shared)

    def _prepare_django(self) -> None:
        import django
        from django.core.management import call_command

        django.setup()
        from django.db import connections

        logging.getLogger("imageadmin").handlers = [_Say(self.say)]

        from imageadmin import publishing

        call_command("migrate", interactive=False, verbosity=0)
        seed.ensure_accounts()
        try:
            publication = publishing.publish(via="command")
            outcome = f"{publication}: {publication.status}"
            if publication.error:
                outcome += f" ({publication.failed_step}: {publication.error})"
        except publishing.PublishInProgress as err:
            outcome = f"skipped: {err}"
        self.say(f"presets published to the local S3 and edge ({outcome})")
        if self.config.demo_photos:
            added = seed.add_demo_photos(self.config.data_dir / "demo-photos", self.say)
            if added:
                self.say(f"demo photos: {added} uploaded as assets (Debian's {seed.PACKAGE})")
        connections.close_all()

    def banner(self) -> None:
        cfg = self.config
        web = f"http://127.0.0.1:{cfg.web_port}"
        tasks = (
            f"Celery worker on {self.broker}"
            if self.broker
            else "in the web process (Redis not reachable: Celery runs tasks eagerly)"
        )
        accounts = ", ".join(
            f"{a.username}/{a.password} ({a.role})" for a in (seed.ADMIN, seed.EDITOR)
        )
        lines = [
            f"imageadmin is running; Ctrl-C stops everything. Data: {cfg.data_dir}",
            f"  admin      {web}/admin/   accounts: {accounts}",
            f"  demo       {web}/demo/",
            f"  CDN edge   {cfg.edge_url}/<preset>/<original key>"
            f"  (CloudFront, S3 website, API Gateway /default/resize, Lambda)",
            f"  S3 API     {cfg.s3_url}  bucket {cfg.bucket!r}, CloudFront {self.distribution_id}",
            f"  tasks      {tasks}",
        ]
        if self.events is not None:
            lines.append(
                f"  S3 events  {self.events.queue_url} -> consume_variant_events"
                " (Variant rows within seconds)"
            )
        for line in lines:
            self.say(line)

    def supervise(self) -> int:
        """Print output and watch the children until a stop signal; return the exit code."""
        while True:
            self.console.pump(self.children, 0.5)
            for child in self.children:
                if child.running or child.proc is None:
                    continue
                code = child.proc.returncode
                if child.name == "s3" or child.restarts >= 3:
                    self.say(f"{child.name} exited with code {code}; stopping everything")
                    return 1
                child.restarts += 1
                self.say(f"{child.name} exited with code {code}; restarting it")
                self.console.drain(child)
                child.close()
                child.start()
            if time.monotonic() - self._saved_at >= self.config.snapshot_seconds:
                self.save()

    def save(self) -> None:
        self._saved_at = time.monotonic()
        if self._s3 is None:
            return
        try:
            saved = snapshot.save(self._s3, self.config.bucket, self.config.data_dir / "s3")
        except Exception as err:  # keep running; the previous snapshot is intact
            self.say(f"could not save the bucket: {err}")
            return
        if saved.downloaded:
            self.say(f"saved the bucket: {saved.objects} object(s), {saved.downloaded} changed")

    def stop(self) -> None:
        """Stop the children (S3 last, after saving the bucket); idempotent."""
        self.stopping = True
        moto = [c for c in self.children if c.name == "s3"]
        for child in reversed([c for c in self.children if c.name != "s3"]):
            child.stop(2 if self.hurry else 15)
            self.console.drain(child)
            child.close()
        if any(c.running for c in moto):
            self.save()
            self.say(f"bucket saved to {self.config.data_dir / 's3'}")
        for child in moto:
            child.stop(5)
            child.close()
        if self.env_file is not None:
            self.env_file.unlink(missing_ok=True)
        self.say("stopped")


def main() -> int:
    try:
        config = LocalConfig.from_env(os.environ)
    except StartupError as err:
        print(f"make run: {err}", file=sys.stderr)
        return 2
    stack = Stack(config)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stack.stopping:
            stack.hurry = True
            return
        stack.stopping = True
        raise Stop(signal.Signals(signum).name)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    code = 0
    try:
        stack.start()
        stack.banner()
        code = stack.supervise()
    except Stop as stop:
        stack.say(f"{stop}: stopping")
    except StartupError as err:
        stack.say(f"cannot start: {err}")
        code = 1
    except RuntimeError as err:
        stack.say(f"failed: {err}")
        code = 1
    finally:
        stack.stop()
    return code
