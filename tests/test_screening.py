"""Tests for camigeo.screening on the hand-computable square of tests/test_conflict.py.

Region: 100 x 100 km square (aeqd centred at 45 N, 70 E). Existing: fenced railway along
y = 0, road along x = 20 km. Species A range = west half, species B = whole square.
Planned: fenced railway along x = -20 km (160 km long, 100 km inside).
"""

from __future__ import annotations

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import LineString, Point, box
from test_conflict import AEQD, KM, _infra, _ptcrs, _ranges

from camigeo import GeometryError, SchemaError
from camigeo.barriers.screening import ScreeningResult, screen_file, screen_project

XSS = "<img src=x onerror=alert(1)>"


def _planned():
    return gpd.GeoDataFrame({"name": ["New line"], "infra_type": ["railway"],
                             "fenced": [True], "fence_class": ["unknown"]},
                            geometry=[LineString([(-20 * KM, -80 * KM), (-20 * KM, 80 * KM)])],
                            crs=AEQD)


@pytest.fixture(scope="module")
def result():
    return screen_project(_planned(), ptcrs=_ptcrs(), ranges=_ranges(),
                          infrastructure=_infra(), buffer_m=5000)


def test_ptcr_row_hand_values(result):
    assert isinstance(result, ScreeningResult)
    assert len(result.ptcr_table) == 1
    r = result.ptcr_table.iloc[0]
    assert r["length_km"] == pytest.approx(100.0, rel=1e-3)
    # before: A 1000*50/5000 = 10, B 1000*(100 + 0.5*100)/10000 = 15
    assert r["conflict_score_before"] == pytest.approx(25.0, rel=1e-3)
    # after: + A 1000*100/5000 = 20, + B 1000*100/10000 = 10
    assert r["conflict_score_after"] == pytest.approx(55.0, rel=1e-3)
    assert r["delta_conflict_score"] == pytest.approx(30.0, rel=1e-3)
    # m_eff: 4 patches 3500,1500,3500,1500 -> 2900; after 1500,2000,1500 (x2) -> 1700
    assert r["m_eff_before_km2"] == pytest.approx(2900.0, rel=1e-3)
    assert r["m_eff_after_km2"] == pytest.approx(1700.0, rel=1e-3)
    assert r["delta_m_eff_pct"] == pytest.approx(-1200 / 2900 * 100, rel=1e-3)
    assert r["n_species_entered"] == 2


def test_species_rows_hand_values(result):
    t = result.table.set_index("sci_name")
    a, b = t.loc["Equus hemionus"], t.loc["Saiga tatarica"]
    assert a["length_km"] == pytest.approx(100.0, rel=1e-3)
    assert a["delta_weighted_density"] == pytest.approx(20.0, rel=1e-3)
    assert b["delta_weighted_density"] == pytest.approx(10.0, rel=1e-3)
    assert a["m_eff_before_km2"] == pytest.approx(2500.0, rel=1e-3)
    assert a["m_eff_after_km2"] == pytest.approx(1300.0, rel=1e-3)
    assert b["m_eff_after_km2"] == pytest.approx(1700.0, rel=1e-3)
    # 5 km buffer: 10 km wide strip x 100 km
    assert a["buffer_area_km2"] == pytest.approx(1000.0, rel=3e-3)
    assert a["buffer_share"] == pytest.approx(0.2, rel=3e-3)
    # fenced railway effect zone 2 km: 4 km x 100 km
    assert a["effect_zone_km2"] == pytest.approx(400.0, rel=3e-3)
    sp = result.species_table.set_index("sci_name")
    assert sp.loc["Saiga tatarica", "length_km"] == pytest.approx(140.0, rel=1e-3)
    assert sp.loc["Equus hemionus", "length_km"] == pytest.approx(120.0, rel=1e-3)


def test_nearest_existing_barriers(result):
    n = result.nearest.set_index("infra_type")
    assert n.loc["railway", "distance_km"] == pytest.approx(0.0, abs=1e-6)
    assert n.loc["road", "distance_km"] == pytest.approx(40.0, rel=1e-3)
    assert n.loc["road", "infra_id"] == "d1"
    assert "Nearest existing road" in result.summary()


def test_rank_change_two_regions():
    ptcrs = gpd.GeoDataFrame({"ptcr_id": [1, 2], "name": ["Square", "East"]},
                             geometry=[box(-50 * KM, -50 * KM, 50 * KM, 50 * KM),
                                       box(100 * KM, -50 * KM, 200 * KM, 50 * KM)], crs=AEQD)
    ranges = gpd.GeoDataFrame({"sci_name": ["Equus hemionus", "Saiga tatarica"]},
                              geometry=[box(-60 * KM, -60 * KM, 0, 60 * KM),
                                        box(-70 * KM, -70 * KM, 300 * KM, 70 * KM)], crs=AEQD)
    infra = _infra()
    extra = gpd.GeoDataFrame(
        {"infra_id": ["e1", "e2", "e3"], "infra_type": ["railway"] * 3,
         "status": ["existing"] * 3, "fenced": [True] * 3, "fence_class": ["unknown"] * 3},
        geometry=[LineString([(x * KM, -60 * KM), (x * KM, 60 * KM)]) for x in (120, 150, 180)],
        crs=AEQD)
    import pandas as pd
    infra = pd.concat([infra, extra], ignore_index=True)
    res = screen_project(_planned(), ptcrs=ptcrs, ranges=ranges, infrastructure=infra)
    r = res.ptcr_table.iloc[0]
    # region 2: 1000 * 300 / 10000 = 30 > 25 before; region 1 after: 55
    assert r["ptcr_id"] == 1 and r["rank_before"] == 2 and r["rank_after"] == 1


def test_project_outside_everything_gives_empty_tables():
    far = LineString([(500 * KM, 500 * KM), (600 * KM, 500 * KM)])
    res = screen_project(gpd.GeoSeries([far], crs=AEQD), ptcrs=_ptcrs(), ranges=_ranges(),
                         infrastructure=_infra(), infra_type="road")
    assert res.ptcr_table.empty and res.table.empty and res.species_table.empty
    assert "enters no PTCR" in res.summary()
    assert {"ptcr_id", "delta_conflict_score", "delta_m_eff_km2"} <= set(res.table.columns)


def test_html_escapes_every_value(tmp_path):
    ptcrs = _ptcrs()
    ptcrs["name"] = [XSS]
    planned = _planned()
    planned["name"] = [XSS]
    res = screen_project(planned, ptcrs=ptcrs, ranges=_ranges(), infrastructure=_infra(),
                         name=XSS)
    doc = res.to_html(tmp_path / "r.html")
    assert "<img" not in doc
    assert "&lt;img src=x onerror=alert(1)&gt;" in doc
    assert (tmp_path / "r.html").read_text(encoding="utf-8") == doc
    assert "http://" not in doc.replace("http://www.w3.org/2000/svg", "")
    assert "<svg" in doc and "<script" not in doc


def test_to_geopackage_layers_and_atomic(tmp_path, result):
    path = tmp_path / "s.gpkg"
    result.to_geopackage(path)
    layers = dict(pyogrio.list_layers(path))
    assert set(layers) == {"screening_project", "screening_ptcr", "screening_species",
                           "screening_nearest"}
    sp = gpd.read_file(path, layer="screening_species")
    assert len(sp) == 2 and sp.crs.to_epsg() == 4326
    # outline of range A ∩ region = 5000 km²
    a = sp[sp["sci_name"] == "Equus hemionus"]
    assert float(a.to_crs(AEQD).area.iloc[0]) / 1e6 == pytest.approx(5000, rel=1e-3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.gpkg"]


def test_screen_file_writes_reports(tmp_path):
    src = tmp_path / "planned.gpkg"
    _planned().to_file(src, layer="planned", driver="GPKG")
    res = screen_file(src, out_dir=tmp_path / "out", buffer_m=2000, ptcrs=_ptcrs(),
                      ranges=_ranges(), infrastructure=_infra())
    assert (tmp_path / "out" / "planned_screening.html").exists()
    assert (tmp_path / "out" / "planned_screening.gpkg").exists()
    assert res.params["buffer_m"] == 2000
    assert res.ptcr_table.iloc[0]["length_km"] == pytest.approx(100.0, rel=1e-3)


def test_footprint_counts_through_outline():
    fp = box(-30 * KM, 10 * KM, -10 * KM, 30 * KM)  # 20 x 20 km fenced site in the NW
    res = screen_project(gpd.GeoSeries([fp], crs=AEQD), ptcrs=_ptcrs(), ranges=_ranges(),
                         infrastructure=_infra(), infra_type="fence", fence_class="impermeable")
    r = res.ptcr_table.iloc[0]
    assert r["length_km"] == pytest.approx(80.0, rel=1e-3)
    # NW patch 3500 km² splits into 400 (inside) + 3100
    before = 2 * (3500**2 + 1500**2) / 10000
    after = (3500**2 + 2 * 1500**2 + 3100**2 + 400**2) / 10000
    assert r["m_eff_before_km2"] == pytest.approx(before, rel=1e-3)
    assert r["m_eff_after_km2"] == pytest.approx(after, rel=1e-3)


def test_bad_inputs():
    with pytest.raises(SchemaError, match="project has no 'infra_type' column"):
        screen_project(gpd.GeoSeries([LineString([(0, 0), (1, 1)])], crs=AEQD),
                       ptcrs=_ptcrs(), ranges=_ranges(), infrastructure=_infra())
    with pytest.raises(GeometryError, match=r"project has geometry type\(s\) \['Point'\]"):
        screen_project(gpd.GeoSeries([Point(0, 0)], crs=AEQD), infra_type="road",
                       ptcrs=_ptcrs(), ranges=_ranges(), infrastructure=_infra())
    with pytest.raises(SchemaError, match=r"buffer_m ?= ?-1"):
        screen_project(_planned(), buffer_m=-1, ptcrs=_ptcrs(), ranges=_ranges(),
                       infrastructure=_infra())
    with pytest.raises(SchemaError, match=r"unknown infra_type value\(s\) \['tram'\]"):
        screen_project(_planned(), infra_type="tram", ptcrs=_ptcrs(), ranges=_ranges(),
                       infrastructure=_infra())


@pytest.mark.slow
def test_planned_railway_through_bundled_ptcr(tmp_path):
    from pyproj import Geod

    from camigeo import datasets

    try:
        ptcrs = datasets.load_ptcrs()
    except Exception as exc:  # noqa: BLE001 - data written by another module
        pytest.skip(f"bundled data not available: {exc}")
    gobi = ptcrs.set_index("ptcr_id").loc[11, "geometry"]
    c = gobi.representative_point()
    minx, _, maxx, _ = gobi.bounds
    line = LineString([(minx - 1, c.y), (c.x, c.y + 0.3), (maxx + 1, c.y)])
    res = screen_project(line, infra_type="railway", fenced=True, fence_class="unknown",
                         buffer_m=5000, name="Synthetic Gobi railway")
    assert res.params["data"].startswith("ptcrs: bundled")
    row = res.ptcr_table.set_index("ptcr_id").loc[11]
    expected = Geod(ellps="WGS84").geometry_length(line.intersection(gobi)) / 1000
    assert row["length_km"] == pytest.approx(expected, rel=5e-3)
    assert row["delta_conflict_score"] > 0
    assert row["conflict_score_after"] == pytest.approx(
        row["conflict_score_before"] + row["delta_conflict_score"])
    assert row["m_eff_after_km2"] <= row["m_eff_before_km2"] + 1e-6
    assert row["rank_after"] <= row["rank_before"]
    assert len(res.table) >= 1 and (res.table["ptcr_id"] == 11).any()
    res.to_geopackage(tmp_path / "gobi.gpkg")
    assert "Synthetic Gobi railway" in res.to_html()


def test_nearest_distance_is_geodesic():
    # project 50-60 E along 45 N, road along the 75 E meridian: the nearest points are the
    # project's east end and the road; peer: brute-force minimum of pyproj.Geod distances
    # (the local equidistant CRS alone gives 1172.07 km here, 0.3 % short)
    import numpy as np
    from pyproj import Geod

    ptcrs = gpd.GeoDataFrame({"ptcr_id": [1], "name": ["R"]}, geometry=[box(54, 44, 56, 46)],
                             crs=4326)
    ranges = gpd.GeoDataFrame({"sci_name": ["S a"]}, geometry=[box(50, 40, 60, 50)],
                              crs=4326)
    infra = gpd.GeoDataFrame({"infra_id": ["d1"], "infra_type": ["road"],
                              "status": ["existing"]},
                             geometry=[LineString([(75, 40), (75, 50)])], crs=4326)
    res = screen_project(LineString([(50, 45), (60, 45)]), infra_type="road", ptcrs=ptcrs,
                         ranges=ranges, infrastructure=infra)
    lat = np.linspace(40, 50, 20001)
    geod = Geod(ellps="WGS84")
    best = min(np.min(geod.inv(np.full_like(lat, lon), np.full_like(lat, 45.0),
                               np.full_like(lat, 75.0), lat)[2])
               for lon in np.linspace(59.5, 60, 11)) / 1000
    assert res.nearest["distance_km"].iloc[0] == pytest.approx(best, rel=1e-6)


def test_to_geopackage_failure_keeps_old_file(tmp_path, result, monkeypatch):
    path = tmp_path / "s.gpkg"
    path.write_bytes(b"old report")
    real = pyogrio.write_dataframe
    calls = []

    def fail_on_third(gdf, tmp, layer, **kw):
        calls.append(layer)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(gdf, tmp, layer=layer, **kw)

    monkeypatch.setattr(pyogrio, "write_dataframe", fail_on_third)
    with pytest.raises(OSError, match="disk full"):
        result.to_geopackage(path)
    assert path.read_bytes() == b"old report"  # all layers or none
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.gpkg"]  # no temp files left


def test_bad_mesh_method_raises_before_work():
    far = LineString([(500 * KM, 500 * KM), (600 * KM, 500 * KM)])  # enters nothing
    with pytest.raises(SchemaError, match=r"mesh_method='XYZ'; expected 'CUT' or 'CBC'"):
        screen_project(gpd.GeoSeries([far], crs=AEQD), infra_type="road", mesh_method="XYZ",
                       ptcrs=_ptcrs(), ranges=_ranges(), infrastructure=_infra())


def test_status_as_one_string():
    res = screen_project(_planned(), ptcrs=_ptcrs(), ranges=_ranges(),
                         infrastructure=_infra(), status="existing")
    n = res.nearest.set_index("infra_type")
    assert n.loc["road", "distance_km"] == pytest.approx(40.0, rel=1e-3)
    assert res.ptcr_table.iloc[0]["conflict_score_before"] == pytest.approx(25.0, rel=1e-3)
