"""manage.py commands: export_presets, ..."""
