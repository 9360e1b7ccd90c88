"""The bundled infrastructure against its sources: seeds, OSM station nodes, borders.

Non-reference tests use the bundled data only; ``reference`` tests re-read the OSM and seed
files of ``../shared`` (CAMIGEO_SHARED) and recompute what the build derived from them.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.ops
from pyproj import Geod

from camigeo import datasets
from camigeo.io.crs import geodesic_length_km

GEOD = Geod(ellps="WGS84")
CITE = re.compile(r"(\d{3}_[0-9a-f]{16}\.txt):(\d+)(?:-(\d+))?")
#: 003 (Bukhara deer WP) is cited only for where a line crosses a population unit
SEEDS_CITED = {"000_7476e8aba978c2aa.txt", "001_c153f5e17b612971.txt",
               "003_8b0bd1bf03a7167e.txt", "004_aec4fae4ae3a5754.txt"}


def _infra() -> pd.DataFrame:
    return datasets.load_infrastructure().set_index("infra_id")


def _table(name: str) -> pd.DataFrame:
    return pd.read_csv(datasets.data_dir() / "infrastructure" / name, dtype=str,
                       keep_default_na=False)


def _geod_km(lon: np.ndarray, lat: np.ndarray) -> float:
    return float(GEOD.line_length(lon, lat)) / 1000.0


# --------------------------------------------------------------------------- bundled only
def test_fencing_vocabulary_and_evidence():
    i = _infra()
    assert set(i["fencing"]) == {"documented", "undocumented"}
    assert set(i["route"]) <= {"osm_stations", "osm_track", "osm_stations+osm_track",
                               "osm_stations+places", "places", "border_line"}
    bf = i[i["infra_type"] == "border_fence"]
    doc = bf[bf["fencing"] == "documented"]
    # every documented border fence cites a seed file and line
    assert doc["source"].map(lambda s: bool(CITE.search(s))).all()
    assert sorted(doc.index) == ["BF-CHN-MNG-GREATGOBIA", "BF-IRN-TKM-KOPETDAG",
                                 "BF-KAZ-RUS-VOLGAURAL", "BF-KAZ-TKM-MANGISTAU",
                                 "BF-KAZ-UZB-ARALKUM", "BF-KAZ-UZB-USTYURT",
                                 "BF-TKM-UZB-USTYURT"]
    und = bf[bf["fencing"] == "undocumented"]
    assert und["name"].str.endswith("(fencing not documented)").all()
    assert (und["fence_class"] == "unknown").all()
    # documented stretches and the undocumented rest of a border do not overlap
    for fid in doc.index:
        rest = "BF-" + "-".join(fid.split("-")[1:3])
        if rest in und.index:
            shared = shapely.intersection(doc.loc[fid, "geometry"], und.loc[rest, "geometry"])
            assert geodesic_length_km(np.array([shared]))[0] < 0.01, fid
    # Mangistau fence: the 2013 barbed-wire fence of the 2020 newsletter
    assert i.loc["BF-KAZ-TKM-MANGISTAU", "year"] == 2013
    assert "001_c153f5e17b612971.txt:414" in i.loc["BF-KAZ-TKM-MANGISTAU", "source"]


def test_every_line_names_its_seed_or_says_it_is_not_in_the_seeds():
    i = _infra()
    lines = i[i["infra_type"].isin(["railway", "road"])]
    for fid, src in lines["source"].items():
        assert CITE.search(src) or "Not named in the seeds" in src, fid
    for needle, fid in [("Shalkar", "KAZ-RW-ZHEZKAZGAN-BEYNEU"), ("A380", "KAZ-UZB-RD-A380"),
                        ("Trans-Mongolian", "MNG-RW-TRANSMONGOLIAN"),
                        ("Zhezkazgan–Karaganda", "KAZ-RD-ZHEZKAZGAN-KARAGANDA")]:
        assert needle in i.loc[fid, "name"]
    planned = i[i["status"] == "planned"]
    assert list(planned.index) == ["MNG-RW-DAURIAN-PLANNED"]
    p = planned.iloc[0]
    assert "000_7476e8aba978c2aa.txt:404" in p["source"] and "INDICATIVE" in p["source"]
    assert p["accuracy_km"] >= 100 and np.isnan(p["length_reported_km"])


def test_border_ports_on_the_mongolian_side_and_at_the_line_ends():
    i = _infra()
    sites = datasets.load_infrastructure_sites().set_index("site_id")
    mng = datasets.load_countries().set_index("iso3").loc["MNG", "geometry"]
    chn = datasets.load_countries().set_index("iso3").loc["CHN", "geometry"]
    ends = {"MNG-PORT-GASHUUNSUKHAIT": "MNG-RW-TT-GASHUUNSUKHAIT",
            "MNG-PORT-KHANGI": "MNG-RW-ZUUNBAYAN-KHANGI",
            "MNG-PORT-ZAMYNUUD": "MNG-RW-TRANSMONGOLIAN"}
    for sid, fid in ends.items():
        port = sites.loc[sid, "geometry"]
        assert mng.contains(port) and not chn.contains(port), sid
        last = shapely.get_coordinates(i.loc[fid, "geometry"])[-1]
        np.testing.assert_allclose(last, [port.x, port.y], atol=1e-4)
        assert sites.loc[sid, "infra_id"] == fid
    # Gashuun Sukhait: within 1.5 km of the border (placed 1 km inside it)
    gs = sites.loc["MNG-PORT-GASHUUNSUKHAIT", "geometry"]
    border = datasets.load_borders().set_index("border_id").loc["CHN-MNG", "geometry"]
    near = shapely.line_interpolate_point(border, shapely.line_locate_point(border, gs))
    assert GEOD.inv(gs.x, gs.y, near.x, near.y)[2] == pytest.approx(1000.0, abs=500.0)


def test_sites_layer_links_and_locations():
    i = _infra()
    sites = datasets.load_infrastructure_sites()
    assert sites["site_id"].is_unique and str(sites.crs) == "EPSG:4326"
    located = sites.geometry.notna()
    assert (sites.loc[located, "location"].isin(["station", "border_side"])).all()
    assert (sites.loc[~located, "location"] == "not_documented").all()
    assert (sites.loc[located].geom_type == "Point").all()
    for ids in sites["infra_id"]:
        for fid in filter(None, (s.strip() for s in ids.split(";"))):
            assert fid in i.index, fid
    assert sites["source"].map(lambda s: bool(CITE.search(s)) or "domain_methods" in s).all()
    # the 2020 newsletter's fence-corridor pilot: 3 sites, 4 km, since December 2018
    pilot = sites.set_index("site_id").loc["MIT-TM-FENCE-CORRIDOR-PILOT"]
    assert pilot["year"] == 2018 and pilot["status"] == "existing"
    assert pilot["location"] == "not_documented"


def test_lines_pass_their_documented_waypoints():
    """Waypoints are vertices of their line, except stations inside a stretch routed through
    the OSM track, which the route passes within 1 km (the track, not the station node)."""
    i = _infra()
    way = _table("waypoints.csv")
    way[["part", "seq"]] = way[["part", "seq"]].astype(int)
    n_given = 0
    for fid, w in way.groupby("infra_id"):
        parts = list(shapely.get_parts(i.loc[fid, "geometry"]))
        assert len(parts) == w["part"].nunique(), fid
        for (_, p), line in zip(w.groupby("part"), parts, strict=True):
            p = p.sort_values("seq")
            inside = (p["leg"] == "track") & (p["leg"].shift(1) == "track")
            coords = shapely.get_coordinates(line)
            assert len(coords) >= len(p)
            for r in p[p["lon"] != ""].itertuples():  # dm/k places: given coordinates
                n_given += 1
                d = np.hypot(*(coords - [float(r.lon), float(r.lat)]).T).min()
                assert d < 2e-4, (fid, r.place)
            if inside.any():
                assert p["ref"].str.startswith("osm:").all()
    assert n_given >= 5


def test_transmongolian_length_settled():
    """1,115 km reported; the chain through 59 OSM station nodes and 2 towns is a lower
    bound within -15 %, and its ends lie within 10 km of the two borders."""
    tm = _infra().loc["MNG-RW-TRANSMONGOLIAN"]
    km = geodesic_length_km(np.array([tm.geometry]))[0]
    assert 1115 * 0.85 <= km < 1115
    coords = shapely.get_coordinates(tm.geometry)
    assert len(coords) == 61
    b = datasets.load_borders().set_index("border_id")
    for (x, y), bid in ((coords[0], "MNG-RUS"), (coords[-1], "CHN-MNG")):
        line = b.loc[bid, "geometry"]
        q = shapely.line_interpolate_point(line, shapely.line_locate_point(line,
                                                                           shapely.Point(x, y)))
        assert GEOD.inv(x, y, q.x, q.y)[2] < 10_000.0, bid


# --------------------------------------------------------------------------- reference
@pytest.mark.reference
def test_station_vertices_are_the_osm_nodes(reference_dir: Path):
    """Every ``osm:`` waypoint is a vertex of its line at the node's position (recomputed
    from the CSV/GeoPackage here), and the station-chain lengths equal pyproj's."""
    import pyogrio

    osm = reference_dir / "osm"
    nodes = pd.concat([pd.read_csv(osm / f, dtype={"osm_id": str})[["osm_id", "lon", "lat"]]
                       for f in ("hotosm_mng_railway_stations_subset.csv",
                                 "hotosm_kaz_railway_stations_subset.csv")])
    ov = pyogrio.read_dataframe(osm / "central_asia_osm_railways.gpkg",
                                layer="railway_stations_overpass")
    nodes = pd.concat([nodes, pd.DataFrame({"osm_id": ov["osm_id"].astype("int64").astype(str),
                                            "lon": ov.geometry.x, "lat": ov.geometry.y})])
    nodes = nodes.drop_duplicates("osm_id").set_index("osm_id")
    i = _infra()
    way = _table("waypoints.csv")
    inside = (way["leg"] == "track") & (way["leg"].shift(1) == "track") & (
        way["infra_id"] == way["infra_id"].shift(1))
    for r, in_track in zip(way.itertuples(), inside, strict=True):
        if not r.ref.startswith("osm:"):
            continue
        lon, lat = nodes.loc[r.ref[4:], ["lon", "lat"]]
        geom = i.loc[r.infra_id, "geometry"]
        if in_track:  # the OSM track passes the station node
            near = shapely.ops.nearest_points(geom, shapely.Point(lon, lat))[0]
            assert GEOD.inv(lon, lat, near.x, near.y)[2] < 1000.0, (r.infra_id, r.place)
        else:
            coords = shapely.get_coordinates(geom)
            assert np.hypot(*(coords - [lon, lat]).T).min() < 1e-4, (r.infra_id, r.place)
    for fid in ("MNG-RW-TT-ZUUNBAYAN", "KAZ-RW-BEYNEU-MANGISTAU", "KAZ-RW-ARKALYK-SHUBARKOL"):
        w = way[way["infra_id"] == fid].astype({"seq": int}).sort_values("seq")
        xy = nodes.loc[w["ref"].str[4:], ["lon", "lat"]].to_numpy(dtype=float)
        want = _geod_km(xy[:, 0], xy[:, 1])
        got = geodesic_length_km(np.array([i.loc[fid, "geometry"]]))[0]
        assert got == pytest.approx(want, rel=2e-4), fid


@pytest.mark.reference
def test_routed_lines_lie_on_the_osm_track(reference_dir: Path):
    """Lines with ``osm_track`` in ``route``: their vertices lie on the OSM railway ways of
    the reference GeoPackage (within the 1e-4 deg output grid), except the few station
    nodes of straight legs (Beyneu–Kungrad in Kazakhstan, Tejen–Oguzhan)."""
    import pyogrio

    gpkg = reference_dir / "osm" / "central_asia_osm_railways.gpkg"
    ways = pd.concat([pyogrio.read_dataframe(gpkg, layer=lay).geometry
                      for lay in ("uzbekistan_railways", "railways_overpass_tm_af_bbox")])
    tree = shapely.STRtree(ways.values)
    i = _infra()
    routed = i[i["route"].str.contains("osm_track")]
    assert len(routed) >= 5
    for fid, geom in routed["geometry"].items():
        xy = shapely.get_coordinates(geom)
        assert len(xy) > 50, fid
        pts = shapely.points(xy)
        d = shapely.distance(pts, ways.values[tree.nearest(pts)])
        assert (d < 2e-4).mean() > 0.97, fid
        assert (d >= 2e-4).sum() <= 3, fid


@pytest.mark.reference
def test_cited_seed_lines_exist_and_say_what_is_claimed(reference_dir: Path):
    seeds = reference_dir.parent / "seeds"
    text = {p.name: p.read_text(encoding="utf-8").splitlines() for p in seeds.glob("*.txt")}
    sources = [*_table("lines.csv")["source"], *_table("border_fences.csv")["source"],
               *_table("sites.csv")["source"]]
    n = 0
    for src in sources:
        for f, a, b in CITE.findall(src):
            assert f in text, f
            lo, hi = int(a), int(b or a)
            assert 1 <= lo <= hi <= len(text[f]), (f, lo, hi)
            assert "".join(text[f][lo - 1:hi]).strip(), (f, lo, hi)
            n += 1
    assert n >= 40
    assert {f for s in sources for f, _, _ in CITE.findall(s)} == SEEDS_CITED

    # spot checks: the year / fact each feature takes from the cited lines
    checks = [("001_c153f5e17b612971.txt", 414, 417, ["2013", "barbed", "eight"]),
              ("001_c153f5e17b612971.txt", 225, 230, ["three locations", "December 2018",
                                                      "May 2019", "700m", "500m"]),
              ("000_7476e8aba978c2aa.txt", 404, 404, ["planned railway", "fencing"]),
              ("000_7476e8aba978c2aa.txt", 425, 425, ["Trans-Mongolian", "Tavan Tolgoi",
                                                      "Zuun Bayan", "Khangai"]),
              ("004_aec4fae4ae3a5754.txt", 604, 604, ["Shalkar-Beyneu", "A380 Kungrad-Beyneu",
                                                      "Kazakhstan-Uzbek border"]),
              ("004_aec4fae4ae3a5754.txt", 402, 402, ["May 2024", "barbed wire"]),
              ("001_c153f5e17b612971.txt", 550, 565, ["almost fully fenced",
                                                      "no physical border fence"]),
              ("000_7476e8aba978c2aa.txt", 317, 317, ["border fence"])]
    for f, lo, hi, words in checks:
        t = " ".join(text[f][lo - 1:hi])
        for w in words:
            assert w in t, (f, lo, w)


@pytest.mark.reference
@pytest.mark.slow
def test_rebuild_infrastructure_gives_identical_files(tmp_path: Path, reference_dir: Path):
    """``build_data.py infrastructure`` rebuilds the committed files byte for byte."""
    import datetime as dt
    import hashlib
    import os
    import subprocess
    import sys

    src = datasets.data_dir()
    script = Path(datasets.__file__).resolve().parents[2] / "scripts" / "build_data.py"
    if not script.is_file():
        pytest.skip("scripts/build_data.py is not available (installed package)")
    work = tmp_path / "data"
    shutil.copytree(src, work)
    manifest = json.loads((src / "infrastructure" / "MANIFEST.json").read_text())
    day = dt.datetime.fromisoformat(manifest["build_date"]).replace(tzinfo=dt.UTC)
    env = dict(os.environ, CAMIGEO_BUILD_DATA_DIR=str(work),
               SOURCE_DATE_EPOCH=str(int(day.timestamp())),
               CAMIGEO_SHARED=str(reference_dir.parent))
    subprocess.run([sys.executable, str(script), "infrastructure"], check=True, env=env,
                   capture_output=True, cwd=tmp_path, timeout=300)
    for path in sorted((src / "infrastructure").iterdir()):
        got = hashlib.sha256((work / "infrastructure" / path.name).read_bytes()).hexdigest()
        assert got == hashlib.sha256(path.read_bytes()).hexdigest(), path
    # the manifest records the sha256 of every reference input
    inputs = {d["file"]: d["sha256"] for s in manifest["sources"] for d in s.get("inputs", [])}
    for rel, sha in inputs.items():
        p = reference_dir.parent / rel
        assert hashlib.sha256(p.read_bytes()).hexdigest() == sha, rel
