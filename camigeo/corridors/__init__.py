"""Cost distance, least-cost paths and Linkage-Mapper-style corridors.

Submodules: :mod:`.cost` (cost distance, allocation, least-cost path), :mod:`.links`
(core-to-core link table), :mod:`.adjacency` (adjacent-core network, nearest-neighbour
pruning), :mod:`.nlcc` (normalized least-cost corridors), :mod:`.barriers` (Barrier
Mapper improvement scores), :mod:`.passages` (ranking fence openings). See
``docs/corridors.md``.
"""

from __future__ import annotations

from . import dask as _dask  # noqa: F401 - registers the Dask twins (camigeo.scale)
from ._kernels import OFFSETS
from .adjacency import ADJACENCY_COLUMNS, core_adjacency
from .barriers import barrier_improvement
from .cost import CostDistanceResult, allocation, cost_distance, least_cost_path
from .links import LINK_COLUMNS, corridor_links
from .nlcc import normalized_corridors
from .passages import candidates_along, rank_passages

__all__ = [
    "OFFSETS",
    "CostDistanceResult",
    "allocation",
    "cost_distance",
    "least_cost_path",
    "LINK_COLUMNS",
    "corridor_links",
    "ADJACENCY_COLUMNS",
    "core_adjacency",
    "normalized_corridors",
    "barrier_improvement",
    "candidates_along",
    "rank_passages",
]
