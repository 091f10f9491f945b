"""Through a real Celery worker on Redis: "Load data from all connections" with one
child's source broken completes the others, shows the error, and the progress bar reaches
the end in the browser."""

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from aggregation.models import Connection, LoadRun, RollupStock, SourceFile
from tests.browser.conftest import snap
from tests.browser.test_journey_inventory_real_time import logged_in_page
from tests.factories import MembershipFactory, OrganizationFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def add_child(page, name, folder):
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Add Account").click()
    form = page.locator("form").filter(has=page.get_by_label("Name of the new account"))
    form.get_by_label("Name of the new account").fill(name)
    if form.get_by_label("Name of the master account").count():
        form.get_by_label("Name of the master account").fill("Heartland Group")
    for kind in ("stores", "products", "stock"):
        form.get_by_label(
            {
                "stores": "Store list (CSV)",
                "products": "Products (CSV)",
                "stock": "Stock levels (CSV)",
            }[kind]
        ).set_input_files(str(folder / f"{kind}.csv"))
    form.get_by_role("button", name="Add the connection and load it").click()
    expect(page.get_by_text(f"{name} is now connected to Heartland Group")).to_be_visible()
    expect(page.locator("#load-progress")).to_contain_text("Done", timeout=30_000)


def test_load_all_with_one_broken_source(live_server, real_worker, new_page, password, tmp_path):
    retailer = OrganizationFactory(name="Heartland Mart", is_retailer=True)
    owner = MembershipFactory(organization=retailer, role=Membership.Role.OWNER).user
    (tmp_path / "stores.csv").write_text("Store number,Name,City\n1,Online shop,Leeds\n")
    (tmp_path / "products.csv").write_text(
        "sku,name\n85123A,WHITE HANGING HEART T-LIGHT HOLDER\n71053,WHITE METAL LANTERN\n"
    )
    (tmp_path / "stock.csv").write_text("store,sku,on_hand,on_order\n1,85123A,5,0\n1,71053,40,12\n")

    page = logged_in_page(new_page, live_server.url, owner, password)
    add_child(page, "Good Shop", tmp_path)
    add_child(page, "Broken Shop", tmp_path)
    # The broken one's source goes away (the worker reads the same media folder).
    broken = SourceFile.objects.get(connection__child__name="Broken Shop", kind="stock")
    broken.file.storage.delete(broken.file.name)

    page.get_by_role("navigation", name="Main menu").get_by_role(
        "link", name="Connections", exact=True
    ).click()
    snap(page, "connections")
    page.get_by_role("button", name="Load data from all connections").click()
    progress = page.locator("#load-progress")
    expect(progress).to_contain_text("Done, with errors", timeout=30_000)
    expect(progress).to_contain_text("Broken Shop")
    expect(progress).to_contain_text("the stored file is missing")
    bar = progress.locator("progress")
    assert (
        bar.get_attribute("value") == bar.get_attribute("max") == "4"
    )  # three children, then the rollups
    snap(page, "load-all-with-an-error")
    run = LoadRun.objects.first()
    assert (run.status, run.done, run.failed) == ("done_with_errors", 4, 1)
    good = Connection.objects.get(child__name="Good Shop")
    assert (
        good.last_error == "" and RollupStock.objects.filter(child=good.child, sku="71053").exists()
    )

    page.get_by_role("button", name="See the order plan").click()
    expect(page.get_by_role("heading", name="Order plan")).to_be_visible()
    expect(page.get_by_role("link", name="71053")).to_be_visible()
    snap(page, "order-plan")
    page.get_by_role("link", name="Connections", exact=True).first.click()
    # A failed load is called out above the table, what to fix with it; its row links there.
    broken_pk = Connection.objects.get(child__name="Broken Shop").pk
    expect(page.locator(f"#failed-{broken_pk}")).to_contain_text("the stored file is missing")
    expect(page.locator(f"#connection-{broken_pk}")).to_contain_text("Failed")
