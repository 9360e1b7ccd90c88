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
- :func:`brownian_bridge`, :func:`dynamic_brownian_bridge` - utilisation distributions of
  movement paths (BBMM, dBBMM); :func:`migration_sequences`, :func:`migration_corridors` -
  seasonal migrations and population corridors / stopovers (Sawyer et al. 2009).
- :func:`run_telemetry` - all layers for the CLI / Atlas in one call.
"""

from __future__ import annotations

from .baba import EVENT_TYPES, NON_CROSSING_TYPES, EncounterResult, classify_encounters
from .bbmm import BrownianBridgeResult, MotionVarianceFit, brownian_bridge
from .corridor_barriers import (
    add_corridor_km,
    conflict_summary,
    corridor_barrier_conflict,
    corridor_passage_candidates,
)
from .corridors_pop import USE_CLASSES, MigrationCorridors, migration_corridors
from .crossings import crossing_summary, find_crossings
from .dbbmm import DynamicBridgeResult, dynamic_brownian_bridge
from .hotspots import HOTSPOT_COUNTS, crossing_hotspots, recommend_passages
from .migration import migration_sequences
from .migration_run import MIGRATION_LAYERS, MigrationRun, run_migration
from .pipeline import run_telemetry
from .ranking import (
    DEFAULT_CLASS_BREAKS,
    barrier_permeability,
    proportion_interval,
    rank_barriers,
)
from .tracks import modal_interval, prepare_tracks, to_movingpandas

__all__ = [
    "DEFAULT_CLASS_BREAKS",
    "EVENT_TYPES",
    "HOTSPOT_COUNTS",
    "NON_CROSSING_TYPES",
    "BrownianBridgeResult",
    "DynamicBridgeResult",
    "EncounterResult",
    "MIGRATION_LAYERS",
    "MigrationCorridors",
    "MigrationRun",
    "MotionVarianceFit",
    "USE_CLASSES",
    "add_corridor_km",
    "barrier_permeability",
    "brownian_bridge",
    "classify_encounters",
    "conflict_summary",
    "corridor_barrier_conflict",
    "corridor_passage_candidates",
    "crossing_hotspots",
    "crossing_summary",
    "dynamic_brownian_bridge",
    "find_crossings",
    "migration_corridors",
    "migration_sequences",
    "modal_interval",
    "prepare_tracks",
    "proportion_interval",
    "rank_barriers",
    "recommend_passages",
    "run_migration",
    "run_telemetry",
    "to_movingpandas",
]
