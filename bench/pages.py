"""
Load benchmark for the reader pages: a real gunicorn server, real HTTP requests.

Builds a throw-away SQLite database with the demo content plus 500 articles
and 200 threaded comments on the seed article, serves it with gunicorn on
127.0.0.1, then requests each page from several client threads for a fixed
number of requests and prints a Markdown table (requests per second, median
and 95th-percentile latency) for README.

    make bench            # or: .venv/bin/python bench/pages.py --postgres
"""

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from support import fresh_postgres_database

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765
PAGES = [
    ("home", "/"),
    ("article", "/2016/11/08/why-the-regional-consensus-is-shifting/"),
    ("article, 200 comments", "/2016/10/28/peru-takes-the-lead/"),
    ("section", "/category/politics/"),
    ("tag", "/tag/elections/"),
    ("author", "/author/ana-rivas/"),
    ("month archive", "/2016/10/"),
    ("search", "/search/?q=oil"),
    ("feed", "/feed/"),
    ("sitemap", "/sitemap.xml"),
]

EXTRA_ARTICLES = """
from datetime import timedelta
from django.utils import timezone
from articles.models import Article, Author, Byline, Section, Tag
section = Section.objects.get(slug="politics")
author = Author.objects.get(slug="ana-rivas")
tag = Tag.objects.get(slug="elections")
start = timezone.now() - timedelta(days=400)
for number in range(500):
    article = Article.objects.create(
        title=f"Bench story {number} about oil and elections",
        slug=f"bench-story-{number}",
        body="<p>" + "Reported text for the benchmark. " * 80 + "</p>",
        section=section, status="published", publish_at=start + timedelta(hours=number),
    )
    Byline.objects.create(article=article, author=author)
    article.tags.add(tag)

from comments.models import Comment
from comments.services import comment_recount
seed = Article.objects.get(slug="peru-takes-the-lead")
parent = None
for number in range(200):
    comment = Comment(
        article=seed, author_name=f"Reader {number}", author_email=f"r{number}@example.org",
        body="A reader's considered view of the story, in a few sentences. " * 3,
        status="approved",
    )
    comment.place_under(parent if number % 4 else None)
    comment.save()
    comment.set_path()
    comment.save(update_fields=["path"])
    parent = comment
comment_recount(article_ids=[seed.pk])
"""


def request_once(path):
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    started = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{path} answered {response.status}")
    return time.perf_counter() - started


def measure(path, requests, concurrency):
    with ThreadPoolExecutor(concurrency) as pool:
        request_once(path)
        started = time.perf_counter()
        latencies = list(pool.map(lambda _: request_once(path), range(requests)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return (
        requests / elapsed,
        statistics.median(latencies) * 1000,
        latencies[int(len(latencies) * 0.95) - 1] * 1000,
    )


def wait_for_server(deadline=30):
    until = time.monotonic() + deadline
    while time.monotonic() < until:
        try:
            request_once("/robots.txt")
            return
        except (OSError, RuntimeError):
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--requests", type=int, default=300, help="requests per page")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--postgres", action="store_true", help="use PostgreSQL on 127.0.0.1")
    options = parser.parse_args()

    python = sys.executable
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            **os.environ,
            "DEBUG": "off",
            "SECRET_KEY": "bench-only-secret-key-" + "x" * 30,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "off",
            "DATABASE_URL": (
                fresh_postgres_database("newsroom_bench")
                if options.postgres
                else f"sqlite:///{scratch}/bench.sqlite3"
            ),
            "MEDIA_ROOT": f"{scratch}/media",
            "STATIC_ROOT": f"{scratch}/static",
            "LOG_LEVEL": "WARNING",
        }
        manage = [python, "manage.py"]
        for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"], ["load_demo"]):
            subprocess.run(manage + command, cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run(manage + ["shell", "-c", EXTRA_ARTICLES], cwd=ROOT, env=env, check=True)
        server = subprocess.Popen(
            [python, "-m", "gunicorn", "newsroom.wsgi", "--bind", f"127.0.0.1:{PORT}",
             "--workers", str(options.workers), "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        try:
            wait_for_server()
            print(
                f"{options.requests} requests per page, {options.concurrency} clients, "
                f"gunicorn with {options.workers} workers, "
                f"{'PostgreSQL' if options.postgres else 'SQLite'}\n"
            )
            print("| page | requests/s | median ms | p95 ms |")
            print("|---|---:|---:|---:|")
            for name, path in PAGES:
                rate, median, p95 = measure(path, options.requests, options.concurrency)
                print(f"| {name} | {rate:.0f} | {median:.1f} | {p95:.1f} |")
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
