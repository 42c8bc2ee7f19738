"""Time the Python pipelines on one pinned core: (a) naive Pillow, ours-1 and ours-all.

Every timing in the bench goes through `ms_samples` (warm-up, then timed repeats) and is
summarised by `summarise`, so all columns, sharp's and the import probes included, use the one
statistic chosen with --stat: the median, or the minimum on a shared machine.
"""

from __future__ import annotations

import gc
import io
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import corpus

JPEG_QUALITY = 82  # JPEG and WebP, for every pipeline (sharp's too)
EXT = {"jpeg": "jpg", "png": "png", "webp": "webp"}

# --------------------------------------------------------------------------------------------
# Timing

STAT = "median"  # or "min" (--stat): the minimum resists other load on a shared machine


def set_stat(stat: str) -> None:
    """Choose the summary statistic of timed samples for the whole run ("median" or "min")."""
    global STAT
    STAT = stat


def ms_samples(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> tuple[list[float], Any]:
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


def summarise(xs: Sequence[float]) -> float:
    """The summary statistic of timed samples: the median, or the minimum with --stat min."""
    if not xs:
        return float("nan")
    return float(min(xs)) if STAT == "min" else float(statistics.median(xs))


def pin_one_core() -> int:
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


# --------------------------------------------------------------------------------------------
# The three Python pipelines


def target_size(w: int, h: int, width: int) -> tuple[int, int]:
    if width >= w:
        return w, h
    return width, max(1, round(h * width / w))


def naive_render(data: bytes, fmt: str, width: int) -> bytes:
    """(a): what a first version would do: full decode, LANCZOS, save; no draft, no tricks."""
    from PIL import Image

    im = Image.open(io.BytesIO(data))
    im.load()
    size = target_size(im.width, im.height, width)
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
            samples, outputs["naive"][w] = ms_samples(
                lambda w=w: naive_render(data, f.format, w), repeats
            )
            per[w] = summarise(samples)
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

        samples, r = ms_samples(one, repeats)
        per[p.width] = summarise(samples)
        outputs["ours_one"][p.width] = r.data
        for k, v in _stage_stats(runs[1:]).items():
            stages[k] = stages.get(k, 0.0) + v
    res["ours_one"] = {"per_width": per, "total": sum(per.values()), "stages": stages}

    log(f"{f.name}: ours, all presets from one decode")
    runs_many: list[dict[str, float]] = []

    def many() -> Any:
        runs_many.append({})
        return api.render_many(data, api.presets, api.limits, timings=runs_many[-1])

    samples, rendered = ms_samples(many, repeats)
    for p in api.presets:
        outputs["ours_many"][p.width] = rendered[p.name].data
    res["ours_many"] = {"total": summarise(samples), "stages": _stage_stats(runs_many[1:])}

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
    return {k: summarise([r.get(k, 0.0) for r in runs]) for k in sorted(keys)}
