"""Asset services: upload an original (checked, keyed, stored, recorded), replace it, delete.

An upload is whole or absent: the file is checked completely before anything is stored, the
object is written first and the row created after it (the object is removed again if the row
fails), so there is never a row without its original. Deleting is the mirror image: rows go in a
transaction, and the original and every variant key are deleted from S3 only once it commits, so
a failed delete in the database loses no original.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from imageadmin import aws, focal_points, purging, storage, variants
from imageadmin.conf import conf
from imageadmin.logs import log_event, ms_since
from imageadmin.models import Asset, Job, Preset, Variant
from resizer_lambda import focal, imaging, keys
from resizer_lambda import presets as contract
from resizer_lambda.errors import (
    BadKey,
    CorruptImage,
    DecodeTooSlow,
    TooLarge,
    TooManyScans,
    UnsupportedFormat,
)

logger = logging.getLogger(__name__)

EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp", "gif": "gif", "avif": "avif"}
ACCEPTED = "JPEG, PNG, WebP, GIF or AVIF"
MAX_SLUG_CHARS = 50
MAX_NAME_CHARS = 255
# A tiny preset: rendering it decodes every pixel of the original, as the resizer will.
_DECODE_CHECK = contract.Preset("upload-check", 16)
# What a refused file looks like, so the message can say what it is rather than what it is not.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"II*\x00", 0, "a TIFF image"),
    (b"MM\x00*", 0, "a TIFF image"),
    (b"BM", 0, "a BMP image"),
    (b"%PDF", 0, "a PDF document"),
    (b"8BPS", 0, "a Photoshop document"),
    (b"\x00\x00\x01\x00", 0, "an icon file"),
    (b"ftypheic", 4, "a HEIC image"),
    (b"ftypheix", 4, "a HEIC image"),
    (b"ftypmif1", 4, "a HEIF image"),
    (b"PK\x03\x04", 0, "a ZIP archive"),
)


class UploadRefused(Exception):
    """A file cannot become an asset; the message names the file and says why."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        if code != "duplicate":  # DuplicateUpload logs upload.duplicate
            log_event(logger, "upload.refused", reason=code, message=message)


class DuplicateUpload(UploadRefused):
    """The same bytes are already an asset: nothing new is stored; `existing` is that asset."""

    def __init__(self, name: str, existing: Asset) -> None:
        when = timezone.localtime(existing.created_at).strftime("%Y-%m-%d %H:%M")
        super().__init__(
            f"{name} is already uploaded as {existing} (asset #{existing.pk}, {when}).",
            "duplicate",
        )
        self.existing = existing
        log_event(logger, "upload.duplicate", name=name, existing=existing.pk, key=existing.key)


@dataclass(frozen=True)
class Checked:
    """A file that passed every check, ready to be stored."""

    name: str
    data: bytes
    info: imaging.SourceInfo
    sha256: str


def display_name(raw: str | None) -> str:
    """Return the client's file name fit for display: no path, controls or bidi tricks, bounded."""
    name = re.split(r"[/\\]", raw or "")[-1]
    name = " ".join(name.split())  # tabs, newlines and runs of spaces become one space
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co"))
    if len(name) > MAX_NAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:10] if dot and stem else ""
        name = name[: MAX_NAME_CHARS - len(ext) - 2] + "…" + (f".{ext}" if ext else "")
    return name or "unnamed"


def slug_for(name: str) -> str:
    """Return an ASCII slug of a file name's stem ("Ümlaut Façade.JPG" -> "umlaut-facade")."""
    stem, dot, _ = name.rpartition(".")
    if not dot:
        stem = name
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_stem.lower()).strip("-")
    return slug[:MAX_SLUG_CHARS].strip("-") or "image"


def make_key(name: str, fmt: str, token: str | None = None) -> str:
    """Return a fresh original key: <prefix>/<yyyy>/<mm>/<slug>-<token>.<ext of sniffed fmt>.

    Only the slug comes from the client's name; the extension comes from the bytes, so the key
    always passes the resizer's grammar whatever the client sent.
    """
    prefix = str(conf.IMAGEADMIN_ORIGINALS_PREFIX).strip("/")
    now = timezone.now()
    token = token or secrets.token_hex(3)
    key = f"{now:%Y}/{now:%m}/{slug_for(display_name(name))}-{token}.{EXTENSIONS[fmt]}"
    return f"{prefix}/{key}" if prefix else key


def _what_is(data: bytes) -> str:
    """Return a short description of a file that is not an accepted image."""
    head = data[:512]
    for signature, offset, description in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return description
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in data[:4096].lower()):
        return "an SVG image"
    return "not an image this site accepts"


def _size(n: int) -> str:
    return str(filesizeformat(n)).replace("\xa0", " ")


def _read(file: IO[bytes], name: str) -> bytes:
    """Return the file's bytes, refusing it before reading when it is over the byte limit."""
    limit = int(conf.IMAGEADMIN_MAX_UPLOAD_BYTES)
    size = getattr(file, "size", None)
    if isinstance(size, int) and size > limit:
        raise UploadRefused(f"{name} is {_size(size)}; the limit is {_size(limit)}.", "too_large")
    if hasattr(file, "seek"):
        file.seek(0)
    data = file.read(limit + 1)
    if len(data) > limit:
        raise UploadRefused(f"{name} is over the {_size(limit)} limit.", "too_large")
    if not data:
        raise UploadRefused(f"{name} is empty.", "empty")
    return data


def check(file: IO[bytes], name: str) -> Checked:
    """Return the checked upload, or raise UploadRefused saying why this file cannot be used."""
    data = _read(file, name)
    max_pixels = int(conf.IMAGEADMIN_MAX_UPLOAD_PIXELS)
    # The header is checked against our limit below, with its numbers in the message; this
    # bound only keeps Pillow's own bomb guard in charge of absurd headers.
    header_limits = contract.Limits(max_pixels=max(max_pixels, 1) * 4, max_bytes=len(data))
    try:
        info = imaging.probe(data, header_limits)  # a JPEG's scans are counted first
    except TooManyScans as err:
        raise UploadRefused(
            f"{name} is a JPEG with {err.scans:,} scans; the limit is {err.limit} (cameras and "
            "editors write about 10). Save it again as a standard JPEG.",
            "too_many_scans",
        ) from err
    except UnsupportedFormat as err:
        raise UploadRefused(
            f"{name} is {_what_is(data)}; upload a {ACCEPTED} image.", "unsupported"
        ) from err
    except TooLarge as err:
        raise UploadRefused(
            f"{name} has too many pixels: the limit is {max_pixels:,}.", "too_many_pixels"
        ) from err
    except CorruptImage as err:
        raise UploadRefused(f"{name} is a damaged or truncated image file.", "corrupt") from err
    pixels = info.width * info.height
    if pixels > max_pixels:
        raise UploadRefused(
            f"{name} is {info.width}x{info.height} = {pixels:,} pixels; "
            f"the limit is {max_pixels:,}.",
            "too_many_pixels",
        )
    limits = contract.Limits(max_pixels=max_pixels, max_bytes=len(data))
    try:
        imaging.render_one(data, _DECODE_CHECK, limits)
    except DecodeTooSlow as err:
        raise UploadRefused(
            f"{name} takes over {err.limit:g} s to decode, the resizer's limit. Save it again "
            "as a standard image.",
            "too_slow",
        ) from err
    except (CorruptImage, TooLarge, UnsupportedFormat) as err:
        kind = info.format.upper()
        raise UploadRefused(
            f"{name} is a damaged or truncated {kind} file: it cannot be decoded.", "corrupt"
        ) from err
    return Checked(name=name, data=data, info=info, sha256=hashlib.sha256(data).hexdigest())


def _new_key(name: str, checked: Checked) -> str:
    """Return a fresh original key for `name` (refused, UploadRefused, if it cannot be safe)."""
    key = make_key(name, checked.info.format)
    try:
        keys.check_original_key(key, set(Preset.objects.values_list("name", flat=True)))
    except BadKey as err:  # pragma: no cover - make_key builds keys from [a-z0-9-] only
        raise UploadRefused(f"{name}: cannot make a safe key ({err.message}).", "bad_key") from err
    return key


def _store(key: str, checked: Checked, point: focal.Focal | None) -> str:
    """Write the original (with its focal point as metadata); return the key it was stored at."""
    content_type = imaging.CONTENT_TYPES.get(checked.info.format, "image/gif")
    metadata = focal_points.initial_metadata(point)
    return storage.save_original(key, checked.data, content_type, metadata)


def _discard(key: str) -> None:
    try:
        storage.delete([key])
    except aws.AwsError:
        log_event(logger, "upload.cleanup_failed", level=logging.ERROR, exc_info=True, key=key)


def _same_bytes(checked: Checked, other_than: int | None = None) -> Asset | None:
    """Return the asset (other than `other_than`) whose original has these bytes, if any."""
    same = Asset.objects.filter(sha256=checked.sha256)
    return (same if other_than is None else same.exclude(pk=other_than)).first()


def _refuse_duplicate(name: str, checked: Checked, other_than: int | None = None) -> None:
    """Raise DuplicateUpload when another asset (not `other_than`) has these bytes."""
    existing = _same_bytes(checked, other_than)
    if existing is not None:
        raise DuplicateUpload(name, existing)


@contextmanager
def _stored_for_row(
    key: str, name: str, checked: Checked, other_than: int | None = None
) -> Iterator[None]:
    """Write the row for the object stored at `key`; on any failure delete that object.

    A unique-sha256 conflict (the same file stored concurrently) is a DuplicateUpload.
    """
    try:
        yield
    except IntegrityError:
        _discard(key)
        winner = _same_bytes(checked, other_than)
        if winner is not None:  # the same file stored concurrently
            raise DuplicateUpload(name, winner) from None
        raise
    except BaseException:
        _discard(key)
        raise


def upload(
    file: IO[bytes],
    user: Any,
    name: str | None = None,
    *,
    warm: bool = True,
    point: focal.Focal | None = None,
) -> Asset:
    """Check `file`, store it under a fresh key and return its new Asset.

    `point` is its focal point (None: the centre), stored on the row and as the original's S3
    metadata in the same PUT (`imageadmin.focal_points`).

    With `warm`, its variants are then made in the background (`variants.start_warm`, after the
    caller's transaction commits; a caller that wants the Job starts it itself with warm=False).
    Raise UploadRefused (nothing stored, no row) for a file that cannot be used, DuplicateUpload
    when the same bytes are already an asset, an `imageadmin.aws` error when S3 fails
    (AwsUnavailable: try again; AwsRefused: a setting to fix).
    """
    started = time.monotonic()  # for the upload.stored event
    name = display_name(name if name is not None else getattr(file, "name", None))
    checked = check(file, name)
    _refuse_duplicate(name, checked)
    key = _store(_new_key(name, checked), checked, point)
    with _stored_for_row(key, name, checked), transaction.atomic():
        asset = Asset(
            original_name=name,
            width=checked.info.width,
            height=checked.info.height,
            format=checked.info.format,
            bytes=len(checked.data),
            sha256=checked.sha256,
            uploaded_by=user if getattr(user, "pk", None) else None,
            focal_x=None if point is None else point.x,
            focal_y=None if point is None else point.y,
        )
        asset.original.name = key
        asset.save()
    log_event(
        logger,
        "upload.stored",
        asset=asset.pk,
        name=name,
        key=key,
        bytes=asset.bytes,
        ms=ms_since(started),
    )
    if warm:
        variants.start_warm([asset.pk], user)
    return asset


def replace(asset: Asset, file: IO[bytes], user: Any, name: str | None = None) -> Job | None:
    """Replace the original of `asset` with `file`; return the job warming its new variants.

    The same checks as an upload (`check`); the same bytes as another asset are refused naming
    it. The new file gets a new original key, so every variant URL changes and pages show the new
    image on their next render. The object is stored first; if that fails the row is unchanged.
    The row then changes in a transaction that also drops the old Variant rows; once it
    commits, the old original and every old variant key are deleted and the variants' CDN paths
    invalidated exactly (as for a deleted asset), and the new variants are warmed.
    Raise UploadRefused, DuplicateUpload or an `imageadmin.aws` error as `upload` does.
    """
    name = display_name(name if name is not None else getattr(file, "name", None))
    checked = check(file, name)
    if checked.sha256 == asset.sha256:
        raise UploadRefused(f"{name} is the file this asset already has.", "unchanged")
    _refuse_duplicate(name, checked, asset.pk)
    # The point is kept: a replacement is the same subject.
    key = _store(_new_key(name, checked), checked, asset.focal)
    with _stored_for_row(key, name, checked, asset.pk), transaction.atomic():
        row = Asset.objects.select_for_update().get(pk=asset.pk)
        old_original = row.key
        names = Preset.objects.values_list("name", flat=True)
        doomed = variants.keys_of_assets([row.key], names, Variant.objects.filter(asset=row))
        Variant.objects.filter(asset=row).delete()
        row.original.name = key
        row.original_name = name
        row.width, row.height = checked.info.width, checked.info.height
        row.format, row.bytes, row.sha256 = (
            checked.info.format,
            len(checked.data),
            checked.sha256,
        )
        row.save()
        transaction.on_commit(lambda: _delete_objects(doomed, [old_original]))
    asset.refresh_from_db()
    log_event(
        logger, "asset.replaced", asset=asset.pk, key=key, old=old_original, variants=len(doomed)
    )
    return variants.start_warm([asset.pk], user)


def _delete_objects(variant_keys: list[str], originals: list[str]) -> None:
    """Purge the variants (objects, then their CDN paths), then delete the originals."""
    try:
        purged = purging.purge(variant_keys)
        storage.delete(originals)  # last: while an original is there, nothing is lost
    except aws.AwsError:
        # The rows are gone; the objects are orphans that sync_variants can report.
        log_event(
            logger,
            "asset.objects_delete_failed",
            level=logging.ERROR,
            exc_info=True,
            objects=len(variant_keys) + len(originals),
        )
        return
    if purged.error is not None:  # CloudFront serves the variants until they expire
        log_event(
            logger,
            "asset.invalidation_failed",
            level=logging.ERROR,
            variants=len(variant_keys),
            error=str(purged.error),
        )


def delete_assets(assets: QuerySet[Asset] | Iterable[int | Asset]) -> int:
    """Delete assets and, once the transaction commits, their originals and variants in S3.

    The variants' CDN paths are invalidated after the objects are gone (`imageadmin.purging`).

    Variant keys are computed for every preset (active or not) and format rather than listed
    from the bucket, and Variant rows' keys are added in case a key was made another way.
    Return how many assets were deleted.
    """
    if isinstance(assets, QuerySet):
        ids: Sequence[int] = list(assets.values_list("pk", flat=True))
    else:
        ids = [a.pk if isinstance(a, Asset) else int(a) for a in assets]
    if not ids:
        return 0
    with transaction.atomic():
        rows = Asset.objects.filter(pk__in=ids)
        originals = [str(k) for k in rows.values_list("original", flat=True)]
        names = Preset.objects.values_list("name", flat=True)
        own = Variant.objects.filter(asset_id__in=ids)
        variant_keys = variants.keys_of_assets(originals, names, own)
        deleted = rows.delete()[1].get(Asset._meta.label, 0)
        transaction.on_commit(lambda: _delete_objects(variant_keys, originals))
    log_event(
        logger,
        "asset.deleted",
        count=deleted,
        assets=list(ids[:20]),
        objects=len(variant_keys) + len(originals),
    )
    return deleted
