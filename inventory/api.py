"""Products, stock and sales through the API.

Reads go through the access policy and its redaction, as the pages do: a vendor's token
never receives a retail price, a markdown, an amount at retail, a gross profit or a
customer; the keys are left out, not sent empty. Batches of products, stock levels and
sales lines go through the CSV importers' own rules (core/imports/rows.py), all or
nothing, and refresh master rollups as an import does. A partner changes an owner's
stock one row at a time, through the Adjust page's checks."""

from decimal import Decimal
from typing import Annotated, Required, TypedDict

from django.db.models import F
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict, with_config

from accounts.api import require_write
from core.api import ApiError, Paging, decode_cursor, encode_cursor, idempotent, not_found, page
from core.imports.registry import importer_for
from core.imports.rows import RowsRejected, import_rows
from core.versions import StaleVersion
from inventory import services
from inventory.forms import AdjustmentForm, StockFilter, product_conditions
from inventory.models import Adjustment, Product, SalesLine, Stock
from inventory.selectors import STOCK_VALUES, keyset_page, visible_stock
from partners.api import access_or_404, refuse_filter_errors

router = Router(tags=["Inventory"])
BATCH_MAX = 10_000

# A value as a program sends it; the importer reads and checks it (a number may come as
# a JSON number or a string: "12.50" keeps its cents exactly).
Text = str | int | None
Number = int | float | str | None


# -- reads -------------------------------------------------------------------------------
class ProductOut(Schema):
    id: int
    sku: str
    name: str
    vendor: str
    category: str
    unit_cost: Decimal | None = None
    retail_price: Decimal | None = None
    case_pack: int | None = None
    unit: str


class ProductFilters(Paging):
    q: str | None = Field(None, description="An exact SKU, or part of the name")
    vendor: str | None = None
    category: str | None = None


class ProductPage(Schema):
    items: list[ProductOut]
    next_cursor: str | None


@router.get(
    "/organizations/{int:organization_id}/products",
    response=ProductPage,
    exclude_unset=True,
    summary="Products: your catalogue, or the products an owner shares with you",
)
def products(request, organization_id: int, filters: Query[ProductFilters]):
    access = access_or_404(request, organization_id)
    limit = filters.limit
    after = decode_cursor(filters.cursor, int)
    conditions = product_conditions(filters.q, filters.vendor, filters.category)
    found = Product.objects.filter(access.product_q, conditions, organization=access.owner)
    if after:
        found = found.filter(pk__gt=after[0])
    rows = found.order_by("pk").values(
        "id", "sku", "name", "category", "unit_cost", "retail_price", "case_pack", "unit",
        vendor_label=F("vendor_organization__name"), vendor_text=F("vendor_name"),
    )[: limit + 1]  # fmt: skip
    items = []
    for row in rows:
        row["vendor"] = row.pop("vendor_label") or row.pop("vendor_text")
        row.pop("vendor_text", None)
        items.append(access.redact(row))
    return page(items, limit, lambda row: encode_cursor(row["id"]))


class StockOut(Schema):
    id: int
    store_id: int
    store: str
    store_name: str
    product_id: int
    sku: str
    name: str
    vendor: str
    category: str
    on_hand: int
    on_order: int
    unit_cost: Decimal | None = None
    retail_price: Decimal | None = None
    current_price: Decimal | None = None
    version: int


class StockFilters(Paging):
    q: str | None = Field(None, description="An exact SKU, or part of the product's name")
    store: str | None = Field(None, description="A store number")
    region: int | None = Field(None, description="One of your regions (your own stock only)")
    vendor: str | None = None
    category: str | None = None
    out: bool | None = Field(None, description="Only rows with nothing on hand")


class StockPage(Schema):
    items: list[StockOut]
    next_cursor: str | None


@router.get(
    "/organizations/{int:organization_id}/stock",
    response=StockPage,
    exclude_unset=True,
    summary="Stock levels, with the inventory page's filters",
)
def stock(request, organization_id: int, filters: Query[StockFilters]):
    """The inventory page's rows in its default order (store, then product), after the
    cursor, with the fields the viewer may see at each row's store."""
    access = access_or_404(request, organization_id)
    limit = filters.limit
    after = decode_cursor(filters.cursor, int, int)
    params = filters.model_dump(exclude={"cursor", "limit"}, exclude_none=True)
    if params.get("region") is not None and not access.is_owner:
        raise ApiError(
            400, "bad_filter", "Regions are the owner's own: filter a shared list by store.",
            errors=[{"field": "region", "message": "not available on an owner's shared stock"}],
        )  # fmt: skip
    stock_filter = StockFilter(
        {k: str(v) for k, v in params.items()},
        queryset=Stock.objects.filter(organization=access.owner),
        access=access,
    )
    refuse_filter_errors(stock_filter)
    rows = keyset_page(access, stock_filter.qs, after, limit)
    items = []
    for values in rows:
        row = {key: values[f"v_{key}"] for key in STOCK_VALUES}
        row["store_name"] = row["store_name"] or ""
        row["vendor"] = row["vendor"] or ""
        items.append(access.redact(row, store_id=values["v_store_id"]))
    return page(items, limit, lambda row: encode_cursor(row["store_id"], row["product_id"]))


class SalesLineOut(Schema):
    id: int
    date: str
    store_id: int
    store: str
    product_id: int
    sku: str
    quantity: Decimal
    retail_amount: Decimal | None = None
    cost_amount: Decimal | None = None
    gross_profit: Decimal | None = None
    customer_reference: str | None = None


class SalesFilters(Paging):
    store: str | None = Field(None, description="A store number")
    sku: str | None = None
    date_from: str | None = Field(None, description="YYYY-MM-DD, included")
    date_to: str | None = Field(None, description="YYYY-MM-DD, included")


class SalesPage(Schema):
    items: list[SalesLineOut]
    next_cursor: str | None


def _date_filter(name, text):
    from datetime import date

    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ApiError(
            400, "bad_filter", f"{name} is a date written YYYY-MM-DD.",
            errors=[{"field": name, "message": f"{text!r} is not a date written YYYY-MM-DD"}],
        ) from None  # fmt: skip


@router.get(
    "/organizations/{int:organization_id}/sales",
    response=SalesPage,
    exclude_unset=True,
    summary="Sales lines: your own, or those of the stores and products shared with you",
)
def sales(request, organization_id: int, filters: Query[SalesFilters]):
    access = access_or_404(request, organization_id)
    limit = filters.limit
    after = decode_cursor(filters.cursor, int)
    found = SalesLine.objects.filter(access.rows_q(), organization=access.owner)
    if filters.store:
        found = found.filter(store__number=filters.store.strip().lstrip("#"))
    if filters.sku:
        found = found.filter(product__sku__iexact=filters.sku.strip())
    if filters.date_from:
        found = found.filter(date__gte=_date_filter("date_from", filters.date_from))
    if filters.date_to:
        found = found.filter(date__lte=_date_filter("date_to", filters.date_to))
    if after:
        found = found.filter(pk__gt=after[0])
    rows = found.order_by("pk").values(
        "id", "date", "store_id", "product_id", "quantity", "retail_amount", "cost_amount",
        "customer_reference", store_number=F("store__number"), product_sku=F("product__sku"),
    )[: limit + 1]  # fmt: skip
    items = []
    for row in rows:
        row["store"], row["sku"] = row.pop("store_number"), row.pop("product_sku")
        row["date"] = row["date"].isoformat()
        cost = row["cost_amount"]
        row["gross_profit"] = row["retail_amount"] - cost if cost is not None else None
        items.append(access.redact(row, store_id=row["store_id"]))
    return page(items, limit, lambda row: encode_cursor(row["id"]))


# -- batches -----------------------------------------------------------------------------
# A batch's rows are TypedDicts, not Schemas: pydantic checks them in its own code and
# hands back plain dicts holding the keys that were sent, where a Schema per row runs
# django-ninja's per-object validator 10,000 times and needs a model_dump() each (about
# ten times as long for a 10,000-row batch). The JSON schema and the errors are the same.
ROWS = ConfigDict(extra="forbid")


def described(kind, description):
    return Annotated[kind, Field(description=description)]


@with_config(ROWS)
class ProductRow(TypedDict, total=False):
    sku: Required[Text]
    name: str | None
    vendor_name: str | None
    category: str | None
    unit_cost: Number
    retail_price: Number
    case_pack: Number
    unit: str | None


@with_config(ROWS)
class StockRow(TypedDict, total=False):
    store: Required[described(Text, "The store's number")]
    sku: Required[Text]
    on_hand: Required[Number]
    on_order: Number
    current_price: described(Number, "A markdown price, at most the retail price")
    last_received_on: described(str | None, "YYYY-MM-DD")


@with_config(ROWS)
class SalesRow(TypedDict, total=False):
    date: Required[described(str, "YYYY-MM-DD")]
    store: Required[Text]
    sku: Required[Text]
    quantity: Required[described(Number, "Whole units; negative for a return")]
    retail_amount: described(Number, "The line's amount; else unit_price")
    unit_price: Number
    cost_amount: Number
    unit_cost: Number
    customer_reference: Text
    reference: described(
        Text,
        "The invoice or order line: with the date, store and SKU it names the line, so "
        "sending it again updates it instead of adding another",
    )


class ProductBatch(Schema):
    rows: list[ProductRow] = Field(..., min_length=1, max_length=BATCH_MAX)


class StockBatch(Schema):
    rows: list[StockRow] = Field(..., min_length=1, max_length=BATCH_MAX)


class SalesBatch(Schema):
    rows: list[SalesRow] = Field(..., min_length=1, max_length=BATCH_MAX)


class BatchOut(Schema):
    batch: int
    rows: int
    created: int
    updated: int
    unchanged: int
    replayed: bool = False


def _write_batch(request, organization_id, kind, rows):
    access = access_or_404(request, organization_id)
    require_write(request)
    if not access.is_owner:
        raise ApiError(
            403, "not_your_data",
            f"Batches write your own organization's data, not {access.owner.name}'s. A partner "
            "changes an owner's stock one row at a time: POST …/stock/{id}/adjustments.",
        )  # fmt: skip
    token = request.auth

    def write():
        batch = import_rows(
            organization=access.owner, user=token.created_by, importer=importer_for(kind),
            rows=rows,
            source=f"API: {token.name} ({token.prefix}…)",
        )  # fmt: skip
        return 200, {
            "batch": batch.pk,
            "rows": batch.total_rows,
            "created": batch.created_count,
            "updated": batch.updated_count,
            "unchanged": batch.unchanged,
        }

    try:
        return Status(*idempotent(request, access.owner, write))
    except RowsRejected as refused:
        raise ApiError(
            422, "rows_refused", refused.message, errors=[p.as_dict() for p in refused.problems]
        ) from None


@router.post(
    "/organizations/{int:organization_id}/products",
    response={200: BatchOut},
    summary="Add or update up to 10,000 products, all or nothing",
)
def products_write(request, organization_id: int, payload: ProductBatch):
    return _write_batch(request, organization_id, "products", payload.rows)


@router.post(
    "/organizations/{int:organization_id}/stock",
    response={200: BatchOut},
    summary="Set up to 10,000 stock levels, all or nothing",
)
def stock_write(request, organization_id: int, payload: StockBatch):
    return _write_batch(request, organization_id, "stock", payload.rows)


@router.post(
    "/organizations/{int:organization_id}/sales",
    response={200: BatchOut},
    summary="Add or update up to 10,000 sales lines, all or nothing",
)
def sales_write(request, organization_id: int, payload: SalesBatch):
    return _write_batch(request, organization_id, "sales", payload.rows)


# -- one row: an adjustment --------------------------------------------------------------
class AdjustmentIn(Schema):
    model_config = {"extra": "forbid"}

    kind: str = Field(..., description=", ".join(Adjustment.Kind.values))
    on_hand: int | None = None
    price: Decimal | None = None
    note: str = ""
    version: int = Field(..., description="The stock row's version as you read it")


class AdjustmentOut(Schema):
    id: int
    stock_id: int
    kind: str
    on_hand: int
    current_price: Decimal | None = None
    version: int


@router.post(
    "/organizations/{int:organization_id}/stock/{int:stock_id}/adjustments",
    response={201: AdjustmentOut},
    exclude_unset=True,
    summary="Correct a count, record damage or a transfer, or mark a price down",
)
def adjust(request, organization_id: int, stock_id: int, payload: AdjustmentIn):
    """The Adjust page's checks: the owner, or a merchandising partner in its stores; a
    row changed since `version` is refused (409) with who changed it."""
    access = access_or_404(request, organization_id)
    row = visible_stock(access).select_related("product").filter(pk=stock_id).first()
    if row is None:
        raise not_found("stock row")
    require_write(request)
    if not access.may_adjust_at(row.store_id):
        raise ApiError(403, "read_only_share", "This share is read-only: you cannot change stock.")
    form = AdjustmentForm(
        {k: "" if v is None else str(v) for k, v in payload.model_dump().items()}, stock=row
    )
    if not form.is_valid():
        raise ApiError(
            422, "invalid", "The adjustment was refused; nothing was changed.",
            errors=[
                {"field": name if name != "__all__" else "", "message": " ".join(messages)}
                for name, messages in form.errors.items()
            ],
        )  # fmt: skip
    data = form.cleaned_data
    try:
        adjustment = services.stock_adjust(
            stock_id=row.pk, viewer=access.viewer, actor=request.auth.created_by,
            kind=data["kind"], on_hand=data["on_hand"], price=data["price"], note=data["note"],
            version=data["version"],
        )  # fmt: skip
    except StaleVersion as stale:
        raise ApiError(409, "stale_version", str(stale)) from None
    except services.AdjustmentRefused as refused:
        raise ApiError(422, "refused", str(refused)) from None
    row.refresh_from_db()
    out = {
        "id": adjustment.pk,
        "stock_id": row.pk,
        "kind": adjustment.kind,
        "on_hand": row.on_hand,
        "current_price": row.current_price,
        "version": row.version,
    }
    return Status(201, access.redact(out, store_id=row.store_id))
