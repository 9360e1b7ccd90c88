"""Scale-out helpers: one ``scheduler=`` switch for every heavy function, and a memory guard.

camigeo's heavy functions accept ``scheduler=``:

``None`` (default)
    the plain single-machine code path, no Dask import at all;
``"synchronous"``, ``"threads"``, ``"processes"``
    Dask's local schedulers (``dask.compute(..., scheduler=...)``);
``"client"``
    the active ``dask.distributed`` client (``distributed.get_client()``), e.g. one created
    with ``Client("tcp://scheduler:8786")`` to run on a multi-machine cluster;
a ``distributed.Client``
    that client.

Independent tasks are shipped with :func:`map_tasks`; large shared inputs (rasters, prepared
polygons) go through ``shared=`` so that a distributed run scatters them once per worker
(broadcast) instead of pickling them into every task.

Requires the optional extra ``scale`` (``pip install 'camigeo[scale]'``) for anything but
``scheduler=None``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ._compat import cholmod_cholesky, import_optional
from ._errors import CamigeoError

__all__ = [
    "SCHEDULERS",
    "AUTO_SPLU_LIMIT",
    "check_scheduler",
    "map_tasks",
    "register_twins",
    "distributed_twin",
    "scatter_once",
    "reduce_tasks",
    "available_memory_bytes",
    "check_memory",
    "check_task_memory",
    "estimate_cost_distance_bytes",
    "estimate_circuit_bytes",
    "guard_cost_distance",
    "guard_circuit",
    "partition_spatially",
    "set_workdir",
    "get_workdir",
]

log = logging.getLogger(__name__)

#: Unknowns up to which ``solver="auto"`` picks SuperLU (without CHOLMOD) for a circuit solve.
AUTO_SPLU_LIMIT = 2_000_000

SCHEDULERS = (None, "synchronous", "threads", "processes", "client")

_SCALE_HINT = (
    "Run it on a Dask cluster instead: pip install 'camigeo[scale]' and pass "
    "scheduler=Client('tcp://<scheduler-address>:8786') (see docs/scaling.md), or reduce the "
    "problem (coarser cells, a smaller extent, fewer pairs)."
)


_WORKDIR: str | None = None


def set_workdir(path: str | os.PathLike[str] | None) -> None:
    """Folder for files shared with the workers (rasters, intermediate grids).

    On a multi-machine cluster it must be on a file system every worker mounts. None
    (default) uses the environment variable ``CAMIGEO_WORKDIR`` if set, else a temporary
    folder of this machine (right for a ``LocalCluster``). Each run writes into its own
    sub-folder and removes it at the end.

    Parameters
    ----------
    path : path or None
    """
    global _WORKDIR
    _WORKDIR = None if path is None else os.fspath(path)


def get_workdir() -> str | None:
    """Return the folder set by :func:`set_workdir` (or ``$CAMIGEO_WORKDIR``); None = temporary."""
    return _WORKDIR or os.environ.get("CAMIGEO_WORKDIR") or None


def _is_client(obj: Any) -> bool:
    return type(obj).__name__ == "Client" and hasattr(obj, "submit") and hasattr(obj, "gather")


def scatter_once(client: Any, obj: Any) -> Any:
    """Scatter one object to every worker of ``client`` (broadcast) and return its future.

    Wrapped in a list so that dicts, lists and arrays travel as one object (``scatter``
    would otherwise split a dict into one key per entry). ``hash=False`` gives every
    scatter its own key: with content-hashed keys, scattering the same object again
    right after the previous run released it raced with that release, and the new tasks
    were cancelled for "lost dependencies" (seen with repeated runs on one client).
    """
    return client.scatter([obj], broadcast=True, hash=False)[0]


def check_scheduler(scheduler: Any, *, name: str = "scheduler") -> Any:
    """Validate a ``scheduler=`` argument and resolve ``"client"`` to the active client.

    Parameters
    ----------
    scheduler : None, str or distributed.Client
        See the module docstring.
    name : str
        Parameter name used in messages.

    Returns
    -------
    None, str or distributed.Client
        ``None`` for the plain path, a Dask scheduler name, or a client.

    Raises
    ------
    CamigeoError
        Unknown value, or ``"client"`` with no active client.
    """
    if scheduler is None or _is_client(scheduler):
        return scheduler
    if isinstance(scheduler, str) and scheduler in SCHEDULERS:
        import_optional("dask", extra="scale", purpose=f"{name}={scheduler!r}")
        if scheduler == "client":
            distributed = import_optional("distributed", extra="scale",
                                          purpose=f"{name}='client'")
            try:
                return distributed.get_client()
            except ValueError as exc:
                raise CamigeoError(
                    f"{name}='client' needs an active dask.distributed Client, but none is "
                    f"running. Create one first: from dask.distributed import Client; "
                    f"client = Client() (local) or Client('tcp://host:8786') (cluster)."
                ) from exc
        return scheduler
    allowed = ", ".join(repr(s) for s in SCHEDULERS)
    raise CamigeoError(
        f"{name} must be one of {allowed} or a dask.distributed.Client; got {scheduler!r} "
        f"({type(scheduler).__name__})."
    )


#: Distributed (Dask) implementations by "<subpackage>.<function name>", filled by
#: :func:`register_twins` when a subpackage imports its ``dask`` module.
_TWINS: dict[str, Callable[..., Any]] = {}


def register_twins(package: str, *funcs: Callable[..., Any]) -> None:
    """Register the Dask implementations of a subpackage (called by its ``dask`` module).

    Parameters
    ----------
    package : str
        Subpackage name (``"corridors"``, ``"circuit"``, ``"barriers"``).
    *funcs : callable
        The distributed functions; each is looked up as ``f"{package}.{func.__name__}"``.
    """
    for f in funcs:
        _TWINS[f"{package}.{f.__name__}"] = f


def distributed_twin(name: str) -> Callable[..., Any]:
    """Return the Dask implementation registered as ``name`` (the one ``scheduler=`` seam).

    An analysis handles ``scheduler is not None`` by calling
    ``distributed_twin("corridors.cost_distance_dask")(..., scheduler=scheduler)`` instead of
    importing its Dask module; the Dask module depends on the in-memory kernels, never the
    other way round (docs/architecture.md).

    Parameters
    ----------
    name : str
        ``"<subpackage>.<function name>"``.

    Returns
    -------
    callable

    Raises
    ------
    CamigeoError
        Nothing is registered under ``name``.
    """
    try:
        return _TWINS[name]
    except KeyError:
        raise CamigeoError(
            f"no distributed implementation {name!r} is registered; known: "
            f"{', '.join(sorted(_TWINS)) or 'none'}. Import camigeo.{name.split('.')[0]} "
            f"first (its dask module registers them).") from None


def map_tasks(
    func: Callable[..., Any],
    items: Iterable[Any],
    *,
    scheduler: Any = None,
    shared: dict[str, Any] | None = None,
    progress: bool = False,
    desc: str = "tasks",
) -> list[Any]:
    """Run ``func(item, **shared)`` for every item, locally or on Dask; keep input order.

    Parameters
    ----------
    func : callable
        A pure, top-level (picklable) function.
    items : iterable
        One task per item.
    scheduler : None, str or distributed.Client
        See :func:`check_scheduler`.
    shared : dict, optional
        Keyword arguments common to every task. With a client they are scattered once
        (``broadcast=True``) and passed as futures, so large arrays are not pickled per task.
    progress : bool, default False
        Show a tqdm bar (local paths) or log progress.
    desc : str
        Label of the progress bar.

    Returns
    -------
    list
        ``[func(item, **shared) for item in items]`` in input order.
    """
    sched = check_scheduler(scheduler)
    items = list(items)
    kw = dict(shared or {})
    if sched is None:
        it: Sequence[Any] | Any = items
        if progress:
            from tqdm.auto import tqdm

            it = tqdm(items, desc=desc)
        return [func(item, **kw) for item in it]
    if _is_client(sched):
        futures_kw = {k: scatter_once(sched, v) for k, v in kw.items()}
        futures = [sched.submit(func, item, pure=False, **futures_kw) for item in items]
        return list(sched.gather(futures))
    dask = import_optional("dask", extra="scale", purpose="scheduler=")
    shared_delayed = {k: dask.delayed(v, pure=True) for k, v in kw.items()}
    tasks = [dask.delayed(func, pure=True)(item, **shared_delayed) for item in items]
    return list(dask.compute(*tasks, scheduler=sched))


def reduce_tasks(
    func: Callable[..., Any],
    items: Sequence[Any],
    combine: Callable[[Any], None],
    *,
    scheduler: Any = None,
    shared: dict[str, Any] | None = None,
    batch: int = 4,
) -> None:
    """Run ``func(item, **shared)`` for every item and pass each result to ``combine``.

    Unlike :func:`map_tasks` the results are not all held at once: with a client they are
    combined as they complete (any order) and released; with a local scheduler they are
    computed ``batch`` at a time. ``combine`` must therefore not depend on the order
    (a sum, a minimum, writing into a slot).

    Parameters
    ----------
    func : callable
        Pure, top-level function.
    items : sequence
        One task per item.
    combine : callable
        Receives each result on the calling machine.
    scheduler : None, str or distributed.Client
        See :func:`check_scheduler`.
    shared : dict, optional
        Keyword arguments common to every task (scattered once with a client).
    batch : int, default 4
        Tasks per round with a local scheduler.
    """
    sched = check_scheduler(scheduler)
    kw = dict(shared or {})
    if sched is None or isinstance(sched, str):
        for k in range(0, len(items), batch):
            for res in map_tasks(func, items[k:k + batch], scheduler=sched, shared=kw):
                combine(res)
        return
    distributed = import_optional("distributed", extra="scale", purpose="scheduler=Client")
    fut_kw = {k: scatter_once(sched, v) for k, v in kw.items()}
    futures = [sched.submit(func, it, pure=False, **fut_kw) for it in items]
    for fut in distributed.as_completed(futures):
        combine(fut.result())
        fut.release()


def available_memory_bytes() -> int:
    """Memory available to a new allocation on this machine, in bytes."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:  # pragma: no cover - psutil ships with distributed
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def check_memory(required_bytes: float, *, what: str, available_bytes: float | None = None,
                 fraction: float = 0.8) -> None:
    """Refuse a run whose estimated peak memory exceeds what this machine has.

    Parameters
    ----------
    required_bytes : float
        Estimated peak memory of the run, bytes.
    what : str
        What is being estimated (named in the message).
    available_bytes : float, optional
        Defaults to :func:`available_memory_bytes`.
    fraction : float, default 0.8
        Share of the available memory a run may use.

    Raises
    ------
    CamigeoError
        With the estimate, the limit and the ``scale`` hint.
    """
    avail = available_memory_bytes() if available_bytes is None else available_bytes
    if required_bytes > fraction * avail:
        raise CamigeoError(
            f"{what} needs an estimated {required_bytes / 2**30:.1f} GiB of memory at peak, "
            f"but only {avail / 2**30:.1f} GiB are available ({fraction:.0%} may be used). "
            f"{_SCALE_HINT}"
        )


def check_task_memory(scheduler: Any, per_task_bytes: float, *, what: str,
                      fraction: float = 0.8) -> None:
    """Refuse a Dask run whose single task would not fit where it runs.

    With a client the limit is the smallest worker ``memory_limit`` (tasks run one per
    worker thread, so the limit is divided by the worker's threads); with a local scheduler
    it is this machine's available memory shared by ``os.cpu_count()`` concurrent tasks
    (one for ``"synchronous"``).

    Parameters
    ----------
    scheduler : None, str or distributed.Client
        As resolved by :func:`check_scheduler`.
    per_task_bytes : float
        Estimated peak memory of one task, bytes.
    what : str
        Named in the message.
    fraction : float, default 0.8
        Share of the limit a task may use.

    Raises
    ------
    CamigeoError
        With the estimate, the limit and the ``scale`` hint.
    """
    if _is_client(scheduler):
        try:
            workers = scheduler.scheduler_info().get("workers", {}).values()
            limits = [w["memory_limit"] / max(1, w.get("nthreads", 1)) for w in workers
                      if w.get("memory_limit")]
        except Exception:  # pragma: no cover - scheduler without the info
            limits = []
        if not limits:
            return
        limit, where = float(min(limits)), "the smallest worker's memory_limit per thread"
    else:
        conc = 1 if scheduler in (None, "synchronous") else (os.cpu_count() or 1)
        limit, where = available_memory_bytes() / conc, f"available memory / {conc} tasks"
    if per_task_bytes > fraction * limit:
        raise CamigeoError(
            f"{what}: one task needs an estimated {per_task_bytes / 2**30:.1f} GiB at peak, "
            f"but {where} is {limit / 2**30:.1f} GiB ({fraction:.0%} may be used). Give the "
            f"workers more memory (dask worker --memory-limit) or fewer threads each, or "
            f"reduce the task (a max_cost / max_cw_dist limits the window each task reads)."
        )


def estimate_cost_distance_bytes(n_cells: int, *, bytes_per_cell: float = 32.0) -> float:
    """Peak memory estimate of one cost-distance run, bytes.

    Input resistance (float64, 8 B), accumulated cost (float64, 8 B), visit state, heap and
    back-links stay within about 24 B per cell in :func:`camigeo.cost_distance`; 32 B
    leaves headroom for the caller's copy.
    """
    return float(n_cells) * bytes_per_cell


def estimate_circuit_bytes(n_nodes: int, *, neighbors: int = 8, solver: str = "cg+amg") -> float:
    """Peak memory estimate of a circuit solve on ``n_nodes`` graph nodes, bytes.

    The graph Laplacian holds ``neighbors + 1`` non-zeros per node (12 B each in CSR with
    int32 indices); the AMG hierarchy roughly doubles it and CG keeps ~6 vectors; a sparse
    Cholesky factor of a 2-D grid Laplacian grows like n·log n — taken as 40 non-zeros per
    node at 1e6 nodes, growing with log n.
    """
    import math

    lap = n_nodes * (neighbors + 1) * 12.0
    vectors = n_nodes * 8.0 * 8
    if solver in ("cholmod", "cholesky", "splu"):
        fill = 40.0 * max(1.0, math.log(max(n_nodes, 2)) / math.log(1e6))
        return lap + vectors + n_nodes * fill * 12.0
    return 2.5 * lap + vectors


def guard_cost_distance(n_cells: int, *, extra_grids: int = 0, what: str) -> None:
    """Memory guard of a single-machine cost-distance run (raises :class:`CamigeoError`).

    Parameters
    ----------
    n_cells : int
        Cells of the grid.
    extra_grids : int, default 0
        float64 grids held at the same time besides one run (e.g. one accumulated-cost
        grid per core kept for NLCC), 8 B per cell each.
    what : str
        Named in the message.
    """
    check_memory(estimate_cost_distance_bytes(n_cells) + 8.0 * n_cells * extra_grids,
                 what=what)


def guard_circuit(n_nodes: int, *, neighbors: int = 8, solver: str = "auto",
                  what: str) -> None:
    """Memory guard of a single-machine circuit solve (raises :class:`CamigeoError`).

    ``solver="auto"`` is resolved as :func:`camigeo.circuit.factorize` does (CHOLMOD if
    installed, else SuperLU up to 300,000 unknowns, else CG+AMG); SuperLU is estimated
    like a Cholesky factor.
    """
    if solver == "auto":
        solver = ("cholmod" if cholmod_cholesky() is not None
                  else "splu" if n_nodes <= AUTO_SPLU_LIMIT else "cg+amg")
    if solver == "amg":
        solver = "cg+amg"
    check_memory(estimate_circuit_bytes(n_nodes, neighbors=neighbors, solver=solver),
                 what=what)


def partition_spatially(gdf: Any, *, npartitions: int, by: str = "hilbert") -> Any:
    """Partition a GeoDataFrame spatially into a ``dask_geopandas.GeoDataFrame``.

    Parameters
    ----------
    gdf : GeoDataFrame or dask_geopandas.GeoDataFrame
    npartitions : int
        Number of partitions (ignored if ``gdf`` is already a Dask frame).
    by : {"hilbert", "morton", "geohash"}
        Space-filling curve used to sort the features so each partition is compact.

    Returns
    -------
    dask_geopandas.GeoDataFrame
    """
    dgpd = import_optional("dask_geopandas", extra="scale", purpose="spatial partitioning")
    if by not in ("hilbert", "morton", "geohash"):
        raise CamigeoError(f"by must be 'hilbert', 'morton' or 'geohash'; got {by!r}.")
    if not hasattr(gdf, "npartitions"):
        if by == "hilbert":
            # in memory already: sort by the Hilbert distance of the bounding-box centres
            # here (geopandas, level 16) instead of a distributed shuffle (about 3x slower
            # on 20,000 lines with a 2-worker LocalCluster)
            order = np.argsort(gdf.geometry.hilbert_distance().to_numpy(), kind="stable")
            return dgpd.from_geopandas(gdf.iloc[order], npartitions=max(1, int(npartitions)),
                                       sort=False)
        gdf = dgpd.from_geopandas(gdf, npartitions=max(1, int(npartitions)))
    return gdf.spatial_shuffle(by=by)
