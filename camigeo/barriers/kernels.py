"""Shared kernels of :mod:`conflict` and its Dask twin (public within the subpackage)."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .._errors import CamigeoWarning, GeometryError, SchemaError
from ..io.crs import CENTRAL_ASIA_EQUAL_AREA, GEOD, WGS84, local_metric_crs, require_crs
from .weights import (
    INFRA_TYPES,
    WeightKey,
    feature_weights,
)

__all__: list[str] = []

#: Columns of the table returned by :func:`score_conflict`, in order.
SCORE_COLUMNS: tuple[str, ...] = (
    "ptcr_id", "ptcr_name", "sci_name", "infra_type", "area_km2", "length_km",
    "weighted_length_km", "density_km_per_1000km2", "weighted_density_km_per_1000km2",
    "effect_zone_m", "effect_zone_km2", "effect_zone_share", "n_features",
    "region_area_km2", "region_length_km", "region_weighted_length_km",
)


# --------------------------------------------------------------------------- input checks
def check_geoms(gdf: Any, *, name: str, kind: str) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise SchemaError(f"{name} must be a GeoDataFrame; got {type(gdf).__name__}. "
                          f"Read it with camigeo.read_layer or geopandas.read_file.")
    require_crs(gdf, name=name)
    geoms = gdf.geometry
    keep = geoms.notna() & ~geoms.is_empty
    gdf = gdf[keep.to_numpy()]
    from ..io.guards import check_geometries  # NaN vertices, metres as degrees, invalid polygons

    gdf = check_geometries(gdf, name=name)
    types = set(gdf.geometry.geom_type.unique())
    allowed = {"LineString", "MultiLineString"} if kind == "line" else {"Polygon",
                                                                       "MultiPolygon"}
    wrong = sorted(types - allowed)
    if wrong:
        if kind == "line":
            hint = ("infrastructure must be lines; if the polygons outline linear features, "
                    "pass gdf.boundary or the centre lines instead")
        else:
            hint = "regions and ranges must be polygons (buffer points/lines first if meant)"
        raise GeometryError(
            f"{name} has geometry type(s) {wrong}; expected {sorted(allowed)}. {hint}."
        )
    return gdf


def require_column(gdf: pd.DataFrame, col: str, *, name: str) -> None:
    if col not in gdf.columns:
        raise SchemaError(
            f"{name} has no '{col}' column (docs/schema.md); got columns "
            f"{[c for c in gdf.columns if c != 'geometry']}. Rename or add it."
        )


def to_work(geoms: gpd.GeoSeries, *, densify: bool) -> np.ndarray:
    """Reproject to the equal-area working CRS; densify polygon edges first (5 km)."""
    if densify:
        crs = CRS.from_user_input(geoms.crs)
        step = 0.05 if crs.is_geographic else 5000.0
        geoms = gpd.GeoSeries(shapely.segmentize(geoms.values, step), crs=geoms.crs,
                              index=geoms.index)
    arr = np.asarray(geoms.to_crs(CENTRAL_ASIA_EQUAL_AREA).values)
    return shapely.make_valid(arr) if densify else arr


def dissolve(gdf: gpd.GeoDataFrame, by: str) -> tuple[np.ndarray, np.ndarray]:
    """Dissolve polygons by ``by`` in the working CRS -> (keys, union geometries)."""
    geoms = to_work(gdf.geometry, densify=True)
    keys = gdf[by].to_numpy()
    codes, uniq = pd.factorize(keys, sort=True)
    out = np.empty(len(uniq), dtype=object)
    for i in range(len(uniq)):
        out[i] = shapely.union_all(geoms[codes == i])
    return np.asarray(uniq, dtype=object), out


@dataclass
class Prepared:
    """Regions, species zones and lines in the working CRS (equal-area metres)."""

    region_ids: np.ndarray
    region_names: np.ndarray
    region_geoms: np.ndarray
    region_area_km2: np.ndarray
    zone_region: np.ndarray  # index into region_* per zone
    zone_species: np.ndarray
    zone_geoms: np.ndarray
    zone_area_km2: np.ndarray
    species_ids: np.ndarray
    species_geoms: np.ndarray


def prepare_areas(ptcrs: gpd.GeoDataFrame, ranges: gpd.GeoDataFrame,
                   *, species_col: str = "sci_name") -> Prepared:
    ptcrs = check_geoms(ptcrs, name="ptcrs", kind="polygon")
    ranges = check_geoms(ranges, name="ranges", kind="polygon")
    require_column(ptcrs, "ptcr_id", name="ptcrs")
    require_column(ranges, species_col, name="ranges")
    rid, rgeom = dissolve(ptcrs, "ptcr_id")
    if "name" in ptcrs.columns:
        names = ptcrs.drop_duplicates("ptcr_id").set_index("ptcr_id")["name"]
        rname = np.asarray([names.get(i, "") for i in rid], dtype=object)
    else:
        rname = np.asarray([str(i) for i in rid], dtype=object)
    sid, sgeom = dissolve(ranges.dropna(subset=[species_col]), species_col)
    zr: list[int] = []
    zs: list[int] = []
    zg: list[Any] = []
    if len(sgeom) and len(rgeom):
        tree = shapely.STRtree(sgeom)
        ri, si = tree.query(rgeom, predicate="intersects")
        inter = shapely.intersection(rgeom[ri], sgeom[si])
        area = shapely.area(inter)
        ok = area > 0
        zr, zs, zg = list(ri[ok]), list(si[ok]), list(inter[ok])
    zgeom = np.asarray(zg, dtype=object) if zg else np.empty(0, dtype=object)
    return Prepared(
        region_ids=rid, region_names=rname, region_geoms=rgeom,
        region_area_km2=shapely.area(rgeom) / 1e6,
        zone_region=np.asarray(zr, dtype=np.int64), zone_species=np.asarray(zs, dtype=np.int64),
        zone_geoms=zgeom, zone_area_km2=shapely.area(zgeom) / 1e6 if len(zgeom) else
        np.empty(0), species_ids=sid, species_geoms=sgeom,
    )


def prepare_lines(infrastructure: gpd.GeoDataFrame, *, status: Iterable[str] | None,
                   weights: Mapping[WeightKey, float] | None,
                   effect_zones_m: Mapping[Any, float] | None,
                   name: str = "infrastructure", crs: Any = None) -> tuple[pd.DataFrame, CRS]:
    """Filter lines; add geodesic km, type code, weight, effect zone.

    Returns the table (``geometry`` in ``crs``, default: the input CRS, so a million lon/lat
    lines are not reprojected) and that CRS.
    """
    infra = check_geoms(infrastructure, name=name, kind="line")
    if isinstance(status, str):  # status="existing" means ("existing",), not its letters
        status = (status,)
    if status is not None:
        import difflib

        from ..io.validate import INFRA_STATUS

        if not isinstance(status, Iterable):
            raise SchemaError(f"status={status!r}; expected a list of statuses such as "
                              f"('existing',) or None for all lines.")
        status = tuple(status)
        bad = [s for s in status if s not in INFRA_STATUS]
        if bad:  # an unknown status would select nothing without a word
            close = difflib.get_close_matches(str(bad[0]), INFRA_STATUS, n=1, cutoff=0.5)
            raise SchemaError(f"status={status!r}: {bad[0]!r} is not an infrastructure status; "
                              f"expected {', '.join(INFRA_STATUS)}"
                              + (f". Did you mean {close[0]!r}?" if close else "."))
        require_column(infra, "status", name=name)
        infra = infra[infra["status"].astype(object).isin(list(status)).to_numpy()]
    fw = feature_weights(infra, weights=weights, effect_zones_m=effect_zones_m)
    out = pd.DataFrame(index=infra.index)
    out["infra_type"] = infra["infra_type"].astype(object).to_numpy()
    out["type_code"] = np.asarray(
        pd.Categorical(out["infra_type"], categories=list(INFRA_TYPES)).codes, dtype=np.int64)
    out["weight"] = fw["weight"].to_numpy()
    out["effect_zone_m"] = fw["effect_zone_m"].to_numpy()
    in_crs = CRS.from_user_input(infra.crs)
    lonlat = infra.geometry if in_crs.equals(WGS84) else infra.geometry.to_crs(WGS84)
    out["length_km"] = line_km(lonlat.to_numpy()) if len(infra) else 0.0
    work = in_crs if crs is None else CRS.from_user_input(crs)
    if work.equals(WGS84):
        geoms = lonlat
    elif work.equals(in_crs):
        geoms = infra.geometry
    else:
        geoms = infra.geometry.to_crs(work)
    out["geometry"] = geoms.to_numpy() if len(infra) else []
    return out, work


def zones_to(geoms: np.ndarray, crs: CRS) -> np.ndarray:
    """Equal-area zone polygons -> ``crs`` (edges densified to 5 km first)."""
    if crs.equals(CENTRAL_ASIA_EQUAL_AREA) or len(geoms) == 0:
        return geoms
    dense = shapely.segmentize(geoms, 5000.0)
    return gpd.GeoSeries(dense, crs=CENTRAL_ASIA_EQUAL_AREA).to_crs(crs).to_numpy()


# --------------------------------------------------------------------------- lengths
WGS84_A = 6378137.0


WGS84_E2 = 6.69437999014e-3


#: Segments shorter than this (km) use the local-ellipsoid formula, longer ones pyproj.Geod.
SHORT_KM = 50.0


def line_km(geoms: np.ndarray) -> np.ndarray:
    """Geodesic length (km) of lon/lat (multi)lines on the WGS84 ellipsoid, vectorised.

    Segments shorter than 50 km use ds² = (M·dφ)² + (N·cos φ·dλ)² with the meridional and
    prime-vertical radii M, N at the mid-latitude (largest relative error against
    pyproj.Geod over 20,000 random 30-56 N segments: 3e-7 at 10 km, 7e-6 at 50 km; see
    tests); longer ones go through :meth:`pyproj.Geod.inv`. Measured on 1,000,000
    three-vertex lines (2026-11-23, 2 shared cores): 1.9 s here vs 7.6 s for
    :func:`camigeo.crs.geodesic_length_km` (same lengths to 2e-9).
    """
    out = np.zeros(len(geoms))
    if len(geoms) == 0:
        return out
    types = shapely.get_type_id(geoms)
    if np.any((types != 1) & (types != 2)):
        parts, idx = shapely.get_parts(geoms, return_index=True)
        keep = np.isin(shapely.get_type_id(parts), (1, 2))
        parts, idx = parts[keep], idx[keep]
    else:
        parts, idx = geoms, np.arange(len(geoms))
    coords, ci = shapely.get_coordinates(parts, return_index=True)
    if len(coords) < 2:
        return out
    same = ci[1:] == ci[:-1]
    lon0, lat0 = coords[:-1, 0][same], coords[:-1, 1][same]
    lon1, lat1 = coords[1:, 0][same], coords[1:, 1][same]
    phi = np.deg2rad((lat0 + lat1) / 2)
    s2 = np.sin(phi) ** 2
    w = np.sqrt(1 - WGS84_E2 * s2)
    m_rad = WGS84_A * (1 - WGS84_E2) / w**3
    n_rad = WGS84_A / w
    dlon = (lon1 - lon0 + 180.0) % 360.0 - 180.0
    d = np.hypot(m_rad * np.deg2rad(lat1 - lat0), n_rad * np.cos(phi) * np.deg2rad(dlon))
    long = d > SHORT_KM * 1000
    if long.any():
        d[long] = GEOD.inv(lon0[long], lat0[long], lon1[long], lat1[long])[2]
    return np.bincount(idx[ci[:-1][same]], weights=d, minlength=len(geoms)) / 1000.0


# --------------------------------------------------------------------------- core kernel
def score_chunk(
    lines: np.ndarray,
    length_km: np.ndarray,
    type_code: np.ndarray,
    weight: np.ndarray,
    zones: np.ndarray,
    *,
    crs: Any = CENTRAL_ASIA_EQUAL_AREA,
    n_types: int = len(INFRA_TYPES),
) -> pd.DataFrame:
    """Clip one chunk of lines against all zones; partial sums per (zone, type).

    Pure function (no side effects on its inputs), so chunk results can be summed with
    ``pd.concat(parts).groupby(["zone", "type_code"]).sum()``.

    Parameters
    ----------
    lines : ndarray of shapely (Multi)LineString
        In ``crs`` (the zones' CRS).
    length_km : ndarray of float
        Geodesic length of each whole line (km), used when a line lies wholly inside a zone.
    type_code : ndarray of int
        Index of the infra_type in :data:`INFRA_TYPES`.
    weight : ndarray of float
        Impermeability weight per line.
    zones : ndarray of shapely Polygon/MultiPolygon
        Zones in ``crs``.
    crs : CRS-like
        CRS of ``lines`` and ``zones``; clipped pieces are measured geodesically.
    n_types : int
        Number of type codes.

    Returns
    -------
    pandas.DataFrame
        Columns ``zone``, ``type_code``, ``length_km``, ``weighted_length_km``,
        ``n_features`` (lines with a non-zero length in the zone); only non-zero rows.
    """
    cols = ["zone", "type_code", "length_km", "weighted_length_km", "n_features"]
    if len(lines) == 0 or len(zones) == 0:
        return pd.DataFrame({c: np.empty(0, dtype=np.int64 if c in ("zone", "type_code",
                                                                     "n_features") else float)
                             for c in cols})
    # copies: preparing must not touch the caller's geometry objects
    zones = np.array([shapely.from_wkb(shapely.to_wkb(z)) for z in zones], dtype=object)
    shapely.prepare(zones)
    # The tree holds the many simple lines and is queried (by bounding box) with the few
    # complex zones. Most pairs are then decided without GEOS by a coarse grid per zone
    # (cells inside / outside / on the boundary, _classify_cells); only pairs on boundary
    # cells get the exact predicates. 1M lines x 234 zones: 14.1 s CPU with GEOS
    # predicates for every pair, see docs/benchmarks.md for the grid version.
    tree = shapely.STRtree(lines)
    zi, li = tree.query(zones)
    state = grid_state(zones, zi, shapely.bounds(lines)[li]) if len(li) else np.zeros(0)
    unknown = np.flatnonzero(state < 0)
    if len(unknown):
        hit = shapely.intersects(zones[zi[unknown]], lines[li[unknown]])
        state[unknown[hit]] = 2  # boundary: clip below
        state[unknown[~hit]] = 0
        inside = shapely.contains_properly(zones[zi[unknown[hit]]], lines[li[unknown[hit]]])
        state[unknown[hit][inside]] = 1
    keep = state > 0
    zi, li, state = zi[keep], li[keep], state[keep]
    seg = np.asarray(length_km, dtype=float)[li]
    cut = np.flatnonzero(state == 2)
    if len(cut):
        pieces = shapely.intersection(lines[li[cut]], zones[zi[cut]])
        if not CRS.from_user_input(crs).equals(WGS84):
            pieces = gpd.GeoSeries(pieces, crs=crs).to_crs(WGS84).to_numpy()
        seg[cut] = line_km(pieces)
    key = zi * n_types + np.asarray(type_code)[li]
    size = len(zones) * n_types
    length = np.bincount(key, weights=seg, minlength=size)
    wlen = np.bincount(key, weights=seg * np.asarray(weight, dtype=float)[li], minlength=size)
    count = np.bincount(key[seg > 0], minlength=size)
    nz = np.flatnonzero(count > 0)
    return pd.DataFrame({"zone": nz // n_types, "type_code": nz % n_types,
                         "length_km": length[nz], "weighted_length_km": wlen[nz],
                         "n_features": count[nz]})


def grid_state(zones: np.ndarray, zi: np.ndarray, bounds: np.ndarray,
                cells: int = 48) -> np.ndarray:
    """Decide (zone, line) pairs from a coarse grid per zone: 1 inside, 0 outside, -1 unknown.

    Each zone's bounding box is cut into ``cells`` x ``cells`` boxes classified once with
    the prepared zone (contains_properly -> inside, disjoint -> outside, else boundary). A
    line whose bounding box lies in one inside (outside) cell is inside (outside) the zone;
    the rest are left to the exact GEOS predicates.
    """
    state = np.full(len(zi), -1, dtype=np.int8)
    order = np.argsort(zi, kind="stable")
    starts = np.searchsorted(zi[order], np.arange(len(zones) + 1))
    for z in range(len(zones)):
        sel = order[starts[z]:starts[z + 1]]
        if len(sel) < 4 * cells:
            continue  # few candidates: exact predicates are cheaper than the grid
        x0, y0, x1, y1 = shapely.bounds(zones[z])
        w = max(x1 - x0, y1 - y0) / cells
        if not w > 0:
            continue
        nx, ny = int(np.ceil((x1 - x0) / w)) + 1, int(np.ceil((y1 - y0) / w)) + 1
        gx, gy = np.meshgrid(x0 + w * np.arange(nx), y0 + w * np.arange(ny))
        boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + w, gy.ravel() + w)
        cls = np.where(shapely.contains_properly(zones[z], boxes), 1,
                       np.where(shapely.intersects(zones[z], boxes), -1, 0)).astype(np.int8)
        b = bounds[sel]
        cx0 = np.floor((b[:, 0] - x0) / w).astype(np.int64)
        cy0 = np.floor((b[:, 1] - y0) / w).astype(np.int64)
        cx1 = np.floor((b[:, 2] - x0) / w).astype(np.int64)
        cy1 = np.floor((b[:, 3] - y0) / w).astype(np.int64)
        ok = (cx0 == cx1) & (cy0 == cy1) & (cx0 >= 0) & (cy0 >= 0) & (cx0 < nx) & (cy0 < ny)
        idx = np.flatnonzero(ok)
        state[sel[idx]] = cls[cy0[idx] * nx + cx0[idx]]
    return state


def sum_chunks(parts: list[pd.DataFrame]) -> pd.DataFrame:
    df = pd.concat(parts, ignore_index=True)
    return df.groupby(["zone", "type_code"], as_index=False).sum()


@dataclass(frozen=True)
class EffectLines:
    """The lines with an effect zone, indexed; shared by the in-memory and Dask paths."""

    geoms: np.ndarray
    dist: np.ndarray
    codes: np.ndarray
    tree: shapely.STRtree

    @classmethod
    def of(cls, lines: pd.DataFrame) -> EffectLines | None:
        zl = lines[lines["effect_zone_m"] > 0]
        if zl.empty:
            return None
        geoms = zl["geometry"].to_numpy()
        return cls(geoms, zl["effect_zone_m"].to_numpy(), zl["type_code"].to_numpy(),
                   shapely.STRtree(geoms))

    def buffers(self, idx: np.ndarray, crs: CRS, local: CRS | str
                ) -> Iterator[tuple[int, np.ndarray]]:
        """(type code, effect-zone buffers in ``local``) per type among lines ``idx``.

        Lines are projected to ``local`` (an azimuthal equidistant CRS centred on the
        region, so widths are true metres) and buffered with ``quad_segs=4``.
        """
        sel = gpd.GeoSeries(self.geoms[idx], crs=crs).to_crs(local).to_numpy()
        codes, dist = self.codes[idx], self.dist[idx]
        for t in np.unique(codes):
            m = codes == t
            yield int(t), shapely.buffer(sel[m], dist[m], quad_segs=4)


def effect_areas(prep: Prepared, lines: pd.DataFrame,
                  crs: CRS) -> dict[tuple[int, int], np.ndarray]:
    """Effect-zone area (km²) per (region, type) -> array [region area, zone areas...].

    Regions run in a thread pool (:func:`effect_threads` threads): the GEOS merges
    release the GIL, so two cores halve the wall time (2026-11-23 benchmark).
    """
    out: dict[tuple[int, int], np.ndarray] = {}
    eff = EffectLines.of(lines)
    if eff is None:
        return out
    dist, tree = eff.dist, eff.tree
    # query margin: Albers scale is within 0.98-1.02 over 30-55 N, so 1.1 x the widest zone
    margin = 1.1 * float(dist.max())
    jobs = []
    for r, rgeom in enumerate(prep.region_geoms):
        near = zones_to(np.asarray([shapely.buffer(rgeom, margin, quad_segs=2)]), crs)[0]
        idx = tree.query(near, predicate="intersects")
        if len(idx):
            jobs.append((r, idx))

    def region(job: tuple[int, np.ndarray]) -> dict[tuple[int, int], np.ndarray]:
        r, idx = job
        rgeom = prep.region_geoms[r]
        zone_idx = np.flatnonzero(prep.zone_region == r)
        # Buffer in an azimuthal equidistant CRS centred on the region: widths are true
        # metres (Albers would make E-W lines' zones up to 1.5 % too narrow at 45 N).
        local = local_metric_crs(gpd.GeoSeries([rgeom], crs=CENTRAL_ASIA_EQUAL_AREA))
        polys = gpd.GeoSeries(np.concatenate([[rgeom], prep.zone_geoms[zone_idx]]),
                              crs=CENTRAL_ASIA_EQUAL_AREA).to_crs(local).to_numpy()
        return {(r, t): union_area_tiled(bufs, polys) / 1e6
                for t, bufs in eff.buffers(idx, crs, local)}

    jobs.sort(key=lambda j: -len(j[1]))  # largest first: better balance across threads
    workers = min(len(jobs), effect_threads())
    if workers <= 1:
        results = [region(j) for j in jobs]
    else:
        with ThreadPoolExecutor(max_workers=workers) as ex:
            results = list(ex.map(region, jobs))
    for res in results:
        out.update(res)
    return out


def effect_threads() -> int:
    """Threads for the effect-zone merges: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


#: Side (m) of the tiles over which the effect-zone buffers are merged.
EFFECT_TILE_M = 50_000.0


def union_area_tiled(bufs: np.ndarray, polys: np.ndarray,
                      tile_m: float | None = None) -> np.ndarray:
    """Area (m²) of ``polys[j] ∩ union(bufs)`` for every j, merged tile by tile (exact).

    The bounding box of ``polys`` is cut into square tiles; per tile the buffers touching
    it are clipped to the tile and merged (``shapely.union_all``), and the merged piece is
    intersected only with the polygons that cross the tile's edge (a tile inside a polygon
    adds the piece's area directly). The tiles partition the plane, so the sum equals
    ``area(intersection(polys, union_all(bufs)))`` up to rounding (1e-14 relative on the
    benchmark data). One merge of all buffers of a region followed by the intersection
    with every zone took 3.2 s CPU for the 27,000 road buffers of the largest benchmark
    region; tiles of 10 / 20 / 50 km took 2.5 / 2.0 / 1.9 s (2026-11-23, 2 shared cores).
    A side chosen per type for a fixed number of buffer vertices per tile was slower for
    the railway and fence buffers (2.2 / 3.7 s against 1.7 / 2.9 s with 50 km tiles).
    """
    out = np.zeros(len(polys))
    if len(bufs) == 0 or len(polys) == 0:
        return out
    x0, y0, x1, y1 = shapely.total_bounds(polys)
    tile_m = float(tile_m or EFFECT_TILE_M)
    nx = max(1, int(np.ceil((x1 - x0) / tile_m)))
    ny = max(1, int(np.ceil((y1 - y0) / tile_m)))
    gx, gy = np.meshgrid(x0 + tile_m * np.arange(nx), y0 + tile_m * np.arange(ny))
    tiles = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + tile_m, gy.ravel() + tile_m)
    # copies: preparing must not touch the caller's geometry objects
    polys = np.array([shapely.from_wkb(shapely.to_wkb(p)) for p in polys], dtype=object)
    shapely.prepare(polys)
    touch = shapely.intersects(polys[:, None], tiles[None, :])
    inside = shapely.contains_properly(polys[:, None], tiles[None, :])
    ti, bi = shapely.STRtree(bufs).query(tiles)
    order = np.argsort(ti, kind="stable")
    ti, bi = ti[order], bi[order]
    starts = np.searchsorted(ti, np.arange(len(tiles) + 1))
    for k in np.flatnonzero(touch.any(axis=0)):
        b = bi[starts[k]:starts[k + 1]]
        if len(b) == 0:
            continue
        sub = bufs[b]
        bb = shapely.bounds(sub)
        rect = x0 + tile_m * (k % nx), y0 + tile_m * (k // nx)
        cross = ((bb[:, 0] < rect[0]) | (bb[:, 1] < rect[1]) | (bb[:, 2] > rect[0] + tile_m)
                 | (bb[:, 3] > rect[1] + tile_m))
        if cross.any():
            sub = sub.copy()
            sub[cross] = shapely.clip_by_rect(sub[cross], *rect, rect[0] + tile_m,
                                              rect[1] + tile_m)
        try:
            piece = shapely.union_all(sub)
        except shapely.errors.GEOSException:  # clip_by_rect output is not always valid
            piece = shapely.union_all(shapely.intersection(bufs[b], tiles[k]))
        if shapely.is_empty(piece):
            continue
        piece_area = shapely.area(piece)
        js = np.flatnonzero(touch[:, k])
        full = inside[js, k]
        out[js[full]] += piece_area
        edge = js[~full]
        if len(edge):
            out[edge] += shapely.area(shapely.intersection(polys[edge], piece))
    return out


def score_table(prep: Prepared, sums: pd.DataFrame, effect: dict[tuple[int, int], np.ndarray],
                 zmax: pd.Series, types_present: list[int], *, do_effect: bool
                 ) -> pd.DataFrame:
    """Score table from per-(zone, type_code) sums (index), effect areas and zone widths.

    Shared by the in-memory path and the Dask engine (:mod:`camigeo._dask_conflict`).
    """
    n_reg = len(prep.region_geoms)
    nz = len(prep.zone_geoms)
    zone_col = np.repeat(np.arange(nz), len(types_present))
    type_col = np.tile(np.asarray(types_present), nz)
    reg = prep.zone_region[zone_col]

    def pick(z: np.ndarray, col: str) -> np.ndarray:
        idx = pd.MultiIndex.from_arrays([z, type_col])
        return sums[col].reindex(idx).fillna(0).to_numpy()

    length = pick(zone_col + n_reg, "length_km")
    wlen = pick(zone_col + n_reg, "weighted_length_km")
    nfeat = pick(zone_col + n_reg, "n_features").astype(np.int64)
    area = prep.zone_area_km2[zone_col]
    pos_in_region = np.zeros(nz, dtype=np.int64)
    for r in range(n_reg):
        members = np.flatnonzero(prep.zone_region == r)
        pos_in_region[members] = np.arange(1, len(members) + 1)
    if do_effect:
        ez = np.asarray([effect[(int(r), int(t))][pos_in_region[z]]
                         if (int(r), int(t)) in effect else 0.0
                         for z, r, t in zip(zone_col, reg, type_col, strict=True)], dtype=float)
    else:
        ez = np.full(len(zone_col), np.nan)
    df = pd.DataFrame({
        "ptcr_id": prep.region_ids[reg],
        "ptcr_name": prep.region_names[reg].astype(str),
        "sci_name": prep.species_ids[prep.zone_species[zone_col]].astype(str),
        "infra_type": np.asarray(INFRA_TYPES, dtype=object)[type_col].astype(str),
        "area_km2": area,
        "length_km": length,
        "weighted_length_km": wlen,
        "density_km_per_1000km2": 1000.0 * length / area,
        "weighted_density_km_per_1000km2": 1000.0 * wlen / area,
        "effect_zone_m": zmax.reindex(type_col).to_numpy(dtype=float),
        "effect_zone_km2": ez,
        "effect_zone_share": np.clip(ez / area, 0.0, 1.0),
        "n_features": nfeat,
        "region_area_km2": prep.region_area_km2[reg],
        "region_length_km": pick(reg, "length_km"),
        "region_weighted_length_km": pick(reg, "weighted_length_km"),
    })
    if pd.api.types.is_object_dtype(df["ptcr_id"]):
        df["ptcr_id"] = df["ptcr_id"].infer_objects()
    return df.sort_values(["ptcr_id", "sci_name", "infra_type"], ignore_index=True)


def empty_scores() -> pd.DataFrame:
    dtypes = {"ptcr_id": "int64", "ptcr_name": "str", "sci_name": "str", "infra_type": "str",
              "n_features": "int64"}
    return pd.DataFrame({c: pd.Series([], dtype=dtypes.get(c, "float64"))
                         for c in SCORE_COLUMNS})


def species_weight_vector(species_weights: Mapping[str, float] | None,
                     sci_names: Iterable[str]) -> dict[str, float]:
    """Check species weights: numbers >= 0; warn about names absent from the data."""
    sw = dict(species_weights or {})
    bad = {k: v for k, v in sw.items()
           if not isinstance(v, int | float | np.number) or not float(v) >= 0}
    if bad:
        raise SchemaError(f"species_weights has values that are not numbers >= 0: {bad!r}. "
                          f"Give a weight >= 0 per sci_name (missing species count 1).")
    unknown = sorted(set(map(str, sw)) - set(map(str, sci_names)))
    if unknown:
        warnings.warn(f"species_weights names {unknown} that do not occur in the data "
                      f"(weight ignored); check the spelling against the sci_name column.",
                      CamigeoWarning, stacklevel=3)
    return {str(k): float(v) for k, v in sw.items()}
