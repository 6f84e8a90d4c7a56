"""
The admin's personal data page: a reader's data exported or erased by email.

Open to superusers, and to staff who may change both comments and donors: the
people an erasure changes. Every step is a POST, so an address never sits in a
URL, a browser history or an access log.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from newsroom import privacy

PERMISSIONS = ("comments.change_comment", "donations.change_donor")


class PersonalDataForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Email address"),
        help_text=gettext_lazy(
            "Matched whatever its case, otherwise exactly: a Gmail address with dots or a "
            "+tag is another address. Ask the reader which addresses they used."
        ),
    )


def may_handle_personal_data(user):
    return user.is_active and user.is_staff and (user.is_superuser or user.has_perms(PERMISSIONS))


@require_http_methods(["GET", "POST"])
def personal_data(request):
    if not may_handle_personal_data(request.user):
        raise PermissionDenied
    form = PersonalDataForm(request.POST or None)
    context = {**admin.site.each_context(request), "title": _("Personal data"), "form": form}
    if not form.is_valid():
        return render(request, "newsroom/privacy/personal_data.html", context)
    email = form.cleaned_data["email"]
    action = request.POST.get("action")
    if action == "export":
        return _download(privacy.personal_data_export(email=email, by=request.user))
    if action == "review":
        context["found"] = privacy.personal_data_summary(email=email)
        return render(request, "newsroom/privacy/personal_data_confirm.html", context)
    if action == "erase":
        erasure = privacy.personal_data_erase(email=email, by=request.user)
        if erasure:
            messages.success(
                request,
                _(
                    "Erased: %(comments)d comments anonymized, %(donors)d donor record "
                    "anonymized, %(donations)d gifts kept without the donor's name, "
                    "%(emails)d emails deleted."
                )
                % {
                    "comments": erasure.comments,
                    "donors": erasure.donor_records,
                    "donations": erasure.donations,
                    "emails": erasure.emails,
                },
            )
        else:
            messages.info(request, _("Nothing is held under this address: nothing changed."))
        return redirect("personal_data")
    return HttpResponseBadRequest(_("This button is not recognised."))


def _download(data):
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    filename = f"personal-data-{timezone.now():%Y%m%d-%H%M%S}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
