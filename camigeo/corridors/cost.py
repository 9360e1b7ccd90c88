"""Accumulated cost distance, allocation and least-cost paths on resistance rasters.

Convention (GRASS ``r.cost``, skimage ``MCP_Geometric``, ArcGIS Cost Distance): a step from
cell *a* to a neighbour *b* costs ``(c_a + c_b) / 2 × L`` with ``L`` the centre-to-centre
step length in map units (metres); a knight move (``neighbors=16``) costs
``(c_a + c_i1 + c_i2 + c_b) / 4 × L``. Source cells have cost 0. Cost units are therefore
resistance × map units (resistance × metres for a projected CRS in metres, or for
``geodesic=True``).
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from .._errors import CamigeoError, CamigeoWarning, CRSError, GeometryError
from ..io.crs import GEOD
from ..io.raster import Raster, as_raster
from . import _kernels as K

__all__ = ["CostDistanceResult", "cost_distance", "allocation", "least_cost_path"]

log = logging.getLogger(__name__)

SourcesLike = Any  # GeoDataFrame | GeoSeries | shapely geometry | Raster | ndarray | [(r, c)]


@dataclass(frozen=True)
class CostDistanceResult:
    """Outputs of :func:`cost_distance` when extra rasters are asked for.

    Attributes
    ----------
    cost : Raster
        Accumulated cost (float64, NaN = unreachable or impassable).
    traceback : Raster or None
        int8 index of the neighbour offset that reached each cell (``-1`` = source or
        unreached); offsets are ``camigeo.corridors.OFFSETS`` (dr, dc).
    allocation : Raster or None
        int32 id of the source whose cost is lowest (``-1`` = unreached).
    """

    cost: Raster
    traceback: Raster | None = None
    allocation: Raster | None = None


# ---------------------------------------------------------------------------- inputs
def as_resistance(resistance: Any, name: str = "resistance") -> Raster:
    if isinstance(resistance, np.ndarray):
        raise CamigeoError(
            f"{name} must be a camigeo.Raster (array + transform + CRS) or a raster path; "
            f"got a bare numpy array. Wrap it: camigeo.Raster.from_array(arr, cellsize=..., "
            f"crs=...)."
        )
    r = as_raster(resistance, name=name)
    if r.array.dtype == bool or not np.issubdtype(r.array.dtype, np.number):
        raise CamigeoError(
            f"{name} must hold numbers (resistance per map unit); got dtype "
            f"{r.array.dtype}. Convert with raster.with_array(arr.astype(float))."
        )
    return r


def cost_array(r: Raster) -> tuple[np.ndarray, float, bool]:
    """Float64 array for the kernel (float64 input is not copied), nodata, use_nodata.

    Other dtypes (float32, integers) are converted once so that the numba kernel has a
    single compiled signature (each extra signature costs ~10 s of JIT compilation).
    """
    arr = r.array
    nod = r.nodata
    if arr.dtype != np.float64:
        out = arr.astype(np.float64)
        if nod is not None:
            out[arr == nod] = np.nan
        return out, 0.0, False
    if nod is None or (isinstance(nod, float) and np.isnan(nod)):
        return arr, 0.0, False
    return arr, float(nod), True


def unit_factor(crs: CRS | None) -> float:
    """Metres per map unit of a projected CRS (1 when the CRS is unknown)."""
    if crs is None:
        return 1.0
    try:
        return float(crs.axis_info[0].unit_conversion_factor)
    except (IndexError, AttributeError):  # pragma: no cover - exotic CRS
        return 1.0


def step_lengths(r: Raster, geodesic: bool) -> np.ndarray:
    """(rows, 16) step lengths: map units, or metres on the ellipsoid if ``geodesic``."""
    t = r.transform
    if abs(t.b) > 0 or abs(t.d) > 0:
        raise CamigeoError(
            "resistance raster is rotated (transform has shear terms); warp it to a "
            "north-up grid first (rasterio.warp.reproject)."
        )
    xs, ys = abs(t.a), abs(t.e)
    off = K.OFFSETS.astype(float)
    crs = r.crs
    if geodesic:
        if crs is None or not crs.is_geographic:
            raise CRSError(
                f"geodesic=True needs a lon/lat (geographic) resistance raster; this one is "
                f"in {crs.name if crs else 'no CRS'}. Use geodesic=False for projected rasters."
            )
        rows = np.arange(r.height)
        lat = t.f + t.e * (rows + 0.5)
        out = np.empty((r.height, 16))
        for k, (dr, dc) in enumerate(K.OFFSETS):
            lat2 = np.clip(t.f + t.e * (rows + dr + 0.5), -90.0, 90.0)
            _, _, d = GEOD.inv(np.zeros_like(lat), lat, np.full_like(lat, dc * t.a), lat2)
            out[:, k] = np.asarray(d)
        return out
    if crs is not None and crs.is_geographic:
        raise CRSError(
            f"resistance raster is in {crs.name} (degrees); cost distance needs a projected "
            f"CRS in metres, e.g. camigeo.crs.CENTRAL_ASIA_EQUAL_AREA (reproject with "
            f"rasterio.warp), or pass geodesic=True for per-row geodesic step lengths."
        )
    lens = np.hypot(off[:, 0] * ys, off[:, 1] * xs)
    return np.broadcast_to(lens, (r.height, 16)).copy()


def check_neighbors(neighbors: int) -> int:
    if neighbors not in (4, 8, 16):
        raise CamigeoError(
            f"neighbors must be 4, 8 or 16 (16 adds knight moves); got {neighbors!r}."
        )
    return int(neighbors)


def corner_rule(block_corners: bool | float) -> tuple[int, float]:
    if block_corners is False or block_corners is None:
        return 0, np.inf
    if block_corners is True:
        return 1, np.inf
    try:
        v = float(block_corners)
        if isinstance(block_corners, str) or not v > 0:  # NaN, 0, negative, text
            raise ValueError(block_corners)
    except (TypeError, ValueError):
        raise CamigeoError(
            f"block_corners must be False, True or a resistance threshold (a number > 0: "
            f"cells with resistance >= it block corner cutting); got {block_corners!r}. "
            f"Pass block_corners=True, False or e.g. 1000.0."
        ) from None
    return 1, v


def check_crs(obj: gpd.GeoDataFrame | gpd.GeoSeries, r: Raster, name: str) -> None:
    if obj.crs is None or r.crs is None:
        if obj.crs is not None or r.crs is not None:
            raise CRSError(
                f"{name} and the resistance raster must both have a CRS (or both none); "
                f"{name}.crs={obj.crs}, raster crs={r.crs}. Set it with .set_crs()."
            )
        return
    if not CRS.from_user_input(obj.crs).equals(r.crs):
        raise CRSError(
            f"{name} is in {CRS.from_user_input(obj.crs).name} but the resistance raster "
            f"is in {r.crs.name}. Reproject: {name}.to_crs(raster.crs)."
        )


def geoms_cells(geoms: np.ndarray, labels: np.ndarray, r: Raster, name: str
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Cells of each geometry.

    Points: the containing cell; polygons: cells whose centre is inside (at least one);
    lines: every touched cell.
    """
    from rasterio.features import rasterize

    flats: list[np.ndarray] = []
    labs: list[np.ndarray] = []
    types = shapely.get_type_id(geoms)
    outside = 0
    for g, lab, tid in zip(geoms, labels, types, strict=True):
        if g is None or shapely.is_empty(g):
            raise GeometryError(f"{name} contains an empty geometry (label {lab}); drop it.")
        cells: np.ndarray
        if tid in (0, 4):  # (multi)point
            pts = shapely.get_coordinates(g)
            rr, cc = r.rowcol(pts[:, 0], pts[:, 1])
            ok = (rr >= 0) & (rr < r.height) & (cc >= 0) & (cc < r.width)
            outside += int((~ok).sum())
            cells = rr[ok] * r.width + cc[ok]
        else:
            touched = tid in (1, 2, 5)  # lines: every touched cell
            burn = rasterize([(g, 1)], out_shape=r.shape, transform=r.transform, fill=0,
                             all_touched=touched, dtype="uint8")
            cells = np.flatnonzero(burn)
            if len(cells) == 0:  # polygon smaller than a cell: its representative point
                p = shapely.point_on_surface(g)
                rr, cc = r.rowcol([p.x], [p.y])
                if 0 <= rr[0] < r.height and 0 <= cc[0] < r.width:
                    cells = rr * r.width + cc
                else:
                    outside += 1
        flats.append(cells.astype(np.int64))
        labs.append(np.full(len(cells), lab, dtype=np.int32))
    if outside:
        warnings.warn(f"{outside} {name} point(s)/part(s) fall outside the resistance raster "
                      f"and were ignored.", CamigeoWarning, stacklevel=4)
    if not flats:
        return np.empty(0, np.int64), np.empty(0, np.int32)
    return np.concatenate(flats), np.concatenate(labs)


def source_cells(sources: SourcesLike, r: Raster, *, id_col: str | None = None,
                  name: str = "sources") -> tuple[np.ndarray, np.ndarray]:
    """Flat cell indices and int32 ids of the source cells."""
    if isinstance(sources, gpd.GeoDataFrame | gpd.GeoSeries):
        check_crs(sources, r, name)
        from ..io.guards import check_geometries

        sources = check_geometries(sources, name=name)
        geoms = np.asarray(sources.geometry.values if isinstance(sources, gpd.GeoDataFrame)
                           else sources.values)
        if id_col is not None:
            if not isinstance(sources, gpd.GeoDataFrame) or id_col not in sources.columns:
                raise CamigeoError(f"id_col={id_col!r} is not a column of {name}.")
            vals = sources[id_col].to_numpy()
            if not np.issubdtype(np.asarray(vals).dtype, np.integer):
                raise CamigeoError(
                    f"{name}[{id_col!r}] must hold integer ids; got {vals.dtype}.")
            labels = vals.astype(np.int32)
        else:
            labels = np.arange(len(geoms), dtype=np.int32)
        flat, lab = geoms_cells(geoms, labels, r, name)
    elif isinstance(sources, shapely.Geometry):
        flat, lab = geoms_cells(np.array([sources], dtype=object), np.zeros(1, np.int32),
                                 r, name)
    elif isinstance(sources, Raster | np.ndarray):
        arr = sources.array if isinstance(sources, Raster) else sources
        if arr.shape != r.shape:
            raise CamigeoError(f"{name} raster has shape {arr.shape}; the resistance raster "
                               f"has {r.shape}. They must be on the same grid.")
        if arr.dtype == bool:
            flat = np.flatnonzero(arr)
            lab = np.ones(len(flat), np.int32)
        elif np.issubdtype(arr.dtype, np.integer):
            flat = np.flatnonzero(arr != 0)
            lab = arr.ravel()[flat].astype(np.int32)
        else:
            raise CamigeoError(f"{name} array must be boolean (True = source) or integer "
                               f"labels (0 = not a source); got dtype {arr.dtype}.")
    elif isinstance(sources, Sequence) and not isinstance(sources, str | os.PathLike):
        try:
            rc = np.asarray(sources, dtype=np.int64).reshape(-1, 2)
        except (TypeError, ValueError):
            raise CamigeoError(f"{name} as a list must hold (row, col) integer pairs; got "
                               f"{sources!r:.80}.") from None
        bad = (rc[:, 0] < 0) | (rc[:, 0] >= r.height) | (rc[:, 1] < 0) | (rc[:, 1] >= r.width)
        if bad.any():
            raise CamigeoError(f"{name} (row, col) {tuple(rc[bad][0])} lies outside the "
                               f"raster of shape {r.shape}.")
        flat = rc[:, 0] * r.width + rc[:, 1]
        lab = np.arange(len(rc), dtype=np.int32)
    else:
        raise CamigeoError(
            f"{name} must be a GeoDataFrame/GeoSeries (points, lines or polygons), a shapely "
            f"geometry, a boolean or integer label raster/array, or a list of (row, col); "
            f"got {type(sources).__name__}.")
    return flat.astype(np.int64), lab.astype(np.int32)


def valid_sources(arr: np.ndarray, nodata: float, use_nodata: bool, flat: np.ndarray,
                   lab: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    vals = arr.ravel()[flat].astype(np.float64)
    ok = ~np.isnan(vals) & (vals >= 0) & np.isfinite(vals)
    if use_nodata:
        ok &= vals != nodata
    if len(flat) == 0:
        raise CamigeoError(f"{name} selects no raster cell; check that it overlaps the "
                           f"resistance raster.")
    if not ok.any():
        raise CamigeoError(f"every {name} cell is impassable (NaN, nodata or negative "
                           f"resistance); move the sources onto passable cells.")
    if not ok.all():
        warnings.warn(f"{int((~ok).sum())} {name} cell(s) are impassable and were ignored.",
                      CamigeoWarning, stacklevel=4)
    return flat[ok], lab[ok]


def run_cost(r: Raster, flat: np.ndarray, lab: np.ndarray, *, neighbors: int, geodesic: bool,
         block_corners: bool | float, max_cost: float | None, want_back: bool,
         want_alloc: bool, name: str = "sources"
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    arr, nod, use_nod = cost_array(r)
    steps = step_lengths(r, geodesic)
    flat, lab = valid_sources(arr, nod, use_nod, flat, lab, name)
    mode, cval = corner_rule(block_corners)
    mc = np.inf if max_cost is None else float(max_cost)
    nbr = check_neighbors(neighbors)
    arr = np.ascontiguousarray(arr)
    w, nb = bucket_plan(arr, nod, use_nod, steps[:, :nbr])
    return K.dijkstra(arr, nod, use_nod, flat, lab, nbr, steps, K.INTERMEDIATES, mode, cval,
                      mc, want_back, want_alloc, w, nb)


#: Most circular buckets the bucket queue may use (beyond this the heap is used).
_MAX_BUCKETS = 1 << 22


def bucket_plan(arr: np.ndarray, nod: float, use_nod: bool, steps: np.ndarray
                 ) -> tuple[float, int]:
    """Bucket width (a lower bound of every step cost) and bucket count, or (0, 1) = heap.

    The bucket queue is exact when every step costs at least the bucket width; it needs a
    positive minimum resistance and a max/min step-cost ratio below ``_MAX_BUCKETS``.
    """
    lo, hi = K.cost_range(arr, nod, use_nod)
    lmin = float(steps.min()) if steps.size else 0.0
    lmax = float(steps.max()) if steps.size else 0.0
    if not (lo > 0 and np.isfinite(hi) and lmin > 0):
        return 0.0, 1
    w = lo * lmin * (1.0 - 1e-9)
    nb = hi * lmax / w + 3.0
    if nb > _MAX_BUCKETS:
        return 0.0, 1
    return w, int(nb)


# ---------------------------------------------------------------------------- public
def cost_distance(
    resistance: Raster | str | os.PathLike[str],
    sources: SourcesLike,
    *,
    neighbors: int = 8,
    geodesic: bool = False,
    block_corners: bool | float = False,
    max_cost: float | None = None,
    id_col: str | None = None,
    return_traceback: bool = False,
    return_allocation: bool = False,
    scheduler: Any = None,
) -> Raster | CostDistanceResult:
    """Accumulated least cost from the nearest source to every cell.

    Parameters
    ----------
    resistance : Raster or path
        Cost per map unit of distance. NaN, nodata, inf and negative cells are impassable.
        Projected CRS (metres) required unless ``geodesic=True``.
    sources : GeoDataFrame, GeoSeries, shapely geometry, raster/array or list of (row, col)
        Points (the cell containing each), polygons (every cell whose centre is inside;
        at least the cell of a representative point), lines (every touched cell), a
        boolean or integer-label raster on the same grid, or (row, col) pairs.
    neighbors : {4, 8, 16}, default 8
        Rook, queen, or queen + knight moves.
    geodesic : bool, default False
        Lon/lat raster: step lengths are geodesic metres per row (WGS84 ellipsoid).
    block_corners : bool or float, default False
        ``True``: a diagonal step between two impassable cells is blocked (no corner
        cutting); a float also treats cells with resistance >= that value as blocking.
        ``False`` follows GRASS/skimage exactly.
    max_cost : float, optional
        Stop at this accumulated cost (cells beyond are NaN); faster for local questions.
    id_col : str, optional
        Integer column of ``sources`` giving the ids used in the allocation raster
        (default: 0-based row position).
    return_traceback, return_allocation : bool, default False
        Also return the back-link raster and/or the nearest-source raster.
    scheduler : None, "synchronous", "threads", "processes", "client" or Client, optional
        None (default): this single-machine path. Otherwise one Dask task per source
        (label), each reading only the window it can reach within ``max_cost`` from the
        resistance shared as a tiled GeoTIFF (:func:`camigeo.scale.get_workdir`); the
        minimum of the per-source runs equals the multi-source run. Allocation is the
        argmin over the per-source runs (exact ties go to the lowest source id, while this
        single-machine run gives them to the source that settles the cell first: they
        agree wherever there is no exact tie). The traceback is the winning run's
        back-link per cell (same tie rule; following it always gives a least-cost path).
        See :mod:`camigeo.scale`, docs/scaling.md.

    Returns
    -------
    Raster or CostDistanceResult
        Accumulated cost (float64, units resistance × map units; NaN where unreachable);
        a :class:`CostDistanceResult` when an extra raster is asked for.

    Raises
    ------
    CRSError
        Geographic raster without ``geodesic=True``, or sources in another CRS.
    CamigeoError
        Bad ``neighbors``, sources outside the grid or all impassable.

    Examples
    --------
    >>> import numpy as np
    >>> from camigeo import Raster
    >>> r = Raster.from_array(np.array([[8.0, 1.0]]), cellsize=10, crs="EPSG:32642")
    >>> cost_distance(r, [(0, 0)]).array.tolist()
    [[0.0, 45.0]]
    """
    if max_cost is not None and not (isinstance(max_cost, int | float | np.number)
                                     and max_cost >= 0):
        raise CamigeoError(f"max_cost must be a number >= 0 (accumulated cost units) or "
                           f"None for no limit; got {max_cost!r}.")
    if scheduler is not None:  # Dask, one task per source (issue 8)
        from ..scale import distributed_twin
        cost_distance_dask = distributed_twin("corridors.cost_distance_dask")

        return cost_distance_dask(resistance, sources, neighbors=neighbors, geodesic=geodesic,
                                  block_corners=block_corners, max_cost=max_cost,
                                  id_col=id_col, return_traceback=return_traceback,
                                  return_allocation=return_allocation, scheduler=scheduler)
    r = as_resistance(resistance)
    from ..scale import guard_cost_distance

    guard_cost_distance(r.array.size, what=f"cost_distance on {r.height} x {r.width} cells")
    flat, lab = source_cells(sources, r, id_col=id_col)
    dist, back, alloc = run_cost(r, flat, lab, neighbors=neighbors, geodesic=geodesic,
                             block_corners=block_corners, max_cost=max_cost,
                             want_back=return_traceback, want_alloc=return_allocation)
    dist[np.isinf(dist)] = np.nan
    cost = Raster(dist, r.transform, r.crs, np.nan)
    if not (return_traceback or return_allocation):
        return cost
    return CostDistanceResult(
        cost,
        Raster(back, r.transform, r.crs, -1) if return_traceback else None,
        Raster(alloc, r.transform, r.crs, -1) if return_allocation else None,
    )


def allocation(
    resistance: Raster | str | os.PathLike[str],
    sources: SourcesLike,
    *,
    neighbors: int = 8,
    geodesic: bool = False,
    block_corners: bool | float = False,
    id_col: str | None = None,
) -> Raster:
    """Id of the source with the least accumulated cost for every cell.

    Parameters
    ----------
    resistance, sources, neighbors, geodesic, block_corners, id_col
        As in :func:`cost_distance`.

    Returns
    -------
    Raster
        int32 source ids (``id_col`` values or 0-based row positions; label values for a
        label raster); ``-1`` (nodata) where no source is reachable.

    Examples
    --------
    >>> import numpy as np
    >>> from camigeo import Raster
    >>> r = Raster.from_array(np.ones((1, 4)), cellsize=1)
    >>> allocation(r, [(0, 0), (0, 3)]).array.tolist()
    [[0, 0, 1, 1]]
    """
    res = cost_distance(resistance, sources, neighbors=neighbors, geodesic=geodesic,
                        block_corners=block_corners, id_col=id_col, return_allocation=True)
    assert isinstance(res, CostDistanceResult) and res.allocation is not None
    return res.allocation


def path_line(r: Raster, rows: np.ndarray, cols: np.ndarray) -> shapely.LineString:
    x, y = r.xy(rows, cols)
    pts = np.column_stack([x, y])
    if len(pts) == 1:
        pts = np.vstack([pts, pts])
    return shapely.LineString(pts)


def line_length_km(line: shapely.LineString, crs: CRS | None, geodesic: bool) -> float:
    if geodesic:
        xy = shapely.get_coordinates(line)
        _, _, d = GEOD.inv(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1])
        return float(np.sum(d)) / 1000.0
    return float(line.length) * unit_factor(crs) / 1000.0


def least_cost_path(
    resistance: Raster | str | os.PathLike[str],
    source: SourcesLike,
    target: SourcesLike,
    *,
    neighbors: int = 8,
    geodesic: bool = False,
    block_corners: bool | float = False,
) -> gpd.GeoDataFrame:
    """Least-cost path between a source and a target (cells, points or polygons).

    Parameters
    ----------
    resistance : Raster or path
    source, target : anything :func:`cost_distance` accepts as sources
        With several target cells the path ends at the one with the lowest cost.
    neighbors, geodesic, block_corners
        As in :func:`cost_distance`.

    Returns
    -------
    geopandas.GeoDataFrame
        One row: ``cost`` (resistance × map units), ``length_km`` (along the path through
        cell centres), ``n_cells`` and a LineString geometry (cell centres, source to
        target), in the raster CRS.

    Raises
    ------
    CamigeoError
        If the target cannot be reached from the source.

    Examples
    --------
    >>> import numpy as np
    >>> from camigeo import Raster
    >>> r = Raster.from_array(np.ones((3, 3)), cellsize=1000, crs="EPSG:32642")
    >>> p = least_cost_path(r, [(2, 0)], [(2, 2)])
    >>> float(p["cost"].iloc[0]), float(p["length_km"].iloc[0])
    (2000.0, 2.0)
    """
    r = as_resistance(resistance)
    flat, lab = source_cells(source, r, name="source")
    dist, back, _ = run_cost(r, flat, lab, neighbors=neighbors, geodesic=geodesic,
                         block_corners=block_corners, max_cost=None, want_back=True,
                         want_alloc=False, name="source")
    tflat, _ = source_cells(target, r, name="target")
    if len(tflat) == 0:
        raise CamigeoError("target selects no raster cell; check that it overlaps the raster.")
    tvals = dist.ravel()[tflat]
    best = int(np.argmin(tvals))
    if not np.isfinite(tvals[best]):
        raise CamigeoError("target cannot be reached from source: every path crosses "
                           "impassable cells (NaN/nodata/negative resistance).")
    tr, tc = divmod(int(tflat[best]), r.width)
    rows, cols = K.trace_back(back, tr, tc)
    rows, cols = rows[::-1], cols[::-1]
    line = path_line(r, rows, cols)
    return gpd.GeoDataFrame(
        {"cost": [float(tvals[best])],
         "length_km": [line_length_km(line, r.crs, geodesic)],
         "n_cells": [len(rows)]},
        geometry=[line], crs=r.crs)

