"""Tests for camigeo.io: format round trips, zipped shapefiles, layers, kinds, atomic writes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import LineString, Point, box

import camigeo
from camigeo import (
    CamigeoError,
    CamigeoWarning,
    CRSError,
    DataNotFoundError,
    SchemaError,
    ValidationError,
)
from camigeo.io.layers import list_layers, read_layer, write_layer


def fixes() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"individual_id": ["a", "b", "a"], "ok": [True, False, True], "n": [1, 2, 3],
         "timestamp": pd.to_datetime(["2020-01-01T05:00:00Z", "2020-06-01T00:00:00Z",
                                      "2020-01-01T07:00:00Z"])},
        geometry=[Point(500000, 4700000), Point(501000, 4701000), Point(502000, 4700500)],
        crs=32642)


def lines() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"infra_id": ["r1", "r2", "f1"], "infra_type": ["railway", "road", "fence"],
         "name": ["Beyneu-Kungrad", "A380", None], "status": ["existing"] * 3,
         "fenced": [True, False, True], "fence_class": ["medium", None, "unknown"],
         "countries": ["KAZ; UZB", "UZB", "KAZ"], "length_reported_km": [470.0, None, None],
         "year": pd.array([2011, None, None], dtype="Int64"),
         "source": ["test"] * 3, "accuracy_km": [1.0, 2.0, 0.5]},
        geometry=[LineString([(56, 45), (58, 44)]), LineString([(57, 43), (58, 43.5)]),
                  LineString([(56, 44), (56, 45)])], crs=4326)


FORMATS = ["gpkg", "geojson", "fgb", "shp", "shp.zip", "parquet"]


# --------------------------------------------------------------------------- formats
@pytest.mark.parametrize("ext", FORMATS)
def test_round_trip_tracks_every_format(tmp_path, ext):
    gdf = fixes()
    path = tmp_path / f"fixes.{ext}"
    if ext.startswith("shp"):
        with pytest.warns(CamigeoWarning, match=r"date-time column\(s\) \['timestamp'\] "
                                                r"written as ISO 8601 text"):
            write_layer(gdf, path, "fixes")
    else:
        write_layer(gdf, path, "fixes")
    out = read_layer(path, kind="tracks")
    assert out.crs.to_epsg() == 32642
    assert out["individual_id"].tolist() == ["a", "b", "a"]
    assert out["ok"].dtype == bool and out["ok"].tolist() == [True, False, True]
    assert out["n"].tolist() == [1, 2, 3]
    assert str(out["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert out["timestamp"].tolist() == gdf["timestamp"].tolist()
    assert [(p.x, p.y) for p in out.geometry] == [(p.x, p.y) for p in gdf.geometry]


@pytest.mark.parametrize("ext", FORMATS)
def test_round_trip_infrastructure_every_format(tmp_path, ext):
    path = tmp_path / f"infra.{ext}"
    if ext.startswith("shp"):
        with pytest.warns(CamigeoWarning, match=r"field names cut to 10 characters"):
            write_layer(lines(), path, "infra")
    else:
        write_layer(lines(), path, "infra")
    out = read_layer(path, kind="infrastructure")
    assert out["infra_id"].tolist() == ["r1", "r2", "f1"]
    assert out["fenced"].tolist() == [True, False, True]
    assert out["fence_class"].tolist()[0] == "medium" and pd.isna(out["fence_class"].iloc[1])
    assert out["length_reported_km"].iloc[0] == 470.0
    assert out["year"].iloc[0] == 2011 and pd.isna(out["year"].iloc[1])
    assert out.crs.to_epsg() == 4326


@pytest.mark.parametrize("ext", ["gpkg", "fgb", "geojson", "parquet"])
def test_zoned_datetimes_keep_their_instants(tmp_path, ext):
    times = pd.to_datetime(["2020-01-01 05:00", "2020-07-01 05:00"]).tz_localize("Asia/Almaty")
    gdf = fixes().iloc[:2].assign(timestamp=times)
    write_layer(gdf, tmp_path / f"t.{ext}", "t")
    out = read_layer(tmp_path / f"t.{ext}", kind="tracks")
    assert out["timestamp"].tolist() == [pd.Timestamp("2019-12-31T23:00Z"),
                                         pd.Timestamp("2020-06-30T23:00Z")]


@pytest.mark.parametrize("name", ["roads.zip", "roads.shp.zip"])
def test_read_zipped_shapefile_built_by_hand(tmp_path, name):
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    pyogrio.write_dataframe(lines()[["infra_type", "geometry"]], shp_dir / "roads.shp")
    with zipfile.ZipFile(tmp_path / name, "w") as zf:
        for part in shp_dir.iterdir():
            zf.write(part, part.name)
    out = read_layer(tmp_path / name, kind="infrastructure")
    assert out["infra_type"].tolist() == ["railway", "road", "fence"]
    assert len(list_layers(tmp_path / name)) == 1


def test_zip_with_two_shapefiles_needs_layer(tmp_path):
    for stem in ("a", "b"):
        pyogrio.write_dataframe(lines()[["infra_id", "geometry"]], tmp_path / f"{stem}.shp")
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as zf:
        for part in sorted(tmp_path.iterdir()):
            if part.suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                zf.write(part, part.name)
    with pytest.raises(CamigeoError, match=r"holds 2 layers: 'a' \(LineString\), 'b' "
                                           r"\(LineString\)\. Pass layer="):
        read_layer(tmp_path / "two.zip")
    assert len(read_layer(tmp_path / "two.zip", layer="b")) == 3


# --------------------------------------------------------------------------- layers
def test_list_of_layers_concatenated(tmp_path):
    for stem, ids in (("part1", ["a1", "a2"]), ("part2", ["b1"])):
        gdf = lines().iloc[:len(ids)].assign(infra_id=ids)[["infra_id", "infra_type",
                                                             "geometry"]]
        pyogrio.write_dataframe(gdf, tmp_path / f"{stem}.shp")
    with zipfile.ZipFile(tmp_path / "parts.zip", "w") as zf:
        for part in sorted(tmp_path.iterdir()):
            if part.stem.startswith("part"):
                zf.write(part, part.name)
    out = read_layer(tmp_path / "parts.zip", ["part1", "part2"], kind="infrastructure")
    assert out["infra_id"].tolist() == ["a1", "a2", "b1"]
    assert out.index.tolist() == [0, 1, 2]


def test_list_of_layers_with_different_crs(tmp_path):
    path = tmp_path / "atlas.gpkg"
    write_layer(lines(), path, "wgs")
    write_layer(lines().to_crs(32642), path, "utm")
    with pytest.raises(CRSError, match=r"\(layers 'wgs', 'utm'\): the layers to combine have "
                                       r"different CRSs \('wgs' WGS 84, 'utm' WGS 84 / UTM "
                                       r"zone 42N\)"):
        read_layer(path, ["wgs", "utm"])


def test_list_of_layers_unknown_name(tmp_path):
    path = tmp_path / "atlas.gpkg"
    write_layer(lines(), path, "wgs")
    with pytest.raises(DataNotFoundError, match="no layer 'nope'"):
        read_layer(path, ["wgs", "nope"])


def test_empty_list_of_layers(tmp_path):
    path = tmp_path / "atlas.gpkg"
    write_layer(lines(), path, "wgs")
    with pytest.raises(CamigeoError, match="layer= is an empty list"):
        read_layer(path, [])


def test_multi_layer_without_layer_lists_layers(tmp_path):
    path = tmp_path / "atlas.gpkg"
    write_layer(lines(), path, "infrastructure")
    write_layer(fixes(), path, "tracks")
    with pytest.raises(CamigeoError, match=r"atlas\.gpkg holds 2 layers: 'infrastructure' "
                                           r"\(LineString\), 'tracks' \(Point\)"):
        read_layer(path)


def test_single_layer_needs_no_name(tmp_path):
    path = tmp_path / "one.gpkg"
    write_layer(lines(), path, "infrastructure")
    assert len(read_layer(path)) == 3


def test_unknown_layer(tmp_path):
    path = tmp_path / "one.gpkg"
    write_layer(lines(), path, "infrastructure")
    with pytest.raises(DataNotFoundError, match=r"no layer 'roads'; layers in the file: "
                                                r"'infrastructure'"):
        read_layer(path, layer="roads")


def test_missing_file_lists_neighbours(tmp_path):
    write_layer(lines(), tmp_path / "roads.gpkg", "roads")
    with pytest.raises(DataNotFoundError, match=r"road\.gpkg: file not found.*Files there: "
                                                r"roads\.gpkg"):
        read_layer(tmp_path / "road.gpkg")


def test_not_a_vector_file(tmp_path):
    path = tmp_path / "notes.gpkg"
    path.write_text("not a database")
    with pytest.raises(CamigeoError, match=r"notes\.gpkg: could not be opened as a vector file"):
        read_layer(path)


def test_not_a_parquet_file(tmp_path):
    path = tmp_path / "x.parquet"
    path.write_text("nope")
    with pytest.raises(CamigeoError, match=r"x\.parquet: could not be read as GeoParquet"):
        read_layer(path)


def test_plain_parquet_without_geometry(tmp_path):
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "table.parquet")
    with pytest.raises(CamigeoError, match="without GeoParquet metadata"):
        read_layer(tmp_path / "table.parquet")


def test_parquet_columns_with_other_geometry_name(tmp_path):
    gdf = lines().rename_geometry("geom")
    write_layer(gdf, tmp_path / "x.parquet")
    out = read_layer(tmp_path / "x.parquet", columns=["name"])
    assert out.columns.tolist() == ["name", "geom"] and out.geometry.name == "geom"


def test_parquet_wrong_layer(tmp_path):
    write_layer(lines(), tmp_path / "x.parquet")
    with pytest.raises(DataNotFoundError, match="a GeoParquet file has one layer \\('x'\\)"):
        read_layer(tmp_path / "x.parquet", layer="y")


def test_attribute_table_is_not_a_layer(tmp_path):
    path = tmp_path / "atlas.gpkg"
    write_layer(lines(), path, "infrastructure")
    pyogrio.write_dataframe(pd.DataFrame({"species": ["saiga"]}), path, layer="species",
                            driver="GPKG")
    with pytest.raises(SchemaError, match=r"\(layer 'species'\): the layer has no geometry "
                                          r"column \(an attribute table\)"):
        read_layer(path, layer="species")


def test_list_layers_counts(tmp_path):
    path = tmp_path / "atlas.gpkg"
    write_layer(lines(), path, "infrastructure")
    write_layer(fixes(), path, "tracks")
    table = list_layers(path)
    assert table.to_dict("records") == [
        {"name": "infrastructure", "geometry_type": "LineString", "count": 3},
        {"name": "tracks", "geometry_type": "Point", "count": 3}]


def test_list_layers_parquet(tmp_path):
    write_layer(fixes(), tmp_path / "f.parquet")
    assert list_layers(tmp_path / "f.parquet").to_dict("records") == [
        {"name": "f", "geometry_type": "Point", "count": 3}]


def test_list_layers_missing_file(tmp_path):
    with pytest.raises(DataNotFoundError, match="nothing.gpkg: file not found"):
        list_layers(tmp_path / "nothing.gpkg")


# --------------------------------------------------------------------------- options
def test_columns_subset_keeps_schema_columns(tmp_path):
    path = tmp_path / "i.gpkg"
    write_layer(lines(), path, "i")
    out = read_layer(path, kind="infrastructure", columns=["name"])
    assert out["name"].tolist()[:2] == ["Beyneu-Kungrad", "A380"]
    assert out["fence_class"].tolist()[0] == "medium"  # schema column still read
    plain = read_layer(path, columns=["name"])
    assert plain.columns.tolist() == ["name", "geometry"]


def test_columns_subset_from_shapefile_keeps_cut_schema_names(tmp_path):
    path = tmp_path / "i.shp"
    with pytest.warns(CamigeoWarning, match="field names cut"):
        write_layer(lines(), path)
    out = read_layer(path, kind="infrastructure", columns=["name"])
    assert out["fence_class"].tolist()[0] == "medium"
    assert out["length_reported_km"].iloc[0] == 470.0


def test_columns_unknown(tmp_path):
    path = tmp_path / "i.gpkg"
    write_layer(lines(), path, "i")
    with pytest.raises(SchemaError, match=r"columns= asks for \['colour'\].*available columns: "
                                          r"infra_id"):
        read_layer(path, columns=["colour"])


@pytest.mark.parametrize("ext", ["gpkg", "parquet"])
def test_bbox_filter(tmp_path, ext):
    path = tmp_path / f"i.{ext}"
    write_layer(lines(), path, "i")
    out = read_layer(path, kind="infrastructure", bbox=(55.5, 43.8, 56.5, 45.5))
    assert sorted(out["infra_id"]) == ["f1", "r1"]  # r2 lies at lon 57-58, lat 43-43.5


def test_where_filter(tmp_path):
    out = read_layer(iucn_shapefile(tmp_path), kind="range", range_filter="none",
                     where="PRESENCE = 1")
    assert out["origin"].tolist() == [1, 3, 1, 6] and (out["presence"] == 1).all()


def test_where_bad_sql(tmp_path):
    with pytest.raises(CamigeoError, match=r"redlist\.shp \(layer 'redlist'\): could not be "
                                           r"read \(Invalid SQL query"):
        read_layer(iucn_shapefile(tmp_path), where="NO_SUCH_COLUMN = 1")


def test_where_not_for_parquet(tmp_path):
    write_layer(lines(), tmp_path / "x.parquet")
    with pytest.raises(CamigeoError, match="where= .* is not available for GeoParquet"):
        read_layer(tmp_path / "x.parquet", where="fenced = 1")


def test_shapefile_without_prj_has_no_crs(tmp_path):
    path = tmp_path / "roads.shp"
    write_layer(lines()[["infra_type", "geometry"]], path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(ValidationError, match=r"roads\.shp \(layer 'roads'\): no CRS.*add the "
                                              r"\.prj file"):
        read_layer(path, kind="infrastructure")


def test_bbox_with_nothing_inside_returns_empty_layer(tmp_path):
    path = tmp_path / "i.gpkg"
    write_layer(lines(), path, "i")
    with pytest.warns(CamigeoWarning, match="no feature matches the bbox/where filter"):
        out = read_layer(path, kind="infrastructure", bbox=(0, 0, 1, 1))
    assert len(out) == 0 and {"infra_id", "fenced", "fence_class"} <= set(out.columns)


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "e.gpkg"
    write_layer(lines().iloc[:0], path, "e")
    with pytest.raises(ValidationError, match=r"e\.gpkg \(layer 'e'\): the layer is empty"):
        read_layer(path, kind="infrastructure")


def test_require_metric_on_read(tmp_path):
    path = tmp_path / "i.gpkg"
    write_layer(lines(), path, "i")
    with pytest.raises(ValidationError, match=r"i\.gpkg \(layer 'i'\): the CRS is geographic"):
        read_layer(path, require_metric=True)


def test_unknown_kind_on_read(tmp_path):
    with pytest.raises(CamigeoError, match="unknown kind='fences'"):
        read_layer(tmp_path / "x.gpkg", kind="fences")


def test_range_filters_need_range_kind(tmp_path):
    with pytest.raises(CamigeoError, match="presence=, origin= and seasonal= filter IUCN "
                                           "ranges and need kind='range'; got kind=None"):
        read_layer(tmp_path / "x.gpkg", presence=[1])


def test_validation_error_names_file_and_layer(tmp_path):
    path = tmp_path / "bad.gpkg"
    gdf = lines()
    gdf.loc[0, "infra_type"] = "motorway"
    write_layer(gdf, path, "lines")
    with pytest.raises(ValidationError, match=r"bad\.gpkg \(layer 'lines'\): column "
                                              r"'infra_type' has unknown values 'motorway'"):
        read_layer(path, kind="infrastructure")


def test_invalid_geometry_read_refused_or_repaired(tmp_path):
    path = tmp_path / "p.gpkg"
    bowtie = "POLYGON ((60 45, 62 47, 62 45, 60 47, 60 45))"
    gdf = gpd.GeoDataFrame({"ptcr_id": [1], "name": ["x"]},
                           geometry=gpd.GeoSeries.from_wkt([bowtie]), crs=4326)
    write_layer(gdf, path, "ptcr")
    with pytest.raises(ValidationError, match="geometries are invalid"):
        read_layer(path, kind="ptcr", repair=False)
    with pytest.warns(CamigeoWarning, match="repaired 1 invalid"):
        out = read_layer(path, kind="ptcr")
    assert out.geometry.iloc[0].area == pytest.approx(2.0)


# --------------------------------------------------------------------------- IUCN ranges
def iucn_shapefile(tmp_path: Path) -> Path:
    """An IUCN-style shapefile: upper-case names, BINOMIAL, the 'terrestial' typo."""
    codes = [(1, 1, 1), (2, 1, 2), (3, 1, 1), (1, 3, 1), (1, 1, 5), (1, 6, 4)]
    gdf = gpd.GeoDataFrame(
        {"ID_NO": [1] * 6, "BINOMIAL": ["Saiga tatarica"] * 6,
         "PRESENCE": [c[0] for c in codes], "ORIGIN": [c[1] for c in codes],
         "SEASONAL": [c[2] for c in codes],
         "TERRESTIAL": ["true", "true", "true", "true", "true", "false"]},
        geometry=[box(50 + i, 45, 51 + i, 46) for i in range(6)], crs=4326)
    path = tmp_path / "redlist.shp"
    pyogrio.write_dataframe(gdf, path)
    return path


def test_iucn_range_normalized_and_default_filter(tmp_path):
    out = read_layer(iucn_shapefile(tmp_path), kind="range")
    # default keeps presence {1,2}, origin {1,2,6}, seasonal {1,2,3,4}: rows 0, 1, 5
    assert out.index.tolist() == [0, 1, 5]
    assert out["sci_name"].tolist() == ["Saiga tatarica"] * 3
    assert {"presence", "origin", "seasonal", "terrestrial", "id_no"} <= set(out.columns)
    assert "binomial" not in out.columns


def test_iucn_range_presets_and_overrides(tmp_path):
    path = iucn_shapefile(tmp_path)
    assert read_layer(path, kind="range", range_filter="strict").index.tolist() == [0]
    assert read_layer(path, kind="range", range_filter="kba").index.tolist() == [0, 1]
    assert read_layer(path, kind="range", range_filter="none").index.tolist() == list(range(6))
    assert read_layer(path, kind="range", presence=[1, 2, 3]).index.tolist() == [0, 1, 2, 5]
    assert read_layer(path, kind="range", seasonal=[1, 2, 3, 4, 5],
                      origin=[1]).index.tolist() == [0, 1, 4]


def test_range_filter_leaving_nothing_warns(tmp_path):
    with pytest.warns(CamigeoWarning, match="no range polygon passed the 'strict' filter"):
        out = read_layer(iucn_shapefile(tmp_path), kind="range", range_filter="strict",
                         presence=[4])
    assert len(out) == 0


# --------------------------------------------------------------------------- writing
def test_replace_keeps_other_layers(tmp_path):
    path = tmp_path / "atlas.gpkg"
    write_layer(lines(), path, "infrastructure")
    write_layer(fixes(), path, "tracks")
    write_layer(fixes().iloc[:1], path, "tracks")
    table = list_layers(path).set_index("name")["count"].to_dict()
    assert table == {"infrastructure": 3, "tracks": 1}


@pytest.mark.parametrize("ext", ["gpkg", "geojson", "parquet", "fgb"])
def test_append(tmp_path, ext):
    path = tmp_path / f"atlas.{ext}"
    write_layer(lines(), path, "infrastructure")
    more = lines().assign(infra_id=["r3", "r4", "f2"])
    write_layer(more, path, "infrastructure", mode="append")
    out = read_layer(path, kind="infrastructure")
    assert out["infra_id"].tolist() == ["r1", "r2", "f1", "r3", "r4", "f2"]


def test_append_new_layer_in_geopackage(tmp_path):
    path = tmp_path / "atlas.gpkg"
    write_layer(lines(), path, "a")
    write_layer(lines(), path, "b", mode="append")
    assert list_layers(path)["count"].tolist() == [3, 3]


def test_append_crs_mismatch(tmp_path):
    path = tmp_path / "atlas.gpkg"
    write_layer(lines(), path, "infrastructure")
    with pytest.raises(CRSError, match=r"layer 'infrastructure'\) is in WGS 84; the appended "
                                       r"features are in WGS 84 / UTM zone 42N"):
        write_layer(lines().to_crs(32642), path, "infrastructure", mode="append")


def test_append_crs_mismatch_single_layer_format(tmp_path):
    path = tmp_path / "atlas.parquet"
    write_layer(lines(), path)
    with pytest.raises(CRSError, match=r"atlas\.parquet is in WGS 84; the appended features "
                                       r"are in WGS 84 / UTM zone 42N"):
        write_layer(lines().to_crs(32642), path, mode="append")


@pytest.mark.parametrize("ext", ["geojson", "shp"])
def test_append_single_layer_ignores_layer_name(tmp_path, ext):
    path = tmp_path / f"roads.{ext}"
    small = lines()[["infra_id", "geometry"]]
    write_layer(small, path, "first")
    write_layer(small, path, "another_name", mode="append")
    assert read_layer(path)["infra_id"].tolist() == ["r1", "r2", "f1"] * 2


def test_append_new_column_refused(tmp_path):
    path = tmp_path / "atlas.gpkg"
    write_layer(lines(), path, "infrastructure")
    with pytest.raises(SchemaError, match=r"column\(s\) \['colour'\] that the layer does not "
                                          r"have \(it has infra_id, infra_type"):
        write_layer(lines().assign(colour="red"), path, "infrastructure", mode="append")


def test_append_incompatible_type_refused(tmp_path):
    path = tmp_path / "atlas.gpkg"
    write_layer(lines(), path, "infrastructure")
    with pytest.raises(SchemaError, match=r"column 'accuracy_km' holds float64 values but the "
                                          r"appended features have str"):
        write_layer(lines().assign(accuracy_km="1 km"), path, "infrastructure", mode="append")


def test_append_wrong_geometry_refused(tmp_path):
    path = tmp_path / "atlas.gpkg"
    write_layer(lines(), path, "infrastructure")
    with pytest.raises(SchemaError, match=r"holds LineString geometries; the appended features "
                                          r"are Point"):
        write_layer(lines().assign(geometry=gpd.points_from_xy([1, 2, 3], [1, 2, 3])), path,
                    "infrastructure", mode="append")


def test_write_without_crs(tmp_path):
    with pytest.raises(CRSError, match="the GeoDataFrame has no CRS"):
        write_layer(lines().set_crs(None, allow_override=True), tmp_path / "x.gpkg", "x")


def test_write_bad_mode(tmp_path):
    with pytest.raises(CamigeoError, match="mode='update'; expected 'replace' or 'append'"):
        write_layer(lines(), tmp_path / "x.gpkg", "x", mode="update")


def test_write_unknown_suffix(tmp_path):
    with pytest.raises(CamigeoError, match=r"cannot tell the format from the suffix '\.txt'"):
        write_layer(lines(), tmp_path / "x.txt", "x")


def test_write_not_a_geodataframe(tmp_path):
    with pytest.raises(CamigeoError, match="expected a GeoDataFrame, got DataFrame"):
        write_layer(pd.DataFrame({"a": [1]}), tmp_path / "x.gpkg", "x")


def test_write_shapefile_name_clash(tmp_path):
    gdf = lines()[["geometry"]].assign(population_a=1, population_b=2)
    with pytest.raises(CamigeoError, match=r"cutting them makes duplicate names "
                                           r"\['population'\]"):
        write_layer(gdf, tmp_path / "x.shp", "x")


def test_shapefile_rewrite_removes_stale_parts(tmp_path):
    path = tmp_path / "roads.shp"
    write_layer(lines()[["infra_type", "geometry"]], path)
    path.with_suffix(".qix").write_bytes(b"old index")
    write_layer(lines()[["infra_type", "geometry"]].iloc[:1], path)
    assert not path.with_suffix(".qix").exists()
    assert len(read_layer(path)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "roads.cpg", "roads.dbf", "roads.prj", "roads.shp", "roads.shx"]


def test_write_keeps_file_permissions(tmp_path):
    path = tmp_path / "atlas.gpkg"
    write_layer(lines(), path, "a")
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's private 0600
    os.chmod(path, 0o640)
    write_layer(lines(), path, "b")
    assert path.stat().st_mode & 0o777 == 0o640


def test_failed_write_leaves_old_file(tmp_path, monkeypatch):
    path = tmp_path / "atlas.gpkg"
    write_layer(lines(), path, "infrastructure")
    before = path.read_bytes()
    real = pyogrio.write_dataframe

    def broken(gdf, tmp, **kw):
        real(gdf, tmp, **kw)  # the temporary copy gets the new layer, then the disk "fails"
        raise OSError("No space left on device")

    monkeypatch.setattr(camigeo.io.layers.pyogrio, "write_dataframe", broken)
    with pytest.raises(CamigeoError, match=r"writing failed \(No space left on device\); the "
                                           r"existing file, if any, is unchanged"):
        write_layer(fixes(), path, "tracks")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["atlas.gpkg"]


_CHILD = """
import sys
import numpy as np, geopandas as gpd
import camigeo
n = 300_000
rng = np.random.default_rng(0)
gdf = gpd.GeoDataFrame({"v": np.arange(n)},
                       geometry=gpd.points_from_xy(rng.random(n), rng.random(n)), crs=4326)
print("ready", flush=True)
camigeo.write_layer(gdf, sys.argv[1], "tracks")
print("done", flush=True)
"""


def test_sigkill_during_write_keeps_old_geopackage(tmp_path):
    path = tmp_path / "atlas.gpkg"
    write_layer(lines(), path, "infrastructure")
    write_layer(fixes(), path, "tracks")
    before = read_layer(path, layer="tracks", kind="tracks")
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(path)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 60
        while not [p for p in tmp_path.iterdir() if p.name.startswith(".atlas.gpkg")]:
            assert proc.poll() is None, "child finished before its write could be killed"
            assert time.monotonic() < deadline, "no temporary GeoPackage appeared"
            time.sleep(0.01)
        time.sleep(0.3)  # let GDAL write part of the new layer
        assert proc.poll() is None, "child finished before it was killed: raise n"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert list_layers(path).set_index("name")["count"].to_dict() == {
        "infrastructure": 3, "tracks": 3}
    after = read_layer(path, layer="tracks", kind="tracks")
    pd.testing.assert_frame_equal(pd.DataFrame(after.drop(columns="geometry")),
                                  pd.DataFrame(before.drop(columns="geometry")))
    assert after.geometry.equals(before.geometry)
    # the killed writer's temporary file does not stop the next write
    write_layer(fixes().iloc[:2], path, "tracks")
    assert list_layers(path)["count"].tolist() == [3, 2]


def test_write_returns_path_and_numpy_bool(tmp_path):
    gdf = lines().assign(fenced=np.array([True, False, True]))
    assert write_layer(gdf, tmp_path / "x.gpkg", "x") == tmp_path / "x.gpkg"
    assert read_layer(tmp_path / "x.gpkg")["fenced"].dtype == bool


def test_top_level_exports():
    assert camigeo.read_layer is read_layer
    assert camigeo.write_layer is write_layer
    assert camigeo.list_layers is list_layers


# --------------------------------------------------------------------------- BaBA reference
@pytest.mark.reference
def test_baba_geopackage(reference_dir):
    path = reference_dir / "baba" / "baba_example.gpkg"
    with pytest.raises(CamigeoError, match=r"holds 3 layers: .*'fences' \(MultiLineString\)"):
        read_layer(path)
    fences = read_layer(path, layer="fences", require_metric=True)
    assert fences.crs.to_epsg() == 32612
    assert len(fences) == 1673 and fences["FID_Fence0"].is_unique
    # README: total length 3,557.7 km; Shape_Leng equals the geometry length
    assert fences.length.sum() / 1000 == pytest.approx(3557.7, abs=0.05)
    assert np.allclose(fences.length, fences["Shape_Leng"], rtol=1e-9)
    table = list_layers(path).set_index("name")["count"].to_dict()
    assert table == {"pronghorn": 8757, "muleDeer": 8739, "fences": 1673}


@pytest.mark.reference
def test_baba_points_as_tracks(reference_dir):
    path = reference_dir / "baba" / "baba_example.gpkg"
    raw = pyogrio.read_dataframe(path, layer="pronghorn")
    gdf = raw.rename(columns={"Animal.ID": "individual_id", "date": "timestamp"})
    out = camigeo.validate.validate_layer(gdf, "tracks", source="pronghorn")
    assert str(out["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert out["timestamp"].iloc[0] == pd.Timestamp("2014-01-01T05:00:00Z")
    assert out["individual_id"].value_counts().to_dict() == {"102_2014": 4379,
                                                             "103_2014": 4378}
