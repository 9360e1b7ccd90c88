"""PTCR layer and place gazetteer for ``scripts/build_data.py`` (issue 12).

- Attributes (names, order, countries, species, qualifiers, instruments, former names, the
  Annex's changes) are parsed from the Work Programme seed by :mod:`data_wp`.
- ``data/ptcr/places.csv`` (the gazetteer) is built from ``gazetteer_input.csv``: Natural
  Earth ``populated_places`` coordinates or documented coordinates, plus the seed lines
  that name each place (searched here, so they stay right when the seeds change).
- Outlines: for each PTCR the union of the parts in ``outline_parts.csv`` (Natural Earth
  named physical regions cut to a window, the dried Aral seabed, buffered hulls of gazetteer
  places), clipped to the listed countries. Approximations, not official boundaries.

Run only through ``python scripts/build_data.py``.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from data_common import (
    DATA,
    SIMPLIFY_DEG,
    WGS84,
    layer_meta,
    sha256,
    tidy,
    write_csv,
    write_gpkg,
    write_manifest,
)
from data_wp import PTCR, WP_FILE, WorkProgramme, cite, find_lines, shared_dir
from pyproj import CRS

log = logging.getLogger("build_data.ptcr")

NE_PLACES = "reference/naturalearth/central_asia_ne10m.gpkg"
NE_PHYSICAL = "reference/naturalearth/central_asia_ne10m_physical.gpkg"
NE_SOURCE = "Natural Earth 10m populated_places v4.0.0 (public domain)"
K_SOURCE = ("documented coordinate (author knowledge; approximate, not checked against a "
            "gazetteer or WDPA)")
#: A listed country must hold at least this much of the outline (km²) to count as touched.
MIN_COUNTRY_KM2 = 200.0
PTCR_DISCLAIMER = ("APPROXIMATION, not the official PTCR boundary (the WP Annex maps are not "
                   "in the text)")


def _read(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(";") if v.strip()]


def ne_path(rel: str):
    path = shared_dir() / rel
    if not path.is_file():
        raise SystemExit(f"{path} not found: set CAMIGEO_SHARED to the camigeo shared folder")
    return path


# --------------------------------------------------------------------------- gazetteer
def build_places() -> pd.DataFrame:
    """The gazetteer: one row per place with lon/lat, coordinate source and seed lines."""
    inp = _read(DATA / "ptcr" / "gazetteer_input.csv")
    if not inp["name"].is_unique:
        dup = inp.loc[inp["name"].duplicated(), "name"].tolist()
        raise SystemExit(f"gazetteer_input.csv: duplicate place names {dup}")
    ne = gpd.read_file(ne_path(NE_PLACES), layer="populated_places")
    rows = []
    for rec in inp.itertuples():
        if rec.ne_name:
            hit = ne[(ne["NAMEASCII"] == rec.ne_name) & (ne["ADM0_A3"] == rec.country)]
            if len(hit) != 1:
                raise SystemExit(f"gazetteer_input.csv {rec.name!r}: {len(hit)} NE populated "
                                 f"places named {rec.ne_name!r} in {rec.country}, expected 1")
            lon, lat = hit.geometry.iloc[0].x, hit.geometry.iloc[0].y
            src = f"{NE_SOURCE}: {rec.ne_name}"
        elif rec.coord_source == "K":
            lon, lat = float(rec.lon), float(rec.lat)
            src = K_SOURCE
        else:
            raise SystemExit(f"gazetteer_input.csv {rec.name!r}: give ne_name or coord_source K")
        seed = ""
        if rec.seed_term:
            hits = find_lines(rec.seed_term)
            if not hits:
                raise SystemExit(f"gazetteer_input.csv {rec.name!r}: seed_term "
                                 f"{rec.seed_term!r} is in no seed document")
            seed = cite(hits)
        rows.append({"name": rec.name, "lon": round(lon, 4), "lat": round(lat, 4),
                     "kind": rec.kind, "country": rec.country, "coord_source": src,
                     "accuracy_km": float(rec.accuracy_km), "seed_term": rec.seed_term,
                     "seed_lines": seed, "note": rec.note})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- outlines
def _aeqd(lon: float, lat: float) -> CRS:
    return CRS.from_proj4(f"+proj=aeqd +lat_0={lat:.3f} +lon_0={lon:.3f} +datum=WGS84 "
                          "+units=m +no_defs")


def _window(text: str) -> shapely.Geometry | None:
    if not text:
        return None
    vals = [float(v) for v in text.split()]
    if len(vals) != 4:
        raise SystemExit(f"outline_parts.csv: window {text!r} must be 'lon_min lat_min "
                         "lon_max lat_max'")
    return shapely.box(*vals)


def _buffer_deg(geom: shapely.Geometry, km: float) -> shapely.Geometry:
    """Buffer a lon/lat geometry by ``km`` in an azimuthal equidistant CRS at its centroid."""
    if km <= 0:
        return geom
    c = geom.centroid
    g = gpd.GeoSeries([geom], crs=WGS84).to_crs(_aeqd(c.x, c.y))
    return g.buffer(km * 1000.0, quad_segs=8).to_crs(WGS84).iloc[0]


def near_area(parts: pd.DataFrame, places: pd.DataFrame) -> shapely.Geometry:
    """Convex hull of every place named in ``parts`` (the PTCR's anchors)."""
    names = [n for r in parts.itertuples() if r.kind in ("hull", "path") for n in _split(r.ref)]
    sel = places.set_index("name").loc[names]
    return shapely.convex_hull(shapely.multipoints(
        shapely.points(sel["lon"].astype(float), sel["lat"].astype(float))))


def part_geometry(kind: str, ref: str, window: str, buffer_km: float, *, places: pd.DataFrame,
                  regions: gpd.GeoDataFrame, aral: shapely.Geometry, near: shapely.Geometry,
                  where: str) -> shapely.Geometry:
    """One outline part in EPSG:4326 (buffered in an azimuthal equidistant CRS).

    ``window`` cuts the part to a box (``lon_min lat_min lon_max lat_max``) or to
    ``near KM``: within KM of ``near`` (the hull of the PTCR's anchor places).
    """
    if window.startswith("near "):
        box = _buffer_deg(near, float(window.split()[1]))
    else:
        box = _window(window)
    if kind == "region":
        hit = regions[regions["name"] == ref]
        if len(hit) != 1:
            raise SystemExit(f"{where}: NE region {ref!r} not found (or not unique)")
        geom = hit.geometry.iloc[0]
    elif kind == "aral":
        geom = aral
    elif kind in ("hull", "path"):
        names = _split(ref)
        missing = [n for n in names if n not in set(places["name"])]
        if missing:
            raise SystemExit(f"{where}: places {missing} are not in the gazetteer")
        sel = places.set_index("name").loc[names]
        pts = shapely.points(sel["lon"].astype(float), sel["lat"].astype(float))
        geom = (shapely.linestrings(shapely.get_coordinates(pts)) if kind == "path"
                else shapely.convex_hull(shapely.multipoints(pts)))
    else:
        raise SystemExit(f"{where}: unknown part kind {kind!r} (region, aral, hull, path)")
    if box is not None:
        geom = shapely.intersection(geom, box)
    if geom.is_empty:
        raise SystemExit(f"{where}: part {kind} {ref!r} is empty inside window {window!r}")
    return _buffer_deg(geom, buffer_km)


def finish_polygon(geom: shapely.Geometry, clip: shapely.Geometry) -> shapely.Geometry:
    """Clip, simplify, snap; keep polygons larger than ~1 km²."""
    geom = shapely.intersection(geom, clip)
    geom = shapely.simplify(geom, SIMPLIFY_DEG, preserve_topology=True)
    geom = tidy(np.array([geom]))[0]
    polys = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 1e-4]
    if not polys:
        raise SystemExit("outline is empty after clipping to the listed countries")
    return shapely.MultiPolygon(polys) if len(polys) > 1 else polys[0]


def country_km2(geom: shapely.Geometry, country: shapely.Geometry) -> float:
    from camigeo.io.crs import equal_area_km2

    part = shapely.intersection(geom, country)
    if part.is_empty:
        return 0.0
    return float(equal_area_km2(gpd.GeoSeries([part], crs=WGS84))[0])


def load_physical() -> tuple[gpd.GeoDataFrame, shapely.Geometry]:
    """NE named physical regions and the dried Aral seabed (historic shoreline - lakes)."""
    regions = gpd.read_file(ne_path(NE_PHYSICAL), layer="geography_regions_polys")
    hist = gpd.read_file(ne_path(NE_PHYSICAL), layer="lakes_historic")
    lakes = gpd.read_file(ne_path(NE_PLACES), layer="lakes")
    old = shapely.union_all(hist.geometry.values)
    now = shapely.union_all(lakes.geometry.values[lakes.intersects(old).values])
    return regions, shapely.difference(old, now)


def _anchor_points(parts: pd.DataFrame, places: pd.DataFrame) -> np.ndarray:
    names = [n for r in parts.itertuples() if r.kind in ("hull", "path") for n in _split(r.ref)]
    sel = places.set_index("name").loc[names]
    return shapely.points(sel["lon"].astype(float), sel["lat"].astype(float))


def _give_way(geom: shapely.Geometry, ptcr_id: int, mine: pd.DataFrame, done: list[dict],
              parts: pd.DataFrame, places: pd.DataFrame) -> tuple[shapely.Geometry, list[int]]:
    """Split overlaps with the PTCRs already built: each piece goes to the PTCR with the
    nearer anchor place (Voronoi cells of both PTCRs' anchors), so regions do not overlap."""
    taken = []
    for rec in done:
        other = rec["geometry"]
        if not shapely.intersects(geom, other) or shapely.intersection(geom, other).area == 0:
            continue
        mine_pts = _anchor_points(mine, places)
        theirs = _anchor_points(parts[parts["ptcr_id"] == str(rec["ptcr_id"])], places)
        pts = np.concatenate([mine_pts, theirs])
        owner = np.array([True] * len(mine_pts) + [False] * len(theirs))
        box = shapely.box(*shapely.union(geom, other).buffer(1.0).bounds)
        cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts),
                                                           extend_to=box))
        mine_cells = [c for c in cells if owner[np.flatnonzero(shapely.contains(c, pts))].any()]
        region = shapely.union_all(mine_cells)
        overlap = shapely.intersection(geom, other)
        geom = shapely.union(shapely.difference(geom, overlap),
                             shapely.intersection(overlap, region))
        rec["geometry"] = shapely.union(shapely.difference(other, overlap),
                                        shapely.difference(overlap, region))
        geom = _polygons(geom)
        rec["geometry"] = _polygons(rec["geometry"])
        taken.append(rec["ptcr_id"])
    return geom, taken


def _polygons(geom: shapely.Geometry) -> shapely.Geometry:
    geom = tidy(np.array([geom]))[0]
    polys = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 1e-4]
    return shapely.MultiPolygon(polys) if len(polys) > 1 else polys[0]


# --------------------------------------------------------------------------- PTCR layer
def _source(p: PTCR, parts: pd.DataFrame) -> str:
    inst = (f", instruments L{p.instrument_lines[0]}-L{p.instrument_lines[-1]}"
            if p.instrument_lines else "")
    annex = f", Annex L{', L'.join(str(n) for n in p.annex_lines)}" if p.annex_lines else ""
    kinds = []
    for rec in parts.itertuples():
        if rec.kind == "region":
            kinds.append(f"NE region {rec.ref!r}")
        elif rec.kind == "aral":
            kinds.append("NE historic Aral shoreline minus present lakes")
        else:
            kinds.append(f"{rec.kind} of {len(_split(rec.ref))} places")
    return (f"outline: {PTCR_DISCLAIMER}: union of {'; '.join(kinds)} "
            "(data/ptcr/outline_parts.csv, places.csv), clipped to the listed countries; "
            f"attributes: {WP_FILE} §4 L{p.list_line}, section {p.section} heading "
            f"L{p.heading_line}, Species L{p.species_line}{inst}{annex}")


def build_ptcr(countries: gpd.GeoDataFrame, wp: WorkProgramme) -> gpd.GeoDataFrame:
    """Build ``data/ptcr`` (ptcr.gpkg, places.csv, ptcr_attributes.csv, MANIFEST)."""
    from data_wp import match_species

    folder = DATA / "ptcr"
    places = build_places()
    write_csv(places, folder / "places.csv")
    parts = _read(folder / "outline_parts.csv")
    acc = _read(folder / "outline_accuracy.csv").set_index("ptcr_id")
    regions, aral = load_physical()
    iso = countries.set_index("iso3")
    rows = []
    for p in wp.ptcrs:
        mine = parts[parts["ptcr_id"] == str(p.ptcr_id)]
        if mine.empty:
            raise SystemExit(f"outline_parts.csv: no parts for PTCR {p.ptcr_id} {p.name!r}")
        missing = set(p.countries) - set(iso.index)
        if missing:
            raise SystemExit(f"PTCR {p.ptcr_id}: countries {sorted(missing)} are not in "
                             "data/borders")
        geoms = [part_geometry(r.kind, r.ref, r.window, float(r.buffer_km), places=places,
                               regions=regions, aral=aral, near=near_area(mine, places),
                               where=f"outline_parts.csv PTCR {p.ptcr_id}")
                 for r in mine.itertuples()]
        clip = shapely.union_all(iso.loc[p.countries, "geometry"].values)
        geom = finish_polygon(shapely.union_all(geoms), clip)
        geom, taken = _give_way(geom, p.ptcr_id, mine, rows, parts, places)
        if taken:
            log.info("PTCR %d: overlap with PTCR %s split by nearest anchor", p.ptcr_id,
                     ", ".join(map(str, taken)))
        species = [match_species(s, wp.species) for s in p.species_common]
        quals = [f"{sp.cms_name}: {p.qualifiers[c]}"
                 for c, sp in zip(p.species_common, species, strict=True) if c in p.qualifiers]
        rows.append({
            "ptcr_id": p.ptcr_id, "name": p.name, "former_names": "; ".join(p.former_names),
            "countries": "; ".join(p.countries),
            "species": "; ".join(sp.cms_name for sp in species),
            "instruments": "; ".join(p.instruments),
            "source": _source(p, mine), "accuracy_km": float(acc.loc[str(p.ptcr_id),
                                                                     "accuracy_km"]),
            "species_qualifiers": "; ".join(quals), "annex_changes": " | ".join(p.changes),
            "wp_section": p.section, "geometry": geom})
    for rec in rows:  # transboundary: the outline reaches every listed country
        for c in _split(rec["countries"]):
            km2 = country_km2(rec["geometry"], iso.loc[c, "geometry"])
            if km2 < MIN_COUNTRY_KM2:
                raise SystemExit(f"PTCR {rec['ptcr_id']} {rec['name']!r}: only {km2:.0f} km² "
                                 f"in {c}; a PTCR must reach every listed country (add a part)")
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84).sort_values("ptcr_id")
    write_gpkg({"ptcr": gdf}, folder / "ptcr.gpkg")
    write_csv(pd.DataFrame(gdf.drop(columns="geometry")), folder / "ptcr_attributes.csv")
    write_manifest(folder, {
        "ptcr.gpkg": layer_meta({"ptcr": gdf}),
        "ptcr_attributes.csv": {"rows": len(gdf), "role": "output: the layer's attributes"},
        "places.csv": {"rows": len(places), "role": "output: gazetteer (coordinates + seed "
                       "lines)"},
        "gazetteer_input.csv": {"rows": len(_read(folder / "gazetteer_input.csv")),
                                "role": "input table"},
        "outline_parts.csv": {"rows": len(parts), "role": "input table"},
        "outline_accuracy.csv": {"rows": len(acc), "role": "input table"},
    }, sources=[
        {"name": "CAMI Work Programme 2026-2032 (UNEP/CMS/CAMI3/Outcome 1)",
         "file": f"seeds/{WP_FILE}", "sha256": wp.sha256},
        {"name": "Natural Earth 10m physical regions, historic lakes (v4.0.0, public domain)",
         "file": NE_PHYSICAL, "sha256": sha256(ne_path(NE_PHYSICAL))},
        {"name": "Natural Earth 10m populated places, lakes (v4.0.0, public domain)",
         "file": NE_PLACES, "sha256": sha256(ne_path(NE_PLACES))},
        {"name": "country outlines", "file": "../borders/borders.gpkg"},
    ], notes=("Attributes verbatim from the Work Programme; outlines are approximations "
              "(buffered NE regions and documented places), not official boundaries."))
    log.info("ptcr: %d regions, %d places", len(gdf), len(places))
    return gdf
