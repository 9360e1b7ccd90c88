"""Tests for camigeo.scenarios (what-if comparisons).

Part 1 drives the scenario engine with a tiny hand model plugged in through
``Scenario(resistance_fn=, links_fn=)``: a link costs its centroid-to-centroid length in m
plus PENALTY for every closed barrier line it crosses, and passages reopen barriers within
500 m. Every delta is then worked out by hand.

Part 2 runs the real chain (camigeo.build_resistance + camigeo.corridor_links) on a small
raster with a wall; it is skipped while those modules are not importable.
"""

from __future__ import annotations

import itertools
import math
import sys

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, box

from camigeo import CamigeoError, CamigeoWarning, GeometryError, SchemaError
from camigeo.corridors.scenarios import Scenario, compare_scenarios, evaluate_scenario
from camigeo.io.crs import equal_area_km2, geodesic_length_km

CRS = "EPSG:32643"
PENALTY = 1_000_000.0


def wall_resistance(template, *, infrastructure=None, passages=None, ranges=None, **kw):
    lines = [] if infrastructure is None else list(infrastructure.geometry.values)
    if passages is not None and len(passages):
        hole = shapely.union_all(passages.to_crs(CRS).geometry.buffer(500.0).values)
        lines = [shapely.difference(g, hole) for g in lines]
    return {"lines": lines, "penalty": template["penalty"]}


def centroid_links(cores, resistance, **kw):
    rows = []
    cent = cores.geometry.centroid
    for i, j in itertools.combinations(range(len(cores)), 2):
        seg = LineString([cent.iloc[i], cent.iloc[j]])
        n_cross = sum(bool(seg.intersects(g)) for g in resistance["lines"])
        rows.append({"core_a": cores["core_id"].iloc[i], "core_b": cores["core_id"].iloc[j],
                     "cw_dist": seg.length + resistance["penalty"] * n_cross,
                     "euc_dist_km": seg.length / 1000, "lcp_length_km": seg.length / 1000,
                     "cwd_to_euc": np.nan, "cwd_to_path": np.nan, "geometry": seg})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=cores.crs)


@pytest.fixture
def base() -> Scenario:
    # A (500, 500), B (9500, 500), C (500, 9500): AB = AC = 9000 m, BC = 9000·√2 m
    cores = gpd.GeoDataFrame(
        {"core_id": ["A", "B", "C"]},
        geometry=[box(0, 0, 1000, 1000), box(9000, 0, 10000, 1000), box(0, 9000, 1000, 10000)],
        crs=CRS,
    )
    # fence F1 at x = 5000 between y = -1000 and 3000 cuts A–B only
    infra = gpd.GeoDataFrame(
        {"infra_id": ["F1"], "infra_type": ["border_fence"], "status": ["existing"],
         "fenced": [True], "fence_class": ["impermeable"]},
        geometry=[LineString([(5000, -1000), (5000, 3000)])], crs=CRS,
    )
    return Scenario(cores=cores, template={"penalty": PENALTY}, infrastructure=infra,
                    resistance_fn=wall_resistance, links_fn=centroid_links)


def _delta(cmp, a, b):
    row = cmp.links.set_index(["core_a", "core_b"]).loc[(a, b)]
    return float(row["delta_cw_dist"])


def test_open_passage_reopens_fence(base):
    gap = gpd.GeoSeries([Point(5000, 500)], crs=CRS)
    cmp = compare_scenarios(base, open_passages=gap)
    assert _delta(cmp, "A", "B") == pytest.approx(-PENALTY)
    assert _delta(cmp, "A", "C") == 0.0
    assert _delta(cmp, "B", "C") == 0.0
    assert set(cmp.links["status"]) == {"both"}
    ab = cmp.links.set_index(["core_a", "core_b"]).loc[("A", "B")]
    assert ab["cw_dist_base"] == pytest.approx(9000 + PENALTY)
    assert ab["cw_dist_scenario"] == pytest.approx(9000)
    # the base is unchanged, the scenario holds the passage
    assert base.passages is None and len(cmp.scenario.scenario.passages) == 1


def test_remove_by_id_and_by_segment(base):
    by_id = compare_scenarios(base, remove=["F1"])
    assert _delta(by_id, "A", "B") == pytest.approx(-PENALTY)
    assert len(by_id.scenario.scenario.infrastructure) == 0
    # cut the fence between y = 0 and 1000 (+1 m tolerance): two pieces remain
    seg = gpd.GeoDataFrame({"infra_id": ["F1"]},
                           geometry=[LineString([(5000, 0), (5000, 1000)])], crs=CRS)
    cut = compare_scenarios(base, remove=seg)
    assert _delta(cut, "A", "B") == pytest.approx(-PENALTY)
    left = cut.scenario.scenario.infrastructure.geometry.iloc[0]
    assert left.length == pytest.approx(4000 - 1000 - 2.0, rel=1e-3)  # buffer caps eat ~1 m
    assert len(shapely.get_parts(left)) == 2
    assert len(base.infrastructure.geometry.iloc[0].coords) == 2  # input untouched


def test_add_planned_railway(base):
    # railway at y = 5000 from x = -1000 to 2000 cuts A–C only
    rail = gpd.GeoDataFrame(
        {"infra_id": ["R1"], "infra_type": ["railway"], "status": ["planned"],
         "fenced": [True], "fence_class": ["impermeable"]},
        geometry=[LineString([(-1000, 5000), (2000, 5000)])], crs=CRS,
    ).to_crs("EPSG:4326")  # another CRS on purpose: it is reprojected to the base CRS
    cmp = compare_scenarios(base, add=rail, name="railway built")
    assert _delta(cmp, "A", "C") == pytest.approx(PENALTY)
    assert _delta(cmp, "A", "B") == 0.0
    infra = cmp.scenario.scenario.infrastructure
    assert infra["infra_id"].tolist() == ["F1", "R1"]
    assert infra.loc[1, "status"] == "existing" and infra.crs == base.infrastructure.crs
    assert cmp.scenario.scenario.name == "railway built"


def test_graph_deltas_match_hand_pc(base):
    d0 = 9000.0
    gap = gpd.GeoSeries([Point(5000, 500)], crs=CRS)
    cmp = compare_scenarios(base, open_passages=gap, d0=d0, p0=0.5)
    a = equal_area_km2(base.cores)
    k = math.log(2) / d0
    ab, ac, bc = 9000 + PENALTY, 9000.0, 9000 * math.sqrt(2)
    p = {n: math.exp(-k * d) for n, d in {"ab": ab, "ac": ac, "bc": bc}.items()}

    def pcnum(pab, pac, pbc):
        best_ab = max(pab, pac * pbc)
        best_ac = max(pac, pab * pbc)
        best_bc = max(pbc, pab * pac)
        P = np.array([[1, best_ab, best_ac], [best_ab, 1, best_bc], [best_ac, best_bc, 1]])
        return a @ P @ a

    before = pcnum(p["ab"], p["ac"], p["bc"])
    after = pcnum(0.5, p["ac"], p["bc"])
    assert cmp.graph.loc["base", "PCnum"] == pytest.approx(before, rel=1e-12)
    assert cmp.graph.loc["scenario", "PCnum"] == pytest.approx(after, rel=1e-12)
    assert cmp.delta_eca == pytest.approx(math.sqrt(after) - math.sqrt(before), rel=1e-12)
    assert cmp.delta_pc == pytest.approx((after - before) / a.sum() ** 2, rel=1e-12)
    assert cmp.graph.loc["delta", "n_links"] == 0
    assert cmp.conflict is None


def test_links_only_without_d0(base):
    res = evaluate_scenario(base)
    assert res.indices is None and len(res.links) == 3
    cmp = compare_scenarios(base, remove="F1")
    assert np.isnan(cmp.graph.loc["delta", "ECA"])
    assert cmp.graph.loc["base", "n_links"] == 3


def test_new_and_lost_links(base):
    def filtered_links(cores, resistance, **kw):  # drop links dearer than max_cost
        t = centroid_links(cores, resistance)
        return t[t["cw_dist"] < kw["max_cost"]].reset_index(drop=True)

    s = Scenario(cores=base.cores, template=base.template, infrastructure=base.infrastructure,
                 resistance_fn=wall_resistance, links_fn=filtered_links,
                 link_kwargs={"max_cost": 50_000})
    cmp = compare_scenarios(s, remove=["F1"])
    t = cmp.links.set_index(["core_a", "core_b"])
    assert t.loc[("A", "B"), "status"] == "new" and np.isnan(t.loc[("A", "B"), "cw_dist_base"])
    back = compare_scenarios(cmp.scenario.scenario, scenario=s)
    assert back.links.set_index(["core_a", "core_b"]).loc[("A", "B"), "status"] == "lost"


def test_bad_scenario_input(base, monkeypatch):
    with pytest.raises(CamigeoError, match="base must be a camigeo.scenarios.Scenario"):
        compare_scenarios({"cores": base.cores}, remove=["F1"])
    with pytest.raises(CamigeoError, match="needs a change"):
        compare_scenarios(base)
    with pytest.raises(CamigeoError, match="not both"):
        compare_scenarios(base, remove=["F1"], scenario=base)
    with pytest.raises(SchemaError, match=r"infra_id values not in the infrastructure: \['X9'\]"):
        compare_scenarios(base, remove=["X9"])
    with pytest.raises(CamigeoError, match="no infrastructure"):
        compare_scenarios(Scenario(cores=base.cores, template=base.template), remove=["F1"])
    pts = gpd.GeoDataFrame({"infra_id": ["P"]}, geometry=[Point(0, 0)], crs=CRS)
    with pytest.raises(GeometryError, match="add must hold the planned"):
        compare_scenarios(base, add=pts)
    dup = base.infrastructure.copy()
    with pytest.raises(SchemaError, match=r"already in the base infrastructure: \['F1'\]"):
        compare_scenarios(base, add=dup)
    with pytest.raises(CamigeoError, match="open_passages must be a GeoDataFrame"):
        compare_scenarios(base, open_passages=[(5000, 500)])
    with pytest.raises(CamigeoError, match="remove_buffer_m must be > 0"):
        compare_scenarios(base, remove=gpd.GeoSeries([Point(5000, 0)], crs=CRS),
                          remove_buffer_m=0)
    far = gpd.GeoSeries([Point(90_000, 0)], crs=CRS)
    with pytest.warns(CamigeoWarning, match="nothing was removed"):
        compare_scenarios(base, remove=far)
    monkeypatch.setitem(sys.modules, "camigeo.corridors.resistance", None)
    plain = Scenario(cores=base.cores, template=base.template)
    with pytest.raises(CamigeoError, match="camigeo.corridors.resistance.build_resistance is not "
                                           "available.*resistance_fn"):
        evaluate_scenario(plain)


def test_conflict_delta_per_ptcr(base):
    from dataclasses import replace

    from camigeo.barriers.conflict import score_conflict, summarize_conflict

    region = box(-2000, -2000, 12000, 12000)
    ptcrs = gpd.GeoDataFrame({"ptcr_id": [1], "name": ["Test PTCR"]}, geometry=[region],
                             crs=CRS)
    ranges = gpd.GeoDataFrame({"sci_name": ["Saiga tatarica"]}, geometry=[region], crs=CRS)
    s = replace(base, ptcrs=ptcrs, ranges=ranges)
    # border_fence / impermeable: weight 1, so score = 1000 · geodesic length / range area
    length = float(geodesic_length_km(base.infrastructure)[0])
    area = float(equal_area_km2(ranges)[0])
    expected = 1000 * length / area
    want = summarize_conflict(score_conflict(ptcrs, ranges, base.infrastructure))
    assert want["conflict_score"].iloc[0] == pytest.approx(expected, rel=1e-6)
    cmp = compare_scenarios(s, remove=["F1"])
    row = cmp.conflict.set_index("ptcr_id").loc[1]
    assert row["ptcr_name"] == "Test PTCR"
    assert row["conflict_score_base"] == pytest.approx(expected, rel=1e-6)
    assert row["conflict_score_scenario"] == 0.0
    assert row["delta_conflict_score"] == pytest.approx(-expected, rel=1e-6)
    assert row["delta_length_km_border_fence"] == pytest.approx(-length, rel=1e-6)
    # passages do not change the conflict score (it measures the lines, not the gaps)
    gap = compare_scenarios(s, open_passages=gpd.GeoSeries([Point(5000, 500)], crs=CRS))
    assert gap.conflict["delta_conflict_score"].iloc[0] == 0.0


# --------------------------------------------------------------------------- real chain
# camigeo.build_resistance + camigeo.corridor_links on a 3 × 7 grid of 1 km cells, base
# resistance 1. Cores: column 0 and column 6. An impermeable border fence at x = 3500 m
# burns column 3 to 1000 (max_resistance). Least-cost path along a row (GRASS convention,
# step cost (c_a + c_b)/2 × 1000 m): 4 steps at 1000 + 2 steps at 500500 = 1005000. A
# passage at (3500, 1500) reopens that one cell to 1, giving 6 × 1000 = 6000.

GRID = "EPSG:32642"


@pytest.fixture
def real_base() -> Scenario:
    cores = gpd.GeoDataFrame({"core_id": [1, 2]},
                             geometry=[box(0, 0, 1000, 3000), box(6000, 0, 7000, 3000)],
                             crs=GRID)
    fence = gpd.GeoDataFrame(
        {"infra_id": ["F"], "infra_type": ["border_fence"], "status": ["existing"],
         "fenced": [True], "fence_class": ["impermeable"]},
        geometry=[LineString([(3500, 0), (3500, 3000)])], crs=GRID,
    )
    spec = {"bounds": (0, 0, 7000, 3000), "cellsize_m": 1000, "crs": GRID}
    return Scenario(cores=cores, template=spec, infrastructure=fence)


def test_real_chain_open_passage(real_base):
    gap = gpd.GeoDataFrame(geometry=[Point(3500, 1500)], crs=GRID)
    cmp = compare_scenarios(real_base, open_passages=gap, d0=6000.0)
    row = cmp.links.iloc[0]
    assert (row["core_a"], row["core_b"]) == (1, 2)
    assert row["cw_dist_base"] == pytest.approx(1_005_000.0, rel=1e-12)
    assert row["cw_dist_scenario"] == pytest.approx(6000.0, rel=1e-12)
    assert row["delta_cw_dist"] == pytest.approx(-999_000.0, rel=1e-12)
    a = equal_area_km2(real_base.cores)
    p_before = 0.5 ** (1_005_000.0 / 6000.0)
    before = a[0] ** 2 + a[1] ** 2 + 2 * a[0] * a[1] * p_before
    after = a[0] ** 2 + a[1] ** 2 + 2 * a[0] * a[1] * 0.5
    assert cmp.delta_eca == pytest.approx(math.sqrt(after) - math.sqrt(before), rel=1e-12)
    assert float(np.nanmax(cmp.scenario.resistance.array)) == 1000.0  # rest of the fence


def test_real_chain_remove_and_add(real_base):
    removed = compare_scenarios(real_base, remove=["F"])
    assert removed.links["delta_cw_dist"].iloc[0] == pytest.approx(-999_000.0)
    # a planned fenced railway at x = 1500 m: build_resistance burns only existing lines,
    # compare_scenarios marks added lines existing, so column 1 becomes a second wall
    rail = gpd.GeoDataFrame(
        {"infra_id": ["R"], "infra_type": ["railway"], "status": ["planned"],
         "fenced": [True], "fence_class": ["impermeable"]},
        geometry=[LineString([(1500, 0), (1500, 3000)])], crs=GRID,
    )
    built = compare_scenarios(real_base, add=rail)
    r = built.scenario.resistance.array
    assert r[1, 1] == built.base.resistance.array[1, 3] and r[1, 1] > 1.0
    c = float(r[1, 1])
    # second wall: two more steps into and out of a cell of cost c instead of two at 1
    want = 1_005_000.0 + 2 * (1 + c) / 2 * 1000 - 2 * 1000
    assert built.links["cw_dist_scenario"].iloc[0] == pytest.approx(want, rel=1e-12)


def test_docs_example_runs():
    """The python block of docs/network.md runs and gives the numbers it shows."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "network.md").read_text("utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    ns: dict = {}
    exec(compile(block, "docs/network.md", "exec"), ns)  # noqa: S102
    assert ns["cmp"].links["delta_cw_dist"].iloc[0] == pytest.approx(-999_000.0)
    assert ns["res"].nodes["dPC"].notna().all()


@pytest.mark.slow
def test_example_scenarios_on_bundled_data():
    """scripts/example_scenarios.py: a railway can only lower ECA, openings only raise it."""
    import runpy
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "scripts" / "example_scenarios.py"
    mod = runpy.run_path(str(script), run_name="example")
    rail = mod["tavan_tolgoi"](verbose=False)
    both = rail.links[rail.links["status"] == "both"]
    assert (both["delta_cw_dist"] >= -1e-6).all() and both["delta_cw_dist"].max() > 0
    assert rail.delta_eca < 0
    assert rail.conflict["delta_conflict_score"].iloc[0] > 0
    fence, top3 = mod["ustyurt_fence"](verbose=False)
    # greedy picks stop early once no candidate gains anything (2 with the bundled data of
    # issue 12: the second opening already links every core pair the fence splits)
    assert 1 <= len(top3) <= 3 and list(top3["pick"]) == list(range(1, len(top3) + 1))
    assert (top3["pick_gain"] > 0).all()
    assert top3["rank"].iloc[0] == 1  # the first greedy pick is the independent best
    # the marginal ΔECA of the picks add up to the ΔECA that
    # compare_scenarios finds by rebuilding the resistance with the three passages
    assert top3["pick_gain"].sum() == pytest.approx(fence.delta_eca, rel=1e-9)
    both = fence.links[fence.links["status"] == "both"]
    assert (both["delta_cw_dist"] <= 1e-6).all() and both["delta_cw_dist"].min() < 0
    assert fence.delta_eca > 0
