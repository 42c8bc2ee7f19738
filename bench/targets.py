"""Judge the results against the spec's targets: PASS, FAIL or SKIP, each with its numbers.

The limits below are the spec's; bench/README.md says how each target is judged.
"""

from __future__ import annotations

import statistics
from typing import Any

RSS_LIMIT_MB = 300.0
IMPORT_LIMIT_MS = 50.0
NAIVE_SPEEDUP = 4.0
SSIM_WORST_SLACK = 0.01  # no single output may be worse than sharp's by more than this


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
