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
- ``data/ptcr/ptcr_attributes.csv`` + ``data/ptcr/anchors.csv``: PTCR attributes and the
  documented anchor places whose buffered hull approximates each region.
- ``data/species_ranges/species.csv`` (hand-curated, copied through as is),
  ``populations.csv`` + ``range_anchors.csv``: named populations.
- ``data/infrastructure/``: ``lines.csv`` + ``waypoints.csv``, ``border_fences.csv``,
  ``sites.csv`` and the OpenStreetMap / Natural Earth files of ``../shared/reference``
  (``scripts/data_infrastructure.py``).

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
import data_infrastructure  # noqa: E402
from data_common import (  # noqa: E402
    DATA,
    WGS84,
    anchor_polygon,
    layer_meta,
    tidy,
    write_gpkg,
    write_manifest,
)

log = logging.getLogger("build_data")

PTCR_SOURCE = ("RECONSTRUCTION (not the Work Programme annex): buffered convex hull of "
               "documented anchor places (data/ptcr/anchors.csv), clipped to the listed "
               "countries; list, names and species to be checked against the CAMI Work "
               "Programme 2026-2032 annex")


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
    folder = DATA / "ptcr"
    attrs = _read(folder / "ptcr_attributes.csv")
    anchors = _read(folder / "anchors.csv")
    rows = []
    for rec in attrs.itertuples():
        a = anchors[anchors["ptcr_id"] == rec.ptcr_id]
        geom = anchor_polygon(a["lon"].astype(float).values, a["lat"].astype(float).values,
                              a["group"].values, buffer_km=float(rec.buffer_km),
                              clip=_union_of(countries, _split(rec.countries)))
        rows.append({"ptcr_id": int(rec.ptcr_id), "name": rec.name,
                     "former_names": rec.former_names, "countries": rec.countries,
                     "species": rec.species, "instruments": rec.instruments,
                     "source": f"{PTCR_SOURCE}; {len(a)} anchors, buffer {rec.buffer_km} km",
                     "accuracy_km": float(rec.accuracy_km), "geometry": geom})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84).sort_values("ptcr_id")
    write_gpkg({"ptcr": gdf}, folder / "ptcr.gpkg")
    write_manifest(folder, {"ptcr.gpkg": layer_meta({"ptcr": gdf}),
                            "anchors.csv": {"rows": len(anchors), "role": "input table"},
                            "ptcr_attributes.csv": {"rows": len(attrs), "role": "input table"}},
                   sources=[{"name": "anchor places (author knowledge + domain_methods §6)",
                             "file": "anchors.csv"},
                            {"name": "country outlines", "file": "../borders/borders.gpkg"}],
                   notes="Reconstruction: replace with the official PTCR layer when available.")
    log.info("ptcr: %d regions", len(gdf))
    return gdf


# --------------------------------------------------------------------------- species
def build_species(countries: gpd.GeoDataFrame, ptcr: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    folder = DATA / "species_ranges"
    species = _read(folder / "species.csv")
    pops = _read(folder / "populations.csv")
    anchors = _read(folder / "range_anchors.csv")
    unknown = set(pops["cms_name"]) - set(species["cms_name"])
    if unknown:
        raise SystemExit(f"populations.csv names not in species.csv: {sorted(unknown)}")
    common = dict(zip(species["cms_name"], species["common_name"], strict=True))
    rows = []
    for rec in pops.itertuples():
        a = anchors[(anchors["cms_name"] == rec.cms_name)
                    & (anchors["population"] == rec.population)]
        if a.empty:
            raise SystemExit(f"no anchors for {rec.cms_name} / {rec.population}")
        geom = anchor_polygon(a["lon"].astype(float).values, a["lat"].astype(float).values,
                              a["group"].values, buffer_km=float(rec.buffer_km),
                              clip=_union_of(countries, _split(rec.countries)))
        rows.append({"sci_name": rec.cms_name, "common_name": common[rec.cms_name],
                     "population": rec.population, "presence": int(rec.presence),
                     "origin": int(rec.origin), "seasonal": int(rec.seasonal),
                     "source": ("indicative: buffered hull of documented places of the named "
                                f"population (range_anchors.csv, {len(a)} anchors, buffer "
                                f"{rec.buffer_km} km); {rec.notes}"),
                     "accuracy_km": float(rec.accuracy_km), "geometry": geom})
    with_pops = set(pops["cms_name"])
    for rec in species.itertuples():
        if rec.cms_name in with_pops:
            continue
        sel = ptcr[ptcr["species"].map(lambda s, n=rec.cms_name: n in _split(s))]
        if sel.empty:
            raise SystemExit(f"{rec.cms_name} has neither populations nor PTCRs")
        geom = tidy(np.array([shapely.union_all(sel.geometry.values)]))[0]
        ids = ", ".join(str(i) for i in sel["ptcr_id"])
        rows.append({"sci_name": rec.cms_name, "common_name": rec.common_name,
                     "population": "", "presence": 1, "origin": 1, "seasonal": 1,
                     "source": ("indicative: union of the (reconstructed) PTCR polygons "
                                f"listing the species (PTCR {ids}); not a range map"),
                     "accuracy_km": float(sel["accuracy_km"].max()), "geometry": geom})
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
    gdf = gdf.sort_values(["sci_name", "population"], ignore_index=True)
    write_gpkg({"ranges": gdf}, folder / "ranges.gpkg")
    write_manifest(folder, {
        "ranges.gpkg": layer_meta({"ranges": gdf}),
        "species.csv": {"rows": len(species), "role": "species table (hand-curated)"},
        "populations.csv": {"rows": len(pops), "role": "input table"},
        "range_anchors.csv": {"rows": len(anchors), "role": "input table"},
    }, sources=[{"name": "named populations and anchor places (author knowledge)",
                 "file": "populations.csv, range_anchors.csv"},
                {"name": "PTCR polygons", "file": "../ptcr/ptcr.gpkg"}],
        notes="Indicative ranges only; replace with IUCN Red List range polygons.")
    log.info("ranges: %d polygons", len(gdf))
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
        data_infrastructure.build(countries, borders, osm=args.osm,
                                  corridor_km=args.osm_corridor_km)


if __name__ == "__main__":
    main(sys.argv[1:])
