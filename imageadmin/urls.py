"""URL routes: the admin, the read-only JSON API for front-ends and the demo pages."""

from django.contrib import admin
from django.urls import path

from imageadmin import api, demo

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/presets", api.presets_view, name="api-presets"),
    path("api/assets/<int:asset_id>", api.asset_view, name="api-asset"),
    path("demo/", demo.index, name="demo-index"),
    path("demo/<int:asset_id>/", demo.asset_page, name="demo-asset"),
]
