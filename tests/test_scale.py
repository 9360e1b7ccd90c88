from __future__ import annotations

import operator

import pytest

from camigeo import CamigeoError, scale


def _affine(x: float, *, a: float, b: float) -> float:
    return a * x + b


@pytest.mark.parametrize("sched", [None, "synchronous", "threads"])
def test_map_tasks_same_results_on_every_local_scheduler(sched: str | None) -> None:
    out = scale.map_tasks(_affine, [0, 1, 2, 5], shared={"a": 3.0, "b": -1.0}, scheduler=sched)
    assert out == [-1.0, 2.0, 5.0, 14.0]


def test_unknown_scheduler_is_named_in_the_error() -> None:
    with pytest.raises(CamigeoError, match=r"scheduler must be one of .* got 'gpu'"):
        scale.check_scheduler("gpu")


def test_client_scheduler_without_active_client() -> None:
    pytest.importorskip("distributed")
    with pytest.raises(CamigeoError, match="needs an active dask.distributed Client"):
        scale.check_scheduler("client")


def test_memory_guard_refuses_with_estimate_and_hint() -> None:
    need = scale.estimate_cost_distance_bytes(10**8)  # 1e8 cells x 32 B = 3.2e9 B
    assert need == pytest.approx(3.2e9)
    with pytest.raises(CamigeoError, match=r"needs an estimated 3\.0 GiB.*only 2\.0 GiB.*scale"):
        scale.check_memory(need, what="cost distance on 10000 x 10000 cells",
                           available_bytes=2 * 2**30)
    scale.check_memory(need, what="ok", available_bytes=8 * 2**30)  # 3.2e9 < 0.8 * 8 GiB


def test_circuit_estimate_grows_with_solver_fill() -> None:
    amg = scale.estimate_circuit_bytes(10**6, neighbors=8, solver="cg+amg")
    # 2.5 * (1e6 * 9 * 12) + 1e6 * 64 = 2.7e8 + 6.4e7
    assert amg == pytest.approx(3.34e8)
    chol = scale.estimate_circuit_bytes(10**6, neighbors=8, solver="cholmod")
    assert chol == pytest.approx(1e6 * 9 * 12 + 6.4e7 + 1e6 * 40 * 12)


def test_partition_spatially_keeps_every_row() -> None:
    geopandas = pytest.importorskip("geopandas")
    pytest.importorskip("dask_geopandas")
    shapely = pytest.importorskip("shapely")
    gdf = geopandas.GeoDataFrame(
        {"i": range(40)},
        geometry=[shapely.LineString([(i % 7, i // 7), (i % 7 + 1, i // 7 + 1)])
                  for i in range(40)], crs=3857)
    parts = scale.partition_spatially(gdf, npartitions=4)
    back = parts.compute().sort_values("i")
    assert list(back["i"]) == list(range(40))
    assert parts.npartitions == 4
    with pytest.raises(CamigeoError, match="by must be"):
        scale.partition_spatially(gdf, npartitions=2, by="zorder")


def test_operator_builtin_works_as_task() -> None:
    assert scale.map_tasks(operator.neg, [1, -2]) == [-1, 2]


class Client:  # stand-in with the two methods camigeo reads (name matters: _is_client)
    def __init__(self, limits: list[tuple[float, int]]) -> None:
        self._w = {f"w{i}": {"memory_limit": m, "nthreads": t}
                   for i, (m, t) in enumerate(limits)}

    def submit(self) -> None: ...

    def gather(self) -> None: ...

    def scheduler_info(self) -> dict:
        return {"workers": self._w}


def test_task_memory_guard_uses_smallest_worker_limit_per_thread() -> None:
    c = Client([(8 * 2**30, 1), (4 * 2**30, 2)])  # smallest per thread: 2 GiB
    scale.check_task_memory(c, 1.5 * 2**30, what="ok")  # 1.5 < 0.8 * 2
    with pytest.raises(CamigeoError, match=r"one task needs an estimated 1\.7 GiB.*"
                                           r"memory_limit per thread is 2\.0 GiB"):
        scale.check_task_memory(c, 1.7 * 2**30, what="cost distance")
    with pytest.raises(CamigeoError, match=r"available memory / 1 tasks"):
        scale.check_task_memory("synchronous", 1e15, what="huge")


def test_workdir_setting(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CAMIGEO_WORKDIR", str(tmp_path / "env"))
    assert scale.get_workdir() == str(tmp_path / "env")
    scale.set_workdir(tmp_path)
    try:
        assert scale.get_workdir() == str(tmp_path)
    finally:
        scale.set_workdir(None)
    monkeypatch.delenv("CAMIGEO_WORKDIR")
    assert scale.get_workdir() is None


def test_guards_for_single_machine_paths(monkeypatch) -> None:
    monkeypatch.setattr(scale, "available_memory_bytes", lambda: 10 * 2**30)
    # 1e8 cells x 32 B = 3.2e9 B, + 30 kept grids x 8 B x 1e8 = 2.4e10 B -> 2.7e10 B
    scale.guard_cost_distance(10**8, what="ok")
    with pytest.raises(CamigeoError, match=r"NLCC needs an estimated 25\.3 GiB"):
        scale.guard_cost_distance(10**8, extra_grids=30, what="NLCC")
    # CG+AMG on 2e7 nodes: 2.5 * 2e7 * 9 * 12 + 2e7 * 64 = 6.68e9 B = 6.2 GiB < 8 GiB
    scale.guard_circuit(2 * 10**7, solver="amg", what="ok")
    with pytest.raises(CamigeoError, match=r"circuit needs an estimated 12\.4 GiB"):
        scale.guard_circuit(4 * 10**7, solver="cg+amg", what="circuit")
