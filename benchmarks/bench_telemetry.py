"""Benchmark camigeo.telemetry: BaBA on the pronghorn example and 1,000,000 synthetic fixes.

Run:  python benchmarks/bench_telemetry.py [--fixes 1000000] [--animals 200] [--quick]

Part 1 - the BaBA package's pronghorn example (2 animals, 8,757 fixes, 1,673 fences,
d = 110 m, max_cross = 4), read from ../shared/reference/baba (set CAMIGEO_SHARED) when it
is there; skipped with a message otherwise. R is not installed on the benchmark machine,
so the R package's own time is quoted from the issue (6-15 s for the small examples),
not measured.

Part 2 - a SYNTHETIC collection (correlated random walks, NOT real animals) of
``--fixes`` fixes for ``--animals`` animals, 2-hourly, started next to the bundled
infrastructure lines (camigeo.datasets.load_infrastructure; synthetic straight lines if
that is missing), in the Central Asia Albers CRS. Peer, measured in the same script: the
movingpandas route (TrajectoryCollection -> to_line_gdf -> geopandas sjoin + intersection)
for crossings, on a subset of animals.

Each stage prints wall time and peak resident memory above the stage's start (sampled
every 5 ms by a background thread).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import psutil
import shapely

from camigeo.io.crs import CENTRAL_ASIA_EQUAL_AREA
from camigeo.telemetry import (
    classify_encounters,
    crossing_hotspots,
    find_crossings,
    rank_barriers,
    run_telemetry,
)

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CAMIGEO_SHARED", REPO.parent / "shared"))
BABA = SHARED / "reference" / "baba"


def measure(label: str, fn: Callable[[], Any], repeat: int = 1) -> tuple[Any, float, float]:
    """Run ``fn``; return (result, best wall seconds, peak RSS increase in MiB).

    Also prints the CPU seconds of the best run: on a shared machine wall time includes
    waiting for a core, CPU time does not.
    """
    proc = psutil.Process()
    best, best_cpu, peak_mb, out = float("inf"), float("inf"), 0.0, None
    for _ in range(repeat):
        base = proc.memory_info().rss
        peak = [base]
        stop = threading.Event()

        def sample(peak: list[int] = peak, stop: threading.Event = stop) -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], proc.memory_info().rss)
                time.sleep(0.005)

        th = threading.Thread(target=sample, daemon=True)
        th.start()
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        dt, dc = time.perf_counter() - t0, time.process_time() - c0
        stop.set()
        th.join()
        if dt < best:
            best, best_cpu = dt, dc
        peak_mb = max(peak_mb, (peak[0] - base) / 2**20)
    print(f"  {label:<48s} {best:8.2f} s wall {best_cpu:8.2f} s CPU   peak +{peak_mb:6.0f} MiB")
    return out, best, peak_mb


# ---------------------------------------------------------------- part 1
def pronghorn() -> None:
    print("\n== Part 1: BaBA pronghorn example (real data, BaBA package, MIT) ==")
    if not BABA.is_dir():
        print(f"  reference data not found at {BABA}: part 1 skipped")
        return
    f = pd.read_csv(BABA / "fences.csv")
    fences = gpd.GeoDataFrame(f.drop(columns="wkt"), geometry=shapely.from_wkt(f["wkt"]),
                              crs="EPSG:32612")
    d = pd.read_csv(BABA / "pronghorn.csv")
    d["date"] = pd.to_datetime(d["date_utc"], utc=True)
    tracks = gpd.GeoDataFrame(d, geometry=gpd.points_from_xy(d["x"], d["y"]), crs="EPSG:32612")
    print(f"  {len(tracks):,} fixes, {tracks['Animal.ID'].nunique()} animals, "
          f"{len(fences):,} fence features")
    res, t_baba, _ = measure("classify_encounters (d=110, max_cross=4)",
                             lambda: classify_encounters(tracks, fences, d=110, max_cross=4),
                             repeat=3)
    print("  classes:", res.classification["eventTYPE"].value_counts().to_dict())
    measure("rank_barriers (min_total_enc=5)",
            lambda: rank_barriers(res, fences, d=110, min_total_enc=5,
                                  barrier_id_col="FID_Fence0"), repeat=3)
    cr, _, _ = measure("find_crossings", lambda: find_crossings(
        tracks, fences, barrier_id_col="FID_Fence0"), repeat=3)
    measure("crossing_hotspots (1 km bins)", lambda: crossing_hotspots(
        [res, cr], fences, barrier_id_col="FID_Fence0"), repeat=3)
    _, t_all, _ = measure("run_telemetry (all three layers)", lambda: run_telemetry(
        tracks, fences, d=110, max_cross=4, barrier_id_col="FID_Fence0"), repeat=3)
    print(f"  ratio vs the R package's 6-15 s (quoted in the issue, NOT measured here; R is "
          f"not installed): BaBA step {6 / t_baba:.0f}-{15 / t_baba:.0f}x faster")


# ---------------------------------------------------------------- part 2
def barriers_for_synthetic() -> tuple[gpd.GeoDataFrame, str]:
    try:
        from camigeo.datasets.bundled import load_infrastructure

        bar = load_infrastructure().to_crs(CENTRAL_ASIA_EQUAL_AREA)
        return bar, "bundled infrastructure (camigeo.datasets.load_infrastructure)"
    except Exception as exc:  # noqa: BLE001 - the benchmark falls back and says so
        rng = np.random.default_rng(1)
        lines = [shapely.LineString(rng.uniform(-2e6, 2e6, (2, 2))) for _ in range(40)]
        bar = gpd.GeoDataFrame({"infra_id": [f"S{i}" for i in range(40)]}, geometry=lines,
                               crs=CENTRAL_ASIA_EQUAL_AREA)
        return bar, f"SYNTHETIC straight lines (bundled data unavailable: {exc})"


def synthetic_tracks(bar: gpd.GeoDataFrame, n_fixes: int, n_animals: int,
                     seed: int = 42) -> gpd.GeoDataFrame:
    """Correlated random walks (SYNTHETIC), each starting on a random barrier point."""
    rng = np.random.default_rng(seed)
    per = n_fixes // n_animals
    lines = bar.geometry.values
    pick = rng.integers(0, len(lines), n_animals)
    start = shapely.get_coordinates(shapely.line_interpolate_point(
        lines[pick], rng.uniform(0, 1, n_animals), normalized=True))
    heading = np.cumsum(rng.normal(0, 0.6, (n_animals, per - 1)), axis=1) \
        + rng.uniform(0, 2 * np.pi, (n_animals, 1))
    step = rng.lognormal(np.log(400), 0.8, (n_animals, per - 1))  # metres per 2 h
    x = np.concatenate([start[:, :1], start[:, :1] + np.cumsum(step * np.cos(heading), 1)], 1)
    y = np.concatenate([start[:, 1:], start[:, 1:] + np.cumsum(step * np.sin(heading), 1)], 1)
    t0 = np.datetime64("2020-01-01T00:00:00", "ns")
    times = t0 + np.arange(per) * np.timedelta64(2, "h")
    ids = np.repeat([f"SYN{i:03d}" for i in range(n_animals)], per)
    return gpd.GeoDataFrame(
        {"individual_id": ids, "timestamp": pd.DatetimeIndex(np.tile(times, n_animals),
                                                             tz="UTC")},
        geometry=gpd.points_from_xy(x.ravel(), y.ravel()), crs=CENTRAL_ASIA_EQUAL_AREA)


def movingpandas_crossings(tracks: gpd.GeoDataFrame, bar: gpd.GeoDataFrame) -> int:
    """Peer: what a movingpandas user writes to find crossing steps."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import movingpandas as mpd

        tr = tracks.copy()
        tr["timestamp"] = tr["timestamp"].dt.tz_localize(None)
        tc = mpd.TrajectoryCollection(tr, traj_id_col="individual_id", t="timestamp")
        steps = tc.to_line_gdf()
        bar = bar.reset_index(drop=True)
        pairs = gpd.sjoin(steps, bar[["infra_id", "geometry"]], predicate="intersects")
        pts = pairs.geometry.intersection(
            gpd.GeoSeries(bar.geometry.values[pairs["index_right"].to_numpy()],
                          index=pairs.index, crs=bar.crs))
        return int(shapely.get_num_geometries(pts.values).sum())


def synthetic(n_fixes: int, n_animals: int, peer_animals: int) -> None:
    print(f"\n== Part 2: SYNTHETIC collection, {n_fixes:,} fixes / {n_animals} animals "
          f"(random walks, not real animals) ==")
    bar, what = barriers_for_synthetic()
    print(f"  barriers: {what}: {len(bar)} features")
    tracks, _, _ = measure("build synthetic tracks", lambda: synthetic_tracks(
        bar, n_fixes, n_animals))
    for d in (110, 1000):
        res, _, _ = measure(f"classify_encounters (d={d} m)",
                            lambda d=d: classify_encounters(tracks, bar, d=d))
        print("    classes:", res.classification["eventTYPE"].value_counts().to_dict())
    cr, t_cross, _ = measure("find_crossings", lambda: find_crossings(tracks, bar))
    print(f"    {len(cr):,} crossings")
    measure("rank_barriers (d=1000 m)", lambda: rank_barriers(res, bar, d=1000))
    measure("crossing_hotspots (1 km bins)", lambda: crossing_hotspots([res, cr], bar))

    sub = tracks[tracks["individual_id"].isin(
        sorted(tracks["individual_id"].unique())[:peer_animals])]
    print(f"  peer on a subset: {len(sub):,} fixes / {peer_animals} animals")
    ours, t_ours, _ = measure("camigeo find_crossings (subset)", lambda: find_crossings(sub, bar))
    n_peer, t_peer, _ = measure("movingpandas to_line_gdf + sjoin + intersection",
                                lambda: movingpandas_crossings(sub, bar))
    print(f"    crossings: camigeo {len(ours):,}, peer {n_peer:,} (peer counts every "
          f"intersection point; shared vertices twice)")
    print(f"  ratio peer / camigeo on the subset: {t_peer / t_ours:.1f}x")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixes", type=int, default=1_000_000)
    ap.add_argument("--animals", type=int, default=200)
    ap.add_argument("--peer-animals", type=int, default=20)
    ap.add_argument("--quick", action="store_true", help="100,000 fixes, 20 animals")
    args = ap.parse_args(argv)
    if args.quick:
        args.fixes, args.animals, args.peer_animals = 100_000, 20, 4
    print(f"camigeo telemetry benchmark - {time.strftime('%Y-%m-%d %H:%M')} - "
          f"{os.cpu_count()} CPUs, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
          f"load average {os.getloadavg()[0]:.1f}")
    pronghorn()
    synthetic(args.fixes, args.animals, args.peer_animals)
    return 0


if __name__ == "__main__":
    sys.exit(main())
