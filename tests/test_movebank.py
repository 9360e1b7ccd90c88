"""Tests for camigeo.read_movebank: the three column styles, UTC, dropped rows, bad input."""

from __future__ import annotations

import pandas as pd
import pytest

import camigeo
from camigeo import CamigeoWarning, DataNotFoundError, SchemaError, ValidationError
from camigeo.io.movebank import read_movebank

ROWS = [  # id, timestamp (UTC), lon, lat  -- deliberately not sorted
    ("007", "2019-05-01 04:00:00.000", 66.10, 44.20),
    ("b12", "2019-05-01 02:00:00.000", 66.30, 44.40),
    ("007", "2019-05-01 02:00:00.000", 66.00, 44.10),
    ("b12", "2019-05-01 00:00:00.000", 66.20, 44.30),
]


def write_csv(path, sep: str, rows=ROWS, extra: bool = True) -> None:
    names = [f"individual{sep}local{sep}identifier", "timestamp", f"location{sep}long",
             f"location{sep}lat"]
    df = pd.DataFrame(rows, columns=names)
    if extra:
        df.insert(0, f"event{sep}id", range(1, len(df) + 1))
        df[f"sensor{sep}type"] = "gps"
    df.to_csv(path, index=False)


@pytest.mark.parametrize("sep", ["-", "_", "."])
def test_three_styles_give_the_same_fixes(tmp_path, sep):
    path = tmp_path / "fixes.csv"
    write_csv(path, sep)
    out = read_movebank(path)
    assert out["individual_id"].tolist() == ["007", "007", "b12", "b12"]  # zeros kept, sorted
    assert str(out["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert out["timestamp"].tolist() == [pd.Timestamp(t, tz="UTC") for t in (
        "2019-05-01 02:00", "2019-05-01 04:00", "2019-05-01 00:00", "2019-05-01 02:00")]
    assert [(p.x, p.y) for p in out.geometry] == [(66.00, 44.10), (66.10, 44.20),
                                                  (66.20, 44.30), (66.30, 44.40)]
    assert out.crs.to_epsg() == 4326
    assert out.index.tolist() == [0, 1, 2, 3]
    # other columns kept as they are; coordinate columns became the geometry
    assert out[f"event{sep}id"].tolist() == [3, 1, 4, 2]
    assert out[f"sensor{sep}type"].tolist() == ["gps"] * 4
    assert out.columns.tolist()[:2] == ["individual_id", "timestamp"]
    assert not {f"location{sep}long", f"location{sep}lat"} & set(out.columns)


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_and_tab_separated(tmp_path, sep):
    path = tmp_path / "f.csv"
    write_csv(tmp_path / "comma.csv", "-")
    pd.read_csv(tmp_path / "comma.csv").to_csv(path, sep=sep, index=False)
    out = read_movebank(path)
    assert out["individual_id"].tolist() == ["007", "007", "b12", "b12"]
    assert out.geometry.iloc[0].x == 66.00


def test_offsets_converted_to_utc(tmp_path):
    path = tmp_path / "f.csv"
    write_csv(path, "-", rows=[("a", "2019-05-01T08:00:00+06:00", 66.0, 44.0)])
    assert read_movebank(path)["timestamp"].iloc[0] == pd.Timestamp("2019-05-01T02:00Z")


def test_rows_without_coordinates_dropped_with_count(tmp_path):
    path = tmp_path / "f.csv"
    rows = [*ROWS[:2], ("007", "2019-05-01 06:00:00.000", None, None),
            ("b12", "2019-05-01 06:00:00.000", 66.5, None)]
    write_csv(path, "-", rows=rows)
    with pytest.warns(CamigeoWarning, match=r"dropped 2 of 4 rows without coordinates "
                                            r"\(line\(s\) 4, 5\)"):
        out = read_movebank(path)
    assert len(out) == 2


def test_hidden_outliers_kept_with_warning(tmp_path):
    path = tmp_path / "f.csv"
    write_csv(path, "-")
    df = pd.read_csv(path)
    df["visible"] = ["true", "false", "true", "false"]
    df.to_csv(path, index=False)
    with pytest.warns(CamigeoWarning, match=r"2 fixes are flagged visible=false"):
        out = read_movebank(path)
    assert len(out) == 4


def test_tag_id_fallback(tmp_path):
    path = tmp_path / "f.csv"
    pd.DataFrame({"tag-local-identifier": ["T1"], "timestamp": ["2019-05-01 00:00:00.000"],
                  "location-long": [66.0], "location-lat": [44.0]}).to_csv(path, index=False)
    with pytest.warns(CamigeoWarning, match="using 'tag-local-identifier' .* as individual_id"):
        out = read_movebank(path)
    assert out["individual_id"].tolist() == ["T1"]


def test_custom_crs(tmp_path):
    path = tmp_path / "f.csv"
    write_csv(path, "-", rows=[("a", "2019-05-01 00:00:00.000", 550000.0, 4700000.0)])
    out = read_movebank(path, crs="EPSG:32612")
    assert out.crs.to_epsg() == 32612 and out.geometry.iloc[0].x == 550000.0


# --------------------------------------------------------------------------- bad input
def test_missing_file(tmp_path):
    with pytest.raises(DataNotFoundError, match=r"nope\.csv: Movebank CSV not found"):
        read_movebank(tmp_path / "nope.csv")


def test_missing_columns_lists_styles_and_found(tmp_path):
    path = tmp_path / "f.csv"
    pd.DataFrame({"id": ["a"], "time": ["2019"], "location-long": [1.0],
                  "location-lat": [2.0]}).to_csv(path, index=False)
    with pytest.raises(SchemaError, match=r"missing column\(s\) individual_local_identifier, "
                                          r"timestamp \(any style\).*dash style: "
                                          r"individual-local-identifier, timestamp, "
                                          r"location-long, location-lat; underscore style: .*"
                                          r"dot style: individual\.local\.identifier.*Found: "
                                          r"id, time, location-long, location-lat"):
        read_movebank(path)


def test_unparseable_timestamps_with_line_numbers(tmp_path):
    path = tmp_path / "f.csv"
    rows = [ROWS[0], ("007", "01/05/2019 kinda late", 66.0, 44.0), ROWS[1],
            ("b12", "never", 66.0, 44.0)]
    write_csv(path, "-", rows=rows)
    with pytest.raises(ValidationError, match=r"timestamp could not be parsed at line\(s\) 3, "
                                              r"5 \(e\.g\. '01/05/2019 kinda late', 'never'\)"):
        read_movebank(path)


def test_empty_timestamp(tmp_path):
    path = tmp_path / "f.csv"
    write_csv(path, "_", rows=[ROWS[0], ("007", None, 66.0, 44.0)])
    with pytest.raises(ValidationError, match=r"timestamp is empty at line\(s\) 3"):
        read_movebank(path)


def test_non_numeric_coordinates(tmp_path):
    path = tmp_path / "f.csv"
    write_csv(path, "-", rows=[ROWS[0], ("007", "2019-05-01 06:00:00.000", "66,2", 44.0)])
    with pytest.raises(ValidationError, match=r"not numbers at line\(s\) 3"):
        read_movebank(path)


def test_coordinates_out_of_range(tmp_path):
    path = tmp_path / "f.csv"
    write_csv(path, "-", rows=[ROWS[0], ("007", "2019-05-01 06:00:00.000", 550000.0, 44.0)])
    with pytest.raises(ValidationError, match=r"outside lon -180\.\.180 .* line\(s\) 3; if "
                                              r"they are projected, pass crs="):
        read_movebank(path)


def test_empty_individual(tmp_path):
    path = tmp_path / "f.csv"
    write_csv(path, ".", rows=[ROWS[0], (None, "2019-05-01 06:00:00.000", 66.0, 44.0)])
    with pytest.raises(ValidationError, match=r"individual\.local\.identifier is empty at "
                                              r"line\(s\) 3"):
        read_movebank(path)


def test_all_problems_in_one_error(tmp_path):
    path = tmp_path / "f.csv"
    write_csv(path, "-", rows=[("a", "bad", 66.0, 44.0), (None, "2019-05-01 00:00", 999, 44.0)])
    with pytest.raises(ValidationError, match="3 problems found") as info:
        read_movebank(path)
    assert len(info.value.problems) == 3


def test_top_level_export():
    assert camigeo.read_movebank is read_movebank


# --------------------------------------------------------------------------- BaBA reference
@pytest.mark.reference
@pytest.mark.parametrize("animal,counts", [
    ("pronghorn", {"102_2014": 4379, "103_2014": 4378}),
    ("muleDeer", {"416_2014": 4370, "419_2014": 4369}),
])
def test_baba_movebank_style_matches_plain_csv(reference_dir, animal, counts):
    baba = reference_dir / "baba"
    out = read_movebank(baba / f"{animal}_movebank_style.csv")
    assert out["individual_id"].value_counts().to_dict() == counts
    plain = pd.read_csv(baba / f"{animal}.csv", dtype={"Animal.ID": str})
    plain["t"] = pd.to_datetime(plain["date_utc"], utc=True)
    plain = plain.sort_values(["Animal.ID", "t"], kind="stable", ignore_index=True)
    # the same instants, in the same order, as the independent date_utc column
    assert (out["timestamp"] == plain["t"]).all()
    assert out["timestamp"].min() == pd.Timestamp("2014-01-01T05:00:00Z")
    assert out["individual_id"].tolist() == plain["Animal.ID"].tolist()
    assert out.geometry.x.to_numpy() == pytest.approx(plain["lon"].to_numpy(), abs=1e-7)
    assert out.geometry.y.to_numpy() == pytest.approx(plain["lat"].to_numpy(), abs=1e-7)
    assert out["individual-taxon-canonical-name"].nunique() == 1
