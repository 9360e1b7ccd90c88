"""Countries and shared land borders from Natural Earth 1:10m (npm ``world-atlas@2.0.2``).

The TopoJSON arcs are decoded here, simplified one arc at a time (so neighbouring countries
keep identical borders) and reassembled into polygons; an arc used by exactly two selected
countries is a stretch of their common land border.
"""

from __future__ import annotations

import json
import logging
import subprocess
import tarfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from data_common import CACHE, SIMPLIFY_DEG, WGS84, sha256, tidy

log = logging.getLogger("build_data.borders")

PACKAGE = "world-atlas"
VERSION = "2.0.2"
TOPO_MEMBER = "package/countries-10m.json"
#: Natural Earth features without an ISO code that are merged into a country.
MERGE_INTO = {"Baikonur": "KAZ"}  # Kazakh territory leased to Russia (Natural Earth splits it)
SOURCE = (f"Natural Earth 1:10m admin-0 (public domain) via npm {PACKAGE}@{VERSION} "
          "countries-10m.json; arcs simplified to ~1 km")
ACCURACY_KM = 1.5


def fetch_tarball() -> Path:
    """``npm pack world-atlas@2.0.2`` into ``.build_cache/`` (reused when present)."""
    CACHE.mkdir(exist_ok=True)
    tgz = CACHE / f"{PACKAGE}-{VERSION}.tgz"
    if not tgz.exists():
        log.info("npm pack %s@%s", PACKAGE, VERSION)
        try:
            subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"], cwd=CACHE,
                           check=True, capture_output=True)
        except FileNotFoundError:
            raise SystemExit("npm is needed to fetch world-atlas (apt-get install npm), or "
                             f"put {tgz.name} into {CACHE}") from None
        except subprocess.CalledProcessError as exc:
            raise SystemExit(f"npm pack {PACKAGE}@{VERSION} failed: "
                             f"{exc.stderr.decode(errors='replace')}") from None
    return tgz


def _load_topology(tgz: Path) -> dict:
    with tarfile.open(tgz) as tf:
        member = tf.extractfile(TOPO_MEMBER)
        assert member is not None
        return json.load(member)


def _decode_arcs(topo: dict) -> list[np.ndarray]:
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        q = np.cumsum(np.asarray(arc, dtype=np.int64), axis=0)
        xy = np.column_stack([q[:, 0] * sx + tx, q[:, 1] * sy + ty])
        line = shapely.simplify(shapely.linestrings(xy), SIMPLIFY_DEG)
        arcs.append(np.round(shapely.get_coordinates(line), 4))
    return arcs


def _ring(arc_ids: list[int], arcs: list[np.ndarray]) -> np.ndarray:
    parts = []
    for k, i in enumerate(arc_ids):
        xy = arcs[i] if i >= 0 else arcs[~i][::-1]
        parts.append(xy if k == 0 else xy[1:])
    return np.concatenate(parts)


def _polygons(geom: dict, arcs: list[np.ndarray]) -> list[shapely.Polygon]:
    polys = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
    out = []
    for rings in polys:
        coords = [_ring(r, arcs) for r in rings]
        if len(coords[0]) < 4 or len(np.unique(coords[0], axis=0)) < 3:
            continue  # islet collapsed by the ~1 km simplification
        holes = [c for c in coords[1:] if len(np.unique(c, axis=0)) >= 3]
        out.append(shapely.Polygon(coords[0], holes))
    return out


def build(codes: pd.DataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict]:
    """Return (countries, borders, source-record)."""
    tgz = fetch_tarball()
    topo = _load_topology(tgz)
    arcs = _decode_arcs(topo)
    n3_to_iso3 = dict(zip(codes["iso_n3"], codes["iso3"], strict=True))
    owners: dict[int, set[str]] = {}
    polys: dict[str, list] = {iso3: [] for iso3 in codes["iso3"]}
    for geom in topo["objects"]["countries"]["geometries"]:
        name = geom["properties"]["name"]
        iso3 = n3_to_iso3.get(geom.get("id")) or MERGE_INTO.get(name)
        key = iso3 or f"other:{geom.get('id')}:{name}"
        rings = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        for poly in rings:
            for ring in poly:
                for i in ring:
                    owners.setdefault(i if i >= 0 else ~i, set()).add(key)
        if iso3:
            polys[iso3].extend(_polygons(geom, arcs))
    rows = []
    for rec in codes.itertuples():
        geom = shapely.union_all(shapely.make_valid(np.asarray(polys[rec.iso3], dtype=object)))
        rows.append({"iso3": rec.iso3, "iso_n3": rec.iso_n3, "name": rec.name,
                     "source": SOURCE + ("; Baikonur lease area merged into KAZ"
                                         if rec.iso3 == "KAZ" else ""),
                     "accuracy_km": ACCURACY_KM, "geometry": geom})
    countries = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
    countries["geometry"] = tidy(countries.geometry.values)
    countries = countries.sort_values("iso3", ignore_index=True)

    pairs: dict[tuple[str, str], list] = {}
    selected = set(codes["iso3"])
    for i, who in owners.items():
        if len(who) == 2 and who <= selected:
            a, b = sorted(who)
            pairs.setdefault((a, b), []).append(shapely.linestrings(arcs[i]))
    from camigeo.io.crs import geodesic_length_km

    brows = []
    for (a, b), lines in sorted(pairs.items()):
        merged = shapely.line_merge(shapely.MultiLineString(lines))
        if merged.geom_type == "LineString":
            merged = shapely.MultiLineString([merged])
        brows.append({"border_id": f"{a}-{b}", "iso3_a": a, "iso3_b": b, "name": f"{a}–{b}",
                      "source": f"{SOURCE}; shared TopoJSON arcs of {a} and {b}",
                      "accuracy_km": ACCURACY_KM, "geometry": merged})
    borders = gpd.GeoDataFrame(brows, geometry="geometry", crs=WGS84)
    borders.insert(4, "length_km", np.round(geodesic_length_km(borders), 2))
    record = {"name": "Natural Earth 1:10m admin-0 countries", "package": f"npm:{PACKAGE}",
              "version": VERSION, "member": TOPO_MEMBER, "tarball_sha256": sha256(tgz),
              "licence": "public domain (Natural Earth); world-atlas ISC",
              "url": "https://www.npmjs.com/package/world-atlas"}
    return countries, borders, record
