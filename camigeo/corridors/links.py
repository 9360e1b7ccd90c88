"""Linkage-Mapper-style link table between habitat cores.

One cost-distance run per core (all core cells as sources), reused for every pair: the
cost-weighted distance between cores A and B is the minimum of CWD_A over B's cells
(Linkage Mapper ``CW_Dist``), and the least-cost path is traced back from that cell.
:func:`core_cwd` is a pure array function so it can be distributed (Dask, issue 8).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import shapely
from affine import Affine
from pyproj import CRS

from .._errors import CamigeoError, CRSError
from ..io.crs import GEOD
from ..io.raster import Raster
from . import _kernels as K
from .adjacency import adjacent_pairs, check_network, prune_nearest
from .cores import Cores, prepare_cores
from .cost import (
    bucket_plan,
    check_neighbors,
    corner_rule,
    line_length_km,
    path_line,
    step_lengths,
    unit_factor,
)

__all__ = ["corridor_links", "LINK_COLUMNS"]

log = logging.getLogger(__name__)

#: Columns of the table returned by :func:`corridor_links`, in order (plus geometry).
LINK_COLUMNS: tuple[str, ...] = ("core_a", "core_b", "cw_dist", "euc_dist_km",
                                 "lcp_length_km", "cwd_to_euc", "cwd_to_path", "touching")


def core_cwd(
    resistance_array: np.ndarray,
    transform: Affine,
    core_mask: np.ndarray,
    *,
    crs: CRS | None = None,
    nodata: float | None = None,
    neighbors: int = 8,
    geodesic: bool = False,
    block_corners: bool | float = False,
    max_cost: float | None = None,
    want_back: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Cost-weighted distance from one core (pure function on arrays).

    Parameters
    ----------
    resistance_array : 2-D float array
    transform : affine.Affine
    core_mask : bool array, same shape
        Cells of the core (the sources).
    crs, nodata, neighbors, geodesic, block_corners, max_cost
        As in :func:`camigeo.corridors.cost_distance`.
    want_back : bool, default True
        Also return the back-link array.

    Returns
    -------
    cwd : float64 array (inf = unreachable)
    back : int8 array (offset index of the arriving step, -1 none; (1, 1) if not wanted)
    """
    r = Raster(resistance_array, transform, crs, nodata)
    from .cost import cost_array, valid_sources

    arr, nod, use_nod = cost_array(r)
    arr = np.ascontiguousarray(arr)
    steps = step_lengths(r, geodesic)
    nbr = check_neighbors(neighbors)
    flat = np.flatnonzero(core_mask).astype(np.int64)
    flat, lab = valid_sources(arr, nod, use_nod, flat, np.zeros(len(flat), np.int32),
                               "core")
    mode, cval = corner_rule(block_corners)
    w, nb = bucket_plan(arr, nod, use_nod, steps[:, :nbr])
    mc = np.inf if max_cost is None else float(max_cost)
    dist, back, _ = K.dijkstra(arr, nod, use_nod, flat, lab, nbr, steps, K.INTERMEDIATES,
                               mode, cval, mc, want_back, False, w, nb)
    return dist, back


def iter_cwds(cs: Cores, which: set[int] | None = None, *, neighbors: int,
               geodesic: bool, block_corners: bool | float,
               max_cost: float | None, want_back: bool, progress: bool
               ) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    it: Any = [i for i in range(len(cs.ids)) if which is None or i in which]
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc="cost distance per core")
    r = cs.raster
    for i in it:
        mask = np.zeros(r.shape, dtype=bool)
        mask.ravel()[cs.cells[i]] = True
        cwd, back = core_cwd(r.array, r.transform, mask, crs=r.crs, nodata=r.nodata,
                              neighbors=neighbors, geodesic=geodesic,
                              block_corners=block_corners, max_cost=max_cost,
                              want_back=want_back)
        yield i, cwd, back


def core_distances_m(cs: Cores, geodesic: bool) -> np.ndarray:
    """Edge-to-edge distance between cores in metres (n, n)."""
    n = len(cs.geoms)
    out = np.zeros((n, n))
    for i in range(n):
        if geodesic:
            lines = shapely.shortest_line(cs.geoms[i], cs.geoms)
            xy = shapely.get_coordinates(lines).reshape(-1, 2, 2)
            _, _, d = GEOD.inv(xy[:, 0, 0], xy[:, 0, 1], xy[:, 1, 0], xy[:, 1, 1])
            out[i] = np.asarray(d)
        else:
            out[i] = shapely.distance(cs.geoms[i], cs.geoms) * unit_factor(cs.raster.crs)
    return out


def empty_links(crs: Any) -> gpd.GeoDataFrame:
    cols: dict[str, Any] = {c: np.array([], dtype=float) for c in LINK_COLUMNS}
    cols["core_a"] = np.array([], dtype=object)
    cols["core_b"] = np.array([], dtype=object)
    cols["touching"] = np.array([], dtype=bool)
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def link_row(cs: Cores, i: int, j: int, cw: float, pr: np.ndarray, pc: np.ndarray,
              euc_m: np.ndarray, *, geodesic: bool, drop_through_cores: bool
              ) -> dict[str, Any] | None:
    """One link-table row from the cheapest path (rows ``pr``, cols ``pc``, A to B).

    None when ``drop_through_cores`` and the path enters a third core. Shared by the
    single-machine and the Dask path.
    """
    r = cs.raster
    through = set(np.unique(cs.labels[pr, pc]).tolist()) - {0, i + 1, j + 1}
    if drop_through_cores and through:
        log.debug("link %s-%s passes through cores %s: dropped", cs.ids[i], cs.ids[j],
                  sorted(cs.ids[k - 1] for k in through))
        return None
    to_map = 1.0 if geodesic else unit_factor(r.crs)  # metres per map unit
    line = path_line(r, pr, pc)
    length_km = line_length_km(line, r.crs, geodesic)
    euc = euc_m[i, j] / to_map  # map units
    path_mu = length_km * 1000.0 / to_map
    # Touching cores (edge-to-edge gap 0) give a zero-length link, handled explicitly:
    # ``touching`` is True; the cost per map unit is taken along the path
    # (cwd_to_euc = cwd_to_path), and when the path is a single cell shared by both cores
    # (overlapping cores, cw_dist 0) it is that cell's resistance and the geometry is a
    # one-cell line through the shared cell (a valid LineString, not two equal points).
    if path_mu > 0:
        per_path = cw / path_mu
    else:
        per_path = float(r.array[pr[0], pc[0]])
        x, y = r.xy(pr[:1], pc[:1])
        half = abs(r.transform.a) / 2.0
        line = shapely.LineString([(x[0] - half, y[0]), (x[0] + half, y[0])])
    return {
        "core_a": cs.ids[i], "core_b": cs.ids[j], "cw_dist": cw,
        "euc_dist_km": euc_m[i, j] / 1000.0, "lcp_length_km": length_km,
        "cwd_to_euc": cw / euc if euc > 0 else per_path,
        "cwd_to_path": per_path,
        "touching": bool(euc <= 0),
        "geometry": line,
    }


def _links_from_cwds(cs: Cores, cwds: Iterator[tuple[int, np.ndarray, np.ndarray]],
                     pairs: set[tuple[int, int]], euc_m: np.ndarray, *, geodesic: bool,
                     drop_through_cores: bool, keep: dict[int, np.ndarray] | None
                     ) -> list[dict[str, Any]]:
    r = cs.raster
    rows: list[dict[str, Any]] = []
    for i, cwd, back in cwds:
        if keep is not None:
            keep[i] = cwd
        for j in range(i + 1, len(cs.ids)):
            if (i, j) not in pairs:
                continue
            vals = cwd.ravel()[cs.cells[j]]
            best = int(np.argmin(vals))
            cw = float(vals[best])
            if not np.isfinite(cw):
                continue
            tr, tc = divmod(int(cs.cells[j][best]), r.width)
            pr, pc = K.trace_back(back, tr, tc)
            row = link_row(cs, i, j, cw, np.asarray(pr)[::-1], np.asarray(pc)[::-1],
                            euc_m, geodesic=geodesic, drop_through_cores=drop_through_cores)
            if row is not None:
                rows.append(row)
    return rows


def _candidate_pairs(n: int, euc_m: np.ndarray, max_euc_dist_km: float | None,
                     min_euc_dist_km: float | None) -> set[tuple[int, int]]:
    pairs = set()
    for i in range(n):
        for j in range(i + 1, n):
            d = euc_m[i, j] / 1000.0
            if max_euc_dist_km is not None and d > max_euc_dist_km:
                continue
            if min_euc_dist_km is not None and d < min_euc_dist_km:
                continue
            pairs.add((i, j))
    return pairs


def select_pairs(cs: Cores, euc_m: np.ndarray, *, max_euc_dist_km: float | None,
                  min_euc_dist_km: float | None, adjacency: str, neighbors: int,
                  geodesic: bool, block_corners: bool | float) -> set[tuple[int, int]]:
    """Candidate pairs (positions i < j): Euclidean filters, then the adjacency network.

    Shared by the single-machine and the Dask path (same candidates, same link table).
    """
    pairs = _candidate_pairs(len(cs.ids), euc_m, max_euc_dist_km, min_euc_dist_km)
    if not pairs:
        return pairs
    adjacent = adjacent_pairs(cs, adjacency, neighbors=neighbors, geodesic=geodesic,
                               block_corners=block_corners)
    return pairs if adjacent is None else pairs & adjacent


def finish_links(rows: list[dict[str, Any]], cs: Cores, *, max_cw_dist: float | None,
                  min_cw_dist: float | None, nearest_neighbors: int | None,
                  nearest_by: str, connect_clusters: bool) -> gpd.GeoDataFrame:
    """Cost-distance filters, then nearest-neighbour pruning (Linkage Mapper steps 3, 4).

    Shared by the single-machine and the Dask path.
    """
    if max_cw_dist is not None:
        rows = [x for x in rows if x["cw_dist"] <= max_cw_dist]
    if min_cw_dist is not None:
        rows = [x for x in rows if x["cw_dist"] >= min_cw_dist]
    if not rows:
        return empty_links(cs.raster.crs)
    links = gpd.GeoDataFrame(rows, geometry="geometry", crs=cs.raster.crs)
    return prune_nearest(links, cs.ids, k=nearest_neighbors, by=nearest_by,
                          connect=connect_clusters)


def check_limits(max_cw_dist: float | None, max_euc_dist_km: float | None,
                  min_euc_dist_km: float | None, min_cw_dist: float | None = None) -> None:
    """Reject negative or crossed link filters (they would silently drop every link)."""
    for name, v in (("max_cw_dist", max_cw_dist), ("max_euc_dist_km", max_euc_dist_km),
                    ("min_euc_dist_km", min_euc_dist_km), ("min_cw_dist", min_cw_dist)):
        if v is not None and not (isinstance(v, int | float | np.number) and v >= 0):
            raise CamigeoError(f"{name} must be a number >= 0 (or None for no limit); got "
                               f"{v!r}.")
    if (max_euc_dist_km is not None and min_euc_dist_km is not None
            and min_euc_dist_km > max_euc_dist_km):
        raise CamigeoError(f"min_euc_dist_km ({min_euc_dist_km}) is larger than "
                           f"max_euc_dist_km ({max_euc_dist_km}): no pair could be linked.")
    if max_cw_dist is not None and min_cw_dist is not None and min_cw_dist > max_cw_dist:
        raise CamigeoError(f"min_cw_dist ({min_cw_dist}) is larger than max_cw_dist "
                           f"({max_cw_dist}): no pair could be linked.")


def corridor_links(
    cores: gpd.GeoDataFrame,
    resistance: Raster | str | os.PathLike[str],
    *,
    id_col: str | None = None,
    adjacency: Literal["all", "cost", "euclidean", "both"] = "all",
    max_cw_dist: float | None = None,
    max_euc_dist_km: float | None = None,
    min_euc_dist_km: float | None = None,
    min_cw_dist: float | None = None,
    drop_through_cores: bool = True,
    nearest_neighbors: int | None = None,
    nearest_by: Literal["cw_dist", "euc_dist_km"] = "cw_dist",
    connect_clusters: bool = False,
    neighbors: int = 8,
    geodesic: bool = False,
    block_corners: bool | float = False,
    progress: bool = False,
    scheduler: Any = None,
) -> gpd.GeoDataFrame:
    """Least-cost links between pairs of cores (Linkage Mapper link table).

    The steps follow Linkage Mapper: candidate pairs (step 1/2: ``adjacency`` network and
    the Euclidean filters), one cost-distance run per core and the link of every candidate
    pair (step 3, with ``drop_through_cores`` and the cost-distance filters), then optional
    nearest-neighbour pruning (step 4: ``nearest_neighbors``, ``connect_clusters``).

    Parameters
    ----------
    cores : GeoDataFrame
        Core polygons in the raster CRS, with unique ids in ``core_id`` (or ``id_col``).
        A core's cells are those whose centre lies inside it (at least one).
    resistance : Raster or path
        Resistance per map unit (projected CRS, or lon/lat with ``geodesic=True``).
    id_col : str, optional
        Id column (default ``core_id``).
    adjacency : {"all", "cost", "euclidean", "both"}, default "all"
        Which pairs are candidates. ``"all"``: every pair. ``"cost"``: cores whose
        cost-allocation zones touch (8-neighbourhood; Linkage Mapper "cost-weighted"
        adjacency); ``"euclidean"``: cores whose Euclidean allocation zones touch;
        ``"both"``: either (Linkage Mapper "cost-weighted & Euclidean", the union). See
        :func:`camigeo.corridors.core_adjacency`.
    max_cw_dist : float, optional
        Drop links whose cost-weighted distance exceeds this (cost units); also limits
        each cost-distance run (faster).
    max_euc_dist_km, min_euc_dist_km : float, optional
        Only link cores whose edge-to-edge distance is within these bounds (km).
    min_cw_dist : float, optional
        Drop links whose cost-weighted distance is below this (cost units; Linkage
        Mapper's minimum cost-weighted distance), applied after ``drop_through_cores``.
    drop_through_cores : bool, default True
        Drop links whose least-cost path crosses a third core.
    nearest_neighbors : int, optional
        Keep only each core's links to its ``k`` nearest neighbours (a link survives when
        it is among the ``k`` nearest of either core; ties go to the partner listed first),
        after every filter above (Linkage Mapper step 4). None (default): no pruning.
    nearest_by : {"cw_dist", "euc_dist_km"}, default "cw_dist"
        Distance that ranks the neighbours: cost-weighted or edge-to-edge Euclidean.
    connect_clusters : bool, default False
        After pruning, join the clusters (connected groups of cores) again: each cluster
        gets its cheapest (by ``nearest_by``) remaining link to another cluster, repeated
        until no remaining link joins two clusters (Linkage Mapper "connect
        nearest-neighbour pairs between clusters"). Needs ``nearest_neighbors``.
    neighbors, geodesic, block_corners
        As in :func:`camigeo.corridors.cost_distance`.
    progress : bool, default False
        Show a tqdm bar over the per-core cost-distance runs.
    scheduler : None, "synchronous", "threads", "processes", "client" or Client, optional
        None (default): this single-machine path. Otherwise one Dask task per core (its
        cost distance and its links; with ``max_cw_dist`` only the window the core can
        reach is read from the resistance shared as a tiled GeoTIFF); same link table.
        The cost allocation of ``adjacency="cost"``/``"both"`` is one single-machine run
        on the client. See :mod:`camigeo.scale`, docs/scaling.md.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per linked pair (``core_a`` before ``core_b`` in input order):
        ``core_a``, ``core_b``, ``cw_dist`` (min of CWD_A over B's cells; resistance ×
        map units), ``euc_dist_km`` (edge to edge), ``lcp_length_km`` (path through cell
        centres), ``cwd_to_euc`` (cw_dist / Euclidean distance in map units; for touching
        cores, whose gap is 0, the same as ``cwd_to_path``), ``cwd_to_path`` (cw_dist /
        path length in map units; the shared cell's resistance when overlapping cores
        give a one-cell path of length 0), ``touching`` (True when the cores touch or
        overlap: a zero-length link), LineString geometry from A's edge to B's edge (a
        one-cell line through the shared cell for overlapping cores), raster CRS.

    Raises
    ------
    CamigeoError
        Bad cores, negative or crossed filters, unknown ``adjacency`` or ``nearest_by``,
        ``nearest_neighbors`` < 1, ``connect_clusters`` without ``nearest_neighbors``.

    Examples
    --------
    >>> import numpy as np, geopandas as gpd, shapely
    >>> from camigeo import Raster
    >>> r = Raster.from_array(np.ones((3, 7)), cellsize=1000, crs="EPSG:32642")
    >>> cores = gpd.GeoDataFrame({"core_id": [1, 2]}, geometry=[shapely.box(0, 0, 1000, 3000),
    ...     shapely.box(6000, 0, 7000, 3000)], crs="EPSG:32642")
    >>> links = corridor_links(cores, r)
    >>> links[["core_a", "core_b"]].iloc[0].tolist(), float(links["cw_dist"].iloc[0])
    ([1, 2], 6000.0)
    >>> float(links["euc_dist_km"].iloc[0]), float(links["cwd_to_euc"].iloc[0])
    (5.0, 1.2)
    """
    check_limits(max_cw_dist, max_euc_dist_km, min_euc_dist_km, min_cw_dist)
    check_network(adjacency, nearest_neighbors, nearest_by, connect_clusters)
    if scheduler is not None:  # Dask, one task per core (issue 8)
        from ..scale import distributed_twin
        corridor_links_dask = distributed_twin("corridors.corridor_links_dask")

        return corridor_links_dask(
            cores, resistance, id_col=id_col, adjacency=adjacency, max_cw_dist=max_cw_dist,
            max_euc_dist_km=max_euc_dist_km, min_euc_dist_km=min_euc_dist_km,
            min_cw_dist=min_cw_dist, drop_through_cores=drop_through_cores,
            nearest_neighbors=nearest_neighbors, nearest_by=nearest_by,
            connect_clusters=connect_clusters, neighbors=neighbors, geodesic=geodesic,
            block_corners=block_corners, scheduler=scheduler)
    cs = prepare_cores(cores, resistance, id_col)
    from ..scale import guard_cost_distance

    guard_cost_distance(cs.raster.array.size, what=f"corridor_links on {cs.raster.height} x "
                        f"{cs.raster.width} cells")
    if geodesic and (cs.raster.crs is None or not cs.raster.crs.is_geographic):
        raise CRSError("geodesic=True needs a lon/lat resistance raster.")
    euc = core_distances_m(cs, geodesic)
    pairs = select_pairs(cs, euc, max_euc_dist_km=max_euc_dist_km,
                          min_euc_dist_km=min_euc_dist_km, adjacency=adjacency,
                          neighbors=neighbors, geodesic=geodesic, block_corners=block_corners)
    if not pairs:
        return empty_links(cs.raster.crs)
    need = {p[0] for p in pairs}  # CWD of the first core of each pair is enough
    cwds = iter_cwds(cs, need, neighbors=neighbors, geodesic=geodesic,
                      block_corners=block_corners, max_cost=max_cw_dist, want_back=True,
                      progress=progress)
    rows = _links_from_cwds(cs, cwds, pairs, euc, geodesic=geodesic,
                            drop_through_cores=drop_through_cores, keep=None)
    return finish_links(rows, cs, max_cw_dist=max_cw_dist, min_cw_dist=min_cw_dist,
                         nearest_neighbors=nearest_neighbors, nearest_by=nearest_by,
                         connect_clusters=connect_clusters)
