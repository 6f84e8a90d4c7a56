from django.db import models
from django.utils.translation import gettext_lazy as _


class AppealQuerySet(models.QuerySet):
    def current(self):
        """The appeal shown at the end of every article: the newest active one."""
        return self.filter(is_active=True).order_by("-updated_at").first()


class Appeal(models.Model):
    """The call to action that closes every article and sends readers to the donate page."""

    message = models.TextField(
        _("message"),
        help_text=_("Plain text shown in the box at the end of every article."),
    )
    button_label = models.CharField(_("button label"), max_length=60, default=_("Donate"))
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("The newest active appeal is the one shown.")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AppealQuerySet.as_manager()

    class Meta:
        verbose_name = _("donation appeal")
        verbose_name_plural = _("donation appeals")

    def __str__(self):
        return self.message[:60]
