"""Coordinate reference systems, geodesic lengths and equal-area areas.

camigeo reports lengths in km and areas in km². Lengths are geodesic (WGS84 ellipsoid,
:class:`pyproj.Geod`), areas come from the Central-Asia Albers equal-area CRS
(:data:`CENTRAL_ASIA_EQUAL_AREA`) or geodesically. Nothing is ever measured in degrees.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from pyproj import CRS

from .._errors import CRSError

__all__ = [
    "WGS84",
    "CENTRAL_ASIA_EQUAL_AREA",
    "GEOD",
    "require_crs",
    "require_projected",
    "match_crs",
    "local_metric_crs",
    "geodesic_length_km",
    "geodesic_area_km2",
    "equal_area_km2",
]

WGS84 = CRS.from_epsg(4326)

#: Albers equal-area conic fitted to the CAMI range (Caspian to the Greater Khingan,
#: 30-55 °N). Area distortion is zero by construction; use it for every km² figure.
#: Named (``CRS.name``), so written layers carry a named CRS instead of "unknown".
CENTRAL_ASIA_EQUAL_AREA = CRS.from_json_dict({**CRS.from_proj4(
    "+proj=aea +lat_0=40 +lon_0=82 +lat_1=32 +lat_2=52 +x_0=0 +y_0=0 "
    "+datum=WGS84 +units=m +no_defs"
).to_json_dict(), "name": "Central Asia Albers Equal Area (camigeo)"})

GEOD = pyproj.Geod(ellps="WGS84")

GeoLike: TypeAlias = gpd.GeoDataFrame | gpd.GeoSeries


def require_crs(gdf: GeoLike, *, name: str = "gdf") -> CRS:
    """Return the CRS of ``gdf`` or raise a :class:`CRSError` that names it.

    Parameters
    ----------
    gdf : GeoDataFrame or GeoSeries
        Layer to check.
    name : str
        Parameter, file or layer name used in the message.

    Returns
    -------
    pyproj.CRS
    """
    if gdf.crs is None:
        raise CRSError(
            f"{name} has no CRS. Expected a layer with a coordinate reference system; "
            f"got none. Set it with gdf.set_crs('EPSG:4326') (if coordinates are lon/lat) "
            f"or the CRS the data was made in."
        )
    return CRS.from_user_input(gdf.crs)


def require_projected(gdf: GeoLike, *, name: str = "gdf") -> CRS:
    """Return the CRS of ``gdf`` if it is projected in metres, else raise.

    Parameters
    ----------
    gdf : GeoDataFrame or GeoSeries
        Layer to check.
    name : str
        Parameter, file or layer name used in the message.

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    CRSError
        Missing CRS, geographic CRS, or a projected CRS whose unit is not the metre.
    """
    crs = require_crs(gdf, name=name)
    if crs.is_geographic:
        raise CRSError(
            f"{name} is in a geographic CRS ({crs.name}); this step needs distances in "
            f"metres. Reproject first, e.g. gdf.to_crs(camigeo.crs.local_metric_crs(gdf)) "
            f"or gdf.to_crs(camigeo.crs.CENTRAL_ASIA_EQUAL_AREA)."
        )
    unit = crs.axis_info[0].unit_name if crs.axis_info else "unknown"
    if unit not in ("metre", "meter"):
        raise CRSError(
            f"{name} is in {crs.name} with axis unit '{unit}'; expected metres. "
            f"Reproject to a metric CRS such as camigeo.crs.CENTRAL_ASIA_EQUAL_AREA."
        )
    return crs


def match_crs(*layers: tuple[str, GeoLike]) -> CRS:
    """Check that named layers share one CRS and return it.

    Parameters
    ----------
    *layers : (name, GeoDataFrame) tuples
        The layers with the names to use in the message.

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    CRSError
        A layer has no CRS, or two layers differ.
    """
    first_name, first = layers[0]
    crs = require_crs(first, name=first_name)
    for name, gdf in layers[1:]:
        other = require_crs(gdf, name=name)
        if not crs.equals(other):
            raise CRSError(
                f"{name} is in {other.name} but {first_name} is in {crs.name}; the layers "
                f"must share one CRS. Reproject with {name}.to_crs({first_name}.crs)."
            )
    return crs


def local_metric_crs(obj: Any) -> CRS:
    """Azimuthal equidistant CRS centred on the data (metres; exact distances from centre).

    Parameters
    ----------
    obj : GeoDataFrame, GeoSeries, shapely geometry or (minx, miny, maxx, maxy) in lon/lat

    Returns
    -------
    pyproj.CRS
    """
    if isinstance(obj, gpd.GeoDataFrame | gpd.GeoSeries):
        crs = require_crs(obj, name="data")
        bounds = obj.to_crs(WGS84).total_bounds if not crs.equals(WGS84) else obj.total_bounds
    elif isinstance(obj, shapely.Geometry):
        bounds = obj.bounds
    else:
        bounds = tuple(obj)
    lon = (bounds[0] + bounds[2]) / 2.0
    lat = (bounds[1] + bounds[3]) / 2.0
    return CRS.from_proj4(
        f"+proj=aeqd +lat_0={lat:.6f} +lon_0={lon:.6f} +datum=WGS84 +units=m +no_defs"
    )


def _lonlat_geoms(geoms: GeoLike | np.ndarray, name: str) -> np.ndarray:
    if isinstance(geoms, gpd.GeoDataFrame | gpd.GeoSeries):
        crs = require_crs(geoms, name=name)
        series = geoms.geometry if isinstance(geoms, gpd.GeoDataFrame) else geoms
        if not crs.equals(WGS84):
            series = series.to_crs(WGS84)
        return np.asarray(series.values)
    return np.asarray(geoms, dtype=object)


def geodesic_length_km(geoms: GeoLike | np.ndarray, *, name: str = "geometry") -> np.ndarray:
    """Geodesic length of each (multi)line or polygon boundary on the WGS84 ellipsoid, km.

    Vectorised over all segments of all geometries (one :meth:`pyproj.Geod.inv` call).

    Parameters
    ----------
    geoms : GeoDataFrame, GeoSeries or array of shapely geometries
        GeoPandas input is reprojected to EPSG:4326 first; a bare array must already be
        lon/lat.
    name : str
        Name used in error messages.

    Returns
    -------
    numpy.ndarray of float
        Length in km per input geometry (0 for points and empty geometries).
    """
    arr = _lonlat_geoms(geoms, name)
    out = np.zeros(len(arr), dtype=float)
    if len(arr) == 0:
        return out
    polys = np.isin(shapely.get_type_id(arr), (3, 6))  # Polygon, MultiPolygon
    lines = np.where(polys & ~shapely.is_empty(arr), shapely.boundary(arr), arr)
    parts, part_idx = shapely.get_parts(lines, return_index=True)
    if len(parts) == 0:
        return out
    rings = shapely.get_type_id(parts)
    keep = (rings == 1) | (rings == 2)
    parts, part_idx = parts[keep], part_idx[keep]
    coords, coord_part = shapely.get_coordinates(parts, return_index=True)
    if len(coords) < 2:
        return out
    same = coord_part[1:] == coord_part[:-1]
    _, _, dist = GEOD.inv(coords[:-1, 0][same], coords[:-1, 1][same],
                          coords[1:, 0][same], coords[1:, 1][same])
    seg_geom = part_idx[coord_part[:-1][same]]
    np.add.at(out, seg_geom, np.asarray(dist) / 1000.0)
    return out


def geodesic_area_km2(geoms: GeoLike | np.ndarray, *, name: str = "geometry") -> np.ndarray:
    """Geodesic area of each polygon on the WGS84 ellipsoid, km² (0 for non-polygons).

    Parameters
    ----------
    geoms : GeoDataFrame, GeoSeries or array of shapely geometries (lon/lat if bare)
    name : str
        Name used in error messages.

    Returns
    -------
    numpy.ndarray of float
    """
    arr = _lonlat_geoms(geoms, name)
    out = np.zeros(len(arr), dtype=float)
    for i, g in enumerate(arr):
        if g is not None and not g.is_empty and g.geom_type in ("Polygon", "MultiPolygon"):
            out[i] = abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(g))[0]) / 1e6
    return out


def equal_area_km2(geoms: GeoLike, *, name: str = "geometry") -> np.ndarray:
    """Area of each geometry in km² in :data:`CENTRAL_ASIA_EQUAL_AREA`.

    Parameters
    ----------
    geoms : GeoDataFrame or GeoSeries with a CRS
    name : str
        Name used in error messages.

    Returns
    -------
    numpy.ndarray of float
    """
    require_crs(geoms, name=name)
    series = geoms.geometry if isinstance(geoms, gpd.GeoDataFrame) else geoms
    return np.asarray(series.to_crs(CENTRAL_ASIA_EQUAL_AREA).area, dtype=float) / 1e6
