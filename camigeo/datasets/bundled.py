"""Bundled data: country borders, PTCRs, species and ranges, linear infrastructure.

The layers live in the repository's ``data/`` folder (shipped inside the wheel as
``camigeo/_bundled_data``) and are built by ``scripts/build_data.py``. Every loader returns
a fresh copy in EPSG:4326 that follows ``docs/schema.md``; loading goes through
:func:`camigeo.io.read_layer`, so the bundled layers pass the same validation as user data.

Important: the PTCR names, countries, species and the species table are parsed from the
CAMI Work Programme 2026-2032; the PTCR **outlines** are approximations (not the official
boundaries), the species ranges **indicative** and the infrastructure lines **schematic**
(see ``docs/data.md``); replace them with official layers through
:func:`camigeo.read_layer` whenever you have them.

Where the data is looked up, in order:

1. the folder in the environment variable ``CAMIGEO_DATA_DIR``;
2. ``camigeo/_bundled_data`` next to this module (installed wheel);
3. ``<repository>/data`` (editable install or source checkout).

Examples
--------
>>> from camigeo import datasets
>>> datasets.available()[["name", "features"]].head(3)  # doctest: +SKIP
>>> ptcrs = datasets.load_ptcrs()
>>> len(ptcrs)
13
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from .._errors import CamigeoError, DataNotFoundError
from ..io.validate import INFRA_STATUS as _INFRA_STATUS
from ..io.validate import INFRA_TYPES as _INFRA_TYPES
from .paths import DATA_ENV_VAR, REGISTRY, data_dir, get_path, registry_entry

__all__ = [
    "DATA_ENV_VAR",
    "INFRA_TYPES",
    "INFRA_STATUSES",
    "data_dir",
    "available",
    "get_path",
    "describe",
    "load_ptcrs",
    "load_species",
    "load_ranges",
    "load_infrastructure",
    "load_infrastructure_sites",
    "load_borders",
    "load_countries",
    "example_path",
    "load_tracks",
]

logger = logging.getLogger(__name__)

#: Accepted ``infra_type`` / ``status`` filter values (the schema's, from camigeo.validate).
INFRA_TYPES = _INFRA_TYPES
INFRA_STATUSES = _INFRA_STATUS


def _manifest(folder: str) -> dict[str, Any]:
    return _read_manifest(str(data_dir() / folder / "MANIFEST.json"))


@functools.lru_cache(maxsize=16)
def _read_manifest(path: str) -> dict[str, Any]:
    if not Path(path).is_file():
        return {}
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _file_meta(name: str) -> dict[str, Any]:
    entry = registry_entry(name)
    for rec in _manifest(entry.folder).get("files", []):
        if rec.get("file") == entry.file:
            return rec
    return {}


def _count(name: str) -> int | None:
    entry, meta = registry_entry(name), _file_meta(name)
    if entry.layer is None:
        return meta.get("rows")
    return meta.get("layers", {}).get(entry.layer, {}).get("features")


def available() -> pd.DataFrame:
    """List the bundled data sets.

    Returns
    -------
    pandas.DataFrame
        One row per data set: ``name, description, path, layer, kind, features``
        (feature or row count from the folder's ``MANIFEST.json``).

    Examples
    --------
    >>> "ptcr" in set(available()["name"])
    True
    """
    rows = []
    for name, entry in REGISTRY.items():
        rows.append({"name": name, "description": entry.description,
                     "path": str(data_dir() / entry.folder / entry.file),
                     "layer": entry.layer, "kind": entry.kind, "features": _count(name)})
    out = pd.DataFrame(rows)
    out["features"] = out["features"].astype("Int64")
    return out


def describe(name: str) -> dict[str, Any]:
    """Metadata of one bundled data set: description, path, counts, checksum, sources.

    Parameters
    ----------
    name : str
        A name from :func:`available`.

    Returns
    -------
    dict
        Keys ``name, description, path, layer, kind, features, sha256, size_bytes,
        build_date, crs, sources, readme`` (path of the folder's README.md).
    """
    entry = registry_entry(name)
    path = get_path(name)
    meta, manifest = _file_meta(name), _manifest(entry.folder)
    return {"name": name, "description": entry.description, "path": str(path),
            "layer": entry.layer, "kind": entry.kind, "features": _count(name),
            "sha256": meta.get("sha256"), "size_bytes": meta.get("size_bytes"),
            "build_date": manifest.get("build_date"), "crs": manifest.get("crs"),
            "sources": manifest.get("sources", []),
            "readme": str(path.parent / "README.md")}


def _read(name: str) -> gpd.GeoDataFrame:
    """Read a bundled layer once per process; callers must copy before returning it."""
    entry = registry_entry(name)
    return _read_cached(str(get_path(name)), entry.layer, entry.kind)


@functools.lru_cache(maxsize=16)
def _read_cached(path: str, layer: str | None, kind: str | None) -> gpd.GeoDataFrame:
    from ..io.layers import read_layer

    if kind == "range":  # filtering happens in load_ranges
        return read_layer(path, layer=layer, kind="range", range_filter="none")
    return read_layer(path, layer=layer, kind=kind)


def _as_list(value: str | Iterable[str], param: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    try:
        items = list(value)
    except TypeError:
        raise CamigeoError(f"{param}= must be a str or a list of str; got "
                           f"{type(value).__name__} {value!r}.") from None
    if not all(isinstance(v, str) for v in items):
        raise CamigeoError(f"{param}= must be a str or a list of str; got {items!r}.")
    return items


def _check_values(values: list[str], allowed: tuple[str, ...], param: str) -> None:
    bad = [v for v in values if v not in allowed]
    if bad:
        raise CamigeoError(f"{param}={bad[0]!r} is not a known value; expected one of "
                           f"{', '.join(allowed)}.")


def load_ptcrs() -> gpd.GeoDataFrame:
    """Load the 13 Priority Transboundary Conservation Regions of the CAMI Work Programme.

    Names, order, countries, species and instruments are the Work Programme's; the outlines
    are approximations built from Natural Earth regions and documented places.

    Returns
    -------
    GeoDataFrame
        ``ptcr`` schema (docs/schema.md), EPSG:4326, sorted by ``ptcr_id``.
    """
    return _read("ptcr").copy()


def load_species() -> pd.DataFrame:
    """Load the 17 CAMI species table (same as :func:`camigeo.species.species_table`)."""
    from .species import species_table

    return species_table()


def load_ranges(species: str | Iterable[str] | None = None, *,
                range_filter: str = "default",
                presence: Collection[int] | None = None,
                origin: Collection[int] | None = None,
                seasonal: Collection[int] | None = None) -> gpd.GeoDataFrame:
    """Load the indicative species range polygons (IUCN schema).

    Parameters
    ----------
    species : str or list of str, optional
        Common, CMS, IUCN or synonym names (resolved by
        :func:`camigeo.species.resolve_species`); ``None`` keeps all 17 species.
    range_filter : {"default", "kba", "strict", "optimistic", "none"}
        IUCN code preset (default presence {1,2}, origin {1,2,6}, seasonal {1,2,3,4}).
    presence, origin, seasonal : collection of int, optional
        Override one field of the preset, e.g. ``presence=[1, 5]``.

    Returns
    -------
    GeoDataFrame
        ``range`` schema, ``sci_name`` = CMS name. Empty (same columns) when no polygon
        passes the filter.

    Raises
    ------
    UnknownSpeciesError
        A species name does not resolve; the message suggests close names.
    CamigeoError
        Bad filter preset or codes.
    """
    from ..io.validate import filter_ranges
    from .species import resolve_species

    gdf = _read("ranges")
    gdf = filter_ranges(gdf, preset=range_filter, presence=presence, origin=origin,
                        seasonal=seasonal)
    if species is not None:
        names = [resolve_species(s) for s in _as_list(species, "species")]
        gdf = gdf[gdf["sci_name"].isin(names)]
    return gdf.copy()


def load_infrastructure(infra_type: str | Iterable[str] | None = None,
                        status: str | Iterable[str] | None = None) -> gpd.GeoDataFrame:
    """Linear infrastructure of the CAMI documents (railways, roads, border fences).

    Parameters
    ----------
    infra_type : str or list of str, optional
        Keep only these of railway, road, fence, border_fence, pipeline, canal.
    status : str or list of str, optional
        Keep only these of existing, under_construction, planned.

    Returns
    -------
    GeoDataFrame
        ``infrastructure`` schema, EPSG:4326, sorted by ``infra_id``.

    Raises
    ------
    CamigeoError
        Unknown ``infra_type`` or ``status`` value.
    """
    gdf = _read("infrastructure")
    if infra_type is not None:
        types = _as_list(infra_type, "infra_type")
        _check_values(types, INFRA_TYPES, "infra_type")
        gdf = gdf[gdf["infra_type"].isin(types)]
    if status is not None:
        statuses = _as_list(status, "status")
        _check_values(statuses, INFRA_STATUSES, "status")
        gdf = gdf[gdf["status"].isin(statuses)]
    return gdf.copy()


def load_infrastructure_sites() -> gpd.GeoDataFrame:
    """Border ports, mitigation measures and barriers that are not drawn as lines.

    Layer ``sites`` of the infrastructure GeoPackage: ``site_id, site_type, name, infra_id``
    (``; ``-joined ids of the related lines, may be empty), ``status, year, location``
    (``station``, ``border_side`` or ``not_documented``), ``source``, ``accuracy_km``.
    Sites whose place the documents do not give have an empty (None) geometry.

    Returns
    -------
    GeoDataFrame
        Points (or None) in EPSG:4326, sorted by ``site_id``.
    """
    gdf = gpd.read_file(get_path("infrastructure"), layer="sites")
    gdf["year"] = gdf["year"].astype("Int64")
    gdf["infra_id"] = gdf["infra_id"].fillna("")
    return gdf.sort_values("site_id", ignore_index=True)


def load_borders() -> gpd.GeoDataFrame:
    """Shared land border of each pair of bundled countries (MultiLineString, ``length_km``)."""
    return _read("borders").copy()


def load_countries() -> gpd.GeoDataFrame:
    """CAMI range states and neighbours (``iso3``, ``iso_n3``, ``name``), Natural Earth 1:10m."""
    return _read("countries").copy()


#: Example files shipped for the README, the notebooks and ``camigeo run --tracks``.
_EXAMPLES: dict[str, tuple[str, str]] = {
    "planned_railway.gpkg": ("examples", "SCHEMATIC planned fenced railway (WP 21.5), built by "
                                         "scripts/data_examples.py"),
    "collars_synthetic.csv": ("tracks", "SYNTHETIC collar fixes (not real animals), built by "
                                        "scripts/data_tracks.py"),
}


def example_path(name: str) -> Path:
    """Path of a bundled example file.

    Parameters
    ----------
    name : str
        ``"planned_railway.gpkg"`` (a SCHEMATIC planned fenced railway after activity 21.5
        of the CAMI Work Programme, for :func:`camigeo.screen_project`) or
        ``"collars_synthetic.csv"`` (SYNTHETIC GPS collar fixes in Movebank format, not real
        animals, for the telemetry step and migration corridors).

    Returns
    -------
    pathlib.Path
    """
    if name not in _EXAMPLES:
        raise DataNotFoundError(f"example: unknown example {name!r}; available: "
                                f"{sorted(_EXAMPLES)}.")
    p = data_dir() / _EXAMPLES[name][0] / name
    if not p.is_file():
        raise DataNotFoundError(f"example: {p} is missing; rebuild it with "
                                f"`python scripts/data_{_EXAMPLES[name][0]}.py`.")
    return p


def load_tracks() -> gpd.GeoDataFrame:
    """Load the bundled SYNTHETIC example collar data set (not real animals).

    Six animals, a fix every 4 hours (March-November 2024), wintering and summering either
    side of a documented border fence inside a PTCR, with quick crossings, bounces, a trace
    and an animal that does not cross (``data/tracks/README.md``). For the telemetry step
    (``camigeo run --tracks``), notebook 03 and migration corridors; never for conclusions
    about real animals.

    Returns
    -------
    GeoDataFrame
        :func:`camigeo.read_movebank` output: ``individual_id``, ``timestamp`` (UTC),
        Point geometry, EPSG:4326.
    """
    from ..io.movebank import read_movebank

    return read_movebank(example_path("collars_synthetic.csv"))
