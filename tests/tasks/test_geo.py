"""Distances and the nearest stores for a check-in, on the real store lists in demo/data.

Distances are checked against Karney's geodesic on the WGS84 ellipsoid
(geographiclib, the reference implementation of "Algorithms for geodesics",
J. Geodesy 2013): the haversine on a sphere must stay within 0.5% of it.
"""

import csv
import functools
import math
import random
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from geographiclib.geodesic import Geodesic

from accounts.models import Store
from tasks.geo import EARTH_RADIUS_M, bounding_box, distance_m, nearest_stores
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db

# A field rep 1 km east of Walmart #1 (2110 West Walnut, Rogers, AR).
REP = (36.342234, -94.060271)
SPHERE = Geodesic(EARTH_RADIUS_M, 0)  # the sphere distance_m works on, for exact offsets


@functools.cache
def walmart_rows():
    """The Walmart list by store number: plain ASCII, header `storenum,...,LAT,LON,...`."""
    path = settings.DEMO_DATA_DIR / "walmart_store_openings_1962_2006.csv"
    with path.open(newline="", encoding="ascii") as file:
        return {row["storenum"]: row for row in csv.DictReader(file)}


@functools.cache
def target_rows():
    """The Target list by store ID: Latin-1 bytes, every field quoted."""
    path = settings.DEMO_DATA_DIR / "target_stores.csv"
    with path.open(newline="", encoding="latin-1") as file:
        return {row["ID"]: row for row in csv.DictReader(file)}


def walmart(number):
    row = walmart_rows()[number]
    return Decimal(row["LAT"]), Decimal(row["LON"])


def target(store_id):
    row = target_rows()[store_id]
    return Decimal(row["Address.Latitude"]), Decimal(row["Address.Longitude"])


def geodesic_m(a, b):
    return Geodesic.WGS84.Inverse(float(a[0]), float(a[1]), float(b[0]), float(b[1]))["s12"]


def offset(point, bearing, metres):
    """The point `metres` away from `point` towards `bearing`, on distance_m's sphere."""
    moved = SPHERE.Direct(float(point[0]), float(point[1]), bearing, metres)
    return moved["lat2"], moved["lon2"]


@pytest.fixture
def walmart_stores(org):
    """Every Walmart of the list, coordinates included, as `org`'s stores."""
    Store.objects.bulk_create(
        Store(
            organization=org,
            number=row["storenum"],
            name=f"Walmart {row['STRCITY'].title()}",
            banner="Walmart",
            address=row["STREETADDR"],
            city=row["STRCITY"],
            state=row["STRSTATE"],
            postal_code=row["ZIPCODE"],
            latitude=Decimal(row["LAT"]),
            longitude=Decimal(row["LON"]),
        )
        for row in walmart_rows().values()
    )
    return list(Store.objects.for_org(org))


def brute_force(stores, lat, lon, radius_m, limit=10):
    """Every store measured, none skipped: what nearest_stores must agree with."""
    measured = [
        (store, distance_m(lat, lon, store.latitude, store.longitude))
        for store in stores
        if store.latitude is not None and store.longitude is not None
    ]
    within = sorted(
        ((store, d) for store, d in measured if d <= radius_m), key=lambda p: (p[1], p[0].pk)
    )
    return [(store.pk, d) for store, d in within[:limit]]


def found(stores, *args, **kwargs):
    return [(store.pk, d) for store, d in nearest_stores(stores, *args, **kwargs)]


def numbers(stores, *args, **kwargs):
    return [store.number for store, _ in nearest_stores(stores, *args, **kwargs)]


# Distances


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("1", "2"),  # Rogers, AR to Harrison, AR: 88 km
        ("1", "5193"),  # Rogers, AR to Moreno Valley, CA: 2,117 km
        ("1", "1947"),  # Rogers, AR to Omak, WA: 2,340 km, far north
    ],
)
def test_distance_between_walmart_stores_matches_the_wgs84_geodesic(first, second):
    assert walmart_rows()["1"]["STRCITY"] == "Rogers"
    a, b = walmart(first), walmart(second)
    assert distance_m(*a, *b) == pytest.approx(geodesic_m(a, b), rel=0.005)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("2153", "2372"),  # Oxford, AL to Anchorage South, AK: 5,150 km
        ("2371", "2372"),  # Anchorage NE to Anchorage South: 11 km, at 61° north
    ],
)
def test_distance_between_target_stores_matches_the_wgs84_geodesic(first, second):
    a, b = target(first), target(second)
    assert distance_m(*a, *b) == pytest.approx(geodesic_m(a, b), rel=0.005)


@pytest.mark.parametrize("bearing", [0, 45, 90, 135, 180, 270])
def test_a_300_m_walk_from_a_store_measures_300_m(bearing):
    store = walmart("1")
    walked = Geodesic.WGS84.Direct(float(store[0]), float(store[1]), bearing, 300)
    there = (walked["lat2"], walked["lon2"])
    assert geodesic_m(store, there) == pytest.approx(300)
    assert distance_m(*store, *there) == pytest.approx(300, rel=0.005)


def test_distance_takes_decimals_and_floats_alike():
    a, b = walmart("1"), walmart("2")
    as_floats = [float(x) for x in (*a, *b)]
    assert distance_m(*a, *b) == distance_m(*as_floats)
    assert distance_m(*a, *a) == 0


def test_distance_between_antipodes_is_half_the_circumference():
    assert distance_m(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_RADIUS_M)


# Bounding box


@pytest.mark.parametrize("lat", [36.342234, 61.2, -45.0])
@pytest.mark.parametrize("radius_m", [300, 5_000, 500_000])
def test_bounding_box_holds_the_whole_circle_and_no_more(lat, radius_m):
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, -94.06, radius_m)
    rim = [offset((lat, -94.06), bearing / 4, radius_m) for bearing in range(360 * 4)]
    for rim_lat, rim_lon in rim:
        assert min_lat - 1e-9 <= rim_lat <= max_lat + 1e-9
        assert min_lon - 1e-9 <= rim_lon <= max_lon + 1e-9
    # Tight: the circle touches every side (to the quarter-degree step of the rim).
    rim_lats, rim_lons = [p[0] for p in rim], [p[1] for p in rim]
    assert min(rim_lats) == pytest.approx(min_lat, abs=1e-9)
    assert max(rim_lats) == pytest.approx(max_lat, abs=1e-9)
    width = max_lon - min_lon
    assert min(rim_lons) == pytest.approx(min_lon, abs=1e-5 * width)
    assert max(rim_lons) == pytest.approx(max_lon, abs=1e-5 * width)


def test_bounding_box_near_a_pole_takes_every_longitude():
    assert bounding_box(89.99, 10, 5_000) == pytest.approx((89.99 - 5_000 / 111_195, 90, -180, 180))
    assert bounding_box(-90, 0, 1)[2:] == (-180, 180)
    assert bounding_box(0, 0, 30_000_000) == (-90, 90, -180, 180)


def test_bounding_box_across_the_antimeridian_is_clamped():
    min_lon, max_lon = bounding_box(0, 179.99, 10_000)[2:]
    assert min_lon == pytest.approx(179.99 - 10_000 / 111_195, rel=1e-3)
    assert max_lon == 180
    assert bounding_box(0, -179.99, 10_000)[2] == -180


def test_a_negative_radius_is_refused():
    with pytest.raises(ValueError, match="negative"):
        bounding_box(36, -94, -1)


# Nearest stores


def test_the_rep_in_rogers_finds_the_two_rogers_walmarts_within_10_km(org, walmart_stores):
    nearest = nearest_stores(Store.objects.for_org(org), *REP, 10_000)

    assert [store.number for store, _ in nearest] == ["1", "5260"]
    assert [round(d) for _, d in nearest] == [998, 8659]


def test_the_radius_cuts_off_farther_stores(org, walmart_stores):
    stores = Store.objects.for_org(org)
    # Rogers, Rogers (S), Bentonville, Springdale; Fayetteville is 26.6 km away.
    assert numbers(stores, *REP, 20_000) == ["1", "5260", "100", "54"]
    assert numbers(stores, *REP, 1_000) == ["1"]
    assert numbers(stores, *REP, 900) == []
    # A store exactly on the circle is in.
    springdale = distance_m(*REP, *walmart("54"))
    assert numbers(stores, *REP, springdale)[-1] == "54"
    assert numbers(stores, *REP, springdale - 0.01)[-1] == "100"


def test_the_limit_keeps_the_nearest(org, walmart_stores):
    stores = Store.objects.for_org(org)
    within_50_km = brute_force(walmart_stores, *REP, 50_000, limit=100)
    assert len(within_50_km) == 11

    assert found(stores, *REP, 50_000) == within_50_km[:10]
    assert found(stores, *REP, 50_000, limit=3) == within_50_km[:3]
    assert numbers(stores, *REP, 50_000, limit=100)[-1] == "76"  # Berryville, 44.5 km


def test_nearest_stores_agree_with_measuring_every_store(org, walmart_stores):
    stores = Store.objects.for_org(org)
    rng = random.Random(2006)
    for store in rng.sample(walmart_stores, 40):
        here = offset((store.latitude, store.longitude), rng.uniform(0, 360), rng.uniform(0, 600))
        for radius_m in (300, 5_000, 80_000):
            limit = rng.choice([1, 5, 10, 50])
            expected = brute_force(walmart_stores, *here, radius_m, limit)
            assert found(stores, *here, radius_m, limit=limit) == expected, (store, radius_m)


def test_stores_at_the_same_spot_come_in_id_order(org, walmart_stores):
    rows = walmart_rows().values()
    spots = {}
    for row in rows:
        spots.setdefault((row["LAT"], row["LON"]), []).append(row["storenum"])
    shared_spot, twins = next((spot, nums) for spot, nums in spots.items() if len(nums) > 1)
    by_id = [s.number for s in sorted(walmart_stores, key=lambda s: s.pk) if s.number in twins]

    here = [Decimal(x) for x in shared_spot]
    assert numbers(Store.objects.for_org(org), *here, 1) == by_id


def test_one_query_narrowed_by_the_bounding_box(org, walmart_stores):
    with CaptureQueriesContext(connection) as queries:
        nearest_stores(Store.objects.for_org(org), *REP, 5_000)

    assert len(queries) == 1
    sql = queries[0]["sql"]
    assert sql.count('"latitude"') >= 2 and sql.count('"longitude"') >= 2


def test_a_store_due_north_exactly_on_the_circle_is_found(org):
    # In floats the box's top edge here is 40.651990999999995, just short of the store.
    rep = (Decimal("40.638231"), Decimal("-74.060271"))
    north = StoreFactory(organization=org, latitude=Decimal("40.651991"), longitude=rep[1])
    radius_m = distance_m(*rep, north.latitude, north.longitude)

    assert nearest_stores(Store.objects.for_org(org), *rep, radius_m) == [(north, radius_m)]


def test_stores_without_coordinates_are_ignored(org, walmart_stores):
    StoreFactory(organization=org, number="X1", latitude=None, longitude=None)
    StoreFactory(organization=org, number="X2", latitude=Decimal(REP[0]), longitude=None)
    StoreFactory(organization=org, number="X3", latitude=None, longitude=Decimal(REP[1]))
    stores = Store.objects.for_org(org)

    everywhere = numbers(stores, *REP, 25_000_000, limit=10_000)
    assert len(everywhere) == len(walmart_stores) == 2_992
    assert not {"X1", "X2", "X3"} & set(everywhere)
    assert found(stores, *REP, 50_000) == brute_force(walmart_stores, *REP, 50_000)


def test_another_organizations_stores_are_never_returned(org, other_org, walmart_stores):
    # The other organization has stores on exactly the same spots as the nearest ones.
    for store, _ in nearest_stores(Store.objects.for_org(org), *REP, 50_000):
        StoreFactory(
            organization=other_org,
            number=store.number,
            latitude=store.latitude,
            longitude=store.longitude,
        )

    nearest = nearest_stores(Store.objects.for_org(org), *REP, 50_000)
    assert {store.organization_id for store, _ in nearest} == {org.pk}
    assert [(s.pk, d) for s, d in nearest] == brute_force(walmart_stores, *REP, 50_000)
    theirs = nearest_stores(Store.objects.for_org(other_org), *REP, 50_000)
    assert {store.organization_id for store, _ in theirs} == {other_org.pk}
    assert len(theirs) == 10


def test_a_narrower_queryset_is_respected(org, walmart_stores):
    # Only the Missouri stores shared, say: the nearer Arkansas ones stay out.
    in_missouri = Store.objects.for_org(org).filter(state="MO")

    assert numbers(in_missouri, *REP, 50_000) == ["5261", "914"]  # Jane, Cassville


@pytest.mark.parametrize(
    ("lat", "lon"), [(float("nan"), 0), (0, float("inf")), (90.5, 0), (0, -181)]
)
def test_a_point_not_on_earth_is_refused(org, lat, lon):
    with pytest.raises(ValueError, match="Not a location on Earth"):
        nearest_stores(Store.objects.for_org(org), lat, lon, 1_000)
