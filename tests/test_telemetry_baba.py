"""Hand-made tracks for every BaBA class and option (metric CRS, 1-hour fixes, d = 100 m).

The barrier is the line x = 0 (from y = -100 km to +100 km) unless a test says otherwise,
so a fix is an encounter fix when |x| <= 100 m. Expected values are worked out by hand in
the comments; the moving-window statistics are checked against a brute-force loop.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString

from camigeo import CamigeoWarning, CRSError, ValidationError
from camigeo.telemetry import EVENT_TYPES, classify_encounters
from camigeo.telemetry.baba import _r_number

CRS = "EPSG:32633"
T0 = pd.Timestamp("2020-05-01T00:00:00Z")
N, S, E, W = (0, 100), (0, -100), (100, 0), (-100, 0)
ZIGZAG = [N, W, N, E]  # every 6-step window: displacement (±100, 300) over 600 m


def fence(*lines: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    lines = lines or ([(0, -100_000), (0, 100_000)],)
    return gpd.GeoDataFrame({"infra_id": [f"f{i}" for i in range(len(lines))]},
                            geometry=[LineString(c) for c in lines], crs=CRS)


def walk(start: tuple[float, float], steps: list[tuple[float, float]]) -> list[tuple]:
    pts = [start]
    for dx, dy in steps:
        pts.append((pts[-1][0] + dx, pts[-1][1] + dy))
    return pts


def zigzag(start: tuple[float, float], n: int) -> list[tuple[float, float]]:
    return walk(start, [ZIGZAG[i % 4] for i in range(n)])


def track(pts: list[tuple], animal: str = "a", step_h: float = 1.0,
          times: list[float] | None = None, t0: pd.Timestamp = T0) -> gpd.GeoDataFrame:
    hours = times if times is not None else [i * step_h for i in range(len(pts))]
    return gpd.GeoDataFrame(
        {"individual_id": animal,
         "timestamp": [t0 + pd.Timedelta(hours=h) for h in hours]},
        geometry=gpd.points_from_xy([p[0] for p in pts], [p[1] for p in pts]), crs=CRS)


def classify(tr, bar=None, **kw):
    kw.setdefault("d", 100)
    return classify_encounters(tr, fence() if bar is None else bar, **kw).classification


def brute_windows(pts: list[tuple], k: int) -> list[float]:
    out = []
    for s in range(len(pts) - k):
        seg = pts[s:s + k + 1]
        length = sum(math.dist(seg[i], seg[i + 1]) for i in range(k))
        out.append(math.dist(seg[0], seg[-1]) / length)
    return out


# ---------------------------------------------------------------- short events
def test_quick_cross_single_fix():
    # x = -450 ... -50 (only -50 is within 100 m) then 150, 350: the line from the fix
    # before (-250) to the fix after (150) crosses x = 0 once.
    pts = walk((-450, 0), [(200, 0)] * 4)
    ev = classify(track(pts))
    assert len(ev) == 1
    row = ev.iloc[0]
    assert row["eventTYPE"] == "Quick_Cross"
    assert row["cross"] == 1
    assert row["burstID"] == "a_0"
    assert row["duration_hours"] == 0
    assert np.isnan(row["str_i"])
    assert (row["easting"], row["northing"]) == (-50, 0)


def test_bounce_goes_back():
    # -450, -250, -50, -250, -450: touches the buffer once, never crosses
    pts = walk((-450, 0), [(200, 0), (200, 0), (-200, 0), (-200, 0)])
    ev = classify(track(pts))
    assert ev["eventTYPE"].tolist() == ["Bounce"]
    assert ev["cross"].tolist() == [0]


def test_two_fix_bounce_has_straightness_one():
    pts = walk((-450, 0), [(200, 0), (200, 0), (0, 100), (-200, 0), (-200, 0)])
    ev = classify(track(pts))
    assert ev["eventTYPE"].tolist() == ["Bounce"]
    assert ev["duration_hours"].tolist() == [1.0]
    assert ev["str_i"].tolist() == [1.0]  # two fixes: displacement == path length


def test_short_event_at_start_of_data_is_unknown():
    pts = walk((-50, 0), [W, W, W])
    ev = classify(track(pts))
    assert ev["eventTYPE"].tolist() == ["unknown"]
    assert ev["cross"].isna().all()


def test_track_ends_rule_for_second_animal():
    # animal b starts inside the buffer. BaBA numbers fixes over the whole data set, so
    # b's first fix has a "fix before" (a's last) and the line from b's first to its
    # second fix (crossing x = 0 once) decides: Quick_Cross. track_ends="unknown" makes
    # it unknown.
    a = track(walk((-900, 0), [W, W]), "a")
    b = track(walk((-50, 500), [(200, 0), (200, 0)]), "b")
    both = pd.concat([a, b], ignore_index=True)
    ev = classify(both)
    assert ev["AnimalID"].tolist() == ["b"]
    assert ev["eventTYPE"].tolist() == ["Quick_Cross"]
    assert ev["cross"].tolist() == [1]
    ev2 = classify(both, track_ends="unknown")
    assert ev2["eventTYPE"].tolist() == ["unknown"]


def test_animal_with_one_fix_in_the_buffer_is_unknown():
    # b has a single fix (inside the buffer) between a and c: no line to test -> unknown
    a = track(walk((-900, 0), [W, W]), "a")
    b = track([(-50, 300)], "b")
    c = track(walk((-900, 900), [W, W]), "c")
    ev = classify(pd.concat([a, b, c], ignore_index=True), interval=1)
    assert ev["burstID"].tolist() == ["b_0"]
    assert ev["eventTYPE"].tolist() == ["unknown"] and ev["cross"].isna().all()


# ---------------------------------------------------------------- long events
def _fence_walk_track(event_steps, n_zig=100):
    """Zigzag far from the fence, enter at x=-50, follow ``event_steps``, leave to x=-300."""
    z1 = zigzag((-300, 0), n_zig)
    ev = walk((-50, z1[-1][1]), event_steps)
    z2 = zigzag((-300, ev[-1][1]), n_zig)
    return z1 + ev + z2, len(z1)


def test_trace_with_exclude_buffer_hand_values():
    # event: 6 steps of 100 m north along x = -50 -> str_i = 600/600 = 1, duration 6 h.
    # exclude_buffer: all windows are zigzag windows with straightness sqrt(100²+300²)/600
    # = sqrt(10)/6, so mean = sqrt(10)/6, sd = 0 and 1 > mean + sd: Trace.
    pts, first = _fence_walk_track([N] * 6)
    ev = classify(track(pts), exclude_buffer=True)
    row = ev.iloc[0]
    assert len(ev) == 1 and row["eventTYPE"] == "Trace"
    assert row["duration_hours"] == 6 and row["cross"] == 0
    assert row["str_i"] == pytest.approx(1.0, abs=1e-12)
    assert row["str_mean"] == pytest.approx(math.sqrt(10) / 6, abs=1e-12)
    assert row["str_sd"] == pytest.approx(0.0, abs=1e-12)
    assert row["burstID"] == "a_0"  # the first encounter fix of the animal


def test_window_statistics_match_brute_force():
    # without exclude_buffer the window runs from fix first-84 to last+84 (w = 168 h)
    pts, first = _fence_walk_track([N] * 6)
    row = classify(track(pts)).iloc[0]
    vals = brute_windows(pts[first - 84:first + 6 + 84 + 1], 6)
    assert len(vals) == 169
    assert row["str_mean"] == pytest.approx(np.mean(vals), abs=1e-12)
    assert row["str_sd"] == pytest.approx(np.std(vals, ddof=1), abs=1e-12)
    assert row["eventTYPE"] == "Trace"


def test_back_n_forth():
    # N S N S N S along the fence: back where it started -> str_i = 0 < sqrt(10)/6
    pts, _ = _fence_walk_track([N, S] * 3)
    row = classify(track(pts), exclude_buffer=True).iloc[0]
    assert row["eventTYPE"] == "Back_n_forth"
    assert row["str_i"] == 0.0
    assert row["cross"] == 0


def test_max_cross_turns_back_n_forth_into_unknown():
    # zigzag across the fence: (-50,y) -> (50,y+50) -> (-50,y+100) ... 6 steps, 6 distinct
    # crossing points; displacement 300 over 6*sqrt(100²+50²) = 670.8 m -> 0.447 < 0.527
    steps = [(100, 50), (-100, 50)] * 3
    pts, _ = _fence_walk_track(steps)
    row = classify(track(pts), exclude_buffer=True).iloc[0]
    assert row["str_i"] == pytest.approx(300 / (6 * math.hypot(100, 50)), abs=1e-12)
    assert row["cross"] == 6
    assert row["eventTYPE"] == "unknown"  # cross 6 > max_cross 0
    row = classify(track(pts), exclude_buffer=True, max_cross=6).iloc[0]
    assert row["eventTYPE"] == "Back_n_forth"


def test_average_movement_straight_walker():
    # 30 m east every hour from x = -3005: fixes -95, -65, -35, -5, 25, 55, 85 are in the
    # buffer (7 fixes, 6 h). Every window is a straight line (straightness exactly 1,
    # sd 0), str_i = 1 = mean: Average_Movement, although it crossed once.
    pts = walk((-3005, 0), [(30, 0)] * 300)
    row = classify(track(pts)).iloc[0]
    assert (row["easting"], row["duration_hours"]) == (-95, 6)
    assert row["cross"] == 1
    assert (row["str_i"], row["str_mean"], row["str_sd"]) == (1.0, 1.0, 0.0)
    assert row["eventTYPE"] == "Average_Movement"


def test_trapped():
    # 40 h along the fence (> p_time = 36 h)
    pts, _ = _fence_walk_track([(0, 10)] * 40, n_zig=10)
    row = classify(track(pts)).iloc[0]
    assert row["duration_hours"] == 40
    assert row["eventTYPE"] == "Trapped"
    assert np.isnan(row["str_mean"])


def test_exclude_buffer_changes_window_count():
    # 24-step zigzags either side: with exclude_buffer the runs are fixes 0..24 and
    # 32..56 -> 19 + 19 = 38 windows < (168/1 + 1)/4 = 42.25 -> unknown. Without it the
    # 57 fixes give 51 windows; brute force: mean 0.56311, sd 0.09301 -> 1 > 0.656: Trace.
    pts, first = _fence_walk_track([N] * 6, n_zig=24)
    assert len(pts) == 57
    out = classify(track(pts), exclude_buffer=True).iloc[0]
    assert out["eventTYPE"] == "unknown" and np.isnan(out["str_mean"])
    row = classify(track(pts)).iloc[0]
    vals = brute_windows(pts, 6)
    assert len(vals) == 51
    assert row["str_mean"] == pytest.approx(np.mean(vals), abs=1e-12)
    assert row["str_mean"] == pytest.approx(0.5631127282109237, abs=1e-12)
    assert row["eventTYPE"] == "Trace"


def test_sd_multiplier_widens_average_band():
    # the Trace above: 1 > 0.5631 + 1*0.0930, but 1 < 0.5631 + 5*0.0930 = 1.028
    pts, _ = _fence_walk_track([N] * 6, n_zig=24)
    assert classify(track(pts), sd_multiplier=5).iloc[0]["eventTYPE"] == "Average_Movement"


# ---------------------------------------------------------------- tolerance
def _tolerance_track():
    # t0 out (-500,0); t1 in (-50,0); t2 in (-50,100); t3 OUT (-300,100);
    # t4 in (-50,200); t5 in (-50,300); t6.. out (-500, 300), (-700, 300)
    return [(-500, 0), (-50, 0), (-50, 100), (-300, 100), (-50, 200), (-50, 300),
            (-500, 300), (-700, 300)]


def test_tolerance_zero_splits_event():
    # gaps between in-buffer fixes 1,1,2,1 h -> excess 0,0,1,0 -> bursts a_0, a_1
    ev = classify(track(_tolerance_track()))
    assert ev["burstID"].tolist() == ["a_0", "a_1"]
    assert ev["eventTYPE"].tolist() == ["Bounce", "Bounce"]


def test_tolerance_joins_and_fetches_fix_between():
    # tolerance 1 h: excess 1 >= interval and <= tolerance -> joined into a_0 (t1..t5,
    # 4 h <= b_time: short). Its path includes the fetched fix t3 (-300,100):
    # 100 + 250 + sqrt(250²+100²) + 100 = 719.258 m; displacement 300 m.
    ev = classify(track(_tolerance_track()), tolerance=1)
    assert ev["burstID"].tolist() == ["a_0"]
    row = ev.iloc[0]
    assert row["duration_hours"] == 4
    assert row["str_i"] == pytest.approx(300 / (350 + math.hypot(250, 100) + 100), abs=1e-12)
    assert row["eventTYPE"] == "Bounce"


def test_tolerance_smaller_than_gap_does_not_join():
    ev = classify(track(_tolerance_track()), tolerance=0.5)
    assert ev["burstID"].tolist() == ["a_0", "a_1"]


def test_excess_below_interval_is_never_joined():
    # BaBA joins only when interval <= excess <= tolerance: with 2-h fixes a 3-h gap has
    # excess 1 < 2, so even tolerance = 4 keeps two events (burst numbers 0 and 1)
    pts = [(-500, 0), (-50, 0), (-50, 100), (-50, 200), (-500, 200), (-700, 200)]
    tr = track(pts, times=[0, 2, 4, 7, 9, 11])
    ev = classify(tr, interval=2, tolerance=4)
    assert ev["burstID"].tolist() == ["a_0", "a_1"]


# ---------------------------------------------------------------- edge cases (decided)
def test_gap_shorter_than_interval_continues_event():
    # interval 2 h, in-buffer fixes at 0, 2, 3, 5 h: R's cumsum would go 0,0,-1,-1 and
    # start a new burst; we treat the 1-h gap as continuous (excess clipped at 0)
    pts = [(-500, 0), (-50, 0), (-50, 100), (-50, 150), (-50, 250), (-500, 250)]
    tr = track(pts, times=[-2, 0, 2, 3, 5, 7])
    ev = classify(tr, interval=2)
    assert ev["burstID"].tolist() == ["a_0"]
    assert ev["duration_hours"].tolist() == [5.0]


def test_animal_that_does_not_move():
    # 10 h standing at (-50, 0): str_i = 0/0 -> NaN -> unknown (no straightness to
    # compare); standing 40 h -> Trapped; no error either way
    still = [(-50, 0)] * 11
    pts = zigzag((-300, -6000), 60) + still + zigzag((-300, 0), 60)
    row = classify(track(pts)).iloc[0]
    assert row["duration_hours"] == 10
    assert np.isnan(row["str_i"]) and row["eventTYPE"] == "unknown"
    assert row["cross"] == 0
    pts = zigzag((-300, -6000), 10) + [(-50, 0)] * 41 + zigzag((-300, 0), 10)
    assert classify(track(pts)).iloc[0]["eventTYPE"] == "Trapped"


def test_step_through_shared_vertex_counts_once():
    # two fence pieces meet at (0, 0); the step (-250,0)->(150,0) passes through the shared
    # vertex: one crossing (R counts the point once per feature, i.e. twice)
    bar = fence([(0, -1000), (0, 0)], [(0, 0), (0, 1000)])
    pts = walk((-450, 0), [(200, 0)] * 4)
    ev = classify(track(pts), bar)
    assert ev["eventTYPE"].tolist() == ["Quick_Cross"]
    assert ev["cross"].tolist() == [1]
    r_style = classify(track(pts), bar, cross_count="per_feature")
    assert r_style["cross"].tolist() == [2]
    with pytest.raises(ValidationError, match="cross_count must be"):
        classify(track(pts), bar, cross_count="all")


def test_duplicate_timestamps_raise():
    tr = track(walk((-450, 0), [(200, 0)] * 4), times=[0, 1, 1, 2, 3])
    with pytest.raises(ValidationError, match="repeat the timestamp.*drop_duplicates"):
        classify(tr)


# ---------------------------------------------------------------- bad input
def test_mixed_crs_raises():
    tr = track(walk((-450, 0), [(200, 0)] * 4))
    with pytest.raises(CRSError, match="must share one CRS"):
        classify(tr, fence().to_crs("EPSG:3857"))


def test_geographic_crs_raises():
    tr = track(walk((-450, 0), [(200, 0)] * 4)).to_crs("EPSG:4326")
    with pytest.raises(CRSError, match="geographic CRS.*metres"):
        classify(tr, fence().to_crs("EPSG:4326"))


def test_unsorted_fixes_warn_and_give_same_result():
    tr = track(walk((-450, 0), [(200, 0)] * 4))
    shuffled = tr.iloc[[3, 0, 4, 1, 2]]
    with pytest.warns(CamigeoWarning, match="not sorted"):
        ev = classify(shuffled)
    assert ev["eventTYPE"].tolist() == ["Quick_Cross"]


def test_animals_with_different_intervals_raise():
    a = track(walk((-450, 0), [(200, 0)] * 4), "a", step_h=1)
    b = track(walk((-450, 900), [(200, 0)] * 4), "b", step_h=2)
    with pytest.raises(ValidationError, match="different modal fix intervals.*interval="):
        classify(pd.concat([a, b], ignore_index=True))
    ev = classify(pd.concat([a, b], ignore_index=True), interval=1)
    assert len(ev) == 2


def test_irregular_schedule_warns():
    pts = walk((-450, 0), [(200, 0)] * 4)
    tr = track(pts, times=[0, 1, 3, 6, 10])  # steps 1, 2, 3, 4: the mode covers 25 %
    with pytest.warns(CamigeoWarning, match="irregular fix schedule"):
        classify(tr)


def test_b_time_not_multiple_of_interval():
    tr = track(walk((-450, 0), [(200, 0)] * 4), step_h=2)
    with pytest.raises(ValidationError, match=r"b_time \(5\) must be a multiple.*b_time=6"):
        classify(tr, b_time=5)


def test_p_time_not_multiple_of_interval():
    tr = track(walk((-450, 0), [(200, 0)] * 4), step_h=2)
    with pytest.raises(ValidationError, match=r"p_time \(35\) must be a multiple"):
        classify(tr, p_time=35)


def test_b_time_below_interval():
    tr = track(walk((-450, 0), [(200, 0)] * 4), step_h=2)
    with pytest.raises(ValidationError, match="at least the fix interval"):
        classify(tr, b_time=1)


def test_bad_units_and_d():
    tr = track(walk((-450, 0), [(200, 0)] * 4))
    with pytest.raises(Exception, match="units='fortnights'"):
        classify(tr, units="fortnights")
    with pytest.raises(ValidationError, match="d must be a positive number"):
        classify(tr, d=-5)


# ---------------------------------------------------------------- output format
def test_columns_units_and_encounters():
    pts = walk((-450, 0), [(200, 0)] * 4)
    res = classify_encounters(track(pts), fence(), d=100, units="mins", b_time=240,
                              p_time=2160, w=10080)
    assert list(res.classification.columns) == [
        "AnimalID", "burstID", "easting", "northing", "start_time_utc", "end_time_utc",
        "duration_mins", "cross", "str_i", "str_mean", "str_sd", "eventTYPE", "geometry"]
    assert res.classification["eventTYPE"].tolist() == ["Quick_Cross"]
    assert list(res.encounters.columns) == ["individual_id", "burstID", "timestamp", "x", "y",
                                            "eventTYPE", "geometry"]
    assert res.classification.attrs["baba"]["d"] == 100
    assert set(res.classification["eventTYPE"]) <= set(EVENT_TYPES)


def test_burst_ids_count_excess_hours():
    # in-buffer fixes at 1 h and 5 h (1-h interval): excess 3 -> a_0 then a_3
    pts = [(-500, 0), (-50, 0), (-500, 0), (-700, 0), (-500, 0), (-50, 0), (-500, 0)]
    ev = classify(track(pts))
    assert ev["burstID"].tolist() == ["a_0", "a_3"]


@pytest.mark.parametrize(("value", "text"), [(0.0, "0"), (14.0, "14"), (0.1 + 0.2, "0.3"),
                                             (100000.0, "1e+05"), (123456.0, "123456"),
                                             (2.5, "2.5")])
def test_r_number_format(value, text):
    assert _r_number(value) == text


def test_no_encounters_gives_empty_tables_with_columns():
    far = track(walk((-5000, 0), [W] * 5))
    res = classify_encounters(far, fence(), d=100)
    assert len(res.classification) == 0 and len(res.encounters) == 0
    assert "eventTYPE" in res.classification.columns
    from camigeo.telemetry import crossing_hotspots, find_crossings, rank_barriers

    rank = rank_barriers(res, fence(), d=100)
    assert rank["total_enc"].tolist() == [0] and rank["index"].isna().all()
    assert len(find_crossings(far, fence())) == 0
    hs = crossing_hotspots(res, fence(), bin_km=50)
    assert len(hs) == 4 and hs["n_encounters"].sum() == 0
