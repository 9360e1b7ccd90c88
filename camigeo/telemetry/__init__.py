"""GPS telemetry against barriers: crossings, BaBA encounter classes, ranking, hotspots.

Public functions
----------------
- :func:`prepare_tracks`, :func:`to_movingpandas` - normalise fixes (GeoDataFrame,
  ``read_movebank`` output, movingpandas ``TrajectoryCollection``) and convert back.
- :func:`find_crossings`, :func:`crossing_summary` - every step that crosses a barrier.
- :func:`classify_encounters` - Barrier Behaviour Analysis (BaBA, Xu et al. 2021).
- :func:`rank_barriers`, :func:`barrier_permeability` - BaBA fence ranking; crossing
  share per feature with a Wilson interval and a suggested ``fence_class``.
- :func:`crossing_hotspots`, :func:`recommend_passages` - barrier segments binned along
  their length; where animals reach a barrier but do not cross.
- :func:`run_telemetry` - all layers for the CLI / Atlas in one call.
"""

from __future__ import annotations

from .baba import EVENT_TYPES, NON_CROSSING_TYPES, EncounterResult, classify_encounters
from .tracks import modal_interval, prepare_tracks, to_movingpandas

__all__ = [
    "EVENT_TYPES",
    "NON_CROSSING_TYPES",
    "EncounterResult",
    "classify_encounters",
    "modal_interval",
    "prepare_tracks",
    "to_movingpandas",
]
