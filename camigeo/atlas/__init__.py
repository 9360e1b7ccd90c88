"""Output layer: Atlas GeoPackage, maps, figures, report, pipeline.

The versioned Atlas GeoPackage (:mod:`camigeo.atlas.store`), web maps
(:mod:`camigeo.atlas.maps`), figures (:mod:`camigeo.atlas.plot`), the PDF report
(:mod:`camigeo.atlas.report`) and the
main-job pipeline behind ``camigeo run`` (:mod:`camigeo.atlas.pipeline`).

The Atlas functions are re-exported here; maps, plot and pipeline are imported on demand
(they pull in folium / matplotlib).
"""

from __future__ import annotations

from .store import (
    PROVENANCE_TABLE,
    VERSIONS_TABLE,
    AtlasDiff,
    atlas_lock,
    diff,
    export_postgis,
    file_sha256,
    history,
    layer_versions,
    list_atlas_layers,
    read_atlas_layer,
    update,
)

__all__ = [
    "PROVENANCE_TABLE",
    "VERSIONS_TABLE",
    "AtlasDiff",
    "atlas_lock",
    "diff",
    "export_postgis",
    "file_sha256",
    "history",
    "layer_versions",
    "list_atlas_layers",
    "read_atlas_layer",
    "update",
]
