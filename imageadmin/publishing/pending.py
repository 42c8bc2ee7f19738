"""What the admin changed since the last publication: saved, but not live on AWS yet.

Saving a preset changes the database only; the Lambda reads the presets JSON that publishing
writes. The presets list marks "Publish to AWS" with the number of pending changes, and saving a
preset says it is not live until published. Compared with the last succeeded publication's
snapshot: no AWS call, so it can be shown on every page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imageadmin.presets import build_config
from imageadmin.publishing.plan import last_success
from resizer_lambda.errors import ConfigError


@dataclass(frozen=True)
class Pending:
    """The differences between the presets now and what was last published."""

    changes: tuple[str, ...]
    published: bool  # whether anything was ever published

    def __len__(self) -> int:
        return len(self.changes)

    def label(self) -> str:
        if not self.published:
            return "never published"
        count = len(self.changes)
        return f"{count} unpublished change{'' if count == 1 else 's'}" if count else ""


def _by_name(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    # A version 1 snapshot has no `negotiate`: absent is its default, not a change.
    return {
        str(p.get("name")): {"negotiate": False, **p}
        for p in doc.get("presets", [])
        if isinstance(p, dict)
    }


def pending_changes() -> Pending:
    """Return what publishing would change in the presets JSON, one line per change."""
    success = last_success()
    try:
        desired = build_config().to_dict()
    except ConfigError as err:
        return Pending((f"the presets cannot be published: {err.message}",), success is not None)
    if success is None:
        return Pending(tuple(f"preset {name} added" for name in _by_name(desired)), False)
    before, after = _by_name(success.snapshot or {}), _by_name(desired)
    changes = [f"preset {n} added" for n in after if n not in before]
    changes += [f"preset {n} removed" for n in before if n not in after]
    changes += [f"preset {n} changed" for n in after if n in before and after[n] != before[n]]
    for field in sorted(set(desired) | set(success.snapshot or {})):
        if field != "presets" and desired.get(field) != (success.snapshot or {}).get(field):
            changes.append(f"{field} changed")
    return Pending(tuple(changes), True)
