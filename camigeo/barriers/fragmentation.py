"""Effective mesh size (Jaeger 2000) of reporting units cut by linear barriers.

For a reporting unit of area A_t split by barriers into patches of area A_i
(domain_methods §4.2):

* CUT (Jaeger 2000): m_eff = Σ A_i² / A_t; the unit boundary acts as a barrier.
* CBC (Moser et al. 2007): m_eff = Σ A_i · A_i^cmpl / A_t, where A_i^cmpl is the area of
  the *complete* patch that part i belongs to, computed over a larger extent (the union
  of all units, or ``extent``), so unit boundaries are not artificial barriers.
* s_eff = 1000 / m_eff (meshes per 1,000 km²), coherence C = m_eff / A_t,
  division D = 1 − C, splitting index S = A_t / m_eff (= A_t² / Σ A_i² for CUT).

Patches are built with :func:`shapely.polygonize` on the noded union of the unit (or
extent) boundary and the barrier lines; a barrier that ends inside a patch (a dangle)
does not split it. Areas are equal-area (:data:`camigeo.crs.CENTRAL_ASIA_EQUAL_AREA`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._errors import GeometryError, SchemaError
from ..io.crs import CENTRAL_ASIA_EQUAL_AREA, require_crs

__all__ = ["FRAGMENTATION_COLUMNS", "default_barrier_filter", "effective_mesh_size",
           "patches", "reporting_units"]

logger = logging.getLogger(__name__)

#: Columns added by :func:`effective_mesh_size`.
FRAGMENTATION_COLUMNS: tuple[str, ...] = (
    "method", "area_km2", "n_patches", "m_eff_km2", "s_eff_per_1000km2", "coherence",
    "division", "splitting_index",
)

BarrierFilter = Callable[[gpd.GeoDataFrame], Any] | None


def default_barrier_filter(barriers: gpd.GeoDataFrame) -> np.ndarray:
    """Default choice of fragmenting lines [A].

    Keeps every line except: ``fence_class == "open"`` (fence removed or gap), lines whose
    default impermeability weight is 0 (buried pipelines; see
    :func:`camigeo.conflict.default_weights`), and lines whose ``status`` is not
    ``existing`` (when the column exists).

    Parameters
    ----------
    barriers : GeoDataFrame

    Returns
    -------
    numpy.ndarray of bool
    """
    keep = np.ones(len(barriers), dtype=bool)
    if "fence_class" in barriers.columns:
        keep &= (barriers["fence_class"].astype(object) != "open").to_numpy()
    if "status" in barriers.columns:
        keep &= (barriers["status"].astype(object) == "existing").to_numpy()
    if "infra_type" in barriers.columns:
        from .conflict import feature_weights

        keep &= feature_weights(barriers)["weight"].to_numpy() > 0
    return keep


def _lines(barriers: gpd.GeoDataFrame, barrier_filter: BarrierFilter | str) -> np.ndarray:
    if not isinstance(barriers, gpd.GeoDataFrame | gpd.GeoSeries):
        raise SchemaError(f"barriers must be a GeoDataFrame of lines; got "
                          f"{type(barriers).__name__}.")
    require_crs(barriers, name="barriers")
    gdf = barriers if isinstance(barriers, gpd.GeoDataFrame) else gpd.GeoDataFrame(
        geometry=barriers)
    gdf = gdf[(gdf.geometry.notna() & ~gdf.geometry.is_empty).to_numpy()]
    from ..io.guards import check_geometries

    gdf = check_geometries(gdf, name="barriers")
    wrong = sorted(set(gdf.geom_type) - {"LineString", "MultiLineString"})
    if wrong:
        raise GeometryError(
            f"barriers has geometry type(s) {wrong}; expected LineString/MultiLineString. "
            f"Pass polygon outlines as gdf.boundary if they are barriers."
        )
    if barrier_filter == "all":
        mask = np.ones(len(gdf), dtype=bool)
    elif barrier_filter is None or barrier_filter == "default":
        mask = default_barrier_filter(gdf)
    elif callable(barrier_filter):
        mask = np.asarray(barrier_filter(gdf), dtype=bool)
        if mask.shape != (len(gdf),):
            raise SchemaError(f"barrier_filter returned {mask.shape[0] if mask.ndim else 1} "
                              f"value(s) for {len(gdf)} barrier line(s); it must return one "
                              f"boolean per row of the GeoDataFrame it is given.")
    else:
        raise SchemaError(f"barrier_filter={barrier_filter!r}; expected None/'default', "
                          f"'all' or a function GeoDataFrame -> boolean mask.")
    return _to_equal_area(gdf.geometry[mask])


def _to_equal_area(geoms: gpd.GeoSeries) -> np.ndarray:
    """Reproject to CENTRAL_ASIA_EQUAL_AREA, densifying edges first (0.05° / 5 km).

    Edges straight in the source CRS keep their path (same rule as camigeo.conflict).
    """
    from pyproj import CRS

    step = 0.05 if CRS.from_user_input(geoms.crs).is_geographic else 5000.0
    dense = gpd.GeoSeries(shapely.segmentize(np.asarray(geoms.values), step), crs=geoms.crs)
    return np.asarray(dense.to_crs(CENTRAL_ASIA_EQUAL_AREA).values)


def _polygonize(area: Any, lines: np.ndarray) -> np.ndarray:
    """Patches of ``area`` cut by ``lines`` (all in one metric CRS)."""
    if len(lines) == 0:
        return np.asarray(shapely.get_parts(area))
    # Lines are not clipped to the area first: clipped end points land a hair off the
    # boundary in floating point and then fail to node (dangles). Whole lines cross the
    # boundary, so union_all nodes them robustly; faces outside are dropped below.
    edges = np.concatenate([[shapely.boundary(area)], lines])
    noded = shapely.union_all(edges)
    polys = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    if len(polys) == 0:
        return np.empty(0, dtype=object)
    shapely.prepare(area)
    inside = shapely.contains_properly(area, shapely.point_on_surface(polys))
    return polys[inside]


def _unit_cut(item: tuple[int, Any, np.ndarray]) -> tuple[int, float, int]:
    """CUT for one unit: (position, m_eff km², number of patches)."""
    i, unit, lines = item
    polys = _polygonize(unit, lines)
    a_i = shapely.area(polys) / 1e6
    return i, float(np.sum(a_i**2) / (shapely.area(unit) / 1e6)), len(polys)


def _unit_cbc(item: tuple[int, Any, np.ndarray], *, full: np.ndarray,
              full_area: np.ndarray) -> tuple[int, float, int]:
    """CBC for one unit: parts of the complete patches ``full[j]`` inside it."""
    i, unit, j = item
    a_i = shapely.area(shapely.intersection(full[j], unit)) / 1e6
    ok = a_i > 0
    return i, float(np.sum(a_i[ok] * full_area[j][ok]) / (shapely.area(unit) / 1e6)), \
        int(ok.sum())


def patches(area: Any, barriers: gpd.GeoDataFrame, *,
            barrier_filter: BarrierFilter | str = None) -> gpd.GeoDataFrame:
    """Unfragmented patches of one area (polygon GeoDataFrame or GeoSeries).

    Parameters
    ----------
    area : GeoDataFrame or GeoSeries
        Polygons; they are dissolved into one area.
    barriers : GeoDataFrame
        Lines.
    barrier_filter : callable, "default", "all" or None
        Which lines fragment (see :func:`effective_mesh_size`).

    Returns
    -------
    GeoDataFrame
        ``patch_id``, ``area_km2``, polygons in CENTRAL_ASIA_EQUAL_AREA.
    """
    if not isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        raise SchemaError(f"area must be a GeoDataFrame or GeoSeries of polygons with a CRS; "
                          f"got {type(area).__name__}. Wrap a shapely polygon as "
                          f"geopandas.GeoSeries([polygon], crs=...).")
    require_crs(area, name="area")
    from ..io.guards import check_geometries

    area = check_geometries(area, name="area")
    wrong = sorted(set(area.geometry.geom_type.dropna()) - {"Polygon", "MultiPolygon"})
    if wrong:
        raise GeometryError(f"area has geometry type(s) {wrong}; expected Polygon or "
                            f"MultiPolygon.")
    geom = shapely.union_all(_to_equal_area(area.geometry))
    lines = _lines(barriers, barrier_filter)
    tree = shapely.STRtree(lines)
    polys = _polygonize(geom, lines[tree.query(geom, predicate="intersects")])
    return gpd.GeoDataFrame({"patch_id": np.arange(len(polys)),
                             "area_km2": shapely.area(polys) / 1e6},
                            geometry=polys, crs=CENTRAL_ASIA_EQUAL_AREA)


def effective_mesh_size(
    areas: gpd.GeoDataFrame,
    barriers: gpd.GeoDataFrame,
    *,
    method: str = "CUT",
    barrier_filter: BarrierFilter | str = None,
    extent: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    scheduler: Any = None,
) -> gpd.GeoDataFrame:
    """Effective mesh size m_eff (km²) and related indices per reporting unit.

    Parameters
    ----------
    areas : GeoDataFrame
        Reporting units (polygons, any CRS): PTCRs, species ranges or range ∩ PTCR
        (:func:`reporting_units`). Each row is one unit.
    barriers : GeoDataFrame
        Fragmenting lines (schema ``infrastructure`` or any lines).
    method : {"CUT", "CBC"}
        CUT treats the unit boundary as a barrier; CBC (cross-boundary connections)
        credits each part of a patch with the area of its complete patch over ``extent``.
    barrier_filter : callable, "default", "all" or None
        Function ``GeoDataFrame -> bool mask`` of the lines that fragment; None/"default"
        uses :func:`default_barrier_filter` (drops ``fence_class == "open"``, zero-weight
        pipelines, and non-existing lines); "all" keeps every line.
    extent : GeoDataFrame or GeoSeries, optional
        CBC only: the area over which complete patches are built. Default (and always
        included): the union of ``areas``. Give a larger extent (e.g. the species' whole
        range or all PTCRs) so patches reaching beyond the units are credited fully;
        barriers outside the extent are ignored.
    scheduler : None, "synchronous", "threads", "processes", "client" or Client, optional
        None (default): units one after another here. Otherwise one Dask task per unit
        (CUT: its polygonization with the lines that reach it; CBC: its share of the
        complete patches, which are polygonized once over the extent on this machine).
        Same numbers; worth it for many units, e.g. an m_eff grid. See docs/scaling.md.

    Returns
    -------
    GeoDataFrame
        ``areas`` (index, columns and geometry kept) plus :data:`FRAGMENTATION_COLUMNS`:
        ``area_km2`` (A_t), ``n_patches`` (patches or patch parts inside the unit),
        ``m_eff_km2``, ``s_eff_per_1000km2`` (1000 / m_eff), ``coherence`` (m_eff / A_t),
        ``division`` (1 − coherence), ``splitting_index`` (A_t / m_eff).

    Raises
    ------
    CRSError, GeometryError, SchemaError

    Examples
    --------
    A 10 × 10 km unit cut by one line into 30 + 70 km²:

    >>> import geopandas as gpd
    >>> from shapely.geometry import box, LineString
    >>> from camigeo.crs import CENTRAL_ASIA_EQUAL_AREA as EA
    >>> unit = gpd.GeoDataFrame(geometry=[box(0, 0, 10_000, 10_000)], crs=EA)
    >>> cut = gpd.GeoDataFrame(geometry=[LineString([(3_000, -1), (3_000, 10_001)])], crs=EA)
    >>> round(float(effective_mesh_size(unit, cut)["m_eff_km2"].iloc[0]), 6)
    58.0
    """
    method = str(method).upper()
    if method not in ("CUT", "CBC"):
        raise SchemaError(f"method={method!r}; expected 'CUT' or 'CBC'.")
    if not isinstance(areas, gpd.GeoDataFrame):
        raise SchemaError(f"areas must be a GeoDataFrame of polygons; got "
                          f"{type(areas).__name__}.")
    require_crs(areas, name="areas")
    from ..io.guards import check_geometries

    areas = check_geometries(areas, name="areas")
    wrong = sorted(set(areas.geom_type.dropna()) - {"Polygon", "MultiPolygon"})
    if wrong:
        raise GeometryError(f"areas has geometry type(s) {wrong}; expected Polygon or "
                            f"MultiPolygon reporting units.")
    units = shapely.make_valid(_to_equal_area(areas.geometry))
    lines = _lines(barriers, barrier_filter)
    tree = shapely.STRtree(lines)
    a_t = shapely.area(units) / 1e6
    m_eff = np.zeros(len(units))
    n_patch = np.zeros(len(units), dtype=np.int64)
    if method == "CBC":
        ext = shapely.union_all(units[~shapely.is_empty(units)])
        if extent is not None:
            require_crs(extent, name="extent")
            ext = shapely.union_all([ext, *_to_equal_area(extent.geometry)])
        full = _polygonize(ext, lines[tree.query(ext, predicate="intersects")])
        full_area = shapely.area(full) / 1e6
        ptree = shapely.STRtree(full)
    todo = [i for i, unit in enumerate(units)
            if unit is not None and not shapely.is_empty(unit) and a_t[i] > 0]
    empty = np.ones(len(units), dtype=bool)
    empty[todo] = False
    m_eff[empty] = np.nan
    func: Callable[..., tuple[int, float, int]]
    if method == "CUT":
        func, shared = _unit_cut, {}
        items = [(i, units[i], lines[tree.query(units[i], predicate="intersects")])
                 for i in todo]
    else:
        func, shared = _unit_cbc, {"full": full, "full_area": full_area}
        items = [(i, units[i], ptree.query(units[i], predicate="intersects")) for i in todo]

    def combine(res: tuple[int, float, int]) -> None:
        m_eff[res[0]], n_patch[res[0]] = res[1], res[2]

    if scheduler is None:
        for item in items:
            combine(func(item, **shared))
    else:
        from ..scale import reduce_tasks

        logger.info("effective_mesh_size: %d unit tasks (%s)", len(items), method)
        reduce_tasks(func, items, combine, scheduler=scheduler, shared=shared)
    out = areas.copy()
    out["method"] = method
    out["area_km2"] = a_t
    out["n_patches"] = n_patch
    out["m_eff_km2"] = m_eff
    with np.errstate(divide="ignore", invalid="ignore"):
        out["s_eff_per_1000km2"] = np.where(m_eff > 0, 1000.0 / m_eff, np.inf)
        out["coherence"] = m_eff / a_t
        out["division"] = 1.0 - m_eff / a_t
        out["splitting_index"] = np.where(m_eff > 0, a_t / m_eff, np.inf)
    return out


def reporting_units(
    ptcrs: gpd.GeoDataFrame | None = None,
    ranges: gpd.GeoDataFrame | None = None,
    *,
    kind: str = "range_in_ptcr",
    species: Iterable[str] | None = None,
) -> gpd.GeoDataFrame:
    """Build reporting units for :func:`effective_mesh_size`.

    Parameters
    ----------
    ptcrs, ranges : GeoDataFrame, optional
        Schema ``ptcr`` / ``range`` layers.
    kind : {"ptcr", "range", "range_in_ptcr"}
        One unit per region (``ptcr_id``, ``name``), per species (dissolved ``sci_name``)
        or per (region, species) overlap (``ptcr_id``, ``ptcr_name``, ``sci_name``).
    species : iterable of str, optional
        Keep only these ``sci_name`` values.

    Returns
    -------
    GeoDataFrame
        In CENTRAL_ASIA_EQUAL_AREA.
    """
    from .kernels import check_geoms, dissolve, prepare_areas, require_column

    if kind not in ("ptcr", "range", "range_in_ptcr"):
        raise SchemaError(f"kind={kind!r}; expected 'ptcr', 'range' or 'range_in_ptcr'.")
    if kind in ("range", "range_in_ptcr") and ranges is None:
        raise SchemaError(f"kind={kind!r} needs ranges.")
    if kind in ("ptcr", "range_in_ptcr") and ptcrs is None:
        raise SchemaError(f"kind={kind!r} needs ptcrs.")
    if ranges is not None and species is not None:
        require_column(ranges, "sci_name", name="ranges")
        ranges = ranges[ranges["sci_name"].isin(list(species)).to_numpy()]
    ea = CENTRAL_ASIA_EQUAL_AREA
    if kind == "ptcr":
        p = check_geoms(ptcrs, name="ptcrs", kind="polygon")
        require_column(p, "ptcr_id", name="ptcrs")
        ids, geoms = dissolve(p, "ptcr_id")
        names = p.drop_duplicates("ptcr_id").set_index("ptcr_id")
        data: dict[str, Any] = {"ptcr_id": ids}
        if "name" in names:
            data["name"] = [names.loc[i, "name"] for i in ids]
        return gpd.GeoDataFrame(data, geometry=geoms, crs=ea)
    if kind == "range":
        r = check_geoms(ranges, name="ranges", kind="polygon")
        require_column(r, "sci_name", name="ranges")
        ids, geoms = dissolve(r, "sci_name")
        return gpd.GeoDataFrame({"sci_name": ids.astype(str)}, geometry=geoms, crs=ea)
    prep = prepare_areas(ptcrs, ranges)
    return gpd.GeoDataFrame({
        "ptcr_id": pd.Series(prep.region_ids[prep.zone_region]).infer_objects(),
        "ptcr_name": prep.region_names[prep.zone_region].astype(str),
        "sci_name": prep.species_ids[prep.zone_species].astype(str),
    }, geometry=prep.zone_geoms if len(prep.zone_geoms) else gpd.GeoSeries([], crs=ea),
        crs=ea)
