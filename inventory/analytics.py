"""Vendor analytics (seed 002: "inventory, sell-through performance & aging"): what a
vendor's own products sold and how long their stock has sat, per retailer and across the
retailers that share with it, at cost only.

Which rows count is the access policy's answer (partners/access.py), narrowed to the
vendor data share: the stores a retailer shares with the vendor *as a vendor*, and only
products whose vendor is the viewer. Nothing here reads a retail price, a sales amount or
a customer.

Definitions (shown on the page, the README says the same):

- units sold: the sum of sales quantities in the period, net of returns;
- cost sold: the sum of the lines' cost amounts (lines without one add nothing);
- sell-through = units sold / (units sold + on hand now);
- weeks of supply = on hand now / (units sold / weeks in the period); none when nothing
  sold;
- age of a stock row = days from the day stock last arrived (Stock.last_received_on), or
  else the day the row was first stored (Stock.first_seen_at, local date), to today. Its
  on-hand units go in one bucket: 0-30, 31-60, 61-90, 91-180, over 180 days.

Every figure is a GROUP BY in the database (by store, by product, by day); Python only
joins a few hundred or thousand grouped rows.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Max, Q, Sum
from django.utils import timezone

from accounts.models import Store
from inventory.models import Product, SalesLine, Stock
from partners.access import VENDOR_FIELD, Scope, accesses_for

PERIOD_WEEKS = (4, 13, 26, 52)
DEFAULT_WEEKS = 13
# (key, label, lowest age in days, highest or None)
AGE_BUCKETS = (
    ("age_0_30", "0-30 days", 0, 30),
    ("age_31_60", "31-60 days", 31, 60),
    ("age_61_90", "61-90 days", 61, 90),
    ("age_91_180", "91-180 days", 91, 180),
    ("age_over_180", "over 180 days", 181, None),
)
AGE_DEFINITION = (
    "days from the day stock last arrived at the store (a stock file's last-received date, "
    "or an adjustment with the reason Received) to today; for stock with no receipt "
    "known, from the day the store's stock row was first seen"
)
OLD_AFTER_DAYS = 90  # the glance's "older than 90 days"
CENT = Decimal("0.01")
TABLE_ROWS = 25  # rows per table on the page (most units sold first); the export has all


# -- who and which rows ------------------------------------------------------------------
def vendor_accesses(vendor) -> list:
    """The vendor's access to each retailer with a live vendor data share, by name."""
    found = [a for a in accesses_for(vendor) if Scope.VENDOR in a.scopes]
    return sorted(found, key=lambda a: (a.owner.name.lower(), a.owner.pk))


def vendor_rows_q(access) -> Q:
    """Rows (stock, sales) of the vendor's own products in the stores the retailer shares
    with it as a vendor: the policy's answer for the vendor share. The vendor's product
    ids are named as well (the same rows): without them PostgreSQL walks every sales line
    and stock row of the shared stores and joins each to its product; with them it reads
    only the vendor's, by the (product, date) and (product, store) indexes."""
    products = Product.objects.filter(organization=access.owner, **{VENDOR_FIELD: access.viewer})
    ids = list(products.values_list("pk", flat=True))
    lookup = "product__any" if connection.vendor == "postgresql" else "product__in"
    return Q(organization=access.owner) & access.vendor_share_rows_q() & Q(**{lookup: ids})


def rows_q(accesses) -> Q:
    q = Q(pk__in=[])
    for access in accesses:
        q |= vendor_rows_q(access)
    return q


# -- the period --------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    weeks: int
    end: datetime.date
    latest_sale: datetime.date | None  # the last sale the vendor can see, if any
    end_given: bool = False

    @property
    def start(self) -> datetime.date:
        return self.end - datetime.timedelta(days=self.weeks * 7 - 1)

    @property
    def days(self) -> int:
        return self.weeks * 7


def latest_sale(accesses):
    if not accesses:
        return None
    return SalesLine.objects.filter(rows_q(accesses)).aggregate(last=Max("date"))["last"]


def period_for(accesses, weeks=None, end=None) -> Period:
    """`weeks` (one of PERIOD_WEEKS) ending on `end`; by default 13 weeks ending on the
    latest sale the vendor can see, since a retailer's data ends at its last import, not
    today (days after it are unknown, not zero)."""
    weeks = weeks if weeks in PERIOD_WEEKS else DEFAULT_WEEKS
    last = latest_sale(accesses)
    if end is None:
        return Period(weeks=weeks, end=last or timezone.localdate(), latest_sale=last)
    return Period(weeks=weeks, end=end, latest_sale=last, end_given=True)


# -- the figures -------------------------------------------------------------------------
@dataclass
class Figures:
    """Units and cost sold in the period, on hand now and its age buckets, for one group
    (a store, a product, a retailer or everything)."""

    units: Decimal = Decimal(0)
    costs: dict = field(default_factory=dict)  # currency -> cost sold
    on_hand: int = 0
    ages: dict = field(default_factory=lambda: {key: 0 for key, *_ in AGE_BUCKETS})
    weeks: int = DEFAULT_WEEKS

    def add_sales(self, units, cost, currency):
        # Sums come back with the database's own precision (SQLite: 111111.110000000).
        self.units += Decimal(units or 0).quantize(CENT)
        if cost is not None:
            self.costs[currency] = self.costs.get(currency, Decimal(0)) + Decimal(cost).quantize(
                CENT
            )

    def add_stock(self, values):
        self.on_hand += values["on_hand"] or 0
        for key in self.ages:
            self.ages[key] += values[key] or 0

    def merge(self, other):
        self.units += other.units
        for currency, cost in other.costs.items():
            self.costs[currency] = self.costs.get(currency, Decimal(0)) + cost
        self.on_hand += other.on_hand
        for key in self.ages:
            self.ages[key] += other.ages[key]

    @property
    def sell_through(self):
        """Percent, or None when nothing was sold or on hand."""
        base = self.units + self.on_hand
        return None if base <= 0 else float(self.units) / float(base) * 100

    @property
    def weekly_units(self):
        return float(self.units) / self.weeks

    @property
    def weeks_of_supply(self):
        return None if self.units <= 0 else self.on_hand / self.weekly_units

    @property
    def no_supply_reason(self):
        if self.units > 0:
            return ""
        return "nothing sold in the period" if self.units == 0 else "returns exceed sales"

    @property
    def old_units(self):
        return self.ages["age_91_180"] + self.ages["age_over_180"]

    @property
    def old_share(self):
        """Percent of on-hand units older than 90 days, or None without stock."""
        total = sum(self.ages.values())
        return None if total <= 0 else self.old_units / total * 100

    @property
    def age_rows(self):
        total = sum(self.ages.values())
        return [
            (label, self.ages[key], (self.ages[key] / total * 100) if total > 0 else None)
            for key, label, *_ in AGE_BUCKETS
        ]

    @property
    def cost(self):
        """The cost sold when it is in one currency (or none), else None: money is never
        added up across currencies."""
        if len(self.costs) > 1:
            return None
        return next(iter(self.costs.values()), Decimal("0.00"))


def _age_filters(today):
    """A Q per age bucket on stock rows: the age counts from last_received_on, or from
    the local day of first_seen_at when nothing was received. A date in the future (a
    clock or a file ahead of today) is age 0."""
    tz = timezone.get_current_timezone()

    def since(days):  # (received on or after, first seen at or after) for age <= days
        day = today - datetime.timedelta(days=days)
        start = datetime.datetime.combine(day, datetime.time.min, tzinfo=tz)
        return Q(last_received_on__gte=day) | Q(last_received_on=None, first_seen_at__gte=start)

    filters = {}
    for key, _label, low, high in AGE_BUCKETS:
        q = Q(on_hand__gt=0)
        if high is not None:
            q &= since(high)
        if low > 0:
            q &= ~since(low - 1)
        filters[key] = q
    return filters


def _stock_annotations(today):
    return {
        "on_hand_sum": Sum("on_hand", filter=Q(on_hand__gt=0)),
        **{key: Sum("on_hand", filter=q) for key, q in _age_filters(today).items()},
    }


@dataclass
class Report:
    period: Period
    accesses: list
    today: datetime.date
    total: Figures
    retailers: list  # [(access, Figures)]
    stores: list  # [dict]
    products: list  # [dict]
    weekly: list  # [(week start, units)]
    currencies: set

    @property
    def several_retailers(self):
        return len(self.accesses) > 1


def report(accesses, period: Period, today=None) -> Report:
    """Every figure of the page and the exports, for the retailers in `accesses`."""
    today = today or timezone.localdate()
    currency = {a.owner.pk: a.owner.currency for a in accesses}
    names = {a.owner.pk: a.owner.name for a in accesses}
    q = rows_q(accesses)
    sales = SalesLine.objects.filter(q, date__gte=period.start, date__lte=period.end)
    stock = Stock.objects.filter(q)
    annotations = _stock_annotations(today)

    def new():
        return Figures(weeks=period.weeks)

    by_store, by_product = {}, {}
    for key_field, groups in (("store_id", by_store), ("product_id", by_product)):
        for row in sales.values("organization_id", key_field).annotate(
            units=Sum("quantity"), cost=Sum("cost_amount")
        ):
            figures = groups.setdefault((row["organization_id"], row[key_field]), new())
            figures.add_sales(row["units"], row["cost"], currency[row["organization_id"]])
        for row in stock.values("organization_id", key_field).annotate(**annotations):
            figures = groups.setdefault((row["organization_id"], row[key_field]), new())
            figures.add_stock({**row, "on_hand": row["on_hand_sum"]})

    per_retailer = {a.owner.pk: new() for a in accesses}
    for (organization_id, _store), figures in by_store.items():
        per_retailer[organization_id].merge(figures)
    total = new()
    for figures in per_retailer.values():
        total.merge(figures)

    store_info = {
        s["pk"]: s
        for s in Store.objects.filter(pk__in=[pk for _, pk in by_store]).values(
            "pk", "number", "name", "city"
        )
    }
    product_info = {
        p["pk"]: p
        for p in Product.objects.filter(pk__in=[pk for _, pk in by_product]).values(
            "pk", "sku", "name", "category", "unit_cost"
        )
    }
    stores = [
        {
            "retailer": names[org], "retailer_id": org, "currency": currency[org],
            "number": store_info[pk]["number"],
            "name": store_info[pk]["name"] or store_info[pk]["city"], "figures": figures,
        }
        for (org, pk), figures in by_store.items()
    ]  # fmt: skip
    products = [
        {
            "retailer": names[org], "retailer_id": org, "currency": currency[org],
            "sku": product_info[pk]["sku"], "name": product_info[pk]["name"],
            "category": product_info[pk]["category"], "unit_cost": product_info[pk]["unit_cost"],
            "figures": figures,
        }
        for (org, pk), figures in by_product.items()
    ]  # fmt: skip

    def order(row):
        return (
            -row["figures"].units,
            row["retailer"],
            natural_key(row.get("number") or row.get("sku")),
        )

    stores.sort(key=order)
    products.sort(key=order)
    return Report(
        period=period, accesses=accesses, today=today, total=total,
        retailers=[(a, per_retailer[a.owner.pk]) for a in accesses], stores=stores,
        products=products, weekly=_weekly(sales, period), currencies=set(total.costs),
    )  # fmt: skip


def _weekly(sales, period):
    """Units sold per week of the period (weeks end on the period's last day)."""
    weeks = [Decimal(0)] * period.weeks
    for row in sales.values("date").annotate(units=Sum("quantity")).order_by():
        index = (row["date"] - period.start).days // 7
        weeks[index] += row["units"] or 0
    return [(period.start + datetime.timedelta(days=7 * i), units) for i, units in enumerate(weeks)]


def natural_key(text):
    """Store numbers and SKUs sort as numbers when they are: 2 before 13."""
    text = text or ""
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


# -- the vendor home's glance ------------------------------------------------------------
def glance(organization) -> dict:
    """The vendor home page's summary, over every retailer sharing with it, for the
    default period: retailers, units sold, sell-through %, weeks of supply and the share
    of on-hand units older than 90 days (None where a figure has no meaning). Two
    aggregates, not the whole report."""
    accesses = vendor_accesses(organization)
    period = period_for(accesses)
    total = Figures(weeks=period.weeks)
    if accesses:
        q = rows_q(accesses)
        sold = SalesLine.objects.filter(q, date__gte=period.start, date__lte=period.end)
        total.units = Decimal(sold.aggregate(units=Sum("quantity"))["units"] or 0).quantize(CENT)
        stock = Stock.objects.filter(q).aggregate(**_stock_annotations(timezone.localdate()))
        total.add_stock({**stock, "on_hand": stock["on_hand_sum"]})
    return {
        "retailers": len(accesses),
        "period": period,
        "units_sold": total.units,
        "sell_through": total.sell_through,
        "weeks_of_supply": total.weeks_of_supply,
        "no_supply_reason": total.no_supply_reason,
        "old_share": total.old_share,
        "on_hand": total.on_hand,
    }
