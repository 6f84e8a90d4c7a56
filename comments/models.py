import unicodedata
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from articles.models import Article
from comments.sanitize import fold, render_comment
from newsroom.network import network_of

# Ids in a materialized path are zero-padded so that sorting the path text
# sorts the thread: parents before children, older siblings first.
PATH_DIGITS = 10


def is_plain_web_address(url):
    """
    http(s) only, with no backslash and no user part: browsers read
    `https://evil.example\\@site.org/` as a link to evil.example, Python as one to site.org.
    No invisible or direction-changing characters either: U+202E would make
    `https://\u202eelpmaxe.live` read as another address than it is.
    """
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return False
    if any(unicodedata.category(character) in ("Cc", "Cf") for character in url):
        return False
    return "\\" not in url and "@" not in urlsplit(url).netloc


class CommentQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=Comment.Status.APPROVED)

    def pending(self):
        return self.filter(status=Comment.Status.PENDING)

    def for_thread(self, article, *, own_ids=()):
        """
        Everything the article's thread may show, in display order, in one query:
        approved comments, removed ones (placeholders, if they have replies), and
        the reader's own comments that are not published.
        """
        shown = Q(status__in=[Comment.Status.APPROVED, Comment.Status.REMOVED])
        if own_ids:
            # A banned commenter's spam looks merely held to them, so the ban stays unsaid.
            shown |= Q(status__in=[Comment.Status.PENDING, Comment.Status.SPAM], pk__in=own_ids)
        return self.filter(shown, article=article).order_by("path")


class Comment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        SPAM = "spam", _("Spam")
        REMOVED = "removed", _("Removed")

    article = models.ForeignKey(
        Article, verbose_name=_("article"), on_delete=models.CASCADE, related_name="comments"
    )
    # RESTRICT: a comment with replies is never deleted on its own (the services
    # keep it as a placeholder), yet deleting the article takes its whole thread.
    parent = models.ForeignKey(
        "self",
        verbose_name=_("in reply to"),
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="replies",
    )
    path = models.CharField(_("thread path"), max_length=255, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=1, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comments",
    )
    author_name = models.CharField(_("name"), max_length=100)
    author_email = models.EmailField(_("email"))
    author_url = models.URLField(_("website"), blank=True)
    email_verified = models.BooleanField(
        _("email confirmed"),
        default=False,
        editable=False,
        help_text=_(
            "Posted while signed in, or from a browser that proved the address by a link "
            "sent to it. Only confirmed comments earn trust and badges."
        ),
    )
    is_staff = models.BooleanField(_("staff"), default=False, editable=False)
    body = models.TextField(_("comment"))
    body_html = models.TextField(_("comment as shown"), editable=False, default="")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    status_reason = models.CharField(_("why"), max_length=255, blank=True)
    was_published = models.BooleanField(_("was ever published"), default=False, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    is_featured = models.BooleanField(_("featured"), default=False)
    notify_replies = models.BooleanField(_("email me replies"), default=False)
    replies_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    wp_id = models.PositiveBigIntegerField(
        _("WordPress ID"), null=True, blank=True, unique=True, editable=False
    )
    report_count = models.PositiveIntegerField(_("reports"), default=0, editable=False)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("posted"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    moderated_at = models.DateTimeField(_("moderated"), null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        indexes = [
            models.Index(fields=["article", "path"], name="comment_thread"),
            models.Index(fields=["status", "created_at"], name="comment_queue"),
            models.Index(fields=["author_email", "status"], name="comment_author"),
        ]

    def __str__(self):
        return _("%(name)s on %(article)s") % {"name": self.author_name, "article": self.article}

    def save(self, *args, **kwargs):
        self.fill_derived_fields()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return f"{self.article.get_absolute_url()}#comment-{self.pk}"

    def fill_derived_fields(self):
        """
        What save() derives, for bulk writers (the WordPress import) that skip save().
        The name heads reply emails, so it is kept on one line whatever wrote it.
        """
        self.author_name = " ".join(self.author_name.split())
        self.body_html = render_comment(self.body)
        # Once published, always "was published", however the status got there: its
        # author's private link can no longer change what readers have read.
        self.was_published = self.was_published or self.status == self.Status.APPROVED

    def author_link(self):
        """
        The website to link the name to, only if it is a plain web address (see
        `is_plain_web_address`): rows written another way (an import, a script)
        never put a `javascript:` or look-alike link on the page.
        """
        return self.author_url if is_plain_web_address(self.author_url) else ""

    def place_under(self, parent):
        """
        Attach to `parent`, or beside it when it sits at the deepest level
        allowed, so deep arguments keep going without narrowing forever.
        """
        if parent is None:
            self.parent, self.depth = None, 1
            return
        if parent.article_id != self.article_id:
            raise ValidationError(_("You can only reply to a comment on the same article."))
        if parent.depth >= settings.COMMENTS_MAX_DEPTH:
            parent = parent.parent
        self.parent = parent
        self.depth = parent.depth + 1 if parent else 1

    def set_path(self):
        """The path needs the comment's own id, so it is set once the row exists."""
        own = f"{self.pk:0{PATH_DIGITS}d}"
        self.path = f"{self.parent.path}/{own}" if self.parent else own

    def set_status(self, status, reason=""):
        """Any change of status, with its reason; `save()` remembers a publication."""
        if status not in self.Status.values:
            raise ValidationError(_("Unknown comment status."))
        self.status = status
        self.status_reason = reason

    def moderate(self, status, *, by, reason=""):
        """Move to `status` on a moderator's (or a rule's) decision, recording who and when."""
        self.set_status(status, reason)
        self.moderated_by = by
        self.moderated_at = timezone.now()

    def revise(self, body):
        """A new text is a new version: a moderator's decision names the version they read."""
        self.body = body
        self.version += 1

    def is_pending(self):
        return self.status == self.Status.PENDING

    def is_held(self):
        """What its author is told of an unpublished comment: spam too looks merely held."""
        return self.status in (self.Status.PENDING, self.Status.SPAM)

    def can_be_edited_by_author(self):
        """Only while never published: a reported comment back in the queue stays as read."""
        return self.status == self.Status.PENDING and not self.was_published


class ModerationRules(models.Model):
    """The desk's standing rules, applied to every new comment; one row, edited in the admin."""

    blocklist_words = models.TextField(
        _("blocklist words"),
        blank=True,
        help_text=_(
            "One word or phrase per line. A comment containing any of them goes to spam. "
            "Names, emails, websites and IP addresses are checked too."
        ),
    )
    moderation_words = models.TextField(
        _("moderation words"),
        blank=True,
        help_text=_("One word or phrase per line. A comment containing any of them is held."),
    )
    max_links = models.PositiveSmallIntegerField(
        _("hold at this many links"),
        default=2,
        help_text=_("A comment with at least this many links is held. 0 turns this off."),
    )
    require_previous_approval = models.BooleanField(
        _("commenter must have a previously approved comment"),
        default=True,
        help_text=_("First-time commenters are held; emails with an approved comment are not."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("moderation rules")
        verbose_name_plural = _("moderation rules")

    def __str__(self):
        return str(_("Moderation rules"))

    @classmethod
    def current(cls):
        rules, _created = cls.objects.get_or_create(pk=1)
        return rules

    @staticmethod
    def _lines(text):
        """Folded like the text they are matched against (see `comments.sanitize.fold`)."""
        return [fold(line) for line in text.splitlines() if fold(line)]

    def blocklist(self):
        return self._lines(self.blocklist_words)

    def watchlist(self):
        return self._lines(self.moderation_words)


class CommenterRule(models.Model):
    """A standing decision about one commenter, by email."""

    class Action(models.TextChoices):
        HOLD = "hold", _("Always hold for moderation")
        BAN = "ban", _("Ban (new comments go to spam, silently)")

    email = models.EmailField(_("email"), unique=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["email"]
        verbose_name = _("commenter rule")
        verbose_name_plural = _("commenter rules")

    def __str__(self):
        return f"{self.email}: {self.get_action_display()}"

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class Report(models.Model):
    """A reader's flag on a comment; one per reader (account or address) and comment."""

    comment = models.ForeignKey(
        Comment, verbose_name=_("comment"), on_delete=models.CASCADE, related_name="reports"
    )
    reporter = models.CharField(_("reported by"), max_length=100)
    created_at = models.DateTimeField(_("reported"), auto_now_add=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(fields=["comment", "reporter"], name="report_once_per_reader")
        ]

    def __str__(self):
        return f"{self.comment} ({self.reporter})"

    @staticmethod
    def reporter_for(*, user=None, ip_address=None):
        """
        Who is reporting, as counted: an account, else the network the report
        came from. An IPv6 reader holds a whole /64 (and can change addresses
        within it at will), and one person can often use a few neighbouring
        IPv4 addresses, so anonymous reports count once per IPv6 /64 and per
        IPv4 /24. Several readers behind one network count as one: a report only
        sends a comment back to a moderator, so counting too few is the safe side.
        """
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
        return f"net:{network_of(ip_address, ipv4_prefix=24) or 'unknown'}"
