"""Carry out a plan and record every step of it on a Publication.

Order: the presets JSON, the website and the lifecycle configuration first; then, once no
Lambda container can still hold the old presets, the stale variants are deleted; then CloudFront
is told to forget them. Deleting before the Lambda knows the new presets would let it remake a
variant the old way; invalidating before deleting would let CloudFront fetch the stale object
again. A step whose live state already equals the desired one is skipped, so a second run
writes nothing, and a failed run is finished by the next one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone

from imageadmin import aws, purging
from imageadmin.conf import conf
from imageadmin.logs import duration_ms, log_event, summary
from imageadmin.models import Publication, PublicationStatus, Variant, VariantStatus
from imageadmin.publishing import bucket, desired
from imageadmin.publishing.plan import (
    INVALIDATE,
    LIFECYCLE,
    PRESETS_JSON,
    PURGE,
    SETTLE,
    TITLES,
    WEBSITE,
    Plan,
    build_plan,
    variant_keys,
    variant_rows,
)
from resizer_lambda.errors import ConfigError

logger = logging.getLogger(__name__)

READ = "read"
STEPS = (READ, PRESETS_JSON, WEBSITE, LIFECYCLE, SETTLE, PURGE, INVALIDATE)
STEP_TITLES = {READ: "Read the live AWS state", **TITLES}
# A publication still "running" after this long died with its process (a killed worker).
INTERRUPTED_AFTER = timedelta(minutes=30)


class Outcome(StrEnum):
    OK = "ok"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    FAILED = "failed"
    NOT_RUN = "not_run"
    DRY_RUN = "dry_run"


class PublishInProgress(Exception):
    """Another publication is running; two at once could undo each other's writes."""


OnStep = Callable[[Publication, dict[str, Any]], None]


def start(user: Any = None, via: str = "command", dry_run: bool = False) -> Publication:
    """Create the running Publication row, refusing while another (real) one is running.

    Rows left running by a process that died are closed as failed first, so they neither
    block publishing forever nor count as the baseline.
    """
    now = timezone.now()
    with transaction.atomic():
        Publication.objects.filter(
            status=PublicationStatus.RUNNING, created_at__lt=now - INTERRUPTED_AFTER
        ).update(
            status=PublicationStatus.FAILED,
            error="interrupted: the process ended before the publication finished",
            finished_at=now,
        )
        running = Publication.objects.filter(status=PublicationStatus.RUNNING, dry_run=False)
        if not dry_run and running.exists():
            other = running.order_by("created_at").first()
            raise PublishInProgress(f"{other} is still running; try again when it has finished")
        authenticated = user is not None and getattr(user, "is_authenticated", False)
        return Publication.objects.create(
            created_by=user if authenticated else None,
            via=via,
            dry_run=dry_run,
            steps=[_blank(name) for name in STEPS],
        )


def _blank(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "title": STEP_TITLES[name],
        "outcome": Outcome.NOT_RUN.value,
        "detail": "",
        "request_ids": [],
        "error": "",
        "data": {},
    }


class _Recorder:
    """Write each step's outcome to the Publication as it happens (the page shows progress)."""

    def __init__(self, publication: Publication, on_step: OnStep | None) -> None:
        self.publication = publication
        self.on_step = on_step
        self.current = READ  # the step running now, for an unexpected error
        if not publication.steps:
            publication.steps = [_blank(name) for name in STEPS]

    def record(
        self,
        name: str,
        outcome: Outcome,
        detail: str = "",
        request_ids: Iterable[str] = (),
        error: str = "",
        data: dict[str, Any] | None = None,
    ) -> None:
        step = {
            **_blank(name),
            "outcome": outcome.value,
            "detail": detail,
            "request_ids": [r for r in request_ids if r],
            "error": error,
            "data": data or {},
        }
        self.publication.steps = [step if s["name"] == name else s for s in self.publication.steps]
        self.publication.save(update_fields=["steps"])
        log_event(
            logger,
            "publish.step",
            level=logging.WARNING if outcome == Outcome.FAILED else logging.INFO,
            publication=self.publication.pk,
            dry_run=self.publication.dry_run,
            step=name,
            outcome=outcome.value,
            detail=detail,
            error=error,
            data=summary(step["data"]),
        )
        index = STEPS.index(name)
        self.current = STEPS[min(index + 1, len(STEPS) - 1)]
        if self.on_step is not None:
            self.on_step(self.publication, step)

    def finish(self, status: PublicationStatus, failed_step: str = "", error: str = "") -> None:
        pub = self.publication
        pub.status = status
        pub.failed_step = failed_step
        pub.error = error
        pub.finished_at = timezone.now()
        pub.save(update_fields=["status", "failed_step", "error", "finished_at"])
        log_event(
            logger,
            "publish.finished",
            level=logging.WARNING if status == PublicationStatus.FAILED else logging.INFO,
            publication=pub.pk,
            dry_run=pub.dry_run,
            status=status.value,
            failed_step=failed_step,
            error=error,
            ms=duration_ms(pub.created_at, pub.finished_at),
        )


def run(
    publication: Publication,
    *,
    sleep: Callable[[float], None] = time.sleep,
    on_step: OnStep | None = None,
) -> Publication:
    """Publish (or, for a dry run, only plan) and record the outcome on `publication`."""
    rec = _Recorder(publication, on_step)
    log_event(
        logger,
        "publish.started",
        publication=publication.pk,
        dry_run=publication.dry_run,
        via=publication.via,
    )
    try:
        plan = build_plan(count_objects=True)
    except Exception as err:
        if isinstance(err, aws.AwsError | ConfigError | desired.Refused):
            message = getattr(err, "message", None) or str(err)
        else:  # a bug: record it, keep the traceback in the log
            log_event(
                logger,
                "publish.internal_error",
                level=logging.ERROR,
                exc_info=True,
                publication=publication.pk,
                step=READ,
            )
            message = f"internal error: {err!r}"
        rids = [err.request_id] if isinstance(err, aws.AwsError) else []
        rec.record(READ, Outcome.FAILED, error=message, request_ids=rids)
        rec.finish(PublicationStatus.FAILED, READ, message)
        return publication
    publication.snapshot = plan.snapshot
    publication.changes = plan.as_dict()
    publication.save(update_fields=["snapshot", "changes"])
    log_event(
        logger,
        "publish.planned",
        publication=publication.pk,
        dry_run=publication.dry_run,
        changed=[s.name for s in plan.steps if s.changed],
        purges=[p.change.name for p in plan.purges],
        owed_paths=len(plan.pending_paths),
    )
    rec.record(
        READ,
        Outcome.OK,
        f"compared with {plan.baseline}",
        [s.request_id for s in plan.steps],
    )
    if publication.dry_run:
        _dry_run(plan, rec)
        rec.finish(PublicationStatus.DRY_RUN)
        return publication
    try:
        wrote_config = _config_steps(plan, rec)
        _settle(plan, rec, wrote_config, sleep)
        paths = _purge(plan, rec)
        _invalidate(plan, rec, paths)
        retire_rows(plan.served_tokens())
    except _StepFailed as failed:
        rec.finish(PublicationStatus.FAILED, failed.step, failed.message)
        return publication
    except Exception as err:  # a bug: record it, keep the traceback in the log
        log_event(
            logger,
            "publish.internal_error",
            level=logging.ERROR,
            exc_info=True,
            publication=publication.pk,
            step=rec.current,
        )
        rec.record(rec.current, Outcome.FAILED, error=f"internal error: {err!r}")
        rec.finish(PublicationStatus.FAILED, rec.current, f"internal error: {err!r}")
        return publication
    rec.finish(PublicationStatus.SUCCEEDED)
    return publication


def retire_rows(tokens: dict[str, str]) -> int:
    """Mark each preset's rows stale unless at its served token (ready if at it); return changed.

    Once published, a variant at another token (or an unversioned legacy key) is no longer
    handed out: its URL redirects and lifecycle expires it, so the figures count it as stale.
    """
    changed = 0
    for name, token in tokens.items():
        rows = Variant.objects.filter(preset__name=name)
        changed += (
            rows.exclude(token=token)
            .exclude(status=VariantStatus.STALE)
            .update(status=VariantStatus.STALE)
        )
        changed += rows.filter(token=token, status=VariantStatus.STALE).update(
            status=VariantStatus.READY
        )
    return changed


def publish(
    *,
    dry_run: bool = False,
    user: Any = None,
    via: str = "command",
    sleep: Callable[[float], None] = time.sleep,
    on_step: OnStep | None = None,
) -> Publication:
    """Start and run a publication; raise PublishInProgress if another one is running."""
    return run(start(user, via, dry_run), sleep=sleep, on_step=on_step)


class _StepFailed(Exception):
    def __init__(self, step: str, message: str) -> None:
        self.step = step
        self.message = message
        super().__init__(message)


def _config_steps(plan: Plan, rec: _Recorder) -> bool:
    """Write each configuration document that differs; return whether the presets changed."""
    writers: dict[str, Callable[[Any], aws.Answer]] = {
        PRESETS_JSON: lambda d: bucket.write_config(
            conf.IMAGEADMIN_PRESETS_KEY, str(d).encode("utf-8")
        ),
        WEBSITE: bucket.write_website,
        LIFECYCLE: bucket.write_lifecycle,
    }
    wrote_config = False
    for step in plan.steps:
        if not step.changed:
            rec.record(step.name, Outcome.UNCHANGED, "AWS already matches")
            continue
        try:
            answer = writers[step.name](step.desired)
        except aws.AwsError as err:
            rec.record(step.name, Outcome.FAILED, step.summary(), [err.request_id], str(err))
            raise _StepFailed(step.name, str(err)) from err
        rec.record(step.name, Outcome.OK, step.summary(), [answer.request_id])
        wrote_config = wrote_config or step.name == PRESETS_JSON
    return wrote_config


def _settle(plan: Plan, rec: _Recorder, wrote_config: bool, sleep: Callable[[float], None]) -> None:
    """Wait until every Lambda container has re-read the presets, if anything is to be purged."""
    if not plan.purges:
        rec.record(SETTLE, Outcome.SKIPPED, "nothing to purge")
        return
    seconds = max(0, int(conf.IMAGEADMIN_PUBLISH_SETTLE_SECONDS))
    now = timezone.now()
    written = now if wrote_config else plan.config_last_modified
    remaining = (written + timedelta(seconds=seconds) - now).total_seconds() if written else 0
    if remaining <= 0:
        why = (
            "IMAGEADMIN_PUBLISH_SETTLE_SECONDS is 0"
            if not seconds
            else f"the presets JSON is older than {seconds} s"
        )
        rec.record(SETTLE, Outcome.SKIPPED, why)
        return
    sleep(remaining)
    rec.record(SETTLE, Outcome.OK, f"waited {remaining:.0f} s (IMAGEADMIN_PUBLISH_SETTLE_SECONDS)")


def _purge(plan: Plan, rec: _Recorder) -> list[str]:
    """Delete the stale presets' variant objects and rows; return the paths to invalidate."""
    if not plan.purges:
        detail = "no preset changed since " + plan.baseline
        rec.record(PURGE, Outcome.SKIPPED, detail)
        return list(plan.pending_paths)
    removal = purging.Removal()
    started: list[str] = []
    rows: dict[str, int] = {}
    try:
        for item in plan.purges:
            name = item.change.name
            started.append(name)
            removal.delete(variant_keys(name))
            rows[name] = variant_rows(name).delete()[0]
    except (aws.AwsError, desired.Refused) as err:
        paths, _ = _paths(plan, removal)
        rid = [err.request_id] if isinstance(err, aws.AwsError) else []
        data = _purge_data(started, removal, rows, paths)
        rec.record(PURGE, Outcome.FAILED, "", removal.request_ids + rid, str(err), data)
        raise _StepFailed(PURGE, str(err)) from err
    paths, wildcard = _paths(plan, removal)
    detail = ", ".join(f"{n}: {removal.counts.get(n, 0)} objects" for n in started)
    if wildcard:
        detail += f"; over {desired.MAX_INVALIDATION_PATHS} paths: invalidating by wildcard"
    data = _purge_data(started, removal, rows, paths)
    rec.record(PURGE, Outcome.OK, detail, removal.request_ids, data=data)
    return paths


def _purge_data(
    started: list[str], removal: purging.Removal, rows: dict[str, int], paths: list[str]
) -> dict[str, Any]:
    """Return the purge step's record; `invalidation_paths` is what a later run owes the CDN."""
    return {
        "deleted": {n: removal.counts.get(n, 0) for n in started},
        "rows_deleted": rows,
        "invalidation_paths": paths,
    }


def _paths(plan: Plan, removal: purging.Removal) -> tuple[list[str], bool]:
    """Return the paths to invalidate: deleted keys, owed paths, gone presets' wildcards.

    A preset that is no longer published but has no objects left (the purge job its deletion
    started got there first) is invalidated by wildcard: CloudFront may still hold its variants.
    """
    paths, wildcard = removal.paths()
    gone = [p.change.name for p in plan.purges if p.change.removed]
    gone = [name for name in gone if not removal.counts.get(name)]
    union = sorted(set(paths) | set(plan.pending_paths) | set(desired.wildcard_paths(gone)))
    if len(union) <= desired.MAX_INVALIDATION_PATHS:
        return union, wildcard
    names = [n for n, c in removal.counts.items() if c] + plan.pending_names + gone
    return desired.wildcard_paths(names), True


def _invalidate(plan: Plan, rec: _Recorder, paths: list[str]) -> None:
    if not paths:
        rec.record(INVALIDATE, Outcome.SKIPPED, "nothing was deleted")
        return
    if not plan.distribution_id:
        note = f"{purging.NO_DISTRIBUTION}: {len(paths)} path(s) not sent"
        rec.record(INVALIDATE, Outcome.SKIPPED, note, data={"paths": paths})
        return
    reference = purging.reference_for(f"imageadmin-publication-{rec.publication.pk}", paths)
    try:
        inv = purging.invalidate(plan.distribution_id, paths, reference)
    except aws.AwsError as err:
        data = {"paths": paths, "distribution": plan.distribution_id}
        rec.record(INVALIDATE, Outcome.FAILED, "", [err.request_id], str(err), data)
        raise _StepFailed(INVALIDATE, str(err)) from err
    rec.record(
        INVALIDATE,
        Outcome.OK,
        f"invalidation {inv.id} of {len(paths)} path(s): {inv.status}",
        [inv.request_id],
        data={"id": inv.id, "status": inv.status, "distribution": inv.distribution, "paths": paths},
    )


def _dry_run(plan: Plan, rec: _Recorder) -> None:
    """Record what each step would do; nothing is written."""
    for step in plan.steps:
        outcome = Outcome.DRY_RUN if step.changed else Outcome.UNCHANGED
        rec.record(step.name, outcome, step.summary())
    purge = ", ".join(f"{p.change.name}: {p.objects} objects" for p in plan.purges)
    rec.record(SETTLE, Outcome.DRY_RUN if plan.purges else Outcome.SKIPPED)
    rec.record(PURGE, Outcome.DRY_RUN if plan.purges else Outcome.SKIPPED, purge or "nothing")
    owed = len(plan.pending_paths)
    detail = f"{owed} owed path(s) and the purged keys" if owed else "the purged keys, if any"
    has_work = bool(plan.purges or owed)
    rec.record(INVALIDATE, Outcome.DRY_RUN if has_work else Outcome.SKIPPED, detail)
