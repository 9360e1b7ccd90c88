"""Catalogue of hostile inputs, part 2 (issue 14): the modules merged after the first pass.

Corridor graph and indices, ``rank_passages``, ``cost_distance(block_corners=)``, Omniscape,
Brownian bridges, migration sequences/corridors/barrier conflict, ``run_migration`` and
``run_activity``. Same rules as tests/test_bad_inputs.py: each case asserts the exception
class (always a camigeo error), a regular expression naming the argument and one for the fix.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, Polygon, box

import camigeo
from camigeo import CamigeoError, CRSError, GeometryError, Raster, SchemaError
from camigeo.circuit import omniscape, run_omniscape
from camigeo.corridors import cost_distance, rank_passages
from camigeo.corridors.network import connectivity_indices, corridor_graph, graph_centrality

UTM = "EPSG:32642"
T0 = pd.Timestamp("2021-01-01", tz="UTC")


# ----------------------------------------------------------------------------- fixtures
def res(a: Any = None) -> Raster:
    return Raster.from_array(np.ones((5, 9)) if a is None else np.asarray(a, dtype=float),
                             cellsize=10, crs=UTM)


def cores() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"core_id": [1, 2]},
                            geometry=[box(0, 40, 10, 50), box(80, 40, 90, 50)], crs=UTM)


def links(**cols: Any) -> pd.DataFrame:
    d: dict[str, Any] = {"core_a": [1], "core_b": [2], "cw_dist": [100.0]}
    d.update(cols)
    return pd.DataFrame(d)


def graph() -> Any:
    return corridor_graph(cores(), links())


def fence() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[LineString([(45, 0), (45, 50)])], crs=UTM)


def _quiet(make: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return make()


def nan_fence() -> gpd.GeoDataFrame:
    return fence().set_geometry([_quiet(lambda: LineString([(45, 0), (np.nan, 3), (45, 50)]))],
                                crs=UTM)


def fixes(n: int = 20) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(0)
    xy = np.cumsum(rng.normal(0, 100, (n, 2)), axis=0) + [500_000, 4_000_000]
    return gpd.GeoDataFrame(
        {"individual_id": "a", "timestamp": T0 + pd.to_timedelta(np.arange(n) * 60, unit="min")},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs="EPSG:32612")


def nan_fixes() -> gpd.GeoDataFrame:
    f = fixes()
    f.loc[3, "geometry"] = _quiet(lambda: Point(np.nan, np.nan))
    return f


def corridors() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"use_class": ["high"]}, geometry=[box(0, 0, 100, 100)], crs=UTM)


def _rp(**kw: Any) -> Any:
    args: dict[str, Any] = {"barriers": fence(), "resistance": res(), "cores": cores(),
                            "spacing_km": 0.02}
    args.update(kw)
    cand = args.pop("candidates", None)
    return rank_passages(cand, **args)


def _bb(f: Any = None, **kw: Any) -> Any:
    args: dict[str, Any] = {"location_error_m": 20, "cell_size_m": 50}
    args.update(kw)
    return camigeo.brownian_bridge(fixes() if f is None else f, **args)


# ------------------------------------------------------------------------------- cases
CASES: list[Any] = []


def add(cid: str, call: Callable[[], Any], exc: type[Exception], names: str, fix: str) -> None:
    CASES.append(pytest.param(call, exc, names, fix, id=cid))


# --- corridor graph and its indices
add("graph-cores-not-gdf", lambda: corridor_graph(pd.DataFrame({"core_id": [1]}), links()),
    CamigeoError, r"cores must be a GeoDataFrame.*got DataFrame", r"geopandas.GeoDataFrame")
add("graph-cores-empty", lambda: corridor_graph(cores().iloc[:0], links().iloc[:0]),
    SchemaError, r"cores is empty \(0 rows\)", r"Check the filter")
add("graph-cores-nan", lambda: corridor_graph(cores().set_geometry(
    [_quiet(lambda: Polygon([(0, 40), (np.nan, 45), (10, 50), (10, 40)])),
     box(80, 40, 90, 50)], crs=UTM),
    links()), GeometryError, r"cores.*NaN or infinite", r"Drop or fix")
add("graph-cores-metres-as-lonlat", lambda: corridor_graph(cores().set_geometry(
    [box(5e5, 4e6, 5.1e5, 4.1e6), box(6e5, 4e6, 6.1e5, 4.1e6)], crs=4326), links()),
    CRSError, r"cores.*not degrees", r"set_crs")
add("graph-links-list", lambda: corridor_graph(cores(), [1, 2]), CamigeoError,
    r"links must be the link table.*got list", r"corridor_links")
add("graph-cw-text", lambda: corridor_graph(cores(), links(cw_dist=["far"])), SchemaError,
    r"links column 'cw_dist'.*'far'", r"corridor_links or drop")
add("graph-cw-negative", lambda: corridor_graph(cores(), links(cw_dist=[-5.0])), SchemaError,
    r"'cw_dist' must hold distances >= 0.*-5", r"drop those rows")
add("graph-cw-nan", lambda: corridor_graph(cores(), links(cw_dist=[np.nan])), SchemaError,
    r"'cw_dist'.*nan", r"drop those rows")
add("graph-unknown-core", lambda: corridor_graph(cores(), links(core_b=[7])), SchemaError,
    r"links refer to core ids \['7'\]", r"values of the cores id column")
add("conn-d0-text", lambda: connectivity_indices(graph(), d0="50"), SchemaError,
    r"d0 = '50'.*got str", r"not as text")
add("conn-p0-text", lambda: connectivity_indices(graph(), d0=50, p0="0.5"), SchemaError,
    r"p0 = '0.5'.*got str", r"not as text")
add("conn-threshold-text", lambda: connectivity_indices(graph(), threshold="5"), SchemaError,
    r"threshold = '5'", r"not as text")
add("conn-importance-text", lambda: connectivity_indices(graph(), d0=5, importance="no"),
    SchemaError, r"importance = 'no'.*True or False", r"importance=False")
add("conn-distance-unknown", lambda: connectivity_indices(graph(), d0=5, distance="nope"),
    SchemaError, r"'nope'", r"pass distance=")
add("centrality-normalized-text", lambda: graph_centrality(graph(), normalized="false"),
    SchemaError, r"normalized = 'false'", r"normalized=False")
add("centrality-weight-unknown", lambda: graph_centrality(graph(), weight="nope"),
    SchemaError, r"'nope'", r"Pass weight=")
add("centrality-not-graph", lambda: graph_centrality(None), CamigeoError,
    r"G must be an undirected networkx.Graph.*NoneType", r"Convert with")

# --- block_corners
add("cost-block-corners-negative", lambda: cost_distance(res(), cores(), block_corners=-1),
    CamigeoError, r"block_corners.*> 0.*got -1", r"block_corners=True, False or")
add("cost-block-corners-nan", lambda: cost_distance(res(), cores(),
                                                    block_corners=float("nan")),
    CamigeoError, r"block_corners.*got nan", r"block_corners=True, False or")
add("cost-block-corners-text", lambda: cost_distance(res(), cores(), block_corners="1000"),
    CamigeoError, r"block_corners.*got '1000'", r"e\.g\. 1000\.0")

# --- rank_passages
add("passages-candidates-empty", lambda: _rp(candidates=gpd.GeoDataFrame(geometry=[],
                                                                         crs=UTM)),
    CamigeoError, r"candidates is empty", r"spacing_km=")
add("passages-candidates-nan", lambda: _rp(candidates=gpd.GeoDataFrame(
    geometry=[_quiet(lambda: Point(np.nan, np.nan))], crs=UTM)), GeometryError,
    r"candidates.*NaN or infinite", r"Drop or fix")
add("passages-barriers-empty", lambda: _rp(barriers=fence().iloc[:0]), CamigeoError,
    r"barriers is empty", r"Check the filter")
add("passages-barriers-nan", lambda: _rp(barriers=nan_fence()), GeometryError,
    r"barriers.*NaN or infinite", r"Drop or fix")
add("passages-width-huge", lambda: _rp(width_m=1e12), SchemaError,
    r"width_m = 1000000000000\.0.*<= 1e\+06 m", r"width of an opening in metres")
add("passages-width-text", lambda: _rp(width_m="5"), SchemaError, r"width_m = '5'.*got str",
    r"width of an opening in metres")
add("passages-spacing-nan", lambda: _rp(spacing_km=float("nan")), SchemaError,
    r"spacing_km = nan", r"distance between candidate openings")
add("passages-spacing-tiny-memory", lambda: _rp(spacing_km=1e-12), CamigeoError,
    r"candidates_along\(spacing_km=1e-12\).*candidate points.*needs about",
    r"larger spacing_km")
add("passages-resistance-negative", lambda: _rp(passage_resistance=-1), SchemaError,
    r"passage_resistance = -1", r"resistance of an opened cell")
add("passages-resistance-nan", lambda: _rp(passage_resistance=float("nan")), SchemaError,
    r"passage_resistance = nan", r"resistance of an opened cell")

# --- Omniscape
add("omniscape-radius-huge-memory", lambda: omniscape(res(), radius=10**7), CamigeoError,
    r"omniscape\(radius=10000000, buffer=0, threads=\d+\).*needs about.*available",
    r"smaller radius")
add("omniscape-r-cutoff-negative", lambda: omniscape(res(), radius=3, r_cutoff=-1),
    SchemaError, r"r_cutoff = -1", r"inf for no cut-off")
add("omniscape-r-cutoff-nan", lambda: omniscape(res(), radius=3, r_cutoff=float("nan")),
    SchemaError, r"r_cutoff = nan", r"inf for no cut-off")
add("omniscape-source-threshold-nan", lambda: omniscape(res(), radius=3,
                                                        source_threshold=float("nan")),
    SchemaError, r"source_threshold = nan", r"use 0 to keep every source")
add("omniscape-flag-text", lambda: omniscape(res(), radius=3, calc_flow_potential="false"),
    SchemaError, r"calc_flow_potential = 'false'", r"calc_flow_potential=False")
add("omniscape-all-nodata", lambda: omniscape(res(np.full((5, 9), np.nan)), radius=3),
    CamigeoError, r"resistance: every one of the 45 cells is NODATA", r"Check the raster")
add("run-omniscape-not-a-path", lambda: run_omniscape(5), CamigeoError,  # type: ignore[arg-type]
    r"ini_path = 5.*got int", r"run_omniscape\('my_run.ini'\)")

# --- Brownian bridges
add("bbmm-cell-tiny-memory", lambda: _bb(cell_size_m=1e-6), CamigeoError,
    r"cell_size_m=1e-06.*needs an estimated.*available", r"coarser cells")
add("bbmm-cell-text", lambda: _bb(cell_size_m="50"), SchemaError,
    r"cell_size_m must be a positive number; got '50'", r"positive number")
add("bbmm-time-step-tiny", lambda: _bb(time_step_min=1e-9), SchemaError,
    r"time_step_min=1e-09 gives .* bridge time steps", r"Use a larger time_step_min")
add("bbmm-nan-fix", lambda: _bb(nan_fixes()), GeometryError, r"fixes.*NaN or infinite",
    r"Drop them first")
add("bbmm-metres-as-lonlat", lambda: _bb(fixes().set_crs(4326, allow_override=True)),
    CRSError, r"fixes.*not degrees", r"set_crs")
add("bbmm-location-error-negative", lambda: _bb(location_error_m=-20), SchemaError,
    r"location_error_m must be finite and > 0", r"GPS accuracy")
add("dbbmm-cell-tiny-memory", lambda: camigeo.dynamic_brownian_bridge(
    fixes(40), location_error_m=20, cell_size_m=1e-6), CamigeoError,
    r"cell_size_m=1e-06.*needs an estimated", r"coarser cells")
add("bbmm-grid-array", lambda: _bb(grid=np.ones((3, 3)), cell_size_m=None), SchemaError,
    r"grid must be a camigeo.Raster.*got ndarray", r"Raster.from_array")
add("dbbmm-cell-zero", lambda: camigeo.dynamic_brownian_bridge(
    fixes(40), location_error_m=20, cell_size_m=0), SchemaError,
    r"cell_size_m = 0: expected a number > 0 m", r"cell size in metres")
add("dbbmm-empty", lambda: camigeo.dynamic_brownian_bridge(
    fixes().iloc[:0], location_error_m=20, cell_size_m=50), SchemaError,
    r"fixes has no fixes \(0 rows\)", r"Check the file and any filter")

# --- migration sequences, corridors, barrier conflict, run_migration
add("sequences-settle-range-negative", lambda: camigeo.migration_sequences(
    fixes(), settle_range_km=-3), SchemaError, r"settle_range_km = -3", r"positive number")
add("sequences-settle-range-nan", lambda: camigeo.migration_sequences(
    fixes(), settle_range_km=float("nan")), SchemaError, r"settle_range_km = nan",
    r"positive number")
add("sequences-displacement-negative", lambda: camigeo.migration_sequences(
    fixes(), min_displacement_km=-3), SchemaError, r"min_displacement_km = -3",
    r"positive number")
add("sequences-duration-zero", lambda: camigeo.migration_sequences(
    fixes(), max_duration_days=0), SchemaError, r"max_duration_days = 0", r"positive number")
add("sequences-max-lag-negative", lambda: camigeo.migration_sequences(
    fixes(), max_lag_min=-5), SchemaError, r"max_lag_min = -5", r"positive number")
add("sequences-season-window", lambda: camigeo.migration_sequences(
    fixes(), seasons={"spring": ("13-01", "05-01")}), SchemaError,
    r"season 'spring'.*'13-01'", r"such as \('03-15', '05-31'\)")
add("sequences-id-col", lambda: camigeo.migration_sequences(fixes(), id_col="nope"),
    SchemaError, r"no column 'nope' \(given as id_col=\)", r"Pass the name")
add("corridors-sequences-table", lambda: camigeo.migration_corridors(
    fixes(), location_error_m=20, cell_size_m=50, sequences=pd.DataFrame({"x": [1]})),
    SchemaError, r"sequences is missing columns", r"migration_sequences\(tracks")
add("conflict-ptcrs-not-gdf", lambda: camigeo.corridor_barrier_conflict(
    corridors(), fence(), ptcrs=pd.DataFrame({"a": [1]})), SchemaError,
    r"ptcrs must be a GeoDataFrame.*got DataFrame", r"load_ptcrs")
add("conflict-barriers-nan", lambda: camigeo.corridor_barrier_conflict(
    corridors(), nan_fence()), GeometryError, r"barriers.*NaN or infinite", r"Drop or fix")
add("conflict-class-typo", lambda: camigeo.corridor_barrier_conflict(
    corridors(), fence(), classes=("hgh",)), SchemaError, r"classes \['hgh'\] are unknown",
    r"use any of")
add("run-migration-unknown-option", lambda: camigeo.run_migration(fixes(), footprnt=0.9),
    SchemaError, r"unknown option\(s\) \['footprnt'\]", r"Did you mean \['footprint'\]")
add("run-migration-barriers-not-gdf", lambda: camigeo.run_migration(
    fixes(), barriers=pd.DataFrame({"a": [1]})), SchemaError,
    r"barriers must be a GeoDataFrame.*got DataFrame", r"read_layer")

# --- activities
add("activity-layers-list", lambda: camigeo.activities.run_activity(
    "7.4", layers=[1, 2]), CamigeoError,  # type: ignore[arg-type]
    r"layers must be a dict.*got list", r"layers=\{'infrastructure'")
add("activity-params-list", lambda: camigeo.activities.run_activity(
    "7.4", params=[1]), CamigeoError,  # type: ignore[arg-type]
    r"params must be a dict.*got list", r"params=\{'buffer_m'")
add("activity-id-int", lambda: camigeo.activities.run_activity(7), CamigeoError,  # type: ignore[arg-type]
    r"activity id must be a string.*got 7", r"such as 'BD 7.4'")
add("activity-unknown-layer", lambda: camigeo.activities.run_activity(
    "7.4", layers={"nope": fence()}), CamigeoError, r"layers: unknown key\(s\) \['nope'\]",
    r"expected some of")


@pytest.mark.parametrize(("call", "exc", "names", "fix"), CASES)
def test_bad_input(call: Callable[[], Any], exc: type[Exception], names: str,
                   fix: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", camigeo.CamigeoWarning)
        with pytest.raises(exc) as info:
            call()
    assert isinstance(info.value, CamigeoError)
    msg = str(info.value)
    assert re.search(names, msg, re.S), msg
    assert re.search(fix, msg, re.S), msg


def test_activity_out_is_a_file(tmp_path: Path) -> None:
    f = tmp_path / "report.txt"
    f.write_text("x")
    with pytest.raises(CamigeoError, match=r"out=.*report.txt.*is an existing file.*folder"):
        camigeo.activities.run_activity("7.4", out=f)


def test_catalogue_size_new() -> None:
    assert len(CASES) >= 40, len(CASES)
