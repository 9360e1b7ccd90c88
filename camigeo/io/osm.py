"""Read linear infrastructure from an OpenStreetMap PBF extract (extra ``osm``: pyrosm).

:func:`read_osm` keeps the OSM ways that are barriers to migrating mammals and maps their
tags into the ``infrastructure`` schema (``docs/schema.md``):

==============================================  ==============  =====================
OSM tag                                         ``infra_type``  ``status``
==============================================  ==============  =====================
railway = rail, narrow_gauge, light_rail,       railway         existing
preserved, disused
railway = construction                          railway         under_construction
railway = proposed                              railway         planned
highway = motorway, trunk, primary, secondary,  road            existing
tertiary (and their ``_link``), unclassified,
track
highway = construction / proposed               road            under_construction /
                                                                planned
barrier = fence, wall                           fence           existing
man_made = pipeline                             pipeline        existing
waterway = canal                                canal           existing
==============================================  ==============  =====================

``highway=residential``/``service``/paths and ``railway=abandoned``/``tram``/``subway`` are
not kept (settlement streets, no track, or urban rail). For ``railway``/``highway`` =
``construction``/``proposed`` the ``construction=``/``proposed=`` tag, when present, must
name a kept class. Fences and walls get ``fenced=True`` and ``fence_class="unknown"`` (OSM
does not say how permeable a fence is); every other line ``fenced=False`` (OSM does not
record railway fencing). Closed ways that pyrosm returns as polygons are turned into their
outline. Only ways are read (no relations).
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd

from .._compat import import_optional
from .._errors import CamigeoError, CamigeoWarning, DataNotFoundError
from .crs import WGS84
from .validate import validate_layer

__all__ = ["read_osm", "OSM_SOURCE", "OSM_ACCURACY_KM", "OSM_TAG_MAP"]

logger = logging.getLogger(__name__)

OSM_SOURCE = "OpenStreetMap contributors (ODbL)"
#: Positional accuracy assumed for OSM ways (about 10 m) [assumption: typical GPS/imagery
#: tracing; remote Central Asian areas can be worse].
OSM_ACCURACY_KM = 0.01

_ROAD_CLASSES = ("motorway", "trunk", "primary", "secondary", "tertiary", "unclassified",
                 "track")
_RAIL_CLASSES = ("rail", "narrow_gauge", "light_rail", "preserved", "disused")

#: OSM key -> {value: (infra_type, status)}; the first key of a way that matches wins.
OSM_TAG_MAP: dict[str, dict[str, tuple[str, str]]] = {
    "railway": {**{v: ("railway", "existing") for v in _RAIL_CLASSES},
                "construction": ("railway", "under_construction"),
                "proposed": ("railway", "planned")},
    "highway": {**{v: ("road", "existing") for v in _ROAD_CLASSES},
                **{f"{v}_link": ("road", "existing") for v in _ROAD_CLASSES[:5]},
                "construction": ("road", "under_construction"),
                "proposed": ("road", "planned")},
    "barrier": {"fence": ("fence", "existing"), "wall": ("fence", "existing")},
    "man_made": {"pipeline": ("pipeline", "existing")},
    "waterway": {"canal": ("canal", "existing")},
}
_SUBCLASS = {"railway": _RAIL_CLASSES,
             "highway": _ROAD_CLASSES + tuple(f"{v}_link" for v in _ROAD_CLASSES[:5])}
_COLUMNS = ["infra_id", "infra_type", "name", "status", "fenced", "fence_class", "countries",
            "length_reported_km", "year", "source", "accuracy_km", "osm_id", "osm_tag"]


def _check_bbox(bbox: Sequence[float] | None) -> list[float] | None:
    if bbox is None:
        return None
    try:
        minx, miny, maxx, maxy = (float(v) for v in bbox)
    except (TypeError, ValueError) as exc:
        raise CamigeoError(f"bbox={bbox!r}; expected (min_lon, min_lat, max_lon, max_lat) "
                           f"in degrees.") from exc
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise CamigeoError(f"bbox={bbox!r}; expected (min_lon, min_lat, max_lon, max_lat) "
                           f"with min < max, lon in -180..180 and lat in -90..90.")
    return [minx, miny, maxx, maxy]


def _classify(ways: pd.DataFrame) -> pd.DataFrame:
    """Columns infra_type, status, osm_tag per way (null when the way is not kept).

    The first key of :data:`OSM_TAG_MAP` that matches wins (vectorised per key).
    """
    n = len(ways)
    infra_type = np.full(n, None, dtype=object)
    status = np.full(n, None, dtype=object)
    osm_tag = np.full(n, None, dtype=object)
    # text columns (pandas "str", Arrow-backed): isin/== are vectorised there, ~40x faster
    # than on object arrays (benchmarks/bench_io.py, 100,000 ways)
    free = np.ones(n, dtype=bool)
    stages = {s: ways[s].astype("str") for s in ("construction", "proposed")}
    for key, values in OSM_TAG_MAP.items():
        col = ways[key].astype("str")
        ok = free & col.isin(list(values)).to_numpy(dtype=bool)
        if key in _SUBCLASS:  # construction=/proposed= must name a kept class
            for stage, sub in stages.items():
                named = (sub.notna() & ~sub.isin(_SUBCLASS[key])).to_numpy(dtype=bool)
                ok &= ~((col == stage).to_numpy(dtype=bool) & named)
        free &= ~ok
        hits = col.to_numpy(dtype=object)[ok]
        infra_type[ok] = [values[v][0] for v in hits]
        status[ok] = [values[v][1] for v in hits]
        osm_tag[ok] = [f"{key}={v}" for v in hits]
    return pd.DataFrame({"infra_type": infra_type, "status": status, "osm_tag": osm_tag},
                        index=ways.index)


def _to_infrastructure(ways: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Map a table of OSM ways (tag columns, ``id``, geometry) into the schema."""
    absent = [c for c in (*OSM_TAG_MAP, "name", "construction", "proposed")
              if c not in ways.columns]
    ways = ways.assign(**dict.fromkeys(absent))
    cls = _classify(ways)
    keep = cls["infra_type"].notna().to_numpy()
    ways, cls = ways.loc[keep], cls.loc[keep]
    geoms = ways.geometry
    poly = geoms.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if poly.any():
        geoms = geoms.copy()
        geoms[poly] = geoms[poly].boundary
    fenced = cls["infra_type"].eq("fence").to_numpy()
    out = gpd.GeoDataFrame({
        "infra_id": [f"osm_w{i}" for i in ways["id"]],
        "infra_type": cls["infra_type"].to_numpy(),
        "name": ways["name"].to_numpy(),
        "status": cls["status"].to_numpy(),
        "fenced": fenced,
        "fence_class": np.where(fenced, "unknown", cast(Any, None)),  # stubs reject None
        "countries": None,
        "length_reported_km": np.nan,
        "year": None,
        "source": OSM_SOURCE,
        "accuracy_km": OSM_ACCURACY_KM,
        "osm_id": ways["id"].astype("int64").to_numpy(),
        "osm_tag": cls["osm_tag"].to_numpy(),
    }, geometry=geoms.to_numpy(), crs=WGS84)
    return out


def _pbf_exception() -> type[Exception]:
    """Return the base error pyrosm raises for unreadable files (OSError if none)."""
    try:
        from pyrosm.exceptions import PBFException
    except ImportError:  # pragma: no cover - older pyrosm
        return OSError
    return PBFException


def read_osm(pbf_path: str | os.PathLike[str], *,
             bbox: Sequence[float] | None = None,
             progress: bool = False) -> gpd.GeoDataFrame:
    """Read railways, roads, fences, pipelines and canals from an OSM PBF extract.

    Parameters
    ----------
    pbf_path : str or path-like
        OpenStreetMap ``.osm.pbf`` extract (e.g. from Geofabrik).
    bbox : (min_lon, min_lat, max_lon, max_lat), optional
        Keep only ways with nodes inside this box (degrees, pyrosm's ``bounding_box``);
        ways crossing its edge are kept whole, not clipped.
    progress : bool, default False
        Show pyrosm's progress bar (``False``: silent, no output at all).

    Returns
    -------
    GeoDataFrame
        A validated ``infrastructure`` layer in EPSG:4326 (see the module docstring for the
        tag mapping) with two extra columns, ``osm_id`` (way id) and ``osm_tag`` (the tag
        that selected it, e.g. ``"highway=primary"``). Empty, with a warning, when nothing
        matches.

    Raises
    ------
    OptionalDependencyError
        pyrosm is not installed (``pip install 'camigeo[osm]'``).
    DataNotFoundError
        The file does not exist.
    CamigeoError
        Bad ``bbox`` or a file pyrosm cannot parse.

    Examples
    --------
    >>> infra = read_osm("mongolia-latest.osm.pbf", bbox=(105, 42, 112, 46))  # doctest: +SKIP
    """
    path = Path(pbf_path)
    box = _check_bbox(bbox)
    if not path.is_file():
        raise DataNotFoundError(f"{path}: OSM PBF file not found (working folder {Path.cwd()}).")
    pyrosm = import_optional("pyrosm", extra="osm", purpose="read_osm")
    tags = [*OSM_TAG_MAP, "name", "construction", "proposed"]
    try:
        with warnings.catch_warnings():
            # pyrosm's own "no data" notice; read_osm warns below with the file name
            warnings.filterwarnings("ignore", message="Could not find any OSM data",
                                    category=UserWarning)
            osm = pyrosm.OSM(str(path), bounding_box=box, progress=bool(progress))
            ways = osm.get_data_by_custom_criteria(
                custom_filter={k: list(v) for k, v in OSM_TAG_MAP.items()},
                filter_type="keep", tags_as_columns=tags, keep_nodes=False, keep_ways=True,
                keep_relations=False)
    except (_pbf_exception(), OSError, ValueError, RuntimeError, KeyError) as exc:
        raise CamigeoError(f"{path}: pyrosm could not read it as an OSM PBF ({exc}).") from exc
    out = None if ways is None or len(ways) == 0 else _to_infrastructure(ways)
    if out is None or len(out) == 0:
        warnings.warn(f"{path}: no railway, road, fence, pipeline or canal ways found"
                      f"{' in bbox ' + str(box) if box else ''}.", CamigeoWarning, stacklevel=2)
        return gpd.GeoDataFrame({c: [] for c in _COLUMNS}, geometry=[], crs=WGS84)
    logger.info("read %d infrastructure ways from %s", len(out), path)
    return validate_layer(out.reset_index(drop=True), "infrastructure", source=str(path))
