from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def sort_header(sorting, key, label):
    """A column header of a list sorted on the server (core/sorting.py)."""
    header = sorting.header(key)
    if header is None:
        return format_html('<th scope="col">{}</th>', label)
    url, aria = header
    if aria:
        return format_html(
            '<th scope="col" aria-sort="{}"><a href="{}" class="sort">{}</a></th>', aria, url, label
        )
    return format_html('<th scope="col"><a href="{}" class="sort">{}</a></th>', url, label)
