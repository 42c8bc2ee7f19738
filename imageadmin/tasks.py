"""Thin Celery tasks: they take ids (JSON), never model instances, and call the services.

Services enqueue these by name (`imageadmin.jobs`), never by importing this module, so imports
run one way: tasks -> services. `ImageadminConfig.ready` imports it to register the names.
"""

from __future__ import annotations

from celery import shared_task

from imageadmin import jobs, publishing, reconcile, variants


@shared_task(name=jobs.GENERATE_VARIANTS)
def generate_variants(
    asset_id: int,
    preset_ids: list[int] | None = None,
    job_id: int | None = None,
    formats: list[str] | None = None,
) -> int:
    """Render and store the variants of one asset (plain keys, or `formats`); return how many."""
    return variants.generate(asset_id, preset_ids, job_id, formats)


@shared_task(name=jobs.PURGE_VARIANTS)
def purge_variants(
    asset_ids: list[int] | None = None,
    preset_ids: list[int] | None = None,
    job_id: int | None = None,
    original_keys: list[str] | None = None,
    preset_names: list[str] | None = None,
) -> int:
    """Delete variant objects and rows (None: all assets / all presets); return keys deleted."""
    return variants.purge(asset_ids, preset_ids, job_id, original_keys, preset_names)


@shared_task(name=jobs.SYNC_VARIANTS)
def sync_variants(job_id: int | None = None) -> dict[str, dict[str, int | str]]:
    """Reconcile Variant rows with S3 (scheduled hourly by beat); return counts per preset."""
    return reconcile.sync(job_id)


@shared_task(name=jobs.PUBLISH_PRESETS)
def publish_presets(publication_id: int) -> str:
    """Run a publication the admin started; return its status."""
    return publishing.run_started(publication_id)
