"""Migration step end to end: run_migration, map layer, report page, CLI, main job."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box
from typer.testing import CliRunner

from camigeo import atlas
from camigeo.cli import app
from camigeo.telemetry import MIGRATION_LAYERS, run_migration

FENCE_LAT = 45.45


def _movebank(path: Path, *, n_ind: int = 4, seed: int = 0, step_h: int = 6) -> pd.DataFrame:
    """Lon/lat migrants: 40 days at 45.0 N, 8 days north to 45.9 N, 40 days, back, 30 days."""
    rng = np.random.default_rng(seed)
    frames = []
    d = 24 // step_h
    for k in range(n_ind):
        frac = np.concatenate([np.zeros(40 * d), np.linspace(0, 1, 8 * d + 2)[1:-1],
                               np.ones(40 * d), np.linspace(1, 0, 8 * d + 2)[1:-1],
                               np.zeros(30 * d)])
        n = len(frac)
        lon = 60.0 + 0.02 * k + rng.normal(0, 0.003, n)
        lat = 45.0 + 0.9 * frac + rng.normal(0, 0.003, n)
        t = pd.Timestamp("2023-03-01", tz="UTC") + pd.to_timedelta(np.arange(n) * step_h, unit="h")
        frames.append(pd.DataFrame({
            "event-id": np.arange(n) + k * n, "timestamp": t.strftime("%Y-%m-%d %H:%M:%S.000"),
            "location-long": lon, "location-lat": lat,
            "individual-local-identifier": f"G{k}"}))
    df = pd.concat(frames, ignore_index=True)
    df.to_csv(path, index=False)
    return df


def _infra(path: Path | None = None) -> gpd.GeoDataFrame:
    infra = gpd.GeoDataFrame({
        "infra_id": ["F1", "R1"], "infra_type": ["fence", "railway"],
        "name": ["Test fence", "Far railway"], "status": ["existing", "existing"],
        "fenced": [True, False], "fence_class": ["impermeable", None],
        "countries": ["KAZ", "KAZ"], "length_reported_km": [None, None], "year": [2020, 2020],
        "source": ["test", "test"], "accuracy_km": [0.0, 0.0]},
        geometry=[LineString([(59.8, FENCE_LAT), (60.3, FENCE_LAT)]),
                  LineString([(62.0, 44.0), (62.0, 46.0)])], crs=4326)
    if path is not None:
        infra.to_file(path, layer="infrastructure")
    return infra


def _fixes(df: pd.DataFrame) -> gpd.GeoDataFrame:
    from camigeo import read_movebank  # noqa: F401 - same reader as the CLI

    return gpd.GeoDataFrame(
        {"individual_id": df["individual-local-identifier"],
         "timestamp": pd.to_datetime(df["timestamp"], utc=True)},
        geometry=gpd.points_from_xy(df["location-long"], df["location-lat"]), crs=4326)


def test_run_migration_layers_conflict_map_and_page(tmp_path: Path) -> None:
    import folium
    import matplotlib.pyplot as plt

    from camigeo.telemetry.migration_run import add_migration_layers, migration_page

    df = _movebank(tmp_path / "t.csv")
    infra = _infra()
    ptcr = gpd.GeoDataFrame({"ptcr_id": [99], "name": ["test region"]},
                            geometry=[box(59.0, 44.5, 61.0, 46.5)], crs=4326)
    run = run_migration(_fixes(df), barriers=infra, ptcrs=ptcr, cell_size_m=500.0,
                        location_error_m=30.0)
    assert set(run.layers) == set(MIGRATION_LAYERS)
    assert all(v.crs == infra.crs for v in run.layers.values())
    seq = run.layers["migration_sequences"]
    assert len(seq) == 8 and sorted(seq.season.unique()) == ["outbound", "return"]
    assert (seq.motion_variance > 1).all() and (seq.footprint_km2 > 0).all()
    corr = run.layers["migration_corridors"]
    assert corr.use_class.tolist() == ["low", "medium", "high"]
    # 4 individuals: every used cell is >= 25 % -> the high class equals the low class
    assert corr.area_km2.iloc[2] == pytest.approx(corr.area_km2.iloc[0])
    conf = run.layers["corridor_barrier_conflict"]
    # only the fence crosses the corridor, inside the test PTCR; its piece is the width of
    # the high-use corridor along the fence (cells of the corridor raster at 45.45 N)
    assert conf.barrier_id.tolist() == ["F1"] and conf.ptcr_id.tolist() == [99]
    c = run.corridors
    fence_m = gpd.GeoSeries([LineString([(59.8, FENCE_LAT), (60.3, FENCE_LAT)])],
                            crs=4326).to_crs(c.use_class.crs).iloc[0]
    xs = np.arange(fence_m.bounds[0], fence_m.bounds[2], 10.0)
    ys = np.interp(xs, [fence_m.bounds[0], fence_m.bounds[2]],
                   [fence_m.coords[0][1], fence_m.coords[-1][1]])
    r, cc = c.use_class.rowcol(xs, ys)
    ok = (r >= 0) & (r < c.use_class.height) & (cc >= 0) & (cc < c.use_class.width)
    inside_km = (c.use_class.array[r[ok], cc[ok]] == 3).sum() * 10.0 / 1000
    assert conf.length_km.iloc[0] == pytest.approx(inside_km, rel=0.03)
    cand = run.layers["corridor_passage_candidates"]
    assert len(cand) >= 1 and (cand.share > 0).all()
    assert cand.share.is_monotonic_decreasing
    m = add_migration_layers(folium.Map(location=[45.4, 60.1], zoom_start=8, tiles=None),
                             run.layers)
    html = m.get_root().render()
    assert "high use corridor" in html and "stopover" in html
    assert "km in high-use corridor" in html
    fig = migration_page(run.layers, summary=run.summary)
    text = " ".join(t.get_text() for t in fig.axes[1].texts)
    assert "8 migration sequences, 4 individuals" in text and "fence" in text
    plt.close(fig)
    files = run.write_rasters(tmp_path / "r")
    from camigeo import Raster

    back = Raster.from_file(files["migration_class"])
    np.testing.assert_array_equal(back.array, c.use_class.array)


def test_run_migration_keeps_fence_outside_the_ptcrs_and_passes_the_atlas_check(
        tmp_path: Path) -> None:
    # the PTCR covers only the western part of the corridor: the fence piece east of it is
    # kept with ptcr_id missing; the numeric ptcr_id column then has a NaN, which the Atlas
    # check accepts because run_migration declares it nullable
    from camigeo.atlas.check import check_atlas_layers

    fixes = _fixes(_movebank(tmp_path / "t.csv"))
    infra = _infra()
    west = gpd.GeoDataFrame({"ptcr_id": [99], "name": ["west"]},
                            geometry=[box(59.0, 44.5, 60.03, 46.5)], crs=4326)
    opts = {"barriers": infra, "cell_size_m": 500.0, "location_error_m": 30.0}
    run = run_migration(fixes, ptcrs=west, **opts)
    conf = run.layers["corridor_barrier_conflict"]
    assert conf.barrier_id.tolist() == ["F1", "F1"]
    assert sorted(conf.ptcr_id.fillna(-1).tolist()) == [-1, 99]
    plain = run_migration(fixes, **opts).layers["corridor_barrier_conflict"]
    assert conf.length_km.sum() == pytest.approx(plain.length_km.sum(), rel=1e-9)
    assert run.summary.length_km.sum() == pytest.approx(plain.length_km.sum(), rel=1e-9)
    cand = run.layers["corridor_passage_candidates"]
    assert cand.ptcr_id.isna().any() and (cand.ptcr_id == 99).any()
    check_atlas_layers({k: run.layers[k] for k in ("corridor_barrier_conflict",
                                                   "corridor_passage_candidates")})


def test_cli_migration_writes_atlas_layers(tmp_path: Path) -> None:
    csv = tmp_path / "tracks.csv"
    _movebank(csv, n_ind=2)
    bar = tmp_path / "infra.gpkg"
    _infra(bar)
    a = tmp_path / "atlas.gpkg"
    res = CliRunner().invoke(app, ["migration", str(csv), "--barriers", str(bar),
                                   "--cell-size-m", "500", "--season", "north=04-05:04-20",
                                   "--season", "south=06-01:06-15", "--atlas", str(a),
                                   "--out", str(tmp_path / "o"), "-q"])
    assert res.exit_code == 0, res.output
    seq = atlas.read_atlas_layer(a, "migration_sequences")
    assert sorted(seq.season) == ["north", "north", "south", "south"]
    assert atlas.history(a)["command"].tolist() == ["camigeo migration"]
    for name in ("migration_corridors", "stopovers", "corridor_barrier_conflict"):
        assert name in atlas.list_atlas_layers(a)
    assert (tmp_path / "o" / "migration_share.tif").is_file()
    bad = CliRunner().invoke(app, ["migration", str(csv), "--season", "north", "-q",
                                   "--atlas", str(a)])
    assert bad.exit_code == 1 and "NAME=MM-DD:MM-DD" in bad.output


@pytest.mark.slow
def test_main_job_maps_migration_when_tracks_are_given(tmp_path: Path) -> None:
    from camigeo import datasets, pipeline

    csv = tmp_path / "tracks.csv"
    _movebank(csv, n_ind=3, step_h=2)    # BaBA's default b_time (4 h) needs <= 4 h fixes
    inf = tmp_path / "infra.gpkg"
    _infra(inf)
    p = datasets.load_ptcrs()
    ptcr_path = tmp_path / "ptcr.gpkg"
    p[p["ptcr_id"].isin([1, 3])].to_file(ptcr_path, layer="ptcr")
    r = pipeline.run_all(out_dir=tmp_path / "out", ptcrs=ptcr_path, infrastructure=inf,
                         tracks=csv, d_m=500.0, migration_cell_m=500.0, tiles=None,
                         skip=("conflict", "fragmentation", "corridors", "circuit"))
    st = {s.step: (s.status, s.note) for s in r.steps}
    assert st["telemetry"][0] == "ok" and "6 migration sequences of 3 individuals" in \
        st["telemetry"][1], st
    layers = atlas.list_atlas_layers(r.files["atlas"])
    for name in ("migration_corridors", "stopovers", "corridor_barrier_conflict"):
        assert name in layers
    assert "high use corridor" in Path(r.files["map"]).read_text(encoding="utf-8")
    assert Path(r.files["migration_class"]).is_file()
