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
  (b)  sharp per width (bench/sharp/bench.mjs): .rotate().resize(w), shrink-on-load;
  (c)  sharp all widths from one decode: shrink-on-load to the largest width, raw pixels kept,
       every smaller width resized from them.
ours and sharp are measured as pairs, interleaved width by width on the same core.

It then scores every output with SSIM (luma, Gaussian window) against a full-decode LANCZOS
reference of the same size, compares output bytes, measures peak RSS for the 50 MP JPEG in a
fresh process and the import cost the handler adds to the cold start, and prints PASS/FAIL
for each target. See bench/README.md for what each column means.

This file is the command line and the order of the run; the work lives beside it in bench/:
measure.py (timing, one-core pinning, the Python pipelines), sharp_runner.py (node + sharp),
quality.py (SSIM, sizes), system.py (peak RSS, import cost), alt_pillow.py (--alt-pillow),
explore.py (--explore), report.py (the tables), targets.py (PASS/FAIL), corpus.py (the images).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
for _p in (str(REPO), str(BENCH_DIR)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

# Pillow's allocator settings as the Lambda runs them (template.yaml), before Pillow is imported.
import deployed  # noqa: E402

PILLOW_ENV = deployed.apply()

# The bench's own modules (bench/ is not a package): importable once BENCH_DIR is on sys.path.
import corpus  # noqa: E402
import measure  # noqa: E402
from alt_pillow import SIMD_PYTHON, ours_only, run_alt_pillow  # noqa: E402
from explore import explore_all  # noqa: E402
from quality import ensure_numpy, score_file  # noqa: E402
from report import header, report, report_explore  # noqa: E402
from sharp_runner import SharpServer, ensure_sharp, sharp_rss  # noqa: E402
from system import cpu_model, measure_import, measure_rss, pillow_versions  # noqa: E402
from targets import evaluate  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 repeat, 3 import runs (CI smoke)")
    parser.add_argument("--repeats", type=int, help="timed repeats per measurement (default 3)")
    parser.add_argument("--json", type=Path, help="also write every number to this JSON file")
    parser.add_argument("--explore", action="store_true", help="measure pipeline alternatives")
    parser.add_argument("--only", help="only corpus files whose name contains this")
    parser.add_argument("--no-sharp", action="store_true", help="skip the sharp columns")
    parser.add_argument("--no-naive", action="store_true", help="skip (a) naive Pillow")
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
    measure.set_stat(args.stat)
    if args.ours_only_json:
        return ours_only(args.ours_only_json, args.only, repeats)

    t_start = time.perf_counter()
    load_before = os.getloadavg()
    cpu = measure.pin_one_core()
    ensure_numpy()
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

    api = measure.load_api()
    widths = [p.width for p in api.presets]
    out_dir = RESULTS_DIR / "out"
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)

    results: dict[str, Any] = {
        "meta": {
            "cpu": cpu,
            "cpu_model": cpu_model(),
            "python": platform.python_version(),
            **pillow_versions(),
            "pillow_env": PILLOW_ENV,
            "repeats": repeats,
            "stat": args.stat,
            "widths": widths,
            "presets": [p.name for p in api.presets],
        },
        "files": {},
        "sharp": None,
    }

    server = None
    if not args.no_sharp and ensure_sharp(notes):
        server = SharpServer(cpu, measure.JPEG_QUALITY)
        results["sharp"] = server.versions
    try:
        for f in files:
            results["files"][f.name] = measure.measure_file(
                f, api, repeats, out_dir / "ours", log, with_naive=not args.no_naive, sharp=server
            )
    finally:
        if server is not None:
            server.close()

    if args.alt_pillow:
        log(f"ours under {args.alt_pillow}")
        results["alt_pillow"] = run_alt_pillow(
            Path(args.alt_pillow), files, repeats, args.only, args.stat
        )

    log("SSIM and sizes")
    for f in files:
        score_file(f, results["files"][f.name])

    if not args.no_rss:
        log(f"peak RSS on {rss_file.name}")
        results["rss"] = measure_rss(rss_file.path)
        if results["sharp"] is not None:
            results["rss"]["sharp"] = sharp_rss(rss_file.path, widths, cpu)
    if not args.no_import:
        log("cold-start imports")
        results["import"] = measure_import(import_runs)

    if args.explore:
        results["explore"] = explore_all(files, widths, repeats, results["files"], log)

    results["targets"] = evaluate(results)
    results["meta"]["wall_s"] = time.perf_counter() - t_start
    results["meta"]["loadavg_1min"] = [load_before[0], os.getloadavg()[0]]
    if max(results["meta"]["loadavg_1min"]) > 1.5:
        notes.append(
            f"load average {load_before[0]:.1f} before / {os.getloadavg()[0]:.1f} after on "
            f"{os.cpu_count()} CPUs: other processes competed for the core, timings are noisy "
            + (
                "(rerun on an idle machine)"
                if args.stat == "min"
                else "(rerun idle, or --stat min)"
            )
        )

    print(header(results, [*files, rss_file], notes))
    print(report(results, widths))
    if args.explore:
        print(report_explore(results["explore"]))
    print(f"\nwall time {results['meta']['wall_s']:.0f}s; outputs in {out_dir}")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1, default=str))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
