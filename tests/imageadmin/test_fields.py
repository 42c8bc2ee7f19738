"""AssetField: its defaults, a deconstruct() migrations can rely on, and the chooser form field."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.widgets import ForeignKeyRawIdWidget, RelatedFieldWidgetWrapper
from django.db import models

from imageadmin.fields import AssetChoiceField, AssetField
from imageadmin.models import Asset
from imageadmin.widgets import AssetChooserWidget


def test_defaults_make_an_optional_image_without_a_reverse_accessor() -> None:
    field = AssetField()
    assert str(field.remote_field.model) == "imageadmin.Asset"  # resolved once in a model
    assert field.remote_field.on_delete is models.SET_NULL
    assert (field.null, field.blank) == (True, True)
    assert field.remote_field.related_name == "+"
    assert isinstance(field, models.ForeignKey)


def test_keywords_override_every_default() -> None:
    field = AssetField(on_delete=models.PROTECT, null=False, blank=False, related_name="products")
    assert field.remote_field.on_delete is models.PROTECT
    assert (field.null, field.blank, field.remote_field.related_name) == (
        False,
        False,
        "products",
    )


@pytest.mark.parametrize(
    ("kwargs", "written"),
    [
        ({}, {}),
        ({"help_text": "Main photo"}, {"help_text": "Main photo"}),
        ({"null": False}, {"null": False}),
        ({"blank": False}, {"blank": False}),
        ({"related_name": "products"}, {"related_name": "products"}),
        ({"related_name": None}, {"related_name": None}),
        ({"on_delete": models.PROTECT}, {"on_delete": models.PROTECT}),
        ({"db_index": False}, {"db_index": False}),
        ({"to": "imageadmin.Asset"}, {}),
        ({"to": Asset}, {}),
        ({"to": "shop.photo"}, {"to": "shop.photo"}),
        (
            {"null": True, "blank": True, "related_name": "+", "on_delete": models.SET_NULL},
            {},
        ),
    ],
)
def test_deconstruct_writes_only_what_differs_and_round_trips(
    kwargs: dict[str, Any], written: dict[str, Any]
) -> None:
    _name, path, args, deconstructed = AssetField(**kwargs).deconstruct()
    assert path == "imageadmin.fields.AssetField"
    assert args == []
    assert deconstructed == written
    # What a migration rebuilds from those arguments is the same field, and deconstructs the same.
    rebuilt = AssetField(*args, **deconstructed)
    assert rebuilt.deconstruct()[2:] == (args, deconstructed)
    original = AssetField(**kwargs)
    assert (rebuilt.null, rebuilt.blank) == (original.null, original.blank)
    assert rebuilt.remote_field.related_name == original.remote_field.related_name
    assert rebuilt.remote_field.on_delete is original.remote_field.on_delete


def test_the_form_field_is_the_chooser() -> None:
    formfield = AssetField(Asset, help_text="Main photo").formfield()
    assert isinstance(formfield, AssetChoiceField)
    assert isinstance(formfield.widget, AssetChooserWidget)
    assert formfield.required is False
    assert formfield.help_text == "Main photo"
    assert AssetField(Asset, blank=False).formfield().required is True


def test_a_widget_the_caller_asks_for_is_kept() -> None:
    field = AssetField(Asset)
    raw = ForeignKeyRawIdWidget(field.remote_field, admin.site)
    assert isinstance(field.formfield(widget=raw).widget, ForeignKeyRawIdWidget)


def test_the_admin_wrapper_is_dropped_around_the_chooser_only() -> None:
    field = AssetField(Asset)
    formfield = field.formfield()
    chooser = formfield.widget
    formfield.widget = RelatedFieldWidgetWrapper(chooser, field.remote_field, admin.site)
    assert formfield.widget is chooser
    assert "data-context" not in chooser.attrs

    select = models.ForeignKey(Asset, on_delete=models.CASCADE).formfield()
    assert select is not None
    wrapper = RelatedFieldWidgetWrapper(select.widget, field.remote_field, admin.site)
    formfield.widget = wrapper  # a widget the ModelAdmin chose: kept as the admin made it
    assert formfield.widget is wrapper
