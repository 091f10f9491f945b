"""The order plan: per normalized SKU, the combined sales history of the children (from the
rollups), a forecast (aggregation/forecast.py) and the order-plan line (planning.py).

A day is left out of the history, rather than read as zero demand, when nothing of the SKU
sold that day and a refresh saw it out of stock in a child that day (StockoutDay)."""

import datetime
from collections import defaultdict

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from aggregation.forecast import forecast
from aggregation.models import MasterAccount, PlanRow, RollupSales, RollupStock, StockoutDay
from aggregation.planning import plan_line


def history_window(master, today=None):
    today = today or timezone.localdate()
    start = today - datetime.timedelta(days=master.history_days - 1)
    return start, today


def series(master, sku=None, child_id=None, today=None):
    """{sku: [demand per day, oldest first; None for a stock-out day without sales]}."""
    start, end = history_window(master, today)
    sales = RollupSales.objects.filter(master=master, date__range=(start, end))
    stockouts = StockoutDay.objects.filter(master=master, date__range=(start, end))
    if sku is not None:
        sales, stockouts = sales.filter(sku=sku), stockouts.filter(sku=sku)
    if child_id is not None:
        sales, stockouts = sales.filter(child_id=child_id), stockouts.filter(child_id=child_id)
    days = (end - start).days + 1
    sold = defaultdict(dict)
    for row in sales.values("sku", "date").annotate(quantity=Sum("quantity")):
        sold[row["sku"]][row["date"]] = float(row["quantity"])
    out = defaultdict(set)
    for row in stockouts.values("sku", "date"):
        out[row["sku"]].add(row["date"])
    skus = set(sold) | ({sku} if sku else set())
    result = {}
    for item in skus:
        first_sale = min(sold[item], default=end)
        line = []
        for offset in range(days):
            day = start + datetime.timedelta(days=offset)
            if day < first_sale:
                continue  # before the item's first sale: not yet sold, not zero demand
            quantity = sold[item].get(day)
            line.append(None if quantity is None and day in out[item] else (quantity or 0.0))
        result[item] = line
    return result


def line_for(master, history, on_hand, on_order):
    result = forecast(history, horizon=master.lead_time_days + master.review_period_days)
    plan = plan_line(
        on_hand=on_hand, on_order=on_order, forecast=result, lead_time_days=master.lead_time_days,
        review_period_days=master.review_period_days, service_level=float(master.service_level),
    )  # fmt: skip
    return result, plan


def rebuild(master: MasterAccount) -> int:
    """Recompute every SKU's plan row from the rollups; replace the master's rows at once."""
    stock = {
        row["sku"]: row
        for row in RollupStock.objects.filter(master=master)
        .values("sku")
        .annotate(on_hand=Sum("on_hand"), on_order=Sum("on_order"))
    }
    names = dict(RollupStock.objects.filter(master=master).values_list("sku", "name"))
    histories = series(master)
    now = timezone.now()
    rows = []
    for sku in sorted(set(stock) | set(histories)):
        on_hand = stock.get(sku, {}).get("on_hand") or 0
        on_order = stock.get(sku, {}).get("on_order") or 0
        result, plan = line_for(master, histories.get(sku, []), on_hand, on_order)
        rows.append(
            PlanRow(
                master=master,
                sku=sku,
                name=names.get(sku, sku),
                on_hand=on_hand,
                on_order=on_order,
                method=result.method,
                mean_daily=result.mean_daily or 0.0,
                sigma=result.sigma,
                forecast_lead_time=plan.forecast_lead_time,
                forecast_period=plan.forecast_period,
                safety_stock=plan.safety_stock,
                reorder_point=plan.reorder_point,
                order_quantity=plan.order_quantity,
                short=plan.short,
                computed_at=now,
            )
        )
    with transaction.atomic():
        PlanRow.objects.filter(master=master).delete()
        PlanRow.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
