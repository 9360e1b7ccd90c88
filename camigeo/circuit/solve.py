"""Linear solvers and the circuit kernels shared by every mode.

Solvers (``solver=``):

* ``"cholmod"``: sparse Cholesky from scikit-sparse (extra ``camigeo[circuit]``), used by
  ``"auto"`` when importable;
* ``"splu"``: SciPy's SuperLU factorisation of the grounded Laplacian (always available);
* ``"cg+amg"`` (alias ``"amg"``): conjugate gradients preconditioned by pyamg smoothed
  aggregation, relative tolerance ``1e-10`` (Circuitscape uses 1e-6);
* ``"auto"``: CHOLMOD if installed, else SuperLU up to 2,000,000 unknowns and CG+AMG
  above (SuperLU's fill-in memory grows fastest). On the 1 M-cell benchmark SuperLU with a
  minimum-degree ordering of ``A + A^T`` and symmetric mode took 14.4 s CPU / 2.3 GB,
  CHOLMOD 15.5 s / 1.7 GB and CG+AMG (rtol 1e-10) 27.6 s / 1.5 GB.

Every factorisation is made once per connected component and reused for all right-hand
sides. The grounded Laplacian (one node removed, or finite grounds added) is symmetric
positive definite, so no regularisation is needed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._compat import cholmod_cholesky as _cholmod
from .._errors import CamigeoError
from ..scale import AUTO_SPLU_LIMIT as _AUTO_SPLU_LIMIT

__all__ = [
    "Factor",
    "factorize",
    "available_solvers",
    "grounded_potentials",
    "pair_resistances",
    "pair_voltages",
    "solve_pair_batch",
    "branch_and_node_currents",
    "pair_node_currents",
    "advanced_solve",
]

logger = logging.getLogger(__name__)

SOLVERS = ("auto", "cholmod", "splu", "cg+amg", "amg")


def available_solvers() -> list[str]:
    """Names of the solvers usable in this environment."""
    out = ["splu", "cg+amg"]
    if _cholmod() is not None:
        out.insert(0, "cholmod")
    return out


@dataclass
class Factor:
    """A reusable solver for ``A x = b`` (``A`` symmetric positive definite).

    Attributes
    ----------
    solve : callable
        ``solve(b) -> x`` for ``b`` of shape ``(n,)`` or ``(n, k)``.
    method : str
        The solver actually used.
    n : int
        Number of unknowns.
    """

    solve: Callable[[np.ndarray], np.ndarray]
    method: str
    n: int

    def __call__(self, b: np.ndarray) -> np.ndarray:
        """Solve ``A x = b``."""
        return self.solve(b)


def factorize(A: sp.spmatrix, *, solver: str = "auto", rtol: float = 1e-10) -> Factor:
    """Factorise (or precondition) a symmetric positive-definite sparse matrix once.

    Parameters
    ----------
    A : scipy.sparse matrix
        Grounded Laplacian (SPD).
    solver : {"auto", "cholmod", "splu", "cg+amg", "amg"}
    rtol : float, default 1e-10
        Relative residual tolerance of CG+AMG.

    Returns
    -------
    Factor

    Raises
    ------
    CamigeoError
        Unknown solver name, or a singular matrix.
    """
    if solver not in SOLVERS:
        raise CamigeoError(f"solver={solver!r} is not one of {', '.join(SOLVERS)}.")
    n = A.shape[0]
    if n == 0:
        return Factor(lambda b: np.zeros_like(b, dtype=np.float64), "empty", 0)
    method = solver
    if solver == "auto":
        if _cholmod() is not None:
            method = "cholmod"
        elif n <= _AUTO_SPLU_LIMIT:
            method = "splu"
        else:
            method = "cg+amg"
    if method == "cholmod" and _cholmod() is None:
        logger.info("scikit-sparse (CHOLMOD) not installed; using SciPy SuperLU instead")
        method = "splu"
    if method == "amg":
        method = "cg+amg"
    A = sp.csc_matrix(A, dtype=np.float64)
    if method == "cholmod":
        try:
            chol = _cholmod()(A)
        except Exception as exc:  # CholmodNotPositiveDefiniteError and friends
            raise CamigeoError(
                f"The circuit system ({n} unknowns) is singular or not positive definite "
                f"and cannot be factorised ({exc}). Check for nodes without any "
                f"conductance path to a ground."
            ) from exc

        def _solve_chol(b: np.ndarray) -> np.ndarray:
            return chol(np.asarray(b, dtype=np.float64))

        return Factor(_solve_chol, "cholmod", n)
    if method == "splu":
        try:
            lu = spla.splu(A, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                           options={"SymmetricMode": True})
        except RuntimeError as exc:
            raise CamigeoError(
                f"The circuit system ({n} unknowns) is singular and cannot be solved ({exc}). "
                f"Check for nodes without any conductance path to a ground."
            ) from exc

        def _solve_lu(b: np.ndarray) -> np.ndarray:
            return lu.solve(np.asarray(b, dtype=np.float64))

        return Factor(_solve_lu, "splu", n)
    # CG preconditioned by smoothed-aggregation AMG
    import pyamg

    A_csr = A.tocsr()
    ml = pyamg.smoothed_aggregation_solver(A_csr, symmetry="symmetric", max_coarse=500)
    M = ml.aspreconditioner(cycle="V")

    def _solve_one(b: np.ndarray) -> np.ndarray:
        bnorm = float(np.linalg.norm(b))
        if bnorm == 0:
            return np.zeros_like(b)
        x, info = spla.cg(A_csr, b, rtol=rtol, atol=0.0, M=M, maxiter=2000)
        if info != 0:
            res = float(np.linalg.norm(b - A_csr @ x)) / bnorm
            if res > 1e-6:
                raise CamigeoError(
                    f"CG+AMG did not converge (relative residual {res:.2e} after {info} "
                    f"iterations); try solver='splu' or 'cholmod'."
                )
        return x

    def _solve_amg(b: np.ndarray) -> np.ndarray:
        b = np.asarray(b, dtype=np.float64)
        if b.ndim == 1:
            return _solve_one(b)
        return np.column_stack([_solve_one(b[:, k]) for k in range(b.shape[1])])

    return Factor(_solve_amg, "cg+amg", n)


def grounded_laplacian(L: sp.csr_matrix, ground: int) -> tuple[sp.csr_matrix, np.ndarray]:
    keep = np.ones(L.shape[0], dtype=bool)
    keep[ground] = False
    idx = np.flatnonzero(keep)
    return L[idx][:, idx], idx


def grounded_potentials(
    L: sp.csr_matrix,
    ground: int,
    inject: Sequence[int],
    *,
    solver: str = "auto",
    factor: Factor | None = None,
    batch: int = 64,
    rows: Sequence[int] | None = None,
) -> tuple[np.ndarray, Factor]:
    """Potentials ``G_a(:, y)`` for 1 A injected at each node ``y``, node ``a`` grounded.

    Parameters
    ----------
    L : scipy.sparse.csr_matrix
        Laplacian of one connected component.
    ground : int
        Local index of the grounded node ``a``.
    inject : sequence of int
        Local indices ``y`` (the ground itself gives a zero column).
    solver : str
        See :func:`factorize`.
    factor : Factor, optional
        A factorisation of the grounded Laplacian to reuse.
    batch : int, default 64
        Right-hand sides solved at once.
    rows : sequence of int, optional
        Keep only these rows (e.g. the focal nodes when no maps are needed), so memory is
        ``len(rows) x len(inject)`` instead of ``n x len(inject)``.

    Returns
    -------
    (numpy.ndarray, Factor)
        Array of shape ``(n or len(rows), len(inject))`` and the factorisation used.
    """
    n = L.shape[0]
    Lg, idx = grounded_laplacian(L, ground)
    if factor is None:
        factor = factorize(Lg, solver=solver)
    pos = np.full(n, -1, dtype=np.int64)
    pos[idx] = np.arange(idx.size)
    keep = None if rows is None else np.asarray(rows, dtype=np.int64)
    out = np.zeros((n if keep is None else keep.size, len(inject)), order="F")
    inject = list(inject)
    for start in range(0, len(inject), batch):
        chunk = inject[start:start + batch]
        cols = [k for k, y in enumerate(chunk) if y != ground]
        if not cols:
            continue
        b = np.zeros((idx.size, len(cols)))
        for c, k in enumerate(cols):
            b[pos[chunk[k]], c] = 1.0
        x = factor(b)
        x = x.reshape(idx.size, len(cols))
        for c, k in enumerate(cols):
            if keep is None:
                out[idx, start + k] = x[:, c]
            else:
                full = np.zeros(n)
                full[idx] = x[:, c]
                out[:, start + k] = full[keep]
    return out, factor


def pair_resistances(Gff: np.ndarray) -> np.ndarray:
    """Effective resistances between all focal nodes from grounded potentials.

    With node ``a`` grounded and ``G_a(x, y)`` the potential at ``x`` for 1 A injected at
    ``y`` (a symmetric matrix, the inverse of the grounded Laplacian), injecting +1 A at
    ``y`` and -1 A at ``x`` gives potentials ``G(:, y) - G(:, x)`` by superposition, so

        R_xy = G(y, y) - G(y, x) - G(x, y) + G(x, x) = G(x, x) + G(y, y) - 2 G(x, y).

    Parameters
    ----------
    Gff : numpy.ndarray
        ``G_a`` restricted to the focal nodes (``k x k``), zero row/column for ``a``.

    Returns
    -------
    numpy.ndarray
        ``k x k`` effective resistances (ohm).
    """
    d = np.diag(Gff)
    Gs = (Gff + Gff.T) / 2.0
    R = d[:, None] + d[None, :] - 2.0 * Gs
    np.fill_diagonal(R, 0.0)
    return np.maximum(R, 0.0)


def pair_voltages(G: np.ndarray, x: int, y: int) -> np.ndarray:
    """Voltages for 1 A from ``y`` to ``x`` with ``v[x] = 0`` (Circuitscape convention).

    Parameters
    ----------
    G : numpy.ndarray
        ``(n, k)`` grounded potentials (columns = focal nodes).
    x, y : int
        Column indices of the sink (``v = 0``) and source focal nodes.

    Returns
    -------
    numpy.ndarray
    """
    v = G[:, y] - G[:, x]
    return v


def solve_pair_batch(
    factor: Factor,
    ground: int,
    n: int,
    pairs: Sequence[tuple[int, int]],
) -> np.ndarray:
    """Pure function: effective resistances for a batch of node pairs of one component.

    Meant for distribution (each worker holds ``factor``): it injects at the nodes that
    appear in ``pairs`` and combines columns with :func:`pair_resistances`.

    Parameters
    ----------
    factor : Factor
        Factorisation of the component Laplacian with local node ``ground`` removed.
    ground : int
        Local index of the grounded node.
    n : int
        Number of nodes of the component.
    pairs : sequence of (int, int)
        Local node indices.

    Returns
    -------
    numpy.ndarray
        Resistance per pair (ohm).
    """
    nodes = sorted({int(a) for p in pairs for a in p})
    pos = {v: k for k, v in enumerate(nodes)}
    idx = np.array([k for k in range(n) if k != ground], dtype=np.int64)
    where = np.full(n, -1, dtype=np.int64)
    where[idx] = np.arange(idx.size)
    b = np.zeros((idx.size, len(nodes)))
    for k, v in enumerate(nodes):
        if v != ground:
            b[where[v], k] = 1.0
    x = factor(b).reshape(idx.size, len(nodes))
    Gff = np.zeros((len(nodes), len(nodes)))
    for k, v in enumerate(nodes):
        if v != ground:
            Gff[k] = x[where[v]]
    R = pair_resistances(Gff)
    return np.array([R[pos[a], pos[b_]] for a, b_ in pairs])


def branch_and_node_currents(
    i: np.ndarray,
    j: np.ndarray,
    w: np.ndarray,
    v: np.ndarray,
    *,
    ground_conductance: np.ndarray | None = None,
    threshold: float = 1e-8,
) -> tuple[np.ndarray, np.ndarray]:
    """Branch currents and Circuitscape node currents.

    Branch current ``I_ij = w_ij (v_i - v_j)``; currents with ``|I| < threshold * max|I|``
    are set to 0. A node's current is ``max(inflow, outflow)``, where current leaving
    through a finite ground conductance (``g v`` when positive) counts as outflow (and as
    inflow when negative). Injected source current is not counted, so a source or sink node
    carries exactly the current through its branches.

    Parameters
    ----------
    i, j, w : numpy.ndarray
        Edge list (each undirected edge once) and branch conductances.
    v : numpy.ndarray
        Node voltages.
    ground_conductance : numpy.ndarray, optional
        Finite ground conductance per node (0 where none).
    threshold : float, default 1e-8

    Returns
    -------
    (branch, node) : tuple of numpy.ndarray
        Signed branch currents (from ``i`` to ``j``) and node currents (amperes).
    """
    n = v.size
    cur = w * (v[i] - v[j])
    if cur.size:
        mx = float(np.max(np.abs(cur)))
        if mx > 0:
            cur[np.abs(cur) < threshold * mx] = 0.0
    pos = np.where(cur > 0, cur, 0.0)
    neg = np.where(cur < 0, -cur, 0.0)
    out = np.bincount(i, pos, minlength=n) + np.bincount(j, neg, minlength=n)
    inn = np.bincount(j, pos, minlength=n) + np.bincount(i, neg, minlength=n)
    if ground_conductance is not None:
        gi = ground_conductance * v
        out = out + np.where(gi > 0, gi, 0.0)
        inn = inn + np.where(gi < 0, -gi, 0.0)
    return cur, np.maximum(inn, out)


@numba.njit(cache=True, nogil=True)
def _pair_node_currents(i, j, w, vb, va, n, threshold):  # pragma: no cover - numba
    m = i.size
    mx = 0.0
    for e in range(m):
        a = i[e]
        b = j[e]
        cur = w[e] * ((vb[a] - va[a]) - (vb[b] - va[b]))
        if abs(cur) > mx:
            mx = abs(cur)
    cut = threshold * mx
    inn = np.zeros(n)
    out = np.zeros(n)
    for e in range(m):
        a = i[e]
        b = j[e]
        cur = w[e] * ((vb[a] - va[a]) - (vb[b] - va[b]))
        if abs(cur) < cut or cur == 0.0:
            continue
        if cur > 0:
            out[a] += cur
            inn[b] += cur
        else:
            out[b] -= cur
            inn[a] -= cur
    return np.maximum(inn, out)


def pair_node_currents(
    i: np.ndarray,
    j: np.ndarray,
    w: np.ndarray,
    v_source: np.ndarray,
    v_sink: np.ndarray,
    *,
    threshold: float = 1e-8,
) -> np.ndarray:
    """Node currents for voltages ``v_source - v_sink`` (fused numba kernel).

    Same rule as :func:`branch_and_node_currents` without grounds, but it never builds the
    branch-current array: one pass finds ``max|I|``, a second accumulates inflow and
    outflow. Measured on a 490,000-cell 8-neighbour grid (45 pairs): 4.4 s with the NumPy
    version, well under 1 s with this kernel.

    Returns
    -------
    numpy.ndarray
        ``max(inflow, outflow)`` per node (amperes).
    """
    return _pair_node_currents(i, j, w, np.ascontiguousarray(v_source),
                               np.ascontiguousarray(v_sink), v_source.size, threshold)


def advanced_solve(
    L: sp.csr_matrix,
    labels: np.ndarray,
    sources: np.ndarray,
    grounds: np.ndarray,
    *,
    policy: str = "keepall",
    solver: str = "auto",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Solve ``(L + diag(g_gnd)) v = s`` with direct grounds removed, per component.

    Parameters
    ----------
    L : scipy.sparse.csr_matrix
        Graph Laplacian.
    labels : numpy.ndarray
        Component label per node.
    sources : numpy.ndarray
        Injected current per node (amperes).
    grounds : numpy.ndarray
        Ground conductance per node (siemens), ``inf`` = direct ground, 0 = none.
    policy : {"keepall", "rmvsrc", "rmvgnd", "rmvall"}
        What to do with a node that is both source and ground.
    solver : str

    Returns
    -------
    (v, solved, sources, grounds)
        Voltages, per-node flag "its component was solved", and the sources and grounds
        after the conflict rule.
    """
    if policy not in ("keepall", "rmvsrc", "rmvgnd", "rmvall"):
        raise CamigeoError(
            f"remove_src_or_gnd={policy!r}; expected keepall, rmvsrc, rmvgnd or rmvall."
        )
    s = np.asarray(sources, dtype=np.float64).copy()
    gg = np.asarray(grounds, dtype=np.float64).copy()
    conflict = (s != 0) & (gg > 0)
    if conflict.any():
        if policy in ("rmvsrc", "rmvall"):
            s[conflict] = 0.0
        if policy in ("rmvgnd", "rmvall"):
            gg[conflict] = 0.0
    n = s.size
    v = np.zeros(n)
    solved = np.zeros(n, dtype=bool)
    has_src = np.zeros(labels.max() + 1 if n else 0, dtype=bool)
    has_gnd = np.zeros_like(has_src)
    if n:
        has_src[np.unique(labels[s != 0])] = True
        has_gnd[np.unique(labels[gg > 0])] = True
    for c in np.flatnonzero(has_src & has_gnd):
        nodes = np.flatnonzero(labels == c)
        if nodes.size < 2:
            # Circuitscape skips single-node components (no branch to carry current)
            continue
        Lc = L[nodes][:, nodes]
        gc = gg[nodes]
        direct = np.isinf(gc)
        free = ~direct
        A = Lc + sp.diags(np.where(direct, 0.0, gc))
        A = A.tocsr()[free][:, free]
        vc = np.zeros(nodes.size)
        if free.any():
            fac = factorize(A, solver=solver)
            vc[free] = fac(s[nodes][free])
        v[nodes] = vc
        solved[nodes] = True
    return v, solved, s, gg
