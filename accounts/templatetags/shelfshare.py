from django import template

from accounts.currencies import currency_name as _currency_name
from accounts.currencies import format_money

register = template.Library()


@register.filter
def timeuntil_minutes(delta):
    """A timedelta as "15 minutes" / "1 hour"."""
    if not delta:
        return "a while"
    minutes = max(1, round(delta.total_seconds() / 60))
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@register.filter
def money(amount, currency):
    """{{ amount|money:"GBP" }} -> "£1,234.56"; see accounts/currencies.py."""
    return format_money(amount, currency)


@register.filter
def currency_name(code):
    return _currency_name(code)


@register.filter
def percent(value):
    """0.234 -> "23%"; empty for None."""
    return "" if value is None else f"{value * 100:.0f}%"


@register.filter
def signed_percent(value):
    """-0.04 -> "-4%" with a true minus sign, 0.02 -> "+2%"."""
    if value is None:
        return ""
    return f"{value * 100:+.0f}%".replace("-", "\u2212")
