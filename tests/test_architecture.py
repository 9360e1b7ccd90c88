"""Import contract of the package (issue #17), checked by walking the AST of camigeo/.

Rules (see docs/architecture.md):

1. no import cycles between modules -- imports inside functions count too; only
   ``camigeo/__init__.py`` (the lazy public table) is left out of the graph;
2. no module imports a private name (``from x import _name``) from another module, and a
   private module (``_x.py``) is imported only by its own package; ``camigeo._errors``,
   ``camigeo._compat`` and ``camigeo._version`` are shared by all;
3. layers: base (``_errors``, ``_compat``, ``_version``, ``scale``) <- ``io`` <- ``datasets``
   <- analyses (``barriers``, ``corridors``, ``circuit``, ``telemetry``) <- ``atlas`` <- ``cli``;
   a module imports only from its own layer or below;
4. every ``camigeo.<x>`` import names a module or package that exists (the compatibility
   aliases of moved modules, ``camigeo.crs`` etc., are for users, not for the package).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "camigeo"

BASE = {"_errors", "_compat", "_version", "_cli_logging", "scale"}
LAYERS = {"io": 1, "datasets": 2, "barriers": 3, "corridors": 3, "circuit": 3, "telemetry": 3,
          "atlas": 4, "activities": 4, "cli": 5}
SHARED_PRIVATE = {"_errors", "_compat", "_version", "_cli_logging"}


def _modules(root: Path) -> dict[str, Path]:
    pkg = root.name
    out = {}
    for f in sorted(root.rglob("*.py")):
        parts = [pkg, *f.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def _imports(mod: str, path: Path, modules: dict[str, Path]) -> Iterator[tuple[str, str, int]]:
    """Yield (target module, imported name or "", line) for every import in ``path``."""
    is_pkg = path.name == "__init__.py"
    here = mod.split(".") if is_pkg else mod.split(".")[:-1]
    root = mod.split(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == root:
                    yield alias.name, "", node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
                if target.split(".")[0] != root:
                    continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in modules:  # "from pkg import submodule"
                    yield sub, "", node.lineno
                else:
                    yield target, alias.name, node.lineno
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and node.args[0].value.split(".")[0] == root):
            yield node.args[0].value, "", node.lineno


def _layer(mod: str) -> int | None:
    parts = mod.split(".")
    if len(parts) < 2:
        return None
    if parts[1] in BASE:
        return 0
    return LAYERS.get(parts[1])


def _package(mod: str, modules: dict[str, Path]) -> str:
    return mod if modules[mod].name == "__init__.py" else mod.rpartition(".")[0]


def check(root: Path) -> list[str]:
    """All violations of the import contract in the package at ``root`` (empty = clean)."""
    modules = _modules(root)
    top = root.name
    problems: list[str] = []
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for mod, path in modules.items():
        if mod == top:
            continue  # camigeo/__init__.py: the lazy public table
        where = f"{path.relative_to(root.parent)}"
        for target, name, line in _imports(mod, path, modules):
            if target not in modules:
                problems.append(f"{where}:{line}: imports {target!r}, which is not a module of "
                                f"the package (moved? see docs/architecture.md)")
                continue
            if target != top:
                graph[mod].add(target)
            if name.startswith("_") and not name.startswith("__") and target != mod:
                problems.append(f"{where}:{line}: imports private name {name!r} from {target}")
            leaf = target.rpartition(".")[2]
            if (leaf.startswith("_") and leaf not in SHARED_PRIVATE
                    and target.rpartition(".")[0] != _package(mod, modules)):
                problems.append(f"{where}:{line}: imports private module {target} from outside "
                                f"its package")
            lo, hi = _layer(mod), _layer(target)
            if lo is not None and hi is not None and hi > lo:
                problems.append(f"{where}:{line}: {mod} (layer {lo}) imports {target} "
                                f"(layer {hi}): upward import")
    for cycle in _cycles(graph):
        problems.append("import cycle: " + " -> ".join([*cycle, cycle[0]]))
    return problems


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (or a self-import)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan; the graph is small, recursion is fine
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_camigeo_keeps_the_import_contract():
    problems = check(ROOT)
    assert problems == [], "\n".join(problems)


def test_every_subpackage_has_a_layer():
    """A new top-level folder must be placed in LAYERS, or the contract would skip it."""
    folders = {p.name for p in ROOT.iterdir()
               if p.is_dir() and (p / "__init__.py").is_file() and not p.name.startswith("_")}
    assert folders - set(LAYERS) == set()


def test_every_module_is_in_a_layer():
    for mod in _modules(ROOT):
        if mod != "camigeo":
            assert _layer(mod) is not None, f"{mod}: add it to a layer in docs/architecture.md"


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "camigeo"
    for rel, text in files.items():
        f = root / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text, encoding="utf-8")
    return root


def test_checker_accepts_a_clean_tree(tmp_path):
    root = _tree(tmp_path, {
        "__init__.py": "from .io.layers import read\n",
        "_errors.py": "",
        "scale.py": "from ._errors import E\n",
        "io/__init__.py": "", "io/layers.py": "from .._errors import E\ndef read(): pass\n",
        "corridors/__init__.py": "from .cost import run\n",
        "corridors/_kernels.py": "",
        "corridors/cost.py": "from . import _kernels\nfrom ..io.layers import read\n"
                             "def run():\n    from ..scale import x\n",
        "corridors/dask.py": "from .cost import run\n",
    })
    assert check(root) == []


@pytest.mark.parametrize(("files", "expected"), [
    ({"a.py": "def f():\n    from .b import g\n", "b.py": "from .a import f\n"},
     "import cycle: camigeo.a -> camigeo.b -> camigeo.a"),
    ({"a.py": "from .b import _helper\n", "b.py": ""},
     "imports private name '_helper' from camigeo.b"),
    ({"corridors/__init__.py": "", "corridors/_kernels.py": "", "circuit/__init__.py": "",
      "circuit/x.py": "from ..corridors import _kernels\n"},
     "imports private module camigeo.corridors._kernels from outside its package"),
    ({"io/__init__.py": "", "io/crs.py": "import camigeo.atlas.maps\n", "atlas/__init__.py": "",
      "atlas/maps.py": ""},
     "camigeo.io.crs (layer 1) imports camigeo.atlas.maps (layer 4): upward import"),
    ({"scale.py": "def f():\n    from .circuit.solve import x\n", "circuit/__init__.py": "",
      "circuit/solve.py": ""},
     "camigeo.scale (layer 0) imports camigeo.circuit.solve (layer 3): upward import"),
    ({"barriers/__init__.py": "", "barriers/x.py": "from ..crs import GEOD\n"},
     "imports 'camigeo.crs', which is not a module"),
    ({"barriers/__init__.py": "",
      "barriers/x.py": "import importlib\nm = importlib.import_module('camigeo.cli')\n",
      "cli.py": ""},
     "camigeo.barriers.x (layer 3) imports camigeo.cli (layer 5): upward import"),
    ({"circuit/__init__.py": "from .modes import f\n",
      "circuit/modes.py": "def f():\n    from .dask import g\n",
      "circuit/dask.py": "from .modes import f\ndef g(): pass\n"},
     "import cycle: camigeo.circuit.dask -> camigeo.circuit.modes -> camigeo.circuit.dask"),
])
def test_checker_finds_each_kind_of_violation(tmp_path, files, expected):
    root = _tree(tmp_path, {"__init__.py": "", **files})
    problems = check(root)
    assert any(expected in p for p in problems), problems


def test_old_module_paths_are_aliases_of_the_moved_modules():
    import importlib

    import camigeo

    for old, new in camigeo._MOVED.items():
        moved = importlib.import_module(f"camigeo.{new}")
        assert importlib.import_module(f"camigeo.{old}") is moved
        assert getattr(camigeo, old) is moved
        assert moved.__spec__.name == f"camigeo.{new}"  # pickling / reload see the real name


def test_every_dispatched_dask_twin_is_registered():
    import importlib

    from camigeo import CamigeoError, scale

    wanted = set()
    for path in _modules(ROOT).values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "distributed_twin"):
                wanted.add(node.args[0].value)
    assert len(wanted) == 10
    for name in sorted(wanted):
        importlib.import_module(f"camigeo.{name.split('.')[0]}")
        assert callable(scale.distributed_twin(name))
    with pytest.raises(CamigeoError, match="no distributed implementation 'x.y'"):
        scale.distributed_twin("x.y")
