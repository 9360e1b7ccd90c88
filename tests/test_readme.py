"""The README runs verbatim: every Python block (in order, one namespace) and every shell
block (except installing and the test suite itself, which is what is running)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest
from conftest import REPO


def _readme() -> str:
    return (REPO / "README.md").read_text(encoding="utf-8")


def _quickstart_commands() -> list[str]:
    section = _readme().split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README quick start has no ```bash block"
    return [ln.strip() for ln in block.group(1).splitlines()
            if ln.strip() and not ln.strip().startswith("#")]


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", _readme(), re.S)


def test_quickstart_has_exactly_two_commands() -> None:
    cmds = _quickstart_commands()
    assert len(cmds) == 2, cmds
    assert "camigeo run" in cmds[0]
    assert "pytest" in cmds[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    ci_lines = [ln.strip() for ln in ci.splitlines() if not ln.strip().startswith("#")]
    assert _quickstart_commands()[1] in ci_lines


def test_python_blocks_run_verbatim(tmp_path, monkeypatch) -> None:
    """Every ```python block, in order, in one namespace, from an empty folder."""
    blocks = _blocks("python")
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)
    ns: dict = {"__name__": "__readme__"}
    for i, code in enumerate(blocks):
        exec(compile(code, f"README.md python block {i + 1}", "exec"), ns)
    assert len(ns["summary"]) == 13
    assert (tmp_path / "map.html").stat().st_size > 10_000
    html = (tmp_path / "screening.html").read_text(encoding="utf-8")
    assert "WP 21.5" in html and "SCHEMATIC" in html
    events = ns["layers"]["barrier_events"]
    assert {"Quick_Cross", "Bounce"} <= set(events["eventTYPE"])


def _shell_commands() -> list[str]:
    cmds = []
    for block in _blocks("bash"):
        for ln in block.splitlines():
            ln = ln.strip()
            if not ln or ln.startswith("#"):
                continue
            for part in ln.split("&&"):
                part = part.strip()
                # installing and the test suite itself are what CI does around this test
                if part.startswith("python -m pip install") or "pytest" in part:
                    continue
                cmds.append(part)
    return cmds


@pytest.mark.slow
def test_shell_blocks_run_verbatim(tmp_path) -> None:
    """Every shell command of the README, from a folder that looks like a fresh clone."""
    if shutil.which("camigeo") is None:
        pytest.skip("the camigeo console script is not installed")
    (tmp_path / "data").symlink_to(REPO / "data")
    env = {**os.environ, "PYTHONPATH": str(REPO), "MPLBACKEND": "Agg"}
    cmds = _shell_commands()
    assert "camigeo run" in cmds
    assert any("--tracks data/tracks/collars_synthetic.csv" in c for c in cmds)
    for cmd in cmds:
        argv = shlex.split(cmd)
        if argv[0] == "camigeo":
            argv = [sys.executable, "-c", "import sys; from camigeo.cli import main; "
                    "main(sys.argv[1:])", *argv[1:]]
        res = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=900)
        assert res.returncode == 0, (cmd, res.stdout[-2000:], res.stderr[-2000:])
    assert (tmp_path / "outputs" / "map.html").is_file()
    assert (tmp_path / "outputs" / "atlas_report.pdf").is_file()
    md = (tmp_path / "outputs" / "tracks" / "summary.md").read_text(encoding="utf-8")
    assert "| telemetry | ok |" in md
