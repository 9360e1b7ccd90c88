"""Brownian bridge movement model: hand-computable answers (camigeo.telemetry.bbmm)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad

import camigeo
from camigeo import CamigeoWarning, Raster, SchemaError
from camigeo.telemetry import bbmm


def _fixes(xy, t_min, *, crs="EPSG:32612", animal="a"):
    xy = np.asarray(xy, dtype=float)
    return gpd.GeoDataFrame(
        {"individual_id": animal,
         "timestamp": pd.Timestamp("2020-03-01", tz="UTC")
         + pd.to_timedelta(np.asarray(t_min, dtype=float), unit="min")},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)


def _whole_grid(x, y, t, le, var, xs, ys, step, max_lag=None):
    """Straightforward R-style evaluation: every time step over every cell centre."""
    gx, gy = np.meshgrid(xs, ys)
    out = np.zeros_like(gx)
    for i in range(len(x) - 1):
        lag = t[i + 1] - t[i]
        if max_lag is not None and lag > max_lag:
            continue
        tm = 0.0
        while tm <= lag:
            a = tm / lag
            mx, my = x[i] + a * (x[i + 1] - x[i]), y[i] + a * (y[i + 1] - y[i])
            s2 = lag * a * (1 - a) * var + (1 - a) ** 2 * le[i] ** 2 + a ** 2 * le[i + 1] ** 2
            out += step * np.exp(-((gx - mx) ** 2 + (gy - my) ** 2) / (2 * s2)) / (2 * np.pi * s2)
            tm += step
    return out / out.sum()


def _template(x0, y0, nx, ny, cell, crs="EPSG:32612"):
    return Raster.from_array(np.zeros((ny, nx)), cellsize=cell,
                             origin=(x0 - cell / 2, y0 - cell / 2), crs=crs)


def test_two_fix_bridge_by_hand():
    # T = 20 min, step 10: three Gaussians (a = 0, 1/2, 1) with variances
    # d1^2 = 100, 20*0.25*50 + 0.25*100 + 0.25*400 = 375, d2^2 = 400
    fixes = _fixes([[0, 0], [200, 0]], [0, 20])
    grid = _template(-100, -100, 9, 5, 50.0)
    res = camigeo.brownian_bridge(fixes, location_error_m=np.array([10.0, 20.0]), grid=grid,
                                  motion_variance=50.0)
    xs, ys = np.arange(9) * 50.0 - 100, np.arange(5) * 50.0 - 100

    def dens(px, py):
        tot = 0.0
        for mx, s2 in ((0.0, 100.0), (100.0, 375.0), (200.0, 400.0)):
            tot += math.exp(-((px - mx) ** 2 + py ** 2) / (2 * s2)) / (2 * math.pi * s2)
        return tot

    expect = np.array([[dens(px, py) for px in xs] for py in ys[::-1]])
    expect /= expect.sum()
    # exact where evaluated; cells beyond 8 SD of a Gaussian drop < exp(-32) of its peak
    np.testing.assert_allclose(res.ud.array, expect, rtol=1e-12, atol=1e-13 * expect.max())
    assert res.ud.array.sum() == pytest.approx(1.0, rel=1e-14)
    assert res.n_bridges == 1 and res.fit is None
    # the grid's cell centres are the evaluation points
    assert res.ud.xy(4, 0)[0] == -100.0 and res.ud.xy(4, 0)[1] == -100.0


def test_fine_steps_converge_to_the_time_integral():
    # sum of step * N(z; mu(tau), s2(tau)) -> integral over tau; compare cell ratios
    T, var, le = 60.0, 30.0, 15.0
    fixes = _fixes([[0, 0], [300, 120]], [0, T])
    grid = _template(-150, -150, 31, 21, 20.0)
    res = camigeo.brownian_bridge(fixes, location_error_m=le, grid=grid, motion_variance=var,
                                  time_step_min=0.01)

    def integral(px, py):
        def f(tau):
            a = tau / T
            s2 = T * a * (1 - a) * var + ((1 - a) ** 2 + a ** 2) * le ** 2
            d2 = (px - 300 * a) ** 2 + (py - 120 * a) ** 2
            return math.exp(-d2 / (2 * s2)) / (2 * math.pi * s2)
        return quad(f, 0, T, epsabs=0, epsrel=1e-11, limit=200)[0]

    cells = [(10, 7), (10, 15), (5, 20), (12, 3)]   # (row, col)
    ref_r, ref_c = 10, 7
    x0, y0 = res.ud.xy(ref_r, ref_c)
    for r, c in cells[1:]:
        px, py = res.ud.xy(r, c)
        got = res.ud.array[r, c] / res.ud.array[ref_r, ref_c]
        want = integral(float(px), float(py)) / integral(float(x0), float(y0))
        assert got == pytest.approx(want, rel=2e-3)


def test_matches_whole_grid_and_r_default_grid():
    rng = np.random.default_rng(3)
    n = 40
    t = np.cumsum(rng.choice([60.0, 120.0, 180.0, 900.0], n)) - 60.0
    xy = np.cumsum(rng.normal(0, 150, (n, 2)), axis=0)
    le = rng.uniform(5, 30, n)
    res = camigeo.brownian_bridge(_fixes(xy, t), location_error_m=le, cell_size_m=40.0,
                                  motion_variance=80.0, max_lag_min=600)
    # R's default grid: range +- one SD (sample), rounded, stepped by the cell size
    sx, sy = np.std(xy[:, 0], ddof=1), np.std(xy[:, 1], ddof=1)
    xs = np.arange(round(xy[:, 0].min() - sx), round(xy[:, 0].max() + sx) + 1e-9, 40.0)
    ys = np.arange(round(xy[:, 1].min() - sy), round(xy[:, 1].max() + sy) + 1e-9, 40.0)
    assert res.ud.shape == (len(ys), len(xs))
    cx, cy = res.ud.xy(len(ys) - 1, 0)
    assert (float(cx), float(cy)) == (xs[0], ys[0])
    ref = _whole_grid(xy[:, 0], xy[:, 1], t, le, 80.0, xs, ys, 10.0, max_lag=600)[::-1]
    assert np.abs(res.ud.array - ref).max() <= 1e-12 * ref.max()
    assert res.n_skipped == int((np.diff(t) > 600).sum()) > 0


def test_straight_line_constant_speed():
    # fixes exactly on a line at constant speed: every left-out fix sits on its bridge
    # mean, so the likelihood only grows as the variance shrinks -> lower bound, warning
    n = 21
    xy = np.column_stack([np.arange(n) * 100.0, np.zeros(n)])
    fixes = _fixes(xy, np.arange(n) * 30.0)
    with pytest.warns(CamigeoWarning, match="search bound"):
        res = camigeo.brownian_bridge(fixes, location_error_m=5.0, cell_size_m=10.0)
    assert res.fit is not None and res.fit.on_bound
    assert res.motion_variance == pytest.approx(1.0)
    ud = res.ud.array
    row = int(res.ud.rowcol(0.0, 0.0)[0])
    # mirror symmetric about the line y = 0, mode on the line
    assert np.allclose(ud[row - 5:row], ud[row + 1:row + 6][::-1], rtol=1e-12)
    assert ud.sum(axis=1).argmax() == row
    # equal mass per 100 m stretch in the middle (constant speed): compare two stretches
    cols = np.asarray(res.ud.rowcol(np.arange(500.0, 1500.0, 10.0), 0.0)[1])
    mass = ud[:, cols].sum(axis=0)
    first, second = mass[:50].sum(), mass[50:].sum()
    assert first == pytest.approx(second, rel=1e-9)


def test_variance_recovered_from_simulated_brownian_motion():
    rng = np.random.default_rng(2024)
    n, var, dt, le = 2001, 400.0, 60.0, 10.0
    steps = rng.normal(0, math.sqrt(var * dt), (n - 1, 2))
    xy = np.vstack([[0, 0], np.cumsum(steps, axis=0)]) + rng.normal(0, le, (n, 2))
    res = camigeo.brownian_bridge(_fixes(xy, np.arange(n) * dt), location_error_m=le,
                                  cell_size_m=100.0)
    fit = res.fit
    assert fit is not None and fit.n_terms == 1000 and not fit.on_bound
    assert fit.ci[0] < var < fit.ci[1]
    # interval width ~ var * 2 * 1.96 / sqrt(n_terms) (two coordinates per term)
    assert (fit.ci[1] - fit.ci[0]) / var == pytest.approx(2 * 1.96 / math.sqrt(1000), rel=0.2)
    prof = fit.profile
    assert prof.log_likelihood.max() <= fit.log_likelihood + 1e-9


def test_log_space_likelihood_where_the_naive_one_underflows():
    # one term repeated: -log(2 pi v) - z/(2v) is maximal at v = z/2 with
    # v = T a (1-a) s2 + ((1-a)^2 + a^2) le^2 -> s2 = (z/2 - le^2/2) / (T/4)
    z, T, le = 8.0e6, 120.0, 10.0
    terms = {"T": np.full(50, T), "alpha": np.full(50, 0.5), "ztz": np.full(50, z),
             "le1": np.full(50, le), "le2": np.full(50, le)}
    with np.errstate(under="ignore", divide="ignore"):
        v = T * 0.25 * 1.0 + 0.5 * le ** 2
        naive = -np.sum(np.log(np.exp(-z / (2 * v)) / (2 * np.pi * v)))
    assert naive == np.inf  # what R's objective sees at the lower bound
    fit = bbmm.fit_motion_variance(terms)
    assert fit.motion_variance == pytest.approx((z / 2 - le ** 2 / 2) / (T / 4), rel=1e-8)
    assert np.isfinite(fit.profile.log_likelihood).all()


def test_lonlat_input_is_projected_and_errors_are_clear():
    xy = np.array([[110.0, 42.5], [110.01, 42.5], [110.02, 42.51]])
    fixes = _fixes(xy, [0, 60, 120], crs="EPSG:4326")
    res = camigeo.brownian_bridge(fixes, location_error_m=20, cell_size_m=50,
                                  motion_variance=100.0)
    assert res.ud.crs.is_projected and res.ud.array.sum() == pytest.approx(1.0)
    with pytest.raises(SchemaError, match="cell_size_m"):
        camigeo.brownian_bridge(fixes, location_error_m=20)
    with pytest.raises(SchemaError, match="location_error_m"):
        camigeo.brownian_bridge(fixes, location_error_m=0, cell_size_m=50)
    two = pd.concat([fixes, fixes.assign(individual_id="b")], ignore_index=True)
    with pytest.raises(SchemaError, match="one track"):
        camigeo.brownian_bridge(two, location_error_m=20, cell_size_m=50)
    with pytest.raises(SchemaError, match="motion_variance"):
        camigeo.brownian_bridge(fixes, location_error_m=20, cell_size_m=50,
                                motion_variance=[1.0])


# --------------------------------------------------------------------------- dynamic BBMM
def _brownian(rng, variances, dt, le):
    steps = rng.normal(0, 1, (len(variances), 2)) * np.sqrt(np.asarray(variances) * dt)[:, None]
    xy = np.vstack([[0, 0], np.cumsum(steps, axis=0)])
    return xy + rng.normal(0, le, xy.shape)


def test_dynamic_equals_plain_for_constant_variance():
    from camigeo.telemetry import dynamic_brownian_bridge

    rng = np.random.default_rng(5)
    xy = _brownian(rng, np.full(60, 200.0), 60.0, 15.0)
    fixes = _fixes(xy, np.arange(61) * 60.0)
    plain = camigeo.brownian_bridge(fixes, location_error_m=15.0, cell_size_m=50.0,
                                    motion_variance=321.0)
    dyn = dynamic_brownian_bridge(fixes, location_error_m=15.0, cell_size_m=50.0,
                                  motion_variance=np.full(61, 321.0))
    np.testing.assert_array_equal(dyn.ud.array, plain.ud.array)
    # estimated per window on a constant-variance track: the windows agree with the
    # single ML estimate (within its 95 % interval for most fixes)
    est = dynamic_brownian_bridge(fixes, location_error_m=15.0, cell_size_m=50.0,
                                  window_size=21, margin=5)
    whole = camigeo.brownian_bridge(fixes, location_error_m=15.0, cell_size_m=50.0)
    lo, hi = whole.fit.ci
    inside = (est.fix_variance > lo * 0.5) & (est.fix_variance < hi * 2)
    assert inside.mean() > 0.9
    assert est.ud.array.sum() == pytest.approx(1.0)


def test_dynamic_finds_the_change_of_variance():
    from camigeo.telemetry.dbbmm import dynamic_motion_variance

    rng = np.random.default_rng(11)
    var = np.r_[np.full(150, 50.0), np.full(150, 5000.0)]   # stopover, then travel
    xy = _brownian(rng, var, 60.0, 5.0)
    t = np.arange(301) * 60.0
    per_fix, windows = dynamic_motion_variance(xy[:, 0], xy[:, 1], t, np.full(301, 5.0),
                                               window_size=31, margin=7)
    assert np.median(per_fix[:120]) == pytest.approx(50.0, rel=0.3)
    assert np.median(per_fix[180:]) == pytest.approx(5000.0, rel=0.3)
    # windows spanning the change put a break within a few fixes of fix 150
    spanning = windows[(windows.start < 140) & (windows.start + 30 > 160)]
    assert (spanning.break_fix >= 0).all()
    assert np.abs(spanning.break_fix - 150).max() <= 4
    assert (spanning.var_after / spanning.var_before).min() > 20
    # away from the change BIC (12 candidate breaks, 15 terms) does pick spurious breaks
    # between similar variances; averaged over windows the fixes stay near the truth
    calm = per_fix[10:130]
    assert ((calm > 50 / 3) & (calm < 50 * 3)).mean() > 0.9
