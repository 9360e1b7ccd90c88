"""Barrier segments binned along their length: where animals cross, and where they fail to.

:func:`crossing_hotspots` cuts every barrier part into bins of ``bin_km`` and counts
crossing points (from :func:`find_crossings`) and BaBA encounter events by class (from
:func:`classify_encounters`) per bin. :func:`recommend_passages` picks the bins where
animals most often reach the barrier without crossing - candidates for passages or fence
modification (CAMI Work Programme 21.4: redesign fences "along identified hotspots derived
from GPS tracking data").
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import SchemaError, ValidationError
from ..io.crs import local_metric_crs, match_crs
from ._common import BarrierIndex, prepare_barriers
from .baba import EncounterResult

__all__ = ["crossing_hotspots", "recommend_passages", "HOTSPOT_COUNTS"]

logger = logging.getLogger(__name__)

#: Count columns of :func:`crossing_hotspots`. ``n_crossings``: crossing points of
#: :func:`find_crossings`; the others: BaBA events by class (event start point snapped to
#: the nearest barrier bin); ``n_not_crossed`` = Bounce + Back_n_forth + Trace + Trapped.
HOTSPOT_COUNTS = ("n_crossings", "n_quick_cross", "n_bounce", "n_average_movement",
                  "n_back_n_forth", "n_trace", "n_trapped", "n_unknown", "n_encounters",
                  "n_not_crossed")
_CLASS_COLS = {"Quick_Cross": "n_quick_cross", "Bounce": "n_bounce",
               "Average_Movement": "n_average_movement", "Back_n_forth": "n_back_n_forth",
               "Trace": "n_trace", "Trapped": "n_trapped", "unknown": "n_unknown"}


def _split(data: Any) -> list[tuple[str, gpd.GeoDataFrame]]:
    items = data if isinstance(data, Sequence) and not isinstance(data, pd.DataFrame) \
        and not isinstance(data, EncounterResult) else [data]
    out = []
    for item in items:
        if isinstance(item, EncounterResult):
            item = item.classification
        if isinstance(item, gpd.GeoDataFrame) and "eventTYPE" in item.columns:
            out.append(("events", item))
        elif isinstance(item, gpd.GeoDataFrame) and "crossing_time" in item.columns:
            out.append(("crossings", item))
        else:
            cols = list(item.columns) if isinstance(item, pd.DataFrame) else type(item).__name__
            raise SchemaError(
                f"events_or_crossings must be classify_encounters output (with 'eventTYPE') "
                f"or find_crossings output (with 'crossing_time'), or a list of both; got "
                f"{cols}.")
    return out


def _bins(index: BarrierIndex, info: pd.DataFrame, bin_m: float, crs: Any
          ) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    """Cut every part into bins of ``bin_m`` (vectorised; no per-bin Python loop)."""
    parts, feat = index.parts, index.part_feature
    coords, vpart = shapely.get_coordinates(parts, return_index=True)
    nv = np.bincount(vpart, minlength=len(parts))
    vstart = np.concatenate(([0], np.cumsum(nv)[:-1]))
    seg = np.hypot(np.diff(coords[:, 0]), np.diff(coords[:, 1]))
    seg = np.where(vpart[1:] == vpart[:-1], seg, 0.0)
    cum = np.concatenate(([0.0], np.cumsum(seg)))
    s_local = cum - cum[vstart[vpart]]
    length = s_local[vstart + nv - 1]
    nbin = np.maximum(1, np.ceil(length / bin_m - 1e-9).astype(np.int64))
    first_bin = np.concatenate(([0], np.cumsum(nbin)[:-1]))
    # vertices (a vertex exactly on a bin boundary is replaced by the boundary points)
    k_v = np.minimum(np.floor(s_local / bin_m).astype(np.int64), nbin[vpart] - 1)
    on_edge = (s_local == k_v * bin_m) & (k_v > 0)
    keep = ~on_edge
    # interior boundaries k * bin_m, k = 1 .. nbin-1, interpolated along the part
    bpart = np.repeat(np.arange(len(parts)), nbin - 1)
    bk = np.arange(len(bpart)) - np.repeat(np.concatenate(([0], np.cumsum(nbin - 1)[:-1])),
                                           nbin - 1) + 1
    pos = cum[vstart[bpart]] + bk * bin_m
    seg_i = np.searchsorted(cum, pos, side="right") - 1
    seg_i = np.clip(seg_i, vstart[bpart], vstart[bpart] + nv[bpart] - 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(seg[seg_i] > 0, (pos - cum[seg_i]) / seg[seg_i], 0.0)
    bxy = coords[seg_i] + frac[:, None] * (coords[seg_i + 1] - coords[seg_i])
    gbin = np.concatenate([first_bin[vpart[keep]] + k_v[keep],
                           first_bin[bpart] + bk - 1, first_bin[bpart] + bk])
    sval = np.concatenate([s_local[keep], bk * bin_m, bk * bin_m])
    xy = np.concatenate([coords[keep], bxy, bxy])
    order = np.lexsort((sval, gbin))
    lines = shapely.linestrings(xy[order], indices=gbin[order])
    part_of = np.repeat(np.arange(len(parts)), nbin)
    k = np.arange(int(nbin.sum())) - first_bin[part_of]
    start = k * bin_m
    stop = np.minimum((k + 1) * bin_m, length[part_of])
    part_no = np.arange(len(parts)) - np.searchsorted(feat, feat)  # parts come in order
    f = feat[part_of]
    bins = gpd.GeoDataFrame({
        "barrier_id": info["barrier_id"].to_numpy()[f],
        "barrier_type": info["barrier_type"].to_numpy()[f],
        "barrier_name": info["barrier_name"].to_numpy()[f],
        "part": part_no[part_of],
        "bin": k,
        "from_km": start / 1000.0,
        "to_km": stop / 1000.0,
        "length_km": (stop - start) / 1000.0,
    }, geometry=gpd.GeoSeries(lines, crs=crs))
    return bins, first_bin, nbin


def crossing_hotspots(events_or_crossings: Any, barriers: Any, *, bin_km: float = 1.0,
                      max_distance_m: float | None = None,
                      barrier_id_col: str | None = None) -> gpd.GeoDataFrame:
    """Bin barrier lines along their length and count crossings and failed encounters.

    Parameters
    ----------
    events_or_crossings : EncounterResult, GeoDataFrame, or a list of them
        :func:`classify_encounters` output (each event counted once, at the bin nearest
        to its first fix), :func:`find_crossings` output (each crossing point in the bin
        it lies on), or a list with both.
    barriers : GeoDataFrame
        Barrier (Multi)LineStrings in the CRS of the data. Bins are measured in metres of
        that CRS when it is projected; a geographic CRS is first projected to a local
        azimuthal equidistant CRS (:func:`camigeo.crs.local_metric_crs`).
    bin_km : float
        Bin length, km. Each part of a feature is cut from its start; the last bin of a
        part is shorter.
    max_distance_m : float, optional
        Ignore events farther than this from every barrier (default: no limit; BaBA
        events are within ``d`` by construction).
    barrier_id_col : str, optional
        Barrier id column (default ``infra_id``, else the row index).

    Returns
    -------
    GeoDataFrame
        One row per bin: ``barrier_id, barrier_type, barrier_name, part, bin, from_km,
        to_km, length_km``, the counts :data:`HOTSPOT_COUNTS`, ``n_animals`` (distinct
        animals with an event or crossing in the bin) and the bin's LineString (in the
        barriers' CRS).
    """
    if not (isinstance(bin_km, int | float) and math.isfinite(bin_km) and bin_km > 0):
        raise ValidationError([f"bin_km must be a positive number; got {bin_km!r}"],
                              source="bin_km")
    tables = _split(events_or_crossings)
    barriers, info = prepare_barriers(barriers, barrier_id_col=barrier_id_col)
    for name, table in tables:
        match_crs((name, table), ("barriers", barriers))
    work = barriers
    if barriers.crs.is_geographic:
        metric = local_metric_crs(barriers)
        work = barriers.to_crs(metric)
        tables = [(n, t.to_crs(metric)) for n, t in tables]
    bin_m = bin_km * 1000.0
    from ..io.guards import check_alloc

    n_bins = float(np.sum(np.ceil(work.geometry.length.to_numpy() / bin_m) + 1))
    check_alloc(n_bins * 400.0, what=f"crossing_hotspots(bin_km={bin_km:g}) on "
                f"{work.geometry.length.sum() / 1000:,.0f} km of barriers ({n_bins:,.0f} bins)",
                fix="Use a larger bin_km (bins of 0.1-1 km match GPS fix spacing).")
    index = BarrierIndex(work.geometry.values)
    bins, first_bin, nbin = _bins(index, info, bin_m, work.crs)
    counts = {c: np.zeros(len(bins), dtype=np.int64) for c in HOTSPOT_COUNTS}
    who: list[pd.DataFrame] = []
    for name, table in tables:
        pi, part, along = index.locate(table.geometry.values,
                                       max_distance=max_distance_m if name == "events" else None)
        b = first_bin[part] + np.minimum(np.floor(along / bin_m).astype(np.int64),
                                         nbin[part] - 1)
        if name == "crossings":
            counts["n_crossings"] += np.bincount(b, minlength=len(bins))
            animals = table["individual_id"].to_numpy(dtype=str)[pi]
        else:
            etype = table["eventTYPE"].to_numpy(dtype=str)[pi]
            for t, col in _CLASS_COLS.items():
                counts[col] += np.bincount(b[etype == t], minlength=len(bins))
            counts["n_encounters"] += np.bincount(b, minlength=len(bins))
            animals = table["AnimalID"].to_numpy(dtype=str)[pi]
        who.append(pd.DataFrame({"bin": b, "animal": animals}))
    counts["n_not_crossed"] = (counts["n_bounce"] + counts["n_back_n_forth"]
                               + counts["n_trace"] + counts["n_trapped"])
    for c in HOTSPOT_COUNTS:
        bins[c] = counts[c]
    n_animals = np.zeros(len(bins), dtype=np.int64)
    if who:
        per = pd.concat(who).drop_duplicates().groupby("bin").size()
        n_animals[per.index.to_numpy()] = per.to_numpy()
    bins["n_animals"] = n_animals
    if work is not barriers:
        bins = bins.to_crs(barriers.crs)
    return bins


def recommend_passages(hotspots_or_data: Any, barriers: Any | None = None, *,
                       top_k: int = 10, min_not_crossed: int = 1,
                       max_crossing_share: float | None = None, bin_km: float = 1.0,
                       barrier_id_col: str | None = None) -> gpd.GeoDataFrame:
    """Top-k barrier segments where animals reach the barrier but do not cross.

    Bins are ranked by ``n_not_crossed`` (Bounce + Back_n_forth + Trace + Trapped
    events), then by ``n_animals`` (more animals first), then by the number of crossings
    in the bin (fewer first). These are the candidate sites for passages or for fence
    modification.

    Parameters
    ----------
    hotspots_or_data : GeoDataFrame or EncounterResult or list
        Output of :func:`crossing_hotspots`, or what it accepts (then ``barriers`` is
        needed and the bins are computed with ``bin_km``).
    barriers : GeoDataFrame, optional
        Barrier lines, when ``hotspots_or_data`` is not yet binned.
    top_k : int
        Number of segments to return.
    min_not_crossed : int
        Bins with fewer non-crossing events are never recommended.
    max_crossing_share : float, optional
        Leave out bins where animals cross at least this often (e.g. 0.5 keeps only bins
        where most encounters fail); default: no limit.
    bin_km : float
        Bin length (km) when binning here.
    barrier_id_col : str, optional
        Barrier id column when binning here.

    Returns
    -------
    GeoDataFrame
        Up to ``top_k`` rows: ``rank`` (1 = first), ``barrier_id``, ``barrier_type``,
        ``barrier_name``, ``part``, ``bin``, ``from_km``, ``to_km``, ``length_km``,
        ``n_not_crossed``, ``n_bounce``, ``n_back_n_forth``, ``n_trace``, ``n_trapped``,
        ``n_crossed`` (crossing points + Quick_Cross events), ``n_encounters``,
        ``n_animals``, ``crossing_share`` (n_crossed / (n_crossed + n_not_crossed)) and
        the segment LineString.
    """
    if not (isinstance(top_k, int | np.integer) and top_k > 0):
        raise ValidationError([f"top_k must be a positive integer; got {top_k!r}"],
                              source="top_k")
    hs = hotspots_or_data
    if not (isinstance(hs, gpd.GeoDataFrame) and "n_not_crossed" in hs.columns):
        if barriers is None:
            raise ValidationError(["barriers are needed to bin events or crossings; pass "
                                   "recommend_passages(events, barriers) or the output of "
                                   "crossing_hotspots"], source="barriers")
        hs = crossing_hotspots(hs, barriers, bin_km=bin_km, barrier_id_col=barrier_id_col)
    hs = hs.copy()
    hs["n_crossed"] = hs["n_crossings"] + hs["n_quick_cross"]
    denom = hs["n_crossed"] + hs["n_not_crossed"]
    hs["crossing_share"] = np.where(denom > 0, hs["n_crossed"] / denom.where(denom > 0, 1),
                                    np.nan)
    keep = hs["n_not_crossed"] >= max(min_not_crossed, 1)
    if max_crossing_share is not None:
        keep &= hs["crossing_share"] < max_crossing_share
    cand = hs[keep]
    cand = cand.sort_values(["n_not_crossed", "n_animals", "n_crossed"],
                            ascending=[False, False, True], kind="stable").head(top_k)
    cand = cand.reset_index(drop=True)
    cand.insert(0, "rank", np.arange(1, len(cand) + 1))
    cols = ["rank", "barrier_id", "barrier_type", "barrier_name", "part", "bin", "from_km",
            "to_km", "length_km", "n_not_crossed", "n_bounce", "n_back_n_forth", "n_trace",
            "n_trapped", "n_crossed", "n_encounters", "n_animals", "crossing_share",
            "geometry"]
    return gpd.GeoDataFrame(cand[cols], geometry="geometry", crs=hs.crs)
