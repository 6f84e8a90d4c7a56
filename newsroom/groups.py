"""
Staff groups made by data migrations: each role gets what its work needs, nothing more.

Permissions are normally created after all migrations run; they are created
here first, so a group can be given them on a fresh database.
"""

from django.contrib.auth.management import create_permissions


def grant_group(apps, name, permissions):
    """
    Make group `name` hold exactly `permissions`: {app_label: {model: [actions]}},
    actions among "add", "change", "delete", "view".
    """
    for app_label in permissions:
        app_config = apps.get_app_config(app_label)
        # Historical app configs have no models module, and create_permissions skips those.
        app_config.models_module = getattr(app_config, "models_module", None) or True
        create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=name)
    codenames = {
        (app_label, f"{action}_{model}")
        for app_label, models in permissions.items()
        for model, actions in models.items()
        for action in actions
    }
    group.permissions.set(
        permission
        for permission in Permission.objects.filter(
            content_type__app_label__in=list(permissions)
        ).select_related("content_type")
        if (permission.content_type.app_label, permission.codename) in codenames
    )
    return group
