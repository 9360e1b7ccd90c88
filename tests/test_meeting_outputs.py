"""What a delegate sees after `camigeo run`: the map in a real browser, the report pages.

One main-job run on the bundled data (coarse grids) feeds every test here:

* the map at 1280×720 and 1920×1080 in headless Chromium (offline): no console error,
  every layer switched on draws, no control covers the framed data, the layer list and
  the legend fit the window, popups give numbers with units;
* the report pages: text and legend boxes measured on the drawn pages (no overlaps, all
  on the page, no text over another panel) and no empty quarter of a page;
* screenshots of the map at both sizes and of report pages 1, 2 and one PTCR page are
  kept in ``outputs/test-artifacts/`` (or ``$CAMIGEO_TEST_ARTIFACTS``; not committed).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from camigeo import pipeline

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
SIZES = ((1280, 720), (1920, 1080))


@pytest.fixture(scope="module")
def artifacts() -> Path:
    d = Path(os.environ.get("CAMIGEO_TEST_ARTIFACTS", REPO / "outputs" / "test-artifacts"))
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> pipeline.RunResult:
    out = tmp_path_factory.mktemp("meeting")
    return pipeline.run_all(out_dir=out, corridor_cell_km=20.0, circuit_cell_km=20.0,
                            grid_cell_km=100.0)


# ------------------------------------------------------------------------------ report
def _boxes(fig):  # -> list of (kind, owner, Bbox)
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure, SubFigure

    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    out = []
    seen: set[int] = set()

    def add(kind, owner, t) -> None:
        if id(t) in seen or not t.get_visible() or not t.get_text().strip():
            return
        seen.add(id(t))
        out.append((kind, owner, t.get_window_extent(r)))

    for f in fig.findobj(lambda o: isinstance(o, Figure | SubFigure)):
        for t in f.texts + ([f._suptitle] if f._suptitle is not None else []):
            add("text", None, t)
    for ax in fig.findobj(Axes):
        if not ax.get_visible():
            continue
        leg = ax.get_legend()
        if leg is not None and leg.get_visible():
            out.append(("legend", ax, leg.get_window_extent(r)))
        texts = [ax.title, ax._left_title, ax._right_title]
        if ax.axison:
            texts += [ax.xaxis.label, ax.yaxis.label]
            for axis, lim in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
                lo, hi = min(lim), max(lim)
                # only the tick labels drawn: ticks inside the axis limits
                texts += [tk.label1 for tk, loc in zip(axis.get_major_ticks(),
                                                       axis.get_majorticklocs(), strict=False)
                          if lo - 1e-9 * abs(hi - lo) <= loc <= hi + 1e-9 * abs(hi - lo)
                          and tk.label1.get_visible()]
        # cartographic labels in data coordinates (towns, PTCR numbers) are part of the map
        texts += [t for t in ax.texts if not t.get_transform().contains_branch(ax.transData)]
        for t in texts:
            add("text", ax, t)
    return out


def _layout_problems(fig) -> list[str]:
    from matplotlib.axes import Axes

    boxes = _boxes(fig)
    w, h = fig.canvas.get_width_height()
    problems = []
    for kind, _own, bb in boxes:
        if bb.x0 < -1 or bb.y0 < -1 or bb.x1 > w + 1 or bb.y1 > h + 1:
            problems.append(f"{kind} off the page: {bb}")
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i][2], boxes[j][2]
            if a.width and b.width and a.overlaps(b) and \
                    a.intersection(a, b).width * a.intersection(a, b).height > 4.0:
                problems.append(f"{boxes[i][0]} {a} overlaps {boxes[j][0]} {b}")
    # no text or legend over another panel (axes with visible axis lines)
    panels = [ax for ax in fig.findobj(Axes) if ax.axison and ax.get_visible()]
    for kind, own, bb in boxes:
        for ax in panels:
            if ax is own or (own is not None and ax in getattr(own, "child_axes", [])):
                continue
            pb = ax.get_window_extent()
            inter = bb.intersection(bb, pb)
            if inter is not None and inter.width * inter.height > 4.0:
                problems.append(f"{kind} {bb} over panel {ax.get_title()!r} {pb}")
    return problems


def _largest_empty_fraction(png: Path) -> float:
    """Largest all-white axis-aligned rectangle as a fraction of the page (cells of 6 px)."""
    from PIL import Image

    img = np.asarray(Image.open(png).convert("L"), dtype=float)
    c = 6
    hh, ww = img.shape[0] // c, img.shape[1] // c
    cells = img[:hh * c, :ww * c].reshape(hh, c, ww, c).min(axis=(1, 3)) > 245
    best, heights = 0, np.zeros(ww, dtype=int)
    for row in cells:
        heights = np.where(row, heights + 1, 0)
        stack: list[int] = []
        for k in range(ww + 1):
            cur = heights[k] if k < ww else 0
            while stack and heights[stack[-1]] >= cur:
                top = stack.pop()
                left = stack[-1] + 1 if stack else 0
                best = max(best, int(heights[top]) * (k - left))
            stack.append(k)
    return best / float(hh * ww)


def test_report_pages_layout(run: pipeline.RunResult, artifacts: Path) -> None:
    import matplotlib.pyplot as plt

    from camigeo.atlas import report

    L = run.layers
    summary = run.ranked
    # the pages most likely to crowd: most species, largest and smallest region (all 13
    # pages take too long for the default suite; the selection follows the data)
    sc = L["conflict_scores"]
    n_sp = sc.groupby("ptcr_id")["sci_name"].nunique().sort_values(ascending=False)
    area = L["ptcr"].to_crs("ESRI:102025").area.groupby(L["ptcr"]["ptcr_id"]).sum()
    ids = list(dict.fromkeys([int(n_sp.index[0]), int(area.idxmax()), int(area.idxmin())]))
    pages = report.report_pages(
        ptcrs=L["ptcr"], infrastructure=L["infrastructure"], ranges=L["ranges"],
        scores=sc, summary=summary, countries=L.get("countries"),
        range_fragmentation=L["range_fragmentation"], ptcr_ids=ids)
    n_ptcr = len(ids)
    problems: dict[int, list[str]] = {}
    holes: dict[int, float] = {}
    keep = {1: "report_page1.png", 2: "report_page2.png"}
    legend_sizes = {}
    for k, fig in enumerate(pages, start=1):
        png = artifacts / keep.get(k, f"report_page{k}.png")
        fig.savefig(png, dpi=72)
        problems[k] = _layout_problems(fig)
        holes[k] = _largest_empty_fraction(png)
        if k > 2:
            leg = [len(ax.get_legend().get_texts()) for ax in fig.findobj(
                lambda o: hasattr(o, "get_legend") and o.get_legend() is not None
                and o.get_legend().get_title().get_text() == "Map legend")]
            legend_sizes[k] = leg[0] if leg else 0
        plt.close(fig)
    assert len(problems) == 2 + n_ptcr
    # kept: the PTCR page with the most map-legend entries (the hardest to lay out)
    busiest = max(legend_sizes, key=legend_sizes.get)
    shutil.copy(artifacts / f"report_page{busiest}.png", artifacts / "report_page_ptcr.png")
    bad = {k: v for k, v in problems.items() if v}
    assert not bad, bad
    assert max(holes.values()) < 0.25, holes
    first = (artifacts / "report_page1.png").stat().st_size
    assert first > 50_000  # a real map, not a blank page


def test_report_first_page_words(run: pipeline.RunResult) -> None:
    import matplotlib.pyplot as plt

    from camigeo import plot

    fig = plot.overview_page(run.layers["ptcr"], summary=run.ranked,
                             infrastructure=run.layers["infrastructure"])
    text = " ".join(t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text")
                                                      and callable(o.get_text)))
    plt.close(fig)
    assert "How to read the conflict score" in " ".join(text.split())
    assert "weighted km per 1,000 km²" in text
    assert "Basemap: Natural Earth" in text


# --------------------------------------------------------------------------------- map
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
    profile = tmp_path_factory.mktemp("chromium-profile-meeting")
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--hide-scrollbars",
              "--host-resolver-rules=MAP * ~NOTFOUND"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    drv.set_page_load_timeout(60)
    try:
        yield drv
    finally:
        drv.quit()


_STATE_JS = """
const map = Object.values(window).find(o => o && o instanceof L.Map);
const ctl = window.camigeoLayerControl;
const vw = window.innerWidth, vh = window.innerHeight;
function visible(r) {
  return r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0 && r.left < vw
         && r.top < vh;
}
function rects(layer) {
  const out = [];
  const walk = l => {
    if (l.eachLayer && !l._path && !l._icon && !l._image) { l.eachLayer(walk); return; }
    let el = l._path || l._icon || l._image;
    // a text label (divIcon of size 0) draws through its content
    if (el && l._icon && el.firstElementChild) el = el.firstElementChild;
    if (el && el.isConnected) { const r = el.getBoundingClientRect(); out.push(
      [r.left, r.top, r.right, r.bottom, visible(r)]); }
  };
  walk(layer);
  return out;
}
const layers = ctl._layers.filter(o => o.overlay).map(o => ({
  name: o.name.replace(/<[^>]*>/g, ''), on: map.hasLayer(o.layer), rects: rects(o.layer)}));
const controls = Array.from(document.querySelectorAll(
    '.leaflet-control, .camigeo-legend')).filter(e => e.offsetParent !== null
    || getComputedStyle(e).position === 'fixed').map(e => {
  const r = e.getBoundingClientRect();
  return {cls: e.className, box: [r.left, r.top, r.right, r.bottom]};
});
return {vw: vw, vh: vh, layers: layers, controls: controls};
"""


def _set_viewport(driver, w: int, h: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": w, "height": h, "deviceScaleFactor": 1, "mobile": False})


def _overlap(a, b) -> float:
    x = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    y = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return x * y


@pytest.mark.browser
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_map_in_browser(run: pipeline.RunResult, driver, artifacts: Path,
                        size: tuple[int, int]) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    w, h = size
    _set_viewport(driver, w, h)
    driver.get_log("browser")
    driver.get(run.files["map"].resolve().as_uri())
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(
        "return document.readyState === 'complete' && "
        "document.querySelectorAll('.leaflet-overlay-pane path').length > 0"))
    driver.execute_script("return new Promise(r => setTimeout(r, 500))")
    st = driver.execute_script(_STATE_JS)
    assert (st["vw"], st["vh"]) == (w, h)
    driver.save_screenshot(str(artifacts / f"map_{w}x{h}.png"))
    logs = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert logs == [], logs
    on = [lay for lay in st["layers"] if lay["on"]]
    names = [lay["name"] for lay in on]
    assert any(n.startswith("PTCRs") for n in names) and "Pinch points" in names
    assert "Relief and water (Natural Earth, offline)" in names
    # every layer switched on draws something inside the window
    for lay in on:
        assert any(r[4] for r in lay["rects"]), f"layer {lay['name']!r} draws nothing"
    # the framed data (PTCRs, paths, pinch points) is clear of every control
    data = [r for lay in on if lay["name"].startswith(("PTCRs", "Least-cost", "Pinch"))
            for r in lay["rects"] if r[4]]
    box = [min(r[0] for r in data), min(r[1] for r in data), max(r[2] for r in data),
           max(r[3] for r in data)]
    assert box[0] >= 0 and box[1] >= 0 and box[2] <= w and box[3] <= h, box
    ctrls = st["controls"]
    assert any("camigeo-legend" in c["cls"] for c in ctrls)
    for c in ctrls:
        if "leaflet-control-attribution" in c["cls"]:
            continue  # one text line at the bottom edge
        assert _overlap(c["box"], box) == 0, (c, box)
        assert c["box"][2] <= w and c["box"][3] <= h, c
    # controls do not cover each other
    for i in range(len(ctrls)):
        for j in range(i + 1, len(ctrls)):
            a, b = ctrls[i], ctrls[j]
            if a["box"] == b["box"]:
                continue
            inner = (a["box"][0] >= b["box"][0] and a["box"][2] <= b["box"][2]
                     and a["box"][1] >= b["box"][1] and a["box"][3] <= b["box"][3]) or \
                    (b["box"][0] >= a["box"][0] and b["box"][2] <= a["box"][2]
                     and b["box"][1] >= a["box"][1] and b["box"][3] <= a["box"][3])
            if not inner:  # nested elements (a control inside a control bar) are fine
                assert _overlap(a["box"], b["box"]) == 0, (a, b)
    # the layer list, opened, fits the window (it scrolls inside when long)
    driver.execute_script(
        "window.camigeoLayerControl.expand()")
    r = driver.execute_script(
        "const e = document.querySelector('.leaflet-control-layers-expanded');"
        "const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom];")
    assert r[0] >= 0 and r[3] <= h and r[2] <= w, r
    driver.save_screenshot(str(artifacts / f"map_{w}x{h}_layers_open.png"))
    driver.execute_script(
        "window.camigeoLayerControl.collapse()")
    # a PTCR popup gives the numbers with their units
    text = driver.execute_script("""
        const map = Object.values(window).find(o => o && o instanceof L.Map);
        let out = null;
        map.eachLayer(g => {
          if (out || !(g instanceof L.GeoJSON)) return;
          g.eachLayer(l => {
            if (out || !l.feature || !/conflict score/.test(l.feature.properties._popup))
              return;
            l.fire('click', {latlng: l.getBounds().getCenter()}, true);
            const p = g.getPopup();
            out = p && p.getElement() ? p.getElement().textContent : '';
          });
        });
        map.closePopup();
        return out;""")
    assert text and "weighted km per 1,000 km²" in text and "km²" in text, text
    # switching a species range on adds its legend entry (common name first)
    legend_before = driver.execute_script(
        "return document.querySelector('.camigeo-legend').innerText")
    driver.execute_script("""
        const map = Object.values(window).find(o => o && o instanceof L.Map);
        const ctl = window.camigeoLayerControl;
        const o = ctl._layers.find(o => /Asiatic wild ass/.test(o.name));
        map.addLayer(o.layer);""")
    legend_after = driver.execute_script(
        "return document.querySelector('.camigeo-legend').innerText")
    assert "Asiatic wild ass" not in legend_before
    assert "Asiatic wild ass Equus hemionus" in legend_after


def test_atlas_of_the_run_is_valid(run: pipeline.RunResult) -> None:
    from camigeo.atlas.check import check_atlas_file

    assert check_atlas_file(run.files["atlas"], nullable=pipeline._NULLABLE) == []
