"""Where migration meets barriers: railway, fence and road length inside migration corridors.

:func:`corridor_barrier_conflict` clips the barrier lines (e.g. the bundled
infrastructure layer) to the corridor classes of :func:`migration_corridors` and measures
the pieces geodesically (km on the WGS84 ellipsoid), per line and, when PTCR polygons are
given, per PTCR. The classes are nested: the ``medium`` rows measure the length inside
medium-or-high use, ``high`` the length inside high use.

The result feeds the tools that already exist: :func:`add_corridor_km` puts the km of each
feature inside the corridors next to the BaBA ranking of :func:`rank_barriers` /
:func:`run_telemetry`, and :func:`corridor_passage_candidates` places candidate openings
along the conflicting pieces (ordered by the share of individuals using the corridor
there) for :func:`camigeo.rank_passages`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import SchemaError
from ..io.crs import geodesic_length_km, require_crs
from ._common import prepare_barriers
from .corridors_pop import USE_CLASSES, MigrationCorridors

__all__ = ["add_corridor_km", "corridor_barrier_conflict", "corridor_passage_candidates",
           "conflict_summary"]

_OUTSIDE = object()  # zone marker: the part of a corridor outside every PTCR
_COLUMNS = ["barrier_id", "barrier_type", "barrier_name", "use_class", "ptcr_id",
            "ptcr_name", "length_km"]


def _class_polygons(corridors: Any, classes: Sequence[str]) -> gpd.GeoDataFrame:
    polys = corridors.corridor_polygons() if isinstance(corridors, MigrationCorridors) \
        else corridors
    if not isinstance(polys, gpd.GeoDataFrame) or "use_class" not in polys.columns:
        raise SchemaError("corridors must be a MigrationCorridors result or a GeoDataFrame of "
                          "polygons with a 'use_class' column (low / medium / high).")
    bad = sorted(set(classes) - set(USE_CLASSES.values()))
    if bad:
        raise SchemaError(f"classes {bad} are unknown; use any of "
                          f"{list(USE_CLASSES.values())}.")
    require_crs(polys, name="corridors")
    return polys[polys["use_class"].isin(list(classes))]


def corridor_barrier_conflict(corridors: Any, barriers: Any, *, ptcrs: Any = None,
                              classes: Sequence[str] = ("high",),
                              barrier_id_col: str | None = None) -> gpd.GeoDataFrame:
    """Barrier pieces inside migration corridors, per line, class and PTCR.

    Parameters
    ----------
    corridors : MigrationCorridors or GeoDataFrame
        Result of :func:`migration_corridors`, or its ``corridor_polygons()``.
    barriers : GeoDataFrame
        (Multi)LineString barriers with a CRS (``infra_id``/``infra_type``/``name`` are used
        when present, see :func:`rank_barriers`).
    ptcrs : GeoDataFrame, optional
        PTCR polygons (``ptcr_id``, ``name``); pieces are split by PTCR (pieces outside
        every PTCR get ``ptcr_id`` missing).
    classes : sequence of str, default ("high",)
        Corridor classes to report (nested areas, see the module docstring).
    barrier_id_col : str, optional
        Barrier id column.

    Returns
    -------
    GeoDataFrame
        One row per barrier feature, class and PTCR with ``barrier_id, barrier_type,
        barrier_name, use_class, ptcr_id, ptcr_name, length_km`` (geodesic) and the clipped
        lines, in the barriers' CRS, longest first.
    """
    bar, info = prepare_barriers(barriers, barrier_id_col=barrier_id_col)
    out_crs = require_crs(bar, name="barriers")
    polys = _class_polygons(corridors, classes)
    work = polys.crs
    lines = np.asarray(bar.to_crs(work).geometry.values)
    tree = shapely.STRtree(lines)
    rows: list[dict[str, Any]] = []
    geoms = []
    zones: list[tuple[Any, Any, Any]] = [(None, None, None)]
    inside: Any = None
    if ptcrs is not None:
        if not isinstance(ptcrs, gpd.GeoDataFrame):
            raise SchemaError(f"ptcrs must be a GeoDataFrame of PTCR polygons (or None); got "
                              f"{type(ptcrs).__name__}. Use camigeo.load_ptcrs().")
        require_crs(ptcrs, name="ptcrs")
        pz = ptcrs.to_crs(work)
        idc = "ptcr_id" if "ptcr_id" in pz.columns else None
        zones = [(r[idc] if idc else k, r.get("name"), r.geometry)
                 for k, (_, r) in enumerate(pz.iterrows())]
        # the rest of the corridor (outside every PTCR): ptcr_id missing, not dropped
        zones.append((None, None, _OUTSIDE))
        inside = shapely.union_all(np.asarray(pz.geometry.values))
    for _, poly in polys.iterrows():
        for zid, zname, zgeom in zones:
            if zgeom is None:
                area = poly.geometry
            elif zgeom is _OUTSIDE:
                area = shapely.difference(poly.geometry, inside)
            else:
                area = shapely.intersection(poly.geometry, zgeom)
            if area.is_empty:
                continue
            cand = tree.query(area, predicate="intersects")
            if not len(cand):
                continue
            pieces = shapely.intersection(lines[cand], area)
            for j, piece in zip(cand, pieces, strict=True):
                piece = shapely.line_merge(shapely.unary_union(
                    [g for g in shapely.get_parts(piece) if g.geom_type in
                     ("LineString", "MultiLineString")])) if not piece.is_empty else piece
                if piece.is_empty:
                    continue
                rows.append({"barrier_id": info["barrier_id"].iloc[j],
                             "barrier_type": info["barrier_type"].iloc[j],
                             "barrier_name": info["barrier_name"].iloc[j],
                             "use_class": poly["use_class"], "ptcr_id": zid,
                             "ptcr_name": zname})
                geoms.append(piece)
    gdf = gpd.GeoDataFrame(pd.DataFrame(rows, columns=_COLUMNS[:-1]),
                           geometry=gpd.GeoSeries(np.asarray(geoms, dtype=object)
                                                  if geoms else [], crs=work), crs=work)
    gdf["length_km"] = geodesic_length_km(gdf) if len(gdf) else np.zeros(0)
    gdf = gdf[_COLUMNS + ["geometry"]].sort_values("length_km", ascending=False,
                                                   kind="stable").reset_index(drop=True)
    return gdf.to_crs(out_crs) if not gdf.crs.equals(out_crs) else gdf


def _check_table(df: Any, name: str, columns: Sequence[str]) -> None:
    """Check for a DataFrame holding ``columns`` (``length_km`` numeric); SchemaError if not."""
    if not isinstance(df, pd.DataFrame):
        raise SchemaError(f"{name}: expected a (Geo)DataFrame, got {type(df).__name__}; build "
                          f"it with corridor_barrier_conflict() / rank_barriers().")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(f"{name} has no column(s) {missing}; build it with "
                          f"corridor_barrier_conflict().")
    if "length_km" in columns and not pd.api.types.is_numeric_dtype(df["length_km"]):
        raise SchemaError(f"{name}['length_km'] holds {df['length_km'].dtype} values; expected "
                          f"kilometres as numbers.")


def conflict_summary(conflict: pd.DataFrame, *, by: Sequence[str] = ("ptcr_id",
                                                                      "barrier_type")
                     ) -> pd.DataFrame:
    """Total km inside the corridors per class and ``by`` columns (e.g. PTCR and type)."""
    _check_table(conflict, "conflict", ("use_class", "length_km", "barrier_id"))
    if not isinstance(by, list | tuple) or not all(isinstance(b, str) for b in by):
        raise SchemaError(f"by = {by!r}: expected a list of column names, e.g. "
                          f"by=['ptcr_id', 'barrier_type'].")
    keys = list(dict.fromkeys(["use_class", *by]))
    missing = [k for k in keys if k not in conflict.columns]
    if missing:
        raise SchemaError(f"conflict has no columns {missing}; build it with "
                          f"corridor_barrier_conflict().")
    try:
        return (pd.DataFrame(conflict).groupby(keys, dropna=False)
                .agg(length_km=("length_km", "sum"), n_features=("barrier_id", "nunique"))
                .reset_index().sort_values("length_km", ascending=False, kind="stable")
                .reset_index(drop=True))
    except (TypeError, ValueError) as exc:
        raise SchemaError(f"conflict: cannot group by {keys} ({exc}); the columns must hold "
                          f"plain values (text or numbers).") from None


def add_corridor_km(ranking: pd.DataFrame, conflict: pd.DataFrame, *,
                    barrier_id_col: str = "barrier_id", use_class: str = "high"
                    ) -> pd.DataFrame:
    """Add ``corridor_km`` (km of each feature inside ``use_class`` corridors) to a ranking.

    ``ranking`` is the output of :func:`rank_barriers` / ``run_telemetry()[
    "barrier_ranking"]`` (or any table with the barrier id column); features outside the
    corridors get 0.
    """
    _check_table(ranking, "ranking", ())
    _check_table(conflict, "conflict", ("use_class", "length_km", "barrier_id"))
    if not isinstance(barrier_id_col, str) or barrier_id_col not in ranking.columns:
        raise SchemaError(f"ranking has no column {barrier_id_col!r} (barrier_id_col=); its "
                          f"columns: {', '.join(map(str, ranking.columns)) or 'none'}.")
    if use_class not in USE_CLASSES.values():
        raise SchemaError(f"use_class = {use_class!r}: expected one of "
                          f"{', '.join(USE_CLASSES.values())}.")
    sub = conflict[conflict["use_class"] == use_class]
    km = sub.groupby("barrier_id")["length_km"].sum()
    out = ranking.copy()
    out["corridor_km"] = out[barrier_id_col].map(km).fillna(0.0).to_numpy(dtype=float)
    return out


def corridor_passage_candidates(conflict: gpd.GeoDataFrame, corridors: MigrationCorridors, *,
                                spacing_km: float = 1.0) -> gpd.GeoDataFrame:
    """Candidate passage points every ``spacing_km`` along the conflicting barrier pieces.

    Each point carries the corridor ``share`` of individuals and ``individuals`` at its
    cell; sorted by share (highest first). Reproject to the resistance raster's CRS and
    pass as ``candidates=`` to :func:`camigeo.rank_passages`.
    """
    if not spacing_km > 0:
        raise SchemaError(f"spacing_km must be > 0; got {spacing_km!r}.")
    work = corridors.share.crs
    lines = conflict.to_crs(work)
    pts, src = [], []
    for k, geom in enumerate(lines.geometry.values):
        for part in shapely.get_parts(geom):
            n = max(int(part.length // (spacing_km * 1000.0)), 0) + 1
            d = (np.arange(n) + 0.5) * part.length / n
            pts.extend(shapely.line_interpolate_point(part, d))
            src.extend([k] * n)
    idx = np.asarray(src, dtype=np.int64)
    gdf = gpd.GeoDataFrame(lines.drop(columns=["geometry", "length_km"]).iloc[idx]
                           .reset_index(drop=True),
                           geometry=gpd.GeoSeries(np.asarray(pts, dtype=object), crs=work),
                           crs=work)
    xy = shapely.get_coordinates(gdf.geometry.values)
    r, c = corridors.share.rowcol(xy[:, 0], xy[:, 1])
    h, w = corridors.share.shape
    ok = (r >= 0) & (r < h) & (c >= 0) & (c < w)
    share = np.zeros(len(gdf))
    ind = np.zeros(len(gdf))
    share[ok] = corridors.share.array[r[ok], c[ok]]
    ind[ok] = corridors.individuals.array[r[ok], c[ok]]
    gdf["share"], gdf["individuals"] = share, ind
    return gdf.sort_values("share", ascending=False, kind="stable").reset_index(drop=True)
