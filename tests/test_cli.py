"""The camigeo command line: help, exit codes, atlas update/diff/history, telemetry,
screening, circuit INI, map (typer CliRunner, plus the installed console script)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString
from typer.testing import CliRunner

from camigeo import atlas
from camigeo.cli import app

runner = CliRunner()

COMMANDS = [[], ["run"], ["score"], ["corridors"], ["circuit"], ["telemetry"], ["screen"],
            ["map"], ["atlas"], ["atlas", "update"], ["atlas", "diff"], ["atlas", "history"],
            ["atlas", "export"]]


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "root")
def test_help_on_every_command(cmd: list[str]) -> None:
    res = runner.invoke(app, [*cmd, "--help"])
    assert res.exit_code == 0, res.output
    assert f"Usage: camigeo {' '.join(cmd)}".rstrip() in res.output


def test_usage_error_exit_code_2() -> None:
    res = runner.invoke(app, ["score", "--no-such-option"])
    assert res.exit_code == 2
    assert "No such option" in res.output


def test_analysis_error_exit_code_1_without_traceback(tmp_path: Path) -> None:
    res = runner.invoke(app, ["atlas", "history", str(tmp_path / "missing.gpkg")])
    assert res.exit_code == 1
    assert "Error: atlas: no Atlas GeoPackage at" in res.output
    assert "Traceback" not in res.output


def test_console_script_exit_codes(tmp_path: Path) -> None:
    exe = shutil.which("camigeo")
    if exe is None:
        pytest.skip("console script 'camigeo' not on PATH (pip install -e . installs it)")
    ok = subprocess.run([exe, "--version"], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith("camigeo ")
    usage = subprocess.run([exe, "run", "--bogus"], capture_output=True, text=True)
    assert usage.returncode == 2
    err = subprocess.run([exe, "atlas", "history", str(tmp_path / "x.gpkg")],
                         capture_output=True, text=True)
    assert err.returncode == 1
    assert "no Atlas GeoPackage" in err.stderr and "Traceback" not in err.stderr
    bad = subprocess.run([exe, "run", "--skip", "nonsense", "-q", "--out",
                          str(tmp_path / "o")], capture_output=True, text=True)
    assert bad.returncode == 1 and "skip: unknown or required step(s) ['nonsense']" in bad.stderr


def _infra(n_extra: int = 0) -> gpd.GeoDataFrame:
    rows = [{"infra_id": "r1", "infra_type": "railway", "name": "Rail", "status": "existing",
             "fenced": True, "fence_class": "impermeable", "countries": "KAZ",
             "length_reported_km": None, "year": 2000, "source": "test", "accuracy_km": 1.0,
             "geometry": LineString([(60.0, 45.0), (61.0, 45.0)])}]
    for k in range(n_extra):
        rows.append({**rows[0], "infra_id": f"f{k}", "infra_type": "fence",
                     "name": f"<b>fence {k}</b>", "fence_class": "low",
                     "geometry": LineString([(60.1 + k / 10, 44.5), (60.1 + k / 10, 45.5)])})
    return gpd.GeoDataFrame(rows, crs=4326)


def test_atlas_update_history_diff(tmp_path: Path) -> None:
    f1, f2 = tmp_path / "infra_v1.gpkg", tmp_path / "infra_v2.gpkg"
    _infra().to_file(f1, layer="infrastructure")
    _infra(2).to_file(f2, layer="infrastructure")
    a1, a2 = tmp_path / "a1.gpkg", tmp_path / "a2.gpkg"
    res = runner.invoke(app, ["atlas", "update", str(a1), f"{f1}::infrastructure",
                              "--kind", "infrastructure", "-q"])
    assert res.exit_code == 0, res.output
    assert "infrastructure (1 rows)" in res.output
    shutil.copyfile(a1, a2)
    res = runner.invoke(app, ["atlas", "update", str(a2), str(f2), "--name",
                              "infrastructure", "-q"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["atlas", "history", str(a2)])
    assert res.exit_code == 0, res.output
    assert res.output.count("camigeo atlas update") == 2
    assert atlas.layer_versions(a2)["version"].tolist() == [1, 2]
    html = tmp_path / "diff.html"
    res = runner.invoke(app, ["atlas", "diff", str(a1), str(a2), "--html", str(html)])
    assert res.exit_code == 0, res.output
    d = atlas.diff(a1, a2).table.set_index("layer")
    assert d.loc["infrastructure", "features_added"] == 2
    assert "infrastructure" in res.output
    assert html.is_file() and "<table>" in html.read_text(encoding="utf-8")


def test_atlas_update_errors(tmp_path: Path) -> None:
    res = runner.invoke(app, ["atlas", "update", str(tmp_path / "a.gpkg"),
                              str(tmp_path / "nope.gpkg")])
    assert res.exit_code == 1
    assert "inputs: file" in res.output and "does not exist" in res.output
    f = tmp_path / "x.gpkg"
    _infra().to_file(f, layer="infrastructure")
    res = runner.invoke(app, ["atlas", "update", str(tmp_path / "a.gpkg"), str(f), str(f),
                              "--name", "x"])
    assert res.exit_code == 1
    assert "--name: only allowed with a single input file" in res.output


def test_telemetry_command_quick_cross(tmp_path: Path) -> None:
    # one animal, hourly fixes, walking east 0.01 deg/h across a N-S fence at 60.055 E
    times = pd.date_range("2024-01-01", periods=12, freq="1h", tz="UTC")
    csv = tmp_path / "tracks.csv"
    pd.DataFrame({
        "event-id": range(12),
        "timestamp": times.strftime("%Y-%m-%d %H:%M:%S.000"),
        "location-long": [60.0 + 0.01 * i for i in range(12)],
        "location-lat": [45.0] * 12,
        "individual-local-identifier": ["A1"] * 12,
    }).to_csv(csv, index=False)
    fence = gpd.GeoDataFrame({"infra_id": ["F"], "infra_type": ["fence"], "name": ["F"]},
                             geometry=[LineString([(60.055, 44.9), (60.055, 45.1)])], crs=4326)
    barriers = tmp_path / "fence.gpkg"
    fence.to_file(barriers)
    a = tmp_path / "atlas.gpkg"
    res = runner.invoke(app, ["telemetry", str(csv), "--barriers", str(barriers), "--d-m",
                              "500", "--interval", "1", "--atlas", str(a), "-q"])
    assert res.exit_code == 0, res.output
    ev = atlas.read_atlas_layer(a, "barrier_events")
    # fixes are 0.01 deg (~787 m) apart; the fixes at 60.05 and 60.06 E are ~394 m from the
    # fence (inside d = 500 m), their neighbours ~1.18 km (outside): one encounter of two
    # fixes lasting 1 h (<= b_time 4 h) that crosses the fence -> BaBA "Quick_Cross".
    assert len(ev) == 1
    assert ev["eventTYPE"].tolist() == ["Quick_Cross"]
    assert set(atlas.list_atlas_layers(a)) >= {"barrier_events", "barrier_ranking",
                                               "passage_hotspots"}
    assert atlas.history(a)["command"].tolist() == ["camigeo telemetry"]


def _write_fixes(path: Path, lons: list[float]) -> None:
    times = pd.date_range("2024-01-01", periods=len(lons), freq="1h", tz="UTC")
    pd.DataFrame({
        "event-id": range(len(lons)),
        "timestamp": times.strftime("%Y-%m-%d %H:%M:%S.000"),
        "location-long": lons,
        "location-lat": [45.0] * len(lons),
        "individual-local-identifier": ["A1"] * len(lons),
    }).to_csv(path, index=False)


def _fence_file(tmp_path: Path) -> Path:
    fence = gpd.GeoDataFrame({"infra_id": ["F"], "infra_type": ["fence"],
                              "name": ["Fence <one>"]},
                             geometry=[LineString([(60.055, 44.9), (60.055, 45.1)])], crs=4326)
    path = tmp_path / "fence.gpkg"
    fence.to_file(path)
    return path


def test_telemetry_tolerance_joins_events_and_table_has_no_geometry(tmp_path: Path) -> None:
    # hourly fixes; only 60.05 E (~394 m from the fence at 60.055 E) is inside d = 500 m,
    # 60.04 E is ~1.18 km away. The animal comes to the fence twice, 2 h apart, never
    # crossing. tolerance 0: two one-fix events, each a Bounce (the line from the fix before
    # to the fix after, 60.04 -> 60.05 -> 60.04, does not cross). tolerance 1 h: the gap of
    # 2 h exceeds one interval by 1 h <= tolerance, so both fixes form ONE event of 2 h
    # (<= b_time 4 h, no crossing) -> one Bounce.
    csv = tmp_path / "tracks.csv"
    _write_fixes(csv, [60.02, 60.03, 60.04, 60.05, 60.04, 60.05, 60.04, 60.03, 60.02])
    fence = _fence_file(tmp_path)
    counts = {}
    for tol in ("0", "1"):
        a = tmp_path / f"atlas_{tol}.gpkg"
        res = runner.invoke(app, ["telemetry", str(csv), "--barriers", str(fence), "--d-m",
                                  "500", "--interval", "1", "--tolerance", tol, "--atlas",
                                  str(a), "-q"])
        assert res.exit_code == 0, res.output
        ev = atlas.read_atlas_layer(a, "barrier_events")
        counts[tol] = ev["eventTYPE"].tolist()
        assert "LINESTRING" not in res.output and "geometry" not in res.output
        assert atlas.history(a)["params"].iloc[0]["tolerance"] == float(tol)
    assert counts == {"0": ["Bounce", "Bounce"], "1": ["Bounce"]}


def test_telemetry_passes_every_baba_option(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import camigeo.telemetry as tel

    seen: dict = {}
    real = tel.run_telemetry

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(tel, "run_telemetry", spy)
    csv = tmp_path / "tracks.csv"
    _write_fixes(csv, [60.0 + 0.01 * i for i in range(12)])
    res = runner.invoke(app, ["telemetry", str(csv), "--barriers", str(_fence_file(tmp_path)),
                              "--d-m", "500", "--interval", "1", "--max-cross", "2",
                              "--sd-multiplier", "1.5", "--exclude-buffer", "--tolerance",
                              "2", "--barrier-id-col", "name", "--min-total-enc", "3",
                              "--bin-km", "0.5", "--top-k", "4", "--atlas",
                              str(tmp_path / "a.gpkg"), "-q"])
    assert res.exit_code == 0, res.output
    assert {k: seen[k] for k in ("d", "max_cross", "sd_multiplier", "exclude_buffer",
                                 "tolerance", "barrier_id_col", "min_total_enc", "bin_km",
                                 "top_k")} == {
        "d": 500.0, "max_cross": 2, "sd_multiplier": 1.5, "exclude_buffer": True,
        "tolerance": 2.0, "barrier_id_col": "name", "min_total_enc": 3, "bin_km": 0.5,
        "top_k": 4}
    rank = atlas.read_atlas_layer(tmp_path / "a.gpkg", "barrier_ranking")
    assert rank["barrier_id"].tolist() == ["Fence <one>"]


def test_telemetry_barriers_layer_spec_and_multi_layer_hint(tmp_path: Path) -> None:
    csv = tmp_path / "tracks.csv"
    _write_fixes(csv, [60.0 + 0.01 * i for i in range(12)])
    gpkg = tmp_path / "many.gpkg"
    fence = gpd.read_file(_fence_file(tmp_path))
    fence.to_file(gpkg, layer="fences")
    fence.assign(infra_id="G").to_file(gpkg, layer="other")
    res = runner.invoke(app, ["telemetry", str(csv), "--barriers", str(gpkg), "--atlas",
                              str(tmp_path / "a.gpkg"), "-q"])
    assert res.exit_code == 1
    assert f"barriers: {gpkg} holds 2 layers (fences, other); choose one as {gpkg}::LAYER" \
        in res.output
    res = runner.invoke(app, ["telemetry", str(csv), "--barriers", f"{gpkg}::other",
                              "--d-m", "500", "--interval", "1", "--atlas",
                              str(tmp_path / "a.gpkg"), "-q"])
    assert res.exit_code == 0, res.output
    rank = atlas.read_atlas_layer(tmp_path / "a.gpkg", "barrier_ranking")
    assert rank["barrier_id"].tolist() == ["G"]  # the chosen layer's feature
    # the console ranking is the short table: no geometry, no raw count columns
    assert "Quick_Cross  Bounce" not in res.output and "LINESTRING" not in res.output
    assert "permeability" in res.output


@pytest.mark.filterwarnings("default::camigeo._errors.CamigeoWarning")
def test_warnings_are_one_log_line_and_errors_exit_1(tmp_path: Path) -> None:
    import warnings

    csv = tmp_path / "dup.csv"
    lons = [60.0 + 0.01 * i for i in range(6)]
    _write_fixes(csv, lons)
    df = pd.read_csv(csv)
    df.loc[3, "timestamp"] = df.loc[2, "timestamp"]  # a repeated fix time
    df.to_csv(csv, index=False)
    saved = warnings.showwarning
    try:
        res = runner.invoke(app, ["telemetry", str(csv), "--barriers",
                                  str(_fence_file(tmp_path)), "--atlas",
                                  str(tmp_path / "a.gpkg"), "-q"])
    finally:
        warnings.showwarning = saved
    assert res.exit_code == 1
    assert "WARNING CamigeoWarning: " in res.output and "repeat an earlier" in res.output
    assert "movebank.py:" not in res.output  # no file:line of the default display
    assert "Error: tracks: 1 fixes repeat the timestamp of the previous fix" in res.output
    assert "Traceback" not in res.output


def test_telemetry_missing_file(tmp_path: Path) -> None:
    res = runner.invoke(app, ["telemetry", str(tmp_path / "none.csv")])
    assert res.exit_code == 1
    assert "tracks: file" in res.output


def _write_asc(path: Path, arr: list[list[float]], nodata: float = -9999) -> None:
    lines = [f"ncols {len(arr[0])}", f"nrows {len(arr)}", "xllcorner 0", "yllcorner 0",
             "cellsize 1", f"NODATA_value {nodata}"]
    lines += [" ".join(str(v) for v in row) for row in arr]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_circuit_ini_series_resistance(tmp_path: Path) -> None:
    # three cells in a row, resistance 1 each, focal nodes 1 and 2 at the ends: two edges of
    # (1+1)/2 conductance in series -> effective resistance 2 ohm
    _write_asc(tmp_path / "hab.asc", [[1, 1, 1]])
    _write_asc(tmp_path / "pts.asc", [[1, -9999, 2]])
    ini = tmp_path / "series.ini"
    ini.write_text("\n".join([
        "[Circuitscape mode]", "data_type = raster", "scenario = pairwise",
        "[Habitat raster or graph]", "habitat_file = hab.asc",
        "habitat_map_is_resistances = True",
        "[Options for pairwise and one-to-all and all-to-one modes]",
        "point_file = pts.asc", "use_included_pairs = False",
        "[Connection scheme for raster habitat data]",
        "connect_four_neighbors_only = True", "connect_using_avg_resistances = False",
        "[Calculation options]", "solver = cg+amg",
        "[Output options]", "output_file = out/series.out", "write_cur_maps = False",
        "write_volt_maps = False",
    ]) + "\n", encoding="utf-8")
    res = runner.invoke(app, ["circuit", "--ini", str(ini), "--output-dir",
                              str(tmp_path / "res"), "-q"])
    assert res.exit_code == 0, res.output
    out = list((tmp_path / "res").glob("*resistances*"))
    assert out, res.output
    import numpy as np

    mat = np.loadtxt(sorted(out)[0])
    assert mat[1:, 1:][0, 1] == pytest.approx(2.0, rel=1e-6)


def test_circuit_ini_missing(tmp_path: Path) -> None:
    res = runner.invoke(app, ["circuit", "--ini", str(tmp_path / "x.ini")])
    assert res.exit_code == 1 and "--ini: file" in res.output


def test_map_command_without_atlas_writes_offline_html(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no outputs/atlas.gpkg here: bundled data are mapped
    res = runner.invoke(app, ["map", "--out", "m.html", "--tiles", "none", "-q"])
    assert res.exit_code == 0, res.output
    text = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "PTCRs" in text and "Infrastructure" in text
    assert '<script src="http' not in text
    res = runner.invoke(app, ["map", "--atlas", "nope.gpkg"])
    assert res.exit_code == 1 and "--atlas: no Atlas GeoPackage at nope.gpkg" in res.output


@pytest.mark.slow
def test_screen_command(tmp_path: Path) -> None:
    # a planned railway through the bundled Ustyurt PTCR (ptcr_id 1)
    from camigeo import datasets

    p = datasets.load_ptcrs()
    ust = p[p["ptcr_id"] == 1].to_crs(4326).geometry.iloc[0]
    c = ust.representative_point()
    line = LineString([(c.x - 1.0, c.y), (c.x + 1.0, c.y)])
    planned = tmp_path / "planned.gpkg"
    gpd.GeoDataFrame({"name": ["New line"], "infra_type": ["railway"]}, geometry=[line],
                     crs=4326).to_file(planned)
    res = runner.invoke(app, ["screen", str(planned), "--out", str(tmp_path / "o"), "-q"])
    assert res.exit_code == 0, res.output
    assert "Ustyurt" in res.output or " 1 " in res.output
    assert list((tmp_path / "o").glob("*.html"))


def test_screen_missing_file(tmp_path: Path) -> None:
    res = runner.invoke(app, ["screen", str(tmp_path / "none.gpkg")])
    assert res.exit_code == 1 and "planned: file" in res.output


def test_main_entry_point_runs_version() -> None:
    out = subprocess.run([sys.executable, "-c", "from camigeo.cli import main; main()",
                          "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("camigeo ")



def test_map_command_from_atlas(tmp_path: Path) -> None:
    from shapely.geometry import box

    ptcr = gpd.GeoDataFrame({"ptcr_id": [1, 2], "name": ["North <x>", "South"]},
                            geometry=[box(60, 45, 61, 46), box(60, 44, 61, 45)], crs=4326)
    summary = pd.DataFrame({"ptcr_id": [1, 2], "conflict_score": [2.0, 1.0], "rank": [1, 2]})
    ranges = gpd.GeoDataFrame({"sci_name": ["Saiga spp."]}, geometry=[box(59, 43, 62, 47)],
                              crs=4326)
    a = tmp_path / "atlas.gpkg"
    atlas.update(a, {"ptcr": ptcr, "conflict_summary": summary, "infrastructure": _infra(1),
                     "ranges": ranges})
    out = tmp_path / "m.html"
    res = runner.invoke(app, ["map", "--atlas", str(a), "--out", str(out), "--tiles", "none",
                              "-q"])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    assert "PTCRs by conflict score" in text
    # layer name: common name, scientific name in italics (JSON-escaped in the script)
    assert "Range: Saiga antelope \\u003ci\\u003eSaiga spp." in text
    assert "North <x>" not in text  # escaped
    assert "Uncia uncia" not in text  # the Atlas' ranges, not the bundled ones


@pytest.mark.slow
def test_score_corridors_circuit_commands_on_bundled_data(tmp_path: Path) -> None:
    a = tmp_path / "atlas.gpkg"
    csv = tmp_path / "ranked.csv"
    res = runner.invoke(app, ["score", "--csv", str(csv), "--atlas", str(a), "-q"])
    assert res.exit_code == 0, res.output
    ranked = pd.read_csv(csv)
    assert ranked["rank"].tolist() == list(range(1, 14))
    assert ranked["conflict_score"].is_monotonic_decreasing
    res = runner.invoke(app, ["corridors", "--species", "Saiga spp.", "--cell-km", "25",
                              "--atlas", str(a), "-q"])
    assert res.exit_code == 0, res.output
    links = atlas.read_atlas_layer(a, "corridor_links")
    assert set(links["species"]) == {"Saiga spp."} and (links["cw_dist"] > 0).all()
    assert atlas.history(a)["command"].tolist() == ["camigeo score", "camigeo corridors"]
    res = runner.invoke(app, ["circuit", "--species", "Equus hemionus", "--cell-km", "25",
                              "--out", str(tmp_path / "c"), "-q"])
    assert res.exit_code == 0, res.output
    import rasterio

    with rasterio.open(tmp_path / "c" / "current_equus_hemionus.tif") as src:
        assert float(src.read(1, masked=True).max()) > 0


@pytest.mark.slow
def test_run_command_prints_ranked_table_and_writes_outputs(tmp_path: Path) -> None:
    from camigeo import datasets

    p = datasets.load_ptcrs()
    sub = tmp_path / "two.gpkg"
    p[p["ptcr_id"].isin([1, 3])].to_file(sub)
    out = tmp_path / "fresh" / "outputs"  # the folder does not exist yet
    res = runner.invoke(app, ["run", "--out", str(out), "--ptcrs", str(sub), "--skip",
                              "corridors", "--skip", "circuit", "--grid-cell-km", "200",
                              "--tiles", "none", "-q"])
    assert res.exit_code == 0, res.output
    for name in ("atlas.gpkg", "map.html", "atlas_report.pdf", "summary.csv"):
        assert (out / name).is_file(), name
    assert "PTCRs ranked by barrier conflict score (camigeo run):" in res.output
    lines = res.output.split("PTCRs ranked by barrier conflict score (camigeo run):\n")[1]
    header, first, second = lines.splitlines()[:3]
    assert header.split()[:4] == ["rank", "ptcr_id", "name", "conflict_score"]
    assert "geometry" not in header
    summ = atlas.read_atlas_layer(out / "atlas.gpkg", "conflict_summary").sort_values("rank")
    names = dict(zip(p["ptcr_id"], p["name"], strict=True))
    for line, (_, row) in zip((first, second), summ.iterrows(), strict=True):
        assert line.split()[:2] == [str(int(row["rank"])), str(int(row["ptcr_id"]))]
        assert names[int(row["ptcr_id"])] in line
        assert f"{float(row['conflict_score']):,.2f}" in line
    # -q: nothing but the tables (no INFO log lines, no warning for the skipped steps)
    assert "WARNING" not in res.output and "INFO" not in res.output


def test_atlas_export_bad_url_exit_1(tmp_path: Path) -> None:
    pytest.importorskip("geoalchemy2", reason="geoalchemy2 not installed (extra 'postgis')")
    a = tmp_path / "a.gpkg"
    atlas.update(a, {"infrastructure": _infra()})
    res = runner.invoke(app, ["atlas", "export", str(a), "--to", "sqlite://"])
    assert res.exit_code == 1
    assert "Error: to: expected a postgresql:// URL, got 'sqlite://'" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["atlas", "export", str(a)])
    assert res.exit_code == 2 and "--to" in res.output  # required option: usage error
