from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from camigeo import CRSError
from camigeo import crs as ccrs


def test_geodesic_length_matches_pyproj_line_length() -> None:
    geod = pyproj.Geod(ellps="WGS84")
    line = shapely.LineString([(55.2, 45.32), (56.2, 44.9), (57.5, 43.9), (58.9, 43.07)])
    multi = shapely.MultiLineString([line.coords, [(0, 0), (0, 1)]])
    lengths = ccrs.geodesic_length_km(np.array([line, multi, shapely.Point(0, 0), None]))
    assert lengths[0] == pytest.approx(geod.line_length(*line.xy) / 1000, rel=1e-12)
    expected_multi = (geod.line_length(*line.xy) + geod.line_length([0, 0], [0, 1])) / 1000
    assert lengths[1] == pytest.approx(expected_multi, rel=1e-12)
    assert lengths[2] == 0 and lengths[3] == 0


def test_one_degree_of_equator_is_111_32_km() -> None:
    # WGS84 equatorial radius 6378137 m -> 2*pi*a/360 = 111.3195 km
    out = ccrs.geodesic_length_km(np.array([shapely.LineString([(0, 0), (1, 0)])]))
    assert out[0] == pytest.approx(2 * np.pi * 6378.137 / 360, rel=1e-9)


def test_projected_input_is_measured_geodesically() -> None:
    g = gpd.GeoSeries([shapely.LineString([(60, 45), (61, 45)])], crs=4326)
    utm = g.to_crs(32641)
    assert ccrs.geodesic_length_km(utm)[0] == pytest.approx(ccrs.geodesic_length_km(g)[0],
                                                             rel=1e-6)


def test_equal_area_agrees_with_geodesic_area() -> None:
    boxes = gpd.GeoSeries([shapely.box(55, 44, 58, 46), shapely.box(105, 42, 110, 45)], crs=4326)
    ea = ccrs.equal_area_km2(boxes)
    geo = ccrs.geodesic_area_km2(boxes)
    # an exact equal-area projection differs only by edge densification (< 0.1 %)
    np.testing.assert_allclose(ea, geo, rtol=1e-3)
    # 1 x 1 degree cell at the equator on WGS84: 12308.78 km^2 (pyproj Geod)
    assert ccrs.geodesic_area_km2(np.array([shapely.box(0, 0, 1, 1)]))[0] == pytest.approx(
        12308.78, abs=0.01)


def test_require_crs_names_the_layer() -> None:
    g = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)])
    with pytest.raises(CRSError, match="ranges has no CRS.*set_crs"):
        ccrs.require_crs(g, name="ranges")


def test_require_projected_refuses_degrees() -> None:
    g = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], crs=4326)
    with pytest.raises(CRSError, match="tracks is in a geographic CRS.*metres"):
        ccrs.require_projected(g, name="tracks")
    assert ccrs.require_projected(g.to_crs(3857), name="tracks").to_epsg() == 3857


def test_require_projected_refuses_feet() -> None:
    g = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], crs="EPSG:2227")  # US survey feet
    with pytest.raises(CRSError, match="expected metres"):
        ccrs.require_projected(g, name="barriers")


def test_match_crs_reports_both_names() -> None:
    a = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)], crs=4326)
    b = a.to_crs(3857)
    with pytest.raises(CRSError, match="barriers is in .* but tracks is in"):
        ccrs.match_crs(("tracks", a), ("barriers", b))
    assert ccrs.match_crs(("a", a), ("b", a.copy())).to_epsg() == 4326


def test_local_metric_crs_is_centred_on_the_data() -> None:
    g = gpd.GeoSeries([shapely.box(100, 40, 110, 50)], crs=4326)
    crs = ccrs.local_metric_crs(g)
    assert crs.is_projected
    x, y = pyproj.Transformer.from_crs(4326, crs, always_xy=True).transform(105, 45)
    assert abs(x) < 1e-6 and abs(y) < 1e-6
