"""Atomic file replacement shared by every writer (layers, rasters, HTML, reports).

A writer produces its output under a temporary name in the destination folder and the
file is moved over the destination with :func:`os.replace` only after it was written
completely and flushed, so a crash or ``kill -9`` never leaves a half-written file
behind: readers see either the old file or the new one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "fsync_path"]


def fsync_path(path: str | os.PathLike[str]) -> None:
    """Flush a file (and its folder entry) to disk, ignoring platforms that refuse."""
    with contextlib.suppress(OSError):
        fd = os.open(os.fspath(path), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _set_final_mode(tmp: Path, dest: Path) -> None:
    """Give the new file the destination's permissions, or the umask default (not 0600)."""
    if not tmp.exists():
        return
    if dest.exists():
        shutil.copymode(dest, tmp)
    else:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)


@contextlib.contextmanager
def atomic_path(
    path: str | os.PathLike[str], *, copy_existing: bool = False
) -> Iterator[Path]:
    """Yield a temporary path that replaces ``path`` atomically on success.

    Parameters
    ----------
    path : str or path-like
        Final destination.
    copy_existing : bool, default False
        Start the temporary file as a copy of the existing destination (to add a layer
        to a GeoPackage, say) instead of as a new file.

    Yields
    ------
    pathlib.Path
        Temporary file in the same folder; write the complete output there.
    """
    dest = Path(path)
    try:
        if dest.is_dir():
            raise IsADirectoryError(21, "is a folder")
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp" + dest.suffix,
                                        dir=dest.parent)
    except OSError as exc:
        from .._errors import CamigeoError

        raise CamigeoError(
            f"cannot write {dest}: {exc.strerror or exc} in {dest.parent}. Choose an output "
            f"path in a folder you can write to (and not the name of a folder).") from None
    os.close(fd)
    tmp = Path(tmp_name)
    if copy_existing and dest.exists():
        shutil.copyfile(dest, tmp)
    else:
        tmp.unlink()
    try:
        yield tmp
        _set_final_mode(tmp, dest)
        fsync_path(tmp)
        os.replace(tmp, dest)
        fsync_path(dest.parent)
    finally:
        for leftover in (tmp, Path(str(tmp) + "-journal"), Path(str(tmp) + "-wal"),
                         Path(str(tmp) + "-shm")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
