"""Optional-import helper that fails with an install hint."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from ._errors import OptionalDependencyError

__all__ = ["import_optional", "cholmod_cholesky"]


def import_optional(name: str, *, extra: str, purpose: str = "") -> ModuleType:
    """Import an optional dependency or raise a clear error naming the extra.

    Parameters
    ----------
    name : str
        Module to import, e.g. ``"pyrosm"``.
    extra : str
        The camigeo extra that installs it, e.g. ``"osm"``.
    purpose : str, optional
        What needs it, for the message.

    Returns
    -------
    module
        The imported module.

    Raises
    ------
    OptionalDependencyError
        When the import fails.
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        why = f" for {purpose}" if purpose else ""
        raise OptionalDependencyError(
            f"The optional package '{name}' is needed{why} but could not be imported ({exc}). "
            f"Install it with: pip install 'camigeo[{extra}]'"
        ) from exc


def cholmod_cholesky() -> Any:
    """``sksparse.cholmod.cholesky`` if scikit-sparse is installed, else None."""
    try:
        from sksparse.cholmod import cholesky
    except ImportError:
        return None
    return cholesky
