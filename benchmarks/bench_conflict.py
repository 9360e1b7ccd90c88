"""Benchmark: camigeo.score_conflict vs a naive geopandas.overlay loop per region/species.

Synthetic Central-Asia-sized layers (seeded): 13 star-shaped PTCRs (radius 150-400 km),
17 species with 1-3 overlapping range polygons each (radius 400-1200 km), and N
infrastructure segments (default 1,000,000): short polylines of 3 vertices, total length
log-normal around 2 km (0.3-12 km), types road 70 %, railway 10 %, fence 15 %,
border_fence 2 %, pipeline 3 %. All layers are handed over in EPSG:4326, as the bundled
data are.

Measured in this one process:

1. ``score_conflict(..., effect_zones_m=False)`` (lengths, densities, weighted lengths) on
   all N segments, and with effect zones (union of buffers per region and type).
2. The naive peer: for every (PTCR, species) pair, ``geopandas.overlay`` of the PTCR with
   the dissolved range, then ``geopandas.overlay`` of the infrastructure with that zone,
   then geodesic length per type. On N segments this would take too long, so it runs on a
   random subsample (default 50,000) and its time is **extrapolated linearly** to N
   (overlay cost grows with the number of candidate segments; the spatial index is cached
   across calls). camigeo is also timed on the same subsample (no extrapolation), and the
   two results are compared (max relative difference of the lengths).

Peak memory: peak RSS during the call minus RSS before it (psutil sampler, 10 ms).

With ``--untiled`` the effect-zone step alone is also timed both ways on the same lines:
camigeo's tile-by-tile merge (``_effect_areas``, threads) against one ``union_all`` of all
buffers per (region, type) followed by the intersection with every zone (the method before
2026-11-23, single-threaded), and the two sets of areas are compared.

Usage: ``python benchmarks/bench_conflict.py [--n 1000000] [--naive-n 50000] [--untiled]``
"""

from __future__ import annotations

import argparse
import os
import threading
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import psutil
import shapely

import camigeo.barriers.kernels as cc
from camigeo.barriers.conflict import score_conflict
from camigeo.io.crs import CENTRAL_ASIA_EQUAL_AREA, WGS84, geodesic_length_km, local_metric_crs

KM = 1000.0
TYPES = np.array(["road", "railway", "fence", "border_fence", "pipeline"])
TYPE_P = np.array([0.70, 0.10, 0.15, 0.02, 0.03])
SPECIES = [f"Species {chr(65 + i)}" for i in range(17)]


def star(rng: np.random.Generator, cx: float, cy: float, r: float, n: int) -> shapely.Polygon:
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = r * rng.uniform(0.6, 1.0, n)
    return shapely.Polygon(np.c_[cx + rad * np.cos(ang), cy + rad * np.sin(ang)])


def make_layers(n: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    x0, x1, y0, y1 = -2500 * KM, 2500 * KM, -500 * KM, 1200 * KM
    ptcr = [star(rng, rng.uniform(x0 + 300 * KM, x1 - 300 * KM),
                 rng.uniform(y0 + 200 * KM, y1 - 200 * KM), rng.uniform(150, 400) * KM, 60)
            for _ in range(13)]
    ptcrs = gpd.GeoDataFrame({"ptcr_id": np.arange(1, 14), "name": [f"PTCR {i}" for i in
                                                                     range(1, 14)]},
                             geometry=ptcr, crs=CENTRAL_ASIA_EQUAL_AREA).to_crs(WGS84)
    rows, geoms = [], []
    for sp in SPECIES:
        cx, cy = rng.uniform(x0, x1), rng.uniform(y0, y1)
        for _ in range(rng.integers(1, 4)):
            geoms.append(star(rng, cx + rng.normal(0, 200 * KM), cy + rng.normal(0, 150 * KM),
                              rng.uniform(400, 1200) * KM, 200))
            rows.append(sp)
    ranges = gpd.GeoDataFrame({"sci_name": rows}, geometry=geoms,
                              crs=CENTRAL_ASIA_EQUAL_AREA).to_crs(WGS84)
    length = np.clip(rng.lognormal(np.log(2 * KM), 0.7, n), 300, 12 * KM)
    start = np.c_[rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)]
    a1 = rng.uniform(0, 2 * np.pi, n)
    a2 = a1 + rng.normal(0, 0.3, n)
    mid = start + (length / 2)[:, None] * np.c_[np.cos(a1), np.sin(a1)]
    end = mid + (length / 2)[:, None] * np.c_[np.cos(a2), np.sin(a2)]
    lines = shapely.linestrings(np.stack([start, mid, end], axis=1))
    types = rng.choice(TYPES, n, p=TYPE_P)
    fenced = np.where(np.isin(types, ["fence", "border_fence"]), True, rng.random(n) < 0.2)
    fclass = np.where(fenced, rng.choice(["impermeable", "low", "medium", "high", "unknown"],
                                         n), None)
    infra = gpd.GeoDataFrame({
        "infra_id": np.char.add("s", np.arange(n).astype(str)), "infra_type": types,
        "status": "existing", "fenced": fenced, "fence_class": fclass,
    }, geometry=lines, crs=CENTRAL_ASIA_EQUAL_AREA).to_crs(WGS84)
    return ptcrs, ranges, infra


class PeakRSS:
    """Sample this process' RSS every 10 ms; ``peak_mb`` = peak − start."""

    def __enter__(self):
        self.proc = psutil.Process()
        self.start = self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.01)

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)
        self.peak_mb = (self.peak - self.start) / 2**20


def naive(ptcrs, ranges, infra) -> pd.DataFrame:
    out = []
    for sp in SPECIES:
        rng_s = ranges[ranges["sci_name"] == sp].dissolve()
        for i in range(len(ptcrs)):
            zone = gpd.overlay(ptcrs.iloc[[i]], rng_s, how="intersection")
            if zone.empty:
                continue
            clip = gpd.overlay(infra, zone[["geometry"]], how="intersection",
                               keep_geom_type=True)
            if clip.empty:
                continue
            km = geodesic_length_km(clip)
            s = pd.Series(km).groupby(clip["infra_type"].to_numpy()).sum()
            for t, v in s.items():
                out.append((int(ptcrs["ptcr_id"].iloc[i]), sp, t, v))
    return pd.DataFrame(out, columns=["ptcr_id", "sci_name", "infra_type", "length_km"])


def untiled_effect_areas(prep, lines, crs) -> dict:
    """Effect-zone areas the pre-tiling way: one union of all buffers per (region, type)."""
    out = {}
    zl = lines[lines["effect_zone_m"] > 0]
    geoms, dist = zl["geometry"].to_numpy(), zl["effect_zone_m"].to_numpy()
    codes = zl["type_code"].to_numpy()
    tree = shapely.STRtree(geoms)
    margin = 1.1 * float(dist.max())
    for r, rgeom in enumerate(prep.region_geoms):
        near = cc.zones_to(np.asarray([shapely.buffer(rgeom, margin, quad_segs=2)]), crs)[0]
        idx = tree.query(near, predicate="intersects")
        if len(idx) == 0:
            continue
        zone_idx = np.flatnonzero(prep.zone_region == r)
        local = local_metric_crs(gpd.GeoSeries([rgeom], crs=CENTRAL_ASIA_EQUAL_AREA))
        polys = gpd.GeoSeries(np.concatenate([[rgeom], prep.zone_geoms[zone_idx]]),
                              crs=CENTRAL_ASIA_EQUAL_AREA).to_crs(local).to_numpy()
        sel = gpd.GeoSeries(geoms[idx], crs=crs).to_crs(local).to_numpy()
        for t in np.unique(codes[idx]):
            m = codes[idx] == t
            buf = shapely.union_all(shapely.buffer(sel[m], dist[idx][m], quad_segs=4))
            out[(r, int(t))] = shapely.area(shapely.intersection(polys, buf)) / 1e6
    return out


def compare_effect(ptcrs, ranges, infra) -> None:
    prep = cc.prepare_areas(ptcrs, ranges)
    lines, crs = cc.prepare_lines(infra, status=("existing",), weights=None,
                                   effect_zones_m=None)
    tiled, dt_t, mb_t = timed(cc.effect_areas, prep, lines, crs)
    print(f"effect zones only, tiled + {cc.effect_threads()} thread(s): {dt_t:.2f} s "
          f"(CPU {CPU[-1]:.2f} s), peak +{mb_t:.0f} MiB")
    old, dt_o, mb_o = timed(untiled_effect_areas, prep, lines, crs)
    print(f"effect zones only, one union per (region, type), 1 thread: {dt_o:.2f} s "
          f"(CPU {CPU[-1]:.2f} s), peak +{mb_o:.0f} MiB; ratio {dt_o / dt_t:.1f}x wall, "
          f"{CPU[-1] / CPU[-2]:.1f}x CPU")
    rel = max(float(np.max(np.abs(tiled[k] - old[k]) / np.maximum(old[k], 1e-9)))
              for k in old)
    print(f"tiled vs one union: same keys {tiled.keys() == old.keys()}, max relative "
          f"difference of the areas {rel:.1e}")


def timed(fn, *a, **k):
    """Run once; return (result, wall s, peak MiB) and print the CPU time next to it."""
    with PeakRSS() as mem:
        t = time.perf_counter()
        c = time.process_time()
        res = fn(*a, **k)
        dt = time.perf_counter() - t
        cpu = time.process_time() - c
    CPU.append(cpu)
    return res, dt, mem.peak_mb


CPU: list[float] = []


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--naive-n", type=int, default=50_000)
    ap.add_argument("--untiled", action="store_true",
                    help="also time the effect-zone step the pre-tiling way (slow)")
    args = ap.parse_args()
    t = time.perf_counter()
    ptcrs, ranges, infra = make_layers(args.n)
    print(f"generated {len(infra):,} segments, {len(ptcrs)} PTCRs, {len(ranges)} range "
          f"polygons of {len(SPECIES)} species in {time.perf_counter() - t:.1f} s; total "
          f"length {geodesic_length_km(infra).sum():,.0f} km")
    print(f"effect-zone threads: {cc.effect_threads()}")
    res, dt, mb = timed(score_conflict, ptcrs, ranges, infra, effect_zones_m=False)
    print(f"load average before: {os.getloadavg()[0]:.1f} (2 cores; > 2 means the CPU is "
          f"shared and wall times are inflated; CPU time is the unshared estimate)")
    print(f"camigeo score_conflict, N={args.n:,}, no effect zones: {dt:.2f} s "
          f"(CPU {CPU[-1]:.2f} s), "
          f"peak +{mb:.0f} MiB, {len(res)} rows, {res['length_km'].sum():,.0f} km")
    res_ez, dt_ez, mb_ez = timed(score_conflict, ptcrs, ranges, infra)
    print(f"camigeo score_conflict, N={args.n:,}, with effect zones: {dt_ez:.2f} s "
          f"(CPU {CPU[-1]:.2f} s), "
          f"peak +{mb_ez:.0f} MiB")
    sub = infra.sample(args.naive_n, random_state=1) if args.naive_n < len(infra) else infra
    ours_sub, dt_sub, _ = timed(score_conflict, ptcrs, ranges, sub, effect_zones_m=False)
    nv, dt_nv, mb_nv = timed(naive, ptcrs, ranges, sub)
    print(f"camigeo on subsample N={len(sub):,}: {dt_sub:.2f} s (CPU {CPU[-2]:.2f} s)")
    print(f"naive geopandas.overlay loop on subsample N={len(sub):,}: {dt_nv:.2f} s "
          f"(CPU {CPU[-1]:.2f} s), "
          f"peak +{mb_nv:.0f} MiB")
    m = ours_sub.merge(nv, on=["ptcr_id", "sci_name", "infra_type"], how="outer",
                       suffixes=("", "_naive")).fillna(0)
    big = m[m["length_km_naive"] > 1]
    rel = (big["length_km"] - big["length_km_naive"]).abs() / big["length_km_naive"]
    print(f"agreement on subsample: {len(big)} (ptcr, species, type) sums > 1 km, max "
          f"relative difference {rel.max():.2e}, total {m['length_km'].sum():,.1f} vs "
          f"{m['length_km_naive'].sum():,.1f} km")
    extrap = dt_nv * len(infra) / len(sub)
    print(f"naive extrapolated linearly to N={len(infra):,}: {extrap:.0f} s "
          f"(x{len(infra) / len(sub):.0f} of the subsample time)")
    print(f"ratio naive/camigeo at N={len(sub):,} (measured): {dt_nv / dt_sub:.1f}x")
    print(f"ratio by CPU time at N={len(sub):,}: {CPU[-1] / CPU[-2]:.1f}x; naive CPU "
          f"extrapolated to N={len(infra):,}: {CPU[-1] * len(infra) / len(sub):.0f} s vs "
          f"camigeo {CPU[0]:.1f} s -> {CPU[-1] * len(infra) / len(sub) / CPU[0]:.1f}x")
    print(f"ratio naive(extrapolated)/camigeo at N={len(infra):,}: {extrap / dt:.1f}x "
          f"(without effect zones), {extrap / dt_ez:.1f}x (camigeo with effect zones)")
    print(f"goal < 20 s at N={len(infra):,} (wall): {'met' if dt < 20 else 'NOT met'} "
          f"without effect zones, {'met' if dt_ez < 20 else 'NOT met'} with effect zones; "
          f"by CPU time: {'met' if CPU[0] < 20 else 'NOT met'} / "
          f"{'met' if CPU[1] < 20 else 'NOT met'}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if args.untiled:
        compare_effect(ptcrs, ranges, infra)


if __name__ == "__main__":
    main()
