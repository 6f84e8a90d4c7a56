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


def discussion_cache_key(article_id):
    return f"comments:discussion:{article_id}"


def rendered_discussion(article, thread, *, is_open):
    """
    The featured picks and the thread as HTML, cached under one key per
    article: each language and open state keeps the digest of every shown
    comment's id, last change and badges beside its HTML, and is rendered
    again when the digest differs, so nothing stale is served and a changed
    thread replaces the old HTML instead of leaving it stored beside the new.
    One key per article is also what lets an erasure forget every copy of a
    person's words (forget_rendered_discussions). A reader whose own
    unpublished comments are in the thread gets it rendered fresh.
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
    key = discussion_cache_key(article.pk)
    variant = f"{get_language()}:{int(is_open)}"
    variants = cache.get(key) or {}
    cached_digest, html = variants.get(variant, (None, None))
    if cached_digest != digest:
        html = render_to_string("comments/includes/_discussion.html", context)
        cache.set(key, {**variants, variant: (digest, html)}, timeout=DISCUSSION_CACHE_SECONDS)
    return mark_safe(html)  # rendered by our own template from sanitized comments


def forget_rendered_discussions(article_ids):
    """
    Delete the cached discussions of these articles in every language and
    open state, for an erasure: the page would no longer serve the old HTML,
    but the cache must not keep the person's name and words until it expires.
    """
    cache.delete_many([discussion_cache_key(pk) for pk in article_ids])


def _reply_target(request, thread):
    """WordPress's ?replytocom=<id>, so Reply works without JavaScript."""
    wanted = request.GET.get("replytocom", "")
    return next(
        (c for c in thread if str(c.pk) == wanted and c.status == Comment.Status.APPROVED), None
    )
