import hashlib

from django import template
from django.core.cache import cache
from django.template.loader import render_to_string
from django.urls import resolve, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from comments.badges import badges_for
from comments.forms import CommentForm
from comments.models import Comment
from comments.services import comments_are_open
from comments.thread import nest, visible
from comments.views import own_comment_ids, remembered_author

register = template.Library()

DISCUSSION_CACHE_SECONDS = 24 * 3600


@register.inclusion_tag("comments/includes/_thread.html", takes_context=True)
def comment_thread(context, article):
    """The article's discussion: featured picks, the thread, and the form (or why it is closed)."""
    request = context["request"]
    own_ids = own_comment_ids(request)
    thread = nest(visible(list(Comment.objects.for_thread(article, own_ids=own_ids))))
    # Badges name who someone is, so only a confirmed address earns them: anyone can type one.
    badges = badges_for({comment.author_email for comment in thread if comment.email_verified})
    for comment in thread:
        comment.badges = badges.get(comment.author_email, []) if comment.email_verified else []
    reply_to = _reply_target(request, thread)
    form = CommentForm(
        article=article,
        user=request.user,
        initial={**remembered_author(request), "parent": reply_to.pk if reply_to else None},
    )
    is_open = comments_are_open(article)
    return {
        "request": request,
        "messages": context.get("messages"),
        "article": article,
        "discussion": rendered_discussion(article, thread, is_open=is_open),
        "form": form,
        "reply_to": reply_to,
        "open": is_open,
        "feed_url": reverse(
            "comments:article_feed", kwargs=resolve(article.get_absolute_url()).kwargs
        ),
    }


def rendered_discussion(article, thread, *, is_open):
    """
    The featured picks and the thread as HTML, cached under a key made from
    every shown comment's id and last change, so any edit, approval or
    removal makes a new key and nothing stale is ever served. A reader whose
    own unpublished comments are in the thread gets it rendered fresh.
    """
    context = {
        "thread": thread,
        "featured": [c for c in thread if c.is_featured and c.status == Comment.Status.APPROVED],
        "open": is_open,
    }
    if any(comment.is_held() for comment in thread):
        return mark_safe(render_to_string("comments/includes/_discussion.html", context))
    state = ",".join(f"{c.pk}:{c.updated_at.timestamp()}:{c.badges}" for c in thread)
    digest = hashlib.sha256(state.encode()).hexdigest()[:32]
    key = f"comments:discussion:{article.pk}:{get_language()}:{int(is_open)}:{digest}"
    html = cache.get_or_set(
        key,
        lambda: render_to_string("comments/includes/_discussion.html", context),
        timeout=DISCUSSION_CACHE_SECONDS,
    )
    return mark_safe(html)  # rendered by our own template from sanitized comments


def _reply_target(request, thread):
    """WordPress's ?replytocom=<id>, so Reply works without JavaScript."""
    wanted = request.GET.get("replytocom", "")
    return next(
        (c for c in thread if str(c.pk) == wanted and c.status == Comment.Status.APPROVED), None
    )
