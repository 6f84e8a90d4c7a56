from django import template
from django.db.models import Count, Min
from django.urls import reverse

from comments.models import Comment

register = template.Library()


@register.inclusion_tag("admin/comments/includes/_queue.html", takes_context=True)
def moderation_queue(context):
    """How many comments wait and how long the oldest has waited: the desk's two numbers."""
    if not context["request"].user.has_perm("comments.view_comment"):
        return {"show": False}
    queue = Comment.objects.pending().aggregate(count=Count("pk"), oldest=Min("created_at"))
    return {
        "show": True,
        "count": queue["count"],
        "oldest": queue["oldest"],
        "url": reverse("admin:comments_comment_changelist") + "?status__exact=pending",
    }
