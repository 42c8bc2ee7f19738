"""The listing sync at scale: a million variant objects in bounded memory, in a minute or less.

No S3 here: `storage.list_prefix` is replaced by a generator of StoredObjects, as the paginator
yields them (the moto round-trips are in test_sync.py). One object in a thousand belongs to an
Asset, so rows are created, updated and removed as in a real bucket, and the rest are variants of
originals the database does not know (counted, left alone). tracemalloc measures what Python
allocates while the sync runs: the peak must not grow with the number of objects.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from imageadmin import reconcile, storage
from imageadmin.models import Asset, Preset, Variant

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

LISTED_AT = datetime(2026, 12, 1, tzinfo=UTC)
EVERY = 1000  # one listed object in EVERY has an Asset
GONE = 700  # rows whose objects are not listed any more (lifecycle expired them)
MEMORY_BOUND = 20 * 1024 * 1024  # bytes: far below what a million rows or keys would take


def original(i: int) -> str:
    return f"originals/scale/{i:07d}.jpg"


def listing(prefix: str, count: int) -> Iterator[storage.StoredObject]:
    """Yield `count` objects under `prefix`, as list_prefix does, without keeping any."""
    if not prefix.endswith("/"):
        return  # nothing under <preset>.<fmt>/ here
    for i in range(count):
        yield storage.StoredObject(f"{prefix}{original(i)}", 1000 + i % 97, LISTED_AT)


def make_assets(count: int) -> None:
    Asset.objects.bulk_create(
        Asset(
            original=original(i),
            original_name=f"{i}.jpg",
            width=1600,
            height=1000,
            format="jpeg",
            bytes=1,
            sha256=f"{i:064x}",
        )
        for i in range(0, count, EVERY)
    )


def run(
    preset: Preset, count: int, monkeypatch: pytest.MonkeyPatch
) -> tuple[reconcile.PresetSync, int, float]:
    """Sync `preset` against a listing of `count` objects; return its stats, peak and seconds."""
    monkeypatch.setattr(reconcile.storage, "list_prefix", lambda prefix: listing(prefix, count))
    tracemalloc.start()
    begun = time.monotonic()
    try:
        stats = reconcile.sync_preset(preset, {preset.name}, timezone.now())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return stats, peak, time.monotonic() - begun


def test_a_million_objects_sync_in_bounded_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    small = Preset.objects.get(name="small")
    make_assets(1_000_000)
    gone_asset = Asset.objects.first()
    assert gone_asset is not None
    long_ago = timezone.now() - timedelta(days=2)
    Variant.objects.bulk_create(
        Variant(asset=gone_asset, preset=small, key=f"small/gone/{j}.jpg", last_seen_at=long_ago)
        for j in range(GONE)
    )

    first, first_peak, _ = run(small, 50_000, monkeypatch)
    assert (first.objects, first.created, first.removed) == (50_000, 50, GONE)

    stats, peak, seconds = run(small, 1_000_000, monkeypatch)
    print(f"\n1,000,000 objects: peak {peak / 2**20:.1f} MiB, {seconds:.1f} s")

    assert stats.objects == 1_000_000
    assert (stats.created, stats.unchanged, stats.removed) == (950, 50, 0)
    assert stats.orphans == 1_000_000 - 1000
    assert Variant.objects.filter(preset=small).count() == 1000
    row = Variant.objects.get(key=f"small/{original(5000)}")
    assert (row.bytes, row.format, row.width, row.height) == (1000 + 5000 % 97, "jpeg", 150, 94)
    # Twenty times the objects, about the same memory: nothing is kept per object.
    assert peak < MEMORY_BOUND
    assert peak < 2 * first_peak + 2**20
