"""Interactive meeting maps (folium / Leaflet) that also work offline.

* :func:`conflict_map` - PTCRs coloured by conflict score (class breaks + legend),
  infrastructure styled by type and status (planned dashed), border fences by
  ``fence_class``, species ranges as toggleable layers, corridors, least-cost paths, pinch
  points and passage hotspots when given; layer control, scale bar, fullscreen and measure
  controls; tooltips and popups with the key numbers.
* :func:`explore` - add any GeoDataFrame as a layer (new map or an existing one).
* :func:`save_map` - write ONE standalone HTML file: Leaflet and the plugins are inlined
  from the copies bundled in ``camigeo/_static`` (npm packages ``leaflet@1.9.4``,
  ``leaflet.fullscreen@3.0.0``, ``leaflet-measure@2.1.7``, MIT/BSD licences alongside), so
  the page shows every data layer without network; only basemap tiles need network.

Every user-provided string placed in a tooltip, popup, legend or layer name is
HTML-escaped: a feature named ``<img src=x onerror=alert(1)>`` shows as that text.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from .._errors import CamigeoError, SchemaError
from ..io.atomic import atomic_path
from .names import fencing_status, infra_label, species_label

__all__ = [
    "BORDER_FENCE_COLORS",
    "INFRA_STYLE",
    "STATUS_DASH",
    "class_breaks",
    "conflict_map",
    "explore",
    "save_map",
]

log = logging.getLogger(__name__)

_STATIC = Path(__file__).parent.parent / "_static"

#: Line colour and weight per ``infra_type``.
INFRA_STYLE: dict[str, dict[str, Any]] = {
    "railway": {"color": "#222222", "weight": 3},
    "road": {"color": "#7f7f7f", "weight": 2},
    "fence": {"color": "#8c510a", "weight": 2},
    "border_fence": {"color": "#b2182b", "weight": 3},
    "pipeline": {"color": "#6a3d9a", "weight": 2},
    "canal": {"color": "#1f78b4", "weight": 2},
}
#: Leaflet ``dashArray`` per ``status`` (existing lines are solid).
STATUS_DASH: dict[str, str | None] = {"existing": None, "under_construction": "2 6",
                                      "planned": "8 6"}
#: Colour of border fences per ``fence_class`` (permeability, impermeable = darkest).
BORDER_FENCE_COLORS: dict[str, str] = {
    "impermeable": "#67001f", "low": "#d6604d", "medium": "#f4a582", "high": "#92c5de",
    "open": "#1a9850", "unknown": "#888888",
}
#: Least-cost paths (dashed), pinch points and passage hotspots on the meeting map.
PATH_COLOR = "#01665e"
PINCH_COLOR = "#f768a1"
HOTSPOT_COLOR = "#ff7f00"
RANGE_COLORS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
                 "#a6761d", "#666666", "#1f78b4", "#b15928", "#6a3d9a", "#33a02c",
                 "#fb9a99", "#cab2d6", "#fdbf6f", "#b2df8a", "#a6cee3"]

#: Popup/legend label and unit of the numbers camigeo layers carry.
_COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "conflict_score": ("conflict score", "weighted km per 1,000 km² of range, summed over "
                                         "species"),
    "rank": ("rank", "1 = highest conflict"),
    "species_affected": ("species affected", "count"),
    "n_species": ("species with range in the PTCR", "count"),
    "weighted_length_km": ("impermeability-weighted barrier length", "km"),
    "m_eff_km2": ("effective mesh size", "km²"),
    "region_area_km2": ("area", "km²"),
    "length_km_railway": ("railways", "km"),
    "length_km_road": ("roads", "km"),
    "length_km_fence": ("fences", "km"),
    "length_km_border_fence": ("border lines (fenced or not)", "km"),
    "length_reported_km": ("reported length", "km"),
    "length_km": ("length", "km"),
    "cw_dist": ("cost-weighted distance", "resistance × m"),
    "lcp_length_km": ("least-cost path length", "km"),
    "euc_dist_km": ("gap between the PTCRs", "km"),
    "current_A": ("current", "A, 1 A per PTCR pair"),
    "current": ("current", "A"),
    "accuracy_km": ("positional accuracy", "km"),
    "fencing": ("fencing", ""),
    "touching": ("PTCRs touch (zero-length link)", ""),
}

# URL basename -> bundled file (relative to camigeo/_static); None = not needed, dropped.
_ASSETS: dict[str, str | None] = {
    "leaflet.js": "leaflet/leaflet.js",
    "leaflet.css": "leaflet/leaflet.css",
    "Control.FullScreen.min.js": "leaflet.fullscreen/Control.FullScreen.js",
    "Control.FullScreen.js": "leaflet.fullscreen/Control.FullScreen.js",
    "Control.FullScreen.css": "leaflet.fullscreen/Control.FullScreen.css",
    "leaflet-measure.min.js": "leaflet-measure/leaflet-measure.min.js",
    "leaflet-measure.js": "leaflet-measure/leaflet-measure.min.js",
    "leaflet-measure.min.css": "leaflet-measure/leaflet-measure.css",
    "leaflet-measure.css": "leaflet-measure/leaflet-measure.css",
    # folium's defaults that camigeo maps do not use (Bootstrap UI, icon fonts, jQuery):
    "jquery-3.7.1.min.js": None,
    "bootstrap.bundle.min.js": None,
    "bootstrap.min.css": None,
    "bootstrap-glyphicons.css": None,
    "all.min.css": None,
    "leaflet.awesome-markers.js": None,
    "leaflet.awesome-markers.css": None,
    "leaflet.awesome.rotate.min.css": None,
}


# ------------------------------------------------------------------------------ helpers
def _esc(value: Any) -> str:
    """HTML-escape any value for display (None/NaN -> empty)."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        return html.escape(f"{value:,.3f}" if cast(float, abs(value)) < 1000 else f"{value:,.1f}")
    if isinstance(value, np.integer):
        value = int(value)
    return html.escape(str(value), quote=True)


def _html_rows(row: Mapping[str, Any], columns: Sequence[str]) -> str:
    cells = []
    for c in columns:
        if c not in row:
            continue
        label, unit = _COLUMN_LABELS.get(c, (c.replace("_", " "), ""))
        val = row.get(c)
        if c == "sci_name" and isinstance(val, str):
            text = species_label(val, style="html")
        elif c == "fencing" and isinstance(val, str):
            text = _esc({"documented": "documented",
                         "undocumented": "not documented"}.get(val, val))
        else:
            text = _esc(val) + (f" {html.escape(unit)}" if unit and _esc(val) else "")
        cells.append(f"<tr><th style='text-align:left;padding-right:6px'>{html.escape(label)}"
                     f"</th><td>{text}</td></tr>")
    return "<table>" + "".join(cells) + "</table>"


def _check_gdf(obj: Any, name: str) -> Any:
    import geopandas as gpd

    if not isinstance(obj, gpd.GeoDataFrame):
        raise SchemaError(f"{name}: expected a GeoDataFrame, got {type(obj).__name__}.")
    if obj.crs is None:
        raise SchemaError(f"{name}: the GeoDataFrame has no CRS; set one with .set_crs(...).")
    from ..io.guards import check_geometries

    return check_geometries(obj, name=name, repair=None)  # NaN vertices, metres as degrees


def _prepared(gdf: Any, name: str, *, simplify_m: float | None) -> Any:
    """Copy in EPSG:4326, drop empty geometries, optionally simplify (tolerance in metres)."""
    g = _check_gdf(gdf, name).to_crs(4326)
    g = g[~(g.geometry.isna() | g.geometry.is_empty)].copy()
    if simplify_m:
        # degrees per metre at the equator: a conservative (smaller-than-needed) tolerance
        g[g.geometry.name] = g.geometry.simplify(simplify_m / 111_320.0, preserve_topology=True)
    return g


def class_breaks(values: Sequence[float], *, k: int = 5, scheme: str = "quantiles") -> list[float]:
    """Upper class bounds for a choropleth (mapclassify).

    Parameters
    ----------
    values : sequence of float
        Values to classify (NaN ignored).
    k : int, default 5
        Number of classes (reduced to the number of distinct values when fewer).
    scheme : {"quantiles", "equal_interval", "natural_breaks", "fisher_jenks"}
        Classification method.

    Returns
    -------
    list of float
        ``k`` ascending upper bounds; the last equals the maximum.
    """
    schemes = ("quantiles", "equal_interval", "natural_breaks", "fisher_jenks")
    if scheme not in schemes:
        raise CamigeoError(f"scheme: expected one of {sorted(schemes)}, got {scheme!r}.")
    arr = np.asarray(values, dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        return []
    distinct = np.unique(arr)
    k = max(1, min(int(k), distinct.size))
    if k == 1:
        return [float(distinct[-1])]
    if scheme == "quantiles":  # same definition as mapclassify.Quantiles (linear percentiles)
        bins = np.percentile(arr, 100.0 * np.arange(1, k + 1) / k)
    elif scheme == "equal_interval":
        lo, hi = float(arr.min()), float(arr.max())
        bins = lo + (hi - lo) * np.arange(1, k + 1) / k
    else:
        # mapclassify compiles numba code at import (15 s here): only import it when needed
        import warnings

        import mapclassify

        cls = mapclassify.NaturalBreaks if scheme == "natural_breaks" else \
            mapclassify.FisherJenks
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # mapclassify warns when classes collapse
            bins = cls(arr, k=k).bins
    return sorted({float(b) for b in bins})


def _ramp(n: int, cmap: str = "YlOrRd") -> list[str]:
    import matplotlib
    from matplotlib.colors import to_hex

    cm = matplotlib.colormaps[cmap]
    if n <= 1:
        return [to_hex(cm(0.75))]
    return [to_hex(cm(0.15 + 0.8 * i / (n - 1))) for i in range(n)]


def _legend_html(title: str, entries: Sequence[tuple[str, str, str]], *,
                 raw: bool = False) -> str:
    """Legend block HTML.

    Entries: (kind 'box'|'line'|'dash'|'dot', colour, label); text escaped unless ``raw``
    (labels already escaped HTML, e.g. from :func:`species_label`).
    """
    items = []
    for kind, color, label in entries:
        c = html.escape(color, quote=True)
        if kind == "box":
            sw = (f"<span style='display:inline-block;width:14px;height:10px;background:{c};"
                  "border:1px solid #555;margin-right:5px'></span>")
        else:
            style = {"dash": "dashed", "dot": "dotted"}.get(kind, "solid")
            px = 6 if kind == "thick" else 3
            sw = (f"<span style='display:inline-block;width:18px;height:0;border-top:{px}px "
                  f"{style} {c};margin:0 5px 3px 0'></span>")
        items.append(f"<div>{sw}{label if raw else html.escape(label)}</div>")
    return (f"<div style='font-weight:bold;margin-bottom:3px'>{html.escape(title)}</div>"
            + "".join(items))


def _add_legend(m: Any, blocks: Sequence[tuple[str, Any]]) -> None:
    """One collapsible legend; each block shows only while its layer is on the map."""
    from branca.element import MacroElement, Template

    if not blocks:
        return
    body = "".join(
        f"<div class='camigeo-legend-block' data-layer='{fg.get_name() if fg else ''}'>"
        f"{b}</div>" for b, fg in blocks)
    js = ("function camigeoLegendSync(){document.querySelectorAll('.camigeo-legend-block')"
          ".forEach(function(el){var n=el.getAttribute('data-layer');var l=n?window[n]:null;"
          "el.style.display=(!n||(l&&MAP.hasLayer(l)))?'':'none';});}"
          "MAP.on('overlayadd overlayremove',camigeoLegendSync);"
          "MAP.whenReady(camigeoLegendSync);")
    macro = MacroElement()
    macro._template = Template(
        "{% macro html(this, kwargs) %}"
        "<div class='camigeo-legend' style='position:fixed;bottom:36px;left:10px;z-index:9999;"
        "background:rgba(255,255,255,0.93);padding:5px 8px;border:1px solid #999;"
        "border-radius:4px;font:12px sans-serif;max-width:260px;"
        "max-height:calc(100vh - 215px);overflow:auto'>"
        "<details open><summary style='cursor:pointer;font-weight:bold'>Legend</summary>"
        + body.replace("{", "&#123;").replace("}", "&#125;")
        + "</details></div>{% endmacro %}"
        "{% macro script(this, kwargs) %}"
        + js.replace("MAP", "{{ this._parent.get_name() }}")
        + "{% endmacro %}")
    m.add_child(macro)


def _geojson_layer(
    m: Any,
    gdf: Any,
    name: str,
    *,
    style: Callable[..., dict[str, Any]],  # (row) -> style; `...` admits `lambda _r, c=c:`
    tip: Callable[..., str],  # (row) -> tooltip HTML; `...` admits `lambda row, lb=lb:`
    popup_columns: Sequence[str],
    show: bool = True,
    point_radius: float = 6.0,
    label_html: str | None = None,
) -> Any:
    """Add one GeoJson layer whose tooltip/popup HTML is built (and escaped) in Python.

    ``label_html`` (already escaped) replaces the escaped ``name`` in the layer control.
    """
    import folium
    import geopandas as gpd

    records = gdf.drop(columns=gdf.geometry.name).to_dict("records")
    styles = [style(r) for r in records]
    props = pd.DataFrame({
        "_tip": [tip(r) for r in records],
        "_popup": [_html_rows(r, popup_columns) for r in records],
        "_style": [json.dumps(s) for s in styles],
    }, index=gdf.index)
    data = gpd.GeoDataFrame(props, geometry=gdf.geometry.to_numpy(), crs=gdf.crs)
    fg = folium.FeatureGroup(name=label_html or html.escape(name), show=show)
    gj = folium.GeoJson(
        data.__geo_interface__,
        name=html.escape(name),
        style_function=lambda f: json.loads(f["properties"]["_style"]),
        highlight_function=lambda f: {"weight": json.loads(f["properties"]["_style"])
                                      .get("weight", 2) + 2},
        marker=folium.CircleMarker(radius=point_radius, fill=True, fill_opacity=0.8),
        tooltip=folium.GeoJsonTooltip(fields=["_tip"], labels=False),
        popup=folium.GeoJsonPopup(fields=["_popup"], labels=False),
        zoom_on_click=False,
    )
    gj.add_to(fg)
    fg.add_to(m)
    return fg


def _num_cols(df: Any, prefer: Sequence[str], limit: int = 12) -> list[str]:
    cols = [c for c in prefer if c in df.columns]
    for c in df.columns:
        if len(cols) >= limit:
            break
        if c not in cols and c != df.geometry.name and pd.api.types.is_numeric_dtype(df[c]):
            cols.append(c)
    return cols


def _add_metric_scale(m: Any) -> None:
    """Leaflet scale bar in km only (folium's ``control_scale`` also shows miles)."""
    from branca.element import MacroElement, Template

    macro = MacroElement()
    macro._template = Template(
        "{% macro script(this, kwargs) %}"
        "L.control.scale({metric: true, imperial: false, maxWidth: 150})"
        ".addTo({{ this._parent.get_name() }});"
        "{% endmacro %}")
    m.add_child(macro)


def _new_map(bounds: Sequence[float] | None, tiles: str | None, attr: str | None,
             controls: bool, *, basemap: bool = True) -> Any:
    import folium

    # fractional zoom so that fit_bounds fills the window instead of snapping a level out
    m = folium.Map(location=[45, 70], zoom_start=4, tiles=None, control_scale=False,
                   zoomSnap=0.25, zoomDelta=0.5)
    _add_metric_scale(m)
    if basemap:
        from .basemap import add_basemap

        add_basemap(m)
    if tiles is not None:
        # online tiles: an optional layer, off at start (the offline basemap is the default)
        folium.TileLayer(tiles=tiles, attr=attr, name=f"{tiles} tiles (online)",
                         overlay=True, show=not basemap, control=True).add_to(m)
    if bounds is not None and all(np.isfinite(bounds)):
        minx, miny, maxx, maxy = bounds
        # keep the data clear of the controls: legend and zoom/fullscreen/measure buttons
        # on the left (legend at most 270 px wide), the collapsed layer button top right,
        # the attribution bottom right
        pad: dict[str, Any] = {"padding_top_left": (285, 20), "padding_bottom_right": (70, 30)} \
            if controls else {}
        m.fit_bounds([[miny, minx], [maxy, maxx]], **pad)
    if controls:
        from folium.plugins import Fullscreen, MeasureControl

        Fullscreen(position="topleft").add_to(m)
        MeasureControl(position="topleft", primary_length_unit="kilometers",
                       secondary_length_unit=None, primary_area_unit="sqkilometers",
                       secondary_area_unit=None).add_to(m)
    return m


# ------------------------------------------------------------------------- public API
def conflict_map(
    ptcrs: Any = None,
    *,
    summary: pd.DataFrame | None = None,
    infrastructure: Any = None,
    borders: Any = None,
    ranges: Any = None,
    corridors: Any = None,
    paths: Any = None,
    pinch_points: Any = None,
    hotspots: Any = None,
    score_column: str = "conflict_score",
    k: int = 5,
    scheme: str = "quantiles",
    tiles: str | None = "OpenStreetMap",
    attr: str | None = None,
    simplify_m: float | None = 500.0,
    controls: bool = True,
    basemap: bool = True,
) -> Any:
    """Meeting map of barrier conflict across the PTCRs.

    Parameters
    ----------
    ptcrs : GeoDataFrame, optional
        PTCR polygons (``ptcr_id``, ``name``, ...); default the bundled PTCRs. If it has a
        ``score_column`` it is used directly, else ``summary`` is joined on ``ptcr_id``.
    summary : DataFrame, optional
        One row per PTCR (``camigeo.summarize_conflict``) with ``ptcr_id`` and the score.
    infrastructure : GeoDataFrame, optional
        Lines in the infrastructure schema; coloured by ``infra_type``
        (:data:`INFRA_STYLE`), dashed by ``status`` (:data:`STATUS_DASH`). Border fences
        (``infra_type == "border_fence"``) go to their own layer coloured by ``fence_class``.
    borders : GeoDataFrame, optional
        Extra border-fence lines with ``fence_class`` (e.g. from the ``borders`` layer).
    ranges : GeoDataFrame, optional
        Species ranges (``sci_name``); one toggleable layer per species, hidden at start.
    corridors, paths : GeoDataFrame, optional
        Corridor polygons / least-cost paths (``corridor_paths``).
    pinch_points, hotspots : GeoDataFrame, optional
        Pinch points (points or polygons) and passage hotspots (telemetry).
    score_column : str, default "conflict_score"
        Column coloured on the PTCRs.
    k, scheme : int, str
        Number of classes and classification (:func:`class_breaks`).
    tiles : str or None, default "OpenStreetMap"
        Online tiles (a folium tile name or URL template), an optional layer that starts
        switched off when ``basemap`` is on; ``None`` = none.
    attr : str, optional
        Attribution for a custom tile URL.
    simplify_m : float or None, default 500
        Simplification tolerance in metres for polygons (smaller HTML); None = exact.
    controls : bool, default True
        Add fullscreen and measure controls.
    basemap : bool, default True
        The offline Natural Earth basemap (relief, rivers, lakes, historic Aral shoreline,
        glaciers, country and town names; :func:`camigeo.atlas.basemap.add_basemap`).

    Notes
    -----
    The legend lists only what is drawn (classes and types present in the data) and shows
    a layer's entries only while the layer is switched on; species appear with their
    common English name first and the scientific name in italics. The initial view
    frames the PTCRs and the analysis layers (not the hidden ranges).

    Returns
    -------
    folium.Map
    """
    import geopandas as gpd

    if ptcrs is None:
        from .. import datasets

        ptcrs = datasets.load_ptcrs()
    p = _prepared(ptcrs, "ptcrs", simplify_m=simplify_m)
    if "ptcr_id" not in p.columns:
        raise SchemaError(f"ptcrs: needs a 'ptcr_id' column; columns are {list(p.columns)}.")
    if summary is not None:
        if "ptcr_id" not in summary.columns or score_column not in summary.columns:
            raise SchemaError(
                f"summary: needs columns 'ptcr_id' and {score_column!r}; got "
                f"{list(summary.columns)}. Pass the output of camigeo.summarize_conflict().")
        cols = [c for c in summary.columns if c not in p.columns or c == "ptcr_id"]
        extra = pd.DataFrame(summary[cols]).drop(columns=[c for c in ("geometry",) if c in cols])
        p = p.merge(extra, on="ptcr_id", how="left")
    frames = [p]
    for g, nm in ((infrastructure, "infrastructure"), (borders, "borders"), (ranges, "ranges"),
                  (corridors, "corridors"), (paths, "paths"), (pinch_points, "pinch_points"),
                  (hotspots, "hotspots")):
        if g is not None:
            _check_gdf(g, nm)
            # the initial view frames what is shown at start: not the hidden ranges, not
            # lines running far beyond the regions
            if len(g) and nm not in ("ranges", "infrastructure", "borders"):
                frames.append(g.to_crs(4326))
    b = np.array([f.total_bounds for f in frames if len(f)])
    bounds = ([b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()] if len(b) else None)
    m = _new_map(bounds, tiles, attr, controls, basemap=basemap)
    legends: list[tuple[str, Any]] = []

    # ranges first (bottom), hidden by default; their legend shows when switched on
    if ranges is not None and len(ranges):
        r = _prepared(ranges, "ranges", simplify_m=simplify_m)
        key = "sci_name" if "sci_name" in r.columns else None
        if key is None:
            raise SchemaError(f"ranges: needs a 'sci_name' column; got {list(r.columns)}.")
        for i, (sp, grp) in enumerate(r.groupby(key, sort=True)):
            color = RANGE_COLORS[i % len(RANGE_COLORS)]
            label = species_label(sp, style="html")
            fg = _geojson_layer(
                m, grp, f"Range: {species_label(sp)}",
                style=lambda _r, c=color: {"color": c, "weight": 1, "fillColor": c,
                                           "fillOpacity": 0.15},
                tip=lambda row, lb=label: f"<b>{lb}</b> {_esc(row.get('population') or '')}",
                popup_columns=[c for c in ("sci_name", "common_name", "population",
                                           "presence", "seasonal", "source", "accuracy_km")
                               if c in grp.columns],
                show=False,
                label_html=(f"<span style='display:inline-block;width:10px;height:10px;"
                            f"background:{color};opacity:.6;margin-right:3px'></span>"
                            f"Range: {label}"))
            legends.append((_legend_html("Species range", [("box", color, label)],
                                         raw=True), fg))

    # PTCRs coloured by score
    has_score = score_column in p.columns and p[score_column].notna().any()
    score_title = _COLUMN_LABELS.get(score_column, (score_column.replace("_", " "), ""))
    if has_score:
        breaks = class_breaks(p[score_column].to_numpy(dtype=float), k=k, scheme=scheme)
        colors = _ramp(len(breaks))

        def color_of(v: Any) -> str:
            if v is None or (isinstance(v, float) and math.isnan(v)):
                return "#cccccc"
            for bound, c in zip(breaks, colors, strict=True):
                if v <= bound + 1e-12:
                    return c
            return colors[-1]

        lows = [float(np.nanmin(p[score_column]))] + breaks[:-1]
        unit = f" ({score_title[1]})" if score_title[1] else ""
        ptcr_legend = _legend_html(
            f"PTCR {score_title[0]}{unit}",
            [("box", c, f"{lo:,.3g} – {hi:,.3g}") for c, lo, hi in zip(colors, lows, breaks,
                                                                        strict=True)])
    else:
        def color_of(v: Any) -> str:  # noqa: ARG001
            return "#9ecae1"

        ptcr_legend = _legend_html("Regions", [("box", "#9ecae1", "PTCR")])

    pcols = ["ptcr_id", "name", "countries", score_column, "rank", "species_affected",
             "n_species", "weighted_length_km", "m_eff_km2", "region_area_km2"]
    pcols = [c for c in pcols if c in p.columns] + [c for c in p.columns
                                                    if c.startswith("length_km_")]
    fg = _geojson_layer(
        m, p, "PTCRs" + (f" by {score_title[0]}" if has_score else ""),
        style=lambda row: {"color": "#333333", "weight": 1.5,
                           "fillColor": color_of(row.get(score_column)),
                           "fillOpacity": 0.45 if has_score else 0.3},
        tip=lambda row: (f"<b>{_esc(row.get('name'))}</b> (PTCR {_esc(row.get('ptcr_id'))})"
                         + (f"<br>{_esc(score_title[0])}: {_esc(row.get(score_column))}"
                            f" · rank {_esc(row.get('rank'))}" if has_score else "")),
        popup_columns=pcols)
    legends.insert(0, (ptcr_legend, fg))

    if corridors is not None and len(corridors):
        c = _prepared(corridors, "corridors", simplify_m=simplify_m)
        fg = _geojson_layer(m, c, "Corridors",
                            style=lambda _r: {"color": "#238b45", "weight": 1,
                                              "fillColor": "#41ab5d", "fillOpacity": 0.35},
                            tip=lambda row: _tip_generic(row, "Corridor"),
                            popup_columns=_num_cols(c, ["core_a", "core_b", "species"]))
        legends.append((_legend_html("Corridors", [("box", "#41ab5d", "corridor")]), fg))
    bf = None
    if infrastructure is not None and len(infrastructure):
        inf = _prepared(infrastructure, "infrastructure", simplify_m=None)
        if "infra_type" not in inf.columns:
            raise SchemaError(f"infrastructure: needs column 'infra_type'; got "
                              f"{list(inf.columns)}.")
        inf["fencing"] = fencing_status(inf)
        is_bf = inf["infra_type"] == "border_fence"
        lines = inf[~is_bf]
        bf = inf[is_bf]
        if len(lines):
            cols = [c for c in ("infra_id", "infra_type", "name", "status", "fencing",
                                "fence_class", "countries", "length_reported_km", "year",
                                "source") if c in lines.columns]
            fg = _geojson_layer(m, lines, "Infrastructure", style=_infra_style, tip=_tip_infra,
                                popup_columns=cols)
            present = lines.drop_duplicates(["infra_type", "fencing"])
            entries = [("thick" if _infra_style(rec)["weight"] >= 5 else "line",
                        _infra_style(rec)["color"],
                        infra_label(rec["infra_type"], rec["fencing"]))
                       for rec in present.sort_values("infra_type").to_dict("records")]
            entries += _status_entries(lines)
            legends.append((_legend_html("Infrastructure", entries), fg))
    if borders is not None and len(borders):
        extra = _prepared(borders, "borders", simplify_m=None)
        extra["fencing"] = fencing_status(extra.assign(infra_type="border_fence"))
        bf = extra if bf is None else pd.concat([bf, extra], ignore_index=True)
    if bf is not None and len(bf):
        cols = [c for c in ("infra_id", "border_id", "name", "status", "fencing",
                            "fence_class", "countries", "length_km", "length_reported_km",
                            "source") if c in bf.columns]
        fg = _geojson_layer(m, gpd.GeoDataFrame(bf, geometry=bf.geometry.name, crs=4326),
                            "Borders and border fences", style=_border_style, tip=_tip_infra,
                            popup_columns=cols)
        entries = []
        doc = bf[bf["fencing"] == "documented"]
        fcs = (doc["fence_class"].astype(object) if "fence_class" in doc.columns
               else pd.Series(None, index=doc.index, dtype=object))
        for fc_ in BORDER_FENCE_COLORS:
            if fc_ != "unknown" and (fcs == fc_).any():
                entries.append(("line", BORDER_FENCE_COLORS[fc_],
                                f"border fence (documented, {fc_})"))
        if (~fcs.isin([k for k in BORDER_FENCE_COLORS if k != "unknown"])).any():
            # a documented fence whose permeability class is not known (_border_style)
            entries.append(("line", BORDER_FENCE_COLORS["impermeable"],
                            "border fence (documented, class unknown)"))
        if (bf["fencing"] != "documented").any():
            entries.append(("line", BORDER_FENCE_COLORS["unknown"],
                            "border, fencing not documented"))
        entries += _status_entries(bf)
        legends.append((_legend_html("Borders", entries), fg))
    if paths is not None and len(paths):
        pa = _prepared(paths, "paths", simplify_m=None)
        fg = _geojson_layer(m, pa, "Least-cost paths",
                            style=lambda _r: {"color": PATH_COLOR, "weight": 3, "opacity": 0.9,
                                              "dashArray": "10 5"},
                            tip=lambda row: _tip_generic(row, "Least-cost path"),
                            popup_columns=_num_cols(pa, ["species", "core_a", "core_b",
                                                         "cw_dist", "lcp_length_km",
                                                         "euc_dist_km", "touching"]))
        legends.append((_legend_html("Corridors", [("dash", PATH_COLOR,
                                                    "least-cost path between PTCRs")]), fg))
    if pinch_points is not None and len(pinch_points):
        pp = _prepared(pinch_points, "pinch_points", simplify_m=None)
        fg = _geojson_layer(m, pp, "Pinch points",
                            style=lambda _r: {"color": "#7a0177", "weight": 1,
                                              "fillColor": PINCH_COLOR, "fillOpacity": 0.85},
                            tip=lambda row: _tip_generic(row, "Pinch point"),
                            popup_columns=_num_cols(pp, ["species", "current_A", "current",
                                                         "rank"]), point_radius=4.0)
        legends.append((_legend_html("Pinch points", [
            ("box", PINCH_COLOR, "top 5 % current in a corridor, outside the PTCR cores")]), fg))
    if hotspots is not None and len(hotspots):
        hs = _prepared(hotspots, "hotspots", simplify_m=None)
        fg = _geojson_layer(m, hs, "Passage hotspots",
                            style=lambda _r: {"color": HOTSPOT_COLOR, "weight": 5,
                                              "fillColor": HOTSPOT_COLOR, "fillOpacity": 0.9},
                            tip=lambda row: _tip_generic(row, "Passage hotspot"),
                            popup_columns=_num_cols(hs, ["barrier_id", "name", "rank"]))
        legends.append((_legend_html("GPS tracks", [("line", HOTSPOT_COLOR,
                                                     "passage hotspot")]), fg))
    import folium

    _add_legend(m, legends)
    _add_attribution(m, infrastructure, borders)
    ctl = folium.LayerControl(collapsed=True)
    ctl.add_to(m)
    _add_layer_control_css(m)
    _expose(m, "camigeoLayerControl", ctl)
    return m


def _expose(m: Any, name: str, element: Any) -> None:
    """Make a folium element's Leaflet object reachable as ``window.<name>`` (scripting)."""
    from branca.element import MacroElement, Template

    macro = MacroElement()
    macro._template = Template(
        "{% macro script(this, kwargs) %}"
        f"window.{name} = " + "{{ this.target }};{% endmacro %}")
    macro.target = element.get_name()  # type: ignore[attr-defined]  # read by the template
    m.add_child(macro)


def _status_entries(df: Any) -> list[tuple[str, str, str]]:
    """Legend entries for the non-existing statuses present (dashes)."""
    if "status" not in df.columns:
        return []
    st = set(df["status"].astype(str))
    out = []
    if "planned" in st:
        out.append(("dash", "#444444", "planned (dashed)"))
    if "under_construction" in st:
        out.append(("dot", "#444444", "under construction (dotted)"))
    return out


def _add_attribution(m: Any, infrastructure: Any, borders: Any) -> None:
    """Natural Earth always; OpenStreetMap (ODbL) when a drawn line comes from OSM."""
    from branca.element import MacroElement, Template

    from .basemap import ATTRIBUTION

    osm = False
    for df in (infrastructure, borders):
        if df is not None and len(df):
            if "source" in df.columns and df["source"].astype(str).str.contains(
                    r"OpenStreetMap|\bOSM\b", regex=True).any():
                osm = True
            # lines routed through an OSM extract by conflate_osm
            if "geometry_source" in df.columns and (df["geometry_source"].astype(str)
                                                    == "reference").any():
                osm = True
    text = html.escape(ATTRIBUTION)
    if osm:
        text += (" | Lines: &copy; <a href='https://www.openstreetmap.org/copyright'>"
                 "OpenStreetMap</a> contributors (ODbL)")
    macro = MacroElement()
    macro._template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this._parent.get_name() }}.attributionControl.addAttribution("
        + json.dumps(text) + ");{% endmacro %}")
    m.add_child(macro)


def _add_layer_control_css(m: Any) -> None:
    """Layer list scrolls inside the window (never taller than the map)."""
    from branca.element import Element

    m.get_root().header.add_child(Element(
        "<style>.leaflet-control-layers-list{max-height:calc(100vh - 140px);"
        "overflow-y:auto;}.leaflet-control-layers-expanded{font:12px sans-serif;}"
        ".leaflet-container{background:#e4e8ea;}"
        "</style>"))

def _tip_generic(row: Mapping[str, Any], kind: str) -> str:
    bits = [f"<b>{html.escape(kind)}</b>"]
    for key in ("name", "species", "core_a", "core_b", "barrier_id", "cw_dist",
                "lcp_length_km", "current", "n_crossings", "n_bounces", "score", "rank"):
        if key in row and row[key] is not None and not (isinstance(row[key], float)
                                                        and math.isnan(row[key])):
            bits.append(f"{html.escape(key)}: {_esc(row[key])}")
    return "<br>".join(bits)


def _tip_infra(row: Mapping[str, Any]) -> str:
    name = _esc(row.get("name")) or _esc(row.get("infra_id"))
    kind = row.get("infra_type") or "border_fence"
    parts = [f"<b>{name}</b>",
             f"{_esc(infra_label(kind, row.get('fencing', '')))} · "
             f"{_esc(str(row.get('status') or '').replace('_', ' '))}"]
    fc = row.get("fence_class")
    if isinstance(fc, str) and fc and fc != "unknown":
        parts.append(f"fence class: {_esc(fc)}")
    km = row.get("length_reported_km", row.get("length_km"))
    if km is not None and not (isinstance(km, float) and math.isnan(km)):
        parts.append(f"{_esc(km)} km (reported)" if "length_reported_km" in row
                     else f"{_esc(km)} km")
    return "<br>".join(parts)


def _infra_style(row: Mapping[str, Any]) -> dict[str, Any]:
    s = dict(INFRA_STYLE.get(str(row.get("infra_type")), {"color": "#000000", "weight": 2}))
    if row.get("fencing") == "documented" and row.get("infra_type") != "fence":
        # a documented fence along a railway/road: the same colour, twice as wide
        s["weight"] = 2 * s["weight"]
    dash = STATUS_DASH.get(str(row.get("status")), None)
    if dash:
        s["dashArray"] = dash
    s["opacity"] = 0.9
    return s


def _border_style(row: Mapping[str, Any]) -> dict[str, Any]:
    fc = row.get("fence_class")
    fc = "unknown" if fc is None or (isinstance(fc, float) and math.isnan(fc)) else str(fc)
    known = row.get("fencing", "documented" if fc != "unknown" else "") == "documented"
    if not known:
        fc = "unknown"
    elif fc not in BORDER_FENCE_COLORS or fc == "unknown":
        fc = "impermeable"
    # borders whose fencing is not documented are drawn thin and faint, so the documented
    # fences stand out and an undocumented border does not read as a fence
    s = {"color": BORDER_FENCE_COLORS.get(fc, BORDER_FENCE_COLORS["unknown"]),
         "weight": 4 if known else 2, "opacity": 0.9 if known else 0.6}
    dash = STATUS_DASH.get(str(row.get("status")), None)
    if dash:
        s["dashArray"] = dash
    return s


def explore(
    gdf: Any,
    *,
    m: Any = None,
    name: str | None = None,
    column: str | None = None,
    color: str = "#3182bd",
    popup_columns: Sequence[str] | None = None,
    k: int = 5,
    scheme: str = "quantiles",
    tiles: str | None = "OpenStreetMap",
    show: bool = True,
    simplify_m: float | None = None,
    add_layer_control: bool = True,
    basemap: bool = True,
) -> Any:
    """Add a GeoDataFrame to a (new or given) map with escaped tooltips and popups.

    Parameters
    ----------
    gdf : GeoDataFrame
        Any layer with a CRS.
    m : folium.Map, optional
        Map to add to; a new one (with scale, fullscreen and measure controls) by default.
    name : str, optional
        Layer name in the layer control (escaped).
    column : str, optional
        Numeric column to colour by (classes by ``scheme``); else a single ``color``.
    popup_columns : sequence of str, optional
        Columns shown in the popup; default all non-geometry columns (max 15).
    tiles : str or None
        Basemap for a new map.
    show : bool
        Layer visible at start.
    simplify_m : float, optional
        Simplification tolerance in metres.
    add_layer_control : bool
        Add a layer control to a new map.
    basemap : bool, default True
        The offline Natural Earth basemap on a new map (:func:`camigeo.atlas.basemap.add_basemap`).

    Returns
    -------
    folium.Map
    """
    import folium

    g = _prepared(gdf, "gdf", simplify_m=simplify_m)
    if column is not None and column not in g.columns:
        raise SchemaError(f"column: {column!r} is not a column of gdf; columns are "
                          f"{[c for c in g.columns if c != g.geometry.name]}.")
    new = m is None
    if new:
        m = _new_map(g.total_bounds if len(g) else None, tiles, None, True, basemap=basemap)
    cols = list(popup_columns) if popup_columns is not None else \
        [c for c in g.columns if c != g.geometry.name][:15]
    if column is not None and pd.api.types.is_numeric_dtype(g[column]):
        breaks = class_breaks(g[column].to_numpy(dtype=float), k=k, scheme=scheme)
        colors = _ramp(len(breaks))

        def fill(v: Any) -> str:
            if v is None or not np.isfinite(v):
                return "#cccccc"
            return next((c for b, c in zip(breaks, colors, strict=True) if v <= b + 1e-12),
                        colors[-1])
    else:
        def fill(v: Any) -> str:  # noqa: ARG001
            return color
    label = name or (column or "layer")
    _geojson_layer(
        m, g, label,
        style=lambda row: {"color": fill(row.get(column)) if column else color, "weight": 2,
                           "fillColor": fill(row.get(column)) if column else color,
                           "fillOpacity": 0.5},
        tip=lambda row: "<br>".join(f"{_esc(c)}: {_esc(row.get(c))}" for c in cols[:4]),
        popup_columns=cols, show=show)
    if new and add_layer_control:
        folium.LayerControl(collapsed=True).add_to(m)
        _add_layer_control_css(m)
    else:
        _layer_control_last(m)
    return m


def _layer_control_last(m: Any) -> None:
    """Move an existing LayerControl after the layers added later (it must see them)."""
    import folium

    for key, child in list(m._children.items()):
        if isinstance(child, folium.LayerControl):
            del m._children[key]
            m._children[key] = child


# --------------------------------------------------------------------------- save_map
def _inline_css(css: str, base: Path) -> str:
    def repl(mt: re.Match[str]) -> str:
        ref = mt.group(1).strip("'\"")
        if ref.startswith(("data:", "#", "http:", "https:")):
            return mt.group(0)
        f = (base / ref).resolve()
        if not f.is_file():
            return mt.group(0)
        mime = {"png": "image/png", "svg": "image/svg+xml", "gif": "image/gif"}.get(
            f.suffix.lstrip(".").lower(), "application/octet-stream")
        return f"url(data:{mime};base64,{base64.b64encode(f.read_bytes()).decode()})"

    return re.sub(r"url\(([^)]+)\)", repl, css).replace("</style", "<\\/style")


def _asset(url: str) -> tuple[str, str | None] | None:
    """(kind, inline text) for a known URL; ('drop', None) for unused; None if unknown."""
    base = url.split("?", 1)[0].rsplit("/", 1)[-1]
    if base not in _ASSETS:
        return None
    rel = _ASSETS[base]
    if rel is None:
        return ("drop", None)
    f = _STATIC / rel
    text = f.read_text(encoding="utf-8")
    if f.suffix == ".css":
        return ("css", _inline_css(text, f.parent))
    return ("js", text.replace("</script", "<\\/script"))


def standalone_html(m: Any) -> str:
    """Render a folium map to one HTML string with Leaflet and plugins inlined."""
    page = m.get_root().render()
    unknown: list[str] = []

    def js(mt: re.Match[str]) -> str:
        a = _asset(mt.group(1))
        if a is None:
            unknown.append(mt.group(1))
            return mt.group(0)
        return "" if a[0] == "drop" else f"<script>{a[1]}</script>"

    def css(mt: re.Match[str]) -> str:
        a = _asset(mt.group(1))
        if a is None:
            unknown.append(mt.group(1))
            return mt.group(0)
        return "" if a[0] == "drop" else f"<style>{a[1]}</style>"

    page = re.sub(r"<script\s+src=\"(https?://[^\"]+)\"\s*>\s*</script>", js, page)
    page = re.sub(r"<link\s+rel=\"stylesheet\"\s+href=\"(https?://[^\"]+)\"\s*/?>", css, page)
    if unknown:
        log.warning("map uses assets camigeo does not bundle (the page needs network for "
                    "them): %s", ", ".join(unknown))
    return page


def save_map(m: Any, path: str | os.PathLike[str]) -> Path:
    """Write a folium map as ONE standalone HTML file that works offline (atomic).

    Parameters
    ----------
    m : folium.Map
        Map from :func:`conflict_map` or :func:`explore` (or any folium map).
    path : path
        Output ``.html`` file; replaced atomically.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    import folium

    if not isinstance(m, folium.Map):
        raise CamigeoError(f"m: expected a folium.Map, got {type(m).__name__}.")
    p = Path(path)
    if p.suffix.lower() not in (".html", ".htm"):
        raise CamigeoError(f"path: expected an .html file name, got {p.name!r}.")
    text = standalone_html(m)
    with atomic_path(p) as tmp:
        tmp.write_text(text, encoding="utf-8")
    log.info("map written to %s (%.1f MB)", p, p.stat().st_size / 1e6)
    return p

