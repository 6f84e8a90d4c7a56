"""
What the operator's log shows of a hostile WordPress export: each item left out
and each value dropped, by WordPress id and reason, and a refused file; never a
commenter's email or address.
"""

import logging
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from articles.models import Article
from comments.models import Comment

pytestmark = pytest.mark.django_db

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "wordpress" / "hostile" / "hostile.xml"


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.INFO, logger="newsroom")
    return caplog


def events(log, event):
    return [record for record in log.records if getattr(record, "event", None) == event]


def hostile_variant(tmp_path, *replacements):
    """The hostile export with some of its text replaced, each replacement made exactly once."""
    text = HOSTILE.read_text()
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "hostile-variant.xml"
    path.write_text(text)
    return path


def test_each_dropped_commenter_value_is_logged_by_comment_and_field_only(log):
    call_command("import_wordpress", str(HOSTILE), stdout=StringIO())

    dropped = events(log, "wordpress.import_value_dropped")
    websites = sorted(r.wp_id for r in dropped if r.field == "website")
    assert len(websites) == 10 and 111 not in websites  # 111 is the one good website
    assert set(websites) < set(Comment.objects.values_list("wp_id", flat=True))
    assert {(r.field, r.reason) for r in dropped} == {
        ("website", "not an http(s) address"),
        ("email", "invalid or too long"),
        ("ip_address", "not an IP address"),
    }
    # Nothing a commenter wrote in those fields reaches the log.
    written = " ".join(f"{r.getMessage()} {r.__dict__}" for r in log.records)
    assert "javascript:" not in written.lower()
    assert "@example.org" not in written
    assert not re.search(r"192\.0\.2\.\d", written)


def test_items_left_out_are_logged_with_their_wordpress_ids_and_reasons(log, tmp_path):
    export = hostile_variant(
        tmp_path,
        ("<wp:comment_id>114</wp:comment_id>", "<wp:comment_id>x</wp:comment_id>"),
        (
            "<wp:post_id>11</wp:post_id>\n\t\t<wp:post_date_gmt>2020-01-02 11:00:00"
            "</wp:post_date_gmt>\n\t\t<wp:post_name><![CDATA[caf%c3%a9-cr%c3%a8me]]>"
            "</wp:post_name>\n\t\t<wp:status>publish</wp:status>",
            "<wp:post_id>11</wp:post_id>\n\t\t<wp:post_date_gmt>2020-01-02 11:00:00"
            "</wp:post_date_gmt>\n\t\t<wp:post_name><![CDATA[caf%c3%a9-cr%c3%a8me]]>"
            "</wp:post_name>\n\t\t<wp:status>inherit\nFORGED 200 OK</wp:status>",
        ),
    )

    call_command("import_wordpress", str(export), stdout=StringIO())

    left_out = {
        (r.kind, r.wp_id, r.outcome, r.reason, r.levelname)
        for r in events(log, "wordpress.import_skipped")
    }
    assert left_out == {
        ("comments", None, "failed", "no comment id", "WARNING"),
        ("articles", 11, "skipped", "status “inherit\nFORGED 200 OK”", "INFO"),
    }
    assert not Article.objects.filter(wp_id=11).exists()
    assert not Comment.objects.filter(body="Comment 114").exists()
    no_id = next(r for r in events(log, "wordpress.import_skipped") if r.kind == "comments")
    assert no_id.post_id == 10
    # In a plain-text log the crafted status stays on its own line.
    assert all("\n" not in record.getMessage() for record in log.records)


def test_a_refused_file_is_logged_and_nothing_is_imported(log, tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text(HOSTILE.read_text()[:5000])

    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_wordpress", str(broken), stdout=StringIO())

    (failed,) = events(log, "wordpress.import_failed")
    assert failed.levelname == "ERROR"
    assert failed.file == "broken.xml"
    assert failed.reason.startswith("the file is broken at line")
    assert not Article.objects.exists()


def test_a_missing_file_is_logged(log, tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_wordpress", str(tmp_path / "gone.xml"), stdout=StringIO())

    (failed,) = events(log, "wordpress.import_failed")
    assert (failed.file, failed.reason) == ("gone.xml", "no such file")
