"""Omnidirectional (coreless) connectivity: an Omniscape-compatible moving window.

McRae et al. 2016; Omniscape.jl (Landau et al. 2021, JOSS 6(57):2829, MIT). Every target
pixel (or the centre of every ``block_size`` x ``block_size`` block) is grounded in turn; the
other source pixels inside a disc of ``radius`` pixels inject, together, the target's source
strength, shared in proportion to their strengths; the window's Circuitscape current map is
added to the cumulative map. See ``docs/omniscape.md``.

Beyond Omniscape.jl (all optional): a separate target layer (``targets=``), distance-decay
source strengths (``decay_m=``), a fallback solver for windows whose solve fails
(``fallback_solver=``, reported in :attr:`OmniscapeResult.reports`, never aborting the run),
out-of-core runs on GeoTIFFs (``out_dir=``, :mod:`camigeo.circuit.omniscape_ooc`) and Dask
(``scheduler=``), with results identical to the single-machine run.

Examples
--------
>>> import numpy as np
>>> from camigeo import Raster
>>> from camigeo.circuit import omniscape
>>> res = Raster.from_array(np.ones((1, 3)))
>>> src = Raster.from_array(np.array([[1.0, 0.0, 1.0]]))
>>> out = omniscape(res, radius=2, source_strength=src, connect_four_neighbors_only=True,
...                 compat="plain")
>>> out.cumulative.array.round(6).tolist()
[[2.0, 2.0, 2.0]]
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._errors import CamigeoError
from ..io.guards import check_alloc, check_bool, check_number
from ..io.raster import Raster, as_raster
from .omniscape_core import (
    NODATA,
    Condition,
    Decay,
    OmniContext,
    OmniscapeResult,
    RasterLike,
    accumulate_window,
    as_array,
    block_correction,
    check_conditions,
    check_int,
    decay_weights,
    default_threads,
    omniscape_targets,
    pad_array,
    prepare_strip,
    run_chunk,
)
from .omniscape_kernel import WindowTemplate

__all__ = ["NODATA", "Condition", "OmniscapeResult", "omniscape", "omniscape_targets",
           "prepare_strip", "run_chunk", "OmniContext", "block_correction",
           "decay_weights"]

logger = logging.getLogger(__name__)


def omniscape(
    resistance: RasterLike,
    *,
    radius: int,
    block_size: int = 1,
    source_strength: RasterLike | np.ndarray | None = None,
    source_from_resistance: bool | None = None,
    r_cutoff: float = float("inf"),
    buffer: int = 0,
    source_threshold: float = 0.0,
    calc_flow_potential: bool = False,
    calc_normalized_current: bool = False,
    connect_four_neighbors_only: bool = False,
    resistance_is_conductance: bool = False,
    conditions: Sequence[Condition] | None = None,
    targets: RasterLike | np.ndarray | None = None,
    decay_m: Decay = None,
    compat: str = "omniscape",
    mask_nodata: bool = True,
    solver: str = "auto",
    fallback_solver: str | None = "splu",
    progress: bool = False,
    scheduler: Any = None,
    out_dir: str | os.PathLike[str] | None = None,
    rows_per_chunk: int = 1,
    threads: int | None = None,
) -> OmniscapeResult:
    """Omnidirectional connectivity with Omniscape's moving window.

    Parameters
    ----------
    resistance : Raster or path
        Resistance per cell (ohm; NODATA = impassable, not a node).
    radius : int
        Window radius in pixels (sources farther from the target are ignored).
    block_size : int, default 1
        Odd block side; only block centres are targets, carrying the block's summed
        strength.
    source_strength : Raster, path or array, optional
        Source strength per cell (any unit; NODATA = 0).
    source_from_resistance : bool, optional
        Sources ``1/R`` (0 where ``R > r_cutoff``). Default: True when no
        ``source_strength`` is given.
    r_cutoff : float, default inf
        Maximum resistance of a source pixel (``source_from_resistance``).
    buffer : int, default 0
        Extra ring of resistance (pixels) around the window; it carries current but holds
        no sources.
    source_threshold : float, default 0
        Only strengths above this count.
    calc_flow_potential, calc_normalized_current : bool, default False
        Also compute the flow potential (same sources and ground, resistance 1 on every
        window cell inside the raster -- the disc with ``compat="plain"``, Omniscape.jl's
        whole clipped square with ``compat="omniscape"``) and the normalized current
        (``cumulative / flow_potential``).
    connect_four_neighbors_only : bool, default False
    resistance_is_conductance : bool, default False
    conditions : sequence of Condition, optional
        Conditional connectivity (1 or 2 layers).
    targets : Raster, path or array, optional
        *Beyond Omniscape*: a separate target-strength layer. Targets (and their amperes)
        come from it with the same block rule and threshold; the sources from
        ``source_strength``/``source_from_resistance``.
    decay_m : float or callable, optional
        *Beyond Omniscape*: distance decay of the source strengths. A float is the
        e-folding distance in metres (weight ``exp(-d/decay_m)``, ``d`` = distance of the
        source pixel centre from the target pixel centre in metres); a callable gets the
        distances (metres) and returns weights. The total injected current is still the
        target's strength.
    compat : {"omniscape", "plain"}, default "omniscape"
        ``"plain"``: the textbook rule -- every block centre whose block holds a source is
        a target, and every pixel outside the target's block is a source.
        ``"omniscape"`` (default) reproduces Omniscape.jl's outputs: (1) the block without
        sources is the one ``radius`` pixels right of / below the corner of the clipped
        window -- the target's own block in the interior, another block for windows
        clipped by the top or left raster edge, where the target's own share is then lost
        at the ground; (2) with ``block_size > 1`` only blocks lying wholly inside the
        raster give targets, and each window's current is multiplied by Omniscape's
        block-artifact correction (the summed current of the ``b x b`` single-pixel
        targets divided by that of one block target, both on a uniform disc); (3) the flow
        potential is solved on the whole clipped square. Both shared Omniscape.jl test
        cases match at rtol 1e-6 with it.
    mask_nodata : bool, default True
        Outputs are NODATA (-9999) where the resistance is NODATA.
    solver : {"auto", "multifrontal", "cholmod", "splu", "cg+amg"}
        First solver per window. ``auto`` = ``multifrontal``: camigeo's batched
        multifrontal Cholesky, which factorises 8 windows at once with the symbolic work
        of the window disc done once (no CHOLMOD needed); the others factorise each window
        alone (``cholmod`` reuses its symbolic analysis).
    fallback_solver : {"splu", "cg+amg", "cholmod", None}, default "splu"
        *Beyond Omniscape*: a window whose solve fails or is ill-conditioned is solved
        again with this solver and reported; None skips (and reports) it. The run never
        aborts because of one window.
    progress : bool, default False
        tqdm progress bar (windows done / total, ETA).
    scheduler : None, str or distributed.Client
        Run chunks of windows as Dask tasks (see :mod:`camigeo.scale`); the result is
        identical to ``scheduler=None``.
    out_dir : path, optional
        *Beyond Omniscape*: out-of-core run. Inputs must be files; they are read in row
        strips and the outputs are written as tiled GeoTIFFs in ``out_dir``
        (``cum_currmap.tif``, ``flow_potential.tif``, ``normalized_cum_currmap.tif``), so
        RAM stays bounded whatever the raster size. The result holds ``paths`` and no
        arrays.
    rows_per_chunk : int, default 1
        Target rows per task.
    threads : int, optional
        Threads solving windows on this machine when ``scheduler`` is None (default: every
        CPU this process may use). The numerical kernels release the GIL, so threads scale
        without copying the rasters; chunks are summed in a fixed order, so the result does
        not depend on the number of threads.

    Returns
    -------
    OmniscapeResult
    """
    t0 = time.perf_counter()
    radius = check_int("radius", radius, minimum=1)
    block_size = check_int("block_size", block_size, minimum=1, odd=True)
    buffer = check_int("buffer", buffer, minimum=0)
    rows_per_chunk = check_int("rows_per_chunk", rows_per_chunk, minimum=1)
    threads = default_threads() if threads is None else check_int("threads", threads,
                                                                   minimum=1)
    side = 2 * (radius + buffer) + 1
    # window arrays, plus per thread the factors of a batch of 8 windows: about
    # 4 n log2(n) entries per window (n = disc cells; measured 3.6-4.3 for radii 50-150)
    n_disc = max(math.pi * (radius + buffer) ** 2, 2.0)
    check_alloc(48.0 * side * side + threads * 8 * 8 * 4.0 * n_disc * math.log2(n_disc),
                what=f"omniscape(radius={radius}, buffer={buffer}, threads={threads}): "
                f"moving windows of {side:,} x {side:,} cells", fix="Use a smaller radius "
                "(in cells), a coarser resistance raster or fewer threads.")
    if not (isinstance(r_cutoff, int | float | np.number) and r_cutoff == float("inf")):
        check_number(r_cutoff, name="r_cutoff", minimum=0.0,
                     fix="Sources are 1/R where R <= r_cutoff; use inf for no cut-off.")
    check_number(source_threshold, name="source_threshold", minimum=0.0,
                 fix="Only source strengths above it count; use 0 to keep every source.")
    for flag, val in (("calc_flow_potential", calc_flow_potential),
                      ("calc_normalized_current", calc_normalized_current),
                      ("connect_four_neighbors_only", connect_four_neighbors_only),
                      ("resistance_is_conductance", resistance_is_conductance),
                      ("mask_nodata", mask_nodata), ("progress", progress)):
        check_bool(val, name=flag)
    if source_from_resistance is not None:
        check_bool(source_from_resistance, name="source_from_resistance")
    conds = check_conditions(conditions)
    if compat not in ("omniscape", "plain"):
        raise CamigeoError(f"compat={compat!r}: expected 'omniscape' or 'plain'.")
    if source_from_resistance is None:
        source_from_resistance = source_strength is None
    if source_from_resistance and source_strength is not None:
        raise CamigeoError("omniscape: give either source_strength= or "
                           "source_from_resistance=True, not both.")
    if calc_normalized_current:
        calc_flow_potential = True
    if out_dir is not None:
        from .omniscape_ooc import omniscape_ooc

        return omniscape_ooc(
            resistance, out_dir, radius=radius, block_size=block_size,
            source_strength=source_strength, source_from_resistance=source_from_resistance,
            r_cutoff=r_cutoff, buffer=buffer, source_threshold=source_threshold,
            calc_flow_potential=calc_flow_potential,
            calc_normalized_current=calc_normalized_current,
            four_neighbors=connect_four_neighbors_only,
            resistance_is_conductance=resistance_is_conductance, conditions=conds,
            targets=targets, decay_m=decay_m, compat=compat, mask_nodata=mask_nodata,
            solver=solver,
            fallback_solver=fallback_solver, progress=progress, t0=t0, threads=threads)
    ref = as_raster(resistance, name="resistance")
    res = ref.masked_float()
    if not np.isfinite(res).any():
        raise CamigeoError(f"resistance: every one of the {res.size} cells is NODATA or NaN; "
                           f"there is nothing to connect. Check the raster's nodata value and "
                           f"the clip that produced it.")
    src = None if source_strength is None else as_array(source_strength, ref, "source_strength")
    g, s = prepare_strip(res, src, source_from_resistance=bool(source_from_resistance),
                         r_cutoff=float(r_cutoff),
                         resistance_is_conductance=resistance_is_conductance,
                         source_threshold=float(source_threshold))
    if targets is not None:
        tl = np.nan_to_num(as_array(targets, ref, "targets"), nan=0.0)
        if np.any(tl < 0):
            raise CamigeoError("targets: target strengths must be >= 0.")
        tstrength = np.where(tl > source_threshold, tl, 0.0)
    else:
        tstrength = s
    tg = omniscape_targets(tstrength, block_size, whole_blocks=compat == "omniscape")
    template = WindowTemplate(radius, buffer, four_neighbors=connect_four_neighbors_only)
    D = template.D
    ctx = OmniContext(
        g=pad_array(g, D, 0.0), s=pad_array(s, D, 0.0), row0=0, radius=radius, buffer=buffer,
        four_neighbors=connect_four_neighbors_only, solver=solver, fallback=fallback_solver,
        flow_potential=calc_flow_potential,
        inside=pad_array(np.ones(res.shape), D, 0.0) if calc_flow_potential else None,
        decay_w=decay_weights(template, decay_m, ref.cellsize, ref),
        block_size=block_size, compat=compat)
    for k, cnd in enumerate(conds, start=1):
        pres = as_array(cnd.present, ref, f"condition{k}")
        fut = as_array(cnd.future, ref, f"condition{k}_future") if cnd.future is not None \
            else pres
        ctx.cond_present.append(pad_array(pres, D, np.nan))
        ctx.cond_target.append(pad_array(fut, D, np.nan))
        ctx.cond_rules.append((cnd.comparison, float(cnd.lower), float(cnd.upper)))
    cum, fp, reports, solved = accumulate_window(tg, ctx, res.shape, D, rows_per_chunk,
                                                 scheduler, progress, threads=threads)
    out = OmniscapeResult(n_windows=len(tg), n_solved=solved, reports=reports)
    nodata_mask = np.isnan(res) if mask_nodata else np.zeros(res.shape, dtype=bool)

    def wrap(a: np.ndarray) -> Raster:
        return ref.with_array(np.where(nodata_mask, NODATA, a), nodata=NODATA)

    out.cumulative = wrap(cum)
    if fp is not None and calc_flow_potential:
        out.flow_potential = wrap(fp)
    if fp is not None and calc_normalized_current:
        with np.errstate(divide="ignore", invalid="ignore"):
            norm = np.where(fp > 0, cum / np.where(fp > 0, fp, 1.0), 0.0)
        out.normalized = wrap(norm)
    if reports:
        logger.warning("omniscape: %d window(s) needed the fallback solver or were skipped "
                       "(see result.reports)", len(reports))
    out.seconds = time.perf_counter() - t0
    return out


