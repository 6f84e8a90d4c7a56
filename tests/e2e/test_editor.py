import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from articles.models import Article
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def choose_in_autocomplete(page, select_id, label):
    """Open the admin's autocomplete box, type the start of the name and pick it."""
    page.locator(f"#{select_id} + .select2").click()
    page.locator(".select2-container--open .select2-search__field").fill(label[:3])
    page.get_by_role("option", name=label).click()


@pytest.fixture
def signed_in_editor(site, page, django_user_model):
    """An editor with only the Editors group's permissions, signed in through the login form."""
    user = django_user_model.objects.create_user(
        "desk", "desk@example.org", "s3cret-pass!", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Editors"))
    page.goto(f"{site.url}/admin/")
    page.get_by_label("Username").fill("desk")
    page.get_by_label("Password").fill("s3cret-pass!")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Site administration")).to_be_visible()
    return page


def test_editor_writes_and_publishes_an_article(site, signed_in_editor):
    page = signed_in_editor
    SectionFactory(name="Politics", slug="politics")
    AuthorFactory(name="Ana Rivas", slug="ana-rivas")

    page.goto(f"{site.url}/admin/articles/article/add/")
    page.get_by_label("Headline").press_sequentially("Congress calls on the OAS")
    expect(page.get_by_label("Slug")).to_have_value("congress-calls-on-the-oas")
    page.get_by_label("Body").fill("<p>Lima moved first, and others followed.</p>")
    choose_in_autocomplete(page, "id_section", "Politics")
    choose_in_autocomplete(page, "id_bylines-0-author", "Ana Rivas")
    page.get_by_label("Status").select_option(label="Published")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was added successfully")).to_be_visible()

    page.goto(site.url)
    page.get_by_role("link", name="Congress calls on the OAS").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Congress calls on the OAS")
    expect(page.get_by_text("Lima moved first, and others followed.")).to_be_visible()
    expect(page.locator(".preview-banner")).to_have_count(0)


def test_editor_sees_why_an_article_cannot_be_published(site, signed_in_editor):
    page = signed_in_editor
    page.goto(f"{site.url}/admin/articles/article/add/")
    page.get_by_label("Headline").fill("Half-written")
    page.get_by_label("Status").select_option(label="Published")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("A published article needs a body.")).to_be_visible()
    expect(page.get_by_text("A published article needs a section.")).to_be_visible()
    assert not Article.objects.exists()


def test_editor_previews_a_draft_that_readers_cannot_see(site, signed_in_editor, browser):
    draft = ArticleFactory(title="Embargoed story", status=Article.Status.DRAFT)
    page = signed_in_editor
    page.goto(f"{site.url}/admin/articles/article/")
    page.get_by_role("link", name="Preview").click()
    expect(page.get_by_role("status")).to_contain_text("Preview")
    expect(page.get_by_role("heading", level=1)).to_have_text("Embargoed story")

    reader = browser.new_page()
    response = reader.goto(site.url + draft.get_absolute_url())
    assert response.status == 404
    reader.close()


def test_scheduled_article_appears_at_its_time(site, page, time_machine):
    now = timezone.now()
    time_machine.move_to(now, tick=False)
    ArticleFactory(title="Scheduled for noon", publish_at=now + timedelta(hours=2))
    ArticleFactory(title="Already out", publish_at=now - timedelta(hours=1))

    page.goto(site.url)
    expect(page.get_by_role("link", name="Already out")).to_be_visible()
    expect(page.get_by_text("Scheduled for noon")).to_have_count(0)

    time_machine.move_to(now + timedelta(hours=2, minutes=1), tick=False)
    page.reload()
    expect(page.get_by_role("link", name="Scheduled for noon")).to_be_visible()
    page.get_by_role("link", name="Scheduled for noon").click()
    expect(page).to_have_url(re.compile(r"/headline-\d+/$"))
