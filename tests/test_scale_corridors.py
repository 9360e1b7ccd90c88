"""Corridors on Dask equal the single-machine functions (issue 8)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

gpd = pytest.importorskip("geopandas")
shapely = pytest.importorskip("shapely")
distributed = pytest.importorskip("distributed")

from camigeo import CamigeoError, Raster  # noqa: E402
from camigeo.corridors import (  # noqa: E402
    barrier_improvement,
    corridor_links,
    cost_distance,
    normalized_corridors,
)
from camigeo.corridors.dask import (  # noqa: E402
    _window,
    barrier_improvement_dask,
    corridor_links_dask,
    cost_distance_dask,
    normalized_corridors_dask,
    share_raster,
)

pytestmark = pytest.mark.dask

CELL = 100.0
CRS = "EPSG:32642"
#: core boxes (row0, col0, row1, col1) in cells, top-left origin
BOXES = [(5, 5, 12, 14), (8, 70, 16, 78), (60, 20, 70, 28), (70, 95, 80, 110),
         (40, 100, 46, 108)]


@pytest.fixture(scope="module")
def grid() -> Raster:
    """90 x 120 random resistance 1-50 with a NaN wall that has one gap, plus nodata."""
    rng = np.random.default_rng(11)
    a = rng.uniform(1.0, 50.0, (90, 120))
    a[10:80, 60] = np.nan
    a[40:43, 60] = 2.0  # gap
    holes = rng.random(a.shape) < 0.02
    for r0, c0, r1, c1 in BOXES:
        holes[r0:r1, c0:c1] = False
    a[holes] = np.nan
    return Raster.from_array(a, cellsize=CELL, crs=CRS, nodata=np.nan)


@pytest.fixture(scope="module")
def cores() -> gpd.GeoDataFrame:
    geoms = [shapely.box(c0 * CELL, (90 - r1) * CELL, c1 * CELL, (90 - r0) * CELL)
             for r0, c0, r1, c1 in BOXES]
    return gpd.GeoDataFrame({"core_id": [10, 20, 30, 40, 50]}, geometry=geoms, crs=CRS)


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    assert np.array_equal(np.isnan(a), np.isnan(b))
    m = ~np.isnan(a)
    return float(np.max(np.abs(a[m] - b[m]) / np.maximum(np.abs(a[m]), 1e-300)))


def test_cost_distance_per_source_tasks_equal_multi_source_run(client, grid) -> None:
    src = [(3, 3), (85, 110), (45, 30), (20, 100)]
    plain = cost_distance(grid, src).array
    dist = cost_distance_dask(grid, src, scheduler=client).array
    assert _rel(plain, dist) <= 1e-12
    assert np.isfinite(plain).sum() > 0.9 * plain.size  # the gap connects both halves


@pytest.fixture(scope="module")
def wide() -> Raster:
    """300 x 300 cells of resistance 1-3 (windows of max_cost / 1 m stay inside)."""
    a = np.random.default_rng(5).uniform(1.0, 3.0, (300, 300))
    a[100:200, 150] = np.nan
    return Raster.from_array(a, cellsize=CELL, crs=CRS, nodata=np.nan)


def test_cost_distance_windows_with_max_cost(client, wide, tmp_path: Path) -> None:
    src = [(30, 30), (250, 260), (150, 100)]
    plain = cost_distance(wide, src, max_cost=8_000.0).array
    dist = cost_distance_dask(wide, src, max_cost=8_000.0, scheduler="client",
                              workdir=tmp_path).array
    assert _rel(plain, dist) <= 1e-12
    assert 0.1 < np.isfinite(plain).mean() < 0.9
    # the window: the source cell grown by max_cost / min(resistance) map units + 1 cell
    sr = share_raster(wide, tmp_path)
    reach = int(np.ceil(8_000.0 / float(np.nanmin(wide.array)) / CELL)) + 1
    assert 80 < reach < 90
    assert _window(sr, np.array([150 * 300 + 100]), 8_000.0, False) == (
        150 - reach, 151 + reach, 100 - reach, 101 + reach)
    assert list(tmp_path.glob("camigeo-scale-*")) == []  # temporary files removed


def test_corridor_links_windowed_by_max_cw_dist(client, wide) -> None:
    cores = gpd.GeoDataFrame({"core_id": [1, 2, 3, 4]}, geometry=[
        shapely.box(x * CELL, y * CELL, (x + 8) * CELL, (y + 8) * CELL)
        for x, y in [(20, 20), (90, 30), (200, 250), (260, 150)]], crs=CRS)
    plain = corridor_links(cores, wide, max_cw_dist=15_000.0, drop_through_cores=False)
    dist = corridor_links_dask(cores, wide, max_cw_dist=15_000.0, drop_through_cores=False,
                               scheduler=client)
    assert 0 < len(plain) < 6  # some pairs are beyond 15,000 cost units
    assert plain[["core_a", "core_b"]].values.tolist() == \
        dist[["core_a", "core_b"]].values.tolist()
    np.testing.assert_allclose(dist["cw_dist"], plain["cw_dist"], rtol=1e-12)
    assert all(a.equals_exact(b, 0) for a, b in zip(plain.geometry, dist.geometry,
                                                  strict=True))


def test_cost_distance_knight_moves_threads(grid) -> None:
    src = [(3, 3), (60, 100)]
    plain = cost_distance(grid, src, neighbors=16).array
    dist = cost_distance_dask(grid, src, neighbors=16, scheduler="threads").array
    assert _rel(plain, dist) <= 1e-12


def test_corridor_links_equal(client, grid, cores) -> None:
    plain = corridor_links(cores, grid)
    dist = corridor_links_dask(cores, grid, scheduler=client)
    assert len(plain) >= 4
    assert plain[["core_a", "core_b"]].values.tolist() == \
        dist[["core_a", "core_b"]].values.tolist()
    for col in ("cw_dist", "euc_dist_km", "lcp_length_km", "cwd_to_euc", "cwd_to_path"):
        np.testing.assert_allclose(dist[col], plain[col], rtol=1e-12, err_msg=col)
    assert all(a.equals_exact(b, 0) for a, b in zip(plain.geometry, dist.geometry,
                                                  strict=True))


@pytest.mark.parametrize("network", [
    {"adjacency": "both", "nearest_neighbors": 1, "connect_clusters": True},
    {"adjacency": "cost", "nearest_neighbors": 2, "nearest_by": "euc_dist_km",
     "min_cw_dist": 40_000.0, "drop_through_cores": False},
])
def test_corridor_links_network_equal(client, grid, cores, network) -> None:
    """Adjacency network and nearest-neighbour pruning: same link table on Dask."""
    plain = corridor_links(cores, grid, **network)
    dist = corridor_links_dask(cores, grid, scheduler=client, **network)
    every = corridor_links(cores, grid, drop_through_cores=network.get(
        "drop_through_cores", True))
    assert 3 <= len(plain) < len(every)  # the network options removed some links
    assert plain[["core_a", "core_b"]].values.tolist() == \
        dist[["core_a", "core_b"]].values.tolist()
    for col in ("cw_dist", "euc_dist_km", "lcp_length_km", "cwd_to_path"):
        np.testing.assert_allclose(dist[col], plain[col], rtol=1e-12, err_msg=col)
    assert all(a.equals_exact(b, 0) for a, b in zip(plain.geometry, dist.geometry,
                                                  strict=True))


def test_normalized_corridors_identical(client, grid, cores) -> None:
    links = corridor_links(cores, grid)
    plain = normalized_corridors(cores, grid, links, cost_slack=30_000.0).array
    dist = normalized_corridors_dask(cores, grid, links, cost_slack=30_000.0,
                                     scheduler=client, band_rows=16).array
    np.testing.assert_array_equal(dist, plain)
    assert abs(np.nanmin(plain)) < 1e-6  # zero along the least-cost paths (rounding)


def test_barrier_improvement_identical_with_halo(client, grid, cores) -> None:
    kw = {"radii_m": [100.0, 300.0], "form": "percent"}
    plain = barrier_improvement(cores, grid, **kw).array
    # 7-row bands are thinner than the 300 m window (3 cells each side): the halo matters
    dist = barrier_improvement_dask(cores, grid, scheduler=client, band_rows=7, **kw).array
    np.testing.assert_array_equal(dist, plain)
    assert np.nanmax(plain) > 0


def test_barrier_improvement_lonlat_identical_with_halo(client) -> None:
    from affine import Affine

    from camigeo.corridors.barriers import _halfwidths, _WindowGrid

    # 0.5-degree cells from 70 N to 50 N: the footprint changes across the rows, so
    # 5-row bands hold several footprint runs and need halos from their neighbours
    a = np.random.default_rng(2).uniform(1.0, 20.0, (40, 24))
    a[5:35, 12] = 200.0
    r = Raster(a, Affine(0.5, 0, 60.0, 0, -0.5, 70.0), "EPSG:4326")
    boxes = [shapely.box(60.0, 55.0, 61.0, 65.0), shapely.box(70.5, 60.0, 72.0, 68.0),
             shapely.box(66.0, 50.0, 68.0, 51.5)]
    cores = gpd.GeoDataFrame({"core_id": [1, 2, 3]}, geometry=boxes, crs="EPSG:4326")
    kw = {"radii_m": [60e3, 130e3], "geodesic": True}
    assert len(np.unique(_halfwidths(_WindowGrid.of(r, True), 130e3, 0, 40), axis=0)) >= 4
    plain = barrier_improvement(cores, r, **kw).array
    dist = barrier_improvement_dask(cores, r, scheduler=client, band_rows=5, **kw).array
    np.testing.assert_array_equal(dist, plain)
    np.testing.assert_array_equal(
        barrier_improvement(cores, r, scheduler=client, **kw).array, plain)
    assert np.nanmax(plain) > 0
    with pytest.raises(CamigeoError, match=r"geodesic=False; pass geodesic=True"):
        barrier_improvement(cores, r, radii_m=[60e3], scheduler="synchronous")


def test_bad_inputs_named(grid, cores, tmp_path: Path) -> None:
    with pytest.raises(CamigeoError, match="cost_slack must be >= 0"):
        normalized_corridors_dask(cores, grid, cost_slack=-1, scheduler="synchronous")
    with pytest.raises(CamigeoError, match="form must be one of"):
        barrier_improvement_dask(cores, grid, form="ratio", scheduler="synchronous")
    with pytest.raises(CamigeoError, match="scheduler must be one of"):
        cost_distance_dask(grid, [(3, 3)], scheduler="mpi")
    sr = share_raster(grid, tmp_path)
    gone = type(sr)(str(tmp_path / "missing.tif"), *list(sr.__dict__.values())[1:])
    with pytest.raises(CamigeoError, match="not visible on this worker.*workdir="):
        gone.read()


def test_workdir_from_set_workdir(grid, tmp_path: Path) -> None:
    from camigeo import scale

    scale.set_workdir(tmp_path)
    try:
        assert scale.get_workdir() == str(tmp_path)
        seen = []
        orig = share_raster

        import camigeo.corridors.dask as dc

        def spy(r, wd, **kw):
            seen.append(Path(wd).parent)
            return orig(r, wd, **kw)

        dc.share_raster = spy
        try:
            cost_distance_dask(grid, [(3, 3)], scheduler="synchronous")
        finally:
            dc.share_raster = orig
        assert seen == [tmp_path]
    finally:
        scale.set_workdir(None)


def test_traceback_is_the_winning_runs_back_links(client, grid, cores) -> None:
    """Random real resistances: no exact ties, so the back-links equal the plain run's."""
    from camigeo.corridors import OFFSETS

    src = [(3, 3), (85, 110), (45, 30), (20, 100)]
    for kw in ({}, {"max_cost": 40_000.0}):
        plain = cost_distance(grid, src, return_traceback=True, **kw)
        dist = cost_distance(grid, src, return_traceback=True, scheduler=client, **kw)
        assert dist.allocation is None and dist.traceback.array.dtype == np.int8
        assert _rel(plain.cost.array, dist.cost.array) <= 1e-12
        np.testing.assert_array_equal(dist.traceback.array, plain.traceback.array)
    both = cost_distance(grid, cores, id_col="core_id", return_traceback=True,
                         return_allocation=True, scheduler="threads")
    ref = cost_distance(grid, cores, id_col="core_id", return_traceback=True,
                        return_allocation=True)
    np.testing.assert_array_equal(both.traceback.array, ref.traceback.array)
    np.testing.assert_array_equal(both.allocation.array, ref.allocation.array)
    # walking the back-links from a far cell ends on a source cell
    back = dist.traceback.array
    r, c = 60, 50
    for _ in range(back.size):
        k = back[r, c]
        if k < 0:
            break
        r, c = r - OFFSETS[k][0], c - OFFSETS[k][1]
    assert (r, c) in src


def test_traceback_exact_tie_goes_to_the_lowest_id() -> None:
    """1 x 5 cells of resistance 1: ids 7 (west end) and 3 (east end) tie at the middle,
    which the Dask path gives to id 3, so its back-link points east."""
    from camigeo.corridors import OFFSETS

    r = Raster.from_array(np.ones((1, 5)), cellsize=10.0, crs=CRS)
    pts = gpd.GeoDataFrame({"id": [7, 3]}, geometry=[shapely.Point(5, 5),
                                                     shapely.Point(45, 5)], crs=CRS)
    res = cost_distance(r, pts, id_col="id", return_traceback=True, scheduler="synchronous")
    back = res.traceback.array[0]
    assert back[0] == -1 and back[4] == -1  # the sources
    steps = [tuple(int(v) for v in OFFSETS[k]) for k in back[1:4]]
    assert steps == [(0, 1), (0, -1), (0, -1)]  # west cell from 7; middle and east from 3


def test_allocation_argmin_equals_multi_source_run(client, grid, cores) -> None:
    """Random real resistances: no exact ties, so the argmin equals the plain run."""
    plain = cost_distance(grid, cores, id_col="core_id", return_allocation=True)
    dist = cost_distance(grid, cores, id_col="core_id", return_allocation=True,
                         scheduler=client)
    assert dist.traceback is None
    assert _rel(plain.cost.array, dist.cost.array) <= 1e-12
    np.testing.assert_array_equal(dist.allocation.array, plain.allocation.array)
    assert set(np.unique(plain.allocation.array)) == {-1, 10, 20, 30, 40, 50}
    # unreachable (NaN) cells are -1 on both paths
    assert np.array_equal(dist.allocation.array == -1, np.isnan(plain.cost.array))
    # with max_cost: cells beyond it are unallocated
    p2 = cost_distance(grid, cores, id_col="core_id", return_allocation=True,
                       max_cost=40_000.0)
    d2 = cost_distance(grid, cores, id_col="core_id", return_allocation=True,
                       max_cost=40_000.0, scheduler="threads")
    np.testing.assert_array_equal(d2.allocation.array, p2.allocation.array)
    assert (p2.allocation.array == -1).sum() > (plain.allocation.array == -1).sum()


def test_allocation_exact_tie_goes_to_lowest_id() -> None:
    """1 x 5 cells of resistance 1: ids 7 (west end) and 3 (east end) tie at the middle."""
    r = Raster.from_array(np.ones((1, 5)), cellsize=10.0, crs=CRS)
    lab = np.array([[7, 0, 0, 0, 3]])
    d = cost_distance(r, lab, return_allocation=True, scheduler="synchronous")
    p = cost_distance(r, lab, return_allocation=True)
    # step cost = (1 + 1) / 2 x 10 m = 10 per cell; the middle is 20 from both
    np.testing.assert_allclose(d.cost.array, [[0.0, 10.0, 20.0, 10.0, 0.0]])
    assert d.allocation.array.tolist() == [[7, 7, 3, 3, 3]]
    # the single-machine run agrees off the tie (its tie rule is settle order)
    assert p.allocation.array[0, [0, 1, 3, 4]].tolist() == [7, 7, 3, 3]


def test_task_memory_guard_before_any_task(grid, monkeypatch) -> None:
    from camigeo import scale

    monkeypatch.setattr(scale, "available_memory_bytes", lambda: 100_000)
    # 90 x 120 cells x 32 B = 345,600 B per task > 0.8 x 100,000 B
    with pytest.raises(CamigeoError, match=r"cost distance \(10,800 cells per task\): one "
                                           r"task needs an estimated"):
        cost_distance_dask(grid, [(3, 3)], scheduler="synchronous")


def test_geodesic_lonlat_grid_equal() -> None:
    a = np.random.default_rng(8).uniform(1.0, 5.0, (40, 50))
    r = Raster.from_array(a, cellsize=0.01, origin=(60.0, 45.0), crs="EPSG:4326")
    plain = cost_distance(r, [(2, 2), (30, 40)], geodesic=True).array
    dist = cost_distance_dask(r, [(2, 2), (30, 40)], geodesic=True,
                              scheduler="synchronous").array
    assert _rel(plain, dist) <= 1e-12
    # one 0.01-degree step east at 45 N is about 788 m: the costs are in metres
    assert 700 < plain[2, 3] / ((a[2, 2] + a[2, 3]) / 2) < 800


def test_public_functions_dispatch_on_scheduler(client, grid, cores) -> None:
    src = [(3, 3), (85, 110)]
    assert _rel(cost_distance(grid, src).array,
                cost_distance(grid, src, scheduler=client).array) <= 1e-12
    plain = corridor_links(cores, grid)
    dist = corridor_links(cores, grid, scheduler="client")
    np.testing.assert_allclose(dist["cw_dist"], plain["cw_dist"], rtol=1e-12)
    np.testing.assert_array_equal(
        normalized_corridors(cores, grid, plain, scheduler=client).array,
        normalized_corridors(cores, grid, plain).array)
    np.testing.assert_array_equal(
        barrier_improvement(cores, grid, radii_m=[200.0], scheduler=client).array,
        barrier_improvement(cores, grid, radii_m=[200.0]).array)


def test_single_machine_memory_guard(grid, cores, monkeypatch) -> None:
    from camigeo import scale

    monkeypatch.setattr(scale, "available_memory_bytes", lambda: 300_000)
    # 10,800 cells x 32 B = 345,600 B > 0.8 x 300,000 B
    with pytest.raises(CamigeoError, match=r"cost_distance on 90 x 120 cells needs an "
                                           r"estimated .* GiB.*scheduler=Client"):
        cost_distance(grid, [(3, 3)])
    with pytest.raises(CamigeoError, match=r"corridor_links on 90 x 120 cells"):
        corridor_links(cores, grid)
    monkeypatch.setattr(scale, "available_memory_bytes", lambda: 900_000)
    cost_distance(grid, [(3, 3)])  # one run fits: 345,600 B < 0.8 x 900,000 = 720,000 B
    # NLCC keeps one 8-B grid per core: 345,600 + 5 x 86,400 = 777,600 B > 720,000 B
    with pytest.raises(CamigeoError, match=r"normalized_corridors \(90 x 120 cells, one "
                                           r"cost grid kept per core\)"):
        normalized_corridors(cores, grid)
    with pytest.raises(CamigeoError, match=r"barrier_improvement \(90 x 120 cells"):
        barrier_improvement(cores, grid)


def test_rank_passages_on_dask_equals_single_machine(client, grid, cores) -> None:
    """Openings in the NaN wall (column 60): every candidate is one task; same table,
    also for greedy selection (one round of tasks per pick)."""
    from camigeo.corridors import rank_passages

    x = 60.5 * CELL
    wall = gpd.GeoDataFrame({"infra_id": ["wall"]}, crs=CRS,
                            geometry=[shapely.LineString([(x, 10 * CELL), (x, 80 * CELL)])])
    links = corridor_links(cores, grid)
    kw = {"barriers": wall, "resistance": grid, "cores": cores, "links": links,
          "spacing_km": 1.0, "width_m": 300.0, "passage_resistance": 5.0, "select": 2}
    plain = rank_passages(None, **kw)
    dist = rank_passages(None, scheduler=client, **kw)
    cols = ["n_cells_opened", "n_links_improved", "delta_cw_dist_sum", "delta_cw_dist_max",
            "best_link", "rank", "pick", "pick_gain"]
    assert len(plain) == 7 and plain["n_cells_opened"].gt(0).all()
    assert plain["delta_cw_dist_sum"].max() > 0  # an opening shortens some link
    assert plain["pick"].notna().sum() >= 1
    import pandas as pd

    pd.testing.assert_frame_equal(pd.DataFrame(dist[cols]), pd.DataFrame(plain[cols]),
                                  rtol=1e-12)
    threads = rank_passages(None, scheduler="threads", **kw)
    pd.testing.assert_frame_equal(pd.DataFrame(threads[cols]), pd.DataFrame(plain[cols]),
                                  rtol=1e-12)


def test_rank_passages_bad_scheduler(grid, cores) -> None:
    from camigeo.corridors import rank_passages

    wall = gpd.GeoDataFrame(geometry=[shapely.LineString([(6050, 1000), (6050, 8000)])],
                            crs=CRS)
    with pytest.raises(CamigeoError, match="scheduler must be one of"):
        rank_passages(None, barriers=wall, resistance=grid, cores=cores, spacing_km=1.0,
                      scheduler="mpi")
