"""What an import writes when the data changed between its preview and its confirmation.

On PostgreSQL the preview keeps the rows it read (core/imports/staging.py) and the apply
merges them with set-based SQL; on SQLite the apply reads the file again. Either way the
stored values must end up exactly the file's, the counts must say what was done *now*,
and a row that can no longer be stored stops the import or is listed, never lost quietly.
The tests run on both; those about the staged rows themselves only where there are some.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.urls import reverse

from accounts.models import Store
from core.imports import service
from core.models import ImportBatch
from inventory.models import SalesLine
from tests.factories import ProductFactory, StoreFactory

pytestmark = pytest.mark.django_db

STORES = b"Store Number,Name,City\n1,North,Ames\n2,South,Osceola\n3,East,Newton\n"
SALES = (
    b"Date,Store Number,Item Number,Bottles Sold,Sale (Dollars)\n"
    b"2025-03-01,1,A-1,2,9.98\n"
    b"2025-03-01,1,B-2,1,12.50\n"
    b"2025-03-02,1,A-1,3,14.97\n"
)


def staged_here():
    return connection.vendor == "postgresql"


def stores(org):
    return sorted(Store.objects.for_org(org).values_list("number", "name", "city"))


def file_rows(data):
    """The file's rows as (number, name, city), read plainly."""
    lines = data.decode().splitlines()[1:]
    return sorted(tuple(line.split(",")) for line in lines)


def test_a_store_changed_after_the_preview_is_put_back_to_the_files_values(upload, confirm, org):
    batch = upload("stores", "stores.csv", STORES)
    assert (batch.to_create, batch.to_update) == (3, 0)
    # Someone adds store 2 by hand before the import is confirmed.
    StoreFactory(organization=org, number="2", name="Typed by hand", city="Elsewhere")

    confirm(batch)

    assert batch.status == "applied", batch.message
    assert stores(org) == file_rows(STORES)
    assert (batch.created_count, batch.updated_count, batch.unchanged) == (2, 1, 0)


def test_rows_that_did_not_change_are_not_written(upload, confirm, org):
    confirm(upload("stores", "stores.csv", STORES))
    stamps = dict(Store.objects.for_org(org).values_list("number", "updated_at"))
    Store.objects.for_org(org).filter(number="3").update(name="Renamed meanwhile")

    again = upload("stores", "stores.csv", STORES)
    assert (again.to_create, again.to_update, again.unchanged) == (0, 1, 2)
    confirm(again)

    assert stores(org) == file_rows(STORES)
    assert (again.created_count, again.updated_count, again.unchanged) == (0, 1, 2)
    after = dict(Store.objects.for_org(org).values_list("number", "updated_at"))
    assert after["1"] == stamps["1"] and after["2"] == stamps["2"]  # untouched
    assert after["3"] > stamps["3"]


@pytest.fixture
def catalogue(org):
    store = StoreFactory(organization=org, number="1")
    return {
        "store": store,
        "A-1": ProductFactory(organization=org, sku="A-1"),
        "B-2": ProductFactory(organization=org, sku="B-2"),
    }


def sales(org):
    return sorted(
        SalesLine.objects.for_org(org).values_list(
            "date", "product__sku", "quantity", "retail_amount"
        )
    )


def expected_sales(data, skip_skus=()):
    rows = []
    for line in data.decode().splitlines()[1:]:
        date, _store, sku, quantity, amount = line.split(",")
        if sku not in skip_skus:
            rows.append(
                (datetime.date.fromisoformat(date), sku, Decimal(quantity), Decimal(amount))
            )
    return sorted(rows)


def test_a_product_deleted_after_the_preview_stops_the_whole_import(
    upload, confirm, org, catalogue
):
    batch = upload("sales", "sales.csv", SALES)
    assert (batch.to_create, batch.error_count) == (3, 0)
    catalogue["B-2"].delete()

    page = confirm(batch)

    assert batch.status == "failed"
    assert "Line 3" in batch.message and "nothing was imported" in batch.message
    assert "Nothing was imported." in page.text
    assert not SalesLine.objects.for_org(org).exists()


def test_importing_the_valid_rows_skips_and_lists_a_line_whose_product_was_deleted(
    upload, confirm, org, catalogue
):
    batch = upload("sales", "sales.csv", SALES)
    catalogue["B-2"].delete()

    confirm(batch, mode="valid_only")

    assert batch.status == "applied", batch.message
    assert sales(org) == expected_sales(SALES, skip_skus={"B-2"})
    assert (batch.created_count, batch.error_count) == (2, 1)
    assert [error["line"] for error in batch.errors] == [3]


def test_the_rows_a_preview_keeps_go_once_the_import_is_done(upload, confirm, org, catalogue):
    if not staged_here():
        pytest.skip("rows are staged on PostgreSQL only; SQLite reads the file again")
    batch = upload("sales", "sales.csv", SALES)
    first = batch.staged_rows.name
    assert first and default_storage.exists(first)

    # Choosing the columns again previews again: the new rows replace the old ones.
    service.set_mapping(
        batch=batch, importer=service_importer("sales"), mapping=dict(batch.mapping)
    )
    batch.refresh_from_db()
    assert batch.staged_rows.name and not default_storage.exists(first)
    second = batch.staged_rows.name

    confirm(batch)
    assert batch.status == "applied"
    assert sales(org) == expected_sales(SALES)
    assert not batch.staged_rows and not default_storage.exists(second)


def test_a_cancelled_import_forgets_its_rows(upload, owner_client, org):
    if not staged_here():
        pytest.skip("rows are staged on PostgreSQL only; SQLite reads the file again")
    batch = upload("stores", "stores.csv", STORES)
    staged = batch.staged_rows.name
    owner_client.post(reverse("accounts:import_cancel", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "cancelled"
    assert not batch.staged_rows and not default_storage.exists(staged)


def test_without_its_staged_rows_an_import_reads_the_file_again(upload, confirm, org, catalogue):
    if not staged_here():
        pytest.skip("rows are staged on PostgreSQL only; SQLite reads the file again")
    batch = upload("sales", "sales.csv", SALES)
    default_storage.delete(batch.staged_rows.name)
    ImportBatch.objects.filter(pk=batch.pk).update(staged_rows="")

    confirm(batch)

    assert batch.status == "applied", batch.message
    assert sales(org) == expected_sales(SALES)


def service_importer(kind):
    from core.imports.registry import importer_for

    return importer_for(kind)


def test_names_with_tabs_backslashes_and_line_breaks_are_stored_as_written(upload, confirm, org):
    data = (
        b'Store Number,Name,City\n1,"Back\\slash \\N",Ames\n2,"Two\nlines",Osceola\n'
        b'3,"Tab\there",Newton\n4,\\N,"C:\\\\shop"\n'
    )
    confirm(upload("stores", "stores.csv", data))
    assert stores(org) == [
        ("1", "Back\\slash \\N", "Ames"),
        ("2", "Two lines", "Osceola"),
        ("3", "Tab here", "Newton"),
        ("4", "\\N", "C:\\\\shop"),
    ]


def test_the_sweep_forgets_rows_no_import_will_use(upload, confirm, org):
    from datetime import timedelta

    from django.utils import timezone

    from core.jobs import fail_stuck_imports

    if not staged_here():
        pytest.skip("rows are staged on PostgreSQL only; SQLite reads the file again")
    fresh, old, failed = (upload("stores", f"{n}.csv", STORES) for n in "abc")
    ImportBatch.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    ImportBatch.objects.filter(pk=failed.pk).update(status="failed")  # its worker died
    names = {b.pk: b.staged_rows.name for b in (fresh, old, failed)}

    fail_stuck_imports()

    assert default_storage.exists(names[fresh.pk])
    assert not default_storage.exists(names[old.pk])
    assert not default_storage.exists(names[failed.pk])
    # The old preview can still be imported: the file is read again.
    old.refresh_from_db()
    assert not old.staged_rows
    confirm(old)
    assert old.status == "applied" and stores(org) == file_rows(STORES)
