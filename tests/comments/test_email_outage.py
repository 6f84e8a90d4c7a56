"""
A reader comments while the mail server is down: the comment is taken at once,
and the private link in their receipt reaches them, once, when the server is
back (the outbox: newsroom.mail; its own tests: tests/newsroom/test_outbox.py).
"""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core.management import call_command

from comments.models import Comment
from newsroom.models import OutgoingEmail
from tests.faults import SmtpSink
from tests.newsroom.test_outbox import database_tasks, mail_server_down, run_worker

__all__ = ["database_tasks", "mail_server_down"]  # fixtures, used by name below

pytestmark = pytest.mark.django_db(transaction=True)


def post_comment(client, article, comment_data):
    response = client.post(
        f"/comments/post/{article.pk}/",
        comment_data(article, author_email="rosa@example.org", body="Bravo Congreso!"),
    )
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{article.get_absolute_url()}#comment-{comment.pk}"
    return comment


def private_link(message):
    return urlsplit(re.search(r"https?://\S+/comments/manage/\S+/", message.get_content())[0]).path


def test_a_receipt_from_the_worker_waits_out_the_outage_and_arrives_once(
    client, article, comment_data, mail_server_down, database_tasks
):
    post_comment(client, article, comment_data)
    run_worker()
    email = OutgoingEmail.objects.get(purpose="comments.receipt")
    assert email.status == OutgoingEmail.Status.RETRYING and email.attempts == 1

    with SmtpSink(port=mail_server_down) as sink:
        run_worker()
        assert not sink.messages
        with time_machine.travel(email.next_attempt_at + timedelta(seconds=1), tick=False):
            run_worker()
            run_worker()
            call_command("send_queued_email")
    (receipt,) = sink.messages
    assert receipt["To"] == "rosa@example.org"
    # Python reads the folded, encoded header with its leading space; mail clients trim it.
    assert receipt["Subject"].strip() == "Confirm your comment on “Peru Takes the Lead”"
    manage = client.get(private_link(receipt))
    assert manage.status_code == 200 and "Bravo Congreso!" in manage.content.decode()


def test_on_the_immediate_backend_the_request_succeeds_and_the_sweeper_sends_later(
    client, article, comment_data, mail_server_down
):
    post_comment(client, article, comment_data)
    email = OutgoingEmail.objects.get(purpose="comments.receipt")
    assert email.status == OutgoingEmail.Status.RETRYING and email.attempts == 1

    with (
        SmtpSink(port=mail_server_down) as sink,
        time_machine.travel(email.next_attempt_at, tick=False),
    ):
        call_command("send_queued_email")
        call_command("send_queued_email")
    (receipt,) = sink.messages
    assert receipt["To"] == "rosa@example.org"
    assert client.get(private_link(receipt)).status_code == 200
