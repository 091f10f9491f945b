"""What the load test adds to the demo data (seed_demo), and what it tells locust.

seed_demo gives one login per role; fifty simulated users need more, so each role gets a
few more logins in the demo's organizations, made as seed_demo makes its own. The reps get
a campaign over Arkansas (inside FieldForce's merchandising geography) besides the demo's
pilot tasks, so most of their updates spread over many tasks while some meet on the same
ones. Everything locust picks from (stock rows, tasks, products, stores) is chosen here
through the app's own access policy and written to one JSON file.

Imported once Django is set up (bench/loadtest/run.py)."""

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, Organization, Region, Store, User
from aggregation.models import MasterAccount, PlanRow
from demo.management.commands.seed_demo import PASSWORD
from inventory.models import Product, Stock
from inventory.selectors import visible_stock
from partners.access import access_for
from tasks import services as task_services
from tasks.models import Task

Role = Membership.Role

# Rows and tasks every rep picks from often: several reps adjust and update them at once.
HOT_STOCK_ROWS = 8
HOT_TASKS = 4
# The rest of what reps work on, and what owners and vendors read.
STOCK_ROWS = 200
CAMPAIGN_STORES = 40
PRODUCTS = 60


def prepare() -> dict:
    """Add the load test's logins and tasks (once) and return the config for locust."""
    with transaction.atomic():
        retailer = Organization.objects.get(name="Heartland Mart")
        merchandiser = Organization.objects.get(name="FieldForce Merchandising")
        vendor = Organization.objects.get(name="Diageo Americas")
        master = MasterAccount.objects.select_related("organization").get(
            connections__child=retailer
        )
        owner = User.objects.get(email="owner@heartland.example")
        logins = {
            "owners": [
                "owner@heartland.example",
                "buyer@heartland.example",
                *_logins(retailer, "owner", "heartland", 4, Role.OWNER),
            ],
            "reps": [
                "rep@fieldforce.example",
                *_logins(merchandiser, "rep", "fieldforce", 9, Role.MEMBER),
            ],
            "vendors": ["rep@diageo.example", *_logins(vendor, "vendor", "diageo", 3, Role.OWNER)],
            # Users of the master account alone: they land on it when they log in.
            "planners": _logins(master.organization, "planner", "heartland", 2, Role.OWNER),
        }
        _campaign(retailer, owner)
        return {
            "password": PASSWORD,
            **logins,
            "retailer_id": retailer.pk,
            **_stock(retailer, merchandiser),
            **_tasks(retailer, merchandiser),
            **_products(retailer, vendor),
            "owner_store_numbers": _store_numbers(
                Stock.objects.filter(organization=retailer).values("store")
            ),
            "plan_items": list(
                PlanRow.objects.filter(master=master)
                .order_by("-on_hand")
                .values_list("item", flat=True)[:PRODUCTS]
            ),
        }


def _logins(organization, kind, domain, count, role):
    emails = []
    for n in range(1, count + 1):
        email = f"loadtest-{kind}-{n}@{domain}.example"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email=email, password=PASSWORD, full_name=f"Load {kind.title()} {n}"
        )
        Membership.objects.update_or_create(
            user=user, organization=organization, defaults={"role": role}
        )
        emails.append(email)
    return emails


def _campaign(retailer, owner):
    arkansas = Region.objects.get(organization=retailer, name="Arkansas")
    if Task.objects.filter(organization=retailer, campaign__region=arkansas).exists():
        return
    task_services.create_tasks(
        owner=retailer,
        actor=owner,
        stores=arkansas.effective_stores()[:CAMPAIGN_STORES],
        region=arkansas,
        fields=task_services.TaskFields(
            title="Spring reset: count the bourbon bay",
            instructions="Count the bay after the reset and note any gaps.",
            due_date=timezone.localdate() + datetime.timedelta(days=10),
        ),
    )


def _stock(retailer, merchandiser):
    """Rows FieldForce may adjust (its merchandising geography), by the access policy."""
    access = access_for(viewer=merchandiser, owner=retailer)
    rows = [
        (pk, store_id, retail)
        for pk, store_id, retail in visible_stock(access)
        .order_by("store_id", "product_id")
        .values_list("pk", "store_id", "product__retail_price")
        if access.may_adjust_at(store_id)
    ]
    if len(rows) < HOT_STOCK_ROWS * 2:
        raise SystemExit(f"Only {len(rows)} stock rows are in FieldForce's geography.")
    step = max(1, len(rows) // STOCK_ROWS)
    picked = rows[::step][:STOCK_ROWS]
    return {
        "hot_stock": [pk for pk, _, _ in picked[:HOT_STOCK_ROWS]],
        "stock": [pk for pk, _, _ in picked[HOT_STOCK_ROWS:]],
        "retail_prices": {str(pk): str(retail) for pk, _, retail in picked if retail},
        "rep_store_numbers": _store_numbers([store_id for _, store_id, _ in picked]),
    }


def _tasks(retailer, merchandiser):
    """Open tasks in FieldForce's geography: the demo's pilot tasks are the hot ones."""
    access = access_for(viewer=merchandiser, owner=retailer)
    open_tasks = Task.objects.filter(
        organization=retailer, store_id__in=access.task_store_ids(), status__in=Task.OPEN
    ).order_by("pk")
    pilot = list(open_tasks.filter(campaign__region__name="Northwest Arkansas pilot")[:HOT_TASKS])
    rest = list(open_tasks.exclude(pk__in=[t.pk for t in pilot]))
    return {"hot_tasks": [t.pk for t in pilot], "tasks": [t.pk for t in rest]}


def _products(retailer, vendor):
    stocked = Product.objects.filter(organization=retailer, stock__isnull=False).distinct()
    return {
        "products": list(stocked.order_by("pk").values_list("pk", flat=True)[:PRODUCTS]),
        "vendor_products": list(
            stocked.filter(vendor_organization=vendor)
            .order_by("pk")
            .values_list("pk", flat=True)[:PRODUCTS]
        ),
    }


def _store_numbers(store_ids):
    return list(
        Store.objects.filter(pk__in=store_ids).by_number().values_list("number", flat=True)[:60]
    )
