"""The Work Programmes' spatial activities as ready-made analyses.

``list_activities()`` lists the registry (built from the source documents by
``scripts/data_activities.py``: seed file and line, quotation, PTCR or population unit,
species, places, recipe and parameters); ``run_activity("BD 7.4")`` runs the recipe that
answers an activity and returns an :class:`ActivityResult` (layers, a one-paragraph
finding with numbers and units, the assumptions). See docs/activities.md.

Examples
--------
>>> from camigeo.activities import run_activity
>>> res = run_activity("7.4")  # doctest: +SKIP
>>> print(res.finding)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from ._common import ActivityDataError, Layers
from .registry import (
    get_activity,
    list_activities,
    load_places,
    resolve_activity_id,
)
from .result import ActivityResult, layer_prefix

__all__ = ["ActivityDataError", "ActivityResult", "activity_table", "get_activity",
           "layer_prefix", "list_activities", "load_places", "resolve_activity_id",
           "run_activities", "run_activity"]

log = logging.getLogger(__name__)


class _TrackedParams(dict[str, Any]):
    """Recipe parameters that remember which names the recipe read."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.read.add(key)
        return super().__contains__(key)


def run_activity(activity_id: str, *, layers: Mapping[str, Any] | None = None,
                 out: str | os.PathLike[str] | None = None, tracks: Any = None,
                 params: Mapping[str, Any] | None = None,
                 _layers: Layers | None = None) -> ActivityResult:
    """Run the recipe that answers one Work Programme activity.

    Parameters
    ----------
    activity_id : str
        "BD 7.4", "WP 22.13", or a bare number when unambiguous ("7.4"; see
        :func:`resolve_activity_id`).
    layers : mapping, optional
        Layers replacing the bundled ones, as GeoDataFrames or file paths (read and
        validated with :func:`camigeo.read_layer`): ``ptcrs``, ``ranges``,
        ``infrastructure``, ``countries``, ``rivers``, ``lakes``, ``settlements``.
    out : path, optional
        Folder to write ``atlas.gpkg`` (layers ``activity_<id>_*``, versioned, provenance
        naming the activity), ``activity_<id>_map.html`` and ``activity_<id>.md``.
    tracks : path or GeoDataFrame, optional
        GPS fixes (Movebank CSV or point layer): used by the fence-crossing recipes (BaBA
        hotspots) and required by the track-corridor recipes (WP 21.3, 22.4).
    params : mapping, optional
        Overrides of the registry parameters of the recipe (e.g. ``{"cell_km": 5}``).

    Returns
    -------
    ActivityResult

    Raises
    ------
    ActivityDataError
        The activity needs data the layers do not hold (the message says which: format,
        columns, how to pass it).
    CamigeoError
        Unknown activity id or bad parameters.
    """
    from .._errors import CamigeoError
    from .recipes import RECIPES

    for nm, val in (("layers", layers), ("params", params)):
        if val is not None and not isinstance(val, Mapping):
            raise CamigeoError(f"{nm} must be a dict (name -> value) or None; got "
                               f"{type(val).__name__}. Pass e.g. {nm}={{'infrastructure': "
                               f"gdf}}." if nm == "layers" else f"{nm} must be a dict (name "
                               f"-> value) or None; got {type(val).__name__}. Pass e.g. "
                               f"params={{'buffer_m': 500}}.")
    if out is not None and os.path.exists(out) and not os.path.isdir(out):
        raise CamigeoError(f"out={str(out)!r} is an existing file; expected a folder for the "
                           f"Atlas, map and report. Pass a folder path.")
    act = get_activity(activity_id)
    tracked = _TrackedParams({**act["params"], **dict(params or {})})
    act["params"] = tracked
    fn = RECIPES.get(act["recipe"])
    if fn is None:  # pragma: no cover - registry and code are built together
        raise ActivityDataError(f"{act['activity_id']}: recipe {act['recipe']!r} unknown.")
    lay = _layers if _layers is not None else Layers(dict(layers or {}))
    log.info("activity %s: recipe %s", act["activity_id"], act["recipe"])
    res = fn(act, lay, tracks=tracks)
    unused = sorted(set(params or {}) - tracked.read)
    if unused:
        import warnings

        from .._errors import CamigeoWarning

        used = ", ".join(sorted(tracked.read)) or "none"
        warnings.warn(f"{act['activity_id']}: params {', '.join(map(repr, unused))} not used "
                      f"by recipe {act['recipe']!r} (it reads: {used}); check the spelling.",
                      CamigeoWarning, stacklevel=2)
    res.params.setdefault("seed", f"{act['seed_file']}:{act['seed_line']}")
    if out is not None:
        res.write(out)
    return res


def run_activities(ids: Sequence[str] | None = None, *,
                   layers: Mapping[str, Any] | None = None, tracks: Any = None,
                   out: str | os.PathLike[str] | None = None,
                   on_result: Callable[[str, ActivityResult | None, str], None] | None = None,
                   ) -> tuple[dict[str, ActivityResult], pd.DataFrame]:
    """Run several (default: all) registered activities; failures are recorded, not raised.

    Returns
    -------
    (dict, DataFrame)
        Results by id, and :func:`activity_table`-style rows (``activity_id``,
        ``recipe``, ``status`` ok/needs data/failed, ``headline``).
    """
    ids = list(ids) if ids is not None else list(list_activities()["activity_id"])
    lay = Layers(dict(layers or {}))
    results: dict[str, ActivityResult] = {}
    rows = []
    for aid in ids:
        try:
            res = run_activity(aid, _layers=lay, tracks=tracks, out=out)
            results[aid] = res
            rows.append({"activity_id": aid, "recipe": res.recipe, "status": "ok",
                         "headline": res.headline})
            msg = res.headline
        except ActivityDataError as exc:
            msg = str(exc)
            rows.append({"activity_id": aid, "recipe": get_activity(aid)["recipe"],
                         "status": "needs data", "headline": msg})
            res = None
        except Exception as exc:  # noqa: BLE001 - recorded; the other activities still run
            log.debug("activity %s failed", aid, exc_info=True)
            msg = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            rows.append({"activity_id": aid, "recipe": get_activity(aid)["recipe"],
                         "status": "failed", "headline": msg})
            res = None
        if on_result is not None:
            on_result(aid, res, msg)
    return results, pd.DataFrame(rows, columns=["activity_id", "recipe", "status", "headline"])


def activity_table(*, layers: Mapping[str, Any] | None = None,
                   tracks: Any = None) -> pd.DataFrame:
    """One row per registered activity with its headline figure (or the data it needs)."""
    return run_activities(layers=layers, tracks=tracks)[1]
