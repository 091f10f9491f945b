"""Inventory: one set of pages for the owner and for partners, all through the access
policy (partners/access.py). The policy says which stores and products; the views
never decide that themselves, and redacted fields are never put in the context."""

from html import escape

from django import forms
from django.contrib import messages
from django.db import connection
from django.db.models import F, Q, Sum, Value
from django.db.models.functions import Coalesce, NullIf
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe

from accounts.exports import csv_response
from accounts.models import Organization, Region, Store
from accounts.tenancy import organization_required
from inventory import lookups, services  # noqa: F401 (registers __any)
from inventory.models import Adjustment, Product, SalesLine, Stock
from partners.access import access_for, owners_sharing_with

PAGE_SIZE = 50
PRODUCT_IDS_LIMIT = 5000
STOCK_COLUMNS = [
    # (key, label, field needed to see it)
    ("store", "Store", None),
    ("sku", "SKU", None),
    ("name", "Product", None),
    ("vendor", "Vendor", None),
    ("category", "Category", None),
    ("on_hand", "On hand", None),
    ("on_order", "On order", None),
    ("unit_cost", "Unit cost", "unit_cost"),
    ("retail_price", "Retail price", "retail_price"),
    ("current_price", "Markdown price", "current_price"),
]


def _access_or_404(request, organization_id):
    owner = Organization.objects.filter(pk=organization_id).first()
    if owner is None:
        raise Http404("No such inventory.")
    access = access_for(viewer=request.organization, owner=owner)
    if not access.sees_anything:
        raise Http404("No such inventory.")  # the same answer as for an id that does not exist
    return access


class StockFilter(forms.Form):
    q = forms.CharField(label="SKU or name", required=False)
    store = forms.CharField(label="Store #", required=False)
    region = forms.ModelChoiceField(
        queryset=Region.objects.none(), required=False, empty_label="All regions"
    )
    vendor = forms.CharField(label="Vendor", required=False)
    category = forms.CharField(label="Category", required=False)

    def __init__(self, *args, access, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = access.owner
        if access.is_owner:
            self.fields["region"].queryset = Region.objects.for_org(access.owner)
        else:
            del self.fields["region"]  # the owner's regions are the owner's own business

    def apply(self, queryset):
        data = self.cleaned_data
        product_q = Q()
        if data.get("q"):
            q = data["q"].strip()
            product_q &= Q(sku__iexact=q) | Q(name__icontains=q)
        if data.get("vendor"):
            product_q &= Q(vendor_name__icontains=data["vendor"]) | Q(
                vendor_organization__name__icontains=data["vendor"]
            )
        if data.get("category"):
            product_q &= Q(category__icontains=data["category"])
        if product_q:
            queryset = queryset.filter(self._products(product_q))
        if data.get("store"):
            # The store's id first (one small query), so the stock query is one index range.
            number = data["store"].strip().lstrip("#")
            store_id = (
                Store.objects.filter(organization=self.owner, number=number)
                .values_list("pk", flat=True)
                .first()
            )
            queryset = queryset.filter(store_id=store_id) if store_id else queryset.none()
        if data.get("region"):
            queryset = queryset.filter(store__in=data["region"].effective_stores().values("pk"))
        return queryset

    def _products(self, product_q):
        """The matching products' ids first, as a list: the planner cannot estimate a
        '%text%' search and, guessing a handful of products, reads every stock row of each
        match; given the ids it walks the stock in page order instead. A search matching
        very many products stays a subquery."""
        products = Product.objects.filter(product_q, organization=self.owner)
        ids = list(products.values_list("pk", flat=True)[: PRODUCT_IDS_LIMIT + 1])
        if len(ids) > PRODUCT_IDS_LIMIT:
            return Q(product__in=products.values("pk"))
        if connection.vendor == "postgresql":
            return Q(product_id__any=ids)  # one array parameter, not a thousand
        return Q(product_id__in=ids)


def visible_stock(access):
    """The stock rows the viewer may see: stores and products by the access policy."""
    return Stock.objects.filter(access.rows_q(), organization=access.owner)


# What a stock row reads, as plain values: no model instances for a page of rows.
STOCK_VALUES = {
    "id": F("id"),
    "store_id": F("store_id"),
    "product_id": F("product_id"),
    "store": F("store__number"),
    "store_name": Coalesce(NullIf(F("store__name"), Value("")), F("store__city")),
    "sku": F("product__sku"),
    "name": F("product__name"),
    "vendor": Coalesce(F("product__vendor_organization__name"), F("product__vendor_name")),
    "category": F("product__category"),
    "on_hand": F("on_hand"),
    "on_order": F("on_order"),
    "unit_cost": F("product__unit_cost"),
    "retail_price": F("product__retail_price"),
    "current_price": F("current_price"),
}


def stock_values(queryset):
    return queryset.values(**{f"v_{key}": expression for key, expression in STOCK_VALUES.items()})


def _rows(access, stocks, columns=None):
    """Plain dicts for the page, built only from fields the viewer may see at each row's
    store; `cells` holds them in column order (a redacted cell is None). `stocks` come
    from stock_values()."""
    columns = columns if columns is not None else _columns(access)
    rows = []
    for values in stocks:
        store_id = values["v_store_id"]
        row = access.redact({key: values[f"v_{key}"] for key in STOCK_VALUES}, store_id=store_id)
        row["cells"] = [(key, row.get(key)) for key, _ in columns]
        row["may_adjust"] = access.may_adjust_at(store_id)
        rows.append(row)
    return rows


def _columns(access):
    return [
        (key, label)
        for key, label, field in STOCK_COLUMNS
        if field is None or access.can_see_field(field)
    ]


@organization_required()
def index(request):
    """Own inventory, or the chooser of owners sharing with us."""
    organization = request.organization
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
    stock_filter = StockFilter(request.GET or None, access=access)
    queryset = Stock.objects.filter(organization=access.owner)
    if stock_filter.is_valid():
        queryset = stock_filter.apply(queryset)
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
    columns = _columns(access)
    may_adjust = access.may_adjust_stock
    context = {
        "access": access,
        "owner": access.owner,
        "filter": stock_filter,
        "columns": columns,
        "rows_html": rows_html(_rows(access, page, columns), access.owner, may_adjust),
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


PLACEHOLDER = 987654321987


def rows_html(rows, owner, may_adjust, oob=False):
    """The table rows as HTML. Built here rather than by the template engine: fifty rows
    of a dozen cells cost the engine more than the whole query does. Every value goes
    through escape(); nothing else is interpolated."""
    attributes = ' hx-swap-oob="true" class="changed"' if oob else ""
    # One reverse() per page, not two per row.
    product_url = reverse("inventory:product", args=[owner.pk, PLACEHOLDER])
    adjust_url = reverse("inventory:adjust", args=[PLACEHOLDER])
    html = []
    for row in rows:
        cells = []
        for key, value in row["cells"]:
            text = "—" if value is None else escape(str(value))
            if key == "sku":
                url = product_url.replace(str(PLACEHOLDER), str(int(row["product_id"])))
                text = f'<a href="{escape(url)}">{text}</a>'
            cells.append(f"<td>{text}</td>")
        if may_adjust:
            link = ""
            if row["may_adjust"]:
                url = adjust_url.replace(str(PLACEHOLDER), str(int(row["id"])))
                link = f'<a href="{escape(url)}" class="small-link">Adjust</a>'
            cells.append(f"<td>{link}</td>")
        html.append(f'<tr id="stock-{int(row["id"])}"{attributes}>{"".join(cells)}</tr>')
    return mark_safe("\n".join(html))


def _adjustments(owner):
    return Adjustment.objects.for_org(owner).select_related(
        "store", "product", "actor", "actor_organization"
    )


@organization_required()
def totals(request, organization_id):
    """Totals load after the page (htmx), so the table never waits for a sum over every row."""
    access = _access_or_404(request, organization_id)
    stock_filter = StockFilter(request.GET or None, access=access)
    queryset = visible_stock(access)
    if stock_filter.is_valid():
        queryset = stock_filter.apply(queryset)
    figures = queryset.aggregate(on_hand=Sum("on_hand"), on_order=Sum("on_order"))
    return render(request, "inventory/stock.html#totals", {"figures": figures, "access": access})


@organization_required()
def export(request, organization_id):
    access = _access_or_404(request, organization_id)
    stock_filter = StockFilter(request.GET or None, access=access)
    queryset = visible_stock(access)
    if stock_filter.is_valid():
        queryset = stock_filter.apply(queryset)
    columns = _columns(access)
    stocks = stock_values(queryset).order_by("store_id", "product_id")

    def rows():
        for chunk_start in range(0, 10**9, 2000):
            chunk = list(stocks[chunk_start : chunk_start + 2000])
            if not chunk:
                return
            for row in _rows(access, chunk, columns):
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
    stock_columns = [
        c for c in _columns(access) if c[0] not in ("sku", "name", "vendor", "category")
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
            "stock_rows": _rows(access, stock_values(stocks[:500]), stock_columns),
            "columns": stock_columns,
            "sales": sales_rows,
            "sales_columns": sales_columns,
        },
    )


class AdjustmentForm(forms.Form):
    kind = forms.ChoiceField(label="Reason", choices=Adjustment.Kind.choices)
    on_hand = forms.IntegerField(label="New quantity on hand", min_value=0, required=False)
    price = forms.DecimalField(label="New selling price (markdown)", min_value=0, decimal_places=2,
                               max_digits=12, required=False)  # fmt: skip
    note = forms.CharField(label="Note", max_length=500, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == Adjustment.Kind.MARKDOWN and cleaned.get("price") is None:
            self.add_error("price", "A markdown needs the new selling price.")
        if cleaned.get("kind") != Adjustment.Kind.MARKDOWN and cleaned.get("on_hand") is None:
            self.add_error("on_hand", "Give the new quantity on hand.")
        return cleaned


@organization_required()
def adjust(request, stock_id):
    stock = (
        Stock.objects.select_related("store", "product", "organization").filter(pk=stock_id).first()
    )
    if stock is None:
        raise Http404("No such stock.")
    access = access_for(viewer=request.organization, owner=stock.organization)
    if not visible_stock(access).filter(pk=stock.pk).exists():
        raise Http404("No such stock.")
    if not access.may_adjust_at(stock.store_id):
        return HttpResponseForbidden(
            render(
                request,
                "403.html",
                {"exception": "This share is read-only: you cannot change stock."},
            ).content
        )
    form = AdjustmentForm(request.POST or None, initial={"on_hand": stock.on_hand})
    if request.method == "POST" and form.is_valid():
        try:
            services.stock_adjust(
                stock_id=stock.pk, viewer=request.organization, actor=request.user, kind=form.cleaned_data["kind"],
                on_hand=form.cleaned_data["on_hand"], price=form.cleaned_data["price"], note=form.cleaned_data["note"],
            )  # fmt: skip
        except services.AdjustmentRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, f"Saved: {stock.product.sku} at store {stock.store.number}.")
            return redirect(
                reverse("inventory:stock", args=[stock.organization_id])
                + f"?store={stock.store.number}"
            )
    row = _rows(access, stock_values(Stock.objects.filter(pk=stock.pk)))[0]
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
                _rows(access, stock_values(changed)), request.organization, True, oob=True
            ),
            "owner": request.organization,
        },
    )
