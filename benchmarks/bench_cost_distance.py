"""Benchmark: camigeo.cost_distance vs skimage.graph.MCP_Geometric (GRASS r.cost if present).

Surfaces: fractal resistance (spectral synthesis, power spectrum ~ 1/f^beta, beta = 3,
mapped to 1..100) with 6 burned line barriers (resistance 1000, 1 cell wide, 4-connected),
30 m cells, 3 point sources, 8 neighbours. Sizes 500², 2000², 5000².

Every measurement runs in a fresh subprocess that loads the raster from a .npy file, warms
up the JIT on a tiny grid, resets the kernel's peak-RSS counter (``/proc/self/clear_refs``
= 5, Linux), records its RSS, runs the call once, and reports wall time and (peak RSS
``VmHWM`` − RSS before the call) — the memory the call itself needs on top of the input
raster. Without the reset the peak would include ``np.load``'s transient copy. numba
allocations are invisible to tracemalloc, so RSS is the only fair measure for both tools.

GRASS ``r.cost`` (``--tools ... grass``) runs in a temporary location with ``memory=8000``
MB (all in RAM, its fastest setting); its time and peak RSS are those of the ``r.cost``
process alone (``os.wait4``), import/export excluded.

Usage: ``python benchmarks/bench_cost_distance.py [--sizes 500 2000 5000]
[--tools camigeo skimage grass]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

CELL = 30.0
SOURCES = [(0.1, 0.1), (0.5, 0.8), (0.9, 0.3)]  # fractions of (rows, cols)


def fractal_resistance(n: int, seed: int = 42, beta: float = 3.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    fy = np.fft.fftfreq(n)[:, None]
    fx = np.fft.rfftfreq(n)[None, :]
    f = np.sqrt(fx * fx + fy * fy)
    f[0, 0] = 1.0
    amp = f ** (-beta / 2.0)
    amp[0, 0] = 0.0
    phase = rng.uniform(0, 2 * np.pi, amp.shape)
    field = np.fft.irfft2(amp * np.exp(1j * phase), s=(n, n))
    field = (field - field.min()) / (field.max() - field.min())
    res = (1.0 + 99.0 * field ** 2).astype(np.float64)
    # line barriers: 4-connected 1-cell-wide random lines, resistance 1000, with gaps
    for _ in range(6):
        r0, c0, r1, c1 = rng.integers(0, n, 4)
        m = max(abs(r1 - r0), abs(c1 - c0)) + 1
        rr = np.linspace(r0, r1, m).round().astype(int)
        cc = np.linspace(c0, c1, m).round().astype(int)
        res[rr, cc] = 1000.0
        res[np.minimum(rr + 1, n - 1), cc] = 1000.0  # thicken diagonal steps
        gap = rng.integers(0, m - 5)
        res[rr[gap:gap + 3], cc[gap:gap + 3]] = 1.0
    return res


def sources_rc(n: int) -> list[tuple[int, int]]:
    return [(int(a * n), int(b * n)) for a, b in SOURCES]


CHILD = r'''
import json, resource, sys, time
import numpy as np, psutil
path, tool = sys.argv[1], sys.argv[2]
arr = np.load(path)
n = arr.shape[0]
src = [tuple(x) for x in json.loads(sys.argv[3])]
if tool == "camigeo":
    from camigeo import Raster
    from camigeo.corridors import cost_distance
    cost_distance(Raster.from_array(np.ones((8, 8)), cellsize=30.0), [(0, 0)])  # JIT warm-up
    r = Raster.from_array(arr, cellsize=30.0, crs="EPSG:32642")
    run = lambda: cost_distance(r, src).array
elif tool == "skimage":
    from skimage.graph import MCP_Geometric
    m0 = MCP_Geometric(np.ones((8, 8)), sampling=(30.0, 30.0)); m0.find_costs([(0, 0)])
    def run():
        m = MCP_Geometric(arr, fully_connected=True, sampling=(30.0, 30.0))
        return m.find_costs(src)[0]
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
maxrss_before = hwm()
try:  # reset the peak-RSS counter (Linux): the call's own peak, not np.load's transient
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    reset = True
except OSError:
    reset = False
before = psutil.Process().memory_info().rss
t0 = time.perf_counter()
c0 = time.process_time()
out = run()
dt = time.perf_counter() - t0
cpu = time.process_time() - c0
peak = hwm()
np.save(path + "." + tool + ".out.npy", out)
print(json.dumps({"time_s": dt, "cpu_s": cpu, "extra_bytes": max(peak - before, 0),
                  "cells": arr.size, "rss_before": before, "maxrss_before": maxrss_before,
                  "maxrss_after": peak, "peak_reset": reset}))
'''


def run_child(path: str, tool: str, src: list[tuple[int, int]], timeout: float) -> dict:
    try:
        p = subprocess.run([sys.executable, "-c", CHILD, path, tool, json.dumps(src)],
                           capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    if p.returncode != 0:
        return {"error": f"exit {p.returncode}: {p.stderr.strip()[-300:]}"}
    out = json.loads(p.stdout.strip().splitlines()[-1])
    print(f"  [{tool}] rss before {out['rss_before'] / 2**20:.0f} MiB, peak before (load "
          f"transient) {out['maxrss_before'] / 2**20:.0f} MiB, peak of the call "
          f"{out['maxrss_after'] / 2**20:.0f} MiB (peak counter reset: {out['peak_reset']})",
          flush=True)
    return out


GRASS_SCRIPT = r'''
import json, os, subprocess, sys, time
starts, memory = sys.argv[1], sys.argv[2]
def call(*args):
    subprocess.run(list(args), check=True, capture_output=True)
call("r.in.gdal", "-o", "input=res.tif", "output=res", "--q")
call("g.region", "raster=res")
t0 = time.perf_counter()
p = subprocess.Popen(["r.cost", "input=res", "output=cost", f"start_coordinates={starts}",
                      f"memory={memory}", "--q"])
_, status, ru = os.wait4(p.pid, 0)
dt = time.perf_counter() - t0
assert status == 0, status
call("r.out.gdal", "-c", "input=cost", "output=cost.tif", "type=Float64", "--q", "-f")
print(json.dumps({"time_s": dt, "cpu_s": ru.ru_utime + ru.ru_stime,
                  "extra_bytes": ru.ru_maxrss * 1024}))
'''


def run_grass(path: str, src: list[tuple[int, int]], timeout: float,
              memory_mb: int = 8000) -> dict:
    """GRASS r.cost (8 neighbours) on the same raster: wall/CPU time and peak RSS of the
    r.cost process alone (import/export excluded); output saved for the comparison
    (GRASS costs are per cell of the E-W resolution: multiplied by CELL here)."""
    import rasterio
    from rasterio.transform import from_origin

    arr = np.load(path)
    n = arr.shape[0]
    work = Path(tempfile.mkdtemp(prefix="bench_grass_"))
    with rasterio.open(work / "res.tif", "w", driver="GTiff", height=n, width=n, count=1,
                       dtype="float64", crs="EPSG:32642",
                       transform=from_origin(0, n * CELL, CELL, CELL)) as dst:
        dst.write(arr, 1)
    starts = ",".join(f"{c * CELL + CELL / 2},{(n - r) * CELL - CELL / 2}" for r, c in src)
    (work / "run.py").write_text(GRASS_SCRIPT)
    try:
        p = subprocess.run(["grass", "--tmp-location", "EPSG:32642", "--exec", "python3",
                            "run.py", starts, str(memory_mb)], cwd=work, capture_output=True,
                           text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        shutil.rmtree(work, ignore_errors=True)
        return {"error": f"timeout after {timeout:.0f} s"}
    lines = [x for x in p.stdout.splitlines() if x.startswith("{")]
    if p.returncode != 0 or not lines:
        shutil.rmtree(work, ignore_errors=True)
        return {"error": f"exit {p.returncode}: {p.stderr.strip()[-300:]}"}
    out = json.loads(lines[-1])
    out["cells"] = arr.size
    with rasterio.open(work / "cost.tif") as ds:
        np.save(path + ".grass.out.npy", ds.read(1, masked=True).filled(np.nan) * CELL)
    shutil.rmtree(work, ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000])
    ap.add_argument("--timeout", type=float, default=1800.0)
    ap.add_argument("--tools", nargs="+", default=["camigeo", "skimage"],
                    help="camigeo, skimage and/or grass (GRASS r.cost, needs `grass` on PATH)")
    args = ap.parse_args()
    grass = "found" if shutil.which("grass") else "not installed"
    print(f"cpus={os.cpu_count()} grass_r_cost={grass}")
    tmp = Path(tempfile.mkdtemp(prefix="bench_cd_"))
    for n in args.sizes:
        arr = fractal_resistance(n)
        path = str(tmp / f"res_{n}.npy")
        np.save(path, arr)
        del arr
        src = sources_rc(n)
        res = {t: (run_grass(path, src, args.timeout) if t == "grass" else
                   run_child(path, t, src, args.timeout)) for t in args.tools}
        line = [f"n={n}x{n}"]
        for t, v in res.items():
            if "error" in v:
                line.append(f"{t}: {v['error']}")
            else:
                line.append(f"{t}: {v['time_s']:.2f} s wall / {v['cpu_s']:.2f} s CPU, "
                            f"peak +{v['extra_bytes'] / 2**20:.0f} MiB "
                            f"({v['extra_bytes'] / v['cells']:.1f} B/cell)")
        for peer in ("skimage", "grass"):
            if peer not in res or "camigeo" not in res or \
                    any("error" in res[t] for t in ("camigeo", peer)):
                continue
            a = np.load(path + ".camigeo.out.npy")
            b = np.load(path + f".{peer}.out.npy")
            b = np.where(np.isinf(b), np.nan, b)
            ok = ~np.isnan(b)
            rel = float(np.nanmax(np.abs(a[ok] - b[ok]) / np.maximum(b[ok], 1e-300)))
            line.append(f"time ratio camigeo/{peer} = "
                        f"{res['camigeo']['time_s'] / res[peer]['time_s']:.3f} wall, "
                        f"{res['camigeo']['cpu_s'] / res[peer]['cpu_s']:.3f} CPU; "
                        f"max rel diff = {rel:.1e}")
        print(" | ".join(line), flush=True)
        for f in tmp.glob(f"res_{n}*"):
            f.unlink()
    tmp.rmdir()


if __name__ == "__main__":
    main()
