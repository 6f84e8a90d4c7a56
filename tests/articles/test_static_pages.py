"""
Static pages (django.contrib.flatpages): sanitized once, when saved, by
whatever saves them, and shown as stored; shown only with a page template.
"""

import importlib
import json
from types import SimpleNamespace

import pytest
from django.contrib.flatpages.models import FlatPage
from django.core.management import call_command
from django.db import connection

from tests.articles.markup import parse
from tests.timing import cpu_seconds

pytestmark = pytest.mark.django_db

PAGES = "/admin/flatpages/flatpage/"


def page_form(**fields):
    return {"url": "/about/", "title": "About", "content": "<p>Us</p>", "sites": [1], **fields}


@pytest.mark.parametrize("unit", ["&", "<", "‹"])
def test_a_flood_saved_by_an_editor_costs_readers_nothing_to_show(editor_client, client, unit):
    """
    The attack as reported: an editor saves 512 KB of one character; each
    anonymous view then re-ran the sanitizer, seconds of a worker per request.
    """
    content = unit * (512 * 1024 // len(unit.encode()))
    response = editor_client.post(f"{PAGES}add/", page_form(url="/flood/", content=content))
    assert response.status_code == 302
    seconds, page = cpu_seconds(client.get, "/flood/", tries=3)
    assert seconds < 0.2
    assert page.status_code == 200
    assert parse(page.content.decode())[1].count(unit) >= len(content)


def test_a_page_created_in_a_shell_is_stored_sanitized():
    page = FlatPage.objects.create(
        url="/shell/",
        title="Shell",
        content='<p>Kept.</p><script>alert(1)</script><img src=x onerror="alert(2)">',
    )
    page.refresh_from_db()
    assert page.content == '<p>Kept.</p><img src="x">'


def test_a_page_loaded_from_a_fixture_is_stored_sanitized(tmp_path):
    fixture = tmp_path / "pages.json"
    content = "<p>Kept.</p><script>alert(1)</script>"
    dirty = {"url": "/fixture/", "title": "Fixture", "content": content}
    fixture.write_text(json.dumps([{"model": "flatpages.flatpage", "pk": 7, "fields": dirty}]))
    call_command("loaddata", str(fixture), verbosity=0)
    assert FlatPage.objects.get(pk=7).content == "<p>Kept.</p>"


def test_the_migration_sanitizes_pages_written_before_saves_did():
    FlatPage.objects.bulk_create(  # no save, so no sanitizing: as rows from before
        [FlatPage(url="/old/", title="Old", content="<p>Kept.</p><script>alert(1)</script>")]
    )
    migration = importlib.import_module("articles.migrations.0013_sanitize_static_pages")
    # All the function reads of its schema editor is the connection to write through.
    migration.sanitize_static_pages(None, SimpleNamespace(connection=connection))
    assert FlatPage.objects.get(url="/old/").content == "<p>Kept.</p>"


@pytest.mark.parametrize(
    "template_name",
    [
        "admin/login.html",
        "comments/email/receipt.txt",
        "robots.txt",
        "500.html",
        "flatpages/../admin/login.html",
        "flatpages/missing.html",
    ],
)
def test_an_editor_cannot_show_a_page_with_an_internal_template(
    editor_client, client, template_name
):
    response = editor_client.post(f"{PAGES}add/", page_form(template_name=template_name))
    assert response.status_code == 200
    assert "is not a static page template; choose one from the list." in response.content.decode()
    assert not FlatPage.objects.exists()
    assert client.get("/about/").status_code == 404


@pytest.mark.parametrize("template_name", ["", "flatpages/default.html"])
def test_an_editor_can_choose_a_page_template(editor_client, client, template_name):
    response = editor_client.post(f"{PAGES}add/", page_form(template_name=template_name))
    assert response.status_code == 302
    assert FlatPage.objects.get().template_name == template_name
    page = client.get("/about/").content.decode()
    assert '<article class="page">' in page and "Us" in parse(page)[1]


def test_the_template_choice_lists_the_page_templates(editor_client):
    page = editor_client.get(f"{PAGES}add/").content.decode()
    assert '<option value="flatpages/default.html">' in page
    assert "admin/login.html" not in page
