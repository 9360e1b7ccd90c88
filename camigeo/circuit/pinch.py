"""Linkage Mapper's Pinchpoint Mapper and Centrality Mapper on the camigeo circuit engine.

* :func:`pinch_points`: Circuitscape on the resistance grid clipped to the least-cost
  corridors (normalised least-cost corridor value ``NLCC <= cutoff``), with the cores as
  focal regions. ``mode="pairwise"`` solves each core pair (1 A between the two cores) and
  keeps the cell-wise **maximum** current over pairs plus the sum; ``mode="all-to-one"``
  grounds each core in turn with 1 A injected at every other core and sums the maps.
* :func:`link_centrality`: current-flow centrality of a core/link graph: 1 A between
  every pair of cores, link resistance = ``cw_dist``; the centrality of a link is the sum
  over pairs of the absolute current through it, that of a core the sum of its
  Circuitscape node currents (Linkage Mapper's Centrality Mapper runs Circuitscape network
  mode pairwise and reads the cumulative branch and node currents the same way).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._errors import CamigeoError
from ..io.raster import Raster, as_raster
from .engine import GridOptions, one_to_all_grid, pairwise_grid, pairwise_network
from .graph import conductance_grid, graph_from_edges
from .kernels import pair_include, parse_focal

__all__ = ["PinchPointResult", "pinch_points", "link_centrality"]

logger = logging.getLogger(__name__)


@dataclass
class PinchPointResult:
    """Output of :func:`pinch_points`.

    Attributes
    ----------
    current : Raster
        Pairwise mode: cell-wise maximum current over core pairs (amperes); all-to-one:
        cumulative current. Cells outside the clipped corridors are 0.
    cumulative : Raster
        Sum of the current maps over all runs.
    resistances : pandas.DataFrame
        Pairwise: columns core_a, core_b, eff_resistance (ohm, -1 = not connected inside
        the clipped corridors). All-to-one: empty.
    """

    current: Raster
    cumulative: Raster
    resistances: pd.DataFrame


def pinch_points(
    corridors: Raster | str | os.PathLike[str],
    resistance: Raster | str | os.PathLike[str],
    cores: Any,
    *,
    cutoff: float,
    mode: str = "pairwise",
    pairs: list[tuple[int, int]] | None = None,
    four_neighbors: bool = False,
    avg_resistances: bool = True,
    solver: str = "auto",
    scheduler: Any = None,
) -> PinchPointResult:
    """Pinch points: circuit current inside least-cost corridors (Linkage Mapper).

    Parameters
    ----------
    corridors : Raster or path
        Normalised least-cost corridor values (NLCC, in cost-distance units; the output of
        :func:`camigeo.corridors.normalized_corridors`). Nodata = not in any corridor.
    resistance : Raster or path
        Resistance grid on the same grid (ohm per cell).
    cores : Raster, array or GeoDataFrame
        Core areas with positive integer ids (GeoDataFrame column ``core_id`` or ``id``);
        used as focal regions.
    cutoff : float
        Corridor width cutoff in NLCC units: cells with ``NLCC <= cutoff`` are kept (core
        cells are always kept).
    mode : {"pairwise", "all-to-one"}
    pairs : list of (core, core), optional
        Core pairs to solve in pairwise mode (default: all pairs).
    four_neighbors : bool, default False
    avg_resistances : bool, default True
        Linkage Mapper calls Circuitscape with average resistances (its default).
    solver : str
    scheduler : None, "synchronous", "threads", "processes", "client" or Client, optional
        None (default): single machine. Otherwise, in pairwise mode, each core pair (its
        own graph with both cores short-circuited) is one Dask task; same resistances
        (1e-9) and maps up to summation order. See docs/scaling.md.

    Returns
    -------
    PinchPointResult
    """
    if mode not in ("pairwise", "all-to-one"):
        raise CamigeoError(f"pinch_points: mode={mode!r}; expected 'pairwise' or 'all-to-one'.")
    if not np.isfinite(cutoff) or cutoff < 0:
        raise CamigeoError(f"pinch_points: cutoff must be a finite number >= 0; got {cutoff}.")
    nl = as_raster(corridors, name="corridors")
    res = as_raster(resistance, name="resistance")
    if nl.shape != res.shape:
        raise CamigeoError(f"corridors grid {nl.shape} and resistance grid {res.shape} differ;"
                           f" give them on the same grid.")
    if isinstance(cores, pd.DataFrame) and "core_id" in cores.columns and "id" not in cores:
        cores = cores.rename(columns={"core_id": "id"})
    focal = parse_focal(cores, res)
    nlv = nl.masked_float()
    keep = ~np.isnan(nlv) & (nlv <= cutoff)
    for fid in focal.ids:
        rr, cc = focal.cells[fid]
        keep[rr, cc] = True
    vals = res.masked_float()
    valid = res.valid & keep & ~np.isnan(vals)
    g = conductance_grid(np.nan_to_num(vals, nan=0.0), valid, is_resistance=True,
                         name="resistance")
    opts = GridOptions(four_neighbors=four_neighbors, avg_resistances=avg_resistances,
                       solver=solver, write_cur_maps=True, write_max=mode == "pairwise")
    if mode == "pairwise":
        inc = pair_include(focal.ids, pairs, None) if pairs is not None else None
        if scheduler is None:
            R, cum, mx = pairwise_grid(g, None, focal, include=inc, opts=opts)
        else:  # Dask: one task per core pair (issue 8)
            from ..scale import distributed_twin
            pairwise_grid_dask = distributed_twin("circuit.pairwise_grid_dask")

            R, cum, mx = pairwise_grid_dask(g, None, focal, include=inc, opts=opts,
                                            scheduler=scheduler)
        rows = [(focal.ids[a], focal.ids[b], R[a, b]) for a in range(len(focal.ids))
                for b in range(a + 1, len(focal.ids))
                if inc is None or inc[a, b]]
        table = pd.DataFrame(rows, columns=["core_a", "core_b", "eff_resistance"])
        current = mx
    else:
        _, cum, _ = one_to_all_grid(g, None, focal, all_to_one=True, opts=opts)
        table = pd.DataFrame(columns=["core_a", "core_b", "eff_resistance"])
        current = cum
    assert cum is not None and current is not None
    return PinchPointResult(res.with_array(current, nodata=None),
                            res.with_array(cum, nodata=None), table)


def link_centrality(
    G: Any,
    *,
    weight: str = "cw_dist",
    solver: str = "auto",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Current-flow centrality of cores and links (Linkage Mapper Centrality Mapper).

    Parameters
    ----------
    G : networkx.Graph
        Nodes are cores, edges are links carrying ``weight`` (cost-weighted distance,
        used as the link resistance).
    weight : str, default "cw_dist"
    solver : str

    Returns
    -------
    (links, cores) : tuple of pandas.DataFrame
        ``links``: core_a, core_b, current (A, summed over all core pairs);
        ``cores``: core, current (A, summed Circuitscape node currents).
    """
    import networkx as nx

    if not isinstance(G, nx.Graph):
        raise CamigeoError(f"link_centrality: expected a networkx Graph; got "
                           f"{type(G).__name__}.")
    nodes = list(G.nodes)
    if len(nodes) < 2:
        raise CamigeoError("link_centrality: the graph needs at least two cores.")
    pos = {n: k for k, n in enumerate(nodes)}
    ia, ib, val = [], [], []
    for u, v, d in G.edges(data=True):
        if weight not in d:
            raise CamigeoError(f"link_centrality: link ({u}, {v}) has no '{weight}' "
                               f"attribute (cost-weighted distance).")
        w = float(d[weight])
        if not np.isfinite(w) or w <= 0:
            raise CamigeoError(f"link_centrality: link ({u}, {v}) has {weight}={w}; "
                               f"expected a positive finite distance.")
        ia.append(pos[u])
        ib.append(pos[v])
        val.append(w)
    n = len(nodes)
    graph = graph_from_edges(np.array(ia + list(range(n)), dtype=np.int64),
                             np.array(ib + list(range(n)), dtype=np.int64),
                             np.array(val + [1.0] * n), is_resistance=True)
    _, per = pairwise_network(graph, list(range(n)), solver=solver, want_maps=True)
    i, j, _ = graph.edges()
    cum_b = np.zeros(i.size)
    cum_n = np.zeros(n)
    for pr in per:
        cum_b += np.abs(pr.branch_currents)
        cum_n += pr.node_currents
    links = pd.DataFrame({"core_a": [nodes[a] for a in i], "core_b": [nodes[b] for b in j],
                          "current": cum_b})
    cores = pd.DataFrame({"core": nodes, "current": cum_n})
    return links, cores
