import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from articles.sanitize import sanitize_body

register = template.Library()

# The same escapes as Django's json_script: nothing in the data can close the element.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def json_ld(data):
    """Structured data for search engines: a data block, never executed, so CSP-safe."""
    payload = json.dumps(data, cls=DjangoJSONEncoder).translate(_JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))


@register.filter
def sanitized(html):
    """
    HTML through the article allowlist at display time, for content that may
    not have passed a form: static pages made by a fixture, a shell or an
    import are rendered no less safely than those saved in the admin.
    """
    return mark_safe(sanitize_body(str(html)))  # sanitize_body's output is safe HTML
