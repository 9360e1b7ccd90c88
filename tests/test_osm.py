"""Tests for camigeo.read_osm on a PBF the test writes itself with pyosmium."""

from __future__ import annotations

import sys

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, Polygon

import camigeo
from camigeo import CamigeoError, CamigeoWarning, DataNotFoundError, OptionalDependencyError
from camigeo.io.osm import OSM_SOURCE, _to_infrastructure, read_osm

osmium = pytest.importorskip("osmium")
pytest.importorskip("pyrosm")

# way id -> (tags, expected (infra_type, status, fenced, fence_class) or None if dropped)
WAYS: dict[int, tuple[dict[str, str], tuple | None]] = {
    101: ({"railway": "rail", "name": "Trans-Mongolian"}, ("railway", "existing", False, None)),
    102: ({"railway": "narrow_gauge"}, ("railway", "existing", False, None)),
    103: ({"railway": "construction", "construction": "rail"},
          ("railway", "under_construction", False, None)),
    104: ({"railway": "proposed"}, ("railway", "planned", False, None)),
    105: ({"railway": "abandoned"}, None),
    106: ({"railway": "construction", "construction": "tram"}, None),
    107: ({"highway": "primary", "name": "A1"}, ("road", "existing", False, None)),
    108: ({"highway": "motorway_link"}, ("road", "existing", False, None)),
    109: ({"highway": "track"}, ("road", "existing", False, None)),
    110: ({"highway": "residential"}, None),
    111: ({"highway": "construction", "construction": "primary"},
          ("road", "under_construction", False, None)),
    112: ({"highway": "proposed"}, ("road", "planned", False, None)),
    113: ({"barrier": "fence"}, ("fence", "existing", True, "unknown")),
    114: ({"barrier": "wall"}, ("fence", "existing", True, "unknown")),
    115: ({"man_made": "pipeline"}, ("pipeline", "existing", False, None)),
    116: ({"waterway": "canal", "name": "Karakum"}, ("canal", "existing", False, None)),
    117: ({"waterway": "river"}, None),
    118: ({}, None),
}


def way_nodes(way_id: int) -> list[tuple[float, float]]:
    """Two or three nodes per way, each way at its own latitude (105-106 E)."""
    lat = 40.0 + (way_id - 100) * 0.1
    if way_id == 113:  # a closed fence ring
        return [(105.0, lat), (105.05, lat), (105.05, lat + 0.05), (105.0, lat)]
    return [(105.0, lat), (105.5, lat), (106.0, lat + 0.01)]


@pytest.fixture(scope="module")
def pbf(tmp_path_factory):
    path = tmp_path_factory.mktemp("osm") / "test.osm.pbf"
    writer = osmium.SimpleWriter(str(path))
    node_ids: dict[tuple[float, float], int] = {}
    for way_id in WAYS:
        for xy in way_nodes(way_id):
            if xy not in node_ids:
                node_ids[xy] = len(node_ids) + 1
                writer.add_node(osmium.osm.mutable.Node(id=node_ids[xy], location=xy, version=1,
                                                        tags={}))
    for way_id, (tags, _) in WAYS.items():
        refs = [node_ids[xy] for xy in way_nodes(way_id)]
        writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=refs, version=1, tags=tags))
    writer.close()
    return path


def test_tag_mapping(pbf):
    out = read_osm(pbf)
    kept = {k: v[1] for k, v in WAYS.items() if v[1] is not None}
    assert sorted(out["osm_id"]) == sorted(kept)
    for row in out.itertuples():
        infra_type, status, fenced, fence_class = kept[row.osm_id]
        assert (row.infra_type, row.status, row.fenced) == (infra_type, status, fenced)
        assert (row.fence_class if isinstance(row.fence_class, str) else None) == fence_class
        assert row.infra_id == f"osm_w{row.osm_id}"
    assert out.set_index("osm_id").loc[101, "name"] == "Trans-Mongolian"
    assert out.set_index("osm_id").loc[116, "osm_tag"] == "waterway=canal"
    assert (out["source"] == OSM_SOURCE).all()
    assert np.allclose(out["accuracy_km"], 0.01)
    assert out.crs.to_epsg() == 4326
    assert out["fenced"].dtype == bool


def test_geometry_follows_the_nodes(pbf):
    out = read_osm(pbf).set_index("osm_id")
    # OSM stores coordinates in units of 1e-7 degree
    assert np.allclose(out.loc[107, "geometry"].coords, way_nodes(107), rtol=0, atol=1e-7)
    fence = out.loc[113, "geometry"]
    assert fence.geom_type == "LineString"
    assert np.allclose(fence.coords, way_nodes(113), rtol=0, atol=1e-7)


def test_result_passes_infrastructure_validation(pbf):
    out = read_osm(pbf)
    again = camigeo.validate.validate_layer(out, "infrastructure")
    assert len(again) == len(out)


def test_bbox(pbf):
    # lat 40.0 + 0.1 * (id - 100): ids 101..104 lie between 40.1 and 40.41
    out = read_osm(pbf, bbox=(104.9, 40.05, 106.1, 40.45))
    assert sorted(out["osm_id"]) == [101, 102, 103, 104]


def test_bbox_keeps_crossing_ways_whole(pbf):
    out = read_osm(pbf, bbox=(105.4, 40.05, 106.1, 40.15))  # 2 of way 101's 3 nodes
    assert out["osm_id"].tolist() == [101]
    assert np.allclose(out.geometry.iloc[0].coords, way_nodes(101), rtol=0, atol=1e-7)


def test_nothing_found_warns_and_returns_empty(pbf):
    with pytest.warns(CamigeoWarning, match="no railway, road, fence, pipeline or canal ways"):
        out = read_osm(pbf, bbox=(10.0, 10.0, 11.0, 11.0))
    assert len(out) == 0 and "infra_type" in out.columns and out.crs.to_epsg() == 4326


def test_polygons_become_outlines():
    ways = gpd.GeoDataFrame({"id": [5], "barrier": ["fence"]},
                            geometry=[Polygon([(0, 0), (1, 0), (1, 1), (0, 0)])], crs=4326)
    out = _to_infrastructure(ways)
    assert out.geometry.iloc[0].equals(LineString([(0, 0), (1, 0), (1, 1), (0, 0)]))


@pytest.mark.parametrize("bbox", [(1, 2, 3), (106, 40, 105, 41), (0, 0, 200, 10), "east"])
def test_bad_bbox(pbf, bbox):
    with pytest.raises(CamigeoError, match=r"bbox=.*expected \(min_lon, min_lat, max_lon, "
                                           r"max_lat\)"):
        read_osm(pbf, bbox=bbox)


def test_missing_file(tmp_path):
    with pytest.raises(DataNotFoundError, match=r"none\.osm\.pbf: OSM PBF file not found"):
        read_osm(tmp_path / "none.osm.pbf")


def test_not_a_pbf(tmp_path):
    path = tmp_path / "fake.osm.pbf"
    path.write_bytes(b"garbage, not protobuf")
    with pytest.raises(CamigeoError, match=r"fake\.osm\.pbf: pyrosm could not read it as an OSM "
                                           r"PBF"):
        read_osm(path)


def test_pyrosm_missing(pbf, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyrosm", None)
    with pytest.raises(OptionalDependencyError, match=r"'pyrosm' is needed for read_osm.*"
                                                      r"pip install 'camigeo\[osm\]'"):
        read_osm(pbf)


def test_top_level_export():
    assert camigeo.read_osm is read_osm
