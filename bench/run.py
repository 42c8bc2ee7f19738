"""The resizer benchmark: one run, one core, every number the spec asks for.

    .venv/bin/python bench/run.py              # full run (what `make bench` does)
    .venv/bin/python bench/run.py --quick      # one repeat, for a CI smoke test
    .venv/bin/python bench/run.py --explore    # also measure pipeline alternatives
    .venv/bin/python bench/run.py --json bench/results/bench.json

For every corpus file (bench/corpus.json, fetched by bench/corpus.py) and the preset widths of
resizer_lambda.presets.DEFAULT_PRESETS it times, as the median of --repeats runs after a warm-up:

  (a)  naive Pillow: Image.open + full decode + resize(LANCZOS) + save, once per width;
  ours-1:   resizer_lambda.imaging.render_one, once per width (one request per variant);
  ours-all: resizer_lambda.imaging.render_many, every width from one decode;
  (b)  sharp per width (bench/sharp/bench.mjs), the source design;
  (c)  sharp with one input shared across the widths, the better of clone() and raw-decode.

It then scores every output with SSIM (luma, Gaussian window) against a full-decode LANCZOS
reference of the same size, compares output bytes, measures peak RSS for the 50 MP JPEG in a
fresh process and the import cost the handler adds to the cold start, and prints PASS/FAIL
for each target. See bench/README.md for what each column means.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
SHARP_DIR = BENCH_DIR / "sharp"
RESULTS_DIR = BENCH_DIR / "results"
SIMD_PYTHON = BENCH_DIR / ".venv-simd" / "bin" / "python"  # made by bench/build_simd.sh
for _p in (str(REPO), str(BENCH_DIR)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import corpus  # noqa: E402  (bench/corpus.py, needs BENCH_DIR on sys.path)

# Targets from the spec.
RSS_LIMIT_MB = 300.0
IMPORT_LIMIT_MS = 50.0
NAIVE_SPEEDUP = 4.0
SSIM_WORST_SLACK = 0.01  # no single output may be worse than sharp's by more than this

JPEG_QUALITY = 82
EXT = {"jpeg": "jpg", "png": "png", "webp": "webp"}

# --------------------------------------------------------------------------------------------
# numpy (SSIM) is the bench's only extra dependency; bench/requirements.txt pins it.


def _need_numpy() -> None:
    try:
        import numpy  # noqa: F401
    except ImportError:
        req = BENCH_DIR / "requirements.txt"
        print(f"numpy is missing: installing {req} into {sys.prefix}", file=sys.stderr)
        uv = shutil.which("uv")
        cmd = (
            [uv, "pip", "install", "--python", sys.executable, "-r", str(req)]
            if uv
            else [sys.executable, "-m", "pip", "install", "-r", str(req)]
        )
        subprocess.run(cmd, check=True)


# --------------------------------------------------------------------------------------------
# Timing


def _ms_samples(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> tuple[list[float], Any]:
    """Run `fn` warmup + repeats times; return the timed samples (ms) and the last result."""
    result = None
    for _ in range(warmup):
        result = fn()
    gc.collect()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples, result


STAT = "median"  # or "min" (--stat): the minimum resists other load on a shared machine


def _median(xs: Sequence[float]) -> float:
    """The summary statistic of timed samples: the median, or the minimum with --stat min."""
    if not xs:
        return float("nan")
    return float(min(xs)) if STAT == "min" else float(statistics.median(xs))


# --------------------------------------------------------------------------------------------
# The three Python pipelines


def _target_size(w: int, h: int, width: int) -> tuple[int, int]:
    if width >= w:
        return w, h
    return width, max(1, round(h * width / w))


def naive_render(data: bytes, fmt: str, width: int) -> bytes:
    """(a): what a first version would do: full decode, LANCZOS, save; no draft, no tricks."""
    from PIL import Image

    im = Image.open(io.BytesIO(data))
    im.load()
    size = _target_size(im.width, im.height, width)
    out = im.resize(size, Image.Resampling.LANCZOS) if size != im.size else im
    buf = io.BytesIO()
    if fmt == "jpeg":
        out.save(buf, "JPEG", quality=JPEG_QUALITY)
    elif fmt == "webp":
        out.save(buf, "WEBP", quality=JPEG_QUALITY)
    else:
        out.save(buf, "PNG")
    return buf.getvalue()


@dataclass
class Api:
    render_one: Callable[..., Any]
    render_many: Callable[..., Any]
    presets: tuple[Any, ...]
    limits: Any


def load_api() -> Api:
    from resizer_lambda.imaging import render_many, render_one
    from resizer_lambda.presets import DEFAULT_PRESETS, Limits

    return Api(render_one, render_many, tuple(DEFAULT_PRESETS), Limits())


# --------------------------------------------------------------------------------------------
# SSIM (Wang et al. 2004): 11x11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03, L 255,
# mean of the SSIM map over the 'valid' region, on luma (ITU-R BT.601, Pillow's convert("L")).


def _gauss(size: int = 11, sigma: float = 1.5) -> Any:
    import numpy as np

    x = np.arange(size, dtype=np.float64) - size // 2
    g = np.exp(-(x**2) / (2 * sigma**2))
    return g / g.sum()


def _filter_valid(img: Any, k: Any) -> Any:
    n = len(k)
    h, w = img.shape
    tmp = sum(k[i] * img[i : h - n + 1 + i, :] for i in range(n))
    return sum(k[i] * tmp[:, i : w - n + 1 + i] for i in range(n))


def ssim(a: Any, b: Any) -> float:
    import numpy as np

    if a.shape != b.shape:
        raise ValueError(f"SSIM needs equal shapes, got {a.shape} and {b.shape}")
    if min(a.shape) < 11:
        return float("nan")
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    k = _gauss()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu_a, mu_b = _filter_valid(a, k), _filter_valid(b, k)
    s_aa = _filter_valid(a * a, k) - mu_a**2
    s_bb = _filter_valid(b * b, k) - mu_b**2
    s_ab = _filter_valid(a * b, k) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * s_ab + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (s_aa + s_bb + c2)
    return float((num / den).mean())


_SRGB_CACHE: dict[bytes, Any] = {}


def _to_srgb(im: Any, icc: bytes | None) -> Any:
    """Colour-manage to sRGB so what is compared is what a browser shows."""
    from PIL import ImageCms

    if not icc:
        return im
    transform = _SRGB_CACHE.get(icc)
    if transform is None:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        desc = (ImageCms.getProfileDescription(src) or "").strip().lower()
        if desc.startswith("srgb"):
            _SRGB_CACHE[icc] = False
            return im
        transform = ImageCms.buildTransform(
            src, ImageCms.createProfile("sRGB"), "RGB", "RGB", ImageCms.Intent.PERCEPTUAL
        )
        _SRGB_CACHE[icc] = transform
    if transform is False:
        return im
    if im.mode == "RGBA":
        alpha = im.getchannel("A")
        out = ImageCms.applyTransform(im.convert("RGB"), transform)
        out.putalpha(alpha)
        return out
    return ImageCms.applyTransform(im.convert("RGB"), transform)


def _luma(im: Any, icc: bytes | None) -> Any:
    """sRGB luma; transparent images are composited over mid-grey first."""
    import numpy as np
    from PIL import Image

    if im.mode not in ("RGB", "RGBA", "L"):
        im = im.convert("RGBA" if "A" in im.getbands() else "RGB")
    if im.mode != "L":
        im = _to_srgb(im, icc)
    if im.mode == "RGBA":
        grey = Image.new("RGBA", im.size, (128, 128, 128, 255))
        im = Image.alpha_composite(grey, im)
    return np.asarray(im.convert("L"))


class Reference:
    """Full-decode LANCZOS references of one source, per output size."""

    def __init__(self, data: bytes) -> None:
        from PIL import Image, ImageOps

        im = Image.open(io.BytesIO(data))
        im.load()
        self.icc: bytes | None = im.info.get("icc_profile") or None
        im = ImageOps.exif_transpose(im)
        if im.mode not in ("RGB", "RGBA"):
            im = im.convert("RGBA" if "A" in im.getbands() else "RGB")
        self.full = im
        self._cache: dict[tuple[int, int], Any] = {}

    def luma(self, size: tuple[int, int]) -> Any:
        from PIL import Image

        ref = self._cache.get(size)
        if ref is None:
            ref = _luma(self.full.resize(size, Image.Resampling.LANCZOS), self.icc)
            self._cache[size] = ref
        return ref

    def score(self, encoded: bytes) -> tuple[float, tuple[int, int]]:
        from PIL import Image

        im = Image.open(io.BytesIO(encoded))
        im.load()
        icc = im.info.get("icc_profile") or None
        return ssim(self.luma(im.size), _luma(im, icc)), im.size

    def score_image(self, im: Any) -> float:
        """SSIM of an un-encoded image that is in the source's colour space."""
        return ssim(self.luma(im.size), _luma(im, self.icc))


# --------------------------------------------------------------------------------------------
# sharp


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


# --------------------------------------------------------------------------------------------
# Peak RSS and import cost, each in fresh interpreters

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
    base_tot, with_tot, increment = [], [], []
    for _ in range(runs):  # interleaved, so drift hits both sides alike
        a, _, _ = _import_once("pass")
        base_tot.append(a)
        a, b, _ = _import_once(handler)
        with_tot.append(a + b)
        increment.append(b)
    _, _, trace = _import_once(handler, importtime=True)
    return {
        "runs": runs,
        "boto3_pil_ms": _median(base_tot),
        "boto3_pil_handler_ms": _median(with_tot),
        "difference_ms": _median(with_tot) - _median(base_tot),
        "increment_ms": _median(increment),
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
# The main measurement


def measure_file(
    f: corpus.CorpusFile,
    api: Api,
    repeats: int,
    out_dir: Path,
    log: Callable[[str], None],
    with_naive: bool = True,
) -> dict[str, Any]:
    data = f.path.read_bytes()
    widths = [p.width for p in api.presets]
    res: dict[str, Any] = {"format": f.format, "mp": f.megapixels, "size": [f.width, f.height]}
    outputs: dict[str, dict[int, bytes]] = {"naive": {}, "ours_one": {}, "ours_many": {}}

    per: dict[int, float] = {}
    if with_naive:
        log(f"{f.name}: (a) naive")
        for w in widths:
            samples, outputs["naive"][w] = _ms_samples(
                lambda w=w: naive_render(data, f.format, w), repeats
            )
            per[w] = _median(samples)
        res["naive"] = {"per_width": per, "total": sum(per.values())}
    else:
        del outputs["naive"]

    log(f"{f.name}: ours, one width per request")
    per, stages = {}, {}
    for p in api.presets:
        runs: list[dict[str, float]] = []

        def one(p: Any = p, runs: list[dict[str, float]] = runs) -> Any:
            runs.append({})
            return api.render_one(data, p, api.limits, timings=runs[-1])

        samples, r = _ms_samples(one, repeats)
        per[p.width] = _median(samples)
        outputs["ours_one"][p.width] = r.data
        for k, v in _stage_stats(runs[1:]).items():
            stages[k] = stages.get(k, 0.0) + v
    res["ours_one"] = {"per_width": per, "total": sum(per.values()), "stages": stages}

    log(f"{f.name}: ours, all presets from one decode")
    runs_many: list[dict[str, float]] = []

    def many() -> Any:
        runs_many.append({})
        return api.render_many(data, api.presets, api.limits, timings=runs_many[-1])

    samples, rendered = _ms_samples(many, repeats)
    for p in api.presets:
        outputs["ours_many"][p.width] = rendered[p.name].data
    res["ours_many"] = {"total": _median(samples), "stages": _stage_stats(runs_many[1:])}

    file_dir = out_dir / f.name
    file_dir.mkdir(parents=True, exist_ok=True)
    for kind, by_w in outputs.items():
        for w, blob in by_w.items():
            (file_dir / f"{kind}_{w}.{EXT[f.format]}").write_bytes(blob)
    res["_outputs"] = outputs
    return res


def _stage_stats(runs: list[dict[str, float]]) -> dict[str, float]:
    """Per pipeline stage, the same statistic as the totals, over the timed runs."""
    keys = {k for r in runs for k in r}
    return {k: _median([r.get(k, 0.0) for r in runs]) for k in sorted(keys)}


def score_file(
    f: corpus.CorpusFile,
    res: dict[str, Any],
    sharp_entry: dict[str, Any] | None,
    best_kind: str | None,
) -> None:
    """Fill res['ssim'] and res['bytes'] per method and width."""
    ref = Reference(f.path.read_bytes())
    blobs: dict[str, dict[int, bytes]] = dict(res.pop("_outputs"))
    if sharp_entry is not None:
        blobs["sharp_b"] = {
            int(w): Path(p).read_bytes() for w, p in sharp_entry["outputs"]["per_width"].items()
        }
        if best_kind is not None:
            blobs["sharp_c"] = {
                int(w): Path(p).read_bytes() for w, p in sharp_entry["outputs"][best_kind].items()
            }
    res["ssim"], res["bytes"], res["dims"] = {}, {}, {}
    for kind, by_w in blobs.items():
        res["ssim"][kind], res["bytes"][kind], res["dims"][kind] = {}, {}, {}
        for w, blob in by_w.items():
            value, size = ref.score(blob)
            res["ssim"][kind][w] = value
            res["bytes"][kind][w] = len(blob)
            res["dims"][kind][w] = list(size)


# --------------------------------------------------------------------------------------------
# Optional extra: our pipeline under another Pillow build (pillow-simd), in its own interpreter


def ours_only(out_json: Path, only: str | None, repeats: int) -> int:
    """Child mode (--ours-only-json): time ours-1 and ours-all only, write JSON + outputs."""
    import PIL
    from PIL import features

    pin_one_core()
    files = [f for f in corpus.ensure_corpus(quiet=True) if f.role == "throughput"]
    if only:
        files = [f for f in files if only in f.name]
    api = load_api()
    out_dir = RESULTS_DIR / "out" / "ours-alt"

    def log(msg: str) -> None:
        print(f"[alt-pillow] {msg}", file=sys.stderr, flush=True)

    res: dict[str, Any] = {}
    for f in files:
        r = measure_file(f, api, repeats, out_dir, log, with_naive=False)
        outputs = r.pop("_outputs")
        r["paths"] = {
            kind: {w: str(out_dir / f.name / f"{kind}_{w}.{EXT[f.format]}") for w in by_w}
            for kind, by_w in outputs.items()
        }
        res[f.name] = r
    doc = {
        "python": sys.executable,
        "pillow": PIL.__version__,
        "libjpeg_turbo": features.version("libjpeg_turbo"),
        "zlib": features.version("zlib"),
        "zlib_ng": features.version("zlib_ng"),
        "libwebp": features.version("webp"),
        "files": res,
    }
    out_json.write_text(json.dumps(doc, default=str))
    return 0


def run_alt_pillow(
    python: Path, files: list[corpus.CorpusFile], repeats: int, only: str | None
) -> dict[str, Any]:
    out_json = RESULTS_DIR / "alt-pillow.json"
    cmd = [str(python), str(Path(__file__).resolve()), "--ours-only-json", str(out_json)]
    cmd += ["--repeats", str(repeats), "--stat", STAT]
    if only:
        cmd += ["--only", only]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{python} failed:\n{proc.stderr[-3000:]}")
    doc: dict[str, Any] = json.loads(out_json.read_text())
    for f in files:
        r = doc["files"][f.name]
        r["ours_one"]["per_width"] = {int(w): v for w, v in r["ours_one"]["per_width"].items()}
        ref = Reference(f.path.read_bytes())
        r["ssim"] = {
            kind: {int(w): ref.score(Path(p).read_bytes())[0] for w, p in by_w.items()}
            for kind, by_w in r.pop("paths").items()
        }
    return doc


# --------------------------------------------------------------------------------------------
# Exploration: alternatives for our own pipeline


def _decode(data: bytes, draft_for: int | None, gap: float, drop_alpha: bool = False) -> Any:
    """Decode `data`; for JPEG with `draft_for`, let libjpeg scale to >= gap x that width."""
    from PIL import Image

    im = Image.open(io.BytesIO(data))
    if draft_for is not None and im.format == "JPEG":
        h = round(im.height * draft_for / im.width)
        im.draft(im.mode, (int(draft_for * gap) + 1, int(h * gap) + 1))
    im.load()
    if drop_alpha and im.mode == "RGBA" and im.getchannel("A").getextrema() == (255, 255):
        im = im.convert("RGB")  # lossless: every pixel is opaque
    return im


def _explore_resize(im: Any, full_size: tuple[int, int], widths: list[int], how: str) -> list[Any]:
    from PIL import Image

    lz = Image.Resampling.LANCZOS
    outs = []
    prev = None
    for w in sorted(widths, reverse=True):
        size = _target_size(full_size[0], full_size[1], w)
        if how == "lanczos":
            out = im.resize(size, lz)
        elif how.startswith("gap"):
            out = im.resize(size, lz, reducing_gap=float(how[3:]))
        elif how == "reduce":
            factor = max(1, min(im.width // (2 * size[0]), im.height // (2 * size[1])))
            src = im.reduce(factor) if factor > 1 else im
            out = src.resize(size, lz)
        elif how == "cascade":  # each width from the previous output when it is >= 2x larger
            src = prev if prev is not None and prev.width >= 2 * size[0] else im
            out = src.resize(size, lz, reducing_gap=2.0)
            prev = out
        elif how == "bicubic-gap2":
            out = im.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)
        else:
            raise ValueError(how)
        outs.append(out)
    return outs


@dataclass(frozen=True)
class Variant:
    label: str
    draft_gap: float | None  # None: full decode (draft() is JPEG-only anyway)
    how: str
    drop_alpha: bool = False
    all_only: bool = False  # only meaningful when several widths share one decode


RESIZE_VARIANTS = [
    Variant("full + LANCZOS (the reference)", None, "lanczos"),
    Variant("full + LANCZOS gap 2", None, "gap2.0"),
    Variant("full + LANCZOS gap 3", None, "gap3.0"),
    Variant("full + reduce(k) + LANCZOS", None, "reduce"),
    Variant("full + BICUBIC gap 2", None, "bicubic-gap2"),
    Variant("full + cascade (gap 2, widths from the previous)", None, "cascade", all_only=True),
    Variant("full, opaque alpha dropped + LANCZOS gap 2", None, "gap2.0", drop_alpha=True),
    Variant("draft 1x + LANCZOS", 1.0, "lanczos"),
    Variant("draft 1x + LANCZOS gap 2", 1.0, "gap2.0"),
    Variant("draft 1.5x + LANCZOS gap 2", 1.5, "gap2.0"),
    Variant("draft 2x + LANCZOS", 2.0, "lanczos"),
    Variant("draft 2x + LANCZOS gap 2 (like imaging.py)", 2.0, "gap2.0"),
    Variant("draft 2x + LANCZOS gap 3", 2.0, "gap3.0"),
    Variant("draft 2x + reduce(k) + LANCZOS", 2.0, "reduce"),
    Variant("draft 2x + cascade (gap 2)", 2.0, "cascade", all_only=True),
    Variant("draft 3x + LANCZOS gap 2", 3.0, "gap2.0"),
]


def _explore_variant(
    v: Variant,
    data: bytes,
    ref: Reference,
    full_size: tuple[int, int],
    widths: list[int],
    repeats: int,
) -> dict[str, Any]:
    gap = v.draft_gap or 1.0
    top = max(widths) if v.draft_gap is not None else None

    def all_from_one() -> list[Any]:
        im = _decode(data, top, gap, v.drop_alpha)
        return _explore_resize(im, full_size, widths, v.how)

    row: dict[str, Any] = {"variant": v.label}
    decode_ms = _median(_ms_samples(lambda: _decode(data, top, gap, v.drop_alpha), repeats)[0])
    samples, images = _ms_samples(all_from_one, repeats)
    ssims = [ref.score_image(im) for im in images]
    row["all"] = {
        "decode_ms": decode_ms,
        "resize_ms": _median(samples) - decode_ms,
        "total_ms": _median(samples),
        "ssim_mean": statistics.fmean(ssims),
        "ssim_min": min(ssims),
    }
    if v.all_only:
        return row
    total, ssims = 0.0, []
    for w in widths:  # one request per width: its own decode, drafted for that width
        d = w if v.draft_gap is not None else None

        def one(w: int = w, d: int | None = d) -> Any:
            im = _decode(data, d, gap, v.drop_alpha)
            return _explore_resize(im, full_size, [w], v.how)[0]

        samples, out = _ms_samples(one, repeats)
        total += _median(samples)
        ssims.append(ref.score_image(out))
    row["one"] = {"total_ms": total, "ssim_mean": statistics.fmean(ssims), "ssim_min": min(ssims)}
    return row


def explore_file(
    f: corpus.CorpusFile, widths: list[int], repeats: int, sharp_png: dict[int, int] | None
) -> dict[str, Any]:
    data = f.path.read_bytes()
    ref = Reference(data)
    full_size = (f.width, f.height)
    out: dict[str, Any] = {"resize": [], "encode": []}
    for v in RESIZE_VARIANTS:
        if v.draft_gap is not None and f.format != "jpeg":
            continue  # draft() only affects JPEG
        if v.drop_alpha and ref.full.mode != "RGBA":
            continue
        out["resize"].append(_explore_variant(v, data, ref, full_size, widths, repeats))

    # Encoder settings, on the outputs of the imaging.py-like path (draft 2x + gap 2).
    base = _decode(data, max(widths) if f.format == "jpeg" else None, 2.0)
    images = _explore_resize(base, full_size, widths, "gap2.0")

    def enc(fmt: str, imgs: list[Any], **kw: Any) -> tuple[float, int, float]:
        def go() -> list[bytes]:
            blobs = []
            for im in imgs:
                buf = io.BytesIO()
                im.save(buf, fmt, **kw)
                blobs.append(buf.getvalue())
            return blobs

        samples, blobs = _ms_samples(go, repeats)
        ssims = [ref.score(b)[0] for b in blobs]
        return _median(samples), sum(map(len, blobs)), statistics.fmean(ssims)

    settings: list[tuple[str, str, list[Any], dict[str, Any]]] = []
    if f.format == "png":
        settings += [
            (f"compress_level={lv}", "PNG", images, {"compress_level": lv}) for lv in range(10)
        ]
        settings.append(
            ("optimize=True (level 9 + filter search)", "PNG", images, {"optimize": True})
        )
        if base.mode == "RGBA" and base.getchannel("A").getextrema() == (255, 255):
            rgb = [im.convert("RGB") for im in images]
            for lv in (1, 3, 6):
                settings.append(
                    (
                        f"compress_level={lv}, opaque alpha dropped (RGB)",
                        "PNG",
                        rgb,
                        {"compress_level": lv},
                    )
                )
    elif f.format == "jpeg":
        for opt in (False, True):
            for prog in (False, True):
                settings.append(
                    (
                        f"q{JPEG_QUALITY} optimize={opt} progressive={prog}",
                        "JPEG",
                        images,
                        {"quality": JPEG_QUALITY, "optimize": opt, "progressive": prog},
                    )
                )
    elif f.format == "webp":
        settings += [
            (f"q{JPEG_QUALITY} method={m}", "WEBP", images, {"quality": JPEG_QUALITY, "method": m})
            for m in (0, 2, 4, 6)
        ]
    for label, fmt, imgs, kw in settings:
        ms, nbytes, s_mean = enc(fmt, imgs, **kw)
        out["encode"].append({"setting": label, "ms": ms, "bytes": nbytes, "ssim_mean": s_mean})
    if sharp_png:
        out["sharp_png_bytes"] = sum(sharp_png.values())
    return out


# --------------------------------------------------------------------------------------------
# Reporting


def _fmt_ms(x: float) -> str:
    return f"{x:8.1f}" if x == x else "     n/a"


def _ratio(num: float, den: float) -> str:
    return f"{num / den:6.2f}x" if den and num == num and den == den else "    n/a"


def _table(title: str, header: list[str], rows: list[list[str]], note: str = "") -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    line = "  ".join(
        h.rjust(w) if i else h.ljust(w) for i, (h, w) in enumerate(zip(header, widths, strict=True))
    )
    out = [f"\n== {title}", line, "-" * len(line)]
    for r in rows:
        out.append(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    if note:
        out.append(note)
    return "\n".join(out)


def report(results: dict[str, Any], widths: list[int]) -> str:
    files: dict[str, Any] = results["files"]
    have_sharp = results["sharp"] is not None
    n_out = len(widths)
    parts = []

    # 1. time
    rows = []
    tot = {"naive": 0.0, "ours_one": 0.0, "ours_many": 0.0, "b": 0.0, "c": 0.0}
    for name, r in files.items():
        b = r.get("sharp_b_total", float("nan"))
        c = r.get("sharp_c_best", float("nan"))
        tot["naive"] += r["naive"]["total"]
        tot["ours_one"] += r["ours_one"]["total"]
        tot["ours_many"] += r["ours_many"]["total"]
        tot["b"] += b
        tot["c"] += c
        rows.append(
            [
                name,
                f"{r['mp']:.1f}",
                _fmt_ms(r["naive"]["total"]),
                _fmt_ms(r["ours_one"]["total"]),
                _fmt_ms(b),
                _fmt_ms(r["ours_many"]["total"]),
                _fmt_ms(c),
                r.get("sharp_c_kind", "-"),
            ]
        )
    rows.append(
        ["TOTAL", "", *(_fmt_ms(tot[k]) for k in ("naive", "ours_one", "b", "ours_many", "c")), ""]
    )
    parts.append(
        _table(
            f"Time per source, ms ({STAT}; sum over the {n_out} widths {widths})",
            ["file", "MP", "(a) naive", "ours-1", "(b) sharp", "ours-all", "(c) sharp", "(c) via"],
            rows,
        )
    )

    # 2. throughput and ratios
    rows = []
    for name, r in [*files.items(), ("TOTAL", None)]:
        if r is None:
            t = tot
            a, o1, om, b, c = t["naive"], t["ours_one"], t["ours_many"], t["b"], t["c"]
            k = n_out * len(files)
        else:
            a, o1, om = r["naive"]["total"], r["ours_one"]["total"], r["ours_many"]["total"]
            b, c = r.get("sharp_b_total", float("nan")), r.get("sharp_c_best", float("nan"))
            k = n_out

        def ips(ms: float, k: int = k) -> str:
            return f"{k / ms * 1000:7.1f}" if ms == ms and ms else "    n/a"

        rows.append(
            [
                name,
                ips(a),
                ips(o1),
                ips(b),
                ips(om),
                ips(c),
                _ratio(a, o1),
                _ratio(a, om),
                _ratio(b, o1),
                _ratio(c, om),
            ]
        )
    parts.append(
        _table(
            "Throughput (output images/s) and speed-ups (>1 = ours faster)",
            [
                "file",
                "(a) img/s",
                "ours-1",
                "(b)",
                "ours-all",
                "(c)",
                "(a)/ours-1",
                "(a)/ours-all",
                "(b)/ours-1",
                "(c)/ours-all",
            ],
            rows,
        )
    )

    # 3. per width, ours-1 vs (b)
    rows = []
    for name, r in files.items():
        row = [name]
        for w in widths:
            o = r["ours_one"]["per_width"][w]
            b = r.get("sharp_b", {}).get(w, float("nan"))
            row.append(f"{o:6.1f}/{b:6.1f}")
        rows.append(row)
    parts.append(
        _table(
            "Per width, one request each: ours-1 ms / (b) sharp ms",
            ["file", *[str(w) for w in widths]],
            rows,
        )
    )

    # 4. pipeline stages
    rows = []
    for name, r in files.items():
        s1, sm = r["ours_one"]["stages"], r["ours_many"]["stages"]
        rows.append(
            [name]
            + [f"{s1.get(k, 0):7.1f}" for k in ("decode", "resize", "encode")]
            + [f"{sm.get(k, 0):7.1f}" for k in ("decode", "resize", "encode")]
        )
    parts.append(
        _table(
            f"Where ours spends its time, ms ({STAT} per stage over the timed runs; resize "
            "includes colour conversion and alpha flattening)",
            ["file", "1:decode", "1:resize", "1:encode", "all:decode", "all:resize", "all:encode"],
            rows,
        )
    )

    # 5. SSIM
    kinds = ["naive", "ours_one", "ours_many"] + (["sharp_b", "sharp_c"] if have_sharp else [])
    rows = []
    for name, r in files.items():
        row = [name]
        for kind in kinds:
            vals = list(r["ssim"].get(kind, {}).values())
            row.append(f"{statistics.fmean(vals):.4f}/{min(vals):.4f}" if vals else "n/a")
        rows.append(row)
    means = {
        kind: statistics.fmean(v for r in files.values() for v in r["ssim"].get(kind, {}).values())
        for kind in kinds
    }
    rows.append(["MEAN", *(f"{means[k]:.4f}" for k in kinds)])
    parts.append(
        _table(
            "SSIM vs full-decode LANCZOS reference (luma, sRGB; mean/min over widths)",
            ["file", *kinds],
            rows,
            "  naive = reference + encoding loss only: the ceiling for each format.",
        )
    )

    # 6. bytes
    rows = []
    for name, r in files.items():
        row = [name, r["format"]]
        for kind in ("naive", "ours_one", "ours_many", "sharp_b"):
            v = r["bytes"].get(kind)
            row.append(f"{sum(v.values()) / 1024:9.1f}" if v else "n/a")
        if "sharp_b" in r["bytes"]:
            row.append(
                _ratio(sum(r["bytes"]["ours_one"].values()), sum(r["bytes"]["sharp_b"].values()))
            )
        rows.append(row)
    parts.append(
        _table(
            f"Output bytes, KiB (sum over the {n_out} widths)",
            ["file", "fmt", "naive", "ours_one", "ours_many", "sharp_b", "ours/sharp"],
            rows,
        )
    )

    alt = results.get("alt_pillow")
    if alt:
        rows = []
        keys = ("one", "one_alt", "b", "all", "all_alt", "c")
        tot = dict.fromkeys(keys, 0.0)
        for name, r in files.items():
            a = alt["files"][name]
            vals = {
                "one": r["ours_one"]["total"],
                "one_alt": a["ours_one"]["total"],
                "b": r.get("sharp_b_total", float("nan")),
                "all": r["ours_many"]["total"],
                "all_alt": a["ours_many"]["total"],
                "c": r.get("sharp_c_best", float("nan")),
            }
            for k in keys:
                tot[k] += vals[k]
            st = a["ours_many"]["stages"]
            ssim_alt = [v for kind in ("ours_one", "ours_many") for v in a["ssim"][kind].values()]
            rows.append(
                [name, *(_fmt_ms(vals[k]) for k in keys)]
                + [f"{st.get(k, 0):6.1f}" for k in ("decode", "resize", "encode")]
                + [f"{statistics.fmean(ssim_alt):.4f}"]
            )
        rows.append(["TOTAL", *(_fmt_ms(tot[k]) for k in keys), "", "", "", ""])
        parts.append(
            _table(
                f"Optional extra: ours under Pillow {alt['pillow']} ({alt['python']}; "
                f"libjpeg-turbo {alt['libjpeg_turbo']}, zlib {alt['zlib']}, "
                f"zlib-ng {alt['zlib_ng']}), ms",
                [
                    "file",
                    "ours-1",
                    "alt ours-1",
                    "(b)",
                    "ours-all",
                    "alt ours-all",
                    "(c)",
                    "alt:dec",
                    "alt:rsz",
                    "alt:enc",
                    "alt ssim",
                ],
                rows,
            )
        )

    # 7. RSS and import
    rss = results.get("rss")
    if rss:
        lines = [f"\n== Peak RSS, fresh process, {rss['file']} (MB; base = after imports)"]
        for mode in ("ours-all", "ours-1", "naive"):
            m = rss.get(mode, {})
            if "peak_mb" in m:
                lines.append(
                    f"  {mode:9} peak {m['peak_mb']:7.1f}   base {m['base_mb']:6.1f}   "
                    f"{m['ms']:7.1f} ms"
                )
            else:
                lines.append(f"  {mode:9} error {m.get('error')}")
        if rss.get("sharp"):
            lines.append(f"  sharp (b) peak {rss['sharp']['maxrss_mb']:7.1f}  (node process)")
        parts.append("\n".join(lines))
    imp = results.get("import")
    if imp:
        lines = [
            f"\n== Cold-start imports (median of {imp['runs']} fresh interpreters)",
            f"  import boto3, PIL.Image                           {imp['boto3_pil_ms']:7.1f} ms",
            f"  import boto3, PIL.Image, resizer_lambda.handler   "
            f"{imp['boto3_pil_handler_ms']:7.1f} ms",
            f"  added by the handler: {imp['difference_ms']:.1f} ms (difference of medians), "
            f"{imp['increment_ms']:.1f} ms (timed inside the child)",
            "  heaviest modules the handler adds (self ms, cumulative ms):",
        ]
        for mod, self_ms, cum_ms in imp["top_modules"]:
            lines.append(f"    {mod:40} {self_ms:6.1f} {cum_ms:7.1f}")
        parts.append("\n".join(lines))

    # 8. targets
    lines = ["\n== Targets"]
    for t in results["targets"]:
        lines.append(f"  {t['status']:4}  {t['name']}: {t['detail']}")
    parts.append("\n".join(lines))
    return "\n".join(parts)


def report_explore(explore: dict[str, Any]) -> str:
    parts = [
        "\n== EXPLORE: resize strategies. 'all' = every width from one decode (draft sized for "
        "the largest);\n   'one' = one request per width (own decode, draft sized for that "
        "width). No encoding: SSIM is\n   the resampling error alone, vs full-decode LANCZOS. "
        "draft Nx = libjpeg DCT scaling to >= N x the output."
    ]
    for name, r in explore.items():
        rows = []
        for x in r["resize"]:
            a, o = x["all"], x.get("one")
            rows.append(
                [
                    x["variant"],
                    _fmt_ms(a["decode_ms"]),
                    _fmt_ms(a["resize_ms"]),
                    _fmt_ms(a["total_ms"]),
                    f"{a['ssim_mean']:.4f}",
                    f"{a['ssim_min']:.4f}",
                    _fmt_ms(o["total_ms"]) if o else "       -",
                    f"{o['ssim_mean']:.4f}" if o else "-",
                    f"{o['ssim_min']:.4f}" if o else "-",
                ]
            )
        parts.append(
            _table(
                name,
                [
                    "variant",
                    "all:decode",
                    "all:resize",
                    "all:total",
                    "ssim",
                    "min",
                    "one:total",
                    "ssim",
                    "min",
                ],
                rows,
            )
        )
    parts.append("\n== EXPLORE: encoder settings (on the draft 2x + gap 2 outputs, all widths)")
    for name, r in explore.items():
        rows = [
            [x["setting"], _fmt_ms(x["ms"]), f"{x['bytes'] / 1024:9.1f}", f"{x['ssim_mean']:.4f}"]
            for x in r["encode"]
        ]
        note = ""
        if "sharp_png_bytes" in r:
            note = f"  sharp (b) PNG, same widths: {r['sharp_png_bytes'] / 1024:.1f} KiB"
        parts.append(_table(name, ["setting", "ms", "KiB", "ssim"], rows, note))
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------
# Targets


def evaluate(results: dict[str, Any]) -> list[dict[str, str]]:
    files = results["files"].values()
    out: list[dict[str, str]] = []

    def add(name: str, ok: bool | None, detail: str) -> None:
        out.append(
            {
                "name": name,
                "status": "SKIP" if ok is None else "PASS" if ok else "FAIL",
                "detail": detail,
            }
        )

    one = sum(r["ours_one"]["total"] for r in files)
    many = sum(r["ours_many"]["total"] for r in files)
    naive = sum(r["naive"]["total"] for r in files)
    if results["sharp"] is not None:
        b = sum(r["sharp_b_total"] for r in files)
        c = sum(r["sharp_c_best"] for r in files)
        items = results["files"].items()
        slow_b = [n for n, r in items if r["ours_one"]["total"] > r["sharp_b_total"]]
        slow_c = [n for n, r in items if r["ours_many"]["total"] > r["sharp_c_best"]]
        add(
            "one width per request no slower than (b) sharp per width",
            one <= b,
            f"ours-1 {one:.0f} ms vs (b) {b:.0f} ms = {b / one:.2f}x; slower on: "
            f"{', '.join(slow_b) or 'none'}",
        )
        add(
            "all presets from one decode no slower than (c) sharp shared (best peer)",
            many <= c,
            f"ours-all {many:.0f} ms vs (c) {c:.0f} ms = {c / many:.2f}x; slower on: "
            f"{', '.join(slow_c) or 'none'}",
        )
    else:
        add("one width per request no slower than (b)", None, "sharp not available")
        add("all presets from one decode no slower than (c)", None, "sharp not available")
    add(
        f">= {NAIVE_SPEEDUP:g}x faster than (a) naive Pillow, per request (ours-1)",
        naive / one >= NAIVE_SPEEDUP,
        f"{naive / one:.2f}x ({naive:.0f} ms vs {one:.0f} ms)",
    )
    add(
        f">= {NAIVE_SPEEDUP:g}x faster than (a) naive Pillow, all presets (ours-all)",
        naive / many >= NAIVE_SPEEDUP,
        f"{naive / many:.2f}x ({naive:.0f} ms vs {many:.0f} ms)",
    )
    if results["sharp"] is not None:
        for ours, theirs in (("ours_one", "sharp_b"), ("ours_many", "sharp_c")):
            mo = statistics.fmean(v for r in files for v in r["ssim"][ours].values())
            mt = statistics.fmean(v for r in files for v in r["ssim"][theirs].values())
            worst = min(
                (r["ssim"][ours][w] - r["ssim"][theirs][w], n, w)
                for n, r in results["files"].items()
                for w in r["ssim"][ours]
            )
            ok = mo >= mt and worst[0] >= -SSIM_WORST_SLACK
            add(
                f"SSIM {ours} no worse than {theirs}",
                ok,
                f"mean {mo:.4f} vs {mt:.4f}; worst single output {worst[0]:+.4f} "
                f"({worst[1]} @ {worst[2]})",
            )
        pngs = [r for r in files if r["format"] == "png"]
        if pngs:
            ours_b = sum(sum(r["bytes"]["ours_one"].values()) for r in pngs)
            sharp_b = sum(sum(r["bytes"]["sharp_b"].values()) for r in pngs)
            bigger = [
                f"{n}@{w}"
                for n, r in results["files"].items()
                if r["format"] == "png"
                for w in r["bytes"]["ours_one"]
                if r["bytes"]["ours_one"][w] > r["bytes"]["sharp_b"][w]
            ]
            add(
                "PNG output no larger than sharp's",
                ours_b <= sharp_b,
                f"{ours_b / 1024:.1f} KiB vs {sharp_b / 1024:.1f} KiB "
                f"({ours_b / sharp_b:.3f}); larger outputs: {', '.join(bigger) or 'none'}",
            )
    else:
        add("SSIM no worse than sharp's", None, "sharp not available")
        add("PNG output no larger than sharp's", None, "sharp not available")
    rss = results.get("rss")
    if rss:
        peaks = {m: rss[m].get("peak_mb") for m in ("ours-all", "ours-1")}
        ok = all(v is not None and v < RSS_LIMIT_MB for v in peaks.values())
        add(
            f"peak RSS < {RSS_LIMIT_MB:g} MB for a 50 MP JPEG",
            ok,
            ", ".join(f"{m} {v:.1f} MB" if v else f"{m} error" for m, v in peaks.items()),
        )
    alt = results.get("alt_pillow")
    if alt:
        a_one = sum(alt["files"][n]["ours_one"]["total"] for n in results["files"])
        a_many = sum(alt["files"][n]["ours_many"]["total"] for n in results["files"])
        tag = f"[optional extra: Pillow {alt['pillow']}]"
        if results["sharp"] is not None:
            b = sum(r["sharp_b_total"] for r in files)
            c = sum(r["sharp_c_best"] for r in files)
            add(
                f"{tag} ours-1 no slower than (b)",
                a_one <= b,
                f"{a_one:.0f} ms vs {b:.0f} ms = {b / a_one:.2f}x",
            )
            add(
                f"{tag} ours-all no slower than (c)",
                a_many <= c,
                f"{a_many:.0f} ms vs {c:.0f} ms = {c / a_many:.2f}x",
            )
        add(
            f"{tag} >= {NAIVE_SPEEDUP:g}x faster than (a), ours-1",
            naive / a_one >= NAIVE_SPEEDUP,
            f"{naive / a_one:.2f}x",
        )
        add(
            f"{tag} >= {NAIVE_SPEEDUP:g}x faster than (a), ours-all",
            naive / a_many >= NAIVE_SPEEDUP,
            f"{naive / a_many:.2f}x",
        )
        if results["sharp"] is not None:
            for ours, theirs in (("ours_one", "sharp_b"), ("ours_many", "sharp_c")):
                mo = statistics.fmean(
                    v for n in results["files"] for v in alt["files"][n]["ssim"][ours].values()
                )
                mt = statistics.fmean(v for r in files for v in r["ssim"][theirs].values())
                add(
                    f"{tag} SSIM {ours} no worse than {theirs}",
                    mo >= mt,
                    f"mean {mo:.4f} vs {mt:.4f}",
                )
    imp = results.get("import")
    if imp:
        added = max(imp["difference_ms"], imp["increment_ms"])
        add(
            f"importing the handler adds < {IMPORT_LIMIT_MS:g} ms to import boto3, PIL.Image",
            added < IMPORT_LIMIT_MS,
            f"{imp['difference_ms']:.1f} ms (difference of medians), {imp['increment_ms']:.1f} ms "
            "(in-process increment)",
        )
    return out


# --------------------------------------------------------------------------------------------


def pin_one_core() -> int:
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 repeat, 3 import runs (CI smoke)")
    parser.add_argument("--repeats", type=int, help="timed repeats per measurement (default 3)")
    parser.add_argument("--json", type=Path, help="also write every number to this JSON file")
    parser.add_argument("--explore", action="store_true", help="measure pipeline alternatives")
    parser.add_argument("--only", help="only corpus files whose name contains this")
    parser.add_argument("--no-sharp", action="store_true", help="skip the sharp columns")
    parser.add_argument("--no-rss", action="store_true")
    parser.add_argument("--no-import", action="store_true")
    parser.add_argument(
        "--stat",
        choices=("median", "min"),
        default="median",
        help="summary of the timed repeats (min resists other load on a shared machine)",
    )
    parser.add_argument(
        "--alt-pillow",
        nargs="?",
        const=str(SIMD_PYTHON),
        metavar="PYTHON",
        help="also time ours under another interpreter's Pillow build, by default "
        "bench/.venv-simd/bin/python (pillow-simd, made by bench/build_simd.sh)",
    )
    parser.add_argument("--ours-only-json", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    import_runs = 3 if args.quick else 11
    global STAT
    STAT = args.stat
    if args.ours_only_json:
        return ours_only(args.ours_only_json, args.only, repeats)

    t_start = time.perf_counter()
    load_before = os.getloadavg()
    cpu = pin_one_core()
    _need_numpy()
    notes: list[str] = []

    def log(msg: str) -> None:
        print(f"[bench {time.perf_counter() - t_start:6.1f}s] {msg}", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    all_files = corpus.ensure_corpus(quiet=False)
    notes.append(f"corpus ready in {time.perf_counter() - t0:.1f}s ({corpus.CORPUS_DIR})")
    files = [f for f in all_files if f.role == "throughput"]
    if args.only:
        files = [f for f in files if args.only in f.name]
    rss_file = next(f for f in all_files if f.role == "rss")

    api = load_api()
    widths = [p.width for p in api.presets]
    out_dir = RESULTS_DIR / "out"
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)

    import PIL
    from PIL import features

    results: dict[str, Any] = {
        "meta": {
            "cpu": cpu,
            "cpu_model": _cpu_model(),
            "python": platform.python_version(),
            "pillow": PIL.__version__,
            "libjpeg_turbo": features.version("libjpeg_turbo"),
            "zlib": features.version("zlib"),
            "zlib_ng": features.version("zlib_ng"),
            "libwebp": features.version("webp"),
            "repeats": repeats,
            "stat": STAT,
            "widths": widths,
            "presets": [p.name for p in api.presets],
        },
        "files": {},
        "sharp": None,
    }

    for f in files:
        results["files"][f.name] = measure_file(f, api, repeats, out_dir / "ours", log)

    best_kind: dict[str, str] = {}
    if not args.no_sharp and ensure_sharp(notes):
        log("sharp (b) and (c)")
        sharp = run_sharp(files, widths, repeats, cpu, out_dir / "sharp")
        results["sharp"] = {k: v for k, v in sharp.items() if k != "files"}
        for name, entry in sharp["files"].items():
            r = results["files"][name]
            r["sharp_b"] = {int(w): _median(v["samples"]) for w, v in entry["per_width"].items()}
            r["sharp_b_total"] = sum(r["sharp_b"].values())
            r["sharp_c"] = {k: _median(v["samples"]) for k, v in entry["shared"].items()}
            kind = min(r["sharp_c"], key=lambda k: r["sharp_c"][k])
            r["sharp_c_best"], r["sharp_c_kind"] = r["sharp_c"][kind], kind
            best_kind[name] = kind
        sharp_files = sharp["files"]
    else:
        sharp_files = {}

    if args.alt_pillow:
        log(f"ours under {args.alt_pillow}")
        results["alt_pillow"] = run_alt_pillow(Path(args.alt_pillow), files, repeats, args.only)

    log("SSIM and sizes")
    for f in files:
        score_file(f, results["files"][f.name], sharp_files.get(f.name), best_kind.get(f.name))

    if not args.no_rss:
        log(f"peak RSS on {rss_file.name}")
        results["rss"] = measure_rss(rss_file.path)
        if results["sharp"] is not None:
            results["rss"]["sharp"] = sharp_rss(rss_file.path, widths, cpu)
    if not args.no_import:
        log("cold-start imports")
        results["import"] = measure_import(import_runs)

    if args.explore:
        results["explore"] = {}
        for f in files:
            log(f"explore {f.name}")
            png = (
                {
                    int(w): len(Path(p).read_bytes())
                    for w, p in sharp_files[f.name]["outputs"]["per_width"].items()
                }
                if f.format == "png" and f.name in sharp_files
                else None
            )
            results["explore"][f.name] = explore_file(f, widths, repeats, png)

    results["targets"] = evaluate(results)
    results["meta"]["wall_s"] = time.perf_counter() - t_start
    results["meta"]["loadavg_1min"] = [load_before[0], os.getloadavg()[0]]
    if max(results["meta"]["loadavg_1min"]) > 1.5:
        notes.append(
            f"load average {load_before[0]:.1f} before / {os.getloadavg()[0]:.1f} after on "
            f"{os.cpu_count()} CPUs: other processes competed for the core, timings are noisy "
            + ("(rerun on an idle machine)" if STAT == "min" else "(rerun idle, or --stat min)")
        )

    meta = results["meta"]
    print(
        f"resizer bench: {len(files)} sources x {len(widths)} widths {widths}, "
        f"{STAT} of {repeats} after a warm-up, pinned to cpu {cpu} ({meta['cpu_model']})"
    )
    print(
        f"Python {meta['python']}, Pillow {meta['pillow']} (libjpeg-turbo "
        f"{meta['libjpeg_turbo']}, zlib-ng {meta['zlib_ng']}, libwebp {meta['libwebp']})"
        + (
            f"; sharp {results['sharp']['sharp']} / libvips {results['sharp']['vips']}, "
            f"concurrency {results['sharp']['concurrency']}"
            if results["sharp"]
            else ""
        )
    )
    for n in notes:
        print(f"note: {n}")
    print("\n== Corpus")
    for f in [*files, rss_file]:
        print(f"  {f.name:32} {f.format:4} {f.width}x{f.height} {f.megapixels:5.1f} MP  {f.source}")
    print(report(results, widths))
    if args.explore:
        print(report_explore(results["explore"]))
    print(f"\nwall time {meta['wall_s']:.0f}s; outputs in {out_dir}")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1, default=str))
        print(f"wrote {args.json}")
    return 0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
