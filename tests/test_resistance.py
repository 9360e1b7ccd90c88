"""build_resistance: templates, reclass, ranges, burned infrastructure, passages, leaks."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from camigeo import CamigeoError, CRSError, Raster, SchemaError
from camigeo.corridors import cost_distance
from camigeo.corridors.resistance import (
    build_resistance,
    default_infrastructure_resistance,
    permeability_to_resistance,
    thicken_diagonals,
)

UTM = "EPSG:32642"
SPEC = {"bounds": (0, 0, 900, 900), "cellsize_m": 100, "crs": UTM}


def lines(geoms, **cols):
    n = len(geoms)
    data = {"infra_type": ["fence"] * n, "fenced": [True] * n, "fence_class": ["low"] * n,
            "status": ["existing"] * n}
    data.update(cols)
    return gpd.GeoDataFrame(data, geometry=geoms, crs=UTM)


DIAG = shapely.LineString([(0, 0), (900, 900)])  # bottom-left to top-right


def test_template_spec_grid():
    r = build_resistance({"bounds": (0, 0, 1050, 500), "cellsize_m": 100, "crs": UTM})
    assert r.shape == (5, 11) and r.res == (100.0, 100.0)
    assert r.bounds == (0.0, 0.0, 1100.0, 500.0)  # width rounded up to whole cells
    assert np.all(r.array == 1.0) and r.crs.equals(UTM)


def test_template_spec_errors():
    with pytest.raises(CRSError, match="not projected"):
        build_resistance({"bounds": (0, 0, 1, 1), "cellsize_m": 100, "crs": "EPSG:4326"})
    with pytest.raises(CamigeoError, match="missing"):
        build_resistance({"bounds": (0, 0, 1, 1)})
    with pytest.raises(CamigeoError, match="cellsize_m > 0"):
        build_resistance({"bounds": (0, 0, 1, 1), "cellsize_m": 0, "crs": UTM})


def test_landcover_reclass_array_and_missing_class():
    tpl = Raster.from_array(np.zeros((2, 3)), cellsize=100, crs=UTM)
    lc = np.array([[1, 2, 3], [3, 2, 1]])
    r = build_resistance(tpl, landcover=lc, reclass={1: 1.0, 2: 5.0, 3: float("nan")})
    np.testing.assert_array_equal(r.array, [[1, 5, np.nan], [np.nan, 5, 1]])
    with pytest.raises(SchemaError, match=r"classes \[3\] have no entry"):
        build_resistance(tpl, landcover=lc, reclass={1: 1.0, 2: 5.0})
    with pytest.raises(CamigeoError, match="without reclass"):
        build_resistance(tpl, landcover=lc)
    with pytest.raises(CamigeoError, match="shape"):
        build_resistance(tpl, landcover=np.ones((3, 3)), reclass={1: 1})


def test_landcover_resampled_nearest():
    # land cover at 200 m, template at 100 m: each class cell covers 2x2 template cells
    lc = Raster.from_array(np.array([[1, 2], [2, 1]], dtype=np.int32), cellsize=200, crs=UTM,
                           nodata=0)
    tpl = Raster.from_array(np.zeros((4, 4)), cellsize=100, crs=UTM)
    r = build_resistance(tpl, landcover=lc, reclass={1: 2.0, 2: 7.0})
    want = np.kron(np.array([[2.0, 7.0], [7.0, 2.0]]), np.ones((2, 2)))
    np.testing.assert_array_equal(r.array, want)


def test_ranges_default_and_override():
    rng = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 400, 900)], crs=UTM)
    r = build_resistance(SPEC, ranges=rng)
    assert (r.array[:, :4] == 1.0).all() and (r.array[:, 4:] == 10.0).all()
    r2 = build_resistance(SPEC, ranges=rng.to_crs("EPSG:4326"), range_resistance=2,
                          outside_range_resistance=50)
    assert r2.array[4, 1] == 2 and r2.array[4, 7] == 50


def test_default_table_values():
    assert permeability_to_resistance(0.5) == pytest.approx(500.5)
    assert math.isnan(permeability_to_resistance(0.0, impermeable_as_nodata=True))
    t = default_infrastructure_resistance().set_index(["infra_type", "fenced", "fence_class"])
    assert t.loc[("railway", False, None), "resistance"] == pytest.approx(1 + 999 * 0.5)
    assert t.loc[("fence", True, "low"), "resistance"] == pytest.approx(1 + 999 * 0.8)
    assert t.loc[("border_fence", True, "impermeable"), "resistance"] == 1000.0
    assert t.loc[("railway", True, "unknown"), "resistance"] == 1000.0  # fenced rail = 0
    assert t.loc[("pipeline", False, None), "resistance"] == 1.0
    with pytest.raises(CamigeoError, match=r"\[0, 1\]"):
        permeability_to_resistance(1.5)


def test_burn_values_overrides_and_status():
    horiz = shapely.LineString([(0, 450), (900, 450)])
    vert = shapely.LineString([(450, 0), (450, 900)])
    infra = lines([horiz, vert], infra_type=["road", "fence"], fenced=[False, True],
                  fence_class=[None, "low"])
    r = build_resistance(SPEC, infrastructure=infra, all_touched=False)
    assert r.array[4, 0] == pytest.approx(500.5)  # road, unfenced
    assert r.array[0, 4] == pytest.approx(800.2)  # low fence
    assert r.array[4, 4] == pytest.approx(800.2)  # crossing: the larger wins
    r2 = build_resistance(SPEC, infrastructure=infra, all_touched=False,
                          resistance_by_type={"road": 50.0, ("fence", "low"): 300.0})
    assert r2.array[4, 0] == 50.0 and r2.array[0, 4] == 300.0
    r3 = build_resistance(SPEC, infrastructure=infra.assign(status=["planned", "existing"]),
                          all_touched=False)
    assert r3.array[4, 0] == 1.0 and r3.array[0, 4] == pytest.approx(800.2)
    r4 = build_resistance(SPEC, infrastructure=infra.assign(status=["planned", "existing"]),
                          all_touched=False, statuses=None)
    assert r4.array[4, 0] == pytest.approx(500.5)


def test_burn_keeps_higher_base_and_nan():
    tpl = Raster.from_array(np.zeros((3, 3)), cellsize=100, crs=UTM)
    lc = np.array([[1, 1, 1], [2, 3, 1], [1, 1, 1]])
    infra = lines([shapely.LineString([(0, 150), (300, 150)])], infra_type=["road"],
                  fenced=[False], fence_class=[None])
    r = build_resistance(tpl, landcover=lc, reclass={1: 1, 2: 2000, 3: -1},
                         infrastructure=infra, all_touched=False)
    assert r.array[1, 0] == 2000 and np.isnan(r.array[1, 1])
    assert r.array[1, 2] == pytest.approx(500.5)


def test_unknown_infra_type_and_missing_column():
    bad = lines([DIAG], infra_type=["ropeway"])
    with pytest.raises(SchemaError, match="ropeway"):
        build_resistance(SPEC, infrastructure=bad)
    with pytest.raises(SchemaError, match="infra_type"):
        build_resistance(SPEC, infrastructure=gpd.GeoDataFrame(geometry=[DIAG], crs=UTM))
    with pytest.raises(CamigeoError, match="GeoDataFrame"):
        build_resistance(SPEC, infrastructure=[DIAG])


def test_thicken_diagonals_unit():
    m = np.eye(3, dtype=bool)
    v = np.where(m, 5.0, 0.0)
    m2, v2 = thicken_diagonals(m, v)
    assert m2[0, 1] and m2[1, 2] and not m2[1, 0]
    assert v2[0, 1] == 5.0
    # result has no diagonal-only contact
    a, b, c, d = m2[:-1, :-1], m2[:-1, 1:], m2[1:, :-1], m2[1:, 1:]
    assert not (a & d & ~b & ~c).any() and not (b & c & ~a & ~d).any()


@pytest.mark.parametrize("all_touched", [False, True])
def test_diagonal_barrier_does_not_leak(all_touched):
    fence = lines([DIAG], infra_type=["border_fence"], fence_class=["impermeable"])
    # GRASS/skimage behaviour (no thickening, centre-only rasterization): the path slips
    # through the corners of the 1-cell diagonal line and pays nothing for the fence
    leaky = build_resistance(SPEC, infrastructure=fence, all_touched=False, thicken=False)
    d_leak = cost_distance(leaky, [(0, 0)]).array[8, 8]
    assert d_leak < 2 * 1000 * 100 / 2  # cheaper than entering one barrier cell
    tight = build_resistance(SPEC, infrastructure=fence, all_touched=all_touched)
    d = cost_distance(tight, [(0, 0)]).array[8, 8]
    assert d >= 2 * (1 + 1000) / 2 * 100  # must step onto and off a barrier cell
    d16 = cost_distance(tight, [(0, 0)], neighbors=16).array[8, 8]
    assert d16 >= (1 + 1000 + 1 + 1) / 4 * 100 * math.sqrt(5)  # a knight pays >= 1/4 wall
    closed = build_resistance(SPEC, infrastructure=fence, all_touched=all_touched,
                              impermeable_as_nodata=True)
    for nb in (8, 16):
        assert np.isnan(cost_distance(closed, [(0, 0)], neighbors=nb).array[8, 8])


def test_passage_reopens_gap():
    fence = lines([shapely.LineString([(450, 0), (450, 900)])], infra_type=["border_fence"],
                  fence_class=["impermeable"])
    closed = build_resistance(SPEC, infrastructure=fence, impermeable_as_nodata=True,
                              all_touched=False)
    assert np.isnan(cost_distance(closed, [(4, 0)]).array[4, 8])
    gate = gpd.GeoDataFrame({"width_m": [50.0]}, geometry=[shapely.Point(450, 450)], crs=UTM)
    opened = build_resistance(SPEC, infrastructure=fence, impermeable_as_nodata=True,
                              all_touched=False, passages=gate)
    assert np.isnan(opened.array[:4, 4]).all() and opened.array[4, 4] == 1.0
    assert cost_distance(opened, [(4, 0)]).array[4, 8] == pytest.approx(800.0)
    wide = build_resistance(SPEC, infrastructure=fence, impermeable_as_nodata=True,
                            all_touched=False, passages=gate.drop(columns="width_m"),
                            passage_width_m=250)
    assert int(np.isfinite(wide.array[:, 4]).sum()) == 3  # rows 3, 4, 5 reopened


def test_template_and_landcover_from_files(tmp_path):
    tpl = Raster.from_array(np.zeros((3, 4)), cellsize=100, crs=UTM, nodata=-1)
    tpath = tpl.to_file(tmp_path / "tpl.tif")
    lc = Raster.from_array(np.array([[1, 1, 2, 2]] * 3, dtype=np.int16), cellsize=100,
                           crs=UTM, nodata=0)
    lpath = lc.to_file(tmp_path / "lc.tif")
    r = build_resistance(str(tpath), landcover=lpath, reclass={1: 3.0, 2: 9.0})
    assert r.shape == (3, 4) and r.crs.equals(UTM)
    np.testing.assert_array_equal(r.array, [[3, 3, 9, 9]] * 3)
