"""AssetField: the model field a shop puts on its own models to point at an image.

    from imageadmin.fields import AssetField

    class Product(models.Model):
        image = AssetField()

It is a ForeignKey to `imageadmin.Asset` with the defaults an optional image wants: deleting the
asset leaves the product without an image (SET_NULL) rather than deleting the product, the field
may be empty, and there is no reverse accessor on Asset (`related_name="+"`), so any number of
shop models can have one without clashing. Every default can be overridden by a keyword.
In a form (the shop's own ModelAdmin and its inlines) it is the asset chooser.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.db import models
from django.forms import ModelChoiceField

from imageadmin.models import Asset
from imageadmin.widgets import AssetChooserWidget

ASSET_MODEL = "imageadmin.Asset"
DEFAULTS: dict[str, Any] = {"null": True, "blank": True, "related_name": "+"}

if TYPE_CHECKING:
    _ChoiceField = ModelChoiceField[Asset]
else:  # ModelChoiceField is generic in the stubs only
    _ChoiceField = ModelChoiceField


class AssetChoiceField(_ChoiceField):
    """A ModelChoiceField that keeps its chooser widget unwrapped in the admin.

    ModelAdmin wraps every ForeignKey's widget in RelatedFieldWidgetWrapper, whose "add" link
    opens a popup that would land on the upload page and never report back (its other links
    are for a <select> only). The chooser has its own Choose, Upload and Clear, so the wrapper
    is dropped when the admin sets it, with the popup-update marker it put in the attrs.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if (
            name == "widget"
            and isinstance(value, RelatedFieldWidgetWrapper)
            and isinstance(value.widget, AssetChooserWidget)
        ):
            value = value.widget
            value.attrs.pop("data-context", None)
        super().__setattr__(name, value)


class AssetField(models.ForeignKey[Asset | None, Asset | None]):
    """Point at one image asset; optional, SET_NULL and without a reverse accessor by default."""

    description = "An image asset (imageadmin)"

    def __init__(
        self,
        to: Any = ASSET_MODEL,
        on_delete: Any = models.SET_NULL,
        **kwargs: Any,
    ) -> None:
        for key, default in DEFAULTS.items():
            kwargs.setdefault(key, default)
        super().__init__(to, on_delete, **kwargs)

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        """Return the arguments that differ from AssetField's own defaults.

        A migration then reads `AssetField()` for the usual case, and a value Field.deconstruct
        leaves out because it is Django's default (null=False, blank=False, no related_name)
        is written here, since AssetField's defaults differ and would otherwise come back.
        """
        name, _path, args, kwargs = super().deconstruct()
        if str(kwargs.get("to", "")).lower() == ASSET_MODEL.lower():
            del kwargs["to"]
        if kwargs.get("on_delete") is models.SET_NULL:
            del kwargs["on_delete"]
        for key, default in DEFAULTS.items():
            value = kwargs.pop(key, _django_default(key))
            if value != default:
                kwargs[key] = value
        return name, "imageadmin.fields.AssetField", args, kwargs

    def formfield(self, **kwargs: Any) -> Any:
        """Return the form field with the chooser widget, unless the caller passes its own.

        The admin passes a widget only when the ModelAdmin asks for one (`raw_id_fields`,
        `autocomplete_fields`, `radio_fields` or `formfield_overrides`); that choice is kept.
        """
        kwargs.setdefault("form_class", AssetChoiceField)
        kwargs.setdefault("widget", AssetChooserWidget)
        return super().formfield(**kwargs)


def _django_default(key: str) -> Any:
    """Return what Field.deconstruct means by leaving `key` out."""
    return None if key == "related_name" else False
