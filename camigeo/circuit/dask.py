"""Circuitscape pairwise mode on Dask: pair batches sharing one factorisation per worker.

Single focal cells (the usual case): the graph is built once on the client; per connected
component the grounded Laplacian is shipped once to every worker (scatter/broadcast with a
client) and each task solves one batch of pairs. A worker factorises the Laplacian the
first time it meets it and keeps the factorisation in a small per-process cache (keyed by
a run token, a lock makes concurrent threads wait for one factorisation), so every later
batch on that worker only does triangular solves. A task returns the pair resistances
and, when current maps are asked for, the node-level sum and maximum of its pairs'
current maps, which the client adds up.

Focal regions (an id covering several cells): every pair needs its own graph (both regions
short-circuited), so each pair is one task.

Same kernels as :mod:`camigeo.circuit` (``factorize``, ``pair_resistances``,
``pair_node_currents``), the same ground node and the same injected columns, so
resistances agree to rounding (tested to 1e-9 relative) and cumulative maps up to the
order of the sum.
"""

from __future__ import annotations

import logging
import math
import threading
import uuid
from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd

from .._errors import CamigeoError
from ..scale import (
    check_scheduler,
    check_task_memory,
    estimate_circuit_bytes,
    map_tasks,
    reduce_tasks,
    register_twins,
)

__all__ = [
    "advanced_dask",
    "current_map_dask",
    "one_to_all_dask",
    "pairwise_grid_dask",
    "pairwise_resistance_dask",
    "solve_batch",
]

log = logging.getLogger(__name__)

_CACHE: OrderedDict[str, Any] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_TOKEN_LOCKS: dict[str, threading.Lock] = {}
#: factorisations kept per worker process (older runs are dropped first)
_CACHE_SIZE = 4


def _factor(token: str, system: dict[str, Any]) -> Any:
    """Return the factorisation of ``system`` on this worker (made once per token)."""
    from .solve import factorize

    with _CACHE_LOCK:
        if token in _CACHE:
            _CACHE.move_to_end(token)
            return _CACHE[token]
        lock = _TOKEN_LOCKS.setdefault(token, threading.Lock())
    with lock:
        with _CACHE_LOCK:
            if token in _CACHE:
                return _CACHE[token]
        fac = factorize(system["Lg"], solver=system["solver"])
        with _CACHE_LOCK:
            _CACHE[token] = fac
            while len(_CACHE) > _CACHE_SIZE:
                old, _ = _CACHE.popitem(last=False)
                _TOKEN_LOCKS.pop(old, None)
        return fac


def _forget(token: str) -> None:
    with _CACHE_LOCK:
        _CACHE.pop(token, None)
        _TOKEN_LOCKS.pop(token, None)


def solve_batch(pairs: list[tuple[int, int]], *, token: str, system: dict[str, Any]
                ) -> tuple[list[float], np.ndarray | None, np.ndarray | None]:
    """Resistances (and summed current maps) for a batch of pairs of one component.

    Parameters
    ----------
    pairs : list of (int, int)
        Local node indices ``(a, b)``; 1 A enters at ``b`` and leaves at ``a``.
    token : str
        Key of the factorisation in the worker cache.
    system : dict
        ``Lg`` (grounded Laplacian), ``ground``, ``n``, ``solver`` and, for maps,
        ``edges`` (local ``i, j, w``), ``want_cum``, ``want_max``.

    Returns
    -------
    (resistances, cumulative, maximum)
        Per-pair ohms; node-level sum and maximum of the pair current maps (or None).
    """
    from .solve import pair_node_currents, pair_resistances

    fac = _factor(token, system)
    ground, n = system["ground"], system["n"]
    nodes = sorted({int(v) for p in pairs for v in p})
    col = {v: k for k, v in enumerate(nodes)}
    keep = np.ones(n, dtype=bool)
    keep[ground] = False
    idx = np.flatnonzero(keep)
    where = np.full(n, -1, dtype=np.int64)
    where[idx] = np.arange(idx.size)
    inject = [v for v in nodes if v != ground]
    G = np.zeros((n, len(nodes)), order="F")
    if inject:
        b = np.zeros((idx.size, len(inject)))
        b[where[inject], np.arange(len(inject))] = 1.0
        x = np.asarray(fac(b)).reshape(idx.size, len(inject))
        for c, v in enumerate(inject):
            G[idx, col[v]] = x[:, c]
    R = pair_resistances(G[nodes])
    res = [float(R[col[a], col[b_]]) for a, b_ in pairs]
    cum = mx = None
    if system.get("want_cum"):
        ei, ej, ew = system["edges"]
        cum = np.zeros(n)
        mx = np.zeros(n) if system.get("want_max") else None
        for a, b_ in pairs:
            if a == b_:
                continue
            cur = pair_node_currents(ei, ej, ew, G[:, col[b_]], G[:, col[a]])
            cum += cur
            if mx is not None:
                np.maximum(mx, cur, out=mx)
    return res, cum, mx


def _region_pair(item: tuple[int, int], *, g: np.ndarray, polymap: np.ndarray | None,
                 cells: dict[int, tuple[np.ndarray, np.ndarray]], ids: list[int],
                 opts: Any) -> tuple[int, int, float, np.ndarray | None, np.ndarray | None]:
    """One pair of focal regions (own graph with both regions short-circuited)."""
    from .engine import Accum, component_laplacian, pair_current_maps
    from .graph import build_graph, merge_regions, node_map
    from .solve import grounded_potentials

    a, b = item
    ca, cb = cells[ids[a]], cells[ids[b]]
    newpoly = merge_regions(polymap, g.shape, [ca, cb])
    nm = node_map(g, newpoly)
    graph = build_graph(g, nm, four_neighbors=opts.four_neighbors,
                        avg_resistances=opts.avg_resistances)
    na, nb = int(nm[ca[0][0], ca[1][0]]), int(nm[cb[0][0], cb[1][0]])
    if na == nb:
        return a, b, 0.0, None, None
    if graph.labels[na] != graph.labels[nb]:
        return a, b, -1.0, None, None
    comp_nodes = np.flatnonzero(graph.labels == graph.labels[na])
    local = np.full(graph.n_nodes, -1, dtype=np.int64)
    local[comp_nodes] = np.arange(comp_nodes.size)
    L = component_laplacian(graph, comp_nodes)
    G, _ = grounded_potentials(L, int(local[na]), [int(local[nb])], solver=opts.solver)
    vloc = G[:, 0]
    r = float(vloc[local[nb]])
    if not opts.write_cur_maps:
        return a, b, r, None, None
    v_full = np.zeros(graph.n_nodes)
    v_full[comp_nodes] = vloc
    acc = Accum(g.shape, opts.write_max)
    pair_current_maps(graph, graph.edges(), v_full, opts, "", None, acc)
    return a, b, r, acc.cum, acc.max


def current_map_dask(
    resistance: Any,
    focal: Any,
    *,
    is_conductance: bool = False,
    four_neighbors: bool = False,
    avg_resistances: bool = False,
    polygons: Any = None,
    mask: Any = None,
    include_pairs: list[tuple[int, int]] | None = None,
    exclude_pairs: list[tuple[int, int]] | None = None,
    solver: str = "auto",
    cumulative: bool = True,
    maximum: bool = False,
    pair_maps: bool = False,
    voltage_maps: bool = False,
    scheduler: Any = "threads",
    batch_size: int | None = None,
) -> Any:
    """:func:`camigeo.circuit.current_map` with pairs solved in batches on Dask.

    Parameters
    ----------
    resistance, focal, is_conductance, four_neighbors, avg_resistances, polygons, mask,
    include_pairs, exclude_pairs, solver, cumulative, maximum
        As in :func:`camigeo.circuit.current_map`.
    pair_maps, voltage_maps : bool, default False
        Not offered on Dask (one grid per pair would travel back to the client); True
        raises.
    scheduler : str or Client
        See :func:`camigeo.scale.check_scheduler`.
    batch_size : int, optional
        Pairs per task (default: pairs spread over about 4 tasks per worker thread, at
        least 8 pairs each).

    Returns
    -------
    CircuitResult
        ``resistances`` (square DataFrame, -1 = not solved), ``cumulative`` and
        ``maximum`` current rasters when asked for.
    """
    from .kernels import (
        CircuitResult,
        as_conductance,
        grid_options,
        int_grid,
        pair_include,
        parse_focal,
    )

    if pair_maps or voltage_maps:
        raise CamigeoError(
            "pair_maps/voltage_maps are not available with scheduler= (one grid per pair "
            "would travel back to the client); run current_map(..., scheduler=None) for "
            "them, or ask for cumulative/maximum maps only."
        )
    sched = check_scheduler(scheduler)
    ref, g = as_conductance(resistance, is_conductance=is_conductance, mask=mask)
    poly = int_grid(polygons, ref, "polygons") if polygons is not None else None
    f = parse_focal(focal, ref)
    inc = pair_include(f.ids, include_pairs, exclude_pairs)
    want_cur = cumulative or maximum
    opts = grid_options(four_neighbors, avg_resistances, solver, write_cur_maps=want_cur,
                 write_max=maximum)
    R, cum_grid, mx_grid = pairwise_grid_dask(g, poly, f, include=inc, opts=opts,
                                              scheduler=sched, batch_size=batch_size)
    store = CircuitResult()
    store.resistances = pd.DataFrame(R, index=pd.Index(f.ids, name="id"),
                                     columns=pd.Index(f.ids, name="id"))
    if cum_grid is not None and cumulative:
        store.cumulative = ref.with_array(cum_grid, nodata=None)
    if mx_grid is not None and maximum:
        store.maximum = ref.with_array(mx_grid, nodata=None)
    return store


def pairwise_grid_dask(
    g: np.ndarray,
    polymap: np.ndarray | None,
    focal: Any,
    *,
    include: np.ndarray | None = None,
    opts: Any = None,
    scheduler: Any = "threads",
    batch_size: int | None = None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """:func:`camigeo.circuit.engine.pairwise_grid` on Dask (arrays in, arrays out).

    Parameters
    ----------
    g : numpy.ndarray
        Cell conductances.
    polymap : numpy.ndarray or None
        Short-circuit region ids.
    focal : camigeo.circuit.Focal
    include : numpy.ndarray of bool, optional
        ``k x k`` pairs to solve (others report -1).
    opts : camigeo.circuit.GridOptions
        ``write_cur_maps`` / ``write_max`` ask for the cumulative / maximum maps
        (per-pair and voltage maps are not produced).
    scheduler, batch_size
        See :func:`current_map_dask`.

    Returns
    -------
    (R, cum, max)
        Resistance matrix (-1 = not solved), cumulative and maximum current grids (None
        when not asked for).
    """
    from .engine import GridOptions, focal_node_ids, pair_components, warn_invalid
    from .graph import build_graph, node_map
    from .solve import grounded_laplacian

    opts = opts or GridOptions()
    sched = check_scheduler(scheduler)
    want_cur = bool(opts.write_cur_maps)
    maximum = bool(opts.write_cur_maps and opts.write_max)
    f, poly = focal, polymap
    k = len(f.ids)
    R = -np.ones((k, k))
    np.fill_diagonal(R, 0.0)
    if include is None:
        include = np.ones((k, k), dtype=bool)
    workers = _n_threads(sched)
    cum_grid = mx_grid = None
    if f.has_regions:
        empty = [f.ids[a] for a in range(k) if len(f.cells[f.ids[a]][0]) == 0]
        warn_invalid(empty, "lie outside the grid")
        pairs = [(a, b) for a in range(k) for b in range(a + 1, k)
                 if (include[a, b] or include[b, a]) and len(f.cells[f.ids[a]][0])
                 and len(f.cells[f.ids[b]][0])]
        if want_cur:
            cum_grid = np.zeros(g.shape)
            mx_grid = np.zeros(g.shape) if maximum else None

        def combine_r(res: tuple[int, int, float, Any, Any]) -> None:
            a, b, r, cum, mx = res
            R[a, b] = R[b, a] = r
            if cum is not None and cum_grid is not None:
                cum_grid[...] += cum
                if mx_grid is not None:
                    np.maximum(mx_grid, mx, out=mx_grid)

        reduce_tasks(_region_pair, pairs, combine_r, scheduler=sched,
                     shared={"g": g, "polymap": poly, "cells": f.cells, "ids": f.ids,
                             "opts": opts})
    else:
        graph = build_graph(g, node_map(g, poly), four_neighbors=opts.four_neighbors,
                            avg_resistances=opts.avg_resistances)
        nodes = focal_node_ids(graph, f)
        n_all = graph.n_nodes
        cum_nodes = np.zeros(n_all) if want_cur else None
        max_nodes = np.zeros(n_all) if maximum else None
        edges = graph.edges() if want_cur else None
        for pc in pair_components(graph, nodes, include, R):
            members, comp_nodes, local, ground = pc.members, pc.comp_nodes, pc.local, pc.ground
            L = pc.L
            Lg, _ = grounded_laplacian(L, ground)
            check_task_memory(sched, estimate_circuit_bytes(
                comp_nodes.size, neighbors=4 if opts.four_neighbors else 8,
                solver="cg+amg" if opts.solver in ("cg+amg", "amg") else "cholmod"),
                what=f"circuit component of {comp_nodes.size:,} nodes")
            system: dict[str, Any] = {"Lg": Lg, "ground": ground, "n": comp_nodes.size,
                                      "solver": opts.solver, "want_cum": want_cur,
                                      "want_max": maximum}
            if want_cur:
                system["edges"] = pc.local_edges(graph, edges)
            todo: list[tuple[int, int]] = []  # focal positions
            for ia, a in enumerate(members):
                for b in members[ia + 1:]:
                    if include[a, b] or include[b, a]:
                        todo.append((int(a), int(b)))
            loc = [(int(local[nodes[a]]), int(local[nodes[b]])) for a, b in todo]
            size = batch_size or max(8, math.ceil(len(loc) / (4 * workers)))
            batches = [list(range(s, min(len(loc), s + size))) for s in range(0, len(loc),
                                                                               size)]
            token = uuid.uuid4().hex
            cum_comp = np.zeros(comp_nodes.size) if want_cur else None
            max_comp = np.zeros(comp_nodes.size) if maximum else None

            def combine(res: tuple[list[int], tuple[list[float], Any, Any]],
                        todo: list[tuple[int, int]] = todo,
                        cum_comp: np.ndarray | None = cum_comp,
                        max_comp: np.ndarray | None = max_comp) -> None:
                ids_, (rs, cum, mx) = res
                for q, r in zip(ids_, rs, strict=True):
                    a, b = todo[q]
                    R[a, b] = R[b, a] = r
                if cum is not None and cum_comp is not None:
                    cum_comp[...] += cum
                if mx is not None and max_comp is not None:
                    np.maximum(max_comp, mx, out=max_comp)

            log.info("circuit: component of %d nodes, %d pairs in %d batches on %s",
                     comp_nodes.size, len(loc), len(batches), sched)
            try:
                reduce_tasks(_batch_task, [(bt, [loc[q] for q in bt]) for bt in batches],
                             combine, scheduler=sched,
                             shared={"token": token, "system": system})
            finally:
                _forget(token)
            if cum_nodes is not None and cum_comp is not None:
                cum_nodes[comp_nodes] += cum_comp
            if max_nodes is not None and max_comp is not None:
                max_nodes[comp_nodes] = np.maximum(max_nodes[comp_nodes], max_comp)
        if want_cur:
            from .engine import node_to_grid

            assert graph.nodemap is not None and cum_nodes is not None  # raster, want_cur
            cum_grid = node_to_grid(graph.nodemap, cum_nodes)
            mx_grid = node_to_grid(graph.nodemap, max_nodes) if max_nodes is not None \
                else None
    return R, cum_grid, mx_grid


def _batch_task(item: tuple[list[int], list[tuple[int, int]]], *, token: str,
                system: dict[str, Any]) -> tuple[list[int], tuple[list[float], Any, Any]]:
    ids_, pairs = item
    return ids_, solve_batch(pairs, token=token, system=system)


def _n_threads(sched: Any) -> int:
    if sched is None or isinstance(sched, str):
        import os

        return os.cpu_count() or 1
    try:
        return max(1, sum(sched.nthreads().values()))
    except Exception:  # pragma: no cover - scheduler without nthreads
        return 1


def pairwise_resistance_dask(resistance: Any, focal: Any, *, scheduler: Any = "threads",
                             batch_size: int | None = None, **kw: Any) -> pd.DataFrame:
    """:func:`camigeo.circuit.pairwise_resistance` with pair batches on Dask.

    Parameters
    ----------
    resistance, focal, **kw
        As in :func:`camigeo.circuit.pairwise_resistance`.
    scheduler, batch_size
        See :func:`current_map_dask`.

    Returns
    -------
    pandas.DataFrame
        Square resistance matrix (ohm, -1 = not solved).
    """
    bad = sorted(set(kw) - {"is_conductance", "four_neighbors", "avg_resistances",
                            "polygons", "mask", "include_pairs", "exclude_pairs", "solver"})
    if bad:
        raise CamigeoError(f"pairwise_resistance got unexpected option(s) {bad}.")
    return current_map_dask(resistance, focal, scheduler=scheduler, batch_size=batch_size,
                            cumulative=False, **kw).resistances


# ------------------------------------------------------------ one-to-all / all-to-one


def _one_all_task(item: tuple[int, int, list[tuple[int, float]], list[int], str], *,
                  L: Any, labels: np.ndarray, solver: str, edges: Any, want_volt: bool
                  ) -> tuple[int, float | None, np.ndarray | None, np.ndarray | None]:
    """One focal node's run (own factorisation: the grounds differ from run to run).

    ``item`` is ``(position, node_k, [(source node, amperes)], [ground nodes], policy)``;
    returns ``(position, v_k or None if unsolved, node currents, node voltages)``.
    """
    from .solve import advanced_solve, branch_and_node_currents

    a, node_k, srcs, gnds, policy = item
    n = labels.size
    sources = np.zeros(n)
    grounds = np.zeros(n)
    for node, amp in srcs:
        sources[node] += amp
    grounds[list(gnds)] = np.inf
    in_comp = labels == labels[node_k]
    sources = np.where(in_comp, sources, 0.0)
    grounds = np.where(in_comp, grounds, 0.0)
    v, solved, _, gg = advanced_solve(L, labels, sources, grounds, policy=policy,
                                      solver=solver)
    if not solved[node_k]:
        return a, None, None, None
    cur = None
    if edges is not None:
        i, j, w = edges
        fin = np.where(np.isinf(gg), 0.0, gg)
        _, cur = branch_and_node_currents(i, j, w, v, ground_conductance=fin)
    return a, float(v[node_k]), cur, (v if want_volt else None)


def one_to_all_dask(
    g: np.ndarray,
    polymap: np.ndarray | None,
    focal: Any,
    *,
    strengths: dict[int, float] | None = None,
    include: np.ndarray | None = None,
    all_to_one: bool = False,
    opts: Any = None,
    scheduler: Any = "threads",
) -> tuple[np.ndarray, np.ndarray | None, dict[int, np.ndarray], dict[int, np.ndarray]]:
    """:func:`camigeo.circuit.engine.one_to_all_grid` with one task per focal node.

    The graph (Laplacian, component labels, edges) is built once on the client and shared
    with every task once (scatter with a client); each task builds its own sources and
    grounds and factorises its own grounded system (the grounds differ per focal node, so
    there is no factorisation to reuse, and CHOLMOD/SuperLU factors are not picklable).
    Same sources/grounds rules as the single-machine kernel.

    Parameters
    ----------
    g, polymap, focal, strengths, include, all_to_one, opts
        As in :func:`camigeo.circuit.engine.one_to_all_grid`.
    scheduler : str or Client
        See :func:`camigeo.scale.check_scheduler`.

    Returns
    -------
    (values, cum, currents, voltages)
        Per-focal ``R_k`` (one-to-all) or 0/-1 (all-to-one); cumulative current grid (None
        without current maps); per-id current and voltage grids (filled only when
        ``opts.write_cur_maps`` / ``opts.write_volt_maps``).
    """
    from .engine import GridOptions, node_to_grid, warn_invalid
    from .graph import build_graph, merge_regions, node_map

    opts = opts or GridOptions()
    sched = check_scheduler(scheduler)
    strengths = strengths or {}
    k = len(focal.ids)
    res = -np.ones(k)
    poly_used = polymap
    if focal.has_regions:
        poly_used = merge_regions(polymap, g.shape,
                                  [focal.cells[f] for f in focal.ids if len(focal.cells[f][0])])
    nm = node_map(g, poly_used)
    graph = build_graph(g, nm, four_neighbors=opts.four_neighbors,
                        avg_resistances=opts.avg_resistances)
    id_node = {fid: (int(nm[focal.cells[fid][0][0], focal.cells[fid][1][0]])
                     if len(focal.cells[fid][0]) else -1) for fid in focal.ids}
    warn_invalid([fid for fid in focal.ids if id_node[fid] < 0],
                  "fall on nodata cells or outside the grid")
    check_task_memory(sched, estimate_circuit_bytes(
        graph.n_nodes, neighbors=4 if opts.four_neighbors else 8,
        solver="cg+amg" if opts.solver in ("cg+amg", "amg") else "cholmod"),
        what=f"one-to-all circuit of {graph.n_nodes:,} nodes")
    items: list[tuple[int, int, list[tuple[int, float]], list[int], str]] = []
    for a, fid in enumerate(focal.ids):
        node_k = id_node[fid]
        if node_k < 0:
            continue
        partners = [oid for b, oid in enumerate(focal.ids) if oid != fid and (
            include is None or include[a, b] or include[b, a])]
        if not partners:
            continue
        if not all_to_one:
            srcs = [(node_k, float(strengths.get(fid, 1.0)))]
            gnds = [id_node[o] for o in partners if id_node[o] >= 0]
            policy = "rmvgnd"
        else:
            srcs = [(id_node[o], float(strengths.get(o, 1.0)) if o in partners else 1.0)
                    for o in focal.ids if o != fid and id_node[o] >= 0]
            gnds = [node_k]
            policy = "rmvsrc"
        items.append((a, node_k, srcs, gnds, policy))
    want_cur = bool(opts.write_cur_maps)
    want_volt = bool(opts.write_volt_maps)
    edges = graph.edges() if (want_cur or want_volt) else None
    cum_nodes = np.zeros(graph.n_nodes) if want_cur else None
    currents: dict[int, np.ndarray] = {}
    voltages: dict[int, np.ndarray] = {}
    keep_each = want_cur and not opts.cum_only

    def combine(out: tuple[int, float | None, Any, Any]) -> None:
        a, vk, cur, v = out
        if vk is None:
            return
        fid = focal.ids[a]
        res[a] = 0.0 if all_to_one else vk / float(strengths.get(fid, 1.0))
        if cur is not None and cum_nodes is not None:
            cum_nodes[...] += cur
            if keep_each:
                currents[fid] = node_to_grid(nm, cur)
        if v is not None:
            voltages[fid] = node_to_grid(nm, v)

    log.info("circuit: %s for %d focal nodes (%d nodes) on %s",
             "all-to-one" if all_to_one else "one-to-all", len(items), graph.n_nodes, sched)
    reduce_tasks(_one_all_task, items, combine, scheduler=sched,
                 shared={"L": graph.laplacian(), "labels": graph.labels,
                         "solver": opts.solver, "edges": edges if want_cur else None,
                         "want_volt": want_volt})
    cum = node_to_grid(nm, cum_nodes) if cum_nodes is not None else None
    return res, cum, currents, voltages


def _advanced_task(_: Any, *, g: np.ndarray, polymap: np.ndarray | None, src: np.ndarray,
                   gg: np.ndarray, policy: str, opts: Any) -> Any:
    from .engine import advanced_grid

    return advanced_grid(g, polymap, src, gg, policy=policy, opts=opts)


def advanced_dask(g: np.ndarray, polymap: np.ndarray | None, src: np.ndarray,
                  gg: np.ndarray, *, policy: str, opts: Any, scheduler: Any = "threads"
                  ) -> Any:
    """:func:`camigeo.circuit.engine.advanced_grid` as one task on a Dask worker.

    Advanced mode is a single linear solve, so there is nothing to spread over workers;
    the task only moves the solve (and its memory) off the calling machine, e.g. to a
    worker with more RAM. Same kernel, identical result.
    """
    from .graph import build_graph, node_map

    sched = check_scheduler(scheduler)
    n_nodes = build_graph(g, node_map(g, polymap), four_neighbors=opts.four_neighbors,
                          avg_resistances=opts.avg_resistances).n_nodes
    check_task_memory(sched, estimate_circuit_bytes(
        n_nodes, neighbors=4 if opts.four_neighbors else 8,
        solver="cg+amg" if opts.solver in ("cg+amg", "amg") else "cholmod"),
        what=f"advanced circuit of {n_nodes:,} nodes")
    return map_tasks(_advanced_task, [0], scheduler=sched,
                     shared={"g": g, "polymap": polymap, "src": src, "gg": gg,
                             "policy": policy, "opts": opts})[0]


register_twins("circuit", current_map_dask, pairwise_grid_dask, one_to_all_dask, advanced_dask)
