"""The "Activities" page(s) of the Atlas report (``camigeo run`` → ``atlas_report.pdf``).

:func:`activities_pages` draws the table of :func:`camigeo.activities.run_activities`
(one row per registered activity: id, the seed line it is written on, status, headline
figure) on A4-landscape pages in the style of the report (:data:`camigeo.atlas.plot.STYLE`).
Rows whose activity needs data camigeo does not bundle are shaded orange, failed ones red;
the footnote cites the registry and the seed file of each document.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pandas as pd

from .._errors import SchemaError

__all__ = ["ACTIVITIES_TITLE", "activities_pages"]

#: Title of the report page.
ACTIVITIES_TITLE = "Activities of the Work Programmes"
_PAGE = (11.69, 8.27)  # A4 landscape, inches (as the other report pages)
_FONT = 7.0  # pt
_LINE = _FONT * 1.32 / 72.0  # line pitch, inches
_PAD = 0.045  # inches above and below the text of a row
_MAX_LINES = 12  # lines of one headline (longer ones end in "…")
_LEFT, _RIGHT, _TOP, _BOTTOM = 0.45, 0.45, 0.95, 0.95  # inches: margins of the table
# column x positions (inches from the left page edge) and the headline width
_COLS = {"id": _LEFT + 0.06, "line": _LEFT + 0.86, "status": _LEFT + 1.46,
         "headline": _LEFT + 2.36}
_STATUS = {"ok": ("#f2f2f2", "#000000", "normal"),
           "needs data": ("#fdd0a2", "#a63603", "bold"),
           "failed": ("#fcbba1", "#a50f15", "bold")}


def _headline_chars() -> int:
    width_in = _PAGE[0] - _RIGHT - _COLS["headline"] - 0.05
    # DejaVu Sans: mean advance ≈ 0.55 em for mixed text; 0.6 em leaves a margin
    return int(width_in * 72.0 / (_FONT * 0.6))


def _rows(table: pd.DataFrame, registry: pd.DataFrame) -> list[dict[str, Any]]:
    lines = dict(zip(registry["activity_id"], registry["seed_line"], strict=False))
    width = _headline_chars()
    out = []
    for r in table.itertuples(index=False):
        aid, status, head = str(r.activity_id), str(r.status), str(r.headline)
        if head.startswith(f"{aid}: "):  # the id has its own column
            head = head[len(aid) + 2:]
        wrapped = textwrap.wrap(head, width=width) or [""]
        if len(wrapped) > _MAX_LINES:  # a row never outgrows the page
            wrapped = [*wrapped[:_MAX_LINES - 1], wrapped[_MAX_LINES - 1][:width - 2] + " …"]
        out.append({"id": aid, "line": str(lines.get(aid, "-")), "status": status,
                    "text": "\n".join(wrapped), "n": len(wrapped)})
    return out


def _paginate(rows: list[dict[str, Any]], height_in: float) -> list[list[dict[str, Any]]]:
    """Rows on as few pages as fit; pages balanced so the last one is not nearly empty."""
    pages = _fill(rows, height_in)
    total = sum(r["n"] * _LINE + 2 * _PAD for r in rows)
    cap = total / len(pages)
    while len(pages) > 1 and cap < height_in:  # smallest capacity giving as few pages
        balanced = _fill(rows, cap)
        if len(balanced) == len(pages):
            return balanced
        cap += _LINE
    return pages


def _fill(rows: list[dict[str, Any]], height_in: float) -> list[list[dict[str, Any]]]:
    pages: list[list[dict[str, Any]]] = [[]]
    used = 0.0
    for row in rows:
        h = row["n"] * _LINE + 2 * _PAD
        if pages[-1] and used + h > height_in:
            pages.append([])
            used = 0.0
        pages[-1].append(row)
        used += h
    return pages


def _footnote(registry: pd.DataFrame, statuses: set[str]) -> str:
    from .. import CamigeoError
    from .registry import get_activity

    parts = []
    for doc, grp in registry.groupby("document", sort=False):
        try:
            name = str(get_activity(str(grp["activity_id"].iloc[0]))["document_title"])
        except CamigeoError:  # a registry given by the caller: its document code
            name = str(doc)
        files = ", ".join(f"seeds/{f} lines {g['seed_line'].min()}–{g['seed_line'].max()}"
                          for f, g in grp.groupby("seed_file"))
        parts.append(f"{doc} = {name}, {files}")
    text = ("Source: the activity registry data/activities/activities.csv (built by "
            "scripts/data_activities.py), which quotes each activity from the seed file "
            "and line given in the column 'line': " + "; ".join(parts) + ". Headline "
            "figures are computed on the loaded layers (bundled: approximate PTCR "
            "outlines, indicative ranges, schematic infrastructure); for screening, not "
            "for legal boundaries. Details: camigeo activity show <id>.")
    if "needs data" in statuses:
        text += (" Orange rows: the activity needs data camigeo does not bundle; the row "
                 "says which and how to pass it.")
    if "failed" in statuses:
        text += " Red rows: the recipe failed on these layers (message given)."
    return text


def activities_pages(table: pd.DataFrame, *, registry: pd.DataFrame | None = None,
                     title: str = ACTIVITIES_TITLE) -> list[Any]:
    """Draw the activities table as A4-landscape report pages (more than one if long).

    Parameters
    ----------
    table : DataFrame
        ``activity_id``, ``status`` (ok / needs data / failed) and ``headline``, as
        returned by :func:`camigeo.activities.run_activities` (the ``activities`` layer of
        ``camigeo run``).
    registry : DataFrame, optional
        The registry (default :func:`camigeo.activities.list_activities`): gives the seed
        line of each activity and the seed files of the footnote.
    title : str
        Page title ("(continued)" is added on the following pages).

    Returns
    -------
    list of matplotlib.figure.Figure
        One figure per page (the caller closes them).

    Raises
    ------
    SchemaError
        ``table`` lacks one of the three columns.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from ..atlas.plot import STYLE

    missing = [c for c in ("activity_id", "status", "headline") if c not in table.columns]
    if missing:
        raise SchemaError(f"activities table: missing column(s) {missing}; expected the "
                          f"table of camigeo.activities.run_activities (activity_id, "
                          f"status, headline), got columns {list(table.columns)}.")
    if registry is None:
        from .registry import list_activities

        registry = list_activities()
    rows = _rows(table, registry)
    statuses = {r["status"] for r in rows}
    foot = textwrap.fill(_footnote(registry, statuses), width=int(
        (_PAGE[0] - _LEFT - _RIGHT) * 72.0 / (6.2 * 0.6)))
    height = _PAGE[1] - _TOP - _BOTTOM - _LINE - 2 * _PAD  # below the header row
    pages = _paginate(rows, height)
    W, H = _PAGE
    figs = []
    for k, page in enumerate(pages):
        with plt.rc_context(STYLE):
            fig = plt.figure(figsize=_PAGE)
            head = title if k == 0 else f"{title} (continued)"
            if len(pages) > 1:
                head += f" - page {k + 1} of {len(pages)}"
            fig.suptitle(head, fontsize=12, fontweight="bold", y=1 - 0.35 / H)
            fig.text(_LEFT / W, 1 - 0.62 / H, f"{len(rows)} registered spatial activities "
                     f"(camigeo activity list): the headline figure of each, or the data "
                     f"it needs.", fontsize=8, va="top", color="#333333")
            # natural height, stretched (at most 2x) to fill the page
            natural = sum(r["n"] * _LINE + 2 * _PAD for r in page)
            stretch = max(1.0, min(2.0, height / natural)) if natural > 0 else 1.0
            y = H - _TOP
            hdr_h = _LINE + 2 * _PAD
            fig.add_artist(Rectangle(((_LEFT) / W, (y - hdr_h) / H), (W - _LEFT - _RIGHT) / W,
                                     hdr_h / H, transform=fig.transFigure,
                                     facecolor="#4d4d4d", edgecolor="none"))
            for key, label in (("id", "Activity"), ("line", "Line"), ("status", "Status"),
                               ("headline", "Headline figure (on the loaded layers)")):
                fig.text(_COLS[key] / W, (y - _PAD) / H, label, fontsize=_FONT,
                         fontweight="bold", color="white", va="top")
            y -= hdr_h
            for i, r in enumerate(page):
                h = (r["n"] * _LINE + 2 * _PAD) * stretch
                face, colour, weight = _STATUS.get(r["status"], _STATUS["failed"])
                if r["status"] != "ok" or i % 2 == 0:
                    fig.add_artist(Rectangle((_LEFT / W, (y - h) / H),
                                             (W - _LEFT - _RIGHT) / W, h / H,
                                             transform=fig.transFigure, facecolor=face,
                                             edgecolor="white", linewidth=1.0))
                top = (y - _PAD - (h - r["n"] * _LINE - 2 * _PAD) / 2) / H
                fig.text(_COLS["id"] / W, top, r["id"], fontsize=_FONT, va="top",
                         fontweight="bold")
                fig.text(_COLS["line"] / W, top, r["line"], fontsize=_FONT, va="top")
                fig.text(_COLS["status"] / W, top, r["status"], fontsize=_FONT, va="top",
                         color=colour, fontweight=weight)
                fig.text(_COLS["headline"] / W, top, r["text"], fontsize=_FONT, va="top",
                         color=colour if r["status"] != "ok" else "#000000",
                         linespacing=1.32 / 1.2)
                y -= h
            fig.add_artist(Rectangle((_LEFT / W, y / H), (W - _LEFT - _RIGHT) / W,
                                     0.6 / 72 / H, transform=fig.transFigure,
                                     facecolor="#4d4d4d", edgecolor="none"))
            fig.text(_LEFT / W, (_BOTTOM - 0.12) / H, foot, fontsize=6.2, va="top",
                     color="#333333", linespacing=1.3)
        figs.append(fig)
    return figs
