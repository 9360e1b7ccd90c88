"""rank_passages and candidates_along on a hand grid with a fence."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from camigeo import CamigeoError, Raster
from camigeo.corridors import candidates_along, corridor_links, rank_passages

UTM = "EPSG:32642"


def fence_case():
    a = np.ones((5, 9))
    a[:, 4] = 1000.0
    r = Raster.from_array(a, cellsize=10, crs=UTM)
    fence = gpd.GeoDataFrame(geometry=[shapely.LineString([(45, 0), (45, 50)])], crs=UTM)
    cores = gpd.GeoDataFrame({"core_id": [1, 2]}, geometry=[shapely.box(0, 40, 10, 50),
                             shapely.box(80, 40, 90, 50)], crs=UTM)
    return r, fence, cores


def test_rank_passages_hand_values():
    r, fence, cores = fence_case()
    base = corridor_links(cores, r).cw_dist.iloc[0]
    assert base == pytest.approx(60 + 2 * (1 + 1000) / 2 * 10)  # 10070
    cand = gpd.GeoDataFrame({"name": ["south", "north"]},
                            geometry=[shapely.Point(45, 5), shapely.Point(45, 45)], crs=UTM)
    out = rank_passages(cand, barriers=fence, resistance=r, cores=cores, width_m=5)
    assert out["name"].tolist() == ["north", "south"]
    north = out.set_index("name").loc["north"]
    south = out.set_index("name").loc["south"]
    assert north.n_cells_opened == 1 and north.best_link == "1-2"
    assert north.delta_cw_dist_sum == pytest.approx(10070 - 80)  # straight along row 0
    # south gap at row 4: four diagonals down and four up
    assert south.delta_cw_dist_sum == pytest.approx(10070 - 80 * math.sqrt(2))
    assert out["rank"].tolist() == [1, 2]
    # explicit passage resistance 5: straight path pays (1+5)/2*10 twice
    out5 = rank_passages(cand, barriers=fence, resistance=r, cores=cores, width_m=5,
                         passage_resistance=5.0).set_index("name")
    assert out5.loc["north", "delta_cw_dist_sum"] == pytest.approx(10070 - (60 + 60))


def test_candidates_generated_along_fence():
    r, fence, cores = fence_case()
    pts = candidates_along(fence, 0.02)  # 50 m line: points at 10 and 30 m
    assert pts["along_km"].tolist() == pytest.approx([0.01, 0.03])
    assert [p.y for p in pts.geometry] == pytest.approx([10, 30])
    out = rank_passages(None, barriers=fence, resistance=r, cores=cores, spacing_km=0.02,
                        width_m=5)
    assert out.iloc[0]["along_km"] == pytest.approx(0.03)  # closer to the cores' row
    with pytest.raises(CamigeoError, match="spacing_km must be > 0"):
        candidates_along(fence, 0)
    with pytest.raises(CamigeoError, match="give candidates"):
        rank_passages(None, barriers=fence, resistance=r, cores=cores)


def test_rank_passages_eca_columns_match_network():
    network = pytest.importorskip("camigeo.network")
    r, fence, cores = fence_case()
    cand = gpd.GeoDataFrame(geometry=[shapely.Point(45, 5), shapely.Point(45, 45)], crs=UTM)
    out = rank_passages(cand, barriers=fence, resistance=r, cores=cores, width_m=5, d0=500.0)
    links = corridor_links(cores, r)
    g0 = network.corridor_graph(cores, links)
    eca0 = network.connectivity_indices(g0, distance="cw_dist", d0=500.0).eca
    assert out["eca_before"].iloc[0] == pytest.approx(eca0)
    g1 = network.corridor_graph(cores, links.assign(cw_dist=[80.0]))
    eca1 = network.connectivity_indices(g1, distance="cw_dist", d0=500.0).eca
    top = out.iloc[0]
    assert top.eca_after == pytest.approx(eca1) and top.delta_eca > 0
    assert out["delta_eca"].is_monotonic_decreasing


def test_rank_passages_bad_inputs():
    r, fence, cores = fence_case()
    cand = gpd.GeoDataFrame(geometry=[shapely.Point(45, 5)], crs=UTM)
    with pytest.raises(CamigeoError, match="width_m must be > 0"):
        rank_passages(cand, barriers=fence, resistance=r, cores=cores, width_m=0)
    with pytest.raises(CamigeoError, match="GeoDataFrame of points"):
        rank_passages([(45, 5)], barriers=fence, resistance=r, cores=cores)
