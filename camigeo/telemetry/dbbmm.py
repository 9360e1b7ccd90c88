"""Dynamic Brownian bridge movement model (Kranstauber, Kays, LaPoint, Wikelski & Safi 2012).

The motion variance of a plain BBMM is one number for the whole track; a migrating animal
alternates fast, directed travel with slow, tortuous stopovers. The dynamic model lets the
variance change along the track:

1. A window of ``window_size`` fixes (odd) slides along the track one fix at a time.
2. Inside a window the leave-one-out terms of :mod:`camigeo.telemetry.bbmm` are used for
   the window's alternate fixes (relative positions 1, 3, ..., ``window_size - 2``).
3. Model 0 fits one variance to the window; model ``b`` fits one variance to the terms
   before relative position ``b`` and one to the rest, for every odd ``b`` with
   ``margin <= b <= window_size - margin`` (no breaks in the margins). The model with the
   lowest BIC (``-2 log L + k log(n_terms)``, ``k`` = 1 or 2) is kept; its variance(s) are
   given to the fixes of the window on either side of the break.
4. Each fix's variance is the mean over the windows that contain it. The step ``i -> i+1``
   uses the variance of fix ``i``.

Each fit maximises the log-likelihood over ``log(variance)``: the per-term log-likelihoods
are tabulated on a log-spaced grid over :data:`~camigeo.telemetry.bbmm.VARIANCE_BOUNDS`
(ratio 1.03 between grid values), window sums come from prefix sums, and the maximum is
refined by a parabola through the best grid value and its neighbours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._errors import CamigeoError, SchemaError
from ..io.guards import check_number
from ..io.raster import Raster
from .bbmm import (
    VARIANCE_BOUNDS,
    GridSpec,
    bridge_density,
    check_grid_memory,
    location_errors,
    metric_fixes,
    r_default_grid,
    track_arrays,
)
from .tracks import prepare_tracks

__all__ = ["DynamicBridgeResult", "dynamic_brownian_bridge", "dynamic_motion_variance"]


def _parabola_max(ll: np.ndarray, logv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise maximum of tabulated ``ll`` (rows x grid), refined by a parabola."""
    g = ll.shape[1]
    k = np.argmax(ll, axis=1)
    rows = np.arange(ll.shape[0])
    best_ll = ll[rows, k]
    h = logv[1] - logv[0]
    inner = (k > 0) & (k < g - 1)
    kk = np.clip(k, 1, g - 2)
    y0, y1, y2 = ll[rows, kk - 1], ll[rows, kk], ll[rows, kk + 1]
    den = y0 - 2 * y1 + y2
    with np.errstate(divide="ignore", invalid="ignore"):
        off = np.where(inner & (den < 0), 0.5 * (y0 - y2) / den, 0.0)
        peak = np.where(inner & (den < 0), y1 - 0.25 * (y0 - y2) * off, best_ll)
    off = np.clip(off, -1.0, 1.0)
    return logv[k] + off * h, np.maximum(peak, best_ll)


def dynamic_motion_variance(x: np.ndarray, y: np.ndarray, t_min: np.ndarray, le: np.ndarray,
                            *, window_size: int = 31, margin: int = 11,
                            bounds: tuple[float, float] = VARIANCE_BOUNDS,
                            n_grid: int = 621) -> tuple[np.ndarray, pd.DataFrame]:
    """Motion variance per fix (m^2/min) by sliding windows and BIC breakpoints.

    Parameters
    ----------
    x, y, t_min, le : numpy.ndarray
        Coordinates (m), times (minutes) and location errors (m) of one track.
    window_size, margin : int
        Window length and the no-break margin at both ends, fixes (both odd).
    bounds : (float, float)
        Search interval, m^2/min.
    n_grid : int
        Log-spaced grid values over ``bounds``.

    Returns
    -------
    (numpy.ndarray, pandas.DataFrame)
        Variance per fix, and one row per window: ``start`` (first fix), ``break_fix``
        (fix index where the variance changes, -1 for none), ``var_before``,
        ``var_after``, ``bic``.
    """
    n = len(x)
    if window_size % 2 != 1 or margin % 2 != 1 or window_size < 5 or margin < 1:
        raise SchemaError(f"window_size and margin must be odd (window_size >= 5, margin >= 1)"
                          f"; got window_size={window_size}, margin={margin}.")
    if 2 * margin >= window_size:
        raise SchemaError(f"margin ({margin}) leaves no room for a break in a window of "
                          f"{window_size} fixes; use margin < window_size / 2.")
    if n < window_size:
        raise SchemaError(f"the track has {n} fixes, fewer than window_size={window_size}; "
                          f"use a smaller window or the plain brownian_bridge.")
    logv = np.linspace(math.log(bounds[0]), math.log(bounds[1]), n_grid)
    var = np.exp(logv)
    # per-term log-likelihood of left-out fix i (1..n-2) predicted from i-1 and i+1
    i = np.arange(1, n - 1)
    tt = t_min[i + 1] - t_min[i - 1]
    a = (t_min[i] - t_min[i - 1]) / tt
    ztz = ((x[i] - (x[i - 1] + a * (x[i + 1] - x[i - 1]))) ** 2
           + (y[i] - (y[i - 1] + a * (y[i + 1] - y[i - 1]))) ** 2)
    v = (tt * a * (1 - a))[:, None] * var[None, :] + \
        ((1 - a) ** 2 * le[i - 1] ** 2 + a ** 2 * le[i + 1] ** 2)[:, None]
    lt = np.zeros((n + 2, n_grid))               # row j + 2 holds fix j's term (0 at ends)
    lt[i + 2] = -np.log(2 * np.pi * v) - ztz[:, None] / (2 * v)
    pre = lt.copy()                               # stride-2 prefix sums
    for j in range(2, n + 2):
        pre[j] += pre[j - 2]

    def span(first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """Sum of terms of fixes first, first+2, ..., last (rows) over the grid."""
        return pre[last + 2] - pre[first]

    starts = np.arange(n - window_size + 1)
    n_terms = (window_size - 1) // 2
    whole = span(starts + 1, starts + window_size - 2)
    v0, l0 = _parabola_max(whole, logv)
    bic0 = -2 * l0 + math.log(n_terms)
    best_bic, best_b = bic0, np.full(len(starts), -1)
    best_lo, best_hi = v0.copy(), v0.copy()
    for b in range(margin, window_size - margin + 1, 2):
        left = span(starts + 1, starts + b - 2) if b > 1 else np.zeros_like(whole)
        right = span(starts + b, starts + window_size - 2)
        vl, ll_l = _parabola_max(left, logv)
        vr, ll_r = _parabola_max(right, logv)
        bic = -2 * (ll_l + ll_r) + 2 * math.log(n_terms)
        better = bic < best_bic
        best_bic = np.where(better, bic, best_bic)
        best_b = np.where(better, b, best_b)
        best_lo = np.where(better, vl, best_lo)
        best_hi = np.where(better, vr, best_hi)
    total = np.zeros(n)
    count = np.zeros(n)
    pos = np.arange(window_size)
    for s, b, lo, hi in zip(starts, best_b, np.exp(best_lo), np.exp(best_hi), strict=True):
        vals = np.where((b >= 0) & (pos >= b), hi, lo)
        total[s:s + window_size] += vals
        count[s:s + window_size] += 1
    per_fix = total / count
    windows = pd.DataFrame({
        "start": starts, "break_fix": np.where(best_b >= 0, starts + best_b, -1),
        "var_before": np.exp(best_lo), "var_after": np.exp(best_hi), "bic": best_bic})
    return per_fix, windows


@dataclass(frozen=True)
class DynamicBridgeResult:
    """Output of :func:`dynamic_brownian_bridge`.

    Attributes
    ----------
    ud : Raster
        Utilisation distribution summing to 1.
    motion_variance : numpy.ndarray
        Variance per step (``len(fixes) - 1``), m^2/min.
    fix_variance : numpy.ndarray
        Variance per fix (mean over the windows containing it), m^2/min.
    windows : pandas.DataFrame
        The model chosen in each window (see :func:`dynamic_motion_variance`).
    n_bridges : int
        Steps integrated.
    """

    ud: Raster
    motion_variance: np.ndarray
    fix_variance: np.ndarray
    windows: pd.DataFrame
    n_bridges: int


def dynamic_brownian_bridge(fixes: Any, *, location_error_m: Any, grid: Raster | None = None,
                            cell_size_m: float | None = None, time_step_min: float = 10.0,
                            max_lag_min: float | None = None, window_size: int = 31,
                            margin: int = 11, motion_variance: Any = None,
                            id_col: str | None = None, time_col: str | None = None
                            ) -> DynamicBridgeResult:
    """Dynamic Brownian bridge UD of one track (Kranstauber et al. 2012).

    Parameters
    ----------
    fixes, location_error_m, grid, cell_size_m, time_step_min, max_lag_min, id_col, time_col
        As in :func:`camigeo.brownian_bridge`.
    window_size, margin : int, default 31, 11
        Sliding window and no-break margin, fixes (odd; the defaults of the move package's
        example).
    motion_variance : array, optional
        Variance per fix (m^2/min) instead of the window estimate (with a constant array
        the result equals :func:`camigeo.brownian_bridge` with that variance).

    Returns
    -------
    DynamicBridgeResult
    """
    gdf, id_col, time_col = prepare_tracks(fixes, id_col=id_col, time_col=time_col,
                                           name="fixes")
    if gdf[id_col].nunique() > 1:
        raise SchemaError("dynamic_brownian_bridge models one track; select one animal.")
    if grid is None:
        if cell_size_m is None:
            raise SchemaError("pass grid= (a Raster template) or cell_size_m= (metres).")
        check_number(cell_size_m, name="cell_size_m", minimum=0.0, strict_min=True, unit="m",
                     fix="Give the grid cell size in metres, e.g. 50.")
        gdf = metric_fixes(gdf)
    else:
        if not isinstance(grid, Raster):
            raise SchemaError(f"grid must be a camigeo.Raster template (or None); got "
                              f"{type(grid).__name__}. Wrap arrays with Raster.from_array.")
        gdf = metric_fixes(gdf, grid.crs)
    le = location_errors(gdf, location_error_m)
    x, y, t_min, le = track_arrays(gdf, time_col, le)
    spec = (GridSpec.from_raster(grid) if grid is not None
            else r_default_grid(x, y, float(cell_size_m), crs=gdf.crs))  # type: ignore[arg-type]
    check_grid_memory(spec.nrows, spec.ncols, what="the dynamic Brownian bridge grid")
    if motion_variance is None:
        fix_var, windows = dynamic_motion_variance(x, y, t_min, le, window_size=window_size,
                                                   margin=margin)
    else:
        fix_var = np.asarray(motion_variance, dtype=float)
        if fix_var.shape != (len(x),) or not np.all(np.isfinite(fix_var)) or (fix_var < 0).any():
            raise SchemaError(f"motion_variance must hold one value >= 0 per fix ({len(x)}), "
                              f"m^2/min; got shape {fix_var.shape}.")
        windows = pd.DataFrame(columns=["start", "break_fix", "var_before", "var_after", "bic"])
    step_var = fix_var[:-1].copy()
    r0, c0, win, nb = bridge_density(x, y, t_min, le, step_var, spec,
                                     time_step_min=time_step_min, max_lag_min=max_lag_min)
    total = float(win.sum())
    if nb == 0 or not total > 0:
        raise CamigeoError("no Brownian bridge reaches the grid (all steps longer than "
                           "max_lag_min, or the grid misses the fixes).")
    arr = np.zeros((spec.nrows, spec.ncols))
    arr[r0:r0 + win.shape[0], c0:c0 + win.shape[1]] = win / total
    return DynamicBridgeResult(spec.raster(arr), step_var, fix_var, windows, nb)
