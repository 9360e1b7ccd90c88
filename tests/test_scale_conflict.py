"""Conflict scoring on Dask equals the single-machine path (issue 8)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

gpd = pytest.importorskip("geopandas")
shapely = pytest.importorskip("shapely")
pytest.importorskip("dask_geopandas")
distributed = pytest.importorskip("distributed")

from camigeo import CamigeoError  # noqa: E402
from camigeo._errors import SchemaError  # noqa: E402
from camigeo.barriers.conflict import SCORE_COLUMNS, score_conflict  # noqa: E402
from camigeo.barriers.dask import score_conflict_dask  # noqa: E402
from camigeo.io.crs import CENTRAL_ASIA_EQUAL_AREA, WGS84  # noqa: E402
from camigeo.scale import partition_spatially  # noqa: E402

pytestmark = pytest.mark.dask

KM = 1000.0


def _star(rng: np.random.Generator, cx: float, cy: float, r: float, n: int):
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = r * rng.uniform(0.6, 1.0, n)
    return shapely.Polygon(np.c_[cx + rad * np.cos(ang), cy + rad * np.sin(ang)])


@pytest.fixture(scope="module")
def layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """4 regions, 5 species (overlapping range parts), 3,000 short lines, lon/lat."""
    rng = np.random.default_rng(3)
    x0, x1, y0, y1 = -600 * KM, 600 * KM, 0.0, 800 * KM
    ptcrs = gpd.GeoDataFrame(
        {"ptcr_id": [1, 2, 3, 4], "name": ["A", "B", "C", "D"]},
        geometry=[_star(rng, rng.uniform(-400, 400) * KM, rng.uniform(150, 650) * KM,
                        rng.uniform(120, 250) * KM, 40) for _ in range(4)],
        crs=CENTRAL_ASIA_EQUAL_AREA).to_crs(WGS84)
    names, geoms = [], []
    for s in range(5):
        cx, cy = rng.uniform(x0, x1), rng.uniform(y0, y1)
        for _ in range(2):
            geoms.append(_star(rng, cx + rng.normal(0, 80 * KM), cy + rng.normal(0, 80 * KM),
                               rng.uniform(250, 500) * KM, 60))
            names.append(f"Species {s}")
    ranges = gpd.GeoDataFrame({"sci_name": names}, geometry=geoms,
                              crs=CENTRAL_ASIA_EQUAL_AREA).to_crs(WGS84)
    n = 3000
    length = np.clip(rng.lognormal(np.log(8 * KM), 0.7, n), 500, 40 * KM)
    start = np.c_[rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)]
    ang = rng.uniform(0, 2 * np.pi, n)
    mid = start + (length / 2)[:, None] * np.c_[np.cos(ang), np.sin(ang)]
    end = mid + (length / 2)[:, None] * np.c_[np.cos(ang + 0.4), np.sin(ang + 0.4)]
    types = rng.choice(["road", "railway", "fence", "border_fence", "pipeline"], n)
    fenced = np.isin(types, ["fence", "border_fence"]) | (rng.random(n) < 0.2)
    infra = gpd.GeoDataFrame({
        "infra_type": types, "fenced": fenced,
        "fence_class": np.where(fenced, rng.choice(["low", "high", "unknown"], n), None),
        "status": rng.choice(["existing", "planned"], n, p=[0.9, 0.1]),
    }, geometry=shapely.linestrings(np.stack([start, mid, end], axis=1)),
        crs=CENTRAL_ASIA_EQUAL_AREA).to_crs(WGS84)
    return ptcrs, ranges, infra


def _assert_same(a: pd.DataFrame, b: pd.DataFrame, *, rtol: float) -> None:
    assert list(b.columns) == list(SCORE_COLUMNS) == list(a.columns)
    assert len(a) == len(b) > 0
    keys = ["ptcr_id", "ptcr_name", "sci_name", "infra_type", "n_features"]
    pd.testing.assert_frame_equal(a[keys], b[keys])
    for col in SCORE_COLUMNS:
        if col not in keys:
            np.testing.assert_allclose(b[col].to_numpy(), a[col].to_numpy(), rtol=rtol,
                                       atol=0, err_msg=col)


def test_scores_on_cluster_equal_in_memory(client, layers) -> None:
    ptcrs, ranges, infra = layers
    plain = score_conflict(ptcrs, ranges, infra, effect_zones_m=False)
    dist = score_conflict_dask(ptcrs, ranges, infra, effect_zones_m=False, scheduler=client,
                               npartitions=5)
    public = score_conflict(ptcrs, ranges, infra, effect_zones_m=False, scheduler=client)
    # same per-(ptcr, species, infra_type) sums; only the summation order differs
    _assert_same(plain, dist, rtol=1e-12)
    _assert_same(plain, public, rtol=1e-12)  # the public function dispatches to Dask
    assert plain["length_km"].sum() > 100  # the test data do overlap


def test_effect_zones_and_status_on_cluster(client, layers) -> None:
    ptcrs, ranges, infra = layers
    kw = {"status": ("existing", "planned"), "weights": {"road": 0.3},
          "effect_zones_m": {"road": 3000.0}}
    plain = score_conflict(ptcrs, ranges, infra, **kw)
    dist = score_conflict_dask(ptcrs, ranges, infra, scheduler="client", npartitions=4, **kw)
    # effect-zone areas: union of buffers per partition, then union of the partition
    # pieces (same GEOS overlay, different order) -> equal to ~1e-15 measured
    _assert_same(plain, dist, rtol=1e-9)
    assert (plain["effect_zone_km2"] > 0).any()
    assert set(plain["infra_type"]) >= {"road", "railway"}


def test_dask_geodataframe_input_local_scheduler(layers) -> None:
    ptcrs, ranges, infra = layers
    parts = partition_spatially(infra, npartitions=3)
    plain = score_conflict(ptcrs, ranges, infra, effect_zones_m=False)
    dist = score_conflict_dask(ptcrs, ranges, parts, effect_zones_m=False,
                               scheduler="threads")
    _assert_same(plain, dist, rtol=1e-12)
    # a Dask frame given to the public function without scheduler= runs on Dask too
    _assert_same(plain, score_conflict(ptcrs, ranges, parts, effect_zones_m=False),
                 rtol=1e-12)


def test_hilbert_partitions_are_spatially_compact(layers) -> None:
    _, _, infra = layers
    parts = partition_spatially(infra.to_crs(CENTRAL_ASIA_EQUAL_AREA), npartitions=4)
    pieces = [parts.get_partition(k).compute() for k in range(4)]
    assert sum(len(p) for p in pieces) == len(infra)
    # each partition's bounding box covers far less than the whole layer's box
    x0, y0, x1, y1 = infra.to_crs(CENTRAL_ASIA_EQUAL_AREA).total_bounds
    whole = (x1 - x0) * (y1 - y0)
    boxes = [np.prod(p.total_bounds[2:] - p.total_bounds[:2]) for p in pieces]
    assert max(boxes) < 0.6 * whole


def test_bad_infrastructure_fails_on_the_client(layers) -> None:
    ptcrs, ranges, infra = layers
    bad = partition_spatially(infra.drop(columns=["infra_type"]), npartitions=2)
    with pytest.raises(SchemaError, match="no 'infra_type' column"):
        score_conflict_dask(ptcrs, ranges, bad, scheduler="synchronous")
    with pytest.raises(CamigeoError, match="scheduler must be one of"):
        score_conflict_dask(ptcrs, ranges, infra, scheduler="gpu")
    with pytest.raises(SchemaError, match="GeoDataFrame or a dask_geopandas"):
        score_conflict_dask(ptcrs, ranges, infra.drop(columns="geometry").iloc[:, :2]
                            .pipe(pd.DataFrame), scheduler="synchronous")


def test_no_overlap_gives_empty_table(layers) -> None:
    ptcrs, ranges, infra = layers
    far = ranges.to_crs(CENTRAL_ASIA_EQUAL_AREA).translate(xoff=5e6).to_crs(WGS84)
    out = score_conflict_dask(ptcrs, ranges.set_geometry(far), infra, scheduler="synchronous",
                              npartitions=2)
    assert len(out) == 0 and list(out.columns) == list(SCORE_COLUMNS)


def test_conflict_grid_on_cluster(client, layers) -> None:
    from camigeo import conflict_grid

    ptcrs, ranges, infra = layers
    plain = conflict_grid(ptcrs, ranges, infra, cell_km=60.0)
    dist = conflict_grid(ptcrs, ranges, infra, cell_km=60.0, scheduler=client)
    assert len(plain) == len(dist) > 20
    for col in ("length_km", "weighted_length_km", "score"):
        np.testing.assert_allclose(dist[col], plain[col], rtol=1e-12, atol=0, err_msg=col)
    assert (plain["length_km"] > 0).sum() > 10
    np.testing.assert_array_equal(dist["species_richness"], plain["species_richness"])
    np.testing.assert_array_equal(dist["class"], plain["class"])
