"""Bad input, as users and files bring it: every form and every importer refuses it with an
error that names the field (for a file: the line, the column and the value) and writes
nothing. Each case compares a snapshot of every table of the apps before and after.

The bounds themselves are in core/limits.py and accounts/names.py. Shelfshare has no
API besides its forms and its imports: these are all the ways in.
"""

from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Membership
from aggregation.models import Connection, MasterAccount, PlanRow
from core.imports.registry import importer_for
from core.imports.service import ImportRefused, confirm, start_import
from tests.conftest import client_for
from tests.factories import (
    MembershipFactory,
    OrganizationFactory,
    ProductFactory,
    RegionFactory,
    StockFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db

SNAPSHOT_APPS = ("accounts", "partners", "inventory", "tasks", "aggregation")
LONG = "x" * 100_000
ZWSP, RLO = "\u200b", "\u202e"
FULL_WIDTH_ACME = "\uff21\uff43\uff4d\uff45"  # "Acme" in full-width letters


def snapshot():
    """Every row of every table of the feature apps (many-to-many tables included), as
    values. The import history is not data: a refused upload is kept there on purpose."""
    tables = {}
    for label in SNAPSHOT_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            names = [f.attname for f in model._meta.concrete_fields]
            tables[model._meta.label] = list(model.objects.order_by("pk").values_list(*names))
    return tables


@pytest.fixture
def world(db):
    """A retailer (a master account too) with a store, a product at 16.76, its stock, a
    region and a task; a merchandiser it shares store 1 with; a signed-in owner."""
    retailer = OrganizationFactory(name="Acme")
    owner = MembershipFactory(organization=retailer, role=Membership.Role.OWNER).user
    store = StoreFactory(organization=retailer, number="1", name="Main Street")
    product = ProductFactory(organization=retailer, sku="GIN-1", retail_price=Decimal("16.76"))
    stock = StockFactory(organization=retailer, store=store, product=product, on_hand=12)
    region = RegionFactory(organization=retailer, name="Ozarks")
    task = apps.get_model("tasks", "Task").objects.create(
        organization=retailer, store=store, title="Face the gin shelf"
    )
    master_org = OrganizationFactory(name="Acme Group")
    MembershipFactory(organization=master_org, user=owner, role=Membership.Role.OWNER)
    master = MasterAccount.objects.create(organization=master_org)
    Connection.objects.create(master=master, child=retailer, kind=Connection.Kind.ACCOUNT)
    PlanRow.objects.create(
        master=master, item="GIN1", sku="GIN1", name="Gin", on_hand=1, on_order=0, method="x",
        mean_daily=0, sigma=0, forecast_lead_time=0, forecast_period=0, safety_stock=0,
        reorder_point=0, order_quantity=0, short=False, computed_at="2026-01-01T00:00Z",
    )  # fmt: skip
    return {
        "retailer": retailer, "owner": owner, "store": store, "product": product,
        "stock": stock, "region": region, "task": task, "master": master,
    }  # fmt: skip


def as_owner_of(world, organization):
    client = client_for(world["owner"])
    client.post(reverse("accounts:organization_switch"), {"organization": organization.pk})
    return client


# -- Forms ------------------------------------------------------------------------------


@dataclass
class FormCase:
    url: object  # world -> url
    data: object  # world -> POST data
    field: str  # the form field the error is shown at; "" for the form's top
    message: str
    anonymous: bool = False
    master: bool = False  # posted as the master account
    prefix: str = ""
    extra: dict = field(default_factory=dict)


def _adjust(world, **data):
    return {"kind": "count", "note": "", "version": world["stock"].version, **data}


def _update(world, **data):
    return {"status": "open", "percent": 0, "version": world["task"].version, **data}


def _region(world, **data):
    return {"name": "Ozarks", "version": world["region"].version, **data}


def _signup(**data):
    return {
        "full_name": "Sam Seller", "email": "sam@shop.example",
        "password1": "a-long-unusual-passphrase", "password2": "a-long-unusual-passphrase",
        "organization_name": "Sam's Shop", "kinds": ["retailer"], **data,
    }  # fmt: skip


def _settings(world, **data):
    return {
        "lead_time_days": 7, "review_period_days": 7, "service_level": "0.95",
        "history_days": 180, "minimum_order": 0, "case_pack": 1, "reporting_currency": "USD",
        "version": world["master"].version, **data,
    }  # fmt: skip


ADJUST = lambda w: reverse("inventory:adjust", args=[w["stock"].pk])  # noqa: E731
TASK = lambda w: reverse("tasks:detail", args=[w["task"].pk])  # noqa: E731
REGION = lambda w: reverse("accounts:region_edit", args=[w["region"].pk])  # noqa: E731
SIGNUP = lambda w: reverse("accounts:signup")  # noqa: E731

FORM_CASES = {
    # Numbers within their column's range.
    "on hand below 0": FormCase(ADJUST, lambda w: _adjust(w, on_hand=-1), "on_hand",
                                "greater than or equal to 0"),
    "on hand of 2^31": FormCase(ADJUST, lambda w: _adjust(w, on_hand=2**31), "on_hand",
                                "less than or equal to 1000000000"),
    "progress of 101%": FormCase(TASK, lambda w: _update(w, percent=101), "percent",
                                 "less than or equal to 100"),
    "lead time of 10 years": FormCase(
        lambda w: reverse("aggregation:settings"), lambda w: _settings(w, lead_time_days=3650),
        "lead_time_days", "Give a lead time of 0 to 365 days.", master=True),
    "case pack of 2^31": FormCase(
        lambda w: reverse("aggregation:settings"), lambda w: _settings(w, case_pack=2**31),
        "case_pack", "A case holds 1 to 1,000,000,000 units", master=True),
    "MOQ of 2^31": FormCase(
        lambda w: reverse("aggregation:settings"), lambda w: _settings(w, minimum_order=2**31),
        "minimum_order", "Give a minimum order of 0 to 1,000,000,000 units", master=True),
    "a vendor rule's case pack of 2^31": FormCase(
        lambda w: reverse("aggregation:rules"),
        lambda w: {"vendor_name": "Luxco", "sku": "", "case_pack": 2**31},
        "case_pack", "A case holds 1 to 1,000,000,000 units.", master=True),
    # A markdown above 0 and not above the retail price, unless it is a price increase.
    "a markdown of 999.00 on a 16.76 item": FormCase(
        ADJUST, lambda w: _adjust(w, kind="markdown", price="999.00"), "price",
        "A markdown is at most the retail price (16.76). To charge more, pick the reason "
        "Price increase."),
    "a markdown to 0": FormCase(ADJUST, lambda w: _adjust(w, kind="markdown", price="0"),
                                "price", "A selling price is more than 0."),
    "a price increase to 0": FormCase(ADJUST, lambda w: _adjust(w, kind="increase", price="0"),
                                      "price", "A selling price is more than 0."),
    # Lengths limited on every text field.
    "a 100,000-character task note": FormCase(
        TASK, lambda w: _update(w, note=LONG), "note",
        "Ensure this value has at most 2000 characters (it has 100000)."),
    "100,000 characters of task instructions": FormCase(
        lambda w: reverse("tasks:new"),
        lambda w: {"title": "Reset", "instructions": LONG, "priority": "normal", "target": "store",
                   "store": "1"},
        "instructions", "Ensure this value has at most 5000 characters (it has 100000)."),
    "an adjustment note of 501 characters": FormCase(
        ADJUST, lambda w: _adjust(w, on_hand=3, note="n" * 501), "note",
        "Ensure this value has at most 500 characters"),
    "a 100,000-character region rule": FormCase(
        REGION, lambda w: _region(w, rule_postal_prefixes_text=LONG), "rule_postal_prefixes_text",
        "Ensure this value has at most 2000 characters (it has 100000)."),
    "a region rule of 101 prefixes": FormCase(
        REGION, lambda w: _region(w, rule_postal_prefixes_text=",".join(["7"] * 101)),
        "rule_postal_prefixes_text", "At most 100 postal-code prefixes in a rule (this has 101)."),
    "a banner longer than any store's": FormCase(
        REGION, lambda w: _region(w, rule_banners_text="b" * 101), "rule_banners_text",
        "Each of the banners is at most 100 characters."),
    "a region name of 121 characters": FormCase(
        REGION, lambda w: _region(w, name="r" * 121), "name",
        "Ensure this value has at most 120 characters"),
    "a store name of 201 characters": FormCase(
        lambda w: reverse("accounts:store_edit", args=[w["store"].pk]),
        lambda w: {"number": "1", "country": "US", "name": "s" * 201,
                   "version": w["store"].version},
        "name", "Ensure this value has at most 200 characters"),
    # Organization names: normal form, no invisible characters, unique on that form.
    "a sign-up name with a zero-width space": FormCase(
        SIGNUP, lambda w: _signup(organization_name=f"Ac{ZWSP}me"), "organization_name",
        "Acme is already on Shelfshare. Ask one of its admins to invite you instead.",
        anonymous=True),
    "a sign-up name in full-width letters": FormCase(
        SIGNUP, lambda w: _signup(organization_name=FULL_WIDTH_ACME), "organization_name",
        "Acme is already on Shelfshare.", anonymous=True),
    "a sign-up name with a right-to-left override": FormCase(
        SIGNUP, lambda w: _signup(organization_name=f"ACME{RLO}"), "organization_name",
        "Acme is already on Shelfshare.", anonymous=True),
    "a sign-up name of only invisible characters": FormCase(
        SIGNUP, lambda w: _signup(organization_name=f"{ZWSP}{RLO}\u2066"), "organization_name",
        "Give a name with letters or digits that show.", anonymous=True),
    "a new organization's look-alike name": FormCase(
        lambda w: reverse("accounts:organization_create"),
        lambda w: {"organization_name": f" acme{ZWSP} ", "kinds": ["vendor"]},
        "organization_name", "Acme is already on Shelfshare."),
    "a rename to a look-alike": FormCase(
        lambda w: reverse("accounts:organization_settings"),
        lambda w: {"name": "acme \uff27roup", "currency": "USD"}, "name",
        "Acme Group is already on Shelfshare: choose another name."),
    "an invited partner's look-alike name": FormCase(
        lambda w: reverse("partners:invite_request"),
        lambda w: {"invite-company_name": f"acme{ZWSP}", "invite-email": "a@b.example",
                   "invite-scope": "merchandising"},
        "invite-company_name", "Acme is already on Shelfshare: find it by name above"),
    "Add Account's look-alike child name": FormCase(
        lambda w: reverse("aggregation:add_account"),
        lambda w: {"connection": "csv", "child_name": f"ACME{ZWSP}", "currency": "USD",
                   "stores": SimpleUploadedFile("s.csv", b"Store Number\n1\n")},
        "", "An organization named Acme already exists: choose another account name.",
        master=True),
}  # fmt: skip


def field_error(html, form_field):
    """The text of the error shown at a field (includes/form.html)."""
    marker = f'id="id_{form_field}_error">'
    assert marker in html, f"no error shown at {form_field}"
    return html.split(marker, 1)[1].split("</small>", 1)[0]


@pytest.mark.parametrize("case", FORM_CASES.values(), ids=FORM_CASES.keys())
def test_a_form_refuses_bad_input_naming_the_field_and_writes_nothing(world, case):
    from django.test import Client

    if case.anonymous:
        client = Client()
    else:
        client = as_owner_of(
            world, world["master"].organization if case.master else world["retailer"]
        )
    before = snapshot()
    response = client.post(case.url(world), case.data(world))
    assert response.status_code == 200, response.status_code
    html = response.text
    if case.field:
        assert case.message in field_error(html, case.field)
    else:
        top = html.split('class="form-errors" role="alert">', 1)[1].split("</div>", 1)[0]
        assert case.message in top
    assert snapshot() == before


def test_a_price_increase_may_go_above_the_retail_price(world):
    client = as_owner_of(world, world["retailer"])
    response = client.post(ADJUST(world), _adjust(world, kind="increase", price="18.99"))
    assert response.status_code == 302
    world["stock"].refresh_from_db()
    assert world["stock"].current_price == Decimal("18.99")


def test_a_region_rule_at_its_bounds_still_lists_the_region(world):
    """The Regions page answered 500 on SQLite with a 100,000-character rule: at the
    bounds (100 prefixes of the longest length, plus states and banners) it answers."""
    client = as_owner_of(world, world["retailer"])
    prefixes = ", ".join(f"{n:05d}" for n in range(100))
    response = client.post(REGION(world), _region(world, rule_postal_prefixes_text=prefixes,
                           rule_states_text=", ".join(f"S{n}" for n in range(100)),
                           rule_banners_text=", ".join(f"Banner {n}" for n in range(100))))  # fmt: skip
    assert response.status_code == 302
    page = client.get(reverse("accounts:regions"))
    assert page.status_code == 200 and "Ozarks" in page.text
    assert (
        client.get(reverse("accounts:region_detail", args=[world["region"].pk])).status_code == 200
    )


def test_a_name_with_a_right_to_left_override_is_stored_as_typed_without_it(client, world):
    """U+202E shows "\u202eemcA" as "Acme": without it, it is stored and shown "emcA"."""
    response = client.post(reverse("accounts:signup"), _signup(organization_name=f"{RLO}emcA"))
    assert response.status_code == 302
    assert apps.get_model("accounts", "Organization").objects.filter(name="emcA").exists()


# -- Importers --------------------------------------------------------------------------


@dataclass
class FileCase:
    kind: str
    csv: str
    column: str
    message: str  # names the value
    line: int = 2


FILE_CASES = {
    "a negative on order": FileCase(
        "stock", "Store,SKU,On hand,On order\n1,GIN-1,5,-1\n", "On order", "-1 is below 0"),
    "a negative on hand": FileCase(
        "stock", "Store,SKU,On hand\n1,GIN-1,-3\n", "On hand", "-3 is below 0"),
    "an on hand of 2^31": FileCase(
        "stock", "Store,SKU,On hand\n1,GIN-1,2147483648\n", "On hand",
        "2147483648 is more than 1,000,000,000"),
    "an on order past the maximum": FileCase(
        "stock", "Store,SKU,On hand,On order\n1,GIN-1,5,1000000001\n", "On order",
        "1000000001 is more than 1,000,000,000"),
    "a markdown above the retail price": FileCase(
        "stock", "Store,SKU,On hand,Markdown price\n1,GIN-1,5,999.00\n", "Markdown price",
        "999.00 is above the retail price of GIN-1 (16.76)"),
    "a markdown to 0": FileCase(
        "stock", "Store,SKU,On hand,Markdown price\n1,GIN-1,5,0\n", "Markdown price",
        "0 is not above 0"),
    "a case pack of 2^31": FileCase(
        "products", "SKU,Name,Case pack\nGIN-2,Gin,2147483648\n", "Case pack",
        "2147483648 is more than 1,000,000,000"),
    "a product name of 256 characters": FileCase(
        "products", f"SKU,Name\nGIN-2,{'n' * 256}\n", "Name",
        f"'{'n' * 40}…' is longer than 255 characters (256)"),
    "a unit of 21 characters": FileCase(
        "products", f"SKU,Name,Unit\nGIN-2,Gin,{'u' * 21}\n", "Unit",
        f"'{'u' * 21}' is longer than 20 characters (21)"),
    "a retail price past the column": FileCase(
        "products", "SKU,Name,Retail price\nGIN-2,Gin,10000000000\n", "Retail price",
        "10000000000 is out of range"),
    "a sale of two billion units": FileCase(
        "sales", "Date,Store,SKU,Quantity,Sales amount\n2026-01-02,1,GIN-1,2000000000,1.00\n",
        "Quantity", "2000000000 is more than 1,000,000,000"),
    "a sale whose amount overflows": FileCase(
        "sales", "Date,Store,SKU,Quantity,Unit price\n2026-01-02,1,GIN-1,999999999,9999\n",
        "Sales amount", "is out of range"),
    "a customer reference of 81 characters": FileCase(
        "sales", f"Date,Store,SKU,Quantity,Sales amount,Customer\n2026-01-02,1,GIN-1,1,1.00,{'c' * 81}\n",
        "Customer", "is longer than 80 characters (81)"),
    "a store name of 201 characters": FileCase(
        "stores", f"Store Number,Name\n2,{'s' * 201}\n", "Name",
        "is longer than 200 characters (201)"),
}  # fmt: skip


@pytest.mark.parametrize("case", FILE_CASES.values(), ids=FILE_CASES.keys())
def test_an_import_refuses_bad_input_naming_line_column_and_value_and_writes_nothing(world, case):
    importer = importer_for(case.kind)
    before = snapshot()
    batch = start_import(
        organization=world["retailer"], user=world["owner"], importer=importer,
        uploaded_file=SimpleUploadedFile("bad.csv", case.csv.encode()),
    )  # fmt: skip
    assert batch.error_count == 1, batch.errors
    error = batch.errors[0]
    assert (error["line"], error["column"]) == (case.line, case.column), error
    assert case.message in error["message"], error
    with pytest.raises(ImportRefused, match="1 rows have errors, so nothing was imported"):
        confirm(batch=batch, importer=importer, user=world["owner"], valid_only=False)
    assert snapshot() == before


def test_the_import_page_shows_the_line_column_and_value(world):
    client = as_owner_of(world, world["retailer"])
    client.post(
        reverse("accounts:import_upload", args=["stock"]),
        {"file": SimpleUploadedFile("bad.csv", b"Store,SKU,On hand,On order\n1,GIN-1,5,-1\n")},
    )
    batch = apps.get_model("core", "ImportBatch").objects.latest("pk")
    page = client.get(reverse("accounts:import_detail", args=[batch.pk])).text
    assert "On order" in page and "-1 is below 0" in page and ">2<" in page
