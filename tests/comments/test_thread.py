import pytest

from comments.models import Comment
from comments.thread import nest, visible
from tests.factories import ArticleFactory, CommentFactory

pytestmark = pytest.mark.django_db


def test_thread_comes_back_in_display_order_from_one_query(django_assert_num_queries):
    article = ArticleFactory()
    first = CommentFactory(article=article)
    second = CommentFactory(article=article)
    reply_to_first = CommentFactory(article=article, parent=first)
    reply_to_reply = CommentFactory(article=article, parent=reply_to_first)
    later_reply_to_first = CommentFactory(article=article, parent=first)
    with django_assert_num_queries(1):
        thread = list(Comment.objects.for_thread(article))
    assert thread == [first, reply_to_first, reply_to_reply, later_reply_to_first, second]


def test_replies_stop_nesting_at_the_maximum_depth(settings):
    settings.COMMENTS_MAX_DEPTH = 3
    article = ArticleFactory()
    one = CommentFactory(article=article)
    two = CommentFactory(article=article, parent=one)
    three = CommentFactory(article=article, parent=two)
    four = CommentFactory(article=article, parent=three)
    assert [one.depth, two.depth, three.depth, four.depth] == [1, 2, 3, 3]
    assert four.parent == two
    assert list(Comment.objects.for_thread(article)) == [one, two, three, four]


def test_only_approved_and_the_readers_own_pending_comments_are_in_the_thread():
    article = ArticleFactory()
    approved = CommentFactory(article=article)
    mine = CommentFactory(article=article, status=Comment.Status.PENDING)
    CommentFactory(article=article, status=Comment.Status.PENDING)
    CommentFactory(article=article, status=Comment.Status.SPAM)
    CommentFactory(status=Comment.Status.APPROVED)  # another article
    assert list(Comment.objects.for_thread(article)) == [approved]
    assert list(Comment.objects.for_thread(article, own_ids=[mine.pk])) == [approved, mine]


def test_removed_comment_stays_as_a_placeholder_only_while_it_has_replies():
    article = ArticleFactory()
    removed_with_reply = CommentFactory(article=article, status=Comment.Status.REMOVED)
    reply = CommentFactory(article=article, parent=removed_with_reply)
    CommentFactory(article=article, status=Comment.Status.REMOVED)
    shown = visible(list(Comment.objects.for_thread(article)))
    assert shown == [removed_with_reply, reply]


def test_nesting_marks_where_lists_open_and_close():
    article = ArticleFactory()
    one = CommentFactory(article=article)
    reply = CommentFactory(article=article, parent=one)
    deeper = CommentFactory(article=article, parent=reply)
    two = CommentFactory(article=article)
    thread = nest(list(Comment.objects.for_thread(article)))
    assert [(c.level, c.opens, len(c.closes)) for c in thread] == [
        (1, True, 0),
        (2, True, 0),
        (3, True, 2),
        (1, False, 1),
    ]
    assert thread == [one, reply, deeper, two]


def test_replying_across_articles_is_refused():
    from django.core.exceptions import ValidationError

    elsewhere = CommentFactory()
    comment = Comment(article=ArticleFactory())
    with pytest.raises(ValidationError):
        comment.place_under(elsewhere)
