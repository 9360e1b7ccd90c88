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
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
from scipy.ndimage import minimum_filter

from .._errors import CamigeoError, CRSError
from ..raster import Raster
from .links import _prepare_cores
from .nlcc import _pair_cwds, link_pairs

__all__ = ["barrier_improvement"]

_FORMS = ("per_unit", "percent", "absolute")


def _disk(radius: float, xres: float, yres: float) -> np.ndarray:
    nx, ny = int(np.floor(radius / xres)), int(np.floor(radius / yres))
    yy, xx = np.mgrid[-ny:ny + 1, -nx:nx + 1]
    return (xx * xres) ** 2 + (yy * yres) ** 2 <= radius * radius * (1 + 1e-12)


def barrier_improvement(
    cores: gpd.GeoDataFrame,
    resistance: Raster | str | os.PathLike[str],
    links: gpd.GeoDataFrame | None = None,
    *,
    radii_m: Sequence[float] | None = None,
    form: str = "per_unit",
    id_col: str | None = None,
    neighbors: int = 8,
    block_corners: bool | float = False,
    progress: bool = False,
    scheduler: Any = None,
) -> Raster:
    """Barrier Mapper improvement score, maximum over links and radii.

    Parameters
    ----------
    cores : GeoDataFrame
        Core polygons (``core_id`` or ``id_col``), raster CRS (projected, metres).
    resistance : Raster or path
    links : GeoDataFrame, optional
        Output of :func:`corridor_links` (pairs to score); default every pair.
    radii_m : sequence of float, optional
        Window radii in metres; default 1, 2 and 4 cells. Radii smaller than a cell are
        rejected.
    form : {"per_unit", "percent", "absolute"}, default "per_unit"
        ΔLCD / (2R), 100 × ΔLCD / LCD, or ΔLCD (cost units).
    id_col, neighbors, block_corners, progress
        As in :func:`corridor_links`.
    scheduler : None, "synchronous", "threads", "processes", "client" or Client, optional
        None (default): this single-machine path. Otherwise one Dask task per core writes
        its cost distance to the work folder (:func:`camigeo.scale.get_workdir`), then one
        task per band of rows (with a halo of the window radius) scores the links;
        identical values. See docs/scaling.md.

    Returns
    -------
    Raster
        float64 score (0 = no gain; NaN where no link reaches the window).

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
        from .._dask_corridors import barrier_improvement_dask

        return barrier_improvement_dask(cores, resistance, links, radii_m=radii_m, form=form,
                                        id_col=id_col, neighbors=neighbors,
                                        block_corners=block_corners, scheduler=scheduler)
    if form not in _FORMS:
        raise CamigeoError(f"form must be one of {_FORMS}; got {form!r}.")
    cs = _prepare_cores(cores, resistance, id_col)
    r = cs.raster
    if r.crs is not None and r.crs.is_geographic:
        raise CRSError("barrier_improvement needs a projected resistance raster (windows "
                       "are circles in metres); reproject it first.")
    xres, yres = r.res
    try:
        if isinstance(radii_m, str | bytes):
            raise TypeError
        radii = ([float(v) for v in radii_m] if radii_m is not None
                 else [min(xres, yres) * k for k in (1, 2, 4)])
    except (TypeError, ValueError):
        raise CamigeoError(f"radii_m must be a list of window radii in metres, e.g. "
                           f"[1000, 2000]; got {radii_m!r}.") from None
    if not radii or min(radii) < min(xres, yres):
        raise CamigeoError(f"radii_m must be >= one cell ({min(xres, yres)} m); got "
                           f"{radii}.")
    pairs = link_pairs(cs, links)
    from ..scale import guard_cost_distance

    guard_cost_distance(r.array.size, extra_grids=2 * len({i for p in pairs for i in p}),
                        what=f"barrier_improvement ({r.height} x {r.width} cells, a cost grid "
                        f"and its moving minimum kept per core)")
    best = np.full(r.shape, np.nan)
    if not pairs:
        return Raster(best, r.transform, r.crs, np.nan)
    cwd = _pair_cwds(cs, pairs, neighbors=neighbors, geodesic=False,
                     block_corners=block_corners, progress=progress)
    for radius in radii:
        fp = _disk(radius, xres, yres)
        mins = {i: minimum_filter(c, footprint=fp, mode="constant", cval=np.inf)
                for i, c in cwd.items()}
        for i, j in pairs:
            lcd = float(np.min(cwd[i].ravel()[cs.cells[j]]))
            if not np.isfinite(lcd) or lcd <= 0:
                continue
            best = np.fmax(best, _improvement_score(lcd, mins[i], mins[j], radius, form))
    return Raster(best, r.transform, r.crs, np.nan)


def _improvement_score(lcd: float, min_a: np.ndarray, min_b: np.ndarray, radius: float,
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
