"""The shop's own admin: plain ModelAdmin and TabularInline, the chooser comes with AssetField."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin

from demosite.shop.models import Product, ProductImage

if TYPE_CHECKING:
    ProductModelAdmin = admin.ModelAdmin[Product]
    ProductImageInline_ = admin.TabularInline[ProductImage, Product]
else:  # generic in the stubs only
    ProductModelAdmin = admin.ModelAdmin
    ProductImageInline_ = admin.TabularInline


class ProductImageInline(ProductImageInline_):
    model = ProductImage
    extra = 0
    fields = ("image", "position")


@admin.register(Product)
class ProductAdmin(ProductModelAdmin):
    list_display = ("name", "price", "created_at")
    search_fields = ("name",)
    fields = ("name", "price", "image")
    inlines = [ProductImageInline]
