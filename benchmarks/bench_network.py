"""Benchmark: PC / ECA and exact dPC (node + link removal) against a naive networkx version.

Graphs: random geometric graphs (~6 links per node, link cost = length × U(1, 3)), node
attribute U(1, 100), d0 = median link cost (p = 0.5 there), so p* decays over several
links and little is pruned.

Peer ("naive networkx"): PCnum from ``nx.all_pairs_dijkstra_path_length`` on −ln p; dPC by
removing every node (and every link) and recomputing PCnum from scratch. The full naive
removal loop is run where it finishes in minutes; for larger graphs the time of a few
removals is measured and multiplied by the number of removals (marked "est.").

Each case runs in a fresh subprocess; peak memory = peak RSS of that process minus the RSS
after imports. Usage: ``python benchmarks/bench_network.py [--sizes 200 500 2000]``.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time

import networkx as nx
import numpy as np


def make_graph(n: int, seed: int = 0) -> nx.Graph:
    rng = np.random.default_rng(seed)
    G0 = nx.random_geometric_graph(n, radius=math.sqrt(6 / (math.pi * n)), seed=seed)
    G = nx.Graph()
    for i in G0.nodes:
        G.add_node(i, area_km2=float(rng.uniform(1, 100)))
    for u, v in G0.edges:
        pu, pv = np.array(G0.nodes[u]["pos"]), np.array(G0.nodes[v]["pos"])
        G.add_edge(u, v, cw_dist=float(np.hypot(*(pu - pv)) * 1000 * rng.uniform(1, 3)))
    return G


def d0_of(G: nx.Graph) -> float:
    return float(np.median([d for _, _, d in G.edges(data="cw_dist")]))


def naive_pcnum(G: nx.Graph, k: float) -> float:
    a = nx.get_node_attributes(G, "area_km2")
    total = 0.0
    for i, dist in nx.all_pairs_dijkstra_path_length(G, weight="cw_dist"):
        total += a[i] * sum(a[j] * math.exp(-k * d) for j, d in dist.items())
    return total


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_case(kind: str, n: int, limit: int | None) -> dict:
    from camigeo.corridors.network import connectivity_indices

    G = make_graph(n)
    d0 = d0_of(G)
    k = math.log(2) / d0
    connectivity_indices(make_graph(30), d0=d0)  # JIT warm-up (numba cache)
    base_rss = _rss_mb()
    t0 = time.perf_counter()
    out: dict = {"kind": kind, "n": n, "m": G.number_of_edges()}
    if kind == "ours-pc":
        r = connectivity_indices(G, d0=d0, importance=False)
        out["pcnum"] = r.pcnum
    elif kind == "ours-full":
        r = connectivity_indices(G, d0=d0)
        out["pcnum"] = r.pcnum
        out["dpc"] = r.nodes["dPC"].tolist()
        out["dpc_links"] = r.links["dPC"].tolist()
    elif kind == "nx-pc":
        out["pcnum"] = naive_pcnum(G, k)
    elif kind == "nx-full":
        pc0 = naive_pcnum(G, k)
        nodes, edges = list(G.nodes), list(G.edges)
        jobs = [("n", x) for x in nodes] + [("e", e) for e in edges]
        todo = jobs if limit is None else jobs[:limit]
        dpc = []
        for what, x in todo:
            H = G.copy()
            H.remove_node(x) if what == "n" else H.remove_edge(*x)
            dpc.append(100 * (pc0 - naive_pcnum(H, k)) / pc0)
        out["pcnum"] = pc0
        out["dpc"] = dpc[: len(nodes)]
        out["estimated"] = limit is not None and limit < len(jobs)
        out["scale"] = len(jobs) / len(todo)
    out["seconds"] = time.perf_counter() - t0
    if out.get("estimated"):
        out["seconds"] *= out["scale"]
    out["peak_mb"] = max(_rss_mb() - base_rss, 0.0)
    return out


def spawn(kind: str, n: int, limit: int | None) -> dict:
    cmd = [sys.executable, __file__, "--case", kind, str(n)]
    if limit is not None:
        cmd += ["--limit", str(limit)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[200, 500, 1000, 2000])
    ap.add_argument("--full-naive-max", type=int, default=200,
                    help="largest n for which the whole naive removal loop is run")
    ap.add_argument("--case", nargs=2)
    ap.add_argument("--limit", type=int)
    args = ap.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case[0], int(args.case[1]), args.limit)))
        return
    print(f"{'n':>6} {'links':>6} {'what':>22} {'camigeo s':>10} {'MB':>7} "
          f"{'networkx s':>11} {'MB':>7} {'ratio':>8}  check")
    for n in args.sizes:
        ours = spawn("ours-pc", n, None)
        peer = spawn("nx-pc", n, None)
        ok = math.isclose(ours["pcnum"], peer["pcnum"], rel_tol=1e-9)
        print(f"{n:>6} {ours['m']:>6} {'PC/ECA':>22} {ours['seconds']:>10.3f} "
              f"{ours['peak_mb']:>7.1f} {peer['seconds']:>11.3f} {peer['peak_mb']:>7.1f} "
              f"{peer['seconds'] / ours['seconds']:>7.1f}x  PCnum equal: {ok}")
        ours = spawn("ours-full", n, None)
        limit = None if n <= args.full_naive_max else 20
        peer = spawn("nx-full", n, limit)
        k = len(peer["dpc"])
        ok = np.allclose(ours["dpc"][:k], peer["dpc"], rtol=1e-7, atol=1e-9)
        est = " (est.)" if peer.get("estimated") else ""
        print(f"{n:>6} {ours['m']:>6} {'dPC nodes+links':>22} {ours['seconds']:>10.3f} "
              f"{ours['peak_mb']:>7.1f} {peer['seconds']:>11.1f} {peer['peak_mb']:>7.1f} "
              f"{peer['seconds'] / ours['seconds']:>7.1f}x  dPC equal on {k} nodes: {ok}{est}")


if __name__ == "__main__":
    main()
