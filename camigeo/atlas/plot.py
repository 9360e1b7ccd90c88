"""Atlas figures with matplotlib: PTCR overview, one page per PTCR, a PDF report.

* :func:`overview_map` - the 13 PTCRs on the range-state countries (like Figure 1 of the
  CAMI Work Programme), numbered, optionally coloured by conflict score.
* :func:`km_by_type_chart` - km of infrastructure by type for each species inside a PTCR.
* :func:`ptcr_page` - one Atlas page: map with infrastructure and species ranges, the bar
  chart and the key figures.
* :func:`atlas_report` - all pages in one PDF (written atomically).
* :func:`save_figure` - PNG or PDF export (atomic).

Maps are drawn in the Central-Asia equal-area CRS (:data:`camigeo.crs.CENTRAL_ASIA_EQUAL_AREA`),
so areas look as large as they are. All functions take ``ax=None`` / ``fig=None`` and return
the Axes / Figure they drew on.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._errors import CamigeoError, DataNotFoundError, SchemaError
from ..io.atomic import atomic_path

__all__ = [
    "STYLE",
    "atlas_report",
    "km_by_type_chart",
    "overview_map",
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
_A4_LANDSCAPE = (11.69, 8.27)
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


def _default(obj: Any, loader: str) -> Any:
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

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    p = _ea(_default(ptcrs, "load_ptcrs"), "ptcrs")
    for col in ("ptcr_id", "name"):
        if col not in p.columns:
            raise SchemaError(f"ptcrs: needs column {col!r}; columns are {list(p.columns)}.")
    with plt.rc_context(STYLE):
        if ax is None:
            _fig, ax = plt.subplots(figsize=_A4_LANDSCAPE, layout="constrained")
        with _no_idle_draw(ax.figure):
            _draw_overview(ax, p, countries, summary, infrastructure, score_column, title)
    return ax


def _draw_overview(ax: Any, p: Any, countries: Any, summary: Any, infrastructure: Any,
                   score_column: str, title: str | None) -> None:
    xmin, ymin, xmax, ymax = p.total_bounds
    padx, pady = 0.08 * (xmax - xmin) + 1, 0.08 * (ymax - ymin) + 1
    if countries is not None:
        c = _ea(countries, "countries")
        c.plot(ax=ax, color="#f0f0eb", edgecolor="#9a9a9a", linewidth=0.5)
    if summary is not None:
        if "ptcr_id" not in summary.columns or score_column not in summary.columns:
            raise SchemaError(f"summary: needs columns 'ptcr_id' and {score_column!r}; "
                              f"got {list(summary.columns)}.")
        p = p.merge(pd.DataFrame(summary[["ptcr_id", score_column]]), on="ptcr_id",
                    how="left")
        p.plot(ax=ax, column=score_column, cmap="YlOrRd", edgecolor="#333333",
               linewidth=0.7, alpha=0.8, legend=True,
               legend_kwds={"label": score_column.replace("_", " "), "shrink": 0.5})
    else:
        p.plot(ax=ax, color="#9ecae1", edgecolor="#08519c", linewidth=0.7, alpha=0.6)
    if infrastructure is not None and len(infrastructure):
        inf = _ea(infrastructure, "infrastructure")
        colors = _infra_colors()
        for t, grp in inf.groupby("infra_type", sort=True):
            grp.plot(ax=ax, color=colors.get(str(t), "#000000"), linewidth=0.6)
    pts = p.geometry.representative_point()
    for pid, pt in zip(p["ptcr_id"], pts, strict=True):
        ax.annotate(str(pid), (pt.x, pt.y), ha="center", va="center", fontsize=9,
                    fontweight="bold", color="#08306b",
                    bbox={"boxstyle": "circle,pad=0.25", "fc": "white", "ec": "#08306b",
                          "lw": 0.6})
    ax.set_xlim(xmin - padx, xmax + padx)
    ax.set_ylim(ymin - pady, ymax + pady)
    _km_axes(ax)
    names = [f"{i}  {n}" for i, n in p.sort_values("ptcr_id")[["ptcr_id", "name"]]
             .itertuples(index=False)]
    ax.text(1.01, 1.0, "\n".join(names), transform=ax.transAxes, va="top", ha="left",
            fontsize=7, linespacing=1.5)
    if title:
        ax.set_title(title)


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
        ax.set_yticks(y, [str(s) for s in tab.index], fontstyle="italic")
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
            _fig, ax = plt.subplots(figsize=_A4_LANDSCAPE, layout="constrained")
        if doc is not None:
            ax.barh(y, doc[order], height=0.8, color="#c6dbef",
                    label="documented barriers only")
        ax.barh(y, pct[order], height=0.45, color="#08519c", label="all existing barriers")
        ax.set_yticks(y, list(names), fontstyle="italic")
        ax.set_xlim(0.0, 100.0)
        ax.set_xlabel("effective mesh size, % of the range area (CUT)")
        ax.legend(loc="lower right", frameon=True, framealpha=0.9)
        ax.set_title("Range fragmentation per species (100 % = range not cut)")
    return ax


#: fragmentation columns shown in the key figures: column, label, unit, number format
_FRAG_FIGURES = (("m_eff_km2", "Effective mesh size", "km²", ",.0f"),
                 ("s_eff_per_1000km2", "Splitting density", "per 1,000 km²", ",.3g"))


def _key_figures(pid: Any, region: Any, scores: pd.DataFrame | None,
                 summary: pd.DataFrame | None) -> list[str]:
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
            if "region_length_km" in sub.columns:
                per_type = sub.groupby("infra_type")["region_length_km"].first()
                for t, km in per_type.items():
                    if km > 0:
                        lines.append(f"  {str(t).replace('_', ' ')}: {km:,.0f} km")
    if summary is not None and "ptcr_id" in summary.columns:
        srow = summary[summary["ptcr_id"] == pid]
        if len(srow):
            s = srow.iloc[0]
            if "conflict_score" in s:
                lines.append(f"Conflict score: {float(s['conflict_score']):,.2f}"
                             + (f" (rank {int(s['rank'])})" if "rank" in s and
                                pd.notna(s["rank"]) else ""))
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
) -> Any:
    """One Atlas page for a PTCR: map, km-by-type chart and key figures.

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

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    from shapely.geometry import box

    p = _ea(_default(ptcrs, "load_ptcrs"), "ptcrs")
    region = p[p["ptcr_id"] == ptcr_id]
    if region.empty:
        raise DataNotFoundError(f"ptcr_id: {ptcr_id!r} not in ptcrs (ids: "
                                f"{sorted(p['ptcr_id'].tolist())}).")
    xmin, ymin, xmax, ymax = region.total_bounds
    pad = 0.1 * max(xmax - xmin, ymax - ymin) + 1.0
    view = box(xmin - pad, ymin - pad, xmax + pad, ymax + pad)
    with plt.rc_context(STYLE):
        if fig is None:
            fig = plt.figure(figsize=_A4_LANDSCAPE, layout="constrained")
        else:
            fig.clear()
        with _no_idle_draw(fig):
            _draw_page(fig, ptcr_id, region, view, countries, ranges, infrastructure, scores,
                       summary)
    return fig


def _draw_page(fig: Any, ptcr_id: Any, region: Any, view: Any, countries: Any, ranges: Any,
               infrastructure: Any, scores: Any, summary: Any) -> None:
    gs = fig.add_gridspec(2, 2, width_ratios=[1.6, 1.0], height_ratios=[1.3, 1.0])
    ax_map = fig.add_subplot(gs[:, 0])
    ax_bar = fig.add_subplot(gs[0, 1])
    ax_txt = fig.add_subplot(gs[1, 1])
    if countries is not None:
        c = _ea(countries, "countries").clip(view)
        c.plot(ax=ax_map, color="#f0f0eb", edgecolor="#9a9a9a", linewidth=0.5)
    handles: list[Any] = []  # Patch and Line2D legend handles
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if ranges is not None and len(ranges):
        r = _ea(ranges, "ranges").clip(view)
        from .maps import RANGE_COLORS

        for i, (sp, grp) in enumerate(r.groupby("sci_name", sort=True)):
            col = RANGE_COLORS[i % len(RANGE_COLORS)]
            grp.plot(ax=ax_map, facecolor=col, edgecolor=col, alpha=0.18, linewidth=0.8)
            handles.append(Patch(facecolor=col, edgecolor=col, alpha=0.4,
                                 label=str(sp)))
    region.plot(ax=ax_map, facecolor="none", edgecolor="#08306b", linewidth=1.6)
    handles.append(Line2D([], [], color="#08306b", lw=1.6, label="PTCR boundary"))
    if infrastructure is not None and len(infrastructure):
        inf = _ea(infrastructure, "infrastructure").clip(view)
        colors = _infra_colors()
        kind = inf["infra_type"].astype(str)
        if "fence_class" in inf.columns:
            # a border whose fencing is not documented is not drawn as a fence
            undocumented = (kind == "border_fence") & (
                inf["fence_class"].isna() | (inf["fence_class"].astype(str) == "unknown"))
            kind = kind.where(~undocumented, _UNDOCUMENTED_BORDER)
        for (t, status), grp in inf.groupby([kind, inf.get(
                "status", pd.Series("existing", index=inf.index))], sort=True):
            ls = "--" if status == "planned" else (":" if status == "under_construction"
                                                   else "-")
            faint = t == _UNDOCUMENTED_BORDER
            color = "#8c8c8c" if faint else colors.get(str(t), "#000000")
            lw = 0.8 if faint else 1.4
            grp.plot(ax=ax_map, color=color, linewidth=lw, linestyle=ls)
            handles.append(Line2D([], [], color=color, lw=lw, ls=ls,
                                  label=f"{str(t).replace('_', ' ')} ({status})"))
    ax_map.set_xlim(view.bounds[0], view.bounds[2])
    ax_map.set_ylim(view.bounds[1], view.bounds[3])
    _km_axes(ax_map)
    # legend next to the key figures (keeps the map unobstructed)
    ax_txt.legend(handles=handles, loc="upper right", fontsize=6, frameon=False,
                  title="Map", title_fontsize=7)
    name = region.iloc[0].get("name", "")
    ax_map.set_title(f"PTCR {ptcr_id}: {name}")
    if scores is not None:
        km_by_type_chart(scores, ptcr_id, ax=ax_bar)
    else:
        ax_bar.text(0.5, 0.5, "no conflict scores given", ha="center", va="center",
                    transform=ax_bar.transAxes)
        ax_bar.set_axis_off()
    ax_txt.set_axis_off()
    ax_txt.text(0.0, 1.0, "\n".join(_key_figures(ptcr_id, region, scores, summary)),
                va="top", ha="left", transform=ax_txt.transAxes, fontsize=8,
                linespacing=1.6, wrap=True)
    src = region.iloc[0].get("source", None)
    acc = region.iloc[0].get("accuracy_km", None)
    if src is not None or acc is not None:
        import textwrap

        note = f"Boundary: {src or ''}" + (f" (accuracy ≈ {float(acc):.0f} km, indicative)"
                                           if acc is not None and pd.notna(acc) else "")
        fig.text(0.01, 0.005, textwrap.shorten(note, width=400, placeholder=" …"),
                 fontsize=5.5, color="#555555", wrap=True)
        engine = fig.get_layout_engine()
        if engine is not None and hasattr(engine, "set"):
            # keep the axes (and the map's x label) clear of the two-line source note
            engine.set(rect=(0.0, 0.035, 1.0, 0.965))


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
    from matplotlib.figure import Figure

    if isinstance(fig, Axes):
        fig = fig.figure
    if not isinstance(fig, Figure):
        raise CamigeoError(f"fig: expected a matplotlib Figure or Axes, got "
                           f"{type(fig).__name__}.")
    p = Path(path)
    if p.suffix.lower() not in (".png", ".pdf"):
        raise CamigeoError(f"path: expected a .png or .pdf file name, got {p.name!r}.")
    _savefig(fig, p, dpi)
    return p


def atlas_report(
    path: str | os.PathLike[str],
    *,
    ptcrs: Any = None,
    infrastructure: Any = None,
    ranges: Any = None,
    scores: pd.DataFrame | None = None,
    summary: pd.DataFrame | None = None,
    countries: Any = None,
    ptcr_ids: Iterable[Any] | None = None,
    range_fragmentation: pd.DataFrame | None = None,
    title: str = "camigeo Atlas",
    progress: bool = False,
    extra_pages: Sequence[Any] | None = None,
) -> Path:
    """Write the Atlas report: an overview page, then one page per PTCR, in one PDF.

    Parameters
    ----------
    path : path
        Output ``.pdf`` (replaced atomically).
    ptcrs, infrastructure, ranges, countries : GeoDataFrame, optional
        Layers (``ptcrs`` default: bundled).
    scores, summary : DataFrame, optional
        ``camigeo.score_conflict`` / ``summarize_conflict`` outputs.
    ptcr_ids : iterable, optional
        Pages to include (default every PTCR, by id).
    range_fragmentation : DataFrame, optional
        Adds a page after the overview with :func:`range_fragmentation_chart`.
    title : str
        PDF title metadata.
    progress : bool, default False
        Show a tqdm progress bar.
    extra_pages : sequence of matplotlib.figure.Figure, optional
        Pages added after the overview (e.g. ``camigeo.telemetry.migration_run.migration_page``);
        they are closed after writing.

    Returns
    -------
    pathlib.Path
    """
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    p = Path(path)
    if p.suffix.lower() != ".pdf":
        raise CamigeoError(f"path: expected a .pdf file name, got {p.name!r}.")
    pt = _default(ptcrs, "load_ptcrs")
    ids: Sequence[Any] = (list(ptcr_ids) if ptcr_ids is not None
                          else sorted(pt["ptcr_id"].tolist()))
    it: Iterable[Any] = ids
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(ids, desc="atlas pages", unit="page")
    with atomic_path(p) as tmp, PdfPages(tmp, metadata={
            "Title": title, "Creator": "camigeo", "CreationDate": None,
            "ModDate": None}) as pdf:
        ax = overview_map(pt, countries=countries, summary=summary,
                          infrastructure=infrastructure)
        pdf.savefig(ax.figure)
        plt.close(ax.figure)
        if range_fragmentation is not None:
            ax = range_fragmentation_chart(range_fragmentation)
            pdf.savefig(ax.figure)
            plt.close(ax.figure)
        for fig in extra_pages or ():
            pdf.savefig(fig)
            plt.close(fig)
        for pid in it:
            fig = ptcr_page(pid, ptcrs=pt, infrastructure=infrastructure, ranges=ranges,
                            scores=scores, summary=summary, countries=countries)
            pdf.savefig(fig)
            plt.close(fig)
    log.info("Atlas report with %d pages written to %s",
             len(ids) + 1 + (range_fragmentation is not None), p)
    return p

