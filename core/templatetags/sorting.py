from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def sort_header(sorting, key, label, css_class=""):
    """A column header of a list sorted on the server (core/sorting.py)."""
    header = sorting.header(key)
    attributes = format_html(' class="{}"', css_class) if css_class else ""
    if header is None:
        return format_html('<th scope="col"{}>{}</th>', attributes, label)
    url, aria = header
    if aria:
        return format_html(
            '<th scope="col"{} aria-sort="{}"><a href="{}" class="sort">{}</a></th>',
            attributes, aria, url, label,
        )  # fmt: skip
    return format_html(
        '<th scope="col"{}><a href="{}" class="sort">{}</a></th>', attributes, url, label
    )
