"""The README's promise: after `make run`, a demo login works in a browser."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from demo.management.commands.seed_demo import PASSWORD
from tests.browser.conftest import snap

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_demo_login_works_and_the_shell_is_whole(live_server, new_page):
    call_command("seed_demo", allow_production=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    page = new_page()
    page.goto(live_server.url + "/")
    expect(page).to_have_url(f"{live_server.url}/account/login/?next=/")
    page.get_by_label("Email").fill("owner@heartland.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Heartland Mart")
    # The retailer's home: its stores' stock-outs, counted from the real files' stock.
    expect(page.get_by_role("heading", name="Your stores today")).to_be_visible()

    # htmx is loaded from our own static files, and sends the CSRF token.
    assert page.evaluate("typeof window.htmx") == "object"
    headers = page.locator("body").get_attribute("hx-headers")
    assert '"X-CSRFToken"' in headers

    # Every menu entry leads to a page that says what it is, never a 404.
    menu = page.get_by_role("navigation", name="Main menu")
    for entry in [
        "Inventory",
        "Tasks",
        "Stores & Regions",
        "3rd Party Connections",
        "Partner Permissions",
        "Add Account",
        "Members",
        "Home",
    ]:
        menu.get_by_role("link", name=entry, exact=True).click()
        expect(page.get_by_role("heading", level=1)).not_to_have_text("Page not found")
        expect(menu.get_by_role("link", name=entry, exact=True)).to_have_attribute(
            "aria-current", "page"
        )
    snap(page, "demo-home")
