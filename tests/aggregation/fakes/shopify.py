"""A fake Shopify shop: POST /admin/api/2025-01/graphql.json with X-Shopify-Access-Token.

It answers as Shopify documents: `{"data": …, "extensions": {"cost": {"requestedQueryCost",
"actualQueryCost", "throttleStatus": {"maximumAvailable", "currentlyAvailable",
"restoreRate"}}}}`; a query that costs more than the bucket holds is refused with
`{"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", …}}]}` (HTTP 200,
no data); a revoked token gets HTTP 401 `{"errors": "[API] Invalid API key or access token
(unrecognized login or wrong password)"}`. Lists page by `first`/`after` and filter by
`query: "updated_at:>'…'"`.

The bucket refills on the fake clock (fakes.Clock), which only the connector's injected
sleep moves: a wait too short is THROTTLED again, a wait long enough is exact."""

import datetime
import re

from tests.aggregation.fakes import Clock, Response
from tests.aggregation.fakes.graphql import (
    Connection,
    Parser,
    QueryError,
    actual_cost,
    execute,
    requested_cost,
)

PATH = "/admin/api/2025-01/graphql.json"
TOKEN = "shpat_fake0123456789abcdef"
UNAUTHORIZED = "[API] Invalid API key or access token (unrecognized login or wrong password)"
UPDATED_AT = re.compile(r"updated_at:(>=|>|<=|<)'?([^' ]+)'?")


def iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def updated_since(items, query):
    """Shopify's search syntax, the part connectors use: updated_at:>'2026-01-01T00:00:00Z'."""
    match = UPDATED_AT.search(query)
    if not match:
        return items
    operator, text = match.groups()
    bound = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    compare = {">": lambda v: v > bound, ">=": lambda v: v >= bound,
               "<": lambda v: v < bound, "<=": lambda v: v <= bound}[operator]  # fmt: skip
    return [
        item
        for item in items
        if compare(datetime.datetime.fromisoformat(item["updatedAt"].replace("Z", "+00:00")))
    ]


def money(amount):
    return {"__typename": "MoneyV2", "amount": amount, "currencyCode": "USD"}


class Bucket:
    def __init__(self, clock, maximum=1000.0, restore_rate=50.0):
        self.clock = clock
        self.maximum = maximum
        self.restore_rate = restore_rate
        self.available = maximum
        self.at = clock.now
        self.refund = True  # actual cost below requested is given back, as Shopify does

    def refill(self):
        elapsed = (self.clock.now - self.at).total_seconds()
        self.available = min(self.maximum, self.available + elapsed * self.restore_rate)
        self.at = self.clock.now

    def status(self):
        return {"maximumAvailable": self.maximum, "currentlyAvailable": round(self.available, 6),
                "restoreRate": self.restore_rate}  # fmt: skip


class FakeShopify:
    """The shop's data, in the API's own shapes, and switches for what can go wrong."""

    def __init__(self, clock=None, timezone="America/Chicago"):
        self.clock = clock or Clock()
        self.bucket = Bucket(self.clock)
        self.timezone = timezone
        self.currency = "USD"  # the shop's currency (Settings → General)
        self.token = TOKEN
        self.locations, self.products, self.orders = [], [], []
        self.levels = {}  # location legacy id -> inventory levels
        self.log = []  # (operation name, variables, answer status, cost or None)
        self.fail_next = []  # HTTP statuses to answer before answering normally
        self.throttle_next = 0  # queries to refuse as THROTTLED whatever the bucket holds

    # -- The shop's data ------------------------------------------------------------------

    def stamp(self, item):
        item["updatedAt"] = iso(self.clock.now)
        return item

    def add_location(
        self, legacy_id, name, city, province_code, country_code="US", address1="", zip_code=""
    ):
        location = self.stamp({
            "__typename": "Location", "id": f"gid://shopify/Location/{legacy_id}",
            "legacyResourceId": str(legacy_id), "name": name, "isActive": True,
            "address": {"__typename": "LocationAddress", "address1": address1, "city": city,
                        "province": province_code, "provinceCode": province_code, "zip": zip_code,
                        "countryCode": country_code, "country": country_code},
        })  # fmt: skip
        self.levels[str(legacy_id)] = []
        location["inventoryLevels"] = Connection(
            "InventoryLevel", lambda: self.levels[str(legacy_id)], updated_since
        )
        location["inventoryLevel"] = None
        self.locations.append(location)
        return location

    def add_product(self, legacy_id, title, vendor, product_type, variants):
        """variants: (title, sku or None, price, unit cost or None) each."""
        product = self.stamp({
            "__typename": "Product", "id": f"gid://shopify/Product/{legacy_id}",
            "legacyResourceId": str(legacy_id), "title": title, "vendor": vendor,
            "productType": product_type, "status": "ACTIVE", "variants": None,
        })  # fmt: skip
        nodes = []
        for index, (variant_title, sku, price, cost) in enumerate(variants, start=1):
            variant_id = legacy_id * 1000 + index
            nodes.append(self.stamp({
                "__typename": "ProductVariant", "id": f"gid://shopify/ProductVariant/{variant_id}",
                "title": variant_title, "displayName": f"{title} - {variant_title}", "sku": sku,
                "price": price, "product": product,
                "inventoryItem": {
                    "__typename": "InventoryItem", "id": f"gid://shopify/InventoryItem/{variant_id}",
                    "sku": sku, "tracked": True,
                    "unitCost": None if cost is None else money(cost),
                },
            }))  # fmt: skip
        product["variants"] = Connection("ProductVariant", nodes)
        product["_variants"] = nodes
        self.products.append(product)
        return product

    def set_level(self, location_id, variant, available, incoming=0):
        """The variant's quantities at a location (a new level, or a changed one)."""
        levels = self.levels[str(location_id)]
        item = variant["inventoryItem"]
        level = next((lv for lv in levels if lv["item"] is item), None)
        if level is None:
            level = {
                "__typename": "InventoryLevel",
                "id": f"gid://shopify/InventoryLevel/{location_id}-{item['id']}",
                "item": item,
            }
            levels.append(level)
        quantities = {
            "available": available,
            "incoming": incoming,
            "on_hand": max(available, 0),
            "committed": 0,
        }
        level["quantities"] = lambda arguments, q=quantities: [
            {"__typename": "InventoryQuantity", "name": name, "quantity": q[name]}
            for name in arguments["names"]
        ]
        level["_quantities"] = quantities
        self.stamp(level)

    def add_order(
        self, legacy_id, processed_at, lines, retail_location=None, test=False, cancelled=False
    ):
        """lines: (variant or None, sku, quantity, discounted total) each."""
        location = next(
            (lo for lo in self.locations if lo["legacyResourceId"] == str(retail_location)), None
        )
        nodes = [{
            "__typename": "LineItem", "id": f"gid://shopify/LineItem/{legacy_id * 100 + index}",
            "sku": sku, "quantity": quantity, "currentQuantity": quantity, "name": sku or "Custom item",
            "discountedTotalSet": {"__typename": "MoneyBag", "shopMoney": money(total)},
        } for index, (sku, quantity, total) in enumerate(lines, start=1)]  # fmt: skip
        order = self.stamp({
            "__typename": "Order", "id": f"gid://shopify/Order/{legacy_id}", "legacyResourceId": str(legacy_id),
            "name": f"#{legacy_id}", "processedAt": processed_at, "test": test,
            "cancelledAt": iso(self.clock.now) if cancelled else None,
            "retailLocation": location, "lineItems": Connection("LineItem", nodes), "_lines": nodes,
        })  # fmt: skip
        self.orders.append(order)
        return order

    def cancel(self, order):
        order["cancelledAt"] = iso(self.clock.now)
        self.stamp(order)

    def refund(self, order, line, quantity):
        """Refund `quantity` units of one of the order's lines: Shopify keeps the line's
        quantity and total as ordered and lowers its currentQuantity."""
        order["_lines"][line]["currentQuantity"] -= quantity
        self.stamp(order)

    def edit_quantity(self, order, line, quantity):
        """An order edit that changes a line's quantity (and so its current quantity)."""
        order["_lines"][line]["quantity"] = quantity
        order["_lines"][line]["currentQuantity"] = quantity
        self.stamp(order)

    def root(self):
        by_id = lambda items: {item["id"]: item for item in items}  # noqa: E731
        return {
            "__typename": "QueryRoot",
            "shop": {
                "__typename": "Shop",
                "name": "Fake Shop",
                "ianaTimezone": self.timezone,
                "currencyCode": self.currency,
            },
            "locations": Connection("Location", self.locations),
            "products": Connection("Product", self.products, updated_since),
            "orders": Connection("Order", self.orders, updated_since),
            "location": lambda a: by_id(self.locations).get(a.get("id")),
            "product": lambda a: by_id(self.products).get(a.get("id")),
            "order": lambda a: by_id(self.orders).get(a.get("id")),
        }

    # -- The endpoint --------------------------------------------------------------------

    def __call__(self, request):
        if request.method != "POST" or request.path != PATH:
            return Response(404, {"errors": "Not Found"})
        if request.headers.get("x-shopify-access-token") != self.token:
            self.log.append((None, None, 401, None))
            return Response(401, {"errors": UNAUTHORIZED})
        if self.fail_next:
            status = self.fail_next.pop(0)
            self.log.append((None, None, status, None))
            return Response(
                status,
                {"errors": "Internal Server Error"},
                {"Retry-After": "2"} if status == 429 else {},
            )
        payload = request.json()
        return self.answer(payload.get("query", ""), payload.get("variables") or {})

    def answer(self, text, variables):
        try:
            name, selections = Parser(text).operation()
        except QueryError as error:
            return Response(
                200, {"errors": [{"message": error.message, "extensions": error.extensions}]}
            )
        self.bucket.refill()
        requested = requested_cost(selections, variables)
        cost = {"requestedQueryCost": requested, "actualQueryCost": None}
        if requested > self.bucket.maximum:
            return self._refused(
                name,
                variables,
                "MAX_COST_EXCEEDED",
                cost,
                f"Query cost is {requested}, which exceeds the single query max cost limit ({self.bucket.maximum:g}).",
            )
        if self.throttle_next or requested > self.bucket.available + 1e-6:
            self.throttle_next = max(0, self.throttle_next - 1)
            return self._refused(name, variables, "THROTTLED", cost, "Throttled")
        self.bucket.available -= requested
        try:
            data = execute(selections, self.root(), variables)
        except QueryError as error:
            self.bucket.available += requested
            return Response(
                200, {"errors": [{"message": error.message, "extensions": error.extensions}]}
            )
        actual = actual_cost(selections, data)
        if self.bucket.refund:
            self.bucket.available += requested - actual
        cost.update(actualQueryCost=actual, throttleStatus=self.bucket.status())
        self.log.append((name, variables, 200, cost))
        return Response(200, {"data": data, "extensions": {"cost": cost}})

    def _refused(self, name, variables, code, cost, message):
        cost = {**cost, "throttleStatus": self.bucket.status()}
        self.log.append((name, variables, code, cost))
        error = {
            "message": message,
            "extensions": {
                "code": code,
                "documentation": "https://shopify.dev/api/usage/rate-limits",
            },
        }
        return Response(200, {"errors": [error], "extensions": {"cost": cost}})

    # -- What the tests read back ----------------------------------------------------------

    def queries(self, name):
        """The variables of each answered query of that name."""
        return [variables for n, variables, status, _ in self.log if n == name and status == 200]
