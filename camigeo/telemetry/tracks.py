"""Normalising GPS tracks: GeoDataFrames of fixes, Movebank tables, movingpandas collections.

Every telemetry function accepts the ``tracks`` layout of ``docs/schema.md``
(``individual_id`` as str, ``timestamp`` as tz-aware UTC, Point geometry), any GeoDataFrame
of fixes with other id/time column names (``id_col=``, ``time_col=``), or a movingpandas
``TrajectoryCollection``. :func:`prepare_tracks` turns all of them into one sorted,
validated table; :func:`to_movingpandas` goes back.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._compat import import_optional
from .._errors import CamigeoWarning, GeometryError, SchemaError, ValidationError

__all__ = ["prepare_tracks", "to_movingpandas", "modal_interval", "UNIT_SECONDS", "TrackArrays"]

logger = logging.getLogger(__name__)

#: Seconds per time unit accepted by ``units=`` (R ``difftime`` names and common aliases).
UNIT_SECONDS: dict[str, float] = {
    "secs": 1.0, "seconds": 1.0, "mins": 60.0, "minutes": 60.0, "hours": 3600.0,
    "days": 86400.0, "weeks": 604800.0,
}

_ID_ALIASES = ("individual_id", "Animal.ID", "individual-local-identifier",
               "individual_local_identifier", "individual.local.identifier", "traj_id", "id")
_TIME_ALIASES = ("timestamp", "date", "t", "time", "datetime", "date_utc")


def unit_seconds(units: str) -> float:
    try:
        return UNIT_SECONDS[units]
    except KeyError:
        raise SchemaError(
            f"units={units!r} is not a known time unit; expected one of "
            f"{sorted(UNIT_SECONDS)} (R difftime names such as 'hours' or 'mins')."
        ) from None


def _pick(columns: pd.Index, wanted: str | None, aliases: tuple[str, ...], what: str,
          param: str) -> str:
    if wanted is not None:
        if wanted not in columns:
            raise SchemaError(
                f"tracks has no column {wanted!r} (given as {param}=); columns are "
                f"{list(columns)}. Pass the name of the {what} column."
            )
        return wanted
    for name in aliases:
        if name in columns:
            return name
    raise SchemaError(
        f"tracks has no {what} column: looked for {list(aliases)} and found {list(columns)}. "
        f"Pass {param}='<column>' or rename the column to {aliases[0]!r}."
    )


def _from_movingpandas(tc: Any) -> gpd.GeoDataFrame:
    parts = []
    for traj in tc.trajectories:
        df = traj.df.copy()
        times = pd.DatetimeIndex(df.index)
        times = times.tz_localize("UTC") if times.tz is None else times.tz_convert("UTC")
        df = df.reset_index(drop=True)
        df["individual_id"] = str(traj.obj_id if traj.obj_id is not None else traj.id)
        df["timestamp"] = times
        parts.append(df)
    if not parts:
        raise ValidationError(["the TrajectoryCollection holds no trajectories"],
                              source="tracks")
    out = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(out, geometry=tc.trajectories[0].df.geometry.name,
                            crs=tc.trajectories[0].crs)


def _as_utc(series: pd.Series, time_col: str) -> pd.Series:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC")
    if pd.api.types.is_datetime64_dtype(series.dtype):
        warnings.warn(
            f"tracks column {time_col!r} holds time-zone-naive datetimes; they were taken as "
            f"UTC. Localise them first (s.dt.tz_localize(...)) if they are local times.",
            CamigeoWarning, stacklevel=4,
        )
        return series.dt.tz_localize("UTC")
    try:
        return pd.to_datetime(series, utc=True, format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise SchemaError(
            f"tracks column {time_col!r} could not be read as date-times ({exc}). Expected "
            f"datetime64 values or ISO 8601 strings such as '2014-01-01T05:00:00Z'."
        ) from None


def prepare_tracks(tracks: Any, *, id_col: str | None = None, time_col: str | None = None,
                   name: str = "tracks") -> tuple[gpd.GeoDataFrame, str, str]:
    """Validate fixes and return them sorted by animal and time.

    Parameters
    ----------
    tracks : GeoDataFrame or movingpandas.TrajectoryCollection
        One row per GPS fix with Point geometry, an animal id and a time column.
    id_col, time_col : str, optional
        Column names. By default the schema names ``individual_id`` / ``timestamp`` are
        used, then common aliases (``Animal.ID``, ``individual-local-identifier``,
        ``traj_id``; ``date``, ``t``, ``time``, ``date_utc``).
    name : str
        Name used in error messages.

    Returns
    -------
    (GeoDataFrame, str, str)
        A sorted copy (``RangeIndex``) whose id column is str and whose time column is
        tz-aware UTC, and the id and time column names.

    Raises
    ------
    SchemaError
        Missing id/time column or unreadable times.
    GeometryError
        Missing, empty or non-Point geometries.
    ValidationError
        Two fixes of one animal share a timestamp.

    Warns
    -----
    CamigeoWarning
        Naive datetimes (taken as UTC) or fixes not sorted by animal and time (sorted).
    """
    if type(tracks).__name__ == "TrajectoryCollection":
        tracks = _from_movingpandas(tracks)
        id_col, time_col = "individual_id", "timestamp"
    if not isinstance(tracks, gpd.GeoDataFrame):
        raise SchemaError(
            f"{name} must be a GeoDataFrame of Point fixes or a movingpandas "
            f"TrajectoryCollection; got {type(tracks).__name__}. Build one with "
            f"geopandas.GeoDataFrame(df, geometry=geopandas.points_from_xy(df.x, df.y), crs=...)"
            f" or read it with camigeo.read_movebank(path)."
        )
    id_col = _pick(tracks.columns, id_col, _ID_ALIASES, "animal id", "id_col")
    time_col = _pick(tracks.columns, time_col, _TIME_ALIASES, "time", "time_col")
    gdf = tracks.copy()
    geom = gdf.geometry.values
    bad = shapely.is_missing(geom) | shapely.is_empty(geom)
    if bad.any():
        raise GeometryError(
            f"{name} has {int(bad.sum())} fixes without a location (missing or empty "
            f"geometry). Drop them first, e.g. {name}[~{name}.geometry.is_empty & "
            f"{name}.geometry.notna()]."
        )
    if len(gdf) == 0:
        raise SchemaError(f"{name} has no fixes (0 rows); there is no movement to analyse. "
                          f"Check the file and any filter applied before (animal, dates).")
    types = shapely.get_type_id(geom)
    if (types != 0).any():
        kinds = sorted(set(gdf.geometry.geom_type[types != 0]))
        raise GeometryError(f"{name} must hold Point fixes; found {kinds}.")
    nonfinite = ~np.isfinite(shapely.get_coordinates(geom)).all(axis=1)
    if nonfinite.any():
        rows = gdf.index[nonfinite].tolist()
        raise GeometryError(
            f"{name} has {int(nonfinite.sum())} fixes with NaN or infinite coordinates (row(s) "
            f"{', '.join(map(str, rows[:8]))}{' ...' if len(rows) > 8 else ''}); a fix without "
            f"a position cannot be a step. Drop them first, e.g. {name}[{name}.is_valid].")
    from ..io.guards import check_geometries

    check_geometries(gdf, name=name)  # metres declared lon/lat
    if gdf[id_col].isna().any():
        raise SchemaError(
            f"{name} column {id_col!r} has {int(gdf[id_col].isna().sum())} missing animal ids;"
            f" drop those rows (fixes without an animal are not movement)."
        )
    gdf[id_col] = gdf[id_col].astype(str)
    gdf[time_col] = _as_utc(gdf[time_col], time_col)
    if gdf[time_col].isna().any():
        raise SchemaError(f"{name} column {time_col!r} has {int(gdf[time_col].isna().sum())} "
                          f"missing times; drop those rows first.")
    codes, _ = pd.factorize(gdf[id_col], sort=True)
    t = pd.DatetimeIndex(gdf[time_col]).as_unit("ns").asi8
    order = np.lexsort((t, codes))
    if not np.array_equal(order, np.arange(len(order))):
        warnings.warn(
            f"{name} was not sorted by {id_col!r} and {time_col!r}; the fixes were sorted "
            f"(the input is unchanged).", CamigeoWarning, stacklevel=3,
        )
        gdf = gdf.iloc[order]
        codes, t = codes[order], t[order]
    gdf = gdf.reset_index(drop=True)
    dup = (codes[1:] == codes[:-1]) & (t[1:] == t[:-1])
    if dup.any():
        first = np.flatnonzero(dup)[:3]
        examples = ", ".join(f"{gdf[id_col].iloc[i]} at {gdf[time_col].iloc[i]}" for i in first)
        raise ValidationError(
            [f"{int(dup.sum())} fixes repeat the timestamp of the previous fix of the same "
             f"animal (e.g. {examples}); a zero time step has no speed or direction. Remove "
             f"them, e.g. {name}.drop_duplicates(subset=[{id_col!r}, {time_col!r}])."],
            source=name,
        )
    return gdf, id_col, time_col


@dataclass(frozen=True)
class TrackArrays:
    """Plain arrays of sorted fixes (internal fast path)."""

    code: np.ndarray       #: animal number per fix (int, 0..n_animals-1)
    animals: np.ndarray    #: animal ids in order
    start: np.ndarray      #: first fix index per animal
    stop: np.ndarray       #: one past the last fix per animal
    t: np.ndarray          #: fix time, int64 ns since the epoch (UTC)
    x: np.ndarray
    y: np.ndarray

    @classmethod
    def from_gdf(cls, gdf: gpd.GeoDataFrame, id_col: str, time_col: str) -> TrackArrays:
        """Build from the output of :func:`prepare_tracks`."""
        code, animals = pd.factorize(gdf[id_col], sort=True)  # gdf is sorted by id
        n = len(code)
        new = np.ones(n, dtype=bool)
        new[1:] = code[1:] != code[:-1]
        start = np.flatnonzero(new)
        stop = np.append(start[1:], n)
        xy = shapely.get_coordinates(gdf.geometry.values)
        t = pd.DatetimeIndex(gdf[time_col]).as_unit("ns").asi8
        return cls(code.astype(np.int64), np.asarray(animals, dtype=object), start, stop, t,
                   xy[:, 0].copy(), xy[:, 1].copy())

    @property
    def ids(self) -> np.ndarray:
        """Animal id per fix (object array of str)."""
        return self.animals[self.code]

    def same_animal_next(self) -> np.ndarray:
        """Bool per fix: the next fix belongs to the same animal."""
        out = np.zeros(len(self.code), dtype=bool)
        out[:-1] = self.code[1:] == self.code[:-1]
        return out


def modal_interval(tracks: gpd.GeoDataFrame, *, id_col: str = "individual_id",
                   time_col: str = "timestamp", units: str = "hours") -> dict[str, float]:
    """Most frequent time step per animal (BaBA's interval; ties go to the smaller step).

    Steps are rounded to 0.1 ``units`` before counting, the same rounding BaBA applies to
    the gaps between encounter fixes (so a few seconds of GPS jitter do not split the mode).

    Parameters
    ----------
    tracks : GeoDataFrame
        Output of :func:`prepare_tracks` (sorted).
    id_col, time_col : str
        Column names.
    units : str
        Time unit of the result.

    Returns
    -------
    dict
        Animal id -> modal interval in ``units`` (animals with one fix are left out).
    """
    arr = TrackArrays.from_gdf(tracks, id_col, time_col)
    return interval_modes(arr, unit_seconds(units))[0]


def interval_modes(arr: TrackArrays, unit_s: float) -> tuple[dict[str, float], dict[str, float]]:
    dt = np.round(np.diff(arr.t) / (unit_s * 1e9), 1)
    modes: dict[str, float] = {}
    share: dict[str, float] = {}
    for animal, a0, a1 in zip(arr.animals, arr.start, arr.stop, strict=True):
        steps = dt[a0:a1 - 1]  # the steps within this animal's (contiguous) fixes
        if len(steps) == 0:
            continue
        vals, counts = np.unique(steps, return_counts=True)
        j = int(np.argmax(counts))  # np.unique sorts, argmax takes the first: ties -> smaller
        modes[str(animal)] = float(vals[j])
        share[str(animal)] = float(counts[j] / len(steps))
    return modes, share


def to_movingpandas(tracks: Any, *, id_col: str | None = None,
                    time_col: str | None = None) -> Any:
    """Convert fixes to a movingpandas ``TrajectoryCollection`` (one trajectory per animal).

    Parameters
    ----------
    tracks : GeoDataFrame or TrajectoryCollection
        Fixes as accepted by :func:`prepare_tracks`.
    id_col, time_col : str, optional
        Column names (see :func:`prepare_tracks`).

    Returns
    -------
    movingpandas.TrajectoryCollection
        Trajectory ids are the animal ids; all other columns are kept. Times are handed
        to movingpandas as naive UTC (movingpandas does not keep time zones);
        :func:`prepare_tracks` reads them back as UTC.

    Raises
    ------
    OptionalDependencyError
        movingpandas is not installed (``pip install 'camigeo[movingpandas]'``).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # optional stonesoup notice on import
        mpd = import_optional("movingpandas", extra="movingpandas",
                              purpose="to_movingpandas")
    gdf, id_col, time_col = prepare_tracks(tracks, id_col=id_col, time_col=time_col)
    # movingpandas keeps naive times (it warns and drops the zone of aware ones): give it UTC
    gdf[time_col] = gdf[time_col].dt.tz_convert("UTC").dt.tz_localize(None)
    return mpd.TrajectoryCollection(gdf, traj_id_col=id_col, t=time_col)
