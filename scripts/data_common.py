"""Shared helpers of ``scripts/build_data.py``: reproducible GeoPackage writing, manifests,
anchor-hull polygons.

Run only through ``python scripts/build_data.py``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

REPO = Path(__file__).resolve().parents[1]
#: Output folder; ``CAMIGEO_BUILD_DATA_DIR`` redirects it (tests rebuild into a copy).
DATA = Path(os.environ.get("CAMIGEO_BUILD_DATA_DIR", REPO / "data"))
CACHE = REPO / ".build_cache"
WGS84 = "EPSG:4326"
#: Fixed timestamp GDAL writes into gpkg_contents.last_change, so reruns give identical bytes.
FIXED_GPKG_DATE = "2026-11-23T00:00:00Z"
#: Simplification tolerance in degrees (~1.1 km N-S, ~0.8 km E-W at 45 °N).
SIMPLIFY_DEG = 0.01
#: Coordinate grid in degrees (~11 m) applied to every output geometry.
GRID_DEG = 1e-4


def build_date() -> str:
    """Build date (UTC, ISO date); ``SOURCE_DATE_EPOCH`` makes it reproducible."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC).date().isoformat()
    return _dt.datetime.now(tz=_dt.UTC).date().isoformat()


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def tidy(geoms: np.ndarray | gpd.GeoSeries) -> np.ndarray:
    """Snap to the output grid and repair, keeping polygons/lines as they are."""
    arr = np.asarray(geoms, dtype=object)
    arr = shapely.set_precision(arr, GRID_DEG, mode="valid_output")
    return shapely.make_valid(arr)


def write_gpkg(layers: dict[str, gpd.GeoDataFrame], path: Path) -> None:
    """Write ``layers`` (name -> GeoDataFrame) into a fresh GeoPackage, reproducibly."""
    os.environ["OGR_CURRENT_DATE"] = FIXED_GPKG_DATE
    tmp = path.with_suffix(".tmp.gpkg")
    if tmp.exists():
        tmp.unlink()
    for i, (name, gdf) in enumerate(layers.items()):
        pyogrio.write_dataframe(gdf, tmp, layer=name, driver="GPKG", append=i > 0,
                                layer_options={"SPATIAL_INDEX": "YES"})
    os.replace(tmp, path)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n")


def write_manifest(folder: Path, files: dict[str, dict], *, sources: list[dict],
                   notes: str = "") -> None:
    """Write ``folder/MANIFEST.json`` with checksums, sizes, CRS and feature counts.

    ``files`` maps a file name (relative to ``folder``) to extra metadata
    (``{"layers": {name: count}}`` for GeoPackages, ``{"rows": n}`` for tables).
    """
    entries = []
    for name in sorted(files):
        p = folder / name
        meta = {"file": name, "sha256": sha256(p), "size_bytes": p.stat().st_size}
        meta.update(files[name])
        entries.append(meta)
    manifest = {
        "dataset": folder.name,
        "build_date": build_date(),
        "built_by": "scripts/build_data.py",
        "crs": WGS84,
        "sources": sources,
        "files": entries,
        "notes": notes,
    }
    (folder / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False)
                                          + "\n", encoding="utf-8")


def layer_meta(layers: dict[str, gpd.GeoDataFrame]) -> dict:
    out = {}
    for name, gdf in layers.items():
        out[name] = {
            "features": len(gdf),
            "geometry_types": sorted(set(gdf.geom_type)),
            "crs": WGS84,
            "columns": [c for c in gdf.columns if c != "geometry"],
        }
    return {"layers": out}


def anchor_polygon(lon: np.ndarray, lat: np.ndarray, groups: np.ndarray, *,
                   buffer_km: float, clip: shapely.Geometry | None) -> shapely.Geometry:
    """Union over ``groups`` of the convex hull of the anchor points, buffered by
    ``buffer_km`` in an azimuthal equidistant CRS centred on the anchors, clipped to ``clip``.

    Groups whose name starts with ``path`` are drawn as a line through their anchors in
    file order (river corridors) instead of a hull.
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    crs = CRS.from_proj4(f"+proj=aeqd +lat_0={lat.mean():.4f} +lon_0={lon.mean():.4f} "
                         "+datum=WGS84 +units=m +no_defs")
    pts = gpd.GeoSeries(shapely.points(lon, lat), crs=WGS84).to_crs(crs)
    hulls = []
    for g in sorted(set(groups)):
        sel = np.asarray(groups) == g
        members = np.asarray(pts.values[sel])
        if str(g).startswith("path"):  # river corridors: the anchors in file order
            hulls.append(shapely.linestrings(shapely.get_coordinates(members)))
        else:
            hulls.append(shapely.convex_hull(shapely.multipoints(members)))
    shape = shapely.union_all(hulls).buffer(buffer_km * 1000.0, quad_segs=8)
    geom = gpd.GeoSeries([shape], crs=crs).to_crs(WGS84).iloc[0]
    if clip is not None:
        geom = shapely.intersection(geom, clip)
    geom = shapely.simplify(geom, SIMPLIFY_DEG, preserve_topology=True)
    geom = tidy(np.array([geom]))[0]
    polys = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 1e-4]
    return shapely.MultiPolygon(polys) if len(polys) > 1 else polys[0]
