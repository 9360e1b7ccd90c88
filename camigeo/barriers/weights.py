"""Default impermeability weights and effect zones of infrastructure (private).

Part of :mod:`camigeo.conflict`, which re-exports every name here (kept in its own module
so ``conflict.py`` stays under ~1,000 lines): the schema's infrastructure types and fence
classes, the permeability and effect-zone tables [A] (domain_methods §4.4/§4.5),
:func:`default_weights` and :func:`feature_weights`. Import them from
:mod:`camigeo.conflict`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._errors import SchemaError

__all__ = [
    "INFRA_TYPES",
    "FENCE_CLASSES",
    "LINE_PERMEABILITY",
    "FENCE_PERMEABILITY",
    "UNKNOWN_FENCE_PERMEABILITY",
    "EFFECT_ZONE_M",
    "RED_LIST_WEIGHTS",
    "WeightKey",
    "default_weights",
    "feature_weights",
]

#: Infrastructure types of the schema (docs/schema.md).
INFRA_TYPES: tuple[str, ...] = ("railway", "road", "fence", "border_fence", "pipeline", "canal")
#: Fence classes of the schema (domain_methods §4.5).
FENCE_CLASSES: tuple[str, ...] = ("impermeable", "low", "medium", "high", "open", "unknown")
_FENCE_TYPES = ("fence", "border_fence")

#: [A] Permeability (0 = full barrier, 1 = no barrier) of the line itself, without a fence
#: (domain_methods §4.4: unfenced railway 0.5, paved high-traffic road 0.5, buried pipeline
#: 1.0, lined canal 0). For ``fence`` and ``border_fence`` the fence class decides alone.
LINE_PERMEABILITY: dict[str, float] = {
    "railway": 0.5, "road": 0.5, "fence": 1.0, "border_fence": 1.0,
    "pipeline": 1.0, "canal": 0.0,
}
#: [A] Permeability of a fence by class (§4.4/§4.5): impermeable (border fence, mesh) 0,
#: low (standard barbed livestock fence) 0.2, medium 0.5, high (wildlife-friendly) 0.7,
#: open (removed / gap) 1.
FENCE_PERMEABILITY: dict[str, float] = {
    "impermeable": 0.0, "low": 0.2, "medium": 0.5, "high": 0.7, "open": 1.0,
}
#: [A] Permeability assumed for a fence whose class is ``unknown`` or missing: a fenced
#: railway counts as a full barrier (§4.4 table, Ito et al. 2013: no gazelle crossed the
#: fenced Trans-Mongolian railway); a border whose fencing is not documented counts as half
#: a barrier (p = 0.5: between an open border and a security fence, so undocumented borders
#: neither vanish from the score nor dominate it; pass
#: ``weights={("border_fence", True, "unknown"): 1.0}`` for the worst case); other fences as
#: a standard livestock fence (``low``).
UNKNOWN_FENCE_PERMEABILITY: dict[str, float] = {
    "railway": 0.0, "border_fence": 0.5, "road": 0.2, "fence": 0.2, "pipeline": 0.2,
    "canal": 0.2,
}
#: [A] Effect-zone width in metres per (infra_type, fenced) (§4.4 table): fenced railway
#: 2 km, unfenced railway 1 km, road 2 km (paved high-traffic, the conservative choice),
#: border fence 0.5 km, other fences 0.1 km, pipelines and canals none.
EFFECT_ZONE_M: dict[tuple[str, bool], float] = {
    ("railway", True): 2000.0, ("railway", False): 1000.0,
    ("road", True): 2000.0, ("road", False): 2000.0,
    ("fence", True): 100.0, ("fence", False): 100.0,
    ("border_fence", True): 500.0, ("border_fence", False): 500.0,
    ("pipeline", True): 0.0, ("pipeline", False): 0.0,
    ("canal", True): 0.0, ("canal", False): 0.0,
}
#: [A] Optional species weights by IUCN Red List category for ``summarize_conflict``.
RED_LIST_WEIGHTS: dict[str, float] = {
    "CR": 5.0, "EN": 4.0, "VU": 3.0, "NT": 2.0, "LC": 1.0, "DD": 1.0,
}

WeightKey = str | tuple[str, bool] | tuple[str, bool, str | None]


# --------------------------------------------------------------------------- weights
def _permeability(infra_type: str, fenced: bool, fence_class: str | None) -> float:
    if infra_type in _FENCE_TYPES:
        fenced = True
    p_line = LINE_PERMEABILITY[infra_type]
    if not fenced:
        return p_line
    if fence_class is None or fence_class == "unknown":
        p_fence = UNKNOWN_FENCE_PERMEABILITY[infra_type]
    else:
        p_fence = FENCE_PERMEABILITY[fence_class]
    # [A] A fenced line is crossed only by passing both: permeabilities multiply.
    return p_line * p_fence


def default_weights() -> pd.DataFrame:
    """Table of the default impermeability weights and effect zones [A].

    One row per (``infra_type``, ``fenced``, ``fence_class``) with ``permeability``
    (0 = full barrier), ``weight`` = 1 − permeability, and ``effect_zone_m``.
    ``fence_class`` None means "no fence class given" (treated like ``unknown`` for
    fenced lines). Rule: weight = 1 − p_line · p_fence with the module constants
    :data:`LINE_PERMEABILITY`, :data:`FENCE_PERMEABILITY` and
    :data:`UNKNOWN_FENCE_PERMEABILITY` (p_fence = 1 for unfenced lines).

    Returns
    -------
    pandas.DataFrame
    """
    rows = []
    for t in INFRA_TYPES:
        for fenced in (False, True):
            for fc in (None, *FENCE_CLASSES):
                p = _permeability(t, fenced, fc)
                rows.append({"infra_type": t, "fenced": fenced, "fence_class": fc,
                             "permeability": p, "weight": round(1.0 - p, 10),
                             "effect_zone_m": EFFECT_ZONE_M[(t, fenced)]})
    return pd.DataFrame(rows)


def _check_keys(mapping: Mapping[Any, Any], *, name: str, max_len: int = 3) -> None:
    bad = []
    for key in mapping:
        t = key if isinstance(key, str) else (key[0] if isinstance(key, tuple) and key else key)
        if t not in INFRA_TYPES:
            bad.append(key)
        elif isinstance(key, tuple) and (not 2 <= len(key) <= max_len
                                         or not isinstance(key[1], bool | np.bool_)):
            bad.append(key)
        elif isinstance(key, tuple) and len(key) == 3 and key[2] not in (None, *FENCE_CLASSES):
            bad.append(key)
    if bad:
        forms = ("infra_type, (infra_type, fenced) or (infra_type, fenced, fence_class)"
                 if max_len == 3 else "infra_type or (infra_type, fenced)")
        raise SchemaError(
            f"{name} has keys for unknown infra_type/fence_class: {bad!r}. Expected keys "
            f"{forms} with fenced True/False, infra_type in {list(INFRA_TYPES)} and "
            f"fence_class in {list(FENCE_CLASSES)} or None. Fix the spelling or drop those "
            f"keys."
        )


def _lookup(mapping: Mapping[Any, Any], t: str, fenced: bool, fc: str | None) -> Any:
    for key in ((t, fenced, fc), (t, fenced), t):
        if key in mapping:
            return mapping[key]
    return None


#: Widest effect zone accepted, metres (1,000 km: wider than any PTCR).
MAX_EFFECT_ZONE_M = 1_000_000.0


def feature_weights(
    infrastructure: pd.DataFrame,
    *,
    weights: Mapping[WeightKey, float] | None = None,
    effect_zones_m: Mapping[str | tuple[str, bool], float] | None = None,
) -> pd.DataFrame:
    """Impermeability weight and effect-zone width of every infrastructure feature.

    Parameters
    ----------
    infrastructure : DataFrame
        Needs ``infra_type``; ``fenced`` (bool, default False) and ``fence_class``
        (default None) are used when present.
    weights : mapping, optional
        Overrides of the defaults (:func:`default_weights`), weight in [0, 1] (1 = full
        barrier). Keys: ``infra_type`` (all features of the type),
        ``(infra_type, fenced)`` or ``(infra_type, fenced, fence_class)``; the most
        specific key wins.
    effect_zones_m : mapping, optional
        Overrides of :data:`EFFECT_ZONE_M`, metres; keys ``infra_type`` or
        ``(infra_type, fenced)``.

    Returns
    -------
    pandas.DataFrame
        Index of ``infrastructure``; columns ``weight`` and ``effect_zone_m``.

    Raises
    ------
    SchemaError
        Missing ``infra_type``, unknown types or fence classes, override keys for unknown
        types, weights outside [0, 1] or negative effect zones.
    """
    if "infra_type" not in infrastructure.columns:
        raise SchemaError(
            "infrastructure has no 'infra_type' column. Expected one of "
            f"{list(INFRA_TYPES)} per line (docs/schema.md); got columns "
            f"{list(infrastructure.columns)}. Rename or add the column."
        )
    types = infrastructure["infra_type"].astype(object)
    unknown = sorted({str(v) for v in types.dropna().unique()} - set(INFRA_TYPES))
    if types.isna().any():
        unknown.append("<missing>")
    if unknown:
        raise SchemaError(
            f"infrastructure has unknown infra_type value(s) {unknown}; expected one of "
            f"{list(INFRA_TYPES)}. Map them to a schema type (e.g. 'motorway' -> 'road') "
            f"or drop those lines."
        )
    n = len(infrastructure)
    if "fenced" in infrastructure.columns:  # strictly: bool("false") is True
        from ..io.guards import parse_bool_column

        fenced = parse_bool_column(infrastructure, "fenced", name="infrastructure")
    else:
        fenced = pd.Series(False, index=infrastructure.index)
    if "fence_class" in infrastructure.columns:
        fc = infrastructure["fence_class"].astype(object)
        fc = fc.where(fc.notna(), None)
    else:
        fc = pd.Series([None] * n, index=infrastructure.index, dtype=object)
    bad_fc = sorted({str(v) for v in fc.dropna().unique()} - set(FENCE_CLASSES))
    if bad_fc:
        raise SchemaError(
            f"infrastructure has unknown fence_class value(s) {bad_fc}; expected one of "
            f"{list(FENCE_CLASSES)} or null. Fix the values (use 'unknown' when not known)."
        )
    weights = dict(weights or {})
    zones = dict(effect_zones_m or {})
    _check_keys(weights, name="weights")
    _check_keys(zones, name="effect_zones_m", max_len=2)
    from ..io.guards import check_number

    for k, v in weights.items():
        check_number(v, name=f"weights[{k!r}]", minimum=0.0, maximum=1.0,
                     fix="Weights are impermeability: 1 = full barrier, 0 = no barrier.")
    for k, v in zones.items():  # wider zones exceed any PTCR and exhaust GEOS memory
        check_number(v, name=f"effect_zones_m[{k!r}]", minimum=0.0, maximum=MAX_EFFECT_ZONE_M,
                     unit="m", fix="Effect zones of infrastructure are metres to tens of "
                     "km (docs/domain_methods.md); give the width in metres.")
    t_code = pd.Categorical(types, categories=list(INFRA_TYPES)).codes.astype(np.int64)
    c_code = pd.Categorical(fc, categories=list(FENCE_CLASSES)).codes.astype(np.int64) + 1
    key = (t_code * 2 + fenced.to_numpy(dtype=bool)) * (len(FENCE_CLASSES) + 1) + c_code
    w_of = np.full((len(INFRA_TYPES) * 2) * (len(FENCE_CLASSES) + 1), np.nan)
    z_of = w_of.copy()
    for k in np.unique(key):
        t = INFRA_TYPES[k // (2 * (len(FENCE_CLASSES) + 1))]
        f = bool((k // (len(FENCE_CLASSES) + 1)) % 2)
        ci = k % (len(FENCE_CLASSES) + 1)
        c = None if ci == 0 else FENCE_CLASSES[ci - 1]
        w = _lookup(weights, t, f, c)
        if w is None:
            w = 1.0 - _permeability(t, f, c)
        z = _lookup(zones, t, f, None)
        if z is None:
            z = EFFECT_ZONE_M[(t, f or t in _FENCE_TYPES)]
        w_of[k], z_of[k] = float(w), float(z)
    out = pd.DataFrame(index=infrastructure.index)
    out["weight"] = w_of[key]
    out["effect_zone_m"] = z_of[key]
    return out
