"""Load Data: connections of a master account, loading them, the order plan and the demand
analysis. Every page but Add Account needs the current account to be a master."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.tenancy import organization_required
from aggregation import money, plans, services
from aggregation.charts import demand_chart
from aggregation.forms import (
    AccountConnectionForm,
    CsvConnectionForm,
    ExchangeRateForm,
    MasterSettingsForm,
    PlanFilter,
)
from aggregation.models import Connection, MasterAccount, PlanRow, RollupSales, RollupStock
from core.exports import csv_response

PAGE_SIZE = 50
MANAGERS = ("owner", "admin")


def master_required(view):
    """The current account must be a master; otherwise a page that says what to do."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        master = MasterAccount.objects.filter(organization=request.organization).first()
        if master is None and kwargs:
            raise Http404(
                "No such object."
            )  # another account's ids: the same as ids that do not exist
        if master is None:
            return render(
                request,
                "aggregation/not_master.html",
                {"child_of": _child_of(request.organization)},
            )
        return view(request, master, *args, **kwargs)

    return organization_required()(wrapped)


def _child_of(organization):
    connection = (
        Connection.objects.filter(child=organization).select_related("master__organization").first()
    )
    return connection.master.organization if connection else None


# -- Add Account -----------------------------------------------------------------------


@organization_required(*MANAGERS)
def add_account(request):
    organization = request.organization
    child_of = _child_of(organization)
    is_master = MasterAccount.objects.filter(organization=organization).exists()
    which = request.POST.get("connection") if request.method == "POST" else None
    csv_form = CsvConnectionForm(
        request.POST if which == "csv" else None,
        request.FILES if which == "csv" else None,
        initial={"currency": organization.currency},
    )
    account_form = AccountConnectionForm(request.POST if which == "account" else None)
    master_name = request.POST.get("master_name", "")
    if request.method == "POST" and child_of is None:
        try:
            if which == "csv" and csv_form.is_valid():
                data = csv_form.cleaned_data
                master, connection = services.add_csv_connection(
                    organization=organization, user=request.user, child_name=data["child_name"],
                    files={kind: data[kind] for kind in ("stores", "products", "stock", "sales")},
                    master_name=master_name, currency=data["currency"],
                )  # fmt: skip
                return _connected(request, master, connection, load=True)
            if which == "account" and account_form.is_valid():
                data = account_form.cleaned_data
                master, connection = services.add_account_connection(
                    request=request, organization=organization, user=request.user, account_name=data["account_name"],
                    email=data["email"], password=data["password"], master_name=master_name,
                )  # fmt: skip
                return _connected(request, master, connection, load=False)
        except services.ConnectionRefused as refused:
            (csv_form if which == "csv" else account_form).add_error(None, str(refused))
    return render(
        request,
        "aggregation/add_account.html",
        {"csv_form": csv_form, "account_form": account_form, "child_of": child_of, "is_master": is_master,
         "master_name": master_name or f"{organization.name} Group", "which": which},
    )  # fmt: skip


def _connected(request, master, connection, *, load):
    from accounts.tenancy import switch_organization

    switch_organization(request, master.organization)
    messages.success(
        request, f"{connection.child.name} is now connected to {master.organization.name}."
    )
    if load:
        run = services.start_load(master, request.user)
        return redirect(run)
    from aggregation.jobs import refresh_rollups

    refresh_rollups.delay_on_commit(master.pk)
    return redirect("aggregation:connections")


# -- Connections and loading -----------------------------------------------------------


@master_required
def connections(request, master):
    gaps = {gap.child.pk: gap for gap in money.rate_gaps(master)}
    children = list(master.connections.select_related("child").prefetch_related("files"))
    for connection in children:
        connection.rate_gap = gaps.get(connection.child_id)
    return render(
        request,
        "aggregation/connections.html",
        {
            "master": master,
            "connections": children,
            "last_run": master.load_runs.first(),
            "may_manage": request.membership.role in MANAGERS,
        },
    )


@master_required
def connection_remove(request, master, connection_id):
    connection = master.connections.select_related("child").filter(pk=connection_id).first()
    if connection is None:
        raise Http404("No such connection.")
    if request.membership.role not in MANAGERS:
        raise Http404("No such connection.")
    if request.method == "POST":
        services.remove_connection(connection)
        messages.success(
            request, f"{connection.child.name} is no longer part of {master.organization.name}."
        )
        return redirect("aggregation:connections")
    return render(
        request, "aggregation/connection_remove.html", {"master": master, "connection": connection}
    )


@require_POST
@master_required
def load(request, master):
    run = services.start_load(master, request.user)
    return redirect(run)


@master_required
def load_run(request, master, load_run_id):
    run = master.load_runs.filter(pk=load_run_id).first()
    if run is None:
        raise Http404("No such load.")
    template = "aggregation/load_run.html#progress" if request.htmx else "aggregation/load_run.html"
    return render(request, template, {"run": run, "master": master})


# -- The order plan and the demand analysis --------------------------------------------


@master_required
def plan(request, master):
    plan_filter = PlanFilter(request.GET, queryset=PlanRow.objects.filter(master=master))
    page = Paginator(plan_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "aggregation/plan.html",
        {"master": master, "filter": plan_filter, "page": page, "filter_query": query.urlencode(),
         "has_rows": PlanRow.objects.filter(master=master).exists(), "children": master.connections.count()},
    )  # fmt: skip


PLAN_COLUMNS = [
    ("sku", "SKU"), ("name", "Item"), ("on_hand", "On hand"), ("on_order", "On order"),
    ("forecast_lead_time", "Forecast over lead time"), ("forecast_period", "Forecast over lead time + review"),
    ("safety_stock", "Safety stock"), ("reorder_point", "Reorder point"), ("order_quantity", "Order quantity"),
    ("short", "Short"), ("method", "Forecast method"),
]  # fmt: skip


@master_required
def plan_export(request, master):
    plan_filter = PlanFilter(request.GET, queryset=PlanRow.objects.filter(master=master))
    rows = (
        [
            getattr(row, key) if key != "short" else ("yes" if row.short else "")
            for key, _ in PLAN_COLUMNS
        ]
        for row in plan_filter.qs.iterator(chunk_size=2000)
    )
    return csv_response(
        f"order-plan-{master.organization.slug}", [label for _, label in PLAN_COLUMNS], rows
    )


@master_required
def plan_children(request, master, sku):
    """One SKU's plan figures for each child account (the expanded row)."""
    children = []
    stock = {
        row["child_id"]: row
        for row in RollupStock.objects.filter(master=master, sku=sku).values(
            "child_id", "on_hand", "on_order"
        )
    }
    for connection in master.connections.select_related("child"):
        history = plans.series(master, sku=sku, child_id=connection.child_id).get(sku, [])
        figures = stock.get(connection.child_id, {"on_hand": 0, "on_order": 0})
        _, line = plans.line_for(master, history, figures["on_hand"], figures["on_order"])
        children.append({"child": connection.child, "line": line})
    return render(request, "aggregation/_plan_children.html", {"children": children, "sku": sku})


@master_required
def item(request, master, sku):
    row = PlanRow.objects.filter(master=master, sku=sku).first()
    if row is None:
        raise Http404("No such item.")
    start, end = plans.history_window(master)
    history = plans.series(master, sku=sku).get(sku, [])
    result, _ = plans.line_for(master, history, row.on_hand, row.on_order)
    lines = (
        RollupSales.objects.filter(master=master, sku=sku, date__range=(start, end))
        .select_related("child")
        .order_by("-date", "child__name")
    )
    by_child = (
        RollupSales.objects.filter(master=master, sku=sku, date__range=(start, end))
        .values("child__name")
        .annotate(quantity=Sum("quantity"), amount=Sum("retail_amount"))
        .order_by("child__name")
    )
    return render(
        request,
        "aggregation/item.html",
        {"master": master, "row": row, "lines": lines[:400], "by_child": by_child, "forecast": result,
         "chart": demand_chart(history, result.forecast, end), "start": start, "end": end},
    )  # fmt: skip


@master_required
def settings_page(request, master):
    if request.membership.role not in MANAGERS:
        raise Http404("No such page.")
    form = MasterSettingsForm(request.POST or None, instance=master)
    if request.method == "POST" and form.is_valid():
        services.save_master_settings(master=form.save(commit=False))
        plans.rebuild(master)
        messages.success(request, "Saved. The order plan is recalculated with these settings.")
        return redirect("aggregation:plan")
    return render(
        request,
        "aggregation/settings.html",
        {"form": form, "master": master, "rate_gaps": money.rate_gaps(master)},
    )


# -- Exchange rates --------------------------------------------------------------------


@master_required
def rates(request, master):
    """The master's dated rates into its reporting currency: everyone reads them, owners and
    admins add and delete them."""
    may_manage = request.membership.role in MANAGERS
    if request.method == "POST" and not may_manage:
        raise PermissionDenied("Your role in this organization does not allow this.")
    gaps = money.rate_gaps(master)
    by_currency = _children_by_currency(master)
    # Propose a currency that needs a rate, else one a child sells in: never the reporting one.
    proposed = [gap.currency for gap in gaps] + [
        code for code, _ in by_currency if code != master.reporting_currency
    ]
    form = ExchangeRateForm(
        request.POST or None, master=master, initial={"currency": proposed[0]} if proposed else {}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rate = services.add_exchange_rate(
                master=master, user=request.user, currency=data["currency"],
                valid_from=data["valid_from"], rate=data["rate"],
            )  # fmt: skip
        except services.RateRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                f"Added: 1 {rate.currency} = {rate.rate_display} {master.reporting_currency} "
                f"from {rate.valid_from:%Y-%m-%d}.",
            )
            return redirect("aggregation:rates")
    return render(
        request,
        "aggregation/rates.html",
        {"master": master, "rates": master.exchange_rates.select_related("created_by"),
         "form": form if may_manage else None, "may_manage": may_manage, "rate_gaps": gaps,
         "children_by_currency": by_currency},
    )  # fmt: skip


def _children_by_currency(master):
    """[(currency, [child names])], the reporting currency first."""
    found = {}
    for connection in master.connections.select_related("child"):
        found.setdefault(connection.child.currency, []).append(connection.child.name)
    return sorted(found.items(), key=lambda item: (item[0] != master.reporting_currency, item[0]))


@master_required
def rate_delete(request, master, exchange_rate_id):
    rate = master.exchange_rates.filter(pk=exchange_rate_id).first()
    if rate is None or request.membership.role not in MANAGERS:
        raise Http404("No such rate.")
    if request.method == "POST":
        services.delete_exchange_rate(rate=rate)
        messages.success(
            request,
            f"Deleted the {rate.currency} rate from {rate.valid_from:%Y-%m-%d}.",
        )
        return redirect("aggregation:rates")
    return render(request, "aggregation/rate_delete.html", {"master": master, "rate": rate})
