"""`make run`'s configuration, environment and child processes (the whole run: tests/e2e)."""

from __future__ import annotations

import io
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from localaws import config, supervisor
from localaws.config import LocalConfig, StartupError, stack_env
from localaws.processes import Child, Console, port_free, port_open
from tests.conftest import _free_port


def test_config_defaults_and_overrides(tmp_path: Path) -> None:
    default = LocalConfig.from_env({})
    assert (default.s3_port, default.edge_port, default.web_port) == (9000, 8080, 8000)
    assert default.data_dir == config.BASE_DIR / "var"
    assert default.redis_url == "redis://127.0.0.1:6379/3"
    assert default.demo_photos
    custom = LocalConfig.from_env(
        {
            "IMAGEADMIN_S3_PORT": "9100",
            "IMAGEADMIN_EDGE_PORT": "9180",
            "IMAGEADMIN_WEB_PORT": "9800",
            "IMAGEADMIN_DATA_DIR": str(tmp_path),
            "IMAGEADMIN_REDIS_URL": "off",
            "IMAGEADMIN_DEMO_PHOTOS": "0",
            "CELERY_BROKER_URL": "redis://elsewhere:6379/0",
        }
    )
    assert (custom.s3_port, custom.edge_port, custom.web_port) == (9100, 9180, 9800)
    assert custom.data_dir == tmp_path
    assert (custom.redis_url, custom.demo_photos) == ("", False)
    assert custom.broker_url == "redis://elsewhere:6379/0"
    assert custom.edge_url == "http://127.0.0.1:9180"
    with pytest.raises(StartupError, match="IMAGEADMIN_WEB_PORT"):
        LocalConfig.from_env({"IMAGEADMIN_WEB_PORT": "web"})


def test_every_part_gets_local_aws_and_never_the_developers(tmp_path: Path) -> None:
    config = LocalConfig(data_dir=tmp_path, s3_port=9100, edge_port=9180)
    base = {
        "PATH": "/usr/bin",
        "AWS_PROFILE": "production",
        "AWS_SESSION_TOKEN": "secret",
        "AWS_ENDPOINT_URL": "https://s3.amazonaws.com",
        "CELERY_BROKER_URL": "redis://prod",
    }
    env = stack_env(config, base, "E123", "redis://127.0.0.1:6379/3")
    assert env["PATH"] == "/usr/bin"
    for gone in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        assert gone not in env
    assert env["AWS_CONFIG_FILE"] == env["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
    assert env["AWS_ENDPOINT_URL_S3"] == env["AWS_S3_ENDPOINT_URL"] == "http://127.0.0.1:9100"
    assert env["AWS_ENDPOINT_URL_CLOUDFRONT"] == "http://127.0.0.1:9100"
    assert env["IMAGEADMIN_CDN_URL"] == "http://127.0.0.1:9180"
    assert env["IMAGEADMIN_API_HOST"] == "127.0.0.1:9180"
    assert env["IMAGEADMIN_API_PROTOCOL"] == "http"
    assert env["IMAGEADMIN_PUBLISH_SETTLE_SECONDS"] == "0"
    assert env["IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID"] == "E123"
    assert env["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/3"
    assert env["IMAGEADMIN_CELERY_QUEUE"].startswith("imageadmin-")
    assert "CELERY_BROKER_URL" not in stack_env(config, base)  # no broker: eager tasks
    other = stack_env(LocalConfig(data_dir=tmp_path / "other"), base)
    assert other["IMAGEADMIN_CELERY_QUEUE"] != env["IMAGEADMIN_CELERY_QUEUE"]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and " Z " not in Path(f"/proc/{pid}/stat").read_text()


def test_a_child_is_stopped_with_its_whole_process_group(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    script = f"sleep 300 & echo $! > {pids}; echo started; wait"
    child = Child("sh", ["sh", "-c", script], dict(os.environ))
    child.start()
    assert child.proc is not None
    assert os.getpgid(child.proc.pid) == child.proc.pid  # its own group: no terminal Ctrl-C
    console = Console(io.StringIO())
    deadline = time.monotonic() + 10
    while not pids.exists() or not pids.read_text().strip():
        assert time.monotonic() < deadline
        console.pump([child], 0.1)
    grandchild = int(pids.read_text())
    assert alive(grandchild)
    child.stop(timeout=5)
    child.close()
    time.sleep(0.1)
    assert not alive(grandchild)
    assert not child.running


def test_a_child_that_ignores_sigterm_is_killed(tmp_path: Path) -> None:
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ok', flush=True); time.sleep(60)"
    )
    child = Child("py", [sys.executable, "-c", code], dict(os.environ))
    child.start()
    console = Console(io.StringIO())
    console.pump([child], 5)
    started = time.monotonic()
    assert child.stop(timeout=0.5) == -signal.SIGKILL
    assert time.monotonic() - started < 5
    child.close()


def test_console_prints_whole_lines_behind_the_name() -> None:
    out = io.StringIO()
    child = Child("web", [sys.executable, "-c", "print('one'); print('two', end='')"], {})
    child.start()
    assert child.proc is not None
    assert child.proc.wait(10) == 0
    Console(out).drain(child)
    child.close()
    assert out.getvalue() == "web    | one\nweb    | two\n"


def test_a_child_can_log_to_a_file(tmp_path: Path) -> None:
    log = tmp_path / "log" / "s3.log"
    child = Child("s3", [sys.executable, "-c", "print('request')"], {}, log_file=log)
    child.start()
    assert child.proc is not None
    child.proc.wait(10)
    child.stop(1)
    child.close()
    assert log.read_text() == "request\n"


def test_ports() -> None:
    port = _free_port()
    assert port_free(port)
    assert not port_open(port)


def test_a_port_in_use_stops_the_start_with_its_variable(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        config = LocalConfig(data_dir=tmp_path, web_port=port, s3_port=port + 0)
        stack = supervisor.Stack(config, io.StringIO())
        with pytest.raises(StartupError, match="IMAGEADMIN_S3_PORT"):
            stack.start()
    assert stack.children == []


def test_redis_reachable_is_false_for_a_closed_port() -> None:
    assert not config.redis_reachable(f"redis://127.0.0.1:{_free_port()}/0")


def test_a_crashed_child_is_restarted_then_given_up_on(tmp_path: Path) -> None:
    out = io.StringIO()
    stack = supervisor.Stack(LocalConfig(data_dir=tmp_path, snapshot_seconds=3600), out)
    crash = [sys.executable, "-c", "print('crashing'); raise SystemExit(3)"]
    stack.children.append(Child("web", crash, dict(os.environ)))
    stack.children[0].start()
    assert stack.supervise() == 1
    lines = out.getvalue().splitlines()
    assert lines.count("run    | web exited with code 3; restarting it") == 3
    assert lines[-1] == "run    | web exited with code 3; stopping everything"
    assert lines.count("web    | crashing") == 4
    stack.stop()


def test_losing_the_s3_server_stops_everything(tmp_path: Path) -> None:
    out = io.StringIO()
    stack = supervisor.Stack(LocalConfig(data_dir=tmp_path, snapshot_seconds=3600), out)
    stack.children.append(Child("s3", [sys.executable, "-c", "pass"], dict(os.environ)))
    stack.children[0].start()
    assert stack.supervise() == 1
    assert "s3 exited with code 0; stopping everything" in out.getvalue()
    stack.stop()
    assert out.getvalue().splitlines()[-1] == "run    | stopped"


def test_the_env_file_carries_what_a_second_terminal_needs(tmp_path: Path) -> None:
    cfg = LocalConfig(data_dir=tmp_path)
    env = stack_env(cfg, {"HOME": "/root", "PATH": "/usr/bin"}, distribution_id="E123")
    path = config.write_env_file(tmp_path, env)
    lines = dict(
        line.split("=", 1) for line in path.read_text().splitlines() if not line.startswith("#")
    )
    assert lines["AWS_ENDPOINT_URL_S3"] == cfg.s3_url
    assert lines["AWS_ACCESS_KEY_ID"] == "local"
    assert lines["IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID"] == "E123"
    assert lines["IMAGEADMIN_DATA_DIR"] == str(tmp_path)
    assert "HOME" not in lines
    assert "PATH" not in lines


def test_the_demo_settings_read_the_env_file(tmp_path: Path) -> None:
    cfg = LocalConfig(data_dir=tmp_path, s3_port=9555)
    config.write_env_file(tmp_path, stack_env(cfg, {}))
    env = {"PATH": os.environ["PATH"], "IMAGEADMIN_DATA_DIR": str(tmp_path)}
    probe = (
        "import demosite.settings as s; "
        "print(s.AWS_S3_ENDPOINT_URL, s.IMAGEADMIN_CDN_URL, s.STORAGES['imageadmin']['OPTIONS']"
        "['endpoint_url'])"
    )
    import subprocess

    out = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        cwd=config.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == ["http://127.0.0.1:9555", cfg.edge_url, "http://127.0.0.1:9555"]
    without = subprocess.run(
        [sys.executable, "-c", probe],
        env={**env, "IMAGEADMIN_DATA_DIR": str(tmp_path / "elsewhere")},
        cwd=config.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert without[0] == "None"  # no make run: S3 is AWS's, never a silent local default
