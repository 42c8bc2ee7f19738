"""Which output token each preset's URLs carry: the contract the Lambda serves, never an edit.

A variant key names its preset's output token (`resizer_lambda.keys`), and the Lambda renders
only the token of the presets document it reads: the one publishing wrote. So the "current"
token of a preset is the one in the last *succeeded* publication's snapshot, never the token of
unsaved or unpublished edits (their URLs would only be redirected back). Before anything was
published, the Lambda serves its embedded defaults (`resizer_lambda.presets.DEFAULT_CONFIG`,
what `make run` and a fresh stack read until the first publish), so their tokens are current.
A preset in neither (added, not yet published) gets the token of its own contract: the Lambda
does not know it yet, and its URLs work from its first publication unchanged.

One owner of this fact: template tags, the API, the admin's URL lists and warming all read it
through `imageadmin.presets.active_presets` (one query, once per render or request), and the
inventory through `published()` once per batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from imageadmin.models import Preset, Publication, PublicationStatus
from resizer_lambda import presets as contract
from resizer_lambda.errors import ConfigError


@dataclass(frozen=True)
class Published:
    """The presets as the Lambda serves them: name -> contract Preset, and where that came from."""

    presets: Mapping[str, contract.Preset] = field(default_factory=dict)
    source: str = "embedded defaults"

    def spec(self, name: str, own: contract.Preset) -> contract.Preset:
        """Return the preset as served (what its URLs deliver), else `own` (not published yet)."""
        return self.presets.get(name) or own

    def token(self, name: str, own: contract.Preset | None = None) -> str | None:
        """Return the token `name`'s URLs carry: the served one, else `own`'s (None: unknown)."""
        served = self.presets.get(name)
        if served is not None:
            return contract.output_token(served)
        return contract.output_token(own) if own is not None else None

    def negotiate(self, name: str, own: contract.Preset | None = None) -> bool:
        """Return whether the served preset hands out `.auto` URLs (else `own`'s setting)."""
        served = self.presets.get(name) or own
        return bool(served and served.negotiate)

    def is_current(self, name: str, token: str | None, own: contract.Preset | None = None) -> bool:
        """Return whether a variant of `name` at `token` is at the current token."""
        return token is not None and token == self.token(name, own)


def _from_config(config: contract.Config, source: str) -> Published:
    return Published({p.name: p for p in config.presets}, source)


def published() -> Published:
    """Return what the Lambda serves: the last succeeded publication, else the defaults."""
    success = (
        Publication.objects.filter(status=PublicationStatus.SUCCEEDED, dry_run=False)
        .order_by("-created_at", "-id")
        .only("pk", "snapshot")
        .first()
    )
    if success is not None and success.snapshot:
        try:
            config = contract.parse(success.snapshot)
        except ConfigError:
            pass  # a snapshot from before a contract change: fall back, never break a page
        else:
            return _from_config(config, f"publication #{success.pk}")
    return _from_config(contract.DEFAULT_CONFIG, "embedded defaults")


def current_token(name: str) -> str | None:
    """Return the token URLs of preset `name` carry now (None: no such preset anywhere).

    For one-off callers (`Asset.variant_key` without a token); pages and the API read the
    tokens of all presets at once through `imageadmin.presets.active_presets`.
    """
    served = published()
    if name in served.presets:
        return served.token(name)
    row = Preset.objects.filter(name=name).first()
    if row is None:
        return None
    try:
        return served.token(name, row.to_contract())
    except ConfigError:
        return None
