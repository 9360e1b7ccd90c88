"""Cost distance, least-cost paths and Linkage-Mapper-style corridors.

Submodules: :mod:`.cost` (cost distance, allocation, least-cost path), :mod:`.links`
(core-to-core link table), :mod:`.nlcc` (normalized least-cost corridors),
:mod:`.barriers` (Barrier Mapper improvement scores), :mod:`.passages` (ranking fence
openings). See ``docs/corridors.md``.
"""

from __future__ import annotations

from ._kernels import OFFSETS
from .cost import CostDistanceResult, allocation, cost_distance, least_cost_path

__all__ = [
    "OFFSETS",
    "CostDistanceResult",
    "allocation",
    "cost_distance",
    "least_cost_path",
]
