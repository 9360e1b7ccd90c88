"""Tests for camigeo.conflict on hand-computable synthetic geometries.

The synthetic layers live in an azimuthal equidistant CRS centred at 45 N, 70 E: a line
through the centre along an axis has its exact geodesic length there, and areas of a
100 km square are true to ~1e-5, so km and km² can be worked out by hand.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import CRS, Geod
from shapely.geometry import LineString, Polygon, box

from camigeo import CRSError, GeometryError, SchemaError
from camigeo.barriers.conflict import (
    SCORE_COLUMNS,
    conflict_grid,
    default_weights,
    feature_weights,
    score_conflict,
    summarize_conflict,
)

AEQD = CRS.from_proj4("+proj=aeqd +lat_0=45 +lon_0=70 +datum=WGS84 +units=m +no_defs")
KM = 1000.0


def _ptcrs(crs=AEQD):
    return gpd.GeoDataFrame({"ptcr_id": [1], "name": ["Square"]},
                            geometry=[box(-50 * KM, -50 * KM, 50 * KM, 50 * KM)], crs=crs)


def _ranges():
    # species A: two overlapping polygons whose union covers the west half of the square
    # (x < 0); species B covers all of it.
    return gpd.GeoDataFrame(
        {"sci_name": ["Equus hemionus", "Equus hemionus", "Saiga tatarica"],
         "population": ["a", "b", ""]},
        geometry=[box(-60 * KM, -60 * KM, 0, 60 * KM), box(-30 * KM, -60 * KM, 0, 60 * KM),
                  box(-70 * KM, -70 * KM, 70 * KM, 70 * KM)],
        crs=AEQD)


def _infra():
    return gpd.GeoDataFrame(
        {"infra_id": ["r1", "d1"], "infra_type": ["railway", "road"], "name": ["R", "D"],
         "status": ["existing", "existing"], "fenced": [True, False],
         "fence_class": ["unknown", None]},
        geometry=[LineString([(-80 * KM, 0), (80 * KM, 0)]),
                  LineString([(20 * KM, -80 * KM), (20 * KM, 80 * KM)])],
        crs=AEQD)


@pytest.fixture(scope="module")
def scores():
    return score_conflict(_ptcrs(), _ranges(), _infra())


def _row(df, sp, t):
    r = df[(df["sci_name"] == sp) & (df["infra_type"] == t)]
    assert len(r) == 1
    return r.iloc[0]


def test_default_weight_table_matches_domain_methods():
    w = default_weights().set_index(["infra_type", "fenced", "fence_class"], drop=False)
    # §4.4 / brief: fenced railway 1.0, unfenced railway 0.5, road 0.5, border fence
    # impermeable 1.0, low 0.8, medium 0.5, high 0.3, open 0, buried pipeline 0, canal 1.
    assert w.loc[("railway", True, "unknown"), "weight"] == 1.0
    assert w.loc[("railway", False, None), "weight"] == 0.5
    assert w.loc[("road", False, None), "weight"] == 0.5
    for fc, val in [("impermeable", 1.0), ("low", 0.8), ("medium", 0.5), ("high", 0.3),
                    ("open", 0.0), ("unknown", 0.5)]:
        assert w.loc[("border_fence", True, fc), "weight"] == pytest.approx(val)
    assert w.loc[("fence", True, "unknown"), "weight"] == pytest.approx(0.8)
    assert w.loc[("pipeline", False, None), "weight"] == 0.0
    assert w.loc[("canal", False, None), "weight"] == 1.0
    # fenced railway with a low fence: 1 - 0.5 * 0.2
    assert w.loc[("railway", True, "low"), "weight"] == pytest.approx(0.9)
    assert w.loc[("railway", True, None), "effect_zone_m"] == 2000
    assert w.loc[("railway", False, None), "effect_zone_m"] == 1000


def test_feature_weights_overrides_most_specific_wins():
    df = pd.DataFrame({"infra_type": ["railway", "railway", "fence"],
                       "fenced": [True, False, True], "fence_class": ["low", None, "high"]})
    out = feature_weights(df, weights={"railway": 0.6, ("railway", True, "low"): 0.95},
                          effect_zones_m={"fence": 50})
    assert out["weight"].tolist() == [0.95, 0.6, pytest.approx(0.3)]
    assert out["effect_zone_m"].tolist() == [2000, 1000, 50]


def test_hand_computed_lengths_densities_and_no_double_count(scores):
    assert list(scores.columns) == list(SCORE_COLUMNS)
    assert len(scores) == 4  # 2 species x 2 types
    a_rail = _row(scores, "Equus hemionus", "railway")
    # union of the two overlapping polygons = west half: 50 km of railway, not 80 km
    assert a_rail["length_km"] == pytest.approx(50.0, rel=1e-4)
    assert a_rail["area_km2"] == pytest.approx(5000.0, rel=1e-3)
    assert a_rail["density_km_per_1000km2"] == pytest.approx(10.0, rel=1e-3)
    assert a_rail["weighted_length_km"] == pytest.approx(50.0, rel=1e-4)
    assert _row(scores, "Equus hemionus", "road")["length_km"] == 0.0
    b_road = _row(scores, "Saiga tatarica", "road")
    assert b_road["length_km"] == pytest.approx(100.0, rel=1e-4)
    assert b_road["weighted_length_km"] == pytest.approx(50.0, rel=1e-4)
    assert b_road["area_km2"] == pytest.approx(10000.0, rel=1e-3)
    assert b_road["region_length_km"] == pytest.approx(100.0, rel=1e-4)
    assert a_rail["region_length_km"] == pytest.approx(100.0, rel=1e-4)
    assert a_rail["n_features"] == 1


def test_effect_zones_hand_computed(scores):
    # fenced railway: 2 km either side -> 4 km wide strip; west half 50 km long
    a_rail = _row(scores, "Equus hemionus", "railway")
    assert a_rail["effect_zone_km2"] == pytest.approx(200.0, rel=2e-3)
    assert a_rail["effect_zone_share"] == pytest.approx(0.04, rel=2e-3)
    b_road = _row(scores, "Saiga tatarica", "road")
    assert b_road["effect_zone_km2"] == pytest.approx(400.0, rel=2e-3)
    assert _row(scores, "Equus hemionus", "road")["effect_zone_km2"] == 0.0


def test_effect_zone_override_and_skip():
    s = score_conflict(_ptcrs(), _ranges(), _infra(), effect_zones_m={"railway": 500})
    assert _row(s, "Saiga tatarica", "railway")["effect_zone_km2"] == pytest.approx(
        100.0, rel=2e-3)
    s2 = score_conflict(_ptcrs(), _ranges(), _infra(), effect_zones_m=False)
    assert s2["effect_zone_km2"].isna().all()
    assert _row(s2, "Saiga tatarica", "railway")["length_km"] == pytest.approx(100, rel=1e-4)


def test_summary_per_ptcr_and_species(scores):
    summ = summarize_conflict(scores)
    assert len(summ) == 1
    r = summ.iloc[0]
    # A: 1000*50/5000 = 10 ; B: 1000*(100*1 + 100*0.5)/10000 = 15
    assert r["conflict_score"] == pytest.approx(25.0, rel=1e-3)
    assert r["length_km_railway"] == pytest.approx(100.0, rel=1e-4)
    assert r["length_km_road"] == pytest.approx(100.0, rel=1e-4)
    assert r["weighted_length_km"] == pytest.approx(150.0, rel=1e-4)
    assert r["n_species"] == 2 and r["species_affected"] == 2 and r["rank"] == 1
    weighted = summarize_conflict(scores, species_weights={"Saiga tatarica": 2.0})
    assert weighted.iloc[0]["conflict_score"] == pytest.approx(40.0, rel=1e-3)
    sp = summarize_conflict(scores, by="species").set_index("sci_name")
    assert sp.loc["Saiga tatarica", "weighted_density_km_per_1000km2"] == pytest.approx(
        15.0, rel=1e-3)
    assert sp.loc["Saiga tatarica", "rank"] == 1
    assert sp.loc["Equus hemionus", "length_km_railway"] == pytest.approx(50.0, rel=1e-4)


def test_ranking_two_regions():
    ptcrs = gpd.GeoDataFrame({"ptcr_id": [1, 2], "name": ["Square", "East"]},
                             geometry=[box(-50 * KM, -50 * KM, 50 * KM, 50 * KM),
                                       box(100 * KM, -50 * KM, 200 * KM, 50 * KM)], crs=AEQD)
    ranges = gpd.GeoDataFrame({"sci_name": ["Saiga tatarica"]},
                              geometry=[box(-70 * KM, -70 * KM, 300 * KM, 70 * KM)], crs=AEQD)
    infra = _infra()
    summ = summarize_conflict(score_conflict(ptcrs, ranges, infra))
    assert summ["ptcr_id"].tolist() == [1, 2]  # region 2 has no lines
    assert summ["rank"].tolist() == [1, 2]
    assert summ.iloc[1]["conflict_score"] == 0.0
    assert summ.iloc[1]["species_affected"] == 0


def test_status_filter_drops_planned():
    infra = _infra()
    infra.loc[1, "status"] = "planned"
    s = score_conflict(_ptcrs(), _ranges(), infra)
    assert set(s["infra_type"]) == {"railway"}
    s_all = score_conflict(_ptcrs(), _ranges(), infra, status=None)
    assert set(s_all["infra_type"]) == {"railway", "road"}


def test_geodesic_length_error_below_half_percent_vs_pyproj_geod():
    # A long multi-vertex line in lon/lat through a 10 x 5 degree region.
    region = gpd.GeoDataFrame({"ptcr_id": [7]}, geometry=[box(60, 40, 70, 45)], crs=4326)
    rng = gpd.GeoDataFrame({"sci_name": ["X y"]}, geometry=[box(50, 30, 80, 50)], crs=4326)
    line = LineString([(55, 42), (62, 44.5), (66, 41.2), (75, 43.5)])
    infra = gpd.GeoDataFrame({"infra_type": ["railway"]}, geometry=[line], crs=4326)
    s = score_conflict(region, rng, infra, status=None, effect_zones_m=False)
    clipped = line.intersection(box(60, 40, 70, 45))
    expected = Geod(ellps="WGS84").geometry_length(clipped) / 1000
    assert s.iloc[0]["length_km"] == pytest.approx(expected, rel=5e-3)
    assert s.iloc[0]["region_length_km"] == pytest.approx(expected, rel=5e-3)


def test_empty_intersection_gives_zero_rows_with_columns():
    far = gpd.GeoDataFrame({"sci_name": ["Saiga tatarica"]},
                           geometry=[box(500 * KM, 500 * KM, 600 * KM, 600 * KM)], crs=AEQD)
    s = score_conflict(_ptcrs(), far, _infra())
    assert len(s) == 0 and list(s.columns) == list(SCORE_COLUMNS)
    summ = summarize_conflict(s)
    assert len(summ) == 0 and "conflict_score" in summ.columns


def test_ranges_without_crs_raise():
    r = _ranges().set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="ranges has no CRS"):
        score_conflict(_ptcrs(), r, _infra())


def test_lines_given_as_polygons_raise():
    infra = _infra()
    infra = infra.set_geometry(infra.buffer(10.0))
    with pytest.raises(GeometryError, match=r"infrastructure has geometry type\(s\) "
                                            r"\['Polygon'\]; expected .*LineString"):
        score_conflict(_ptcrs(), _ranges(), infra)


def test_unknown_infra_type_raises():
    infra = _infra()
    infra.loc[1, "infra_type"] = "motorway"
    with pytest.raises(SchemaError, match=r"unknown infra_type value\(s\) \['motorway'\]"):
        score_conflict(_ptcrs(), _ranges(), infra)


def test_weights_for_unknown_types_raise():
    with pytest.raises(SchemaError, match=r"weights has keys for unknown .*'tram'"):
        score_conflict(_ptcrs(), _ranges(), _infra(), weights={"tram": 0.4})
    with pytest.raises(SchemaError, match=r"weights\['road'\] = 2"):
        score_conflict(_ptcrs(), _ranges(), _infra(), weights={"road": 2})


def test_missing_ptcr_id_column_raises():
    p = _ptcrs().rename(columns={"ptcr_id": "id"})
    with pytest.raises(SchemaError, match="ptcrs has no 'ptcr_id' column"):
        score_conflict(p, _ranges(), _infra())


def test_inputs_not_modified_and_mixed_crs(scores):
    p, r, i = _ptcrs(), _ranges().to_crs(4326), _infra().to_crs(3857)
    before = i.copy()
    s = score_conflict(p, r, i)
    pd.testing.assert_frame_equal(pd.DataFrame(i.drop(columns="geometry")),
                                  pd.DataFrame(before.drop(columns="geometry")))
    assert i.geometry.geom_equals(before.geometry).all()
    np.testing.assert_allclose(s["length_km"], scores["length_km"], rtol=2e-3, atol=1e-6)


def test_chunking_gives_same_sums():
    rng = np.random.default_rng(1)
    xs = rng.uniform(-90, 90, (300, 2)) * KM
    ys = rng.uniform(-90, 90, (300, 2)) * KM
    lines = [LineString([(xs[i, 0], ys[i, 0]), (xs[i, 1], ys[i, 1])]) for i in range(300)]
    infra = gpd.GeoDataFrame({"infra_type": ["road"] * 300}, geometry=lines, crs=AEQD)
    a = score_conflict(_ptcrs(), _ranges(), infra, status=None, effect_zones_m=False)
    b = score_conflict(_ptcrs(), _ranges(), infra, status=None, effect_zones_m=False,
                       chunk_size=37)
    np.testing.assert_allclose(a["length_km"], b["length_km"], rtol=1e-12)
    # planar check of the total inside the square (aeqd near the centre: ~1e-4 error)
    planar = sum(ln.intersection(box(-50 * KM, -50 * KM, 50 * KM, 50 * KM)).length
                 for ln in lines) / KM
    assert a["region_length_km"].iloc[0] == pytest.approx(planar, rel=2e-3)


def test_conflict_grid_square_cells():
    ptcrs = _ptcrs()
    g = conflict_grid(ptcrs, _ranges(), _infra(), cell_km=10, hexagonal=False)
    assert {"cell_id", "area_km2", "weighted_length_km", "species_richness", "score",
            "class"} <= set(g.columns)
    # total weighted barrier length over all cells = 100*1 + 100*0.5
    assert g["weighted_length_km"].sum() == pytest.approx(150.0, rel=2e-3)
    assert g["area_km2"].sum() == pytest.approx(10000.0, rel=2e-3)
    assert g["species_richness"].max() == 2 and g["species_richness"].min() == 1
    assert (g.loc[g["score"] == 0, "class"] == 0).all()
    assert set(g.loc[g["score"] > 0, "class"]) <= {1, 2, 3, 4, 5}
    top = g.loc[g["score"].idxmax()]
    assert top["class"] == g["class"].max()
    np.testing.assert_allclose(g["score"], g["weighted_length_km"] * g["species_richness"])


def test_conflict_grid_hexagonal_area_and_breaks():
    g = conflict_grid(_ptcrs(), _ranges(), _infra(), cell_km=25, hexagonal=True,
                      scheme="natural_breaks", k=3)
    assert g["area_km2"].sum() == pytest.approx(10000.0, rel=2e-3)
    assert g["weighted_length_km"].sum() == pytest.approx(150.0, rel=2e-3)
    full = g[g["area_km2"] > 624]
    assert len(full) > 0
    assert full["area_km2"].max() == pytest.approx(625.0, rel=1e-3)  # hexagon = 25 x 25 km²
    assert g["class"].max() <= 3


def test_quantile_classes_match_mapclassify():
    import mapclassify

    from camigeo.barriers.grid import _quantile_classes

    rng = np.random.default_rng(2)
    for vals, k in [(rng.lognormal(0, 1, 500), 5), (np.repeat([1.0, 2.0, 3.0, 9.0], 7), 4),
                    (rng.integers(1, 40, 200).astype(float), 5)]:
        np.testing.assert_array_equal(_quantile_classes(vals, k),
                                      mapclassify.Quantiles(vals, k=k).yb)


def test_polygon_ptcrs_as_lines_raise():
    p = _ptcrs()
    p = p.set_geometry(p.boundary)
    with pytest.raises(GeometryError, match="ptcrs has geometry type"):
        score_conflict(p, _ranges(), _infra())


def test_fast_line_length_matches_pyproj_geod():
    from camigeo.barriers.kernels import line_km as _line_km

    geod = Geod(ellps="WGS84")
    rng = np.random.default_rng(3)
    n = 2000
    lon, lat = rng.uniform(45, 120, n), rng.uniform(30, 56, n)
    pts = [(lon, lat)]
    for dist_km in (10.0, 45.0, 300.0):  # 300 km legs go through Geod.inv
        lo, la, _ = geod.fwd(pts[-1][0], pts[-1][1], rng.uniform(0, 360, n),
                             np.full(n, dist_km * 1000))
        pts.append((lo, la))
    lines = [LineString([(p[0][i], p[1][i]) for p in pts]) for i in range(n)]
    km = _line_km(np.asarray(lines, dtype=object))
    np.testing.assert_allclose(km, 355.0, rtol=2e-6)
    multi = _line_km(np.asarray([lines[0].union(LineString([(10, 10), (10, 11)]))]))
    assert multi[0] == pytest.approx(355.0 + geod.inv(10, 10, 10, 11)[2] / 1000, rel=2e-6)


def test_matches_geopandas_overlay_peer():
    # peer: geopandas.overlay (region ∩ dissolved range) then overlay with the lines, in
    # the same lon/lat data, lengths with pyproj.Geod
    rng = np.random.default_rng(5)
    region = gpd.GeoDataFrame({"ptcr_id": [3]}, geometry=[Polygon(
        [(60, 40), (66, 39.5), (68, 44), (63, 46), (59, 44)])], crs=4326)
    ranges = gpd.GeoDataFrame({"sci_name": ["S a", "S a"]},
                              geometry=[box(58, 41, 64, 47), box(62, 38, 67, 43)], crs=4326)
    x0 = rng.uniform(57, 69, 400)
    y0 = rng.uniform(38, 47, 400)
    lines = [LineString([(x, y), (x + rng.uniform(-.3, .3), y + rng.uniform(-.3, .3))])
             for x, y in zip(x0, y0, strict=True)]
    infra = gpd.GeoDataFrame({"infra_type": ["road"] * 400}, geometry=lines, crs=4326)
    s = score_conflict(region, ranges, infra, status=None, effect_zones_m=False)
    zone = gpd.overlay(region, ranges.dissolve()[["geometry"]], how="intersection")
    clip = gpd.overlay(infra, zone[["geometry"]], how="intersection", keep_geom_type=True)
    geod = Geod(ellps="WGS84")
    expected = sum(geod.geometry_length(g) for g in clip.geometry) / 1000
    assert expected > 100
    # difference = straight edges in lon/lat (peer) vs in the equal-area CRS (densified
    # to 0.05 degrees before projecting): well below the 0.5 % allowed for lengths
    assert s.iloc[0]["length_km"] == pytest.approx(expected, rel=2e-3)


def test_grid_prefilter_gives_same_sums_as_exact_predicates(monkeypatch):
    import camigeo.barriers.kernels as cc

    rng = np.random.default_rng(11)
    n = 4000
    x, y = rng.uniform(-70, 70, n) * KM, rng.uniform(-70, 70, n) * KM
    ang = rng.uniform(0, 2 * np.pi, n)
    ln = rng.uniform(0.1, 1.5, n) * KM
    lines = [LineString([(x[i], y[i]), (x[i] + ln[i] * np.cos(ang[i]),
                                        y[i] + ln[i] * np.sin(ang[i]))]) for i in range(n)]
    infra = gpd.GeoDataFrame({"infra_type": rng.choice(["road", "fence"], n)},
                             geometry=lines, crs=AEQD)
    star = Polygon([(60 * KM * np.cos(a) * (0.6 + 0.4 * (i % 2)),
                     60 * KM * np.sin(a) * (0.6 + 0.4 * (i % 2)))
                    for i, a in enumerate(np.linspace(0, 2 * np.pi, 40, endpoint=False))])
    ptcrs = gpd.GeoDataFrame({"ptcr_id": [1]}, geometry=[star], crs=AEQD)
    fast = score_conflict(ptcrs, _ranges(), infra, status=None, effect_zones_m=False)
    grid_state = cc.grid_state
    calls = []

    def exact_only(zones, zi, bounds, cells=48):
        calls.append(len(zi))
        return np.full(len(zi), -1, dtype=np.int8)

    monkeypatch.setattr(cc, "grid_state", exact_only)
    exact = score_conflict(ptcrs, _ranges(), infra, status=None, effect_zones_m=False)
    assert calls  # the exact path really ran
    np.testing.assert_allclose(fast["length_km"], exact["length_km"], rtol=1e-12)
    np.testing.assert_array_equal(fast["n_features"], exact["n_features"])
    # and the grid decided most pairs on its own
    state = grid_state(np.asarray([box(-60 * KM, -60 * KM, 60 * KM, 60 * KM)]),
                           np.zeros(n, dtype=np.int64),
                           np.asarray([ln_.bounds for ln_ in lines]), cells=16)
    # ~73 % of the lines start inside the box's bbox, ~80 % of those fit in one 7.5 km cell,
    # minus the boundary ring of cells: about half are decided without GEOS
    assert (state >= 0).mean() > 0.4
    # decided pairs agree with GEOS
    zone = box(-60 * KM, -60 * KM, 60 * KM, 60 * KM)
    from shapely import contains_properly, intersects
    for i in np.flatnonzero(state == 1)[:200]:
        assert contains_properly(zone, lines[i])
    for i in np.flatnonzero(state == 0)[:200]:
        assert not intersects(zone, lines[i])


# --------------------------------------------------------------------------- bundled data
def _bundled():
    from camigeo import datasets

    try:
        return (datasets.load_ptcrs(), datasets.load_ranges(),
                datasets.load_infrastructure())
    except Exception as exc:  # noqa: BLE001 - data written by another module
        pytest.skip(f"bundled data not available: {exc}")


@pytest.mark.slow
def test_bundled_data_scores_all_13_ptcrs():
    ptcrs, ranges, infra = _bundled()
    scores = score_conflict(ptcrs, ranges, infra)
    summ = summarize_conflict(scores)
    assert sorted(summ["ptcr_id"]) == list(range(1, 14))
    assert sorted(summ["rank"]) == sorted(summ["conflict_score"].rank(
        ascending=False, method="min").astype(int))
    assert (summ["species_affected"] <= summ["n_species"]).all()
    # peer: geodesic area of each region polygon (pyproj.Geod) vs the equal-area km²
    geod = Geod(ellps="WGS84")
    by_id = ptcrs.set_index("ptcr_id")
    # (edges densified in lon/lat: straight in lon/lat, as GIS draws EPSG:4326 data)
    import shapely

    for pid in range(1, 14):
        dense = shapely.segmentize(by_id.loc[pid, "geometry"], 0.01)
        area = abs(geod.geometry_area_perimeter(dense)[0]) / 1e6
        got = summ.set_index("ptcr_id").loc[pid, "region_area_km2"]
        assert got == pytest.approx(area, rel=1e-3), pid
    # peer: existing lines clipped to the region in lon/lat, measured with pyproj.Geod
    existing = infra[infra["status"] == "existing"]
    for pid in (1, 11):
        poly = by_id.loc[pid, "geometry"]
        for t in ("railway", "border_fence"):
            clip = existing[existing["infra_type"] == t].geometry.intersection(poly)
            km = sum(geod.geometry_length(g) for g in clip if not g.is_empty) / 1000
            got = summ.set_index("ptcr_id").loc[pid].get(f"length_km_{t}", 0.0)
            assert got == pytest.approx(km, rel=5e-3, abs=1e-6), (pid, t)


def test_no_lines_after_status_filter_gives_zero_rows():
    s = score_conflict(_ptcrs(), _ranges(), _infra(), status=("planned",))
    assert len(s) == 0 and list(s.columns) == list(SCORE_COLUMNS)
    assert len(summarize_conflict(s, by="species")) == 0


def test_missing_status_column_raises():
    with pytest.raises(SchemaError, match="infrastructure has no 'status' column"):
        score_conflict(_ptcrs(), _ranges(), _infra().drop(columns="status"))
    # status=None needs no such column
    s = score_conflict(_ptcrs(), _ranges(), _infra().drop(columns="status"), status=None,
                       effect_zones_m=False)
    assert s["region_length_km"].max() == pytest.approx(100.0, rel=1e-4)


def test_tiled_effect_merge_matches_one_union_and_hand_value():
    import shapely

    from camigeo.barriers.kernels import union_area_tiled as _union_area_tiled

    # hand value: two 160 km lines crossing in a 100 km square, 1 km effect zone each:
    # 2 strips of 2 x 100 km² minus their 2 x 2 km² overlap = 396 km² inside the square
    square = box(-50 * KM, -50 * KM, 50 * KM, 50 * KM)
    west = box(-50 * KM, -50 * KM, 0, 50 * KM)
    lines = np.asarray([LineString([(-80 * KM, 3 * KM), (80 * KM, 3 * KM)]),
                        LineString([(7 * KM, -80 * KM), (7 * KM, 80 * KM)])])
    bufs = shapely.buffer(lines, 1 * KM, quad_segs=4)
    polys = np.asarray([square, west])
    for tile_m in (7 * KM, 50 * KM, 500 * KM):  # tiles cut the strips and the polygons
        got = _union_area_tiled(bufs, polys, tile_m) / 1e6
        np.testing.assert_allclose(got, [396.0, 100.0], rtol=1e-9)
    # peer: one GEOS union of all buffers, then the intersection (the untiled method)
    rng = np.random.default_rng(4)
    xy = rng.uniform(-60, 60, (500, 2)) * KM
    many = shapely.buffer(shapely.linestrings(np.stack([xy, xy + rng.normal(0, 3 * KM, (
        500, 2))], axis=1)), rng.choice([100.0, 2000.0], 500), quad_segs=4)
    star = shapely.Polygon([(45 * KM * np.cos(a) * (0.5 + 0.5 * (i % 2)),
                             45 * KM * np.sin(a) * (0.5 + 0.5 * (i % 2)))
                            for i, a in enumerate(np.linspace(0, 2 * np.pi, 30, False))])
    polys = np.asarray([square, star])
    expected = shapely.area(shapely.intersection(polys, shapely.union_all(many)))
    np.testing.assert_allclose(_union_area_tiled(many, polys, 9 * KM), expected, rtol=1e-9)


def test_effect_zones_threaded_equal_serial(monkeypatch):
    import camigeo.barriers.kernels as cc

    ptcrs = gpd.GeoDataFrame({"ptcr_id": [1, 2], "name": ["Square", "East"]},
                             geometry=[box(-50 * KM, -50 * KM, 50 * KM, 50 * KM),
                                       box(100 * KM, -50 * KM, 200 * KM, 50 * KM)], crs=AEQD)
    infra = pd.concat([_infra(), gpd.GeoDataFrame(
        {"infra_type": ["road"], "status": ["existing"]},
        geometry=[LineString([(150 * KM, -80 * KM), (150 * KM, 80 * KM)])], crs=AEQD)],
        ignore_index=True)
    ranges = pd.concat([_ranges(), gpd.GeoDataFrame(
        {"sci_name": ["Saiga tatarica"]}, geometry=[box(90 * KM, -70 * KM, 300 * KM, 70 * KM)],
        crs=AEQD)], ignore_index=True)
    monkeypatch.setattr(cc, "effect_threads", lambda: 1)
    serial = score_conflict(ptcrs, ranges, infra)
    monkeypatch.setattr(cc, "effect_threads", lambda: 2)
    threaded = score_conflict(ptcrs, ranges, infra)
    pd.testing.assert_frame_equal(serial, threaded)
    # east region: one road 100 km inside, 2 km either side -> 400 km²
    east = threaded[(threaded["ptcr_id"] == 2) & (threaded["infra_type"] == "road")]
    assert east["effect_zone_km2"].iloc[0] == pytest.approx(400.0, rel=2e-3)


def test_status_given_as_one_string_means_that_status():
    infra = _infra()
    infra.loc[1, "status"] = "planned"
    s = score_conflict(_ptcrs(), _ranges(), infra, status="existing", effect_zones_m=False)
    assert set(s["infra_type"]) == {"railway"}
    assert s["region_length_km"].max() == pytest.approx(100.0, rel=1e-4)


def test_bad_chunk_size_raises():
    with pytest.raises(SchemaError, match=r"chunk_size=0; expected a positive whole number"):
        score_conflict(_ptcrs(), _ranges(), _infra(), chunk_size=0)


def test_species_weights_checked(scores):
    from camigeo import CamigeoWarning

    with pytest.warns(CamigeoWarning, match=r"species_weights names \['Saiga tatarika'\]"):
        summ = summarize_conflict(scores, species_weights={"Saiga tatarika": 2.0})
    assert summ.iloc[0]["conflict_score"] == pytest.approx(25.0, rel=1e-3)  # ignored
    with pytest.raises(SchemaError, match=r"species_weights has values that are not numbers "
                                          r">= 0: \{'Saiga tatarica': -1\}"):
        summarize_conflict(scores, species_weights={"Saiga tatarica": -1})


def test_conflict_grid_bad_k_raises():
    with pytest.raises(SchemaError, match=r"k=0; expected a whole number of classes >= 1"):
        conflict_grid(_ptcrs(), _ranges(), _infra(), k=0)


def test_override_keys_of_the_wrong_form_raise():
    df = pd.DataFrame({"infra_type": ["road"]})
    with pytest.raises(SchemaError, match=r"weights has keys .*\('road', 'yes'\)"):
        feature_weights(df, weights={("road", "yes"): 0.4})
    with pytest.raises(SchemaError, match=r"weights has keys .*\('road',\)"):
        feature_weights(df, weights={("road",): 0.4})
    with pytest.raises(SchemaError, match=r"effect_zones_m has keys .*'low'\).*infra_type or "
                                          r"\(infra_type, fenced\)"):
        feature_weights(df, effect_zones_m={("fence", True, "low"): 50})


def test_tiled_merge_falls_back_when_clipped_pieces_fail(monkeypatch):
    import shapely

    from camigeo.barriers.kernels import union_area_tiled as _union_area_tiled

    lines = np.asarray([LineString([(-80 * KM, 3 * KM), (80 * KM, 3 * KM)])])
    bufs = shapely.buffer(lines, 1 * KM, quad_segs=4)
    real = shapely.union_all
    calls = []

    def flaky(geoms, **kw):
        calls.append(1)
        if len(calls) == 1:  # as GEOS does for an invalid clip_by_rect output
            raise shapely.errors.GEOSException("TopologyException: side location conflict")
        return real(geoms, **kw)

    monkeypatch.setattr(shapely, "union_all", flaky)
    got = _union_area_tiled(bufs, np.asarray([box(-50 * KM, -50 * KM, 50 * KM, 50 * KM)]),
                            30 * KM) / 1e6
    assert len(calls) > 2
    assert got[0] == pytest.approx(200.0, rel=1e-9)  # 2 km x 100 km strip
