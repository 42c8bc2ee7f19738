"""Optional extra (--alt-pillow): time ours-1 and ours-all under another Pillow build.

The other build (by default pillow-simd in bench/.venv-simd, made by bench/build_simd.sh) lives
in its own interpreter, so bench/run.py re-runs itself there in a hidden child mode
(--ours-only-json) that measures only our pipeline and writes JSON plus the outputs; the parent
then scores those outputs with its own SSIM.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import corpus
from measure import EXT, load_api, measure_file, pin_one_core
from quality import Reference
from system import pillow_versions

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
RUN_PY = BENCH_DIR / "run.py"
SIMD_PYTHON = BENCH_DIR / ".venv-simd" / "bin" / "python"  # made by bench/build_simd.sh


def ours_only(out_json: Path, only: str | None, repeats: int) -> int:
    """Child mode (--ours-only-json): time ours-1 and ours-all only, write JSON + outputs."""
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
    doc = {"python": sys.executable, **pillow_versions(), "files": res}
    out_json.write_text(json.dumps(doc, default=str))
    return 0


def run_alt_pillow(
    python: Path, files: list[corpus.CorpusFile], repeats: int, only: str | None, stat: str
) -> dict[str, Any]:
    """Run the child mode under `python`; return its results with SSIM scored here."""
    out_json = RESULTS_DIR / "alt-pillow.json"
    cmd = [str(python), str(RUN_PY), "--ours-only-json", str(out_json)]
    cmd += ["--repeats", str(repeats), "--stat", stat]
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
