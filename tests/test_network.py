"""Tests for camigeo.network: corridor graph, PC/IIC/ECA, dPC/dIIC, centrality, MST.

Hand values: domain_methods.md §4.3 (a = [10, 20, 30], A_L = 100, d12 = 5, d13 = 10,
d23 = 5, p(5) = 0.5) and the small cases worked out in the comments.
"""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import geopandas.testing
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from camigeo import CamigeoError, CamigeoWarning, CRSError, GeometryError, SchemaError
from camigeo.corridors.network import (
    connectivity_indices,
    corridor_graph,
    graph_centrality,
    minimum_spanning_links,
    to_geodataframes,
)
from camigeo.io.crs import equal_area_km2


def _graph(areas: dict, edges: dict, distance: str = "cw_dist") -> nx.Graph:
    G = nx.Graph()
    for k, a in areas.items():
        G.add_node(k, area_km2=a)
    for (u, v), d in edges.items():
        G.add_edge(u, v, **{distance: d})
    return G


@pytest.fixture
def toy() -> nx.Graph:
    return _graph({1: 10, 2: 20, 3: 30}, {(1, 2): 5.0, (1, 3): 10.0, (2, 3): 5.0})


# ------------------------------------------------------------------ indices: hand values


def test_toy_pc_eca_dpc(toy):
    r = connectivity_indices(toy, d0=5, p0=0.5, landscape_area=100)
    assert r.pcnum == pytest.approx(2350.0, rel=1e-12)
    assert r.pc == pytest.approx(0.235, rel=1e-12)
    assert r.eca == pytest.approx(48.477, abs=5e-4)
    assert r.eca == pytest.approx(100 * math.sqrt(0.235), rel=1e-12)
    np.testing.assert_allclose(r.nodes["dPC"].round(2).to_numpy(), [19.15, 51.06, 70.21])
    # exact fractions: node k removed leaves 1900, 1150, 700 of 2350
    np.testing.assert_allclose(r.nodes["dPC"], 100 * np.array([450, 1200, 1650]) / 2350)
    # intra a_k^2 ; flux 2 sum_j a_k a_j p*_kj ; connector 0 (1-3 direct link ties 1-2-3)
    np.testing.assert_allclose(r.nodes["dPCintra"], 100 * np.array([100, 400, 900]) / 2350)
    np.testing.assert_allclose(r.nodes["dPCflux"], 100 * np.array([350, 800, 750]) / 2350)
    np.testing.assert_allclose(r.nodes["dPCconnector"], 0.0, atol=1e-12)
    assert np.isnan(r.iic)


def test_toy_iic(toy):
    r = connectivity_indices(toy, threshold=6, landscape_area=100)
    assert r.summary["IICnum"].iloc[0] == pytest.approx(2400.0)
    assert r.iic == pytest.approx(0.24)
    # remove 1: 400+900+600 = 1900; remove 2: 1000; remove 3: 100+400+200 = 700
    np.testing.assert_allclose(r.nodes["dIIC"], 100 * np.array([500, 1400, 1700]) / 2400)
    # node 2 is the only connector: pair (1,3) at nl = 2 -> 2*300/3 = 200
    np.testing.assert_allclose(r.nodes["dIICconnector"], 100 * np.array([0, 200, 0]) / 2400)
    assert r.links["iic_link"].tolist() == [True, False, True]
    assert np.isnan(r.pc)


def test_toy_link_importance(toy):
    r = connectivity_indices(toy, d0=5, threshold=6, landscape_area=100)
    links = r.links.set_index(["core_a", "core_b"])
    # without 1-2: p*12 = 0.25*0.5 -> 2200 ; without 1-3: unchanged ; without 2-3: 1900
    assert links.loc[(1, 2), "dPC"] == pytest.approx(100 * 150 / 2350)
    assert links.loc[(1, 3), "dPC"] == pytest.approx(0.0, abs=1e-12)
    assert links.loc[(2, 3), "dPC"] == pytest.approx(100 * 450 / 2350)
    # IIC without 1-2: node 1 isolated -> 100+400+900+600 = 2000 ;
    # without 2-3: node 3 isolated -> 100+400+900+200 = 1600
    assert links.loc[(1, 2), "dIIC"] == pytest.approx(100 * 400 / 2400)
    assert links.loc[(2, 3), "dIIC"] == pytest.approx(100 * 800 / 2400)
    assert links.loc[(1, 3), "dIIC"] == 0.0
    assert links.loc[(1, 3), "p_ij"] == pytest.approx(0.25)


def test_chain_connector():
    # 1-2-3 without a 1-3 link: p*13 = 0.25 through node 2, same PCnum 2350
    G = _graph({1: 10, 2: 20, 3: 30}, {(1, 2): 5.0, (2, 3): 5.0})
    r = connectivity_indices(G, d0=5, landscape_area=100)
    assert r.pcnum == pytest.approx(2350.0)
    n2 = r.nodes.loc[2]
    assert n2["dPCconnector"] == pytest.approx(100 * 150 / 2350)  # 2*10*30*0.25
    assert n2["dPC"] == pytest.approx(100 * (2350 - 1000) / 2350)
    parts = r.nodes[["dPCintra", "dPCflux", "dPCconnector"]].sum(axis=1)
    np.testing.assert_allclose(parts, r.nodes["dPC"], rtol=1e-12)


def test_two_nodes():
    G = _graph({"a": 1.0, "b": 1.0}, {("a", "b"): 3.0})
    r = connectivity_indices(G, d0=3, p0=0.5)  # A_L defaults to the sum = 2
    assert r.pcnum == pytest.approx(3.0)  # 1 + 1 + 2*0.5
    assert r.pc == pytest.approx(0.75)
    assert r.eca == pytest.approx(math.sqrt(3.0))
    assert r.summary["ECA_pct"].iloc[0] == pytest.approx(100 * math.sqrt(3) / 2)
    np.testing.assert_allclose(r.nodes["dPC"], 100 * 2 / 3)  # remove one: 1 of 3 left
    assert r.links["dPC"].iloc[0] == pytest.approx(100 * 1 / 3)


def test_p0_d0_convention():
    # p0 = 0.05 at d0 = 20 -> p(10) = sqrt(0.05)
    G = _graph({1: 1.0, 2: 1.0}, {(1, 2): 10.0})
    r = connectivity_indices(G, d0=20, p0=0.05)
    assert r.links["p_ij"].iloc[0] == pytest.approx(math.sqrt(0.05))
    assert r.params["k"] == pytest.approx(-math.log(0.05) / 20)


def test_disconnected_pair():
    G = _graph({1: 10, 2: 20}, {})
    r = connectivity_indices(G, d0=5, threshold=6, landscape_area=100)
    assert r.pcnum == pytest.approx(500.0)  # only a_i^2
    assert r.summary["IICnum"].iloc[0] == pytest.approx(500.0)
    np.testing.assert_allclose(r.nodes["dPCflux"], 0.0)
    np.testing.assert_allclose(r.nodes["dPC"], [20.0, 80.0])
    assert len(r.links) == 0
    # an infinite link distance is no link either
    Ginf = _graph({1: 10, 2: 20}, {(1, 2): math.inf})
    assert connectivity_indices(Ginf, d0=5).pcnum == pytest.approx(500.0)


def test_zero_distance_link_is_a_link():
    G = _graph({1: 10, 2: 20}, {(1, 2): 0.0})
    assert connectivity_indices(G, d0=5).pcnum == pytest.approx(900.0)  # (10+20)^2


# ------------------------------------------------------------------ brute force


def _random_graph(seed: int, n: int = 7, p: float = 0.5) -> nx.Graph:
    rng = np.random.default_rng(seed)
    G = nx.Graph()
    for i in range(n):
        G.add_node(i, area_km2=float(rng.uniform(1, 50)))
    for i, j in itertools.combinations(range(n), 2):
        if rng.random() < p:
            G.add_edge(i, j, cw_dist=float(rng.uniform(1, 20)))
    return G


def _brute_pcnum(G: nx.Graph, k: float) -> float:
    """Max product of p over every simple path (path enumeration)."""
    total = 0.0
    for i in G.nodes:
        for j in G.nodes:
            if i == j:
                best = 1.0
            else:
                best = 0.0
                for path in nx.all_simple_paths(G, i, j):
                    prod = 1.0
                    for u, v in itertools.pairwise(path):
                        prod *= math.exp(-k * G.edges[u, v]["cw_dist"])
                    best = max(best, prod)
            total += G.nodes[i]["area_km2"] * G.nodes[j]["area_km2"] * best
    return total


def _nx_iicnum(G: nx.Graph, threshold: float) -> float:
    H = nx.Graph()
    H.add_nodes_from(G.nodes(data=True))
    H.add_edges_from((u, v) for u, v, d in G.edges(data=True) if d["cw_dist"] <= threshold)
    nl = dict(nx.all_pairs_shortest_path_length(H))
    return sum(H.nodes[i]["area_km2"] * H.nodes[j]["area_km2"] / (1 + nl[i][j])
               for i in H for j in nl[i])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pc_matches_path_enumeration_and_naive_removal(seed):
    G = _random_graph(seed)
    d0, p0, thr = 8.0, 0.5, 10.0
    k = -math.log(p0) / d0
    r = connectivity_indices(G, d0=d0, p0=p0, threshold=thr, landscape_area=500.0)
    base = _brute_pcnum(G, k)
    assert r.pcnum == pytest.approx(base, rel=1e-12)
    assert r.pc == pytest.approx(base / 500.0**2, rel=1e-12)
    iic_base = _nx_iicnum(G, thr)
    assert r.summary["IICnum"].iloc[0] == pytest.approx(iic_base, rel=1e-12)
    for node in G.nodes:
        H = G.copy()
        H.remove_node(node)
        assert r.nodes.loc[node, "dPC"] == pytest.approx(
            100 * (base - _brute_pcnum(H, k)) / base, rel=1e-9, abs=1e-9)
        assert r.nodes.loc[node, "dIIC"] == pytest.approx(
            100 * (iic_base - _nx_iicnum(H, thr)) / iic_base, rel=1e-9, abs=1e-9)
    for row in r.links.itertuples():
        H = G.copy()
        H.remove_edge(row.core_a, row.core_b)
        assert row.dPC == pytest.approx(100 * (base - _brute_pcnum(H, k)) / base,
                                        rel=1e-9, abs=1e-9)
        assert row.dIIC == pytest.approx(100 * (iic_base - _nx_iicnum(H, thr)) / iic_base,
                                         rel=1e-9, abs=1e-9)
    parts = r.nodes[["dPCintra", "dPCflux", "dPCconnector"]].sum(axis=1)
    np.testing.assert_allclose(parts, r.nodes["dPC"], rtol=1e-12)


# ------------------------------------------------------------------ graph build


@pytest.fixture
def cores_links():
    crs = "EPSG:32643"  # UTM 43N, metres
    cores = gpd.GeoDataFrame(
        {"core_id": [1, 2, 3], "name": ["west", "mid", "east"]},
        geometry=[box(0, 0, 10_000, 10_000), box(30_000, 0, 40_000, 20_000),
                  box(70_000, 0, 75_000, 5_000)],
        crs=crs,
    )
    links = gpd.GeoDataFrame(
        {"core_a": [1, 2], "core_b": [2, 3], "cw_dist": [25_000.0, 40_000.0],
         "euc_dist_km": [20.0, 30.0], "lcp_length_km": [21.0, 33.0],
         "cwd_to_euc": [1250.0, 1333.3], "cwd_to_path": [1190.5, 1212.1]},
        geometry=[LineString([(10_000, 5_000), (30_000, 5_000)]),
                  LineString([(40_000, 2_000), (70_000, 2_000)])],
        crs=crs,
    )
    return cores, links


def test_corridor_graph_nodes_edges(cores_links):
    cores, links = cores_links
    G = corridor_graph(cores, links)
    assert G.graph["crs"] == cores.crs
    assert sorted(G.nodes) == [1, 2, 3]
    np.testing.assert_allclose([G.nodes[i]["area_km2"] for i in (1, 2, 3)],
                               equal_area_km2(cores))
    # UTM is conformal, not equal-area: ~495 km west of the central meridian the scale
    # factor is ~1.0026, so 100 km² of grid area is ~99.47 km² on the ground
    assert G.nodes[1]["area_km2"] == pytest.approx(100.0 / 1.0026**2, rel=1e-3)
    assert G.nodes[2]["name"] == "mid"
    assert G.edges[2, 3]["cw_dist"] == 40_000.0
    assert G.edges[1, 2]["geometry"].equals(links.geometry.iloc[0])
    assert G.nodes[3]["geometry"].equals(cores.geometry.iloc[2])


def test_corridor_graph_area_col_and_plain_links(cores_links):
    cores, links = cores_links
    cores = cores.assign(habitat=[5.0, 6.0, 7.0])
    G = corridor_graph(cores, pd.DataFrame(links.drop(columns="geometry")), area_col="habitat")
    assert [G.nodes[i]["area_km2"] for i in (1, 2, 3)] == [5.0, 6.0, 7.0]
    assert G.edges[1, 2]["geometry"] is None


def test_round_trip(cores_links):
    cores, links = cores_links
    G = corridor_graph(cores, links)
    nodes, edges = to_geodataframes(G)
    expected = cores.assign(area_km2=equal_area_km2(cores))
    geopandas.testing.assert_geodataframe_equal(nodes, expected, check_dtype=False,
                                                check_like=True)
    geopandas.testing.assert_geodataframe_equal(edges, links, check_dtype=False,
                                                check_like=True)
    G2 = corridor_graph(nodes, edges)
    assert nx.utils.graphs_equal(G, G2)
    assert G2.graph["crs"] == G.graph["crs"]


def test_round_trip_keeps_link_orientation(cores_links):
    cores, links = cores_links
    flipped = links.assign(core_a=[2, 3], core_b=[1, 2])
    _, edges = to_geodataframes(corridor_graph(cores, flipped))
    assert edges[["core_a", "core_b"]].values.tolist() == [[2, 1], [3, 2]]


def test_indices_on_built_graph(cores_links):
    cores, links = cores_links
    G = corridor_graph(cores, links)
    r = connectivity_indices(G, d0=25_000.0)
    a = equal_area_km2(cores)
    # p12 = 0.5, p23 = 0.5**(40/25), p13 = p12 * p23 (through core 2)
    p12, p23 = 0.5, 0.5 ** 1.6
    P = np.array([[1, p12, p12 * p23], [p12, 1, p23], [p12 * p23, p23, 1]])
    assert r.pcnum == pytest.approx(a @ P @ a, rel=1e-12)
    assert r.summary["landscape_area"].iloc[0] == pytest.approx(a.sum())
    assert r.nodes.index.name == "core_id"


def test_empty_links_graph(cores_links):
    cores, links = cores_links
    G = corridor_graph(cores, links.iloc[:0])
    assert G.number_of_edges() == 0
    nodes, edges = to_geodataframes(G)
    assert len(edges) == 0 and list(edges.columns) == ["core_a", "core_b", "geometry"]


# ------------------------------------------------------------------ centrality / MST


def test_centrality_path_graph():
    G = _graph({1: 1, 2: 1, 3: 1}, {(1, 2): 1.0, (2, 3): 1.0})
    nodes, edges = graph_centrality(G)
    # node 2 lies on the only 1-3 path: betweenness 1 (normalised by (n-1)(n-2)/2 = 1)
    assert nodes.loc[2, "betweenness"] == pytest.approx(1.0)
    assert nodes.loc[1, "betweenness"] == 0.0
    assert nodes.loc[2, "current_flow_betweenness"] == pytest.approx(1.0)
    assert nodes["degree"].tolist() == [1, 2, 1]
    # each edge carries the pair it joins plus the 1-3 pair: 2 of 3 pairs
    np.testing.assert_allclose(edges["edge_betweenness"], 2 / 3)


def test_current_flow_uses_conductance():
    # triangle: 1-3 direct link long (cost 2), 1-2-3 short; current splits 1/2 : 1/2 by
    # conductance, while the shortest path 1-2-3 (cost 1+0.5 ... ) takes all betweenness
    G = _graph({1: 1, 2: 1, 3: 1}, {(1, 2): 0.5, (2, 3): 0.5, (1, 3): 2.0})
    nodes, _ = graph_centrality(G, normalized=False)
    assert nodes.loc[2, "betweenness"] == pytest.approx(1.0)
    # current 1->3: paths 1-2-3 (resistance 1) and 1-3 (resistance 2): 2/3 through node 2
    # networkx counts unnormalised throughput over ordered pairs' average: check vs nx
    H = nx.Graph()
    H.add_edge(1, 2, c=2.0)
    H.add_edge(2, 3, c=2.0)
    H.add_edge(1, 3, c=0.5)
    want = nx.current_flow_betweenness_centrality(H, weight="c", normalized=False)
    assert nodes.loc[2, "current_flow_betweenness"] == pytest.approx(want[2])
    assert want[2] == pytest.approx(2 / 3)


def test_centrality_disconnected_components():
    G = _graph({1: 1, 2: 1, 3: 1, 4: 1, 5: 1}, {(1, 2): 1.0, (2, 3): 1.0, (4, 5): 1.0})
    nodes, edges = graph_centrality(G)
    assert nodes.loc[2, "current_flow_betweenness"] == pytest.approx(1.0)
    assert nodes.loc[4, "current_flow_betweenness"] == 0.0
    assert len(edges) == 3


def test_minimum_spanning_links(toy, cores_links):
    mst = minimum_spanning_links(toy)
    assert sorted(map(tuple, mst[["core_a", "core_b"]].values.tolist())) == [(1, 2), (2, 3)]
    assert mst["cw_dist"].sum() == 10.0
    cores, links = cores_links
    extra = pd.concat([links, links.iloc[[0]].assign(core_a=1, core_b=3, cw_dist=90_000.0)])
    G = corridor_graph(cores, extra.reset_index(drop=True))
    m = minimum_spanning_links(G)
    assert len(m) == 2 and m.crs == cores.crs and 90_000.0 not in m["cw_dist"].tolist()


# ------------------------------------------------------------------ bad input


def test_bad_cores(cores_links):
    cores, links = cores_links
    with pytest.raises(CamigeoError, match="cores must be a GeoDataFrame"):
        corridor_graph(pd.DataFrame(cores), links)
    with pytest.raises(SchemaError, match="no id column 'pid'"):
        corridor_graph(cores, links, id_col="pid")
    with pytest.raises(SchemaError, match="must be unique; duplicated ids: \\[1\\]"):
        corridor_graph(cores.assign(core_id=[1, 1, 3]), links)
    with pytest.raises(CRSError, match="cores has no CRS"):
        corridor_graph(cores.set_crs(None, allow_override=True), links)
    with pytest.raises(SchemaError, match="area_col='hab' is not a column"):
        corridor_graph(cores, links, area_col="hab")
    with pytest.raises(SchemaError, match="non-negative numbers"):
        corridor_graph(cores.assign(hab=[1, -2, 3]), links, area_col="hab")
    empty = cores.copy()
    empty.loc[1, "geometry"] = None
    with pytest.raises(GeometryError, match="missing/empty geometries"):
        corridor_graph(empty, links)


def test_bad_links(cores_links):
    cores, links = cores_links
    with pytest.raises(SchemaError, match=r"missing column\(s\) \['cw_dist'\]"):
        corridor_graph(cores, links.drop(columns="cw_dist"))
    with pytest.raises(SchemaError, match=r"core ids \['9'\] that are not in cores"):
        corridor_graph(cores, links.assign(core_b=[2, 9]))
    with pytest.raises(SchemaError, match="self-links"):
        corridor_graph(cores, links.assign(core_b=[1, 3]))
    with pytest.raises(SchemaError, match="more than one row for the core pair"):
        corridor_graph(cores, links.assign(core_a=[2, 3], core_b=[1, 2]).pipe(
            lambda d: pd.concat([d, links])).reset_index(drop=True))
    with pytest.raises(CRSError, match="links is in"):
        corridor_graph(cores, links.to_crs("EPSG:4326"))
    with pytest.raises(CamigeoError, match="links must be the link table"):
        corridor_graph(cores, [(1, 2)])


def test_bad_index_input(toy):
    with pytest.raises(CamigeoError, match="p0 must be a probability"):
        connectivity_indices(toy, d0=5, p0=1.5)
    with pytest.raises(CamigeoError, match="needs d0=.*threshold="):
        connectivity_indices(toy)
    with pytest.raises(CamigeoError, match="d0 must be a positive distance"):
        connectivity_indices(toy, d0=0)
    with pytest.raises(CamigeoError, match="threshold must be a distance >= 0"):
        connectivity_indices(toy, threshold=-1)
    with pytest.raises(CamigeoError, match="landscape_area must be > 0"):
        connectivity_indices(toy, d0=5, landscape_area=0)
    with pytest.raises(CamigeoError, match="undirected networkx.Graph"):
        connectivity_indices(nx.DiGraph(toy), d0=5)
    with pytest.raises(CamigeoError, match="G has no nodes"):
        connectivity_indices(nx.Graph(), d0=5)
    with pytest.raises(SchemaError, match="node 1 has no numeric 'quality'"):
        connectivity_indices(toy, d0=5, attribute="quality")
    with pytest.raises(SchemaError, match="no numeric 'euc_dist_km'"):
        connectivity_indices(toy, d0=5, distance="euc_dist_km")
    bad = toy.copy()
    bad.edges[1, 2]["cw_dist"] = -1.0
    with pytest.raises(SchemaError, match="'cw_dist' must be >= 0"):
        connectivity_indices(bad, d0=5)
    neg = toy.copy()
    neg.nodes[1]["area_km2"] = -3
    with pytest.raises(SchemaError, match="'area_km2' must be finite and >= 0"):
        connectivity_indices(neg, d0=5)
    with pytest.warns(CamigeoWarning, match="smaller than the sum"):
        connectivity_indices(toy, d0=5, landscape_area=50)
    with pytest.raises(SchemaError, match="positive finite 'cw_dist'"):
        graph_centrality(bad)


def test_importance_false_skips_removals(toy):
    full = connectivity_indices(toy, d0=5, threshold=6, landscape_area=100)
    fast = connectivity_indices(toy, d0=5, threshold=6, landscape_area=100, importance=False)
    assert fast.pcnum == full.pcnum and fast.iic == full.iic
    pd.testing.assert_series_equal(fast.nodes["dPCflux"], full.nodes["dPCflux"])
    assert fast.nodes["dPC"].isna().all() and fast.links["dPC"].isna().all()
    assert fast.nodes["dIICconnector"].isna().all()


@pytest.mark.parametrize("seed", [4, 5])
def test_larger_graph_matches_naive_scipy_removal(seed):
    """60 nodes: every node/link removal re-run with scipy all-pairs Dijkstra."""
    from scipy.sparse.csgraph import dijkstra

    G = _random_graph(seed, n=60, p=0.08)
    r = connectivity_indices(G, d0=15.0, threshold=12.0)
    nodes = list(G.nodes)
    a = np.array([G.nodes[x]["area_km2"] for x in nodes])

    def nums(H):
        keep = [x for x in nodes if x in H]
        aa = a[[nodes.index(x) for x in keep]]
        A = nx.to_scipy_sparse_array(H, nodelist=keep, weight="cw_dist")
        D = dijkstra(A, directed=False)
        B = nx.Graph()
        B.add_nodes_from(keep)
        B.add_edges_from((u, v) for u, v, d in H.edges(data=True) if d["cw_dist"] <= 12)
        Ab = nx.to_scipy_sparse_array(B, nodelist=keep, weight=None)
        NL = dijkstra(Ab, directed=False, unweighted=True)
        return aa @ np.exp(-math.log(2) / 15.0 * D) @ aa, aa @ (1 / (1 + NL)) @ aa

    pc0, iic0 = nums(G)
    assert r.pcnum == pytest.approx(pc0, rel=1e-12)
    for x in nodes[::7]:
        H = G.copy()
        H.remove_node(x)
        pc1, iic1 = nums(H)
        assert r.nodes.loc[x, "dPC"] == pytest.approx(100 * (pc0 - pc1) / pc0, rel=1e-9)
        assert r.nodes.loc[x, "dIIC"] == pytest.approx(100 * (iic0 - iic1) / iic0,
                                                       rel=1e-9, abs=1e-12)
    for row in list(r.links.itertuples())[::9]:
        H = G.copy()
        H.remove_edge(row.core_a, row.core_b)
        pc1, iic1 = nums(H)
        assert row.dPC == pytest.approx(100 * (pc0 - pc1) / pc0, rel=1e-9, abs=1e-12)
        assert row.dIIC == pytest.approx(100 * (iic0 - iic1) / iic0, rel=1e-9, abs=1e-12)


def test_single_node_graph():
    G = _graph({"x": 5.0}, {})
    r = connectivity_indices(G, d0=1.0, threshold=1.0)
    assert r.pc == 1.0 and r.iic == 1.0 and r.eca == 5.0
    assert r.nodes.loc["x", "dPC"] == 100.0 and len(r.links) == 0
    mst = minimum_spanning_links(G)
    assert len(mst) == 0 and list(mst.columns) == ["core_a", "core_b", "geometry"]
    nodes, edges = graph_centrality(G)
    assert nodes.loc["x", "betweenness"] == 0.0 and len(edges) == 0
