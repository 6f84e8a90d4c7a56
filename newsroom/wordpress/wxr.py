"""
Reading a WordPress export (WXR 1.0–1.2) as a stream: one item at a time,
each element cleared once read, so memory stays flat however large the file.
"""

from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError, iterparse

NAMESPACES = {
    "wordpress.org/export": "wp",
    "purl.org/rss/1.0/modules/content": "content",
    "wordpress.org/export/1.2/excerpt": "excerpt",
    "wordpress.org/export/1.1/excerpt": "excerpt",
    "wordpress.org/export/1.0/excerpt": "excerpt",
    "purl.org/dc/elements": "dc",
}


class NotWXR(Exception):
    """The file is not a WordPress export, or breaks off; the message names the line."""


def _name(tag):
    """'{https://wordpress.org/export/1.2/}post_id' -> 'wp:post_id', whatever the WXR version."""
    if not tag.startswith("{"):
        return tag
    uri, local = tag[1:].split("}", 1)
    for marker, prefix in sorted(NAMESPACES.items(), key=lambda kv: -len(kv[0])):
        if marker in uri:
            return f"{prefix}:{local}"
    return local


def _text(element, name, default=""):
    for child in element:
        if _name(child.tag) == name:
            return (child.text or "").strip()
    return default


@dataclass
class Entry:
    kind: str  # author, category, tag, item
    fields: dict
    categories: list = field(default_factory=list)  # (domain, nicename, label)
    postmeta: dict = field(default_factory=dict)
    comments: list = field(default_factory=list)


def _item(element):
    fields, categories, postmeta, comments = {}, [], {}, []
    for child in element:
        name = _name(child.tag)
        if name == "category":
            categories.append(
                (child.get("domain", ""), child.get("nicename", ""), child.text or "")
            )
        elif name == "wp:postmeta":
            postmeta[_text(child, "wp:meta_key")] = _text(child, "wp:meta_value")
        elif name == "wp:comment":
            comments.append({_name(c.tag): (c.text or "").strip() for c in child})
        elif len(child) == 0:
            fields[name] = child.text or ""
    return Entry("item", fields, categories, postmeta, comments)


def _flat(element, kind):
    return Entry(kind, {_name(child.tag): (child.text or "").strip() for child in element})


def read(path):
    """Yield the export's authors, categories, tags and items, in file order."""
    depth, seen_wxr = 0, False
    events = iterparse(path, events=("start", "end"))
    try:
        for event, element in events:
            name = _name(element.tag)
            if event == "start":
                depth += 1
                if depth == 1 and name != "rss":
                    raise NotWXR(f"this is not a WordPress export: it starts with <{name}>")
                continue
            depth -= 1
            if name == "wp:wxr_version":
                seen_wxr = True
            elif depth == 2 and name == "wp:base_site_url":
                yield Entry("site", {"wp:base_site_url": (element.text or "").strip()})
            elif depth == 2 and name in ("wp:author", "wp:category", "wp:tag", "item"):
                if not seen_wxr:
                    raise NotWXR("this is not a WordPress export: it has no <wp:wxr_version>")
                if name == "item":
                    yield _item(element)
                else:
                    yield _flat(element, name.removeprefix("wp:"))
                element.clear()
        if not seen_wxr:
            raise NotWXR("this is not a WordPress export: it has no <wp:wxr_version>")
    except ParseError as error:
        line, column = error.position
        reason = str(error).split(":")[0]
        raise NotWXR(f"the file is broken at line {line}, column {column}: {reason}") from None
