"""The one audit trail: `record(...)` is called by each code path that acts."""

from django.contrib.contenttypes.models import ContentType

from newsroom.models import AuditEntry


def record(action, *, actor=None, target=None, **details):
    """Write one entry. `actor` is None for the site itself: a webhook, a scheduled time."""
    user = actor if actor is not None and actor.is_authenticated else None
    return AuditEntry.objects.create(
        action=action,
        actor=user,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:255] if target is not None else "",
        details=details,
    )
