"""Conflict scoring on Dask: infrastructure partitions scored in parallel, areas broadcast.

The single-machine path (:func:`camigeo.conflict.score_conflict`) clips chunks of lines
against every region ∩ range zone with the pure kernel :func:`camigeo.conflict._score_chunk`
and sums the chunk tables. Here each partition of a ``dask_geopandas.GeoDataFrame`` of
infrastructure (spatially partitioned, Hilbert order, so a partition touches few zones) is
one task running the same per-chunk steps:

1. ``_prepare_lines`` (status filter, weights, geodesic length, type code) on the partition,
2. ``_score_chunk`` against the zones (prepared once on the client, broadcast),
3. for the effect zones, the union of the buffered lines per (region, type), clipped to the
   region's bounding box grown by 1 km (small), using the same local azimuthal-equidistant
   CRS as the in-memory path.

The client sums the per-(zone, type) tables (same numbers as the in-memory chunk sums up to
floating-point summation order), unions the effect-zone pieces per (region, type) and
builds the table with the same columns, order and dtypes as ``score_conflict``.

Memory: a worker holds one partition (plus its clipped pieces) and the broadcast zones;
the client holds only the zone polygons and the small sum tables.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .._errors import SchemaError
from ..io.crs import CENTRAL_ASIA_EQUAL_AREA, local_metric_crs
from ..scale import check_scheduler, partition_spatially, register_twins, scatter_once
from . import weights as W

__all__ = ["score_conflict_dask", "partition_scores", "zone_sums_dask"]

log = logging.getLogger(__name__)


def _conflict():  # the shared kernels (and weights) of the in-memory path
    from . import kernels

    return kernels


def partition_scores(
    part: gpd.GeoDataFrame,
    *,
    zones: np.ndarray,
    status: tuple[str, ...] | None,
    weights: Mapping[Any, float] | None,
    effect_zones_m: Mapping[Any, float] | None,
    effect_ctx: list[tuple[str, Any, Any]] | None,
    chunk_size: int = 200_000,
    crs: Any = None,
) -> tuple[pd.DataFrame, dict[tuple[int, int], Any], pd.Series]:
    """Score one partition of infrastructure (pure, runs on a worker).

    Parameters
    ----------
    part : GeoDataFrame
        One partition of the infrastructure layer.
    zones : ndarray of shapely polygons
        Regions then region ∩ range zones, in the partition's CRS.
    status, weights, effect_zones_m
        As in :func:`camigeo.conflict.score_conflict`.
    effect_ctx : list of (local CRS WKT, region in that CRS, search area in the lines' CRS)
        One entry per region; None skips the effect zones.
    chunk_size : int
        Lines per ``_score_chunk`` call.
    crs : CRS-like, optional
        Working CRS of the lines and ``zones`` (default: the partition's own CRS).

    Returns
    -------
    (sums, effect_pieces, zone_max)
        Per-(zone, type_code) sums; per-(region, type_code) union of the buffered lines
        clipped to the region's box (local CRS); widest effect zone per type code (metres).
    """
    C = _conflict()
    lines, crs = C.prepare_lines(part, status=status, weights=weights,
                                  effect_zones_m=effect_zones_m, crs=crs)
    geoms = lines["geometry"].to_numpy()
    km = lines["length_km"].to_numpy()
    tc = lines["type_code"].to_numpy()
    w = lines["weight"].to_numpy()
    parts = [C.score_chunk(geoms[i:i + chunk_size], km[i:i + chunk_size],
                            tc[i:i + chunk_size], w[i:i + chunk_size], zones, crs=crs)
             for i in range(0, len(lines), chunk_size)]
    sums = (C.sum_chunks(parts) if parts else
            C.score_chunk(geoms[:0], km[:0], tc[:0], w[:0], zones, crs=crs))
    zmax = lines.groupby("type_code")["effect_zone_m"].max()
    pieces: dict[tuple[int, int], Any] = {}
    if effect_ctx is not None:
        pieces = _effect_pieces(lines, crs, effect_ctx)
    return sums, pieces, zmax


def _effect_pieces(lines: pd.DataFrame, crs: CRS, effect_ctx: list[tuple[str, Any, Any]]
                   ) -> dict[tuple[int, int], Any]:
    """Union of the buffered lines per (region, type), clipped to the region's box.

    Same selection, projection and buffering as ``camigeo.conflict._effect_areas`` (one
    implementation: ``camigeo.conflict._EffectLines``); the clip to the region's bounding
    box (+1 km) only drops parts that can never intersect the region's zones.
    """
    out: dict[tuple[int, int], Any] = {}
    eff = _conflict().EffectLines.of(lines)
    if eff is None:
        return out
    for r, (local_wkt, region_local, near) in enumerate(effect_ctx):
        x0, y0, x1, y1 = shapely.bounds(region_local)
        box = (x0 - 1000.0, y0 - 1000.0, x1 + 1000.0, y1 + 1000.0)
        idx = eff.tree.query(near, predicate="intersects")
        if len(idx) == 0:
            continue
        for t, bufs in eff.buffers(idx, crs, CRS.from_wkt(local_wkt)):
            # clip to the region's box grown by 1 km: far smaller pieces to ship, and no cut
            # along the region boundary (a cut there changes areas by ~1e-7 relative)
            clipped = shapely.clip_by_rect(shapely.union_all(bufs), *box)
            if not shapely.is_empty(clipped):
                out[(r, t)] = clipped
    return out


def _effect_context(prep: Any, crs: CRS, margin_m: float) -> tuple[list[Any], list[Any]]:
    """Per region: (local CRS WKT, region in it, search area in ``crs``) and local polys."""
    C = _conflict()
    ctx, polys_all = [], []
    for r, rgeom in enumerate(prep.region_geoms):
        near = C.zones_to(np.asarray([shapely.buffer(rgeom, margin_m, quad_segs=2)]), crs)[0]
        local = local_metric_crs(gpd.GeoSeries([rgeom], crs=CENTRAL_ASIA_EQUAL_AREA))
        zone_idx = np.flatnonzero(prep.zone_region == r)
        polys = gpd.GeoSeries(np.concatenate([[rgeom], prep.zone_geoms[zone_idx]]),
                              crs=CENTRAL_ASIA_EQUAL_AREA).to_crs(local).to_numpy()
        ctx.append((CRS.from_user_input(local).to_wkt(), polys[0], near))
        polys_all.append(polys)
    return ctx, polys_all


def _check_meta(infra: Any, *, status: tuple[str, ...] | None, weights: Any,
                effect_zones_m: Any) -> CRS:
    """Validate columns and options on the empty meta frame, before any task runs."""
    C = _conflict()
    meta = infra._meta if hasattr(infra, "_meta") else infra.iloc[:0]
    if not isinstance(meta, gpd.GeoDataFrame):
        raise SchemaError(f"infrastructure must be a GeoDataFrame or a "
                          f"dask_geopandas.GeoDataFrame; got {type(infra).__name__}.")
    _, crs = C.prepare_lines(meta, status=status, weights=weights,
                              effect_zones_m=effect_zones_m)
    W.feature_weights(pd.DataFrame({"infra_type": ["road"]}), weights=weights,
                      effect_zones_m=effect_zones_m)
    return crs


def score_conflict_dask(
    ptcrs: gpd.GeoDataFrame,
    ranges: gpd.GeoDataFrame,
    infrastructure: Any,
    *,
    weights: Mapping[Any, float] | None = None,
    effect_zones_m: Mapping[Any, float] | bool | None = None,
    status: Iterable[str] | None = ("existing",),
    scheduler: Any = None,
    npartitions: int | None = None,
    chunk_size: int = 200_000,
) -> pd.DataFrame:
    """:func:`camigeo.score_conflict` with the infrastructure scored partition by partition.

    Parameters
    ----------
    ptcrs, ranges : GeoDataFrame
        As for ``score_conflict`` (small: prepared on the client and broadcast).
    infrastructure : GeoDataFrame or dask_geopandas.GeoDataFrame
        A plain GeoDataFrame is partitioned spatially first (Hilbert curve,
        :func:`camigeo.scale.partition_spatially`).
    weights, effect_zones_m, status, chunk_size
        As for ``score_conflict``.
    scheduler : None, "synchronous", "threads", "processes", "client" or Client
        Where the partitions run (:func:`camigeo.scale.check_scheduler`); None uses Dask's
        default (the active client if any, else threads).
    npartitions : int, optional
        Partitions for a plain GeoDataFrame (default: about 100,000 lines each, at least 2).

    Returns
    -------
    pandas.DataFrame
        Same table as :func:`camigeo.score_conflict` (columns
        :data:`camigeo.conflict.SCORE_COLUMNS`); sums equal up to floating-point order.
    """
    C = _conflict()
    sched = check_scheduler(scheduler)
    status_t = None if status is None else tuple(status)
    do_effect = effect_zones_m is not False
    zmap = effect_zones_m if isinstance(effect_zones_m, Mapping) else None
    prep = C.prepare_areas(ptcrs, ranges)
    crs = _check_meta(infrastructure, status=status_t, weights=weights, effect_zones_m=zmap)
    if not hasattr(infrastructure, "npartitions"):
        n = len(infrastructure)
        npart = npartitions or max(2, -(-n // 100_000))
        infrastructure = partition_spatially(infrastructure, npartitions=npart)
    if len(prep.zone_geoms) == 0:
        return C.empty_scores()
    zones = C.zones_to(np.concatenate([prep.region_geoms, prep.zone_geoms]), crs)
    ctx = polys = None
    if do_effect:
        widest = max([*W.EFFECT_ZONE_M.values(), *(zmap or {}).values()])
        # search margin as in the in-memory path: 1.1 x the widest zone (Albers scale)
        ctx, polys = _effect_context(prep, crs, 1.1 * float(widest))
    import dask

    delayed_parts = infrastructure.to_delayed()
    task = dask.delayed(partition_scores, pure=True)
    z_d = dask.delayed(zones, pure=True)
    c_d = dask.delayed(ctx, pure=True)
    if sched is not None and not isinstance(sched, str):
        # a Client: scatter the zones once to every worker instead of per task
        z_d = scatter_once(sched, zones)
        c_d = scatter_once(sched, ctx)
    tasks = [task(p, zones=z_d, status=status_t, weights=weights, effect_zones_m=zmap,
                  effect_ctx=c_d, chunk_size=chunk_size) for p in delayed_parts]
    kw = {} if sched is None else ({"scheduler": sched} if isinstance(sched, str)
                                   else {"scheduler": sched.get})
    log.info("scoring %d infrastructure partitions on %s", len(tasks), sched or "default")
    results = dask.compute(*tasks, **kw)
    return _assemble(prep, results, do_effect=do_effect, polys=polys)


def _assemble(prep: Any, results: Iterable[tuple[pd.DataFrame, dict, pd.Series]], *,
              do_effect: bool, polys: list[Any] | None) -> pd.DataFrame:
    """Score table from the partition results (``conflict._score_table`` builds it)."""
    C = _conflict()
    results = list(results)
    sums = pd.concat([r[0] for r in results], ignore_index=True)
    sums = sums.groupby(["zone", "type_code"], as_index=False).sum()
    zmax_all = pd.concat([r[2] for r in results])
    types_present = sorted({int(t) for t in zmax_all.index})
    if not types_present:
        return C.empty_scores()
    zmax = zmax_all.groupby(level=0).max()
    sums = sums.set_index(["zone", "type_code"])
    effect: dict[tuple[int, int], np.ndarray] = {}
    if do_effect and polys is not None:
        keys = sorted({k for r in results for k in r[1]})
        for key in keys:
            buf = shapely.union_all([r[1][key] for r in results if key in r[1]])
            effect[key] = shapely.area(shapely.intersection(polys[key[0]], buf)) / 1e6
    return C.score_table(prep, sums, effect, zmax, types_present, do_effect=do_effect)


def zone_sums_dask(
    infrastructure: Any,
    zones: np.ndarray,
    *,
    status: Iterable[str] | None = ("existing",),
    weights: Mapping[Any, float] | None = None,
    crs: Any = None,
    scheduler: Any = None,
    npartitions: int | None = None,
) -> pd.DataFrame:
    """Per-(zone, type) sums of line length over partitions (e.g. the hotspot grid cells).

    Parameters
    ----------
    infrastructure : GeoDataFrame or dask_geopandas.GeoDataFrame
    zones : ndarray of shapely polygons
        In ``crs``.
    status, weights
        As for :func:`camigeo.score_conflict`.
    crs : CRS-like, optional
        Working CRS (default: the lines' own).
    scheduler, npartitions
        As for :func:`score_conflict_dask`.

    Returns
    -------
    pandas.DataFrame
        Columns ``zone``, ``type_code``, ``length_km``, ``weighted_length_km``,
        ``n_features`` (non-zero rows), as ``camigeo.conflict._score_chunk``.
    """
    import dask

    C = _conflict()
    sched = check_scheduler(scheduler)
    status_t = None if status is None else tuple(status)
    _check_meta(infrastructure, status=status_t, weights=weights, effect_zones_m=None)
    if not hasattr(infrastructure, "npartitions"):
        npart = npartitions or max(2, -(-len(infrastructure) // 100_000))
        infrastructure = partition_spatially(infrastructure, npartitions=npart)
    z_d: Any = dask.delayed(zones, pure=True)
    if sched is not None and not isinstance(sched, str):
        z_d = scatter_once(sched, zones)
    task = dask.delayed(partition_scores, pure=True)
    tasks = [task(p, zones=z_d, status=status_t, weights=weights, effect_zones_m=None,
                  effect_ctx=None, crs=crs) for p in infrastructure.to_delayed()]
    kw = {} if sched is None else ({"scheduler": sched} if isinstance(sched, str)
                                   else {"scheduler": sched.get})
    results = dask.compute(*tasks, **kw)
    parts = [r[0] for r in results]
    return C.sum_chunks(parts)


register_twins("barriers", score_conflict_dask, zone_sums_dask)
