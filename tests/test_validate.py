"""Tests for camigeo.validate: every problem type, gather-then-raise, normalizations, filters."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon, box

from camigeo import CamigeoError, CamigeoWarning, ValidationError
from camigeo.io.validate import (
    RANGE_FILTER_PRESETS,
    filter_ranges,
    join_list,
    split_list,
    validate_layer,
)

LINE = LineString([(60.0, 45.0), (61.0, 45.5)])
BOWTIE = Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])


def infra(n: int = 2, **cols) -> gpd.GeoDataFrame:
    data = {"infra_type": ["railway"] * n}
    data.update(cols)
    return gpd.GeoDataFrame(data, geometry=[LINE] * n, crs=4326)


def ranges(codes: list[tuple[int, int, int]], **cols) -> gpd.GeoDataFrame:
    data = {"sci_name": ["Saiga tatarica"] * len(codes),
            "presence": [c[0] for c in codes], "origin": [c[1] for c in codes],
            "seasonal": [c[2] for c in codes]}
    data.update(cols)
    return gpd.GeoDataFrame(data, geometry=[box(60, 45, 61, 46)] * len(codes), crs=4326)


def ptcr(ids: list, **cols) -> gpd.GeoDataFrame:
    geometry = cols.pop("geometry", [box(60, 45, 61, 46)] * len(ids))
    data = {"ptcr_id": ids, "name": [f"P{i}" for i in range(len(ids))]}
    data.update(cols)
    return gpd.GeoDataFrame(data, geometry=geometry, crs=4326)


def tracks(times: list, ids: list | None = None) -> gpd.GeoDataFrame:
    ids = ids or ["a"] * len(times)
    return gpd.GeoDataFrame({"individual_id": ids, "timestamp": times},
                            geometry=[Point(60, 45)] * len(times), crs=4326)


# --------------------------------------------------------------------------- list helpers
def test_split_list_variants():
    assert split_list("KAZ; UZB;TKM ; ") == ["KAZ", "UZB", "TKM"]
    assert split_list(None) == []
    assert split_list(np.nan) == []
    assert split_list("") == []
    assert split_list(["A", " B ", ""]) == ["A", "B"]


def test_join_list_round_trip():
    assert join_list(["KAZ", "UZB"]) == "KAZ; UZB"
    assert join_list("KAZ;UZB") == "KAZ; UZB"
    assert join_list([]) == ""
    assert split_list(join_list(["a b", "c"])) == ["a b", "c"]


# --------------------------------------------------------------------------- arguments
def test_not_a_geodataframe():
    with pytest.raises(CamigeoError, match="expected a GeoDataFrame, got DataFrame"):
        validate_layer(pd.DataFrame({"a": [1]}), "range")


def test_unknown_kind():
    with pytest.raises(CamigeoError, match="unknown kind='roads'; expected one of ptcr, range"):
        validate_layer(infra(), "roads")


# --------------------------------------------------------------------------- CRS
def test_missing_crs():
    gdf = infra().set_crs(None, allow_override=True)
    with pytest.raises(ValidationError, match=r"roads\.gpkg \(layer 'r'\): no CRS.*set_crs"):
        validate_layer(gdf, "infrastructure", source="roads.gpkg (layer 'r')")


def test_geographic_crs_where_metres_needed():
    with pytest.raises(ValidationError, match="geographic .*WGS 84.* metres are needed"):
        validate_layer(infra(), None, require_metric=True)


def test_projected_crs_in_feet_refused_when_metres_needed():
    gdf = infra().to_crs(2227)  # California zone 3, US survey feet
    with pytest.raises(ValidationError, match="axis unit 'US survey foot' but metres"):
        validate_layer(gdf, None, require_metric=True)


def test_metric_crs_passes():
    out = validate_layer(infra().to_crs(32642), "infrastructure", require_metric=True)
    assert out.crs.to_epsg() == 32642


def test_degrees_crs_with_projected_coordinates():
    gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(550000, 4700000)], crs=4326)
    with pytest.raises(ValidationError, match=r"coordinates are not degrees \(x 550000"):
        validate_layer(gdf)


# --------------------------------------------------------------------------- geometries
def test_empty_layer():
    with pytest.raises(ValidationError, match=r"the layer is empty \(0 features\)"):
        validate_layer(infra(0), "infrastructure")


def test_empty_layer_allowed_when_asked():
    out = validate_layer(infra(0), "infrastructure", allow_empty=True)
    assert len(out) == 0 and "fence_class" in out.columns


def test_null_geometries_named_by_id():
    gdf = ptcr([1, 2, 3])
    gdf.loc[1, "geometry"] = None
    with pytest.raises(ValidationError, match=r"1 of 3 features have no geometry .*ptcr_id 2\)"):
        validate_layer(gdf, "ptcr")


def test_empty_geometries():
    gdf = gpd.GeoDataFrame({"a": [1, 2]}, geometry=[Point(1, 1), Polygon()], crs=4326)
    with pytest.raises(ValidationError, match=r"1 of 2 features have no geometry \(null or "
                                              r"empty\) \(row 1\)"):
        validate_layer(gdf)


def test_invalid_geometry_refused_without_repair():
    gdf = ptcr([7], geometry=[BOWTIE])
    with pytest.raises(ValidationError, match=r"1 of 1 geometries are invalid \(ptcr_id 7; "
                                              r"reasons: 'Self-intersection.*repair=True"):
        validate_layer(gdf, "ptcr", repair=False)


def test_invalid_geometry_repaired_with_warning():
    gdf = ptcr([7], geometry=[BOWTIE])
    with pytest.warns(CamigeoWarning, match=r"repaired 1 invalid geometries .*ptcr_id 7"):
        out = validate_layer(gdf, "ptcr")
    # the bow-tie splits into two triangles of area 1 each (base 2, height 1)
    assert out.geometry.iloc[0].is_valid
    assert out.geometry.iloc[0].area == pytest.approx(2.0)
    assert gdf.geometry.iloc[0].equals(BOWTIE)  # input untouched


def test_invalid_geometry_that_collapses():
    flat = Polygon([(0, 0), (1, 0), (2, 0), (0, 0)])  # zero area
    gdf = ptcr([1], geometry=[flat])
    with pytest.raises(ValidationError, match="collapsed to nothing when repaired"):
        validate_layer(gdf, "ptcr")


def test_point_with_nan_coordinates_is_invalid():
    gdf = tracks(["2020-01-01T00:00:00Z", "2020-01-01T02:00:00Z"])
    gdf.loc[1, "geometry"] = Point(np.nan, 45.0)
    for repair in (False, True):  # make_valid cannot give a vertex a position (issue 14)
        with pytest.raises(ValidationError, match=r"1 of 2 geometries have NaN or infinite "
                                                  r"coordinates \(row 1\); drop or fix"):
            validate_layer(gdf, "tracks", repair=repair)


def test_polygons_where_lines_expected():
    gdf = infra(4, infra_id=["a", "b", "c", "d"])
    gdf.loc[[1, 3], "geometry"] = box(0, 0, 1, 1)
    with pytest.raises(ValidationError, match=r"wrong geometry type: 2 of 4 features are "
                                              r"Polygon \(2\) \(infra_id b, d\).*LineString or "
                                              r"MultiLineString.*gdf.boundary"):
        validate_layer(gdf, "infrastructure")


def test_lines_where_points_expected():
    gdf = tracks(["2020-01-01T00:00:00Z"])
    gdf.loc[0, "geometry"] = LINE
    with pytest.raises(ValidationError, match=r"LineString \(1\) \(row 0\).*needs Point"):
        validate_layer(gdf, "tracks")


# --------------------------------------------------------------------------- columns
def test_missing_columns_listed_with_what_was_found():
    gdf = gpd.GeoDataFrame({"kind": ["rail"]}, geometry=[LINE], crs=4326)
    with pytest.raises(ValidationError, match=r"missing required column\(s\) 'infra_type'.*"
                                              r"found: kind"):
        validate_layer(gdf, "infrastructure")


def test_missing_range_columns_mention_iucn_names():
    gdf = gpd.GeoDataFrame({"species": ["x"]}, geometry=[box(0, 0, 1, 1)], crs=4326)
    with pytest.raises(ValidationError, match=r"'sci_name', 'presence', 'origin', 'seasonal'"
                                              r".*'binomial'"):
        validate_layer(gdf, "range")


def test_duplicate_ptcr_ids():
    with pytest.raises(ValidationError, match=r"duplicate ids in 'ptcr_id': 2 \(2 features\)"):
        validate_layer(ptcr([1, 2, 2]), "ptcr")


def test_duplicate_infra_ids():
    with pytest.raises(ValidationError, match=r"duplicate ids in 'infra_id': 'x' \(2 features"):
        validate_layer(infra(3, infra_id=["x", "x", "y"]), "infrastructure")


def test_non_integer_ptcr_id():
    with pytest.raises(ValidationError, match=r"column 'ptcr_id' has unknown values 'one', 2.5"):
        validate_layer(ptcr(["one", 2.5, 3]), "ptcr")


def test_unknown_infra_type_lists_bad_and_allowed():
    gdf = infra(3, infra_type=["rail", "road", "highway"])
    with pytest.raises(ValidationError, match=r"'infra_type' has unknown values 'rail', "
                                              r"'highway' in 2 features.*allowed: railway, road, "
                                              r"fence, border_fence, pipeline, canal"):
        validate_layer(gdf, "infrastructure")


def test_unknown_status():
    with pytest.raises(ValidationError, match=r"'status' has unknown values 'ruined'.*"
                                              r"existing, under_construction, planned"):
        validate_layer(infra(1, status=["ruined"]), "infrastructure")


def test_unknown_fence_class():
    with pytest.raises(ValidationError, match=r"'fence_class' has unknown values 'deadly'.*"
                                              r"impermeable, low, medium, high, open, unknown"):
        validate_layer(infra(1, fence_class=["deadly"]), "infrastructure")


def test_fenced_not_boolean():
    with pytest.raises(ValidationError, match=r"'fenced' must be true/false.*got 'maybe'"):
        validate_layer(infra(2, fenced=["yes", "maybe"]), "infrastructure")


def test_bad_country_codes():
    with pytest.raises(ValidationError, match=r"not ISO 3166 alpha-3 codes 'Kazakhstan'"):
        validate_layer(infra(1, countries=["Kazakhstan; UZB"]), "infrastructure")


def test_negative_accuracy():
    with pytest.raises(ValidationError, match=r"'accuracy_km' must hold numbers >= 0"):
        validate_layer(infra(1, accuracy_km=[-1.0]), "infrastructure")


def test_year_out_of_range():
    with pytest.raises(ValidationError, match=r"'year' has unknown values 20190.*integers "
                                              r"1800 to 2200"):
        validate_layer(infra(1, year=[20190]), "infrastructure")


def test_unknown_presence_code():
    with pytest.raises(ValidationError, match=r"'presence' has unknown values 7 .*allowed: "
                                              r"1 Extant, 2 Probably Extant"):
        validate_layer(ranges([(7, 1, 1)]), "range")


def test_empty_presence():
    gdf = ranges([(1, 1, 1), (1, 1, 1)])
    gdf["presence"] = [1, None]
    with pytest.raises(ValidationError, match=r"'presence' is empty in 1 features \(row 1\)"):
        validate_layer(gdf, "range")


def test_empty_sci_name():
    gdf = ranges([(1, 1, 1)], sci_name=[None])
    with pytest.raises(ValidationError, match="'sci_name' is empty in 1 features"):
        validate_layer(gdf, "range")


def test_tracks_naive_datetimes():
    gdf = tracks(pd.to_datetime(["2020-01-01 00:00"]))
    with pytest.raises(ValidationError, match=r"no time zone.*tz_localize\('UTC'\)"):
        validate_layer(gdf, "tracks")


def test_tracks_unparseable_timestamps():
    gdf = tracks(["2020-01-01T00:00:00Z", "yesterday"])
    with pytest.raises(ValidationError, match=r"1 values that are not ISO 8601 .*row 1.*"
                                              r"'yesterday'"):
        validate_layer(gdf, "tracks")


def test_tracks_text_without_zone():
    gdf = tracks(["2020-01-01T00:00:00Z", "2020-01-01T02:00:00"])
    with pytest.raises(ValidationError, match=r"1 values without a time zone \(row 1"):
        validate_layer(gdf, "tracks")


def test_tracks_dates_without_time_are_not_zoned():
    gdf = tracks(["2020-01-05", "2020-01-06T00:00:00+0600"])
    with pytest.raises(ValidationError, match=r"1 values without a time zone \(row 0; e.g. "
                                              r"'2020-01-05'\)"):
        validate_layer(gdf, "tracks")


def test_empty_individual_id():
    gdf = tracks(["2020-01-01T00:00:00Z"] * 2, ids=["a", None])
    with pytest.raises(ValidationError, match="'individual_id' is empty in 1 fixes"):
        validate_layer(gdf, "tracks")


def test_empty_timestamp():
    gdf = tracks(["2020-01-01T00:00:00Z", None])
    with pytest.raises(ValidationError, match=r"column 'timestamp' is empty in 1 fixes \(row 1\)"):
        validate_layer(gdf, "tracks")


def test_empty_infra_id():
    gdf = infra(2, infra_id=["a", None])
    with pytest.raises(ValidationError, match=r"column 'infra_id' is empty in 1 features "
                                              r"\(row 1\); every line needs a unique id"):
        validate_layer(gdf, "infrastructure")


def test_empty_infra_type():
    gdf = infra(2, infra_id=["a", "b"])
    gdf.loc[1, "infra_type"] = None
    with pytest.raises(ValidationError, match=r"column 'infra_type' is empty in 1 features "
                                              r"\(infra_id b\); allowed values: railway, road"):
        validate_layer(gdf, "infrastructure")


def test_empty_ptcr_name():
    gdf = ptcr([1, 2, 3])
    gdf["name"] = ["Gobi", None, "  "]
    with pytest.raises(ValidationError, match=r"column 'name' is empty in 2 features "
                                              r"\(ptcr_id 2, 3\); every PTCR needs a name"):
        validate_layer(gdf, "ptcr")


def test_every_problem_is_gathered_into_one_error():
    gdf = gpd.GeoDataFrame(
        {"infra_type": ["rail", "road", "road"], "infra_id": [1, 1, 2],
         "fenced": ["maybe", 1, 0]},
        geometry=[box(0, 0, 1, 1), None, LINE])
    with pytest.raises(ValidationError) as info:
        validate_layer(gdf, "infrastructure", source="lines.gpkg (layer 'x')")
    err = info.value
    assert len(err.problems) == 6
    assert str(err).startswith("lines.gpkg (layer 'x'): 6 problems found:")
    joined = "\n".join(err.problems)
    for part in ("no CRS", "no geometry", "wrong geometry type", "duplicate ids",
                 "unknown values 'rail'", "'fenced' must be"):
        assert part in joined


# --------------------------------------------------------------------------- normalizations
@pytest.mark.parametrize("name", ["binomial", "BINOMIAL", "SCINAME", "sci_name"])
def test_range_species_column_renamed(name):
    gdf = ranges([(1, 1, 1)]).rename(columns={"sci_name": name})
    out = validate_layer(gdf, "range")
    assert out["sci_name"].tolist() == ["Saiga tatarica"]
    assert name == "sci_name" or name not in out.columns


@pytest.mark.parametrize("name", ["terrestria", "terrestial", "TERRESTRIA"])
def test_range_terrestrial_quirks(name):
    gdf = ranges([(1, 1, 1)], **{name: ["true"]})
    out = validate_layer(gdf, "range")
    assert out["terrestrial"].tolist() == ["true"]


def test_range_upper_case_columns_and_codes_as_text():
    gdf = ranges([(1, 1, 1)])
    gdf = gdf.rename(columns={c: c.upper() for c in gdf.columns if c != "geometry"})
    gdf["PRESENCE"] = ["1"]
    out = validate_layer(gdf, "range")
    assert {"sci_name", "presence", "origin", "seasonal"} <= set(out.columns)
    assert out["presence"].dtype == np.int64 and out["presence"].iloc[0] == 1


def test_range_optional_columns_filled():
    out = validate_layer(ranges([(1, 1, 1)]), "range", source="my.gpkg")
    assert out["source"].tolist() == ["user data (my.gpkg)"]
    assert np.isnan(out["accuracy_km"].iloc[0])
    assert out["common_name"].isna().all() and out["population"].isna().all()


def test_infrastructure_normalizations_and_fills():
    gdf = gpd.GeoDataFrame(
        {"INFRA_TYPE": ["Railway", "Border Fence", "road", "fence"],
         "status": ["Under construction", None, "planned", "existing"],
         "fenced": ["yes", None, 0, "TRUE"],
         "countries": ["kaz;uzb", None, "MNG", ""]},
        geometry=[LINE] * 4, crs=4326)
    before = gdf.copy()
    out = validate_layer(gdf, "infrastructure")
    pd.testing.assert_frame_equal(pd.DataFrame(gdf), pd.DataFrame(before))  # input untouched
    assert out["infra_type"].tolist() == ["railway", "border_fence", "road", "fence"]
    assert out["status"].tolist() == ["under_construction", "existing", "planned", "existing"]
    assert out["fenced"].dtype == bool
    # null fenced -> True for fence types, False otherwise
    assert out["fenced"].tolist() == [True, True, False, True]
    assert out["fence_class"].tolist()[:2] == ["unknown", "unknown"]
    assert pd.isna(out["fence_class"].iloc[2])
    assert out["infra_id"].tolist() == ["1", "2", "3", "4"]
    assert out["countries"].iloc[0] == "KAZ; UZB" and pd.isna(out["countries"].iloc[1])
    assert out["source"].tolist() == ["user data"] * 4
    assert str(out["year"].dtype) == "Int64"


def test_countries_given_as_python_lists():
    gdf = infra(2, countries=[["kaz", "UZB"], None])
    out = validate_layer(gdf, "infrastructure")
    assert out["countries"].iloc[0] == "KAZ; UZB" and pd.isna(out["countries"].iloc[1])


@pytest.mark.parametrize("short,full", [("fence_clas", "fence_class"),
                                        ("accuracy_k", "accuracy_km"),
                                        ("length_rep", "length_reported_km")])
def test_shapefile_truncated_names_mapped_back(short, full):
    value = {"fence_class": "low", "accuracy_km": 1.5, "length_reported_km": 12.0}[full]
    out = validate_layer(infra(1, **{short: [value]}), "infrastructure")
    assert out[full].iloc[0] == value and short not in out.columns


def test_tracks_timestamps_to_utc_nanoseconds():
    gdf = tracks(["2020-01-01T02:00:00+02:00", "2020-01-01T01:00:00Z"], ids=[7, 7])
    out = validate_layer(gdf, "tracks")
    assert str(out["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert out["timestamp"].iloc[0] == pd.Timestamp("2020-01-01T00:00:00Z")
    assert out["individual_id"].tolist() == ["7", "7"]


def test_tracks_tz_aware_converted():
    times = pd.to_datetime(["2020-06-01 12:00"]).tz_localize("Asia/Ulaanbaatar")
    out = validate_layer(tracks(list(times)), "tracks")
    assert out["timestamp"].iloc[0] == pd.Timestamp("2020-06-01T04:00:00Z")


def test_tracks_duplicate_fixes_warn():
    gdf = tracks(["2020-01-01T00:00:00Z", "2020-01-01T00:00:00Z", "2020-01-01T02:00:00Z"])
    with pytest.warns(CamigeoWarning, match=r"1 fixes repeat an earlier .* \(row 1\)"):
        validate_layer(gdf, "tracks")


def test_kind_none_keeps_columns():
    gdf = gpd.GeoDataFrame({"Anything": [1]}, geometry=[Point(1, 1)], crs=4326)
    out = validate_layer(gdf)
    assert out.columns.tolist() == ["Anything", "geometry"]


# --------------------------------------------------------------------------- range filters
CODES = [(1, 1, 1), (2, 2, 2), (3, 1, 1), (1, 3, 1), (1, 6, 4), (1, 1, 5), (1, 2, 3), (4, 1, 1)]


@pytest.mark.parametrize("preset,kept", [
    ("default", [0, 1, 4, 6]),      # presence {1,2}, origin {1,2,6}, seasonal {1,2,3,4}
    ("strict", [0]),                # {1}, {1}, {1,2,3}
    ("optimistic", [0, 1, 2, 4, 6]),  # default + presence 3
    ("none", list(range(8))),
])
def test_filter_presets(preset, kept):
    gdf = validate_layer(ranges(CODES), "range")
    assert filter_ranges(gdf, preset=preset).index.tolist() == kept


def test_filter_kba_uses_terrestrial():
    gdf = validate_layer(ranges(CODES, terrestria=["true", "false"] + ["true"] * 6), "range")
    assert filter_ranges(gdf, preset="kba").index.tolist() == [0, 4, 6]


def test_filter_overrides():
    gdf = validate_layer(ranges(CODES), "range")
    assert filter_ranges(gdf, seasonal=[1]).index.tolist() == [0]
    assert filter_ranges(gdf, presence=range(1, 5)).index.tolist() == [0, 1, 2, 4, 6, 7]


def test_filter_presets_match_domain_methods():
    assert RANGE_FILTER_PRESETS["strict"] == {"presence": (1,), "origin": (1,),
                                              "seasonal": (1, 2, 3)}
    assert RANGE_FILTER_PRESETS["default"] == {"presence": (1, 2), "origin": (1, 2, 6),
                                               "seasonal": (1, 2, 3, 4)}


def test_filter_unknown_preset():
    with pytest.raises(CamigeoError, match="unknown range_filter preset 'loose'; expected one "
                                           "of default, kba, strict"):
        filter_ranges(validate_layer(ranges(CODES), "range"), preset="loose")


def test_filter_unknown_code():
    with pytest.raises(CamigeoError, match=r"origin= has unknown IUCN codes \[9\]"):
        filter_ranges(validate_layer(ranges(CODES), "range"), origin=[1, 9])


def test_filter_code_not_a_collection():
    with pytest.raises(CamigeoError, match="presence= must be a collection of IUCN codes"):
        filter_ranges(validate_layer(ranges(CODES), "range"), presence=1)


def test_repair_keeps_multipolygon_type():
    gdf = ptcr([1], geometry=[BOWTIE])
    with pytest.warns(CamigeoWarning):
        out = validate_layer(gdf, "ptcr")
    assert shapely.get_type_id(out.geometry.iloc[0]) == 6  # MultiPolygon


# --------------------------------------------------------------------------- invariants
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_token = st.text(st.characters(blacklist_characters=";", blacklist_categories=("Cs",)),
                 min_size=1).map(str.strip).filter(bool)


@given(st.lists(_token, max_size=6))
def test_join_then_split_round_trips(items):
    assert split_list(join_list(items)) == items


_infra_rows = st.lists(st.tuples(
    st.sampled_from(["railway", "Road", "FENCE", "border fence", "Pipeline", "canal"]),
    st.sampled_from(["existing", "Under construction", "planned", None, ""]),
    st.sampled_from([True, False, "yes", "no", 1, 0, None]),
    st.sampled_from(["low", "High", None, "open"])), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None)
@given(_infra_rows)
def test_infrastructure_validation_is_idempotent_and_row_order_independent(rows):
    gdf = gpd.GeoDataFrame(
        {"infra_type": [r[0] for r in rows], "status": [r[1] for r in rows],
         "fenced": [r[2] for r in rows], "fence_class": [r[3] for r in rows],
         "infra_id": [f"i{k}" for k in range(len(rows))]},
        geometry=[LINE] * len(rows), crs=4326)
    once = validate_layer(gdf, "infrastructure")
    twice = validate_layer(once, "infrastructure")
    pd.testing.assert_frame_equal(pd.DataFrame(once), pd.DataFrame(twice))
    reversed_ = validate_layer(gdf.iloc[::-1], "infrastructure").sort_index()
    pd.testing.assert_frame_equal(pd.DataFrame(once), pd.DataFrame(reversed_))
    assert set(once["infra_type"]) <= {"railway", "road", "fence", "border_fence",
                                       "pipeline", "canal"}
    # a fenced line always has a fence class, an unfenced one only if the file gave one
    assert once.loc[once["fenced"], "fence_class"].notna().all()
