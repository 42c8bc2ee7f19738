"""App config."""

from django.apps import AppConfig


class ImageadminConfig(AppConfig):
    name = "imageadmin"
    verbose_name = "Images"
