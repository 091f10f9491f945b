"""Rows from a program go through the importers' own rules: what is stored is what the
rows say, a refused row names itself and writes nothing."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from core.imports.registry import importer_for
from core.imports.rows import RowsRejected, import_rows
from core.models import ImportBatch
from inventory.models import Product, SalesLine, Stock
from tests.factories import ProductFactory, StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(org):
    stores = [StoreFactory(organization=org, number=str(n)) for n in (1, 2)]
    products = [ProductFactory(organization=org, sku=f"SKU-{n}", retail_price=Decimal("9.99"))
                for n in (1, 2)]  # fmt: skip
    return stores, products


def send(org, kind, rows, **kwargs):
    return import_rows(
        organization=org, user=None, importer=importer_for(kind), rows=rows, source="test",
        **kwargs,
    )  # fmt: skip


def stored_stock(org):
    return {
        (s.store.number, s.product.sku): (s.on_hand, s.on_order, s.current_price)
        for s in Stock.objects.filter(organization=org).select_related("store", "product")
    }


def test_stock_rows_are_stored_as_sent(org, catalogue):
    rows = [
        {"store": "1", "sku": "SKU-1", "on_hand": 12, "on_order": 3, "current_price": "7.50"},
        {"store": "2", "sku": "SKU-2", "on_hand": 0, "on_order": None, "current_price": None},
        {"store": 2, "sku": "SKU-1", "on_hand": 5.0, "on_order": 1, "current_price": ""},
    ]
    batch = send(org, "stock", rows)
    assert batch.status == ImportBatch.Status.APPLIED and batch.created_count == 3
    expected = {}
    for row in rows:
        price = row.get("current_price")
        expected[(str(row["store"]), row["sku"])] = (
            int(row["on_hand"]), int(row.get("on_order") or 0), Decimal(price) if price else None,
        )  # fmt: skip
    assert stored_stock(org) == expected


def test_one_bad_row_writes_nothing_and_names_the_row(org, catalogue):
    rows = [
        {"store": "1", "sku": "SKU-1", "on_hand": 4},
        {"store": "1", "sku": "SKU-2", "on_hand": "four"},
        {"store": "9", "sku": "SKU-2", "on_hand": 1},
    ]
    with pytest.raises(RowsRejected) as refused:
        send(org, "stock", rows)
    problems = [p.as_dict() for p in refused.value.problems]
    assert [(p["row"], p["field"], p["value"]) for p in problems] == [
        (1, "on_hand", "four"),
        (2, "store", "9"),
    ]
    assert "store 9 is not one of your stores" in problems[1]["message"]
    assert not Stock.objects.filter(organization=org).exists()
    assert refused.value.batch.status == ImportBatch.Status.FAILED


def test_valid_only_writes_the_good_rows_and_lists_the_others(org, catalogue):
    rows = [
        {"store": "1", "sku": "SKU-1", "on_hand": 4},
        {"store": "1", "sku": "NOPE", "on_hand": 1},
    ]
    batch = send(org, "stock", rows, valid_only=True)
    assert stored_stock(org) == {("1", "SKU-1"): (4, 0, None)}
    assert batch.skipped_count == 1


def test_a_field_left_out_of_one_row_but_given_in_others_refuses_the_batch(org, catalogue):
    """Left out, it would be an empty cell: an on-order count of 0, a silent change."""
    Stock.objects.create(
        organization=org, store=catalogue[0][0], product=catalogue[1][0], on_order=9
    )
    rows = [
        {"store": "1", "sku": "SKU-2", "on_hand": 4, "on_order": 2},
        {"store": "1", "sku": "SKU-1", "on_hand": 1},
    ]
    with pytest.raises(RowsRejected) as refused:
        send(org, "stock", rows)
    assert [(p.row, p.field) for p in refused.value.problems] == [(1, "on_order")]
    assert stored_stock(org) == {("1", "SKU-1"): (0, 9, None)}


def test_an_unknown_field_refuses_the_batch(org, catalogue):
    with pytest.raises(RowsRejected, match="onhand"):
        send(org, "stock", [{"store": "1", "sku": "SKU-1", "onhand": 4}])


def test_products_and_sales_through_the_same_rules(org, catalogue):
    send(org, "products", [{"sku": "NEW-1", "name": "  New   Gin ", "unit_cost": "3.10",
                            "retail_price": 6.5, "case_pack": 12}])  # fmt: skip
    product = Product.objects.get(organization=org, sku="NEW-1")
    assert (product.name, product.unit_cost, product.retail_price, product.case_pack) == (
        "New Gin", Decimal("3.10"), Decimal("6.50"), 12,
    )  # fmt: skip
    line = {"date": "2026-11-02", "store": "1", "sku": "NEW-1", "quantity": 2}
    sales = [
        {**line, "unit_price": "6.5", "retail_amount": None},
        {**line, "unit_price": "6.5", "retail_amount": None},
        {**line, "date": "2026-11-03", "sku": "SKU-1", "quantity": -1, "retail_amount": "-9.99",
         "unit_price": None},
    ]  # fmt: skip
    send(org, "sales", sales)
    stored = sorted(
        (str(s.date), s.store.number, s.product.sku, s.quantity, s.retail_amount)
        for s in SalesLine.objects.filter(organization=org)
    )
    assert stored == sorted(
        (r["date"], r["store"], r["sku"], Decimal(r["quantity"]),
         Decimal(r.get("retail_amount") or Decimal(r["unit_price"]) * r["quantity"]).quantize(Decimal("0.01")))
        for r in sales
    )  # fmt: skip


def test_a_date_not_written_yyyy_mm_dd_is_refused_by_name(org, catalogue):
    with pytest.raises(RowsRejected) as refused:
        send(org, "sales", [{"date": "03/04/2026", "store": "1", "sku": "SKU-1", "quantity": 1,
                             "retail_amount": 1}])  # fmt: skip
    (problem,) = refused.value.problems
    assert (problem.row, problem.field, problem.value) == (0, "date", "03/04/2026")


def test_a_row_with_every_value_empty_is_refused_not_skipped(org, catalogue):
    # A CSV file's blank line is no row; a row of the batch is one, and says nothing.
    rows = [
        {"store": "1", "sku": "SKU-1", "on_hand": 4},
        {"store": None, "sku": "", "on_hand": None},
        {"store": "2", "sku": "SKU-2", "on_hand": 6},
    ]
    with pytest.raises(RowsRejected) as refused:
        send(org, "stock", rows)
    assert [(p.row, p.field) for p in refused.value.problems] == [(1, "store")]
    assert refused.value.count == 1
    assert not Stock.objects.filter(organization=org).exists()


def test_a_value_holding_line_breaks_does_not_shift_the_rows_named_after_it(org, catalogue):
    rows = [
        {"sku": "NL-1", "name": "Two\nline\r\nname"},
        {"sku": "NL-2", "name": "Fine", "unit_cost": "-3"},
        {"sku": "NL-3", "name": "Also\nfine", "unit_cost": "x"},
    ]
    rows[0]["unit_cost"] = None
    with pytest.raises(RowsRejected) as refused:
        send(org, "products", rows)
    assert [(p.row, p.field, p.value) for p in refused.value.problems] == [
        (1, "unit_cost", "-3"),
        (2, "unit_cost", "x"),
    ]
    assert not Product.objects.filter(organization=org, sku__startswith="NL-").exists()


def test_more_rows_than_an_upload_may_have_are_refused_before_anything(org, catalogue, settings):
    settings.IMPORT_MAX_ROWS = 2
    rows = [{"store": "1", "sku": "SKU-1", "on_hand": n} for n in range(3)]
    with pytest.raises(
        RowsRejected, match="The batch has 3 rows; the most one batch may have is 2"
    ):
        send(org, "stock", rows)
    assert not ImportBatch.objects.filter(organization=org).exists()


def test_the_batch_page_names_refused_rows_as_the_api_does(org, catalogue, owner_client):
    rows = [
        {"store": "1", "sku": "SKU-1", "on_hand": 4},
        {"store": "1", "sku": "SKU-2", "on_hand": "four"},
        {"store": None, "sku": "", "on_hand": None},
    ]
    with pytest.raises(RowsRejected) as refused:
        send(org, "stock", rows)
    page = owner_client.get(reverse("accounts:import_detail", args=[refused.value.batch.pk]))
    errors = page.text.split('id="errors-heading"', 1)[1]
    shown = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td>", errors)
    assert shown == [(str(p.row), label) for p, label in
                     zip(refused.value.problems, ["On hand", "Store number"], strict=True)]  # fmt: skip
    assert [p.row for p in refused.value.problems] == [1, 2]
    assert "Rows are counted from 0" in errors
    assert "sent by a program" in page.text and "3 rows" in page.text
