"""The CloudFront Function's node tests (edge_function.test.mjs) run as part of the suite."""

from __future__ import annotations

import re
import subprocess

from tests.resizer.edge_node import TEST_FILE, cases, needs_node, node


@needs_node
def test_the_node_tests_of_the_cloudfront_function_pass() -> None:
    exe = node()
    assert exe is not None
    done = subprocess.run(
        [exe, "--test", "--test-reporter=tap", str(TEST_FILE)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-6000:]
    passed = re.search(r"^# pass (\d+)$", report, flags=re.MULTILINE)
    assert passed, report[-2000:]
    # One test per Accept row and per URI row, plus the rest: nothing was silently skipped.
    table = cases()
    assert int(passed.group(1)) >= len(table["accept"]) + len(table["uris"]) + 5
    assert "# fail 0" in report


def test_every_accept_row_names_an_outcome_every_uri_row_has() -> None:
    table = cases()
    outcomes = {row["expect"] for row in table["accept"]}
    assert outcomes == {"avif", "webp", ""}
    for row in table["uris"]:
        assert set(row) >= {"name", "uri", "avif", "webp", ""}, row["name"]
    names = [row["name"] for row in table["accept"] + table["uris"]]
    assert len(names) == len(set(names))
