"""Probe the process and the machine: peak RSS and cold-start import cost, and what ran.

Peak RSS and import cost are measured in fresh interpreters (`python -c` children run from the
repository root), so the bench's own imports and memory do not count. `cpu_model` and
`pillow_versions` record what the numbers were measured on.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from measure import summarise

REPO = Path(__file__).resolve().parent.parent

# VmHWM (the peak RSS of this process image) rather than ru_maxrss: after fork+exec Linux
# carries the parent's peak into the child's ru_maxrss, which would report the bench's own size.
_RSS_CHILD = r"""
import json, sys, time
mode, path = sys.argv[1], sys.argv[2]
def hwm_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
import resizer_lambda.handler  # the Lambda's real import set (boto3 included)
from resizer_lambda.imaging import render_many, render_one
from resizer_lambda.presets import DEFAULT_PRESETS, Limits
from PIL import Image
with open(path, "rb") as fh:
    data = fh.read()
base = hwm_mb()
t0 = time.perf_counter()
if mode == "ours-all":
    out = render_many(data, DEFAULT_PRESETS, Limits())
elif mode == "ours-1":
    out = render_one(data, DEFAULT_PRESETS[-1], Limits())
else:  # naive: full decode + LANCZOS to the largest preset
    im = Image.open(path)
    im.load()
    out = im.resize((1200, round(im.height * 1200 / im.width)), Image.Resampling.LANCZOS)
ms = (time.perf_counter() - t0) * 1000
print(json.dumps({"base_mb": base, "peak_mb": hwm_mb(), "ms": ms}))
"""


def measure_rss(path: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"file": path.name}
    for mode in ("ours-all", "ours-1", "naive"):
        proc = subprocess.run(
            [sys.executable, "-c", _RSS_CHILD, mode, str(path)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            out[mode] = {"error": proc.stderr.strip().splitlines()[-1:]}
        else:
            out[mode] = json.loads(proc.stdout)
    return out


_IMPORT_CHILD = """
import time
t0 = time.perf_counter()
import boto3, PIL.Image
t1 = time.perf_counter()
{extra}
t2 = time.perf_counter()
print((t1 - t0) * 1000, (t2 - t1) * 1000)
"""


def _import_once(extra: str, importtime: bool = False) -> tuple[float, float, str]:
    cmd = [sys.executable]
    if importtime:
        cmd += ["-X", "importtime"]
    cmd += ["-c", _IMPORT_CHILD.format(extra=extra)]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=True)
    a, b = proc.stdout.split()
    return float(a), float(b), proc.stderr


def measure_import(runs: int) -> dict[str, Any]:
    handler = "import resizer_lambda.handler"
    _import_once(handler)  # write .pyc files first, like a deployed package
    # What the first PNG a process decodes adds: the vips_png module and starting libvips.
    libvips = "from resizer_lambda import vips_png; vips_png.available()"
    base_tot, with_tot, increment, first_png = [], [], [], []
    for _ in range(runs):  # interleaved, so drift hits both sides alike
        a, _, _ = _import_once("pass")
        base_tot.append(a)
        a, b, _ = _import_once(handler)
        with_tot.append(a + b)
        increment.append(b)
        first_png.append(_import_once(libvips)[1])
    _, _, trace = _import_once(handler, importtime=True)
    return {
        "runs": runs,
        "boto3_pil_ms": summarise(base_tot),
        "boto3_pil_handler_ms": summarise(with_tot),
        "difference_ms": summarise(with_tot) - summarise(base_tot),
        "increment_ms": summarise(increment),
        "libvips_first_png_ms": summarise(first_png),
        "top_modules": _importtime_top(trace),
    }


def _importtime_top(trace: str, n: int = 8) -> list[tuple[str, float, float]]:
    """Modules imported by the handler (after boto3 and PIL.Image), by self time."""
    lines = [ln for ln in trace.splitlines() if ln.startswith("import time:")]
    start = 0
    for i, ln in enumerate(lines):
        if ln.rstrip().endswith("| PIL.Image") or ln.rstrip().endswith("|   PIL.Image"):
            start = i + 1
    rows = []
    for ln in lines[start:]:
        parts = ln.split("|")
        if len(parts) != 3:
            continue
        try:
            self_us = float(parts[0].split(":")[1])
            cum_us = float(parts[1])
        except ValueError:
            continue
        rows.append((parts[2].strip(), self_us / 1000, cum_us / 1000))
    rows.sort(key=lambda r: -r[1])
    return rows[:n]


# --------------------------------------------------------------------------------------------
# What the numbers ran on


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def pillow_versions() -> dict[str, str | None]:
    """Return this interpreter's Pillow version and the codec libraries it links."""
    from importlib import metadata

    import PIL
    import zlib_ng
    from PIL import features

    try:  # the libvips resizer_lambda.vips_png decodes PNGs with
        libvips: str | None = metadata.version("pyvips-binary")
    except metadata.PackageNotFoundError:
        libvips = None
    return {
        "zlib_ng_png": zlib_ng.__version__,  # the package resizer_lambda.png deflates with
        "libvips_png": libvips,
        "pillow": PIL.__version__,
        "libjpeg_turbo": features.version("libjpeg_turbo"),
        "zlib": features.version("zlib"),
        "zlib_ng": features.version("zlib_ng"),
        "libwebp": features.version("webp"),
    }
