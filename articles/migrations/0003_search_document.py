"""
Full-text search on PostgreSQL: a stored, weighted document per article.

A trigger fills `search_document` from the title (weight A) and body (weight B)
on every insert and on every update of either, whoever writes them (admin,
importer, a queryset update), and a GIN index serves the match. Ranking reads
the stored document instead of parsing every body again. On other databases
the column stays empty and search uses a plain match.
"""

import django.contrib.postgres.search
from django.db import migrations

CREATE = """
CREATE FUNCTION articles_article_search_document() RETURNS trigger AS $$
BEGIN
    NEW.search_document :=
        setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(NEW.body, '')), 'B');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER article_search_document
    BEFORE INSERT OR UPDATE OF title, body ON articles_article
    FOR EACH ROW EXECUTE FUNCTION articles_article_search_document();

CREATE INDEX article_search ON articles_article USING gin (search_document);

UPDATE articles_article SET title = title;
"""

DROP = """
DROP INDEX IF EXISTS article_search;
DROP TRIGGER IF EXISTS article_search_document ON articles_article;
DROP FUNCTION IF EXISTS articles_article_search_document();
"""


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("articles", "0002_editors_group")]

    operations = [
        migrations.AddField(
            model_name="article",
            name="search_document",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP)),
    ]
