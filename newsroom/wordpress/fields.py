"""
The values a WXR file carries, checked as the site's own forms would check them.

An export is whatever the file says: a hand-edited or hostile file can put
markup in a title, `javascript:` in a commenter's website, `//evil.example` in
a page slug or `²` in an id. Each function here returns a value that is safe
to store and show, or None (or a fallback) when there is none, never raises.
"""

import html
import ipaddress
import re
from urllib.parse import unquote

from django.core.exceptions import SuspiciousOperation, ValidationError
from django.core.validators import validate_email
from django.utils.html import strip_tags
from django.utils.text import slugify

from comments.models import is_plain_web_address

# PositiveBigIntegerField holds up to 2**63 - 1; "[0-9]" and not "\d" or
# str.isdigit(), which also accept "²", "①" and "٣".
WP_ID = re.compile(r"[0-9]{1,19}")
MAX_WP_ID = 2**63 - 1
# What strip_tags leaves of an unclosed tag ("About<img src=x onerror=…"): a "<"
# a browser would read as the start of a tag. The whole run goes, so "<<img"
# cannot leave a "<img" behind; matching starts only at a run's first "<", so a
# long run costs one pass.
TAG_START = re.compile(r"(?<!<)<+(?=[A-Za-z/!?])")
# A path on this site: a single leading slash and slug segments, nothing a
# browser could read as another host ("//", "\\", a scheme) or a parent ("..").
LOCAL_PATH = re.compile(r"/(?:[-\w]+/)*")
# The article URL's slug pattern (articles/urls.py), within ArticleRedirect.old_path.
UNICODE_SLUG = re.compile(r"[-\w]+")
UNQUOTED_SLUG_MAX_LENGTH = 400
# The comment form's limits (comments.forms / comments.models).
URL_MAX_LENGTH = 200
EMAIL_MAX_LENGTH = 254


def wp_number(value):
    """A WordPress id: ASCII digits alone that fit the column, else None."""
    value = value or ""
    if WP_ID.fullmatch(value) and int(value) <= MAX_WP_ID:
        return int(value)
    return None


def plain_text(value, max_length):
    """
    A title or name as text: WordPress stores them HTML-encoded, so entities are
    decoded once, then tags go, whitespace collapses and the column's length is kept.
    """
    text = html.unescape(value or "")
    try:
        text = TAG_START.sub("", strip_tags(text))
    except SuspiciousOperation:
        # Django refuses to strip deeply nested or endless tags; such a title is
        # hostile, and without its angle brackets it is inert text.
        text = text.replace("<", "").replace(">", "")
    return " ".join(text.split())[:max_length].rstrip()


def slug(value, max_length):
    """
    WordPress's slug as ours: it stores non-ASCII slugs percent-encoded
    ("caf%c3%a9"), so they are decoded, then slugified like the admin's; ""
    when nothing is left (a Persian slug), for the caller's fallback.
    """
    return slugify(unquote(value or "", errors="replace"))[:max_length].strip("-")


def unquoted_slug(value):
    """
    WordPress's slug decoded as it appeared in its addresses ("café", "سلام"), if
    it is one an article URL can match (letters, digits, "-", "_"); else "".
    """
    decoded = unquote(value or "", errors="replace")
    if len(decoded) <= UNQUOTED_SLUG_MAX_LENGTH and UNICODE_SLUG.fullmatch(decoded):
        return decoded
    return ""


def website(value):
    """A commenter's website as the comment form accepts it: http(s) only, or None."""
    value = (value or "").strip()
    return value if len(value) <= URL_MAX_LENGTH and is_plain_web_address(value) else None


def email(value):
    """A commenter's email as the comment form accepts it, or None."""
    value = (value or "").strip()
    if len(value) > EMAIL_MAX_LENGTH:
        return None
    try:
        validate_email(value)
    except ValidationError:
        return None
    return value


def ip_address(value):
    """WordPress stores whatever the server saw; only a real address is kept."""
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def is_local_path(path):
    """True for a path on this site made of slug segments: the only old-link target allowed."""
    return LOCAL_PATH.fullmatch(path or "") is not None
