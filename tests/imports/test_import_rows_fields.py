"""Which fields a batch of rows uses: the same in every row, or refused naming the row."""

import pytest

from core.imports.registry import importer_for
from core.imports.rows import RowsRejected, _fields


def fields(rows):
    return _fields(importer_for("stock"), rows)


def test_the_fields_of_a_batch_are_in_the_importers_order():
    rows = [{"on_hand": 1, "sku": "A", "store": "1"}] * 3
    assert fields(rows) == ["store", "sku", "on_hand"]


def test_an_unknown_field_names_the_first_row_that_has_it():
    rows = [{"store": "1", "sku": "A", "on_hand": 1}] * 2 + [{"store": "1", "sku": "A", "qty": 1}]
    with pytest.raises(RowsRejected) as refused:
        fields(rows)
    assert [(p.row, p.field) for p in refused.value.problems] == [(2, "qty")]


def test_a_field_some_rows_leave_out_names_each_of_them():
    given = {"store": "1", "sku": "A", "on_hand": 1, "on_order": 2}
    rows = [given, {"store": "1", "sku": "A", "on_hand": 1}, given, {"sku": "A", "on_hand": 1}]
    with pytest.raises(RowsRejected) as refused:
        fields(rows)
    problems = [(p.row, p.field) for p in refused.value.problems]
    assert problems == [(1, "on_order"), (3, "on_order"), (3, "store")]


def test_no_rows_is_refused():
    with pytest.raises(RowsRejected, match="no rows"):
        fields([])
