"""Which variants are made in the background when an original is uploaded or replaced.

`IMAGEADMIN_WARM_FORMATS` names them per active preset: `"avif"` and `"webp"` are the
`<preset>.<fmt>/` keys `{% picture %}` lists first (browsers take the first type they support),
`"preset"` is the plain `<preset>/` key in the preset's own format (the `<img>` fallback and
`{% image_url %}`); `"jpeg"` and `"png"` are allowed too. Without warming the first visitor of
each variant waits for the Lambda (a 307, a render, a 301). The values travel to the task as
these strings (JSON); this module is the one parser, used by the service and by the system check.
"""

from __future__ import annotations

from typing import cast

from imageadmin.conf import conf
from resizer_lambda import keys

PRESET_FORMAT = "preset"
CHOICES: tuple[str, ...] = (*keys.KEY_FORMATS, PRESET_FORMAT)


def parse(value: object) -> list[keys.KeyFormat | None]:
    """Return the key formats `value` names (None: the plain key), or raise ValueError saying why.

    Duplicates are dropped, order kept.
    """
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValueError(f"must be a list of format names, got {value!r}")
    unknown = [v for v in value if v not in CHOICES]
    if unknown:
        raise ValueError(
            f"{', '.join(map(repr, unknown))} {'is' if len(unknown) == 1 else 'are'} not one of "
            f"{', '.join(CHOICES)}"
        )
    names = list(dict.fromkeys(cast(list[str], list(value))))
    return [None if n == PRESET_FORMAT else cast(keys.KeyFormat, n) for n in names]


def names(formats: list[keys.KeyFormat | None]) -> list[str]:
    """Return `formats` as the setting spells them (what a task message carries)."""
    return [PRESET_FORMAT if f is None else f for f in formats]


def configured() -> list[keys.KeyFormat | None]:
    """Return the warm formats the settings ask for ([] when warming is off)."""
    return parse(conf.IMAGEADMIN_WARM_FORMATS)


def describe(formats: list[keys.KeyFormat | None]) -> str:
    """Return the formats for people: "AVIF, WebP and the preset's own format"."""
    spelled = {"avif": "AVIF", "webp": "WebP", "jpeg": "JPEG", "png": "PNG"}
    parts = [spelled[f] if f is not None else "the preset's own format" for f in formats]
    if len(parts) < 2:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
