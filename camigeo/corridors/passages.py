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
from ..io.guards import check_alloc, check_geometries, check_number
from ..io.raster import Raster
from .cores import prepare_cores
from .cost import check_crs, unit_factor
from .links import core_cwd, corridor_links
from .nlcc import link_pairs
from .resistance import thicken_diagonals

__all__ = ["rank_passages", "candidates_along"]

log = logging.getLogger(__name__)


def _check_barriers(barriers: Any) -> None:
    if not isinstance(barriers, gpd.GeoDataFrame | gpd.GeoSeries):
        raise CamigeoError(f"barriers must be a GeoDataFrame of fence lines (the lines the "
                           f"openings cut, in the raster CRS); got {type(barriers).__name__}.")
    if len(barriers) == 0:
        raise CamigeoError("barriers is empty (0 lines): there is no fence to open. Check the "
                           "filter that selected the barrier lines.")
    check_geometries(barriers, name="barriers", repair=None)


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
    _check_barriers(barriers)
    if spacing_km is None or (isinstance(spacing_km, int | float) and spacing_km <= 0):
        raise CamigeoError(f"spacing_km must be > 0; got {spacing_km}.")
    check_number(spacing_km, name="spacing_km", minimum=0.0, strict_min=True, unit="km",
                 fix="Give the distance between candidate openings in km, e.g. 1.0.")
    if barriers.crs is not None and not barriers.crs.is_projected:
        raise CamigeoError("barriers must be in a projected CRS (metres) to place points "
                           "every spacing_km; reproject them to the resistance raster CRS.")
    unit = unit_factor(barriers.crs) if barriers.crs is not None else 1.0
    step = spacing_km * 1000.0 / unit
    n_pts = float(barriers.geometry.length.sum()) / step
    check_alloc(400.0 * n_pts, what=f"candidates_along(spacing_km={spacing_km:g}): about "
                f"{n_pts:,.0f} candidate points", fix="Use a larger spacing_km.")
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
    from .network import connectivity_indices, corridor_graph

    G = corridor_graph(cores, links, id_col=id_col)
    return float(connectivity_indices(G, distance="cw_dist", d0=d0, p0=p0).eca)


def _open_zone(g: Any, r: Raster, bmask: np.ndarray, arr0: np.ndarray, half: float,
               cell: float, passage_resistance: float | None) -> tuple[np.ndarray, float]:
    """Flat indices of the barrier cells a candidate opens, and their new resistance."""
    from rasterio.features import rasterize

    zone = rasterize([(g.buffer(half), 1)], out_shape=r.shape, transform=r.transform,
                     fill=0, all_touched=True, dtype="uint8").astype(bool)
    opened = np.flatnonzero(zone & bmask)
    if not len(opened):
        return opened, np.nan
    if passage_resistance is not None:
        return opened, float(passage_resistance)
    ring = rasterize([(g.buffer(half + 2 * cell), 1)], out_shape=r.shape,
                     transform=r.transform, fill=0, all_touched=True,
                     dtype="uint8").astype(bool) & ~bmask
    vals = arr0[ring]
    vals = vals[np.isfinite(vals)]
    return opened, float(np.median(vals)) if len(vals) else 1.0


def _links_cw(arr: np.ndarray, cs: Any, pairs: list[tuple[int, int]], cw_now: np.ndarray,
              neighbors: int) -> np.ndarray:
    """cw_dist of every link on ``arr`` (never above ``cw_now``: openings only lower it)."""
    r = cs.raster
    new_cw = cw_now.copy()
    for i in sorted({a for a, _ in pairs}):
        mask = np.zeros(r.shape, bool)
        mask.ravel()[cs.cells[i]] = True
        limit = max((cw_now[k] for k, p in enumerate(pairs) if p[0] == i), default=None)
        cwd, _ = core_cwd(arr, r.transform, mask, crs=r.crs, neighbors=neighbors,
                           max_cost=limit if limit is not None and np.isfinite(limit)
                           else None, want_back=False)
        for k, (a, b) in enumerate(pairs):
            if a == i:
                new_cw[k] = min(cw_now[k], float(np.min(cwd.ravel()[cs.cells[b]])))
    return new_cw


def _score_task(item: tuple[int, np.ndarray, float], *, arr: np.ndarray, cs: Any,
                pairs: list[tuple[int, int]], cw_now: np.ndarray, neighbors: int
                ) -> tuple[int, np.ndarray]:
    """(candidate, cw_dist of every link with its opening applied to ``arr``).

    One opening alone, on a copy of ``arr``; the unit of work on one machine and on Dask.
    """
    c, opened, val = item
    if not len(opened):
        return c, cw_now.copy()
    a = arr.copy()
    a.ravel()[opened] = val
    return c, _links_cw(a, cs, pairs, cw_now, neighbors)


def _xy_m(candidates: gpd.GeoDataFrame, unit: float) -> np.ndarray:
    """Candidate positions (representative points) in metres of the projected CRS."""
    pts = shapely.point_on_surface(np.asarray(candidates.geometry.values))
    return shapely.get_coordinates(pts) * unit


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
    min_spacing_km: float | None = None,
    select: int | None = None,
    progress: bool = False,
    scheduler: Any = None,
) -> gpd.GeoDataFrame:
    """Rank candidate openings in barriers by the gain in least-cost distance (and ECA).

    Each candidate opens the barrier cells within ``width_m / 2`` of it (cells touched by
    the ``barriers`` lines, made 4-connected as in :func:`camigeo.build_resistance`); the
    opened cells get ``passage_resistance``, by default the median resistance of the
    non-barrier cells within ``width_m / 2 + 2`` cells [assumption: the land around the
    fence]. Then the cost-weighted distance of every link is recomputed (min of CWD_A over
    B's cells; links are not re-checked for passing through other cores).

    Candidates are scored independently (each opening alone), so two neighbouring
    candidates that serve the same link get nearly the same score. ``min_spacing_km``
    thins the ranking (non-maximum suppression), and ``select`` picks openings one after
    another, each by its *marginal* gain with the earlier picks already open (greedy
    sequential selection).

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
    min_spacing_km : float, optional
        Minimum distance (km, between candidate points) of two ranked or selected
        openings. Without ``select``: walking down the independent ranking, a candidate
        closer than this to a better-ranked kept one gets no rank (``<NA>``) and
        ``suppressed_by`` names that candidate's index label. With ``select``: candidates
        this close to an earlier pick are not eligible.
    select : int, optional
        Greedy sequential selection of this many openings: pick the best candidate, open
        it, re-score every remaining candidate with the picks open, pick the best marginal
        gain, and so on. Stops early (with a log message) when no remaining candidate
        gains anything. Costs ``select`` times the independent scoring.
    progress : bool, default False
        Show a tqdm bar over the candidates (single-machine path).
    scheduler : None, "synchronous", "threads", "processes", "client" or Client, optional
        None (default): candidates are scored one after another here. Otherwise each
        candidate (its opening, then the cost distances of the cores its links start from)
        is one Dask task, in the independent scoring and in every round of ``select``; the
        resistance, cores and links are shared once per round. Same numbers: the task is
        the single-machine unit of work. Use worker processes or a cluster: threads do not
        speed it up (benchmarks/bench_passages.py). See :mod:`camigeo.scale`,
        docs/scaling.md.

    Returns
    -------
    GeoDataFrame
        The candidates (input columns kept) with ``n_cells_opened``, ``n_links_improved``,
        ``delta_cw_dist_sum`` and ``delta_cw_dist_max`` (cost units, >= 0), ``best_link``
        (``"a-b"``), optional ECA columns, and ``rank`` (1 = best; nullable Int64 when
        ``min_spacing_km`` is given, plus ``suppressed_by``), sorted by rank. With
        ``select``: ``pick`` (Int64, 1 = first pick, ``<NA>`` = not picked) and
        ``pick_gain`` (marginal gain when picked: Δ Σ cw_dist, or Δ ECA with ``d0``).

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
    cs = prepare_cores(cores, resistance, id_col)
    r = cs.raster
    _check_barriers(barriers)
    check_crs(barriers, r, "barriers")
    if candidates is None:
        if spacing_km is None:
            raise CamigeoError("give candidates (points) or spacing_km to generate them "
                               "along the barriers.")
        candidates = candidates_along(barriers, spacing_km)
    if not isinstance(candidates, gpd.GeoDataFrame):
        raise CamigeoError(f"candidates must be a GeoDataFrame of points; got "
                           f"{type(candidates).__name__}.")
    check_crs(candidates, r, "candidates")
    if len(candidates) == 0:
        raise CamigeoError("candidates is empty (0 points): there is no opening to rank. Give "
                           "candidate points or pass candidates=None with spacing_km=.")
    check_geometries(candidates, name="candidates", repair=None)
    if isinstance(width_m, int | float) and width_m <= 0:
        raise CamigeoError(f"width_m must be > 0 metres; got {width_m}.")
    check_number(width_m, name="width_m", minimum=0.0, maximum=1e6, strict_min=True, unit="m",
                 fix="Give the width of an opening in metres, e.g. 500.")
    if passage_resistance is not None:
        check_number(passage_resistance, name="passage_resistance", minimum=0.0,
                     strict_min=True, fix="Give the resistance of an opened cell (> 0), or "
                     "None to use the mean of the cells around it.")
    if min_spacing_km is not None and not min_spacing_km > 0:
        raise CamigeoError(f"min_spacing_km must be > 0 km (or None); got {min_spacing_km!r}.")
    if select is not None and (isinstance(select, bool) or not isinstance(select, int | np.integer)
                               or select < 1):
        raise CamigeoError(f"select must be a positive integer (number of openings to pick "
                           f"one after another) or None; got {select!r}.")
    if links is None:
        links = corridor_links(cores, r, id_col=id_col, neighbors=neighbors)
    pairs = link_pairs(cs, links)
    base_cw = links["cw_dist"].to_numpy(dtype=float)
    bmask = _barrier_mask(barriers, r)
    unit = unit_factor(r.crs)
    half = width_m / 2.0 / unit
    cell = min(r.res)
    arr0 = r.masked_float()
    geoms = list(candidates.geometry)
    zones = [_open_zone(g, r, bmask, arr0, half, cell, passage_resistance) for g in geoms]

    sched = None
    if scheduler is not None:
        from ..scale import check_scheduler, check_task_memory, estimate_cost_distance_bytes

        sched = check_scheduler(scheduler)
        # a task holds the resistance, its copy with the opening and one cost-distance run
        check_task_memory(sched, estimate_cost_distance_bytes(r.array.size)
                          + 2 * 8 * r.array.size,
                          what=f"rank_passages ({r.height} x {r.width} cells per task)")

    def score(arr_now: np.ndarray, cw_now: np.ndarray, which: list[int],
              desc: str) -> dict[int, np.ndarray]:
        items = [(c, *zones[c]) for c in which]
        shared: dict[str, Any] = {"arr": arr_now, "cs": cs, "pairs": pairs, "cw_now": cw_now,
                  "neighbors": neighbors}
        out: dict[int, np.ndarray] = {}
        if sched is not None:
            from ..scale import reduce_tasks

            log.info("rank_passages: %d candidate tasks (%s) on %s", len(items), desc, sched)
            reduce_tasks(_score_task, items, lambda res: out.__setitem__(*res),
                         scheduler=sched, shared=shared)
            return out
        it: Any = items
        if progress:
            from tqdm.auto import tqdm

            it = tqdm(items, desc=desc)
        for item in it:
            c, cw = _score_task(item, **shared)
            out[c] = cw
        return out

    all_c = list(range(len(geoms)))
    new_cws = score(arr0, base_cw, all_c, "passages")
    out_rows = []
    for c in all_c:
        delta = base_cw - new_cws[c]
        k_best = int(np.argmax(delta)) if len(delta) else -1
        out_rows.append({
            "n_cells_opened": len(zones[c][0]),
            "n_links_improved": int((delta > 1e-9 * np.maximum(base_cw, 1)).sum()),
            "delta_cw_dist_sum": float(delta.sum()),
            "delta_cw_dist_max": float(delta.max()) if len(delta) else 0.0,
            "best_link": (f"{cs.ids[pairs[k_best][0]]}-{cs.ids[pairs[k_best][1]]}"
                          if k_best >= 0 and delta[k_best] > 0 else None),
        })
    res = candidates.copy()
    stats = pd.DataFrame(out_rows, index=candidates.index)
    for col in stats.columns:
        res[col] = stats[col]
    eca_of = _eca_function(cores, links, id_col or "core_id", d0, p0)
    sort_col = "delta_cw_dist_sum"
    if eca_of is not None:
        before = eca_of(base_cw)
        res["eca_before"] = before
        res["eca_after"] = [eca_of(new_cws[c]) for c in all_c]
        res["delta_eca"] = res["eca_after"] - before
        sort_col = "delta_eca"
    ranks = res[sort_col].rank(ascending=False, method="first").astype(int) \
        if len(res) else pd.Series([], dtype=int)
    xy = _xy_m(candidates, unit) if min_spacing_km is not None or select is not None else None
    if min_spacing_km is not None:
        assert xy is not None
        kept: list[int] = []
        thinned = pd.Series(pd.NA, index=res.index, dtype="Int64")
        by = pd.Series(None, index=res.index, dtype=object)
        for c in np.argsort(ranks.to_numpy(), kind="stable"):
            close = [k for k in kept
                     if np.hypot(*(xy[c] - xy[k])) < min_spacing_km * 1000.0]
            if close:
                by.iloc[c] = res.index[close[0]]
            else:
                kept.append(int(c))
                thinned.iloc[c] = len(kept)
        res["rank"] = thinned
        res["suppressed_by"] = by
    else:
        res["rank"] = ranks
    if select is not None:
        assert xy is not None
        _greedy(res, select, zones, arr0, base_cw, new_cws, score, ranks.to_numpy(), xy,
                min_spacing_km, eca_of)
    return res.sort_values("rank", na_position="last")


def _greedy(res: gpd.GeoDataFrame, select: int, zones: list[tuple[np.ndarray, float]],
            arr0: np.ndarray, base_cw: np.ndarray, first: dict[int, np.ndarray],
            score: Any, ranks: np.ndarray, xy: np.ndarray, min_spacing_km: float | None,
            eca_of: Any) -> None:
    """Greedy sequential selection (columns ``pick`` and ``pick_gain`` added in place)."""

    def gain(cw_now: np.ndarray, cw_new: np.ndarray) -> float:
        if eca_of is not None:
            return float(eca_of(cw_new) - eca_of(cw_now))
        return float(np.sum(cw_now - cw_new))

    pick = pd.Series(pd.NA, index=res.index, dtype="Int64")
    pick_gain = pd.Series(np.nan, index=res.index, dtype=float)
    arr_now, cw_now = arr0.copy(), base_cw.copy()
    picked: list[int] = []
    for step in range(1, select + 1):
        cand = [c for c in range(len(zones)) if c not in picked and len(zones[c][0])
                and not (min_spacing_km is not None and any(
                    np.hypot(*(xy[c] - xy[k])) < min_spacing_km * 1000.0 for k in picked))]
        cws = first if step == 1 else score(arr_now, cw_now, cand, f"pick {step}")
        gains = {c: gain(cw_now, cws[c]) for c in cand}
        if not gains or max(gains.values()) <= 1e-12 * max(1.0, abs(float(np.sum(cw_now)))):
            log.info("rank_passages: no remaining candidate improves the links; stopped "
                     "after %d pick(s)", len(picked))
            break
        best = max(gains.values())
        # ties: the better independent rank
        c = min((k for k, v in gains.items() if v == best), key=lambda k: ranks[k])
        picked.append(c)
        pick.iloc[c] = step
        pick_gain.iloc[c] = gains[c]
        opened, val = zones[c]
        arr_now.ravel()[opened] = val
        cw_now = cws[c]
    res["pick"] = pick
    res["pick_gain"] = pick_gain


def _eca_function(cores: gpd.GeoDataFrame, links: gpd.GeoDataFrame, id_col: str,
                  d0: float | None, p0: float) -> Any:
    """Return a function cw_dist array -> ECA of the corridor graph (None: no d0/network)."""
    if d0 is None:
        log.info("rank_passages: no d0 given, ECA columns skipped (pass d0 in cost units)")
        return None
    try:
        import camigeo.corridors.network  # noqa: F401
    except ImportError:
        log.info("rank_passages: camigeo.network is not available; ECA columns skipped")
        return None
    plain = pd.DataFrame(links.drop(columns="geometry", errors="ignore"))

    def eca_of(cw: np.ndarray) -> float:
        return _eca(cores, plain.assign(cw_dist=cw), id_col, d0, p0)

    return eca_of
