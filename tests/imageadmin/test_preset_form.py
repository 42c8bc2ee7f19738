"""The preset form says what is wrong with a field once, in the field's own words."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from imageadmin.models import Preset
from tests.imageadmin.preset_data import preset_form

ADD = reverse("admin:imageadmin_preset_add")

pytestmark = pytest.mark.django_db


@pytest.fixture
def padmin(client: Client, preset_admin: Any) -> Client:
    client.force_login(preset_admin)
    return client


@pytest.mark.parametrize("name", ["Bad Name", "hero!", "ümlaut", "-"])
def test_a_bad_name_is_refused_once(padmin: Client, name: str) -> None:
    data = preset_form(Preset(name="placeholder", width=100))
    data["name"] = name

    response = padmin.post(ADD, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["name"]
    assert len(errors) == 1, errors
    assert "got ''" not in errors[0]
    assert not Preset.objects.filter(width=100, name=name).exists()


def test_a_name_only_the_contract_refuses_still_gets_its_message(padmin: Client) -> None:
    data = preset_form(Preset(name="placeholder", width=100))
    data["name"] = "a" * 64  # a valid slug, but longer than the contract's 63 characters

    response = padmin.post(ADD, data)

    errors = response.context["adminform"].form.errors["name"]
    assert len(errors) == 1, errors
    assert "a" * 64 not in Preset.objects.values_list("name", flat=True)
