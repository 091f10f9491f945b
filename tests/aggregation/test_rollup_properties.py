"""Master rollups, tested as properties: whatever the children hold, after a refresh the
master's rollup rows are exactly the children's own sums, per normalized SKU.

Hypothesis builds a master with 1 to 4 children whose SKUs are spelled differently but
collide after normalization ("a-1", "A1" and "00a 1" are one SKU), then runs a random
sequence of changes, each followed by a refresh (of everything, of one child, or of one
child's changed SKUs). After every step the rollups are compared with sums computed in
Python from the children's Stock and SalesLine rows, and the refresh's own counts
(RefreshResult) are compared with the rows that really changed, so a refresh with nothing
to do must write nothing. A failure is shrunk (Hypothesis may take a few minutes) to a
short sequence of steps, printed with the seed that replays it.

The last test races two refreshes of one master on PostgreSQL."""

import datetime
import random
import threading
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from accounts.models import Store
from aggregation.models import Connection, MasterAccount, RollupSales, RollupStock, StockoutDay
from aggregation.rollups import RefreshResult, refresh
from inventory.models import Product, SalesLine, Stock, normalize_sku
from tests.factories import OrganizationFactory, ProductFactory, SalesLineFactory, StoreFactory

# Five normalized SKUs, most of them with several spellings.
SPELLINGS = {
    "A1": ["a-1", "A1", "00a 1"],
    "1A": ["1a", "001-A"],
    "B2": ["b2", "B-2", "0b2"],
    "0": ["0", "000", "-"],
    "C3": ["C3"],
}
ALL_SPELLINGS = [spelling for group in SPELLINGS.values() for spelling in group]
FIRST_DAY = datetime.date(2026, 11, 1)

counts = st.integers(0, 1000)
days = st.integers(0, 9)
quantities = st.decimals(Decimal("-5"), Decimal("200"), places=2)  # returns are negative
amounts = st.decimals(Decimal("-50"), Decimal("5000"), places=2)


def test_the_spellings_collide_after_normalization():
    for normalized, spellings in SPELLINGS.items():
        assert {normalize_sku(spelling) for spelling in spellings} == {normalized}


# -- What the rollups should hold, computed in Python from the children's rows ----------


def expected_rollups(master):
    """{(child, sku): (on_hand, on_order)} and {(child, sku, date): (quantity, retail,
    demand, returned, unpriced)}: demand is the units sold at a price; a negative line is
    returned units, a line at no price (or less) unpriced units."""
    children = master.child_ids()
    stock = defaultdict(lambda: [0, 0])
    rows = Stock.objects.filter(organization_id__in=children).values_list(
        "organization_id", "product__sku", "on_hand", "on_order"
    )
    for child, sku, on_hand, on_order in rows:
        figures = stock[child, normalize_sku(sku)]
        figures[0] += on_hand
        figures[1] += on_order
    sales = defaultdict(lambda: [Decimal(0)] * 5)
    rows = SalesLine.objects.filter(organization_id__in=children).values_list(
        "organization_id", "product__sku", "date", "quantity", "retail_amount"
    )
    for child, sku, date, quantity, retail_amount in rows:
        figures = sales[child, normalize_sku(sku), date]
        figures[0] += quantity
        figures[1] += retail_amount
        if quantity < 0:
            figures[3] -= quantity
        elif quantity > 0 and retail_amount <= 0:
            figures[4] += quantity
        elif quantity > 0:
            figures[2] += quantity
    return (
        {key: tuple(figures) for key, figures in stock.items()},
        {key: tuple(figures) for key, figures in sales.items()},
    )


def rollup_rows(master):
    """The rollup tables as they are: {(child, sku): (name, on_hand, on_order)} and
    {(child, sku, date): (quantity, retail, demand, returned, unpriced)}."""
    stock = {
        (child, sku): (name, on_hand, on_order)
        for child, sku, name, on_hand, on_order in RollupStock.objects.filter(
            master=master
        ).values_list("child_id", "sku", "name", "on_hand", "on_order")
    }
    figures = ("quantity", "retail_amount", "demand", "returned", "unpriced")
    sales = {
        (child, sku, date): tuple(cents(value) for value in values)
        for child, sku, date, *values in RollupSales.objects.filter(master=master).values_list(
            "child_id", "sku", "date", *figures
        )
    }
    return stock, sales


def cents(amount):
    # SQLite stores decimals as floating point and sums them as such, so a SUM read
    # through the ORM can be off in the 15th digit (-0.0799999999999998 for -1.39 + 1.31).
    return amount.quantize(Decimal("0.01"))


def assert_consistent(master):
    expected_stock, expected_sales = expected_rollups(master)
    stock, sales = rollup_rows(master)

    # Each child's rows are that child's own sums, and nothing else is there.
    assert {key: figures[1:] for key, figures in stock.items()} == expected_stock
    assert sales == expected_sales

    # The master's figure for a SKU is the sum over its children.
    master_stock = defaultdict(lambda: (0, 0))
    for (_, sku), (on_hand, on_order) in expected_stock.items():
        master_stock[sku] = (master_stock[sku][0] + on_hand, master_stock[sku][1] + on_order)
    totals = RollupStock.objects.filter(master=master).values("sku")
    totals = totals.annotate(on_hand=Sum("on_hand"), on_order=Sum("on_order"))
    assert {row["sku"]: (row["on_hand"], row["on_order"]) for row in totals} == master_stock

    master_sales = defaultdict(lambda: (Decimal(0), Decimal(0)))
    for (_, sku, date), (quantity, retail, *_cleansed) in expected_sales.items():
        before = master_sales[sku, date]
        master_sales[sku, date] = (before[0] + quantity, before[1] + retail)
    totals = RollupSales.objects.filter(master=master).values("sku", "date")
    totals = totals.annotate(quantity=Sum("quantity"), retail=Sum("retail_amount"))
    assert {
        (row["sku"], row["date"]): (cents(row["quantity"]), cents(row["retail"])) for row in totals
    } == master_sales

    # The name shown is one of the names of the products behind the row.
    names = defaultdict(set)
    products = Product.objects.filter(organization_id__in=master.child_ids())
    for child, sku, name in products.values_list("organization_id", "sku_normalized", "name"):
        names[child, sku].add(name)
    for key, (name, _, _) in stock.items():
        assert name in names[key]


@dataclass
class Snapshot:
    """The rollups before a refresh, to tell which rows the refresh really changed."""

    stock: dict
    sales: dict
    departed_rows: int

    @classmethod
    def take(cls, master):
        stock, sales = rollup_rows(master)
        departed_rows = sum(
            model.objects.filter(master=master).exclude(child_id__in=master.child_ids()).count()
            for model in (RollupStock, RollupSales, StockoutDay)
        )
        return cls(stock, sales, departed_rows)

    def expected_result(self, master):
        """What the refresh should report, from the rows it changed: a row whose figures
        did not change is not written."""
        stock, sales = rollup_rows(master)
        children = set(master.child_ids())
        return {
            "stock_written": sum(stock[key] != self.stock.get(key) for key in stock),
            "stock_deleted": sum(key[0] in children and key not in stock for key in self.stock),
            "sales_written": sum(sales[key] != self.sales.get(key) for key in sales),
            "sales_deleted": sum(key[0] in children and key not in sales for key in self.sales),
            "children_removed": self.departed_rows,
        }


def reported(result):
    return {name: value for name, value in vars(result).items() if name != "seconds"}


# -- The children's data, as Hypothesis draws it ----------------------------------------


@dataclass
class ChildData:
    stores: int
    skus: list  # spellings, one product each
    stock: dict  # (spelling, store index) -> (on_hand, on_order)
    sales: list  # (spelling, store index, day, quantity, retail amount)


@st.composite
def child_data(draw):
    stores = draw(st.integers(1, 3))
    skus = draw(st.lists(st.sampled_from(ALL_SPELLINGS), min_size=1, max_size=5, unique=True))
    places = st.tuples(st.sampled_from(skus), st.integers(0, stores - 1))
    stock = draw(st.dictionaries(places, st.tuples(counts, counts), max_size=8))
    sales = draw(
        st.lists(
            st.tuples(st.sampled_from(skus), st.integers(0, stores - 1), days, quantities, amounts),
            max_size=8,
        )
    )
    return ChildData(stores, skus, stock, sales)


def new_product(organization_id, spelling):
    # A name from the spelling, not from a factory sequence: the rollup shows MAX(name),
    # and a replayed example must pick the same one.
    return ProductFactory(organization_id=organization_id, sku=spelling, name=f"Product {spelling}")


def create_child_data(organization, data: ChildData):
    stores = [StoreFactory(organization=organization) for _ in range(data.stores)]
    products = {sku: new_product(organization.pk, sku) for sku in data.skus}
    for (sku, store), (on_hand, on_order) in data.stock.items():
        Stock.objects.create(
            organization=organization, store=stores[store], product=products[sku],
            on_hand=on_hand, on_order=on_order,
        )  # fmt: skip
    for sku, store, day, quantity, retail_amount in data.sales:
        SalesLineFactory(
            organization=organization, store=stores[store], product=products[sku],
            date=FIRST_DAY + datetime.timedelta(days=day), quantity=quantity,
            retail_amount=retail_amount,
        )  # fmt: skip


# -- The state machine ------------------------------------------------------------------


class RollupMachine(RuleBasedStateMachine):
    """A master, its children and an outsider whose data must never show up. Every rule
    changes something and refreshes; the invariant checks the rollups after each step."""

    def __init__(self):
        super().__init__()
        # Each run of the machine in its own savepoint, rolled back at teardown.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.master = None
        self.outsider = None
        self.departed = []  # organizations that were children and left

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    # Helpers

    def children(self):
        return self.master.child_ids()

    def refresh_checked(self, data, child_id, skus, *, modes=("full", "child", "skus")):
        """Refresh in a drawn way and check the result's counts against the changed rows."""
        mode = data.draw(st.sampled_from(modes), label="refresh")
        snapshot = Snapshot.take(self.master)
        if mode == "full":
            result = refresh(self.master)
        elif mode == "child":
            result = refresh(self.master, child_ids=[child_id])
        else:
            result = refresh(self.master, child_ids=[child_id], skus=sorted(skus))
        note(f"refresh ({mode}, child {child_id}, skus {sorted(skus or [])}): {result}")
        assert reported(result) == snapshot.expected_result(self.master)
        return result

    def products_of_children(self):
        return Product.objects.filter(organization_id__in=self.children()).order_by("pk")

    # Rules

    @initialize(children=st.lists(child_data(), min_size=1, max_size=4), outsider=child_data())
    def build(self, children, outsider):
        self.master = MasterAccount.objects.create(organization=OrganizationFactory())
        for data in children:
            child = OrganizationFactory()
            Connection.objects.create(master=self.master, child=child, kind="csv")
            create_child_data(child, data)
        # Connected to no master: none of its SKUs, which collide with the children's, count.
        self.outsider = OrganizationFactory()
        create_child_data(self.outsider, outsider)
        refresh(self.master)

    @precondition(lambda self: Stock.objects.filter(organization_id__in=self.children()).exists())
    @rule(data=st.data(), on_hand=counts, on_order=st.none() | counts)
    def edit_stock(self, data, on_hand, on_order):
        rows = Stock.objects.filter(organization_id__in=self.children()).order_by("pk")
        stock = data.draw(st.sampled_from(list(rows.select_related("product"))), label="stock")
        stock.on_hand = on_hand
        if on_order is not None:
            stock.on_order = on_order
        stock.save()
        self.refresh_checked(data, stock.organization_id, [stock.product.sku_normalized])

    @precondition(lambda self: self.master.connections.exists())
    @rule(
        data=st.data(), spelling=st.sampled_from(ALL_SPELLINGS), figures=st.tuples(counts, counts)
    )
    def add_stock(self, data, spelling, figures):
        """Stock for a product in a store, new or replacing the figures there; a new product
        if the child does not have this spelling yet (its name may change the rollup's name)."""
        child = data.draw(st.sampled_from(sorted(self.children())), label="child")
        product = Product.objects.filter(organization_id=child, sku=spelling).first()
        product = product or new_product(child, spelling)
        stores = Store.objects.filter(organization_id=child).order_by("pk")
        store = data.draw(st.sampled_from(list(stores)), label="store")
        Stock.objects.update_or_create(
            store=store, product=product,
            defaults={"organization_id": child, "on_hand": figures[0], "on_order": figures[1]},
        )  # fmt: skip
        self.refresh_checked(data, child, [product.sku_normalized])

    @precondition(lambda self: self.products_of_children().exists())
    @rule(data=st.data(), day=days, quantity=quantities, retail_amount=amounts)
    def add_sales_line(self, data, day, quantity, retail_amount):
        product = data.draw(st.sampled_from(list(self.products_of_children())), label="product")
        stores = Store.objects.filter(organization=product.organization_id)
        store = data.draw(st.sampled_from(list(stores.order_by("pk"))), label="store")
        SalesLineFactory(
            organization_id=product.organization_id, store=store, product=product,
            date=FIRST_DAY + datetime.timedelta(days=day), quantity=quantity,
            retail_amount=retail_amount,
        )  # fmt: skip
        self.refresh_checked(data, product.organization_id, [product.sku_normalized])

    @precondition(
        lambda self: SalesLine.objects.filter(organization_id__in=self.children()).exists()
    )
    @rule(data=st.data())
    def delete_sales_line(self, data):
        lines = SalesLine.objects.filter(organization_id__in=self.children()).order_by("pk")
        line = data.draw(st.sampled_from(list(lines.select_related("product"))), label="line")
        line.delete()
        self.refresh_checked(data, line.organization_id, [line.product.sku_normalized])

    @precondition(lambda self: Stock.objects.filter(organization_id__in=self.children()).exists())
    @rule(data=st.data())
    def delete_all_stock_of_a_sku(self, data):
        """Every stock row of one SKU of one child, whatever the spelling: its rollup row goes."""
        rows = Stock.objects.filter(organization_id__in=self.children())
        keys = sorted(set(rows.values_list("organization_id", "product__sku_normalized")))
        child, sku = data.draw(st.sampled_from(keys), label="child and sku")
        rows.filter(organization_id=child, product__sku_normalized=sku).delete()
        self.refresh_checked(data, child, [sku])
        assert not RollupStock.objects.filter(master=self.master, child_id=child, sku=sku).exists()

    @precondition(lambda self: self.products_of_children().exists())
    @rule(data=st.data())
    def delete_product(self, data):
        """A product goes with its stock and sales (cascade)."""
        product = data.draw(st.sampled_from(list(self.products_of_children())), label="product")
        product.delete()
        self.refresh_checked(data, product.organization_id, [product.sku_normalized])

    @precondition(lambda self: self.master.connections.exists())
    @rule(data=st.data())
    def remove_child(self, data):
        """A child leaves: whichever refresh comes next, its rows leave the master."""
        leaving = data.draw(
            st.sampled_from(list(self.master.connections.order_by("pk"))), label="connection"
        )
        leaving.delete()
        self.departed.append(leaving.child)
        # The next refresh may be of the whole master, of the child that left or of another.
        others = self.children()
        child = data.draw(st.sampled_from([leaving.child_id, *others]), label="refreshed")
        self.refresh_checked(data, child, None, modes=("full", "child"))
        for model in (RollupStock, RollupSales, StockoutDay):
            assert not model.objects.filter(master=self.master, child_id=leaving.child_id).exists()

    @precondition(lambda self: len(self.master.child_ids()) < 4)
    @rule(data=st.data(), new=child_data())
    def add_child(self, data, new):
        """A new organization with its data, or one that left coming back."""
        returning = data.draw(st.sampled_from([None, *self.departed]), label="returning")
        if returning is None:
            child = OrganizationFactory()
            create_child_data(child, new)
        else:
            child = returning
            self.departed.remove(returning)
        Connection.objects.create(master=self.master, child=child, kind="csv")
        self.refresh_checked(data, child.pk, None, modes=("full", "child"))

    @rule(data=st.data())
    def refresh_again_writes_nothing(self, data):
        """Nothing changed since the last refresh: whatever the scope, nothing is written,
        not even when it names an organization that is not (or no longer) a child."""
        candidates = [*sorted(self.children()), self.outsider.pk, *(o.pk for o in self.departed)]
        child = data.draw(st.sampled_from(candidates), label="child")
        skus = data.draw(st.lists(st.sampled_from(list(SPELLINGS)), unique=True), label="skus")
        result = self.refresh_checked(data, child, skus)
        assert reported(result) == reported(RefreshResult())

    @invariant()
    def rollups_are_the_childrens_sums(self):
        if self.master is not None:
            assert_consistent(self.master)


@pytest.mark.django_db
def test_rollups_stay_the_sum_of_the_children_through_any_changes():
    run_state_machine_as_test(
        RollupMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=12,
            deadline=None,
            database=None,  # no example files in the shared checkout
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )


# -- Two refreshes of one master at once (PostgreSQL) -----------------------------------


def change_some_data(master, rng):
    """Edits, additions and deletions over the children, as imports would make them."""
    stock = list(Stock.objects.filter(organization_id__in=master.child_ids()).order_by("pk"))
    for row in rng.sample(stock, k=min(3, len(stock))):
        row.on_hand = rng.randint(0, 1000)
        row.save()
    products = list(Product.objects.filter(organization_id__in=master.child_ids()))
    for product in rng.sample(products, k=min(4, len(products))):
        SalesLineFactory(
            organization_id=product.organization_id,
            store=Store.objects.filter(organization_id=product.organization_id)
            .order_by("pk")
            .first(),
            product=product,
            date=FIRST_DAY + datetime.timedelta(days=rng.randint(0, 9)),
            quantity=Decimal(rng.randint(1, 5000)) / 100,
            retail_amount=Decimal(rng.randint(1, 50000)) / 100,
        )
    lines = list(SalesLine.objects.filter(organization_id__in=master.child_ids()).order_by("pk"))
    for line in rng.sample(lines, k=min(2, len(lines))):
        line.delete()
    if stock and rng.random() < 0.5:
        doomed = rng.choice(stock)
        Stock.objects.filter(
            organization_id=doomed.organization_id,
            product__sku_normalized=doomed.product.sku_normalized,
        ).delete()


def master_with_three_children(rng):
    master = MasterAccount.objects.create(organization=OrganizationFactory())
    for spellings in (["a-1", "1a", "b2", "0"], ["A1", "001-A", "B-2", "-"], ["00a 1", "C3"]):
        child = OrganizationFactory()
        Connection.objects.create(master=master, child=child, kind="csv")
        stock = {
            (sku, store): (rng.randint(0, 1000), rng.randint(0, 1000))
            for sku in spellings
            for store in range(2)
        }
        sales = [
            (sku, rng.randrange(2), rng.randint(0, 9), Decimal("1.25"), Decimal("9.99"))
            for sku in spellings
        ]
        create_child_data(child, ChildData(2, spellings, stock, sales))
    refresh(master)
    return master


ONLY_POSTGRESQL = "concurrency is tested on PostgreSQL, where the master row lock means something"


@pytest.mark.django_db(transaction=True)
def test_two_refreshes_of_one_master_at_once_count_everything_once():
    if connection.vendor != "postgresql":
        pytest.skip(ONLY_POSTGRESQL)
    rng = random.Random(20261101)
    master = master_with_three_children(rng)

    for _ in range(5):
        change_some_data(master, rng)
        snapshot = Snapshot.take(master)
        results, errors = refresh_twice_at_once(master)

        assert errors == []
        assert_consistent(master)
        # One after the other: the first wrote every change, the second found nothing to do.
        first, second = sorted((reported(r) for r in results), key=lambda r: -sum(r.values()))
        assert first == snapshot.expected_result(master)
        assert second == reported(RefreshResult())


@pytest.mark.django_db(transaction=True)
def test_a_refresh_waits_while_the_master_row_is_locked():
    """The race above ends the same way whether or not the refreshes overlap (each one
    recomputes everything), so the lock that keeps them apart is checked on its own."""
    if connection.vendor != "postgresql":
        pytest.skip(ONLY_POSTGRESQL)
    rng = random.Random(20261102)
    master = master_with_three_children(rng)
    change_some_data(master, rng)
    finished, errors = threading.Event(), []

    def refresh_in_a_thread():
        try:
            refresh(master)
            finished.set()
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=refresh_in_a_thread)
    with transaction.atomic():
        MasterAccount.objects.select_for_update().get(pk=master.pk)  # another refresh, say
        thread.start()
        assert not finished.wait(0.5), "the refresh ran while the master row was locked"
    assert finished.wait(10), errors
    thread.join()
    assert errors == []
    assert_consistent(master)


def refresh_twice_at_once(master):
    """Two threads, each with its own connection, refresh the master at the same moment."""
    barrier = threading.Barrier(2)
    results, errors = [], []

    def refresh_in_a_thread():
        try:
            barrier.wait()
            results.append(refresh(master))
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh_in_a_thread) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
