from __future__ import annotations

import os
import stat

import pytest

from camigeo.io.atomic import atomic_path


def test_success_replaces_and_leaves_no_temp(tmp_path) -> None:
    dest = tmp_path / "a.txt"
    dest.write_text("old")
    with atomic_path(dest) as tmp:
        assert tmp.parent == tmp_path and tmp != dest and not tmp.exists()
        tmp.write_text("new")
    assert dest.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_failure_keeps_the_old_file(tmp_path) -> None:
    dest = tmp_path / "a.txt"
    dest.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(dest, copy_existing=True) as tmp:
        assert tmp.read_text() == "old"
        tmp.write_text("half")
        raise RuntimeError("crash")
    assert dest.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_permissions_follow_destination_or_umask(tmp_path) -> None:
    dest = tmp_path / "shared.gpkg"
    dest.write_text("x")
    os.chmod(dest, 0o640)
    with atomic_path(dest, copy_existing=True) as tmp:
        tmp.write_text("y")
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640
    new = tmp_path / "new.txt"
    umask = os.umask(0o022)
    try:
        with atomic_path(new) as tmp:
            tmp.write_text("z")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o644
