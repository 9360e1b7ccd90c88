"""Recipes: the camigeo analysis that answers each family of Work Programme activities.

Every recipe takes the registry row (``act``: see :func:`camigeo.activities.get_activity`),
the layers (:class:`~camigeo.activities._common.Layers`) and optional GPS ``tracks``, and
returns an :class:`~camigeo.activities.result.ActivityResult`. Rasters are coarse (a few
hundred cells a side at most) so each activity runs in seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import CamigeoError
from ._common import (
    WGS84,
    ActivityDataError,
    Layers,
    count_by_type,
    crossings,
    fence_km_text,
    fence_status,
    gap_km,
    geodesic_km,
    lonlat,
    metric_crs,
    place_points,
    ranges_for,
    read_tracks,
    select_lines,
    select_ptcr,
    template_for,
)
from .result import ActivityResult

__all__ = ["RECIPES", "RIPARIAN_DEFAULTS", "corridor_width", "riparian_resistance"]

#: [A] Riparian resistance: tugay belt / floodplain / beyond / open water; belt widths (m);
#: corridor slack (fraction of the least cost).
RIPARIAN_DEFAULTS: dict[str, float] = {
    "belt_m": 5000.0, "floodplain_m": 15000.0, "r_belt": 1.0, "r_floodplain": 10.0,
    "r_other": 100.0, "r_water": 50.0, "slack": 0.10, "max_cells": 160_000,
}


# ----------------------------------------------------------------------------- riparian
def riparian_resistance(template: dict[str, Any], rivers: gpd.GeoSeries,
                        lakes: gpd.GeoSeries | None = None, **kw: float) -> Any:
    """Resistance raster favouring a river and its tugay belt.

    Cells within ``belt_m`` of a river line cost ``r_belt``, within ``floodplain_m``
    ``r_floodplain``, elsewhere ``r_other``; open water (``lakes``) ``r_water`` (defaults
    :data:`RIPARIAN_DEFAULTS`). ``rivers``/``lakes`` must be in the template CRS.

    Returns
    -------
    camigeo.Raster
    """
    from affine import Affine
    from rasterio.features import rasterize

    from camigeo import Raster

    p = {**RIPARIAN_DEFAULTS, **kw}
    x0, y0, x1, y1 = template["bounds"]
    cs = float(template["cellsize_m"])
    w, h = round((x1 - x0) / cs), round((y1 - y0) / cs)
    tr = Affine(cs, 0, x0, 0, -cs, y1)
    arr = np.full((h, w), p["r_other"], dtype=np.float64)
    riv = rivers.union_all()
    shapes = [(riv.buffer(p["floodplain_m"]), p["r_floodplain"]),
              (riv.buffer(p["belt_m"]), p["r_belt"])]
    if lakes is not None and len(lakes):
        shapes.append((lakes.union_all(), p["r_water"]))
    for geom, val in shapes:
        if geom.is_empty:
            continue
        mask = rasterize([(geom, 1)], out_shape=(h, w), transform=tr, fill=0,
                         dtype="uint8").astype(bool)
        arr[mask] = val
    return Raster(arr, tr, template["crs"], None)


def corridor_width(path: Any, corridor: Any, *, step_m: float,
                   exclude_m: float) -> tuple[float, Any]:
    """Narrowest width (m) of ``corridor`` along ``path`` and where it is.

    At points every ``step_m`` along the path (leaving out ``exclude_m`` at each end,
    where the corridor narrows to its end points by construction), the local width is
    twice the distance from the point to the corridor's boundary.

    Returns
    -------
    (float, shapely.Point)
        Width in map units (metres) and the point; (nan, None) when the path is shorter
        than twice ``exclude_m``.
    """
    L = path.length
    d = np.arange(exclude_m, L - exclude_m + 1e-9, step_m)
    if not len(d):
        return math.nan, None
    pts = shapely.line_interpolate_point(path, d)
    inside = shapely.contains(corridor, pts) | shapely.touches(corridor, pts)
    widths = np.where(inside, 2 * shapely.distance(pts, corridor.boundary), 0.0)
    i = int(np.argmin(widths))
    return float(widths[i]), pts[i]


def riparian_corridor(act: dict[str, Any], layers: Layers, *, tracks: Any = None) -> ActivityResult:
    """Find riparian corridor options between named places along a river.

    BD 2.1, 3.1, 4.2, 6.4, 7.4: resistance favouring the river's tugay belt, least-cost
    path, corridor of near-least cost, its mean and narrowest width, and the lines the
    path crosses.
    """
    import camigeo

    from .registry import load_places

    prm = act["params"]
    river_names = [prm["river"]] if isinstance(prm["river"], str) else list(prm["river"])
    norm = [" ".join(r.split()) for r in river_names]
    rivers = layers["rivers"]
    riv = rivers[rivers["name"].astype(str).map(lambda v: " ".join(v.split())).isin(norm)]
    if not len(riv):
        raise ActivityDataError(
            f"{act['activity_id']}: river(s) {norm} not in the rivers layer; pass "
            f"layers={{'rivers': <LineString file with a 'name' column>}}.")
    places = load_places()
    p = {**RIPARIAN_DEFAULTS, **{k: prm[k] for k in RIPARIAN_DEFAULTS if k in prm}}
    paths: list[dict[str, Any]] = []
    corridors: list[dict[str, Any]] = []
    narrow: list[dict[str, Any]] = []
    res_r: dict[str, Any] = {}
    infra = layers["infrastructure"]
    figs: dict[str, Any] = {}
    for a, b in prm["pairs"]:
        pts = place_points([a, b], places)
        crs = metric_crs(pts.geometry)
        pm = pts.to_crs(crs)
        span = pm.geometry.iloc[0].distance(pm.geometry.iloc[1])
        tpl = template_for(pm.geometry, cell_m=1000.0, pad_m=max(30_000.0, 0.2 * span),
                           crs=crs, max_cells=int(p["max_cells"]))
        box = shapely.box(*tpl["bounds"])
        rv = gpd.GeoSeries(riv.to_crs(crs).clip(box).geometry, crs=crs)
        lk = layers["lakes"].to_crs(crs).clip(box).geometry
        res = riparian_resistance(tpl, rv, lk, **{k: v for k, v in p.items()
                                                  if k not in ("slack", "max_cells")})
        lcp = camigeo.least_cost_path(res, pm.iloc[[0]], pm.iloc[[1]])
        path = lcp.geometry.iloc[0]
        ca = camigeo.cost_distance(res, pm.iloc[[0]])
        cb = camigeo.cost_distance(res, pm.iloc[[1]])
        tot = ca.array + cb.array
        best = float(np.nanmin(tot))
        mask = tot <= best * (1 + p["slack"])
        from rasterio.features import shapes as _shapes

        polys = [shapely.geometry.shape(g) for g, v in
                 _shapes(mask.astype("uint8"), mask=mask, transform=res.transform) if v == 1]
        corr = shapely.union_all(polys)
        cs = tpl["cellsize_m"]
        width_m, where = corridor_width(path, corr, step_m=cs,
                                        exclude_m=max(2 * p["floodplain_m"], 0.05 * path.length))
        belt = rv.union_all().buffer(p["belt_m"])
        length_km = float(geodesic_km([path], crs)[0])
        share = 100.0 * path.intersection(belt).length / path.length if path.length else 0.0
        area_km2 = corr.area / 1e6
        def ll(g: Any, crs: Any = crs) -> Any:  # each pair has its own local CRS
            return gpd.GeoSeries([g], crs=crs).to_crs(WGS84).iloc[0]

        paths.append({"pair": f"{a} – {b}", "from_place": a, "to_place": b,
                      "length_km": length_km, "cost": best, "tugay_share_pct": share,
                      "geometry": ll(path)})
        corridors.append({"pair": f"{a} – {b}", "area_km2": area_km2,
                          "mean_width_km": area_km2 / (path.length / 1000.0),
                          "slack_pct": 100 * p["slack"], "geometry": ll(corr)})
        if where is not None:
            narrow.append({"pair": f"{a} – {b}", "width_km": width_m / 1000.0,
                           "geometry": ll(where)})
        res_r[f"resistance_{len(res_r)}"] = res
    path_gdf = gpd.GeoDataFrame(paths, geometry="geometry", crs=WGS84)
    corr_gdf = gpd.GeoDataFrame(corridors, geometry="geometry", crs=WGS84)
    nar_gdf = gpd.GeoDataFrame(narrow, geometry="geometry", crs=WGS84) if narrow else None
    cross = crossings(path_gdf, infra)
    r0, c0 = paths[0], corridors[0]
    figs = {"length_km": round(r0["length_km"], 1),
            "tugay_share_pct": round(r0["tugay_share_pct"], 1),
            "mean_width_km": round(c0["mean_width_km"], 1),
            "narrowest_km": round(narrow[0]["width_km"], 1) if narrow else None,
            "corridor_area_km2": round(c0["area_km2"], 0),
            "lines_crossed": int(cross["infra_id"].nunique()) if len(cross) else 0}
    river_label = " / ".join(norm)
    cross_txt = count_by_type(cross)
    nar_txt = (f"narrowest point {figs['narrowest_km']:.1f} km wide at "
               f"{lonlat(narrow[0]['geometry'], WGS84)}" if narrow else "no narrowest point "
               "(path too short)")
    finding = (
        f"{act['activity_id']}: the least-cost corridor option along the {river_label} from "
        f"{r0['from_place']} to {r0['to_place']} is {figs['length_km']:.0f} km long "
        f"(geodesic), {figs['tugay_share_pct']:.0f} % of it inside the "
        f"{p['belt_m'] / 1000:.0f} km tugay belt. The corridor of routes within "
        f"{100 * p['slack']:.0f} % of the least cost covers {figs['corridor_area_km2']:,.0f} km² "
        f"(mean width {figs['mean_width_km']:.1f} km); {nar_txt}. The path crosses "
        f"{cross_txt}.")
    headline = (f"{act['activity_id']}: corridor of {figs['length_km']:.0f} km along the "
                f"{river_label}; crosses {cross_txt}; narrowest point "
                f"{figs['narrowest_km'] if narrow else 'n/a'} km")
    acc = ", ".join(f"{n}: {k:g} km"
                    for n, k in zip(pts["place"], pts["accuracy_km"], strict=True))
    assumptions = [act["assumptions"], f"Cell size {tpl['cellsize_m'] / 1000:.1f} km "
                   f"(local Lambert equal-area CRS); place accuracy "
                   f"{acc}.",
                   "Infrastructure does not change the resistance here; its crossings are "
                   "reported."]
    return ActivityResult(
        act["activity_id"], act["recipe"], finding, headline, figs,
        {"path": path_gdf, "corridor": corr_gdf, "narrowest": nar_gdf, "crossings": cross,
         "places": place_points(sorted({x for pr in prm["pairs"] for x in pr}), places)},
        res_r, assumptions, dict(prm))


# ------------------------------------------------------------------------- core corridors
def _span(figs: dict[str, Any]) -> str:
    a, b = figs["shortest_link_km"], figs["longest_link_km"]
    return f"{a:,.0f} km" if round(a) == round(b) else f"{a:,.0f}–{b:,.0f} km"


def _cores(act: dict[str, Any], layers: Layers, species_ranges: gpd.GeoDataFrame,
           ) -> tuple[gpd.GeoDataFrame, str]:
    from .registry import load_places

    prm = act["params"]
    kind = prm["cores"]
    hab = species_ranges.union_all() if len(species_ranges) else None
    if kind == "places":
        pts = place_points(act["places"], load_places())
        crs = metric_crs(pts.geometry)
        geoms = pts.to_crs(crs).buffer(prm.get("core_radius_km", 25.0) * 1000.0)
        cores = gpd.GeoDataFrame({"name": pts["place"]}, geometry=geoms.values, crs=crs)
        return cores, f"{len(cores)} protected areas ({prm.get('core_radius_km', 25.0):g} km discs)"
    ptcrs = layers["ptcrs"]
    if kind == "ptcr_countries":
        reg = select_ptcr(ptcrs, act["ptcr"])
        ctry = layers["countries"]
        need = _ptcr_countries(reg)
        rows = []
        for iso in need:
            c = ctry[ctry["iso3"] == iso]
            if not len(c):
                continue
            g = shapely.intersection(reg.union_all(), c.union_all())
            if hab is not None:
                g = shapely.intersection(g, hab)
            if not g.is_empty:
                rows.append({"name": f"{act['ptcr']} ({iso})", "geometry": g})
        desc = f"the national parts of {act['ptcr']}"
    else:
        if kind == "ptcr_parts":
            ctry = layers["countries"]
            cpoly = ctry[ctry["iso3"].isin(prm["countries"])].union_all()
            sel = ptcrs[ptcrs.intersects(cpoly)]
            desc = f"the PTCRs reaching into {', '.join(prm['countries'])}"
        else:
            sel = ptcrs if hab is None else ptcrs[ptcrs.intersects(hab)]
            desc = "the PTCRs where the species occur"
        rows = []
        for _, r in sel.iterrows():
            g = r.geometry if hab is None else shapely.intersection(r.geometry, hab)
            if not g.is_empty:
                rows.append({"name": str(r["name"]), "geometry": g})
    if len(rows) < 2:
        raise ActivityDataError(
            f"{act['activity_id']}: fewer than 2 cores ({len(rows)}) from {desc} ∩ the ranges "
            f"of {', '.join(act['params'].get('species', []))}; the activity needs two or more "
            f"areas: pass layers={{'ptcrs': ..., 'ranges': ...}} that overlap.")
    cores = gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)
    crs = metric_crs(cores.geometry)
    return cores.to_crs(crs), desc


def _ptcr_countries(reg: gpd.GeoDataFrame) -> list[str]:
    from ._common import countries_of

    return sorted(countries_of(reg["countries"].iloc[0])) if "countries" in reg.columns else []


def core_corridors(act: dict[str, Any], layers: Layers, *, tracks: Any = None) -> ActivityResult:
    """Map least-cost corridors between cores and the network's ECA.

    Least-cost corridors between cores (protected areas, PTCRs or their national parts)
    with the corridor network's ECA (WP 3.5, 5.6, 15.2, 22.13).
    """
    import camigeo

    prm = act["params"]
    rng = ranges_for(layers["ranges"], prm.get("species", []))
    cores, desc = _cores(act, layers, rng)
    crs = cores.crs
    cores = cores.assign(core_id=np.arange(1, len(cores) + 1),
                         area_km2=cores.area.to_numpy() / 1e6)
    tpl = template_for(cores.geometry, cell_m=prm.get("cell_km", 10.0) * 1000.0,
                       pad_m=100_000.0, crs=crs, max_cells=60_000)
    box = shapely.box(*tpl["bounds"])
    infra = layers["infrastructure"].to_crs(crs)
    infra = infra[infra.intersects(box)].reset_index(drop=True)
    res = camigeo.build_resistance(tpl, ranges=rng.to_crs(crs) if len(rng) else None,
                                   infrastructure=infra if len(infra) else None)
    links = camigeo.corridor_links(cores, res, id_col="core_id")
    if not len(links):
        raise CamigeoError(f"{act['activity_id']}: no least-cost link between the "
                           f"{len(cores)} cores (all blocked).")
    G = camigeo.corridor_graph(cores, links, id_col="core_id", area_col="area_km2")
    d0 = 50_000.0 * float(np.nanmedian(res.array[res.array > 0]))
    ci = camigeo.connectivity_indices(G, d0=d0)
    s = ci.summary.iloc[0]
    links = links.to_crs(WGS84)
    links["length_km"] = geodesic_km(links.geometry)
    names = dict(zip(cores["core_id"], cores["name"], strict=True))
    links["from_name"] = links["core_a"].map(names)
    links["to_name"] = links["core_b"].map(names)
    cross = crossings(links, layers["infrastructure"])
    figs: dict[str, Any] = {"n_cores": len(cores), "n_links": len(links),
            "shortest_link_km": round(float(links["length_km"].min()), 1),
            "longest_link_km": round(float(links["length_km"].max()), 1),
            "touching_pairs": int((links["length_km"] < 0.5).sum()),
            "ECA_km2": round(float(s["ECA"]), 0), "ECA_pct": round(float(s["ECA_pct"]), 1),
            "lines_crossed": int(cross["infra_id"].nunique()) if len(cross) else 0}
    # the longest link in words: its length (km, geodesic along the path), the straight gap
    # between its cores (km) and its cost (cost units, in multiples of d0)
    lng = links.loc[links["length_km"].idxmax()]
    ca = cores.set_index("core_id").geometry
    gap = gap_km(ca.loc[lng["core_a"]], ca.loc[lng["core_b"]], crs)
    far = int((links["cw_dist"] > 10 * d0).sum())
    figs.update({"longest_link": f"{lng['from_name']} – {lng['to_name']}",
                 "longest_link_gap_km": round(gap, 1),
                 "longest_link_cost_units": round(float(lng["cw_dist"]), 0),
                 "links_over_10_d0": far})
    long_txt = (f" The longest, {lng['from_name']} – {lng['to_name']}, runs "
                f"{lng['length_km']:,.0f} km between "
                + ("cores that touch" if gap < 0.05 else f"cores {gap:,.0f} km apart (straight "
                   "line)") + f"; its cost is {lng['cw_dist']:,.0f} cost units = "
                f"{lng['cw_dist'] / d0:,.1f} × d0."
                + (f" {far} of the {len(links)} links cost{'s' if far == 1 else ''} more than "
                   f"10 × d0 "
                   f"(p < 0.001) and add{'s' if far == 1 else ''} practically nothing to ECA."
                   if far else ""))
    sp = ", ".join(prm.get("species", [])) or "all species"
    finding = (
        f"{act['activity_id']}: {figs['n_links']} least-cost corridor(s) link the "
        f"{figs['n_cores']} cores ({desc}; {sp}); they are {_span(figs)} long (geodesic"
        + (f"; {figs['touching_pairs']} pair(s) of cores touch, 0 km"
           if figs["touching_pairs"] else "")
        + f") and cross {count_by_type(cross)}.{long_txt} "
        f"The network's equivalent connected area is ECA = {figs['ECA_km2']:,.0f} km² "
        f"({figs['ECA_pct']:.1f} % of the {cores['area_km2'].sum():,.0f} km² of cores; "
        f"dispersal kernel p = 0.5 at d0 = 50 km × the median resistance).")
    headline = (f"{act['activity_id']}: {figs['n_links']} "
                f"corridor{'s' if figs['n_links'] != 1 else ''} between {figs['n_cores']} "
                f"cores, {_span(figs)} long; "
                f"ECA {figs['ECA_pct']:.1f} % of core area; crosses {count_by_type(cross)}")
    assumptions = [act["assumptions"],
                   f"Resistance: build_resistance defaults (1 inside the ranges, 10 outside, "
                   f"per-type line resistance); cell {tpl['cellsize_m'] / 1000:.1f} km.",
                   f"d0 = 50 km at the median resistance ({d0:,.0f} cost units)."]
    keep = [c for c in ("core_a", "core_b", "from_name", "to_name", "cw_dist", "length_km",
                        "geometry") if c in links.columns]
    return ActivityResult(act["activity_id"], act["recipe"], finding, headline, figs,
                          {"cores": cores.to_crs(WGS84), "links": links[keep],
                           "crossings": cross}, {"resistance": res}, assumptions, dict(prm))


# ------------------------------------------------------------------------ fence crossings
def fence_crossings(act: dict[str, Any], layers: Layers, *, tracks: Any = None) -> ActivityResult:
    """Rank crossing sites in a named fence.

    Crossing sites in a named fence: passages ranked by ΔECA between the two sides
    (Barrier Mapper style), and BaBA crossing hotspots when tracks are given (WP 14.6,
    15.3, 16.9).
    """
    import camigeo

    from .registry import load_places

    prm = act["params"]
    spec = prm["line"]
    fence = select_lines(layers["infrastructure"], spec, activity=act["activity_id"])
    near_txt = ""
    if prm.get("near"):
        pt = place_points([prm["near"]], load_places())
        crs = metric_crs(pt.geometry)
        zone = pt.to_crs(crs).buffer(prm.get("near_km", 60.0) * 1000.0).union_all()
        fence = fence.to_crs(crs).clip(zone)
        fence = fence[~fence.is_empty].reset_index(drop=True)
        if not len(fence):
            raise ActivityDataError(f"{act['activity_id']}: the line {spec} does not come "
                                    f"within {prm.get('near_km', 60.0):g} km of {prm['near']}.")
        near_txt = f" within {prm.get('near_km', 60.0):g} km of {prm['near']}"
    else:
        crs = metric_crs(fence.to_crs(WGS84).geometry)
        fence = fence.to_crs(crs)
    fence = fence.explode(index_parts=False).reset_index(drop=True)
    fence["infra_id"] = [f"{i}_{k}" for k, i in enumerate(fence["infra_id"])]
    win = fence.buffer(prm.get("window_km", 60.0) * 1000.0).union_all()
    ctry = layers["countries"].to_crs(crs)
    rng = ranges_for(layers["ranges"], prm.get("species", [])).to_crs(crs)
    hab = rng.union_all() if len(rng) else None
    others = layers["infrastructure"].to_crs(crs)
    others = others[others.intersects(win)]
    gap = shapely.union(fence.buffer(2000.0).union_all(), others.buffer(2000.0).union_all())
    rows: list[dict[str, Any]] = []
    for iso in spec["countries"]:
        side = shapely.intersection(ctry[ctry["iso3"] == iso].union_all(), win)
        hs = shapely.intersection(side, hab) if hab is not None else side
        g = shapely.difference(hs if hs.area > 0.1 * side.area else side, gap)
        parts = [q for q in shapely.get_parts(g) if q.area >= 200e6] or \
            ([max(shapely.get_parts(g), key=lambda q: q.area)] if not g.is_empty else [])
        for q in parts:
            rows.append({"core_id": len(rows) + 1, "name": iso, "geometry": q})
    if len({r["name"] for r in rows}) < 2:
        raise ActivityDataError(f"{act['activity_id']}: the countries layer has no land on "
                                f"both sides ({spec['countries']}) of the line.")
    cores = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
    tpl = template_for(cores.geometry, cell_m=prm.get("cell_km", 5.0) * 1000.0, pad_m=20_000.0,
                       crs=crs, max_cells=40_000)
    box = shapely.box(*tpl["bounds"])
    infra = layers["infrastructure"].to_crs(crs)
    infra = infra[infra.intersects(box)].reset_index(drop=True)
    res = camigeo.build_resistance(tpl, ranges=rng if len(rng) else None, infrastructure=infra)
    d0 = 50_000.0
    spacing = float(prm.get("spacing_km", 10.0))
    ranked = camigeo.rank_passages(None, barriers=fence, resistance=res, cores=cores,
                                   spacing_km=spacing, d0=d0, min_spacing_km=3 * spacing)
    fence_km = float(geodesic_km(fence.geometry, crs).sum())
    status_km = pd.Series(geodesic_km(fence.geometry, crs)).groupby(
        fence_status(fence).to_numpy()).sum().to_dict()
    kinds = [k for k, v in status_km.items() if round(v) > 0] or list(status_km)
    fence_kind = kinds[0] if len(kinds) == 1 else f"fence ({fence_km_text(status_km)})"
    names = ", ".join(dict.fromkeys(map(str, fence["name"])))
    top = ranked[ranked["rank"].notna()].sort_values("rank").head(int(prm.get("select", 3)))
    gains = np.asarray(top["delta_eca"] if "delta_eca" in top.columns
                       else np.full(len(top), np.nan), dtype=float)
    cents = top.geometry.centroid.to_crs(WGS84)
    ranked = ranked.to_crs(WGS84)
    sites = "; ".join(f"{g.y:.2f} °N {g.x:.2f} °E (ΔECA +{v:,.0f} km²)"
                      for g, v in zip(cents, gains, strict=True))
    figs: dict[str, Any] = {"fence_km": round(fence_km, 1),
                            "documented_fence_km": round(
                                float(status_km.get("documented fence", 0.0)), 1),
                            "candidates": len(ranked),
                            "selected": len(top),
                            "best_dECA_km2": round(float(gains[0]), 1) if len(gains) else None}
    out_layers: dict[str, Any] = {"fence": fence.to_crs(WGS84), "passages": ranked,
                                  "cores": cores.to_crs(WGS84)}
    track_txt = " No tracks given: sites are modelled, not observed."
    if tracks is not None:
        fixes = read_tracks(tracks)
        tel = camigeo.run_telemetry(fixes, fence.to_crs(WGS84), d=prm.get("d_m", 1000.0))
        for k, v in tel.items():
            out_layers[f"tracks_{k}"] = v
        from camigeo.telemetry.tracks import prepare_tracks

        pts, idc, _ = prepare_tracks(fixes)
        n_animals = int(pts[idc].nunique())
        ev = tel["barrier_events"]
        etype = ev["eventTYPE"] if "eventTYPE" in ev.columns else pd.Series(dtype=object)
        n_cross = int((etype == "Quick_Cross").sum())
        hot = tel["passage_hotspots"]
        figs.update({"track_animals": n_animals, "track_encounters": len(ev),
                     "track_quick_crosses": n_cross, "track_hotspots": len(hot)})
        track_txt = (f" With {n_animals} tracked animals: {len(ev)} BaBA encounters with the "
                     f"fence ({n_cross} quick crosses); {len(hot)} recommended passage "
                     f"segment(s) where animals reach the fence without crossing.")
    finding = (
        f"{act['activity_id']}: along {fence_km:,.0f} km of {fence_kind} ({names})"
        f"{near_txt}, {len(ranked)} candidate openings every {prm.get('spacing_km', 10.0):g} km "
        f"were ranked by the gain in connectivity between the "
        f"{' and '.join(spec['countries'])} sides; the best {len(top)} site(s) at least "
        f"{3 * spacing:g} km apart: {sites}."
        + ("" if status_km.get("documented fence", 0.0) >= 0.5 * fence_km else
           " No source at hand documents a fence on most of this line (fence class unknown, "
           "kept as a possible barrier): the sites say where openings would matter if a "
           "fence stands there.")
        + f"{track_txt}")
    headline = (f"{act['activity_id']}: {len(top)} crossing sites on {fence_km:,.0f} km of "
                f"{fence_kind}" + (f"; best ΔECA +{figs['best_dECA_km2']:,.0f} km²"
                            if figs.get("best_dECA_km2") is not None else ""))
    assumptions = [act["assumptions"],
                   f"Sites ranked independently by ΔECA (rank_passages, d0 = 50 km cost units), "
                   f"neighbours closer than {3 * spacing:g} km suppressed.",
                   f"Cores = each country's side within {prm.get('window_km', 60.0):g} km of the "
                   f"fence ∩ the species ranges (the whole side when the ranges cover < 10 % "
                   f"of it), cut 2 km around every line, parts ≥ 200 km²; "
                   f"resistance: "
                   f"build_resistance defaults; cell {tpl['cellsize_m'] / 1000:.1f} km; d0 = 50 km "
                   f"cost units."]
    return ActivityResult(act["activity_id"], act["recipe"], finding, headline, figs,
                          out_layers, {"resistance": res}, assumptions, dict(prm))


RecipeFn = Callable[..., ActivityResult]
from .recipes_lines import inventory, line_screening, line_whatif, track_corridors  # noqa: E402

#: Recipe name -> function.
RECIPES: dict[str, RecipeFn] = {
    "riparian_corridor": riparian_corridor,
    "core_corridors": core_corridors,
    "fence_crossings": fence_crossings,
    "line_whatif": line_whatif,
    "line_screening": line_screening,
    "inventory": inventory,
    "track_corridors": track_corridors,
}
