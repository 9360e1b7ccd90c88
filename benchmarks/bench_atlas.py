"""Atlas update cost vs a plain GeoPackage write, and the main job end to end.

Peer: ``GeoDataFrame.to_file`` (pyogrio) of the same layers into a fresh GeoPackage: the
ratio is the price of atomicity (copy -> write -> fsync -> rename), the lock, versioning and
provenance. Also times ``camigeo.pipeline.run_all`` (``camigeo run``) on the bundled data.

Run: ``python benchmarks/bench_atlas.py [n_features] [--no-run]``
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely


def _layer(n: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(50, 120, n)
    y = rng.uniform(35, 52, n)
    dx, dy = rng.normal(0, 0.05, n), rng.normal(0, 0.05, n)
    lines = shapely.linestrings(np.stack([np.stack([x, y], 1), np.stack([x + dx, y + dy], 1)],
                                         1))
    return gpd.GeoDataFrame({"infra_id": [f"s{i}" for i in range(n)],
                             "infra_type": rng.choice(["railway", "road", "fence"], n),
                             "length_km": rng.uniform(0, 10, n)}, geometry=lines, crs=4326)


def _timed(fn):
    tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, wall, cpu, peak


def main() -> None:
    from camigeo import atlas

    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 200_000
    a, b = _layer(n, 1), _layer(n, 2)
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        _, w_peer, c_peer, m_peer = _timed(lambda: (a.to_file(d / "peer.gpkg", layer="x"),
                                                    b.to_file(d / "peer.gpkg", layer="y")))
        _, w1, c1, m1 = _timed(lambda: atlas.update(d / "atlas.gpkg", {"x": a, "y": b}))
        # second update replaces x: old x is kept as x__v1 (read + rewrite) and the file copied
        _, w2, c2, m2 = _timed(lambda: atlas.update(d / "atlas.gpkg", {"x": b}))
        size = (d / "atlas.gpkg").stat().st_size / 2**20
        _, wd, cd, md = _timed(lambda: atlas.diff(d / "peer.gpkg", d / "atlas.gpkg"))
    print(f"features per layer: {n:,}")
    print(f"peer to_file (2 layers):        wall {w_peer:7.2f} s  cpu {c_peer:7.2f} s  "
          f"peak py-mem {m_peer:7.1f} MiB")
    print(f"atlas.update (new, 2 layers):   wall {w1:7.2f} s  cpu {c1:7.2f} s  "
          f"peak py-mem {m1:7.1f} MiB  ratio {w1 / w_peer:5.2f}x")
    print(f"atlas.update (replace 1 layer): wall {w2:7.2f} s  cpu {c2:7.2f} s  "
          f"peak py-mem {m2:7.1f} MiB  (file {size:.0f} MiB)")
    print(f"atlas.diff (2 layers by id):    wall {wd:7.2f} s  cpu {cd:7.2f} s  "
          f"peak py-mem {md:7.1f} MiB")
    if "--no-run" not in sys.argv:
        from camigeo.atlas.pipeline import run_all

        with tempfile.TemporaryDirectory() as d:
            res, w, c, m = _timed(lambda: run_all(out_dir=d, tiles=None))
        print(f"run_all on bundled data:        wall {w:7.2f} s  cpu {c:7.2f} s  "
              f"peak py-mem {m:7.1f} MiB")
        for s in res.steps:
            print(f"   {s.step:<14}{s.status:<8}{s.seconds:7.1f} s")


if __name__ == "__main__":
    main()
