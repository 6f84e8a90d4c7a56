"""
Crafted WordPress exports, written here as an attacker would write them: a
password-protected page, and parent links that loop or never end. What readers
see and what the database holds once the import has run.
"""

import re
from io import StringIO

import pytest
from django.contrib.flatpages.models import FlatPage
from django.core.management import call_command

from articles.models import Article, Section
from comments.models import Comment
from newsroom.models import LegacyLink, WordPressImportRecord

pytestmark = pytest.mark.django_db

SECRET = "The board agreed to close the Lima bureau"


def wxr(*items):
    return (
        '<?xml version="1.0"?><rss xmlns:wp="http://wordpress.org/export/1.2/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        "<wp:wxr_version>1.2</wp:wxr_version>"
        "<wp:base_site_url>https://old.example.org</wp:base_site_url>"
        f"{''.join(items)}</channel></rss>"
    )


def page(wp_id, slug, *, parent=0, body="", password=""):
    return (
        f"<item><title>{slug.title()}</title><wp:post_id>{wp_id}</wp:post_id>"
        f"<wp:post_name>{slug}</wp:post_name><wp:post_parent>{parent}</wp:post_parent>"
        f"<content:encoded><![CDATA[{body}]]></content:encoded>"
        "<wp:status>publish</wp:status><wp:post_type>page</wp:post_type>"
        f"<wp:post_password>{password}</wp:post_password></item>"
    )


def comment(wp_id, parent):
    return (
        f"<wp:comment><wp:comment_id>{wp_id}</wp:comment_id>"
        f"<wp:comment_parent>{parent}</wp:comment_parent>"
        f"<wp:comment_author>Reader {wp_id}</wp:comment_author>"
        f"<wp:comment_content>Comment number {wp_id}</wp:comment_content>"
        "<wp:comment_approved>1</wp:comment_approved></wp:comment>"
    )


def post(wp_id, comments):
    return (
        f"<item><title>Post {wp_id}</title><dc:creator>ana</dc:creator>"
        f"<wp:post_id>{wp_id}</wp:post_id><wp:post_name>post-{wp_id}</wp:post_name>"
        "<content:encoded>Body</content:encoded>"
        "<wp:post_date_gmt>2020-01-02 10:00:00</wp:post_date_gmt>"
        "<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>"
        f"{''.join(comments)}</item>"
    )


def run_import(tmp_path, *items, options=()):
    export = tmp_path / "export.xml"
    export.write_text(wxr(*items))
    out = StringIO()
    call_command("import_wordpress", str(export), *options, stdout=out)
    return out.getvalue()


# -- a password-protected page --------------------------------------------------------


def test_a_password_protected_page_is_not_shown_to_anyone(client, tmp_path):
    summary = run_import(
        tmp_path,
        page(40, "board-minutes", body=f"<p>{SECRET}</p>", password="hunter2"),
        page(41, "about", body="<p>Who we are</p>"),
    )

    response = client.get("/board-minutes/")
    assert response.status_code == 404 and SECRET not in response.content.decode()
    response = client.get("/", {"page_id": 40}, follow=True)
    assert SECRET not in response.content.decode()
    assert not LegacyLink.objects.filter(kind="page_id", wp_id=40).exists()
    home = client.get("/").content.decode()
    assert 'href="/about/"' in home  # the footer lists the public page…
    assert "board-minutes" not in home  # …and not the protected one
    assert "board-minutes" not in client.get("/sitemap.xml").content.decode()
    held = FlatPage.objects.get(url="/board-minutes/")  # kept for an editor to decide
    assert held.registration_required and not held.sites.exists() and SECRET in held.content
    held_line = "pages: password-protected: held for an editor, sign-in required (1)"
    assert held_line in summary
    assert held_line in WordPressImportRecord.objects.get().summary  # what the admin shows


def test_an_editor_publishing_the_held_page_still_requires_sign_in(client, tmp_path):
    run_import(tmp_path, page(40, "board-minutes", body=f"<p>{SECRET}</p>", password="hunter2"))
    FlatPage.objects.get(url="/board-minutes/").sites.add(1)

    response = client.get("/board-minutes/")
    assert response.status_code == 302 and "login" in response["Location"]
    assert SECRET not in response.content.decode()


def test_a_public_page_protected_since_the_last_import_is_taken_down(client, tmp_path):
    run_import(tmp_path, page(40, "board-minutes", body=f"<p>{SECRET}</p>"))
    assert SECRET in client.get("/board-minutes/").content.decode()

    run_import(tmp_path, page(40, "board-minutes", body=f"<p>{SECRET}</p>", password="hunter2"))

    assert client.get("/board-minutes/").status_code == 404
    assert client.get("/", {"page_id": 40}).status_code == 200  # the home page, no redirect
    assert "board-minutes" not in client.get("/").content.decode()


# -- pages whose parents loop or never end ----------------------------------------------


def test_a_dry_run_of_1300_nested_pages_finishes_with_a_clear_summary(tmp_path):
    chain = [page(n, f"level-{n}", parent=n - 1 if n > 1 else 0) for n in range(1, 1301)]

    summary = run_import(tmp_path, *chain, options=["--dry-run"])

    assert "Dry run: nothing was written." in summary
    assert re.search(r"^pages\s+1300\s+0\s+0\s+0$", summary, re.M)
    assert "pages: nested more than 100 levels deep: kept top-level (1199)" in summary
    assert not FlatPage.objects.exists()


def test_1300_nested_pages_each_answer_at_one_address(client, tmp_path):
    chain = [page(n, f"level-{n}", parent=n - 1 if n > 1 else 0) for n in range(1, 1301)]

    run_import(tmp_path, *chain)

    urls = list(FlatPage.objects.values_list("url", flat=True))
    assert len(urls) == len(set(urls)) == 1300
    assert all(len(url) <= 100 for url in urls)
    assert FlatPage.objects.filter(url="/level-1/level-2/").exists()
    assert FlatPage.objects.filter(url="/level-1300/").exists()
    assert client.get("/level-1300/").status_code == 200


def test_pages_that_are_each_others_parent_are_cut_at_the_oldest(tmp_path):
    summary = run_import(
        tmp_path,
        page(51, "first", parent=52),
        page(52, "second", parent=51),
        page(53, "third", parent=52),
        page(60, "self", parent=60),
    )

    links = dict(LegacyLink.objects.filter(kind="page_id").values_list("wp_id", "path"))
    assert links == {
        51: "/first/",
        52: "/first/second/",
        53: "/first/second/third/",
        60: "/self/",
    }
    assert "pages: in a loop of parents: made top-level (2)" in summary


# -- comments whose parents loop ------------------------------------------------------


def test_comments_replying_to_each_other_in_a_loop_get_consistent_threads(client, tmp_path):
    summary = run_import(
        tmp_path,
        post(
            7,
            [
                comment(503, 504),  # two comments, each the other's parent
                comment(504, 503),
                comment(601, 603),  # a loop of three, with a reply hanging off it
                comment(602, 601),
                comment(603, 602),
                comment(700, 603),
                comment(800, 800),  # its own parent
                comment(900, 0),
            ],
        ),
    )

    comments = {c.wp_id: c for c in Comment.objects.select_related("parent")}
    assert len(comments) == 8
    for c in comments.values():
        seen, ancestor = {c.pk}, c.parent
        while ancestor is not None:  # every chain of parents reaches the top
            assert ancestor.pk not in seen
            seen.add(ancestor.pk)
            ancestor = comments[ancestor.wp_id].parent
        if c.parent is None:
            assert c.depth == 1 and "/" not in c.path
        else:
            assert c.path.startswith(c.parent.path + "/") and c.depth == c.parent.depth + 1
    top_level = {wp_id for wp_id, c in comments.items() if c.parent is None}
    assert top_level == {503, 601, 800, 900}  # the oldest of each loop
    assert comments[602].parent.wp_id == 601 and comments[700].parent.wp_id == 603
    assert "comments: in a loop of parents: made top-level (3)" in summary
    page = client.get(Article.objects.get(wp_id=7).get_absolute_url()).content.decode()
    for wp_id in comments:
        assert f"Comment number {wp_id}" in page


# -- categories whose parents loop or never end -----------------------------------------


def category(term_id, nicename, parent=""):
    return (
        f"<wp:category><wp:term_id>{term_id}</wp:term_id>"
        f"<wp:category_nicename>{nicename}</wp:category_nicename>"
        f"<wp:category_parent>{parent}</wp:category_parent>"
        f"<wp:cat_name>{nicename}</wp:cat_name></wp:category>"
    )


def test_categories_in_a_loop_become_sections_with_finite_paths(client, tmp_path):
    summary = run_import(
        tmp_path,
        category(1, "alpha", "beta"),
        category(2, "beta", "alpha"),
        category(3, "cafe", "caf%c3%a9"),  # two nicenames for one section: its own parent
        category(4, "caf%c3%a9"),
    )

    paths = dict(Section.objects.values_list("slug", "path"))
    assert paths == {"alpha": "alpha", "beta": "alpha/beta", "cafe": "cafe"}
    assert Section.objects.get(slug="cafe").parent is None
    assert "sections: in a loop of parents: made top-level (2)" in summary
    assert client.get("/category/alpha/beta/").status_code == 200


def test_a_category_moved_under_its_old_child_is_nested_the_new_way(tmp_path):
    run_import(tmp_path, category(1, "alpha", "beta"), category(2, "beta"))
    assert Section.objects.get(slug="alpha").path == "beta/alpha"

    run_import(tmp_path, category(1, "alpha"), category(2, "beta", "alpha"))

    assert dict(Section.objects.values_list("slug", "path")) == {
        "alpha": "alpha",
        "beta": "alpha/beta",
    }


def test_1300_nested_categories_import_with_paths_that_fit(tmp_path):
    chain = [category(n, f"c{n}", f"c{n - 1}" if n > 1 else "") for n in range(1, 1301)]

    summary = run_import(tmp_path, *chain)

    assert Section.objects.count() == 1300
    assert max(len(path) for path in Section.objects.values_list("path", flat=True)) <= 1000
    assert Section.objects.get(slug="c101").path.count("/") == 100
    assert Section.objects.get(slug="c102").parent is None
    assert "sections: nested more than 100 levels deep: kept top-level (1199)" in summary
