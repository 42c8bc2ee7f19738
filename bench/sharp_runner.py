"""Drive bench/sharp/bench.mjs with node: columns (b) and (c), and sharp's peak RSS.

sharp is the source design the resizer is judged against. bench.mjs does the timing in node
(one core: `taskset`, `VIPS_CONCURRENCY=1`, `UV_THREADPOOL_SIZE=1`) and returns raw samples
as JSON, which are summarised here with the same statistic as the Python columns.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import corpus
from measure import JPEG_QUALITY, summarise

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


def run_sharp(
    files: list[corpus.CorpusFile], widths: list[int], repeats: int, cpu: int, out_dir: Path
) -> dict[str, Any]:
    cfg = {
        "files": [{"name": f.name, "path": str(f.path), "format": f.format} for f in files],
        "widths": widths,
        "repeats": repeats,
        "quality": JPEG_QUALITY,
        "outDir": str(out_dir),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    cfg_path = out_dir / "sharp-config.json"
    cfg_path.write_text(json.dumps(cfg, indent=1))
    cmd, env = _node_cmd(cpu, [str(cfg_path)])
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"sharp bench failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def sharp_rss(path: Path, widths: list[int], cpu: int) -> dict[str, Any] | None:
    cmd, env = _node_cmd(cpu, ["--rss", str(path), ",".join(map(str, widths))])
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return None
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


def add_sharp_times(files: dict[str, dict[str, Any]], sharp: dict[str, Any]) -> dict[str, str]:
    """Summarise sharp's samples into each file's results; return each file's best (c) way."""
    best_kind: dict[str, str] = {}
    for name, entry in sharp["files"].items():
        r = files[name]
        r["sharp_b"] = {int(w): summarise(v["samples"]) for w, v in entry["per_width"].items()}
        r["sharp_b_total"] = sum(r["sharp_b"].values())
        r["sharp_c"] = {k: summarise(v["samples"]) for k, v in entry["shared"].items()}
        kind = min(r["sharp_c"], key=lambda k: r["sharp_c"][k])
        r["sharp_c_best"], r["sharp_c_kind"] = r["sharp_c"][kind], kind
        best_kind[name] = kind
    return best_kind
