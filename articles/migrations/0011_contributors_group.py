"""
Writers ("Contributors") draft and submit; only editors publish.

Editors gain the publish permission; contributors get their own drafts and
the lists they need to fill in a byline, section and tags, nothing more.
"""

from django.db import migrations

from newsroom.groups import grant_group

ALL = ["add", "change", "delete", "view"]
EDITORS = {
    "articles": {
        **{
            model: ALL
            for model in ["author", "section", "tag", "image", "byline", "correction"]
        },
        "article": [*ALL, "publish"],
    },
    "flatpages": {"flatpage": ALL},
}
CONTRIBUTORS = {
    "articles": {
        "article": ["add", "change", "view"],
        "byline": ["add", "change", "delete", "view"],
        "image": ["add", "view"],
        "author": ["view"],
        "section": ["view"],
        "tag": ["view"],
    },
}


def create_groups(apps, schema_editor):
    grant_group(apps, "Editors", EDITORS)
    grant_group(apps, "Contributors", CONTRIBUTORS)


def remove_contributors(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Contributors").delete()


class Migration(migrations.Migration):
    dependencies = [("articles", "0010_review")]

    operations = [migrations.RunPython(create_groups, remove_contributors)]
