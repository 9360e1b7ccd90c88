"""corridor_links, normalized_corridors and barrier_improvement on hand grids."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from camigeo import CamigeoError, CRSError, Raster, SchemaError
from camigeo.corridors import (
    ADJACENCY_COLUMNS,
    LINK_COLUMNS,
    barrier_improvement,
    core_adjacency,
    corridor_links,
    cost_distance,
    normalized_corridors,
)

UTM = "EPSG:32642"


def grid(arr, cellsize=10.0):
    return Raster.from_array(np.asarray(arr, dtype=float), cellsize=cellsize, crs=UTM)


def three_cores():
    # 5 rows x 11 cols of 10 m; cores fill columns 0, 5 and 10
    geoms = [shapely.box(0, 0, 10, 50), shapely.box(50, 0, 60, 50), shapely.box(100, 0, 110, 50)]
    return gpd.GeoDataFrame({"core_id": [1, 3, 2]}, geometry=geoms, crs=UTM)


def test_link_table_hand_values():
    links = corridor_links(three_cores(), grid(np.ones((5, 11))))
    assert list(links.columns) == [*LINK_COLUMNS, "geometry"]
    got = {(a, b) for a, b in zip(links.core_a, links.core_b, strict=True)}
    assert got == {(1, 3), (3, 2)}  # 1-2 passes through core 3: dropped
    row = links.set_index(["core_a", "core_b"]).loc[(1, 3)]
    assert row.cw_dist == pytest.approx(50.0)  # 5 unit steps of 10 m
    assert row.euc_dist_km == pytest.approx(0.04)  # edge to edge 40 m
    assert row.lcp_length_km == pytest.approx(0.05)  # centre to centre through 6 cells
    assert row.cwd_to_euc == pytest.approx(50 / 40)
    assert row.cwd_to_path == pytest.approx(1.0)
    line = row.geometry
    xy = shapely.get_coordinates(line)
    assert xy[0][0] == 5.0 and xy[-1][0] == 55.0


def test_keep_through_cores_and_filters():
    cores, r = three_cores(), grid(np.ones((5, 11)))
    links = corridor_links(cores, r, drop_through_cores=False)
    assert len(links) == 3
    ab = links[(links.core_a == 1) & (links.core_b == 2)].iloc[0]
    assert ab.cw_dist == pytest.approx(100.0) and ab.euc_dist_km == pytest.approx(0.09)
    near = corridor_links(cores, r, drop_through_cores=False, max_euc_dist_km=0.05)
    assert len(near) == 2 and not ((near.core_a == 1) & (near.core_b == 2)).any()
    far = corridor_links(cores, r, drop_through_cores=False, min_euc_dist_km=0.05)
    assert list(zip(far.core_a, far.core_b, strict=True)) == [(1, 2)]
    cheap = corridor_links(cores, r, drop_through_cores=False, max_cw_dist=60)
    assert len(cheap) == 2
    # min_cw_dist (Linkage Mapper minimum CWD): only 1-2 (cw 100) is >= 60
    long_ = corridor_links(cores, r, drop_through_cores=False, min_cw_dist=60)
    assert list(zip(long_.core_a, long_.core_b, strict=True)) == [(1, 2)]
    assert long_.cw_dist.iloc[0] == pytest.approx(100.0)
    none = corridor_links(cores, r, max_euc_dist_km=0.01)
    assert len(none) == 0 and list(none.columns) == [*LINK_COLUMNS, "geometry"]


def test_cw_dist_trapezoid_and_matches_cost_distance():
    # 1-row grid: resistance 1 3 5 3 1, cores at both ends
    r = grid([[1, 3, 5, 3, 1]])
    cores = gpd.GeoDataFrame({"core_id": ["a", "b"]},
                             geometry=[shapely.box(0, 0, 10, 10), shapely.box(40, 0, 50, 10)],
                             crs=UTM)
    links = corridor_links(cores, r)
    assert links.cw_dist.iloc[0] == pytest.approx(20 + 40 + 40 + 20)
    # random raster: cw_dist = min of cost_distance from A over B's cells
    rng = np.random.default_rng(5)
    a = rng.uniform(1, 30, (30, 40))
    r2 = grid(a)
    cores2 = gpd.GeoDataFrame({"core_id": [10, 20, 30]}, geometry=[
        shapely.box(0, 200, 50, 300), shapely.box(300, 0, 400, 60),
        shapely.box(250, 230, 300, 300)], crs=UTM)
    links2 = corridor_links(cores2, r2, drop_through_cores=False)
    for _, row in links2.iterrows():
        ca = cores2[cores2.core_id == row.core_a]
        cb = cores2[cores2.core_id == row.core_b]
        d = cost_distance(r2, ca).array
        from rasterio.features import rasterize
        mb = rasterize([(cb.geometry.iloc[0], 1)], out_shape=r2.shape,
                       transform=r2.transform).astype(bool)
        assert row.cw_dist == pytest.approx(np.nanmin(d[mb]), rel=1e-12)
        xy = shapely.get_coordinates(row.geometry)
        assert ca.geometry.iloc[0].contains(shapely.Point(xy[0]))
        assert cb.geometry.iloc[0].contains(shapely.Point(xy[-1]))


def test_links_bad_inputs():
    r = grid(np.ones((5, 11)))
    cores = three_cores()
    with pytest.raises(SchemaError, match="no 'core_id' column"):
        corridor_links(cores.rename(columns={"core_id": "pid"}), r)
    assert len(corridor_links(cores.rename(columns={"core_id": "pid"}), r, id_col="pid")) == 2
    with pytest.raises(SchemaError, match="duplicate"):
        corridor_links(cores.assign(core_id=[1, 1, 2]), r)
    with pytest.raises(CRSError, match="Reproject"):
        corridor_links(cores.to_crs("EPSG:32643"), r)
    with pytest.raises(CamigeoError, match="Polygons"):
        corridor_links(cores.assign(geometry=cores.centroid), r)
    with pytest.raises(CamigeoError, match="outside"):
        corridor_links(cores.assign(geometry=cores.translate(1e6)), r)


def test_nlcc_identity_and_truncation():
    rng = np.random.default_rng(11)
    a = rng.uniform(1, 20, (25, 30))
    r = grid(a)
    cores = gpd.GeoDataFrame({"core_id": [1, 2]}, geometry=[
        shapely.box(0, 0, 40, 60), shapely.box(250, 180, 300, 250)], crs=UTM)
    links = corridor_links(cores, r)
    nl = normalized_corridors(cores, r, links).array
    assert np.nanmin(nl) >= -1e-9 * links.cw_dist.iloc[0]
    xy = shapely.get_coordinates(links.geometry.iloc[0])
    rows, cols = r.rowcol(xy[:, 0], xy[:, 1])
    np.testing.assert_allclose(nl[rows, cols], 0.0, atol=1e-9 * links.cw_dist.iloc[0])
    # NLCC from two independent cost-distance runs
    da = cost_distance(r, cores.iloc[[0]]).array
    db = cost_distance(r, cores.iloc[[1]]).array
    np.testing.assert_allclose(nl, da + db - links.cw_dist.iloc[0], rtol=1e-12, atol=1e-9)
    slack = 200.0
    cut = normalized_corridors(cores, r, links, cost_slack=slack).array
    assert np.all(np.isnan(cut[nl > slack])) and np.array_equal(cut[nl <= slack],
                                                                 nl[nl <= slack])


def test_nlcc_mosaic_is_min_over_links():
    cores, r = three_cores(), grid(np.random.default_rng(2).uniform(1, 5, (5, 11)))
    links = corridor_links(cores, r, drop_through_cores=False)
    nl = normalized_corridors(cores, r, links).array
    d = [cost_distance(r, cores.iloc[[k]]).array for k in range(3)]
    per = []
    for k, (i, j) in enumerate([(0, 1), (0, 2), (1, 2)]):
        lcd = links.cw_dist.iloc[k]
        per.append(d[i] + d[j] - lcd)
    np.testing.assert_allclose(nl, np.min(per, axis=0), rtol=1e-12, atol=1e-9)
    with pytest.raises(CamigeoError, match="cost_slack"):
        normalized_corridors(cores, r, cost_slack=-1)
    with pytest.raises(CamigeoError, match="not in cores"):
        normalized_corridors(cores, r, links.assign(core_a=99))


def wall_case():
    a = np.ones((3, 7))
    a[:, 3] = 101.0
    cores = gpd.GeoDataFrame({"core_id": [1, 2]}, geometry=[
        shapely.box(0, 0, 10, 30), shapely.box(60, 0, 70, 30)], crs=UTM)
    return cores, grid(a)


def test_barrier_improvement_known_wall():
    cores, r = wall_case()
    # LCD = 4 unit steps (40) + 2 steps onto/off the wall (1+101)/2*10 = 1060
    assert corridor_links(cores, r).cw_dist.iloc[0] == pytest.approx(1060.0)
    s10 = barrier_improvement(cores, r, radii_m=[10]).array
    # centre on the wall: mA = CWD_A(col 2) = 20, mB = 20 -> 1060 - 40 - 20 = 1000 -> /20
    assert s10[1, 3] == pytest.approx(50.0)
    # one cell west: mA = 10, mB = CWD_B(col 3) = 20 + 510 -> 1060 - 540 - 20 = 500 -> /20
    assert s10[1, 2] == pytest.approx(25.0)
    assert s10[1, 0] == 0.0  # no gain at the core
    pct = barrier_improvement(cores, r, radii_m=[10], form="percent").array
    assert pct[1, 3] == pytest.approx(100 * 1000 / 1060)
    ab = barrier_improvement(cores, r, radii_m=[10], form="absolute").array
    assert ab[1, 3] == pytest.approx(1000.0)
    # R = 20: mA = mB = 10, 1060 - 20 - 40 = 1000 -> /40 = 25; max over radii keeps 50
    s20 = barrier_improvement(cores, r, radii_m=[20]).array
    assert s20[1, 3] == pytest.approx(25.0)
    both = barrier_improvement(cores, r, radii_m=[10, 20]).array
    assert both[1, 3] == pytest.approx(50.0)
    assert barrier_improvement(cores, r, radii_m=[10, 20], form="percent").array[1, 3] == \
        pytest.approx(100 * 1000 / 1060)


def test_barrier_improvement_bad_inputs():
    cores, r = wall_case()
    with pytest.raises(CamigeoError, match="form must be"):
        barrier_improvement(cores, r, form="ratio")
    with pytest.raises(CamigeoError, match="radii_m must be >= one cell"):
        barrier_improvement(cores, r, radii_m=[5])
    with pytest.raises(CamigeoError, match="radii_m must be a list of window radii"):
        barrier_improvement(cores, r, radii_m="10")


# ----------------------------------------------------------------- Barrier Mapper on lon/lat
def lonlat(arr, *, dlon, dlat, west, north):
    from affine import Affine

    return Raster(np.asarray(arr, dtype=float), Affine(dlon, 0, west, 0, -dlat, north),
                  "EPSG:4326")


def col_cores(r, c_a, c_b, crs):
    """Two cores filling whole columns c_a and c_b of ``r``."""
    t, h = r.transform, r.height
    boxes = [shapely.box(t.c + c * t.a, t.f + h * t.e, t.c + (c + 1) * t.a, t.f)
             for c in (c_a, c_b)]
    return gpd.GeoDataFrame({"core_id": [1, 2]}, geometry=boxes, crs=crs)


def row_halfwidths(r, radius, row):
    """{row offset: largest |column offset|} of the window of one row (lon/lat)."""
    from camigeo.corridors.barriers import _halfwidths, _WindowGrid

    k = _halfwidths(_WindowGrid.of(r, True), radius, row, row + 1)[0]
    ny = (len(k) - 1) // 2
    return {m - ny: int(v) for m, v in enumerate(k) if v >= 0}


def brute_window_min(r, grid, radius):
    """Oracle: per cell, min of ``grid`` over the cells whose centres are within
    ``radius`` metres by pyproj.Geod.inv (WGS84), tolerance R (1 + 1e-9)."""
    from camigeo.io.crs import GEOD

    h, w = r.shape
    rr, cc = np.mgrid[0:h, 0:w]
    lon = r.transform.c + r.transform.a * (cc.ravel() + 0.5)
    lat = r.transform.f + r.transform.e * (rr.ravel() + 0.5)
    i, j = np.meshgrid(np.arange(h * w), np.arange(h * w), indexing="ij")
    _, _, d = GEOD.inv(lon[i.ravel()], lat[i.ravel()], lon[j.ravel()], lat[j.ravel()])
    inside = np.asarray(d).reshape(h * w, h * w) <= radius * (1 + 1e-9)
    return np.where(inside, np.asarray(grid, float).ravel()[None, :], np.inf
                    ).min(axis=1).reshape(h, w)


def test_barrier_improvement_lonlat_equator_matches_metric_grid():
    from affine import Affine

    from camigeo.corridors.barriers import _disk
    from camigeo.io.crs import GEOD

    a = np.random.default_rng(7).uniform(1, 5, (5, 9))
    a[:, 4] = 50.0
    d = 0.001  # degrees: about 111 m; rows at latitudes 0.002 ... -0.002
    geo = lonlat(a, dlon=d, dlat=d, west=60.0, north=2.5 * d)
    # the equivalent metric grid: the geodesic E-W and N-S steps on the equator
    xm = GEOD.inv(0, 0, d, 0)[2]
    ym = GEOD.inv(0, -d / 2, 0, d / 2)[2]
    met = Raster(a, Affine(xm, 0, 0, 0, -ym, 5 * ym), UTM)
    radius = 250.0  # no cell centre within 1 m of the circle: same windows
    fp = _disk(radius, xm, ym)  # the projected window
    disk = {dr - fp.shape[0] // 2: (n - 1) // 2 for dr, n in enumerate(fp.sum(axis=1))}
    assert disk == {-2: 1, -1: 2, 0: 2, 1: 2, 2: 1}
    for row in range(5):
        assert row_halfwidths(geo, radius, row) == disk
    # tolerance: every geodesic step length differs from its planar counterpart by a
    # relative delta at most, so every CWD and LCD by delta relative and the absolute
    # gain LCD - mA - mB - 2R by at most delta (LCD + mA + mB) <= 3 delta max(LCD)
    from camigeo.corridors import _kernels as K

    lat = 2.5 * d - d * (np.arange(5) + 0.5)
    delta = 0.0
    for dr, dc in K.OFFSETS:
        g = GEOD.inv(np.zeros(5), lat, np.full(5, dc * d), lat - dr * d)[2]
        delta = max(delta, float(np.max(np.abs(g / np.hypot(dc * xm, dr * ym) - 1))))
    assert delta < 1e-5
    g_abs = barrier_improvement(col_cores(geo, 0, 8, "EPSG:4326"), geo, radii_m=[radius],
                                form="absolute", geodesic=True).array
    p_abs = barrier_improvement(col_cores(met, 0, 8, UTM), met, radii_m=[radius],
                                form="absolute").array
    lcd = corridor_links(col_cores(met, 0, 8, UTM), met).cw_dist.iloc[0]
    assert np.nanmax(p_abs) > 0.5 * lcd  # the wall dominates: a real signal to compare
    np.testing.assert_array_equal(np.isnan(g_abs), np.isnan(p_abs))
    assert np.nanmax(np.abs(g_abs - p_abs)) <= 3 * delta * lcd * 1.01


def test_barrier_improvement_lonlat_60n_footprint_and_hand_score():
    from camigeo.io.crs import GEOD

    a = np.ones((5, 15))
    a[:, 7] = 101.0  # N-S wall column
    d = 0.01
    r = lonlat(a, dlon=d, dlat=d, west=60.0, north=60.025)  # rows at 60.02 ... 59.98
    lat = 60.025 - d * (np.arange(5) + 0.5)
    ew = GEOD.inv(np.zeros(5), lat, np.full(5, d), lat)[2]  # about 558 m (cos 60 = 0.5)
    ns = GEOD.inv(0, 60.005, 0, 59.995)[2]  # about 1114 m
    radius = 2.2 * ns
    # by hand: N-S reach floor(2.2) = 2 rows; E-W half-width floor(2.2 ns / ew) =
    # floor(4.39) = 4, on rows +-1 floor(sqrt(2.2^2 - 1) ns / ew) = floor(3.91) = 3, on
    # rows +-2 floor(sqrt(2.2^2 - 4) ns / ew) = floor(1.83) = 1: twice as wide as tall
    for row in (0, 2, 4):
        assert row_halfwidths(r, radius, row) == {-2: 1, -1: 3, 0: 4, 1: 3, 2: 1}
    cores = col_cores(r, 0, 14, "EPSG:4326")
    # least-cost path along the northernmost (narrowest) row: 12 unit steps and two
    # steps onto/off the wall at (1 + 101) / 2
    lcd = 114 * ew[0]
    assert corridor_links(cores, r, geodesic=True).cw_dist.iloc[0] == pytest.approx(
        lcd, rel=1e-12)
    s = barrier_improvement(cores, r, radii_m=[radius], geodesic=True).array
    # centre (2, 7): CWD_A(row, c) = c ew_row west of the wall; the window reaches column
    # 3 on row 2 (3 ew_2), 4 on rows 1/3, 6 on rows 0/4 -> mA = 3 ew_2, mB = 3 ew_2
    assert s[2, 7] == pytest.approx((lcd - 6 * ew[2] - 2 * radius) / (2 * radius),
                                    rel=1e-12)
    # top row: the window is rows 0-2 only -> mA = mB = 3 ew_0
    assert s[0, 7] == pytest.approx((lcd - 6 * ew[0] - 2 * radius) / (2 * radius),
                                    rel=1e-12)
    # on core A: mA = 0, mB = CWD_B(2, 4) = (10 + 100) ew_2 (the wall costs 2 x 51 - 2
    # unit steps more): gain 114 ew_0 - 110 ew_2 - 2R < 0 -> 0
    assert lcd - 110 * ew[2] - 2 * radius < 0
    assert s[2, 0] == 0.0


def test_barrier_window_minimum_equals_geod_brute_force():
    from camigeo.corridors.barriers import _halfwidths, _WindowGrid
    from camigeo.corridors.barriers import window_minima as _window_minima

    # 1-degree cells from 72 N to 40 N: the E-W half-width grows from 2 to 6 cells
    r = lonlat(np.ones((32, 16)), dlon=1.0, dlat=1.0, west=60.0, north=72.0)
    wg = _WindowGrid.of(r, True)
    vals = np.random.default_rng(3).random(r.shape)
    for radius in (150e3, 250e3, 400e3):
        want = brute_window_min(r, vals, radius)
        for method in (None, "footprint", "rows"):  # both exact methods and the choice
            np.testing.assert_array_equal(
                _window_minima({0: vals}, 0, r.height, radius, wg, method=method)[0], want)
            # a band of rows 9..20 reads its halo from the whole grid
            np.testing.assert_array_equal(
                _window_minima({0: vals}, 9, 21, radius, wg, method=method)[0], want[9:21])
            np.testing.assert_array_equal(  # a one-row band at the bottom edge
                _window_minima({0: vals}, 31, 32, radius, wg, method=method)[0], want[31:])
        assert len(np.unique(_halfwidths(wg, radius, 0, r.height), axis=0)) >= 5


def test_barrier_improvement_lonlat_equals_geod_brute_force():
    a = np.random.default_rng(5).uniform(1, 10, (10, 12))
    a[:, 6] = 80.0
    r = lonlat(a, dlon=0.5, dlat=0.5, west=60.0, north=52.0)
    cores = col_cores(r, 0, 11, "EPSG:4326")
    radii = [60e3, 110e3]
    got = barrier_improvement(cores, r, radii_m=radii, geodesic=True).array
    cwd_a = np.nan_to_num(cost_distance(r, cores.iloc[[0]], geodesic=True).array, nan=np.inf)
    cwd_b = np.nan_to_num(cost_distance(r, cores.iloc[[1]], geodesic=True).array, nan=np.inf)
    lcd = cwd_a[:, 11].min()
    want = np.full(r.shape, -np.inf)
    for radius in radii:
        gain = lcd - (brute_window_min(r, cwd_a, radius) + brute_window_min(r, cwd_b, radius)
                      + 2 * radius)
        want = np.maximum(want, np.maximum(gain / (2 * radius), 0.0))
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)
    assert np.max(want) > 1.0


def test_barrier_improvement_geodesic_on_projected_raster():
    cores, r = wall_case()
    with pytest.raises(CRSError, match=r"geodesic=True needs a lon/lat \(geographic\) "
                                       r"resistance raster; this one is in WGS 84 / UTM zone "
                                       r"42N\. Use geodesic=False"):
        barrier_improvement(cores, r, radii_m=[10], geodesic=True)


def test_barrier_improvement_lonlat_without_geodesic():
    r = lonlat(np.ones((4, 6)), dlon=0.01, dlat=0.01, west=60.0, north=45.0)
    with pytest.raises(CRSError, match=r"barrier_improvement: the resistance raster is in "
                                       r"WGS 84 \(degrees\) but geodesic=False; pass "
                                       r"geodesic=True .* or reproject"):
        barrier_improvement(col_cores(r, 0, 5, "EPSG:4326"), r, radii_m=[2000])


def test_barrier_improvement_lonlat_radius_below_one_cell():
    from camigeo.io.crs import GEOD

    # 1-degree cells 40-72 N: E-W steps 84.7 km (40.5 N) ... 35.3 km (71.5 N); N-S 111 km
    r = lonlat(np.ones((32, 16)), dlon=1.0, dlat=1.0, west=60.0, north=72.0)
    one = GEOD.inv(0, 40.5, 1.0, 40.5)[2]
    with pytest.raises(CamigeoError, match=rf"radii_m must be >= one cell \({one:.6g} m on "
                                           r"the equator-most row.*got \[50000\.0\]"):
        barrier_improvement(col_cores(r, 0, 15, "EPSG:4326"), r, radii_m=[50_000],
                            geodesic=True)


def test_barrier_improvement_radius_not_finite():
    cores, r = wall_case()
    with pytest.raises(CamigeoError, match=r"radii_m must be finite window radii in metres; "
                                           r"got \[nan\]"):
        barrier_improvement(cores, r, radii_m=[float("nan")])


def test_links_geodesic_lonlat_and_progress():
    from affine import Affine

    from camigeo.io.crs import GEOD

    a = np.random.default_rng(4).uniform(1, 4, (6, 10))
    r = Raster(a, Affine(0.1, 0, 60.0, 0, -0.1, 45.0), "EPSG:4326")
    cores = gpd.GeoDataFrame({"core_id": [1, 2]}, geometry=[
        shapely.box(60.0, 44.4, 60.2, 45.0), shapely.box(60.8, 44.4, 61.0, 45.0)],
        crs="EPSG:4326")
    links = corridor_links(cores, r, geodesic=True, progress=True)
    d = cost_distance(r, cores.iloc[[0]], geodesic=True).array
    assert links.cw_dist.iloc[0] == pytest.approx(np.nanmin(d[:, 8:]), rel=1e-12)
    # edge to edge: the 0.6 degree gap along a parallel, geodesic
    lat = float(shapely.get_coordinates(shapely.shortest_line(
        cores.geometry.iloc[0], cores.geometry.iloc[1]))[0][1])
    _, _, gap = GEOD.inv(60.2, lat, 60.8, lat)
    assert links.euc_dist_km.iloc[0] == pytest.approx(gap / 1000, rel=1e-9)
    with pytest.raises(CRSError, match="geodesic=True"):
        corridor_links(cores, r)


def test_links_bad_filters_and_bad_links_table():
    cores, r = three_cores(), grid(np.ones((5, 11)))
    with pytest.raises(CamigeoError, match="max_cw_dist must be a number >= 0"):
        corridor_links(cores, r, max_cw_dist=-1)
    with pytest.raises(CamigeoError, match="max_euc_dist_km must be a number >= 0"):
        corridor_links(cores, r, max_euc_dist_km=float("nan"))
    with pytest.raises(CamigeoError, match="min_euc_dist_km must be a number >= 0"):
        corridor_links(cores, r, min_euc_dist_km="5")
    with pytest.raises(CamigeoError, match=r"min_euc_dist_km \(2\) is larger than"):
        corridor_links(cores, r, min_euc_dist_km=2, max_euc_dist_km=1)
    with pytest.raises(CamigeoError, match="min_cw_dist must be a number >= 0"):
        corridor_links(cores, r, min_cw_dist=-1.0)
    with pytest.raises(CamigeoError, match=r"min_cw_dist \(70\) is larger than max_cw_dist"):
        corridor_links(cores, r, min_cw_dist=70, max_cw_dist=60)
    with pytest.raises(CamigeoError, match="links must be the link table"):
        normalized_corridors(cores, r, links=5)
    with pytest.raises(CamigeoError, match="links must be the link table"):
        barrier_improvement(cores, r, links=[(1, 3)], radii_m=[10])


def test_docs_end_to_end_example():
    """Run the end-to-end example of docs/corridors.md and check the numbers it states."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "corridors.md").read_text()
    block = text.split("## End-to-end example (runnable)")[1].split("```python\n")[1]
    ns: dict = {}
    exec(compile(block.split("```")[0], "docs/corridors.md", "exec"), ns)  # noqa: S102
    links = ns["links"]
    assert len(links) == 1
    # 49 steps of 250 m: 47 between unit cells + 2 onto/off a 1000 fence cell
    assert links.cw_dist.iloc[0] == pytest.approx(47 * 250 + 2 * (1 + 1000) / 2 * 250)
    assert links.lcp_length_km.iloc[0] == pytest.approx(49 * 0.25)
    assert links.euc_dist_km.iloc[0] == pytest.approx(12.0)
    assert np.nanmax(ns["gain"].array) == pytest.approx(100 * (262_000 - 12_250) / 262_000)
    top = ns["ranked"].head(3)
    assert top["delta_cw_dist_sum"].tolist() == pytest.approx([262_000 - 12_250] * 3)
    assert sorted(top["along_km"]) == pytest.approx([3.0, 5.0, 7.0])


def test_min_cw_dist_on_the_dask_path():
    pytest.importorskip("dask")
    cores, r = three_cores(), grid(np.ones((5, 11)))
    out = corridor_links(cores, r, drop_through_cores=False, min_cw_dist=60,
                         scheduler="synchronous")
    assert list(zip(out.core_a, out.core_b, strict=True)) == [(1, 2)]


# ----------------------------------------------------------------------------- adjacency
def pairs_of(links):
    return {(a, b) for a, b in zip(links.core_a, links.core_b, strict=True)}


def test_core_adjacency_three_in_a_row():
    # columns 0 (id 1), 5 (id 3), 10 (id 2) on 5 x 11 unit cells: zones are columns 0-2,
    # 3-7 and 8-10 (both methods); the boundary 2|3 has 5 edge pairs + 2 x 4 diagonal pairs
    cores, r = three_cores(), grid(np.ones((5, 11)))
    for method in ("cost", "euclidean"):
        adj = core_adjacency(cores, r, method=method)
        assert list(adj.columns) == list(ADJACENCY_COLUMNS)
        assert adj.values.tolist() == [[1, 3, 13], [3, 2, 13]]
        assert core_adjacency(cores, r, method=method, connectivity=4).values.tolist() == \
            [[1, 3, 5], [3, 2, 5]]
    # 1-2 is no candidate with the adjacency network (zone 3 separates them)
    assert pairs_of(corridor_links(cores, r, adjacency="cost", drop_through_cores=False)) \
        == {(1, 3), (3, 2)}
    every = corridor_links(cores, r, adjacency="all", drop_through_cores=False)
    assert pairs_of(every) == {(1, 3), (3, 2), (1, 2)}


def ring_case():
    """A (col 0), B (cell 3,5) in a NaN ring with one resistance-20 gap west, C (col 11)."""
    a = np.ones((7, 12))
    a[2:5, 4:7] = np.nan
    a[3, 5] = 1.0  # B
    a[3, 4] = 20.0  # the gap

    def box(r0, c0, r1, c1):
        return shapely.box(c0 * 10, (7 - r1) * 10, c1 * 10, (7 - r0) * 10)

    cores = gpd.GeoDataFrame({"core_id": ["A", "B", "C"]},
                             geometry=[box(0, 0, 7, 1), box(3, 5, 4, 6), box(0, 11, 7, 12)],
                             crs=UTM)
    return cores, grid(a)


def test_cost_and_euclidean_adjacency_differ_and_both_is_the_union():
    cores, r = ring_case()
    # cost zones: B keeps only itself and the gap (3,4) (B reaches it for (1+20)/2*10 =
    # 105, A for 30 + 105); every cell next to the gap is A's (e.g. (3,3): A 30, B 210).
    # A and C meet between columns 5 and 6 in rows 0-1 and 5-6 (A 50 < C 60, C 50 < A 60):
    # 2 edge + 2 diagonal pairs above and below the ring -> 8; A-B: (3,4) with (2..4,3) -> 3
    cost = core_adjacency(cores, r, method="cost")
    assert cost.values.tolist() == [["A", "B", 3], ["A", "C", 8]]
    # Euclidean zones ignore resistance: columns 5 and 6 are B's in every row (B at most
    # sqrt(9 + 1) < 5 cells away, A and C at least 5), so B separates A from C
    euc = core_adjacency(cores, r, method="euclidean")
    assert {tuple(x) for x in euc[["core_a", "core_b"]].values.tolist()} == \
        {("A", "B"), ("B", "C")}
    kw = {"drop_through_cores": False}
    by = {adj: corridor_links(cores, r, adjacency=adj, **kw)
          for adj in ("all", "cost", "euclidean", "both")}
    assert pairs_of(by["cost"]) == {("A", "B"), ("A", "C")}
    assert pairs_of(by["euclidean"]) == {("A", "B"), ("B", "C")}
    assert pairs_of(by["both"]) == pairs_of(by["cost"]) | pairs_of(by["euclidean"])
    assert pairs_of(by["both"]) == pairs_of(by["all"])
    cw = by["both"].set_index(["core_a", "core_b"]).cw_dist
    assert cw[("A", "B")] == pytest.approx(30 + 105 + 105)  # onto and off the gap
    assert cw[("A", "C")] == pytest.approx(110.0)  # along row 0
    # B -> gap -> (3,3) -> (2,3) -> diagonal to (1,4) -> 7 steps east along row 1
    assert cw[("B", "C")] == pytest.approx(105 + 105 + 10 + 10 * np.sqrt(2) + 70)


def _loop_adjacency(zones):
    """Touching zone pairs and counts by an explicit loop over cells (8 neighbours)."""
    out: dict = {}
    h, w = zones.shape
    for i in range(h):
        for j in range(w):
            for di, dj in ((0, 1), (1, 0), (1, 1), (1, -1)):
                k, m = i + di, j + dj
                if 0 <= k < h and 0 <= m < w:
                    a, b = zones[i, j], zones[k, m]
                    if a >= 0 and b >= 0 and a != b:
                        key = (min(a, b), max(a, b))
                        out[key] = out.get(key, 0) + 1
    return out


def random_cores_case():
    rng = np.random.default_rng(21)
    a = rng.uniform(1, 30, (30, 40))
    a[rng.random(a.shape) < 0.08] = np.nan
    boxes = [(0, 0, 4, 5), (2, 30, 6, 36), (13, 15, 17, 20), (24, 2, 29, 8),
             (22, 31, 28, 38), (10, 36, 13, 40)]
    for r0, c0, r1, c1 in boxes:
        a[r0:r1, c0:c1] = rng.uniform(1, 30, (r1 - r0, c1 - c0))
    cores = gpd.GeoDataFrame({"core_id": [5, 4, 3, 2, 1, 0]}, geometry=[
        shapely.box(c0 * 10, (30 - r1) * 10, c1 * 10, (30 - r0) * 10)
        for r0, c0, r1, c1 in boxes], crs=UTM)
    return cores, grid(a), boxes


def test_cost_adjacency_equals_skimage_zones():
    # zones from skimage MCP_Geometric (one run per core, argmin), adjacency by a loop
    from skimage.graph import MCP_Geometric

    cores, r, boxes = random_cores_case()
    a = r.array
    costs = []
    for r0, c0, r1, c1 in boxes:
        mcp = MCP_Geometric(np.where(np.isnan(a), np.inf, a), fully_connected=True,
                            sampling=(10.0, 10.0))
        d, _ = mcp.find_costs([(i, j) for i in range(r0, r1) for j in range(c0, c1)])
        costs.append(d)
    costs = np.array(costs)
    zones = np.where(np.isfinite(costs.min(axis=0)), costs.argmin(axis=0), -1)
    srt = np.sort(costs, axis=0)
    assert not np.any((srt[0] == srt[1]) & np.isfinite(srt[0]))  # no ties
    ref = _loop_adjacency(zones)
    ids = cores.core_id.to_numpy()
    got = core_adjacency(cores, r, method="cost")
    assert len(ref) >= 7
    assert {(a_, b_): n for a_, b_, n in got.values.tolist()} == \
        {(ids[i], ids[j]): n for (i, j), n in ref.items()}


def test_euclidean_zones_are_nearest_core_cells():
    from camigeo.corridors.adjacency import _euclidean_zones, _touching
    from camigeo.corridors.cores import prepare_cores as _prepare_cores

    cores, r, boxes = random_cores_case()
    zones = _euclidean_zones(_prepare_cores(cores, r, None))
    rr, cc = np.indices(r.shape)
    d = []  # brute force: distance (cells) from every cell to the nearest cell of each core
    for r0, c0, r1, c1 in boxes:
        ci, cj = np.mgrid[r0:r1, c0:c1]
        d.append(np.hypot(rr[..., None] - ci.ravel(), cc[..., None] - cj.ravel()).min(-1))
    d = np.array(d)
    # every cell (nodata included) goes to a nearest core
    assert np.all(zones >= 0)
    np.testing.assert_allclose(np.take_along_axis(d, zones[None], 0)[0], d.min(axis=0))
    a_, b_, n = _touching(zones, len(boxes))
    assert dict(zip(zip(a_.tolist(), b_.tolist(), strict=True), n.tolist(),
                    strict=True)) == _loop_adjacency(zones)


def four_in_a_row():
    # 3 x 12 cells of 10 m; cores fill columns 0 (A), 3 (B), 9 (C), 11 (D); column 10 has
    # resistance 10, so C-D costs 2 x (1 + 10)/2 x 10 = 110 although they are 10 m apart
    a = np.ones((3, 12))
    a[:, 10] = 10.0
    cores = gpd.GeoDataFrame({"core_id": list("ABCD")}, geometry=[
        shapely.box(c * 10, 0, c * 10 + 10, 30) for c in (0, 3, 9, 11)], crs=UTM)
    return cores, grid(a)


def test_nearest_neighbor_pruning_by_cw_and_euclidean():
    cores, r = four_in_a_row()
    kw = {"drop_through_cores": False}
    every = corridor_links(cores, r, **kw).set_index(["core_a", "core_b"])
    # hand values: cw A-B 30, B-C 60, C-D 110, A-C 90, A-D 200, B-D 170;
    # edge-to-edge km A-B .02, B-C .05, C-D .01, A-C .08, A-D .10, B-D .07
    np.testing.assert_allclose(every.cw_dist.sort_index().values,
                               [30, 90, 200, 60, 170, 110])  # AB AC AD BC BD CD
    np.testing.assert_allclose(every.euc_dist_km.sort_index().values,
                               [.02, .08, .10, .05, .07, .01])
    # k=1 by cw: A->B, B->A, C->B (60 < 90 < 110), D->C (110 < 170 < 200)
    nn = corridor_links(cores, r, nearest_neighbors=1, **kw)
    assert pairs_of(nn) == {("A", "B"), ("B", "C"), ("C", "D")}
    # k=1 by Euclidean distance: C and D pick each other -> two clusters
    nn_e = corridor_links(cores, r, nearest_neighbors=1, nearest_by="euc_dist_km", **kw)
    assert pairs_of(nn_e) == {("A", "B"), ("C", "D")}
    # connecting the clusters adds their nearest pair B-C (0.05 < B-D .07 < A-C .08)
    joined = corridor_links(cores, r, nearest_neighbors=1, nearest_by="euc_dist_km",
                            connect_clusters=True, **kw)
    assert pairs_of(joined) == {("A", "B"), ("B", "C"), ("C", "D")}
    # k=2 by cw: A {B, C}, B {A, C}, C {B, A}, D {C, B}: only A-D (the 2 costliest
    # for both A and D) goes
    nn2 = corridor_links(cores, r, nearest_neighbors=2, **kw)
    assert pairs_of(nn2) == set(every.index) - {("A", "D")}
    # pruned rows keep their values and input order
    assert nn.cw_dist.tolist() == pytest.approx([30.0, 60.0, 110.0])


def test_connect_clusters_repeats_until_connected():
    # 1 x 31 cells, single-cell cores at columns 0 2 8 10 20 22 28 30: nearest pairs
    # (cw 20) form 4 clusters; round 1 joins {AB}+{CD} by B-C (60) and {EF}+{GH} by F-G
    # (60); round 2 joins the two by D-E (100)
    cols = [0, 2, 8, 10, 20, 22, 28, 30]
    cores = gpd.GeoDataFrame({"core_id": list("ABCDEFGH")}, geometry=[
        shapely.box(c * 10, 0, c * 10 + 10, 10) for c in cols], crs=UTM)
    r = grid(np.ones((1, 31)))
    nn = corridor_links(cores, r, nearest_neighbors=1)
    assert pairs_of(nn) == {("A", "B"), ("C", "D"), ("E", "F"), ("G", "H")}
    joined = corridor_links(cores, r, nearest_neighbors=1, connect_clusters=True)
    assert pairs_of(joined) == {tuple(p) for p in zip("ABCDEFG", "BCDEFGH", strict=True)}
    assert sorted(joined.cw_dist) == pytest.approx([20] * 4 + [60, 60, 100])


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"adjacency": "cost-weighted"}, r"adjacency must be one of 'all', 'cost', "
                                     r"'euclidean', 'both'.*got 'cost-weighted'"),
    ({"nearest_neighbors": 0}, r"nearest_neighbors must be a whole number >= 1.*got 0"),
    ({"nearest_neighbors": 1.5}, r"nearest_neighbors must be a whole number >= 1.*got 1.5"),
    ({"nearest_neighbors": True}, r"nearest_neighbors must be a whole number.*got True"),
    ({"nearest_by": "euclidean"}, r"nearest_by must be 'cw_dist'.*or 'euc_dist_km'.*"
                                  r"got 'euclidean'"),
    ({"connect_clusters": "yes"}, r"connect_clusters must be True or False; got 'yes'"),
    ({"connect_clusters": True}, r"connect_clusters=True .* pass nearest_neighbors=<k>"),
])
def test_network_bad_inputs(kwargs, match):
    with pytest.raises(CamigeoError, match=match):
        corridor_links(three_cores(), grid(np.ones((5, 11))), **kwargs)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"method": "both"}, r"method must be 'cost' .* or 'euclidean' .*got 'both'"),
    ({"connectivity": 6}, r"connectivity must be 8 .* or 4 .*got 6"),
])
def test_core_adjacency_bad_inputs(kwargs, match):
    with pytest.raises(CamigeoError, match=match):
        core_adjacency(three_cores(), grid(np.ones((5, 11))), **kwargs)


def test_core_adjacency_bad_cores():
    with pytest.raises(SchemaError, match="no 'core_id' column"):
        core_adjacency(three_cores().rename(columns={"core_id": "pid"}),
                       grid(np.ones((5, 11))))


def test_connect_clusters_equals_networkx_spanning_forest():
    # Borůvka on the clusters: the added links form a minimum spanning forest of the graph
    # in which the kept nearest-neighbour links cost 0 (networkx as the peer)
    import networkx as nx
    import pandas as pd

    from camigeo.corridors.adjacency import prune_nearest as _prune_nearest

    rng = np.random.default_rng(3)
    n = 16
    ids = np.arange(100, 100 + n)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.5]
    links = pd.DataFrame({"core_a": [ids[i] for i, _ in pairs],
                          "core_b": [ids[j] for _, j in pairs],
                          "cw_dist": rng.uniform(1, 100, len(pairs))})
    nn = _prune_nearest(links, ids, k=1, by="cw_dist", connect=False)
    joined = _prune_nearest(links, ids, k=1, by="cw_dist", connect=True)
    key = list(zip(joined.core_a, joined.core_b, strict=True))
    nn_key = set(zip(nn.core_a, nn.core_b, strict=True))
    assert nn_key <= set(key) and len(nn_key) < len(key)
    g = nx.Graph()
    g.add_nodes_from(ids.tolist())
    for a, b, d in links.itertuples(index=False):
        g.add_edge(a, b, weight=0.0 if (a, b) in nn_key else d)
    mst = nx.minimum_spanning_tree(g)
    added = joined[[k not in nn_key for k in key]]
    assert added.cw_dist.sum() == pytest.approx(mst.size(weight="weight"))
    pruned = nx.Graph(key)
    pruned.add_nodes_from(ids.tolist())
    assert nx.number_connected_components(pruned) == nx.number_connected_components(g)


def test_euclidean_zones_lonlat_use_metres():
    # 0.1 degree cells at 59-60 N: a cell is about half as wide (5.6 km) as high (11.1 km),
    # so the Euclidean zones follow metres, not degrees
    from affine import Affine

    from camigeo.corridors.adjacency import _euclidean_zones, _spacing
    from camigeo.corridors.cores import prepare_cores as _prepare_cores
    from camigeo.io.crs import GEOD

    r = Raster(np.ones((10, 12)), Affine(0.1, 0, 60.0, 0, -0.1, 60.0), "EPSG:4326")
    dy, dx = _spacing(r)
    assert dy == pytest.approx(GEOD.inv(60.0, 59.5, 60.0, 59.6)[2])
    assert dx == pytest.approx(GEOD.inv(60.0, 59.5, 60.1, 59.5)[2])
    assert 0.49 < dx / dy < 0.52
    cells = [(1, 1), (8, 2), (4, 10)]  # single-cell cores (row, col)
    cores = gpd.GeoDataFrame({"core_id": [1, 2, 3]}, geometry=[
        shapely.box(60.0 + c * 0.1 + 0.02, 60.0 - (rr + 1) * 0.1 + 0.02,
                    60.0 + (c + 1) * 0.1 - 0.02, 60.0 - rr * 0.1 - 0.02)
        for rr, c in cells], crs="EPSG:4326")
    zones = _euclidean_zones(_prepare_cores(cores, r, None))
    rr, cc = np.indices(r.shape)
    metres = np.array([np.hypot((rr - a) * dy, (cc - b) * dx) for a, b in cells])
    degrees = np.array([np.hypot(rr - a, cc - b) for a, b in cells])
    np.testing.assert_array_equal(zones, metres.argmin(axis=0))
    assert (zones != degrees.argmin(axis=0)).sum() > 5
