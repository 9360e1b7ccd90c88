"""Names people use, and one vocabulary shared by the map, the report and the summary.

* :func:`common_name`, :func:`species_label` - common English name first, scientific name
  second (italic in HTML and matplotlib), from the bundled species table (CMS names,
  IUCN names and synonyms all resolve).
* :func:`fencing_status` - ``"documented"`` / ``"undocumented"`` / ``""`` per
  infrastructure line: the ``fencing`` column when the data has one, else derived from
  ``infra_type`` and ``fence_class`` (a border line whose ``fence_class`` is unknown is a
  border whose fencing is not documented, not a fence).
* :func:`infra_label` - the legend/popup label of a line, the same words everywhere.
"""

from __future__ import annotations

import html
import math
from functools import lru_cache
from typing import Any

import pandas as pd

__all__ = ["FENCING_LABELS", "common_name", "fencing_status", "infra_label", "species_label"]

#: Words for the two fencing states (map legend, report legend and bars, summary).
FENCING_LABELS = {"documented": "fencing documented",
                  "undocumented": "fencing not documented"}


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    from .. import datasets

    try:
        sp = datasets.load_species()
    except Exception:  # noqa: BLE001 - names are a nicety; never fail a map for them
        return {}
    return {str(k): str(v) for k, v in zip(sp["cms_name"], sp["common_name"], strict=True)
            if isinstance(v, str) and v}


def common_name(sci_name: Any) -> str:
    """Return the common English name of a species (capitalised), or "" when unknown.

    Parameters
    ----------
    sci_name : str
        CMS or IUCN scientific name or a synonym.
    """
    if not isinstance(sci_name, str) or not sci_name:
        return ""
    table = _names()
    name = table.get(sci_name)
    if name is None:
        try:
            from ..datasets.species import resolve_species

            name = table.get(resolve_species(sci_name), "")
        except Exception:  # noqa: BLE001 - unknown name: no common name
            name = ""
    return name[:1].upper() + name[1:] if name else ""


def species_label(sci_name: Any, *, style: str = "text") -> str:
    """Return the label: common name first, scientific name second.

    Parameters
    ----------
    sci_name : str
    style : {"text", "html", "mpl"}
        ``"text"``: ``Asiatic wild ass (Equus hemionus)``; ``"html"``: escaped, scientific
        name in ``<i>``; ``"mpl"``: scientific name in matplotlib mathtext italics.
    """
    sci = str(sci_name)
    com = common_name(sci)
    if style == "html":
        s = f"<i>{html.escape(sci)}</i>"
        return f"{html.escape(com)} {s}" if com else s
    if style == "mpl":
        esc = sci.replace("\\", "").replace("$", "")
        it = r"$\it{" + esc.replace(" ", r"\ ") + "}$"
        return f"{com.replace('$', '')} {it}" if com else it
    return f"{com} ({sci})" if com else sci


def fencing_status(infra: pd.DataFrame) -> pd.Series:
    """``"documented"``, ``"undocumented"`` or ``""`` (not a fence question) per line.

    Parameters
    ----------
    infra : DataFrame
        Infrastructure in the camigeo schema; a ``fencing`` column
        (documented/undocumented) is used as it is when present.
    """
    idx = infra.index
    if "fencing" in infra.columns:
        f = infra["fencing"].astype(object).where(infra["fencing"].notna(), "")
        return f.map(lambda v: str(v).strip().lower()).astype(object)
    kind = (infra["infra_type"].astype(str) if "infra_type" in infra.columns
            else pd.Series("", index=idx))
    fc = (infra["fence_class"].astype(object) if "fence_class" in infra.columns
          else pd.Series(None, index=idx, dtype=object))
    known = fc.map(lambda v: isinstance(v, str) and v not in ("", "unknown"))
    fenced = (infra["fenced"].astype(object) if "fenced" in infra.columns
              else pd.Series(None, index=idx, dtype=object))
    yes = fenced.map(lambda v: v is True or (isinstance(v, str) and v.lower() == "true")
                     or (isinstance(v, int | float) and not math.isnan(v) and v == 1))
    out = pd.Series("", index=idx, dtype=object)
    out[(kind == "border_fence") & known] = "documented"
    out[(kind == "border_fence") & ~known] = "undocumented"
    out[(kind != "border_fence") & (known | yes)] = "documented"
    return out


def infra_label(infra_type: Any, fencing: Any = "") -> str:
    """Return the legend label of a line, the same words in map, report and summary.

    ``railway``, ``border fence (fencing documented)``, ``border, fencing not documented``.
    """
    t = str(infra_type)
    if t == "border_fence":
        return ("border, fencing not documented" if fencing == "undocumented"
                else "border fence (fencing documented)")
    label = t.replace("_", " ")
    if fencing == "documented" and t not in ("fence",):
        return f"{label}, fenced (documented)"
    return label
