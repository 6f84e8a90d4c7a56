from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from articles.models import Article
from articles.revisions import revision_record
from newsroom import audit


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
            audit.record("article.published", actor=by, target=article)
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
            audit.record("article.unpublished", actor=by, target=article)
            result.done.append(article)
    return result


def article_version_is_current(*, article, opened_version) -> bool:
    """
    Whether an editor's form was opened at the version of `article` now stored.

    The row is locked for the rest of the caller's transaction, which must go on
    to save: a second save of the same version waits here until the first
    commits, then reads the version that save raised and is refused. Read
    without the lock, both would see the old version, both pass, and the later
    save would silently replace the other. The lock is the no-key kind, so
    comments can still be posted on the story meanwhile.
    """
    current = (
        Article.objects.select_for_update(no_key=True)
        .filter(pk=article.pk)
        .values_list("version", flat=True)
        .first()
    )
    if current is None or current != opened_version:
        return False
    article.version = current  # the save raises the version it has just checked
    return True


def article_status_changed(*, article, previous_status, by):
    """Audit what an editor's save did to the article's life on the site."""
    if article.status == previous_status:
        return
    if article.status == Article.Status.PUBLISHED:
        action = "article.scheduled" if article.is_scheduled() else "article.published"
        audit.record(action, actor=by, target=article, publish_at=article.publish_at.isoformat())
    elif previous_status == Article.Status.PUBLISHED:
        audit.record("article.unpublished", actor=by, target=article)


def correction_record(*, correction, by):
    """
    Save a correction and mark its article as changed, so feeds, the sitemap
    and the page's modified time tell readers and crawlers to look again.
    """
    with transaction.atomic():
        if correction.pk is None:
            correction.created_by = by
        created = correction.pk is None
        correction.save()
        Article.objects.filter(pk=correction.article_id).update(updated_at=timezone.now())
        if created:
            audit.record(
                "article.correction", actor=by, target=correction.article, kind=correction.kind
            )
    return correction
