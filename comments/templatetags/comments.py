from django import template
from django.urls import resolve, reverse

from comments.forms import CommentForm
from comments.models import Comment
from comments.services import comments_are_open
from comments.thread import nest, visible
from comments.views import OWN_COMMENTS_SESSION_KEY, remembered_author

register = template.Library()


@register.inclusion_tag("comments/includes/_thread.html", takes_context=True)
def comment_thread(context, article):
    """The article's discussion: featured picks, the thread, and the form (or why it is closed)."""
    request = context["request"]
    own_ids = request.session.get(OWN_COMMENTS_SESSION_KEY, [])
    thread = nest(visible(list(Comment.objects.for_thread(article, own_ids=own_ids))))
    reply_to = _reply_target(request, thread)
    form = CommentForm(
        article=article,
        user=request.user,
        initial={**remembered_author(request), "parent": reply_to.pk if reply_to else None},
    )
    return {
        "request": request,
        "messages": context.get("messages"),
        "article": article,
        "thread": thread,
        "featured": [c for c in thread if c.is_featured and c.status == Comment.Status.APPROVED],
        "form": form,
        "reply_to": reply_to,
        "open": comments_are_open(article),
        "feed_url": reverse(
            "comments:article_feed", kwargs=resolve(article.get_absolute_url()).kwargs
        ),
    }


def _reply_target(request, thread):
    """WordPress's ?replytocom=<id>, so Reply works without JavaScript."""
    wanted = request.GET.get("replytocom", "")
    return next(
        (c for c in thread if str(c.pk) == wanted and c.status == Comment.Status.APPROVED), None
    )
