"""
Two editors open the same story, change it, and press Save at the same instant.
Exactly one save may win; the other editor is told, and keeps their text on
the page to copy. (Before the version check locked the row, both could read
the same version, both pass, and the later save silently overwrite the other.)
"""

import re

import pytest

from articles.models import Article, ArticleRevision
from tests.articles.test_admin import article_form
from tests.concurrency.conftest import staff_account, together
from tests.conftest import signed_in
from tests.factories import ArticleFactory

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True),
]

ROUNDS = 5
CONFLICT = "Someone saved this article after you opened it"


def save_as(client, article, name, round_):
    """Open the change page, write this editor's headline and body, and return the Save press."""
    change = f"/admin/articles/article/{article.pk}/change/"
    page = client.get(change).content.decode()
    opened = re.search(r'name="opened_version" value="(\d+)"', page)[1]
    byline = article.bylines.get()
    data = article_form(
        title=f"{name} headline {round_}", slug=article.slug,
        body=f"<p>{name} wrote these words in round {round_}.</p>",
        section=article.section_id, status=article.status, opened_version=opened,
        **{"bylines-INITIAL_FORMS": "1", "bylines-0-id": byline.pk,
           "bylines-0-article": article.pk, "bylines-0-author": byline.author_id},
    )  # fmt: skip

    def press():
        response = client.post(change, data)
        return name, response.status_code, response.content.decode()

    return press


def test_two_editors_saving_at_once_one_wins_and_the_other_is_told():
    editors = {name: signed_in(staff_account(name)) for name in ("Luis", "Ana")}
    article = ArticleFactory(title="Peru leads")
    for round_ in range(ROUNDS):
        article.refresh_from_db()
        version, revisions = article.version, ArticleRevision.objects.filter(article=article)
        revisions_before = revisions.count()
        presses = [save_as(client, article, name, round_) for name, client in editors.items()]
        outcomes = together(presses)

        saved = [name for name, status, _page in outcomes if status == 302]
        assert len(saved) == 1, f"round {round_}: {len(saved)} saves won"
        (winner,) = saved
        (loser, status, page) = next(o for o in outcomes if o[0] != winner)
        assert status == 200 and CONFLICT in page
        # The refused editor's words are still in the form, ready to copy.
        assert f"{loser} headline {round_}" in page
        assert f"{loser} wrote these words in round {round_}." in page

        article.refresh_from_db()
        assert article.title == f"{winner} headline {round_}"
        assert article.body == f"<p>{winner} wrote these words in round {round_}.</p>"
        assert article.version == version + 1
        assert revisions.count() == revisions_before + 1
        assert revisions.first().snapshot["title"] == article.title
    assert Article.objects.count() == 1
