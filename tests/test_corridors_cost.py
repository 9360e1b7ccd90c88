"""Cost distance, allocation and least-cost paths: hand grids and skimage equality."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from camigeo import CamigeoError, CRSError, Raster
from camigeo.corridors import CostDistanceResult, allocation, cost_distance, least_cost_path
from camigeo.io.crs import GEOD

UTM = "EPSG:32642"
S2 = math.sqrt(2.0)


def grid(arr, cellsize=10.0, crs=UTM, nodata=None):
    return Raster.from_array(np.asarray(arr, dtype=float), cellsize=cellsize, crs=crs,
                             nodata=nodata)


def start8():
    a = np.ones((5, 5))
    a[0, 0] = 8.0
    return grid(a)


def test_grass_convention_hand_values():
    # 10 m cells, start cell cost 8, all others 1.
    d = cost_distance(start8(), [(0, 0)]).array
    assert d[0, 0] == 0.0
    assert d[0, 1] == pytest.approx((8 + 1) / 2 * 10)  # 45.0
    assert d[1, 0] == pytest.approx(45.0)
    # (1,1): via (0,1) then south 45 + 10 = 55 beats the diagonal (8+1)/2*14.142 = 63.64
    assert d[1, 1] == pytest.approx(55.0)
    # (1,2): 45 + one diagonal of cost-1 cells = 59.1421
    assert d[1, 2] == pytest.approx(45 + 10 * S2, rel=1e-12)
    assert d[1, 2] == pytest.approx(59.1421, abs=1e-4)
    # far corner: 45 + 10 + 3 diagonals
    assert d[4, 4] == pytest.approx(55 + 30 * S2, rel=1e-12)


def test_grass_whole_grid_formula():
    d = cost_distance(start8(), [(0, 0)]).array

    def octile(r, c, r0, c0):
        dr, dc = abs(r - r0), abs(c - c0)
        return 10 * (max(dr, dc) - min(dr, dc)) + 10 * S2 * min(dr, dc)

    for r in range(5):
        for c in range(5):
            if (r, c) == (0, 0):
                continue
            want = 45 + min(octile(r, c, 0, 1), octile(r, c, 1, 0))
            assert d[r, c] == pytest.approx(want, rel=1e-12), (r, c)


def test_four_neighbours():
    d = cost_distance(start8(), [(0, 0)], neighbors=4).array
    assert d[4, 4] == pytest.approx(45 + 70)
    assert d[2, 3] == pytest.approx(45 + 40)


def test_knight_move_hand_value():
    a = np.ones((5, 5))
    a[1, 0] = a[1, 1] = 2.0
    d16 = cost_distance(grid(a), [(0, 0)], neighbors=16).array
    # knight (0,0)->(2,1) crosses (1,0) and (1,1): (1 + 2 + 2 + 1)/4 * sqrt(5)*10
    assert d16[2, 1] == pytest.approx(15 * math.sqrt(5), rel=1e-12)
    # without knight moves: via (1,0): (1+2)/2*10 + (2+1)/2*14.142
    d8 = cost_distance(grid(a), [(0, 0)], neighbors=8).array
    assert d8[2, 1] == pytest.approx(15 + 15 * S2, rel=1e-12)
    # uniform: knight length sqrt(5) * 10
    d = cost_distance(grid(np.ones((5, 5))), [(2, 2)], neighbors=16).array
    assert d[0, 1] == pytest.approx(10 * math.sqrt(5))
    assert d[3, 4] == pytest.approx(10 * math.sqrt(5))


def test_knight_blocked_by_impassable_intermediate():
    a = np.ones((3, 2))
    a[1, 1] = np.nan
    d = cost_distance(grid(a), [(0, 0)], neighbors=16).array
    # knight (0,0)->(2,1) would cross (1,1)=NaN: blocked; go (1,0) then diagonal
    assert d[2, 1] == pytest.approx(10 + 10 * S2)


@pytest.mark.parametrize("neighbors", [4, 8])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_equals_skimage_mcp_geometric(seed, neighbors):
    from skimage.graph import MCP_Geometric

    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 20.0, (37, 43))
    holes = rng.random(a.shape) < 0.15
    a[holes] = -9999.0
    a[rng.random(a.shape) < 0.05] = np.nan
    srcs = [(0, 0), (20, 30), (36, 5)]
    for s in srcs:
        a[s] = 1.0
    r = Raster.from_array(a, cellsize=25.0, crs=UTM, nodata=-9999.0)
    ours = cost_distance(r, srcs, neighbors=neighbors).array
    sk = np.where(np.isnan(a) | (a == -9999.0), np.inf, a)
    mcp = MCP_Geometric(sk, fully_connected=neighbors == 8, sampling=(25.0, 25.0))
    ref, _ = mcp.find_costs(srcs)
    ref = np.where(np.isinf(ref), np.nan, ref)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    ok = ~np.isnan(ref)
    np.testing.assert_allclose(ours[ok], ref[ok], rtol=1e-9, atol=0)


@pytest.mark.parametrize("neighbors", [4, 8])
def test_zero_cost_cells_heap_path_equals_skimage(neighbors):
    # zero resistance disables the bucket queue (no positive minimum step): heap path
    from skimage.graph import MCP_Geometric

    rng = np.random.default_rng(7)
    a = rng.uniform(0, 5, (60, 50))
    a[rng.random(a.shape) < 0.2] = 0.0
    a[rng.random(a.shape) < 0.1] = np.nan
    srcs = [(0, 0), (59, 49)]
    for s in srcs:
        a[s] = 1.0
    ours = cost_distance(grid(a, cellsize=30.0), srcs, neighbors=neighbors).array
    mcp = MCP_Geometric(np.where(np.isnan(a), np.inf, a), fully_connected=neighbors == 8,
                        sampling=(30.0, 30.0))
    ref, _ = mcp.find_costs(srcs)
    ref = np.where(np.isinf(ref), np.nan, ref)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    ok = ~np.isnan(ref)
    np.testing.assert_allclose(ours[ok], ref[ok], rtol=1e-9, atol=1e-12)


def test_bucket_and_heap_queues_agree_with_knights_and_backlinks():
    from camigeo.corridors import _kernels as K
    from camigeo.corridors.cost import bucket_plan as _bucket_plan
    from camigeo.corridors.cost import step_lengths as _step_lengths

    rng = np.random.default_rng(3)
    a = rng.uniform(1, 1000, (80, 90)) ** 0.5
    a[rng.random(a.shape) < 0.1] = np.nan
    r = grid(a)
    steps = _step_lengths(r, False)
    w, nb = _bucket_plan(a, 0.0, False, steps[:, :16])
    assert w > 0  # bucket queue in use
    src = np.array([5 * 90 + 5, 70 * 90 + 80], np.int64)
    lab = np.array([1, 2], np.int32)
    out_b = K.dijkstra(a, 0.0, False, src, lab, 16, steps, K.INTERMEDIATES, 0, np.inf,
                       np.inf, True, True, w, nb)
    out_h = K.dijkstra(a, 0.0, False, src, lab, 16, steps, K.INTERMEDIATES, 0, np.inf,
                       np.inf, True, True, 0.0, 1)
    np.testing.assert_allclose(out_b[0], out_h[0], rtol=1e-12)
    # every back-link chain ends at a source and re-adds to the same cost
    d = out_b[0]
    for rr, cc in [(40, 40), (79, 0), (0, 89)]:
        if np.isfinite(d[rr, cc]):
            rows, cols = K.trace_back(out_b[1], rr, cc)
            assert rows[-1] * 90 + cols[-1] in src


def test_float32_and_integer_resistance():
    a = np.ones((5, 5))
    a[0, 0] = 8
    d32 = cost_distance(Raster.from_array(a.astype(np.float32), cellsize=10, crs=UTM),
                        [(0, 0)]).array
    di = cost_distance(Raster.from_array(a.astype(np.int16), cellsize=10, crs=UTM),
                       [(0, 0)]).array
    assert d32[1, 2] == pytest.approx(45 + 10 * S2)
    assert di[1, 2] == pytest.approx(45 + 10 * S2)


def test_integer_nodata_impassable():
    a = np.ones((1, 5), dtype=np.int16)
    a[0, 2] = -1
    r = Raster.from_array(a, cellsize=10, crs=UTM, nodata=-1)
    d = cost_distance(r, [(0, 0)]).array
    assert d[0, 1] == 10.0
    assert np.isnan(d[0, 2]) and np.isnan(d[0, 4])


def test_nan_inf_negative_impassable_no_crash():
    a = np.ones((3, 5))
    a[:, 2] = [np.nan, np.inf, -3.0]
    d = cost_distance(grid(a), [(1, 0)]).array
    assert np.isnan(d[:, 2:]).all()
    assert d[1, 1] == 10.0


def test_all_nan_sources_raise():
    a = np.full((3, 3), np.nan)
    with pytest.raises(CamigeoError, match="every sources cell is impassable"):
        cost_distance(grid(a), [(1, 1)])


def test_some_sources_impassable_warn():
    a = np.ones((3, 3))
    a[0, 0] = np.nan
    from camigeo import CamigeoWarning
    with pytest.warns(CamigeoWarning, match="1 sources cell"):
        d = cost_distance(grid(a), [(0, 0), (2, 2)]).array
    assert d[2, 2] == 0.0


def test_block_corners_diagonal_wall():
    # anti-diagonal wall of impassable cells: 8-neighbour moves slip between them
    a = np.ones((5, 5))
    for i in range(5):
        a[i, 4 - i] = np.nan
    leaky = cost_distance(grid(a), [(0, 0)]).array
    assert np.isfinite(leaky[4, 4])  # GRASS/skimage rule leaks through the corners
    tight = cost_distance(grid(a), [(0, 0)], block_corners=True).array
    assert np.isnan(tight[4, 4])
    # finite wall (resistance 1000) counts as blocking with a threshold
    b = np.ones((5, 5))
    for i in range(5):
        b[i, 4 - i] = 1000.0
    free = cost_distance(grid(b), [(0, 0)]).array[4, 4]
    # slips diagonally between (1,3) and (2,2): 2 straight + 3 diagonal unit steps
    assert free == pytest.approx(20 + 30 * S2, rel=1e-12)
    walled = cost_distance(grid(b), [(0, 0)], block_corners=500.0).array[4, 4]
    # must step on a wall cell: at least (1 + 1000)/2 * 10 twice
    assert walled >= 1001 * 10


def test_polygon_and_point_sources_and_allocation():
    r = grid(np.ones((6, 6)))  # x 0..60, y 0..60
    poly = shapely.box(0, 40, 20, 60)  # top-left 2x2 cells
    pt = shapely.Point(55, 5)  # bottom-right cell
    src = gpd.GeoDataFrame({"core_id": [7, 9]}, geometry=[poly, pt], crs=UTM)
    res = cost_distance(r, src, id_col="core_id", return_allocation=True,
                        return_traceback=True)
    assert isinstance(res, CostDistanceResult)
    d = res.cost.array
    assert (d[:2, :2] == 0).all() and d[5, 5] == 0
    assert d[0, 2] == 10.0
    al = res.allocation.array
    assert al[0, 0] == 7 and al[5, 5] == 9 and al[1, 2] == 7 and al[4, 4] == 9
    assert res.traceback.array[0, 0] == -1
    al2 = allocation(r, src)
    assert al2.array[0, 0] == 0 and al2.array[5, 5] == 1


def test_bool_and_label_raster_sources():
    r = grid(np.ones((3, 3)))
    m = np.zeros((3, 3), bool)
    m[1, 1] = True
    assert cost_distance(r, m).array[0, 1] == 10.0
    lab = np.zeros((3, 3), int)
    lab[0, 0], lab[2, 2] = 3, 5
    al = allocation(r, lab).array
    assert al[0, 0] == 3 and al[2, 2] == 5 and al[0, 1] == 3


def test_max_cost_cuts():
    d = cost_distance(grid(np.ones((1, 10))), [(0, 0)], max_cost=35).array
    assert d[0, 3] == 30.0 and np.isnan(d[0, 4])


def test_geodesic_step_lengths():
    a = np.ones((3, 4))
    r = Raster(a, __import__("affine").Affine(0.5, 0, 60.0, 0, -0.5, 45.0), "EPSG:4326")
    d = cost_distance(r, [(1, 0)], geodesic=True).array
    lat = 45.0 - 0.75
    _, _, ew = GEOD.inv(60.25, lat, 60.75, lat)
    _, _, ns = GEOD.inv(60.25, lat, 60.25, lat - 0.5)
    _, _, dg = GEOD.inv(60.25, lat, 60.75, lat - 0.5)
    assert d[1, 1] == pytest.approx(ew, rel=1e-12)
    assert d[2, 0] == pytest.approx(ns, rel=1e-12)
    assert d[2, 1] == pytest.approx(min(dg, ns + GEOD.inv(60.25, lat - .5, 60.75, lat - .5)[2]))


def test_geographic_without_geodesic_raises():
    r = Raster.from_array(np.ones((3, 3)), cellsize=0.1, crs="EPSG:4326")
    with pytest.raises(CRSError, match="geodesic=True"):
        cost_distance(r, [(0, 0)])
    with pytest.raises(CRSError, match="needs a lon/lat"):
        cost_distance(grid(np.ones((3, 3))), [(0, 0)], geodesic=True)


def test_bad_inputs():
    r = grid(np.ones((3, 3)))
    with pytest.raises(CamigeoError, match="neighbors must be 4, 8 or 16"):
        cost_distance(r, [(0, 0)], neighbors=6)
    with pytest.raises(CamigeoError, match="bare numpy array"):
        cost_distance(np.ones((3, 3)), [(0, 0)])
    with pytest.raises(CamigeoError, match=r"lies outside the raster"):
        cost_distance(r, [(5, 0)])
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(1, 1)], crs="EPSG:32643")
    with pytest.raises(CRSError, match="Reproject"):
        cost_distance(r, pts)
    with pytest.raises(CamigeoError, match="must be a GeoDataFrame"):
        cost_distance(r, 3.5)
    with pytest.raises(CamigeoError, match="shape"):
        cost_distance(r, np.zeros((2, 2), bool))


def test_least_cost_path_values():
    a = np.ones((5, 5))
    a[1:4, 2] = 100.0  # wall in the middle column, open at rows 0 and 4
    r = grid(a, cellsize=1000.0)
    p = least_cost_path(r, [(2, 0)], [(2, 4)])
    assert list(p.columns) == ["cost", "length_km", "n_cells", "geometry"]
    d = cost_distance(r, [(2, 0)]).array[2, 4]
    assert p["cost"].iloc[0] == pytest.approx(d)
    # 2 diagonals up, 2 straight, ... : path around the wall through row 0 or 4
    line = p.geometry.iloc[0]
    xs, ys = shapely.get_coordinates(line).T
    rows, cols = r.rowcol(xs, ys)
    assert not np.any((cols == 2) & (rows >= 1) & (rows <= 3))
    assert p["length_km"].iloc[0] == pytest.approx(line.length / 1000)
    assert p["cost"].iloc[0] == pytest.approx(4 * 1000 * S2)  # 4 diagonals of unit cells


def test_least_cost_path_unreachable():
    a = np.ones((3, 3))
    a[:, 1] = np.nan
    with pytest.raises(CamigeoError, match="cannot be reached"):
        least_cost_path(grid(a), [(0, 0)], [(0, 2)])


def test_least_cost_path_geodesic_length():
    from affine import Affine

    r = Raster(np.ones((2, 4)), Affine(0.5, 0, 60.0, 0, -0.5, 45.0), "EPSG:4326")
    p = least_cost_path(r, [(0, 0)], [(0, 3)], geodesic=True)
    lat = 45.0 - 0.25
    _, _, d = GEOD.inv(60.25, lat, 61.75, lat)
    # the path runs along the row through the cell centres: three equal E-W steps
    _, _, step = GEOD.inv(60.25, lat, 60.75, lat)
    assert p["length_km"].iloc[0] == pytest.approx(3 * step / 1000, rel=1e-12)
    assert p["cost"].iloc[0] == pytest.approx(3 * step, rel=1e-12)
    assert 3 * step >= d  # sum of steps along the parallel >= the geodesic chord


# ------------------------------------------------------------------ GRASS r.cost (peer)
_GRASS_SCRIPT = """set -e
for f in start8 rand; do r.in.gdal -o input=$f.tif output=$f --q; done
g.region raster=start8
r.cost input=start8 output=s8 start_coordinates=5,45 --q
r.cost -k input=start8 output=s8k start_coordinates=5,45 --q
for m in s8 s8k; do r.out.gdal -c input=$m output=$m.tif type=Float64 --q -f; done
g.region raster=rand
r.cost input=rand output=r8 start_coordinates={starts} --q
r.cost -k input=rand output=r16 start_coordinates={starts} --q
for m in r8 r16; do r.out.gdal -c input=$m output=$m.tif type=Float64 --q -f; done
"""


def _run_grass(tmp_path, script):
    """Run a GRASS shell script in a throwaway UTM location; return a reader of its GeoTIFFs."""
    import subprocess

    import rasterio

    (tmp_path / "run.sh").write_text(script)
    subprocess.run(["grass", "--tmp-location", UTM, "--exec", "bash", "run.sh"],
                   cwd=tmp_path, check=True, capture_output=True, timeout=300)

    def grass(name):
        with rasterio.open(tmp_path / f"{name}.tif") as src:
            return src.read(1, masked=True).filled(np.nan)

    return grass


def _grass_random_raster():
    """37 x 43 random resistance 0.5-20 with 10 % nodata (-9999) and 3 source cells of 1."""
    rng = np.random.default_rng(0)
    b = rng.uniform(0.5, 20.0, (37, 43))
    b[rng.random(b.shape) < 0.1] = -9999.0
    srcs = [(0, 0), (20, 30), (36, 5)]
    for src in srcs:
        b[src] = 1.0
    return b, srcs


@pytest.mark.skipif(__import__("shutil").which("grass") is None,
                    reason="GRASS GIS (grass-core) not installed")
def test_equals_grass_r_cost_including_knight_moves(tmp_path):
    """Run GRASS r.cost itself (8 and 16 neighbours) on the 5x5 hand grid and a random
    raster with nodata (r.out.gdal exports the current region, hence the two
    exports). GRASS measures steps in cells of the E-W resolution, so its output
    is ours / cellsize. A knight-move layout other than (c_a + c_i1 + c_i2 + c_b)/4 with
    the two cells the segment crosses changes >1000 cells of the random raster by up to
    20 %, so this pins the layout (checked by swapping camigeo's INTERMEDIATES)."""

    import rasterio
    from rasterio.transform import from_origin

    def write(name, a, cell):
        with rasterio.open(tmp_path / name, "w", driver="GTiff", height=a.shape[0],
                           width=a.shape[1], count=1, dtype="float64", crs=UTM,
                           transform=from_origin(0, a.shape[0] * cell, cell, cell),
                           nodata=-9999.0) as dst:
            dst.write(a, 1)

    a = np.ones((5, 5))
    a[0, 0] = 8.0
    write("start8.tif", a, 10.0)
    b, srcs = _grass_random_raster()
    write("rand.tif", b, 25.0)
    starts = ",".join(f"{c * 25 + 12.5},{(37 - r) * 25 - 12.5}" for r, c in srcs)
    grass = _run_grass(tmp_path, _GRASS_SCRIPT.format(starts=starts))

    s8 = grass("s8")
    assert s8[0, 1] * 10 == pytest.approx(45.0) and s8[1, 2] * 10 == pytest.approx(59.1421,
                                                                                   abs=1e-4)
    for name, nbr in [("s8", 8), ("s8k", 16)]:
        ours = cost_distance(start8(), [(0, 0)], neighbors=nbr).array
        np.testing.assert_allclose(ours / 10.0, grass(name), rtol=1e-12)
    r = Raster.from_array(b, cellsize=25.0, crs=UTM, nodata=-9999.0)
    for name, nbr in [("r8", 8), ("r16", 16)]:
        ours = cost_distance(r, srcs, neighbors=nbr).array / 25.0
        ref = grass(name)
        np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
        ok = ~np.isnan(ref)
        np.testing.assert_allclose(ours[ok], ref[ok], rtol=1e-12)


_GRASS_SCRIPT_2 = """set -e
for f in rand lab; do r.in.gdal -o input=$f.tif output=$f --q; done
g.region raster=rand
r.cost input=rand output=c8 start_raster=lab nearest=near8 --q
r.cost input=rand output=cmax start_raster=lab max_cost=60 --q
r.cost input=rand output=c1 start_coordinates=12.5,912.5 outdir=dir1 --q
r.drain -d input=c1 direction=dir1 output=path start_coordinates={target} --q
for m in near8 cmax path; do r.out.gdal -c input=$m output=$m.tif type=Float64 --q -f; done
"""


@pytest.mark.skipif(__import__("shutil").which("grass") is None,
                    reason="GRASS GIS (grass-core) not installed")
def test_allocation_max_cost_and_path_equal_grass(tmp_path):
    """GRASS as the peer for the other cost-distance outputs, on a random raster with
    nodata: ``allocation`` = ``r.cost nearest=`` (start raster ids 7, 3, 5), ``max_cost``
    = ``r.cost max_cost=`` (GRASS costs are in cells of the E-W resolution: 60 cells =
    1500 cost units here), and ``least_cost_path`` = the cells of ``r.drain -d`` following
    ``r.cost outdir=`` back from a target."""

    import rasterio
    from rasterio.transform import from_origin

    cell, (nr, nc) = 25.0, (37, 43)
    b, srcs = _grass_random_raster()
    ids = [7, 3, 5]
    lab = np.zeros((nr, nc))
    for src, v in zip(srcs, ids, strict=True):
        lab[src] = v
    for name, a, nod in (("rand.tif", b, -9999.0), ("lab.tif", lab, 0.0)):
        with rasterio.open(tmp_path / name, "w", driver="GTiff", height=nr, width=nc,
                           count=1, dtype="float64", crs=UTM, nodata=nod,
                           transform=from_origin(0, nr * cell, cell, cell)) as dst:
            dst.write(a, 1)
    target = (30, 40)
    xy = f"{(target[1] + 0.5) * cell},{(nr - target[0] - 0.5) * cell}"
    grass = _run_grass(tmp_path, _GRASS_SCRIPT_2.format(target=xy))

    r = Raster.from_array(b, cellsize=cell, crs=UTM, nodata=-9999.0)
    labels = lab.astype(int)
    near = grass("near8")
    ours = allocation(r, labels).array
    np.testing.assert_array_equal(ours == -1, np.isnan(near))
    np.testing.assert_array_equal(ours[~np.isnan(near)], near[~np.isnan(near)])
    assert set(np.unique(ours)) == {-1, *ids}
    # max_cost: GRASS also writes the tentative (not final) costs of the frontier beyond
    # max_cost; camigeo leaves every cell beyond it NaN. Up to max_cost both are equal.
    capped = cost_distance(r, labels, max_cost=60 * cell).array / cell
    ref = grass("cmax")
    within = ref <= 60
    np.testing.assert_array_equal(np.isfinite(capped), within)
    np.testing.assert_allclose(capped[within], ref[within], rtol=1e-12)
    full = cost_distance(r, labels).array / cell
    beyond = ref > 60
    assert beyond.sum() > 0 and (ref[beyond] >= full[beyond] - 1e-9).all()
    path = least_cost_path(r, [srcs[0]], [target])
    xs, ys = shapely.get_coordinates(path.geometry.iloc[0]).T
    cells = {(int(nr - y / cell), int(x / cell)) for x, y in zip(xs, ys, strict=True)}
    drained = grass("path")
    assert cells == {tuple(rc) for rc in np.argwhere(~np.isnan(drained))}
    assert path["n_cells"].iloc[0] == len(cells) > 40


def test_far_corner_of_a_2x3_grid():
    # the "far corner 59.1421": 2 x 3 grid of 10 m cells, start cost 8 at (0, 0)
    a = np.ones((2, 3))
    a[0, 0] = 8.0
    d = cost_distance(grid(a), [(0, 0)]).array
    assert d[0, 1] == pytest.approx(45.0)
    assert d[1, 2] == pytest.approx(59.1421, abs=1e-4)  # 45 + 10*sqrt(2)


def test_bad_max_cost():
    r = grid(np.ones((3, 3)))
    with pytest.raises(CamigeoError, match="max_cost must be a number >= 0"):
        cost_distance(r, [(0, 0)], max_cost=-5)
    with pytest.raises(CamigeoError, match="max_cost must be a number >= 0"):
        cost_distance(r, [(0, 0)], max_cost=float("nan"))
