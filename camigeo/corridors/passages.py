"""Rank candidate fence openings (passages) by the connectivity they restore."""

from __future__ import annotations

import logging
import os
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import CamigeoError, GeometryError
from ..raster import Raster
from ..resistance import thicken_diagonals
from .cost import _check_crs, _unit_factor
from .links import _core_cwd, _prepare_cores, corridor_links
from .nlcc import link_pairs

__all__ = ["rank_passages", "candidates_along"]

log = logging.getLogger(__name__)


def candidates_along(barriers: gpd.GeoDataFrame, spacing_km: float) -> gpd.GeoDataFrame:
    """Candidate passage points every ``spacing_km`` along each barrier line.

    Points sit at ``spacing/2, 3·spacing/2, ...`` from the start of each line part
    (at least one point, the midpoint, per part). Distances are measured in the layer's
    projected CRS.

    Parameters
    ----------
    barriers : GeoDataFrame
        (Multi)LineStrings in a projected CRS.
    spacing_km : float
        Spacing in km (> 0).

    Returns
    -------
    GeoDataFrame
        ``barrier_index`` (index label of the source line), ``along_km``, Point geometry.
    """
    if spacing_km is None or spacing_km <= 0:
        raise CamigeoError(f"spacing_km must be > 0; got {spacing_km}.")
    if barriers.crs is not None and not barriers.crs.is_projected:
        raise CamigeoError("barriers must be in a projected CRS (metres) to place points "
                           "every spacing_km; reproject them to the resistance raster CRS.")
    unit = _unit_factor(barriers.crs) if barriers.crs is not None else 1.0
    step = spacing_km * 1000.0 / unit
    rows = []
    for idx, g in zip(barriers.index, barriers.geometry, strict=True):
        if g is None or g.is_empty:
            continue
        for part in shapely.get_parts(g):
            if part.geom_type != "LineString":
                raise GeometryError("barriers must be (Multi)LineStrings.")
            L = part.length
            pos = np.arange(step / 2.0, L, step) if L > step / 2 else np.array([L / 2.0])
            for p in pos:
                rows.append({"barrier_index": idx, "along_km": p * unit / 1000.0,
                             "geometry": part.interpolate(p)})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=barriers.crs) if rows else \
        gpd.GeoDataFrame({"barrier_index": [], "along_km": []},
                         geometry=gpd.GeoSeries([], crs=barriers.crs), crs=barriers.crs)


def _barrier_mask(barriers: gpd.GeoDataFrame, r: Raster) -> np.ndarray:
    from rasterio.features import rasterize

    geoms = [g for g in barriers.geometry if g is not None and not g.is_empty]
    if not geoms:
        return np.zeros(r.shape, bool)
    m = rasterize([(g, 1) for g in geoms], out_shape=r.shape, transform=r.transform,
                  fill=0, all_touched=True, dtype="uint8").astype(bool)
    return thicken_diagonals(m)[0]


def _eca(cores: gpd.GeoDataFrame, links: pd.DataFrame, id_col: str, d0: float,
         p0: float) -> float:
    from ..network import connectivity_indices, corridor_graph

    G = corridor_graph(cores, links, id_col=id_col)
    return float(connectivity_indices(G, distance="cw_dist", d0=d0, p0=p0).eca)


def rank_passages(
    candidates: gpd.GeoDataFrame | None,
    *,
    barriers: gpd.GeoDataFrame,
    resistance: Raster | str | os.PathLike[str],
    cores: gpd.GeoDataFrame,
    links: gpd.GeoDataFrame | None = None,
    spacing_km: float | None = None,
    width_m: float = 500.0,
    passage_resistance: float | None = None,
    id_col: str | None = None,
    d0: float | None = None,
    p0: float = 0.5,
    neighbors: int = 8,
    progress: bool = False,
) -> gpd.GeoDataFrame:
    """Rank candidate openings in barriers by the gain in least-cost distance (and ECA).

    Each candidate opens the barrier cells within ``width_m / 2`` of it (cells touched by
    the ``barriers`` lines, made 4-connected as in :func:`camigeo.build_resistance`); the
    opened cells get ``passage_resistance``, by default the median resistance of the
    non-barrier cells within ``width_m / 2 + 2`` cells [assumption: the land around the
    fence]. Then the cost-weighted distance of every link is recomputed (min of CWD_A over
    B's cells; links are not re-checked for passing through other cores).

    Parameters
    ----------
    candidates : GeoDataFrame or None
        Candidate points (raster CRS). ``None``: generated every ``spacing_km`` along
        ``barriers`` (:func:`candidates_along`).
    barriers : GeoDataFrame
        The fence lines the candidates open (raster CRS).
    resistance : Raster or path
        Resistance with the barriers burned in (e.g. :func:`camigeo.build_resistance`).
    cores : GeoDataFrame
        Core polygons (``core_id`` or ``id_col``).
    links : GeoDataFrame, optional
        Links to evaluate (default: :func:`corridor_links` with default options).
    spacing_km : float, optional
        Spacing of generated candidates.
    width_m : float, default 500
        Passage width in metres.
    passage_resistance : float, optional
        Resistance of opened cells (default: local median, see above).
    id_col : str, optional
    d0, p0 : float, optional
        Dispersal kernel for ECA (p = p0 at cost distance d0, cost units). When ``d0`` is
        given and :mod:`camigeo.network` is available, ``eca_before``, ``eca_after`` and
        ``delta_eca`` are added and rank by ``delta_eca``.
    neighbors : int, default 8
    progress : bool, default False

    Returns
    -------
    GeoDataFrame
        The candidates (input columns kept) with ``n_cells_opened``, ``n_links_improved``,
        ``delta_cw_dist_sum`` and ``delta_cw_dist_max`` (cost units, >= 0), ``best_link``
        (``"a-b"``), optional ECA columns, and ``rank`` (1 = best), sorted by rank.

    Examples
    --------
    >>> import numpy as np, geopandas as gpd, shapely
    >>> from camigeo import Raster
    >>> a = np.ones((5, 9)); a[:, 4] = 1000.0
    >>> r = Raster.from_array(a, cellsize=10, crs="EPSG:32642")
    >>> fence = gpd.GeoDataFrame(geometry=[shapely.LineString([(45, 0), (45, 50)])],
    ...                          crs="EPSG:32642")
    >>> cores = gpd.GeoDataFrame({"core_id": [1, 2]}, geometry=[shapely.box(0, 40, 10, 50),
    ...     shapely.box(80, 40, 90, 50)], crs="EPSG:32642")
    >>> cand = gpd.GeoDataFrame({"name": ["north", "south"]}, geometry=[shapely.Point(45, 45),
    ...     shapely.Point(45, 5)], crs="EPSG:32642")
    >>> rank_passages(cand, barriers=fence, resistance=r, cores=cores, width_m=5)[
    ...     ["name", "rank"]].values.tolist()
    [['north', 1], ['south', 2]]
    """
    from rasterio.features import rasterize

    cs = _prepare_cores(cores, resistance, id_col)
    r = cs.raster
    _check_crs(barriers, r, "barriers")
    if candidates is None:
        if spacing_km is None:
            raise CamigeoError("give candidates (points) or spacing_km to generate them "
                               "along the barriers.")
        candidates = candidates_along(barriers, spacing_km)
    if not isinstance(candidates, gpd.GeoDataFrame):
        raise CamigeoError(f"candidates must be a GeoDataFrame of points; got "
                           f"{type(candidates).__name__}.")
    _check_crs(candidates, r, "candidates")
    if width_m <= 0:
        raise CamigeoError(f"width_m must be > 0 metres; got {width_m}.")
    if links is None:
        links = corridor_links(cores, r, id_col=id_col, neighbors=neighbors)
    pairs = link_pairs(cs, links)
    base_cw = links["cw_dist"].to_numpy(dtype=float)
    bmask = _barrier_mask(barriers, r)
    unit = _unit_factor(r.crs)
    half = width_m / 2.0 / unit
    cell = min(r.res)
    arr0 = r.masked_float()
    firsts = sorted({i for i, _ in pairs})
    out_rows = []
    it: Any = list(candidates.geometry)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc="passages")
    for g in it:
        zone = rasterize([(g.buffer(half), 1)], out_shape=r.shape, transform=r.transform,
                         fill=0, all_touched=True, dtype="uint8").astype(bool)
        opened = zone & bmask
        arr = arr0.copy()
        if opened.any():
            if passage_resistance is not None:
                val = float(passage_resistance)
            else:
                ring = rasterize([(g.buffer(half + 2 * cell), 1)], out_shape=r.shape,
                                 transform=r.transform, fill=0, all_touched=True,
                                 dtype="uint8").astype(bool) & ~bmask
                vals = arr0[ring]
                vals = vals[np.isfinite(vals)]
                val = float(np.median(vals)) if len(vals) else 1.0
            arr[opened] = val
        new_cw = base_cw.copy()
        if opened.any():
            for i in firsts:
                mask = np.zeros(r.shape, bool)
                mask.ravel()[cs.cells[i]] = True
                limit = max((base_cw[k] for k, p in enumerate(pairs) if p[0] == i),
                            default=None)
                cwd, _ = _core_cwd(arr, r.transform, mask, crs=r.crs, neighbors=neighbors,
                                   max_cost=limit if limit is not None and np.isfinite(limit)
                                   else None, want_back=False)
                for k, (a, b) in enumerate(pairs):
                    if a == i:
                        new_cw[k] = min(base_cw[k], float(np.min(cwd.ravel()[cs.cells[b]])))
        delta = base_cw - new_cw
        k_best = int(np.argmax(delta)) if len(delta) else -1
        row: dict[str, Any] = {
            "n_cells_opened": int(opened.sum()),
            "n_links_improved": int((delta > 1e-9 * np.maximum(base_cw, 1)).sum()),
            "delta_cw_dist_sum": float(delta.sum()),
            "delta_cw_dist_max": float(delta.max()) if len(delta) else 0.0,
            "best_link": (f"{cs.ids[pairs[k_best][0]]}-{cs.ids[pairs[k_best][1]]}"
                          if k_best >= 0 and delta[k_best] > 0 else None),
            "_new_cw": new_cw,
        }
        out_rows.append(row)
    res = candidates.copy()
    stats = pd.DataFrame(out_rows, index=candidates.index)
    new_cws = stats.pop("_new_cw") if len(stats) else pd.Series([], dtype=object)
    for c in stats.columns:
        res[c] = stats[c]
    sort_col = "delta_cw_dist_sum"
    if d0 is not None:
        sort_col = _add_eca(res, new_cws, cores, links, id_col or "core_id", d0, p0) or sort_col
    else:
        log.info("rank_passages: no d0 given, ECA columns skipped (pass d0 in cost units)")
    res["rank"] = res[sort_col].rank(ascending=False, method="first").astype(int) \
        if len(res) else pd.Series([], dtype=int)
    return res.sort_values("rank")


def _add_eca(res: gpd.GeoDataFrame, new_cws: pd.Series, cores: gpd.GeoDataFrame,
             links: gpd.GeoDataFrame, id_col: str, d0: float, p0: float) -> str | None:
    try:
        import camigeo.network  # noqa: F401
    except ImportError:
        log.info("rank_passages: camigeo.network is not available; ECA columns skipped")
        return None
    plain = pd.DataFrame(links.drop(columns="geometry", errors="ignore"))
    before = _eca(cores, plain, id_col, d0, p0)
    after = []
    for cw in new_cws:
        after.append(_eca(cores, plain.assign(cw_dist=cw), id_col, d0, p0))
    res["eca_before"] = before
    res["eca_after"] = after
    res["delta_eca"] = res["eca_after"] - before
    return "delta_eca"
