"""Front-end demo pages: assets shown through the template tags, every image through the CDN.

`/demo/` lists the assets; `/demo/<id>/` shows one in every active preset side by side
(`{% image_url %}`) and as a responsive `<picture>` (`{% picture %}`), which is what a shop's
templates do. `/demo/products/<id>/` is a shop's product page: the tags take the product's
AssetField values (`product.image`, which may be None). The pages are public, like a shop's, so
they are on only where DEMOSITE_PAGES is (by default: with DEBUG, as under `make run`).
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from demosite.shop.models import Product
from imageadmin.models import Asset
from imageadmin.presets import active_presets
from imageadmin.templatetags.images import picture_html

INDEX_LIMIT = 200
PICTURE_SIZES = "(max-width: 760px) 100vw, 720px"


def _enabled() -> None:
    if not getattr(settings, "DEMOSITE_PAGES", False):
        raise Http404("The demo pages are off (IMAGEADMIN_DEMO_PAGES=0).")


def index(request: HttpRequest) -> HttpResponse:
    """List the newest assets, each as its smallest preset, linking to its demo page."""
    _enabled()
    presets = active_presets()
    context = {
        "assets": Asset.objects.all()[:INDEX_LIMIT],
        "thumbnail": presets[0].name if presets else None,
        "cdn_url": settings.IMAGEADMIN_CDN_URL,
    }
    return render(request, "demo/index.html", context)


def asset_page(request: HttpRequest, asset_id: int) -> HttpResponse:
    """Show one asset in every active preset and as a <picture>."""
    _enabled()
    asset = get_object_or_404(Asset, pk=asset_id)
    presets = active_presets()
    sizes = [
        {"name": p.name, "width": w, "height": h, "fit": p.spec.fit}
        for p in presets
        for w, h in [asset.variant_size(p.spec)]
    ]
    context = {
        "asset": asset,
        "presets": sizes,
        "picture_sizes": PICTURE_SIZES,
        "picture_source": picture_html(asset, PICTURE_SIZES, presets=presets, loading="eager"),
        "cdn_url": settings.IMAGEADMIN_CDN_URL,
    }
    return render(request, "demo/asset.html", context)


def products(request: HttpRequest) -> HttpResponse:
    """List the products, each with its image's smallest size."""
    _enabled()
    context = {
        "products": Product.objects.select_related("image")[:INDEX_LIMIT],
        "cdn_url": settings.IMAGEADMIN_CDN_URL,
    }
    return render(request, "demo/products.html", context)


def product_page(request: HttpRequest, product_id: int) -> HttpResponse:
    """Show a product as a shop would: its image through the tags, then its gallery."""
    _enabled()
    product = get_object_or_404(Product.objects.select_related("image"), pk=product_id)
    context = {
        "product": product,
        "gallery": product.images.select_related("image"),
        "picture_sizes": PICTURE_SIZES,
        "cdn_url": settings.IMAGEADMIN_CDN_URL,
    }
    return render(request, "demo/product.html", context)
