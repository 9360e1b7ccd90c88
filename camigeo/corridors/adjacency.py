"""Linkage Mapper's core network: adjacent cores (step 1/2) and nearest-neighbour pruning (step 4).

Adjacency (Linkage Mapper step 1 "Identify adjacent core areas"): every cell is given to
one core (its *allocation zone*); two cores are adjacent when their zones touch, i.e. when
some cell of one zone and some cell of the other are neighbours. Linkage Mapper finds
them by comparing the ArcGIS allocation raster with copies of itself shifted by one cell
horizontally, vertically and along both diagonals (the 8-neighbourhood); here the same
comparison is one vectorised numpy pass per shift direction (4 shifts cover all 8
neighbours because adjacency is symmetric).

* ``"cost"`` zones: each cell goes to the core it reaches at the least accumulated cost
  (one multi-source cost-distance run for all cores, the same kernel, ``neighbors``,
  ``geodesic`` and ``block_corners`` as the links). Impassable cells (NaN, nodata,
  negative, inf) and cells no core reaches belong to no zone, so zones never touch
  *across* a line of impassable cells (as ArcGIS ``CostAllocation`` leaves them NoData).
* ``"euclidean"`` zones: each cell goes to the nearest core cell by straight-line distance
  (``scipy.ndimage.distance_transform_edt(..., return_indices=True)`` on the core-id
  raster, cell spacing in map units; on a lon/lat raster the spacing in metres at the
  raster's middle latitude). **Assumption**: resistance values play no part, and every
  grid cell, including nodata cells, is allocated -- ArcGIS ``EucAllocation`` without a
  mask, which is how Linkage Mapper calls it as far as we know. A pair that is adjacent
  only across impassable ground has no finite ``cw_dist`` and yields no link anyway.

Pruning (Linkage Mapper step 4 "Modify network"): each core keeps its links to its ``k``
nearest neighbours (by ``cw_dist`` or by ``euc_dist_km``); a link survives when it is among
the ``k`` nearest of *either* of its cores. ``connect_clusters`` then joins the clusters
(connected components) of the pruned network: every cluster gets its cheapest remaining
link to another cluster, repeated until no two clusters share a remaining link.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .._errors import CamigeoError
from ..io.crs import GEOD
from ..io.raster import Raster

if TYPE_CHECKING:
    import geopandas as gpd

    from .cores import Cores

__all__ = ["core_adjacency", "ADJACENCY_COLUMNS"]

log = logging.getLogger(__name__)

#: Columns of the table returned by :func:`core_adjacency`, in order.
ADJACENCY_COLUMNS: tuple[str, ...] = ("core_a", "core_b", "n_cell_pairs")

_METHODS = ("cost", "euclidean")
_NETWORKS = ("all", "cost", "euclidean", "both")
_NEAREST_BY = ("cw_dist", "euc_dist_km")
#: One-cell shifts (row, col) whose comparison finds every touching pair once.
_SHIFTS = {4: ((0, 1), (1, 0)), 8: ((0, 1), (1, 0), (1, 1), (1, -1))}


# ----------------------------------------------------------------------------- validation
def check_network(adjacency: Any, nearest_neighbors: Any, nearest_by: Any,
                   connect_clusters: Any) -> None:
    """Validate the network options of :func:`camigeo.corridors.corridor_links`."""
    if adjacency not in _NETWORKS:
        raise CamigeoError(
            f"adjacency must be one of {', '.join(map(repr, _NETWORKS))} ('all': every pair; "
            f"'cost'/'euclidean': cores whose cost/Euclidean allocation zones touch; 'both': "
            f"either, Linkage Mapper's 'cost-weighted & Euclidean'); got {adjacency!r}.")
    if nearest_neighbors is not None and (
            isinstance(nearest_neighbors, bool)
            or not isinstance(nearest_neighbors, int | np.integer) or nearest_neighbors < 1):
        raise CamigeoError(
            f"nearest_neighbors must be a whole number >= 1 (links kept per core) or None "
            f"for no pruning; got {nearest_neighbors!r}.")
    if nearest_by not in _NEAREST_BY:
        raise CamigeoError(
            f"nearest_by must be 'cw_dist' (cost-weighted distance) or 'euc_dist_km' "
            f"(edge-to-edge distance); got {nearest_by!r}.")
    if not isinstance(connect_clusters, bool | np.bool_):
        raise CamigeoError(f"connect_clusters must be True or False; got "
                           f"{connect_clusters!r}.")
    if connect_clusters and nearest_neighbors is None:
        raise CamigeoError(
            "connect_clusters=True joins the clusters left by nearest-neighbour pruning; "
            "pass nearest_neighbors=<k> as well (without pruning every link is kept).")


# ----------------------------------------------------------------------------- zones
def _cost_zones(cs: Cores, *, neighbors: int, geodesic: bool,
                block_corners: bool | float) -> np.ndarray:
    """Cost allocation (core position per cell, -1 none): one run for all cores."""
    from ..scale import guard_cost_distance
    from .cost import run_cost

    r = cs.raster
    guard_cost_distance(r.array.size, what=f"cost allocation of the cores on {r.height} x "
                        f"{r.width} cells")
    flat = np.concatenate(cs.cells)
    lab = np.concatenate([np.full(len(c), i, np.int32) for i, c in enumerate(cs.cells)])
    _, _, alloc = run_cost(r, flat, lab, neighbors=neighbors, geodesic=geodesic,
                       block_corners=block_corners, max_cost=None, want_back=False,
                       want_alloc=True, name="cores")
    return alloc


def _spacing(r: Raster) -> tuple[float, float]:
    """Cell height and width for Euclidean distances (metres at mid-latitude if lon/lat)."""
    t = r.transform
    if r.crs is not None and r.crs.is_geographic:
        lat = t.f + t.e * r.height / 2.0
        _, _, dy = GEOD.inv(0.0, lat, 0.0, lat + abs(t.e))
        _, _, dx = GEOD.inv(0.0, lat, abs(t.a), lat)
        return float(dy), float(dx)
    return abs(t.e), abs(t.a)


def _euclidean_zones(cs: Cores) -> np.ndarray:
    """Euclidean allocation (core position per cell): nearest core cell of every cell."""
    from scipy.ndimage import distance_transform_edt

    idx = distance_transform_edt(cs.labels == 0, sampling=_spacing(cs.raster),
                                 return_distances=False, return_indices=True)
    return cs.labels[idx[0], idx[1]] - 1


def _touching(zones: np.ndarray, n: int, connectivity: int = 8
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Touching zone pairs (a < b) and the number of neighbouring cell pairs of each."""
    codes = []
    h, w = zones.shape
    for dr, dc in _SHIFTS[connectivity]:
        c0, c1 = max(0, -dc), w - max(0, dc)
        a = zones[0:h - dr, c0:c1]
        b = zones[dr:h, c0 + dc:c1 + dc]
        m = (a != b) & (a >= 0) & (b >= 0)
        lo = np.minimum(a[m], b[m]).astype(np.int64)
        hi = np.maximum(a[m], b[m]).astype(np.int64)
        codes.append(lo * n + hi)
    code, count = np.unique(np.concatenate(codes), return_counts=True)
    return code // n, code % n, count


def _zones(cs: Cores, method: str, *, neighbors: int, geodesic: bool,
           block_corners: bool | float) -> np.ndarray:
    if method == "cost":
        return _cost_zones(cs, neighbors=neighbors, geodesic=geodesic,
                           block_corners=block_corners)
    return _euclidean_zones(cs)


def adjacent_pairs(cs: Cores, adjacency: str, *, neighbors: int, geodesic: bool,
                    block_corners: bool | float) -> set[tuple[int, int]] | None:
    """Positions (i < j) of adjacent cores for a network option; None for ``"all"``."""
    if adjacency == "all":
        return None
    methods = _METHODS if adjacency == "both" else (adjacency,)
    out: set[tuple[int, int]] = set()
    for m in methods:
        a, b, _ = _touching(_zones(cs, m, neighbors=neighbors, geodesic=geodesic,
                                   block_corners=block_corners), len(cs.ids))
        out |= set(zip(a.tolist(), b.tolist(), strict=True))
    log.info("%s adjacency: %d adjacent core pairs", adjacency, len(out))
    return out


# ----------------------------------------------------------------------------- pruning
def prune_nearest(links: gpd.GeoDataFrame, ids: np.ndarray, *, k: int | None,
                   by: str, connect: bool) -> gpd.GeoDataFrame:
    """Keep each core's ``k`` nearest links (by column ``by``), then join the clusters."""
    if k is None or not len(links):
        return links
    pos = {v: i for i, v in enumerate(ids.tolist())}
    a = np.array([pos[v] for v in links["core_a"].tolist()], dtype=np.int64)
    b = np.array([pos[v] for v in links["core_b"].tolist()], dtype=np.int64)
    d = links[by].to_numpy(dtype=float)
    row = np.arange(len(links))
    ends = pd.DataFrame({"core": np.r_[a, b], "other": np.r_[b, a], "d": np.r_[d, d],
                         "row": np.r_[row, row]})
    ends = ends.sort_values(["core", "d", "other"], kind="stable")
    near = ends[ends.groupby("core").cumcount() < k]
    keep = np.zeros(len(links), dtype=bool)
    keep[near["row"].to_numpy()] = True
    if connect:
        keep = _connect_clusters(a, b, d, keep, len(ids))
    log.info("nearest-neighbour pruning (k=%d by %s%s): %d of %d links kept", k, by,
             ", clusters connected" if connect else "", int(keep.sum()), len(links))
    return links[keep].reset_index(drop=True)


def _connect_clusters(a: np.ndarray, b: np.ndarray, d: np.ndarray, keep: np.ndarray,
                      n: int) -> np.ndarray:
    """Add each cluster's cheapest link to another cluster until none joins two clusters.

    Borůvka rounds on the cluster graph (vectorised per round); ties go to the link
    listed first (input order).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    keep = keep.copy()
    order = np.lexsort((np.arange(len(d)), d))  # cheapest first, then table order
    while True:
        g = coo_matrix((np.ones(int(keep.sum())), (a[keep], b[keep])), shape=(n, n))
        n_comp, comp = connected_components(g, directed=False)
        ca, cb = comp[a[order]], comp[b[order]]
        cand = ~keep[order] & (ca != cb)
        if not cand.any():
            return keep
        edges, ca, cb = order[cand], ca[cand], cb[cand]
        rank = np.arange(len(edges))
        first = np.full(n_comp, len(edges))  # best (lowest) rank touching each cluster
        np.minimum.at(first, ca, rank)
        np.minimum.at(first, cb, rank)
        keep[edges[np.unique(first[first < len(edges)])]] = True


# ----------------------------------------------------------------------------- public
def core_adjacency(
    cores: gpd.GeoDataFrame,
    resistance: Raster | str | os.PathLike[str],
    *,
    method: Literal["cost", "euclidean"] = "cost",
    id_col: str | None = None,
    connectivity: int = 8,
    neighbors: int = 8,
    geodesic: bool = False,
    block_corners: bool | float = False,
) -> pd.DataFrame:
    """Pairs of cores whose allocation zones touch (Linkage Mapper step 1).

    Parameters
    ----------
    cores : GeoDataFrame
        Core polygons in the raster CRS with unique ids in ``core_id`` (or ``id_col``);
        a core's cells are those whose centre lies inside it (as in
        :func:`camigeo.corridors.corridor_links`).
    resistance : Raster or path
        Resistance per map unit; gives the grid (and, for ``method="cost"``, the costs).
    method : {"cost", "euclidean"}, default "cost"
        ``"cost"``: zones of least accumulated cost (one multi-source cost-distance run;
        impassable and unreachable cells belong to no zone). ``"euclidean"``: zones of
        the nearest core cell by straight-line distance, resistance ignored
        (**assumption**: nodata cells are allocated too, as ArcGIS ``EucAllocation``
        without a mask).
    id_col : str, optional
        Id column (default ``core_id``).
    connectivity : {8, 4}, default 8
        Cells touch through their 8 neighbours (Linkage Mapper compares the allocation
        raster shifted along rows, columns and both diagonals) or only the 4 edge
        neighbours.
    neighbors, geodesic, block_corners
        As in :func:`camigeo.corridors.cost_distance` (``method="cost"`` only).

    Returns
    -------
    pandas.DataFrame
        One row per adjacent pair, ``core_a`` before ``core_b`` in input order:
        ``core_a``, ``core_b``, ``n_cell_pairs`` (neighbouring cell pairs with one cell in
        each zone, each unordered pair of cells counted once; a measure of the length of
        the shared zone boundary).

    Raises
    ------
    CamigeoError
        Unknown ``method`` or ``connectivity``; bad cores (as in ``corridor_links``).

    Examples
    --------
    >>> import numpy as np, geopandas as gpd, shapely
    >>> from camigeo import Raster
    >>> r = Raster.from_array(np.ones((1, 9)), cellsize=1000, crs="EPSG:32642")
    >>> cores = gpd.GeoDataFrame({"core_id": [1, 2, 3]}, geometry=[shapely.box(0, 0, 1000,
    ...     1000), shapely.box(4000, 0, 5000, 1000), shapely.box(8000, 0, 9000, 1000)],
    ...     crs="EPSG:32642")
    >>> core_adjacency(cores, r).values.tolist()  # 1 and 3 are separated by 2's zone
    [[1, 2, 1], [2, 3, 1]]
    """
    if method not in _METHODS:
        raise CamigeoError(f"method must be 'cost' (cost allocation zones) or 'euclidean' "
                           f"(straight-line allocation zones); got {method!r}.")
    if connectivity not in _SHIFTS or isinstance(connectivity, bool):
        raise CamigeoError(f"connectivity must be 8 (cells touch at edges and corners, as "
                           f"Linkage Mapper) or 4 (edges only); got {connectivity!r}.")
    from .cores import prepare_cores

    cs = prepare_cores(cores, resistance, id_col)
    zones = _zones(cs, method, neighbors=neighbors, geodesic=geodesic,
                   block_corners=block_corners)
    a, b, count = _touching(zones, len(cs.ids), connectivity)
    return pd.DataFrame({"core_a": cs.ids[a], "core_b": cs.ids[b],
                         "n_cell_pairs": count.astype(np.int64)})
