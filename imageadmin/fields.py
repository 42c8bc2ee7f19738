"""AssetField: a shop model's link to an imageadmin Asset (`image = AssetField()`).

PLACEHOLDER for the packaging proof (tests/packaging): the real field, with the admin chooser
widget, is being written on another branch and replaces this file at merge. Only the agreed API
is here: a nullable ForeignKey to `imageadmin.Asset` that keeps the shop's row when the asset
is deleted and adds no reverse accessor.
"""

from __future__ import annotations

from typing import Any

from django.db import models


class AssetField(models.ForeignKey):
    """A ForeignKey to imageadmin.Asset: SET_NULL on delete, optional, no reverse relation."""

    def __init__(
        self,
        to: Any = "imageadmin.Asset",
        on_delete: Any = models.SET_NULL,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("related_name", "+")
        super().__init__(to, on_delete, **kwargs)
