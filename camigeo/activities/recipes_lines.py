"""Recipes on lines: inventories, screening of planned lines, what-ifs, track corridors."""

from __future__ import annotations

import math
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
    documented_fencing,
    fence_km_text,
    fence_status,
    gap_km,
    geodesic_km,
    metric_crs,
    ranges_for,
    read_tracks,
    select_lines,
    select_ptcr,
    template_for,
)
from .result import ActivityResult

__all__ = ["hard_fence_filter", "inventory", "line_screening", "line_whatif",
           "track_corridors", "TRACKS_NEEDED"]

#: What the track recipes need (used in their error message).
TRACKS_NEEDED = (
    "GPS tracks: a Movebank CSV export (columns individual-local-identifier, timestamp, "
    "location-long, location-lat; WGS84) or a point layer (GeoPackage/GeoJSON/Shapefile) with "
    "an animal id column (individual_id), a time column (timestamp, UTC) and Point geometry "
    "with a CRS")


def _conflict_score(ptcrs: gpd.GeoDataFrame, ranges: gpd.GeoDataFrame,
                    infra: gpd.GeoDataFrame) -> pd.DataFrame:
    import camigeo

    scores = camigeo.score_conflict(ptcrs, ranges, infra)
    return camigeo.summarize_conflict(scores)


# ----------------------------------------------------------------------------- inventory
def inventory(act: dict[str, Any], layers: Layers, *, tracks: Any = None) -> ActivityResult:
    """Inventory a PTCR's linear infrastructure with its impact table.

    The PTCR's linear infrastructure and impact table (WP 18.4, 19.2, 20.3; 5.7 for the
    border fences of every PTCR): km inside per line, fencing and its documentation,
    species ranges crossed, the PTCR's conflict score and effective mesh size with and
    without the lines of the inventory.
    """
    import camigeo

    prm = act["params"]
    ptcrs = layers["ptcrs"]
    name = prm.get("ptcr")
    reg = select_ptcr(ptcrs, name) if name else ptcrs
    infra = layers["infrastructure"]
    if prm.get("infra_type"):
        sel = infra[infra["infra_type"].isin(prm["infra_type"])]
    else:
        sel = infra
    sel = sel.assign(fencing_documented=documented_fencing(sel).to_numpy(),
                     fence_status=fence_status(sel).to_numpy())
    parts = gpd.overlay(sel, reg[["ptcr_id", "name", "geometry"]].rename(
        columns={"name": "ptcr_name"}), how="intersection", keep_geom_type=True)
    label = f"PTCR {name}" if name else f"the {len(reg)} PTCRs"
    if not len(parts):
        raise ActivityDataError(
            f"{act['activity_id']}: no line of the infrastructure layer"
            f"{' of type ' + str(prm['infra_type']) if prm.get('infra_type') else ''} lies in "
            f"{label}; pass layers={{'infrastructure': <LineString file with columns "
            f"infra_id, infra_type, name, status, fenced, fence_class, countries>}}.")
    parts["km_inside"] = geodesic_km(parts.geometry)
    rng = layers["ranges"]
    parts["species_crossed"] = [
        "; ".join(sorted(set(rng.loc[rng.intersects(g), "sci_name"]))) for g in parts.geometry]
    cols = ["ptcr_id", "ptcr_name", "infra_id", "name", "infra_type", "status", "fenced",
            "fence_class", "fencing_documented", "fence_status", "km_inside", "species_crossed",
            "geometry"]
    table = parts[[c for c in cols if c in parts.columns]].sort_values(
        ["ptcr_id", "km_inside"], ascending=[True, False]).reset_index(drop=True)
    by_type = table.groupby("infra_type")["km_inside"].sum().sort_values(ascending=False)
    fenced_km = float(table.loc[table["fenced"].fillna(False).astype(bool), "km_inside"].sum())
    doc_km = float(table.loc[table["fencing_documented"], "km_inside"].sum())
    by_fence = table.groupby("fence_status")["km_inside"].sum().to_dict()
    fence_txt = fence_km_text(by_fence)
    summary = _conflict_score(ptcrs, rng, infra)
    sc = summary[summary["ptcr_id"].isin(reg["ptcr_id"])]
    keep = reg[["ptcr_id", "name", "geometry"]]
    m_all = camigeo.effective_mesh_size(keep, infra)
    without = infra[~infra["infra_id"].isin(sel["infra_id"])]
    m_wo = camigeo.effective_mesh_size(keep, without) if len(without) else None
    impact = pd.DataFrame({"ptcr_id": keep["ptcr_id"].to_numpy(),
                           "ptcr_name": keep["name"].to_numpy(),
                           "m_eff_km2": m_all["m_eff_km2"].to_numpy()})
    impact["m_eff_without_km2"] = (m_wo["m_eff_km2"].to_numpy() if m_wo is not None
                                   else np.nan)
    impact = impact.merge(sc[[c for c in ("ptcr_id", "conflict_score", "rank") if c in sc]],
                          on="ptcr_id", how="left")
    total = float(table["km_inside"].sum())
    figs: dict[str, Any] = {"n_lines": int(table["infra_id"].nunique()),
                            "total_km": round(total, 1),
            "fenced_km": round(fenced_km, 1), "fencing_documented_km": round(doc_km, 1),
            "documented_fence_km": round(float(by_fence.get("documented fence", 0.0)), 1),
            "border_without_documented_fence_km": round(
                float(by_fence.get("border without documented fence", 0.0)), 1),
            "lines_without_documented_fence_km": round(
                float(by_fence.get("line without documented fence", 0.0)), 1),
            **{f"{t}_km": round(float(v), 1) for t, v in by_type.items()}}
    types = ", ".join(f"{v:,.0f} km {'border line' if t == 'border_fence' else t.replace('_', ' ')}"
                      for t, v in by_type.items())
    if name:
        r = impact.iloc[0]
        figs.update({"m_eff_km2": round(float(r["m_eff_km2"]), 0),
                     "m_eff_without_km2": round(float(r["m_eff_without_km2"]), 0)
                     if pd.notna(r["m_eff_without_km2"]) else None,
                     "conflict_score": round(float(r.get("conflict_score", np.nan)), 3)})
        extra = (f" The region's conflict score is {figs['conflict_score']:.3g}"
                 + (f" (rank {int(r['rank'])} of {len(summary)})" if "rank" in r and
                    pd.notna(r["rank"]) else "")
                 + f"; its effective mesh size is {figs['m_eff_km2']:,.0f} km²"
                 + (f" ({figs['m_eff_without_km2']:,.0f} km² without the inventoried lines)"
                    if figs["m_eff_without_km2"] is not None else "") + ".")
    else:
        gain = impact["m_eff_without_km2"] - impact["m_eff_km2"]
        figs["m_eff_gain_total_km2"] = round(float(gain.sum()), 0)
        extra = (f" Without them the effective mesh size would grow by "
                 f"{figs['m_eff_gain_total_km2']:,.0f} km² in total (largest gain: "
                 f"{impact.loc[gain.idxmax(), 'ptcr_name']}, +{gain.max():,.0f} km²).")
    verb = "holds" if name else "hold"
    finding = (f"{act['activity_id']}: {label} {verb} {figs['n_lines']} lines, "
               f"{total:,.0f} km in total ({types}). By fencing: {fence_txt}"
               + (" (borders whose fence no source documents are kept as possible barriers, "
                  "fence class unknown)" if by_fence.get("border without documented fence")
                  else "") + f".{extra}")
    headline = (f"{act['activity_id']}: {figs['n_lines']} lines, {total:,.0f} km in {label}: "
                f"{fence_txt}")
    assumptions = [act["assumptions"],
                   "Lengths are geodesic km of the bundled (schematic) lines clipped to the PTCR "
                   "outline; m_eff by the CUT method with the default barrier filter; the "
                   "conflict score is summarize_conflict over all PTCRs."]
    return ActivityResult(act["activity_id"], act["recipe"], finding, headline, figs,
                          {"lines": table, "impact": impact}, {}, assumptions, dict(prm))


# ------------------------------------------------------------------------ line screening
def line_screening(act: dict[str, Any], layers: Layers, *, tracks: Any = None) -> ActivityResult:
    """Screen planned lines with :func:`camigeo.screen_project` (WP 5.1, 21.5)."""
    import camigeo

    prm = act["params"]
    infra = layers["infrastructure"]
    spec = prm.get("line") or {"status": prm.get("status", ["planned"])}
    lines = select_lines(infra, spec, activity=act["activity_id"])
    ptcrs, rng = layers["ptcrs"], layers["ranges"]
    existing = infra[~infra["infra_id"].isin(lines["infra_id"])]
    rows, tabs = [], []
    for i in range(len(lines)):
        one = lines.iloc[[i]]
        res = camigeo.screen_project(one, buffer_m=prm.get("buffer_m", 5000.0), ptcrs=ptcrs,
                                     ranges=rng, infrastructure=existing,
                                     fenced=prm.get("fenced"), name=str(one["name"].iloc[0]))
        pt = res.ptcr_table.copy()
        pt.insert(0, "infra_id", one["infra_id"].iloc[0])
        pt.insert(1, "line_name", one["name"].iloc[0])
        tabs.append(pt)
        dcol = next((c for c in pt.columns if c.startswith("delta_conflict")), None)
        mcol = next((c for c in pt.columns if c.startswith("delta_m_eff") and "pct" not in c),
                    None)
        rows.append({"infra_id": one["infra_id"].iloc[0], "name": one["name"].iloc[0],
                     "status": one["status"].iloc[0],
                     "length_km": float(geodesic_km(one.geometry)[0]),
                     "km_in_ptcrs": float(pt["length_km"].sum()) if "length_km" in pt else 0.0,
                     "n_ptcrs": len(pt),
                     "max_delta_conflict": float(pt[dcol].max()) if dcol and len(pt) else 0.0,
                     "delta_m_eff_km2": float(pt[mcol].sum()) if mcol and len(pt) else 0.0,
                     "species": "; ".join(
                         f"{sn} ({k:.0f} km)" for sn, k in zip(
                             res.species_table["sci_name"], res.species_table["length_km"],
                             strict=True)),
                     "geometry": one.geometry.iloc[0]})
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=lines.crs).to_crs(WGS84)
    # a line outside every PTCR outline: say so, with its distance to the activity's PTCR
    # (or the nearest PTCR when the activity names none) instead of zero deltas
    own = select_ptcr(ptcrs, act["ptcr"]) if act.get("ptcr") else None
    near_name, near_km = [], []
    for g, inside in zip(out.geometry, out["km_in_ptcrs"], strict=True):
        if inside > 0:
            near_name.append("")
            near_km.append(0.0)
            continue
        crs = metric_crs([g])
        cand = (own if own is not None else ptcrs).to_crs(crs)
        gm = gpd.GeoSeries([g], crs=WGS84).to_crs(crs).iloc[0]
        j = int(np.argmin(cand.distance(gm).to_numpy()))
        near_name.append(str(cand["name"].iloc[j]))
        near_km.append(round(gap_km(gm, cand.geometry.iloc[j], crs), 1))
    out["nearest_ptcr"] = near_name
    out["nearest_ptcr_km"] = near_km
    ptab = pd.concat(tabs, ignore_index=True) if tabs else pd.DataFrame()
    worst = out.sort_values("max_delta_conflict", ascending=False).iloc[0]
    figs = {"n_lines": len(out), "length_km": round(float(out["length_km"].sum()), 1),
            "km_in_ptcrs": round(float(out["km_in_ptcrs"].sum()), 1),
            "lines_outside_ptcrs": int((out["km_in_ptcrs"] <= 0).sum()),
            "max_delta_conflict": round(float(worst["max_delta_conflict"]), 4),
            "delta_m_eff_km2": round(float(out["delta_m_eff_km2"].sum()), 0)}
    outside = out[out["km_in_ptcrs"] <= 0]
    rel = " (the activity's PTCR)" if own is not None else ""
    away = "; ".join(f"{r['name']}: {r['nearest_ptcr_km']:,.0f} km from {r['nearest_ptcr']}"
                     f"{rel}" for _, r in outside.iterrows())
    accs = (lines.loc[lines["infra_id"].isin(outside["infra_id"]), "accuracy_km"].dropna()
            if "accuracy_km" in lines.columns else pd.Series(dtype=float))
    acc = (f"; drawn routes accurate to ±{accs.max():g} km at worst" if len(accs) else "")
    fen = " as fenced" if prm.get("fenced") else ""
    species = ("; ".join(f"{n}: {sp}" for n, sp in zip(out["name"], out["species"],
                                                        strict=True) if sp) or "none")
    head = (f"{act['activity_id']}: {len(out)} planned line(s) screened{fen} "
            f"({figs['length_km']:,.0f} km, {figs['km_in_ptcrs']:,.0f} km inside PTCRs, "
            f"{prm.get('buffer_m', 5000.0) / 1000:g} km buffer).")
    if len(outside) == len(out):
        finding = (f"{head} {'It lies' if len(out) == 1 else 'They all lie'} outside every "
                   f"PTCR outline of the layer ({away}{acc}), so the screening changes no "
                   f"PTCR's conflict score or effective mesh size. Species ranges entered: "
                   f"{species}.")
        dist = ", ".join(f"{r['nearest_ptcr_km']:,.0f} km from {r['nearest_ptcr']}"
                         for _, r in outside.iterrows())
        headline = (f"{act['activity_id']}: {len(out)} planned line(s) "
                    f"({figs['length_km']:,.0f} km), none inside a PTCR: {dist}")
    else:
        finding = (f"{head} The largest rise of a region's conflict score is "
                   f"+{figs['max_delta_conflict']:.3g} ({worst['name']}); the effective mesh "
                   f"size of the regions entered changes by {figs['delta_m_eff_km2']:,.0f} km² "
                   f"in total." + (f" Outside every PTCR: {away}." if len(outside) else "")
                   + f" Species ranges entered: {species}.")
        headline = (f"{act['activity_id']}: {len(out)} planned line(s), "
                    f"{figs['km_in_ptcrs']:,.0f} km in PTCRs; Δ conflict up to "
                    f"+{figs['max_delta_conflict']:.3g}; Δ m_eff "
                    f"{figs['delta_m_eff_km2']:,.0f} km²")
    return ActivityResult(act["activity_id"], act["recipe"], finding, headline, figs,
                          {"lines": out, "ptcr_impact": ptab}, {},
                          [act["assumptions"], "screen_project defaults (weights, effect zones, "
                           "m_eff CUT); the other lines of the layer are the baseline."],
                          dict(prm))


# ------------------------------------------------------------------------------ what-if
def hard_fence_filter(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Barrier filter for m_eff: fenced lines whose fence is below the 'high' class."""
    fenced = gdf["fenced"].fillna(False).astype(bool).to_numpy()
    fc = gdf["fence_class"].astype(object).where(gdf["fence_class"].notna(), "unknown")
    return fenced & ~fc.isin(["high", "open"]).to_numpy()


def _split_by_settlements(line: gpd.GeoDataFrame, settlements: gpd.GeoDataFrame,
                          km: float, crs: Any) -> gpd.GeoDataFrame:
    """Pieces of ``line`` near (≤ km) and away from settlements, column ``near``."""
    lm = line.to_crs(crs)
    near = settlements.to_crs(crs).buffer(km * 1000.0).union_all()
    rows = []
    for _, r in lm.iterrows():
        for flag, geom in ((True, r.geometry.intersection(near)),
                           (False, r.geometry.difference(near))):
            if not geom.is_empty:
                d = r.to_dict()
                d.update(geometry=geom, near=flag,
                         infra_id=f"{r['infra_id']}_{'near' if flag else 'far'}")
                rows.append(d)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)


def _zero_note(figs: dict[str, Any], in_ranges: bool, n_changed: int, *, meff_why: str = "",
               eca_why: str = "") -> str:
    notes = []
    if figs["delta_conflict_ab"] == 0 and not in_ranges:
        notes.append("the conflict score does not move because the line lies outside the "
                     "species ranges of the layer (the score counts lines inside ranges)")
    if figs["delta_m_eff_ab_km2"] == 0:
        notes.append("m_eff does not move because the line does not cut a reporting unit in "
                     "two (CUT method: a line ending short of a unit's edge splits nothing"
                     + meff_why + ")")
    if math.isnan(figs["delta_ECA_ab_km2"]):
        notes.append("ECA is not computed: fewer than two habitat cores of the species lie "
                     "near the line")
    elif figs["delta_ECA_ab_km2"] == 0 and n_changed == 0:
        notes.append("ECA does not move because no least-cost link between the cores changes "
                     "its cost")
    elif figs["delta_ECA_ab_km2"] == 0:
        notes.append(f"ECA moves by less than 0.5 km²: the {n_changed} link(s) whose cost "
                     f"drops are long compared with the dispersal distance d0" + eca_why)
    return (" Zero changes: " + "; ".join(notes) + ".") if notes else ""


def line_whatif(act: dict[str, Any], layers: Layers, *, tracks: Any = None) -> ActivityResult:
    """Evaluate a what-if on a named fenced line.

    What-if on a named fenced line (WP 21.4): a) fence class → ``fence_class_after``
    (barbed → smooth wire), b) fence removed where no settlement is within
    ``settlement_km``; Δ conflict score, Δ m_eff and Δ ECA of a) and a)+b).
    """
    import camigeo

    prm = act["params"]
    infra = layers["infrastructure"]
    line = select_lines(infra, prm["line"], activity=act["activity_id"])
    crs = metric_crs(line.to_crs(WGS84).geometry)
    others = infra[~infra["infra_id"].isin(line["infra_id"])]
    split = _split_by_settlements(line, layers["settlements"], prm.get("settlement_km", 10.0),
                                  crs).to_crs(WGS84)
    after = prm.get("fence_class_after", "high")
    smooth = split.assign(fence_class=after, fenced=True)
    removal = split.copy()
    removal["fenced"] = removal["near"]
    removal["fence_class"] = np.where(removal["near"], after, None)
    scen = {"base": pd.concat([others, line], ignore_index=True),
            "a_smooth_wire": pd.concat([others, smooth.drop(columns="near")], ignore_index=True),
            "ab_smooth_and_removal": pd.concat([others, removal.drop(columns="near")],
                                               ignore_index=True)}
    scen = {k: gpd.GeoDataFrame(v, geometry="geometry", crs=WGS84) for k, v in scen.items()}
    ptcrs = layers["ptcrs"]
    hit = ptcrs[ptcrs.intersects(line.union_all())][["ptcr_id", "name", "geometry"]]
    # the line's countries too: a line running border to border cuts its country in two
    from ._common import countries_of

    isos = sorted(set().union(*(countries_of(v) for v in line["countries"])))
    ctry = layers["countries"]
    ctry = ctry[ctry["iso3"].isin(isos)]
    units = pd.concat([hit, gpd.GeoDataFrame(
        {"ptcr_id": np.arange(len(ctry)) + 1000, "name": ctry["name"].astype(str).to_numpy()},
        geometry=ctry.geometry.to_numpy(), crs=ctry.crs).to_crs(WGS84)], ignore_index=True)
    units = gpd.GeoDataFrame(units, geometry="geometry", crs=WGS84)
    rng = ranges_for(layers["ranges"], prm.get("species", []))
    allr = layers["ranges"]
    # cores: species ranges within the window, cut by every line, >= 300 km2
    win = line.to_crs(crs).buffer(prm.get("window_km", 200.0) * 1000.0).union_all()
    hab = shapely.intersection(rng.to_crs(crs).union_all(), win)
    cut = infra.to_crs(crs).buffer(5000.0).union_all()
    parts = [g for g in shapely.get_parts(shapely.difference(hab, cut)) if g.area >= 300e6]
    cores = gpd.GeoDataFrame({"core_id": np.arange(1, len(parts) + 1)}, geometry=parts, crs=crs)
    tpl = template_for(cores.geometry if len(parts) else line.to_crs(crs).geometry,
                       cell_m=prm.get("cell_km", 10.0) * 1000.0, pad_m=50_000.0, crs=crs,
                       max_cells=20_000)
    rows = []
    link_cost: dict[str, pd.Series] = {}
    link_geom: dict[str, gpd.GeoDataFrame] = {}
    d0 = math.nan
    if len(cores) >= 2:  # [A] dispersal distance at the median resistance of the base
        base_res = camigeo.build_resistance(tpl, ranges=rng.to_crs(crs),
                                            infrastructure=scen["base"].to_crs(crs))
        med = float(np.nanmedian(base_res.array[base_res.array > 0]))
        d0 = prm.get("dispersal_km", 100.0) * 1000.0 * med
    for k, inf in scen.items():
        sc = camigeo.score_conflict(units, allr, inf)
        summ = camigeo.summarize_conflict(sc)
        wkm = sc.drop_duplicates(["ptcr_id", "infra_type"])["region_weighted_length_km"].sum()
        me = camigeo.effective_mesh_size(units, inf, barrier_filter=hard_fence_filter)
        eca = float("nan")  # ECA needs two or more habitat cores near the line
        if len(cores) >= 2:
            ev = camigeo.evaluate_scenario(camigeo.Scenario(
                cores=cores, template=tpl, infrastructure=inf.to_crs(crs),
                ranges=rng.to_crs(crs), name=k), d0=d0)
            eca = float(ev.indices.summary["ECA"].iloc[0])
            link_cost[k] = ev.links.set_index(["core_a", "core_b"])["cw_dist"]
            link_geom[k] = ev.links
        rows.append({"scenario": k, "weighted_km": float(wkm),
                     "conflict_score": float(summ["conflict_score"].sum()),
                     "m_eff_km2": float(me["m_eff_km2"].sum()), "ECA_km2": eca})
    tab = pd.DataFrame(rows)
    for c in ("weighted_km", "conflict_score", "m_eff_km2", "ECA_km2"):
        tab[f"delta_{c}"] = tab[c] - tab[c].iloc[0]
    far_km = float(geodesic_km(split.loc[~split["near"]].geometry).sum())
    tot_km = float(geodesic_km(line.geometry).sum())
    a, ab = tab.iloc[1], tab.iloc[2]
    n_changed = 0
    if "base" in link_cost:
        both = pd.concat([link_cost["base"], link_cost["ab_smooth_and_removal"]], axis=1)
        n_changed = int((both.iloc[:, 0] - both.iloc[:, 1]).abs().gt(1e-6).sum())
    figs: dict[str, Any] = {"line_km": round(tot_km, 1), "removable_km": round(far_km, 1),
            "removable_pct": round(100 * far_km / tot_km, 1) if tot_km else 0.0,
            "delta_weighted_km_a": round(float(a["delta_weighted_km"]), 1),
            "delta_weighted_km_ab": round(float(ab["delta_weighted_km"]), 1),
            "delta_conflict_a": round(float(a["delta_conflict_score"]), 4),
            "delta_conflict_ab": round(float(ab["delta_conflict_score"]), 4),
            "delta_m_eff_a_km2": round(float(a["delta_m_eff_km2"]), 0),
            "delta_m_eff_ab_km2": round(float(ab["delta_m_eff_km2"]), 0),
            "delta_ECA_a_km2": round(float(a["delta_ECA_km2"]), 0),
            "delta_ECA_ab_km2": round(float(ab["delta_ECA_km2"]), 0),
            "links_changed": n_changed}
    nm = line["name"].iloc[0]
    # why zero: where the species ranges meet the line, where the line ends, what the
    # links whose cost drops still cross
    sp_km = {}
    for sp in prm.get("species", []):
        r1 = ranges_for(allr, [sp])
        sp_km[sp] = (float(geodesic_km([line.union_all().intersection(r1.union_all())])[0])
                     if len(r1) else math.nan)
    figs["line_km_in_range"] = {k: round(v, 1) for k, v in sp_km.items()}
    sp_txt = "; ".join(f"{k}: not in the ranges layer" if math.isnan(v) else
                       f"{v:,.0f} km inside the {k} range" for k, v in sp_km.items())
    meff_why = ""
    merged = shapely.line_merge(line.to_crs(crs).union_all())
    if merged.geom_type == "LineString" and len(units):
        ends = [shapely.Point(merged.coords[0]), shapely.Point(merged.coords[-1])]
        um = units.to_crs(crs)
        inside = um[um.contains(merged)]
        if len(inside):
            u = inside.iloc[0]
            d = [gap_km(e, u.geometry.boundary, crs) for e in ends]
            meff_why = (f"; the drawn line ends {d[0]:,.1f} km and {d[1]:,.1f} km short of the "
                        f"{u['name']} boundary")
    eca_why = ""
    if n_changed and "ab_smooth_and_removal" in link_geom:
        lg = link_geom["ab_smooth_and_removal"].set_index(["core_a", "core_b"])
        both = pd.concat([link_cost["base"], link_cost["ab_smooth_and_removal"]], axis=1)
        changed = both[(both.iloc[:, 0] - both.iloc[:, 1]).abs() > 1e-6].index
        inf_ab = scen["ab_smooth_and_removal"].to_crs(crs)
        half = tpl["cellsize_m"] / 2.0
        bits = []
        for key in changed[:3]:
            cost = float(lg.loc[key, "cw_dist"])
            hit = inf_ab[inf_ab.intersects(lg.loc[key, "geometry"].buffer(half))]
            names = list(dict.fromkeys(
                f"{r['name']} ({'fence ' + str(r['fence_class']) if r['fenced'] else 'no fence'})"
                for _, r in hit.iterrows()))
            bits.append(f"cores {key[0]}–{key[1]} still cost {cost:,.0f} cost units = "
                        f"{cost / d0:,.1f} × d0 (p = 0.5^{cost / d0:,.1f})"
                        + (f", their path crossing {'; '.join(names)}" if names else ""))
        bits.append(f"a line burned into a {tpl['cellsize_m'] / 1000:.0f} km cell costs its "
                    f"resistance (up to 1000; a railway without fence about 500) × the cell "
                    f"size, so one line crossing alone costs many times d0 before and after "
                    f"the change")
        eca_why = ": after the change " + "; ".join(bits)
    why_m = " (cuts no unit)" if figs["delta_m_eff_ab_km2"] == 0 else ""
    why_e = ""
    if math.isnan(figs["delta_ECA_ab_km2"]):
        why_e = " (< 2 cores)"
    elif figs["delta_ECA_ab_km2"] == 0:
        why_e = (" (line crossings still ≫ d0)" if n_changed else " (no link cost changes)")
    finding = (
        f"{act['activity_id']}: on the {nm} ({tot_km:,.0f} km), a) smooth wire (fence class "
        f"'{line['fence_class'].iloc[0]}' → '{after}') changes the barrier-weighted length "
        f"by {figs['delta_weighted_km_a']:+,.0f} km and the conflict score of "
        f"{', '.join(map(str, units['name']))} by {figs['delta_conflict_a']:+.3g}, the effective "
        f"mesh size (fenced lines as barriers) by {figs['delta_m_eff_a_km2']:+,.0f} km² and "
        f"ECA by {figs['delta_ECA_a_km2']:+,.0f} km²; b) removing the fence where no "
        f"settlement lies within {prm.get('settlement_km', 10.0):g} km ({far_km:,.0f} km, "
        f"{figs['removable_pct']:.0f} % of the line) on top gives "
        f"{figs['delta_weighted_km_ab']:+,.0f} km, "
        f"{figs['delta_conflict_ab']:+.3g}, {figs['delta_m_eff_ab_km2']:+,.0f} km² and "
        f"{figs['delta_ECA_ab_km2']:+,.0f} km². Species of the activity along the line "
        f"(bundled ranges, indicative): {sp_txt}." + _zero_note(
            figs, bool(allr.intersects(line.union_all()).any()), n_changed,
            meff_why=meff_why, eca_why=eca_why))
    headline = (f"{act['activity_id']}: smooth wire + removal on {far_km:,.0f} km of the {nm}: "
                f"Δ weighted length {figs['delta_weighted_km_ab']:+,.0f} km, Δ conflict "
                f"{figs['delta_conflict_ab']:+.3g}, Δ m_eff "
                f"{figs['delta_m_eff_ab_km2']:+,.0f} km²{why_m}, Δ ECA "
                f"{figs['delta_ECA_ab_km2']:+,.0f} km²{why_e}")
    assumptions = [act["assumptions"],
                   f"ECA: cores = {', '.join(prm.get('species', []))} ranges within "
                   f"{prm.get('window_km', 200.0):g} km of the line, ≥ 5 km from every line, "
                   f"≥ 300 km²; build_resistance defaults; cell "
                   f"{tpl['cellsize_m'] / 1000:.1f} km; dispersal kernel p = 0.5 at d0 = "
                   f"{prm.get('dispersal_km', 100.0):g} km × the median resistance "
                   f"({d0:,.0f} cost units).",
                   "m_eff counts fenced lines below the 'high' class as barriers "
                   "(hard_fence_filter); reporting units = the PTCRs the line crosses and its "
                   "countries; conflict score = summarize_conflict summed over those units "
                   "(it only moves where the line lies inside a species range)."]
    split_out = split[["infra_id", "name", "near", "geometry"]].assign(
        length_km=geodesic_km(split.geometry))
    return ActivityResult(act["activity_id"], act["recipe"], finding, headline, figs,
                          {"scenarios": tab, "segments": split_out,
                           "cores": cores.to_crs(WGS84)}, {}, assumptions, dict(prm))


# ------------------------------------------------------------------------ track corridors
def _track_steps(fixes: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame:
    from camigeo.telemetry.tracks import prepare_tracks

    pts, idc, tc = prepare_tracks(fixes)
    pts = pts.to_crs(crs)
    rows = []
    for ind, g in pts.groupby(idc, sort=False):
        xy = shapely.get_coordinates(g.geometry.to_numpy())
        for i in range(len(xy) - 1):
            rows.append({"individual_id": str(ind),
                         "geometry": shapely.LineString([xy[i], xy[i + 1]])})
    return gpd.GeoDataFrame(rows or {"individual_id": []},
                            geometry="geometry" if rows else gpd.GeoSeries([], crs=crs), crs=crs)


def use_grid(steps: gpd.GeoDataFrame, *, cell_m: float, crs: Any) -> Any:
    """Raster of the number of distinct individuals whose steps touch each cell."""
    from affine import Affine
    from rasterio.features import rasterize

    from camigeo import Raster

    x0, y0, x1, y1 = steps.total_bounds
    x0, y0 = x0 - cell_m, y0 - cell_m
    w = int(np.ceil((x1 + cell_m - x0) / cell_m))
    h = int(np.ceil((y1 + cell_m - y0) / cell_m))
    if w * h > 4_000_000:
        raise CamigeoError(f"cell_km={cell_m / 1000:g} gives a {w}×{h} grid for the tracks; "
                           f"use a larger cell.")
    tr = Affine(cell_m, 0, x0, 0, -cell_m, y0 + h * cell_m)
    count = np.zeros((h, w), dtype=np.int32)
    for _, g in steps.groupby("individual_id"):
        m = rasterize(((geom, 1) for geom in g.geometry), out_shape=(h, w), transform=tr,
                      fill=0, all_touched=True, dtype="uint8")
        count += m
    return Raster(count.astype(float), tr, crs, None)


def track_corridors(act: dict[str, Any], layers: Layers, *, tracks: Any = None) -> ActivityResult:
    """Map movement corridors from GPS tracks.

    Movement corridors from GPS tracks (WP 21.3, 22.4): cells used by at least
    ``min_individuals`` animals, and the steps crossing the lines of the layer.
    """
    from rasterio.features import shapes as _shapes

    import camigeo

    prm = act["params"]
    if tracks is None:
        sp = ", ".join(prm.get("species", []))
        raise ActivityDataError(
            f"{act['activity_id']} needs movement data that camigeo does not bundle: "
            f"{TRACKS_NEEDED}, of {sp} in {', '.join(prm.get('countries', []))}. Pass "
            f"run_activity('{act['activity_id']}', tracks='fixes.csv') or "
            f"`camigeo activity run {act['activity_id'].replace(' ', '')} --tracks fixes.csv`.")
    fixes = read_tracks(tracks)
    crs = metric_crs(fixes.to_crs(WGS84).geometry)
    steps = _track_steps(fixes, crs)
    if not len(steps):
        raise ActivityDataError(f"{act['activity_id']}: the tracks hold no step (fewer than two "
                                f"fixes per animal).")
    cell = prm.get("cell_km", 10.0) * 1000.0
    grid = use_grid(steps, cell_m=cell, crs=crs)
    k = int(prm.get("min_individuals", 2))
    mask = grid.array >= k
    polys = [shapely.geometry.shape(g) for g, v in
             _shapes(mask.astype("uint8"), mask=mask, transform=grid.transform) if v == 1]
    corr = gpd.GeoDataFrame({"min_individuals": [k] * len(polys)}, geometry=polys, crs=crs)
    area = float(corr.area.sum() / 1e6)
    infra = layers["infrastructure"]
    cross = camigeo.find_crossings(fixes.to_crs(WGS84), infra.to_crs(WGS84),
                                   barrier_id_col="infra_id")
    n_ind = int(steps["individual_id"].nunique())
    by_line = (cross.groupby("barrier_id").size().sort_values(ascending=False)
               if len(cross) else pd.Series(dtype=int))
    figs = {"individuals": n_ind, "steps": len(steps), "corridor_area_km2": round(area, 0),
            "corridor_patches": len(corr), "crossings": len(cross),
            "lines_crossed": len(by_line)}
    top = (f"; most crossed: {by_line.index[0]} ({int(by_line.iloc[0])} steps)"
           if len(by_line) else "")
    finding = (f"{act['activity_id']}: {n_ind} tracked animals, {len(steps)} steps. Cells "
               f"({cell / 1000:g} km) used by ≥ {k} animals form {len(corr)} corridor patch(es) "
               f"of {area:,.0f} km²; {len(cross)} steps cross {len(by_line)} lines of the "
               f"infrastructure layer{top}.")
    headline = (f"{act['activity_id']}: {n_ind} animals; corridor {area:,.0f} km² "
                f"(≥ {k} animals per {cell / 1000:g} km cell); {len(cross)} line crossings")
    assumptions = [act["assumptions"], "Steps = straight lines between consecutive fixes; a "
                   "cell counts each animal once."]
    return ActivityResult(act["activity_id"], act["recipe"], finding, headline, figs,
                          {"corridor": corr.to_crs(WGS84), "crossings": cross},
                          {"use": grid}, assumptions, dict(prm))
