import pytest

from donations.models import Appeal
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_a_fresh_install_has_an_appeal_editable_in_admin():
    assert Appeal.objects.current() is not None


def test_the_newest_active_appeal_closes_every_article(client):
    Appeal.objects.update(is_active=False)
    Appeal.objects.create(message="Give so we can keep reporting.", button_label="Give now")
    article = ArticleFactory()
    page = client.get(article.get_absolute_url()).content.decode()
    assert "Give so we can keep reporting." in page
    assert '<a class="button" href="/donate/?source=' in page and ">Give now</a>" in page


def test_no_active_appeal_means_no_box(client):
    Appeal.objects.update(is_active=False)
    page = client.get(ArticleFactory().get_absolute_url()).content.decode()
    assert "donation-box" not in page


def test_appeal_text_is_escaped(client):
    Appeal.objects.create(message="<script>alert(1)</script>")
    page = client.get(ArticleFactory().get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_donate_page_shows_the_pitch(client):
    Appeal.objects.create(message="Readers pay for our reporting.")
    assert "Readers pay for our reporting." in client.get("/donate/").content.decode()
