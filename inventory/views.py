"""Inventory: one set of pages for the owner and for partners, all through the access
policy (partners/access.py). The policy says which stores and products; the views
never decide that themselves, and redacted fields are never put in the context."""

from django.contrib import messages
from django.db.models import Q, Sum
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.abilities import may
from accounts.tenancy import organization_required
from core.exports import csv_response
from core.versions import StaleVersion, version_initial, with_version
from inventory import services
from inventory.forms import AdjustmentForm, StockFilter
from inventory.models import Adjustment, Product, SalesLine, Stock
from inventory.selectors import rows_html, stock_columns, stock_rows, stock_values, visible_stock
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
    after = _cursor(request.GET.get("after", ""))
    page = _keyset_page(access, queryset, after)
    has_next = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    query = request.GET.copy()
    query.pop("after", None)
    filter_query = query.urlencode()
    next_query = None
    if has_next:
        query["after"] = f"{page[-1]['v_store_id']}.{page[-1]['v_product_id']}"
        next_query = query.urlencode()
    columns = stock_columns(access)
    may_adjust = access.may_adjust_stock
    context = {
        "access": access,
        "owner": access.owner,
        "filter": stock_filter,
        "columns": columns,
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


def _keyset_page(access, queryset, after):
    """PAGE_SIZE + 1 rows in (store, product) order after the cursor, with no COUNT.

    Two index range scans rather than one OR: the rest of the cursor's store, then the
    stores after it. PostgreSQL walks (store, product) for each and stops at the limit,
    however deep the page."""
    queryset = stock_values(queryset)
    order = ("store_id", "product_id")
    if after is None:
        return list(queryset.filter(access.rows_q()).order_by(*order)[: PAGE_SIZE + 1])
    store_id, product_id = after
    page = list(
        queryset.filter(access.rows_q(only_store=store_id), store_id=store_id, product_id__gt=product_id)
        .order_by(*order)[: PAGE_SIZE + 1]
    )  # fmt: skip
    if len(page) <= PAGE_SIZE:
        page += queryset.filter(access.rows_q(after_store=store_id)).order_by(*order)[
            : PAGE_SIZE + 1 - len(page)
        ]
    return page


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
