"""Variant services: start jobs (generate, warm, purge, sync) and do their work for Celery tasks.

The admin and the asset services call the `start_*` functions; each creates a Job row and
enqueues thin tasks (ids only, JSON) by name through `imageadmin.jobs` once the transaction
commits. The tasks call `generate`, `purge` and `imageadmin.reconcile.sync`, which report
progress on the Job with atomic counter updates, so several tasks of one job can run on several
workers and the last one to finish closes the job.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import batched, chain
from typing import Any

from django.db.models import Case, F, QuerySet, TextField, Value, When
from django.db.models.functions import Concat
from django.utils import timezone

from imageadmin import aws, jobs, purging, storage, versions, warming
from imageadmin import presets as contract_presets
from imageadmin.logs import log_event
from imageadmin.models import Asset, Job, JobStatus, Preset, Variant, VariantStatus
from imageadmin.publishing import desired
from resizer_lambda import imaging, keys
from resizer_lambda.errors import ResizerError
from resizer_lambda.keys import KeyFormat

logger = logging.getLogger(__name__)

GENERATE = "generate"
WARM = "warm"
PURGE = "purge"
SYNC = "sync"
PURGE_CHUNK = 200  # assets per purge task: 200 x presets x 5 keys stays a few delete requests
MAX_NOTES = 50  # failure lines kept in Job.message; the counters keep counting after that


# --- starting jobs ------------------------------------------------------------------------------


def _user(user: Any) -> Any:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _ids(values: Iterable[Any] | None) -> list[int] | None:
    if values is None:
        return None
    return sorted({int(getattr(v, "pk", v)) for v in values})


def _enqueue(job: Job, messages: Sequence[jobs.Send]) -> None:
    """Send `messages` after commit; a broker that cannot be reached fails the job, saying so."""
    job_id = job.pk
    log_event(logger, "job.queued", job=job_id, kind=job.kind, total=job.total, tasks=len(messages))
    if not messages:
        Job.objects.filter(pk=job_id).update(status=JobStatus.DONE, updated_at=timezone.now())
        job.status = JobStatus.DONE
        log_event(logger, "job.finished", job=job_id, kind=job.kind, status=job.status, ms=0)
        return

    def failed(err: Exception) -> None:
        Job.objects.filter(pk=job_id).update(
            status=JobStatus.FAILED, message=jobs.unreachable(err), updated_at=timezone.now()
        )

    jobs.send_on_commit(messages, failed, f"job {job_id}")


def start_generate(
    asset_ids: Iterable[Any], preset_ids: Iterable[Any] | None = None, user: Any = None
) -> Job:
    """Create a Job rendering the active presets (or `preset_ids`) of each asset, one task each."""
    wanted = _ids(asset_ids) or []
    ids = list(Asset.objects.filter(pk__in=wanted).order_by("pk").values_list("pk", flat=True))
    presets = _ids(preset_ids)
    job = Job.objects.create(kind=GENERATE, total=len(ids), created_by=_user(user))
    _enqueue(job, [jobs.Send(jobs.GENERATE_VARIANTS, (a, presets, job.pk)) for a in ids])
    return job


def start_warm(
    asset_ids: Iterable[Any], user: Any = None, preset_ids: Iterable[Any] | None = None
) -> Job | None:
    """Create a Job making every active preset of each asset in the warm formats; None if off.

    Called once an upload (or a replace) has stored its original: the formats are
    IMAGEADMIN_WARM_FORMATS as they are now (`imageadmin.warming`), and each asset is one task
    and one unit of the job (one read, one decode, every preset x format). `preset_ids` limits
    it to those presets (a new focal point re-makes the cover presets only). Returns None,
    making no job, when warming is off ([]) or no preset (of those) is active.
    """
    formats = warming.configured()
    presets = _ids(preset_ids)
    active = Preset.objects.active()
    if presets is not None:
        active = active.filter(pk__in=presets)
    if not formats or not active.exists():
        return None
    wanted = _ids(asset_ids) or []
    ids = list(Asset.objects.filter(pk__in=wanted).order_by("pk").values_list("pk", flat=True))
    job = Job.objects.create(kind=WARM, total=len(ids), created_by=_user(user))
    names = warming.names(formats)
    _enqueue(job, [jobs.Send(jobs.GENERATE_VARIANTS, (a, presets, job.pk, names)) for a in ids])
    return job


def start_purge(
    asset_ids: Iterable[Any] | None = None,
    preset_ids: Iterable[Any] | None = None,
    user: Any = None,
) -> Job:
    """Create a Job deleting the variants of `asset_ids` (all assets if None) x `preset_ids`.

    Original keys and preset names are read now, in the caller's transaction, so the purge still
    knows what to delete when the caller deletes those assets or presets in the same transaction.
    """
    presets = _ids(preset_ids)
    preset_rows = Preset.objects.all() if presets is None else Preset.objects.filter(pk__in=presets)
    names = list(preset_rows.values_list("name", flat=True))
    sends: list[jobs.Send] = []
    if asset_ids is None:
        job = Job.objects.create(kind=PURGE, total=len(names), created_by=_user(user))
        if names:
            sends.append(jobs.Send(jobs.PURGE_VARIANTS, (None, presets, job.pk, None, names)))
    else:
        wanted = _ids(asset_ids) or []
        rows = Asset.objects.filter(pk__in=wanted).order_by("pk").values_list("pk", "original")
        found = [(pk, str(key)) for pk, key in rows]
        job = Job.objects.create(kind=PURGE, total=len(found), created_by=_user(user))
        for chunk in batched(found, PURGE_CHUNK):
            chunk_ids = [pk for pk, _ in chunk]
            chunk_keys = [key for _, key in chunk]
            args = (chunk_ids, presets, job.pk, chunk_keys, names)
            sends.append(jobs.Send(jobs.PURGE_VARIANTS, args))
    _enqueue(job, sends)
    return job


def start_sync(user: Any = None) -> Job:
    """Create a Job reconciling Variant rows with what is in S3 for every active preset."""
    job = Job.objects.create(
        kind=SYNC, total=Preset.objects.active().count(), created_by=_user(user)
    )
    _enqueue(job, [jobs.Send(jobs.SYNC_VARIANTS, (job.pk,))])
    return job


def mark_stale(preset: Preset | int) -> int:
    """Mark the variants of `preset` stale (its output changed); return how many were marked.

    The objects stay where they are (the CDN keeps serving them) until regenerated or purged.
    """
    preset_id = preset.pk if isinstance(preset, Preset) else int(preset)
    return (
        Variant.objects.filter(preset_id=preset_id)
        .exclude(status=VariantStatus.STALE)
        .update(status=VariantStatus.STALE)
    )


# --- job progress -------------------------------------------------------------------------------


def job_running(job_id: int | None) -> None:
    """Move a queued job to running (a no-op for later tasks of the same job)."""
    if job_id is not None:
        Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING, updated_at=timezone.now()
        )


def job_progress(job_id: int | None, *, done: int = 0, failed: int = 0, note: str = "") -> None:
    """Count `done`/`failed` units on the job and close it when every unit is counted.

    Counters move with F() expressions, so concurrent tasks of one job never lose an update.
    """
    if job_id is None:
        return
    now = timezone.now()
    message: Any = F("message")
    if note:
        message = Case(
            When(
                failed__lt=MAX_NOTES,
                then=Concat(F("message"), Value(note.rstrip() + "\n"), output_field=TextField()),
            ),
            default=F("message"),
        )
    Job.objects.filter(pk=job_id).update(
        done=F("done") + done, failed=F("failed") + failed, message=message, updated_at=now
    )
    Job.objects.filter(
        pk=job_id,
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
        total__lte=F("done") + F("failed"),
    ).update(
        status=Case(When(failed=0, then=Value(JobStatus.DONE)), default=Value(JobStatus.FAILED)),
        updated_at=now,
    )
    jobs.log_progress(job_id, done + failed, now)


# --- generate -----------------------------------------------------------------------------------


class _AssetFailed(Exception):
    """One asset could not be processed; the message is for the job page."""


def _render_and_store(
    asset: Asset, preset_ids: list[int] | None, formats: Sequence[KeyFormat | None]
) -> int:
    # The presets as served, at their served tokens (imageadmin.versions): a warmed key holds
    # exactly what the Lambda would render for it, never an unpublished edit.
    presets = [
        p for p in contract_presets.active_presets() if preset_ids is None or p.id in preset_ids
    ]
    if not presets or not formats:
        return 0
    rows = {p.pk: p for p in Preset.objects.filter(pk__in=[p.id for p in presets])}
    try:
        outputs = [(p.spec, fmt) for p in presets for fmt in formats]
        data = storage.read(asset.key)
        rendered = imaging.render_outputs(
            data, outputs, contract_presets.limits(), focal=asset.focal
        )
    except (ResizerError, aws.AwsError) as err:
        raise _AssetFailed(str(err)) from err
    cache_control = contract_presets.cache_control()
    for preset in presets:
        for fmt in formats:
            out = rendered[(preset.name, fmt)]
            key = preset.stored_key(asset, fmt)
            try:
                storage.write(key, out.data, out.content_type, cache_control)
            except aws.AwsError as err:
                raise _AssetFailed(str(err)) from err
            now = timezone.now()
            Variant.objects.update_or_create(
                key=key,
                defaults={
                    "asset": asset,
                    "preset": rows[preset.id],
                    "token": preset.token,
                    "format": out.format,
                    "width": out.width,
                    "height": out.height,
                    "bytes": len(out.data),
                    "status": VariantStatus.READY,
                    "generated_at": now,
                    "last_seen_at": now,
                },
            )
    return len(presets) * len(formats)


def generate(
    asset_id: int,
    preset_ids: list[int] | None = None,
    job_id: int | None = None,
    formats: list[str] | None = None,
) -> int:
    """Render the presets of one asset from one read and one decode; return variants written.

    `formats` (as IMAGEADMIN_WARM_FORMATS spells them) are the keys made per preset; None: the
    plain key only. A broken or missing original fails this asset on the job (with the reason)
    and returns 0: nothing is written, as every output is rendered before the first PUT.
    Retrying would not help, so the task does not retry.
    """
    job_running(job_id)
    try:
        asset = Asset.objects.get(pk=asset_id)
    except Asset.DoesNotExist:
        job_progress(job_id, failed=1, note=f"asset {asset_id}: deleted before it was processed")
        return 0
    try:
        key_formats = [None] if formats is None else warming.parse(formats)
        written = _render_and_store(asset, preset_ids, key_formats)
    except _AssetFailed as err:
        log_event(
            logger,
            "job.asset_failed",
            level=logging.WARNING,
            job=job_id,
            asset=asset_id,
            key=asset.key,
            error=str(err),
        )
        job_progress(job_id, failed=1, note=f"asset {asset_id} ({asset.key}): {err}")
        return 0
    except Exception as err:
        note = f"asset {asset_id} ({asset.key}): internal error {err!r}"
        job_progress(job_id, failed=1, note=note)
        raise
    job_progress(job_id, done=1)
    return written


# --- purge --------------------------------------------------------------------------------------


def variant_keys(
    preset_names: Iterable[str],
    original_key: str,
    tokens: Mapping[str, Iterable[str]] | None = None,
) -> Iterator[str]:
    """Yield every key a variant of `original_key` can have under `preset_names`.

    Unversioned (legacy) keys in every format, and for each of `tokens[name]` (the served token
    and any other a row knows) every format at 1x and 2x. `.auto` is never stored.
    """
    tokens = tokens or {}
    for name in preset_names:
        for fmt in (None, *keys.KEY_FORMATS):
            yield keys.build_variant_key(name, original_key, fmt, token=None)
            for token in sorted(set(tokens.get(name, ()))):
                for density in keys.DENSITIES:
                    yield keys.build_variant_key(
                        name, original_key, fmt, token=token, density=density
                    )


def keys_of_assets(
    original_keys: Iterable[str], preset_names: Iterable[str], rows: QuerySet[Variant]
) -> list[str]:
    """Return, once each, every key the variants of `original_keys` can have under
    `preset_names` (`variant_keys` at every known token), then the keys `rows` record."""
    names = list(preset_names)
    tokens = known_tokens(names)
    doomed = dict.fromkeys(k for key in original_keys for k in variant_keys(names, key, tokens))
    doomed.update(dict.fromkeys(rows.values_list("key", flat=True)))
    return list(doomed)


def known_tokens(preset_names: Iterable[str]) -> dict[str, set[str]]:
    """Return, per preset name, the served token and every token a Variant row carries."""
    names = list(preset_names)
    served = versions.published()
    found: dict[str, set[str]] = {name: set() for name in names}
    for row in Preset.objects.filter(name__in=names):
        try:
            token = served.token(row.name, row.to_contract())
        except ResizerError:
            token = served.token(row.name)
        if token:
            found[row.name].add(token)
    for name in names:
        token = served.token(name)
        if token:
            found[name].add(token)
    rows = Variant.objects.filter(preset__name__in=names).exclude(token="")
    for name, token in rows.values_list("preset__name", "token").distinct():
        found.setdefault(name, set()).add(token)
    return found


def _listed(name: str) -> Iterator[str]:
    """Yield the keys of one preset's variant objects in S3 (both prefixes, listed)."""
    for prefix in desired.variant_prefixes(name):
        for obj in storage.list_prefix(prefix):
            if desired.preset_of_key(obj.key) == name:
                yield obj.key


def _report(job_id: int | None, units: int, label: str, purged: purging.Purged) -> None:
    """Count `units` done (or failed, when the invalidation failed) on the job, saying what.

    Called once the objects are gone and the CDN was told, so the job cannot close first. A
    failed invalidation leaves the objects gone (CloudFront serves its copies until they expire).
    """
    if purged.error is not None:
        log_event(
            logger,
            "job.invalidation_failed",
            level=logging.WARNING,
            job=job_id,
            what=label,
            error=str(purged.error),
        )
        note = f"{label}: variants deleted, but the CloudFront invalidation failed: "
        note += f"{purged.error}; the CDN serves them until they expire"
        job_progress(job_id, failed=units, note=note)
        return
    note = ""
    if purged.invalidation is not None:
        note = f"{label}: CloudFront invalidation {purged.invalidation.id}"
    elif purged.skipped == purging.NO_DISTRIBUTION:
        note = f"{label}: {purging.NO_DISTRIBUTION}: CDN not invalidated"
    job_progress(job_id, done=units, note=note)


def _label(noun: str, items: Sequence[object]) -> str:
    shown = ", ".join(str(i) for i in items[:5])
    return f"{noun} {shown}" + (f" and {len(items) - 5} more" if len(items) > 5 else "")


def purge(
    asset_ids: list[int] | None = None,
    preset_ids: list[int] | None = None,
    job_id: int | None = None,
    original_keys: list[str] | None = None,
    preset_names: list[str] | None = None,
) -> int:
    """Delete the variant objects and rows of `asset_ids` x `preset_ids`; return keys deleted.

    None means all. For given assets the keys are computed (plain and every explicit format);
    for all assets each preset's prefixes are listed. Rows' own keys are deleted too (a renamed
    preset leaves its old keys only there). Rows go after their objects, so a failed delete
    leaves the rows telling the truth. Once the objects are gone their CDN paths are invalidated
    (`imageadmin.purging`), else CloudFront serves its copies for their max-age; a failed
    invalidation fails the job's units but deletes stay deleted.
    """
    job_running(job_id)
    rows = Variant.objects.all()
    if preset_ids is not None:
        rows = rows.filter(preset_id__in=preset_ids)
    if preset_names is None:
        named = Preset.objects.all()
        if preset_ids is not None:
            named = named.filter(pk__in=preset_ids)
        preset_names = list(named.values_list("name", flat=True))
    if asset_ids is None:
        removal = purging.Removal()
        purged: list[str] = []
        for name in preset_names:
            mine = rows.filter(preset__name=name)
            try:
                removal.delete(chain(_listed(name), mine.values_list("key", flat=True)))
            except aws.AwsError as err:
                job_progress(job_id, failed=1, note=f"{name}: purge failed: {err}")
            else:
                mine.delete()
                purged.append(name)
        if purged:
            _report(job_id, len(purged), _label("presets", purged), purging.forget(removal))
        return removal.deleted
    rows = rows.filter(asset_id__in=asset_ids)
    if original_keys is None:
        found = Asset.objects.filter(pk__in=asset_ids).values_list("original", flat=True)
        original_keys = [str(k) for k in found]
    tokens = known_tokens(preset_names)
    computed = [
        k for original in original_keys for k in variant_keys(preset_names, original, tokens)
    ]
    own = list(rows.values_list("key", flat=True))
    try:
        done = purging.purge(computed + own)
    except aws.AwsError as err:
        job_progress(job_id, failed=len(asset_ids), note=f"purge failed: {err}")
        return 0
    rows.delete()
    _report(job_id, len(asset_ids), _label("assets", asset_ids), done)
    return done.removal.deleted
