"""Area coordinates the engine ships: approximate centroids of the 32 London boroughs and the City.

Participants carry only a coarse area key (never an address). An area that is not in this table
is "unknown": the location factor then falls back to online/neutral (see factors.location_value).
"""

from __future__ import annotations

import math

import numpy as np

# key -> (latitude, longitude, inner_london)
AREAS: dict[str, tuple[float, float, bool]] = {
    "barking_and_dagenham": (51.5465, 0.1294, False),
    "barnet": (51.6252, -0.1517, False),
    "bexley": (51.4549, 0.1505, False),
    "brent": (51.5588, -0.2817, False),
    "bromley": (51.3727, 0.0529, False),
    "camden": (51.5290, -0.1255, True),
    "city_of_london": (51.5155, -0.0922, True),
    "croydon": (51.3714, -0.0977, False),
    "ealing": (51.5130, -0.3089, False),
    "enfield": (51.6523, -0.0807, False),
    "greenwich": (51.4892, 0.0648, True),
    "hackney": (51.5450, -0.0553, True),
    "hammersmith_and_fulham": (51.4927, -0.2339, True),
    "haringey": (51.5906, -0.1110, False),
    "harrow": (51.5898, -0.3346, False),
    "havering": (51.5779, 0.2121, False),
    "hillingdon": (51.5441, -0.4760, False),
    "hounslow": (51.4609, -0.3731, False),
    "islington": (51.5465, -0.1058, True),
    "kensington_and_chelsea": (51.5020, -0.1947, True),
    "kingston_upon_thames": (51.3860, -0.2870, False),
    "lambeth": (51.4607, -0.1163, True),
    "lewisham": (51.4452, -0.0209, True),
    "merton": (51.4098, -0.2108, False),
    "newham": (51.5255, 0.0352, False),
    "redbridge": (51.5590, 0.0741, False),
    "richmond_upon_thames": (51.4479, -0.3260, False),
    "southwark": (51.4734, -0.0755, True),
    "sutton": (51.3618, -0.1945, False),
    "tower_hamlets": (51.5150, -0.0350, True),
    "waltham_forest": (51.5908, -0.0134, False),
    "wandsworth": (51.4567, -0.1910, True),
    "westminster": (51.5120, -0.1520, True),
}

AREA_KEYS: tuple[str, ...] = tuple(sorted(AREAS))
AREA_INDEX: dict[str, int] = {k: i for i, k in enumerate(AREA_KEYS)}
UNKNOWN_AREA = -1

_EARTH_RADIUS_KM = 6371.0088


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def _distance_table() -> np.ndarray:
    n = len(AREA_KEYS)
    table = np.zeros((n, n), dtype=np.float64)
    for i, a in enumerate(AREA_KEYS):
        for j, b in enumerate(AREA_KEYS):
            la, oa, _ = AREAS[a]
            lb, ob, _ = AREAS[b]
            table[i, j] = _haversine_km(la, oa, lb, ob)
    table.setflags(write=False)
    return table


# Pairwise great-circle distances in km; the single-pair and vectorised scorers both read this
# table, so they agree exactly.
DISTANCE_KM: np.ndarray = _distance_table()


def area_index(area: str | None) -> int:
    """Index into DISTANCE_KM, or UNKNOWN_AREA."""
    if area is None:
        return UNKNOWN_AREA
    return AREA_INDEX.get(area, UNKNOWN_AREA)


def distance_km(area_a: str | None, area_b: str | None) -> float | None:
    """Distance between two area centroids, or None when either area is unknown."""
    ia, ib = area_index(area_a), area_index(area_b)
    if ia == UNKNOWN_AREA or ib == UNKNOWN_AREA:
        return None
    return float(DISTANCE_KM[ia, ib])
