"""The Atlas lock under fire: concurrent writers, random ``kill -9``, no lost update.

Processes come from a ``forkserver`` (a clean single-threaded parent that has imported
camigeo.atlas once), so a writer starts in milliseconds and ``kill -9`` hits it anywhere:
before, while or after it holds the lock, mid-copy, mid-write or mid-rename.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import random
import signal
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from camigeo import AtlasLockedError, atlas

pytestmark = pytest.mark.slow

WRITERS = 8
ROUNDS = 50  # lock protocol: 8 x 50 critical sections
ATLAS_ROUNDS = 8  # whole Atlas updates (each copies and rewrites the GeoPackage)


def _ctx() -> Any:
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["camigeo.atlas", "pandas", "pyogrio", "geopandas"])
    return ctx


def _resume(logp: Path) -> int:
    done = [ln for ln in (logp.read_text().splitlines() if logp.exists() else [])
            if ln.startswith("done ")]
    return int(done[-1].split()[1].split("-")[1][1:]) + 1 if done else 0


def _log(logp: Path, line: str) -> None:
    with open(logp, "a") as fh:
        fh.write(line + "\n")
        fh.flush()


def _ledger_writer(path: str, log: str, wid: int, rounds: int) -> None:
    """ROUNDS read-modify-write cycles of a JSON ledger under the Atlas lock.

    Inside the lock a marker file is created exclusively; finding a marker of a live
    process means two writers are inside at once (recorded in ``overlap``).
    """
    from camigeo.io.atomic import atomic_path

    logp, ledger = Path(log), Path(path)
    marker, overlap = ledger.with_name("inside"), ledger.with_name("overlap")
    for k in range(_resume(logp), rounds):
        run_id = f"w{wid}-r{k}-{os.getpid()}"
        _log(logp, f"start {run_id}")
        with atlas.atlas_lock(ledger, wait_s=60):
            try:
                fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                other = int(marker.read_text() or 0)
                try:
                    os.kill(other, 0)
                    _log(overlap, f"{os.getpid()} inside with {other}")
                except ProcessLookupError:  # left by a killed holder
                    pass
                marker.unlink()
                fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            entries = json.loads(ledger.read_text())
            entries.append(run_id)
            with atomic_path(ledger) as tmp:
                tmp.write_text(json.dumps(entries))
            marker.unlink()
        _log(logp, f"done {run_id}")


def _atlas_writer(path: str, log: str, wid: int, rounds: int) -> None:
    """Update the Atlas ``rounds`` times; log 'start' before and 'done' after each update."""
    logp = Path(log)
    for k in range(_resume(logp), rounds):
        run_id = f"w{wid}-r{k}-{os.getpid()}"
        _log(logp, f"start {run_id}")
        atlas.update(path, {f"w{wid}": pd.DataFrame({"round": [k], "run": [run_id]})},
                     run_id=run_id, command="stress", keep_versions=False,
                     lock_wait_s=60)
        _log(logp, f"done {run_id}")


def _hammer(tmp_path: Path, target: Any, path: Path, rounds: int, kills: int,
            read: Any) -> tuple[list[Path], int]:
    """Run WRITERS processes of ``target``; kill -9 random ones ``kills`` times, restart them;
    call ``read()`` between kills (the protected file must be readable at any moment)."""
    ctx = _ctx()
    logs = [tmp_path / f"w{i}.log" for i in range(WRITERS)]

    def start(i: int) -> Any:
        p = ctx.Process(target=target, args=(str(path), str(logs[i]), i, rounds))
        p.start()
        return p

    procs = {i: start(i) for i in range(WRITERS)}
    rng = random.Random(14)
    done_kills = reads = 0
    deadline = time.monotonic() + 600
    while True:
        for i, p in procs.items():  # a writer that ended on its own must have finished
            if not p.is_alive() and p.exitcode not in (0, -signal.SIGKILL):
                pytest.fail(f"writer {i} failed with exit code {p.exitcode}")
        live = [i for i, p in procs.items() if p.is_alive()]
        if not live:
            break
        assert time.monotonic() < deadline, "writers did not finish"
        time.sleep(rng.uniform(0.01, 0.12))
        read()
        reads += 1
        if done_kills < kills:
            i = rng.choice(live)
            try:
                os.kill(procs[i].pid, signal.SIGKILL)
            except ProcessLookupError:  # it finished during the sleep: nothing was killed
                procs[i].join()
                continue
            procs[i].join()
            if procs[i].exitcode == -signal.SIGKILL:
                done_kills += 1
                procs[i] = start(i)
    assert all(p.exitcode == 0 for p in procs.values())
    assert done_kills == kills
    return logs, reads


def _check_logs(logs: list[Path], committed: list[str], rounds: int) -> None:
    assert len(committed) == len(set(committed)), "an update was recorded twice"
    for i, logp in enumerate(logs):
        lines = logp.read_text().splitlines()
        started = {ln.split()[1] for ln in lines if ln.startswith("start ")}
        done = [ln.split()[1] for ln in lines if ln.startswith("done ")]
        mine = [r for r in committed if r.startswith(f"w{i}-")]
        assert set(done) <= set(mine), f"writer {i}: a reported update was lost"
        assert set(mine) <= started
        # every round done, retried only after a kill, in order
        got = [int(r.split("-")[1][1:]) for r in mine]
        assert got == sorted(got)
        assert sorted({int(r.split("-")[1][1:]) for r in done}) == list(range(rounds))


def test_eight_writers_fifty_rounds_with_random_kill_9(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.json"
    ledger.write_text("[]")
    logs, reads = _hammer(tmp_path, _ledger_writer, ledger, ROUNDS, 40,
                          lambda: json.loads(ledger.read_text()))
    assert reads >= 40
    assert not (tmp_path / "overlap").exists(), (tmp_path / "overlap").read_text()
    _check_logs(logs, json.loads(ledger.read_text()), ROUNDS)
    assert not (tmp_path / "ledger.json.lock").exists()


def test_eight_atlas_writers_with_random_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "atlas.gpkg"
    atlas.update(path, {"seed": pd.DataFrame({"a": [1]})}, run_id="seed")

    def read() -> None:  # the Atlas is readable at any moment
        assert atlas.history(path)["run_id"].iloc[0] == "seed"

    logs, _ = _hammer(tmp_path, _atlas_writer, path, ATLAS_ROUNDS, 10, read)
    committed = atlas.history(path)["run_id"].tolist()[1:]
    _check_logs(logs, committed, ATLAS_ROUNDS)
    for i in range(WRITERS):  # the layer holds the writer's last committed update
        mine = [r for r in committed if r.startswith(f"w{i}-")]
        assert atlas.read_atlas_layer(path, f"w{i}")["run"].tolist() == [mine[-1]]
    assert not (tmp_path / "atlas.gpkg.lock").exists()
    assert not list(tmp_path.glob(".atlas.gpkg.*"))  # no temporary copy left behind


def _one_update(path: str, n: int, started: Any) -> None:
    def hook(stage: str, tmp: Path) -> None:
        if stage == "copied":  # inside the lock, the copy made, nothing committed yet
            started.set()

    big = pd.DataFrame({"i": range(n), "t": ["x" * 40] * n})
    atlas.update(path, {"big": big, "small": pd.DataFrame({"n": [n]})},
                 run_id=f"n{n}", command="kill test", _hook=hook)


def test_fifty_random_kills_leave_the_previous_atlas_intact(tmp_path: Path) -> None:
    path = tmp_path / "atlas.gpkg"
    atlas.update(path, {"small": pd.DataFrame({"n": [0]})}, run_id="n0")
    ctx = _ctx()
    # time the rest of one update after its copy was made, to aim the kills inside it
    ev = ctx.Event()
    p = ctx.Process(target=_one_update, args=(str(path), 1, ev))
    p.start()
    assert ev.wait(60)
    t0 = time.monotonic()
    p.join()
    span = time.monotonic() - t0
    rng = random.Random(1414)
    n, kills, intact = 1, 0, 0
    runs = atlas.history(path)["run_id"].tolist()
    while kills < 50:
        before = path.read_bytes()
        runs_before = runs
        n += 1
        ev = ctx.Event()
        p = ctx.Process(target=_one_update, args=(str(path), 200 + n, ev))
        p.start()
        assert ev.wait(60)
        time.sleep(rng.uniform(0, 1.2 * span))
        try:
            os.kill(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.join()
        kills += p.exitcode == -signal.SIGKILL
        runs = atlas.history(path)["run_id"].tolist()
        if runs == runs_before:
            assert p.exitcode == -signal.SIGKILL
            assert path.read_bytes() == before  # byte for byte the previous Atlas
            intact += 1
        else:  # the kill came after the commit (or none): the whole new version is there
            assert runs == [*runs_before, f"n{200 + n}"]
            assert len(atlas.read_atlas_layer(path, "big")) == 200 + n
        assert int(atlas.read_atlas_layer(path, "small")["n"].iloc[0]) == \
            int(runs[-1][1:])
    assert intact >= 20, f"only {intact} of 50 kills landed before the commit"
    # the next writer takes over the killed writers' lock and cleans their temp copies
    atlas.update(path, {"small": pd.DataFrame({"n": [-1]})}, run_id="after")
    assert atlas.history(path)["run_id"].iloc[-1] == "after"
    assert not list(tmp_path.glob(".atlas.gpkg.*"))
    assert not (tmp_path / "atlas.gpkg.lock").exists()


def test_live_lock_is_never_broken_and_reports_its_holder(tmp_path: Path) -> None:
    path = tmp_path / "atlas.gpkg"
    lock = tmp_path / "atlas.gpkg.lock"
    with atlas.atlas_lock(path):
        info = json.loads(lock.read_text())
        assert info["pid"] == os.getpid()
        with pytest.raises(AtlasLockedError, match=r"pid \d+ .*delete the lock file"):
            with atlas.atlas_lock(path):
                pass
        assert lock.exists()
    assert not lock.exists()


def test_empty_lock_left_by_a_kill_is_recovered(tmp_path: Path) -> None:
    path = tmp_path / "atlas.gpkg"
    (tmp_path / "atlas.gpkg.lock").write_bytes(b"")
    atlas.update(path, {"a": pd.DataFrame({"x": [1]})})
    assert len(atlas.history(path)) == 1


def test_garbage_lock_left_by_a_kill_is_recovered_and_temp_copies_removed(
        tmp_path: Path) -> None:
    path = tmp_path / "atlas.gpkg"
    atlas.update(path, {"a": pd.DataFrame({"x": [1]})})
    (tmp_path / "atlas.gpkg.lock").write_bytes(b'{"pid": 99999999, "ho')
    stale = tmp_path / ".atlas.gpkg.abc.tmp.gpkg"
    stale.write_bytes(b"half a copy")
    atlas.update(path, {"a": pd.DataFrame({"x": [2]})})
    assert not stale.exists()
    assert len(atlas.history(path)) == 2


def test_wait_s_waits_for_a_live_holder(tmp_path: Path) -> None:
    path = tmp_path / "atlas.gpkg"
    ctx = _ctx()
    ready = ctx.Event()
    p = ctx.Process(target=_hold_briefly, args=(str(path), ready))
    p.start()
    assert ready.wait(30)
    t0 = time.monotonic()
    with pytest.raises(AtlasLockedError):
        with atlas.atlas_lock(path):
            pass
    with atlas.atlas_lock(path, wait_s=30):
        waited = time.monotonic() - t0
    p.join()
    assert 0.2 < waited < 30


def _hold_briefly(path: str, ready: object) -> None:
    with atlas.atlas_lock(path):
        ready.set()  # type: ignore[attr-defined]
        time.sleep(0.8)


def test_portable_link_lock_breaks_only_a_dead_holder(tmp_path: Path, monkeypatch) -> None:
    import socket
    import subprocess
    import sys

    from camigeo.io import lock as _lock

    monkeypatch.setattr(_lock, "_FORCE_LINK", True)
    path = tmp_path / "atlas.gpkg"
    lock = tmp_path / "atlas.gpkg.lock"
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True).stdout)
    lock.write_text(json.dumps({"pid": dead, "host": socket.gethostname(), "time_utc": "x"}))
    with atlas.atlas_lock(path):
        assert json.loads(lock.read_text())["pid"] == os.getpid()  # complete at once
        with pytest.raises(AtlasLockedError, match=rf"pid {os.getpid()} "):
            with atlas.atlas_lock(path):
                pass
    assert not lock.exists()
    assert not list(tmp_path.glob(".atlas.gpkg.lock.*"))
