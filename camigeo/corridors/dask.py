"""Corridors on Dask: per-core cost distance and per-link work as independent tasks.

The resistance raster is written **once** as a tiled GeoTIFF into a work folder that every
worker can read (a temporary folder for a local cluster; pass ``workdir=`` on a shared file
system for a multi-machine cluster); tasks receive only its path and read the window they
need with rasterio. Nothing raster-sized is pickled per task.

* :func:`cost_distance_dask` -- one task per source (label): the cost distance from that
  source, on the window it can reach (its cells' box grown by ``max_cost / min(resistance)``
  map units when ``max_cost`` is given, the whole raster otherwise); the client keeps the
  cell-wise minimum. Dijkstra's fixpoint ``d(v) = min_u fl(d(u) + c_uv)`` commutes with the
  minimum over sources (``fl`` is monotone), so the result equals the multi-source run.
* :func:`corridor_links_dask` -- one task per core: its cost distance (window as above with
  ``max_cw_dist``), then, in the worker, the least-cost distance and path to every partner
  core; only those (a number and a few hundred cells per link) travel back. Links are built
  on the client exactly as :func:`camigeo.corridors.corridor_links` does.
* :func:`normalized_corridors_dask`, :func:`barrier_improvement_dask` -- one task per core
  writes its cost-distance grid to the work folder (``.npy``, read back as a memory map);
  then one task per band of rows combines the grids of every link for that band (with a
  halo of the window radius for Barrier Mapper). Same element-wise arithmetic as the
  single-machine functions, so the results are identical.

All kernels are the corridor module's own (``camigeo.corridors._kernels.dijkstra``), with
the bucket width planned once on the whole raster so every task processes cells in the
same order as the single-machine run (same paths where costs tie).
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import CamigeoError
from ..io.raster import Raster
from ..scale import (
    check_scheduler,
    check_task_memory,
    estimate_cost_distance_bytes,
    reduce_tasks,
    register_twins,
)

__all__ = [
    "SharedRaster",
    "share_raster",
    "cost_distance_dask",
    "corridor_links_dask",
    "normalized_corridors_dask",
    "barrier_improvement_dask",
]

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------- sharing
@dataclass(frozen=True)
class SharedRaster:
    """A resistance raster written once to a file that every worker reads by window.

    Attributes
    ----------
    path : str
        Tiled GeoTIFF (256 x 256 blocks, uncompressed, original dtype).
    shape : (int, int)
    transform : affine.Affine
    crs_wkt : str or None
    nodata : float or None
    lo : float
        Smallest passable resistance (window margins).
    plan : (float, int)
        Bucket width and count of the whole raster (same processing order in every task).
    """

    path: str
    shape: tuple[int, int]
    transform: Any
    crs_wkt: str | None
    nodata: float | None
    lo: float
    plan: tuple[float, int]

    def read(self, window: tuple[int, int, int, int] | None = None) -> Raster:
        """Read ``(row0, row1, col0, col1)`` (or everything) as a :class:`Raster`."""
        import rasterio
        from rasterio.windows import Window
        from rasterio.windows import transform as wtransform

        if not os.path.exists(self.path):
            raise CamigeoError(
                f"shared raster {self.path} is not visible on this worker "
                f"({os.uname().nodename}); on a multi-machine cluster pass workdir= a folder "
                f"on a file system every worker mounts (NFS, Lustre, ...)."
            )
        r0, r1, c0, c1 = window or (0, self.shape[0], 0, self.shape[1])
        win = Window(c0, r0, c1 - c0, r1 - r0)
        with rasterio.open(self.path) as src:
            arr = src.read(1, window=win)
        crs = None
        if self.crs_wkt is not None:
            from pyproj import CRS

            crs = CRS.from_wkt(self.crs_wkt)
        return Raster(arr, wtransform(win, self.transform), crs, self.nodata)


def share_raster(r: Raster, workdir: str | os.PathLike[str], *, neighbors: int = 8,
                 geodesic: bool = False) -> SharedRaster:
    """Write ``r`` as a tiled GeoTIFF into ``workdir`` and plan the bucket queue once.

    Parameters
    ----------
    r : Raster
        Resistance raster.
    workdir : path
        Folder visible to every worker.
    neighbors, geodesic
        As in :func:`camigeo.corridors.cost_distance` (they fix the step lengths).

    Returns
    -------
    SharedRaster
    """
    import rasterio

    from . import _kernels as K
    from .cost import bucket_plan, check_neighbors, cost_array, step_lengths

    arr, nod, use_nod = cost_array(r)
    steps = step_lengths(r, geodesic)
    nbr = check_neighbors(neighbors)
    plan = bucket_plan(np.ascontiguousarray(arr), nod, use_nod, steps[:, :nbr])
    lo, _ = K.cost_range(np.ascontiguousarray(arr), nod, use_nod)
    path = Path(workdir) / "resistance.tif"
    profile: dict[str, Any] = dict(
        driver="GTiff", height=r.height, width=r.width, count=1, dtype=r.array.dtype,
        transform=r.transform, nodata=r.nodata, tiled=True, blockxsize=256, blockysize=256,
        BIGTIFF="IF_SAFER",
    )
    if r.crs is not None:
        profile["crs"] = rasterio.crs.CRS.from_wkt(r.crs.to_wkt())
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(r.array, 1)
    return SharedRaster(str(path), (r.height, r.width), r.transform,
                        None if r.crs is None else r.crs.to_wkt(), r.nodata, float(lo),
                        (float(plan[0]), int(plan[1])))


@contextmanager
def _workdir(workdir: str | os.PathLike[str] | None) -> Iterator[Path]:
    from ..scale import get_workdir

    workdir = workdir if workdir is not None else get_workdir()
    if workdir is not None:
        p = Path(workdir)
        p.mkdir(parents=True, exist_ok=True)
        sub = Path(tempfile.mkdtemp(prefix="camigeo-scale-", dir=p))
    else:
        sub = Path(tempfile.mkdtemp(prefix="camigeo-scale-"))
    try:
        yield sub
    finally:
        shutil.rmtree(sub, ignore_errors=True)


def _window(sr: SharedRaster, flat: np.ndarray, max_cost: float | None, geodesic: bool
            ) -> tuple[int, int, int, int]:
    """Rows/cols a source can reach within ``max_cost`` (whole raster without a limit).

    A step costs at least ``min(resistance) x step length``, so every cell of a path of
    cost <= max_cost lies within ``max_cost / min(resistance)`` map units of a source cell.
    """
    h, w = sr.shape
    if max_cost is None or geodesic or not sr.lo > 0 or not np.isfinite(max_cost):
        return 0, h, 0, w
    reach = float(max_cost) / sr.lo
    rows, cols = np.divmod(flat, w)
    mr = int(math.ceil(reach / abs(sr.transform.e))) + 1
    mc = int(math.ceil(reach / abs(sr.transform.a))) + 1
    return (max(0, int(rows.min()) - mr), min(h, int(rows.max()) + mr + 1),
            max(0, int(cols.min()) - mc), min(w, int(cols.max()) + mc + 1))


def _guard(scheduler: Any, sr_shape: tuple[int, int], windows: list[tuple[int, int, int, int]],
           what: str) -> Any:
    """Resolve the scheduler and refuse tasks whose window would not fit on a worker."""
    sched = check_scheduler(scheduler)
    cells = max(((r1 - r0) * (c1 - c0) for r0, r1, c0, c1 in windows),
                default=sr_shape[0] * sr_shape[1])
    check_task_memory(sched, estimate_cost_distance_bytes(cells),
                      what=f"{what} ({cells:,} cells per task)")
    return sched


def _to_window(flat: np.ndarray, width: int, win: tuple[int, int, int, int]
               ) -> tuple[np.ndarray, np.ndarray]:
    """Global flat indices -> (window flat indices, mask of those inside the window)."""
    r0, r1, c0, c1 = win
    rows, cols = np.divmod(flat, width)
    inside = (rows >= r0) & (rows < r1) & (cols >= c0) & (cols < c1)
    return (rows - r0) * (c1 - c0) + (cols - c0), inside


def _run_window(sr: SharedRaster, flat: np.ndarray, *, neighbors: int, geodesic: bool,
                block_corners: bool | float, max_cost: float | None, want_back: bool
                ) -> tuple[tuple[int, int, int, int], np.ndarray, np.ndarray]:
    """Cost distance from the cells ``flat`` (global) on the window they can reach."""
    from . import _kernels as K
    from .cost import (
        check_neighbors,
        corner_rule,
        cost_array,
        step_lengths,
        valid_sources,
    )

    win = _window(sr, flat, max_cost, geodesic)
    r = sr.read(win)
    arr, nod, use_nod = cost_array(r)
    arr = np.ascontiguousarray(arr)
    steps = step_lengths(r, geodesic)
    nbr = check_neighbors(neighbors)
    local, inside = _to_window(flat, sr.shape[1], win)
    src, lab = valid_sources(arr, nod, use_nod, local[inside].astype(np.int64),
                              np.zeros(int(inside.sum()), np.int32), "sources")
    mode, cval = corner_rule(block_corners)
    mc = np.inf if max_cost is None else float(max_cost)
    w, nb = sr.plan
    dist, back, _ = K.dijkstra(arr, nod, use_nod, src, lab, nbr, steps, K.INTERMEDIATES,
                               mode, cval, mc, want_back, False, w, nb)
    return win, dist, back


# ----------------------------------------------------------------------------- cost distance
def _source_task(item: tuple[int, np.ndarray], *, sr: SharedRaster, neighbors: int,
                 geodesic: bool, block_corners: bool | float, max_cost: float | None
                 ) -> tuple[tuple[int, int, int, int], np.ndarray]:
    _, flat = item
    win, dist, _ = _run_window(sr, flat, neighbors=neighbors, geodesic=geodesic,
                               block_corners=block_corners, max_cost=max_cost,
                               want_back=False)
    return win, dist


def _source_alloc_task(item: tuple[int, np.ndarray], *, sr: SharedRaster, neighbors: int,
                       geodesic: bool, block_corners: bool | float, max_cost: float | None,
                       want_back: bool = False
                       ) -> tuple[int, tuple[int, int, int, int], np.ndarray, np.ndarray | None]:
    """(label, window, cost, back-links or None) of one source group."""
    _, flat = item
    win, dist, back = _run_window(sr, flat, neighbors=neighbors, geodesic=geodesic,
                                  block_corners=block_corners, max_cost=max_cost,
                                  want_back=want_back)
    return int(item[0]), win, dist, (back if want_back else None)


def cost_distance_dask(
    resistance: Any,
    sources: Any,
    *,
    neighbors: int = 8,
    geodesic: bool = False,
    block_corners: bool | float = False,
    max_cost: float | None = None,
    id_col: str | None = None,
    return_traceback: bool = False,
    return_allocation: bool = False,
    scheduler: Any = "threads",
    workdir: str | os.PathLike[str] | None = None,
) -> Any:
    """:func:`camigeo.corridors.cost_distance` with one task per source.

    Sources are grouped by label (row of a GeoDataFrame, ``id_col`` value, label value of a
    label raster, or (row, col) pair); each group is one task on its reachable window.
    Worth it with many sources and a ``max_cost`` (small windows); without ``max_cost``
    every task covers the whole raster, so this does more work than the single
    multi-source run and only pays off with more workers than sources' cost ratio.

    Parameters
    ----------
    resistance, sources, neighbors, geodesic, block_corners, max_cost, id_col
        As in :func:`camigeo.corridors.cost_distance`.
    return_allocation : bool, default False
        Also return the nearest-source id per cell: the argmin over the per-source
        cost-distance rasters (int32, -1 = unreachable). Ties (a cell exactly equally far
        from two sources) go to the LOWEST source id here, whereas the single-machine
        run gives them to whichever source's front settles the cell first; the two agree
        wherever there is no exact tie.
    return_traceback : bool, default False
        Also return the back-link raster: per cell, the back-link of the source that
        reaches it at the lowest cost (the offset index of the step that reached it, as
        :data:`camigeo.corridors.OFFSETS`; back-links are independent of the window a
        task ran on). Exact ties follow the same lowest-id rule as the allocation, so a
        tied cell may point along another, equally cheap path than the single-machine
        run; following the back-links always gives a least-cost path.
    scheduler : str or Client
        See :func:`camigeo.scale.check_scheduler`.
    workdir : path, optional
        Folder visible to every worker for the shared raster (default:
        :func:`camigeo.scale.get_workdir`, else a temporary one).

    Returns
    -------
    Raster or CostDistanceResult
        Accumulated cost (float64, NaN = unreachable), equal to the single-machine result;
        with ``return_allocation`` / ``return_traceback`` a
        ``CostDistanceResult(cost, traceback, allocation)``.
    """
    from .cost import as_resistance, cost_array, source_cells, valid_sources

    r = as_resistance(resistance)
    flat, lab = source_cells(sources, r, id_col=id_col)
    arr, nod, use_nod = cost_array(r)
    # drop (and warn about) impassable source cells once, as the single-machine run does
    flat, lab = valid_sources(arr, nod, use_nod, flat, lab, "sources")
    items = [(int(v), flat[lab == v]) for v in np.unique(lab)]
    out = np.full(r.shape, np.inf)
    full = return_allocation or return_traceback
    # the winning label per cell is needed for the tie rule of either extra output
    alloc = np.full(r.shape, -1, dtype=np.int32) if full else None
    back = np.full(r.shape, -1, dtype=np.int8) if return_traceback else None

    def combine(res: tuple[tuple[int, int, int, int], np.ndarray]) -> None:
        (r0, r1, c0, c1), dist = res
        np.fmin(out[r0:r1, c0:c1], dist, out=out[r0:r1, c0:c1])

    def combine_full(res: tuple[int, tuple[int, int, int, int], np.ndarray,
                                np.ndarray | None]) -> None:
        # argmin over sources, ties to the lowest id (results arrive in any order)
        label, (r0, r1, c0, c1), dist, bk = res
        assert alloc is not None  # made whenever full
        cur = out[r0:r1, c0:c1]
        al = alloc[r0:r1, c0:c1]
        win = np.isfinite(dist) & ((dist < cur) | ((dist == cur) & (label < al)))
        cur[win] = dist[win]
        al[win] = label
        if bk is not None:
            assert back is not None  # bk is only sent with want_back=return_traceback
            back[r0:r1, c0:c1][win] = bk[win]

    with _workdir(workdir) as wd:
        sr = share_raster(r, wd, neighbors=neighbors, geodesic=geodesic)
        sched = _guard(scheduler, sr.shape, [_window(sr, it[1], max_cost, geodesic)
                                             for it in items], "cost distance")
        log.info("cost distance: %d source tasks on %s", len(items), sched)
        shared = {"sr": sr, "neighbors": neighbors, "geodesic": geodesic,
                  "block_corners": block_corners, "max_cost": max_cost}
        if full:
            reduce_tasks(_source_alloc_task, items, combine_full, scheduler=sched,
                         shared={**shared, "want_back": return_traceback})
        else:
            reduce_tasks(_source_task, items, combine, scheduler=sched, shared=shared)
    out[np.isinf(out)] = np.nan
    cost = Raster(out, r.transform, r.crs, np.nan)
    if not full:
        return cost
    from .cost import CostDistanceResult

    assert alloc is not None  # made whenever full
    return CostDistanceResult(
        cost, Raster(back, r.transform, r.crs, -1) if back is not None else None,
        Raster(alloc, r.transform, r.crs, -1) if return_allocation else None)


# ----------------------------------------------------------------------------- links
def _links_task(item: tuple[int, np.ndarray, list[tuple[int, np.ndarray]]], *,
                sr: SharedRaster, neighbors: int, geodesic: bool, block_corners: bool | float,
                max_cost: float | None) -> list[tuple[int, int, float, np.ndarray, np.ndarray]]:
    """Cost distance of core i, then (i, j, cw_dist, path rows, path cols) per partner j."""
    from . import _kernels as K

    i, cells_i, partners = item
    win, dist, back = _run_window(sr, cells_i, neighbors=neighbors, geodesic=geodesic,
                                  block_corners=block_corners, max_cost=max_cost,
                                  want_back=True)
    r0, r1, c0, c1 = win
    ww = c1 - c0
    out = []
    for j, cells_j in partners:
        local, inside = _to_window(cells_j, sr.shape[1], win)
        vals = np.full(len(cells_j), np.inf)
        vals[inside] = dist.ravel()[local[inside]]
        best = int(np.argmin(vals))
        cw = float(vals[best])
        if not np.isfinite(cw):
            continue
        tr, tc = divmod(int(local[best]), ww)
        pr, pc = K.trace_back(back, tr, tc)
        out.append((i, j, cw, np.asarray(pr)[::-1] + r0, np.asarray(pc)[::-1] + c0))
    return out


def corridor_links_dask(
    cores: Any,
    resistance: Any,
    *,
    id_col: str | None = None,
    adjacency: str = "all",
    max_cw_dist: float | None = None,
    max_euc_dist_km: float | None = None,
    min_euc_dist_km: float | None = None,
    min_cw_dist: float | None = None,
    drop_through_cores: bool = True,
    nearest_neighbors: int | None = None,
    nearest_by: str = "cw_dist",
    connect_clusters: bool = False,
    neighbors: int = 8,
    geodesic: bool = False,
    block_corners: bool | float = False,
    scheduler: Any = "threads",
    workdir: str | os.PathLike[str] | None = None,
) -> Any:
    """:func:`camigeo.corridors.corridor_links` with one task per core.

    Parameters as :func:`camigeo.corridors.corridor_links`, plus ``scheduler`` and
    ``workdir`` (see :func:`cost_distance_dask`). With ``max_cw_dist`` each task reads only
    the window its core can reach. Candidate pairs (Euclidean filters and the
    ``adjacency`` network; its cost allocation is one run on the client) and the final
    filters and nearest-neighbour pruning use the same helpers as the single-machine path.

    Returns
    -------
    geopandas.GeoDataFrame
        The same link table.
    """
    from .._errors import CRSError
    from .adjacency import check_network
    from .cores import prepare_cores
    from .links import (
        check_limits,
        core_distances_m,
        empty_links,
        finish_links,
        link_row,
        select_pairs,
    )

    check_limits(max_cw_dist, max_euc_dist_km, min_euc_dist_km, min_cw_dist)
    check_network(adjacency, nearest_neighbors, nearest_by, connect_clusters)
    cs = prepare_cores(cores, resistance, id_col)
    r = cs.raster
    if geodesic and (r.crs is None or not r.crs.is_geographic):
        raise CRSError("geodesic=True needs a lon/lat resistance raster.")
    euc = core_distances_m(cs, geodesic)
    pairs = select_pairs(cs, euc, max_euc_dist_km=max_euc_dist_km,
                          min_euc_dist_km=min_euc_dist_km, adjacency=adjacency,
                          neighbors=neighbors, geodesic=geodesic, block_corners=block_corners)
    if not pairs:
        return empty_links(r.crs)
    firsts = sorted({p[0] for p in pairs})
    items = [(i, cs.cells[i], [(j, cs.cells[j]) for j in range(i + 1, len(cs.ids))
                               if (i, j) in pairs]) for i in firsts]
    found: list[tuple[int, int, float, np.ndarray, np.ndarray]] = []
    with _workdir(workdir) as wd:
        sr = share_raster(r, wd, neighbors=neighbors, geodesic=geodesic)
        sched = _guard(scheduler, sr.shape, [_window(sr, it[1], max_cw_dist, geodesic)
                                             for it in items], "corridor links")
        log.info("corridor links: %d core tasks, %d pairs on %s", len(items), len(pairs),
                 sched)
        reduce_tasks(_links_task, items, found.extend, scheduler=sched,
                     shared={"sr": sr, "neighbors": neighbors, "geodesic": geodesic,
                             "block_corners": block_corners, "max_cost": max_cw_dist})
    found.sort(key=lambda x: (x[0], x[1]))
    rows = [row for i, j, cw, pr, pc in found
            if (row := link_row(cs, i, j, cw, pr, pc, euc, geodesic=geodesic,
                                 drop_through_cores=drop_through_cores)) is not None]
    return finish_links(rows, cs, max_cw_dist=max_cw_dist, min_cw_dist=min_cw_dist,
                         nearest_neighbors=nearest_neighbors, nearest_by=nearest_by,
                         connect_clusters=connect_clusters)


# ----------------------------------------------------------------------------- NLCC, barriers
def _cwd_file_task(item: tuple[int, np.ndarray, list[tuple[int, np.ndarray]]], *,
                   sr: SharedRaster, folder: str, neighbors: int, geodesic: bool,
                   block_corners: bool | float) -> tuple[int, str, dict[int, float]]:
    """Whole-raster cost distance of core i -> ``.npy`` file; LCD to each partner j."""
    i, cells_i, partners = item
    _, dist, _ = _run_window(sr, cells_i, neighbors=neighbors, geodesic=geodesic,
                             block_corners=block_corners, max_cost=None, want_back=False)
    path = os.path.join(folder, f"cwd_{i}.npy")
    np.save(path, dist)
    lcd = {j: float(np.min(dist.ravel()[cells_j])) for j, cells_j in partners}
    return i, path, lcd


def _pair_cwd_files(cs: Any, pairs: list[tuple[int, int]], wd: Path, *, neighbors: int,
                    geodesic: bool, block_corners: bool | float, scheduler: Any
                    ) -> tuple[SharedRaster, dict[int, str], dict[tuple[int, int], float]]:
    need = sorted({i for p in pairs for i in p})
    items = [(i, cs.cells[i], [(j, cs.cells[j]) for (a, j) in pairs if a == i])
             for i in need]
    sr = share_raster(cs.raster, wd, neighbors=neighbors, geodesic=geodesic)
    sched = _guard(scheduler, sr.shape, [], "cost distance per core")
    paths: dict[int, str] = {}
    lcds: dict[tuple[int, int], float] = {}

    def combine(res: tuple[int, str, dict[int, float]]) -> None:
        i, path, lcd = res
        paths[i] = path
        for j, v in lcd.items():
            lcds[(i, j)] = v

    reduce_tasks(_cwd_file_task, items, combine, scheduler=sched,
                 shared={"sr": sr, "folder": str(wd), "neighbors": neighbors,
                         "geodesic": geodesic, "block_corners": block_corners})
    return sr, paths, lcds


def _bands(height: int, rows: int) -> list[tuple[int, int]]:
    return [(a, min(height, a + rows)) for a in range(0, height, rows)]


def _nlcc_band(band: tuple[int, int], *, paths: dict[int, str],
               pairs: list[tuple[int, int, float]], width: int
               ) -> tuple[tuple[int, int], np.ndarray]:
    a, b = band
    mm = {i: np.load(p, mmap_mode="r") for i, p in paths.items()}
    out = np.full((b - a, width), np.inf)
    for i, j, lcd in pairs:
        nl = mm[i][a:b] + mm[j][a:b] - lcd
        np.fmin(out, nl, out=out, where=np.isfinite(nl))
    return band, out


def normalized_corridors_dask(
    cores: Any,
    resistance: Any,
    links: Any = None,
    *,
    id_col: str | None = None,
    cost_slack: float | None = None,
    neighbors: int = 8,
    geodesic: bool = False,
    block_corners: bool | float = False,
    scheduler: Any = "threads",
    workdir: str | os.PathLike[str] | None = None,
    band_rows: int = 512,
) -> Raster:
    """:func:`camigeo.corridors.normalized_corridors`: per-core tasks, then per-band tasks.

    Parameters as :func:`camigeo.corridors.normalized_corridors`, plus ``scheduler``,
    ``workdir`` (see :func:`cost_distance_dask`) and ``band_rows`` (rows per mosaic task).

    Returns
    -------
    Raster
        The same NLCC mosaic (identical values).
    """
    from .cores import prepare_cores
    from .nlcc import link_pairs

    if cost_slack is not None and cost_slack < 0:
        raise CamigeoError(f"cost_slack must be >= 0 (cost units); got {cost_slack}.")
    cs = prepare_cores(cores, resistance, id_col)
    r = cs.raster
    pairs = link_pairs(cs, links)
    out = np.full(r.shape, np.inf)
    if pairs:
        with _workdir(workdir) as wd:
            _, paths, lcds = _pair_cwd_files(cs, pairs, wd, neighbors=neighbors,
                                             geodesic=geodesic, block_corners=block_corners,
                                             scheduler=scheduler)
            plist = []
            for i, j in pairs:
                lcd = lcds[(i, j)]
                if not np.isfinite(lcd):
                    log.info("cores %s and %s are not connected; no corridor", cs.ids[i],
                             cs.ids[j])
                    continue
                plist.append((i, j, lcd))

            def combine(res: tuple[tuple[int, int], np.ndarray]) -> None:
                (a, b), arr = res
                out[a:b] = arr

            reduce_tasks(_nlcc_band, _bands(r.height, band_rows), combine,
                         scheduler=scheduler,
                         shared={"paths": paths, "pairs": plist, "width": r.width})
    out[~np.isfinite(out)] = np.nan
    if cost_slack is not None:
        out[out > cost_slack] = np.nan
    return Raster(out, r.transform, r.crs, np.nan)


def _barrier_band(band: tuple[int, int], *, paths: dict[int, str],
                  pairs: list[tuple[int, int, float]], radii: list[float], grid: Any,
                  form: str) -> tuple[tuple[int, int], np.ndarray]:
    """Scores of rows ``band`` from the per-core grids (memory maps) and their halos."""
    from .barriers import improvement_score, window_minima

    a, b = band
    mm = {i: np.load(p, mmap_mode="r") for i, p in paths.items()}
    best = np.full((b - a, grid.shape[1]), np.nan)
    for radius in radii:
        mins = window_minima(mm, a, b, radius, grid)
        for i, j, lcd in pairs:
            best = np.fmax(best, improvement_score(lcd, mins[i], mins[j], radius, form))
    return band, best


def barrier_improvement_dask(
    cores: Any,
    resistance: Any,
    links: Any = None,
    *,
    radii_m: Sequence[float] | None = None,
    form: str = "per_unit",
    id_col: str | None = None,
    neighbors: int = 8,
    geodesic: bool = False,
    block_corners: bool | float = False,
    scheduler: Any = "threads",
    workdir: str | os.PathLike[str] | None = None,
    band_rows: int = 512,
) -> Raster:
    """:func:`camigeo.corridors.barrier_improvement`: per-core tasks, then per-band tasks.

    Parameters as :func:`camigeo.corridors.barrier_improvement`, plus ``scheduler``,
    ``workdir`` and ``band_rows`` (see :func:`normalized_corridors_dask`). Validation and
    the window minimum (footprints per row, halo) are the single-machine helpers, so a
    lon/lat raster with ``geodesic=True`` works the same way.

    Returns
    -------
    Raster
        The same score raster (identical values).
    """
    from .barriers import check_args
    from .cores import prepare_cores
    from .nlcc import link_pairs

    cs = prepare_cores(cores, resistance, id_col)
    r = cs.raster
    radii, grid = check_args(r, radii_m, form, geodesic)
    pairs = link_pairs(cs, links)
    best = np.full(r.shape, np.nan)
    if not pairs:
        return Raster(best, r.transform, r.crs, np.nan)
    with _workdir(workdir) as wd:
        _, paths, lcds = _pair_cwd_files(cs, pairs, wd, neighbors=neighbors,
                                         geodesic=geodesic, block_corners=block_corners,
                                         scheduler=scheduler)
        plist = [(i, j, lcds[(i, j)]) for i, j in pairs
                 if np.isfinite(lcds[(i, j)]) and lcds[(i, j)] > 0]

        def combine(res: tuple[tuple[int, int], np.ndarray]) -> None:
            (a, b), arr = res
            best[a:b] = arr

        reduce_tasks(_barrier_band, _bands(r.height, band_rows), combine,
                     scheduler=scheduler,
                     shared={"paths": paths, "pairs": plist, "radii": radii,
                             "grid": grid, "form": form})
    return Raster(best, r.transform, r.crs, np.nan)


register_twins("corridors", cost_distance_dask, corridor_links_dask, normalized_corridors_dask,
               barrier_improvement_dask)
