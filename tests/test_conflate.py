"""Tests for camigeo.conflate_lines (schematic lines routed through a detailed layer)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from camigeo import CamigeoError, CRSError, GeometryError, SchemaError, conflate_lines

GEOD = Geod(ellps="WGS84")

#: a winding track from (106.0, 47.0) to (106.0, 48.0): 10 legs zig-zagging 0.05 deg
TRACK = [(106.0 + (0.05 if k % 2 else 0.0), 47.0 + 0.1 * k) for k in range(11)]
SPUR = [TRACK[5], (106.3, 47.5), (106.3, 47.9)]  # a dead-end branch off the 6th vertex


def geod_km(coords) -> float:
    """Geodesic length of a lon/lat vertex list (independent of camigeo)."""
    lon, lat = np.asarray(coords).T
    return GEOD.line_length(lon, lat) / 1000.0


def schematic(*geoms, infra_type="railway"):
    return gpd.GeoDataFrame({"infra_id": [f"L{i}" for i in range(len(geoms))],
                             "infra_type": infra_type, "source": "station list",
                             "accuracy_km": 10.0}, geometry=list(geoms), crs="EPSG:4326")


def reference(lines, types=None, source="OSM", accuracy_km=0.01):
    types = types or ["railway"] * len(lines)
    return gpd.GeoDataFrame({"infra_type": types, "source": source, "accuracy_km": accuracy_km},
                            geometry=[shapely.LineString(c) for c in lines], crs="EPSG:4326")


STRAIGHT = shapely.LineString([(106.0, 47.0), (106.0, 48.0)])


def test_route_follows_the_winding_track_and_skips_the_spur():
    lines = schematic(STRAIGHT)
    out = conflate_lines(lines, reference([TRACK, SPUR]))
    got = shapely.get_coordinates(out.geometry.iloc[0])
    np.testing.assert_allclose(got, np.array(TRACK), atol=1e-9)
    # the winding track is longer than the straight chord by hand: each leg is
    # hypot(0.1 deg lat = 11.12 km, 0.05 deg lon * cos(47.5 deg) = 3.757 km) = 11.74 km
    # against 11.12 km, a ratio of 1.0556
    assert geod_km(got) == pytest.approx(geod_km(TRACK), rel=1e-9)
    ratio = geod_km(got) / geod_km([(106.0, 47.0), (106.0, 48.0)])
    assert ratio == pytest.approx(np.hypot(1.0, 0.5 * np.cos(np.radians(47.5))), rel=2e-3)
    row = out.iloc[0]
    assert row["geometry_source"] == "reference" and row["conflate_note"] == ""
    assert row["source"] == "geometry: OSM; attributes: station list"
    assert row["accuracy_km"] == 0.01
    # input untouched
    assert lines.geometry.iloc[0].equals(STRAIGHT) and "geometry_source" not in lines


def test_match_type_keeps_roads_out_of_a_railway_route():
    road = [(106.0, 47.0), (106.0, 48.0)]  # shorter, but a road
    ref = reference([TRACK, road], types=["railway", "road"])
    rail = conflate_lines(schematic(STRAIGHT), ref)
    np.testing.assert_allclose(shapely.get_coordinates(rail.geometry.iloc[0]), TRACK)
    anything = conflate_lines(schematic(STRAIGHT), ref, match_on=None)
    np.testing.assert_allclose(shapely.get_coordinates(anything.geometry.iloc[0]), road)


def test_match_on_status_keeps_a_planned_line_off_an_existing_track():
    lines = schematic(STRAIGHT).assign(status="planned")
    ref = reference([TRACK]).assign(status="existing")
    out = conflate_lines(lines, ref, match_on=["infra_type", "status"])
    assert out["geometry_source"].iloc[0] == "schematic"
    assert out["conflate_note"].iloc[0] == "no reference line of this type inside the corridor"
    same = conflate_lines(lines.assign(status="existing"), ref,
                          match_on=("infra_type", "status"))
    assert same["geometry_source"].iloc[0] == "reference"


def test_digitising_gap_is_bridged_within_snap_m_only():
    # split the track at vertex 5 and move the second half 0.0003 deg east (~23 m at 47.5 N)
    first = TRACK[:6]
    second = [(x + 0.0003, y) for x, y in TRACK[5:]]
    gap_km = geod_km([TRACK[5], second[0]])
    assert 0.020 < gap_km < 0.025
    ref = reference([first, second])
    out = conflate_lines(schematic(STRAIGHT), ref, snap_m=50)
    assert out["geometry_source"].iloc[0] == "reference"
    want = geod_km(first) + gap_km + geod_km(second)
    assert geod_km(shapely.get_coordinates(out.geometry.iloc[0])) == pytest.approx(want, rel=1e-9)
    kept = conflate_lines(schematic(STRAIGHT), ref, snap_m=10)
    assert kept["geometry_source"].iloc[0] == "schematic"
    assert "no connected route" in kept["conflate_note"].iloc[0]
    assert "snap_m=10 m" in kept["conflate_note"].iloc[0]
    assert kept.geometry.iloc[0].equals(STRAIGHT)
    assert kept["source"].iloc[0] == "station list" and kept["accuracy_km"].iloc[0] == 10.0


def test_ways_drawn_twice_count_once():
    out = conflate_lines(schematic(STRAIGHT), reference([TRACK, TRACK[::-1]]))
    assert geod_km(shapely.get_coordinates(out.geometry.iloc[0])) == pytest.approx(
        geod_km(TRACK), rel=1e-9)


def test_reference_outside_the_corridor_keeps_the_schematic_line():
    far = [(x + 1.0, y) for x, y in TRACK]  # ~75 km east
    out = conflate_lines(schematic(STRAIGHT), reference([far]), corridor_m=20_000)
    assert out["geometry_source"].iloc[0] == "schematic"
    assert out["conflate_note"].iloc[0] == "no reference line of this type inside the corridor"
    wide = conflate_lines(schematic(STRAIGHT), reference([far]), corridor_m=120_000)
    assert wide["geometry_source"].iloc[0] == "reference"


def test_reference_that_stops_short():
    # the track ends at 47.9 N (~11 km before the schematic end): within a 20 km corridor
    # the route ends there; with a 5 km corridor the end is out of reach
    short = TRACK[:10]
    out = conflate_lines(schematic(STRAIGHT), reference([short]), corridor_m=20_000)
    np.testing.assert_allclose(shapely.get_coordinates(out.geometry.iloc[0]), short)
    kept = conflate_lines(schematic(STRAIGHT), reference([short]), corridor_m=5_000)
    gap = geod_km([(106.0, 48.0), TRACK[9]])
    assert kept["conflate_note"].iloc[0] == (
        f"the reference comes no closer than {gap:.1f} km to the line's end")


def test_multilinestring_parts_are_routed_separately():
    south = [(106.0, 47.0), (106.0, 47.5)]
    north = [(106.0, 47.5), (106.0, 48.0)]
    multi = shapely.MultiLineString([south, north])
    out = conflate_lines(schematic(multi), reference([TRACK]))
    geom = out.geometry.iloc[0]
    assert geom.geom_type == "MultiLineString"
    a, b = (shapely.get_coordinates(g) for g in geom.geoms)
    np.testing.assert_allclose(a, TRACK[:6])
    np.testing.assert_allclose(b, TRACK[5:])


def test_projected_inputs_and_explicit_provenance():
    lines = schematic(STRAIGHT).to_crs("EPSG:32648")
    ref = reference([TRACK]).drop(columns=["source", "accuracy_km"]).to_crs("EPSG:3857")
    out = conflate_lines(lines, ref, reference_source="national railway layer 2025",
                         reference_accuracy_km=0.005)
    assert out.crs == lines.crs
    back = out.to_crs("EPSG:4326")
    np.testing.assert_allclose(shapely.get_coordinates(back.geometry.iloc[0]), TRACK,
                               atol=1e-7)
    assert out["source"].iloc[0] == "geometry: national railway layer 2025; attributes: " \
        "station list"
    assert out["accuracy_km"].iloc[0] == 0.005


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"corridor_m": 0}, r"corridor_m must be a finite number > 0 \(metres\); got 0"),
    ({"corridor_m": -5.0}, r"corridor_m must be a finite number > 0"),
    ({"corridor_m": True}, r"corridor_m must be a finite number > 0 \(metres\); got True"),
    ({"snap_m": -1}, r"snap_m must be a finite number >= 0 \(metres\); got -1"),
    ({"snap_m": float("nan")}, r"snap_m must be a finite number >= 0"),
    ({"reference_accuracy_km": -0.1}, r"reference_accuracy_km must be a finite number >= 0"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(CamigeoError, match=match):
        conflate_lines(schematic(STRAIGHT), reference([TRACK]), **kwargs)


def test_bad_layers():
    ok_ref = reference([TRACK])
    with pytest.raises(CamigeoError, match="lines must be a GeoDataFrame of lines; got list"):
        conflate_lines([STRAIGHT], ok_ref)
    poly = schematic(STRAIGHT.buffer(0.01))
    with pytest.raises(GeometryError, match=r"lines must hold LineString/MultiLineString "
                                            r"geometries; got \['Polygon'\]"):
        conflate_lines(poly, ok_ref)
    no_crs = reference([TRACK]).set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="reference"):
        conflate_lines(schematic(STRAIGHT), no_crs)
    with pytest.raises(SchemaError, match=r"reference has no \['infra_type'\] column\(s\), "
                                          r"which match_on='infra_type' needs"):
        conflate_lines(schematic(STRAIGHT), ok_ref.drop(columns="infra_type"))
    with pytest.raises(SchemaError, match=r"lines has no \['status'\] column\(s\)"):
        conflate_lines(schematic(STRAIGHT), ok_ref, match_on=["infra_type", "status"])
    with pytest.raises(CamigeoError, match=r"reference has no 'source' column; pass "
                                           r"reference_source="):
        conflate_lines(schematic(STRAIGHT), ok_ref.drop(columns="source"))
    with pytest.raises(CamigeoError, match=r"reference has no 'accuracy_km' column; pass "
                                           r"reference_accuracy_km="):
        conflate_lines(schematic(STRAIGHT), ok_ref.drop(columns="accuracy_km"))


def test_a_line_is_not_snapped_onto_its_own_bends():
    # a loop: the track leaves its start eastwards, comes back 44 m north of it and then
    # runs north; snapping the start to that later vertex of the same way would cut the
    # 3 km loop out of the route
    loop = [(106.0, 47.0), (106.02, 47.0), (106.02, 47.0004), (106.0, 47.0004), (106.0, 47.5)]
    assert geod_km(loop[0:4:3]) < 0.05
    out = conflate_lines(schematic(shapely.LineString([(106.0, 47.0), (106.0, 47.5)])),
                         reference([loop]), snap_m=50)
    np.testing.assert_allclose(shapely.get_coordinates(out.geometry.iloc[0]), loop)


def test_missing_and_closed_lines_keep_their_geometry_with_a_reason():
    ring = shapely.LineString([(106.0, 47.0), (106.02, 47.1), (106.0, 47.0)])
    lines = schematic(STRAIGHT, ring)
    lines.loc[len(lines)] = {"infra_id": "L2", "infra_type": "railway", "source": "x",
                             "accuracy_km": 1.0, "geometry": None}
    out = conflate_lines(lines, reference([TRACK]))
    assert out["geometry_source"].tolist() == ["reference", "schematic", "schematic"]
    assert out["conflate_note"].tolist()[1:] == [
        "both ends snap to the same reference vertex", "empty geometry"]
    assert out.geometry.iloc[1].equals(ring) and out.geometry.iloc[2] is None


# --------------------------------------------------------------------------- invariants
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(-0.05, 0.05), st.floats(0.005, 0.05)), min_size=2,
                max_size=25),
       st.lists(st.integers(1, 23), max_size=4), st.booleans())
def test_a_way_cut_into_pieces_is_routed_back_whole(steps, cuts, reverse_pieces):
    # a random walk northwards (so no vertex repeats), cut into ways at shared vertices,
    # some drawn backwards: the route from its first to its last vertex is the whole walk
    xy = np.cumsum(np.array([(106.0, 47.0), *steps]), axis=0)
    walk = [tuple(p) for p in xy]
    at = sorted({c for c in cuts if 0 < c < len(walk) - 1})
    bounds = [0, *at, len(walk) - 1]
    pieces = [walk[a:b + 1] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    if reverse_pieces:
        pieces = [p[::-1] if k % 2 else p for k, p in enumerate(pieces)]
    line = shapely.LineString([walk[0], walk[-1]])
    out = conflate_lines(schematic(line), reference(pieces), corridor_m=200_000, snap_m=0)
    np.testing.assert_allclose(shapely.get_coordinates(out.geometry.iloc[0]), walk,
                               atol=1e-9)


def test_conflate_osm_reads_the_extract_near_the_lines(tmp_path):
    pytest.importorskip("osmium")
    pytest.importorskip("pyrosm")
    from conftest import write_pbf

    from camigeo import DataNotFoundError, conflate_osm

    far = [(x + 5.0, y) for x, y in TRACK]  # ~380 km east: outside the read box
    pbf = write_pbf(tmp_path / "t.osm.pbf", [(TRACK, {"railway": "rail"}),
                                             (far, {"railway": "rail"})])
    lines = schematic(STRAIGHT).assign(status="existing")
    lines.loc[1] = {"infra_id": "P", "infra_type": "railway", "status": "planned",
                    "source": "plan", "accuracy_km": 5.0, "geometry": STRAIGHT}
    out = conflate_osm(lines, pbf)
    np.testing.assert_allclose(shapely.get_coordinates(out.geometry.iloc[0]), TRACK,
                               atol=1e-7)
    assert out["source"].iloc[0] == ("geometry: OpenStreetMap contributors (ODbL); "
                                     "attributes: station list")
    assert out["accuracy_km"].iloc[0] == 0.01
    # the planned line is kept off the existing track (match on type and status)
    assert out["geometry_source"].tolist() == ["reference", "schematic"]
    with pytest.raises(DataNotFoundError, match="OSM PBF file not found"):
        conflate_osm(lines, tmp_path / "missing.osm.pbf")
    with pytest.raises(CamigeoError, match="corridor_m must be a finite number > 0"):
        conflate_osm(lines, pbf, corridor_m=0)


def test_provenance_comes_from_the_ways_on_the_route_only():
    # the spur touches the route but is not on it: its source and its coarse accuracy
    # must not be stamped on the routed line
    ref = gpd.GeoDataFrame({"infra_type": ["railway", "railway"],
                            "source": ["OSM", "spur survey"], "accuracy_km": [0.01, 0.5]},
                           geometry=[shapely.LineString(TRACK), shapely.LineString(SPUR)],
                           crs="EPSG:4326")
    out = conflate_lines(schematic(STRAIGHT), ref)
    assert out["source"].iloc[0] == "geometry: OSM; attributes: station list"
    assert out["accuracy_km"].iloc[0] == 0.01
    # a gap joined by snapping belongs to no way: both ways on either side count
    halves = gpd.GeoDataFrame({"infra_type": ["railway", "railway"], "source": ["A", "B"],
                               "accuracy_km": [0.01, 0.02]}, crs="EPSG:4326",
                              geometry=[shapely.LineString(TRACK[:6]),
                                        shapely.LineString([(x + 0.0003, y)
                                                            for x, y in TRACK[5:]])])
    both = conflate_lines(schematic(STRAIGHT), halves, snap_m=50)
    assert both["source"].iloc[0] == "geometry: A; B; attributes: station list"
    assert both["accuracy_km"].iloc[0] == 0.02
