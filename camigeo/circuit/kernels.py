"""Shared kernels of :mod:`modes` and its Dask twin (public within the subpackage)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from .._errors import CamigeoError
from ..io.raster import Raster, as_raster
from .engine import (
    Focal,
    GridOptions,
)
from .graph import conductance_grid

__all__: list[str] = []

logger = logging.getLogger(__name__)

RasterLike = Raster | str | os.PathLike[str]


@dataclass
class CircuitResult:
    """Result of a raster circuit run.

    Attributes
    ----------
    resistances : pandas.DataFrame or pandas.Series or None
        Pairwise: square DataFrame (ids x ids, ohm, -1 = not solved). One-to-all: Series
        ``R_k`` per id. All-to-one: Series of 0 (solved) / -1 (not solved).
    cumulative : Raster or None
        Sum of the current maps (amperes).
    maximum : Raster or None
        Cell-wise maximum of the current maps.
    currents, voltages : dict
        Per-pair (key ``(a, b)``) or per-id (key ``k``) maps when asked for.
    """

    resistances: Any = None
    cumulative: Raster | None = None
    maximum: Raster | None = None
    currents: dict[Any, Raster] = field(default_factory=dict)
    voltages: dict[Any, Raster] = field(default_factory=dict)


# ----------------------------------------------------------------------------- inputs
def as_conductance(resistance: RasterLike, *, is_conductance: bool, mask: RasterLike | None,
                 name: str = "resistance") -> tuple[Raster, np.ndarray]:
    r = as_raster(resistance, name=name)
    valid = r.valid
    if mask is not None:
        m = as_raster(mask, name="mask")
        if m.shape != r.shape:
            raise CamigeoError(f"mask has shape {m.shape} but {name} has {r.shape}; they "
                               f"must be on the same grid.")
        mv = m.masked_float()
        valid = valid & ~np.isnan(mv) & (np.nan_to_num(mv, nan=0.0) > 0)
    vals = r.masked_float()
    nan_inside = np.isnan(vals) & r.valid
    if nan_inside.any():
        raise CamigeoError(f"{name}: {int(nan_inside.sum())} cell(s) are NaN but not nodata.")
    g = conductance_grid(np.nan_to_num(vals, nan=0.0), valid, is_resistance=not is_conductance,
                         name=name)
    return r, g


def int_grid(obj: Any, ref: Raster, name: str) -> np.ndarray:
    """Integer id grid from a Raster, a 2-D array or a GeoDataFrame (rasterised)."""
    if obj is None:
        return None  # type: ignore[return-value]
    try:
        import geopandas as gpd
    except ImportError:  # pragma: no cover
        gpd = None
    if gpd is not None and isinstance(obj, gpd.GeoDataFrame):
        return rasterize_ids(obj, ref, name)
    if isinstance(obj, (Raster, str, os.PathLike)):
        r = as_raster(obj, name=name)
        arr = r.masked_float()
    else:
        arr = np.asarray(obj, dtype=np.float64)
    if arr.shape != ref.shape:
        raise CamigeoError(f"{name} has shape {arr.shape} but the resistance grid has "
                           f"{ref.shape}; give them on the same grid.")
    arr = np.where(np.isnan(arr), 0, arr)
    return arr.astype(np.int64)


def rasterize_ids(gdf: Any, ref: Raster, name: str, id_column: str | None = None
                   ) -> np.ndarray:
    from rasterio.features import rasterize

    col = id_column or next((c for c in ("id", "core_id", "focal_id", "node_id")
                             if c in gdf.columns), None)
    if col is None:
        raise CamigeoError(f"{name}: GeoDataFrame needs an integer id column (one of id, "
                           f"core_id, focal_id, node_id); columns are {list(gdf.columns)}.")
    if ref.crs is not None and gdf.crs is not None and gdf.crs != ref.crs:
        gdf = gdf.to_crs(ref.crs)
    out = np.zeros(ref.shape, dtype=np.int64)
    for geom, fid in zip(gdf.geometry, gdf[col], strict=True):
        if geom is None or geom.is_empty:
            continue
        if geom.geom_type in ("Point", "MultiPoint"):
            pts = [geom] if geom.geom_type == "Point" else list(geom.geoms)
            for p in pts:
                rr, cc = cast(Any, ref.rowcol(p.x, p.y))  # ints on the next line
                rr, cc = int(np.asarray(rr)), int(np.asarray(cc))
                if 0 <= rr < ref.height and 0 <= cc < ref.width:
                    out[rr, cc] = int(fid)
                else:
                    import warnings

                    from .._errors import CamigeoWarning
                    msg = f"{name}: point id {fid} lies outside the grid; reported as -1."
                    logger.debug(msg)
                    warnings.warn(msg, CamigeoWarning, stacklevel=4)
        else:
            burn = rasterize([(geom, 1)], out_shape=ref.shape, transform=ref.transform,
                             fill=0, all_touched=False, dtype="uint8")
            out[burn == 1] = int(fid)
    return out


def parse_focal(focal: Any, ref: Raster, id_column: str | None = None) -> Focal:
    """Focal nodes from an id grid, GeoDataFrame, or an ``(n, 3)`` array of id, x, y."""
    try:
        import geopandas as gpd

        is_gdf = isinstance(focal, gpd.GeoDataFrame)
    except ImportError:  # pragma: no cover
        is_gdf = False
    cells: dict[int, tuple[list[int], list[int]]] = {}
    if is_gdf:
        grid = rasterize_ids(focal, ref, "focal", id_column)
        col = id_column or next(c for c in ("id", "core_id", "focal_id", "node_id")
                                if c in focal.columns)
        for fid in focal[col]:
            cells.setdefault(int(fid), ([], []))
    else:
        arr = focal if isinstance(focal, (Raster, str, os.PathLike)) else np.asarray(focal)
        if not isinstance(arr, np.ndarray) or arr.ndim == 2 and arr.shape == ref.shape:
            grid = int_grid(arr, ref, "focal")
        elif arr.ndim == 2 and arr.shape[1] == 3:
            grid = None
            for fid, x, y in arr:
                rr, cc = cast(Any, ref.rowcol(x, y))  # ints on the next line
                rr, cc = int(np.asarray(rr)), int(np.asarray(cc))
                ent = cells.setdefault(int(fid), ([], []))
                if 0 <= rr < ref.height and 0 <= cc < ref.width:
                    ent[0].append(rr)
                    ent[1].append(cc)
                else:
                    import warnings

                    from .._errors import CamigeoWarning
                    msg = f"focal point {int(fid)} at ({x}, {y}) lies outside the grid; -1."
                    logger.debug(msg)
                    warnings.warn(msg, CamigeoWarning, stacklevel=3)
        else:
            raise CamigeoError(
                f"focal: expected an id raster/array of shape {ref.shape}, a GeoDataFrame "
                f"with an id column, or an (n, 3) array of id, x, y; got shape "
                f"{getattr(arr, 'shape', None)}."
            )
    if grid is not None:
        rr, cc = np.nonzero(grid > 0)
        for fid, r0, c0 in zip(grid[rr, cc].tolist(), rr.tolist(), cc.tolist(), strict=True):
            ent = cells.setdefault(int(fid), ([], []))
            ent[0].append(r0)
            ent[1].append(c0)
    cells = {k: v for k, v in cells.items() if k >= 0}
    ids = sorted(cells)
    if len(ids) < 1:
        raise CamigeoError("focal: no focal nodes found (ids must be positive integers).")
    return Focal(ids, {k: (np.array(v[0], dtype=np.int64), np.array(v[1], dtype=np.int64))
                       for k, v in cells.items()})


def pair_include(ids: list[int], include_pairs: Any, exclude_pairs: Any) -> np.ndarray | None:
    if include_pairs is None and exclude_pairs is None:
        return None
    if include_pairs is not None and exclude_pairs is not None:
        raise CamigeoError("give include_pairs or exclude_pairs, not both.")
    mode = "include" if include_pairs is not None else "exclude"
    pairs = include_pairs if include_pairs is not None else exclude_pairs
    k = len(ids)
    inc = np.full((k, k), mode == "exclude")
    pos = {v: i for i, v in enumerate(ids)}
    for a, b in pairs:
        if a in pos and b in pos:
            inc[pos[a], pos[b]] = inc[pos[b], pos[a]] = mode == "include"
    return inc


def grid_options(four_neighbors: bool, avg_resistances: bool, solver: str,
                 **kw: Any) -> GridOptions:
    return GridOptions(four_neighbors=four_neighbors, avg_resistances=avg_resistances,
                       solver=solver, **kw)
