import pytest

from comments.models import Comment, CommenterRule, ModerationRules
from comments.moderation import decide
from tests.factories import ArticleFactory, CommentFactory, VerifiedCommentFactory

pytestmark = pytest.mark.django_db


def new_comment(**fields):
    fields.setdefault("article", ArticleFactory())
    fields.setdefault("author_name", "Julio")
    fields.setdefault("author_email", "julio@example.org")
    fields.setdefault("body", "Calls seem to have been blocked since last night.")
    fields.setdefault("ip_address", "198.51.100.4")
    fields.setdefault("email_verified", True)
    return Comment(**fields)


@pytest.fixture
def known_commenter():
    VerifiedCommentFactory(author_name="Julio", author_email="julio@example.org")


def rules(**changes):
    current = ModerationRules.current()
    for name, value in changes.items():
        setattr(current, name, value)
    current.save()


def test_first_time_commenters_are_held():
    decision = decide(new_comment())
    assert decision.status == Comment.Status.PENDING
    assert decision.reason == "First comment from this email address"


def test_typing_a_regulars_email_earns_none_of_their_trust(known_commenter):
    """The attack: a stranger types a regular's email; without proof it is held."""
    decision = decide(new_comment(email_verified=False))
    assert decision.status == Comment.Status.PENDING
    assert decision.reason == "Email address not confirmed"


def test_approved_history_counts_without_confirmation_once_the_address_is_proven():
    """Regulars from before confirmation existed (or imported) have only unconfirmed history."""
    CommentFactory(author_name="Julio", author_email="julio@example.org")
    assert decide(new_comment()).status == Comment.Status.APPROVED
    decision = decide(new_comment(email_verified=False))
    assert decision.status == Comment.Status.PENDING
    assert decision.reason == "Email address not confirmed"


def test_only_approved_history_makes_a_regular():
    for status in (Comment.Status.PENDING, Comment.Status.SPAM, Comment.Status.REMOVED):
        VerifiedCommentFactory(author_name="Julio", author_email="julio@example.org", status=status)
    decision = decide(new_comment())
    assert decision.status == Comment.Status.PENDING
    assert decision.reason == "First comment from this email address"


def test_a_regular_is_known_by_email_and_name_together(known_commenter):
    assert decide(new_comment(author_name="Julio C.")).status == Comment.Status.PENDING
    assert decide(new_comment(author_name="JULIO")).status == Comment.Status.APPROVED


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


DISGUISES = [
    "c&#97;sino",
    "c&#x61;sino",
    "c<b></b>asino",
    "c<em>a</em>sino",
    "ca\u00adsino",  # soft hyphen
    "cas\u200bino",  # zero-width space
    "cas\u200cino",
    "cas\u200dino",
    "cas\u2060ino",
    "cas\ufeffino",
    "c\u0430sino",  # Cyrillic а
    "\u0441asin\u043e",  # Cyrillic с and о
    "casin\u043e",
    "\uff43\uff41\uff53\uff49\uff4e\uff4f",  # fullwidth
    "CASINO",
    "\U0001d41c\U0001d41a\U0001d42c\U0001d422\U0001d427\U0001d428",  # mathematical bold
]


@pytest.mark.parametrize("word", DISGUISES)
def test_blocklist_matches_what_readers_would_see(known_commenter, word):
    rules(blocklist_words="Casino")
    decision = decide(new_comment(body=f"Best online {word} bonus here"))
    assert decision.status == Comment.Status.SPAM
    assert decision.reason == "Contains the blocklisted “casino”"


@pytest.mark.parametrize("word", DISGUISES)
def test_moderation_words_match_what_readers_would_see(known_commenter, word):
    rules(moderation_words="casino")
    decision = decide(new_comment(body=f"Best online {word} bonus here"))
    assert decision.status == Comment.Status.PENDING
    assert decision.reason == "Contains the watched “casino”"


def test_disguised_blocklisted_name_goes_to_spam(known_commenter):
    rules(blocklist_words="cheap pills")
    decision = decide(new_comment(author_name="Ch\u0435ap\u00a0p\u200bills"))
    assert decision.status == Comment.Status.SPAM


def test_words_that_merely_look_escaped_are_not_matched(known_commenter):
    """An escaped entity is shown as typed (`c&#97;sino` in text), so it is not the word."""
    rules(blocklist_words="casino")
    assert decide(new_comment(body="c&amp;#97;sino")).status == Comment.Status.APPROVED
