"""Every step of a GPS track that crosses a barrier line, and summaries of them."""

from __future__ import annotations

import logging
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import SchemaError
from ._common import BarrierIndex, check_crs, prepare_barriers
from .tracks import TrackArrays, prepare_tracks

__all__ = ["find_crossings", "crossing_summary", "CROSSING_COLUMNS"]

logger = logging.getLogger(__name__)

#: Columns of :func:`find_crossings` (plus ``geometry``, the crossing point).
CROSSING_COLUMNS = ("individual_id", "step", "time_before", "time_after", "crossing_time",
                    "barrier_id", "barrier_type", "barrier_name", "step_length_m")


def find_crossings(tracks: Any, barriers: Any, *, id_col: str | None = None,
                   time_col: str | None = None,
                   barrier_id_col: str | None = None) -> gpd.GeoDataFrame:
    """Find every step (straight line between consecutive fixes) that crosses a barrier.

    Vectorised: all steps become one array of LineStrings, which is queried against an
    STRtree of the barriers and intersected pairwise in GEOS (no Python loop over steps).

    Parameters
    ----------
    tracks : GeoDataFrame or movingpandas.TrajectoryCollection
        GPS fixes (see :func:`camigeo.telemetry.prepare_tracks`).
    barriers : GeoDataFrame
        Barrier (Multi)LineStrings in the same CRS as ``tracks`` (geographic CRSs are
        allowed here: only intersections and fractions along a step are computed).
    id_col, time_col : str, optional
        Animal id and time columns of ``tracks``.
    barrier_id_col : str, optional
        Barrier id column; default ``infra_id`` if present, else the row index.
        ``barrier_type`` / ``barrier_name`` are taken from ``infra_type`` / ``name``.

    Returns
    -------
    GeoDataFrame
        One row per crossing point: ``individual_id``, ``step`` (0-based number of the
        fix that starts the step, per animal), ``time_before`` / ``time_after`` (the two
        fix times, UTC), ``crossing_time`` (interpolated linearly by distance along the
        step, to the second), ``barrier_id``, ``barrier_type``, ``barrier_name``, ``step_length_m``
        (metres: geodesic for a geographic CRS, planar for a projected one, in CRS
        units when the CRS is unknown) and the crossing Point. A step that
        crosses two barriers, or one barrier twice, gives several rows. A point shared by
        two barrier features (a shared vertex) is one crossing, attributed to the first
        of those features. Steps of zero length never cross. Sorted by animal and time.

    Raises
    ------
    CRSError
        Tracks and barriers are in different CRSs.
    """
    gdf, id_col, time_col = prepare_tracks(tracks, id_col=id_col, time_col=time_col)
    barriers, info = prepare_barriers(barriers, barrier_id_col=barrier_id_col)
    check_crs(gdf, barriers, metric=False)
    arr = TrackArrays.from_gdf(gdf, id_col, time_col)
    index = BarrierIndex(barriers.geometry.values)
    i0 = np.flatnonzero(arr.same_animal_next())
    n_steps = len(i0)
    # numpy pre-filter on step bounding boxes: build geometries only for steps near a barrier
    x0, x1, y0, y1 = arr.x[i0], arr.x[i0 + 1], arr.y[i0], arr.y[i0 + 1]
    i0 = i0[index.maybe_near(np.minimum(x0, x1), np.minimum(y0, y1), np.maximum(x0, x1),
                             np.maximum(y0, y1))]
    coords = np.stack([np.column_stack([arr.x[i0], arr.y[i0]]),
                       np.column_stack([arr.x[i0 + 1], arr.y[i0 + 1]])], axis=1)
    steps = shapely.linestrings(coords) if len(i0) else np.empty(0, dtype=object)
    p, b, xy = index.hits(steps)
    pts = shapely.points(xy) if len(p) else np.empty(0, dtype=object)
    frac = shapely.line_locate_point(steps[p], pts, normalized=True) if len(p) else np.empty(0)
    fix = i0[p]
    t_before, t_after = arr.t[fix], arr.t[fix + 1]
    # interpolated to the nearest second
    t_cross = t_before + (np.round(frac * (t_after - t_before) / 1e9) * 1e9).astype(np.int64)
    out = gpd.GeoDataFrame({
        "individual_id": pd.array(arr.animals[arr.code[fix]], dtype="str"),
        "step": fix - arr.start[arr.code[fix]],
        "time_before": pd.to_datetime(t_before, utc=True),
        "time_after": pd.to_datetime(t_after, utc=True),
        "crossing_time": pd.to_datetime(t_cross, utc=True),
        "barrier_id": info["barrier_id"].to_numpy()[b],
        "barrier_type": info["barrier_type"].to_numpy()[b],
        "barrier_name": info["barrier_name"].to_numpy()[b],
        "step_length_m": _length_m(steps[p], gdf.crs) if len(p) else np.empty(0),
    }, geometry=gpd.GeoSeries(pts, crs=gdf.crs))
    out = out.sort_values(["individual_id", "crossing_time"], kind="stable")
    logger.info("%d crossings on %d of %d steps", len(out), len(np.unique(p)), n_steps)
    return out.reset_index(drop=True)


def _length_m(lines: np.ndarray, crs: Any) -> np.ndarray:
    """Step lengths in metres: geodesic for a geographic CRS, else planar x CRS unit."""
    if crs is not None and crs.is_geographic:
        from ..io.crs import geodesic_length_km

        return geodesic_length_km(gpd.GeoSeries(lines, crs=crs)) * 1000.0
    factor = 1.0
    if crs is not None and crs.axis_info:
        factor = float(crs.axis_info[0].unit_conversion_factor or 1.0)
    return shapely.length(lines) * factor


def crossing_summary(crossings: gpd.GeoDataFrame, *,
                     by: Literal["barrier", "animal"] = "barrier") -> pd.DataFrame:
    """Count crossings per barrier feature or per animal.

    Parameters
    ----------
    crossings : GeoDataFrame
        Output of :func:`find_crossings`.
    by : {"barrier", "animal"}
        Grouping.

    Returns
    -------
    DataFrame
        ``by="barrier"``: ``barrier_id, barrier_type, barrier_name, n_crossings,
        n_animals, first_crossing, last_crossing``, most crossed first.
        ``by="animal"``: ``individual_id, n_crossings, n_barriers, first_crossing,
        last_crossing``.
    """
    missing = [c for c in ("individual_id", "barrier_id", "crossing_time")
               if c not in crossings.columns]
    if missing:
        raise SchemaError(f"crossings lacks columns {missing}; pass the output of "
                          f"find_crossings(tracks, barriers).")
    if by == "barrier":
        keys, other, n_other = ["barrier_id", "barrier_type", "barrier_name"], \
            "individual_id", "n_animals"
    elif by == "animal":
        keys, other, n_other = ["individual_id"], "barrier_id", "n_barriers"
    else:
        raise SchemaError(f"by must be 'barrier' or 'animal'; got {by!r}.")
    g = pd.DataFrame(crossings.drop(columns="geometry", errors="ignore")).groupby(
        keys, dropna=False, sort=False)
    out = g.agg(n_crossings=("crossing_time", "size"), **{n_other: (other, "nunique")},
                first_crossing=("crossing_time", "min"), last_crossing=("crossing_time", "max"))
    out = out.reset_index().sort_values(["n_crossings", keys[0]], ascending=[False, True],
                                        kind="stable")
    return out.reset_index(drop=True)
