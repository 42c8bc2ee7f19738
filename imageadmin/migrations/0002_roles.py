"""Create the "Preset admins" and "Editors" groups with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "Preset admins": {
        "preset": ["add", "change", "delete", "view", "publish_presets"],
        "asset": ["add", "change", "delete", "view"],
        "variant": ["view", "delete"],
        "job": ["view"],
    },
    "Editors": {
        "asset": ["add", "change", "delete", "view"],
        "variant": ["view"],
        "job": ["view"],
    },
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after migrate; roles need them now.
    app_config = apps.get_app_config("imageadmin")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, models in ROLES.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for model, actions in models.items():
            for action in actions:
                codename = action if "_" in action else f"{action}_{model}"
                group.permissions.add(
                    Permission.objects.get(content_type__app_label="imageadmin", codename=codename)
                )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("imageadmin", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]
