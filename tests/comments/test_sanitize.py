from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from comments.models import Comment
from comments.sanitize import fold, matched_text, render_comment, visible_text
from comments.tokens import manage_token
from tests.factories import ArticleFactory, CommentFactory
from tests.timing import RUNAWAY_SECONDS, cpu_seconds

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    '<a href="java\tscript:alert(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<b onmouseover="alert(1)">hover</b>',
    '<iframe src="https://evil.example"></iframe>',
    '<object data="https://evil.example/x.swf"></object>',
    '<embed src="https://evil.example/x.swf">',
    '<form action="https://evil.example"><input type=submit></form>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<div style="position:fixed;top:0">overlay</div>',
    "<meta http-equiv=refresh content=0;url=https://evil.example>",
    "<base href=https://evil.example/>",
    '<a href="https://ok.example" onclick="alert(1)">ok</a>',
    "<!--<script>alert(1)</script>-->",
    '"><script>alert(1)</script>',
    "<<script>alert(1)//<</script>",
    '<link rel=stylesheet href="https://evil.example/x.css">',
]


class ElementsAndAttributes(HTMLParser):
    """What a browser would build from the HTML: its elements and their attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_no_script_ever_survives(payload):
    parser = ElementsAndAttributes()
    parser.feed(render_comment(payload))
    for tag, attrs in parser.found:
        assert tag in {"a", "em", "strong", "b", "i", "blockquote", "code", "p", "br"}, tag
        assert set(attrs) <= {"href", "rel"}, attrs
        if "href" in attrs:
            assert urlsplit(attrs["href"]).scheme in {"http", "https", "mailto"}, attrs


def test_allowed_tags_are_kept():
    html = render_comment(
        "<em>em</em> <strong>strong</strong> <b>b</b> <i>i</i> <code>x = 1</code>\n\n"
        "<blockquote>quoted</blockquote>"
    )
    for kept in ["<em>em</em>", "<strong>strong</strong>", "<b>b</b>", "<i>i</i>",
                 "<code>x = 1</code>", "<blockquote>quoted</blockquote>"]:  # fmt: skip
        assert kept in html


def test_line_breaks_become_paragraphs_and_breaks():
    assert render_comment("one\ntwo\n\nthree") == "<p>one<br>two</p>\n<p>three</p>"


def test_urls_become_links_that_pass_no_ranking():
    html = render_comment("See https://example.org/report and <a href='https://x.example'>x</a>")
    assert '<a href="https://example.org/report" rel="nofollow ugc noopener">' in html
    assert '<a href="https://x.example" rel="nofollow ugc noopener">x</a>' in html


def test_plain_text_is_escaped_not_interpreted():
    assert render_comment("5 < 6 & 7 > 3") == "<p>5 &lt; 6 &amp; 7 &gt; 3</p>"


HOSTILE = {
    "unclosed script tags": "<script" * 714,
    "open brackets": "<" * 5000,
    "one blank line of spaces": "\n" + " \t" * 2499 + "x",
    "unclosed links": "<a href='" * 555,
    "nested bold": "<b>" * 1666,
    "ampersands": "&" * 5000,
    "entities": "&#97;" * 1000,
    "soft hyphens": "\u00ad" * 5000,
    "many paragraphs": "a\n\n" * 1666,
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_comments_of_the_largest_allowed_size_are_handled_quickly(body):
    """Every step is a single pass: no pattern backtracks across the text."""
    rendering, _html = cpu_seconds(render_comment, body)
    matching, _text = cpu_seconds(visible_text, body)
    assert rendering + matching < RUNAWAY_SECONDS


@pytest.mark.django_db
def test_a_comment_over_the_size_cap_is_refused_with_a_message(client, comment_data):
    article = ArticleFactory()
    body = "<script" * 800
    response = client.post(f"/comments/post/{article.pk}/", comment_data(article, body=body))
    assert response.status_code == 400
    assert "Please keep your comment to 5000 characters (it has 5600)." in response.content.decode()


@pytest.mark.django_db
def test_an_edit_over_the_size_cap_is_refused_with_a_message(client):
    comment = CommentFactory(status=Comment.Status.PENDING, body="Short")
    response = client.post(
        f"/comments/manage/{manage_token(comment)}/", {"action": "edit", "body": "x" * 5001}
    )
    assert "Please keep your comment to 5000 characters (it has 5001)." in response.content.decode()
    comment.refresh_from_db()
    assert comment.body == "Short"


# Default_Ignorable_Code_Point, as Unicode's DerivedCoreProperties.txt lists it.
DEFAULT_IGNORABLE = [
    *range(0x00AD, 0x00AD + 1),
    *range(0x034F, 0x034F + 1),
    *range(0x061C, 0x061C + 1),
    *range(0x115F, 0x1160 + 1),
    *range(0x17B4, 0x17B5 + 1),
    *range(0x180B, 0x180F + 1),
    *range(0x200B, 0x200F + 1),
    *range(0x202A, 0x202E + 1),
    *range(0x2060, 0x206F + 1),
    *range(0x3164, 0x3164 + 1),
    *range(0xFE00, 0xFE0F + 1),
    *range(0xFEFF, 0xFEFF + 1),
    *range(0xFFA0, 0xFFA0 + 1),
    *range(0xFFF0, 0xFFF8 + 1),
    *range(0x1BCA0, 0x1BCA3 + 1),
    *range(0x1D173, 0x1D17A + 1),
    *range(0xE0000, 0xE0FFF + 1),
]


def test_every_default_ignorable_character_is_dropped_for_matching():
    kept = [hex(cp) for cp in DEFAULT_IGNORABLE if fold(f"ca{chr(cp)}sino") != "casino"]
    assert kept == []


def test_accents_are_kept_for_matching():
    assert fold("Año") == "año" and fold("an\u0303o") == "año"
    assert "ano" not in visible_text("Feliz a&ntilde;o")


@pytest.mark.parametrize("dot", [".", "\u3002", "\uff0e", "\uff61"])
def test_every_dot_a_browser_reads_in_a_host_name_is_a_dot_for_matching(dot):
    assert "casino.example" in matched_text(f'<a href="https://casino{dot}example/">x</a>')
