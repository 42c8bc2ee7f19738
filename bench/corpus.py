"""Fetch the benchmark corpus described in bench/corpus.json into bench/.corpus/.

Every source image is a file shipped unchanged in a pinned Debian bookworm package:
``apt-get download PKG=VERSION`` then the one member is streamed out of ``dpkg-deb
--fsys-tarfile`` (nothing is installed) and its sha256 checked against the manifest.
The 50 MP JPEG for the peak-RSS check is derived from a corpus photo by a fixed recipe.

Idempotent: files already present with the right sha256 are skipped, and the .deb files
are deleted after extraction unless ``--keep-debs`` is given.

    python bench/corpus.py            # fetch what is missing, print the corpus
    python bench/corpus.py --verify   # only check what is there (exit 1 if incomplete)
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
MANIFEST = BENCH_DIR / "corpus.json"
CORPUS_DIR = BENCH_DIR / ".corpus"
DEB_DIR = CORPUS_DIR / "debs"


@dataclass(frozen=True)
class CorpusFile:
    name: str
    path: Path
    format: str  # "jpeg" | "png" | "webp"
    role: str  # "throughput" | "rss"
    width: int
    height: int
    notes: str
    source: str  # "debian-package version: member" or "derived: recipe"

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1e6


class CorpusError(RuntimeError):
    pass


def load_manifest() -> dict[str, Any]:
    with MANIFEST.open(encoding="utf-8") as fh:
        manifest: dict[str, Any] = json.load(fh)
    return manifest


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _log(msg: str, quiet: bool) -> None:
    if not quiet:
        print(f"[corpus] {msg}", file=sys.stderr, flush=True)


def _download_deb(package: str, version: str, quiet: bool) -> Path:
    DEB_DIR.mkdir(parents=True, exist_ok=True)
    existing = sorted(DEB_DIR.glob(f"{package}_*.deb"))
    if existing:
        return existing[0]
    base = ["apt-get", "download", "-q", "-o", "APT::Sandbox::User=root"]
    for spec in (f"{package}={version}", package):
        _log(f"apt-get download {spec}", quiet)
        proc = subprocess.run(
            [*base, spec], cwd=DEB_DIR, capture_output=True, text=True, check=False
        )
        found = sorted(DEB_DIR.glob(f"{package}_*.deb"))
        if proc.returncode == 0 and found:
            if spec == package:
                _log(f"WARNING: {package}={version} not available, took what apt had", quiet)
            return found[0]
        _log(f"  failed: {proc.stderr.strip().splitlines()[-1:]}", quiet)
    raise CorpusError(
        f"cannot download Debian package {package!r}; run `apt-get update` first "
        "(needs the bookworm main archive)"
    )


def _extract_members(deb: Path, members: dict[str, Path]) -> None:
    """Stream the wanted members out of the package's data tarball."""
    wanted = {m.lstrip("./"): dest for m, dest in members.items()}
    proc = subprocess.Popen(
        ["dpkg-deb", "--fsys-tarfile", str(deb)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for info in tar:
                name = info.name.lstrip("./")
                dest = wanted.get(name)
                if dest is None or not info.isfile():
                    continue
                src = tar.extractfile(info)
                assert src is not None
                tmp = dest.with_suffix(dest.suffix + ".part")
                with tmp.open("wb") as out:
                    shutil.copyfileobj(src, out)
                tmp.replace(dest)
                del wanted[name]
                if not wanted:
                    break
    finally:
        stopped_early = not wanted
        proc.stdout.close()  # stopping early gives dpkg-deb a broken pipe: expected
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        proc.wait()
    if proc.returncode != 0 and not stopped_early:
        raise CorpusError(f"dpkg-deb --fsys-tarfile {deb.name} failed: {err.strip()}")
    if wanted:
        raise CorpusError(f"{deb.name}: members not found: {sorted(wanted)}")


def _mirror_tile_2x2(src: Path, dest: Path) -> None:
    from PIL import Image, ImageOps

    with Image.open(src) as im:
        im.load()
        rgb = im.convert("RGB")
    w, h = rgb.size
    canvas = Image.new("RGB", (2 * w, 2 * h))
    mirrored = ImageOps.mirror(rgb)
    canvas.paste(rgb, (0, 0))
    canvas.paste(mirrored, (w, 0))
    canvas.paste(ImageOps.flip(rgb), (0, h))
    canvas.paste(ImageOps.flip(mirrored), (w, h))
    buf = io.BytesIO()
    canvas.save(buf, "JPEG", quality=90, subsampling="4:2:0", progressive=False)
    tmp = dest.with_suffix(dest.suffix + ".part")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(dest)


def _write(dest: Path, blob: bytes) -> None:
    tmp = dest.with_suffix(dest.suffix + ".part")
    tmp.write_bytes(blob)
    tmp.replace(dest)


# IFD0 entry "Orientation (0x0112), SHORT, count 1, value 1" in big- and little-endian TIFF.
_ORIENTATION_1 = {
    b"MM": b"\x01\x12\x00\x03\x00\x00\x00\x01\x00\x01",
    b"II": b"\x12\x01\x03\x00\x01\x00\x00\x00\x01\x00",
}


def _exif_orientation_6(src: Path, dest: Path) -> None:
    """Change the EXIF Orientation value 1 to 6 in place: no pixel is re-encoded."""
    data = src.read_bytes()
    exif = data.find(b"Exif\0\0")
    order = data[exif + 6 : exif + 8]
    entry = _ORIENTATION_1[order]
    at = data.find(entry, exif)
    if exif < 0 or at < 0 or at > exif + 65536:
        raise CorpusError(f"{src.name}: no EXIF Orientation=1 entry to change")
    value = at + len(entry) - 2
    six = b"\x00\x06" if order == b"MM" else b"\x06\x00"
    _write(dest, data[:value] + six + data[value + 2 :])


def _save(im: Any, dest: Path, fmt: str, **params: Any) -> None:
    buf = io.BytesIO()
    im.save(buf, fmt, **params)
    _write(dest, buf.getvalue())


def _pillow_palette(src: Path, dest: Path) -> None:
    from PIL import Image

    with Image.open(src) as im:
        rgb = im.convert("RGB")
    q = rgb.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG)
    _save(q, dest, "PNG", compress_level=9)


def _pillow_palette_alpha(src: Path, dest: Path) -> None:
    from PIL import Image

    with Image.open(src) as im:
        rgba = im.convert("RGBA")
    _save(rgba.quantize(256, method=Image.Quantize.FASTOCTREE), dest, "PNG", compress_level=9)


def _pillow_webp_lossless(src: Path, dest: Path) -> None:
    from PIL import Image

    with Image.open(src) as im:
        rgb = im.convert("RGB")
    _save(rgb, dest, "WEBP", lossless=True, quality=75, method=4)


def _pillow_webp_lossy(src: Path, dest: Path) -> None:
    from PIL import Image

    with Image.open(src) as im:
        im.load()
        _save(im, dest, "WEBP", quality=80, method=4)


RECIPES = {
    "mirror-tile-2x2": _mirror_tile_2x2,
    "exif-orientation-6": _exif_orientation_6,
    "pillow-palette": _pillow_palette,
    "pillow-palette-alpha": _pillow_palette_alpha,
    "pillow-webp-lossless": _pillow_webp_lossless,
    "pillow-webp-lossy": _pillow_webp_lossy,
}
# Recipes whose output does not depend on the codec build: their sha256 is checked strictly.
EXACT_RECIPES = {"exif-orientation-6"}


def _to_corpus_file(entry: dict[str, Any], manifest: dict[str, Any]) -> CorpusFile:
    if "package" in entry:
        pkg = entry["package"]
        source = f"{pkg} {manifest['packages'][pkg]}: /{entry['member']}"
    else:
        source = f"derived from {entry['derived_from']} ({entry['recipe']})"
    return CorpusFile(
        name=entry["name"],
        path=CORPUS_DIR / entry["name"],
        format=entry["format"],
        role=entry["role"],
        width=int(entry["size"][0]),
        height=int(entry["size"][1]),
        notes=entry.get("notes", entry.get("recipe_text", "")),
        source=source,
    )


def _is_ok(entry: dict[str, Any], path: Path) -> bool:
    if not path.is_file():
        return False
    if "package" not in entry and entry["recipe"] not in EXACT_RECIPES:
        return True  # derived by re-encoding: the bytes depend on the local Pillow build
    return sha256_file(path) == entry["sha256"]


def ensure_corpus(*, quiet: bool = False, keep_debs: bool = False) -> list[CorpusFile]:
    """Fetch whatever is missing; return every corpus file (sources first, then derived)."""
    manifest = load_manifest()
    entries: list[dict[str, Any]] = manifest["files"]
    CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()

    by_package: dict[str, dict[str, Path]] = {}
    for entry in entries:
        dest = CORPUS_DIR / entry["name"]
        if "package" in entry and not _is_ok(entry, dest):
            by_package.setdefault(entry["package"], {})[entry["member"]] = dest
    for package, members in by_package.items():
        deb = _download_deb(package, manifest["packages"][package], quiet)
        _log(f"extract {len(members)} file(s) from {deb.name}", quiet)
        _extract_members(deb, members)
        if not keep_debs:
            deb.unlink()

    for entry in entries:
        dest = CORPUS_DIR / entry["name"]
        if "package" in entry:
            got = sha256_file(dest)
            if got != entry["sha256"]:
                raise CorpusError(f"{entry['name']}: sha256 {got} != manifest {entry['sha256']}")
        elif not _is_ok(entry, dest):
            src = CORPUS_DIR / entry["derived_from"]
            _log(f"derive {entry['name']} from {src.name} ({entry['recipe']})", quiet)
            RECIPES[entry["recipe"]](src, dest)
            got = sha256_file(dest)
            if got != entry["sha256"] and entry["recipe"] in EXACT_RECIPES:
                raise CorpusError(f"{entry['name']}: sha256 {got} != manifest {entry['sha256']}")
            if got != entry["sha256"]:
                _log(
                    f"note: {entry['name']} sha256 {got} differs from the manifest's "
                    "(expected across Pillow/libjpeg builds)",
                    quiet,
                )
    if by_package:
        _log(f"fetched in {time.perf_counter() - t0:.1f}s", quiet)
    return [_to_corpus_file(e, manifest) for e in entries]


def verify_corpus() -> list[str]:
    manifest = load_manifest()
    problems = []
    for entry in manifest["files"]:
        dest = CORPUS_DIR / entry["name"]
        if not _is_ok(entry, dest):
            problems.append(f"{entry['name']}: missing or sha256 mismatch")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verify", action="store_true", help="only check, fetch nothing")
    parser.add_argument("--keep-debs", action="store_true", help="keep downloaded .deb files")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.verify:
        problems = verify_corpus()
        for p in problems:
            print(p)
        return 1 if problems else 0
    t0 = time.perf_counter()
    try:
        files = ensure_corpus(quiet=args.quiet, keep_debs=args.keep_debs)
    except CorpusError as exc:
        print(f"corpus: {exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        for f in files:
            size_kib = f.path.stat().st_size // 1024
            print(
                f"{f.name:32} {f.format:4} {f.width:5}x{f.height:<5} {f.megapixels:5.1f} MP "
                f"{size_kib:6} KiB  {f.role:10} {f.source}"
            )
        print(f"corpus ready in {CORPUS_DIR} ({time.perf_counter() - t0:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
