"""`make run` as a person uses it: the real supervisor in a subprocess, started, used, stopped.

It runs on free ports in a temporary data folder without demo photos (no download in tests):
upload through the admin over HTTP, the 307 -> 301 -> 200 chain through the edge, the new
variant's row made from S3's event within EVENT_BAR seconds (moto's S3 -> moto's SQS ->
consume_variant_events) and counted on the presets list, a publication run by the task queue,
Ctrl-C (SIGINT) with nothing left running, and a second start that still has the asset, its
original and its variant. The first run uses a Celery worker on Redis when Redis answers; the
second runs without Redis (tasks eagerly in the web process).
"""

from __future__ import annotations

import http.client
import http.cookiejar
import io
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

import pytest
from PIL import Image

from localaws.config import LocalConfig, redis_reachable, stack_env
from localaws.processes import port_free
from tests.conftest import REPO_ROOT, _free_port

pytestmark = pytest.mark.slow

REDIS = "redis://127.0.0.1:6379/11"
STARTED = "imageadmin is running"
EVENT_BAR = 10.0  # seconds from the Lambda's PUT to the Variant row (issue 9)


class Run:
    """One `python -m localaws` and what it printed."""

    def __init__(self, env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "localaws"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"no {text!r} (exit {self.proc.poll()}):\n{self.output}")
            time.sleep(0.1)

    def interrupt(self) -> int:
        """Send SIGINT, as Ctrl-C does, and return the exit code."""
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(60)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


class Admin:
    """The Django admin over plain HTTP with a session, as a browser without JavaScript."""

    def __init__(self, base: str, username: str, password: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = build_opener(HTTPCookieProcessor(self.jar))
        self.opener.open(f"{base}/admin/login/", timeout=30).read()
        fields = {"username": username, "password": password, "next": "/admin/"}
        final = self.post("/admin/login/", urlencode(fields).encode(), "")
        assert final.endswith("/admin/"), final

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken") or ""

    def post(self, path: str, body: bytes, content_type: str) -> str:
        if not content_type:
            content_type = "application/x-www-form-urlencoded"
            body += b"&csrfmiddlewaretoken=" + self.csrf().encode()
        request = Request(f"{self.base}{path}", body, {"Content-Type": content_type})
        with self.opener.open(request, timeout=60) as response:
            self.last_body = response.read().decode()
            return str(response.geturl())

    def upload(self, name: str, data: bytes) -> int:
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f"{self.csrf()}\r\n".encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n".encode()
            + data
            + b"\r\n",
            f"--{boundary}--\r\n".encode(),
        ]
        self.post(
            "/admin/imageadmin/asset/upload/",
            b"".join(parts),
            f"multipart/form-data; boundary={boundary}",
        )
        found = re.search(r"/admin/imageadmin/asset/(\d+)/change/", self.last_body)
        assert found, self.last_body
        return int(found.group(1))

    def get(self, path: str) -> str:
        with self.opener.open(f"{self.base}{path}", timeout=60) as response:
            return str(response.read().decode())

    def wait_for_warming(self) -> dict[str, Any]:
        """Wait for the warm job the last upload's row links to; return its final progress."""
        found = re.search(r'data-job="(\d+)"', self.last_body)
        assert found, self.last_body
        deadline = time.monotonic() + 120
        while True:
            with self.opener.open(
                f"{self.base}/admin/imageadmin/job/{found.group(1)}/progress/", timeout=30
            ) as response:
                progress: dict[str, Any] = json.loads(response.read())
            if not progress["active"] or time.monotonic() > deadline:
                return progress
            time.sleep(0.5)

    def publish(self) -> str:
        """Start a publication in the admin; return its status once it has finished."""
        url = self.post("/admin/imageadmin/publication/publish/", b"", "")
        deadline = time.monotonic() + 60
        while "publish-status-running" in self.last_body and time.monotonic() < deadline:
            time.sleep(0.5)
            with self.opener.open(url, timeout=30) as response:
                self.last_body = response.read().decode()
        found = re.search(r"publish-status-(\w+)", self.last_body)
        return found.group(1) if found else "?"


def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def width_of(body: bytes) -> int:
    with Image.open(io.BytesIO(body)) as image:
        return image.width


def photo() -> bytes:
    buf = io.BytesIO()
    Image.linear_gradient("L").resize((600, 400)).convert("RGB").save(buf, "JPEG")
    return buf.getvalue()


def variant_row(data_dir: str, key: str) -> tuple[int, str] | None:
    """Return (bytes, format) of the Variant row of `key` in make run's database, or None."""
    database = Path(data_dir) / "db.sqlite3"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as db:
        row = db.execute(
            "SELECT bytes, format FROM imageadmin_variant WHERE key = ?", (key,)
        ).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def wait_for_row(data_dir: str, key: str, since: float) -> tuple[tuple[int, str], float]:
    """Poll for the row of `key` up to EVENT_BAR seconds after `since`; return it and when."""
    while True:
        row = variant_row(data_dir, key)
        waited = time.monotonic() - since
        if row is not None:
            return row, waited
        if waited > EVENT_BAR:
            pytest.fail(f"no Variant row for {key} {EVENT_BAR:.0f} s after the Lambda made it")
        time.sleep(0.05)


def preset_count(admin: Admin, name: str) -> int:
    """Return the variant count the admin's presets list shows for preset `name`."""
    html = admin.get(f"/admin/imageadmin/preset/?q={name}")
    found = re.search(
        rf'>{name}</a>.*?class="field-variants"><a [^>]*>([\d,]+)</a>', html, flags=re.S
    )
    assert found, html
    return int(found.group(1).replace(",", ""))


def leftovers(env: dict[str, str]) -> list[str]:
    """Return the command lines of processes left from a run (by its data folder and ports)."""
    markers = (
        env["IMAGEADMIN_DATA_DIR"],
        f"-p {env['IMAGEADMIN_S3_PORT']}",
        f"127.0.0.1:{env['IMAGEADMIN_WEB_PORT']}",
    )
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(marker in text for marker in markers):
            found.append(text)
    return found


def forget_queue(data_dir: str) -> None:
    """Remove what the run's queue left in Redis (kombu's bindings for it)."""
    import redis

    config = LocalConfig(data_dir=Path(data_dir).resolve())
    queue = stack_env(config, {})["IMAGEADMIN_CELERY_QUEUE"]
    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter(match=f"*{queue}*"):
        client.delete(key)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    ports = {name: _free_port() for name in ("S3", "EDGE", "WEB")}
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CELERY_"))}
    environ.pop("DATABASE_URL", None)
    environ.update(
        {f"IMAGEADMIN_{name}_PORT": str(port) for name, port in ports.items()},
        IMAGEADMIN_DATA_DIR=str(tmp_path / "var"),
        IMAGEADMIN_DEMO_PHOTOS="0",
        IMAGEADMIN_REDIS_URL=REDIS if redis_reachable(REDIS) else "off",
    )
    yield environ
    if environ["IMAGEADMIN_REDIS_URL"] == REDIS:
        forget_queue(environ["IMAGEADMIN_DATA_DIR"])


def test_make_run_serves_persists_and_stops_cleanly(env: dict[str, str]) -> None:
    web, edge = int(env["IMAGEADMIN_WEB_PORT"]), int(env["IMAGEADMIN_EDGE_PORT"])
    base, cdn = f"http://127.0.0.1:{web}", f"http://127.0.0.1:{edge}"

    run = Run(env)
    try:
        run.wait_for(STARTED)
        assert f"{base}/admin/" in run.output
        assert "editor/editor" in run.output
        assert "new empty bucket" in run.output
        second_terminal = {k: v for k, v in env.items() if k != "IMAGEADMIN_STACK_ENV"}
        dry_run = subprocess.run(
            [sys.executable, "manage.py", "publish", "--dry-run"],
            cwd=REPO_ROOT,
            env=second_terminal,  # no AWS variables: they come from <data>/stack.env
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert dry_run.returncode == 0, dry_run.stdout + dry_run.stderr
        assert "credentials" not in dry_run.stdout + dry_run.stderr
        home = get(web, "/")
        assert (home[0], home[1]["Location"]) == (302, "/demo/")  # the admin's "View site"
        editor = Admin(base, "editor", "editor")
        asset_id = editor.upload("pier.jpg", photo())
        key = json.loads(get(web, f"/api/assets/{asset_id}")[2])["key"]
        # Variant URLs carry each preset's published output token (the API says which).
        tokens = {p["name"]: p["token"] for p in json.loads(get(web, "/api/presets")[2])["presets"]}
        small, medium = f"small.{tokens['small']}", f"medium.{tokens['medium']}"
        # The upload warmed every preset as AVIF, WebP and JPEG (on the worker, when Redis is
        # there): served straight from the bucket.
        progress = editor.wait_for_warming()
        assert (progress["status"], progress["done"], progress["total"]) == ("done", 1, 1)
        status, headers, body = get(edge, f"/{small}/{key}")
        assert (status, headers["X-Cache"], width_of(body)) == (200, "Miss from edge", 150)
        assert get(edge, f"/{small}/{key}")[1]["X-Cache"] == "Hit from edge"
        status, headers, _ = get(edge, f"/{small}.avif/{key}")
        assert (status, headers["Content-Type"]) == (200, "image/avif")

        # A format nobody warmed is made by the Lambda on its first request, and its S3 event
        # (-> SQS -> consume_variant_events) gives it a row with the object's size and format.
        admin = Admin(base, "admin", "admin")
        before = preset_count(admin, "small")
        status, headers, _ = get(edge, f"/{small}.png/{key}")
        assert (status, headers["Location"]) == (307, f"{cdn}/default/resize?key={small}.png/{key}")
        status, headers, _ = get(edge, f"/default/resize?key={small}.png/{key}")
        made = time.monotonic()  # the Lambda stored the variant before answering
        assert (status, headers["Location"]) == (301, f"{cdn}/{small}.png/{key}")
        row, waited = wait_for_row(env["IMAGEADMIN_DATA_DIR"], f"{small}.png/{key}", made)
        print(f"\nVariant row {waited:.2f} s after the Lambda's PUT")  # the bar is EVENT_BAR
        status, headers, body = get(edge, f"/{small}.png/{key}")
        assert (status, headers["Content-Type"], width_of(body)) == (200, "image/png", 150)
        assert row == (len(body), "png")
        assert preset_count(admin, "small") == before + 1
        assert "Live from S3 events (last event" in admin.get("/admin/imageadmin/preset/")
        assert f"{cdn}/{small}/{key}".encode() in get(web, f"/demo/{asset_id}/")[2]
        assert admin.publish() == "succeeded"  # a task, run somewhere
    finally:
        code = run.interrupt()
    assert code == 0, run.output
    assert "stopped" in run.output
    assert leftovers(env) == []
    assert not (Path(env["IMAGEADMIN_DATA_DIR"]) / "stack.env").exists()
    for name in ("S3", "EDGE", "WEB"):
        assert port_free(int(env[f"IMAGEADMIN_{name}_PORT"]))

    env = {**env, "IMAGEADMIN_REDIS_URL": "off"}
    again = Run(env)
    try:
        again.wait_for(STARTED)
        assert "Redis not reachable" in again.output or "eagerly" in again.output
        restored = re.search(r"restored: (\d+) object\(s\)", again.output)
        assert restored
        assert int(restored.group(1)) >= 3  # the original, the presets JSON, the variant
        status, headers, body = get(edge, f"/{small}/{key}")  # from the restored bucket
        assert (status, headers["X-Cache"], width_of(body)) == (200, "Miss from edge", 150)
        assert get(edge, f"/{medium}.png/{key}")[0] == 307  # made from the restored original:
        assert get(edge, f"/default/resize?key={medium}.png/{key}")[0] == 301
        assert width_of(get(edge, f"/{medium}.png/{key}")[2]) == 300
        assert json.loads(get(web, f"/api/assets/{asset_id}")[2])["key"] == key
        assert Admin(base, "admin", "admin").publish() == "succeeded"  # eagerly, in the web
    finally:
        code = again.interrupt()
    assert code == 0, again.output
    assert leftovers(env) == []
