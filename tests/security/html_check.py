"""
Reading a page as a browser would, for anything that could run or mislead.

The parser is the standard library's, which tokenizes like a browser for what
matters here: elements and their attributes after entity decoding. Our own
templates have no inline script, no handler and no style attribute (the
Content-Security-Policy forbids them), so any such thing on a page came from
input.
"""

import html
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.conf import settings

NEVER_ALLOWED_ELEMENTS = {
    "object",
    "embed",
    "applet",
    "base",
    "frame",
    "frameset",
    "svg",
    "math",
    "style",
    "xss",
    "marquee",
    "template",
}
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "poster",
    "background",
    "data",
    "cite",
    "srcset",
}
_INVISIBLE = re.compile(r"[\x00-\x20\x7f-\x9f]+")


def _scheme(url):
    cleaned = _INVISIBLE.sub("", html.unescape(url or "")).lower()
    return cleaned.split(":", 1)[0] if ":" in cleaned.split("/", 1)[0] else ""


class _DangerFinder(HTMLParser):
    def __init__(self, *, admin_chrome):
        super().__init__(convert_charrefs=True)
        self.admin_chrome = admin_chrome
        self.found = []

    def handle_starttag(self, tag, attrs):
        self._check(tag, dict(attrs))

    def handle_startendtag(self, tag, attrs):
        self._check(tag, dict(attrs))

    def _check(self, tag, attrs):
        where = f"<{tag} {attrs}>"
        icon = self.admin_chrome and tag in ("svg", "use", "path")
        if tag in NEVER_ALLOWED_ELEMENTS and not icon:
            self.found.append(f"element {where}")
        if tag == "script":
            src = attrs.get("src") or ""
            own_file = src.startswith("/") and not src.startswith("//")
            if attrs.get("type") != "application/ld+json" and not own_file:
                self.found.append(f"script {where}")
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            self.found.append(f"refresh {where}")
        loads_code = {"stylesheet", "import", "preload", "modulepreload"}
        if tag == "link" and loads_code & set((attrs.get("rel") or "").lower().split()):
            own_file = (attrs.get("href") or "").startswith("/")
            if not own_file or attrs["href"].startswith("//"):
                self.found.append(f"foreign code {where}")
        if tag == "iframe" and not _is_allowed_embed(attrs):
            self.found.append(f"iframe {where}")
        for name, value in attrs.items():
            if name.startswith("on"):
                self.found.append(f"handler {name} in {where}")
            if name == "srcdoc":
                self.found.append(f"srcdoc in {where}")
            if name == "style" and not self.admin_chrome:
                self.found.append(f"style attribute in {where}")
            scheme = _scheme(value) if name in URL_ATTRIBUTES else ""
            inline_picture = tag == "img" and scheme == "data" and "image/" in value[:16]
            if scheme in ("javascript", "vbscript", "data") and not inline_picture:
                self.found.append(f"{scheme}: URL in {where}")
            if name == "rel" and "opener" in (value or "").split():
                self.found.append(f"rel=opener in {where}")
        if attrs.get("target") == "_blank" and "noopener" not in (attrs.get("rel") or "").split():
            self.found.append(f"target=_blank without noopener in {where}")


def _is_allowed_embed(attrs):
    src = attrs.get("src") or ""
    if any(c in src for c in "\\@ \t\n\r") or "sandbox" not in attrs:
        return False
    parts = urlsplit(src)
    return parts.scheme == "https" and parts.hostname in settings.ARTICLES_EMBED_HOSTS


def dangers(page, *, admin_chrome=False):
    """
    Everything on `page` that could run script, load foreign code or take the
    window. `admin_chrome` allows what Django's own admin templates use: a few
    style attributes and inline SVG icons (never handlers or scripts).
    """
    finder = _DangerFinder(admin_chrome=admin_chrome)
    finder.feed(page)
    finder.close()
    return finder.found
