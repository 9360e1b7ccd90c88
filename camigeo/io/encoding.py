"""Text encodings of user files: detect UTF-8 / UTF-16 / CP1251 / Latin-1, or say why not.

Field teams in Central Asia export CSV files from spreadsheets set to Russian (CP1251) or
Western (Latin-1) code pages. :func:`detect_encoding` looks at the first megabytes of a
file: a byte-order mark decides; text that decodes as UTF-8 is UTF-8; otherwise runs of
consecutive high bytes (whole Cyrillic words) mean CP1251, isolated high bytes between
ASCII letters (accents in Latin words) mean Latin-1. A file that is not text at all (NUL
bytes) is refused with the file name.
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path

from .._errors import CamigeoError

__all__ = ["decode_error", "detect_encoding"]

_SAMPLE = 4 << 20  # bytes looked at


def detect_encoding(path: str | os.PathLike[str], *, what: str = "file") -> str:
    """Return the encoding of a text file (a Python codec name).

    Parameters
    ----------
    path : path
        The file.
    what : str
        What the file is, named in messages (e.g. ``"Movebank CSV"``).

    Returns
    -------
    str
        ``"utf-8-sig"``, ``"utf-16"``, ``"utf-8"``, ``"cp1251"`` or ``"latin-1"``.

    Raises
    ------
    CamigeoError
        The file is binary (NUL bytes that are not UTF-16).
    """
    with open(path, "rb") as fh:
        head = fh.read(_SAMPLE)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    nul = head.find(b"\x00")
    if nul >= 0:
        raise CamigeoError(
            f"{path}: this {what} is not text (it contains NUL bytes at offset "
            f"{nul}); it may be a spreadsheet (.xlsx), a compressed file or "
            f"corrupt. Save it as CSV (UTF-8) and read that file.")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < _SAMPLE)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    high = [i for i, b in enumerate(head) if b >= 0x80]
    paired = sum(1 for k, i in enumerate(high)
                 if (k and high[k - 1] == i - 1) or (k + 1 < len(high) and high[k + 1] == i + 1))
    return "cp1251" if paired >= 0.5 * len(high) else "latin-1"


def decode_error(path: str | os.PathLike[str], encoding: str, exc: UnicodeDecodeError,
                 *, what: str = "file") -> CamigeoError:
    """Build the error for bytes that do not decode (file, encoding tried, offset, fix)."""
    return CamigeoError(
        f"{Path(path)}: this {what} cannot be read as {encoding} (byte "
        f"0x{exc.object[exc.start]:02x} at offset {exc.start} of the block being decoded is "
        f"not valid {encoding}). Pass the "
        f"file's encoding, e.g. encoding='cp1251' (Russian Windows) or 'latin-1', or save "
        f"the file as UTF-8.")
