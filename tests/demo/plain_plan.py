"""The order plan of a master, worked out again from the children's raw rows (products,
stock, sales lines) with plain Python: no rollup, no plan row, no matrix. It follows the
rules as written (README "Order plan"), not the code that implements them, so the demo
test can hold the page against it.

The forecast itself is aggregation.forecast.forecast, which its own tests hold against
statsmodels; everything around it is here."""

import datetime
import math
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Max
from rapidfuzz import fuzz

from aggregation.forecast import forecast
from aggregation.models import StockoutDay
from inventory.models import Product, SalesLine, Stock

NAMES_AGREE_AT = 85  # rapidfuzz token-set ratio of the normalized names


def normalized_name(name):
    return " ".join(re.sub(r"[^\w\s]", " ", name.casefold()).split())


@dataclass
class PlainLine:
    on_hand: int
    on_order: int
    forecast_lead_time: float
    forecast_period: float
    safety_stock: float
    reorder_point: float
    order_up_to: float
    order_quantity: int
    short: bool


def items(master):
    """{item: [(child, sku)]}: a SKU shared by accounts is one item only when every pair of
    their product names agrees; otherwise each account's product is an item of its own."""
    names = defaultdict(dict)  # sku -> {child: the greatest name}
    for child, sku, name in Product.objects.filter(
        organization__connection__master=master
    ).values_list("organization_id", "sku_normalized", "name"):
        names[sku][child] = max(names[sku].get(child, ""), name)
    found = {}
    for sku, by_child in names.items():
        children = sorted(by_child)
        agree = all(
            fuzz.token_set_ratio(normalized_name(by_child[a]), normalized_name(by_child[b]))
            >= NAMES_AGREE_AT
            for a in children
            for b in children
            if a < b
        )
        if agree:
            found[sku] = [(child, sku) for child in children]
        else:
            for child in children:
                found[f"{sku}~{child}"] = [(child, sku)]
    return found


def z_value(service_level):
    return statistics.NormalDist().inv_cdf(service_level)


def part_line(master, child, sku, today):
    """One account's plan of one product, from its raw rows."""
    lines = SalesLine.objects.filter(organization_id=child)
    through = min(lines.aggregate(last=Max("date"))["last"], today)
    start = through - datetime.timedelta(days=master.history_days - 1)
    demand = defaultdict(float)
    for line in lines.filter(product__sku_normalized=sku, date__range=(start, through)):
        if line.quantity > 0 and line.retail_amount > 0:
            demand[line.date] += float(line.quantity)
    out = set(
        StockoutDay.objects.filter(master=master, child_id=child, sku=sku).values_list(
            "date", flat=True
        )
    )
    history = []
    for offset in range((through - start).days + 1):
        day = start + datetime.timedelta(days=offset)
        if demand.get(day, 0) == 0 and day in out:
            history.append(None)
        else:
            history.append(demand.get(day, 0.0))
    first_sale = next((i for i, value in enumerate(history) if value), None)
    history = [] if first_sale is None else history[first_sale:]

    stock = Stock.objects.filter(organization_id=child, product__sku_normalized=sku)
    on_hand = max(sum(s.on_hand for s in stock), 0)
    on_order = max(sum(s.on_order for s in stock), 0)
    product = (
        Product.objects.filter(organization_id=child, sku_normalized=sku).order_by("sku").first()
    )
    case_pack = product.case_pack or master.case_pack
    lead, review = master.lead_time_days, master.review_period_days

    result = forecast(history, horizon=lead + review)
    over_lead = sum(result.forecast[:lead])
    over_period = sum(result.forecast[: lead + review])
    safety = z_value(float(master.service_level)) * result.sigma * math.sqrt(lead + review)
    order_up_to = over_period + safety
    need = order_up_to - on_hand - on_order
    order = 0  # no need, no order: a minimum applies to an order, it does not make one
    if round(need, 9) > 0:
        order = math.ceil(round(max(need, master.minimum_order) / case_pack, 9)) * case_pack
    return PlainLine(on_hand, on_order, over_lead, over_period, safety, over_lead + safety, order_up_to,
                     order, on_hand + on_order < round(over_lead, 9))  # fmt: skip


def item_line(master, members, today):
    """The item's row: the sum of its accounts' own lines."""
    parts = [part_line(master, child, sku, today) for child, sku in members]
    return PlainLine(
        on_hand=sum(p.on_hand for p in parts),
        on_order=sum(p.on_order for p in parts),
        forecast_lead_time=sum(p.forecast_lead_time for p in parts),
        forecast_period=sum(p.forecast_period for p in parts),
        safety_stock=sum(p.safety_stock for p in parts),
        reorder_point=sum(p.reorder_point for p in parts),
        order_up_to=sum(p.order_up_to for p in parts),
        order_quantity=sum(p.order_quantity for p in parts),
        short=any(p.short for p in parts),
    )
