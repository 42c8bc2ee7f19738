"""URL routes: the admin for now; the JSON API joins it with the admin issue."""

from django.contrib import admin
from django.urls import path

urlpatterns = [
    path("admin/", admin.site.urls),
]
