"""Normalized least-cost corridors (Linkage Mapper): NLCC = CWD_A + CWD_B − LCD."""

from __future__ import annotations

import logging
import os
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import CamigeoError, SchemaError
from ..io.raster import Raster
from .cores import Cores, prepare_cores
from .links import iter_cwds

__all__ = ["normalized_corridors", "link_pairs"]

log = logging.getLogger(__name__)


def link_pairs(cs: Cores, links: gpd.GeoDataFrame | None) -> list[tuple[int, int]]:
    """Positions (i, j) of the cores of each link; all pairs when ``links`` is None."""
    n = len(cs.ids)
    if links is None:
        return [(i, j) for i in range(n) for j in range(i + 1, n)]
    if not isinstance(links, pd.DataFrame):
        raise CamigeoError(f"links must be the link table (GeoDataFrame) returned by "
                           f"corridor_links(), or None for every pair of cores; got "
                           f"{type(links).__name__}.")
    missing = [c for c in ("core_a", "core_b") if c not in links.columns]
    if missing:
        raise SchemaError(f"links lacks columns {missing}; pass the output of "
                          f"corridor_links().")
    pos = {v: k for k, v in enumerate(cs.ids.tolist())}
    out = []
    for a, b in zip(links["core_a"], links["core_b"], strict=True):
        if a not in pos or b not in pos:
            raise CamigeoError(f"link {a}-{b} names a core that is not in cores; use the "
                               f"same cores (and id column) as for corridor_links.")
        i, j = pos[a], pos[b]
        out.append((min(i, j), max(i, j)))
    return out


def pair_cwds(cs: Cores, pairs: list[tuple[int, int]], *, neighbors: int, geodesic: bool,
               block_corners: bool | float, progress: bool) -> dict[int, np.ndarray]:
    need = {i for p in pairs for i in p}
    return {i: cwd for i, cwd, _ in iter_cwds(
        cs, need, neighbors=neighbors, geodesic=geodesic, block_corners=block_corners,
        max_cost=None, want_back=False, progress=progress)}


def normalized_corridors(
    cores: gpd.GeoDataFrame,
    resistance: Raster | str | os.PathLike[str],
    links: gpd.GeoDataFrame | None = None,
    *,
    id_col: str | None = None,
    cost_slack: float | None = None,
    neighbors: int = 8,
    geodesic: bool = False,
    block_corners: bool | float = False,
    progress: bool = False,
    scheduler: Any = None,
) -> Raster:
    """Compute normalized least-cost corridors mosaicked over links (Linkage Mapper).

    For each link (A, B): ``NLCC = CWD_A + CWD_B − LCD`` where LCD is the least-cost
    distance between the cores (min of CWD_A over B's cells). NLCC is 0 along the
    least-cost path and >= 0 elsewhere (the extra cost of detouring through the cell).
    The mosaic keeps the minimum over links per cell.

    Parameters
    ----------
    cores : GeoDataFrame
        Core polygons (``core_id`` or ``id_col``), raster CRS.
    resistance : Raster or path
    links : GeoDataFrame, optional
        Output of :func:`corridor_links` (only ``core_a``/``core_b`` are used; LCD is
        recomputed). Default: every pair of cores.
    id_col : str, optional
    cost_slack : float, optional
        Truncation (Linkage Mapper "corridor width"): cells with NLCC above this are set
        to nodata. Cost units (resistance × map units).
    neighbors, geodesic, block_corners, progress
        As in :func:`corridor_links`.
    scheduler : None, "synchronous", "threads", "processes", "client" or Client, optional
        None (default): this single-machine path. Otherwise one Dask task per core writes
        its cost distance to the work folder (:func:`camigeo.scale.get_workdir`), then one
        task per band of rows builds the mosaic; identical values. See docs/scaling.md.

    Returns
    -------
    Raster
        float64 NLCC in cost units; NaN where no link reaches or above ``cost_slack``.

    Examples
    --------
    >>> import numpy as np, geopandas as gpd, shapely
    >>> from camigeo import Raster
    >>> r = Raster.from_array(np.ones((3, 5)), cellsize=1, crs="EPSG:32642")
    >>> cores = gpd.GeoDataFrame({"core_id": [1, 2]}, geometry=[shapely.box(0, 0, 1, 3),
    ...     shapely.box(4, 0, 5, 3)], crs="EPSG:32642")
    >>> normalized_corridors(cores, r).array[1].tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0]
    """
    if cost_slack is not None and cost_slack < 0:
        raise CamigeoError(f"cost_slack must be >= 0 (cost units); got {cost_slack}.")
    if scheduler is not None:  # Dask: per-core tasks, then per-band tasks (issue 8)
        from ..scale import distributed_twin
        normalized_corridors_dask = distributed_twin("corridors.normalized_corridors_dask")

        return normalized_corridors_dask(cores, resistance, links, id_col=id_col,
                                         cost_slack=cost_slack, neighbors=neighbors,
                                         geodesic=geodesic, block_corners=block_corners,
                                         scheduler=scheduler)
    cs = prepare_cores(cores, resistance, id_col)
    pairs = link_pairs(cs, links)
    from ..scale import guard_cost_distance

    guard_cost_distance(cs.raster.array.size, extra_grids=len({i for p in pairs for i in p}),
                        what=f"normalized_corridors ({cs.raster.height} x {cs.raster.width} "
                        f"cells, one cost grid kept per core)")
    out = np.full(cs.raster.shape, np.inf)
    if pairs:
        cwd = pair_cwds(cs, pairs, neighbors=neighbors, geodesic=geodesic,
                         block_corners=block_corners, progress=progress)
        for i, j in pairs:
            lcd = float(np.min(cwd[i].ravel()[cs.cells[j]]))
            if not np.isfinite(lcd):
                log.info("cores %s and %s are not connected; no corridor", cs.ids[i],
                         cs.ids[j])
                continue
            nl = cwd[i] + cwd[j] - lcd
            np.fmin(out, nl, out=out, where=np.isfinite(nl))
    out[~np.isfinite(out)] = np.nan
    if cost_slack is not None:
        out[out > cost_slack] = np.nan
    return Raster(out, cs.raster.transform, cs.raster.crs, np.nan)
