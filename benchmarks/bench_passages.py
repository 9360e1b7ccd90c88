"""Benchmark: ``rank_passages`` on one machine vs with ``scheduler=`` (Dask).

Synthetic, seeded input: an N x N resistance grid (default 600, 100 m cells, resistance
1-10) cut by a north-south fence (one column of resistance 2000) with four cores on either side; K
candidate openings along the fence (default 40, 1 km wide). The peer is the single-machine
run of the same function. Both tables must be equal (checked). The Dask runs use the
threaded scheduler and a LocalCluster with 2 single-threaded worker processes.

Usage: ``python benchmarks/bench_passages.py [--n 600] [--k 40]``
"""

from __future__ import annotations

import argparse
import os

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from _measure import measure  # benchmarks/_measure.py (run as a script)

from camigeo import Raster
from camigeo.corridors import corridor_links, rank_passages

CRS = "EPSG:32642"


def make(n: int, k: int):
    cell = 100.0
    a = np.random.default_rng(1).uniform(1.0, 10.0, (n, n))
    a[:, n // 2] = 2000.0  # the fence: passable at a high cost
    r = Raster.from_array(a, cellsize=cell, crs=CRS, nodata=np.nan)
    side = n * cell
    boxes = []
    for q in range(4):
        y0 = (q + 0.25) * side / 4
        boxes += [shapely.box(0.05 * side, y0, 0.15 * side, y0 + 0.1 * side),
                  shapely.box(0.85 * side, y0, 0.95 * side, y0 + 0.1 * side)]
    cores = gpd.GeoDataFrame({"core_id": range(1, 9)}, geometry=boxes, crs=CRS)
    x = (n // 2 + 0.5) * cell
    fence = gpd.GeoDataFrame(geometry=[shapely.LineString([(x, 0), (x, side)])], crs=CRS)
    ys = (np.arange(k) + 0.5) * side / k
    cand = gpd.GeoDataFrame({"cand": range(k)}, geometry=shapely.points(np.full(k, x), ys),
                            crs=CRS)
    return r, cores, fence, cand


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--k", type=int, default=40)
    args = ap.parse_args()
    r, cores, fence, cand = make(args.n, args.k)
    links = corridor_links(cores, r, adjacency="both")
    kw = {"barriers": fence, "resistance": r, "cores": cores, "links": links,
          "width_m": 1000.0, "passage_resistance": 1.0}
    print(f"{args.n} x {args.n} cells, {len(links)} links, {args.k} candidates, "
          f"{os.cpu_count()} CPUs")
    plain, t0, m0 = measure(rank_passages, cand, **kw)
    print(f"single machine      : {t0:6.2f} s  +{m0:5.0f} MiB")
    thr, t1, m1 = measure(rank_passages, cand, scheduler="threads", **kw)
    print(f"scheduler='threads' : {t1:6.2f} s  +{m1:5.0f} MiB  ratio {t1 / t0:.2f}")
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as lc, Client(lc) as client:
        dist, t2, m2 = measure(rank_passages, cand, scheduler=client, **kw)
    print(f"LocalCluster 2 x 1  : {t2:6.2f} s  +{m2:5.0f} MiB  ratio {t2 / t0:.2f}")
    cols = ["delta_cw_dist_sum", "delta_cw_dist_max", "rank"]
    for other in (thr, dist):
        pd.testing.assert_frame_equal(pd.DataFrame(other[cols]), pd.DataFrame(plain[cols]),
                                      rtol=1e-12)
    print("tables equal; best opening:", plain.iloc[0][["cand", "delta_cw_dist_sum"]].to_dict())


if __name__ == "__main__":
    main()
