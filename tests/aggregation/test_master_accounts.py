"""Master and child accounts through the pages: the first connection makes the master,
children are entered from it, loads record each child's error, imports refresh the
rollups, the plan and the demand analysis read them, removal drops a child."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import Membership, Organization
from aggregation.models import Connection, LoadRun, MasterAccount, PlanRow, RollupStock
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    OrganizationFactory,
    ProductFactory,
    StockFactory,
    StoreFactory,
)

pytestmark = pytest.mark.django_db

STORES = b"Store number,Name,City,State\n1,Online shop,Leeds,UK\n"
PRODUCTS = (
    b"sku,name,unit_cost,retail_price\n"
    b"85123A,WHITE HANGING HEART T-LIGHT HOLDER,1.20,2.55\n71053,WHITE METAL LANTERN,1.50,3.39\n"
)
STOCK = b"store,sku,on_hand,on_order\n1,85123A,5,0\n1,71053,40,12\n"


def csv(name, content):
    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.fixture(autouse=True)
def _jobs_run_at_commit(monkeypatch):
    """The pages queue their jobs on commit; a test's transaction never commits, so run
    those callbacks at once (what the worker would do right after the commit)."""
    from django.db import transaction

    monkeypatch.setattr(
        transaction, "on_commit", lambda callback, using=None, robust=False: callback()
    )


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def add_csv_child(
    client, name="Heartland Online", stock=STOCK, master_name="Heartland Group", currency="USD"
):
    return client.post(
        reverse("aggregation:add_account"),
        {"connection": "csv", "master_name": master_name, "child_name": name, "currency": currency,
         "stores": csv("stores.csv", STORES), "products": csv("products.csv", PRODUCTS),
         "stock": csv("stock.csv", stock)},
        follow=True,
    )  # fmt: skip


def test_the_first_connection_makes_the_master_and_loads_the_child(owner_client, owner, org):
    StoreFactory(organization=org, number="9")
    product = ProductFactory(organization=org, sku="85123-a")  # the same SKU once normalized
    StockFactory(organization=org, store__organization=org, product=product, on_hand=7, on_order=0)
    page = add_csv_child(owner_client)
    assert "Heartland Online is now connected to Heartland Group" in page.text
    assert "Done" in page.text and "3 of 3 steps" in page.text  # two children, then the rollups
    master = MasterAccount.objects.get(organization__name="Heartland Group")
    assert sorted(master.connections.values_list("child__name", flat=True)) == [
        "Heartland Online",
        "Heartland Test Mart",
    ]
    assert Membership.objects.get(user=owner, organization=master.organization).role == "owner"
    # The rollup adds the two accounts' stock of the same normalized SKU.
    assert (
        sum(
            RollupStock.objects.filter(master=master, sku="85123A").values_list(
                "on_hand", flat=True
            )
        )
        == 12
    )
    plan = owner_client.get(reverse("aggregation:plan")).text
    assert "85123A" in plan and "71053" in plan
    # The child's connection shows its last load.
    connections = owner_client.get(reverse("aggregation:connections")).text
    assert "products: products.csv" in connections


def test_children_are_entered_from_the_master_and_connections_only_from_it(
    owner_client, owner, org
):
    add_csv_child(owner_client)
    child = Organization.objects.get(name="Heartland Online")
    menu = owner_client.get(reverse("home")).text
    assert (
        "↳ Heartland Online" in menu and "↳ Heartland Test Mart" not in menu
    )  # a member of Mart already
    response = owner_client.post(
        reverse("accounts:organization_switch"), {"organization": child.pk}, follow=True
    )
    assert "You are now working in Heartland Online" in response.text
    assert (
        "Switch to Heartland Group to add connections"
        in owner_client.get(reverse("aggregation:add_account")).text
    )
    # A user of Heartland Test Mart alone cannot enter the master's other child.
    member = MembershipFactory(organization=org, role=Membership.Role.MEMBER).user
    response = logged_in(member).post(
        reverse("accounts:organization_switch"), {"organization": child.pk}
    )
    assert response.status_code == 404


def test_an_existing_account_is_proven_by_an_owners_login(owner_client, org):
    other = OrganizationFactory(name="Prairie Grocers")
    their_owner = MembershipFactory(organization=other, role=Membership.Role.OWNER).user
    url = reverse("aggregation:add_account")
    data = {"connection": "account", "master_name": "Heartland Group", "account_name": "Prairie Grocers",
            "email": their_owner.email}  # fmt: skip
    wrong = owner_client.post(url, {**data, "password": "not-the-password"})
    assert "That email and password do not log in" in wrong.text
    assert not MasterAccount.objects.exists() and not Connection.objects.exists()
    member = MembershipFactory(organization=other, role=Membership.Role.MEMBER).user
    not_owner = owner_client.post(url, {**data, "email": member.email, "password": PASSWORD})
    assert "is not an owner of an account named Prairie Grocers" in not_owner.text
    ok = owner_client.post(url, {**data, "password": PASSWORD}, follow=True)
    assert "Prairie Grocers is now connected to Heartland Group" in ok.text
    # A child belongs to at most one master.
    rival = OrganizationFactory(name="Rival Retail")
    rival_owner = MembershipFactory(organization=rival, role=Membership.Role.OWNER).user
    refused = logged_in(rival_owner).post(
        url, {**data, "master_name": "Rival Group", "password": PASSWORD}
    )
    assert "Prairie Grocers already belongs to a master account" in refused.text
    assert not Organization.objects.filter(name="Rival Group").exists()  # nothing half-made


def test_a_broken_source_is_reported_and_the_others_still_load(owner_client, org, settings):
    add_csv_child(owner_client, name="Good Shop")
    add_csv_child(owner_client, name="Broken Shop")
    # Its source breaks: the stored stock file is gone.
    from aggregation.models import SourceFile

    stock_file = SourceFile.objects.get(connection__child__name="Broken Shop", kind="stock")
    stock_file.file.storage.delete(stock_file.file.name)
    run = owner_client.post(reverse("aggregation:load"), follow=True)
    page = run.text
    assert (
        "Done, with errors" in page
        and "Broken Shop" in page
        and "the stored file is missing" in page
    )
    last = LoadRun.objects.first()
    assert (last.done, last.total, last.failed) == (4, 4, 1)
    broken = Connection.objects.get(child__name="Broken Shop")
    good = Connection.objects.get(child__name="Good Shop")
    assert broken.last_error and good.last_error == "" and good.last_loaded_at is not None
    assert RollupStock.objects.filter(child=good.child).exists()


def test_a_childs_import_refreshes_its_masters_rollups(owner_client, org):
    add_csv_child(owner_client)
    child = Organization.objects.get(name="Heartland Online")
    master = MasterAccount.objects.get()
    assert RollupStock.objects.get(master=master, child=child, sku="71053").on_hand == 40
    import tempfile
    from pathlib import Path

    from core.imports.registry import importer_for
    from core.imports.service import import_file

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "stock.csv"
        path.write_bytes(b"store,sku,on_hand,on_order\n1,71053,3,0\n")
        user = org.memberships.first().user
        import_file(
            organization=child,
            user=user,
            importer=importer_for("stock"),
            path=path,
            valid_only=True,
        )
    assert RollupStock.objects.get(master=master, child=child, sku="71053").on_hand == 3
    assert PlanRow.objects.get(master=master, sku="71053").on_hand == 3


def test_removing_a_child_drops_it_from_the_rollups(owner_client, org):
    add_csv_child(owner_client)
    connection = Connection.objects.get(child__name="Heartland Online")
    confirm = owner_client.get(reverse("aggregation:connection_remove", args=[connection.pk]))
    assert "Remove Heartland Online from Heartland Group?" in confirm.text
    assert Connection.objects.filter(pk=connection.pk).exists()  # a GET changes nothing
    owner_client.post(reverse("aggregation:connection_remove", args=[connection.pk]))
    assert not RollupStock.objects.filter(child=connection.child).exists()
    assert not PlanRow.objects.filter(sku="71053").exists()


def test_the_plan_marks_short_items_and_exports_safely(owner_client, org):
    add_csv_child(owner_client)
    master = MasterAccount.objects.get()
    PlanRow.objects.filter(master=master, sku="85123A").update(short=True, name='=HYPERLINK("x")')
    page = owner_client.get(reverse("aggregation:plan"), {"short": "on"}).text
    assert 'class="plan-item short"' in page and "71053" not in page
    export = owner_client.get(reverse("aggregation:plan_export"))
    body = b"".join(export.streaming_content).decode() if export.streaming else export.text
    assert "'=HYPERLINK" in body  # spreadsheet-safe
    # Only the accounts that stock or sell the item have a part of it.
    children = owner_client.get(reverse("aggregation:plan_children", args=["85123A"])).text
    assert "Heartland Online" in children and "Heartland Test Mart" not in children
    assert re.search(r"<td>Heartland Online</td><td>.*?</td><td>5</td><td>0</td>", children)
    item = owner_client.get(reverse("aggregation:item", args=["85123A"])).text
    assert "Sales history" in item and "Need = S \u2212 on hand 5 \u2212 on order 0" in item


def test_the_plan_pages_need_a_master(owner_client, org):
    page = owner_client.get(reverse("aggregation:plan"))
    assert "Heartland Test Mart is not a master account" in page.text
    outsider_master = MasterAccount.objects.create(
        organization=OrganizationFactory(name="Elsewhere Group")
    )
    run = LoadRun.objects.create(master=outsider_master, total=1)
    assert owner_client.get(reverse("aggregation:load_run", args=[run.pk])).status_code == 404


SETTINGS = {"lead_time_days": 14, "review_period_days": 7, "service_level": "0.99",
            "history_days": 90, "minimum_order": 0, "case_pack": 1, "reporting_currency": "USD",
            "version": 0}  # fmt: skip


def test_new_settings_are_a_draft_until_applied(owner_client, org):
    add_csv_child(owner_client)
    master = MasterAccount.objects.get()
    live = list(PlanRow.objects.filter(master=master).values_list("item", "order_quantity"))
    response = owner_client.post(reverse("aggregation:settings"), SETTINGS, follow=True)
    assert "What these settings change" in response.text
    assert "Lead time (days): 7 → <strong>14</strong>" in response.text
    assert "Apply these settings" in response.text  # the job has worked out the summary
    master.refresh_from_db()
    # The live plan and its settings are untouched by the draft.
    assert (master.lead_time_days, master.draft_settings["lead_time_days"]) == (7, 14)
    assert list(PlanRow.objects.filter(master=master).values_list("item", "order_quantity")) == live
    assert master.plan_settings["lead_time_days"] == 7

    owner_client.post(reverse("aggregation:settings_draft"), {"action": "apply", "version": 1})
    master.refresh_from_db()
    assert (master.lead_time_days, str(master.service_level), master.draft_settings) == (
        14,
        "0.990",
        {},
    )
    assert master.plan_settings["lead_time_days"] == 14  # the plan was rebuilt with them
    plan = owner_client.get(reverse("aggregation:plan")).text
    assert "lead time 14 d · review 7 d · service level 0.99" in plan


def test_a_discarded_draft_changes_nothing(owner_client, org):
    add_csv_child(owner_client)
    owner_client.post(reverse("aggregation:settings"), SETTINGS)
    assert MasterAccount.objects.get().draft_settings["lead_time_days"] == 14
    owner_client.post(reverse("aggregation:settings_draft"), {"action": "discard", "version": 1})
    master = MasterAccount.objects.get()
    assert (master.lead_time_days, master.draft_settings) == (7, {})
    bad = owner_client.post(
        reverse("aggregation:settings"), SETTINGS | {"service_level": "1.5", "version": 2}
    )
    assert "Give a service level from 0.5 to 0.999" in bad.text
    assert MasterAccount.objects.get().draft_settings == {}


def test_the_plan_filter_searches_sku_or_name_and_lists_red_rows_first(owner_client, org):
    add_csv_child(owner_client)
    master = MasterAccount.objects.get()
    rows = list(PlanRow.objects.filter(master=master).values("sku", "name"))
    PlanRow.objects.filter(master=master, sku="85123A").update(short=True)
    term = "heart"
    expected = sorted(
        (r["sku"] != "85123A", r["sku"])
        for r in rows
        if term in r["sku"].lower() or term in (r["name"] or "").lower()
    )
    page = owner_client.get(reverse("aggregation:plan"), {"q": term.upper()}).text
    shown = re.findall(r'<tbody class="plan-item[^"]*" id="plan-([^"]+)"', page)
    assert shown == [sku for _, sku in expected] and shown
    assert owner_client.get(reverse("aggregation:plan"), {"q": "no such thing"}).status_code == 200


def test_a_new_csv_child_sells_in_the_currency_chosen_for_it(owner_client, org):
    form = owner_client.get(reverse("aggregation:add_account")).text
    assert '<option value="USD" selected>' in form  # the adding account's own currency
    page = add_csv_child(owner_client, currency="GBP")
    assert "Heartland Online is now connected" in page.text
    master = MasterAccount.objects.get()
    assert Organization.objects.get(name="Heartland Online").currency == "GBP"
    # The master reports in its first child's currency until someone changes it.
    assert master.reporting_currency == "USD" and master.organization.currency == "USD"
    connections = owner_client.get(reverse("aggregation:connections")).text
    online = connections.split("Heartland Online</td>")[1].split("</td>")[0]
    assert "GBP" in online and "no rate" in online
    mart = connections.split("Heartland Test Mart</td>")[1].split("</td>")[0]
    assert "USD" in mart and "no rate" not in mart


def test_a_csv_child_in_an_unknown_currency_is_refused(owner_client, org):
    page = add_csv_child(owner_client, currency="UKP")
    assert "UKP is not a currency code we know" in page.text
    assert not MasterAccount.objects.exists()
