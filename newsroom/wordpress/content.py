"""
WordPress post bodies as WordPress itself would show them, then as we store them.

WordPress keeps bodies without paragraph tags and with shortcodes; these
functions apply its rules (wpautop, [caption], <!--more-->, bare URLs) so an
imported article reads as it did. Sanitizing happens afterwards, on save.
"""

import re
from collections import Counter
from dataclasses import dataclass, field

from articles.sanitize import excerpt_from

BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:[^>]*?-->")
MORE = re.compile(r"<!--more(.*?)?-->", re.IGNORECASE)
CAPTION = re.compile(r"\[caption[^\]]*\](.*?)\[/caption\]", re.DOTALL | re.IGNORECASE)
CAPTION_IMAGE = re.compile(r"^\s*((?:<a [^>]*>)?\s*<img [^>]*>\s*(?:</a>)?)(.*)$", re.DOTALL)
SHORTCODE = re.compile(r"\[/?([a-zA-Z][\w-]*)(?:\s[^\]]*)?/?\]")
BARE_URL_LINE = re.compile(r"^(\s*)(https?://[^\s<]+)(\s*)$", re.MULTILINE)
PRE = re.compile(r"<pre[\s>].*?</pre>", re.DOTALL | re.IGNORECASE)
BLOCK_TAGS = (
    "address|article|aside|blockquote|dd|details|div|dl|dt|figcaption|figure|footer|form|"
    "h[1-6]|header|hr|iframe|li|main|nav|ol|p|pre|section|table|tbody|td|tfoot|th|thead|tr|ul"
)
STARTS_WITH_BLOCK = re.compile(rf"^\s*</?(?:{BLOCK_TAGS})[\s>/]", re.IGNORECASE)
ENDS_WITH_BLOCK = re.compile(rf"</?(?:{BLOCK_TAGS})\s*/?>\s*$", re.IGNORECASE)


@dataclass
class Converted:
    body: str
    excerpt: str = ""
    dropped_shortcodes: Counter = field(default_factory=Counter)


def _caption(match):
    inner = match.group(1)
    parts = CAPTION_IMAGE.match(inner)
    if not parts:
        return inner
    image, text = parts.group(1), parts.group(2).strip()
    caption = f"<figcaption>{text}</figcaption>" if text else ""
    return f"<figure>{image}{caption}</figure>"


def autop(text):
    """WordPress's wpautop: blank lines part paragraphs, newlines break lines, <pre> stays."""
    saved = []

    def keep(match):
        saved.append(match.group(0))
        return f"\n\n<!--pre{len(saved) - 1}-->\n\n"

    text = PRE.sub(keep, text.replace("\r\n", "\n").replace("\r", "\n"))
    out = []
    for chunk in re.split(r"\n\s*\n", text):
        chunk = chunk.strip()
        if not chunk:
            continue
        is_block = STARTS_WITH_BLOCK.match(chunk) and ENDS_WITH_BLOCK.search(chunk)
        if chunk.startswith("<!--pre") or is_block:
            out.append(chunk)
        else:
            lines = [line.strip() for line in chunk.split("\n")]
            out.append("<p>" + "<br>\n".join(line for line in lines if line) + "</p>")
    html = "\n".join(out)
    return re.sub(r"<!--pre(\d+)-->", lambda m: saved[int(m.group(1))], html)


def convert(content):
    """The body as HTML paragraphs, and the plain text before <!--more-->, for an excerpt."""
    text = BLOCK_COMMENT.sub("", content or "")
    text = CAPTION.sub(_caption, text)
    dropped = Counter(name.lower() for name in SHORTCODE.findall(text))
    text = SHORTCODE.sub("", text)
    text = BARE_URL_LINE.sub(lambda m: f'{m.group(1)}<a href="{m.group(2)}">{m.group(2)}</a>', text)
    excerpt = ""
    more = MORE.search(text)
    if more:
        excerpt = excerpt_from(autop(text[: more.start()]), words=120)
        text = text[: more.start()] + "\n\n" + text[more.end() :]
    return Converted(body=autop(text), excerpt=excerpt, dropped_shortcodes=dropped)
