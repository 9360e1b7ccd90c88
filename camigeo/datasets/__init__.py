"""Bundled data: layers and the species table.

Bundled layers (:mod:`camigeo.datasets.bundled`) and the species table with synonyms
(:mod:`camigeo.datasets.species`). Depends only on :mod:`camigeo.io`.
"""

from __future__ import annotations

from .bundled import (
    DATA_ENV_VAR,
    INFRA_STATUSES,
    INFRA_TYPES,
    available,
    data_dir,
    describe,
    example_path,
    get_path,
    load_borders,
    load_countries,
    load_infrastructure,
    load_infrastructure_sites,
    load_ptcrs,
    load_ranges,
    load_species,
    load_tracks,
)
from .species import resolve_species, species_names, species_table

__all__ = [
    "DATA_ENV_VAR",
    "INFRA_TYPES",
    "INFRA_STATUSES",
    "data_dir",
    "available",
    "get_path",
    "describe",
    "load_ptcrs",
    "load_species",
    "load_ranges",
    "load_infrastructure",
    "load_infrastructure_sites",
    "load_borders",
    "load_countries",
    "example_path",
    "load_tracks",
    "resolve_species",
    "species_table",
    "species_names",
]
