"""Logging of the ``camigeo`` commands: one handler writing through tqdm, warnings as log lines.

Shared by :mod:`camigeo.cli` and :mod:`camigeo.activities.cli` (a base module: no camigeo
imports).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

__all__ = ["setup_cli_logging"]


class _TqdmHandler(logging.Handler):
    """Log through tqdm.write so messages do not break progress bars."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            from tqdm import tqdm

            tqdm.write(self.format(record), file=sys.stderr)
        except Exception:  # noqa: BLE001 - logging must never raise
            self.handleError(record)


def setup_cli_logging(quiet: bool) -> None:
    """Send camigeo log lines to stderr through tqdm (INFO, or WARNING with ``quiet``)."""
    logger = logging.getLogger("camigeo")
    for h in list(logger.handlers):
        if getattr(h, "_camigeo_cli", False):
            logger.removeHandler(h)
    h = _TqdmHandler()
    h._camigeo_cli = True  # type: ignore[attr-defined]
    h.setFormatter(logging.Formatter("%(levelname)s %(message)s" if quiet
                                     else "%(asctime)s %(message)s", "%H:%M:%S"))
    logger.addHandler(h)
    logger.setLevel(logging.WARNING if quiet else logging.INFO)
    logger.propagate = False
    # Python warnings (e.g. CamigeoWarning on duplicated fixes) as one log line each,
    # without the file:line and source excerpt of the default display
    import warnings

    warnings.showwarning = _show_warning


def _show_warning(message: Warning | str, category: type[Warning], filename: str,
                  lineno: int, file: Any = None, line: str | None = None) -> None:
    logging.getLogger("camigeo").warning("%s: %s", category.__name__, message)
