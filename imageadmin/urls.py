"""URL routes: the admin and the read-only JSON API for front-ends."""

from django.contrib import admin
from django.urls import path

from imageadmin import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/presets", api.presets_view, name="api-presets"),
    path("api/assets/<int:asset_id>", api.asset_view, name="api-asset"),
]
