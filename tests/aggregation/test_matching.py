"""Product matching (aggregation/matching.py): which children's products are one item.

resolve() is pure: most tests give it (child, SKU, name) triples and decisions directly.
The demo test reads the real files in demo/data the way the importers read them."""

import csv
import random
from collections import Counter

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from aggregation.matching import (
    APART,
    MERGE,
    NAME_THRESHOLD,
    SAME_NAME,
    SAME_SKU,
    matching_for,
    name_score,
    normalize_name,
    resolve,
)
from aggregation.models import Connection, MasterAccount, MatchDecision
from core.imports.base import RowInvalid
from inventory.imports import _sku
from inventory.models import normalize_sku
from tests.factories import OrganizationFactory, ProductFactory

IOWA, ONLINE, OUTLET = 1, 7, 8


# -- The rules, one at a time ------------------------------------------------------------


def test_names_are_compared_without_case_punctuation_or_extra_spaces():
    assert normalize_name("  Beam's 8-Star\tBl  Whiskey ") == "beam s 8 star bl whiskey"
    assert (
        name_score(["WHITE HANGING HEART T-LIGHT HOLDER", "white hanging heart t light holder"])
        == 100
    )


def test_one_sku_with_agreeing_names_is_one_item():
    matching = resolve(
        [
            (1, "85123A", "WHITE HANGING HEART T-LIGHT HOLDER"),
            (2, "85123A", "White hanging heart T-light holder."),
            (3, "85123A", "PACK OF 6 WHITE HANGING HEART T-LIGHT HOLDER"),
        ],
        [],
    )
    assert set(matching.item_of.values()) == {"85123A"}
    assert matching.conflicts == []


def test_one_sku_with_different_names_is_held_apart():
    matching = resolve(
        [(1, "22156", "Wild Turkey 101"), (7, "22156", "HEART DECORATION WITH PEARLS")]
    )
    assert matching.item_of == {(1, "22156"): "22156~1", (7, "22156"): "22156~7"}
    [conflict] = matching.conflicts
    assert (conflict.kind, conflict.key, conflict.action) == (SAME_SKU, "22156", None)
    assert conflict.held and conflict.score < NAME_THRESHOLD
    assert conflict.members == [
        (1, "22156", "Wild Turkey 101"),
        (7, "22156", "HEART DECORATION WITH PEARLS"),
    ]
    assert "names differ" in conflict.reason


def test_every_name_must_agree_with_every_other():
    # b agrees with a and with c, but a and c do not agree: held.
    a, b, c = "tea light holder", "tea light holder zinc heart", "zinc heart"
    assert name_score([a, b]) >= NAME_THRESHOLD and name_score([b, c]) >= NAME_THRESHOLD
    assert name_score([a, c]) < NAME_THRESHOLD
    matching = resolve([(1, "9", a), (2, "9", b), (3, "9", c)])
    assert len(set(matching.item_of.values())) == 3
    assert [c.key for c in matching.held] == ["9"]


@pytest.mark.parametrize(
    ("action", "keys"),
    [(MERGE, {"22156"}), (APART, {"22156~1", "22156~7"}), (None, {"22156~1", "22156~7"})],
)
def test_a_decision_on_a_sku_merges_or_keeps_apart(action, keys):
    decisions = [(SAME_SKU, "22156", action)] if action else []
    matching = resolve(
        [(1, "22156", "Wild Turkey 101"), (7, "22156", "HEART DECORATION WITH PEARLS")], decisions
    )
    assert set(matching.item_of.values()) == keys
    assert [c.action for c in matching.conflicts] == [action]


def test_keep_apart_holds_even_when_the_names_agree():
    products = [(1, "20622", "VIP PASSPORT COVER"), (2, "20622", "VIP PASSPORT COVER")]
    matching = resolve(products, [(SAME_SKU, "20622", APART)])
    assert matching.item_of == {(1, "20622"): "20622~1", (2, "20622"): "20622~2"}
    assert matching.conflicts[0].action == APART and "agree" in matching.conflicts[0].reason


def test_decisions_may_be_objects():
    products = [(1, "5", "Mug"), (2, "5", "Lamp")]
    decision = MatchDecision(kind=SAME_SKU, key="5", action=MERGE)
    assert set(resolve(products, [decision]).item_of.values()) == {"5"}


def test_a_decision_that_is_not_one_is_refused():
    with pytest.raises(ValueError, match="not a matching decision"):
        resolve([(1, "5", "Mug")], [(SAME_SKU, "5", "maybe")])


def test_the_same_name_under_other_skus_is_a_conflict_not_a_merge():
    products = [(1, "100", "Red Mug"), (2, "200", "red  mug!"), (2, "300", "Lamp")]
    matching = resolve(products)
    assert matching.item_of == {(1, "100"): "100", (2, "200"): "200", (2, "300"): "300"}
    [conflict] = matching.conflicts
    assert (conflict.kind, conflict.key, conflict.action) == (SAME_NAME, "red mug", None)
    assert [m[:2] for m in conflict.members] == [(1, "100"), (2, "200")]
    assert "100, 200" in conflict.reason

    merged = resolve(products, [(SAME_NAME, "red mug", MERGE)])
    assert merged.item_of[(1, "100")] == merged.item_of[(2, "200")] == "100"
    apart = resolve(products, [(SAME_NAME, "red mug", APART)])
    assert apart.item_of == matching.item_of


def test_one_account_naming_two_skus_alike_is_its_own_business():
    matching = resolve(
        [(1, "84509B", "FAIRY CAKE PLACEMATS"), (1, "84509G", "FAIRY CAKE PLACEMATS")]
    )
    assert matching.conflicts == []
    assert len(set(matching.item_of.values())) == 2


def test_apart_wins_over_a_merge_that_contradicts_it():
    products = [(1, "1", "red mug"), (2, "1", "Red Mug"), (3, "9", "RED MUG")]
    decisions = [(SAME_SKU, "1", APART), (SAME_NAME, "red mug", MERGE)]
    matching = resolve(products, decisions)
    assert matching.item_of == {(1, "1"): "1~1", (2, "1"): "1~2", (3, "9"): "9"}
    refused = next(c for c in matching.conflicts if c.kind == SAME_NAME)
    assert refused.action == MERGE and not refused.applied
    assert "Not merged" in refused.reason


def test_held_conflicts_come_first():
    products = [(1, "1", "Mug"), (2, "1", "Lamp"), (1, "2", "Cup"), (2, "2", "Vase")]
    matching = resolve(products, [(SAME_SKU, "1", APART)])
    assert [(c.key, c.action) for c in matching.conflicts] == [("2", None), ("1", APART)]


def test_item_keys_are_unique_and_at_most_64_characters():
    long_sku = "9" * 64
    products = [(child, long_sku, f"product {child}") for child in (101, 102, 103)]
    products += [(101, "A", "Anchor"), (102, "A", "Anchor")]
    matching = resolve(products, [(SAME_SKU, long_sku, APART)])
    keys = [matching.item_of[(child, long_sku)] for child in (101, 102, 103)]
    assert len(set(keys)) == 3
    assert all(len(key) <= 64 for key in matching.item_of.values())
    assert matching.item_of[(101, "A")] == "A"


def test_the_order_of_the_products_changes_nothing():
    products = [(c, s, n) for c in (1, 2, 3) for s, n in (("1", "Mug"), ("2", f"Lamp {c}"))]
    products += [(1, "3", "Mug"), (3, "4", "Lamp 1")]
    expected = resolve(products, [(SAME_NAME, "mug", MERGE)])
    for seed in range(5):
        shuffled = random.Random(seed).sample(products, len(products))
        assert resolve(shuffled, [(SAME_NAME, "mug", MERGE)]) == expected


# -- Any products, any decisions ---------------------------------------------------------

NAMES = ["red mug", "Red Mug.", "mug red", "blue mug", "lamp", "red mug large"]
products_strategy = st.dictionaries(
    keys=st.tuples(st.integers(1, 4), st.sampled_from(["1", "2", "3", "A"])),
    values=st.tuples(st.sampled_from(NAMES), st.integers(-5, 50)),
    max_size=16,
)


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(products=products_strategy, data=st.data())
def test_every_product_is_counted_once_and_decisions_hold(products, data):
    triples = [(child, sku, name) for (child, sku), (name, _) in products.items()]
    found = resolve(triples).conflicts
    # Decisions over the conflicts found, and over any SKU (apart on agreeing names too).
    candidates = sorted({(c.kind, c.key) for c in found} | {(SAME_SKU, s) for _, s in products})
    chosen = data.draw(
        st.lists(st.sampled_from(candidates), unique=True) if candidates else st.just([])
    )
    decisions = [(kind, key, data.draw(st.sampled_from([MERGE, APART]))) for kind, key in chosen]
    matching = resolve(triples, decisions)

    # (a) every product has exactly one item key, of at most 64 characters
    assert set(matching.item_of) == set(products)
    assert all(isinstance(k, str) and 0 < len(k) <= 64 for k in matching.item_of.values())
    # (b) quantities summed per item, then over the items, are the products' total
    per_item = Counter()
    for node, (_, quantity) in products.items():
        per_item[matching.item_of[node]] += quantity
    assert sum(per_item.values()) == sum(q for _, q in products.values())
    # (c) a merge decision puts its products in one item (unless an "apart" refused it);
    # an "apart" on a SKU gives each child's product an item of its own
    for conflict in matching.conflicts:
        keys = [matching.item_of[(child, sku)] for child, sku, _ in conflict.members]
        if conflict.action == MERGE and conflict.applied:
            assert len(set(keys)) == 1
        if conflict.kind == SAME_SKU and conflict.action == APART:
            assert len(set(keys)) == len(keys)
        if conflict.kind == SAME_NAME and conflict.action == APART:
            skus_of = {}
            for (_, sku, _), key in zip(conflict.members, keys, strict=True):
                skus_of.setdefault(key, set()).add(sku)
            assert all(len(skus) == 1 for skus in skus_of.values())
    assert all(c.applied for c in matching.conflicts if c.action != MERGE)
    # Undecided SKUs shared with agreeing names are one item.
    conflicted = {c.key for c in matching.conflicts if c.kind == SAME_SKU}
    for sku in {sku for _, sku in products} - conflicted:
        assert len({k for (_, s), k in matching.item_of.items() if s == sku}) == 1
    # A key names its item: a SKU the item holds all of, or "SKU~child" of one it holds.
    for key, nodes in matching.items().items():
        if "~" in key:
            sku, child = key.split("~")
            assert (int(child), sku) in nodes and min(s for _, s in nodes) == sku
        else:
            assert {n for n in products if n[1] == key} <= set(nodes)
            assert min(s for _, s in nodes) == key


# -- The demo's real files ---------------------------------------------------------------


def demo_products(child_id, file_name, sku_column, name_column):
    """A child's products as the product import makes them from the file: the first name of
    each SKU, then one product per normalized SKU named MAX(name), like the rollup."""
    first = {}
    with open(settings.DEMO_DATA_DIR / file_name, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            try:
                sku = _sku({"sku": row[sku_column]})
            except RowInvalid:
                continue  # postage, manual adjustments: not products
            if name := " ".join(row[name_column].split()):
                first.setdefault(sku, name)
    named = {}
    for sku, name in first.items():
        normalized = normalize_sku(sku)
        named[normalized] = max(name, named.get(normalized, name))
    return [(child_id, sku, name) for sku, name in named.items()]


@pytest.fixture(scope="module")
def demo():
    iowa = demo_products(
        IOWA, "iowa_liquor_sales_2012-01-31.csv", "item_number", "item_description"
    )
    online = demo_products(ONLINE, "online_retail_2010-12-01.csv", "StockCode", "Description")
    outlet = demo_products(OUTLET, "online_retail_2011-12-05.csv", "StockCode", "Description")
    return {IOWA: iowa, ONLINE: online, OUTLET: outlet}, resolve(iowa + online + outlet)


def test_liquor_items_and_gift_shop_codes_that_collide_are_held_apart(demo):
    products, matching = demo
    liquor = {sku for _, sku, _ in products[IOWA]}
    gifts = {sku for _, sku, _ in products[ONLINE] + products[OUTLET]}
    collisions = liquor & gifts
    assert len(collisions) == 16 and "22156" in collisions
    held = {c.key: c for c in matching.held if c.kind == SAME_SKU}
    assert collisions <= set(held)
    for sku in collisions:
        others = {
            matching.item_of[(c, sku)] for c in (ONLINE, OUTLET) if (c, sku) in matching.item_of
        }
        assert matching.item_of[(IOWA, sku)] not in others
    wild_turkey = held["22156"]
    assert [(m[0], m[2]) for m in wild_turkey.members] == [
        (IOWA, "Wild Turkey 101"),
        (ONLINE, "HEART DECORATION WITH PEARLS"),
        (OUTLET, "HEART DECORATION WITH PEARLS"),
    ]
    assert wild_turkey.score < 30


def test_a_gift_shop_code_with_the_same_description_in_both_files_is_one_item(demo):
    products, matching = demo
    online, outlet = ({s: n for _, s, n in products[c]} for c in (ONLINE, OUTLET))
    liquor = {sku for _, sku, _ in products[IOWA]}
    same = [sku for sku in (online.keys() & outlet.keys()) - liquor if online[sku] == outlet[sku]]
    assert len(same) > 800
    for sku in same:
        assert matching.item_of[(ONLINE, sku)] == matching.item_of[(OUTLET, sku)] == sku
    assert "85123A" in same


def test_the_demo_threshold_sits_between_collisions_and_true_matches(demo):
    _, matching = demo
    held = {c.key: c.score for c in matching.held if c.kind == SAME_SKU}
    assert max(held.values()) < NAME_THRESHOLD
    # Cookie/biscuit cutters (88) are one item; tea glass/T-light glass (83) are held.
    assert "22965" not in held and "84946" in held


# -- A master's products and decisions ---------------------------------------------------


@pytest.mark.django_db
def test_matching_for_reads_the_children_products_and_the_masters_decisions():
    master = MasterAccount.objects.create(organization=OrganizationFactory())
    liquor, gifts, stranger = OrganizationFactory.create_batch(3)
    for child in (liquor, gifts):
        Connection.objects.create(master=master, child=child, kind=Connection.Kind.ACCOUNT)
    ProductFactory(organization=liquor, sku="22156", name="Wild Turkey 101")
    ProductFactory(organization=gifts, sku="22156", name="HEART DECORATION WITH PEARLS")
    # Two SKUs of one child that normalize alike are one product, named MAX(name).
    ProductFactory(organization=gifts, sku="85123A", name="A WHITE HEART")
    ProductFactory(organization=gifts, sku="85123-a", name="B WHITE HEART")
    ProductFactory(organization=stranger, sku="22156", name="Not a child of this master")

    matching = matching_for(master)
    assert matching.item_of == {
        (liquor.pk, "22156"): f"22156~{liquor.pk}",
        (gifts.pk, "22156"): f"22156~{gifts.pk}",
        (gifts.pk, "85123A"): "85123A",
    }
    assert [c.members[1][2] for c in matching.held] == ["HEART DECORATION WITH PEARLS"]

    MatchDecision.objects.create(master=master, kind=SAME_SKU, key="22156", action=MERGE)
    assert matching_for(master).item_of[(liquor.pk, "22156")] == "22156"
