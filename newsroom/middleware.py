from django.shortcuts import redirect

from newsroom.models import LegacyLink


class WordPressLinksMiddleware:
    """Answer WordPress's /?p=123 style addresses with a permanent redirect to the page now."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/" and request.GET:
            for kind in LegacyLink.Kind.values:
                wp_id = request.GET.get(kind, "")
                if wp_id.isdigit():
                    link = LegacyLink.objects.filter(kind=kind, wp_id=int(wp_id)).first()
                    if link is not None:
                        return redirect(link.path, permanent=True)
        return self.get_response(request)
