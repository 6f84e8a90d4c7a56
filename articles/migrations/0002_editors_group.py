"""The "Editors" group: everything editors need to publish, and nothing more."""

from django.db import migrations

from newsroom.groups import grant_group

ALL = ["add", "change", "delete", "view"]
EDITORS = {
    "articles": {model: ALL for model in ["article", "author", "section", "tag", "image", "byline"]},
    "flatpages": {"flatpage": ALL},
}


def create_editors_group(apps, schema_editor):
    grant_group(apps, "Editors", EDITORS)


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
