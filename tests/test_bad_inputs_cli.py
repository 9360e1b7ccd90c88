"""Catalogue of hostile command lines (issue 14): exit 1 with one clear line, no traceback.

Every case runs the CLI in-process (typer's CliRunner) and asserts the exit code (1 for a bad
value, 2 for a usage error), that the error names the option or file and says the fix, and
that no Python traceback reaches the user.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from shapely.geometry import LineString, box
from typer.testing import CliRunner

from camigeo.cli import app

runner = CliRunner()


def _w(d: Path, name: str, data: bytes | str) -> str:
    p = d / name
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return str(p)


def _planned(d: Path) -> str:
    g = gpd.GeoDataFrame({"infra_type": ["railway"]},
                         geometry=[LineString([(60, 40), (61, 41)])], crs=4326)
    p = d / "ok_plan.gpkg"
    g.to_file(p)
    return str(p)


def _metres_as_lonlat(d: Path) -> str:
    g = gpd.GeoDataFrame({"infra_type": ["railway"]},
                         geometry=[LineString([(500_000, 4_400_000), (600_000, 4_500_000)])],
                         crs=4326)
    p = d / "planned.gpkg"
    g.to_file(p)
    return str(p)


CASES: list[Any] = []


def add(cid: str, args: Callable[[Path], list[str]], names: str, fix: str,
        code: int = 1) -> None:
    CASES.append(pytest.param(args, names, fix, code, id=cid))


A = "--atlas"
# --- species and filters
add("corridors-species-typo", lambda d: ["corridors", "--species", "kulann", "--cell-km", "50",
                                         A, str(d / "a.gpkg"), "-q"],
    r"unknown species 'kulann'", r"Did you mean 'kulan'")
add("circuit-species-typo", lambda d: ["circuit", "--species", "saigaa", "-q"],
    r"unknown species 'saigaa'", r"Did you mean")
add("run-species-typo", lambda d: ["run", "--species", "kulann", "-o", str(d / "o"), "-q"],
    r"unknown species 'kulann'", r"Did you mean 'kulan'")
add("run-circuit-species-typo", lambda d: ["run", "--circuit-species", "saigaa", "-o",
                                           str(d / "o"), "-q"],
    r"unknown species 'saigaa'", r"Did you mean")
add("score-status-unknown", lambda d: ["score", "--status", "ruined", "-q"],
    r"--status 'ruined' is not an infrastructure status", r"expected one of existing")
add("score-status-typo", lambda d: ["score", "--status", "plannned", "-q"],
    r"--status 'plannned'", r"Did you mean 'planned'")
add("score-status-selects-nothing", lambda d: [
    "score", "--status", "planned", "--infrastructure", _existing_only(d), "-q"],
    r"--status planned selects no line", r"Choose a status present")
add("score-regions-outside-ranges", lambda d: [
    "score", "--ptcrs", _far_ptcrs(d), "--infrastructure", _existing_only(d), "-q"],
    r"score: no PTCR overlaps a species range", r"Check that --ptcrs and --ranges")
# --- numeric options
add("corridors-cell-0", lambda d: ["corridors", "--cell-km", "0", A, str(d / "a.gpkg"), "-q"],
    r"corridor_cell_km \(--cell-km\) = 0", r"Give the grid cell size in km")
add("corridors-cell-neg", lambda d: ["corridors", "--cell-km", "-5", A, str(d / "a.gpkg"),
                                     "-q"],
    r"cell_km \(--cell-km\) = -5", r"Give the grid cell size")
add("corridors-cell-nan", lambda d: ["corridors", "--cell-km", "nan", A, str(d / "a.gpkg"),
                                     "-q"], r"cell_km \(--cell-km\) = nan", r"finite")
add("corridors-cell-tiny", lambda d: ["corridors", "--cell-km", "0.00001", A,
                                      str(d / "a.gpkg"), "-q"],
    r"grid over .* cells\) needs about", r"larger cell size")
add("circuit-cell-0", lambda d: ["circuit", "--species", "kulan", "--cell-km", "0", "-q"],
    r"circuit_cell_km \(--cell-km\) = 0", r"> 0 km")
add("run-cell-0", lambda d: ["run", "--corridor-cell-km", "0", "-o", str(d / "o"), "-q"],
    r"corridor_cell_km", r"> 0")
add("run-skip", lambda d: ["run", "--skip", "everything", "-o", str(d / "o"), "-q"],
    r"skip: unknown or required step", r"skippable steps are")
add("screen-buffer-neg", lambda d: ["screen", _planned(d), "--buffer-m", "-5", "-o",
                                    str(d / "o"), "-q"],
    r"buffer_m = -5", r"metres")
add("screen-buffer-huge", lambda d: ["screen", _planned(d), "--buffer-m", "1e12",
                                     "-o", str(d / "o"), "-q"],
    r"buffer_m = 1000000000000", r"metres")
add("cell-not-a-number", lambda d: ["corridors", "--cell-km", "five"], r"--cell-km",
    r"Invalid value for '--cell-km'", code=2)
# --- files
add("screen-folder", lambda d: ["screen", str(d), "-q"], r"planned: .* is a folder",
    r"It holds no vector file|pass one")
add("screen-folder-with-files", lambda d: ["screen", str(_folder_with_gpkg(d)), "-q"],
    r"is a folder, not a file", r"Vector files in it: x.gpkg")
add("screen-missing", lambda d: ["screen", str(d / "none.gpkg"), "-q"],
    r"planned: file .*none.gpkg does not exist", r"does not exist")
add("screen-random", lambda d: ["screen", _w(d, "r.gpkg", os.urandom(500)), "-q"],
    r"r.gpkg: could not be opened", r"[Ss]upported|format")
add("screen-metres-as-lonlat", lambda d: ["screen", _metres_as_lonlat(d), "-o", str(d / "o"),
                                          "-q"],
    r"not degrees", r"set_crs")
add("score-ptcrs-missing", lambda d: ["score", "--ptcrs", str(d / "none.gpkg"), "-q"],
    r"none.gpkg", r"working folder|Check|not found")
add("score-ranges-garbage", lambda d: ["score", "--ranges", _w(d, "r.gpkg", b"x" * 100), "-q"],
    r"r.gpkg: could not be opened", r"[Ss]upported|format")
add("circuit-ini-missing", lambda d: ["circuit", "--ini", str(d / "none.ini")],
    r"--ini: file .*none.ini does not exist", r"does not exist")
add("circuit-ini-random", lambda d: ["circuit", "--ini", _w(d, "r.ini", bytes(range(1, 200)))],
    r"r.ini: not a Circuitscape INI file", r"Expected 'key = value'")
add("telemetry-missing", lambda d: ["telemetry", str(d / "none.csv"), "-q"],
    r"none.csv", r"not found|does not exist")
add("telemetry-empty", lambda d: ["telemetry", _w(d, "e.csv", b""), "-q"],
    r"e.csv: the Movebank CSV is empty", r"Export the study again")
add("telemetry-binary", lambda d: ["telemetry", _w(d, "b.csv", b"\x00\x01\x02"), "-q"],
    r"b.csv: this Movebank CSV is not text", r"Save it as CSV")
add("atlas-history-missing", lambda d: ["atlas", "history", str(d / "none.gpkg")],
    r"no Atlas GeoPackage at .*none.gpkg", r"Create one")
add("atlas-history-corrupt", lambda d: ["atlas", "history", _w(d, "a.gpkg", os.urandom(300))],
    r"a.gpkg is not a readable GeoPackage", r"restore it from a backup")
add("atlas-diff-corrupt", lambda d: ["atlas", "diff", _w(d, "a.gpkg", b"x"),
                                     _w(d, "b.gpkg", b"y")],
    r"a.gpkg is not a readable GeoPackage", r"restore it")
add("atlas-update-corrupt", lambda d: ["atlas", "update", _w(d, "a.gpkg", b"SQLite x"),
                                       _planned(d)],
    r"a.gpkg is not a readable GeoPackage", r"restore it")
add("atlas-update-input-missing", lambda d: ["atlas", "update", str(d / "a.gpkg"),
                                             str(d / "none.gpkg")],
    r"none.gpkg", r"does not exist|not found")
add("map-atlas-corrupt", lambda d: ["map", A, _w(d, "a.gpkg", b"junk"), "-o",
                                    str(d / "m.html")],
    r"a.gpkg is not a readable GeoPackage", r"restore it")


def _existing_only(d: Path) -> str:
    g = gpd.GeoDataFrame({"infra_type": ["railway"], "status": ["existing"]},
                         geometry=[LineString([(60, 40), (61, 41)])], crs=4326)
    p = d / "existing.gpkg"
    g.to_file(p)
    return str(p)


def _far_ptcrs(d: Path) -> str:
    g = gpd.GeoDataFrame({"ptcr_id": [99], "name": ["Antarctic"]},
                         geometry=[box(0, -80, 1, -79)], crs=4326)
    p = d / "far.gpkg"
    g.to_file(p)
    return str(p)


def _folder_with_gpkg(d: Path) -> Path:
    sub = d / "plans"
    sub.mkdir()
    (sub / "x.gpkg").write_bytes(b"")
    return sub


@pytest.mark.parametrize(("args", "names", "fix", "code"), CASES)
def test_bad_command_line_exits_non_zero_with_one_clear_message(
        args: Callable[[Path], list[str]], names: str, fix: str, code: int, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, args(tmp_path))
    out = res.output
    assert res.exit_code == code, (res.exit_code, out, res.exception)
    assert isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in out
    flat = re.sub(r"\s*[│|]\s*", " ", out)  # typer boxes usage errors
    flat = re.sub(r"\s+", " ", flat)
    assert re.search(names, flat), out
    assert re.search(fix, flat), out
