"""Exception and warning classes raised by camigeo.

Every error camigeo raises on bad input is a :class:`CamigeoError` (a ``ValueError``),
so user code can catch one type. Messages name the file, layer, column or parameter,
say what was expected and what arrived, and how to fix it.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "CamigeoError",
    "ValidationError",
    "CRSError",
    "SchemaError",
    "GeometryError",
    "DataNotFoundError",
    "UnknownSpeciesError",
    "OptionalDependencyError",
    "AtlasLockedError",
    "CamigeoWarning",
]


class CamigeoError(ValueError):
    """Base class of every error camigeo raises on bad input or an impossible analysis."""


class ValidationError(CamigeoError):
    """A layer failed validation; ``problems`` lists every problem found.

    Parameters
    ----------
    problems : iterable of str
        One human-readable sentence per problem.
    source : str, optional
        What was validated (file path and layer, or a parameter name).
    """

    def __init__(self, problems: Iterable[str], *, source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        if len(self.problems) == 1:
            msg = f"{head}{self.problems[0]}"
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            msg = f"{head}{len(self.problems)} problems found:\n{lines}"
        super().__init__(msg)


class CRSError(CamigeoError):
    """Missing, mismatched or unsuitable coordinate reference system."""


class SchemaError(CamigeoError):
    """Missing or wrong-typed columns, unknown category values, duplicate ids."""


class GeometryError(CamigeoError):
    """Wrong geometry type, empty or invalid geometry."""


class DataNotFoundError(CamigeoError, FileNotFoundError):
    """A file, layer or bundled data set does not exist."""


class UnknownSpeciesError(CamigeoError, KeyError):
    """A species name does not resolve through the CMS/IUCN synonym table."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class OptionalDependencyError(CamigeoError, ImportError):
    """An optional dependency is missing; the message says which extra installs it."""


class AtlasLockedError(CamigeoError):
    """Another process holds the write lock of an Atlas GeoPackage."""


class CamigeoWarning(UserWarning):
    """A recoverable assumption camigeo made (repaired geometry, dropped rows, ...)."""
