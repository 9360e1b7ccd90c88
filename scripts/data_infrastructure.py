"""Linear infrastructure of ``data/infrastructure/`` from the seeds, on OpenStreetMap geometry.

Run through ``python scripts/build_data.py infrastructure``. Inputs:

- ``lines.csv``: one row per railway/road with attributes and ``source`` (seed file:line);
- ``waypoints.csv``: per line and part the ordered waypoints; ``ref`` is ``osm:<node id>``
  (a railway station node of the OSM reference files), ``ne:<NAMEASCII>`` (Natural Earth
  populated place), ``site:<site_id>`` (a located site of ``sites.csv``) or ``dm``/``k`` with
  ``lon``/``lat`` given (domain_methods / author knowledge); ``leg = track`` routes to the
  next waypoint through the OSM railway ways (``camigeo.conflate_lines``), ``straight`` draws
  a straight segment;
- ``border_fences.csv``: documented fenced stretches cut from the ``borders`` layer; every
  other land border of two CAMI range states becomes a ``border_fence`` with
  ``fencing = undocumented``;
- ``sites.csv``: border ports, mitigation measures and barriers that are not lines (layer
  ``sites``; Point, or empty geometry where the documents give no location);
- the reference files in ``<shared>/reference/osm`` and ``<shared>/reference/naturalearth``
  (``CAMIGEO_SHARED``, default ``../shared`` beside the repository); their sha256 go into
  ``MANIFEST.json``.

OpenStreetMap-derived geometry: © OpenStreetMap contributors, ODbL 1.0.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from data_common import DATA, REPO, WGS84, layer_meta, sha256, tidy, write_gpkg, write_manifest

log = logging.getLogger("build_data.infrastructure")

__all__ = ["build", "shared_dir"]

#: CAMI range states whose mutual land borders are recorded as (possible) border fences.
CAMI_CORE = {"AFG", "CHN", "IND", "IRN", "KAZ", "KGZ", "MNG", "NPL", "PAK", "RUS", "TJK",
             "TKM", "UZB"}
#: Border segments outside this lon/lat box (e.g. the Amur) are not CAMI-relevant.
CAMI_BOX = (44.0, 25.0, 122.0, 56.0)
ATTRIBUTION = "Railway geometry © OpenStreetMap contributors, ODbL 1.0"
OSM_FILES = {
    "hot_mng": "osm/hotosm_mng_railway_stations_subset.csv",
    "hot_kaz": "osm/hotosm_kaz_railway_stations_subset.csv",
    "gpkg": "osm/central_asia_osm_railways.gpkg",
    "ne": "naturalearth/central_asia_ne10m.gpkg",
}
#: Track layers of the OSM GeoPackage and the rows that are running rail.
TRACK_LAYERS = {"uzbekistan_railways": ("fclass", "rail"),
                "railways_overpass_tm_af_bbox": ("railway", "rail")}
#: Positional accuracy (km) of OSM track.
ACC_TRACK_KM = 0.1
#: A straight chord between two stations L km apart is taken to lie within L / 10 of the
#: track (at least 2 km): accuracy_km of a station chain = max(2, ceil(longest chord / 10)).
CHORD_FRACTION = 0.1
ACC_CHAIN_MIN_KM = 2.0
#: WP activities that ask to map the border fences of a PTCR (pair -> citation).
WP_MAP_FENCES = {
    "18.4 (000_7476e8aba978c2aa.txt:370)": {"CHN-KAZ", "CHN-KGZ", "KAZ-KGZ"},
    "19.2 (000_7476e8aba978c2aa.txt:383)": {"AFG-CHN", "AFG-PAK", "AFG-TJK", "CHN-KGZ",
                                            "CHN-PAK", "CHN-TJK", "KGZ-TJK"},
    "20.3 (000_7476e8aba978c2aa.txt:395)": {"CHN-KAZ", "CHN-MNG", "CHN-RUS", "KAZ-RUS",
                                            "MNG-RUS"},
    "21.3 (000_7476e8aba978c2aa.txt:402)": {"CHN-MNG", "CHN-RUS", "MNG-RUS"},
}
#: The ``infrastructure`` schema (docs/schema.md) plus ``fencing`` and ``route``.
COLUMNS = ["infra_id", "infra_type", "name", "status", "fenced", "fence_class", "countries",
           "length_reported_km", "year", "source", "accuracy_km", "fencing", "route",
           "geometry"]
SITE_COLUMNS = ["site_id", "site_type", "name", "infra_id", "status", "year", "location",
                "source", "accuracy_km", "geometry"]


def shared_dir() -> Path:
    """The shared folder holding ``reference/`` (``CAMIGEO_SHARED`` or beside the repo)."""
    env = os.environ.get("CAMIGEO_SHARED")
    candidates = [Path(env)] if env else [REPO.parent / "shared", REPO.parents[1] / "shared"]
    for c in candidates:
        if (c / "reference" / OSM_FILES["gpkg"]).is_file():
            return c
    raise SystemExit(f"OSM reference data not found in {[str(c) for c in candidates]}: set "
                     "CAMIGEO_SHARED to the folder holding reference/osm and "
                     "reference/naturalearth")


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


# --------------------------------------------------------------------------- references
class References:
    """Station nodes, track layers and towns of the reference files."""

    def __init__(self, shared: Path) -> None:
        ref = shared / "reference"
        self.paths = {k: ref / v for k, v in OSM_FILES.items()}
        st = []
        for key in ("hot_mng", "hot_kaz"):
            d = _read(self.paths[key])
            st.append(pd.DataFrame({"osm_id": d["osm_id"], "name": d["name"],
                                    "lon": d["lon"].astype(float),
                                    "lat": d["lat"].astype(float), "file": key}))
        ov = pyogrio.read_dataframe(self.paths["gpkg"], layer="railway_stations_overpass")
        st.append(pd.DataFrame({"osm_id": ov["osm_id"].astype("int64").astype(str),
                                "name": ov["name"].fillna(""), "lon": ov.geometry.x.values,
                                "lat": ov.geometry.y.values, "file": "gpkg"}))
        stations = pd.concat(st, ignore_index=True)
        # a node in two files must have the same position (the HOT rows were transcribed)
        dup = stations[stations["osm_id"].duplicated(keep=False)]
        for oid, g in dup.groupby("osm_id"):
            if np.ptp(g["lon"]) > 1e-4 or np.ptp(g["lat"]) > 1e-4:
                raise SystemExit(f"OSM node {oid} differs between {list(g['file'])}")
        self.stations = stations.drop_duplicates("osm_id").set_index("osm_id")
        ne = pyogrio.read_dataframe(self.paths["ne"], layer="populated_places")
        self.towns = pd.DataFrame({"lon": ne.geometry.x.values, "lat": ne.geometry.y.values},
                                  index=ne["NAMEASCII"].values)
        self._tracks: gpd.GeoDataFrame | None = None

    def tracks(self) -> gpd.GeoDataFrame:
        if self._tracks is None:
            parts = []
            for layer, (col, value) in TRACK_LAYERS.items():
                g = pyogrio.read_dataframe(self.paths["gpkg"], layer=layer)
                g = g[g[col] == value]
                parts.append(gpd.GeoDataFrame({"layer": [layer] * len(g)},
                                              geometry=g.geometry.values,
                                              crs=WGS84))
            self._tracks = pd.concat(parts, ignore_index=True)
        return self._tracks

    def station(self, oid: str) -> tuple[float, float, str]:
        if oid not in self.stations.index:
            raise SystemExit(f"OSM station node {oid} is in none of the reference files")
        r = self.stations.loc[oid]
        return float(r["lon"]), float(r["lat"]), str(r["file"])

    def town(self, name: str) -> tuple[float, float]:
        if name not in self.towns.index:
            raise SystemExit(f"Natural Earth populated place {name!r} not found")
        r = self.towns.loc[name]
        return float(r["lon"]), float(r["lat"])

    def inputs(self) -> list[dict]:
        return [{"file": f"reference/{OSM_FILES[k]}", "sha256": sha256(p)}
                for k, p in self.paths.items()]


# --------------------------------------------------------------------------- sites
def _border_side(ref: str, refs: References, countries: gpd.GeoDataFrame,
                 borders: gpd.GeoDataFrame) -> shapely.Point:
    """``border:<border_id>:<iso3>:osm:<id>``: 1 km inside ``iso3`` from the border point
    nearest to the station node."""
    from pyproj import Geod

    _, border_id, iso3, _, oid = ref.split(":")
    lon, lat, _ = refs.station(oid)
    line = borders.loc[borders["border_id"] == border_id, "geometry"].iloc[0]
    on = shapely.line_interpolate_point(line, shapely.line_locate_point(line,
                                                                        shapely.Point(lon, lat)))
    poly = countries.loc[countries["iso3"] == iso3, "geometry"].iloc[0]
    geod = Geod(ellps="WGS84")
    # continue the station -> border direction 1 km beyond the border
    az, _, _ = geod.inv(lon, lat, on.x, on.y)
    x, y, _ = geod.fwd(on.x, on.y, az, 1000.0)
    pt = shapely.Point(x, y)
    if not poly.contains(pt):
        raise SystemExit(f"{ref}: the point 1 km beyond the border is not inside {iso3}")
    return pt


def build_sites(refs: References, countries: gpd.GeoDataFrame,
                borders: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    sites = _read(DATA / "infrastructure" / "sites.csv")
    geoms = []
    for rec in sites.itertuples():
        if rec.location == "station":
            lon, lat, _ = refs.station(rec.ref.removeprefix("osm:"))
            geoms.append(shapely.Point(lon, lat))
        elif rec.location == "border_side":
            geoms.append(_border_side(rec.ref, refs, countries, borders))
        elif rec.location == "not_documented":
            geoms.append(None)
        else:
            raise SystemExit(f"sites.csv {rec.site_id}: unknown location {rec.location!r}")
    gdf = gpd.GeoDataFrame(sites.drop(columns=["ref"]), geometry=geoms, crs=WGS84)
    gdf["year"] = pd.to_numeric(gdf["year"]).astype("Int64")
    gdf["accuracy_km"] = pd.to_numeric(gdf["accuracy_km"]).astype("float64")
    located = gdf.geometry.notna()
    gdf.loc[located, "geometry"] = tidy(gdf.geometry[located].values)
    return gdf[SITE_COLUMNS].sort_values("site_id", ignore_index=True)


# --------------------------------------------------------------------------- lines
def _route_track(coords: list[tuple[float, float]], refs: References) -> tuple[list, bool]:
    """Route the polyline ``coords`` through the OSM track layers (conflate_lines)."""
    from camigeo.io.conflate import conflate_lines

    line = gpd.GeoDataFrame({"infra_type": ["railway"]}, crs=WGS84,
                            geometry=[shapely.LineString(coords)])
    tracks = refs.tracks()
    box = shapely.box(*shapely.LineString(coords).buffer(0.5).bounds)
    ref = tracks[tracks.intersects(box)].copy()
    out = conflate_lines(line, ref, corridor_m=20_000.0, snap_m=50.0, match_on=None,
                         reference_source="OpenStreetMap contributors (ODbL)",
                         reference_accuracy_km=ACC_TRACK_KM)
    if out["geometry_source"].iloc[0] != "reference":
        log.warning("track leg %s..%s not routed: %s", coords[0], coords[-1],
                    out["conflate_note"].iloc[0])
        return coords, False
    geom = out.geometry.iloc[0]
    pts = [tuple(c) for c in shapely.get_coordinates(geom)]
    if np.hypot(pts[0][0] - coords[0][0], pts[0][1] - coords[0][1]) > np.hypot(
            pts[-1][0] - coords[0][0], pts[-1][1] - coords[0][1]):
        pts = pts[::-1]
    # keep the documented end points (station nodes) exactly
    return [coords[0], *pts[1:-1], coords[-1]], True


def _line_geometry(way: pd.DataFrame, refs: References,
                   sites: gpd.GeoDataFrame) -> tuple[shapely.Geometry, str, str, list]:
    """Geometry, route kind, provenance text and straight chords of one line."""
    parts, kinds, texts = [], set(), []
    chords: list[tuple[tuple[float, float], tuple[float, float]]] = []
    for _, p in way.groupby("part", sort=True):
        p = p.sort_values("seq")
        pts, legs, names, files = [], [], [], set()
        for w in p.itertuples():
            if w.ref.startswith("osm:"):
                lon, lat, f = refs.station(w.ref.removeprefix("osm:"))
                files.add(f)
                kinds.add("osm_stations")
            elif w.ref.startswith("ne:"):
                lon, lat = refs.town(w.ref.removeprefix("ne:"))
                kinds.add("places")
            elif w.ref.startswith("site:"):
                g = sites.set_index("site_id").loc[w.ref.removeprefix("site:"), "geometry"]
                lon, lat = g.x, g.y
                kinds.add("places")
            elif w.ref in ("dm", "k"):
                lon, lat = float(w.lon), float(w.lat)
                kinds.add("places")
            else:
                raise SystemExit(f"waypoints.csv {w.infra_id}/{w.seq}: bad ref {w.ref!r}")
            pts.append((lon, lat))
            legs.append(w.leg)
            names.append(w.place)
        coords: list[tuple[float, float]] = [pts[0]]
        i = 0
        while i < len(pts) - 1:
            if legs[i] == "track":
                j = i
                while j < len(pts) - 1 and legs[j] == "track":
                    j += 1
                routed, ok = _route_track(pts[i:j + 1], refs)
                kinds.add("osm_track" if ok else "places")
                coords += routed[1:]
                texts.append(f"{names[i]}–{names[j]} routed through the OSM railway ways"
                             if ok else f"{names[i]}–{names[j]} straight (no OSM route)")
                i = j
            else:
                coords.append(pts[i + 1])
                chords.append((pts[i], pts[i + 1]))
                i += 1
        parts.append(shapely.LineString(coords))
        texts.append(f"{len(pts)} waypoints {names[0]} … {names[-1]}")
    geom = shapely.MultiLineString(parts) if len(parts) > 1 else parts[0]
    route = "+".join(sorted(kinds))
    return geom, route, "; ".join(texts), chords


def _chain_accuracy_km(chords: list) -> float:
    """max(2, ceil(longest straight chord / 10)) km; OSM track only: ACC_TRACK_KM."""
    from pyproj import Geod

    if not chords:
        return ACC_TRACK_KM
    (x0, y0), (x1, y1) = np.array(chords).transpose(1, 2, 0)
    longest = float(np.max(Geod(ellps="WGS84").inv(x0, y0, x1, y1)[2])) / 1000.0
    return max(ACC_CHAIN_MIN_KM, float(np.ceil(CHORD_FRACTION * longest)))


def _route_text(route: str, infra_type: str) -> str:
    if infra_type != "railway":
        return ("geometry: SCHEMATIC straight segments between the places it passes "
                "(station nodes of a parallel railway count as places)")
    if route == "osm_stations":
        return ("geometry: straight segments between OpenStreetMap railway station nodes "
                "(ODbL), a lower bound of the track length")
    if "osm_track" in route:
        return ("geometry: OpenStreetMap railway ways (ODbL) where routed, station nodes "
                "elsewhere")
    if "osm_stations" in route:
        return ("geometry: OpenStreetMap station nodes (ODbL) and documented places, "
                "straight segments")
    return "geometry: SCHEMATIC straight segments between documented places"


def build_lines(refs: References, sites: gpd.GeoDataFrame) -> list[dict]:
    folder = DATA / "infrastructure"
    lines = _read(folder / "lines.csv")
    way = _read(folder / "waypoints.csv")
    way[["part", "seq"]] = way[["part", "seq"]].astype(int)
    missing = set(lines["infra_id"]) ^ set(way["infra_id"])
    if missing:
        raise SystemExit(f"lines.csv and waypoints.csv disagree on {sorted(missing)}")
    rows = []
    for rec in lines.to_dict("records"):
        geom, route, text, chords = _line_geometry(way[way["infra_id"] == rec["infra_id"]], refs,
                                           sites)
        if rec["infra_type"] != "railway":  # station nodes of a parallel railway
            route = "places"
        if not rec["accuracy_km"]:
            rec["accuracy_km"] = f"{_chain_accuracy_km(chords):g}"
        rec["route"] = route
        rec["source"] = f"{rec['source']}; {_route_text(route, rec['infra_type'])}: {text}"
        rec["geometry"] = geom
        rows.append(rec)
    return rows


def _border_fences(borders: gpd.GeoDataFrame, fences: pd.DataFrame) -> list[dict]:
    from camigeo.io.crs import geodesic_length_km

    rows = []
    done: dict[str, list] = {}
    for rec in fences.to_dict("records"):
        b = borders.loc[borders["border_id"] == rec.pop("border_id")].iloc[0]
        box = [float(rec.pop(k)) for k in ("lon_min", "lat_min", "lon_max", "lat_max")]
        geom = shapely.clip_by_rect(b.geometry, *box)
        for other in done.get(b.border_id, []):
            geom = shapely.difference(geom, other)
        if geom.is_empty:
            raise SystemExit(f"{rec['infra_id']}: box misses the {b.border_id} border")
        done.setdefault(b.border_id, []).append(shapely.box(*box))
        rows.append({**rec, "infra_type": "border_fence", "fenced": "True",
                     "fencing": "documented", "countries": f"{b.iso3_a}; {b.iso3_b}",
                     "length_reported_km": "", "route": "border_line",
                     "geometry": shapely.line_merge(geom)})
    for b in borders.itertuples():
        if not {b.iso3_a, b.iso3_b} <= CAMI_CORE:
            continue
        geom = shapely.clip_by_rect(b.geometry, *CAMI_BOX)
        if b.border_id in done:
            geom = shapely.difference(geom, shapely.union_all(done[b.border_id]))
        geom = shapely.line_merge(geom) if not geom.is_empty else geom
        if geom.is_empty or geodesic_length_km(np.array([geom]))[0] < 1.0:
            continue
        asks = [k for k, pairs in WP_MAP_FENCES.items() if b.border_id in pairs]
        note = (f"; the WP asks to map the border fences here: WP {', '.join(asks)}"
                if asks else "")
        rows.append({"infra_id": f"BF-{b.border_id}", "infra_type": "border_fence",
                     "name": f"{b.name} border (fencing not documented)", "status": "existing",
                     "fenced": "True", "fence_class": "unknown", "fencing": "undocumented",
                     "countries": f"{b.iso3_a}; {b.iso3_b}", "length_reported_km": "",
                     "year": "", "accuracy_km": "5", "route": "border_line",
                     "source": ("Natural Earth land border of two CAMI range states, recorded "
                                "as a possible border fence; no fence on it is documented in "
                                f"the seeds (fence_class unknown){note}"),
                     "geometry": geom})
    return rows


def _conflate_osm(rows: list[dict], pbf: Path, corridor_km: float) -> tuple[list[dict], dict]:
    """Route the railways/roads through the OSM ways of ``pbf`` (same type and status)."""
    from camigeo.io.conflate import conflate_osm

    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
    gdf["accuracy_km"] = gdf["accuracy_km"].astype(float)
    out = conflate_osm(gdf, pbf, corridor_m=corridor_km * 1000.0)
    report = {}
    for rec in out.itertuples():
        report[rec.infra_id] = rec.geometry_source + (f" ({rec.conflate_note})"
                                                      if rec.conflate_note else "")
        log.info("%s: %s", rec.infra_id, report[rec.infra_id])
    routed = out["geometry_source"] == "reference"
    out.loc[routed, "route"] = "osm_extract"
    out["accuracy_km"] = [f"{v:g}" for v in out["accuracy_km"]]
    out = out.drop(columns=["geometry_source", "conflate_note"])
    return out.to_dict("records"), report


def build(countries: gpd.GeoDataFrame, borders: gpd.GeoDataFrame, *, osm: Path | None = None,
          corridor_km: float = 20.0) -> gpd.GeoDataFrame:
    """Build ``data/infrastructure/infrastructure.gpkg`` (layers ``infrastructure``, ``sites``)."""
    folder = DATA / "infrastructure"
    refs = References(shared_dir())
    fences = _read(folder / "border_fences.csv")
    sites = build_sites(refs, countries, borders)
    lines = build_lines(refs, sites)
    sources = [{"name": "CAMI source documents (shared/seeds) and domain_methods §1/§6, cited "
                        "per feature", "file": "lines.csv, border_fences.csv, sites.csv"},
               {"name": "OpenStreetMap contributors (ODbL 1.0): railway station nodes and ways",
                "attribution": ATTRIBUTION, "inputs": refs.inputs()[:3]},
               {"name": "Natural Earth populated places (public domain)",
                "inputs": refs.inputs()[3:]},
               {"name": "borders layer", "file": "../borders/borders.gpkg",
                "sha256": sha256(DATA / "borders" / "borders.gpkg")}]
    notes = ("Railways through OSM station nodes and (Beyneu–Kungrad) OSM track; border fences "
             "on Natural Earth borders; see README.md")
    if osm is not None:
        lines, report = _conflate_osm(lines, Path(osm), corridor_km)
        sources.append({"name": "OpenStreetMap contributors (ODbL), via camigeo.conflate_lines",
                        "file": Path(osm).name, "sha256": sha256(Path(osm)),
                        "corridor_km": corridor_km, "geometry_by_line": report})
        notes += "; railways/roads routed through the OSM extract where a route joins their ends"
    rows = lines + _border_fences(borders, fences)
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
    gdf["fenced"] = gdf["fenced"].map({"True": True, "False": False}).astype(bool)
    gdf["fence_class"] = gdf["fence_class"].replace("", None)
    gdf["length_reported_km"] = pd.to_numeric(gdf["length_reported_km"]).astype("float64")
    gdf["year"] = pd.to_numeric(gdf["year"]).astype("Int64")
    gdf["accuracy_km"] = gdf["accuracy_km"].astype(float)
    gdf = gdf[COLUMNS].sort_values("infra_id", ignore_index=True)
    gdf["geometry"] = tidy(gdf.geometry.values)
    write_gpkg({"infrastructure": gdf, "sites": sites}, folder / "infrastructure.gpkg")
    meta = layer_meta({"infrastructure": gdf})
    meta["layers"]["sites"] = {
        "features": len(sites), "located": int(sites.geometry.notna().sum()),
        "geometry_types": sorted(set(sites.geom_type.dropna())), "crs": WGS84,
        "columns": [c for c in sites.columns if c != "geometry"]}
    write_manifest(folder, {
        "infrastructure.gpkg": meta,
        "lines.csv": {"rows": len(_read(folder / "lines.csv")), "role": "input table"},
        "waypoints.csv": {"rows": len(_read(folder / "waypoints.csv")), "role": "input table"},
        "border_fences.csv": {"rows": len(fences), "role": "input table"},
        "sites.csv": {"rows": len(sites), "role": "input table"},
    }, sources=sources, notes=notes)
    log.info("infrastructure: %d lines, %d sites", len(gdf), len(sites))
    return gdf
