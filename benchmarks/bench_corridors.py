"""Benchmark: Linkage Mapper adjacency network (``core_adjacency``, ``corridor_links``).

Surface: the fractal resistance of ``bench_cost_distance.py`` (1..100 with resistance-1000
line barriers), 30 m cells, ``--cores`` square cores (side n/40 cells) on a jittered grid.

Measured, each in a fresh subprocess (JIT warmed up on a tiny grid first; peak memory =
peak RSS ``VmHWM`` after resetting it via ``/proc/self/clear_refs``, minus RSS before the
call, so numba allocations count):

* ``camigeo_cost``: ``core_adjacency(cores, r, method="cost")`` -- one multi-source cost
  allocation run + 4 shifted-array comparisons.
* ``skimage_cost`` (peer): the same adjacency table from skimage ``MCP_Geometric`` -- one
  run per core, cell-wise argmin kept incrementally, then the same 4-shift count -- what
  one would write with the well-kept library (skimage has no multi-source allocation with
  the geometric cost; ``MCP_Connect`` uses another meeting rule and gives other pairs).
  The tables must be identical (checked).
* ``camigeo_euclidean``: ``core_adjacency(method="euclidean")`` (scipy EDT).
* ``links_all`` / ``links_both``: ``corridor_links`` with ``adjacency="all"`` and
  ``"both"`` (LM's default network): time and number of links.

Usage: ``python benchmarks/bench_corridors.py [--sizes 1000 2000] [--cores 30]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cost_distance import fractal_resistance  # noqa: E402

CELL = 30.0
CRS = "EPSG:32642"
TOOLS = ("camigeo_cost", "skimage_cost", "camigeo_euclidean", "links_all", "links_both")


def core_boxes(n: int, k: int, seed: int = 7) -> list[tuple[int, int, int, int]]:
    """k square cores (row0, col0, row1, col1) on a jittered grid, side n // 40."""
    rng = np.random.default_rng(seed)
    side = max(2, n // 40)
    g = int(np.ceil(np.sqrt(k)))
    step = n // g
    out = []
    for i in range(k):
        gr, gc = divmod(i, g)
        r0 = gr * step + int(rng.integers(0, max(1, step - side)))
        c0 = gc * step + int(rng.integers(0, max(1, step - side)))
        out.append((r0, c0, min(n, r0 + side), min(n, c0 + side)))
    return out


def _peak() -> int:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _rss() -> int:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _touching(zones: np.ndarray, n: int) -> dict[tuple[int, int], int]:
    """Peer-side adjacency count (independent of camigeo's helper)."""
    out: dict[tuple[int, int], int] = {}
    h, w = zones.shape
    for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
        a = zones[: h - dr, max(0, -dc): w - max(0, dc)]
        b = zones[dr:, max(0, dc): w - max(0, -dc)]
        m = (a != b) & (a >= 0) & (b >= 0)
        lo, hi = np.minimum(a[m], b[m]), np.maximum(a[m], b[m])
        keys, cnt = np.unique(lo.astype(np.int64) * n + hi, return_counts=True)
        for key, c in zip(keys.tolist(), cnt.tolist(), strict=True):
            k2 = divmod(key, n)
            out[k2] = out.get(k2, 0) + c
    return out


def child(path: str, tool: str, k: int) -> None:
    import geopandas as gpd
    import shapely

    from camigeo import Raster
    from camigeo.corridors import core_adjacency, corridor_links, cost_distance

    arr = np.load(path)
    n = arr.shape[0]
    boxes = core_boxes(n, k)
    cores = gpd.GeoDataFrame({"core_id": np.arange(len(boxes))}, geometry=[
        shapely.box(c0 * CELL, (n - r1) * CELL, c1 * CELL, (n - r0) * CELL)
        for r0, c0, r1, c1 in boxes], crs=CRS)
    r = Raster.from_array(arr, cellsize=CELL, crs=CRS)
    cost_distance(Raster.from_array(np.ones((8, 8)), cellsize=CELL), [(0, 0)])  # warm-up
    result: dict = {}
    if tool == "skimage_cost":
        from skimage.graph import MCP_Geometric

        def run() -> None:
            best = np.full(arr.shape, np.inf)
            zones = np.full(arr.shape, -1, dtype=np.int64)
            for i, (r0, c0, r1, c1) in enumerate(boxes):
                m = MCP_Geometric(arr, fully_connected=True, sampling=(CELL, CELL))
                d, _ = m.find_costs([(a, b) for a in range(r0, r1) for b in range(c0, c1)])
                better = d < best
                best[better] = d[better]
                zones[better] = i
            result["pairs"] = sorted([a, b, c] for (a, b), c in
                                     _touching(zones, len(boxes)).items())
    elif tool in ("camigeo_cost", "camigeo_euclidean"):
        method = tool.split("_")[1]

        def run() -> None:
            t = core_adjacency(cores, r, method=method)
            result["pairs"] = sorted(t.values.tolist())
    else:
        adjacency = tool.split("_")[1]

        def run() -> None:
            links = corridor_links(cores, r, adjacency=adjacency)
            result["n_links"] = len(links)

    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    before = _rss()
    t0, c0 = time.perf_counter(), time.process_time()
    run()
    result.update(time_s=time.perf_counter() - t0, cpu_s=time.process_time() - c0,
                  extra_bytes=max(_peak() - before, 0), cells=int(arr.size))
    print(json.dumps(result))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 2000])
    ap.add_argument("--cores", type=int, default=30)
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path = str(Path(tmp) / f"res_{n}.npy")
            np.save(path, fractal_resistance(n))
            res = {}
            for tool in TOOLS:
                p = subprocess.run([sys.executable, __file__, "--child", path, tool,
                                    str(args.cores)], capture_output=True, text=True,
                                   check=False)
                if p.returncode:
                    res[tool] = {"error": p.stderr.strip()[-300:]}
                    print(f"{n}² {tool}: {res[tool]['error']}", flush=True)
                    continue
                res[tool] = json.loads(p.stdout.strip().splitlines()[-1])
                o = res[tool]
                extra = (f"{len(o['pairs'])} adjacent pairs" if "pairs" in o
                         else f"{o['n_links']} links")
                print(f"{n}² {tool:18s} {o['time_s']:8.2f} s wall {o['cpu_s']:8.2f} s CPU "
                      f"{o['extra_bytes'] / o['cells']:6.1f} B/cell  {extra}", flush=True)
            a, b = res.get("camigeo_cost", {}), res.get("skimage_cost", {})
            if "pairs" in a and "pairs" in b:
                print(f"{n}² cost adjacency equal to the skimage peer: "
                      f"{a['pairs'] == b['pairs']}; time ratio camigeo/skimage "
                      f"{a['time_s'] / b['time_s']:.3f} wall, "
                      f"{a['cpu_s'] / b['cpu_s']:.3f} CPU", flush=True)


if __name__ == "__main__":
    main()
