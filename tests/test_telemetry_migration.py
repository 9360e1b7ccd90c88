"""Migration sequences, population corridors and stopovers on synthetic tracks."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import camigeo
from camigeo import SchemaError
from camigeo.telemetry.corridors_pop import isopleth_mask

T0 = pd.Timestamp("2021-01-01", tz="UTC")


def _gdf(parts, crs="EPSG:32645"):
    frames = []
    for ind, t_h, xy in parts:
        frames.append(pd.DataFrame({"individual_id": ind,
                                    "timestamp": T0 + pd.to_timedelta(t_h, unit="h"),
                                    "x": xy[:, 0], "y": xy[:, 1]}))
    df = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(df.drop(columns=["x", "y"]),
                            geometry=gpd.points_from_xy(df.x, df.y), crs=crs)


def _migrant(rng, *, x0=500_000.0, y0=4_000_000.0, dist_m=100_000.0, stay=(60, 100, 60),
             travel_days=10, jitter_m=300.0):
    """Resident at A, moves north dist_m in travel_days, resident at B, back, resident."""
    per_day = 4
    legs = []
    legs.append(np.zeros(stay[0] * per_day))
    legs.append(np.linspace(0, 1, travel_days * per_day + 1)[1:-1])
    legs.append(np.ones(stay[1] * per_day))
    legs.append(np.linspace(1, 0, travel_days * per_day + 1)[1:-1])
    legs.append(np.zeros(stay[2] * per_day))
    frac = np.concatenate(legs)
    n = len(frac)
    xy = np.column_stack([np.full(n, x0), y0 + frac * dist_m]) + rng.normal(0, jitter_m, (n, 2))
    return np.arange(n) * 6.0, xy


def test_date_window_sequences_and_columns():
    rng = np.random.default_rng(0)
    t_h = np.arange(0, 24 * 400, 12.0)            # 2021-01-01 .. 2022-02-05, every 12 h
    xy = np.cumsum(rng.normal(0, 200, (len(t_h), 2)), axis=0) + [500_000, 4_000_000]
    tracks = _gdf([("a", t_h, xy)])
    seq = camigeo.migration_sequences(
        tracks, seasons={"spring": ("03-15", "05-31"), "winter": ("12-01", "01-31")})
    assert list(seq.columns[:10]) == ["sequence_id", "individual_id", "season", "year",
                                      "start", "end", "fixes", "distance_km",
                                      "duration_days", "bursts"]
    spring = seq[seq.season == "spring"].iloc[0]
    assert spring.start == pd.Timestamp("2021-03-15", tz="UTC")
    assert spring.end == pd.Timestamp("2021-05-31 12:00", tz="UTC")
    assert spring.fixes == 2 * (17 + 30 + 31)
    # the winter window wraps: 2020 (Jan 2021 only) and 2021 (Dec 2021 + Jan 2022)
    winter = seq[seq.season == "winter"].set_index("year")
    assert winter.loc[2020, "fixes"] == 62 and winter.loc[2021, "fixes"] == 2 * (31 + 31)
    # distance_km is the geodesic path length (UTM scale ~0.9996 near the central meridian)
    sel = (tracks.timestamp >= spring.start) & (tracks.timestamp <= spring.end)
    steps = np.hypot(*np.diff(xy[sel.to_numpy()], axis=0).T).sum() / 1000
    assert spring.distance_km == pytest.approx(steps, rel=2e-3)
    assert seq.crs == tracks.crs and seq.geometry.iloc[0].geom_type == "LineString"
    with pytest.raises(SchemaError, match="MM-DD"):
        camigeo.migration_sequences(tracks, seasons={"spring": ("March", "May")})


def test_gaps_longer_than_max_lag_split_into_bursts():
    t_h = np.r_[np.arange(0, 48, 2.0), np.arange(60, 100, 2.0), np.arange(130, 140, 2.0)]
    xy = np.column_stack([np.arange(len(t_h)) * 100.0, np.zeros(len(t_h))])
    seq = camigeo.migration_sequences(_gdf([("a", t_h, xy)]),
                                      seasons={"all": ("01-01", "12-31")}, max_lag_min=300)
    assert seq.bursts.tolist() == [3]


def test_nsd_rule_finds_outbound_and_return():
    rng = np.random.default_rng(1)
    t_h, xy = _migrant(rng)
    seq = camigeo.migration_sequences(_gdf([("a", t_h, xy)]),
                                      season_names={"outbound": "spring"})
    assert seq.season.tolist() == ["spring", "return"]
    depart, arrive = T0 + pd.Timedelta(days=60), T0 + pd.Timedelta(days=70)
    assert abs(seq.start.iloc[0] - depart) <= pd.Timedelta(days=2)
    assert abs(seq.end.iloc[0] - arrive) <= pd.Timedelta(days=2)
    assert seq.duration_days.iloc[0] == pytest.approx(10, abs=3)
    back = T0 + pd.Timedelta(days=170)
    assert abs(seq.start.iloc[1] - back) <= pd.Timedelta(days=2)
    # the sequence starts and ends within settle_range_km / 2 of the ranges
    assert ((seq.distance_km > 85) & (seq.distance_km < 130)).all()
    # a resident is not a migrant
    res = _gdf([("r", np.arange(0, 24 * 200, 6.0),
                 rng.normal(0, 500, (800, 2)) + [500_000, 4_000_000])])
    assert len(camigeo.migration_sequences(res)) == 0


def test_isopleth_by_hand():
    ud = np.array([[0.5, 0.2], [0.2, 0.1]])
    np.testing.assert_array_equal(isopleth_mask(ud, 0.5), [[True, False], [False, False]])
    np.testing.assert_array_equal(isopleth_mask(ud, 0.7), [[True, True], [False, False]])
    np.testing.assert_array_equal(isopleth_mask(ud, 0.71), [[True, True], [True, False]])
    np.testing.assert_array_equal(isopleth_mask(ud, 0.99), [[True, True], [True, True]])


def test_isopleth_prefilter_matches_a_full_sort():
    rng = np.random.default_rng(7)
    for level in (0.5, 0.9, 0.99, 0.999):
        ud = rng.lognormal(0, 3, (60, 70))
        ud[rng.random(ud.shape) < 0.2] = 0.0
        flat = ud.ravel()
        order = np.argsort(-flat, kind="stable")
        before = np.cumsum(flat[order]) - flat[order]
        want = np.zeros(flat.size, dtype=bool)
        want[order] = (before < level * flat.sum()) & (flat[order] > 0)
        np.testing.assert_array_equal(isopleth_mask(ud, level).ravel(), want)


def _line(ind, y, t0_h, n=30, x0=500_000.0):
    t_h = t0_h + np.arange(n) * 2.0
    xy = np.column_stack([x0 + np.arange(n) * 1000.0, np.full(n, y)])
    return ind, t_h, xy


def test_corridor_counts_on_toy_footprints():
    # A: two seasons on lines y=0 and y=10 km; B: y=0; C: y=20 km (lines far apart)
    y0 = 4_000_000.0
    tracks = _gdf([_line("A", y0, 0), _line("A", y0 + 10_000, 24 * 200),
                   _line("B", y0, 0), _line("C", y0 + 20_000, 0)])
    seasons = {"s1": ("01-01", "03-31"), "s2": ("07-01", "09-30")}
    res = camigeo.migration_corridors(tracks, location_error_m=20.0, seasons=seasons,
                                      cell_size_m=250.0, motion_variance=100.0,
                                      medium_share=0.4, high_share=0.6)
    assert res.n_individuals == 3 and len(res.sequences) == 4
    mid_x = 500_000.0 + 15_000

    def at(r, y):
        row, col = r.rowcol(mid_x, y)
        return r.array[int(row), int(col)]

    # individuals: A counts 1/2 on each of its lines, B and C 1
    assert at(res.individuals, y0) == pytest.approx(1.5)
    assert at(res.individuals, y0 + 10_000) == pytest.approx(0.5)
    assert at(res.individuals, y0 + 20_000) == pytest.approx(1.0)
    assert at(res.individuals, y0 + 5_000) == 0
    assert at(res.share, y0) == pytest.approx(0.5)
    # classes: y=0 share 0.5 -> medium; y=10 km 0.5 individuals < 1 -> none; y=20 km low
    assert at(res.use_class, y0) == 2
    assert at(res.use_class, y0 + 10_000) == 0
    assert at(res.use_class, y0 + 20_000) == 1
    assert res.population_ud.array.sum() == pytest.approx(1.0, rel=1e-12)
    assert res.use_class.crs == tracks.crs
    polys = res.corridor_polygons()
    assert polys.use_class.tolist() == ["low", "medium"]
    low_cells = int((res.use_class.array >= 1).sum())
    assert polys.area_km2.iloc[0] == pytest.approx(low_cells * 0.0625, rel=5e-3)


def test_stopovers_are_the_top_tenth_of_the_footprint():
    y0 = 4_000_000.0
    ind, t_h, xy = _line("A", y0, 0, n=40)
    # a 2-day pause at the 20th fix (24 fixes at the same spot, 2 h apart)
    pause = np.repeat(xy[20:21], 24, axis=0) + np.random.default_rng(2).normal(0, 30, (24, 2))
    xy2 = np.vstack([xy[:20], pause, xy[20:] + 0.0])
    t2 = np.arange(len(xy2)) * 2.0
    res = camigeo.migration_corridors(_gdf([(ind, t2, xy2)]), location_error_m=20.0,
                                      seasons={"all": ("01-01", "12-31")}, cell_size_m=200.0,
                                      motion_variance=3000.0)
    fp = res.individuals.array > 0
    stop = res.stopovers.array > 0
    # top 10 % of the footprint cells by UD value (cells tied with the cut are kept)
    # (a straight, evenly sampled path has many exactly tied values)
    ud = res.population_ud.array
    cut = ud[stop].min()
    target = int(np.ceil(0.1 * fp.sum()))
    assert (ud[fp] > cut).sum() < target <= (ud[fp] >= cut).sum() == stop.sum()
    row, col = res.stopovers.rowcol(*xy[20])
    assert res.stopovers.array[int(row), int(col)] == 1
    assert res.population_ud.array[int(row), int(col)] == res.population_ud.array.max()
    row, col = res.stopovers.rowcol(xy[5, 0], xy[5, 1] + 400)   # beside the path
    assert fp[int(row), int(col)] and res.stopovers.array[int(row), int(col)] == 0
    assert res.stopover_polygons().kind.tolist() == ["stopover"]


@pytest.mark.dask
def test_scheduler_threads_same_result(client):
    rng = np.random.default_rng(4)
    parts = []
    for k in range(4):
        t_h, xy = _migrant(rng, x0=500_000 + 3000 * k, stay=(20, 30, 20), travel_days=6)
        parts.append((f"i{k}", t_h, xy))
    tracks = _gdf(parts)
    kw = dict(location_error_m=30.0, cell_size_m=1000.0, max_lag_min=720)
    plain = camigeo.migration_corridors(tracks, **kw)
    threaded = camigeo.migration_corridors(tracks, scheduler="threads", **kw)
    assert plain.n_individuals == 4 and len(plain.sequences) == 8
    np.testing.assert_array_equal(plain.individuals.array, threaded.individuals.array)
    np.testing.assert_allclose(plain.population_ud.array, threaded.population_ud.array,
                               rtol=0, atol=0)
    assert (plain.sequences.motion_variance > 1).all()
    # one task per sequence on a distributed cluster: the same grids
    on_client = camigeo.migration_corridors(tracks, scheduler=client, **kw)
    np.testing.assert_array_equal(plain.individuals.array, on_client.individuals.array)
    np.testing.assert_allclose(plain.population_ud.array, on_client.population_ud.array,
                               rtol=0, atol=0)


# --------------------------------------------------------------------------- barriers
def test_barrier_km_inside_high_use_corridor_by_line_and_ptcr():
    from shapely.geometry import LineString, box

    from camigeo.telemetry.corridor_barriers import (
        add_corridor_km,
        conflict_summary,
        corridor_barrier_conflict,
    )

    crs = "EPSG:32645"     # UTM 45N; x = 500 km is the central meridian (scale 0.9996)
    x0, y0 = 500_000.0, 4_000_000.0
    corr = gpd.GeoDataFrame({"use_class": ["low", "high"]},
                            geometry=[box(x0 - 20_000, y0 - 20_000, x0 + 20_000, y0 + 20_000),
                                      box(x0 - 5_000, y0 - 5_000, x0 + 5_000, y0 + 5_000)],
                            crs=crs)
    bars = gpd.GeoDataFrame(
        {"infra_id": ["rail", "fence", "far"], "infra_type": ["railway", "border_fence", "road"],
         "name": ["R", "F", "X"]},
        geometry=[LineString([(x0 - 30_000, y0), (x0 + 30_000, y0)]),      # 10 km in high
                  LineString([(x0 + 1_000, y0 - 30_000), (x0 + 1_000, y0 + 2_000)]),  # 7 km
                  LineString([(x0 + 50_000, y0), (x0 + 60_000, y0)])],
        crs=crs).to_crs("EPSG:4326")
    ptcrs = gpd.GeoDataFrame({"ptcr_id": ["W", "E"], "name": ["west", "east"]},
                             geometry=[box(x0 - 50_000, y0 - 50_000, x0 - 1_000, y0 + 50_000),
                                       box(x0 - 1_000, y0 - 50_000, x0 + 50_000, y0 + 50_000)],
                             crs=crs)
    out = corridor_barrier_conflict(corr, bars, ptcrs=ptcrs)
    assert out.crs == bars.crs
    got = {(r.barrier_id, r.ptcr_id): r.length_km for r in out.itertuples()}
    k = 1 / 0.9996     # grid metres -> ellipsoid metres on the central meridian
    assert got[("rail", "W")] == pytest.approx(4.0 * k, rel=2e-4)
    assert got[("rail", "E")] == pytest.approx(6.0 * k, rel=2e-4)
    assert got[("fence", "E")] == pytest.approx(7.0 * k, rel=2e-4)
    assert set(got) == {("rail", "W"), ("rail", "E"), ("fence", "E")}
    summ = conflict_summary(out, by=["barrier_type"])
    assert summ.set_index("barrier_type").length_km["railway"] == pytest.approx(10 * k, rel=2e-4)
    ranking = pd.DataFrame({"barrier_id": ["far", "rail", "fence"]})
    ranked = add_corridor_km(ranking, out)
    assert ranked.corridor_km.tolist() == pytest.approx([0.0, 10 * k, 7 * k], rel=2e-4)
    # nested classes: low counts the whole 40 km box
    low = corridor_barrier_conflict(corr, bars, classes=("low",))
    assert low.set_index("barrier_id").length_km["rail"] == pytest.approx(40 * k, rel=2e-4)
    with pytest.raises(SchemaError, match="unknown"):
        corridor_barrier_conflict(corr, bars, classes=("very high",))


def test_barrier_km_outside_every_ptcr_is_kept_with_missing_ptcr_id():
    # a corridor that reaches past the PTCRs: the part outside them is reported with a
    # missing ptcr_id (as documented), not dropped; the km per line equal the run without PTCRs
    from shapely.geometry import LineString, box

    from camigeo.telemetry.corridor_barriers import conflict_summary, corridor_barrier_conflict

    crs = "EPSG:32645"
    x0, y0 = 500_000.0, 4_000_000.0
    corr = gpd.GeoDataFrame({"use_class": ["high"]},
                            geometry=[box(x0 - 5_000, y0 - 5_000, x0 + 5_000, y0 + 5_000)],
                            crs=crs)
    bars = gpd.GeoDataFrame({"infra_id": ["rail"], "infra_type": ["railway"], "name": ["R"]},
                            geometry=[LineString([(x0 - 30_000, y0), (x0 + 30_000, y0)])],
                            crs=crs).to_crs("EPSG:4326")
    # W covers x < x0 - 1 km, E covers x0 - 1 km .. x0 + 3 km: 4 km in W, 4 km in E, 2 km out
    ptcrs = gpd.GeoDataFrame({"ptcr_id": ["W", "E"], "name": ["west", "east"]},
                             geometry=[box(x0 - 50_000, y0 - 50_000, x0 - 1_000, y0 + 50_000),
                                       box(x0 - 1_000, y0 - 50_000, x0 + 3_000, y0 + 50_000)],
                             crs=crs)
    k = 1 / 0.9996
    out = corridor_barrier_conflict(corr, bars, ptcrs=ptcrs)
    got = {r.ptcr_id if isinstance(r.ptcr_id, str) else None: r.length_km
           for r in out.itertuples()}
    assert set(got) == {"W", "E", None}
    assert got["W"] == pytest.approx(4.0 * k, rel=2e-4)
    assert got["E"] == pytest.approx(4.0 * k, rel=2e-4)
    assert got[None] == pytest.approx(2.0 * k, rel=2e-4)
    assert out.loc[out.ptcr_id.isna(), "ptcr_name"].isna().all()
    plain = corridor_barrier_conflict(corr, bars)
    assert out.length_km.sum() == pytest.approx(plain.length_km.sum(), rel=1e-9)
    # the summary keeps the outside row (dropna=False)
    summ = conflict_summary(out, by=["ptcr_id"])
    assert len(summ) == 3 and summ.length_km.sum() == pytest.approx(10.0 * k, rel=2e-4)
    # PTCRs that miss the corridor entirely: everything is outside, nothing is lost
    far = ptcrs.set_geometry(ptcrs.geometry.translate(200_000.0, 0.0))
    away = corridor_barrier_conflict(corr, bars, ptcrs=far)
    assert len(away) == 1 and away.ptcr_id.isna().all()
    assert away.length_km.iloc[0] == pytest.approx(10.0 * k, rel=2e-4)


@pytest.mark.reference
def test_mule_deer_migrations_and_bridges(reference_dir):
    """BaBA's mule deer (Wyoming 2014): spring and autumn migrations, UDs on R's grid."""
    df = pd.read_csv(reference_dir / "baba" / "muleDeer.csv")
    fixes = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.x, df.y), crs="EPSG:32612")
    seq = camigeo.migration_sequences(fixes, time_col="date_utc")
    assert sorted(seq.individual_id) == ["416_2014", "416_2014", "419_2014", "419_2014"]
    out = seq[seq.season == "outbound"]
    back = seq[seq.season == "return"]
    assert out.start.dt.month.isin([4, 5]).all() and back.start.dt.month.isin([10, 11]).all()
    assert (seq.distance_km > 20).all()
    one = fixes[fixes["Animal.ID"] == "416_2014"]
    bb = camigeo.brownian_bridge(one, time_col="date_utc", location_error_m=20,
                                 cell_size_m=200)
    assert bb.ud.array.sum() == pytest.approx(1.0, rel=1e-12)
    assert bb.fit.ci[0] < bb.motion_variance < bb.fit.ci[1] and not bb.fit.on_bound
    # every fix lies inside the 99.9 % isopleth of its own track
    iso = bb.isopleth(0.999).array
    r, c = bb.ud.rowcol(one.geometry.x.to_numpy(), one.geometry.y.to_numpy())
    assert iso[r, c].mean() > 0.99
