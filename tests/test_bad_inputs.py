"""Catalogue of hostile inputs to the public API (issue 14).

Every case asserts three things about the error: its class (always a camigeo error, never a
raw library exception), that the message names the argument, column or file at fault, and
that it says how to fix it. File readers get more cases in tests/test_bad_inputs_files.py,
the command line in tests/test_bad_inputs_cli.py.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, box

import camigeo
from camigeo import (
    CamigeoError,
    CamigeoWarning,
    CRSError,
    GeometryError,
    Raster,
    SchemaError,
    UnknownSpeciesError,
    ValidationError,
)

UTM = "EPSG:32642"


# ----------------------------------------------------------------------------- fixtures
def ptcrs() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"ptcr_id": ["P1"], "name": ["Steppe"]},
                            geometry=[box(60, 40, 62, 42)], crs=4326)


def ranges() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"sci_name": ["Equus hemionus"], "presence": [1], "origin": [1],
                             "seasonal": [1]}, geometry=[box(60, 40, 62, 42)], crs=4326)


def infra(**cols: Any) -> gpd.GeoDataFrame:
    d: dict[str, Any] = {"infra_id": ["a"], "infra_type": ["railway"], "status": ["existing"]}
    d.update(cols)
    return gpd.GeoDataFrame(d, geometry=[LineString([(60.5, 40.5), (61.5, 41.5)])], crs=4326)


def nan_line() -> gpd.GeoDataFrame:
    g = infra()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        g.geometry = [LineString([(60.5, 40.5), (np.nan, 41.0), (61.5, 41.5)])]
    return g


def _nan_line_utm() -> LineString:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return LineString([(0, 0), (np.nan, 1), (0, 5)])


def _nan_point() -> Point:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return Point(np.nan, np.nan)


def metres_as_degrees() -> gpd.GeoDataFrame:
    g = infra()
    g.geometry = [LineString([(500_000, 4_400_000), (600_000, 4_500_000)])]
    return g


def bowtie() -> Polygon:
    return Polygon([(60, 40), (62, 42), (62, 40), (60, 42)])


def raster(arr: Any = None, cellsize: float = 1000.0) -> Raster:
    a = np.ones((20, 20)) if arr is None else np.asarray(arr, dtype=float)
    return Raster.from_array(a, cellsize=cellsize, origin=(500_000, 4_400_000), crs=UTM)


def cores() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"core_id": [1, 2]},
                            geometry=[box(502_000, 4_402_000, 504_000, 4_404_000),
                                      box(514_000, 4_414_000, 516_000, 4_416_000)], crs=UTM)


def fixes(n: int = 10) -> gpd.GeoDataFrame:
    t = pd.date_range("2020-01-01", periods=n, freq="h", tz="UTC")
    return gpd.GeoDataFrame({"individual_id": ["a"] * n, "timestamp": t},
                            geometry=[Point(-900 + 200 * i, 0) for i in range(n)], crs=UTM)


def fence() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"infra_id": ["f1"], "infra_type": ["fence"]},
                            geometry=[LineString([(0, -5000), (0, 5000)])], crs=UTM)


def spec(**kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"bounds": (0, 0, 10_000, 10_000), "cellsize_m": 1000, "crs": UTM}
    d.update(kw)
    return d


def _score(inf: Any, **kw: Any) -> Any:
    return camigeo.score_conflict(ptcrs(), ranges(), inf, **kw)


# ------------------------------------------------------------------------------- cases
CASES: list[Any] = []


def add(cid: str, call: Callable[[], Any], exc: type[Exception], names: str, fix: str) -> None:
    CASES.append(pytest.param(call, exc, names, fix, id=cid))


# --- conflict scoring: in-memory layers get read_layer's checks
add("score-fenced-maybe", lambda: _score(infra(fenced=["maybe"])), SchemaError,
    r"infrastructure.*'fenced'.*'maybe'", r"Fix the values|parse the column")
add("score-fenced-2", lambda: _score(infra(fenced=[2])), SchemaError, r"'fenced'.*2",
    r"true/false")
add("score-nan-vertex", lambda: _score(nan_line()), GeometryError,
    r"infrastructure.*NaN or infinite", r"Drop or fix")
add("score-inf-vertex", lambda: _score(infra().set_geometry(
    [LineString([(60.5, 40.5), (np.inf, 41), (61, 41)])], crs=4326)), GeometryError,
    r"infrastructure.*NaN or infinite", r"Drop or fix")
add("score-metres-as-lonlat", lambda: _score(metres_as_degrees()), CRSError,
    r"infrastructure.*not degrees", r"set_crs")
add("score-ptcr-metres-as-lonlat", lambda: camigeo.score_conflict(
    ptcrs().set_geometry([box(5e5, 4.4e6, 6e5, 4.5e6)], crs=4326), ranges(), infra()),
    CRSError, r"ptcrs.*not degrees", r"set_crs")
add("score-bowtie-refused-without-repair", lambda: camigeo.io.guards.check_geometries(
    ranges().set_geometry([bowtie()], crs=4326), name="ranges", repair=False), GeometryError,
    r"ranges.*invalid.*Self-intersection", r"repair=True")
add("score-neg-weight", lambda: _score(infra(), weights={"railway": -1}), SchemaError,
    r"weights\['railway'\] = -1", r"1 = full barrier")
add("score-weight-text", lambda: _score(infra(), weights={"railway": "high"}), SchemaError,
    r"weights\['railway'\] = 'high'", r"1 = full barrier")
add("score-weight-nan", lambda: _score(infra(), weights={"railway": float("nan")}),
    SchemaError, r"weights\['railway'\]", r"finite")
add("score-neg-zone", lambda: _score(infra(), effect_zones_m={"railway": -5}), SchemaError,
    r"effect_zones_m\['railway'\] = -5", r"width in metres")
add("score-huge-zone", lambda: _score(infra(), effect_zones_m={"railway": 1e12}),
    SchemaError, r"effect_zones_m\['railway'\].*<= 1e\+06 m", r"width in metres")
add("score-zone-inf", lambda: _score(infra(), effect_zones_m={"railway": float("inf")}),
    SchemaError, r"effect_zones_m\['railway'\]", r"finite")
add("score-unknown-type", lambda: _score(infra(infra_type=["tram"])), SchemaError,
    r"infra_type.*'tram'", r"Map them|drop")
add("score-missing-type", lambda: _score(infra().drop(columns="infra_type")), SchemaError,
    r"infra_type", r"Rename or add")
add("score-unknown-fence-class", lambda: _score(infra(fence_class=["strong"])), SchemaError,
    r"fence_class.*'strong'", r"use 'unknown'")
add("score-no-crs", lambda: _score(infra().set_crs(None, allow_override=True)), CRSError,
    r"infrastructure has no CRS", r"set_crs")
add("score-not-gdf", lambda: _score(pd.DataFrame({"a": [1]})), SchemaError,
    r"infrastructure must be a GeoDataFrame", r"read_layer")
add("score-points", lambda: _score(infra().set_geometry([Point(60, 40)], crs=4326)),
    GeometryError, r"infrastructure.*Point", r"centre lines|boundary")
add("score-ranges-lines", lambda: camigeo.score_conflict(
    ptcrs(), ranges().set_geometry([LineString([(60, 40), (61, 41)])], crs=4326), infra()),
    GeometryError, r"ranges.*LineString", r"buffer")
add("score-ptcr-no-id", lambda: camigeo.score_conflict(ptcrs().drop(columns="ptcr_id"),
                                                       ranges(), infra()),
    SchemaError, r"ptcrs has no 'ptcr_id'", r"Rename or add")
add("score-ranges-no-sci", lambda: camigeo.score_conflict(
    ptcrs(), ranges().drop(columns="sci_name"), infra()), SchemaError,
    r"ranges has no 'sci_name'", r"Rename or add")
add("score-status-typo", lambda: _score(infra(), status=("existng",)), SchemaError,
    r"'existng' is not an infrastructure status", r"Did you mean 'existing'")
add("score-status-int", lambda: _score(infra(), status=5), SchemaError, r"status=5",
    r"such as \('existing',\)")
add("score-chunk-0", lambda: _score(infra(), chunk_size=0), SchemaError, r"chunk_size=0",
    r"positive whole number")
add("summarize-by", lambda: camigeo.summarize_conflict(_score(infra()), by="country"),
    SchemaError, r"by='country'", r"'ptcr' or 'species'")
add("summarize-not-scores", lambda: camigeo.summarize_conflict(pd.DataFrame({"a": [1]})),
    SchemaError, r"scores lacks column", r"output of")
add("summarize-neg-species-weight", lambda: camigeo.summarize_conflict(
    _score(infra()), species_weights={"Equus hemionus": -1}), SchemaError,
    r"species_weights", r">= 0")

# --- conflict grid: parameters and memory
add("grid-cell-0", lambda: camigeo.conflict_grid(ptcrs(), ranges(), infra(), cell_km=0),
    SchemaError, r"cell_km=0", r"positive number of km")
add("grid-cell-nan", lambda: camigeo.conflict_grid(ptcrs(), ranges(), infra(),
                                                   cell_km=float("nan")),
    SchemaError, r"cell_km=nan", r"positive number")
add("grid-cell-1mm-memory", lambda: camigeo.conflict_grid(ptcrs(), ranges(), infra(),
                                                          cell_km=1e-6),
    CamigeoError, r"conflict_grid\(cell_km=1e-06\).*cells.*needs about.*available",
    r"larger cell_km")
add("grid-k-0", lambda: camigeo.conflict_grid(ptcrs(), ranges(), infra(), k=0), SchemaError,
    r"k=0", r"whole number of classes")
add("grid-scheme", lambda: camigeo.conflict_grid(ptcrs(), ranges(), infra(), scheme="x"),
    SchemaError, r"scheme='x'", r"'quantiles' or 'natural_breaks'")
add("grid-nan-vertex", lambda: camigeo.conflict_grid(ptcrs(), ranges(), nan_line()),
    GeometryError, r"infrastructure.*NaN", r"Drop or fix")

add("grid-empty-ptcrs", lambda: camigeo.conflict_grid(ptcrs().iloc[:0], ranges(), infra()),
    SchemaError, r"conflict_grid: ptcrs has no region polygon", r"pass at least one PTCR")

# --- fragmentation
add("meff-nan-barrier", lambda: camigeo.effective_mesh_size(ptcrs(), nan_line()),
    GeometryError, r"barriers.*NaN", r"Drop or fix")
add("meff-method", lambda: camigeo.effective_mesh_size(ptcrs(), infra(), method="XYZ"),
    SchemaError, r"method='XYZ'", r"'CUT' or 'CBC'")
add("meff-areas-lines", lambda: camigeo.effective_mesh_size(infra(), infra()), GeometryError,
    r"areas has geometry type", r"Polygon or MultiPolygon")
add("meff-areas-not-gdf", lambda: camigeo.effective_mesh_size([1], infra()), SchemaError,
    r"areas must be a GeoDataFrame", r"polygons")
add("meff-barriers-not-gdf", lambda: camigeo.effective_mesh_size(ptcrs(), "x"), SchemaError,
    r"barriers must be a GeoDataFrame", r"lines")
add("meff-barrier-filter", lambda: camigeo.effective_mesh_size(ptcrs(), infra(),
                                                               barrier_filter="some"),
    SchemaError, r"barrier_filter='some'", r"expected")
add("meff-areas-metres-as-lonlat", lambda: camigeo.effective_mesh_size(
    ptcrs().set_geometry([box(5e5, 4.4e6, 6e5, 4.5e6)], crs=4326), infra()), CRSError,
    r"areas.*not degrees", r"set_crs")
add("meff-areas-no-crs", lambda: camigeo.effective_mesh_size(
    ptcrs().set_crs(None, allow_override=True), infra()), CRSError, r"areas has no CRS",
    r"set_crs")

# --- screening
add("screen-buffer-huge", lambda: camigeo.screen_project(
    infra(), buffer_m=1e12, ptcrs=ptcrs(), ranges=ranges(), infrastructure=infra()),
    SchemaError, r"buffer_m = 1000000000000.0", r"metres")
add("screen-buffer-neg", lambda: camigeo.screen_project(
    infra(), buffer_m=-5, ptcrs=ptcrs(), ranges=ranges(), infrastructure=infra()),
    SchemaError, r"buffer_m = -5", r"metres")
add("screen-buffer-text", lambda: camigeo.screen_project(
    infra(), buffer_m="5km", ptcrs=ptcrs(), ranges=ranges(), infrastructure=infra()),
    SchemaError, r"buffer_m = '5km'", r"metres")
add("screen-metres-as-lonlat", lambda: camigeo.screen_project(
    metres_as_degrees(), ptcrs=ptcrs(), ranges=ranges(), infrastructure=infra()), CRSError,
    r"project.*not degrees", r"set_crs")
add("screen-nan-vertex", lambda: camigeo.screen_project(
    nan_line(), ptcrs=ptcrs(), ranges=ranges(), infrastructure=infra()), GeometryError,
    r"project.*NaN", r"Drop or fix")
add("screen-fenced-text", lambda: camigeo.screen_project(
    infra(), fenced="maybe", ptcrs=ptcrs(), ranges=ranges(), infrastructure=infra()),
    SchemaError, r"fenced='maybe'", r"True or False")
add("screen-no-type", lambda: camigeo.screen_project(
    infra().drop(columns="infra_type"), ptcrs=ptcrs(), ranges=ranges(),
    infrastructure=infra()), SchemaError, r"project has no 'infra_type'", r"pass infra_type=")
add("screen-points", lambda: camigeo.screen_project(
    gpd.GeoSeries([Point(60, 40)], crs=4326), infra_type="road", ptcrs=ptcrs(),
    ranges=ranges(), infrastructure=infra()), GeometryError, r"project has geometry type",
    r"Buffer points")
add("screen-empty", lambda: camigeo.screen_project(
    infra().iloc[:0], ptcrs=ptcrs(), ranges=ranges(), infrastructure=infra()),
    GeometryError, r"project has no non-empty geometry", r"expected planned lines")
add("screen-mesh-method", lambda: camigeo.screen_project(
    infra(), mesh_method="x", ptcrs=ptcrs(), ranges=ranges(), infrastructure=infra()),
    SchemaError, r"mesh_method='x'", r"'CUT' or 'CBC'")
add("screen-not-geometry", lambda: camigeo.screen_project(
    [1, 2], ptcrs=ptcrs(), ranges=ranges(), infrastructure=infra()), SchemaError,
    r"project must be a shapely geometry", r"GeoDataFrame")
add("screen-no-crs", lambda: camigeo.screen_project(
    gpd.GeoSeries([LineString([(60, 40), (61, 41)])]), infra_type="road", ptcrs=ptcrs(),
    ranges=ranges(), infrastructure=infra()), CRSError, r"project has no CRS", r"set_crs")

# --- rasters and resistance
add("raster-cellsize-0", lambda: Raster.from_array(np.ones((3, 3)), cellsize=0),
    SchemaError, r"cellsize = 0", r"cellsize=1000")
add("raster-cellsize-neg", lambda: Raster.from_array(np.ones((3, 3)), cellsize=-5),
    SchemaError, r"cellsize = -5", r"cellsize=1000")
add("raster-cellsize-nan", lambda: Raster.from_array(np.ones((3, 3)), cellsize=float("nan")),
    SchemaError, r"cellsize = nan", r"cellsize=1000")
add("raster-transform-degenerate", lambda: Raster(np.ones((3, 3)), (0, 0, 0, 0, 0, 0)),
    CamigeoError, r"Raster transform.*degenerate", r"positive cellsize")
add("raster-1d", lambda: Raster(np.ones(3)), CamigeoError, r"Raster array must be 2-D",
    r"band=")
add("raster-empty", lambda: Raster(np.ones((0, 3))), CamigeoError, r"Raster array has no cells",
    r"at least one row")
add("raster-not-raster", lambda: camigeo.cost_distance([[1, 2]], cores()), CamigeoError,
    r"list", r"Raster.from_array")
add("res-spec-cellsize-0", lambda: camigeo.build_resistance(spec(cellsize_m=0)), SchemaError,
    r"template cellsize_m = 0", r"cellsize_m > 0")
add("res-spec-cellsize-text", lambda: camigeo.build_resistance(spec(cellsize_m="1km")),
    SchemaError, r"template cellsize_m = '1km'", r"cellsize_m > 0")
add("res-spec-1cm-memory", lambda: camigeo.build_resistance(
    spec(bounds=(0, 0, 1e6, 1e6), cellsize_m=0.01)), CamigeoError,
    r"build_resistance on .* cells.*needs about.*PiB", r"coarser template")
add("res-spec-bounds-nan", lambda: camigeo.build_resistance(
    spec(bounds=(0, 0, float("nan"), 10))), SchemaError, r"template bounds\[2\]",
    r"finite")
add("res-spec-bounds-3", lambda: camigeo.build_resistance(spec(bounds=(0, 0, 10))),
    CamigeoError, r"template bounds=", r"four numbers")
add("res-spec-inverted", lambda: camigeo.build_resistance(spec(bounds=(10, 0, 0, 10))),
    CamigeoError, r"minx < maxx", r"cellsize_m > 0 and minx")
add("res-spec-missing", lambda: camigeo.build_resistance({"bounds": (0, 0, 1, 1)}),
    CamigeoError, r"template spec is missing", r"give a dict")
add("res-spec-geographic", lambda: camigeo.build_resistance(spec(crs=4326)), CRSError,
    r"template crs .* not projected", r"CENTRAL_ASIA_EQUAL_AREA")
add("res-neg-override", lambda: camigeo.build_resistance(
    spec(), infrastructure=fence(), resistance_by_type={"fence": -5}), SchemaError,
    r"resistance_by_type\['fence'\] = -5", r"impassable")
add("res-text-override", lambda: camigeo.build_resistance(
    spec(), infrastructure=fence(), resistance_by_type={"fence": "high"}), SchemaError,
    r"resistance_by_type\['fence'\] = 'high'", r"impassable")
add("res-fenced-maybe", lambda: camigeo.build_resistance(
    spec(), infrastructure=fence().assign(fenced=["maybe"])), SchemaError,
    r"infrastructure.*'fenced'.*'maybe'", r"Fix the values")
add("res-landcover-no-overlap", lambda: camigeo.build_resistance(
    spec(), landcover=Raster.from_array(np.ones((5, 5)), cellsize=1000,
                                        origin=(900_000, 900_000), crs=UTM),
    reclass={1: 1.0}), CamigeoError, r"landcover .*does not overlap the template",
    r"same area")
add("res-landcover-no-reclass", lambda: camigeo.build_resistance(
    spec(), landcover=raster()), CamigeoError, r"landcover was given without reclass",
    r"pass reclass=")
add("res-reclass-missing-class", lambda: camigeo.build_resistance(
    raster(np.full((20, 20), 3.0)), landcover=raster(np.full((20, 20), 3.0)),
    reclass={1: 1.0}), SchemaError, r"landcover classes \[3.0\]", r"add them")
add("res-reclass-type", lambda: camigeo.build_resistance(
    raster(), landcover=raster(), reclass=[1, 2]), CamigeoError,
    r"reclass must be a mapping", r"DataFrame")
add("res-landcover-shape", lambda: camigeo.build_resistance(
    raster(), landcover=np.ones((3, 3)), reclass={1: 1.0}), CamigeoError,
    r"landcover array has shape", r"Pass a Raster")
add("res-unknown-type", lambda: camigeo.build_resistance(
    spec(), infrastructure=fence().assign(infra_type=["tram"])), SchemaError,
    r"infra_type values \['tram/None'\]", r"resistance_by_type=")
add("res-max-neg", lambda: camigeo.build_resistance(spec(), max_resistance=-5), SchemaError,
    r"max_resistance = -5", r"cost per map unit")
add("res-range-neg", lambda: camigeo.build_resistance(spec(), range_resistance=-1),
    SchemaError, r"range_resistance = -1", r"cost per map unit")
add("res-outside-nan", lambda: camigeo.build_resistance(
    spec(), outside_range_resistance=float("nan")), SchemaError,
    r"outside_range_resistance = nan", r"finite")
add("res-passage-width", lambda: camigeo.build_resistance(
    spec(), passages=gpd.GeoDataFrame(geometry=[Point(5000, 5000)], crs=UTM),
    passage_width_m=-5), CamigeoError, r"passage_width_m must be > 0; got -5", r"> 0")
add("raster-write-unwritable", lambda: raster().to_file("/proc/none/x.tif"), CamigeoError,
    r"cannot write /proc/none/x.tif", r"Choose an output path")
add("raster-write-onto-folder", lambda: raster().to_file("/tmp"), CamigeoError,
    r"cannot write /tmp", r"not the name of a folder")
add("res-ranges-not-gdf", lambda: camigeo.build_resistance(spec(), ranges="x"), CamigeoError,
    r"ranges must be a GeoDataFrame", r"GeoDataFrame")

# --- corridors
add("cost-sources-text", lambda: camigeo.cost_distance(raster(), "cores"), CamigeoError,
    r"sources", r"GeoDataFrame")
add("cost-neighbors", lambda: camigeo.cost_distance(raster(), cores(), neighbors=5),
    CamigeoError, r"neighbors", r"4, 8 or 16")
add("cost-sources-outside", lambda: camigeo.cost_distance(
    raster(), cores().translate(1e6, 0)), CamigeoError, r"sources", r"outside|overlap|grid")
add("cost-sources-no-crs", lambda: camigeo.cost_distance(
    raster(), cores().set_crs(None, allow_override=True)), CamigeoError, r"sources",
    r"set_crs|CRS")
add("links-cores-not-gdf", lambda: camigeo.corridor_links([1, 2], raster()), CamigeoError,
    r"cores", r"GeoDataFrame")
add("links-adjacency", lambda: camigeo.corridor_links(cores(), raster(), adjacency="x"),
    CamigeoError, r"adjacency", r"'all'|cost")
add("links-id-col", lambda: camigeo.corridor_links(cores(), raster(), id_col="nope"),
    CamigeoError, r"nope", r"column")
add("lcp-target-text", lambda: camigeo.least_cost_path(raster(), cores().iloc[:1], "x"),
    CamigeoError, r"target", r"GeoDataFrame")

add("cost-sources-nan", lambda: camigeo.cost_distance(raster(), gpd.GeoDataFrame(
    geometry=[_nan_point()], crs=UTM)), GeometryError, r"sources: 1 geometries have NaN",
    r"Drop or fix")
add("links-cores-nan", lambda: camigeo.corridor_links(cores().set_geometry(
    [_nan_point(), cores().geometry.iloc[1]], crs=UTM), raster()), GeometryError,
    r"cores: 1 geometries have NaN", r"Drop or fix")
add("conflate-nan", lambda: camigeo.conflate_lines(nan_line(), infra(), reference_source="x",
                                                   reference_accuracy_km=0.1),
    GeometryError, r"lines: 1 geometries have NaN", r"Drop or fix")
add("write-layer-nan", lambda: camigeo.write_layer(nan_line(), "nan.gpkg"), GeometryError,
    r"write_layer\(nan.gpkg\): 1 geometries have NaN", r"gdf = gdf\[gdf.is_valid\]")
add("validate-nan-repair", lambda: camigeo.validate_layer(nan_line(), "infrastructure"),
    ValidationError, r"have NaN or infinite coordinates \(infra_id a\)", r"drop or fix")

# --- telemetry
add("baba-0-fixes", lambda: camigeo.classify_encounters(fixes().iloc[:0], fence(), d=300),
    SchemaError, r"tracks has no fixes", r"Check the file")
add("baba-nan-fix", lambda: camigeo.classify_encounters(
    fixes().set_geometry([Point(np.nan, np.nan)] + [Point(200 * i, 0) for i in range(1, 10)],
                         crs=UTM), fence(), d=300), GeometryError,
    r"tracks has 1 fixes with NaN", r"Drop them")
add("baba-d-0", lambda: camigeo.classify_encounters(fixes(), fence(), d=0), ValidationError,
    r"d must be a positive number", r"positive")
add("baba-d-nan", lambda: camigeo.classify_encounters(fixes(), fence(), d=float("nan")),
    ValidationError, r"d must be a positive number; got nan", r"positive")
add("baba-no-barriers", lambda: camigeo.classify_encounters(fixes(), fence().iloc[:0], d=300),
    SchemaError, r"barriers has no lines", r"Check the layer")
add("baba-nan-barrier", lambda: camigeo.classify_encounters(fixes(), fence().set_geometry(
    [_nan_line_utm()], crs=UTM), d=300), GeometryError,
    r"barriers.*NaN", r"Drop or fix")
add("baba-lonlat", lambda: camigeo.classify_encounters(fixes().to_crs(4326),
                                                       fence().to_crs(4326), d=300),
    CamigeoError, r"CRS|metres|geographic", r"to_crs|[Rr]eproject")
add("baba-no-time", lambda: camigeo.classify_encounters(fixes().drop(columns="timestamp"),
                                                        fence(), d=300),
    SchemaError, r"time", r"time_col")
add("baba-no-id", lambda: camigeo.classify_encounters(fixes().drop(columns="individual_id"),
                                                      fence(), d=300),
    SchemaError, r"animal id", r"id_col")
add("baba-lines-as-fixes", lambda: camigeo.classify_encounters(fence().assign(
    individual_id="a", timestamp=pd.Timestamp("2020", tz="UTC")), fence(), d=300),
    GeometryError, r"tracks must hold Point fixes", r"Point")
add("baba-barriers-points", lambda: camigeo.classify_encounters(
    fixes(), fixes()[["geometry"]], d=300), GeometryError,
    r"barriers must hold LineString", r"boundary")
add("baba-dup-barrier-ids", lambda: camigeo.classify_encounters(
    fixes(), pd.concat([fence(), fence()]), d=300), SchemaError,
    r"barriers barrier ids must be unique", r"Dissolve")
add("crossings-0-fixes", lambda: camigeo.find_crossings(fixes().iloc[:0], fence()),
    SchemaError, r"tracks has no fixes", r"Check the file")
add("crossings-nan-fix", lambda: camigeo.find_crossings(
    fixes().set_geometry([Point(np.inf, 0)] + [Point(200 * i, 0) for i in range(1, 10)],
                         crs=UTM), fence()), GeometryError, r"tracks has 1 fixes with NaN",
    r"Drop them")
add("crossings-not-gdf", lambda: camigeo.find_crossings(pd.DataFrame({"a": [1]}), fence()),
    SchemaError, r"tracks must be a GeoDataFrame", r"read_movebank")
add("crossings-barrier-col", lambda: camigeo.find_crossings(fixes(), fence(),
                                                            barrier_id_col="nope"),
    SchemaError, r"barriers has no column 'nope'", r"columns are")

add("hotspots-bin-tiny-memory", lambda: camigeo.crossing_hotspots(
    camigeo.find_crossings(fixes(), fence()), fence().set_geometry(
        [LineString([(0, -500_000), (0, 500_000)])], crs=UTM), bin_km=1e-7), CamigeoError,
    r"crossing_hotspots\(bin_km=1e-07\).*bins\) needs about", r"larger bin_km")
add("hotspots-bin-0", lambda: camigeo.crossing_hotspots(
    camigeo.find_crossings(fixes(), fence()), fence(), bin_km=0), ValidationError,
    r"bin_km must be a positive number; got 0", r"positive")

add("explore-nan", lambda: camigeo.explore(nan_line(), name="lines"), GeometryError,
    r"NaN or infinite coordinates", r"Drop or fix")
add("conflict-map-metres-as-lonlat", lambda: camigeo.conflict_map(
    infrastructure=metres_as_degrees()), CRSError, r"infrastructure.*not degrees",
    r"set_crs")
add("explore-no-crs", lambda: camigeo.explore(infra().set_crs(None, allow_override=True)),
    SchemaError, r"has no CRS", r"set_crs")

# --- species
add("species-typo", lambda: camigeo.resolve_species("kulann"), UnknownSpeciesError,
    r"unknown species 'kulann'", r"Did you mean 'kulan'")
add("species-int", lambda: camigeo.resolve_species(5), CamigeoError, r"5|int", r"str|name")
add("species-empty", lambda: camigeo.resolve_species(""), UnknownSpeciesError,
    r"unknown species ''", r"species_table")

# --- validation of in-memory layers
add("validate-kind", lambda: camigeo.validate_layer(infra(), "roads"), CamigeoError,
    r"kind='roads'", r"expected one of")
add("validate-not-gdf", lambda: camigeo.validate_layer(pd.DataFrame()), CamigeoError,
    r"expected a GeoDataFrame", r"geopandas.GeoDataFrame")
add("validate-fenced", lambda: camigeo.validate_layer(infra(fenced=["maybe"]),
                                                      "infrastructure"),
    ValidationError, r"'fenced'.*'maybe'", r"yes/no")
add("validate-status", lambda: camigeo.validate_layer(infra(status=["ruined"]),
                                                      "infrastructure"),
    ValidationError, r"status.*'ruined'", r"existing|planned")
add("validate-metric", lambda: camigeo.validate_layer(infra(), require_metric=True),
    ValidationError, r"metres are needed", r"Reproject")
add("validate-empty", lambda: camigeo.validate_layer(infra().iloc[:0]), ValidationError,
    r"the layer is empty", r"Check the file")
add("validate-no-crs", lambda: camigeo.validate_layer(infra().set_crs(None,
                                                                      allow_override=True)),
    ValidationError, r"no CRS", r"set_crs")
add("validate-bowtie-norepair", lambda: camigeo.validate_layer(
    ranges().set_geometry([bowtie()], crs=4326), repair=False), ValidationError,
    r"invalid", r"repair=True")
add("filter-ranges-preset", lambda: camigeo.validate.filter_ranges(ranges(), preset="x"),
    CamigeoError, r"preset 'x'", r"expected one of")
add("filter-ranges-code", lambda: camigeo.validate.filter_ranges(ranges(), presence={9}),
    CamigeoError, r"presence= has unknown IUCN codes \[9\]", r"allowed")

# --- atlas (in memory)
add("atlas-no-layers", lambda: camigeo.atlas.update("x.gpkg", {}), SchemaError,
    r"layers: nothing to write", r"pass a dict")
add("atlas-bad-name", lambda: camigeo.atlas.update("x.gpkg", {"1bad": pd.DataFrame()}),
    SchemaError, r"invalid layer name '1bad'", r"use letters")
add("atlas-reserved", lambda: camigeo.atlas.update(
    "x.gpkg", {"camigeo_provenance": pd.DataFrame({"a": [1]})}), SchemaError,
    r"'camigeo_provenance' is reserved", r"rename")
add("atlas-not-frame", lambda: camigeo.atlas.update("x.gpkg", {"a": [1, 2]}), SchemaError,
    r"layers\['a'\]: expected a GeoDataFrame", r"Convert it")
add("atlas-nul-text", lambda: camigeo.atlas.update(
    "x.gpkg", {"a": pd.DataFrame({"name": ["Trans\x00Caspian"]})}), SchemaError,
    r"layers\['a'\]: column 'name' has text with a NUL", r"str.replace")
add("atlas-nul-column", lambda: camigeo.atlas.update(
    "x.gpkg", {"a": pd.DataFrame({"na\x00me": ["x"]})}), SchemaError,
    r"layers\['a'\]: column name", r"Rename")
add("atlas-int-columns", lambda: camigeo.atlas.update("x.gpkg", {"a": pd.DataFrame({0: [1]})}),
    SchemaError, r"layers\['a'\]: column names must be unique text", r"Rename them")
add("atlas-dup-columns", lambda: camigeo.atlas.update(
    "x.gpkg", {"a": pd.DataFrame([[1, 2]], columns=["x", "x"])}), SchemaError,
    r"repeated: \['x'\]", r"Rename them")
add("atlas-input-folder", lambda: camigeo.atlas.update(
    "x.gpkg", {"a": pd.DataFrame({"x": [1]})}, inputs={"x": "."}), CamigeoError,
    r"inputs: input file \. \(x\) is a folder", r"list the input files")
add("atlas-no-crs", lambda: camigeo.atlas.update(
    "x.gpkg", {"a": infra().set_crs(None, allow_override=True)}), SchemaError,
    r"layers\['a'\]: the GeoDataFrame has no CRS", r"set_crs")

# --- guards used directly
add("check-number-bool", lambda: camigeo.io.guards.check_number(True, name="cell_km"),
    SchemaError, r"cell_km = True", r"a number")
add("check-alloc", lambda: camigeo.io.guards.check_alloc(2**60, what="a test grid",
                                                      fix="Use fewer cells."),
    CamigeoError, r"a test grid needs about 1,024.0 PiB", r"Use fewer cells")
add("check-alloc-inf", lambda: camigeo.io.guards.check_alloc(float("inf"), what="a grid",
                                                          fix="Shrink it."),
    CamigeoError, r"a grid needs about an unbounded amount", r"Shrink it")


@pytest.mark.parametrize(("call", "exc", "names", "fix"), CASES)
def test_bad_input_gives_a_camigeo_error_naming_the_input_and_the_fix(
        call: Callable[[], Any], exc: type[Exception], names: str, fix: str,
        tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CamigeoWarning)
        with pytest.raises(CamigeoError) as info:
            call()
    err = info.value
    assert isinstance(err, exc), f"{type(err).__name__}: {err}"
    msg = str(err)
    assert re.search(names, msg, re.S), msg
    assert re.search(fix, msg, re.S), msg


def test_catalogue_size() -> None:
    import test_bad_inputs_cli
    import test_bad_inputs_files

    total = len(CASES) + len(test_bad_inputs_files.CASES) + len(test_bad_inputs_cli.CASES)
    assert total >= 150, total


# ------------------------------------------------------------- silent wrong answers fixed
def test_fenced_text_false_counts_as_unfenced() -> None:
    as_text = _score(infra(fenced=["false"]))["weighted_length_km"].iloc[0]
    as_bool = _score(infra(fenced=[False]))["weighted_length_km"].iloc[0]
    fenced = _score(infra(fenced=["yes"]))["weighted_length_km"].iloc[0]
    assert as_text == as_bool
    assert fenced > as_bool  # fenced railway weighs more than an open one


def test_self_intersecting_range_is_repaired_with_a_warning() -> None:
    valid = ranges().set_geometry([shapely.MultiPolygon([
        Polygon([(60, 40), (61, 41), (60, 42)]), Polygon([(62, 40), (61, 41), (62, 42)])])],
        crs=4326)
    want = camigeo.score_conflict(ptcrs(), valid, infra())["area_km2"].iloc[0]
    with pytest.warns(CamigeoWarning, match=r"ranges: repaired 1 invalid geometries"):
        got = camigeo.score_conflict(ptcrs(), ranges().set_geometry([bowtie()], crs=4326),
                                     infra())["area_km2"].iloc[0]
    assert got == pytest.approx(want, rel=1e-9)
    # the two triangles are half the 2° x 2° box
    whole = camigeo.score_conflict(ptcrs(), ranges(), infra())["area_km2"].iloc[0]
    assert got == pytest.approx(whole / 2, rel=0.01)


def test_negative_override_is_refused_not_dropped_and_nan_means_impassable() -> None:
    r = camigeo.build_resistance(spec(), infrastructure=fence().set_geometry(
        [LineString([(0, 5500), (10_000, 5500)])], crs=UTM),
        resistance_by_type={"fence": float("nan")})
    assert np.isnan(r.array).sum() == 10  # the burned row is impassable
