"""The demo shop's app config."""

from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "demosite.shop"
    label = "shop"
    verbose_name = "Shop"
    default_auto_field = "django.db.models.BigAutoField"
