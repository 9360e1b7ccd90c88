"""Tests for camigeo.fragmentation (effective mesh size, CUT and CBC).

Geometries are built directly in the equal-area CRS the module works in, so km² are exact:
domain_methods §4.2 toy values (30 + 70 km² -> 58 km², s_eff 17.24; CBC -> 88 km²).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from camigeo import CRSError, GeometryError, SchemaError
from camigeo.barriers.fragmentation import effective_mesh_size, patches, reporting_units
from camigeo.io.crs import CENTRAL_ASIA_EQUAL_AREA as EA

KM = 1000.0


def _unit():
    return gpd.GeoDataFrame({"unit": ["u1"]}, geometry=[box(0, 0, 10 * KM, 10 * KM)], crs=EA)


def _cut(x_km=3.0, **attrs):
    data = {"infra_type": ["fence"], "fenced": [True], "fence_class": ["low"],
            "status": ["existing"]}
    data.update({k: [v] for k, v in attrs.items()})
    return gpd.GeoDataFrame(data, geometry=[LineString([(x_km * KM, -1 * KM),
                                                        (x_km * KM, 11 * KM)])], crs=EA)


def test_cut_30_70_gives_58_and_s_eff_17_24():
    out = effective_mesh_size(_unit(), _cut())
    r = out.iloc[0]
    assert r["area_km2"] == pytest.approx(100.0)
    assert r["n_patches"] == 2
    assert r["m_eff_km2"] == pytest.approx(58.0)
    assert r["s_eff_per_1000km2"] == pytest.approx(17.24, abs=0.005)
    assert r["coherence"] == pytest.approx(0.58)
    assert r["division"] == pytest.approx(0.42)
    assert r["splitting_index"] == pytest.approx(100 / 58)
    assert r["unit"] == "u1" and r["method"] == "CUT"


def test_cbc_30_part_in_130_patch_gives_88():
    units = gpd.GeoDataFrame({"unit": ["u1", "west"]},
                             geometry=[box(0, 0, 10 * KM, 10 * KM),
                                       box(-10 * KM, 0, 0, 10 * KM)], crs=EA)
    cbc = effective_mesh_size(units, _cut(), method="CBC").set_index("unit")
    assert cbc.loc["u1", "m_eff_km2"] == pytest.approx((30 * 130 + 70 * 70) / 100)  # 88
    assert cbc.loc["u1", "m_eff_km2"] == pytest.approx(88.0)
    # west unit: its 100 km² all belong to the 130 km² patch
    assert cbc.loc["west", "m_eff_km2"] == pytest.approx(130.0)
    cut = effective_mesh_size(units, _cut(), method="CUT").set_index("unit")
    assert cut.loc["u1", "m_eff_km2"] == pytest.approx(58.0)
    assert cut.loc["west", "m_eff_km2"] == pytest.approx(100.0)


def test_cbc_with_explicit_extent():
    extent = gpd.GeoSeries([box(-10 * KM, 0, 10 * KM, 10 * KM)], crs=EA)
    out = effective_mesh_size(_unit(), _cut(), method="cbc", extent=extent)
    assert out.iloc[0]["m_eff_km2"] == pytest.approx(88.0)
    # without the extent the unit is its own extent: CBC == CUT
    assert effective_mesh_size(_unit(), _cut(), method="CBC").iloc[0][
        "m_eff_km2"] == pytest.approx(58.0)


def test_dangling_barrier_does_not_split():
    dangle = gpd.GeoDataFrame({"infra_type": ["road"]},
                              geometry=[LineString([(5 * KM, -1 * KM), (5 * KM, 6 * KM)])],
                              crs=EA)
    out = effective_mesh_size(_unit(), dangle)
    assert out.iloc[0]["n_patches"] == 1
    assert out.iloc[0]["m_eff_km2"] == pytest.approx(100.0)


def test_crossing_lines_four_patches():
    cross = gpd.GeoDataFrame({"infra_type": ["road", "railway"]},
                             geometry=[LineString([(3 * KM, -1 * KM), (3 * KM, 11 * KM)]),
                                       LineString([(-1 * KM, 6 * KM), (11 * KM, 6 * KM)])],
                             crs=EA)
    out = effective_mesh_size(_unit(), cross)
    # patches 3x6=18, 7x6=42, 3x4=12, 7x4=28 -> (18²+42²+12²+28²)/100
    assert out.iloc[0]["n_patches"] == 4
    assert out.iloc[0]["m_eff_km2"] == pytest.approx((18**2 + 42**2 + 12**2 + 28**2) / 100)
    p = patches(_unit(), cross)
    assert sorted(np.round(p["area_km2"], 6)) == [12, 18, 28, 42]


def test_barrier_filter_default_open_and_planned_and_pipeline():
    for attrs in ({"fence_class": "open"}, {"status": "planned"},
                  {"infra_type": "pipeline", "fenced": False, "fence_class": None}):
        out = effective_mesh_size(_unit(), _cut(**attrs))
        assert out.iloc[0]["m_eff_km2"] == pytest.approx(100.0), attrs
    out = effective_mesh_size(_unit(), _cut(fence_class="open"), barrier_filter="all")
    assert out.iloc[0]["m_eff_km2"] == pytest.approx(58.0)
    out = effective_mesh_size(_unit(), _cut(), barrier_filter=lambda g: g["fence_class"] == "x")
    assert out.iloc[0]["m_eff_km2"] == pytest.approx(100.0)


def test_reprojected_input_areas_equal_area():
    unit = _unit().to_crs(4326)
    out = effective_mesh_size(unit, _cut().to_crs(4326))
    # vertex-only reprojection round trip: tiny edge bending only
    assert out.iloc[0]["m_eff_km2"] == pytest.approx(58.0, rel=1e-3)
    assert out.crs.equals(unit.crs)
    assert out.geometry.geom_equals(unit.geometry).all()


def test_bad_inputs():
    with pytest.raises(SchemaError, match="method='X'"):
        effective_mesh_size(_unit(), _cut(), method="x")
    with pytest.raises(CRSError, match="barriers has no CRS"):
        effective_mesh_size(_unit(), _cut().set_crs(None, allow_override=True))
    pts = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=EA)
    with pytest.raises(GeometryError, match=r"barriers has geometry type\(s\) \['Point'\]"):
        effective_mesh_size(_unit(), pts)
    with pytest.raises(GeometryError, match=r"areas has geometry type\(s\) \['LineString'\]"):
        effective_mesh_size(_cut(), _cut())


def test_reporting_units_kinds():
    ptcrs = gpd.GeoDataFrame({"ptcr_id": [1, 2], "name": ["A", "B"]},
                             geometry=[box(0, 0, 10 * KM, 10 * KM),
                                       box(20 * KM, 0, 30 * KM, 10 * KM)], crs=EA)
    ranges = gpd.GeoDataFrame({"sci_name": ["S a", "S a"]},
                              geometry=[box(5 * KM, 0, 25 * KM, 10 * KM),
                                        box(5 * KM, 0, 8 * KM, 10 * KM)], crs=EA)
    u = reporting_units(ptcrs, ranges)
    assert list(u["ptcr_id"]) == [1, 2]
    assert np.allclose(u.area / 1e6, [50, 50], rtol=1e-9)
    assert len(reporting_units(ptcrs, kind="ptcr")) == 2
    r = reporting_units(None, ranges, kind="range")
    assert r.area.iloc[0] / 1e6 == pytest.approx(200.0)
    with pytest.raises(SchemaError, match="kind='range' needs ranges"):
        reporting_units(ptcrs, kind="range")


@pytest.mark.slow
def test_bundled_ptcrs_cut_and_cbc():
    from pyproj import Geod

    from camigeo import datasets

    try:
        ptcrs, infra = datasets.load_ptcrs(), datasets.load_infrastructure()
    except Exception as exc:  # noqa: BLE001 - data written by another module
        pytest.skip(f"bundled data not available: {exc}")
    cut = effective_mesh_size(ptcrs, infra)
    cbc = effective_mesh_size(ptcrs, infra, method="CBC")
    assert len(cut) == 13
    geod = Geod(ellps="WGS84")
    # peer: pyproj.Geod area of the polygon with edges densified in lon/lat (edges straight
    # in lon/lat, as GIS draws EPSG:4326 data; undensified Geod takes edges as geodesics,
    # which differs by up to 0.5 % for the schematic polygons' long edges)
    for g, a in zip(ptcrs.geometry, cut["area_km2"], strict=True):
        dense = shapely.segmentize(g, 0.01)
        assert a == pytest.approx(abs(geod.geometry_area_perimeter(dense)[0]) / 1e6,
                                  rel=1e-3)
    # Jaeger bounds: 0 < m_eff <= A_t; CBC never below CUT (patches only grow)
    assert ((cut["m_eff_km2"] > 0) & (cut["m_eff_km2"] <= cut["area_km2"] * (1 + 1e-9))).all()
    assert (cbc["m_eff_km2"] >= cut["m_eff_km2"] * (1 - 1e-9)).all()


def test_bad_area_and_filter_inputs():
    with pytest.raises(SchemaError, match="area must be a GeoDataFrame or GeoSeries"):
        patches(box(0, 0, 10 * KM, 10 * KM), _cut())
    with pytest.raises(GeometryError, match=r"area has geometry type\(s\) \['LineString'\]"):
        patches(_cut(), _cut())
    with pytest.raises(SchemaError, match=r"barrier_filter returned 2 value\(s\) for 1 "
                                          r"barrier line"):
        effective_mesh_size(_unit(), _cut(), barrier_filter=lambda g: [True, False])


# --------------------------------------------------------------------------- Dask
@pytest.mark.dask
def test_one_task_per_unit_on_dask_gives_the_same_table(client):
    """A 6 x 6 grid of 10 km units cut by random roads: CUT and CBC on a LocalCluster and
    with threads equal the single-machine run; the doctest unit still gives 58 km²."""
    pytest.importorskip("distributed")
    rng = np.random.default_rng(3)
    units = gpd.GeoDataFrame(
        {"cell": range(36)}, crs=EA,
        geometry=[box(c * 10 * KM, r * 10 * KM, (c + 1) * 10 * KM, (r + 1) * 10 * KM)
                  for r in range(6) for c in range(6)])
    xy = rng.uniform(-5 * KM, 65 * KM, (120, 2))
    ang = rng.uniform(0, np.pi, 120)
    ends = xy + 25 * KM * np.column_stack([np.cos(ang), np.sin(ang)])
    roads = gpd.GeoDataFrame({"infra_type": ["road"] * 120, "status": "existing"}, crs=EA,
                             geometry=[LineString([tuple(a), tuple(b)])
                                       for a, b in zip(xy, ends, strict=True)])
    cols = ["area_km2", "n_patches", "m_eff_km2"]
    for method in ("CUT", "CBC"):
        plain = effective_mesh_size(units, roads, method=method)
        assert plain["n_patches"].sum() > 36  # the roads do cut the units
        for sched in (client, "threads"):
            dist = effective_mesh_size(units, roads, method=method, scheduler=sched)
            np.testing.assert_array_equal(dist["n_patches"], plain["n_patches"])
            np.testing.assert_allclose(dist[cols].to_numpy(float), plain[cols].to_numpy(float),
                                       rtol=1e-12)
    one = effective_mesh_size(_unit(), _cut(), scheduler="synchronous")
    assert one["m_eff_km2"].iloc[0] == pytest.approx(58.0)
