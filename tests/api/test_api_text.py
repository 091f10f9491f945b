"""JSON can escape half of a UTF-16 surrogate pair on its own ("\\ud800"); Python reads it
into a str that no database or file can store, and the first write of it was a 500. The
API refuses such a body with a 400 that says where, writing nothing; a whole pair (an
emoji) is ordinary text. Rows from elsewhere (a shop connector) are refused by
import_rows itself, naming the row."""

import pytest

from core.imports.registry import importer_for
from core.imports.rows import RowsRejected, import_rows
from core.models import ImportBatch
from inventory.models import Adjustment, Product, Stock

pytestmark = pytest.mark.django_db


def url(shop, tail):
    return f"/api/v1/organizations/{shop['retailer'].pk}/{tail}"


def on_hand(shop):
    return dict(Stock.objects.filter(organization=shop["retailer"]).values_list("pk", "on_hand"))


def test_a_batch_with_a_lone_surrogate_is_a_400_naming_its_row_and_field(api, shop):
    before = on_hand(shop)
    body = (
        '{"rows": [{"store": "1", "sku": "VEND-1", "on_hand": 3},'
        ' {"store": "2", "sku": "VEND-1\\ud800", "on_hand": 4}]}'
    )
    response = api["write"].post(url(shop, "stock"), body)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_text"
    assert error["errors"] == [{"row": 1, "field": "sku", "message": "not valid Unicode text"}]
    assert on_hand(shop) == before and not ImportBatch.objects.exists()


def test_the_same_half_written_raw_in_the_bytes_is_refused_too(api, shop):
    body = b'{"rows": [{"store": "1", "sku": "VEND-1", "on_hand": 3, "last_received_on": "\xed\xa0\x80"}]}'
    response = api["write"].client.post(
        url(shop, "stock"), body, content_type="application/json",
        headers={"Authorization": f"Bearer {api['write'].key}"},
    )  # fmt: skip
    assert response.status_code == 400, response.content
    assert response.json()["error"]["errors"][0] == {
        "row": 0, "field": "last_received_on", "message": "not valid Unicode text"
    }  # fmt: skip


def test_an_adjustments_note_with_a_lone_surrogate_is_a_400_not_a_500(api, shop):
    stock = shop["stock"][("1", "VEND-1")]
    body = '{"kind": "count", "on_hand": 3, "version": VERSION, "note": "half \\udc00"}'
    body = body.replace("VERSION", str(stock.version))
    response = api["merchandiser"].post(url(shop, f"stock/{stock.pk}/adjustments"), body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["errors"][0]["field"] == "note"
    assert not Adjustment.objects.exists()


def test_a_whole_pair_is_an_ordinary_character(api, shop):
    body = '{"rows": [{"sku": "EMOJI-1", "name": "Party \\ud83c\\udf89 Gin"}]}'
    response = api["write"].post(url(shop, "products"), body)
    assert response.status_code == 200, response.content
    assert Product.objects.get(sku="EMOJI-1").name == "Party \U0001f389 Gin"


def test_import_rows_refuses_a_lone_surrogate_naming_the_row(shop):
    rows = [{"sku": "OK-1", "name": "Fine"}, {"sku": "BAD-1", "name": "Half \ud800 a pair"}]
    with pytest.raises(RowsRejected) as refused:
        import_rows(
            organization=shop["retailer"], user=None, importer=importer_for("products"),
            rows=rows, source="a shop",
        )  # fmt: skip
    (problem,) = refused.value.problems
    assert (problem.row, problem.field, problem.value) == (1, "name", "Half \\ud800 a pair")
    assert not Product.objects.filter(sku__in=["OK-1", "BAD-1"]).exists()


def test_a_nul_character_is_a_422_naming_its_row_and_field_not_a_500(api, shop):
    # "\u0000" is valid JSON and a valid str, but PostgreSQL keeps no NUL in text, and a
    # file holding one is not text: the batch is refused before anything is written.
    body = (
        '{"rows": [{"sku": "NUL-1", "name": "Fine"}, {"sku": "NUL-2", "name": "Gin\\u0000 Tonic"}]}'
    )
    response = api["write"].post(url(shop, "products"), body)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["errors"] == [
        {"row": 1, "field": "name", "value": "Gin\\u0000 Tonic",
         "message": "holds a NUL character (\\u0000)"}
    ]  # fmt: skip
    assert not Product.objects.filter(sku__startswith="NUL-").exists()
    assert not ImportBatch.objects.exists()
