"""Shared kernels of the Omniscape moving window (in-memory and out-of-core runs).

Targets, source strips, the per-chunk window solves, block correction and accumulation used
by :func:`camigeo.circuit.omniscape` and :mod:`camigeo.circuit.omniscape_ooc`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import CamigeoError
from ..io.raster import Raster, as_raster
from .omniscape_kernel import BATCH, WindowReport, WindowSolver, WindowTemplate

__all__ = ["NODATA", "Decay", "RasterLike", "Condition", "OmniscapeResult",
           "omniscape_targets", "prepare_strip",
           "run_chunk", "OmniContext", "block_correction", "decay_weights", "as_array",
           "check_int", "pad_array", "accumulate_window", "check_conditions", "chunk_list",
           "chunk_task", "default_threads", "run_chunks_threaded", "split_targets",
           "ChunkResult"]

logger = logging.getLogger(__name__)

NODATA = -9999.0
RasterLike = Raster | str | os.PathLike[str]
Decay = float | Callable[[np.ndarray], np.ndarray] | None


@dataclass
class Condition:
    """One conditional-connectivity layer (Omniscape ``conditionN_*`` options).

    A source pixel is kept for a target only when its *present* value ``s`` matches the
    target's value ``t`` (the target's *future* value when ``future`` is given):
    ``within``: ``t + lower <= s <= t + upper``; ``equal``: ``s == t``. NODATA never
    matches.

    Parameters
    ----------
    present : Raster or path
    comparison : {"within", "equal"}
    lower, upper : float
        Bounds of ``within`` (same units as the layer).
    future : Raster or path, optional
        Future values of the targets (``compare_to_future``).
    """

    present: Any
    comparison: str = "within"
    lower: float = 0.0
    upper: float = 0.0
    future: Any = None


@dataclass
class OmniscapeResult:
    """Outputs of :func:`omniscape` (amperes; NODATA -9999 where masked).

    Attributes
    ----------
    cumulative : Raster or None
        Cumulative current (``cum_currmap``).
    flow_potential : Raster or None
        Cumulative current of the same run on a landscape of resistance 1.
    normalized : Raster or None
        ``cumulative / flow_potential`` (0 where the flow potential is 0).
    n_windows : int
        Targets (windows) in the run.
    n_solved : int
        Windows that carried current (the others had no source, or a ground on NODATA).
    reports : list of WindowReport
        Windows whose first solve failed or was ill-conditioned, and what happened.
    seconds : float
        Wall time.
    paths : dict
        Files written by an out-of-core run (``out_dir=``), by output name.
    """

    cumulative: Raster | None = None
    flow_potential: Raster | None = None
    normalized: Raster | None = None
    n_windows: int = 0
    n_solved: int = 0
    reports: list[WindowReport] = field(default_factory=list)
    seconds: float = 0.0
    paths: dict[str, Path] = field(default_factory=dict)


@dataclass
class OmniContext:
    """Arrays of a (padded) strip of rows plus the run options, shipped to every chunk.

    Padded coordinates: raster row ``r`` is padded row ``r + D``; the strip holds padded rows
    ``row0 .. row0 + h - 1`` of width ``ncols + 2 D``.
    """

    g: np.ndarray
    s: np.ndarray
    row0: int
    radius: int
    buffer: int
    four_neighbors: bool
    solver: str
    fallback: str | None
    flow_potential: bool
    inside: np.ndarray | None = None
    cond_present: list[np.ndarray] = field(default_factory=list)
    cond_target: list[np.ndarray] = field(default_factory=list)
    cond_rules: list[tuple[str, float, float]] = field(default_factory=list)
    decay_w: np.ndarray | None = None
    block_size: int = 1
    compat: str = "omniscape"


# ----------------------------------------------------------------------------- inputs
def as_array(obj: RasterLike | np.ndarray, ref: Raster | None, name: str) -> np.ndarray:
    """Input layer as a float64 array on the resistance grid (Raster or array)."""
    if isinstance(obj, np.ndarray):
        arr = np.asarray(obj, dtype=np.float64)
    else:
        arr = as_raster(obj, name=name).masked_float()
    if ref is not None and arr.shape != ref.shape:
        raise CamigeoError(f"{name} has shape {arr.shape} but the resistance raster has "
                           f"{ref.shape}; give every layer on the same grid (resample "
                           f"first).")
    return arr


def prepare_strip(res: np.ndarray, src: np.ndarray | None, *, source_from_resistance: bool,
                  r_cutoff: float, resistance_is_conductance: bool,
                  source_threshold: float, name: str = "resistance"
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Conductances and thresholded source strengths of a block of rows.

    Parameters
    ----------
    res : numpy.ndarray
        Resistance (or conductance) values, NaN = NODATA.
    src : numpy.ndarray or None
        Source strengths (NaN = 0); None with ``source_from_resistance``.
    source_from_resistance : bool
        Sources ``1/R`` (0 where ``R > r_cutoff`` or NODATA).
    r_cutoff : float
    resistance_is_conductance : bool
    source_threshold : float
        Strengths ``<= source_threshold`` become 0 (only strengths above it count).

    Returns
    -------
    (g, s)
    """
    valid = ~np.isnan(res)
    v = res[valid]
    if v.size and np.any(v < 0):
        raise CamigeoError(f"{name}: {int((v < 0).sum())} cell(s) are negative (min "
                           f"{v.min():g}); resistances must be > 0. Set barriers to NODATA.")
    if resistance_is_conductance:
        g = np.where(valid, res, 0.0)
        R = np.full(res.shape, np.inf)
        with np.errstate(divide="ignore"):
            R[valid] = 1.0 / v
    else:
        if v.size and np.any(v == 0):
            raise CamigeoError(f"{name}: {int((v == 0).sum())} cell(s) have a resistance "
                               f"of 0; Omniscape needs R > 0 (use a small positive value).")
        R = np.where(valid, res, np.inf)
        with np.errstate(divide="ignore"):
            g = np.where(valid, 1.0 / np.where(valid, res, 1.0), 0.0)
    if source_from_resistance:
        with np.errstate(divide="ignore"):
            s = np.where(valid & (R <= r_cutoff), 1.0 / R, 0.0)
    else:
        if src is None:
            raise CamigeoError("omniscape: give source_strength= or set "
                               "source_from_resistance=True.")
        s = np.nan_to_num(np.asarray(src, dtype=np.float64), nan=0.0)
        if np.any(s < 0):
            raise CamigeoError(f"source_strength: {int((s < 0).sum())} cell(s) are negative;"
                               f" source strengths must be >= 0.")
    s = np.where(s > source_threshold, s, 0.0)
    return g, s


def omniscape_targets(strength: np.ndarray, block_size: int, *, row_range: tuple[int, int]
                      | None = None, whole_blocks: bool = False,
                      ncols: int | None = None) -> np.ndarray:
    """Targets: centres of ``block_size`` blocks and their summed strength (Omniscape rule).

    Block centres are at rows/columns ``b//2, b//2 + b, ...`` (0-based); the strength of a
    centre is the sum over its block (clipped at the raster edge); centres with a sum of 0
    are not targets.

    Parameters
    ----------
    strength : numpy.ndarray
        Thresholded strengths (0 = none) of the whole raster, or of a strip whose first
        row is raster row ``row_range[0] - b//2``.
    block_size : int
        Odd block side.
    row_range : (start, stop), optional
        Only centres with ``start <= row < stop`` (raster rows); ``strength`` then starts at
        raster row ``start - b//2``.
    whole_blocks : bool, default False
        Only blocks lying wholly inside the raster give targets (Omniscape.jl). With
        ``row_range`` the caller filters the last rows.

    Returns
    -------
    numpy.ndarray
        ``(k, 3)`` rows of ``row, col, amps`` (row/col 0-based raster indices).
    """
    b = int(block_size)
    br = b // 2
    nr_s, nc = strength.shape
    if row_range is None:
        first, stop, off = 0, nr_s, 0
        nrows = nr_s
    else:
        first, stop = row_range
        off = first - br
        nrows = None
    out = []
    r = br
    while True:
        if nrows is not None and r >= nrows:
            break
        if nrows is None and r >= stop:
            break
        if r >= first:
            lo = r - br - off
            hi = r + br + 1 - off
            band = strength[max(lo, 0):min(hi, nr_s)]
            if band.size:
                cols = np.arange(br, nc, b)
                sums = np.add.reduceat(band.sum(axis=0), np.arange(0, nc, b))[:cols.size]
                keep = sums > 0
                if whole_blocks:
                    keep &= cols + br < nc
                    if nrows is not None:
                        keep &= r + br < nrows
                for c, a in zip(cols[keep], sums[keep], strict=True):
                    out.append((r, int(c), float(a)))
        r += b
    return np.array(out, dtype=np.float64).reshape(-1, 3)


# ----------------------------------------------------------------------------- chunks
_LOCAL = threading.local()  # one solver per thread: a CHOLMOD factor is not thread-safe


def _solver_for(ctx: OmniContext, *, square: bool = False) -> WindowSolver:
    """Per-thread solver of the window disc, or (``square``) of a disc holding the square."""
    D = ctx.radius + ctx.buffer
    buffer = int(np.ceil(D * np.sqrt(2.0))) - ctx.radius if square else ctx.buffer
    key = (ctx.radius, buffer, ctx.four_neighbors, ctx.solver, ctx.fallback)
    if not hasattr(_LOCAL, "solvers"):
        _LOCAL.solvers = {}
    _SOLVERS: dict[tuple[Any, ...], WindowSolver] = _LOCAL.solvers
    ws = _SOLVERS.get(key)
    if ws is None:
        if len(_SOLVERS) > 4:
            _SOLVERS.clear()
        ws = WindowSolver(WindowTemplate(ctx.radius, buffer,
                                         four_neighbors=ctx.four_neighbors),
                          solver=ctx.solver, fallback=ctx.fallback)
        _SOLVERS[key] = ws
    return ws


def _square_layout(t: WindowTemplate, tsq: WindowTemplate, ncp: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells of ``tsq`` inside the (2D+1)^2 square of ``t``: mask, padded offsets, t index."""
    D, Q = t.D, tsq.D
    dr, dc = tsq.rows - Q, tsq.cols - Q
    insq = (np.abs(dr) <= D) & (np.abs(dc) <= D)
    off = np.where(insq, (dr + D) * ncp + (dc + D), 0)
    to_t = np.full(tsq.n, -1, dtype=np.int64)
    to_t[insq] = t.lid[dr[insq] + D, dc[insq] + D]
    return insq, off, to_t


_CORRECTIONS: dict[tuple[Any, ...], np.ndarray] = {}


def block_correction(ws: WindowSolver, block_size: int) -> np.ndarray | None:
    """Omniscape.jl's block-artifact correction per template cell (None for block 1).

    On a uniform disc, ``b x b`` single-pixel targets (each 1 A, sources = every other
    pixel within the radius) are summed, each shifted to its place in the block, and
    divided by the current of one block target (``b*b`` A, sources outside the block).
    """
    if block_size == 1:
        return None
    t = ws.t
    key = (t.radius, t.buffer, t.four_neighbors, block_size)
    if key in _CORRECTIONS:
        return _CORRECTIONS[key]
    br, W, D = block_size // 2, t.W, t.D
    ones = np.ones(t.n)

    def null(half: int, amps: float) -> np.ndarray:
        sc = t.in_source.astype(np.float64)
        sc[(np.abs(t.rows - D) <= half) & (np.abs(t.cols - D) <= half)] = 0.0
        cur = ws.solve(ones, sc * (amps / sc.sum()))
        out = np.zeros(W * W)
        if cur is not None:
            out[t.cells] = cur
        return out.reshape(W, W)

    single, block = null(0, 1.0), null(br, float(block_size * block_size))
    total = np.zeros((W, W))
    for di in range(-br, br + 1):
        for dj in range(-br, br + 1):
            total[max(0, di):W - max(0, -di), max(0, dj):W - max(0, -dj)] += \
                single[max(0, -di):W - max(0, di), max(0, -dj):W - max(0, dj)]
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.where(block > 0, total / np.where(block > 0, block, 1.0), 0.0)
    out = corr.ravel()[t.cells]
    _CORRECTIONS[key] = out
    return out


def run_chunk(targets: np.ndarray, ctx: OmniContext
              ) -> tuple[int, np.ndarray, np.ndarray | None, list[WindowReport], int]:
    """Solve the windows of a group of targets; pure function (a Dask task).

    Parameters
    ----------
    targets : numpy.ndarray
        ``(k, 3)`` row, col, amps (raster indices), rows inside the context's strip.
    ctx : OmniContext

    Returns
    -------
    (row0, current, flow_potential, reports, n_solved)
        Partial sums over padded rows ``row0 .. row0 + h - 1`` (full padded width).
    """
    ws = _solver_for(ctx)
    t = ws.t
    ncp = ctx.g.shape[1]
    off = t.rows * ncp + t.cols
    rmin = int(targets[:, 0].min()) if len(targets) else ctx.row0
    rmax = int(targets[:, 0].max()) if len(targets) else ctx.row0
    h = rmax - rmin + t.W
    cur = np.zeros(h * ncp)
    fp = np.zeros(h * ncp) if ctx.flow_potential else None
    gflat = ctx.g.ravel()
    sflat = ctx.s.ravel()
    inflat = ctx.inside.ravel() if ctx.inside is not None else None
    corr = block_correction(ws, ctx.block_size) if ctx.compat == "omniscape" else None
    # Omniscape.jl's flow potential: resistance 1 on the whole clipped square (NODATA cells
    # included), the same sources and correction (1 outside the disc)
    sq_mode = ctx.flow_potential and ctx.compat == "omniscape"
    if sq_mode:
        wsq = _solver_for(ctx, square=True)
        insq, off_sq, to_t = _square_layout(t, wsq.t, ncp)
        has_t = to_t >= 0
        corr_sq = np.ones(wsq.t.n)
        if corr is not None:
            corr_sq[has_t] = corr[to_t[has_t]]
    n_rep0 = len(ws.reports)
    n_rep_sq = len(wsq.reports) if sq_mode else 0
    solved = 0
    br = ctx.block_size // 2
    # windows are solved in batches of BATCH (one multifrontal factorisation per batch)
    pend_g = np.zeros((BATCH, t.n))
    pend_s = np.zeros((BATCH, t.n))
    pend_where: list[tuple[int, int]] = []
    pend_loc: list[np.ndarray] = []

    def flush() -> int:
        k = len(pend_where)
        if k == 0:
            return 0
        n_ok = 0
        for node_cur, loc in zip(ws.solve_many(pend_g[:k], pend_s[:k], pend_where),
                                 pend_loc, strict=True):
            if node_cur is not None:
                cur[loc] += node_cur if corr is None else node_cur * corr
                n_ok += 1
        pend_where.clear()
        pend_loc.clear()
        return n_ok

    for r, c, amps in targets:
        r, c = int(r), int(c)
        pr = r - ctx.row0  # padded row of the window's top = raster row r - D + D
        base = pr * ncp + c
        s_cells = sflat[base + off] * t.in_source
        if ctx.cond_rules:
            ok = np.ones(t.n, dtype=bool)
            for pres, targ, (rule, lo, hi) in zip(ctx.cond_present, ctx.cond_target,
                                                  ctx.cond_rules, strict=True):
                tv = targ.ravel()[base + t.D * ncp + t.D]
                sv = pres.ravel()[base + off]
                with np.errstate(invalid="ignore"):
                    ok &= (sv == tv) if rule == "equal" else ((sv >= tv + lo) & (sv <= tv + hi))
            s_cells = s_cells * ok
        if ctx.decay_w is not None:
            s_cells = s_cells * ctx.decay_w
        # The target's block holds no source. Omniscape.jl zeroes the block centred
        # ``radius`` pixels right/below the clipped window's corner: the target itself in
        # the interior, another block for windows clipped at the top or left raster edge
        # (there the target's own strength is counted and lost at the ground).
        zr, zc = (max(r - ctx.radius, 0) + ctx.radius, max(c - ctx.radius, 0) + ctx.radius) \
            if ctx.compat == "omniscape" else (r, c)
        s_cells[(np.abs(t.rows - t.D + r - zr) <= br) & (np.abs(t.cols - t.D + c - zc) <= br)] = 0.0
        tot = float(s_cells.sum())
        if tot <= 0:
            continue
        inj = s_cells * (amps / tot)
        where = (r, c)
        loc = (r - rmin) * ncp + c + off
        k = len(pend_where)
        pend_g[k] = gflat[base + off]
        pend_s[k] = inj
        pend_where.append(where)
        pend_loc.append(loc)
        if len(pend_where) == BATCH:
            solved += flush()
        if fp is not None and inflat is not None and sq_mode:
            g_sq = np.zeros(wsq.t.n)
            g_sq[insq] = inflat[base + off_sq[insq]]
            inj_sq = np.zeros(wsq.t.n)
            inj_sq[has_t] = inj[to_t[has_t]]
            fcur = wsq.solve(g_sq, inj_sq, where=where, uniform=True)
            if fcur is not None:
                fp[(r - rmin) * ncp + c + off_sq[insq]] += (fcur * corr_sq)[insq]
        elif fp is not None and inflat is not None:
            fcur = ws.solve(inflat[base + off], inj, where=where, uniform=True)
            if fcur is not None:
                fp[loc] += fcur if corr is None else fcur * corr
    solved += flush()
    reports = ws.reports[n_rep0:]
    del ws.reports[n_rep0:]
    if sq_mode:
        reports += wsq.reports[n_rep_sq:]
        del wsq.reports[n_rep_sq:]
    return (rmin, cur.reshape(h, ncp), fp.reshape(h, ncp) if fp is not None else None,
            reports, solved)


def chunk_list(targets: np.ndarray, rows_per_chunk: int) -> list[np.ndarray]:
    """Split the targets into chunks of ``rows_per_chunk`` raster rows."""
    if len(targets) == 0:
        return []
    rows = np.unique(targets[:, 0])
    out = []
    for k in range(0, rows.size, rows_per_chunk):
        sel = np.isin(targets[:, 0], rows[k:k + rows_per_chunk])
        out.append(targets[sel])
    return out


def chunk_task(item: np.ndarray, *, ctx: OmniContext):
    """Solve one chunk of targets (a task of the scale seam)."""
    return run_chunk(item, ctx)


# ----------------------------------------------------------------------------- helpers
def decay_weights(template: WindowTemplate, decay: Decay, cellsize: float,
                  ref: Raster | None) -> np.ndarray | None:
    """Distance-decay weight per template cell (None without decay); see ``decay_m``."""
    if decay is None:
        return None
    if ref is not None and ref.crs is not None and ref.crs.is_geographic:
        raise CamigeoError("decay_m: the resistance raster is in geographic degrees, so "
                           "distances in metres are undefined; project it to an equal-area "
                           "or UTM CRS first.")
    d_m = template.cell_dist * cellsize
    if callable(decay):
        w = np.asarray(decay(d_m), dtype=np.float64)
        if w.shape != d_m.shape or np.any(~np.isfinite(w)) or np.any(w < 0):
            raise CamigeoError("decay_m: the decay function must return one finite weight "
                               ">= 0 per distance (same shape as its input).")
        return w
    dm = float(decay)
    if not dm > 0:
        raise CamigeoError(f"decay_m={decay!r}: the e-folding distance must be > 0 metres.")
    return np.exp(-d_m / dm)


def check_int(name: str, value: Any, *, minimum: int, odd: bool = False) -> int:
    """Return an integer parameter checked against its minimum (and oddness)."""
    try:
        iv = int(value)
    except (TypeError, ValueError):
        raise CamigeoError(f"{name}={value!r}: expected an integer >= {minimum}.") from None
    if iv != value and not (isinstance(value, str)) and float(value) != iv:
        raise CamigeoError(f"{name}={value!r}: expected an integer >= {minimum}.")
    if iv < minimum:
        raise CamigeoError(f"{name}={value!r}: must be >= {minimum}.")
    if odd and iv % 2 == 0:
        raise CamigeoError(f"{name}={iv}: must be odd (1, 3, 5, ...) so that the block has "
                           f"a centre pixel; use {iv + 1} or {iv - 1}.")
    return iv


def pad_array(a: np.ndarray, D: int, fill: float) -> np.ndarray:
    """Pad an array by ``D`` cells on every side with ``fill``."""
    return np.pad(a, D, mode="constant", constant_values=fill)


def check_conditions(conditions: Sequence[Condition] | None) -> list[Condition]:
    """Validate condition layers: at most 2, comparison within|equal, lower <= upper."""
    conds = list(conditions or [])
    if len(conds) > 2:
        raise CamigeoError(f"conditions: Omniscape supports 1 or 2 condition layers; got "
                           f"{len(conds)}.")
    for k, cnd in enumerate(conds, start=1):
        if not isinstance(cnd, Condition):
            raise CamigeoError(f"conditions[{k - 1}]: expected camigeo.circuit.Condition, "
                               f"got {type(cnd).__name__}.")
        if cnd.comparison not in ("within", "equal"):
            raise CamigeoError(f"comparison{k}={cnd.comparison!r}: expected 'within' or "
                               f"'equal'.")
        if cnd.comparison == "within" and cnd.lower > cnd.upper:
            raise CamigeoError(f"condition{k}_lower={cnd.lower} > condition{k}_upper="
                               f"{cnd.upper}; swap them.")
    return conds


# ----------------------------------------------------------------------------- API
ChunkResult = tuple[int, np.ndarray, np.ndarray | None, list[WindowReport], int]


def default_threads() -> int:
    """CPUs this process may use (the default of ``threads=``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_chunks_threaded(chunks: Sequence[np.ndarray], ctx: OmniContext, threads: int
                        ) -> Iterator[ChunkResult]:
    """``run_chunk`` over chunks on ``threads`` threads; results in input order.

    The window kernels release the GIL, so threads run them in parallel without copying
    the context. At most ``2 * threads`` results are held at once.
    """
    if threads <= 1 or len(chunks) <= 1:
        for ch in chunks:
            yield run_chunk(ch, ctx)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="omniscape") as pool:
        pending: deque[Any] = deque()
        for ch in chunks:
            pending.append(pool.submit(run_chunk, ch, ctx))
            if len(pending) >= 2 * threads:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def split_targets(tg: np.ndarray, parts: int) -> list[np.ndarray]:
    """Split targets into ``parts`` contiguous groups of whole batches (for threads)."""
    if parts <= 1 or len(tg) <= BATCH:
        return [tg]
    nb = -(-len(tg) // BATCH)
    edges = [min(len(tg), BATCH * (nb * k // parts)) for k in range(parts + 1)]
    return [tg[a:z] for a, z in zip(edges[:-1], edges[1:], strict=True) if z > a]


def accumulate_window(tg: np.ndarray, ctx: OmniContext, shape: tuple[int, int], D: int,
                      rows_per_chunk: int, scheduler: Any, progress: bool, *,
                      threads: int = 1
                      ) -> tuple[np.ndarray, np.ndarray | None, list[WindowReport], int]:
    """Solve every target window and add its current into the cumulative map."""
    nr, nc = shape
    cum = np.zeros((nr + 2 * D, nc + 2 * D))
    fp = np.zeros_like(cum) if ctx.flow_potential else None
    reports: list[WindowReport] = []
    solved = 0
    chunks = chunk_list(tg, rows_per_chunk)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tg), unit="window", desc="omniscape")

    def add(res: ChunkResult, k: int) -> None:
        nonlocal solved
        r0, c_, f_, rep, n_ok = res
        cum[r0:r0 + c_.shape[0]] += c_
        if fp is not None and f_ is not None:
            fp[r0:r0 + f_.shape[0]] += f_
        reports.extend(rep)
        solved += n_ok
        if bar is not None:
            bar.update(len(chunks[k]))

    if scheduler is None:
        for k, res in enumerate(run_chunks_threaded(chunks, ctx, threads)):
            add(res, k)
    else:
        from ..scale import map_tasks

        step = 16
        for k0 in range(0, len(chunks), step):
            outs = map_tasks(chunk_task, chunks[k0:k0 + step], scheduler=scheduler,
                             shared={"ctx": ctx})
            for j, o in enumerate(outs):
                add(o, k0 + j)
    if bar is not None:
        bar.close()
    crop = (slice(D, D + nr), slice(D, D + nc))
    return cum[crop], (fp[crop] if fp is not None else None), reports, solved
