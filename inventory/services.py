"""Writes of the inventory app."""

from decimal import Decimal

from django.db import transaction

from inventory.models import Adjustment, Stock
from partners.access import access_for


class AdjustmentRefused(Exception):
    pass


@transaction.atomic
def stock_adjust(
    *, stock_id: int, viewer, actor, kind: str, on_hand: int | None = None,
    price: Decimal | None = None, note: str = "",
) -> Adjustment:  # fmt: skip
    """Record a count correction, damage, transfer or markdown on the owner's stock, by the
    owner or a merchandising partner whose geography holds the store (checked under lock)."""
    stock = (
        Stock.objects.select_for_update()
        .select_related("store", "product", "organization")
        .get(pk=stock_id)
    )
    access = access_for(viewer=viewer, owner=stock.organization)
    if not access.may_adjust_at(stock.store_id):
        raise AdjustmentRefused("You may not change stock in this store.")
    if kind not in Adjustment.Kind.values:
        raise AdjustmentRefused("Pick a reason: count correction, markdown, damage or transfer.")
    before_on_hand, before_price = stock.on_hand, stock.current_price
    if kind == Adjustment.Kind.MARKDOWN:
        if price is None or price < 0:
            raise AdjustmentRefused("A markdown needs the new selling price.")
        stock.current_price = price
    else:
        if on_hand is None or on_hand < 0:
            raise AdjustmentRefused("Give the new quantity on hand (0 or more).")
        stock.on_hand = on_hand
    stock.save(update_fields=["on_hand", "current_price", "updated_at"])
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
