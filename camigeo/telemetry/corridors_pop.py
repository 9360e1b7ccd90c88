"""Population migration corridors and stopovers (Sawyer et al. 2009; Migration Mapper; GIUM).

For every migration sequence a Brownian bridge UD is computed on one common grid
(:mod:`camigeo.telemetry.bbmm`, motion variance fitted per sequence). Then, as Migration
Mapper maps corridors for the Global Initiative on Ungulate Migration:

1. **Footprint** of a sequence: the cells of its ``footprint`` isopleth (default 99 %): the
   smallest set of cells, taken from the highest UD value down, whose UD sums to at least
   ``footprint``.
2. **Per individual**: footprints are averaged over the individual's sequences (a cell used
   in 1 of 2 years counts 0.5) and the UDs are averaged (the mean UD sums to 1), so every
   individual weighs the same however many sequences it has.
3. **Corridor** raster: ``individuals`` = the sum of the averaged footprints over
   individuals (individual-equivalents using the cell); ``share`` = individuals / number
   of individuals. Classes: ``low`` where individuals >= ``low_min_individuals``
   (default 1), ``medium`` where also share >= ``medium_share`` (0.10), ``high`` where
   also share >= ``high_share`` (0.20) (codes 1, 2, 3; 0 outside).
4. **Stopovers**: the cells of each individual's averaged footprint whose averaged UD is
   in the top ``stopover_fraction`` (10 %) of its values there; pooled as the number of
   individuals with a stopover in the cell (``stopover_min_individuals`` to map it).

Every sequence is one task (``scheduler=`` runs them on Dask; the kernel releases the GIL,
so ``"threads"`` uses all cores). A sequence only touches the window of the grid its
bridges reach, so memory is a few full-grid arrays plus one window per running task.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import CamigeoError, CamigeoWarning, SchemaError
from ..io.raster import Raster
from .bbmm import (
    VARIANCE_BOUNDS,
    GridSpec,
    bridge_density,
    check_grid_memory,
    fit_motion_variance,
    isopleth_mask,
    leave_one_out_terms,
    location_errors,
    margin_grid,
    metric_fixes,
    track_arrays,
)
from .migration import migration_sequences, sequence_fixes
from .tracks import prepare_tracks

__all__ = ["USE_CLASSES", "MigrationCorridors", "isopleth_mask", "migration_corridors",
           "raster_polygons"]

logger = logging.getLogger(__name__)

#: Corridor class codes of ``MigrationCorridors.use_class``.
USE_CLASSES = {1: "low", 2: "medium", 3: "high"}


def _sequence_task(item: tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, Any], *,
                   grid: GridSpec, time_step_min: float, max_lag_min: float | None,
                   footprint: float, bounds: tuple[float, float]) -> dict[str, Any]:
    """One sequence: fit the variance, integrate the bridges, cut the footprint."""
    k, x, y, t_min, le, fixed_var = item
    fit = None
    if fixed_var is None:
        terms = leave_one_out_terms(x, y, t_min, le, max_lag_min=max_lag_min)
        fit = fit_motion_variance(terms, bounds=bounds, warn=False)
        var = fit.motion_variance
    else:
        var = float(fixed_var)
    if not np.isfinite(var):
        return {"k": k, "ok": False, "var": var, "on_bound": True, "n_bridges": 0}
    r0, c0, win, nb = bridge_density(x, y, t_min, le, var, grid, time_step_min=time_step_min,
                                     max_lag_min=max_lag_min)
    total = float(win.sum())
    if nb == 0 or not total > 0:
        return {"k": k, "ok": False, "var": var, "on_bound": False, "n_bridges": nb}
    ud = win / total
    return {"k": k, "ok": True, "r0": r0, "c0": c0, "ud": ud,
            "fp": isopleth_mask(ud, footprint), "var": var, "raw_sum": total,
            "on_bound": bool(fit.on_bound) if fit is not None else False, "n_bridges": nb}


def raster_polygons(mask_or_codes: Raster, *, labels: dict[int, str] | None = None,
                    column: str = "use_class") -> gpd.GeoDataFrame:
    """Dissolved polygons of the non-zero values of an integer raster, one row per value.

    Areas (``area_km2``) are geodesic (WGS84 ellipsoid).
    """
    from rasterio import features

    from ..io.crs import geodesic_area_km2

    arr = np.asarray(mask_or_codes.array).astype(np.int32)
    shapes = features.shapes(arr, mask=arr > 0, transform=mask_or_codes.transform)
    geoms, vals = [], []
    for geom, val in shapes:
        geoms.append(shapely.geometry.shape(geom))
        vals.append(int(val))
    rows = []
    for v in sorted(set(vals)):
        parts = [g for g, w in zip(geoms, vals, strict=True) if w == v]
        rows.append({"code": v, column: (labels or {}).get(v, str(v)),
                     "geometry": shapely.union_all(parts)})
    gdf = gpd.GeoDataFrame(pd.DataFrame(rows, columns=["code", column, "geometry"]),
                           geometry="geometry", crs=mask_or_codes.crs)
    gdf["area_km2"] = geodesic_area_km2(gdf) if len(gdf) else np.zeros(0)
    return gdf


@dataclass(frozen=True)
class MigrationCorridors:
    """Population corridors and stopovers (see the module docstring).

    Attributes
    ----------
    individuals : Raster
        Individual-equivalents whose (averaged) footprint covers each cell.
    share : Raster
        ``individuals`` / number of individuals.
    use_class : Raster
        0 none, 1 low, 2 medium, 3 high use (uint8).
    stopovers : Raster
        Number of individuals with a stopover in each cell.
    population_ud : Raster
        Mean of the individuals' averaged UDs (sums to 1).
    sequences : pandas.DataFrame
        The sequence table with ``motion_variance`` (m^2/min), ``variance_on_bound``,
        ``n_bridges``, ``footprint_km2`` and ``ud_raw_sum`` added.
    n_individuals : int
        Individuals with at least one usable sequence.
    parameters : dict
        The parameters of the run.
    """

    individuals: Raster
    share: Raster
    use_class: Raster
    stopovers: Raster
    population_ud: Raster
    sequences: pd.DataFrame
    n_individuals: int
    parameters: dict[str, Any] = field(default_factory=dict)

    def corridor_polygons(self) -> gpd.GeoDataFrame:
        """Dissolved polygons of the ``low``/``medium``/``high`` classes.

        The classes are nested: each polygon is the area of at least that class.
        """
        arr = self.use_class.array
        parts = []
        for code, label in USE_CLASSES.items():
            sub = raster_polygons(self.use_class.with_array((arr >= code).astype(np.uint8)))
            if len(sub):
                sub["code"], sub["use_class"] = code, label
                parts.append(sub)
        if not parts:
            return raster_polygons(self.use_class.with_array(np.zeros_like(arr)))
        out = pd.concat(parts, ignore_index=True)
        out["min_share"] = out["code"].map({1: 0.0, 2: self.parameters["medium_share"],
                                            3: self.parameters["high_share"]})
        return gpd.GeoDataFrame(out, geometry="geometry", crs=self.use_class.crs)

    def stopover_polygons(self) -> gpd.GeoDataFrame:
        """Dissolved stopover polygons (cells with >= ``stopover_min_individuals``)."""
        k = self.parameters["stopover_min_individuals"]
        mask = (self.stopovers.array >= k).astype(np.uint8)
        out = raster_polygons(self.stopovers.with_array(mask), labels={1: "stopover"},
                              column="kind")
        out["min_individuals"] = k
        return out


def _combine_window(store: dict[str, Any], r0: int, c0: int, arrays: dict[str, np.ndarray]
                    ) -> None:
    """Add window arrays into an accumulator that grows to the union of windows."""
    h, w = next(iter(arrays.values())).shape
    if "r0" not in store:
        store.update(r0=r0, c0=c0, **{k: np.asarray(v, dtype=np.float64)
                                      for k, v in arrays.items()})
        return
    R0, C0 = min(store["r0"], r0), min(store["c0"], c0)
    H0, W0 = store["ud"].shape
    R1 = max(store["r0"] + H0, r0 + h)
    C1 = max(store["c0"] + W0, c0 + w)
    if (R0, C0, R1 - R0, C1 - C0) != (store["r0"], store["c0"], H0, W0):
        for key in arrays:
            big = np.zeros((R1 - R0, C1 - C0))
            big[store["r0"] - R0:store["r0"] - R0 + H0,
                store["c0"] - C0:store["c0"] - C0 + W0] = store[key]
            store[key] = big
        store["r0"], store["c0"] = R0, C0
    for key, arr in arrays.items():
        store[key][r0 - store["r0"]:r0 - store["r0"] + h,
                   c0 - store["c0"]:c0 - store["c0"] + w] += arr


def migration_corridors(tracks: Any, *, location_error_m: Any,
                        sequences: pd.DataFrame | None = None,
                        seasons: dict[str, tuple[str, str]] | None = None,
                        grid: Raster | None = None, cell_size_m: float | None = None,
                        margin_m: float = 2000.0, time_step_min: float = 10.0,
                        max_lag_min: float | None = None, motion_variance: Any = None,
                        footprint: float = 0.99, low_min_individuals: float = 1.0,
                        medium_share: float = 0.10, high_share: float = 0.20,
                        stopover_fraction: float = 0.10, stopover_min_individuals: int = 1,
                        variance_bounds: tuple[float, float] = VARIANCE_BOUNDS,
                        id_col: str | None = None, time_col: str | None = None,
                        scheduler: Any = None, progress: bool = False
                        ) -> MigrationCorridors:
    """Map population migration corridors and stopovers from GPS tracks.

    Parameters
    ----------
    tracks : GeoDataFrame or movingpandas.TrajectoryCollection
        GPS fixes of many individuals (lon/lat input is projected to a local azimuthal
        equidistant CRS; a ``grid`` brings its own CRS).
    location_error_m : float, str or array
        GPS location error, metres (one value, a column, or one per fix).
    sequences : DataFrame, optional
        Output of :func:`migration_sequences`. Default: computed with ``seasons`` and
        ``max_lag_min``.
    seasons : dict, optional
        Passed to :func:`migration_sequences` when ``sequences`` is not given.
    grid : Raster, optional
        Template (cell centres = evaluation points). Default: the extent of the fixes plus
        ``margin_m``, snapped to multiples of ``cell_size_m``.
    cell_size_m, margin_m : float
        Default grid, metres.
    time_step_min, max_lag_min : float
        Integration step and longest bridged step, minutes.
    motion_variance : float or dict, optional
        Fixed variance (m^2/min) for all sequences, or per ``sequence_id``; default: the
        maximum-likelihood estimate of each sequence.
    footprint : float, default 0.99
        Isopleth level of a sequence's footprint.
    low_min_individuals, medium_share, high_share : float
        Class thresholds (individual-equivalents; shares of individuals).
    stopover_fraction : float, default 0.10
        Top share of an individual's footprint cells (by UD value) that are stopovers.
    stopover_min_individuals : int, default 1
        Individuals needed to map a pooled stopover cell.
    variance_bounds : (float, float)
        Search interval of the variance, m^2/min.
    id_col, time_col : str, optional
        Column names.
    scheduler : None, str or distributed.Client
        One task per sequence (see :mod:`camigeo.scale`); same result.
    progress : bool
        Show a progress bar.

    Returns
    -------
    MigrationCorridors
    """
    from ..scale import reduce_tasks

    if not 0 < footprint <= 1 or not 0 < stopover_fraction <= 1:
        raise SchemaError(f"footprint and stopover_fraction must be in (0, 1]; got "
                          f"{footprint}, {stopover_fraction}.")
    if not 0 <= medium_share <= high_share <= 1:
        raise SchemaError(f"need 0 <= medium_share <= high_share <= 1; got {medium_share}, "
                          f"{high_share}.")
    gdf, id_col, time_col = prepare_tracks(tracks, id_col=id_col, time_col=time_col)
    if sequences is None:
        sequences = migration_sequences(gdf, seasons=seasons, max_lag_min=max_lag_min,
                                        id_col=id_col, time_col=time_col)
    if len(sequences) == 0:
        raise CamigeoError("no migration sequences were found; give seasons= date windows or "
                           "check the NSD parameters of migration_sequences.")
    if grid is not None:
        if grid.crs is None:
            raise SchemaError("grid has no CRS; set one (Raster(..., crs='EPSG:...')).")
        gdf = metric_fixes(gdf, grid.crs)
        spec = GridSpec.from_raster(grid)
    else:
        if cell_size_m is None or not cell_size_m > 0:
            raise SchemaError(f"pass grid= or cell_size_m= (> 0 metres); got {cell_size_m!r}.")
        gdf = metric_fixes(gdf)
    le_all = location_errors(gdf, location_error_m)
    picked = sequence_fixes(gdf, sequences, id_col=id_col, time_col=time_col)
    used = np.unique(np.concatenate([idx for _, _, idx in picked]))
    xy_all, y_all, _, _ = track_arrays(gdf, time_col, le_all)
    if grid is None:
        spec = margin_grid(xy_all[used], y_all[used], float(cell_size_m),  # type: ignore[arg-type]
                           float(margin_m), crs=gdf.crs)
    check_grid_memory(spec.nrows, spec.ncols, copies=6.0, what="the migration corridor grid")
    t_ns = pd.DatetimeIndex(gdf[time_col]).as_unit("ns").asi8
    items = []
    for k, (sid, _ind, idx) in enumerate(picked):
        fixed = (motion_variance.get(sid) if isinstance(motion_variance, dict)
                 else motion_variance)
        t_min = (t_ns[idx] - t_ns[idx[0]]) / 60e9 if len(idx) else np.zeros(0)
        items.append((k, xy_all[idx], y_all[idx], t_min, le_all[idx], fixed))
    items = [it for it in items if len(it[1]) >= 2]
    seq_ind = [ind for _, ind, _ in picked]
    n_seq = {ind: 0 for ind in seq_ind}
    for it in items:
        n_seq[seq_ind[it[0]]] += 1
    shape = (spec.nrows, spec.ncols)
    individuals = np.zeros(shape)
    stop_count = np.zeros(shape, dtype=np.int32)
    pop_ud = np.zeros(shape)
    pending: dict[str, dict[str, Any]] = {}
    seq_info: dict[int, dict[str, Any]] = {}
    done: dict[str, int] = {ind: 0 for ind in n_seq}
    n_ind = 0
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(items), desc="migration sequences")

    def finish(ind: str) -> None:
        nonlocal n_ind
        st = pending.pop(ind, None)
        if st is None or "r0" not in st:
            return
        m = st["n"]
        ud, fp = st["ud"], st["fp"]
        if m > 1:
            ud /= m
            fp /= m
        r0, c0 = st["r0"], st["c0"]
        h, w = ud.shape
        pop_ud[r0:r0 + h, c0:c0 + w] += ud
        # the footprint and the stopovers lie inside the bounding box of fp > 0
        rows = np.flatnonzero(fp.any(axis=1))
        if len(rows):
            cols = np.flatnonzero(fp[rows[0]:rows[-1] + 1].any(axis=0))
            a0, a1, b0, b1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
            fpb, udb = fp[a0:a1, b0:b1], ud[a0:a1, b0:b1]
            individuals[r0 + a0:r0 + a1, c0 + b0:c0 + b1] += fpb
            inside = fpb > 0
            vals = udb[inside]
            # np.quantile(vals, 1 - stopover_fraction, method="higher"), by one partition
            k = min(int(math.ceil((1.0 - stopover_fraction) * (len(vals) - 1) - 1e-12)),
                    len(vals) - 1)
            cut = np.partition(vals, k)[k]
            stop_count[r0 + a0:r0 + a1, c0 + b0:c0 + b1] += inside & (udb >= cut)
        n_ind += 1

    def combine(res: dict[str, Any]) -> None:
        k = res["k"]
        ind = seq_ind[k]
        seq_info[k] = {key: res[key] for key in ("ok", "var", "on_bound", "n_bridges")}
        if res["ok"]:
            seq_info[k]["fp_cells"] = int(res["fp"].sum())
            seq_info[k]["raw_sum"] = res["raw_sum"]
            st = pending.setdefault(ind, {"n": 0})
            st["n"] += 1
            _combine_window(st, res["r0"], res["c0"],
                            {"ud": res["ud"], "fp": res["fp"].astype(np.float64)})
        done[ind] += 1
        if done[ind] == n_seq[ind]:
            finish(ind)
        if bar is not None:
            bar.update(1)

    reduce_tasks(_sequence_task, items, combine, scheduler=scheduler,
                 shared={"grid": spec, "time_step_min": float(time_step_min),
                         "max_lag_min": max_lag_min, "footprint": float(footprint),
                         "bounds": variance_bounds})
    if bar is not None:
        bar.close()
    if n_ind == 0:
        raise CamigeoError("no sequence produced a utilisation distribution (too few fixes, "
                           "or every step longer than max_lag_min).")
    share = individuals / n_ind
    cls = np.zeros(shape, dtype=np.uint8)
    low = individuals >= low_min_individuals - 1e-9
    cls[low] = 1
    cls[low & (share >= medium_share - 1e-12)] = 2
    cls[low & (share >= high_share - 1e-12)] = 3
    seqs = pd.DataFrame(sequences).drop(columns="geometry", errors="ignore").reset_index(drop=True)
    cell_km2 = spec.cell_area_m2 / 1e6
    seqs["motion_variance"] = [seq_info.get(k, {}).get("var", np.nan) for k in range(len(seqs))]
    seqs["variance_on_bound"] = [seq_info.get(k, {}).get("on_bound", False)
                                 for k in range(len(seqs))]
    seqs["n_bridges"] = [seq_info.get(k, {}).get("n_bridges", 0) for k in range(len(seqs))]
    seqs["footprint_km2"] = [seq_info[k]["fp_cells"] * cell_km2
                             if seq_info.get(k, {}).get("ok") else 0.0 for k in range(len(seqs))]
    seqs["ud_raw_sum"] = [seq_info[k]["raw_sum"] if seq_info.get(k, {}).get("ok") else np.nan
                          for k in range(len(seqs))]
    if seqs["variance_on_bound"].any():
        bad = list(seqs.loc[seqs["variance_on_bound"], "sequence_id"][:3])
        warnings.warn(f"{int(seqs['variance_on_bound'].sum())} sequence(s) have their motion "
                      f"variance on the search bound (e.g. {bad}); see "
                      f"result.sequences.motion_variance.", CamigeoWarning, stacklevel=2)
    params = dict(footprint=footprint, low_min_individuals=low_min_individuals,
                  medium_share=medium_share, high_share=high_share,
                  stopover_fraction=stopover_fraction,
                  stopover_min_individuals=stopover_min_individuals,
                  time_step_min=time_step_min, max_lag_min=max_lag_min,
                  cell_size_m=spec.dx, margin_m=margin_m)
    pop = pop_ud / n_ind
    logger.info("migration corridors: %d sequences, %d individuals, grid %d x %d",
                len(items), n_ind, *shape)
    return MigrationCorridors(spec.raster(individuals), spec.raster(share), spec.raster(cls),
                              spec.raster(stop_count), spec.raster(pop), seqs, n_ind, params)
