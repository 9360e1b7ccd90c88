"""Build the SYNTHETIC example collar data set ``data/tracks/`` (not real animals).

Run: ``python scripts/data_tracks.py`` (after the bundled PTCRs and infrastructure exist).

Why synthetic: no collar data set with a licence that allows bundling was available, and
real locations of threatened ungulates are sensitive. These tracks exist so that notebook
03, ``camigeo run --tracks`` and the migration-corridor tools have something to run on; they
say nothing about any real animal. The file is ``collars_synthetic.csv``, every animal id
starts with ``SYN-`` and the manifest says ``"synthetic": true``.

Design (all derived from the bundled data, nothing hard-coded by region name):

* the barrier is the longest *existing* infrastructure line with documented fencing inside
  a PTCR (a documented border fence or a fenced railway); the PTCR is the one holding the
  longest part of it; the species is the migratory ungulate whose indicative range covers
  most of that PTCR;
* two seasonal areas 35 km either side of the barrier's midpoint (inside the PTCR): the
  animals winter on one side and summer on the other, so each spring and autumn migration
  meets the barrier;
* six animals, a fix every 4 hours from 1 March to 30 November 2024 (UTC); ranging around
  the seasonal centre (Ornstein-Uhlenbeck, ~4 km), migrating at ~25 km/day, slowing to
  ~1 km per fix within 3 km of the barrier; at the barrier they behave differently:
  SYN-01 and SYN-02 cross at once, SYN-03 bounces back twice before crossing, SYN-04
  walks along the barrier for two days before crossing, SYN-05 does not cross in spring (it
  stays near the barrier for three weeks and returns), SYN-06 crosses after a short trace;
* fixed random seed: reruns give identical bytes.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from data_common import DATA, build_date  # noqa: E402

OUT = DATA / "tracks"
SEED = 20240301
STEP_H = 4
START = pd.Timestamp("2024-03-01T00:00:00Z")
END = pd.Timestamp("2024-11-30T20:00:00Z")
STUDY = "SYNTHETIC camigeo example - not real animals"


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _setting() -> dict:
    from camigeo import datasets
    from camigeo.atlas.names import fencing_status

    p = datasets.load_ptcrs()
    inf = datasets.load_infrastructure()
    inf = inf[(fencing_status(inf) == "documented") & (inf["status"] == "existing")]
    best = None
    for rec in inf.itertuples():
        for pr in p.itertuples():
            part = rec.geometry.intersection(pr.geometry)
            if part.is_empty:
                continue
            crs = CRS.from_proj4(f"+proj=aeqd +lat_0={part.centroid.y} "
                                 f"+lon_0={part.centroid.x} +datum=WGS84 +units=m")
            tr = Transformer.from_crs(4326, crs, always_xy=True)
            length = shapely.transform(part, lambda xy, t=tr: np.column_stack(
                t.transform(xy[:, 0], xy[:, 1]))).length
            if best is None or length > best[0]:
                best = (length, rec, pr)
    if best is None:
        raise SystemExit("no documented fenced line inside a PTCR: cannot place the tracks")
    _, line, region = best
    sp = datasets.load_species()
    mig = sp.loc[sp["migratory_ungulate"].astype(str).str.lower().isin(["true", "1"]),
                 "cms_name"].tolist()
    rng = datasets.load_ranges()
    cover = {s: float(rng[rng["sci_name"] == s].union_all().intersection(region.geometry)
                      .area) if (rng["sci_name"] == s).any() else 0.0 for s in mig}
    species = max(sorted(cover), key=lambda s: cover[s])
    return {"line": line, "region": region, "species": species}


def _ou(rng: np.random.Generator, start: np.ndarray, centre: np.ndarray, n: int,
        sd_m: float = 4000.0, theta: float = 0.08) -> np.ndarray:
    pts = np.empty((n, 2))
    x = start.astype(float).copy()
    for k in range(n):
        x = x + theta * (centre - x) + rng.normal(0.0, sd_m * np.sqrt(2 * theta), 2)
        pts[k] = x
    return pts


def _walk_to(rng: np.random.Generator, start: np.ndarray, goal: np.ndarray,
             barrier: shapely.LineString, behaviour: str, crossing: bool) -> np.ndarray:
    """Directed movement from start to goal, with the chosen behaviour at the barrier."""
    pts = []
    x = start.astype(float).copy()
    side0 = np.sign(_side(barrier, x))
    done = False
    guard = 0
    while np.hypot(*(goal - x)) > 4000.0 and guard < 400:
        guard += 1
        d = float(barrier.distance(shapely.Point(x)))
        speed = 4200.0 if d > 3000.0 else 900.0
        step = (goal - x) / np.hypot(*(goal - x)) * speed + rng.normal(0, 300.0, 2)
        nxt = x + step
        hits = np.sign(_side(barrier, nxt)) != side0
        if hits and not done:
            near = _project(barrier, x, 350.0 * side0)
            if behaviour == "bounce":
                pts += [near, near - step * 3, near - step * 1.5, _project(barrier, near, 300.0
                                                                            * side0),
                        near - step * 2.5]
            elif behaviour == "trace" or behaviour == "short_trace":
                s0 = barrier.project(shapely.Point(near))
                n = 12 if behaviour == "trace" else 3
                for k in range(1, n + 1):
                    q = barrier.interpolate(s0 + k * 1800.0)
                    pts.append(_project(barrier, np.array([q.x, q.y]), 350.0 * side0))
                x = pts[-1]
            elif behaviour == "stay":
                for _ in range(6 * 21):  # three weeks near the barrier, never across
                    q = _project(barrier, near + rng.normal(0, 1500.0, 2), 0.0)
                    off = 500.0 + abs(rng.normal(0, 2500.0))
                    pts.append(_project(barrier, q, off * side0))
                return np.asarray(pts)
            if not crossing:
                return np.asarray(pts)
            done = True
            cross = _project(barrier, x if behaviour not in ("trace", "short_trace") else
                             pts[-1], -600.0 * side0)
            pts.append(cross)
            x = cross
            continue
        x = nxt
        pts.append(x.copy())
    return np.asarray(pts)


def _side(line: shapely.LineString, x: np.ndarray) -> float:
    """Signed side of point x relative to the line (cross product at the nearest part)."""
    s = line.project(shapely.Point(x))
    a = line.interpolate(max(0.0, s - 50.0))
    b = line.interpolate(min(line.length, s + 50.0))
    return float((b.x - a.x) * (x[1] - a.y) - (b.y - a.y) * (x[0] - a.x))


def _project(line: shapely.LineString, x: np.ndarray, offset_m: float) -> np.ndarray:
    """Point on the line nearest x, moved ``offset_m`` to the positive/negative side."""
    s = line.project(shapely.Point(x))
    p = line.interpolate(s)
    a = line.interpolate(max(0.0, s - 50.0))
    b = line.interpolate(min(line.length, s + 50.0))
    t = np.array([b.x - a.x, b.y - a.y])
    n = np.array([-t[1], t[0]]) / max(np.hypot(*t), 1e-9)
    return np.array([p.x, p.y]) + n * offset_m


def main() -> int:
    st = _setting()
    line, region, species = st["line"], st["region"], st["species"]
    part = line.geometry.intersection(region.geometry)
    mid = part.interpolate(0.5, normalized=True) if part.geom_type == "LineString" else \
        max(part.geoms, key=lambda g: g.length).interpolate(0.5, normalized=True)
    crs = CRS.from_proj4(f"+proj=aeqd +lat_0={mid.y} +lon_0={mid.x} +datum=WGS84 +units=m")
    fwd = Transformer.from_crs(4326, crs, always_xy=True)
    inv = Transformer.from_crs(crs, 4326, always_xy=True)
    bar = shapely.transform(line.geometry, lambda xy: np.column_stack(
        fwd.transform(xy[:, 0], xy[:, 1])))
    if bar.geom_type == "MultiLineString":
        bar = shapely.line_merge(bar)
        if bar.geom_type == "MultiLineString":
            bar = min(bar.geoms, key=lambda g: g.distance(shapely.Point(0, 0)))
    reg = shapely.transform(region.geometry, lambda xy: np.column_stack(
        fwd.transform(xy[:, 0], xy[:, 1])))
    n = _project(bar, np.zeros(2), 1.0)
    n = n / np.hypot(*n)
    dist = 35000.0
    while dist > 12000.0 and not (reg.contains(shapely.Point(n * dist))
                                  and reg.contains(shapely.Point(-n * dist))):
        dist -= 2500.0
    winter, summer = -n * dist, n * dist
    times = pd.date_range(START, END, freq=f"{STEP_H}h")
    rng = np.random.default_rng(SEED)
    plan = {"SYN-01": "quick", "SYN-02": "quick", "SYN-03": "bounce", "SYN-04": "trace",
            "SYN-05": "stay", "SYN-06": "short_trace"}
    rows = []
    for k, (aid, beh) in enumerate(plan.items()):
        depart = 40 * 6 + int(rng.integers(0, 30))  # fixes: ~10 April
        back = 200 * 6 + int(rng.integers(0, 30))    # ~17 September
        track = [_ou(rng, winter + rng.normal(0, 3000, 2), winter, depart)]
        spring = _walk_to(rng, track[-1][-1], summer, bar, beh, crossing=beh != "stay")
        track.append(spring)
        home = summer if beh != "stay" else winter
        n_sum = back - sum(len(t) for t in track)
        track.append(_ou(rng, track[-1][-1], home, max(n_sum, 1)))
        if beh != "stay":
            track.append(_walk_to(rng, track[-1][-1], winter, bar,
                                  "quick" if k % 2 else "bounce", crossing=True))
        rest = len(times) - sum(len(t) for t in track)
        track.append(_ou(rng, track[-1][-1], winter, max(rest, 1)))
        xy = np.vstack(track)[: len(times)]
        lon, lat = inv.transform(xy[:, 0], xy[:, 1])
        for t, x, y in zip(times[: len(xy)], lon, lat, strict=True):
            rows.append((aid, t, x, y))
    df = pd.DataFrame(rows, columns=["individual-local-identifier", "ts", "location-long",
                                     "location-lat"])
    df.insert(0, "event-id", np.arange(1, len(df) + 1))
    df.insert(1, "timestamp", df.pop("ts").dt.strftime("%Y-%m-%d %H:%M:%S.000"))
    df["location-long"] = df["location-long"].round(5)
    df["location-lat"] = df["location-lat"].round(5)
    df["individual-taxon-canonical-name"] = species
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "collars_synthetic.csv"
    df.to_csv(path, index=False, lineterminator="\n")
    inputs = {}
    from camigeo import datasets

    for name in ("ptcr", "infrastructure", "ranges", "species"):
        pth = datasets.get_path(name)
        inputs[name] = {"file": str(pth.relative_to(DATA)), "sha256": _sha(pth)}
    manifest = {
        "dataset": "tracks", "build_date": build_date(), "built_by": "scripts/data_tracks.py",
        "synthetic": True, "study": STUDY, "licence": "CC0 (synthetic, generated by camigeo)",
        "crs": "EPSG:4326", "seed": SEED, "fix_interval_h": STEP_H,
        "barrier": {"infra_id": str(line.infra_id), "name": str(line.name),
                    "infra_type": str(line.infra_type)},
        "ptcr": {"ptcr_id": int(region.ptcr_id), "name": str(region.name)},
        "species": species, "seasonal_area_offset_km": dist / 1000.0,
        "behaviour_at_barrier": plan, "inputs": inputs,
        "files": [{"file": path.name, "sha256": _sha(path), "rows": len(df),
                   "individuals": int(df["individual-local-identifier"].nunique())}],
    }
    (OUT / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"{len(df)} synthetic fixes of {len(plan)} animals near {line.name} "
          f"(PTCR {region.ptcr_id} {region.name}, {species}) -> {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
