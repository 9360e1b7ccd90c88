"""Screening of planned linear infrastructure before approval (CAMI Work Programme 5.1).

:func:`screen_project` answers, for a planned railway, road, fence or a fenced footprint:

* which PTCRs and species ranges it enters (its ``buffer_m`` buffer touches them),
* how many km of it lie inside each region, each range ∩ region and each whole range,
* the change of the conflict score (:func:`camigeo.summarize_conflict` formula) and of the
  region ranks if it were built,
* the change of the effective mesh size m_eff per region and per range ∩ region,
* the nearest existing barrier of each type (km).

The result object renders a self-contained HTML report (:meth:`ScreeningResult.to_html`)
and writes a GeoPackage (:meth:`ScreeningResult.to_geopackage`).
:func:`screen_file` is the entry point of ``camigeo screen planned.gpkg``.
"""

from __future__ import annotations

import datetime as _dt
import html
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from .._errors import GeometryError, SchemaError
from ..io.crs import CENTRAL_ASIA_EQUAL_AREA, GEOD, WGS84, local_metric_crs, require_crs
from .conflict import INFRA_TYPES, WeightKey
from .kernels import (
    Prepared,
    prepare_areas,
    prepare_lines,
    score_chunk,
    species_weight_vector,
    zones_to,
)

__all__ = ["ScreeningResult", "screen_project", "screen_file"]

logger = logging.getLogger(__name__)

#: [A] Default screening buffer: mammal populations decline within ~5 km of
#: infrastructure (Benítez-López et al. 2010, domain_methods §4.4).
DEFAULT_BUFFER_M = 5000.0


@dataclass
class ScreeningResult:
    """Outcome of :func:`screen_project`.

    Attributes
    ----------
    table : DataFrame
        One row per (``ptcr_id``, ``sci_name``) the project enters: km inside, weighted km,
        area within the buffer, gross new effect zone, weighted density before/after and
        Δ (km per 1,000 km²), the species' Δ contribution to the region's conflict score,
        and m_eff before/after/Δ (km², %).
    ptcr_table : DataFrame
        One row per region entered: km inside, conflict score before/after/Δ, rank
        before/after (among all regions), m_eff of the region before/after/Δ.
    species_table : DataFrame
        One row per species whose range (inside or outside regions) the project enters:
        km inside the whole range, weighted density before/after/Δ.
    nearest : GeoDataFrame
        Nearest existing line of each ``infra_type`` to the project: ``infra_type``,
        ``infra_id``, ``name``, ``distance_km``, geometry (EPSG:4326).
    project : GeoDataFrame
        The screened features (EPSG:4326) with their ``weight`` and ``length_km``.
    params : dict
        Parameters of the run (buffer, method, data sources).
    """

    table: pd.DataFrame
    ptcr_table: pd.DataFrame
    species_table: pd.DataFrame
    nearest: gpd.GeoDataFrame
    project: gpd.GeoDataFrame
    params: dict[str, Any] = field(default_factory=dict)
    _zone_geoms: gpd.GeoSeries | None = None
    _region_geoms: gpd.GeoSeries | None = None

    def __repr__(self) -> str:
        return (f"ScreeningResult({len(self.project)} feature(s), "
                f"{len(self.ptcr_table)} PTCR(s), {len(self.table)} region×species row(s))")

    def summary(self) -> str:
        """Plain-text summary for a terminal (what ``camigeo screen`` prints).

        Returns
        -------
        str
        """
        lines = [f"Screened {len(self.project)} feature(s), "
                 f"{self.project['length_km'].sum():.1f} km, buffer "
                 f"{self.params.get('buffer_m', 0) / 1000:g} km."]
        if self.ptcr_table.empty:
            lines.append("The project enters no PTCR.")
        for r in self.ptcr_table.itertuples(index=False):
            lines.append(
                f"PTCR {r.ptcr_id} {r.ptcr_name}: {r.length_km:.1f} km inside; conflict score "
                f"{r.conflict_score_before:.2f} -> {r.conflict_score_after:.2f} "
                f"(rank {r.rank_before} -> {r.rank_after}); m_eff {r.m_eff_before_km2:.0f} -> "
                f"{r.m_eff_after_km2:.0f} km² ({r.delta_m_eff_pct:+.1f} %)")
        if not self.species_table.empty:
            sp = ", ".join(f"{s} ({k:.1f} km)" for s, k in zip(
                self.species_table["sci_name"], self.species_table["length_km"], strict=True))
            lines.append(f"Species ranges entered: {sp}")
        for r in self.nearest.itertuples(index=False):
            lines.append(f"Nearest existing {r.infra_type}: {r.name or r.infra_id} at "
                         f"{r.distance_km:.1f} km")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    # ------------------------------------------------------------------ HTML
    def to_html(self, path: str | os.PathLike[str] | None = None) -> str:
        """Self-contained HTML report (inline CSS and SVG sketch; no external resources).

        Every value coming from data is HTML-escaped.

        Parameters
        ----------
        path : str or path-like, optional
            Write the report there (atomically) as well.

        Returns
        -------
        str
            The HTML document.
        """
        esc = html.escape
        title = self.params.get("title") or "Planned infrastructure screening"
        parts = [
            "<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
            f"<title>{esc(str(title))}</title>",
            "<style>body{font-family:sans-serif;margin:2em;max-width:72em}"
            "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;"
            "padding:3px 8px;text-align:right}th{background:#eee}td.t{text-align:left}"
            ".neg{color:#a00}.note{color:#555;font-size:90%}pre{white-space:pre-wrap}"
            "</style></head><body>",
            f"<h1>{esc(str(title))}</h1>",
            f"<p class='note'>Generated {esc(self.params.get('created', ''))} by camigeo "
            f"{esc(self.params.get('version', ''))}. Buffer "
            f"{esc(format(self.params.get('buffer_m', 0) / 1000, 'g'))} km; m_eff method "
            f"{esc(str(self.params.get('mesh_method', '')))}. Values are screening estimates "
            f"(Atlas-style, see docs/conflict.md), not an impact assessment.</p>",
            "<h2>Summary</h2><pre>" + esc(self.summary()) + "</pre>",
            self._svg(),
            "<h2>Project features</h2>",
            _html_table(pd.DataFrame(self.project.drop(columns="geometry"))),
            "<h2>PTCRs entered</h2>", _html_table(self.ptcr_table),
            "<h2>Species ranges within PTCRs</h2>", _html_table(self.table),
            "<h2>Species ranges (whole range)</h2>", _html_table(self.species_table),
            "<h2>Nearest existing barriers</h2>",
            _html_table(pd.DataFrame(self.nearest.drop(columns="geometry"))),
            "<p class='note'>Δ conflict score = Σ over species of w_s × 1000 × (weighted km "
            "added in range ∩ region) / (area of range ∩ region, km²). Effect zones are gross "
            "(not net of existing zones).</p>",
            "</body></html>",
        ]
        doc = "\n".join(parts)
        if path is not None:
            from ..io.atomic import atomic_path

            with atomic_path(path) as tmp:
                Path(tmp).write_text(doc, encoding="utf-8")
        return doc

    def _svg(self, width: int = 640, height: int = 420) -> str:
        """Sketch map (inline SVG) of regions entered and the project, EPSG:4326 shapes."""
        geoms = []
        if self._region_geoms is not None and len(self._region_geoms):
            geoms += [("region", g) for g in self._region_geoms.to_crs(WGS84)]
        geoms += [("project", g) for g in self.project.geometry]
        geoms += [("barrier", g) for g in self.nearest.geometry]
        geoms = [(k, g) for k, g in geoms if g is not None and not g.is_empty]
        if not geoms:
            return ""
        # view: the project and the regions entered (far barriers are cut by the viewport)
        view = np.array([g for k, g in geoms if k != "barrier"] or [g for _, g in geoms],
                        dtype=object)
        minx, miny, maxx, maxy = shapely.total_bounds(view)
        padx, pady = 0.05 * (maxx - minx) + 1e-6, 0.05 * (maxy - miny) + 1e-6
        minx, maxx, miny, maxy = minx - padx, maxx + padx, miny - pady, maxy + pady
        sx = min(width / (maxx - minx), height / (maxy - miny))
        width, height = int(np.ceil((maxx - minx) * sx)), int(np.ceil((maxy - miny) * sx))
        style = {"region": "fill:#cfe8cf;stroke:#2a7;stroke-width:1",
                 "project": "fill:none;stroke:#d00;stroke-width:3",
                 "barrier": "fill:none;stroke:#333;stroke-width:1.5;stroke-dasharray:4 2"}
        out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
               f"style='border:1px solid #ccc;overflow:hidden' role='img' "
               f"aria-label='sketch map'>"]
        for kind, g in geoms:
            for part in shapely.get_parts(g):
                rings = ([part.exterior, *part.interiors] if part.geom_type == "Polygon"
                         else [part])
                d = ""
                for ring in rings:
                    xy = np.asarray(ring.coords)[:, :2]
                    px = (xy[:, 0] - minx) * sx
                    py = height - (xy[:, 1] - miny) * sx
                    d += "M" + " L".join(f"{a:.1f},{b:.1f}" for a, b in zip(px, py,
                                                                            strict=True))
                    d += " Z " if part.geom_type == "Polygon" else " "
                out.append(f"<path d='{d.strip()}' style='{style[kind]}'/>")
        out.append("</svg><p class='note'>Sketch (lon/lat, not to scale): green = PTCRs "
                   "entered, red = project, dashed = nearest existing barriers.</p>")
        return "".join(out)

    # ------------------------------------------------------------------ GeoPackage
    def to_geopackage(self, path: str | os.PathLike[str]) -> Path:
        """Write the result as a GeoPackage, atomically (all layers or none).

        Layers: ``screening_project`` (features), ``screening_ptcr`` (region rows with the
        region outline), ``screening_species`` (region × species rows with the outline of
        range ∩ region), ``screening_nearest`` (nearest existing barriers). All EPSG:4326.

        Parameters
        ----------
        path : str or path-like
            Destination ``.gpkg`` (replaced if it exists).

        Returns
        -------
        pathlib.Path
        """
        import pyogrio

        from ..io.atomic import atomic_path

        layers = {
            "screening_project": self.project,
            "screening_ptcr": _with_geoms(self.ptcr_table, self._region_geoms),
            "screening_species": _with_geoms(self.table, self._zone_geoms),
            "screening_nearest": self.nearest,
        }
        path = Path(path)
        with atomic_path(path) as tmp:
            for name, gdf in layers.items():
                pyogrio.write_dataframe(gdf, tmp, layer=name, driver="GPKG")
        logger.info("wrote screening result to %s", path)
        return path


def _with_geoms(df: pd.DataFrame, geoms: gpd.GeoSeries | None) -> gpd.GeoDataFrame:
    g = geoms.to_crs(WGS84).to_numpy() if geoms is not None and len(df) else []
    return gpd.GeoDataFrame(df.reset_index(drop=True), geometry=list(g) if len(df) else [],
                            crs=WGS84)


def _fmt(v: Any) -> str:
    if isinstance(v, float | np.floating):
        if np.isnan(v):
            return ""
        return f"{v:,.3f}" if cast(float, abs(v)) < 1000 else f"{v:,.1f}"  # numpy stubs
    return str(v)


def _html_table(df: pd.DataFrame) -> str:
    if df.empty:
        return "<p class='note'>none</p>"
    esc = html.escape
    head = "".join(f"<th>{esc(str(c))}</th>" for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False):
        cells = []
        for v in rec:
            cls = " class='t'" if isinstance(v, str) else ""
            cells.append(f"<td{cls}>{esc(_fmt(v))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<div style='overflow-x:auto'><table><tr>{head}</tr>{''.join(rows)}</table>"
            f"</div>")


# ---------------------------------------------------------------------- input handling
#: Widest screening buffer accepted, metres.
MAX_BUFFER_M = 2_000_000.0


def _as_project(project: Any, *, crs: Any, infra_type: str | None, fenced: bool | None,
                fence_class: str | None, name: str | None) -> gpd.GeoDataFrame:
    if isinstance(project, shapely.Geometry):
        gdf = gpd.GeoDataFrame(geometry=[project], crs=crs)
    elif isinstance(project, gpd.GeoSeries):
        gdf = gpd.GeoDataFrame(geometry=project)
    elif isinstance(project, gpd.GeoDataFrame):
        gdf = project.copy()
    else:
        raise SchemaError(f"project must be a shapely geometry, GeoSeries or GeoDataFrame; "
                          f"got {type(project).__name__}.")
    require_crs(gdf, name="project")
    gdf = gdf[(gdf.geometry.notna() & ~gdf.geometry.is_empty).to_numpy()]
    from ..io.guards import check_geometries  # metres declared lon/lat, NaN vertices

    gdf = check_geometries(gdf, name="project")
    if gdf.empty:
        raise GeometryError("project has no non-empty geometry; expected planned lines or "
                            "footprint polygons.")
    wrong = sorted(set(gdf.geom_type) - {"LineString", "MultiLineString", "Polygon",
                                         "MultiPolygon"})
    if wrong:
        raise GeometryError(f"project has geometry type(s) {wrong}; expected planned lines "
                            f"(LineString) or footprints (Polygon). Buffer points first.")
    if infra_type is not None:
        gdf["infra_type"] = infra_type
    if "infra_type" not in gdf.columns:
        raise SchemaError(
            "project has no 'infra_type' column and no infra_type= was given; pass "
            f"infra_type= one of {list(INFRA_TYPES)} (e.g. infra_type='railway').")
    if fenced is not None:
        from ..io.guards import parse_bool

        try:
            gdf["fenced"] = bool(parse_bool(fenced))
        except ValueError:
            raise SchemaError(f"fenced={fenced!r}: expected True or False (also accepted: "
                              f"'yes'/'no', 1/0).") from None
    if fence_class is not None or "fence_class" not in gdf.columns:
        gdf["fence_class"] = fence_class
    if "fenced" not in gdf.columns:
        gdf["fenced"] = gdf["fence_class"].notna()
    if "infra_id" not in gdf.columns:
        gdf["infra_id"] = [f"planned-{i + 1}" for i in range(len(gdf))]
    if name is not None or "name" not in gdf.columns:
        gdf["name"] = name or ""
    gdf["status"] = "planned"
    # footprints count through their (fenced) outline [A]
    poly = gdf.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if poly.any():
        geoms = gdf.geometry.to_numpy().copy()
        geoms[poly] = shapely.boundary(geoms[poly])
        gdf = gdf.set_geometry(gpd.GeoSeries(geoms, crs=gdf.crs, index=gdf.index))
    cols = ["infra_id", "name", "infra_type", "status", "fenced", "fence_class"]
    return gpd.GeoDataFrame(gdf[cols + [gdf.geometry.name]], crs=gdf.crs).to_crs(WGS84)


def _load_defaults(ptcrs: Any, ranges: Any, infrastructure: Any) -> tuple[Any, Any, Any, str]:
    src = []
    if ptcrs is None or ranges is None or infrastructure is None:
        from .. import datasets  # written by the data helper; imported lazily

        if ptcrs is None:
            ptcrs = datasets.load_ptcrs()
            src.append("ptcrs: bundled")
        if ranges is None:
            ranges = datasets.load_ranges()
            src.append("ranges: bundled")
        if infrastructure is None:
            infrastructure = datasets.load_infrastructure()
            src.append("infrastructure: bundled")
    return ptcrs, ranges, infrastructure, "; ".join(src) or "user layers"


def _zone_sums(lines: pd.DataFrame, zones: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Length and weighted length (km) of lon/lat ``lines`` in lon/lat ``zones``."""
    if lines.empty or len(zones) == 0:
        return np.zeros(len(zones)), np.zeros(len(zones))
    s = score_chunk(lines["geometry"].to_numpy(), lines["length_km"].to_numpy(),
                     lines["type_code"].to_numpy(), lines["weight"].to_numpy(), zones,
                     crs=WGS84)
    g = s.groupby("zone")[["length_km", "weighted_length_km"]].sum()
    g = g.reindex(range(len(zones))).fillna(0.0)
    return g["length_km"].to_numpy(), g["weighted_length_km"].to_numpy()


def _dense(geoms: np.ndarray) -> gpd.GeoSeries:
    """Lon/lat lines with vertices every 0.05° at most, so reprojection keeps their path."""
    return gpd.GeoSeries(shapely.segmentize(geoms, 0.05) if len(geoms) else geoms, crs=WGS84)


def _is_barrier(lines: pd.DataFrame, fence_class: pd.Series) -> np.ndarray:
    return ((lines["weight"].to_numpy() > 0)
            & (fence_class.astype(object).reindex(lines.index).to_numpy() != "open"))


def _meff(units: np.ndarray, before: np.ndarray, added: np.ndarray, *, method: str,
          extent: Any) -> tuple[np.ndarray, np.ndarray]:
    from .fragmentation import effective_mesh_size

    ea = CENTRAL_ASIA_EQUAL_AREA
    u = gpd.GeoDataFrame(geometry=list(units), crs=ea)
    ext = gpd.GeoSeries([extent], crs=ea) if extent is not None else None
    res = []
    for lines in (before, np.concatenate([before, added])):
        bar = gpd.GeoDataFrame(geometry=list(lines), crs=ea)
        res.append(effective_mesh_size(u, bar, method=method, barrier_filter="all",
                                       extent=ext)["m_eff_km2"].to_numpy())
    return res[0], res[1]


# ---------------------------------------------------------------------- main function
def screen_project(
    project: Any,
    *,
    buffer_m: float = DEFAULT_BUFFER_M,
    ptcrs: gpd.GeoDataFrame | None = None,
    ranges: gpd.GeoDataFrame | None = None,
    infrastructure: gpd.GeoDataFrame | None = None,
    infra_type: str | None = None,
    fenced: bool | None = None,
    fence_class: str | None = None,
    crs: Any = "EPSG:4326",
    weights: Mapping[WeightKey, float] | None = None,
    effect_zones_m: Mapping[str | tuple[str, bool], float] | None = None,
    species_weights: Mapping[str, float] | None = None,
    mesh_method: str = "CUT",
    status: Iterable[str] = ("existing",),
    name: str | None = None,
) -> ScreeningResult:
    """Screen a planned line or footprint against PTCRs, species ranges and barriers.

    Parameters
    ----------
    project : shapely geometry, GeoSeries or GeoDataFrame
        Planned lines (or footprint polygons, which count through their fenced outline
        [A]). Columns ``infra_type``, ``fenced``, ``fence_class``, ``name``, ``infra_id``
        are used when present.
    buffer_m : float, default 5000
        A region or range counts as entered when it lies within this distance (metres) of
        the project; ``buffer_area_km2`` is the range area within it.
    ptcrs, ranges, infrastructure : GeoDataFrame, optional
        Defaults: the bundled layers (:mod:`camigeo.datasets`).
    infra_type, fenced, fence_class : optional
        Attributes of the planned features (override columns); ``infra_type`` is needed
        when the project has no such column.
    crs : CRS-like, default "EPSG:4326"
        CRS of a bare shapely ``project``.
    weights, effect_zones_m : mapping, optional
        Overrides as for :func:`camigeo.score_conflict`.
    species_weights : mapping, optional
        ``sci_name`` -> weight in the conflict score (default 1).
    mesh_method : {"CUT", "CBC"}
        m_eff procedure; CBC builds complete patches over the union of all regions.
    status : iterable of str, default ("existing",)
        Which lines of ``infrastructure`` count as the present state.
    name : str, optional
        Name of the project (report title).

    Returns
    -------
    ScreeningResult

    Raises
    ------
    CRSError, GeometryError, SchemaError
    """
    from ..io.guards import check_number

    check_number(buffer_m, name="buffer_m", minimum=0.0, maximum=MAX_BUFFER_M, unit="m",
                 fix="The screening buffer is the area of influence around the project in "
                 "metres (default 5000); wider than 2,000 km it spans all of Central Asia.")
    if isinstance(status, str):  # status="existing" means ("existing",)
        status = (status,)
    if str(mesh_method).upper() not in ("CUT", "CBC"):
        raise SchemaError(f"mesh_method={mesh_method!r}; expected 'CUT' or 'CBC'.")
    proj = _as_project(project, crs=crs, infra_type=infra_type, fenced=fenced,
                       fence_class=fence_class, name=name)
    ptcrs, ranges, infrastructure, source = _load_defaults(ptcrs, ranges, infrastructure)
    prep: Prepared = prepare_areas(ptcrs, ranges)
    ea = CENTRAL_ASIA_EQUAL_AREA
    existing, _ = prepare_lines(infrastructure, status=status, weights=weights,
                                 effect_zones_m=effect_zones_m, crs=WGS84)
    planned, _ = prepare_lines(proj, status=None, weights=weights,
                                effect_zones_m=effect_zones_m, name="project", crs=WGS84)
    proj = proj.assign(weight=planned["weight"].to_numpy(),
                       effect_zone_m=planned["effect_zone_m"].to_numpy(),
                       length_km=planned["length_km"].to_numpy())
    # buffer and effect zones in a local equidistant CRS (true metres), then equal-area
    local = local_metric_crs(proj)
    proj_local = _dense(proj.geometry.to_numpy()).to_crs(local)
    buf = gpd.GeoSeries([shapely.union_all(proj_local.buffer(float(buffer_m)).to_numpy())],
                        crs=local).to_crs(CENTRAL_ASIA_EQUAL_AREA).iloc[0]
    ez_geom = gpd.GeoSeries([shapely.union_all(shapely.buffer(
        proj_local.to_numpy(), proj["effect_zone_m"].to_numpy()))], crs=local).to_crs(
        CENTRAL_ASIA_EQUAL_AREA).iloc[0]
    shapely.prepare(buf)
    n_reg = len(prep.region_geoms)
    all_zones = np.concatenate([prep.region_geoms, prep.zone_geoms, prep.species_geoms])
    # clip in lon/lat like score_conflict does for lon/lat layers (edges straight in lon/lat)
    zones_ll = zones_to(all_zones, WGS84)
    len_new, wlen_new = _zone_sums(planned, zones_ll)
    _, wlen_old = _zone_sums(existing, zones_ll)
    entered = shapely.intersects(buf, all_zones) if len(all_zones) else np.zeros(0, bool)
    nz = len(prep.zone_geoms)
    z_sl = slice(n_reg, n_reg + nz)
    s_sl = slice(n_reg + nz, None)
    zone_area = prep.zone_area_km2
    sw = species_weight_vector(species_weights, prep.species_ids.astype(str))
    zsp = prep.species_ids[prep.zone_species].astype(str) if nz else np.empty(0, str)
    zw = np.asarray([float(sw.get(s, 1.0)) for s in zsp])
    dens_old = 1000 * wlen_old[z_sl] / zone_area if nz else np.zeros(0)
    dens_new = 1000 * (wlen_old[z_sl] + wlen_new[z_sl]) / zone_area if nz else np.zeros(0)
    score_old = np.bincount(prep.zone_region, weights=zw * dens_old, minlength=n_reg)
    score_new = np.bincount(prep.zone_region, weights=zw * dens_new, minlength=n_reg)
    rank_old = pd.Series(score_old).rank(ascending=False, method="min").astype("int64")
    rank_new_all = score_old.copy()
    reg_in = np.flatnonzero(entered[:n_reg])
    rank_new_all[reg_in] = score_new[reg_in]
    rank_new = pd.Series(rank_new_all).rank(ascending=False, method="min").astype("int64")
    zone_in = np.flatnonzero(entered[z_sl])
    sp_in = np.flatnonzero(entered[s_sl])
    # m_eff before / after for entered regions and zones
    ex_bar = _dense(existing["geometry"].to_numpy()[
        _is_barrier(existing, _col(infrastructure, "fence_class"))]).to_crs(ea).to_numpy()
    new_bar = _dense(planned["geometry"].to_numpy()[
        _is_barrier(planned, proj["fence_class"])]).to_crs(ea).to_numpy()
    units = np.concatenate([prep.region_geoms[reg_in], prep.zone_geoms[zone_in]])
    extent = shapely.union_all(prep.region_geoms) if mesh_method.upper() == "CBC" else None
    if len(units):
        m_old, m_new = _meff(units, ex_bar, new_bar, method=mesh_method, extent=extent)
    else:
        m_old = m_new = np.zeros(0)
    region_area = prep.region_area_km2
    inter_area = (shapely.area(shapely.intersection(all_zones[entered], buf)) / 1e6
                  if entered.any() else np.zeros(0))
    buf_area = np.zeros(len(all_zones))
    buf_area[entered] = inter_area
    ez_area = np.zeros(len(all_zones))
    if entered.any() and not ez_geom.is_empty:
        ez_area[entered] = shapely.area(shapely.intersection(all_zones[entered],
                                                             ez_geom)) / 1e6
    ptcr_table = pd.DataFrame({
        "ptcr_id": pd.Series(prep.region_ids[reg_in]).infer_objects(),
        "ptcr_name": prep.region_names[reg_in].astype(str),
        "area_km2": region_area[reg_in],
        "length_km": len_new[reg_in],
        "weighted_length_km": wlen_new[reg_in],
        "buffer_area_km2": buf_area[reg_in],
        "n_species_entered": [int(np.sum(prep.zone_region[zone_in] == r)) for r in reg_in],
        "conflict_score_before": score_old[reg_in],
        "conflict_score_after": score_new[reg_in],
        "delta_conflict_score": score_new[reg_in] - score_old[reg_in],
        "rank_before": rank_old.to_numpy()[reg_in],
        "rank_after": rank_new.to_numpy()[reg_in],
        "m_eff_before_km2": m_old[:len(reg_in)],
        "m_eff_after_km2": m_new[:len(reg_in)],
    })
    zr = prep.zone_region[zone_in]
    table = pd.DataFrame({
        "ptcr_id": pd.Series(prep.region_ids[zr]).infer_objects(),
        "ptcr_name": prep.region_names[zr].astype(str),
        "sci_name": zsp[zone_in] if nz else np.empty(0, str),
        "area_km2": zone_area[zone_in] if nz else np.empty(0),
        "length_km": len_new[z_sl][zone_in],
        "weighted_length_km": wlen_new[z_sl][zone_in],
        "buffer_area_km2": buf_area[z_sl][zone_in],
        "buffer_share": buf_area[z_sl][zone_in] / zone_area[zone_in] if nz else np.empty(0),
        "effect_zone_km2": ez_area[z_sl][zone_in],
        "weighted_density_before": dens_old[zone_in],
        "weighted_density_after": dens_new[zone_in],
        "delta_weighted_density": dens_new[zone_in] - dens_old[zone_in],
        "delta_conflict_score": (zw * (dens_new - dens_old))[zone_in],
        "m_eff_before_km2": m_old[len(reg_in):],
        "m_eff_after_km2": m_new[len(reg_in):],
    })
    for t in (ptcr_table, table):
        t["delta_m_eff_km2"] = t["m_eff_after_km2"] - t["m_eff_before_km2"]
        with np.errstate(divide="ignore", invalid="ignore"):
            t["delta_m_eff_pct"] = 100 * t["delta_m_eff_km2"] / t["m_eff_before_km2"]
    sp_area = shapely.area(prep.species_geoms) / 1e6
    species_table = pd.DataFrame({
        "sci_name": prep.species_ids[sp_in].astype(str),
        "range_area_km2": sp_area[sp_in],
        "length_km": len_new[s_sl][sp_in],
        "weighted_length_km": wlen_new[s_sl][sp_in],
        "buffer_area_km2": buf_area[s_sl][sp_in],
        "weighted_density_before": 1000 * wlen_old[s_sl][sp_in] / sp_area[sp_in],
        "weighted_density_after": 1000 * (wlen_old[s_sl] + wlen_new[s_sl])[sp_in]
        / sp_area[sp_in],
    })
    species_table["delta_weighted_density"] = (species_table["weighted_density_after"]
                                               - species_table["weighted_density_before"])
    nearest = _nearest(proj, infrastructure, status=status, local=local)
    from .._version import __version__

    params = {"buffer_m": float(buffer_m), "mesh_method": mesh_method.upper(),
              "data": source, "title": name or "Planned infrastructure screening",
              "created": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
              "version": __version__}
    order = table.sort_values(["ptcr_id", "sci_name"]).index.to_numpy()
    return ScreeningResult(
        table=table.loc[order].reset_index(drop=True), ptcr_table=ptcr_table,
        species_table=species_table, nearest=nearest, project=proj, params=params,
        _zone_geoms=gpd.GeoSeries(prep.zone_geoms[zone_in][order] if nz else [], crs=ea),
        _region_geoms=gpd.GeoSeries(prep.region_geoms[reg_in], crs=ea),
    )


def _col(gdf: pd.DataFrame, col: str) -> pd.Series:
    if col in gdf.columns:
        return gdf[col]
    return pd.Series([None] * len(gdf), index=gdf.index, dtype=object)


def _nearest(proj: gpd.GeoDataFrame, infrastructure: gpd.GeoDataFrame, *,
             status: Iterable[str], local: CRS) -> gpd.GeoDataFrame:
    """Nearest existing line per infra_type to the whole project (geodesic km)."""
    cols = ["infra_type", "infra_id", "name", "fenced", "fence_class", "distance_km"]
    infra = infrastructure
    if "status" in infra.columns:
        infra = infra[infra["status"].astype(object).isin(list(status)).to_numpy()]
    infra = infra[(infra.geometry.notna() & ~infra.geometry.is_empty).to_numpy()]
    rows = []
    geoms = []
    if len(infra):
        target = shapely.union_all(_dense(proj.geometry.to_numpy()).to_crs(local).to_numpy())
        loc = _dense(infra.geometry.to_crs(WGS84).to_numpy()).to_crs(local).to_numpy()
        # nearest points found in the local equidistant CRS, their distance measured on
        # the ellipsoid (the local CRS stretches distances far from its centre)
        ends = shapely.get_coordinates(shapely.shortest_line(target, loc)).reshape(-1, 4)
        lon0, lat0 = Transformer.from_crs(local, WGS84, always_xy=True).transform(
            ends[:, 0], ends[:, 1])
        lon1, lat1 = Transformer.from_crs(local, WGS84, always_xy=True).transform(
            ends[:, 2], ends[:, 3])
        dist = GEOD.inv(lon0, lat0, lon1, lat1)[2] / 1000.0
        types = infra["infra_type"].astype(object).to_numpy()
        for t in [t for t in INFRA_TYPES if t in set(types)]:
            idx = np.flatnonzero(types == t)
            i = idx[np.argmin(dist[idx])]
            rec = infra.iloc[i]
            rows.append({"infra_type": t, "infra_id": str(rec.get("infra_id", i)),
                         "name": "" if pd.isna(rec.get("name", "")) else str(rec.get("name",
                                                                                       "")),
                         "fenced": bool(rec.get("fenced", False)) if not pd.isna(
                             rec.get("fenced", False)) else False,
                         "fence_class": None if pd.isna(rec.get("fence_class", None))
                         else str(rec.get("fence_class")),
                         "distance_km": float(dist[i])})
            geoms.append(infra.geometry.to_crs(WGS84).iloc[i])
    df = pd.DataFrame(rows, columns=cols)
    return gpd.GeoDataFrame(df.sort_values("distance_km", ignore_index=True) if rows else df,
                            geometry=[geoms[j] for j in df.sort_values("distance_km").index]
                            if rows else [], crs=WGS84)


def screen_file(
    path: str | os.PathLike[str],
    *,
    out_dir: str | os.PathLike[str] | None = None,
    buffer_m: float = DEFAULT_BUFFER_M,
    layer: str | None = None,
    **options: Any,
) -> ScreeningResult:
    """Screen the planned features in a vector file and write the report (CLI entry point).

    Parameters
    ----------
    path : str or path-like
        Vector file (GeoPackage, GeoJSON, shapefile ...) with the planned lines/footprints.
    out_dir : str or path-like, optional
        If given, writes ``<stem>_screening.html`` and ``<stem>_screening.gpkg`` there.
    buffer_m : float, default 5000
        See :func:`screen_project`.
    layer : str, optional
        Layer of a multi-layer file.
    **options
        Passed to :func:`screen_project` (``infra_type``, ``ptcrs``, ``mesh_method`` ...).

    Returns
    -------
    ScreeningResult
        ``result.params["html_path"]`` / ``["gpkg_path"]`` hold the written paths.
    """
    from ..io.layers import read_layer

    path = Path(path)
    gdf = read_layer(path, layer)
    options.setdefault("name", path.stem)
    result = screen_project(gdf, buffer_m=buffer_m, **options)
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        html_path = out / f"{path.stem}_screening.html"
        gpkg_path = out / f"{path.stem}_screening.gpkg"
        result.to_html(html_path)
        result.to_geopackage(gpkg_path)
        result.params["html_path"] = str(html_path)
        result.params["gpkg_path"] = str(gpkg_path)
    return result
