"""
Readers' comments: plain text with a few safe tags, made into HTML once, when saved.

What comes out is only what the allowlist lets through, with every link marked
as user content that passes no ranking and no window handle.
"""

import re

import bleach
from bleach.linkifier import Linker

ALLOWED_TAGS = frozenset({"a", "em", "strong", "b", "i", "blockquote", "code", "p", "br"})
ALLOWED_ATTRIBUTES = {"a": ["href"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

_BLANK_LINE = re.compile(r"\n\s*\n")
_STARTS_A_BLOCK = re.compile(r"^\s*<(p|blockquote)[\s>]", re.IGNORECASE)


def _rel_ugc(attrs, new=False):
    attrs[(None, "rel")] = "nofollow ugc noopener"
    return attrs


_linker = Linker(callbacks=[_rel_ugc], parse_email=False)


def _clean(html):
    return bleach.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )


def _paragraphs(html):
    """Blank lines part paragraphs and single line breaks stay breaks, as readers typed them."""
    blocks = []
    for chunk in _BLANK_LINE.split(html.replace("\r\n", "\n").strip()):
        if _STARTS_A_BLOCK.match(chunk):
            blocks.append(chunk.strip())
        elif chunk.strip():
            blocks.append("<p>" + chunk.strip().replace("\n", "<br>") + "</p>")
    return "\n".join(blocks)


def render_comment(text):
    return _linker.linkify(_clean(_paragraphs(_clean(text or ""))))
