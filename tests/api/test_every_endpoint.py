"""Every endpoint in the OpenAPI schema, discovered from the schema itself, as anonymous,
as another organization's token, as a read-only token and as a read-and-write token:
401, 404, 403 (writes) and success. A new endpoint is walked without anyone adding it;
one that writes needs a sample body here, or this test says so."""

import json

import pytest
from openapi_spec_validator import validate

from inventory.models import Stock
from tasks.models import Task

pytestmark = pytest.mark.django_db

SCHEMA = "/api/v1/openapi.json"
# Endpoints without an organization in their path answer for the token's own.
OWN_ONLY = {"/api/v1/me", "/api/v1/organizations"}


SALE = {"date": "2026-11-30", "store": "1", "sku": "VEND-1", "quantity": 1, "retail_amount": "12"}


def sample_bodies(shop):
    stock = Stock.objects.get(store=shop["stores"][0], product=shop["ours"])
    task = Task.objects.get(organization=shop["retailer"])
    return {
        "/products": {"rows": [{"sku": "API-1", "name": "Walked Gin"}]},
        "/stock": {"rows": [{"store": "1", "sku": "VEND-1", "on_hand": 7}]},
        "/sales": {"rows": [SALE]},
        "/adjustments": {"kind": "count", "on_hand": 19, "version": stock.version},
        "/updates": {"percent": 50, "note": "Half faced", "version": task.version},
        "/photos": {"version": task.version, "note": "Faced", "photos": [shelf_photo()]},
    }


def shelf_photo(name="shelf.jpg"):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def operations(schema):
    for path, methods in schema["paths"].items():
        for method in methods:
            yield path, method


def concrete(path, shop):
    stock = Stock.objects.get(store=shop["stores"][0], product=shop["ours"])
    task = Task.objects.get(organization=shop["retailer"])
    return (
        path.replace("{organization_id}", str(shop["retailer"].pk))
        .replace("{stock_id}", str(stock.pk))
        .replace("{task_id}", str(task.pk))
    )


def call(client, method, path, shop):
    if method == "get":
        return client.get(path)
    bodies = sample_bodies(shop)
    suffix = next((s for s in bodies if path.endswith(s)), None)
    assert suffix, f"{path} writes: add a sample body for it to sample_bodies()"
    if suffix == "/photos":
        return client.post_form(path, bodies[suffix])
    return client.post(path, json.dumps(bodies[suffix]))


def schema_of(client):
    response = client.get(SCHEMA)
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_valid_openapi(api):
    schema = schema_of(api["anonymous"])
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert len(list(operations(schema))) >= 10


def test_the_docs_page_renders_from_our_own_static_files(api):
    response = api["anonymous"].client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page and "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert SCHEMA in page


def test_every_endpoint_as_every_kind_of_caller(api, shop):
    schema = schema_of(api["anonymous"])
    walked = []
    for template, method in operations(schema):
        path = concrete(template, shop)
        writes = method != "get"

        anonymous = call(api["anonymous"], method, path, shop)
        assert anonymous.status_code == 401, (method, path)
        assert anonymous.json()["error"]["code"] == "unauthenticated"

        outsider = call(api["outsider"], method, path, shop)
        if template in OWN_ONLY:
            assert outsider.status_code == 200, (method, path)
            assert "Heartland Mart" not in outsider.text
        else:
            assert outsider.status_code == 404, (method, path, outsider.content)
            assert outsider.json()["error"]["code"] == "not_found"

        read = call(api["read"], method, path, shop)
        if writes:
            assert read.status_code == 403, (method, path, read.content)
            assert read.json()["error"]["code"] == "read_only_token"
        else:
            assert read.status_code == 200, (method, path, read.content)

        write = call(api["write"], method, path, shop)
        assert write.status_code in (200, 201), (method, path, write.content)
        walked.append((method, template))
    assert ("post", "/api/v1/organizations/{organization_id}/stock") in walked
    assert ("get", "/api/v1/organizations/{organization_id}/sales") in walked


def test_a_revoked_or_expired_token_is_a_401(api, shop):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import ApiToken
    from tests.api.conftest import ApiClient, make_token

    expired = ApiClient(
        make_token(shop["retailer"], expires_at=timezone.now() - timedelta(seconds=1))
    )
    assert expired.get("/api/v1/me").status_code == 401
    ApiToken.objects.filter(organization=shop["retailer"]).update(revoked_at=timezone.now())
    assert api["write"].get("/api/v1/me").status_code == 401


def test_a_session_is_not_a_token_so_a_forged_cross_site_post_gets_401(shop):
    """The API reads only the bearer token, never the login cookie: a page on another
    site that makes a signed-in browser POST here is answered 401, with nothing written."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(shop["owner"])
    url = f"/api/v1/organizations/{shop['retailer'].pk}/stock"
    body = json.dumps({"rows": [{"store": "1", "sku": "VEND-1", "on_hand": 0}]})
    response = browser.post(url, body, content_type="application/json")
    assert response.status_code == 401
    assert Stock.objects.get(store=shop["stores"][0], product=shop["ours"]).on_hand == 20


def test_a_token_needs_no_csrf_token(api, shop):
    from django.test import Client

    from tests.api.conftest import bearer

    program = Client(enforce_csrf_checks=True)
    url = f"/api/v1/organizations/{shop['retailer'].pk}/stock"
    body = json.dumps({"rows": [{"store": "1", "sku": "VEND-1", "on_hand": 5}]})
    response = program.post(
        url, body, content_type="application/json", headers=bearer(api["write"].key)
    )
    assert response.status_code == 200
