import pytest
from playwright.sync_api import expect

from tests.e2e.test_editor import choose_in_autocomplete
from tests.factories import AuthorFactory, SectionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(browser, site, username, password):
    page = browser.new_context().new_page()
    page.goto(f"{site.url}/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Site administration")).to_be_visible()
    return page


def test_writer_submits_editor_compares_publishes_and_corrects(site, browser, django_user_model):
    from django.contrib.auth.models import Group

    SectionFactory(name="Politics", slug="politics")
    AuthorFactory(name="Ana Rivas", slug="ana-rivas")
    writer = django_user_model.objects.create_user(
        "writer", "w@example.org", "pw-writer-1!", is_staff=True
    )
    writer.groups.add(Group.objects.get(name="Contributors"))
    editor = django_user_model.objects.create_user(
        "desk", "d@example.org", "pw-desk-1!", is_staff=True
    )
    editor.groups.add(Group.objects.get(name="Editors"))

    # The writer drafts and submits for review.
    page = sign_in(browser, site, "writer", "pw-writer-1!")
    page.goto(f"{site.url}/admin/articles/article/add/")
    page.get_by_label("Headline").press_sequentially("Congress calls on the OAS")
    page.get_by_label("Body").fill("<p>The vote was 80 to 13.</p>")
    choose_in_autocomplete(page, "id_section", "Politics")
    choose_in_autocomplete(page, "id_bylines-0-author", "Ana Rivas")
    expect(page.get_by_label("Status").locator("option")).to_have_text(
        ["Draft", "Ready for review"]
    )
    page.get_by_label("Status").select_option(label="Ready for review")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was added successfully")).to_be_visible()

    # The editor finds it, fixes the count, compares the two revisions and publishes.
    desk = sign_in(browser, site, "desk", "pw-desk-1!")
    desk.get_by_role("link", name="1 article waiting for review").click()
    desk.get_by_role("link", name="Congress calls on the OAS").click()
    desk.get_by_label("Body").fill("<p>The vote was 81 to 13.</p>")
    desk.get_by_role("button", name="Save and continue editing").click()
    expect(desk.get_by_text("was changed successfully")).to_be_visible()
    desk.get_by_role("link", name="Revisions").click()
    desk.get_by_role("button", name="Compare selected revisions").click()
    expect(desk.locator("del")).to_have_text("80")
    expect(desk.locator("ins")).to_have_text("81")
    desk.go_back()
    desk.go_back()
    desk.reload()
    desk.get_by_label("Status").select_option(label="Published")
    desk.get_by_role("button", name="Save and continue editing").click()
    expect(desk.get_by_text("was changed successfully")).to_be_visible()

    # Then adds a correction, which readers see on the article.
    desk.get_by_role("button", name="Add another Correction").click()
    desk.locator("#id_corrections-0-text").fill("An earlier version gave the wrong vote count.")
    desk.get_by_role("button", name="Save and continue editing").click()
    expect(desk.get_by_text("was changed successfully")).to_be_visible()
    desk.get_by_role("link", name="View on site").click()
    expect(desk.get_by_role("heading", name="Corrections and clarifications")).to_be_visible()
    expect(desk.get_by_text("An earlier version gave the wrong vote count.")).to_be_visible()
    expect(desk.get_by_text("The vote was 81 to 13.")).to_be_visible()
