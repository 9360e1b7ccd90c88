"""find_crossings / crossing_summary on hand-made steps."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point

from camigeo import CamigeoWarning, CRSError, GeometryError, SchemaError
from camigeo.telemetry import crossing_summary, find_crossings

CRS = "EPSG:32633"
T0 = pd.Timestamp("2022-06-01T00:00:00Z")


def fixes(rows):
    """rows: (animal, hours, x, y)."""
    return gpd.GeoDataFrame(
        {"individual_id": [r[0] for r in rows],
         "timestamp": [T0 + pd.Timedelta(hours=r[1]) for r in rows]},
        geometry=[Point(r[2], r[3]) for r in rows], crs=CRS)


def barriers():
    return gpd.GeoDataFrame(
        {"infra_id": ["rail", "fence"], "infra_type": ["railway", "fence"],
         "name": ["Shalkar-Beyneu (toy)", "pasture fence"]},
        geometry=[LineString([(0, -1000), (0, 1000)]), LineString([(1000, -1000), (1000, 1000)])],
        crs=CRS)


def test_one_crossing_time_interpolated():
    # step (-100,0) at 0 h -> (300,0) at 4 h crosses x=0 after 100 of 400 m: 1 h
    out = find_crossings(fixes([("a", 0, -100, 0), ("a", 4, 300, 0)]), barriers())
    assert len(out) == 1
    row = out.iloc[0]
    assert row["barrier_id"] == "rail" and row["barrier_type"] == "railway"
    assert row["barrier_name"] == "Shalkar-Beyneu (toy)"
    assert row["crossing_time"] == T0 + pd.Timedelta(hours=1)
    assert row["time_before"] == T0 and row["time_after"] == T0 + pd.Timedelta(hours=4)
    assert (row.geometry.x, row.geometry.y) == (0, 0)
    assert row["step"] == 0 and row["step_length_m"] == 400


def test_step_over_two_barriers_and_two_animals():
    # a: one step from -500 to 1500 over both lines (t = 0.25*2h and 0.75*2h);
    # b: a step that stays between the lines, then one back over x = 0
    rows = [("a", 0, -500, 0), ("a", 2, 1500, 0),
            ("b", 0, 200, 50), ("b", 1, 800, 50), ("b", 3, -200, 50)]
    out = find_crossings(fixes(rows), barriers())
    assert out["individual_id"].tolist() == ["a", "a", "b"]
    assert out["barrier_id"].tolist() == ["rail", "fence", "rail"]
    assert out["crossing_time"].tolist() == [T0 + pd.Timedelta(minutes=30),
                                             T0 + pd.Timedelta(minutes=90),
                                             T0 + pd.Timedelta(hours=1 + 2 * 0.8)]
    assert out["step"].tolist() == [0, 0, 1]
    per_bar = crossing_summary(out)
    assert per_bar[["barrier_id", "n_crossings", "n_animals"]].values.tolist() == [
        ["rail", 2, 2], ["fence", 1, 1]]
    per_animal = crossing_summary(out, by="animal")
    assert per_animal[["individual_id", "n_crossings", "n_barriers"]].values.tolist() == [
        ["a", 2, 2], ["b", 1, 1]]


def test_no_crossing_and_zero_length_step():
    # standing still on the line is not a crossing; neither is staying on one side
    rows = [("a", 0, 0, 0), ("a", 1, 0, 0), ("a", 2, -50, 0)]
    out = find_crossings(fixes(rows), barriers())
    # only the step (0,0)->(-50,0) touches the line, at its start
    assert out["step"].tolist() == [1]
    assert len(find_crossings(fixes([("a", 0, -50, 0), ("a", 1, -60, 0)]), barriers())) == 0


def test_shared_vertex_counts_once():
    bar = gpd.GeoDataFrame({"infra_id": ["s", "n"]},
                           geometry=[LineString([(0, -1000), (0, 0)]),
                                     LineString([(0, 0), (0, 1000)])], crs=CRS)
    out = find_crossings(fixes([("a", 0, -100, 0), ("a", 1, 100, 0)]), bar)
    assert out["barrier_id"].tolist() == ["s"]  # attributed to the first feature


def test_index_used_when_no_id_column():
    bar = barriers().drop(columns=["infra_id", "infra_type", "name"]).set_index(
        pd.Index([10, 20]))
    out = find_crossings(fixes([("a", 0, -100, 0), ("a", 4, 300, 0)]), bar)
    assert out["barrier_id"].tolist() == [10]
    assert out["barrier_type"].isna().all()


def test_geographic_crs_allowed_but_must_match():
    tr = fixes([("a", 0, -100, 0), ("a", 4, 300, 0)])
    out = find_crossings(tr.to_crs(4326), barriers().to_crs(4326))
    assert len(out) == 1
    # step length in metres, geodesic (pyproj.Geod directly), not in degrees. In UTM the
    # step is 400 m; at easting ~0 (500 km west of the central meridian) the UTM scale
    # factor is 0.9996 * (1 + 500²/(2 * 6371²)) = 1.0027, so the geodesic is ~398.9 m
    from pyproj import Geod

    ll = tr.to_crs(4326)
    geod_m = Geod(ellps="WGS84").inv(ll.geometry.x[0], ll.geometry.y[0],
                                     ll.geometry.x[1], ll.geometry.y[1])[2]
    assert out["step_length_m"].iloc[0] == pytest.approx(geod_m, rel=1e-9)
    assert out["step_length_m"].iloc[0] == pytest.approx(400.0 / 1.0027, rel=2e-4)
    proj = find_crossings(tr, barriers())
    assert proj["step_length_m"].iloc[0] == pytest.approx(400.0, rel=1e-12)
    with pytest.raises(CRSError, match="must share one CRS"):
        find_crossings(tr, barriers().to_crs(4326))


def test_bad_barriers_and_summary_input():
    tr = fixes([("a", 0, -100, 0), ("a", 4, 300, 0)])
    poly = gpd.GeoDataFrame(geometry=[Point(0, 0).buffer(10)], crs=CRS)
    with pytest.raises(GeometryError, match="LineString or MultiLineString.*Polygon"):
        find_crossings(tr, poly)
    dup = barriers()
    dup["infra_id"] = "x"
    with pytest.raises(SchemaError, match="ids must be unique"):
        find_crossings(tr, dup)
    with pytest.raises(SchemaError, match="by must be 'barrier' or 'animal'"):
        crossing_summary(find_crossings(tr, barriers()), by="year")
    with pytest.raises(SchemaError, match="find_crossings"):
        crossing_summary(tr)


def test_long_feature_is_chunked_without_changing_answers():
    # a 100-vertex zigzag fence (cut into chunks of 32 segments internally); a walk along
    # y = 5 crosses each of its 99 segments once, also at the chunk joints (vertices 32,
    # 64, 96 lie at y = 0 / 10, the walk at y = 5 passes between them)
    from camigeo.telemetry._common import BarrierIndex

    xs = np.arange(100) * 10.0
    ys = np.where(np.arange(100) % 2 == 0, 0.0, 10.0)
    zig = LineString(np.column_stack([xs, ys]))
    bar = gpd.GeoDataFrame({"infra_id": ["Z"]}, geometry=[zig], crs=CRS)
    out = find_crossings(fixes([("a", 0, -5, 5), ("a", 1, 1000, 5)]), bar)
    assert len(out) == 99
    np.testing.assert_allclose(np.sort(out.geometry.x), xs[:-1] + 5)
    # a step through the chunk joint vertex (320, 0) counts once
    out = find_crossings(fixes([("a", 0, 320, -5), ("a", 1, 320, 5)]), bar)
    assert len(out) == 1 and (out.geometry.x.iloc[0], out.geometry.y.iloc[0]) == (320, 0)
    idx = BarrierIndex(np.array([zig]))
    assert len(idx.chunks) == 4
    assert sum(c.length for c in idx.chunks) == pytest.approx(zig.length)
    # within(): identical to testing GEOS buffer polygons
    rng = np.random.default_rng(0)
    pts = shapely.points(rng.uniform(-50, 1050, 3000), rng.uniform(-60, 70, 3000))
    for q in (5, 30):
        p, _ = idx.within(pts, 40, quad_segs=q)
        ref = np.flatnonzero(shapely.intersects(pts, zig.buffer(40, quad_segs=q)))
        np.testing.assert_array_equal(np.sort(p), ref)


def test_grid_prefilter_never_drops_a_near_box():
    from camigeo.telemetry._common import BarrierIndex

    rng = np.random.default_rng(5)
    lines = [LineString(np.cumsum(rng.uniform(-500, 500, (40, 2)), axis=0) + rng.uniform(
        -2e4, 2e4, 2)) for _ in range(30)]
    idx = BarrierIndex(np.array(lines, dtype=object))
    x, y = rng.uniform(-3e4, 3e4, 20000), rng.uniform(-3e4, 3e4, 20000)
    w, h = rng.exponential(300, 20000), rng.exponential(300, 20000)
    boxes = shapely.box(x, y, x + w, y + h)
    for margin in (0.0, 150.0):
        keep = idx.maybe_near(x, y, x + w, y + h, margin)
        truth = np.zeros(len(x), dtype=bool)  # exact: a barrier within margin of the box
        truth[idx.tree.query(boxes, predicate="dwithin", distance=margin + 1e-9)[0]] = True
        assert truth.any() and keep[truth].all()
        assert keep.mean() < 0.9  # and it does filter


def _brute_force_crossings(tr, bar):
    """Loop over steps and features (slow but obvious): distinct points per step."""
    out = []
    for _, g in tr.groupby("individual_id", sort=True):
        g = g.sort_values("timestamp")
        pts = list(g.geometry)
        for k in range(len(pts) - 1):
            step = LineString([pts[k], pts[k + 1]])
            if step.length == 0:
                continue
            seen = set()
            for geom in bar.geometry:
                inter = step.intersection(geom)
                for xy in shapely.get_coordinates(inter):
                    seen.add((round(xy[0], 6), round(xy[1], 6)))
            out += [(g["individual_id"].iloc[0], k, *p) for p in seen]
    return sorted(out)


@pytest.mark.parametrize("seed", range(6))
def test_find_crossings_matches_brute_force_loop(seed):
    rng = np.random.default_rng(seed)
    bar = gpd.GeoDataFrame(
        {"infra_id": [f"b{i}" for i in range(5)]},
        geometry=[LineString(rng.uniform(0, 5000, (rng.integers(2, 40), 2))) for _ in range(5)],
        crs=CRS)
    rows = []
    for a in "xyz":
        xy = np.cumsum(rng.normal(0, 400, (60, 2)), axis=0) + 2500
        rows += [(a, h, *p) for h, p in enumerate(xy)]
    tr = fixes(rows).sample(frac=1, random_state=seed)  # shuffled: must not matter
    with pytest.warns(CamigeoWarning, match="not sorted"):
        out = find_crossings(tr, bar)
    got = sorted(zip(out["individual_id"], out["step"], out.geometry.x.round(6),
                     out.geometry.y.round(6), strict=True))
    assert [tuple(r) for r in got] == _brute_force_crossings(tr, bar)
    assert len(got) > 0
    # crossing times lie within their step
    assert ((out["crossing_time"] >= out["time_before"])
            & (out["crossing_time"] <= out["time_after"])).all()
