"""Inventory: one set of pages for the owner and for partners, all through the access
policy (partners/access.py). The policy says which stores and products; the views
never decide that themselves, and redacted fields are never put in the context."""

from decimal import ROUND_HALF_UP, Decimal

from django.contrib import messages
from django.db.models import Case, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts.abilities import may
from accounts.tenancy import organization_required
from core.exports import csv_response
from core.sorting import Sorting
from core.versions import StaleVersion, version_initial, with_version
from inventory import analytics, charts, services
from inventory.forms import AdjustmentForm, SellThroughForm, StockFilter
from inventory.models import Adjustment, Product, SalesLine, Stock
from inventory.selectors import (
    keyset_page,
    rows_html,
    stock_columns,
    stock_rows,
    stock_values,
    visible_stock,
)
from partners.access import (
    access_for,
    owner_access_or_404,
    owners_sharing_with,
    shared_object_or_404,
)

PAGE_SIZE = 50


def _access_or_404(request, organization_id):
    return owner_access_or_404(request.organization, organization_id)


@organization_required()
def index(request):
    """Own inventory, or the chooser of owners sharing with us. A master account has no
    stock of its own: its Inventory is the stock rolled up from its child accounts."""
    organization = request.organization
    if may(request.membership, "master"):
        return redirect("aggregation:stock")
    if Stock.objects.filter(organization=organization).exists() or organization.is_retailer:
        return stock_page(request, organization.pk)
    return shared(request)


@organization_required()
def shared(request):
    owners = owners_sharing_with(request.organization)
    return render(request, "inventory/shared.html", {"owners": owners})


@organization_required()
def stock_page(request, organization_id):
    access = _access_or_404(request, organization_id)
    stock_filter = StockFilter(
        request.GET, queryset=Stock.objects.filter(organization=access.owner), access=access
    )
    queryset = stock_filter.qs
    columns = stock_columns(access)
    # Only a column the viewer sees sorts: the order of hidden values would tell them.
    sorting = Sorting(request, {key: [] for key, _ in columns if key in SORT_KEYS}, default="store")
    after = _cursor(request.GET.get("after", ""))
    if sorting.key == "store":
        page = keyset_page(access, queryset, after, PAGE_SIZE)
    else:
        page = _sorted_page(
            access, queryset, sorting, after, request.GET.get("after_value"),
            stock_filter.product_q,
        )  # fmt: skip
    has_next = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("after_value", None)
    filter_query = query.urlencode()
    next_query = None
    if has_next:
        query["after"] = f"{page[-1]['v_store_id']}.{page[-1]['v_product_id']}"
        if sorting.key != "store":
            query["after_value"] = str(page[-1]["v_sort"])
        next_query = query.urlencode()
    may_adjust = access.may_adjust_stock
    context = {
        "access": access,
        "owner": access.owner,
        "filter": stock_filter,
        "columns": columns,
        "sorting": sorting,
        "rows_html": rows_html(stock_rows(access, page, columns), access.owner, may_adjust),
        "next_query": next_query,
        "first_page": after is None,
        "filter_query": filter_query,
        "may_adjust": may_adjust,
    }
    if access.is_owner:
        items = list(_adjustments(access.owner).order_by("-pk")[:10])
        context["activity_items"] = items
        context["activity_latest"] = items[0].pk if items else 0
    return render(request, "inventory/stock.html", context)


def _cursor(value):
    """The keyset cursor "store_id.product_id" of the last row shown, or None."""
    try:
        store_id, product_id = (int(x) for x in value.split("."))
    except ValueError:
        return None
    return store_id, product_id


# The columns the inventory sorts by besides the default (store, then product). A stock
# column's order is walked in an index of (organization, column, store, product); a missing
# markdown price sorts as -1, so the cursor never compares a NULL. A product's column is
# walked product by product (see _sorted_by_product).
STOCK_SORTS = {
    "on_hand": (F("on_hand"), int),
    "on_order": (F("on_order"), int),
    "current_price": (Coalesce(F("current_price"), Value(Decimal(-1))), Decimal),
}
PRODUCT_SORTS = {
    "sku": (F("sku"), str),
    "name": (F("name"), str),
    "vendor": (Coalesce(F("vendor_organization__name"), F("vendor_name")), str),
    "category": (F("category"), str),
    "unit_cost": (Coalesce(F("unit_cost"), Value(Decimal(-1))), Decimal),
    "retail_price": (Coalesce(F("retail_price"), Value(Decimal(-1))), Decimal),
}
SORT_KEYS = STOCK_SORTS | PRODUCT_SORTS


def _read_cursor_value(parse, raw):
    """The sort value of the last row shown, or None when it does not read."""
    if raw is None:
        return None
    try:
        value = parse(raw)
    except (ValueError, ArithmeticError):
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        return None  # "NaN" reads as a Decimal, and sorts nowhere
    if isinstance(value, int | Decimal) and abs(value) > 2**63:
        return None  # no stored value is near it, and SQLite cannot take it
    return value


def _beyond(descending):
    return "lt" if descending else "gt"


def _sorted_page(access, queryset, sorting, after, after_value, product_q):
    """PAGE_SIZE + 1 rows ordered by a column after the cursor (the last row's value and
    ids). A cursor that does not read is the first page."""
    if sorting.key in PRODUCT_SORTS:
        return _sorted_by_product(access, queryset, sorting, after, after_value, product_q)
    key, parse = STOCK_SORTS[sorting.key]
    descending, beyond = sorting.descending, _beyond(sorting.descending)
    rows = stock_values(queryset.filter(access.rows_q())).annotate(v_sort=key)
    order = ["v_sort", "store_id", "product_id"]
    rows = rows.order_by(*(f"-{o}" for o in order) if descending else order)
    value = _read_cursor_value(parse, after_value) if after is not None else None
    if value is not None:
        store_id, product_id = after
        rows = rows.filter(
            Q(**{f"v_sort__{beyond}": value})
            | Q(v_sort=value, **{f"store_id__{beyond}": store_id})
            | Q(v_sort=value, store_id=store_id, **{f"product_id__{beyond}": product_id})
        )
    return list(rows[: PAGE_SIZE + 1])


def _sorted_by_product(access, queryset, sorting, after, after_value, product_q):
    """Rows in the order of a product's column, then product, then store. No index of the
    stock holds a product's name, so the products come first, in their own order, a batch
    at a time, and then their visible rows (an index range each): a batch of products each
    with a row fills the page; a batch whose products the viewer sees little of asks for
    four times as many next."""
    key, parse = PRODUCT_SORTS[sorting.key]
    descending, beyond = sorting.descending, _beyond(sorting.descending)
    sign = "-" if descending else ""
    products = Product.objects.filter(product_q, organization=access.owner).annotate(v_sort=key)
    products = products.order_by(f"{sign}v_sort", f"{sign}pk").values_list("pk", "v_sort")
    visible = stock_values(queryset.filter(access.rows_q()))
    rows, last = [], None
    value = _read_cursor_value(parse, after_value) if after is not None else None
    if value is not None:
        store_id, product_id = after
        rows = list(
            visible.filter(product_id=product_id, **{f"store_id__{beyond}": store_id})
            .annotate(v_sort=Value(value))
            .order_by(f"{sign}store_id")[: PAGE_SIZE + 1]
        )  # fmt: skip
        last = (value, product_id)
    size = PAGE_SIZE + 1
    while len(rows) <= PAGE_SIZE:
        batch = products
        if last is not None:
            batch = batch.filter(
                Q(**{f"v_sort__{beyond}": last[0]})
                | Q(v_sort=last[0], **{f"pk__{beyond}": last[1]})
            )
        batch = list(batch[:size])
        if not batch:
            break
        values = dict(batch)
        # The database orders the batch's rows (product by product, then store) and sends
        # only those the page still needs, not every row of every product in the batch.
        rank = Case(
            *(When(product_id=pk, then=Value(i)) for i, (pk, _) in enumerate(batch)),
            output_field=IntegerField(),
        )
        found = (
            visible.filter(product_id__in=list(values))
            .annotate(v_rank=rank)
            .order_by("v_rank", f"{sign}store_id")[: PAGE_SIZE + 1 - len(rows)]
        )
        for row in found:
            row["v_sort"] = values[row["v_product_id"]]
            rows.append(row)
        last = (batch[-1][1], batch[-1][0])  # (value, id), as the cursor's
        size *= 4
    return rows


def _adjustments(owner):
    return Adjustment.objects.for_org(owner).select_related(
        "store", "product", "actor", "actor_organization"
    )


@organization_required()
def totals(request, organization_id):
    """Totals load after the page (htmx), so the table never waits for a sum over every row."""
    access = _access_or_404(request, organization_id)
    queryset = StockFilter(request.GET, queryset=visible_stock(access), access=access).qs
    figures = queryset.aggregate(on_hand=Sum("on_hand"), on_order=Sum("on_order"))
    return render(request, "inventory/stock.html#totals", {"figures": figures, "access": access})


@organization_required()
def export(request, organization_id):
    access = _access_or_404(request, organization_id)
    queryset = StockFilter(request.GET, queryset=visible_stock(access), access=access).qs
    columns = stock_columns(access)
    stocks = stock_values(queryset).order_by("store_id", "product_id")

    def rows():
        for chunk_start in range(0, 10**9, 2000):
            chunk = list(stocks[chunk_start : chunk_start + 2000])
            if not chunk:
                return
            for row in stock_rows(access, chunk, columns):
                yield [value for _, value in row["cells"]]

    return csv_response(f"inventory-{access.owner.slug}", [label for _, label in columns], rows())


@organization_required()
def product(request, organization_id, product_id):
    """A product's stock by store and its sales history, as far as the viewer may see."""
    access = _access_or_404(request, organization_id)
    item = (
        Product.objects.filter(organization=access.owner, pk=product_id)
        .filter(access.product_q)
        .select_related("vendor_organization")
        .first()
    )
    if item is None:
        raise Http404("No such product.")
    stocks = visible_stock(access).filter(product=item).order_by("store_id")
    sales = SalesLine.objects.filter(access.rows_q(), organization=access.owner, product=item)
    sales = sales.select_related("store").order_by("-date", "-pk")[:200]
    sales_columns = [
        (k, label)
        for k, label in [
            ("date", "Date"),
            ("store", "Store"),
            ("quantity", "Quantity"),
            ("retail_amount", "Sales"),
            ("cost_amount", "Cost"),
            ("gross_profit", "Gross profit"),
            ("customer_reference", "Customer"),
        ]
        if access.can_see_field(k)
    ]
    sales_rows = [
        access.redact(
            {
                "date": line.date,
                "store": line.store.number,
                "quantity": line.quantity,
                "retail_amount": line.retail_amount,
                "cost_amount": line.cost_amount,
                "gross_profit": line.gross_profit,
                "customer_reference": line.customer_reference,
            },
            store_id=line.store_id,
        )
        for line in sales
    ]
    for line in sales_rows:
        line["cells"] = [(key, line.get(key)) for key, _ in sales_columns]
    columns = [
        c for c in stock_columns(access) if c[0] not in ("sku", "name", "vendor", "category")
    ]
    product_row = access.redact(
        {"sku": item.sku, "name": item.name, "vendor": item.vendor_display, "category": item.category,
         "unit_cost": item.unit_cost, "retail_price": item.retail_price}
    )  # fmt: skip
    return render(
        request,
        "inventory/product.html",
        {
            "access": access,
            "owner": access.owner,
            "product": product_row,
            "stock_rows": stock_rows(access, stock_values(stocks[:500]), columns),
            "columns": columns,
            "sales": sales_rows,
            "sales_columns": sales_columns,
        },
    )


@organization_required()
def adjust(request, stock_id):
    stock, access = shared_object_or_404(
        Stock.objects.select_related("store", "product", "organization"),
        request.organization,
        allowed=lambda access, stock: visible_stock(access).filter(pk=stock.pk).exists(),
        pk=stock_id,
    )
    if not access.may_adjust_at(stock.store_id):
        return HttpResponseForbidden(
            render(
                request,
                "403.html",
                {"exception": "This share is read-only: you cannot change stock."},
            ).content
        )
    form = AdjustmentForm(
        request.POST or None,
        stock=stock,
        initial={"on_hand": stock.on_hand, **version_initial(stock)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.stock_adjust(
                stock_id=stock.pk, viewer=request.organization, actor=request.user, kind=data["kind"],
                on_hand=data["on_hand"], price=data["price"], note=data["note"], version=data["version"],
            )  # fmt: skip
        except StaleVersion as stale:
            # The page shows the row as it is now, the form what this user entered.
            stock.refresh_from_db()
            form = AdjustmentForm(with_version(request.POST, stock.version), stock=stock)
            form.is_valid()
            form.add_error(None, str(stale))
        except services.AdjustmentRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, f"Saved: {stock.product.sku} at store {stock.store.number}.")
            return redirect(
                reverse("inventory:stock", args=[stock.organization_id])
                + f"?store={stock.store.number}"
            )
    row = stock_rows(access, stock_values(Stock.objects.filter(pk=stock.pk)))[0]
    return render(
        request, "inventory/adjust.html", {"form": form, "row": row, "owner": stock.organization}
    )


@organization_required()
def activity(request):
    """The owner's feed of adjustments, polled by htmx every few seconds."""
    since = request.GET.get("since", "")
    since = int(since) if since.isdigit() else 0
    items = list(_adjustments(request.organization).filter(pk__gt=since).order_by("-pk")[:20])
    # The rows they changed, re-read now, so the table shows the new figures too.
    changed = Stock.objects.filter(
        organization=request.organization,
        pk__in=Stock.objects.filter(
            Q(*[Q(store_id=a.store_id, product_id=a.product_id) for a in items], _connector=Q.OR)
        ).values("pk")
        if items
        else [],
    )
    access = access_for(viewer=request.organization, owner=request.organization)
    return render(
        request,
        "inventory/activity.html",
        {
            "items": items,
            "latest": items[0].pk if items else since,
            "polling": True,
            "changed_rows_html": rows_html(
                stock_rows(access, stock_values(changed)), request.organization, True, oob=True
            ),
            "owner": request.organization,
        },
    )


# -- vendor analytics (seed 002) ---------------------------------------------------------
def _sell_through_report(request):
    """The form, the chosen retailers' accesses and the period, from the query string. A
    retailer id that does not share with us as a vendor is a 404, like any other tenant's id."""
    accesses = analytics.vendor_accesses(request.organization)
    form = SellThroughForm(request.GET, accesses=accesses)
    retailer = request.GET.get("retailer", "")
    chosen = accesses
    if retailer:
        chosen = [a for a in accesses if str(a.owner.pk) == retailer]
        if not chosen:
            raise Http404("No such retailer.")
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    period = analytics.period_for(chosen, weeks=data.get("weeks"), end=data.get("end"))
    return form, accesses, chosen, period


@organization_required()
def sell_through(request):
    """Sell-through, weeks of supply and aging of the vendor's own products, at cost."""
    form, accesses, chosen, period = _sell_through_report(request)
    result = analytics.report(chosen, period) if chosen else None
    context = {"form": form, "accesses": accesses, "period": period, "report": result,
               "retailer": chosen[0].owner if len(chosen) == 1 and len(accesses) > 1 else None,
               "query": request.GET.urlencode(), "age_definition": analytics.AGE_DEFINITION,
               "table_rows": f":{analytics.TABLE_ROWS}", "table_rows_count": analytics.TABLE_ROWS}  # fmt: skip
    if result is not None:
        context |= _sell_through_charts(result)
        for kind, rows in (("store", result.stores), ("product", result.products)):
            sorting = Sorting(request, FIGURE_SORTS, default="-units", param=f"{kind}_sort")
            context[f"{kind}_sorting"] = sorting
            context[f"{kind}_rows"] = sorting.sort_rows(rows)
    return render(request, "inventory/sell_through.html", context)


# The by-store and by-product tables sort by any column (most units sold first by default).
FIGURE_SORTS = {
    "name": lambda row: analytics.natural_key(row.get("number") or row.get("sku")),
    "retailer": lambda row: row["retailer"].lower(),
    "units": lambda row: row["figures"].units,
    "cost": lambda row: row["figures"].cost,  # None in several currencies: last
    "on_hand": lambda row: row["figures"].on_hand,
    "sell_through": lambda row: row["figures"].sell_through,
    "weeks": lambda row: row["figures"].weeks_of_supply,
    "old": lambda row: row["figures"].old_units,
}


def _sell_through_charts(result):
    def top(rows, label):
        return charts.bar_list(
            (label(row), row["figures"].units, f"{row['figures'].units:,.0f}") for row in rows[:10]
        )

    ages = result.total.age_rows
    return {
        "weekly_chart": charts.weekly_chart(result.weekly),
        "aging_chart": charts.bar_list(
            (label, units, f"{units:,} ({share:.0f}%)" if share is not None else f"{units:,}")
            for label, units, share in ages
        ),
        "store_chart": top(result.stores, lambda r: f"#{r['number']} {r['name']}"),
        "product_chart": top(result.products, lambda r: f"{r['sku']} {r['name']}"),
    }


SELL_THROUGH_FIGURES = [
    "Units sold", "Cost sold", "Currency", "On hand", "Sell-through %", "Weeks of supply",
    *(f"On hand aged {label}" for _key, label, *_ in analytics.AGE_BUCKETS),
]  # fmt: skip


@organization_required()
def sell_through_export(request):
    """The page's figures by store (?by=store) or by product, every row, spreadsheet-safe."""
    _form, _accesses, chosen, period = _sell_through_report(request)
    by_store = request.GET.get("by") == "store"
    result = analytics.report(chosen, period) if chosen else None
    rows = (result.stores if by_store else result.products) if result else []
    if by_store:
        header = ["Retailer", "Store number", "Store", *SELL_THROUGH_FIGURES]
        keys = ("retailer", "number", "name")
    else:
        header = ["Retailer", "SKU", "Product", "Category", "Unit cost", *SELL_THROUGH_FIGURES]
        keys = ("retailer", "sku", "name", "category", "unit_cost")

    def lines():
        for row in rows:
            f = row["figures"]
            yield [
                *(row[key] for key in keys), _units(f.units), f.cost, row["currency"], f.on_hand,
                _rounded(f.sell_through), _rounded(f.weeks_of_supply) if f.units > 0 else "",
                *f.ages.values(),
            ]  # fmt: skip

    preamble = [
        ["Vendor analytics at cost", request.organization.name],
        [
            "Period",
            f"{period.start.isoformat()} to {period.end.isoformat()} ({period.weeks} weeks)",
        ],
        ["Stock and age as of", timezone.localdate().isoformat()],
        ["Sell-through", "units sold / (units sold + on hand now)"],
        ["Weeks of supply", "on hand now / average weekly units sold; empty when nothing sold"],
        ["Age", analytics.AGE_DEFINITION],
    ]
    return csv_response(
        f"sell-through-by-{'store' if by_store else 'product'}", header, lines(), preamble
    )


def _units(units):
    """Whole units as an integer (every product counts whole units; the sum is a decimal)."""
    return int(units) if units == int(units) else units


def _rounded(value):
    """A tenth, half up, as the page's floatformat shows it."""
    if value is None:
        return ""
    return Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
