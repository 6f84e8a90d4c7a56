"""
Benchmark for `import_wordpress`: a synthetic export of POSTS posts and
COMMENTS threaded comments, imported into a fresh database; prints wall time
and the importer's peak memory (max RSS) for README.

    .venv/bin/python bench/import_wordpress.py [--posts 10000] [--comments 200000] [--postgres]
"""

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

from support import fresh_postgres_database

ROOT = Path(__file__).resolve().parent.parent

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Bench</title><wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>https://bench.example.org</wp:base_site_url>
<wp:author><wp:author_login>editor</wp:author_login>
<wp:author_display_name>The Editor</wp:author_display_name></wp:author>
<wp:category><wp:term_id>1</wp:term_id><wp:category_nicename>news</wp:category_nicename>
<wp:category_parent></wp:category_parent><wp:cat_name>News</wp:cat_name></wp:category>
"""

BODY = escape(
    "A paragraph of reporting, long enough to look like one.\n\n"
    * 8
    + '[caption id="1"]<img src="https://bench.example.org/wp-content/uploads/a.jpg"> '
    "A caption[/caption]\n\n<!--more-->\nThe rest of the story."
)


def write_export(path, posts, comments):
    rng = random.Random(7)
    per_post = comments // posts
    comment_id = 0
    with open(path, "w") as out:
        out.write(HEAD)
        for number in range(1, posts + 1):
            out.write(
                f"<item><title>Story {number} &amp; more</title><dc:creator>editor</dc:creator>"
                f'<category domain="category" nicename="news">News</category>'
                f"<content:encoded>{BODY}</content:encoded><excerpt:encoded></excerpt:encoded>"
                f"<wp:post_id>{number}</wp:post_id>"
                f"<wp:post_date_gmt>2015-01-01 10:{number % 60:02d}:00</wp:post_date_gmt>"
                f"<wp:post_name>story-{number}</wp:post_name><wp:status>publish</wp:status>"
                f"<wp:post_type>post</wp:post_type><wp:comment_status>open</wp:comment_status>\n"
            )
            first = comment_id + 1
            for _ in range(per_post):
                comment_id += 1
                parent = (
                    rng.randrange(first, comment_id)
                    if comment_id > first and rng.random() < 0.4
                    else 0
                )
                out.write(
                    f"<wp:comment><wp:comment_id>{comment_id}</wp:comment_id>"
                    f"<wp:comment_author>Reader {comment_id % 997}</wp:comment_author>"
                    f"<wp:comment_author_email>r{comment_id % 997}@example.org"
                    "</wp:comment_author_email>"
                    f"<wp:comment_author_IP>192.0.2.{comment_id % 250}</wp:comment_author_IP>"
                    f"<wp:comment_date_gmt>2015-01-02 10:00:00</wp:comment_date_gmt>"
                    f"<wp:comment_content>A reader's comment, number {comment_id}."
                    "</wp:comment_content>"
                    f"<wp:comment_approved>1</wp:comment_approved><wp:comment_type>comment</wp:comment_type>"
                    f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>\n"
                )
            out.write("</item>\n")
        out.write("</channel></rss>\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=200_000)
    parser.add_argument("--postgres", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        export = Path(scratch) / "export.xml"
        write_export(export, options.posts, options.comments)
        env = {
            **os.environ,
            "DEBUG": "on",
            "DATABASE_URL": fresh_postgres_database("newsroom_import_bench")
            if options.postgres
            else f"sqlite:///{scratch}/b.db",
            "MEDIA_ROOT": f"{scratch}/media",
            "LOG_LEVEL": "WARNING",
        }
        manage = [sys.executable, "manage.py"]
        subprocess.run(manage + ["migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                       capture_output=True)  # fmt: skip
        started = time.perf_counter()
        subprocess.run(manage + ["import_wordpress", str(export)], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        elapsed = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        size_mb = export.stat().st_size / 1024 / 1024
        database = "PostgreSQL" if options.postgres else "SQLite"
        print(
            f"| {database} | {options.posts:,} posts, {options.comments:,} comments "
            f"({size_mb:.0f} MB) | {elapsed:.0f} s | {peak_mb:.0f} MB |"
        )


if __name__ == "__main__":
    main()
