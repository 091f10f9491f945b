"""Writes of the inventory app."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.limits import PRICE_MAX, quantity_problem
from core.versions import check_version, person, stale_message
from inventory.models import Adjustment, Stock
from partners.access import access_for


class AdjustmentRefused(Exception):
    pass


def price_problem(kind: str, price: Decimal, retail_price: Decimal | None) -> str:
    """What is wrong with a new selling price, or "". A markdown lowers the price: above 0
    and not above the retail price. Only a price increase, said as the reason, goes above."""
    if price <= 0:
        return "A selling price is more than 0."
    if price > PRICE_MAX:
        return f"A selling price is at most {PRICE_MAX:,}."
    if kind == Adjustment.Kind.MARKDOWN and retail_price is not None and price > retail_price:
        return (
            f"A markdown is at most the retail price ({retail_price}). To charge more, pick "
            "the reason Price increase."
        )
    return ""


@transaction.atomic
def stock_adjust(
    *, stock_id: int, viewer, actor, kind: str, on_hand: int | None = None,
    price: Decimal | None = None, note: str = "", version: int | None = None,
) -> Adjustment:  # fmt: skip
    """Record a count correction, damage, transfer, markdown or price increase on the
    owner's stock, by the owner or a merchandising partner whose geography holds the store
    (checked under lock). `version` is the row's as the form showed it: a newer change
    refuses the adjustment (StaleVersion), so no one's count is silently replaced."""
    stock = (
        Stock.objects.select_for_update()
        .select_related("store", "product", "organization")
        .get(pk=stock_id)
    )
    access = access_for(viewer=viewer, owner=stock.organization)
    if not access.may_adjust_at(stock.store_id):
        raise AdjustmentRefused("You may not change stock in this store.")
    if kind not in Adjustment.Kind.values:
        raise AdjustmentRefused(
            "Pick a reason: count correction, markdown, price increase, damage or transfer."
        )
    if len(note) > Adjustment._meta.get_field("note").max_length:
        raise AdjustmentRefused("Keep the note to 500 characters.")
    check_version(stock, version, last_stock_change)
    before_on_hand, before_price = stock.on_hand, stock.current_price
    if kind in Adjustment.PRICE_KINDS:
        problem = (
            price_problem(kind, price, stock.product.retail_price) if price is not None else ""
        )
        if price is None or problem:
            raise AdjustmentRefused(problem or "Give the new selling price.")
        stock.current_price = price
    else:
        problem = quantity_problem(on_hand) if on_hand is not None else ""
        if on_hand is None or problem:
            raise AdjustmentRefused(
                f"On hand: {problem}." if problem else "Give the new quantity on hand."
            )
        stock.on_hand = on_hand
        if kind == Adjustment.Kind.RECEIVED:
            stock.last_received_on = timezone.localdate()  # inventory aging counts from here
    stock.version += 1  # the row is locked: no one else adds one meanwhile
    stock.save(
        update_fields=["on_hand", "current_price", "last_received_on", "updated_at", "version"]
    )
    return Adjustment.objects.create(
        organization=stock.organization,
        store=stock.store,
        product=stock.product,
        kind=kind,
        on_hand_before=before_on_hand,
        on_hand_after=stock.on_hand,
        price_before=before_price,
        price_after=stock.current_price,
        note=note,
        actor=actor,
        actor_organization=viewer,
    )


def last_stock_change(stock) -> str:
    """Who changed a stock row last, what and when: its last adjustment, unless an import
    wrote the row after it."""
    last = (
        Adjustment.objects.filter(store_id=stock.store_id, product_id=stock.product_id)
        .select_related("actor")
        .order_by("-pk")
        .first()
    )
    if last is None or stock.updated_at > last.created_at + IMPORT_AFTER:
        return stale_message(
            "A stock import",
            f"set on hand to {stock.on_hand:,}"
            + (f" and the selling price to {stock.current_price}" if stock.current_price else ""),
            stock.updated_at,
        )
    if last.kind in Adjustment.PRICE_KINDS:
        what = (
            f"changed the selling price to {last.price_after} ({last.get_kind_display().lower()})"
        )
    else:
        what = f"changed on hand to {last.on_hand_after:,} ({last.get_kind_display().lower()})"
    return stale_message(person(last.actor), what, last.created_at)


# An adjustment saves the row, then writes its record: the row's updated_at is a moment
# earlier than the record's created_at. A row written well after its last record was
# written by an import.
IMPORT_AFTER = datetime.timedelta(seconds=1)
