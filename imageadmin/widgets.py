"""The asset chooser: the form widget of AssetField in the admin.

It renders a hidden input holding the asset's id, the current image's thumbnail (the CDN URL of
the admin's thumbnail preset) with its name and size, and Choose, Upload and Clear buttons.
Clicking the thumbnail sets the chosen image's focal point (a crosshair shows it), as on the
asset page; **Centre** resets it.
`imageadmin/asset_chooser.js` does the rest with the admin's JSON endpoints
(`imageadmin.admin.chooser`): a search dialog, and uploads through the same service as the
asset admin's upload page. The script listens on the document, so widgets added later (inline
rows from "Add another") work without being set up one by one.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import NoReverseMatch, reverse

from imageadmin.models import Asset

# What the file dialog offers; the server checks the bytes whatever the browser sent.
ACCEPT = "image/jpeg,image/png,image/webp,image/gif,image/avif,.jpg,.jpeg,.png,.webp,.gif,.avif"
MAX_PK = 2**63 - 1


def asset_for(value: Any) -> Asset | None:
    """Return the asset a widget value names (an Asset, an id or its string), else None."""
    if isinstance(value, Asset):
        return value
    try:
        pk = int(str(value))
    except ValueError:
        return None
    if not 0 < pk <= MAX_PK:
        return None
    return Asset.objects.filter(pk=pk).first()


class AssetChooserWidget(forms.Widget):
    """Choose an asset by searching, upload one in place, or clear the choice."""

    template_name = "imageadmin/widgets/asset_chooser.html"

    class Media:
        css = {"all": ("imageadmin/asset_chooser.css",)}
        js = ("imageadmin/asset_chooser.js",)

    def __init__(self, attrs: dict[str, Any] | None = None, admin_site: str = "admin") -> None:
        super().__init__(attrs)
        self.admin_site = admin_site

    def format_value(self, value: Any) -> str | None:
        """Return the id to put in the hidden input (an Asset given directly becomes its id)."""
        if isinstance(value, Asset):
            return str(value.pk)
        formatted: str | None = super().format_value(value)
        return formatted

    def id_for_label(self, id_: str) -> str:
        """Point the field's <label> at the Choose button: the hidden input cannot take focus."""
        return f"{id_}_choose" if id_ else id_

    def endpoint(self, name: str) -> str:
        """Return the URL of a chooser endpoint, or "" when AssetAdmin is not on the site."""
        try:
            return reverse(f"{self.admin_site}:imageadmin_asset_chooser_{name}")
        except NoReverseMatch:
            return ""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        from imageadmin.admin import chooser  # the admin's modules load after the models

        context = super().get_context(name, value, attrs)
        asset = None if value in (None, "") else asset_for(value)
        widget = context["widget"]
        widget["chooser"] = {
            "asset": chooser.describe(asset, admin_site=self.admin_site) if asset else None,
            "missing": value not in (None, "") and asset is None,
            "search_url": self.endpoint("search"),
            "upload_url": self.endpoint("upload"),
            "focal_url": self.endpoint("focal"),
            "accept": ACCEPT,
            "accepted": chooser.ACCEPTED,
            "choose_id": self.id_for_label(widget["attrs"].get("id", "")),
        }
        return context
