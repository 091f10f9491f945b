"""How a column's numbers and dates are written is decided from its distinct values, each
counted once: the decision must be the one every value fed in file order would give."""

import csv
import io
from contextlib import contextmanager

from hypothesis import given, settings
from hypothesis import strategies as st

from core.imports import base
from core.imports import values as read
from core.imports.registry import importer_for

NUMBERS = ["12", "1,5", "12.5", "1,234", "1.234", "1.234,5", "1,234.5", "0,5", "(3)", "$4.50",
           "", " ", " 12 ", "abc", "1 234,56", "24.44", "7,123"]  # fmt: skip
DATES = ["2025-01-06", "06/01/2025", "13/01/2025", "01/13/2025", "1/2/25", "abc", "",
         "6 Jan 2025", "45000", "31.12.2024"]  # fmt: skip
HEADER = ["Date", "Store Number", "Item Number", "Bottles Sold", "Sale (Dollars)"]


def one_by_one(table, mapping, importer):
    """The readings as every value fed to the evidence, one at a time, would give them."""
    evidence = {
        "date": read.DateEvidence(),
        "quantity": read.NumberEvidence(),
        "retail_amount": read.NumberEvidence(),
    }
    for _line, cells in table.rows():
        for f, e in evidence.items():
            i = mapping[f]
            if i < len(cells) and cells[i].strip():
                e.add(cells[i])
    styles = [e.decided_style for f, e in evidence.items() if f != "date" and e.decided_style]
    fallback = styles[0] if styles else read.POINT
    return {
        f: (e.reading() if f == "date" else e.reading(fallback)).as_dict()
        for f, e in evidence.items()
    }


@contextmanager
def counting(distinct):
    """Feed the counted values to the evidence every `distinct` new values."""
    kept = base.DISTINCT_VALUES
    base.DISTINCT_VALUES = distinct
    try:
        yield
    finally:
        base.DISTINCT_VALUES = kept


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(DATES), st.sampled_from(NUMBERS), st.sampled_from(NUMBERS)),
        min_size=1,
        max_size=40,
    ),
    batch=st.integers(1, 5),
)
def test_readings_from_distinct_values_are_those_of_every_value(rows, batch):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for day, quantity, amount in rows:
        writer.writerow([day, "2001", "10001", quantity, amount])
    importer = importer_for("sales")
    table = importer.read(out.getvalue().encode())
    mapping = importer.guess_mapping(table.header)
    expected = one_by_one(table, mapping, importer)
    for distinct in (batch, base.DISTINCT_VALUES):
        with counting(distinct):
            decided = importer.decide_readings(table, mapping, {})
        assert {f: r.as_dict() for f, r in decided.items()} == expected
