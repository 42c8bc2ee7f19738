"""Preset, Asset, Variant, Job and Publication: what the admin edits and what the system tracks."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from imageadmin.conf import conf
from imageadmin.storage import original_storage
from resizer_lambda import focal, imaging, keys
from resizer_lambda import presets as contract
from resizer_lambda.errors import ConfigError

# S3 allows 50 routing rules per website configuration; publishing writes two per preset
# (HttpErrorCodeReturnedEquals 403 and 404), so at most 25 presets can be active.
S3_MAX_ROUTING_RULES = 50
ROUTING_RULES_PER_PRESET = 2
MAX_ACTIVE_PRESETS = S3_MAX_ROUTING_RULES // ROUTING_RULES_PER_PRESET
_FIELD_RE = re.compile(r"^presets\[\d+\]\.(\w+): (.*)$")


class Fit(models.TextChoices):
    INSIDE = "inside", "inside (keep aspect ratio)"
    COVER = "cover", "cover (crop to width x height)"
    CONTAIN = "contain", "contain (pad to width x height)"


class OutputFormat(models.TextChoices):
    ORIGINAL = "original", "same as the original"
    JPEG = "jpeg", "JPEG"
    PNG = "png", "PNG"
    WEBP = "webp", "WebP"
    AVIF = "avif", "AVIF"


class PresetQuerySet(models.QuerySet["Preset"]):
    def active(self) -> PresetQuerySet:
        return self.filter(active=True)


class Preset(models.Model):
    """A named output size. Validated by the resizer's own parser, so the Lambda accepts it."""

    name = models.SlugField(
        max_length=63,
        unique=True,
        help_text="Used in URLs: https://CDN/NAME/ORIGINAL-KEY. Lowercase, digits, - and _.",
    )
    width = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(contract.MAX_DIMENSION)]
    )
    height = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(contract.MAX_DIMENSION)],
        help_text="Leave empty to keep the aspect ratio. Required for cover and contain.",
    )
    fit = models.CharField(max_length=10, choices=Fit.choices, default=Fit.INSIDE)
    format = models.CharField(
        max_length=10, choices=OutputFormat.choices, default=OutputFormat.ORIGINAL
    )
    quality = models.PositiveSmallIntegerField(
        default=82, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    upscale = models.BooleanField(default=False, help_text="Enlarge originals smaller than this.")
    background = models.CharField(
        max_length=9, default="#ffffff", help_text="Padding colour for contain: #rrggbb[aa]."
    )
    negotiate = models.BooleanField(
        "format negotiation at the edge",
        default=False,
        help_text="Hand out plain URLs of this preset as .auto URLs, which the CDN answers with "
        "AVIF, WebP or the preset's own format as each browser accepts. Does not change URLs "
        "of explicit formats nor the variants' pixels.",
    )
    expire_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Delete this preset's variants this many days after they were made "
        "(they are remade on the next request). Empty: the site default.",
    )
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PresetQuerySet.as_manager()

    class Meta:
        ordering = ["position", "width", "name"]
        permissions = [("publish_presets", "Can publish presets, routing and lifecycle to AWS")]

    def __str__(self) -> str:
        return self.name

    def contract_dict(self) -> dict[str, Any]:
        """Return this preset as the contract's JSON object."""
        return {
            "name": self.name,
            "width": self.width,
            "height": self.height,
            "fit": self.fit,
            "format": self.format,
            "quality": self.quality,
            "upscale": self.upscale,
            "background": self.background,
            "negotiate": self.negotiate,
        }

    def to_contract(self) -> contract.Preset:
        """Return the resizer's Preset, validated by the resizer's own parser."""
        doc = {"schema_version": contract.SCHEMA_VERSION, "presets": [self.contract_dict()]}
        config = contract.parse(doc)
        return config.presets[0]

    def output_fingerprint(self) -> tuple[Any, ...]:
        """Return what determines this preset's output pixels (a change makes variants stale)."""
        return (self.width, self.height, self.fit, self.format, self.quality, self.upscale,
                self.background)  # fmt: skip

    def full_clean(self, exclude: Any = None, *args: Any, **kwargs: Any) -> None:
        # Fields a form already refused are excluded; clean() must not report them again with
        # the value the instance still has (a refused name would read "got ''").
        self._refused_fields = set(exclude or ())
        super().full_clean(exclude, *args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        try:
            self.to_contract()
        except ConfigError as err:
            match = _FIELD_RE.match(err.message)
            field, message = (match.group(1), match.group(2)) if match else (None, err.message)
            if field not in getattr(self, "_refused_fields", ()):
                errors.setdefault(field or "__all__", []).append(message)
        prefix = conf.IMAGEADMIN_ORIGINALS_PREFIX.strip("/").split("/")[0]
        if self.name and prefix and self.name == prefix:
            errors.setdefault("name", []).append(
                f"'{self.name}' is the originals prefix; a preset cannot share it."
            )
        if self.active:
            others = Preset.objects.active().exclude(pk=self.pk).count()
            if others >= MAX_ACTIVE_PRESETS:
                errors.setdefault("active", []).append(
                    f"At most {MAX_ACTIVE_PRESETS} presets can be active: S3 allows "
                    f"{S3_MAX_ROUTING_RULES} routing rules and each preset needs "
                    f"{ROUTING_RULES_PER_PRESET}. Deactivate another preset first."
                )
        if errors:
            raise ValidationError(errors)


class Current:
    """The default token of `Asset.variant_key`: the preset's current one (imageadmin.versions)."""


CURRENT = Current()


class Asset(models.Model):
    """An original image in S3 under the originals prefix."""

    original = models.FileField(max_length=1024, editable=False, storage=original_storage)
    original_name = models.CharField(
        max_length=255, editable=False, help_text="The file name it was uploaded with."
    )
    width = models.PositiveIntegerField(editable=False)
    height = models.PositiveIntegerField(editable=False)
    format = models.CharField(max_length=10, editable=False)
    bytes = models.PositiveBigIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, unique=True, editable=False)
    alt_text = models.CharField(max_length=500, blank=True)
    focal_x = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="The point cover crops keep in frame, as a fraction of the width from the "
        "left (after EXIF orientation). Empty with focal y: the centre.",
    )
    focal_y = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="The same point as a fraction of the height from the top.",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name or self.key

    @property
    def key(self) -> str:
        """Return the original's S3 key (what variant keys are built from)."""
        return str(self.original.name)

    @property
    def focal(self) -> focal.Focal | None:
        """Return the focal point cover crops are centred on; None: the centre (or unset)."""
        if self.focal_x is None or self.focal_y is None:
            return None
        try:
            return focal.Focal(self.focal_x, self.focal_y)
        except focal.BadFocal:  # clean() refuses these; a row written around it means centre
            return None

    def clean(self) -> None:
        """Refuse a focal point with one coordinate only (both or neither: the centre)."""
        if (self.focal_x is None) != (self.focal_y is None):
            missing = "focal_y" if self.focal_y is None else "focal_x"
            raise ValidationError(
                {missing: "Set both coordinates of the focal point, or neither (the centre)."}
            )

    def variant_key(
        self,
        preset: str,
        fmt: keys.HeadFormat | None = None,
        *,
        token: str | Current | None = CURRENT,
        density: int = 1,
    ) -> str:
        """Return the key of this asset's variant under `preset` at `token`.

        By default at the preset's current token (`imageadmin.versions`: one query); None is
        the unversioned legacy key.
        """
        if isinstance(token, Current):
            from imageadmin import versions  # versions imports this module

            token = versions.current_token(preset)
        return keys.build_variant_key(preset, self.key, fmt, token=token, density=density)

    def variant_url(
        self,
        preset: str,
        fmt: keys.HeadFormat | None = None,
        *,
        token: str | Current | None = CURRENT,
        density: int = 1,
    ) -> str:
        key = self.variant_key(preset, fmt, token=token, density=density)
        return keys.url_for_key(conf.IMAGEADMIN_CDN_URL, key)

    def variant_size(self, preset: Preset | contract.Preset, density: int = 1) -> tuple[int, int]:
        """Return the variant's pixel size, computed (no S3 call) as the resizer will make it."""
        spec = preset.to_contract() if isinstance(preset, Preset) else preset
        if density != 1:
            spec = imaging.density_preset(spec, density, self.width, self.height)
        return imaging.output_size(spec, self.width, self.height)


class VariantStatus(models.TextChoices):
    READY = "ready", "ready"
    STALE = "stale", "stale (preset changed)"
    FAILED = "failed", "failed"


class Variant(models.Model):
    """A resized copy of an asset in S3, made by the Lambda or by `generate_variants`."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="variants")
    preset = models.ForeignKey(Preset, on_delete=models.CASCADE, related_name="variants")
    format = models.CharField(
        max_length=10, blank=True, help_text="The stored object's format (jpeg, png, webp, avif)."
    )
    key = models.CharField(max_length=1024, unique=True)
    token = models.CharField(
        max_length=8,
        blank=True,
        db_index=True,
        help_text="The preset output token in the key; empty for an unversioned (legacy) key. "
        "A variant not at its preset's published token is retired: its URL redirects.",
    )
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    bytes = models.PositiveBigIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=VariantStatus.choices, default=VariantStatus.READY
    )
    generated_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["asset", "preset", "format"]
        indexes = [models.Index(fields=["preset", "status"])]

    def __str__(self) -> str:
        return self.key


class ObjectMark(models.Model):
    """The newest S3 event applied for a variant key (imageadmin.inventory).

    S3 delivers events at least once and in no particular order; each carries a `sequencer` that
    orders the events of one key. Keeping the newest per key (also after a delete, as a
    tombstone) lets a redelivered or late event be recognised and skipped. Old marks are pruned.
    """

    key = models.CharField(max_length=1024, unique=True)
    sequencer = models.CharField(max_length=64, help_text="inventory.order_key of the event")
    present = models.BooleanField()
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.key} @ {self.sequencer}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    DONE = "done", "done"
    FAILED = "failed", "failed"


class Job(models.Model):
    """A long-running task's progress, shown in the admin while the Celery worker runs it."""

    kind = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def percent(self) -> int:
        return (
            100 if not self.total else min(100, round(100 * (self.done + self.failed) / self.total))
        )


class PublicationStatus(models.TextChoices):
    RUNNING = "running", "running"
    SUCCEEDED = "succeeded", "succeeded"
    FAILED = "failed", "failed"
    DRY_RUN = "dry_run", "dry run"


class Publication(models.Model):
    """One run of publishing the presets to AWS (`imageadmin.publishing`), as it happened.

    The last succeeded one is the baseline of the next: a preset whose contract differs from
    its `snapshot` has stale variants to purge. Failed and dry runs never become the baseline.
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    via = models.CharField(max_length=20, help_text="admin or command")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=PublicationStatus.choices, default=PublicationStatus.RUNNING
    )
    snapshot = models.JSONField(
        default=dict, blank=True, help_text="The presets contract published (or attempted)."
    )
    changes = models.JSONField(
        default=dict, blank=True, help_text="What differed between AWS and the presets."
    )
    steps = models.JSONField(
        default=list, blank=True, help_text="Each step's outcome, AWS request ids and errors."
    )
    failed_step = models.CharField(max_length=40, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self) -> str:
        return f"publication #{self.pk}"
