from django import template
from django.urls import reverse

from articles.models import Article

register = template.Library()


@register.inclusion_tag("admin/articles/includes/_review_queue.html", takes_context=True)
def review_queue(context):
    """For those who can publish: how many drafts writers have submitted."""
    if not context["request"].user.has_perm("articles.publish_article"):
        return {"show": False}
    return {
        "show": True,
        "count": Article.objects.filter(status=Article.Status.REVIEW).count(),
        "url": reverse("admin:articles_article_changelist") + "?status__exact=review",
    }
