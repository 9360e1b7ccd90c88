"""Barrier Behaviour Analysis (BaBA; Xu et al. 2021) of GPS fixes against barrier lines.

A port of the method of the R package BaBA (wx-ecology/BaBA, v2.x) written from its
published description; it classifies every *encounter event* (a run of fixes within ``d``
metres of a barrier) as Quick_Cross, Bounce, Average_Movement, Back_n_forth, Trace,
Trapped or unknown. The result has BaBA's columns and burst-id scheme. Deliberate
departures from the R code on inputs that make it fail are listed in ``docs/telemetry.md``.

References
----------
Xu, W., Dejid, N., Herrmann, V., Sawyer, H. & Middleton, A. D. (2021). Barrier Behaviour
Analysis (BaBA) reveals extensive effects of fencing on wide-ranging ungulates. Journal of
Applied Ecology 58(4), 690-698. doi:10.1111/1365-2664.13806
"""

from __future__ import annotations

import logging
import math
import warnings
from typing import Any, NamedTuple, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import CamigeoWarning, ValidationError
from ._common import BarrierIndex, check_crs, paths_from_ranges, prepare_barriers
from .tracks import TrackArrays, interval_modes, prepare_tracks, unit_seconds

__all__ = ["classify_encounters", "EncounterResult", "EVENT_TYPES", "NON_CROSSING_TYPES"]

logger = logging.getLogger(__name__)

#: The seven BaBA classes, in BaBA's order.
EVENT_TYPES = ("Quick_Cross", "Bounce", "Average_Movement", "Back_n_forth", "Trace",
               "Trapped", "unknown")
#: Classes that count as "reached the barrier but did not cross" (BaBA ranking numerator).
NON_CROSSING_TYPES = ("Bounce", "Back_n_forth", "Trace", "Trapped")


class EncounterResult(NamedTuple):
    """Output of :func:`classify_encounters` (unpacks as ``classification, encounters``)."""

    #: One row per encounter event with BaBA's columns, Point geometry at the first fix.
    classification: gpd.GeoDataFrame
    #: The first fix of each event: animal id, ``burstID``, time, ``x``, ``y``, ``eventTYPE``.
    encounters: gpd.GeoDataFrame


def _r_number(x: float) -> str:
    """Format a double like R's ``as.character`` (15 significant digits, fixed or sci)."""
    if x == 0:
        return "0"
    ref = float(f"{x:.14e}")
    nsig = 15
    for n in range(1, 16):
        if float(f"{x:.{n - 1}e}") == ref:
            nsig = n
            break
    sci = f"{ref:.{nsig - 1}e}"
    exp = int(sci.split("e")[1])
    fixed = f"{ref:.{max(0, nsig - 1 - exp)}f}"
    return fixed if len(fixed) <= len(sci) else sci


def _is_multiple(value: float, interval: float) -> bool:
    q = value / interval
    return abs(q - round(q)) < 1e-9


def _check_params(d: float, interval: float, b_time: float, p_time: float, w: float,
                  tolerance: float, max_cross: int, sd_multiplier: float) -> None:
    problems = []
    for name, val in (("d", d), ("w", w), ("sd_multiplier", sd_multiplier)):
        if not (isinstance(val, int | float) and math.isfinite(val) and val > 0):
            problems.append(f"{name} must be a positive number; got {val!r}")
    if not (math.isfinite(tolerance) and tolerance >= 0):
        problems.append(f"tolerance must be >= 0; got {tolerance!r}")
    if not (isinstance(max_cross, int | np.integer) and max_cross >= 0):
        problems.append(f"max_cross must be a non-negative integer; got {max_cross!r}")
    if not (math.isfinite(interval) and interval > 0):
        problems.append(f"interval must be a positive number; got {interval!r}")
    elif not problems:
        if b_time < interval:
            problems.append(f"b_time ({b_time}) must be at least the fix interval ({interval})")
        for name, val in (("b_time", b_time), ("p_time", p_time)):
            if not _is_multiple(val, interval):
                problems.append(
                    f"{name} ({val}) must be a multiple of the fix interval ({interval}); "
                    f"e.g. {name}={math.ceil(val / interval) * interval:g}")
        if p_time < b_time:
            problems.append(f"p_time ({p_time}) must not be shorter than b_time ({b_time})")
    if problems:
        raise ValidationError(problems, source="classify_encounters")


def _interval(arr: TrackArrays, unit_s: float, units: str) -> float:
    modes, share = interval_modes(arr, unit_s)
    if not modes:
        raise ValidationError(["no animal has two fixes, so no fix interval can be found"],
                              source="tracks")
    if len(set(modes.values())) > 1:
        listing = ", ".join(f"{k}: {v:g}" for k, v in modes.items())
        raise ValidationError(
            [f"the animals have different modal fix intervals ({listing} {units}); BaBA "
             f"needs one. Pass interval=<value in {units}> or analyse the groups separately"],
            source="tracks")
    irregular = {k: v for k, v in share.items() if v < 0.5}
    if irregular:
        listing = ", ".join(f"{k}: {v:.0%}" for k, v in irregular.items())
        warnings.warn(
            f"irregular fix schedule: the modal interval ({next(iter(modes.values())):g} "
            f"{units}) covers fewer than half of the steps ({listing}). Check the data or pass "
            f"interval= explicitly.", CamigeoWarning, stacklevel=3)
    return next(iter(modes.values()))


def _window_stats(arr: TrackArrays, idx: np.ndarray, interval_ns: float, k_steps: int,
                  unit_ns: float, interval: float) -> np.ndarray:
    """Straightness of every window of ``k_steps`` regular steps among fixes ``idx``."""
    if len(idx) <= k_steps:
        return np.empty(0)
    x, y, t = arr.x[idx], arr.y[idx], arr.t[idx]
    regular = np.round(np.diff(t) / unit_ns - interval, 1) == 0
    run = np.concatenate(([0], np.cumsum(~regular)))
    step = np.hypot(np.diff(x), np.diff(y))
    cum = np.concatenate(([0.0], np.cumsum(step)))
    s = np.arange(len(idx) - k_steps)
    s = s[run[s] == run[s + k_steps]]
    path = cum[s + k_steps] - cum[s]
    euc = np.hypot(x[s + k_steps] - x[s], y[s + k_steps] - y[s])
    with np.errstate(invalid="ignore", divide="ignore"):
        val = euc / path
    return val[path > 0]


def classify_encounters(
    tracks: Any,
    barriers: Any,
    *,
    d: float,
    interval: float | None = None,
    b_time: float = 4,
    p_time: float = 36,
    w: float = 168,
    tolerance: float = 0,
    units: str = "hours",
    max_cross: int = 0,
    sd_multiplier: float = 1,
    exclude_buffer: bool = False,
    id_col: str | None = None,
    time_col: str | None = None,
    quad_segs: int = 5,
    track_ends: str = "baba",
    cross_count: str = "distinct",
) -> EncounterResult:
    """Classify barrier encounter events with the BaBA method (Xu et al. 2021).

    Parameters
    ----------
    tracks : GeoDataFrame or movingpandas.TrajectoryCollection
        GPS fixes (Point) in a projected CRS in metres, the same CRS as ``barriers``.
    barriers : GeoDataFrame
        Barrier (Multi)LineStrings.
    d : float
        Buffer distance around the barriers, metres. A fix within ``d`` is an encounter fix.
    interval : float, optional
        Fix interval in ``units``; by default the modal step of each animal (ties go to
        the smaller step), which must agree between animals.
    b_time, p_time, w, tolerance : float
        BaBA's time parameters in ``units``: maximum duration of a short event (bounce or
        quick cross), minimum duration of a trapped event (longer than ``p_time``), width
        of the moving window for the animal's usual straightness (``w/2`` either side),
        and the longest gap (beyond one interval) over which two encounter fixes are
        joined, fetching the fixes in between.
    units : str
        Time unit: "secs", "mins", "hours", "days" or "weeks".
    max_cross : int
        Most crossings a Trace or Back_n_forth event may contain (more: unknown).
    sd_multiplier : float
        Width of the "average movement" band in standard deviations.
    exclude_buffer : bool
        Leave the animal's encounter fixes out of the moving-window straightness.
    id_col, time_col : str, optional
        Animal id and time columns (default ``individual_id``/``timestamp`` or an alias).
    quad_segs : int
        Segments per quarter circle of the buffer polygons (5 as in BaBA).
    track_ends : {"baba", "unknown"}
        Short events at the start or end of an animal's track have no fix before (after)
        them. ``"baba"`` (default) does what the R package does: it numbers fixes across
        the whole data set, so such an event is unknown only at the very first fix of the
        first animal or the last fix of the last animal; elsewhere its crossing line simply
        starts (ends) at the event. ``"unknown"`` labels every such event unknown, for every
        animal (the rule as BaBA's documentation states it).
    cross_count : {"distinct", "per_feature"}
        How crossings are counted: distinct intersection points of the path with all
        barriers (default; a step through a vertex shared by two fence features is one
        crossing), or distinct points per feature, summed (as BaBA's R code: such a step
        counts twice).

    Returns
    -------
    EncounterResult
        ``classification``: GeoDataFrame with BaBA's columns ``AnimalID, burstID,
        easting, northing, start_time_utc, end_time_utc, duration_<units>, cross, str_i,
        str_mean, str_sd, eventTYPE`` (Point geometry = first fix); ``encounters``: first
        fix of each event. Parameters are stored in ``classification.attrs["baba"]``.

    Raises
    ------
    CRSError
        Tracks and barriers differ in CRS, or the CRS is not metric.
    ValidationError
        Duplicate timestamps, animals with different intervals, or time parameters that
        are not multiples of the interval.
    """
    gdf, id_col, time_col = prepare_tracks(tracks, id_col=id_col, time_col=time_col)
    barriers, _info = prepare_barriers(barriers)
    check_crs(gdf, barriers, metric=True)
    unit_s = unit_seconds(units)
    arr = TrackArrays.from_gdf(gdf, id_col, time_col)
    if interval is None:
        interval = _interval(arr, unit_s, units)
    if track_ends not in ("baba", "unknown"):
        raise ValidationError([f"track_ends must be 'baba' or 'unknown'; got {track_ends!r}"],
                              source="classify_encounters")
    if cross_count not in ("distinct", "per_feature"):
        raise ValidationError([f"cross_count must be 'distinct' or 'per_feature'; got "
                               f"{cross_count!r}"], source="classify_encounters")
    per_feature = cross_count == "per_feature"
    _check_params(d, float(interval), b_time, p_time, w, tolerance, max_cross, sd_multiplier)
    unit_ns = unit_s * 1e9

    # 1. encounter fixes: inside the union of the d-buffers (boundary counts)
    index = BarrierIndex(barriers.geometry.values)
    hit, _ = index.within(gdf.geometry.values, d, quad_segs=quad_segs)
    inbuf = np.zeros(len(arr.t), dtype=bool)
    inbuf[hit] = True

    # 2. bursts: a gap of more than one interval between encounter fixes starts an event
    e = np.flatnonzero(inbuf)
    ecode = arr.code[e]
    first_of_animal = np.ones(len(e), dtype=bool)
    first_of_animal[1:] = ecode[1:] != ecode[:-1]
    gap = np.full(len(e), float(interval))
    gap[1:] = np.diff(arr.t[e]) / unit_ns
    gap[first_of_animal] = interval
    excess = np.round(gap - interval, 1)
    if tolerance > 0:
        joined = (excess >= interval) & (excess <= tolerance) & ~first_of_animal
        excess[joined] = 0.0
    # deliberate departure: a gap shorter than the interval continues the event
    # (R's cumsum would step back and could reuse an earlier burst id)
    excess = np.maximum(excess, 0.0)
    burstnum = np.empty(len(e))
    a_first = np.flatnonzero(first_of_animal)
    for a0, a1 in zip(a_first, np.append(a_first[1:], len(e))[:len(a_first)], strict=True):
        burstnum[a0:a1] = np.cumsum(excess[a0:a1])  # per animal, as R's cumsum
    new = first_of_animal | (excess > 0)
    starts = np.flatnonzero(new)
    ends = (np.append(starts[1:], len(e)) - 1)[:len(starts)]
    first, last = e[starts], e[ends]
    code = arr.code[first]
    n_ev = len(first)
    animal = arr.animals[code]
    burst = np.array([f"{a}_{_r_number(b)}" for a, b in zip(animal, burstnum[starts],
                                                             strict=True)], dtype=object)
    duration = (arr.t[last] - arr.t[first]) / unit_ns

    # 3. straightness of the event's own path (all fixes from first to last)
    multi = last > first
    own = paths_from_ranges(arr.x, arr.y, first[multi], last[multi])
    str_i = np.full(n_ev, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        euc = np.hypot(arr.x[last] - arr.x[first], arr.y[last] - arr.y[first])[multi]
        length = shapely.length(own)
        str_i[multi] = np.where(length > 0, euc / length, np.nan)

    # 4. crossings: short events use one fix before to one after; long ones their own path
    short = duration <= b_time
    if track_ends == "baba":
        has_before, has_after = first > 0, last < len(arr.t) - 1
    else:
        has_before, has_after = first > arr.start[code], last < arr.stop[code] - 1
    ext_first = np.maximum(first - 1, arr.start[code])
    ext_last = np.minimum(last + 1, arr.stop[code] - 1)
    # an animal with a single fix has no line at all: unknown
    short_ok = short & has_before & has_after & (ext_last > ext_first)
    cross = np.full(n_ev, -1, dtype=np.int64)
    ext = paths_from_ranges(arr.x, arr.y, ext_first[short_ok], ext_last[short_ok])
    p, _, _ = index.hits(ext, per_feature=per_feature)
    cross[short_ok] = np.bincount(p, minlength=len(ext))
    long_ = ~short
    own_long = paths_from_ranges(arr.x, arr.y, first[long_], last[long_])
    p, _, _ = index.hits(own_long, per_feature=per_feature)
    cross[long_] = np.bincount(p, minlength=len(own_long))

    etype = np.full(n_ev, "unknown", dtype=object)
    etype[short_ok] = np.where(cross[short_ok] > 0, "Quick_Cross", "Bounce")
    etype[long_ & (duration > p_time)] = "Trapped"
    str_mean = np.full(n_ev, np.nan)
    str_sd = np.full(n_ev, np.nan)
    mid = np.flatnonzero(long_ & (duration <= p_time))
    in_event: np.ndarray = np.zeros(len(arr.t) + 1, dtype=np.int64)
    np.add.at(in_event, first, 1)
    np.add.at(in_event, last + 1, -1)
    in_event = np.cumsum(in_event[:-1]) > 0
    half_ns = np.int64(round(w / 2 * unit_ns))  # integer ns: exact window edges
    min_windows = (w / interval + 1) / 4
    for k in mid:
        a = code[k]
        s0, s1 = arr.start[a], arr.stop[a]
        tt = arr.t[s0:s1]
        lo = np.searchsorted(tt, arr.t[first[k]] - half_ns, side="left")
        hi = np.searchsorted(tt, arr.t[last[k]] + half_ns, side="right")
        idx = np.arange(s0 + lo, s0 + hi)
        if exclude_buffer:
            idx = idx[~in_event[idx]]
        k_steps = max(1, int(math.floor(duration[k] / interval + 1e-9)))
        vals = _window_stats(arr, idx, interval * unit_ns, k_steps, unit_ns, interval)
        if len(vals) < min_windows or len(vals) < 2 or np.isnan(str_i[k]):
            continue  # stays unknown
        m, s = float(np.mean(vals)), float(np.std(vals, ddof=1))
        str_mean[k], str_sd[k] = m, s
        lower, upper = m - sd_multiplier * s, m + sd_multiplier * s
        if str_i[k] < lower:
            etype[k] = "Back_n_forth" if cross[k] <= max_cross else "unknown"
        elif str_i[k] > upper:
            etype[k] = "Trace" if cross[k] <= max_cross else "unknown"
        else:
            etype[k] = "Average_Movement"

    crs = gdf.crs
    start_time = pd.to_datetime(arr.t[first], utc=True)
    end_time = pd.to_datetime(arr.t[last], utc=True)
    geom = shapely.points(arr.x[first], arr.y[first])
    classification = gpd.GeoDataFrame({
        "AnimalID": pd.array(animal, dtype="str"),
        "burstID": pd.array(burst, dtype="str"),
        "easting": arr.x[first],
        "northing": arr.y[first],
        "start_time_utc": start_time,
        "end_time_utc": end_time,
        f"duration_{units}": duration,
        "cross": pd.array(np.where(cross < 0, cast(Any, None), cross), dtype="Int64"),
        "str_i": str_i,
        "str_mean": str_mean,
        "str_sd": str_sd,
        "eventTYPE": pd.array(etype, dtype="str"),
    }, geometry=gpd.GeoSeries(geom, crs=crs))
    params = dict(d=d, interval=float(interval), b_time=b_time, p_time=p_time, w=w,
                  tolerance=tolerance, units=units, max_cross=max_cross,
                  sd_multiplier=sd_multiplier, exclude_buffer=exclude_buffer,
                  quad_segs=quad_segs, track_ends=track_ends,
                  cross_count=cross_count)
    classification.attrs["baba"] = params
    encounters = gpd.GeoDataFrame({
        id_col: pd.array(animal, dtype="str"),
        "burstID": pd.array(burst, dtype="str"),
        time_col: start_time,
        "x": arr.x[first],
        "y": arr.y[first],
        "eventTYPE": pd.array(etype, dtype="str"),
    }, geometry=gpd.GeoSeries(geom, crs=crs))
    encounters.attrs["baba"] = params
    missing = sorted(set(arr.animals) - set(animal))
    if missing:
        logger.info("%d animal(s) never came within d=%g m of a barrier: %s",
                    len(missing), d, ", ".join(missing[:10]))
    logger.info("BaBA: %d events (%s)", n_ev,
                ", ".join(f"{t}={int((etype == t).sum())}" for t in EVENT_TYPES))
    return EncounterResult(classification, encounters)

