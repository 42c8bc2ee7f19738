"""docs/integrate.md and the declared dependencies agree with the code that owns each fact."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

from imageadmin import checks
from imageadmin.conf import DEFAULTS

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "integrate.md").read_text()
_ROW_RE = re.compile(r"^\| `(IMAGEADMIN_\w+)` \| `([^`]*)` \| (.+) \|$", re.MULTILINE)
_CHECK_ID_RE = re.compile(r"imageadmin\.[EW]\d{3}")


def test_every_setting_is_documented_with_its_default() -> None:
    documented = {name: ast.literal_eval(default) for name, default, _ in _ROW_RE.findall(DOC)}
    assert documented == DEFAULTS


def test_every_check_id_is_explained() -> None:
    source = Path(checks.__file__).read_text()
    table = {m for line in DOC.splitlines() if line.startswith("| `imageadmin.") for m in
             _CHECK_ID_RE.findall(line)}  # fmt: skip
    assert table == set(_CHECK_ID_RE.findall(source))


def test_runtime_pins_the_lambda_shares_match_its_requirements() -> None:
    """Pillow, zlib-ng, pyvips-binary and boto3 run on both sides, pinned alike in both files."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lambda_reqs = [
        line.strip()
        for line in (ROOT / "resizer_lambda" / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lambda_reqs
    assert set(lambda_reqs) <= set(project["dependencies"])


def test_version_has_one_owner() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project
    assert project["dynamic"] == ["version"]


_EVENT_CALL_RE = re.compile(r"log_event\(\s*logger,\s*\"([a-z_]+\.[a-z_]+)\"")
_EVENT_ROW_RE = re.compile(r"^\| `([a-z_]+\.[a-z_]+)` \|", re.MULTILINE)


def test_every_log_event_is_in_the_logs_table() -> None:
    app = ROOT / "imageadmin"
    logged = {m for path in app.rglob("*.py") for m in _EVENT_CALL_RE.findall(path.read_text())}
    assert len(logged) > 20  # the pattern still finds the calls
    assert set(_EVENT_ROW_RE.findall(DOC)) == logged
