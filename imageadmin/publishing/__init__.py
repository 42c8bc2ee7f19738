"""Publishing: make AWS serve the presets in the database.

`build_plan()` reads the live state and says what would change (the admin page and
`publish --dry-run` show it); `publish()` carries it out in a safe order and records a
`Publication`. The modules: `desired` (pure: routing and lifecycle rules, stale presets),
`bucket` (the bucket configuration's reads and writes, through the `imageadmin.aws` boundary),
`diff` (live vs desired, item by item), `plan` (reads), `apply` (writes and the record; purges
through `imageadmin.purging`) and `background` (the admin's runs on the task queue).
"""

from imageadmin.aws import AwsError
from imageadmin.publishing.apply import (
    STEP_TITLES,
    STEPS,
    Outcome,
    PublishInProgress,
    publish,
    run,
    start,
)
from imageadmin.publishing.background import run_in_background, run_started
from imageadmin.publishing.desired import Refused
from imageadmin.publishing.plan import Plan, build_plan

__all__ = [
    "STEPS",
    "STEP_TITLES",
    "AwsError",
    "Outcome",
    "Plan",
    "PublishInProgress",
    "Refused",
    "build_plan",
    "publish",
    "run",
    "run_in_background",
    "run_started",
    "start",
]
