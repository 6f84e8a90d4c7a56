"""Editors publish corrections too."""

from django.db import migrations

from newsroom.groups import grant_group

ALL = ["add", "change", "delete", "view"]
EDITORS = {
    "articles": {
        model: ALL
        for model in ["article", "author", "section", "tag", "image", "byline", "correction"]
    },
    "flatpages": {"flatpage": ALL},
}


def grant_corrections(apps, schema_editor):
    grant_group(apps, "Editors", EDITORS)


class Migration(migrations.Migration):
    dependencies = [("articles", "0005_corrections")]

    operations = [migrations.RunPython(grant_corrections, migrations.RunPython.noop)]
