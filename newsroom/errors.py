"""
The pages a reader gets when a request fails, and the log line an operator gets.

Django calls `server_error` (the root URLconf's handler500) for any exception that
a view or a middleware lets through while DEBUG is off: the session, sign-in and
django-axes middleware read the database before any view runs, so one handler
covers them all. A database that cannot be reached (stopped, restarting, its
connections cut) is an outage rather than a bug in a page: the reader is told
to come back shortly (503 with Retry-After) instead of "something went wrong".

Neither page may need the database it reports on. Both extend base.html but are
rendered from settings alone, without the request, so no context processor runs:
the sections and static pages that the navigation lists from the database are
left out, and the rest of the design is the site's own.
"""

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

# A PostgreSQL restart or failover takes seconds to a minute.
RETRY_AFTER_SECONDS = 30

# What Django raises (wrapping psycopg's or sqlite3's own) when it cannot connect, or
# loses the connection mid-request: refused, terminated by the server, closed under it.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def is_database_unavailable(exc):
    """Whether `exc`, or an exception it was raised from or while handling, is a lost database."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, DATABASE_UNAVAILABLE):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def server_error(request):
    """
    handler500: the 503 page for a database outage, the 500 page for anything else.

    Each failed request is logged here once, with its fields; the response is
    marked as logged so Django does not add its own line and traceback for it
    (during an outage that would be a traceback for every reader's request).
    """
    exc = sys.exception()
    fields = {"method": request.method, "path": request.path}
    if is_database_unavailable(exc):
        logger.warning(
            "Database unavailable: answered 503",
            extra={
                "event": "database.unavailable",
                **fields,
                "status": 503,
                "error": f"{type(exc).__name__}: {exc}".strip(),
            },
        )
        response = _page("503.html", status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    else:
        logger.error(
            "Server error", exc_info=exc, extra={"event": "server.error", **fields, "status": 500}
        )
        response = _page("500.html", status=500)
    response._has_been_logged = True
    return response


def _page(template_name, *, status):
    context = {"site_name": settings.SITE_NAME, "site_tagline": settings.SITE_TAGLINE}
    response = HttpResponse(loader.render_to_string(template_name, context), status=status)
    # A proxy or CDN must not go on serving the error once the site is back.
    add_never_cache_headers(response)
    return response
