"""crossing_hotspots / recommend_passages / run_telemetry on a 2.5-km toy fence."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, MultiLineString, Point

from camigeo import SchemaError, ValidationError
from camigeo.io.crs import geodesic_length_km
from camigeo.telemetry import (
    HOTSPOT_COUNTS,
    crossing_hotspots,
    recommend_passages,
    run_telemetry,
)

CRS = "EPSG:32633"
T0 = pd.Timestamp("2022-06-01T00:00:00Z")


def fence():
    # one feature: a 2.5-km fence along y = 0 from x = 0 (bins [0,1), [1,2), [2,2.5] km)
    # and a second part, 0.4 km, along x = 10 km
    return gpd.GeoDataFrame({"infra_id": ["F"], "infra_type": ["fence"], "name": ["toy"]},
                            geometry=[MultiLineString([[(0, 0), (2500, 0)],
                                                       [(10000, 0), (10000, 400)]])], crs=CRS)


def crossings(xs, animals=None):
    animals = animals or ["a"] * len(xs)
    return gpd.GeoDataFrame({"individual_id": animals, "barrier_id": "F",
                             "crossing_time": [T0] * len(xs)},
                            geometry=[Point(x, 0) for x in xs], crs=CRS)


def events(rows):
    """rows: (animal, x, y, eventTYPE)."""
    df = pd.DataFrame(rows, columns=["AnimalID", "easting", "northing", "eventTYPE"])
    df["cross"] = pd.array([0] * len(df), dtype="Int64")
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.easting, df.northing), crs=CRS)


def test_bins_and_crossing_counts():
    hs = crossing_hotspots(crossings([500, 1500, 1600, 2400, 10000]), fence())
    assert hs["part"].tolist() == [0, 0, 0, 1]
    assert hs["bin"].tolist() == [0, 1, 2, 0]
    np.testing.assert_allclose(hs["from_km"], [0, 1, 2, 0])
    np.testing.assert_allclose(hs["to_km"], [1, 2, 2.5, 0.4])
    np.testing.assert_allclose(hs.geometry.length, [1000, 1000, 500, 400])
    assert hs["n_crossings"].tolist() == [1, 2, 1, 1]
    assert hs["n_encounters"].sum() == 0
    assert (hs["barrier_id"] == "F").all() and (hs["barrier_type"] == "fence").all()
    assert set(HOTSPOT_COUNTS) <= set(hs.columns)


def test_events_snap_to_nearest_bin_and_passages():
    ev = events([("a", 300, 60, "Bounce"), ("b", 700, -40, "Bounce"), ("a", 800, 10, "Trace"),
                 ("a", 1200, 50, "Quick_Cross"), ("c", 1700, 30, "Bounce"),
                 ("a", 2200, -80, "Trapped"), ("a", 2300, 80, "Average_Movement"),
                 ("b", 10050, 100, "Back_n_forth")])
    hs = crossing_hotspots([ev, crossings([1500, 1600])], fence())
    assert hs["n_bounce"].tolist() == [2, 1, 0, 0]
    assert hs["n_trace"].tolist() == [1, 0, 0, 0]
    assert hs["n_trapped"].tolist() == [0, 0, 1, 0]
    assert hs["n_back_n_forth"].tolist() == [0, 0, 0, 1]
    assert hs["n_not_crossed"].tolist() == [3, 1, 1, 1]
    assert hs["n_quick_cross"].tolist() == [0, 1, 0, 0]
    assert hs["n_crossings"].tolist() == [0, 2, 0, 0]
    assert hs["n_encounters"].tolist() == [3, 2, 2, 1]
    assert hs["n_animals"].tolist() == [2, 2, 1, 1]  # bin 1: a (QC, crossings) and c
    top = recommend_passages(hs, top_k=3)
    # bin 0 (3 not crossed) first; then three bins with 1: bin 1 has 2 animals but 3
    # crossings, the others 1 animal; ties on animals -> fewer crossings first
    assert top["rank"].tolist() == [1, 2, 3]
    assert top[["part", "bin"]].values.tolist() == [[0, 0], [0, 1], [0, 2]]
    assert top["n_crossed"].tolist() == [0, 3, 0]
    np.testing.assert_allclose(top["crossing_share"], [0, 3 / 4, 0])
    only_failing = recommend_passages(hs, top_k=5, max_crossing_share=0.5)
    assert only_failing[["part", "bin"]].values.tolist() == [[0, 0], [0, 2], [1, 0]]
    direct = recommend_passages(ev, fence(), top_k=1)
    assert direct[["part", "bin", "n_not_crossed"]].values.tolist() == [[0, 0, 3]]


def test_bin_km_geographic_and_errors():
    hs = crossing_hotspots(crossings([500]), fence(), bin_km=0.5)
    assert len(hs) == 5 + 1
    geo = crossing_hotspots(crossings([500]).to_crs(4326), fence().to_crs(4326))
    assert geo.crs.to_epsg() == 4326 and len(geo) == 4
    # bins are cut in a local azimuthal equidistant CRS: part ends at the geodesic length
    # (the toy's UTM coordinates lie far outside zone 33, so they are not 2.5 km apart)
    parts = fence().to_crs(4326).geometry.explode(index_parts=False)
    np.testing.assert_allclose(geo["to_km"], [1, 2, *geodesic_length_km(parts)], rtol=1e-3)
    assert geo["n_crossings"].tolist() == [1, 0, 0, 0]
    with pytest.raises(ValidationError, match="bin_km must be a positive"):
        crossing_hotspots(crossings([500]), fence(), bin_km=0)
    with pytest.raises(SchemaError, match="eventTYPE.*crossing_time"):
        crossing_hotspots(pd.DataFrame({"x": [1]}), fence())
    with pytest.raises(ValidationError, match="barriers are needed"):
        recommend_passages(crossings([500]))
    with pytest.raises(ValidationError, match="top_k must be a positive integer"):
        recommend_passages(crossings([500]), fence(), top_k=0)


def test_run_telemetry_layers_from_lonlat():
    # two animals walk north from y = -2 km to +2 km and back to -0.4 km, 200 m per 2 h,
    # across a fence along y = 0; given in EPSG:4326 as read_movebank returns them. With
    # d = 150 m only the fixes at y = 0 are encounters: per animal two single-fix events
    # (t = 20 h and 60 h: burst ids _0 and _38), both Quick_Cross with one crossing.
    fence_m = gpd.GeoDataFrame({"infra_id": ["F"], "infra_type": ["fence"],
                                "name": ["toy"], "fence_class": ["low"]},
                               geometry=[LineString([(-5000, 0), (5000, 0)])], crs=CRS)
    rows = []
    for a, x in (("a", -1000.0), ("b", 1000.0)):
        ys = list(np.arange(-2000, 2001, 200)) + list(np.arange(1800, -401, -200))
        rows += [(a, i, x, y) for i, y in enumerate(ys)]
    tr = gpd.GeoDataFrame({"individual_id": [r[0] for r in rows],
                           "timestamp": [T0 + pd.Timedelta(hours=2 * r[1]) for r in rows]},
                          geometry=[Point(r[2], r[3]) for r in rows], crs=CRS)
    layers = run_telemetry(tr.to_crs(4326), fence_m.to_crs(4326), d=150)
    assert set(layers) == {"barrier_events", "barrier_ranking", "passage_hotspots"}
    ev = layers["barrier_events"]
    assert ev.crs.to_epsg() == 4326
    assert ev["burstID"].tolist() == ["a_0", "a_38", "b_0", "b_38"]
    assert ev["eventTYPE"].tolist() == ["Quick_Cross"] * 4
    assert ev["cross"].tolist() == [1] * 4
    rank = layers["barrier_ranking"]
    assert rank[["total_enc", "unique_ind", "Quick_Cross"]].values.tolist() == [[4, 2, 4]]
    assert rank["index_raw"].tolist() == [0.0] and rank["index"].isna().all()
    assert rank[["n_encounters", "n_crossed", "permeability"]].values.tolist() == [[4, 4, 1]]
    # 4 < min_encounters (5): no class suggested; the input's fence_class is kept
    assert rank["fence_class_telemetry"].tolist() == ["unknown"]
    assert rank["fence_class"].tolist() == ["low"]
    assert len(layers["passage_hotspots"]) == 0  # nobody failed to cross
    assert list(layers["passage_hotspots"].columns)[:2] == ["rank", "barrier_id"]


def test_bins_equal_shapely_substring_on_wiggly_line():
    from shapely import ops

    rng = np.random.default_rng(3)
    xy = np.cumsum(rng.uniform(-300, 600, (60, 2)), axis=0)
    xy[10] = xy[9]  # a repeated vertex
    line = LineString(xy)
    bar = gpd.GeoDataFrame({"infra_id": ["W"]}, geometry=[line], crs=CRS)
    hs = crossing_hotspots(crossings([]), bar, bin_km=0.7)
    n = int(np.ceil(line.length / 700))
    assert len(hs) == n
    for k, geom in enumerate(hs.geometry):
        ref = ops.substring(line, 700 * k, min(700 * (k + 1), line.length))
        assert geom.length == pytest.approx(ref.length, abs=1e-6)
        assert geom.hausdorff_distance(ref) < 1e-6
