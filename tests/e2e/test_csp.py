"""
The Content-Security-Policy, enforced by a real browser: every page a reader or the
staff open loads and works with no inline script or style blocked.
"""

import pytest
from django.contrib.flatpages.models import FlatPage
from django.contrib.sites.models import Site
from playwright.sync_api import expect

from donations.models import Appeal
from tests.factories import ArticleFactory, CampaignFactory, CommentFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Runs before the page's own scripts, so no violation can happen before it listens.
LISTEN = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile}:${event.lineNumber} ${event.sample}`
  );
});
"""


@pytest.fixture
def violations(page):
    """Every CSP violation the browser sees, from the event and from the console."""
    seen = []
    page.expose_function("reportViolation", lambda text: seen.append((page.url, text)))
    page.add_init_script(LISTEN)
    page.on(
        "console",
        lambda message: (
            seen.append((page.url, message.text))
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return seen


def visit(page, url):
    response = page.goto(url)
    assert response.status == 200, url
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # Give deferred scripts (autocomplete, the comment form) time to run.
    page.wait_for_load_state("networkidle")


def test_reader_and_staff_pages_load_without_a_single_violation(
    site, page, violations, django_user_model
):
    Appeal.objects.create(message="We are 100% reader-supported.")
    CampaignFactory(name="Spring drive", slug="spring")
    article = ArticleFactory(
        title="Peru Takes the Lead",
        body=(
            '<p>Intro.</p><iframe src="https://www.youtube.com/embed/abc" title="Video"></iframe>'
        ),
    )
    comment = CommentFactory(article=article, body="First.")
    CommentFactory(article=article, parent=comment, body="A reply.")
    about = FlatPage.objects.create(url="/about/", title="About us", content="<p>Who we are.</p>")
    about.sites.add(Site.objects.get_current())
    django_user_model.objects.create_superuser("chief", "chief@example.org", "pw-chief-1!")

    for path in ["/", article.get_absolute_url(), "/donate/", "/donate/spring/", "/about/"]:
        visit(page, site.url + path)
    page.goto(site.url + article.get_absolute_url())
    expect(page.get_by_text("A reply.")).to_be_visible()
    expect(page.get_by_role("button", name="Post comment")).to_be_visible()

    visit(page, f"{site.url}/admin/login/")
    page.get_by_label("Username").fill("chief")
    page.get_by_label("Password").fill("pw-chief-1!")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Site administration")).to_be_visible()
    for path in [
        "/admin/",
        f"/admin/articles/article/{article.pk}/change/",
        "/admin/comments/comment/",
        "/admin/two-factor/",
    ]:
        visit(page, site.url + path)
    expect(page.get_by_role("img", name="QR code of the setup address below")).to_be_visible()

    assert violations == []


def test_an_inline_script_would_be_reported(site, page, violations):
    """The listener works: an injected inline script is blocked and seen."""
    visit(page, site.url + "/")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.ran = true";
          document.body.append(script);
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.ran") is None
    assert any("script-src" in text for _, text in violations)
