"""The ``camigeo`` command line (typer).

``camigeo run`` is the main job (see :mod:`camigeo.pipeline`); the other commands run one
analysis each and write their layers into an Atlas GeoPackage with provenance
(:mod:`camigeo.atlas`). Inputs default to the bundled data.

Exit codes: 0 success, 1 analysis error (a one-line message, no traceback), 2 usage error.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer

from ._cli_logging import setup_cli_logging
from ._errors import CamigeoError
from ._version import __version__

__all__ = ["app", "main"]

log = logging.getLogger("camigeo")

app = typer.Typer(
    name="camigeo",
    help="Barriers, corridors and connectivity for the CMS Central Asian Mammals Initiative.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
atlas_app = typer.Typer(help="Update, compare and inspect Atlas GeoPackages.",
                        no_args_is_help=True, rich_markup_mode=None)
app.add_typer(atlas_app, name="atlas")
from .activities.cli import activity_app  # noqa: E402 - light: typer only

app.add_typer(activity_app, name="activity")

F = TypeVar("F", bound=Callable[..., Any])

QuietOpt = Annotated[bool, typer.Option("--quiet", "-q",
                                        help="Only warnings and errors; no progress bars.")]
OutDirOpt = Annotated[Path, typer.Option("--out", "-o", help="Output folder.")]
AtlasOpt = Annotated[Path, typer.Option("--atlas", help="Atlas GeoPackage to update.")]
AdjacencyOpt = Annotated[Literal["both", "cost", "euclidean", "all"], typer.Option(
    "--adjacency",
    help="PTCR pairs to link: whose cost-weighted or Euclidean allocation zones touch "
         "(both; Linkage Mapper's default), one of these, or all pairs.")]


def _errors(fn: F) -> F:
    """Turn CamigeoError into a one-line message and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CamigeoError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _print_table(df: Any, *, max_rows: int = 60) -> None:
    import pandas as pd

    if df is None or len(df) == 0:
        typer.echo("(no rows)")
        return
    df = pd.DataFrame(df)
    # geometry columns (WKT of whole fence lines) make the console table unreadable
    geom = [c for c in df.columns if c == "geometry" or str(df[c].dtype) == "geometry"]
    if geom:
        df = df.drop(columns=geom)
    # whole-number id columns stored as float (e.g. FID_Fence0 from a GeoPackage) print as ids
    for c in df.columns:
        if "id" in str(c).lower() and pd.api.types.is_float_dtype(df[c]):
            v = df[c].dropna()
            if len(v) and bool((v == v.round()).all()):
                df[c] = df[c].astype("Int64")
    with pd.option_context("display.max_columns", 30, "display.width", 160,
                           "display.max_colwidth", 40, "display.float_format",
                           lambda v: f"{v:,.2f}"):
        typer.echo(df.head(max_rows).to_string(index=False))


def _folder_message(param: str, path: Path) -> str:
    """'is a folder' with the vector files inside it as suggestions."""
    found = sorted(p.name for p in path.iterdir()
                   if p.suffix.lower() in (".gpkg", ".shp", ".geojson", ".json", ".fgb",
                                           ".kml", ".gml"))[:5]
    hint = (f" Vector files in it: {', '.join(found)}; pass one, e.g. {path / found[0]}."
            if found else " It holds no vector file (.gpkg, .shp, .geojson ...).")
    return f"{param}: {path} is a folder, not a file.{hint}"


def _split_spec(spec: str | Path, param: str) -> tuple[Path, str | None]:
    """``PATH`` or ``PATH::LAYER`` -> (existing path, layer or None)."""
    path_s, _, lyr = str(spec).partition("::")
    path = Path(path_s)
    if path.is_dir():
        raise CamigeoError(_folder_message(param, path))
    if not path.is_file():
        raise CamigeoError(f"{param}: file {path} does not exist.")
    return path, lyr or None


def _read_spec(spec: str | Path, param: str, kind: str | None = None) -> tuple[Any, Path]:
    """Read ``PATH`` or ``PATH::LAYER``; a multi-layer file without a layer gets a CLI hint."""
    from . import io

    path, lyr = _split_spec(spec, param)
    if lyr is None and path.suffix.lower() == ".gpkg":
        import pyogrio

        names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
        if len(names) > 1:
            raise CamigeoError(f"{param}: {path} holds {len(names)} layers ({', '.join(names)})"
                               f"; choose one as {path}::LAYER, e.g. {path}::{names[0]}.")
    return io.read_layer(path, lyr, kind=kind), path


def _version_cb(value: bool) -> None:
    if value:
        typer.echo(f"camigeo {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version_cb,
                                          is_eager=True, help="Show the version.")] = False,
) -> None:
    """Camigeo command line."""


# ------------------------------------------------------------------------------- run
@app.command()
@_errors
def run(
    out: OutDirOpt = Path("outputs"),
    ptcrs: Annotated[Path | None, typer.Option(help="PTCR layer file (default: bundled).")] = None,
    ranges: Annotated[Path | None, typer.Option(help="Species range file (default: bundled).")
                      ] = None,
    infrastructure: Annotated[Path | None, typer.Option(
        help="Infrastructure lines file (default: bundled).")] = None,
    species: Annotated[list[str] | None, typer.Option(
        "--species", help="Corridor species (repeatable; default: migratory ungulates).")
    ] = None,
    circuit_species: Annotated[str, typer.Option(help="Species of the circuit step.")
                               ] = "Equus hemionus",
    corridor_cell_km: Annotated[float, typer.Option(help="Corridor grid cell size, km.")] = 5.0,
    adjacency: AdjacencyOpt = "both",
    circuit_cell_km: Annotated[float, typer.Option(help="Circuit grid cell size, km.")] = 10.0,
    grid_cell_km: Annotated[float, typer.Option(help="Conflict hexagon size, km.")] = 25.0,
    skip: Annotated[list[str] | None, typer.Option(
        "--skip", help="Step to leave out (summary, conflict, fragmentation, corridors, "
                       "circuit, activities); repeatable.")] = None,
    tiles: Annotated[str, typer.Option(help="Basemap of map.html ('none' for no basemap).")
                     ] = "OpenStreetMap",
    tracks: Annotated[Path | None, typer.Option(
        help="GPS fixes (Movebank CSV or vector file): also run the telemetry step.")] = None,
    d_m: Annotated[float, typer.Option("--d-m", help="BaBA buffer distance for --tracks, m.")
                   ] = 1000.0,
    osm: Annotated[Path | None, typer.Option(
        help="OSM extract (.osm.pbf): route the infrastructure lines through its ways first.")
    ] = None,
    osm_corridor_km: Annotated[float, typer.Option(
        help="Half-width of the corridor the OSM route must stay in, km.")] = 20.0,
    to: Annotated[str | None, typer.Option(
        "--to", help="Also export the Atlas to PostGIS (postgresql://...).")] = None,
    quiet: QuietOpt = False,
) -> None:
    """Run the main job on the bundled (or given) data and print the ranked PTCR table.

    Writes OUT/atlas.gpkg, map.html, atlas_report.pdf, summary.md/csv and the current COG.
    """
    from .atlas.pipeline import run_all

    setup_cli_logging(quiet)
    res = run_all(out_dir=out, ptcrs=ptcrs, ranges=ranges, infrastructure=infrastructure,
                  species=species or None, circuit_species=circuit_species,
                  corridor_cell_km=corridor_cell_km, corridor_adjacency=adjacency,
                  circuit_cell_km=circuit_cell_km,
                  grid_cell_km=grid_cell_km, skip=tuple(skip or ()), tracks=tracks, d_m=d_m,
                  osm=osm, osm_corridor_km=osm_corridor_km,
                  tiles=None if tiles.lower() == "none" else tiles, progress=not quiet)
    if to:
        from .atlas.store import export_postgis

        export_postgis(res.files["atlas"], to)
    typer.echo("\nPTCRs ranked by barrier conflict score (camigeo run):")
    _print_table(res.ranked)
    typer.echo("\nSteps:")
    for s in res.steps:
        typer.echo(f"  {s.step:<14}{s.status:<8}{s.seconds:7.1f} s  {s.note}")
    typer.echo("\nWritten:")
    for k, v in res.files.items():
        if not k.startswith("input:"):
            typer.echo(f"  {k}: {v}")
    if not res.ok:
        failed = [s.step for s in res.steps if s.status == "failed"]
        typer.echo(f"Error: step(s) failed: {', '.join(failed)} (see above); the other "
                   f"outputs were written.", err=True)
        raise typer.Exit(1)


# ----------------------------------------------------------------------------- score
def _load_inputs(ptcrs: Path | None, ranges: Path | None,
                 infrastructure: Path | None) -> tuple[Any, Any, Any, dict[str, Path]]:
    from . import datasets, io

    p = io.read_layer(ptcrs, kind="ptcr") if ptcrs else datasets.load_ptcrs()
    r = io.read_layer(ranges, kind="range") if ranges else datasets.load_ranges()
    i = (io.read_layer(infrastructure, kind="infrastructure") if infrastructure
         else datasets.load_infrastructure())
    inputs = {}
    for key, given, name in (("ptcrs", ptcrs, "ptcr"), ("ranges", ranges, "ranges"),
                             ("infrastructure", infrastructure, "infrastructure")):
        inputs[key] = Path(given) if given else datasets.get_path(name)
    return p, r, i, inputs


@app.command()
@_errors
def score(
    ptcrs: Annotated[Path | None, typer.Option(help="PTCR layer file (default: bundled).")] = None,
    ranges: Annotated[Path | None, typer.Option(help="Range file (default: bundled).")] = None,
    infrastructure: Annotated[Path | None, typer.Option(help="Lines (default: bundled).")
                              ] = None,
    status: Annotated[list[str] | None, typer.Option(
        "--status", help="Infrastructure status to count (repeatable; default existing).")
    ] = None,
    atlas: Annotated[Path | None, typer.Option(
        "--atlas", help="Write conflict_scores/conflict_summary into this Atlas.")] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Write the ranked table as CSV.")
                   ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Score barrier conflict for every PTCR and print the ranked table."""
    from .barriers import conflict

    setup_cli_logging(quiet)
    p, r, i, inputs = _load_inputs(ptcrs, ranges, infrastructure)
    st = tuple(status) if status else ("existing",)
    _check_filter("--status", st, i["status"] if "status" in i.columns else None)
    scores = conflict.score_conflict(p, r, i, status=st)
    summary = conflict.summarize_conflict(scores)
    summary = summary.merge(p[["ptcr_id", "name"]], on="ptcr_id", how="left") \
        if "name" not in summary.columns else summary
    if len(summary) == 0:
        raise CamigeoError("score: no PTCR overlaps a species range, so there is nothing to "
                           "score. Check that --ptcrs and --ranges cover the same area (and "
                           "their CRS).")
    _print_table(summary.sort_values("rank"))
    if csv:
        from .io.atomic import atomic_path

        with atomic_path(csv) as tmp:
            summary.sort_values("rank").to_csv(tmp, index=False)
    if atlas:
        from .atlas import store as atlas_mod

        atlas_mod.update(atlas, {"conflict_scores": scores, "conflict_summary": summary},
                         command="camigeo score", params={"status": list(st)},
                         inputs=inputs)
        typer.echo(f"Atlas updated: {atlas}")


def _check_filter(option: str, wanted: tuple[str, ...], column: Any) -> None:
    """Refuse a filter value that is not in the vocabulary or that selects no row."""
    import difflib

    from .io.validate import INFRA_STATUS

    bad = [w for w in wanted if w not in INFRA_STATUS]
    if bad:
        close = difflib.get_close_matches(bad[0], INFRA_STATUS, n=1, cutoff=0.5)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise CamigeoError(f"{option} {bad[0]!r} is not an infrastructure status; expected "
                           f"one of {', '.join(INFRA_STATUS)}.{hint}")
    if column is not None and not column.isin(wanted).any():
        have = column.value_counts().to_dict()
        raise CamigeoError(f"{option} {', '.join(wanted)} selects no line: the "
                           f"infrastructure layer has {have or 'no lines'}. Choose a status "
                           f"present in the layer.")


# ------------------------------------------------------------------------- corridors
@app.command()
@_errors
def corridors(
    species: Annotated[list[str] | None, typer.Option(
        "--species", help="Species (repeatable; default: the migratory ungulates).")] = None,
    cell_km: Annotated[float, typer.Option(help="Grid cell size, km.")] = 5.0,
    adjacency: AdjacencyOpt = "both",
    atlas: AtlasOpt = Path("outputs/atlas.gpkg"),
    quiet: QuietOpt = False,
) -> None:
    """Least-cost corridors between the PTCRs for migratory ungulates -> Atlas layers."""
    from .atlas import store as atlas_mod
    from .atlas.pipeline import RunContext, StepSkipped, step_corridors, step_load

    setup_cli_logging(quiet)
    ctx = RunContext(out_dir=atlas.parent, inputs={}, progress=not quiet,
               params={"species": list(species) if species else None,
                       "corridor_cell_km": cell_km, "corridor_adjacency": adjacency})
    step_load(ctx)
    try:
        note = step_corridors(ctx)
    except StepSkipped as exc:
        raise CamigeoError(f"corridors are not available in this installation: {exc}") from None
    typer.echo(note)
    layers = {k: v for k, v in ctx.layers.items() if k.startswith("corridor")}
    if not layers:
        raise CamigeoError("no corridor links were found for the chosen species.")
    _print_table(layers.get("corridor_links"))
    inputs = {k.split(":", 1)[1]: v for k, v in ctx.files.items() if k.startswith("input:")}
    atlas_mod.update(atlas, layers, command="camigeo corridors",
                     params={"species": species, "cell_km": cell_km, "adjacency": adjacency},
                     inputs=inputs)
    typer.echo(f"Atlas updated: {atlas}")


# --------------------------------------------------------------------------- circuit
@app.command()
@_errors
def circuit(
    ini: Annotated[Path | None, typer.Option(
        "--ini", help="Run a Circuitscape .ini file (writes Circuitscape's output files).")
    ] = None,
    output_dir: Annotated[Path | None, typer.Option(
        help="With --ini: write outputs here instead of the INI's output_file folder.")
    ] = None,
    species: Annotated[str, typer.Option(help="Species (bundled-data run).")
                       ] = "Equus hemionus",
    cell_km: Annotated[float, typer.Option(help="Grid cell size, km.")] = 10.0,
    out: OutDirOpt = Path("outputs"),
    quiet: QuietOpt = False,
) -> None:
    """Run circuit theory: a Circuitscape .ini, or current across PTCRs of one species.

    With --ini the INI's outputs are written; otherwise the cumulative current of SPECIES on
    the bundled data is written as a COG into OUT.
    """
    setup_cli_logging(quiet)
    if ini is not None:
        from .circuit import run_ini

        if not ini.is_file():
            raise CamigeoError(f"--ini: file {ini} does not exist.")
        result = run_ini(ini, output_dir=output_dir)
        res = result.get("resistances")
        if res is not None:
            import numpy as np

            typer.echo(np.array2string(np.asarray(res), precision=6, suppress_small=True))
        for f in result.get("files", []):
            typer.echo(f"wrote {f}")
        return
    from .atlas.pipeline import RunContext, StepSkipped, step_circuit, step_load

    ctx = RunContext(out_dir=out, inputs={}, progress=not quiet,
               params={"circuit_species": species, "circuit_cell_km": cell_km,
                       "corridor_cell_km": cell_km, "pinch_cutoff": 200_000.0})
    out.mkdir(parents=True, exist_ok=True)
    step_load(ctx)
    try:
        typer.echo(step_circuit(ctx))
    except StepSkipped as exc:
        raise CamigeoError(f"circuit step not available in this installation: {exc}") from None


@app.command()
@_errors
def omniscape(
    config: Annotated[Path, typer.Argument(help="Omniscape.jl .ini file.")],
    output_dir: Annotated[Path | None, typer.Option(
        help="Create the project_name folder here (default: next to the inputs).")] = None,
    threads: Annotated[int | None, typer.Option(
        help="Threads solving windows (default: every CPU if the INI says parallelize = "
             "true, else 1).", min=1)] = None,
    quiet: QuietOpt = False,
) -> None:
    """Omnidirectional connectivity: run an Omniscape.jl CONFIG.ini (moving window).

    Writes Omniscape's files (cum_currmap, flow_potential, normalized_cum_currmap, ...) into
    the INI's project_name folder, with a progress bar (windows done / total, ETA).
    """
    setup_cli_logging(quiet)
    from .circuit import run_omniscape

    if not config.is_file():
        raise CamigeoError(f"CONFIG: file {config} does not exist.")
    out = run_omniscape(config, output_dir=output_dir, progress=not quiet, threads=threads)
    res = out["result"]
    typer.echo(f"{res.n_windows} windows ({res.n_solved} carried current) in "
               f"{res.seconds:.1f} s; {len(res.reports)} needed the fallback solver")
    for f in out["files"]:
        typer.echo(f"wrote {f}")


# ------------------------------------------------------------------------- telemetry
@app.command()
@_errors
def telemetry(
    tracks: Annotated[str, typer.Argument(
        help="GPS fixes: Movebank CSV, or a vector file (PATH or PATH::LAYER).")],
    barriers: Annotated[str | None, typer.Option(
        help="Barrier lines, PATH or PATH::LAYER (default: bundled fences, border fences "
             "and railways).")] = None,
    d_m: Annotated[float, typer.Option("--d-m", "--d",
                                       help="BaBA buffer distance d, metres.")] = 1000.0,
    interval: Annotated[float | None, typer.Option(help="Fix interval (units).")] = None,
    b_time: Annotated[float, typer.Option(help="BaBA b_time (units).")] = 4.0,
    p_time: Annotated[float, typer.Option(help="BaBA p_time (units).")] = 36.0,
    w: Annotated[float, typer.Option(help="BaBA moving window w (units).")] = 168.0,
    units: Annotated[str, typer.Option(help="Time units: hours, mins, days.")] = "hours",
    tolerance: Annotated[float, typer.Option(
        help="BaBA tolerance (units): longest extra gap over which two encounter fixes "
             "are joined into one event.")
    ] = 0.0,
    max_cross: Annotated[int, typer.Option(
        help="BaBA max_cross: most crossings a Trace or Back_n_forth event may contain.")
    ] = 0,
    sd_multiplier: Annotated[float, typer.Option(
        help="BaBA sd_multiplier: width of the average-movement band, in SDs.")
    ] = 1.0,
    exclude_buffer: Annotated[bool, typer.Option(
        "--exclude-buffer/--include-buffer",
        help="BaBA exclude_buffer: leave the encounter fixes out of the moving-window "
             "straightness.")] = False,
    barrier_id_col: Annotated[str | None, typer.Option(
        help="Barrier id column (default: infra_id when present, else the row number).")
    ] = None,
    min_total_enc: Annotated[int, typer.Option(
        help="Ranking: features with fewer encounters get no index.")] = 0,
    bin_km: Annotated[float, typer.Option(help="Hotspot segment length along barriers, km.")
                      ] = 1.0,
    top_k: Annotated[int, typer.Option(help="Number of recommended passage segments.")] = 10,
    atlas: AtlasOpt = Path("outputs/atlas.gpkg"),
    quiet: QuietOpt = False,
) -> None:
    """Classify barrier behaviour in GPS tracks (BaBA) and rank barriers.

    Writes barrier_events, barrier_ranking and passage_hotspots into the Atlas.
    """
    from . import datasets
    from .atlas import store as atlas_mod
    from .telemetry import run_telemetry

    setup_cli_logging(quiet)
    track_path, _lyr = _split_spec(tracks, "tracks")
    if track_path.suffix.lower() == ".csv":
        from .io.movebank import read_movebank

        fixes = read_movebank(track_path)
    else:
        fixes, track_path = _read_spec(tracks, "tracks", kind="tracks")
    if barriers is not None:
        bar, bar_path = _read_spec(barriers, "barriers")
        inputs = {"tracks": track_path, "barriers": bar_path}
    else:
        bar = datasets.load_infrastructure(infra_type=["fence", "border_fence", "railway"])
        inputs = {"tracks": track_path, "barriers": datasets.get_path("infrastructure")}
    layers = run_telemetry(fixes, bar, d=d_m, interval=interval, b_time=b_time, p_time=p_time,
                           w=w, units=units, tolerance=tolerance, max_cross=max_cross,
                           sd_multiplier=sd_multiplier, exclude_buffer=exclude_buffer,
                           barrier_id_col=barrier_id_col, min_total_enc=min_total_enc,
                           bin_km=bin_km, top_k=top_k)
    ev = layers.get("barrier_events")
    if ev is not None and len(ev) and "eventTYPE" in ev.columns:
        typer.echo("Encounter classes:")
        _print_table(ev["eventTYPE"].value_counts().rename_axis("class").reset_index())
    typer.echo("Barrier ranking (top 20; all columns are in the Atlas layer):")
    rank = layers.get("barrier_ranking")
    if rank is not None:
        fc = "fence_class_telemetry" if "fence_class_telemetry" in rank.columns else "fence_class"
        keep = ["rank", "barrier_id", "infra_type", "name", "total_enc", "unique_ind", "index",
                "n_encounters", "n_crossed", "permeability", "ci_low", "ci_high", fc]
        rank = rank[[c for c in keep if c in rank.columns]]
    _print_table(rank, max_rows=20)
    atlas_mod.update(atlas, layers, command="camigeo telemetry",
                     params={"d_m": d_m, "interval": interval, "b_time": b_time,
                             "p_time": p_time, "w": w, "units": units,
                             "tolerance": tolerance, "max_cross": max_cross,
                             "sd_multiplier": sd_multiplier,
                             "exclude_buffer": exclude_buffer,
                             "barrier_id_col": barrier_id_col,
                             "min_total_enc": min_total_enc, "bin_km": bin_km,
                             "top_k": top_k}, inputs=inputs)
    typer.echo(f"Atlas updated: {atlas}")


# ------------------------------------------------------------------------- migration
@app.command()
@_errors
def migration(
    tracks: Annotated[str, typer.Argument(
        help="GPS fixes: Movebank CSV, or a vector file (PATH or PATH::LAYER).")],
    season: Annotated[list[str] | None, typer.Option(
        help="Season date window NAME=MM-DD:MM-DD (UTC, repeatable), e.g. "
             "spring=03-15:05-31. Default: migrations found from net squared displacement."
    )] = None,
    barriers: Annotated[str | None, typer.Option(
        help="Barrier lines, PATH or PATH::LAYER (default: bundled infrastructure).")] = None,
    location_error_m: Annotated[float, typer.Option(help="GPS location error, m.")] = 20.0,
    cell_size_m: Annotated[float, typer.Option(help="Grid cell size, m.")] = 250.0,
    time_step_min: Annotated[float, typer.Option(help="Bridge integration step, min.")
                             ] = 10.0,
    max_lag_min: Annotated[float | None, typer.Option(
        help="Steps longer than this (min) are not bridged.")] = None,
    out: OutDirOpt = Path("outputs"),
    atlas: AtlasOpt = Path("outputs/atlas.gpkg"),
    quiet: QuietOpt = False,
) -> None:
    """Map migration corridors and stopovers from GPS collars (Brownian bridges).

    Writes migration_sequences, migration_corridors, stopovers, corridor_barrier_conflict
    and corridor_passage_candidates into the Atlas and the corridor rasters into --out.
    """
    from . import datasets
    from .atlas import store as atlas_mod
    from .telemetry import run_migration

    setup_cli_logging(quiet)
    seasons = None
    if season:
        seasons = {}
        for item in season:
            name, _, win = item.partition("=")
            start, _, end = win.partition(":")
            if not (name and start and end):
                raise CamigeoError(f"--season {item!r}: expected NAME=MM-DD:MM-DD, e.g. "
                                   f"spring=03-15:05-31.")
            seasons[name] = (start, end)
    track_path, _lyr = _split_spec(tracks, "tracks")
    if track_path.suffix.lower() == ".csv":
        from .io.movebank import read_movebank

        fixes = read_movebank(track_path)
    else:
        fixes, track_path = _read_spec(tracks, "tracks", kind="tracks")
    if barriers is not None:
        bar, bar_path = _read_spec(barriers, "barriers")
    else:
        bar, bar_path = datasets.load_infrastructure(), datasets.get_path("infrastructure")
    run = run_migration(fixes, barriers=bar, ptcrs=datasets.load_ptcrs(), seasons=seasons,
                        location_error_m=location_error_m, cell_size_m=cell_size_m,
                        time_step_min=time_step_min, max_lag_min=max_lag_min,
                        progress=not quiet)
    typer.echo("Migration sequences:")
    _print_table(run.corridors.sequences[["sequence_id", "individual_id", "season", "year",
                                          "fixes", "distance_km", "motion_variance",
                                          "footprint_km2"]])
    typer.echo("Barriers inside high-use corridors (km):")
    _print_table(run.summary)
    files = run.write_rasters(out)
    atlas_mod.update(atlas, run.layers, command="camigeo migration",
                     params={"seasons": seasons, "location_error_m": location_error_m,
                             "cell_size_m": cell_size_m, "time_step_min": time_step_min,
                             "max_lag_min": max_lag_min},
                     inputs={"tracks": track_path, "barriers": bar_path})
    typer.echo(f"Atlas updated: {atlas}; rasters: {', '.join(str(f) for f in files.values())}")


# ---------------------------------------------------------------------------- screen
@app.command()
@_errors
def screen(
    planned: Annotated[Path, typer.Argument(help="Planned line/footprint file.")],
    buffer_m: Annotated[float, typer.Option(help="Effect buffer, metres.")] = 5000.0,
    layer: Annotated[str | None, typer.Option(help="Layer of a multi-layer file.")] = None,
    out: OutDirOpt = Path("outputs"),
    quiet: QuietOpt = False,
) -> None:
    """Screen a planned project before approval.

    Reports PTCRs and ranges entered, km inside, change of conflict score and m_eff; writes
    an HTML report and a GeoPackage into OUT.
    """
    from .barriers.screening import screen_file

    setup_cli_logging(quiet)
    if planned.is_dir():
        raise CamigeoError(_folder_message("planned", planned))
    if not planned.is_file():
        raise CamigeoError(f"planned: file {planned} does not exist.")
    res = screen_file(planned, out_dir=out, buffer_m=buffer_m, layer=layer)
    if hasattr(res, "ptcr_table"):
        typer.echo("PTCRs entered:")
        _print_table(res.ptcr_table)
    typer.echo("Per PTCR and species:")
    _print_table(res.table)
    for key in ("html_path", "gpkg_path"):
        if res.params.get(key):
            typer.echo(f"wrote {res.params[key]}")


# ------------------------------------------------------------------------------- map
@app.command("map")
@_errors
def map_(
    atlas: Annotated[Path | None, typer.Option(
        help="Atlas to map (default: outputs/atlas.gpkg if it exists, else bundled data).")
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output HTML file.")
                   ] = Path("outputs/map.html"),
    tiles: Annotated[str, typer.Option(help="Basemap ('none' for no basemap).")
                     ] = "OpenStreetMap",
    quiet: QuietOpt = False,
) -> None:
    """Write the interactive meeting map (one standalone HTML file, works offline)."""
    from . import datasets
    from .atlas import maps

    setup_cli_logging(quiet)
    src = atlas if atlas is not None else Path("outputs/atlas.gpkg")
    layers: dict[str, Any] = {}
    if src.is_file():
        from .atlas.store import list_atlas_layers, read_atlas_layer

        for name in list_atlas_layers(src):
            if name in ("ptcr", "conflict_summary", "infrastructure", "ranges",
                        "corridor_paths", "pinch_points", "passage_hotspots"):
                layers[name] = read_atlas_layer(src, name)
    elif atlas is not None:
        raise CamigeoError(f"--atlas: no Atlas GeoPackage at {atlas}.")
    m = maps.conflict_map(
        layers.get("ptcr", datasets.load_ptcrs() if "ptcr" not in layers else None),
        summary=layers.get("conflict_summary"),
        infrastructure=layers.get("infrastructure", datasets.load_infrastructure()),
        ranges=layers.get("ranges", datasets.load_ranges()),
        paths=layers.get("corridor_paths"), pinch_points=layers.get("pinch_points"),
        hotspots=layers.get("passage_hotspots"),
        tiles=None if tiles.lower() == "none" else tiles)
    typer.echo(f"wrote {maps.save_map(m, out)}")


# ----------------------------------------------------------------------------- atlas
@atlas_app.command("update")
@_errors
def atlas_update(
    atlas: Annotated[Path, typer.Argument(help="Atlas GeoPackage (created if missing).")],
    inputs: Annotated[list[str], typer.Argument(
        help="Layer files, each PATH or PATH::LAYER (GeoPackage layer).")],
    name: Annotated[str | None, typer.Option(
        help="Atlas layer name (only with a single input; default: source layer or stem).")
    ] = None,
    kind: Annotated[str | None, typer.Option(
        help="Validate as ptcr, range, infrastructure or tracks.")] = None,
    to: Annotated[str | None, typer.Option(
        "--to", help="Afterwards export the Atlas to PostGIS (postgresql://...).")] = None,
    quiet: QuietOpt = False,
) -> None:
    """Add new versions of layers to an Atlas (atomic, locked, with provenance)."""
    from . import io
    from .atlas import store as atlas_mod

    setup_cli_logging(quiet)
    if name and len(inputs) > 1:
        raise CamigeoError("--name: only allowed with a single input file.")
    layers: dict[str, Any] = {}
    files: dict[str, Path] = {}
    for spec in inputs:
        path, lyr = _split_spec(spec, "inputs")
        gdf = io.read_layer(path, lyr, kind=kind)
        lname = name or lyr or path.stem
        layers[lname] = gdf
        files[lname] = path
    run_id = atlas_mod.update(atlas, layers, command="camigeo atlas update",
                              params={"inputs": inputs, "kind": kind}, inputs=files)
    typer.echo(f"Atlas {atlas} updated (run {run_id}): "
               + ", ".join(f"{k} ({len(v)} rows)" for k, v in layers.items()))
    if to:
        written = atlas_mod.export_postgis(atlas, to)
        typer.echo(f"exported {len(written)} tables to PostGIS")


@atlas_app.command("diff")
@_errors
def atlas_diff(
    old: Annotated[Path, typer.Argument(help="Older Atlas GeoPackage.")],
    new: Annotated[Path, typer.Argument(help="Newer Atlas GeoPackage.")],
    html: Annotated[Path | None, typer.Option("--html", help="Write an HTML report.")] = None,
    quiet: QuietOpt = False,
) -> None:
    """Compare two Atlases: features per layer, barrier km per PTCR, conflict scores."""
    from .atlas import store as atlas_mod

    setup_cli_logging(quiet)
    d = atlas_mod.diff(old, new)
    typer.echo("Layers:")
    _print_table(d.table)
    typer.echo("\nBarrier km added per PTCR:")
    _print_table(d.km_added)
    typer.echo("\nConflict score changes:")
    _print_table(d.score_changes)
    if html:
        d.to_html(html)
        typer.echo(f"\nwrote {html}")


@atlas_app.command("history")
@_errors
def atlas_history(
    atlas: Annotated[Path, typer.Argument(help="Atlas GeoPackage.")],
    quiet: QuietOpt = False,
) -> None:
    """Provenance of every update: run id, UTC time, version, command, layers."""
    from .atlas import store as atlas_mod

    setup_cli_logging(quiet)
    h = atlas_mod.history(atlas)
    h = h.assign(layers=h["layers"].map(lambda d: ", ".join(f"{k}={v}" for k, v in d.items())),
                 inputs=h["inputs"].map(len))
    _print_table(h[["run_id", "time_utc", "camigeo_version", "command", "inputs", "layers"]])


@atlas_app.command("export")
@_errors
def atlas_export(
    atlas: Annotated[Path, typer.Argument(help="Atlas GeoPackage.")],
    to: Annotated[str, typer.Option("--to", help="postgresql://user@host/db")],
    schema: Annotated[str, typer.Option(help="Target schema.")] = "public",
    quiet: QuietOpt = False,
) -> None:
    """Copy the current Atlas layers and metadata tables into PostGIS."""
    from .atlas import store as atlas_mod

    setup_cli_logging(quiet)
    written = atlas_mod.export_postgis(atlas, to, schema=schema)
    typer.echo(f"exported {len(written)} tables: {', '.join(written)}")


def main(argv: list[str] | None = None) -> None:
    """Console entry point (``camigeo``): exit 0 ok, 1 analysis error, 2 usage error."""
    try:
        app(args=argv, prog_name="camigeo")
    except CamigeoError as exc:  # raised outside a command (e.g. in a callback)
        typer.echo(f"Error: {exc}", err=True)
        sys.exit(1)
