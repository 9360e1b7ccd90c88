"""Pinch-point cells: the highest-current cells inside the corridors, outside the cores.

:func:`pinch_point_cells` turns a Pinchpoint Mapper current map
(:func:`camigeo.circuit.pinch_points`) into the cells to mark on a map. Core cells are
short-circuited focal regions: every core cell carries the full pair current, so a top-N
selection that includes them marks whole cores (a PTCR) instead of bottlenecks. Only cells
inside the clipped corridors (``NLCC <= cutoff``) and outside every core are candidates.

Ties: the selection keeps every cell whose current is within a relative ``1e-9`` of the
k-th highest candidate value (k = ``ceil(top_fraction * n_candidates)``), so two cells of
the same single-cell-wide passage, which carry the same current, are never split by an
arbitrary order. The number of cells added by ties is reported per cell (``n_tied``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._errors import CamigeoError

__all__ = ["pinch_point_cells"]


def pinch_point_cells(
    current: Any,
    corridors: Any,
    cores: Any,
    *,
    cutoff: float,
    top_fraction: float = 0.05,
    species: str | None = None,
) -> Any:
    """Highest-current cells inside the corridors and outside the cores, as points.

    Parameters
    ----------
    current : Raster
        Current map of :func:`camigeo.circuit.pinch_points` (amperes; 0 outside the clipped
        corridors).
    corridors : Raster
        Normalised least-cost corridor values (NLCC, cost units) on the same grid; nodata =
        not in a corridor.
    cores : Raster or 2-D int array
        Core ids on the same grid (0 / nodata = not a core).
    cutoff : float
        Corridor cutoff (NLCC units): candidate cells have ``NLCC <= cutoff``.
    top_fraction : float, default 0.05
        Fraction (0 < f <= 1) of the candidate cells to keep, highest current first; ties
        at the threshold are all kept.
    species : str, optional
        Written into a ``species`` column.

    Returns
    -------
    GeoDataFrame
        Points at the cell centres (CRS of ``current``): ``current_A`` (amperes),
        ``rank`` (1 = highest; tied cells share a rank), ``threshold_A`` (the k-th highest
        candidate current), ``n_candidates`` (corridor cells outside the cores with current
        > 0), ``n_tied`` (cells kept beyond k because of ties), ``species``.
    """
    import geopandas as gpd

    from ..io.raster import Raster

    if not isinstance(current, Raster) or not isinstance(corridors, Raster):
        raise CamigeoError("pinch_point_cells: current and corridors must be camigeo Rasters "
                           f"(got {type(current).__name__}, {type(corridors).__name__}).")
    if not (isinstance(top_fraction, int | float) and 0 < top_fraction <= 1):
        raise CamigeoError(f"pinch_point_cells: top_fraction must be in (0, 1]; got "
                           f"{top_fraction!r}.")
    if not np.isfinite(cutoff) or cutoff < 0:
        raise CamigeoError(f"pinch_point_cells: cutoff must be a finite number >= 0 (NLCC "
                           f"units); got {cutoff!r}.")
    core_arr = cores.masked_float() if isinstance(cores, Raster) else np.asarray(cores, float)
    if current.shape != corridors.shape or core_arr.shape != current.shape:
        raise CamigeoError(f"pinch_point_cells: grids differ (current {current.shape}, "
                           f"corridors {corridors.shape}, cores {core_arr.shape}); give them "
                           f"on the same grid.")
    cur = current.masked_float()
    nl = corridors.masked_float()
    in_core = np.nan_to_num(core_arr, nan=0.0) > 0
    cand = np.isfinite(cur) & (cur > 0) & np.isfinite(nl) & (nl <= cutoff) & ~in_core
    n = int(cand.sum())
    cols: dict[str, list[Any]] = {"current_A": [], "rank": [], "threshold_A": [],
                                  "n_candidates": [], "n_tied": [], "species": []}
    if n == 0:
        return gpd.GeoDataFrame(cols, geometry=[], crs=current.crs)
    vals = cur[cand]
    k = max(1, math.ceil(top_fraction * n))
    thr = float(np.sort(vals)[::-1][k - 1])
    tol = 1e-9 * max(abs(thr), np.finfo(float).tiny)
    keep = cand & (cur >= thr - tol)
    rows, cs = np.nonzero(keep)
    v = cur[rows, cs]
    order = np.lexsort((cs, rows, -v))  # highest first, then row/col: deterministic
    rows, cs, v = rows[order], cs[order], v[order]
    # dense rank on values equal within tolerance
    rank = np.ones(v.size, dtype=np.int64)
    for i in range(1, v.size):
        same = abs(v[i] - v[i - 1]) <= 1e-9 * max(abs(v[i - 1]), np.finfo(float).tiny)
        rank[i] = rank[i - 1] if same else i + 1
    x, y = current.xy(rows, cs)
    return gpd.GeoDataFrame({
        "current_A": v.astype(float), "rank": rank, "threshold_A": thr,
        "n_candidates": n, "n_tied": int(v.size - k),
        "species": species if species is not None else "",
    }, geometry=gpd.points_from_xy(x, y), crs=current.crs)
