"""Build ``data/activities/``: the registry of the Work Programmes' spatial activities.

Inputs (read-only):

* the source documents in ``<shared>/seeds/`` (the CAMI Work Programme 2026–2032,
  ``000_7476e8aba978c2aa.txt``, and the Bukhara Deer Work Programme 2025–2032,
  ``003_8b0bd1bf03a7167e.txt``): every registered activity is found by its number on a
  table line of the right section; the script copies the seed file name, the line number,
  a quotation (≤ 200 characters, verbatim from the line), the PTCR (WP §§12–24 heading)
  or population unit (BD WP "N.0" heading) and the species (WP ``Species:`` line);
* Natural Earth 1:10m v4.0.0 (public domain) from ``<shared>/reference/naturalearth``:
  rivers and lakes of the riparian corridors, populated places (settlements and place
  coordinates).

``<shared>`` is ``$CAMIGEO_SHARED`` (default ``../shared`` next to the repository).

Outputs: ``activities.csv`` (the registry), ``places.csv`` (every place an activity names:
lon/lat, ``accuracy_km``, ``source``), ``context.gpkg`` (layers ``rivers``, ``lakes``,
``settlements``), ``MANIFEST.json`` (input and output SHA-256). Run:
``python scripts/data_activities.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

REPO = Path(__file__).resolve().parents[1]
OUT = Path(os.environ.get("CAMIGEO_BUILD_DATA_DIR", REPO / "data")) / "activities"
SHARED = Path(os.environ.get("CAMIGEO_SHARED", REPO.parent / "shared"))
SEEDS = SHARED / "seeds"
NE = SHARED / "reference" / "naturalearth" / "central_asia_ne10m.gpkg"
WP = "000_7476e8aba978c2aa.txt"
BD = "003_8b0bd1bf03a7167e.txt"
FIXED_GPKG_DATE = "2026-11-23T00:00:00Z"
QUOTE_MAX = 200

# ---------------------------------------------------------------------------------- places
#: Places taken from NE populated_places: place -> (NE NAME, ADM0_A3).
NE_PLACES = {
    "Kapchagai": ("Qapshaghay", "KAZ"),
    "Turkistan": ("Turkistan", "KAZ"),
    "Termez": ("Termiz", "UZB"),
    "Atamyrat (Kerki)": ("Atamyrat", "TKM"),
}
#: Places located on an NE river line: place -> (river NAME, lake NAME, note). The point
#: is the end of the river's line nearest to the lake polygon (the river mouth).
RIVER_MOUTHS = {
    "Ile-Balkhash Reserve (Ile delta)": (
        "Ile", "Lake Balkhash",
        "the reserve lies in the Ile delta on Lake Balkhash (BD WP line 31: 'Ile-Balkhash "
        "area'); point = the mouth of the NE 'Ile' river line; the delta is ~80 km wide"),
    "Aral Sea (Syr Darya mouth)": (
        "Syr  Darya", "Aral Sea",
        "'to the Aral' (BD WP line 116) read as the Syr Darya mouth; point = the end of the NE "
        "'Syr Darya' line nearest the NE 'Aral Sea' polygon"),
}
#: Documented coordinates (lat, lon, accuracy_km, source). K = general knowledge,
#: ±0.05–0.2° (the convention of domain_methods §6); verify against WDPA/OSM before use in
#: a legal or engineering context.
K_PLACES: dict[str, tuple[float, float, float, str]] = {
    "Kyzylkum SSNR": (41.05, 61.75, 40.0,
                      "K (as data/species_ranges/range_anchors.csv 'Kyzylkum reserve on the "
                      "Amu Darya'); right (UZB) bank of the Amu Darya"),
    "Amu Darya SSNR": (40.50, 62.10, 60.0,
                       "K: left (TKM) bank of the Amu Darya near Darganata, facing Kyzylkum "
                       "SSNR (one transboundary hotspot, BD WP line 27); low confidence"),
    "Tigrovaya Balka (Beshai Palangon)": (37.25, 68.35, 25.0,
                                          "K (as data/species_ranges/range_anchors.csv)"),
    "Koytendag SSNR": (37.85, 66.45, 25.0, "K: Kugitang range, Lebap (TKM); low confidence"),
    "Surkhan SSNR": (38.10, 66.95, 25.0,
                     "K: Kugitang (Kohitang) section, Surkhandarya (UZB); low confidence"),
    "Great Gobi A SPA": (43.15, 98.75, 60.0,
                         "centre of the GGSPA-A box 42.4–43.9 °N, 96.5–101.0 °E "
                         "(domain_methods §6, K)"),
    "Great Gobi B SPA": (45.53, 93.65, 40.0,
                         "K: Takhin Tal station (as data/ptcr/anchors.csv)"),
    "Small Gobi A SPA": (43.20, 107.20, 40.0, "K (as data/ptcr/anchors.csv)"),
    "Small Gobi B SPA": (43.80, 109.70, 40.0, "K (as data/ptcr/anchors.csv)"),
    "Kalamaili NP": (45.20, 89.30, 40.0, "K (as data/ptcr/anchors.csv)"),
}
#: Settlements along the Trans-Mongolian railway (domain_methods §6; G = GeoNames,
#: P = POI file checked against GeoNames): name -> (lat, lon, provenance).
STATIONS = {
    "Sükhbaatar": (50.231, 106.208, "G"), "Darkhan": (49.486, 105.923, "P"),
    "Züünkharaa": (48.853, 106.458, "P"), "Ulaanbaatar": (47.920, 106.918, "P"),
    "Choir": (46.361, 108.361, "G"), "Sainshand": (44.882, 110.116, "G"),
    "Zamyn-Üüd": (43.719, 111.905, "P"),
}

# -------------------------------------------------------------------------------- registry
#: Registered activities: (doc, number, recipe, places, params, assumptions).
#: ``params`` is JSON for the recipe (see camigeo/activities/recipes.py).
REGISTRY: list[tuple[str, str, str, list[str], dict, str]] = [
    ("WP", "3.5", "core_corridors", [],
     {"cores": "ptcr_parts", "countries": ["KGZ"], "species": ["Ovis ammon", "Uncia uncia"],
      "cell_km": 10.0},
     "The WP names no places; the CAMCA example (Kyrgyzstan) is read as: corridors between "
     "the PTCRs that reach into Kyrgyzstan, for argali and snow leopard; cores = each PTCR "
     "∩ the species ranges (≥ 300 km²)."),
    ("WP", "5.1", "line_screening", [],
     {"status": ["planned", "under_construction"], "buffer_m": 5000.0},
     "'Monitor plans for infrastructure development' = screen every planned or "
     "under-construction line of the infrastructure layer (screen_project, 5 km buffer)."),
    ("WP", "5.6", "core_corridors", [],
     {"cores": "ptcr", "species": ["Equus hemionus", "Gazella subgutturosa"],
      "cell_km": 25.0},
     "Eco-corridors between protected areas are modelled at the PTCR level (PA outlines are "
     "not bundled): cores = the PTCRs where khulan or goitered gazelle occur."),
    ("WP", "5.7", "inventory", [],
     {"ptcr": None, "infra_type": ["border_fence"]},
     "Border structures of all PTCRs: km of border fence per PTCR and the effective mesh "
     "size with and without them (m_eff, CUT)."),
    ("WP", "14.6", "fence_crossings", [],
     {"line": {"infra_type": "border_fence", "countries": ["KAZ", "UZB"],
               "documented": True},
      "species": ["Saiga spp.", "Equus hemionus", "Gazella subgutturosa"],
      "spacing_km": 10.0, "select": 3, "window_km": 100.0, "cell_km": 5.0},
     "Candidate crossings every 10 km along the documented KAZ–UZB border fence; cores = the "
     "species ranges on each side within 100 km of the fence; sites picked one after another "
     "by marginal ΔECA (rank_passages(select=3))."),
    ("WP", "15.2", "core_corridors", [],
     {"cores": "ptcr_countries", "species": ["Panthera pardus saxicolor", "Acinonyx jubatus",
                                             "Ovis vignei", "Gazella subgutturosa",
                                             "Equus hemionus"],
      "cell_km": 5.0},
     "Transboundary corridors = least-cost links between the Iranian and Turkmen parts of "
     "the PTCR (∩ the species ranges), across the border fence."),
    ("WP", "15.3", "fence_crossings", [],
     {"line": {"infra_type": "border_fence", "countries": ["IRN", "TKM"],
               "documented": True},
      "species": ["Panthera pardus saxicolor", "Ovis vignei", "Gazella subgutturosa"],
      "spacing_km": 10.0, "select": 3, "window_km": 60.0, "cell_km": 3.0},
     "'Parts of the border fence most intensively used' are modelled (no survey data "
     "bundled): passages ranked by ΔECA; with tracks, BaBA crossing hotspots replace them."),
    ("WP", "16.9", "fence_crossings", ["Koytendag SSNR", "Surkhan SSNR"],
     {"line": {"infra_type": "border_fence", "countries": ["TKM", "UZB"],
               "documented": False},
      "near": "Koytendag SSNR", "near_km": 60.0,
      "species": ["Ovis vignei", "Gazella subgutturosa"],
      "spacing_km": 5.0, "select": 3, "window_km": 60.0, "cell_km": 2.0},
     "The TKM–UZB border within 60 km of Koytendag SSNR (fencing not documented in the "
     "sources: treated as a fence for the what-if); candidate crossings every 5 km."),
    ("WP", "18.4", "inventory", [], {"ptcr": "Northern and Inner Tian Shan"},
     "Inventory of the bundled lines inside the PTCR outline (schematic geometry)."),
    ("WP", "19.2", "inventory", [], {"ptcr": "Pamirs-Hindukush-Karakoram"},
     "Inventory of the bundled lines inside the PTCR outline; remnants of old fences are not "
     "in any bundled layer."),
    ("WP", "20.3", "inventory", [], {"ptcr": "Altai"},
     "Inventory of the bundled lines inside the PTCR outline."),
    ("WP", "21.3", "track_corridors", [],
     {"species": ["Procapra gutturosa"], "countries": ["CHN", "MNG", "RUS"],
      "cell_km": 10.0, "min_individuals": 2},
     "Migration between China, Mongolia and Russia can only be mapped from GPS tracks."),
    ("WP", "21.4", "line_whatif", [],
     {"line": {"name": "Trans-Mongolian", "infra_type": "railway"},
      "fence_class_after": "high", "settlement_km": 10.0,
      "species": ["Procapra gutturosa", "Gazella subgutturosa"],
      "window_km": 200.0, "cell_km": 10.0, "dispersal_km": 100.0},
     "a) barbed → smooth wire = fence class 'impermeable' → 'high' (wildlife-friendly, "
     "permeability 0.7); b) fence removed where no settlement lies within 10 km (settlements "
     "= NE populated places + the railway's stations, so the removed share is an upper "
     "bound). Δ conflict, Δ m_eff (fenced lines of class below 'high' as barriers), Δ ECA "
     "(gazelles range widely: dispersal kernel p = 0.5 at 100 km)."),
    ("WP", "21.5", "line_screening", [],
     {"line": {"infra_type": "railway", "countries": ["MNG"],
               "status": ["planned", "under_construction"]},
      "buffer_m": 5000.0, "fenced": True},
     "The planned railway(s) in Mongolia of the infrastructure layer, screened as fenced "
     "(21.5: 'including fencing of the railway')."),
    ("WP", "22.4", "track_corridors", ["Great Gobi A SPA", "Great Gobi B SPA", "Kalamaili NP"],
     {"species": ["Equus hemionus", "Equus ferus przewalskii", "Camelus bactrianus"],
      "countries": ["CHN", "MNG"], "cell_km": 10.0, "min_individuals": 2},
     "Transboundary movement corridors can only be mapped from the teams' movement data."),
    ("WP", "22.13", "core_corridors",
     ["Great Gobi A SPA", "Great Gobi B SPA", "Small Gobi A SPA", "Small Gobi B SPA"],
     {"cores": "places", "core_radius_km": 25.0, "cell_km": 10.0,
      "species": ["Equus hemionus", "Gazella subgutturosa"]},
     "PA outlines are not bundled: each SPA is a 25 km disc around its reference point; "
     "resistance 1 inside the khulan/goitered gazelle ranges, 10 outside, plus the lines."),
    ("BD", "2.1", "riparian_corridor", ["Amu Darya SSNR", "Kyzylkum SSNR"],
     {"river": "Amu  Darya", "pairs": [["Amu Darya SSNR", "Kyzylkum SSNR"]]},
     "First pair of 2.1 only: Nazarkhan (LABR) and the TKM tugay forests are not located in "
     "any source at hand."),
    ("BD", "3.1", "riparian_corridor", ["Atamyrat (Kerki)", "Kyzylkum SSNR"],
     {"river": "Amu  Darya", "pairs": [["Atamyrat (Kerki)", "Kyzylkum SSNR"]]},
     "'Middle reaches of Amu Darya' = from Atamyrat (Kerki) to Kyzylkum SSNR."),
    ("BD", "4.2", "riparian_corridor", ["Termez", "Tigrovaya Balka (Beshai Palangon)"],
     {"river": ["Amu  Darya", "Panj"],
      "pairs": [["Termez", "Tigrovaya Balka (Beshai Palangon)"]]},
     "Upper Amu Darya: Uz3 sites near Termez (Maimun-Tugay, Aral-Paygambar) to Tj1 "
     "(Tigrovaya Balka), BD WP line 26."),
    ("BD", "6.4", "riparian_corridor", ["Turkistan", "Aral Sea (Syr Darya mouth)"],
     {"river": "Syr  Darya", "pairs": [["Turkistan", "Aral Sea (Syr Darya mouth)"]]},
     "Turkistan (NE populated place) to the Syr Darya mouth."),
    ("BD", "7.4", "riparian_corridor", ["Kapchagai", "Ile-Balkhash Reserve (Ile delta)"],
     {"river": "Ile", "pairs": [["Kapchagai", "Ile-Balkhash Reserve (Ile delta)"]]},
     "Kapchagai = NE 'Qapshaghay' at the dam; the reserve = the Ile mouth on Lake Balkhash."),
]
#: Shared assumptions of the riparian recipe (appended to each BD entry).
RIPARIAN = ("Resistance 1 within the tugay belt (5 km of the NE river line), 10 within 15 km, "
            "100 beyond, 50 on open water; corridor = cells whose route cost is within 10 % "
            "of the least cost.")

SPECIES_BD = "Cervus elaphus bactrianus"
# WP 'Species:' common names -> scientific names of the camigeo species table
COMMON = {
    "asiatic wild ass": "Equus hemionus", "goitered gazelle": "Gazella subgutturosa",
    "persian leopard": "Panthera pardus saxicolor", "urial": "Ovis vignei", "saiga": "Saiga spp.",
    "asiatic cheetah": "Acinonyx jubatus", "lynx": "Lynx lynx isabellinus",
    "pallas's cat": "Felis manul", "argali": "Ovis ammon", "snow leopard": "Uncia uncia",
    "mongolian gazelle": "Procapra gutturosa", "przewalski's horse": "Equus ferus przewalskii",
    "gobi bear": "Ursus arctos isabellinus", "wild camel": "Camelus bactrianus",
    "kiang": "Equus kiang", "wild yak": "Bos grunniens",
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _quote(text: str) -> str:
    """First sentence of ``text`` (verbatim), cut at a word boundary to ≤ QUOTE_MAX."""
    if len(text) <= QUOTE_MAX:
        return text.strip()
    cut = text[:QUOTE_MAX].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:–-")


def _species(line: str) -> str:
    out = []
    body = line.split(":", 1)[1].strip().rstrip("\t ")
    for part in body.split(","):
        name = re.sub(r"\(.*?\)", "", part).strip().lower()
        if name in COMMON:
            out.append(COMMON[name])
    return "; ".join(out)


def find_wp(lines: list[str], number: str) -> dict:
    """Line of WP activity ``number`` with its PTCR (§§12–24) or cross-cutting section."""
    ptcr, species = "", ""
    hit = None
    for i, line in enumerate(lines, start=1):
        m = re.match(r"^(\d{2})\. (.+?) \(([^)]*)\)\s*[-–]", line)
        if m and 12 <= int(m.group(1)) <= 24:
            ptcr, species = m.group(2).strip(), ""
            continue
        if line.startswith("Species:"):
            species = _species(line)
            continue
        if line.split("\t", 1)[0] == number and "\t" in line:
            if hit is not None:
                raise SystemExit(f"WP {number}: found twice (lines {hit['line']} and {i})")
            sec = int(number.split(".")[0])
            hit = {"line": i, "text": line.split("\t")[1],
                   "ptcr": ptcr if sec >= 12 else "", "species": species if sec >= 12 else ""}
    if hit is None:
        raise SystemExit(f"WP {number}: not found in {WP}")
    return hit


def find_bd(lines: list[str], number: str) -> dict:
    """Line of BD activity ``number`` in the population-specific part (before ANNEX 1)."""
    unit = ""
    for i, line in enumerate(lines, start=1):
        if line.startswith("ANNEX 1"):
            break
        m = re.match(r"^(\d+)\.0\t(.+?)\s*(\(([^)]*)\))?\s*$", line.rstrip("\t "))
        if m:
            unit = m.group(2).strip()
            continue
        if line.split("\t", 1)[0] == number:
            return {"line": i, "text": line.split("\t")[1], "unit": unit}
    raise SystemExit(f"BD {number}: not found before ANNEX 1 in {BD}")


def build_places(ne_places: gpd.GeoDataFrame, rivers: gpd.GeoDataFrame,
                 lakes: gpd.GeoDataFrame) -> pd.DataFrame:
    rows = []
    for place, (name, adm0) in NE_PLACES.items():
        hit = ne_places[(ne_places["NAME"] == name) & (ne_places["ADM0_A3"] == adm0)]
        if len(hit) != 1:
            raise SystemExit(f"NE populated_places: {name} ({adm0}) matched {len(hit)} rows")
        g = hit.geometry.iloc[0]
        gid = hit["GEONAMEID"].iloc[0]
        rows.append({"place": place, "kind": "town", "lon": round(g.x, 4), "lat": round(g.y, 4),
                     "accuracy_km": 5.0,
                     "source": f"Natural Earth 10m v4.0.0 populated_places NAME={name!r} "
                               f"ADM0_A3={adm0} (GeoNames {int(gid)})"})
    for place, (river, lake, note) in RIVER_MOUTHS.items():
        line = rivers[(rivers["name"] == river) & (rivers["featurecla"] == "River")]
        poly = lakes[lakes["name"] == lake].geometry.union_all()
        ends = [shapely.Point(c) for part in shapely.get_parts(line.geometry.union_all())
                for c in (part.coords[0], part.coords[-1])]
        best = min(ends, key=lambda p: p.distance(poly))
        rows.append({"place": place, "kind": "river mouth", "lon": round(best.x, 4),
                     "lat": round(best.y, 4), "accuracy_km": 40.0,
                     "source": f"Natural Earth 10m v4.0.0 rivers_lake_centerlines {river!r} "
                               f"end nearest lakes {lake!r}: {note}"})
    for place, (lat, lon, acc, src) in K_PLACES.items():
        rows.append({"place": place, "kind": "protected area", "lon": lon, "lat": lat,
                     "accuracy_km": acc, "source": src})
    for place, (lat, lon, prov) in STATIONS.items():
        rows.append({"place": place, "kind": "railway station", "lon": lon, "lat": lat,
                     "accuracy_km": 2.0 if prov == "G" else 5.0,
                     "source": f"domain_methods §6 Trans-Mongolian Rwy ({prov})"})
    return pd.DataFrame(rows)


def build_registry(wp: list[str], bd: list[str], places: pd.DataFrame) -> pd.DataFrame:
    known = set(places["place"])
    rows = []
    for doc, number, recipe, plist, params, assumptions in REGISTRY:
        missing = [p for p in plist + [params.get("near", "")] if p and p not in known]
        missing += [p for pair in params.get("pairs", []) for p in pair if p not in known]
        if missing:
            raise SystemExit(f"{doc} {number}: places {missing} not in places.csv")
        if doc == "WP":
            hit = find_wp(wp, number)
            seed, ptcr, unit, species = WP, hit["ptcr"], "", hit["species"]
        else:
            hit = find_bd(bd, number)
            seed, ptcr, unit, species = BD, "", hit["unit"], SPECIES_BD
            assumptions = f"{assumptions} {RIPARIAN}" if recipe == "riparian_corridor" \
                else assumptions
        rows.append({
            "activity_id": f"{doc} {number}", "document": doc, "number": number,
            "seed_file": seed, "seed_line": hit["line"], "quote": _quote(hit["text"]),
            "ptcr": ptcr, "population_unit": unit, "species": species,
            "places": "; ".join(plist), "recipe": recipe,
            "params_json": json.dumps(params, ensure_ascii=False, sort_keys=True),
            "assumptions": assumptions,
        })
    return pd.DataFrame(rows)


def main() -> None:
    if not SEEDS.is_dir() or not NE.is_file():
        sys.exit(f"need {SEEDS} and {NE}; set CAMIGEO_SHARED to the shared folder")
    wp = (SEEDS / WP).read_text(encoding="utf-8").splitlines()
    bd = (SEEDS / BD).read_text(encoding="utf-8").splitlines()
    ne_places = pyogrio.read_dataframe(NE, layer="populated_places")
    rivers = pyogrio.read_dataframe(NE, layer="rivers_lake_centerlines")
    lakes = pyogrio.read_dataframe(NE, layer="lakes")
    places = build_places(ne_places, rivers, lakes)
    registry = build_registry(wp, bd, places)

    # context layers: the rivers and lakes the riparian recipes use, and settlements
    wanted = sorted({r for *_, params, _a in REGISTRY
                     for r in ([params["river"]] if isinstance(params.get("river"), str)
                               else params.get("river", []))})
    riv = rivers[rivers["name"].isin(wanted)][["name", "featurecla", "scalerank", "geometry"]]
    riv = riv.assign(name=riv["name"].str.replace(r"\s+", " ", regex=True), accuracy_km=1.0,
                     source="Natural Earth 10m v4.0.0 rivers_lake_centerlines")
    lk = lakes[lakes["name"].isin(["Lake Balkhash", "Kapchagay Reservoir", "Aral Sea"])]
    lk = lk[["name", "featurecla", "geometry"]].assign(
        accuracy_km=1.0, source="Natural Earth 10m v4.0.0 lakes")
    st = ne_places[["NAME", "ADM0_A3", "FEATURECLA", "POP_MAX", "geometry"]].rename(
        columns={"NAME": "name", "ADM0_A3": "iso3", "FEATURECLA": "featurecla",
                 "POP_MAX": "pop_max"})
    st = st.assign(accuracy_km=5.0, source="Natural Earth 10m v4.0.0 populated_places")
    stations = places[places["kind"] == "railway station"]
    st = pd.concat([st, gpd.GeoDataFrame(
        {"name": stations["place"], "iso3": "MNG", "featurecla": "railway station",
         "pop_max": pd.NA, "accuracy_km": stations["accuracy_km"],
         "source": stations["source"]},
        geometry=gpd.points_from_xy(stations["lon"], stations["lat"]), crs="EPSG:4326")],
        ignore_index=True)
    st["pop_max"] = pd.to_numeric(st["pop_max"], errors="coerce")

    OUT.mkdir(parents=True, exist_ok=True)
    registry.to_csv(OUT / "activities.csv", index=False, lineterminator="\n")
    places.to_csv(OUT / "places.csv", index=False, lineterminator="\n")
    os.environ["OGR_CURRENT_DATE"] = FIXED_GPKG_DATE
    gpkg = OUT / "context.gpkg"
    tmp = gpkg.with_suffix(".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    for i, (name, gdf) in enumerate({"rivers": riv, "lakes": lk, "settlements": st}.items()):
        g = gpd.GeoDataFrame(gdf, geometry="geometry", crs="EPSG:4326")
        pyogrio.write_dataframe(g, tmp, layer=name, driver="GPKG", append=i > 0)
    os.replace(tmp, gpkg)
    import datetime as _dt

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    build_date = (_dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC) if epoch
                  else _dt.datetime.now(tz=_dt.UTC)).date().isoformat()

    def rec(name: str, **extra: object) -> dict:
        path = OUT / name
        return {"file": name, "sha256": sha256(path), "size_bytes": path.stat().st_size,
                **extra}

    manifest = {
        "dataset": "activities", "build_date": build_date,
        "built_by": "scripts/data_activities.py", "crs": "EPSG:4326",
        "sources": [
            {"name": "CAMI Work Programme 2026-2032 (UNEP/CMS/CAMI3/Outcome 1)",
             "file": f"seeds/{WP}", "sha256": sha256(SEEDS / WP)},
            {"name": "Bukhara Deer Work Programme 2025-2032 (UNEP/CMS/BKD/MOS3/Doc.4)",
             "file": f"seeds/{BD}", "sha256": sha256(SEEDS / BD)},
            {"name": "Natural Earth 1:10m v4.0.0 (public domain)",
             "file": "reference/naturalearth/central_asia_ne10m.gpkg", "sha256": sha256(NE)},
            {"name": "domain_methods §6 (Trans-Mongolian stations; K coordinates)",
             "file": "docs/domain_methods.md"}],
        "files": [rec("activities.csv", rows=len(registry)),
                  rec("places.csv", rows=len(places)),
                  rec("context.gpkg", layers={"rivers": {"features": len(riv)},
                                              "lakes": {"features": len(lk)},
                                              "settlements": {"features": len(st)}})],
    }
    (OUT / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"{len(registry)} activities, {len(places)} places -> {OUT}")


if __name__ == "__main__":
    main()
