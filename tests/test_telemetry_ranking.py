"""BaBA fence ranking and permeability on hand-made event tables."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from shapely.geometry import LineString

from camigeo import SchemaError, ValidationError
from camigeo.telemetry import (
    DEFAULT_CLASS_BREAKS,
    barrier_permeability,
    proportion_interval,
    rank_barriers,
)

CRS = "EPSG:32633"


def fences():
    # three vertical fences at x = 0, 1000, 5000
    return gpd.GeoDataFrame({"fid": [11, 22, 33]}, geometry=[
        LineString([(0, 0), (0, 1000)]), LineString([(1000, 0), (1000, 1000)]),
        LineString([(5000, 0), (5000, 1000)])], crs=CRS)


def events(rows, d=100):
    """rows: (animal, x, y, eventTYPE, cross)."""
    df = pd.DataFrame(rows, columns=["AnimalID", "easting", "northing", "eventTYPE", "cross"])
    df["cross"] = df["cross"].astype("Int64")
    g = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.easting, df.northing), crs=CRS)
    g.attrs["baba"] = {"d": d}
    return g


ROWS = [
    # fence 11 (x=0): 3 events, 2 animals; non-crossing: Bounce, Trace -> 2/3*2 = 4/3
    ("a", -50, 100, "Bounce", 0), ("a", 60, 300, "Quick_Cross", 1), ("b", 20, 500, "Trace", 0),
    # fence 22 (x=1000): 2 events, 1 animal; Trapped, Back_n_forth -> 2/2*1 = 1
    ("a", 950, 100, "Trapped", 0), ("a", 1090, 900, "Back_n_forth", 0),
    # fence 33: one Quick_Cross -> 0/1*1 = 0
    ("c", 5010, 10, "Quick_Cross", 2),
    # far from every fence: ignored
    ("c", 3000, 500, "Bounce", 0),
]


def test_rank_barriers_hand_values():
    out = rank_barriers(events(ROWS), fences(), d=100, barrier_id_col="fid")
    assert out["barrier_id"].tolist() == [11, 22, 33]
    assert out["total_enc"].tolist() == [3, 2, 1]
    assert out["unique_ind"].tolist() == [2, 1, 1]
    assert out["Bounce"].tolist() == [1, 0, 0]
    assert out["Quick_Cross"].tolist() == [1, 0, 1]
    np.testing.assert_allclose(out["index_raw"], [4 / 3, 1.0, 0.0])
    np.testing.assert_allclose(out["index"], [1.0, 0.75, 0.0])  # (raw - 0) / (4/3 - 0)
    assert out["rank"].tolist() == [1, 2, 3]
    assert "fid" in out.columns and out.crs == fences().crs


def test_min_total_enc_and_multi_feature_join():
    # with min_total_enc = 2 fence 33 gets no index; rescaling over 11 and 22 only
    out = rank_barriers(events(ROWS), fences(), d=100, min_total_enc=2)
    assert np.isnan(out["index"].iloc[2])
    np.testing.assert_allclose(out["index"].iloc[:2], [1.0, 0.0])
    # an event 500 m from two fences counts for both when d = 600
    ev = events([("a", 500, 500, "Bounce", 0)])
    both = rank_barriers(ev, fences(), d=600)
    assert both["total_enc"].tolist() == [1, 1, 0]
    assert both["index"].isna().all()  # equal values: min-max is 0/0


def test_rank_rejects_crossings_table():
    bad = gpd.GeoDataFrame({"crossing_time": [pd.Timestamp("2020-01-01", tz="UTC")]},
                           geometry=gpd.points_from_xy([0], [0]), crs=CRS)
    with pytest.raises(SchemaError, match="classify_encounters.*no non-crossing"):
        rank_barriers(bad, fences(), d=100)
    # decided: permeability = crossed encounters / encounters needs the encounters that did
    # NOT cross, which a crossings table cannot supply
    with pytest.raises(SchemaError, match=r"got columns \['crossing_time', 'geometry'\]\. "
                                          r"A crossings table .*denominator of a permeability"):
        barrier_permeability(bad, fences(), d=100)
    with pytest.raises(ValidationError, match="d must be a positive number"):
        rank_barriers(events(ROWS), fences(), d=0)


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (1, 2), (17, 40)])
@pytest.mark.parametrize("conf", [0.9, 0.95])
def test_intervals_match_scipy(k, n, conf):
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=conf, method="wilson")
    lo, hi = proportion_interval([k], [n], confidence=conf)
    assert lo[0] == pytest.approx(ci.low, abs=1e-12)
    assert hi[0] == pytest.approx(ci.high, abs=1e-12)
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=conf, method="exact")
    lo, hi = proportion_interval([k], [n], confidence=conf, method="clopper-pearson")
    assert lo[0] == pytest.approx(ci.low, abs=1e-10)
    assert hi[0] == pytest.approx(ci.high, abs=1e-10)


def test_wilson_zero_of_ten_by_hand():
    # k = 0: upper = z² / (n + z²) with z = 1.959964
    z2 = stats.norm.ppf(0.975) ** 2
    lo, hi = proportion_interval([0], [10])
    assert lo[0] == 0.0 and hi[0] == pytest.approx(z2 / (10 + z2), abs=1e-12)
    assert np.isnan(proportion_interval([0], [0])[0][0])
    with pytest.raises(ValidationError, match="confidence must be between 0 and 1"):
        proportion_interval([1], [2], confidence=95)
    with pytest.raises(ValidationError, match="method must be"):
        proportion_interval([1], [2], method="bayes")


def test_permeability_and_classes():
    # fence 11: 3 encounters, 1 crossed (cross > 0); fence 22: 2, 0; fence 33: 1, 1
    # plus one event with unknown crossings near fence 33 (left out)
    rows = [*ROWS, ("d", 5020, 20, "unknown", None)]
    out = barrier_permeability(events(rows), fences(), min_encounters=2)
    assert out["n_encounters"].tolist() == [3, 2, 1]
    assert out["n_crossed"].tolist() == [1, 0, 1]
    np.testing.assert_allclose(out["permeability"], [1 / 3, 0, 1])
    # 1/3 < 0.35 -> low; 0 -> impermeable; fence 33 has 1 < 2 encounters -> unknown
    assert out["fence_class"].tolist() == ["low", "impermeable", "unknown"]
    ci = stats.binomtest(1, 3).proportion_ci(method="wilson")
    assert (out["ci_low"].iloc[0], out["ci_high"].iloc[0]) == pytest.approx((ci.low, ci.high))
    custom = barrier_permeability(events(rows), fences(), min_encounters=1,
                                  class_breaks={"impermeable": 0.05, "low": 0.2,
                                                "medium": 0.5, "high": 0.99})
    assert custom["fence_class"].tolist() == ["medium", "impermeable", "open"]
    assert list(DEFAULT_CLASS_BREAKS) == ["impermeable", "low", "medium", "high"]


def test_permeability_needs_d():
    ev = events(ROWS)
    ev.attrs = {}
    with pytest.raises(ValidationError, match="d .metres. is needed"):
        barrier_permeability(ev, fences())
    out = barrier_permeability(ev, fences(), d=100)
    assert out["n_encounters"].tolist() == [3, 2, 1]
    with pytest.raises(ValidationError, match="class_breaks must increase"):
        barrier_permeability(ev, fences(), d=100, class_breaks={"low": 0.5, "high": 0.2})
