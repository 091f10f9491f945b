"""Each demo role's home and menu, in a browser at 1280 and 390 px: the counts shown are
recounted here from the database rows, the menu holds exactly what the role may use, and
no page scrolls sideways. One test, because seeding the demo takes a minute."""

import datetime

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Organization
from aggregation.models import MasterAccount, PlanRow
from demo.management.commands.seed_demo import PASSWORD
from inventory.models import Adjustment, Stock
from partners.models import Partnership
from tasks.models import Task, TaskUpdate
from tests.browser.conftest import snap

pytestmark = pytest.mark.django_db(transaction=True)

RETAILER_MENU = ["Home", "Inventory", "Tasks", "Organization", "Stores & Regions",
                 "3rd Party Connections", "Partner Permissions", "Members"]  # fmt: skip
MENUS = {
    "owner": [*RETAILER_MENU, "API Tokens", "Add Account"],
    "admin": [*RETAILER_MENU, "API Tokens", "Add Account"],
    "member": RETAILER_MENU,
    "merchandiser": ["Home", "Inventory", "Tasks", "Organization", "Stores & Regions",
                     "3rd Party Connections", "Members"],
    "vendor": ["Home", "Inventory", "Sell-through", "Organization", "Stores & Regions",
               "3rd Party Connections", "Members", "API Tokens", "Add Account"],
    "master": ["Home", "Inventory", "Organization", "3rd Party Connections", "Partner Permissions",
               "Members", "API Tokens", "Add Account", "Connections", "Order Plan"],
}  # fmt: skip
LOGINS = {
    "owner": ("owner@heartland.example", None),
    "admin": ("buyer@heartland.example", None),
    "member": ("clerk@heartland.example", None),
    "merchandiser": ("rep@fieldforce.example", None),
    "vendor": ("rep@diageo.example", None),
    "master": ("owner@heartland.example", "Heartland Group"),
}
# Where the demo's rep stands: next to store #1 (Rogers, Arkansas), shared with FieldForce.
ROGERS = {"latitude": 36.3729, "longitude": -94.2088}


def expected_counts():
    """The figures each home shows, counted here straight from the rows."""
    today = timezone.localdate()
    midnight = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    mart = Organization.objects.get(name="Heartland Mart")
    field = Organization.objects.get(name="FieldForce Merchandising")
    diageo = Organization.objects.get(name="Diageo Americas")
    pending = Partnership.objects.filter(status="pending")
    partners_today = Q(organization=mart, created_at__gte=midnight, actor_organization__isnull=False) & ~Q(
        actor_organization=mart
    )  # fmt: skip
    open_tasks = Task.objects.filter(organization=mart, status__in=["open", "in_progress"])
    shared = set()
    for p in Partnership.objects.filter(partner=field, status="active", scope="merchandising"):
        shared |= set(p.effective_stores().values_list("pk", flat=True))
    field_tasks = Task.objects.filter(store_id__in=shared, status__in=["open", "in_progress"])
    master = MasterAccount.objects.get(organization__name="Heartland Group")
    red = PlanRow.objects.filter(master=master, short=True)
    retailer = {
        "requests-incoming": pending.filter(partner=mart).count(),
        "requests-outgoing": pending.filter(organization=mart).count(),
        "partner-adjustments": Adjustment.objects.filter(partners_today).exclude(kind="markdown").count(),
        "partner-markdowns": Adjustment.objects.filter(partners_today, kind="markdown").count(),
        "partner-task-updates": TaskUpdate.objects.filter(partners_today).count(),
        "tasks-overdue": open_tasks.filter(due_date__lt=today).count(),
        "tasks-due-today": open_tasks.filter(due_date=today).count(),
        "stock-outs": Stock.objects.filter(organization=mart, on_hand__lte=0).count(),
        "stock-out-stores": Stock.objects.filter(organization=mart, on_hand__lte=0)
        .values("store_id").distinct().count(),
    }  # fmt: skip
    return {
        "owner": retailer,
        "admin": retailer,
        "member": retailer,
        "merchandiser": {
            "requests-incoming": pending.filter(partner=field).count(),
            "merch-tasks-today": field_tasks.filter(due_date__lte=today).count(),
            "merch-open-tasks": field_tasks.count(),
            "merch-stores": len(shared),
        },
        "vendor": {
            "requests-incoming": pending.filter(partner=diageo).count(),
            "vendor-active": Partnership.objects.filter(
                partner=diageo, scope="vendor", status="active"
            )
            .values("organization")
            .distinct()
            .count(),
        },
        "master": {
            "red-items": red.count(),
            "red-to-order": red.filter(order_quantity__gt=0).count(),
            "connection-errors": master.connections.exclude(last_error="").count(),
        },
    }


def log_in(new_page, live_server, role, width):
    page = new_page(viewport={"width": width, "height": 900})
    email, switch_to = LOGINS[role]
    page.goto(live_server.url + "/account/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    if switch_to:
        if width < 800:
            page.get_by_role("button", name="Menu").click()
        page.get_by_label("Account").select_option(label=switch_to)
        page.get_by_role("button", name="Switch").click()
        page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        switch_to or page.locator("h1").inner_text()
    )
    return page


def no_sideways_scroll(page):
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"{page.url} is {width} px wide in a {inner} px window"


def test_each_role_sees_its_own_home_and_only_the_menu_it_can_use(live_server, new_page):
    call_command("seed_demo", allow_production=True, stdout=open("/dev/null", "w"))  # noqa: SIM115
    expected = expected_counts()
    assert expected["owner"]["tasks-overdue"] > 0 and expected["owner"]["stock-outs"] > 0
    assert expected["master"]["red-items"] > 0 and expected["merchandiser"]["merch-stores"] > 0

    for role, counts in expected.items():
        for width in (1280, 390):
            page = log_in(new_page, live_server, role, width)
            for name, value in counts.items():
                expect(page.locator(f'[data-count="{name}"]')).to_have_text(str(value))
            menu = page.locator("#sidebar ul a")
            assert [text.strip() for text in menu.all_inner_texts()] == MENUS[role], role
            no_sideways_scroll(page)
            snap(page, f"home-{role}-{width}")
            if role == "merchandiser":
                use_my_location(page, width)
            if role == "master" and width == 1280:
                held = page.locator('[data-count="held-conflicts"]').inner_text()
                page.goto(live_server.url + "/load-data/plan/")
                expect(
                    page.get_by_role("button", name=f"Product matching ({held} held)")
                ).to_be_visible()
                page.goto(live_server.url + "/inventory/")
                expect(page.get_by_role("heading", level=1)).to_have_text("Inventory")
                expect(page.get_by_text("No stock yet")).to_have_count(0)
                assert page.locator("table tbody tr").count() > 0  # the rolled-up stock
                no_sideways_scroll(page)
                snap(page, "master-inventory-1280")
            page.context.close()


def use_my_location(page, width):
    """The browser's location is asked for only on the button's click (static/js/visit.js),
    then the home lists the nearest shared stores with a Check in button each."""
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation(ROGERS)
    page.evaluate(
        "() => { window.asked = 0; const real = navigator.geolocation.getCurrentPosition"
        ".bind(navigator.geolocation); navigator.geolocation.getCurrentPosition = "
        "(...a) => { window.asked++; return real(...a); }; }"
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.asked") == 0
    page.get_by_role("button", name="Use my location").click()
    expect(page.get_by_role("heading", name="Nearest shared stores")).to_be_visible()
    assert "lat=36.372900" in page.url
    expect(page.get_by_role("button", name="Check in at store 1", exact=True)).to_be_visible()
    no_sideways_scroll(page)
    snap(page, f"home-merchandiser-located-{width}")
