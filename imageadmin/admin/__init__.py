"""The admin: declarative ModelAdmins; actions call services, never boto3 directly."""

from imageadmin.admin import assets, jobs, presets, publications, replace, variants

__all__ = ["assets", "jobs", "presets", "publications", "replace", "variants"]
