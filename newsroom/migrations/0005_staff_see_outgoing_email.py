"""
Moderators and revenue staff may see the outgoing email list and send a failed
email again; each sees only their own app's email (OutgoingEmail.objects.visible_to).

The permissions are added to the groups, not set: newsroom.groups.grant_group
makes a group hold exactly what it is given, and would drop these if a later
migration granted a group its app's permissions that way.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = ["Moderators", "Revenue"]
CODENAMES = ["view_outgoingemail", "resend_outgoingemail"]


def _permissions(apps):
    app_config = apps.get_app_config("newsroom")
    # Historical app configs have no models module, and create_permissions skips those.
    app_config.models_module = getattr(app_config, "models_module", None) or True
    create_permissions(app_config, apps=apps, verbosity=0)
    return apps.get_model("auth", "Permission").objects.filter(
        content_type__app_label="newsroom", codename__in=CODENAMES
    )


def grant(apps, schema_editor):
    permissions = list(_permissions(apps))
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    permissions = list(_permissions(apps))
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("newsroom", "0004_outgoingemail"),
        ("comments", "0002_moderators_group"),
        ("donations", "0004_revenue_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
