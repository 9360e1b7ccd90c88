"""Zero-length corridor links (touching or overlapping cores): no NaN, valid geometry."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from camigeo import Raster
from camigeo.corridors import LINK_COLUMNS, corridor_links


def _r() -> Raster:
    arr = np.ones((10, 20))
    arr[:, 8] = 3.0  # the column where cores 1 and 2 meet / overlap
    return Raster.from_array(arr, cellsize=1000.0, origin=(0, 0), crs=3857)


def test_touching_cores() -> None:
    cores = gpd.GeoDataFrame({"core_id": [1, 2, 3]}, geometry=[
        shapely.box(0, 0, 8000, 10000), shapely.box(8000, 0, 12000, 10000),
        shapely.box(15000, 0, 20000, 10000)], crs=3857)
    links = corridor_links(cores, _r(), adjacency="all")
    assert list(links.columns) == [*LINK_COLUMNS, "geometry"]
    t = links[(links.core_a == 1) & (links.core_b == 2)].iloc[0]
    # one 8-neighbour step from core 1's edge cell (resistance 1) into core 2's first
    # cell (resistance 3): average 2 x 1000 m = 2000; gap 0, path 1 km
    assert bool(t["touching"]) and t["euc_dist_km"] == 0.0
    assert t["cw_dist"] == pytest.approx(2000.0)
    assert t["cwd_to_path"] == pytest.approx(2.0) and t["cwd_to_euc"] == t["cwd_to_path"]
    apart = links[(links.core_a == 2) & (links.core_b == 3)].iloc[0]
    assert not bool(apart["touching"]) and apart["cwd_to_euc"] == pytest.approx(4000 / 3000)
    num = links[["cw_dist", "euc_dist_km", "lcp_length_km", "cwd_to_euc", "cwd_to_path"]]
    assert np.isfinite(num.to_numpy(dtype=float)).all()
    assert links.is_valid.all()


def test_overlapping_cores_one_cell_path() -> None:
    # both cores own column 8 (x 8000-9000): the link is the shared cell itself
    cores = gpd.GeoDataFrame({"core_id": [1, 2]}, geometry=[
        shapely.box(0, 0, 9000, 10000), shapely.box(8000, 0, 12000, 10000)], crs=3857)
    links = corridor_links(cores, _r())
    assert len(links) == 1
    row = links.iloc[0]
    assert bool(row["touching"]) and row["cw_dist"] == 0.0 and row["lcp_length_km"] == 0.0
    assert row["cwd_to_path"] == 3.0 and row["cwd_to_euc"] == 3.0
    g = row.geometry
    assert g.is_valid and g.geom_type == "LineString" and g.length == pytest.approx(1000.0)
    assert 8000.0 <= g.centroid.x <= 9000.0
