"""manage.py export_presets: write the presets contract JSON the Lambda reads."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from imageadmin.presets import build_config
from resizer_lambda import presets as contract
from resizer_lambda.errors import ConfigError


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same directory and a rename.

    Readers see the old file or the new one, never half of it; on failure the temporary file is
    removed and `path` is left as it was.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class Command(BaseCommand):
    help = (
        "Write the presets contract (the active presets, every default written out) as JSON, "
        "validated by the resizer's own parser. Standard output unless --output is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", "-o", type=Path, help="file to write (atomically); default: stdout"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            text = build_config().to_json()
            # Re-read what is about to be written, exactly as the Lambda will read it.
            contract.loads(text, "export")
        except ConfigError as err:
            raise CommandError(f"the presets are not valid for the resizer: {err.message}") from err
        output: Path | None = options["output"]
        if output is None:
            self.stdout.write(text, ending="")
            return
        if not output.parent.is_dir():
            raise CommandError(f"{output.parent} is not a directory")
        try:
            write_atomically(output, text)
        except OSError as err:
            raise CommandError(f"cannot write {output}: {err.strerror or err}") from err
        self.stderr.write(f"Wrote {output}")
