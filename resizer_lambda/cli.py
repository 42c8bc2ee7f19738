"""`python -m resizer_lambda render ...`: try presets on local files, one decode per file."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from resizer_lambda import imaging, keys
from resizer_lambda.errors import ResizerError
from resizer_lambda.presets import DEFAULT_CONFIG, Config, Preset, load_file


def _progress[T](items: Sequence[T], enabled: bool) -> Iterable[T]:
    """Wrap `items` in a tqdm bar when there are many and tqdm is installed (not in the Lambda)."""
    if not enabled:
        return items
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is in requirements.txt, not the Lambda's
        return items
    bar: Iterable[T] = tqdm(items, unit="file", file=sys.stderr)
    return bar


class UsageError(Exception):
    """A command-line mistake: reported in one line, exit status 2, no traceback."""


def _select(config: Config, names: Sequence[str]) -> list[Preset]:
    if not names:
        return list(config.presets)
    chosen: list[Preset] = []
    for name in dict.fromkeys(names):  # a repeated --preset renders once
        preset = config.get(name)
        if preset is None:
            known = ", ".join(p.name for p in config.presets)
            raise UsageError(f"unknown preset {name!r} (known: {known})")
        chosen.append(preset)
    return chosen


def _check_names(files: Sequence[Path]) -> None:
    """Refuse two inputs that would write the same output (out/<preset>/<file name>)."""
    seen: dict[str, Path] = {}
    for path in files:
        other = seen.setdefault(path.name, path)
        if other != path:
            raise UsageError(f"{other} and {path} would both be written as {path.name}")


def _write(target: Path, data: bytes) -> None:
    """Write `data` to `target` through a .part file: never a half-written file under its name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    try:
        tmp.write_bytes(data)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


def render_files(
    files: Sequence[Path],
    out: Path,
    config: Config,
    presets: Sequence[Preset],
    fmt: keys.KeyFormat | None,
    progress: bool,
) -> Iterator[tuple[Path, str | None]]:
    """Render every preset of every file into out/<preset>[.<fmt>]/<file name>.

    Yields (file, error message or None). Output directories follow the key grammar, so
    `--format webp` writes to `out/small.webp/photo.jpg`, as the CDN would name it.
    """
    for path in _progress(files, progress):
        try:
            data = path.read_bytes()
        except OSError as err:
            yield path, f"cannot read: {err.strerror or err}"
            continue
        try:
            rendered = imaging.render_many(data, presets, config.limits, fmt)
        except ResizerError as err:
            yield path, f"{err.code}: {err.message}"
            continue
        try:
            for name, result in rendered.items():
                _write(out / keys.build_variant_key(name, path.name, fmt, token=None), result.data)
        except OSError as err:
            yield path, f"cannot write: {err.strerror or err}"
            continue
        yield path, None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m resizer_lambda")
    sub = parser.add_subparsers(dest="command", required=True)
    render = sub.add_parser("render", help="render presets of local image files")
    render.add_argument("--presets", type=Path, help="presets JSON (default: built-in presets)")
    render.add_argument(
        "--preset", action="append", default=[], help="only this preset (repeatable)"
    )
    render.add_argument("--format", choices=keys.KEY_FORMATS, help="output format override")
    render.add_argument("--out", type=Path, required=True, help="output directory")
    render.add_argument("--quiet", action="store_true", help="no progress bar")
    render.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)

    try:
        config = load_file(args.presets) if args.presets else DEFAULT_CONFIG
        presets = _select(config, args.preset)
        _check_names(args.files)
    except (ResizerError, UsageError) as err:
        print(f"render: {err}", file=sys.stderr)
        return 2
    show_bar = not args.quiet and len(args.files) > 1
    results = render_files(args.files, args.out, config, presets, args.format, show_bar)
    errors = [(path, error) for path, error in results if error]  # printed after the bar
    for path, error in errors:
        print(f"render: {path}: {error}", file=sys.stderr)
    failures = len(errors)
    done = len(args.files) - failures
    print(
        f"rendered {done} of {len(args.files)} file(s) x {len(presets)} preset(s) into {args.out}"
    )
    return 1 if failures else 0
