from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def sync_site_from_settings(**kwargs):
    """
    Feeds and sitemaps write absolute links with the Sites entry's domain;
    with SITE_DOMAIN set, every migrate (so every deploy) makes it match.
    """
    from django.conf import settings
    from django.contrib.sites.models import Site

    if settings.SITE_DOMAIN:
        Site.objects.update_or_create(
            pk=settings.SITE_ID,
            defaults={"domain": settings.SITE_DOMAIN, "name": settings.SITE_NAME},
        )


class NewsroomConfig(AppConfig):
    name = "newsroom"
    verbose_name = _("Newsroom")

    def ready(self):
        # Connects the log line for any failed background task, whichever app's task it is.
        from newsroom import mail  # noqa: F401

        # After the sites app has made its default entry, which this then corrects.
        post_migrate.connect(sync_site_from_settings, sender=apps.get_app_config("sites"))
