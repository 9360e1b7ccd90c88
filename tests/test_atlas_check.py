"""Atlas layers are validated before writing: geometry, geometry type, named CRS, numbers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from camigeo.crs import CENTRAL_ASIA_EQUAL_AREA

from camigeo import atlas
from camigeo._errors import SchemaError
from camigeo.atlas.check import check_atlas_file, check_atlas_layers


def test_named_equal_area_crs() -> None:
    assert CENTRAL_ASIA_EQUAL_AREA.name == "Central Asia Albers Equal Area (camigeo)"


def test_problems_are_listed() -> None:
    unnamed = gpd.GeoDataFrame({"v": [1.0]}, geometry=[shapely.Point(0, 0)],
                               crs="+proj=aea +lat_1=32 +lat_2=52 +lon_0=82 +datum=WGS84")
    nan = gpd.GeoDataFrame({"v": [1.0, np.nan], "opt": [np.nan, 2.0]},
                           geometry=[shapely.Point(0, 0), shapely.Point(1, 1)], crs=4326)
    mixed = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0), shapely.box(0, 0, 1, 1)],
                             crs=4326)
    empty = gpd.GeoDataFrame({"v": []}, geometry=[], crs=4326)
    with pytest.raises(SchemaError) as exc:
        check_atlas_layers({"a": unnamed, "b": nan, "c": mixed, "d": empty},
                           nullable={"b": ["opt"]})
    msg = str(exc.value)
    assert "a: unnamed custom CRS" in msg
    assert "b.v: 1 NaN/inf values" in msg and "b.opt" not in msg
    assert "c: mixed geometry types ['Point', 'Polygon']" in msg
    assert "d: empty layer without a declared geometry type" in msg


def test_repairs_and_declared_types(tmp_path) -> None:
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    poly = gpd.GeoDataFrame({"v": [1, 2]}, geometry=[bowtie, shapely.MultiPolygon(
        [shapely.box(5, 5, 6, 6)])], crs=4326)
    empty = gpd.GeoDataFrame({"current_A": []}, geometry=[], crs=CENTRAL_ASIA_EQUAL_AREA)
    out = check_atlas_layers({"poly": poly, "pts": empty},
                             geometry_types={"pts": "Point"})
    g = out["poly"]
    assert g.is_valid.all() and set(g.geom_type) == {"MultiPolygon"}
    # the bow tie becomes its two triangles, area 2 x 0.25
    assert g.geometry.iloc[0].area == pytest.approx(0.5)
    p = tmp_path / "a.gpkg"
    atlas.update(p, out)
    types = {str(n): str(t) for n, t in pyogrio.list_layers(p)}
    assert types["poly"] == "MultiPolygon" and types["pts"] == "Point"
    assert check_atlas_file(p) == []
    with pytest.raises(SchemaError, match="geometry type MultiPolygon, declared Point"):
        check_atlas_layers({"poly": poly}, geometry_types={"poly": "Point"})


def test_old_style_atlas_is_reported(tmp_path) -> None:
    p = tmp_path / "old.gpkg"
    g = gpd.GeoDataFrame({"v": [np.nan]}, geometry=[shapely.Point(0, 0)],
                         crs="+proj=aea +lat_1=32 +lat_2=52 +lon_0=82 +datum=WGS84")
    atlas.update(p, {"pts": g, "empty": gpd.GeoDataFrame(geometry=[], crs=4326)})
    problems = check_atlas_file(p)
    assert any(s.startswith("pts: unnamed custom CRS") for s in problems)
    assert "pts.v: 1 NaN/inf values in a numeric column" in problems
    assert "empty: declared geometry type Unknown" in problems


def test_layer_declares_its_own_nullable_columns() -> None:
    g = gpd.GeoDataFrame({"index": [np.nan, 1.0]},
                         geometry=[shapely.Point(0, 0), shapely.Point(1, 1)], crs=4326)
    with pytest.raises(SchemaError, match=r"g.index: 1 NaN/inf"):
        check_atlas_layers({"g": g})
    g.attrs["nullable_columns"] = ["index"]
    assert len(check_atlas_layers({"g": g})["g"]) == 2
