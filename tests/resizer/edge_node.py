"""node for the CloudFront Function's tests: find it, run its test file, run the function itself.

The function (resizer_lambda/edge/negotiate.js) is JavaScript, so its own tests are node's
(`edge_function.test.mjs`); pytest runs them, and the Python port's tests ask node for the
function's answers (`edge_function_run.mjs`). Without node >= 18 (`node --test`) those tests are
skipped with that reason.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
CASES_FILE = HERE / "edge_accept_cases.json"
TEST_FILE = HERE / "edge_function.test.mjs"
RUN_FILE = HERE / "edge_function_run.mjs"
MIN_NODE = 18


@cache
def node() -> str | None:
    """Return the path of a node >= 18, or None."""
    found = shutil.which("node")
    if found is None:
        return None
    done = subprocess.run([found, "--version"], capture_output=True, text=True, check=False)
    match = re.match(r"v(\d+)\.", done.stdout.strip())
    return found if match and int(match.group(1)) >= MIN_NODE else None


needs_node = pytest.mark.skipif(
    node() is None,
    reason=f"node >= {MIN_NODE} is not installed: the CloudFront Function is JavaScript, "
    "tested with `node --test` (install nodejs to run these tests)",
)


def cases() -> dict[str, Any]:
    """Return the shared table of Accept headers and URIs."""
    data: dict[str, Any] = json.loads(CASES_FILE.read_text(encoding="utf-8"))
    return data


def run_function(pairs: list[tuple[str, str | None]]) -> list[str]:
    """Return the URIs the JavaScript function makes of (uri, accept) viewer requests."""
    exe = node()
    assert exe is not None
    done = subprocess.run(
        [exe, str(RUN_FILE)],
        input=json.dumps(pairs),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    uris: list[str] = json.loads(done.stdout)
    return uris
