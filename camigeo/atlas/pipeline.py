"""The main job (``camigeo run``): every analysis on the bundled (or given) data.

:func:`run_all` runs these steps in order and writes ``<out_dir>/atlas.gpkg`` (one Atlas
update with provenance), ``map.html``, ``atlas_report.pdf``, ``summary.md`` and
``summary.csv`` (the ranked PTCR table), and the cumulative current raster
``current_<species>.tif`` (Cloud-Optimized GeoTIFF) next to the Atlas:

1. ``load`` - load the bundled layers (or the given files) with schema validation; with
   ``osm=`` route the infrastructure lines through the OSM ways of an extract;
2. ``summary`` - per layer: rows, geometry types, km (geodesic) and km² (equal-area);
3. ``conflict`` - ``score_conflict`` + ``summarize_conflict`` for the 13 PTCRs, and the
   hexagonal ``conflict_grid``;
4. ``fragmentation`` - effective mesh size per PTCR and per species range (CUT; per range
   also with the documented barriers only);
5. ``corridors`` - per migratory ungulate: resistance surface (species range + barriers),
   least-cost links between the PTCRs it occurs in whose allocation zones touch (Linkage
   Mapper's adjacency network), corridor graph and PC/IIC/ECA;
6. ``circuit`` - cumulative current across the PTCRs of one ungulate species and pinch
   points inside its least-cost corridors, and the species' omnidirectional (Omniscape)
   current and normalized current in the Gobi PTCR (``omniscape_gobi_*.tif``, Atlas layer
   ``omniscape_top_cells``);
7. ``activities`` - every registered Work Programme activity (:mod:`camigeo.activities`) on
   the loaded layers: one row each with its headline figure, or the data it needs;
8. ``telemetry`` - only when GPS tracks are given: BaBA encounter classes, barrier ranking
   and passage hotspots against the fences, border fences and railways; migration
   sequences, Brownian-bridge corridors and stopovers, and the barriers inside them;
9. ``outputs`` - Atlas update, map, PDF report (with the activities page), summary files.

A step whose module is not in this installation (analysis issues still landing) is
*skipped* with a logged note; a step that raises is *failed* (message recorded, the other
steps still run) and :attr:`RunResult.ok` is False. Nothing is invented for a skipped or
failed step.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._errors import CamigeoError

__all__ = ["COLUMN_GLOSSARY", "DEFAULT_CIRCUIT_SPECIES", "STEPS", "RunResult", "StepReport",
           "layer_summary", "run_all"]

log = logging.getLogger(__name__)

STEPS = ("load", "summary", "conflict", "fragmentation", "corridors", "circuit", "activities",
         "telemetry", "outputs")
#: Species of the circuit step by default (a migratory ungulate present in several PTCRs).
DEFAULT_CIRCUIT_SPECIES = "Equus hemionus"


@dataclass
class StepReport:
    """Outcome of one step: ``status`` is ``ok``, ``skipped`` or ``failed``."""

    step: str
    status: str
    seconds: float
    note: str = ""


@dataclass
class RunResult:
    """What :func:`run_all` produced.

    Attributes
    ----------
    out_dir : Path
    layers : dict of str to GeoDataFrame/DataFrame
        Everything written into the Atlas.
    ranked : DataFrame
        The ranked PTCR table (empty when the conflict step did not run).
    steps : list of StepReport
    files : dict of str to Path
        Written files (atlas, map, report, summary_md, summary_csv, current rasters).
    run_id : str or None
        Atlas run id.
    """

    out_dir: Path
    layers: dict[str, Any] = field(default_factory=dict)
    ranked: pd.DataFrame = field(default_factory=pd.DataFrame)
    steps: list[StepReport] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)
    run_id: str | None = None

    @property
    def ok(self) -> bool:
        """True when no step failed (skipped steps are not failures)."""
        return all(s.status != "failed" for s in self.steps)

    def steps_table(self) -> pd.DataFrame:
        """Return the steps as a table (step, status, seconds, note)."""
        return pd.DataFrame([s.__dict__ for s in self.steps])


class StepSkipped(Exception):
    """A step cannot run in this installation (module not there yet); not an error."""


def _need(module: str, *names: str) -> Any:
    import importlib

    try:
        mod = importlib.import_module(f"camigeo.{module}")
    except ImportError as exc:
        raise StepSkipped(f"camigeo.{module} is not available in this installation "
                          f"({exc})") from exc
    missing = [n for n in names if not hasattr(mod, n)]
    if missing:
        raise StepSkipped(f"camigeo.{module} does not provide {', '.join(missing)} yet")
    return mod


# ------------------------------------------------------------------------------- summary
def layer_summary(layers: Mapping[str, Any]) -> pd.DataFrame:
    """Rows, geometry types, geodesic km and equal-area km² of each layer.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame or DataFrame

    Returns
    -------
    DataFrame
        ``layer, rows, geometry_types, crs, length_km`` (lines, geodesic, 0 otherwise),
        ``area_km2`` (polygons, equal-area, 0 otherwise).
    """
    import geopandas as gpd

    from ..io.crs import equal_area_km2, geodesic_length_km

    rows = []
    for name, df in layers.items():
        rec: dict[str, Any] = {"layer": name, "rows": len(df), "geometry_types": "",
                               "crs": "", "length_km": 0.0, "area_km2": 0.0}
        if isinstance(df, gpd.GeoDataFrame) and len(df):
            gt = df.geom_type.fillna("None")
            rec["geometry_types"] = ", ".join(sorted(set(gt)))
            rec["crs"] = df.crs.to_string() if df.crs is not None else ""
            lines = gt.str.contains("LineString").to_numpy()
            polys = gt.str.contains("Polygon").to_numpy()
            if lines.any():
                rec["length_km"] = float(np.nansum(geodesic_length_km(df.geometry[lines])))
            if polys.any():
                rec["area_km2"] = float(np.nansum(equal_area_km2(df.geometry[polys])))
        rows.append(rec)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- the context
@dataclass
class RunContext:
    out_dir: Path
    inputs: dict[str, Path | None]  # None: the bundled layer
    params: dict[str, Any]
    progress: bool
    data: dict[str, Any] = field(default_factory=dict)
    layers: dict[str, Any] = field(default_factory=dict)
    rasters: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def step_load(ctx: RunContext) -> str:
    from .. import datasets, io

    given = {k: v for k, v in ctx.inputs.items() if v is not None}
    kinds = {"ptcrs": "ptcr", "ranges": "range", "infrastructure": "infrastructure"}
    loaders = {"ptcrs": datasets.load_ptcrs, "ranges": datasets.load_ranges,
               "infrastructure": datasets.load_infrastructure,
               "borders": datasets.load_borders, "countries": datasets.load_countries}
    for key, loader in loaders.items():
        if key in given:
            ctx.data[key] = io.read_layer(given[key], kind=kinds.get(key))
        else:
            ctx.data[key] = loader()
    ctx.data["species"] = datasets.load_species()
    # provenance: the bundled files actually used (+ given ones)
    files: dict[str, Path] = {}
    avail = datasets.available()
    bundled = {"ptcrs": "ptcr", "ranges": "ranges", "infrastructure": "infrastructure",
               "borders": "borders", "countries": "countries", "species": "species"}
    for key, name in bundled.items():
        if key in given:
            files[key] = Path(given[key])
        else:
            hit = avail.loc[avail["name"] == name, "path"]
            if len(hit):
                files[key] = Path(str(hit.iloc[0]))
    note = ""
    if ctx.params.get("osm"):
        files["osm"] = Path(ctx.params["osm"])
        note = _conflate_osm(ctx, files["osm"])
    ctx.files.update({f"input:{k}": v for k, v in files.items()})
    ctx.params["inputs"] = {k: str(v) for k, v in files.items()}
    n = {k: len(v) for k, v in ctx.data.items()}
    return ", ".join(f"{k} {v}" for k, v in n.items()) + note


def _conflate_osm(ctx: RunContext, pbf: Path) -> str:
    """Route the infrastructure lines through the OSM ways of ``pbf`` (same type/status)."""
    from ..io.conflate import conflate_osm

    if not pbf.is_file():
        raise CamigeoError(f"osm: OSM extract {pbf} does not exist; pass an .osm.pbf file "
                           f"(e.g. from Geofabrik) or leave osm out.")
    out = conflate_osm(ctx.data["infrastructure"], pbf,
                       corridor_m=float(ctx.params.get("osm_corridor_km", 20.0)) * 1000.0)
    ctx.data["infrastructure"] = out
    routed = int((out["geometry_source"] == "reference").sum())
    return (f"; {routed} of {len(out)} infrastructure lines routed through the OSM ways of "
            f"{pbf.name}")


def _summary(ctx: RunContext) -> str:
    from ..io.validate import validate_layer

    kinds = {"ptcrs": "ptcr", "ranges": "range", "infrastructure": "infrastructure",
             "borders": None, "countries": None}
    layers = {k: ctx.data[k] for k in kinds if k in ctx.data}
    table = layer_summary(layers)
    problems = []
    for key, kind in kinds.items():
        if key not in ctx.data:
            continue
        try:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                validate_layer(ctx.data[key], kind, source=key, repair=True)
            problems.append("")
        except CamigeoError as exc:
            problems.append(str(exc).replace("\n", " "))
    table["validation"] = [p or "valid" for p in problems]
    if "species" in ctx.data:
        table = pd.concat([table, pd.DataFrame([{
            "layer": "species", "rows": len(ctx.data["species"]), "geometry_types": "",
            "crs": "", "length_km": 0.0, "area_km2": 0.0, "validation": "table"}])],
            ignore_index=True)
    ctx.layers["layer_summary"] = table
    ctx.layers["ptcr"] = ctx.data["ptcrs"]
    ctx.layers["infrastructure"] = ctx.data["infrastructure"]
    ctx.layers["ranges"] = ctx.data["ranges"]
    ctx.layers["borders"] = ctx.data["borders"]
    if ctx.data.get("countries") is not None:
        ctx.layers["countries"] = ctx.data["countries"]
    invalid = table.loc[~table["validation"].isin(["valid", "table"]), "layer"].tolist()
    return f"{len(table)} layers summarized" + (f"; validation problems in {invalid}"
                                                if invalid else "; all valid")


def _conflict(ctx: RunContext) -> str:
    mod = _need("barriers.conflict", "score_conflict", "summarize_conflict", "conflict_grid")
    p, r, i = ctx.data["ptcrs"], ctx.data["ranges"], ctx.data["infrastructure"]
    scores = mod.score_conflict(p, r, i)
    summary = mod.summarize_conflict(scores)
    # the same ranking without the border lines whose fencing is not documented
    from .names import fencing_status

    undocumented = (fencing_status(i) == "undocumented").to_numpy()
    doc = mod.summarize_conflict(mod.score_conflict(p, r, i[~undocumented])) \
        if undocumented.any() else summary
    summary = summary.merge(pd.DataFrame(doc[["ptcr_id", "conflict_score"]]).rename(
        columns={"conflict_score": "conflict_score_documented"}), on="ptcr_id", how="left")
    summary["conflict_score_documented"] = summary["conflict_score_documented"].fillna(0.0)
    summary["rank_documented"] = summary["conflict_score_documented"].rank(
        ascending=False, method="min").astype("int64")
    ctx.layers["conflict_scores"] = scores
    ctx.layers["conflict_summary"] = summary
    grid = mod.conflict_grid(p, r, i, cell_km=float(ctx.params["grid_cell_km"]))
    ctx.layers["conflict_grid"] = grid
    return f"{len(scores)} score rows, {len(summary)} PTCRs ranked, {len(grid)} grid cells"


def _fragmentation(ctx: RunContext) -> str:
    mod = _need("barriers.fragmentation", "effective_mesh_size", "reporting_units")
    infra = ctx.data["infrastructure"]
    frag = mod.effective_mesh_size(ctx.data["ptcrs"], infra, method="CUT")
    ctx.layers["fragmentation"] = frag
    # per species: the whole (indicative or given) range, cut by every default barrier and
    # by the documented ones only (border lines whose fencing is not documented left out)
    units = mod.reporting_units(ranges=ctx.data["ranges"], kind="range")
    rf = mod.effective_mesh_size(units, infra, method="CUT")
    documented = infra[infra["fence_class"].astype(object) != "unknown"] \
        if "fence_class" in infra.columns else infra
    doc = mod.effective_mesh_size(units, documented, method="CUT")
    rf = rf.merge(pd.DataFrame({"sci_name": doc["sci_name"],
                                "n_patches_documented": doc["n_patches"],
                                "m_eff_documented_km2": doc["m_eff_km2"]}),
                  on="sci_name", how="left")
    rf["m_eff_pct_of_range"] = 100.0 * rf["m_eff_km2"] / rf["area_km2"]
    ctx.layers["range_fragmentation"] = rf
    return f"m_eff for {len(frag)} PTCRs and the ranges of {len(rf)} species"


def _migratory_ungulates(ctx: RunContext) -> list[str]:
    sp = ctx.data["species"]
    col = sp["migratory_ungulate"]
    mask = col.astype(str).str.lower().isin(["true", "1", "yes"]) if col.dtype != bool else col
    names = sp.loc[mask, "cms_name"].astype(str).tolist()
    wanted = ctx.params.get("species")
    if wanted:  # synonyms and common names as in the API; unknown names get suggestions
        from ..datasets.species import resolve_species

        wanted = [resolve_species(w) for w in wanted]
        names = [n for n in names if n in wanted] or list(wanted)
    return names


def _grid_for(geoms: Any, cell_m: float, pad_m: float) -> Any:
    """Build a template Raster (zeros) covering ``geoms`` (equal-area CRS), square cells."""
    from ..io.crs import CENTRAL_ASIA_EQUAL_AREA
    from ..io.guards import check_alloc, check_number
    from ..io.raster import Raster

    check_number(cell_m / 1000.0, name="cell_km", minimum=0.0, strict_min=True, unit="km",
                 fix="Give the grid cell size in km (--cell-km / corridor_cell_km, e.g. 5).")
    xmin, ymin, xmax, ymax = geoms.total_bounds
    cells = ((xmax - xmin + 2 * pad_m) / cell_m + 1) * ((ymax - ymin + 2 * pad_m) / cell_m + 1)
    check_alloc(cells * 64.0, what=f"a {cell_m / 1000:g} km grid over "
                f"{(xmax - xmin) / 1000:,.0f} x {(ymax - ymin) / 1000:,.0f} km "
                f"({cells:,.0f} cells)", fix="Use a larger cell size (--cell-km).")
    xmin, ymin = math.floor((xmin - pad_m) / cell_m) * cell_m, math.floor(
        (ymin - pad_m) / cell_m) * cell_m
    ncol = int(math.ceil((xmax + pad_m - xmin) / cell_m))
    nrow = int(math.ceil((ymax + pad_m - ymin) / cell_m))
    return Raster.from_array(np.zeros((nrow, ncol), dtype="float64"), cellsize=cell_m,
                             origin=(xmin, ymin), crs=CENTRAL_ASIA_EQUAL_AREA)


def _cores_for(ctx: RunContext, species: str) -> tuple[Any, Any]:
    """PTCR parts inside a species' range (core_id = ptcr_id) and the range, equal-area."""
    import geopandas as gpd

    from ..io.crs import CENTRAL_ASIA_EQUAL_AREA

    rng = ctx.data["ranges"]
    rng = rng[rng["sci_name"] == species].to_crs(CENTRAL_ASIA_EQUAL_AREA)
    if rng.empty:
        return gpd.GeoDataFrame(), rng
    rng_union = gpd.GeoDataFrame(geometry=[rng.union_all()], crs=rng.crs)
    p = ctx.data["ptcrs"].to_crs(CENTRAL_ASIA_EQUAL_AREA)[["ptcr_id", "name", "geometry"]]
    cores = gpd.overlay(p, rng_union, how="intersection", keep_geom_type=True)
    cores = cores.dissolve(by="ptcr_id", as_index=False)
    cores = cores[cores.geometry.area > (ctx.params["corridor_cell_km"] * 1000) ** 2 * 4]
    cores = cores.rename(columns={"ptcr_id": "core_id"})
    cores["core_id"] = cores["core_id"].astype("int64")
    cores["species"] = species
    return cores.reset_index(drop=True), rng


def step_corridors(ctx: RunContext) -> str:
    res_mod = _need("corridors.resistance", "build_resistance")
    cor = _need("corridors", "corridor_links")
    net = _need("corridors.network", "corridor_graph", "connectivity_indices", "to_geodataframes")
    from ..io.guards import check_number

    cell_m = check_number(ctx.params["corridor_cell_km"], name="corridor_cell_km (--cell-km)",
                          minimum=0.0, strict_min=True, unit="km",
                          fix="Give the grid cell size in km, e.g. 5.") * 1000.0
    species = _migratory_ungulates(ctx)
    links_all, nodes_all, idx_rows, notes = [], [], [], []
    it: Sequence[str] = species
    if ctx.progress:
        from tqdm.auto import tqdm

        it = tqdm(species, desc="corridors", unit="species", leave=False)
    for sp in it:
        cores, rng = _cores_for(ctx, sp)
        if len(cores) < 2:
            notes.append(f"{sp}: {len(cores)} PTCR core(s) in range, no links")
            continue
        import geopandas as gpd

        extent = gpd.GeoSeries(list(rng.geometry) + list(cores.geometry), crs=cores.crs)
        template = _grid_for(extent, cell_m, pad_m=5 * cell_m)
        resistance = res_mod.build_resistance(template, ranges=rng,
                                              infrastructure=ctx.data["infrastructure"])
        links = cor.corridor_links(cores, resistance, progress=False,
                                   adjacency=ctx.params.get("corridor_adjacency", "both"))
        if len(links) == 0:
            notes.append(f"{sp}: no links")
            continue
        links = links.copy()
        links["species"] = sp
        G = net.corridor_graph(cores, links, id_col="core_id")
        # ASSUMPTION (documented in docs/cli.md): no species dispersal kernel in cost units
        # is available, so d0 = the median positive link cw_dist of the species (p = 0.5
        # there; cores that touch have cw_dist 0), and IIC counts the links up to that same
        # cost as connections (binary threshold).
        cw = links["cw_dist"].to_numpy(dtype=float)
        if not (cw > 0).any():
            notes.append(f"{sp}: all cores touch (cw_dist 0), no connectivity indices")
            continue
        d0 = float(np.median(cw[cw > 0]))
        ci = net.connectivity_indices(G, distance="cw_dist", d0=d0, threshold=d0)
        nodes, _edges = net.to_geodataframes(G)
        nodes = nodes.copy()
        nodes["species"] = sp
        node_idx = ci.nodes.copy()
        node_idx = node_idx[[c for c in node_idx.columns if c not in nodes.columns]]
        nodes = nodes.merge(node_idx, left_on="core_id", right_index=True, how="left") \
            if "core_id" in nodes.columns else nodes
        li = ci.links[[c for c in ci.links.columns if c in ("core_a", "core_b", "p_ij", "dPC")]]
        links = links.merge(li.rename(columns={"dPC": "dPC_link"}), on=["core_a", "core_b"],
                            how="left")
        summ = ci.summary.iloc[0].to_dict()
        idx_rows.append({"species": sp, "n_cores": len(cores), "n_links": len(links),
                         "d0": d0, "p0": 0.5, "iic_threshold": d0,
                         **{k: summ[k] for k in ("PC", "ECA", "ECA_pct", "IIC")
                            if k in summ}})
        links_all.append(links)
        nodes_all.append(nodes)
        ctx.rasters[f"resistance:{sp}"] = (resistance, cores)
    if not links_all:
        return "; ".join(notes) or "no species with two or more PTCR cores"
    import geopandas as gpd

    links_df = pd.concat(links_all, ignore_index=True)
    if isinstance(links_all[0], gpd.GeoDataFrame):
        links_df = gpd.GeoDataFrame(links_df, geometry=links_all[0].geometry.name,
                                    crs=links_all[0].crs)
        ctx.layers["corridor_paths"] = links_df
        ctx.layers["corridor_links"] = pd.DataFrame(links_df.drop(columns=links_df.geometry.name))
    else:
        ctx.layers["corridor_links"] = links_df
    ctx.layers["corridor_graph_nodes"] = gpd.GeoDataFrame(pd.concat(nodes_all,
                                                                    ignore_index=True),
                                                          crs=nodes_all[0].crs)
    ctx.layers["corridor_indices"] = pd.DataFrame(idx_rows)
    return (f"{len(links_df)} links for {len(links_all)} species"
            + (f" ({'; '.join(notes)})" if notes else ""))


def _rasterize_cores(cores: Any, template: Any) -> np.ndarray:
    from rasterio.features import rasterize

    shapes = [(g, int(i)) for g, i in zip(cores.to_crs(template.crs).geometry,
                                          cores["core_id"], strict=True)]
    return rasterize(shapes, out_shape=template.array.shape, transform=template.transform,
                     fill=0, dtype="int32", all_touched=False)


def step_circuit(ctx: RunContext) -> str:
    circ = _need("circuit", "current_map")
    from ..datasets.species import resolve_species
    from ..io.guards import check_number

    raw = ctx.params["circuit_species"]  # a name used by the range layer as it stands
    sp = raw if raw in set(ctx.data["ranges"]["sci_name"]) else resolve_species(raw)
    key = f"resistance:{sp}"
    cell_km = check_number(ctx.params["circuit_cell_km"], name="circuit_cell_km (--cell-km)",
                           minimum=0.0, strict_min=True, unit="km")
    if key in ctx.rasters and abs(ctx.params["corridor_cell_km"] - cell_km) < 1e-9:
        resistance, cores = ctx.rasters[key]
    else:
        res_mod = _need("corridors.resistance", "build_resistance")
        cores, rng = _cores_for(ctx, sp)
        if len(cores) < 2:
            raise CamigeoError(f"circuit_species: {sp!r} occurs in {len(cores)} PTCR(s); "
                               f"choose a species present in two or more.")
        import geopandas as gpd

        extent = gpd.GeoSeries(list(rng.geometry) + list(cores.geometry), crs=cores.crs)
        template = _grid_for(extent, cell_km * 1000.0, pad_m=5 * cell_km * 1000.0)
        resistance = res_mod.build_resistance(template, ranges=rng,
                                              infrastructure=ctx.data["infrastructure"])
    focal = _rasterize_cores(cores, resistance)
    result = circ.current_map(resistance, focal, cumulative=True)
    cum = result.cumulative
    slug = sp.lower().replace(" ", "_").replace(".", "")
    path = ctx.out_dir / f"current_{slug}.tif"
    cum.to_file(path, cog=True, dtype="float32")
    ctx.files[f"current:{sp}"] = path
    note = f"cumulative current for {sp} ({len(cores)} PTCR cores) -> {path.name}"
    # pinch points: Circuitscape inside the least-cost corridors (needs NLCC)
    try:
        cor = _need("corridors", "normalized_corridors")
        if not hasattr(circ, "pinch_points"):
            raise StepSkipped("camigeo.circuit does not provide pinch_points yet")
        nlcc = cor.normalized_corridors(cores, resistance)
        nlcc_r = getattr(nlcc, "nlcc", nlcc)
        cutoff = float(ctx.params["pinch_cutoff"])
        pp = circ.pinch_points(nlcc_r, resistance, focal, cutoff=cutoff)
        # the top 5 % current cells inside the corridors and OUTSIDE the cores (core
        # cells are short-circuited and all carry the full current), ties kept together
        ctx.layers["pinch_points"] = circ.pinch_point_cells(
            pp.current, nlcc_r, focal, cutoff=cutoff, top_fraction=0.05, species=sp)
        note += f"; {len(ctx.layers['pinch_points'])} pinch-point cells"
    except StepSkipped as exc:
        note += f"; pinch points skipped: {exc}"
        log.warning("pinch points skipped: %s", exc)
    return note + _omniscape_layer(ctx, sp)


def _omniscape_layer(ctx: RunContext, sp: str) -> str:
    """Omnidirectional current (Omniscape) of ``sp`` in one open-landscape PTCR (issue 15)."""
    om = _need("circuit.omniscape_job", "ptcr_omniscape")
    name = ctx.params.get("omniscape_ptcr", "Gobi")
    p = ctx.data["ptcrs"]
    rng = ctx.data["ranges"]
    one = p[p["name"] == name]
    if one.empty:
        return f"; omniscape skipped: PTCR {name!r} not loaded"
    run = om.ptcr_omniscape(one, ranges=rng[rng["sci_name"] == sp], species=sp,
                            infrastructure=ctx.data["infrastructure"],
                            cell_km=float(ctx.params["circuit_cell_km"]), progress=ctx.progress)
    slug = name.lower().replace(" ", "_")
    for kind, r in (("cum", run.result.cumulative), ("normalized", run.result.normalized)):
        path = ctx.out_dir / f"omniscape_{slug}_{kind}.tif"
        r.to_file(path, cog=True, dtype="float32")
        ctx.files[f"omniscape_{kind}:{name}"] = path
    ctx.layers["omniscape_top_cells"] = run.top_cells
    return (f"; omniscape {name}: {run.result.n_windows} windows, "
            f"{len(run.top_cells)} top normalized-current cells")


def _top_cells(raster: Any, *, quantile: float, species: str) -> Any:
    """Cells whose current is in the top (1 - quantile) of the non-zero currents, as points."""
    import geopandas as gpd

    arr = raster.masked_float()
    vals = arr[np.isfinite(arr) & (arr > 0)]
    if vals.size == 0:
        return gpd.GeoDataFrame({"current": [], "species": []}, geometry=[], crs=raster.crs)
    thr = float(np.quantile(vals, quantile))
    rows, cols = np.nonzero(np.isfinite(arr) & (arr >= thr) & (arr > 0))
    x, y = raster.xy(rows, cols)
    return gpd.GeoDataFrame({"current": arr[rows, cols], "species": species,
                             "quantile_threshold": thr},
                            geometry=gpd.points_from_xy(x, y), crs=raster.crs)


def _activities(ctx: RunContext) -> str:
    mod = _need("activities", "run_activities")
    keys = ("ptcrs", "ranges", "infrastructure", "countries")
    _, table = mod.run_activities(layers={k: ctx.data[k] for k in keys if k in ctx.data},
                                  tracks=ctx.params.get("tracks"))
    ctx.layers["activities"] = table
    n = table["status"].value_counts()
    return ", ".join(f"{v} {k}" for k, v in n.items())


def _telemetry(ctx: RunContext) -> str:
    tracks = ctx.params.get("tracks")
    if not tracks:
        raise StepSkipped("no tracks given (pass tracks=... / --tracks; to try it: the SYNTHETIC "
                          "example data/tracks/collars_synthetic.csv); nothing is substituted")
    tel = _need("telemetry", "run_telemetry")
    path = Path(tracks)
    if not path.is_file():
        raise CamigeoError(f"tracks: file {path} does not exist.")
    if path.suffix.lower() == ".csv":
        from ..io.movebank import read_movebank

        fixes = read_movebank(path)
    else:
        from ..io.layers import read_layer

        fixes = read_layer(path, kind="tracks")
    infra = ctx.data["infrastructure"]
    barriers = infra[infra["infra_type"].isin(["fence", "border_fence", "railway"])]
    layers = tel.run_telemetry(fixes, barriers, d=float(ctx.params["d_m"]),
                               barrier_id_col="infra_id")
    ctx.layers.update(layers)
    ctx.files["input:tracks"] = path
    ev = layers.get("barrier_events")
    return (f"{len(ev) if ev is not None else 0} encounter events, "
            f"{len(layers.get('passage_hotspots', []))} passage hotspots; "
            + _migration(ctx, tel, fixes, infra))


def _migration(ctx: RunContext, tel: Any, fixes: Any, infra: Any) -> str:
    """Migration corridors from the same tracks (Brownian bridges; camigeo.telemetry)."""
    if not hasattr(tel, "run_migration"):
        return "migration corridors not available"
    try:
        run = tel.run_migration(fixes, barriers=infra, ptcrs=ctx.data["ptcrs"],
                                cell_size_m=float(ctx.params.get("migration_cell_m", 250.0)),
                                progress=ctx.progress)
    except CamigeoError as exc:  # e.g. no migration in the tracks: say so, keep BaBA
        return f"no migration corridors ({str(exc).splitlines()[0]})"
    ctx.layers.update(run.layers)
    ctx.files.update(run.write_rasters(ctx.out_dir))
    ctx.data["migration_summary"] = run.summary
    return (f"{len(run.layers['migration_sequences'])} migration sequences of "
            f"{run.corridors.n_individuals} individuals")


def _ranked(ctx: RunContext) -> pd.DataFrame:
    s = ctx.layers.get("conflict_summary")
    if s is None or len(s) == 0:
        return pd.DataFrame()
    s = pd.DataFrame(s).copy()
    if "geometry" in s.columns:
        s = s.drop(columns="geometry")
    names = ctx.data["ptcrs"][["ptcr_id", "name"]]
    if "name" not in s.columns:
        s = s.merge(pd.DataFrame(names), on="ptcr_id", how="left")
    frag = ctx.layers.get("fragmentation")
    if frag is not None and "ptcr_id" in frag.columns and "m_eff_km2" in frag.columns:
        s = s.merge(pd.DataFrame(frag[["ptcr_id", "m_eff_km2"]]), on="ptcr_id", how="left")
    first = [c for c in ("rank", "ptcr_id", "name", "conflict_score", "rank_documented",
                         "conflict_score_documented", "species_affected", "n_species",
                         "weighted_length_km", "m_eff_km2") if c in s.columns]
    rest = [c for c in s.columns if c.startswith("length_km_")]
    out = s[first + rest].sort_values("rank" if "rank" in s.columns else first[0])
    return out.reset_index(drop=True)


def _md_table(df: pd.DataFrame, floatfmt: str = ",.2f") -> str:
    if df.empty:
        return "_(none)_\n"
    cols = list(df.columns)
    lines = ["| " + " | ".join(str(c) for c in cols) + " |",
             "|" + "|".join("---" for _ in cols) + "|"]
    for rec in df.itertuples(index=False):
        cells = []
        for v in rec:
            if isinstance(v, float | np.floating):
                cells.append("" if not np.isfinite(v) else format(float(v), floatfmt))
            else:
                cells.append(str(v).replace("|", "\\|").replace("\n", " "))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


#: Numeric Atlas columns that may be empty: values the source does not report, and BaBA's
#: "not applicable" values (straightness of events not classed by it; index, rank and
#: permeability of barriers without encounters). A layer can add its own with
#: ``df.attrs["nullable_columns"]``.
_NULLABLE: dict[str, tuple[str, ...]] = {
    "*": ("length_reported_km", "year", "accuracy_km"),
    "barrier_events": ("str_i", "str_mean", "str_sd"),
    "barrier_ranking": ("index_raw", "index", "rank", "permeability", "ci_low", "ci_high"),
    "ranges": ("count", "count_year"),  # population counts only where seed 004 gives them
}
#: Declared geometry types of the layers that can come out empty.
_GEOMETRY_TYPES: dict[str, str] = {
    "pinch_points": "Point", "corridor_paths": "LineString", "passage_hotspots": "LineString",
    "barrier_events": "Point",
    "corridor_graph_nodes": "MultiPolygon", "range_fragmentation": "MultiPolygon",
    "conflict_grid": "Polygon", "fragmentation": "MultiPolygon",
    "omniscape_top_cells": "Point", "migration_corridors": "MultiPolygon",
    "stopovers": "MultiPolygon", "corridor_barrier_conflict": "MultiLineString",
    "corridor_passage_candidates": "Point"}


def _outputs(ctx: RunContext, steps: list[StepReport], ranked: pd.DataFrame) -> str:
    from . import maps, report
    from . import store as atlas

    out = ctx.out_dir
    atlas_path = out / "atlas.gpkg"
    inputs = {k.split(":", 1)[1]: v for k, v in ctx.files.items() if k.startswith("input:")
              and Path(v).is_file()}
    params = {k: v for k, v in ctx.params.items() if k != "inputs"}
    params["steps"] = {s.step: s.status for s in steps}
    from .check import check_atlas_layers

    # every layer validated (and single parts promoted to multi) before it is written
    ctx.layers = check_atlas_layers(ctx.layers, nullable=_NULLABLE,
                                    geometry_types=_GEOMETRY_TYPES)
    run_id = atlas.update(atlas_path, ctx.layers, command="camigeo run", params=params,
                          inputs=inputs)
    ctx.files["atlas"] = atlas_path
    ctx.params["run_id"] = run_id
    summary = ctx.layers.get("conflict_summary")
    m = maps.conflict_map(
        ctx.data["ptcrs"], summary=summary, infrastructure=ctx.data["infrastructure"],
        ranges=ctx.data["ranges"], paths=ctx.layers.get("corridor_paths"),
        pinch_points=ctx.layers.get("pinch_points"),
        hotspots=ctx.layers.get("passage_hotspots"), tiles=ctx.params.get("tiles"))
    if "activities" in ctx.layers:
        from ..activities.report import activities_pages

        ctx.data.setdefault("extra_pages", []).extend(activities_pages(ctx.layers["activities"]))
    if "migration_corridors" in ctx.layers:
        from ..telemetry.migration_run import add_migration_layers, migration_page

        add_migration_layers(m, ctx.layers)
        ctx.data.setdefault("extra_pages", []).append(
            migration_page(ctx.layers, summary=ctx.data.get("migration_summary")))
    ctx.files["map"] = maps.save_map(m, out / "map.html")
    rsum = summary
    frag = ctx.layers.get("fragmentation")
    if rsum is not None and frag is not None and "m_eff_km2" in frag.columns:
        rsum = pd.DataFrame(rsum).merge(
            pd.DataFrame(frag[["ptcr_id", "m_eff_km2", "s_eff_per_1000km2"]]),
            on="ptcr_id", how="left")
    ctx.files["report"] = report.atlas_report(
        out / "atlas_report.pdf", ptcrs=ctx.data["ptcrs"],
        infrastructure=ctx.data["infrastructure"], ranges=ctx.data["ranges"],
        scores=ctx.layers.get("conflict_scores"), summary=rsum,
        countries=ctx.data.get("countries"),
        range_fragmentation=ctx.layers.get("range_fragmentation"), progress=ctx.progress,
        extra_pages=ctx.data.get("extra_pages"))
    return f"atlas run {run_id[:8]}, map, report"


def _write_summary(ctx: RunContext, res: RunResult) -> None:
    from .. import __version__
    from ..io.atomic import atomic_path

    out = ctx.out_dir
    if len(res.ranked):
        with atomic_path(out / "summary.csv") as tmp:
            res.ranked.to_csv(tmp, index=False)
        res.files["summary_csv"] = out / "summary.csv"
    parts = [
        "# camigeo run summary\n",
        f"camigeo {__version__}; Atlas run id `{res.run_id or '-'}`.\n",
        "Data: the bundled PTCR names, countries and species and the species table are the "
        "CAMI Work Programme's; PTCR outlines are approximations, species ranges indicative, "
        "infrastructure schematic (see docs/data.md); results are for screening, not for "
        "legal boundaries.\n",
        "## Steps\n", _md_table(res.steps_table(), floatfmt=".1f"),
        "## Layers loaded\n", _md_table(ctx.layers.get("layer_summary", pd.DataFrame()),
                                        floatfmt=",.1f"),
        "## PTCRs ranked by conflict score\n", *_score_words(res.ranked),
        _md_table(res.ranked), *_ranking_without_undocumented(res.ranked),
        "### Columns\n", _md_table(_glossary(res.ranked)),
    ]
    if "range_fragmentation" in ctx.layers:
        rf = pd.DataFrame(ctx.layers["range_fragmentation"]).drop(columns="geometry",
                                                                  errors="ignore")
        from .names import common_name

        rf.insert(0, "species", [common_name(n) or n for n in rf["sci_name"]])
        cols = ["species", "sci_name", "area_km2", "n_patches", "m_eff_km2",
                "m_eff_pct_of_range", "n_patches_documented", "m_eff_documented_km2"]
        parts += ["## Range fragmentation per species (effective mesh size, CUT)\n",
                  "`m_eff` counts every existing barrier, including border lines whose "
                  "fencing is not documented; the `documented` columns leave those out.\n",
                  _md_table(rf[cols].sort_values("m_eff_pct_of_range"), floatfmt=",.1f")]
    if "corridor_indices" in ctx.layers:
        from .names import common_name

        ci = pd.DataFrame(ctx.layers["corridor_indices"]).copy()
        if "species" in ci.columns:
            ci.insert(0, "common_name", [common_name(n) for n in ci["species"]])
        parts += ["## Corridor network indices per species\n",
                  _md_table(ci, floatfmt=",.4g")]
    if "activities" in ctx.layers:
        parts += ["## Activities of the Work Programmes\n",
                  "One row per registered spatial activity (`camigeo activity list`): its "
                  "headline figure, or the data it needs.\n",
                  _md_table(ctx.layers["activities"][["activity_id", "status", "headline"]])]
    parts += ["## Files\n", "\n".join(f"- `{k}`: {v}" for k, v in res.files.items()
                                       if not k.startswith("input:")) + "\n"]
    with atomic_path(out / "summary.md") as tmp:
        tmp.write_text("\n".join(parts), encoding="utf-8")
    res.files["summary_md"] = out / "summary.md"


#: Unit and meaning of the columns of the ranked PTCR table (summary.md, summary.csv).
COLUMN_GLOSSARY: dict[str, tuple[str, str]] = {
    "rank": ("-", "1 = highest conflict score"),
    "ptcr_id": ("-", "PTCR number (as on the map and in the report)"),
    "name": ("-", "PTCR name"),
    "conflict_score": ("weighted km per 1,000 km², summed over species",
                       "sum over the species whose range overlaps the PTCR of the "
                       "impermeability-weighted barrier length inside that part of the "
                       "range per 1,000 km² of it"),
    "rank_documented": ("-", "rank by conflict_score_documented"),
    "conflict_score_documented": ("weighted km per 1,000 km², summed over species",
                                  "the same score without the border lines whose fencing is "
                                  "not documented"),
    "species_affected": ("count", "species with weighted barrier length > 0 in their range"),
    "n_species": ("count", "species whose (indicative) range overlaps the PTCR"),
    "weighted_length_km": ("km", "barrier length x impermeability weight, summed over "
                                 "species ranges in the PTCR"),
    "m_eff_km2": ("km²", "effective mesh size of the PTCR cut by every existing barrier "
                         "(CUT); smaller = more fragmented"),
}


def _undocumented_weight() -> float | None:
    try:
        from ..barriers.conflict import default_weights
    except ImportError:
        return None
    w = default_weights()
    sel = w[(w["infra_type"] == "border_fence") & (w["fence_class"].astype(object)
                                                     == "unknown")]
    return float(sel["weight"].max()) if len(sel) else None


def _score_words(ranked: pd.DataFrame) -> list[str]:
    if ranked.empty:
        return []
    from .plot import SCORE_EXPLAINED

    w = _undocumented_weight()
    words = [SCORE_EXPLAINED + "\n"]
    if w is not None:
        words.append(f"Borders whose fencing is not documented count with weight {w:g} "
                     f"(a documented impermeable fence counts 1, an open border 0): neither "
                     f"open nor a proven fence. `conflict_score_documented` and "
                     f"`rank_documented` leave them out.\n")
    return words


def _ranking_without_undocumented(ranked: pd.DataFrame) -> list[str]:
    if ranked.empty or "rank_documented" not in ranked.columns:
        return []
    cols = [c for c in ("rank_documented", "ptcr_id", "name", "conflict_score_documented",
                        "rank", "conflict_score") if c in ranked.columns]
    t = ranked[cols].sort_values(["rank_documented", "ptcr_id"])
    return ["### Ranking without the borders whose fencing is not documented\n",
            _md_table(t)]


def _glossary(ranked: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for c in ranked.columns:
        if c in COLUMN_GLOSSARY:
            unit, meaning = COLUMN_GLOSSARY[c]
        elif c.startswith("length_km_"):
            t = c[len("length_km_"):]
            unit = "km"
            meaning = (f"geodesic length of {t.replace('_', ' ')} lines in the PTCR"
                       + (" (fenced or not: border lines)" if t == "border_fence" else ""))
        else:
            unit, meaning = "", ""
        rows.append({"column": f"`{c}`", "unit": unit, "meaning": meaning})
    return pd.DataFrame(rows)


def run_all(
    *,
    out_dir: str | os.PathLike[str] = "outputs",
    ptcrs: str | os.PathLike[str] | None = None,
    ranges: str | os.PathLike[str] | None = None,
    infrastructure: str | os.PathLike[str] | None = None,
    species: Sequence[str] | None = None,
    circuit_species: str = DEFAULT_CIRCUIT_SPECIES,
    corridor_cell_km: float = 5.0,
    corridor_adjacency: Literal["both", "cost", "euclidean", "all"] = "both",
    circuit_cell_km: float = 10.0,
    grid_cell_km: float = 25.0,
    pinch_cutoff: float = 200_000.0,
    tracks: str | os.PathLike[str] | None = None,
    d_m: float = 1000.0,
    migration_cell_m: float = 250.0,
    osm: str | os.PathLike[str] | None = None,
    osm_corridor_km: float = 20.0,
    tiles: str | None = "OpenStreetMap",
    skip: Sequence[str] = (),
    progress: bool = False,
    on_step: Callable[[StepReport], None] | None = None,
) -> RunResult:
    """Run the main job and write the Atlas, map, report and summary into ``out_dir``.

    Parameters
    ----------
    out_dir : path, default "outputs"
        Output folder (created).
    ptcrs, ranges, infrastructure : path, optional
        Files replacing the bundled layers (validated with :func:`camigeo.read_layer`).
    species : sequence of str, optional
        Species for the corridor step (default: the migratory ungulates of the species
        table).
    circuit_species : str, default "Equus hemionus"
        Species of the circuit step.
    corridor_cell_km, circuit_cell_km, grid_cell_km : float
        Cell sizes (km) of the corridor and circuit grids and of the hexagonal conflict
        grid. The defaults keep the run within a few minutes on 2 cores.
    corridor_adjacency : {"both", "cost", "euclidean", "all"}, default "both"
        Which PTCR pairs the corridor step links (``corridor_links(adjacency=...)``):
        Linkage Mapper's default network, pairs whose cost-weighted or Euclidean
        allocation zones touch (``"both"``), or every pair (``"all"``).
    pinch_cutoff : float, default 200000
        NLCC cutoff (cost units = resistance × metres) for the pinch-point corridors.
    tracks : path, optional
        GPS fixes (Movebank CSV or a vector file); runs the telemetry step (BaBA against the
        fences, border fences and railways) only when given.
    d_m : float, default 1000
        BaBA buffer distance (metres) for the telemetry step.
    migration_cell_m : float, default 250
        Grid cell (metres) of the migration corridors mapped from ``tracks``.
    osm : path, optional
        OSM extract (``.osm.pbf``; extra ``osm``): before any analysis, every
        infrastructure line is replaced by its route through the extract's ways of the same
        ``infra_type`` and ``status`` (:func:`camigeo.conflate_lines`); lines without a
        route keep their geometry. The layer then has ``geometry_source`` and
        ``conflate_note`` columns, and the extract's SHA-256 is in the provenance.
    osm_corridor_km : float, default 20
        Half-width of the corridor the OSM route must stay in (km).
    tiles : str or None
        Basemap of ``map.html``.
    skip : sequence of str
        Steps to leave out (of :data:`STEPS`, except ``load`` and ``outputs``).
    progress : bool, default False
        tqdm progress bars.
    on_step : callable, optional
        Called with each :class:`StepReport` as it finishes (the CLI logs them).

    Returns
    -------
    RunResult
    """
    bad = [s for s in skip if s not in STEPS or s in ("load", "outputs")]
    if bad:
        raise CamigeoError(f"skip: unknown or required step(s) {bad}; skippable steps are "
                           f"{[s for s in STEPS if s not in ('load', 'outputs')]}.")
    if corridor_adjacency not in ("both", "cost", "euclidean", "all"):
        raise CamigeoError(f"corridor_adjacency: expected 'both', 'cost', 'euclidean' or "
                           f"'all'; got {corridor_adjacency!r}.")
    if not (isinstance(osm_corridor_km, int | float) and osm_corridor_km > 0):
        raise CamigeoError(f"osm_corridor_km must be a number > 0 (km); got "
                           f"{osm_corridor_km!r}.")
    if not min(corridor_cell_km, circuit_cell_km, grid_cell_km) > 0:  # also NaN
        raise CamigeoError("corridor_cell_km, circuit_cell_km and grid_cell_km must be > 0 km.")
    from ..datasets.species import resolve_species  # before any work: unknown names fail at once

    for name in [*(species or []), *([circuit_species] if ranges is None else [])]:
        resolve_species(name)  # (custom ranges may name a circuit species of their own)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ctx = RunContext(out_dir=out,
               inputs={"ptcrs": Path(ptcrs) if ptcrs else None,
                       "ranges": Path(ranges) if ranges else None,
                       "infrastructure": Path(infrastructure) if infrastructure else None},
               params={"species": list(species) if species else None,
                       "circuit_species": circuit_species,
                       "corridor_cell_km": corridor_cell_km,
                       "corridor_adjacency": corridor_adjacency,
                       "circuit_cell_km": circuit_cell_km,
                       "grid_cell_km": grid_cell_km, "pinch_cutoff": pinch_cutoff,
                       "tracks": str(tracks) if tracks else None, "d_m": d_m,
                       "migration_cell_m": migration_cell_m,
                       "osm": str(osm) if osm else None, "osm_corridor_km": osm_corridor_km,
                       "tiles": tiles, "skip": list(skip)},
               progress=progress)
    res = RunResult(out_dir=out)
    funcs: dict[str, Callable[[RunContext], str]] = {
        "load": step_load, "summary": _summary, "conflict": _conflict,
        "fragmentation": _fragmentation, "corridors": step_corridors, "circuit": step_circuit,
        "activities": _activities, "telemetry": _telemetry}

    def record(rep: StepReport) -> None:
        res.steps.append(rep)
        # a step left out on request or without tracks is normal (quiet under --quiet); a
        # failed step, or one whose module is missing, is worth a warning
        expected = rep.status == "ok" or (rep.status == "skipped" and (
            rep.note == "skipped on request" or rep.note.startswith("no tracks given")))
        level = logging.INFO if expected else logging.WARNING
        log.log(level, "step %-13s %-7s %6.1f s  %s", rep.step, rep.status, rep.seconds,
                rep.note)
        if on_step is not None:
            on_step(rep)

    steps_iter: Sequence[str] = STEPS[:-1]
    if progress:
        from tqdm.auto import tqdm

        steps_iter = tqdm(STEPS[:-1], desc="camigeo run", unit="step")
    for step in steps_iter:
        if step in skip:
            record(StepReport(step, "skipped", 0.0, "skipped on request"))
            continue
        t0 = time.perf_counter()
        try:
            note = funcs[step](ctx)
            record(StepReport(step, "ok", time.perf_counter() - t0, note))
        except StepSkipped as exc:
            record(StepReport(step, "skipped", time.perf_counter() - t0, str(exc)))
        except Exception as exc:  # noqa: BLE001 - recorded; other steps still run
            if step == "load":
                raise
            log.debug("step %s failed", step, exc_info=True)
            msg = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            record(StepReport(step, "failed", time.perf_counter() - t0, msg))
    res.ranked = _ranked(ctx)
    t0 = time.perf_counter()
    note = _outputs(ctx, res.steps, res.ranked)
    res.run_id = ctx.params.get("run_id")
    res.files.update(ctx.files)
    record(StepReport("outputs", "ok", time.perf_counter() - t0, note))
    res.layers = ctx.layers
    _write_summary(ctx, res)
    return res
