from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
def robots_txt(request):
    return render(
        request,
        "robots.txt",
        {"admin_path": f"/{settings.ADMIN_URL}"},
        content_type="text/plain; charset=utf-8",
    )
