import pytest

from comments.forms import issue_timestamp
from tests.factories import ArticleFactory


@pytest.fixture(autouse=True)
def _quick_forms(settings):
    """Tests post at machine speed; the tests of those checks set them back."""
    settings.COMMENTS_FORM_MIN_SECONDS = 0
    settings.COMMENTS_FLOOD_SECONDS = 0


@pytest.fixture
def comment_data():
    def make(article, **overrides):
        data = {
            "body": "A considered reply to the story.",
            "author_name": "Gustavo",
            "author_email": "gustavo@example.org",
            "author_url": "",
            "parent": "",
            "issued": issue_timestamp(article.pk),
            "phone": "",
        }
        data.update(overrides)
        return data

    return make


@pytest.fixture
def article(db):
    return ArticleFactory(title="Peru Takes the Lead")
