"""Omniscape moving window: hand-computed windows, options, INI files, scale-out paths.

Expected values are worked out by hand from series/parallel resistor rules (see the comment
above each test); reference tests compare with Omniscape.jl's own outputs.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path

import numpy as np
import pytest

from camigeo import CamigeoError, CamigeoWarning, Raster
from camigeo.circuit import Condition, omniscape, run_omniscape
from camigeo.circuit.omniscape_kernel import WindowSolver

#: hand-computed windows: 4 neighbours (series/parallel by hand) and the README's rule that
#: every pixel other than the target is a source (see test_exclude_rule_at_the_raster_edge)
HAND = dict(connect_four_neighbors_only=True, compat="plain")


def _line(values, **kw) -> Raster:
    return Raster.from_array(np.array([values], dtype=float), **kw)


def _ring() -> tuple[Raster, Raster]:
    """3x3 ring (centre NODATA). Path A (top/right) R=1, path B (left/bottom) R=2."""
    r = np.array([[1.0, 1.0, 1.0], [2.0, -9999, 1.0], [2.0, 2.0, 1.0]])
    s = np.zeros((3, 3))
    s[0, 0] = s[2, 2] = 1.0
    return Raster.from_array(r, nodata=-9999), Raster.from_array(s)


# ----------------------------------------------------------------------------- windows
def test_line_of_three_sources_by_hand() -> None:
    # s = [1, 0, 2, 0, 1]: target 0 sends 2/3 A from cell 2 and 1/3 A from cell 4, target 4
    # mirrors it, target 2 (2 A) takes 1 A from each end. Series: node current = current
    # through the cell: [1+1/3+1, 1+1/3+1, 1+1+2, ...]
    res = _line([1, 3, 1, 2, 1])
    out = omniscape(res, radius=4, source_strength=_line([1, 0, 2, 0, 1]),
                    **HAND)
    assert out.n_windows == 3 and out.n_solved == 3
    np.testing.assert_allclose(out.cumulative.array, [[7 / 3, 7 / 3, 4, 7 / 3, 7 / 3]],
                               rtol=1e-12)


def test_parallel_paths_split_by_resistance() -> None:
    # Edge weight (g1+g2)/2: path A = 4 edges of 1 S -> 4 ohm; path B: 0.75, 0.5, 0.5, 0.75 S
    # -> 4/3+2+2+4/3 = 20/3 ohm. 1 A splits 20/32 = 0.625 (A) and 0.375 (B); both corners are
    # targets of 1 A, so the cumulative map is twice that.
    res, src = _ring()
    out = omniscape(res, radius=3, source_strength=src, **HAND,
                    calc_flow_potential=True, calc_normalized_current=True)
    cum = out.cumulative.array
    np.testing.assert_allclose(cum[0, 1:], [1.25, 1.25], rtol=1e-12)
    np.testing.assert_allclose([cum[1, 0], cum[2, 0], cum[2, 1]], [0.75] * 3, rtol=1e-12)
    np.testing.assert_allclose([cum[0, 0], cum[2, 2]], [2.0, 2.0], rtol=1e-12)
    assert cum[1, 1] == -9999 and out.cumulative.nodata == -9999
    # flow potential: all resistances 1 (centre included: it carries current in the null
    # landscape) -> symmetric; normalized = cum / fp
    fp = out.flow_potential.array
    assert fp[0, 1] == pytest.approx(fp[1, 0]) and fp[1, 1] == -9999
    np.testing.assert_allclose(out.normalized.array[0, 1], cum[0, 1] / fp[0, 1])


def test_block_target_carries_block_sum() -> None:
    # 3 x 6 raster, rows 0 and 2 NODATA: a line. Block 3: centres (1, 1) and (1, 4), each
    # block holds one source of 1 -> 1 A per target. The target's own block holds no source,
    # so target 1 draws its 1 A from cell 5 and target 4 from cell 0: [1, 2, 2, 2, 2, 1]
    r = np.full((3, 6), -9999.0)
    r[1] = 1.0
    s = np.zeros((3, 6))
    s[1, 0] = s[1, 5] = 1.0
    out = omniscape(Raster.from_array(r, nodata=-9999), radius=5, block_size=3,
                    source_strength=s, **HAND)
    assert out.n_windows == 2
    np.testing.assert_allclose(out.cumulative.array[1], [1, 2, 2, 2, 2, 1], rtol=1e-12)
    # a one-row raster has no block centre row with block 3 (Omniscape's grid rule)
    assert omniscape(_line([1.0] * 6), radius=5, block_size=3).n_windows == 0


def test_radius_limits_sources() -> None:
    # radius 2: cell 0 and cell 4 cannot see each other; cell 2 sees both
    out = omniscape(_line([1.0] * 5), radius=2, source_strength=_line([1, 0, 1, 0, 1]),
                    **HAND)
    # target 0 <- 1 A from 2; target 4 <- 1 A from 2; target 2 <- 0.5 A from each end
    np.testing.assert_allclose(out.cumulative.array, [[1.5, 1.5, 3, 1.5, 1.5]], rtol=1e-12)


def test_threshold_and_cutoff_from_resistance() -> None:
    # sources 1/R: R = [1, 4, 1] -> [1, 0.25, 1]; r_cutoff 2 drops the middle one; with a
    # threshold of 1 nothing is left (only strengths above the threshold count)
    res = _line([1.0, 4.0, 1.0])
    out = omniscape(res, radius=2, r_cutoff=2.0, **HAND)
    np.testing.assert_allclose(out.cumulative.array, [[2, 2, 2]], rtol=1e-12)
    none = omniscape(res, radius=2, r_cutoff=2.0, source_threshold=1.0)
    assert none.n_windows == 0 and np.all(none.cumulative.array == 0)


# ----------------------------------------------------------------------------- beyond
def test_separate_target_layer() -> None:
    # only corner (0, 0) is a target: one window, 0.625 / 0.375 split, 1 A at both corners
    res, src = _ring()
    tgt = np.zeros((3, 3))
    tgt[0, 0] = 1.0
    out = omniscape(res, radius=3, source_strength=src, targets=tgt,
                    **HAND)
    assert out.n_windows == 1
    cum = out.cumulative.array
    np.testing.assert_allclose(cum[0, 1:], [0.625, 0.625], rtol=1e-12)
    np.testing.assert_allclose(cum[2, :2], [0.375, 0.375], rtol=1e-12)
    np.testing.assert_allclose([cum[0, 0], cum[2, 2]], [1.0, 1.0], rtol=1e-12)


def test_distance_decay_weights_sources() -> None:
    # target cell 1 (target layer); sources at cells 0 (1 km) and 4 (3 km), equal strength;
    # decay_m = 1000: shares e^-1 : e^-3 -> cell 0 sends 1/(1+e^-2) A
    res = _line([1.0] * 5, cellsize=1000.0, crs="EPSG:32645")
    src = _line([1, 0, 0, 0, 1])
    tgt = _line([0, 1, 0, 0, 0])
    out = omniscape(res, radius=4, source_strength=src, targets=tgt, decay_m=1000.0,
                    **HAND)
    f0 = 1.0 / (1.0 + math.exp(-2.0))
    np.testing.assert_allclose(out.cumulative.array,
                               [[f0, 1.0, 1 - f0, 1 - f0, 1 - f0]], rtol=1e-12)
    flat = omniscape(res, radius=4, source_strength=src, targets=tgt,
                     **HAND)
    np.testing.assert_allclose(flat.cumulative.array, [[0.5, 1, 0.5, 0.5, 0.5]], rtol=1e-12)
    with pytest.raises(CamigeoError, match="geographic"):
        omniscape(_line([1.0] * 5, crs="EPSG:4326"), radius=2, source_strength=src,
                  decay_m=1000.0)


def test_failed_window_falls_back_and_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    res, src = _ring()
    ref = omniscape(res, radius=3, source_strength=src, **HAND)
    orig = WindowSolver._factor_first
    calls = {"n": 0}

    def flaky(self, A):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("simulated factorisation failure")
        return orig(self, A)

    monkeypatch.setattr(WindowSolver, "_factor_first", flaky)
    out = omniscape(res, radius=3, source_strength=src, **HAND,
                    solver="splu", fallback_solver="cg+amg")
    assert len(out.reports) == 1
    rep = out.reports[0]
    assert rep.fallback == "cg+amg" and "simulated" in rep.error
    np.testing.assert_allclose(out.cumulative.array, ref.cumulative.array, rtol=1e-8)
    # without a fallback the window is skipped, reported, and the run still finishes:
    # the first window (corner (0,0)) is missing, i.e. half of the symmetric total
    calls["n"] = 0
    skip = omniscape(res, radius=3, source_strength=src, **HAND,
                     solver="splu", fallback_solver=None)
    assert len(skip.reports) == 1 and skip.reports[0].fallback is None
    np.testing.assert_allclose(skip.cumulative.array[0, 1], 0.625, rtol=1e-12)


def test_ill_conditioned_result_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    # a first solver returning garbage (NaN) is caught by the finiteness check
    res, src = _ring()
    ref = omniscape(res, radius=3, source_strength=src)

    def nan_solver(self, A):
        return lambda b: np.full(b.shape, np.nan)

    monkeypatch.setattr(WindowSolver, "_factor_first", nan_solver)
    out = omniscape(res, radius=3, source_strength=src, solver="splu")
    assert len(out.reports) == 2 and all(r.fallback == "splu" for r in out.reports)
    assert all("non-finite" in r.error for r in out.reports)
    np.testing.assert_allclose(out.cumulative.array, ref.cumulative.array, rtol=1e-10)


def _grid(seed: int = 5, shape: tuple[int, int] = (40, 33)) -> Raster:
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 5.0, shape)
    a[rng.random(shape) < 0.05] = -9999
    return Raster.from_array(a, nodata=-9999, cellsize=100.0, crs="EPSG:32645")


def test_out_of_core_equals_in_memory(tmp_path: Path) -> None:
    import rasterio

    r = _grid(shape=(300, 37))
    path = r.to_file(tmp_path / "res.tif")
    kw = dict(radius=4, block_size=3, calc_normalized_current=True, buffer=1)
    mem = omniscape(r, **kw)
    ooc = omniscape(path, out_dir=tmp_path / "ooc", **kw)
    assert ooc.cumulative is None and ooc.n_windows == mem.n_windows
    for name, want in [("cum_currmap", mem.cumulative), ("flow_potential", mem.flow_potential),
                       ("normalized_cum_currmap", mem.normalized)]:
        with rasterio.open(ooc.paths[name]) as ds:
            assert ds.block_shapes[0] == (256, 256) or ds.profile["tiled"]
            got = ds.read(1)
            assert ds.nodata == -9999
        np.testing.assert_allclose(got, want.array, rtol=1e-12, atol=1e-15)
    with pytest.raises(CamigeoError, match="reads its inputs from files"):
        omniscape(r, out_dir=tmp_path / "x", radius=2)


def test_dask_threads_identical() -> None:
    r = _grid()
    kw = dict(radius=4, calc_flow_potential=True, rows_per_chunk=2)
    local = omniscape(r, **kw)
    threads = omniscape(r, scheduler="threads", **kw)
    assert np.array_equal(local.cumulative.array, threads.cumulative.array)
    assert np.array_equal(local.flow_potential.array, threads.flow_potential.array)
    assert not threads.reports


@pytest.mark.slow
def test_dask_client_identical(client) -> None:
    r = _grid(seed=7)
    local = omniscape(r, radius=3, block_size=3)
    dist = omniscape(r, radius=3, block_size=3, scheduler=client)
    assert np.array_equal(local.cumulative.array, dist.cumulative.array)


# ----------------------------------------------------------------------------- conditions
def test_conditions_equal_within_and_future() -> None:
    res = _line([1.0] * 5)
    src = _line([1, 0, 1, 0, 1])
    cond = _line([1, 1, 1, 1, 2])
    # equal: target 0 <- cell 2, target 2 <- cell 0, target 4 (value 2) has no partner
    eq = omniscape(res, radius=4, source_strength=src, **HAND,
                   conditions=[Condition(cond, comparison="equal")])
    np.testing.assert_allclose(eq.cumulative.array, [[2, 2, 2, 0, 0]], rtol=1e-12)
    # within [t + 0.5, t + 1.5]: targets of value 1 take only cell 4 (value 2)
    wi = omniscape(res, radius=4, source_strength=src, **HAND,
                   conditions=[Condition(cond, comparison="within", lower=0.5, upper=1.5)])
    np.testing.assert_allclose(wi.cumulative.array, [[1, 1, 2, 2, 2]], rtol=1e-12)
    # future: every target's future value is 2 -> all compare equal to cell 4 only
    fu = omniscape(res, radius=4, source_strength=src, **HAND,
                   conditions=[Condition(cond, comparison="equal", future=_line([2.0] * 5))])
    np.testing.assert_allclose(fu.cumulative.array, [[1, 1, 2, 2, 2]], rtol=1e-12)
    with pytest.raises(CamigeoError, match="comparison1"):
        omniscape(res, radius=2, conditions=[Condition(cond, comparison="between")])


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kw,match", [
    (dict(radius=0), "radius"),
    (dict(radius=2, block_size=2), "block_size=2: must be odd"),
    (dict(radius=2, buffer=-1), "buffer"),
    (dict(radius=2, source_strength=np.ones((2, 2))), "same grid"),
])
def test_bad_arguments(kw, match) -> None:
    with pytest.raises(CamigeoError, match=match):
        omniscape(_line([1.0, 1.0, 1.0]), **kw)


def test_zero_resistance_rejected() -> None:
    with pytest.raises(CamigeoError, match="resistance of 0"):
        omniscape(_line([1.0, 0.0, 1.0]), radius=2)


# ----------------------------------------------------------------------------- INI
def _write_case(tmp: Path, lines: dict[str, str], res: np.ndarray | None = None) -> Path:
    (tmp / "in").mkdir(exist_ok=True)
    a = np.array([[1.0, 2.0, 1.0], [5.0, 1.0, 3.0]]) if res is None else res
    Raster.from_array(a, nodata=-9999).to_file(tmp / "in" / "res.asc")
    cfg = {"resistance_file": "in/res.asc", "radius": "2", "project_name": "proj",
           "source_from_resistance": "true", **lines}
    text = "[Options]\n" + "\n".join(f"{k} = {v}" for k, v in cfg.items() if v is not None)
    p = tmp / "in" / "cfg.ini"
    p.write_text(text + "\n")
    return p


def test_ini_writes_omniscape_files(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "reclass.txt").write_text('1\t2\n5\t"missing"\n')
    ini = _write_case(tmp_path, {"reclassify_resistance": "true",
                                 "reclass_table": "in/reclass.txt",
                                 "write_reclassified_resistance": "true",
                                 "calc_normalized_current": "true",
                                 "calc_flow_potential": "true",
                                 "write_as_tif": "false"})
    out = run_omniscape(ini, output_dir=tmp_path / "o")
    names = sorted(p.name for p in out["files"])
    assert names == ["classified_resistance.asc", "config.ini", "cum_currmap.asc",
                     "flow_potential.asc", "normalized_cum_currmap.asc"]
    cls = Raster.from_file(out["project_dir"] / "classified_resistance.asc").masked_float()
    np.testing.assert_array_equal(np.nan_to_num(cls, nan=-1), [[2, 2, 2], [-1, 2, 3]])
    cum = Raster.from_file(out["project_dir"] / "cum_currmap.asc").array
    assert cum[1, 0] == -9999  # mask_nodata: reclassified to missing
    # same call again: folder proj exists -> proj_1 (Omniscape's rule); GeoTIFF output
    ini2 = _write_case(tmp_path, {"write_raw_currmap": "true"})
    again = run_omniscape(ini2, output_dir=tmp_path / "o")
    assert again["project_dir"].name == "proj_1"
    assert (again["project_dir"] / "cum_currmap.tif").is_file()
    assert not (again["project_dir"] / "flow_potential.tif").exists()


def test_ini_unknown_option_warns(tmp_path: Path) -> None:
    ini = _write_case(tmp_path, {"foo": "bar"})
    with pytest.warns(CamigeoWarning, match="foo"):
        run_omniscape(ini, output_dir=tmp_path / "o")


@pytest.mark.parametrize("lines,match", [
    ({"radius": None}, "radius is missing"),
    ({"block_size": "4"}, "block_size = 4: must be an odd"),
    ({"project_name": None}, "project_name is missing"),
    ({"source_from_resistance": "false"}, "source_file is missing"),
    ({"reclassify_resistance": "true"}, "reclass_table is missing"),
    ({"conditional": "true"}, "condition1_file is missing"),
    ({"conditional": "true", "n_conditions": "3"}, "n_conditions = 3"),
    ({"conditional": "true", "condition1_file": "in/res.asc", "comparison1": "above"},
     "comparison1"),
    ({"conditional": "true", "condition1_file": "in/res.asc", "comparison1": "equal",
      "compare_to_future": "1"}, "condition1_future_file is missing"),
    ({"conditional": "true", "condition1_file": "in/res.asc"}, "condition1_lower is missing"),
    ({"solver": "pardiso"}, "solver"),
    ({"precision": "half"}, "precision"),
    ({"mask_nodata": "maybe"}, "mask_nodata"),
])
def test_ini_invalid_configs(tmp_path: Path, lines, match) -> None:
    ini = _write_case(tmp_path, lines)
    with pytest.raises(CamigeoError, match=match):
        run_omniscape(ini, output_dir=tmp_path / "o")


def test_ini_conditional_and_single_precision(tmp_path: Path) -> None:
    ini = _write_case(tmp_path, {"conditional": "true", "condition1_file": "in/res.asc",
                                 "comparison1": "within", "condition1_lower": "-10",
                                 "condition1_upper": "10", "precision": "single"})
    out = run_omniscape(ini, output_dir=tmp_path / "o")
    plain = run_omniscape(_write_case(tmp_path, {}), output_dir=tmp_path / "o")
    a = Raster.from_file(out["project_dir"] / "cum_currmap.tif")
    b = Raster.from_file(plain["project_dir"] / "cum_currmap.tif")
    assert a.array.dtype == np.float32 and b.array.dtype == np.float64
    np.testing.assert_allclose(a.array, b.array, rtol=1e-6)  # every source matches


def test_cli_omniscape(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from camigeo.cli import app

    ini = _write_case(tmp_path, {})
    r = CliRunner().invoke(app, ["omniscape", str(ini), "--output-dir", str(tmp_path / "c"),
                                 "-q"])
    assert r.exit_code == 0, r.output
    assert "windows" in r.output and (tmp_path / "c" / "proj" / "cum_currmap.tif").is_file()
    bad = CliRunner().invoke(app, ["omniscape", str(tmp_path / "nope.ini")])
    assert bad.exit_code == 1 and "does not exist" in bad.output


# ----------------------------------------------------------------------------- reference
def _isapprox(a: np.ndarray, b: np.ndarray, rtol: float = 1e-6) -> bool:
    """Julia ``isapprox(A, B; rtol)``: ``norm(A - B) <= rtol * max(norm(A), norm(B))``."""
    return bool(np.linalg.norm(a - b) <= rtol * max(np.linalg.norm(a), np.linalg.norm(b)))


def _run_case(reference_dir: Path, tmp_path: Path, ini: str) -> Path:
    case = reference_dir / "circuitscape" / "Omniscape_jl" / "input" / ini
    # config3.ini holds two made-up keys (foo, bar) to test Omniscape's warning
    with pytest.warns(CamigeoWarning, match="bar, foo") if ini == "config3.ini" \
            else contextlib.nullcontext():
        out = run_omniscape(case, output_dir=tmp_path)
    return out["project_dir"]


def _grid_9999(path: Path) -> np.ndarray:
    from camigeo.circuit import read_grid

    arr, _ = read_grid(path)
    return np.where(np.isnan(arr), -9999.0, arr)


@pytest.mark.reference
def test_reference_reclass_table_and_nodata(reference_dir: Path, tmp_path: Path) -> None:
    proj = _run_case(reference_dir, tmp_path, "config_reclass.ini")
    exp = reference_dir / "circuitscape" / "Omniscape_jl" / "output_verify" / "test_reclass"
    np.testing.assert_array_equal(_grid_9999(proj / "classified_resistance.asc"),
                                  _grid_9999(exp / "classified_resistance.asc"))
    got, want = _grid_9999(proj / "cum_currmap.asc"), _grid_9999(exp / "cum_currmap.asc")
    np.testing.assert_array_equal(got == -9999, want == -9999)


@pytest.mark.reference
def test_reference_reclass_cum_currmap(reference_dir: Path, tmp_path: Path) -> None:
    # block_size 1: matches Omniscape.jl (Julia isapprox rtol 1e-6, NODATA as -9999)
    proj = _run_case(reference_dir, tmp_path, "config_reclass.ini")
    exp = reference_dir / "circuitscape" / "Omniscape_jl" / "output_verify" / "test_reclass"
    got, want = _grid_9999(proj / "cum_currmap.asc"), _grid_9999(exp / "cum_currmap.asc")
    assert _isapprox(got, want, rtol=1e-6)
    valid = want != -9999  # and cell by cell, without the NODATA cells in the norm
    np.testing.assert_allclose(got[valid], want[valid], rtol=1e-6)


@pytest.mark.reference
def test_reference_test3_cum_currmap(reference_dir: Path, tmp_path: Path) -> None:
    # block_size 3, r_cutoff, source_threshold: matches Omniscape.jl at rtol 1e-6
    proj = _run_case(reference_dir, tmp_path, "config3.ini")
    exp = reference_dir / "circuitscape" / "Omniscape_jl" / "output_verify" / "test3"
    got, want = _grid_9999(proj / "cum_currmap.asc"), _grid_9999(exp / "cum_currmap.asc")
    np.testing.assert_array_equal(got == -9999, want == -9999)
    assert _isapprox(got, want, rtol=1e-6)
    valid = want != -9999
    assert np.linalg.norm(got[valid] - want[valid]) <= 1e-6 * np.linalg.norm(want[valid])


@pytest.mark.reference
def test_reference_test3_flow_potential(reference_dir: Path, tmp_path: Path) -> None:
    proj = _run_case(reference_dir, tmp_path, "config3.ini")
    exp = reference_dir / "circuitscape" / "Omniscape_jl" / "output_verify" / "test3"
    got = _grid_9999(proj / "flow_potential.asc")
    want = _grid_9999(exp / "flow_potential.asc")
    np.testing.assert_array_equal(got == -9999, want == -9999)
    assert _isapprox(got, want, rtol=1e-6)
    valid = want != -9999
    assert np.linalg.norm(got[valid] - want[valid]) <= 1e-6 * np.linalg.norm(want[valid])


def test_exclude_rule_at_the_raster_edge() -> None:
    # 1 x 4 line, radius 2, sources [1, 1, 1, 0], one target (cell 0, 1 A). "target" zeroes
    # cell 0 -> 0.5 A from cells 1 and 2: [1, 1, 0.5, 0]. "omniscape" zeroes the cell at
    # (max(0-2, 0)+2, max(0-2, 0)+2) = (2, 2), outside this one-row raster, so cells 0, 1, 2
    # share the 1 A (1/3 each) and cell 0's third is lost at the ground: [2/3, 2/3, 1/3, 0].
    res = _line([1.0] * 4)
    src = _line([1, 1, 1, 0])
    tgt = _line([1, 0, 0, 0])
    ex = omniscape(res, radius=2, source_strength=src, targets=tgt, compat="plain",
                   connect_four_neighbors_only=True)
    np.testing.assert_allclose(ex.cumulative.array, [[1, 1, 0.5, 0]], rtol=1e-12)
    om = omniscape(res, radius=2, source_strength=src, targets=tgt,
                   connect_four_neighbors_only=True)
    np.testing.assert_allclose(om.cumulative.array, [[2 / 3, 2 / 3, 1 / 3, 0]], rtol=1e-12)


# ----------------------------------------------------------------------------- main job
def test_ptcr_omniscape_gobi_layer() -> None:
    from camigeo import datasets
    from camigeo.circuit.omniscape_job import ptcr_omniscape

    p = datasets.load_ptcrs()
    gobi = p[p["name"] == "Gobi"]
    sp = "Equus hemionus"
    run = ptcr_omniscape(gobi, ranges=datasets.load_ranges(sp), species=sp,
                         infrastructure=datasets.load_infrastructure(), cell_km=25.0)
    res = run.result
    assert res.n_windows > 0 and not res.reports
    cum = res.cumulative.masked_float()
    fp = res.flow_potential.masked_float()
    nrm = res.normalized.masked_float()
    ok = fp > 0
    np.testing.assert_allclose(nrm[ok], cum[ok] / fp[ok], rtol=1e-12)
    # sources only where the range (R = 1) lies inside the PTCR
    src = run.sources.array
    assert src.max() == 1.0 and set(np.unique(src)) <= {0.0, 1.0}
    assert np.all(run.resistance.masked_float()[src > 0] == 1.0)
    top = run.top_cells
    assert len(top) > 0
    rr, cc = res.normalized.rowcol(top.geometry.x.to_numpy(), top.geometry.y.to_numpy())
    np.testing.assert_allclose(top["normalized"], nrm[rr, cc], rtol=1e-12)
    np.testing.assert_allclose(top["current"], cum[rr, cc], rtol=1e-12)
    # the top 5 % inside the PTCR lie above the median of the positive normalized current
    assert top["normalized"].min() >= np.quantile(nrm[ok & (nrm > 0)], 0.5)
    assert top.crs == res.cumulative.crs and set(top["ptcr"]) == {"Gobi"}
