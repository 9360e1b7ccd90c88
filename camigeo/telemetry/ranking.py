"""BaBA fence ranking and per-feature permeability (crossing share with a confidence interval)."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import stats

from .._errors import SchemaError, ValidationError
from ..io.crs import match_crs, require_projected
from ._common import BarrierIndex, prepare_barriers
from .baba import EVENT_TYPES, NON_CROSSING_TYPES, EncounterResult

__all__ = ["rank_barriers", "barrier_permeability", "proportion_interval",
           "DEFAULT_CLASS_BREAKS", "events_near_barriers"]

logger = logging.getLogger(__name__)

#: Upper bounds of the crossing share (crossed encounters / encounters) for each suggested
#: ``fence_class``; a share at or above the last bound is ``open``. ASSUMPTION: placed
#: between the permeability values of docs/domain_methods.md §4.4 (border fence 0,
#: livestock fence 0.2, wildlife-friendly fence 0.7, no barrier 1).
DEFAULT_CLASS_BREAKS: dict[str, float] = {"impermeable": 0.1, "low": 0.35, "medium": 0.6,
                                          "high": 0.85}


def _events_table(events: Any) -> gpd.GeoDataFrame:
    if isinstance(events, EncounterResult):
        events = events.classification
    if not isinstance(events, pd.DataFrame) or "eventTYPE" not in events.columns:
        raise SchemaError(
            "events must be the output of classify_encounters (or its .classification "
            "table with 'eventTYPE'); got "
            + (f"columns {list(events.columns)}" if isinstance(events, pd.DataFrame)
               else type(events).__name__)
            + ". A crossings table (find_crossings) has no non-crossing encounters, so it "
              "gives neither a ranking nor the denominator of a permeability: run "
              "classify_encounters(tracks, barriers, d=...) and pass its result.")
    if not isinstance(events, gpd.GeoDataFrame):
        events = gpd.GeoDataFrame(events, geometry=gpd.points_from_xy(
            events["easting"], events["northing"]), crs=None)
    return events


def events_near_barriers(events: gpd.GeoDataFrame, barriers: gpd.GeoDataFrame, d: float,
                         *, quad_segs: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (event row, barrier row) where the event's first fix is within ``d`` metres.

    As BaBA's ``BaRanking``: each barrier feature is buffered by ``d`` (GEOS, 30
    segments per quarter circle as sf's default) and the event start points inside a
    buffer (boundary included) are joined to it; one event can count for several
    features.
    """
    if events.crs is not None:
        match_crs(("events", events), ("barriers", barriers))
    require_projected(barriers, name="barriers")
    index = BarrierIndex(barriers.geometry.values)
    return index.within(events.geometry.values, d, quad_segs=quad_segs)


def _d_from(events: Any, d: float | None) -> float:
    if d is not None:
        return float(d)
    table = events.classification if isinstance(events, EncounterResult) else events
    params = getattr(table, "attrs", {}).get("baba")
    if not params:
        raise ValidationError(["d (metres) is needed: the events carry no BaBA parameters. "
                               "Pass d= as used in classify_encounters"], source="d")
    return float(params["d"])


def rank_barriers(events: Any, barriers: Any, *, d: float, min_total_enc: int = 0,
                  barrier_id_col: str | None = None) -> gpd.GeoDataFrame:
    """Rank barrier features by BaBA's barrier index (``BaRanking``).

    For each feature, count the events whose first fix lies within ``d`` metres (one
    event can count for several features), per class; ``total_enc`` is their number and
    ``unique_ind`` the number of distinct animals. The index is ``((Bounce +
    Back_n_forth + Trace + Trapped) / total_enc) * unique_ind``, computed for features
    with ``total_enc >= min_total_enc`` (and at least one encounter), then min-max
    rescaled to 0-1 over those features. It is relative to the study.

    Parameters
    ----------
    events : EncounterResult or GeoDataFrame
        Output of :func:`classify_encounters` (or its ``classification``).
    barriers : GeoDataFrame
        The barrier features used for the classification (projected CRS, metres).
    d : float
        Join distance, metres (BaBA uses the classification's ``d``).
    min_total_enc : int
        Features with fewer encounters get no index.
    barrier_id_col : str, optional
        Barrier id column (default ``infra_id``, else the row index).

    Returns
    -------
    GeoDataFrame
        A copy of ``barriers`` with ``barrier_id``, one count column per class
        (``Quick_Cross`` ... ``unknown``), ``total_enc``, ``unique_ind``, ``index_raw``
        (the unscaled index), ``index`` (0-1; NaN where not computed, and NaN for all
        when every computed value is equal, as min-max scaling is 0/0 then) and ``rank``
        (1 = highest index), in the input row order.
    """
    ev = _events_table(events)
    barriers, info = prepare_barriers(barriers, barrier_id_col=barrier_id_col)
    if not (isinstance(d, int | float) and math.isfinite(d) and d > 0):
        raise ValidationError([f"d must be a positive number of metres; got {d!r}"], source="d")
    ei, bi = events_near_barriers(ev, barriers, d)
    n = len(barriers)
    out = barriers.copy()
    out["barrier_id"] = info["barrier_id"].to_numpy()
    etype = ev["eventTYPE"].to_numpy(dtype=str)[ei]
    for t in EVENT_TYPES:
        out[t] = np.bincount(bi[etype == t], minlength=n)
    out["total_enc"] = np.bincount(bi, minlength=n)
    pairs = pd.DataFrame({"b": bi, "a": ev["AnimalID"].to_numpy(dtype=str)[ei]})
    uniq = pairs.drop_duplicates().groupby("b").size()
    out["unique_ind"] = np.zeros(n, dtype=np.int64)
    out.iloc[uniq.index.to_numpy(), out.columns.get_loc("unique_ind")] = uniq.to_numpy()
    total = out["total_enc"].to_numpy()
    ok = (total >= min_total_enc) & (total > 0)
    nonx = sum(out[t].to_numpy() for t in NON_CROSSING_TYPES)
    raw = np.full(n, np.nan)
    raw[ok] = nonx[ok] / total[ok] * out["unique_ind"].to_numpy()[ok]
    out["index_raw"] = raw
    idx = np.full(n, np.nan)
    if ok.any():
        lo, hi = np.nanmin(raw), np.nanmax(raw)
        if hi > lo:
            idx[ok] = (raw[ok] - lo) / (hi - lo)
    out["index"] = idx
    out["rank"] = pd.array(pd.Series(idx).rank(ascending=False, method="min"), dtype="Int64")
    return out


def proportion_interval(k: np.ndarray, n: np.ndarray, *, confidence: float = 0.95,
                        method: str = "wilson") -> tuple[np.ndarray, np.ndarray]:
    """Two-sided confidence interval for binomial proportions ``k/n`` (vectorised).

    Parameters
    ----------
    k, n : array-like of int
        Successes and trials (``n = 0`` gives NaN).
    confidence : float
        Confidence level, e.g. 0.95.
    method : {"wilson", "clopper-pearson"}
        Wilson score interval, or the exact Clopper-Pearson interval.

    Returns
    -------
    (ndarray, ndarray)
        Lower and upper bounds.
    """
    if not 0 < confidence < 1:
        raise ValidationError([f"confidence must be between 0 and 1; got {confidence!r}"],
                              source="confidence")
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    alpha = 1 - confidence
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "wilson":
            z = stats.norm.ppf(1 - alpha / 2)
            p = k / n
            denom = 1 + z**2 / n
            centre = (p + z**2 / (2 * n)) / denom
            half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
            lo, hi = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
            lo, hi = np.where(k == 0, 0.0, lo), np.where(k == n, 1.0, hi)  # exact ends
        elif method == "clopper-pearson":
            lo = np.where(k > 0, stats.beta.ppf(alpha / 2, k, n - k + 1), 0.0)
            hi = np.where(k < n, stats.beta.ppf(1 - alpha / 2, k + 1, n - k), 1.0)
        else:
            raise ValidationError([f"method must be 'wilson' or 'clopper-pearson'; got "
                                   f"{method!r}"], source="method")
    bad = n <= 0
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def _classes(share: np.ndarray, n: np.ndarray, breaks: Mapping[str, float],
             min_encounters: int) -> np.ndarray:
    names = list(breaks)
    bounds = np.array([breaks[k] for k in names], dtype=float)
    if np.any(np.diff(bounds) <= 0):
        raise ValidationError([f"class_breaks must increase; got {dict(breaks)}"],
                              source="class_breaks")
    labels = np.array([*names, "open"], dtype=object)
    cls = labels[np.searchsorted(bounds, np.nan_to_num(share), side="right")]
    cls[(n < min_encounters) | (n == 0)] = "unknown"
    return cls


def barrier_permeability(events: Any, barriers: Any, *, d: float | None = None,
                         confidence: float = 0.95, method: str = "wilson",
                         min_encounters: int = 5,
                         class_breaks: Mapping[str, float] | None = None,
                         barrier_id_col: str | None = None) -> gpd.GeoDataFrame:
    """Crossing share per barrier feature with a confidence interval and a fence class.

    An *encounter* of feature f is a BaBA event whose first fix lies within ``d`` of f
    (as in :func:`rank_barriers`); it *crossed* when its ``cross`` count is above 0
    (Quick_Cross, or a longer event that crossed). Events with an unknown crossing count
    (short events at the ends of the data) are left out. ASSUMPTION: a crossing of any
    barrier during the event is credited to every feature within ``d`` of its start.

    Parameters
    ----------
    events : EncounterResult or GeoDataFrame
        Output of :func:`classify_encounters`. A crossings table alone cannot be used: it
        has no encounters that did not cross.
    barriers : GeoDataFrame
        Barrier features (projected CRS, metres).
    d : float, optional
        Join distance in metres; default: the ``d`` of the classification.
    confidence : float
        Confidence level of the interval.
    method : {"wilson", "clopper-pearson"}
        Interval method.
    min_encounters : int
        Features with fewer encounters get ``fence_class = "unknown"``.
    class_breaks : mapping, optional
        Class name -> upper bound of the crossing share (default
        :data:`DEFAULT_CLASS_BREAKS`); shares at or above the last bound are ``open``.
    barrier_id_col : str, optional
        Barrier id column.

    Returns
    -------
    GeoDataFrame
        A copy of ``barriers`` with ``barrier_id``, ``n_encounters``, ``n_crossed``,
        ``permeability`` (n_crossed / n_encounters), ``ci_low``, ``ci_high`` and
        ``fence_class`` (one of the schema values impermeable, low, medium, high, open,
        unknown) - usable as ``fence_class`` of the infrastructure layer or to set
        resistance in the corridor module.
    """
    ev = _events_table(events)
    dist = _d_from(events, d)
    barriers, info = prepare_barriers(barriers, barrier_id_col=barrier_id_col)
    ei, bi = events_near_barriers(ev, barriers, dist)
    cross = pd.array(ev["cross"], dtype="Int64")
    known = ~np.asarray(cross.isna())[ei]
    crossed = np.asarray(cross.fillna(0), dtype=np.int64)[ei] > 0
    nb = len(barriers)
    n = np.bincount(bi[known], minlength=nb)
    k = np.bincount(bi[known & crossed], minlength=nb)
    lo, hi = proportion_interval(k, n, confidence=confidence, method=method)
    out = barriers.copy()
    out["barrier_id"] = info["barrier_id"].to_numpy()
    out["n_encounters"] = n
    out["n_crossed"] = k
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(n > 0, k / np.maximum(n, 1), np.nan)
    out["permeability"] = share
    out["ci_low"] = lo
    out["ci_high"] = hi
    out["fence_class"] = _classes(share, n, class_breaks or DEFAULT_CLASS_BREAKS,
                                  min_encounters)
    return out
