"""What-if scenarios: build, remove or open infrastructure and compare connectivity.

A :class:`Scenario` bundles everything needed to go from inputs to a corridor graph: the
habitat cores, the resistance template (and the other :func:`camigeo.build_resistance`
options), the linear infrastructure burned into the resistance, the passages that reopen
it, and optionally PTCRs and species ranges for the conflict score.
:func:`compare_scenarios` derives a changed scenario from a base one (planned
infrastructure added, fence segments removed, passages opened), runs both through
resistance → least-cost links → corridor graph → connectivity indices (→ conflict score),
and returns the differences per link, per graph and per PTCR.
"""

from __future__ import annotations

import importlib
import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from .._errors import CamigeoError, CamigeoWarning, GeometryError, SchemaError
from ..io.crs import local_metric_crs, require_crs
from .network import ConnectivityResult, connectivity_indices, corridor_graph

__all__ = [
    "Scenario",
    "ScenarioResult",
    "ScenarioComparison",
    "evaluate_scenario",
    "compare_scenarios",
]

log = logging.getLogger(__name__)

ResistanceFn = Callable[..., Any]
LinksFn = Callable[..., gpd.GeoDataFrame]
_GEO = (gpd.GeoDataFrame, gpd.GeoSeries)


@dataclass(frozen=True)
class Scenario:
    """Inputs of one connectivity scenario.

    Parameters
    ----------
    cores : GeoDataFrame
        Habitat cores (polygons) with a unique ``id_col``.
    template : Raster, path or array
        First argument of :func:`camigeo.build_resistance` (grid and, without
        ``landcover``, the base resistance).
    infrastructure : GeoDataFrame, optional
        Linear infrastructure (``docs/schema.md``) burned into the resistance.
    passages : GeoDataFrame, optional
        Points/segments that reopen burned barriers (``build_resistance(passages=)``).
    ranges : GeoDataFrame, optional
        Species ranges, passed to ``build_resistance(ranges=)`` and to the conflict score.
    ptcrs : GeoDataFrame, optional
        PTCR polygons; with ``ranges`` they enable the per-PTCR conflict comparison.
    resistance_kwargs : dict
        Further ``build_resistance`` options (``landcover``, ``reclass``,
        ``resistance_by_type``).
    link_kwargs : dict
        Options of :func:`camigeo.corridor_links` (e.g. neighbours, distance filters).
    conflict_kwargs : dict
        Options of :func:`camigeo.score_conflict` (``weights``, ``effect_zones_m``,
        ``status``). Lines added by a scenario get ``status="existing"``.
    id_col : str
        Core id column.
    name : str
        Label used in the comparison tables.
    resistance_fn, links_fn : callable, optional
        Replace ``camigeo.build_resistance`` / ``camigeo.corridor_links`` (same call
        signatures: ``resistance_fn(template, infrastructure=, passages=, ranges=, **kw)``,
        ``links_fn(cores, resistance, **kw)``), e.g. to use another link model.
    """

    cores: gpd.GeoDataFrame
    template: Any
    infrastructure: gpd.GeoDataFrame | None = None
    passages: gpd.GeoDataFrame | None = None
    ranges: gpd.GeoDataFrame | None = None
    ptcrs: gpd.GeoDataFrame | None = None
    resistance_kwargs: dict[str, Any] = field(default_factory=dict)
    link_kwargs: dict[str, Any] = field(default_factory=dict)
    conflict_kwargs: dict[str, Any] = field(default_factory=dict)
    id_col: str = "core_id"
    name: str = "base"
    resistance_fn: ResistanceFn | None = None
    links_fn: LinksFn | None = None

    def with_changes(
        self,
        *,
        add: gpd.GeoDataFrame | None = None,
        remove: Any = None,
        open_passages: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
        name: str = "scenario",
        remove_buffer_m: float = 1.0,
    ) -> Scenario:
        """Return a new scenario with infrastructure added/removed and passages opened.

        See :func:`compare_scenarios` for the parameters. The base scenario is unchanged.
        """
        infra = _add_infrastructure(self.infrastructure, add)
        infra = _remove_infrastructure(infra, remove, buffer_m=remove_buffer_m)
        passages = _add_passages(self.passages, open_passages)
        return replace(self, infrastructure=infra, passages=passages, name=name)


@dataclass(frozen=True)
class ScenarioResult:
    """Everything computed for one scenario."""

    scenario: Scenario
    resistance: Any
    links: gpd.GeoDataFrame
    graph: nx.Graph
    indices: ConnectivityResult | None
    conflict: pd.DataFrame | None


@dataclass(frozen=True)
class ScenarioComparison:
    """Result of :func:`compare_scenarios`.

    Attributes
    ----------
    links : GeoDataFrame
        One row per core pair linked in either scenario: ``core_a``, ``core_b``,
        ``cw_dist_base``, ``cw_dist_scenario``, ``delta_cw_dist`` (scenario − base),
        ``delta_cw_dist_pct``, ``status`` (``both``, ``lost`` = only in base, ``new`` = only
        in the scenario), geometry = the scenario path (base path for lost links).
    graph : DataFrame
        Rows ``base``, ``scenario``, ``delta`` (and ``delta_pct``) of ``PC``, ``PCnum``,
        ``ECA``, ``IIC``, ``n_links``.
    conflict : DataFrame or None
        Per PTCR (``ptcr_id``, ``ptcr_name``): ``conflict_score``, ``weighted_length_km``
        and ``length_km_<type>`` as ``*_base``, ``*_scenario`` and ``delta_*`` (a PTCR
        without infrastructure scores 0); None when the scenario has no ``ptcrs`` /
        ``ranges`` or :mod:`camigeo.conflict` is not available.
    base, scenario : ScenarioResult
        The full results of both runs.
    """

    links: gpd.GeoDataFrame
    graph: pd.DataFrame
    conflict: pd.DataFrame | None
    base: ScenarioResult
    scenario: ScenarioResult

    @property
    def delta_eca(self) -> float:
        """ECA(scenario) − ECA(base), attribute units (km² by default)."""
        return float(self.graph.loc["delta", "ECA"])

    @property
    def delta_pc(self) -> float:
        """PC(scenario) − PC(base)."""
        return float(self.graph.loc["delta", "PC"])


# ----------------------------------------------------------------------- scenario edits


def _check_layer(obj: Any, name: str) -> gpd.GeoDataFrame:
    if isinstance(obj, gpd.GeoSeries):
        obj = gpd.GeoDataFrame(geometry=obj)
    if not isinstance(obj, gpd.GeoDataFrame):
        raise CamigeoError(
            f"{name} must be a GeoDataFrame (or GeoSeries) with a CRS; got "
            f"{type(obj).__name__}."
        )
    require_crs(obj, name=name)
    from ..io.guards import check_geometries

    return check_geometries(obj, name=name)


def _add_infrastructure(base: gpd.GeoDataFrame | None,
                        add: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if add is None:
        return base
    add = _check_layer(add, "add").copy()
    bad = ~add.geometry.geom_type.isin(["LineString", "MultiLineString"])
    if bad.any():
        raise GeometryError(
            f"add must hold the planned (Multi)LineStrings to build; rows "
            f"{add.index[bad].tolist()[:10]} are {sorted(set(add.geometry.geom_type[bad]))}."
        )
    if "status" in add.columns:
        # the scenario is "built": planned/under-construction lines count as existing
        add["status"] = "existing"
    if base is None or len(base) == 0:
        return add
    base = _check_layer(base, "base.infrastructure")
    add = add.to_crs(base.crs)
    if "infra_id" in base.columns and "infra_id" in add.columns:
        clash = sorted(set(base["infra_id"]) & set(add["infra_id"]))
        if clash:
            raise SchemaError(
                f"add has infra_id values already in the base infrastructure: {clash[:10]}. "
                f"To change an existing line, remove it (remove=[...]) and add the new one "
                f"under a new infra_id."
            )
    return gpd.GeoDataFrame(pd.concat([base, add], ignore_index=True), crs=base.crs)


def _remove_infrastructure(infra: gpd.GeoDataFrame | None, remove: Any, *,
                           buffer_m: float) -> gpd.GeoDataFrame | None:
    if remove is None:
        return infra
    if infra is None or len(infra) == 0:
        raise CamigeoError("remove= was given but the scenario has no infrastructure.")
    if isinstance(remove, _GEO):
        return _erase_segments(infra, _check_layer(remove, "remove"), buffer_m)
    ids = [remove] if isinstance(remove, str | int) else list(remove)
    if "infra_id" not in infra.columns:
        raise SchemaError("remove= lists infra_id values but the infrastructure has no "
                          "'infra_id' column; pass segments as a GeoDataFrame instead.")
    unknown = sorted({str(i) for i in ids} - {str(i) for i in infra["infra_id"]})
    if unknown:
        raise SchemaError(
            f"remove lists infra_id values not in the infrastructure: {unknown[:10]}."
        )
    keep = ~infra["infra_id"].astype(str).isin({str(i) for i in ids})
    return infra[keep].reset_index(drop=True)


def _erase_segments(infra: gpd.GeoDataFrame, segments: gpd.GeoDataFrame,
                    buffer_m: float) -> gpd.GeoDataFrame:
    """Cut the parts of ``infra`` within ``buffer_m`` of ``segments`` (polygons: inside)."""
    if not buffer_m > 0:
        raise CamigeoError(f"remove_buffer_m must be > 0 m; got {buffer_m!r}.")
    crs = infra.crs
    metric = crs if crs.is_projected else local_metric_crs(infra)
    seg = segments.to_crs(metric)
    cutter = shapely.union_all(seg.geometry.buffer(buffer_m).values)
    work = infra.to_crs(metric)
    if "infra_id" in segments.columns and "infra_id" in infra.columns:
        touched = work["infra_id"].isin(set(segments["infra_id"]))
    else:
        touched = np.ones(len(work), dtype=bool)
    geoms = work.geometry.values.copy()
    geoms[touched] = shapely.difference(geoms[touched], cutter)
    work = work.set_geometry(geoms)
    hit = touched & ~shapely.equals(np.asarray(geoms), np.asarray(infra.to_crs(metric).geometry))
    if not hit.any():
        warnings.warn("remove: no infrastructure lies within remove_buffer_m of the given "
                      "segments; nothing was removed.", CamigeoWarning, stacklevel=4)
    work = work[~work.geometry.is_empty].reset_index(drop=True)
    return work.to_crs(crs)


def _add_passages(base: gpd.GeoDataFrame | None, extra: Any) -> gpd.GeoDataFrame | None:
    if extra is None:
        return base
    extra = _check_layer(extra, "open_passages")
    if base is None or len(base) == 0:
        return extra.reset_index(drop=True)
    base = _check_layer(base, "base.passages")
    return gpd.GeoDataFrame(pd.concat([base, extra.to_crs(base.crs)], ignore_index=True),
                            crs=base.crs)


# ----------------------------------------------------------------------- evaluation


def _default_fn(module: str, name: str) -> Callable[..., Any]:
    try:
        mod = importlib.import_module(f"camigeo.{module}")
        return getattr(mod, name)
    except (ImportError, AttributeError) as exc:
        raise CamigeoError(
            f"camigeo.{module}.{name} is not available ({exc}); pass "
            f"Scenario({'resistance_fn' if module == 'corridors.resistance' else 'links_fn'}=...) "
            f"to use your own function."
        ) from exc


def _conflict_by_ptcr(s: Scenario) -> pd.DataFrame | None:
    """Per-PTCR conflict summary of the scenario's infrastructure, or None."""
    if s.ptcrs is None or s.ranges is None:
        return None
    try:
        conflict = importlib.import_module("camigeo.barriers.conflict")
    except ImportError as exc:
        warnings.warn(f"ptcrs were given but camigeo.conflict is not available ({exc}); "
                      f"the per-PTCR conflict comparison is skipped.", CamigeoWarning,
                      stacklevel=4)
        return None
    infra = s.infrastructure
    if infra is None:
        infra = gpd.GeoDataFrame({"infra_type": pd.Series([], dtype=str)},
                                 geometry=gpd.GeoSeries([], crs=s.ptcrs.crs))
    scored = conflict.score_conflict(s.ptcrs, s.ranges, infra, **s.conflict_kwargs)
    return conflict.summarize_conflict(scored, by="ptcr").set_index("ptcr_id")


def evaluate_scenario(
    scenario: Scenario,
    *,
    d0: float | None = None,
    p0: float = 0.5,
    threshold: float | None = None,
    distance: str = "cw_dist",
    landscape_area: float | None = None,
) -> ScenarioResult:
    """Resistance → links → corridor graph → indices (→ conflict) for one scenario.

    Parameters
    ----------
    scenario : Scenario
    d0, p0, threshold, distance, landscape_area
        Passed to :func:`camigeo.connectivity_indices`; with neither ``d0`` nor
        ``threshold`` the indices are skipped (``indices`` is None).

    Returns
    -------
    ScenarioResult
    """
    if not isinstance(scenario, Scenario):
        raise CamigeoError(f"scenario must be a camigeo.scenarios.Scenario; got "
                           f"{type(scenario).__name__}.")
    build = scenario.resistance_fn or _default_fn("corridors.resistance", "build_resistance")
    link = scenario.links_fn or _default_fn("corridors", "corridor_links")
    log.info("scenario %r: building resistance", scenario.name)
    resistance = build(scenario.template, infrastructure=scenario.infrastructure,
                       passages=scenario.passages, ranges=scenario.ranges,
                       **scenario.resistance_kwargs)
    log.info("scenario %r: least-cost links", scenario.name)
    link_kwargs = dict(scenario.link_kwargs)
    if scenario.links_fn is None:
        link_kwargs.setdefault("id_col", scenario.id_col)
    links = link(scenario.cores, resistance, **link_kwargs)
    G = corridor_graph(scenario.cores, links, id_col=scenario.id_col)
    indices = None
    if d0 is not None or threshold is not None:
        indices = connectivity_indices(G, distance=distance, p0=p0, d0=d0,
                                       threshold=threshold, landscape_area=landscape_area)
    return ScenarioResult(scenario, resistance, links, G, indices,
                          _conflict_by_ptcr(scenario))


def _pair_table(links: pd.DataFrame, distance: str) -> pd.DataFrame:
    a, b = links["core_a"].tolist(), links["core_b"].tolist()
    lo = [x if str(x) <= str(y) else y for x, y in zip(a, b, strict=True)]
    hi = [y if str(x) <= str(y) else x for x, y in zip(a, b, strict=True)]
    geom = links.geometry.values if isinstance(links, gpd.GeoDataFrame) else [None] * len(a)
    return pd.DataFrame({"core_a": lo, "core_b": hi, distance: links[distance].to_numpy(),
                         "geometry": list(geom)}).set_index(["core_a", "core_b"])


def _compare_links(base: ScenarioResult, new: ScenarioResult, distance: str) -> gpd.GeoDataFrame:
    b, s = _pair_table(base.links, distance), _pair_table(new.links, distance)
    out = b.add_suffix("_base").join(s.add_suffix("_scenario"), how="outer")
    out["delta_" + distance] = out[f"{distance}_scenario"] - out[f"{distance}_base"]
    out["delta_" + distance + "_pct"] = 100.0 * out["delta_" + distance] / out[f"{distance}_base"]
    in_b, in_s = out[f"{distance}_base"].notna(), out[f"{distance}_scenario"].notna()
    out["status"] = np.where(in_b & in_s, "both", np.where(in_b, "lost", "new"))
    geom = out["geometry_scenario"].where(in_s, out["geometry_base"])
    out = out.drop(columns=["geometry_base", "geometry_scenario"]).reset_index()
    crs = base.links.crs if isinstance(base.links, gpd.GeoDataFrame) else None
    return gpd.GeoDataFrame(out, geometry=list(geom.to_numpy()), crs=crs)


def _compare_graph(base: ScenarioResult, new: ScenarioResult) -> pd.DataFrame:
    cols = ["PC", "PCnum", "ECA", "IIC", "IICnum", "n_links"]
    rows = []
    for r in (base, new):
        if r.indices is not None:
            rows.append(r.indices.summary[cols].iloc[0].astype(float))
        else:  # no d0/threshold: only the link count
            rows.append(pd.Series({c: np.nan for c in cols} | {
                "n_links": float(r.graph.number_of_edges())}))
    t = pd.DataFrame(rows, index=["base", "scenario"], columns=cols)
    t.loc["delta"] = t.loc["scenario"] - t.loc["base"]
    with np.errstate(divide="ignore", invalid="ignore"):
        t.loc["delta_pct"] = 100.0 * t.loc["delta"] / t.loc["base"]
    return t


def _compare_conflict(base: pd.DataFrame | None, new: pd.DataFrame | None) -> pd.DataFrame | None:
    """Return base, scenario and delta of the per-PTCR conflict figures (missing PTCR = 0)."""
    if base is None or new is None:
        return None
    num = ["conflict_score", "weighted_length_km"] + sorted(
        {c for c in (*base.columns, *new.columns) if c.startswith("length_km_")})
    idx = base.index.union(new.index)
    names = pd.concat([base.get("ptcr_name", pd.Series(dtype=object)),
                       new.get("ptcr_name", pd.Series(dtype=object))])
    out = pd.DataFrame(index=idx)
    if len(names):
        out["ptcr_name"] = names[~names.index.duplicated()].reindex(idx)
    for c in num:
        b = base[c].reindex(idx).fillna(0.0) if c in base else pd.Series(0.0, index=idx)
        n = new[c].reindex(idx).fillna(0.0) if c in new else pd.Series(0.0, index=idx)
        out[f"{c}_base"], out[f"{c}_scenario"], out[f"delta_{c}"] = b, n, n - b
    out.index.name = "ptcr_id"
    return out.reset_index()


def compare_scenarios(
    base: Scenario,
    *,
    add: gpd.GeoDataFrame | None = None,
    remove: gpd.GeoDataFrame | gpd.GeoSeries | Sequence[str] | str | None = None,
    open_passages: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    scenario: Scenario | None = None,
    d0: float | None = None,
    p0: float = 0.5,
    threshold: float | None = None,
    distance: str = "cw_dist",
    landscape_area: float | None = None,
    remove_buffer_m: float = 1.0,
    name: str = "scenario",
) -> ScenarioComparison:
    """Compare connectivity before and after infrastructure changes.

    Parameters
    ----------
    base : Scenario
        The reference situation.
    add : GeoDataFrame, optional
        Planned infrastructure (lines, infrastructure schema) built in the scenario; its
        ``status`` becomes ``existing`` in the scenario.
    remove : list of infra_id, or GeoDataFrame/GeoSeries, optional
        Infrastructure removed in the scenario: whole lines by ``infra_id``, or the parts
        of lines within ``remove_buffer_m`` of the given geometries (fence segments;
        polygons cut everything inside; if the GeoDataFrame has ``infra_id`` only those
        lines are cut).
    open_passages : GeoDataFrame or GeoSeries, optional
        Points/segments added to the passages that reopen burned barriers.
    scenario : Scenario, optional
        A fully specified alternative instead of ``add``/``remove``/``open_passages``.
    d0, p0, threshold, distance, landscape_area
        Connectivity index options (:func:`camigeo.connectivity_indices`); the same for
        both runs. ``d0`` is in the units of ``distance`` (cw_dist: cost units). Without
        ``d0`` and ``threshold`` only the link comparison is made.
    remove_buffer_m : float
        Tolerance (m) for cutting segments out of lines.
    name : str
        Label of the scenario.

    Returns
    -------
    ScenarioComparison
        ``links`` (per-link Δ cw_dist), ``graph`` (Δ PC, Δ ECA, Δ IIC), ``conflict``
        (per-PTCR Δ conflict score), and both full results.

    Raises
    ------
    CamigeoError
        No change requested, or both ``scenario`` and edits given; bad layers.

    Examples
    --------
    >>> cmp = compare_scenarios(base, add=railway, d0=100_000)  # doctest: +SKIP
    >>> cmp.graph.loc["delta", "ECA"], cmp.links.sort_values("delta_cw_dist")  # doctest: +SKIP
    """
    if not isinstance(base, Scenario):
        raise CamigeoError(f"base must be a camigeo.scenarios.Scenario; got "
                           f"{type(base).__name__}.")
    edits = add is not None or remove is not None or open_passages is not None
    if scenario is not None and edits:
        raise CamigeoError("give either scenario= or add=/remove=/open_passages=, not both.")
    if scenario is None and not edits:
        raise CamigeoError("compare_scenarios needs a change: add=, remove=, open_passages= "
                           "or scenario=.")
    if scenario is None:
        scenario = base.with_changes(add=add, remove=remove, open_passages=open_passages,
                                     name=name, remove_buffer_m=remove_buffer_m)
    opts: dict[str, Any] = {"d0": d0, "p0": p0, "threshold": threshold, "distance": distance,
            "landscape_area": landscape_area}
    r_base = evaluate_scenario(base, **opts)
    r_new = evaluate_scenario(scenario, **opts)
    return ScenarioComparison(
        links=_compare_links(r_base, r_new, distance),
        graph=_compare_graph(r_base, r_new),
        conflict=_compare_conflict(r_base.conflict, r_new.conflict),
        base=r_base,
        scenario=r_new,
    )
