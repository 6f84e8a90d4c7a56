import logging

from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme

from articles.models import Article
from newsroom.models import LegacyLink
from newsroom.wordpress.fields import is_local_path, wp_number

logger = logging.getLogger(__name__)


class WordPressLinksMiddleware:
    """Answer WordPress's /?p=123 style addresses with a permanent redirect to the page now."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/" and request.GET:
            for kind in LegacyLink.Kind.values:
                # Only ASCII digits within the column: "²", "٣", "-1" or a 30-digit
                # number fall through to the home page instead of a lookup.
                wp_id = wp_number(request.GET.get(kind))
                if wp_id is None:
                    continue
                link = LegacyLink.objects.filter(kind=kind, wp_id=wp_id).first()
                if link is not None and self.is_safe(link.path) and self.is_live(link.path):
                    return redirect(link.path, permanent=True)
        return self.get_response(request)

    @staticmethod
    def is_safe(path):
        """
        Checked again at redirect time, whatever wrote the row: a stored "//evil.example"
        would send readers to another host, so only a path on this site is followed.
        """
        if is_local_path(path) and url_has_allowed_host_and_scheme(path, allowed_hosts=None):
            return True
        logger.warning("Old WordPress link to %r not followed: not a local path", path)
        return False

    @staticmethod
    def is_live(path):
        """
        A redirect names its target, and a story's address carries its headline:
        an old link to a draft, a private or an embargoed story says nothing until
        the story is published, exactly as an id that never existed.
        """
        try:
            match = resolve(path)
        except Resolver404:
            return True
        if match.view_name != "articles:article":
            return True
        return Article.objects.published().filter(slug=match.kwargs["slug"]).exists()
