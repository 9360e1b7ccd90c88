"""Benchmark: loading every bundled layer through camigeo.datasets vs plain geopandas.

Measured in one process, all six bundled data sets (countries, borders, PTCRs, species table,
ranges, infrastructure):

- **cold**: first load through ``camigeo.datasets`` (``read_layer`` + schema validation +
  range filter), caches cleared before each repeat;
- **warm**: repeated loads served from the ``lru_cache`` (a copy per call);
- **peer**: ``geopandas.read_file`` / ``pandas.read_csv`` of the same files, no validation.

Prints the best of ``--repeat`` runs, the peak traced Python memory (``tracemalloc``) and the
ratios camigeo / peer.

Usage::

    python benchmarks/bench_datasets.py --repeat 5
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import geopandas as gpd
import pandas as pd

from camigeo.datasets import bundled as datasets
from camigeo.datasets import species


def _load_all_camigeo() -> int:
    n = 0
    n += len(datasets.load_countries()) + len(datasets.load_borders())
    n += len(datasets.load_ptcrs()) + len(datasets.load_species())
    n += len(datasets.load_ranges(range_filter="none")) + len(datasets.load_infrastructure())
    return n


def _load_all_peer() -> int:
    n = 0
    for name in ("countries", "borders", "ptcr", "ranges", "infrastructure"):
        entry = datasets.registry_entry(name)
        n += len(gpd.read_file(datasets.get_path(name), layer=entry.layer))
    n += len(pd.read_csv(datasets.get_path("species")))
    return n


def _clear() -> None:
    datasets._read_cached.cache_clear()
    datasets._read_manifest.cache_clear()
    species._read_table.cache_clear()
    species._build_lookup.cache_clear()


def _best(fn, repeat: int, *, clear: bool) -> tuple[float, int, float]:
    best, peak, n = float("inf"), 0, 0
    for _ in range(repeat):
        if clear:
            _clear()
        tracemalloc.start()
        t0 = time.perf_counter()
        n = fn()
        dt = time.perf_counter() - t0
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        best = min(best, dt)
    return best, n, peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    _load_all_peer()  # import/warm-up of GDAL drivers for both sides
    cold, n1, mem_cold = _best(_load_all_camigeo, args.repeat, clear=True)
    warm, _, mem_warm = _best(_load_all_camigeo, args.repeat, clear=False)
    peer, n2, mem_peer = _best(_load_all_peer, args.repeat, clear=False)
    print(f"features loaded: camigeo {n1}, peer {n2}")
    print(f"camigeo cold (read_layer + validation): {cold * 1e3:8.1f} ms  peak {mem_cold:6.1f} MiB")
    print(f"camigeo warm (cached copies):           {warm * 1e3:8.1f} ms  peak {mem_warm:6.1f} MiB")
    print(f"peer geopandas.read_file/pd.read_csv:   {peer * 1e3:8.1f} ms  peak {mem_peer:6.1f} MiB")
    print(f"ratio cold/peer {cold / peer:.2f}, warm/peer {warm / peer:.3f}")


if __name__ == "__main__":
    main()
