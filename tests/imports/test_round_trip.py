"""Random stores, products and sales, written as CSV the ways people's programs write it,
imported, and read back equal to what was written.

Each example picks a dialect: the delimiter, a decimal point or comma with or without
thousands grouped (by commas, points, spaces, no-break spaces or apostrophes), dates
year-, day- or month-first, the encoding (UTF-8 with or without BOM, UTF-16 either way
round, Windows-1252 when the text fits it), minimal or full quoting, the line ending and
the order of the columns. The file goes through the import service as an upload does;
where the file cannot say how its dates (or, with no deciding value at all, its numbers)
are written, the reading is chosen as a user would on the preview page.

The stored rows must equal the generated ones, value for value. Each example runs in a
transaction of its own that is rolled back, so examples never see each other's rows.
"""

import codecs
import csv
import datetime
import io
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from accounts.countries import COUNTRY_NAMES
from accounts.models import Membership, Store
from core.imports import service
from core.imports.registry import importer_for
from inventory.models import Product, SalesLine
from tests.factories import MembershipFactory, ProductFactory, StoreFactory

pytestmark = pytest.mark.django_db

EXAMPLES = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- Text ------------------------------------------------------------------------------

LETTERS = "abcdefghijklmnopqrstuvwxyz"
# Accented letters Windows-1252 has, including ones Latin-1 does not (œ š ž ÿ).
ACCENTED = "éèêëàâäãçñöõüßøåæíóúáôûîïìòœšžÿ"
# Words with symbols, quotes and the delimiters inside, which the CSV quoting must carry.
SYMBOLS = ["&", "€", "12 €", "\u2013", "\u2014", "…", "O'Brien", '"Le Marais"',
           "A;B", "x|y", "a,b", "#12", "(Nord)", "500 g", "50%"]  # fmt: skip
# Chinese, Japanese, Korean, Arabic, Cyrillic, Greek, Hebrew, Thai, Hindi.
SCRIPTS = "北京王府井店東京銀座ショップ서울강남점متجردبيمولМоскваЦентрΑθήναשלוםสวัสดีदिल्ली"
STARTS = set("=@+-'")  # a leading one means a formula (refused) or our export's escape


@st.composite
def western_words(draw):
    """A word as Western shops write it, in letters Windows-1252 has (Zürich, AÇÃO, été):
    lower case, capitalized or in capitals, never mixed (a file of one "éAAA" is too little
    for any encoding detector to tell Windows-1252 from the DOS code page)."""
    letters = list(draw(st.text(LETTERS, min_size=2, max_size=9)))
    for _ in range(draw(st.integers(0, 2))):
        letters[draw(st.integers(0, len(letters) - 1))] = draw(st.sampled_from(ACCENTED))
    case = draw(st.sampled_from([str.lower, str.capitalize, str.upper]))
    return case("".join(letters))


WESTERN = western_words() | st.sampled_from(SYMBOLS)
WORLD = WESTERN | st.text(SCRIPTS + LETTERS + LETTERS.upper() + ACCENTED, min_size=1, max_size=8)


def words(word, *, min_size=1, max_size=3):
    """Text as a person writes it: words split by single spaces, which the importer keeps."""
    return (
        st.lists(word, min_size=min_size, max_size=max_size)
        .map(" ".join)
        .filter(lambda text: not text or text[0] not in STARTS)
    )


def short_states(word):
    # A state of three characters or fewer is stored in capitals (files write "ar" for AR).
    return words(word, max_size=2).filter(lambda s: len(s) > 3 or s == s.upper())


# -- Stores ----------------------------------------------------------------------------

POSTAL_CODES = {
    "US": r"[0-9]{5}(-[0-9]{4})?",
    "CH": r"[1-9][0-9]{3}",
    "BE": r"[1-9][0-9]{3}",
    "AU": r"[0-9]{4}",
    "DE": r"[0-9]{5}",
    "FR": r"[0-9]{5}",
    "GB": r"[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}",
    "CA": r"[A-Z][0-9][A-Z] [0-9][A-Z][0-9]",
    "JP": r"[0-9]{3}-[0-9]{4}",
    "BR": r"[0-9]{5}-[0-9]{3}",
    "CN": r"[0-9]{6}",
    "NL": r"[1-9][0-9]{3} [A-Z]{2}",
    "IE": r"[A-Z][0-9]{2} [A-Z0-9]{4}",
    "KR": r"[0-9]{5}",
    "IN": r"[1-9][0-9]{5}",
}
PHONES = st.one_of(
    st.just(""),
    st.from_regex(r"\+[1-9][0-9]{0,2}( [0-9]{1,4}){2,4}", fullmatch=True),  # +32 2 555 12 12
    st.from_regex(r"\([0-9]{3}\) [0-9]{3}-[0-9]{4}", fullmatch=True),
)
LATITUDES = st.decimals(Decimal("-90"), Decimal("90"), places=6)
LONGITUDES = st.decimals(Decimal("-180"), Decimal("180"), places=6)
STORE_NUMBERS = st.from_regex(r"[A-Za-z0-9]{1,6}(-[A-Za-z0-9]{1,3})?", fullmatch=True)


@st.composite
def stores(draw, word):
    country = draw(st.sampled_from(sorted(POSTAL_CODES)))
    located = draw(st.booleans())
    return {
        "name": draw(words(word)),
        "city": draw(words(word, min_size=0)),
        "state": draw(short_states(word)),
        "postal_code": draw(st.just("") | st.from_regex(POSTAL_CODES[country], fullmatch=True)),
        "country": country,
        "latitude": draw(LATITUDES) if located else None,
        "longitude": draw(LONGITUDES) if located else None,
        "phone": draw(PHONES),
    }


# -- Products and sales ----------------------------------------------------------------

SKUS = st.from_regex(r"[A-Z]{2,4}-?[0-9]{1,6}", fullmatch=True)  # never POST, M, D...
MONEY = st.decimals(Decimal("0"), Decimal("9999999.99"), places=2)


@st.composite
def products(draw, word):
    return {
        "name": draw(words(word)),
        "vendor_name": draw(words(word, min_size=0)),
        "category": draw(words(word, min_size=0)),
        "unit_cost": draw(st.none() | MONEY),
        "retail_price": draw(st.none() | MONEY),
    }


# Two-digit years are read as at most 10 years ahead of today: '35 is 2035 until 2090.
DAYS = st.dates(datetime.date(2000, 1, 1), datetime.date(2035, 12, 31))


@st.composite
def sales_lines(draw, stores, skus):
    return {
        "date": draw(DAYS),
        "store": draw(st.sampled_from(stores)),
        "sku": draw(st.sampled_from(skus)),
        "quantity": draw(st.integers(-50, 20000)),  # returns are negative
        "amount": draw(st.decimals(Decimal("-9999.99"), Decimal("999999.99"), places=2)),
    }


# -- Dialects --------------------------------------------------------------------------

GROUPINGS = {"point": ["", ",", " ", "\u00a0", "\u202f", "'"], "comma": ["", ".", " ", "\u00a0", "\u202f"]}  # fmt: skip
DATE_FORMATS = {
    "iso": ["{y:04d}-{m:02d}-{d:02d}", "{y:04d}/{m:02d}/{d:02d}", "{y:04d}{m:02d}{d:02d}"],
    "dmy": ["{d:02d}/{m:02d}/{y:04d}", "{d}.{m}.{y:04d}", "{d:02d}-{m:02d}-{y:04d}", "{d}/{m}/{yy:02d}"],
    "mdy": ["{m:02d}/{d:02d}/{y:04d}", "{m}/{d}/{y:04d}", "{m}-{d}-{y:04d}", "{m}/{d}/{yy:02d}"],
}  # fmt: skip
UNICODE = ["utf-8", "utf-8-sig", "utf-16", "utf-16-be"]


@dataclass
class Dialect:
    delimiter: str
    decimal: str  # "point" or "comma"
    grouping: str
    trim_decimals: bool  # 45.5 rather than 45.500000 for coordinates
    date_order: str
    date_format: str
    encoding: str
    quoting: int
    newline: str
    column_order: list[int]
    excel_zips: bool  # US ZIPs lost their leading zeros in a spreadsheet


@st.composite
def dialects(draw, *, western: bool, columns: int):
    encoding = draw(st.sampled_from([*UNICODE, "cp1252"] if western else UNICODE))
    decimal = draw(st.sampled_from(["point", "comma"]))
    groupings = GROUPINGS[decimal]
    if encoding == "cp1252":
        groupings = [g for g in groupings if g != "\u202f"]  # not in Windows-1252
    order = draw(st.sampled_from(sorted(DATE_FORMATS)))
    return Dialect(
        delimiter=draw(st.sampled_from([",", ";", "\t", "|"])),
        decimal=decimal,
        grouping=draw(st.sampled_from(groupings)),
        trim_decimals=draw(st.booleans()),
        date_order=order,
        date_format=draw(st.sampled_from(DATE_FORMATS[order])),
        encoding=encoding,
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
        newline=draw(st.sampled_from(["\r\n", "\n", "\r"])),
        column_order=draw(st.permutations(range(columns))),
        excel_zips=draw(st.booleans()),
    )


def scripts():
    """Western text (which Windows-1252 can carry too) or text in any script."""
    return st.sampled_from([("western", WESTERN), ("world", WORLD)])


# -- Writing a file --------------------------------------------------------------------


def number(value: Decimal | int | None, dialect: Dialect, *, places: int | None = 2) -> str:
    if value is None:
        return ""
    text = f"{abs(value):.{places}f}" if places is not None else f"{abs(value):f}"
    if dialect.trim_decimals and places is None and "." in text:
        text = text.rstrip("0").rstrip(".")
    whole, _, fraction = text.partition(".")
    if dialect.grouping:
        groups = []
        while len(whole) > 3:
            whole, groups = whole[:-3], [whole[-3:], *groups]
        whole = dialect.grouping.join([whole, *groups])
    point = "." if dialect.decimal == "point" else ","
    return ("-" if value < 0 else "") + whole + (point + fraction if fraction else "")


def date(day: datetime.date, dialect: Dialect) -> str:
    return dialect.date_format.format(y=day.year, yy=day.year % 100, m=day.month, d=day.day)


def zip_code(row, dialect):
    code = row["postal_code"]
    stripped = code.lstrip("0")
    if dialect.excel_zips and row["country"] == "US" and len(stripped) in (3, 4):
        return stripped  # 00501 became 501 in a spreadsheet; the import pads it back
    return code


def csv_file(header, rows, dialect) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=dialect.delimiter, quoting=dialect.quoting, lineterminator=dialect.newline
    )
    for cells in [header, *rows]:
        writer.writerow([cells[i] for i in dialect.column_order])
    text = buffer.getvalue()
    if dialect.encoding == "utf-16-be":
        return codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    return text.encode(dialect.encoding)  # utf-8-sig and utf-16 write their BOM


# -- Importing it ----------------------------------------------------------------------


@contextmanager
def rolled_back():
    """A fresh organization and its owner for one example, and every row the example
    writes undone when it ends: Hypothesis runs many examples in one test."""
    with transaction.atomic():
        owner = MembershipFactory(role=Membership.Role.OWNER)
        yield owner.organization, owner.user
        transaction.set_rollback(True)


def import_file(kind, data, dialect, organization, user):
    """Upload `data` through the import service, choose what the file leaves open as a user
    would, import it, and return the batch."""
    importer = importer_for(kind)
    batch = service.start_import(
        organization=organization,
        user=user,
        importer=importer,
        uploaded_file=SimpleUploadedFile(f"{kind}.csv", data, content_type="text/csv"),
    )
    note(f"{kind}: {batch.encoding}, {batch.delimiter!r}, {batch.details.get('columns')}")
    assert batch.status == "ready", (batch.status, batch.header, batch.mapping)
    readings = {c["field"]: c["reading"] for c in batch.details["columns"] if c["reading"]}
    numbers = {f: r for f, r in readings.items() if r["kind"] == "number"}
    nothing_decides = not any(sum(r["evidence"].values()) for r in numbers.values())
    for field, reading in readings.items():
        ambiguous = not reading["decided"] and not reading["by_user"]
        if ambiguous and (reading["kind"] == "date" or nothing_decides):
            choice = dialect.date_order if reading["kind"] == "date" else dialect.decimal
            service.set_reading(batch=batch, importer=importer, field=field, choice=choice)
    assert batch.error_count == 0, batch.errors
    service.confirm(batch=batch, importer=importer, user=user, valid_only=False, inline=True)
    batch.refresh_from_db()
    assert batch.status == "applied", batch.message
    return batch


STORE_HEADER = ["Store number", "Name", "City", "State", "Postal code", "Country", "Latitude",
                "Longitude", "Phone"]  # fmt: skip
STORE_FIELDS = ["number", "name", "city", "state", "postal_code", "country", "latitude",
                "longitude", "phone"]  # fmt: skip


@EXAMPLES
@given(data=st.data())
def test_stores_come_back_as_they_were_written(data):
    script, word = data.draw(scripts(), label="script")
    originals = data.draw(
        st.dictionaries(STORE_NUMBERS, stores(word), min_size=1, max_size=4), label="stores"
    )
    dialect = data.draw(dialects(western=script == "western", columns=len(STORE_HEADER)))
    country_as = data.draw(st.sampled_from(["code", "name", "lower"]), label="country written as")
    rows = []
    for number_, store in originals.items():
        country = {
            "code": store["country"],
            "name": COUNTRY_NAMES.get(store["country"], store["country"]),
            "lower": store["country"].lower(),
        }[country_as]
        rows.append([number_, store["name"], store["city"], store["state"],
                     zip_code(store, dialect), country,
                     number(store["latitude"], dialect, places=None),
                     number(store["longitude"], dialect, places=None), store["phone"]])  # fmt: skip
    file = csv_file(STORE_HEADER, rows, dialect)
    note(repr(file))

    with rolled_back() as (organization, user):
        import_file("stores", file, dialect, organization, user)
        stored = {
            row.pop("number"): row
            for row in Store.objects.for_org(organization).values(*STORE_FIELDS)
        }
        assert stored == originals


PRODUCT_HEADER = ["SKU", "Name", "Vendor", "Category", "Unit cost", "Retail price"]
PRODUCT_FIELDS = ["sku", "name", "vendor_name", "category", "unit_cost", "retail_price"]


@EXAMPLES
@given(data=st.data())
def test_products_come_back_as_they_were_written(data):
    script, word = data.draw(scripts(), label="script")
    originals = data.draw(
        st.dictionaries(SKUS, products(word), min_size=1, max_size=4), label="products"
    )
    dialect = data.draw(dialects(western=script == "western", columns=len(PRODUCT_HEADER)))
    rows = [
        [sku, p["name"], p["vendor_name"], p["category"], number(p["unit_cost"], dialect),
         number(p["retail_price"], dialect)]
        for sku, p in originals.items()
    ]  # fmt: skip
    file = csv_file(PRODUCT_HEADER, rows, dialect)
    note(repr(file))

    with rolled_back() as (organization, user):
        import_file("products", file, dialect, organization, user)
        stored = {
            row.pop("sku"): row
            for row in Product.objects.for_org(organization).values(*PRODUCT_FIELDS)
        }
        assert stored == originals


SALES_HEADER = ["Date", "Store", "SKU", "Quantity", "Amount"]


@EXAMPLES
@given(data=st.data())
def test_sales_come_back_as_they_were_written(data):
    store_numbers = data.draw(st.lists(STORE_NUMBERS, min_size=1, max_size=3, unique=True))
    skus = data.draw(st.lists(SKUS, min_size=1, max_size=3, unique=True))
    lines = data.draw(st.lists(sales_lines(store_numbers, skus), min_size=1, max_size=6))
    dialect = data.draw(dialects(western=True, columns=len(SALES_HEADER)))
    rows = [
        [date(line["date"], dialect), line["store"], line["sku"],
         number(line["quantity"], dialect, places=0), number(line["amount"], dialect)]
        for line in lines
    ]  # fmt: skip
    file = csv_file(SALES_HEADER, rows, dialect)
    note(repr(file))

    with rolled_back() as (organization, user):
        for store_number in store_numbers:
            StoreFactory(organization=organization, number=store_number)
        for sku in skus:
            ProductFactory(organization=organization, sku=sku)
        batch = import_file("sales", file, dialect, organization, user)
        if dialect.date_order != "iso" and any(line["date"].day > 12 for line in lines):
            assert batch.options.get("readings", {}).get("date") is None  # the file decided
        stored = SalesLine.objects.filter(organization=organization).values_list(
            "date", "store__number", "product__sku", "quantity", "retail_amount"
        )
        assert sorted(stored) == sorted(
            (line["date"], line["store"], line["sku"], line["quantity"], line["amount"])
            for line in lines
        )
