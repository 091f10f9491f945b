"""The store check-in's nearest-store search on PostgreSQL.

Data (created once, reused): one organization with the 2,992 Walmart stores of
demo/data plus generated ones, 3,000 stores with coordinates. Timed: 200
`nearest_stores` calls, each for a point up to 250 m from a random store, with a
300 m and a 5 km radius; the query and the Python distances together.
Target: under 50 ms per call.
"""

import csv
import math
import random
import statistics
import time
from decimal import Decimal

from bench.common import setup_django

ORGANIZATION = "Bench Nearest Stores"
STORES = 3_000
POINTS = 200
TARGET_MS = 50


def build():
    """The organization with its 3,000 located stores, made once."""
    from django.conf import settings
    from django.db import connection, transaction

    from accounts.models import Organization, Store

    organization = Organization.objects.filter(name=ORGANIZATION).first()
    located = Store.objects.filter(organization=organization, latitude__isnull=False)
    if organization is not None and located.count() == STORES:
        return organization
    if organization is not None:
        organization.delete()
    path = settings.DEMO_DATA_DIR / "walmart_store_openings_1962_2006.csv"
    with path.open(newline="", encoding="ascii") as file:
        rows = list(csv.DictReader(file))
    with transaction.atomic():
        organization = Organization.objects.create(name=ORGANIZATION, is_retailer=True)
        stores = [
            Store(
                organization=organization,
                number=row["storenum"],
                name=f"Walmart {row['STRCITY'].title()}",
                city=row["STRCITY"],
                state=row["STRSTATE"],
                postal_code=row["ZIPCODE"],
                latitude=Decimal(row["LAT"]),
                longitude=Decimal(row["LON"]),
            )
            for row in rows
        ]
        rng = random.Random(3000)
        stores += [
            Store(
                organization=organization,
                number=f"G{i}",
                name=f"Generated {i}",
                latitude=Decimal(f"{rng.uniform(25, 49):.6f}"),
                longitude=Decimal(f"{rng.uniform(-124, -67):.6f}"),
            )
            for i in range(1, STORES - len(stores) + 1)
        ]
        Store.objects.bulk_create(stores, batch_size=1_000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_store")
    return organization


def near(rng, store, max_m=250):
    """A point up to `max_m` metres from the store, any direction."""
    bearing, metres = rng.uniform(0, 2 * math.pi), rng.uniform(0, max_m)
    lat, lon = float(store.latitude), float(store.longitude)
    d_lat = metres * math.cos(bearing) / 111_195
    d_lon = metres * math.sin(bearing) / (111_195 * math.cos(math.radians(lat)))
    return lat + d_lat, lon + d_lon


def plan(visible, lat, lon, radius_m):
    """The scans PostgreSQL chooses for nearest_stores' query, in a few words."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tasks.geo import nearest_stores

    with CaptureQueriesContext(connection) as queries:
        nearest_stores(visible, lat, lon, radius_m)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + queries[0]["sql"])
        lines = [line for (line,) in cursor.fetchall() if "Scan" in line]
    return "; ".join(line.strip(" ->").split("  (")[0] for line in lines)


def main():
    setup_django()
    from accounts.models import Store
    from tasks.geo import nearest_stores

    organization = build()
    stores = list(Store.objects.for_org(organization))
    rng = random.Random(200)
    points = [near(rng, rng.choice(stores)) for _ in range(POINTS)]
    print(f"  data: {len(stores):,} stores with coordinates in one organization")
    for radius_m, label in ((300, "300 m"), (5_000, "5 km")):
        visible = Store.objects.for_org(organization)
        for lat, lon in points[:10]:  # warm the connection and the caches
            nearest_stores(visible, lat, lon, radius_m)
        timings, found = [], []
        for lat, lon in points:
            started = time.perf_counter()
            nearest = nearest_stores(visible, lat, lon, radius_m)
            timings.append((time.perf_counter() - started) * 1000)
            found.append(len(nearest))
        median = statistics.median(timings)
        p95 = statistics.quantiles(timings, n=20)[-1]
        verdict = "ok" if p95 < TARGET_MS else "MISSED"
        print(
            f"  nearest store among {len(stores):,}, radius {label}: median {median:.1f} ms, "
            f"p95 {p95:.1f} ms (target < {TARGET_MS} ms): {verdict}"
            f"   [{statistics.mean(found):.1f} stores found on average; "
            f"plan: {plan(visible, *points[0], radius_m)}]"
        )


if __name__ == "__main__":
    main()
