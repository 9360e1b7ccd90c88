"""The README quick start has exactly two commands and CI runs the second one verbatim."""

from __future__ import annotations

import re

from conftest import REPO


def _quickstart_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README quick start has no ```bash block"
    return [ln.strip() for ln in block.group(1).splitlines()
            if ln.strip() and not ln.strip().startswith("#")]


def test_quickstart_has_exactly_two_commands() -> None:
    cmds = _quickstart_commands()
    assert len(cmds) == 2, cmds
    assert "camigeo run" in cmds[0]
    assert "pytest" in cmds[1]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    ci_lines = [ln.strip() for ln in ci.splitlines() if not ln.strip().startswith("#")]
    assert _quickstart_commands()[1] in ci_lines


def test_python_example_runs(tmp_path, monkeypatch) -> None:
    """The README's Python block runs as written (planned railway made up here)."""
    import geopandas as gpd
    import shapely

    text = (REPO / "README.md").read_text(encoding="utf-8")
    code = re.search(r"## Use from Python\n\n```python\n(.*?)```", text, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    planned = gpd.GeoDataFrame(
        {"name": ["synthetic planned railway"], "infra_type": ["railway"], "status": ["planned"]},
        geometry=[shapely.LineString([(104.0, 43.2), (106.5, 43.8), (108.5, 44.3)])],
        crs=4326)
    planned.to_file(tmp_path / "planned_railway.gpkg")
    ns: dict = {}
    exec(compile(code, "README.md", "exec"), ns)
    assert len(ns["summary"]) == 13
    assert (tmp_path / "map.html").stat().st_size > 10_000
    html = (tmp_path / "screening.html").read_text(encoding="utf-8")
    assert "synthetic planned railway" in html
