"""The demo site's URLs: the admin, imageadmin's API and the demo pages (assets, shop)."""

from django.contrib import admin
from django.urls import include, path

from demosite import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("imageadmin.urls")),
    path("demo/", views.index, name="demo-index"),
    path("demo/<int:asset_id>/", views.asset_page, name="demo-asset"),
    path("demo/products/", views.products, name="demo-products"),
    path("demo/products/<int:product_id>/", views.product_page, name="demo-product"),
]
