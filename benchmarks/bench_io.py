"""Benchmark: the validated I/O path against the plain library calls it wraps.

Synthetic, seeded inputs in a temporary folder:

1. ``read_layer(kind="infrastructure")`` on N lines (default 200,000; 3 vertices, the full
   infrastructure schema) in a GeoPackage vs ``pyogrio.read_dataframe`` of the same layer
   (peer: the read alone, no validation or normalization).
2. ``read_movebank`` on a dash-style Movebank CSV of M fixes (default 1,000,000; 20
   individuals) vs the plain pandas/geopandas recipe (``pd.read_csv``, ``pd.to_datetime(utc=
   True)``, ``points_from_xy``, sort by individual and time), without checks.
3. ``write_layer`` of N points into a GeoPackage that already holds the N-line layer (atomic:
   copy, write, ``os.replace``) vs ``pyogrio.write_dataframe`` into the same file in place
   (not atomic).

4. ``read_osm`` on a PBF of K ways (default 100,000; 3 nodes each; mixed railway, highway,
   barrier, man_made, waterway and unrelated tags) written with pyosmium vs pyrosm's
   ``get_data_by_custom_criteria`` with the same filter alone (peer: no mapping, no
   validation).

Peak memory: peak RSS during the call minus RSS before it (psutil sampler, 10 ms).

Usage: ``python benchmarks/bench_io.py [--n 200000] [--m 1000000] [--k 100000]``
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from _measure import measure  # benchmarks/_measure.py (run as a script)

from camigeo.io.layers import read_layer, write_layer
from camigeo.io.movebank import read_movebank


def make_lines(n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    x0 = rng.uniform(50, 120, n)
    y0 = rng.uniform(35, 52, n)
    coords = np.stack([np.stack([x0 + 0.01 * k, y0 + 0.005 * k * (-1) ** k], axis=1)
                       for k in range(3)], axis=1)
    types = rng.choice(["railway", "road", "fence", "border_fence", "pipeline"], n)
    fenced = np.isin(types, ["fence", "border_fence"])
    return gpd.GeoDataFrame({
        "infra_id": [f"l{i}" for i in range(n)], "infra_type": types, "name": "x",
        "status": "existing", "fenced": fenced,
        "fence_class": np.where(fenced, "unknown", None), "countries": "KAZ; UZB",
        "length_reported_km": np.nan, "year": pd.array([None] * n, dtype="Int64"),
        "source": "synthetic", "accuracy_km": 1.0},
        geometry=shapely.linestrings(coords), crs=4326)


def make_movebank(path: Path, m: int, rng: np.random.Generator) -> None:
    ids = np.repeat([f"ind{i:02d}" for i in range(20)], m // 20)
    t = pd.Timestamp("2019-01-01") + pd.to_timedelta(np.tile(np.arange(m // 20) * 2, 20), "h")
    df = pd.DataFrame({"event-id": np.arange(len(ids)), "timestamp":
                       t.strftime("%Y-%m-%d %H:%M:%S.000"),
                       "location-long": rng.uniform(50, 120, len(ids)).round(7),
                       "location-lat": rng.uniform(35, 52, len(ids)).round(7),
                       "individual-local-identifier": ids}).sample(frac=1, random_state=0)
    df.to_csv(path, index=False)


def plain_movebank(path: Path) -> gpd.GeoDataFrame:
    df = pd.read_csv(path, dtype={"individual-local-identifier": str})
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True)
    gdf = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["location-long"],
                                                           df["location-lat"]), crs=4326)
    return gdf.sort_values(["individual-local-identifier", "timestamp"], ignore_index=True)


def make_pbf(path: Path, k: int, rng: np.random.Generator) -> None:
    import osmium

    tags = [{"railway": "rail"}, {"highway": "primary"}, {"highway": "track"},
            {"highway": "residential"}, {"barrier": "fence"}, {"man_made": "pipeline"},
            {"waterway": "canal"}, {"building": "yes"}]
    writer = osmium.SimpleWriter(str(path))
    lon = rng.uniform(50, 120, 3 * k).round(6)
    lat = rng.uniform(35, 52, 3 * k).round(6)
    for i in range(3 * k):
        writer.add_node(osmium.osm.mutable.Node(id=i + 1, location=(lon[i], lat[i]), version=1,
                                                tags={}))
    kinds = rng.integers(0, len(tags), k)
    for w in range(k):
        writer.add_way(osmium.osm.mutable.Way(id=w + 1, nodes=[3 * w + 1, 3 * w + 2, 3 * w + 3],
                                              version=1, tags=tags[kinds[w]]))
    writer.close()


def plain_pyrosm(path: Path) -> gpd.GeoDataFrame:
    import pyrosm

    from camigeo.io.osm import OSM_TAG_MAP

    osm = pyrosm.OSM(str(path), progress=False)
    return osm.get_data_by_custom_criteria(
        custom_filter={k: list(v) for k, v in OSM_TAG_MAP.items()}, filter_type="keep",
        tags_as_columns=[*OSM_TAG_MAP, "name", "construction", "proposed"], keep_nodes=False,
        keep_ways=True, keep_relations=False)


def report(label: str, ours: tuple, peer: tuple) -> None:
    _, t1, m1 = ours
    _, t2, m2 = peer
    print(f"{label}: camigeo {t1:.2f} s (+{m1:.0f} MiB) | peer {t2:.2f} s (+{m2:.0f} MiB) "
          f"| ratio camigeo/peer {t1 / t2:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--m", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=100_000)
    args = parser.parse_args()
    rng = np.random.default_rng(42)
    tmp = Path(tempfile.mkdtemp())
    try:
        lines = make_lines(args.n, rng)
        gpkg = tmp / "atlas.gpkg"
        pyogrio.write_dataframe(lines, gpkg, layer="infrastructure")
        peer = measure(pyogrio.read_dataframe, gpkg, layer="infrastructure")
        ours = measure(read_layer, gpkg, kind="infrastructure")
        assert len(ours[0]) == len(peer[0]) == args.n
        report(f"read_layer infrastructure, {args.n:,} lines", ours, peer)

        csv = tmp / "fixes.csv"
        make_movebank(csv, args.m, rng)
        peer = measure(plain_movebank, csv)
        ours = measure(read_movebank, csv)
        assert len(ours[0]) == len(peer[0])
        assert (ours[0]["timestamp"].to_numpy() == peer[0]["timestamp"].to_numpy()).all()
        report(f"read_movebank, {args.m:,} fixes", ours, peer)

        points = gpd.GeoDataFrame({"v": np.arange(args.n)}, crs=4326,
                                  geometry=gpd.points_from_xy(rng.uniform(50, 120, args.n),
                                                              rng.uniform(35, 52, args.n)))
        plain = tmp / "plain.gpkg"
        shutil.copyfile(gpkg, plain)
        peer = measure(pyogrio.write_dataframe, points, plain, layer="points")
        ours = measure(write_layer, points, gpkg, "points")
        report(f"write_layer {args.n:,} points next to {args.n:,} lines (atomic copy)",
               ours, peer)

        from camigeo.io.osm import read_osm

        pbf = tmp / "synthetic.osm.pbf"
        make_pbf(pbf, args.k, rng)
        pbf2 = tmp / "synthetic2.osm.pbf"  # separate copies: no cache shared between runs
        shutil.copyfile(pbf, pbf2)
        warm = tmp / "warm.osm.pbf"  # first pyrosm call in a process pays one-off costs
        make_pbf(warm, 100, rng)
        plain_pyrosm(warm)
        read_osm(warm)
        ours = measure(read_osm, pbf)
        peer = measure(plain_pyrosm, pbf2)
        assert len(ours[0]) == len(peer[0]) - int((peer[0]["highway"] == "residential").sum())
        report(f"read_osm, {args.k:,} ways", ours, peer)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
