"""The largest values Shelfshare accepts, the same in forms, importers and services.

A value past its column's range is refused with the field's name (and, in an import,
the line and the value) before anything is written: an integer column overflowing is a
500 on PostgreSQL and a silently huge number on SQLite, and a rule or a note of a
hundred thousand characters breaks the pages that show it."""

from decimal import Decimal

# Units of a product: on hand, on order, a sale's quantity, a case pack, a minimum order.
# Below 2**31, so every integer column holds it on every database.
QUANTITY_MAX = 1_000_000_000

# A price or a cost: what a DecimalField(max_digits=12, decimal_places=2) holds.
PRICE_MAX = Decimal("9999999999.99")

# Days of lead time or review period: a PositiveSmallIntegerField, and a year at most.
DAYS_MAX = 365

# Free text people type on a page.
NOTE_MAX_LENGTH = 2000  # a task update's note
INSTRUCTIONS_MAX_LENGTH = 5000  # a task's instructions

# A custom region's rule: each list (states, banners, postal-code prefixes) as typed, and
# its items. Every postal-code prefix is one more OR in the query that finds the
# region's stores; SQLite refuses an expression more than 1,000 deep.
RULE_TEXT_MAX_LENGTH = 2000
RULE_ITEMS_MAX = 100


def quantity_problem(value, *, minimum=0, maximum=QUANTITY_MAX):
    """What is wrong with a count of units, or "" when it is within range."""
    if value < minimum:
        return f"{value:,} is below {minimum:,}"
    if value > maximum:
        return f"{value:,} is more than {maximum:,}, the most Shelfshare stores"
    return ""
