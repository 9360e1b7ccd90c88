"""Batched multifrontal window solver (solver="multifrontal", the default) and threads=.

Expected values: a window whose voltages follow from Ohm's law by hand, and SciPy's SuperLU
(a peer direct solver) on the same grounded Laplacians.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse.linalg as spla

from camigeo import CamigeoError, Raster
from camigeo.circuit import omniscape
from camigeo.circuit.omniscape_batch import BATCH, BatchFactor, nested_dissection
from camigeo.circuit.omniscape_kernel import WindowSolver, WindowTemplate


def _batch_inputs(t: WindowTemplate, g: np.ndarray, s: np.ndarray):
    """Edge weights, diagonals and right-hand sides of a batch (columns = windows)."""
    w = (g[t.ea] + g[t.eb]) * t.half[:, None]
    diag = np.asarray(t.incidence @ w)
    return (np.ascontiguousarray(w[t.free_edges]), np.ascontiguousarray(diag[t.free]),
            np.ascontiguousarray(s[t.free]), w)


def test_star_window_by_ohms_law() -> None:
    # radius 1, 4 neighbours: the 4 cells touch only the ground (the centre). Cell k has
    # conductance g_k, the centre 2 S: edge (g_k + 2)/2, so V_k = I_k / ((g_k + 2) / 2).
    t = WindowTemplate(1, four_neighbors=True)
    assert t.nf == 4 and t.free_edges.size == 0
    bf = BatchFactor(t.nf, t.rows[t.free], t.cols[t.free], t.fea, t.feb)
    g = np.full((t.n, BATCH), 2.0)
    gk = np.array([1.0, 2.0, 4.0, 6.0])
    g[t.free] = gk[:, None] * np.arange(1, BATCH + 1)[None, :]
    s = np.zeros((t.n, BATCH))
    s[t.free] = np.array([1.0, 0.5, 2.0, 3.0])[:, None]
    wb, diag, b, _ = _batch_inputs(t, g, s)
    x, ok = bf.factor_solve(wb, diag, b)
    assert ok.all()
    want = s[t.free] / ((g[t.free] + 2.0) / 2.0)
    np.testing.assert_allclose(x, want, rtol=1e-14)


@pytest.mark.parametrize("radius,four,leaf", [(2, False, 1), (5, True, 4), (9, False, 24),
                                              (12, False, 6), (12, True, 1000)])
def test_batch_equals_superlu(radius: int, four: bool, leaf: int) -> None:
    t = WindowTemplate(radius, four_neighbors=four)
    bf = BatchFactor(t.nf, t.rows[t.free], t.cols[t.free], t.fea, t.feb, leaf_size=leaf)
    rng = np.random.default_rng(radius)
    g = 10 ** rng.uniform(-2, 2, (t.n, BATCH))  # 4 orders of magnitude of conductance
    s = rng.random((t.n, BATCH))
    wb, diag, b, w = _batch_inputs(t, g, s)
    x, ok = bf.factor_solve(wb, diag, b)
    assert ok.all()
    for k in range(BATCH):
        ref = spla.spsolve(t.matrix(w[:, k], None), b[:, k])
        np.testing.assert_allclose(x[:, k], ref, rtol=1e-9, atol=1e-12 * np.abs(ref).max())


def test_nested_dissection_separates() -> None:
    # every cell is eliminated once, and no edge joins the two halves below a separator
    t = WindowTemplate(15)
    nodes = nested_dissection(t.rows[t.free], t.cols[t.free], leaf_size=10)
    order = np.concatenate([nd.pivots for nd in nodes])
    assert np.array_equal(np.sort(order), np.arange(t.nf))
    for nd in nodes:
        if len(nd.children) == 2:
            a = np.zeros(t.nf, bool)
            b = np.zeros(t.nf, bool)
            a[nodes[nd.children[0]].domain] = True
            b[nodes[nd.children[1]].domain] = True
            assert not np.any(a[t.fea] & b[t.feb]) and not np.any(b[t.fea] & a[t.feb])


def _windows(t: WindowTemplate, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    g = rng.uniform(0.2, 5.0, (k, t.n))
    g[rng.random((k, t.n)) < 0.15] = 0.0  # NODATA cells
    g[:, t.center] = 1.0
    # window 2: a ring of NODATA cuts an island off the ground's component
    ring = (t.cell_dist > 3.5) & (t.cell_dist < 5)
    g[2, ring] = 0.0
    s = rng.random((k, t.n)) * (g > 0)
    s[:, t.center] = 0.0
    return g, s


def test_solve_many_equals_per_window_superlu() -> None:
    t = WindowTemplate(7)
    g, s = _windows(t, BATCH, 3)
    batch = WindowSolver(t, solver="multifrontal").solve_many(g, s, [(0, k) for k in range(8)])
    lu = WindowSolver(t, solver="splu")
    for k in range(BATCH):
        want = lu.solve(g[k], s[k])
        assert want is not None and batch[k] is not None
        np.testing.assert_allclose(batch[k], want, rtol=1e-9, atol=1e-12)
    # the cells beyond the NODATA ring are cut off from the ground and carry no current
    assert np.all(batch[2][t.cell_dist >= 5] == 0)


def test_failed_batch_window_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    t = WindowTemplate(5)
    g, s = _windows(t, 3, 9)
    ref = WindowSolver(t, solver="splu")
    orig = BatchFactor.factor_solve

    def bad_pivot(self, w, diag, b):
        x, ok = orig(self, w, diag, b)
        ok[1] = False  # window 1: as if a pivot had been <= 0
        x[:, 2] *= 1.01  # window 2: voltages 1 % off -> residual far above 1e-6
        return x, ok

    monkeypatch.setattr(BatchFactor, "factor_solve", bad_pivot)
    ws = WindowSolver(t, solver="multifrontal", fallback="splu")
    out = ws.solve_many(g, s, [(10, 0), (10, 1), (10, 2)])
    assert [(r.row, r.col, r.first_solver, r.fallback) for r in ws.reports] == [
        (10, 1, "multifrontal", "splu"), (10, 2, "multifrontal", "splu")]
    assert "pivot" in ws.reports[0].error and "residual" in ws.reports[1].error
    for k in range(3):
        np.testing.assert_allclose(out[k], ref.solve(g[k], s[k]), rtol=1e-9, atol=1e-12)
    skip = WindowSolver(t, solver="multifrontal", fallback=None)
    out2 = skip.solve_many(g, s, [(0, 0), (0, 1), (0, 2)])
    assert out2[1] is None and out2[2] is None and out2[0] is not None


def _grid(seed: int = 5, shape: tuple[int, int] = (40, 33)) -> Raster:
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 5.0, shape)
    a[rng.random(shape) < 0.05] = -9999
    return Raster.from_array(a, nodata=-9999, cellsize=100.0, crs="EPSG:32645")


def test_multifrontal_run_equals_superlu_run() -> None:
    r = _grid()
    kw = dict(radius=6, block_size=3, calc_normalized_current=True)
    mf = omniscape(r, solver="multifrontal", **kw)
    lu = omniscape(r, solver="splu", **kw)
    assert mf.n_solved == lu.n_solved > 0 and not mf.reports
    np.testing.assert_allclose(mf.cumulative.array, lu.cumulative.array, rtol=1e-9)
    np.testing.assert_allclose(mf.normalized.array, lu.normalized.array, rtol=1e-9)


def test_threads_do_not_change_the_result(tmp_path: Path) -> None:
    import rasterio

    r = _grid(seed=11, shape=(60, 41))
    kw = dict(radius=5, block_size=1, calc_flow_potential=True)
    one = omniscape(r, threads=1, **kw)
    two = omniscape(r, threads=2, **kw)
    assert np.array_equal(one.cumulative.array, two.cumulative.array)
    assert np.array_equal(one.flow_potential.array, two.flow_potential.array)
    path = r.to_file(tmp_path / "res.tif")
    ooc = omniscape(path, out_dir=tmp_path / "o", threads=2, **kw)
    with rasterio.open(ooc.paths["cum_currmap"]) as ds:
        np.testing.assert_allclose(ds.read(1), one.cumulative.array, rtol=1e-12, atol=1e-15)
    with pytest.raises(CamigeoError, match="threads"):
        omniscape(r, radius=2, threads=0)


def test_ini_parallelize_sets_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    import camigeo.circuit.omniscape_core as core
    from camigeo.circuit import run_omniscape
    from camigeo.cli import app

    seen: list[int] = []
    orig = core.run_chunks_threaded

    def spy(chunks, ctx, threads):
        seen.append(threads)
        return orig(chunks, ctx, threads)

    monkeypatch.setattr(core, "run_chunks_threaded", spy)
    import sys

    monkeypatch.setattr(sys.modules["camigeo.circuit.omniscape"], "default_threads", lambda: 5)
    (tmp_path / "in").mkdir()
    Raster.from_array(np.arange(1.0, 13.0).reshape(3, 4)).to_file(tmp_path / "in" / "r.asc")
    for flag, want in (("false", 1), ("true", 5)):
        ini = tmp_path / "in" / f"{flag}.ini"
        ini.write_text(f"[Options]\nresistance_file = in/r.asc\nradius = 2\nproject_name = "
                       f"p{flag}\nsource_from_resistance = true\nparallelize = {flag}\n")
        run_omniscape(ini, output_dir=tmp_path / "o")
        assert seen[-1] == want
    r = CliRunner().invoke(app, ["omniscape", str(tmp_path / "in" / "false.ini"),
                                 "--output-dir", str(tmp_path / "c"), "--threads", "3", "-q"])
    assert r.exit_code == 0, r.output
    assert seen[-1] == 3


def test_non_spd_and_nan_windows_are_flagged_alone() -> None:
    # window 3: one diagonal entry made negative (not positive definite); window 5: a NaN
    # conductance. Only those two are flagged; the other six still match SuperLU.
    t = WindowTemplate(6)
    bf = BatchFactor(t.nf, t.rows[t.free], t.cols[t.free], t.fea, t.feb)
    rng = np.random.default_rng(4)
    g = rng.uniform(0.5, 2.0, (t.n, BATCH))
    s = rng.random((t.n, BATCH))
    wb, diag, b, w = _batch_inputs(t, g, s)
    diag[10, 3] = -1.0
    wb[7, 5] = np.nan
    x, ok = bf.factor_solve(wb, diag, b)
    assert ok.tolist() == [k not in (3, 5) for k in range(BATCH)]
    for k in (0, 1, 2, 4, 6, 7):
        ref = spla.spsolve(t.matrix(w[:, k], None), b[:, k])
        np.testing.assert_allclose(x[:, k], ref, rtol=1e-9)
