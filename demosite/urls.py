"""The demo site's URLs: the admin, imageadmin's API and the demo pages (assets, shop)."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from demosite import views

urlpatterns = [
    # The admin's "View site" link goes to "/": the demo pages are this site's front-end.
    path("", RedirectView.as_view(pattern_name="demo-index"), name="home"),
    path("admin/", admin.site.urls),
    path("", include("imageadmin.urls")),
    path("demo/", views.index, name="demo-index"),
    path("demo/<int:asset_id>/", views.asset_page, name="demo-asset"),
    path("demo/products/", views.products, name="demo-products"),
    path("demo/products/<int:product_id>/", views.product_page, name="demo-product"),
]
