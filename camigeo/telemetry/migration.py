"""Seasonal migration sequences: date windows per season or net squared displacement.

A *sequence* is one individual's fixes during one seasonal migration (Sawyer et al. 2009;
Migration Mapper). Two ways to cut them from a track:

**Date windows** (``seasons={"spring": ("03-15", "05-31"), ...}``): every fix whose UTC
date falls in the window of a year belongs to that season and year; a window whose end
is before its start (``("11-15", "01-31")``) runs into the next year and takes the year
of its start.

**Net squared displacement** (``seasons=None``; Bunnefeld et al. 2011 use NSD to tell
migrants from residents): ``D(t)`` is the distance of each fix from the individual's first
fix (km; NSD = D^2). The rule, with every threshold a parameter:

1. ``D`` is reduced to one value per UTC day (median) and smoothed by a centred rolling
   median of ``smooth_days``.
2. A day is *settled* when the smoothed ``D`` varies by at most ``settle_range_km``
   (max - min) over the centred window of ``settle_days``.
3. A *residence* is a run of settled days lasting at least ``min_residence_days``
   (shorter settled runs are stopovers and belong to the migration).
4. Between two consecutive residences the animal migrates when their median ``D`` differ
   by at least ``min_displacement_km`` and the gap lasts at most ``max_duration_days``.
   Each residence is first extended towards the other while the smoothed ``D`` stays
   within ``settle_range_km / 2`` of its level (the centred window ends it up to
   ``settle_days / 2`` early). The sequence runs from the last fix of the earlier
   residence to the first fix of the later one. It is called ``outbound`` when ``D``
   grows (away from the first fix) and ``return`` otherwise (rename with
   ``season_names=``, e.g. ``{"outbound": "spring"}`` for tracks that start on the
   winter range).

Steps longer than ``max_lag_min`` inside a sequence are not bridged by the Brownian bridge
(they split it into ``bursts``).
"""

from __future__ import annotations

import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from .._errors import SchemaError
from ..io.crs import require_crs
from ..io.guards import check_number
from .tracks import prepare_tracks

__all__ = ["SEQUENCE_COLUMNS", "migration_sequences", "sequence_fixes"]

#: Columns of the sequence table (besides the LineString geometry of the path).
SEQUENCE_COLUMNS = ("sequence_id", "individual_id", "season", "year", "start", "end",
                    "fixes", "distance_km", "duration_days", "bursts")

_GEOD = Geod(ellps="WGS84")
_MMDD = re.compile(r"^(\d{2})-(\d{2})$")


def _parse_seasons(seasons: Any) -> dict[str, tuple[tuple[int, int], tuple[int, int]]]:
    if not isinstance(seasons, dict) or not seasons:
        raise SchemaError(f"seasons must be a dict of name -> ('MM-DD', 'MM-DD'); got "
                          f"{seasons!r}. Example: {{'spring': ('03-15', '05-31')}}.")
    out = {}
    for name, win in seasons.items():
        try:
            a, b = win
            ma, mb = _MMDD.match(str(a)), _MMDD.match(str(b))
            if ma is None or mb is None:
                raise ValueError
            pa = (int(ma.group(1)), int(ma.group(2)))
            pb = (int(mb.group(1)), int(mb.group(2)))
            for m, d in (pa, pb):
                pd.Timestamp(year=2000, month=m, day=d)
        except (ValueError, TypeError):
            raise SchemaError(f"season {name!r}: window must be two 'MM-DD' strings such as "
                              f"('03-15', '05-31'); got {win!r}.") from None
        out[str(name)] = (pa, pb)
    return out


def _window_sequences(t: pd.DatetimeIndex, seasons: dict[str, Any]
                      ) -> list[tuple[str, int, np.ndarray]]:
    """(season, year, fix indices) for one individual's sorted times."""
    out = []
    years = range(int(t.year.min()) - 1, int(t.year.max()) + 1)
    key = t.month * 100 + t.day
    for name, ((m0, d0), (m1, d1)) in seasons.items():
        k0, k1 = m0 * 100 + d0, m1 * 100 + d1
        for year in years:
            if k0 <= k1:
                sel = (t.year == year) & (key >= k0) & (key <= k1)
            else:  # wraps into the next year
                sel = ((t.year == year) & (key >= k0)) | ((t.year == year + 1) & (key <= k1))
            idx = np.flatnonzero(sel)
            if len(idx):
                out.append((name, year, idx))
    return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Half-open index ranges of True runs."""
    d = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))


def _nsd_sequences(t: pd.DatetimeIndex, lon: np.ndarray, lat: np.ndarray, *,
                   smooth_days: int, settle_days: int, settle_range_km: float,
                   min_residence_days: int, min_displacement_km: float,
                   max_duration_days: float) -> list[tuple[str, int, np.ndarray]]:
    _, _, dist = _GEOD.inv(np.full(len(lon), lon[0]), np.full(len(lat), lat[0]), lon, lat)
    d_km = np.asarray(dist) / 1000.0
    day = t.normalize().tz_localize(None)
    daily = pd.Series(d_km).groupby(np.asarray(day)).median()
    full = pd.date_range(daily.index.min(), daily.index.max(), freq="D")
    daily = daily.reindex(full).interpolate(limit_area="inside")
    sm = daily.rolling(smooth_days, center=True, min_periods=1).median()
    rng = (sm.rolling(settle_days, center=True, min_periods=1).max()
           - sm.rolling(settle_days, center=True, min_periods=1).min())
    settled = (rng <= settle_range_km).to_numpy()
    res = [(a, b) for a, b in _runs(settled) if b - a >= min_residence_days]
    out = []
    days = np.asarray(day)
    for (a0, a1), (b0, b1) in zip(res[:-1], res[1:], strict=True):
        lev_a, lev_b = float(sm.iloc[a0:a1].median()), float(sm.iloc[b0:b1].median())
        if abs(lev_b - lev_a) < min_displacement_km:
            continue
        # the centred settle window ends a residence up to settle_days / 2 early: extend
        # each residence while D stays within settle_range_km / 2 of its level
        vals = sm.to_numpy()
        while a1 < b0 and abs(vals[a1] - lev_a) <= settle_range_km / 2:
            a1 += 1
        while b0 > a1 and abs(vals[b0 - 1] - lev_b) <= settle_range_km / 2:
            b0 -= 1
        last_a, first_b = full[a1 - 1], full[b0]
        i0 = np.flatnonzero(days <= last_a)
        i1 = np.flatnonzero(days >= first_b)
        if not len(i0) or not len(i1):
            continue
        lo, hi = int(i0[-1]), int(i1[0])
        if (t[hi] - t[lo]) / pd.Timedelta(days=1) > max_duration_days:
            continue
        season = "outbound" if lev_b > lev_a else "return"
        out.append((season, int(t[lo].year), np.arange(lo, hi + 1)))
    return out


def migration_sequences(tracks: Any, *, seasons: dict[str, tuple[str, str]] | None = None,
                        max_lag_min: float | None = None, min_fixes: int = 3,
                        smooth_days: int = 3, settle_days: int = 7,
                        settle_range_km: float = 10.0, min_residence_days: int = 14,
                        min_displacement_km: float = 20.0, max_duration_days: float = 90.0,
                        season_names: dict[str, str] | None = None,
                        id_col: str | None = None, time_col: str | None = None
                        ) -> gpd.GeoDataFrame:
    """Split tracks into seasonal migration sequences.

    Parameters
    ----------
    tracks : GeoDataFrame or movingpandas.TrajectoryCollection
        GPS fixes with a CRS (see :func:`prepare_tracks`).
    seasons : dict, optional
        Season name -> (``'MM-DD'``, ``'MM-DD'``) UTC date window (inclusive). Default:
        the net-squared-displacement rule of the module docstring.
    max_lag_min : float, optional
        Steps longer than this (minutes) split a sequence into bursts.
    min_fixes : int, default 3
        Sequences with fewer fixes are dropped.
    smooth_days, settle_days, settle_range_km, min_residence_days, min_displacement_km, \
max_duration_days
        Parameters of the NSD rule (days, km).
    season_names : dict, optional
        Rename seasons (NSD rule: ``outbound`` / ``return``).
    id_col, time_col : str, optional
        Column names.

    Returns
    -------
    GeoDataFrame
        One row per sequence with :data:`SEQUENCE_COLUMNS` (``distance_km``: geodesic
        path length; ``duration_days``; ``bursts``: pieces after splitting at
        ``max_lag_min``) and the path as a LineString, in the CRS of ``tracks``.
    """
    gdf, id_col, time_col = prepare_tracks(tracks, id_col=id_col, time_col=time_col)
    crs = require_crs(gdf, name="tracks")
    for name, val in (("min_fixes", min_fixes), ("smooth_days", smooth_days),
                      ("settle_days", settle_days), ("min_residence_days", min_residence_days)):
        if not isinstance(val, int | np.integer) or val < 1:
            raise SchemaError(f"{name} must be a positive integer; got {val!r}.")
    for name, num in (("settle_range_km", settle_range_km),
                      ("min_displacement_km", min_displacement_km),
                      ("max_duration_days", max_duration_days), ("max_lag_min", max_lag_min)):
        if num is not None:
            check_number(num, name=name, minimum=0.0, strict_min=True,
                         fix="Give a positive number (see the docstring for its unit).")
    parsed = _parse_seasons(seasons) if seasons is not None else None
    ll = gdf.geometry if crs.is_geographic and crs.equals("EPSG:4326") else \
        gdf.geometry.to_crs("EPSG:4326")
    lonlat = shapely.get_coordinates(ll.values)
    xy = shapely.get_coordinates(gdf.geometry.values)
    rows: list[dict[str, Any]] = []
    lines = []
    ids = gdf[id_col].to_numpy()
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    stops = np.r_[starts[1:], len(ids)]
    times = pd.DatetimeIndex(gdf[time_col]).as_unit("ns")
    for a0, a1 in zip(starts, stops, strict=True):
        t = times[a0:a1]
        if parsed is not None:
            found = _window_sequences(t, parsed)
        else:
            found = _nsd_sequences(t, lonlat[a0:a1, 0], lonlat[a0:a1, 1],
                                   smooth_days=smooth_days, settle_days=settle_days,
                                   settle_range_km=settle_range_km,
                                   min_residence_days=min_residence_days,
                                   min_displacement_km=min_displacement_km,
                                   max_duration_days=max_duration_days)
        for season, year, idx in found:
            if len(idx) < min_fixes:
                continue
            g = a0 + idx
            lag = np.diff(t[idx].asi8) / 60e9
            bursts = 1 + (int((lag > max_lag_min).sum()) if max_lag_min is not None else 0)
            _, _, seg = _GEOD.inv(lonlat[g[:-1], 0], lonlat[g[:-1], 1],
                                  lonlat[g[1:], 0], lonlat[g[1:], 1])
            name = (season_names or {}).get(season, season)
            rows.append({"individual_id": ids[a0], "season": name, "year": year,
                         "start": t[idx[0]], "end": t[idx[-1]], "fixes": len(idx),
                         "distance_km": float(np.sum(seg)) / 1000.0,
                         "duration_days": (t[idx[-1]] - t[idx[0]]) / pd.Timedelta(days=1),
                         "bursts": bursts})
            lines.append(shapely.linestrings(xy[g]))
    table = pd.DataFrame(rows, columns=[c for c in SEQUENCE_COLUMNS if c != "sequence_id"])
    table = table.sort_values(["individual_id", "start"], kind="stable").reset_index()
    order = table.pop("index").to_numpy()
    table.insert(0, "sequence_id", [f"{r.individual_id}_{r.season}_{r.year}_{k}" for k, r
                                    in enumerate(table.itertuples())])
    table["year"] = table["year"].astype("int64")
    table["fixes"] = table["fixes"].astype("int64")
    table["bursts"] = table["bursts"].astype("int64")
    geoms = np.asarray(lines, dtype=object)[order] if lines else np.empty(0, dtype=object)
    return gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)


def _utc_ns(value: Any) -> int:
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")
    return int(ts.as_unit("ns").value)


def sequence_fixes(tracks: gpd.GeoDataFrame, sequences: pd.DataFrame, *,
                   id_col: str = "individual_id", time_col: str = "timestamp"
                   ) -> list[tuple[str, str, np.ndarray]]:
    """Row indices of the (prepared: sorted by animal and time) ``tracks`` in each sequence.

    Returns
    -------
    list of (sequence_id, individual_id, indices)
    """
    need = {"sequence_id", "individual_id", "start", "end"}
    missing = need - set(sequences.columns)
    if missing:
        raise SchemaError(f"sequences is missing columns {sorted(missing)}; build it with "
                          f"camigeo.migration_sequences(tracks, ...).")
    ids = tracks[id_col].to_numpy()
    t = pd.DatetimeIndex(tracks[time_col]).as_unit("ns").asi8
    new = np.r_[True, ids[1:] != ids[:-1]] if len(ids) else np.zeros(0, dtype=bool)
    first = np.flatnonzero(new)                 # tracks are sorted by animal, then time
    span = dict(zip(ids[first], zip(first, np.r_[first[1:], len(ids)], strict=True),
                    strict=True))
    out = []
    for row in sequences.itertuples(index=False):
        ind = str(row.individual_id)
        a0, a1 = span.get(ind, (0, 0))
        lo = a0 + np.searchsorted(t[a0:a1], _utc_ns(row.start), side="left")
        hi = a0 + np.searchsorted(t[a0:a1], _utc_ns(row.end), side="right")
        out.append((str(row.sequence_id), ind, np.arange(lo, hi)))
    return out
