"""Replace schematic lines with the matching route through a detailed line layer.

The bundled railways are straight segments between station nodes, so a railway that winds
through valleys comes out shorter than its reported length (the Trans-Mongolian: 984 km
drawn, 1,115 km reported). Where a detailed layer of
the same lines exists -- an OpenStreetMap extract read with :func:`camigeo.read_osm`, a
national railway layer -- :func:`conflate_lines` swaps each schematic geometry for the
shortest route through the detailed network that joins its two ends inside a corridor
around it, and says where it could not.

Method (per schematic line, in an azimuthal equidistant CRS centred on it):

1. Keep the reference lines of the same ``infra_type`` (``match_on``) that intersect the corridor
   (``corridor_m`` either side), clipped to it.
2. Build a graph whose nodes are their vertices (identical coordinates are one node, as
   OSM ways share nodes at joins) and whose edges are their segments, weighted by length.
   Line ends closer than ``snap_m`` to another vertex are joined (digitising gaps).
3. Route from the vertex nearest the schematic start to the vertex nearest its end
   (Dijkstra, :func:`scipy.sparse.csgraph.dijkstra`); dead-end sidings and branches are
   never on a shortest route between the two ends.

A line whose ends have no route between them (a gap wider than ``snap_m``, a reference
that stops short) keeps its schematic geometry, with the reason in ``conflate_note``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from .._errors import CamigeoError, GeometryError, SchemaError
from .crs import WGS84, local_metric_crs, require_crs

__all__ = ["conflate_lines", "conflate_osm"]

log = logging.getLogger(__name__)

_LINES = ("LineString", "MultiLineString")


def _check_layer(gdf: Any, name: str) -> CRS:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise CamigeoError(f"{name} must be a GeoDataFrame of lines; got "
                           f"{type(gdf).__name__}.")
    crs = require_crs(gdf, name=name)
    from .guards import check_geometries

    check_geometries(gdf, name=name, repair=None)  # NaN vertices, metres declared lon/lat
    types = set(gdf.geometry.dropna().geom_type)
    if types - set(_LINES):
        raise GeometryError(f"{name} must hold LineString/MultiLineString geometries; got "
                            f"{sorted(types - set(_LINES))}. Convert polygons with "
                            f"`.boundary` or drop the other rows first.")
    return crs


def _check_number(name: str, value: Any, *, positive: bool) -> float:
    ok = isinstance(value, int | float | np.number) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or value < 0 or (positive and value == 0):
        want = "> 0" if positive else ">= 0"
        raise CamigeoError(f"{name} must be a finite number {want} (metres); got {value!r}.")
    return float(value)


def _route(pieces: list[np.ndarray], start: np.ndarray, end: np.ndarray, snap_m: float,
           reach_m: float) -> tuple[np.ndarray | None, set[int], str]:
    """Shortest route through the line pieces (metric coordinates) from start to end.

    Returns the route's vertices, the indices of the pieces it runs along and a note
    (why there is no route; empty when there is one).
    """
    segs = [np.stack([p[:-1], p[1:]], axis=1) for p in pieces]  # >= 2 vertices each
    if not segs:
        return None, set(), "no reference line of this type inside the corridor"
    seg = np.concatenate(segs)  # (m, 2, 2)
    nodes, inv = np.unique(seg.reshape(-1, 2), axis=0, return_inverse=True)
    a, b = inv.reshape(-1, 2).T
    w = np.hypot(*(seg[:, 1] - seg[:, 0]).T)
    piece = np.repeat(np.arange(len(segs)), [len(s) for s in segs])  # per segment
    tree = cKDTree(nodes)
    if snap_m > 0:  # join piece ends to vertices of other pieces within snap_m (gaps)
        bounds = np.cumsum([0] + [len(s) for s in segs])
        extra = []
        for k in range(len(segs)):
            own = inv.reshape(-1, 2)[bounds[k]:bounds[k + 1]]
            for e in (own[0, 0], own[-1, 1]):
                js = np.asarray(tree.query_ball_point(nodes[e], r=snap_m), dtype=np.int64)
                # not the piece's own vertices: a dense line would shortcut its own bends
                extra += [(e, j) for j in js[~np.isin(js, own)]]
        if extra:
            ea, eb = np.array(extra).T
            a, b = np.concatenate([a, ea]), np.concatenate([b, eb])
            w = np.concatenate([w, np.hypot(*(nodes[ea] - nodes[eb]).T)])
            piece = np.concatenate([piece, np.full(len(ea), -1)])  # joins: no piece
    # one edge per vertex pair, the shortest (coo -> csr would add up repeated pairs, e.g.
    # two ways drawn over each other); zero-length edges are repeated vertices
    n = len(nodes)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((w, lo * n + hi))
    first = np.unique((lo * n + hi)[order], return_index=True)[1]
    pick = order[first]  # in ascending key order
    pick = pick[w[pick] > 0]
    keys = (lo * n + hi)[pick]
    graph = sparse.coo_matrix((w[pick], (lo[pick], hi[pick])), shape=(n, n)).tocsr()
    (d0, i0), (d1, i1) = tree.query(start), tree.query(end)
    if max(d0, d1) > reach_m:
        which = "start" if d0 > d1 else "end"
        return None, set(), (f"the reference comes no closer than {max(d0, d1) / 1000:.1f} "
                             f"km to the line's {which}")
    if i0 == i1:
        return None, set(), "both ends snap to the same reference vertex"
    dist, pred = csgraph.dijkstra(graph, directed=False, indices=i0,
                                  return_predecessors=True)
    if not np.isfinite(dist[i1]):
        return None, set(), (f"no connected route between the ends within the corridor "
                             f"(gaps wider than snap_m={snap_m:g} m, or the reference is "
                             f"incomplete)")
    path: Any = [i1]
    while path[-1] != i0:
        path.append(pred[path[-1]])
    path = np.asarray(path[::-1])
    u, v = path[:-1], path[1:]
    on = piece[pick[np.searchsorted(keys, np.minimum(u, v) * n + np.maximum(u, v))]]
    return nodes[path], set(on[on >= 0].tolist()), ""


def _conflate_one(geom: shapely.Geometry, ref: gpd.GeoSeries, *, crs: CRS,
                  corridor_m: float, snap_m: float) -> tuple[shapely.Geometry | None, list[int],
                                                             str]:
    """Route one schematic line through ``ref`` (both in ``crs``)."""
    lonlat = gpd.GeoSeries([geom], crs=crs).to_crs(WGS84).iloc[0]
    metric = local_metric_crs(lonlat)
    fwd = Transformer.from_crs(crs, metric, always_xy=True)
    back = Transformer.from_crs(metric, crs, always_xy=True)
    line_m = shapely.transform(geom, lambda xy: np.column_stack(fwd.transform(*xy.T)))
    corridor = line_m.buffer(corridor_m)
    corridor_src = shapely.transform(corridor, lambda xy: np.column_stack(back.transform(*xy.T)))
    idx = ref.sindex.query(corridor_src, predicate="intersects")
    if not len(idx):
        return None, [], "no reference line of this type inside the corridor"
    cand = ref.iloc[idx].to_crs(metric)
    pieces, owner = [], []
    for k, g in zip(idx, shapely.intersection(cand.to_numpy(), corridor), strict=True):
        for p in shapely.get_parts(g):  # clipping may leave points or collections
            if p.geom_type == "LineString" and not p.is_empty:
                pieces.append(shapely.get_coordinates(p))
                owner.append(int(k))
    parts = shapely.get_parts(line_m)
    routed, used = [], set[int]()
    for part in parts:
        coords = shapely.get_coordinates(part)
        path, on, note = _route(pieces, coords[0], coords[-1], snap_m, corridor_m)
        if path is None:
            return None, [], note
        routed.append(path)
        used.update(owner[k] for k in on)
    out = [shapely.LineString(np.column_stack(back.transform(*p.T))) for p in routed]
    return (out[0] if len(out) == 1 else shapely.MultiLineString(out)), sorted(used), ""


def conflate_lines(
    lines: gpd.GeoDataFrame,
    reference: gpd.GeoDataFrame,
    *,
    corridor_m: float = 20_000.0,
    snap_m: float = 50.0,
    match_on: str | Sequence[str] | None = "infra_type",
    reference_source: str | None = None,
    reference_accuracy_km: float | None = None,
    progress: bool = False,
) -> gpd.GeoDataFrame:
    """Replace schematic lines by their route through a detailed reference layer.

    Parameters
    ----------
    lines : GeoDataFrame
        Schematic lines (e.g. :func:`camigeo.datasets.load_infrastructure`), any CRS. Each
        (part of a) line is routed from its first to its last vertex.
    reference : GeoDataFrame
        Detailed lines of the same features (e.g. :func:`camigeo.read_osm`), any CRS.
    corridor_m : float, default 20000
        Half-width of the corridor around each schematic line that the route must stay in
        (metres). Make it at least the positional error of the schematic vertices.
    snap_m : float, default 50
        Line ends closer than this to another reference vertex are joined (metres);
        0 joins only identical vertices.
    match_on : str or sequence of str or None, default "infra_type"
        Route each line only through reference lines with the same values in these
        columns (both layers need them), e.g. ``["infra_type", "status"]`` keeps a planned
        railway off an existing one; ``None`` uses every reference line.
    reference_source : str, optional
        Provenance of the reference geometry; default: the reference's ``source`` values
        on the route.
    reference_accuracy_km : float, optional
        Positional accuracy of the reference (km); default: the largest ``accuracy_km`` of
        the reference lines on the route.
    progress : bool, default False
        Show a tqdm progress bar over the lines.

    Returns
    -------
    GeoDataFrame
        A copy of ``lines`` (same rows, CRS and columns) in which every routed line has the
        reference geometry, ``source`` prefixed with ``"geometry: <reference source>;
        attributes: "`` and ``accuracy_km`` of the reference, plus two columns:
        ``geometry_source`` (``"reference"`` or ``"schematic"``) and ``conflate_note`` (why
        a line kept its schematic geometry; empty when routed).

    Raises
    ------
    CamigeoError
        A parameter is out of range, or ``source``/``accuracy_km`` cannot be taken from
        the reference.
    SchemaError
        A ``match_on`` column is missing from a layer.
    GeometryError
        A layer holds non-line geometries.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> schematic = gpd.GeoDataFrame({"infra_type": ["railway"]}, crs="EPSG:4326",
    ...     geometry=[shapely.LineString([(106.0, 47.0), (106.0, 47.5)])])
    >>> track = gpd.GeoDataFrame({"infra_type": ["railway"], "source": ["survey"],
    ...     "accuracy_km": [0.01]}, crs="EPSG:4326",
    ...     geometry=[shapely.LineString([(106.0, 47.0), (106.05, 47.25), (106.0, 47.5)])])
    >>> out = conflate_lines(schematic, track)
    >>> out["geometry_source"].iloc[0], len(out.geometry.iloc[0].coords)
    ('reference', 3)
    """
    crs = _check_layer(lines, "lines")
    _check_layer(reference, "reference")
    corridor_m = _check_number("corridor_m", corridor_m, positive=True)
    snap_m = _check_number("snap_m", snap_m, positive=False)
    if reference_accuracy_km is not None:
        _check_number("reference_accuracy_km", reference_accuracy_km, positive=False)
    keys = [match_on] if isinstance(match_on, str) else list(match_on or [])
    for name, gdf in (("lines", lines), ("reference", reference)):
        missing = [k for k in keys if k not in gdf.columns]
        if missing:
            raise SchemaError(f"{name} has no {missing} column(s), which match_on={match_on!r} "
                              f"needs; add them or pass match_on=None to use every line.")
    for col, given, param in (("source", reference_source, "reference_source"),
                              ("accuracy_km", reference_accuracy_km, "reference_accuracy_km")):
        if given is None and col not in reference.columns:
            raise CamigeoError(f"reference has no '{col}' column; pass {param}= to say what "
                               f"the reference geometry's {col} is.")
    ref = reference.to_crs(crs).reset_index(drop=True)
    ref = ref[ref.geometry.notna() & ~ref.geometry.is_empty]
    out = lines.copy()
    geoms = out.geometry.to_numpy().copy()
    srcs = (out["source"].astype(object).to_numpy().copy() if "source" in out.columns
            else np.full(len(out), None, dtype=object))
    acc = (out["accuracy_km"].to_numpy(dtype=float).copy() if "accuracy_km" in out.columns
           else np.full(len(out), np.nan))
    used_src = np.full(len(out), "schematic", dtype=object)
    notes = np.full(len(out), "", dtype=object)
    rows: Any = range(len(out))
    if progress:
        from tqdm.auto import tqdm

        rows = tqdm(rows, desc="conflate", unit="line")
    for i in rows:
        geom = geoms[i]
        if geom is None or geom.is_empty:
            notes[i] = "empty geometry"
            continue
        same = np.ones(len(ref), dtype=bool)
        for k in keys:
            same &= (ref[k].astype(str) == str(out[k].iloc[i])).to_numpy(dtype=bool)
        cand = ref[same].reset_index(drop=True)
        new, used, note = _conflate_one(geom, cand.geometry, crs=crs, corridor_m=corridor_m,
                                        snap_m=snap_m)
        if new is None:
            notes[i] = note
            log.info("line %d kept schematic: %s", i, note)
            continue
        geoms[i] = new
        used_src[i] = "reference"
        rsrc = reference_source or "; ".join(sorted(
            {str(s) for s in cand["source"].iloc[used] if pd.notna(s)}))
        srcs[i] = f"geometry: {rsrc}; attributes: {srcs[i]}" if srcs[i] else rsrc
        acc[i] = (reference_accuracy_km if reference_accuracy_km is not None
                  else float(np.nanmax(cand["accuracy_km"].iloc[used].to_numpy(dtype=float))))
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=crs))
    if "source" in out.columns or (used_src == "reference").any():
        out["source"] = srcs
    if "accuracy_km" in out.columns or (used_src == "reference").any():
        out["accuracy_km"] = acc
    out["geometry_source"] = used_src
    out["conflate_note"] = notes
    log.info("conflate_lines: %d of %d lines routed through the reference",
             int((used_src == "reference").sum()), len(out))
    return out


def conflate_osm(
    lines: gpd.GeoDataFrame,
    pbf_path: str | os.PathLike[str],
    *,
    corridor_m: float = 20_000.0,
    snap_m: float = 50.0,
    match_on: str | Sequence[str] | None = ("infra_type", "status"),
    progress: bool = False,
) -> gpd.GeoDataFrame:
    """:func:`conflate_lines` with the ways of an OSM extract as the reference.

    Reads only the ways near ``lines`` (:func:`camigeo.read_osm` with the lines' bounding
    box grown by the corridor) and routes each line through those of the same
    ``infra_type`` and ``status`` by default.

    Parameters
    ----------
    lines : GeoDataFrame
        Lines in the ``infrastructure`` schema (any CRS).
    pbf_path : str or path-like
        OpenStreetMap ``.osm.pbf`` extract (extra ``osm``).
    corridor_m, snap_m, match_on, progress
        As in :func:`conflate_lines`.

    Returns
    -------
    GeoDataFrame
        As :func:`conflate_lines`; routed lines get ``source`` "geometry: OpenStreetMap
        contributors (ODbL); attributes: ..." and ``accuracy_km`` 0.01.

    Raises
    ------
    DataNotFoundError
        The extract does not exist.
    """
    from .osm import read_osm

    corridor_m = _check_number("corridor_m", corridor_m, positive=True)
    x0, y0, x1, y1 = _check_layer_bounds(lines)
    pad = corridor_m / 80_000.0 + 0.1  # degrees; more than corridor_m north of 30 N
    ref = read_osm(pbf_path, bbox=(max(x0 - pad, -180.0), max(y0 - pad, -90.0),
                                   min(x1 + pad, 180.0), min(y1 + pad, 90.0)))
    return conflate_lines(lines, ref, corridor_m=corridor_m, snap_m=snap_m,
                          match_on=match_on, progress=progress)


def _check_layer_bounds(lines: Any) -> tuple[float, float, float, float]:
    """Lon/lat bounds of ``lines`` (validated as a line layer)."""
    crs = _check_layer(lines, "lines")
    geo = lines.geometry if crs.equals(WGS84) else lines.geometry.to_crs(WGS84)
    x0, y0, x1, y1 = geo.total_bounds
    return float(x0), float(y0), float(x1), float(y1)
