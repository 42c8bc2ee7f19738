"""Products and their extra images: what a shop's own models look like with AssetField."""

from __future__ import annotations

from django.db import models

from imageadmin.fields import AssetField


class Product(models.Model):
    """A product with one main image (deleting the image leaves the product without one)."""

    name = models.CharField(max_length=200)
    price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    image = AssetField(help_text="Shown on the product page and in listings.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ProductImage(models.Model):
    """One more image of a product, in gallery order (edited inline with the product)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = AssetField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.product} image {self.position}"
