"""The Lambda must never import Django: the seam is the presets JSON only."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO_ROOT


def test_handler_imports_without_django() -> None:
    code = (
        "import json, sys\n"
        "import resizer_lambda.handler, resizer_lambda.cli\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('django', 'imageadmin', 'jsonschema', 'tqdm'))))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert json.loads(out.stdout) == []
