"""Track normalisation: column detection, times, validation, movingpandas round trip."""

from __future__ import annotations

import warnings

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString

from camigeo import CamigeoWarning, GeometryError, SchemaError, ValidationError
from camigeo.telemetry import classify_encounters, modal_interval, prepare_tracks, to_movingpandas

CRS = "EPSG:32633"


def fixes(ids, hours, xs, ys, *, id_col="individual_id", time_col="timestamp"):
    t0 = pd.Timestamp("2021-03-01T00:00:00Z")
    return gpd.GeoDataFrame({id_col: ids, time_col: [t0 + pd.Timedelta(hours=h) for h in hours]},
                            geometry=gpd.points_from_xy(xs, ys), crs=CRS)


def test_schema_columns_pass_through_sorted():
    g = fixes(["b", "a", "a"], [0, 2, 0], [0, 1, 2], [0, 0, 0])
    with pytest.warns(CamigeoWarning, match="not sorted"):
        out, id_col, time_col = prepare_tracks(g)
    assert (id_col, time_col) == ("individual_id", "timestamp")
    assert out["individual_id"].tolist() == ["a", "a", "b"]
    assert out.geometry.x.tolist() == [2, 1, 0]
    assert g["individual_id"].tolist() == ["b", "a", "a"]  # input untouched


def test_alias_columns_and_string_times():
    g = fixes(["x1", "x1"], [0, 2], [0, 1], [0, 0], id_col="Animal.ID", time_col="date")
    g["date"] = ["2014-01-01T05:00:00Z", "2014-01-01T07:00:00Z"]
    out, id_col, time_col = prepare_tracks(g)
    assert (id_col, time_col) == ("Animal.ID", "date")
    assert str(out["date"].dt.tz) == "UTC"
    assert out["date"].iloc[1] == pd.Timestamp("2014-01-01T07:00:00Z")


def test_local_times_are_converted_to_utc_instants():
    g = fixes(["a", "a"], [0, 1], [0, 1], [0, 0])
    g["timestamp"] = pd.to_datetime(["2014-03-09T01:00:00-07:00", "2014-03-09T03:00:00-06:00"],
                                    format="ISO8601", utc=True).tz_convert("US/Mountain")
    out, _, _ = prepare_tracks(g)
    assert (out["timestamp"].iloc[1] - out["timestamp"].iloc[0]) == pd.Timedelta(hours=1)


def test_naive_times_warn():
    g = fixes(["a", "a"], [0, 1], [0, 1], [0, 0])
    g["timestamp"] = g["timestamp"].dt.tz_localize(None)
    with pytest.warns(CamigeoWarning, match="naive datetimes.*UTC"):
        out, _, _ = prepare_tracks(g)
    assert str(out["timestamp"].dt.tz) == "UTC"


def test_missing_columns():
    g = fixes(["a"], [0], [0], [0], id_col="who", time_col="when")
    with pytest.raises(SchemaError, match="no animal id column.*id_col="):
        prepare_tracks(g)
    with pytest.raises(SchemaError, match="no column 'nope'"):
        prepare_tracks(g, id_col="who", time_col="nope")
    out, *_ = prepare_tracks(g, id_col="who", time_col="when")
    assert len(out) == 1


def test_bad_geometries_and_types():
    g = fixes(["a", "a"], [0, 1], [0, 1], [0, 0])
    g.loc[1, "geometry"] = LineString([(0, 0), (1, 1)])
    with pytest.raises(GeometryError, match="Point fixes.*LineString"):
        prepare_tracks(g)
    g.loc[1, "geometry"] = None
    with pytest.raises(GeometryError, match="1 fixes without a location"):
        prepare_tracks(g)
    with pytest.raises(SchemaError, match="GeoDataFrame of Point fixes"):
        prepare_tracks(pd.DataFrame({"individual_id": ["a"]}))


def test_unparseable_times():
    g = fixes(["a"], [0], [0], [0])
    g["timestamp"] = ["yesterday"]
    with pytest.raises(SchemaError, match="could not be read as date-times"):
        prepare_tracks(g)


def test_duplicate_timestamp_message():
    g = fixes(["a", "a", "b"], [0, 0, 0], [0, 1, 2], [0, 0, 0])
    with pytest.raises(ValidationError, match="1 fixes repeat the timestamp.*a at"):
        prepare_tracks(g)


def test_modal_interval_ties_go_to_smaller():
    g = fixes(["a"] * 5, [0, 1, 2, 4, 6], [0] * 5, [0] * 5)  # steps 1,1,2,2
    assert modal_interval(g) == {"a": 1.0}
    assert modal_interval(g, units="mins") == {"a": 60.0}


def _mpd():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pytest.importorskip("movingpandas")


def test_movingpandas_round_trip_and_classification():
    mpd = _mpd()
    xs = [-450, -250, -50, 150, 350]
    g = pd.concat([fixes(["a"] * 5, range(5), xs, [0] * 5),
                   fixes(["b"] * 5, range(5), xs, [900] * 5)], ignore_index=True)
    g["speed_class"] = "slow"
    tc = to_movingpandas(g)
    assert isinstance(tc, mpd.TrajectoryCollection)
    assert sorted(str(t.id) for t in tc.trajectories) == ["a", "b"]
    back, id_col, time_col = prepare_tracks(tc)
    assert (id_col, time_col) == ("individual_id", "timestamp")
    assert back["timestamp"].tolist() == g.sort_values(["individual_id", "timestamp"])[
        "timestamp"].tolist()
    assert back.geometry.x.tolist() == xs + xs
    assert (back["speed_class"] == "slow").all()
    fence = gpd.GeoDataFrame(geometry=[LineString([(0, -5000), (0, 5000)])], crs=CRS)
    a = classify_encounters(g, fence, d=100).classification
    b = classify_encounters(tc, fence, d=100).classification
    assert a["burstID"].tolist() == b["burstID"].tolist() == ["a_0", "b_0"]
    assert a["eventTYPE"].tolist() == b["eventTYPE"].tolist() == ["Quick_Cross"] * 2
