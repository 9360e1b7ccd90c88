"""Input/output layer: read/write, validation, CRS, :class:`Raster`, Movebank, OSM, conflation.

The bottom layer of camigeo: modules here import only each other, :mod:`camigeo._errors`,
:mod:`camigeo._compat` and :mod:`camigeo.scale`. ``camigeo.io.read_layer`` and friends are
re-exported lazily from :mod:`camigeo.io.layers` so that ``import camigeo`` (which needs
:class:`~camigeo.io.raster.Raster`) does not import geopandas.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["read_layer", "write_layer", "list_layers", "SUPPORTED_FORMATS"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        value = getattr(importlib.import_module(".layers", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
