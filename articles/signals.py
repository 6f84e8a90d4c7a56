"""
Old links keep working: when a published article's address changes, the old
one is remembered and answers with a permanent redirect, as WordPress does.

Static pages are sanitized whenever they are saved.
"""

from django.contrib.flatpages.models import FlatPage
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from articles.models import Article, ArticleRedirect
from articles.sanitize import sanitize_body


@receiver(pre_save, sender=Article)
def remember_old_address(sender, instance, raw=False, **kwargs):
    instance._old_path = None
    if instance.pk and not raw:
        old = (
            Article.objects.filter(pk=instance.pk).only("slug", "publish_at", "created_at").first()
        )
        if old is not None and instance.first_published_at:
            instance._old_path = old.get_absolute_url()


@receiver(post_save, sender=Article)
def redirect_old_address(sender, instance, raw=False, **kwargs):
    old_path = getattr(instance, "_old_path", None)
    new_path = instance.get_absolute_url()
    if raw or not old_path or old_path == new_path:
        return
    ArticleRedirect.objects.filter(old_path=new_path).delete()
    ArticleRedirect.objects.update_or_create(old_path=old_path, defaults={"article": instance})


@receiver(pre_save, sender=FlatPage)
def sanitize_static_page(sender, instance, **kwargs):
    """
    A static page's content passes the article allowlist on every save, so it
    can be shown as stored: sanitizing on every view let one crafted page
    cost each reader's request seconds. FlatPage is Django's model, with no
    save() of ours, so this receiver is the one place that sees every save:
    the admin, the WordPress import, a shell, a fixture (raw saves included).
    """
    instance.content = sanitize_body(instance.content)
