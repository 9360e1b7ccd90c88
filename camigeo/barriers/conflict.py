"""Barrier conflict scoring: infrastructure inside species ranges inside PTCRs.

For every Priority Transboundary Conservation Region (PTCR) *p*, species *s* and
infrastructure type *t* (domain_methods §4.1, "Atlas-style", not "Atlas-identical"):

* ``length_km`` L = Σ geodesic length of I_t ∩ R_s ∩ P (km),
* ``density_km_per_1000km2`` = 1000 · L / A(R_s ∩ P),
* ``weighted_length_km`` L* = Σ w · length, w = 1 − permeability (per feature, from
  ``infra_type``, ``fenced`` and ``fence_class``; see :func:`default_weights`),
* ``effect_zone_km2`` = A(R_s ∩ P ∩ ∪ buffer(I_t, z_t)) and
  ``effect_zone_share`` = that / A(R_s ∩ P).

Range polygons are dissolved per species and regions per ``ptcr_id`` first, so a segment
counts once per (region, species) even where range polygons overlap. Lengths are geodesic
(WGS84 ellipsoid), areas equal-area (:data:`camigeo.crs.CENTRAL_ASIA_EQUAL_AREA`).

The per-chunk work is the pure function :func:`score_chunk` whose outputs can be summed,
so a Dask scheduler can map it over chunks of infrastructure.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from .._errors import SchemaError
from .kernels import (
    SCORE_COLUMNS,
    Prepared,
    effect_areas,
    empty_scores,
    prepare_areas,
    prepare_lines,
    score_chunk,
    score_table,
    species_weight_vector,
    sum_chunks,
    zones_to,
)

# the weights tables and helpers live in _conflict_weights; re-exported here (public API)
from .weights import (
    EFFECT_ZONE_M,
    FENCE_CLASSES,
    FENCE_PERMEABILITY,
    INFRA_TYPES,
    LINE_PERMEABILITY,
    RED_LIST_WEIGHTS,
    UNKNOWN_FENCE_PERMEABILITY,
    WeightKey,
    default_weights,
    feature_weights,
)

__all__ = [
    "INFRA_TYPES",
    "FENCE_CLASSES",
    "LINE_PERMEABILITY",
    "FENCE_PERMEABILITY",
    "UNKNOWN_FENCE_PERMEABILITY",
    "EFFECT_ZONE_M",
    "RED_LIST_WEIGHTS",
    "SCORE_COLUMNS",
    "default_weights",
    "feature_weights",
    "score_conflict",
    "summarize_conflict",
    "conflict_grid",  # noqa: F822 - resolved by the module __getattr__
]

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- public API
def score_conflict(
    ptcrs: gpd.GeoDataFrame,
    ranges: gpd.GeoDataFrame,
    infrastructure: gpd.GeoDataFrame,
    *,
    weights: Mapping[WeightKey, float] | None = None,
    effect_zones_m: Mapping[str | tuple[str, bool], float] | bool | None = None,
    status: Iterable[str] | None = ("existing",),
    chunk_size: int = 1_000_000,
    scheduler: Any = None,
) -> pd.DataFrame:
    """Length, density, weighted length and effect zone of infrastructure per region × species.

    Parameters
    ----------
    ptcrs : GeoDataFrame
        Regions (schema ``ptcr``): ``ptcr_id`` (and ``name``), polygons, any CRS.
        Rows sharing a ``ptcr_id`` are dissolved.
    ranges : GeoDataFrame
        Species ranges (schema ``range``): ``sci_name``, polygons, any CRS. Filter
        presence/origin/seasonal before (``camigeo.datasets.load_ranges`` does); all
        polygons of a species are dissolved, so overlaps are not double counted.
    infrastructure : GeoDataFrame
        Lines (schema ``infrastructure``): ``infra_type``; ``fenced``, ``fence_class``,
        ``status`` used when present.
    weights : mapping, optional
        Overrides of the impermeability weights; see :func:`feature_weights`.
    effect_zones_m : mapping or bool, optional
        Overrides of the effect-zone widths (metres); ``False`` skips the effect-zone
        computation (``effect_zone_km2``/``effect_zone_share`` are then NaN).
    status : iterable of str or None, default ("existing",)
        Keep lines with these ``status`` values; None keeps all.
    chunk_size : int, default 1000000
        Lines per chunk of :func:`score_chunk` (bounds peak memory).
    scheduler : None, "synchronous", "threads", "processes", "client" or Client, optional
        None (default): this single-machine path. Otherwise the lines are scored partition
        by partition on Dask (``infrastructure`` may then be a Hilbert-partitioned
        ``dask_geopandas.GeoDataFrame``; regions and ranges are broadcast); same table,
        sums equal up to floating-point order. See :mod:`camigeo.scale`, docs/scaling.md.

    Returns
    -------
    pandas.DataFrame
        One row per (``ptcr_id``, ``sci_name``, ``infra_type``) for every species whose
        range overlaps the region and every type present in the (filtered) layer, with
        the columns :data:`SCORE_COLUMNS`: ``area_km2`` (range ∩ region, km²),
        ``length_km``, ``weighted_length_km``, densities per 1,000 km², ``effect_zone_m``
        (widest zone of the type), ``effect_zone_km2``, ``effect_zone_share`` (0–1),
        ``n_features``, and the region-level ``region_area_km2``, ``region_length_km``,
        ``region_weighted_length_km`` (all lines in the region, independent of ranges).
        No overlap of regions and ranges gives zero rows with these columns.

    Raises
    ------
    CRSError, GeometryError, SchemaError
        Missing CRS, polygons given as lines (or vice versa), missing columns, unknown
        ``infra_type``/``fence_class`` or override keys.

    Examples
    --------
    >>> import camigeo
    >>> from camigeo import datasets
    >>> scores = camigeo.score_conflict(datasets.load_ptcrs(), datasets.load_ranges(),
    ...                                 datasets.load_infrastructure())  # doctest: +SKIP
    >>> camigeo.summarize_conflict(scores).head()  # doctest: +SKIP
    """
    if scheduler is not None or hasattr(infrastructure, "npartitions"):  # Dask (issue 8)
        from ..scale import distributed_twin
        score_conflict_dask = distributed_twin("barriers.score_conflict_dask")

        return score_conflict_dask(ptcrs, ranges, infrastructure, weights=weights,
                                   effect_zones_m=effect_zones_m, status=status,
                                   scheduler=scheduler, chunk_size=chunk_size)
    if not (isinstance(chunk_size, int | np.integer) and chunk_size > 0):
        raise SchemaError(f"chunk_size={chunk_size!r}; expected a positive whole number of "
                          f"lines per chunk (default 1000000).")
    do_effect = effect_zones_m is not False
    zmap = effect_zones_m if isinstance(effect_zones_m, Mapping) else None
    prep = prepare_areas(ptcrs, ranges)
    lines, crs = prepare_lines(infrastructure, status=status, weights=weights,
                                effect_zones_m=zmap)
    return _assemble(prep, lines, crs, do_effect=do_effect, chunk_size=chunk_size)


def _assemble(prep: Prepared, lines: pd.DataFrame, crs: CRS, *, do_effect: bool,
              chunk_size: int = 1_000_000) -> pd.DataFrame:
    zones = zones_to(np.concatenate([prep.region_geoms, prep.zone_geoms]), crs)
    types_present = sorted(set(lines["type_code"].tolist()))
    if len(prep.zone_geoms) == 0 or not types_present:
        return empty_scores()
    geoms = lines["geometry"].to_numpy()
    # the effect zones run in the background (their own thread pool) while the lengths
    # are summed here: GEOS releases the GIL, so the two overlap on a multi-core machine
    with ThreadPoolExecutor(max_workers=1) as ex:
        fut = ex.submit(effect_areas, prep, lines, crs) if do_effect else None
        parts = [
            score_chunk(geoms[i:i + chunk_size],
                         lines["length_km"].to_numpy()[i:i + chunk_size],
                         lines["type_code"].to_numpy()[i:i + chunk_size],
                         lines["weight"].to_numpy()[i:i + chunk_size], zones, crs=crs)
            for i in range(0, len(lines), chunk_size)
        ]
        effect = fut.result() if fut is not None else {}
    sums = sum_chunks(parts).set_index(["zone", "type_code"])
    zmax = lines.groupby("type_code")["effect_zone_m"].max()
    return score_table(prep, sums, effect, zmax, types_present, do_effect=do_effect)


def _check_scores(scores: pd.DataFrame) -> None:
    missing = [c for c in ("ptcr_id", "sci_name", "infra_type", "area_km2", "length_km",
                           "weighted_length_km") if c not in scores.columns]
    if missing:
        raise SchemaError(f"scores lacks column(s) {missing}; expected the output of "
                          f"camigeo.score_conflict.")


def summarize_conflict(
    scores: pd.DataFrame,
    *,
    by: str = "ptcr",
    species_weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Rank regions (or species) by species-weighted barrier density.

    ``conflict_score`` of region *p* = Σ_s w_s · 1000 · Σ_t L*_{p,s,t} / A(R_s ∩ P): the
    sum over the species present of their weighted barrier density (km of weighted
    barrier per 1,000 km² of their range inside the region), with species weights w_s
    (default 1; e.g. Red-List based via :data:`RED_LIST_WEIGHTS`). More affected species
    and denser, less permeable barriers give a higher score.

    Parameters
    ----------
    scores : DataFrame
        Output of :func:`score_conflict`.
    by : {"ptcr", "species"}
        ``"ptcr"``: one row per region with region totals per type
        (``length_km_<type>``, from ``region_length_km``, so nothing is counted twice),
        ``weighted_length_km``, ``n_species``, ``species_affected`` (weighted length > 0),
        ``conflict_score`` and ``rank`` (1 = highest). ``"species"``: one row per species
        with sums over regions (``n_ptcrs``, ``area_km2``, ``length_km_<type>``,
        ``weighted_length_km``), ``weighted_density_km_per_1000km2`` and ``rank``. Where
        regions overlap, the shared part counts once per region.
    species_weights : mapping, optional
        ``sci_name`` -> weight (missing species: 1).

    Returns
    -------
    pandas.DataFrame
    """
    _check_scores(scores)
    if by not in ("ptcr", "species"):
        raise SchemaError(f"by={by!r}; expected 'ptcr' or 'species'.")
    sw = species_weight_vector(species_weights, scores["sci_name"])
    types = [t for t in INFRA_TYPES if t in set(scores["infra_type"].tolist())]
    if by == "species":
        g = scores.groupby("sci_name", sort=True)
        per_region = scores.drop_duplicates(["ptcr_id", "sci_name"])
        out = pd.DataFrame({
            "n_ptcrs": per_region.groupby("sci_name")["ptcr_id"].nunique(),
            "area_km2": per_region.groupby("sci_name")["area_km2"].sum(),
        })
        lk = scores.pivot_table(index="sci_name", columns="infra_type", values="length_km",
                                aggfunc="sum")
        for t in types:
            out[f"length_km_{t}"] = lk[t]
        out["weighted_length_km"] = g["weighted_length_km"].sum()
        out["weighted_density_km_per_1000km2"] = 1000 * out["weighted_length_km"] / out[
            "area_km2"]
        out["species_weight"] = [float(sw.get(s, 1.0)) for s in out.index]
        out["rank"] = out["weighted_density_km_per_1000km2"].rank(
            ascending=False, method="min").astype("int64")
        return out.reset_index().sort_values(["rank", "sci_name"], ignore_index=True)
    per_species = scores.groupby(["ptcr_id", "sci_name"], sort=True).agg(
        area_km2=("area_km2", "first"), wlen=("weighted_length_km", "sum")).reset_index()
    per_species["w"] = [float(sw.get(s, 1.0)) for s in per_species["sci_name"]]
    per_species["contrib"] = per_species["w"] * 1000 * per_species["wlen"] / per_species[
        "area_km2"]
    g = per_species.groupby("ptcr_id", sort=True)
    first = scores.drop_duplicates("ptcr_id").set_index("ptcr_id").sort_index()
    out = pd.DataFrame({"ptcr_name": first["ptcr_name"]}) if "ptcr_name" in first else \
        pd.DataFrame(index=first.index)
    if "region_area_km2" in first:
        out["region_area_km2"] = first["region_area_km2"]
    reg = scores.drop_duplicates(["ptcr_id", "infra_type"])
    col = "region_length_km" if "region_length_km" in scores else "length_km"
    lk = reg.pivot_table(index="ptcr_id", columns="infra_type", values=col, aggfunc="sum")
    for t in types:
        out[f"length_km_{t}"] = lk[t]
    wcol = "region_weighted_length_km" if "region_weighted_length_km" in scores else None
    out["weighted_length_km"] = (reg.groupby("ptcr_id")[wcol].sum() if wcol else
                                 g["wlen"].sum())
    out["n_species"] = g["sci_name"].nunique()
    out["species_affected"] = per_species[per_species["wlen"] > 0].groupby(
        "ptcr_id")["sci_name"].nunique().reindex(out.index).fillna(0).astype("int64")
    out["conflict_score"] = g["contrib"].sum()
    out["rank"] = out["conflict_score"].rank(ascending=False, method="min").astype("int64")
    return out.reset_index().sort_values(["rank", "ptcr_id"], ignore_index=True)


# --------------------------------------------------------------------------- hotspot grid
# conflict_grid lives in camigeo._conflict_grid (keeps this module under ~1,000 lines) and
# is resolved lazily, so either module can be imported first.
def __getattr__(name: str) -> Any:
    if name == "conflict_grid":
        from .grid import conflict_grid

        return conflict_grid
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
