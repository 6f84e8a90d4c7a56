import pytest

from articles.sanitize import excerpt_from, sanitize_body


@pytest.mark.parametrize(
    "dirty, forbidden",
    [
        ("<p>Hi</p><script>alert(1)</script>", "<script"),
        ("<p>Hi</p><script>alert(1)</script>", "alert(1)"),
        ('<img src="x.jpg" onerror="alert(1)">', "onerror"),
        ('<a href="javascript:alert(1)">click</a>', "javascript:"),
        ('<a href="JaVaScRiPt:alert(1)">click</a>', "alert"),
        ('<p style="background:url(evil)">x</p>', "style"),
        ('<iframe src="https://evil.example/embed"></iframe>', "iframe"),
        ('<iframe src="http://www.youtube.com/embed/x"></iframe>', "iframe"),
        ("<svg><script>alert(1)</script></svg>", "alert"),
        ('<form action="/x"><input name="a"></form>', "<input"),
    ],
)
def test_dangerous_markup_never_survives(dirty, forbidden):
    assert forbidden.lower() not in sanitize_body(dirty).lower()


def test_editorial_markup_is_kept():
    html = (
        '<h2>Heading</h2><p>A <a href="https://example.org/">link</a>, <em>em</em>, '
        "<strong>strong</strong></p><blockquote><p>Quote</p></blockquote>"
        '<figure><img src="/media/a.jpg" alt="A"><figcaption>Cap</figcaption></figure>'
        "<ul><li>one</li></ul><pre><code>x = 1</code></pre>"
        "<table><tr><th>h</th><td>d</td></tr></table>"
    )
    cleaned = sanitize_body(html)
    for kept in ["<h2>", "<blockquote>", "<figure>", "<figcaption>", 'alt="A"', "<em>", "<code>",
                 "<table>", "<th>", 'href="https://example.org/"']:  # fmt: skip
        assert kept in cleaned


def test_embeds_from_allowed_hosts_are_kept():
    html = '<iframe src="https://www.youtube.com/embed/abc" width="560" height="315"></iframe>'
    assert 'src="https://www.youtube.com/embed/abc"' in sanitize_body(html)


def test_excerpt_is_plain_text_with_spaces_between_blocks():
    assert excerpt_from("<p>One &amp; two.</p><p>Three</p>") == "One & two. Three"


def test_excerpt_is_cut_at_fifty_five_words():
    words = " ".join(f"w{n}" for n in range(80))
    excerpt = excerpt_from(f"<p>{words}</p>")
    assert excerpt.endswith("w54…")
