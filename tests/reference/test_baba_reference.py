"""camigeo.telemetry against the BaBA R package's example data and its expected run.

Data: ``../shared/reference/baba`` (BaBA sample data, MIT, Xu et al. 2021; not copied into
the repository). The expected mule deer run (d = 90 m, defaults) is reproduced event by
event; the pronghorn data (d = 110 m, max_cross = 4, as in the package example) and other
parameter sets have no expected file, so their invariants are checked.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from camigeo.telemetry import (
    EVENT_TYPES,
    barrier_permeability,
    classify_encounters,
    crossing_hotspots,
    find_crossings,
    rank_barriers,
    run_telemetry,
)

pytestmark = pytest.mark.reference

CRS = "EPSG:32612"


@pytest.fixture(scope="module")
def baba_dir(reference_dir: Path) -> Path:
    path = reference_dir / "baba"
    if not path.is_dir():
        pytest.skip(f"BaBA reference data not found at {path}")
    return path


@pytest.fixture(scope="module")
def fences(baba_dir: Path) -> gpd.GeoDataFrame:
    df = pd.read_csv(baba_dir / "fences.csv")
    return gpd.GeoDataFrame(df.drop(columns="wkt"), geometry=shapely.from_wkt(df["wkt"]),
                            crs=CRS)


def _fixes(baba_dir: Path, name: str) -> gpd.GeoDataFrame:
    df = pd.read_csv(baba_dir / f"{name}.csv")
    df["date"] = pd.to_datetime(df["date_utc"], utc=True)
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["x"], df["y"]), crs=CRS)


@pytest.fixture(scope="module")
def mule_deer(baba_dir: Path) -> gpd.GeoDataFrame:
    return _fixes(baba_dir, "muleDeer")


@pytest.fixture(scope="module")
def pronghorn(baba_dir: Path) -> gpd.GeoDataFrame:
    return _fixes(baba_dir, "pronghorn")


@pytest.fixture(scope="module")
def mule_deer_run(mule_deer, fences):
    return classify_encounters(mule_deer, fences, d=90, id_col="Animal.ID", time_col="date")


def test_mule_deer_class_counts(mule_deer_run, baba_dir):
    expected = pd.read_csv(baba_dir / "expected" / "muleDeer_d90_defaults_counts.csv")
    got = mule_deer_run.classification["eventTYPE"].value_counts()
    for t, n in zip(expected["eventTYPE"], expected["count"], strict=True):
        assert got.get(t, 0) == n, t
    assert set(expected["eventTYPE"]) == set(EVENT_TYPES)


def test_mule_deer_event_table(mule_deer_run, baba_dir):
    exp = pd.read_csv(baba_dir / "expected" / "muleDeer_d90_defaults_classification.csv")
    got = pd.DataFrame(mule_deer_run.classification.drop(columns="geometry"))
    assert list(got.columns) == list(exp.columns)  # BaBA's columns in BaBA's order
    assert got["burstID"].tolist() == exp["burstID"].tolist()  # same ids, same order
    assert got["AnimalID"].tolist() == exp["AnimalID"].tolist()
    assert got["eventTYPE"].tolist() == exp["eventTYPE"].tolist()
    assert got["cross"].astype("float").tolist() == exp["cross"].astype("float").tolist()
    np.testing.assert_array_equal(got["easting"], exp["easting"])
    np.testing.assert_array_equal(got["northing"], exp["northing"])
    for col in ("start_time_utc", "end_time_utc"):
        assert (got[col] == pd.to_datetime(exp[col], utc=True)).all()
    np.testing.assert_array_equal(got["duration_hours"], exp["duration_hours"])
    for col in ("str_i", "str_mean", "str_sd"):
        np.testing.assert_allclose(got[col], exp[col], atol=1e-6, rtol=0, equal_nan=True)


def test_mule_deer_encounters(mule_deer_run, baba_dir):
    exp = pd.read_csv(baba_dir / "expected" / "muleDeer_d90_defaults_encounters.csv")
    got = mule_deer_run.encounters
    assert got["burstID"].tolist() == exp["burstID"].tolist()
    assert got["Animal.ID"].tolist() == exp["Animal.ID"].tolist()
    assert (got["date"] == pd.to_datetime(exp["date_utc"], utc=True)).all()
    np.testing.assert_array_equal(got["x"], exp["x"])
    np.testing.assert_array_equal(got["y"], exp["y"])
    assert got["eventTYPE"].tolist() == exp["eventTYPE"].tolist()


def _check_invariants(res, tracks, fences, *, d, b_time=4, p_time=36, max_cross=0,
                      sd_multiplier=1):
    ev = res.classification
    assert ev["burstID"].is_unique
    assert set(ev["eventTYPE"]) <= set(EVENT_TYPES)
    dur = ev["duration_hours"].to_numpy()
    cls = ev["eventTYPE"].to_numpy(dtype=str)
    cross = ev["cross"].astype("float").to_numpy()
    # every event starts at a fix within d of a fence (buffer polygon is inscribed)
    dist = shapely.STRtree(fences.geometry.values).query_nearest(
        ev.geometry.values, return_distance=True, all_matches=False)[1]
    assert (dist <= d + 1e-9).all()
    # short classes
    short = dur <= b_time
    assert set(cls[short]) <= {"Quick_Cross", "Bounce", "unknown"}
    assert (cross[cls == "Quick_Cross"] > 0).all() and (cross[cls == "Bounce"] == 0).all()
    assert set(cls[~short]) <= {"Average_Movement", "Back_n_forth", "Trace", "Trapped",
                                "unknown"}
    assert (dur[cls == "Trapped"] > p_time).all()
    assert (dur[~short & (dur > p_time)] > 0).all()
    assert set(cls[dur > p_time]) <= {"Trapped"}
    s, m, sd = (ev[c].to_numpy() for c in ("str_i", "str_mean", "str_sd"))
    lo, hi = m - sd_multiplier * sd, m + sd_multiplier * sd
    am = cls == "Average_Movement"
    assert ((s[am] >= lo[am]) & (s[am] <= hi[am])).all()
    assert (s[cls == "Trace"] > hi[cls == "Trace"]).all()
    assert (s[cls == "Back_n_forth"] < lo[cls == "Back_n_forth"]).all()
    assert (cross[np.isin(cls, ["Trace", "Back_n_forth"])] <= max_cross).all()
    # every fix well inside the buffer belongs to an event of its animal
    pts = tracks.geometry.values
    near = shapely.STRtree(fences.geometry.values).query_nearest(
        pts, return_distance=True, all_matches=False)[1] <= d * math.cos(math.pi / 20) - 1e-6
    t = tracks["date"].to_numpy()
    ids = tracks["Animal.ID"].to_numpy(dtype=str)
    covered = np.zeros(len(tracks), dtype=bool)
    for a, t0, t1 in zip(ev["AnimalID"], ev["start_time_utc"].to_numpy(),
                         ev["end_time_utc"].to_numpy(), strict=True):
        covered |= (ids == a) & (t >= t0) & (t <= t1)
    assert covered[near].all()


def test_pronghorn_package_example_invariants(pronghorn, fences):
    res = classify_encounters(pronghorn, fences, d=110, max_cross=4)
    _check_invariants(res, pronghorn, fences, d=110, max_cross=4)
    counts = res.classification["eventTYPE"].value_counts()
    assert counts.sum() == len(res.classification) > 100
    assert set(res.classification["AnimalID"]) == {"102_2014", "103_2014"}


@pytest.mark.parametrize("kw", [
    dict(d=50),
    dict(d=150, tolerance=4),
    dict(d=90, exclude_buffer=True, sd_multiplier=1.5),
    dict(d=120, b_time=6, p_time=24, w=96),
])
def test_mule_deer_other_parameters_invariants(mule_deer, fences, kw):
    res = classify_encounters(mule_deer, fences, **kw)
    inv = {k: kw[k] for k in ("d", "b_time", "p_time", "sd_multiplier") if k in kw}
    _check_invariants(res, mule_deer, fences, **inv)


def test_larger_tolerance_never_adds_events(mule_deer, fences):
    n0 = len(classify_encounters(mule_deer, fences, d=90).classification)
    n1 = len(classify_encounters(mule_deer, fences, d=90, tolerance=4).classification)
    assert n1 <= n0


def test_movebank_reader_gives_same_events(baba_dir, pronghorn, fences):
    read_movebank = pytest.importorskip("camigeo.io.movebank").read_movebank
    mb = read_movebank(baba_dir / "pronghorn_movebank_style.csv").to_crs(CRS)
    a = classify_encounters(pronghorn, fences, d=110, max_cross=4).classification
    b = classify_encounters(mb, fences, d=110, max_cross=4).classification
    # lon/lat have 7 decimals (~1 cm): at most a fix on the buffer edge may differ
    same = set(a["burstID"]) & set(b["burstID"])
    assert len(same) >= 0.98 * len(a)
    ta = a.set_index("burstID").loc[sorted(same), "eventTYPE"]
    tb = b.set_index("burstID").loc[sorted(same), "eventTYPE"]
    assert (ta == tb).mean() >= 0.98


def test_ranking_and_products_on_pronghorn(pronghorn, fences):
    res = classify_encounters(pronghorn, fences, d=110, max_cross=4)
    rank = rank_barriers(res, fences, d=110, min_total_enc=5, barrier_id_col="FID_Fence0")
    ok = rank["total_enc"] >= 5
    assert rank.loc[ok, "index"].min() == 0 and rank.loc[ok, "index"].max() == 1
    assert rank.loc[~ok, "index"].isna().all()
    # each event counts for every fence within d: totals >= number of events
    assert rank["total_enc"].sum() >= len(res.classification)
    raw = ((rank["Bounce"] + rank["Back_n_forth"] + rank["Trace"] + rank["Trapped"])
           / rank["total_enc"] * rank["unique_ind"])
    np.testing.assert_allclose(rank.loc[ok, "index_raw"], raw[ok])
    perm = barrier_permeability(res, fences, barrier_id_col="FID_Fence0")
    has = perm["n_encounters"] > 0
    assert ((perm.loc[has, "ci_low"] <= perm.loc[has, "permeability"])
            & (perm.loc[has, "permeability"] <= perm.loc[has, "ci_high"])).all()
    crossings = find_crossings(pronghorn, fences, barrier_id_col="FID_Fence0")
    hs = crossing_hotspots([res, crossings], fences, barrier_id_col="FID_Fence0")
    assert hs["n_crossings"].sum() == len(crossings)
    assert hs["n_encounters"].sum() == len(res.classification)
    assert hs["length_km"].sum() == pytest.approx(fences["Shape_Leng"].sum() / 1000, rel=1e-9)


def test_run_telemetry_on_pronghorn(pronghorn, fences):
    layers = run_telemetry(pronghorn, fences, d=110, max_cross=4, min_total_enc=5,
                           barrier_id_col="FID_Fence0")
    ev = layers["barrier_events"]
    direct = classify_encounters(pronghorn, fences, d=110, max_cross=4).classification
    assert ev["burstID"].tolist() == direct["burstID"].tolist()
    rank = layers["barrier_ranking"]["rank"].dropna().to_numpy()
    assert rank[0] == 1 and (np.diff(rank) >= 0).all()  # worst barriers first
    assert layers["barrier_ranking"]["rank"].isna().to_numpy()[len(rank):].all()
    hot = layers["passage_hotspots"]
    assert len(hot) == 10 and hot["n_not_crossed"].is_monotonic_decreasing
