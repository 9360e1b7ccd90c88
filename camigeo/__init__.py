"""camigeo: barriers, corridors and connectivity for the CMS Central Asian Mammals Initiative.

The public API is re-exported here and imported lazily on first use, so ``import camigeo``
stays fast (the CLI starts in a fraction of a second) and heavy optional dependencies are
only imported by the functions that need them.

Examples
--------
>>> import camigeo
>>> ptcrs = camigeo.datasets.load_ptcrs()  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

from ._errors import (
    AtlasLockedError,
    CamigeoError,
    CamigeoWarning,
    CRSError,
    DataNotFoundError,
    GeometryError,
    OptionalDependencyError,
    SchemaError,
    UnknownSpeciesError,
    ValidationError,
)
from ._version import __version__
from .raster import Raster

#: Public name -> submodule that defines it. Resolved lazily by ``__getattr__``.
_EXPORTS: dict[str, str] = {
    # I/O and data
    "read_layer": "io",
    "write_layer": "io",
    "list_layers": "io",
    "validate_layer": "validate",
    "read_movebank": "movebank",
    "read_osm": "osm",
    "conflate_lines": "conflate",
    "conflate_osm": "conflate",
    "resolve_species": "species",
    # barriers, fragmentation, screening
    "score_conflict": "conflict",
    "summarize_conflict": "conflict",
    "conflict_grid": "conflict",
    "effective_mesh_size": "fragmentation",
    "screen_project": "screening",
    # corridors
    "build_resistance": "resistance",
    "cost_distance": "corridors",
    "least_cost_path": "corridors",
    "allocation": "corridors",
    "corridor_links": "corridors",
    "core_adjacency": "corridors",
    "normalized_corridors": "corridors",
    "barrier_improvement": "corridors",
    "rank_passages": "corridors",
    "corridor_graph": "network",
    "to_geodataframes": "network",
    "connectivity_indices": "network",
    "graph_centrality": "network",
    "minimum_spanning_links": "network",
    "compare_scenarios": "scenarios",
    "Scenario": "scenarios",
    "evaluate_scenario": "scenarios",
    # circuit theory
    "pinch_points": "circuit",
    "link_centrality": "circuit",
    "omniscape": "circuit",
    "run_omniscape": "circuit",
    # telemetry
    "find_crossings": "telemetry",
    "classify_encounters": "telemetry",
    "rank_barriers": "telemetry",
    "crossing_hotspots": "telemetry",
    "recommend_passages": "telemetry",
    "crossing_summary": "telemetry",
    "barrier_permeability": "telemetry",
    "run_telemetry": "telemetry",
    "to_movingpandas": "telemetry",
    # output
    "conflict_map": "maps",
    "explore": "maps",
    "save_map": "maps",
    "atlas_report": "plot",
    "range_fragmentation_chart": "plot",
    "run_all": "pipeline",
}

_SUBMODULES = {
    "atlas", "circuit", "cli", "conflate", "conflict", "corridors", "crs", "datasets",
    "fragmentation", "io", "maps", "movebank", "network", "osm", "pipeline", "plot", "raster",
    "resistance", "scale", "scenarios", "screening", "species", "telemetry", "validate",
}

__all__ = [
    "__version__",
    "Raster",
    "CamigeoError",
    "ValidationError",
    "CRSError",
    "SchemaError",
    "GeometryError",
    "DataNotFoundError",
    "UnknownSpeciesError",
    "OptionalDependencyError",
    "AtlasLockedError",
    "CamigeoWarning",
    "show_versions",
    *sorted(_EXPORTS),
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'camigeo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | _SUBMODULES)


def show_versions() -> dict[str, str]:
    """Return (and print) camigeo's version and those of its main dependencies.

    Returns
    -------
    dict
        Package name -> version string ("not installed" when absent).
    """
    import platform
    from importlib.metadata import PackageNotFoundError, version

    names = ["camigeo", "geopandas", "shapely", "pyproj", "pyogrio", "rasterio", "networkx",
             "numpy", "scipy", "numba", "pyamg", "matplotlib", "folium", "dask",
             "dask-geopandas", "pyrosm"]
    out = {"python": platform.python_version()}
    for n in names:
        try:
            out[n] = version(n)
        except PackageNotFoundError:
            out[n] = "not installed"
    for k, v in out.items():
        print(f"{k:>15}: {v}")  # noqa: T201 - explicit user request
    return out
