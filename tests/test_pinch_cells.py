"""Pinch-point cells: top current inside the corridors, outside the cores, ties kept."""

from __future__ import annotations

import numpy as np
import pytest

from camigeo import Raster
from camigeo._errors import CamigeoError
from camigeo.circuit import pinch_point_cells, pinch_points


def _channel() -> tuple[Raster, Raster, np.ndarray]:
    """Two column cores joined by one 4-cell channel through a wall (4 neighbours).

    Every unit of the 1 A pair current must pass the channel cells (3, 3)..(3, 6), so each
    carries exactly 1 A; so does every core cell (short-circuited). Cells in the open
    areas carry less (they share the current).
    """
    res = np.ones((7, 10))
    res[:, 4:6] = np.nan
    res[3, 4:6] = 1.0
    r = Raster.from_array(res, cellsize=1000.0, origin=(0, 0), crs=3857)
    cores = np.zeros((7, 10), dtype=int)
    cores[:, 0] = 1
    cores[:, 9] = 2
    nl = Raster.from_array(np.zeros((7, 10)), cellsize=1000.0, origin=(0, 0), crs=3857)
    return r, nl, cores


def test_channel_cells_not_cores() -> None:
    r, nl, cores = _channel()
    pp = pinch_points(nl, r, cores, cutoff=0.0, four_neighbors=True)
    cur = pp.current.masked_float()
    # the trap the old selection fell into: the 14 core cells carry the maximum too
    assert np.allclose(cur[:, 0], 1.0) and np.allclose(cur[:, 9], 1.0)
    g = pinch_point_cells(pp.current, nl, cores, cutoff=0.0, top_fraction=0.01)
    # candidates: 70 cells - 14 core - 12 wall (no current) = 44; k = ceil(0.44) = 1,
    # the 4 channel cells tie at 1 A -> all four, 3 of them added by the tie
    assert sorted(zip(g.geometry.y, g.geometry.x, strict=True)) == [(3500.0, x) for x in
                                                        (3500.0, 4500.0, 5500.0, 6500.0)]
    assert np.allclose(g["current_A"], 1.0)
    assert (g["rank"] == 1).all()
    assert int(g["n_candidates"].iloc[0]) == 44
    assert int(g["n_tied"].iloc[0]) == 3
    assert g.crs.to_epsg() == 3857


def test_corridor_cutoff_and_fraction() -> None:
    r, nl, cores = _channel()
    pp = pinch_points(nl, r, cores, cutoff=0.0, four_neighbors=True)
    # channel cells (3, 5), (3, 6) outside the corridor given here: only (3, 3), (3, 4)
    arr = np.zeros((7, 10))
    arr[3, 5:7] = 10.0
    nl2 = Raster.from_array(arr, cellsize=1000.0, origin=(0, 0), crs=3857)
    g = pinch_point_cells(pp.current, nl2, cores, cutoff=1.0, top_fraction=0.01)
    assert sorted(g.geometry.x) == [3500.0, 4500.0]
    # a larger fraction: k = ceil(0.1 * 44) = 5 -> 4 channel cells + the next value,
    # 0.386 A, which two cells share ((3, 2) and (3, 7)) -> 6 cells, ranks 1 and 5
    g = pinch_point_cells(pp.current, nl, cores, cutoff=0.0, top_fraction=0.1)
    assert len(g) == 6
    assert sorted(g["rank"].tolist()) == [1, 1, 1, 1, 5, 5]
    cur = pp.current.masked_float()
    assert g["threshold_A"].iloc[0] == pytest.approx(cur[3, 2])
    assert cur[3, 2] == pytest.approx(cur[3, 7])


def test_empty_and_errors() -> None:
    r, nl, cores = _channel()
    zero = r.with_array(np.zeros((7, 10)), nodata=None)
    g = pinch_point_cells(zero, nl, cores, cutoff=0.0)
    assert len(g) == 0 and g.crs is not None
    with pytest.raises(CamigeoError, match="top_fraction"):
        pinch_point_cells(zero, nl, cores, cutoff=0.0, top_fraction=0)
    with pytest.raises(CamigeoError, match="grids differ"):
        pinch_point_cells(zero, nl, cores[:, :5], cutoff=0.0)
