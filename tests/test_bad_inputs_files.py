"""Catalogue of hostile files (issue 14): readers survive any bytes.

Each case writes a file into a fresh folder and calls a reader; it asserts the camigeo error
class, that the message names the user's file (never a temporary copy) and says the fix.
Random bytes are fuzzed with hypothesis at the end: only camigeo errors may come out.
"""

from __future__ import annotations

import gzip
import os
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString

import camigeo
from camigeo import CamigeoError, CamigeoWarning, DataNotFoundError, SchemaError, atlas
from camigeo.circuit import run_ini

MB_HEADER = "individual-local-identifier,timestamp,location-long,location-lat\n"
MB_ROW = "a,2014-01-01 05:00:00.000,60.1,45.2\n"

ASC = ("ncols 3\nnrows 3\nxllcorner 0\nyllcorner 0\ncellsize 1\nNODATA_value -9999\n"
       "1 1 1\n1 1 1\n1 1 1\n")


def _ini(folder: Path, **over: str) -> Path:
    (folder / "hab.asc").write_text(over.pop("_grid", ASC))
    (folder / "pts.txt").write_text(over.pop("_points", "1 0.5 2.5\n2 2.5 0.5\n"))
    opts = {"data_type": "raster", "scenario": "pairwise", "habitat_file": "hab.asc",
            "habitat_map_is_resistances": "True", "point_file": "pts.txt",
            "output_file": "out/r.out"}
    opts.update(over)
    p = folder / "run.ini"
    p.write_text("[Circuitscape]\n" + "".join(f"{k} = {v}\n" for k, v in opts.items()))
    return p


def _gpkg(folder: Path) -> Path:
    g = gpd.GeoDataFrame({"infra_type": ["road"]}, geometry=[LineString([(0, 0), (1, 1)])],
                         crs=4326)
    p = folder / "ok.gpkg"
    camigeo.write_layer(g, p, "lines")
    return p


CASES: list[Any] = []


def add(cid: str, make: Callable[[Path], Any], exc: type[Exception], names: str,
        fix: str) -> None:
    """``make(folder)`` writes the hostile file(s) and makes the call."""
    CASES.append(pytest.param(make, exc, names, fix, id=cid))


def _w(folder: Path, name: str, data: bytes | str) -> Path:
    p = folder / name
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return p


# --- Movebank CSV
add("mb-missing", lambda d: camigeo.read_movebank(d / "nope.csv"), DataNotFoundError,
    r"nope.csv: Movebank CSV not found", r"working folder")
add("mb-folder", lambda d: camigeo.read_movebank(d), DataNotFoundError,
    r"is a folder; expected a Movebank CSV", r"Pass the path")
add("mb-empty", lambda d: camigeo.read_movebank(_w(d, "e.csv", b"")), SchemaError,
    r"e.csv: the Movebank CSV is empty", r"Export the study again")
add("mb-header-only", lambda d: camigeo.read_movebank(_w(d, "h.csv", MB_HEADER)),
    SchemaError, r"h.csv: the Movebank CSV has a header but no fixes", r"Check the export")
add("mb-binary", lambda d: camigeo.read_movebank(_w(d, "b.csv", b"PK\x03\x04\x00\x00xl")),
    CamigeoError, r"b.csv: this Movebank CSV is not text", r"Save it as CSV")
add("mb-utf8-forced-on-cp1251", lambda d: camigeo.read_movebank(
    _w(d, "c.csv", (MB_HEADER + "Сайга,2014-01-01 05:00:00.000,60,45\n").encode("cp1251")),
    encoding="utf-8"), CamigeoError, r"c.csv: this Movebank CSV cannot be read as utf-8",
    r"encoding='cp1251'")
add("mb-unknown-encoding", lambda d: camigeo.read_movebank(_w(d, "u.csv", MB_HEADER + MB_ROW),
                                                           encoding="klingon"),
    SchemaError, r"encoding='klingon' is not a known", r"use e.g. 'utf-8'")
add("mb-missing-columns", lambda d: camigeo.read_movebank(_w(d, "m.csv", "a,b,c\n1,2,3\n")),
    SchemaError, r"m.csv: not a Movebank CSV, missing column", r"Expected, in one of")
add("mb-open-quote", lambda d: camigeo.read_movebank(
    _w(d, "q.csv", MB_HEADER + 'a,"2014-01-01,60,45\n')), SchemaError,
    r"q.csv: .*(not a readable CSV|malformed rows)", r"Export the study again|Check the lines")
add("mb-bad-time", lambda d: camigeo.read_movebank(
    _w(d, "t.csv", MB_HEADER + "a,yesterday,60,45\n")), CamigeoError,
    r"t.csv.*timestamp could not be parsed at line\(s\) 2", r"yyyy-MM-dd")
add("mb-lat-out-of-range", lambda d: camigeo.read_movebank(
    _w(d, "r.csv", MB_HEADER + "a,2014-01-01 05:00:00.000,60,4500000\n")), CamigeoError,
    r"r.csv.*outside lon -180..180", r"pass crs=")
add("mb-text-coords", lambda d: camigeo.read_movebank(
    _w(d, "x.csv", MB_HEADER + "a,2014-01-01 05:00:00.000,east,45\n")), CamigeoError,
    r"x.csv.*not numbers at line\(s\) 2", r"location-long")
add("mb-empty-id", lambda d: camigeo.read_movebank(
    _w(d, "i.csv", MB_HEADER + ",2014-01-01 05:00:00.000,60,45\n")), CamigeoError,
    r"i.csv.*individual-local-identifier is empty at line\(s\) 2", r"line")
add("mb-only-nul", lambda d: camigeo.read_movebank(_w(d, "n.csv", b"\x00" * 64)),
    CamigeoError, r"n.csv: this Movebank CSV is not text", r"Save it as CSV")

# --- vector files
add("layer-missing", lambda d: camigeo.read_layer(d / "nope.gpkg"), DataNotFoundError,
    r"nope.gpkg", r"working folder|Check")
add("layer-random", lambda d: camigeo.read_layer(_w(d, "r.gpkg", os.urandom(2048))),
    CamigeoError, r"r.gpkg: could not be opened", r"[Ss]upported|format")
add("layer-empty", lambda d: camigeo.read_layer(_w(d, "e.gpkg", b"")), CamigeoError,
    r"e.gpkg: could not be opened", r"[Ss]upported|format")
add("layer-sqlite-garbage", lambda d: camigeo.read_layer(
    _w(d, "s.gpkg", b"SQLite format 3\x00" + bytes(range(256)) * 8)), CamigeoError,
    r"s.gpkg: could not be opened", r"[Ss]upported|format")
add("layer-wrong-layer", lambda d: camigeo.read_layer(_gpkg(d), "roads"), CamigeoError,
    r"ok.gpkg.*roads", r"lines")
add("layer-int-name", lambda d: camigeo.read_layer(_gpkg(d), 123), CamigeoError,
    r"ok.gpkg: layer=123", r"camigeo.list_layers")
add("layer-bbox-3", lambda d: camigeo.read_layer(_gpkg(d), bbox=(1, 2, 3)), CamigeoError,
    r"ok.gpkg: bbox=\(1, 2, 3\)", r"four numbers")
add("layer-bbox-text", lambda d: camigeo.read_layer(_gpkg(d), bbox="0,0,1,1"), CamigeoError,
    r"ok.gpkg: bbox='0,0,1,1'", r"four numbers")
add("layer-bbox-nan", lambda d: camigeo.read_layer(_gpkg(d), bbox=(0, 0, float("nan"), 1)),
    SchemaError, r"bbox\[2\] = nan", r"finite")
add("layer-where-bad-sql", lambda d: camigeo.read_layer(_gpkg(d), where="name = = 'x'"),
    CamigeoError, r"ok.gpkg \(layer 'lines'\): could not be read", r"Check that")
add("layer-kind", lambda d: camigeo.read_layer(_gpkg(d), kind="railways"), CamigeoError,
    r"kind='railways'", r"expected one of")
add("layer-geojson-garbage", lambda d: camigeo.read_layer(_w(d, "g.geojson", "{\"type\": ")),
    CamigeoError, r"g.geojson", r"[Ss]upported|format|could not")
add("layer-write-nul", lambda d: camigeo.write_layer(gpd.GeoDataFrame(
    {"name": ["a\x00b"]}, geometry=[LineString([(0, 0), (1, 1)])], crs=4326), d / "n.gpkg"),
    SchemaError, r"write_layer\(.*n.gpkg\): column 'name' has text with a NUL", r"str.replace")
add("layer-write-no-crs", lambda d: camigeo.write_layer(gpd.GeoDataFrame(
    {"a": [1]}, geometry=[LineString([(0, 0), (1, 1)])]), d / "c.gpkg"), CamigeoError,
    r"write_layer\(.*c.gpkg\): the GeoDataFrame has no CRS", r"set_crs")
add("layer-write-mode", lambda d: camigeo.write_layer(gpd.GeoDataFrame(
    {"a": [1]}, geometry=[LineString([(0, 0), (1, 1)])], crs=4326), d / "m.gpkg",
    mode="merge"), CamigeoError, r"mode='merge'", r"'replace' or 'append'")

# --- Atlas files
add("atlas-corrupt-update", lambda d: atlas.update(
    _w(d, "atlas.gpkg", b"SQLite format 3\x00" + os.urandom(4000)),
    {"a": pd.DataFrame({"x": [1]})}), CamigeoError,
    r"atlas: .*/atlas.gpkg is not a readable GeoPackage", r"restore it from a backup")
add("atlas-corrupt-history", lambda d: atlas.history(_w(d, "atlas.gpkg", os.urandom(500))),
    CamigeoError, r"atlas: .*/atlas.gpkg is not a readable GeoPackage", r"restore it")
add("atlas-corrupt-list", lambda d: atlas.list_atlas_layers(_w(d, "atlas.gpkg", b"x")),
    CamigeoError, r"/atlas.gpkg is not a readable GeoPackage", r"restore it")
add("atlas-corrupt-diff", lambda d: atlas.diff(_w(d, "old.gpkg", b"x"), _w(d, "new.gpkg", b"y")),
    CamigeoError, r"old: .*/old.gpkg is not a readable", r"restore it")
add("atlas-missing", lambda d: atlas.history(d / "none.gpkg"), DataNotFoundError,
    r"no Atlas GeoPackage at .*none.gpkg", r"Create one")
add("atlas-missing-layer", lambda d: atlas.read_atlas_layer(_atlas(d), "nope"),
    DataNotFoundError, r"layer 'nope' not found in Atlas", r"layers: \['a'\]")
add("atlas-missing-version", lambda d: atlas.read_atlas_layer(_atlas(d), "a", version=9),
    DataNotFoundError, r"layer 'a' has no version 9", r"stored versions: \[1\]")
add("atlas-missing-input", lambda d: atlas.update(d / "a.gpkg", {"a": pd.DataFrame({"x": [1]})},
                                                  inputs=[d / "gone.csv"]),
    DataNotFoundError, r"inputs: input file .*gone.csv", r"does not exist")


def _atlas(d: Path) -> Path:
    p = d / "atlas.gpkg"
    atlas.update(p, {"a": pd.DataFrame({"x": [1]})})
    return p


# --- Circuitscape INI and its grids
add("ini-missing", lambda d: run_ini(d / "none.ini"), DataNotFoundError,
    r"INI file .*none.ini does not exist", r"does not exist")
add("ini-folder", lambda d: run_ini(d), DataNotFoundError, r"is a folder",
    r"expected a Circuitscape .ini")
add("ini-random-bytes", lambda d: run_ini(_w(d, "r.ini", bytes(range(1, 256)) * 4)),
    CamigeoError, r"r.ini: not a Circuitscape INI file", r"Expected 'key = value'")
add("ini-binary", lambda d: run_ini(_w(d, "b.ini", b"\x00\x01habitat_file = x")),
    CamigeoError, r"b.ini: not a Circuitscape INI file \(binary", r"Pass the .ini text")
add("ini-empty", lambda d: run_ini(_w(d, "e.ini", b"")), CamigeoError,
    r"e.ini: not a Circuitscape INI file", r"habitat_file =")
add("ini-no-output", lambda d: run_ini(_w(d, "o.ini", "habitat_file = h.asc\n")),
    CamigeoError, r"o.ini: output_file is missing", r"add 'output_file =")
add("ini-scenario", lambda d: run_ini(_ini(d, scenario="sideways")), CamigeoError,
    r"run.ini: unsupported Circuitscape option.*scenario = sideways", r"supported:")
add("ini-solver", lambda d: run_ini(_ini(d, solver="magic")), CamigeoError,
    r"solver = magic", r"supported: cg\+amg")
add("ini-bool", lambda d: run_ini(_ini(d, write_cur_maps="perhaps")), CamigeoError,
    r"INI option write_cur_maps = 'perhaps'", r"True/False")
add("ini-placeholder-advanced", lambda d: run_ini(_ini(d, scenario="advanced",
                                                       remove_src_or_gnd="not entered")),
    CamigeoError, r"remove_src_or_gnd = not entered", r"supported: keepall")
add("ini-habitat-missing", lambda d: run_ini(_ini(d, habitat_file="gone.asc")),
    DataNotFoundError, r"habitat_file = gone.asc does not exist", r"gone.asc")
add("ini-point-placeholder", lambda d: run_ini(_ini(
    d, point_file="(Browse for file with locations of focal points or areas)")),
    CamigeoError, r"option point_file must name a file", r"Set point_file = <path>")
add("ini-grid-bad-row", lambda d: run_ini(_ini(d, _grid=ASC.replace("1 1 1\n1 1 1\n1 1 1",
                                                                    "1 1 1\n1 x 1\n1 1 1"))),
    CamigeoError, r"hab.asc: line 8: 'x' is not a number", r"Fix that row")
add("ini-grid-short", lambda d: run_ini(_ini(d, _grid=ASC[:-6])), CamigeoError,
    r"hab.asc: header says 3 x 3 cells but the file holds 6", r"values")
add("ini-grid-no-header", lambda d: run_ini(_ini(d, _grid="1 2 3\n")), CamigeoError,
    r"hab.asc: not an ESRI ASCII grid", r"starts with ncols")
add("ini-grid-header-text", lambda d: run_ini(_ini(d, _grid=ASC.replace("ncols 3",
                                                                        "ncols three"))),
    CamigeoError, r"hab.asc: header line 1 'ncols three'", r"not a number")
add("ini-grid-huge-header", lambda d: run_ini(_ini(d, _grid=ASC.replace(
    "ncols 3\nnrows 3", "ncols 10000000\nnrows 10000000"))), CamigeoError,
    r"grid .*hab.asc \(10,000,000 x 10,000,000 cells\) needs about", r"Check the header")
add("ini-grid-zero-cols", lambda d: run_ini(_ini(d, _grid=ASC.replace("ncols 3", "ncols 0"))),
    CamigeoError, r"hab.asc: header ncols=0", r"expected positive values")
add("ini-points-text", lambda d: run_ini(_ini(d, _points="1 0.5 2.5\ntwo 2.5 0.5\n")),
    CamigeoError, r"pts.txt: line 2: 'two 2.5 0.5'", r"numbers only")
add("ini-points-short", lambda d: run_ini(_ini(d, _points="1 0.5\n2 2.5\n")), CamigeoError,
    r"pts.txt: focal-node list needs 'id x y'", r"every line")
add("ini-grid-bad-gzip", lambda d: run_ini(_ini(d, habitat_file="hab.asc.gz",
                                                _grid=ASC) if _w(d, "hab.asc.gz", b"\x1f\x8bxx")
                                           else None),
    CamigeoError, r"run.ini: an input file named in this INI could not be used", r"Check the "
    r"files the INI names")
add("ini-pairs-empty", lambda d: run_ini(_ini(d, use_included_pairs="True",
                                              included_pairs_file="p.txt"))
    if _w(d, "p.txt", "") else None, CamigeoError, r"p.txt: included-pairs file is empty",
    r"empty")
add("ini-pairs-bad", lambda d: run_ini(_ini(d, use_included_pairs="True",
                                            included_pairs_file="p.txt"))
    if _w(d, "p.txt", "hello world\n") else None, CamigeoError,
    r"p.txt: included-pairs file must start with 'min'", r"'mode include\|exclude'")
add("ini-network-short", lambda d: run_ini(_ini(d, data_type="network",
                                                habitat_file="g.txt"))
    if _w(d, "g.txt", "1 2\n") else None, CamigeoError, r"g.txt: graph file needs 'i j value'",
    r"lines")
add("ini-network-scenario", lambda d: run_ini(_ini(d, data_type="network", habitat_file="g.txt",
                                                   scenario="one-to-all"))
    if _w(d, "g.txt", "1 2 1\n") else None, CamigeoError,
    r"network mode supports scenario pairwise or advanced", r"not one-to-all")
add("ini-mask-shape", lambda d: run_ini(_ini(d, use_mask="True", mask_file="m.asc"))
    if _w(d, "m.asc", ASC.replace("ncols 3", "ncols 1").replace("1 1 1", "1")) else None,
    CamigeoError, r"mask_file is \(3, 1\), habitat is \(3, 3\)", r"habitat")

# --- rasters
add("raster-missing", lambda d: camigeo.Raster.from_file(d / "none.tif"), DataNotFoundError,
    r"Raster file .*none.tif does not exist", r"Check the path")
add("raster-garbage", lambda d: camigeo.Raster.from_file(_w(d, "g.tif", os.urandom(999))),
    CamigeoError, r"g.tif could not be read as a raster", r"not recognized|format|read")
add("raster-band", lambda d: camigeo.Raster.from_file(_tif(d), band=3), CamigeoError,
    r"t.tif has 1 band\(s\); band=3", r"band")


def _tif(d: Path) -> Path:
    p = d / "t.tif"
    camigeo.Raster.from_array(np.ones((3, 3)), cellsize=1, crs="EPSG:32642").to_file(p)
    return p


@pytest.mark.parametrize(("make", "exc", "names", "fix"), CASES)
def test_bad_file_gives_a_camigeo_error_naming_the_file_and_the_fix(
        make: Callable[[Path], Any], exc: type[Exception], names: str, fix: str,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CamigeoWarning)
        with pytest.raises(CamigeoError) as info:
            make(tmp_path)
    err = info.value
    assert isinstance(err, exc), f"{type(err).__name__}: {err}"
    msg = str(err)
    assert re.search(names, msg, re.S), msg
    assert re.search(fix, msg, re.S), msg
    assert ".tmp" not in msg  # the user's path, never a temporary copy


# ------------------------------------------------------------ readers that decode right
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1251"])
def test_movebank_cyrillic_in_any_common_encoding(tmp_path: Path, encoding: str) -> None:
    text = ("individual-local-identifier,timestamp,location-long,location-lat,comments\n"
            "Сайга-1,2014-01-01 05:00:00.000,60.1,45.2,самка\n")
    p = tmp_path / "m.csv"
    p.write_bytes(text.encode(encoding))
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        fixes = camigeo.read_movebank(p)
    assert fixes["individual_id"].tolist() == ["Сайга-1"]
    assert fixes["comments"].tolist() == ["самка"]
    said = [str(w.message) for w in rec if issubclass(w.category, CamigeoWarning)]
    assert bool(said) == (encoding == "cp1251")  # a guessed code page is announced


def test_movebank_latin1_is_detected(tmp_path: Path) -> None:
    p = tmp_path / "m.csv"
    p.write_bytes(("individual-local-identifier,timestamp,location-long,location-lat\n"
                   "Gazelle-é,2014-01-01 05:00:00.000,60.1,45.2\n").encode("latin-1"))
    with pytest.warns(CamigeoWarning, match="read as latin-1"):
        fixes = camigeo.read_movebank(p)
    assert fixes["individual_id"].tolist() == ["Gazelle-é"]


def test_ini_gui_placeholders_accepted_where_circuitscape_accepts_them(tmp_path: Path) -> None:
    plain = run_ini(_ini(tmp_path, output_file="a/r.out"))["resistances"]
    gui = run_ini(_ini(tmp_path, output_file="b/r.out", remove_src_or_gnd="not entered",
                       source_file="(Browse for a current source file)",
                       ground_file="(Browse for a ground point file)",
                       mask_file="None", included_pairs_file="not entered"))["resistances"]
    np.testing.assert_array_equal(plain, gui)
    # 3x3 unit resistances, 8-neighbour: corner to corner is a known, finite resistance
    assert plain[0, 1] > 0 and np.isfinite(plain[0, 1])


def test_ini_unknown_key_warns_with_the_closest_known_key(tmp_path: Path) -> None:
    with pytest.warns(CamigeoWarning, match=r"unknown INI option 'habitat_map_is_resistance' "
                                            r"is ignored; did you mean "
                                            r"'habitat_map_is_resistances'"):
        run_ini(_ini(tmp_path, habitat_map_is_resistance="False"))


def test_network_pair_files_list_only_the_solved_component(tmp_path: Path) -> None:
    # two components: 1-2-3 (focal 1, 3) and 10-11 (focal 10, 11)
    (tmp_path / "g.txt").write_text("1 2 1\n2 3 1\n10 11 2\n")
    (tmp_path / "f.txt").write_text("1\n3\n10\n11\n")
    ini = tmp_path / "n.ini"
    ini.write_text("data_type = network\nscenario = pairwise\nhabitat_file = g.txt\n"
                   "habitat_map_is_resistances = True\npoint_file = f.txt\n"
                   "write_cur_maps = True\nwrite_volt_maps = True\noutput_file = o/n.out\n")
    res = run_ini(ini)
    R = res["resistances"]
    assert R[0, 1] == pytest.approx(2.0) and R[2, 3] == pytest.approx(2.0)
    assert R[0, 2] == -1  # different components
    out = tmp_path / "o"
    nodes = np.loadtxt(out / "n_node_currents_1_3.txt", ndmin=2)
    assert nodes[:, 0].tolist() == [1, 2, 3]  # not 10, 11
    np.testing.assert_allclose(nodes[:, 1], [1.0, 1.0, 1.0])
    branches = np.loadtxt(out / "n_branch_currents_1_3.txt", ndmin=2)
    assert sorted(map(tuple, branches[:, :2].tolist())) == [(1, 2), (2, 3)]
    np.testing.assert_allclose(branches[:, 2], [1.0, 1.0])
    volts = np.loadtxt(out / "n_voltages_10_11.txt", ndmin=2)
    assert volts[:, 0].tolist() == [10, 11]
    np.testing.assert_allclose(np.abs(volts[1, 1] - volts[0, 1]), 2.0)  # 1 A through 2 ohm
    assert np.loadtxt(out / "n_branch_currents_10_11.txt", ndmin=2).tolist() == [[10, 11, 1]]
    cum = np.loadtxt(out / "n_node_currents_cum.txt", ndmin=2)
    assert cum[:, 0].tolist() == [1, 2, 3, 10, 11]  # the cumulative file keeps every node


# ------------------------------------------------------------------------ fuzzing
_FUZZ = settings(max_examples=int(os.environ.get("CAMIGEO_FUZZ_EXAMPLES", "60")), deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture,
                                        HealthCheck.too_slow])


def _only_camigeo_errors(call: Callable[[], Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            call()
        except CamigeoError:
            pass


@_FUZZ
@given(data=st.binary(max_size=2048))
def test_fuzz_read_layer_random_bytes(tmp_path: Path, data: bytes) -> None:
    for suffix in (".gpkg", ".geojson", ".csv"):
        p = tmp_path / f"f{suffix}"
        p.write_bytes(data)
        _only_camigeo_errors(lambda p=p: camigeo.read_layer(p))


_MB_PIECES = st.sampled_from([MB_HEADER, MB_ROW, "\n", ",", '"', ";", "\x00", "é", "Сайга",
                              "nan", "inf", "-9999", "2014-13-45 99:99:99", "\r\n", "\t",
                              "visible", "false"])


@_FUZZ
@given(data=st.one_of(st.binary(max_size=1024),
                      st.lists(_MB_PIECES, max_size=30).map(
                          lambda parts: "".join(parts).encode("utf-8")),
                      st.lists(_MB_PIECES, max_size=30).map(
                          lambda parts: (MB_HEADER + "".join(parts)).encode("cp1251",
                                                                            "replace"))))
def test_fuzz_read_movebank_random_bytes(tmp_path: Path, data: bytes) -> None:
    p = tmp_path / "m.csv"
    p.write_bytes(data)
    _only_camigeo_errors(lambda: camigeo.read_movebank(p))


_INI_LINES = st.sampled_from([
    "data_type = raster\n", "data_type = network\n", "scenario = pairwise\n",
    "scenario = advanced\n", "scenario = one-to-all\n", "habitat_file = hab.asc\n",
    "habitat_file = g.txt\n", "point_file = pts.txt\n", "output_file = out/r.out\n",
    "use_mask = True\n", "mask_file = hab.asc\n", "write_cur_maps = True\n",
    "source_file = pts.txt\n", "ground_file = pts.txt\n", "use_included_pairs = True\n",
    "included_pairs_file = pts.txt\n", "remove_src_or_gnd = not entered\n", "[x]\n", "=\n",
    "solver = cholmod\n", "habitat_map_is_resistances = False\n", "\x00", "\xff"])


@_FUZZ
@given(lines=st.lists(_INI_LINES, max_size=14), grid=st.binary(max_size=200),
       raw=st.binary(max_size=300))
def test_fuzz_run_ini_random_bytes(tmp_path: Path, lines: list[str], grid: bytes,
                                   raw: bytes) -> None:
    (tmp_path / "hab.asc").write_bytes(ASC.encode() if len(grid) % 3 else grid)
    (tmp_path / "g.txt").write_bytes(grid)
    (tmp_path / "pts.txt").write_bytes(b"1 0.5 2.5\n2 2.5 0.5\n" if len(grid) % 2 else grid)
    ini = tmp_path / "f.ini"
    ini.write_bytes("".join(lines).encode("utf-8", "replace"))
    _only_camigeo_errors(lambda: run_ini(ini, output_dir=tmp_path / "out"))
    ini.write_bytes(raw)
    _only_camigeo_errors(lambda: run_ini(ini, output_dir=tmp_path / "out"))
    with gzip.open(tmp_path / "hab.asc.gz", "wb") as fh:
        fh.write(grid)
