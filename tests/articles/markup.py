"""Reading pages as a browser does: every element with its attributes, and the visible text."""

from html.parser import HTMLParser


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements, self.text, self._raw = [], [], 0

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._raw += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._raw -= 1

    def handle_data(self, data):
        if not self._raw:
            self.text.append(data)


def parse(html):
    """(elements, text): [(tag, {attribute: value})] in document order, and the text shown."""
    page = _Page()
    page.feed(html)
    page.close()
    return page.elements, " ".join(" ".join(page.text).split())


def elements(html, tag=None):
    found = parse(html)[0]
    return [attrs for name, attrs in found if tag is None or name == tag]


def handlers(html):
    """Every on… attribute on any element: none may exist on a page readers get."""
    return [(tag, name) for tag, attrs in parse(html)[0] for name in attrs if name.startswith("on")]
