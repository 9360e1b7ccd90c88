"""Conflict hotspot grid (re-exported as :func:`camigeo.conflict.conflict_grid`).

Per hexagonal or square cell: weighted barrier length × species richness, with class breaks
(domain_methods §4.1, "conflict hotspot grid").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from .._errors import SchemaError
from ..io.crs import CENTRAL_ASIA_EQUAL_AREA
from .kernels import prepare_areas, prepare_lines, score_chunk
from .weights import WeightKey

__all__ = ["conflict_grid"]


def _grid_cells(bounds: np.ndarray, cell_m: float, hexagonal: bool) -> np.ndarray:
    minx, miny, maxx, maxy = bounds
    from ..io.guards import available_memory, check_alloc, grid_cells

    if not np.isfinite(bounds).all():
        raise SchemaError("conflict_grid: ptcrs has no region polygon to cover (empty layer "
                          "or only empty geometries); pass at least one PTCR polygon.")

    n = grid_cells(maxx - minx, maxy - miny, cell_m) * (1.0 if not hexagonal else 1.2)
    fits = cell_m * math.sqrt(n * 700.0 / (0.8 * max(available_memory(), 1))) / 1000.0
    check_alloc(n * 700.0, what=f"conflict_grid(cell_km={cell_m / 1000:g}) over "
                f"{(maxx - minx) / 1000:,.0f} x {(maxy - miny) / 1000:,.0f} km ({n:,.0f} cells)",
                fix=f"Use a larger cell_km (>= {max(fits, cell_m / 1000):.3g} km fits here).")
    if not hexagonal:
        xs = np.arange(minx, maxx + cell_m, cell_m)
        ys = np.arange(miny, maxy + cell_m, cell_m)
        gx, gy = np.meshgrid(xs[:-1], ys[:-1])
        return shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + cell_m, gy.ravel() + cell_m)
    # flat-topped hexagons of area cell_m² (same area as a square cell of side cell_m)
    r = np.sqrt(2 * cell_m**2 / (3 * np.sqrt(3)))
    dx, dy = 1.5 * r, np.sqrt(3) * r
    cols = np.arange(minx, maxx + dx + r, dx)
    rows = np.arange(miny - dy, maxy + dy, dy)
    cx, cy = np.meshgrid(cols, rows)
    cy = cy + (np.arange(len(cols)) % 2)[None, :] * dy / 2
    ang = np.deg2rad(np.arange(0, 360, 60))
    ring = np.stack([r * np.cos(ang), r * np.sin(ang)], axis=1)
    coords = np.stack([cx.ravel(), cy.ravel()], 1)[:, None, :] + ring[None, :, :]
    return shapely.polygons(coords)


def _clip_cells(cells: np.ndarray, area: Any) -> np.ndarray:
    """``cells ∩ area``; cells inside (prepared test) or outside skip the overlay."""
    area = shapely.from_wkb(shapely.to_wkb(area))
    shapely.prepare(area)
    out = np.array([shapely.Polygon()] * len(cells), dtype=object)
    inside = shapely.contains_properly(area, cells)
    out[inside] = cells[inside]
    edge = np.flatnonzero(~inside & shapely.intersects(area, cells))
    if len(edge):
        out[edge] = shapely.intersection(cells[edge], area)
    return out


def _quantile_classes(values: np.ndarray, k: int) -> np.ndarray:
    """Quantile classes 0..k-1, as ``mapclassify.Quantiles(values, k).yb`` (tested).

    Upper bounds are the percentiles 100/k, 200/k, ..., 100 (linear interpolation, unique);
    a value equal to a bound falls into that bound's class.
    """
    pct = np.minimum(np.arange(1, k + 1) * 100.0 / k, 100.0)
    bins = np.unique(np.percentile(values, pct))
    return np.searchsorted(bins, values, side="left")


def conflict_grid(
    ptcrs: gpd.GeoDataFrame,
    ranges: gpd.GeoDataFrame,
    infrastructure: gpd.GeoDataFrame,
    *,
    cell_km: float = 25.0,
    hexagonal: bool = True,
    weights: Mapping[WeightKey, float] | None = None,
    status: Iterable[str] | None = ("existing",),
    scheme: str = "quantiles",
    k: int = 5,
    scheduler: Any = None,
) -> gpd.GeoDataFrame:
    """Conflict hotspot grid over the regions: weighted barrier length × species richness.

    Cells (hexagons or squares of area ``cell_km``², in
    :data:`camigeo.crs.CENTRAL_ASIA_EQUAL_AREA`) covering the union of ``ptcrs`` are kept
    where they overlap it; lines and ranges are clipped to the union first.

    Parameters
    ----------
    ptcrs, ranges, infrastructure : GeoDataFrame
        As for :func:`score_conflict`.
    cell_km : float, default 25
        Cell size: side of a square cell; a hexagon has the same area (cell_km² km²).
    hexagonal : bool, default True
        Hexagonal (True) or square cells.
    weights : mapping, optional
        Weight overrides (:func:`feature_weights`).
    status : iterable of str or None, default ("existing",)
        Status filter of the lines.
    scheme : {"quantiles", "natural_breaks"}
        Class breaks (mapclassify ``Quantiles`` / ``NaturalBreaks``) of the positive scores.
    k : int, default 5
        Number of classes (fewer when fewer distinct positive scores exist).
    scheduler : None, "synchronous", "threads", "processes", "client" or Client, optional
        None (default): single machine. Otherwise the lines are clipped against the cells
        partition by partition on Dask (``infrastructure`` may be a
        ``dask_geopandas.GeoDataFrame``); sums equal up to floating-point order. See
        docs/scaling.md.

    Returns
    -------
    GeoDataFrame
        In CENTRAL_ASIA_EQUAL_AREA: ``cell_id``, ``area_km2`` (inside the regions),
        ``length_km``, ``weighted_length_km``, ``species_richness`` (species whose range
        overlaps the cell inside the regions), ``score`` = weighted_length_km ×
        species_richness, ``class`` (0 = score 0, 1..k = low..high) and geometry.
    """
    if scheme not in ("quantiles", "natural_breaks"):
        raise SchemaError(f"scheme={scheme!r}; expected 'quantiles' or 'natural_breaks'.")
    if not (isinstance(k, int | np.integer) and k >= 1):
        raise SchemaError(f"k={k!r}; expected a whole number of classes >= 1 (default 5).")
    if not cell_km > 0:
        raise SchemaError(f"cell_km={cell_km!r}; expected a positive number of km.")
    prep = prepare_areas(ptcrs, ranges)
    on_dask = scheduler is not None or hasattr(infrastructure, "npartitions")
    if not on_dask:
        lines, _ = prepare_lines(infrastructure, status=status, weights=weights,
                                  effect_zones_m=None, crs=CENTRAL_ASIA_EQUAL_AREA)
    area_union = shapely.union_all(prep.region_geoms)
    cells = _grid_cells(np.asarray(area_union.bounds), cell_km * 1000.0, hexagonal)
    shapely.prepare(area_union)
    cells = cells[shapely.intersects(area_union, cells)]
    clipped = _clip_cells(cells, area_union)
    area = shapely.area(clipped) / 1e6
    keep = area > 0
    cells, clipped, area = cells[keep], clipped[keep], area[keep]
    if on_dask:  # Dask: one task per partition of lines (issue 8)
        from ..scale import distributed_twin
        zone_sums_dask = distributed_twin("barriers.zone_sums_dask")

        sums = zone_sums_dask(infrastructure, clipped, status=status, weights=weights,
                              crs=CENTRAL_ASIA_EQUAL_AREA, scheduler=scheduler)
    else:
        sums = score_chunk(lines["geometry"].to_numpy(), lines["length_km"].to_numpy(),
                            lines["type_code"].to_numpy(), lines["weight"].to_numpy(),
                            clipped)
    per_cell = sums.groupby("zone")[["length_km", "weighted_length_km"]].sum()
    length = per_cell["length_km"].reindex(range(len(cells))).fillna(0).to_numpy()
    wlen = per_cell["weighted_length_km"].reindex(range(len(cells))).fillna(0).to_numpy()
    rich = np.zeros(len(cells), dtype=np.int64)
    for sp in prep.species_geoms:
        rich += shapely.area(_clip_cells(clipped, sp)) > 0
    score = wlen * rich
    cls = np.zeros(len(cells), dtype=np.int64)
    pos = score > 0
    if pos.any():
        kk = int(min(k, len(np.unique(score[pos]))))
        if kk < 2:
            cls[pos] = 1
        elif scheme == "quantiles":
            cls[pos] = _quantile_classes(score[pos], kk) + 1
        else:
            import mapclassify  # imported only here: its import JIT-compiles (~4 s)

            cls[pos] = np.asarray(mapclassify.NaturalBreaks(score[pos], k=kk).yb) + 1
    return gpd.GeoDataFrame({
        "cell_id": np.arange(len(cells), dtype=np.int64),
        "area_km2": area, "length_km": length, "weighted_length_km": wlen,
        "species_richness": rich, "score": score, "class": cls,
    }, geometry=cells, crs=CENTRAL_ASIA_EQUAL_AREA)
