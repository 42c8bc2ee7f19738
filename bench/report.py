"""Render the results as the printed report: header, corpus, one table per measure, targets.

Pure formatting of the results dict (the same dict --json writes); nothing here measures.
"""

from __future__ import annotations

import statistics
from typing import Any

import corpus


def header(results: dict[str, Any], corpus_files: list[corpus.CorpusFile], notes: list[str]) -> str:
    """The run's setup, notes and corpus, printed before the tables."""
    meta = results["meta"]
    widths = meta["widths"]
    lines = [
        f"resizer bench: {len(results['files'])} sources x {len(widths)} widths {widths}, "
        f"{meta['stat']} of {meta['repeats']} after a warm-up, pinned to cpu {meta['cpu']} "
        f"({meta['cpu_model']})",
        f"Python {meta['python']}, Pillow {meta['pillow']} (libjpeg-turbo "
        f"{meta['libjpeg_turbo']}, zlib {meta['zlib']} loaded (compiled for zlib-ng "
        f"{meta['zlib_ng']}), libwebp {meta['libwebp']}); PNG deflate: zlib-ng package "
        f"{meta.get('zlib_ng_png')}; PNG decode: libvips {meta.get('libvips_png')} "
        "(pyvips-binary); as deployed: "
        + (" ".join(f"{k}={v}" for k, v in meta.get("pillow_env", {}).items()) or "no PILLOW_*")
        + (
            f"; sharp {results['sharp']['sharp']} / libvips {results['sharp']['vips']}, "
            f"concurrency {results['sharp']['concurrency']}"
            if results["sharp"]
            else ""
        ),
    ]
    lines += [f"note: {n}" for n in notes]
    lines.append("\n== Corpus")
    for f in corpus_files:
        lines.append(
            f"  {f.name:32} {f.format:4} {f.width}x{f.height} {f.megapixels:5.1f} MP  {f.source}"
        )
    return "\n".join(lines)


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


FORMATS = ("jpeg", "png", "webp")


def by_format(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per input format (and "all"): time sums, paired ratios, SSIM and bytes for both jobs.

    Ratios are ours / sharp: <= 1.00 means ours takes no longer. `sum` is the ratio of the
    summed times (each file's time the run's statistic over its repeats); `median` is the median
    over files of each file's paired ratio (the median over rounds of ours / sharp measured side
    by side), which resists load that hit one side of one file.
    """
    files: dict[str, Any] = results["files"]
    out: dict[str, dict[str, Any]] = {}
    for fmt in (*FORMATS, "all"):
        rows = {n: r for n, r in files.items() if fmt in ("all", r["format"])}
        if not rows or "sharp_b" not in next(iter(rows.values())):
            continue
        entry: dict[str, Any] = {
            "files": len(rows),
            "mp": sum(r["mp"] for r in rows.values()),
        }
        for job, ours, theirs in (("one", "ours_one", "sharp_b"), ("all", "ours_many", "sharp_c")):
            o = sum(r[ours]["total"] for r in rows.values())
            t = sum(r[theirs]["total"] for r in rows.values())
            paired = {n: r["paired"][job] for n, r in rows.items()}
            worst = max(paired, key=lambda n: paired[n])
            ssim_o = [v for r in rows.values() for v in r["ssim"][ours].values()]
            ssim_t = [v for r in rows.values() for v in r["ssim"][theirs].values()]
            entry[job] = {
                "ours_ms": o,
                "sharp_ms": t,
                "sum_ratio": o / t,
                "median_ratio": statistics.median(paired.values()),
                "worst": (worst, paired[worst]),
                "slower": sorted(n for n, v in paired.items() if v > 1.0),
                "ssim_ours": statistics.fmean(ssim_o),
                "ssim_sharp": statistics.fmean(ssim_t),
                "ssim_worst": min(
                    (r["ssim"][ours][w] - r["ssim"][theirs][w], n, w)
                    for n, r in rows.items()
                    for w in r["ssim"][ours]
                ),
                "bytes_ours": sum(sum(r["bytes"][ours].values()) for r in rows.values()),
                "bytes_sharp": sum(sum(r["bytes"][theirs].values()) for r in rows.values()),
            }
        out[fmt] = entry
    return out


def report_formats(results: dict[str, Any]) -> str:
    """The headline: per input format, ours vs sharp at its best, both jobs."""
    table = by_format(results)
    if not table:
        return "\n== Per format: sharp not measured"
    rows = []
    for fmt, e in table.items():
        for job, label in (("one", "one width per request vs (b)"), ("all", "all presets vs (c)")):
            j = e[job]
            rows.append(
                [
                    fmt.upper() if fmt != "all" else "ALL",
                    str(e["files"]),
                    f"{e['mp']:.0f}",
                    label,
                    _fmt_ms(j["ours_ms"]),
                    _fmt_ms(j["sharp_ms"]),
                    f"{j['sum_ratio']:.2f}x",
                    f"{j['median_ratio']:.2f}x",
                    f"{j['worst'][1]:.2f}x",
                    f"{j['ssim_ours']:.4f}/{j['ssim_sharp']:.4f}",
                    f"{j['bytes_ours'] / j['bytes_sharp']:.2f}",
                    "PASS" if j["sum_ratio"] <= 1.0 else "FAIL",
                ]
            )
    return _table(
        f"Per input format: ours' time as a multiple of sharp's ({results['meta']['stat']} of "
        "paired runs; <= 1.00x = ours no slower)",
        [
            "format",
            "files",
            "MP",
            "job",
            "ours ms",
            "sharp ms",
            "sum",
            "median",
            "worst",
            "SSIM ours/sharp",
            "bytes o/s",
            "target",
        ],
        rows,
        "  sum = ratio of the summed times; median = median over files of each file's paired "
        "ratio (median over rounds\n  of ours/sharp run side by side); worst = the slowest "
        "file's paired ratio. target: sum <= 1.00x.",
    )


def report(results: dict[str, Any], widths: list[int]) -> str:
    files: dict[str, Any] = results["files"]
    have_sharp = results["sharp"] is not None
    have_naive = all("naive" in r for r in files.values())
    n_out = len(widths)
    stat = results["meta"]["stat"]
    parts = [report_formats(results)] if have_sharp else []

    # time per file
    nan = float("nan")
    rows = []
    tot = dict.fromkeys(("naive", "one", "b", "many", "c"), 0.0)
    for name, r in files.items():
        vals = {
            "naive": r["naive"]["total"] if have_naive else nan,
            "one": r["ours_one"]["total"],
            "b": r["sharp_b"]["total"] if have_sharp else nan,
            "many": r["ours_many"]["total"],
            "c": r["sharp_c"]["total"] if have_sharp else nan,
        }
        for k, v in vals.items():
            tot[k] += v
        paired = r.get("paired", {})
        rows.append(
            [
                name,
                r["format"],
                f"{r['mp']:.1f}",
                _fmt_ms(vals["naive"]),
                _fmt_ms(vals["one"]),
                _fmt_ms(vals["b"]),
                f"{paired['one']:.2f}x" if paired else "n/a",
                _fmt_ms(vals["many"]),
                _fmt_ms(vals["c"]),
                f"{paired['all']:.2f}x" if paired else "n/a",
                _ratio(vals["naive"], vals["one"]),
                _ratio(vals["naive"], vals["many"]),
            ]
        )
    rows.append(
        [
            "TOTAL",
            "",
            "",
            *(_fmt_ms(tot[k]) for k in ("naive", "one", "b")),
            _ratio(tot["one"], tot["b"]),
            _fmt_ms(tot["many"]),
            _fmt_ms(tot["c"]),
            _ratio(tot["many"], tot["c"]),
            _ratio(tot["naive"], tot["one"]),
            _ratio(tot["naive"], tot["many"]),
        ]
    )
    parts.append(
        _table(
            f"Time per source, ms ({stat}; sum over the {n_out} widths {widths}); "
            "o/s = paired ours/sharp",
            [
                "file",
                "fmt",
                "MP",
                "(a) naive",
                "ours-1",
                "(b) sharp",
                "o/s",
                "ours-all",
                "(c) sharp",
                "o/s",
                "(a)/ours-1",
                "(a)/ours-all",
            ],
            rows,
        )
    )

    # per width, ours-1 vs (b)
    rows = []
    for name, r in files.items():
        row = [name]
        for w in widths:
            o = r["ours_one"]["per_width"][w]
            b = r["sharp_b"]["per_width"][w] if have_sharp else nan
            row.append(f"{o:6.1f}/{b:6.1f}")
        rows.append(row)
    parts.append(
        _table(
            "Per width, one request each: ours-1 ms / (b) sharp ms",
            ["file", *[str(w) for w in widths]],
            rows,
        )
    )

    # pipeline stages
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
            f"Where ours spends its time, ms ({stat} per stage over the timed runs; resize "
            "includes colour conversion and alpha flattening)",
            ["file", "1:decode", "1:resize", "1:encode", "all:decode", "all:resize", "all:encode"],
            rows,
        )
    )

    # SSIM
    kinds = (["naive"] if have_naive else []) + ["ours_one", "ours_many"]
    kinds += ["sharp_b", "sharp_c"] if have_sharp else []
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

    # bytes
    rows = []
    for name, r in files.items():
        row = [name, r["format"]]
        for kind in ("ours_one", "sharp_b", "ours_many", "sharp_c"):
            v = r["bytes"].get(kind)
            row.append(f"{sum(v.values()) / 1024:9.1f}" if v else "n/a")
        for ours, theirs in (("ours_one", "sharp_b"), ("ours_many", "sharp_c")):
            if theirs in r["bytes"]:
                row.append(_ratio(sum(r["bytes"][ours].values()), sum(r["bytes"][theirs].values())))
            else:
                row.append("n/a")  # --no-sharp
        rows.append(row)
    parts.append(
        _table(
            f"Output bytes, KiB (sum over the {n_out} widths)",
            ["file", "fmt", "ours-1", "(b)", "ours-all", "(c)", "ours-1/(b)", "ours-all/(c)"],
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
                "b": r["sharp_b"]["total"] if "sharp_b" in r else float("nan"),
                "all": r["ours_many"]["total"],
                "all_alt": a["ours_many"]["total"],
                "c": r["sharp_c"]["total"] if "sharp_c" in r else float("nan"),
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
            f"  the first PNG a process decodes loads libvips (not at import): "
            f"{imp.get('libvips_first_png_ms', float('nan')):.1f} ms",
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
