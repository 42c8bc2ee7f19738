"""The app's includable URLs: the read-only JSON API for front-ends.

A host project mounts them where it likes, e.g. `path("images/", include("imageadmin.urls"))`.
"""

from django.urls import path

from imageadmin import api

app_name = "imageadmin"

urlpatterns = [
    path("api/presets", api.presets_view, name="api-presets"),
    path("api/assets/<int:asset_id>", api.asset_view, name="api-asset"),
]
