import pytest
from axe_playwright_python.sync_playwright import Axe

from donations.models import Appeal
from tests.factories import ArticleFactory, AuthorFactory, ImageFactory, SectionFactory, TagFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_reader_pages_have_no_accessibility_violations(site, page):
    Appeal.objects.create(message="We are 100% reader-supported.")
    section = SectionFactory(name="Politics", slug="politics")
    author = AuthorFactory(name="Ana Rivas", slug="ana-rivas")
    article = ArticleFactory(
        title="Peru Takes the Lead",
        section=section,
        authors=[author],
        tags=[TagFactory(name="OAS", slug="oas")],
        featured_image=ImageFactory(),
        body="<p>Intro.</p><blockquote><p>Quoted.</p></blockquote>",
    )
    ArticleFactory.create_batch(3, section=section, is_featured=True)
    axe = Axe()
    for path in [
        "/",
        article.get_absolute_url(),
        "/category/politics/",
        "/tag/oas/",
        "/author/ana-rivas/",
        "/search/?q=peru",
        "/donate/",
    ]:
        page.goto(site.url + path)
        results = axe.run(page)
        assert results.violations_count == 0, f"{path}:\n{results.generate_report()}"
