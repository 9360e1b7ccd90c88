"""One call for the CLI / Atlas: BaBA events, barrier ranking and passage hotspots."""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd

from ..io.crs import require_crs
from .baba import classify_encounters
from .crossings import find_crossings
from .hotspots import crossing_hotspots, recommend_passages
from .ranking import barrier_permeability, rank_barriers
from .tracks import prepare_tracks

__all__ = ["run_telemetry"]

logger = logging.getLogger(__name__)


def run_telemetry(tracks: Any, barriers: Any, *, d: float, id_col: str | None = None,
                  time_col: str | None = None, barrier_id_col: str | None = None,
                  interval: float | None = None, b_time: float = 4, p_time: float = 36,
                  w: float = 168, tolerance: float = 0, units: str = "hours",
                  max_cross: int = 0, sd_multiplier: float = 1,
                  exclude_buffer: bool = False, min_total_enc: int = 0,
                  bin_km: float = 1.0, top_k: int = 10,
                  confidence: float = 0.95) -> dict[str, gpd.GeoDataFrame]:
    """Run the telemetry step and return the Atlas layers.

    Geographic inputs (e.g. :func:`camigeo.read_movebank` output and the bundled
    infrastructure, both EPSG:4326) are projected to the UTM zone of the tracks for the
    analysis; tracks in another CRS than the barriers are projected to the barriers' CRS
    when that is metric. Output layers are in the barriers' input CRS.

    Parameters
    ----------
    tracks : GeoDataFrame or movingpandas.TrajectoryCollection
        GPS fixes.
    barriers : GeoDataFrame
        Barrier lines (e.g. the infrastructure layer, filtered to fences/railways).
    d : float
        BaBA buffer distance, metres.
    id_col, time_col, barrier_id_col : str, optional
        Column names (see :func:`classify_encounters`, :func:`find_crossings`).
    interval, b_time, p_time, w, tolerance, units, max_cross, sd_multiplier, exclude_buffer
        Passed to :func:`classify_encounters`.
    min_total_enc : int
        Passed to :func:`rank_barriers`.
    bin_km, top_k : float, int
        Passed to :func:`crossing_hotspots` / :func:`recommend_passages`.
    confidence : float
        Passed to :func:`barrier_permeability`.

    Returns
    -------
    dict of str to GeoDataFrame
        ``barrier_events``: the BaBA classification (one row per encounter event);
        ``barrier_ranking``: the barriers (sorted by ``rank``, features without an index
        last; the input index is kept) with BaBA's counts and index plus
        ``n_encounters, n_crossed, permeability, ci_low, ci_high`` and a suggested
        ``fence_class`` (named ``fence_class_telemetry`` when the barriers already have a
        ``fence_class`` column); ``passage_hotspots``: the top-k segments of
        :func:`recommend_passages`.
    """
    gdf, id_col, time_col = prepare_tracks(tracks, id_col=id_col, time_col=time_col)
    out_crs = require_crs(barriers, name="barriers")
    require_crs(gdf, name="tracks")
    if out_crs.is_geographic:
        work_crs = gdf.to_crs("EPSG:4326").estimate_utm_crs()
        logger.info("projecting tracks and barriers to %s for the analysis", work_crs.name)
        bar = barriers.to_crs(work_crs)
    else:
        work_crs, bar = out_crs, barriers
    trk = gdf if gdf.crs.equals(work_crs) else gdf.to_crs(work_crs)
    res = classify_encounters(trk, bar, d=d, interval=interval, b_time=b_time, p_time=p_time,
                              w=w, tolerance=tolerance, units=units, max_cross=max_cross,
                              sd_multiplier=sd_multiplier, exclude_buffer=exclude_buffer,
                              id_col=id_col, time_col=time_col)
    ranking = rank_barriers(res, bar, d=d, min_total_enc=min_total_enc,
                            barrier_id_col=barrier_id_col)
    perm = barrier_permeability(res, bar, d=d, confidence=confidence,
                                barrier_id_col=barrier_id_col)
    cls_col = "fence_class_telemetry" if "fence_class" in ranking.columns else "fence_class"
    for col in ("n_encounters", "n_crossed", "permeability", "ci_low", "ci_high"):
        ranking[col] = perm[col].to_numpy()
    ranking[cls_col] = perm["fence_class"].to_numpy()
    # the Atlas layer lists the worst barriers first (features without an index last)
    ranking = ranking.sort_values(["rank", "total_enc"], ascending=[True, False],
                                  na_position="last", kind="stable")
    crossings = find_crossings(trk, bar, id_col=id_col, time_col=time_col,
                               barrier_id_col=barrier_id_col)
    hotspots = crossing_hotspots([res, crossings], bar, bin_km=bin_km,
                                 barrier_id_col=barrier_id_col)
    passages = recommend_passages(hotspots, top_k=top_k)
    layers = {"barrier_events": res.classification, "barrier_ranking": ranking,
              "passage_hotspots": passages}
    return {k: (v if v.crs.equals(out_crs) else v.to_crs(out_crs)) for k, v in layers.items()}
