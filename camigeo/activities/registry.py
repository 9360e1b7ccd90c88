"""The activity registry: spatial activities of the CAMI and Bukhara Deer Work Programmes.

The registry (``data/activities/activities.csv``) and the places it names
(``places.csv``) are built by ``scripts/data_activities.py`` from the source documents:
each row cites the seed file and line, quotes the activity, and names the recipe that
answers it with its parameters and the assumptions made.

Activity ids carry a document prefix: ``"WP 22.13"`` (CAMI Work Programme 2026–2032) and
``"BD 7.4"`` (Bukhara Deer Work Programme 2025–2032). **Resolution rule**: only *spatial
activities in the registry* are considered; an id without prefix (``"7.4"``) resolves
when exactly one registered activity has that number, so ``"7.4"`` is BD 7.4 (WP 7.4, on
anti-poaching, is not a spatial activity and not registered); when both documents have a
registered activity with the number, the prefix is required. Prefixes are case-insensitive
and the space is optional (``"bd7.4"``).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from .. import CamigeoError, DataNotFoundError

__all__ = ["ACTIVITY_COLUMNS", "activities_dir", "get_activity", "list_activities",
           "load_places", "resolve_activity_id"]

#: Columns of the registry table.
ACTIVITY_COLUMNS = ("activity_id", "document", "number", "seed_file", "seed_line", "quote",
                    "ptcr", "population_unit", "species", "places", "recipe", "params_json",
                    "assumptions")
_DOCS = {"WP": "CAMI Work Programme 2026–2032 (UNEP/CMS/CAMI3/Outcome 1)",
         "BD": "Bukhara Deer Work Programme 2025–2032 (UNEP/CMS/BKD/MOS3/Doc.4)"}


def activities_dir() -> Path:
    """Folder of the registry files (``<bundled data>/activities``).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataNotFoundError
        No ``activities/`` folder in the data folder nor next to the package.
    """
    import camigeo

    candidates = []
    try:
        candidates.append(camigeo.datasets.data_dir() / "activities")
    except CamigeoError:
        pass
    here = Path(__file__).resolve().parents[1]
    candidates += [here / "_bundled_data" / "activities", here.parent / "data" / "activities"]
    for c in candidates:
        if (c / "activities.csv").is_file():
            return c
    raise DataNotFoundError(
        f"activity registry not found (looked for activities.csv in "
        f"{', '.join(str(c) for c in candidates)}); rebuild it with "
        f"`python scripts/data_activities.py` or reinstall camigeo.")


@lru_cache(maxsize=4)
def _read(folder: str) -> pd.DataFrame:
    df = pd.read_csv(Path(folder) / "activities.csv", dtype=str, keep_default_na=False)
    missing = [c for c in ACTIVITY_COLUMNS if c not in df.columns]
    if missing:
        raise CamigeoError(f"{folder}/activities.csv: missing columns {missing}; rebuild it "
                           f"with `python scripts/data_activities.py`.")
    return df.astype({"seed_line": int})


def list_activities() -> pd.DataFrame:
    """List the registered spatial activities, one row each.

    Returns
    -------
    DataFrame
        Columns :data:`ACTIVITY_COLUMNS`: ``activity_id`` ("WP 22.13", "BD 7.4"),
        ``document`` (WP/BD), ``number``, ``seed_file`` and ``seed_line`` (where the
        activity is written), ``quote`` (verbatim, ≤ 200 characters), ``ptcr`` (WP
        §§12–24) or ``population_unit`` (BD), ``species`` (scientific names, ``; ``),
        ``places`` (see :func:`load_places`), ``recipe``, ``params_json``,
        ``assumptions``.

    Examples
    --------
    >>> from camigeo.activities import list_activities
    >>> "BD 7.4" in set(list_activities()["activity_id"])
    True
    """
    return _read(str(activities_dir())).copy()


def load_places() -> pd.DataFrame:
    """Load the places the activities name.

    Places the activities name: ``place``, ``kind``, ``lon``, ``lat`` (WGS84),
    ``accuracy_km``, ``source``.
    """
    return pd.read_csv(activities_dir() / "places.csv")


def resolve_activity_id(activity_id: str) -> str:
    """Registry id of ``activity_id`` ("7.4" → "BD 7.4"; see the module docstring).

    Parameters
    ----------
    activity_id : str
        "WP 21.4", "BD 7.4", "bd7.4" or a bare number such as "22.13".

    Returns
    -------
    str

    Raises
    ------
    CamigeoError
        Unknown id, or a bare number registered in both documents.
    """
    if not isinstance(activity_id, str):
        raise CamigeoError(f"activity id must be a string such as 'BD 7.4'; got "
                           f"{activity_id!r}.")
    reg = list_activities()
    m = re.fullmatch(r"\s*(?:(wp|bd)\s*)?(\d+\.\d+)\s*", activity_id, flags=re.I)
    ids = ", ".join(reg["activity_id"])
    if not m:
        raise CamigeoError(f"activity id {activity_id!r} not understood; expected "
                           f"'<WP|BD> <number>' such as 'BD 7.4'. Registered: {ids}.")
    doc, number = (m.group(1) or "").upper(), m.group(2)
    hits = reg[(reg["number"] == number) & ((reg["document"] == doc) if doc else True)]
    if len(hits) == 1:
        return str(hits["activity_id"].iloc[0])
    if len(hits) > 1:
        raise CamigeoError(f"activity {activity_id!r} is ambiguous: "
                           f"{', '.join(hits['activity_id'])} are registered; add the "
                           f"document prefix (WP = {_DOCS['WP']}, BD = {_DOCS['BD']}).")
    raise CamigeoError(f"activity {activity_id!r} is not a registered spatial activity "
                       f"(only spatial activities are registered; `camigeo activity list`). "
                       f"Registered: {ids}.")


def get_activity(activity_id: str) -> dict[str, Any]:
    """One registry row as a dict, with ``params`` decoded and ``places`` as a list."""
    rid = resolve_activity_id(activity_id)
    reg = list_activities()
    row = reg[reg["activity_id"] == rid].iloc[0].to_dict()
    row["params"] = json.loads(row["params_json"])
    row["places"] = [p.strip() for p in row["places"].split(";") if p.strip()]
    row["species"] = [s.strip() for s in row["species"].split(";") if s.strip()]
    row["document_title"] = _DOCS[row["document"]]
    return row
