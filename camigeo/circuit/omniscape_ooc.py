"""Out-of-core Omniscape: windows read from, and current written to, tiled GeoTIFFs.

Targets are processed one block row at a time, top to bottom. For the block row at raster
row ``r`` only the input rows ``r - D .. r + D`` (``D = radius + buffer``) are read, through
rasterio windows (boundless reads pad the raster edges with NODATA). Each block row adds its
windows into a rolling accumulator; rows that no later window can reach (above
``r_next - D``) are final and are written, 256 rows at a time, into tiled, deflate-compressed
GeoTIFFs. RAM is therefore ``O((2 D + 256) x ncols)`` whatever the number of rows: a
4000 x 4000 raster with radius 50 needs a few tens of MB of arrays.

The windows are solved exactly as in the in-memory run (:func:`camigeo.circuit.omniscape.
run_chunk` on the same padded layout), so the results agree with it to rounding.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import CamigeoError
from .omniscape_core import (
    NODATA,
    Condition,
    OmniContext,
    OmniscapeResult,
    decay_weights,
    omniscape_targets,
    prepare_strip,
    run_chunks_threaded,
    split_targets,
)
from .omniscape_kernel import WindowReport, WindowTemplate

__all__ = ["omniscape_ooc"]

logger = logging.getLogger(__name__)

_FLUSH_ROWS = 256
_GDAL_CACHE_MB = 128


def _open(obj: Any, name: str):
    import rasterio

    from ..io.raster import Raster

    if isinstance(obj, Raster) or isinstance(obj, np.ndarray):
        raise CamigeoError(f"{name}: an out-of-core run (out_dir=) reads its inputs from "
                           f"files; pass a GeoTIFF path instead of an in-memory "
                           f"{type(obj).__name__} (Raster.to_file writes one).")
    p = Path(obj)
    if not p.exists():
        from .._errors import DataNotFoundError

        raise DataNotFoundError(f"{name}: raster file {p} does not exist.")
    return rasterio.open(p)


def _read_rows(ds: Any, row0: int, nrows: int, pad_cols: int) -> np.ndarray:
    """Rows ``row0 .. row0 + nrows - 1``, columns padded by ``pad_cols``; NODATA/outside NaN."""
    from rasterio.windows import Window

    win = Window(-pad_cols, row0, ds.width + 2 * pad_cols, nrows)
    arr = ds.read(1, window=win, boundless=True, masked=True, out_dtype="float64")
    return np.ma.filled(arr, np.nan)


class _Writer:
    def __init__(self, path: Path, ref: Any, dtype: str) -> None:
        import rasterio

        self.path = path
        self.tmp = path.with_name(path.name + ".part")
        profile = dict(driver="GTiff", width=ref.width, height=ref.height, count=1,
                       dtype=dtype, crs=ref.crs, transform=ref.transform, nodata=NODATA,
                       tiled=True, blockxsize=256, blockysize=256, compress="deflate",
                       BIGTIFF="IF_SAFER")
        self.ds = rasterio.open(self.tmp, "w", **profile)

    def write(self, row0: int, arr: np.ndarray) -> None:
        from rasterio.windows import Window

        self.ds.write(arr.astype(self.ds.dtypes[0]), 1,
                      window=Window(0, row0, arr.shape[1], arr.shape[0]))

    def close(self) -> Path:
        self.ds.close()
        os.replace(self.tmp, self.path)
        return self.path


def omniscape_ooc(resistance: Any, out_dir: str | os.PathLike[str], **kw: Any
                  ) -> OmniscapeResult:
    """Out-of-core run; see :func:`camigeo.circuit.omniscape` (``out_dir=``).

    GDAL's block cache is limited to 128 MB during the run (its default is 5 % of RAM), so
    the memory does not grow with the raster: every row is read once and written once.
    """
    import rasterio

    with rasterio.Env(GDAL_CACHEMAX=_GDAL_CACHE_MB):
        return _omniscape_ooc(resistance, out_dir, **kw)


def _omniscape_ooc(
    resistance: Any,
    out_dir: str | os.PathLike[str],
    *,
    radius: int,
    block_size: int,
    source_strength: Any,
    source_from_resistance: bool,
    r_cutoff: float,
    buffer: int,
    source_threshold: float,
    calc_flow_potential: bool,
    calc_normalized_current: bool,
    four_neighbors: bool,
    resistance_is_conductance: bool,
    conditions: list[Condition],
    targets: Any,
    decay_m: Any,
    mask_nodata: bool,
    compat: str = "omniscape",
    solver: str,
    fallback_solver: str | None,
    progress: bool,
    t0: float | None = None,
    threads: int = 1,
) -> OmniscapeResult:
    t0 = time.perf_counter() if t0 is None else t0
    res_ds = _open(resistance, "resistance")
    dss: list[Any] = [res_ds]
    try:
        src_ds = None if source_strength is None else _open(source_strength, "source_strength")
        tgt_ds = None if targets is None else _open(targets, "targets")
        cond_ds = []
        for k, cnd in enumerate(conditions, start=1):
            pres = _open(cnd.present, f"condition{k}")
            fut = _open(cnd.future, f"condition{k}_future") if cnd.future is not None else None
            cond_ds.append((pres, fut, cnd))
        for ds in [src_ds, tgt_ds, *[d for p_, f_, _ in cond_ds for d in (p_, f_)]]:
            if ds is not None:
                dss.append(ds)
                if ds.shape != res_ds.shape:
                    raise CamigeoError(f"{ds.name} has shape {ds.shape} but the resistance "
                                       f"raster has {res_ds.shape}; use the same grid.")
        return _run(res_ds, src_ds, tgt_ds, cond_ds, Path(out_dir), radius=radius,
                    block_size=block_size, source_from_resistance=source_from_resistance,
                    r_cutoff=r_cutoff, buffer=buffer, source_threshold=source_threshold,
                    calc_flow_potential=calc_flow_potential,
                    calc_normalized_current=calc_normalized_current,
                    four_neighbors=four_neighbors,
                    resistance_is_conductance=resistance_is_conductance, decay_m=decay_m,
                    compat=compat, mask_nodata=mask_nodata, solver=solver,
                    fallback_solver=fallback_solver,
                    progress=progress, t0=t0, threads=threads)
    finally:
        for ds in dss:
            ds.close()


def _run(res_ds, src_ds, tgt_ds, cond_ds, out_dir: Path, *, radius, block_size,
         source_from_resistance, r_cutoff, buffer, source_threshold, calc_flow_potential,
         calc_normalized_current, four_neighbors, resistance_is_conductance, decay_m,
         compat, mask_nodata, solver, fallback_solver, progress, t0,
         threads) -> OmniscapeResult:
    nr, nc = res_ds.height, res_ds.width
    template = WindowTemplate(radius, buffer, four_neighbors=four_neighbors)
    D, W, b = template.D, template.W, block_size
    br = b // 2
    cellsize = abs(res_ds.transform.a)
    if decay_m is not None and res_ds.crs is not None and res_ds.crs.is_geographic:
        raise CamigeoError("decay_m: the resistance raster is in geographic degrees; "
                           "project it first.")
    decay_w = decay_weights(template, decay_m, cellsize, None)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = ["cum_currmap"]
    if calc_flow_potential:
        names.append("flow_potential")
    if calc_normalized_current:
        names.append("normalized_cum_currmap")
    writers = {n: _Writer(out_dir / f"{n}.tif", res_ds, "float64") for n in names}
    ncp = nc + 2 * D

    def strengths(row0: int, nrows: int, pad: int) -> tuple[np.ndarray, np.ndarray]:
        res = _read_rows(res_ds, row0, nrows, pad)
        src = _read_rows(src_ds, row0, nrows, pad) if src_ds is not None else None
        return prepare_strip(res, src, source_from_resistance=source_from_resistance,
                             r_cutoff=r_cutoff,
                             resistance_is_conductance=resistance_is_conductance,
                             source_threshold=source_threshold)

    def row_targets(r: int) -> np.ndarray:
        if tgt_ds is not None:
            tl = np.nan_to_num(_read_rows(tgt_ds, r - br, b, 0), nan=0.0)
            ts = np.where(tl > source_threshold, tl, 0.0)
        else:
            ts = strengths(r - br, b, 0)[1]
        return omniscape_targets(ts, b, row_range=(r, r + 1),
                                 whole_blocks=compat == "omniscape")

    rows = [r for r in range(br, nr, b) if compat != "omniscape" or r + br < nr]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        total = sum(len(row_targets(r)) for r in rows)
        bar = tqdm(total=total, unit="window", desc="omniscape (out-of-core)")
    buf0 = 0  # padded row of buf[0]
    cum = np.zeros((W + _FLUSH_ROWS, ncp))
    fp = np.zeros_like(cum) if calc_flow_potential else None
    reports: list[WindowReport] = []
    n_win = solved = 0
    written = 0  # raster rows already written

    def flush(upto: int) -> None:
        """Write raster rows written .. upto-1 (padded rows + D)."""
        nonlocal written, buf0, cum, fp
        if upto <= written:
            return
        a, z = written + D - buf0, upto + D - buf0
        c_ = cum[a:z, D:D + nc]
        f_ = fp[a:z, D:D + nc] if fp is not None else None
        res = _read_rows(res_ds, written, upto - written, 0)
        mask = np.isnan(res) if mask_nodata else np.zeros(res.shape, dtype=bool)
        writers["cum_currmap"].write(written, np.where(mask, NODATA, c_))
        if f_ is not None and "flow_potential" in writers:
            writers["flow_potential"].write(written, np.where(mask, NODATA, f_))
        if f_ is not None and "normalized_cum_currmap" in writers:
            with np.errstate(divide="ignore", invalid="ignore"):
                nrm = np.where(f_ > 0, c_ / np.where(f_ > 0, f_, 1.0), 0.0)
            writers["normalized_cum_currmap"].write(written, np.where(mask, NODATA, nrm))
        # drop the written rows from the rolling buffer
        keep = cum[z:]
        cum = np.zeros_like(cum)
        cum[:keep.shape[0]] = keep
        if fp is not None:
            keepf = fp[z:]
            fp = np.zeros_like(fp)
            fp[:keepf.shape[0]] = keepf
        buf0 += z
        written = upto

    try:
        for k, r in enumerate(rows):
            tg = row_targets(r)
            n_win += len(tg)
            if len(tg):
                g, s = strengths(r - D, W, D)
                inside = None
                if calc_flow_potential:
                    inside = np.zeros((W, ncp))
                    lo, hi = max(0, D - r), min(W, nr - r + D)
                    inside[lo:hi, D:D + nc] = 1.0
                ctx = OmniContext(g=g, s=s, row0=r, radius=radius, buffer=buffer,
                                  four_neighbors=four_neighbors, solver=solver,
                                  fallback=fallback_solver, flow_potential=calc_flow_potential,
                                  inside=inside, decay_w=decay_w, block_size=b,
                                  compat=compat)
                for pres, fut, cnd in cond_ds:
                    pv = _read_rows(pres, r - D, W, D)
                    ctx.cond_present.append(pv)
                    ctx.cond_target.append(_read_rows(fut, r - D, W, D) if fut is not None
                                           else pv)
                    ctx.cond_rules.append((cnd.comparison, float(cnd.lower), float(cnd.upper)))
                # the block row's windows, split over the threads, summed in order
                for rmin, c_, f_, rep, ok in run_chunks_threaded(
                        split_targets(tg, threads), ctx, threads):
                    a = rmin - buf0
                    if a + c_.shape[0] > cum.shape[0]:  # grow (only if flush fell behind)
                        extra = a + c_.shape[0] - cum.shape[0]
                        cum = np.vstack([cum, np.zeros((extra, ncp))])
                        if fp is not None:
                            fp = np.vstack([fp, np.zeros((extra, ncp))])
                    cum[a:a + c_.shape[0]] += c_
                    if fp is not None and f_ is not None:
                        fp[a:a + f_.shape[0]] += f_
                    reports.extend(rep)
                    solved += ok
                if bar is not None:
                    bar.update(len(tg))
            nxt = rows[k + 1] if k + 1 < len(rows) else None
            final = nr if nxt is None else max(0, nxt - D)  # raster rows < final are done
            if final - written >= _FLUSH_ROWS or nxt is None:
                flush(min(final, nr))
        flush(nr)
        paths = {n: w.close() for n, w in writers.items()}
    except BaseException:
        for w in writers.values():
            try:
                w.ds.close()
                w.tmp.unlink(missing_ok=True)
            except Exception:  # pragma: no cover - cleanup only
                pass
        raise
    finally:
        if bar is not None:
            bar.close()
    out = OmniscapeResult(n_windows=n_win, n_solved=solved, reports=reports, paths=paths)
    out.seconds = time.perf_counter() - t0
    return out
