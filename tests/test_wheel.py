"""The bundled data works from an installed wheel (not only from a source checkout).

Builds the wheel with pip (hatchling backend, no build isolation, no network), installs it
with ``pip install --no-deps --target`` into a temporary folder and, in a fresh interpreter
whose working directory is outside the repository and whose ``sys.path`` starts with that
folder, loads every bundled layer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import camigeo
from camigeo import datasets
out = {"camigeo_file": camigeo.__file__, "data_dir": str(datasets.data_dir())}
out["counts"] = {
    "countries": len(datasets.load_countries()),
    "borders": len(datasets.load_borders()),
    "ptcr": len(datasets.load_ptcrs()),
    "species": len(datasets.load_species()),
    "ranges": len(datasets.load_ranges(range_filter="none")),
    "infrastructure": len(datasets.load_infrastructure()),
}
out["available"] = {r.name: int(r.features) for r in datasets.available().itertuples()}
out["resolve"] = camigeo.resolve_species("Panthera uncia")
print(json.dumps(out))
"""


@pytest.mark.slow
def test_bundled_data_loads_from_installed_wheel(tmp_path):
    wheels, target, work = tmp_path / "wheels", tmp_path / "site", tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("CAMIGEO_DATA_DIR", "PYTHONPATH")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(wheels), str(REPO)], check=True, env=env, cwd=work,
                   capture_output=True)
    (wheel,) = wheels.glob("camigeo-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, env=env, cwd=work,
                   capture_output=True)
    assert (target / "camigeo" / "_bundled_data" / "ptcr" / "ptcr.gpkg").is_file()
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(target)], env=env, cwd=work,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(out["camigeo_file"]).is_relative_to(target)
    assert Path(out["data_dir"]) == target / "camigeo" / "_bundled_data"
    manifest = {}
    for folder in ("borders", "ptcr", "species_ranges", "infrastructure"):
        manifest[folder] = json.loads((REPO / "data" / folder / "MANIFEST.json").read_text())
    layers = {f: {n: m["features"] for rec in manifest[f]["files"]
                  for n, m in rec.get("layers", {}).items()} for f in manifest}
    expected = {"countries": layers["borders"]["countries"],
                "borders": layers["borders"]["borders"], "ptcr": 13, "species": 17,
                "ranges": layers["species_ranges"]["ranges"],
                "infrastructure": layers["infrastructure"]["infrastructure"]}
    assert out["counts"] == expected
    assert out["available"] == expected
    assert out["resolve"] == "Uncia uncia"
