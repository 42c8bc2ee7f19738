"""{% load images %}: URLs, srcsets and <picture>, parsed as HTML; no S3 call, fixed queries."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import connection
from django.template import Context, Template, TemplateSyntaxError
from django.test.utils import CaptureQueriesContext

from imageadmin.models import Asset, Preset
from imageadmin.templatetags import images
from tests.imageadmin.originals import S3Calls
from tests.imageadmin.versioned import head, publish_snapshot

pytestmark = pytest.mark.django_db

CDN = "https://cdn.example.com"


class Elements(HTMLParser):
    """Collect (tag, attributes) of every start tag, attributes already unescaped."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.found if name == tag]


def asset(
    key: str = "originals/shop/red shoe.jpg", size: tuple[int, int] = (1600, 1200), **kw: Any
) -> Asset:
    """Create an Asset row; the original need not exist: rendering never looks at S3."""
    return Asset.objects.create(
        original=key,
        original_name=key.rsplit("/", 1)[-1],
        width=size[0],
        height=size[1],
        format="jpeg",
        bytes=1000,
        sha256=f"{key}:{size}".ljust(64, "0")[:64],
        **kw,
    )


@pytest.fixture(autouse=True)
def cdn(settings: Any) -> None:
    settings.IMAGEADMIN_CDN_URL = CDN


@pytest.fixture(autouse=True)
def no_s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Record every request botocore would send (calling through); rendering must send none."""
    calls = S3Calls(monkeypatch)
    yield
    assert calls.operations == [], f"template rendering called S3: {calls.operations}"


@pytest.fixture
def presets() -> dict[str, Preset]:
    """Migration 0003's four width-only presets, plus a cover preset srcsets must leave out."""
    for position, (name, width) in enumerate(
        [("small", 150), ("medium", 300), ("large", 600), ("xlarge", 1200)]
    ):
        Preset.objects.get_or_create(name=name, defaults={"width": width, "position": position})
    Preset.objects.create(name="thumb", width=80, height=80, fit="cover", position=9)
    Preset.objects.create(name="retired", width=450, active=False)
    return {p.name: p for p in Preset.objects.all()}


def render(source: str, **context: Any) -> str:
    return Template("{% load images %}" + source).render(Context(context))


def test_image_url_with_and_without_format(presets: dict[str, Preset]) -> None:
    a = asset()
    assert render('{% image_url a "small" %}', a=a) == (
        f"{CDN}/{head('small')}/originals/shop/red%20shoe.jpg"
    )
    assert render('{% image_url a "thumb" "webp" %}', a=a) == (
        f"{CDN}/{head('thumb', '.webp')}/originals/shop/red%20shoe.jpg"
    )
    assert render('{% image_url a "small" %}', a=None) == ""
    with pytest.raises(TemplateSyntaxError, match="'gif' is not one of"):
        render('{% image_url a "small" "gif" %}', a=a)


def test_image_srcset_lists_aspect_keeping_presets_by_width(presets: dict[str, Preset]) -> None:
    a = asset()
    out = render("{% image_srcset a %}", a=a)
    base = "originals/shop/red%20shoe.jpg"
    assert out == ", ".join(
        f"{CDN}/{head(n)}/{base} {w}w"
        for n, w in [("small", 150), ("medium", 300), ("large", 600), ("xlarge", 1200)]
    )
    avif = render('{% image_srcset a "avif" %}', a=a)
    assert avif.split(", ")[0] == f"{CDN}/{head('small', '.avif')}/{base} 150w"
    assert "thumb" not in out
    assert "retired" not in out


def test_srcset_without_upscaling_keeps_one_candidate_per_width(
    presets: dict[str, Preset],
) -> None:
    little = asset("originals/little.png", (400, 200))
    # medium is 300 wide; large and xlarge both stay at the original's 400: one candidate.
    assert images.srcset(little) == (
        f"{CDN}/{head('small')}/originals/little.png 150w, "
        f"{CDN}/{head('medium')}/originals/little.png 300w, "
        f"{CDN}/{head('large')}/originals/little.png 400w"
    )


def test_picture_has_avif_and_webp_sources_and_a_sized_img(presets: dict[str, Preset]) -> None:
    a = asset(alt_text='Red "Runner" <b>shoe</b> & laces')
    sizes = "(max-width: 600px) 100vw, 600px"
    html = render('{% picture a sizes="(max-width: 600px) 100vw, 600px" %}', a=a)
    assert "<b>" not in html
    assert '"Runner"' not in html
    parsed = Elements(html)
    assert [tag for tag, _ in parsed.found] == ["picture", "source", "source", "img"]
    avif, webp = parsed.all("source")
    base = "originals/shop/red%20shoe.jpg"
    widths = [150, 300, 600, 1200]
    names = ["small", "medium", "large", "xlarge"]
    assert avif == {
        "type": "image/avif",
        "srcset": ", ".join(
            f"{CDN}/{head(n, '.avif')}/{base} {w}w" for n, w in zip(names, widths, strict=True)
        ),
        "sizes": sizes,
    }
    assert webp["type"] == "image/webp"
    assert webp["srcset"] == ", ".join(
        f"{CDN}/{head(n, '.webp')}/{base} {w}w" for n, w in zip(names, widths, strict=True)
    )
    (img,) = parsed.all("img")
    assert img == {
        "src": f"{CDN}/{head('xlarge')}/{base}",
        "srcset": ", ".join(
            f"{CDN}/{head(n)}/{base} {w}w" for n, w in zip(names, widths, strict=True)
        ),
        "sizes": sizes,
        "width": "1200",
        "height": "900",
        "alt": 'Red "Runner" <b>shoe</b> & laces',
        "loading": "lazy",
        "decoding": "async",
    }
    assert a.variant_size(presets["xlarge"]) == (1200, 900)


def test_picture_options_and_escaped_attributes(presets: dict[str, Preset]) -> None:
    a = asset("originals/tall.jpg", (1000, 3000))
    html = render(
        '{% picture a sizes=s alt=alt fallback="medium" css_class="hero x" loading="eager" %}',
        a=a,
        s='50vw" onload="x()',
        alt="<script>alert(1)</script>",
    )
    assert "<script>" not in html
    (img,) = Elements(html).all("img")
    assert (img["src"], img["width"], img["height"]) == (
        f"{CDN}/{head('medium')}/originals/tall.jpg",
        "300",
        "900",
    )
    assert img["sizes"] == '50vw" onload="x()'
    assert "onload" not in img
    assert (img["alt"], img["class"], img["loading"]) == (
        "<script>alert(1)</script>",
        "hero x",
        "eager",
    )
    with pytest.raises(TemplateSyntaxError, match="no active preset called 'retired'"):
        render('{% picture a fallback="retired" %}', a=a)
    with pytest.raises(TemplateSyntaxError, match="unknown option"):
        render("{% picture a size=1 %}", a=a)


def test_picture_of_nothing_is_empty(presets: dict[str, Preset]) -> None:
    assert render("{% picture a %}{% image_srcset a %}", a=None) == ""
    Preset.objects.filter(fit="inside").update(active=False)
    assert render("{% picture a %}", a=asset()) == ""


@pytest.mark.parametrize(("n_assets", "n_presets"), [(1, 1), (3, 4), (12, 20)])
def test_rendering_makes_two_queries_however_many_images(
    django_assert_num_queries: Any, n_assets: int, n_presets: int
) -> None:
    Preset.objects.all().delete()
    for i in range(n_presets):
        Preset.objects.create(name=f"w{i}", width=100 + 50 * i, position=i)
    assets = [asset(f"originals/p{i}.jpg", (2000, 1000 + i)) for i in range(n_assets)]
    template = Template(
        "{% load images %}{% for a in assets %}"
        '{% picture a sizes="100vw" %}{% image_srcset a "webp" %}{% image_url a "w0" %}'
        '{% include "imageadmin_test_card.html" %}'
        "{% endfor %}"
    )
    with django_assert_num_queries(2):  # the served tokens, then the presets
        html = template.render(Context({"assets": assets}))
    assert html.count("<picture>") == 2 * n_assets
    assert html.count(" 100w") == 7 * n_assets  # 2 srcsets per picture, 1 image_srcset


@pytest.fixture(autouse=True)
def card_template(settings: Any, tmp_path: Any) -> None:
    """An included partial, as product cards usually are: it shares the render's presets."""
    (tmp_path / "imageadmin_test_card.html").write_text(
        '{% load images %}{% picture a sizes="50vw" %}'
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], tmp_path]}
    ]


def test_python_helpers_for_admin_snippets(
    presets: dict[str, Preset], django_assert_num_queries: Any
) -> None:
    a = asset()
    catalog = images.active_presets()
    with django_assert_num_queries(0):
        snippet = images.picture_html(a, "100vw", presets=catalog)
        webp = images.srcset(a, "webp", presets=catalog)
    assert snippet.startswith('<picture><source type="image/avif"')
    assert webp.endswith(".webp/originals/shop/red%20shoe.jpg 1200w")
    with CaptureQueriesContext(connection) as queries:
        images.srcset(a)
    assert len(queries) == 2  # the served tokens and the presets


def test_tags_take_an_asset_id_looked_up_once_per_render(
    presets: dict[str, Preset], django_assert_num_queries: Any
) -> None:
    """Contexts built from API data carry ids; each id is read once however many tags use it."""
    a = asset()
    source = (
        '{% image_url a "small" %}|{% image_srcset a %}|{% picture a %}|{% image_url a "medium" %}'
    )
    with django_assert_num_queries(3):  # the asset, then the served tokens and the presets
        by_id = render(source, a=a.pk)
    with django_assert_num_queries(2):
        by_instance = render(source, a=a)
    assert by_id == by_instance
    assert by_id.startswith(f"{CDN}/{head('small')}/originals/shop/red%20shoe.jpg|")
    assert render(source, a=str(a.pk)) == by_instance


@pytest.mark.parametrize("value", [None, "", 987654, "987654", 0, 2**70])
def test_no_asset_or_an_unknown_id_renders_nothing(presets: dict[str, Preset], value: Any) -> None:
    source = '{% image_url a "small" %}{% image_srcset a %}{% picture a %}'
    assert render(source, a=value) == ""
    assert render(source) == ""  # a missing variable, as a product without an image


@pytest.mark.parametrize("value", ["red shoe", 1.5, True, {"id": 1}])
def test_anything_else_is_a_template_error(presets: dict[str, Preset], value: Any) -> None:
    with pytest.raises(TemplateSyntaxError, match="asset"):
        render('{% image_url a "small" %}', a=value)


def test_urls_carry_the_published_token_not_unpublished_edits(presets: dict[str, Preset]) -> None:
    a = asset()
    publish_snapshot()
    published = render('{% image_url a "small" %}|{% image_srcset a %}', a=a)
    Preset.objects.filter(name="small").update(width=200)  # saved, not published

    assert render('{% image_url a "small" %}|{% image_srcset a %}', a=a) == published
    assert "150w" in published

    publish_snapshot()
    changed = render('{% image_url a "small" %}|{% image_srcset a %}', a=a)
    assert changed.split("|")[0] != published.split("|")[0]  # a new URL for new pixels
    assert f"{CDN}/{head('small')}/originals/shop/red%20shoe.jpg 200w" in changed
    assert render('{% image_url a "medium" %}', a=a) in published  # unchanged preset, same URL


def test_a_negotiating_preset_hands_out_auto_urls(presets: dict[str, Preset]) -> None:
    Preset.objects.filter(name="small").update(negotiate=True)
    a = asset()
    # Negotiation is part of what is served: not before it is published.
    assert ".auto/" not in render('{% image_url a "small" %}', a=a)
    publish_snapshot()
    base = "originals/shop/red%20shoe.jpg"
    assert render('{% image_url a "small" %}', a=a) == f"{CDN}/{head('small', '.auto')}/{base}"
    assert (
        render('{% image_url a "small" "webp" %}', a=a) == f"{CDN}/{head('small', '.webp')}/{base}"
    )
    # The token is the same with or without negotiation: it does not change the pixels.
    assert head("small") == f"small.{token_without_negotiation()}"


def token_without_negotiation() -> str:
    from resizer_lambda.presets import Preset as Spec
    from resizer_lambda.presets import output_token

    return output_token(Spec("small", 150))


def test_fixed_size_presets_get_density_descriptors(presets: dict[str, Preset]) -> None:
    a = asset()
    base = "originals/shop/red%20shoe.jpg"
    one, two = f"{CDN}/{head('thumb')}/{base}", f"{CDN}/{head('thumb', '@2x')}/{base}"
    assert render('{% image_srcset a preset="thumb" %}', a=a) == f"{one} 1x, {two} 2x"
    assert render('{% image_srcset a "webp" preset="thumb" %}', a=a) == (
        f"{CDN}/{head('thumb', '.webp')}/{base} 1x, {CDN}/{head('thumb', '@2x.webp')}/{base} 2x"
    )
    # An inside preset keeps the width descriptors of every aspect-keeping preset.
    assert render('{% image_srcset a preset="small" %}', a=a) == render("{% image_srcset a %}", a=a)

    parsed = Elements(render('{% picture a preset="thumb" alt="x" %}', a=a))
    avif, webp = parsed.all("source")
    assert avif == {
        "type": "image/avif",
        "srcset": f"{CDN}/{head('thumb', '.avif')}/{base} 1x, "
        f"{CDN}/{head('thumb', '@2x.avif')}/{base} 2x",
    }
    assert webp["srcset"].endswith(f"{CDN}/{head('thumb', '@2x.webp')}/{base} 2x")
    (img,) = parsed.all("img")
    assert (img["src"], img["srcset"], img["width"], img["height"]) == (
        one,
        f"{one} 1x, {two} 2x",
        "80",
        "80",
    )
    assert "sizes" not in img
    with pytest.raises(TemplateSyntaxError, match="no active preset called 'nope'"):
        render('{% picture a preset="nope" %}', a=a)
