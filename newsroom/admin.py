from django.contrib import admin
from django.contrib.flatpages.admin import FlatPageAdmin
from django.contrib.flatpages.forms import FlatpageForm
from django.contrib.flatpages.models import FlatPage

from articles.sanitize import sanitize_body


class SanitizedFlatpageForm(FlatpageForm):
    """Static pages are rendered as HTML, so they pass the same allowlist as article bodies."""

    def clean_content(self):
        return sanitize_body(self.cleaned_data["content"])


class NewsroomFlatPageAdmin(FlatPageAdmin):
    form = SanitizedFlatpageForm


admin.site.unregister(FlatPage)
admin.site.register(FlatPage, NewsroomFlatPageAdmin)
