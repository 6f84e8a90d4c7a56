from django.conf import settings
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_GET


@require_GET
def robots_txt(request):
    return render(
        request,
        "robots.txt",
        {"admin_path": f"/{settings.ADMIN_URL}"},
        content_type="text/plain; charset=utf-8",
    )


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; send them to the real icon."""
    return redirect(static("newsroom/favicon.svg"), permanent=True)
