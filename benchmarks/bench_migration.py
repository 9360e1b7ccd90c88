"""Benchmark the Brownian bridge migration corridors (camigeo.telemetry.bbmm / corridors_pop).

Run:  python benchmarks/bench_migration.py [--fixes 1000000] [--animals 200]
                                           [--cells 100 30] [--quick]

Part 1 - the BaBA example tracks (2 pronghorn, 2 mule deer, 2014, 2-hourly; read from
../shared/reference/baba, set CAMIGEO_SHARED; skipped with a message when missing): one
Brownian bridge per animal-year (maximum-likelihood variance, location error 20 m,
time step 10 min), R BBMM's default grid (range +- 1 SD) at each ``--cells`` size.

Part 2 - a SYNTHETIC set (Brownian motion with a spring and autumn shift of 40 km, NOT
real animals) of ``--fixes`` fixes of ``--animals`` animals, 2-hourly from 2023-01-01,
motion variance 200-2000 m^2/min per animal, location error 20 m: the whole population
corridor run (``migration_corridors``, one sequence per animal and calendar year) on a
common grid of each ``--cells`` size, with ``scheduler=None`` and ``"threads"``.

Peer, in the same run: a straightforward whole-grid NumPy evaluation of the same formula
(R BBMM's loop: every time step over every grid cell). It is far too slow for the full
data, so it is timed on a sample of time steps and EXTRAPOLATED to all steps (the script
says how many steps it timed). Its sums are compared with camigeo's on the sampled bridges:
relative difference of the unnormalised sums, and the largest cell difference relative to
the largest cell.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import measure  # noqa: E402

from camigeo.telemetry import migration_corridors  # noqa: E402
from camigeo.telemetry.bbmm import (  # noqa: E402
    GridSpec,
    bridge_density,
    brownian_bridge,
    r_default_grid,
)

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CAMIGEO_SHARED", REPO.parent / "shared"))
BABA = SHARED / "reference" / "baba"


def whole_grid_steps(x, y, t, le, var, grid: GridSpec, bridges, step=10.0):
    """Peer: R BBMM's arithmetic over the whole grid for the given bridge indices."""
    xs, ys = grid.centres()
    gx, gy = np.meshgrid(xs, ys)
    out = np.zeros_like(gx)
    n_steps = 0
    for i in bridges:
        lag = t[i + 1] - t[i]
        tm = 0.0
        while tm <= lag + 1e-9:
            a = tm / lag
            mx, my = x[i] + a * (x[i + 1] - x[i]), y[i] + a * (y[i + 1] - y[i])
            s2 = lag * a * (1 - a) * var + (1 - a) ** 2 * le[i] ** 2 + a ** 2 * le[i + 1] ** 2
            out += step * np.exp(-((gx - mx) ** 2 + (gy - my) ** 2) / (2 * s2)) / (2 * np.pi * s2)
            tm += step
            n_steps += 1
    return out, n_steps


def compare(x, y, t, le, var, grid, bridges):
    """Peer time per step, and the sums of both on the sampled bridges."""
    t0 = time.perf_counter()
    ref, n_steps = whole_grid_steps(x, y, t, le, var, grid, bridges)
    per_step = (time.perf_counter() - t0) / n_steps
    # camigeo on exactly these bridges: the pairs (i, i+1) laid out back to back, pair j
    # starting at j * 1e7 minutes, so the steps between pairs exceed max_lag_min and are
    # skipped
    lags = t[bridges + 1] - t[bridges]
    start = np.arange(len(bridges)) * 1e7
    r0, c0, win, _ = bridge_density(
        np.column_stack([x[bridges], x[bridges + 1]]).ravel(),
        np.column_stack([y[bridges], y[bridges + 1]]).ravel(),
        np.column_stack([start, start + lags]).ravel(),
        np.column_stack([le[bridges], le[bridges + 1]]).ravel(),
        var, grid, max_lag_min=float(lags.max()))
    mine = np.zeros_like(ref)
    mine[r0:r0 + win.shape[0], c0:c0 + win.shape[1]] = win
    rel_sum = abs(mine.sum() - ref.sum()) / ref.sum()
    rel_cell = np.abs(mine - ref).max() / ref.max()
    return per_step, n_steps, rel_sum, rel_cell


def n_steps_total(t, step=10.0, max_lag=None):
    lag = np.diff(t)
    ok = lag > 0 if max_lag is None else (lag > 0) & (lag <= max_lag)
    return int(np.sum(np.floor(lag[ok] / step + 1e-9) + 1))


def part1(cells, rng):
    if not (BABA / "pronghorn.csv").is_file():
        print(f"Part 1 skipped: {BABA} not found (set CAMIGEO_SHARED).")
        return
    print("\n## Part 1: BaBA example tracks (one bridge per animal, R default grid)")
    rows = []
    for name in ("pronghorn", "muleDeer"):
        df = pd.read_csv(BABA / f"{name}.csv")
        g = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.x, df.y), crs=32612)
        for animal, sub in g.groupby("Animal.ID"):
            sub = sub.sort_values("date_utc")
            for cell in cells:
                res, dt, rss = measure(brownian_bridge, sub, location_error_m=20.0,
                                       cell_size_m=cell, time_col="date_utc",
                                       id_col="Animal.ID")
                xy = np.column_stack([sub.geometry.x, sub.geometry.y])
                ns_t = pd.DatetimeIndex(pd.to_datetime(sub.date_utc)).as_unit("ns").asi8
                t = (ns_t - ns_t[0]) / 60e9
                le = np.full(len(sub), 20.0)
                grid = r_default_grid(xy[:, 0], xy[:, 1], cell, crs=None)
                sample = np.sort(rng.choice(len(sub) - 1, size=8 if cell < 50 else 20,
                                            replace=False))
                per_step, ns, rel_sum, rel_cell = compare(xy[:, 0], xy[:, 1], t, le,
                                                          res.motion_variance, grid, sample)
                total = n_steps_total(t)
                peer = per_step * total
                rows.append((name, animal, cell, len(sub), res.ud.shape, res.motion_variance,
                             dt, rss, ns, peer, peer / dt, rel_sum, rel_cell))
                print(f"{name:9s} {animal} {cell:>4.0f} m grid {res.ud.shape}: "
                      f"var {res.motion_variance:8.1f} m2/min, camigeo {dt:6.2f} s "
                      f"(+{rss:.0f} MiB); whole-grid peer {peer:9.1f} s extrapolated from "
                      f"{ns} of {total} steps -> {peer / dt:8.0f}x; sums rel diff "
                      f"{rel_sum:.1e}, max cell diff {rel_cell:.1e}")
    return rows


def synthetic(n_fixes, n_animals, rng):
    per = n_fixes // n_animals
    t = pd.Timestamp("2023-01-01", tz="UTC") + pd.to_timedelta(np.arange(per) * 2, unit="h")
    doy = t.day_of_year.to_numpy()
    # 40 km north between 1 and 21 April, back between 1 and 21 October
    shift = np.clip((doy - 91) / 20, 0, 1) - np.clip((doy - 274) / 20, 0, 1)
    shift[t.year.to_numpy() > 2023] = 0.0
    frames = []
    for k in range(n_animals):
        var = rng.uniform(200, 2000)
        steps = rng.normal(0, np.sqrt(var * 120), (per, 2))
        steps[0] = 0
        xy = np.cumsum(steps, axis=0) + rng.uniform(0, 60_000, 2)
        xy[:, 1] += 40_000 * shift
        xy += rng.normal(0, 20.0, xy.shape)
        frames.append(pd.DataFrame({"individual_id": f"S{k:03d}", "timestamp": t,
                                    "x": xy[:, 0] + 500_000, "y": xy[:, 1] + 4_500_000}))
    df = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(df[["individual_id", "timestamp"]],
                            geometry=gpd.points_from_xy(df.x, df.y), crs=32645)


def part2(n_fixes, n_animals, cells, rng):
    print(f"\n## Part 2: synthetic {n_fixes:,} fixes, {n_animals} animals")
    tracks = synthetic(n_fixes, n_animals, rng)
    seasons = {"year": ("01-01", "12-31")}
    for cell in cells:
        out = {}
        for sched in (None, "threads"):
            res, dt, rss = measure(migration_corridors, tracks, location_error_m=20.0,
                                   seasons=seasons, cell_size_m=cell, scheduler=sched)
            out[sched] = res
            print(f"{cell:>4.0f} m grid {res.share.shape}, scheduler={sched!s:8s}: "
                  f"{dt:6.1f} s, peak RSS +{rss:,.0f} MiB, {len(res.sequences)} sequences")
        same = np.array_equal(out[None].individuals.array, out["threads"].individuals.array)
        d_ud = np.abs(out[None].population_ud.array - out["threads"].population_ud.array).max()
        print(f"     threads vs plain: footprint counts identical {same}, max UD diff {d_ud:.1e}")
        # peer on the common grid: sample steps of a few animals
        res = out[None]
        grid = GridSpec.from_raster(res.share)
        per_steps, rel_sums, rel_cells, n_timed = [], [], [], 0
        for k in rng.choice(n_animals, size=3, replace=False):
            sub = tracks[tracks.individual_id == f"S{k:03d}"]
            xy = np.column_stack([sub.geometry.x, sub.geometry.y])
            ns_t = pd.DatetimeIndex(sub.timestamp).as_unit("ns").asi8
            t = (ns_t - ns_t[0]) / 60e9
            var = float(res.sequences.loc[res.sequences.individual_id == f"S{k:03d}",
                                          "motion_variance"].iloc[0])
            b = np.sort(rng.choice(len(sub) - 1, size=2, replace=False))
            ps, ns, rs, rc = compare(xy[:, 0], xy[:, 1], t, np.full(len(sub), 20.0), var,
                                     grid, b)
            per_steps.append(ps)
            rel_sums.append(rs)
            rel_cells.append(rc)
            n_timed += ns
        total = 0
        for _, sub in tracks.groupby("individual_id"):
            ts = pd.DatetimeIndex(sub.timestamp).as_unit("ns").asi8 / 60e9
            for yr in (2023, 2024):
                sel = pd.DatetimeIndex(sub.timestamp).year == yr
                if sel.sum() > 1:
                    total += n_steps_total(ts[sel])
        peer = float(np.mean(per_steps)) * total
        print(f"     whole-grid peer: {np.mean(per_steps) * 1e3:.1f} ms per step on "
              f"{grid.nrows * grid.ncols:,} cells ({n_timed} steps timed), x {total:,} steps "
              f"= {peer:,.0f} s EXTRAPOLATED; sums rel diff max {max(rel_sums):.1e}, "
              f"max cell diff {max(rel_cells):.1e}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixes", type=int, default=1_000_000)
    ap.add_argument("--animals", type=int, default=200)
    ap.add_argument("--cells", type=float, nargs="+", default=[100.0, 30.0])
    ap.add_argument("--quick", action="store_true", help="100,000 fixes, 20 animals")
    ap.add_argument("--skip-part1", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.fixes, args.animals = 100_000, 20
    rng = np.random.default_rng(2026)
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()}")
    if not args.skip_part1:
        part1(args.cells, rng)
    part2(args.fixes, args.animals, args.cells, rng)
    print(f"load average at the end {os.getloadavg()}")


if __name__ == "__main__":
    main()
