"""Circuit pairwise solves on Dask equal the single-machine path (issue 8)."""

from __future__ import annotations

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from camigeo import CamigeoError, Raster  # noqa: E402
from camigeo.circuit import current_map, pairwise_resistance  # noqa: E402
from camigeo.circuit.dask import (  # noqa: E402
    _CACHE,
    current_map_dask,
    pairwise_resistance_dask,
)

pytestmark = pytest.mark.dask


@pytest.fixture(scope="module")
def grid() -> Raster:
    """50 x 60 random resistances with nodata and a separate island (two components)."""
    rng = np.random.default_rng(2)
    a = rng.uniform(1.0, 20.0, (50, 60))
    a[:, 45] = -9999.0  # cuts off the east strip: a second component
    a[rng.random(a.shape) < 0.03] = -9999.0
    return Raster.from_array(a, cellsize=100.0, crs="EPSG:32642", nodata=-9999.0)


def _focal(grid: Raster) -> np.ndarray:
    cells = [(3, 3), (45, 5), (25, 30), (5, 40), (40, 40), (10, 50), (40, 55)]
    f = np.zeros(grid.shape, dtype=np.int64)
    arr = grid.array.copy()
    for k, (r, c) in enumerate(cells, start=1):
        arr[r, c] = 1.0  # never on nodata
        f[r, c] = k
    return f, grid.with_array(arr)


def test_pairwise_resistances_equal(client, grid) -> None:
    focal, res = _focal(grid)
    plain = pairwise_resistance(res, focal, solver="splu")
    dist = pairwise_resistance_dask(res, focal, solver="splu", scheduler=client,
                                    batch_size=2)
    assert plain.shape == (7, 7)
    # pairs across the nodata column are disconnected (-1 in both)
    assert plain.loc[1, 6] == -1.0 and dist.loc[1, 6] == -1.0
    assert plain.loc[6, 7] > 0 and plain.loc[1, 2] > 0
    np.testing.assert_allclose(dist.to_numpy(), plain.to_numpy(), rtol=1e-9, atol=0)
    assert not _CACHE  # the run's factorisations were dropped


def test_cumulative_and_max_current_equal_threads(grid) -> None:
    focal, res = _focal(grid)
    plain = current_map(res, focal, solver="splu", maximum=True,
                        exclude_pairs=[(1, 3)])
    dist = current_map_dask(res, focal, solver="splu", maximum=True,
                            exclude_pairs=[(1, 3)], scheduler="threads", batch_size=3)
    np.testing.assert_allclose(dist.resistances.to_numpy(), plain.resistances.to_numpy(),
                               rtol=1e-9)
    assert plain.resistances.loc[1, 3] == -1.0
    np.testing.assert_allclose(dist.cumulative.array, plain.cumulative.array, rtol=1e-10,
                               atol=1e-12)
    # same factorisation and columns, but triangular solves of differently laid-out
    # right-hand sides may round differently: compare to 1e-9 (measured ~1e-14)
    np.testing.assert_allclose(dist.maximum.array, plain.maximum.array, rtol=1e-9,
                               atol=1e-12)
    assert plain.cumulative.array.max() > 0


def test_focal_regions_one_task_per_pair(client, grid) -> None:
    _, res = _focal(grid)
    f = np.zeros(grid.shape, dtype=np.int64)
    arr = res.array.copy()
    for k, (r, c) in enumerate([(5, 5), (40, 8), (20, 30)], start=1):
        f[r:r + 3, c:c + 3] = k
        arr[r:r + 3, c:c + 3] = 1.0
    res = res.with_array(arr)
    plain = current_map(res, f, solver="splu")
    dist = current_map_dask(res, f, solver="splu", scheduler=client)
    np.testing.assert_allclose(dist.resistances.to_numpy(), plain.resistances.to_numpy(),
                               rtol=1e-9)
    np.testing.assert_allclose(dist.cumulative.array, plain.cumulative.array, rtol=1e-10,
                               atol=1e-12)


def test_unknown_option_named(grid) -> None:
    focal, res = _focal(grid)
    with pytest.raises(CamigeoError, match=r"unexpected option\(s\) \['voltage_maps'\]"):
        pairwise_resistance_dask(res, focal, voltage_maps=True, scheduler="synchronous")


def test_pair_maps_refused_with_scheduler(grid) -> None:
    focal, res = _focal(grid)
    with pytest.raises(CamigeoError, match="pair_maps/voltage_maps are not available"):
        current_map_dask(res, focal, pair_maps=True, scheduler="synchronous")


def test_public_functions_dispatch_on_scheduler(client, grid) -> None:
    focal, res = _focal(grid)
    plain = pairwise_resistance(res, focal, solver="splu")
    np.testing.assert_allclose(
        pairwise_resistance(res, focal, solver="splu", scheduler=client).to_numpy(),
        plain.to_numpy(), rtol=1e-9)
    cm = current_map(res, focal, solver="splu", scheduler="client")
    np.testing.assert_allclose(cm.cumulative.array,
                               current_map(res, focal, solver="splu").cumulative.array,
                               rtol=1e-10, atol=1e-12)


def test_single_machine_memory_guard(grid, monkeypatch) -> None:
    from camigeo import scale

    focal, res = _focal(grid)
    monkeypatch.setattr(scale, "available_memory_bytes", lambda: 100_000)
    n = int(np.count_nonzero(res.valid))  # about 2,860 nodes here
    # CG+AMG: 2.5 x n x 9 x 12 B + n x 64 B = 334 B per node -> ~0.97 MB > 80 kB
    with pytest.raises(CamigeoError, match=r"current_map on 50 x 60 cells needs an estimated"):
        pairwise_resistance(res, focal, solver="cg+amg")
    assert 2500 < n < 3000
    monkeypatch.setattr(scale, "available_memory_bytes", lambda: 334 * n / 0.8 + 1)
    pairwise_resistance(res, focal, solver="cg+amg")  # just fits


def test_pinch_points_one_task_per_core_pair(client) -> None:
    gpd = pytest.importorskip("geopandas")
    shapely = pytest.importorskip("shapely")
    from camigeo.circuit import pinch_points
    from camigeo.corridors import normalized_corridors

    a = np.random.default_rng(4).uniform(1.0, 10.0, (40, 50))
    res = Raster.from_array(a, cellsize=100.0, crs="EPSG:32642")
    cores = gpd.GeoDataFrame({"core_id": [1, 2, 3]}, geometry=[
        shapely.box(200, 3000, 600, 3600), shapely.box(4200, 3200, 4600, 3700),
        shapely.box(2200, 300, 2700, 700)], crs="EPSG:32642")
    nlcc = normalized_corridors(cores, res)
    plain = pinch_points(nlcc, res, cores, cutoff=3000.0, solver="splu")
    dist = pinch_points(nlcc, res, cores, cutoff=3000.0, solver="splu", scheduler=client)
    assert len(plain.resistances) == 3 and (plain.resistances["eff_resistance"] > 0).all()
    np.testing.assert_allclose(dist.resistances["eff_resistance"],
                               plain.resistances["eff_resistance"], rtol=1e-9)
    np.testing.assert_allclose(dist.current.array, plain.current.array, rtol=1e-9,
                               atol=1e-12)
    np.testing.assert_allclose(dist.cumulative.array, plain.cumulative.array, rtol=1e-9,
                               atol=1e-12)


@pytest.mark.parametrize("mode", ["one_to_all", "all_to_one"])
def test_one_to_all_all_to_one_equal(client, grid, mode) -> None:
    """One task per focal node; two components (east strip), strengths, included pairs."""
    from camigeo import circuit

    focal, res = _focal(grid)
    fn = getattr(circuit, mode)
    kw = {"solver": "splu", "strengths": {2: 3.0, 5: 0.5},
          "include_pairs": [(1, 2), (1, 3), (2, 5), (4, 5), (6, 7)]}
    plain = fn(res, focal, voltage_maps=True, **kw)
    dist = fn(res, focal, voltage_maps=True, scheduler=client, **kw)
    r_plain, r_dist = plain.resistances, dist.resistances
    assert list(r_dist.index) == list(r_plain.index) == [1, 2, 3, 4, 5, 6, 7]
    assert r_dist.name == r_plain.name
    np.testing.assert_allclose(r_dist.to_numpy(), r_plain.to_numpy(), rtol=1e-9, atol=0)
    # every id has an included partner in its own component, so all are solved
    assert (r_plain >= 0).all() if mode == "all_to_one" else (r_plain > 0).all()
    np.testing.assert_allclose(dist.cumulative.array, plain.cumulative.array, rtol=1e-9,
                               atol=1e-12)
    assert plain.cumulative.array.max() > 0
    assert sorted(dist.currents) == sorted(plain.currents) == [1, 2, 3, 4, 5, 6, 7]
    assert sorted(dist.voltages) == sorted(plain.voltages)
    for k in plain.currents:
        np.testing.assert_allclose(dist.currents[k].array, plain.currents[k].array,
                                   rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(dist.voltages[k].array, plain.voltages[k].array,
                                   rtol=1e-9, atol=1e-12)


def test_one_to_all_unsolved_and_threads(grid) -> None:
    """A focal node without an included partner reports -1 on both paths."""
    from camigeo.circuit import one_to_all

    focal, res = _focal(grid)
    kw = {"solver": "splu", "include_pairs": [(1, 2), (2, 3)], "maps": False}
    plain = one_to_all(res, focal, **kw)
    dist = one_to_all(res, focal, scheduler="threads", **kw)
    assert (plain.resistances.loc[[4, 5, 6, 7]] == -1.0).all()
    assert (plain.resistances.loc[[1, 2, 3]] > 0).all()
    np.testing.assert_allclose(dist.resistances.to_numpy(), plain.resistances.to_numpy(),
                               rtol=1e-9, atol=0)
    assert dist.cumulative is None and plain.cumulative is None


def test_advanced_single_task(client, grid) -> None:
    from camigeo.circuit import advanced

    _, res = _focal(grid)
    src = np.zeros(grid.shape)
    gnd = np.full(grid.shape, np.nan)  # NaN = no ground (0 would be a 0-ohm ground)
    src[3, 3], src[25, 30] = 2.0, 1.0
    gnd[45, 5] = 10.0  # a 10-ohm ground
    res = res.with_array(np.where((src > 0) | (gnd > 0), 1.0, res.array))
    plain = advanced(res, src, gnd, solver="splu")
    dist = advanced(res, src, gnd, solver="splu", scheduler=client)
    # 3 A leave through the 10-ohm ground: its cell sits at 30 V
    assert plain.voltages[0].array[45, 5] == pytest.approx(30.0, rel=1e-9)
    np.testing.assert_allclose(dist.voltages[0].array, plain.voltages[0].array, rtol=1e-12)
    np.testing.assert_allclose(dist.currents[0].array, plain.currents[0].array, rtol=1e-12)
