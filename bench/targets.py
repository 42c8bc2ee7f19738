"""Judge the results against the spec's targets: PASS, FAIL or SKIP, each with its numbers.

The limits below are the spec's; bench/README.md says how each target is judged.
"""

from __future__ import annotations

import statistics
from typing import Any

from report import by_format

RSS_LIMIT_MB = 300.0
IMPORT_LIMIT_MS = 50.0
NAIVE_SPEEDUP = 4.0
SSIM_WORST_SLACK = 0.01  # no single output may be worse than sharp's by more than this


def evaluate(results: dict[str, Any]) -> list[dict[str, str]]:
    files = results["files"].values()
    out: list[dict[str, str]] = []
    have_naive = all("naive" in r for r in files)
    naive = sum(r["naive"]["total"] for r in files) if have_naive else float("nan")

    def add(name: str, ok: bool | None, detail: str) -> None:
        out.append(
            {
                "name": name,
                "status": "SKIP" if ok is None else "PASS" if ok else "FAIL",
                "detail": detail,
            }
        )

    table = by_format(results) if results["sharp"] is not None else {}
    jobs = (("one", "one width per request", "(b)"), ("all", "all presets from one decode", "(c)"))
    for fmt, e in table.items():
        tag = "whole corpus" if fmt == "all" else fmt.upper()
        for job, label, peer in jobs:
            j = e[job]
            add(
                f"{tag}: {label} no slower than sharp {peer}",
                j["sum_ratio"] <= 1.0,
                f"{j['ours_ms']:.0f} ms vs {j['sharp_ms']:.0f} ms = {j['sum_ratio']:.2f}x sharp's "
                f"time (median paired {j['median_ratio']:.2f}x); slower on: "
                f"{', '.join(j['slower']) or 'none'}",
            )
    for fmt, e in table.items():
        if fmt == "all":
            continue
        for job, label, peer in jobs:
            j = e[job]
            delta, name, w = j["ssim_worst"]
            add(
                f"{fmt.upper()}: SSIM of {label} no worse than sharp {peer}",
                j["ssim_ours"] >= j["ssim_sharp"] and delta >= -SSIM_WORST_SLACK,
                f"mean {j['ssim_ours']:.4f} vs {j['ssim_sharp']:.4f}; worst single output "
                f"{delta:+.4f} ({name} @ {w})",
            )
    if "png" in table:
        for job, label, peer in jobs:
            ours, theirs = ("ours_one", "sharp_b") if job == "one" else ("ours_many", "sharp_c")
            j = table["png"][job]
            bigger = [
                f"{n}@{w}"
                for n, r in results["files"].items()
                if r["format"] == "png"
                for w in r["bytes"][ours]
                if r["bytes"][ours][w] > r["bytes"][theirs][w]
            ]
            add(
                f"PNG bytes of {label} no larger than sharp {peer}",
                j["bytes_ours"] <= j["bytes_sharp"],
                f"{j['bytes_ours'] / 1024:.1f} KiB vs {j['bytes_sharp'] / 1024:.1f} KiB "
                f"({j['bytes_ours'] / j['bytes_sharp']:.3f}); larger outputs: "
                f"{', '.join(bigger) or 'none'}",
            )
    if results["sharp"] is None:
        add("time, SSIM and PNG bytes against sharp", None, "sharp not available")
    if have_naive:
        one = sum(r["ours_one"]["total"] for r in files)
        many = sum(r["ours_many"]["total"] for r in files)
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
            b = sum(r["sharp_b"]["total"] for r in files)
            c = sum(r["sharp_c"]["total"] for r in files)
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
