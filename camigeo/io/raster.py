"""A small raster container that keeps array, transform, CRS and nodata together.

Every raster function in camigeo takes and returns a :class:`Raster`; rasters can also
be given as a path (read with rasterio). Cells equal to ``nodata`` or NaN are "no data".
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import rasterio
import rasterio.shutil
from affine import Affine
from pyproj import CRS
from rasterio.errors import RasterioIOError

from .._errors import CamigeoError, DataNotFoundError
from .atomic import atomic_path

__all__ = ["Raster", "as_raster"]


@dataclass(frozen=True, eq=False)
class Raster:
    """A single-band raster: values, georeferencing and nodata travel together.

    Parameters
    ----------
    array : numpy.ndarray
        2-D array of values, row 0 at the top (north).
    transform : affine.Affine
        Pixel-to-map transform (rasterio convention).
    crs : pyproj.CRS or None
        Coordinate reference system of the map coordinates.
    nodata : float or None
        Value marking missing cells (NaN is always treated as missing too).
    """

    array: np.ndarray
    transform: Affine = field(default_factory=Affine.identity)
    crs: CRS | None = None
    nodata: float | None = None

    def __post_init__(self) -> None:
        arr = np.asarray(self.array)
        if arr.ndim != 2:
            raise CamigeoError(
                f"Raster array must be 2-D (rows, cols); got an array of shape {arr.shape}. "
                f"For a multi-band file pass band=... to Raster.from_file."
            )
        object.__setattr__(self, "array", arr)
        if arr.size == 0:
            raise CamigeoError(f"Raster array has no cells (shape {arr.shape}); expected at "
                               f"least one row and one column.")
        if self.crs is not None and not isinstance(self.crs, CRS):
            object.__setattr__(self, "crs", CRS.from_user_input(self.crs))
        if not isinstance(self.transform, Affine):
            object.__setattr__(self, "transform", Affine(*tuple(self.transform)[:6]))
        t = self.transform
        if not (np.isfinite([t.a, t.b, t.c, t.d, t.e, t.f]).all() and t.a * t.e - t.b * t.d):
            raise CamigeoError(
                f"Raster transform {tuple(t)[:6]} is degenerate (a zero or non-finite cell "
                f"size): every distance would be 0. Give a positive cellsize, e.g. "
                f"Raster.from_array(arr, cellsize=1000, crs=...).")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_array(
        cls,
        array: Any,
        *,
        cellsize: float = 1.0,
        origin: tuple[float, float] = (0.0, 0.0),
        crs: Any = None,
        nodata: float | None = None,
    ) -> Raster:
        """Build a raster from an array with square cells.

        Parameters
        ----------
        array : array-like
            2-D values, row 0 at the top.
        cellsize : float, default 1
            Cell width and height in map units (metres for a projected CRS).
        origin : (x, y), default (0, 0)
            Map coordinates of the lower-left corner.
        crs : CRS-like, optional
        nodata : float, optional

        Returns
        -------
        Raster
        """
        arr = np.asarray(array)
        from .guards import check_number

        cellsize = check_number(cellsize, name="cellsize", minimum=0.0, strict_min=True,
                                unit="map units", fix="Give the cell width in map units "
                                "(metres for a projected CRS), e.g. cellsize=1000.")
        x0, y0 = origin
        top = y0 + arr.shape[0] * cellsize
        return cls(arr, Affine(cellsize, 0.0, x0, 0.0, -cellsize, top),
                   CRS.from_user_input(crs) if crs is not None else None, nodata)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, band: int = 1) -> Raster:
        """Read one band of a raster file (GeoTIFF, ESRI ASCII grid, ... anything GDAL reads).

        Parameters
        ----------
        path : str or path-like
        band : int, default 1

        Returns
        -------
        Raster
        """
        p = Path(path)
        if not p.exists():
            raise DataNotFoundError(f"Raster file {p} does not exist. Check the path.")
        try:
            with rasterio.open(p) as src:
                if band < 1 or band > src.count:
                    raise CamigeoError(
                        f"{p} has {src.count} band(s); band={band} was asked for."
                    )
                from .guards import check_alloc

                check_alloc(float(src.width) * src.height * np.dtype(src.dtypes[band - 1])
                            .itemsize * 3, what=f"reading raster {p} ({src.height:,} x "
                            f"{src.width:,} cells, {src.dtypes[band - 1]})",
                            fix="Clip or resample the raster first (gdal_translate -projwin "
                                "/ gdalwarp -tr), or use the scale= options (docs/scaling.md).")
                arr = src.read(band)
                crs = CRS.from_user_input(src.crs) if src.crs else None
                return cls(arr, src.transform, crs, src.nodata)
        except RasterioIOError as exc:
            raise CamigeoError(f"{p} could not be read as a raster: {exc}") from exc

    # ------------------------------------------------------------------ properties
    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        return cast("tuple[int, int]", self.array.shape)

    @property
    def height(self) -> int:
        """Number of rows."""
        return int(self.array.shape[0])

    @property
    def width(self) -> int:
        """Number of columns."""
        return int(self.array.shape[1])

    @property
    def res(self) -> tuple[float, float]:
        """Cell size (x, y) in map units, both positive."""
        return (abs(self.transform.a), abs(self.transform.e))

    @property
    def cellsize(self) -> float:
        """Cell size in map units; raises if cells are not square."""
        rx, ry = self.res
        if not np.isclose(rx, ry, rtol=1e-9):
            raise CamigeoError(
                f"Raster cells are not square ({rx} x {ry} map units); resample to square "
                f"cells first."
            )
        return rx

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) in map units."""
        t = self.transform
        xs = [t.c, t.c + t.a * self.width]
        ys = [t.f, t.f + t.e * self.height]
        return (min(xs), min(ys), max(xs), max(ys))

    @property
    def valid(self) -> np.ndarray:
        """Boolean mask of cells that hold data (not nodata, not NaN)."""
        arr = self.array
        mask = np.ones(arr.shape, dtype=bool)
        if np.issubdtype(arr.dtype, np.floating):
            mask &= ~np.isnan(arr)
        if self.nodata is not None and not (isinstance(self.nodata, float)
                                            and np.isnan(self.nodata)):
            mask &= arr != self.nodata
        return mask

    # ------------------------------------------------------------------ helpers
    def with_array(self, array: np.ndarray, *, nodata: float | None | str = "same") -> Raster:
        """Return a raster with the same georeferencing and new values.

        ``nodata="same"`` keeps the nodata value.
        """
        nd = self.nodata if nodata == "same" else nodata
        return replace(self, array=np.asarray(array), nodata=nd)  # type: ignore[arg-type]

    def masked_float(self) -> np.ndarray:
        """Values as float64 with nodata cells set to NaN (a new array)."""
        out = self.array.astype(np.float64, copy=True)
        out[~self.valid] = np.nan
        return out

    def rowcol(self, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        """Row and column indices of map coordinates (floor; may fall outside the grid)."""
        inv = ~self.transform
        cols, rows = inv * (np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        return np.floor(rows).astype(np.int64), np.floor(cols).astype(np.int64)

    def xy(self, row: Any, col: Any) -> tuple[np.ndarray, np.ndarray]:
        """Map coordinates of cell centres."""
        r = np.asarray(row, dtype=float) + 0.5
        c = np.asarray(col, dtype=float) + 0.5
        x, y = cast(Any, self.transform) * (c, r)  # affine types * for float pairs only
        return np.asarray(x), np.asarray(y)

    def to_file(
        self, path: str | os.PathLike[str], *, driver: str | None = None, cog: bool = False,
        dtype: Any = None,
    ) -> Path:
        """Write the raster atomically (GeoTIFF by default; ``.asc`` writes an ESRI grid).

        Parameters
        ----------
        path : str or path-like
        driver : str, optional
            GDAL driver; guessed from the suffix (``.tif`` GTiff/COG, ``.asc`` AAIGrid).
        cog : bool, default False
            Write a Cloud-Optimized GeoTIFF (tiled, overviews, deflate).
        dtype : numpy dtype, optional
            Output data type (default: the array's).

        Returns
        -------
        pathlib.Path
        """
        dest = Path(path)
        drv = driver or ("AAIGrid" if dest.suffix.lower() == ".asc"
                         else ("COG" if cog else "GTiff"))
        arr = self.array.astype(dtype) if dtype is not None else self.array
        profile: dict[str, Any] = dict(
            driver=drv, height=self.height, width=self.width, count=1, dtype=arr.dtype,
            transform=self.transform, nodata=self.nodata,
        )
        if self.crs is not None:
            profile["crs"] = rasterio.crs.CRS.from_wkt(self.crs.to_wkt())
        if drv in ("GTiff", "COG"):
            profile["compress"] = "deflate"
        with atomic_path(dest) as tmp:
            if drv == "COG":
                with rasterio.MemoryFile() as mem:
                    gtiff = dict(profile, driver="GTiff", tiled=True)
                    with mem.open(**gtiff) as ds:
                        ds.write(arr, 1)
                    with mem.open() as ds:
                        rasterio.shutil.copy(ds, tmp, driver="COG", compress="deflate")
            else:
                with rasterio.open(tmp, "w", **profile) as ds:
                    ds.write(arr, 1)
            if drv == "AAIGrid":  # GDAL writes a sidecar .prj next to the temp name
                prj = tmp.with_suffix(".prj")
                if prj.exists():
                    os.replace(prj, dest.with_suffix(".prj"))
        return dest

    def __repr__(self) -> str:
        crs = self.crs.to_string() if self.crs is not None else None
        return (f"Raster(shape={self.shape}, res={self.res}, crs={crs!r}, "
                f"nodata={self.nodata}, dtype={self.array.dtype})")


def as_raster(obj: Raster | str | os.PathLike[str], *, name: str = "raster") -> Raster:
    """Accept a :class:`Raster` or a path and return a :class:`Raster`.

    Parameters
    ----------
    obj : Raster, str or path-like
    name : str
        Parameter name used in messages.

    Returns
    -------
    Raster
    """
    if isinstance(obj, Raster):
        return obj
    if isinstance(obj, str | os.PathLike):
        return Raster.from_file(obj)
    raise CamigeoError(
        f"{name} must be a camigeo.Raster or a path to a raster file; got "
        f"{type(obj).__name__}. Wrap arrays with camigeo.Raster.from_array(arr, cellsize=...)."
    )
