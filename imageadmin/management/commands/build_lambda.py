"""manage.py build_lambda: build the resizer Lambda's deployment zip for one architecture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from imageadmin import lambda_package as pkg
from imageadmin.presets import build_config
from resizer_lambda import presets as contract
from resizer_lambda.errors import ConfigError


def default_output(arch: str, python: str) -> Path:
    return Path(settings.BASE_DIR) / "build" / f"resizer-lambda-py{python}-{arch}.zip"


def default_cache() -> Path:
    # DATA_DIR is the demo site's; a shop's project has only BASE_DIR.
    data_dir = getattr(settings, "DATA_DIR", None) or Path(settings.BASE_DIR) / "var"
    return Path(data_dir) / "cache" / "lambda-wheels"


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


class Command(BaseCommand):
    help = (
        "Build the resizer Lambda's deployment zip: resizer_lambda (modules and schema), Pillow "
        "wheels for the Lambda's platform, and the current presets as resizer_lambda/"
        "presets.json. boto3 comes with Lambda's Python runtime and is not bundled unless "
        "--with-boto3. Deterministic: unchanged input gives the same bytes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--arch",
            required=True,
            choices=pkg.ARCHES,
            help="the function's architecture (the template's Architecture parameter)",
        )
        parser.add_argument(
            "--python",
            default="3.12",
            choices=pkg.PYTHONS,
            help="the runtime's Python version (python3.12 -> 3.12); default 3.12",
        )
        parser.add_argument(
            "--output", "-o", type=Path, help="zip to write; default build/resizer-lambda-*.zip"
        )
        parser.add_argument(
            "--cache",
            type=Path,
            help="wheel cache, so rebuilds resolve offline; default var/cache/lambda-wheels",
        )
        parser.add_argument(
            "--with-boto3",
            action="store_true",
            help="bundle boto3 too (the runtime provides one; pin your own only if needed)",
        )
        network = parser.add_mutually_exclusive_group()
        network.add_argument(
            "--offline", action="store_true", help="use only cached wheels; never download"
        )
        network.add_argument(
            "--refresh",
            action="store_true",
            help="ask the package index for the newest matching wheels even when cached",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        arch: str = options["arch"]
        python: str = options["python"]
        output: Path = options["output"] or default_output(arch, python)
        cache: Path = options["cache"] or default_cache()
        try:
            target = pkg.Target(arch, python)  # type: ignore[arg-type]  # argparse checked it
            text = build_config().to_json()
            contract.loads(text, "presets")  # exactly as the Lambda will read it
        except ConfigError as err:
            raise CommandError(f"the presets are not valid for the resizer: {err.message}") from err
        except DatabaseError as err:
            raise CommandError(
                f"cannot read the presets from the database ({err}); is it migrated?"
            ) from err
        except pkg.BuildError as err:
            raise CommandError(str(err)) from err
        self.stdout.write(f"Building the resizer Lambda for {target.runtime} on {target.arch}")
        try:
            result = pkg.build(
                target,
                text,
                output,
                cache,
                with_boto3=options["with_boto3"],
                offline=options["offline"],
                refresh=options["refresh"],
                progress=self.stdout.write,
            )
        except pkg.BuildError as err:
            raise CommandError(str(err)) from err
        except OSError as err:
            raise CommandError(f"cannot write {output}: {err.strerror or err}") from err
        boto3 = "bundled" if options["with_boto3"] else "provided by the Lambda runtime"
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {result.path}: {_mb(result.zipped_bytes)} zipped, "
                f"{_mb(result.unzipped_bytes)} unzipped, {result.files} files; "
                f"Pillow {result.pillow_version}; boto3 {boto3}"
            )
        )
        self.stdout.write(f"sha256 {result.sha256}")
        self.stdout.write(
            "Deploy: upload it under a new key, e.g. "
            f"resizer/{result.sha256[:16]}.zip, and set the stack's CodeKey to it, "
            f"Architecture={target.arch}, Runtime={target.runtime} (docs/deploy.md)."
        )
