import pytest

from comments.models import Comment, CommenterRule, ModerationRules
from comments.moderation import decide
from tests.factories import ArticleFactory, CommentFactory

pytestmark = pytest.mark.django_db


def new_comment(**fields):
    fields.setdefault("article", ArticleFactory())
    fields.setdefault("author_name", "Julio")
    fields.setdefault("author_email", "julio@example.org")
    fields.setdefault("body", "Calls seem to have been blocked since last night.")
    fields.setdefault("ip_address", "198.51.100.4")
    return Comment(**fields)


@pytest.fixture
def known_commenter():
    CommentFactory(author_email="julio@example.org")


def rules(**changes):
    current = ModerationRules.current()
    for name, value in changes.items():
        setattr(current, name, value)
    current.save()


def test_first_time_commenters_are_held():
    decision = decide(new_comment())
    assert decision.status == Comment.Status.PENDING
    assert decision.reason == "First comment from this email address"


def test_known_commenters_are_approved(known_commenter):
    assert decide(new_comment(author_email="Julio@Example.org")).status == Comment.Status.APPROVED


def test_previous_approval_rule_can_be_turned_off():
    rules(require_previous_approval=False)
    assert decide(new_comment()).status == Comment.Status.APPROVED


def test_blocklist_words_send_to_spam_wherever_they_appear(known_commenter):
    rules(blocklist_words="cheap pills\n198.51.100.")
    assert decide(new_comment(body="Buy CHEAP PILLS")).status == Comment.Status.SPAM
    decision = decide(new_comment())  # the address matches
    assert decision.status == Comment.Status.SPAM
    assert "198.51.100." in decision.reason


def test_moderation_words_hold(known_commenter):
    rules(moderation_words="traitor")
    decision = decide(new_comment(body="He is a traitor."))
    assert decision.status == Comment.Status.PENDING
    assert decision.reason == "Contains the watched “traitor”"


def test_link_count_at_the_threshold_holds(known_commenter):
    two_links = "See https://a.org and https://b.com"
    assert decide(new_comment(body=two_links)).status == Comment.Status.PENDING
    assert decide(new_comment(body="See https://a.org")).status == Comment.Status.APPROVED
    rules(max_links=0)
    assert decide(new_comment(body=two_links)).status == Comment.Status.APPROVED


def test_premoderated_article_holds_everyone(known_commenter):
    article = ArticleFactory(comments_premoderated=True)
    decision = decide(new_comment(article=article))
    assert decision.status == Comment.Status.PENDING
    assert decision.reason == "Every comment on this article is held"


def test_always_hold_commenter(known_commenter):
    CommenterRule.objects.create(email="julio@example.org", action=CommenterRule.Action.HOLD)
    assert decide(new_comment()).reason == "This commenter is always held"


def test_banned_commenter_goes_to_spam(known_commenter):
    CommenterRule.objects.create(email="JULIO@example.org", action=CommenterRule.Action.BAN)
    decision = decide(new_comment())
    assert decision.status == Comment.Status.SPAM and decision.reason == "Banned commenter"


def test_staff_are_approved_directly():
    assert decide(new_comment(is_staff=True)).status == Comment.Status.APPROVED
