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
# The main measurement: ours and sharp interleaved, file by file and width by width


def measure_file(
    f: corpus.CorpusFile,
    api: Api,
    repeats: int,
    out_dir: Path,
    log: Callable[[str], None],
    with_naive: bool = True,
    sharp: Any = None,
) -> dict[str, Any]:
    """Time (a) alone, then ours and sharp (a SharpServer, or None) as paired measurements.

    Each round (one warm-up, then `repeats` timed) runs every width per request, ours then
    sharp's (b) for the same width, then all presets from one decode, ours then sharp's (c);
    who goes first alternates between rounds. Both sides see the same load at nearly the same
    moment, so the per-round ratio ours/sharp resists noise that the totals do not.
    """
    data = f.path.read_bytes()
    widths = [p.width for p in api.presets]
    res: dict[str, Any] = {"format": f.format, "mp": f.megapixels, "size": [f.width, f.height]}
    outputs: dict[str, dict[int, bytes]] = {"naive": {}, "ours_one": {}, "ours_many": {}}
    file_dir = out_dir / f.name
    file_dir.mkdir(parents=True, exist_ok=True)
    ext = EXT[f.format]

    if with_naive:
        log(f"{f.name}: (a) naive")
        per: dict[int, float] = {}
        for w in widths:
            samples, outputs["naive"][w] = ms_samples(
                lambda w=w: naive_render(data, f.format, w), repeats
            )
            per[w] = summarise(samples)
        res["naive"] = {"per_width": per, "total": sum(per.values())}
    else:
        del outputs["naive"]

    log(f"{f.name}: ours and sharp, paired" if sharp else f"{f.name}: ours")
    one: dict[int, list[float]] = {w: [] for w in widths}
    b: dict[int, list[float]] = {w: [] for w in widths}
    many: list[float] = []
    c: list[float] = []
    runs_one: dict[int, list[dict[str, float]]] = {w: [] for w in widths}
    runs_many: list[dict[str, float]] = []
    sharp_paths = {
        "sharp_b": {w: file_dir / f"sharp_b_{w}.{ext}" for w in widths},
        "sharp_c": {w: file_dir / f"sharp_c_{w}.{ext}" for w in widths},
    }
    gc.collect()
    for rnd in range(1 + repeats):
        timed, keep, sharp_first = rnd > 0, rnd == 0, rnd % 2 == 1
        for p in api.presets:
            w = p.width

            def ours_one(p: Any = p, w: int = w, timed: bool = timed, keep: bool = keep) -> None:
                stages: dict[str, float] = {}
                t0 = time.perf_counter()
                r = api.render_one(data, p, api.limits, timings=stages)
                ms = (time.perf_counter() - t0) * 1000
                if timed:
                    one[w].append(ms)
                    runs_one[w].append(stages)
                if keep:
                    outputs["ours_one"][w] = r.data

            def sharp_one(w: int = w, timed: bool = timed, keep: bool = keep) -> None:
                out = sharp_paths["sharp_b"][w] if keep else None
                ms = sharp.per_width(f.path, f.format, w, out)
                if timed:
                    b[w].append(ms)

            for step in (sharp_one, ours_one) if sharp_first else (ours_one, sharp_one):
                if sharp is not None or step is ours_one:
                    step()

        def ours_all(timed: bool = timed, keep: bool = keep) -> None:
            stages: dict[str, float] = {}
            t0 = time.perf_counter()
            rendered = api.render_many(data, api.presets, api.limits, timings=stages)
            ms = (time.perf_counter() - t0) * 1000
            if timed:
                many.append(ms)
                runs_many.append(stages)
            if keep:
                for p in api.presets:
                    outputs["ours_many"][p.width] = rendered[p.name].data

        def sharp_all(timed: bool = timed, keep: bool = keep) -> None:
            out = [sharp_paths["sharp_c"][w] for w in widths] if keep else None
            ms = sharp.shared(f.path, f.format, widths, out)
            if timed:
                c.append(ms)

        for step in (sharp_all, ours_all) if sharp_first else (ours_all, sharp_all):
            if sharp is not None or step is ours_all:
                step()

    stages_one: dict[str, float] = {}
    for w in widths:
        for k, v in _stage_stats(runs_one[w]).items():
            stages_one[k] = stages_one.get(k, 0.0) + v
    res["ours_one"] = _summary(one, stages_one)
    res["ours_many"] = {"total": summarise(many), "samples": many}
    res["ours_many"]["stages"] = _stage_stats(runs_many)
    if sharp is not None:
        res["sharp_b"] = _summary(b)
        res["sharp_c"] = {"total": summarise(c), "samples": c}
        res["paired"] = {
            "one": statistics.median(
                o / s
                for o, s in zip(res["ours_one"]["samples"], res["sharp_b"]["samples"], strict=True)
            ),
            "all": statistics.median(o / s for o, s in zip(many, c, strict=True)),
        }
        res["_sharp_paths"] = sharp_paths

    for kind, by_w in outputs.items():
        for w, blob in by_w.items():
            (file_dir / f"{kind}_{w}.{ext}").write_bytes(blob)
    res["_outputs"] = outputs
    return res


def _summary(
    per_width: dict[int, list[float]], stages: dict[str, float] | None = None
) -> dict[str, Any]:
    """Per width the run's statistic; per round the sum over widths (for paired ratios)."""
    per = {w: summarise(xs) for w, xs in per_width.items()}
    rounds = [sum(xs) for xs in zip(*per_width.values(), strict=True)]
    out: dict[str, Any] = {"per_width": per, "total": sum(per.values()), "samples": rounds}
    if stages is not None:
        out["stages"] = stages
    return out


def _stage_stats(runs: list[dict[str, float]]) -> dict[str, float]:
    """Per pipeline stage, the same statistic as the totals, over the timed runs."""
    keys = {k for r in runs for k in r}
    return {k: summarise([r.get(k, 0.0) for r in runs]) for k in sorted(keys)}
