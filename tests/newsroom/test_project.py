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


# A key as `get_random_secret_key()` makes them: 50 characters, many different ones.
STRONG_KEY = "k3#v9!q2@w8$e7%r6^t5&y4*u1(i0)o-p=a_s+d[f]g{h}j|l;z"
PRODUCTION = {
    "DEBUG": "off",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "news.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/newsroom",
    "CACHE_URL": "redis://127.0.0.1:6379/0",
}


def run_python(*args, code=None, **environ):
    """Run Python in a fresh interpreter, with only the given environment."""
    env = {"PATH": os.environ["PATH"], "HOME": str(ROOT), **environ}
    return subprocess.run(
        [sys.executable, *(["-c", code] if code else args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def import_settings(code=PRINT_BACKENDS, **environ):
    """Import the settings in a fresh interpreter, with only the given environment."""
    return run_python(code=code, **environ)


def test_missing_secret_key_with_debug_off_is_a_clear_startup_error():
    result = import_settings(DEBUG="off", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


@pytest.mark.parametrize(
    "key",
    [
        "change-me",
        "x" * 50,  # long, but 1 different character
        "abcd" * 20,  # long, but 4 different characters
        STRONG_KEY[:49],
        "django-insecure-" + STRONG_KEY,
    ],
)
def test_a_weak_secret_key_with_debug_off_is_a_clear_startup_error(key):
    result = import_settings(**{**PRODUCTION, "SECRET_KEY": key})
    assert result.returncode != 0
    assert "SECRET_KEY is too weak for DEBUG off" in result.stderr


def test_a_weak_secret_key_is_fine_on_a_developers_machine():
    assert import_settings(DEBUG="on", SECRET_KEY="change-me").returncode == 0


def test_production_is_configured_by_environment_alone():
    result = import_settings(**PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "newsroom.cache.RedisCache",
    ]


PRINT_HSTS = (
    "import newsroom.settings as s; "
    "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD)"
)


def test_hsts_for_a_year_once_https_is_enforced():
    result = import_settings(code=PRINT_HSTS, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["31536000", "False", "False"]


def test_hsts_off_when_https_is_not_enforced_and_subdomains_opt_in():
    no_https = import_settings(code=PRINT_HSTS, **PRODUCTION, SECURE_SSL_REDIRECT="off")
    assert no_https.stdout.split()[0] == "0"
    opted_in = import_settings(
        code=PRINT_HSTS,
        **PRODUCTION,
        SECURE_HSTS_SECONDS="600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="on",
    )
    assert opted_in.stdout.split() == ["600", "True", "False"]


def test_deploy_check_is_clean_in_production():
    result = run_python("manage.py", "check", "--deploy", "--fail-level", "DEBUG", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


PRINT_SIGNIN = "import newsroom.settings as s; print(s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME)"


def test_sign_in_throttle_is_configured_by_environment():
    default = import_settings(code=PRINT_SIGNIN, **PRODUCTION)
    assert default.stdout.split() == ["10", "0:15:00"]
    tuned = import_settings(
        code=PRINT_SIGNIN, **PRODUCTION, SIGNIN_FAILURE_LIMIT="5", SIGNIN_LOCKOUT_MINUTES="60"
    )
    assert tuned.stdout.split() == ["5", "1:00:00"]


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
