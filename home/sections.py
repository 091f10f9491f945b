"""What each kind of organization sees first: the figures and to-dos of its home page.

One function per section; each reads only the current organization's rows or what the
access policy shares with it (partners/access.py), in a fixed number of queries however
many rows there are. A section is a dict the template of the same name shows.
"""

import datetime

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from aggregation.abilities import master_of
from aggregation.matching import matching_for
from aggregation.models import PlanRow
from core.models import ImportBatch
from inventory import analytics
from inventory.models import Adjustment, Stock
from partners.access import accesses_for
from partners.models import Partnership
from tasks import geo
from tasks.models import Task, TaskUpdate
from tasks.services import visitable_stores

Status = Partnership.Status
NEAREST_RADIUS_M = 50_000  # "nearest" on the home: anything within a drive, not only in-store
NEAREST_LIMIT = 5
SHOWN = 5


def start_of_day(day):
    """Midnight of `day` in the site's time zone, as an aware datetime."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def sections_for(membership, *, lat=None, lon=None, today=None):
    """The home's sections, in order: the master's (it owns no stores of its own), then
    requests waiting (every kind of partner answers them), then retailer, merchandiser and
    vendor, each when the organization is that kind."""
    organization = membership.organization
    today = today or timezone.localdate()
    sections = []
    master = master_of(organization)
    if master is not None:
        sections.append(("master", master_section(master)))
    else:
        sections.append(("requests", requests_section(organization)))
        if organization.is_retailer:
            sections.append(("retailer", retailer_section(organization, today)))
    if organization.is_merchandiser:
        sections.append(("merchandiser", merchandiser_section(organization, today, lat, lon)))
    if organization.is_vendor:
        sections.append(("vendor", vendor_section(organization)))
    return sections


# -- Every organization that is not a master -----------------------------------------------


def requests_section(organization):
    """Partner requests waiting for an answer, both ways: those the organization made that
    the partner has not answered, and those made to it."""
    pending = Partnership.objects.filter(status=Status.PENDING).filter(
        Q(organization=organization) | Q(partner=organization)
    )
    rows = list(
        pending.select_related("organization", "partner").order_by("-requested_at", "-pk")[:SHOWN]
    )
    counts = pending.aggregate(
        outgoing=Count("pk", filter=Q(organization=organization)),
        incoming=Count("pk", filter=Q(partner=organization)),
    )
    for row in rows:
        row.incoming = row.partner_id == organization.pk
    return {**counts, "rows": rows}


# -- Retailer ------------------------------------------------------------------------------


def retailer_section(organization, today):
    since = start_of_day(today)
    by_partners = (
        Q(organization=organization, created_at__gte=since)
        & Q(actor_organization__isnull=False)
        & ~Q(actor_organization=organization)
    )
    activity = Adjustment.objects.filter(by_partners).aggregate(
        markdowns=Count("pk", filter=Q(kind=Adjustment.Kind.MARKDOWN)),
        adjustments=Count("pk", filter=~Q(kind=Adjustment.Kind.MARKDOWN)),
    )
    activity["task_updates"] = TaskUpdate.objects.filter(by_partners).count()
    tasks = (
        Task.objects.for_org(organization)
        .open()
        .aggregate(
            overdue=Count("pk", filter=Q(due_date__lt=today)),
            due_today=Count("pk", filter=Q(due_date=today)),
            due_week=Count(
                "pk", filter=Q(due_date__gt=today, due_date__lte=today + datetime.timedelta(days=6))
            ),
        )
    )
    stock_outs = Stock.objects.filter(organization=organization, on_hand__lte=0).aggregate(
        items=Count("pk"), stores=Count("store_id", distinct=True)
    )
    imports = list(
        ImportBatch.objects.for_org(organization)
        .select_related("uploaded_by")
        .order_by("-created_at", "-pk")[:SHOWN]
    )
    return {
        "activity": activity,
        "activity_total": sum(activity.values()),
        "tasks": tasks,
        "today": today,
        "stock_outs": stock_outs,
        "imports": imports,
    }


# -- Merchandiser --------------------------------------------------------------------------


def merchandiser_section(organization, today, lat=None, lon=None):
    """The tasks of today in the stores retailers share for merchandising, by store; the
    nearest of those stores once the browser gave its location; and what its reps adjusted
    lately, in stores still shared."""
    accesses = [a for a in accesses_for(organization) if a.task_store_ids()]
    tasks_q = Q(pk__in=[])
    adjusted_q = Q(pk__in=[])
    for access in accesses:
        ids = sorted(access.task_store_ids())
        tasks_q |= Q(organization=access.owner, store_id__in=ids)
        adjusted_q |= Q(organization=access.owner, store_id__in=ids)
    shared_tasks = Task.objects.filter(tasks_q).open()
    by_store = list(
        shared_tasks.filter(due_date__lte=today)
        .values("store_id", "store__number", "store__name", "store__city", "organization__name")
        .annotate(tasks=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today)))
        .order_by("organization__name", "store__number")
    )
    open_count = shared_tasks.count() if accesses else 0
    nearest = None
    store_count = 0
    if accesses or organization.is_retailer:
        _, stores = visitable_stores(organization)
        store_count = stores.count()
        if lat is not None and lon is not None:
            nearest = geo.nearest_stores(stores, lat, lon, NEAREST_RADIUS_M, limit=NEAREST_LIMIT)
    adjustments = list(
        Adjustment.objects.filter(adjusted_q, actor_organization=organization)
        .select_related("store", "product", "organization", "actor")
        .order_by("-created_at", "-pk")[:8]
    ) if accesses else []  # fmt: skip
    return {
        "owners": len(accesses),
        "by_store": by_store,
        "due_today": sum(row["tasks"] for row in by_store),
        "open_count": open_count,
        "nearest": nearest,
        "store_count": store_count,
        "lat": lat,
        "lon": lon,
        "radius_km": NEAREST_RADIUS_M // 1000,
        "check_in_radius": settings.VISIT_RADIUS_METERS,
        "adjustments": adjustments,
    }


# -- Vendor --------------------------------------------------------------------------------


def vendor_section(organization):
    """Each retailer that asked to share its data with the vendor, with the latest share's
    status; and sell-through and aging at a glance (inventory/analytics.py, when present)."""
    latest = {}
    for share in (
        Partnership.objects.filter(partner=organization, scope=Partnership.Scope.VENDOR)
        .select_related("organization")
        .order_by("requested_at", "pk")
    ):
        latest[share.organization_id] = share
    retailers = sorted(latest.values(), key=lambda share: share.organization.name.casefold())
    return {
        "retailers": retailers,
        "active": sum(1 for share in retailers if share.status == Status.ACTIVE),
        "glance": _glance(organization),
    }


def _glance(organization):
    """Vendor analytics at a glance (inventory/analytics.py)."""
    return analytics.glance(organization)


# -- Master account ------------------------------------------------------------------------


def master_section(master):
    red = PlanRow.objects.filter(master=master, short=True)
    figures = red.aggregate(items=Count("pk"), to_order=Count("pk", filter=Q(order_quantity__gt=0)))
    connections = list(master.connections.select_related("child").order_by("child__name"))
    return {
        "master": master,
        "red": figures,
        "red_rows": list(red.order_by("-order_quantity", "sku")[:SHOWN]),
        "plan_built": master.plan_computed_at is not None,
        "held": len(matching_for(master).held),
        "connections": connections,
        "errors": sum(1 for c in connections if c.last_error),
        "last_run": master.load_runs.first(),
    }
