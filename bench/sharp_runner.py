"""Drive bench/sharp/bench.mjs: sharp at its best, served to run.py for paired measurements.

sharp is the peer the resizer is judged against. `SharpServer` starts one node process on the
bench's core (`taskset`, `VIPS_CONCURRENCY=1`, `UV_THREADPOOL_SIZE=1`) and asks it for one job at a
time over a pipe, so measure.py can interleave sharp's runs with ours file by file and width by
width: both sides see the same machine load at nearly the same moment. Node times each job
itself (the pipe is not counted); this module only carries requests and answers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

SHARP_DIR = Path(__file__).resolve().parent / "sharp"


def ensure_sharp(log: list[str]) -> bool:
    if shutil.which("node") is None:
        log.append("node not found: sharp columns skipped")
        return False
    if not (SHARP_DIR / "node_modules" / "sharp").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            log.append("npm not found: sharp columns skipped")
            return False
        t0 = time.perf_counter()
        proc = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=SHARP_DIR, capture_output=True, text=True
        )
        if proc.returncode != 0:
            log.append(f"npm ci failed: sharp columns skipped\n{proc.stderr[-2000:]}")
            return False
        log.append(f"npm ci in bench/sharp took {time.perf_counter() - t0:.1f}s")
    return True


def _node_cmd(cpu: int, script_args: list[str]) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ, VIPS_CONCURRENCY="1", UV_THREADPOOL_SIZE="1")
    cmd = ["node", str(SHARP_DIR / "bench.mjs"), *script_args]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", str(cpu), *cmd]
    return cmd, env


class SharpServer:
    """One node process running bench.mjs --serve; each call is one timed sharp job."""

    def __init__(self, cpu: int, quality: int) -> None:
        cmd, env = _node_cmd(cpu, ["--serve"])
        self.quality = quality
        self._proc = subprocess.Popen(
            cmd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.versions = self._ask({"op": "versions"})

    def _ask(self, req: dict[str, Any]) -> dict[str, Any]:
        assert self._proc.stdin is not None
        assert self._proc.stdout is not None
        self._proc.stdin.write(json.dumps(req) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            err = self._proc.stderr.read() if self._proc.stderr else ""
            raise RuntimeError(f"sharp server died:\n{err[-3000:]}")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"sharp failed on {req}:\n{answer['error']}")
        return answer

    def per_width(self, path: Path, fmt: str, width: int, out: Path | None = None) -> float:
        """(b): one request for one width; return sharp's ms."""
        req = {"op": "per_width", "path": str(path), "format": fmt, "width": width}
        req["quality"] = self.quality
        if out is not None:
            req["out"] = str(out)
        return float(self._ask(req)["ms"])

    def shared(
        self, path: Path, fmt: str, widths: list[int], out: list[Path] | None = None
    ) -> float:
        """(c): every width from one decode; return sharp's ms."""
        req: dict[str, Any] = {"op": "shared", "path": str(path), "format": fmt}
        req["widths"], req["quality"] = widths, self.quality
        if out is not None:
            req["out"] = [str(p) for p in out]
        return float(self._ask(req)["ms"])

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


def sharp_rss(path: Path, widths: list[int], cpu: int) -> dict[str, Any] | None:
    cmd, env = _node_cmd(cpu, ["--rss", str(path), ",".join(map(str, widths))])
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return None
    out: dict[str, Any] = json.loads(proc.stdout)
    return out
