"""A WooCommerce shop through its REST API (wp-json/wc/v3), as rows for the importers:

    products, and the variations of variable products -> products by SKU, and their stock
    orders (completed or processing), their line items -> sales lines, net of the order's
                                                         refunds

WooCommerce keeps one stock per product and has no locations, so a WooCommerce account
has one store: its first one, or store "1" named after the site, made by the first load
when the account has none. All its stock and sales are that store's.

Lists come a page at a time (`page`, `per_page` up to 100, until the X-WP-TotalPages
header's last page), ordered by id so a page never shifts under a product added
meanwhile. An incremental load asks only for what was modified since
(`modified_after`, in GMT with `dates_are_gmt=true`).

The consumer key and secret go as HTTP Basic credentials over https, as WooCommerce
documents. Some hosts drop the Authorization header before WordPress sees it; WooCommerce
then answers as to a visitor ("woocommerce_rest_cannot_view"), and the key and secret are
sent as the query parameters WooCommerce documents for that case.
"""

import base64
import contextlib
import datetime
import urllib.parse
from decimal import Decimal, InvalidOperation

from accounts.models import Store
from aggregation.sources import LoadFailed, Refusals, Source, other_currency

API = "/wp-json/wc/v3"
PER_PAGE = 100
REFUSED = (
    "WooCommerce refused the consumer key and secret: they may have been revoked, or the key "
    "may lack Read permission. In WordPress, open WooCommerce → Settings → Advanced → REST API, "
    "add a key with Read permission and enter its consumer key and secret on the connection."
)
NOT_A_SHOP = (
    "This address has no WooCommerce REST API (wp-json/wc/v3): check the site address on the "
    'connection, that WooCommerce is active, and that WordPress permalinks are not "Plain".'
)
SOLD = ["completed", "processing"]
# Orders that stopped being sales: an incremental load sets their stored lines to 0.
UNDONE = ["cancelled", "refunded"]
SELLABLE = (
    "simple",
    "variable",
)  # grouped products sell their children; external ones are elsewhere's


class WooCommerceReader:
    """One load's reading of a shop: `open()` first, then stores, products, stock and sales
    (in that order: each names what the ones before it wrote)."""

    label = "WooCommerce"

    def __init__(self, connection, *, since, sleep):
        values = connection.credential_values()
        self.key, self.secret = values.get("consumer_key", ""), values.get("consumer_secret", "")
        basic = base64.b64encode(f"{self.key}:{self.secret}".encode()).decode()
        self.source = Source(
            base_url=connection.shop_url,
            label=self.label,
            refusals=Refusals(credentials=REFUSED, address=NOT_A_SHOP),
            headers={"Authorization": f"Basic {basic}"},
            sleep=sleep,
        )
        self.since = since
        self.account = connection.child
        self.key_in_query = False
        self.store, self.new_store = _store_of(connection.child)
        self.site = urllib.parse.urlsplit(self.source.base_url).hostname or "Online shop"
        self._stock = []

    def open(self) -> datetime.datetime:
        """Check the key (and how the host passes it on); returns the shop's time now,
        which the next load reads from."""
        answer = self.source.get(f"{API}/products", {"per_page": 1}, accept=(401,))
        if answer.status == 401 and _code(answer) == "woocommerce_rest_cannot_view":
            self.key_in_query = True  # the host dropped the Authorization header
            answer = self.source.get(
                f"{API}/products", self._params({"per_page": 1}), accept=(401,)
            )
        if answer.status == 401:
            raise LoadFailed(REFUSED)
        self._check_currency()
        return answer.server_time()

    def _check_currency(self):
        """The store's currency (WooCommerce → Settings → General) must be the account's.
        A WooCommerce older than the endpoint answers 404: each order's own currency is
        checked as it is read."""
        answer = self.source.get(
            f"{API}/data/currencies/current", self._params({}), accept=(401, 403, 404)
        )
        data = answer.json(self.label) if answer.status == 200 else {}
        code = data.get("code") if isinstance(data, dict) else None
        if code and code != self.account.currency:
            raise other_currency(
                f"The WooCommerce store {self.source.base_url}", code, self.account
            )

    # -- What each kind of row reads ----------------------------------------------------

    def stores(self):
        if self.new_store:
            yield {"number": self.store, "name": self.site}

    def products(self):
        """Products by SKU; their stock is kept for stock(), read from the same answers."""
        for product in self.pages("/products", self._modified()):
            if product.get("type") not in SELLABLE:
                continue
            if product["type"] == "simple":
                yield self._product_row(product, product)
                continue
            if product.get("manage_stock") is True:
                # Stock kept for the product as a whole, shared by its variations.
                yield self._product_row(product, product)
            for variation in self.pages(f"/products/{product['id']}/variations", {}):
                yield self._product_row(variation, product)

    def stock(self):
        yield from self._stock

    def sales(self):
        statuses = SOLD + (UNDONE if self.since else [])
        for order in self.pages("/orders", self._modified({"status": ",".join(statuses)})):
            undone = order.get("status") in UNDONE
            day = (order.get("date_created") or "")[:10]  # the site's own day
            currency = order.get("currency")
            if currency and currency != self.account.currency:
                # A currency switcher lets a customer pay in another currency.
                raise other_currency(
                    f"WooCommerce order #{order.get('number') or order['id']}",
                    currency,
                    self.account,
                )
            # A refund changes the order (so an incremental load reads it again), not its
            # lines: what each gave back is in the refunds, read only for orders that have any.
            refunded = self._refunded(order) if order.get("refunds") and not undone else {}
            for line in order.get("line_items") or []:
                quantity, total = line.get("quantity"), line.get("total")
                if str(line.get("id")) in refunded:
                    quantity, total = _net(quantity, total, refunded[str(line.get("id"))])
                yield {
                    "date": day,
                    "store": self.store,
                    "sku": line.get("sku") or "",
                    "quantity": 0 if undone else quantity,
                    "retail_amount": "0" if undone else total,
                    "reference": f"#{order.get('number') or order['id']}/{line['id']}",
                }

    def _refunded(self, order):
        """{line id: (units, amount)} the order's refunds gave back of each of its lines.
        A refund's lines name the order line they refund (meta `_refunded_item_id`), with a
        negative quantity and total; a refund of an amount only has a quantity of 0."""
        back = {}
        for refund in self.pages(f"/orders/{order['id']}/refunds", {}):
            for line in refund.get("line_items") or []:
                item = next(
                    (m.get("value") for m in line.get("meta_data") or []
                     if m.get("key") == "_refunded_item_id"),
                    None,
                )  # fmt: skip
                if item is None:
                    continue
                try:
                    units = abs(int(line.get("quantity") or 0))
                    amount = abs(Decimal(str(line.get("total") or "0")))
                except (InvalidOperation, TypeError, ValueError):
                    raise LoadFailed(
                        f"WooCommerce order #{order.get('number') or order['id']} has a refund "
                        f"whose line cannot be read (quantity {line.get('quantity')!r}, total "
                        f"{line.get('total')!r}), so its sales would be wrong; the load "
                        "stopped there, and the next one reads it again."
                    ) from None
                had_units, had_amount = back.get(str(item), (0, Decimal(0)))
                back[str(item)] = (had_units + units, had_amount + amount)
        return back

    def _product_row(self, item, product):
        name = product.get("name") or ""
        if item is not product:
            options = ", ".join(a.get("option") or "" for a in item.get("attributes") or [])
            name = f"{name} - {options}" if options else name
        categories = product.get("categories") or []
        row = {
            "sku": item.get("sku") or "",
            "name": name[:255],
            "category": categories[0].get("name", "") if categories else "",
            "retail_price": item.get("regular_price") or None,
        }
        # Stock of an item without a SKU has nothing to go to: its product is skipped (and counted).
        if (
            row["sku"]
            and item.get("manage_stock") is True
            and item.get("stock_quantity") is not None
        ):
            self._stock.append(
                # Backorders take stock below zero; none of it is on the shelf.
                {"store": self.store, "sku": row["sku"], "on_hand": max(item["stock_quantity"], 0)}
            )
        return row

    # -- Pages ---------------------------------------------------------------------------

    def pages(self, path, params):
        page, last = 1, 1
        while page <= last:
            query = self._params(
                {**params, "page": page, "per_page": PER_PAGE, "orderby": "id", "order": "asc"}
            )
            answer = self.source.get(f"{API}{path}", query)
            items = answer.json(self.label)
            if not isinstance(items, list):
                raise LoadFailed(
                    f"WooCommerce answered {answer.url} with something other than a list."
                )
            yield from items
            last = _total_pages(answer, page, len(items))
            page += 1

    def _modified(self, params=None):
        params = dict(params or {})
        if self.since is not None:
            params["modified_after"] = f"{self.since.astimezone(datetime.UTC):%Y-%m-%dT%H:%M:%S}"
            params["dates_are_gmt"] = "true"
        return params

    def _params(self, params):
        if self.key_in_query:
            return {**params, "consumer_key": self.key, "consumer_secret": self.secret}
        return params


def _net(quantity, total, refunded):
    """A line's quantity and total less what its refunds gave back; a value that is not a
    number is passed on as it came, for the importer to refuse by name."""
    units, amount = refunded
    with contextlib.suppress(TypeError, ValueError):
        quantity = int(quantity) - units
    with contextlib.suppress(InvalidOperation, TypeError, ValueError):
        total = str(Decimal(str(total)) - amount)
    return quantity, total


def _store_of(child):
    """The account's one store: its first, or "1" (new) when it has none."""
    number = (
        Store.objects.for_org(child).order_by("number").values_list("number", flat=True).first()
    )
    return (number, False) if number else ("1", True)


def _total_pages(answer, page, count) -> int:
    try:
        return int(answer.header("X-WP-TotalPages"))
    except ValueError:
        # No header (a caching plugin stripped it): a full page may have a next one.
        return page + 1 if count >= PER_PAGE else page


def _code(answer) -> str:
    try:
        data = answer.json("WooCommerce")
    except LoadFailed:
        return ""
    return data.get("code", "") if isinstance(data, dict) else ""
