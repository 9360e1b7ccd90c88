"""The 17 CAMI species and the CMS ↔ IUCN synonym table.

Every species name camigeo accepts goes through :func:`resolve_species`, which maps a
common name ("khulan", "snow leopard"), a CMS scientific name (``Uncia uncia``), an IUCN
name (``Panthera uncia``) or a listed synonym to the **CMS scientific name** used in the
bundled layers. Matching ignores case, extra spaces, apostrophes, hyphens and underscores.

The table is ``data/species_ranges/species.csv`` (shipped in the wheel); see
``docs/data.md`` for its sources and which entries are unverified.

Examples
--------
>>> from camigeo.species import resolve_species
>>> resolve_species("Panthera uncia")
'Uncia uncia'
>>> resolve_species("  KHULAN ")
'Equus hemionus'
"""

from __future__ import annotations

import difflib
import functools
import logging
import re
import unicodedata

import pandas as pd

from .._errors import CamigeoError, UnknownSpeciesError

__all__ = ["resolve_species", "species_table", "species_names"]

logger = logging.getLogger(__name__)

#: Columns of ``species.csv`` (docs/schema.md, plus ``notes``).
SPECIES_COLUMNS = ("common_name", "cms_name", "cms_appendix", "iucn_name", "synonyms", "group",
                   "migratory_ungulate", "iucn_category", "source", "notes")


def _key(name: str) -> str:
    """Normalise a name for matching: NFKC, casefold, no apostrophes, single spaces."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"[’'`´]", "", text)
    text = re.sub(r"[-_/,]+", " ", text)
    return " ".join(text.split())


def _table() -> pd.DataFrame:
    from .paths import get_path

    return _read_table(str(get_path("species")))


@functools.lru_cache(maxsize=4)
def _read_table(path: str) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in SPECIES_COLUMNS if c not in df.columns]
    if missing:
        raise CamigeoError(f"{path}: species table lacks column(s) {', '.join(missing)}; "
                           f"expected {', '.join(SPECIES_COLUMNS)}.")
    df["migratory_ungulate"] = df["migratory_ungulate"].str.strip().str.lower().eq("true")
    return df


def _lookup() -> tuple[dict[str, str], dict[str, str]]:
    from .paths import get_path

    return _build_lookup(str(get_path("species")))


@functools.lru_cache(maxsize=4)
def _build_lookup(path: str) -> tuple[dict[str, str], dict[str, str]]:
    """Return (normalised key -> CMS name, normalised key -> display form of the key)."""
    from ..io.validate import split_list

    index: dict[str, str] = {}
    display: dict[str, str] = {}
    for rec in _read_table(path).itertuples():
        names = [rec.cms_name, rec.common_name, *split_list(rec.iucn_name),
                 *split_list(rec.synonyms)]
        for name in names:
            if not name:
                continue
            key = _key(name)
            if index.get(key, rec.cms_name) != rec.cms_name:
                raise CamigeoError(
                    f"species table: the name {name!r} is listed for both {index[key]!r} and "
                    f"{rec.cms_name!r}; each synonym must point to one CMS name.")
            index[key] = rec.cms_name
            display.setdefault(key, name)
    return index, display


def species_table() -> pd.DataFrame:
    """Return the 17 CAMI species with CMS and IUCN names, synonyms and flags.

    Returns
    -------
    pandas.DataFrame
        Columns ``common_name, cms_name, cms_appendix`` (Table 1 of the CAMI Work
        Programme as printed: ``I``, ``II`` or ``I & II``), ``iucn_name`` (``"; "``-joined
        where the Work Programme gives two), ``synonyms`` (``"; "``-joined scientific and
        common alternatives), ``group`` (ungulate|carnivore),
        ``migratory_ungulate`` (bool), ``iucn_category``, ``source``, ``notes`` (what is
        unverified). A fresh copy on every call.

    Examples
    --------
    >>> species_table().shape
    (17, 10)
    """
    return _table().copy()


def species_names() -> list[str]:
    """CMS scientific names of the 17 CAMI species, in table order."""
    return _table()["cms_name"].tolist()


def resolve_species(name: str) -> str:
    """Return the CMS scientific name for a common, CMS, IUCN or synonym name.

    Parameters
    ----------
    name : str
        For example ``"snow leopard"``, ``"Panthera uncia"``, ``"Uncia uncia"``,
        ``"Otocolobus manul"``, ``"kulan"``. Case, repeated spaces, apostrophes and hyphens
        do not matter.

    Returns
    -------
    str
        The CMS scientific name (the ``cms_name`` column, also ``sci_name`` in the bundled
        range layer).

    Raises
    ------
    UnknownSpeciesError
        The name is not in the table; the message lists the closest known names.
    CamigeoError
        ``name`` is not a string.

    Examples
    --------
    >>> resolve_species("Camelus ferus")
    'Camelus bactrianus'
    >>> resolve_species("pallas's cat")
    'Felis manul'
    """
    if not isinstance(name, str):
        raise CamigeoError(f"species name must be a str (common, CMS or IUCN name); "
                           f"got {type(name).__name__} {name!r}.")
    index, display = _lookup()
    key = _key(name)
    if key in index:
        return index[key]
    close = difflib.get_close_matches(key, list(index), n=3, cutoff=0.6)
    if not close:  # a genus or a word of a common name ("leopard", "Saiga")
        close = [k for k in index if key and key in k.split()][:3]
    if close:
        hint = "Did you mean " + ", ".join(
            f"{display[k]!r} ({index[k]})" for k in close) + "?"
    else:
        hint = "No close match."
    raise UnknownSpeciesError(
        f"unknown species {name!r}: not a common, CMS, IUCN or synonym name of the 17 CAMI "
        f"species. {hint} See camigeo.species.species_table() for all accepted names.")
