"""Services enqueue tasks by name through imageadmin.jobs; imports run tasks -> services only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from celery import current_app

from imageadmin import jobs

APP = Path(__file__).resolve().parents[2] / "imageadmin"
TASK_NAMES = (jobs.GENERATE_VARIANTS, jobs.PURGE_VARIANTS, jobs.SYNC_VARIANTS, jobs.PUBLISH_PRESETS)


def _imports(path: Path) -> set[str]:
    """Return every module `path` imports, with `from a import b` counted as `a` and `a.b`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize(
    "path",
    sorted(p for p in APP.rglob("*.py") if p.name != "tasks.py" and p.name != "apps.py"),
    ids=lambda p: str(p.relative_to(APP)),
)
def test_no_module_but_the_app_config_imports_the_tasks(path: Path) -> None:
    assert "imageadmin.tasks" not in _imports(path)


def test_every_job_name_is_a_registered_task() -> None:
    assert set(TASK_NAMES) <= set(current_app.tasks)
