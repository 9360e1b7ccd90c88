"""Benchmark: camigeo on a Dask LocalCluster vs the single-process path (issue 8).

Two parts, each with its own sub-command:

``conflict``
    Synthetic infrastructure segments (same distribution as ``bench_conflict.py``: three
    vertices, median 2 km, road/railway/fence/border_fence/pipeline) scored against 13
    PTCRs x 17 species (``bench_conflict.make_layers``), lengths/densities/weights
    (``effect_zones_m=False``). The segments are **generated inside the workers**, one
    partition per task (``dask.dataframe.from_map``), each partition covering one tile of
    the domain (spatially compact, as Hilbert partitions are); the client never holds
    them. Cluster: ``--workers`` processes x 1 thread, ``--memory-limit`` each (default 2 x
    4 GB = 8 GB). With ``--single N1 N2 ...`` the same data (same partitions) are also
    scored by plain ``score_conflict`` in a fresh subprocess per size, killed when its RSS
    exceeds ``--cap`` (default 8 GB), and the results are compared (rtol 1e-12).

``corridors``
    All-pairs ``corridor_links`` for ``--cores`` (30) square cores on a ``--size``
    (4000) squared fractal resistance grid (``bench_cost_distance.fractal_resistance``):
    single-process ``corridor_links``, then the Dask engine on clusters of 1 and 2 worker
    processes (1 thread each); speedup = time(1 worker) / time(2 workers). On this 2-core
    machine 2x is the ceiling.

Peak memory: sampled every 50 ms over this process and all its descendants (the
LocalCluster worker processes), RSS summed.

Usage::

    python benchmarks/bench_scale.py conflict --n 20000000 --single 2000000 4000000
    python benchmarks/bench_scale.py corridors --size 4000 --cores 30
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

KM = 1000.0
X0, X1, Y0, Y1 = -2500 * KM, 2500 * KM, -500 * KM, 1200 * KM  # bench_conflict's domain
TYPES = np.array(["road", "railway", "fence", "border_fence", "pipeline"])
TYPE_P = np.array([0.70, 0.10, 0.15, 0.02, 0.03])


# ----------------------------------------------------------------------------- memory
class TreeRSS:
    """Peak of the summed RSS of this process and its descendants (50 ms samples)."""

    def __init__(self, pid: int | None = None) -> None:
        self.proc = psutil.Process(pid)

    def _sample(self) -> int:
        total = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            try:
                total += p.memory_info().rss
                t = p.cpu_times()
                self.cpu.setdefault(p.pid, [t.user + t.system, 0.0])[1] = t.user + t.system
            except psutil.Error:
                pass
        return total

    def cpu_s(self) -> dict[int, float]:
        """CPU seconds used during the block, per process (this one and descendants)."""
        return {pid: b - a for pid, (a, b) in self.cpu.items() if b - a > 0.05}

    def __enter__(self) -> TreeRSS:
        self.cpu: dict[int, list[float]] = {}
        self.start = self.peak = self._sample()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()
        self.peak_gb = self.peak / 1e9


# ----------------------------------------------------------------------------- conflict data
def tiles(npart: int) -> tuple[int, int]:
    """Tile grid (nx, ny) with nx * ny >= npart and tiles about square on the domain."""
    ny = max(1, round(math.sqrt(npart * (Y1 - Y0) / (X1 - X0))))
    nx = math.ceil(npart / ny)
    return nx, ny


def segments(k: int, *, n: int, npart: int, seed: int = 7):
    """Partition ``k``: ``n`` segments starting inside tile ``k`` (equal-area CRS)."""
    import geopandas as gpd
    import shapely

    from camigeo.io.crs import CENTRAL_ASIA_EQUAL_AREA

    nx, ny = tiles(npart)
    tx, ty = k % nx, k // nx
    # serpentine order: neighbouring partitions are neighbouring tiles
    if ty % 2:
        tx = nx - 1 - tx
    w, h = (X1 - X0) / nx, (Y1 - Y0) / ny
    rng = np.random.default_rng([seed, k])
    length = np.clip(rng.lognormal(np.log(2 * KM), 0.7, n), 300, 12 * KM)
    start = np.c_[rng.uniform(X0 + tx * w, X0 + (tx + 1) * w, n),
                  rng.uniform(Y0 + ty * h, Y0 + (ty + 1) * h, n)]
    a1 = rng.uniform(0, 2 * np.pi, n)
    a2 = a1 + rng.normal(0, 0.3, n)
    mid = start + (length / 2)[:, None] * np.c_[np.cos(a1), np.sin(a1)]
    end = mid + (length / 2)[:, None] * np.c_[np.cos(a2), np.sin(a2)]
    types = rng.choice(TYPES, n, p=TYPE_P)
    fenced = np.where(np.isin(types, ["fence", "border_fence"]), True, rng.random(n) < 0.2)
    fclass = np.where(fenced, rng.choice(["impermeable", "low", "medium", "high", "unknown"],
                                         n), None)
    return gpd.GeoDataFrame(
        {"infra_type": types, "status": "existing", "fenced": fenced, "fence_class": fclass},
        geometry=shapely.linestrings(np.stack([start, mid, end], axis=1)),
        crs=CENTRAL_ASIA_EQUAL_AREA)


def regions():
    from bench_conflict import make_layers

    ptcrs, ranges, _ = make_layers(1)  # same regions/ranges as bench_conflict (seed 7)
    return ptcrs, ranges


def conflict_single(n: int, part: int, out: str) -> None:
    """Child process: generate the same partitions in memory, score, save the table."""
    import pandas as pd

    from camigeo.barriers.conflict import score_conflict

    npart = math.ceil(n / part)
    ptcrs, ranges = regions()
    t = time.perf_counter()
    infra = pd.concat([segments(k, n=min(part, n - k * part), npart=npart)
                       for k in range(npart)], ignore_index=True)
    gen = time.perf_counter() - t
    t = time.perf_counter()
    c = time.process_time()
    res = score_conflict(ptcrs, ranges, infra, effect_zones_m=False)
    dt, cpu = time.perf_counter() - t, time.process_time() - c
    res.to_parquet(out)
    print(json.dumps({"n": n, "gen_s": gen, "score_s": dt, "score_cpu_s": cpu,
                      "rss_gb": psutil.Process().memory_info().rss / 1e9}))


def run_single(n: int, part: int, cap_gb: float, timeout: float, out: str) -> dict:
    cmd = [sys.executable, __file__, "_conflict_single", "--n", str(n), "--partition",
           str(part), "--out", out]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    peak = 0
    t = time.perf_counter()
    killed = None
    while proc.poll() is None:
        try:
            peak = max(peak, psutil.Process(proc.pid).memory_info().rss)
        except psutil.Error:
            pass
        if peak > cap_gb * 1e9:
            killed = f"RSS above the {cap_gb:g} GB cap"
        elif time.perf_counter() - t > timeout:
            killed = f"slower than {timeout:.0f} s"
        if killed:
            proc.kill()
            proc.wait()
            break
        time.sleep(0.05)
    wall = time.perf_counter() - t
    if killed:
        return {"n": n, "killed": killed, "peak_gb": peak / 1e9, "wall_s": wall}
    line = proc.stdout.read().strip().splitlines()[-1]
    return {**json.loads(line), "peak_gb": peak / 1e9, "wall_s": wall}


def cmd_conflict(args: argparse.Namespace) -> None:
    import dask.dataframe as dd
    import dask_geopandas  # noqa: F401  (registers the GeoDataFrame backend)
    import pandas as pd
    from distributed import Client, LocalCluster

    from camigeo.barriers.dask import score_conflict_dask

    ptcrs, ranges = regions()
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores)")
    singles = {}
    for n in sorted(args.single):
        if singles and "killed" in singles[max(singles)][0]:
            print(f"single process N={n:,}: skipped (a smaller size was already killed)")
            continue
        out = f"/tmp/bench_scale_single_{n}.parquet"
        r = run_single(n, args.partition, args.cap, args.timeout, out)
        singles[n] = (r, out)
        if "killed" in r:
            print(f"single process N={n:,}: KILLED ({r['killed']}) after {r['wall_s']:.0f} s, "
                  f"peak RSS {r['peak_gb']:.2f} GB")
        else:
            print(f"single process N={n:,}: score_conflict {r['score_s']:.1f} s (CPU "
                  f"{r['score_cpu_s']:.1f} s), generation {r['gen_s']:.1f} s, peak RSS "
                  f"{r['peak_gb']:.2f} GB")
    survived = [n for n, (r, _) in singles.items() if "killed" not in r]
    # Dask runs: the requested sizes and the largest size the single process survived
    sizes = sorted({*args.n, *(survived[-1:] if survived else [])})
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      memory_limit=args.memory_limit, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        client.run(lambda: __import__("camigeo.barriers.conflict"))  # warm imports on the workers
        for n in sizes:
            npart = math.ceil(n / args.partition)
            meta = segments(0, n=0, npart=npart)
            sizes_k = [min(args.partition, n - k * args.partition) for k in range(npart)]
            infra = dd.from_map(_part, list(zip(range(npart), sizes_k, strict=True)),
                                npart=npart, meta=meta, divisions=None)
            with TreeRSS() as mem:
                t = time.perf_counter()
                res = score_conflict_dask(ptcrs, ranges, infra, effect_zones_m=False,
                                          scheduler=client)
                dt = time.perf_counter() - t
            print(f"Dask {args.workers} workers x {args.memory_limit}, N={n:,} "
                  f"({npart} partitions of {args.partition:,}, generated in the workers): "
                  f"{dt:.1f} s, peak RSS (client + workers) {mem.peak_gb:.2f} GB, "
                  f"{len(res)} rows, {res['length_km'].sum():,.0f} km")
            if n in singles and "killed" not in singles[n][0]:
                plain = pd.read_parquet(singles[n][1])
                ok = np.allclose(res["length_km"], plain["length_km"], rtol=1e-12, atol=0) \
                    and np.allclose(res["weighted_length_km"], plain["weighted_length_km"],
                                    rtol=1e-12, atol=0) and len(res) == len(plain)
                rel = np.max(np.abs(res["length_km"].to_numpy() - plain["length_km"])
                             / np.maximum(plain["length_km"].to_numpy(), 1e-300))
                s = singles[n][0]
                print(f"  vs single process at N={n:,}: {s['score_s']:.1f} s -> ratio "
                      f"{s['score_s'] / dt:.2f}x (Dask time includes generating the segments "
                      f"in the workers, {s['gen_s']:.1f} s single-threaded); same table: "
                      f"{ok} (max relative difference of length_km {rel:.1e})")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


def _part(item: tuple[int, int], npart: int):
    k, n = item
    return segments(k, n=n, npart=npart)


# ----------------------------------------------------------------------------- corridors
def make_cores(n: int, k: int, seed: int = 3):
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    cell = 30.0
    boxes: list[tuple[int, int]] = []
    while len(boxes) < k:
        r, c = rng.integers(50, n - 80, 2)
        if all(abs(r - r2) > 60 or abs(c - c2) > 60 for r2, c2 in boxes):
            boxes.append((int(r), int(c)))
    geoms = [shapely.box(c * cell, (n - r - 20) * cell, (c + 20) * cell, (n - r) * cell)
             for r, c in boxes]
    return gpd.GeoDataFrame({"core_id": np.arange(1, k + 1)}, geometry=geoms,
                            crs="EPSG:32642")


def cmd_corridors(args: argparse.Namespace) -> None:
    from bench_cost_distance import fractal_resistance
    from distributed import Client, LocalCluster

    from camigeo import Raster
    from camigeo.corridors import corridor_links
    from camigeo.corridors.dask import corridor_links_dask

    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores)")
    t = time.perf_counter()
    res = Raster.from_array(fractal_resistance(args.size), cellsize=30.0, crs="EPSG:32642")
    cores = make_cores(args.size, args.cores)
    print(f"grid {args.size}x{args.size} = {args.size ** 2 / 1e6:.0f} M cells, {args.cores} "
          f"cores, {args.cores * (args.cores - 1) // 2} pairs; generated in "
          f"{time.perf_counter() - t:.1f} s")
    small = Raster.from_array(res.array[:200, :200].copy(), cellsize=30.0, crs="EPSG:32642")
    small_cores = make_cores(200, 2)
    corridor_links(small_cores, small)  # JIT warm-up
    times = {}
    if not args.skip_single:
        with TreeRSS() as mem:
            t, c = time.perf_counter(), time.process_time()
            plain = corridor_links(cores, res)
            dt, cpu = time.perf_counter() - t, time.process_time() - c
        times["single"] = dt
        print(f"single process corridor_links: {dt:.1f} s (CPU {cpu:.1f} s), peak RSS "
              f"{mem.peak_gb:.2f} GB, {len(plain)} links; load average "
              f"{os.getloadavg()[0]:.1f}")
    for w in args.workers:
        with LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                          memory_limit=args.memory_limit, dashboard_address=":0") as cluster, \
                Client(cluster) as client:
            corridor_links_dask(small_cores, small, scheduler=client)  # JIT warm-up
            with TreeRSS() as mem:
                t = time.perf_counter()
                links = corridor_links_dask(cores, res, scheduler=client)
                dt = time.perf_counter() - t
            times[w] = dt
            same = ""
            if not args.skip_single:
                same = (f", same links as single process: "
                        f"{links[['core_a', 'core_b']].values.tolist() == plain[['core_a', 'core_b']].values.tolist() and np.allclose(links['cw_dist'], plain['cw_dist'], rtol=1e-12)}")  # noqa: E501
            cpu = sorted(mem.cpu_s().values(), reverse=True)
            print(f"Dask {w} worker(s) x 1 thread: {dt:.1f} s, peak RSS (client + workers) "
                  f"{mem.peak_gb:.2f} GB, {len(links)} links{same}; CPU s per process "
                  f"(workers, client, scheduler): {', '.join(f'{c:.1f}' for c in cpu)}; "
                  f"load average {os.getloadavg()[0]:.1f}")
    if 1 in times and 2 in times:
        print(f"speedup 1 -> 2 workers: {times[1] / times[2]:.2f}x (ceiling 2x on 2 cores)")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("conflict")
    c.add_argument("--n", type=int, nargs="+", default=[20_000_000])
    c.add_argument("--partition", type=int, default=250_000)
    c.add_argument("--workers", type=int, default=2)
    c.add_argument("--memory-limit", default="4GB")
    c.add_argument("--single", type=int, nargs="*", default=[])
    c.add_argument("--cap", type=float, default=8.0, help="GB, single-process RSS cap")
    c.add_argument("--timeout", type=float, default=900.0)
    k = sub.add_parser("corridors")
    k.add_argument("--size", type=int, default=4000)
    k.add_argument("--cores", type=int, default=30)
    k.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    k.add_argument("--memory-limit", default="4GB")
    k.add_argument("--skip-single", action="store_true")
    s = sub.add_parser("_conflict_single")
    s.add_argument("--n", type=int)
    s.add_argument("--partition", type=int)
    s.add_argument("--out")
    args = ap.parse_args()
    if args.cmd == "conflict":
        cmd_conflict(args)
    elif args.cmd == "corridors":
        cmd_corridors(args)
    else:
        conflict_single(args.n, args.partition, args.out)


if __name__ == "__main__":
    main()
