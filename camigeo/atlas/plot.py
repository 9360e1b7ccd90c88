"""Atlas figures with matplotlib: PTCR overview, one page per PTCR, a PDF report.

* :func:`overview_map` - the 13 PTCRs on the range-state countries (like Figure 1 of the
  CAMI Work Programme), numbered, optionally coloured by conflict score.
* :func:`km_by_type_chart` - km of infrastructure by type for each species inside a PTCR.
* :func:`ptcr_page` - one Atlas page: map with infrastructure and species ranges, the bar
  chart and the key figures.
* :func:`camigeo.atlas.report.atlas_report` - all pages in one PDF (written atomically).
* :func:`save_figure` - PNG or PDF export (atomic).

Maps are drawn in the Central-Asia equal-area CRS (:data:`camigeo.crs.CENTRAL_ASIA_EQUAL_AREA`),
so areas look as large as they are. All functions take ``ax=None`` / ``fig=None`` and return
the Axes / Figure they drew on.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._errors import CamigeoError, DataNotFoundError, SchemaError
from ..io.atomic import atomic_path

__all__ = [
    "SCORE_EXPLAINED",
    "STYLE",
    "km_by_type_chart",
    "overview_map",
    "overview_page",
    "ptcr_page",
    "range_fragmentation_chart",
    "save_figure",
]

log = logging.getLogger(__name__)

#: rcParams used for every camigeo figure (fixed font and sizes: reproducible output).
STYLE: dict[Any, Any] = {  # str keys; Any fits matplotlib's Literal key type for rc_context
    "font.family": "DejaVu Sans",
    "font.size": 8.0,
    "axes.titlesize": 10.0,
    "axes.labelsize": 8.0,
    "legend.fontsize": 7.0,
    "xtick.labelsize": 7.0,
    "ytick.labelsize": 7.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "pdf.fonttype": 42,
    "svg.hashsalt": "camigeo",
}
A4_LANDSCAPE = (11.69, 8.27)
#: map legend label of border_fence lines with fence_class unknown (drawn thin and grey)
_UNDOCUMENTED_BORDER = "border, fencing not documented"
_TYPES = ("railway", "road", "fence", "border_fence", "pipeline", "canal")


@contextlib.contextmanager
def _no_idle_draw(fig: Any) -> Iterator[None]:
    """Suppress the full redraw geopandas triggers after every ``.plot`` call.

    Agg draws synchronously: 13 Atlas pages took 117 s instead of about 20 s.
    """
    canvas = fig.canvas
    had = "draw_idle" in vars(canvas)
    old = vars(canvas).get("draw_idle")
    canvas.draw_idle = lambda *a, **k: None
    try:
        yield
    finally:
        if had:
            canvas.draw_idle = old
        else:
            del canvas.draw_idle


def _infra_colors() -> dict[str, str]:
    from .maps import INFRA_STYLE

    return {t: s["color"] for t, s in INFRA_STYLE.items()}


def _ea(gdf: Any, name: str) -> Any:
    import geopandas as gpd

    from ..io.crs import CENTRAL_ASIA_EQUAL_AREA

    if not isinstance(gdf, gpd.GeoDataFrame):
        raise SchemaError(f"{name}: expected a GeoDataFrame, got {type(gdf).__name__}.")
    if gdf.crs is None:
        raise SchemaError(f"{name}: the GeoDataFrame has no CRS; set one with .set_crs(...).")
    from ..io.guards import check_geometries

    return check_geometries(gdf, name=name, repair=None).to_crs(CENTRAL_ASIA_EQUAL_AREA)


def _km_axes(ax: Any) -> None:
    """Label projected axes in km and keep the aspect equal."""
    from matplotlib.ticker import FuncFormatter

    ax.set_aspect("equal")
    fmt = FuncFormatter(lambda v, _p: f"{v / 1000:,.0f}")
    ax.xaxis.set_major_formatter(fmt)
    ax.yaxis.set_major_formatter(fmt)
    ax.set_xlabel("easting, km (Albers equal-area)")
    ax.set_ylabel("northing, km")


def default_layer(obj: Any, loader: str) -> Any:
    if obj is not None:
        return obj
    from .. import datasets

    return getattr(datasets, loader)()


def overview_map(
    ptcrs: Any = None,
    *,
    countries: Any = None,
    summary: pd.DataFrame | None = None,
    infrastructure: Any = None,
    score_column: str = "conflict_score",
    ax: Any = None,
    title: str | None = "Priority Transboundary Conservation Regions (PTCRs)",
    basemap: bool = False,
) -> Any:
    """Overview map of the PTCRs, numbered by ``ptcr_id``.

    Parameters
    ----------
    ptcrs : GeoDataFrame, optional
        Regions with ``ptcr_id`` and ``name``; default the bundled PTCRs.
    countries : GeoDataFrame, optional
        Background country polygons (``iso3``); default none (bundled countries are used by
        :func:`atlas_report`).
    summary : DataFrame, optional
        ``ptcr_id`` + ``score_column`` (``camigeo.summarize_conflict``): colours the regions.
    infrastructure : GeoDataFrame, optional
        Lines drawn thinly on top, coloured by ``infra_type``.
    score_column : str, default "conflict_score"
    ax : matplotlib Axes, optional
        Axes to draw on; a new A4-landscape figure by default.
    title : str or None
    basemap : bool, default False
        Draw the offline Natural Earth basemap (:func:`camigeo.atlas.basemap.draw_basemap`).

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    p = _ea(default_layer(ptcrs, "load_ptcrs"), "ptcrs")
    for col in ("ptcr_id", "name"):
        if col not in p.columns:
            raise SchemaError(f"ptcrs: needs column {col!r}; columns are {list(p.columns)}.")
    with plt.rc_context(STYLE):
        if ax is None:
            _fig, ax = plt.subplots(figsize=A4_LANDSCAPE, layout="constrained")
        with _no_idle_draw(ax.figure):
            _draw_overview(ax, p, countries, summary, infrastructure, score_column, title,
                           basemap=basemap)
    return ax


def _pivot_km(scores: pd.DataFrame, ptcr_id: Any) -> pd.DataFrame:
    need = {"ptcr_id", "sci_name", "infra_type", "length_km"}
    if not need <= set(scores.columns):
        raise SchemaError(f"scores: needs columns {sorted(need)} (camigeo.score_conflict "
                          f"output); got {list(scores.columns)}.")
    sub = scores[scores["ptcr_id"] == ptcr_id]
    if sub.empty:
        return pd.DataFrame()
    tab = sub.pivot_table(index="sci_name", columns="infra_type", values="length_km",
                          aggfunc="sum", fill_value=0.0)
    order = [t for t in _TYPES if t in tab.columns] + [t for t in tab.columns if t not in _TYPES]
    tab = tab[order]
    tab = tab.loc[:, tab.sum(axis=0) > 0] if (tab.sum(axis=0) > 0).any() else tab
    return tab.loc[tab.sum(axis=1).sort_values(ascending=True).index]


def km_by_type_chart(scores: pd.DataFrame, ptcr_id: Any, *, ax: Any = None) -> Any:
    """Horizontal stacked bars: km of infrastructure by type, per species, inside a PTCR.

    Parameters
    ----------
    scores : DataFrame
        ``camigeo.score_conflict`` output (``ptcr_id, sci_name, infra_type, length_km``).
    ptcr_id : int
        Region.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    tab = _pivot_km(scores, ptcr_id)
    with plt.rc_context(STYLE):
        if ax is None:
            _fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
        if tab.empty or float(tab.to_numpy().sum()) == 0.0:
            ax.text(0.5, 0.5, "no infrastructure inside the species ranges\nof this PTCR",
                    ha="center", va="center", transform=ax.transAxes)
            ax.set_axis_off()
            return ax
        colors = _infra_colors()
        left = np.zeros(len(tab))
        y = np.arange(len(tab))
        for t in tab.columns:
            vals = tab[t].to_numpy(dtype=float)
            ax.barh(y, vals, left=left, color=colors.get(str(t), "#999999"),
                    label=str(t).replace("_", " "), height=0.7)
            left += vals
        from .names import species_label

        ax.set_yticks(y, [species_label(s, style="mpl") for s in tab.index])
        ax.set_xlabel("km inside range ∩ PTCR (geodesic)")
        # room right of the longest bar, so the legend never hides a bar
        ax.set_xlim(0.0, float(left.max()) * 1.35)
        ax.legend(loc="lower right", frameon=False)
        ax.set_title("Infrastructure by type per species")
    return ax


def range_fragmentation_chart(frag: pd.DataFrame, *, ax: Any = None) -> Any:
    """Horizontal bars per species: effective mesh size as % of the range area.

    Dark bars count every existing barrier; when ``m_eff_documented_km2`` is given, light
    bars behind them leave out the barriers whose fencing is not documented, so the gap
    between the two shows how much of the fragmentation rests on undocumented borders.

    Parameters
    ----------
    frag : DataFrame
        ``sci_name``, ``area_km2``, ``m_eff_km2`` and optionally ``m_eff_documented_km2``
        (the ``range_fragmentation`` layer of ``camigeo run``, or
        :func:`camigeo.fragmentation.effective_mesh_size` on
        ``reporting_units(kind="range")``).
    ax : matplotlib Axes, optional
        Axes to draw on; a new A4-landscape figure by default.

    Returns
    -------
    matplotlib.axes.Axes
        Species sorted from the most fragmented (bottom) up; bar lengths in % (0-100).
    """
    import matplotlib.pyplot as plt

    need = ["sci_name", "area_km2", "m_eff_km2"]
    missing = [c for c in need if c not in frag.columns]
    if missing:
        raise SchemaError(f"frag: needs columns {need} (optional m_eff_documented_km2); "
                          f"missing {missing}; got {list(frag.columns)}.")
    area = frag["area_km2"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100.0 * frag["m_eff_km2"].to_numpy(dtype=float) / area
        doc = (100.0 * frag["m_eff_documented_km2"].to_numpy(dtype=float) / area
               if "m_eff_documented_km2" in frag.columns else None)
    order = np.argsort(pct, kind="stable")
    names = frag["sci_name"].astype(str).to_numpy()[order]
    y = np.arange(len(order))
    with plt.rc_context(STYLE):
        if ax is None:
            _fig, ax = plt.subplots(figsize=A4_LANDSCAPE, layout="constrained")
        if doc is not None:
            ax.barh(y, doc[order], height=0.8, color="#c6dbef",
                    label="documented barriers only")
        ax.barh(y, pct[order], height=0.45, color="#08519c", label="all existing barriers")
        from .names import species_label

        ax.set_yticks(y, [species_label(n_, style="mpl") for n_ in names])
        ax.grid(axis="x", color="#d9d9d9", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.set_xlim(0.0, 100.0)
        ax.set_xlabel("effective mesh size, % of the range area (CUT)")
        ax.legend(loc="lower right", frameon=True, framealpha=0.9)
        ax.set_title("Range fragmentation per species (100 % = range not cut)")
    return ax


#: fragmentation columns shown in the key figures: column, label, unit, number format
_FRAG_FIGURES = (("m_eff_km2", "Effective mesh size", "km²", ",.0f"),
                 ("s_eff_per_1000km2", "Splitting density", "per 1,000 km²", ",.3g"))


def _km_in_region(region: Any, infrastructure: Any) -> pd.Series:
    """Geodesic km of each infrastructure label (map vocabulary) inside the region."""
    import geopandas as gpd

    from ..io.crs import geodesic_length_km
    from .names import fencing_status, infra_label

    inf = infrastructure.to_crs(4326)
    inf = inf.assign(_label=[infra_label(t, f) for t, f in zip(
        inf["infra_type"].astype(str), fencing_status(inf), strict=True)])
    clipped = inf.clip(region.to_crs(4326).union_all())
    clipped = clipped[~clipped.geometry.is_empty]
    if clipped.empty:
        return pd.Series(dtype=float)
    km = geodesic_length_km(gpd.GeoSeries(clipped.geometry.values, crs=4326))
    return pd.Series(km, index=clipped["_label"].to_numpy()).groupby(level=0).sum()


def _key_figures(pid: Any, region: Any, scores: pd.DataFrame | None,
                 summary: pd.DataFrame | None, *, infrastructure: Any = None) -> list[str]:
    from ..io.crs import equal_area_km2

    row = region.iloc[0]
    lines = [f"PTCR {pid}: {row.get('name', '')}"]
    if "countries" in region.columns:
        lines.append(f"Countries: {row['countries']}")
    lines.append(f"Area: {float(np.sum(equal_area_km2(region.geometry))):,.0f} km²")
    if "species" in region.columns and isinstance(row["species"], str):
        n_listed = len([s for s in row["species"].split(";") if s.strip()])
        lines.append(f"CAMI species listed: {n_listed}")
    if scores is not None and len(scores):
        sub = scores[scores["ptcr_id"] == pid]
        if len(sub):
            lines.append(f"Species ranges overlapping: {sub['sci_name'].nunique()}")
            if "region_length_km" in sub.columns and infrastructure is None:
                per_type = sub.groupby("infra_type")["region_length_km"].first()
                lines.append("Barriers in the PTCR:")
                for t, km in per_type.items():
                    if km > 0:
                        lines.append(f"  {str(t).replace('_', ' ')}: {km:,.0f} km")
    if infrastructure is not None and len(infrastructure):
        per_label = _km_in_region(region, infrastructure)
        if len(per_label) and float(per_label.sum()) > 0:
            lines.append("Barriers in the PTCR:")
            for t, km in per_label.sort_index().items():
                if km > 0:
                    lines.append(f"  {t}: {km:,.0f} km")
    if summary is not None and "ptcr_id" in summary.columns:
        srow = summary[summary["ptcr_id"] == pid]
        if len(srow):
            s = srow.iloc[0]
            if "conflict_score" in s:
                lines.append(f"Conflict score: {float(s['conflict_score']):,.2f}"
                             + (f" (rank {int(s['rank'])})" if "rank" in s and
                                pd.notna(s["rank"]) else ""))
                if "conflict_score_documented" in s and pd.notna(
                        s["conflict_score_documented"]):
                    lines.append("  without undocumented borders: "
                                 f"{float(s['conflict_score_documented']):,.2f}"
                                 + (f" (rank {int(s['rank_documented'])})"
                                    if "rank_documented" in s
                                    and pd.notna(s["rank_documented"]) else ""))
            for col, label, unit, fmt in _FRAG_FIGURES:
                if col in s and pd.notna(s[col]):
                    lines.append(f"{label}: {format(float(s[col]), fmt)} {unit}")
    return lines


def ptcr_page(
    ptcr_id: Any,
    *,
    ptcrs: Any = None,
    infrastructure: Any = None,
    ranges: Any = None,
    scores: pd.DataFrame | None = None,
    summary: pd.DataFrame | None = None,
    countries: Any = None,
    fig: Any = None,
    basemap: bool = False,
) -> Any:
    """One Atlas page for a PTCR: map, locator, km-by-type bars, key facts, legend.

    Parameters
    ----------
    ptcr_id : int
        Region to draw.
    ptcrs, infrastructure, ranges, countries : GeoDataFrame, optional
        Layers; ``ptcrs`` defaults to the bundled PTCRs.
    scores : DataFrame, optional
        ``camigeo.score_conflict`` output for the bar chart and key figures.
    summary : DataFrame, optional
        ``camigeo.summarize_conflict`` output (and optional fragmentation columns).
    fig : matplotlib Figure, optional
        Figure to draw on (cleared); a new A4-landscape figure by default.
    basemap : bool, default False
        Draw the offline Natural Earth basemap under the map and the locator.

    Returns
    -------
    matplotlib.figure.Figure

    Notes
    -----
    The bars count km inside each species' range in the PTCR by the map's vocabulary
    (a border whose fencing is not documented is not a border fence) when ``ranges`` and
    ``infrastructure`` are given, else they come from ``scores`` by ``infra_type``.
    """
    import matplotlib.pyplot as plt
    from shapely.geometry import box

    p = _ea(default_layer(ptcrs, "load_ptcrs"), "ptcrs")
    region = p[p["ptcr_id"] == ptcr_id]
    if region.empty:
        raise DataNotFoundError(f"ptcr_id: {ptcr_id!r} not in ptcrs (ids: "
                                f"{sorted(p['ptcr_id'].tolist())}).")
    xmin, ymin, xmax, ymax = region.total_bounds
    pad = 0.1 * max(xmax - xmin, ymax - ymin) + 1.0
    view = box(xmin - pad, ymin - pad, xmax + pad, ymax + pad)
    with plt.rc_context(STYLE):
        if fig is None:
            fig = plt.figure(figsize=A4_LANDSCAPE, layout="constrained")
        else:
            fig.clear()
        with _no_idle_draw(fig):
            _draw_page(fig, ptcr_id, region, view, countries, ranges, infrastructure, scores,
                       summary, basemap=basemap, all_ptcrs=p)
    return fig


def _fit_view(bounds: Sequence[float], aspect: float, pad: float = 0.06) -> tuple[float, ...]:
    """Expand (xmin, ymin, xmax, ymax) by ``pad`` and to the box ``aspect`` (height/width)."""
    xmin, ymin, xmax, ymax = bounds
    w, h = xmax - xmin, ymax - ymin
    w, h = w * (1 + 2 * pad) + 1.0, h * (1 + 2 * pad) + 1.0
    if h / w < aspect:
        h = w * aspect
    else:
        w = h / aspect
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _box_aspect(fig: Any, ax: Any) -> float:
    """Height/width of an Axes box on the page once the layout engine has placed it."""
    fig.draw_without_rendering()
    bb = ax.get_window_extent()
    return float(bb.height / max(bb.width, 1e-9))


def _draw_infra(ax: Any, inf: Any, *, scale: float = 1.0) -> list[Any]:
    """Infrastructure with the map's vocabulary; legend handles of what was drawn.

    Colours by type (:data:`camigeo.maps.INFRA_STYLE`); documented border fences by fence
    class, borders whose fencing is not documented thin and grey (not a fence); lines with
    documented fencing twice as wide; planned dashed, under construction dotted.
    """
    from matplotlib.lines import Line2D

    from .maps import BORDER_FENCE_COLORS
    from .names import fencing_status, infra_label

    if inf is None or len(inf) == 0:
        return []
    colors = _infra_colors()
    inf = inf.copy()
    inf["_fencing"] = fencing_status(inf)
    status = (inf["status"].astype(str) if "status" in inf.columns
              else pd.Series("existing", index=inf.index))
    fc = (inf["fence_class"].astype(object) if "fence_class" in inf.columns
          else pd.Series(None, index=inf.index, dtype=object))
    handles: list[Any] = []
    keys = pd.DataFrame({"t": inf["infra_type"].astype(str), "f": inf["_fencing"],
                         "s": status, "c": fc.where(fc.notna(), "")})
    for (t, f, s, c), idx in keys.groupby(["t", "f", "s", "c"], sort=True).groups.items():
        grp = inf.loc[idx]
        ls = "--" if s == "planned" else (":" if s == "under_construction" else "-")
        label = infra_label(t, f)
        if t == "border_fence" and f != "documented":
            color, lw = "#8c8c8c", 0.8
        elif t == "border_fence":
            color = BORDER_FENCE_COLORS.get(str(c), BORDER_FENCE_COLORS["impermeable"])
            color = BORDER_FENCE_COLORS["impermeable"] if c in ("", "unknown") else color
            lw = 2.0
            label = (f"border fence (documented, {c})" if c and c != "unknown"
                     else "border fence (documented, class unknown)")
        else:
            color = colors.get(t, "#000000")
            lw = 2.4 if f == "documented" and t != "fence" else 1.2
        grp.plot(ax=ax, color=color, linewidth=lw * scale, linestyle=ls, zorder=3)
        if s != "existing":
            label += f" ({s.replace('_', ' ')})"
        if label not in [h.get_label() for h in handles]:
            handles.append(Line2D([], [], color=color, lw=lw, ls=ls, label=label))
    return handles


def _draw_overview(ax: Any, p: Any, countries: Any, summary: Any, infrastructure: Any,
                   score_column: str, title: str | None, *, basemap: bool = False,
                   view: Sequence[float] | None = None) -> list[Any]:
    from matplotlib.patches import Patch

    from ..io.crs import CENTRAL_ASIA_EQUAL_AREA

    if not basemap:
        names = [f"{i}  {n}" for i, n in p.sort_values("ptcr_id")[["ptcr_id", "name"]]
                 .itertuples(index=False)]
        ax.text(1.01, 1.0, "\n".join(names), transform=ax.transAxes, va="top", ha="left",
                fontsize=7, linespacing=1.5)
    if view is None:
        # fill the Axes box (room for the colour bar below): no white margins, and the
        # colour bar sits right under the map
        if title:
            ax.set_title(title)
        aspect = _box_aspect(ax.figure.figure, ax) * (0.9 if summary is not None else 1.0)
        view = _fit_view(p.total_bounds, aspect, pad=0.05)
    handles: list[Any] = []
    if basemap:
        _basemap_or_plain(ax, CENTRAL_ASIA_EQUAL_AREA, view)
    if countries is not None:
        c = _ea(countries, "countries")
        c.plot(ax=ax, color="none" if basemap else "#f0f0eb", edgecolor="#9a9a9a",
               linewidth=0.5, zorder=1)
    if summary is not None:
        if "ptcr_id" not in summary.columns or score_column not in summary.columns:
            raise SchemaError(f"summary: needs columns 'ptcr_id' and {score_column!r}; "
                              f"got {list(summary.columns)}.")
        p = p.merge(pd.DataFrame(summary[["ptcr_id", score_column]]), on="ptcr_id",
                    how="left")
        p.plot(ax=ax, column=score_column, cmap="YlOrRd", edgecolor="#333333",
               linewidth=0.7, alpha=0.8, legend=True, zorder=2,
               legend_kwds={"label": _SCORE_LABEL if score_column == "conflict_score"
                            else score_column.replace("_", " "),
                            "shrink": 0.6, "pad": 0.01, "fraction": 0.035,
                            "orientation": "horizontal"})
    else:
        p.plot(ax=ax, color="#9ecae1", edgecolor="#08519c", linewidth=0.7, alpha=0.6,
               zorder=2)
        handles.append(Patch(facecolor="#9ecae1", edgecolor="#08519c", label="PTCR"))
    if infrastructure is not None and len(infrastructure):
        handles += _draw_infra(ax, _ea(infrastructure, "infrastructure"), scale=0.6)
    pts = p.geometry.representative_point()
    for pid, pt in zip(p["ptcr_id"], pts, strict=True):
        ax.annotate(str(pid), (pt.x, pt.y), ha="center", va="center", fontsize=8,
                    fontweight="bold", color="#08306b", zorder=5,
                    bbox={"boxstyle": "circle,pad=0.25", "fc": "white", "ec": "#08306b",
                          "lw": 0.6})
    ax.set_xlim(view[0], view[2])
    ax.set_ylim(view[1], view[3])
    _km_axes(ax)
    if title:
        ax.set_title(title)
    return handles


def _basemap_or_plain(ax: Any, crs: Any, view: Sequence[float]) -> None:
    """Draw the offline basemap, or a plain land tone when it is not installed."""
    try:
        from .basemap import draw_basemap

        # ~140 dpi over a page-wide map: sharp on paper, the PDF stays a few MB
        draw_basemap(ax, crs=crs, bounds=view, width_px=750)
    except DataNotFoundError as exc:
        log.warning("report without basemap: %s", exc)
        ax.set_facecolor("#f0f0eb")


#: What the conflict score is, in words (overview page of the report, summary.md).
SCORE_EXPLAINED = (
    "How to read the conflict score. For every CAMI species whose range overlaps a PTCR, "
    "camigeo measures the barrier lines inside that part of the range (km, geodesic), "
    "weights each by how hard it is to cross (1 = impassable, e.g. a fenced railway or an "
    "impermeable border fence; 0.5 = an unfenced railway or road, or a border whose fencing "
    "is not documented), and divides by the range area inside the PTCR: weighted km per "
    "1,000 km². The score is the sum over the species. It grows with denser, less permeable "
    "barriers and with the number of species they cut. summary.md also ranks the PTCRs "
    "without the undocumented borders.")
_SCORE_LABEL = "conflict score (weighted km per 1,000 km² of range, summed over species)"


def _km_table(region: Any, ranges: Any, infra: Any) -> pd.DataFrame:
    """Km (geodesic) of each infrastructure label inside range ∩ region, per species.

    Labels are the map's (:func:`camigeo.atlas.names.infra_label`): a border whose fencing is
    not documented is counted as such, not as a border fence. Rows sorted by total km.
    """
    import geopandas as gpd

    from ..io.crs import geodesic_length_km
    from .names import fencing_status, infra_label

    if infra is None or len(infra) == 0 or ranges is None or len(ranges) == 0:
        return pd.DataFrame()
    inf = infra.copy()
    inf["_label"] = [infra_label(t, f) for t, f in zip(
        inf["infra_type"].astype(str), fencing_status(inf), strict=True)]
    reg = region.union_all()
    rows = {}
    for sp, grp in ranges.groupby("sci_name", sort=True):
        area = grp.union_all().intersection(reg)
        if area.geom_type == "GeometryCollection":  # touching edges add lines/points
            import shapely

            area = shapely.union_all([g for g in shapely.get_parts(area)
                                      if g.geom_type in ("Polygon", "MultiPolygon")])
        if area.is_empty:
            continue
        clipped = inf.clip(area)
        clipped = clipped[~clipped.geometry.is_empty]
        if clipped.empty:
            continue
        km = geodesic_length_km(gpd.GeoSeries(clipped.geometry.values, crs=inf.crs))
        rows[str(sp)] = pd.Series(km, index=clipped["_label"].to_numpy()).groupby(
            level=0).sum()
    if not rows:
        return pd.DataFrame()
    tab = pd.DataFrame(rows).T.fillna(0.0)
    tab = tab.loc[:, tab.sum(axis=0) > 0]
    return tab.loc[tab.sum(axis=1).sort_values(ascending=True).index]


def _label_color(label: str) -> str:
    from .maps import BORDER_FENCE_COLORS

    colors = _infra_colors()
    if label.startswith("border, fencing not documented"):
        return "#b0b0b0"
    if label.startswith("border fence"):
        return BORDER_FENCE_COLORS["impermeable"]
    base = label.split(",")[0].replace(" ", "_")
    return colors.get(base, "#999999")


def _bars(ax: Any, tab: pd.DataFrame, *, mpl_names: bool = True) -> None:
    """Stacked horizontal bars (km by label per species) with a legend below the bars."""
    from .names import species_label

    left = np.zeros(len(tab))
    y = np.arange(len(tab))
    for col in tab.columns:
        vals = tab[col].to_numpy(dtype=float)
        ax.barh(y, vals, left=left, color=_label_color(str(col)), height=0.65,
                label=str(col), hatch="////" if "documented)" in str(col) else None,
                edgecolor="white", linewidth=0.3)
        left += vals
    names = [species_label(s, style="mpl") if mpl_names else s for s in tab.index]
    ax.set_yticks(y, names, fontsize=6.5)
    ax.set_xlabel("km inside range ∩ PTCR (geodesic)", fontsize=7)
    ax.grid(axis="x", color="#d9d9d9", linewidth=0.6)
    ax.set_axisbelow(True)
    # room right of the longest bar (the bottom bar is the shortest), so the legend in the
    # lower right never hides a bar
    ax.set_xlim(0.0, float(left.max()) * 1.75 if left.max() > 0 else 1.0)
    ax.legend(loc="lower right", frameon=False, fontsize=6)
    ax.set_title("Barriers by type, per species", fontsize=9)


def wrap_lines(lines: Sequence[str], width: int) -> str:
    import textwrap

    out = []
    for ln in lines:
        indent = ln[: len(ln) - len(ln.lstrip())]
        out += textwrap.wrap(ln, width=width,
                             subsequent_indent=indent + ("  " if indent else "")) or [""]
    return "\n".join(out)


def overview_page(
    ptcrs: Any = None,
    *,
    countries: Any = None,
    summary: pd.DataFrame | None = None,
    infrastructure: Any = None,
    basemap: bool = True,
    fig: Any = None,
    title: str = "Barriers in the CAMI Priority Transboundary Conservation Regions",
) -> Any:
    """First page of the Atlas report: overview map with basemap and legend, ranking, score.

    Parameters
    ----------
    ptcrs, countries, infrastructure : GeoDataFrame, optional
    summary : DataFrame, optional
        ``ptcr_id``, ``conflict_score`` (and ``rank``): colours the regions, ranks them.
    basemap : bool, default True
        Draw the offline Natural Earth basemap.
    fig : matplotlib Figure, optional
    title : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    p = _ea(default_layer(ptcrs, "load_ptcrs"), "ptcrs")
    with plt.rc_context(STYLE):
        if fig is None:
            fig = plt.figure(figsize=A4_LANDSCAPE, layout="constrained")
        with _no_idle_draw(fig):
            left, right = fig.subfigures(1, 2, width_ratios=[2.45, 1.0], wspace=0.01)
            ax = left.add_subplot()
            gs = right.add_gridspec(3, 1, height_ratios=[1.05, 1.0, 1.05])
            ax_leg = right.add_subplot(gs[0])
            ax_rank = right.add_subplot(gs[1])
            ax_txt = right.add_subplot(gs[2])
            fig.suptitle(title, fontsize=12, fontweight="bold")
            for a in (ax_leg, ax_rank, ax_txt):
                a.set_axis_off()
            ax.set_title("Conflict score per PTCR (numbers: PTCR id)", fontsize=9)
            aspect = _box_aspect(fig, ax) * 0.93  # room for the colour bar below
            view = _fit_view(p.total_bounds, aspect, pad=0.04)
            handles = _draw_overview(ax, p, countries, summary, infrastructure,
                                     "conflict_score", None, basemap=basemap, view=view)
            ax.set_aspect("equal", adjustable="box")
            if basemap:
                from .basemap import ATTRIBUTION

                ax.text(0.995, 0.005, ATTRIBUTION, transform=ax.transAxes, fontsize=5,
                        ha="right", va="bottom", color="#444444", zorder=6)
            ax_leg.legend(handles=handles, loc="upper left", fontsize=6.5, frameon=False,
                          title="Map legend", title_fontsize=8, alignment="left")
            _ranking_text(ax_rank, p, summary)
            ax_txt.text(0.0, 1.0, wrap_lines([SCORE_EXPLAINED], 58), va="top", ha="left",
                        fontsize=6.8, transform=ax_txt.transAxes, linespacing=1.35)
    return fig


def _ranking_text(ax: Any, p: Any, summary: pd.DataFrame | None) -> None:
    if summary is None or "conflict_score" not in summary.columns:
        names = p.sort_values("ptcr_id")[["ptcr_id", "name"]]
        lines = [f"{i:>3}  {n}" for i, n in names.itertuples(index=False)]
        head = "PTCRs"
    else:
        s = pd.DataFrame(summary).merge(pd.DataFrame(p[["ptcr_id", "name"]]), on="ptcr_id",
                                        how="left", suffixes=("_s", ""))
        s = s.sort_values("conflict_score", ascending=False)
        lines = [f"{k:>2}. {str(n)[:30]:<30} {sc:6.2f}   (id {pid})" for k, (pid, n, sc) in
                 enumerate(s[["ptcr_id", "name", "conflict_score"]].itertuples(index=False),
                           start=1)]
        head = "Ranking by conflict score (id = number on the map)"
    ax.text(0.0, 1.0, head, fontsize=8, fontweight="bold", va="top",
            transform=ax.transAxes)
    ax.text(0.0, 0.9, "\n".join(lines), fontsize=6.5, va="top", family="DejaVu Sans Mono",
            transform=ax.transAxes, linespacing=1.25)


def _draw_page(fig: Any, ptcr_id: Any, region: Any, view: Any, countries: Any, ranges: Any,
               infrastructure: Any, scores: Any, summary: Any, *, basemap: bool = False,
               all_ptcrs: Any = None) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from shapely.geometry import box

    from ..io.crs import CENTRAL_ASIA_EQUAL_AREA
    from .maps import RANGE_COLORS
    from .names import species_label

    name = region.iloc[0].get("name", "")
    fig.suptitle(f"PTCR {ptcr_id}: {name}", fontsize=12, fontweight="bold")
    # two sub-figures: the map's margins do not depend on the right column's contents
    left, right = fig.subfigures(1, 2, width_ratios=[1.55, 1.45], wspace=0.01)
    ax_map = left.add_subplot()
    gs = right.add_gridspec(3, 2, width_ratios=[0.9, 1.1], height_ratios=[1.0, 1.05, 1.1])
    ax_loc = right.add_subplot(gs[0, 0])
    ax_txt = right.add_subplot(gs[0, 1])
    ax_bar = right.add_subplot(gs[1, :])
    ax_leg = right.add_subplot(gs[2, :])
    ax_txt.set_axis_off()
    ax_leg.set_axis_off()
    # the map fills its box: the view gets the box's aspect ratio (no white margins)
    vb = _fit_view(region.total_bounds, _box_aspect(fig, ax_map), pad=0.08)
    view = box(*vb)
    if basemap:
        _basemap_or_plain(ax_map, CENTRAL_ASIA_EQUAL_AREA, vb)
    if countries is not None:
        c = _ea(countries, "countries").clip(view)
        c.plot(ax=ax_map, color="none" if basemap else "#f0f0eb", edgecolor="#9a9a9a",
               linewidth=0.5, zorder=1)
    handles: list[Any] = []
    if ranges is not None and len(ranges):
        r = _ea(ranges, "ranges").clip(view)
        # colours by the species' position in the full list: the same on every page
        for i, sp in enumerate(sorted(ranges["sci_name"].astype(str).unique())):
            col = RANGE_COLORS[i % len(RANGE_COLORS)]
            g = r[r["sci_name"] == sp]
            if g.empty or not g.intersects(region.union_all()).any():
                continue
            g.plot(ax=ax_map, facecolor=col, edgecolor=col, alpha=0.18, linewidth=0.8,
                   zorder=2)
            handles.append(Patch(facecolor=col, edgecolor=col, alpha=0.4,
                                 label=species_label(sp, style="mpl")))
    region.plot(ax=ax_map, facecolor="none", edgecolor="#08306b", linewidth=1.6, zorder=4)
    handles.insert(0, Line2D([], [], color="#08306b", lw=1.6, label="PTCR boundary"))
    if infrastructure is not None and len(infrastructure):
        inf = _ea(infrastructure, "infrastructure").clip(view)
        handles += _draw_infra(ax_map, inf[~inf.geometry.is_empty])
    ax_map.set_xlim(vb[0], vb[2])
    ax_map.set_ylim(vb[1], vb[3])
    _km_axes(ax_map)
    ax_map.set_aspect("equal", adjustable="box")
    if basemap:
        from .basemap import ATTRIBUTION

        ax_map.text(0.995, 0.005, ATTRIBUTION, transform=ax_map.transAxes, fontsize=5,
                    ha="right", va="bottom", color="#444444", zorder=6)
    ax_leg.legend(handles=handles, loc="upper left", fontsize=6.3, frameon=False,
                  title="Map legend", title_fontsize=7.5, alignment="left",
                  ncol=2 if len(handles) > 18 else 1)
    _locator(ax_loc, region, all_ptcrs, countries, vb, basemap=basemap)
    tab = (_km_table(region.to_crs(4326), ranges.to_crs(4326) if ranges is not None else None,
                     infrastructure.to_crs(4326) if infrastructure is not None else None)
           if ranges is not None and infrastructure is not None else pd.DataFrame())
    if not tab.empty and float(tab.to_numpy().sum()) > 0:
        _bars(ax_bar, tab)
    elif scores is not None:
        km_by_type_chart(scores, ptcr_id, ax=ax_bar)
    else:
        ax_bar.text(0.5, 0.5, "no conflict scores given", ha="center", va="center",
                    transform=ax_bar.transAxes)
        ax_bar.set_axis_off()
    facts = _key_figures(ptcr_id, region, scores, summary, infrastructure=infrastructure)
    ax_txt.text(0.0, 1.0, "Key facts", fontsize=8, fontweight="bold", va="top",
                transform=ax_txt.transAxes)
    ax_txt.text(0.0, 0.88, wrap_lines(facts[1:], 34), va="top", ha="left",
                transform=ax_txt.transAxes, fontsize=6.8, linespacing=1.35)
    src = region.iloc[0].get("source", None)
    acc = region.iloc[0].get("accuracy_km", None)
    if src is not None or acc is not None:
        import textwrap

        note = f"Boundary: {src or ''}" + (f" (accuracy ≈ {float(acc):.0f} km, indicative)"
                                           if acc is not None and pd.notna(acc) else "")
        fig.text(0.01, 0.005, textwrap.shorten(note, width=230, placeholder=" …"),
                 fontsize=5.5, color="#555555")
        engine = fig.get_layout_engine()
        if engine is not None and hasattr(engine, "set"):
            # keep the axes (and the map's x label) clear of the source note
            engine.set(rect=(0.0, 0.025, 1.0, 0.975))


def _locator(ax: Any, region: Any, all_ptcrs: Any, countries: Any, view: Sequence[float],
             *, basemap: bool) -> None:
    """Small map of Central Asia: every PTCR in grey, this one in red, the page view boxed."""
    from matplotlib.patches import Rectangle

    from ..io.crs import CENTRAL_ASIA_EQUAL_AREA

    ref = all_ptcrs if all_ptcrs is not None else region
    xmin, ymin, xmax, ymax = ref.total_bounds
    lv = _fit_view((min(xmin, view[0]), min(ymin, view[1]), max(xmax, view[2]),
                    max(ymax, view[3])), 0.75, pad=0.03)
    if basemap:
        try:
            from .basemap import draw_basemap

            draw_basemap(ax, crs=CENTRAL_ASIA_EQUAL_AREA, bounds=lv, names=False,
                         width_px=350)
        except DataNotFoundError:
            ax.set_facecolor("#f0f0eb")
    elif countries is not None:
        _ea(countries, "countries").plot(ax=ax, color="#f0f0eb", edgecolor="#9a9a9a",
                                         linewidth=0.3)
    ref.plot(ax=ax, facecolor="#bdbdbd", edgecolor="#636363", linewidth=0.3, zorder=2)
    region.plot(ax=ax, facecolor="#d7301f", edgecolor="#67000d", linewidth=0.5, zorder=3)
    ax.add_patch(Rectangle((view[0], view[1]), view[2] - view[0], view[3] - view[1],
                           fill=False, edgecolor="#08306b", linewidth=0.8, zorder=4))
    ax.set_xlim(lv[0], lv[2])
    ax.set_ylim(lv[1], lv[3])
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title("Location", fontsize=8)


def _savefig(fig: Any, path: Path, dpi: int) -> None:
    fmt = path.suffix.lower().lstrip(".")
    meta = ({"CreationDate": None, "Creator": "camigeo"} if fmt == "pdf"
            else {"Software": "camigeo"} if fmt == "png" else None)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta)


def save_figure(fig: Any, path: str | os.PathLike[str], *, dpi: int = 150) -> Path:
    """Save a Figure (or the Figure of an Axes) as PNG or PDF, atomically.

    Parameters
    ----------
    fig : matplotlib Figure or Axes
    path : path
        ``.png`` or ``.pdf``.
    dpi : int, default 150
        Resolution for PNG.

    Returns
    -------
    pathlib.Path
    """
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    if isinstance(fig, Axes):
        fig = fig.figure
    if isinstance(fig, SubFigure):  # a page built from sub-figures: save the whole page
        fig = fig.figure
    if not isinstance(fig, Figure):
        raise CamigeoError(f"fig: expected a matplotlib Figure or Axes, got "
                           f"{type(fig).__name__}.")
    p = Path(path)
    if p.suffix.lower() not in (".png", ".pdf"):
        raise CamigeoError(f"path: expected a .png or .pdf file name, got {p.name!r}.")
    _savefig(fig, p, dpi)
    return p
