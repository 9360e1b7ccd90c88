"""Shared input checks for the telemetry functions (barriers, CRS, path geometry)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import GeometryError, SchemaError
from ..crs import match_crs, require_projected

__all__ = ["prepare_barriers", "check_crs", "paths_from_ranges", "distinct_hits"]


def prepare_barriers(barriers: Any, *, barrier_id_col: str | None = None,
                     name: str = "barriers") -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Validate barrier lines; return the layer and a table of id/type/name per feature.

    The id is ``barrier_id_col`` when given, else ``infra_id`` (the infrastructure schema)
    when present, else the row index. Type and name come from ``infra_type`` / ``name``
    when present (else missing).
    """
    if isinstance(barriers, gpd.GeoSeries):
        barriers = gpd.GeoDataFrame(geometry=barriers)
    if not isinstance(barriers, gpd.GeoDataFrame):
        raise SchemaError(f"{name} must be a GeoDataFrame of (Multi)LineStrings; got "
                          f"{type(barriers).__name__}.")
    geom = barriers.geometry.values
    bad = shapely.is_missing(geom) | shapely.is_empty(geom)
    if bad.any():
        raise GeometryError(
            f"{name} has {int(bad.sum())} missing or empty geometries; drop them first "
            f"({name}[~{name}.geometry.is_empty & {name}.geometry.notna()])."
        )
    types = shapely.get_type_id(geom)
    if not np.isin(types, (1, 5)).all():
        kinds = sorted(set(barriers.geometry.geom_type[~np.isin(types, (1, 5))]))
        raise GeometryError(
            f"{name} must hold LineString or MultiLineString features; found {kinds}. "
            f"Use polygon.boundary for fenced areas."
        )
    if barrier_id_col is None:
        ids = barriers["infra_id"] if "infra_id" in barriers.columns else barriers.index.to_series()
    else:
        if barrier_id_col not in barriers.columns:
            raise SchemaError(f"{name} has no column {barrier_id_col!r} (barrier_id_col=); "
                              f"columns are {list(barriers.columns)}.")
        ids = barriers[barrier_id_col]
    if ids.duplicated().any():
        dups = list(pd.unique(ids[ids.duplicated()]))[:5]
        raise SchemaError(
            f"{name} barrier ids must be unique; {barrier_id_col or 'the id'} repeats {dups}. "
            f"Dissolve features that share an id first ({name}.dissolve(by=...))."
        )
    info = pd.DataFrame({
        "barrier_id": ids.to_numpy(),
        "barrier_type": (barriers["infra_type"].to_numpy(dtype=object)
                         if "infra_type" in barriers.columns else None),
        "barrier_name": (barriers["name"].to_numpy(dtype=object)
                         if "name" in barriers.columns else None),
    })
    return barriers, info


def check_crs(tracks: gpd.GeoDataFrame, barriers: gpd.GeoDataFrame, *,
              metric: bool) -> None:
    """Tracks and barriers must share a CRS; ``metric=True`` also needs metres."""
    match_crs(("tracks", tracks), ("barriers", barriers))
    if metric:
        require_projected(tracks, name="tracks")


def paths_from_ranges(x: np.ndarray, y: np.ndarray, first: np.ndarray,
                      last: np.ndarray) -> np.ndarray:
    """LineStrings through fixes ``first[i]..last[i]`` (inclusive) without a Python loop."""
    n = last - first + 1
    if len(n) == 0:
        return np.empty(0, dtype=object)
    offsets = np.repeat(first - np.concatenate(([0], np.cumsum(n)[:-1])), n)
    idx = np.arange(int(n.sum())) + offsets
    coords = np.column_stack([x[idx], y[idx]])
    return shapely.linestrings(coords, indices=np.repeat(np.arange(len(n)), n))


def distinct_hits(paths: np.ndarray, barrier_geoms: np.ndarray,
                  tree: shapely.STRtree | None = None) -> tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray]:
    """Distinct intersection vertices of each path with the barriers.

    Returns ``(path_index, barrier_index, xy)``, one row per distinct point per path
    (a point shared by two barrier features or parts is kept once, with the first
    feature). Paths of zero length never intersect.
    """
    tree = tree if tree is not None else shapely.STRtree(barrier_geoms)
    ok = shapely.length(paths) > 0
    pi, bi = tree.query(paths, predicate="intersects")
    keep = ok[pi]
    pi, bi = pi[keep], bi[keep]
    if len(pi) == 0:
        return (np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp),
                np.empty((0, 2)))
    inter = shapely.intersection(paths[pi], barrier_geoms[bi])
    xy, which = shapely.get_coordinates(inter, return_index=True)
    p, b = pi[which], bi[which]
    order = np.lexsort((b, xy[:, 1], xy[:, 0], p))
    p, b, xy = p[order], b[order], xy[order]
    new = np.ones(len(p), dtype=bool)
    new[1:] = (p[1:] != p[:-1]) | (xy[1:, 0] != xy[:-1, 0]) | (xy[1:, 1] != xy[:-1, 1])
    return p[new], b[new], xy[new]
