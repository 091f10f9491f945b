"""Twenty programs posting overlapping stock batches through the API at the same moment
(issue 16): every batch is written, none is lost or half-written, and the stock is what
the same batches leave when sent one after the other, in the order they were applied.

The requests go over real HTTP to a live server (one thread per request, each with its
own database connection), released together by a barrier. Imports of one kind into one
organization take turns (core/imports/service.py `_take_turns`), so "the order they were
applied" is the order of the batches' applied_at. The stock is then compared twice: with
a plain replay in Python (the last applied batch's value wins per store and SKU) and with
a real serial run of the same batches through the API into a twin retailer. The retailer
is the child of a master account: the master's rollups must equal the children's stock.
"""

import itertools
import json
import random
import threading
import urllib.error
import urllib.request
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Sum

from accounts.api_tokens import token_create
from accounts.models import ApiToken, Membership
from aggregation.models import Connection, MasterAccount, RollupStock
from core.models import ImportBatch
from inventory.models import Stock
from tests.aggregation.test_rollup_properties import assert_consistent
from tests.factories import MembershipFactory, OrganizationFactory, ProductFactory, StoreFactory

pytestmark = pytest.mark.django_db(transaction=True)

STORES, PRODUCTS, WRITERS = 5, 40, 20
SEED = 16


def retailer_with_catalogue(name):
    """A retailer with STORES stores and PRODUCTS products, stocked at every other pair."""
    retailer = OrganizationFactory(name=name, is_retailer=True)
    owner = MembershipFactory(organization=retailer, role=Membership.Role.OWNER).user
    stores = [StoreFactory(organization=retailer, number=str(n)) for n in range(1, STORES + 1)]
    products = [
        ProductFactory(organization=retailer, sku=f"CONC-{n:03d}", name=f"Product {n}")
        for n in range(1, PRODUCTS + 1)
    ]
    Stock.objects.bulk_create(
        Stock(organization=retailer, store=store, product=product, on_hand=7, on_order=1)
        for i, store in enumerate(stores)
        for j, product in enumerate(products)
        if (i + j) % 2 == 0
    )
    return retailer, owner


def stock_batches():
    """WRITERS batches, each over a seeded random subset of the store x SKU pairs (so
    they overlap), with its own values. Every other batch leaves out on_order: a stored
    row keeps its count, a new one gets 0."""
    rng = random.Random(SEED)
    pairs = [
        (str(s), f"CONC-{p:03d}") for s in range(1, STORES + 1) for p in range(1, PRODUCTS + 1)
    ]
    batches = []
    for writer in range(WRITERS):
        chosen = rng.sample(pairs, rng.randrange(40, 160))
        rows = []
        for store, sku in chosen:
            row = {"store": store, "sku": sku, "on_hand": rng.randrange(0, 1000)}
            if writer % 2 == 0:
                row["on_order"] = rng.randrange(0, 60)
            rows.append(row)
        batches.append(rows)
    return batches


def post(url, key, rows, idempotency_key):
    """POST a batch over HTTP: (status, JSON body)."""
    request = urllib.request.Request(  # noqa: S310 (the live server's http:// URL)
        url,
        data=json.dumps({"rows": rows}).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
            "Idempotency-Key": idempotency_key,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def stored(organization):
    """{(store number, SKU): (on_hand, on_order)} as stored."""
    return {
        (number, sku): (on_hand, on_order)
        for number, sku, on_hand, on_order in Stock.objects.filter(
            organization=organization
        ).values_list("store__number", "product__sku", "on_hand", "on_order")
    }


def replay(start, batches):
    """The batches applied one after the other in Python: the last value wins."""
    state = dict(start)
    for rows in batches:
        for row in rows:
            key = (str(row["store"]), row["sku"])
            _on_hand, on_order = state.get(key, (0, 0))
            state[key] = (row["on_hand"], row.get("on_order", on_order))
    return state


def totals(state):
    per_store = Counter()
    for (store, _sku), (on_hand, _on_order) in state.items():
        per_store[store] += on_hand
    return dict(per_store), sum(per_store.values())


def test_twenty_concurrent_overlapping_stock_batches_equal_a_serial_run(live_server):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is tested on PostgreSQL, where writers really overlap")
    retailer, owner = retailer_with_catalogue("Racing Retail")
    master = MasterAccount.objects.create(organization=OrganizationFactory(name="Racing Master"))
    Connection.objects.create(master=master, child=retailer, kind=Connection.Kind.ACCOUNT)
    keys = [
        token_create(
            organization=retailer, actor=owner, name=f"writer {i}", scope=ApiToken.Scope.WRITE
        )[1]
        for i in range(WRITERS)
    ]
    before = stored(retailer)
    batches = stock_batches()
    url = f"{live_server.url}/api/v1/organizations/{retailer.pk}/stock"

    barrier = threading.Barrier(WRITERS)
    answers = [None] * WRITERS

    def write(i):
        try:
            barrier.wait(timeout=60)
            answers[i] = post(url, keys[i], batches[i], f"race-{i}")
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    # Every request was written: no 500, no deadlock, no refusal.
    assert [status for status, _body in answers] == [200] * WRITERS, answers
    for rows, (_status, body) in zip(batches, answers, strict=True):
        assert body["rows"] == len(rows)
        assert body["created"] + body["updated"] + body["unchanged"] == len(rows), body
    batch_ids = [body["batch"] for _status, body in answers]
    applied = ImportBatch.objects.filter(pk__in=batch_ids, status=ImportBatch.Status.APPLIED)
    assert applied.count() == WRITERS
    order = list(applied.order_by("applied_at", "pk").values_list("pk", flat=True))
    # Imports of one kind into one organization take turns: no two applied at one moment.
    assert len(set(applied.values_list("applied_at", flat=True))) == WRITERS
    in_order = [batches[batch_ids.index(pk)] for pk in order]
    # The writes really overlapped: batches were confirmed while another was being written.
    started = dict(applied.values_list("pk", "started_at"))
    finished = dict(applied.values_list("pk", "applied_at"))
    assert sum(started[b] < finished[a] for a, b in itertools.pairwise(order)) >= 1

    # The stock is the serial replay's, row for row, and so are its totals.
    expected = replay(before, in_order)
    after = stored(retailer)
    assert after == expected
    assert totals(after) == totals(expected)
    # Each row written was counted once: the new rows are the pairs no one had stocked.
    assert sum(body["created"] for _status, body in answers) == len(set(after) - set(before))

    # A real serial run of the same batches, in the same order, into a twin retailer.
    twin, twin_owner = retailer_with_catalogue("Serial Twin")
    twin_key = token_create(
        organization=twin, actor=twin_owner, name="serial", scope=ApiToken.Scope.WRITE
    )[1]
    twin_url = f"{live_server.url}/api/v1/organizations/{twin.pk}/stock"
    for n, rows in enumerate(in_order):
        status, body = post(twin_url, twin_key, rows, f"serial-{n}")
        assert status == 200, body
    assert stored(twin) == after
    assert totals(stored(twin)) == totals(after)
    assert (
        Stock.objects.filter(organization=twin).aggregate(Sum("on_hand"))
        == Stock.objects.filter(organization=retailer).aggregate(Sum("on_hand"))
    )  # fmt: skip

    # The master's rollups were refreshed after each write: they are the child's sums.
    assert_consistent(master)
    rolled_up = RollupStock.objects.filter(master=master).aggregate(
        on_hand=Sum("on_hand"), on_order=Sum("on_order")
    )
    assert rolled_up == {
        "on_hand": sum(on_hand for on_hand, _ in after.values()),
        "on_order": sum(on_order for _, on_order in after.values()),
    }
