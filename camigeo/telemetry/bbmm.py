"""Brownian bridge movement model (Horne et al. 2007) with the conventions of R ``BBMM``.

A Brownian bridge describes where an animal probably was between two fixes: a bivariate
normal around the straight line between them whose variance grows towards the middle of
the step. Summed over all steps of a track it gives the utilisation distribution (UD)
of the movement path. The arithmetic follows R ``BBMM::brownian.bridge`` (Nielson,
Sawyer & McDonald 2013) so that results can be compared cell by cell:

* **Motion variance** ``sigma_m^2`` (m^2/min) by maximum likelihood on the leave-one-out
  bridges of alternate fixes: fix ``i`` (``i = 1, 3, 5, ...``, 0-based) is predicted from
  ``i-1`` and ``i+1``; ``T = t[i+1] - t[i-1]``, ``a = (t[i] - t[i-1]) / T``,
  ``mu = z[i-1] + a (z[i+1] - z[i-1])``,
  ``v = T a (1-a) sigma_m^2 + (1-a)^2 delta[i-1]^2 + a^2 delta[i+1]^2`` and
  ``log L = sum(-log(2 pi v) - |z[i] - mu|^2 / (2 v))`` on ``[1, 1e8]``. The sum is taken
  in log space (the R code multiplies densities that underflow to 0 on real migrations).
* **Integration** over each step ``t[i] -> t[i+1]`` of lag ``T`` (minutes) at times
  ``tau = 0, s, 2s, ... <= T`` (``s`` = ``time_step_min``, both ends included), each time
  adding ``s * N(z; mu(tau), sigma^2(tau))`` at the cell centres with
  ``sigma^2 = T a (1-a) sigma_m^2 + (1-a)^2 delta_1^2 + a^2 delta_2^2``, ``a = tau / T``.
  Steps longer than ``max_lag_min`` are skipped. The grid is finally divided by its sum.

Unlike R, each Gaussian is evaluated only within :data:`TRUNCATION_SD` standard deviations
of its centre (in x and in y): the bivariate density is the product of two 1-D densities,
so a time step costs one exp per window column and row plus one multiply-add per window
cell (a numba kernel). The mass left out is below ``2 erfc(8/sqrt(2)) = 1.2e-15`` of each
Gaussian, so sums agree with the whole-grid evaluation to better than 1e-12 (relative).
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numba
import numpy as np
import pandas as pd
from affine import Affine
from pyproj import CRS

from .._errors import CamigeoError, CamigeoWarning, SchemaError
from ..io.raster import Raster
from .tracks import prepare_tracks

__all__ = [
    "TRUNCATION_SD",
    "VARIANCE_BOUNDS",
    "BrownianBridgeResult",
    "GridSpec",
    "isopleth_mask",
    "MotionVarianceFit",
    "bridge_density",
    "brownian_bridge",
    "fit_motion_variance",
    "leave_one_out_terms",
    "motion_log_likelihood",
    "track_arrays",
]

logger = logging.getLogger(__name__)

#: Half-width of the window (in standard deviations, per axis) where a Gaussian is evaluated.
TRUNCATION_SD = 8.0
#: Search interval of the motion variance, m^2/min (R ``BBMM``: ``optimize(lower=1, upper=1e8)``).
VARIANCE_BOUNDS = (1.0, 1e8)
_NS_PER_MIN = 60e9


# --------------------------------------------------------------------------- grids
@dataclass(frozen=True)
class GridSpec:
    """North-up grid of evaluation points (cell centres).

    ``x0``/``y0`` are the centre of the top-left cell; columns go east by ``dx``, rows go
    south by ``dy`` (both positive, metres).
    """

    x0: float
    y0: float
    dx: float
    dy: float
    nrows: int
    ncols: int
    crs: CRS | None = None

    @classmethod
    def from_raster(cls, grid: Raster, *, name: str = "grid") -> GridSpec:
        """Grid of a :class:`~camigeo.Raster` template (north-up, no rotation)."""
        if not isinstance(grid, Raster):
            raise SchemaError(f"{name} must be a camigeo.Raster template; got "
                              f"{type(grid).__name__}.")
        t = grid.transform
        if t.b != 0 or t.d != 0 or t.a <= 0 or t.e >= 0:
            raise SchemaError(
                f"{name} must be a north-up raster without rotation (transform a > 0, e < 0, "
                f"b = d = 0); got {tuple(t)[:6]}. Warp it first (rasterio.warp.reproject)."
            )
        return cls(t.c + t.a / 2, t.f + t.e / 2, t.a, -t.e, grid.height, grid.width, grid.crs)

    @classmethod
    def from_centres(cls, xs: np.ndarray, ys: np.ndarray, *, crs: CRS | None) -> GridSpec:
        """Grid whose cell centres are ``xs`` (ascending) by ``ys`` (ascending)."""
        dx = float(xs[1] - xs[0]) if len(xs) > 1 else 1.0
        dy = float(ys[1] - ys[0]) if len(ys) > 1 else dx
        return cls(float(xs[0]), float(ys[-1]), dx, dy, len(ys), len(xs), crs)

    @property
    def transform(self) -> Affine:
        """Pixel-to-map transform of the cells around the centres."""
        return Affine(self.dx, 0.0, self.x0 - self.dx / 2, 0.0, -self.dy, self.y0 + self.dy / 2)

    @property
    def cell_area_m2(self) -> float:
        """Area of one cell, m^2."""
        return self.dx * self.dy

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre x per column and y per row."""
        return (self.x0 + self.dx * np.arange(self.ncols),
                self.y0 - self.dy * np.arange(self.nrows))

    def raster(self, array: np.ndarray, *, nodata: float | None = None) -> Raster:
        """Wrap an array of this grid's shape."""
        return Raster(array, self.transform, self.crs, nodata)


def r_default_grid(x: np.ndarray, y: np.ndarray, cell_size_m: float, *,
                   crs: CRS | None) -> GridSpec:
    """R ``BBMM``'s default grid: range of the fixes +- one SD (rounded), by ``cell_size_m``."""
    sx = float(np.std(x, ddof=1)) if len(x) > 1 else 0.0
    sy = float(np.std(y, ddof=1)) if len(y) > 1 else 0.0
    x0, x1 = np.round(x.min() - sx), np.round(x.max() + sx)
    y0, y1 = np.round(y.min() - sy), np.round(y.max() + sy)
    nx = int(math.floor((x1 - x0) / cell_size_m + 1e-9)) + 1
    ny = int(math.floor((y1 - y0) / cell_size_m + 1e-9)) + 1
    check_grid_memory(ny, nx, what=f"a grid of cell_size_m={cell_size_m:g} over the fixes")
    return GridSpec.from_centres(x0 + cell_size_m * np.arange(nx),
                                 y0 + cell_size_m * np.arange(ny), crs=crs)


def margin_grid(x: np.ndarray, y: np.ndarray, cell_size_m: float, margin_m: float, *,
                crs: CRS | None) -> GridSpec:
    """Grid over the extent of the fixes plus ``margin_m``, snapped to multiples of the cell."""
    c = cell_size_m
    x0 = math.floor((x.min() - margin_m) / c) * c
    y0 = math.floor((y.min() - margin_m) / c) * c
    x1 = math.ceil((x.max() + margin_m) / c) * c
    y1 = math.ceil((y.max() + margin_m) / c) * c
    nx, ny = int(round((x1 - x0) / c)) + 1, int(round((y1 - y0) / c)) + 1
    check_grid_memory(ny, nx, what=f"a grid of cell_size_m={c:g} with margin_m={margin_m:g} "
                      f"over the fixes")
    return GridSpec.from_centres(x0 + c * np.arange(nx), y0 + c * np.arange(ny), crs=crs)


#: Most bridge time steps (segments x steps) evaluated in one call; a run time guard.
MAX_BRIDGE_STEPS = 1e9


def check_grid_memory(nrows: int, ncols: int, *, copies: float = 2.0, what: str) -> None:
    """Refuse grids that do not fit in memory (float64, ``copies`` arrays)."""
    from ..scale import check_memory

    check_memory(8.0 * copies * nrows * ncols, what=f"{what} ({nrows} x {ncols} cells)")


# --------------------------------------------------------------------------- likelihood
def leave_one_out_terms(x: np.ndarray, y: np.ndarray, t_min: np.ndarray, le: np.ndarray, *,
                        max_lag_min: float | None = None) -> dict[str, np.ndarray]:
    """Leave-one-out bridges of alternate fixes (R ``BBMM``'s ``BMvar``).

    Fix ``i = 1, 3, 5, ...`` (0-based, ``i < n - 1``) is predicted from ``i-1`` and ``i+1``.
    Triplets with a step longer than ``max_lag_min`` are left out (R keeps them).

    Returns
    -------
    dict
        ``T`` (total lag, min), ``alpha``, ``ztz`` (squared distance of the fix from the
        bridge mean, m^2), ``le1``, ``le2`` (location errors of the ends, m).
    """
    i = np.arange(1, len(x) - 1, 2)
    lag1, lag2 = t_min[i] - t_min[i - 1], t_min[i + 1] - t_min[i]
    keep = np.ones(len(i), dtype=bool)
    if max_lag_min is not None:
        keep = (lag1 <= max_lag_min) & (lag2 <= max_lag_min)
    i, lag1, lag2 = i[keep], lag1[keep], lag2[keep]
    tt = lag1 + lag2
    a = lag1 / tt
    ux = x[i - 1] + a * (x[i + 1] - x[i - 1])
    uy = y[i - 1] + a * (y[i + 1] - y[i - 1])
    ztz = (x[i] - ux) ** 2 + (y[i] - uy) ** 2
    return {"T": tt, "alpha": a, "ztz": ztz, "le1": le[i - 1], "le2": le[i + 1]}


def motion_log_likelihood(variance: Any, terms: dict[str, np.ndarray]) -> np.ndarray:
    """Log-likelihood of motion variance(s) (m^2/min), computed in log space.

    ``sum(-log(2 pi v) - ztz / (2 v))`` over the leave-one-out terms; never underflows.
    """
    var = np.atleast_1d(np.asarray(variance, dtype=float))
    a = terms["alpha"]
    v = (terms["T"] * a * (1 - a) * var[:, None] + (1 - a) ** 2 * terms["le1"] ** 2
         + a ** 2 * terms["le2"] ** 2)
    out: np.ndarray = np.sum(-np.log(2 * np.pi * v) - terms["ztz"] / (2 * v), axis=1)
    return out


@dataclass(frozen=True)
class MotionVarianceFit:
    """Maximum-likelihood Brownian motion variance.

    Attributes
    ----------
    motion_variance : float
        Estimate, m^2/min.
    log_likelihood : float
        Log-likelihood at the estimate.
    ci : (float, float)
        Profile-likelihood confidence interval (``confidence``), m^2/min; a side that
        reaches the search bound is the bound.
    profile : pandas.DataFrame
        ``motion_variance``, ``log_likelihood`` on a log-spaced grid over the bounds.
    n_terms : int
        Number of leave-one-out bridges used.
    on_bound : bool
        The optimum lies at a search bound (the estimate is not trustworthy).
    """

    motion_variance: float
    log_likelihood: float
    ci: tuple[float, float]
    profile: pd.DataFrame
    n_terms: int
    on_bound: bool


def fit_motion_variance(terms: dict[str, np.ndarray], *,
                        bounds: tuple[float, float] = VARIANCE_BOUNDS,
                        confidence: float = 0.95, n_profile: int = 161,
                        warn: bool = True) -> MotionVarianceFit:
    """Maximise :func:`motion_log_likelihood` over ``log(variance)`` within ``bounds``.

    A log-spaced profile locates the best bracket, a bounded Brent search refines it (R's
    ``optimize`` searches the raw scale and can stop in the flat +Inf region). The
    interval is where ``2 (logL_max - logL) <= chi2_1(confidence)``.

    Warns
    -----
    CamigeoWarning
        When the optimum sits on a bound, or there are no terms.
    """
    from scipy.optimize import brentq, minimize_scalar
    from scipy.stats import chi2

    lo, hi = float(bounds[0]), float(bounds[1])
    if not (0 < lo < hi):
        raise CamigeoError(f"bounds must satisfy 0 < lower < upper (m^2/min); got {bounds}.")
    n_terms = len(terms["T"])
    grid = np.exp(np.linspace(math.log(lo), math.log(hi), n_profile))
    if n_terms == 0:
        if warn:
            warnings.warn("the motion variance cannot be estimated: the track has fewer than "
                          "3 fixes within max_lag; pass motion_variance= explicitly.",
                          CamigeoWarning, stacklevel=3)
        nan = float("nan")
        return MotionVarianceFit(nan, nan, (nan, nan), pd.DataFrame(
            {"motion_variance": grid, "log_likelihood": np.full(n_profile, np.nan)}), 0, True)
    ll = motion_log_likelihood(grid, terms)
    k = int(np.argmax(ll))
    a, b = math.log(grid[max(k - 1, 0)]), math.log(grid[min(k + 1, n_profile - 1)])

    def neg(logv: float) -> float:
        return -float(motion_log_likelihood(math.exp(logv), terms)[0])

    res = minimize_scalar(neg, bounds=(a, b), method="bounded",
                          options={"xatol": 1e-10})
    best_logv, best_ll = float(res.x), -float(res.fun)
    if ll[k] > best_ll:
        best_logv, best_ll = math.log(grid[k]), float(ll[k])
    best = math.exp(best_logv)
    on_bound = (best_logv - math.log(lo) < 1e-6) or (math.log(hi) - best_logv < 1e-6)
    cut = best_ll - chi2.ppf(confidence, 1) / 2

    def side(end: float) -> float:
        if neg(math.log(end)) * -1 >= cut:
            return end
        return math.exp(brentq(lambda lv: -neg(lv) - cut, *sorted((best_logv, math.log(end))),
                               xtol=1e-12))

    ci = (side(lo), side(hi))
    if on_bound and warn:
        warnings.warn(
            f"the maximum-likelihood motion variance sits on the search bound ({best:.4g} "
            f"m^2/min, bounds {lo:g}-{hi:g}); the estimate is not reliable (too few fixes, "
            f"location_error_m too large, or a wrong time unit). Check the profile "
            f"(result.fit.profile) or pass motion_variance=.", CamigeoWarning, stacklevel=3)
    return MotionVarianceFit(best, best_ll, ci, pd.DataFrame(
        {"motion_variance": grid, "log_likelihood": ll}), n_terms, on_bound)


# --------------------------------------------------------------------------- kernel
@numba.njit(cache=True, nogil=True, fastmath={"contract", "arcp"})
def _bridge_kernel(x: np.ndarray, y: np.ndarray, lag: np.ndarray, le: np.ndarray,
                   var: np.ndarray, use: np.ndarray, step: float, x0: float, y0: float,
                   dx: float, dy: float, row0: int, col0: int, nrows: int, ncols: int,
                   k_sd: float, out: np.ndarray) -> int:  # pragma: no cover - numba
    """Add the bridges ``i -> i+1`` (``use[i]``) into ``out`` (a window at row0/col0)."""
    wr, wc = out.shape
    gx = np.empty(wc)
    gy = np.empty(wr)
    n_steps = 0
    for i in range(len(lag)):
        if not use[i]:
            continue
        tl = lag[i]
        m = int(math.floor(tl / step + 1e-9))
        for k in range(m + 1):
            a = (k * step) / tl
            mx = x[i] + a * (x[i + 1] - x[i])
            my = y[i] + a * (y[i + 1] - y[i])
            s2 = (tl * a * (1.0 - a) * var[i] + (1.0 - a) ** 2 * le[i] ** 2
                  + a * a * le[i + 1] ** 2)
            r = k_sd * math.sqrt(s2)
            c_lo = max(int(math.ceil((mx - r - x0) / dx)), 0)
            c_hi = min(int(math.floor((mx + r - x0) / dx)), ncols - 1)
            r_lo = max(int(math.ceil((y0 - (my + r)) / dy)), 0)
            r_hi = min(int(math.floor((y0 - (my - r)) / dy)), nrows - 1)
            n_steps += 1
            if c_lo > c_hi or r_lo > r_hi:
                continue
            inv = 1.0 / (2.0 * s2)
            w = step / (2.0 * math.pi * s2)
            for c in range(c_lo, c_hi + 1):
                d = x0 + c * dx - mx
                gx[c - c_lo] = math.exp(-d * d * inv)
            for rr in range(r_lo, r_hi + 1):
                d = y0 - rr * dy - my
                gy[rr - r_lo] = w * math.exp(-d * d * inv)
            nc = c_hi - c_lo + 1
            oc = c_lo - col0
            for rr in range(r_lo, r_hi + 1):
                g = gy[rr - r_lo]
                orow = out[rr - row0, oc:oc + nc]
                for c in range(nc):
                    orow[c] += g * gx[c]
    return n_steps


def _max_sd(x: np.ndarray, lag: np.ndarray, le: np.ndarray, var: np.ndarray,
            use: np.ndarray) -> float:
    """Largest standard deviation reached on any used bridge (at most at a = 1/2)."""
    if not use.any():
        return 0.0
    s2 = lag[use] * 0.25 * var[use] + np.maximum(le[:-1][use], le[1:][use]) ** 2
    return float(np.sqrt(s2.max()))


def bridge_density(x: np.ndarray, y: np.ndarray, t_min: np.ndarray, le: np.ndarray,
                   variance: Any, grid: GridSpec, *, time_step_min: float = 10.0,
                   max_lag_min: float | None = None, window: bool = True,
                   k_sd: float = TRUNCATION_SD) -> tuple[int, int, np.ndarray, int]:
    """Unnormalised Brownian-bridge sum of one track on (a window of) ``grid``.

    Parameters
    ----------
    x, y, t_min, le : numpy.ndarray
        Fix coordinates (m, grid CRS), times (minutes, increasing) and location errors (m).
    variance : float or numpy.ndarray
        Motion variance, m^2/min; one value, or one per step (``len(x) - 1``, dynamic BBMM).
    grid : GridSpec
    time_step_min, max_lag_min : float
        Integration step and longest bridge, minutes.
    window : bool, default True
        Return only the window of the grid that the bridges reach (else the whole grid).
    k_sd : float
        Truncation half-width, standard deviations.

    Returns
    -------
    (row0, col0, array, n_bridges)
        The sum is ``array`` placed at ``row0``/``col0`` of the grid.
    """
    n = len(x)
    lag = np.diff(t_min).astype(np.float64)
    var = np.broadcast_to(np.asarray(variance, dtype=np.float64), (max(n - 1, 0),)).copy()
    use = lag > 0
    if max_lag_min is not None:
        use &= lag <= max_lag_min
    if window and use.any():
        r = k_sd * _max_sd(x, lag, le, var, use)
        ends = np.zeros(n, dtype=bool)
        ends[:-1] |= use
        ends[1:] |= use
        c0 = max(int(math.ceil((x[ends].min() - r - grid.x0) / grid.dx)), 0)
        c1 = min(int(math.floor((x[ends].max() + r - grid.x0) / grid.dx)), grid.ncols - 1)
        r0 = max(int(math.ceil((grid.y0 - (y[ends].max() + r)) / grid.dy)), 0)
        r1 = min(int(math.floor((grid.y0 - (y[ends].min() - r)) / grid.dy)), grid.nrows - 1)
        if c0 > c1 or r0 > r1:
            return 0, 0, np.zeros((0, 0)), int(use.sum())
    elif window:
        return 0, 0, np.zeros((0, 0)), 0
    else:
        r0, c0, r1, c1 = 0, 0, grid.nrows - 1, grid.ncols - 1
    n_steps = float(np.sum(lag[use])) / float(time_step_min) + float(use.sum())
    if n_steps > MAX_BRIDGE_STEPS:
        raise SchemaError(
            f"time_step_min={time_step_min:g} gives {n_steps:,.0f} bridge time steps over the "
            f"tracks (at most {MAX_BRIDGE_STEPS:,.0f} run in reasonable time). Use a larger "
            f"time_step_min, e.g. {max(float(np.sum(lag[use])) / 1e7, 1.0):.3g} minutes.")
    out = np.zeros((r1 - r0 + 1, c1 - c0 + 1))
    _bridge_kernel(np.ascontiguousarray(x, dtype=np.float64),
                   np.ascontiguousarray(y, dtype=np.float64), lag,
                   np.ascontiguousarray(le, dtype=np.float64), var, use,
                   float(time_step_min), grid.x0, grid.y0, grid.dx, grid.dy, r0, c0,
                   grid.nrows, grid.ncols, float(k_sd), out)
    return r0, c0, out, int(use.sum())


# --------------------------------------------------------------------------- public API
@dataclass(frozen=True)
class BrownianBridgeResult:
    """Output of :func:`brownian_bridge`.

    Attributes
    ----------
    ud : Raster
        Utilisation distribution; cell centres are the evaluation points; sums to 1.
    motion_variance : float or numpy.ndarray
        Brownian motion variance, m^2/min (one per step for the dynamic model).
    fit : MotionVarianceFit or None
        The likelihood fit (None when ``motion_variance`` was given).
    n_bridges : int
        Steps integrated (steps longer than ``max_lag_min`` are skipped).
    n_skipped : int
        Steps skipped for ``max_lag_min``.
    crs : pyproj.CRS
        CRS of ``ud`` (metric).
    """

    ud: Raster
    motion_variance: Any
    fit: MotionVarianceFit | None
    n_bridges: int
    n_skipped: int
    crs: CRS | None = field(default=None)

    def isopleth(self, level: float = 0.99) -> Raster:
        """Cells inside the ``level`` isopleth (the smallest set holding ``level`` of the UD)."""
        return self.ud.with_array(isopleth_mask(self.ud.array, level).astype(np.uint8),
                                  nodata=None)


def isopleth_mask(ud: np.ndarray, level: float) -> np.ndarray:
    """Cells of the ``level`` isopleth: highest values first until their sum reaches ``level``.

    ``level`` is a share of the total (0-1]; a cell is in when the sum of the higher cells
    (and of equal cells before it in a stable order) is below ``level * total``.
    """
    if not 0 < level <= 1:
        raise SchemaError(f"isopleth level must be in (0, 1]; got {level!r}.")
    flat = ud.ravel()
    total = flat.sum()
    out = np.zeros(flat.shape, dtype=bool)
    if not total > 0:
        return out.reshape(ud.shape)
    # cells below t = (1 - level) * total / n hold at most (1 - level) * total together, so
    # the cells >= t already reach the level: only those need sorting (same answer)
    cand = np.flatnonzero(flat >= (1.0 - level) * total / flat.size)
    vals = flat[cand]
    order = np.argsort(-vals, kind="stable")
    before = np.cumsum(vals[order]) - vals[order]
    out[cand[order]] = (before < level * total) & (vals[order] > 0)
    return out.reshape(ud.shape)


def location_errors(fixes: gpd.GeoDataFrame, location_error_m: Any) -> np.ndarray:
    """Location error per fix (m) from a number, a column name or an array."""
    n = len(fixes)
    if isinstance(location_error_m, str):
        if location_error_m not in fixes.columns:
            raise SchemaError(f"location_error_m={location_error_m!r} is not a column of the "
                              f"fixes; columns are {list(fixes.columns)}.")
        le = pd.to_numeric(fixes[location_error_m], errors="coerce").to_numpy(dtype=float)
    else:
        le = np.broadcast_to(np.asarray(location_error_m, dtype=float), (n,)).copy() \
            if np.ndim(location_error_m) == 0 else np.asarray(location_error_m, dtype=float)
    if le.shape != (n,):
        raise SchemaError(f"location_error_m must be one value, a column name or one value "
                          f"per fix ({n}); got shape {le.shape}.")
    if not np.all(np.isfinite(le)) or (le <= 0).any():
        raise SchemaError(
            "location_error_m must be finite and > 0 metres for every fix (a zero error makes "
            "the bridge variance 0 at the fixes, a point mass); got "
            f"min {np.nanmin(le) if np.isfinite(le).any() else 'NaN'}. Use the GPS accuracy, "
            "e.g. 20 m.")
    return le


def metric_fixes(fixes: gpd.GeoDataFrame, crs: Any = None) -> gpd.GeoDataFrame:
    """Return the fixes in ``crs`` or, for lon/lat input, in a local equidistant CRS."""
    from ..io.crs import local_metric_crs, require_crs

    src = require_crs(fixes, name="tracks")
    if crs is not None:
        target = CRS.from_user_input(crs)
        if not target.is_projected:
            raise SchemaError(f"the grid CRS must be projected in metres; got {target.name}.")
        return fixes if src.equals(target) else fixes.to_crs(target)
    if src.is_projected:
        return fixes
    target = local_metric_crs(fixes)
    logger.info("projecting lon/lat fixes to %s", target.name)
    return fixes.to_crs(target)


def track_arrays(fixes: gpd.GeoDataFrame, time_col: str, le: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``x``, ``y`` (m), times in minutes since the first fix, location errors."""
    import shapely

    xy = shapely.get_coordinates(fixes.geometry.values)
    t = pd.DatetimeIndex(fixes[time_col]).as_unit("ns").asi8
    t_min = (t - t[0]) / _NS_PER_MIN if len(t) else t.astype(float)
    return xy[:, 0].copy(), xy[:, 1].copy(), t_min, le


def _check_positive(value: Any, name: str, *, allow_none: bool = True) -> None:
    if value is None and allow_none:
        return
    if (value is None or isinstance(value, bool | str)
            or not isinstance(value, int | float | np.number)
            or not np.isfinite(value) or value <= 0):
        raise SchemaError(f"{name} must be a positive number; got {value!r}.")


def brownian_bridge(fixes: Any, *, location_error_m: Any, grid: Raster | None = None,
                    cell_size_m: float | None = None, time_step_min: float = 10.0,
                    max_lag_min: float | None = None, motion_variance: Any = None,
                    id_col: str | None = None, time_col: str | None = None,
                    variance_bounds: tuple[float, float] = VARIANCE_BOUNDS
                    ) -> BrownianBridgeResult:
    """Brownian bridge utilisation distribution of one track (R ``BBMM`` conventions).

    Parameters
    ----------
    fixes : GeoDataFrame or movingpandas.TrajectoryCollection
        Point fixes of one animal (one track); see :func:`prepare_tracks`. Lon/lat input
        is projected to a local azimuthal equidistant CRS (metres).
    location_error_m : float, str or array
        GPS location error (SD, metres): one value, a column name or one value per fix.
    grid : Raster, optional
        Template whose cell centres are the evaluation points (its CRS is used). Default:
        R's grid, the range of the fixes +- one SD of the coordinates (rounded to the
        metre), stepped by ``cell_size_m``.
    cell_size_m : float, optional
        Cell size of the default grid, metres (required without ``grid``).
    time_step_min : float, default 10
        Integration step, minutes.
    max_lag_min : float, optional
        Steps longer than this (minutes) are not bridged (default: all are).
    motion_variance : float or array, optional
        Fixed Brownian motion variance, m^2/min (one value or one per step); default: the
        maximum-likelihood estimate.
    id_col, time_col : str, optional
        Column names (see :func:`prepare_tracks`).
    variance_bounds : (float, float)
        Search interval of the estimate, m^2/min.

    Returns
    -------
    BrownianBridgeResult
        ``.ud`` (Raster summing to 1), ``.motion_variance`` (m^2/min), ``.fit``.

    Raises
    ------
    SchemaError
        More than one animal, fewer than 2 fixes, bad parameters.
    CamigeoError
        No step can be bridged, or the grid does not fit in memory.

    Warns
    -----
    CamigeoWarning
        The variance optimum sits on a bound.
    """
    gdf, id_col, time_col = prepare_tracks(fixes, id_col=id_col, time_col=time_col,
                                           name="fixes")
    animals = pd.unique(gdf[id_col])
    if len(animals) > 1:
        raise SchemaError(
            f"brownian_bridge models one track; fixes hold {len(animals)} animals "
            f"({list(animals[:3])}...). Select one (fixes[fixes.{id_col} == ...]) or use "
            f"camigeo.telemetry.migration_corridors for many animals.")
    if len(gdf) < 2:
        raise SchemaError(f"brownian_bridge needs at least 2 fixes; got {len(gdf)}.")
    _check_positive(time_step_min, "time_step_min", allow_none=False)
    _check_positive(max_lag_min, "max_lag_min")
    if grid is None:
        if cell_size_m is None:
            raise SchemaError("pass grid= (a Raster template) or cell_size_m= (metres) for "
                              "the default grid.")
        _check_positive(cell_size_m, "cell_size_m")
        gdf = metric_fixes(gdf)
    else:
        if not isinstance(grid, Raster):
            raise SchemaError(f"grid must be a camigeo.Raster template (or None); got "
                              f"{type(grid).__name__}. Wrap arrays with Raster.from_array.")
        if grid.crs is None:
            raise SchemaError("grid has no CRS; set one (Raster(..., crs='EPSG:...')).")
        gdf = metric_fixes(gdf, grid.crs)
    le = location_errors(gdf, location_error_m)
    x, y, t_min, le = track_arrays(gdf, time_col, le)
    spec = (GridSpec.from_raster(grid) if grid is not None
            else r_default_grid(x, y, float(cell_size_m), crs=gdf.crs))  # type: ignore[arg-type]
    check_grid_memory(spec.nrows, spec.ncols, what="the Brownian bridge grid")
    fit = None
    if motion_variance is None:
        terms = leave_one_out_terms(x, y, t_min, le, max_lag_min=max_lag_min)
        fit = fit_motion_variance(terms, bounds=variance_bounds)
        if not np.isfinite(fit.motion_variance):
            raise CamigeoError("the motion variance could not be estimated (fewer than 3 "
                               "fixes within max_lag_min); pass motion_variance=.")
        var: Any = fit.motion_variance
    else:
        var = np.asarray(motion_variance, dtype=float)
        if var.ndim not in (0, 1) or (var.ndim == 1 and len(var) != len(x) - 1) \
                or not np.all(np.isfinite(var)) or (var < 0).any():
            raise SchemaError(f"motion_variance must be one value >= 0 or one per step "
                              f"({len(x) - 1}), m^2/min; got {motion_variance!r}.")
        var = float(var) if var.ndim == 0 else var
    r0, c0, win, nb = bridge_density(x, y, t_min, le, var, spec, time_step_min=time_step_min,
                                     max_lag_min=max_lag_min)
    total = float(win.sum())
    if nb == 0 or not total > 0:
        raise CamigeoError(
            "no Brownian bridge reaches the grid: every step is longer than max_lag_min or "
            "the grid does not cover the fixes. Raise max_lag_min or use a larger grid.")
    arr = np.zeros((spec.nrows, spec.ncols))
    arr[r0:r0 + win.shape[0], c0:c0 + win.shape[1]] = win / total
    return BrownianBridgeResult(spec.raster(arr), var, fit, nb, len(x) - 1 - nb, spec.crs)
