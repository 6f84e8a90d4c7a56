"""
Article revisions: snapshots, the differences between two, and restoring one.

A snapshot holds what a reader would see change (text, placement, bylines,
corrections) as plain JSON, so it outlives renamed or deleted tags and authors.
"""

import difflib
import hashlib
import html
import json
import re

from django.db import transaction
from django.utils.html import conditional_escape, format_html, strip_tags
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from articles.models import ArticleRevision, Author, Byline, Image, Section, Tag
from newsroom import audit

FIELDS = [
    ("title", _("Headline")),
    ("dek", _("Dek")),
    ("body", _("Body")),
    ("excerpt", _("Excerpt")),
    ("status", _("Status")),
    ("publish_at", _("Publish time")),
    ("section", _("Section")),
    ("tags", _("Tags")),
    ("bylines", _("Byline")),
    ("featured_image", _("Featured image")),
    ("corrections", _("Corrections")),
]


def snapshot(article):
    section, image = article.section, article.featured_image
    return {
        "title": article.title,
        "dek": article.dek,
        "body": article.body,
        "excerpt": article.excerpt,
        "status": article.status,
        "publish_at": article.publish_at.isoformat() if article.publish_at else None,
        "section": [section.pk, section.name] if section else None,
        "tags": [[tag.pk, tag.name] for tag in article.tags.order_by("name")],
        "bylines": [[b.author_id, b.author.name] for b in article.bylines.select_related("author")],
        "featured_image": [image.pk, image.title] if image else None,
        "corrections": [
            f"{c.published_at:%Y-%m-%d} {c.get_kind_display()}: {c.text}"
            for c in article.corrections.order_by("published_at")
        ],
    }


def revision_record(*, article, by, note=""):
    """Keep the article's current state, unless it is the same as the last one kept."""
    state = snapshot(article)
    digest = hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()
    last = article.revisions.only("digest").first()
    if last is not None and last.digest == digest:
        return last
    return ArticleRevision.objects.create(
        article=article, created_by=by, note=note, digest=digest, snapshot=state
    )


# Fields holding HTML; every other one is text, shown as typed, markup and all.
HTML_FIELDS = {"body", "excerpt"}


def _readable(field, value):
    """A field's value as lines of plain text, the way an editor reads it."""
    if value is None:
        return []
    if isinstance(value, list):
        return [item[1] if isinstance(item, list) else str(item) for item in value]
    text = str(value)
    if field in HTML_FIELDS:
        text = re.sub(r"</(p|h[1-6]|li|blockquote|figcaption|pre|tr)>|<br\s*/?>", "\n", text)
        text = html.unescape(strip_tags(text))
    return [line.strip() for line in text.splitlines() if line.strip()]


def _marked(words, opcodes, side):
    """Words of one side, with what the other side lacks marked <del> or <ins>."""
    tag_name = "del" if side == "old" else "ins"
    pieces = []
    for op, a1, a2, b1, b2 in opcodes:
        chunk = words[a1:a2] if side == "old" else words[b1:b2]
        text = conditional_escape(" ".join(chunk))
        if not chunk:
            continue
        pieces.append(text if op == "equal" else format_html("<{0}>{1}</{0}>", tag_name, text))
    return mark_safe(" ".join(pieces).replace("\n", "<br>"))  # pieces are escaped above


def compare(old, new):
    """Rows (label, old html, new html) for each field that differs between two snapshots."""
    rows = []
    for field, label in FIELDS:
        before, after = _readable(field, old.get(field)), _readable(field, new.get(field))
        if before == after:
            continue
        old_words, new_words = " \n ".join(before).split(" "), " \n ".join(after).split(" ")
        opcodes = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False).get_opcodes()
        rows.append((label, _marked(old_words, opcodes, "old"), _marked(new_words, opcodes, "new")))
    return rows


def revision_restore(*, revision, by):
    """
    Put the revision's words, placement and byline back, as a new revision.
    Status and publish time stay as they are: restoring text never publishes
    or unpublishes anything.
    """
    state, article = revision.snapshot, revision.article
    with transaction.atomic():
        article.title, article.dek = state["title"], state["dek"]
        article.body, article.excerpt = state["body"], state["excerpt"]
        section_id = state["section"][0] if state["section"] else None
        article.section = Section.objects.filter(pk=section_id).first()
        image_id = state["featured_image"][0] if state["featured_image"] else None
        article.featured_image = Image.objects.filter(pk=image_id).first()
        article.save()
        article.tags.set(Tag.objects.filter(pk__in=[pk for pk, _name in state["tags"]]))
        authors = Author.objects.in_bulk([pk for pk, _name in state["bylines"]])
        article.bylines.all().delete()
        Byline.objects.bulk_create(
            Byline(article=article, author=authors[pk], position=position)
            for position, (pk, _name) in enumerate(state["bylines"])
            if pk in authors
        )
        audit.record("article.restored", actor=by, target=article, revision=revision.pk)
        return revision_record(
            article=article,
            by=by,
            note=_("Restored the revision of %(when)s")
            % {"when": revision.created_at.strftime("%Y-%m-%d %H:%M")},
        )
