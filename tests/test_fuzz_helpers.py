"""Fuzzing the table/job helpers: any input gives a result or a camigeo error, never a
traceback from inside pandas/geopandas (hypothesis draws the inputs)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camigeo import CamigeoError
from camigeo.circuit.omniscape_job import ptcr_omniscape
from camigeo.telemetry.corridor_barriers import add_corridor_km, conflict_summary

_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5),
                     st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5))
_COLS = st.sampled_from(["use_class", "length_km", "barrier_id", "ptcr_id", "barrier_type",
                         "x"])


@st.composite
def _frames(draw):
    cols = draw(st.lists(_COLS, max_size=5, unique=True))
    n = draw(st.integers(0, 4))
    data = {c: draw(st.lists(_SCALARS, min_size=n, max_size=n)) for c in cols}
    if "use_class" in data and draw(st.booleans()):
        data["use_class"] = draw(st.lists(st.sampled_from(["low", "medium", "high"]),
                                          min_size=n, max_size=n))
    if "length_km" in data and draw(st.booleans()):
        data["length_km"] = draw(st.lists(st.floats(0, 100), min_size=n, max_size=n))
    return pd.DataFrame(data)


_INPUTS = st.one_of(_SCALARS, _frames(), st.lists(_SCALARS, max_size=3))


def _ok_or_camigeo(fn, *a, **kw) -> None:
    try:
        fn(*a, **kw)
    except CamigeoError:
        pass


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(conflict=_INPUTS, by=st.one_of(_SCALARS, st.lists(_COLS, max_size=2)))
def test_conflict_summary_fuzz(conflict, by) -> None:
    _ok_or_camigeo(conflict_summary, conflict, by=by)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(ranking=_INPUTS, conflict=_INPUTS, col=st.one_of(_COLS, _SCALARS),
       use_class=st.one_of(st.sampled_from(["low", "medium", "high"]), _SCALARS))
def test_add_corridor_km_fuzz(ranking, conflict, col, use_class) -> None:
    _ok_or_camigeo(add_corridor_km, ranking, conflict, barrier_id_col=col, use_class=use_class)


def test_add_corridor_km_by_hand() -> None:
    # feature A: 2 + 3 km in high corridors, 7 km in a low one; B: none -> 5, 0
    conflict = pd.DataFrame({"barrier_id": ["A", "A", "A"], "use_class": ["high", "high", "low"],
                             "length_km": [2.0, 3.0, 7.0]})
    out = add_corridor_km(pd.DataFrame({"barrier_id": ["A", "B"]}), conflict)
    assert out["corridor_km"].tolist() == [5.0, 0.0]
    assert conflict_summary(conflict, by=[])["length_km"].tolist() == [7.0, 5.0]


_PTCR = gpd.GeoDataFrame({"name": ["Box"]}, geometry=[shapely.box(95.0, 43.0, 96.0, 44.0)],
                         crs="EPSG:4326")


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(ptcr=st.one_of(_SCALARS, _frames(), st.just(_PTCR.iloc[:0]),
                      st.just(pd.concat([_PTCR, _PTCR])),
                      st.just(_PTCR.set_geometry([shapely.Point(95, 43)])),
                      st.just(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)]))),
       cell_km=_SCALARS, radius_km=_SCALARS, block=_SCALARS)
def test_ptcr_omniscape_fuzz(ptcr, cell_km, radius_km, block) -> None:
    _ok_or_camigeo(ptcr_omniscape, ptcr, cell_km=cell_km, radius_km=radius_km,
                   block_size=block)


def test_ptcr_omniscape_refuses_an_impossible_grid() -> None:
    with pytest.raises(CamigeoError, match="grid of .*cell_km"):
        ptcr_omniscape(_PTCR, cell_km=0.001, radius_km=0.002)
    with pytest.raises(CamigeoError, match="block_size"):
        ptcr_omniscape(_PTCR, block_size=2)
    assert np.isfinite(ptcr_omniscape(_PTCR, cell_km=20.0, radius_km=40.0)
                       .result.cumulative.masked_float()).any()
