"""One call for the CLI / Atlas: sequences, corridors, stopovers and barrier conflicts.

Also the self-contained outputs of the migration step: a folium layer for the main map
(:func:`add_migration_layers`) and a report page (:func:`migration_page`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import SchemaError
from ..io.crs import require_crs
from .corridor_barriers import (
    conflict_summary,
    corridor_barrier_conflict,
    corridor_passage_candidates,
)
from .corridors_pop import MigrationCorridors, migration_corridors
from .migration import migration_sequences
from .tracks import prepare_tracks

__all__ = ["MIGRATION_LAYERS", "MigrationRun", "add_migration_layers", "migration_page",
           "run_migration"]

logger = logging.getLogger(__name__)

#: Atlas layers written by :func:`run_migration`.
MIGRATION_LAYERS = ("migration_sequences", "migration_corridors", "stopovers",
                    "corridor_barrier_conflict", "corridor_passage_candidates")
_CLASS_COLOURS = {"low": "#c6dbef", "medium": "#6baed6", "high": "#08519c"}


@dataclass
class MigrationRun:
    """Output of :func:`run_migration`.

    Attributes
    ----------
    layers : dict of str to GeoDataFrame
        :data:`MIGRATION_LAYERS` (the conflict layers only with ``barriers``), in the output
        CRS.
    corridors : MigrationCorridors
        Rasters and the sequence table.
    summary : pandas.DataFrame
        km of barriers inside the corridors per class, PTCR and barrier type.
    """

    layers: dict[str, gpd.GeoDataFrame]
    corridors: MigrationCorridors
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)

    def write_rasters(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``migration_share.tif``, ``migration_class.tif``, ``stopovers.tif`` (COG)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        c = self.corridors
        return {"migration_share": c.share.to_file(out / "migration_share.tif", cog=True,
                                                   dtype="float32"),
                "migration_class": c.use_class.to_file(out / "migration_class.tif", cog=True),
                "stopovers": c.stopovers.to_file(out / "stopovers.tif", cog=True)}


def run_migration(tracks: Any, *, barriers: Any = None, ptcrs: Any = None,
                  seasons: dict[str, tuple[str, str]] | None = None,
                  location_error_m: Any = 20.0, cell_size_m: float = 250.0,
                  margin_m: float = 2000.0, time_step_min: float = 10.0,
                  max_lag_min: float | None = None, classes: tuple[str, ...] = ("high",),
                  passage_spacing_km: float = 1.0, id_col: str | None = None,
                  time_col: str | None = None, scheduler: Any = None,
                  progress: bool = False, **corridor_options: Any) -> MigrationRun:
    """Run sequences -> Brownian bridges -> corridors/stopovers -> barrier conflicts.

    Parameters
    ----------
    tracks : GeoDataFrame or movingpandas.TrajectoryCollection
        GPS fixes.
    barriers : GeoDataFrame, optional
        Railway / fence / road lines (e.g. the bundled infrastructure) for the conflict
        layers.
    ptcrs : GeoDataFrame, optional
        PTCR polygons to split the conflicts by.
    seasons : dict, optional
        Date windows (see :func:`migration_sequences`); default: the NSD rule.
    location_error_m, cell_size_m, margin_m, time_step_min, max_lag_min
        See :func:`migration_corridors`.
    classes : tuple of str
        Corridor classes of the conflict layer.
    passage_spacing_km : float
        Spacing of the candidate passage points along conflicting barriers, km.
    id_col, time_col : str, optional
        Column names.
    scheduler, progress
        See :func:`migration_corridors`.
    **corridor_options
        Other keyword arguments of :func:`migration_corridors` (``footprint``,
        ``medium_share``, ...).

    Returns
    -------
    MigrationRun
        Layers in the CRS of ``barriers`` (or of ``tracks`` without barriers).
    """
    import inspect

    known = set(inspect.signature(migration_corridors).parameters)
    unknown = sorted(set(corridor_options) - known)
    if unknown:
        import difflib

        hint = [difflib.get_close_matches(u, sorted(known), n=1) for u in unknown]
        raise SchemaError(f"run_migration: unknown option(s) {unknown}; expected keyword "
                          f"arguments of migration_corridors. Did you mean "
                          f"{[h[0] if h else '?' for h in hint]}?")
    if barriers is not None and not isinstance(barriers, gpd.GeoDataFrame):
        raise SchemaError(f"barriers must be a GeoDataFrame of barrier lines (or None); got "
                          f"{type(barriers).__name__}. Read it with camigeo.read_layer(path).")
    gdf, id_col, time_col = prepare_tracks(tracks, id_col=id_col, time_col=time_col)
    out_crs = require_crs(barriers, name="barriers") if barriers is not None else \
        require_crs(gdf, name="tracks")
    seq = migration_sequences(gdf, seasons=seasons, max_lag_min=max_lag_min, id_col=id_col,
                              time_col=time_col)
    logger.info("%d migration sequences of %d individuals", len(seq),
                seq["individual_id"].nunique() if len(seq) else 0)
    res = migration_corridors(gdf, location_error_m=location_error_m, sequences=seq,
                              cell_size_m=cell_size_m, margin_m=margin_m,
                              time_step_min=time_step_min, max_lag_min=max_lag_min,
                              id_col=id_col, time_col=time_col, scheduler=scheduler,
                              progress=progress, **corridor_options)
    seq_layer = seq.copy()
    for col in ("motion_variance", "variance_on_bound", "n_bridges", "footprint_km2"):
        seq_layer[col] = res.sequences[col].to_numpy()
    layers: dict[str, gpd.GeoDataFrame] = {
        "migration_sequences": seq_layer,
        "migration_corridors": res.corridor_polygons(),
        "stopovers": res.stopover_polygons(),
    }
    summary = pd.DataFrame()
    if barriers is not None:
        conflict = corridor_barrier_conflict(res, barriers, ptcrs=ptcrs, classes=classes)
        layers["corridor_barrier_conflict"] = conflict
        layers["corridor_passage_candidates"] = corridor_passage_candidates(
            conflict, res, spacing_km=passage_spacing_km)
        summary = conflict_summary(conflict, by=["ptcr_id", "barrier_type"])
    layers = {k: (v if v.crs.equals(out_crs) else v.to_crs(out_crs)) for k, v in layers.items()}
    for k in ("corridor_barrier_conflict", "corridor_passage_candidates"):
        if k in layers:  # pieces outside every PTCR have no ptcr_id (an Atlas check allowance)
            layers[k].attrs["nullable_columns"] = ("ptcr_id",)
    return MigrationRun(layers, res, summary)


def add_migration_layers(m: Any, layers: dict[str, Any]) -> Any:
    """Add the migration corridors, stopovers and conflicts to a folium map (one toggle).

    Parameters
    ----------
    m : folium.Map
    layers : dict
        :attr:`MigrationRun.layers` (missing layers are left out).

    Returns
    -------
    folium.Map
        The same map.
    """
    import folium

    group = folium.FeatureGroup(name="Migration corridors (GPS)", show=True)
    corr = layers.get("migration_corridors")
    if corr is not None and len(corr):
        for _, row in corr.to_crs("EPSG:4326").sort_values("code").iterrows():
            colour = _CLASS_COLOURS.get(str(row["use_class"]), "#3182bd")
            folium.GeoJson(
                row.geometry.__geo_interface__, name=f"{row['use_class']} use",
                style_function=lambda _f, c=colour: {"color": c, "weight": 0.5,
                                                     "fillColor": c, "fillOpacity": 0.45},
                tooltip=f"{row['use_class']} use corridor, {row['area_km2']:,.1f} km²",
            ).add_to(group)
    stops = layers.get("stopovers")
    if stops is not None and len(stops):
        for geom in stops.to_crs("EPSG:4326").geometry:
            folium.GeoJson(geom.__geo_interface__,
                           style_function=lambda _f: {"color": "#d94801", "weight": 1,
                                                      "fillColor": "#fd8d3c",
                                                      "fillOpacity": 0.6},
                           tooltip="stopover").add_to(group)
    conf = layers.get("corridor_barrier_conflict")
    if conf is not None and len(conf):
        for _, row in conf.to_crs("EPSG:4326").iterrows():
            folium.GeoJson(row.geometry.__geo_interface__,
                           style_function=lambda _f: {"color": "#cb181d", "weight": 4},
                           tooltip=(f"{row['barrier_type']} {row['barrier_name'] or ''}: "
                                    f"{row['length_km']:.1f} km in {row['use_class']}-use "
                                    f"corridor")).add_to(group)
    group.add_to(m)
    return m


def migration_page(layers: dict[str, Any], *, summary: pd.DataFrame | None = None) -> Any:
    """One report page: corridor classes, stopovers, sequences and barrier conflicts.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    corr = layers.get("migration_corridors")
    if corr is None:
        raise SchemaError("layers has no 'migration_corridors'; run run_migration first.")
    work = corr.crs if corr.crs is not None and corr.crs.is_projected else \
        corr.estimate_utm_crs() if len(corr) else corr.crs
    fig, (ax, tab) = plt.subplots(1, 2, figsize=(11.69, 8.27),
                                  gridspec_kw={"width_ratios": [3, 2]})
    for _, row in corr.to_crs(work).sort_values("code").iterrows():
        gpd.GeoSeries([row.geometry], crs=work).plot(
            ax=ax, color=_CLASS_COLOURS.get(str(row["use_class"]), "#3182bd"), linewidth=0)
    seq = layers.get("migration_sequences")
    if seq is not None and len(seq):
        seq.to_crs(work).plot(ax=ax, color="#555555", linewidth=0.4, alpha=0.6)
    stops = layers.get("stopovers")
    if stops is not None and len(stops):
        stops.to_crs(work).plot(ax=ax, color="#fd8d3c", linewidth=0)
    conf = layers.get("corridor_barrier_conflict")
    if conf is not None and len(conf):
        conf.to_crs(work).plot(ax=ax, color="#cb181d", linewidth=2)
    ax.set_title("Migration corridors from GPS collars (Brownian bridges)")
    ax.set_axis_off()
    from matplotlib.patches import Patch

    handles = [Patch(color=c, label=f"{k} use") for k, c in _CLASS_COLOURS.items()]
    handles += [Patch(color="#fd8d3c", label="stopover"),
                Patch(color="#cb181d", label="barrier in corridor")]
    ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=True)
    tab.set_axis_off()
    lines = []
    if seq is not None and len(seq):
        lines.append(f"{len(seq)} migration sequences, {seq['individual_id'].nunique()} "
                     f"individuals")
        lines.append(f"median path {np.median(seq['distance_km']):,.1f} km, "
                     f"median {np.median(seq['duration_days']):,.1f} days")
    for _, row in corr.iterrows():
        lines.append(f"{row['use_class']:>6} use: {row['area_km2']:,.1f} km²")
    if summary is not None and len(summary):
        lines.append("")
        lines.append("Barriers inside corridors (km):")
        for r in summary.head(12).itertuples():
            lines.append(f"  {r.use_class} | {r.ptcr_id if pd.notna(r.ptcr_id) else '-'} | "
                         f"{r.barrier_type}: {r.length_km:,.1f}")
    tab.text(0.0, 1.0, "\n".join(lines), va="top", family="monospace", fontsize=8)
    fig.tight_layout()
    return fig
