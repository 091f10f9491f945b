"""Load Data: connections of a master account, loading them, the order plan, the demand
analysis and product matching. Every page but Add Account needs the current account to be
a master."""

from functools import wraps

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.tenancy import organization_required
from aggregation import plans, services
from aggregation.charts import demand_chart
from aggregation.forms import (
    AccountConnectionForm,
    CsvConnectionForm,
    MasterSettingsForm,
    MatchDecisionForm,
    PlanFilter,
)
from aggregation.matching import MERGE, NAME_THRESHOLD, SAME_SKU, matching_for
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
        request.POST if which == "csv" else None, request.FILES if which == "csv" else None
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
                    master_name=master_name,
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
    return render(
        request,
        "aggregation/connections.html",
        {
            "master": master,
            "connections": master.connections.select_related("child").prefetch_related("files"),
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
         "has_rows": PlanRow.objects.filter(master=master).exists(), "children": master.connections.count(),
         "held": len(matching_for(master).held)},
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
        form.save()
        plans.rebuild(master)
        messages.success(request, "Saved. The order plan is recalculated with these settings.")
        return redirect("aggregation:plan")
    return render(request, "aggregation/settings.html", {"form": form, "master": master})


# -- Product matching ------------------------------------------------------------------


@master_required
def matching(request, master):
    """The conflicts of product matching (aggregation/matching.py), held ones first, and
    the decisions taken on them; owners and admins decide."""
    decisions = {(d.kind, d.key): d for d in master.match_decisions.select_related("decided_by")}
    accounts = dict(master.connections.values_list("child_id", "child__name"))
    rows = []
    for conflict in matching_for(master).conflicts:
        members = [
            {"account": accounts.get(child_id, ""), "sku": sku, "name": name}
            for child_id, sku, name in conflict.members
        ]
        rows.append(
            {"conflict": conflict, "label": _conflict_label(conflict), "members": members,
             "decision": decisions.pop((conflict.kind, conflict.key), None)}
        )  # fmt: skip
    return render(
        request,
        "aggregation/matching.html",
        {"master": master, "held": [r for r in rows if r["conflict"].held],
         "decided": [r for r in rows if not r["conflict"].held],
         "unused": sorted(decisions.values(), key=lambda d: (d.kind, d.key)),
         "may_manage": request.membership.role in MANAGERS, "threshold": NAME_THRESHOLD},
    )  # fmt: skip


def _conflict_label(conflict):
    if conflict.kind == SAME_SKU:
        return f"SKU {conflict.key}"
    return f"The name “{conflict.members[0][2]}”"  # as an account writes it, not normalized


def _decision_label(decision):
    return f"SKU {decision.key}" if decision.kind == SAME_SKU else f"the name “{decision.key}”"


@require_POST
@master_required
def matching_decide(request, master):
    if request.membership.role not in MANAGERS:
        raise Http404("No such page.")
    form = MatchDecisionForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Not a product-matching decision.")
    kind, key, action = (form.cleaned_data[field] for field in ("kind", "key", "action"))
    conflict = next(
        (c for c in matching_for(master).conflicts if (c.kind, c.key) == (kind, key)), None
    )
    if conflict is None:
        messages.warning(
            request,
            "Nothing to decide there any more: the accounts' products changed since the page "
            "was shown.",
        )
        return redirect("aggregation:matching")
    services.decide_match(master=master, kind=kind, key=key, action=action, user=request.user)
    outcome = "merged into one item" if action == MERGE else "kept apart"
    messages.success(
        request, f"{_conflict_label(conflict)}: {outcome}. The order plan is being recalculated."
    )
    return redirect("aggregation:matching")


@require_POST
@master_required
def matching_undo(request, master, match_decision_id):
    decision = master.match_decisions.filter(pk=match_decision_id).first()
    if decision is None or request.membership.role not in MANAGERS:
        raise Http404("No such decision.")
    services.undo_match(decision=decision, user=request.user)
    messages.success(
        request,
        f"Decision on {_decision_label(decision)} undone: it waits for a decision again. The "
        "order plan is being recalculated.",
    )
    return redirect("aggregation:matching")
