"""Array-level Circuitscape scenarios (pairwise, one-to-all, all-to-one, advanced, network).

These functions take plain arrays (conductance grid, region grid, focal cells) and stream
their maps through a callback, so that :mod:`camigeo.circuit.modes` (Raster API) and
:mod:`camigeo.circuit.ini` (Circuitscape files) share one implementation.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from .._errors import CamigeoWarning
from .graph import CircuitGraph, build_graph, merge_regions, node_map
from .solve import (
    advanced_solve,
    branch_and_node_currents,
    grounded_potentials,
    pair_node_currents,
    pair_resistances,
)

__all__ = [
    "GridOptions",
    "Focal",
    "MapSink",
    "pairwise_grid",
    "one_to_all_grid",
    "advanced_grid",
    "pairwise_network",
    "advanced_network",
    "node_to_grid",
]

logger = logging.getLogger(__name__)

#: ``sink(kind, label, grid)``; kind in {"cur", "volt"}, label e.g. "1_2", "3" or "".
MapSink = Callable[[str, str, np.ndarray], None]


@dataclass
class GridOptions:
    """Graph and solver options shared by the raster scenarios."""

    four_neighbors: bool = False
    avg_resistances: bool = False
    solver: str = "auto"
    write_cur_maps: bool = False
    write_volt_maps: bool = False
    write_max: bool = False
    cum_only: bool = False
    #: zero the current of the pair's own focal cells in pairwise maps (Circuitscape 4
    #: ``set_focal_node_currents_to_zero``)
    zero_focal_currents: bool = False


@dataclass
class Focal:
    """Focal nodes: sorted ids and their cells (empty arrays = outside the grid)."""

    ids: list[int]
    cells: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def has_regions(self) -> bool:
        """True when at least one id covers more than one cell."""
        return any(len(set(zip(r.tolist(), c.tolist(), strict=True))) > 1
                   for r, c in self.cells.values() if len(r) > 1)


def node_to_grid(nodemap: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Spread node values to their cells (0 for cells that are not nodes)."""
    out = np.zeros(nodemap.shape)
    m = nodemap >= 0
    out[m] = values[nodemap[m]]
    return out


class Accum:
    def __init__(self, shape: tuple[int, ...], want_max: bool) -> None:
        self.cum = np.zeros(shape)
        self.max = np.zeros(shape) if want_max else None
        self.n = 0

    def add(self, cur: np.ndarray) -> None:
        self.cum += cur
        if self.max is not None:
            np.maximum(self.max, cur, out=self.max)
        self.n += 1


def component_laplacian(graph: CircuitGraph, nodes: np.ndarray):
    W = graph.adjacency[nodes][:, nodes]
    import scipy.sparse as sp

    deg = np.asarray(W.sum(axis=1)).ravel()
    return (sp.diags(deg) - W).tocsr()


def pair_current_maps(graph: CircuitGraph, edges, v_full: np.ndarray, opts: GridOptions,
               label: str, sink: MapSink | None, acc: Accum | None,
               zero_cells: list | None = None) -> None:
    i, j, w = edges
    assert graph.nodemap is not None  # raster-mode graph (build_graph)
    _, node_cur = branch_and_node_currents(i, j, w, v_full)
    cur = node_to_grid(graph.nodemap, node_cur)
    for cells in zero_cells or []:
        cur[cells] = 0.0
    if acc is not None:
        acc.add(cur)
    if sink is not None:
        if opts.write_cur_maps and not opts.cum_only:
            sink("cur", label, cur)
        if opts.write_volt_maps:
            sink("volt", label, node_to_grid(graph.nodemap, v_full))


def warn_invalid(ids: list[int], why: str) -> None:
    if ids:
        msg = (f"focal node(s) {', '.join(map(str, ids))} {why}; their resistances are "
               f"reported as -1 (as Circuitscape does).")
        logger.debug(msg)
        warnings.warn(msg, CamigeoWarning, stacklevel=4)


def focal_node_ids(graph: CircuitGraph, focal: Focal) -> np.ndarray:
    """Graph node of each focal point (-1 if on nodata/outside; those are warned about)."""
    k = len(focal.ids)
    nodes = np.full(k, -1, dtype=np.int64)
    assert graph.nodemap is not None  # raster-mode graph (build_graph)
    for a, fid in enumerate(focal.ids):
        rr, cc = focal.cells[fid]
        if len(rr):
            nodes[a] = graph.nodemap[rr[0], cc[0]]
    warn_invalid([focal.ids[a] for a in range(k) if nodes[a] < 0],
                  "fall on nodata cells or outside the grid")
    return nodes


@dataclass
class _PairComponent:
    """One connected component with pairs to solve between distinct focal nodes."""

    comp: int  # component label
    whole: bool  # the graph has a single component (comp_nodes is every node)
    members: np.ndarray  # focal positions inside the component
    uniq_nodes: np.ndarray  # distinct graph nodes of those focal points (sorted)
    comp_nodes: np.ndarray  # graph nodes of the component
    local: np.ndarray  # graph node -> index within the component (-1 outside)
    L: object  # component Laplacian (sparse)
    ground: int  # local index of the grounded node (uniq_nodes[0])

    def local_edges(self, graph: CircuitGraph, edges):
        """``graph.edges()`` restricted to this component, in local node indices."""
        ei, ej, ew = edges
        if not self.whole:
            em = graph.labels[ei] == self.comp
            ei, ej, ew = self.local[ei[em]], self.local[ej[em]], ew[em]
        return ei, ej, ew


def pair_components(graph: CircuitGraph, nodes: np.ndarray, include: np.ndarray,
                     R: np.ndarray) -> Iterator[_PairComponent]:
    """Per-component setup shared by :func:`pairwise_grid` and the Dask pairwise path.

    Skips components without an included pair, writes ``R = 0`` for included pairs whose
    focal points share one node (components with a single distinct node), and yields the
    rest with their local indexing, Laplacian and ground node.
    """
    n_all = graph.n_nodes
    valid = np.flatnonzero(nodes >= 0)
    labels = graph.labels[nodes[valid]] if valid.size else np.zeros(0, dtype=np.int64)
    for comp in np.unique(labels):
        members = valid[labels == comp]
        # pairs to solve in this component
        sub = include[np.ix_(members, members)]
        if not np.any(np.triu(sub, 1)):
            continue
        uniq_nodes = np.unique(nodes[members])
        if uniq_nodes.size == 1:
            for a in members:
                for b in members:
                    if a != b and include[a, b]:
                        R[a, b] = 0.0
            continue
        whole = graph.labels.max() == 0
        comp_nodes = np.arange(n_all) if whole else np.flatnonzero(graph.labels == comp)
        local = np.full(n_all, -1, dtype=np.int64)
        local[comp_nodes] = np.arange(comp_nodes.size)
        L = graph.laplacian() if whole else component_laplacian(graph, comp_nodes)
        yield _PairComponent(comp=comp, whole=whole, members=members, uniq_nodes=uniq_nodes,
                             comp_nodes=comp_nodes, local=local, L=L,
                             ground=int(local[uniq_nodes[0]]))


def pairwise_grid(
    g: np.ndarray,
    polymap: np.ndarray | None,
    focal: Focal,
    *,
    include: np.ndarray | None = None,
    opts: GridOptions | None = None,
    sink: MapSink | None = None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Pairwise effective resistances (and maps) on a conductance grid.

    Parameters
    ----------
    g : numpy.ndarray
        Cell conductances.
    polymap : numpy.ndarray or None
        Short-circuit region ids.
    focal : Focal
    include : numpy.ndarray of bool, optional
        ``k x k`` pairs to solve (others report -1).
    opts : GridOptions
    sink : callable, optional
        Receives per-pair maps.

    Returns
    -------
    (R, cum, max)
        ``k x k`` resistance matrix (-1 = not solved), cumulative and maximum current grids
        (None when maps are not asked for).
    """
    opts = opts or GridOptions()
    k = len(focal.ids)
    R = -np.ones((k, k))
    np.fill_diagonal(R, 0.0)
    if include is None:
        include = np.ones((k, k), dtype=bool)
    want_maps = opts.write_cur_maps or opts.write_volt_maps
    acc = Accum(g.shape, opts.write_max) if opts.write_cur_maps else None
    if focal.has_regions:
        _pairwise_regions(g, polymap, focal, include, opts, sink, acc, R)
    else:
        graph = build_graph(g, node_map(g, polymap), four_neighbors=opts.four_neighbors,
                            avg_resistances=opts.avg_resistances)
        assert graph.nodemap is not None  # raster-mode graph (build_graph)
        nodes = focal_node_ids(graph, focal)
        edges = graph.edges() if want_maps else None
        n_all = graph.n_nodes
        cum_nodes = np.zeros(n_all) if opts.write_cur_maps else None
        max_nodes = np.zeros(n_all) if opts.write_max else None
        for pc in pair_components(graph, nodes, include, R):
            members, uniq_nodes, comp_nodes = pc.members, pc.uniq_nodes, pc.comp_nodes
            local, L, ground = pc.local, pc.L, pc.ground
            inject = [int(local[u]) for u in uniq_nodes]
            # without maps only the focal rows of G are kept (memory k x k, not n x k)
            G, _ = grounded_potentials(L, ground, inject, solver=opts.solver,
                                       rows=None if want_maps else inject)
            col = {int(u): c for c, u in enumerate(uniq_nodes)}
            Gff = G[[int(local[u]) for u in uniq_nodes]] if want_maps else G
            Rn = pair_resistances(Gff)
            if want_maps:
                ei, ej, ew = pc.local_edges(graph, edges)
            for ia, a in enumerate(members):
                for b in members[ia + 1:]:
                    if not (include[a, b] or include[b, a]):
                        continue
                    ca, cb = col[int(nodes[a])], col[int(nodes[b])]
                    R[a, b] = R[b, a] = Rn[ca, cb]
                    if not want_maps or ca == cb:
                        continue
                    label = f"{focal.ids[a]}_{focal.ids[b]}"
                    if cum_nodes is not None and opts.zero_focal_currents:
                        cur = pair_node_currents(ei, ej, ew, G[:, cb], G[:, ca])
                        full = np.zeros(n_all)
                        full[comp_nodes] = cur
                        grid = node_to_grid(graph.nodemap, full)
                        for f_ in (focal.ids[a], focal.ids[b]):
                            grid[focal.cells[f_]] = 0.0
                        assert acc is not None  # made whenever cum_nodes is (write_cur_maps)
                        acc.add(grid)
                        if sink is not None and not opts.cum_only:
                            sink("cur", label, grid)
                    elif cum_nodes is not None:
                        cur = pair_node_currents(ei, ej, ew, G[:, cb], G[:, ca])
                        cum_nodes[comp_nodes] += cur
                        if max_nodes is not None:
                            max_nodes[comp_nodes] = np.maximum(max_nodes[comp_nodes], cur)
                        if sink is not None and not opts.cum_only:
                            full = np.zeros(n_all)
                            full[comp_nodes] = cur
                            sink("cur", label, node_to_grid(graph.nodemap, full))
                    if sink is not None and opts.write_volt_maps:
                        vloc = G[:, cb] - G[:, ca]
                        full = np.zeros(n_all)
                        full[comp_nodes] = vloc - vloc[local[nodes[a]]]
                        sink("volt", label, node_to_grid(graph.nodemap, full))
        if cum_nodes is not None and not opts.zero_focal_currents:
            return (R, node_to_grid(graph.nodemap, cum_nodes),
                    node_to_grid(graph.nodemap, max_nodes) if max_nodes is not None else None)
    cum = acc.cum if acc is not None else None
    mx = acc.max if acc is not None else None
    return R, cum, mx


def _pairwise_regions(g, polymap, focal, include, opts, sink, acc, R) -> None:
    """Focal regions: one graph per pair with both regions short-circuited."""
    k = len(focal.ids)
    want_maps = opts.write_cur_maps or opts.write_volt_maps
    empty = [focal.ids[a] for a in range(k) if len(focal.cells[focal.ids[a]][0]) == 0]
    warn_invalid(empty, "lie outside the grid")
    for a in range(k):
        for b in range(a + 1, k):
            if not (include[a, b] or include[b, a]):
                continue
            ca = focal.cells[focal.ids[a]]
            cb = focal.cells[focal.ids[b]]
            if len(ca[0]) == 0 or len(cb[0]) == 0:
                continue
            newpoly = merge_regions(polymap, g.shape, [ca, cb])
            nm = node_map(g, newpoly)
            graph = build_graph(g, nm, four_neighbors=opts.four_neighbors,
                                avg_resistances=opts.avg_resistances)
            na = int(nm[ca[0][0], ca[1][0]])
            nb = int(nm[cb[0][0], cb[1][0]])
            if na == nb:
                R[a, b] = R[b, a] = 0.0
                continue
            if graph.labels[na] != graph.labels[nb]:
                continue
            comp_nodes = np.flatnonzero(graph.labels == graph.labels[na])
            local = np.full(graph.n_nodes, -1, dtype=np.int64)
            local[comp_nodes] = np.arange(comp_nodes.size)
            L = component_laplacian(graph, comp_nodes)
            G, _ = grounded_potentials(L, int(local[na]), [int(local[nb])],
                                       solver=opts.solver)
            vloc = G[:, 0]
            R[a, b] = R[b, a] = float(vloc[local[nb]])
            if want_maps:
                v_full = np.zeros(graph.n_nodes)
                v_full[comp_nodes] = vloc
                label = f"{focal.ids[a]}_{focal.ids[b]}"
                zero = ([focal.cells[focal.ids[a]], focal.cells[focal.ids[b]]]
                        if opts.zero_focal_currents else [])
                pair_current_maps(graph, graph.edges(), v_full, opts, label, sink, acc, zero)


def _cells_to_nodes(nm: np.ndarray, grid_vals: np.ndarray, n: int, *,
                    how: str = "sum") -> np.ndarray:
    m = (nm >= 0) & (grid_vals != 0)
    out = np.zeros(n)
    if how == "sum":
        np.add.at(out, nm[m], grid_vals[m])
    else:
        out[nm[m]] = grid_vals[m]
    return out


def one_to_all_grid(
    g: np.ndarray,
    polymap: np.ndarray | None,
    focal: Focal,
    *,
    strengths: dict[int, float] | None = None,
    include: np.ndarray | None = None,
    all_to_one: bool = False,
    opts: GridOptions | None = None,
    sink: MapSink | None = None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """One-to-all (or all-to-one) runs through the advanced-mode kernel.

    One-to-all: for each focal node ``k``, ``strength_k`` amperes enter at ``k`` and every
    other focal node is a direct ground (a ground on the source node is removed);
    ``R_k = v_k / strength_k``. All-to-one: ``k`` is the only direct ground and every other
    focal node injects its strength (a source on the ground node is removed); the returned
    value is 0 when solved and -1 otherwise (a placeholder, as in Circuitscape).
    With ``include`` (a ``k x k`` boolean matrix of included pairs), only the included
    partners of ``k`` act as grounds (one-to-all) or sources (all-to-one), as in
    Circuitscape.jl; a node without partners reports -1.

    Returns
    -------
    (values, cum, max)
    """
    opts = opts or GridOptions()
    strengths = strengths or {}
    k = len(focal.ids)
    res = -np.ones(k)
    acc = Accum(g.shape, opts.write_max) if opts.write_cur_maps else None
    # Focal regions (and the short-circuit regions they touch) are merged into one node
    # each, in ascending id order; the graph is then the same for every run.
    poly_used = polymap
    if focal.has_regions:
        poly_used = merge_regions(polymap, g.shape,
                                  [focal.cells[f] for f in focal.ids if len(focal.cells[f][0])])
    nm = node_map(g, poly_used)
    graph = build_graph(g, nm, four_neighbors=opts.four_neighbors,
                        avg_resistances=opts.avg_resistances)
    bad = [fid for fid in focal.ids
           if len(focal.cells[fid][0]) == 0
           or nm[focal.cells[fid][0][0], focal.cells[fid][1][0]] < 0]
    warn_invalid(bad, "fall on nodata cells or outside the grid")
    id_node = {fid: (int(nm[focal.cells[fid][0][0], focal.cells[fid][1][0]])
                     if len(focal.cells[fid][0]) else -1) for fid in focal.ids}
    L = graph.laplacian()
    edges = graph.edges() if (opts.write_cur_maps or opts.write_volt_maps) else None
    for a, fid in enumerate(focal.ids):
        rr, cc = focal.cells[fid]
        if len(rr) == 0:
            continue
        node_k = int(nm[rr[0], cc[0]])
        if node_k < 0:
            continue
        strength = float(strengths.get(fid, 1.0))
        n = graph.n_nodes
        partners = [oid for b, oid in enumerate(focal.ids) if oid != fid and (
            include is None or include[a, b] or include[b, a])]
        if not partners:
            continue
        # Sources and grounds are given per focal id (a region counts once); several ids
        # on one node add up.
        sources = np.zeros(n)
        grounds = np.zeros(n)
        if not all_to_one:
            sources[node_k] += strength
            for oid in partners:
                if id_node[oid] >= 0:
                    grounds[id_node[oid]] = np.inf
            policy = "rmvgnd"
        else:
            # Every other focal node injects; with included pairs Circuitscape gives the
            # variable strength only to the included partners of k and 1 A to the others.
            for oid in focal.ids:
                if oid != fid and id_node[oid] >= 0:
                    sources[id_node[oid]] += (float(strengths.get(oid, 1.0))
                                              if oid in partners else 1.0)
            grounds[node_k] = np.inf
            policy = "rmvsrc"
        comp = graph.labels[node_k]
        # only the component of k matters for this run
        in_comp = graph.labels == comp
        sources = np.where(in_comp, sources, 0.0)
        grounds = np.where(in_comp, grounds, 0.0)
        v, solved, _, gg = advanced_solve(L, graph.labels, sources, grounds, policy=policy,
                                          solver=opts.solver)
        if not solved[node_k]:
            continue
        res[a] = 0.0 if all_to_one else v[node_k] / strength
        if edges is not None:
            i, j, w = edges
            fin = np.where(np.isinf(gg), 0.0, gg)
            _, node_cur = branch_and_node_currents(i, j, w, v, ground_conductance=fin)
            cur = node_to_grid(nm, node_cur)
            if acc is not None:
                acc.add(cur)
            if sink is not None:
                if opts.write_cur_maps and not opts.cum_only:
                    sink("cur", str(fid), cur)
                if opts.write_volt_maps:
                    sink("volt", str(fid), node_to_grid(nm, v))
    cum = acc.cum if acc is not None else None
    mx = acc.max if acc is not None else None
    return res, cum, mx


def advanced_grid(
    g: np.ndarray,
    polymap: np.ndarray | None,
    source_grid: np.ndarray,
    ground_cond_grid: np.ndarray,
    *,
    policy: str = "keepall",
    opts: GridOptions | None = None,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Advanced mode on a grid.

    Parameters
    ----------
    g : numpy.ndarray
        Cell conductances.
    polymap : numpy.ndarray or None
    source_grid : numpy.ndarray
        Amperes per cell (summed per node).
    ground_cond_grid : numpy.ndarray
        Ground conductance per cell (``inf`` = direct ground; summed per node).
    policy : str
        Source/ground conflict rule.
    opts : GridOptions

    Returns
    -------
    (voltage grid, current grid, anything_solved)
    """
    opts = opts or GridOptions()
    nm = node_map(g, polymap)
    graph = build_graph(g, nm, four_neighbors=opts.four_neighbors,
                        avg_resistances=opts.avg_resistances)
    n = graph.n_nodes
    sources = _cells_to_nodes(nm, source_grid, n)
    grounds = _cells_to_nodes(nm, ground_cond_grid, n)
    v, solved, _, gg = advanced_solve(graph.laplacian(), graph.labels, sources, grounds,
                                      policy=policy, solver=opts.solver)
    i, j, w = graph.edges()
    fin = np.where(np.isinf(gg), 0.0, gg)
    _, node_cur = branch_and_node_currents(i, j, w, v, ground_conductance=fin)
    return node_to_grid(nm, v), node_to_grid(nm, node_cur), bool(solved.any())


@dataclass
class NetworkPairResult:
    """Per-pair network solution (node indices are internal)."""

    a: int
    b: int
    voltages: np.ndarray
    node_currents: np.ndarray
    branch_currents: np.ndarray
    comp_nodes: np.ndarray | None = None  # graph nodes of the solved component


def pairwise_network(
    graph: CircuitGraph,
    focal_nodes: list[int],
    *,
    solver: str = "auto",
    want_maps: bool = False,
    include: np.ndarray | None = None,
) -> tuple[np.ndarray, list[NetworkPairResult]]:
    """Pairwise resistances on a graph; ``focal_nodes`` are internal indices (-1 = absent).

    Returns
    -------
    (R, per_pair)
    """
    k = len(focal_nodes)
    R = -np.ones((k, k))
    np.fill_diagonal(R, 0.0)
    if include is None:
        include = np.ones((k, k), dtype=bool)
    nodes = np.asarray(focal_nodes, dtype=np.int64)
    out: list[NetworkPairResult] = []
    edges = graph.edges() if want_maps else None
    valid = np.flatnonzero(nodes >= 0)
    labels = graph.labels[nodes[valid]]
    for comp in np.unique(labels):
        members = valid[labels == comp]
        uniq = np.unique(nodes[members])
        comp_nodes = np.flatnonzero(graph.labels == comp)
        local = np.full(graph.n_nodes, -1, dtype=np.int64)
        local[comp_nodes] = np.arange(comp_nodes.size)
        if uniq.size > 1:
            L = component_laplacian(graph, comp_nodes)
            G, _ = grounded_potentials(L, int(local[uniq[0]]), [int(local[u]) for u in uniq],
                                       solver=solver)
            Rn = pair_resistances(G[[int(local[u]) for u in uniq]])
        else:
            G = np.zeros((comp_nodes.size, 1))
            Rn = np.zeros((1, 1))
        col = {int(u): c for c, u in enumerate(uniq)}
        for ia, a in enumerate(members):
            for b in members[ia + 1:]:
                if not (include[a, b] or include[b, a]):
                    continue
                ca, cb = col[int(nodes[a])], col[int(nodes[b])]
                R[a, b] = R[b, a] = Rn[ca, cb]
                if want_maps:
                    v = np.zeros(graph.n_nodes)
                    vloc = G[:, cb] - G[:, ca]
                    v[comp_nodes] = vloc - vloc[local[nodes[a]]]
                    assert edges is not None  # set whenever want_maps
                    i, j, w = edges
                    bc, nc = branch_and_node_currents(i, j, w, v)
                    out.append(NetworkPairResult(int(a), int(b), v, nc, bc, comp_nodes))
    return R, out


def advanced_network(
    graph: CircuitGraph,
    sources: np.ndarray,
    grounds: np.ndarray,
    *,
    policy: str = "keepall",
    solver: str = "auto",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Advanced mode on a graph: returns voltages, node currents, signed branch currents."""
    v, _, _, gg = advanced_solve(graph.laplacian(), graph.labels, sources, grounds,
                                 policy=policy, solver=solver)
    i, j, w = graph.edges()
    fin = np.where(np.isinf(gg), 0.0, gg)
    bc, nc = branch_and_node_currents(i, j, w, v, ground_conductance=fin)
    return v, nc, bc

