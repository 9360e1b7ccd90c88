"""Hand-checked tests of camigeo.circuit (graph rules, solvers, modes, bad input)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from camigeo import CamigeoError, CamigeoWarning, Raster
from camigeo.circuit import (
    advanced,
    all_to_one,
    available_solvers,
    build_graph,
    conductance_grid,
    current_map,
    factorize,
    link_centrality,
    network_currents,
    network_resistance,
    node_map,
    one_to_all,
    pairwise_resistance,
    pinch_points,
    run_ini,
    solve_pair_batch,
)

SOLVERS = ["splu", "cg+amg"] + (["cholmod"] if "cholmod" in available_solvers() else [])


def _pinv_resistance(W: np.ndarray, a: int, b: int) -> float:
    """Effective resistance from the Moore-Penrose pseudo-inverse of L = D - W."""
    L = np.diag(W.sum(1)) - W
    Lp = np.linalg.pinv(L)
    return float(Lp[a, a] + Lp[b, b] - 2 * Lp[a, b])


# ----------------------------------------------------------------------------- graph rules
def test_edge_weights_match_circuitscape_unit_example() -> None:
    # upstream unit test: g1 = 1, g2 = 2 -> 1.5 / 1.06066 (avg conductance),
    # 1.33333 / 0.942809 (avg resistance), orthogonal / diagonal
    g = np.array([[1.0, 2.0], [1.0, 2.0]])
    nm = node_map(g)
    for avg, orth, diag in [(False, 1.5, 1.06066), (True, 4 / 3, 0.942809)]:
        W = build_graph(g, nm, avg_resistances=avg).adjacency.toarray()
        assert W[0, 1] == pytest.approx(orth)  # (0,0)-(0,1)
        assert W[0, 3] == pytest.approx(diag, abs=1e-6)  # (0,0)-(1,1)
        assert W[1, 2] == pytest.approx(diag, abs=1e-6)  # (0,1)-(1,0) upper-right link


def test_node_map_merges_polygons_including_nodata_cells() -> None:
    g = np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
    poly = np.array([[0, 5, 5], [0, 0, 0]])
    nm = node_map(g, poly)
    assert nm[0, 1] == nm[0, 2] >= 0  # nodata cell inside the region is part of the node
    assert len(np.unique(nm[nm >= 0])) == 5


def test_two_cells_average_conductance_and_resistance() -> None:
    res = Raster.from_array(np.array([[2.0, 4.0]]))
    focal = np.array([[1, 2]])
    r_cond = pairwise_resistance(res, focal, four_neighbors=True).loc[1, 2]
    r_res = pairwise_resistance(res, focal, four_neighbors=True, avg_resistances=True).loc[1, 2]
    assert r_cond == pytest.approx(1 / ((1 / 2 + 1 / 4) / 2))  # 1/mean(g) = 2.6667
    assert r_res == pytest.approx((2 + 4) / 2)  # mean resistance = 3


@pytest.mark.parametrize("solver", SOLVERS)
def test_3x3_grid_corner_to_corner_is_three_halves(solver: str) -> None:
    res = Raster.from_array(np.ones((3, 3)))
    focal = np.zeros((3, 3), dtype=int)
    focal[0, 0], focal[2, 2], focal[0, 2] = 1, 2, 3
    R = pairwise_resistance(res, focal, four_neighbors=True, solver=solver)
    assert R.loc[1, 2] == pytest.approx(1.5, abs=1e-8)  # classic 3x3 unit grid
    # adjacent corners: from the pseudo-inverse of the hand-built Laplacian
    W = np.zeros((9, 9))
    for r in range(3):
        for c in range(3):
            k = 3 * r + c
            if c < 2:
                W[k, k + 1] = W[k + 1, k] = 1
            if r < 2:
                W[k, k + 3] = W[k + 3, k] = 1
    assert R.loc[1, 3] == pytest.approx(_pinv_resistance(W, 0, 2), abs=1e-8)
    assert np.allclose(R.to_numpy(), R.to_numpy().T)  # symmetric


def test_8_neighbour_2x2_matches_pseudo_inverse() -> None:
    res = Raster.from_array(np.ones((2, 2)))
    focal = np.array([[1, 0], [0, 2]])
    R = pairwise_resistance(res, focal).loc[1, 2]
    d = 1 / np.sqrt(2)
    W = np.array([[0, 1, 1, d], [1, 0, d, 1], [1, d, 0, 1], [d, 1, 1, 0]])
    assert R == pytest.approx(_pinv_resistance(W, 0, 3))


def test_n_minus_one_solves_equal_direct_pair_solves() -> None:
    rng = np.random.default_rng(1)
    vals = rng.uniform(1, 10, (12, 15))
    g = 1 / vals
    gr = build_graph(g, node_map(g))
    L = gr.laplacian()
    nodes = [0, 17, 60, 100, 179]
    fac = factorize(L[1:, 1:], solver="splu")
    got = solve_pair_batch(fac, 0, L.shape[0], [(17, 60), (0, 100), (60, 179)])
    W = gr.adjacency.toarray()
    want = [_pinv_resistance(W, a, b) for a, b in [(17, 60), (0, 100), (60, 179)]]
    assert np.allclose(got, want, atol=1e-9)
    R = pairwise_resistance(Raster.from_array(vals), _focal_grid(vals.shape, nodes))
    assert R.loc[2, 3] == pytest.approx(want[0], abs=1e-9)


def _focal_grid(shape: tuple[int, int], flat_nodes: list[int]) -> np.ndarray:
    f = np.zeros(shape, dtype=int)
    for k, n in enumerate(flat_nodes, start=1):
        f.flat[n] = k
    return f


def test_solvers_agree_on_random_grid() -> None:
    rng = np.random.default_rng(7)
    vals = rng.uniform(1, 100, (20, 20))
    focal = _focal_grid(vals.shape, [0, 57, 210, 399])
    mats = [pairwise_resistance(Raster.from_array(vals), focal, solver=s).to_numpy()
            for s in SOLVERS]
    for m in mats[1:]:
        assert np.allclose(m, mats[0], rtol=1e-7)


# ----------------------------------------------------------------------------- regions etc.
def test_focal_region_and_short_circuit_polygon() -> None:
    res = Raster.from_array(np.ones((1, 5)))
    # region 1 = cells 0,1; point 2 = cell 4 -> edges (1,2),(2,3),(3,4) in series = 3
    focal = np.array([[1, 1, 0, 0, 2]])
    assert pairwise_resistance(res, focal, four_neighbors=True).loc[1, 2] == pytest.approx(3)
    # polygon over cells 1..3 short-circuits them: edges (0,1) and (3,4) remain = 2
    poly = np.array([[0, 7, 7, 7, 0]])
    focal2 = np.array([[1, 0, 0, 0, 2]])
    r = pairwise_resistance(res, focal2, four_neighbors=True, polygons=poly).loc[1, 2]
    assert r == pytest.approx(2)


def test_disconnected_and_same_node_pairs() -> None:
    vals = np.array([[1.0, 1.0, -9999, 1.0]])
    res = Raster.from_array(vals, nodata=-9999)
    focal = np.array([[1, 2, 0, 3]])
    R = pairwise_resistance(res, focal, four_neighbors=True)
    assert R.loc[1, 2] == pytest.approx(1.0)
    assert R.loc[1, 3] == -1 and R.loc[2, 3] == -1  # separate components
    poly = np.array([[4, 4, 0, 0]])
    R2 = pairwise_resistance(res, focal, four_neighbors=True, polygons=poly)
    assert R2.loc[1, 2] == 0.0  # both ids in one merged node


def test_include_and_exclude_pairs() -> None:
    res = Raster.from_array(np.ones((1, 3)))
    focal = np.array([[1, 2, 3]])
    R = pairwise_resistance(res, focal, four_neighbors=True, exclude_pairs=[(1, 3)])
    assert R.loc[1, 3] == -1 and R.loc[1, 2] == pytest.approx(1)
    R = pairwise_resistance(res, focal, four_neighbors=True, include_pairs=[(1, 3)])
    assert R.loc[1, 3] == pytest.approx(2) and R.loc[1, 2] == -1


# ----------------------------------------------------------------------------- maps
def test_current_map_in_a_corridor_of_cells() -> None:
    res = Raster.from_array(np.ones((1, 4)), cellsize=1000, crs="EPSG:32642")
    focal = np.array([[1, 0, 0, 2]])
    out = current_map(res, focal, four_neighbors=True, pair_maps=True, voltage_maps=True,
                      maximum=True)
    assert np.allclose(out.cumulative.array, 1.0)  # 1 A through every cell
    assert out.cumulative.crs == res.crs and out.cumulative.transform == res.transform
    # 1 A from id 2 to id 1, v(1) = 0: voltages 0, 1, 2, 3
    assert np.allclose(out.voltages[(1, 2)].array, [[0, 1, 2, 3]])
    assert np.allclose(out.maximum.array, 1.0)


def test_cumulative_map_three_points_on_a_line() -> None:
    res = Raster.from_array(np.ones((1, 3)))
    out = current_map(res, np.array([[1, 2, 3]]), four_neighbors=True, pair_maps=True)
    # pairs (1,2): cells 0,1 carry 1 A; (1,3): all three; (2,3): cells 1,2
    assert np.allclose(out.cumulative.array, [[2, 3, 2]])
    assert set(out.currents) == {(1, 2), (1, 3), (2, 3)}


def test_one_to_all_consistent_with_pairwise() -> None:
    rng = np.random.default_rng(3)
    vals = rng.uniform(1, 5, (8, 9))
    res = Raster.from_array(vals)
    focal = _focal_grid(vals.shape, [0, 71])
    R = pairwise_resistance(res, focal).loc[1, 2]
    o = one_to_all(res, focal, strengths={1: 2.0}).resistances
    assert o.loc[1] == pytest.approx(R) and o.loc[2] == pytest.approx(R)
    a = all_to_one(res, focal).resistances
    assert (a == 0).all()


def test_advanced_direct_and_finite_ground() -> None:
    res = Raster.from_array(np.ones((1, 3)))
    src = np.array([[1.0, np.nan, np.nan]])
    out = advanced(res, src, np.array([[np.nan, np.nan, 0.0]]), four_neighbors=True)
    assert np.allclose(out.voltages[0].array, [[2, 1, 0]])  # 1 A through 2 ohm
    out = advanced(res, src, np.array([[np.nan, np.nan, 1.0]]), four_neighbors=True)
    assert out.voltages[0].array[0, 0] == pytest.approx(3)  # + 1 ohm to ground
    # the ground node's current includes the 1 A leaving through its finite ground
    assert out.currents[0].array[0, 2] == pytest.approx(1)


# ----------------------------------------------------------------------------- network
def test_network_series_and_parallel() -> None:
    import networkx as nx

    G = nx.Graph()
    G.add_edge("a", "b", resistance=1.0)
    G.add_edge("b", "c", resistance=2.0)  # series a-c = 3
    G.add_edge("c", "d", resistance=2.0)
    G.add_edge("c", "d2", resistance=1.0)
    G.add_edge("d2", "d", resistance=1.0)  # c-d: 2 || 2 = 1
    G.add_node("lonely")
    R = network_resistance(G)
    assert R.loc["a", "c"] == pytest.approx(3)
    assert R.loc["c", "d"] == pytest.approx(1)
    assert R.loc["a", "d"] == pytest.approx(4)
    assert R.loc["a", "lonely"] == -1


def test_network_currents_parallel_ground() -> None:
    # mgNetworkVerify1 by hand: square of 100 ohm edges, 1 A into 0, direct ground at 2:
    # 100 ohm (0-2) in parallel with 300 ohm (0-1-3-2) -> V0 = 75
    edges = [(0, 1, 100.0), (0, 2, 100.0), (1, 3, 100.0), (2, 3, 100.0)]
    nodes, branches = network_currents(edges, {0: 1.0}, {2: 0.0})
    assert nodes.set_index("node").loc[0, "voltage"] == pytest.approx(75)
    br = branches.set_index(["node_i", "node_j"])["current"]
    assert br.loc[(0, 2)] == pytest.approx(0.75) and br.loc[(0, 1)] == pytest.approx(0.25)


def test_link_centrality_path_graph() -> None:
    import networkx as nx

    G = nx.path_graph(4)  # 0-1-2-3
    nx.set_edge_attributes(G, 5.0, "cw_dist")
    links, cores = link_centrality(G)
    cur = links.set_index(["core_a", "core_b"])["current"]
    # link (1,2) lies on the path of pairs (0,2),(0,3),(1,2),(1,3) -> 4 A; (0,1): 3 A
    assert cur.loc[(1, 2)] == pytest.approx(4) and cur.loc[(0, 1)] == pytest.approx(3)
    # core 1 carries current in every pair touching or crossing it: 5 of 6 pairs
    assert cores.set_index("core").loc[1, "current"] == pytest.approx(5)


def test_pinch_points_on_synthetic_nlcc() -> None:
    res = Raster.from_array(np.ones((3, 5)))
    nlcc = np.full((3, 5), 50.0)
    nlcc[1, :] = 0.0  # the corridor is the middle row
    cores = np.zeros((3, 5), dtype=int)
    cores[1, 0], cores[1, 4] = 1, 2
    narrow = pinch_points(Raster.from_array(nlcc), res, cores, cutoff=10)
    assert narrow.resistances.iloc[0]["eff_resistance"] == pytest.approx(4)  # 4 unit edges
    assert np.allclose(narrow.current.array[1], 1.0) and narrow.current.array[0].sum() == 0
    wide = pinch_points(Raster.from_array(nlcc), res, cores, cutoff=100)
    assert wide.resistances.iloc[0]["eff_resistance"] < 4  # parallel paths lower R
    allone = pinch_points(Raster.from_array(nlcc), res, cores, cutoff=10, mode="all-to-one")
    assert np.allclose(allone.current.array[1], 2.0)  # each core grounded once: 1 A + 1 A


# ----------------------------------------------------------------------------- bad input
def test_negative_resistance_raises() -> None:
    with pytest.raises(CamigeoError, match="negative values"):
        pairwise_resistance(Raster.from_array(np.array([[1.0, -2.0]])), np.array([[1, 2]]))


def test_zero_resistance_raises() -> None:
    with pytest.raises(CamigeoError, match="resistance of 0"):
        pairwise_resistance(Raster.from_array(np.array([[1.0, 0.0]])), np.array([[1, 2]]))


def test_nan_resistance_is_nodata_and_focal_on_it_gives_minus_one() -> None:
    res = Raster.from_array(np.array([[1.0, 1.0, np.nan]]))
    with pytest.warns(CamigeoWarning, match="focal node.*3.*nodata"):
        R = pairwise_resistance(res, np.array([[1, 2, 3]]), four_neighbors=True)
    assert R.loc[1, 3] == -1 and R.loc[1, 2] == pytest.approx(1)


def test_focal_outside_grid_warns_and_gives_minus_one() -> None:
    res = Raster.from_array(np.ones((2, 2)))  # x, y in [0, 2]
    pts = np.array([[1, 0.5, 0.5], [2, 1.5, 1.5], [3, 10.0, 10.0]])
    with pytest.warns(CamigeoWarning, match="outside the grid"):
        R = pairwise_resistance(res, pts)
    assert R.loc[1, 3] == -1 and R.loc[1, 2] > 0


def test_singular_system_raises() -> None:
    L = sp.csr_matrix(np.array([[1.0, -1.0], [-1.0, 1.0]]))  # ungrounded Laplacian
    for s in SOLVERS:
        if s == "cg+amg":
            continue  # CG may converge on a consistent singular system
        with pytest.raises(CamigeoError, match="singular"):
            factorize(L, solver=s)


def test_advanced_without_ground_raises() -> None:
    res = Raster.from_array(np.ones((1, 3)))
    with pytest.raises(CamigeoError, match="no connected component has both"):
        advanced(res, np.array([[1.0, 0, 0]]), np.full((1, 3), np.nan))


def test_unknown_solver_raises() -> None:
    with pytest.raises(CamigeoError, match="solver='umfpack'"):
        pairwise_resistance(Raster.from_array(np.ones((1, 2))), np.array([[1, 2]]),
                            solver="umfpack")


def test_focal_shape_mismatch_raises() -> None:
    with pytest.raises(CamigeoError, match="focal"):
        pairwise_resistance(Raster.from_array(np.ones((2, 2))), np.ones((3, 4), dtype=int))


def test_conductance_grid_infinite_conductance_raises() -> None:
    with pytest.raises(CamigeoError, match="infinite conductances"):
        conductance_grid(np.array([[np.inf]]), np.array([[True]]), is_resistance=False)


# ----------------------------------------------------------------------------- INI
def _write_asc(path, arr) -> None:
    head = (f"ncols {arr.shape[1]}\nnrows {arr.shape[0]}\nxllcorner 0\nyllcorner 0\n"
            f"cellsize 1\nNODATA_value -9999\n")
    path.write_text(head + "\n".join(" ".join(str(v) for v in row) for row in arr) + "\n")


def test_run_ini_pairwise_writes_circuitscape_files(tmp_path) -> None:
    _write_asc(tmp_path / "hab.asc", np.ones((1, 3)))
    _write_asc(tmp_path / "pts.asc", np.array([[1, -9999, 2]]))
    (tmp_path / "run.ini").write_text(
        "[Habitat raster or graph]\nhabitat_file = hab.asc\nhabitat_map_is_resistances = True\n"
        "[Options]\npoint_file = pts.asc\nconnect_four_neighbors_only = True\n"
        "output_file = out/run.out\nwrite_cur_maps = True\nwrite_volt_maps = True\n"
        "scenario = pairwise\n")
    res = run_ini(tmp_path / "run.ini")
    names = sorted(p.name for p in res["files"])
    assert names == ["run_cum_curmap.asc", "run_curmap_1_2.asc", "run_resistances.out",
                     "run_resistances_3columns.out", "run_voltmap_1_2.asc"]
    mat = np.loadtxt(tmp_path / "out" / "run_resistances.out")
    assert np.allclose(mat, [[0, 1, 2], [1, 0, 2], [2, 2, 0]])
    volt = np.loadtxt(tmp_path / "out" / "run_voltmap_1_2.asc", skiprows=6)
    assert np.allclose(volt, [0, 1, 2])


def test_run_ini_unsupported_options_listed(tmp_path) -> None:
    _write_asc(tmp_path / "hab.asc", np.ones((1, 3)))
    (tmp_path / "bad.ini").write_text(
        "habitat_file = hab.asc\noutput_file = o.out\nset_focal_node_currents_to_zero = True\n"
        "solver = pardiso2\nscenario = moving-window\n")
    with pytest.raises(CamigeoError,
                       match=r"(?s)set_focal_node_currents_to_zero.*scenario.*solver"):
        run_ini(tmp_path / "bad.ini")


def test_results_are_dataframes() -> None:
    R = pairwise_resistance(Raster.from_array(np.ones((1, 2))), np.array([[1, 2]]))
    assert isinstance(R, pd.DataFrame) and list(R.index) == [1, 2]


def test_focal_from_geodataframe_points_and_polygons() -> None:
    import geopandas as gpd
    from shapely.geometry import Point, box

    res = Raster.from_array(np.ones((1, 5)), cellsize=10.0, crs="EPSG:32642")
    pts = gpd.GeoDataFrame({"id": [1, 2]}, geometry=[Point(5, 5), Point(45, 5)],
                           crs="EPSG:32642")
    assert pairwise_resistance(res, pts, four_neighbors=True).loc[1, 2] == pytest.approx(4)
    # polygon cores covering cells 0-1 and 4 (focal regions): 3 edges in series
    cores = gpd.GeoDataFrame({"core_id": [1, 2]}, geometry=[box(0, 0, 20, 10),
                                                             box(40, 0, 50, 10)],
                             crs="EPSG:32642")
    assert pairwise_resistance(res, cores, four_neighbors=True).loc[1, 2] == pytest.approx(3)


def test_run_ini_network_advanced(tmp_path) -> None:
    (tmp_path / "g.txt").write_text("0 1 100\n0 2 100\n1 3 100\n2 3 100\n")
    (tmp_path / "s.txt").write_text("0 1\n")
    (tmp_path / "gr.txt").write_text("2 0\n")
    (tmp_path / "n.ini").write_text(
        "data_type = network\nscenario = advanced\nhabitat_file = g.txt\n"
        "habitat_map_is_resistances = True\nsource_file = s.txt\nground_file = gr.txt\n"
        "ground_file_is_resistances = True\noutput_file = n.out\nwrite_volt_maps = True\n"
        "write_cur_maps = True\n")
    run_ini(tmp_path / "n.ini")
    v = np.loadtxt(tmp_path / "n_voltages.txt")
    assert v[v[:, 0] == 0, 1][0] == pytest.approx(75)  # 100 ohm || 300 ohm
    b = np.loadtxt(tmp_path / "n_branch_currents.txt")
    assert b[(b[:, 0] == 0) & (b[:, 1] == 2), 2][0] == pytest.approx(0.75)


def test_run_ini_reclass_compress_and_tif(tmp_path) -> None:
    _write_asc(tmp_path / "hab.asc", np.array([[1, 7, 1]]))
    _write_asc(tmp_path / "pts.asc", np.array([[1, 0, 2]]))
    (tmp_path / "re.txt").write_text("7 3\n")
    base = ("habitat_file = hab.asc\npoint_file = pts.asc\nconnect_four_neighbors_only = True\n"
            "connect_using_avg_resistances = True\nuse_reclass_table = True\n"
            "reclass_file = re.txt\nwrite_cur_maps = True\n")
    (tmp_path / "a.ini").write_text(base + "output_file = a.out\ncompress_grids = True\n")
    run_ini(tmp_path / "a.ini")
    # reclassed resistances 1, 3, 1 -> mean-resistance edges 2 + 2 = 4 ohm
    assert np.loadtxt(tmp_path / "a_resistances.out")[1, 2] == pytest.approx(4)
    import gzip

    with gzip.open(tmp_path / "a_cum_curmap.asc.gz", "rt") as f:
        assert np.allclose(np.loadtxt(f, skiprows=6), 1.0)
    (tmp_path / "b.ini").write_text(base + "output_file = b.out\nwrite_as_tif = True\n")
    run_ini(tmp_path / "b.ini")
    r = Raster.from_file(tmp_path / "b_cum_curmap.tif")
    assert np.allclose(r.array, 1.0) and r.transform.c == 0.0


def test_pinch_points_and_centrality_bad_input() -> None:
    import networkx as nx

    res = Raster.from_array(np.ones((1, 3)))
    cores = np.array([[1, 0, 2]])
    with pytest.raises(CamigeoError, match="cutoff must be a finite number"):
        pinch_points(res, res, cores, cutoff=-1)
    with pytest.raises(CamigeoError, match="mode='circuit'"):
        pinch_points(res, res, cores, cutoff=1, mode="circuit")
    G = nx.Graph()
    G.add_edge(1, 2, length=3.0)
    with pytest.raises(CamigeoError, match="no 'cw_dist' attribute"):
        link_centrality(G)


def test_run_ini_one_to_all_log_transform_and_null_nodata(tmp_path) -> None:
    _write_asc(tmp_path / "hab.asc", np.array([[1, 1, 1, -9999]]))
    _write_asc(tmp_path / "pts.asc", np.array([[1, 2, 3, 0]]))
    (tmp_path / "o.ini").write_text(
        "habitat_file = hab.asc\npoint_file = pts.asc\nconnect_four_neighbors_only = True\n"
        "scenario = one-to-all\noutput_file = o.out\nwrite_cur_maps = True\n"
        "write_volt_maps = True\nlog_transform_maps = True\n"
        "set_null_voltages_to_nodata = True\n")
    run_ini(tmp_path / "o.ini")
    res = np.loadtxt(tmp_path / "o_resistances.out")
    # 1 A into 1 with 2 and 3 grounded: only the 1 ohm edge to 2 carries current
    assert res[0, 1] == pytest.approx(1.0)
    # 1 A into 2: edges to 1 and 3 in parallel -> 0.5 ohm
    assert res[1, 1] == pytest.approx(0.5)
    volt = np.loadtxt(tmp_path / "o_voltmap_1.asc", skiprows=6)
    # log10(1) = 0 at the source, grounded cells (0 V) and the nodata cell -> NODATA
    assert volt[0] == pytest.approx(0.0) and np.all(volt[1:] == -9999)
    cur = np.loadtxt(tmp_path / "o_curmap_2.asc", skiprows=6)
    assert np.allclose(cur[:3], np.log10([0.5, 1.0, 0.5])) and cur[3] == -9999


def test_run_ini_set_focal_node_currents_to_zero(tmp_path) -> None:
    _write_asc(tmp_path / "hab.asc", np.ones((1, 4)))
    _write_asc(tmp_path / "pts.asc", np.array([[1, 0, 2, 3]]))
    (tmp_path / "z.ini").write_text(
        "habitat_file = hab.asc\npoint_file = pts.asc\nconnect_four_neighbors_only = True\n"
        "output_file = z.out\nwrite_cur_maps = True\nwrite_max_cur_maps = True\n"
        "set_focal_node_currents_to_zero = True\n")
    run_ini(tmp_path / "z.ini")
    # pairs (1,2), (1,3), (2,3): each pair's own focal cells are zeroed in its map
    cum = np.loadtxt(tmp_path / "z_cum_curmap.asc", skiprows=6)
    assert np.allclose(cum, [0 + 0 + 0, 1 + 1 + 0, 0 + 1 + 0, 0 + 0 + 0])
    assert np.allclose(np.loadtxt(tmp_path / "z_curmap_1_3.asc", skiprows=6), [0, 1, 1, 0])
    assert np.allclose(np.loadtxt(tmp_path / "z_max_curmap.asc", skiprows=6), [0, 1, 1, 0])
