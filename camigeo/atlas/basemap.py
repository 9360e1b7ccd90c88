"""Offline basemap from public-domain Natural Earth: relief, water, glaciers, names.

The bundled ``basemap`` data set (``data/basemap/``, built by ``scripts/data_basemap.py``)
holds the Natural Earth shaded relief (RGB, 1/20 degree, lon 44–125 E, lat 24–56 N) and
simplified Natural Earth 1:10m rivers, lakes, the historic Aral Sea shoreline, glaciers,
country label points and main towns. Nothing here needs network.

* :func:`load_basemap` - one vector layer as a GeoDataFrame.
* :func:`draw_basemap` - draw relief, water, glaciers and names on a matplotlib Axes in
  any projected CRS (used by the Atlas report).
* :func:`add_basemap` - add the same basemap to a folium map (one image overlay in a pane
  below the data, plus a "Place names" layer), used by :func:`camigeo.conflict_map`.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import DataNotFoundError, SchemaError

__all__ = ["ATTRIBUTION", "BASEMAP_LAYERS", "add_basemap", "basemap_dir", "draw_basemap",
           "load_basemap"]

#: Attribution shown on maps and report pages (Natural Earth is public domain; credited).
ATTRIBUTION = "Basemap: Natural Earth (public domain)"
#: Vector layers of the bundled basemap.
BASEMAP_LAYERS = ("rivers", "lakes", "aral_historic", "glaciers", "countries_labels", "towns")
_WATER = "#6fa8dc"
_WATER_FILL = "#a9cbe8"
_GLACIER = "#f4f8fb"


def basemap_dir() -> Path:
    """Folder of the bundled basemap (``<data_dir>/basemap``).

    Raises
    ------
    DataNotFoundError
        The basemap files are missing (run ``python scripts/data_basemap.py``).
    """
    from .. import datasets

    d = datasets.data_dir() / "basemap"
    if not (d / "basemap.gpkg").is_file() or not (d / "relief.tif").is_file():
        raise DataNotFoundError(f"basemap: {d} has no basemap.gpkg/relief.tif; rebuild it with "
                                f"`python scripts/data_basemap.py`.")
    return d


@lru_cache(maxsize=8)
def _read(layer: str) -> Any:
    import pyogrio

    return pyogrio.read_dataframe(basemap_dir() / "basemap.gpkg", layer=layer)


def load_basemap(layer: str) -> Any:
    """One vector layer of the bundled basemap (EPSG:4326).

    Parameters
    ----------
    layer : str
        One of :data:`BASEMAP_LAYERS`.

    Returns
    -------
    GeoDataFrame
    """
    if layer not in BASEMAP_LAYERS:
        raise SchemaError(f"layer: expected one of {list(BASEMAP_LAYERS)}, got {layer!r}.")
    return _read(layer).copy()


def _relief(crs: Any, bounds: Sequence[float], width_px: int) -> np.ndarray:
    """Relief warped onto ``bounds`` (xmin, ymin, xmax, ymax in ``crs``): (h, w, 3) uint8."""
    from rasterio.transform import from_bounds
    from rasterio.warp import Resampling, reproject

    xmin, ymin, xmax, ymax = bounds
    w = int(width_px)
    h = max(1, int(round(w * (ymax - ymin) / (xmax - xmin))))
    dst = np.full((3, h, w), 255, dtype=np.uint8)
    arr, transform, src_crs = _relief_source()
    reproject(arr, dst, src_transform=transform, src_crs=src_crs,
              dst_transform=from_bounds(xmin, ymin, xmax, ymax, w, h), dst_crs=crs,
              resampling=Resampling.bilinear, dst_nodata=255)
    return dst.transpose(1, 2, 0)


@lru_cache(maxsize=1)
def _relief_source() -> tuple[np.ndarray, Any, Any]:
    """Return the relief pixels (decoded once per process), transform and CRS."""
    import rasterio

    with rasterio.open(basemap_dir() / "relief.tif") as src:
        arr = src.read()
        arr.setflags(write=False)
        return arr, src.transform, src.crs


def draw_basemap(
    ax: Any,
    *,
    crs: Any,
    bounds: Sequence[float],
    relief: bool = True,
    names: bool = True,
    max_towns: int = 25,
    width_px: int = 1000,
    fade: float = 0.35,
) -> list[Any]:
    """Draw the offline basemap on a matplotlib Axes.

    Parameters
    ----------
    ax : matplotlib Axes
    crs : CRS-like
        CRS of the Axes coordinates (e.g. :data:`camigeo.crs.CENTRAL_ASIA_EQUAL_AREA`).
    bounds : (xmin, ymin, xmax, ymax)
        View in ``crs`` units; the relief is warped onto it.
    relief : bool, default True
        Draw the shaded relief image.
    names : bool, default True
        Country names (grey capitals) and towns (dots; capitals bold) inside the view.
    max_towns : int, default 25
        Most towns labelled (Natural Earth rank order, skipping crowded ones).
    width_px : int, default 1000
        Width of the warped relief image in pixels.
    fade : float, default 0.35
        White veil over the relief (0 = none) so the data colours stay readable.

    Returns
    -------
    list of matplotlib Text
        The name labels drawn (for layout checks).
    """
    import geopandas as gpd
    from shapely.geometry import box

    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    view = box(xmin, ymin, xmax, ymax)
    if relief:
        img = _relief(crs, (xmin, ymin, xmax, ymax), width_px)
        if fade > 0:
            img = (img.astype(float) * (1 - fade) + 255.0 * fade).astype(np.uint8)
        # 5-bit colour steps: hardly visible on a faded relief, the PDF gets ~2x smaller
        img = (img & 0xF8) | 0x04
        # "none": embedded as is in PDF (no resampling at every draw)
        ax.imshow(img, extent=(xmin, xmax, ymin, ymax), origin="upper", zorder=0,
                  interpolation="none")
    else:
        ax.set_facecolor("#f4f2ec")

    def layer(name: str) -> Any:
        g = load_basemap(name).to_crs(crs)
        g = g[g.intersects(view)]
        return g.clip(view) if len(g) else g

    gla = layer("glaciers")
    if len(gla):
        gla.plot(ax=ax, color=_GLACIER, edgecolor="#c7d6e2", linewidth=0.2, zorder=0.3)
    aral = layer("aral_historic")
    if len(aral):
        aral.plot(ax=ax, facecolor="none", edgecolor=_WATER, linewidth=0.6, linestyle="--",
                  zorder=0.4)
    lakes = layer("lakes")
    if len(lakes):
        lakes.plot(ax=ax, color=_WATER_FILL, edgecolor=_WATER, linewidth=0.3, zorder=0.4)
    riv = layer("rivers")
    if len(riv):
        lw = np.clip(1.1 - 0.1 * riv["scalerank"].to_numpy(dtype=float), 0.3, 1.0)
        gpd.GeoSeries(riv.geometry.values, crs=riv.crs).plot(ax=ax, color=_WATER,
                                                            linewidth=lw, zorder=0.45)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    texts: list[Any] = []
    if not names:
        return texts
    span = max(xmax - xmin, ymax - ymin)
    lab = load_basemap("countries_labels").to_crs(crs)
    lab = lab[lab.within(view.buffer(-0.03 * span))]
    for rec in lab.itertuples():
        texts.append(ax.text(rec.geometry.x, rec.geometry.y, str(rec.name).upper(),
                             fontsize=7.5 if rec.labelrank <= 3 else 6.5, color="#6b6b6b",
                             ha="center", va="center", zorder=0.6, fontweight="bold",
                             alpha=0.8, clip_on=True))
    towns = load_basemap("towns").to_crs(crs)
    towns = towns[towns.within(view.buffer(-0.02 * span))]
    placed: list[tuple[float, float]] = [(t.get_position()[0], t.get_position()[1])
                                         for t in texts]
    n = 0
    for rec in towns.itertuples():
        x, y = rec.geometry.x, rec.geometry.y
        if any(abs(x - px) < 0.09 * span and abs(y - py) < 0.03 * span for px, py in placed):
            continue
        ax.plot([x], [y], marker="s" if rec.capital else "o", markersize=2.6,
                color="#333333", zorder=0.7)
        texts.append(ax.text(x, y, f" {rec.name}", fontsize=6, color="#333333",
                             fontweight="bold" if rec.capital else "normal", ha="left",
                             va="center", zorder=0.7, clip_on=True))
        placed.append((x, y))
        n += 1
        if n >= max_towns:
            break
    return texts


@lru_cache(maxsize=2)
def _overlay_image(width_px: int = 1600) -> tuple[str, list[list[float]]]:
    """Basemap rendered in Web Mercator as a JPEG data URL, with its lat/lon bounds."""
    import json

    import matplotlib
    from matplotlib.figure import Figure
    from pyproj import Transformer

    man = json.loads((basemap_dir() / "MANIFEST.json").read_text(encoding="utf-8"))
    w, s, e, n = (float(v) for v in man["files"]["relief.tif"]["bounds"])
    tr = Transformer.from_crs(4326, 3857, always_xy=True)
    x0, y0 = tr.transform(w, s)
    x1, y1 = tr.transform(e, n)
    h_px = int(round(width_px * (y1 - y0) / (x1 - x0)))
    fig = Figure(figsize=(width_px / 100, h_px / 100), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    with matplotlib.rc_context({"savefig.pad_inches": 0}):
        draw_basemap(ax, crs=3857, bounds=(x0, y0, x1, y1), names=False, fade=0.2,
                     width_px=width_px)
        ax.set_aspect("auto")
        buf = io.BytesIO()
        fig.savefig(buf, format="jpeg", dpi=100, pil_kwargs={"quality": 80})
    url = "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()
    return url, [[s, w], [n, e]]


def add_basemap(m: Any, *, names: bool = True, max_towns: int = 30) -> None:
    """Add the offline Natural Earth basemap to a folium map.

    The relief with rivers, lakes, the historic Aral shoreline and glaciers is one image
    in its own pane below the data (toggle "Relief and water (Natural Earth, offline)");
    country and town names are a second layer ("Place names") above the data.

    Parameters
    ----------
    m : folium.Map
    names : bool, default True
        Add the place-name layer.
    max_towns : int, default 30
        Most towns named (capitals first, then by Natural Earth rank).
    """
    import folium
    from folium.map import CustomPane

    CustomPane("camigeo-basemap", z_index=250, pointer_events=False).add_to(m)
    url, bnds = _overlay_image()
    fg = folium.FeatureGroup(name="Relief and water (Natural Earth, offline)", show=True)
    folium.raster_layers.ImageOverlay(url, bounds=bnds, opacity=1.0, interactive=False,
                                      pane="camigeo-basemap",
                                      attr=html.escape(ATTRIBUTION)).add_to(fg)
    fg.add_to(m)
    if not names:
        return
    CustomPane("camigeo-labels", z_index=640, pointer_events=False).add_to(m)
    lab = folium.FeatureGroup(name="Place names (Natural Earth)", show=True)
    for rec in load_basemap("countries_labels").itertuples():
        icon = folium.DivIcon(html=(
            "<div style='display:inline-block;font:bold 11px sans-serif;color:#555;"
            "letter-spacing:1px;white-space:nowrap;transform:translate(-50%,-50%);"
            "text-shadow:0 0 3px #fff'>"
            f"{html.escape(str(rec.name).upper())}</div>"), icon_size=(0, 0))
        folium.Marker([rec.geometry.y, rec.geometry.x], icon=icon, interactive=False,
                      pane="camigeo-labels").add_to(lab)
    towns = load_basemap("towns")
    towns = towns.sort_values(["capital", "scalerank", "pop_max"],
                              ascending=[False, True, False]).head(max_towns)
    for rec in towns.itertuples():
        icon = folium.DivIcon(html=(
            "<div style='display:inline-block;font:11px sans-serif;color:#222;"
            "white-space:nowrap;transform:translate(-3px,-50%);text-shadow:0 0 3px #fff'>"
            f"<span style='display:inline-block;width:5px;height:5px;background:#222;"
            f"margin-right:3px;vertical-align:middle'></span>"
            f"{'<b>' if rec.capital else ''}{html.escape(str(rec.name))}"
            f"{'</b>' if rec.capital else ''}</div>"), icon_size=(0, 0))
        folium.Marker([rec.geometry.y, rec.geometry.x], icon=icon, interactive=False,
                      pane="camigeo-labels").add_to(lab)
    lab.add_to(m)
