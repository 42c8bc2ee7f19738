"""Purge variants: delete their objects, then make the CDN forget exactly their paths.

A variant is stored with `Cache-Control: max-age` of a year, so CloudFront would go on serving a
deleted variant from its cache for that long. Every way a variant leaves (a purge job in
`imageadmin.variants`, a deleted asset in `imageadmin.assets`, a publication of a changed preset
in `imageadmin.publishing.apply`) therefore deletes through a `Removal` and then invalidates
what it removed: one path per key, or the presets' wildcards past 1,000 paths. The order
matters: invalidating before the delete would let CloudFront fetch the stale object again.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from imageadmin import aws, storage
from imageadmin.conf import conf
from imageadmin.logs import log_event
from imageadmin.publishing import desired

logger = logging.getLogger(__name__)

NO_DISTRIBUTION = "IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID is empty"


def _protected() -> tuple[str, ...]:
    return desired.protected_prefixes(conf.IMAGEADMIN_ORIGINALS_PREFIX, conf.IMAGEADMIN_PRESETS_KEY)


@dataclass
class Removal:
    """Variant objects deleted so far: counted per preset, their keys kept for the invalidation.

    At most MAX_INVALIDATION_PATHS + 1 distinct keys are kept (a preset can have millions of
    variants): past that many paths the invalidation is the presets' wildcards whatever the rest
    are. Keys that are not variants (an original, the presets JSON: never served by the CDN) are
    deleted but neither counted nor invalidated.
    """

    deleted: int = 0  # keys deleted (asked for: S3 does not say which existed)
    counts: dict[str, int] = field(default_factory=dict)  # variant keys deleted, per preset
    request_ids: list[str] = field(default_factory=list)
    kept: dict[str, None] = field(default_factory=dict)

    def delete(self, keys: Iterable[str]) -> int:
        """Delete `keys`, 1000 per request, recording each batch once S3 has deleted it.

        Return how many keys were deleted. The first failure raises an `aws.AwsError`; what the
        batches before it deleted stays recorded here, so it can still be invalidated.
        """
        protected = _protected()
        done = 0
        for batch in itertools.batched(keys, storage.DELETE_BATCH):
            self.request_ids.append(storage.delete_batch(batch))
            self.deleted += len(batch)
            done += len(batch)
            for key in batch:
                preset = desired.preset_of_key(key)
                if preset is None or key.startswith(protected):
                    continue
                self.counts[preset] = self.counts.get(preset, 0) + 1
                if len(self.kept) <= desired.MAX_INVALIDATION_PATHS:
                    self.kept.setdefault(key)
        if done:
            log_event(logger, "purge.deleted", keys=done, variants=dict(self.counts))
        return done

    def paths(self) -> tuple[list[str], bool]:
        """Return the CDN paths of the deleted variants, and whether they are wildcards."""
        if len(self.kept) > desired.MAX_INVALIDATION_PATHS:
            return desired.wildcard_paths(n for n, c in self.counts.items() if c), True
        by_preset: dict[str, list[str]] = {}
        for key in self.kept:
            by_preset.setdefault(desired.preset_of_key(key) or "", []).append(key)
        return desired.invalidation_paths(by_preset)


@dataclass(frozen=True)
class Invalidation:
    """A CloudFront invalidation that was created."""

    id: str
    status: str
    request_id: str
    distribution: str
    paths: list[str]


def reference_for(owner: str, paths: Sequence[str]) -> str:
    """Return a caller reference: the same owner and paths make the same reference.

    CloudFront answers a repeated reference with the first invalidation instead of a second one,
    so a retried publication does not pay twice.
    """
    digest = hashlib.sha256("\n".join(paths).encode()).hexdigest()[:16]
    return f"{owner}-{digest}"


def invalidate(distribution: str, paths: list[str], reference: str = "") -> Invalidation:
    """Create a CloudFront invalidation of `paths` (raise `aws.AwsError` when it fails)."""
    try:
        answer = aws.call(
            "CreateInvalidation",
            aws.cloudfront().create_invalidation,
            DistributionId=distribution,
            InvalidationBatch={
                "Paths": {"Quantity": len(paths), "Items": paths},
                "CallerReference": reference or uuid.uuid4().hex,
            },
        )
    except aws.AwsError as err:
        log_event(
            logger,
            "cdn.invalidation_failed",
            level=logging.WARNING,
            distribution=distribution,
            paths=len(paths),
            error=str(err),
            request_id=err.request_id,
        )
        raise
    made = answer.value["Invalidation"]
    done = Invalidation(
        str(made.get("Id", "")), str(made.get("Status", "")), answer.request_id, distribution, paths
    )
    log_event(
        logger,
        "cdn.invalidated",
        distribution=distribution,
        id=done.id,
        status=done.status,
        paths=len(paths),
        wildcard=any(p.endswith("*") for p in paths),
    )
    return done


@dataclass(frozen=True)
class Purged:
    """A removal and what became of its invalidation."""

    removal: Removal
    invalidation: Invalidation | None = None  # None: nothing was sent (`skipped` says why)
    skipped: str = ""
    error: aws.AwsError | None = None  # the invalidation failed; the objects stay deleted


def forget(removal: Removal, reference: str = "") -> Purged:
    """Invalidate the CDN paths of what `removal` deleted (the distribution in the settings).

    A failed invalidation is returned rather than raised: the objects are gone whatever
    CloudFront answers, so the caller records it and goes on (CloudFront then serves its copies
    until they expire).
    """
    paths, _ = removal.paths()
    distribution = str(conf.IMAGEADMIN_CLOUDFRONT_DISTRIBUTION_ID or "")
    if not paths:
        return Purged(removal, skipped="nothing to invalidate")
    if not distribution:
        log_event(logger, "cdn.invalidation_skipped", reason=NO_DISTRIBUTION, paths=len(paths))
        return Purged(removal, skipped=NO_DISTRIBUTION)
    try:
        return Purged(removal, invalidate(distribution, paths, reference))
    except aws.AwsError as err:
        return Purged(removal, error=err)


def purge(keys: Iterable[str], reference: str = "") -> Purged:
    """Delete the variant objects `keys`, then invalidate exactly their CDN paths.

    A failed delete raises `aws.AwsError` before anything is invalidated; a failed invalidation
    is on the result (see `forget`).
    """
    removal = Removal()
    removal.delete(keys)
    return forget(removal, reference)
