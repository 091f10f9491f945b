"""Batches through the API: the importers' rules, all or nothing, row errors in the
answer, an Idempotency-Key that makes a retry write nothing, master rollups refreshed as
an import refreshes them. Stored values are checked against the batch sent."""

import json
from decimal import Decimal

import pytest

from accounts.models import ApiToken
from aggregation.models import Connection, MasterAccount, RollupStock
from core.models import IdempotentRequest, ImportBatch
from inventory.models import Adjustment, Product, SalesLine, Stock, normalize_sku
from tests.api.conftest import ApiClient, make_token
from tests.factories import OrganizationFactory, ProductFactory, StoreFactory

pytestmark = pytest.mark.django_db


def stock_url(org):
    return f"/api/v1/organizations/{org.pk}/stock"


def post(client, url, rows, **headers):
    return client.post(url, json.dumps({"rows": rows}), **headers)


def stored(org):
    return {
        (number, sku): on_hand
        for number, sku, on_hand in Stock.objects.filter(organization=org).values_list(
            "store__number", "product__sku", "on_hand"
        )
    }


def test_a_batch_sets_exactly_the_stock_it_sends(api, shop):
    before = stored(shop["retailer"])
    rows = [{"store": s, "sku": sku, "on_hand": n} for s, sku, n in
            [("1", "VEND-1", 3), ("2", "OTHER-1", 0), ("3", "VEND-1", 41)]]  # fmt: skip
    response = post(api["write"], stock_url(shop["retailer"]), rows)
    assert response.status_code == 200, response.content
    assert response.json() | {"batch": 0} == {
        "batch": 0, "rows": 3, "created": 0, "updated": 3, "unchanged": 0, "replayed": False
    }  # fmt: skip
    expected = before | {(r["store"], r["sku"]): r["on_hand"] for r in rows}
    assert stored(shop["retailer"]) == expected


def test_a_batch_with_one_bad_row_writes_nothing_and_names_the_row(api, shop):
    before = stored(shop["retailer"])
    rows = [
        {"store": "1", "sku": "VEND-1", "on_hand": 1},
        {"store": "2", "sku": "VEND-1", "on_hand": 2},
        {"store": "2", "sku": "VEND-1", "on_hand": 2},
        {"store": "3", "sku": "NOT-A-SKU", "on_hand": 3},
    ]
    response = post(api["write"], stock_url(shop["retailer"]), rows)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "rows_refused" and "nothing was" in error["message"]
    assert error["errors"] == [
        {
            "row": 3,
            "field": "sku",
            "value": "NOT-A-SKU",
            "message": "SKU NOT-A-SKU is not in your catalogue: import products first",
        }
    ]
    assert stored(shop["retailer"]) == before


def test_a_value_of_the_wrong_shape_names_its_row_and_field(api, shop):
    rows = [
        {"store": "1", "sku": "VEND-1", "on_hand": 5},
        {"store": "1", "sku": "VEND-1", "on_hnad": 5},
    ]
    response = post(api["write"], stock_url(shop["retailer"]), rows)
    assert response.status_code == 422
    fields = {(e.get("row"), e["field"]) for e in response.json()["error"]["errors"]}
    assert (1, "on_hnad") in fields and (1, "on_hand") in fields


def test_a_fraction_of_a_unit_is_refused_as_the_import_refuses_it(api, shop):
    response = post(
        api["write"], stock_url(shop["retailer"]), [{"store": "1", "sku": "VEND-1", "on_hand": 2.5}]
    )
    assert response.status_code == 422
    (error,) = response.json()["error"]["errors"]
    assert (error["row"], error["field"], error["value"]) == (0, "on_hand", 2.5)


def test_more_than_ten_thousand_rows_are_refused_before_anything_is_read(api, shop):
    rows = [{"store": "1", "sku": "VEND-1", "on_hand": 1}] * 10_001
    response = post(api["write"], stock_url(shop["retailer"]), rows)
    assert response.status_code == 422
    assert "10000" in response.json()["error"]["errors"][0]["message"]
    assert not ImportBatch.objects.exists()


def test_a_body_too_large_is_a_413_not_a_500(api, shop, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    rows = [{"store": "1", "sku": "VEND-1", "on_hand": 1}] * 100
    response = post(api["write"], stock_url(shop["retailer"]), rows)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_the_same_batch_sent_twice_with_one_key_writes_once(api, shop):
    ProductFactory(organization=shop["retailer"], sku="NEW-9")
    rows = [
        {"date": "2026-11-30", "store": "1", "sku": "NEW-9", "quantity": 2, "retail_amount": "5.00"}
    ]
    url = f"/api/v1/organizations/{shop['retailer'].pk}/sales"
    first = post(api["write"], url, rows, **{"Idempotency-Key": "sales-2026-11-30"})
    again = post(api["write"], url, rows, **{"Idempotency-Key": "sales-2026-11-30"})
    assert first.status_code == again.status_code == 200
    assert again.json() == {**first.json(), "replayed": True}
    assert ImportBatch.objects.filter(organization=shop["retailer"], kind="sales").count() == 1
    lines = SalesLine.objects.filter(organization=shop["retailer"], product__sku="NEW-9")
    assert [(line.quantity, line.retail_amount) for line in lines] == [
        (Decimal("2"), Decimal("5.00"))
    ]


def test_the_same_key_with_another_body_is_refused(api, shop):
    url = stock_url(shop["retailer"])
    key = {"Idempotency-Key": "k-1"}
    assert (
        post(api["write"], url, [{"store": "1", "sku": "VEND-1", "on_hand": 1}], **key).status_code
        == 200
    )
    other = post(api["write"], url, [{"store": "1", "sku": "VEND-1", "on_hand": 99}], **key)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert stored(shop["retailer"])[("1", "VEND-1")] == 1


def test_a_refused_batch_keeps_no_key_so_the_fixed_batch_may_use_it(api, shop):
    url = stock_url(shop["retailer"])
    key = {"Idempotency-Key": "k-2"}
    assert (
        post(api["write"], url, [{"store": "9", "sku": "VEND-1", "on_hand": 1}], **key).status_code
        == 422
    )
    assert not IdempotentRequest.objects.exists()
    StoreFactory(organization=shop["retailer"], number="9")
    fixed = post(api["write"], url, [{"store": "9", "sku": "VEND-1", "on_hand": 1}], **key)
    assert fixed.status_code == 200 and fixed.json()["replayed"] is False
    assert stored(shop["retailer"])[("9", "VEND-1")] == 1


def test_the_same_rows_sent_twice_without_a_key_change_nothing_the_second_time(api, shop):
    url = f"/api/v1/organizations/{shop['retailer'].pk}/sales"
    rows = [{"date": "2026-11-29", "store": "2", "sku": "VEND-1", "quantity": 1, "retail_amount": "9",
             "reference": "INV-7/1"}]  # fmt: skip
    post(api["write"], url, rows)
    second = post(api["write"], url, rows).json()
    assert (second["created"], second["unchanged"]) == (0, 1)
    assert SalesLine.objects.filter(organization=shop["retailer"], date="2026-11-29").count() == 1


def test_products_are_stored_as_sent(api, shop):
    rows = [
        {"sku": "GIN-1", "name": "Prairie Gin", "vendor_name": "Prairie Spirits", "unit_cost": "10.10",
         "retail_price": 19.99, "case_pack": 6, "category": "Gin"},
        {"sku": "GIN-2", "name": "Prairie Sloe Gin", "vendor_name": None, "unit_cost": None,
         "retail_price": "21", "case_pack": None, "category": ""},
    ]  # fmt: skip
    response = post(api["write"], f"/api/v1/organizations/{shop['retailer'].pk}/products", rows)
    assert response.status_code == 200, response.content
    found = {
        p.sku: (p.name, p.vendor_name, p.unit_cost, p.retail_price, p.case_pack, p.category)
        for p in Product.objects.filter(organization=shop["retailer"], sku__startswith="GIN-")
    }

    def money(value):
        return Decimal(str(value)).quantize(Decimal("0.01")) if value is not None else None

    assert found == {
        r["sku"]: (r["name"], r["vendor_name"] or "", money(r["unit_cost"]), money(r["retail_price"]),
                   r["case_pack"], r["category"])
        for r in rows
    }  # fmt: skip
    # A vendor named as an organization on Shelfshare is linked, as an import links it.
    assert Product.objects.get(sku="GIN-1").vendor_organization == shop["vendor"]


def test_a_partner_cannot_write_an_owners_batch(api, shop):
    response = post(
        api["merchandiser"],
        stock_url(shop["retailer"]),
        [{"store": "1", "sku": "VEND-1", "on_hand": 0}],
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_your_data"


def test_a_merchandiser_adjusts_stock_with_the_adjust_pages_checks(api, shop):
    row = shop["stock"][("1", "VEND-1")]
    url = f"/api/v1/organizations/{shop['retailer'].pk}/stock/{row.pk}/adjustments"
    done = api["merchandiser"].post(
        url, json.dumps({"kind": "count", "on_hand": 17, "version": row.version})
    )
    assert done.status_code == 201, done.content
    row.refresh_from_db()
    assert (row.on_hand, done.json()["on_hand"], done.json()["version"]) == (17, 17, row.version)
    adjustment = Adjustment.objects.get()
    assert (adjustment.on_hand_before, adjustment.on_hand_after, adjustment.actor_organization) == (
        20, 17, shop["merchandiser"],
    )  # fmt: skip
    stale = api["merchandiser"].post(
        url, json.dumps({"kind": "count", "on_hand": 1, "version": row.version - 1})
    )
    assert stale.status_code == 409 and "changed" in stale.json()["error"]["message"].lower()
    above = api["merchandiser"].post(
        url, json.dumps({"kind": "markdown", "price": "999999999.00", "version": row.version})
    )
    assert above.status_code == 422
    row.refresh_from_db()
    assert row.on_hand == 17


def test_a_merchandiser_outside_its_stores_and_a_vendor_get_404_and_403(api, shop):
    outside = shop["stock"][("3", "OTHER-1")]
    url = f"/api/v1/organizations/{shop['retailer'].pk}/stock/{outside.pk}/adjustments"
    body = json.dumps({"kind": "count", "on_hand": 1, "version": outside.version})
    assert api["merchandiser"].post(url, body).status_code == 404  # not in its geography
    ours = shop["stock"][("3", "VEND-1")]
    url = f"/api/v1/organizations/{shop['retailer'].pk}/stock/{ours.pk}/adjustments"
    refused = api["vendor"].post(
        url, json.dumps({"kind": "count", "on_hand": 1, "version": ours.version})
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "read_only_share"


def test_a_task_update_through_the_api(api, shop):
    from tasks.models import Task

    task = Task.objects.get(organization=shop["retailer"])
    url = f"/api/v1/organizations/{shop['retailer'].pk}/tasks/{task.pk}/updates"
    done = api["merchandiser"].post(
        url, json.dumps({"percent": 40, "note": "Faced", "version": task.version})
    )
    assert done.status_code == 201, done.content
    task.refresh_from_db()
    assert (task.percent_done, task.status) == (40, "in_progress")
    assert done.json()["task"]["percent_done"] == 40
    refused = api["merchandiser"].post(
        url, json.dumps({"status": "cannot_complete", "version": task.version})
    )
    assert refused.status_code == 422 and "why" in refused.json()["error"]["message"].lower()


def test_a_write_to_a_child_account_refreshes_its_masters_rollups(shop, monkeypatch):
    from django.db import transaction

    monkeypatch.setattr(
        transaction, "on_commit", lambda callback, using=None, robust=False: callback()
    )
    master = MasterAccount.objects.create(organization=OrganizationFactory(name="Heartland Group"))
    child = OrganizationFactory(name="Heartland Online")
    Connection.objects.create(master=master, child=child, kind=Connection.Kind.ACCOUNT)
    StoreFactory(organization=child, number="1")
    client = ApiClient(make_token(child, scope=ApiToken.Scope.WRITE))
    products = [{"sku": s, "name": f"Item {s}"} for s in ("A-1", "A-2")]
    assert post(client, f"/api/v1/organizations/{child.pk}/products", products).status_code == 200
    rows = [
        {"store": "1", "sku": "A-1", "on_hand": 12},
        {"store": "1", "sku": "A-2", "on_hand": 30},
    ]
    assert post(client, stock_url(child), rows).status_code == 200
    rolled = dict(
        RollupStock.objects.filter(master=master, child=child).values_list("sku", "on_hand")
    )
    assert rolled == {normalize_sku(r["sku"]): r["on_hand"] for r in rows}
    assert (
        post(client, stock_url(child), [{"store": "1", "sku": "A-2", "on_hand": 1}]).status_code
        == 200
    )
    assert (
        RollupStock.objects.get(master=master, child=child, sku=normalize_sku("A-2")).on_hand == 1
    )


def test_keys_are_forgotten_after_a_day_by_the_import_sweep(api, shop):
    from datetime import timedelta

    from django.utils import timezone

    from core.jobs import fail_stuck_imports

    url = stock_url(shop["retailer"])
    post(
        api["write"],
        url,
        [{"store": "1", "sku": "VEND-1", "on_hand": 1}],
        **{"Idempotency-Key": "old"},
    )
    post(
        api["write"],
        url,
        [{"store": "1", "sku": "VEND-1", "on_hand": 2}],
        **{"Idempotency-Key": "new"},
    )
    IdempotentRequest.objects.filter(key="old").update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    fail_stuck_imports()
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["new"]
