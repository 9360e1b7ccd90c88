"""corridor_links, normalized_corridors and barrier_improvement on hand grids."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from camigeo import CamigeoError, CRSError, Raster, SchemaError
from camigeo.corridors import (
    LINK_COLUMNS,
    barrier_improvement,
    corridor_links,
    cost_distance,
    normalized_corridors,
)

UTM = "EPSG:32642"


def grid(arr, cellsize=10.0):
    return Raster.from_array(np.asarray(arr, dtype=float), cellsize=cellsize, crs=UTM)


def three_cores():
    # 5 rows x 11 cols of 10 m; cores fill columns 0, 5 and 10
    geoms = [shapely.box(0, 0, 10, 50), shapely.box(50, 0, 60, 50), shapely.box(100, 0, 110, 50)]
    return gpd.GeoDataFrame({"core_id": [1, 3, 2]}, geometry=geoms, crs=UTM)


def test_link_table_hand_values():
    links = corridor_links(three_cores(), grid(np.ones((5, 11))))
    assert list(links.columns) == [*LINK_COLUMNS, "geometry"]
    got = {(a, b) for a, b in zip(links.core_a, links.core_b, strict=True)}
    assert got == {(1, 3), (3, 2)}  # 1-2 passes through core 3: dropped
    row = links.set_index(["core_a", "core_b"]).loc[(1, 3)]
    assert row.cw_dist == pytest.approx(50.0)  # 5 unit steps of 10 m
    assert row.euc_dist_km == pytest.approx(0.04)  # edge to edge 40 m
    assert row.lcp_length_km == pytest.approx(0.05)  # centre to centre through 6 cells
    assert row.cwd_to_euc == pytest.approx(50 / 40)
    assert row.cwd_to_path == pytest.approx(1.0)
    line = row.geometry
    xy = shapely.get_coordinates(line)
    assert xy[0][0] == 5.0 and xy[-1][0] == 55.0


def test_keep_through_cores_and_filters():
    cores, r = three_cores(), grid(np.ones((5, 11)))
    links = corridor_links(cores, r, drop_through_cores=False)
    assert len(links) == 3
    ab = links[(links.core_a == 1) & (links.core_b == 2)].iloc[0]
    assert ab.cw_dist == pytest.approx(100.0) and ab.euc_dist_km == pytest.approx(0.09)
    near = corridor_links(cores, r, drop_through_cores=False, max_euc_dist_km=0.05)
    assert len(near) == 2 and not ((near.core_a == 1) & (near.core_b == 2)).any()
    far = corridor_links(cores, r, drop_through_cores=False, min_euc_dist_km=0.05)
    assert list(zip(far.core_a, far.core_b, strict=True)) == [(1, 2)]
    cheap = corridor_links(cores, r, drop_through_cores=False, max_cw_dist=60)
    assert len(cheap) == 2
    # min_cw_dist (Linkage Mapper minimum CWD): only 1-2 (cw 100) is >= 60
    long_ = corridor_links(cores, r, drop_through_cores=False, min_cw_dist=60)
    assert list(zip(long_.core_a, long_.core_b, strict=True)) == [(1, 2)]
    assert long_.cw_dist.iloc[0] == pytest.approx(100.0)
    none = corridor_links(cores, r, max_euc_dist_km=0.01)
    assert len(none) == 0 and list(none.columns) == [*LINK_COLUMNS, "geometry"]


def test_cw_dist_trapezoid_and_matches_cost_distance():
    # 1-row grid: resistance 1 3 5 3 1, cores at both ends
    r = grid([[1, 3, 5, 3, 1]])
    cores = gpd.GeoDataFrame({"core_id": ["a", "b"]},
                             geometry=[shapely.box(0, 0, 10, 10), shapely.box(40, 0, 50, 10)],
                             crs=UTM)
    links = corridor_links(cores, r)
    assert links.cw_dist.iloc[0] == pytest.approx(20 + 40 + 40 + 20)
    # random raster: cw_dist = min of cost_distance from A over B's cells
    rng = np.random.default_rng(5)
    a = rng.uniform(1, 30, (30, 40))
    r2 = grid(a)
    cores2 = gpd.GeoDataFrame({"core_id": [10, 20, 30]}, geometry=[
        shapely.box(0, 200, 50, 300), shapely.box(300, 0, 400, 60),
        shapely.box(250, 230, 300, 300)], crs=UTM)
    links2 = corridor_links(cores2, r2, drop_through_cores=False)
    for _, row in links2.iterrows():
        ca = cores2[cores2.core_id == row.core_a]
        cb = cores2[cores2.core_id == row.core_b]
        d = cost_distance(r2, ca).array
        from rasterio.features import rasterize
        mb = rasterize([(cb.geometry.iloc[0], 1)], out_shape=r2.shape,
                       transform=r2.transform).astype(bool)
        assert row.cw_dist == pytest.approx(np.nanmin(d[mb]), rel=1e-12)
        xy = shapely.get_coordinates(row.geometry)
        assert ca.geometry.iloc[0].contains(shapely.Point(xy[0]))
        assert cb.geometry.iloc[0].contains(shapely.Point(xy[-1]))


def test_links_bad_inputs():
    r = grid(np.ones((5, 11)))
    cores = three_cores()
    with pytest.raises(SchemaError, match="no 'core_id' column"):
        corridor_links(cores.rename(columns={"core_id": "pid"}), r)
    assert len(corridor_links(cores.rename(columns={"core_id": "pid"}), r, id_col="pid")) == 2
    with pytest.raises(SchemaError, match="duplicate"):
        corridor_links(cores.assign(core_id=[1, 1, 2]), r)
    with pytest.raises(CRSError, match="Reproject"):
        corridor_links(cores.to_crs("EPSG:32643"), r)
    with pytest.raises(CamigeoError, match="Polygons"):
        corridor_links(cores.assign(geometry=cores.centroid), r)
    with pytest.raises(CamigeoError, match="outside"):
        corridor_links(cores.assign(geometry=cores.translate(1e6)), r)


def test_nlcc_identity_and_truncation():
    rng = np.random.default_rng(11)
    a = rng.uniform(1, 20, (25, 30))
    r = grid(a)
    cores = gpd.GeoDataFrame({"core_id": [1, 2]}, geometry=[
        shapely.box(0, 0, 40, 60), shapely.box(250, 180, 300, 250)], crs=UTM)
    links = corridor_links(cores, r)
    nl = normalized_corridors(cores, r, links).array
    assert np.nanmin(nl) >= -1e-9 * links.cw_dist.iloc[0]
    xy = shapely.get_coordinates(links.geometry.iloc[0])
    rows, cols = r.rowcol(xy[:, 0], xy[:, 1])
    np.testing.assert_allclose(nl[rows, cols], 0.0, atol=1e-9 * links.cw_dist.iloc[0])
    # NLCC from two independent cost-distance runs
    da = cost_distance(r, cores.iloc[[0]]).array
    db = cost_distance(r, cores.iloc[[1]]).array
    np.testing.assert_allclose(nl, da + db - links.cw_dist.iloc[0], rtol=1e-12, atol=1e-9)
    slack = 200.0
    cut = normalized_corridors(cores, r, links, cost_slack=slack).array
    assert np.all(np.isnan(cut[nl > slack])) and np.array_equal(cut[nl <= slack],
                                                                 nl[nl <= slack])


def test_nlcc_mosaic_is_min_over_links():
    cores, r = three_cores(), grid(np.random.default_rng(2).uniform(1, 5, (5, 11)))
    links = corridor_links(cores, r, drop_through_cores=False)
    nl = normalized_corridors(cores, r, links).array
    d = [cost_distance(r, cores.iloc[[k]]).array for k in range(3)]
    per = []
    for k, (i, j) in enumerate([(0, 1), (0, 2), (1, 2)]):
        lcd = links.cw_dist.iloc[k]
        per.append(d[i] + d[j] - lcd)
    np.testing.assert_allclose(nl, np.min(per, axis=0), rtol=1e-12, atol=1e-9)
    with pytest.raises(CamigeoError, match="cost_slack"):
        normalized_corridors(cores, r, cost_slack=-1)
    with pytest.raises(CamigeoError, match="not in cores"):
        normalized_corridors(cores, r, links.assign(core_a=99))


def wall_case():
    a = np.ones((3, 7))
    a[:, 3] = 101.0
    cores = gpd.GeoDataFrame({"core_id": [1, 2]}, geometry=[
        shapely.box(0, 0, 10, 30), shapely.box(60, 0, 70, 30)], crs=UTM)
    return cores, grid(a)


def test_barrier_improvement_known_wall():
    cores, r = wall_case()
    # LCD = 4 unit steps (40) + 2 steps onto/off the wall (1+101)/2*10 = 1060
    assert corridor_links(cores, r).cw_dist.iloc[0] == pytest.approx(1060.0)
    s10 = barrier_improvement(cores, r, radii_m=[10]).array
    # centre on the wall: mA = CWD_A(col 2) = 20, mB = 20 -> 1060 - 40 - 20 = 1000 -> /20
    assert s10[1, 3] == pytest.approx(50.0)
    # one cell west: mA = 10, mB = CWD_B(col 3) = 20 + 510 -> 1060 - 540 - 20 = 500 -> /20
    assert s10[1, 2] == pytest.approx(25.0)
    assert s10[1, 0] == 0.0  # no gain at the core
    pct = barrier_improvement(cores, r, radii_m=[10], form="percent").array
    assert pct[1, 3] == pytest.approx(100 * 1000 / 1060)
    ab = barrier_improvement(cores, r, radii_m=[10], form="absolute").array
    assert ab[1, 3] == pytest.approx(1000.0)
    # R = 20: mA = mB = 10, 1060 - 20 - 40 = 1000 -> /40 = 25; max over radii keeps 50
    s20 = barrier_improvement(cores, r, radii_m=[20]).array
    assert s20[1, 3] == pytest.approx(25.0)
    both = barrier_improvement(cores, r, radii_m=[10, 20]).array
    assert both[1, 3] == pytest.approx(50.0)
    assert barrier_improvement(cores, r, radii_m=[10, 20], form="percent").array[1, 3] == \
        pytest.approx(100 * 1000 / 1060)


def test_barrier_improvement_bad_inputs():
    cores, r = wall_case()
    with pytest.raises(CamigeoError, match="form must be"):
        barrier_improvement(cores, r, form="ratio")
    with pytest.raises(CamigeoError, match="radii_m must be >= one cell"):
        barrier_improvement(cores, r, radii_m=[5])
    with pytest.raises(CamigeoError, match="radii_m must be a list of window radii"):
        barrier_improvement(cores, r, radii_m="10")


def test_links_geodesic_lonlat_and_progress():
    from affine import Affine

    from camigeo.crs import GEOD

    a = np.random.default_rng(4).uniform(1, 4, (6, 10))
    r = Raster(a, Affine(0.1, 0, 60.0, 0, -0.1, 45.0), "EPSG:4326")
    cores = gpd.GeoDataFrame({"core_id": [1, 2]}, geometry=[
        shapely.box(60.0, 44.4, 60.2, 45.0), shapely.box(60.8, 44.4, 61.0, 45.0)],
        crs="EPSG:4326")
    links = corridor_links(cores, r, geodesic=True, progress=True)
    d = cost_distance(r, cores.iloc[[0]], geodesic=True).array
    assert links.cw_dist.iloc[0] == pytest.approx(np.nanmin(d[:, 8:]), rel=1e-12)
    # edge to edge: the 0.6 degree gap along a parallel, geodesic
    lat = float(shapely.get_coordinates(shapely.shortest_line(
        cores.geometry.iloc[0], cores.geometry.iloc[1]))[0][1])
    _, _, gap = GEOD.inv(60.2, lat, 60.8, lat)
    assert links.euc_dist_km.iloc[0] == pytest.approx(gap / 1000, rel=1e-9)
    with pytest.raises(CRSError, match="geodesic=True"):
        corridor_links(cores, r)


def test_links_bad_filters_and_bad_links_table():
    cores, r = three_cores(), grid(np.ones((5, 11)))
    with pytest.raises(CamigeoError, match="max_cw_dist must be a number >= 0"):
        corridor_links(cores, r, max_cw_dist=-1)
    with pytest.raises(CamigeoError, match="max_euc_dist_km must be a number >= 0"):
        corridor_links(cores, r, max_euc_dist_km=float("nan"))
    with pytest.raises(CamigeoError, match="min_euc_dist_km must be a number >= 0"):
        corridor_links(cores, r, min_euc_dist_km="5")
    with pytest.raises(CamigeoError, match=r"min_euc_dist_km \(2\) is larger than"):
        corridor_links(cores, r, min_euc_dist_km=2, max_euc_dist_km=1)
    with pytest.raises(CamigeoError, match="min_cw_dist must be a number >= 0"):
        corridor_links(cores, r, min_cw_dist=-1.0)
    with pytest.raises(CamigeoError, match=r"min_cw_dist \(70\) is larger than max_cw_dist"):
        corridor_links(cores, r, min_cw_dist=70, max_cw_dist=60)
    with pytest.raises(CamigeoError, match="links must be the link table"):
        normalized_corridors(cores, r, links=5)
    with pytest.raises(CamigeoError, match="links must be the link table"):
        barrier_improvement(cores, r, links=[(1, 3)], radii_m=[10])


def test_docs_end_to_end_example():
    """Run the end-to-end example of docs/corridors.md and check the numbers it states."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "corridors.md").read_text()
    block = text.split("## End-to-end example (runnable)")[1].split("```python\n")[1]
    ns: dict = {}
    exec(compile(block.split("```")[0], "docs/corridors.md", "exec"), ns)  # noqa: S102
    links = ns["links"]
    assert len(links) == 1
    # 49 steps of 250 m: 47 between unit cells + 2 onto/off a 1000 fence cell
    assert links.cw_dist.iloc[0] == pytest.approx(47 * 250 + 2 * (1 + 1000) / 2 * 250)
    assert links.lcp_length_km.iloc[0] == pytest.approx(49 * 0.25)
    assert links.euc_dist_km.iloc[0] == pytest.approx(12.0)
    assert np.nanmax(ns["gain"].array) == pytest.approx(100 * (262_000 - 12_250) / 262_000)
    top = ns["ranked"].head(3)
    assert top["delta_cw_dist_sum"].tolist() == pytest.approx([262_000 - 12_250] * 3)
    assert sorted(top["along_km"]) == pytest.approx([3.0, 5.0, 7.0])


def test_min_cw_dist_on_the_dask_path():
    pytest.importorskip("dask")
    cores, r = three_cores(), grid(np.ones((5, 11)))
    out = corridor_links(cores, r, drop_through_cores=False, min_cw_dist=60,
                         scheduler="synchronous")
    assert list(zip(out.core_a, out.core_b, strict=True)) == [(1, 2)]
