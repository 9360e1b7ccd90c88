"""In-memory Circuitscape API: rasters and GeoDataFrames in, tables and rasters out.

All functions share Circuitscape's graph rules (see :mod:`camigeo.circuit.graph`) and its
conventions: resistances of pairs that cannot be solved are -1, maps are per cell (every
cell of a merged node gets the node's value, cells that are not nodes get 0).
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np
import pandas as pd

from .._errors import CamigeoError
from ..io.raster import Raster, as_raster
from .engine import (
    advanced_grid,
    advanced_network,
    one_to_all_grid,
    pairwise_grid,
    pairwise_network,
)
from .graph import graph_from_edges
from .kernels import (
    CircuitResult,
    RasterLike,
    as_conductance,
    grid_options,
    int_grid,
    pair_include,
    parse_focal,
)

__all__ = [
    "CircuitResult",
    "pairwise_resistance",
    "current_map",
    "one_to_all",
    "all_to_one",
    "advanced",
    "network_resistance",
    "network_currents",
]

logger = logging.getLogger(__name__)


def _collect(ref: Raster, store: CircuitResult, per_map: bool, volt: bool):
    def sink(kind: str, label: str, grid: np.ndarray) -> None:
        parts = label.split("_")
        key: Any = tuple(int(p) for p in parts) if len(parts) == 2 else int(parts[0])
        r = ref.with_array(grid, nodata=None)
        if kind == "cur" and per_map:
            store.currents[key] = r
        elif kind == "volt" and volt:
            store.voltages[key] = r
    return sink


# ----------------------------------------------------------------------------- API
def pairwise_resistance(
    resistance: RasterLike,
    focal: Any,
    *,
    is_conductance: bool = False,
    four_neighbors: bool = False,
    avg_resistances: bool = False,
    polygons: Any = None,
    mask: RasterLike | None = None,
    include_pairs: list[tuple[int, int]] | None = None,
    exclude_pairs: list[tuple[int, int]] | None = None,
    solver: str = "auto",
    scheduler: Any = None,
) -> pd.DataFrame:
    """Effective resistance between every pair of focal nodes (Circuitscape pairwise).

    Parameters
    ----------
    resistance : Raster or path
        Resistance per cell (ohm; or conductance with ``is_conductance=True``). Nodata
        cells are removed; a resistance of 0, negative values and NaN raise.
    focal : Raster, 2-D array, GeoDataFrame or (n, 3) array
        Focal node ids (> 0); an id covering several cells is a focal region.
    is_conductance : bool, default False
    four_neighbors : bool, default False
        4-neighbour graph (otherwise 8).
    avg_resistances : bool, default False
        Edge weight from the mean resistance instead of the mean conductance.
    polygons : Raster, array or GeoDataFrame, optional
        Short-circuit regions (ids > 0).
    mask : Raster or path, optional
        Cells where the mask is not > 0 are removed.
    include_pairs, exclude_pairs : list of (id, id), optional
    solver : {"auto", "cholmod", "splu", "cg+amg"}
    scheduler : None, "synchronous", "threads", "processes", "client" or Client, optional
        None (default): this single-machine path. Otherwise the pairs are solved in
        batches on Dask, each worker factorising the Laplacian once (see
        :mod:`camigeo.scale`, docs/scaling.md); resistances agree to 1e-9.

    Returns
    -------
    pandas.DataFrame
        Square matrix (index and columns = ids), -1 for pairs that are disconnected,
        excluded or on nodata (with a :class:`~camigeo.CamigeoWarning`).
    """
    return current_map(resistance, focal, is_conductance=is_conductance,
                       four_neighbors=four_neighbors, avg_resistances=avg_resistances,
                       polygons=polygons, mask=mask, include_pairs=include_pairs,
                       exclude_pairs=exclude_pairs, solver=solver, cumulative=False,
                       scheduler=scheduler).resistances


def current_map(
    resistance: RasterLike,
    focal: Any,
    *,
    is_conductance: bool = False,
    four_neighbors: bool = False,
    avg_resistances: bool = False,
    polygons: Any = None,
    mask: RasterLike | None = None,
    include_pairs: list[tuple[int, int]] | None = None,
    exclude_pairs: list[tuple[int, int]] | None = None,
    solver: str = "auto",
    cumulative: bool = True,
    maximum: bool = False,
    pair_maps: bool = False,
    voltage_maps: bool = False,
    scheduler: Any = None,
) -> CircuitResult:
    """Pairwise run with current (and voltage) maps.

    Each pair ``(a, b)``, ``a < b``, is solved with 1 A entering at ``b`` and leaving at
    ``a`` (``v_a = 0``). A cell's current is ``max(inflow, outflow)`` of its node.
    Parameters as :func:`pairwise_resistance`, plus:

    Parameters
    ----------
    cumulative : bool, default True
        Sum of all pair current maps.
    maximum : bool, default False
        Cell-wise maximum over pairs.
    pair_maps, voltage_maps : bool, default False
        Keep every pair's current / voltage map (memory: one grid per pair); not
        available with ``scheduler``.
    scheduler : None, "synchronous", "threads", "processes", "client" or Client, optional
        None (default): this single-machine path. Otherwise the pairs are solved in
        batches on Dask, each worker factorising the Laplacian once (see
        :mod:`camigeo.scale`, docs/scaling.md); resistances agree to 1e-9.

    Returns
    -------
    CircuitResult
    """
    if scheduler is not None:  # Dask: pair batches, one factorisation per worker (issue 8)
        from ..scale import distributed_twin
        current_map_dask = distributed_twin("circuit.current_map_dask")

        return current_map_dask(
            resistance, focal, is_conductance=is_conductance, four_neighbors=four_neighbors,
            avg_resistances=avg_resistances, polygons=polygons, mask=mask,
            include_pairs=include_pairs, exclude_pairs=exclude_pairs, solver=solver,
            cumulative=cumulative, maximum=maximum, pair_maps=pair_maps,
            voltage_maps=voltage_maps, scheduler=scheduler)
    ref, g = as_conductance(resistance, is_conductance=is_conductance, mask=mask)
    from ..scale import guard_circuit

    guard_circuit(int(np.count_nonzero(g > 0)), neighbors=4 if four_neighbors else 8,
                  solver=solver, what=f"current_map on {ref.height} x {ref.width} cells")
    poly = int_grid(polygons, ref, "polygons") if polygons is not None else None
    f = parse_focal(focal, ref)
    inc = pair_include(f.ids, include_pairs, exclude_pairs)
    want_cur = cumulative or maximum or pair_maps
    opts = grid_options(four_neighbors, avg_resistances, solver, write_cur_maps=want_cur,
                 write_volt_maps=voltage_maps, write_max=maximum)
    store = CircuitResult()
    R, cum, mx = pairwise_grid(g, poly, f, include=inc, opts=opts,
                               sink=_collect(ref, store, pair_maps, voltage_maps))
    store.resistances = pd.DataFrame(R, index=pd.Index(f.ids, name="id"),
                                     columns=pd.Index(f.ids, name="id"))
    if cum is not None and cumulative:
        store.cumulative = ref.with_array(cum, nodata=None)
    if mx is not None:
        store.maximum = ref.with_array(mx, nodata=None)
    return store


def _one_all(resistance, focal, all_to_one_flag, *, strengths, is_conductance,
             four_neighbors, avg_resistances, polygons, mask, include_pairs, solver,
             maps, voltage_maps, scheduler=None) -> CircuitResult:
    ref, g = as_conductance(resistance, is_conductance=is_conductance, mask=mask)
    poly = int_grid(polygons, ref, "polygons") if polygons is not None else None
    f = parse_focal(focal, ref)
    inc = pair_include(f.ids, include_pairs, None)
    opts = grid_options(four_neighbors, avg_resistances, solver, write_cur_maps=maps,
                 write_volt_maps=voltage_maps)
    store = CircuitResult()
    if scheduler is not None:  # Dask: one task per focal node (issue 8)
        from ..scale import distributed_twin
        one_to_all_dask = distributed_twin("circuit.one_to_all_dask")

        vals, cum, curs, volts = one_to_all_dask(
            g, poly, f, strengths=dict(strengths or {}), include=inc,
            all_to_one=all_to_one_flag, opts=opts, scheduler=scheduler)
        store.currents = {k: ref.with_array(v, nodata=None) for k, v in curs.items()}
        store.voltages = {k: ref.with_array(v, nodata=None) for k, v in volts.items()}
        store.resistances = pd.Series(vals, index=pd.Index(f.ids, name="id"),
                                      name="status" if all_to_one_flag else "resistance")
        if cum is not None:
            store.cumulative = ref.with_array(cum, nodata=None)
        return store
    vals, cum, _ = one_to_all_grid(g, poly, f, strengths=dict(strengths or {}), include=inc,
                                   all_to_one=all_to_one_flag, opts=opts,
                                   sink=_collect(ref, store, maps, voltage_maps))
    store.resistances = pd.Series(vals, index=pd.Index(f.ids, name="id"),
                                  name="status" if all_to_one_flag else "resistance")
    if cum is not None:
        store.cumulative = ref.with_array(cum, nodata=None)
    return store


def one_to_all(
    resistance: RasterLike,
    focal: Any,
    *,
    strengths: dict[int, float] | None = None,
    is_conductance: bool = False,
    four_neighbors: bool = False,
    avg_resistances: bool = False,
    polygons: Any = None,
    mask: RasterLike | None = None,
    include_pairs: list[tuple[int, int]] | None = None,
    solver: str = "auto",
    maps: bool = True,
    voltage_maps: bool = False,
    scheduler: Any = None,
) -> CircuitResult:
    """One-to-all: ``strength_k`` A into focal node ``k``, all other focal nodes grounded.

    ``R_k = v_k / strength_k`` (ohm), -1 when ``k`` is on nodata or no ground is reachable.
    With ``include_pairs`` only the included partners of ``k`` are grounded.
    Other parameters as :func:`current_map`; ``strengths`` maps id -> amperes (default 1).

    Parameters
    ----------
    scheduler : None, "synchronous", "threads", "processes", "client" or Client, optional
        None (default): this single-machine path. Otherwise every focal node's run is one
        Dask task: the graph is shared once (scatter with a client), each task factorises
        its own grounded system (the grounds differ per focal node). Resistances and maps
        agree with the single-machine path to rounding (tested to 1e-9); see
        docs/scaling.md.

    Returns
    -------
    CircuitResult
        ``resistances`` is a Series by id; ``currents`` per id when ``maps``.
    """
    return _one_all(resistance, focal, False, strengths=strengths,
                    is_conductance=is_conductance, four_neighbors=four_neighbors,
                    avg_resistances=avg_resistances, polygons=polygons, mask=mask,
                    include_pairs=include_pairs, solver=solver, maps=maps,
                    voltage_maps=voltage_maps, scheduler=scheduler)


def all_to_one(
    resistance: RasterLike,
    focal: Any,
    *,
    strengths: dict[int, float] | None = None,
    is_conductance: bool = False,
    four_neighbors: bool = False,
    avg_resistances: bool = False,
    polygons: Any = None,
    mask: RasterLike | None = None,
    include_pairs: list[tuple[int, int]] | None = None,
    solver: str = "auto",
    maps: bool = True,
    voltage_maps: bool = False,
    scheduler: Any = None,
) -> CircuitResult:
    """All-to-one: focal node ``k`` is the only ground, all others inject current.

    ``resistances`` is a placeholder Series (0 = solved, -1 = not), as in Circuitscape;
    the maps are the result. Parameters (including ``scheduler``: one Dask task per
    focal node) as :func:`one_to_all`.

    Returns
    -------
    CircuitResult
    """
    return _one_all(resistance, focal, True, strengths=strengths,
                    is_conductance=is_conductance, four_neighbors=four_neighbors,
                    avg_resistances=avg_resistances, polygons=polygons, mask=mask,
                    include_pairs=include_pairs, solver=solver, maps=maps,
                    voltage_maps=voltage_maps, scheduler=scheduler)


def advanced(
    resistance: RasterLike,
    sources: RasterLike | np.ndarray,
    grounds: RasterLike | np.ndarray,
    *,
    grounds_are_resistances: bool = True,
    direct_grounds: bool = False,
    unit_currents: bool = False,
    remove_src_or_gnd: str = "keepall",
    is_conductance: bool = False,
    four_neighbors: bool = False,
    avg_resistances: bool = False,
    polygons: Any = None,
    mask: RasterLike | None = None,
    solver: str = "auto",
    scheduler: Any = None,
) -> CircuitResult:
    """Advanced mode: current sources and grounds given per cell.

    Parameters
    ----------
    resistance : Raster or path
    sources : Raster, path or array
        Amperes injected per cell (nodata/0 = none); summed per node.
    grounds : Raster, path or array
        Per cell: resistance to ground (ohm, 0 = direct ground) when
        ``grounds_are_resistances``, otherwise conductance (siemens); nodata = none.
    direct_grounds : bool, default False
        Every ground becomes a direct ground (0 V).
    unit_currents : bool, default False
        Every source injects 1 A.
    remove_src_or_gnd : {"keepall", "rmvsrc", "rmvgnd", "rmvall"}
        Rule for nodes that are both source and ground.
    scheduler : None, "synchronous", "threads", "processes", "client" or Client, optional
        Advanced mode is ONE linear solve, so it is not split up: with a scheduler the
        whole solve runs as a single Dask task (on one worker, e.g. one with more memory
        than the calling machine); the result is identical. None (default) solves here.
    Other parameters as :func:`current_map`.

    Returns
    -------
    CircuitResult
        ``currents[0]`` and ``voltages[0]`` hold the current and voltage maps.
    """
    ref, g = as_conductance(resistance, is_conductance=is_conductance, mask=mask)
    poly = int_grid(polygons, ref, "polygons") if polygons is not None else None

    def grid(obj: Any, name: str) -> np.ndarray:
        if isinstance(obj, (Raster, str, os.PathLike)):
            arr = as_raster(obj, name=name).masked_float()
        else:
            arr = np.asarray(obj, dtype=np.float64)
        if arr.shape != ref.shape:
            raise CamigeoError(f"{name} has shape {arr.shape}, resistance has {ref.shape}.")
        return arr

    src = np.nan_to_num(grid(sources, "sources"), nan=0.0)
    if unit_currents:
        src = np.where(src != 0, 1.0, 0.0)
    from .ini import ground_to_conductance

    gg = ground_to_conductance(grid(grounds, "grounds"), grounds_are_resistances, direct_grounds)
    aopts = grid_options(four_neighbors, avg_resistances, solver)
    if scheduler is not None:  # a single solve: one Dask task on one worker (issue 8)
        from ..scale import distributed_twin
        advanced_dask = distributed_twin("circuit.advanced_dask")

        vgrid, cgrid, ok = advanced_dask(g, poly, src, gg, policy=remove_src_or_gnd,
                                         opts=aopts, scheduler=scheduler)
    else:
        vgrid, cgrid, ok = advanced_grid(g, poly, src, gg, policy=remove_src_or_gnd,
                                         opts=aopts)
    if not ok:
        raise CamigeoError("advanced: no connected component has both a source and a "
                           "ground, so nothing can be solved. Check sources/grounds overlap "
                           "valid (non-nodata) cells.")
    out = CircuitResult()
    out.currents[0] = ref.with_array(cgrid, nodata=None)
    out.voltages[0] = ref.with_array(vgrid, nodata=None)
    out.cumulative = out.currents[0]
    return out


# ----------------------------------------------------------------------------- network
def _graph_from(G: Any, weight: str, is_conductance: bool):
    try:
        import networkx as nx

        is_nx = isinstance(G, nx.Graph)
    except ImportError:  # pragma: no cover
        is_nx = False
    if is_nx:
        if G.is_directed():
            G = G.to_undirected()
        rows = []
        for u, v, d in G.edges(data=True):
            if weight not in d:
                raise CamigeoError(f"network: edge ({u}, {v}) has no '{weight}' attribute; "
                                   f"pass weight= naming the resistance attribute.")
            rows.append((u, v, float(d[weight])))
        nodes = list(G.nodes)
    else:
        df = pd.DataFrame(G)
        if df.shape[1] < 3:
            raise CamigeoError("network: edge list needs three columns (i, j, value).")
        rows = list(df.iloc[:, :3].itertuples(index=False, name=None))
        nodes = sorted({r[0] for r in rows} | {r[1] for r in rows})
    lab = {n: k for k, n in enumerate(nodes)}
    i = np.array([lab[r[0]] for r in rows], dtype=np.int64)
    j = np.array([lab[r[1]] for r in rows], dtype=np.int64)
    val = np.array([r[2] for r in rows], dtype=np.float64)
    graph = graph_from_edges(np.concatenate([i, np.arange(len(nodes))]),
                             np.concatenate([j, np.arange(len(nodes))]),
                             np.concatenate([val, np.ones(len(nodes))]),
                             is_resistance=not is_conductance)
    # node_ids are positions 0..n-1 (self-loops added above only register isolated nodes)
    return graph, nodes


def network_resistance(
    G: Any,
    focal: list[Any] | None = None,
    *,
    weight: str = "resistance",
    is_conductance: bool = False,
    solver: str = "auto",
) -> pd.DataFrame:
    """Effective resistances between nodes of a graph (Circuitscape network mode).

    Parameters
    ----------
    G : networkx.Graph or edge list
        Edges carry a resistance (ohm) in ``weight`` (or a conductance with
        ``is_conductance=True``); an edge list is ``(i, j, value)`` rows.
    focal : list, optional
        Nodes to compare (default: all nodes).
    weight : str, default "resistance"
    is_conductance : bool, default False
    solver : str

    Returns
    -------
    pandas.DataFrame
        Square matrix of effective resistances (ohm), -1 for disconnected pairs.
    """
    graph, nodes = _graph_from(G, weight, is_conductance)
    focal = list(nodes) if focal is None else list(focal)
    pos = {n: k for k, n in enumerate(nodes)}
    missing = [f for f in focal if f not in pos]
    if missing:
        raise CamigeoError(f"network_resistance: focal node(s) {missing} are not in the graph.")
    R, _ = pairwise_network(graph, [pos[f] for f in focal], solver=solver)
    return pd.DataFrame(R, index=pd.Index(focal, name="node"), columns=pd.Index(focal,
                                                                               name="node"))


def network_currents(
    G: Any,
    sources: dict[Any, float],
    grounds: dict[Any, float],
    *,
    weight: str = "resistance",
    is_conductance: bool = False,
    grounds_are_resistances: bool = True,
    remove_src_or_gnd: str = "keepall",
    solver: str = "auto",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Advanced mode on a graph: node voltages/currents and branch currents.

    Parameters
    ----------
    G : networkx.Graph or edge list
    sources : dict
        Node -> injected amperes.
    grounds : dict
        Node -> resistance to ground (ohm, 0 = direct) or conductance (siemens).
    Other parameters as :func:`network_resistance`.

    Returns
    -------
    (nodes, branches) : tuple of pandas.DataFrame
        ``nodes``: columns node, voltage (V), current (A); ``branches``: columns
        node_i, node_j, current (A, absolute).
    """
    graph, nodes = _graph_from(G, weight, is_conductance)
    pos = {n: k for k, n in enumerate(nodes)}
    s = np.zeros(len(nodes))
    v: float | np.ndarray  # a source/ground value in the loops, then the node voltages
    for k, v in sources.items():
        if k not in pos:
            raise CamigeoError(f"network_currents: source node {k!r} is not in the graph.")
        s[pos[k]] += float(v)
    graw = np.full(len(nodes), np.nan)
    for k, v in grounds.items():
        if k not in pos:
            raise CamigeoError(f"network_currents: ground node {k!r} is not in the graph.")
        graw[pos[k]] = float(v)
    from .ini import ground_to_conductance

    gg = ground_to_conductance(graw, grounds_are_resistances, False)
    v, nc, bc = advanced_network(graph, s, gg, policy=remove_src_or_gnd, solver=solver)
    i, j, _ = graph.edges()
    node_df = pd.DataFrame({"node": nodes, "voltage": v, "current": nc})
    br = pd.DataFrame({"node_i": [nodes[a] for a in i], "node_j": [nodes[b] for b in j],
                       "current": np.abs(bc)})
    return node_df, br
