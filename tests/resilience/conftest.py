"""
The site in production mode under gunicorn, for tests that break one of its parts.

On the PostgreSQL pass the served site uses the test database itself (through
the TCP proxy when a test wants to cut it), so what a test writes with the ORM
the site reads and the other way round. On the SQLite pass the site gets a
migrated SQLite file of its own.
"""

import shutil
import subprocess
import sys

import pytest
from django.db import connection

from tests.faults import ROOT, SiteServer, TcpProxy, collected_static, production_environment


@pytest.fixture(scope="session")
def static_root(tmp_path_factory):
    return collected_static(tmp_path_factory.mktemp("static"))


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory, static_root):
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    environment = production_environment(
        database_url=f"sqlite:///{path}", cache_url="locmemcache://migrate", static_root=static_root
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=environment, check=True
    )
    return path


def postgresql_url(port=None):
    """The test database, directly or through a proxy listening on `port`."""
    settings = connection.settings_dict
    host, port = settings["HOST"] or "127.0.0.1", port or settings["PORT"] or 5432
    return f"postgres://{settings['USER']}@{host}:{port}/{settings['NAME']}"


@pytest.fixture
def database_url(transactional_db, tmp_path, _migrated_sqlite):
    """The served site's database: the test database on PostgreSQL, a fresh file on SQLite."""
    if connection.vendor == "postgresql":
        return postgresql_url()
    path = tmp_path / "site.sqlite3"
    shutil.copy(_migrated_sqlite, path)
    return f"sqlite:///{path}"


@pytest.fixture
def postgresql_proxy(transactional_db):
    """A cuttable connection to the test database (PostgreSQL pass only)."""
    settings = connection.settings_dict
    host, port = settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432)
    with TcpProxy(port, target_host=host) as proxy:
        yield proxy


@pytest.fixture
def serve(static_root):
    """Start the site with production settings and the given parts; stopped after the test."""
    servers = []

    def start(*, database_url, cache_url="locmemcache://site", **settings):
        environment = production_environment(
            database_url=database_url, cache_url=cache_url, static_root=static_root, **settings
        )
        server = SiteServer(environment).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
