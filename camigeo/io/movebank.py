"""Read Movebank CSV exports into a GeoDataFrame of GPS fixes (the ``tracks`` schema).

Movebank writes its attribute names in three styles, depending on the export route:
dashes (``individual-local-identifier``, the web export), underscores
(``individual_local_identifier``, the API and ``move2``) and dots
(``individual.local.identifier``, R's ``read.csv``). :func:`read_movebank` accepts all three.
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from .._errors import CamigeoWarning, DataNotFoundError, SchemaError, ValidationError
from .validate import validate_layer

__all__ = ["read_movebank", "MOVEBANK_COLUMNS"]

logger = logging.getLogger(__name__)

#: The Movebank attributes read_movebank needs (canonical underscore spelling) -> output name.
MOVEBANK_COLUMNS = {
    "individual_local_identifier": "individual_id",
    "timestamp": "timestamp",
    "location_long": "location_long",
    "location_lat": "location_lat",
}
_FALLBACK_ID = "tag_local_identifier"
_LIMIT = 10


def _canonical(name: str) -> str:
    """``individual-local-identifier`` / ``individual.local.identifier`` -> underscores."""
    return re.sub(r"[-.\s]+", "_", name.strip().lower())


def _style_hint() -> str:
    styles = []
    for sep, label in (("-", "dash"), ("_", "underscore"), (".", "dot")):
        cols = ", ".join(c.replace("_", sep) for c in MOVEBANK_COLUMNS)
        styles.append(f"{label} style: {cols}")
    return "; ".join(styles)


def _rows(mask: np.ndarray, index: pd.Index) -> str:
    """File line numbers (the header is line 1) of the selected rows."""
    lines = (np.asarray(index)[mask] + 2).tolist()
    shown = ", ".join(map(str, lines[:_LIMIT]))
    return shown + (f" and {len(lines) - _LIMIT} more" if len(lines) > _LIMIT else "")


def _separator(path: Path, encoding: str = "utf-8") -> str:
    """Comma, or ';' / tab when the header line clearly uses those (spreadsheet exports)."""
    with path.open(encoding=encoding, errors="replace") as fh:
        first = fh.readline()
    for sep in (",", ";", "\t"):
        if first.count(sep) >= 3:
            return sep
    return ","


def read_movebank(path: str | os.PathLike[str], *, crs: str | CRS = "EPSG:4326",
                  encoding: str | None = None) -> gpd.GeoDataFrame:
    """Read a Movebank CSV export as GPS fixes.

    Parameters
    ----------
    path : str or path-like
        CSV file (comma-separated; ``;`` or tab is detected from the header) with the
        Movebank attributes ``individual-local-identifier``,
        ``timestamp``, ``location-long`` and ``location-lat`` in dash, underscore or dot
        style (``tag-local-identifier`` is used, with a warning, when the individual
        column is absent). Fixes flagged ``visible=false`` (Movebank outliers) are kept,
        with a warning counting them.
    crs : str or pyproj.CRS, default "EPSG:4326"
        CRS of ``location-long``/``location-lat`` (Movebank exports WGS84 lon/lat).
    encoding : str, optional
        Text encoding of the file. Default: detected (UTF-8, UTF-16 with BOM, or, for
        spreadsheet exports, CP1251 or Latin-1 with a :class:`CamigeoWarning` naming it).

    Returns
    -------
    GeoDataFrame
        One Point per fix in ``crs``; ``individual_id`` (str), ``timestamp``
        (``datetime64[ns, UTC]``; Movebank times are UTC), the other columns as in the file
        (the coordinate columns become the geometry). Rows without coordinates are dropped
        (with a :class:`CamigeoWarning` counting them). Sorted by individual, then time;
        new 0..n-1 index.

    Raises
    ------
    DataNotFoundError
        The file does not exist.
    SchemaError
        A required column is missing (the message lists each accepted style).
    ValidationError
        Unparseable or empty timestamps, empty ids, or coordinates outside lon/lat range
        (with file line numbers).

    Examples
    --------
    >>> fixes = read_movebank("saiga_study.csv")  # doctest: +SKIP
    >>> fixes.groupby("individual_id").size()  # doctest: +SKIP
    """
    path = Path(path)
    if path.is_dir():
        raise DataNotFoundError(f"{path} is a folder; expected a Movebank CSV file. Pass the "
                                f"path of the .csv file inside it.")
    if not path.is_file():
        raise DataNotFoundError(f"{path}: Movebank CSV not found (working folder {Path.cwd()}).")
    from .encoding import decode_error, detect_encoding

    what = "Movebank CSV"
    enc = encoding or detect_encoding(path, what=what)
    if encoding is None and enc in ("cp1251", "latin-1"):
        warnings.warn(f"{path}: not UTF-8; read as {enc} (detected). Pass encoding= if the "
                      f"names look wrong.", CamigeoWarning, stacklevel=2)
    try:
        sep = _separator(path, enc)
        header = pd.read_csv(path, nrows=0, sep=sep, encoding=enc).columns
    except UnicodeDecodeError as exc:
        raise decode_error(path, enc, exc, what=what) from None
    except LookupError:
        raise SchemaError(f"encoding={encoding!r} is not a known text encoding; use e.g. "
                          f"'utf-8', 'cp1251' or 'latin-1'.") from None
    except pd.errors.EmptyDataError:
        raise SchemaError(f"{path}: the {what} is empty (no header line). Export the study "
                          f"again from Movebank (Download > CSV).") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise SchemaError(f"{path}: not a readable CSV ({exc}). Export the study again from "
                          f"Movebank as CSV.") from None
    canon: dict[str, str] = {}
    for col in header:
        canon.setdefault(_canonical(col), col)
    id_key = "individual_local_identifier"
    missing = [k for k in MOVEBANK_COLUMNS if k not in canon]
    if id_key in missing and _FALLBACK_ID in canon:
        missing.remove(id_key)
        id_key = _FALLBACK_ID
        warnings.warn(f"{path}: no individual-local-identifier column; using "
                      f"'{canon[_FALLBACK_ID]}' (the tag id) as individual_id.",
                      CamigeoWarning, stacklevel=2)
    if missing:
        raise SchemaError(
            f"{path}: not a Movebank CSV, missing column(s) {', '.join(missing)} "
            f"(any style). Expected, in one of the styles: {_style_hint()}. Found: "
            f"{', '.join(map(str, header))}.")
    src = {canon[id_key]: "individual_id", canon["timestamp"]: "timestamp",
           canon["location_long"]: "location_long", canon["location_lat"]: "location_lat"}
    try:
        with warnings.catch_warnings():  # rows longer than the header are malformed
            warnings.simplefilter("error", pd.errors.ParserWarning)
            df = pd.read_csv(path, sep=sep, encoding=enc, index_col=False,
                             dtype={canon[id_key]: str, canon["timestamp"]: str})
    except UnicodeDecodeError as exc:
        raise decode_error(path, enc, exc, what=what) from None
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError) as exc:
        raise SchemaError(f"{path}: the {what} has malformed rows ({exc}). Check the lines "
                          f"named (quotes, separators) or export the study again.") from None
    if df.empty:
        raise SchemaError(f"{path}: the {what} has a header but no fixes. Check the export "
                          f"(study, animals and time range selected in Movebank).")
    # other columns that already use the output names would clash with the renamed ones
    clash = [c for c in df.columns if c in src.values() and c not in src]
    df = df.drop(columns=clash).rename(columns=src)

    problems: list[str] = []
    lon = pd.to_numeric(df["location_long"], errors="coerce")
    lat = pd.to_numeric(df["location_lat"], errors="coerce")
    not_num = ((df["location_long"].notna() & lon.isna()) |
               (df["location_lat"].notna() & lat.isna())).to_numpy()
    if not_num.any():
        problems.append(f"location-long/location-lat are not numbers at line(s) "
                        f"{_rows(not_num, df.index)}.")
    no_xy = (lon.isna() | lat.isna()).to_numpy() & ~not_num
    if CRS.from_user_input(crs).is_geographic:
        out_of_range = ~no_xy & ~not_num & ((lon.abs() > 180) | (lat.abs() > 90)).to_numpy()
        if out_of_range.any():
            problems.append(
                f"coordinates outside lon -180..180 / lat -90..90 at line(s) "
                f"{_rows(out_of_range, df.index)}; if they are projected, pass crs=.")
    text = df["timestamp"].str.strip()
    times = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    bad_t = (text.notna() & times.isna()).to_numpy()
    if bad_t.any():
        examples = ", ".join(repr(v) for v in text[bad_t].head(3))
        problems.append(
            f"timestamp could not be parsed at line(s) {_rows(bad_t, df.index)} (e.g. "
            f"{examples}); Movebank writes 'yyyy-MM-dd HH:mm:ss.SSS' in UTC.")
    empty_t = text.isna().to_numpy()
    if empty_t.any():
        problems.append(f"timestamp is empty at line(s) {_rows(empty_t, df.index)}.")
    empty_id = df["individual_id"].isna().to_numpy() & ~no_xy
    if empty_id.any():
        problems.append(f"{canon[id_key]} is empty at line(s) {_rows(empty_id, df.index)}.")
    if problems:
        raise ValidationError(problems, source=str(path))

    if no_xy.any():
        warnings.warn(f"{path}: dropped {int(no_xy.sum())} of {len(df)} rows without "
                      f"coordinates (line(s) {_rows(no_xy, df.index)}).", CamigeoWarning,
                      stacklevel=2)
    if "visible" in canon:
        flag = df[canon["visible"]].map(lambda v: str(v).strip().lower() in ("false", "0"))
        hidden = flag.to_numpy(dtype=bool) & ~no_xy
        if hidden.any():
            warnings.warn(
                f"{path}: {int(hidden.sum())} fixes are flagged {canon['visible']}=false "
                f"(outliers marked in Movebank) and were kept; drop them with "
                f"fixes[fixes['{canon['visible']}'].astype(str).str.lower() != 'false'].",
                CamigeoWarning, stacklevel=2)
    keep = ~no_xy
    df = df.loc[keep].drop(columns=["location_long", "location_lat"])
    df["timestamp"] = times[keep]
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(lon[keep], lat[keep]), crs=crs)
    gdf = gdf.sort_values(["individual_id", "timestamp"], kind="stable", ignore_index=True)
    first = ["individual_id", "timestamp"]
    gdf = gdf[first + [c for c in gdf.columns if c not in first]]
    logger.info("read %d fixes of %d individuals from %s", len(gdf),
                gdf["individual_id"].nunique(), path)
    return validate_layer(gdf, "tracks", source=str(path))
