"""Barrier analyses: conflict scoring, weights, hotspot grid, fragmentation, screening.

Conflict scoring (:mod:`~camigeo.barriers.conflict`), its weights
(:mod:`~camigeo.barriers.weights`) and hotspot grid (:mod:`~camigeo.barriers.grid`),
fragmentation / m_eff (:mod:`~camigeo.barriers.fragmentation`), project screening
(:mod:`~camigeo.barriers.screening`) and the Dask implementation
(:mod:`~camigeo.barriers.dask`).
"""

from __future__ import annotations

from . import dask as _dask  # noqa: F401 - registers the Dask twins (camigeo.scale)
from .conflict import conflict_grid, score_conflict, summarize_conflict
from .fragmentation import effective_mesh_size
from .screening import screen_project

__all__ = ["score_conflict", "summarize_conflict", "conflict_grid", "effective_mesh_size",
           "screen_project"]
