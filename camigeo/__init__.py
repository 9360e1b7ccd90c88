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
import importlib.abc
import importlib.util
import sys
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
from .io.raster import Raster

#: Public name -> submodule that defines it. Resolved lazily by ``__getattr__``.
_EXPORTS: dict[str, str] = {
    # I/O and data
    "read_layer": "io.layers",
    "write_layer": "io.layers",
    "list_layers": "io.layers",
    "validate_layer": "io.validate",
    "read_movebank": "io.movebank",
    "read_osm": "io.osm",
    "conflate_lines": "io.conflate",
    "conflate_osm": "io.conflate",
    "resolve_species": "datasets.species",
    # barriers, fragmentation, screening
    "score_conflict": "barriers.conflict",
    "summarize_conflict": "barriers.conflict",
    "conflict_grid": "barriers.conflict",
    "effective_mesh_size": "barriers.fragmentation",
    "screen_project": "barriers.screening",
    # corridors
    "build_resistance": "corridors.resistance",
    "cost_distance": "corridors",
    "least_cost_path": "corridors",
    "allocation": "corridors",
    "corridor_links": "corridors",
    "core_adjacency": "corridors",
    "normalized_corridors": "corridors",
    "barrier_improvement": "corridors",
    "rank_passages": "corridors",
    "corridor_graph": "corridors.network",
    "to_geodataframes": "corridors.network",
    "connectivity_indices": "corridors.network",
    "graph_centrality": "corridors.network",
    "minimum_spanning_links": "corridors.network",
    "compare_scenarios": "corridors.scenarios",
    "Scenario": "corridors.scenarios",
    "evaluate_scenario": "corridors.scenarios",
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
    "brownian_bridge": "telemetry",
    "dynamic_brownian_bridge": "telemetry",
    "migration_sequences": "telemetry",
    "migration_corridors": "telemetry",
    "corridor_barrier_conflict": "telemetry",
    "run_migration": "telemetry",
    # output
    "conflict_map": "atlas.maps",
    "explore": "atlas.maps",
    "save_map": "atlas.maps",
    "atlas_report": "atlas.report",
    "range_fragmentation_chart": "atlas.plot",
    "run_all": "atlas.pipeline",
}

#: Subpackages and top-level modules, importable as ``camigeo.<name>``.
_SUBMODULES = {"activities", "atlas", "barriers", "circuit", "cli", "corridors", "datasets",
               "io", "scale", "telemetry"}

#: Modules that moved into subpackages (issue #17) -> their new place. ``camigeo.<old>``
#: attribute access and ``import camigeo.<old>`` keep working (same module object).
_MOVED: dict[str, str] = {
    "validate": "io.validate", "crs": "io.crs", "raster": "io.raster",
    "movebank": "io.movebank", "osm": "io.osm", "conflate": "io.conflate",
    "species": "datasets.species", "guards": "io.guards", "conflict": "barriers.conflict",
    "fragmentation": "barriers.fragmentation", "screening": "barriers.screening",
    "resistance": "corridors.resistance", "network": "corridors.network",
    "scenarios": "corridors.scenarios", "maps": "atlas.maps", "plot": "atlas.plot",
    "pipeline": "atlas.pipeline", "basemap": "atlas.basemap", "names": "atlas.names",
    "atlas_check": "atlas.check",
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
    if name in _SUBMODULES or name in _MOVED:
        module = importlib.import_module(f".{_MOVED.get(name, name)}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'camigeo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | _SUBMODULES | set(_MOVED))


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


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``import camigeo.<old>`` for a module listed in ``_MOVED`` yields the moved module."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        prefix, _, leaf = fullname.rpartition(".")
        if prefix != __name__ or leaf not in _MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: Any) -> Any:
        module = importlib.import_module(f".{_MOVED[spec.name.rpartition('.')[2]]}", __name__)
        self._spec = module.__spec__
        return module

    def exec_module(self, module: Any) -> None:
        module.__spec__ = self._spec  # keep the real name for pickling and reload


if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
    sys.meta_path.append(_MovedFinder())
