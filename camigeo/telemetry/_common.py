"""Shared input checks for the telemetry functions (barriers, CRS, path geometry)."""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import GeometryError, SchemaError
from ..io.crs import match_crs, require_projected

__all__ = ["prepare_barriers", "check_crs", "paths_from_ranges", "BarrierIndex"]


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
    if len(barriers) == 0:
        raise SchemaError(f"{name} has no lines (0 rows); there is no barrier to cross or "
                          f"avoid. Check the layer and any filter applied before (type, "
                          f"status, area).")
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
    from ..io.guards import check_geometries

    barriers = check_geometries(barriers, name=name)
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


class BarrierIndex:
    """Barrier features cut into short chunks with one STRtree over the chunks.

    Long features (a border fence of 5,000 km) have bounding boxes that cover half the
    study area, so a tree over whole features returns almost every step as a candidate
    and each test runs against the whole line. Chunks of at most ``max_segments``
    segments keep candidates and tests local. Results are reported per feature.
    Measured on 100,000 synthetic fixes against the bundled infrastructure (41 features):
    the STRtree queries took 1.65 s on whole features.

    Parameters
    ----------
    geoms : array of (Multi)LineString
        Barrier features.
    max_segments : int
        Segments per chunk.
    """

    def __init__(self, geoms: np.ndarray, *, max_segments: int = 32) -> None:
        self.geoms = np.asarray(geoms, dtype=object)
        parts, part_feature = shapely.get_parts(self.geoms, return_index=True)
        self.parts, self.part_feature = parts, part_feature
        coords, vpart = shapely.get_coordinates(parts, return_index=True)
        nv = np.bincount(vpart, minlength=len(parts))
        vstart = np.concatenate(([0], np.cumsum(nv)[:-1]))
        j = np.arange(len(coords)) - vstart[vpart]          # vertex number within its part
        nseg = nv - 1
        nchunk = np.maximum(1, -(-nseg // max_segments))      # ceil
        cstart = np.concatenate(([0], np.cumsum(nchunk)[:-1]))
        primary = np.minimum(j // max_segments, nchunk[vpart] - 1)
        dup = (j % max_segments == 0) & (j > 0) & (j < nseg[vpart])
        rows = np.concatenate([np.arange(len(coords)), np.flatnonzero(dup)])
        chunk = np.concatenate([cstart[vpart] + primary,
                                cstart[vpart[dup]] + j[dup] // max_segments - 1])
        order = np.lexsort((rows, chunk))
        rows, chunk = rows[order], chunk[order]
        self.chunks = shapely.linestrings(coords[rows], indices=chunk)
        self.chunk_part = np.repeat(np.arange(len(parts)), nchunk)
        self.chunk_feature = part_feature[self.chunk_part]
        seg = np.hypot(np.diff(coords[:, 0]), np.diff(coords[:, 1]))
        seg = np.where(vpart[1:] == vpart[:-1], seg, 0.0)
        cum = np.concatenate(([0.0], np.cumsum(seg)))
        k = np.arange(len(self.chunks)) - cstart[self.chunk_part]
        first_vertex = vstart[self.chunk_part] + k * max_segments
        self.chunk_offset = cum[first_vertex] - cum[vstart[self.chunk_part]]
        self.tree = shapely.STRtree(self.chunks)
        self._bounds = shapely.bounds(self.chunks)
        self._grids: dict[int, tuple[np.ndarray, float, float, float]] = {}

    def _grid(self, n_queries: int) -> tuple[np.ndarray, float, float, float]:
        """Summed-area table of the grid cells that contain barrier samples.

        The barriers are sampled at least once per cell length (``shapely.segmentize``),
        so every barrier point lies in the cell of a sample or a neighbouring cell. The
        grid has about sqrt(n_queries) cells a side (64-1024): small inputs get a small
        grid.
        """
        side = int(np.clip(np.sqrt(max(n_queries, 1)), 64, 1024))
        if side not in self._grids:
            b = self._bounds
            x0, y0 = b[:, 0].min(), b[:, 1].min()
            span = max(b[:, 2].max() - x0, b[:, 3].max() - y0, 1e-9)
            cell = span / (side - 1)
            xy = shapely.get_coordinates(shapely.segmentize(self.chunks, cell))
            i = np.clip(((xy[:, 0] - x0) // cell).astype(np.int64), 0, side - 1)
            j = np.clip(((xy[:, 1] - y0) // cell).astype(np.int64), 0, side - 1)
            occupied = np.zeros((side, side), dtype=np.int32)
            occupied[i, j] = 1
            sat = np.zeros((side + 1, side + 1), dtype=np.int32)
            sat[1:, 1:] = np.cumsum(np.cumsum(occupied, 0), 1)
            self._grids[side] = (sat, x0, y0, cell)
        return self._grids[side]

    def maybe_near(self, minx: np.ndarray, miny: np.ndarray, maxx: np.ndarray,
                   maxy: np.ndarray, margin: float = 0.0) -> np.ndarray:
        """Cheap, conservative pre-filter for boxes near the barriers (numpy only).

        False where a box is surely farther than ``margin`` from every barrier; True
        otherwise (the box, grown by ``margin`` and one cell, overlaps a cell holding a
        barrier sample).
        """
        sat, x0, y0, cell = self._grid(len(minx))
        n = sat.shape[0] - 1
        i0 = np.clip((minx - margin - x0) // cell - 1, 0, n - 1).astype(np.int64)
        j0 = np.clip((miny - margin - y0) // cell - 1, 0, n - 1).astype(np.int64)
        i1 = np.clip((maxx + margin - x0) // cell + 1, 0, n - 1).astype(np.int64)
        j1 = np.clip((maxy + margin - y0) // cell + 1, 0, n - 1).astype(np.int64)
        total = sat[i1 + 1, j1 + 1] - sat[i0, j1 + 1] - sat[i1 + 1, j0] + sat[i0, j0]
        return total > 0

    def hits(self, paths: np.ndarray, *, per_feature: bool = False
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Distinct intersection vertices of each path with the barriers.

        Returns ``(path_index, feature_index, xy)``, one row per distinct point per path (a
        point shared by two features, parts or chunks is kept once, with the first
        feature); with ``per_feature=True`` one row per distinct point per path and
        feature (a vertex shared by two features counts twice, as in BaBA's R code).
        Counting the vertices of the intersection geometry is BaBA's way of counting
        crossings. Paths of zero length never intersect.
        """
        ok = shapely.length(paths) > 0
        pi, ci = self.tree.query(paths, predicate="intersects")
        keep = ok[pi]
        pi, ci = pi[keep], ci[keep]
        if len(pi) == 0:
            return (np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp), np.empty((0, 2)))
        inter = shapely.intersection(paths[pi], self.chunks[ci])
        xy, which = shapely.get_coordinates(inter, return_index=True)
        p, b = pi[which], self.chunk_feature[ci[which]]
        order = np.lexsort((b, xy[:, 1], xy[:, 0], p))
        p, b, xy = p[order], b[order], xy[order]
        new = np.ones(len(p), dtype=bool)
        new[1:] = (p[1:] != p[:-1]) | (xy[1:, 0] != xy[:-1, 0]) | (xy[1:, 1] != xy[:-1, 1])
        if per_feature:
            # equal points sit next to each other, ordered by feature: keep one per feature
            same_pt = ~new
            new[1:] |= same_pt[1:] & (b[1:] != b[:-1])
        return p[new], b[new], xy[new]

    def within(self, points: np.ndarray, d: float, *, quad_segs: int) -> tuple[np.ndarray,
                                                                            np.ndarray]:
        """Pairs (point, feature) where the point intersects ``buffer(feature, d, quad_segs)``.

        Same answer as testing GEOS buffer polygons (as BaBA / sf do), but fast: points
        closer than the polygon's guaranteed inner radius are accepted from the distance
        alone; only points in the thin band near the polygon edge are tested against the
        buffer polygon of their feature(s).
        """
        dq = d * (1 + 1e-9) + 1e-9
        xy = shapely.get_coordinates(points)
        near = np.flatnonzero(self.maybe_near(xy[:, 0], xy[:, 1], xy[:, 0], xy[:, 1], dq))
        pi, ci = self.tree.query(points[near], predicate="dwithin", distance=dq)
        pi = near[pi]
        if len(pi) == 0:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
        fi = self.chunk_feature[ci]
        dist = shapely.distance(points[pi], self.chunks[ci])
        inner = 0.98 * d * math.cos(math.pi / (4 * quad_segs))
        pairs = pd.DataFrame({"p": pi, "f": fi, "dist": dist}).groupby(
            ["p", "f"], sort=True)["dist"].min().reset_index()
        p, f, dist = (pairs["p"].to_numpy(), pairs["f"].to_numpy(), pairs["dist"].to_numpy())
        sure = dist <= inner
        band = np.flatnonzero(~sure)
        if len(band):
            feats = np.unique(f[band])
            bufs = np.empty(len(self.geoms), dtype=object)
            bufs[feats] = shapely.buffer(self.geoms[feats], d, quad_segs=quad_segs)
            sure[band] = shapely.intersects(points[p[band]], bufs[f[band]])
        return p[sure], f[sure]

    def locate(self, points: np.ndarray, *, max_distance: float | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nearest part of each point and the distance along that part to its projection.

        Returns ``(point_index, part_index, along)``; points farther than ``max_distance``
        are left out.
        """
        pi, ci = self.tree.query_nearest(points, max_distance=max_distance, all_matches=False)
        along = self.chunk_offset[ci] + shapely.line_locate_point(self.chunks[ci], points[pi])
        return pi, self.chunk_part[ci], along
