import pytest
from django.conf import settings as django_settings
from django.contrib.sites.models import Site
from django.core.cache import cache
from django.test import Client


def pytest_collection_modifyitems(config, items):
    """
    Every test that commits for real starts from the migrated database: the
    flush after such a test empties every table, and data migrations (the
    staff groups) do not run again, so the next one would find no groups.

    Tests marked `postgresql` prove what only PostgreSQL can (row locks, many
    connections at once); the SQLite pass leaves them to CI's PostgreSQL pass.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        marked = marker is not None and marker.kwargs.get("transaction")
        if not marked and not {"transactional_db", "live_server"} & set(item.fixturenames):
            continue
        if marked:
            restored = pytest.mark.django_db(**{**marker.kwargs, "serialized_rollback": True})
            item.add_marker(restored, append=False)
        item.fixturenames.insert(0, "django_db_serialized_rollback")
    if django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    kept = [item for item in items if item.get_closest_marker("postgresql") is None]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """
    Django keeps the migrated data it saved for serialized rollback on the
    connection object; once Playwright's event loop runs, the test's thread
    gets other connection objects, without it. Kept on their class, every
    connection has it: each transactional test restores it, none recreates
    content types over it.
    """
    from django.db import connections

    for connection in connections.all():
        if hasattr(connection, "_test_serialized_contents"):
            type(connection)._test_serialized_contents = connection._test_serialized_contents


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Each test starts cold, so query counts do not depend on which test ran before."""
    cache.clear()
    Site.objects.clear_cache()
    yield
    cache.clear()


@pytest.fixture
def staff_member(db, django_user_model):
    """Make a staff account holding only the named group's permissions."""

    def make(username, group):
        from django.contrib.auth.models import Group

        user = django_user_model.objects.create_user(
            username, f"{username}@example.org", "correct horse battery", is_staff=True
        )
        user.groups.add(Group.objects.get(name=group))
        return user

    return make


def signed_in(user):
    """A second browser, signed in; `client` stays anonymous beside it."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def editor(staff_member):
    return staff_member("editor", "Editors")


@pytest.fixture
def editor_client(editor):
    return signed_in(editor)


@pytest.fixture
def moderator(staff_member):
    return staff_member("desk", "Moderators")


@pytest.fixture
def moderator_client(moderator):
    return signed_in(moderator)


@pytest.fixture
def revenue_client(staff_member):
    return signed_in(staff_member("till", "Revenue"))
