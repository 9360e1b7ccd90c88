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
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import data_borders  # noqa: E402
import data_infrastructure  # noqa: E402
import data_ptcr  # noqa: E402
import data_species  # noqa: E402
import data_wp  # noqa: E402
from data_common import (  # noqa: E402
    DATA,
    layer_meta,
    write_gpkg,
    write_manifest,
)

log = logging.getLogger("build_data")



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
