"""A Shopify shop through its Admin GraphQL API (version 2025-01), as rows for the importers:

    locations          -> stores (number: the location's numeric id)
    products' variants -> products, by SKU (name: title and variant title)
    inventory levels   -> stock per location ("available" on hand, "incoming" on order)
    orders' line items -> sales lines (reference: the order's name and the line's id), net
                          of refunds and removals: the line's current quantity, and its
                          amount in the same proportion

Every list is read a page at a time (`first`, `after: pageInfo.endCursor`); an incremental
load asks only for what was updated since (`query: "updated_at:>'…'"`). Locations are few
and always read whole: orders name them.

Shopify limits a shop's queries by their cost (a bucket of points that refills at
`restoreRate` a second; extensions.cost of every answer). Before a query we wait when the
bucket holds less than the same query cost last time; a query Shopify still refuses
(THROTTLED) is sent again after (requested - available) / restoreRate seconds.
"""

import datetime
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from aggregation.sources import LoadFailed, Refusals, Source, other_currency

API_PATH = "/admin/api/2025-01/graphql.json"
SCOPES = "read_products, read_inventory, read_orders, read_locations"
REFUSED = (
    "Shopify refused the access token: it may have been revoked or expired. Create a new "
    f"Admin API access token with {SCOPES} and enter it on the connection."
)
NOT_A_SHOP = (
    "Shopify has no shop at this address: check the shop address on the connection "
    "(your-shop.myshopify.com, as in the address of the shop's admin)."
)
MAX_THROTTLED = 20  # THROTTLED answers in a row before the load gives up

# Page sizes keep each query's requested cost under Shopify's 1,000 points a query: a
# connection costs 2 plus `first` times one node's cost, an object 1, a scalar 0. So
# Products asks for 2 + 10 * (1 + 2 + 20 * 3) = 632 points, Orders for 852, the others
# about 300 (the tests' fake shop prices queries the same way and refuses those over 1,000).
LOCATIONS_PAGE = 50
PRODUCTS_PAGE, VARIANTS_PAGE = 10, 20
LEVELS_PAGE = 100
ORDERS_PAGE, LINES_PAGE = 25, 10
MORE_PAGE = 100  # the rest of one product's variants or one order's lines

PAGE_INFO = "pageInfo { hasNextPage endCursor }"
VARIANT = "id title sku price inventoryItem { unitCost { amount } }"
LINE = "id sku quantity currentQuantity discountedTotalSet { shopMoney { amount } }"

SHOP = "query Shop { shop { ianaTimezone currencyCode } }"
LOCATIONS = f"""
query Locations($first: Int!, $after: String) {{
  locations(first: $first, after: $after) {{
    nodes {{ legacyResourceId name address {{ address1 city provinceCode zip countryCode }} }}
    {PAGE_INFO}
  }}
}}"""
PRODUCTS = f"""
query Products($first: Int!, $after: String, $query: String, $variants: Int!) {{
  products(first: $first, after: $after, query: $query) {{
    nodes {{
      id title vendor productType
      variants(first: $variants) {{ nodes {{ {VARIANT} }} {PAGE_INFO} }}
    }}
    {PAGE_INFO}
  }}
}}"""
MORE_VARIANTS = f"""
query ProductVariants($id: ID!, $first: Int!, $after: String) {{
  product(id: $id) {{ variants(first: $first, after: $after) {{ nodes {{ {VARIANT} }} {PAGE_INFO} }} }}
}}"""
LEVELS = f"""
query InventoryLevels($id: ID!, $first: Int!, $after: String, $query: String) {{
  location(id: $id) {{
    inventoryLevels(first: $first, after: $after, query: $query) {{
      nodes {{ item {{ sku }} quantities(names: ["available", "incoming"]) {{ name quantity }} }}
      {PAGE_INFO}
    }}
  }}
}}"""
ORDERS = f"""
query Orders($first: Int!, $after: String, $query: String, $lines: Int!) {{
  orders(first: $first, after: $after, query: $query) {{
    nodes {{
      id name processedAt cancelledAt test
      retailLocation {{ legacyResourceId }}
      lineItems(first: $lines) {{ nodes {{ {LINE} }} {PAGE_INFO} }}
    }}
    {PAGE_INFO}
  }}
}}"""
MORE_LINES = f"""
query OrderLines($id: ID!, $first: Int!, $after: String) {{
  order(id: $id) {{ lineItems(first: $first, after: $after) {{ nodes {{ {LINE} }} {PAGE_INFO} }} }}
}}"""


class Bucket:
    """Shopify's cost bucket as its last answer left it, and what each query cost."""

    def __init__(self):
        self.available = None
        self.restore_rate = None
        self.requested = None
        self.costs = {}  # query name -> its last requested cost

    def update(self, name, extensions):
        cost = (extensions or {}).get("cost") or {}
        status = cost.get("throttleStatus") or {}
        if "currentlyAvailable" in status and status.get("restoreRate"):
            self.available = float(status["currentlyAvailable"])
            self.restore_rate = float(status["restoreRate"])
        if cost.get("requestedQueryCost") is not None:
            self.requested = float(cost["requestedQueryCost"])
            self.costs[name] = self.requested

    def pause_before(self, name) -> float:
        """Seconds until the bucket holds what this query cost last time."""
        return self._until(self.costs.get(name))

    def pause_after_throttle(self) -> float:
        return self._until(self.requested) or 1.0

    def _until(self, cost) -> float:
        if cost is None or self.available is None or self.available >= cost:
            return 0.0
        return (cost - self.available) / self.restore_rate


class ShopifyReader:
    """One load's reading of a shop: `open()` first, then stores, products, stock and sales
    (in that order: each names what the ones before it wrote)."""

    label = "Shopify"

    def __init__(self, connection, *, since, sleep):
        token = connection.credential_values().get("access_token", "")
        self.source = Source(
            base_url=connection.shop_url,
            label=self.label,
            refusals=Refusals(credentials=REFUSED, address=NOT_A_SHOP),
            headers={"X-Shopify-Access-Token": token},
            sleep=sleep,
        )
        self.sleep = sleep
        self.since = since
        self.account = connection.child
        self.bucket = Bucket()
        self.started_at = None
        self.zone = datetime.UTC
        self.locations = []  # store numbers, in Shopify's order

    def open(self) -> datetime.datetime:
        """Read the shop's time zone (for the days of its sales) and check its currency is
        the account's; returns the shop's time now, which the next load reads from."""
        shop = self.query("Shop", SHOP, {})["shop"]
        currency = shop.get("currencyCode")
        if currency and currency != self.account.currency:
            raise other_currency(f"The Shopify shop {self.source.base_url}", currency, self.account)
        try:
            self.zone = zoneinfo.ZoneInfo(shop.get("ianaTimezone") or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            self.zone = datetime.UTC
        return self.started_at

    # -- What each kind of row reads ----------------------------------------------------

    def stores(self):
        for location in self.pages("Locations", LOCATIONS, {"first": LOCATIONS_PAGE}, "locations"):
            address = location.get("address") or {}
            number = str(location["legacyResourceId"])
            self.locations.append(number)
            yield {
                "number": number,
                "name": location.get("name") or "",
                "address": address.get("address1") or "",
                "city": address.get("city") or "",
                "state": address.get("provinceCode") or "",
                "postal_code": address.get("zip") or "",
                "country": address.get("countryCode") or "",
            }

    def products(self):
        variables = {"first": PRODUCTS_PAGE, "variants": VARIANTS_PAGE, "query": self.filter()}
        for product in self.pages("Products", PRODUCTS, variables, "products"):
            for variant in self.rest(
                product, "variants", "ProductVariants", MORE_VARIANTS, "product"
            ):
                yield _product_row(product, variant)

    def stock(self):
        for number in self.locations:
            variables = {
                "id": f"gid://shopify/Location/{number}",
                "first": LEVELS_PAGE,
                "query": self.filter(),
            }
            for level in self.pages(
                "InventoryLevels", LEVELS, variables, "location.inventoryLevels"
            ):
                sku = (level.get("item") or {}).get("sku")
                if not sku:
                    continue  # its variant is skipped (and counted) with the products
                quantities = {q["name"]: q["quantity"] for q in level.get("quantities") or []}
                yield {
                    "store": number,
                    "sku": sku,
                    # Oversold stock is below zero in Shopify; none of it is on the shelf.
                    "on_hand": max(quantities.get("available") or 0, 0),
                    "on_order": max(quantities.get("incoming") or 0, 0),
                }

    def sales(self):
        variables = {"first": ORDERS_PAGE, "lines": LINES_PAGE, "query": self.filter()}
        for order in self.pages("Orders", ORDERS, variables, "orders"):
            if order.get("test"):
                continue  # a test order is no sale
            if order.get("cancelledAt") and self.since is None:
                continue  # cancelled before its first load: nothing of it was stored
            for line in self.rest(order, "lineItems", "OrderLines", MORE_LINES, "order"):
                yield self._sales_row(order, line)

    def _sales_row(self, order, line):
        processed = datetime.datetime.fromisoformat(order["processedAt"])
        store = (order.get("retailLocation") or {}).get("legacyResourceId")
        store = str(store) if store and str(store) in self.locations else self.default_store()
        # A cancelled order sold nothing: its lines stored by an earlier load become 0.
        cancelled = bool(order.get("cancelledAt"))
        amount = ((line.get("discountedTotalSet") or {}).get("shopMoney") or {}).get("amount")
        quantity, amount = _net(line.get("quantity"), line.get("currentQuantity"), amount)
        return {
            "date": processed.astimezone(self.zone).date(),
            "store": store,
            "sku": line.get("sku") or "",
            "quantity": 0 if cancelled else quantity,
            "retail_amount": "0" if cancelled else amount,
            "reference": f"{order['name']}/{_numeric_id(line['id'])}",
        }

    def default_store(self) -> str:
        """Online orders have no retail location: they are the first location's."""
        return self.locations[0] if self.locations else ""

    def filter(self) -> str | None:
        if self.since is None:
            return None
        return f"updated_at:>'{self.since.astimezone(datetime.UTC):%Y-%m-%dT%H:%M:%SZ}'"

    # -- Pages and throttling ------------------------------------------------------------

    def pages(self, name, text, variables, path, after=None):
        """Every node of the connection at `path` (dots) of the answer, page after page."""
        while True:
            connection = _dig(self.query(name, text, {**variables, "after": after}), path)
            if connection is None:
                return  # the object is gone (a location deleted meanwhile)
            yield from connection.get("nodes") or []
            info = connection.get("pageInfo") or {}
            if not info.get("hasNextPage"):
                return
            after = info["endCursor"]

    def rest(self, parent, field, name, text, root):
        """The nodes of `parent`'s nested connection: the first page came with the parent,
        the rest is asked for by the parent's id."""
        nested = parent.get(field) or {}
        yield from nested.get("nodes") or []
        info = nested.get("pageInfo") or {}
        if info.get("hasNextPage"):
            variables = {"id": parent["id"], "first": MORE_PAGE}
            path = f"{root}.{field}"
            yield from self.pages(name, text, variables, path, after=info["endCursor"])

    def query(self, name, text, variables):
        """The `data` of one GraphQL query, waiting for the cost bucket as Shopify asks."""
        for _ in range(MAX_THROTTLED):
            if pause := self.bucket.pause_before(name):
                self.sleep(pause)
            answer = self.source.post(API_PATH, {"query": text, "variables": variables})
            body = answer.json(self.label)
            self.bucket.update(name, body.get("extensions"))
            if self.started_at is None:
                self.started_at = answer.server_time()
            errors = body.get("errors")
            if _throttled(errors):
                self.sleep(self.bucket.pause_after_throttle())
                continue
            if errors:
                raise LoadFailed(_error_message(errors))
            return body.get("data") or {}
        raise LoadFailed(
            f"Shopify kept throttling the load ({MAX_THROTTLED} times in a row); the next load "
            "will try again."
        )


def _product_row(product, variant):
    title = product.get("title") or ""
    variant_title = variant.get("title") or ""
    # A product without options has one variant called "Default Title".
    name = title if variant_title in ("", "Default Title") else f"{title} - {variant_title}"
    cost = ((variant.get("inventoryItem") or {}).get("unitCost") or {}).get("amount")
    return {
        "sku": variant.get("sku") or "",
        "name": name[:255],
        "vendor_name": product.get("vendor") or "",
        "category": product.get("productType") or "",
        "retail_price": variant.get("price"),
        "unit_cost": cost,
    }


def _dig(data, path):
    for key in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _net(quantity, current, amount):
    """(quantity, amount) of a line net of its refunds and removals. Shopify keeps a line's
    quantity and total as ordered; `currentQuantity` is what is left of it, and the amount
    left is the total in the same proportion, to the cent (a refund of whole units at the
    line's price). Anything unexpected is passed on for the importer to refuse by name."""
    if current is None or current == quantity:
        return quantity, amount
    try:
        left = Decimal(str(amount)) * Decimal(current) / Decimal(quantity) if quantity else 0
    except (InvalidOperation, TypeError, ValueError):
        return current, amount
    return current, str(Decimal(left).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _numeric_id(gid: str) -> str:
    """gid://shopify/LineItem/123 -> 123."""
    return str(gid).rsplit("/", 1)[-1]


def _codes(errors):
    if not isinstance(errors, list):
        return set()
    return {((e or {}).get("extensions") or {}).get("code") for e in errors}


def _throttled(errors) -> bool:
    return "THROTTLED" in _codes(errors)


def _error_message(errors) -> str:
    if "ACCESS_DENIED" in _codes(errors):
        return (
            "Shopify refused part of the load: the access token lacks a permission. Give the "
            f"app the {SCOPES} scopes (and read_all_orders for sales older than 60 days), then "
            "enter its new access token on the connection."
        )
    first = errors[0] if isinstance(errors, list) and errors else errors
    message = first.get("message") if isinstance(first, dict) else str(first)
    return f"Shopify refused the query: {str(message)[:300]}"
