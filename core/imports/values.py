"""Reading numbers and dates as people write them, decided per column from every value.

A column of numbers is read with a decimal point (`1,234.56`) or a decimal comma
(`1.234,56`, `1 234,56`): one value that only one reading fits (`45,06`, `1,234.5`,
`0,5`) decides the column. A column of dates is ISO, day-first or month-first: one
day above 12 decides it. A column with no deciding value is *ambiguous*: it is read
one way, the preview says so and shows a value read both ways, and the user may
switch. A value that does not fit the column's reading is a row error naming the
value; no separator is ever stripped blindly.
"""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

POINT = "point"  # 1,234.56
COMMA = "comma"  # 1.234,56
NUMBER_STYLES = {POINT: "decimal point (1,234.56)", COMMA: "decimal comma (1.234,56)"}

# Currency signs and codes people leave in money columns, and the spaces used to group
# thousands (the space, the no-break space and the narrow no-break space).
CURRENCY = re.compile(
    r"^(?:[$£€¥]|USD|GBP|EUR|CHF|CAD|AUD)\s*|\s*(?:[$£€¥]|USD|GBP|EUR|CHF|CAD|AUD)$"
)
SPACES = "\u00a0\u202f "
GROUPED = {
    # decimal style -> patterns of a number with thousands grouped, and without
    POINT: (
        re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$"),
        re.compile(r"^\d{1,3}(?: \d{3})+(?:\.\d+)?$"),
        re.compile(r"^\d{1,3}(?:'\d{3})+(?:\.\d+)?$"),  # Swiss 1'234.50
        re.compile(r"^(?:\d+(?:\.\d*)?|\.\d+)$"),
    ),
    COMMA: (
        re.compile(r"^\d{1,3}(?:\.\d{3})+(?:,\d+)?$"),
        re.compile(r"^\d{1,3}(?: \d{3})+(?:,\d+)?$"),
        re.compile(r"^(?:\d+(?:,\d*)?|,\d+)$"),
    ),
}
SCIENTIFIC = re.compile(r"^\d+(?:\.\d+)?[eE][+-]?\d+$")


class ValueInvalid(ValueError):
    """A value that cannot be read; the message names it."""


def _number_body(text: str) -> tuple[bool, str]:
    """(negative, the digits and separators) of a number as written: signs in front or
    behind, accounting parentheses, a currency sign, grouping spaces."""
    body = text.strip()
    negative = False
    if body.startswith("(") and body.endswith(")"):
        negative, body = True, body[1:-1].strip()
    body = CURRENCY.sub("", body).strip()
    if body[:1] in "-+":
        negative, body = body[0] == "-", body[1:].strip()
    elif body[-1:] == "-":
        negative, body = True, body[:-1].strip()
    body = CURRENCY.sub("", body).strip()
    for space in SPACES:
        body = body.replace(space, " ")
    return negative, body


# The common shapes, checked before anything slower: a million-line file is mostly these.
PLAIN = {POINT: re.compile(r"-?\d+(?:\.\d+)?"), COMMA: re.compile(r"-?\d+(?:,\d+)?")}
# A value of digits, one separator and digits: which styles it fits, without a Decimal.
ONE_MARK = re.compile(r"(\d+)([.,])(\d+)")
CACHE_SIZE = 50_000
_cache: dict = {}


def read_number(text: str, style: str) -> Decimal | None:
    """The number `text` writes, read with `style`; None for an empty cell. Raises
    ValueInvalid when the value does not fit the style. Values repeat (quantities,
    prices), so readings are remembered, a bounded number of them."""
    return _remembered(_read_number, text, style)


def _remembered(reader, text, way):
    """reader(text, way), remembered: a million-line file repeats its quantities, prices
    and dates. Styles and date orders have distinct names, so one memory serves both."""
    found = _cache.get((text, way))
    if found is not None:
        return found
    value = reader(text, way)
    if value is not None:
        if len(_cache) >= CACHE_SIZE:
            _cache.clear()
        _cache[(text, way)] = value
    return value


def _read_number(text: str, style: str) -> Decimal | None:
    if PLAIN[style].fullmatch(text):
        return Decimal(text.replace(",", "."))  # 12 / 12.5 (point) / 12,5 (comma)
    if not text.strip():
        return None
    negative, body = _number_body(text)
    if SCIENTIFIC.match(body):
        number = Decimal(body)
    elif any(pattern.match(body) for pattern in GROUPED[style]):
        if style == POINT:
            plain = body.replace(",", "").replace(" ", "").replace("'", "")
        else:
            plain = body.replace(".", "").replace(" ", "").replace(",", ".")
        try:
            number = Decimal(plain)
        except InvalidOperation:
            raise ValueInvalid(f"{text.strip()!r} is not a number") from None
    else:
        other = COMMA if style == POINT else POINT
        if any(pattern.match(body) for pattern in GROUPED[other]):
            raise ValueInvalid(
                f"{text.strip()!r} is written with a {NUMBER_STYLES[other].split(' (')[0]}, "
                f"but this column uses a {NUMBER_STYLES[style].split(' (')[0]}"
            )
        raise ValueInvalid(f"{text.strip()!r} is not a number")
    return -number if negative else number


def styles_of(text: str) -> tuple[str, ...] | None:
    """The styles a plain value fits, quickly (None: not plain, ask number_readings):
    `12` either (the same number), `12.5` point only, `1.234` either (different numbers)."""
    bare = text.strip().lstrip("-")
    if bare.isdigit():
        return ()
    match = ONE_MARK.fullmatch(bare)
    if not match:
        return None
    if len(match[3]) == 3 and len(match[1]) <= 3:
        return (POINT, COMMA)
    return (POINT,) if match[2] == "." else (COMMA,)


def number_readings(text: str) -> dict[str, Decimal]:
    """style -> the number `text` writes in that style, for the styles it fits."""
    readings = {}
    for style in (POINT, COMMA):
        try:
            number = read_number(text, style)
        except ValueInvalid:
            continue
        if number is not None:
            readings[style] = number
    return readings


@dataclass
class ColumnReading:
    """How one column is read: the style or order chosen, whether the values decided it
    (else it is ambiguous), and an example value read each possible way."""

    kind: str  # "number" or "date"
    chosen: str
    decided: bool
    evidence: dict[str, int] = field(default_factory=dict)  # style/order -> deciding values
    example: str = ""
    example_readings: dict[str, str] = field(default_factory=dict)
    by_user: bool = False

    @property
    def ambiguous(self):
        return not self.decided and not self.by_user

    def as_dict(self):
        return {
            "kind": self.kind,
            "chosen": self.chosen,
            "decided": self.decided,
            "evidence": self.evidence,
            "example": self.example,
            "example_readings": self.example_readings,
            "by_user": self.by_user,
        }


class NumberEvidence:
    """Fed every value of a number column: values only one style fits are evidence; the
    style with the most evidence wins. With none, the column is ambiguous when some value
    reads differently in the two styles (`1,234`)."""

    def __init__(self, limit=None):
        self.votes = {POINT: 0, COMMA: 0}
        self.example = ""
        self.example_readings = {}
        self.limit = limit  # a reading beyond it (a latitude of 50847) is no reading

    def add(self, text: str, count: int = 1) -> None:
        """Take `text`, found `count` times in the column: each time is a vote."""
        quick = styles_of(text)
        if quick is not None:
            if len(quick) == 1:
                self.votes[quick[0]] += count
                return
            if not quick or (self.example and self.limit is None):
                return  # the same number either way, or an example is kept already
        readings = number_readings(text)
        if self.limit is not None:
            readings = {style: n for style, n in readings.items() if abs(n) <= self.limit}
        if len(readings) == 1:
            self.votes[next(iter(readings))] += count
        elif len(readings) == 2 and readings[POINT] != readings[COMMA] and not self.example:
            self.example = text.strip()
            self.example_readings = {style: str(n) for style, n in readings.items()}

    @property
    def decided_style(self) -> str | None:
        if not (self.votes[POINT] or self.votes[COMMA]):
            return None
        return POINT if self.votes[POINT] >= self.votes[COMMA] else COMMA

    def reading(self, fallback: str = POINT) -> ColumnReading:
        chosen = self.decided_style
        decided = chosen is not None or not self.example
        return ColumnReading(
            "number", chosen or fallback, decided, dict(self.votes), self.example,
            self.example_readings,
        )  # fmt: skip


# -- Dates ---------------------------------------------------------------------------

ISO = "iso"  # 2012-01-31
DMY = "dmy"  # 31/01/2012
MDY = "mdy"  # 01/31/2012
DATE_ORDERS = {
    ISO: "year first (2012-01-31)",
    DMY: "day first (31/01/2012)",
    MDY: "month first (01/31/2012)",
}
# Two-digit years: the century that puts the year at most 10 years ahead of today (in
# 2026: 00-36 are 2000-2036, 37-99 are 1937-1999), so store openings of '62 are 1962
# and sales of '11 are 2011.
FUTURE_YEARS = 10
# Excel stores dates as days since 1899-12-30; 20000-80000 is 1954-2119.
EXCEL_EPOCH = datetime.date(1899, 12, 30)
EXCEL_SERIAL = re.compile(r"^(\d{5})(?:\.\d+)?$")
MONTHS = {
    name: number
    for number, names in enumerate(
        [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
         ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
         ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")],
        start=1,
    )
    for name in names
}  # fmt: skip
TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp][Mm])?(?:Z|[+-]\d{2}:?\d{2})?)?"
ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + TIME + "$")
NUMERIC_DATE = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})\2(\d{2}|\d{4})" + TIME + "$")
COMPACT_ISO = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
NAMED_DMY = re.compile(r"^(\d{1,2})[- ]([A-Za-z]{3,9})\.?[- ,]+(\d{2}|\d{4})" + TIME + "$")
NAMED_MDY = re.compile(r"^([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{2}|\d{4})" + TIME + "$")


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        pivot = (datetime.date.today().year + FUTURE_YEARS) % 100
        year += 2000 if year <= pivot else 1900
    return year


def _make(year, month, day, text):
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueInvalid(f"{text!r} is not a real date") from None


def _unordered(text: str):
    """The date if `text` says it whatever the order (ISO, month names, Excel serials),
    else None; raises ValueInvalid for an impossible date."""
    if match := ISO_DATE.match(text):
        return _make(int(match[1]), int(match[2]), int(match[3]), text)
    if match := COMPACT_ISO.match(text):
        return _make(int(match[1]), int(match[2]), int(match[3]), text)
    if match := NAMED_DMY.match(text):
        month = MONTHS.get(match[2].lower())
        if month:
            return _make(_year(match[3]), month, int(match[1]), text)
    if match := NAMED_MDY.match(text):
        month = MONTHS.get(match[1].lower())
        if month:
            return _make(_year(match[3]), month, int(match[2]), text)
    if match := EXCEL_SERIAL.match(text):
        serial = int(match[1])
        if 20000 <= serial <= 80000:
            return EXCEL_EPOCH + datetime.timedelta(days=serial)
    return None


def date_readings(text: str) -> dict[str, datetime.date]:
    """order -> the date `text` writes in that order, for the orders it fits."""
    text = text.strip()
    try:
        fixed = _unordered(text)
    except ValueInvalid:
        return {}
    if fixed is not None:
        return {ISO: fixed}
    match = NUMERIC_DATE.match(text)
    if not match:
        return {}
    first, second, year = int(match[1]), int(match[3]), _year(match[4])
    readings = {}
    for order, (day, month) in ((DMY, (first, second)), (MDY, (second, first))):
        try:
            readings[order] = datetime.date(year, month, day)
        except ValueError:
            continue
    return readings


def read_date(text: str, order: str) -> datetime.date | None:
    """The date `text` writes, read in `order` (DMY or MDY) where the order matters; None
    for an empty cell. Raises ValueInvalid when it is not a date of that order. A sales
    file repeats its dates on thousands of lines: readings are remembered."""
    return _remembered(_read_date, text, order)


def _read_date(text: str, order: str) -> datetime.date | None:
    text = text.strip()
    if not text:
        return None
    fixed = _unordered(text)
    if fixed is not None:
        return fixed
    match = NUMERIC_DATE.match(text)
    if not match:
        raise ValueInvalid(f"{text!r} is not a date we can read (write it as YYYY-MM-DD)")
    readings = date_readings(text)
    if order in readings:
        return readings[order]
    if readings:
        other = next(iter(readings))
        raise ValueInvalid(
            f"{text!r} is only a date {DATE_ORDERS[other].split(' (')[0]}, "
            f"but this column is read {DATE_ORDERS[order].split(' (')[0]}"
        )
    raise ValueInvalid(f"{text!r} is not a real date")


class DateEvidence:
    """Fed every value of a date column: a first number above 12 proves day-first, a second
    above 12 month-first; the order with the most proof wins. Without proof, and with some
    value that reads as two different dates, the column is ambiguous."""

    def __init__(self):
        self.votes = {DMY: 0, MDY: 0}
        self.numeric = False
        self.example = ""
        self.example_readings = {}

    def add(self, text: str, count: int = 1) -> None:
        """Take `text`, found `count` times in the column: each time is a vote."""
        readings = date_readings(text)
        if not readings or ISO in readings:
            return
        self.numeric = True
        if len(readings) == 1:
            self.votes[next(iter(readings))] += count
        elif readings[DMY] != readings[MDY] and not self.example:
            self.example = text.strip()
            self.example_readings = {order: day.isoformat() for order, day in readings.items()}

    def reading(self, fallback: str = MDY) -> ColumnReading:
        votes = dict(self.votes)
        if votes[DMY] or votes[MDY]:
            chosen = DMY if votes[DMY] > votes[MDY] else MDY
            return ColumnReading("date", chosen, True, votes, self.example, self.example_readings)
        if not self.numeric:
            return ColumnReading("date", ISO, True, votes)
        return ColumnReading(
            "date", fallback, not self.example, votes, self.example, self.example_readings
        )
