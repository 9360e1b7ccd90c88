"""Shared fixtures and the rules for `reference` tests.

Tests marked ``reference`` read the peer outputs in ``../shared/reference`` (Circuitscape,
BaBA, Natural Earth). They run when ``CAMIGEO_REFERENCE=1`` (``.ci/run`` sets it) or when
``--run-reference`` is given, and are skipped with a reason otherwise, or when the folder is
missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _shared_dir() -> Path:
    env = os.environ.get("CAMIGEO_SHARED")
    return Path(env) if env else REPO.parent / "shared"


SHARED = _shared_dir()
REFERENCE = SHARED / "reference"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-reference", action="store_true", default=False,
                     help="run tests marked 'reference' (need ../shared/reference)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = config.getoption("--run-reference") or os.environ.get("CAMIGEO_REFERENCE") == "1"
    if wanted and REFERENCE.is_dir():
        return
    if not wanted:
        reason = ("reference test: needs ../shared/reference; run with CAMIGEO_REFERENCE=1 "
                  "or --run-reference (.ci/run does)")
    else:
        reason = f"reference data not found at {REFERENCE} (set CAMIGEO_SHARED)"
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if "reference" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """Path of ``../shared/reference`` (tests using it must be marked ``reference``)."""
    return REFERENCE


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    """A 2-worker in-process ``dask.distributed`` LocalCluster client, one per test module."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as c:
        yield c


def write_pbf(path: Path, ways: list[tuple[list[tuple[float, float]], dict[str, str]]]) -> Path:
    """Write a small OSM PBF with pyosmium: ``ways`` = [(lon/lat vertices, tags), ...].

    Vertices with the same coordinates become one node (shared by the ways, as in OSM);
    way ids are 1, 2, ... in the given order. Needs ``osmium`` (test extra).
    """
    import osmium

    writer = osmium.SimpleWriter(str(path))
    ids: dict[tuple[float, float], int] = {}
    for coords, _ in ways:
        for xy in coords:
            if xy not in ids:
                ids[xy] = len(ids) + 1
                writer.add_node(osmium.osm.mutable.Node(id=ids[xy], location=xy, version=1,
                                                        tags={}))
    for way_id, (coords, tags) in enumerate(ways, start=1):
        writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=[ids[xy] for xy in coords],
                                              version=1, tags=tags))
    writer.close()
    return path


def winding_transmongolian() -> list[tuple[float, float]]:
    """The bundled Trans-Mongolian waypoints with every leg bent 0.05 deg east at its middle
    (rounded to the 1e-4 deg grid of the bundled data)."""
    import math

    import shapely

    from camigeo import datasets

    infra = datasets.load_infrastructure("railway").set_index("infra_id")
    parts = shapely.get_parts(infra.loc["MNG-RW-TRANSMONGOLIAN", "geometry"])
    assert len(parts) == 1
    stations = [(float(x), float(y)) for x, y in shapely.get_coordinates(parts[0])]
    track = [stations[0]]
    half = lambda a, b: a + math.floor((b - a) / 2 * 1e4) / 1e4  # noqa: E731 (on the 1e-4 grid)
    for (x0, y0), (x1, y1) in zip(stations[:-1], stations[1:], strict=True):
        track += [(half(x0, x1) + 0.05, half(y0, y1)), (x1, y1)]
    return track
