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
    network = pytest.importorskip("camigeo.corridors.network")
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


def two_fences_case():
    # 21 rows x 9 cols of 10 m. Row 10 is impassable: the north half (rows 0-9) and the
    # south half (rows 11-20) only connect through their own fence cells in column 4
    # (north resistance 1000, south 500). Cores 1-2 sit in row 0, cores 3-4 in row 20.
    a = np.ones((21, 9))
    a[:10, 4] = 1000.0
    a[11:, 4] = 500.0
    a[10, :] = np.nan
    r = Raster.from_array(a, cellsize=10, crs=UTM)
    fence = gpd.GeoDataFrame(geometry=[shapely.LineString([(45, 0), (45, 210)])], crs=UTM)
    cores = gpd.GeoDataFrame({"core_id": [1, 2, 3, 4]}, geometry=[
        shapely.box(0, 200, 10, 210), shapely.box(80, 200, 90, 210),
        shapely.box(0, 0, 10, 10), shapely.box(80, 0, 90, 10)], crs=UTM)
    links = corridor_links(cores, r)
    assert sorted(zip(links.core_a, links.core_b, strict=True)) == [(1, 2), (3, 4)]
    # openings: row 0 (N1), row 1 (N2, 10 m from N1), row 20 (S)
    cand = gpd.GeoDataFrame({"name": ["S", "N2", "N1"]}, geometry=[
        shapely.Point(45, 5), shapely.Point(45, 195), shapely.Point(45, 205)], crs=UTM)
    return r, fence, cores, links, cand


def test_independent_ranking_puts_neighbours_first_then_spacing_and_greedy_fix_it():
    r, fence, cores, links, cand = two_fences_case()
    cw = links.set_index(["core_a", "core_b"]).cw_dist
    assert cw[(1, 2)] == pytest.approx(60 + 2 * (1 + 1000) / 2 * 10)  # 10070
    assert cw[(3, 4)] == pytest.approx(60 + 2 * (1 + 500) / 2 * 10)  # 5070
    kw = {"barriers": fence, "resistance": r, "cores": cores, "links": links, "width_m": 5,
          "passage_resistance": 1.0}
    out = rank_passages(cand, **kw).set_index("name")
    # N1: straight row 0 = 80; N2: 3 steps + 2 diagonals through row 1 + 3 steps
    assert out.loc["N1", "delta_cw_dist_sum"] == pytest.approx(10070 - 80)
    assert out.loc["N2", "delta_cw_dist_sum"] == pytest.approx(10070 - (60 + 20 * math.sqrt(2)))
    assert out.loc["S", "delta_cw_dist_sum"] == pytest.approx(5070 - 80)
    assert out["rank"].to_dict() == {"N1": 1, "N2": 2, "S": 3}
    # non-maximum suppression: N2 lies 10 m from the better N1
    thin = rank_passages(cand, min_spacing_km=0.015, **kw).set_index("name")
    assert thin.loc["N1", "rank"] == 1 and thin.loc["S", "rank"] == 2
    assert thin["rank"].isna()["N2"] and thin.loc["N2", "suppressed_by"] == 2  # N1's label
    assert thin["suppressed_by"].isna()["S"]
    # greedy: after N1 is open, N2 adds nothing (80 is already the straight line) and S
    # still gains 5070 - 80
    g = rank_passages(cand, select=2, **kw).set_index("name")
    assert g.loc["N1", "pick"] == 1 and g.loc["S", "pick"] == 2 and g["pick"].isna()["N2"]
    assert g.loc["N1", "pick_gain"] == pytest.approx(10070 - 80)
    assert g.loc["S", "pick_gain"] == pytest.approx(5070 - 80)
    assert g["rank"].to_dict() == {"N1": 1, "N2": 2, "S": 3}  # independent rank kept
    # a third pick gains nothing: selection stops with two picks
    g3 = rank_passages(cand, select=3, **kw)
    assert g3["pick"].notna().sum() == 2


def test_greedy_selection_with_eca_matches_network():
    network = pytest.importorskip("camigeo.corridors.network")
    r, fence, cores, links, cand = two_fences_case()
    out = rank_passages(cand, barriers=fence, resistance=r, cores=cores, links=links,
                        width_m=5, passage_resistance=1.0, d0=1000.0, select=2,
                        min_spacing_km=0.015).set_index("name")

    def eca(cws):
        G = network.corridor_graph(cores, links.assign(cw_dist=cws))
        return network.connectivity_indices(G, distance="cw_dist", d0=1000.0).eca

    # links are ordered (1, 2), (3, 4)
    assert out.loc["N1", "pick_gain"] == pytest.approx(eca([80.0, 5070.0]) - eca([10070.0, 5070.0]))
    assert out.loc["S", "pick_gain"] == pytest.approx(eca([80.0, 80.0]) - eca([80.0, 5070.0]))
    assert out["pick"].isna()["N2"]


def test_rank_passages_bad_spacing_and_select():
    r, fence, cores, links, cand = two_fences_case()
    kw = {"barriers": fence, "resistance": r, "cores": cores, "links": links}
    with pytest.raises(CamigeoError, match="min_spacing_km must be > 0 km"):
        rank_passages(cand, min_spacing_km=0, **kw)
    with pytest.raises(CamigeoError, match="select must be a positive integer"):
        rank_passages(cand, select=0, **kw)
    with pytest.raises(CamigeoError, match="select must be a positive integer"):
        rank_passages(cand, select=2.5, **kw)


def test_barriers_must_be_a_geodataframe():
    r, fence, cores = fence_case()
    with pytest.raises(CamigeoError, match="barriers must be a GeoDataFrame"):
        candidates_along([fence.geometry.iloc[0]], 0.02)
    with pytest.raises(CamigeoError, match="barriers must be a GeoDataFrame"):
        rank_passages(None, barriers=[fence.geometry.iloc[0]], resistance=r, cores=cores,
                      spacing_km=0.02)
