"""A fake WooCommerce shop: GET /wp-json/wc/v3/products, /products/{id}/variations and
/orders, as WooCommerce's REST API v3 documents them.

Authentication: HTTP Basic with the consumer key and secret, or the `consumer_key` and
`consumer_secret` query parameters. A wrong key is 401 `woocommerce_rest_authentication_error`;
no credentials at all (a host that dropped the Authorization header) is 401
`woocommerce_rest_cannot_view`. Pages: `page`, `per_page` (1 to 100), with the X-WP-Total and
X-WP-TotalPages headers; `modified_after` (with `dates_are_gmt`) filters on
date_modified_gmt; orders filter by `status` (comma-separated). An order's refunds are
listed on it (`refunds`: id, reason, negative total) and in full at
/orders/{id}/refunds: each refund line gives back part of an order line, named by its
`_refunded_item_id` meta, with a negative quantity and total. The store's currency is at
/data/currencies/current; each order has its own `currency` too."""

import base64
import datetime
import math
import re

from tests.aggregation.fakes import Clock, Response

API = "/wp-json/wc/v3"
KEY = "ck_fake0123456789abcdef0123456789abcdef01"
SECRET = "cs_fake0123456789abcdef0123456789abcdef01"
VARIATIONS = re.compile(rf"^{API}/products/(\d+)/variations$")
REFUNDS = re.compile(rf"^{API}/orders/(\d+)/refunds$")


def local(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def error(status, code, message):
    return Response(status, {"code": code, "message": message, "data": {"status": status}})


class FakeWooCommerce:
    def __init__(self, clock=None, site_offset=datetime.timedelta(hours=-5)):
        self.clock = clock or Clock()
        self.site_offset = site_offset  # the site's time zone, for the local dates
        self.key, self.secret = KEY, SECRET
        self.products, self.orders = [], []
        self.variations = {}  # product id -> its variations
        self.refunds = {}  # order id -> its refunds
        self.currency = "USD"  # WooCommerce → Settings → General → Currency
        self.log = []  # (path, params, status)
        self.fail_next = []  # HTTP statuses to answer before answering normally
        self.retry_after = "3"
        self.drops_authorization = False  # a host that strips the Authorization header

    # -- The shop's data ------------------------------------------------------------------

    def stamp(self, item):
        item["date_modified_gmt"] = local(self.clock.now)
        item["date_modified"] = local(self.clock.now + self.site_offset)
        return item

    def add_product(self, product_id, name, sku, regular_price, stock=None, category="Uncategorized",
                    product_type="simple"):  # fmt: skip
        product = self.stamp({
            "id": product_id, "name": name, "slug": name.lower().replace(" ", "-"), "type": product_type,
            "status": "publish", "sku": sku, "price": regular_price, "regular_price": regular_price,
            "sale_price": "", "manage_stock": stock is not None, "stock_quantity": stock,
            "stock_status": "instock" if (stock or 0) > 0 else "outofstock",
            "categories": [{"id": 15, "name": category, "slug": category.lower()}],
            "variations": [],
        })  # fmt: skip
        self.products.append(product)
        return product

    def add_variation(self, product, variation_id, options, sku, regular_price, stock):
        variation = self.stamp({
            "id": variation_id, "sku": sku, "price": regular_price, "regular_price": regular_price,
            "sale_price": "", "manage_stock": True if stock is not None else "parent", "stock_quantity": stock,
            "attributes": [{"id": 1, "name": "Size", "option": option} for option in options],
        })  # fmt: skip
        self.variations.setdefault(product["id"], []).append(variation)
        product["variations"].append(variation_id)
        return variation

    def add_order(self, order_id, created_gmt, status, lines, currency=None):
        """lines: (sku, quantity, total) each; created_gmt: a UTC datetime; `currency` the
        customer paid in (a currency switcher), by default the store's."""
        order = self.stamp({
            "id": order_id, "number": str(order_id), "status": status, "currency": currency or self.currency,
            "date_created": local(created_gmt + self.site_offset), "date_created_gmt": local(created_gmt),
            "line_items": [{"id": order_id * 10 + i, "name": sku or "Fee", "product_id": 0, "variation_id": 0,
                            "quantity": quantity, "sku": sku, "total": total, "subtotal": total}
                           for i, (sku, quantity, total) in enumerate(lines, start=1)],
            "refunds": [],
        })  # fmt: skip
        self.orders.append(order)
        return order

    def refund(self, order, lines):
        """A refund of (line index, units, amount) each: a partial refund keeps the order's
        status, and WooCommerce changes the order (its date_modified) with it."""
        refunds = self.refunds.setdefault(order["id"], [])
        refund_id = order["id"] * 100 + len(refunds) + 1
        total = sum(amount for _index, _units, amount in lines)
        refunds.append({
            "id": refund_id, "date_created": local(self.clock.now + self.site_offset),
            "amount": f"{total:.2f}", "reason": "", "refunded_payment": False,
            "line_items": [{
                "id": refund_id * 10 + n, "name": order["line_items"][index]["name"],
                "quantity": -units, "sku": order["line_items"][index]["sku"],
                "subtotal": f"{-amount:.2f}", "total": f"{-amount:.2f}",
                "meta_data": [{"id": refund_id * 10 + n, "key": "_refunded_item_id",
                               "value": str(order["line_items"][index]["id"])}],
            } for n, (index, units, amount) in enumerate(lines, start=1)],
        })  # fmt: skip
        order["refunds"].append({"id": refund_id, "reason": "", "total": f"{-total:.2f}"})
        self.stamp(order)

    # -- The endpoint --------------------------------------------------------------------

    def __call__(self, request):
        status_or_response = self._refusal(request)
        if status_or_response is not None:
            self.log.append((request.path, request.params, status_or_response.status))
            return status_or_response
        if request.path == f"{API}/products":
            items = self._modified(self.products, request.params)
        elif match := VARIATIONS.match(request.path):
            items = self.variations.get(int(match.group(1)), [])
        elif request.path == f"{API}/data/currencies/current":
            self.log.append((request.path, request.params, 200))
            return Response(200, {"code": self.currency, "name": self.currency, "symbol": "$"})
        elif match := REFUNDS.match(request.path):
            items = self.refunds.get(int(match.group(1)), [])
        elif request.path == f"{API}/orders":
            items = self._modified(self.orders, request.params)
            if request.params.get("status"):
                wanted = set(request.params["status"].split(","))
                items = [o for o in items if "any" in wanted or o["status"] in wanted]
        else:
            return error(
                404, "rest_no_route", "No route was found matching the URL and request method."
            )
        return self._page(request, sorted(items, key=lambda item: item["id"]))

    def _refusal(self, request):
        if self.fail_next:
            status = self.fail_next.pop(0)
            headers = {"Retry-After": self.retry_after} if status == 429 else {}
            response = error(
                status, "internal_server_error", "There has been a critical error on this website."
            )
            response.headers = headers
            return response
        key, secret = self._credentials(request)
        if key is None:
            return error(401, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")
        if key != self.key:
            return error(401, "woocommerce_rest_authentication_error", "Consumer key is invalid.")
        if secret != self.secret:
            return error(
                401, "woocommerce_rest_authentication_error", "Consumer secret is invalid."
            )
        return None

    def _credentials(self, request):
        authorization = request.headers.get("authorization", "")
        if authorization.startswith("Basic ") and not self.drops_authorization:
            key, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
            return key, secret
        if "consumer_key" in request.params:
            return request.params["consumer_key"], request.params.get("consumer_secret")
        return None, None

    def _modified(self, items, params):
        after = params.get("modified_after")
        if not after:
            return items
        field = "date_modified_gmt" if params.get("dates_are_gmt") == "true" else "date_modified"
        return [item for item in items if item[field] > after]

    def _page(self, request, items):
        try:
            page = int(request.params.get("page", 1))
            per_page = int(request.params.get("per_page", 10))
        except ValueError:
            return error(400, "rest_invalid_param", "Invalid parameter(s): page")
        if not 1 <= per_page <= 100:
            return error(400, "rest_invalid_param", "Invalid parameter(s): per_page")
        pages = max(1, math.ceil(len(items) / per_page))
        chosen = items[(page - 1) * per_page : page * per_page]
        self.log.append((request.path, request.params, 200))
        return Response(200, chosen, {"X-WP-Total": len(items), "X-WP-TotalPages": pages})

    # -- What the tests read back ----------------------------------------------------------

    def requests(self, path):
        return [params for p, params, status in self.log if p == f"{API}{path}" and status == 200]
