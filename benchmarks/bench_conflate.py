"""Benchmark: ``conflate_lines`` against the same routing done with networkx.

Synthetic, seeded input: a winding ~780 km "railway" of N vertices (default 200,000)
cut into ways of 50 vertices, plus S dead-end sidings (default 2,000), and a schematic line
through 11 of its vertices. Both sides route from the vertex nearest the schematic start to
the one nearest its end inside the same 20 km corridor:

- camigeo: ``conflate_lines`` (numpy vertex table, scipy csgraph Dijkstra), everything
  included (corridor, clipping, snapping, provenance);
- peer: the textbook recipe -- the same clipped pieces in the same local CRS, a
  ``networkx.Graph`` with one edge per segment (coordinate tuples as nodes), nearest nodes
  by a linear scan, ``networkx.shortest_path(weight="length")``.

Both routes must have the same length (checked). Peak memory: peak RSS during the call
minus RSS before it (psutil sampler, 10 ms).

Usage: ``python benchmarks/bench_conflate.py [--n 200000] [--sidings 2000]``
"""

from __future__ import annotations

import argparse

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from _measure import measure  # benchmarks/_measure.py (run as a script)
from pyproj import Transformer

from camigeo import conflate_lines
from camigeo.io.crs import WGS84, local_metric_crs


def make_data(n: int, sidings: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    lat = np.linspace(43.7, 50.2, n + 1)
    lon = 106.0 + 0.1 * np.sin(lat * 3) + 0.004 * np.sin(lat * 200)
    track = np.column_stack([lon, lat])
    ways = [track[i:i + 51] for i in range(0, n, 50)]
    sid = [np.array([track[k], track[k] + [0.01, 0.003], track[k] + [0.02, 0.004]])
           for k in rng.integers(0, n, sidings)]
    geoms = [shapely.LineString(w) for w in ways + sid]
    ref = gpd.GeoDataFrame({"infra_type": ["railway"] * len(geoms), "source": "synthetic",
                            "accuracy_km": 0.01}, geometry=geoms, crs=WGS84)
    line = gpd.GeoDataFrame({"infra_type": ["railway"]}, crs=WGS84,
                            geometry=[shapely.LineString(track[:: n // 10])])
    return line, ref


def networkx_route(line: gpd.GeoDataFrame, ref: gpd.GeoDataFrame, corridor_m: float):
    """The same route with networkx (peer)."""
    metric = local_metric_crs(line.geometry.iloc[0])
    back = Transformer.from_crs(metric, WGS84, always_xy=True)
    geom = line.to_crs(metric).geometry.iloc[0]
    corridor = geom.buffer(corridor_m)
    cand = ref.to_crs(metric)
    clipped = cand[cand.intersects(corridor)].intersection(corridor)
    graph = nx.Graph()
    for g in clipped:
        for part in shapely.get_parts(g):
            if part.geom_type != "LineString":
                continue
            c = [tuple(p) for p in shapely.get_coordinates(part)]
            for u, v in zip(c[:-1], c[1:], strict=True):
                graph.add_edge(u, v, length=float(np.hypot(u[0] - v[0], u[1] - v[1])))
    nodes = list(graph.nodes)
    arr = np.array(nodes)
    ends = shapely.get_coordinates(geom)[[0, -1]]
    a, b = (nodes[int(np.argmin(np.hypot(*(arr - e).T)))] for e in ends)
    path = nx.shortest_path(graph, a, b, weight="length")
    xy = np.array(path)
    return shapely.LineString(np.column_stack(back.transform(*xy.T)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--sidings", type=int, default=2_000)
    args = ap.parse_args()
    line, ref = make_data(args.n, args.sidings)
    print(f"reference: {len(ref):,} ways, {args.n + 1:,} track vertices; corridor 20 km")
    # snap_m=0: the peer joins identical vertices only
    out, t_cg, m_cg = measure(conflate_lines, line, ref, corridor_m=20_000, snap_m=0)
    peer, t_nx, m_nx = measure(networkx_route, line, ref, 20_000)
    from camigeo.io.crs import geodesic_length_km

    km_cg = geodesic_length_km(out)[0]
    km_nx = geodesic_length_km(np.array([peer]))[0]
    assert out["geometry_source"].iloc[0] == "reference", out["conflate_note"].iloc[0]
    assert abs(km_cg - km_nx) < 1e-6 * km_nx, (km_cg, km_nx)
    print(f"conflate_lines : {t_cg:6.2f} s  +{m_cg:6.0f} MiB  route {km_cg:,.3f} km")
    print(f"networkx peer  : {t_nx:6.2f} s  +{m_nx:6.0f} MiB  route {km_nx:,.3f} km")
    print(f"ratio camigeo/networkx: {t_cg / t_nx:.2f}")


if __name__ == "__main__":
    main()
