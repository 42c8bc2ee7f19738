"""Create the four default presets of the source design (small, medium, large, xlarge)."""

from django.db import migrations

DEFAULTS = [("small", 150), ("medium", 300), ("large", 600), ("xlarge", 1200)]


def create_defaults(apps, schema_editor):
    Preset = apps.get_model("imageadmin", "Preset")
    for position, (name, width) in enumerate(DEFAULTS):
        Preset.objects.get_or_create(name=name, defaults={"width": width, "position": position})


class Migration(migrations.Migration):
    dependencies = [("imageadmin", "0002_roles")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
