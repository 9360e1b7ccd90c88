"""Circuit-theory connectivity compatible with Circuitscape 5 (Circuitscape.jl).

Raster and network scenarios (pairwise, one-to-all, all-to-one, advanced), current and
voltage maps, Circuitscape ``.ini`` files (:func:`run_ini`), pinch points and link
centrality (Linkage Mapper), and Omniscape's moving window (:func:`omniscape`,
:func:`run_omniscape`). See ``docs/circuit.md`` and ``docs/omniscape.md``.

Examples
--------
>>> import numpy as np
>>> from camigeo import Raster
>>> from camigeo.circuit import pairwise_resistance
>>> res = Raster.from_array(np.ones((1, 2)))
>>> pairwise_resistance(res, np.array([[1, 2]]), four_neighbors=True).loc[1, 2]
np.float64(1.0)
"""

from __future__ import annotations

from . import dask as _dask  # noqa: F401 - registers the Dask twins (camigeo.scale)
from .engine import Focal, GridOptions
from .graph import CircuitGraph, build_graph, conductance_grid, graph_from_edges, node_map
from .ini import read_grid, read_ini, run_ini, write_grid
from .modes import (
    CircuitResult,
    advanced,
    all_to_one,
    current_map,
    network_currents,
    network_resistance,
    one_to_all,
    pairwise_resistance,
)
from .omniscape import Condition, OmniscapeResult, omniscape
from .omniscape_ini import run_omniscape
from .pinch import PinchPointResult, link_centrality, pinch_points
from .pinch_cells import pinch_point_cells
from .solve import Factor, available_solvers, factorize, pair_resistances, solve_pair_batch

__all__ = [
    "CircuitGraph",
    "CircuitResult",
    "Condition",
    "Factor",
    "Focal",
    "GridOptions",
    "OmniscapeResult",
    "PinchPointResult",
    "advanced",
    "all_to_one",
    "available_solvers",
    "build_graph",
    "conductance_grid",
    "current_map",
    "factorize",
    "graph_from_edges",
    "link_centrality",
    "network_currents",
    "network_resistance",
    "node_map",
    "omniscape",
    "one_to_all",
    "pair_resistances",
    "pairwise_resistance",
    "pinch_point_cells",
    "pinch_points",
    "read_grid",
    "read_ini",
    "run_ini",
    "run_omniscape",
    "solve_pair_batch",
    "write_grid",
]
