"""
Moving a WordPress newsroom in: the archive, its readers' discussions, its links.

Everything goes through the same models and rules as the rest of the site:
bodies are sanitized on save, comments rendered as readers' comments are,
and every object remembers its WordPress id so a second run updates instead
of duplicating.
"""

import html
import ipaddress
import mimetypes
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from django.contrib.flatpages.models import FlatPage
from django.core.files import File
from django.utils import timezone
from django.utils.text import slugify

from articles.models import Article, Author, Byline, Image, Section, Tag
from articles.sanitize import sanitize_body
from comments.models import Comment
from comments.sanitize import render_comment
from comments.services import comment_recount
from newsroom.models import LegacyLink, WordPressImportRecord
from newsroom.wordpress.content import convert
from newsroom.wordpress.wxr import NotWXR, read

STATUSES = {
    "publish": Article.Status.PUBLISHED,
    "future": Article.Status.PUBLISHED,
    "draft": Article.Status.DRAFT,
    "pending": Article.Status.REVIEW,
    "private": Article.Status.DRAFT,
}
COMMENT_STATUSES = {
    "1": Comment.Status.APPROVED,
    "0": Comment.Status.PENDING,
    "spam": Comment.Status.SPAM,
    "trash": Comment.Status.REMOVED,
}


class Tally:
    """Created, updated, skipped and failed counts per kind, with the reasons."""

    def __init__(self):
        self.counts = defaultdict(Counter)
        self.reasons = defaultdict(Counter)

    def add(self, kind, outcome, reason=None, n=1):
        self.counts[kind][outcome] += n
        if reason:
            self.reasons[kind][reason] += n

    def table(self):
        rows = [f"{'':14}{'created':>9}{'updated':>9}{'skipped':>9}{'failed':>8}"]
        for kind, counts in self.counts.items():
            rows.append(
                f"{kind:14}{counts['created']:>9}{counts['updated']:>9}"
                f"{counts['skipped']:>9}{counts['failed']:>8}"
            )
        for kind, reasons in self.reasons.items():
            for reason, n in reasons.most_common():
                rows.append(f"  {kind}: {reason} ({n})")
        return "\n".join(rows)


def parse_date(value, fallback=None):
    """WordPress dates: GMT when given, else the site's local time; zero dates mean none."""
    if not value or value.startswith("0000"):
        return fallback
    try:
        naive = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return fallback
    return naive


def post_id(fields):
    """wp:post_id, or the ?p=N of the guid or link for exports that leave it out."""
    if fields.get("wp:post_id", "").isdigit():
        return int(fields["wp:post_id"])
    for source in (fields.get("guid", ""), fields.get("link", "")):
        found = re.search(r"[?&](?:p|page_id)=(\d+)", source)
        if found:
            return int(found.group(1))
    return None


def valid_ip(value):
    """WordPress stores whatever the server saw; only a real address is kept."""
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def generation(wp_id, parents):
    """How many ancestors a comment has, so parents are placed before their replies."""
    count, seen = 0, {wp_id}
    while parents.get(wp_id) in parents and parents[wp_id] not in seen:
        wp_id = parents[wp_id]
        seen.add(wp_id)
        count += 1
    return count


class WordPressImport:
    def __init__(self, *, media_dir=None, progress=None):
        self.media_dir = Path(media_dir) if media_dir else None
        self.progress = progress or (lambda count: None)
        self.tally = Tally()
        self.sections_by_slug = {}
        self.parents = {}
        self.attachments = {}  # wp id -> attachment url
        self.attachment_ids = {}  # attachment url -> wp id
        self.images = {}  # attachment url -> Image
        self.pages = {}  # wp id -> (slug, parent wp id, title, body)
        self.articles_with_comments = set()
        self.thumbnails = {}  # article pk -> attachment wp id

    # -- the stream ---------------------------------------------------------------

    def run(self, path):
        items = 0
        for entry in read(path):
            handler = getattr(self, f"take_{entry.kind}")
            handler(entry)
            if entry.kind == "item":
                items += 1
                self.progress(items)
        self.finish()
        return self.tally

    def finish(self):
        WordPressImportRecord.objects.create(
            base_site_url=getattr(self, "base_site_url", ""), summary=self.tally.table()
        )
        for slug, parent_slug in self.parents.items():
            section, parent = (
                self.sections_by_slug.get(slug),
                self.sections_by_slug.get(parent_slug),
            )
            if section and parent and section.parent_id != parent.pk:
                section.parent = parent
                section.save()
        self.save_pages()
        for article_pk, attachment_id in self.thumbnails.items():
            image = self.image_for(self.attachments.get(attachment_id, ""))
            if image is not None:
                Article.objects.filter(pk=article_pk).update(featured_image=image)
        comment_recount(article_ids=self.articles_with_comments)

    # -- channel-level entries ----------------------------------------------------

    def take_site(self, entry):
        url = entry.fields["wp:base_site_url"].rstrip("/")
        previous = WordPressImportRecord.objects.exclude(base_site_url=url).first()
        if previous is not None:
            raise NotWXR(
                f"this export is from {url}, but this newsroom was imported from "
                f"{previous.base_site_url}; WordPress ids only match within one site"
            )
        self.base_site_url = url

    def take_author(self, entry):
        login = entry.fields.get("wp:author_login", "")
        name = html.unescape(entry.fields.get("wp:author_display_name") or login)
        author, created = Author.objects.update_or_create(
            wp_login=login, defaults={"name": name, "slug": self.free_author_slug(login)}
        )
        self.tally.add("authors", "created" if created else "updated")

    def free_author_slug(self, login):
        existing = Author.objects.filter(wp_login=login).values_list("slug", flat=True).first()
        if existing:
            return existing
        base = slugify(login) or "author"
        slug, number = base, 2
        while Author.objects.filter(slug=slug).exists():
            slug, number = f"{base}-{number}", number + 1
        return slug

    def take_category(self, entry):
        slug = entry.fields.get("wp:category_nicename", "")[:200]
        name = html.unescape(entry.fields.get("wp:cat_name") or slug)
        section, created = Section.objects.update_or_create(slug=slug, defaults={"name": name})
        self.sections_by_slug[slug] = section
        if entry.fields.get("wp:category_parent"):
            self.parents[slug] = entry.fields["wp:category_parent"]
        if entry.fields.get("wp:term_id", "").isdigit():
            LegacyLink.objects.update_or_create(
                kind=LegacyLink.Kind.CATEGORY,
                wp_id=int(entry.fields["wp:term_id"]),
                defaults={"path": f"/category/{slug}/"},
            )
        self.tally.add("sections", "created" if created else "updated")

    def take_tag(self, entry):
        slug = entry.fields.get("wp:tag_slug", "")[:200]
        name = html.unescape(entry.fields.get("wp:tag_name") or slug)
        _tag, created = Tag.objects.update_or_create(slug=slug, defaults={"name": name})
        self.tally.add("tags", "created" if created else "updated")

    # -- items --------------------------------------------------------------------

    def take_item(self, entry):
        kind = entry.fields.get("wp:post_type", "")
        if kind == "post":
            self.take_post(entry)
        elif kind == "page":
            self.take_page(entry)
        elif kind == "attachment":
            wp_id = int(entry.fields.get("wp:post_id") or 0)
            self.attachments[wp_id] = entry.fields.get("wp:attachment_url", "")
            self.attachment_ids[self.attachments[wp_id]] = wp_id
            self.tally.add("attachments", "skipped", "kept for featured images and links")
        else:
            self.tally.add("other items", "skipped", f"{kind or 'unknown'} items are not imported")

    def take_post(self, entry):
        f = entry.fields
        wp_id = post_id(f)
        if wp_id is None:
            self.tally.add("articles", "failed", "no WordPress post id")
            return
        wp_status = f.get("wp:status", "")
        if wp_status not in STATUSES:
            self.tally.add("articles", "skipped", f"status “{wp_status}”")
            return
        title = html.unescape(f.get("title", "")).strip()
        if not title:
            title = f"Untitled (WordPress post {wp_id})"
            self.tally.reasons["articles"]["no title: named “Untitled (WordPress post N)”"] += 1
        converted = convert(f.get("content:encoded", ""))
        for shortcode, n in converted.dropped_shortcodes.items():
            self.tally.reasons["articles"][f"shortcode [{shortcode}] removed"] += n
        status = STATUSES[wp_status]
        if wp_status == "private" or f.get("wp:post_password"):
            status = Article.Status.DRAFT
            self.tally.reasons["articles"]["private or password-protected: kept as draft"] += 1
        publish_at = self.publish_time(f)
        categories = [(d, n, label) for d, n, label in entry.categories]
        section_slugs = [n for d, n, _ in categories if d == "category"]
        tag_slugs = [n for d, n, _ in categories if d == "post_tag"]
        section = self.sections_by_slug.get(section_slugs[0]) if section_slugs else None
        if section is None and section_slugs:
            section = Section.objects.filter(slug=section_slugs[0]).first()
        article = Article.objects.filter(wp_id=wp_id).first()
        created = article is None
        article = article or Article(wp_id=wp_id)
        article.title = title[:255]
        article.slug = article.slug if not created else self.free_article_slug(f, title, wp_id)
        article.body = self.with_local_images(converted.body)
        article.excerpt = html.unescape(f.get("excerpt:encoded", "")).strip() or converted.excerpt
        article.status = status
        article.publish_at = publish_at
        article.section = section
        article.is_featured = f.get("wp:is_sticky") == "1"
        article.comments_open = f.get("wp:comment_status", "open") == "open"
        article.save()
        thumbnail = entry.postmeta.get("_thumbnail_id", "")
        if thumbnail.isdigit():
            # The attachment may come later in the file; featured images are set at the end.
            self.thumbnails[article.pk] = int(thumbnail)
        self.set_bylines(article, f.get("dc:creator", ""))
        tags = list(Tag.objects.filter(slug__in=tag_slugs))
        extra_sections = [
            Tag.objects.get_or_create(slug=f"section-{slug}"[:200], defaults={"name": label})[0]
            for domain, slug, label in categories
            if domain == "category" and slug != (section.slug if section else None)
        ]
        article.tags.set(tags + extra_sections)
        LegacyLink.objects.update_or_create(
            kind=LegacyLink.Kind.POST, wp_id=wp_id, defaults={"path": article.get_absolute_url()}
        )
        for url in re.findall(r'(?:src|href)="([^"]+)"', f.get("content:encoded") or ""):
            if url in self.attachment_ids:
                LegacyLink.objects.get_or_create(
                    kind=LegacyLink.Kind.ATTACHMENT, wp_id=self.attachment_ids[url],
                    defaults={"path": article.get_absolute_url()},
                )  # fmt: skip
        self.tally.add("articles", "created" if created else "updated")
        self.take_comments(article, entry.comments)

    def publish_time(self, f):
        gmt = parse_date(f.get("wp:post_date_gmt"))
        if gmt is not None:
            return gmt.replace(tzinfo=UTC)
        local = parse_date(f.get("wp:post_date"))
        return timezone.make_aware(local) if local else None

    def free_article_slug(self, f, title, wp_id):
        base = (f.get("wp:post_name") or slugify(title) or f"post-{wp_id}")[:240]
        slug, number = base, 2
        while Article.objects.filter(slug=slug).exists():
            slug, number = f"{base}-{number}", number + 1
        return slug

    def set_bylines(self, article, login):
        author = Author.objects.filter(wp_login=login).first()
        if author is None and login:
            author, _ = Author.objects.get_or_create(
                wp_login=login, defaults={"name": login, "slug": self.free_author_slug(login)}
            )
        if author and not article.bylines.filter(author=author).exists():
            article.bylines.all().delete()
            Byline.objects.create(article=article, author=author, position=0)

    # -- media --------------------------------------------------------------------

    def local_file(self, url):
        if not self.media_dir or not url:
            return None
        path = urlsplit(url).path
        relative = path.split("/wp-content/uploads/", 1)[-1].lstrip("/")
        candidate = (self.media_dir / relative).resolve()
        if self.media_dir.resolve() in candidate.parents and candidate.is_file():
            return candidate
        return None

    def image_for(self, url):
        if url in self.images:
            return self.images[url]
        local = self.local_file(url)
        if local is None:
            self.tally.add("images", "skipped", "not copied (no local file)")
            self.images[url] = None
            return None
        if not (mimetypes.guess_type(local.name)[0] or "").startswith("image/"):
            self.images[url] = None
            return None
        with local.open("rb") as handle:
            image = Image(title=local.stem[:255], file=File(handle, name=local.name))
            image.save()
        self.tally.add("images", "created")
        self.images[url] = image
        return image

    def with_local_images(self, body):
        if not self.media_dir:
            return body
        for url in set(re.findall(r'src="([^"]+)"', body)):
            image = self.image_for(url)
            if image is not None:
                body = body.replace(url, image.src)
        return body

    # -- comments -----------------------------------------------------------------

    def take_comments(self, article, raw_comments):
        """All of a post's comments in two bulk writes: rows first, then their thread paths."""
        wanted = []
        for raw in raw_comments:
            if raw.get("wp:comment_type") in ("pingback", "trackback"):
                self.tally.add("comments", "skipped", "pingbacks and trackbacks")
                continue
            if not raw.get("wp:comment_id", "").isdigit():
                self.tally.add("comments", "failed", "no comment id")
                continue
            wanted.append(raw)
        if not wanted:
            return
        existing = {c.wp_id: c for c in Comment.objects.filter(article=article)}
        rows, wp_parents = [], {}
        for raw in sorted(wanted, key=lambda r: int(r["wp:comment_id"])):
            wp_id = int(raw["wp:comment_id"])
            comment = existing.get(wp_id) or Comment(article=article, wp_id=wp_id)
            name = html.unescape(raw.get("wp:comment_author", "")) or "Anonymous"
            comment.author_name = name[:100]
            comment.author_email = raw.get("wp:comment_author_email", "")[:254]
            comment.author_url = raw.get("wp:comment_author_url", "")[:200]
            comment.ip_address = valid_ip(raw.get("wp:comment_author_IP"))
            comment.body = raw.get("wp:comment_content", "")
            comment.body_html = render_comment(comment.body)
            comment.status = COMMENT_STATUSES.get(raw.get("wp:comment_approved"), "pending")
            comment.status_reason = "Imported from WordPress"
            when = parse_date(raw.get("wp:comment_date_gmt"))
            comment.created_at = (
                when.replace(tzinfo=UTC) if when else article.publish_at or timezone.now()
            )
            comment.updated_at = timezone.now()
            rows.append(comment)
            wp_parents[wp_id] = int(raw.get("wp:comment_parent") or 0)
        new = [c for c in rows if c.pk is None]
        Comment.objects.bulk_create(new, batch_size=500)
        self.tally.add("comments", "created", n=len(new))
        self.tally.add("comments", "updated", n=len(rows) - len(new))
        by_wp_id = {c.wp_id: c for c in rows}
        for comment in sorted(rows, key=lambda c: (generation(c.wp_id, wp_parents), c.wp_id)):
            parent = by_wp_id.get(wp_parents[comment.wp_id])
            comment.parent = None
            comment.place_under(parent if parent is not comment else None)
            comment.set_path()
        # Only the thread fields for new rows: updating every column is most of an import's time.
        Comment.objects.bulk_update(rows, ["parent", "depth", "path"], batch_size=500)
        updated = [c for c in rows if c.wp_id in existing]
        if updated:
            Comment.objects.bulk_update(
                updated,
                ["author_name", "author_email", "author_url", "ip_address", "body", "body_html",
                 "status", "status_reason", "created_at", "updated_at"],
                batch_size=500,
            )  # fmt: skip
        self.articles_with_comments.add(article.pk)

    # -- pages --------------------------------------------------------------------

    def take_page(self, entry):
        f = entry.fields
        if f.get("wp:status") != "publish":
            self.tally.add("pages", "skipped", f"status “{f.get('wp:status')}”")
            return
        wp_id = post_id(f) or 0
        slug = f.get("wp:post_name") or slugify(f.get("title", "")) or f"page-{wp_id}"
        title = html.unescape(f.get("title", "")).strip() or slug
        self.pages[wp_id] = (slug, int(f.get("wp:post_parent") or 0), title,
                             convert(f.get("content:encoded", "")).body)  # fmt: skip

    def page_path(self, wp_id, seen=()):
        slug, parent, _title, _body = self.pages[wp_id]
        if parent in self.pages and parent not in seen:
            return f"{self.page_path(parent, (*seen, wp_id))}{slug}/"
        return f"/{slug}/"

    def save_pages(self):
        for wp_id, (_slug, _parent, title, body) in self.pages.items():
            url = self.page_path(wp_id)[:100]
            page, created = FlatPage.objects.update_or_create(
                url=url, defaults={"title": title[:200], "content": sanitize_body(body)}
            )
            page.sites.add(1)
            LegacyLink.objects.update_or_create(
                kind=LegacyLink.Kind.PAGE, wp_id=wp_id, defaults={"path": url}
            )
            self.tally.add("pages", "created" if created else "updated")
