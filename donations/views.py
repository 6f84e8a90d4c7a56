from django.shortcuts import render

from donations.models import Appeal


def donate(request):
    return render(request, "donations/donate.html", {"appeal": Appeal.objects.current()})
