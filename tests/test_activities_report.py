"""The "Activities" page of the Atlas report (camigeo.activities.report.activities_pages).

The table is the registry's: the two track activities (WP 21.3, 22.4) are run for real
(they say which data they need, in well under a second); the other rows carry the
registry's own quotation as their text, so the test does not run the 20 s of recipes
(the main-job test in test_pipeline.py checks the page in the real report).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_meeting_outputs import _largest_empty_fraction, _layout_problems

from camigeo import SchemaError
from camigeo.activities import list_activities, run_activities
from camigeo.activities.report import ACTIVITIES_TITLE, activities_pages

TRACKS = ["WP 21.3", "WP 22.4"]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    reg = list_activities()
    _, needs = run_activities(ids=TRACKS)
    assert list(needs["status"]) == ["needs data", "needs data"]
    ok = reg[~reg["activity_id"].isin(TRACKS)]
    ok = pd.DataFrame({"activity_id": ok["activity_id"], "recipe": ok["recipe"],
                       "status": "ok", "headline": ok["activity_id"] + ": " + ok["quote"]})
    t = pd.concat([ok, needs], ignore_index=True).set_index("activity_id")
    return t.loc[reg["activity_id"]].reset_index()  # registry order


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.texts] + [fig._suptitle.get_text()]


def _shaded(fig) -> dict[str, int]:
    from matplotlib.colors import to_hex
    from matplotlib.patches import Rectangle

    out: dict[str, int] = {}
    for p in fig.artists:
        if not isinstance(p, Rectangle):
            continue
        c = to_hex(p.get_facecolor())
        out[c] = out.get(c, 0) + 1
    return out


def test_page_for_the_registry_table(table: pd.DataFrame, tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    reg = list_activities()
    figs = activities_pages(table)
    try:
        # the quotations are longer than the headlines (two lines each): two pages, balanced
        assert len(figs) == 2
        for k, fig in enumerate(figs):
            assert tuple(fig.get_size_inches()) == pytest.approx((11.69, 8.27))
            # the layout: no text box overlaps another or leaves the page; no quarter-page
            # hole
            assert _layout_problems(fig) == [], k
            png = tmp_path / f"activities{k}.png"
            fig.savefig(png, dpi=72)
            assert _largest_empty_fraction(png) < 0.25, k
        texts = [t for f in figs for t in _texts(f)]
        assert _texts(figs[0])[-1] == f"{ACTIVITIES_TITLE} - page 1 of 2"
        for aid, line in zip(reg["activity_id"], reg["seed_line"], strict=True):
            # the id in its own cell, followed by its seed line
            k = texts.index(aid)
            assert texts[k + 1] == str(line)
        body = " ".join(" ".join(t.split()) for t in texts)
        for f in set(reg["seed_file"]):
            assert f"seeds/{f}" in body  # the footnote cites the seed files
        assert "data/activities/activities.csv" in body
        assert "Orange rows: the activity needs data" in body
        assert "Red rows" not in body  # no failed row in this table
        # the needs-data rows: status in bold orange-brown on an orange band, one per row
        status = [t for f in figs for t in f.texts if t.get_text() == "needs data"]
        assert len(status) == 2
        assert {t.get_color() for t in status} == {"#a63603"}
        assert {t.get_fontweight() for t in status} == {"bold"}
        assert sum(_shaded(f).get("#fdd0a2", 0) for f in figs) == 2
        assert "needs movement data" in body and "Movebank CSV" in body
    finally:
        for f in figs:
            plt.close(f)


def test_long_table_goes_on_more_pages_and_failed_rows_are_red(table: pd.DataFrame) -> None:
    import matplotlib.pyplot as plt

    reg = list_activities()
    copy = table.assign(activity_id=table["activity_id"] + "b")
    copy.loc[0, ["status", "headline"]] = ["failed", "ValueError: something broke"]
    copy.loc[1, "headline"] = "word " * 3000  # 15,000 characters: cut at 12 lines
    long = pd.concat([table, copy], ignore_index=True)
    extra = reg.assign(activity_id=reg["activity_id"] + "b")
    figs = activities_pages(long, registry=pd.concat([reg, extra], ignore_index=True))
    try:
        assert len(figs) == 3  # twice the rows of the two pages above
        seen = [t for f in figs for t in _texts(f) if t in set(long["activity_id"])]
        assert seen == list(long["activity_id"])  # every row once, in order
        assert [_texts(f)[-1] for f in figs[1:]] == [
            f"{ACTIVITIES_TITLE} (continued) - page {k} of 3" for k in (2, 3)]
        body = " ".join(t for f in figs for t in _texts(f))
        assert "Red rows: the recipe failed" in body
        assert sum(_shaded(f).get("#fcbba1", 0) for f in figs) == 1
        cut = [t for f in figs for t in _texts(f) if t.startswith("word word")]
        assert len(cut) == 1 and cut[0].count("\n") == 11 and cut[0].endswith(" …")
        for f in figs:
            assert _layout_problems(f) == []
    finally:
        for f in figs:
            plt.close(f)


def test_table_without_headline_is_refused(table: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match=r"missing column\(s\) \['headline'\]"):
        activities_pages(table.drop(columns="headline"))
