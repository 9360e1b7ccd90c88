"""Check every layer before it goes into an Atlas: geometry, geometry type, CRS, numbers.

:func:`check_atlas_layers` is run by ``camigeo run`` on all layers before
:func:`camigeo.atlas.update`, and can be run on an existing Atlas
(:func:`check_atlas_file`). A layer passes when

* it has a CRS with a name (no unnamed custom CRS: "unknown" in GIS software);
* every geometry is valid (repaired with ``shapely.make_valid`` when the repair keeps the
  geometry family, else an error) and none is empty;
* it has one declared geometry type: single and multi parts of one family are promoted to
  the multi type; an empty layer gets the type given in ``geometry_types`` (else error);
* numeric columns hold no NaN/inf, except the columns named in ``nullable`` or in the
  layer's ``attrs["nullable_columns"]`` (values the source does not report, such as
  ``length_reported_km``, or that are not applicable to a row).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import SchemaError

__all__ = ["check_atlas_file", "check_atlas_layers"]

_MULTI = {"Polygon": "MultiPolygon", "LineString": "MultiLineString", "Point": "MultiPoint"}
_UNNAMED = {"", "unknown", "undefined", "unnamed"}
_TYPE_NAMES = ["Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
               "MultiLineString", "MultiPolygon", "GeometryCollection"]
#: geometry family per shapely type id (-1 missing): point 0, line 1, polygon 2, other 3
_FAMILY = np.array([0, 1, 1, 2, 0, 1, 2, 3, 3])


def _check_one(name: str, df: pd.DataFrame, nullable: set[str], declared: str | None,
               problems: list[str]) -> pd.DataFrame:
    import geopandas as gpd
    import shapely

    out = df
    if isinstance(df, gpd.GeoDataFrame):
        if df.crs is None:
            problems.append(f"{name}: no CRS")
        elif str(df.crs.name).strip().lower() in _UNNAMED:
            problems.append(f"{name}: unnamed custom CRS ({df.crs.to_string()[:60]}...); "
                            f"use an EPSG code or a named CRS")
        geoms = np.asarray(df.geometry.values)
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        if missing.any():
            problems.append(f"{name}: {int(missing.sum())} empty or missing geometries")
        bad = ~missing & ~shapely.is_valid(geoms)
        if bad.any():
            fixed = geoms.copy()
            fixed[bad] = shapely.make_valid(geoms[bad])
            same = (_FAMILY[shapely.get_type_id(fixed[bad])]
                    == _FAMILY[shapely.get_type_id(geoms[bad])])
            if not same.all():
                problems.append(f"{name}: {int((~same).sum())} invalid geometries that cannot "
                                f"be repaired in their type (first: "
                                f"{shapely.is_valid_reason(geoms[bad][~same][0])})")
            out = df.copy()
            out[df.geometry.name] = fixed
            geoms = fixed
        ids = shapely.get_type_id(geoms)
        names = sorted({_TYPE_NAMES[t] for t in ids[~missing].tolist()})
        if len(names) == 2 and any(_MULTI.get(n) in names for n in names):
            single = next(n for n in names if n in _MULTI)
            if out is df:
                out = df.copy()
            vals = np.asarray(out.geometry.values).copy()
            promote = ids == _TYPE_NAMES.index(single)
            vals[promote] = [getattr(shapely, _MULTI[single])([g]) for g in vals[promote]]
            out[df.geometry.name] = vals
            names = [_MULTI[single]]
        if len(names) > 1:
            problems.append(f"{name}: mixed geometry types {names}; split the layer")
        elif not names:
            if declared is None:
                problems.append(f"{name}: empty layer without a declared geometry type")
            else:
                if out is df:
                    out = df.copy()
                out.attrs["geometry_type"] = declared
        elif declared is not None and _MULTI.get(names[0]) == declared:
            # all single parts of a layer declared multi (e.g. every core one polygon):
            # promote them so the layer has the declared type
            if out is df:
                out = df.copy()
            vals = np.asarray(out.geometry.values).copy()
            keep = ~missing
            vals[keep] = [getattr(shapely, declared)([g]) for g in vals[keep]]
            out[df.geometry.name] = vals
        elif declared is not None and names[0] not in (declared, _MULTI.get(declared)):
            problems.append(f"{name}: geometry type {names[0]}, declared {declared}")
    num = [c for c in df.columns if c not in nullable and pd.api.types.is_numeric_dtype(df[c])
           and not pd.api.types.is_bool_dtype(df[c])]
    for c in num:
        vals = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)
        n_bad = int((~np.isfinite(vals)).sum())
        if n_bad:
            problems.append(f"{name}.{c}: {n_bad} NaN/inf values in a numeric column")
    return out


def check_atlas_layers(
    layers: Mapping[str, pd.DataFrame],
    *,
    nullable: Mapping[str, set[str] | list[str] | tuple[str, ...]] | None = None,
    geometry_types: Mapping[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Validate (and minimally repair) Atlas layers before writing them.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame or DataFrame
    nullable : mapping of layer name to column names, optional
        Numeric columns allowed to hold NaN (not reported by the source). ``"*"`` as a
        layer name applies to every layer.
    geometry_types : mapping of layer name to geometry type, optional
        Declared type of a layer ("Point", "LineString", "MultiPolygon", ...): used for an
        empty layer (written with that type) and checked against a non-empty one.

    Returns
    -------
    dict
        The layers, with invalid geometries repaired (same family), single parts promoted
        to multi where a layer mixes both, and ``attrs["geometry_type"]`` set on empty
        layers.

    Raises
    ------
    SchemaError
        Listing every problem (layer, column, what was found, what is expected).
    """
    nullable = nullable or {}
    geometry_types = geometry_types or {}
    common = set(nullable.get("*", ()))
    problems: list[str] = []
    out = {}
    for name, df in layers.items():
        if not isinstance(df, pd.DataFrame):
            problems.append(f"{name}: expected a DataFrame, got {type(df).__name__}")
            continue
        own = set(df.attrs.get("nullable_columns", ()))
        out[name] = _check_one(name, df, common | own | set(nullable.get(name, ())),
                               geometry_types.get(name), problems)
    if problems:
        raise SchemaError("Atlas layers failed validation:\n  - " + "\n  - ".join(problems)
                          + "\nFix the layer (valid geometry, one geometry type, named CRS, "
                            "numbers where numbers are promised) before writing it.")
    return out


def check_atlas_file(
    atlas_path: str | os.PathLike[str],
    *,
    nullable: Mapping[str, set[str] | list[str] | tuple[str, ...]] | None = None,
) -> list[str]:
    """Problems of the current layers of an Atlas GeoPackage (empty list = passes).

    Also reports layers whose declared GeoPackage geometry type is "Unknown".

    Parameters
    ----------
    atlas_path : path
    nullable : mapping, optional
        As in :func:`check_atlas_layers`.

    Returns
    -------
    list of str
    """
    import pyogrio

    from . import store as atlas

    p = Path(atlas_path)
    problems: list[str] = []
    listing = {str(n): str(t) for n, t in pyogrio.list_layers(p)}
    for name in atlas.list_atlas_layers(p):
        t = listing.get(name)
        if t is not None and t.lower() == "unknown":
            problems.append(f"{name}: declared geometry type Unknown")
        df = atlas.read_atlas_layer(p, name)
        try:
            declared = {name: t} if t and t.lower() not in ("unknown", "none") else {}
            check_atlas_layers({name: df}, nullable=nullable, geometry_types=declared)
        except SchemaError as exc:
            problems += [ln.strip()[2:] for ln in str(exc).splitlines()
                         if ln.strip().startswith("- ")]
        else:
            if isinstance(df, pd.DataFrame) and hasattr(df, "geometry"):
                import shapely

                if (~shapely.is_valid(np.asarray(df.geometry.values))).any():
                    problems.append(f"{name}: invalid geometries stored")
    return problems

