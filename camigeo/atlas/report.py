"""The Atlas report: its pages in order, written into one PDF (``atlas_report.pdf``).

Page 1 :func:`camigeo.atlas.plot.overview_page`; the range-fragmentation page; any extra
pages (activities, migration); then one :func:`camigeo.atlas.plot.ptcr_page` per PTCR.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .._errors import CamigeoError
from ..io.atomic import atomic_path
from .plot import (
    A4_LANDSCAPE,
    STYLE,
    default_layer,
    overview_page,
    ptcr_page,
    range_fragmentation_chart,
    wrap_lines,
)

__all__ = ["atlas_report", "report_pages"]

log = logging.getLogger(__name__)


def report_pages(
    *,
    ptcrs: Any = None,
    infrastructure: Any = None,
    ranges: Any = None,
    scores: pd.DataFrame | None = None,
    summary: pd.DataFrame | None = None,
    countries: Any = None,
    ptcr_ids: Iterable[Any] | None = None,
    range_fragmentation: pd.DataFrame | None = None,
    basemap: bool = True,
    progress: bool = False,
    extra_pages: Sequence[Any] | None = None,
) -> Iterator[Any]:
    """Yield the Atlas report pages as matplotlib Figures (the caller closes them).

    Page 1: :func:`overview_page`; page 2 (with ``range_fragmentation``):
    :func:`range_fragmentation_chart`; then ``extra_pages`` (e.g. the migration page); then
    one :func:`ptcr_page` per PTCR. Parameters as in :func:`atlas_report`.
    """
    import matplotlib.pyplot as plt

    pt = default_layer(ptcrs, "load_ptcrs")
    ids: Sequence[Any] = (list(ptcr_ids) if ptcr_ids is not None
                          else sorted(pt["ptcr_id"].tolist()))
    it: Iterable[Any] = ids
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(ids, desc="atlas pages", unit="page")
    yield overview_page(pt, countries=countries, summary=summary,
                        infrastructure=infrastructure, basemap=basemap)
    if range_fragmentation is not None:
        with plt.rc_context(STYLE):
            fig = plt.figure(figsize=A4_LANDSCAPE, layout="constrained")
            ax = fig.add_subplot()
            range_fragmentation_chart(range_fragmentation, ax=ax)
            ax.text(0.0, -0.09, wrap_lines([
                "Effective mesh size (m_eff, CUT): the expected area an animal placed at "
                "random in the range can reach without crossing a barrier, as % of the "
                "range. Dark bars: every existing barrier, including borders whose fencing "
                "is not documented; light bars: documented barriers only."], 160),
                transform=ax.transAxes, va="top", fontsize=7)
        yield fig
    yield from extra_pages or ()
    for pid in it:
        yield ptcr_page(pid, ptcrs=pt, infrastructure=infrastructure, ranges=ranges,
                        scores=scores, summary=summary, countries=countries,
                        basemap=basemap)


def atlas_report(
    path: str | os.PathLike[str],
    *,
    ptcrs: Any = None,
    infrastructure: Any = None,
    ranges: Any = None,
    scores: pd.DataFrame | None = None,
    summary: pd.DataFrame | None = None,
    countries: Any = None,
    ptcr_ids: Iterable[Any] | None = None,
    range_fragmentation: pd.DataFrame | None = None,
    title: str = "camigeo Atlas",
    progress: bool = False,
    extra_pages: Sequence[Any] | None = None,
    basemap: bool = True,
) -> Path:
    """Write the Atlas report: an overview page, then one page per PTCR, in one PDF.

    Parameters
    ----------
    path : path
        Output ``.pdf`` (replaced atomically).
    ptcrs, infrastructure, ranges, countries : GeoDataFrame, optional
        Layers (``ptcrs`` default: bundled).
    scores, summary : DataFrame, optional
        ``camigeo.score_conflict`` / ``summarize_conflict`` outputs.
    ptcr_ids : iterable, optional
        Pages to include (default every PTCR, by id).
    range_fragmentation : DataFrame, optional
        Adds a page after the overview with :func:`range_fragmentation_chart`.
    title : str
        PDF title metadata.
    progress : bool, default False
        Show a tqdm progress bar.
    extra_pages : sequence of matplotlib.figure.Figure, optional
        Pages added after the overview (e.g. ``camigeo.telemetry.migration_run.migration_page``);
        they are closed after writing.
    basemap : bool, default True
        Offline Natural Earth basemap under the maps (relief, water, names).

    Returns
    -------
    pathlib.Path
    """
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    p = Path(path)
    if p.suffix.lower() != ".pdf":
        raise CamigeoError(f"path: expected a .pdf file name, got {p.name!r}.")
    n = 0
    with atomic_path(p) as tmp, PdfPages(tmp, metadata={
            "Title": title, "Creator": "camigeo", "CreationDate": None,
            "ModDate": None}) as pdf:
        for fig in report_pages(ptcrs=ptcrs, infrastructure=infrastructure, ranges=ranges,
                                scores=scores, summary=summary, countries=countries,
                                ptcr_ids=ptcr_ids, range_fragmentation=range_fragmentation,
                                basemap=basemap, progress=progress,
                                extra_pages=extra_pages):
            pdf.savefig(fig)
            plt.close(fig)
            n += 1
    log.info("Atlas report with %d pages written to %s", n, p)
    return p
