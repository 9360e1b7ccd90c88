"""Circuitscape.jl verification cases run through camigeo.circuit.run_ini.

Reproduces the upstream harness (test/runtests.jl, test_utils.jl): each case is run with
``cg+amg``, SuperLU and ``auto`` (CHOLMOD when installed), overriding the INI. Resistance
matrices are compared element-wise within sqrt(1e-6) = 1e-3 (header row and column
included); grids (.asc, 6 header lines skipped) by sum of squared differences < 1e-6 with
NODATA cells matching exactly; network text files after sorting rows. Every ``<case>_*``
grid or text file we write must have an expected counterpart. Cases are discovered from
the INI files under ``input/``, so new cases dropped into the folder are run too.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from camigeo.circuit import run_ini

CS = "circuitscape/Circuitscape_jl"


def _cases() -> list[str]:
    from conftest import REFERENCE  # tests/conftest.py

    root = REFERENCE / CS / "input"
    if not root.is_dir():
        return ["missing"]
    return sorted(str(p.relative_to(root.parent)) for p in root.rglob("*.ini"))


def _load(p: Path, skip: int) -> np.ndarray:
    return np.loadtxt(p, skiprows=skip, ndmin=2)


def _sorted_rows(a: np.ndarray) -> np.ndarray:
    return a[np.lexsort(a.T[::-1])]


@pytest.fixture(scope="module")
def workdir(reference_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = reference_dir / CS
    if not src.is_dir():
        pytest.skip(f"{src} not found")
    dst = tmp_path_factory.mktemp("cs") / "Circuitscape_jl"
    shutil.copytree(src, dst)
    return dst


@pytest.mark.reference
@pytest.mark.filterwarnings("ignore::camigeo.CamigeoWarning")
@pytest.mark.parametrize("solver", ["cg+amg", "splu", "auto"])
@pytest.mark.parametrize("ini", _cases())
def test_circuitscape_case(ini: str, solver: str, workdir: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    if ini == "missing":
        pytest.skip("reference data missing")
    case = Path(ini).stem
    out = workdir / f"output_{solver.replace('+', '_')}"
    out.mkdir(exist_ok=True)
    monkeypatch.chdir(workdir)
    run_ini(workdir / ini, output_dir=out, solver=solver)
    expected_dir = workdir / "output_verify"

    exp_res = expected_dir / f"{case}_resistances.out"
    got_res = out / f"{case}_resistances.out"
    if exp_res.exists():
        assert got_res.exists(), f"{case}: no resistances written"
        a, b = _load(exp_res, 0), _load(got_res, 0)
        assert a.shape == b.shape, f"{case}: resistance matrix {b.shape} != {a.shape}"
        assert np.max(np.abs(a - b)) <= 1e-3, f"{case}: resistances differ\n{a}\n{b}"

    written = sorted(p for p in out.glob(f"{case}_*") if p.suffix in (".asc", ".txt"))
    for f in written:
        e = expected_dir / f.name
        assert e.exists(), f"{case}: wrote {f.name}, which has no expected counterpart"
        if f.suffix == ".asc":
            a, b = _load(e, 6), _load(f, 6)
            assert a.shape == b.shape, f.name
            assert np.array_equal(a == -9999, b == -9999), f"{f.name}: NODATA cells differ"
            ssd = float(np.sum((a - b) ** 2))
        else:
            a, b = _sorted_rows(_load(e, 0)), _sorted_rows(_load(f, 0))
            assert a.shape == b.shape, f"{f.name}: {b.shape} rows != {a.shape}"
            ssd = float(np.sum((a - b) ** 2))
        assert ssd < 1e-6, f"{f.name}: sum of squared differences {ssd:.3g}"
    # a run that writes maps must write at least the maps that the INI asks for
    text = (workdir / ini).read_text().lower().replace(" ", "")
    if "write_cur_maps=true" in text and (expected_dir / f"{case}_resistances.out").exists():
        assert written, f"{case}: write_cur_maps is True but no map was written"
