"""
Hostile WordPress bodies: each pattern that once backtracked over its input
must now finish in linear time, and a body too big to be an article is refused
for that item alone, with the reason in the summary.
"""

from io import StringIO

import pytest
from django.core.management import call_command

from articles.models import Article
from newsroom.wordpress.content import MAX_BODY_CHARS, convert
from tests.timing import RUNAWAY_SECONDS, cpu_seconds

# Each of these took seconds to minutes with the old patterns; linear code does it
# in milliseconds, so two seconds is a generous guard that still catches a relapse.
SIZE = 200_000

HOSTILE_BODIES = {
    "unclosed [caption repeated": "[caption" * (SIZE // 8),
    "[caption] repeated, never closed": "[caption]" * (SIZE // 9),
    "caption with a long attribute string": "[caption " + 'id="x" ' * (SIZE // 7),
    "caption of whitespace before a missing image": "[caption]" + " " * SIZE + "[/caption]",
    "unclosed shortcodes with attributes": "[gallery ids=1 " * (SIZE // 15),
    "one shortcode with a huge attribute": "[gallery " + "a" * SIZE,
    "unclosed <!--more": "<!--more" * (SIZE // 8),
    "unclosed block comments": "<!-- wp:paragraph " * (SIZE // 18),
    "unclosed <pre": "<pre " * (SIZE // 5),
    "blank lines": "\n \n" * (SIZE // 3),
    "a URL line that never ends": "https://" + "a" * SIZE + "<",
    "many URL-like lines": "https://example.org/a b\n" * (SIZE // 24),
}


def export(tmp_path, *, items):
    """A minimal WXR 1.2 file with the given posts; bodies go in CDATA as WordPress writes them."""
    posts = "".join(
        f"<item><title>{item['title']}</title><dc:creator>ana</dc:creator>"
        f"<content:encoded><![CDATA[{item['content']}]]></content:encoded>"
        f"<wp:post_id>{item['post_id']}</wp:post_id>"
        "<wp:post_date_gmt>2020-01-02 10:00:00</wp:post_date_gmt>"
        "<wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>"
        for item in items
    )
    path = tmp_path / "export.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        "<wp:wxr_version>1.2</wp:wxr_version>"
        "<wp:base_site_url>https://old.example.org</wp:base_site_url>"
        f"{posts}</channel></rss>",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("body", HOSTILE_BODIES.values(), ids=HOSTILE_BODIES.keys())
def test_hostile_bodies_convert_in_linear_time(body):
    seconds, converted = cpu_seconds(convert, body)
    assert seconds < RUNAWAY_SECONDS
    assert isinstance(converted.body, str)


def test_a_body_naming_our_own_placeholders_cannot_break_the_conversion():
    converted = convert("<pre>kept</pre>\n\n<!--pre7--> and <!--pre0-->")
    assert converted.body == "<pre>kept</pre>\n<p><!--pre7--> and <!--pre0--></p>"


@pytest.mark.django_db
def test_a_200_kb_caption_bomb_imports_quickly_and_the_others_still_arrive(tmp_path):
    path = export(
        tmp_path,
        items=[
            {"post_id": 1, "title": "Bomb", "content": "[caption" * (SIZE // 8)},
            {"post_id": 2, "title": "Neighbour", "content": "Still here."},
        ],
    )
    seconds, _ = cpu_seconds(call_command, "import_wordpress", str(path), "--verbosity=0")
    assert seconds < RUNAWAY_SECONDS * 3
    assert set(Article.objects.values_list("wp_id", flat=True)) == {1, 2}


@pytest.mark.django_db
def test_an_oversized_body_fails_its_item_with_a_reason_and_the_rest_imports(tmp_path):
    path = export(
        tmp_path,
        items=[
            {"post_id": 1, "title": "Huge", "content": "x" * (MAX_BODY_CHARS + 1)},
            {"post_id": 2, "title": "Normal", "content": "Fine."},
        ],
    )
    out = StringIO()
    call_command("import_wordpress", str(path), stdout=out)
    assert list(Article.objects.values_list("title", flat=True)) == ["Normal"]
    summary = out.getvalue()
    assert "articles: the body has 1,000,001 characters; at most 1,000,000 are imported (1)" in (
        summary
    )
