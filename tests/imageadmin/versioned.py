"""Current variant heads for tests: what imageadmin.versions says a preset's URLs carry."""

from __future__ import annotations

from imageadmin import versions
from imageadmin.models import Preset


def token(name: str) -> str:
    """Return the token URLs of preset `name` carry now (served, else the saved row's own)."""
    row = Preset.objects.filter(name=name).first()
    found = versions.published().token(name, row.to_contract() if row else None)
    assert found is not None, f"no preset {name!r}"
    return found


def head(name: str, suffix: str = "") -> str:
    """Return `<name>.<token><suffix>`, e.g. head("small", ".webp") or head("thumb", "@2x")."""
    return f"{name}.{token(name)}{suffix}"


def publish_snapshot() -> None:
    """Record a succeeded publication of the presets as they are now (what the Lambda reads)."""
    from imageadmin.models import Publication, PublicationStatus
    from imageadmin.presets import build_config

    Publication.objects.create(
        via="test", status=PublicationStatus.SUCCEEDED, snapshot=build_config().to_dict()
    )
