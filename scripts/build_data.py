#!/usr/bin/env python
"""Build every bundled layer under ``data/`` from committed tables and Natural Earth.

Usage::

    python scripts/build_data.py            # all data sets
    python scripts/build_data.py borders    # one or more of: borders ptcr species infrastructure
    python scripts/build_data.py infrastructure --osm mongolia-latest.osm.pbf
        # route the schematic railways/roads through the OSM ways of an extract
        # (camigeo.conflate_lines; lines with no route keep their schematic geometry)

Inputs (all committed, no network except ``npm pack world-atlas@2.0.2``, cached in
``.build_cache/``):

- ``data/borders/iso_codes.csv``: ISO 3166 numeric -> alpha-3 for the kept countries.
- PTCRs and species (``scripts/data_ptcr.py``, ``data_species.py``, ``data_wp.py``): the
  seed documents in ``$CAMIGEO_SHARED/seeds`` (default ``<repo>/../shared``; the Work
  Programme is parsed, not copied), Natural Earth in ``$CAMIGEO_SHARED/reference``, and the
  committed tables ``data/ptcr/{gazetteer_input,outline_parts,outline_accuracy}.csv`` and
  ``data/species_ranges/{species_extra,populations,range_anchors,range_parts}.csv``.
- ``data/infrastructure/lines.csv`` + ``vertices.csv`` (schematic lines) and
  ``border_fences.csv`` (fenced stretches cut from the ``borders`` layer).

Outputs are sorted and written with a fixed GeoPackage timestamp, so a rerun gives the
same bytes (checked by ``tests/test_datasets.py`` through the manifests' checksums).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import data_borders  # noqa: E402
import data_ptcr  # noqa: E402
import data_species  # noqa: E402
import data_wp  # noqa: E402
from data_common import (  # noqa: E402
    DATA,
    WGS84,
    layer_meta,
    sha256,
    tidy,
    write_gpkg,
    write_manifest,
)

from camigeo.crs import geodesic_length_km  # noqa: E402

log = logging.getLogger("build_data")

#: CAMI range states whose mutual land borders are recorded as (possible) border fences.
CAMI_CORE = {"AFG", "CHN", "IND", "IRN", "KAZ", "KGZ", "MNG", "NPL", "PAK", "RUS", "TJK",
             "TKM", "UZB"}
#: Border segments outside this lon/lat box (e.g. the Amur) are not CAMI-relevant.
CAMI_BOX = (44.0, 25.0, 122.0, 56.0)


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _union_of(countries: gpd.GeoDataFrame, iso3: list[str]) -> shapely.Geometry:
    missing = set(iso3) - set(countries["iso3"])
    if missing:
        raise SystemExit(f"countries {sorted(missing)} are not in data/borders/iso_codes.csv")
    return shapely.union_all(countries.loc[countries["iso3"].isin(iso3), "geometry"].values)


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(";") if v.strip()]


# --------------------------------------------------------------------------- borders
def build_borders() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    folder = DATA / "borders"
    codes = _read(folder / "iso_codes.csv")
    countries, borders, record = data_borders.build(codes)
    layers = {"countries": countries, "borders": borders}
    write_gpkg(layers, folder / "borders.gpkg")
    write_manifest(folder, {"borders.gpkg": layer_meta(layers),
                            "iso_codes.csv": {"rows": len(codes), "role": "input table"}},
                   sources=[record])
    log.info("borders: %d countries, %d borders", len(countries), len(borders))
    return countries, borders


def load_built_borders() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    path = DATA / "borders" / "borders.gpkg"
    return (gpd.read_file(path, layer="countries"), gpd.read_file(path, layer="borders"))


# --------------------------------------------------------------------------- PTCRs
def build_ptcr(countries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return data_ptcr.build_ptcr(countries, data_wp.parse_work_programme())


# --------------------------------------------------------------------------- species
def build_species(countries: gpd.GeoDataFrame, ptcr: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return data_species.build_species(countries, ptcr, data_wp.parse_work_programme())


# --------------------------------------------------------------------------- infrastructure
def _lines(lines: pd.DataFrame, verts: pd.DataFrame) -> list[dict]:
    rows = []
    for rec in lines.to_dict("records"):
        v = verts[verts["infra_id"] == rec["infra_id"]].copy()
        v[["part", "seq"]] = v[["part", "seq"]].astype(int)
        parts = [shapely.linestrings(p.sort_values("seq")[["lon", "lat"]].astype(float).values)
                 for _, p in v.groupby("part", sort=True)]
        rec["geometry"] = shapely.MultiLineString(parts) if len(parts) > 1 else parts[0]
        rows.append(rec)
    return rows


def _border_fences(borders: gpd.GeoDataFrame, fences: pd.DataFrame) -> list[dict]:
    rows = []
    done: dict[str, list] = {}
    for rec in fences.to_dict("records"):
        b = borders.loc[borders["border_id"] == rec.pop("border_id")].iloc[0]
        box = [float(rec.pop(k)) for k in ("lon_min", "lat_min", "lon_max", "lat_max")]
        geom = shapely.clip_by_rect(b.geometry, *box)
        if geom.is_empty:
            raise SystemExit(f"{rec['infra_id']}: box misses the {b.border_id} border")
        done.setdefault(b.border_id, []).append(shapely.box(*box))
        rows.append({**rec, "infra_type": "border_fence", "fenced": "True",
                     "countries": f"{b.iso3_a}; {b.iso3_b}", "length_reported_km": "",
                     "geometry": geom})
    for b in borders.itertuples():
        if not {b.iso3_a, b.iso3_b} <= CAMI_CORE:
            continue
        geom = shapely.clip_by_rect(b.geometry, *CAMI_BOX)
        if b.border_id in done:
            geom = shapely.difference(geom, shapely.union_all(done[b.border_id]))
        geom = shapely.line_merge(geom) if not geom.is_empty else geom
        if geom.is_empty or geodesic_length_km(np.array([geom]))[0] < 1.0:
            continue
        rows.append({"infra_id": f"BF-{b.border_id}", "infra_type": "border_fence",
                     "name": f"{b.name} border (fencing not documented)", "status": "existing",
                     "fenced": "True", "fence_class": "unknown",
                     "countries": f"{b.iso3_a}; {b.iso3_b}", "length_reported_km": "",
                     "year": "", "accuracy_km": "5",
                     "source": ("Natural Earth land border of two CAMI range states, recorded "
                                "as a possible border fence; presence and type of fencing not "
                                "documented (fence_class unknown)"),
                     "geometry": geom})
    return rows


def _conflate_osm(rows: list[dict], pbf: Path, corridor_km: float) -> tuple[list[dict], dict]:
    """Route the schematic lines through the OSM ways of ``pbf`` (same type and status)."""
    from camigeo.conflate import conflate_osm

    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
    gdf["accuracy_km"] = gdf["accuracy_km"].astype(float)
    out = conflate_osm(gdf, pbf, corridor_m=corridor_km * 1000.0)
    report = {}
    for rec in out.itertuples():
        report[rec.infra_id] = rec.geometry_source + (f" ({rec.conflate_note})"
                                                      if rec.conflate_note else "")
        log.info("%s: %s", rec.infra_id, report[rec.infra_id])
    out["accuracy_km"] = [f"{v:g}" for v in out["accuracy_km"]]
    out = out.drop(columns=["geometry_source", "conflate_note"])
    return out.to_dict("records"), report


def build_infrastructure(borders: gpd.GeoDataFrame, *, osm: Path | None = None,
                         corridor_km: float = 20.0) -> gpd.GeoDataFrame:
    folder = DATA / "infrastructure"
    lines = _read(folder / "lines.csv")
    verts = _read(folder / "vertices.csv")
    fences = _read(folder / "border_fences.csv")
    schematic = _lines(lines, verts)
    sources = [{"name": "domain_methods §1/§6 (public reports, GeoNames, author knowledge)",
                "file": "lines.csv, vertices.csv, border_fences.csv"},
               {"name": "borders layer", "file": "../borders/borders.gpkg"}]
    notes = "Schematic lines; replace or extend with OSM (camigeo.read_osm)."
    if osm is not None:
        schematic, report = _conflate_osm(schematic, Path(osm), corridor_km)
        sources.append({"name": "OpenStreetMap contributors (ODbL), via camigeo.conflate_lines",
                        "file": Path(osm).name, "sha256": sha256(Path(osm)),
                        "corridor_km": corridor_km, "geometry_by_line": report})
        notes = ("Railways/roads routed through the OSM ways of the extract where a route "
                 "joins their ends (sources[-1].geometry_by_line); the rest schematic.")
    rows = schematic + _border_fences(borders, fences)
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
    gdf["fenced"] = gdf["fenced"].map({"True": True, "False": False}).astype(bool)
    gdf["fence_class"] = gdf["fence_class"].replace("", None)
    gdf["length_reported_km"] = pd.to_numeric(gdf["length_reported_km"]).astype("float64")
    gdf["year"] = pd.to_numeric(gdf["year"]).astype("Int64")
    gdf["accuracy_km"] = gdf["accuracy_km"].astype(float)
    cols = ["infra_id", "infra_type", "name", "status", "fenced", "fence_class", "countries",
            "length_reported_km", "year", "source", "accuracy_km", "geometry"]
    gdf = gdf[cols].sort_values("infra_id", ignore_index=True)
    gdf["geometry"] = tidy(gdf.geometry.values)
    write_gpkg({"infrastructure": gdf}, folder / "infrastructure.gpkg")
    write_manifest(folder, {
        "infrastructure.gpkg": layer_meta({"infrastructure": gdf}),
        "lines.csv": {"rows": len(lines), "role": "input table"},
        "vertices.csv": {"rows": len(verts), "role": "input table"},
        "border_fences.csv": {"rows": len(fences), "role": "input table"},
    }, sources=sources, notes=notes)
    log.info("infrastructure: %d lines", len(gdf))
    return gdf


def main(argv: list[str]) -> None:
    import argparse

    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    names = ["borders", "ptcr", "species", "infrastructure"]
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("datasets", nargs="*", metavar="DATASET",
                    help=f"data sets to build (default all): {' '.join(names)}")
    ap.add_argument("--osm", type=Path, metavar="PBF",
                    help="OSM extract: route the schematic railways/roads through its ways")
    ap.add_argument("--osm-corridor-km", type=float, default=20.0, metavar="KM",
                    help="half-width of the corridor the OSM route must stay in (default 20)")
    args = ap.parse_args(argv)
    wanted = set(args.datasets) or set(names)
    if wanted - set(names):
        ap.error(f"unknown data set(s) {sorted(wanted - set(names))}; choose from {names}")
    if args.osm is not None and "infrastructure" not in wanted:
        ap.error("--osm only applies to the infrastructure data set")
    if args.osm is not None and not args.osm.is_file():
        ap.error(f"--osm {args.osm}: file not found")
    if "borders" in wanted:
        countries, borders = build_borders()
    else:
        countries, borders = load_built_borders()
    if "ptcr" in wanted:
        ptcr = build_ptcr(countries)
    else:
        ptcr = gpd.read_file(DATA / "ptcr" / "ptcr.gpkg", layer="ptcr")
    if "species" in wanted:
        build_species(countries, ptcr)
    if "infrastructure" in wanted:
        build_infrastructure(borders, osm=args.osm, corridor_km=args.osm_corridor_km)


if __name__ == "__main__":
    main(sys.argv[1:])
