from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from articles.models import Article, Section
from tests.factories import ArticleFactory, SectionFactory

pytestmark = pytest.mark.django_db


def test_published_excludes_drafts_reviews_and_scheduled():
    live = ArticleFactory()
    ArticleFactory(status=Article.Status.DRAFT)
    ArticleFactory(status=Article.Status.REVIEW)
    ArticleFactory(publish_at=timezone.now() + timedelta(hours=2))
    assert list(Article.objects.published()) == [live]


def test_scheduled_article_goes_live_at_its_time_without_a_job(time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    article = ArticleFactory(publish_at=timezone.now() + timedelta(minutes=30))
    assert article.is_scheduled()
    assert not Article.objects.published().exists()
    time_machine.shift(timedelta(minutes=31))
    assert list(Article.objects.published()) == [article]


def test_body_is_sanitized_whoever_saves_it():
    article = ArticleFactory()
    article.body = '<p onclick="x()">Hi</p><script>alert(1)</script>'
    article.save()
    article.refresh_from_db()
    assert article.body == "<p>Hi</p>"


def test_summary_comes_from_the_body_unless_an_excerpt_is_given():
    article = ArticleFactory(body="<p>First words of the story.</p>")
    assert article.summary == "First words of the story."
    article.excerpt = "A hand-written excerpt."
    article.save()
    assert article.summary == "A hand-written excerpt."


def test_slug_is_made_from_the_title_when_blank():
    article = ArticleFactory(title="Peru Takes the Lead", slug="")
    assert article.slug == "peru-takes-the-lead"


def test_publishing_without_a_time_stamps_it_now():
    article = ArticleFactory(status=Article.Status.PUBLISHED, publish_at=None)
    assert article.publish_at is not None
    assert article.is_published()


def test_url_is_the_wordpress_permalink(settings):
    settings.TIME_ZONE = "America/Caracas"
    when = datetime(2016, 10, 28, 2, 0, tzinfo=UTC)  # 27th in Caracas
    article = ArticleFactory(slug="peru-takes-the-lead", publish_at=when)
    assert article.get_absolute_url() == "/2016/10/27/peru-takes-the-lead/"


def test_published_article_needs_body_and_section():
    article = Article(title="Empty", slug="empty", status=Article.Status.PUBLISHED, body="<p> </p>")
    with pytest.raises(ValidationError) as raised:
        article.full_clean()
    assert raised.value.message_dict["body"] == ["A published article needs a body."]
    assert raised.value.message_dict["section"] == ["A published article needs a section."]


def test_draft_may_be_incomplete():
    Article(title="Idea", slug="idea", status=Article.Status.DRAFT).full_clean()


def test_publish_and_unpublish_transitions():
    article = ArticleFactory(status=Article.Status.DRAFT, publish_at=None)
    article.publish()
    assert article.is_published()
    with pytest.raises(ValidationError, match="already published"):
        article.publish()
    article.unpublish()
    assert article.status == Article.Status.DRAFT
    with pytest.raises(ValidationError, match="not published"):
        article.unpublish()


def test_nested_section_paths_follow_their_parent():
    news = SectionFactory(slug="news")
    politics = SectionFactory(slug="politics", parent=news)
    courts = SectionFactory(slug="courts", parent=politics)
    assert courts.path == "news/politics/courts"
    assert courts.get_absolute_url() == "/category/news/politics/courts/"
    news.slug = "latest"
    news.save()
    courts.refresh_from_db()
    assert courts.path == "latest/politics/courts"


def test_a_section_cannot_be_its_own_ancestor():
    parent = SectionFactory()
    child = SectionFactory(parent=parent)
    parent.parent = child
    with pytest.raises(ValidationError):
        parent.full_clean()


def test_section_articles_include_subsections():
    economy = SectionFactory(slug="economy")
    oil = SectionFactory(slug="oil", parent=economy)
    SectionFactory(slug="economy-extra")
    in_parent = ArticleFactory(section=economy)
    in_child = ArticleFactory(section=oil)
    ArticleFactory(section=Section.objects.get(slug="economy-extra"))
    assert set(Article.objects.in_section(economy)) == {in_parent, in_child}


def test_republishing_keeps_the_original_date_and_url():
    article = ArticleFactory(publish_at=timezone.now() - timedelta(days=30))
    url = article.get_absolute_url()
    article.unpublish()
    article.save()
    article.publish()
    assert article.get_absolute_url() == url


def test_publishing_a_scheduled_article_now_brings_it_forward():
    article = ArticleFactory(publish_at=timezone.now() + timedelta(days=1))
    article.status = Article.Status.REVIEW
    article.publish()
    assert article.is_published()


def test_blank_slugs_are_numbered_when_the_title_is_taken():
    first = ArticleFactory(title="Week in review", slug="")
    second = ArticleFactory(title="Week in review", slug="")
    third = ArticleFactory(title="Week in review", slug="")
    assert [first.slug, second.slug, third.slug] == [
        "week-in-review",
        "week-in-review-2",
        "week-in-review-3",
    ]
