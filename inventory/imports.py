"""Products, stock levels and sales history through the one import machinery."""

import datetime
from decimal import Decimal, InvalidOperation

from django import forms

from accounts.imports import clean_number
from accounts.models import Organization, Store
from core.imports.base import Importer, RowInvalid
from core.imports.bulk import bulk_upsert
from core.imports.columns import Column
from inventory.models import Product, SalesLine, Stock, normalize_sku

# Codes in retail exports that are fees and adjustments, not products.
NON_PRODUCT_CODES = {
    "POST": "postage", "DOT": "postage", "M": "a manual adjustment", "D": "a discount",
    "C2": "carriage", "S": "samples", "B": "a bad-debt adjustment", "CRUK": "a commission",
    "PADS": "padding", "BANK CHARGES": "bank charges", "AMAZONFEE": "a marketplace fee",
}  # fmt: skip

SKU = Column("sku", "SKU", ("sku", "itemnumber", "item", "stockcode", "upc", "productcode", "itemcode",
                            "productid", "articlenumber"), required=True)  # fmt: skip
STORE = Column("store", "Store number", ("storenumber", "storenum", "store", "storeid", "storeno"))


def _decimal(value, label, *, required=False, minimum=None):
    text = value.strip().replace(",", "").lstrip("$")
    if not text:
        if required:
            raise RowInvalid(label, f"the {label.lower()} is missing")
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise RowInvalid(label, f"{value.strip()!r} is not a number") from None
    if not number.is_finite() or abs(number) >= Decimal("1e10"):
        raise RowInvalid(label, f"{value.strip()} is out of range")
    if minimum is not None and number < minimum:
        raise RowInvalid(label, f"{number} is below {minimum}")
    return number


def _sku(values):
    sku = " ".join(values.get("sku", "").split())
    if not sku:
        raise RowInvalid("SKU", "the SKU is missing")
    if sku.endswith(".0") and sku[:-2].isdigit():
        sku = sku[:-2]
    if len(sku) > 64:
        raise RowInvalid("SKU", "the SKU is longer than 64 characters")
    what = NON_PRODUCT_CODES.get(sku.upper())
    if what:
        raise RowInvalid("SKU", f"{sku} is {what}, not a product; such lines are not imported")
    return sku


class ProductImporter(Importer):
    kind = "products"
    label = "Products"
    noun = "product"
    key_field = "sku"
    repeats_allowed = True
    # Sales exports repeat products at different prices (quantity breaks): the first wins.
    repeat_fields = ("name", "vendor_name", "category")
    columns = (
        SKU,
        Column("name", "Name", ("name", "itemdescription", "description", "productname", "itemname", "title"),
               required=True),
        Column("vendor_name", "Vendor", ("vendor", "vendorname", "supplier", "manufacturer", "brand")),
        Column("category", "Category", ("category", "categoryname", "department", "productcategory")),
        Column("unit_cost", "Unit cost", ("unitcost", "cost", "statebottlecost", "bottlecost", "costprice")),
        Column("retail_price", "Retail price", ("retailprice", "retail", "price", "unitprice",
                                                "statebottleretail", "sellingprice")),
    )  # fmt: skip

    def prepare(self, organization, options):
        super().prepare(organization, options)
        self.vendors = {
            name.lower(): pk
            for pk, name in Organization.objects.filter(is_vendor=True).values_list("pk", "name")
        }

    def clean(self, values):
        row = {"sku": _sku(values)}
        name = " ".join(values.get("name", "").split())
        if not name:
            raise RowInvalid("Name", "the product name is missing")
        row["name"] = name[:255]
        if "vendor_name" in values:
            row["vendor_name"] = " ".join(values["vendor_name"].split())[:200]
            row["vendor_organization_id"] = self.vendors.get(row["vendor_name"].lower())
        if "category" in values:
            row["category"] = " ".join(values["category"].split())[:120]
        for field_name, label in (("unit_cost", "Unit cost"), ("retail_price", "Retail price")):
            if field_name in values:
                amount = _decimal(values[field_name], label, minimum=Decimal(0))
                row[field_name] = amount.quantize(Decimal("0.01")) if amount is not None else None
        return row

    def existing(self, organization, keys):
        fields = [c.field for c in self.columns] + ["vendor_organization_id"]
        return {r["sku"]: r for r in Product.objects.for_org(organization).values(*fields)}

    def write(self, organization, creates, updates):
        rows = [
            {"organization_id": organization.pk, "sku_normalized": normalize_sku(r["sku"]), **r}
            for r in [*creates, *(row for _, row in updates)]
        ]
        if rows:
            bulk_upsert(
                Product, rows, unique_fields=["organization", "sku"],
                update_fields=[f for f in rows[0] if f not in ("organization_id", "sku")],
            )  # fmt: skip


class _StoreProductLookups(Importer):
    def prepare(self, organization, options):
        super().prepare(organization, options)
        self.stores = dict(Store.objects.for_org(organization).values_list("number", "pk"))
        self.products = dict(Product.objects.for_org(organization).values_list("sku", "pk"))

    def _store_id(self, values):
        number = clean_number(values.get("store", "")) or self.options.get("default_store", "")
        if not number:
            raise RowInvalid("Store number", "the store number is missing")
        store_id = self.stores.get(number)
        if store_id is None:
            raise RowInvalid(
                "Store number", f"store {number} is not one of your stores: import it first"
            )
        return number, store_id

    def _product_id(self, sku):
        product_id = self.products.get(sku)
        if product_id is None:
            raise RowInvalid("SKU", f"SKU {sku} is not in your catalogue: import products first")
        return product_id


class StockImporter(_StoreProductLookups):
    kind = "stock"
    label = "Stock levels"
    noun = "stock row"
    key_field = "sku"
    columns = (
        STORE,
        SKU,
        Column("on_hand", "On hand", ("onhand", "quantityonhand", "qoh", "stock", "quantity", "qty",
                                      "inventory"), required=True),
        Column("on_order", "On order", ("onorder", "quantityonorder", "ordered")),
        Column("current_price", "Markdown price", ("markdownprice", "currentprice", "saleprice")),
    )  # fmt: skip

    def key(self, row):
        return (row["store_id"], row["product_id"])

    def clean(self, values):
        _number, store_id = self._store_id(values)
        sku = _sku(values)
        row = {"store_id": store_id, "product_id": self._product_id(sku), "sku": sku}
        for field_name, label in (("on_hand", "On hand"), ("on_order", "On order")):
            if field_name in values:
                amount = _decimal(values[field_name], label, required=field_name == "on_hand")
                if amount is not None and amount != amount.to_integral_value():
                    raise RowInvalid(label, f"{amount} is not a whole number")
                row[field_name] = int(amount) if amount is not None else 0
        if "current_price" in values:
            price = _decimal(values["current_price"], "Markdown price", minimum=Decimal(0))
            row["current_price"] = price.quantize(Decimal("0.01")) if price is not None else None
        return row

    def existing(self, organization, keys):
        rows = Stock.objects.for_org(organization).values("store_id", "product_id", "on_hand", "on_order",
                                                           "current_price")  # fmt: skip
        return {(r["store_id"], r["product_id"]): r for r in rows.iterator(chunk_size=10000)}

    def write(self, organization, creates, updates):
        rows = [
            {k: v for k, v in r.items() if k != "sku"} | {"organization_id": organization.pk}
            for r in [*creates, *(row for _, row in updates)]
        ]
        if rows:
            bulk_upsert(
                Stock, rows, unique_fields=["store", "product"],
                update_fields=[f for f in rows[0] if f not in ("organization_id", "store_id", "product_id")],
            )  # fmt: skip


class SalesImporter(_StoreProductLookups):
    kind = "sales"
    option_fields = {
        "default_store": forms.CharField(
            label="Store number for lines without one",
            required=False,
            help_text="For files from one shop or web store, such as an e-commerce export.",
        )
    }
    label = "Sales history"
    noun = "sales line"
    key_field = "source_ref"
    columns = (
        Column("date", "Date", ("date", "saledate", "invoicedate", "orderdate", "transactiondate"), required=True),
        STORE,
        SKU,
        Column("quantity", "Quantity", ("quantity", "qty", "bottlessold", "units", "unitssold"), required=True),
        Column("retail_amount", "Sales amount", ("saledollars", "salesamount", "amount", "sales", "revenue",
                                                 "total", "retailamount")),
        Column("unit_price", "Unit price", ("unitprice", "price", "statebottleretail")),
        Column("cost_amount", "Cost amount", ("costamount", "cost", "cogs")),
        Column("unit_cost", "Unit cost", ("unitcost", "statebottlecost", "bottlecost")),
        Column("customer_reference", "Customer", ("customerid", "customer", "customerreference",
                                                  "loyaltyid")),
        Column("reference", "Invoice / line reference", ("invoiceno", "invoice", "invoicenumber",
                                                         "invoiceitemnumber", "orderid", "transactionid")),
    )  # fmt: skip

    def prepare(self, organization, options):
        super().prepare(organization, options)
        self.seen = {}

    def clean(self, values):
        day = _date(values.get("date", ""))
        number, store_id = self._store_id(values)
        sku = _sku(values)
        quantity = _decimal(values.get("quantity", ""), "Quantity", required=True)
        retail = _decimal(values.get("retail_amount", ""), "Sales amount")
        if retail is None:
            unit_price = _decimal(values.get("unit_price", ""), "Unit price")
            if unit_price is None:
                raise RowInvalid("Sales amount", "give a sales amount or a unit price")
            retail = unit_price * quantity
        cost = _decimal(values.get("cost_amount", ""), "Cost amount")
        if cost is None:
            unit_cost = _decimal(values.get("unit_cost", ""), "Unit cost")
            cost = unit_cost * quantity if unit_cost is not None else None
        customer = values.get("customer_reference", "").strip()
        if customer.endswith(".0") and customer[:-2].isdigit():
            customer = customer[:-2]
        base = "|".join([day.isoformat(), number, sku, values.get("reference", "").strip()])
        # Identical lines are distinct sales: number them in file order, the same way every time.
        occurrence = self.seen.get(base, 0)
        self.seen[base] = occurrence + 1
        return {
            "source_ref": f"{base}|{occurrence}"[:120],
            "date": day,
            "store_id": store_id,
            "product_id": self._product_id(sku),
            "quantity": quantity.quantize(Decimal("0.01")),
            "retail_amount": retail.quantize(Decimal("0.01")),
            "cost_amount": cost.quantize(Decimal("0.01")) if cost is not None else None,
            "customer_reference": customer[:80],
        }

    def existing(self, organization, keys):
        refs = SalesLine.objects.for_org(organization).filter(source_ref__in=list(keys))
        fields = ["source_ref", "date", "store_id", "product_id", "quantity", "retail_amount", "cost_amount",
                  "customer_reference"]  # fmt: skip
        return {r["source_ref"]: r for r in refs.values(*fields).iterator(chunk_size=10000)}

    def write(self, organization, creates, updates):
        rows = [
            r | {"organization_id": organization.pk}
            for r in [*creates, *(row for _, row in updates)]
        ]
        if rows:
            bulk_upsert(
                SalesLine, rows, unique_fields=["organization", "source_ref"],
                update_fields=[f for f in rows[0] if f not in ("organization_id", "source_ref")],
            )  # fmt: skip


DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y", "%m/%d/%y", "%d.%m.%Y",
                "%m/%d/%Y %H:%M", "%Y/%m/%d")  # fmt: skip


def _date(value):
    text = value.strip()
    if not text:
        raise RowInvalid("Date", "the date is missing")
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise RowInvalid("Date", f"{text!r} is not a date we can read (use YYYY-MM-DD)")
