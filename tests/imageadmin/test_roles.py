"""Roles: editors work with assets but never with presets; preset admins do; CSRF holds."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from imageadmin.models import Preset
from tests.imageadmin.preset_data import make_asset, preset_form

pytestmark = pytest.mark.django_db


def preset_urls() -> dict[str, str]:
    medium = Preset.objects.get(name="medium")
    asset = make_asset()
    return {
        "changelist": reverse("admin:imageadmin_preset_changelist"),
        "change": reverse("admin:imageadmin_preset_change", args=[medium.pk]),
        "add": reverse("admin:imageadmin_preset_add"),
        "delete": reverse("admin:imageadmin_preset_delete", args=[medium.pk]),
        "preview": reverse("admin:imageadmin_preset_preview") + f"?asset={asset.pk}&width=100",
        "impact": reverse("admin:imageadmin_preset_impact", args=[medium.pk]) + "?width=100",
    }


def test_editors_are_refused_every_preset_page(client: Client, editor: Any) -> None:
    client.force_login(editor)

    statuses = {name: client.get(url).status_code for name, url in preset_urls().items()}

    assert statuses == dict.fromkeys(statuses, 403)


def test_editors_cannot_change_presets_by_post(client: Client, editor: Any) -> None:
    client.force_login(editor)
    medium = Preset.objects.get(name="medium")
    url = reverse("admin:imageadmin_preset_change", args=[medium.pk])

    assert client.post(url, preset_form(medium, width=999)).status_code == 403
    medium.refresh_from_db()
    assert medium.width == 300


def test_editors_cannot_publish_and_preset_admins_can(editor: Any, preset_admin: Any) -> None:
    assert not editor.has_perm("imageadmin.publish_presets")
    assert not editor.has_perm("imageadmin.change_preset")
    assert editor.has_perm("imageadmin.add_asset")
    assert preset_admin.has_perm("imageadmin.publish_presets")


def test_editors_do_not_see_presets_on_the_admin_index(client: Client, editor: Any) -> None:
    client.force_login(editor)

    html = client.get(reverse("admin:index")).content.decode()

    assert reverse("admin:imageadmin_asset_changelist") in html
    assert reverse("admin:imageadmin_preset_changelist") not in html


@pytest.mark.parametrize("role", ["preset_admin", "superuser"])
def test_preset_admins_and_superusers_get_every_preset_page(
    client: Client, role: str, request: pytest.FixtureRequest, admin_user: Any
) -> None:
    user = admin_user if role == "superuser" else request.getfixturevalue("preset_admin")
    client.force_login(user)

    statuses = {name: client.get(url).status_code for name, url in preset_urls().items()}

    assert statuses == dict.fromkeys(statuses, 200)


def test_staff_without_a_role_is_refused_and_anonymous_sent_to_login(
    client: Client, django_user_model: Any
) -> None:
    urls = preset_urls()
    anonymous = client.get(urls["preview"])
    staff = django_user_model.objects.create_user("nobody", password="x", is_staff=True)
    client.force_login(staff)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("admin:login"))
    assert client.get(urls["changelist"]).status_code == 403
    assert client.get(urls["preview"]).status_code == 403


def test_a_post_without_csrf_token_is_refused(preset_admin: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(preset_admin)
    add = reverse("admin:imageadmin_preset_add")
    data = preset_form(Preset(name="sneaky", width=100))

    refused = client.post(add, data)
    page = client.get(add)
    accepted = client.post(add, {**data, "csrfmiddlewaretoken": page.context["csrf_token"]})

    assert refused.status_code == 403
    assert accepted.status_code == 302  # the same POST with its token goes through
    assert Preset.objects.filter(name="sneaky").count() == 1


def test_editors_may_look_at_variants_and_jobs(client: Client, editor: Any) -> None:
    client.force_login(editor)

    assert client.get(reverse("admin:imageadmin_variant_changelist")).status_code == 200
    assert client.get(reverse("admin:imageadmin_job_changelist")).status_code == 200
