"""Run inside the fresh shop project by test_wheel.py: exercise the installed app, print JSON.

Copied into the project's directory and run there with the fresh virtualenv's Python, so it
imports nothing from this repository. Creates an asset row directly (rendering never reads S3), a
product using it, a superuser, then fetches pages through Django's test client.
"""

from __future__ import annotations

import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopproj.settings")
django.setup()

from celery import current_app  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.staticfiles import finders  # noqa: E402
from django.test import Client  # noqa: E402
from shop.models import Product  # noqa: E402

import imageadmin  # noqa: E402
import resizer_lambda  # noqa: E402
from imageadmin import lambda_package  # noqa: E402
from imageadmin.management.commands.build_lambda import default_cache  # noqa: E402
from imageadmin.models import Asset  # noqa: E402

KEY = sys.argv[1]

asset = Asset.objects.create(
    original=KEY,
    original_name="red-shoe.jpg",
    width=2400,
    height=1600,
    format="jpeg",
    bytes=123_456,
    sha256="0" * 64,
    alt_text="A red shoe",
)
product = Product.objects.create(name="Red shoe", image=asset)
empty = Product.objects.create(name="No photo yet")
get_user_model().objects.create_superuser("admin", "admin@example.com", "a long passphrase")

client = Client()


def get(path: str) -> tuple[int, str]:
    response = client.get(path, secure=True)  # SECURE_SSL_REDIRECT is on
    return response.status_code, response.content.decode()


pages = {name: get(path) for name, path in {
    "product": f"/products/{product.pk}/",
    "empty": f"/products/{empty.pk}/",
    "api_presets": "/images/api/presets",
    "api_asset": f"/images/api/assets/{asset.pk}",
}.items()}  # fmt: skip
client.login(username="admin", password="a long passphrase")
admin_pages = {
    path: get(path)[0]
    for path in (
        "/admin/imageadmin/asset/",
        f"/admin/imageadmin/asset/{asset.pk}/change/",
        "/admin/imageadmin/preset/",
        "/admin/shop/product/add/",
        f"/admin/shop/product/{product.pk}/change/",
    )
}

current_app.loader.import_default_modules()  # the project's Celery app autodiscovers tasks

print(
    json.dumps(
        {
            "imageadmin_file": imageadmin.__file__,
            "resizer_lambda_file": resizer_lambda.__file__,
            "version": imageadmin.__version__,
            "sys_path": sys.path,
            "pages": pages,
            "admin": admin_pages,
            "celery_app": current_app.main,
            "tasks": sorted(t for t in current_app.tasks if t.startswith("imageadmin.")),
            "static": finders.find("imageadmin/assets.css") is not None,
            "lambda_requirements": lambda_package.requirements(),
            "lambda_cache": str(default_cache()),
        }
    )
)
