"""Where the bundled data live: the data folder and the registry of data sets.

Shared by :mod:`camigeo.datasets.bundled` (the loaders) and :mod:`camigeo.datasets.species`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .._errors import DataNotFoundError

__all__ = ["DATA_ENV_VAR", "REGISTRY", "Entry", "data_dir", "get_path", "registry_entry"]


#: Environment variable that points camigeo to another data folder (same layout).
DATA_ENV_VAR = "CAMIGEO_DATA_DIR"


@dataclass(frozen=True)
class Entry:
    """One bundled data set: folder and file under the data folder, layer, schema kind."""

    folder: str
    file: str
    layer: str | None
    kind: str | None
    description: str


REGISTRY: dict[str, Entry] = {
    "countries": Entry("borders", "borders.gpkg", "countries", None,
                        "CAMI range states and neighbours, Natural Earth 1:10m (~1 km)"),
    "borders": Entry("borders", "borders.gpkg", "borders", None,
                      "shared land border per country pair, geodesic length_km"),
    "ptcr": Entry("ptcr", "ptcr.gpkg", "ptcr", "ptcr",
                   "13 PTCRs of the CAMI Work Programme 2026-2032 (outlines APPROXIMATE)"),
    "species": Entry("species_ranges", "species.csv", None, None,
                      "17 CAMI species: CMS/IUCN names, synonyms, appendix, flags"),
    "ranges": Entry("species_ranges", "ranges.gpkg", "ranges", "range",
                     "INDICATIVE species ranges (IUCN schema) from PTCRs and named populations"),
    "infrastructure": Entry("infrastructure", "infrastructure.gpkg", "infrastructure",
                             "infrastructure",
                             "railways on OSM station nodes, roads, border fences (documented or "
                             "not), from the CAMI documents"),
}


def data_dir() -> Path:
    """Folder holding the bundled data (see the module docstring for the look-up order).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataNotFoundError
        ``CAMIGEO_DATA_DIR`` points to a missing folder, or no data folder exists.
    """
    env = os.environ.get(DATA_ENV_VAR)
    if env:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise DataNotFoundError(
                f"{DATA_ENV_VAR}={env!r} is not a folder. Expected a folder laid out like "
                f"camigeo's data/ (borders/, ptcr/, species_ranges/, infrastructure/); "
                f"unset the variable to use the bundled data.")
        return path
    here = Path(__file__).resolve().parent.parent  # camigeo/ (this file is camigeo/datasets/)
    for candidate in (here / "_bundled_data", here.parent / "data"):
        if (candidate / "ptcr").is_dir():
            return candidate
    raise DataNotFoundError(
        f"no bundled data found next to {here} (looked for _bundled_data/ and ../data/). "
        f"Reinstall camigeo, or set {DATA_ENV_VAR} to a data folder.")


def registry_entry(name: str) -> Entry:
    """Registry entry of bundled data set ``name`` (DataNotFoundError if unknown)."""
    if not isinstance(name, str) or name not in REGISTRY:
        raise DataNotFoundError(f"unknown bundled data set {name!r}; expected one of "
                                f"{', '.join(REGISTRY)}.")
    return REGISTRY[name]


def get_path(name: str) -> Path:
    """Path of the file holding bundled data set ``name``.

    Parameters
    ----------
    name : {"countries", "borders", "ptcr", "species", "ranges", "infrastructure"}

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataNotFoundError
        Unknown name, or the file is missing from the data folder.
    """
    entry = registry_entry(name)
    path = data_dir() / entry.folder / entry.file
    if not path.is_file():
        raise DataNotFoundError(
            f"bundled data set {name!r}: file {path} is missing. Rebuild it with "
            f"`python scripts/build_data.py` or point {DATA_ENV_VAR} to a complete folder.")
    return path
