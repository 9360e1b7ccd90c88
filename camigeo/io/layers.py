"""Read and write user layers: one validated path in, one atomic path out.

:func:`read_layer` reads GeoPackage, GeoJSON, Shapefile (also zipped as ``.zip`` or
``.shp.zip``), GeoParquet and FlatGeobuf (and anything else GDAL reads) through pyogrio /
pyarrow and passes the result through :func:`camigeo.validate.validate_layer`.
:func:`write_layer` writes atomically: the output is produced in a temporary file next to
the destination and moved over it with :func:`os.replace`, so a crash or ``kill -9``
never leaves a corrupt GeoPackage behind.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Collection, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from .._errors import CamigeoError, CamigeoWarning, CRSError, DataNotFoundError, SchemaError
from .atomic import atomic_path, fsync_path
from .validate import KINDS, RANGE_ALIASES, SCHEMAS, filter_ranges, validate_layer

__all__ = ["read_layer", "write_layer", "list_layers", "SUPPORTED_FORMATS"]

logger = logging.getLogger(__name__)

#: File suffix -> (format name, GDAL driver or "parquet").
SUPPORTED_FORMATS: dict[str, tuple[str, str]] = {
    ".gpkg": ("GeoPackage", "GPKG"),
    ".geojson": ("GeoJSON", "GeoJSON"),
    ".json": ("GeoJSON", "GeoJSON"),
    ".shp": ("Shapefile", "ESRI Shapefile"),
    ".shp.zip": ("zipped Shapefile", "ESRI Shapefile"),
    ".zip": ("zipped Shapefile", "ESRI Shapefile"),
    ".fgb": ("FlatGeobuf", "FlatGeobuf"),
    ".parquet": ("GeoParquet", "parquet"),
    ".geoparquet": ("GeoParquet", "parquet"),
}
_SHP_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")


def _suffix(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".shp.zip"):
        return ".shp.zip"
    return path.suffix.lower()


def _check_exists(path: Path) -> None:
    if path.exists():
        return
    folder = path.parent if path.parent.is_dir() else None
    near = ""
    if folder is not None:
        cands = sorted(p.name for p in folder.iterdir() if _suffix(p) in SUPPORTED_FORMATS)
        if cands:
            near = f" Files there: {', '.join(cands[:10])}."
    raise DataNotFoundError(f"{path}: file not found (working folder {Path.cwd()}).{near}")


def _ogr_layers(path: Path) -> list[tuple[str, str]]:
    try:
        with warnings.catch_warnings():  # GDAL's notes on a damaged file precede the error
            warnings.simplefilter("ignore", RuntimeWarning)
            arr = pyogrio.list_layers(path)
    except pyogrio.errors.DataSourceError as exc:
        raise CamigeoError(
            f"{path}: could not be opened as a vector file ({exc}). Supported: "
            f"{', '.join(sorted({v[0] for v in SUPPORTED_FORMATS.values()}))}."
        ) from exc
    return [(str(name), str(gt) if gt is not None else "None") for name, gt in arr]


def _pick_layer(path: Path, layer: str | None) -> str:
    layers = _ogr_layers(path)
    names = [name for name, _ in layers]
    if not names:
        raise DataNotFoundError(f"{path}: the file holds no layers.")
    if layer is None:
        if len(names) == 1:
            return names[0]
        listing = ", ".join(f"'{n}' ({g})" for n, g in layers)
        raise CamigeoError(
            f"{path} holds {len(names)} layers: {listing}. Pass layer= to choose one, e.g. "
            f"read_layer({str(path)!r}, layer={names[0]!r}).")
    if layer not in names:
        raise DataNotFoundError(f"{path}: no layer {layer!r}; layers in the file: "
                                f"{', '.join(repr(n) for n in names)}.")
    return layer


def _wanted_columns(fields: Sequence[str], columns: Sequence[str] | None,
                    kind: str | None, source: str) -> list[str] | None:
    if columns is None:
        return None
    missing = [c for c in columns if c not in fields]
    if missing:
        raise SchemaError(f"{source}: columns= asks for {missing} which the layer does not have; "
                          f"available columns: {', '.join(fields)}.")
    out = list(columns)
    if kind is not None:  # keep whatever the schema needs, whatever its spelling
        schema = set(SCHEMAS[kind]["required"]) | set(SCHEMAS[kind]["optional"])
        schema |= {c[:10] for c in schema}  # names cut by the Shapefile format
        for field in fields:
            low = field.lower()
            if (low in schema or RANGE_ALIASES.get(low) in schema) and field not in out:
                out.append(field)
    return out


def _read_parquet(path: Path, columns: Sequence[str] | None,
                  bbox: tuple[float, float, float, float] | None,
                  kind: str | None) -> gpd.GeoDataFrame:
    import json

    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow raises several types for non-parquet files
        raise CamigeoError(f"{path}: could not be read as GeoParquet ({exc}).") from exc
    geo = json.loads((schema.metadata or {}).get(b"geo", b"{}") or b"{}")
    if not geo.get("columns"):
        raise CamigeoError(f"{path}: a Parquet file without GeoParquet metadata (no geometry "
                           f"column); write it with GeoDataFrame.to_parquet or "
                           f"camigeo.write_layer.")
    primary = geo.get("primary_column", "geometry")
    fields = [f for f in schema.names if f not in geo["columns"]]
    cols = _wanted_columns(fields, columns, kind, str(path))
    gdf = gpd.read_parquet(path, columns=None if cols is None else [*cols, primary])
    if bbox is not None:
        gdf = gdf.loc[gdf.geometry.intersects(shapely.box(*bbox))]
    return gdf


def _read_ogr(path: Path, layer: str, source: str, columns: Sequence[str] | None,
              kind: str | None, bbox: tuple[float, float, float, float] | None,
              where: str | None) -> gpd.GeoDataFrame:
    try:
        fields = list(pyogrio.read_info(path, layer=layer)["fields"])
    except UnicodeDecodeError as exc:  # field names that are not UTF-8
        raise CamigeoError(f"{source}: the field names are not UTF-8 text ({exc}); save the "
                           f"file as UTF-8 (or GeoPackage) and read that.") from None
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise CamigeoError(f"{source}: could not be read ({exc}). Check that the file is a "
                           f"complete, supported vector file.") from exc
    wanted = _wanted_columns(fields, columns, kind, source)
    try:
        gdf = pyogrio.read_dataframe(path, layer=layer, columns=wanted, bbox=bbox, where=where)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
            pyogrio.errors.FieldError, pyogrio.errors.FeatureError,
            pyogrio.errors.GeometryError, ValueError) as exc:
        raise CamigeoError(f"{source}: could not be read ({exc}). Check that the file is a "
                           f"complete, supported vector file.") from exc
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise SchemaError(f"{source}: the layer has no geometry column (an attribute table); "
                          f"read_layer reads spatial layers. Read tables with "
                          f"pyogrio.read_dataframe(path, layer=..., read_geometry=False).")
    return gdf


def read_layer(
    path: str | os.PathLike[str],
    layer: str | Sequence[str] | None = None,
    *,
    kind: str | None = None,
    repair: bool = True,
    range_filter: str = "default",
    presence: Collection[int] | None = None,
    origin: Collection[int] | None = None,
    seasonal: Collection[int] | None = None,
    columns: Sequence[str] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    where: str | None = None,
    require_metric: bool = False,
) -> gpd.GeoDataFrame:
    """Read a vector layer, validate it and normalize it to the camigeo schema.

    Parameters
    ----------
    path : str or path-like
        GeoPackage (``.gpkg``), GeoJSON (``.geojson``/``.json``), Shapefile (``.shp``, or
        zipped as ``.zip``/``.shp.zip``), GeoParquet (``.parquet``), FlatGeobuf (``.fgb``);
        other GDAL formats are tried through pyogrio.
    layer : str or list of str, optional
        Layer name; needed only when the file holds more than one layer. A list of names
        reads those layers and concatenates them before validation (e.g. the parts of an
        IUCN download zipped together); they must share one CRS.
    kind : {"ptcr", "range", "infrastructure", "tracks"}, optional
        Schema to validate and normalize against (``docs/schema.md``); ``None`` checks
        only the CRS and the geometries.
    repair : bool, default True
        Repair invalid geometries with ``shapely.make_valid`` (with a warning) instead of
        refusing them.
    range_filter : {"default", "kba", "strict", "optimistic", "none"}
        IUCN code filter preset for ``kind="range"`` (see
        :func:`camigeo.validate.filter_ranges`): default presence {1,2}, origin {1,2,6},
        seasonal {1,2,3,4}.
    presence, origin, seasonal : collection of int, optional
        Override one field of the preset (``kind="range"`` only).
    columns : sequence of str, optional
        Read only these attribute columns (schema columns of ``kind`` are always read).
    bbox : (minx, miny, maxx, maxy), optional
        Keep features intersecting this box, in the layer's own CRS. When nothing
        intersects, an empty layer is returned with a warning (an empty *file* is an
        error).
    where : str, optional
        SQL ``WHERE`` clause evaluated by GDAL while reading (e.g.
        ``"binomial = 'Saiga tatarica'"`` to pull one species from a global IUCN file; use
        the column names as they are in the file). Not available for GeoParquet.
    require_metric : bool, default False
        Refuse layers whose CRS is not projected in metres.

    Returns
    -------
    GeoDataFrame

    Raises
    ------
    DataNotFoundError
        Missing file or layer.
    CamigeoError
        Unreadable file, several layers and no ``layer=``, bad options.
    ValidationError
        Listing every schema, CRS and geometry problem.

    Examples
    --------
    >>> ranges = read_layer("redlist_mammals.shp.zip", kind="range")  # doctest: +SKIP
    >>> roads = read_layer("roads.gpkg", layer="roads", kind="infrastructure")  # doctest: +SKIP
    """
    path = Path(path)
    if kind is not None and kind not in KINDS:
        raise CamigeoError(f"unknown kind={kind!r}; expected one of {', '.join(KINDS)} or None.")
    if kind != "range" and (presence, origin, seasonal) != (None, None, None):
        raise CamigeoError(f"presence=, origin= and seasonal= filter IUCN ranges and need "
                           f"kind='range'; got kind={kind!r}.")
    _check_exists(path)
    if not (layer is None or isinstance(layer, str) or (
            isinstance(layer, Sequence) and all(isinstance(n, str) for n in layer))):
        raise CamigeoError(f"{path}: layer={layer!r}; expected a layer name (str) or a list of "
                           f"names. List them with camigeo.list_layers({str(path)!r}).")
    if bbox is not None:
        from .guards import check_number

        if isinstance(bbox, str) or not isinstance(bbox, Sequence) or len(bbox) != 4:
            raise CamigeoError(f"{path}: bbox={bbox!r}; expected four numbers (minx, miny, "
                               f"maxx, maxy) in the layer's CRS.")
        bbox = tuple(check_number(v, name=f"bbox[{i}]")  # type: ignore[assignment]
                     for i, v in enumerate(bbox))
    if _suffix(path) in (".parquet", ".geoparquet"):
        if layer not in (None, path.stem):
            raise DataNotFoundError(f"{path}: a GeoParquet file has one layer ({path.stem!r}); "
                                    f"got layer={layer!r}.")
        source = str(path)
        if where is not None:
            raise CamigeoError(f"{path}: where= (an SQL filter run by GDAL) is not available "
                               f"for GeoParquet; filter the result instead, e.g. "
                               f"gdf.query(...) or gdf[gdf['sci_name'] == ...].")
        gdf = _read_parquet(path, columns, bbox, kind)
    elif layer is None or isinstance(layer, str):
        layer = _pick_layer(path, layer)
        source = f"{path} (layer '{layer}')"
        gdf = _read_ogr(path, layer, source, columns, kind, bbox, where)
    else:
        layers = [_pick_layer(path, name) for name in layer]
        if not layers:
            raise CamigeoError(f"{path}: layer= is an empty list; give a layer name or a "
                               f"list of names.")
        source = f"{path} (layers {', '.join(repr(n) for n in layers)})"
        parts = [_read_ogr(path, name, f"{path} (layer '{name}')", columns, kind, bbox, where)
                 for name in layers]
        crs = [CRS(p.crs) if p.crs is not None else None for p in parts]
        if any(c != crs[0] for c in crs):
            names = ", ".join(f"'{n}' {c.name if c else 'no CRS'}" for n, c in zip(
                layers, crs, strict=True))
            raise CRSError(f"{source}: the layers to combine have different CRSs ({names}); "
                           f"read them one by one and reproject with gdf.to_crs(...).")
        gdf = pd.concat(parts, ignore_index=True)
    logger.info("read %d features from %s", len(gdf), source)
    filtered = bbox is not None or where is not None
    if filtered and len(gdf) == 0:
        warnings.warn(f"{source}: no feature matches the bbox/where filter; returning an "
                      f"empty layer.", CamigeoWarning, stacklevel=2)
    gdf = validate_layer(gdf, kind, source=source, repair=repair,
                         require_metric=require_metric, allow_empty=filtered)
    if kind == "range":
        gdf = filter_ranges(gdf, preset=range_filter, presence=presence, origin=origin,
                            seasonal=seasonal)
        if len(gdf) == 0:
            warnings.warn(f"{source}: no range polygon passed the '{range_filter}' filter "
                          f"(presence/origin/seasonal); pass range_filter='none' to keep all.",
                          CamigeoWarning, stacklevel=2)
    return gdf


# --------------------------------------------------------------------------- writing
def _driver_for(path: Path, driver: str | None) -> str:
    if driver is not None:
        return driver
    suffix = _suffix(path)
    if suffix not in SUPPORTED_FORMATS or suffix == ".zip":
        raise CamigeoError(
            f"{path}: cannot tell the format from the suffix {suffix or '(none)'!r}; use one of "
            f".gpkg, .geojson, .shp, .shp.zip, .fgb, .parquet or pass driver= (a GDAL driver "
            f"name such as 'GPKG').")
    return SUPPORTED_FORMATS[suffix][1]


def _for_shapefile(gdf: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    """Adapt a layer to the Shapefile format, saying what changes (one warning).

    Field names are cut to 10 characters (read_layer maps cut schema names back) and
    date-times are stored as ISO 8601 text (read_layer(kind="tracks") parses them back).
    """
    geom = gdf.geometry.name
    attrs = [c for c in gdf.columns if c != geom]
    cut = {c: str(c)[:10] for c in attrs if len(str(c)) > 10}
    names = [cut.get(c, c) for c in attrs]
    clash = sorted({n for n in names if names.count(n) > 1})
    if clash:
        raise CamigeoError(
            f"{path}: Shapefile field names are limited to 10 characters and cutting them "
            f"makes duplicate names {clash}; rename the columns or write a GeoPackage.")
    dts = [c for c in attrs if pd.api.types.is_datetime64_any_dtype(gdf[c])]
    if not cut and not dts:
        return gdf
    changes = []
    if cut:
        changes.append(f"field names cut to 10 characters {cut}")
    if dts:
        changes.append(f"date-time column(s) {dts} written as ISO 8601 text")
    warnings.warn(f"{path}: the Shapefile format forces changes: {'; '.join(changes)}. "
                  f"read_layer(kind=...) maps them back; use GeoPackage to keep them as they "
                  f"are.", CamigeoWarning, stacklevel=3)
    out = gdf.copy()
    for c in dts:
        out[c] = out[c].map(lambda t: None if pd.isna(t) else t.isoformat()).astype("str")
    return out.rename(columns=cut)


def _utc_datetimes(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """GeoPackage stores date-times in UTC: convert tz-aware columns (same instants)."""
    cols = [c for c in gdf.columns if isinstance(gdf[c].dtype, pd.DatetimeTZDtype)
            and str(gdf[c].dt.tz) != "UTC"]
    if not cols:
        return gdf
    out = gdf.copy()
    for c in cols:
        out[c] = out[c].dt.tz_convert("UTC")
    return out


def _existing(path: Path, driver: str) -> gpd.GeoDataFrame | None:
    """Read the features of a single-layer file (for append by rewrite); None if absent."""
    if not path.exists():
        return None
    if driver == "parquet":
        return gpd.read_parquet(path)
    return pyogrio.read_dataframe(path, layer=_ogr_layers(path)[0][0])


def _family(geom_type: str) -> str:
    return geom_type.removeprefix("Multi").replace("LinearRing", "LineString")


def _check_append(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    """Refuse an append GDAL would do lossily: new fields, incompatible types, CRS, geometry."""
    if not path.exists() or layer not in [n for n, _ in _ogr_layers(path)]:
        return
    info = pyogrio.read_info(path, layer=layer)
    where = f"{path} (layer '{layer}')"
    if info["crs"] is not None and not CRS(info["crs"]).equals(gdf.crs):
        raise CRSError(f"{where} is in {CRS(info['crs']).name}; the appended features are in "
                       f"{CRS(gdf.crs).name}. Reproject with gdf.to_crs(...) first.")
    fields = dict(zip(info["fields"], info["dtypes"], strict=True))
    attrs = [c for c in gdf.columns if c != gdf.geometry.name]
    extra = [c for c in attrs if c not in fields]
    if extra:
        raise SchemaError(f"{where}: the appended features have column(s) {extra} that the "
                          f"layer does not have (it has {', '.join(fields) or 'none'}); drop "
                          f"or rename them, or replace the layer.")
    for col in attrs:
        old, new = str(fields[col]), gdf[col].dtype
        numeric_old = old.startswith(("int", "float", "bool"))
        bad = ((numeric_old and not pd.api.types.is_numeric_dtype(new))
               or (old.startswith("int") and pd.api.types.is_float_dtype(new)
                   and not (gdf[col].dropna() % 1 == 0).all())
               or (old.startswith("datetime") and not pd.api.types.is_datetime64_any_dtype(new)))
        if bad:
            raise SchemaError(f"{where}: column '{col}' holds {old} values but the appended "
                              f"features have {new}; convert them first.")
    layer_type = str(info["geometry_type"])
    new_types = {_family(t) for t in gdf.geom_type.dropna().unique()}
    if layer_type not in ("Unknown", "Geometry", "None") and new_types - {_family(layer_type)}:
        raise SchemaError(f"{where} holds {layer_type} geometries; the appended features are "
                          f"{', '.join(sorted(new_types))}.")


def _write_shapefile(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """Write the parts in a temporary folder, then move each over the old one."""
    tmpdir = Path(tempfile.mkdtemp(prefix=f".{path.stem}.", dir=path.parent))
    try:
        pyogrio.write_dataframe(gdf, tmpdir / path.name, driver="ESRI Shapefile",
                                encoding="UTF-8")
        new = {p.suffix.lower(): p for p in tmpdir.iterdir()}
        for suffix, part in new.items():
            fsync_path(part)
            os.replace(part, path.with_suffix(suffix))
        for suffix in _SHP_PARTS:  # stale sidecars (old index, old .cpg)
            if suffix not in new:
                with contextlib.suppress(FileNotFoundError):
                    path.with_suffix(suffix).unlink()
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def _zip_shapefile(gdf: gpd.GeoDataFrame, dest: Path, layer: str) -> None:
    """Write ``layer.shp`` and its sidecars into the zip archive ``dest``."""
    import zipfile

    tmpdir = Path(tempfile.mkdtemp(prefix=f".{layer}.", dir=dest.parent))
    try:
        pyogrio.write_dataframe(gdf, tmpdir / f"{layer}.shp", driver="ESRI Shapefile",
                                encoding="UTF-8")
        with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for part in sorted(tmpdir.iterdir()):
                zf.write(part, part.name)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


def write_layer(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    layer: str | None = None,
    *,
    driver: str | None = None,
    mode: str = "replace",
) -> Path:
    """Write a layer atomically, keeping CRS, bool and datetime columns.

    For a GeoPackage the existing file (with its other layers) is copied to a temporary file
    in the same folder, the layer is written there, and the copy replaces the original with
    :func:`os.replace`; an interrupted write leaves the old file intact.

    Parameters
    ----------
    gdf : GeoDataFrame
        Layer to write (needs a CRS; not modified).
    path : str or path-like
        Destination: ``.gpkg``, ``.geojson``, ``.shp``, ``.shp.zip``, ``.fgb``, ``.parquet``.
    layer : str, optional
        Layer name (GeoPackage); defaults to the file stem. Single-layer formats ignore it.
    driver : str, optional
        GDAL driver name, when the suffix does not tell it.
    mode : {"replace", "append"}
        ``"replace"`` the layer (other GeoPackage layers are kept) or ``"append"`` the
        features to it (the CRS must match).

    Returns
    -------
    pathlib.Path
        The written path.

    Raises
    ------
    CRSError
        ``gdf`` has no CRS, or its CRS differs from the layer it is appended to.
    CamigeoError
        Bad ``mode``/format, or the write failed (the old file is left unchanged).

    Notes
    -----
    Shapefiles store date-times as ISO 8601 text (a :class:`CamigeoWarning` says so) and
    consist of several files, each replaced atomically one after the other.
    There is no locking: concurrent writers to one GeoPackage each start from the same old
    file and the last replace wins; hold :func:`camigeo.atlas.atlas_lock` around them.
    """
    path = Path(path)
    if mode not in ("replace", "append"):
        raise CamigeoError(f"mode={mode!r}; expected 'replace' or 'append'.")
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise CamigeoError(f"write_layer: expected a GeoDataFrame, got {type(gdf).__name__}.")
    if gdf.crs is None:
        raise CRSError(f"write_layer({path}): the GeoDataFrame has no CRS; set it with "
                       f"gdf.set_crs(...) before writing so readers know the coordinates.")
    from .guards import check_geometries, check_no_nul

    check_no_nul(gdf, name=f"write_layer({path})")
    check_geometries(gdf, name=f"write_layer({path})", repair=None)  # NaN vertices
    driver = _driver_for(path, driver)
    layer = layer or path.name.split(".")[0]
    if driver == "ESRI Shapefile":
        gdf = _for_shapefile(gdf, path)
    elif driver == "GPKG":
        gdf = _utc_datetimes(gdf)
    if driver == "ESRI Shapefile" and _suffix(path) == ".shp":
        layer = path.stem  # a .shp file's layer is its file name
    if mode == "append" and driver == "GPKG":
        _check_append(gdf, path, layer)
    elif mode == "append":  # single-layer formats: read, concatenate, rewrite
        old = _existing(path, driver)
        if old is not None and old.crs is not None and not CRS(old.crs).equals(gdf.crs):
            raise CRSError(f"{path} is in {CRS(old.crs).name}; the appended features are in "
                           f"{CRS(gdf.crs).name}. Reproject with gdf.to_crs(...) first.")
        if old is not None:
            gdf = pd.concat([old, gdf], ignore_index=True)
    try:
        if driver == "ESRI Shapefile" and _suffix(path) == ".shp":
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_shapefile(gdf, path)
        elif driver == "ESRI Shapefile" and _suffix(path) == ".shp.zip":
            with atomic_path(path) as tmp:
                _zip_shapefile(gdf, tmp, layer)
        else:
            keep_others = driver == "GPKG"
            with atomic_path(path, copy_existing=keep_others) as tmp:
                if driver == "parquet":
                    gdf.to_parquet(tmp)
                else:
                    append = driver == "GPKG" and mode == "append" and tmp.exists()
                    # FlatGeobuf's spatial index would reorder the features
                    opts = {"SPATIAL_INDEX": "NO"} if driver == "FlatGeobuf" else {}
                    pyogrio.write_dataframe(gdf, tmp, layer=layer, driver=driver,
                                            append=append, layer_options=opts or None)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
            pyogrio.errors.FieldError, pyogrio.errors.FeatureError,
            pyogrio.errors.GeometryError, OSError) as exc:
        raise CamigeoError(f"{path} (layer '{layer}'): writing failed ({exc}); the existing "
                           f"file, if any, is unchanged.") from exc
    logger.info("wrote %d features to %s (layer %s, %s)", len(gdf), path, layer, mode)
    return path


def list_layers(path: str | os.PathLike[str]) -> pd.DataFrame:
    """List the layers of a vector file.

    Parameters
    ----------
    path : str or path-like
        Any file :func:`read_layer` reads.

    Returns
    -------
    DataFrame
        Columns ``name``, ``geometry_type``, ``count`` (features), one row per layer.

    Raises
    ------
    DataNotFoundError
        The file does not exist.
    CamigeoError
        The file cannot be opened.
    """
    path = Path(path)
    _check_exists(path)
    if _suffix(path) in (".parquet", ".geoparquet"):
        import json

        import pyarrow.parquet as pq

        meta = pq.read_metadata(path)
        geo = json.loads((meta.metadata or {}).get(b"geo", b"{}"))
        col = geo.get("primary_column", "geometry")
        types = geo.get("columns", {}).get(col, {}).get("geometry_types") or ["Unknown"]
        rows = [(path.stem, "/".join(types), meta.num_rows)]
    else:
        rows = []
        for name, gtype in _ogr_layers(path):
            info = pyogrio.read_info(path, layer=name, force_feature_count=True)
            rows.append((name, gtype, int(info["features"])))
    return pd.DataFrame(rows, columns=["name", "geometry_type", "count"])
