"""
ops/backup and ops/restore as an operator runs them after losing a server: a
scratch PostgreSQL database and media folder with articles, comments, gifts and
an uploaded image are backed up, destroyed, restored, and read back.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings

pytestmark = pytest.mark.postgresql

ROOT = Path(__file__).resolve().parents[2]
COMMENT_BODY = "¡Qué cobertura! Ñandú, São Paulo, 東京 — “quoted” 🗳️"
AMOUNTS = [123_456, 2_500, 99]

FILL = f"""
import json
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
from tests.factories import (
    ArticleFactory, CampaignFactory, CommentFactory, DonationFactory, ImageFactory,
)
image = ImageFactory()
campaign = CampaignFactory()
first = ArticleFactory(featured_image=image)
ArticleFactory.create_batch(2)
comment = CommentFactory(article=first, body={COMMENT_BODY!r})
CommentFactory(article=first, parent=comment)
CommentFactory.create_batch(3, article=first)
for amount in {AMOUNTS!r}:
    DonationFactory(amount=amount, campaign=campaign)
print(json.dumps({{"comment": comment.pk, "image": image.file.name}}))
"""

COUNT_COMMENTS = "SELECT count(*) FROM comments_comment"


def server():
    """The PostgreSQL server the suite runs on, as libpq keywords."""
    database = settings.DATABASES["default"]
    return {
        "host": database["HOST"] or None,
        "port": database["PORT"] or None,
        "user": database["USER"] or None,
        "password": database["PASSWORD"] or None,
    }


def maintenance(statement):
    with psycopg.connect(dbname="postgres", autocommit=True, **server()) as connection:
        connection.execute(statement)


@pytest.fixture
def site(tmp_path):
    """Environment for a site on its own scratch database and media folder; dropped after."""
    name = f"test_backup_{uuid.uuid4().hex[:12]}"
    params = server()
    credentials = quote(params["user"] or "", safe="")
    if params["password"]:
        credentials += ":" + quote(params["password"], safe="")
    host = f"{params['host'] or 'localhost'}:{params['port'] or 5432}"
    # A scratch database need not wait for the disk at each commit (migrate commits ~100 times).
    fast = "?options=-c%20synchronous_commit%3Doff"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{credentials}@{host}/{name}{fast}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "CACHE_URL": "locmemcache://backup-test",
        "SECRET_KEY": "backup-restore-test",
        "PYTHON": sys.executable,
    }
    maintenance(f'CREATE DATABASE "{name}"')
    try:
        yield {"name": name, "env": env, "media": tmp_path / "media", "backups": tmp_path / "bk"}
    finally:
        maintenance(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(site, *command, check=True):
    result = subprocess.run(
        command, cwd=ROOT, env=site["env"], capture_output=True, text=True, timeout=120
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def query(site, statement):
    """The rows a statement returns from the site's database, read as the server holds them."""
    with psycopg.connect(dbname=site["name"], **server()) as connection:
        return connection.execute(statement).fetchall()


def media_files(folder):
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in folder.rglob("*")
        if path.is_file()
    }


def test_a_backup_restored_into_an_empty_server_holds_every_row_and_file(site):
    filled = run(site, sys.executable, "manage.py", "shell", "--no-imports", "-c", FILL).stdout
    filled = json.loads(filled.strip().splitlines()[-1])
    files = media_files(site["media"])
    assert filled["image"] in files  # and its renditions

    backup = run(site, "ops/backup", str(site["backups"])).stdout.strip().splitlines()[-1]
    assert Path(backup).parent == site["backups"]
    assert {p.name for p in Path(backup).iterdir()} == {
        "database.dump", "media.tar.gz", "counts.tsv", "SHA256SUMS",
    }  # fmt: skip

    # The server is lost: the database and the uploaded files with it.
    maintenance(f'DROP DATABASE "{site["name"]}" WITH (FORCE)')
    maintenance(f'CREATE DATABASE "{site["name"]}"')
    shutil.rmtree(site["media"])

    restored = run(site, "ops/restore", backup).stdout
    assert "articles_article                      3" in restored
    assert "donations_donation                    3" in restored
    assert "tables hold exactly the rows counted when the backup was made" in restored
    assert media_files(site["media"]) == files
    assert query(site, "SELECT count(*) FROM articles_article") == [(3,)]
    assert query(site, COUNT_COMMENTS) == [(5,)]
    assert query(site, "SELECT amount FROM donations_donation ORDER BY id") == [
        (amount,) for amount in AMOUNTS
    ]
    assert query(site, f"SELECT body FROM comments_comment WHERE id = {filled['comment']}") == [
        (COMMENT_BODY,)
    ]
    assert query(
        site,
        "SELECT i.file FROM articles_article a JOIN articles_image i ON i.id = a.featured_image_id",
    ) == [(filled["image"],)]
    # The next row gets a fresh id: the sequences came back with the rows.
    assert query(
        site,
        "SELECT nextval(pg_get_serial_sequence('comments_comment', 'id')) > max(id) "
        "FROM comments_comment",
    ) == [(True,)]

    # Now the database has tables, and a tag the backup lacks. Without --yes, or from a
    # damaged copy, nothing changes.
    query(site, "INSERT INTO articles_tag (name, slug) VALUES ('Later', 'later') RETURNING id")
    refused = run(site, "ops/restore", backup, check=False)
    assert refused.returncode == 1
    assert "run again with --yes" in refused.stderr
    damaged = site["backups"] / "damaged"
    shutil.copytree(backup, damaged)
    with (damaged / "database.dump").open("r+b") as dump:
        dump.truncate(1000)
    refused = run(site, "ops/restore", "--yes", str(damaged), check=False)
    assert refused.returncode == 1
    assert "is damaged or incomplete" in refused.stderr
    assert query(site, "SELECT slug FROM articles_tag WHERE slug = 'later'") == [("later",)]

    replaced = run(site, "ops/restore", "--yes", backup).stdout
    assert "tables hold exactly the rows counted when the backup was made" in replaced
    assert query(site, "SELECT slug FROM articles_tag WHERE slug = 'later'") == []
    assert query(site, COUNT_COMMENTS) == [(5,)]


def test_sqlite_is_refused_with_how_to_back_it_up(tmp_path):
    sqlite_site = {"env": {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}}

    result = run(sqlite_site, "ops/backup", str(tmp_path / "backups"), check=False)

    assert result.returncode == 2
    assert "backup is a copy of its file" in result.stderr
    assert not (tmp_path / "backups").exists()
