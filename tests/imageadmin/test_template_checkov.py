"""checkov on the CloudFormation template: no failed check, and every skip says why.

checkov runs offline (`--skip-download`, `BC_SKIP_MAPPING=TRUE`) from its own virtualenv,
`.venv/checkov`, which `make` creates from requirements-checkov.txt (checkov pins a boto3 the
Lambda's cannot live with). A skip lives in the skipped resource's `Metadata.checkov.skip` with a
one-line `comment`; a skip that no longer matches a finding is reported too, so the list stays
the list of real exceptions.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.imageadmin.test_template import TEMPLATE, template

# Checks the template must pass by configuration, never by a skip (docs/deploy.md).
MUST_PASS = {
    ("CKV_AWS_115", "AWS::Lambda::Function.ResizerFunction"),  # reserved concurrency
    ("CKV_AWS_76", "AWS::ApiGateway::Stage.ResizeStage"),  # access logs
    ("CKV_AWS_66", "AWS::Logs::LogGroup.ResizerLogGroup"),  # retention
    ("CKV_AWS_66", "AWS::Logs::LogGroup.ApiAccessLogGroup"),
    ("CKV_AWS_34", "AWS::CloudFront::Distribution.Distribution"),  # viewers on HTTPS
}


def checkov_command() -> str:
    """Return the checkov executable: $CHECKOV, the Makefile's .venv/checkov, or PATH."""
    candidates = [
        os.environ.get("CHECKOV", ""),
        str(REPO_ROOT / ".venv" / "checkov" / "bin" / "checkov"),
        shutil.which("checkov") or "",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail("checkov is not installed: run `make .venv/.installed` (or set CHECKOV=...)")


@cache
def report() -> dict[str, Any]:
    """Run checkov once on the template and return its JSON report."""
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [
            checkov_command(),
            "--file",
            str(TEMPLATE.relative_to(REPO_ROOT)),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--output",
            "json",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # 0: all passed; 1: something failed. Anything else is checkov itself failing.
    assert done.returncode in (0, 1), done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def template_skips() -> list[tuple[str, str, dict[str, Any]]]:
    """Return (resource type.name, check id, skip entry) for every skip in the template."""
    found = []
    for name, res in template()["Resources"].items():
        for skip in (res.get("Metadata") or {}).get("checkov", {}).get("skip", []):
            found.append((f"{res['Type']}.{name}", skip.get("id", ""), skip))
    return found


def test_checkov_finds_no_failed_check() -> None:
    result = report()
    summary = result["summary"]
    failed = [
        f"{c['check_id']} {c['resource']}: {c['check_name']}"
        for c in result["results"]["failed_checks"]
    ]
    assert failed == []
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] == len(template()["Resources"])


def test_what_must_be_configured_passes_instead_of_being_skipped() -> None:
    passed = {(c["check_id"], c["resource"]) for c in report()["results"]["passed_checks"]}
    assert passed >= MUST_PASS


def test_every_skip_has_a_one_line_reason() -> None:
    skips = template_skips()
    assert skips
    for resource, check_id, skip in skips:
        assert set(skip) == {"id", "comment"}, (resource, skip)
        assert check_id.startswith("CKV"), (resource, skip)
        comment = skip["comment"]
        assert isinstance(comment, str), (resource, check_id)
        assert comment.strip(), (resource, check_id)
        assert "\n" not in comment, (resource, check_id)


def test_every_skip_matches_a_finding_and_carries_its_reason() -> None:
    skipped = {
        (c["check_id"], c["resource"]): c["check_result"].get("suppress_comment")
        for c in report()["results"]["skipped_checks"]
    }
    declared = {
        (check_id, resource): skip["comment"] for resource, check_id, skip in template_skips()
    }
    assert skipped == declared
