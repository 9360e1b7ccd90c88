"""Habitat cores on the resistance grid (links, adjacency, NLCC, barriers, passages, Dask)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from .._errors import CamigeoError, CamigeoWarning, SchemaError
from ..io.raster import Raster
from .cost import (
    as_resistance,
    check_crs,
    geoms_cells,
)

__all__: list[str] = []


@dataclass
class Cores:
    raster: Raster
    ids: np.ndarray  # core ids, in input order
    cells: list[np.ndarray]  # flat cell indices per core
    labels: np.ndarray  # int32 (rows, cols): position + 1 of the core owning a cell, 0 none
    geoms: np.ndarray  # core geometries in the raster CRS


def prepare_cores(cores: Any, resistance: Any, id_col: str | None) -> Cores:
    r = as_resistance(resistance)
    if not isinstance(cores, gpd.GeoDataFrame):
        raise CamigeoError(f"cores must be a GeoDataFrame of core polygons; got "
                           f"{type(cores).__name__}.")
    check_crs(cores, r, "cores")
    from ..io.guards import check_geometries

    cores = check_geometries(cores, name="cores")
    col = id_col or "core_id"
    if col not in cores.columns:
        raise SchemaError(
            f"cores has no {col!r} column; add a 'core_id' column or pass id_col='<column>' "
            f"naming the core ids (columns: {list(cores.columns)[:8]})."
        )
    ids = cores[col].to_numpy()
    if len(set(ids.tolist())) != len(ids):
        raise SchemaError(f"cores[{col!r}] has duplicate ids; core ids must be unique.")
    geoms = np.asarray(cores.geometry.values)
    types = set(shapely.get_type_id(geoms).tolist())
    if not types <= {3, 6}:
        raise CamigeoError("cores must be (Multi)Polygons; buffer points or lines first "
                           "(e.g. cores.buffer(1000)).")
    cells = []
    labels = np.zeros(r.shape, dtype=np.int32)
    for i, g in enumerate(geoms):
        with warnings.catch_warnings():  # a core outside the grid raises just below
            warnings.simplefilter("ignore", CamigeoWarning)
            flat, _ = geoms_cells(np.array([g], dtype=object), np.zeros(1, np.int32), r,
                                   "cores")
        if len(flat) == 0:
            raise CamigeoError(f"core {ids[i]!r} lies outside the resistance raster.")
        cells.append(flat)
        labels.ravel()[flat] = i + 1
    return Cores(r, ids, cells, labels, geoms)
