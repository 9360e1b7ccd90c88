"""Atlas figures: image comparison against committed baselines, bar values, PDF report.

Baselines live in tests/baseline_images/ and are drawn from synthetic layers with a fixed
style (DejaVu Sans, no hinting, fixed dpi). Regenerate after an intended change with
``CAMIGEO_REGEN_BASELINES=1 pytest tests/test_plot.py`` and inspect them before committing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import geopandas as gpd
import matplotlib
import pandas as pd
import pytest
from shapely.geometry import LineString, box

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.testing.compare import compare_images  # noqa: E402

from camigeo import plot  # noqa: E402
from camigeo._errors import CamigeoError, DataNotFoundError, SchemaError  # noqa: E402
from camigeo.atlas import report  # noqa: E402

BASELINE = Path(__file__).parent / "baseline_images"
DPI = 50
TEST_RC = {"text.hinting": "none", "text.hinting_factor": 8, "font.family": "DejaVu Sans",
           "axes.unicode_minus": True, "path.simplify": True}


@pytest.fixture
def synth() -> dict:
    ptcrs = gpd.GeoDataFrame(
        {"ptcr_id": [1, 2, 3], "name": ["Ustyurt", "Kopetdag", "Gobi"],
         "countries": ["KAZ; UZB", "TKM; IRN", "MNG; CHN"],
         "species": ["Saiga tatarica; Equus hemionus", "Ovis vignei",
                     "Equus hemionus; Procapra gutturosa"],
         "source": ["synthetic test polygon"] * 3, "accuracy_km": [50.0] * 3},
        geometry=[box(55, 43, 58, 46), box(58, 37, 61, 39), box(100, 42, 105, 46)], crs=4326)
    countries = gpd.GeoDataFrame({"iso3": ["KAZ", "TKM", "MNG"]},
                                 geometry=[box(50, 40, 80, 52), box(52, 35, 66, 40),
                                           box(88, 41, 120, 52)], crs=4326)
    infra = gpd.GeoDataFrame(
        {"infra_type": ["railway", "border_fence", "road", "fence"],
         "status": ["existing", "existing", "planned", "existing"]},
        geometry=[LineString([(55, 44), (60, 44)]), LineString([(56, 43), (56, 46)]),
                  LineString([(100, 43), (104, 45)]), LineString([(56.5, 45), (57.5, 45.5)])],
        crs=4326)
    ranges = gpd.GeoDataFrame({"sci_name": ["Saiga tatarica", "Equus hemionus"]},
                              geometry=[box(54, 42, 57, 47), box(55.5, 43.5, 62, 45)], crs=4326)
    scores = pd.DataFrame({
        "ptcr_id": [1, 1, 1, 1, 3],
        "sci_name": ["Saiga tatarica", "Saiga tatarica", "Equus hemionus", "Equus hemionus",
                     "Equus hemionus"],
        "infra_type": ["railway", "border_fence", "railway", "fence", "road"],
        "length_km": [150.0, 300.0, 200.0, 90.0, 0.0],
        "region_length_km": [240.0, 330.0, 240.0, 95.0, 0.0]})
    summary = pd.DataFrame({"ptcr_id": [1, 2, 3], "conflict_score": [3.0, 1.0, 2.0],
                            "rank": [1, 3, 2]})
    return {"ptcrs": ptcrs, "countries": countries, "infrastructure": infra,
            "ranges": ranges, "scores": scores, "summary": summary}


def _check_image(fig, name: str, tmp_path: Path, tol: float = 2.0) -> None:
    actual = tmp_path / f"{name}.png"
    fig.savefig(actual, dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    expected = BASELINE / f"{name}.png"
    if os.environ.get("CAMIGEO_REGEN_BASELINES") == "1":
        BASELINE.mkdir(exist_ok=True)
        expected.write_bytes(actual.read_bytes())
    assert expected.exists(), f"missing baseline {expected}; run with CAMIGEO_REGEN_BASELINES=1"
    result = compare_images(str(expected), str(actual), tol=tol)
    assert result is None, result


def test_overview_map_image(synth: dict, tmp_path: Path) -> None:
    with plt.rc_context(TEST_RC):
        ax = plot.overview_map(synth["ptcrs"], countries=synth["countries"],
                               summary=synth["summary"], infrastructure=synth["infrastructure"])
        labels = [t.get_text() for t in ax.texts]
        assert {"1", "2", "3"} <= set(labels)
        _check_image(ax.figure, "overview_map", tmp_path)


def test_ptcr_page_image(synth: dict, tmp_path: Path) -> None:
    with plt.rc_context(TEST_RC):
        fig = plot.ptcr_page(1, **synth)
        _check_image(fig, "ptcr_page_1", tmp_path)


def test_km_by_type_chart_bar_lengths(synth: dict) -> None:
    ax = plot.km_by_type_chart(synth["scores"], 1)
    # species sorted by total km ascending: Equus hemionus (290 km) at y=0, Saiga (450) at y=1
    # common name first, scientific name in italics (mathtext)
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        r"Asiatic wild ass $\it{Equus\ hemionus}$", r"Saiga antelope $\it{Saiga\ tatarica}$"]
    # one bar series per type in schema order (railway, fence, border_fence), stacked
    widths = [p.get_width() for p in ax.patches]
    lefts = [p.get_x() for p in ax.patches]
    assert widths == pytest.approx([200, 150, 90, 0, 0, 300])
    assert lefts == pytest.approx([0, 0, 200, 150, 290, 150])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["railway", "fence",
                                                                   "border fence"]
    plt.close(ax.figure)
    # equal totals (as border fences crossing every range of a PTCR): the bottom bar is as
    # long as the longest; the legend must still sit right of it, covering no bar
    eq = pd.DataFrame({"ptcr_id": 1, "sci_name": ["A a", "B b", "C c"],
                       "infra_type": "border_fence", "length_km": 500.0,
                       "region_length_km": 500.0})
    ax = plot.km_by_type_chart(eq, 1)
    ax.figure.canvas.draw()
    leg = ax.get_legend().get_window_extent()
    assert all(not p.get_window_extent().overlaps(leg) for p in ax.patches)
    plt.close(ax.figure)


def test_range_fragmentation_chart_bars_and_report_page(synth: dict, tmp_path: Path) -> None:
    frag = pd.DataFrame({"sci_name": ["A a", "B b", "C c"],
                         "area_km2": [200.0, 400.0, 1000.0],
                         "m_eff_km2": [100.0, 100.0, 1000.0],  # 50 %, 25 %, 100 %
                         "m_eff_documented_km2": [200.0, 300.0, 1000.0]})  # 100, 75, 100
    ax = plot.range_fragmentation_chart(frag)
    # sorted by % with every barrier, most fragmented first (bottom)
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        r"$\it{B\ b}$", r"$\it{A\ a}$", r"$\it{C\ c}$"]  # no common name known
    widths = [p.get_width() for p in ax.patches]
    assert widths == pytest.approx([75.0, 100.0, 100.0, 25.0, 50.0, 100.0])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "documented barriers only", "all existing barriers"]
    plt.close(ax.figure)
    ax = plot.range_fragmentation_chart(frag.drop(columns="m_eff_documented_km2"))
    assert [p.get_width() for p in ax.patches] == pytest.approx([25.0, 50.0, 100.0])
    plt.close(ax.figure)
    with pytest.raises(SchemaError, match=r"frag: needs columns \['sci_name', 'area_km2', "
                                          r"'m_eff_km2'\] .*missing \['m_eff_km2'\]"):
        plot.range_fragmentation_chart(frag.drop(columns="m_eff_km2"))
    out = report.atlas_report(tmp_path / "r.pdf", range_fragmentation=frag, **synth)
    assert len(re.findall(rb"/Type /Page\b", out.read_bytes())) == 1 + 1 + 3


def test_key_figures_text(synth: dict) -> None:
    fig = plot.ptcr_page(1, **synth)
    text = " ".join(" ".join(t.get_text() for ax in fig.findobj(Axes) for t in ax.texts)
                    .split())
    assert "Conflict score: 3.00 (rank 1)" in text
    # km in the PTCR by the map's words (the synthetic border has no fence_class: its
    # fencing is not documented), geodesic km of the lines clipped to the PTCR box
    from camigeo.crs import GEOD

    border = GEOD.geometry_length(LineString([(56, 43), (56, 46)])) / 1000
    rail = GEOD.geometry_length(LineString([(55, 44), (58, 44)])) / 1000
    assert f"border, fencing not documented: {border:,.0f} km" in text
    assert f"railway: {rail:,.0f} km" in text
    assert "border fence" not in text
    assert "Species ranges overlapping: 2" in text
    from camigeo.io.crs import equal_area_km2

    area = float(equal_area_km2(synth["ptcrs"].iloc[[0]].geometry).sum())
    assert f"Area: {area:,.0f} km²" in text
    plt.close(fig)
    # fragmentation figures with labels and units (s_eff = 1000 / m_eff)
    summary = synth["summary"].assign(m_eff_km2=[62_499.3, 1.0, 1.0],
                                      s_eff_per_1000km2=[1000 / 62_499.3, 1000.0, 1000.0])
    fig = plot.ptcr_page(1, **{**synth, "summary": summary})
    text = " ".join(" ".join(t.get_text() for ax in fig.findobj(Axes) for t in ax.texts)
                    .split())
    assert "Effective mesh size: 62,499 km²" in text
    assert "Splitting density: 0.016 per 1,000 km²" in text
    assert "m_eff_km2" not in text
    plt.close(fig)


def test_atlas_report_pages_and_exports(synth: dict, tmp_path: Path) -> None:
    out = report.atlas_report(tmp_path / "report.pdf", **synth)
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type /Page\b", data)) == 1 + 3  # overview + one per PTCR
    fig = plot.ptcr_page(3, **synth)
    png = plot.save_figure(fig, tmp_path / "p3.png", dpi=40)
    pdf = plot.save_figure(fig.axes[0], tmp_path / "p3.pdf")
    plt.close(fig)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.read_bytes()[:4] == b"%PDF"
    assert not list(tmp_path.glob(".*.tmp*"))  # atomic writes left no temp files


def test_undocumented_border_is_not_drawn_as_a_fence(synth: dict) -> None:
    infra = synth["infrastructure"].assign(fence_class=["impermeable", "unknown", None,
                                                        "low"])
    fig = plot.ptcr_page(1, **{**synth, "infrastructure": infra})
    leg = next(ax.get_legend() for ax in fig.findobj(Axes) if ax.get_legend() is not None
               and ax.get_legend().get_title().get_text() == "Map legend")
    labels = {t.get_text(): t for t in leg.get_texts()}
    assert "border, fencing not documented" in labels
    assert not any(k.startswith("border fence") for k in labels)  # the only one is unknown
    line = [h for h in leg.legend_handles
            if h.get_label() == "border, fencing not documented"][0]
    assert line.get_color() == "#8c8c8c" and line.get_linewidth() == 0.8
    # the bars use the same words: no "border fence" bar for an undocumented border
    bars = next(ax for ax in fig.findobj(Axes)
                if ax.get_title() == "Barriers by type, per species")
    assert "border, fencing not documented" in [t.get_text() for t in
                                                 bars.get_legend().get_texts()]
    plt.close(fig)


def test_no_scores_page_draws_placeholder(synth: dict) -> None:
    fig = plot.ptcr_page(2, ptcrs=synth["ptcrs"])
    assert any("no conflict scores given" in t.get_text() for ax in fig.findobj(Axes)
               for t in ax.texts)
    plt.close(fig)


def test_bad_inputs(synth: dict, tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match=r"ptcr_id: 99 not in ptcrs \(ids: \[1, 2, 3\]\)"):
        plot.ptcr_page(99, ptcrs=synth["ptcrs"])
    with pytest.raises(SchemaError, match=r"scores: needs columns .*length_km"):
        plot.km_by_type_chart(pd.DataFrame({"ptcr_id": [1]}), 1)
    with pytest.raises(SchemaError, match=r"ptcrs: the GeoDataFrame has no CRS"):
        plot.overview_map(synth["ptcrs"].set_crs(None, allow_override=True))
    with pytest.raises(SchemaError, match=r"summary: needs columns 'ptcr_id' and "
                                          r"'conflict_score'"):
        plot.overview_map(synth["ptcrs"], summary=pd.DataFrame({"a": [1]}))
    with pytest.raises(CamigeoError, match=r"path: expected a .pdf file name, got 'r.png'"):
        report.atlas_report(tmp_path / "r.png", ptcrs=synth["ptcrs"])
    with pytest.raises(CamigeoError, match=r"path: expected a .png or .pdf file name"):
        plot.save_figure(plt.figure(), tmp_path / "x.svg")
    with pytest.raises(CamigeoError, match=r"fig: expected a matplotlib Figure or Axes, got int"):
        plot.save_figure(3, tmp_path / "x.png")
    plt.close("all")
