"""Omnidirectional current for one PTCR: the main job's Omniscape layer.

:func:`ptcr_omniscape` builds a coarse resistance grid around one PTCR (species range inside
1, outside 10, infrastructure burned in; :func:`camigeo.build_resistance`), makes every
cell of the species range inside the PTCR a source of strength ``1/R``, and runs
:func:`camigeo.circuit.omniscape` with flow potential and normalized current. Open steppe
and desert PTCRs (Gobi, Ustyurt) have no crisp cores, so this coreless current complements
the core-to-core current of the circuit step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._errors import CamigeoError
from ..io.crs import CENTRAL_ASIA_EQUAL_AREA, require_crs
from ..io.guards import check_alloc, check_number
from ..io.raster import Raster
from .omniscape import OmniscapeResult, omniscape
from .omniscape_core import check_int

__all__ = ["PtcrOmniscape", "ptcr_omniscape"]


@dataclass
class PtcrOmniscape:
    """Result of :func:`ptcr_omniscape`.

    Attributes
    ----------
    result : OmniscapeResult
        Cumulative, flow-potential and normalized current (amperes; ratio).
    resistance, sources : Raster
        Inputs of the run (equal-area grid).
    top_cells : GeoDataFrame
        Cell centres whose normalized current is in the top 5 % (points, same CRS), with
        ``normalized``, ``current``, ``ptcr`` and ``species`` columns.
    """

    result: OmniscapeResult
    resistance: Raster
    sources: Raster
    top_cells: Any


def ptcr_omniscape(
    ptcr: Any,
    *,
    ranges: Any = None,
    infrastructure: Any = None,
    species: str = "",
    cell_km: float = 10.0,
    radius_km: float = 100.0,
    block_size: int = 3,
    progress: bool = False,
) -> PtcrOmniscape:
    """Omniscape current inside one PTCR (coarse cells, for the main job).

    Parameters
    ----------
    ptcr : GeoDataFrame
        One PTCR polygon (any CRS; ``name`` column used in the output).
    ranges : GeoDataFrame, optional
        Range of the species (cells inside have resistance 1, outside 10).
    infrastructure : GeoDataFrame, optional
        Barrier lines burned into the resistance.
    species : str
        Label of the output.
    cell_km : float, default 10
        Grid cell size (km).
    radius_km : float, default 100
        Moving-window radius (km); rounded to whole cells.
    block_size : int, default 3
    progress : bool, default False

    Returns
    -------
    PtcrOmniscape
    """
    import geopandas as gpd

    from ..corridors.resistance import build_resistance

    for nm, lay in (("ptcr", ptcr), ("ranges", ranges), ("infrastructure", infrastructure)):
        if (lay is not None or nm == "ptcr") and not isinstance(lay, gpd.GeoDataFrame):
            raise CamigeoError(f"{nm}: expected a GeoDataFrame, got {type(lay).__name__}; read "
                               f"it with camigeo.read_layer().")
        if lay is not None and len(lay):
            require_crs(lay, name=nm)
    if len(ptcr) != 1:
        raise CamigeoError(f"ptcr: expected one PTCR polygon, got {len(ptcr)} rows.")
    if ptcr.geometry.iloc[0] is None or ptcr.geometry.iloc[0].is_empty or \
            ptcr.geometry.iloc[0].geom_type not in ("Polygon", "MultiPolygon"):
        raise CamigeoError("ptcr: expected one (Multi)Polygon; the geometry is "
                           f"{getattr(ptcr.geometry.iloc[0], 'geom_type', 'missing')}.")
    check_number(cell_km, name="cell_km", minimum=0.0, strict_min=True, unit="km")
    check_number(radius_km, name="radius_km", minimum=0.0, strict_min=True, unit="km")
    check_int("block_size", block_size, minimum=1, odd=True)
    if radius_km < cell_km:
        raise CamigeoError(f"cell_km={cell_km} / radius_km={radius_km}: need radius_km >= "
                           f"cell_km (the window must span at least one cell).")
    poly = ptcr.to_crs(CENTRAL_ASIA_EQUAL_AREA)
    radius = int(round(radius_km / cell_km))
    cell_m = cell_km * 1000.0
    pad = radius * cell_m
    xmin, ymin, xmax, ymax = poly.total_bounds
    x0 = math.floor((xmin - pad) / cell_m) * cell_m
    y0 = math.floor((ymin - pad) / cell_m) * cell_m
    ncol = int(math.ceil((xmax + pad - x0) / cell_m))
    nrow = int(math.ceil((ymax + pad - y0) / cell_m))
    check_alloc(8.0 * 24 * nrow * ncol, what=f"ptcr_omniscape: a {nrow:,} x {ncol:,} grid of "
                f"{cell_km:g} km cells", fix="Use a larger cell_km (the main job uses 10 km).")
    template = Raster.from_array(np.zeros((nrow, ncol)), cellsize=cell_m, origin=(x0, y0),
                                 crs=CENTRAL_ASIA_EQUAL_AREA)
    rng = ranges.to_crs(CENTRAL_ASIA_EQUAL_AREA) if ranges is not None and len(ranges) \
        else None
    infra = infrastructure.to_crs(CENTRAL_ASIA_EQUAL_AREA) \
        if infrastructure is not None and len(infrastructure) else None
    res = build_resistance(template, ranges=rng, infrastructure=infra)
    from rasterio.features import rasterize

    inside = rasterize([(g, 1) for g in poly.geometry], out_shape=(nrow, ncol),
                       transform=template.transform, fill=0, dtype="uint8") == 1
    R = res.masked_float()
    ok = inside & np.isfinite(R) & (R <= 1.0 if rng is not None else np.isfinite(R))
    src = np.where(ok, 1.0 / np.where(np.isfinite(R), R, 1.0), 0.0)
    if not src.any():
        raise CamigeoError(f"ptcr_omniscape: no source cell (species range) inside the PTCR "
                           f"{list(poly.get('name', ['?']))[0]!r} at {cell_km} km cells.")
    sources = template.with_array(src, nodata=None)
    out = omniscape(res, radius=radius, block_size=block_size, source_strength=sources,
                    calc_flow_potential=True, calc_normalized_current=True,
                    progress=progress)
    assert out.normalized is not None and out.cumulative is not None
    nrm = out.normalized.masked_float()
    cur = out.cumulative.masked_float()
    sel = inside & np.isfinite(nrm) & (nrm > 0)
    name = str(poly["name"].iloc[0]) if "name" in poly.columns else ""
    if sel.any():
        thr = float(np.quantile(nrm[sel], 0.95))
        rows, cols = np.nonzero(sel & (nrm >= thr))
    else:
        rows = cols = np.zeros(0, dtype=np.int64)
    x, y = template.xy(rows, cols)
    top = gpd.GeoDataFrame({"normalized": nrm[rows, cols], "current": cur[rows, cols],
                            "ptcr": name, "species": species},
                           geometry=gpd.points_from_xy(x, y), crs=CENTRAL_ASIA_EQUAL_AREA)
    return PtcrOmniscape(out, res, sources, top)
