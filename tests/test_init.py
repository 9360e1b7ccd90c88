"""Tests for camigeo/__init__.py, _errors.py and _compat.py: the public API resolves."""

from __future__ import annotations

import importlib
import importlib.metadata
import subprocess
import sys

import pytest

import camigeo
from camigeo import _errors
from camigeo._compat import import_optional

ERRORS = ["CamigeoError", "ValidationError", "CRSError", "SchemaError", "GeometryError",
          "DataNotFoundError", "UnknownSpeciesError", "OptionalDependencyError",
          "AtlasLockedError"]


def test_every_name_in_all_resolves_to_its_defining_object():
    assert len(camigeo.__all__) == len(set(camigeo.__all__))
    assert set(camigeo._EXPORTS) <= set(camigeo.__all__)
    for name in camigeo.__all__:
        obj = getattr(camigeo, name)
        if name in camigeo._EXPORTS:
            module = importlib.import_module(f"camigeo.{camigeo._EXPORTS[name]}")
            assert obj is getattr(module, name), name
            # exported names are public in their own module too
            assert name in module.__all__, (name, module.__name__)
        elif name in ERRORS or name == "CamigeoWarning":
            assert obj is getattr(_errors, name)
    assert camigeo.Raster is importlib.import_module("camigeo.io.raster").Raster


def test_star_import_gives_every_public_name():
    ns: dict = {}
    exec("from camigeo import *", ns)  # noqa: S102 - resolves __all__ through __getattr__
    assert set(camigeo.__all__) <= set(ns)


def test_every_listed_submodule_imports_and_has_all():
    for name in sorted(camigeo._SUBMODULES):
        module = getattr(camigeo, name)
        assert module is importlib.import_module(f"camigeo.{name}")
        assert isinstance(module.__all__, list | tuple) and module.__all__, name
        for public in module.__all__:
            assert hasattr(module, public), (name, public)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match=r"module 'camigeo' has no attribute 'read_gpkg'"):
        _ = camigeo.read_gpkg  # type: ignore[attr-defined]


def test_dir_lists_the_lazy_names():
    listed = dir(camigeo)
    assert {"read_layer", "score_conflict", "datasets", "circuit"} <= set(listed)


def test_import_is_lazy():
    code = ("import sys, camigeo; heavy = ['camigeo.barriers', 'camigeo.circuit', "
            "'camigeo.atlas.maps', 'folium', 'networkx', 'numba', 'dask']; "
            "print(','.join(m for m in heavy if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == ""


def test_version_is_single_sourced():
    from camigeo._version import __version__

    assert camigeo.__version__ == __version__
    assert importlib.metadata.version("camigeo") == __version__


def test_show_versions(capsys):
    out = camigeo.show_versions()
    assert out["camigeo"] == camigeo.__version__
    assert out["python"] == ".".join(map(str, sys.version_info[:3]))
    assert f"{'camigeo':>15}: {camigeo.__version__}" in capsys.readouterr().out


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("name", ERRORS)
def test_every_error_is_a_camigeo_value_error(name):
    cls = getattr(camigeo, name)
    assert issubclass(cls, camigeo.CamigeoError) and issubclass(cls, ValueError)


def test_error_mixins_keep_the_builtin_types():
    assert issubclass(camigeo.DataNotFoundError, FileNotFoundError)
    assert issubclass(camigeo.UnknownSpeciesError, KeyError)
    assert issubclass(camigeo.OptionalDependencyError, ImportError)
    assert issubclass(camigeo.CamigeoWarning, UserWarning)
    # KeyError.__str__ would quote the message; ours reads as written
    assert str(camigeo.UnknownSpeciesError("unknown species 'x'")) == "unknown species 'x'"


def test_validation_error_message_one_and_many_problems():
    one = camigeo.ValidationError(["no CRS"], source="a.gpkg (layer 'a')")
    assert str(one) == "a.gpkg (layer 'a'): no CRS"
    many = camigeo.ValidationError(["no CRS", "empty"], source="b.gpkg")
    assert str(many) == "b.gpkg: 2 problems found:\n  - no CRS\n  - empty"
    assert many.problems == ["no CRS", "empty"] and many.source == "b.gpkg"
    assert str(camigeo.ValidationError(["x"])) == "x"


def test_import_optional_names_the_extra():
    assert import_optional("json", extra="osm").__name__ == "json"
    with pytest.raises(camigeo.OptionalDependencyError,
                       match=r"'camigeo_no_such_pkg' is needed for reading PBF files but could "
                             r"not be imported .*pip install 'camigeo\[osm\]'"):
        import_optional("camigeo_no_such_pkg", extra="osm", purpose="reading PBF files")
