"""Benchmark: Circuitscape-style pairwise run with a cumulative current map.

1,000,000-cell (1000 x 1000) 8-neighbour fractal resistance grid, 10 focal points, pairwise
effective resistances + cumulative current map (45 pairs, n-1 = 9 solves). Reports wall
time, peak memory (process max RSS), the solver used, and the ratio against
``scipy.sparse.linalg.spsolve`` on the same grounded system with the same 9 right-hand
sides, in the same run. ``--side 2450`` runs the 6 M-cell case (spsolve skipped with
``--no-peer``).

Usage::

    python benchmarks/bench_circuit.py                 # 1 M cells, all solvers
    python benchmarks/bench_circuit.py --side 2450 --no-peer --solver cg+amg
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import scipy.sparse.linalg as spla
from _measure import fractal_resistance  # benchmarks/_measure.py (run as a script)

from camigeo import Raster
from camigeo.circuit import available_solvers, build_graph, current_map, node_map


def focal_points(side: int, n: int = 10, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    grid = np.zeros((side, side), dtype=np.int64)
    rows = rng.integers(side // 20, side - side // 20, n)
    cols = rng.integers(side // 20, side - side // 20, n)
    grid[rows, cols] = np.arange(1, n + 1)
    return grid


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", type=int, default=1000)
    ap.add_argument("--solver", default="auto")
    ap.add_argument("--no-peer", action="store_true")
    args = ap.parse_args()
    side = args.side
    t0 = time.perf_counter()
    res = fractal_resistance(side)
    focal = focal_points(side)
    raster = Raster.from_array(res, cellsize=1000.0, crs="EPSG:32642")
    t_gen = time.perf_counter() - t0
    print(f"grid {side} x {side} = {side * side:,} cells, 8 neighbours, 10 focal points "
          f"(generated in {t_gen:.1f} s); solvers available: {available_solvers()}")

    rss0 = peak_rss_mb()
    t0 = time.perf_counter()
    c0 = time.process_time()
    out = current_map(raster, focal, solver=args.solver, cumulative=True)
    t_ours = time.perf_counter() - t0
    cpu_ours = time.process_time() - c0
    rss1 = peak_rss_mb()
    R = out.resistances.to_numpy()
    print(f"camigeo pairwise + cumulative current map, solver={args.solver}: {t_ours:.2f} s wall "
          f"({cpu_ours:.2f} s CPU), "
          f"peak RSS {rss1:.0f} MB (before run {rss0:.0f} MB); "
          f"R range {R[R > 0].min():.4g}..{R.max():.4g}, "
          f"cum current max {out.cumulative.array.max():.3g} A")

    if args.no_peer:
        return
    # Peer: SciPy spsolve (SuperLU) on the same grounded system, same 9 right-hand sides.
    g = 1.0 / res
    gr = build_graph(g, node_map(g))
    L = gr.laplacian().tocsc()
    nodes = [int(gr.nodemap[r, c]) for r, c in zip(*np.nonzero(focal), strict=True)]
    ground = nodes[0]
    keep = np.ones(L.shape[0], dtype=bool)
    keep[ground] = False
    idx = np.flatnonzero(keep)
    A = L[idx][:, idx].tocsc()
    pos = np.cumsum(keep) - 1
    b = np.zeros((idx.size, len(nodes) - 1))
    for k, n in enumerate(nodes[1:]):
        b[pos[n], k] = 1.0
    t0 = time.perf_counter()
    c0 = time.process_time()
    x = spla.spsolve(A, b)
    t_peer = time.perf_counter() - t0
    cpu_peer = time.process_time() - c0
    # check: effective resistance of pair (first, second) from the peer solution
    r_peer = x[pos[nodes[1]], 0]
    ids = sorted(int(v) for v in focal[focal > 0])
    first = int(focal.flat[np.flatnonzero(focal)[0]])
    second = int(focal.flat[np.flatnonzero(focal)[1]])
    r_ours = out.resistances.loc[first, second]
    print(f"scipy.sparse.linalg.spsolve (SuperLU, 9 RHS, solve only): {t_peer:.2f} s wall "
          f"({cpu_peer:.2f} s CPU), "
          f"peak RSS {peak_rss_mb():.0f} MB; R check {r_peer:.6g} vs ours {r_ours:.6g} "
          f"(ids {ids[:3]}...)")
    print(f"ratio spsolve-solve-only / camigeo-full-run = {t_peer / t_ours:.2f}x wall, "
          f"{cpu_peer / cpu_ours:.2f}x CPU")


if __name__ == "__main__":
    main()
