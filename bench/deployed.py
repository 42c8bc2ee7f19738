"""The Lambda's Pillow settings, read from the template, for the bench to run as deployed.

Pillow reads `PILLOW_BLOCKS_MAX`, `PILLOW_BLOCK_SIZE` and `PILLOW_ALIGNMENT` once, when
`PIL.Image` is first imported, so `run.py` applies them to its own environment before importing
anything that imports Pillow; the fresh interpreters it starts (peak RSS, import cost,
`--alt-pillow`) inherit them. Imports nothing but the standard library.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent / "resizer_lambda" / "template.yaml"
# `          PILLOW_BLOCKS_MAX: "16"` in the function's Environment.Variables.
_SETTING = re.compile(r'^\s+(PILLOW_[A-Z_]+):\s*"?(\d+)"?\s*$', re.MULTILINE)


def deployed_pillow_env(template: Path = TEMPLATE) -> dict[str, str]:
    """Return the PILLOW_* variables the template gives the resizer function."""
    return dict(_SETTING.findall(template.read_text(encoding="utf-8")))


def apply() -> dict[str, str]:
    """Set the deployed PILLOW_* variables here (a value already set in the shell wins)."""
    settings = deployed_pillow_env()
    for name, value in settings.items():
        os.environ.setdefault(name, value)
    return {name: os.environ[name] for name in settings}
