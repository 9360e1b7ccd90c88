"""Raster -> conductance graph exactly as Circuitscape 5 builds it.

The steps follow Circuitscape.jl (``construct_node_map`` / ``construct_graph``):

1. conductance grid: ``g = 1/R`` (or the value itself for conductance grids); NODATA, masked
   cells and a conductance of 0 give ``g = 0``;
2. node map: every cell with ``g > 0`` is a node; cells sharing a non-zero short-circuit
   (polygon) id are merged into one node, *including* cells with ``g = 0`` inside the
   polygon; node ids are consecutive;
3. edges to the right and below (and, with 8 neighbours, lower-right and upper-right); the
   weight is the average conductance ``(g1+g2)/2`` or the conductance of the average
   resistance ``2 g1 g2/(g1+g2)``; diagonal weights are divided by ``sqrt(2)``; there is no
   cell-size factor. Edges inside one merged node are dropped; parallel edges between two
   merged nodes add up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .._errors import CamigeoError

__all__ = [
    "CircuitGraph",
    "conductance_grid",
    "node_map",
    "build_graph",
    "graph_from_grid",
    "graph_from_edges",
    "merge_regions",
]

logger = logging.getLogger(__name__)


@dataclass
class CircuitGraph:
    """A weighted undirected graph of conductances plus the cell -> node lookup.

    Attributes
    ----------
    adjacency : scipy.sparse.csr_matrix
        Symmetric ``n x n`` matrix of branch conductances (siemens), zero diagonal.
    nodemap : numpy.ndarray or None
        ``int64`` grid, node index per cell, ``-1`` for cells that are not nodes (raster
        mode only).
    labels : numpy.ndarray
        Connected-component label of every node.
    node_ids : numpy.ndarray or None
        External node ids (network mode), ``node_ids[k]`` is the id of node ``k``.
    """

    adjacency: sp.csr_matrix
    nodemap: np.ndarray | None = None
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    node_ids: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.labels.size != self.n_nodes:
            if self.n_nodes == 0:
                self.labels = np.zeros(0, dtype=np.int64)
            else:
                _, lab = connected_components(self.adjacency, directed=False)
                self.labels = lab.astype(np.int64)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.adjacency.shape[0])

    def edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Upper-triangle edge list ``(i, j, w)`` with ``i < j``."""
        upper = sp.triu(self.adjacency, k=1).tocoo()
        return upper.row.astype(np.int64), upper.col.astype(np.int64), upper.data

    def laplacian(self) -> sp.csr_matrix:
        """Graph Laplacian ``L = D - W`` (CSR)."""
        deg = np.asarray(self.adjacency.sum(axis=1)).ravel()
        return (sp.diags(deg) - self.adjacency).tocsr()


def conductance_grid(
    values: np.ndarray,
    valid: np.ndarray,
    *,
    is_resistance: bool = True,
    name: str = "resistance",
) -> np.ndarray:
    """Cell conductances from a resistance or conductance grid.

    Parameters
    ----------
    values : numpy.ndarray
        Resistances (ohm) or conductances (siemens) per cell.
    valid : numpy.ndarray of bool
        Cells holding data (not NODATA, not masked).
    is_resistance : bool, default True
        ``values`` are resistances (``g = 1/R``); otherwise conductances.
    name : str
        Name used in error messages.

    Returns
    -------
    numpy.ndarray
        ``float64`` conductances, 0 where the cell is not part of the graph.

    Raises
    ------
    CamigeoError
        Negative values, NaN inside valid cells, or a resistance of 0 (Circuitscape refuses
        it too: use short-circuit regions for zero resistance).
    """
    vals = np.asarray(values, dtype=np.float64)
    valid = np.asarray(valid, dtype=bool) & ~np.isnan(vals)
    v = vals[valid]
    if v.size and np.any(v < 0):
        k = int(np.count_nonzero(v < 0))
        raise CamigeoError(
            f"{name}: {k} cell(s) hold negative values (min {v.min():g}); resistances and "
            f"conductances must be >= 0. Set impassable cells to nodata instead."
        )
    if v.size and np.any(np.isinf(v)) and not is_resistance:
        raise CamigeoError(
            f"{name}: infinite conductances are not allowed; use short-circuit "
            f"regions (polygons) for zero resistance."
        )
    g = np.zeros(vals.shape, dtype=np.float64)
    if is_resistance:
        if v.size and np.any(v == 0):
            k = int(np.count_nonzero(v == 0))
            raise CamigeoError(
                f"{name}: {k} cell(s) have a resistance of 0, which Circuitscape does not "
                f"allow. Use short-circuit regions (polygons) for zero resistance, or set "
                f"a small positive value."
            )
        with np.errstate(divide="ignore"):
            g[valid] = 1.0 / v  # R = inf -> g = 0 (impassable)
    else:
        g[valid] = v
    return g


def node_map(g: np.ndarray, polymap: np.ndarray | None = None) -> np.ndarray:
    """Cell -> node index (``-1`` = no node), merging short-circuit regions.

    Parameters
    ----------
    g : numpy.ndarray
        Cell conductances (0 = not a node unless inside a region).
    polymap : numpy.ndarray, optional
        Integer region ids, 0 = no region.

    Returns
    -------
    numpy.ndarray
        ``int64`` node index per cell, consecutive from 0 in row-major order of each
        node's first cell.
    """
    flat_g = g.ravel()
    nodemap = np.full(flat_g.shape, -1, dtype=np.int64)
    if polymap is None or not np.any(polymap):
        active = flat_g > 0
        nodemap[active] = np.arange(int(active.sum()), dtype=np.int64)
        return nodemap.reshape(g.shape)
    poly = np.asarray(polymap).ravel()
    active = (flat_g > 0) | (poly != 0)
    keys = np.arange(flat_g.size, dtype=np.int64)
    inpoly = poly != 0
    pvals = poly[inpoly]
    uniq, first, inv = np.unique(pvals, return_index=True, return_inverse=True)
    poly_cells = np.flatnonzero(inpoly)
    keys[inpoly] = poly_cells[first][inv]
    _, ids = np.unique(keys[active], return_inverse=True)
    nodemap[active] = ids
    return nodemap.reshape(g.shape)


def _edge_weights(g1: np.ndarray, g2: np.ndarray, avg_resistances: bool) -> np.ndarray:
    if avg_resistances:
        s = g1 + g2
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where((g1 > 0) & (g2 > 0), 2.0 * g1 * g2 / np.where(s > 0, s, 1.0), 0.0)
        return w
    return (g1 + g2) / 2.0


def build_graph(
    g: np.ndarray,
    nodemap: np.ndarray,
    *,
    four_neighbors: bool = False,
    avg_resistances: bool = False,
) -> CircuitGraph:
    """Conductance graph of a grid (Circuitscape ``construct_graph``).

    Parameters
    ----------
    g : numpy.ndarray
        Cell conductances.
    nodemap : numpy.ndarray
        Output of :func:`node_map`.
    four_neighbors : bool, default False
        Connect only the 4 orthogonal neighbours (otherwise 8).
    avg_resistances : bool, default False
        Weight = conductance of the mean resistance ``2 g1 g2/(g1+g2)``; otherwise the mean
        conductance ``(g1+g2)/2``. Diagonal weights are divided by ``sqrt(2)``.

    Returns
    -------
    CircuitGraph
    """
    n = int(nodemap.max()) + 1 if nodemap.size else 0
    rows_a: list[np.ndarray] = []
    rows_b: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    shifts = [((0, 0), (0, 1), 1.0), ((0, 0), (1, 0), 1.0)]
    if not four_neighbors:
        shifts += [((0, 0), (1, 1), np.sqrt(2.0)), ((1, 0), (0, 1), np.sqrt(2.0))]
    nr, nc = nodemap.shape
    for (r1, c1), (r2, c2), div in shifts:
        dr = abs(r2 - r1)
        dc = abs(c2 - c1)
        h = nr - dr
        w_ = nc - dc
        if h <= 0 or w_ <= 0:
            continue
        a = nodemap[r1:r1 + h, c1:c1 + w_].ravel()
        b = nodemap[r2:r2 + h, c2:c2 + w_].ravel()
        keep = (a >= 0) & (b >= 0) & (a != b)
        if not keep.any():
            continue
        ga = g[r1:r1 + h, c1:c1 + w_].ravel()[keep]
        gb = g[r2:r2 + h, c2:c2 + w_].ravel()[keep]
        wt = _edge_weights(ga, gb, avg_resistances)
        if div != 1.0:
            wt = wt / div
        pos = wt > 0
        rows_a.append(a[keep][pos])
        rows_b.append(b[keep][pos])
        weights.append(wt[pos])
    if weights:
        ia = np.concatenate(rows_a)
        ib = np.concatenate(rows_b)
        ww = np.concatenate(weights)
    else:
        ia = ib = np.zeros(0, dtype=np.int64)
        ww = np.zeros(0)
    adj = sp.coo_matrix((np.concatenate([ww, ww]), (np.concatenate([ia, ib]),
                                                     np.concatenate([ib, ia]))),
                        shape=(n, n)).tocsr()
    adj.sum_duplicates()
    return CircuitGraph(adjacency=adj, nodemap=nodemap)


def graph_from_grid(
    g: np.ndarray,
    polymap: np.ndarray | None = None,
    *,
    four_neighbors: bool = False,
    avg_resistances: bool = False,
) -> CircuitGraph:
    """Node map and graph in one call (see :func:`node_map` and :func:`build_graph`)."""
    nm = node_map(g, polymap)
    return build_graph(g, nm, four_neighbors=four_neighbors, avg_resistances=avg_resistances)


def graph_from_edges(
    i: np.ndarray,
    j: np.ndarray,
    value: np.ndarray,
    *,
    is_resistance: bool = True,
) -> CircuitGraph:
    """Graph from an edge list of arbitrary node ids (Circuitscape network mode).

    Parameters
    ----------
    i, j : array-like
        End node ids of each edge.
    value : array-like
        Edge resistance (ohm) or conductance (siemens).
    is_resistance : bool, default True

    Returns
    -------
    CircuitGraph
        With ``node_ids`` holding the sorted unique ids.
    """
    i = np.asarray(i)
    j = np.asarray(j)
    v = np.asarray(value, dtype=np.float64)
    if v.size and (np.any(np.isnan(v)) or np.any(v < 0)):
        raise CamigeoError(
            "network edges: edge values must be non-negative numbers; got "
            f"{int(np.count_nonzero(np.isnan(v) | (v < 0)))} negative or NaN value(s)."
        )
    if is_resistance:
        if np.any(v == 0):
            raise CamigeoError(
                "network edges: an edge resistance of 0 is not allowed (infinite conductance)"
                "; merge the two nodes instead or use a small positive resistance."
            )
        w = 1.0 / v
    else:
        w = v
    ids, inv = np.unique(np.concatenate([i, j]), return_inverse=True)
    a = inv[: i.size]
    b = inv[i.size:]
    keep = (a != b) & (w > 0)
    a, b, w = a[keep], b[keep], w[keep]
    n = ids.size
    adj = sp.coo_matrix((np.concatenate([w, w]), (np.concatenate([a, b]),
                                                   np.concatenate([b, a]))),
                        shape=(n, n)).tocsr()
    adj.sum_duplicates()
    return CircuitGraph(adjacency=adj, node_ids=ids)


def merge_regions(polymap: np.ndarray | None, shape: tuple[int, int],
                  regions: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Merge each focal region into a new short-circuit region (``create_new_polymap``).

    Each region (tuple of row and column index arrays) becomes a new region id; any existing
    region it touches is absorbed into it. Regions are applied in order, so a later region
    that touches an earlier one absorbs it too (both then share one node).

    Parameters
    ----------
    polymap : numpy.ndarray or None
        Existing region ids (0 = none).
    shape : (rows, cols)
    regions : list of (rows, cols) index arrays

    Returns
    -------
    numpy.ndarray
        ``int64`` region map.
    """
    new = np.zeros(shape, dtype=np.int64) if polymap is None else np.asarray(
        polymap, dtype=np.int64).copy()
    for rr, cc in regions:
        newid = int(new.max()) + 1 if new.size else 1
        existing = np.unique(new[rr, cc])
        existing = existing[existing != 0]
        if existing.size:
            new[np.isin(new, existing)] = newid
        new[rr, cc] = newid
    return new
