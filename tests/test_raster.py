from __future__ import annotations

import numpy as np
import pytest

from camigeo import CamigeoError, DataNotFoundError, Raster
from camigeo.io.raster import as_raster


def _r() -> Raster:
    arr = np.arange(12, dtype=float).reshape(3, 4)
    arr[1, 2] = -9999
    arr[2, 3] = np.nan
    return Raster.from_array(arr, cellsize=10, origin=(100, 200), crs=32642, nodata=-9999)


def test_georeferencing_and_mask() -> None:
    r = _r()
    assert r.shape == (3, 4) and r.res == (10, 10) and r.cellsize == 10
    assert r.bounds == (100, 200, 140, 230)
    assert r.valid.sum() == 10 and not r.valid[1, 2] and not r.valid[2, 3]
    assert np.isnan(r.masked_float()[1, 2])
    rows, cols = r.rowcol([105, 139.9], [229, 201])
    assert rows.tolist() == [0, 2] and cols.tolist() == [0, 3]
    x, y = r.xy(0, 0)
    assert (float(x), float(y)) == (105.0, 225.0)


@pytest.mark.parametrize("name,cog", [("r.tif", False), ("r.tif", True), ("r.asc", False)])
def test_round_trip(tmp_path, name: str, cog: bool) -> None:
    r = _r()
    out = r.to_file(tmp_path / name, cog=cog)
    back = Raster.from_file(out)
    assert back.shape == r.shape and back.nodata == -9999
    assert back.crs is not None and back.crs.to_epsg() == 32642
    np.testing.assert_allclose(back.masked_float()[r.valid], r.array[r.valid])
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_errors_name_the_problem(tmp_path) -> None:
    with pytest.raises(CamigeoError, match="must be 2-D"):
        Raster(np.zeros((2, 2, 2)))
    with pytest.raises(DataNotFoundError, match="does not exist"):
        Raster.from_file(tmp_path / "missing.tif")
    with pytest.raises(CamigeoError, match="resistance must be a camigeo.Raster or a path"):
        as_raster(np.zeros((2, 2)), name="resistance")
    rect = Raster(np.zeros((2, 2)), transform=(10, 0, 0, 0, -20, 40))
    with pytest.raises(CamigeoError, match="not square"):
        _ = rect.cellsize
