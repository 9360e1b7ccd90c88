"""Benchmark: Omniscape moving window (issue 15).

1000 x 1000 fractal resistance (1..100), radius 50, block size 5, 8 neighbours, sources from
resistance (``1/R``). Reports wall time, windows per second, peak RSS (process max RSS), and
the ratio against a straightforward per-window loop timed in the same run on a sample of
windows (build the window graph with ``camigeo.circuit.build_graph``, solve the grounded
Laplacian with ``scipy.sparse.linalg.spsolve``, node currents, accumulate), extrapolated to
all windows. ``--rows K`` processes only the first K block rows of targets and extrapolates
the wall time to the whole raster (said so in the output). ``--ooc`` runs the out-of-core
path on a GeoTIFF (``--side 4000`` for the 4000 x 4000 case). ``--threads N`` sets the
threads (default: every CPU). ``--kernel`` times only the window solver on one radius-``R``
template: camigeo's batched multifrontal Cholesky against CHOLMOD (numeric refactorisation
with the symbolic analysis reused, its fastest ordering/mode) and SciPy's SuperLU, per window,
in the same process.

Usage::

    python benchmarks/bench_omniscape.py                       # full 1000 x 1000 run
    python benchmarks/bench_omniscape.py --rows 6              # partial, extrapolated
    python benchmarks/bench_omniscape.py --side 4000 --ooc --rows 3 --peer-sample 0
    python benchmarks/bench_omniscape.py --kernel                # window solver only
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from _measure import fractal_resistance  # benchmarks/_measure.py (run as a script)

from camigeo import Raster
from camigeo.circuit import build_graph, node_map, omniscape
from camigeo.circuit.solve import branch_and_node_currents


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def peer_window(res: np.ndarray, src: np.ndarray, r: int, c: int, amps: float, radius: int,
                cum: np.ndarray) -> None:
    """The straightforward loop body: clip, build the graph, spsolve, currents, add."""
    nr, nc = res.shape
    r0, r1 = max(r - radius, 0), min(r + radius + 1, nr)
    c0, c1 = max(c - radius, 0), min(c + radius + 1, nc)
    yy, xx = np.mgrid[r0:r1, c0:c1]
    disc = np.hypot(yy - r, xx - c) <= radius
    g = np.where(disc, 1.0 / res[r0:r1, c0:c1], 0.0)
    s = np.where(disc, src[r0:r1, c0:c1], 0.0)
    s[r - r0, c - c0] = 0.0
    s *= amps / s.sum()
    nm = node_map(g)
    graph = build_graph(g, nm)
    L = graph.laplacian().tocsc()
    k = int(nm[r - r0, c - c0])
    keep = np.flatnonzero(np.arange(graph.n_nodes) != k)
    b = np.zeros(graph.n_nodes)
    m = nm >= 0
    np.add.at(b, nm[m], s[m])
    v = np.zeros(graph.n_nodes)
    v[keep] = spla.spsolve(sp.csc_matrix(L[keep][:, keep]), b[keep])
    i, j, w = graph.edges()
    _, node_cur = branch_and_node_currents(i, j, w, v)
    cur = np.zeros(g.shape)
    cur[m] = node_cur[nm[m]]
    cum[r0:r1, c0:c1] += cur


def kernel_bench(radius: int, repeats: int = 12) -> None:
    """Per-window factorise + solve time: multifrontal batch vs CHOLMOD vs SuperLU."""
    from camigeo.circuit.omniscape_batch import BATCH, BatchFactor
    from camigeo.circuit.omniscape_kernel import WindowTemplate
    from camigeo.circuit.solve import available_solvers

    t = WindowTemplate(radius)
    rng = np.random.default_rng(1)
    g = 10 ** (-2 * rng.random((t.n, BATCH)))
    w = (g[t.ea] + g[t.eb]) * t.half[:, None]
    diag = np.asarray(t.incidence @ w)
    wb = np.ascontiguousarray(w[t.free_edges])
    d = np.ascontiguousarray(diag[t.free])
    b = rng.random((t.nf, BATCH))
    bf = BatchFactor(t.nf, t.rows[t.free], t.cols[t.free], t.fea, t.feb)
    x, _ = bf.factor_solve(wb, d, b)  # compile
    print(f"window radius {radius}: {t.nf} unknowns, {bf.nfronts} fronts, "
          f"{bf.nnz_l:,} factor entries per window; load average {os.getloadavg()[0]:.1f}")
    times: dict[str, list[float]] = {"multifrontal (batch of 8)": []}
    mats = [t.matrix(w[:, k], None) for k in range(BATCH)]
    chol: dict[str, Any] = {}
    if "cholmod" in available_solvers():
        from sksparse.cholmod import analyze

        for order in ("best", "nesdis", "metis", "amd"):  # every CHOLMOD choice, timed below
            for mode in ("simplicial", "supernodal"):
                try:
                    f = analyze(mats[0], ordering_method=order, mode=mode)
                except Exception:  # ordering not compiled in
                    continue
                name = f"CHOLMOD refactorisation ({order}/{mode}, symbolic reused)"
                chol[name] = f
                times[name] = []
    times["SuperLU (scipy.sparse.linalg.splu)"] = []
    err = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        x, _ = bf.factor_solve(wb, d, b)
        times["multifrontal (batch of 8)"].append((time.perf_counter() - t0) / BATCH)
        for name, f in chol.items():
            t0 = time.perf_counter()
            for k in range(BATCH):
                f.cholesky_inplace(mats[k])
                xc = f(b[:, k])
            times[name].append((time.perf_counter() - t0) / BATCH)
            err = max(err, float(np.abs(xc - x[:, -1]).max() / np.abs(xc).max()))
        t0 = time.perf_counter()
        for k in range(BATCH):
            spla.splu(mats[k].tocsc()).solve(b[:, k])
        times["SuperLU (scipy.sparse.linalg.splu)"].append((time.perf_counter() - t0) / BATCH)
    base = float(np.median(times["multifrontal (batch of 8)"]))
    for name, v in times.items():
        med = float(np.median(v))
        print(f"  {name}: {med * 1e3:.2f} ms per window (median of {repeats}); "
              f"{med / base:.1f}x the multifrontal time")
    if chol:
        fastest = min((float(np.median(times[n])), n) for n in chol)
        print(f"  fastest CHOLMOD: {fastest[1]}, {fastest[0] / base:.1f}x the multifrontal "
              f"time; max relative difference of the voltages {err:.1e}")


def make_inputs(side: int, block: int, rows: int, folder: Path) -> tuple[Path, Path | None]:
    """Write the resistance (and, for a partial run, a target band) as GeoTIFFs."""
    res = fractal_resistance(side)
    r = Raster.from_array(res, cellsize=1000.0, crs="EPSG:32643")
    rp = r.to_file(folder / "res.tif")
    tp = None
    if rows:
        mid = (side // 2) // block * block
        band = np.zeros_like(res)
        band[mid:mid + rows * block] = 1.0 / res[mid:mid + rows * block]
        tp = r.with_array(band).to_file(folder / "targets.tif")
    return rp, tp


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", type=int, default=1000)
    ap.add_argument("--radius", type=int, default=50)
    ap.add_argument("--block", type=int, default=5)
    ap.add_argument("--rows", type=int, default=0,
                    help="only ROWS block rows of targets in the middle (0 = all); the "
                         "windows keep their full raster context; extrapolated")
    ap.add_argument("--peer-sample", type=int, default=30)
    ap.add_argument("--ooc", action="store_true", help="out-of-core run on GeoTIFFs")
    ap.add_argument("--solver", default="auto")
    ap.add_argument("--scheduler", default=None,
                    help="Dask scheduler for the windows, e.g. processes (default: none)")
    ap.add_argument("--threads", type=int, default=None,
                    help="threads solving windows (default: every CPU)")
    ap.add_argument("--kernel", action="store_true",
                    help="only time the window solver (multifrontal vs CHOLMOD vs SuperLU)")
    ap.add_argument("--make-inputs", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    side, radius, block = args.side, args.radius, args.block
    if args.kernel:
        kernel_bench(radius)
        return
    if args.make_inputs:  # child process: keeps the generator's memory out of the parent
        make_inputs(side, block, args.rows, Path(args.make_inputs))
        return
    n_all = (side // block) ** 2
    print(f"grid {side} x {side}, radius {radius}, block {block}, 8 neighbours, sources 1/R; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as td:
        folder = Path(td)
        subprocess.run([sys.executable, __file__, "--side", str(side), "--block", str(block),
                        "--rows", str(args.rows), "--make-inputs", td], check=True)
        rp = folder / "res.tif"
        tp = folder / "targets.tif" if args.rows else None
        t1 = time.perf_counter()
        c1 = time.process_time()
        if args.ooc:
            out = omniscape(rp, radius=radius, block_size=block, targets=tp,
                            out_dir=folder / "o", solver=args.solver, threads=args.threads)
        else:
            out = omniscape(Raster.from_file(rp), radius=radius, block_size=block,
                            targets=None if tp is None else Raster.from_file(tp),
                            solver=args.solver, scheduler=args.scheduler,
                            rows_per_chunk=10 if args.scheduler else 1,
                            threads=args.threads)
        wall = time.perf_counter() - t1
        cpu = time.process_time() - c1
    rate = out.n_windows / wall
    how = " (out-of-core)" if args.ooc else (f" (scheduler={args.scheduler})"
                                                if args.scheduler else "")
    how += f" [solver={args.solver}, threads={args.threads or os.cpu_count()}]"
    print(f"camigeo omniscape{how}: {out.n_windows} windows "
          f"in {wall:.1f} s wall / {cpu:.1f} s CPU = {rate:.2f} windows/s; "
          f"{len(out.reports)} fallback reports; peak RSS {peak_rss_mb():.0f} MB")
    est, est_cpu = wall, cpu
    if args.rows:
        est = n_all / rate
        est_cpu = cpu * n_all / out.n_windows
        print(f"  EXTRAPOLATED to all {n_all} windows: {est:.0f} s wall, {est_cpu:.0f} s CPU")
    if args.peer_sample:
        res = fractal_resistance(side)
        src = 1.0 / res
        rng = np.random.default_rng(0)
        br = block // 2
        rows = rng.integers(radius // block, side // block - radius // block,
                            args.peer_sample) * block + br
        cols = rng.integers(radius // block, side // block - radius // block,
                            args.peer_sample) * block + br
        cum = np.zeros(res.shape)
        t2 = time.perf_counter()
        c2 = time.process_time()
        for r, c in zip(rows, cols, strict=True):
            amps = float(src[r - br:r + br + 1, c - br:c + br + 1].sum())
            peer_window(res, src, int(r), int(c), amps, radius, cum)
        per = (time.perf_counter() - t2) / args.peer_sample
        per_cpu = (time.process_time() - c2) / args.peer_sample
        peer_total = per * n_all
        print(f"peer per-window loop (build_graph + spsolve): {per * 1e3:.1f} ms wall / "
              f"{per_cpu * 1e3:.1f} ms CPU per window on {args.peer_sample} sampled interior "
              f"windows, EXTRAPOLATED to {n_all} windows: {peer_total:.0f} s wall")
        print(f"ratio peer / camigeo: {peer_total / est:.1f}x wall, "
              f"{per_cpu * n_all / est_cpu:.1f}x CPU")


if __name__ == "__main__":
    main()
