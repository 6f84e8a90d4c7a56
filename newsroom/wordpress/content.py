"""
WordPress post bodies as WordPress itself would show them, then as we store them.

WordPress keeps bodies without paragraph tags and with shortcodes; these
functions apply its rules (wpautop, [caption], <!--more-->, bare URLs) so an
imported article reads as it did. Sanitizing happens afterwards, on save.

A WXR file is untrusted input: every pattern here runs in linear time (plain
`str.find` scans, or regular expressions whose repeats cannot overlap), and a
body longer than MAX_BODY_CHARS is refused before any of them runs.
"""

import re
from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from articles.sanitize import excerpt_from

# WordPress's own longest post is 4 GB; a real article is far below this, so a
# larger body is a broken or hostile export and is refused with a reason.
MAX_BODY_CHARS = 1_000_000

CAPTION_OPEN = re.compile(r"\[caption", re.IGNORECASE)
CAPTION_CLOSE = re.compile(r"\[/caption\]", re.IGNORECASE)
MORE_OPEN = re.compile(r"<!--more", re.IGNORECASE)
COMMENT_CLOSE = re.compile(r"-->")
BLOCK_COMMENT_OPEN = re.compile(r"<!--\s*/?wp:")
PRE_OPEN = re.compile(r"<pre[\s>]", re.IGNORECASE)
PRE_CLOSE = re.compile(r"</pre>", re.IGNORECASE)
# Attributes stop at the next "[" as well as "]", so one scan never crosses
# into the next shortcode: linear however many unclosed "[name " there are.
SHORTCODE = re.compile(r"\[/?([a-zA-Z][\w-]*)(?:\s[^\[\]]*)?/?\]")
# Horizontal space only around the URL: "\s" would let one line's match
# run over every following blank line, which is quadratic.
BARE_URL_LINE = re.compile(r"^([ \t]*)(https?://[^\s<]+)[ \t]*$", re.MULTILINE)
PARAGRAPH_BREAK = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
BLOCK_TAGS = (
    "address|article|aside|blockquote|dd|details|div|dl|dt|figcaption|figure|footer|form|"
    "h[1-6]|header|hr|iframe|li|main|nav|ol|p|pre|section|table|tbody|td|tfoot|th|thead|tr|ul"
)
STARTS_WITH_BLOCK = re.compile(rf"</?(?:{BLOCK_TAGS})[\s>/]", re.IGNORECASE)
IS_BLOCK_END_TAG = re.compile(rf"</?(?:{BLOCK_TAGS})\s*/?>", re.IGNORECASE)
# A NUL cannot occur in XML, so a placeholder made with it never collides with the text.
PRE_PLACEHOLDER = re.compile(r"\x00pre([0-9]+)\x00")


class BodyTooLarge(ValueError):
    """A body over MAX_BODY_CHARS: the item is reported as failed, the rest imports."""


@dataclass
class Converted:
    body: str
    excerpt: str = ""
    dropped_shortcodes: Counter = field(default_factory=Counter)


def _spans(text, opening, closing):
    """
    Yield (start, end of opening, start of closing, end) of each opening…closing pair.

    Scans forward only: once no closing remains, no later opening can have one,
    so unclosed openings cost one pass, not one pass each.
    """
    position = 0
    while (start := opening.search(text, position)) is not None:
        close = closing.search(text, start.end())
        if close is None:
            return
        yield start.start(), start.end(), close.start(), close.end()
        position = close.end()


def _replace_spans(text, opening, closing, replace):
    out, position = [], 0
    for start, inner_start, inner_end, end in _spans(text, opening, closing):
        out.append(text[position:start])
        out.append(replace(text[start:end], inner_start - start, inner_end - start))
        position = end
    out.append(text[position:])
    return "".join(out)


def _drop(whole, inner_start, inner_end):
    return ""


def _caption(whole, inner_start, inner_end):
    """[caption …]<a><img></a> text[/caption] -> <figure>, as WordPress shows it."""
    attributes_end = whole.find("]", inner_start)
    if attributes_end == -1 or attributes_end >= inner_end:
        return whole
    inner = whole[attributes_end + 1 : inner_end]
    image_end = _leading_image_end(inner)
    if image_end is None:
        return inner
    image, text = inner[:image_end], inner[image_end:].strip()
    caption = f"<figcaption>{text}</figcaption>" if text else ""
    return f"<figure>{image}{caption}</figure>"


def _leading_image_end(inner):
    """Where an optional <a …>, an <img …>, an optional </a> and the space after them end."""
    position = len(inner) - len(inner.lstrip())
    if inner.startswith("<a ", position):
        position = inner.find(">", position)
        if position == -1:
            return None
        position += 1
        position += len(inner[position:]) - len(inner[position:].lstrip())
    if not inner.startswith("<img ", position):
        return None
    position = inner.find(">", position)
    if position == -1:
        return None
    position += 1
    position += len(inner[position:]) - len(inner[position:].lstrip())
    if inner.startswith("</a>", position):
        position += len("</a>")
    return position


def _is_block(chunk):
    if not STARTS_WITH_BLOCK.match(chunk):
        return False
    return IS_BLOCK_END_TAG.fullmatch(chunk[chunk.rfind("<") :]) is not None


def autop(text):
    """WordPress's wpautop: blank lines part paragraphs, newlines break lines, <pre> stays."""
    saved = []

    def keep(whole, inner_start, inner_end):
        saved.append(whole)
        return f"\n\n\x00pre{len(saved) - 1}\x00\n\n"

    text = _replace_spans(text, PRE_OPEN, PRE_CLOSE, keep)
    out = []
    for chunk in PARAGRAPH_BREAK.split(text):
        chunk = chunk.strip()
        if not chunk:
            continue
        if PRE_PLACEHOLDER.fullmatch(chunk) or _is_block(chunk):
            out.append(chunk)
        else:
            lines = [line.strip() for line in chunk.split("\n")]
            out.append("<p>" + "<br>\n".join(line for line in lines if line) + "</p>")
    html = "\n".join(out)
    return PRE_PLACEHOLDER.sub(lambda m: saved[int(m.group(1))], html)


def _link(match):
    url = match.group(2).replace('"', "&quot;")
    return f'{match.group(1)}<a href="{url}">{url}</a>'


def convert(content):
    """
    The body as HTML paragraphs, and the plain text before <!--more-->, for an excerpt.

    Raises BodyTooLarge for a body over MAX_BODY_CHARS.
    """
    text = (content or "").replace("\x00", "")
    if len(text) > MAX_BODY_CHARS:
        raise BodyTooLarge(
            _("the body has %(size)s characters; at most %(limit)s are imported")
            % {"size": f"{len(text):,}", "limit": f"{MAX_BODY_CHARS:,}"}
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _replace_spans(text, BLOCK_COMMENT_OPEN, COMMENT_CLOSE, _drop)
    text = _replace_spans(text, CAPTION_OPEN, CAPTION_CLOSE, _caption)
    dropped = Counter(name.lower() for name in SHORTCODE.findall(text))
    text = SHORTCODE.sub("", text)
    text = BARE_URL_LINE.sub(_link, text)
    excerpt = ""
    more = next(_spans(text, MORE_OPEN, COMMENT_CLOSE), None)
    if more:
        start, _inner_start, _inner_end, end = more
        excerpt = excerpt_from(autop(text[:start]), words=120)
        text = text[:start] + "\n\n" + text[end:]
    return Converted(body=autop(text), excerpt=excerpt, dropped_shortcodes=dropped)
