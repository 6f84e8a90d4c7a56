"""
Signed links in commenters' emails: no account needed, nothing to guess.

A management link expires after COMMENTS_LINK_DAYS; an unsubscribe link never
does, so an old email can always stop the emails.
"""

from django.conf import settings
from django.core import signing

from comments.models import Comment

MANAGE_SALT = "comments.manage"
UNSUBSCRIBE_SALT = "comments.unsubscribe"


def manage_token(comment):
    return signing.dumps(comment.pk, salt=MANAGE_SALT)


def unsubscribe_token(comment):
    return signing.dumps(comment.pk, salt=UNSUBSCRIBE_SALT)


def _comment_for(token, *, salt, max_age):
    try:
        pk = signing.loads(token, salt=salt, max_age=max_age)
    except signing.BadSignature:
        return None
    return Comment.objects.select_related("article").filter(pk=pk).first()


def comment_for_manage_token(token):
    return _comment_for(token, salt=MANAGE_SALT, max_age=settings.COMMENTS_LINK_DAYS * 24 * 3600)


def comment_for_unsubscribe_token(token):
    return _comment_for(token, salt=UNSUBSCRIBE_SALT, max_age=None)
