"""Build ``data/examples/planned_railway.gpkg``: a SCHEMATIC planned fenced railway.

Run: ``python scripts/data_examples.py [--ne DIR]``.

Source: activity 21.5 of the CAMI Work Programme 2026-2032 (Daurian Steppe PTCR): "CMS
Secretariat to address planned railway including fencing of the railway in a letter to the
Mongolian Government" (``000_7476e8aba978c2aa.txt`` line 404). The document names neither
the line nor its route. The example draws it as a straight link Sainshand - Baruun-Urt, the
eastern extension of the Mongolian railway network towards the Daurian Steppe (the same
indicative link as the bundled infrastructure's planned line): Baruun-Urt from Natural
Earth 1:10m populated places (GEONAMEID 2032614), Sainshand at 44.892 N, 110.140 E (author
knowledge, ~2 km). It is for trying ``camigeo.screen_project`` - a placeholder, not a route.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import geopandas as gpd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data_common import DATA, build_date, sha256, write_gpkg  # noqa: E402

OUT = DATA / "examples"
SAINSHAND = (110.140, 44.892)  # lon, lat; author knowledge [K], ~2 km
SOURCE = ("SCHEMATIC: CAMI Work Programme 2026-2032 activity 21.5, planned railway "
          "including fencing (000_7476e8aba978c2aa.txt:404); route not named: straight link "
          "Sainshand - Baruun-Urt (Baruun-Urt: Natural Earth populated places, GEONAMEID "
          "2032614; Sainshand: author knowledge), not a route")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = Path(os.environ.get("CAMIGEO_SHARED", Path(__file__).resolve().parents[3]
                                 / "shared"))
    ap.add_argument("--ne", type=Path, default=shared / "reference" / "naturalearth")
    a = ap.parse_args(argv)
    ne = a.ne / "central_asia_ne10m.gpkg"
    if not ne.is_file():
        raise SystemExit(f"{ne} not found; pass --ne DIR")
    pp = gpd.read_file(ne, layer="populated_places")
    hit = pp[pp["GEONAMEID"] == 2032614]
    if len(hit) != 1:
        raise SystemExit("Baruun-Urt (GEONAMEID 2032614) not found in populated_places")
    bu = hit.geometry.iloc[0]
    line = shapely.LineString([SAINSHAND, (round(bu.x, 4), round(bu.y, 4))])
    gdf = gpd.GeoDataFrame({
        "infra_id": ["EX-MNG-RW-WP21.5"],
        "infra_type": ["railway"],
        "name": ["Planned fenced railway, Daurian Steppe (WP 21.5) - SCHEMATIC"],
        "status": ["planned"], "fenced": [True], "fence_class": ["unknown"],
        "countries": ["MNG"], "length_reported_km": [float("nan")], "year": [float("nan")],
        "source": [SOURCE], "accuracy_km": [100.0]},
        geometry=[line], crs="EPSG:4326")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "planned_railway.gpkg"
    write_gpkg({"planned_railway": gdf}, path)
    manifest = {
        "dataset": "examples", "build_date": build_date(),
        "built_by": "scripts/data_examples.py", "crs": "EPSG:4326",
        "sources": [{"file": "000_7476e8aba978c2aa.txt", "line": 404,
                     "what": "CAMI Work Programme 2026-2032, activity 21.5"},
                    {"file": "central_asia_ne10m.gpkg", "sha256": sha256(ne),
                     "what": "Natural Earth 1:10m populated places (Baruun-Urt)"}],
        "files": [{"file": path.name, "sha256": sha256(path), "features": len(gdf)}],
    }
    (OUT / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n",
                                       encoding="utf-8")
    print(f"{path} written (schematic, {len(gdf)} line)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
