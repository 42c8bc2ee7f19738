"""The Django side of the image CDN: presets, originals and variants in the admin."""

from imageadmin.celery import app as celery_app

__all__ = ("celery_app",)
