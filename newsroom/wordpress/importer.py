"""
Moving a WordPress newsroom in: the archive, its readers' discussions, its links.

Everything goes through the same models and rules as the rest of the site:
bodies are sanitized on save, comments rendered as readers' comments are,
and every object remembers its WordPress id so a second run updates instead
of duplicating.
"""

import html
import logging
import mimetypes
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from django.contrib.flatpages.models import FlatPage
from django.core.files import File
from django.utils import timezone

from articles.models import Article, ArticleRedirect, Author, Byline, Image, Section, Tag
from comments.models import Comment
from comments.services import comment_recount
from newsroom.models import LegacyLink, WordPressImportRecord
from newsroom.wordpress import fields
from newsroom.wordpress.content import BodyTooLarge, convert
from newsroom.wordpress.wxr import NotWXR, read

logger = logging.getLogger(__name__)

# WordPress keeps a comment in a TEXT column (64 KB); anything longer did not come from it.
MAX_COMMENT_CHARS = 65_525
COMMENTER_NAME_CHARS = 100
FLATPAGE_URL_CHARS = 100
SECTION_PATH_CHARS = 1000
# Far deeper than any site's menu; a crafted file's chain of thousands stops here.
MAX_DEPTH = 100
LOOP = "in a loop of parents: made top-level"
TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep: kept top-level"
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


def log_skipped(kind, wp_id, outcome, reason, **details):
    """
    One line per item the import leaves out, with its WordPress id, so an operator can find
    it in the export; the summary table only counts them. No commenter's data; the reason,
    which may quote a status from the file, is cut short and quoted so that it cannot
    forge a line of a plain-text log.
    """
    reason = reason[:200]
    logger.log(
        logging.WARNING if outcome == "failed" else logging.INFO,
        "WordPress import: %s %s %s: %r",
        kind,
        wp_id,
        outcome,
        reason,
        extra={
            "event": "wordpress.import_skipped",
            "kind": kind,
            "wp_id": wp_id,
            "outcome": outcome,
            "reason": reason,
            **details,
        },
    )


def log_dropped(wp_id, field, reason):
    """A commenter's value the site's form would refuse, named by comment id and field only."""
    logger.info(
        "WordPress import: comment %s %s dropped: %s",
        wp_id,
        field,
        reason,
        extra={
            "event": "wordpress.import_value_dropped",
            "kind": "comments",
            "wp_id": wp_id,
            "field": field,
            "reason": reason,
        },
    )


def parse_date(value, fallback=None):
    """WordPress dates: GMT when given, else the site's local time; zero dates mean none."""
    if not value or value.startswith("0000"):
        return fallback
    try:
        naive = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return fallback
    return naive


def post_id(item):
    """wp:post_id, or the ?p=N of the guid or link for exports that leave it out."""
    wp_id = fields.wp_number(item.get("wp:post_id"))
    if wp_id is not None:
        return wp_id
    for source in (item.get("guid", ""), item.get("link", "")):
        found = re.search(r"[?&](?:p|page_id)=([0-9]+)", source)
        if found and fields.wp_number(found.group(1)) is not None:
            return fields.wp_number(found.group(1))
    return None


def without_loops(parents):
    """
    The parent map with every loop cut, and the ids cut: WordPress never writes a
    comment or page that is its own ancestor, but a crafted file can, and a thread
    path or page address built through a loop would depend on itself. The lowest id
    of each loop (the oldest, as WordPress numbers them) becomes top-level. Iterative,
    so no chain is too long for the stack.
    """
    parent_of = {child: parent for child, parent in parents.items() if parent in parents}
    settled, cut = set(), set()
    for start in sorted(parent_of):
        walk, position, node = [], {}, start
        while node in parent_of and node not in settled and node not in position:
            position[node] = len(walk)
            walk.append(node)
            node = parent_of[node]
        if node in position:
            first = min(walk[position[node] :])
            del parent_of[first]
            cut.add(first)
        settled.update(walk)
    return parent_of, cut


def generations(parent_of):
    """How many ancestors each entry of a loop-free parent map has, so parents come first."""
    count = {}
    for start in parent_of:
        walk, node = [], start
        while node in parent_of and node not in count:
            walk.append(node)
            node = parent_of[node]
        above = count.get(node, 0)  # a top-level entry has none
        for entry in reversed(walk):
            above += 1
            count[entry] = above
    return count


class WordPressImport:
    def __init__(self, *, media_dir=None, progress=None):
        self.media_dir = Path(media_dir) if media_dir else None
        self.progress = progress or (lambda count: None)
        self.tally = Tally()
        self.sections = {}  # WordPress nicename -> Section
        self.tags = {}  # WordPress nicename -> Tag
        self.parents = {}  # WordPress nicename -> parent's nicename
        self.category_ids = {}  # WordPress nicename -> term id, for /?cat= links
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
        self.nest_sections()
        # After the hierarchy: a child category's page is /category/<parent>/<child>/.
        for nicename, term_id in self.category_ids.items():
            self.link(LegacyLink.Kind.CATEGORY, term_id, self.sections[nicename].get_absolute_url())
        self.save_pages()
        for article_pk, attachment_id in self.thumbnails.items():
            image = self.image_for(self.attachments.get(attachment_id, ""))
            if image is not None:
                Article.objects.filter(pk=article_pk).update(featured_image=image)
        comment_recount(article_ids=self.articles_with_comments)
        # Last, so the record holds what the pages and images added (held pages, loops cut).
        WordPressImportRecord.objects.create(
            base_site_url=getattr(self, "base_site_url", ""), summary=self.tally.table()
        )

    def nest_sections(self):
        """
        Each section under the parent the file names, or top-level, parents first and
        without recursion. The file decides for every section it names, so no loop can form
        with an older nesting. Loops are found by section row, since two nicenames can name
        one section; a section in a loop, nested deeper than MAX_DEPTH or whose path would
        not fit stays top-level, counted. Otherwise saving one would re-save its children
        for ever.
        """
        by_pk = {section.pk: section for section in self.sections.values()}
        self.sections = {nicename: by_pk[s.pk] for nicename, s in self.sections.items()}
        parents = dict.fromkeys(by_pk)
        for nicename, parent_nicename in self.parents.items():
            section, parent = self.sections.get(nicename), self.sections.get(parent_nicename)
            if section and parent:
                parents[section.pk] = parent.pk
        parent_of, cut = without_loops(parents)
        if cut:
            self.tally.reasons["sections"][LOOP] += len(cut)
        generation = generations(parent_of)
        for pk in sorted(by_pk, key=lambda pk: generation.get(pk, 0)):
            section, parent = by_pk[pk], by_pk.get(parent_of.get(pk))
            if parent and generation[pk] > MAX_DEPTH:
                self.tally.reasons["sections"][TOO_DEEP] += 1
                parent = None
            elif parent and len(parent.path) + 1 + len(section.slug) > SECTION_PATH_CHARS:
                self.tally.reasons["sections"]["path too long: kept top-level"] += 1
                parent = None
            if section.parent_id != (parent.pk if parent else None):
                section.parent = parent
                section.save()

    # -- channel-level entries ----------------------------------------------------

    def take_site(self, entry):
        url = entry.fields["wp:base_site_url"].rstrip("/")[: fields.URL_MAX_LENGTH]
        previous = WordPressImportRecord.objects.exclude(base_site_url=url).first()
        if previous is not None:
            raise NotWXR(
                f"this export is from {url}, but this newsroom was imported from "
                f"{previous.base_site_url}; WordPress ids only match within one site"
            )
        self.base_site_url = url

    def take_author(self, entry):
        login = entry.fields.get("wp:author_login", "")[:200]
        slug = self.free_author_slug(login)
        name = fields.plain_text(entry.fields.get("wp:author_display_name") or login, 200)
        author, created = Author.objects.update_or_create(
            wp_login=login, defaults={"name": name or slug, "slug": slug}
        )
        self.tally.add("authors", "created" if created else "updated")

    def free_author_slug(self, login):
        existing = Author.objects.filter(wp_login=login).values_list("slug", flat=True).first()
        if existing:
            return existing
        base = fields.slug(login, 190) or "author"
        slug, number = base, 2
        while Author.objects.filter(slug=slug).exists():
            slug, number = f"{base}-{number}", number + 1
        return slug

    def take_category(self, entry):
        nicename, term_id = entry.fields.get("wp:category_nicename", ""), self.term_id(entry)
        name = fields.plain_text(entry.fields.get("wp:cat_name"), 200)
        slug = self.term_slug(nicename, name, fallback=f"category-{term_id or ''}")
        section, created = Section.objects.update_or_create(
            slug=slug, defaults={"name": name or slug}
        )
        self.sections[nicename] = section
        if entry.fields.get("wp:category_parent"):
            self.parents[nicename] = entry.fields["wp:category_parent"]
        if term_id is not None:
            self.category_ids[nicename] = term_id
        self.tally.add("sections", "created" if created else "updated")

    def take_tag(self, entry):
        nicename, term_id = entry.fields.get("wp:tag_slug", ""), self.term_id(entry)
        name = fields.plain_text(entry.fields.get("wp:tag_name"), 200)
        slug = self.term_slug(nicename, name, fallback=f"tag-{term_id or ''}")
        tag, created = Tag.objects.update_or_create(slug=slug, defaults={"name": name or slug})
        self.tags[nicename] = tag
        self.tally.add("tags", "created" if created else "updated")

    def term_id(self, entry):
        return fields.wp_number(entry.fields.get("wp:term_id"))

    def term_slug(self, nicename, name, *, fallback):
        """The nicename as a slug; else one from the name; else a fallback, counted."""
        slug = fields.slug(nicename, 200) or fields.slug(name, 200)
        if not slug or slug != nicename:
            self.tally.reasons["slugs"]["non-ASCII or invalid slug: decoded or replaced"] += 1
        return slug or fallback.rstrip("-")

    def link(self, kind, wp_id, path, *, keep_existing=False):
        """An old WordPress address, only ever to a local path of this site (never another host)."""
        if not fields.is_local_path(path):
            self.tally.add("old links", "failed", "target is not a local path")
            log_skipped("old links", wp_id, "failed", "target is not a local path", link=kind)
            return
        if keep_existing:
            LegacyLink.objects.get_or_create(kind=kind, wp_id=wp_id, defaults={"path": path})
        else:
            LegacyLink.objects.update_or_create(kind=kind, wp_id=wp_id, defaults={"path": path})

    # -- items --------------------------------------------------------------------

    def take_item(self, entry):
        kind = entry.fields.get("wp:post_type", "")
        if kind == "post":
            self.take_post(entry)
        elif kind == "page":
            self.take_page(entry)
        elif kind == "attachment":
            wp_id = post_id(entry.fields) or 0
            self.attachments[wp_id] = entry.fields.get("wp:attachment_url", "")
            self.attachment_ids[self.attachments[wp_id]] = wp_id
            self.tally.add("attachments", "skipped", "kept for featured images and links")
            log_skipped("attachments", wp_id, "skipped", "kept for featured images and links")
        else:
            self.tally.add("other items", "skipped", f"{kind or 'unknown'} items are not imported")
            log_skipped(
                "other items",
                post_id(entry.fields),
                "skipped",
                f"{kind or 'unknown'} items are not imported",
            )

    def take_post(self, entry):
        f = entry.fields
        wp_id = post_id(f)
        if wp_id is None:
            self.tally.add("articles", "failed", "no WordPress post id")
            log_skipped("articles", None, "failed", "no WordPress post id")
            return
        wp_status = f.get("wp:status", "")
        if wp_status not in STATUSES:
            self.tally.add("articles", "skipped", f"status “{wp_status}”")
            log_skipped("articles", wp_id, "skipped", f"status “{wp_status}”")
            return
        title = fields.plain_text(f.get("title"), 255)
        if not title:
            title = f"Untitled (WordPress post {wp_id})"
            self.tally.reasons["articles"]["no title: named “Untitled (WordPress post N)”"] += 1
        try:
            converted = convert(f.get("content:encoded", ""))
        except BodyTooLarge as error:
            self.tally.add("articles", "failed", str(error))
            log_skipped("articles", wp_id, "failed", str(error))
            return
        for shortcode, n in converted.dropped_shortcodes.items():
            self.tally.reasons["articles"][f"shortcode [{shortcode}] removed"] += n
        status = STATUSES[wp_status]
        if wp_status == "private" or f.get("wp:post_password"):
            status = Article.Status.DRAFT
            self.tally.reasons["articles"]["private or password-protected: kept as draft"] += 1
        publish_at = self.publish_time(f)
        section_nicenames = [n for domain, n, _ in entry.categories if domain == "category"]
        section = self.section_for(section_nicenames[0]) if section_nicenames else None
        article = Article.objects.filter(wp_id=wp_id).first()
        created = article is None
        article = article or Article(wp_id=wp_id)
        article.title = title
        article.slug = article.slug if not created else self.free_article_slug(f, title, wp_id)
        article.body = self.with_local_images(converted.body)
        article.excerpt = html.unescape(f.get("excerpt:encoded", "")).strip() or converted.excerpt
        article.status = status
        article.publish_at = publish_at
        article.section = section
        article.is_featured = f.get("wp:is_sticky") == "1"
        article.comments_open = f.get("wp:comment_status", "open") == "open"
        article.save()
        thumbnail = fields.wp_number(entry.postmeta.get("_thumbnail_id"))
        if thumbnail is not None:
            # The attachment may come later in the file; featured images are set at the end.
            self.thumbnails[article.pk] = thumbnail
        self.set_bylines(article, f.get("dc:creator", "")[:200])
        article.tags.set(self.tags_for(entry.categories, section))
        self.link(LegacyLink.Kind.POST, wp_id, article.get_absolute_url())
        self.keep_permalink(article, f.get("wp:post_name"))
        for url in re.findall(r'(?:src|href)="([^"]+)"', f.get("content:encoded") or ""):
            if url in self.attachment_ids:
                self.link(
                    LegacyLink.Kind.ATTACHMENT,
                    self.attachment_ids[url],
                    article.get_absolute_url(),
                    keep_existing=True,
                )
        self.tally.add("articles", "created" if created else "updated")
        self.take_comments(article, entry.comments)

    def keep_permalink(self, article, post_name):
        """
        WordPress's own address for a post whose slug was decoded or replaced
        ("/2020/01/02/caf%c3%a9/" is now "/2020/01/02/cafe/"), kept as an old address
        that redirects, when it is one our article URLs can route.
        """
        wp_slug = fields.unquoted_slug(post_name)
        if not wp_slug or wp_slug == article.slug:
            return
        old_path = article.get_absolute_url().rsplit("/", 2)[0] + f"/{wp_slug}/"
        ArticleRedirect.objects.get_or_create(old_path=old_path, defaults={"article": article})

    def section_for(self, nicename):
        """The section a post's category names: from this file, else one imported before."""
        if nicename in self.sections:
            return self.sections[nicename]
        slug = fields.slug(nicename, 200)
        return Section.objects.filter(slug=slug).first() if slug else None

    def tags_for(self, categories, section):
        """The post's tags, and its other categories as "section-" tags of the same name."""
        tags = [
            self.tags[n] for domain, n, _ in categories if domain == "post_tag" and n in self.tags
        ]
        unknown = [
            fields.slug(n, 200)
            for domain, n, _ in categories
            if domain == "post_tag" and n not in self.tags
        ]
        tags += Tag.objects.filter(slug__in=[slug for slug in unknown if slug])
        for domain, nicename, label in categories:
            other = self.section_for(nicename) if domain == "category" else None
            if domain != "category" or (section is not None and other == section):
                continue
            slug = other.slug if other else fields.slug(nicename, 190)
            name = other.name if other else fields.plain_text(label, 200)
            if slug:
                tags.append(
                    Tag.objects.get_or_create(
                        slug=f"section-{slug}", defaults={"name": name or slug}
                    )[0]
                )
        return tags

    def publish_time(self, f):
        gmt = parse_date(f.get("wp:post_date_gmt"))
        if gmt is not None:
            return gmt.replace(tzinfo=UTC)
        local = parse_date(f.get("wp:post_date"))
        return timezone.make_aware(local) if local else None

    def free_article_slug(self, f, title, wp_id):
        base = fields.slug(f.get("wp:post_name"), 240) or fields.slug(title, 240) or f"post-{wp_id}"
        slug, number = base, 2
        while Article.objects.filter(slug=slug).exists():
            slug, number = f"{base}-{number}", number + 1
        return slug

    def set_bylines(self, article, login):
        author = Author.objects.filter(wp_login=login).first()
        if author is None and login:
            author, _ = Author.objects.get_or_create(
                wp_login=login,
                defaults={
                    "name": fields.plain_text(login, 200) or "author",
                    "slug": self.free_author_slug(login),
                },
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
            log_skipped(
                "images", self.attachment_ids.get(url), "skipped", "not copied (no local file)"
            )
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
                log_skipped(
                    "comments",
                    fields.wp_number(raw.get("wp:comment_id")),
                    "skipped",
                    "pingbacks and trackbacks",
                    post_id=article.wp_id,
                )
                continue
            wp_id = fields.wp_number(raw.get("wp:comment_id"))
            if wp_id is None:
                self.tally.add("comments", "failed", "no comment id")
                log_skipped("comments", None, "failed", "no comment id", post_id=article.wp_id)
                continue
            if len(raw.get("wp:comment_content", "")) > MAX_COMMENT_CHARS:
                self.tally.add("comments", "failed", "longer than WordPress allows")
                log_skipped(
                    "comments",
                    wp_id,
                    "failed",
                    "longer than WordPress allows",
                    post_id=article.wp_id,
                )
                continue
            wanted.append((wp_id, raw))
        if not wanted:
            return
        existing = {c.wp_id: c for c in Comment.objects.filter(article=article)}
        rows, wp_parents = [], {}
        for wp_id, raw in sorted(wanted, key=lambda pair: pair[0]):
            comment = existing.get(wp_id) or Comment(article=article, wp_id=wp_id)
            self.set_commenter(comment, raw)
            comment.body = raw.get("wp:comment_content", "")
            comment.status = COMMENT_STATUSES.get(raw.get("wp:comment_approved"), "pending")
            comment.fill_derived_fields()
            comment.status_reason = "Imported from WordPress"
            when = parse_date(raw.get("wp:comment_date_gmt"))
            comment.created_at = (
                when.replace(tzinfo=UTC) if when else article.publish_at or timezone.now()
            )
            comment.updated_at = timezone.now()
            rows.append(comment)
            wp_parents[wp_id] = fields.wp_number(raw.get("wp:comment_parent")) or 0
        new = [c for c in rows if c.pk is None]
        Comment.objects.bulk_create(new, batch_size=500)
        self.tally.add("comments", "created", n=len(new))
        self.tally.add("comments", "updated", n=len(rows) - len(new))
        by_wp_id = {c.wp_id: c for c in rows}
        parent_of, cut = without_loops(wp_parents)
        if cut:
            self.tally.reasons["comments"][LOOP] += len(cut)
        generation = generations(parent_of)
        for comment in sorted(rows, key=lambda c: (generation.get(c.wp_id, 0), c.wp_id)):
            comment.parent = None
            comment.place_under(by_wp_id.get(parent_of.get(comment.wp_id)))
            comment.set_path()
        # Only the thread fields for new rows: updating every column is most of an import's time.
        Comment.objects.bulk_update(rows, ["parent", "depth", "path"], batch_size=500)
        updated = [c for c in rows if c.wp_id in existing]
        if updated:
            Comment.objects.bulk_update(
                updated,
                ["author_name", "author_email", "author_url", "ip_address", "body", "body_html",
                 "status", "status_reason", "was_published", "created_at", "updated_at"],
                batch_size=500,
            )  # fmt: skip
        self.articles_with_comments.add(article.pk)

    def set_commenter(self, comment, raw):
        """Name, email, website and address as the comment form would take them; drops counted."""
        name = fields.plain_text(raw.get("wp:comment_author"), COMMENTER_NAME_CHARS + 1)
        if len(name) > COMMENTER_NAME_CHARS:
            self.tally.reasons["comments"]["name cut to 100 characters"] += 1
        comment.author_name = name[:COMMENTER_NAME_CHARS].rstrip() or "Anonymous"
        raw_email = raw.get("wp:comment_author_email", "").strip()
        comment.author_email = fields.email(raw_email) or ""
        if raw_email and not comment.author_email:
            self.tally.reasons["comments"]["invalid or too long email dropped"] += 1
            log_dropped(comment.wp_id, "email", "invalid or too long")
        raw_url = raw.get("wp:comment_author_url", "").strip()
        comment.author_url = fields.website(raw_url) or ""
        if raw_url and not comment.author_url:
            self.tally.reasons["comments"]["website not an http(s) address: dropped"] += 1
            log_dropped(comment.wp_id, "website", "not an http(s) address")
        raw_ip = raw.get("wp:comment_author_IP", "").strip()
        comment.ip_address = fields.ip_address(raw_ip)
        if raw_ip and comment.ip_address is None:
            self.tally.reasons["comments"]["invalid IP address dropped"] += 1
            log_dropped(comment.wp_id, "ip_address", "not an IP address")

    # -- pages --------------------------------------------------------------------

    def take_page(self, entry):
        f = entry.fields
        if f.get("wp:status") != "publish":
            self.tally.add("pages", "skipped", f"status “{f.get('wp:status')}”")
            log_skipped("pages", post_id(f), "skipped", f"status “{f.get('wp:status')}”")
            return
        wp_id = post_id(f) or 0
        title = fields.plain_text(f.get("title"), 200)
        slug = fields.slug(f.get("wp:post_name"), 98) or fields.slug(title, 98) or f"page-{wp_id}"
        if slug != f.get("wp:post_name"):
            self.tally.reasons["slugs"]["non-ASCII or invalid slug: decoded or replaced"] += 1
        try:
            body = convert(f.get("content:encoded", "")).body
        except BodyTooLarge as error:
            self.tally.add("pages", "failed", str(error))
            log_skipped("pages", wp_id, "failed", str(error))
            return
        parent = fields.wp_number(f.get("wp:post_parent")) or 0
        # WordPress asks for the password whenever the field is not empty, spaces included.
        protected = bool(f.get("wp:post_password"))
        self.pages[wp_id] = (slug, parent, title or slug, body, protected)

    def page_urls(self):
        """
        Each page's address under its parent's, built parents first without recursion, so a
        crafted file's loops and endless chains cannot exhaust the stack. A page in a loop,
        nested deeper than MAX_DEPTH or too long for the column answers at its own
        slug instead; each is counted.
        """
        parent_of, cut = without_loops({wp_id: page[1] for wp_id, page in self.pages.items()})
        generation = generations(parent_of)
        urls = {}
        for wp_id in sorted(self.pages, key=lambda wp_id: generation.get(wp_id, 0)):
            own = f"/{self.pages[wp_id][0]}/"
            if wp_id in cut:
                self.tally.reasons["pages"][LOOP] += 1
            if wp_id not in parent_of:
                urls[wp_id] = own
            elif generation[wp_id] > MAX_DEPTH:
                urls[wp_id] = own
                self.tally.reasons["pages"][TOO_DEEP] += 1
            elif len(urls[parent_of[wp_id]]) + len(own) - 1 > FLATPAGE_URL_CHARS:
                urls[wp_id] = own
                self.tally.reasons["pages"]["address too long: at its own slug"] += 1
            else:
                urls[wp_id] = urls[parent_of[wp_id]] + own[1:]
        return urls

    def save_pages(self):
        for wp_id, url in self.page_urls().items():
            _slug, _parent, title, body, protected = self.pages[wp_id]
            defaults = {"title": title, "content": body}  # sanitized on save, as every page
            if protected:
                defaults["registration_required"] = True
            page, created = FlatPage.objects.update_or_create(url=url, defaults=defaults)
            if protected:
                # Held for an editor, as a password-protected post is kept as a draft: on no
                # site, flatpages serves it to nobody and neither the footer nor the sitemap
                # lists it; no old link names its address. An editor publishes it by choosing
                # the site (sign-in stays required).
                page.sites.clear()
                LegacyLink.objects.filter(kind=LegacyLink.Kind.PAGE, wp_id=wp_id).delete()
                self.tally.reasons["pages"][
                    "password-protected: held for an editor, sign-in required"
                ] += 1
            else:
                page.sites.add(1)
                self.link(LegacyLink.Kind.PAGE, wp_id, url)
            self.tally.add("pages", "created" if created else "updated")
