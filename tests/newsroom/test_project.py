import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.flatpages.models import FlatPage
from django.core.management import call_command

from articles.models import Article, Author, Image
from donations.models import Appeal, Campaign
from tests.factories import ArticleFactory

ROOT = Path(__file__).resolve().parents[2]
PRINT_BACKENDS = (
    "import newsroom.settings as s; "
    "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'])"
)


def import_settings(**environ):
    """Import the settings in a fresh interpreter, with only the given environment."""
    env = {"PATH": os.environ["PATH"], "HOME": str(ROOT), **environ}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            PRINT_BACKENDS,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_missing_secret_key_with_debug_off_is_a_clear_startup_error():
    result = import_settings(DEBUG="off", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_production_is_configured_by_environment_alone():
    result = import_settings(
        DEBUG="off",
        SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/newsroom",
        CACHE_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "django.core.cache.backends.redis.RedisCache",
    ]


@pytest.mark.django_db
def test_load_demo_is_idempotent(settings):
    call_command("load_demo", stdout=StringIO())
    counts = (Article.objects.count(), Author.objects.count(), Image.objects.count())
    call_command("load_demo", stdout=StringIO())
    assert (Article.objects.count(), Author.objects.count(), Image.objects.count()) == counts
    seed = Article.objects.published().get(slug="peru-takes-the-lead")
    assert seed.get_absolute_url() == "/2016/10/28/peru-takes-the-lead/"
    assert "<blockquote>" in seed.body and "Democratic Charter" in seed.body
    assert Article.objects.published().count() >= 20
    assert FlatPage.objects.filter(url="/about/").exists()
    assert "reader-supported" in Appeal.objects.current().message
    assert get_user_model().objects.filter(username="admin", is_superuser=True).count() == 1
    assert seed.comments.count() == 6
    assert seed.comments.approved().count() == 4
    assert seed.comments.filter(status="pending").count() == 1
    assert seed.comments.filter(status="spam").count() == 1
    assert seed.comments.approved().filter(parent__isnull=False).count() == 1
    campaign = Campaign.objects.active().with_progress().get()
    assert campaign.raised > 0 and campaign.donor_count >= 3


@pytest.mark.django_db
def test_demo_seed_article_is_served_with_its_donation_box(client):
    call_command("load_demo", stdout=StringIO())
    page = client.get("/2016/10/28/peru-takes-the-lead/").content.decode()
    assert "<h1>Peru Takes the Lead</h1>" in page
    assert "Caracas Chronicles is 100% reader-supported" in page
    assert "4 comments" in page and "Some pragmatism is needed sometimes…" in page
    assert "/2016/10/28/peru-takes-the-lead/" in client.get("/feed/").content.decode()
    assert "/2016/10/28/peru-takes-the-lead/" in client.get("/sitemap.xml").content.decode()


@pytest.mark.django_db
def test_favicon_request_finds_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")


@pytest.mark.django_db
def test_site_domain_from_settings_is_used_in_feed_links(client, settings):
    settings.SITE_DOMAIN = "news.example.org"
    call_command("migrate", verbosity=0)
    article = ArticleFactory()
    feed = client.get("/feed/").content.decode()
    assert f"http://news.example.org{article.get_absolute_url()}" in feed


@pytest.mark.django_db
def test_every_model_change_has_its_migration():
    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())
