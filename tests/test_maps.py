"""Folium meeting maps: styling, escaping, offline standalone HTML, real headless Chromium."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from camigeo import maps
from camigeo._errors import CamigeoError, SchemaError

XSS = "<img src=x onerror=window.__xss=1>"
XSS2 = "<script>window.__xss2=1</script>"


@pytest.fixture
def layers() -> dict:
    ptcr = gpd.GeoDataFrame(
        {"ptcr_id": [1, 2, 3], "name": ["Ustyurt", XSS, "Gobi"],
         "countries": ["KAZ; UZB", "TKM", "MNG; CHN"]},
        geometry=[box(55, 43, 58, 46), box(58, 43, 61, 46), box(100, 42, 105, 46)], crs=4326)
    summary = pd.DataFrame({"ptcr_id": [1, 2, 3], "conflict_score": [0.5, 2.0, 1.0],
                            "rank": [3, 1, 2]})
    infra = gpd.GeoDataFrame(
        {"infra_id": ["a", "b", "c", "d"],
         "infra_type": ["railway", "border_fence", "road", "fence"],
         "name": ["Beyneu–Kungrad", XSS2, "A380", "Pasture fence"],
         "status": ["existing", "existing", "planned", "under_construction"],
         "fence_class": [None, "impermeable", None, "low"]},
        geometry=[LineString([(55, 44), (60, 44)]), LineString([(58, 43), (58, 46)]),
                  LineString([(100, 43), (104, 45)]), LineString([(56, 45), (57, 45.5)])],
        crs=4326)
    ranges = gpd.GeoDataFrame({"sci_name": ["Saiga tatarica", XSS]},
                              geometry=[box(54, 42, 60, 47), box(99, 41, 106, 47)], crs=4326)
    paths = gpd.GeoDataFrame({"core_a": [1], "core_b": [2], "cw_dist": [123.4]},
                             geometry=[LineString([(56, 44.5), (59, 44.5)])], crs=4326)
    pinch = gpd.GeoDataFrame({"current": [0.8]}, geometry=[Point(58.5, 44.5)], crs=4326)
    hot = gpd.GeoDataFrame({"barrier_id": [XSS], "n_crossings": [0], "n_bounces": [7]},
                           geometry=[LineString([(58, 44), (58, 44.2)])], crs=4326)
    return {"ptcrs": ptcr, "summary": summary, "infrastructure": infra, "ranges": ranges,
            "paths": paths, "pinch_points": pinch, "hotspots": hot}


def test_class_breaks_match_quantile_definition() -> None:
    v = np.arange(1, 11, dtype=float)  # quintiles of 1..10: 2.8, 4.6, 6.4, 8.2, 10
    assert maps.class_breaks(v, k=5) == pytest.approx([2.8, 4.6, 6.4, 8.2, 10.0])
    assert maps.class_breaks([2.0, 2.0, np.nan], k=5) == [2.0]
    assert maps.class_breaks(v, k=2, scheme="equal_interval") == pytest.approx([5.5, 10.0])
    with pytest.raises(CamigeoError, match=r"scheme: expected one of .*got 'magic'"):
        maps.class_breaks(v, scheme="magic")


def test_styles_by_type_status_and_fence_class() -> None:
    s = maps._infra_style({"infra_type": "railway", "status": "planned"})
    assert s["color"] == maps.INFRA_STYLE["railway"]["color"]
    assert s["dashArray"] == "8 6"
    assert "dashArray" not in maps._infra_style({"infra_type": "road", "status": "existing"})
    assert maps._border_style({"fence_class": "impermeable"})["color"] == "#67001f"
    assert maps._border_style({"fence_class": None})["color"] == "#888888"
    # undocumented fencing: thinner and fainter than any documented class
    unk = maps._border_style({"fence_class": "unknown"})
    for fc in ("impermeable", "low", "medium", "high", "open"):
        doc = maps._border_style({"fence_class": fc})
        assert unk["weight"] < doc["weight"] and unk["opacity"] < doc["opacity"]
    # the data's own `fencing` column decides when present
    assert maps._border_style({"fence_class": "low", "fencing": "undocumented"})["color"] \
        == "#888888"
    # a documented fence of unknown class is drawn as a fence (and so is its legend entry)
    assert maps._border_style({"fence_class": "unknown", "fencing": "documented"})["color"] \
        == maps.BORDER_FENCE_COLORS["impermeable"]
    # a documented fence along a railway: same colour, twice the width
    fenced = maps._infra_style({"infra_type": "railway", "fencing": "documented"})
    assert fenced["weight"] == 2 * maps.INFRA_STYLE["railway"]["weight"]


def test_conflict_map_layers_and_escaping(layers: dict, tmp_path: Path) -> None:
    m = maps.conflict_map(**layers, tiles=None)
    out = maps.save_map(m, tmp_path / "map.html")
    text = out.read_text(encoding="utf-8")
    # standalone: no external script/style references; Leaflet inlined
    assert not re.search(r"<script[^>]+src=\"https?://", text)
    assert not re.search(r"<link[^>]+href=\"https?://", text)
    assert "L.Control.Fullscreen" in text or "FullScreen" in text
    # the raw markup never appears; only its escaped form (inside JSON \u003c-escaped or &lt;)
    assert XSS not in text and XSS2 not in text
    assert "&amp;lt;img" in text or "&lt;img" in text
    for name in ("PTCRs by conflict score", "Infrastructure", "Borders and border fences",
                 "Saiga antelope <i>Saiga tatarica</i>", "Least-cost paths", "Pinch points",
                 "Passage hotspots"):
        assert name in text, name
    legend = text[text.index("class='camigeo-legend'"):]
    legend = legend[:legend.index("</details>")]
    # the legend lists only what is drawn: the types, fence classes and statuses present
    for label in ("railway", "road", "fence", "border fence (documented, impermeable)",
                  "planned (dashed)", "under construction (dotted)",
                  "least-cost path between PTCRs", "top 5 % current", "passage hotspot"):
        assert label in legend, label
    for label in ("pipeline", "canal", ": high", ": open", ": low", "fencing not documented"):
        assert label not in legend, label
    # one legend block per layer, shown only while the layer is on (ranges start off)
    # 2 ranges + PTCRs, infrastructure, borders, paths, pinch points, hotspots
    assert legend.count("camigeo-legend-block") == 2 + 6
    assert "camigeoLegendSync" in text
    assert maps.PATH_COLOR not in maps.BORDER_FENCE_COLORS.values()
    fenced = layers["infrastructure"].assign(fencing=["", "documented", "", ""],
                                             fence_class=[None, "unknown", None, "low"])
    legend2 = maps.save_map(maps.conflict_map(layers["ptcrs"], infrastructure=fenced,
                                              tiles=None, basemap=False),
                            tmp_path / "f.html").read_text(encoding="utf-8")
    assert "border fence (documented, class unknown)" in legend2
    assert "border fence (documented, unknown)" not in legend2
    assert "fencing not documented" not in legend2
    bare = maps.save_map(maps.conflict_map(layers["ptcrs"], tiles=None), tmp_path / "b.html")
    bare_text = bare.read_text(encoding="utf-8")
    assert "least-cost path" not in bare_text and "Infrastructure" not in bare_text
    # score classes first, with their unit
    assert (legend.index("PTCR conflict score (weighted km per 1,000 km²")
            < legend.index("Infrastructure</div>"))
    # offline basemap and its attribution; online tiles absent when tiles=None
    assert "Relief and water (Natural Earth, offline)" in text
    assert "data:image/jpeg;base64," in text
    assert "Basemap: Natural Earth (public domain)" in text
    assert "tile.openstreetmap.org" not in text


def test_bad_inputs(layers: dict, tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"summary: needs columns 'ptcr_id' and "
                                          r"'conflict_score'"):
        maps.conflict_map(layers["ptcrs"], summary=pd.DataFrame({"x": [1]}), tiles=None)
    with pytest.raises(SchemaError, match=r"ptcrs: the GeoDataFrame has no CRS"):
        maps.conflict_map(layers["ptcrs"].set_crs(None, allow_override=True), tiles=None)
    with pytest.raises(SchemaError, match=r"ranges: expected a GeoDataFrame, got DataFrame"):
        maps.conflict_map(layers["ptcrs"], ranges=pd.DataFrame({"a": [1]}), tiles=None)
    with pytest.raises(SchemaError, match=r"column: 'nope' is not a column of gdf"):
        maps.explore(layers["ptcrs"], column="nope")
    m = maps.explore(layers["ptcrs"], tiles=None)
    with pytest.raises(CamigeoError, match=r"path: expected an \.html file name, got 'map.png'"):
        maps.save_map(m, tmp_path / "map.png")
    with pytest.raises(CamigeoError, match=r"m: expected a folium.Map, got str"):
        maps.save_map("x", tmp_path / "map.html")


# --------------------------------------------------------------------- headless Chromium
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory):
    if CHROMIUM is None or not Path(CHROMEDRIVER).exists():
        pytest.skip("headless browser test: needs Debian packages 'chromium' and "
                    "'chromium-driver' (/usr/bin/chromedriver); .ci/run installs them")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed")
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage", f"--user-data-dir={profile}",
              "--window-size=1000,750",
              # no network at all: every host name fails to resolve
              "--host-resolver-rules=MAP * ~NOTFOUND"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    drv.set_page_load_timeout(60)
    try:
        yield drv
    finally:
        drv.quit()


def _load(driver, path: Path) -> list[dict]:
    driver.get_log("browser")  # clear
    driver.get(path.resolve().as_uri())
    driver.execute_script("return document.readyState")
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script("return document.querySelectorAll("
                                   "'.leaflet-overlay-pane path').length") > 0)
    return driver.get_log("browser")


def _severe(logs: list[dict], *, allow_network: bool = False) -> list[dict]:
    out = [e for e in logs if e["level"] == "SEVERE"]
    if allow_network:
        out = [e for e in out if "net::ERR_" not in e["message"]]
    return out


def _screenshot_variance(driver) -> float:
    from io import BytesIO

    from PIL import Image

    img = Image.open(BytesIO(driver.get_screenshot_as_png())).convert("L")
    return float(np.asarray(img, dtype=float).var())


@pytest.mark.browser
def test_map_in_chromium_offline(driver, layers: dict, tmp_path: Path) -> None:
    path = maps.save_map(maps.conflict_map(**layers, tiles=None), tmp_path / "map.html")
    logs = _load(driver, path)
    assert _severe(logs) == [], logs
    n_paths = driver.execute_script(
        "return document.querySelectorAll('.leaflet-overlay-pane path').length")
    # 3 PTCRs + 3 infra lines + 1 border fence + 1 path + 1 hotspot + 1 pinch circle = 10
    # (ranges are toggleable and hidden at start)
    assert n_paths == 10
    labels = driver.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
        ".map(l => l.textContent.trim())")
    for name in ("PTCRs by conflict score", "Infrastructure", "Borders and border fences",
                 "Range: Saiga antelope Saiga tatarica", "Least-cost paths", "Pinch points",
                 "Passage hotspots"):
        assert name in labels, labels
    assert f"Range: {XSS}" in labels  # the escaped name renders as literal text
    scale = driver.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-control-scale-line'))"
        ".map(e => e.textContent)")
    assert len(scale) == 1 and re.fullmatch(r"\d+ k?m", scale[0]), scale  # metric only
    assert driver.execute_script("return document.querySelector('.leaflet-control-measure') "
                                 "!== null")
    assert driver.execute_script("return document.querySelector("
                                 "'.leaflet-control-zoom-fullscreen') !== null")
    assert _screenshot_variance(driver) > 50.0


@pytest.mark.browser
def test_escaping_in_chromium_no_script_runs(driver, layers: dict, tmp_path: Path) -> None:
    path = maps.save_map(maps.conflict_map(**layers, tiles=None), tmp_path / "xss.html")
    _load(driver, path)
    # turn on the hidden range layers, open every tooltip and popup
    driver.execute_script(
        "document.querySelectorAll('.leaflet-control-layers-overlays input')"
        ".forEach(i => { if (!i.checked) i.click(); });")
    texts = driver.execute_script("""
        const out = [];
        const maps = Object.values(window).filter(o => o && o instanceof L.Map);
        for (const m of maps) {
          m.eachLayer(g => {
            if (!(g instanceof L.GeoJSON)) return;
            g.eachLayer(l => {
              const ll = l.getLatLng ? l.getLatLng() : l.getBounds().getCenter();
              l.fire('mouseover', {latlng: ll}, true);   // real hover: tooltip content built
              const t = g.getTooltip();
              if (t && t.getElement()) out.push('T:' + t.getElement().textContent);
              l.fire('mouseout', {latlng: ll}, true);
              l.fire('click', {latlng: ll}, true);       // real click: popup content built
              const p = g.getPopup();
              if (p && p.getElement()) out.push('P:' + p.getElement().textContent);
              m.closePopup();
            });
          });
        }
        return out;""")
    joined = "\n".join(texts)
    assert XSS in joined  # shown as text
    assert XSS2 in joined
    assert driver.execute_script("return typeof window.__xss") == "undefined"
    assert driver.execute_script("return typeof window.__xss2") == "undefined"
    assert driver.execute_script("return document.querySelectorAll('img[src=\"x\"]').length") == 0


@pytest.mark.browser
def test_page_with_basemap_still_shows_data_offline(driver, layers: dict,
                                                     tmp_path: Path) -> None:
    path = maps.save_map(maps.conflict_map(**layers, tiles="OpenStreetMap"),
                         tmp_path / "osm.html")
    logs = _load(driver, path)
    # tile requests fail (no network); nothing else may
    assert _severe(logs, allow_network=True) == [], logs
    assert driver.execute_script(
        "return document.querySelectorAll('.leaflet-overlay-pane path').length") == 10


@pytest.mark.browser
def test_explore_layer_in_chromium(driver, tmp_path: Path) -> None:
    g = gpd.GeoDataFrame({"value": [1.0, 2.0, 3.0, 4.0], "label": list("abcd")},
                         geometry=[box(i, 0, i + 0.9, 1) for i in range(4)], crs=4326)
    m = maps.explore(g, column="value", name="Cells", k=4, tiles=None)
    m = maps.explore(g.iloc[:1], m=m, name="Extra", color="#ff0000")
    path = maps.save_map(m, tmp_path / "explore.html")
    logs = _load(driver, path)
    assert _severe(logs) == [], logs
    fills = driver.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-overlay-pane path'))"
        ".map(p => p.getAttribute('fill'))")
    assert len(fills) == 5
    assert len(set(fills[:4])) == 4  # four quartile classes, four colours
    assert "#ff0000" in fills
