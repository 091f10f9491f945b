"""A batch's rows reach the importer as sent: a key left out of every row is left out
(the stored value stays), a null is an empty cell, and the schema still describes them."""

import json

import pytest

from inventory.models import Stock

pytestmark = pytest.mark.django_db


def stock_of(shop, store, sku):
    return Stock.objects.get(store=shop["stores"][int(store) - 1], product__sku=sku)


def post(api, shop, rows):
    return api["write"].post(
        f"/api/v1/organizations/{shop['retailer'].pk}/stock", json.dumps({"rows": rows})
    )


def test_a_field_left_out_of_every_row_keeps_its_stored_value(api, shop):
    row = stock_of(shop, "1", "OTHER-1")
    row.on_order = 9
    row.save()
    response = post(api, shop, [{"store": "1", "sku": "OTHER-1", "on_hand": 4}])
    assert response.status_code == 200, response.content
    row.refresh_from_db()
    assert (row.on_hand, row.on_order) == (4, 9)


def test_a_null_is_an_empty_cell(api, shop):
    response = post(api, shop, [{"store": 1, "sku": "OTHER-1", "on_hand": 4, "on_order": None}])
    assert response.status_code == 200, response.content
    row = stock_of(shop, "1", "OTHER-1")
    assert (row.on_hand, row.on_order) == (4, 0)


def test_the_schema_describes_a_stock_row(api):
    schema = api["anonymous"].get("/api/v1/openapi.json").json()
    row = schema["components"]["schemas"]["StockRow"]
    assert set(row["required"]) == {"store", "sku", "on_hand"}
    assert row["additionalProperties"] is False
    assert row["properties"]["store"]["description"] == "The store's number"
