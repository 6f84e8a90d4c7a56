from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import F, Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from articles.images import (
    cut_renditions,
    read_dimensions,
    validate_image_file,
    without_metadata,
)
from articles.sanitize import excerpt_from, sanitize_body


class Image(models.Model):
    """An uploaded picture with its credit line and the renditions cut from it at upload."""

    title = models.CharField(_("title"), max_length=255)
    file = models.ImageField(_("file"), upload_to="images/%Y/%m/", validators=[validate_image_file])
    alt_text = models.CharField(
        _("alt text"),
        max_length=255,
        blank=True,
        help_text=_("What the picture shows, for readers who cannot see it."),
    )
    caption = models.CharField(_("caption"), max_length=500, blank=True)
    credit = models.CharField(_("credit"), max_length=255, blank=True)
    width = models.PositiveIntegerField(_("width"), editable=False, default=0)
    height = models.PositiveIntegerField(_("height"), editable=False, default=0)
    renditions = models.JSONField(_("renditions"), editable=False, default=list)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("image")
        verbose_name_plural = _("images")

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.file and not self.file._committed:
            self.file = without_metadata(self.file, self.file.name)
            self.width, self.height = read_dimensions(self.file)
            self.renditions = cut_renditions(self.file, self.file.storage, self.file.name)
        super().save(*args, **kwargs)

    @property
    def srcset(self):
        storage = self.file.storage
        candidates = [f"{storage.url(r['name'])} {r['width']}w" for r in self.renditions]
        candidates.append(f"{self.file.url} {self.width}w")
        return ", ".join(candidates)

    @property
    def src(self):
        """The fallback `src`: a mid-sized rendition, so old browsers do not fetch the original."""
        for rendition in self.renditions:
            if rendition["width"] >= 800:
                return self.file.storage.url(rendition["name"])
        return self.file.url


class Author(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    bio = models.TextField(_("bio"), blank=True)
    photo = models.ForeignKey(
        Image,
        verbose_name=_("photo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    wp_login = models.CharField(
        _("WordPress login"), max_length=200, null=True, blank=True, unique=True, editable=False
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="author",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("author")
        verbose_name_plural = _("authors")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:author", kwargs={"slug": self.slug})


class Section(models.Model):
    """A WordPress "category": sections nest, and their URL spells out the whole path."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent section"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=1000, unique=True, editable=False)

    class Meta:
        ordering = ["path"]
        verbose_name = _("section")
        verbose_name_plural = _("sections")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        old_path = self.path
        self.path = f"{self.parent.path}/{self.slug}" if self.parent else self.slug
        with transaction.atomic():
            super().save(*args, **kwargs)
            if old_path and old_path != self.path:
                for child in self.children.all():
                    child.save()

    def get_absolute_url(self):
        return reverse("articles:section", kwargs={"path": self.path})

    def get_feed_url(self):
        return reverse("articles:section_feed", kwargs={"path": self.path})

    def clean(self):
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk:
                raise ValidationError(
                    {"parent": _("A section cannot be placed inside itself or its own subsection.")}
                )
            ancestor = ancestor.parent


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:tag", kwargs={"slug": self.slug})


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """
        Live articles: published, not scheduled for later, not past their
        unpublish time. Every public page reads this; no job runs at either time.
        """
        now = timezone.now()
        return self.filter(
            Q(unpublish_at__isnull=True) | Q(unpublish_at__gt=now),
            status=Article.Status.PUBLISHED,
            publish_at__lte=now,
        )

    def for_listing(self):
        """What a list of article cards shows, in a fixed number of queries."""
        return self.select_related("section", "featured_image").prefetch_related(
            Prefetch("bylines", queryset=Byline.objects.select_related("author"))
        )

    def for_detail(self):
        return self.for_listing().prefetch_related("tags", "corrections")

    def in_section(self, section):
        """A section's articles include its subsections', as WordPress category archives do."""
        return self.filter(Q(section=section) | Q(section__path__startswith=f"{section.path}/"))

    def search(self, query):
        """
        Articles matching `query` in title or body, best first.

        PostgreSQL ranks with full-text search over `search_document` (title
        weighted above body, kept current by a trigger, GIN-indexed); elsewhere
        a plain case-insensitive match, newest first.
        """
        if connection.vendor == "postgresql":
            search_query = SearchQuery(query, search_type="websearch", config="english")
            return (
                self.filter(search_document=search_query)
                .annotate(rank=SearchRank(F("search_document"), search_query))
                .order_by("-rank", "-publish_at")
            )
        return self.filter(Q(title__icontains=query) | Q(body__icontains=query))


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEW = "review", _("In review")
        PUBLISHED = "published", _("Published")

    title = models.CharField(_("headline"), max_length=255)
    slug = models.SlugField(
        _("slug"),
        max_length=255,
        unique=True,
        help_text=_("The last part of the article's address. Changing it breaks old links."),
    )
    dek = models.TextField(
        _("dek"), blank=True, help_text=_("The standfirst shown under the headline.")
    )
    body = models.TextField(_("body"), blank=True)
    excerpt = models.TextField(
        _("excerpt"),
        blank=True,
        help_text=_("Shown in lists and feeds. Left blank, the start of the body is used."),
    )
    summary = models.TextField(_("summary"), editable=False, default="")
    authors = models.ManyToManyField(
        Author, through="Byline", related_name="articles", verbose_name=_("authors")
    )
    section = models.ForeignKey(
        Section,
        verbose_name=_("section"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="articles",
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles", verbose_name=_("tags"))
    featured_image = models.ForeignKey(
        Image,
        verbose_name=_("featured image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    publish_at = models.DateTimeField(
        _("publish time"),
        null=True,
        blank=True,
        help_text=_(
            "A published article with a time in the future is scheduled: it goes live by "
            "itself at that time. Left blank, publishing sets it to now."
        ),
    )
    unpublish_at = models.DateTimeField(
        _("unpublish time"),
        null=True,
        blank=True,
        help_text=_("Optional: the article leaves the site by itself at this time."),
    )
    first_published_at = models.DateTimeField(
        _("first published"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    is_featured = models.BooleanField(
        _("featured"), default=False, help_text=_("Featured articles lead the home page.")
    )
    comments_open = models.BooleanField(_("comments open"), default=True)
    comments_premoderated = models.BooleanField(
        _("hold every comment"),
        default=False,
        help_text=_("For sensitive stories: no comment appears until a moderator approves it."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by (account)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    review_note = models.TextField(
        _("note from the editor"),
        blank=True,
        help_text=_("What the writer should change before this can be published."),
    )
    wp_id = models.PositiveBigIntegerField(
        _("WordPress ID"), null=True, blank=True, unique=True, editable=False
    )
    # Raised by every save; an editor's form that started from an older one is refused.
    version = models.PositiveIntegerField(_("version"), default=0, editable=False)
    # Approved comments, kept by the comments app so lists show counts without a query.
    comment_count = models.PositiveIntegerField(_("comments"), default=0, editable=False)
    seo_title = models.CharField(
        _("SEO title"),
        max_length=70,
        blank=True,
        help_text=_("For search engines and social cards. Left blank, the headline is used."),
    )
    seo_description = models.CharField(
        _("SEO description"),
        max_length=160,
        blank=True,
        help_text=_("For search engines and social cards. Left blank, the excerpt is used."),
    )

    # Filled by a PostgreSQL trigger (migration 0003) from title and body, whoever
    # writes them; unused elsewhere.
    search_document = SearchVectorField(null=True, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-publish_at", "-pk"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [models.Index(fields=["status", "publish_at"], name="article_status_publish")]
        permissions = [("publish_article", _("Can publish, schedule and unpublish articles"))]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.body = sanitize_body(self.body)
        self.summary = excerpt_from(self.excerpt or self.body)
        if not self.slug:
            self.slug = self._unused_slug()
        if self.status == self.Status.PUBLISHED and self.publish_at is None:
            self.publish_at = timezone.now()
        if self.status == self.Status.PUBLISHED and self.first_published_at is None:
            self.first_published_at = self.publish_at
        self.version += 1
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        date = self.date
        return reverse(
            "articles:article",
            kwargs={
                "year": f"{date.year:04d}",
                "month": f"{date.month:02d}",
                "day": f"{date.day:02d}",
                "slug": self.slug,
            },
        )

    def _unused_slug(self):
        """A slug from the title, numbered like WordPress's when another article has it."""
        base = slugify(self.title)[:240] or "article"
        taken = set(
            Article.objects.filter(slug__startswith=base)
            .exclude(pk=self.pk)
            .values_list("slug", flat=True)
        )
        slug, number = base, 2
        while slug in taken:
            slug, number = f"{base}-{number}", number + 1
        return slug

    def clean(self):
        if self.status == self.Status.PUBLISHED:
            errors = {}
            if not strip_tags(sanitize_body(self.body)).strip():
                errors["body"] = _("A published article needs a body.")
            if self.section_id is None:
                errors["section"] = _("A published article needs a section.")
            if errors:
                raise ValidationError(errors)

    def is_published(self):
        now = timezone.now()
        return (
            self.status == self.Status.PUBLISHED
            and self.publish_at is not None
            and self.publish_at <= now
            and (self.unpublish_at is None or self.unpublish_at > now)
        )

    def was_withdrawn(self):
        """Once public and now not: its address answers 410 Gone, not 404."""
        return (
            self.first_published_at is not None
            and not self.is_published()
            and not self.is_scheduled()
        )

    def can_be_changed_by(self, user):
        """
        Whether `user` may change this article: those who may publish, any;
        others with the change permission (Contributors), their own until it is
        published. The one rule for the admin's edit rights and for previews at
        the public URL, so nobody reads an unpublished or embargoed story there
        that they could not open for editing.
        """
        if not user.has_perm("articles.change_article"):
            return False
        if user.has_perm("articles.publish_article"):
            return True
        return self.created_by_id == user.pk and self.status != self.Status.PUBLISHED

    def is_scheduled(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.publish_at is not None
            and self.publish_at > timezone.now()
        )

    def publish(self, *, now=None):
        """
        Make the article live now; raises ValidationError naming what is missing.

        An article that was live before keeps its original date, as in WordPress,
        so republishing it does not move its URL.
        """
        if self.is_published():
            raise ValidationError(_("“%(title)s” is already published."), params={"title": self})
        now = now or timezone.now()
        if self.publish_at is None or self.publish_at > now:
            self.publish_at = now
        self.status = self.Status.PUBLISHED
        self.clean()

    def unpublish(self):
        """Take the article off the site; it keeps its date so its URL stays the same."""
        if self.status != self.Status.PUBLISHED:
            raise ValidationError(_("“%(title)s” is not published."), params={"title": self})
        self.status = self.Status.DRAFT

    @property
    def date(self):
        """The date in the article's URL: when it went (or will go) live, else when drafted."""
        return timezone.localtime(self.publish_at or self.created_at or timezone.now())

    @property
    def byline_authors(self):
        return [byline.author for byline in self.bylines.all()]

    @property
    def meta_title(self):
        return self.seo_title or self.title

    @property
    def meta_description(self):
        return self.seo_description or self.summary


class Byline(models.Model):
    """An author's place in an article's byline; position orders co-authors."""

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="bylines"
    )
    author = models.ForeignKey(
        Author, verbose_name=_("author"), on_delete=models.PROTECT, related_name="bylines"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("byline")
        verbose_name_plural = _("bylines")
        constraints = [
            models.UniqueConstraint(fields=["article", "author"], name="byline_unique_author")
        ]

    def __str__(self):
        return str(self.author)


class Correction(models.Model):
    """A correction or clarification, printed on the article and listed at /corrections/."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", _("Correction")
        CLARIFICATION = "clarification", _("Clarification")
        UPDATE = "update", _("Update")

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="corrections"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CORRECTION)
    text = models.TextField(_("text"), help_text=_("What was wrong and what is right, plainly."))
    published_at = models.DateTimeField(_("date"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["-published_at"]
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")

    def __str__(self):
        return f"{self.get_kind_display()}: {self.article}"


class ArticleRedirect(models.Model):
    """An address an article had before its slug or date changed; it answers 301 to the new one."""

    old_path = models.CharField(_("old address"), max_length=500, unique=True)
    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="redirects"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("old article address")
        verbose_name_plural = _("old article addresses")

    def __str__(self):
        return self.old_path


class ArticleRevision(models.Model):
    """
    One saved state of an article, as editors saved it: what it said and who
    said so. Lists read only the small columns; the snapshot is read on demand.
    """

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="revisions"
    )
    created_at = models.DateTimeField(_("saved"), default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    digest = models.CharField(max_length=64, editable=False)
    snapshot = models.JSONField(_("snapshot"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")

    def __str__(self):
        return f"{self.article} @ {self.created_at:%Y-%m-%d %H:%M}"
