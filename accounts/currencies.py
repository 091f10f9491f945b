"""The currencies an account may sell in: ISO 4217 codes of the common active currencies,
with their names, how an amount is written in each, and the model and form fields that
accept only these codes.

The list is kept in code, not fetched: a code missing here is added here (with its minor
units from ISO 4217), so nobody types "UKP" or "EURO" into an account's settings.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import models


@dataclass(frozen=True)
class Currency:
    code: str
    name: str
    symbol: str = ""  # written before the amount ("£1.00"); without one, the code after it
    decimals: int = 2  # ISO 4217 minor units


CURRENCIES = {
    c.code: c
    for c in [
        Currency("AED", "UAE dirham"),
        Currency("ARS", "Argentine peso"),
        Currency("AUD", "Australian dollar", "A$"),
        Currency("BDT", "Bangladeshi taka"),
        Currency("BHD", "Bahraini dinar", decimals=3),
        Currency("BRL", "Brazilian real", "R$"),
        Currency("CAD", "Canadian dollar", "CA$"),
        Currency("CHF", "Swiss franc"),
        Currency("CLP", "Chilean peso", decimals=0),
        Currency("CNY", "Chinese yuan", "CN¥"),
        Currency("COP", "Colombian peso"),
        Currency("CZK", "Czech koruna"),
        Currency("DKK", "Danish krone"),
        Currency("EGP", "Egyptian pound"),
        Currency("EUR", "Euro", "€"),
        Currency("GBP", "British pound", "£"),
        Currency("HKD", "Hong Kong dollar", "HK$"),
        Currency("HUF", "Hungarian forint"),
        Currency("IDR", "Indonesian rupiah"),
        Currency("ILS", "Israeli new shekel", "₪"),
        Currency("INR", "Indian rupee", "₹"),
        Currency("ISK", "Icelandic króna", decimals=0),
        Currency("JOD", "Jordanian dinar", decimals=3),
        Currency("JPY", "Japanese yen", "¥", decimals=0),
        Currency("KES", "Kenyan shilling"),
        Currency("KRW", "South Korean won", "₩", decimals=0),
        Currency("KWD", "Kuwaiti dinar", decimals=3),
        Currency("MAD", "Moroccan dirham"),
        Currency("MXN", "Mexican peso", "MX$"),
        Currency("MYR", "Malaysian ringgit"),
        Currency("NGN", "Nigerian naira"),
        Currency("NOK", "Norwegian krone"),
        Currency("NZD", "New Zealand dollar", "NZ$"),
        Currency("OMR", "Omani rial", decimals=3),
        Currency("PEN", "Peruvian sol"),
        Currency("PHP", "Philippine peso"),
        Currency("PKR", "Pakistani rupee"),
        Currency("PLN", "Polish złoty"),
        Currency("QAR", "Qatari riyal"),
        Currency("RON", "Romanian leu"),
        Currency("SAR", "Saudi riyal"),
        Currency("SEK", "Swedish krona"),
        Currency("SGD", "Singapore dollar"),
        Currency("THB", "Thai baht"),
        Currency("TRY", "Turkish lira"),
        Currency("TWD", "New Taiwan dollar"),
        Currency("UAH", "Ukrainian hryvnia"),
        Currency("USD", "US dollar", "$"),
        Currency("VND", "Vietnamese đồng", decimals=0),
        Currency("ZAR", "South African rand"),
    ]
}

DEFAULT_CURRENCY = "USD"
# The select lists: the currencies most accounts use first, then the rest by code.
COMMON = ["USD", "EUR", "GBP", "CAD", "AUD", "JPY", "CHF", "CNY", "MXN", "INR"]
CURRENCY_CHOICES = [(code, f"{code} · {CURRENCIES[code].name}") for code in COMMON] + [
    (code, f"{code} · {c.name}") for code, c in sorted(CURRENCIES.items()) if code not in COMMON
]


def currency_name(code: str) -> str:
    currency = CURRENCIES.get(code)
    return currency.name if currency else code


def validate_currency(code: str) -> None:
    if code not in CURRENCIES:
        raise ValidationError(
            "%(code)s is not a currency code we know: give an ISO 4217 code such as USD, "
            "EUR or GBP.",
            code="unknown_currency",
            params={"code": code},
        )


def format_money(amount, code: str) -> str:
    """An amount as people write it: "£1,234.56", "$1,234.56", "1,234.56 CHF", "¥1,235".
    The currency's own minor units; its symbol before the amount where it has an
    unambiguous one, else its code after. No amount (None, "") is an em dash."""
    if amount is None or amount == "":
        return "—"
    currency = CURRENCIES.get(code) or Currency(code, code)
    value = Decimal(amount).quantize(Decimal(1).scaleb(-currency.decimals), ROUND_HALF_UP)
    digits = f"{abs(value):,.{currency.decimals}f}"
    sign = "-" if value < 0 else ""
    if currency.symbol:
        return f"{sign}{currency.symbol}{digits}"
    return f"{sign}{digits} {code}"


class CurrencyFormField(forms.ChoiceField):
    default_error_messages = {
        "invalid_choice": "%(value)s is not a currency code we know: pick one from the list."
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("choices", CURRENCY_CHOICES)
        kwargs.setdefault("label", "Currency")
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(value).strip().upper()


class CurrencyField(models.CharField):
    """An ISO 4217 code from CURRENCIES: validated on full_clean, a select list in forms."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 3)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == 3:
            del kwargs["max_length"]
        return name, path, args, kwargs

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        if value:
            validate_currency(value)

    def formfield(self, **kwargs):
        defaults = {
            "required": not self.blank,
            "label": self.verbose_name[:1].upper() + self.verbose_name[1:],
            "help_text": self.help_text,
        }
        if self.has_default():
            defaults["initial"] = self.get_default()
        defaults.update(kwargs)
        # Admin asks every CharField for a text input; a code is picked from the list.
        widget = defaults.get("widget")
        if widget is not None and issubclass(
            widget if isinstance(widget, type) else type(widget), forms.TextInput
        ):
            del defaults["widget"]
        return CurrencyFormField(**defaults)
