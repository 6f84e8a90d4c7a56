"""
The one place article HTML is made safe.

Bodies come from editors, from pasted Word documents and from WordPress
imports; whatever the source, what is stored is only what this allowlist lets
through, so templates can render it with `|safe`.
"""

import html as html_entities
import re
from urllib.parse import urlsplit

import bleach
from django.conf import settings
from django.utils.html import strip_tags
from django.utils.text import Truncator

ALLOWED_TAGS = frozenset(
    {
        "h2", "h3", "h4", "h5", "h6", "p", "br", "hr",
        "ul", "ol", "li", "dl", "dt", "dd",
        "a", "blockquote", "cite", "q",
        "figure", "figcaption", "img",
        "em", "strong", "b", "i", "u", "s", "sub", "sup", "small", "mark", "abbr",
        "code", "pre", "kbd",
        "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
        "iframe",
    }
)  # fmt: skip

ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel", "target"],
    "img": ["src", "alt", "title", "width", "height", "loading"],
    "abbr": ["title"],
    "blockquote": ["cite"],
    "q": ["cite"],
    "th": ["colspan", "rowspan", "scope"],
    "td": ["colspan", "rowspan"],
    "iframe": ["src", "width", "height", "title", "allow", "allowfullscreen", "loading"],
}

ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

# bleach keeps the text of a stripped element; for these the text is code or
# styling, never prose, so the whole element goes before bleach sees it.
_DROPPED_WITH_CONTENT = re.compile(
    r"<(script|style|noscript|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL
)


def _is_allowed_embed(src):
    parts = urlsplit(src)
    return parts.scheme == "https" and parts.hostname in settings.ARTICLES_EMBED_HOSTS


def _allow_attribute(tag, name, value):
    if tag == "iframe" and name == "src":
        return _is_allowed_embed(value)
    return name in ALLOWED_ATTRIBUTES.get(tag, ())


def _drop_foreign_iframes(html):
    """bleach can drop an attribute but not its element: an iframe left without src goes."""
    return re.sub(r"<iframe(?![^>]*\ssrc=)[^>]*>.*?</iframe>", "", html, flags=re.DOTALL)


def sanitize_body(html):
    """Return `html` reduced to the article allowlist: no script, handler or unsafe URL."""
    html = _DROPPED_WITH_CONTENT.sub("", html or "")
    cleaned = bleach.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=_allow_attribute,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    return _drop_foreign_iframes(cleaned).strip()


# Where one block of text ends and the next begins; stripping tags must leave a space there.
_BLOCK_BOUNDARY = re.compile(
    r"</(?:p|h[1-6]|li|dt|dd|blockquote|figcaption|pre|td|th)>|<br\s*/?>", re.I
)


def excerpt_from(html, words=55):
    """A plain-text excerpt, WordPress's 55 words, for lists, feeds and meta tags."""
    text = _BLOCK_BOUNDARY.sub(" ", html)
    text = " ".join(html_entities.unescape(strip_tags(text)).split())
    return Truncator(text).words(words, truncate="…")
