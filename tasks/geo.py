"""Distances between a field rep and stores, for the store check-in.

The browser gives the rep's location; `nearest_stores` finds the stores the rep
may see within a radius. A bounding box narrows the stores in SQL (on the
latitude/longitude index) and exact distances are computed in Python on the
few candidates: no database extension needed, and SQLite in tests behaves like
PostgreSQL in production.

Distances are on a sphere of the mean Earth radius (haversine). Against the
WGS84 ellipsoid that is off by at most about 0.5%, a few metres at check-in
distances: far below what a phone's location is good for.
"""

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import Store

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)

# Store coordinates are stored with 6 decimals (about 0.1 m).
_COORDINATE_STEP = Decimal("0.000001")


def position(params):
    """The (lat, lon) a form or query gives, each None unless it is a number in range."""
    return _coordinate(params.get("lat"), -90, 90), _coordinate(params.get("lon"), -180, 180)


def _coordinate(value, low, high):
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if low <= number <= high else None


def distance_m(lat1, lon1, lat2, lon2) -> float:
    """Great-circle (haversine) distance in metres; accepts Decimal or float."""
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    d_phi = phi2 - phi1
    d_lambda = math.radians(float(lon2) - float(lon1))
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    # Rounding can push `a` a hair above 1 for antipodal points.
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


def bounding_box(lat, lon, radius_m) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) enclosing the circle.

    Near a pole (the circle reaching it) every longitude is in; across the
    antimeridian the box is clamped to [-180, 180], so it misses the far side:
    fine for US stores, and nothing crashes.
    """
    lat, lon, radius_m = float(lat), float(lon), float(radius_m)
    if radius_m < 0:
        raise ValueError("The radius cannot be negative.")
    angle = radius_m / EARTH_RADIUS_M
    d_lat = math.degrees(angle)
    min_lat, max_lat = max(lat - d_lat, -90.0), min(lat + d_lat, 90.0)
    if min_lat <= -90.0 or max_lat >= 90.0:
        return min_lat, max_lat, -180.0, 180.0
    # The circle's widest longitude is not at `lat` but nearer the pole: the
    # tangent meridians touch it where sin(d_lon) = sin(angle) / cos(lat).
    # Short of a pole the ratio is under 1; min() only guards float rounding.
    d_lon = math.degrees(math.asin(min(1.0, math.sin(angle) / math.cos(math.radians(lat)))))
    return min_lat, max_lat, max(lon - d_lon, -180.0), min(lon + d_lon, 180.0)


def nearest_stores(stores, lat, lon, radius_m, limit=10) -> list[tuple["Store", float]]:
    """The stores within `radius_m` metres of (lat, lon), nearest first: [(store, metres)].

    `stores` is a Store queryset already restricted to what the user may see;
    this only narrows it further. At most `limit` stores; equally distant ones
    in id order, so the answer is the same every time. Stores without
    coordinates are ignored. Raises ValueError for a point that is not on Earth
    (latitude outside [-90, 90], longitude outside [-180, 180], not a number).
    """
    lat, lon = float(lat), float(lon)
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):  # also rejects NaN
        raise ValueError(f"Not a location on Earth: {lat}, {lon}.")
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, radius_m)
    # Widen to the stored 6 decimals, outward: a store exactly on the circle due
    # north must not fall out of the box to float rounding.
    candidates = stores.filter(
        latitude__gte=_round(min_lat, ROUND_FLOOR),
        latitude__lte=_round(max_lat, ROUND_CEILING),
        longitude__gte=_round(min_lon, ROUND_FLOOR),
        longitude__lte=_round(max_lon, ROUND_CEILING),
    ).order_by()  # sorted below, by distance
    found = []
    for store in candidates:
        distance = distance_m(lat, lon, store.latitude, store.longitude)
        if distance <= radius_m:
            found.append((store, distance))
    found.sort(key=lambda pair: (pair[1], pair[0].pk))
    return found[:limit]


def _round(degrees, rounding):
    return Decimal(degrees).quantize(_COORDINATE_STEP, rounding=rounding)
