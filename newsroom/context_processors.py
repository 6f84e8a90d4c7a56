from django.conf import settings
from django.contrib.flatpages.models import FlatPage

from articles.models import Section


def site(request):
    """Name and navigation for the base layout; the querysets run only when a page renders them."""
    return {
        "site_name": settings.SITE_NAME,
        "site_tagline": settings.SITE_TAGLINE,
        "nav_sections": Section.objects.filter(parent=None).only("name", "path"),
        # Sign-in-only pages (held WordPress pages among them) are not advertised to readers.
        "footer_pages": FlatPage.objects.filter(
            sites=settings.SITE_ID, registration_required=False
        ).only("url", "title"),
    }
