"""Linkage Mapper Barrier Mapper: where restoring a window would cut least-cost distance.

For a circular window of radius R (cells whose centre lies within R of the centre cell)
and a link (A, B) with least-cost distance LCD: ``mA`` = min CWD_A inside the window,
``mB`` = min CWD_B inside the window; if the window were restored to resistance 1 the
link could cost ``mA + mB + 2R`` (crossing the window), so the improvement is
``ΔLCD = LCD − (mA + mB + 2R)`` (cost units). Forms: ``per_unit`` = ΔLCD / (2R) (the
Barrier Mapper "improvement score" per unit distance restored), ``percent`` =
100 × ΔLCD / LCD, ``absolute`` = ΔLCD. Negative values (no improvement) become 0
[assumption, as Barrier Mapper reports only gains]. The result is the maximum over links
and radii.

Windows. Projected raster: cell (r + dr, c + dc) is in the window of (r, c) when
``(dc·xres)² + (dr·yres)² <= R² (1 + 1e-12)`` (map units, metres). Lon/lat raster with
``geodesic=True``: when the geodesic distance between the two cell centres on the WGS84
ellipsoid (GeographicLib through ``pyproj.Geod.inv``, the ellipsoid of the geodesic cost
distance) is ``<= R (1 + 1e-9)`` (the 1e-9 keeps a centre lying exactly on the circle,
e.g. R = one cell, inside despite rounding: 1 µm per 1000 m). That distance depends only
on the row, ``dr`` and ``|dc|`` (the ellipsoid is symmetric about its axis) and grows
with ``|dc|``, so a row's window is, for every row offset ``dr``, the columns
``|dc| <= k(row, dr)``; the half-widths are found exactly per row (a guess from the local
radius of curvature, checked with ``Geod.inv`` and corrected by bisection where it was
off). Windows do not wrap across the antimeridian (half-widths are capped at the raster
width and 180°).

Moving minimum, two exact methods, the cheaper chosen per band by a cost model fitted to
``benchmarks/bench_barriers.py``: (1) "footprint": runs of rows sharing all half-widths,
one ``scipy.ndimage.minimum_filter`` per run with that footprint on its rows plus a halo of
the footprint's row reach (fastest for small windows); (2) "rows":
``min over the window = min over dr of M_k(row + dr)`` with ``M_k`` the 1-D E–W moving
minimum of half-width ``k = k(row, dr)`` (``scipy.ndimage.minimum_filter1d``, O(1) per
cell whatever k), once per row offset and run of rows sharing that half-width (no halo
re-reads, cost independent of the window width). Measured (2026-11-23, 2 shared cores,
2000 x 2000 float64, identical output): radii of 1-4 cells 0.1-0.2 s (method 1) against
0.2-0.3 s (method 2); an 18-cell radius 4.5 s against 1.7 s projected and 38 s (249
footprint runs of ~8 rows, each re-reading a 36-row halo) against 2.0 s on lon/lat
55-35 N. The same helper (:func:`window_minima`) serves the single-machine path (one
band: the whole raster) and every Dask band task.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
from scipy.ndimage import minimum_filter, minimum_filter1d

from .._errors import CamigeoError, CRSError
from ..io.crs import GEOD
from ..io.raster import Raster
from .cores import prepare_cores
from .nlcc import link_pairs, pair_cwds

__all__ = ["barrier_improvement"]

_FORMS = ("per_unit", "percent", "absolute")
#: relative tolerance of "centre within R" on the ellipsoid (see the module docstring)
_GEO_TOL = 1e-9


@dataclass(frozen=True)
class _WindowGrid:
    """What the window footprints depend on (small and picklable for Dask band tasks).

    Projected: ``xres``/``yres`` cell sizes in map units. Geodesic: ``xres`` = cell width
    in degrees of longitude, ``top`` + ``dlat`` · (row + 0.5) = latitude of a row centre
    (``top`` = transform.f, ``dlat`` = transform.e, as in the geodesic cost distance).
    """

    shape: tuple[int, int]
    xres: float
    yres: float
    top: float
    dlat: float
    geodesic: bool

    @classmethod
    def of(cls, r: Raster, geodesic: bool) -> _WindowGrid:
        t = r.transform
        return cls((int(r.height), int(r.width)), abs(float(t.a)), abs(float(t.e)),
                   float(t.f), float(t.e), bool(geodesic))


def _disk(radius: float, xres: float, yres: float) -> np.ndarray:
    nx, ny = int(np.floor(radius / xres)), int(np.floor(radius / yres))
    yy, xx = np.mgrid[-ny:ny + 1, -nx:nx + 1]
    return (xx * xres) ** 2 + (yy * yres) ** 2 <= radius * radius * (1 + 1e-12)


def _geo_dist(lat1: np.ndarray, lat2: np.ndarray, dlon: np.ndarray) -> np.ndarray:
    """Geodesic metres between (0, lat1) and (dlon, lat2), WGS84 (vectorised)."""
    _, _, d = GEOD.inv(np.zeros_like(lat1), lat1, dlon, lat2)
    return np.asarray(d, dtype=float)


def _geo_halfwidths(wg: _WindowGrid, radius: float, a: int, b: int) -> np.ndarray:
    """(b - a, 2 ny + 1) int: largest ``|dc|`` in the window per row and row offset.

    Column ``m`` is ``dr = m - ny``; -1 = no cell of that row offset is in the window.
    ``ny`` bounds the row reach: any curve between latitudes φ1, φ2 is at least as long as
    the meridian arc, itself >= a (1 - e²) |φ2 - φ1| (the smallest meridian radius).
    """
    rt = radius * (1.0 + _GEO_TOL)
    m_min = GEOD.a * (1.0 - GEOD.es)
    ny = int(math.floor(rt / (m_min * math.radians(wg.yres))))
    dr = np.arange(-ny, ny + 1)
    rows = np.arange(a, b)
    lat1 = np.broadcast_to((wg.top + wg.dlat * (rows + 0.5))[:, None], (len(rows), len(dr)))
    lat2 = wg.top + wg.dlat * (rows[:, None] + dr[None, :] + 0.5)
    cap = max(0, min(wg.shape[1] - 1, int(math.floor(180.0 / wg.xres))))
    out = np.full(lat2.shape, -1, dtype=np.int64)
    ns = np.full(lat2.shape, np.inf)  # N-S distance (dc = 0); rows beyond a pole: none
    ok = np.abs(lat2) <= 90.0
    ns[ok] = _geo_dist(lat1[ok], lat2[ok], np.zeros(int(ok.sum())))
    ok = ns <= rt
    if not ok.any():
        return out
    p1, p2, ns = lat1[ok], lat2[ok], ns[ok]
    # guess from the radius of curvature of the parallel at the mid latitude
    phi = np.radians(0.5 * (p1 + p2))
    ew = math.radians(wg.xres) * GEOD.a * np.cos(phi) / np.sqrt(1 - GEOD.es * np.sin(phi) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.floor(np.sqrt(np.maximum(rt * rt - ns * ns, 0.0)) / ew)
    g = np.clip(np.nan_to_num(g, nan=cap, posinf=cap), 0, cap).astype(np.int64)
    # invariant: k = lo is inside (dist <= rt), k = hi is outside (hi = cap + 1: none)
    lo = np.zeros_like(g)
    hi = np.full_like(g, cap + 1)
    for _ in range(2):  # test the guess and the next column: usually settles it
        act = (g > lo) & (g < hi)
        if act.any():
            inside = _geo_dist(p1[act], p2[act], g[act] * wg.xres) <= rt
            idx = np.flatnonzero(act)
            lo[idx[inside]] = g[act][inside]
            hi[idx[~inside]] = g[act][~inside]
        g = lo + 1
    while (act := hi - lo > 1).any():  # bisection where the guess was off
        mid = (lo[act] + hi[act]) // 2
        inside = _geo_dist(p1[act], p2[act], mid * wg.xres) <= rt
        idx = np.flatnonzero(act)
        lo[idx[inside]] = mid[inside]
        hi[idx[~inside]] = mid[~inside]
    out[ok] = lo
    return out


def _halfwidths(wg: _WindowGrid, radius: float, a: int, b: int) -> np.ndarray:
    """Half-widths per row ``a..b-1`` and row offset (see :func:`_geo_halfwidths`)."""
    if wg.geodesic:
        return _geo_halfwidths(wg, radius, a, b)
    fp = _disk(radius, wg.xres, wg.yres)
    k = np.minimum((fp.sum(axis=1) - 1) // 2, max(0, wg.shape[1] - 1))
    return np.broadcast_to(k, (b - a, len(k)))


def _runs(x: np.ndarray) -> list[tuple[int, int]]:
    """``[(start, end), ...]`` of the runs of equal consecutive rows of ``x``."""
    diff = (x[1:] != x[:-1]).reshape(len(x) - 1, -1) if len(x) > 1 else np.zeros((0, 1))
    cut = (np.flatnonzero(np.any(diff, axis=1)) + 1).tolist()
    return list(zip([0, *cut], [*cut, len(x)], strict=True))


def _footprint(k: np.ndarray) -> np.ndarray:
    """Centred boolean footprint from one row's half-widths, trimmed to its reach."""
    ny = (len(k) - 1) // 2
    nyr = int(np.abs(np.flatnonzero(k >= 0) - ny).max())
    kk = k[ny - nyr:ny + nyr + 1]
    return np.abs(np.arange(-int(kk.max()), int(kk.max()) + 1))[None, :] <= kk[:, None]


def _minima_footprint(grids: Mapping[Any, Any], a: int, b: int, k: np.ndarray,
                      wg: _WindowGrid) -> dict[Any, np.ndarray]:
    """Give each run of rows sharing a footprint one 2-D ``minimum_filter`` (+ halo)."""
    h, w = wg.shape
    out = {key: np.empty((b - a, w)) for key in grids}
    for s, e in _runs(k):
        fp = _footprint(k[s])
        halo = fp.shape[0] // 2
        h0, h1 = max(0, a + s - halo), min(h, a + e + halo)
        # rows outside the raster are padded with inf by mode="constant"; rows inside
        # come from the grid itself (the halo)
        for key, g in grids.items():
            out[key][s:e] = minimum_filter(np.asarray(g[h0:h1]), footprint=fp,
                                           mode="constant", cval=np.inf
                                           )[a + s - h0:a + e - h0]
    return out


def _minima_rows(grids: Mapping[Any, Any], a: int, b: int, k: np.ndarray,
                 wg: _WindowGrid) -> dict[Any, np.ndarray]:
    """Take per row offset dr the 1-D E–W moving minima of row + dr; min over dr."""
    h, w = wg.shape
    ny = (k.shape[1] - 1) // 2
    # (first output row, end, first source row, filter size) per run of rows sharing the
    # half-width of one row offset
    pieces: list[tuple[int, int, int, int]] = []
    for m in range(k.shape[1]):
        dr = m - ny
        s0, s1 = max(0, -a - dr), min(b - a, h - a - dr)  # source rows inside the raster
        if s0 < s1:
            col = k[s0:s1, m]
            pieces += [(s0 + s, s0 + e, a + s0 + s + dr, 2 * int(col[s]) + 1)
                       for s, e in _runs(col) if col[s] >= 0]
    h0, h1 = max(0, a - ny), min(h, b + ny)
    out = {}
    for key, g in grids.items():
        band = np.asarray(g[h0:h1])
        res = np.full((b - a, w), np.inf)
        for s, e, src, size in pieces:
            blk = band[src - h0:src - h0 + e - s]
            if size > 1:
                blk = minimum_filter1d(blk, size, axis=1, mode="constant", cval=np.inf)
            np.minimum(res[s:e], blk, out=res[s:e])
        out[key] = res
    return out


def window_minima(grids: Mapping[Any, Any], a: int, b: int, radius: float,
                   wg: _WindowGrid, *, method: str | None = None) -> dict[Any, np.ndarray]:
    """Minimum of each grid over the window of every cell of rows ``a..b-1``.

    ``grids`` are whole-raster arrays (or memory maps); only rows ``a..b-1`` plus the
    windows' row reach (the halo) are read. Cells outside the raster count as +inf.
    Returns ``(b - a, width)`` arrays keyed like ``grids``. Both methods give the exact
    minima, so the result is identical for any banding and either method; ``method``
    (None = the cheaper by the cost model in the module docstring, "footprint" or "rows")
    is for the tests.
    """
    k = _halfwidths(wg, radius, a, b)
    if method is None:
        # measured cost per output cell, in units of one 1-D pass (benchmarks above):
        # 2-D filter (rows + halo) x (2.3 + 0.1 |footprint|); rows: one per row offset
        fps = [(e - s, _footprint(k[s])) for s, e in _runs(k)]
        est_fp = sum((n + fp.shape[0] - 1) * (2.3 + 0.1 * int(fp.sum())) for n, fp in fps)
        est_rows = (b - a) * int(np.count_nonzero(np.any(k >= 0, axis=0)))
        method = "footprint" if est_fp < est_rows else "rows"
    if method == "footprint":
        return _minima_footprint(grids, a, b, k, wg)
    return _minima_rows(grids, a, b, k, wg)


def _one_cell_m(r: Raster, geodesic: bool) -> float:
    """Smallest radius whose window holds the nearest 4-neighbours of every cell.

    Projected: min(xres, yres). Lon/lat: per row the shorter of the N–S and E–W geodesic
    steps, maximised over rows (the equator-most row, where E–W cells are widest).
    """
    if not geodesic:
        return float(min(r.res))
    from .cost import step_lengths

    return float(np.max(np.min(step_lengths(r, True)[:, :4], axis=1)))


def check_args(r: Raster, radii_m: Any, form: str, geodesic: bool
                ) -> tuple[list[float], _WindowGrid]:
    """Validate ``form``, the CRS against ``geodesic`` and ``radii_m`` (both paths)."""
    if form not in _FORMS:
        raise CamigeoError(f"form must be one of {_FORMS}; got {form!r}.")
    crs = r.crs
    is_geo = crs is not None and crs.is_geographic
    if geodesic and not is_geo:
        raise CRSError(
            f"geodesic=True needs a lon/lat (geographic) resistance raster; this one is in "
            f"{crs.name if crs else 'no CRS'}. Use geodesic=False for projected rasters.")
    if is_geo and not geodesic:
        assert crs is not None  # is_geo
        raise CRSError(
            f"barrier_improvement: the resistance raster is in {crs.name} (degrees) but "
            f"geodesic=False; pass geodesic=True (geodesic cost distances and windows that "
            f"are circles of radius_m metres on the WGS84 ellipsoid) or reproject it to a "
            f"projected CRS in metres, e.g. camigeo.crs.CENTRAL_ASIA_EQUAL_AREA.")
    one = _one_cell_m(r, geodesic)
    try:
        if isinstance(radii_m, str | bytes):
            raise TypeError
        radii = ([float(v) for v in radii_m] if radii_m is not None
                 else [one * f for f in (1, 2, 4)])
    except (TypeError, ValueError):
        raise CamigeoError(f"radii_m must be a list of window radii in metres, e.g. "
                           f"[1000, 2000]; got {radii_m!r}.") from None
    if not all(math.isfinite(v) for v in radii):
        raise CamigeoError(f"radii_m must be finite window radii in metres; got {radii}.")
    if not radii or min(radii) < one:
        where = (" on the equator-most row: the shorter of its N-S and E-W geodesic cell "
                 "steps" if geodesic else "")
        raise CamigeoError(
            f"radii_m must be >= one cell ({one:.6g} m{where}) so that every window holds "
            f"more than its centre cell; got {radii}. Use larger radii, e.g. "
            f"radii_m=[{one:.6g}, {2 * one:.6g}], or a finer raster.")
    return radii, _WindowGrid.of(r, geodesic)


def barrier_improvement(
    cores: gpd.GeoDataFrame,
    resistance: Raster | str | os.PathLike[str],
    links: gpd.GeoDataFrame | None = None,
    *,
    radii_m: Sequence[float] | None = None,
    form: str = "per_unit",
    id_col: str | None = None,
    neighbors: int = 8,
    geodesic: bool = False,
    block_corners: bool | float = False,
    progress: bool = False,
    scheduler: Any = None,
) -> Raster:
    """Barrier Mapper improvement score, maximum over links and radii.

    Parameters
    ----------
    cores : GeoDataFrame
        Core polygons (``core_id`` or ``id_col``), raster CRS.
    resistance : Raster or path
        Projected (metres), or lon/lat with ``geodesic=True``.
    links : GeoDataFrame, optional
        Output of :func:`corridor_links` (pairs to score); default every pair.
    radii_m : sequence of float, optional
        Window radii in metres; default 1, 2 and 4 cells. A "cell" is ``min(xres, yres)``
        (projected) or, on lon/lat, the shorter of the N–S and E–W geodesic steps of the
        equator-most row; smaller radii are rejected (some windows would hold only their
        centre cell).
    form : {"per_unit", "percent", "absolute"}, default "per_unit"
        ΔLCD / (2R), 100 × ΔLCD / LCD, or ΔLCD (cost units).
    id_col, neighbors, block_corners, progress
        As in :func:`corridor_links`.
    geodesic : bool, default False
        Lon/lat raster: cost distances with geodesic step lengths (cost units =
        resistance × metres, so ``2R`` is the cost of crossing a restored window) and
        windows that hold the cells whose centre is within R metres of the centre cell
        on the WGS84 ellipsoid (``pyproj.Geod.inv`` distance <= R (1 + 1e-9)); the
        footprint then widens E–W with latitude (about 1 / cos φ cells).
    scheduler : None, "synchronous", "threads", "processes", "client" or Client, optional
        None (default): this single-machine path. Otherwise one Dask task per core writes
        its cost distance to the work folder (:func:`camigeo.scale.get_workdir`), then one
        task per band of rows (with a halo of the window's row reach) scores the links;
        identical values. See docs/scaling.md.

    Returns
    -------
    Raster
        float64 score (0 = no gain; NaN where no link reaches the window).

    Raises
    ------
    CRSError
        Lon/lat raster with ``geodesic=False``, or ``geodesic=True`` on a projected one.
    CamigeoError
        Unknown ``form``; ``radii_m`` not numbers, not finite or below one cell.

    Examples
    --------
    >>> import numpy as np, geopandas as gpd, shapely
    >>> from camigeo import Raster
    >>> a = np.ones((3, 7)); a[:, 3] = 101.0
    >>> r = Raster.from_array(a, cellsize=10, crs="EPSG:32642")
    >>> cores = gpd.GeoDataFrame({"core_id": [1, 2]}, geometry=[shapely.box(0, 0, 10, 30),
    ...     shapely.box(60, 0, 70, 30)], crs="EPSG:32642")
    >>> float(barrier_improvement(cores, r, radii_m=[10]).array[1, 3])
    50.0
    """
    if scheduler is not None:  # Dask: per-core tasks, then per-band tasks (issue 8)
        from ..scale import distributed_twin
        barrier_improvement_dask = distributed_twin("corridors.barrier_improvement_dask")

        return barrier_improvement_dask(cores, resistance, links, radii_m=radii_m, form=form,
                                        id_col=id_col, neighbors=neighbors,
                                        geodesic=geodesic, block_corners=block_corners,
                                        scheduler=scheduler)
    cs = prepare_cores(cores, resistance, id_col)
    r = cs.raster
    radii, wg = check_args(r, radii_m, form, geodesic)
    pairs = link_pairs(cs, links)
    from ..scale import guard_cost_distance

    guard_cost_distance(r.array.size, extra_grids=2 * len({i for p in pairs for i in p}),
                        what=f"barrier_improvement ({r.height} x {r.width} cells, a cost grid "
                        f"and its moving minimum kept per core)")
    best = np.full(r.shape, np.nan)
    if not pairs:
        return Raster(best, r.transform, r.crs, np.nan)
    cwd = pair_cwds(cs, pairs, neighbors=neighbors, geodesic=geodesic,
                     block_corners=block_corners, progress=progress)
    for radius in radii:
        mins = window_minima(cwd, 0, r.height, radius, wg)
        for i, j in pairs:
            lcd = float(np.min(cwd[i].ravel()[cs.cells[j]]))
            if not np.isfinite(lcd) or lcd <= 0:
                continue
            best = np.fmax(best, improvement_score(lcd, mins[i], mins[j], radius, form))
    return Raster(best, r.transform, r.crs, np.nan)


def improvement_score(lcd: float, min_a: np.ndarray, min_b: np.ndarray, radius: float,
                       form: str) -> np.ndarray:
    """Barrier Mapper score per cell for one core pair and radius (negative gains -> 0).

    gain = LCD - (mA + mB + 2R); ``per_unit`` divides by 2R, ``percent`` by LCD (x100),
    ``absolute`` keeps the gain. Cells where the score is not finite get NaN.
    """
    gain = lcd - (min_a + min_b + 2.0 * radius)
    if form == "per_unit":
        score = gain / (2.0 * radius)
    elif form == "percent":
        score = 100.0 * gain / lcd
    else:
        score = gain
    return np.where(np.isfinite(score), np.maximum(score, 0.0), np.nan)
