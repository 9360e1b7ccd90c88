"""Guards shared by every public function: in-memory layers, parameters and memory.

:func:`camigeo.read_layer` validates what it reads from files; the functions here give
layers built in memory and the parameters of every analysis the same treatment, with the
same kind of message (what, expected, got, how to fix):

* :func:`check_geometries` refuses NaN/inf coordinates and coordinates that cannot be in
  the declared CRS (metres declared lon/lat), and repairs invalid geometries with a
  :class:`~camigeo.CamigeoWarning` (or refuses them with ``repair=False``);
* :func:`parse_bool_column` parses booleans strictly (``"false"`` is False, ``"maybe"`` an
  error; Python's ``bool("false")`` is True);
* :func:`check_number` checks a numeric parameter against its range;
* :func:`check_alloc` compares the estimated bytes of an allocation sized from user
  parameters with the memory available and refuses it with the numbers and the fix,
  before numpy, GEOS or GDAL try (and die in ``MemoryError`` or ``std::bad_alloc``).
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

import numpy as np
import pandas as pd

from .._errors import CamigeoError, CamigeoWarning, CRSError, GeometryError, SchemaError

__all__ = [
    "available_memory",
    "check_alloc",
    "check_bool",
    "check_geometries",
    "check_no_nul",
    "check_number",
    "grid_cells",
    "parse_bool",
    "parse_bool_column",
]

_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}
_NULL = {"", "none", "null", "nan", "na", "<na>"}
_LIMIT = 8
#: Share of the available memory one allocation may take.
MEMORY_FRACTION = 0.8


# ------------------------------------------------------------------------------ memory
def available_memory() -> int:
    """Bytes available to a new allocation (psutil, else ``/proc/meminfo``, else sysconf)."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:  # pragma: no cover - psutil ships with distributed
        pass
    try:  # pragma: no cover - without psutil
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover
        pass
    return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))  # pragma: no cover


def _gib(n: float) -> str:
    if not math.isfinite(n):
        return "an unbounded amount of"
    if n >= 2**50:
        return f"{n / 2**50:,.1f} PiB"
    if n >= 2**40:
        return f"{n / 2**40:,.1f} TiB"
    if n >= 2**30:
        return f"{n / 2**30:,.1f} GiB"
    return f"{n / 2**20:,.1f} MiB"


def check_alloc(nbytes: float, *, what: str, fix: str,
                available_bytes: float | None = None) -> None:
    """Refuse an allocation the machine cannot hold, before it is tried.

    Parameters
    ----------
    nbytes : float
        Estimated peak bytes (may be ``inf`` for an unbounded request).
    what : str
        What would be allocated and from which parameters (named in the message).
    fix : str
        How to make it fit (e.g. ``"use a larger cell_km"``).
    available_bytes : float, optional
        Default :func:`available_memory`.

    Raises
    ------
    CamigeoError
        With the estimate, the memory available and ``fix``.
    """
    avail = available_memory() if available_bytes is None else float(available_bytes)
    if not (nbytes <= MEMORY_FRACTION * avail):  # also catches NaN / inf
        raise CamigeoError(
            f"{what} needs about {_gib(nbytes)} of memory, but only "
            f"{_gib(avail)} are available on this machine ({MEMORY_FRACTION:.0%} may be "
            f"used). {fix}")


def grid_cells(width: float, height: float, cell: float) -> float:
    """Cells of a grid of ``cell`` over ``width`` x ``height`` (float: may be huge)."""
    if not (cell > 0 and math.isfinite(width) and math.isfinite(height)):
        return math.inf
    return (math.ceil(max(width, 0.0) / cell) + 1) * (math.ceil(max(height, 0.0) / cell) + 1)


# -------------------------------------------------------------------------- parameters
def check_number(value: Any, *, name: str, minimum: float | None = None,
                 maximum: float | None = None, strict_min: bool = False,
                 integer: bool = False, unit: str = "", fix: str = "") -> float:
    """Check a numeric parameter and return it as float.

    Parameters
    ----------
    value : Any
        The value given.
    name : str
        Parameter name as the user wrote it (e.g. ``"cell_km"``).
    minimum, maximum : float, optional
        Allowed range (inclusive, unless ``strict_min``).
    strict_min : bool, default False
        ``value`` must be greater than ``minimum``.
    integer : bool, default False
        Require a whole number.
    unit : str
        Unit named in the message (``"km"``, ``"m"``).
    fix : str
        Extra advice appended to the message.

    Raises
    ------
    SchemaError
        Not a finite number, or out of range.
    """
    u = f" {unit}" if unit else ""
    rng = []
    if minimum is not None:
        rng.append(f"{'>' if strict_min else '>='} {minimum:g}{u}")
    if maximum is not None:
        rng.append(f"<= {maximum:g}{u}")
    expect = ("a whole number" if integer else "a number") + (
        " " + " and ".join(rng) if rng else "")
    tail = f" {fix}" if fix else ""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise SchemaError(f"{name} = {value!r}: expected {expect}, got "
                          f"{type(value).__name__}.{tail}")
    v = float(value)
    if not math.isfinite(v):
        raise SchemaError(f"{name} = {value!r}: expected a finite number {' and '.join(rng)}."
                          f"{tail}")
    if integer and v != int(v):
        raise SchemaError(f"{name} = {value!r}: expected a whole number.{tail}")
    low = minimum is not None and (v <= minimum if strict_min else v < minimum)
    high = maximum is not None and v > maximum
    if low or high:
        raise SchemaError(f"{name} = {value!r}: expected {expect}.{tail}")
    return v


# ----------------------------------------------------------------------------- booleans
def check_bool(value: Any, *, name: str) -> bool:
    """Require a real boolean option (``"false"`` as text would count as True).

    Raises
    ------
    SchemaError
        Naming the option, what arrived and the fix.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise SchemaError(f"{name} = {value!r}: expected True or False, got "
                      f"{type(value).__name__} (in Python any non-empty text counts as True). "
                      f"Pass {name}=True or {name}=False.")


def parse_bool(value: Any) -> bool | None:
    """``True``/``False`` for a strict boolean spelling, ``None`` for null; else ValueError."""
    if value is None or (not isinstance(value, str) and _isna(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        if value in (0, 1):
            return bool(value)
        raise ValueError(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text in _NULL:
        return None
    raise ValueError(value)


def _isna(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def parse_bool_column(df: pd.DataFrame, column: str, *, name: str,
                      default: bool = False) -> pd.Series:
    """Parse a boolean column strictly (nulls become ``default``).

    Raises
    ------
    SchemaError
        Naming the column, the values that are not booleans and the rows.
    """
    s = df[column]
    if s.dtype == bool:
        return s
    try:
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
    except TypeError:
        codes, uniques = np.arange(len(s)), s.to_numpy(dtype=object)
    parsed: list[Any] = []
    bad: list[Any] = []
    bad_codes: list[int] = []
    for i, u in enumerate(uniques):
        try:
            parsed.append(parse_bool(u))
        except ValueError:
            parsed.append(None)
            bad.append(u)
            bad_codes.append(i)
    if bad:
        isbad = np.isin(codes, bad_codes)
        rows = s.index[isbad].tolist()
        shown = ", ".join(map(str, rows[:_LIMIT])) + (
            f" and {len(rows) - _LIMIT} more" if len(rows) > _LIMIT else "")
        raise SchemaError(
            f"{name}: column '{column}' must be true/false (also accepted: yes/no, 1/0); got "
            f"{', '.join(repr(b) for b in bad[:_LIMIT])} in row(s) {shown}. Fix the values "
            f"or parse the column first, e.g. gdf['{column}'] = gdf['{column}'].map("
            f"{{'yes': True, 'no': False}}).")
    table = np.array([default if p is None else p for p in parsed] + [default], dtype=bool)
    return pd.Series(table[codes], index=s.index, name=column)


# --------------------------------------------------------------------------- geometries
def _rows(index: pd.Index, mask: np.ndarray) -> str:
    rows = index[mask].tolist()
    shown = ", ".join(map(str, rows[:_LIMIT]))
    return shown + (f" and {len(rows) - _LIMIT} more" if len(rows) > _LIMIT else "")


def check_geometries(gdf: Any, *, name: str, repair: bool | None = True) -> Any:
    """Refuse non-finite or impossible coordinates; repair invalid geometries with a warning.

    Parameters
    ----------
    gdf : GeoDataFrame or GeoSeries
        The layer (not modified).
    name : str
        Parameter name used in messages.
    repair : bool or None, default True
        Repair invalid geometries (self-intersections, ...) with ``shapely.make_valid``
        and warn; with ``False`` they are an error; with ``None`` they are left as they are
        (only coordinates are checked, e.g. before writing a file).

    Returns
    -------
    GeoDataFrame or GeoSeries
        ``gdf`` itself when nothing needed repair, else a repaired copy.

    Raises
    ------
    GeometryError
        NaN/inf coordinates; invalid geometries with ``repair=False``.
    CRSError
        A geographic CRS with coordinates outside ±180° / ±90° (metres declared lon/lat).
    """
    import geopandas as gpd
    import shapely
    from pyproj import CRS

    var = name if name.isidentifier() else "gdf"
    series = gdf.geometry if isinstance(gdf, gpd.GeoDataFrame) else gdf
    geoms = np.asarray(series.values, dtype=object)
    if len(geoms) == 0:
        return gdf
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    invalid = np.zeros(len(geoms), dtype=bool)
    invalid[present] = ~shapely.is_valid(geoms[present])
    if invalid.any():
        reasons = np.asarray(shapely.is_valid_reason(geoms[invalid]), dtype=object)
        badc = np.zeros(len(geoms), dtype=bool)
        badc[np.flatnonzero(invalid)] = [str(r).startswith("Invalid Coordinate")
                                         for r in reasons]
        if badc.any():
            raise GeometryError(
                f"{name}: {int(badc.sum())} geometries have NaN or infinite coordinates "
                f"(row(s) {_rows(series.index, badc)}); a vertex without a position cannot be "
                f"measured. Drop or fix those vertices, e.g. "
                f"{var} = {var}[{var}.is_valid].")
    if gdf.crs is not None and present.any():
        crs = CRS.from_user_input(gdf.crs)
        if crs.is_geographic:
            b = shapely.bounds(geoms[present])
            b = b[np.isfinite(b).all(axis=1)]
            if len(b) and (b[:, 0].min() < -180.001 or b[:, 2].max() > 360.001
                           or b[:, 1].min() < -90.001 or b[:, 3].max() > 90.001):
                raise CRSError(
                    f"{name}: the CRS is geographic ({crs.name}) but the coordinates are not "
                    f"degrees (x {b[:, 0].min():.6g} to {b[:, 2].max():.6g}, y "
                    f"{b[:, 1].min():.6g} to {b[:, 3].max():.6g}); they look like metres. Set "
                    f"the CRS the data was made in: {var}.set_crs('EPSG:...', "
                    f"allow_override=True).")
    if not invalid.any() or repair is None:
        return gdf
    reasons_s = ", ".join(dict.fromkeys(str(r).split("[")[0] for r in reasons))
    if not repair:
        raise GeometryError(
            f"{name}: {int(invalid.sum())} geometries are invalid (row(s) "
            f"{_rows(series.index, invalid)}; {reasons_s}). Pass repair=True to fix them with "
            f"shapely.make_valid, or fix them in your GIS.")
    fixed = geoms.copy()
    fixed[invalid] = shapely.make_valid(geoms[invalid], method="structure",
                                        keep_collapsed=False)
    warnings.warn(f"{name}: repaired {int(invalid.sum())} invalid geometries with "
                  f"shapely.make_valid (row(s) {_rows(series.index, invalid)}; {reasons_s}).",
                  CamigeoWarning, stacklevel=3)
    new = gpd.GeoSeries(fixed, index=series.index, crs=series.crs, name=series.name)
    if isinstance(gdf, gpd.GeoDataFrame):
        out = gdf.copy()
        out[gdf.geometry.name] = new
        return out
    return new


def check_no_nul(df: pd.DataFrame, *, name: str) -> None:
    """Refuse NUL characters in column names and text values (GDAL cuts text at a NUL).

    Raises
    ------
    SchemaError
        Naming the column and rows, with the fix.
    """
    bad_cols = [c for c in df.columns if isinstance(c, str) and "\x00" in c]
    if bad_cols:
        raise SchemaError(f"{name}: column name(s) {bad_cols!r} contain a NUL character "
                          f"('\\x00'); files cut names there. Rename the column(s).")
    geom = getattr(df, "_geometry_column_name", None)
    for col in df.columns:
        s = df[col]
        if col == geom or not (s.dtype == object or isinstance(s.dtype, pd.StringDtype)):
            continue
        try:
            has = s.str.contains("\x00", regex=False, na=False).to_numpy(dtype=bool)
        except (AttributeError, TypeError):  # no text in the column
            continue
        if has.any():
            raise SchemaError(
                f"{name}: column '{col}' has text with a NUL character ('\\x00') in row(s) "
                f"{_rows(df.index, has)}; a GeoPackage or shapefile would silently cut the "
                f"text there. Remove it first, e.g. df['{col}'] = df['{col}'].str.replace("
                f"'\\x00', '').")
