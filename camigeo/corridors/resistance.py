"""Resistance surfaces for cost-distance and corridor analyses.

:func:`build_resistance` assembles a resistance raster (cost per map unit of distance, >= 1
usually; NaN = impassable) from a land-cover raster reclassified by a table, or - without
land cover - from species ranges (inside low, outside high), burns linear infrastructure in
with a resistance per ``infra_type`` / ``fence_class``, and reopens passages.

Burned lines never leak diagonally: after rasterizing, every diagonal step between two
burned cells whose two side cells are both unburned gets one side cell burned too, so each
line is 4-connected and an 8-neighbour (or knight) path has to enter a barrier cell to
cross it (GRASS ``r.cost``, terra and skimage all let 8-neighbour paths slip through the
corners of a 1-cell-wide diagonal line).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine
from pyproj import CRS

from .._errors import CamigeoError, CRSError, SchemaError
from ..io.raster import Raster, as_raster

__all__ = [
    "build_resistance",
    "default_infrastructure_resistance",
    "permeability_to_resistance",
    "thicken_diagonals",
    "RANGE_RESISTANCE",
    "OUTSIDE_RANGE_RESISTANCE",
    "MAX_BARRIER_RESISTANCE",
]

log = logging.getLogger(__name__)

#: [A] Resistance inside a species range when no land-cover raster is given.
RANGE_RESISTANCE: float = 1.0
#: [A] Resistance outside every range (animals can cross but avoid it).
OUTSIDE_RANGE_RESISTANCE: float = 10.0
#: [A] Resistance of a full barrier (permeability 0) when it is kept finite.
MAX_BARRIER_RESISTANCE: float = 1000.0

TemplateLike = Raster | str | os.PathLike[str] | Mapping[str, Any]


# --------------------------------------------------------------------------- template
def _template(template: TemplateLike) -> Raster:
    if isinstance(template, Mapping):
        missing = [k for k in ("bounds", "cellsize_m", "crs") if k not in template]
        if missing:
            raise CamigeoError(
                f"template spec is missing {missing}; give a dict with 'bounds' (minx, miny, "
                f"maxx, maxy in map units), 'cellsize_m' and 'crs' (projected)."
            )
        crs = CRS.from_user_input(template["crs"])
        if not crs.is_projected:
            raise CRSError(
                f"template crs {crs.name} is not projected; a cellsize in metres needs a "
                f"projected CRS such as camigeo.crs.CENTRAL_ASIA_EQUAL_AREA."
            )
        from ..io.guards import check_number

        bounds = template["bounds"]
        if isinstance(bounds, str) or len(bounds) != 4:
            raise CamigeoError(f"template bounds={bounds!r}: expected four numbers (minx, "
                               f"miny, maxx, maxy) in map units.")
        minx, miny, maxx, maxy = (check_number(v, name=f"template bounds[{i}]")
                                  for i, v in enumerate(bounds))
        cs = check_number(template["cellsize_m"], name="template cellsize_m", minimum=0.0,
                          strict_min=True, unit="m",
                          fix="A template spec needs cellsize_m > 0 (metres), e.g. 1000.")
        if cs <= 0 or maxx <= minx or maxy <= miny:
            raise CamigeoError(
                f"template spec needs cellsize_m > 0 and minx < maxx, miny < maxy; got "
                f"cellsize_m={cs}, bounds={template['bounds']}."
            )
        w = max(1, math.ceil((maxx - minx) / cs - 1e-9))
        h = max(1, math.ceil((maxy - miny) / cs - 1e-9))
        _guard_grid(float(w) * float(h), cs, f"{h:,} x {w:,} cells of {cs:g} m")
        return Raster(np.zeros((h, w), dtype=np.float64), Affine(cs, 0, minx, 0, -cs, maxy),
                      crs, None)
    tpl = as_raster(template, name="template")
    _guard_grid(float(tpl.array.size), abs(tpl.transform.a), f"{tpl.height:,} x "
                f"{tpl.width:,} cells")
    return tpl


def _guard_grid(n_cells: float, cs: float, what: str) -> None:
    """Refuse a grid whose ~6 float64 working copies do not fit in memory."""
    from ..io.guards import available_memory, check_alloc

    need = n_cells * _BYTES_PER_CELL
    fit = cs * math.sqrt(need / max(0.8 * available_memory(), 1.0))
    check_alloc(need, what=f"build_resistance on {what}",
                fix=f"Use a coarser template (cellsize_m >= {max(fit, cs):.3g}) or a "
                    f"smaller extent.")


#: Peak bytes per template cell in build_resistance (base, out, burned, masks, ...).
_BYTES_PER_CELL = 48.0


def _to_crs(gdf: Any, crs: CRS | None, name: str) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame | gpd.GeoSeries):
        raise CamigeoError(f"{name} must be a GeoDataFrame; got {type(gdf).__name__}.")
    if isinstance(gdf, gpd.GeoSeries):
        gdf = gpd.GeoDataFrame(geometry=gdf)
    if crs is None or gdf.crs is None:
        if crs is not None or gdf.crs is not None:
            raise CRSError(f"{name} and the template must both have a CRS (set it with "
                           f".set_crs()); {name}.crs={gdf.crs}, template crs={crs}.")
        return gdf
    if not CRS.from_user_input(gdf.crs).equals(crs):
        label = crs.name if crs.name and crs.name != "unknown" else crs.srs
        log.info("reprojecting %s to the template CRS %s", name, label)
        return gdf.to_crs(crs)
    return gdf


# --------------------------------------------------------------------------- base layer
def _reclass_table(reclass: Any) -> dict[float, float]:
    if isinstance(reclass, Mapping):
        return {float(k): float(v) for k, v in reclass.items()}
    if isinstance(reclass, pd.DataFrame) and reclass.shape[1] >= 2:
        return {float(k): float(v) for k, v in zip(reclass.iloc[:, 0], reclass.iloc[:, 1],
                                                     strict=True)}
    raise CamigeoError(
        f"reclass must be a mapping {{class: resistance}} or a DataFrame whose first two "
        f"columns are class and resistance; got {type(reclass).__name__}."
    )


def _landcover_on_grid(landcover: Any, tpl: Raster) -> tuple[np.ndarray, np.ndarray]:
    """Land-cover values on the template grid and their validity mask."""
    if isinstance(landcover, np.ndarray):
        if landcover.shape != tpl.shape:
            raise CamigeoError(
                f"landcover array has shape {landcover.shape}; the template grid is "
                f"{tpl.shape}. Pass a Raster (it is resampled) or an array of that shape."
            )
        arr = landcover
        valid = ~np.isnan(arr) if np.issubdtype(arr.dtype, np.floating) else np.ones(
            arr.shape, bool)
        return arr, valid
    lc = as_raster(landcover, name="landcover")
    same = (lc.shape == tpl.shape and lc.transform.almost_equals(tpl.transform)
            and (lc.crs is None or tpl.crs is None or lc.crs.equals(tpl.crs)))
    if same:
        return lc.array, lc.valid
    from rasterio.enums import Resampling
    from rasterio.warp import reproject

    if lc.crs is None or tpl.crs is None:
        raise CRSError("landcover and template are on different grids and one has no CRS; "
                       "set the CRS so the land cover can be resampled.")
    dst = np.full(tpl.shape, np.nan, dtype=np.float64)
    src = lc.masked_float()
    reproject(src, dst, src_transform=lc.transform, src_crs=lc.crs.to_wkt(),
              dst_transform=tpl.transform, dst_crs=tpl.crs.to_wkt(),
              resampling=Resampling.nearest, src_nodata=np.nan, dst_nodata=np.nan)
    log.info("land cover resampled (nearest) to the template grid %s", tpl.shape)
    return dst, ~np.isnan(dst)


def _reclassify(values: np.ndarray, valid: np.ndarray, table: dict[float, float]
                ) -> np.ndarray:
    out = np.full(values.shape, np.nan, dtype=np.float64)
    classes = np.unique(values[valid])
    missing = [c for c in classes.tolist() if float(c) not in table]
    if missing:
        raise SchemaError(
            f"landcover classes {missing[:10]} have no entry in reclass; add them to the "
            f"table (use float('nan') for impassable)."
        )
    for c in classes:
        out[valid & (values == c)] = table[float(c)]
    return out


def _range_base(ranges: Any, tpl: Raster, inside: float, outside: float) -> np.ndarray:
    from rasterio.features import rasterize

    gdf = _to_crs(ranges, tpl.crs, "ranges")
    geoms = [g for g in gdf.geometry if g is not None and not g.is_empty]
    out = np.full(tpl.shape, float(outside), dtype=np.float64)
    if geoms:
        mask = rasterize([(g, 1) for g in geoms], out_shape=tpl.shape,
                         transform=tpl.transform, fill=0, dtype="uint8").astype(bool)
        out[mask] = float(inside)
    return out


# --------------------------------------------------------------------------- barriers
def permeability_to_resistance(p: float, *, max_resistance: float = MAX_BARRIER_RESISTANCE,
                               impermeable_as_nodata: bool = False) -> float:
    """Resistance of a burned barrier cell from its permeability ``p`` (0 = full barrier).

    ``R = 1 + (max_resistance - 1) × (1 - p)`` [assumption, linear]; ``p = 1`` gives 1 (no
    barrier effect), ``p = 0`` gives ``max_resistance`` or NaN (impassable) when
    ``impermeable_as_nodata``.

    Parameters
    ----------
    p : float
        Permeability in [0, 1].
    max_resistance : float, default 1000
    impermeable_as_nodata : bool, default False

    Returns
    -------
    float
    """
    if not 0.0 <= p <= 1.0:
        raise CamigeoError(f"permeability must be in [0, 1]; got {p}.")
    if p == 0.0 and impermeable_as_nodata:
        return float("nan")
    return 1.0 + (max_resistance - 1.0) * (1.0 - p)


def default_infrastructure_resistance(
    *, max_resistance: float = MAX_BARRIER_RESISTANCE, impermeable_as_nodata: bool = False
) -> pd.DataFrame:
    """Default burned resistance per (``infra_type``, ``fenced``, ``fence_class``) [A].

    Permeabilities come from :mod:`camigeo.conflict` (domain_methods §4.4/§4.5: fenced
    railway 0, unfenced railway 0.5, road 0.5, border fence 0, livestock fence 0.2,
    wildlife-friendly fence 0.7, lined canal 0, buried pipeline 1) and are turned into
    resistance with :func:`permeability_to_resistance`.

    Parameters
    ----------
    max_resistance : float, default 1000
    impermeable_as_nodata : bool, default False

    Returns
    -------
    pandas.DataFrame
        Columns ``infra_type``, ``fenced``, ``fence_class``, ``permeability``,
        ``resistance``.
    """
    return pd.DataFrame(_default_rows(max_resistance, impermeable_as_nodata))


def _default_rows(max_resistance: float, impermeable_as_nodata: bool) -> list[dict[str, Any]]:
    from ..barriers.conflict import (
        FENCE_CLASSES,
        FENCE_PERMEABILITY,
        INFRA_TYPES,
        LINE_PERMEABILITY,
        UNKNOWN_FENCE_PERMEABILITY,
    )

    rows = []
    for t in INFRA_TYPES:
        for fenced in (False, True):
            for fc in (None, *FENCE_CLASSES):
                is_fence = fenced or t in ("fence", "border_fence")
                p = LINE_PERMEABILITY[t]
                if is_fence:
                    pf = (UNKNOWN_FENCE_PERMEABILITY[t] if fc in (None, "unknown")
                          else FENCE_PERMEABILITY[fc])
                    p = p * pf
                rows.append({"infra_type": t, "fenced": fenced, "fence_class": fc,
                             "permeability": p,
                             "resistance": permeability_to_resistance(
                                 p, max_resistance=max_resistance,
                                 impermeable_as_nodata=impermeable_as_nodata)})
    return rows


def _feature_resistance(infra: gpd.GeoDataFrame, resistance_by_type: Mapping[Any, float] | None,
                        max_resistance: float, impermeable_as_nodata: bool) -> np.ndarray:
    if "infra_type" not in infra.columns:
        raise SchemaError("infrastructure has no 'infra_type' column (docs/schema.md); add "
                          "it or pass resistance_by_type={'*': value}.")
    lookup = {(r["infra_type"], r["fenced"], r["fence_class"]): r["resistance"]
              for r in _default_rows(max_resistance, impermeable_as_nodata)}
    user = dict(resistance_by_type or {})
    from ..io.guards import check_number, parse_bool_column

    for key, val in user.items():  # NaN/inf mean impassable; negative is a mistake
        if not (isinstance(val, float | int | np.floating | np.integer) and not
                isinstance(val, bool) and (np.isnan(val) or np.isinf(val))):
            check_number(val, name=f"resistance_by_type[{key!r}]", minimum=0.0,
                         fix="Resistance is a cost per map unit (1 = open land); use "
                             "float('nan') or float('inf') for an impassable line.")
    out = np.empty(len(infra), dtype=np.float64)
    fenced_col = parse_bool_column(infra, "fenced", name="infrastructure") \
        if "fenced" in infra.columns else pd.Series(False, index=infra.index)
    fc_col = infra["fence_class"] if "fence_class" in infra.columns else pd.Series(
        None, index=infra.index, dtype=object)
    unknown: set[str] = set()
    for i, (t, fenced, fc) in enumerate(zip(infra["infra_type"], fenced_col, fc_col,
                                            strict=True)):
        fc = None if fc is None or (isinstance(fc, float) and np.isnan(fc)) or pd.isna(fc) \
            else str(fc)
        fenced = bool(fenced) if not pd.isna(fenced) else False
        for key in ((t, fc), fc if fc is not None else None, t, "*"):
            if key is not None and key in user:
                out[i] = float(user[key])
                break
        else:
            k = (t, fenced, fc)
            if k not in lookup:
                unknown.add(f"{t}/{fc}")
                out[i] = np.nan
            else:
                out[i] = lookup[k]
    if unknown:
        raise SchemaError(
            f"infrastructure infra_type values {sorted(unknown)} are not in the schema "
            f"(railway, road, fence, border_fence, pipeline, canal) and have no "
            f"resistance_by_type entry; add e.g. resistance_by_type={{'{sorted(unknown)[0]}'"
            f": 500.0}}."
        )
    return out


def thicken_diagonals(mask: np.ndarray, values: np.ndarray | None = None,
                      *, max_iter: int = 4) -> tuple[np.ndarray, np.ndarray | None]:
    """Make burned lines 4-connected: no diagonal-only contact between burned cells.

    For every 2×2 block where two diagonal cells are burned and the other two are not,
    the upper/right side cell is burned too, with the larger of the two diagonal values
    (NaN counts as largest).

    Parameters
    ----------
    mask : bool (rows, cols)
        Burned cells.
    values : float (rows, cols), optional
        Burned values, extended to the added cells.
    max_iter : int, default 4

    Returns
    -------
    (mask, values) : new arrays
    """
    m = mask.copy()
    v = None if values is None else values.copy()
    for _ in range(max_iter):
        a, b = m[:-1, :-1], m[:-1, 1:]
        c, d = m[1:, :-1], m[1:, 1:]
        main = a & d & ~b & ~c  # (r,c)-(r+1,c+1): burn (r, c+1)
        anti = b & c & ~a & ~d  # (r,c+1)-(r+1,c): burn (r, c)
        if not (main.any() or anti.any()):
            break
        rr, cc = np.nonzero(main)
        m[rr, cc + 1] = True
        if v is not None:
            v[rr, cc + 1] = _nanmax2(v[rr, cc], v[rr + 1, cc + 1])
        rr, cc = np.nonzero(anti)
        m[rr, cc] = True
        if v is not None:
            v[rr, cc] = _nanmax2(v[rr, cc + 1], v[rr + 1, cc])
    return m, v


def _nanmax2(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    out = np.maximum(x, y)  # NaN propagates: impassable wins
    return out


def _burn(infra: gpd.GeoDataFrame, vals: np.ndarray, tpl: Raster, all_touched: bool
          ) -> tuple[np.ndarray, np.ndarray]:
    from rasterio.features import rasterize

    # replace-merge in ascending order: the largest (NaN = impassable, last) wins
    order = np.argsort(np.where(np.isnan(vals), np.inf, vals), kind="stable")
    shapes = [(infra.geometry.iloc[i], float(k + 1)) for k, i in enumerate(order)
              if infra.geometry.iloc[i] is not None and not infra.geometry.iloc[i].is_empty]
    if not shapes:
        return np.zeros(tpl.shape, bool), np.zeros(tpl.shape)
    rank = rasterize(shapes, out_shape=tpl.shape, transform=tpl.transform, fill=0,
                     all_touched=all_touched, dtype="float64")
    mask = rank > 0
    burned = np.zeros(tpl.shape)
    burned[mask] = vals[order][rank[mask].astype(np.int64) - 1]
    return mask, burned


def _passage_mask(passages: Any, tpl: Raster, width_m: float) -> np.ndarray:
    from rasterio.features import rasterize

    gdf = _to_crs(passages, tpl.crs, "passages")
    if "width_m" in gdf.columns:
        widths = gdf["width_m"].fillna(width_m).to_numpy(dtype=float)
    else:
        widths = np.full(len(gdf), float(width_m))
    if (widths <= 0).any():
        raise CamigeoError("passage widths (width_m) must be > 0 metres.")
    unit = 1.0
    if tpl.crs is not None and tpl.crs.is_projected:
        unit = float(tpl.crs.axis_info[0].unit_conversion_factor)
    geoms = [g.buffer(w / 2.0 / unit) for g, w in zip(gdf.geometry, widths, strict=True)
             if g is not None and not g.is_empty]
    if not geoms:
        return np.zeros(tpl.shape, bool)
    return rasterize([(g, 1) for g in geoms], out_shape=tpl.shape, transform=tpl.transform,
                     fill=0, all_touched=True, dtype="uint8").astype(bool)


# --------------------------------------------------------------------------- public
def build_resistance(
    template: TemplateLike,
    *,
    landcover: Raster | np.ndarray | str | os.PathLike[str] | None = None,
    reclass: Mapping[Any, float] | pd.DataFrame | None = None,
    ranges: gpd.GeoDataFrame | None = None,
    range_resistance: float = RANGE_RESISTANCE,
    outside_range_resistance: float = OUTSIDE_RANGE_RESISTANCE,
    infrastructure: gpd.GeoDataFrame | None = None,
    resistance_by_type: Mapping[Any, float] | None = None,
    statuses: tuple[str, ...] | None = ("existing", "under_construction"),
    max_resistance: float = MAX_BARRIER_RESISTANCE,
    impermeable_as_nodata: bool = False,
    all_touched: bool = True,
    thicken: bool = True,
    passages: gpd.GeoDataFrame | None = None,
    passage_width_m: float = 500.0,
) -> Raster:
    """Build a resistance raster (cost per map unit; NaN = impassable).

    Parameters
    ----------
    template : Raster, path or dict
        Target grid: a raster (its grid is used), a raster path, or a spec
        ``{"bounds": (minx, miny, maxx, maxy), "cellsize_m": 1000, "crs": ...}`` with a
        projected CRS.
    landcover : Raster, array or path, optional
        Land-cover classes; resampled (nearest) to the template grid when needed.
    reclass : mapping or DataFrame, optional
        ``{class: resistance}`` (or a two-column table). Required with ``landcover``;
        NaN/inf/negative resistance marks a class impassable.
    ranges : GeoDataFrame, optional
        Species range polygons, used when there is no land cover: cells inside get
        ``range_resistance`` (default 1), outside ``outside_range_resistance``
        (default 10) [assumption]. Without either input the base resistance is 1.
    infrastructure : GeoDataFrame, optional
        Lines with ``infra_type``, ``fenced``, ``fence_class`` (docs/schema.md); burned in
        with the larger of the base and the line's resistance.
    resistance_by_type : mapping, optional
        Overrides, looked up in this order: ``(infra_type, fence_class)``, ``fence_class``,
        ``infra_type``, ``"*"``. Default: :func:`default_infrastructure_resistance`.
    statuses : tuple of str or None, default ("existing", "under_construction")
        Burn only lines with these ``status`` values (None: all, incl. planned).
    max_resistance : float, default 1000
        Resistance of a full barrier (permeability 0) [assumption].
    impermeable_as_nodata : bool, default False
        Make permeability-0 lines impassable (NaN) instead of ``max_resistance``.
    all_touched : bool, default True
        Burn every cell a line touches (rasterio ``all_touched``).
    thicken : bool, default True
        Make burned lines 4-connected (:func:`thicken_diagonals`) so 8-neighbour and
        knight moves cannot cross them through a cell corner.
    passages : GeoDataFrame, optional
        Crossing structures (points or lines) reopening burned cells within
        ``width_m / 2`` (column, else ``passage_width_m``) to the base resistance.
    passage_width_m : float, default 500
        Width of a passage in metres when the layer has no ``width_m`` column.

    Returns
    -------
    Raster
        float64 resistance, NaN nodata, template grid and CRS.

    Raises
    ------
    SchemaError
        Land-cover classes missing from ``reclass``; unknown ``infra_type``.
    CRSError
        Template spec with a geographic CRS.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> spec = {"bounds": (0, 0, 5000, 5000), "cellsize_m": 1000, "crs": "EPSG:32642"}
    >>> fence = gpd.GeoDataFrame({"infra_type": ["border_fence"], "fenced": [True],
    ...     "fence_class": ["impermeable"]},
    ...     geometry=[shapely.LineString([(0, 0), (5000, 5000)])], crs="EPSG:32642")
    >>> r = build_resistance(spec, infrastructure=fence)
    >>> int((r.array == 1000).sum()) >= 9
    True
    """
    from ..io.guards import check_number

    for pname, pval, strict in (("range_resistance", range_resistance, False),
                                ("outside_range_resistance", outside_range_resistance, False),
                                ("max_resistance", max_resistance, True)):
        check_number(pval, name=pname, minimum=0.0, strict_min=strict,
                     fix="Resistance is a cost per map unit (1 = open land).")
    tpl = _template(template)
    if landcover is not None:
        if reclass is None:
            raise CamigeoError("landcover was given without reclass; pass reclass={class: "
                               "resistance} (a mapping or a two-column table).")
        values, valid = _landcover_on_grid(landcover, tpl)
        if valid.size and not valid.any():
            lb = (as_raster(landcover, name="landcover").bounds
                  if not isinstance(landcover, np.ndarray) else "the array")
            raise CamigeoError(
                f"landcover has no valid cell on the template grid: the land cover "
                f"(bounds {lb}) does not overlap the template (bounds {tpl.bounds}, "
                f"{tpl.crs.name if tpl.crs else 'no CRS'}) or is all nodata. Check that both "
                f"cover the same area and that the land cover's CRS is right.")
        base = _reclassify(values, valid, _reclass_table(reclass))
    elif ranges is not None:
        base = _range_base(ranges, tpl, range_resistance, outside_range_resistance)
    else:
        base = np.ones(tpl.shape, dtype=np.float64)
    base[~(np.isfinite(base) & (base >= 0))] = np.nan
    out = base.copy()
    if infrastructure is not None:
        infra = _to_crs(infrastructure, tpl.crs, "infrastructure")
        if statuses is not None and "status" in infra.columns:
            infra = infra[infra["status"].isin(statuses)]
        if len(infra):
            vals = _feature_resistance(infra, resistance_by_type, max_resistance,
                                       impermeable_as_nodata)
            burned: np.ndarray | None  # thicken_diagonals returns Optional values
            mask, burned = _burn(infra, vals, tpl, all_touched)
            if thicken:
                mask, burned = thicken_diagonals(mask, burned)
            assert burned is not None
            hit = mask
            out[hit] = np.where(np.isnan(burned[hit]) | np.isnan(base[hit]), np.nan,
                                np.maximum(base[hit], burned[hit]))
            log.info("burned %d infrastructure features into %d cells", len(infra),
                     int(hit.sum()))
    if passages is not None and len(passages):
        if passage_width_m <= 0:
            raise CamigeoError(f"passage_width_m must be > 0; got {passage_width_m}.")
        open_ = _passage_mask(passages, tpl, passage_width_m)
        out[open_] = base[open_]
    return Raster(out, tpl.transform, tpl.crs, np.nan)
