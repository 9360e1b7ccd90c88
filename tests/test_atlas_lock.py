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

import pandas as pd
import pytest

from camigeo import AtlasLockedError, atlas

pytestmark = pytest.mark.slow

WRITERS = 8
ROUNDS = 50


def _ctx() -> mp.context.BaseContext:
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["camigeo.atlas", "pandas", "pyogrio", "geopandas"])
    return ctx


def _writer(path: str, log: str, wid: int) -> None:
    """Update the Atlas ROUNDS times; log 'start' before and 'done' after each update."""
    logp = Path(log)
    done = [ln for ln in (logp.read_text().splitlines() if logp.exists() else [])
            if ln.startswith("done ")]
    first = int(done[-1].split()[1].split("-")[1][1:]) + 1 if done else 0
    for k in range(first, ROUNDS):
        run_id = f"w{wid}-r{k}-{os.getpid()}"
        with open(logp, "a") as fh:
            fh.write(f"start {run_id}\n")
            fh.flush()
        atlas.update(path, {f"w{wid}": pd.DataFrame({"round": [k], "run": [run_id]})},
                     run_id=run_id, command="stress", keep_versions=False,
                     lock_wait_s=60)
        with open(logp, "a") as fh:
            fh.write(f"done {run_id}\n")
            fh.flush()


def test_eight_writers_fifty_rounds_with_random_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "atlas.gpkg"
    atlas.update(path, {"seed": pd.DataFrame({"a": [1]})}, run_id="seed")
    ctx = _ctx()
    logs = [tmp_path / f"w{i}.log" for i in range(WRITERS)]
    procs = {i: ctx.Process(target=_writer, args=(str(path), str(logs[i]), i))
             for i in range(WRITERS)}
    for p in procs.values():
        p.start()
    rng = random.Random(14)
    kills = reads = 0
    deadline = time.monotonic() + 300
    while True:
        live = [i for i, p in procs.items() if p.is_alive()]
        for i, p in procs.items():  # a writer that ended on its own must have finished
            if not p.is_alive() and p.exitcode not in (0, -signal.SIGKILL):
                pytest.fail(f"writer {i} failed with exit code {p.exitcode}")
        if not live:
            break
        assert time.monotonic() < deadline, "writers did not finish"
        time.sleep(rng.uniform(0.02, 0.25))
        # the Atlas is readable at any moment
        hist = atlas.history(path)
        assert hist["run_id"].iloc[0] == "seed"
        reads += 1
        if kills < 40 and live:
            i = rng.choice(live)
            os.kill(procs[i].pid, signal.SIGKILL)
            procs[i].join()
            kills += 1
            procs[i] = ctx.Process(target=_writer, args=(str(path), str(logs[i]), i))
            procs[i].start()
    assert all(p.exitcode == 0 for p in procs.values())
    assert kills == 40 and reads > 40

    committed = atlas.history(path)["run_id"].tolist()[1:]
    assert len(committed) == len(set(committed)), "an update was recorded twice"
    for i in range(WRITERS):
        lines = logs[i].read_text().splitlines()
        started = {ln.split()[1] for ln in lines if ln.startswith("start ")}
        done = [ln.split()[1] for ln in lines if ln.startswith("done ")]
        mine = [r for r in committed if r.startswith(f"w{i}-")]
        assert set(done) <= set(mine), f"writer {i}: a reported update was lost"
        assert set(mine) <= started
        # every round done exactly once or retried after a kill, in order
        rounds = [int(r.split("-")[1][1:]) for r in mine]
        assert rounds == sorted(rounds)
        assert sorted({int(r.split("-")[1][1:]) for r in done}) == list(range(ROUNDS))
        # the layer holds the writer's last committed update
        layer = atlas.read_atlas_layer(path, f"w{i}")
        assert layer["run"].tolist() == [mine[-1]]
    assert not (tmp_path / "atlas.gpkg.lock").exists()
    assert not list(tmp_path.glob(".atlas.gpkg.*"))  # no temporary copy left behind


def _one_update(path: str, n: int) -> None:
    big = pd.DataFrame({"i": range(n), "t": ["x" * 40] * n})
    atlas.update(path, {"big": big, "small": pd.DataFrame({"n": [n]})},
                 run_id=f"n{n}", command="kill test")


def test_fifty_random_kills_leave_the_previous_atlas_intact(tmp_path: Path) -> None:
    path = tmp_path / "atlas.gpkg"
    atlas.update(path, {"small": pd.DataFrame({"n": [0]})}, run_id="n0")
    ctx = _ctx()
    # time one update to aim the kills inside it
    t0 = time.monotonic()
    p = ctx.Process(target=_one_update, args=(str(path), 1))
    p.start()
    p.join()
    span = time.monotonic() - t0
    rng = random.Random(1414)
    n, intact, committed = 1, 0, 1
    for _ in range(50):
        before = path.read_bytes()
        runs_before = atlas.history(path)["run_id"].tolist()
        n += 1
        p = ctx.Process(target=_one_update, args=(str(path), 2000 + n))
        p.start()
        time.sleep(rng.uniform(0, span))
        os.kill(p.pid, signal.SIGKILL)
        p.join()
        runs = atlas.history(path)["run_id"].tolist()
        if runs == runs_before:
            assert path.read_bytes() == before  # byte for byte the previous Atlas
            intact += 1
        else:  # the kill came after the commit: the whole new version is there
            assert runs == [*runs_before, f"n{2000 + n}"]
            assert len(atlas.read_atlas_layer(path, "big")) == 2000 + n
            committed += 1
        assert int(atlas.read_atlas_layer(path, "small")["n"].iloc[0]) == \
            int(runs[-1][1:])
    assert intact >= 25, f"only {intact} of 50 kills landed before the commit"
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

    from camigeo import _lock

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
