"""Products, stock levels and sales history through the one import machinery.

Numbers and dates are read the way each column writes them (core/imports/values.py):
a decimal comma or point, dates day- or month-first, decided from the whole column.
Money keeps its cents; a value with more decimals than is kept, or a fraction of a unit,
is a row error, never a rounding. Every product counts whole units.
"""

import hashlib
from decimal import ROUND_HALF_UP, Decimal

from django import forms

from accounts.imports import clean_number
from accounts.models import Organization, Store
from core.imports.base import Importer, RowInvalid, remembered, too_long
from core.imports.bulk import in_one_parameter
from core.imports.columns import DATE, NUMBER, Column
from core.limits import PRICE_MAX, QUANTITY_MAX
from inventory.models import Product, SalesLine, Stock, normalize_sku
from partners.catalogue import vendor_key

# Codes in retail exports that are fees and adjustments, not products.
NON_PRODUCT_CODES = {
    "POST": "postage", "DOT": "postage", "M": "a manual adjustment", "D": "a discount",
    "C2": "carriage", "S": "samples", "B": "a bad-debt adjustment", "CRUK": "a commission",
    "PADS": "padding", "BANK CHARGES": "bank charges", "AMAZONFEE": "a marketplace fee",
}  # fmt: skip

SKU = Column("sku", "SKU", ("sku", "itemnumber", "item", "stockcode", "upc", "productcode", "itemcode",
                            "productid", "articlenumber"), required=True)  # fmt: skip
STORE = Column("store", "Store number", ("storenumber", "storenum", "store", "storeid", "storeno"))


def _sku(values):
    return _sku_text(values.get("sku", ""))


def _sku_text(text):
    sku = " ".join(text.split())
    if not sku:
        raise RowInvalid("SKU", "the SKU is missing")
    if sku.endswith(".0") and sku[:-2].isdigit():
        sku = sku[:-2]
    if len(sku) > 64:
        raise RowInvalid("SKU", too_long(sku, 64))
    what = NON_PRODUCT_CODES.get(sku.upper())
    if what:
        raise RowInvalid("SKU", f"{sku} is {what}, not a product; such lines are not imported")
    return sku


def _text(values, field_name, label, max_length):
    """A text cell with its spaces tidied; longer than its column is a row error naming
    the value, never a cut (an import never silently changes a value)."""
    text = " ".join(values.get(field_name, "").split())
    if len(text) > max_length:
        raise RowInvalid(label, too_long(text, max_length))
    return text


class ProductImporter(Importer):
    model = Product
    unique_fields = ("organization", "sku")
    written_models = (Product,)
    kind = "products"
    label = "Products"
    noun = "product"
    key_field = "sku"
    # Sales exports repeat products at different prices (quantity breaks): the first wins;
    # the same SKU under another name is a conflict.
    repeat_fields = ("name", "vendor_name", "category")
    columns = (
        SKU,
        # "Product" is what the inventory export calls the name, so that file imports back.
        Column("name", "Name", ("name", "itemdescription", "description", "productname", "itemname", "title",
                                "product"), required=True),
        Column("vendor_name", "Vendor", ("vendor", "vendorname", "supplier", "manufacturer", "brand")),
        Column("category", "Category", ("category", "categoryname", "department", "productcategory")),
        Column("unit_cost", "Unit cost", ("unitcost", "cost", "statebottlecost", "bottlecost", "costprice"),
               kind=NUMBER),
        Column("retail_price", "Retail price", ("retailprice", "retail", "price", "unitprice",
                                                "statebottleretail", "sellingprice"), kind=NUMBER),
        Column("case_pack", "Case pack", ("casepack", "pack", "packsize", "unitspercase", "caseqty",
                                          "casesize", "innerpack"), kind=NUMBER),
        Column("unit", "Unit", ("unit", "uom", "unitofmeasure", "sellingunit")),
    )  # fmt: skip

    def prepare(self, organization, options):
        super().prepare(organization, options)
        self.vendors = {
            name.lower(): pk
            for pk, name in Organization.objects.filter(is_vendor=True).values_list("pk", "name")
        }
        # Names an approved vendor share linked to its vendor (partners/catalogue.py) stay
        # linked when the catalogue is imported again, whatever the organization's name.
        self.linked_vendors = {
            vendor_key(name): pk
            for name, pk in Product.objects.for_org(organization)
            .filter(vendor_organization__isnull=False)
            .exclude(vendor_name="")
            .order_by()
            .values_list("vendor_name", "vendor_organization_id")
            .distinct()
        }

    def clean(self, values):
        row = {"sku": _sku(values)}
        name = _text(values, "name", "Name", 255)
        if not name:
            raise RowInvalid("Name", "the product name is missing")
        row["name"] = name
        if "vendor_name" in values:
            row["vendor_name"] = _text(values, "vendor_name", "Vendor", 200)
            row["vendor_organization_id"] = self.linked_vendors.get(
                vendor_key(row["vendor_name"])
            ) or self.vendors.get(row["vendor_name"].lower())
        if "category" in values:
            row["category"] = _text(values, "category", "Category", 120)
        for field_name in ("unit_cost", "retail_price"):
            if field_name in values:
                amount = self.number(values, field_name, minimum=0, maximum=PRICE_MAX)
                row[field_name] = amount.quantize(CENT) if amount is not None else None
        if "case_pack" in values:
            pack = self.number(values, "case_pack", minimum=1, maximum=QUANTITY_MAX, whole=True)
            row["case_pack"] = int(pack) if pack is not None else None
        if "unit" in values:
            row["unit"] = _text(values, "unit", "Unit", 20)
        return row

    def existing(self, organization, keys):
        fields = [c.field for c in self.columns] + ["vendor_organization_id"]
        rows = Product.objects.for_org(organization).filter(**in_one_parameter("sku", keys))
        return {r["sku"]: r for r in rows.values(*fields)}

    def stored(self, organization, row):
        return {
            "organization_id": organization.pk,
            "sku_normalized": normalize_sku(row["sku"]),
            **row,
        }


class _StoreProductLookups(Importer):
    def prepare(self, organization, options):
        super().prepare(organization, options)
        self.stores = dict(Store.objects.for_org(organization).values_list("number", "pk"))
        self.products = dict(Product.objects.for_org(organization).values_list("sku", "pk"))
        # A file names its few stores and its products over and over: what each store and
        # SKU cell reads as is remembered for the walk.
        self._store_cells, self._sku_cells = {}, {}

    def _store_id(self, values):
        """(store number, store id) of the row's store cell (or the default store)."""
        return remembered(self._store_cells, values.get("store", ""), self._read_store)

    def _sku(self, values):
        return remembered(self._sku_cells, values.get("sku", ""), _sku_text)

    def _read_store(self, text):
        number = clean_number(text) or self.options.get("default_store", "")
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


# The stored rows of at most this many store x product pairs are read at once (a chunk of
# a file written store by store: 5 stores x 1,000 products); more are streamed.
STOCK_READ_AT_ONCE = 20_000


class StockImporter(_StoreProductLookups):
    model = Stock
    unique_fields = ("store", "product")
    written_models = (Stock,)
    kind = "stock"
    label = "Stock levels"
    noun = "stock row"
    key_field = "sku"
    columns = (
        STORE,
        SKU,
        Column("on_hand", "On hand", ("onhand", "quantityonhand", "qoh", "stock", "quantity", "qty",
                                      "inventory"), required=True, kind=NUMBER),
        Column("on_order", "On order", ("onorder", "quantityonorder", "ordered"), kind=NUMBER),
        Column("current_price", "Markdown price", ("markdownprice", "currentprice", "saleprice"),
               kind=NUMBER),
        # When stock last arrived: what inventory aging counts from (inventory/analytics.py).
        Column("last_received_on", "Last received", ("lastreceived", "lastreceiveddate", "lastreceipt",
                                                     "lastreceiptdate", "datelastreceived", "received"),
               kind=DATE),
    )  # fmt: skip

    def key(self, row):
        return (row["store_id"], row["product_id"])

    def clean(self, values):
        _number, store_id = self._store_id(values)
        sku = self._sku(values)
        row = {"store_id": store_id, "product_id": self._product_id(sku), "sku": sku}
        for field_name in ("on_hand", "on_order"):
            if field_name in values:
                amount = self.number(
                    values, field_name, required=field_name == "on_hand", whole=True,
                    minimum=0, maximum=QUANTITY_MAX,
                )  # fmt: skip
                row[field_name] = int(amount) if amount is not None else 0
        if "current_price" in values:
            price = self.number(values, "current_price", minimum=0, maximum=PRICE_MAX)
            if price is not None:
                self._check_markdown(price, values["current_price"], sku)
            row["current_price"] = price.quantize(CENT) if price is not None else None
        if "last_received_on" in values:
            # An empty cell is "no receipt known", not an error: not every row has had one.
            text = values["last_received_on"].strip()
            row["last_received_on"] = self.date(values, "last_received_on") if text else None
        return row

    def prepare(self, organization, options):
        super().prepare(organization, options)
        self.retail_prices = dict(
            Product.objects.for_org(organization)
            .exclude(retail_price=None)
            .values_list("sku", "retail_price")
        )

    def _check_markdown(self, price, text, sku):
        """A markdown is above 0 and not above the retail price: a file has no reason
        column to say it is a price increase (the Adjust page has)."""
        if price <= 0:
            raise RowInvalid("Markdown price", f"{text.strip()} is not above 0")
        retail = self.retail_prices.get(sku)
        if retail is not None and price > retail:
            raise RowInvalid(
                "Markdown price",
                f"{text.strip()} is above the retail price of {sku} ({retail}); a markdown "
                "lowers the price",
            )

    def existing(self, organization, keys):
        keys = set(keys)
        stores = {store for store, _ in keys}
        products = {product for _, product in keys}
        rows = (
            Stock.objects.for_org(organization)
            .filter(
                **in_one_parameter("store_id", stores), **in_one_parameter("product_id", products)
            )
            .values(
                "store_id", "product_id", "on_hand", "on_order", "current_price", "last_received_on"
            )
        )
        if len(stores) * len(products) > STOCK_READ_AT_ONCE:
            # A chunk spread over many stores and products may match many more stored rows
            # than it has keys: they are streamed, a bounded number in memory at a time.
            rows = rows.iterator(chunk_size=10000)
        current = {}
        for row in rows:
            key = (row["store_id"], row["product_id"])
            if key in keys:
                current[key] = row
        return current

    def stored(self, organization, row):
        # The SKU was read to find the product; the stock row points at the product.
        stored = {"organization_id": organization.pk, **row}
        del stored["sku"]
        return stored


class SalesImporter(_StoreProductLookups):
    model = SalesLine
    unique_fields = ("organization", "source_ref")
    written_models = (SalesLine,)
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
    tracks_repeats = False  # source_ref numbers repeated lines: it is unique by construction
    columns = (
        Column("date", "Date", ("date", "saledate", "invoicedate", "orderdate", "transactiondate"), required=True,
               kind=DATE),
        STORE,
        SKU,
        Column("quantity", "Quantity", ("quantity", "qty", "bottlessold", "units", "unitssold"), required=True,
               kind=NUMBER),
        Column("retail_amount", "Sales amount", ("saledollars", "salesamount", "amount", "sales", "revenue",
                                                 "total", "retailamount"), kind=NUMBER),
        Column("unit_price", "Unit price", ("unitprice", "price", "statebottleretail"), kind=NUMBER),
        Column("cost_amount", "Cost amount", ("costamount", "cost", "cogs"), kind=NUMBER),
        Column("unit_cost", "Unit cost", ("unitcost", "statebottlecost", "bottlecost"), kind=NUMBER),
        Column("customer_reference", "Customer", ("customerid", "customer", "customerreference",
                                                  "loyaltyid")),
        Column("reference", "Invoice / line reference", ("invoiceno", "invoice", "invoicenumber",
                                                         "invoiceitemnumber", "orderid", "transactionid")),
    )  # fmt: skip

    def prepare(self, organization, options):
        super().prepare(organization, options)
        self.seen = set()  # digests of the lines read so far
        self.repeats = {}  # digest -> lines so far, for the few seen more than once

    def clean(self, values):
        day = self.date(values, "date")
        number, store_id = self._store_id(values)
        sku = self._sku(values)
        # Negative quantities are returns.
        quantity = self.number(
            values, "quantity", required=True, whole=True, minimum=-QUANTITY_MAX,
            maximum=QUANTITY_MAX,
        )  # fmt: skip
        # An amount from a unit price is in cents already (_cents); one from the file
        # is put in cents here.
        retail = self.number(values, "retail_amount")
        if retail is None:
            unit_price = self.number(values, "unit_price", places=4)
            if unit_price is None:
                raise RowInvalid("Sales amount", "give a sales amount or a unit price")
            retail = _cents(unit_price * quantity)
        else:
            retail = retail.quantize(CENT)
        cost = self.number(values, "cost_amount") if "cost_amount" in values else None
        if cost is None:
            unit_cost = self.number(values, "unit_cost", places=4)
            cost = _cents(unit_cost * quantity) if unit_cost is not None else None
        else:
            cost = cost.quantize(CENT)
        for label, amount in (("Sales amount", retail), ("Cost amount", cost)):
            if amount is not None and abs(amount) >= AMOUNT_LIMIT:
                raise RowInvalid(
                    label, f"{amount} is out of range (a line holds under {AMOUNT_LIMIT:,})"
                )
        customer = values.get("customer_reference", "").strip()
        if customer.endswith(".0") and customer[:-2].isdigit():
            customer = customer[:-2]
        if len(customer) > 80:
            raise RowInvalid("Customer", too_long(customer, 80))
        base = f"{day.isoformat()}|{number}|{sku}|{values.get('reference', '').strip()}"
        # Identical lines are distinct sales: number them in file order, the same way every
        # time. A digest per line keeps the count of a million lines small.
        digest = int.from_bytes(hashlib.blake2b(base.encode(), digest_size=8).digest())
        if digest in self.seen:
            occurrence = self.repeats.get(digest, 1)
            self.repeats[digest] = occurrence + 1
        else:
            self.seen.add(digest)
            occurrence = 0
        return {
            "source_ref": f"{base}|{occurrence}"[:120],
            "date": day,
            "store_id": store_id,
            "product_id": self._product_id(sku),
            "quantity": quantity.quantize(CENT),
            "retail_amount": retail,
            "cost_amount": cost,
            "customer_reference": customer,
        }

    def existing(self, organization, keys):
        refs = SalesLine.objects.for_org(organization).filter(
            **in_one_parameter("source_ref", keys)
        )
        fields = ["source_ref", "date", "store_id", "product_id", "quantity", "retail_amount", "cost_amount",
                  "customer_reference"]  # fmt: skip
        return {r["source_ref"]: r for r in refs.values(*fields).iterator(chunk_size=10000)}


CENT = Decimal("0.01")
AMOUNT_LIMIT = 10**12  # SalesLine's amounts: DecimalField(max_digits=14, decimal_places=2)


def _cents(amount):
    """A line's amount from its unit price: rounded half up to the cent, as invoices are."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
