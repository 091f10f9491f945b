"""The order plan of a master account, rebuilt from the rollups after each refresh.

What goes in, per item (products matched across the children: aggregation/matching.py):

- **Each account plans its own need.** A child's need comes from its own stock and its own
  demand; the master's order is the sum of the children's orders. Accounts marked as
  sharing stock (the same `Connection.stock_pool`) are one warehouse: only they are pooled,
  their demand and stock added up and planned as one. One such plan is a *part* of the row.
- **History ends where each account's data ends.** An account's "sales through" date is
  the last day of its sales in the rollup (at most today). Its history is the
  `history_days` days up to that date: the days after it are unknown, not zero. A pool's
  history ends on its members' earliest "sales through".
- **Demand is cleansed** (aggregation/rollups.py DEMAND_RULES): returns and cancellations
  (negative lines) and lines at no price are left out of demand; the units each rule
  removed in the window are kept in the part.
- A day is unknown, rather than zero demand, when nothing sold and a refresh saw the item
  out of stock in that account that day (StockoutDay), or when a planner excluded it
  (ItemOverride). Days before the item's first sale in the window are skipped.
- A planner's manual forecast (ItemOverride.manual_daily, units a day for the whole item)
  replaces the statistical forecast; it is split across the parts in proportion to their
  own forecasts (equally when those are all zero). sigma stays the statistical one.
- Lead time, minimum order and case pack come from a product's rule, else its vendor's
  rule, else (case pack only) the product's own case pack from its file, else the
  master's settings. The review period and the service level are the master's.
- A negative stock count of a product (a counting error) plans as 0 on hand.

The forecast (aggregation/forecast.py) and the order line (aggregation/planning.py) are
computed for all parts at once.
"""

import datetime
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from aggregation.forecast import backtest_many, forecast_many
from aggregation.matching import matching_for
from aggregation.models import (
    ItemOverride,
    MasterAccount,
    PlanRow,
    ReplenishmentRule,
    RollupStock,
)
from aggregation.planning import plan_lines, z_for_service_level
from core.queue import enqueue_on_commit
from inventory.models import Product

WRITE_BATCH = 2000
READ_CHUNK = 100_000  # rollup rows held as Python tuples at a time


@dataclass
class Part:
    """One account's (or one stock pool's) plan of one item."""

    item: str
    members: list  # [(child_id, sku)]
    child_ids: list
    label: str
    pooled: bool = False
    on_hand: int = 0
    on_order: int = 0
    start: datetime.date | None = None  # the window: start to end, both included
    end: datetime.date | None = None
    history: list = field(default_factory=list)  # from the first sale to `end`
    days_used: int | None = None  # the history's known days (None: count them)
    removed: dict = field(default_factory=lambda: {"returned": 0.0, "unpriced": 0.0})
    lead_time_days: int = 0
    minimum_order: int = 0
    case_pack: int = 1


def settings_of(master) -> dict:
    """The settings a plan is computed with (kept with the plan, shown with it)."""
    return {
        "lead_time_days": master.lead_time_days,
        "review_period_days": master.review_period_days,
        "service_level": float(master.service_level),
        "history_days": master.history_days,
        "minimum_order": master.minimum_order,
        "case_pack": master.case_pack,
    }


# -- What the plan reads ---------------------------------------------------------------


def sales_through(master, today=None) -> dict:
    """{child_id: the last day of its sales in the rollup, at most today}."""
    today = today or timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT child_id, MAX(date) FROM aggregation_rollupsales WHERE master_id = %s "
            "GROUP BY child_id",
            [master.pk],
        )
        found = {child: _as_date(last) for child, last in cursor.fetchall()}
    return {child: min(last, today) for child, last in found.items()}


def window(master, through):
    """The history window of an account whose sales run through `through`."""
    return through - datetime.timedelta(days=master.history_days - 1), through


def _as_date(value):
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def products_of(master, child_ids):
    """{(child_id, sku): {name, vendor, category, unit, case_pack}}, one per normalized SKU
    (the first product by SKU where two spellings normalize alike)."""
    found = {}
    rows = (
        Product.objects.filter(organization_id__in=child_ids)
        .order_by("organization_id", "sku_normalized", "sku")
        .values_list(
            "organization_id", "sku_normalized", "name", "vendor_name", "category", "unit",
            "case_pack",
        )
    )  # fmt: skip
    for child, sku, name, vendor, category, unit, case_pack in rows.iterator(chunk_size=5000):
        found.setdefault(
            (child, sku),
            {"name": name, "vendor": vendor, "category": category, "unit": unit,
             "case_pack": case_pack},
        )  # fmt: skip
    return found


def item_keys(master, products):
    """{(child_id, sku): item key}: the master's product matching (aggregation/matching.py);
    a product it does not know is its own item."""
    known = matching_for(master).item_of
    return {key: known.get(key, key[1]) for key in products}


# -- Building the parts -----------------------------------------------------------------


def build_parts(*, members_of, pools, names):
    """The parts of each item: {item: [Part]}. `members_of`: {item: [(child, sku)]};
    `pools`: {child_id: pool name or ""}; `names`: {child_id: account name}."""
    parts = {}
    for item, members in members_of.items():
        groups = defaultdict(list)
        for child, sku in sorted(members):
            groups[pools.get(child) or f"account {child}"].append((child, sku))
        item_parts = []
        for group_members in groups.values():
            child_ids = sorted({child for child, _ in group_members})
            item_parts.append(
                Part(
                    item=item,
                    members=group_members,
                    child_ids=child_ids,
                    label=" + ".join(names.get(child, str(child)) for child in child_ids),
                    pooled=len(child_ids) > 1,
                )
            )
        parts[item] = item_parts
    return parts


def fill_parts(master, parts, *, through, stock, products, rules, overrides):
    """Give each part its stock, its demand history and its settings (in place). The
    histories are read as one matrix (member x day) and sliced per account's window."""
    members = sorted(
        {m for item_parts in parts.values() for part in item_parts for m in part.members}
    )
    demand = _DemandMatrix(master, members, through)
    single = []  # one member, no excluded days: filled many at a time
    for item, item_parts in parts.items():
        override = overrides.get(item)
        excluding = bool(override and override.exclude_from and override.exclude_to)
        for part in item_parts:
            ends = [through[child] for child in part.child_ids if child in through]
            if ends:
                part.start, part.end = window(master, min(ends))
            for member in part.members:  # a negative count is an error, not stock owed
                on_hand, on_order = stock.get(member, (0, 0))
                part.on_hand += max(on_hand, 0)
                part.on_order += max(on_order, 0)
            _settle(master, part, products, rules)
            if excluding or not demand.fills_as_one(part):
                demand.fill([part], override)
            else:
                single.append(part)
    demand.fill_single(single)


class _DemandMatrix:
    """Every member's daily demand over one day axis, read from the rollup in one query:
    demand, whether the day is known (sold, or not seen out of stock), and the units each
    cleansing rule removed inside the member's own window."""

    def __init__(self, master, members, through):
        self.index = {member: row for row, member in enumerate(members)}
        self.master = master
        self.through = through
        self._window = None
        if not members or not through:
            self.first = None
            return
        starts = {child: window(master, last)[0] for child, last in through.items()}
        self.first = min(starts.values())
        days = (max(through.values()) - self.first).days + 1
        self.demand = np.zeros((len(members), days))
        self.out = np.zeros((len(members), days), dtype=bool)
        self.removed = np.zeros((len(members), 2))
        for sales, rows in self._read(members):
            if sales:
                member, day, values = self._columns(rows, 3)
                self.demand[member, day] = values[:, 0]
                inside = self._inside(member, day, members, starts)
                np.add.at(self.removed, member[inside], values[inside, 1:])
            else:
                member, day, _ = self._columns(rows, 0)
                self.out[member, day] = True

    def _read(self, members):
        """The rollup rows on or after the axis's first day (of the members' SKUs only when
        they are few: one item's page), with the day as a number of days after it: yields
        (whether they are sales rows, a chunk of rows), so that only a chunk at a time is
        held as Python tuples."""
        skus = sorted({sku for _, sku in members})
        few = len(skus) < 500
        if connection.vendor == "postgresql":
            offset = "(date - %s::date)"
            values = "demand::float8, returned::float8, unpriced::float8"
        else:
            offset = "CAST(julianday(date) - julianday(%s) AS INTEGER)"
            values = "CAST(demand AS REAL), CAST(returned AS REAL), CAST(unpriced AS REAL)"
        for table, columns in (
            ("aggregation_rollupsales", values),
            ("aggregation_stockoutday", ""),
        ):
            params = [self.first.isoformat(), self.master.pk, self.first.isoformat()]
            where = "master_id = %s AND date >= %s"
            if few:
                where += f" AND sku IN ({', '.join(['%s'] * len(skus))})"
                params += skus
            select = ", ".join(filter(None, ["child_id", "sku", offset, columns]))
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {select} FROM {table} WHERE {where}", params)  # noqa: S608 (constants; values are parameters)
                while rows := cursor.fetchmany(READ_CHUNK):
                    yield table == "aggregation_rollupsales", rows

    def _columns(self, rows, values):
        """(member rows, day offsets, values matrix) of the rows whose member is wanted."""
        count = len(rows)
        columns = list(zip(*rows, strict=True))
        member = np.fromiter(
            map(self.index.get, zip(columns[0], columns[1], strict=True), repeat(-1, count)),
            dtype=np.int64,
            count=count,
        )
        day = np.fromiter(columns[2], dtype=np.int64, count=count)
        wanted = (member >= 0) & (day >= 0) & (day < self.demand.shape[1])
        figures = np.array(columns[3:], dtype=float).T.reshape(count, values)
        return member[wanted], day[wanted], figures[wanted]

    def _inside(self, member, day, members, starts):
        """Whether each row's day lies in its member's account window."""
        if self._window is None:  # each member's first and last day, worked out once
            self._window = (
                np.array([(starts[c] - self.first).days if c in starts else 0 for c, _ in members]),
                np.array(
                    [(self.through[c] - self.first).days if c in self.through else -1
                     for c, _ in members]
                ),
            )  # fmt: skip
        low, high = self._window
        return (day >= low[member]) & (day <= high[member])

    def fills_as_one(self, part):
        """Whether fill_single can fill the part: one member, known, and a window."""
        return (
            self.first is not None
            and part.end is not None
            and len(part.members) == 1
            and part.members[0] in self.index
        )

    def fill_single(self, parts, chunk=10_000):
        """fill() for parts of one member each (fills_as_one) and no excluded days, as
        numpy over all the parts of one window at a time instead of a part at a time."""
        windows = defaultdict(list)
        for part in parts:
            windows[part.start, part.end].append(part)
        for (start, end), same in windows.items():
            low, high = (start - self.first).days, (end - self.first).days + 1
            for first in range(0, len(same), chunk):
                self._fill_rows(same[first : first + chunk], low, high)

    def _fill_rows(self, parts, low, high):
        rows = np.array([self.index[part.members[0]] for part in parts], dtype=np.int64)
        demand = self.demand[rows, max(low, 0) : high]
        known = (demand > 0) | ~self.out[rows, max(low, 0) : high]
        if low < 0:  # the axis starts after this window (no sales that early)
            demand = np.concatenate([np.zeros((len(rows), -low)), demand], axis=1)
            known = np.concatenate([np.ones((len(rows), -low), dtype=bool), known], axis=1)
        history = np.where(known, demand, np.nan)
        removed = self.removed[rows].tolist()
        if not history.shape[1]:  # an empty window
            for i, part in enumerate(parts):
                part.removed = dict(zip(("returned", "unpriced"), removed[i], strict=True))
                part.history, part.days_used = [], 0
            return
        # The histories share their float objects (a day's demand takes few values): as
        # floats of their own, 150,000 histories of ~170 days took 790 MB of the rebuild.
        values, inverse = np.unique(history, return_inverse=True)
        shared = np.array(values.tolist(), dtype=object)[inverse.reshape(history.shape)]
        sold = history > 0
        sells = sold.any(axis=1).tolist()
        first_sale = sold.argmax(axis=1)
        seen = np.cumsum(~np.isnan(history), axis=1)
        before = np.where(first_sale > 0, seen[np.arange(len(rows)), first_sale - 1], 0)
        days_used = (seen[:, -1] - before).tolist()
        for i, part in enumerate(parts):
            part.removed = dict(zip(("returned", "unpriced"), removed[i], strict=True))
            if not sells[i]:
                part.history = []
                part.days_used = 0
                continue
            first = int(first_sale[i])
            part.start += datetime.timedelta(days=first)
            part.history = shared[i, first:].tolist()
            part.days_used = int(days_used[i])

    def fill(self, item_parts, override):
        """Each part's history: from its first sale in its window to the window's end; NaN
        for an unknown day."""
        for part in item_parts:
            if part.end is None or self.first is None:
                part.history = []
                continue
            rows = [self.index[member] for member in part.members if member in self.index]
            low, high = (part.start - self.first).days, (part.end - self.first).days + 1
            demand = self.demand[rows, max(low, 0) : high].sum(axis=0)
            known = (
                (self.demand[rows, max(low, 0) : high] > 0) | ~self.out[rows, max(low, 0) : high]
            ).any(axis=0)
            if low < 0:  # the axis starts after this window (no sales that early)
                demand = np.concatenate([np.zeros(-low), demand])
                known = np.concatenate([np.ones(-low, dtype=bool), known])
            part.removed = dict(
                zip(("returned", "unpriced"), self.removed[rows].sum(axis=0).tolist(), strict=True)
            )
            history = np.where(known, demand, np.nan)
            if override and override.exclude_from and override.exclude_to:
                first_out = max((override.exclude_from - part.start).days, 0)
                last_out = min((override.exclude_to - part.start).days, len(history) - 1)
                if first_out <= last_out:
                    history[first_out : last_out + 1] = np.nan
            sold = np.flatnonzero(history > 0)
            if not len(sold):
                part.history = []
                part.days_used = 0
                continue
            part.start += datetime.timedelta(days=int(sold[0]))
            part.history = history[sold[0] :].tolist()
            part.days_used = int(np.count_nonzero(~np.isnan(history[sold[0] :])))


def _settle(master, part, products, rules):
    """Lead time, MOQ and case pack: product rule, vendor rule, product file, master."""
    child, sku = part.members[0]
    product = products.get((child, sku), {})
    chain = [rules.get(("sku", sku)), rules.get(("vendor", (product.get("vendor") or "").lower()))]
    chain = [rule for rule in chain if rule is not None]

    def first(attribute, *fallbacks):
        for rule in chain:
            value = getattr(rule, attribute)
            if value is not None:
                return value
        return next(value for value in fallbacks if value is not None)

    part.lead_time_days = first("lead_time_days", master.lead_time_days)
    part.minimum_order = first("minimum_order", master.minimum_order)
    part.case_pack = max(1, first("case_pack", product.get("case_pack"), master.case_pack))


# -- Forecasting and planning every part at once ----------------------------------------


def plan_parts(master, parts, overrides):
    """Forecast every part and work out its order line; returns {item: [(part, figures)]}."""
    flat = [part for item_parts in parts.values() for part in item_parts]
    if not flat:
        return {}
    review = master.review_period_days
    horizon = max(part.lead_time_days for part in flat) + review
    results, forecasts = _forecasts([part.history for part in flat], horizon)
    _apply_manual_forecasts(parts, flat, forecasts, overrides)
    lines = plan_lines(
        on_hand=np.array([part.on_hand for part in flat], dtype=float),
        on_order=np.array([part.on_order for part in flat], dtype=float),
        forecasts=forecasts,
        sigma=np.array([result.sigma for result in results]),
        lead_time=np.array([part.lead_time_days for part in flat]),
        review_period=np.full(len(flat), review),
        z=z_for_service_level(float(master.service_level)),
        case_pack=np.array([part.case_pack for part in flat], dtype=float),
        minimum_order=np.array([part.minimum_order for part in flat], dtype=float),
    )
    planned = defaultdict(list)
    columns = {name: values.tolist() for name, values in lines.items()}
    for index, (part, result) in enumerate(zip(flat, results, strict=True)):
        figures = {name: column[index] for name, column in columns.items()}
        override = overrides.get(part.item)
        figures.update(
            method=result.method,
            sigma=result.sigma,
            mean_daily=result.mean_daily,
            params=result.params,
            manual=override is not None and override.manual_daily is not None,
        )
        planned[part.item].append((part, figures))
    return planned


def _forecasts(histories, horizon, chunk=5000):
    """(forecast summaries, a matrix of the daily forecasts), every history at once; in
    chunks, keeping of each forecast only what the plan needs (not its fitted values)."""
    summaries, matrix = [], np.zeros((len(histories), horizon))
    for first in range(0, len(histories), chunk):
        for offset, result in enumerate(
            forecast_many(histories[first : first + chunk], horizon=horizon)
        ):
            matrix[first + offset] = result.forecast
            summaries.append(
                _Forecasted(result.method, result.params, result.sigma, result.mean_daily)
            )
    return summaries, matrix


@dataclass(frozen=True)
class _Forecasted:
    method: str
    params: dict
    sigma: float
    mean_daily: float


def _apply_manual_forecasts(parts, flat, forecasts, overrides):
    index = {id(part): i for i, part in enumerate(flat)}
    for item, override in overrides.items():
        if override.manual_daily is None or item not in parts:
            continue
        rows = [index[id(part)] for part in parts[item]]
        own = forecasts[rows].mean(axis=1)
        shares = own / own.sum() if own.sum() > 0 else np.full(len(rows), 1 / len(rows))
        for row, share in zip(rows, shares, strict=True):
            forecasts[row, :] = float(override.manual_daily) * share


# -- The rows ---------------------------------------------------------------------------


def part_summary(part, figures):
    """What the expanded row and the item page show of a part (kept in PlanRow.parts)."""
    return {
        "label": part.label,
        "child_ids": part.child_ids,
        "members": [list(member) for member in part.members],
        "pooled": part.pooled,
        "on_hand": part.on_hand,
        "on_order": part.on_order,
        "start": part.start.isoformat() if part.start else None,
        "end": part.end.isoformat() if part.end else None,
        "days_used": (
            part.days_used
            if part.days_used is not None
            else sum(value == value for value in part.history)  # NaN: unknown
        ),
        "returned": round(part.removed["returned"], 2),
        "unpriced": round(part.removed["unpriced"], 2),
        "lead_time_days": part.lead_time_days,
        "case_pack": part.case_pack,
        "minimum_order": part.minimum_order,
        "method": figures["method"],
        "mean_daily": figures["mean_daily"],
        "sigma": figures["sigma"],
        "manual": figures["manual"],
        **{
            key: figures[key]
            for key in (
                "forecast_lead_time",
                "forecast_period",
                "safety_stock",
                "reorder_point",
                "order_up_to",
                "need",
            )
        },
        "order_quantity": int(figures["order_quantity"]),
        "short": bool(figures["short"]),
    }


def plan_row(master, item, planned, products, now):
    parts = [part for part, _ in planned]
    summaries = [part_summary(part, figures) for part, figures in planned]
    members = [member for part in parts for member in part.members]
    details = [products.get(member, {}) for member in members]
    name = Counter(d.get("name") for d in details if d.get("name")).most_common(1)
    units = {d.get("unit") or "each" for d in details}
    methods = {s["method"] for s in summaries}
    starts = [s["start"] for s in summaries if s["start"]]
    ends = [s["end"] for s in summaries if s["end"]]
    return PlanRow(
        master=master,
        item=item,
        sku=min(sku for _, sku in members),
        name=(name[0][0] if name else item)[:255],
        vendor=(details[0].get("vendor") or "")[:200] if details else "",
        category=(details[0].get("category") or "")[:120] if details else "",
        unit=units.pop() if len(units) == 1 else "mixed",
        account_ids="|"
        + "|".join(str(c) for c in sorted({c for p in parts for c in p.child_ids}))
        + "|",
        accounts=", ".join(s["label"] for s in summaries)[:500],
        on_hand=sum(s["on_hand"] for s in summaries),
        on_order=sum(s["on_order"] for s in summaries),
        method=methods.pop() if len(methods) == 1 else "per account",
        mean_daily=sum(s["mean_daily"] for s in summaries),
        # Independent accounts: variances add.
        sigma=math.sqrt(sum(s["sigma"] ** 2 for s in summaries)),
        forecast_lead_time=sum(s["forecast_lead_time"] for s in summaries),
        forecast_period=sum(s["forecast_period"] for s in summaries),
        safety_stock=sum(s["safety_stock"] for s in summaries),
        reorder_point=sum(s["reorder_point"] for s in summaries),
        order_up_to=sum(s["order_up_to"] for s in summaries),
        order_quantity=sum(s["order_quantity"] for s in summaries),
        short=any(s["short"] for s in summaries),
        history_from=min(starts) if starts else None,
        history_to=max(ends) if ends else None,
        days_used=max((s["days_used"] for s in summaries), default=0),
        parts=summaries,
        computed_at=now,
    )


@dataclass
class Gathered:
    """Everything a plan is computed from: the parts of each item, filled."""

    parts: dict
    products: dict
    overrides: dict
    through: dict
    names: dict


def _accounts(master):
    """({child_id: account name}, {child_id: stock pool, "" for its own stock})."""
    connections = list(master.connections.select_related("child"))
    names = {c.child_id: c.child.name for c in connections}
    pools = {c.child_id: c.stock_pool.strip().lower() for c in connections}
    return names, pools


def gather(master, today=None) -> Gathered:
    today = today or timezone.localdate()
    names, pools = _accounts(master)
    through = sales_through(master, today)
    stock = {
        (child, sku): (on_hand, on_order)
        for child, sku, on_hand, on_order in RollupStock.objects.filter(master=master).values_list(
            "child_id", "sku", "on_hand", "on_order"
        )
    }
    products = products_of(master, list(names))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT child_id, sku FROM aggregation_rollupsales WHERE master_id = %s",
            [master.pk],
        )
        selling = {(child, sku) for child, sku in cursor.fetchall()}
    present = {key for key in set(stock) | selling if key[0] in names}
    for key in present:
        products.setdefault(key, {"name": key[1]})
    item_of = item_keys(master, {key: products[key] for key in present})
    members_of = defaultdict(list)
    for key in present:
        members_of[item_of.get(key, key[1])].append(key)
    parts = build_parts(members_of=members_of, pools=pools, names=names)
    overrides = {o.item: o for o in ItemOverride.objects.filter(master=master)}
    fill_parts(master, parts, through=through, stock=stock, products=products, rules=_rules(master),
               overrides=overrides)  # fmt: skip
    return Gathered(parts, products, overrides, through, names)


def compute(master, today=None):
    """Every plan row of the master, computed (not saved), and the plan's settings."""
    found = gather(master, today)
    planned = plan_parts(master, found.parts, found.overrides)
    now = timezone.now()
    rows = [plan_row(master, item, planned[item], found.products, now) for item in sorted(planned)]
    plan_settings = settings_of(master) | {
        "sales_through": {str(child): day.isoformat() for child, day in found.through.items()},
        "accounts": {str(child): name for child, name in found.names.items()},
    }
    return rows, plan_settings, now


def item_history(parts):
    """An item's daily demand over all its parts, up to the earliest part's end (so every
    day counts every account); NaN where no part knows the day."""
    parts = [part for part in parts if part.history]
    if not parts:
        return []
    start, end = min(part.start for part in parts), min(part.end for part in parts)
    days = (end - start).days + 1
    if days <= 0:
        return []
    total, known = np.zeros(days), np.zeros(days, dtype=bool)
    for part in parts:
        values = np.asarray(part.history, dtype=float)
        offset = (part.start - start).days
        values = values[: max(days - offset, 0)]
        if offset >= days or not len(values):
            continue
        seen = ~np.isnan(values)
        total[offset : offset + len(values)] += np.where(seen, values, 0)
        known[offset : offset + len(values)] |= seen
    return np.where(known, total, np.nan).tolist()


def score(master, today=None) -> int:
    """Forecast accuracy of every plan row (aggregation/forecast.py backtest_many), on the
    item's daily demand over all its accounts. A separate job after each rebuild: the plan
    is there at once, its accuracy a moment later."""
    found = gather(master, today)
    items = sorted(found.parts)
    scores = dict(
        zip(items, backtest_many([item_history(found.parts[item]) for item in items]), strict=True)
    )
    rows = list(PlanRow.objects.filter(master=master).only("pk", "item"))
    for row in rows:
        result = scores.get(row.item)
        row.wape = result.wape if result else None
        row.bias = result.bias if result else None
        row.naive_wape = result.naive_wape if result else None
        row.naive_bias = result.naive_bias if result else None
        row.worse_than_naive = bool(result and result.worse_than_naive)
    PlanRow.objects.bulk_update(
        rows,
        ["wape", "bias", "naive_wape", "naive_bias", "worse_than_naive"],
        batch_size=WRITE_BATCH,
    )
    return len(rows)


def _rules(master):
    rules = {}
    for rule in ReplenishmentRule.objects.filter(master=master):
        if rule.sku:
            rules["sku", rule.sku] = rule
        else:
            rules["vendor", rule.vendor_name.lower()] = rule
    return rules


def rebuild(master: MasterAccount, today=None) -> int:
    """Recompute every item's plan row from the rollups; replace the master's rows at once."""
    rows, plan_settings, now = compute(master, today)
    from aggregation.jobs import score_forecasts

    with transaction.atomic():
        # One write at a time per master: a second rebuild (a job delivered twice, the
        # sweep's re-queue, a refresh's rebuild) waits here, then replaces the first's rows
        # instead of colliding with them on (master, item).
        MasterAccount.objects.select_for_update().filter(pk=master.pk).first()
        PlanRow.objects.filter(master=master).delete()
        _write(rows)
        MasterAccount.objects.filter(pk=master.pk).update(
            plan_computed_at=now, plan_settings=plan_settings
        )
        enqueue_on_commit(score_forecasts, master.pk)
    return len(rows)


def request_rebuild(master_id: int) -> None:
    """Have a worker rebuild the plan once the current transaction commits. The request is
    kept (plan_requested_at), so one that a lost worker dropped is asked for again by the
    sweep (requeue_dropped_rebuilds)."""
    from aggregation.jobs import rebuild_plan
    from core.queue import enqueue_on_commit

    MasterAccount.objects.filter(pk=master_id).update(plan_requested_at=timezone.now())
    enqueue_on_commit(rebuild_plan, master_id)


def rebuild_pending(master) -> bool:
    """A rebuild was asked for and has not finished (nor failed) since."""
    requested = master.plan_requested_at
    return bool(requested) and not any(
        done and done >= requested for done in (master.plan_computed_at, master.plan_failed_at)
    )


def requeue_dropped_rebuilds(lease) -> int:
    """Ask again for the rebuilds asked for longer than `lease` ago (the job's hard time
    limit) that neither finished nor failed since: their job was lost with its worker. A
    rebuild is all from the rollups, so running it again is all it takes."""
    dropped = (
        MasterAccount.objects.filter(plan_requested_at__lt=timezone.now() - lease)
        .filter(Q(plan_computed_at__isnull=True) | Q(plan_computed_at__lt=F("plan_requested_at")))
        .exclude(plan_failed_at__gte=F("plan_requested_at"))
    )
    ids = list(dropped.values_list("pk", flat=True))
    for master_id in ids:
        request_rebuild(master_id)
    return len(ids)


def _write(rows):
    """Insert new plan rows: on PostgreSQL with COPY, which takes a plan of 50,000 rows in a
    fraction of the time bulk_create's INSERTs take (their parameters are built and sent
    one value at a time); elsewhere with bulk_create. The same values either way."""
    if connection.vendor != "postgresql":
        PlanRow.objects.bulk_create(rows, batch_size=WRITE_BATCH)
        return
    fields = [f for f in PlanRow._meta.concrete_fields if not f.primary_key]
    prepared = {f.attname for f in fields if isinstance(f, models.JSONField)}
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    statement = f"COPY {PlanRow._meta.db_table} ({names}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [
                    f.get_db_prep_save(getattr(row, f.attname), connection)
                    if f.attname in prepared
                    else getattr(row, f.attname)
                    for f in fields
                ]
            )


def item_parts(master, row, today=None):
    """The parts of one plan row with their histories, for its page: the same code as the
    rebuild, reading only the item's rows."""
    members = [tuple(member) for summary in row.parts for member in summary["members"]]
    names, pools = _accounts(master)
    members = [member for member in members if member[0] in names]
    products = products_of(master, sorted({child for child, _ in members}))
    parts = build_parts(members_of={row.item: members}, pools=pools, names=names)
    stock = {
        (child, sku): (on_hand, on_order)
        for child, sku, on_hand, on_order in RollupStock.objects.filter(
            master=master, sku__in={sku for _, sku in members}
        ).values_list("child_id", "sku", "on_hand", "on_order")
    }
    overrides = {o.item: o for o in ItemOverride.objects.filter(master=master, item=row.item)}
    fill_parts(master, parts, through=sales_through(master, today), stock=stock, products=products,
               rules=_rules(master), overrides=overrides)  # fmt: skip
    return parts.get(row.item, []), plan_parts(master, parts, overrides).get(row.item, [])


def what_changes(master, draft, today=None, shown=25) -> dict:
    """What the plan would be with the `draft` settings, against the live plan rows."""
    trial = MasterAccount.objects.get(pk=master.pk)
    for key, value in draft.items():
        setattr(trial, key, value)
    rows, _settings, now = compute(trial, today)
    live = dict(PlanRow.objects.filter(master=master).values_list("item", "order_quantity"))
    live_short = PlanRow.objects.filter(master=master, short=True).count()
    changed = []
    for row in rows:
        before = live.get(row.item, 0)
        if before != row.order_quantity:
            changed.append({"item": row.item, "sku": row.sku, "name": row.name, "before": before,
                            "after": row.order_quantity})  # fmt: skip
    changed.sort(key=lambda change: -abs(change["after"] - change["before"]))
    return {
        "computed_at": now.isoformat(),
        "items": len(rows),
        "items_changed": len(changed),
        "order_before": sum(live.values()),
        "order_after": sum(row.order_quantity for row in rows),
        "short_before": live_short,
        "short_after": sum(row.short for row in rows),
        "changes": changed[:shown],
    }
