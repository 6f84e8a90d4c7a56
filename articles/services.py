from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from articles.models import Article
from articles.revisions import revision_record


@dataclass
class BulkResult:
    done: list[Article] = field(default_factory=list)
    refused: list[tuple[Article, str]] = field(default_factory=list)


def _refusal(error):
    return "; ".join(error.messages)


def article_publish(*, articles, now=None, by=None) -> BulkResult:
    """
    Publish each article now, in one transaction.

    Articles that cannot go live (no body, no section, already live) are
    left as they were and reported with the reason, so one bad article does
    not stop an editor's bulk action.
    """
    now = now or timezone.now()
    result = BulkResult()
    with transaction.atomic():
        for article in articles:
            try:
                article.publish(now=now)
            except ValidationError as error:
                article.refresh_from_db()
                result.refused.append((article, _refusal(error)))
                continue
            article.save()
            revision_record(article=article, by=by)
            result.done.append(article)
    return result


def article_unpublish(*, articles, by=None) -> BulkResult:
    """Take each published article off the site, in one transaction."""
    result = BulkResult()
    with transaction.atomic():
        for article in articles:
            try:
                article.unpublish()
            except ValidationError as error:
                result.refused.append((article, _refusal(error)))
                continue
            article.save()
            revision_record(article=article, by=by)
            result.done.append(article)
    return result


def correction_record(*, correction, by):
    """
    Save a correction and mark its article as changed, so feeds, the sitemap
    and the page's modified time tell readers and crawlers to look again.
    """
    with transaction.atomic():
        if correction.pk is None:
            correction.created_by = by
        correction.save()
        Article.objects.filter(pk=correction.article_id).update(updated_at=timezone.now())
    return correction
