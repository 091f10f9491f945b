"""Load Data: connections of a master account, loading them, the order plan, the demand
analysis and product matching. Every page but Add Account needs the current account to be
a master."""

import datetime
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q, Sum
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.tenancy import organization_required
from aggregation import money, plans, services
from aggregation.abilities import master_of
from aggregation.charts import demand_chart
from aggregation.forecast import forecast
from aggregation.forms import (
    SHOP_FORMS,
    SORTS,
    AccountConnectionForm,
    CsvConnectionForm,
    ExchangeRateForm,
    ItemOverrideForm,
    MasterSettingsForm,
    MatchDecisionForm,
    PlanFilter,
    ReplenishmentRuleForm,
    StockPoolForm,
)
from aggregation.matching import MERGE, NAME_THRESHOLD, SAME_SKU, matching_for
from aggregation.models import (
    Connection,
    ItemOverride,
    MasterAccount,
    PlanRow,
    RollupSales,
    RollupStock,
)
from aggregation.planning import z_for_service_level
from core.exports import csv_response
from core.queue import enqueue_on_commit
from core.sorting import Sorting
from core.versions import StaleVersion, posted_version, version_initial, with_version

PAGE_SIZE = 50
MANAGERS = ("owner", "admin")


def master_required(view):
    """The current account must be a master; otherwise a page that says what to do."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        master = master_of(request.organization)
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


KINDS = [
    ("csv", "CSV files"),
    ("account", "Existing account"),
    ("shopify", "Shopify"),
    ("woocommerce", "WooCommerce"),
]


@organization_required(ability="add_account")
def add_account(request):
    """Add Account: one kind of connection at a time (?kind=, tabs that are plain links, so
    it works without JavaScript); a POST says its kind in `connection`."""
    organization = request.organization
    child_of = _child_of(organization)
    is_master = MasterAccount.objects.filter(organization=organization).exists()
    which = request.POST.get("connection") if request.method == "POST" else None
    kind = which or request.GET.get("kind", "csv")
    kind = kind if kind in dict(KINDS) else "csv"
    form = _add_form(request, kind, posted=which == kind)
    master_name = request.POST.get("master_name", "")
    if request.method == "POST" and child_of is None and form.is_valid():
        try:
            master, connection, load = _add_connection(request, kind, form, master_name)
            return _connected(request, master, connection, load=load)
        except services.ConnectionRefused as refused:
            form.add_error(None, str(refused))
    return render(
        request,
        "aggregation/add_account.html",
        {"form": form, "kind": kind, "kinds": KINDS, "child_of": child_of, "is_master": is_master,
         "master_name": master_name or f"{organization.name} Group"},
    )  # fmt: skip


def _add_form(request, kind, *, posted):
    data = request.POST if posted else None
    if kind == "csv":
        return CsvConnectionForm(
            data, request.FILES if posted else None,
            initial={"currency": request.organization.currency},
        )  # fmt: skip
    if kind == "account":
        return AccountConnectionForm(data)
    return SHOP_FORMS[kind](data, initial={"currency": request.organization.currency})


def _add_connection(request, kind, form, master_name):
    """(master, connection, whether to load it now) for a valid form of `kind`."""
    data, organization, user = form.cleaned_data, request.organization, request.user
    if kind == "csv":
        master, connection = services.add_csv_connection(
            organization=organization, user=user, child_name=data["child_name"],
            files={k: data[k] for k in ("stores", "products", "stock", "sales")},
            master_name=master_name, currency=data["currency"],
        )  # fmt: skip
        return master, connection, True
    if kind == "account":
        master, connection = services.add_account_connection(
            request=request, organization=organization, user=user, account_name=data["account_name"],
            email=data["email"], password=data["password"], master_name=master_name,
        )  # fmt: skip
        return master, connection, False
    master, connection = services.add_shop_connection(
        organization=organization, user=user, kind=kind, child_name=data["child_name"],
        shop_url=data["shop_url"], credentials=form.credentials(), master_name=master_name,
        currency=data["currency"],
    )  # fmt: skip
    return master, connection, True


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

    enqueue_on_commit(refresh_rollups, master.pk)
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


@master_required
def connection_edit(request, master, connection_id):
    """A shop connection's address and credentials. The saved credentials are never shown:
    the form's fields stay empty, and left empty they are kept."""
    connection = master.connections.select_related("child").filter(pk=connection_id).first()
    if connection is None or request.membership.role not in MANAGERS:
        raise Http404("No such connection.")
    if not connection.reads_a_shop:
        messages.info(request, f"{connection.child.name} has no address or credentials to change.")
        return redirect("aggregation:connections")
    form = SHOP_FORMS[connection.kind](
        request.POST if request.method == "POST" else None, connection=connection
    )
    if request.method == "POST" and form.is_valid():
        services.change_shop_connection(
            connection=connection,
            shop_url=form.cleaned_data["shop_url"],
            credentials=form.credentials(),
        )
        messages.success(
            request, f"{connection.child.name}: saved. The next load uses what you entered."
        )
        return redirect("aggregation:connections")
    return render(
        request,
        "aggregation/connection_edit.html",
        {"master": master, "connection": connection, "form": form},
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


# -- Rolled-up stock (the master's Inventory) ------------------------------------------


@master_required
def stock(request, master):
    """A master account owns no stock: its Inventory is the stock of its child accounts
    summed per SKU (the rollup). Each account's own rows are in that account."""
    rows = RollupStock.objects.filter(master=master)
    query = request.GET.get("q", "").strip()[:100]
    if query:
        rows = rows.filter(Q(sku__icontains=query) | Q(name__icontains=query))
    summed = (
        rows.values("sku")
        .annotate(
            name=Max("name"), on_hand=Sum("on_hand"), on_order=Sum("on_order"),
            accounts=Count("child_id", distinct=True),
        )
        .order_by("sku")
    )  # fmt: skip
    out = request.GET.get("out") == "1"
    if out:
        summed = summed.filter(on_hand__lte=0)
    page = Paginator(summed, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(
        request,
        "aggregation/stock.html",
        {"master": master, "page": page, "q": query, "out": out,
         "filter_query": filters.urlencode(), "children": master.connections.count(),
         "has_rows": RollupStock.objects.filter(master=master).exists()},
    )  # fmt: skip


# -- The order plan and the demand analysis --------------------------------------------


def _plan_header(master):
    """What the plan was computed with and from: shown above it and in its export."""
    computed = master.plan_settings or {}
    accounts = computed.get("accounts", {})
    through = [
        (accounts.get(child, child), datetime.date.fromisoformat(day))
        for child, day in computed.get("sales_through", {}).items()
    ]
    return {
        "settings": computed,
        "as_of": master.plan_computed_at,
        "sales_through": sorted(through),
        "rebuild_pending": plans.rebuild_pending(master),
        "rebuild_failed": bool(
            master.plan_failed_at
            and (master.plan_computed_at is None or master.plan_failed_at > master.plan_computed_at)
        ),
    }


@master_required
def plan(request, master):
    rows = PlanRow.objects.filter(master=master)
    plan_filter = PlanFilter(request.GET, queryset=rows, master=master)
    page = Paginator(plan_filter.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    sorting = Sorting(request, {key.removeprefix("-"): [] for key in SORTS if key}, default="")
    return render(
        request,
        "aggregation/plan.html",
        {"master": master, "filter": plan_filter, "page": page, "filter_query": query.urlencode(),
         "sorting": sorting,
         "has_rows": rows.exists(), "children": master.connections.count(), "header": _plan_header(master),
         "totals": plan_filter.qs.aggregate(order=Sum("order_quantity"), items=Count("pk")),
         "held": len(matching_for(master).held)},
    )  # fmt: skip


def one_decimal(value):
    """As the page shows it (floatformat:1)."""
    return f"{value:.1f}"


PLAN_COLUMNS = [
    ("sku", "SKU", str), ("name", "Item", str), ("accounts", "Accounts", str), ("vendor", "Vendor", str),
    ("category", "Category", str), ("unit", "Unit", str), ("history_from", "History from", str),
    ("history_to", "Sales through", str), ("days_used", "Days used", int), ("on_hand", "On hand", int),
    ("on_order", "On order", int), ("forecast_lead_time", "Forecast over lead time", one_decimal),
    ("forecast_period", "Forecast over lead time + review", one_decimal),
    ("safety_stock", "Safety stock", one_decimal), ("reorder_point", "Reorder point", one_decimal),
    ("order_up_to", "Order-up-to level", one_decimal), ("order_quantity", "Order quantity", int),
    ("short", "Short", bool), ("method", "Forecast method", str),
]  # fmt: skip


@master_required
def plan_export(request, master):
    plan_filter = PlanFilter(
        request.GET, queryset=PlanRow.objects.filter(master=master), master=master
    )
    rows = (
        [
            ("" if value is None else shown(value)) if shown is not bool else value
            for value, shown in ((getattr(row, key), shown) for key, _, shown in PLAN_COLUMNS)
        ]
        for row in plan_filter.qs.iterator(chunk_size=2000)
    )
    header = _plan_header(master)
    settings = header["settings"]
    preamble = [
        ["Order plan", master.organization.name],
        ["As of", timezone.localtime(header["as_of"]).strftime("%Y-%m-%d %H:%M %Z") if header["as_of"] else ""],
        ["Lead time (days)", settings.get("lead_time_days", "")],
        ["Review period (days)", settings.get("review_period_days", "")],
        ["Service level", settings.get("service_level", "")],
        ["History (days)", settings.get("history_days", "")],
        ["Minimum order", settings.get("minimum_order", "")],
        ["Case pack", settings.get("case_pack", "")],
        *(["Sales through", f"{name}: {day.isoformat()}"] for name, day in header["sales_through"]),
    ]  # fmt: skip
    return csv_response(
        f"order-plan-{master.organization.slug}",
        [label for _, label, _ in PLAN_COLUMNS],
        rows,
        preamble=preamble,
    )


def _plan_row(master, item):
    row = PlanRow.objects.filter(master=master, item=item).first()
    if row is None:
        raise Http404("No such item.")
    return row


@master_required
def plan_children(request, master, item):
    """One item's plan for each account or stock pool (the expanded row)."""
    row = _plan_row(master, item)
    return render(request, "aggregation/_plan_children.html", {"row": row, "parts": row.parts})


@master_required
def item(request, master, item):
    row = _plan_row(master, item)
    parts, planned = plans.item_parts(master, row)
    figures = {id(part): values for part, values in planned}
    charts = []
    for part, summary in zip(parts, row.parts, strict=False):
        values = figures.get(id(part), {})
        horizon = part.lead_time_days + master.review_period_days
        history = [None if value != value else value for value in part.history]  # NaN: unknown
        result = forecast(history, horizon=horizon) if history else None
        chart = demand_chart(history, result.forecast, part.end) if result and part.end else None
        charts.append({"part": part, "summary": summary, "chart": chart, "figures": values,
                       "params": values.get("params", {})})  # fmt: skip
    members = [tuple(member) for summary in row.parts for member in summary["members"]]
    sales = RollupSales.objects.filter(master=master, sku__in={sku for _, sku in members})
    sales = [line for line in sales.select_related("child").order_by("-date", "child__name")[:2000]
             if (line.child_id, line.sku) in members][:400]  # fmt: skip
    override = ItemOverride.objects.filter(master=master, item=row.item).first()
    window = [(part.start, part.end) for part in parts if part.end]
    money_in_window = None
    if window:
        in_window = RollupSales.objects.filter(
            master=master,
            child__in={child for child, _ in members},
            sku__in={sku for _, sku in members},
            date__range=(min(start for start, _ in window), max(end for _, end in window)),
        )
        money_in_window = money.combine_rollup_sales(master, in_window)
    return render(
        request,
        "aggregation/item.html",
        {"master": master, "row": row, "charts": charts, "lines": sales, "header": _plan_header(master),
         "z": z_for_service_level(float(master.service_level)), "override": override,
         "may_manage": request.membership.role in MANAGERS,
         "override_form": ItemOverrideForm(instance=override), "money": money_in_window},
    )  # fmt: skip


@require_POST
@master_required
def item_override(request, master, item):
    """Set or remove a planner's override of an item; the plan is rebuilt in a worker."""
    row = _plan_row(master, item)
    if request.membership.role not in MANAGERS:
        raise Http404("No such item.")
    override = ItemOverride.objects.filter(master=master, item=row.item).first()
    if request.POST.get("action") == "remove":
        services.remove_item_override(master=master, item=row.item)
        messages.success(request, "Override removed. The plan is being recalculated.")
        return redirect("aggregation:item", item=row.item)
    form = ItemOverrideForm(request.POST, instance=override)
    if form.is_valid():
        services.save_item_override(
            master=master, item=row.item, values=form.cleaned_data, user=request.user
        )
        messages.success(request, "Override saved. The plan is being recalculated.")
        return redirect("aggregation:item", item=row.item)
    messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("aggregation:item", item=row.item)


@master_required
def settings_page(request, master):
    if request.membership.role not in MANAGERS:
        raise Http404("No such page.")
    form = MasterSettingsForm(
        request.POST or None, instance=master, initial=version_initial(master)
    )
    if request.method == "POST" and form.is_valid():
        # The reporting currency changes no order: it is saved at once. The plan settings
        # are a draft until applied.
        try:
            services.preview_plan_settings(
                master=master, draft=form.cleaned_data, actor=request.user,
                version=form.cleaned_data["version"],
            )  # fmt: skip
        except StaleVersion as stale:
            master.refresh_from_db()
            form = MasterSettingsForm(with_version(request.POST, master.version), instance=master)
            form.is_valid()
            form.add_error(None, str(stale))
        else:
            messages.info(
                request, "Working out what these settings change. The live plan stays as it is."
            )
            return redirect("aggregation:settings_draft")
    return render(
        request,
        "aggregation/settings.html",
        {"form": form, "master": master, "rate_gaps": money.rate_gaps(master)},
    )


@master_required
def settings_draft(request, master):
    """The draft settings and what they would change; apply or discard (POST)."""
    if request.membership.role not in MANAGERS:
        raise Http404("No such page.")
    master.refresh_from_db()
    if request.method == "POST":
        if not master.draft_settings:
            return redirect("aggregation:settings")
        apply = request.POST.get("action") == "apply"
        try:
            change = services.apply_plan_settings if apply else services.discard_plan_settings
            change(master=master, actor=request.user, version=posted_version(request))
        except StaleVersion as stale:
            messages.error(request, str(stale))
            return redirect("aggregation:settings_draft")
        if apply:
            messages.success(
                request, "Applied. The order plan is being recalculated with these settings."
            )
        else:
            messages.info(request, "Discarded. The plan keeps its settings.")
        return redirect("aggregation:plan")
    if not master.draft_settings:
        return redirect("aggregation:settings")
    # The version the page was read at: the polled summary keeps it in its buttons, and
    # says so when the draft has changed since.
    page_version = request.GET.get("version", "")
    page_version = int(page_version) if page_version.isdigit() else master.version
    template = (
        "aggregation/settings_draft.html#summary"
        if request.htmx
        else "aggregation/settings_draft.html"
    )
    current = plans.settings_of(master)
    changes = [
        (MasterAccount._meta.get_field(key).verbose_name.capitalize(), current.get(key), value)
        for key, value in master.draft_settings.items()
        if current.get(key) != value
    ]
    return render(
        request,
        template,
        {"master": master, "changes": changes, "summary": master.draft_summary,
         "page_version": page_version,
         "changed_since_read": master.last_change() if page_version != master.version else ""},
    )  # fmt: skip


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


# -- Vendor and item rules; stock pools ---------------------------------------------------


@master_required
def rules(request, master):
    """Lead time, MOQ and case pack per vendor or per item, before the master's settings."""
    may_manage = request.membership.role in MANAGERS
    form = ReplenishmentRuleForm(request.POST or None, master=master)
    if request.method == "POST":
        if not may_manage:
            raise Http404("No such page.")
        if form.is_valid():
            values = {key: form.cleaned_data[key] for key in form.Meta.fields}
            services.add_replenishment_rule(master=master, values=values)
            messages.success(request, "Rule added. The order plan is being recalculated.")
            return redirect("aggregation:rules")
    vendors = (
        PlanRow.objects.filter(master=master).exclude(vendor="").order_by("vendor")
        .values_list("vendor", flat=True).distinct()[:500]
    )  # fmt: skip
    return render(
        request,
        "aggregation/rules.html",
        {"master": master, "rules": master.rules.all(), "form": form if may_manage else None,
         "may_manage": may_manage, "vendors": vendors},
    )  # fmt: skip


@require_POST
@master_required
def rule_delete(request, master, replenishment_rule_id):
    rule = master.rules.filter(pk=replenishment_rule_id).first()
    if rule is None or request.membership.role not in MANAGERS:
        raise Http404("No such rule.")
    services.delete_replenishment_rule(rule=rule)
    messages.success(request, f"Deleted the rule for {rule.sku or rule.vendor_name}.")
    return redirect("aggregation:rules")


@require_POST
@master_required
def connection_pool(request, master, connection_id):
    connection = master.connections.filter(pk=connection_id).select_related("child").first()
    if connection is None or request.membership.role not in MANAGERS:
        raise Http404("No such connection.")
    form = StockPoolForm(request.POST, instance=connection)
    if form.is_valid():
        services.set_stock_pool(connection=connection, pool=form.cleaned_data["stock_pool"])
        pool = " ".join(form.cleaned_data["stock_pool"].split())
        messages.success(
            request,
            f"{connection.child.name} shares the stock of pool {pool}." if pool
            else f"{connection.child.name} plans with its own stock.",
        )  # fmt: skip
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("aggregation:connections")
