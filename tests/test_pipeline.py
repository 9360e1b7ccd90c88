"""The main job (camigeo.pipeline.run_all / `camigeo run`) on a subset of the bundled PTCRs."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from camigeo import atlas
from camigeo._errors import CamigeoError
from camigeo.atlas import pipeline
from camigeo.io.crs import GEOD


@pytest.fixture(scope="module")
def subset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from camigeo import datasets

    p = datasets.load_ptcrs()
    path = tmp_path_factory.mktemp("in") / "ptcr_subset.gpkg"
    p[p["ptcr_id"].isin([1, 3, 9, 11])].to_file(path, layer="ptcr")
    return path


@pytest.fixture(scope="module")
def small_subset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from camigeo import datasets

    p = datasets.load_ptcrs()
    path = tmp_path_factory.mktemp("in2") / "ptcr_two.gpkg"
    p[p["ptcr_id"].isin([1, 3])].to_file(path, layer="ptcr")
    return path


@pytest.mark.slow
def test_run_all_main_job(subset: Path, tmp_path: Path) -> None:
    # one test (not a module fixture) so that pytest-xdist runs the job only once
    r = pipeline.run_all(out_dir=tmp_path, ptcrs=subset, species=["Gazella subgutturosa"],
                         circuit_species="Equus hemionus", corridor_cell_km=20.0,
                         circuit_cell_km=20.0, grid_cell_km=100.0, tiles=None)
    _check_outputs(r, subset)
    _check_numbers(r)
    _check_report_map_summary(r)
    _check_activities(r)


def _check_activities(r: pipeline.RunResult) -> None:
    from camigeo.activities import list_activities

    table = r.layers["activities"]
    assert list(table["activity_id"]) == list(list_activities()["activity_id"])
    assert set(table["status"]) <= {"ok", "needs data"}, table.to_string()
    assert "activities" in atlas.list_atlas_layers(r.files["atlas"])
    md = r.files["summary_md"].read_text(encoding="utf-8")
    assert "## Activities of the Work Programmes" in md and "BD 7.4: corridor of" in md
    # the report's activities page(s), drawn from the run's table: every id, clean layout;
    # in the PDF after the overview and range-fragmentation pages, before the 4 PTCR pages
    import matplotlib.pyplot as plt
    from test_meeting_outputs import _layout_problems

    from camigeo.activities.report import ACTIVITIES_TITLE, activities_pages

    figs = activities_pages(table)
    try:
        texts = [t.get_text() for f in figs for t in f.texts]
        assert set(table["activity_id"]) <= set(texts)
        assert figs[0]._suptitle.get_text().startswith(ACTIVITIES_TITLE)
        assert [p for f in figs for p in _layout_problems(f)] == []
        # on this 4-PTCR subset 7 activities need data (long messages): more than one page
        n_act = len(figs)
        assert n_act in (1, 2)
    finally:
        for f in figs:
            plt.close(f)
    pdf = r.files["report"].read_bytes()
    assert len(re.findall(rb"/Type /Page\b", pdf)) == 1 + 1 + n_act + 4


def _check_outputs(r: pipeline.RunResult, subset: Path) -> None:
    status = {s.step: s.status for s in r.steps}
    assert status == {s: "ok" for s in pipeline.STEPS if s != "telemetry"} | {
        "telemetry": "skipped"}, r.steps_table().to_string()
    assert "no tracks given" in r.steps[-2].note
    assert r.ok
    for key in ("atlas", "map", "report", "summary_md", "summary_csv"):
        assert r.files[key].is_file(), key
    names = set(atlas.list_atlas_layers(r.files["atlas"]))
    assert {"layer_summary", "ptcr", "infrastructure", "ranges", "borders", "conflict_scores",
            "conflict_summary", "conflict_grid", "fragmentation", "corridor_links",
            "corridor_paths", "corridor_graph_nodes", "corridor_indices"} <= names
    # provenance: command and the SHA-256 of the given PTCR file
    h = atlas.history(r.files["atlas"]).iloc[-1]
    assert h["command"] == "camigeo run"
    sha = {i["label"]: i["sha256"] for i in h["inputs"]}
    assert sha["ptcrs"] == hashlib.sha256(subset.read_bytes()).hexdigest()
    assert h["params"]["steps"]["corridors"] == "ok"
    # IIC uses the median link cost as its binary threshold, so it is defined (0 < IIC <= PC
    # does not hold in general, but IIC lies in (0, 1] whenever a link is within threshold)
    idx = atlas.read_atlas_layer(r.files["atlas"], "corridor_indices")
    assert (idx["iic_threshold"] == idx["d0"]).all()
    # d0 = the median positive link cost of the species (touching cores have cost 0)
    links = atlas.read_atlas_layer(r.files["atlas"], "corridor_links")
    for sp, grp in links.groupby("species"):
        cw = grp["cw_dist"].to_numpy(dtype=float)
        assert idx.loc[idx["species"] == sp, "d0"].unique().tolist() == [
            pytest.approx(float(np.median(cw[cw > 0])))]
    assert ((idx["IIC"] > 0) & (idx["IIC"] <= 1)).all()


def _check_numbers(r: pipeline.RunResult) -> None:
    ranked = r.ranked
    assert ranked["rank"].tolist() == [1, 2, 3, 4]
    assert sorted(ranked["ptcr_id"]) == [1, 3, 9, 11]
    assert ranked["conflict_score"].is_monotonic_decreasing
    # layer summary against pyproj.Geod (independent of camigeo.crs)
    ls = r.layers["layer_summary"].set_index("layer")
    ptcr = r.layers["ptcr"].to_crs(4326)
    geod_area = sum(abs(GEOD.geometry_area_perimeter(g)[0]) for g in ptcr.geometry) / 1e6
    assert ls.loc["ptcrs", "area_km2"] == pytest.approx(geod_area, rel=5e-3)
    inf = r.layers["infrastructure"].to_crs(4326)
    geod_len = sum(GEOD.geometry_length(g) for g in inf.geometry) / 1000
    assert ls.loc["infrastructure", "length_km"] == pytest.approx(geod_len, rel=1e-6)
    assert ls.loc["ptcrs", "rows"] == 4
    # corridor links only between the species' cores, positive costs except touching cores
    links = r.layers["corridor_links"]
    assert set(links["species"]) == {"Gazella subgutturosa"}
    assert set(links["core_a"]) | set(links["core_b"]) <= {1, 3, 9, 11}
    assert (links["cw_dist"] >= 0).all()
    # range fragmentation: one row per species; a range no barrier crosses is one patch with
    # m_eff = its area (sum A_i^2 / A_total); leaving barriers out never lowers m_eff
    rf = r.layers["range_fragmentation"].set_index("sci_name")
    assert len(rf) == 17
    whole = rf[rf["n_patches"] == 1]
    assert len(whole) >= 1
    assert whole["m_eff_km2"].to_numpy() == pytest.approx(whole["area_km2"].to_numpy(),
                                                          rel=1e-9)
    assert whole["m_eff_pct_of_range"].to_numpy() == pytest.approx(100.0)
    assert (rf["m_eff_documented_km2"] >= rf["m_eff_km2"] * (1 - 1e-9)).all()
    assert (rf["n_patches_documented"] <= rf["n_patches"]).all()
    ranges = r.layers["ranges"].to_crs(4326)
    name = whole.index[0]
    geom = ranges.loc[ranges["sci_name"] == name].union_all()
    geod_area = abs(GEOD.geometry_area_perimeter(geom)[0]) / 1e6
    assert whole.loc[name, "area_km2"] == pytest.approx(geod_area, rel=5e-3)
    assert "## Range fragmentation per species" in r.files["summary_md"].read_text()
    # cumulative current COG
    import rasterio

    tif = r.files["current:Equus hemionus"]
    with rasterio.open(tif) as src:
        assert src.profile.get("tiled") is True
        arr = src.read(1, masked=True)
        assert float(arr.max()) > 0
    assert "pinch_points" in r.layers and len(r.layers["pinch_points"]) > 0
    # pinch points are corridor cells outside the cores (the PTCR parts in the range)
    pp = r.layers["pinch_points"]
    rng = r.layers["ranges"]
    cores = r.layers["ptcr"].to_crs(pp.crs).clip(
        rng[rng["sci_name"] == "Equus hemionus"].to_crs(pp.crs).union_all())
    assert not pp.within(cores.union_all()).any()
    assert len(pp) < 0.5 * pp["n_candidates"].iloc[0]
    # the Atlas written by the run passes its own validation
    from camigeo.atlas.check import check_atlas_file

    assert check_atlas_file(r.files["atlas"], nullable=pipeline._NULLABLE) == []


def _check_report_map_summary(r: pipeline.RunResult) -> None:
    pdf = r.files["report"].read_bytes()
    # overview + range fragmentation + activities (checked in _check_activities) + one page
    # per PTCR of the subset
    assert len(re.findall(rb"/Type /Page\b", pdf)) >= 1 + 1 + 1 + 4
    html = r.files["map"].read_text(encoding="utf-8")
    assert '<script src="http' not in html and "Least-cost paths" in html
    md = r.files["summary_md"].read_text(encoding="utf-8")
    assert "## PTCRs ranked by conflict score" in md
    # the score in words, its unit, how undocumented borders count, the ranking without them
    assert "How to read the conflict score" in md
    assert "| `conflict_score` | weighted km per 1,000 km², summed over species |" in md
    assert "Borders whose fencing is not documented count with weight 0.5" in md
    assert "### Ranking without the borders whose fencing is not documented" in md
    ranked = r.ranked
    # leaving barriers out never raises a score; ranks follow the scores
    assert (ranked["conflict_score_documented"]
            <= ranked["conflict_score"] * (1 + 1e-12)).all()
    by_doc = ranked.sort_values("conflict_score_documented", ascending=False)
    assert by_doc["rank_documented"].is_monotonic_increasing
    # names people use: common name first in the species tables
    assert "| Asiatic wild ass | Equus hemionus |" in md
    for name in r.ranked["name"]:
        assert name in md
    csv = r.files["summary_csv"].read_text(encoding="utf-8").splitlines()
    assert csv[0].startswith("rank,ptcr_id,name,conflict_score") and len(csv) == 5


@pytest.mark.slow
def test_missing_module_is_skipped_not_failed(small_subset: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    real_need = pipeline._need

    def fake_need(module: str, *names: str):
        if module == "barriers.fragmentation":
            raise pipeline.StepSkipped(
                "camigeo.fragmentation is not available in this installation")
        return real_need(module, *names)

    monkeypatch.setattr(pipeline, "_need", fake_need)
    import logging

    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append  # type: ignore[method-assign]
    plog = logging.getLogger("camigeo.atlas.pipeline")
    old_level = plog.level
    plog.addHandler(handler)
    plog.setLevel(logging.DEBUG)
    try:
        r = pipeline.run_all(out_dir=tmp_path, ptcrs=small_subset,
                             skip=("conflict", "corridors", "circuit", "activities"), tiles=None)
    finally:
        plog.removeHandler(handler)
        plog.setLevel(old_level)
    # a missing module warns; steps skipped on request or for lack of tracks do not
    levels = {rec.args[0]: rec.levelname for rec in records
              if rec.msg.startswith("step ") and rec.args}
    assert levels["fragmentation"] == "WARNING"
    assert {levels[k] for k in ("conflict", "corridors", "circuit", "telemetry")} == {"INFO"}
    st = {s.step: (s.status, s.note) for s in r.steps}
    assert st["fragmentation"] == ("skipped",
                                   "camigeo.fragmentation is not available in this installation")
    assert r.ok
    assert "fragmentation" not in atlas.list_atlas_layers(r.files["atlas"])
    assert r.ranked.empty  # no conflict step -> no ranking, nothing invented
    assert h_steps(r) == {"load": "ok", "summary": "ok", "conflict": "skipped",
                          "fragmentation": "skipped", "corridors": "skipped",
                          "circuit": "skipped", "activities": "skipped", "telemetry": "skipped",
                          "outputs": "ok"}


def h_steps(r: pipeline.RunResult) -> dict[str, str]:
    return atlas.history(r.files["atlas"]).iloc[-1]["params"]["steps"] | {"outputs": "ok"}


@pytest.mark.slow
def test_failing_step_is_recorded_and_cli_exits_1(small_subset: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(ctx):
        raise CamigeoError("barriers: synthetic failure for the test")

    monkeypatch.setattr(pipeline, "_fragmentation", boom)
    from camigeo.cli import app

    res = CliRunner().invoke(app, ["run", "--out", str(tmp_path), "--ptcrs", str(small_subset),
                                   "--skip", "conflict", "--skip", "corridors", "--skip",
                                   "circuit", "--tiles", "none", "-q"])
    assert res.exit_code == 1, res.output
    assert "fragmentation" in res.output and "failed" in res.output
    assert "CamigeoError: barriers: synthetic failure for the test" in res.output
    assert (tmp_path / "atlas.gpkg").is_file() and (tmp_path / "map.html").is_file()


def test_layer_summary_hand_values() -> None:
    import geopandas as gpd
    from shapely.geometry import LineString, box

    from camigeo.io.crs import CENTRAL_ASIA_EQUAL_AREA

    g = gpd.GeoDataFrame(geometry=[box(0, 0, 10_000, 10_000), box(20_000, 0, 30_000, 5_000)],
                         crs=CENTRAL_ASIA_EQUAL_AREA)
    lines = gpd.GeoDataFrame(geometry=[LineString([(60, 45), (61, 45)])], crs=4326)
    t = pipeline.layer_summary({"polys": g, "lines": lines}).set_index("layer")
    assert t.loc["polys", "area_km2"] == pytest.approx(150.0, rel=1e-9)  # 100 + 50 km²
    assert t.loc["polys", "length_km"] == 0.0
    assert t.loc["lines", "length_km"] == pytest.approx(
        GEOD.line_length([60, 61], [45, 45]) / 1000, rel=1e-9)
    assert t.loc["polys", "geometry_types"] == "Polygon"


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(CamigeoError, match=r"skip: unknown or required step\(s\) \['load'\]"):
        pipeline.run_all(out_dir=tmp_path, skip=("load",))
    with pytest.raises(CamigeoError, match=r"must be > 0 km"):
        pipeline.run_all(out_dir=tmp_path, corridor_cell_km=0)
    with pytest.raises(CamigeoError, match=r"corridor_adjacency: expected 'both', 'cost', "
                                           r"'euclidean' or 'all'; got 'near'"):
        pipeline.run_all(out_dir=tmp_path, corridor_adjacency="near")
    with pytest.raises(CamigeoError, match=r"osm_corridor_km must be a number > 0 \(km\); "
                                           r"got -1"):
        pipeline.run_all(out_dir=tmp_path, osm_corridor_km=-1)


def test_corridor_step_links_only_adjacent_ptcrs(tmp_path: Path) -> None:
    """The main job's default network is Linkage Mapper's: pairs whose zones touch.

    With adjacency "all" every PTCR pair of the species is a candidate; with "both" exactly
    those of them whose cost-weighted or Euclidean allocation zones touch on the same
    resistance surface remain.
    """
    from camigeo.corridors import core_adjacency

    def links(adjacency: str) -> tuple[set, pipeline.RunContext]:
        ctx = pipeline.RunContext(out_dir=tmp_path, inputs={}, progress=False,
                            params={"species": ["Gazella subgutturosa"],
                                    "corridor_cell_km": 25.0,
                                    "corridor_adjacency": adjacency})
        pipeline.step_load(ctx)
        pipeline.step_corridors(ctx)
        df = ctx.layers["corridor_links"]
        return set(zip(df["core_a"], df["core_b"], strict=True)), ctx

    every, ctx = links("all")
    lm, _ = links("both")
    resistance, cores = ctx.rasters["resistance:Gazella subgutturosa"]
    touching = set()
    for method in ("cost", "euclidean"):
        adj = core_adjacency(cores, resistance, method=method)
        touching |= {tuple(sorted(p)) for p in zip(adj["core_a"], adj["core_b"], strict=True)}
    assert lm == {p for p in every if tuple(sorted(p)) in touching}
    assert len(lm) < len(every)  # six goitered-gazelle PTCRs are not all neighbours


def test_run_with_osm_extract_routes_infrastructure_first(small_subset: Path,
                                                          tmp_path: Path) -> None:
    """``run_all(osm=...)`` swaps the schematic lines for OSM routes before the analyses."""
    pytest.importorskip("osmium")
    pytest.importorskip("pyrosm")
    import numpy as np
    import shapely
    from conftest import winding_transmongolian, write_pbf

    from camigeo import datasets

    track = winding_transmongolian()
    pbf = write_pbf(tmp_path / "tm.osm.pbf", [(track, {"railway": "rail"}),
                                              ([(100.0, 45.0), (100.5, 45.0)],
                                               {"highway": "primary"})])
    r = pipeline.run_all(out_dir=tmp_path / "out", ptcrs=small_subset, osm=pbf,
                         skip=("conflict", "fragmentation", "corridors", "circuit", "activities"),
                         tiles=None)
    assert r.ok, r.steps_table().to_string()
    n = len(datasets.load_infrastructure())
    assert r.steps[0].note.endswith(f"; 1 of {n} infrastructure lines routed through the "
                                    f"OSM ways of tm.osm.pbf")
    infra = r.layers["infrastructure"].to_crs(4326).set_index("infra_id")
    tm = infra.loc["MNG-RW-TRANSMONGOLIAN"]
    np.testing.assert_allclose(shapely.get_coordinates(tm.geometry), track, atol=1e-7)
    assert tm["geometry_source"] == "reference"
    assert tm["source"].startswith("geometry: OpenStreetMap contributors (ODbL); attributes:")
    other = infra.drop(index="MNG-RW-TRANSMONGOLIAN")
    assert (other["geometry_source"] == "schematic").all()
    h = atlas.history(r.files["atlas"]).iloc[-1]
    sha = {i["label"]: i["sha256"] for i in h["inputs"]}
    assert sha["osm"] == hashlib.sha256(pbf.read_bytes()).hexdigest()
    with pytest.raises(CamigeoError, match=r"osm: OSM extract .*nope.osm.pbf does not exist"):
        pipeline.run_all(out_dir=tmp_path / "x", osm=tmp_path / "nope.osm.pbf",
                         skip=("conflict", "fragmentation", "corridors", "circuit"))


@pytest.mark.slow
def test_run_with_tracks_adds_telemetry_layers(small_subset: Path, tmp_path: Path) -> None:
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import LineString

    # hourly fixes walking east across a fence at 60.055 E (see test_cli for the geometry)
    times = pd.date_range("2024-01-01", periods=12, freq="1h", tz="UTC")
    csv = tmp_path / "tracks.csv"
    pd.DataFrame({"event-id": range(12), "timestamp": times.strftime("%Y-%m-%d %H:%M:%S.000"),
                  "location-long": [60.0 + 0.01 * i for i in range(12)],
                  "location-lat": [45.0] * 12,
                  "individual-local-identifier": ["A1"] * 12}).to_csv(csv, index=False)
    infra = gpd.GeoDataFrame({
        "infra_id": ["F1"], "infra_type": ["fence"], "name": ["Test fence"],
        "status": ["existing"], "fenced": [True], "fence_class": ["impermeable"],
        "countries": ["KAZ"], "length_reported_km": [None], "year": [2020],
        "source": ["test"], "accuracy_km": [0.0]},
        geometry=[LineString([(60.055, 44.9), (60.055, 45.1)])], crs=4326)
    inf_path = tmp_path / "infra.gpkg"
    infra.to_file(inf_path, layer="infrastructure")
    r = pipeline.run_all(out_dir=tmp_path / "out", ptcrs=small_subset, infrastructure=inf_path,
                         tracks=csv, d_m=500.0,
                         skip=("conflict", "corridors", "circuit", "activities"),
                         tiles=None)
    st = {s.step: s.status for s in r.steps}
    assert st["telemetry"] == "ok", r.steps_table().to_string()
    ev = atlas.read_atlas_layer(r.files["atlas"], "barrier_events")
    assert ev["eventTYPE"].tolist() == ["Quick_Cross"]
    assert "passage_hotspots" in atlas.list_atlas_layers(r.files["atlas"])
    sha = {i["label"]: i["sha256"] for i in atlas.history(r.files["atlas"]).iloc[-1]["inputs"]}
    assert sha["tracks"] == hashlib.sha256(csv.read_bytes()).hexdigest()
