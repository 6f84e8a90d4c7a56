import re
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.flatpages.models import FlatPage
from django.core.management import CommandError, call_command

from articles.models import Article, Author, Section, Tag
from comments.models import Comment
from newsroom.wordpress.content import convert

pytestmark = pytest.mark.django_db

# The WordPress theme unit test data (GPL), kept with the tests so a clone runs them anywhere.
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "wordpress"
UNIT_TEST_DATA = FIXTURES / "themeunittestdata.wordpress.xml"


def run_import(path=UNIT_TEST_DATA, *options):
    out = StringIO()
    call_command("import_wordpress", str(path), *options, stdout=out)
    return out.getvalue()


@pytest.fixture
def imported():
    return run_import()


def test_articles_arrive_with_their_statuses(imported):
    statuses = Counter(Article.objects.values_list("status", flat=True))
    assert statuses == {"published": 56, "draft": 2}  # the password-protected post is held
    assert Article.objects.published().count() == 55
    scheduled = [a for a in Article.objects.all() if a.is_scheduled()]
    assert [a.title for a in scheduled] == ["Scheduled"]
    assert Article.objects.get(title__startswith="Template: Password Protected").status == "draft"
    assert re.search(r"articles\s+58\s+0\s", imported) and "Import complete." in imported


def test_sections_tags_authors_and_the_sticky_post(imported):
    child = Section.objects.get(name="Child Category 03")
    assert child.parent.name == "Parent Category"
    assert child.get_absolute_url() == "/category/parent-category/child-category-03/"
    assert Tag.objects.filter(slug="8bit").exists()
    assert set(Author.objects.values_list("wp_login", flat=True)) >= {"themedemos"}
    sticky = Article.objects.get(is_featured=True)
    assert sticky.title == "Template: Sticky"


def test_reader_pages_match_the_export(client, imported):
    article = Article.objects.get(title="Template: Comments")
    page = client.get(article.get_absolute_url()).content.decode()
    assert article.get_absolute_url() == "/2012/01/03/template-comments/"
    assert "<h1>Template: Comments</h1>" in page
    special = Article.objects.get(title__startswith="Markup: Title With Special Characters")
    response = client.get(special.get_absolute_url())
    assert response.status_code == 200
    assert "Markup: Title With Special Characters ~`!@#$%^&amp;*()" in response.content.decode()
    assert client.get("/about/page-markup-and-formatting/").status_code == 200


def test_comments_keep_their_threads_and_statuses(client, imported):
    statuses = Counter(Comment.objects.values_list("status", flat=True))
    assert statuses == {"approved": 23, "pending": 1}
    thread = Article.objects.get(title="Template: Comments").comments.order_by("path")
    deepest = max(comment.depth for comment in thread)
    assert deepest == 5  # the export's deeper chain is kept at our maximum depth
    for comment in thread:
        if comment.parent_id:
            assert comment.path.startswith(comment.parent.path + "/")
    page = client.get(thread.first().article.get_absolute_url()).content.decode()
    assert page.count('<ol class="children">') >= 4


def test_imported_published_comments_are_no_longer_their_authors_to_change(imported):
    """A comment readers have read on WordPress cannot be rewritten by its author's link here."""
    approved = Comment.objects.filter(status="approved")
    assert approved.count() == 23
    assert not any(comment.can_be_edited_by_author() for comment in approved)
    held = Comment.objects.get(status="pending")
    assert held.can_be_edited_by_author()
    assert "<p>" in held.body_html


def test_pages_keep_their_paths(imported):
    assert FlatPage.objects.count() == 21
    assert FlatPage.objects.filter(url="/about/clearing-floats/").exists()


def test_old_links_redirect(client, imported):
    article = Article.objects.get(title="Template: Comments")
    response = client.get("/", {"p": article.wp_id})
    assert response.status_code == 301 and response["Location"] == article.get_absolute_url()
    page = FlatPage.objects.get(url="/about/")
    from newsroom.models import LegacyLink

    about = LegacyLink.objects.get(kind="page_id", path=page.url)
    assert client.get("/", {"page_id": about.wp_id})["Location"] == "/about/"
    category = LegacyLink.objects.filter(kind="cat").first()
    assert client.get("/", {"cat": category.wp_id})["Location"] == category.path


def test_old_category_links_lead_to_nested_sections(client, imported):
    from newsroom.models import LegacyLink

    child = Section.objects.get(name="Child Category 03")
    link = LegacyLink.objects.get(kind="cat", path=child.get_absolute_url())
    response = client.get("/", {"cat": link.wp_id})
    assert response["Location"] == "/category/parent-category/child-category-03/"
    assert client.get(response["Location"]).status_code == 200


def test_running_again_duplicates_nothing(imported):
    counts = (Article.objects.count(), Comment.objects.count(), Section.objects.count(),
              Tag.objects.count(), FlatPage.objects.count())  # fmt: skip
    again = run_import()
    assert counts == (Article.objects.count(), Comment.objects.count(), Section.objects.count(),
                      Tag.objects.count(), FlatPage.objects.count())  # fmt: skip
    assert re.search(r"articles\s+0\s+58\s", again)


def test_dry_run_writes_nothing():
    out = run_import(UNIT_TEST_DATA, "--dry-run")
    assert "Dry run: nothing was written." in out and re.search(r"articles\s+58\s+0\s", out)
    assert not Article.objects.exists() and not Comment.objects.exists()


def test_a_broken_file_names_the_line_and_leaves_nothing(tmp_path):
    text = UNIT_TEST_DATA.read_text()
    broken = tmp_path / "broken.xml"
    broken.write_text(text[: len(text) // 2])
    with pytest.raises(CommandError, match=r"broken at line \d+") as raised:
        run_import(broken)
    assert "Nothing was imported" in str(raised.value)
    assert not Article.objects.exists() and not Section.objects.exists()


def test_a_file_that_is_not_wxr_is_refused(tmp_path):
    other = tmp_path / "feed.xml"
    other.write_text("<?xml version='1.0'?><html><body>hello</body></html>")
    with pytest.raises(CommandError, match="not a WordPress export"):
        run_import(other)


@pytest.mark.parametrize("name", ["theme-preview.xml", "64-block-test-data.xml"])
def test_the_other_exports_import_cleanly(client, name):
    out = run_import(FIXTURES / name)
    assert "Import complete." in out
    for article in Article.objects.published()[:10]:
        assert client.get(article.get_absolute_url()).status_code == 200


def test_content_follows_wordpress_rules():
    converted = convert(
        "First line\nsecond line\n\n"
        '[caption id="a" width="300"]<img src="/b.jpg" alt="Boat"> A boat[/caption]\n\n'
        "<!-- wp:paragraph -->\n<p>Block</p>\n<!-- /wp:paragraph -->\n\n"
        'https://example.org/clip\n\n<pre>keep\n\nthis</pre>\n<!--more-->\nRest [gallery ids="1"]'
    )
    assert "<p>First line<br>\nsecond line</p>" in converted.body
    assert '<figure><img src="/b.jpg" alt="Boat"> <figcaption>A boat</figcaption></figure>' in (
        converted.body
    )
    assert "<!-- wp:" not in converted.body and "<p>Block</p>" in converted.body
    assert '<a href="https://example.org/clip">' in converted.body
    assert "<pre>keep\n\nthis</pre>" in converted.body
    assert converted.excerpt.startswith("First line second line")
    assert converted.dropped_shortcodes == {"gallery": 1}


def test_images_come_from_a_local_uploads_folder_and_nothing_is_downloaded(tmp_path, client):
    from tests.factories import image_upload

    uploads = tmp_path / "uploads" / "2008" / "06"
    uploads.mkdir(parents=True)
    (uploads / "dsc20050102_192118_51.jpg").write_bytes(image_upload(size=(1400, 900)).read())
    out = run_import(UNIT_TEST_DATA, "--media-dir", str(tmp_path / "uploads"))
    article = Article.objects.exclude(featured_image=None).get()
    image = article.featured_image
    assert image.width == 1400 and [r["width"] for r in image.renditions] == [480, 800, 1200]
    assert image.src in client.get(article.get_absolute_url()).content.decode()
    assert re.search(r"images\s+1\s+0\s+\d+", out)


def test_without_an_uploads_folder_images_are_counted_not_copied(imported):
    assert re.search(r"images: not copied \(no local file\) \(\d+\)", imported)
    assert not Article.objects.exclude(featured_image=None).exists()


def test_attachment_links_lead_to_the_article_that_shows_them(client, imported):
    from newsroom.models import LegacyLink

    link = LegacyLink.objects.filter(kind="attachment_id").first()
    assert link is not None
    response = client.get("/", {"attachment_id": link.wp_id})
    assert response.status_code == 301 and response["Location"] == link.path


def test_a_reply_listed_before_its_parent_and_odd_addresses_are_handled(tmp_path):
    export = tmp_path / "small.xml"
    export.write_text(
        '<?xml version="1.0"?><rss xmlns:wp="http://wordpress.org/export/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><wp:wxr_version>1.1</wp:wxr_version>'
        "<wp:base_site_url>https://old.example.org</wp:base_site_url>"
        "<item><title>A &amp; B</title><dc:creator>ana</dc:creator>"
        "<content:encoded>One\nTwo</content:encoded><wp:post_id>7</wp:post_id>"
        "<wp:post_date>2010-05-01 10:00:00</wp:post_date><wp:status>publish</wp:status>"
        "<wp:post_type>post</wp:post_type>"
        "<wp:comment><wp:comment_id>5</wp:comment_id><wp:comment_parent>9</wp:comment_parent>"
        "<wp:comment_author>Reply</wp:comment_author><wp:comment_author_IP>unknown"
        "</wp:comment_author_IP><wp:comment_content>Answer</wp:comment_content>"
        "<wp:comment_approved>1</wp:comment_approved></wp:comment>"
        "<wp:comment><wp:comment_id>9</wp:comment_id><wp:comment_parent>0</wp:comment_parent>"
        "<wp:comment_author>Parent</wp:comment_author><wp:comment_content>Question"
        "</wp:comment_content><wp:comment_approved>1</wp:comment_approved></wp:comment>"
        "</item></channel></rss>"
    )
    run_import(export)
    article = Article.objects.get(wp_id=7)
    assert article.title == "A & B" and article.body == "<p>One<br>\nTwo</p>"
    parent, reply = article.comments.get(wp_id=9), article.comments.get(wp_id=5)
    assert reply.parent == parent and reply.path.startswith(parent.path + "/")
    assert reply.ip_address is None
