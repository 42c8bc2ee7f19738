"""Template tags for front-ends: variant URLs, srcsets and <picture> elements.

    {% load images %}
    <img src="{% image_url product.image "small" %}" alt="">
    <img srcset="{% image_srcset product.image "webp" %}" sizes="50vw" ...>
    <img srcset="{% image_srcset product.image preset="thumb" %}" ...>   (1x, 2x)
    {% picture product.image sizes="(max-width: 600px) 100vw, 600px" %}
    {% picture product.image preset="thumb" %}                            (1x, 2x)

URLs carry each preset's published output token (imageadmin.versions), so they change when a
published preset does. Aspect-keeping (inside) presets make width descriptors over all of them;
a fixed-size (cover, contain) preset makes density descriptors, `1x` and its `@2x` rendition.

Rendering makes no S3 call: URLs are built from keys and pixel sizes computed from the asset's
stored dimensions. The active presets are read once per template render (one query, however many
images or presets; `{% include %}`d templates share it) and kept on the Context.
Each tag takes an Asset (an AssetField's value), None (renders nothing), or an asset id for
contexts built from API data (looked up once per id and render; an unknown id renders nothing).
`srcset` and `picture_html` are plain functions for Python callers (the admin's copyable snippets).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from imageadmin.models import Asset
from imageadmin.presets import ActivePreset, active_presets
from resizer_lambda import keys
from resizer_lambda.errors import BadKey

register = template.Library()

_CONTEXT_ATTR = "_imageadmin_active_presets"
_ASSETS_ATTR = "_imageadmin_assets_by_id"
MAX_PK = 2**63 - 1
PICTURE_FORMATS: tuple[tuple[keys.KeyFormat, str], ...] = (
    ("avif", "image/avif"),
    ("webp", "image/webp"),
)


def _format(fmt: str | None) -> keys.KeyFormat | None:
    if not fmt:
        return None
    if fmt not in keys.KEY_FORMATS:
        raise template.TemplateSyntaxError(
            f"image format {fmt!r} is not one of {', '.join(keys.KEY_FORMATS)}"
        )
    return fmt


def _context_presets(context: template.Context) -> list[ActivePreset]:
    """Return the active presets, read once per render and kept on the Context."""
    cached: list[ActivePreset] | None = getattr(context, _CONTEXT_ATTR, None)
    if cached is None:
        cached = active_presets()
        setattr(context, _CONTEXT_ATTR, cached)
    return cached


def _asset(context: template.Context, value: Any) -> Asset | None:
    """Return the asset a tag was given: an Asset, None or "", or an asset id (int or digits)."""
    if isinstance(value, Asset):
        return value
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise template.TemplateSyntaxError(
            f"image tags take an Asset, an asset id or None, not {type(value).__name__}"
        )
    if isinstance(value, str) and not (value.isdecimal() and value.isascii()):
        raise template.TemplateSyntaxError(f"{value!r} is not an asset id")
    pk = int(value)
    cache: dict[int, Asset | None] | None = getattr(context, _ASSETS_ATTR, None)
    if cache is None:
        cache = {}
        setattr(context, _ASSETS_ATTR, cache)
    if pk not in cache:
        cache[pk] = Asset.objects.filter(pk=pk).first() if 0 < pk <= MAX_PK else None
    return cache[pk]


def responsive_candidates(
    asset: Asset, presets: Sequence[ActivePreset]
) -> list[tuple[ActivePreset, int, int]]:
    """Return (preset, width, height) of the aspect-keeping presets, one per width, narrowest first.

    Without upscaling several presets give a small original the same width; the first (in admin
    order) is kept, since a srcset with two candidates of one width is ambiguous.
    """
    by_width: dict[int, tuple[ActivePreset, int, int]] = {}
    for preset in presets:
        if not preset.responsive:
            continue
        width, height = asset.variant_size(preset.spec)
        by_width.setdefault(width, (preset, width, height))
    return [by_width[w] for w in sorted(by_width)]


def _named(presets: Sequence[ActivePreset], name: str) -> ActivePreset:
    for preset in presets:
        if preset.name == name:
            return preset
    raise template.TemplateSyntaxError(f"no active preset called {name!r}")


def url(
    asset: Asset,
    preset: str,
    fmt: str | None = None,
    presets: Sequence[ActivePreset] | None = None,
) -> str:
    """Return the current CDN URL of `asset` under `preset` (with an explicit format if given).

    A preset with format negotiation gives its `.auto` URL when no format is asked for.
    """
    named = _named(active_presets() if presets is None else presets, preset)
    try:
        return named.url(asset, _format(fmt))
    except BadKey as err:
        raise template.TemplateSyntaxError(err.message) from err


def density_srcset(asset: Asset, preset: ActivePreset, fmt: keys.KeyFormat | None = None) -> str:
    """Return `url 1x, url@2x 2x` for a fixed-size preset (`url 1x` alone for another fit)."""
    one = f"{preset.url(asset, fmt)} 1x"
    if not preset.has_density:
        return one
    return f"{one}, {preset.url(asset, fmt, density=2)} 2x"


def srcset(
    asset: Asset | None,
    fmt: str | None = None,
    presets: Sequence[ActivePreset] | None = None,
    preset: str | None = None,
) -> str:
    """Return `url 150w, url 300w, ...` over the active aspect-keeping presets of `asset`.

    With a cover or contain `preset`: `url 1x, url@2x 2x` of that preset instead.
    """
    if not asset:
        return ""
    key_format = _format(fmt)
    presets = active_presets() if presets is None else presets
    if preset:
        named = _named(presets, preset)
        if named.has_density:
            return density_srcset(asset, named, key_format)
    candidates = responsive_candidates(asset, presets)
    return ", ".join(f"{p.url(asset, key_format)} {width}w" for p, width, _ in candidates)


def picture_html(
    asset: Asset | None,
    sizes: str = "100vw",
    alt: str | None = None,
    *,
    presets: Sequence[ActivePreset] | None = None,
    fallback: str | None = None,
    css_class: str = "",
    loading: str = "lazy",
    preset: str | None = None,
) -> SafeString:
    """Return a <picture> with AVIF and WebP sources and an <img> fallback, all escaped.

    The <img> src is the `fallback` preset (default: the widest candidate); its width and height
    attributes are that variant's computed size, so the browser reserves the space before loading.
    With a cover or contain `preset`, every srcset is that preset's `1x, 2x` instead.
    """
    if not asset:
        return SafeString("")
    presets = active_presets() if presets is None else presets
    if preset:
        named = _named(presets, preset)
        if named.has_density:
            return _density_picture(asset, named, alt, css_class, loading)
    candidates = responsive_candidates(asset, presets)
    if not candidates:
        return SafeString("")
    chosen = candidates[-1]
    if fallback:
        picked = _named(presets, fallback)
        chosen = (picked, *asset.variant_size(picked.spec))
    sources = format_html_join(
        "",
        '<source type="{}" srcset="{}" sizes="{}">',
        ((mime, srcset(asset, fmt, presets), sizes) for fmt, mime in PICTURE_FORMATS),
    )
    class_attr = format_html(' class="{}"', css_class) if css_class else ""
    img = format_html(
        '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}"{} '
        'loading="{}" decoding="async">',
        chosen[0].url(asset),
        srcset(asset, None, presets),
        sizes,
        chosen[1],
        chosen[2],
        asset.alt_text if alt is None else alt,
        class_attr,
        loading,
    )
    return format_html("<picture>{}{}</picture>", sources, img)


def _density_picture(
    asset: Asset, preset: ActivePreset, alt: str | None, css_class: str, loading: str
) -> SafeString:
    """Return the <picture> of one fixed-size preset: AVIF and WebP `1x, 2x`, then the <img>."""
    sources = format_html_join(
        "",
        '<source type="{}" srcset="{}">',
        ((mime, density_srcset(asset, preset, fmt)) for fmt, mime in PICTURE_FORMATS),
    )
    width, height = asset.variant_size(preset.spec)
    class_attr = format_html(' class="{}"', css_class) if css_class else ""
    img = format_html(
        '<img src="{}" srcset="{}" width="{}" height="{}" alt="{}"{} loading="{}" '
        'decoding="async">',
        preset.url(asset),
        density_srcset(asset, preset),
        width,
        height,
        asset.alt_text if alt is None else alt,
        class_attr,
        loading,
    )
    return format_html("<picture>{}{}</picture>", sources, img)


@register.simple_tag(takes_context=True, name="image_url")
def image_url(
    context: template.Context, value: Asset | int | str | None, preset: str, fmt: str | None = None
) -> str:
    """{% image_url asset "small" %} or {% image_url asset "small" "webp" %}."""
    asset = _asset(context, value)
    return url(asset, preset, fmt, _context_presets(context)) if asset else ""


@register.simple_tag(takes_context=True, name="image_srcset")
def image_srcset(
    context: template.Context,
    value: Asset | int | str | None,
    fmt: str | None = None,
    preset: str | None = None,
) -> str:
    """{% image_srcset asset %}, {% image_srcset asset "avif" %}; `preset="thumb"`: 1x, 2x."""
    asset = _asset(context, value)
    return srcset(asset, fmt, _context_presets(context), preset) if asset else ""


@register.simple_tag(takes_context=True, name="picture")
def picture(
    context: template.Context, value: Asset | int | str | None, **options: Any
) -> SafeString:
    """{% picture asset sizes="..." alt="..." fallback="large" css_class="..." loading="lazy" %}.

    `preset="thumb"` (a cover or contain preset) gives that preset at 1x and 2x.
    """
    asset = _asset(context, value)
    if not asset:
        return SafeString("")
    unknown = set(options) - {"sizes", "alt", "fallback", "css_class", "loading", "preset"}
    if unknown:
        raise template.TemplateSyntaxError(
            f"picture: unknown option(s) {', '.join(sorted(unknown))}"
        )
    return picture_html(asset, presets=_context_presets(context), **options)
