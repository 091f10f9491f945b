"""The real sales files in demo/data import through the web pages, unedited."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import ImportBatch
from inventory.models import Product, SalesLine
from tests.factories import OrganizationFactory, StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def upload(owner_client, django_capture_on_commit_callbacks):
    def run(kind, name, *, mode="all", options=None):
        data = (settings.DEMO_DATA_DIR / name).read_bytes()
        response = owner_client.post(
            reverse("accounts:import_upload", args=[kind]),
            {"file": SimpleUploadedFile(Path(name).name, data), **(options or {})},
        )
        assert response.status_code == 302, response.content[:1500]
        batch = ImportBatch.objects.latest("pk")
        preview = (
            batch.status,
            batch.to_create,
            batch.unchanged,
            batch.error_count,
            list(batch.errors),
        )
        with django_capture_on_commit_callbacks(execute=True):
            owner_client.post(reverse("accounts:import_confirm", args=[batch.pk]), {"mode": mode})
        batch.refresh_from_db()
        return batch, preview

    return run


def test_iowa_liquor_sales_catalogue_vendors_and_sales(upload, org):
    vendor = OrganizationFactory(name="Diageo Americas", is_retailer=False, is_vendor=True)
    for number in ("2506", "2614", "2616", "3952"):
        StoreFactory(organization=org, number=number)
    products, (status, new, _repeats, errors, _) = upload(
        "products", "iowa_liquor_sales_2012-01-31.csv"
    )
    assert (status, new, errors) == ("ready", 1175, 0)  # 9,510 lines, repeats of 1,175 items
    assert products.status == "applied"
    assert Product.objects.for_org(org).filter(vendor_organization=vendor).count() > 100
    blank = Product.objects.for_org(org).filter(unit_cost__isnull=True)
    assert blank.exists()  # the lines with blank cost and retail: imported, prices left empty

    sales, (_s, _n, _r, errors, listed) = upload(
        "sales", "iowa_liquor_sales_2012-01-31.csv", mode="valid_only"
    )
    reasons = {e["message"] for e in listed}
    assert "give a sales amount or a unit price" in reasons  # the 7 lines without money, reported
    assert any("is not one of your stores" in r for r in reasons)  # stores not imported here
    assert sales.status == "applied"
    line = SalesLine.objects.filter(organization=org, store__number="2506").first()
    assert line is not None and line.cost_amount is not None


def test_online_retail_cancellations_fees_zero_prices(upload, org):
    StoreFactory(organization=org, number="ONLINE")
    _, (status, new, _r, _errors, listed) = upload(
        "products", "online_retail_2010-12-01.csv", mode="valid_only"
    )
    assert status == "ready" and new > 1000
    assert any("POST is postage, not a product" in e["message"] for e in listed)
    sales, (_s, _n, _r, _errors, listed) = upload(
        "sales",
        "online_retail_2010-12-01.csv",
        mode="valid_only",
        options={"default_store": "ONLINE"},
    )
    assert sales.status == "applied" and sales.created_count > 2900
    lines = SalesLine.objects.filter(organization=org)
    assert lines.filter(quantity__lt=0).exists()  # cancellations: returns, with negative quantities
    assert lines.filter(retail_amount=0).exists()  # zero prices kept as they are
    assert (
        lines.exclude(customer_reference="").exists()
        and lines.filter(customer_reference="").exists()
    )
    assert not lines.filter(customer_reference__endswith=".0").exists()
    # The same file again changes nothing.
    _again, (status, new, unchanged, *_rest) = upload(
        "sales",
        "online_retail_2010-12-01.csv",
        mode="valid_only",
        options={"default_store": "ONLINE"},
    )
    assert new == 0 and unchanged == sales.created_count
    assert SalesLine.objects.filter(organization=org).count() == sales.created_count


def test_identical_sales_lines_are_separate_sales_and_a_reimport_adds_none(
    owner_client, org, django_capture_on_commit_callbacks
):
    """Two lines alike in every column are two sales (a shop sells the same item twice in
    an invoice); importing the same file again finds both and adds nothing."""
    from decimal import Decimal

    from tests.factories import ProductFactory

    StoreFactory(organization=org, number="7")
    ProductFactory(organization=org, sku="A1")
    data = (
        b"Date,Store Number,SKU,Quantity,Sales amount,Invoice\n"
        b"2026-11-02,7,A1,2,5.00,INV-1\n2026-11-02,7,A1,2,5.00,INV-1\n2026-11-02,7,A1,1,2.50,INV-2\n"
    )

    def run():
        owner_client.post(
            reverse("accounts:import_upload", args=["sales"]),
            {"file": SimpleUploadedFile("s.csv", data)},
        )
        batch = ImportBatch.objects.latest("pk")
        with django_capture_on_commit_callbacks(execute=True):
            owner_client.post(reverse("accounts:import_confirm", args=[batch.pk]), {"mode": "all"})
        batch.refresh_from_db()
        return batch

    first = run()
    assert (first.status, first.created_count) == ("applied", 3)
    lines = sorted(
        SalesLine.objects.filter(organization=org).values_list("quantity", "retail_amount")
    )
    assert lines == [
        (Decimal("1.00"), Decimal("2.50")),
        (Decimal("2.00"), Decimal("5.00")),
        (Decimal("2.00"), Decimal("5.00")),
    ]
    again = run()
    assert (again.status, again.created_count, again.unchanged) == ("applied", 0, 3)
    assert SalesLine.objects.filter(organization=org).count() == 3
