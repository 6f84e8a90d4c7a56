from django import template

from donations.models import Appeal

register = template.Library()


@register.inclusion_tag("donations/includes/_donation_box.html")
def donation_box():
    return {"appeal": Appeal.objects.current()}
