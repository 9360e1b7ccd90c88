"""Layer validation: check a layer against its schema, collect every problem, raise once.

:func:`validate_layer` is the one gate every layer passes through, whether it was read from
a file (:func:`camigeo.read_layer`) or built in memory. It checks the CRS, the geometries
(null, empty, invalid, wrong type) and, for a ``kind`` of layer, the columns and their
values against ``docs/schema.md``. It gathers *every* problem it finds and raises a single
:class:`~camigeo.ValidationError` that lists them and names the file and layer, so a user
fixes a file in one round instead of one error at a time.

It also normalizes what it safely can (documented in ``docs/io.md``): IUCN column names,
category spelling (``"Under construction"`` -> ``under_construction``), booleans given as
``"yes"``/``1``, UTC timestamps, and missing optional columns.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Callable, Collection, Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from .._errors import CamigeoError, CamigeoWarning, ValidationError

__all__ = [
    "KINDS",
    "INFRA_TYPES",
    "INFRA_STATUS",
    "FENCE_CLASSES",
    "PRESENCE_CODES",
    "ORIGIN_CODES",
    "SEASONAL_CODES",
    "RANGE_FILTER_PRESETS",
    "validate_layer",
    "filter_ranges",
    "split_list",
    "join_list",
]

logger = logging.getLogger(__name__)

#: The layer kinds :func:`validate_layer` knows (see ``docs/schema.md``).
KINDS = ("ptcr", "range", "infrastructure", "tracks")

INFRA_TYPES = ("railway", "road", "fence", "border_fence", "pipeline", "canal")
INFRA_STATUS = ("existing", "under_construction", "planned")
FENCE_CLASSES = ("impermeable", "low", "medium", "high", "open", "unknown")

#: IUCN range codes (domain_methods §3).
PRESENCE_CODES = {1: "Extant", 2: "Probably Extant", 3: "Possibly Extant",
                  4: "Possibly Extinct", 5: "Extinct", 6: "Presence Uncertain"}
ORIGIN_CODES = {1: "Native", 2: "Reintroduced", 3: "Introduced", 4: "Vagrant",
                5: "Origin Uncertain", 6: "Assisted Colonisation"}
SEASONAL_CODES = {1: "Resident", 2: "Breeding Season", 3: "Non-breeding Season",
                  4: "Passage", 5: "Seasonal Occurrence Uncertain"}

#: Range filter presets (domain_methods §3). ``"kba"`` also keeps only ``terrestrial ==
#: "true"`` rows when that column exists; ``"none"`` keeps everything.
RANGE_FILTER_PRESETS: dict[str, dict[str, tuple[int, ...]] | None] = {
    "default": {"presence": (1, 2), "origin": (1, 2, 6), "seasonal": (1, 2, 3, 4)},
    "kba": {"presence": (1, 2), "origin": (1, 2, 6), "seasonal": (1, 2, 3, 4)},
    "strict": {"presence": (1,), "origin": (1,), "seasonal": (1, 2, 3)},
    "optimistic": {"presence": (1, 2, 3), "origin": (1, 2, 6), "seasonal": (1, 2, 3, 4)},
    "none": None,
}

_POLY = ("Polygon", "MultiPolygon")
_LINE = ("LineString", "MultiLineString")
_POINT = ("Point",)
_GEOM_TYPES: dict[str, tuple[str, ...]] = {
    "ptcr": _POLY, "range": _POLY, "infrastructure": _LINE, "tracks": _POINT}
_ID_COLUMN = {"ptcr": "ptcr_id", "infrastructure": "infra_id"}

# IUCN / shapefile spellings -> schema names (applied after lower-casing, range only).
RANGE_ALIASES = {"binomial": "sci_name", "sciname": "sci_name", "sisid": "id_no",
                  "terrestria": "terrestrial", "terrestial": "terrestrial",
                  "freshwater": "freshwater", "freshwate": "freshwater"}

_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}
_ISO3 = re.compile(r"^[A-Z]{3}$")
_SEP = re.compile(r"[\s\-]+")
_LIMIT = 8  # how many ids / values a message lists before "... and N more"


# --------------------------------------------------------------------------- list columns
def split_list(value: Any) -> list[str]:
    """Split a ``"; "``-joined list column value back into a list.

    Parameters
    ----------
    value : str, list, None or NaN
        A stored value such as ``"KAZ; UZB; TKM"``.

    Returns
    -------
    list of str
        Stripped, non-empty items (``[]`` for None, NaN or ``""``).

    Examples
    --------
    >>> split_list("KAZ; UZB;TKM")
    ['KAZ', 'UZB', 'TKM']
    >>> split_list(None)
    []
    """
    if value is None:
        return []
    if isinstance(value, str):
        return [item.strip() for item in value.split(";") if item.strip()]
    if isinstance(value, Iterable):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    if pd.isna(value):
        return []
    return [str(value).strip()]


def join_list(values: Any) -> str:
    """Join items into the ``"; "``-joined text stored in list columns.

    Parameters
    ----------
    values : iterable of str, str or None
        Items; a string is re-normalized (``"A;B"`` -> ``"A; B"``).

    Returns
    -------
    str
        ``"; "``-joined items, ``""`` when there are none.

    Examples
    --------
    >>> join_list(["KAZ", "UZB"])
    'KAZ; UZB'
    """
    return "; ".join(split_list(values))


# --------------------------------------------------------------------------- helpers
def _which(gdf: pd.DataFrame, mask: np.ndarray, id_col: str | None = None) -> str:
    """Name the features selected by ``mask`` by id (or by row index)."""
    sel = gdf.iloc[np.flatnonzero(mask)]
    if id_col and id_col in sel.columns:
        label, vals = id_col, sel[id_col].tolist()
    else:
        label, vals = "row", sel.index.tolist()
    shown = ", ".join(str(v) for v in vals[:_LIMIT])
    more = f" and {len(vals) - _LIMIT} more" if len(vals) > _LIMIT else ""
    return f"{label} {shown}{more}"


def _values(vals: Iterable[Any]) -> str:
    vals = list(dict.fromkeys(vals))
    shown = ", ".join(repr(v) for v in vals[:_LIMIT])
    return shown + (f" and {len(vals) - _LIMIT} more" if len(vals) > _LIMIT else "")


def _is_null(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _map_unique(s: pd.Series, func: Callable[[Any], Any]) -> pd.Series:
    """``s.map(func)`` calling ``func`` once per distinct value (nulls: ``func(None)``).

    Category-like columns have few distinct values, so this is ~100x faster than
    ``Series.map`` on 200,000 rows (benchmarks/bench_io.py: validation of 200,000
    infrastructure lines: 13.6 s -> 0.66 s under cProfile).
    """
    try:
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
    except TypeError:  # unhashable values, e.g. Python lists in a list column
        return s.map(lambda v: func(None) if not isinstance(v, Iterable) and _is_null(v)
                     else func(v)).astype(object)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [func(u) for u in uniques]
    mapped[-1] = func(None)  # code -1 = null
    return pd.Series(mapped[codes], index=s.index, name=s.name)


def _text1(value: Any) -> str | None:
    return None if _is_null(value) else str(value).strip()


def _col_text(s: pd.Series) -> pd.Series:
    """Values as stripped text (nulls stay null) without tripping on mixed types."""
    if isinstance(s.dtype, pd.StringDtype):
        return s.str.strip()
    return _map_unique(s, _text1)


def _normalize_names(gdf: gpd.GeoDataFrame, kind: str | None) -> gpd.GeoDataFrame:
    """Lower-case IUCN range columns and map aliases; match schema names case-insensitively."""
    geom = gdf.geometry.name
    wanted = set(SCHEMAS[kind]["required"]) | set(SCHEMAS[kind]["optional"]) if kind else set()
    # Shapefiles truncate field names to 10 characters ("fence_class" -> "fence_clas").
    short = {c[:10]: c for c in wanted if len(c) > 10}
    rename: dict[str, str] = {}
    taken = set(gdf.columns)
    for col in gdf.columns:
        if col == geom or not isinstance(col, str):
            continue
        low = col.lower()
        new = col
        if kind == "range":
            new = RANGE_ALIASES.get(low, low)
        elif low in wanted and col not in wanted:
            new = low
        new = short.get(new.lower(), new) if new not in wanted else new
        if new != col and new not in taken and new not in rename.values():
            rename[col] = new
    if rename:
        logger.info("renamed columns %s", rename)
        gdf = gdf.rename(columns=rename)
    return gdf


def _missing(geoms: np.ndarray) -> np.ndarray:
    """Null or empty geometries (``is_empty`` is False for None, so both are needed)."""
    return shapely.is_missing(geoms) | shapely.is_empty(geoms)


def _check_crs(gdf: gpd.GeoDataFrame, problems: list[str], require_metric: bool,
               missing: np.ndarray, bounds: np.ndarray) -> None:
    if gdf.crs is None:
        problems.append(
            "no CRS: expected a layer with a coordinate reference system, got none. Set it "
            "with gdf.set_crs('EPSG:4326') if the coordinates are lon/lat (or the CRS the data "
            "was made in), or add the .prj file of a shapefile.")
        return
    crs = CRS.from_user_input(gdf.crs)
    box = bounds[~missing]
    box = box[np.isfinite(box).all(axis=1)]
    if crs.is_geographic and len(box):
        minx, miny = box[:, 0].min(), box[:, 1].min()
        maxx, maxy = box[:, 2].max(), box[:, 3].max()
        if minx < -180.001 or maxx > 360.001 or miny < -90.001 or maxy > 90.001:
            problems.append(
                f"the CRS is geographic ({crs.name}) but the coordinates are not degrees "
                f"(x {minx:.6g} to {maxx:.6g}, y {miny:.6g} to {maxy:.6g}); the CRS is probably "
                f"wrong. Set the CRS the data was made in with gdf.set_crs(..., "
                f"allow_override=True).")
    if require_metric:
        if crs.is_geographic:
            problems.append(
                f"the CRS is geographic ({crs.name}) but metres are needed here. Reproject, "
                f"e.g. gdf.to_crs(camigeo.crs.CENTRAL_ASIA_EQUAL_AREA) or "
                f"gdf.to_crs(camigeo.crs.local_metric_crs(gdf)).")
        else:
            unit = crs.axis_info[0].unit_name if crs.axis_info else "unknown"
            if unit not in ("metre", "meter"):
                problems.append(
                    f"the CRS {crs.name} has axis unit '{unit}' but metres are needed here. "
                    f"Reproject to camigeo.crs.CENTRAL_ASIA_EQUAL_AREA.")


def _check_geometries(gdf: gpd.GeoDataFrame, kind: str | None, problems: list[str],
                      notes: list[str], repair: bool, missing: np.ndarray,
                      bounds: np.ndarray) -> gpd.GeoDataFrame:
    id_col = _ID_COLUMN.get(kind or "")
    geoms = gdf.geometry.to_numpy()
    n = len(geoms)
    types = shapely.get_type_id(geoms)
    if missing.any():
        problems.append(
            f"{int(missing.sum())} of {n} features have no geometry (null or empty) "
            f"({_which(gdf, missing, id_col)}). Drop or fix them first, e.g. "
            f"gdf = gdf[~(gdf.geometry.isna() | gdf.geometry.is_empty)].")
    # a non-empty Point is valid unless its coordinates are NaN/inf
    check = ~missing & (types != 0)
    invalid = np.zeros(n, dtype=bool)
    invalid[check] = ~shapely.is_valid(geoms[check])
    points = ~missing & (types == 0)
    if points.any():
        invalid[points] = ~np.isfinite(bounds[points]).all(axis=1)
    nan_coords = np.zeros(n, dtype=bool)  # make_valid cannot give a vertex a position
    if invalid.any():
        nan_coords[invalid] = [str(r).startswith("Invalid Coordinate")
                               for r in shapely.is_valid_reason(geoms[invalid])]
    if nan_coords.any():
        problems.append(
            f"{int(nan_coords.sum())} of {n} geometries have NaN or infinite coordinates "
            f"({_which(gdf, nan_coords, id_col)}); drop or fix those vertices (a vertex without "
            f"a position cannot be measured or repaired).")
        invalid &= ~nan_coords
    if invalid.any():
        reasons = _values(shapely.is_valid_reason(geoms[invalid]))
        where = _which(gdf, invalid, id_col)
        if repair:
            geoms = geoms.copy()
            geoms[invalid] = shapely.make_valid(geoms[invalid], method="structure",
                                                keep_collapsed=False)
            lost = invalid & shapely.is_empty(geoms)
            types = shapely.get_type_id(geoms)
            missing = missing | lost  # reported once, as collapsed
            if lost.any():
                problems.append(
                    f"{int(lost.sum())} invalid geometries collapsed to nothing when repaired "
                    f"with shapely.make_valid ({_which(gdf, lost, id_col)}); fix or drop them.")
            notes.append(f"repaired {int(invalid.sum())} invalid geometries with "
                         f"shapely.make_valid ({where}; reasons: {reasons})")
            gdf[gdf.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
        else:
            problems.append(
                f"{int(invalid.sum())} of {n} geometries are invalid ({where}; reasons: "
                f"{reasons}). Pass repair=True to fix them with shapely.make_valid, or fix "
                f"them in your GIS.")
    allowed = _GEOM_TYPES.get(kind or "")
    if allowed:
        names = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
                          "MultiLineString", "MultiPolygon", "GeometryCollection", "?"])
        tnames = names[np.where(types < 0, 8, types)]
        wrong = ~missing & ~np.isin(tnames, allowed)
        if wrong.any():
            counts = pd.Series(tnames[wrong]).value_counts()
            got = ", ".join(f"{k} ({v})" for k, v in counts.items())
            hint = ""
            if kind == "infrastructure" and counts.index.isin(_POLY).any():
                hint = (" To use polygon outlines as lines, convert them first: "
                        "gdf.geometry = gdf.boundary.")
            elif kind == "tracks":
                hint = " Tracks must be one Point per GPS fix."
            problems.append(
                f"wrong geometry type: {int(wrong.sum())} of {n} features are {got} "
                f"({_which(gdf, wrong, id_col)}) but a layer of kind '{kind}' needs "
                f"{' or '.join(allowed)}.{hint}")
    return gdf


def _require(gdf: pd.DataFrame, kind: str, problems: list[str]) -> bool:
    required = SCHEMAS[kind]["required"]
    missing = [c for c in required if c not in gdf.columns]
    if missing:
        have = [c for c in gdf.columns if c != gdf.geometry.name]
        extra = ""
        if kind == "range":
            extra = (" (IUCN files name the species column 'binomial', 'BINOMIAL' or "
                     "'SCINAME'; these are renamed automatically)")
        problems.append(
            f"missing required column(s) {', '.join(repr(c) for c in missing)} for a "
            f"layer of kind '{kind}'{extra}. Expected columns: {', '.join(required)}; "
            f"found: {', '.join(map(str, have)) or 'none'}. Rename or add them.")
    return not missing


def _fill_optional(gdf: pd.DataFrame, kind: str, source: str | None) -> pd.DataFrame:
    filled = []
    for col, default in SCHEMAS[kind]["optional"].items():
        if col in gdf.columns:
            continue
        value = default(gdf, source) if callable(default) else default
        gdf[col] = value
        filled.append(col)
    if filled:
        logger.info("filled missing optional column(s) %s of %s layer", filled, kind)
    return gdf


def _codes(gdf: pd.DataFrame, col: str, allowed: dict[int, str] | Collection[int],
           problems: list[str], id_col: str | None = None, nullable: bool = False) -> None:
    """Check an integer-coded column; convert it to int64 (Int64 when nullable)."""
    s = gdf[col]
    num = pd.to_numeric(s, errors="coerce")
    null = s.isna().to_numpy()
    bad = (~null & (num.isna().to_numpy() | (num.fillna(0) % 1 != 0).to_numpy()))
    if allowed is not None:
        bad |= ~null & ~bad & ~num.isin(list(allowed)).to_numpy()
    if bad.any():
        if isinstance(allowed, dict):
            names = ", ".join(f"{k} {v}" for k, v in allowed.items())
        elif isinstance(allowed, range):
            names = f"integers {allowed.start} to {allowed.stop - 1}"
        else:
            names = "integers"
        problems.append(
            f"column '{col}' has unknown values {_values(s[bad].tolist())} in {int(bad.sum())} "
            f"features ({_which(gdf, bad, id_col)}); allowed: {names}.")
    if null.any() and not nullable:
        problems.append(f"column '{col}' is empty in {int(null.sum())} features "
                        f"({_which(gdf, null, id_col)}); every feature needs a value.")
    if not bad.any() and (nullable or not null.any()):
        gdf[col] = num.astype("Int64" if nullable else "int64")


def _vocab(gdf: pd.DataFrame, col: str, allowed: tuple[str, ...], problems: list[str],
           id_col: str | None, nullable: bool = False, fill: str | None = None) -> None:
    """Check a category column; normalize case, spaces and hyphens (``'Under construction'``).

    Empty values become ``fill`` when it is given.
    """
    def normalize(value: Any) -> str | None:
        text = _text1(value)
        if text is not None:
            text = _SEP.sub("_", text.lower())
        if text in (None, "", "none", "null", "nan"):
            return fill
        return text

    norm = _map_unique(gdf[col], normalize)
    null = norm.isna().to_numpy()
    bad = ~null & ~norm.isin(allowed).to_numpy()
    if bad.any():
        problems.append(
            f"column '{col}' has unknown values {_values(gdf[col][bad].tolist())} in "
            f"{int(bad.sum())} features ({_which(gdf, bad, id_col)}); allowed: "
            f"{', '.join(allowed)}{' or empty' if nullable else ''}.")
    if null.any() and not nullable:
        problems.append(f"column '{col}' is empty in {int(null.sum())} features "
                        f"({_which(gdf, null, id_col)}); allowed values: {', '.join(allowed)}.")
    gdf[col] = norm.astype("str")


def _unique_ids(gdf: pd.DataFrame, col: str, problems: list[str]) -> None:
    dup = gdf[col].duplicated(keep=False).to_numpy() & gdf[col].notna().to_numpy()
    if dup.any():
        problems.append(
            f"duplicate ids in '{col}': {_values(gdf[col][dup].tolist())} "
            f"({int(dup.sum())} features); ids must be unique.")


def _iso3_lists(gdf: pd.DataFrame, col: str, problems: list[str], id_col: str | None) -> None:
    def wrong(value: Any) -> list[str]:
        return [v for v in split_list(value) if not _ISO3.match(v.upper())]

    wrong_items = _map_unique(gdf[col], wrong)
    bad = _map_unique(gdf[col], lambda v: bool(wrong(v))).to_numpy(dtype=bool)
    if bad.any():
        bad_vals = [v for lst in wrong_items[bad] for v in lst]
        problems.append(
            f"column '{col}' has values that are not ISO 3166 alpha-3 codes "
            f"{_values(bad_vals)} ({_which(gdf, bad, id_col)}); expected e.g. 'KAZ; UZB'.")
        return
    gdf[col] = _map_unique(gdf[col], lambda v: join_list(x.upper() for x in split_list(v))
                           or None).astype("str")


def _floats(gdf: pd.DataFrame, col: str, problems: list[str], id_col: str | None) -> None:
    s = gdf[col]
    num = pd.to_numeric(s, errors="coerce")
    bad = (s.notna() & num.isna()).to_numpy() | (num < 0).fillna(False).to_numpy()
    if bad.any():
        problems.append(f"column '{col}' must hold numbers >= 0 (km); got "
                        f"{_values(s[bad].tolist())} ({_which(gdf, bad, id_col)}).")
        return
    gdf[col] = num.astype("float64")


def _text(gdf: pd.DataFrame, cols: Iterable[str]) -> None:
    for col in cols:
        if col in gdf.columns:
            gdf[col] = _col_text(gdf[col]).astype("str")


# --------------------------------------------------------------------------- kind checks
def _check_ptcr(gdf: gpd.GeoDataFrame, problems: list[str]) -> None:
    if not _require(gdf, "ptcr", problems):
        return
    _codes(gdf, "ptcr_id", None, problems)  # type: ignore[arg-type]
    _unique_ids(gdf, "ptcr_id", problems)
    null = _col_text(gdf["name"]).fillna("").eq("").to_numpy(dtype=bool)
    if null.any():
        problems.append(f"column 'name' is empty in {int(null.sum())} features "
                        f"({_which(gdf, null, 'ptcr_id')}); every PTCR needs a name.")
    for col in ("countries",):
        _iso3_lists(gdf, col, problems, "ptcr_id")
    _floats(gdf, "accuracy_km", problems, "ptcr_id")
    _text(gdf, ("name", "former_names", "species", "instruments", "source"))


def _check_range(gdf: gpd.GeoDataFrame, problems: list[str]) -> None:
    if not _require(gdf, "range", problems):
        return
    null = gdf["sci_name"].isna().to_numpy()
    if null.any():
        problems.append(f"column 'sci_name' is empty in {int(null.sum())} features "
                        f"({_which(gdf, null)}); every range needs a species name.")
    _text(gdf, ("sci_name", "common_name", "population", "source"))
    _codes(gdf, "presence", PRESENCE_CODES, problems)
    _codes(gdf, "origin", ORIGIN_CODES, problems)
    _codes(gdf, "seasonal", SEASONAL_CODES, problems)
    _floats(gdf, "accuracy_km", problems, None)


def _parse_bool(value: Any) -> bool | None | str:
    if _is_null(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text in ("", "none", "null", "nan"):
        return None
    return "?"


def _check_infrastructure(gdf: gpd.GeoDataFrame, problems: list[str]) -> None:
    if not _require(gdf, "infrastructure", problems):
        return
    ids = _col_text(gdf["infra_id"])
    gdf["infra_id"] = ids.astype("str")
    if gdf["infra_id"].isna().any():
        null = gdf["infra_id"].isna().to_numpy()
        problems.append(f"column 'infra_id' is empty in {int(null.sum())} features "
                        f"({_which(gdf, null)}); every line needs a unique id.")
    _unique_ids(gdf, "infra_id", problems)
    _vocab(gdf, "infra_type", INFRA_TYPES, problems, "infra_id")
    _vocab(gdf, "status", INFRA_STATUS, problems, "infra_id", fill="existing")
    parsed = _map_unique(gdf["fenced"], _parse_bool)
    bad = _map_unique(gdf["fenced"], lambda v: _parse_bool(v) == "?").to_numpy(dtype=bool)
    if bad.any():
        problems.append(
            f"column 'fenced' must be true/false (also accepted: yes/no, 1/0); got "
            f"{_values(gdf['fenced'][bad].tolist())} ({_which(gdf, bad, 'infra_id')}).")
    else:
        fence_type = gdf["infra_type"].isin(("fence", "border_fence")).to_numpy()
        null = parsed.isna().to_numpy()
        parsed[null] = fence_type[null]
        gdf["fenced"] = parsed.astype(bool)
    _vocab(gdf, "fence_class", FENCE_CLASSES, problems, "infra_id", nullable=True)
    if not bad.any():
        fill = gdf["fenced"].to_numpy() & gdf["fence_class"].isna().to_numpy()
        gdf.loc[fill, "fence_class"] = "unknown"
    _iso3_lists(gdf, "countries", problems, "infra_id")
    _floats(gdf, "length_reported_km", problems, "infra_id")
    _floats(gdf, "accuracy_km", problems, "infra_id")
    _codes(gdf, "year", range(1800, 2201), problems, "infra_id", nullable=True)
    _text(gdf, ("name", "source"))


def _check_tracks(gdf: gpd.GeoDataFrame, problems: list[str], notes: list[str]) -> None:
    if not _require(gdf, "tracks", problems):
        return
    null = gdf["individual_id"].isna().to_numpy()
    if null.any():
        problems.append(f"column 'individual_id' is empty in {int(null.sum())} fixes "
                        f"({_which(gdf, null)}); every fix needs an animal id.")
    gdf["individual_id"] = _col_text(gdf["individual_id"]).astype("str")
    ts = gdf["timestamp"]
    if isinstance(ts.dtype, pd.DatetimeTZDtype):
        parsed = ts.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(ts):
        problems.append(
            "column 'timestamp' has no time zone (naive datetimes); times must be absolute "
            "instants. If they are UTC: gdf['timestamp'] = gdf['timestamp'].dt.tz_localize("
            "'UTC'); otherwise localize to the logger's zone and convert to UTC.")
        return
    else:
        text = _col_text(ts)
        parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
        bad = (text.notna() & parsed.isna()).to_numpy()
        if bad.any():
            problems.append(
                f"column 'timestamp' has {int(bad.sum())} values that are not ISO 8601 "
                f"dates ({_which(gdf, bad)}; e.g. {_values(text[bad].tolist()[:3])}); "
                f"expected e.g. '2014-01-01T05:00:00Z'.")
            return
        # a zone after a time of day: "...05:00Z", "...05:00:00.000+06:00" ("2020-01-05" is
        # a date, its "-05" no offset)
        zoned = text.str.contains(r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:Z|[+-]\d{2}"
                                  r"(?::?\d{2})?)$", regex=True, na=False)
        naive = text.notna().to_numpy() & ~zoned.to_numpy(dtype=bool)
        if naive.any():
            problems.append(
                f"column 'timestamp' has {int(naive.sum())} values without a time zone "
                f"({_which(gdf, naive)}; e.g. {_values(text[naive].tolist()[:3])}); append "
                f"'Z' for UTC (e.g. '2014-01-01T05:00:00Z') or give the UTC offset.")
            return
    null = parsed.isna().to_numpy()
    if null.any():
        problems.append(f"column 'timestamp' is empty in {int(null.sum())} fixes "
                        f"({_which(gdf, null)}).")
        return
    gdf["timestamp"] = parsed.astype("datetime64[ns, UTC]")
    dup = gdf.duplicated(["individual_id", "timestamp"], keep="first").to_numpy()
    if dup.any():
        notes.append(f"{int(dup.sum())} fixes repeat an earlier (individual_id, timestamp) pair "
                     f"({_which(gdf, dup)}); drop them with gdf.drop_duplicates(['individual_id',"
                     f" 'timestamp']) before computing speeds")


def _default_source(gdf: pd.DataFrame, source: str | None) -> str:
    return f"user data ({source})" if source else "user data"


SCHEMAS: dict[str, dict[str, Any]] = {
    "ptcr": {"required": ("ptcr_id", "name"),
             "optional": {"former_names": None, "countries": None, "species": None,
                          "instruments": None, "source": _default_source,
                          "accuracy_km": np.nan}},
    "range": {"required": ("sci_name", "presence", "origin", "seasonal"),
              "optional": {"common_name": None, "population": None,
                           "source": _default_source, "accuracy_km": np.nan}},
    "infrastructure": {
        "required": ("infra_type",),
        "optional": {"infra_id": lambda g, s: [str(i) for i in range(1, len(g) + 1)],
                     "name": None, "status": "existing", "fenced": None,
                     "fence_class": None, "countries": None, "length_reported_km": np.nan,
                     "year": None, "source": _default_source, "accuracy_km": np.nan}},
    "tracks": {"required": ("individual_id", "timestamp"), "optional": {}},
}
_CHECKS: dict[str, Callable[..., None]] = {
    "ptcr": _check_ptcr, "range": _check_range, "infrastructure": _check_infrastructure}


# --------------------------------------------------------------------------- public
def validate_layer(gdf: gpd.GeoDataFrame, kind: str | None = None, *,
                   source: str | None = None, repair: bool = True,
                   require_metric: bool = False, allow_empty: bool = False
                   ) -> gpd.GeoDataFrame:
    """Validate a layer against its schema and return a normalized copy.

    Every problem is collected first; if there is any, one :class:`ValidationError`
    lists them all. Repaired geometries and repeated track fixes are reported with one
    :class:`CamigeoWarning` after validation passed.

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer (not modified).
    kind : {"ptcr", "range", "infrastructure", "tracks"} or None
        Schema to check (``docs/schema.md``). ``None`` checks only CRS and geometries.
    source : str, optional
        File and layer (or parameter name) used in messages.
    repair : bool, default True
        Repair invalid geometries with ``shapely.make_valid`` (and warn); with ``False``
        invalid geometries are a validation problem.
    require_metric : bool, default False
        Also require a projected CRS in metres.
    allow_empty : bool, default False
        Accept a layer with no features (returned with the schema columns) instead of
        reporting it as a problem.

    Returns
    -------
    GeoDataFrame
        A copy with normalized columns (see ``docs/io.md``): schema column names, category
        values in schema spelling, ``fenced`` bool, int codes, ``timestamp`` as
        ``datetime64[ns, UTC]``, missing optional columns filled.

    Raises
    ------
    ValidationError
        Listing every problem (missing CRS, geographic CRS where metres are needed, empty
        layer, null/empty/invalid geometries, wrong geometry type, missing columns,
        duplicate ids, unknown category values).
    CamigeoError
        ``gdf`` is not a GeoDataFrame or ``kind`` is unknown.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> lines = gpd.GeoDataFrame({"infra_type": ["Railway"]},
    ...                          geometry=[shapely.LineString([(0, 0), (1, 1)])], crs=4326)
    >>> validate_layer(lines, "infrastructure")[["infra_type", "status", "fenced"]]
      infra_type    status  fenced
    0    railway  existing   False
    """
    name = source or "GeoDataFrame"
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise CamigeoError(f"{name}: expected a GeoDataFrame, got {type(gdf).__name__}. "
                           f"Build one with geopandas.GeoDataFrame(df, geometry=..., crs=...).")
    if kind is not None and kind not in KINDS:
        raise CamigeoError(f"unknown kind={kind!r}; expected one of {', '.join(KINDS)} or None.")
    if gdf.geometry.name not in gdf.columns:  # pragma: no cover - geopandas guards this
        raise ValidationError(["no active geometry column"], source=name)
    problems: list[str] = []
    notes: list[str] = []
    out = _normalize_names(gdf.copy(), kind)
    if len(out) == 0 and not allow_empty:
        problems.append("the layer is empty (0 features). Check the file, the layer name, "
                        "and any bbox or filter applied while reading.")
    if kind is not None:
        out = _fill_optional(out, kind, source)
    geoms = out.geometry.to_numpy()
    missing = _missing(geoms)
    bounds = shapely.bounds(geoms)  # (n, 4); NaN for null/empty
    _check_crs(out, problems, require_metric, missing, bounds)
    out = _check_geometries(out, kind, problems, notes, repair, missing, bounds)
    if kind is not None:
        if kind == "tracks":
            _check_tracks(out, problems, notes)
        else:
            _CHECKS[kind](out, problems)
    if problems:
        raise ValidationError(problems, source=name)
    for note in notes:
        warnings.warn(f"{name}: {note}.", CamigeoWarning, stacklevel=2)
    return out


def _codes_arg(value: Collection[int] | None, field: str, preset: Collection[int] | None,
               allowed: dict[int, str]) -> tuple[int, ...] | None:
    if value is None:
        return None if preset is None else tuple(preset)
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise CamigeoError(f"{field}= must be a collection of IUCN codes such as {{1, 2}}, "
                           f"got {value!r}.")
    codes = tuple(value)
    bad = [c for c in codes if c not in allowed]
    if bad:
        raise CamigeoError(f"{field}= has unknown IUCN codes {bad}; allowed: "
                           + ", ".join(f"{k} {v}" for k, v in allowed.items()) + ".")
    return codes


def filter_ranges(gdf: gpd.GeoDataFrame, *, preset: str = "default",
                  presence: Collection[int] | None = None,
                  origin: Collection[int] | None = None,
                  seasonal: Collection[int] | None = None) -> gpd.GeoDataFrame:
    """Keep the range polygons whose IUCN codes pass a filter.

    Parameters
    ----------
    gdf : GeoDataFrame
        A validated ``range`` layer (int ``presence``/``origin``/``seasonal``).
    preset : {"default", "kba", "strict", "optimistic", "none"}
        Starting codes (:data:`RANGE_FILTER_PRESETS`): default presence {1,2}, origin
        {1,2,6}, seasonal {1,2,3,4}; ``"kba"`` is the same plus ``terrestrial == "true"``
        (when that column exists); ``"strict"`` {1}, {1}, {1,2,3}; ``"optimistic"`` adds
        presence 3; ``"none"`` keeps every polygon.
    presence, origin, seasonal : collection of int, optional
        Override the preset's codes for one field (``None`` keeps the preset's).

    Returns
    -------
    GeoDataFrame
        The kept rows (index kept).

    Raises
    ------
    CamigeoError
        Unknown preset or code.
    """
    if preset not in RANGE_FILTER_PRESETS:
        raise CamigeoError(f"unknown range_filter preset {preset!r}; expected one of "
                           f"{', '.join(RANGE_FILTER_PRESETS)}.")
    base = RANGE_FILTER_PRESETS[preset] or {}
    keep = np.ones(len(gdf), dtype=bool)
    for field, value, allowed in (("presence", presence, PRESENCE_CODES),
                                  ("origin", origin, ORIGIN_CODES),
                                  ("seasonal", seasonal, SEASONAL_CODES)):
        codes = _codes_arg(value, field, base.get(field), allowed)
        if codes is not None:
            keep &= gdf[field].isin(codes).to_numpy()
    if preset == "kba" and "terrestrial" in gdf.columns:
        keep &= _map_unique(gdf["terrestrial"],
                            lambda v: str(v).strip().lower() in _TRUE).to_numpy(dtype=bool)
    out = gdf.loc[keep]
    logger.info("range filter %s kept %d of %d polygons", preset, len(out), len(gdf))
    return out
