"""The Work Programmes' activities: registry, id resolution, every activity on the bundled
data, and each recipe family on a small synthetic case checked by hand."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from conftest import REPO, SHARED
from pyproj import Geod
from typer.testing import CliRunner

from camigeo import CamigeoError, activities
from camigeo.activities import ActivityDataError, registry
from camigeo.activities import recipes as R
from camigeo.activities._common import Layers

GEOD = Geod(ellps="WGS84")
WGS84 = "EPSG:4326"
REQUIRED = ["WP 3.5", "WP 5.1", "WP 5.6", "WP 5.7", "WP 14.6", "WP 15.2", "WP 15.3",
            "WP 16.9", "WP 18.4", "WP 19.2", "WP 20.3", "WP 21.3", "WP 21.4", "WP 21.5",
            "WP 22.4", "WP 22.13", "BD 2.1", "BD 3.1", "BD 4.2", "BD 6.4", "BD 7.4"]


def geo_km(coords: list[tuple[float, float]]) -> float:
    return GEOD.geometry_length(shapely.LineString(coords)) / 1000.0


# ------------------------------------------------------------------------------ registry
def test_registry_has_the_required_activities_with_citations() -> None:
    reg = activities.list_activities()
    assert list(reg.columns) == list(registry.ACTIVITY_COLUMNS)
    assert set(REQUIRED) <= set(reg["activity_id"])
    assert reg["activity_id"].is_unique
    assert set(reg["recipe"]) <= set(R.RECIPES)
    assert (reg["quote"].str.len().between(20, 200)).all()
    assert (reg["seed_line"] > 0).all()
    assert set(reg["seed_file"]) == {"000_7476e8aba978c2aa.txt", "003_8b0bd1bf03a7167e.txt"}
    for _, r in reg.iterrows():
        json.loads(r["params_json"])  # valid JSON
        assert r["assumptions"]
        assert (r["ptcr"] != "") == (r["document"] == "WP" and float(r["number"]) >= 12)
        assert (r["population_unit"] != "") == (r["document"] == "BD")


def test_places_are_located_with_accuracy_and_source() -> None:
    reg, places = activities.list_activities(), activities.load_places()
    assert places["place"].is_unique
    named = {p.strip() for v in reg["places"] for p in v.split(";") if p.strip()}
    assert named <= set(places["place"])
    assert places["lon"].between(44, 125).all() and places["lat"].between(24, 56).all()
    assert (places["accuracy_km"] > 0).all() and places["source"].str.len().gt(5).all()


def test_manifest_checksums_and_counts() -> None:
    import hashlib

    import pyogrio

    root = registry.activities_dir()
    manifest = json.loads((root / "MANIFEST.json").read_text(encoding="utf-8"))
    assert manifest["crs"] == "EPSG:4326" and manifest["build_date"]
    assert {s["file"] for s in manifest["sources"]} >= {
        "seeds/000_7476e8aba978c2aa.txt", "seeds/003_8b0bd1bf03a7167e.txt"}
    for rec in manifest["files"]:
        path = root / rec["file"]
        assert rec["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), path
        assert rec["size_bytes"] == path.stat().st_size
        for layer, meta in rec.get("layers", {}).items():
            assert pyogrio.read_info(path, layer=layer)["features"] == meta["features"]
            g = pyogrio.read_dataframe(path, layer=layer)
            assert g.crs.to_epsg() == 4326 and g["source"].notna().all()
            assert (g["accuracy_km"] > 0).all()
        if "rows" in rec:
            assert len(pd.read_csv(path)) == rec["rows"]
    assert (root / "README.md").is_file()


def test_id_resolution_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    assert activities.resolve_activity_id("7.4") == "BD 7.4"
    assert activities.resolve_activity_id("bd7.4") == "BD 7.4"
    assert activities.resolve_activity_id(" WP 22.13 ") == "WP 22.13"
    with pytest.raises(CamigeoError, match="not a registered spatial activity"):
        activities.resolve_activity_id("WP 7.4")  # anti-poaching (SMART): not spatial
    with pytest.raises(CamigeoError, match="not understood"):
        activities.resolve_activity_id("seven")
    reg = activities.list_activities()
    extra = reg[reg["activity_id"] == "WP 3.5"].assign(activity_id="BD 3.5", document="BD")
    monkeypatch.setattr(registry, "list_activities",
                        lambda: pd.concat([reg, extra], ignore_index=True))
    with pytest.raises(CamigeoError, match="ambiguous.*WP 3.5, BD 3.5"):
        registry.resolve_activity_id("3.5")
    assert registry.resolve_activity_id("BD 3.5") == "BD 3.5"


@pytest.mark.reference
def test_quotations_are_on_the_cited_seed_lines() -> None:
    seeds = SHARED / "seeds"
    if not seeds.is_dir():
        pytest.skip(f"seeds not found at {seeds} (set CAMIGEO_SHARED)")
    reg = activities.list_activities()
    for _, r in reg.iterrows():
        lines = (seeds / r["seed_file"]).read_text(encoding="utf-8").splitlines()
        line = lines[r["seed_line"] - 1]
        assert line.startswith(r["number"] + "\t"), (r["activity_id"], line[:40])
        assert r["quote"] in line, r["activity_id"]


@pytest.mark.reference
def test_registry_script_rebuilds_the_same_tables(tmp_path: Path) -> None:
    if not (SHARED / "seeds").is_dir():
        pytest.skip("seeds not found (set CAMIGEO_SHARED)")
    env = {**os.environ, "CAMIGEO_BUILD_DATA_DIR": str(tmp_path), "CAMIGEO_SHARED": str(SHARED)}
    subprocess.run([sys.executable, str(REPO / "scripts" / "data_activities.py")], env=env,
                   check=True, capture_output=True)
    for f in ("activities.csv", "places.csv"):
        assert (tmp_path / "activities" / f).read_bytes() == \
            (REPO / "data" / "activities" / f).read_bytes(), f


# ------------------------------------------------------- every activity on bundled data
@pytest.fixture(scope="module")
def bundled() -> Layers:
    return Layers({})


@pytest.mark.parametrize("aid", REQUIRED)
def test_every_activity_runs_or_names_the_data_it_needs(aid: str, bundled: Layers) -> None:
    try:
        res = activities.run_activity(aid, _layers=bundled)
    except ActivityDataError as exc:
        msg = str(exc)
        recipe = activities.get_activity(aid)["recipe"]
        if recipe == "track_corridors":
            assert "Movebank CSV" in msg and "individual-local-identifier" in msg
            assert "tracks=" in msg
        else:  # names the layer to pass and what it must hold
            assert "layers={" in msg or "places" in msg, msg
        return
    assert res.activity_id == aid and res.finding.startswith(aid)
    assert any(ch.isdigit() for ch in res.finding) and " km" in res.finding
    assert res.assumptions and res.layers and res.headline.startswith(aid)
    for name, lyr in res.layers.items():
        if isinstance(lyr, gpd.GeoDataFrame) and len(lyr):
            assert lyr.crs is not None and lyr.crs.to_epsg() == 4326, name


def test_track_recipes_say_exactly_what_data_they_need(bundled: Layers) -> None:
    with pytest.raises(ActivityDataError) as e:
        activities.run_activity("WP 22.4", _layers=bundled)
    msg = str(e.value)
    for needed in ("Movebank CSV", "individual-local-identifier", "timestamp",
                   "location-long", "location-lat", "individual_id", "--tracks"):
        assert needed in msg


def test_ile_corridor_on_bundled_data_is_consistent(bundled: Layers) -> None:
    res = activities.run_activity("BD 7.4", _layers=bundled)
    places = activities.load_places().set_index("place")
    a, b = places.loc["Kapchagai"], places.loc["Ile-Balkhash Reserve (Ile delta)"]
    straight = geo_km([(a["lon"], a["lat"]), (b["lon"], b["lat"])])
    f = res.figures
    # the river winds: the path is longer than the straight line, shorter than 2x
    assert straight < f["length_km"] < 2 * straight
    assert f["tugay_share_pct"] > 80
    assert f["narrowest_km"] <= f["mean_width_km"]
    assert res.layers["path"].geometry.iloc[0].length > 0


# ------------------------------------------------------------ synthetic hand-checked cases
def _act(recipe: str, params: dict, places: list[str] | None = None, ptcr: str = "",
         aid: str = "XX 1.1") -> dict:
    return {"activity_id": aid, "recipe": recipe, "params": params, "places": places or [],
            "species": [], "ptcr": ptcr, "assumptions": "synthetic test case"}


def _places(monkeypatch: pytest.MonkeyPatch, rows: list[tuple[str, float, float]]) -> None:
    df = pd.DataFrame([{"place": p, "kind": "test", "lon": x, "lat": y, "accuracy_km": 1.0,
                        "source": "test"} for p, x, y in rows])
    monkeypatch.setattr(registry, "load_places", lambda: df)


def _lines(rows: list[dict]) -> gpd.GeoDataFrame:
    base = {"status": "existing", "fenced": False, "fence_class": None, "countries": "AAA",
            "name": "line"}
    return gpd.GeoDataFrame([{**base, **r} for r in rows], geometry="geometry", crs=WGS84)


def _ranges(box: tuple[float, float, float, float], sci: str = "Gazella subgutturosa"
            ) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"sci_name": [sci], "presence": [1], "origin": [1],
                             "seasonal": [1]}, geometry=[shapely.box(*box)], crs=WGS84)


def test_riparian_recipe_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    # a straight river along 45 °N; places on it 1° of longitude apart; a road and a
    # railway cross the river between them, a third line lies outside
    _places(monkeypatch, [("A", 70.0, 45.0), ("B", 71.0, 45.0)])
    rivers = gpd.GeoDataFrame({"name": ["Test River"]},
                              geometry=[shapely.LineString([(69.5, 45.0), (71.5, 45.0)])],
                              crs=WGS84)
    infra = _lines([
        {"infra_id": "R1", "infra_type": "road", "geometry":
         shapely.LineString([(70.4, 44.5), (70.4, 45.5)])},
        {"infra_id": "T1", "infra_type": "railway", "geometry":
         shapely.LineString([(70.7, 44.5), (70.7, 45.5)])},
        {"infra_id": "X1", "infra_type": "road", "geometry":
         shapely.LineString([(72.0, 44.5), (72.0, 45.5)])}])
    lay = Layers({"rivers": rivers, "lakes": rivers.iloc[[]].assign(geometry=None)
                  .set_geometry("geometry", crs=WGS84), "infrastructure": infra})
    res = R.riparian_corridor(_act("riparian_corridor", {"river": "Test River",
                                                         "pairs": [["A", "B"]]}, ["A", "B"]),
                              lay)
    f = res.figures
    expected = geo_km([(70.0, 45.0), (71.0, 45.0)])  # 78.8 km (geodesic)
    cell_km = 1.0
    assert abs(f["length_km"] - expected) < 2 * cell_km
    assert f["tugay_share_pct"] > 95
    # corridor = the 5 km belt on both sides: 10 km wide (± one cell per side)
    assert 10.0 - 2 * cell_km <= f["narrowest_km"] <= 10.0 + 2 * cell_km
    assert f["lines_crossed"] == 2
    assert "crosses 1 road and 1 railway" in res.finding or \
        "crosses 1 railway and 1 road" in res.finding


def test_riparian_recipe_two_pairs_far_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    # each pair is computed in its own local CRS; both paths come back in lon/lat
    _places(monkeypatch, [("A", 70.0, 45.0), ("B", 71.0, 45.0), ("C", 90.0, 40.0),
                          ("D", 90.0, 41.0)])
    rivers = gpd.GeoDataFrame({"name": ["R", "R"]}, crs=WGS84, geometry=[
        shapely.LineString([(69.5, 45.0), (71.5, 45.0)]),
        shapely.LineString([(90.0, 39.5), (90.0, 41.5)])])
    lay = Layers({"rivers": rivers, "lakes": rivers.iloc[[]],
                  "infrastructure": _lines([{"infra_id": "x", "infra_type": "road",
                                             "geometry": shapely.LineString(
                                                 [(60.0, 30.0), (60.1, 30.0)])}])})
    res = R.riparian_corridor(_act("riparian_corridor", {"river": "R",
                                                         "pairs": [["A", "B"], ["C", "D"]]}),
                              lay)
    p = res.layers["path"]
    assert len(p) == 2 and p.crs.to_epsg() == 4326
    assert p["length_km"].iloc[1] == pytest.approx(geo_km([(90.0, 40.0), (90.0, 41.0)]),
                                                   abs=2.0)
    b = p.geometry.iloc[1].bounds
    assert 89.9 < b[0] and b[2] < 90.1 and 39.99 < b[1] and b[3] < 41.01


def test_corridor_width_by_hand() -> None:
    # a 10 m wide strip along a 100 m path: width 10 everywhere inside the end margins
    path = shapely.LineString([(0, 0), (100, 0)])
    strip = shapely.box(-5, -5, 105, 5).union(shapely.box(40, 5, 50, 20))
    w, where = R.corridor_width(path, strip, step_m=1.0, exclude_m=10.0)
    assert w == pytest.approx(10.0) and 10 <= where.x <= 90
    w2, _ = R.corridor_width(path, strip, step_m=1.0, exclude_m=60.0)
    assert math.isnan(w2)


def test_core_corridors_eca_by_hand(monkeypatch: pytest.MonkeyPatch) -> None:
    # two 10 km discs 1.2° apart on 45 °N inside one range (resistance 1), no lines:
    # ECA = sqrt(a1² + a2² + 2·a1·a2·p), p = 0.5 ** (cw_dist / 50 km)
    _places(monkeypatch, [("P1", 70.0, 45.0), ("P2", 71.2, 45.0)])
    lay = Layers({"ranges": _ranges((68.0, 43.0, 73.0, 47.0)),
                  "infrastructure": _lines([{"infra_id": "far", "infra_type": "road",
                                             "geometry": shapely.LineString(
                                                 [(60.0, 30.0), (60.1, 30.0)])}])})
    res = R.core_corridors(_act("core_corridors", {"cores": "places", "core_radius_km": 10.0,
                                                   "cell_km": 2.0,
                                                   "species": ["Gazella subgutturosa"]},
                                ["P1", "P2"]), lay)
    cores, links = res.layers["cores"], res.layers["links"]
    assert len(cores) == 2 and len(links) == 1
    centre = geo_km([(70.0, 45.0), (71.2, 45.0)])
    # edge-to-edge cost distance at resistance 1 = centre distance − 2 radii (± 2 cells)
    assert abs(links["cw_dist"].iloc[0] / 1000.0 - (centre - 20.0)) < 4.0
    a = cores["area_km2"].to_numpy()
    p = 0.5 ** (links["cw_dist"].iloc[0] / 50_000.0)
    eca = math.sqrt(a[0] ** 2 + a[1] ** 2 + 2 * a[0] * a[1] * p)
    assert res.figures["ECA_km2"] == pytest.approx(eca, abs=1.0)
    assert res.figures["n_links"] == 1 and res.figures["lines_crossed"] == 0
    # #18: the longest link in words: length along the path (km), straight gap between the
    # cores (km, geodesic: centre distance − 2 radii) and cost in cost units (× d0 = 50 km)
    f, cw = res.figures, float(links["cw_dist"].iloc[0])
    assert f["longest_link_gap_km"] == pytest.approx(centre - 20.0, abs=0.5)
    assert links["length_km"].iloc[0] == pytest.approx(centre - 20.0, abs=4.0)
    assert f["longest_link_cost_units"] == pytest.approx(cw, abs=1.0)
    assert f"its cost is {cw:,.0f} cost units = {cw / 50_000.0:,.1f} × d0" in res.finding
    assert f["links_over_10_d0"] == int(cw > 500_000.0)
    assert res.headline.startswith("XX 1.1: 1 corridor between 2 cores, ")


def _two_countries() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"iso3": ["AAA", "BBB"], "name": ["Westland", "Eastland"]},
                            geometry=[shapely.box(68.0, 43.0, 70.0, 47.0),
                                      shapely.box(70.0, 43.0, 72.0, 47.0)], crs=WGS84)


def test_fence_crossings_pick_sites_in_the_habitat_band() -> None:
    # a N–S border fence at 70 °E from 43.5 to 46.5 °N; habitat only in 44–45 °N on both
    # sides: every opening outside the band forces a detour through resistance 10, so the
    # three best sites (≥ 30 km apart) all lie in the band
    fence = _lines([{"infra_id": "F", "infra_type": "border_fence", "fenced": True,
                     "fence_class": "impermeable", "countries": "AAA; BBB",
                     "name": "Test border fence",
                     "geometry": shapely.LineString([(70.0, 43.5), (70.0, 46.5)])}])
    lay = Layers({"infrastructure": fence, "countries": _two_countries(),
                  "ranges": _ranges((69.0, 44.0, 71.0, 45.0))})
    res = R.fence_crossings(_act("fence_crossings", {
        "line": {"infra_type": "border_fence", "countries": ["AAA", "BBB"]},
        "species": ["Gazella subgutturosa"], "spacing_km": 10.0, "select": 3,
        "window_km": 60.0, "cell_km": 2.0}), lay)
    top = res.layers["passages"]
    top = top[top["rank"].notna()].sort_values("rank").head(3)
    lat = top.to_crs(3857).centroid.to_crs(WGS84).y
    assert len(top) == 3
    assert ((lat > 43.95) & (lat < 45.05)).all(), lat.tolist()
    assert res.figures["fence_km"] == pytest.approx(geo_km([(70.0, 43.5), (70.0, 46.5)]),
                                                    rel=1e-3)
    assert res.figures["best_dECA_km2"] > 0


def test_fence_crossings_with_tracks_adds_baba_layers() -> None:
    # hourly fixes: animal "x" walks east across the fence at 70 °E (one quick cross),
    # animals "y" and "z" walk up to 300 m from it and back without crossing
    fence = _lines([{"infra_id": "F", "infra_type": "border_fence", "fenced": True,
                     "fence_class": "impermeable", "countries": "AAA; BBB",
                     "name": "Test border fence",
                     "geometry": shapely.LineString([(70.0, 43.5), (70.0, 46.5)])}])
    dx = 0.004  # ~315 m of longitude at 44.5 °N
    rows = [("x", 69.98 + 0.01 * i, 44.5, i) for i in range(5)]
    for a, lat in (("y", 44.6), ("z", 44.7)):
        rows += [(a, 70.0 - dx * k, lat, i) for i, k in enumerate([5, 3, 1, 1, 1, 3, 5])]
    lay = Layers({"infrastructure": fence, "countries": _two_countries(),
                  "ranges": _ranges((69.0, 44.0, 71.0, 45.0))})
    res = R.fence_crossings(_act("fence_crossings", {
        "line": {"infra_type": "border_fence", "countries": ["AAA", "BBB"]},
        "species": ["Gazella subgutturosa"], "spacing_km": 20.0, "select": 2,
        "window_km": 40.0, "cell_km": 4.0, "d_m": 1000.0}), lay, tracks=_fixes(rows))
    f = res.figures
    assert f["track_animals"] == 3
    ev = res.layers["tracks_barrier_events"]
    assert f["track_quick_crosses"] == int((ev["eventTYPE"] == "Quick_Cross").sum()) == 1
    assert f["track_encounters"] == len(ev) >= 3
    assert "tracks_passage_hotspots" in res.layers and "3 tracked animals" in res.finding


def test_fence_crossings_needs_the_named_fence() -> None:
    lay = Layers({"infrastructure": _lines([{"infra_id": "r", "infra_type": "road",
                                             "geometry": shapely.LineString(
                                                 [(70, 44), (71, 44)])}])})
    with pytest.raises(ActivityDataError, match="no line of the infrastructure layer matches"):
        R.fence_crossings(_act("fence_crossings", {"line": {"infra_type": "border_fence",
                                                            "countries": ["AAA", "BBB"],
                                                            "documented": True}}), lay)


def test_line_whatif_by_hand() -> None:
    # a fenced (impermeable) railway crosses country AAA from south to north edge at 70 °E;
    # a settlement at its south end. weight = 1 − p_line·p_fence: 1 (impermeable), 0.65
    # (railway 0.5 × high 0.7), 0.5 unfenced railway
    country = gpd.GeoDataFrame({"iso3": ["AAA"], "name": ["Testland"]},
                               geometry=[shapely.box(69.0, 44.0, 71.0, 46.0)], crs=WGS84)
    rail = _lines([{"infra_id": "RW", "infra_type": "railway", "fenced": True,
                    "fence_class": "impermeable", "name": "Test railway",
                    "geometry": shapely.LineString([(70.0, 44.0), (70.0, 46.0)])}])
    town = gpd.GeoDataFrame({"name": ["Southtown"]}, geometry=[shapely.Point(70.0, 44.0)],
                            crs=WGS84)
    far_ptcr = gpd.GeoDataFrame({"ptcr_id": [1], "name": ["Elsewhere"]},
                                geometry=[shapely.box(100, 30, 101, 31)], crs=WGS84)
    lay = Layers({"infrastructure": rail, "countries": country, "settlements": town,
                  "ptcrs": far_ptcr, "ranges": _ranges((68.5, 44.0, 71.5, 46.0))})
    res = R.line_whatif(_act("line_whatif", {
        "line": {"name": "Test railway"}, "fence_class_after": "high", "settlement_km": 10.0,
        "species": ["Gazella subgutturosa"], "window_km": 100.0, "cell_km": 10.0}), lay)
    f = res.figures
    L = geo_km([(70.0, 44.0), (70.0, 46.0)])
    seg = res.layers["segments"]
    near = float(seg.loc[seg["near"], "length_km"].sum())
    assert near == pytest.approx(10.0, abs=0.1)  # 10 km from the town at the line's end
    assert f["line_km"] == pytest.approx(L, rel=1e-3)
    assert f["delta_weighted_km_a"] == pytest.approx(-0.35 * L, abs=0.2)
    assert f["delta_weighted_km_ab"] == pytest.approx(-0.35 * near - 0.5 * (L - near), abs=0.2)
    # m_eff (fenced lines below 'high' as barriers): the railway halves the country; after
    # the smooth wire nothing splits it: m_eff doubles
    tab = res.layers["scenarios"].set_index("scenario")
    assert tab.loc["base", "m_eff_km2"] == pytest.approx(
        tab.loc["a_smooth_wire", "m_eff_km2"] / 2, rel=0.01)
    assert f["delta_m_eff_a_km2"] > 0


def test_inventory_by_hand() -> None:
    # PTCR box 44.5–45.5 °N; a documented border fence along 70 °E from 44 to 46 °N (1° of
    # it inside) and a road along 45 °N from 70.5 to 72 °E (0.5° inside)
    ptcr = gpd.GeoDataFrame({"ptcr_id": [1], "name": ["Test Region"]},
                            geometry=[shapely.box(69.0, 44.5, 71.0, 45.5)], crs=WGS84)
    infra = _lines([
        {"infra_id": "F", "infra_type": "border_fence", "fenced": True,
         "fence_class": "impermeable", "name": "A–B border fence",
         "geometry": shapely.LineString([(70.0, 44.0), (70.0, 46.0)])},
        {"infra_id": "R", "infra_type": "road",
         "geometry": shapely.LineString([(70.5, 45.0), (72.0, 45.0)])}])
    lay = Layers({"ptcrs": ptcr, "infrastructure": infra,
                  "ranges": _ranges((69.0, 44.0, 70.2, 46.0))})
    res = R.RECIPES["inventory"](_act("inventory", {"ptcr": "test region"}), lay)
    tab = res.layers["lines"].set_index("infra_id")
    assert tab.loc["F", "km_inside"] == pytest.approx(geo_km([(70.0, 44.5), (70.0, 45.5)]),
                                                      rel=1e-4)
    assert tab.loc["R", "km_inside"] == pytest.approx(geo_km([(70.5, 45.0), (71.0, 45.0)]),
                                                      rel=1e-3)
    assert bool(tab.loc["F", "fencing_documented"]) and not bool(tab.loc["R", "fenced"])
    assert tab.loc["F", "species_crossed"] == "Gazella subgutturosa"
    assert tab.loc["R", "species_crossed"] == ""  # the range ends at 70.2 °E
    f = res.figures
    assert f["n_lines"] == 2 and f["fenced_km"] == pytest.approx(tab.loc["F", "km_inside"],
                                                                 abs=0.1)
    with pytest.raises(ActivityDataError, match="'Nowhere'.*names there: Test Region"):
        R.RECIPES["inventory"](_act("inventory", {"ptcr": "Nowhere"}), lay)


def test_line_screening_by_hand() -> None:
    ptcr = gpd.GeoDataFrame({"ptcr_id": [1], "name": ["Test Region"]},
                            geometry=[shapely.box(69.0, 44.5, 71.0, 45.5)], crs=WGS84)
    infra = _lines([
        {"infra_id": "P", "infra_type": "railway", "status": "planned", "countries": "MNG",
         "name": "Planned test railway",
         "geometry": shapely.LineString([(68.0, 45.0), (70.0, 45.0)])},
        {"infra_id": "E", "infra_type": "road",
         "geometry": shapely.LineString([(69.5, 44.0), (69.5, 46.0)])}])
    lay = Layers({"ptcrs": ptcr, "infrastructure": infra,
                  "ranges": _ranges((68.0, 44.0, 71.0, 46.0))})
    res = R.RECIPES["line_screening"](_act("line_screening", {
        "line": {"infra_type": "railway", "countries": ["MNG"], "status": ["planned"]},
        "buffer_m": 5000.0, "fenced": True}), lay)
    f = res.figures
    assert f["n_lines"] == 1
    assert f["length_km"] == pytest.approx(geo_km([(68.0, 45.0), (70.0, 45.0)]), rel=1e-3)
    assert f["km_in_ptcrs"] == pytest.approx(geo_km([(69.0, 45.0), (70.0, 45.0)]), rel=1e-3)
    assert f["max_delta_conflict"] > 0


def _fixes(rows: list[tuple[str, float, float, int]]) -> gpd.GeoDataFrame:
    t0 = pd.Timestamp("2024-01-01", tz="UTC")
    return gpd.GeoDataFrame(
        {"individual_id": [r[0] for r in rows],
         "timestamp": [t0 + pd.Timedelta(hours=r[3]) for r in rows]},
        geometry=[shapely.Point(r[1], r[2]) for r in rows], crs=WGS84)


def test_track_corridors_by_hand() -> None:
    # three animals walk 69.65 → 70.45 °E along 45 °N across a N–S fence at 70 °E; a fourth
    # walks far to the north. Corridor (≥ 2 animals per cell) = the shared path only
    rows = []
    for a in ("a", "b", "c"):
        rows += [(a, 69.65 + 0.1 * i, 45.0, 6 * i) for i in range(9)]
    rows += [("d", 69.65 + 0.1 * i, 46.5, 6 * i) for i in range(9)]
    fence = _lines([{"infra_id": "F", "infra_type": "fence", "fenced": True,
                     "fence_class": "low",
                     "geometry": shapely.LineString([(70.0, 44.0), (70.0, 47.0)])}])
    res = R.RECIPES["track_corridors"](_act("track_corridors", {"cell_km": 10.0,
                                                                "min_individuals": 2}),
                                       Layers({"infrastructure": fence}), tracks=_fixes(rows))
    f = res.figures
    assert f["individuals"] == 4 and f["steps"] == 4 * 8
    assert f["crossings"] == 4  # one step of each animal crosses the fence once
    corr = res.layers["corridor"].union_all()
    assert corr.contains(shapely.Point(70.05, 45.0))
    assert not corr.intersects(shapely.Point(70.05, 46.5))


# ----------------------------------------------------------------------------- writing / CLI
def test_run_activity_writes_atlas_layers_map_and_report(tmp_path: Path) -> None:
    from camigeo import atlas

    res = activities.run_activity("7.4", out=tmp_path)
    names = set(atlas.list_atlas_layers(res.files["atlas"]))
    assert {"activity_bd_7_4_path", "activity_bd_7_4_corridor",
            "activity_bd_7_4_finding"} <= names
    prov = atlas.history(res.files["atlas"])
    assert "camigeo activity run BD 7.4" in set(prov["command"])
    assert res.files["map"].is_file() and res.files["report"].read_text().startswith("## BD 7.4")
    activities.run_activity("7.4", out=tmp_path)  # second run: versioned
    v = atlas.layer_versions(res.files["atlas"])
    v = v[v["layer"] == "activity_bd_7_4_path"]
    assert sorted(v["version"]) == [1, 2] and set(v["stored_as"]) == {
        "activity_bd_7_4_path", "activity_bd_7_4_path__v1"}


def test_cli_list_show_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from camigeo.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["activity", "list"])
    assert r.exit_code == 0 and "BD 7.4" in r.output and "WP 22.13" in r.output
    r = runner.invoke(app, ["activity", "show", "7.4"])
    assert r.exit_code == 0
    assert "003_8b0bd1bf03a7167e.txt line 130" in r.output and "Kapchagai" in r.output
    r = runner.invoke(app, ["activity", "run", "21.3", "-o", str(tmp_path), "-q"])
    assert r.exit_code == 1 and "Movebank CSV" in r.output
    r = runner.invoke(app, ["activity", "run", "-o", str(tmp_path)])
    assert r.exit_code == 1 and "--all" in r.output
    # --all over a two-activity registry (the full run is covered above per activity)
    reg = activities.list_activities()
    monkeypatch.setattr(registry, "list_activities",
                        lambda: reg[reg["activity_id"].isin(["BD 7.4", "WP 21.3"])])
    monkeypatch.setattr(activities, "list_activities", registry.list_activities)
    r = runner.invoke(app, ["activity", "run", "--all", "-o", str(tmp_path), "-q"])
    assert r.exit_code == 0, r.output
    assert "needs data" in r.output and "BD 7.4: corridor of" in r.output
    assert (tmp_path / "activity_bd_7_4_map.html").is_file()


def test_readme_activity_commands_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's `camigeo activity` block runs verbatim (--all on a 1-row registry)."""
    import re
    import shlex

    from camigeo.cli import app

    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Work Programme activities\n.*?```bash\n(.*?)```", text, re.S)
    assert block
    cmds = [shlex.split(ln)[1:] for ln in block.group(1).splitlines() if ln.strip()]
    assert [c[:2] for c in cmds] == [["activity", "list"], ["activity", "show"],
                                     ["activity", "run"], ["activity", "run"]]
    reg = activities.list_activities()
    monkeypatch.setattr(registry, "list_activities",
                        lambda: reg[reg["activity_id"] == "BD 7.4"])
    monkeypatch.setattr(activities, "list_activities", registry.list_activities)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for c in cmds:
        r = runner.invoke(app, c)
        assert r.exit_code == 0, (c, r.output)
    assert (tmp_path / "outputs" / "activity_bd_7_4_map.html").is_file()


def test_unknown_layer_key_is_rejected() -> None:
    with pytest.raises(CamigeoError, match="unknown key"):
        activities.run_activity("7.4", layers={"roads": "x.gpkg"})


# ------------------------------------------------------- #18 polish: vocabulary and zeros
def test_inventory_splits_km_by_documented_fencing() -> None:
    # PTCR box 69–71 °E × 44.5–45.5 °N: a documented border fence along 70 °E (1° inside),
    # a border line with undocumented fencing (fenced, class unknown) along 70.5 °E (1°
    # inside) and a road along 45 °N from 70.5 to 72 °E (0.5° inside)
    ptcr = gpd.GeoDataFrame({"ptcr_id": [1], "name": ["Test Region"]},
                            geometry=[shapely.box(69.0, 44.5, 71.0, 45.5)], crs=WGS84)
    infra = _lines([
        {"infra_id": "F", "infra_type": "border_fence", "fenced": True, "fencing": "documented",
         "fence_class": "impermeable", "name": "A–B border fence",
         "geometry": shapely.LineString([(70.0, 44.0), (70.0, 46.0)])},
        {"infra_id": "B", "infra_type": "border_fence", "fenced": True,
         "fencing": "undocumented", "fence_class": "unknown", "name": "A–C border",
         "geometry": shapely.LineString([(70.5, 44.0), (70.5, 46.0)])},
        {"infra_id": "R", "infra_type": "road", "fencing": "undocumented",
         "geometry": shapely.LineString([(70.5, 45.0), (72.0, 45.0)])}])
    lay = Layers({"ptcrs": ptcr, "infrastructure": infra,
                  "ranges": _ranges((69.0, 44.0, 70.2, 46.0))})
    res = R.RECIPES["inventory"](_act("inventory", {"ptcr": "Test Region"}), lay)
    f = res.figures
    meridian = geo_km([(70.0, 44.5), (70.0, 45.5)])  # 111.1 km
    parallel = geo_km([(70.5, 45.0), (71.0, 45.0)])  # 39.4 km
    assert f["documented_fence_km"] == pytest.approx(meridian, abs=0.1)
    assert f["border_without_documented_fence_km"] == pytest.approx(meridian, abs=0.1)
    assert f["lines_without_documented_fence_km"] == pytest.approx(parallel, abs=0.1)
    assert f["fenced_km"] == pytest.approx(2 * meridian, abs=0.1)  # both border lines
    tab = res.layers["lines"].set_index("infra_id")
    assert tab["fence_status"].to_dict() == {
        "F": "documented fence", "B": "border without documented fence",
        "R": "line without documented fence"}
    assert res.headline.endswith(
        f"{meridian:,.0f} km documented fence, {meridian:,.0f} km border without documented "
        f"fence, {parallel:,.0f} km lines (railways, roads) without documented fence")
    assert "fenced)" not in res.headline


def test_fence_crossings_say_whether_the_fence_is_documented() -> None:
    def run(fencing: str) -> activities.ActivityResult:
        fence = _lines([{"infra_id": "F", "infra_type": "border_fence", "fenced": True,
                         "fencing": fencing, "fence_class": "unknown",
                         "countries": "AAA; BBB", "name": "AAA–BBB border",
                         "geometry": shapely.LineString([(70.0, 44.0), (70.0, 45.0)])}])
        lay = Layers({"infrastructure": fence, "countries": _two_countries(),
                      "ranges": _ranges((69.0, 43.5, 71.0, 45.5))})
        return R.fence_crossings(_act("fence_crossings", {
            "line": {"infra_type": "border_fence", "countries": ["AAA", "BBB"]},
            "species": ["Gazella subgutturosa"], "spacing_km": 20.0, "select": 1,
            "window_km": 30.0, "cell_km": 5.0}), lay)

    km = geo_km([(70.0, 44.0), (70.0, 45.0)])
    doc, undoc = run("documented"), run("undocumented")
    assert f"on {km:,.0f} km of documented fence" in doc.headline
    assert doc.figures["documented_fence_km"] == pytest.approx(km, rel=1e-3)
    assert f"on {km:,.0f} km of border without documented fence" in undoc.headline
    assert undoc.figures["documented_fence_km"] == 0.0
    assert "No source at hand documents a fence" in undoc.finding
    assert "No source at hand" not in doc.finding


def test_line_screening_outside_every_ptcr_gives_the_distance() -> None:
    # planned line 72–73 °E on 45 °N; the activity's PTCR ends at 71 °E (gap = 1° of
    # longitude on 45 °N, 78.8 km); another PTCR lies 0.3° north of the line (33.3 km)
    ptcrs = gpd.GeoDataFrame({"ptcr_id": [1, 2], "name": ["Test Region", "Other Region"]},
                             geometry=[shapely.box(69.0, 44.5, 71.0, 45.5),
                                       shapely.box(71.5, 45.3, 73.5, 46.0)], crs=WGS84)
    infra = _lines([{"infra_id": "P", "infra_type": "railway", "status": "planned",
                     "countries": "MNG", "name": "Planned test railway", "accuracy_km": 100.0,
                     "geometry": shapely.LineString([(72.0, 45.0), (73.0, 45.0)])},
                    {"infra_id": "E", "infra_type": "road",
                     "geometry": shapely.LineString([(69.5, 44.0), (69.5, 46.0)])}])
    lay = Layers({"ptcrs": ptcrs, "infrastructure": infra,
                  "ranges": _ranges((71.5, 44.0, 74.0, 46.0))})
    act = _act("line_screening", {"line": {"infra_type": "railway", "status": ["planned"]},
                                  "buffer_m": 5000.0, "fenced": True}, ptcr="Test Region")
    res = R.RECIPES["line_screening"](act, lay)
    gap = geo_km([(71.0, 45.0), (72.0, 45.0)])
    row = res.layers["lines"].iloc[0]
    assert row["nearest_ptcr"] == "Test Region"
    assert row["nearest_ptcr_km"] == pytest.approx(gap, abs=0.5)
    assert res.figures["km_in_ptcrs"] == 0.0 and res.figures["lines_outside_ptcrs"] == 1
    assert f"{gap:,.0f} km from Test Region (the activity's PTCR)" in res.finding
    assert "outside every PTCR outline" in res.finding and "±100 km" in res.finding
    assert "+0" not in res.headline and "Δ" not in res.headline
    assert f"none inside a PTCR: {gap:,.0f} km from Test Region" in res.headline
    # without a PTCR of its own (WP 5.1), the nearest PTCR of the layer
    act["ptcr"] = ""
    res = R.RECIPES["line_screening"](act, lay)
    row = res.layers["lines"].iloc[0]
    assert row["nearest_ptcr"] == "Other Region"
    assert row["nearest_ptcr_km"] == pytest.approx(geo_km([(72.0, 45.0), (72.0, 45.3)]),
                                                   abs=0.5)


def test_line_whatif_explains_zero_m_eff_and_species_in_words() -> None:
    # the fenced railway stops 0.1° (11.1 km) short of both edges of Testland: it cuts
    # nothing (Δ m_eff = 0) and the finding says how far short; the range covers the
    # northern half of the line only (1° of 1.8°), the second species is not in the layer
    country = gpd.GeoDataFrame({"iso3": ["AAA"], "name": ["Testland"]},
                               geometry=[shapely.box(69.0, 44.0, 71.0, 46.0)], crs=WGS84)
    rail = _lines([{"infra_id": "RW", "infra_type": "railway", "fenced": True,
                    "fence_class": "impermeable", "name": "Test railway",
                    "geometry": shapely.LineString([(70.0, 44.1), (70.0, 45.9)])}])
    town = gpd.GeoDataFrame({"name": ["Southtown"]}, geometry=[shapely.Point(70.0, 44.1)],
                            crs=WGS84)
    far_ptcr = gpd.GeoDataFrame({"ptcr_id": [1], "name": ["Elsewhere"]},
                                geometry=[shapely.box(100, 30, 101, 31)], crs=WGS84)
    lay = Layers({"infrastructure": rail, "countries": country, "settlements": town,
                  "ptcrs": far_ptcr, "ranges": _ranges((68.5, 44.9, 71.5, 46.0))})
    res = R.line_whatif(_act("line_whatif", {
        "line": {"name": "Test railway"}, "fence_class_after": "high", "settlement_km": 10.0,
        "species": ["Gazella subgutturosa", "Procapra gutturosa"], "window_km": 100.0,
        "cell_km": 10.0}), lay)
    f = res.figures
    assert f["delta_m_eff_ab_km2"] == 0
    short = geo_km([(70.0, 44.0), (70.0, 44.1)])  # 11.1 km
    assert f"ends {short:,.1f} km and {geo_km([(70.0, 45.9), (70.0, 46.0)]):,.1f} km short " \
           f"of the Testland boundary" in res.finding
    inside = geo_km([(70.0, 44.9), (70.0, 45.9)])
    assert f["line_km_in_range"]["Gazella subgutturosa"] == pytest.approx(inside, abs=0.1)
    assert math.isnan(f["line_km_in_range"]["Procapra gutturosa"])
    assert f"{inside:,.0f} km inside the Gazella subgutturosa range" in res.finding
    assert "Procapra gutturosa: not in the ranges layer" in res.finding


def test_unused_params_are_named_in_a_warning() -> None:
    # the inventory recipe reads ptcr and infra_type: a misspelt or foreign name is
    # reported, a name the recipe reads is not
    from camigeo import CamigeoWarning
    from camigeo.activities import run_activity

    ptcr = gpd.GeoDataFrame({"ptcr_id": [1], "name": ["Test Region"]},
                            geometry=[shapely.box(69.0, 44.5, 71.0, 45.5)], crs=WGS84)
    infra = _lines([{"infra_id": f"R{k}", "infra_type": t, "fenced": True,
                     "geometry": shapely.LineString([(70.5, 45.0 + k / 10), (72.0, 45.0)])}
                    for k, t in enumerate(("road", "railway", "border_fence", "fence"))])
    layers = {"ptcrs": ptcr, "infrastructure": infra,
              "ranges": _ranges((69.0, 44.0, 70.2, 46.0))}
    aid = next(a for a in activities.list_activities()["activity_id"]
               if activities.get_activity(a)["recipe"] == "inventory")
    with pytest.warns(CamigeoWarning, match=r"'bufer_m' not used by recipe 'inventory' "
                                            r"\(it reads: .*ptcr"):
        run_activity(aid, layers=layers, params={"ptcr": "Test Region", "bufer_m": 5})
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", CamigeoWarning)
        run_activity(aid, layers=layers, params={"ptcr": "Test Region"})
