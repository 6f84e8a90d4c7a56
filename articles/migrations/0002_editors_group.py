"""
The "Editors" group: everything editors need to publish, and nothing more.

Permissions are normally created after all migrations run; they are created
here first so the group can be given them on a fresh database.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_MODELS = {
    "articles": ["article", "author", "section", "tag", "image", "byline"],
    "flatpages": ["flatpage"],
}


def create_editors_group(apps, schema_editor):
    for app_label in EDITOR_MODELS:
        app_config = apps.get_app_config(app_label)
        # Historical app configs have no models module, and create_permissions skips those.
        app_config.models_module = getattr(app_config, "models_module", None) or True
        create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Editors")
    for app_label, models in EDITOR_MODELS.items():
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label=app_label, content_type__model__in=models
            )
        )


def remove_editors_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Editors").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("flatpages", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_editors_group, remove_editors_group)]
