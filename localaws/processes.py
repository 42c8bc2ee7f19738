"""Child processes for `make run`: started in their own process group, stopped as a group.

Each child gets its own process group, so a Ctrl-C in the terminal reaches only the supervisor,
which then stops the children in order (the web server and worker before the S3 server, whose
contents are saved last). A child's whole group is signalled, so its own children go too, and
on Linux each child also asks the kernel to kill it should the supervisor die without cleaning
up (PR_SET_PDEATHSIG). Output is read in the supervisor's one thread with `select` and printed
line by line behind the child's name; a child may instead write to a log file.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
PR_SET_PDEATHSIG = 1


def _in_child() -> None:
    """Runs in the forked child before exec: take the signals back, die with the parent."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    """One supervised process; `argv` is run with `env`, output to the console or `log_file`."""

    name: str
    argv: list[str]
    env: Mapping[str, str]
    port: int | None = None
    log_file: Path | None = None
    cwd: Path | None = None
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    _pending: bytes = field(default=b"", repr=False)
    _log: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        """Start the process in a new process group (stop signals blocked while forking)."""
        output: int | IO[bytes] = subprocess.PIPE
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_file.open("ab")
            output = self._log
        old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            self.proc = subprocess.Popen(
                self.argv,
                env=dict(self.env),
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                process_group=0,
                preexec_fn=_in_child,
            )
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal_group(self, sig: int) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def stop(self, timeout: float) -> int | None:
        """SIGTERM the group, wait up to `timeout`, then SIGKILL it; return the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout)
        self.signal_group(signal.SIGKILL)  # whatever is left of the group, grandchildren too
        return self.proc.wait()

    def close(self) -> None:
        """Close the output pipe or log file (after the last output was read)."""
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        if self._log is not None:
            self._log.close()


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Console:
    """Prints the children's output behind their names, from the supervisor's only thread."""

    def __init__(self, out: IO[str] | None = None) -> None:
        self.out = out or sys.stdout
        self.width = 6

    def say(self, name: str, line: str) -> None:
        print(f"{name:<{self.width}} | {line}", file=self.out, flush=True)

    def pump(self, children: Iterable[Child], timeout: float) -> None:
        """Print what the children wrote within `timeout` seconds (whole lines)."""
        by_fd = {
            c.proc.stdout.fileno(): c
            for c in children
            if c.proc is not None and c.proc.stdout is not None and not c.proc.stdout.closed
        }
        if not by_fd:
            time.sleep(timeout)
            return
        try:
            readable, _, _ = select.select(list(by_fd), [], [], timeout)
        except InterruptedError:
            return
        for fd in readable:
            child = by_fd[fd]
            chunk = os.read(fd, 65536)
            if chunk:
                lines = (child._pending + chunk).split(b"\n")
                child._pending = lines.pop()
            else:
                lines = [child._pending] if child._pending else []
                child._pending = b""
            for line in lines:
                self.say(child.name, line.decode("utf-8", "replace").rstrip("\r"))
            if not chunk and child.proc is not None and child.proc.stdout is not None:
                child.proc.stdout.close()  # EOF: the child has gone

    def drain(self, child: Child, timeout: float = 2.0) -> None:
        """Print what a stopped child still had to say, up to its end of output."""
        deadline = time.monotonic() + timeout
        while child.proc is not None and child.proc.stdout is not None:
            if child.proc.stdout.closed or time.monotonic() > deadline:
                break
            self.pump([child], 0.1)
        if child._pending:
            self.say(child.name, child._pending.decode("utf-8", "replace"))
            child._pending = b""


def wait_for_port(child: Child, console: Console, others: list[Child], timeout: float) -> None:
    """Wait until `child` accepts connections on its port, printing output meanwhile."""
    assert child.port is not None
    deadline = time.monotonic() + timeout
    while not port_open(child.port):
        if not child.running:
            code = child.proc.returncode if child.proc else None
            raise RuntimeError(f"{child.name} exited with code {code} while starting")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{child.name} did not open port {child.port} in {timeout:.0f} s")
        console.pump(others, 0.1)
