"""Species table, Range States and indicative ranges for ``scripts/build_data.py`` (issue 12).

- ``species.csv``: Table 1 of the Work Programme (common name, CMS name, appendix as
  printed) and the IUCN names of the paragraph under it, parsed by :mod:`data_wp`, joined
  with ``species_extra.csv`` (synonyms, group, migratory flag, IUCN category, notes: not in
  the WP).
- ``range_states.csv``: the WP's Range States; ``cms_party`` = capitalised in the WP.
- ``ranges.gpkg``: indicative ranges. Species with named populations (saiga from seed 004,
  Bukhara deer units from seed 003, and the curated populations of ``populations.csv``)
  get one polygon per population; every other species the union of the PTCRs that list it
  plus the species' own parts of ``range_parts.csv``. The build checks that every species
  a PTCR lists overlaps it and that no two species share a polygon.

Run only through ``python scripts/build_data.py``.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from data_common import DATA, WGS84, layer_meta, sha256, tidy, write_csv, write_gpkg, write_manifest
from data_ptcr import _split, country_km2, finish_polygon, load_physical, ne_path, part_geometry
from data_wp import BKD_FILE, SAIGA_FILE, WP_FILE, WorkProgramme, cite, find_lines

log = logging.getLogger("build_data.species")

SEED_CODES = {"000": WP_FILE, "003": BKD_FILE, "004": SAIGA_FILE}
#: A species must cover at least this much of a PTCR that lists it (km²).
MIN_OVERLAP_KM2 = 100.0


def _read(path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


# --------------------------------------------------------------------------- species table
def build_species_table(wp: WorkProgramme) -> pd.DataFrame:
    extra = _read(DATA / "species_ranges" / "species_extra.csv").set_index("cms_name")
    names = [s.cms_name for s in wp.species]
    if set(names) != set(extra.index):
        raise SystemExit("species_extra.csv does not list the Table 1 CMS names: missing "
                         f"{sorted(set(names) - set(extra.index))}, extra "
                         f"{sorted(set(extra.index) - set(names))}")
    rows = []
    for s in wp.species:
        e = extra.loc[s.cms_name]
        iucn = "; ".join(s.iucn_names) if s.iucn_names else s.cms_name
        src = (f"{WP_FILE} Table 1 row {s.number} (L{s.line}): common name, CMS name, "
               f"appendix as printed")
        if s.iucn_names:
            src += f"; IUCN name(s) from the paragraph under Table 1 (L{s.iucn_line})"
        else:
            src += ("; the paragraph under Table 1 (L82) lists no other IUCN name, so "
                    "iucn_name = CMS name")
        rows.append({"common_name": s.common_name, "cms_name": s.cms_name,
                     "cms_appendix": s.appendix, "iucn_name": iucn,
                     "synonyms": e["synonyms"], "group": e["group"],
                     "migratory_ungulate": e["migratory_ungulate"],
                     "iucn_category": e["iucn_category"],
                     "source": src + "; synonyms, group, migratory flag, IUCN category: "
                     "species_extra.csv (not in the WP)", "notes": e["notes"]})
    return pd.DataFrame(rows)


def build_range_states(wp: WorkProgramme) -> pd.DataFrame:
    return pd.DataFrame([{"name_printed": name, "iso3": iso, "cms_party": party,
                          "source": f"{WP_FILE} L{wp.range_states_line} (the names of CMS "
                          "Parties are capitalised)"}
                         for name, iso, party in wp.range_states])


# --------------------------------------------------------------------------- ranges
def _anchor_points(a: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """Fill lat/lon of anchors that refer to the gazetteer (empty lat/lon)."""
    a = a.copy()
    ref = a["lat"] == ""
    if ref.any():
        idx = places.set_index("name")
        missing = sorted(set(a.loc[ref, "place"]) - set(idx.index))
        if missing:
            raise SystemExit(f"range_anchors.csv: places {missing} are not in the gazetteer")
        a.loc[ref, "lat"] = [str(idx.loc[p, "lat"]) for p in a.loc[ref, "place"]]
        a.loc[ref, "lon"] = [str(idx.loc[p, "lon"]) for p in a.loc[ref, "place"]]
    return a


def _population_rows(species: pd.DataFrame, ptcr: gpd.GeoDataFrame, places: pd.DataFrame,
                     land: gpd.GeoDataFrame) -> list[dict]:
    from data_common import anchor_polygon

    folder = DATA / "species_ranges"
    pops = _read(folder / "populations.csv")
    anchors = _read(folder / "range_anchors.csv")
    unknown = set(pops["cms_name"]) - set(species["cms_name"])
    if unknown:
        raise SystemExit(f"populations.csv names not in Table 1: {sorted(unknown)}")
    common = dict(zip(species["cms_name"], species["common_name"], strict=True))
    iso = land.set_index("iso3")
    rows = []
    for rec in pops.itertuples():
        a = anchors[(anchors["cms_name"] == rec.cms_name)
                    & (anchors["population"] == rec.population)]
        if a.empty:
            raise SystemExit(f"range_anchors.csv: no anchors for {rec.cms_name} / "
                             f"{rec.population}")
        clip = shapely.union_all(iso.loc[_split(rec.countries), "geometry"].values)
        if (a["group"] == "ptcr").all():
            ids = [int(v) for v in a["place"]]
            geom = shapely.union_all(ptcr.loc[ptcr["ptcr_id"].isin(ids), "geometry"].values)
            how = f"the outline of PTCR {', '.join(map(str, ids))}"
        else:
            a = _anchor_points(a, places)
            geom = anchor_polygon(a["lon"].astype(float).values,
                                  a["lat"].astype(float).values, a["group"].values,
                                  buffer_km=float(rec.buffer_km), clip=clip)
            how = (f"buffered hull/path of {len(a)} documented places (range_anchors.csv, "
                   f"buffer {rec.buffer_km} km)")
        cited = ""
        if rec.seed_file:
            hits = find_lines(rec.seed_term, (SEED_CODES[rec.seed_file],))
            if not hits:
                raise SystemExit(f"populations.csv {rec.population!r}: {rec.seed_term!r} "
                                 f"not found in seed {rec.seed_file}")
            cited = f"; named in {cite(hits, limit=2)}"
        rows.append({"sci_name": rec.cms_name, "common_name": common[rec.cms_name],
                     "population": rec.population, "presence": int(rec.presence),
                     "origin": int(rec.origin), "seasonal": int(rec.seasonal),
                     "source": f"indicative: {how}{cited}; {rec.notes}",
                     "accuracy_km": float(rec.accuracy_km),
                     "count": float(rec.count) if rec.count else np.nan,
                     "count_year": float(rec.count_year) if rec.count_year else np.nan,
                     "count_detail": rec.count_detail, "geometry": geom})
    return rows


def _species_rows(species: pd.DataFrame, ptcr: gpd.GeoDataFrame, places: pd.DataFrame,
                  land_all: shapely.Geometry, with_pops: set[str]) -> list[dict]:
    parts = _read(DATA / "species_ranges" / "range_parts.csv")
    regions, aral = load_physical()
    rows = []
    for rec in species.itertuples():
        if rec.cms_name in with_pops:
            continue
        sel = ptcr[ptcr["species"].map(lambda s, n=rec.cms_name: n in _split(s))]
        mine = parts[parts["cms_name"] == rec.cms_name]
        if sel.empty and mine.empty:
            raise SystemExit(f"{rec.cms_name} has neither populations, PTCRs nor range parts")
        extra = [part_geometry(r.kind, r.ref, r.window, float(r.buffer_km), places=places,
                               regions=regions, aral=aral, near=shapely.Point(),
                               where=f"range_parts.csv {rec.cms_name}")
                 for r in mine.itertuples()]
        geom = shapely.union_all([*sel.geometry.values, *extra])
        geom = finish_polygon(geom, land_all)
        ids = ", ".join(str(i) for i in sel["ptcr_id"])
        what = "; ".join(f"{r.ref} ({r.note})" for r in mine.itertuples())
        acc = max([float(sel["accuracy_km"].max()) if len(sel) else 0.0,
                   *[float(v) for v in mine["accuracy_km"]]])
        rows.append({"sci_name": rec.cms_name, "common_name": rec.common_name,
                     "population": "", "presence": 1, "origin": 1, "seasonal": 1,
                     "source": ("indicative, not a range map: union of the approximate PTCR "
                                f"outlines listing the species in the WP (PTCR {ids})"
                                + (f" and {what} (range_parts.csv)" if what else "")),
                     "accuracy_km": acc, "count": np.nan, "count_year": np.nan,
                     "count_detail": "", "geometry": geom})
    return rows


def check_ranges(gdf: gpd.GeoDataFrame, ptcr: gpd.GeoDataFrame) -> None:
    """Every species a PTCR lists overlaps it; no two species share a polygon."""
    for p in ptcr.itertuples():
        for name in _split(p.species):
            r = shapely.union_all(gdf.loc[gdf["sci_name"] == name, "geometry"].values)
            km2 = country_km2(r, p.geometry)
            if km2 < MIN_OVERLAP_KM2:
                raise SystemExit(f"range of {name} overlaps PTCR {p.ptcr_id} {p.name!r} by "
                                 f"{km2:.0f} km² only; the WP lists it there")
    g = gdf.geometry.values
    for i in range(len(gdf)):
        for j in range(i + 1, len(gdf)):
            if gdf["sci_name"].iloc[i] != gdf["sci_name"].iloc[j] and \
                    shapely.equals_exact(g[i], g[j], 1e-6):
                raise SystemExit(f"{gdf['sci_name'].iloc[i]} and {gdf['sci_name'].iloc[j]} "
                                 "share an identical range polygon")


def build_species(countries: gpd.GeoDataFrame, ptcr: gpd.GeoDataFrame,
                  wp: WorkProgramme) -> gpd.GeoDataFrame:
    """Build ``data/species_ranges`` (species.csv, range_states.csv, ranges.gpkg, MANIFEST)."""
    folder = DATA / "species_ranges"
    species = build_species_table(wp)
    write_csv(species, folder / "species.csv")
    states = build_range_states(wp)
    write_csv(states, folder / "range_states.csv")
    places = pd.read_csv(DATA / "ptcr" / "places.csv", dtype=str, keep_default_na=False)
    land_all = shapely.union_all(countries.geometry.values)
    rows = _population_rows(species, ptcr, places, countries)
    rows += _species_rows(species, ptcr, places, land_all, {r["sci_name"] for r in rows})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
    gdf["geometry"] = tidy(gdf.geometry.values)
    gdf["count"] = gdf["count"].astype("Int64")
    gdf["count_year"] = gdf["count_year"].astype("Int64")
    gdf = gdf.sort_values(["sci_name", "population"], ignore_index=True)
    check_ranges(gdf, ptcr)
    write_gpkg({"ranges": gdf}, folder / "ranges.gpkg")
    inputs = ["species_extra.csv", "populations.csv", "range_anchors.csv", "range_parts.csv"]
    write_manifest(folder, {
        "ranges.gpkg": layer_meta({"ranges": gdf}),
        "species.csv": {"rows": len(species), "role": "output: WP Table 1 + species_extra.csv"},
        "range_states.csv": {"rows": len(states), "role": "output: WP Range States"},
        **{f: {"rows": len(_read(folder / f)), "role": "input table"} for f in inputs},
    }, sources=[
        {"name": "CAMI Work Programme 2026-2032 (Table 1, Range States, PTCR species)",
         "file": f"seeds/{WP_FILE}", "sha256": wp.sha256},
        {"name": "Draft Work Programme for the Bukhara Deer 2025-2032 (population units)",
         "file": f"seeds/{BKD_FILE}", "sha256": sha256(ne_path(f"seeds/{BKD_FILE}"))},
        {"name": "Overview report on saiga conservation status (populations, Table 1)",
         "file": f"seeds/{SAIGA_FILE}", "sha256": sha256(ne_path(f"seeds/{SAIGA_FILE}"))},
        {"name": "Natural Earth 10m physical regions (v4.0.0, public domain)",
         "file": "reference/naturalearth/central_asia_ne10m_physical.gpkg"},
        {"name": "PTCR outlines and gazetteer", "file": "../ptcr/ptcr.gpkg, ../ptcr/places.csv"},
    ], notes="Indicative ranges only (not range maps); replace with IUCN Red List polygons.")
    log.info("species: %d rows, ranges: %d polygons", len(species), len(gdf))
    return gdf
