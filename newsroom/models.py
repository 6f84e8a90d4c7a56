from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """
    One action that matters, written by the code that took it (a service, an
    admin action, a webhook handler), never inferred afterwards.
    """

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=50, db_index=True)
    target_type = models.ForeignKey(
        ContentType, verbose_name=_("object type"), null=True, on_delete=models.SET_NULL
    )
    target_id = models.CharField(_("object id"), max_length=64, blank=True)
    target_repr = models.CharField(_("object"), max_length=255, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"


class LegacyLink(models.Model):
    """
    A WordPress query-string address (?p=, ?page_id=, ?cat=, ?attachment_id=)
    and the page that now answers it, so old links and bookmarks keep working.
    """

    class Kind(models.TextChoices):
        POST = "p", _("post")
        PAGE = "page_id", _("page")
        CATEGORY = "cat", _("category")
        ATTACHMENT = "attachment_id", _("attachment")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    wp_id = models.PositiveBigIntegerField(_("WordPress ID"))
    path = models.CharField(_("now at"), max_length=500)

    class Meta:
        verbose_name = _("old WordPress link")
        verbose_name_plural = _("old WordPress links")
        constraints = [models.UniqueConstraint(fields=["kind", "wp_id"], name="legacy_link_once")]

    def __str__(self):
        return f"/?{self.kind}={self.wp_id} → {self.path}"


class WordPressImportRecord(models.Model):
    """Each import run; WordPress ids are only unique within one site, so one site is kept."""

    base_site_url = models.URLField(_("WordPress site"))
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)
    summary = models.TextField(_("summary"), blank=True)

    class Meta:
        ordering = ["-imported_at"]
        verbose_name = _("WordPress import")
        verbose_name_plural = _("WordPress imports")

    def __str__(self):
        return f"{self.base_site_url} ({self.imported_at:%Y-%m-%d %H:%M})"
