"""Benchmark: Barrier Mapper's window minimum (``camigeo.corridors.barriers.window_minima``).

The moving minimum over circular windows is the only raster-wide step of
``barrier_improvement`` besides the cost distances. camigeo decomposes each window into
row offsets ``dr`` and runs one 1-D E–W moving minimum (``scipy.ndimage.minimum_filter1d``)
per row offset and run of rows sharing a half-width ("rows"), or, where a cost model says
it is cheaper (small windows), the textbook recipe ("footprint"). The peer is that
textbook recipe alone, ``scipy.ndimage.minimum_filter``: on a projected raster one 2-D
call with the disk footprint; on a lon/lat raster (footprint per row) one call per run of
rows with an identical footprint, each on its rows plus a halo of the footprint's row
reach. Columns: the "rows" method alone, camigeo's automatic choice, the peer; all must
give identical arrays (checked). Input: seeded uniform random float64, N x N cells;
projected 100 m cells; lon/lat 0.01° cells from 55° N southwards (about 1113 m N–S,
640-910 m E–W). Radii in N–S cells. Peak memory: peak RSS during the call minus RSS before
it (psutil sampler, 10 ms).

Usage: ``python benchmarks/bench_barriers.py [--n 2000] [--cells 1 2 4 18]``
"""

from __future__ import annotations

import argparse

import numpy as np
from _measure import measure  # benchmarks/_measure.py (run as a script)

from camigeo.corridors.barriers import _halfwidths, _runs, _WindowGrid
from camigeo.corridors.barriers import window_minima as _window_minima


def peer(grid: np.ndarray, radius: float, wg: _WindowGrid) -> np.ndarray:
    """Runs of rows with one footprint, ``minimum_filter`` per run with a halo."""
    return _window_minima({0: grid}, 0, wg.shape[0], radius, wg, method="footprint")[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--cells", type=float, nargs="+", default=[1, 2, 4, 18])
    args = ap.parse_args()
    n = args.n
    grid = np.random.default_rng(0).random((n, n))
    print(f"{n} x {n} cells")
    print("grid       R cells  runs  rows s  auto s  MiB  peer s  MiB  auto/peer  equal")
    for geodesic in (False, True):
        for cells in args.cells:
            if geodesic:
                wg = _WindowGrid((n, n), 0.01, 0.01, 55.0, -0.01, True)
                radius = cells * 1113.0
            else:
                wg = _WindowGrid((n, n), 100.0, 100.0, 0.0, -100.0, False)
                radius = cells * 100.0
            runs = len(_runs(_halfwidths(wg, radius, 0, n)))
            rows, t0, _ = measure(lambda wg=wg, radius=radius: _window_minima(
                {0: grid}, 0, n, radius, wg, method="rows")[0])
            auto, t1, m1 = measure(lambda wg=wg, radius=radius:
                                   _window_minima({0: grid}, 0, n, radius, wg)[0])
            ref, t2, m2 = measure(peer, grid, radius, wg)
            same = np.array_equal(rows, ref) and np.array_equal(auto, ref)
            name = "lon/lat" if geodesic else "projected"
            print(f"{name:10s} {cells:7g} {runs:5d} {t0:7.2f} {t1:7.2f} {m1:4.0f} {t2:7.2f} "
                  f"{m2:4.0f} {t1 / t2:10.2f}  {same}")

if __name__ == "__main__":
    main()
