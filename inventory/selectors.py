"""What other apps read of inventory: the stock rows a viewer may see, as plain values,
redacted by the access policy and rendered as table rows (the store-visit page shows them
too)."""

from html import escape

from django.db.models import F, Value
from django.db.models.functions import Coalesce, NullIf
from django.urls import reverse
from django.utils.safestring import mark_safe

from inventory.models import Stock

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
    "version": F("version"),  # what an adjustment through the API says it read
}


def stock_values(queryset):
    return queryset.values(**{f"v_{key}": expression for key, expression in STOCK_VALUES.items()})


def keyset_page(access, queryset, after, size):
    """`size` + 1 rows in (store, product) order after the cursor (store id, product id),
    with no COUNT: the inventory page and the API read stock this way.

    Two index range scans rather than one OR: the rest of the cursor's store, then the
    stores after it. PostgreSQL walks (store, product) for each and stops at the limit,
    however deep the page."""
    queryset = stock_values(queryset)
    order = ("store_id", "product_id")
    if after is None:
        return list(queryset.filter(access.rows_q()).order_by(*order)[: size + 1])
    store_id, product_id = after
    page = list(
        queryset.filter(access.rows_q(only_store=store_id), store_id=store_id, product_id__gt=product_id)
        .order_by(*order)[: size + 1]
    )  # fmt: skip
    if len(page) <= size:
        page += queryset.filter(access.rows_q(after_store=store_id)).order_by(*order)[
            : size + 1 - len(page)
        ]
    return page


def stock_rows(access, stocks, columns=None):
    """Plain dicts for the page, built only from fields the viewer may see at each row's
    store; `cells` holds them in column order (a redacted cell is None). `stocks` come
    from stock_values()."""
    columns = columns if columns is not None else stock_columns(access)
    rows = []
    for values in stocks:
        store_id = values["v_store_id"]
        row = access.redact({key: values[f"v_{key}"] for key in STOCK_VALUES}, store_id=store_id)
        row["cells"] = [(key, row.get(key)) for key, _ in columns]
        row["may_adjust"] = access.may_adjust_at(store_id)
        rows.append(row)
    return rows


def stock_columns(access):
    return [
        (key, label)
        for key, label, field in STOCK_COLUMNS
        if field is None or access.can_see_field(field)
    ]


PLACEHOLDER = 987654321987
LABELS = {key: label for key, label, _ in STOCK_COLUMNS}


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
            # The label heads the cell where a phone shows each row as a card.
            cells.append(f'<td data-label="{LABELS[key]}">{text}</td>')
        if may_adjust:
            link = ""
            if row["may_adjust"]:
                url = adjust_url.replace(str(PLACEHOLDER), str(int(row["id"])))
                link = f'<a href="{escape(url)}" class="small-link">Adjust</a>'
            cells.append(f'<td class="actions">{link}</td>')
        html.append(f'<tr id="stock-{int(row["id"])}"{attributes}>{"".join(cells)}</tr>')
    return mark_safe("\n".join(html))
