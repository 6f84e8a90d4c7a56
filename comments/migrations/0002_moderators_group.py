"""The "Moderators" group: the comment queue and the moderation rules, nothing else."""

from django.db import migrations

from newsroom.groups import grant_group

MODERATORS = {
    "comments": {
        "comment": ["view", "change", "delete"],
        "report": ["view"],
        "moderationrules": ["view", "change"],
        "commenterrule": ["add", "change", "delete", "view"],
    },
}


def create_moderators_group(apps, schema_editor):
    grant_group(apps, "Moderators", MODERATORS)


def remove_moderators_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Moderators").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_moderators_group, remove_moderators_group)]
