"""An inter-process write lock that appears complete or not at all.

:func:`hold_lock` takes an operating-system lock (``fcntl.flock``) on a lock file. The kernel
grants it atomically to one process and releases it when that process ends, however it ends,
so

* there is no window in which a second writer sees a half-written lock: the lock *is* the
  kernel lock, the file content (pid, host, time) only feeds the messages;
* a stale lock is provably stale: a killed holder no longer holds the kernel lock, and the
  next writer gets it without deleting anything another process might hold;
* an empty or truncated lock file left by a kill is simply locked and reused.

A holder that finishes deletes the file *before* it releases the lock; a writer that got the
lock on a file that has since been deleted or replaced (``fstat`` and ``stat`` disagree) lets
go and tries again, so two writers never hold locks on two different files of the same name.

Without ``fcntl`` (Windows) the lock file is written completely under a temporary name and
hard-linked into place (``os.link`` fails when the lock exists), so it also appears complete
or not at all; a lock whose process no longer runs on this host is broken by renaming it to
a unique name and checking that the renamed file is the one found stale.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .._errors import AtlasLockedError

try:  # pragma: no cover - import guard
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["hold_lock", "read_lock_info"]

log = logging.getLogger(__name__)

#: Poll interval while waiting for a live lock, seconds.
_POLL_S = 0.05
#: Force the portable link-based protocol (tests exercise it on POSIX too).
_FORCE_LINK = False


def _info() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname(),
            "time_utc": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}


def read_lock_info(lock: str | os.PathLike[str]) -> dict[str, Any]:
    """Content of a lock file (``pid``, ``host``, ``time_utc``), ``{}`` if absent or unreadable."""
    try:
        data = json.loads(Path(lock).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OverflowError:
        return False
    return True


def _locked_error(lock: Path, what: str) -> AtlasLockedError:
    info = read_lock_info(lock)
    if info.get("pid") is not None:
        return AtlasLockedError(
            f"{what} is being updated by another process (pid {info.get('pid')} on host "
            f"{info.get('host')}, since {info.get('time_utc')}). Wait for it to finish and "
            f"retry; if that process is gone, delete the lock file {lock} and retry.")
    return AtlasLockedError(
        f"{what} is being updated by another process (it holds the lock {lock} and is "
        f"writing its details). Wait for it to finish and retry; if that process is gone, "
        f"delete the lock file {lock} and retry.")


@contextlib.contextmanager
def hold_lock(lock: str | os.PathLike[str], *, what: str, wait_s: float = 0.0,
              on_stale: Callable[[], None] | None = None) -> Iterator[Path]:
    """Hold an exclusive inter-process lock on ``lock`` for a ``with`` block.

    Parameters
    ----------
    lock : path
        The lock file (created; deleted again when the block ends).
    what : str
        What the lock protects, named in messages (e.g. ``"Atlas out/atlas.gpkg"``).
    wait_s : float, default 0
        Seconds to wait for a live holder before giving up.
    on_stale : callable, optional
        Called (with the lock held) when the lock was left by a writer that was killed,
        e.g. to remove its temporary files.

    Raises
    ------
    AtlasLockedError
        Another live process holds the lock.
    """
    path = Path(lock)
    if fcntl is None or _FORCE_LINK:
        with _hold_link(path, what=what, wait_s=wait_s, on_stale=on_stale):
            yield path
        return
    deadline = time.monotonic() + max(0.0, float(wait_s))
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() >= deadline:
                raise _locked_error(path, what) from None
            time.sleep(_POLL_S)
            continue
        except BaseException:
            os.close(fd)
            raise
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the holder we waited for deleted this file: lock the new one
    try:
        left = os.read(fd, 4096)
        if left.strip():
            try:
                old = json.loads(left.decode("utf-8", "replace"))
            except ValueError:
                old = {}
            log.warning("taking over the lock %s of %s left by a killed writer (pid %s)",
                        path, what, old.get("pid") if isinstance(old, dict) else "?")
            if on_stale is not None:
                on_stale()
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(_info()).encode("utf-8"))
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # before the unlock, so a waiter re-checks the inode
        os.close(fd)  # releases the kernel lock


@contextlib.contextmanager
def _hold_link(path: Path, *, what: str, wait_s: float,
               on_stale: Callable[[], None] | None) -> Iterator[None]:
    deadline = time.monotonic() + max(0.0, float(wait_s))
    host = socket.gethostname()
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.new")
    tmp.write_text(json.dumps(_info()), encoding="utf-8")
    try:
        while True:
            try:
                os.link(tmp, path)
                break
            except FileExistsError:
                pass
            info = read_lock_info(path)
            pid = info.get("pid")
            if isinstance(pid, int) and info.get("host") == host and not _pid_alive(pid):
                # move the stale lock aside; keep it only if it is still the stale one
                aside = path.with_name(f".{path.name}.{uuid.uuid4().hex}.stale")
                with contextlib.suppress(FileNotFoundError):
                    os.rename(path, aside)
                    if read_lock_info(aside) != info:  # a live lock replaced it meanwhile
                        with contextlib.suppress(FileExistsError):
                            os.link(aside, path)
                    else:
                        log.warning("removed the stale lock %s of %s (process %d no longer "
                                    "runs)", path, what, pid)
                        if on_stale is not None:
                            on_stale()
                    aside.unlink()
                continue
            if time.monotonic() >= deadline:
                raise _locked_error(path, what)
            time.sleep(_POLL_S)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
