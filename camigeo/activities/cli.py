"""``camigeo activity list|show|run``: the Work Programmes' activities on the command line.

Registered on the main app by :mod:`camigeo.cli` (``app.add_typer(activity_app, ...)``);
heavy imports happen inside the commands so ``camigeo --help`` stays fast.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from .. import CamigeoError
from .._cli_logging import setup_cli_logging

__all__ = ["activity_app"]

F = TypeVar("F", bound=Callable[..., Any])

activity_app = typer.Typer(
    help="The spatial activities of the CAMI and Bukhara Deer Work Programmes as "
         "ready-made analyses (camigeo activity run 7.4).",
    no_args_is_help=True, rich_markup_mode=None)


def _errors(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CamigeoError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _table(df: Any) -> None:
    import pandas as pd

    with pd.option_context("display.max_columns", 20, "display.width", 160,
                           "display.max_colwidth", 70):
        typer.echo(pd.DataFrame(df).to_string(index=False))


@activity_app.command("list")
@_errors
def list_cmd(
    recipe: Annotated[str | None, typer.Option(help="Only this recipe family.")] = None,
) -> None:
    """List the registered spatial activities (id, recipe, PTCR or population unit)."""
    from . import list_activities

    df = list_activities()
    if recipe:
        df = df[df["recipe"] == recipe]
    df = df.assign(where=df["ptcr"].where(df["ptcr"] != "", df["population_unit"]),
                   quote=df["quote"].str.slice(0, 60) + "…")
    _table(df[["activity_id", "recipe", "where", "quote"]])


@activity_app.command("show")
@_errors
def show(activity_id: Annotated[str, typer.Argument(help="e.g. 7.4, 'BD 7.4', WP22.13")]) -> None:
    """Show one activity: citation, quotation, places, recipe, parameters, assumptions."""
    import json

    from . import get_activity, load_places

    a = get_activity(activity_id)
    typer.echo(f"{a['activity_id']} — {a['document_title']}")
    typer.echo(f"source: {a['seed_file']} line {a['seed_line']}")
    typer.echo(f"quote: \"{a['quote']}\"")
    if a["ptcr"]:
        typer.echo(f"PTCR: {a['ptcr']}")
    if a["population_unit"]:
        typer.echo(f"population unit: {a['population_unit']}")
    typer.echo(f"species: {', '.join(a['species']) or '-'}")
    if a["places"]:
        pl = load_places().set_index("place")
        typer.echo("places:")
        for p in a["places"]:
            r = pl.loc[p]
            typer.echo(f"  {p}: {r['lat']:.3f} °N {r['lon']:.3f} °E ±{r['accuracy_km']:g} km "
                       f"({r['source']})")
    typer.echo(f"recipe: {a['recipe']}")
    typer.echo(f"parameters: {json.dumps(a['params'], ensure_ascii=False)}")
    typer.echo(f"assumptions: {a['assumptions']}")


@activity_app.command("run")
@_errors
def run(
    activity_id: Annotated[str | None, typer.Argument(help="e.g. 7.4 or 'WP 21.4'.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Run every registered activity.")] = False,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("outputs"),
    tracks: Annotated[Path | None, typer.Option(
        help="GPS fixes (Movebank CSV or point layer) for the track recipes.")] = None,
    ptcrs: Annotated[Path | None, typer.Option(help="PTCR layer replacing the bundled one.")
                     ] = None,
    ranges: Annotated[Path | None, typer.Option(help="Range layer replacing the bundled one.")
                      ] = None,
    infrastructure: Annotated[Path | None, typer.Option(
        help="Infrastructure layer replacing the bundled one.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress.")] = False,
) -> None:
    """Run one activity (or --all) and write its layers, map and report section.

    Run one activity (or --all): writes activity_<id>_* Atlas layers into OUT/atlas.gpkg,
    a map OUT/activity_<id>_map.html and a report section OUT/activity_<id>.md.
    """
    from . import run_activities, run_activity

    setup_cli_logging(quiet)
    if (activity_id is None) == (not all_):
        raise CamigeoError("give one ACTIVITY_ID or --all (not both); list them with "
                           "`camigeo activity list`.")
    for name, p in (("tracks", tracks), ("ptcrs", ptcrs), ("ranges", ranges),
                    ("infrastructure", infrastructure)):
        if p is not None and not p.exists():
            raise CamigeoError(f"--{name}: file {p} does not exist.")
    layers = {k: v for k, v in (("ptcrs", ptcrs), ("ranges", ranges),
                                ("infrastructure", infrastructure)) if v is not None}
    if activity_id is not None:
        res = run_activity(activity_id, layers=layers, tracks=tracks, out=out)
        typer.echo(res.finding)
        typer.echo("Assumptions:")
        for a in res.assumptions:
            typer.echo(f"  - {a}")
        for k, v in res.files.items():
            typer.echo(f"wrote {k}: {v}")
        return
    from tqdm.auto import tqdm

    from . import list_activities

    ids = list(list_activities()["activity_id"])
    bar = tqdm(total=len(ids), desc="activities", unit="activity", disable=quiet,
               file=sys.stderr)

    def step(aid: str, res: Any, msg: str) -> None:
        bar.set_postfix_str(aid)
        bar.update(1)

    _, table = run_activities(ids, layers=layers, tracks=tracks, out=out, on_result=step)
    bar.close()
    table["headline"] = table["headline"].str.slice(0, 110)
    _table(table[["activity_id", "status", "headline"]])
    typer.echo(f"wrote {out / 'atlas.gpkg'} and one map and report section per activity")
    if (table["status"] == "failed").any():
        raise typer.Exit(1)
