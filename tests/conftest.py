import pytest
from django.contrib.sites.models import Site
from django.core.cache import cache
from django.test import Client


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
def editor(db, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(
        "editor", "editor@example.org", "correct horse battery", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def editor_client(editor):
    """A second browser, signed in as an editor; `client` stays anonymous beside it."""
    client = Client()
    client.force_login(editor)
    return client
