"""The "Revenue" group: campaigns, appeals and the record of who gave what; nothing editorial."""

from django.db import migrations

from newsroom.groups import grant_group

ALL = ["add", "change", "delete", "view"]
REVENUE = {
    "donations": {
        "donation": ["view", "change"],
        "donor": ["view", "change"],
        "subscription": ["view"],
        "campaign": ALL,
        "appeal": ALL,
        "manualmethod": ALL,
    },
}


def create_revenue_group(apps, schema_editor):
    grant_group(apps, "Revenue", REVENUE)


def remove_revenue_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Revenue").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("donations", "0003_campaigns_donors_and_gifts"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_revenue_group, remove_revenue_group)]
