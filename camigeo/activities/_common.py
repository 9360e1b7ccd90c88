"""Shared helpers of the activity recipes: layers, selection by name, CRS, lengths, rasters."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Geod

from .. import CamigeoError, DataNotFoundError

__all__ = ["FENCE_STATUS", "ActivityDataError", "Layers", "fence_km_text", "fence_status",
           "gap_km", "geodesic_km", "metric_crs", "place_points", "ranges_for", "select_lines",
           "select_ptcr", "template_for"]

_GEOD = Geod(ellps="WGS84")
WGS84 = "EPSG:4326"
#: Columns a user-supplied infrastructure layer needs for the recipes.
INFRA_COLUMNS = "infra_id, infra_type, name, status, fenced, fence_class, countries"


class ActivityDataError(DataNotFoundError):
    """An activity needs data that the bundled (or given) layers do not hold.

    The message names the data: file format, columns, and how to pass it.
    """


LAYER_KINDS = {"ptcrs": "ptcr", "ranges": "range", "infrastructure": "infrastructure",
               "countries": None, "rivers": None, "lakes": None, "settlements": None}


@dataclass
class Layers:
    """The layers a recipe reads; user layers (GeoDataFrame or path) replace bundled ones.

    Keys: ``ptcrs``, ``ranges``, ``infrastructure``, ``countries`` (bundled through
    :mod:`camigeo.datasets`), ``rivers``, ``lakes``, ``settlements`` (the registry's
    ``context.gpkg``). Paths go through :func:`camigeo.read_layer` (schema validation).
    """

    given: Mapping[str, Any] = field(default_factory=dict)
    _cache: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)

    def __post_init__(self) -> None:
        bad = sorted(set(self.given) - set(LAYER_KINDS))
        if bad:
            raise CamigeoError(f"layers: unknown key(s) {bad}; expected some of "
                               f"{sorted(LAYER_KINDS)}.")

    def __getitem__(self, key: str) -> gpd.GeoDataFrame:
        if key not in self._cache:
            self._cache[key] = self._load(key)
        return self._cache[key]

    def _load(self, key: str) -> gpd.GeoDataFrame:
        import camigeo

        if key in self.given and self.given[key] is not None:
            obj = self.given[key]
            if isinstance(obj, gpd.GeoDataFrame):
                gdf = obj
            elif isinstance(obj, str | os.PathLike):
                gdf = camigeo.read_layer(obj, kind=LAYER_KINDS[key])
            else:
                raise CamigeoError(f"layers[{key!r}]: expected a GeoDataFrame or a file path; "
                                   f"got {type(obj).__name__}.")
            if gdf.crs is None:
                raise CamigeoError(f"layers[{key!r}]: the layer has no CRS; set one with "
                                   f".set_crs(...).")
            return gdf.to_crs(WGS84)
        ds = camigeo.datasets
        if key == "ptcrs":
            return ds.load_ptcrs()
        if key == "ranges":
            return ds.load_ranges()
        if key == "infrastructure":
            return ds.load_infrastructure()
        if key == "countries":
            return ds.load_countries()
        from .registry import activities_dir

        path = activities_dir() / "context.gpkg"
        if not path.is_file():
            raise DataNotFoundError(f"{path} is missing; rebuild it with "
                                    f"`python scripts/data_activities.py`.")
        import pyogrio

        return pyogrio.read_dataframe(path, layer=key)


def metric_crs(geoms: Any) -> CRS:
    """Lambert azimuthal equal-area CRS centred on the bounding box of lon/lat ``geoms``."""
    x0, y0, x1, y1 = gpd.GeoSeries(geoms, crs=WGS84).total_bounds
    lon, lat = (x0 + x1) / 2, (y0 + y1) / 2
    return CRS.from_proj4(f"+proj=laea +lat_0={lat:.4f} +lon_0={lon:.4f} +datum=WGS84 "
                          f"+units=m +no_defs")


def geodesic_km(geoms: Any, crs: Any = WGS84) -> np.ndarray:
    """Geodesic length (km, WGS84 ellipsoid) of each line geometry."""
    s = gpd.GeoSeries(geoms, crs=crs).to_crs(WGS84)
    return np.array([_GEOD.geometry_length(g) / 1000.0 if g is not None and not g.is_empty
                     else 0.0 for g in s], dtype=float)


def _norm(name: str) -> str:
    s = name.lower().replace("tien", "tian").replace("&", "and")
    return re.sub(r"[^a-z0-9]", "", s)


def select_ptcr(ptcrs: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    """Select the PTCR called ``name`` (CAMI WP 2026–2032 spelling).

    The PTCR called ``name`` (WP spelling; case, spaces, '/' and Tien/Tian ignored;
    ``former_names`` are searched too).

    Raises
    ------
    ActivityDataError
        No PTCR of that name: the message lists the names in the layer.
    """
    if "name" not in ptcrs.columns:
        raise ActivityDataError(f"the PTCR layer has no 'name' column; the activity needs the "
                                f"PTCR {name!r} by name.")
    key = _norm(name)
    hit = ptcrs[ptcrs["name"].astype(str).map(_norm) == key]
    if not len(hit) and "former_names" in ptcrs.columns:
        alt = ptcrs["former_names"].fillna("").astype(str).map(
            lambda v: {_norm(p) for p in v.split(";")})
        hit = ptcrs[alt.map(lambda s: key in s)]
    if len(hit) != 1:
        raise ActivityDataError(
            f"PTCR {name!r} (CAMI WP 2026–2032 name) is not in the PTCR layer "
            f"({'several matches' if len(hit) else 'no match'}; names there: "
            f"{', '.join(map(str, ptcrs['name']))}). Pass layers={{'ptcrs': <file with a "
            f"'name' column holding the WP names>}} or update the bundled data.")
    return hit


def countries_of(value: Any) -> set[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return set()
    return {c.strip().upper() for c in re.split(r"[;,/ ]+", str(value)) if c.strip()}


def documented_fencing(infra: gpd.GeoDataFrame) -> pd.Series:
    """Flag the lines whose fencing is documented in the sources.

    Uses the ``fencing`` column (``documented``/``undocumented``) when the layer has it,
    else: fenced, ``fence_class`` known and no "not documented" in the name.
    """
    if "fencing" in infra.columns:
        return infra["fencing"].astype(str).str.lower().eq("documented")
    fenced = infra.get("fenced", pd.Series(False, index=infra.index)).fillna(False).astype(bool)
    fc = infra.get("fence_class", pd.Series(None, index=infra.index))
    named = infra.get("name", pd.Series("", index=infra.index)).fillna("").astype(str)
    return fenced & fc.notna() & fc.ne("unknown") & ~named.str.contains("not documented",
                                                                         case=False)


#: The fencing vocabulary of the activities (``fence_status``), in reporting order.
FENCE_STATUS = ("documented fence", "border without documented fence",
                "line without documented fence")
_FENCE_TEXT = {"documented fence": "documented fence",
               "border without documented fence": "border without documented fence",
               "line without documented fence": "lines (railways, roads) without documented "
                                                "fence"}


def fence_status(infra: gpd.GeoDataFrame) -> pd.Series:
    """Fencing of each line in the activities' shared vocabulary (:data:`FENCE_STATUS`).

    ``documented fence``: a source documents a fence on it (:func:`documented_fencing`);
    ``border without documented fence``: a border line (``infra_type`` ``border_fence``)
    whose fence no source documents (bundled with ``fence_class`` unknown as a possible
    barrier); ``line without documented fence``: any other line (railways, roads) whose
    fencing is not documented, whatever its modelled ``fenced`` flag.
    """
    doc = documented_fencing(infra).to_numpy()
    border = infra["infra_type"].astype(str).eq("border_fence").to_numpy()
    return pd.Series(np.where(doc, FENCE_STATUS[0],
                              np.where(border, FENCE_STATUS[1], FENCE_STATUS[2])),
                     index=infra.index, dtype=object)


def fence_km_text(km: Mapping[str, float]) -> str:
    """"1,200 km documented fence, 300 km border without documented fence" (zeros left out)."""
    parts = [f"{km[k]:,.0f} km {_FENCE_TEXT[k]}" for k in FENCE_STATUS
             if round(float(km.get(k, 0.0))) > 0]
    return ", ".join(parts) if parts else "0 km"


def gap_km(a: Any, b: Any, crs: Any = WGS84) -> float:
    """Geodesic distance (km, WGS84) between the nearest points of geometries ``a``, ``b``.

    ``a`` and ``b`` (in ``crs``) are densified to 0.01° in lon/lat so that straight edges
    follow their lon/lat course, the nearest points are found in a Lambert equal-area CRS
    centred on the pair, the distance between them is geodesic; 0 when they touch.
    """
    from shapely.ops import nearest_points

    ll = gpd.GeoSeries([a, b], crs=crs).to_crs(WGS84).segmentize(0.01)
    if ll.iloc[0].intersects(ll.iloc[1]):
        return 0.0
    loc = metric_crs(ll)
    m = ll.to_crs(loc)
    pa, pb = nearest_points(m.iloc[0], m.iloc[1])
    q = gpd.GeoSeries([pa, pb], crs=loc).to_crs(WGS84)
    return float(_GEOD.inv(q.iloc[0].x, q.iloc[0].y, q.iloc[1].x, q.iloc[1].y)[2]) / 1000.0


def select_lines(infra: gpd.GeoDataFrame, spec: Mapping[str, Any], *,
                 activity: str) -> gpd.GeoDataFrame:
    """Select the lines of ``infra`` matching ``spec``.

    Lines of ``infra`` matching ``spec`` (``infra_type``, ``countries`` (all present),
    ``name`` (regex, case-insensitive), ``status`` (list), ``documented`` (fencing)).

    Raises
    ------
    ActivityDataError
        No line matches: the message says what the activity needs and how to pass it.
    """
    m = pd.Series(True, index=infra.index)
    if spec.get("infra_type"):
        types = [spec["infra_type"]] if isinstance(spec["infra_type"], str) \
            else list(spec["infra_type"])
        m &= infra["infra_type"].isin(types)
    if spec.get("countries"):
        need = set(spec["countries"])
        m &= infra["countries"].map(lambda v: need <= countries_of(v))
    if spec.get("name"):
        m &= infra["name"].fillna("").astype(str).str.contains(spec["name"], case=False,
                                                                regex=True)
    if spec.get("status"):
        m &= infra["status"].isin(list(spec["status"]))
    if spec.get("documented"):
        m &= documented_fencing(infra)
    hit = infra[m]
    if not len(hit):
        want = ", ".join(f"{k}={v!r}" for k, v in spec.items())
        raise ActivityDataError(
            f"{activity}: no line of the infrastructure layer matches {want}. The activity "
            f"needs such a line: pass layers={{'infrastructure': <vector file with a "
            f"LineString layer and columns {INFRA_COLUMNS}>}} (CLI: --infrastructure FILE), "
            f"or update the bundled data.")
    return hit.reset_index(drop=True)


def place_points(names: Iterable[str], places: pd.DataFrame) -> gpd.GeoDataFrame:
    """Points (EPSG:4326) of registry places, with ``accuracy_km`` and ``source``."""
    names = list(names)
    rows = places.set_index("place")
    missing = [n for n in names if n not in rows.index]
    if missing:
        raise ActivityDataError(f"places {missing} are not in the registry's places.csv; "
                                f"rebuild it with `python scripts/data_activities.py`.")
    sub = rows.loc[names].reset_index()
    return gpd.GeoDataFrame(sub, geometry=gpd.points_from_xy(sub["lon"], sub["lat"]), crs=WGS84)


def ranges_for(ranges: gpd.GeoDataFrame, species: Iterable[str]) -> gpd.GeoDataFrame:
    """Range polygons of ``species`` (names resolved through the CMS/IUCN synonyms)."""
    import camigeo

    names = set()
    for s in species:
        try:
            names.add(camigeo.resolve_species(s))
        except CamigeoError:
            names.add(s)
    return ranges[ranges["sci_name"].isin(names)].reset_index(drop=True)


def template_for(geoms_metric: Any, *, cell_m: float, pad_m: float, crs: CRS,
                 max_cells: int = 250_000) -> dict[str, Any]:
    """Template spec around ``geoms_metric``: cells grow until the grid has ≤ ``max_cells``."""
    x0, y0, x1, y1 = gpd.GeoSeries(geoms_metric).total_bounds
    x0, y0, x1, y1 = x0 - pad_m, y0 - pad_m, x1 + pad_m, y1 + pad_m
    cell = float(cell_m)
    while (x1 - x0) * (y1 - y0) / cell ** 2 > max_cells:
        cell *= 1.25
    nx, ny = math.ceil((x1 - x0) / cell), math.ceil((y1 - y0) / cell)
    return {"bounds": (x0, y0, x0 + nx * cell, y0 + ny * cell), "cellsize_m": cell, "crs": crs}


def crossings(paths: gpd.GeoDataFrame, infra: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Find where ``paths`` cross the lines of ``infra``.

    Points where ``paths`` cross lines of ``infra`` (same CRS): one row per line crossed
    by each path (``path``, ``infra_id``, ``name``, ``infra_type``, ``n_points``).
    """
    rows = []
    infra = infra.to_crs(paths.crs)
    infra = infra.assign(fencing_documented=documented_fencing(infra).to_numpy())
    for i, p in enumerate(paths.geometry):
        if p is None or p.is_empty:
            continue
        hit = infra[infra.intersects(p)]
        for _, r in hit.iterrows():
            pts = shapely.get_parts(shapely.intersection(p, r.geometry))
            pts = [g if g.geom_type == "Point" else g.centroid for g in pts]
            if not pts:
                continue
            rows.append({"path": i, "infra_id": r.get("infra_id"), "name": r.get("name"),
                         "infra_type": r.get("infra_type"), "n_points": len(pts),
                         "fencing_documented": bool(r.get("fencing_documented", True)),
                         "geometry": shapely.MultiPoint(pts)})
    return gpd.GeoDataFrame(
        rows or {"path": [], "infra_id": [], "name": [], "infra_type": [], "n_points": []},
        geometry="geometry" if rows else gpd.GeoSeries([], crs=paths.crs), crs=paths.crs)


def count_by_type(cross: gpd.GeoDataFrame) -> str:
    """"2 roads and 1 railway" style summary of a crossings table (lines, not points)."""
    if not len(cross):
        return "no bundled line"
    plural = {"railway": "railways", "road": "roads",
              "border_fence": "documented border fences",
              "fence": "fences", "pipeline": "pipelines", "canal": "canals"}
    u = cross.drop_duplicates("infra_id")
    kind = u["infra_type"].astype(str).where(
        (u["infra_type"] != "border_fence") | u.get("fencing_documented", True),
        "border without documented fence").replace("border_fence", "documented border fence")
    plural["border without documented fence"] = "borders without documented fence"
    plural["documented border fence"] = "documented border fences"
    n = kind.value_counts()
    parts = [f"{c} {t.replace('_', ' ') if c == 1 else plural.get(t, t + 's')}"
             for t, c in n.items()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def lonlat(pt: Any, crs: Any) -> str:
    """"43.88 °N, 77.07 °E" of a point in ``crs``."""
    p = gpd.GeoSeries([pt], crs=crs).to_crs(WGS84).iloc[0]
    return f"{p.y:.2f} °N, {p.x:.2f} °E"


def read_tracks(tracks: Any) -> gpd.GeoDataFrame:
    """GPS fixes from a Movebank CSV path, a vector file path or a GeoDataFrame."""
    import camigeo

    if isinstance(tracks, gpd.GeoDataFrame):
        return tracks
    p = Path(tracks)
    if p.suffix.lower() == ".csv":
        return camigeo.read_movebank(p)
    return camigeo.read_layer(p)
