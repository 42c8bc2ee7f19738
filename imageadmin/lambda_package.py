"""Build the resizer Lambda's deployment zip: the package, native wheels (Pillow, zlib-ng, libvips),
presets.

Django-free on purpose (the `build_lambda` command passes the presets JSON in), so the logic is
testable without a database. The zip is deterministic: entries sorted, timestamps and modes
fixed, so rebuilding unchanged input gives the same bytes (and the same S3 key, and no
redeploy). Wheels come from `pip download` for the Lambda's platform, not this machine's, and are
kept in a cache directory so rebuilds resolve offline first.

boto3 is not bundled by default: Lambda's Python runtimes provide it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import resizer_lambda

Arch = Literal["x86_64", "arm64"]
ARCHES: tuple[Arch, ...] = ("x86_64", "arm64")
PYTHONS = ("3.12", "3.13")  # the Lambda runtimes python3.12 and python3.13
PACKAGE_DIR = Path(resizer_lambda.__file__).resolve().parent
REQUIREMENTS = PACKAGE_DIR / "requirements.txt"
SCHEMA_FILE = "presets.schema.json"
BUNDLED_PRESETS = "resizer_lambda/presets.json"
MIN_PILLOW = (13, 0)
# Lambda's limits for a .zip deployment package (the zipped one applies to direct uploads; we
# hold every build to both, so either way of deploying works).
MAX_ZIPPED_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024
# Zip timestamps cannot go below 1980; any fixed value makes the archive reproducible.
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
# ELF e_machine values: what a shared library was compiled for.
ELF_MACHINES = {62: "x86_64", 183: "aarch64"}
_SKIP_PARTS = frozenset({"__pycache__", "tests", "test"})
# pyvips-binary requires cffi for its own `_libvips` bindings; the resizer calls its libvips
# through ctypes (resizer_lambda/vips_png.py), so cffi and its parser stay out of the zip.
UNUSED_WHEELS = frozenset({"cffi", "pycparser"})

Progress = Callable[[str], None]
Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


class BuildError(Exception):
    """The package cannot be built; the message says why and what to do."""


@dataclass(frozen=True)
class Target:
    """The Lambda platform the zip is for."""

    arch: Arch
    python: str = "3.12"

    def __post_init__(self) -> None:
        if self.arch not in ARCHES:
            raise BuildError(f"unknown architecture {self.arch!r}; use one of {', '.join(ARCHES)}")
        if self.python not in PYTHONS:
            raise BuildError(
                f"unsupported Python {self.python!r}; Lambda runtimes: {', '.join(PYTHONS)}"
            )

    @property
    def machine(self) -> str:
        """Return the machine name in wheel tags and ELF headers (arm64 is aarch64 there)."""
        return "aarch64" if self.arch == "arm64" else "x86_64"

    @property
    def platform(self) -> str:
        # manylinux_2_28, not manylinux2014: the latter (glibc 2.17) silently resolves to an old
        # Pillow, because current releases ship only manylinux_2_28 wheels. Lambda's python3.12+
        # runtimes run on Amazon Linux 2023 (glibc 2.34).
        return f"manylinux_2_28_{self.machine}"

    @property
    def abi(self) -> str:
        return "cp" + self.python.replace(".", "")

    @property
    def runtime(self) -> str:
        return f"python{self.python}"


@dataclass(frozen=True)
class Entry:
    """One file in the zip."""

    name: str
    data: bytes


@dataclass(frozen=True)
class BuildResult:
    path: Path
    zipped_bytes: int
    unzipped_bytes: int
    files: int
    pillow_version: str
    sha256: str


def requirements(with_boto3: bool = False, path: Path = REQUIREMENTS) -> list[str]:
    """Return the Lambda's requirement specifiers from its requirements.txt.

    boto3 is left out unless asked for: the runtime provides it, and it adds ~16 MB zipped.
    """
    specs: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        spec = line.split("#", 1)[0].strip()
        if not spec:
            continue
        name = re.split(r"[\s<>=!~;\[]", spec, maxsplit=1)[0].lower()
        if name == "boto3" and not with_boto3:
            continue
        specs.append(spec)
    if not any(s.lower().startswith("pillow") for s in specs):
        raise BuildError(f"{path} does not name pillow")
    return specs


def pip_command() -> list[str]:
    """Return how to run pip: this interpreter's, else a `pip` on PATH."""
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    found = shutil.which("pip3") or shutil.which("pip")
    if found:
        return [found]
    raise BuildError(
        "pip is needed to download the Lambda's wheels and is not installed: run "
        f"`{sys.executable} -m ensurepip` (or `uv pip install pip`)"
    )


def _run(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=False)


def _pip_tail(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("ERROR")]
    return "\n".join((errors or lines)[-6:])


def download_wheels(
    target: Target,
    specs: Sequence[str],
    cache: Path,
    *,
    offline: bool = False,
    refresh: bool = False,
    pip: Sequence[str] | None = None,
    run: Runner = _run,
    progress: Progress = lambda _: None,
) -> list[Path]:
    """Return the wheels for `specs` on `target`, resolved from the cache first, else PyPI.

    pip resolves into a fresh directory, so what it leaves there is exactly the resolved set
    (the cache may hold other versions and platforms); new downloads are then kept in `cache`.
    """
    cache.mkdir(parents=True, exist_ok=True)
    pip_cmd = list(pip or pip_command())
    where = f"{target.platform} {target.abi}"
    with tempfile.TemporaryDirectory(prefix="lambda-wheels-") as tmp:

        def download(dest: Path, *extra: str) -> subprocess.CompletedProcess[str]:
            dest.mkdir()
            options = [
                "--only-binary=:all:",
                f"--platform={target.platform}",
                f"--python-version={target.python}",
                "--implementation=cp",
                f"--find-links={cache}",
                f"--dest={dest}",
                "--disable-pip-version-check",
                "--progress-bar=off",
            ]
            return run([*pip_cmd, "download", *extra, *options, *specs])

        dest = Path(tmp) / "cached"
        proc = None if refresh else download(dest, "--no-index")
        if proc is not None and proc.returncode == 0:
            progress("resolved from the cache (no network)")
        elif offline:
            raise BuildError(
                f"no cached wheels in {cache} satisfy {' '.join(specs)} for {where}, and "
                f"--offline forbids downloading; pip said:\n{_pip_tail(proc) if proc else ''}"
            )
        else:
            progress("downloading from the package index")
            dest = Path(tmp) / "index"
            proc = download(dest)
            if proc.returncode != 0:
                raise BuildError(
                    f"pip could not download {' '.join(specs)} for {where} "
                    f"(no network, or no such wheel):\n{_pip_tail(proc)}"
                )
        wheels = sorted(dest.glob("*.whl"))
        if not wheels:
            raise BuildError(f"pip downloaded no wheel for {' '.join(specs)}")
        kept: list[Path] = []
        for wheel in wheels:
            cached = cache / wheel.name
            if not cached.exists():
                tmp_copy = cached.with_name(f".{wheel.name}.tmp")
                shutil.copyfile(wheel, tmp_copy)
                os.replace(tmp_copy, cached)
            kept.append(cached)
    return kept


def wheel_version(wheel: Path, project: str) -> str | None:
    """Return the version in a wheel's file name if it is `project`'s, else None."""
    name, version, *_ = wheel.name.split("-")
    return version if name.lower().replace("_", "-") == project else None


def _version_tuple(version: str) -> tuple[int, ...]:
    parts: list[int] = []
    for part in version.split("."):
        digits = re.match(r"\d+", part)
        if digits is None:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


def check_pillow(wheels: Iterable[Path], target: Target) -> str:
    """Return the resolved Pillow version; raise BuildError unless it is >= MIN_PILLOW."""
    versions = [v for w in wheels if (v := wheel_version(w, "pillow")) is not None]
    if len(versions) != 1:
        raise BuildError(f"expected one Pillow wheel, got {versions or 'none'}")
    version = versions[0]
    if _version_tuple(version) < MIN_PILLOW:
        wanted = ".".join(map(str, MIN_PILLOW))
        raise BuildError(
            f"resolved Pillow {version} for {target.platform}, but the resizer needs >= {wanted}: "
            "current Pillow ships only manylinux_2_28 wheels (an older platform tag such as "
            "manylinux2014 silently gets an old release)"
        )
    return version


def wheel_entries(wheel: Path) -> list[Entry]:
    """Return a wheel's files as they land in the zip root (as `pip install --target` would)."""
    entries: list[Entry] = []
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            name = info.filename
            parts = name.split("/")
            if parts[0].endswith(".data"):
                if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                    continue  # scripts, headers, data: nothing the runtime imports
                name = "/".join(parts[2:])
            if _skipped(name):
                continue
            entries.append(Entry(name, zf.read(info)))
    return entries


def _skipped(name: str) -> bool:
    parts = name.split("/")
    return bool(_SKIP_PARTS.intersection(parts[:-1])) or name.endswith((".pyc", ".pyo"))


def package_entries(presets_json: str, source: Path = PACKAGE_DIR) -> list[Entry]:
    """Return the resizer package's modules, its schema and the bundled presets JSON.

    Only what the handler imports or reads: no tests, caches or a stale presets.json.
    """
    entries: list[Entry] = []
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source).as_posix()
        if not path.is_file() or _skipped(rel):
            continue
        if path.suffix == ".py" or rel == SCHEMA_FILE:
            entries.append(Entry(f"resizer_lambda/{rel}", path.read_bytes()))
    entries.append(Entry(BUNDLED_PRESETS, presets_json.encode("utf-8")))
    return entries


def elf_machine(data: bytes) -> str | None:
    """Return the machine a shared library is built for, or None when it is not ELF."""
    if len(data) < 20 or data[:4] != b"\x7fELF":
        return None
    order: Literal["little", "big"] = "little" if data[5] == 1 else "big"
    code = int.from_bytes(data[18:20], order)
    return ELF_MACHINES.get(code, f"machine {code}")


def check_entries(entries: Sequence[Entry], target: Target) -> None:
    """Raise BuildError for duplicate paths or a native library built for another machine."""
    seen: set[str] = set()
    for entry in entries:
        if entry.name in seen:
            raise BuildError(f"two sources provide {entry.name}")
        seen.add(entry.name)
        machine = elf_machine(entry.data)
        if machine is not None and machine != target.machine:
            raise BuildError(
                f"{entry.name} is built for {machine}, not {target.machine} ({target.arch}): "
                "the wheels do not match --arch"
            )


def check_sizes(zipped: int, unzipped: int) -> None:
    """Raise BuildError when the package is over Lambda's limits."""
    mb = 1024 * 1024
    if unzipped > MAX_UNZIPPED_BYTES:
        raise BuildError(
            f"the package unzips to {unzipped / mb:.1f} MB; Lambda allows "
            f"{MAX_UNZIPPED_BYTES // mb} MB (leave out --with-boto3, or use a layer)"
        )
    if zipped > MAX_ZIPPED_BYTES:
        raise BuildError(
            f"the zip is {zipped / mb:.1f} MB; Lambda allows {MAX_ZIPPED_BYTES // mb} MB zipped"
        )


def write_zip(
    entries: Iterable[Entry], output: Path, check: Callable[[int], None] | None = None
) -> None:
    """Write a reproducible zip atomically: a temporary file beside `output`, then a rename.

    `check` sees the zipped size before the rename and may refuse it; `output` is then untouched.
    """
    fd, tmp = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            with zipfile.ZipFile(handle, "w") as zf:
                for entry in sorted(entries, key=lambda e: e.name):
                    info = zipfile.ZipInfo(entry.name, date_time=FIXED_DATE)
                    info.create_system = 3  # Unix, so the mode below is honoured
                    info.external_attr = (0o100000 | FILE_MODE) << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    zf.writestr(info, entry.data, compresslevel=6)
            handle.flush()
            os.fsync(handle.fileno())
        if check is not None:
            check(os.path.getsize(tmp))
        os.chmod(tmp, 0o644)
        os.replace(tmp, output)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def build(
    target: Target,
    presets_json: str,
    output: Path,
    cache: Path,
    *,
    with_boto3: bool = False,
    offline: bool = False,
    refresh: bool = False,
    pip: Sequence[str] | None = None,
    progress: Progress = lambda _: None,
) -> BuildResult:
    """Build the deployment zip for `target` at `output` and return what was built."""
    specs = requirements(with_boto3)
    progress(f"[1/4] wheels: {' '.join(specs)} for {target.platform}, {target.abi}")
    wheels = download_wheels(
        target,
        specs,
        cache,
        offline=offline,
        refresh=refresh,
        pip=pip,
        progress=lambda msg: progress(f"      {msg}"),
    )
    version = check_pillow(wheels, target)
    wheels = [w for w in wheels if w.name.split("-")[0].lower() not in UNUSED_WHEELS]
    progress(f"      {', '.join(w.name for w in wheels)}")
    progress("[2/4] unpacking wheels and collecting resizer_lambda + presets.json")
    entries = package_entries(presets_json)
    for wheel in wheels:
        entries.extend(wheel_entries(wheel))
    check_entries(entries, target)
    unzipped = sum(len(e.data) for e in entries)
    check_sizes(0, unzipped)
    progress(f"[3/4] writing {output} ({len(entries)} files)")
    output.parent.mkdir(parents=True, exist_ok=True)
    write_zip(entries, output, check=lambda zipped: check_sizes(zipped, unzipped))
    zipped = output.stat().st_size
    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    progress("[4/4] checked against Lambda's limits (50 MB zipped, 250 MB unzipped)")
    return BuildResult(output, zipped, unzipped, len(entries), version, digest)
