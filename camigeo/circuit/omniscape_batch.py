"""Batched multifrontal Cholesky for Omniscape windows: many windows, one pattern, SIMD.

Every window of an Omniscape run is the same disc graph with different conductances, so the
symbolic work (ordering, fronts, index maps) is done once per :class:`WindowTemplate` and
the numeric factorisation runs on ``B`` windows at a time with the window index as the
innermost (contiguous) array axis: every scalar operation of a sparse Cholesky becomes a
short vector operation over the batch, which the compiler turns into SIMD instructions.

* **Ordering**: geometric nested dissection of the disc (the ground cell removed). A row
  or column of cells separates a grid graph with 4 or 8 neighbours, so each split takes
  the median line across the longer side of the bounding box; leaves of at most
  ``leaf_size`` cells are eliminated as one dense front.
* **Fronts**: one per dissection node; its pivots are the separator (or leaf) cells, its
  other rows the cells outside the node's domain adjacent to it (all in ancestor
  separators). Children's update matrices are extended-added into the parent's front.
* **Dense kernels**: partial Cholesky of each front and the forward/backward solves, all
  over the batch axis.

Why not CHOLMOD here (``benchmarks/bench_omniscape.py --kernel``, docs/benchmarks.md): on a
radius-50 window (7,845 cells, 8 neighbours) this kernel factorises and solves in 3.10 ms
per window (batch of 8); CHOLMOD's numeric refactorisation with the symbolic analysis reused
takes 6.29 ms with its fastest ordering and mode (best/simplicial; supernodal 12.9-18.1 ms
with OpenBLAS) and SciPy's SuperLU 32.7 ms, on the same matrices in the same process.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

__all__ = ["BatchFactor", "nested_dissection", "BATCH"]

#: windows per batch (a compile-time constant of the kernels: the innermost loops unroll
#: into SIMD instructions)
BATCH = _B = 8

#: fast-math flags of the kernels: reassociation and FMA contraction (what vectorises the
#: batch loops), but not ``nnan``/``ninf``, so the pivot checks still see NaN and inf
_FAST = {"reassoc", "contract", "nsz", "arcp"}


# ----------------------------------------------------------------------------- symbolic
@dataclass
class _Node:
    pivots: np.ndarray          # cell ids (local to the free-cell numbering)
    children: list[int]
    domain: np.ndarray          # all cells of the subtree


def nested_dissection(rows: np.ndarray, cols: np.ndarray, *, leaf_size: int = 12
                      ) -> list[_Node]:
    """Geometric nested dissection of grid cells; nodes in postorder (root last).

    Parameters
    ----------
    rows, cols : numpy.ndarray
        Integer grid coordinates of the cells.
    leaf_size : int, default 12
        Domains with at most this many cells are not split further.

    Returns
    -------
    list of _Node
        Postorder: every node comes after its children.
    """
    nodes: list[_Node] = []

    def split(ids: np.ndarray) -> int:
        if ids.size <= leaf_size:
            nodes.append(_Node(ids, [], ids))
            return len(nodes) - 1
        r, c = rows[ids], cols[ids]
        coord = r if (r.max() - r.min()) >= (c.max() - c.min()) else c
        m = int(np.median(coord))
        sep = ids[coord == m]
        lo, hi = ids[coord < m], ids[coord > m]
        kids = [split(part) for part in (lo, hi) if part.size]
        nodes.append(_Node(sep, kids, ids))
        return len(nodes) - 1

    split(np.arange(rows.size))
    return nodes


class BatchFactor:
    """Symbolic multifrontal factorisation of a grounded window graph.

    Parameters
    ----------
    n : int
        Number of free cells (the ground removed).
    rows, cols : numpy.ndarray
        Grid coordinates of the free cells.
    ea, eb : numpy.ndarray
        Edges between free cells (free-cell ids).
    leaf_size : int, default 12
    """

    def __init__(self, n: int, rows: np.ndarray, cols: np.ndarray, ea: np.ndarray,
                 eb: np.ndarray, *, leaf_size: int = 12) -> None:
        nodes = nested_dissection(rows, cols, leaf_size=leaf_size)
        # elimination order: pivots of the nodes in postorder
        order = np.concatenate([nd.pivots for nd in nodes])
        if order.size != n or np.unique(order).size != n:  # pragma: no cover - invariant
            raise RuntimeError("nested dissection lost cells")
        pos = np.empty(n, dtype=np.int64)
        pos[order] = np.arange(n)
        # adjacency in elimination positions
        pa, pb = pos[ea], pos[eb]
        adj_ptr, adj = _csr(np.concatenate([pa, pb]), np.concatenate([pb, pa]), n)
        nf = len(nodes)
        parent = np.full(nf, -1, dtype=np.int64)
        for k, nd in enumerate(nodes):
            for ch in nd.children:
                parent[ch] = k
        front_rows: list[np.ndarray] = []
        npiv = np.empty(nf, dtype=np.int64)
        for k, nd in enumerate(nodes):
            piv = np.sort(pos[nd.pivots])
            dom = np.zeros(n, dtype=bool)
            dom[pos[nd.domain]] = True
            nb = np.unique(np.concatenate([adj[adj_ptr[i]:adj_ptr[i + 1]]
                                           for i in pos[nd.domain]]))
            bnd = nb[~dom[nb]]
            front_rows.append(np.concatenate([piv, bnd]))
            npiv[k] = piv.size
        fsize = np.array([fr.size for fr in front_rows], dtype=np.int64)
        self.n, self.nfronts = n, nf
        self.order = order
        self.npiv, self.fsize = npiv, fsize
        self.rows_ptr = np.concatenate([[0], np.cumsum(fsize)]).astype(np.int64)
        self.rows = np.concatenate(front_rows).astype(np.int64)
        # factor storage: pivot columns (p x f) per front; update matrices (u x u)
        self.l_ptr = np.concatenate([[0], np.cumsum(npiv * fsize)]).astype(np.int64)
        u = fsize - npiv
        self.u_ptr, self.u_size = _update_offsets(nodes, u * u)
        # extend-add map: child's update row -> local row in the parent's front. Front rows
        # are sorted (pivots, then boundary cells, which ancestors eliminate later).
        ext = np.zeros(int(u.sum()), dtype=np.int64)
        self.ext_ptr = np.concatenate([[0], np.cumsum(u)]).astype(np.int64)
        for k in range(nf):
            if parent[k] < 0:
                continue
            prow, crow = front_rows[parent[k]], front_rows[k][npiv[k]:]
            loc = np.searchsorted(prow, crow)
            if np.any(loc >= prow.size) or np.any(prow[np.minimum(loc, prow.size - 1)]
                                                  != crow):  # pragma: no cover - invariant
                raise RuntimeError("update rows missing from the parent front")
            ext[self.ext_ptr[k]:self.ext_ptr[k + 1]] = loc
        self.ext = ext
        self.children_ptr, self.children = _csr(parent[parent >= 0],
                                                np.flatnonzero(parent >= 0), nf)
        # assembly: every edge goes to the front of its earlier-eliminated end
        owner = np.empty(n, dtype=np.int64)
        local = np.empty(n, dtype=np.int64)
        for k in range(nf):
            fr = front_rows[k]
            owner[fr[:npiv[k]]] = k
            local[fr[:npiv[k]]] = np.arange(npiv[k])
        first = np.minimum(pa, pb)
        second = np.maximum(pa, pb)
        ef = owner[first]
        # local row of ``second`` in front ef (front rows are sorted)
        sec_local = np.empty(ea.size, dtype=np.int64)
        for k in range(nf):
            sel = np.flatnonzero(ef == k)
            sec_local[sel] = np.searchsorted(front_rows[k], second[sel])
        self.edge_col = local[first]
        self.edge_row = sec_local
        self.diag_local = local
        # edges and diagonals grouped by front (CSR)
        self.e_ord = np.argsort(ef, kind="stable").astype(np.int64)
        self.e_ptr = np.concatenate([[0], np.cumsum(np.bincount(ef, minlength=nf))]
                                    ).astype(np.int64)
        self.d_ord = np.argsort(owner, kind="stable").astype(np.int64)
        self.d_ptr = np.concatenate([[0], np.cumsum(np.bincount(owner, minlength=nf))]
                                    ).astype(np.int64)
        self.nnz_l = int(np.sum(npiv * fsize - npiv * (npiv - 1) // 2))
        self._work: tuple[np.ndarray, np.ndarray] | None = None

    def factor_solve(self, w: np.ndarray, diag: np.ndarray, b: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
        """Factorise and solve a batch of grounded Laplacians.

        Parameters
        ----------
        w : numpy.ndarray
            ``(m, B)`` conductance of each edge between free cells (siemens).
        diag : numpy.ndarray
            ``(n, B)`` diagonal of each matrix (sum of incident conductances, including
            edges to the ground; 1 on identity rows).
        b : numpy.ndarray
            ``(n, B)`` injected currents (amperes).

        Returns
        -------
        (x, ok)
            ``(n, B)`` voltages (free-cell order) and a ``(B,)`` flag: False where a pivot
            was not positive and finite (the window must be solved again another way).
        """
        B = w.shape[1]
        if B != _B:
            raise ValueError(f"batch of {B} windows; the kernels are compiled for {_B}")
        if self._work is None:  # reused: a fresh 20 MB per call costs page faults
            self._work = (np.empty(int(self.l_ptr[-1]) * B), np.empty(self.u_size * B))
        L, U = self._work
        ok = np.ones(B, dtype=np.bool_)
        y = np.ascontiguousarray(b[self.order])  # forward substitution runs inside _factor
        _factor(self.npiv, self.fsize, self.l_ptr, self.u_ptr, self.ext, self.ext_ptr,
                self.children_ptr, self.children, self.e_ptr, self.e_ord, self.edge_row,
                self.edge_col, self.d_ptr, self.d_ord, self.diag_local,
                np.ascontiguousarray(w), np.ascontiguousarray(diag[self.order]), L, U, ok,
                self.rows_ptr, self.rows, y)
        _backward(self.npiv, self.fsize, self.rows_ptr, self.rows, self.l_ptr, L, y)
        x = np.empty_like(y)
        x[self.order] = y
        return x, ok


def _update_offsets(nodes: list[_Node], size: np.ndarray) -> tuple[np.ndarray, int]:
    """Offsets of the update matrices in one stack-like buffer, and the buffer's size.

    A node's update matrix is reserved when the traversal enters the node, below its
    children's, and stays until its parent is assembled; a finished child's subtree space
    is reused by its next sibling. The buffer then holds only the update matrices of the
    current root-to-leaf path and of finished siblings (radius 50: 0.08 M entries instead
    of 0.79 M for one slot per front; radius 150: 0.71 M instead of 10.6 M).
    """
    off = np.zeros(len(nodes), dtype=np.int64)
    peak = 0
    stack = [(len(nodes) - 1, 0)]  # the root is last in postorder
    while stack:
        k, pos = stack.pop()
        off[k] = pos
        nxt = pos + int(size[k])
        peak = max(peak, nxt)
        # children in reverse so that the first child is entered first; each child's
        # subtree starts where the previous child's own matrix ends
        starts = []
        for ch in nodes[k].children:
            starts.append((ch, nxt))
            nxt += int(size[ch])
        peak = max(peak, nxt)
        stack.extend(reversed(starts))
    return off, peak


def _csr(src: np.ndarray, dst: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    o = np.argsort(src, kind="stable")
    ptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n))]).astype(np.int64)
    return ptr, dst[o].astype(np.int64)


# ----------------------------------------------------------------------------- numeric
@numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy")
def _factor(npiv, fsize, l_ptr, u_ptr, ext, ext_ptr, ch_ptr, children, e_cnt, e_ord,
            edge_row, edge_col, d_cnt, d_ord, diag_local, w, diag, L, U,
            ok, rows_ptr, rows, y):  # pragma: no cover - numba
    """Numeric multifrontal factorisation of a batch, in place in ``L`` and ``U``.

    The front of node ``k`` is held as its ``p`` pivot columns ``P[j, i, b]`` (column
    ``j``, rows ``i >= j`` of the ``f`` front rows; this is the factor's storage) and its
    update matrix ``Uk[jj, ii, b]`` (rows/columns ``p..f-1``, lower triangle).
    """
    B = _B
    nfr = npiv.size
    piv = np.empty(B)
    umax = 0
    for k in range(nfr):
        umax = max(umax, fsize[k] - npiv[k])
    z = np.empty((umax, B))
    for k in range(nfr):
        f = fsize[k]
        p = npiv[k]
        u = f - p
        P = L[l_ptr[k] * B:(l_ptr[k] + p * f) * B].reshape((p, f, B))
        Uk = U[u_ptr[k] * B:(u_ptr[k] + u * u) * B].reshape((u, u, B))
        for j in range(p):
            P[j, j:] = 0.0
        for jj in range(u):
            Uk[jj, jj:] = 0.0
        for q in range(d_cnt[k], d_cnt[k + 1]):
            i = d_ord[q]
            li = diag_local[i]
            for bb in range(B):
                P[li, li, bb] += diag[i, bb]
        for q in range(e_cnt[k], e_cnt[k + 1]):
            e = e_ord[q]
            c, r = edge_col[e], edge_row[e]
            for bb in range(B):
                P[c, r, bb] -= w[e, bb]
        # extend-add the children's update matrices (ext is increasing: I >= J)
        for q in range(ch_ptr[k], ch_ptr[k + 1]):
            c = children[q]
            uc = fsize[c] - npiv[c]
            e0 = ext_ptr[c]
            Uc = U[u_ptr[c] * B:(u_ptr[c] + uc * uc) * B].reshape((uc, uc, B))
            for jj in range(uc):
                J = ext[e0 + jj]
                for ii in range(jj, uc):
                    row = ext[e0 + ii]
                    if J < p:
                        for bb in range(B):
                            P[J, row, bb] += Uc[jj, ii, bb]
                    else:
                        for bb in range(B):
                            Uk[J - p, row - p, bb] += Uc[jj, ii, bb]
        # left-looking partial Cholesky of the pivot columns, two columns at a time
        J = 0
        while J < p:
            if J + 1 < p:
                _col_update(P, J, J, P, J, J, 1, 0, J)  # the diagonal of column J
                _pair_update(P, J, J + 1, P, J, J + 1, f - J - 1, J)
                _finish_column(P, J, f, ok, piv)
                _col_update(P, J + 1, J + 1, P, J + 1, J + 1, f - J - 1, J, J + 1)
                _finish_column(P, J + 1, f, ok, piv)
                J += 2
            else:
                _col_update(P, J, J, P, J, J, f - J, 0, J)
                _finish_column(P, J, f, ok, piv)
                J += 1
        # update matrix: Uk -= L21 L21^T, two columns at a time
        jj = 0
        while jj + 1 < u:
            _col_update(Uk, jj, jj, P, p + jj, p + jj, 1, 0, p)
            _pair_update(Uk, jj, jj + 1, P, p + jj, p + jj + 1, u - jj - 1, p)
            jj += 2
        if jj < u:
            _col_update(Uk, jj, jj, P, p + jj, p + jj, u - jj, 0, p)
        _forward_front(P, p, f, rows, rows_ptr[k], y, z)


@numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy")
def _finish_column(P, J, f, ok, piv):  # pragma: no cover - numba
    """Scale pivot column ``J`` by ``1/sqrt(diagonal)``; flag windows with a bad pivot."""
    for bb in range(_B):
        dj = P[J, J, bb]
        if not (dj > 0.0) or not np.isfinite(dj):
            ok[bb] = False  # this window is solved again by the caller
            dj = 1.0
            P[J, J, bb] = 1.0
        piv[bb] = 1.0 / np.sqrt(dj)
    for i in range(J, f):
        for bb in range(_B):
            P[J, i, bb] *= piv[bb]


@numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy")
def _pair_update(D, jd, i0d, P, J, i0, n, kmax):  # pragma: no cover - numba
    """Update two columns at once: ``D[jd (+1), i0d + t] -= sum_k P[k, i0 + t] P[k, J (+1)]``.

    ``t < n`` and ``k < kmax``.

    The two columns share every load of ``P[k, i0 + t]``: 4.7-5.0 against 2.8 GFMA/s for
    one column at a time on a 150-row front (batch of 8, this machine).
    """
    J1 = J + 1
    k = 0
    while k + 4 <= kmax:
        for t in range(n):
            for bb in range(_B):
                a0 = P[k, i0 + t, bb]
                a1 = P[k + 1, i0 + t, bb]
                a2 = P[k + 2, i0 + t, bb]
                a3 = P[k + 3, i0 + t, bb]
                D[jd, i0d + t, bb] -= ((a0 * P[k, J, bb] + a1 * P[k + 1, J, bb])
                                       + (a2 * P[k + 2, J, bb] + a3 * P[k + 3, J, bb]))
                D[jd + 1, i0d + t, bb] -= ((a0 * P[k, J1, bb] + a1 * P[k + 1, J1, bb])
                                           + (a2 * P[k + 2, J1, bb] + a3 * P[k + 3, J1, bb]))
        k += 4
    while k < kmax:
        for t in range(n):
            for bb in range(_B):
                a0 = P[k, i0 + t, bb]
                D[jd, i0d + t, bb] -= a0 * P[k, J, bb]
                D[jd + 1, i0d + t, bb] -= a0 * P[k, J1, bb]
        k += 1


@numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy")
def _col_update(D, jd, i0d, P, J, i0, n, k0, kmax):  # pragma: no cover - numba
    """``D[jd, i0d + t] -= sum_{k0 <= k < kmax} P[k, i0 + t] * P[k, J]`` for ``t < n``.

    Unrolled 4-way over ``k``: 3.8 against 2.4 GFMA/s for the plain loop on a 150-row
    front (batch of 8, this machine).
    """
    k = k0
    while k + 4 <= kmax:
        for t in range(n):
            for bb in range(_B):
                D[jd, i0d + t, bb] -= ((P[k, i0 + t, bb] * P[k, J, bb]
                                        + P[k + 1, i0 + t, bb] * P[k + 1, J, bb])
                                       + (P[k + 2, i0 + t, bb] * P[k + 2, J, bb]
                                          + P[k + 3, i0 + t, bb] * P[k + 3, J, bb]))
        k += 4
    while k < kmax:
        for t in range(n):
            for bb in range(_B):
                D[jd, i0d + t, bb] -= P[k, i0 + t, bb] * P[k, J, bb]
        k += 1


@numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy")
def _forward_front(P, p, f, rows, r0, y, z):  # pragma: no cover - numba
    """Forward substitution ``L y = b`` for the pivots of one front.

    Run right after the front's factorisation, while it is in cache. The pivots are
    consecutive positions of the elimination order; the other rows are gathered into ``z``
    and scattered once.
    """
    B = _B
    u = f - p
    g0 = rows[r0]
    z[:u] = 0.0
    for j in range(p):
        for bb in range(B):
            y[g0 + j, bb] /= P[j, j, bb]
        for i in range(j + 1, p):
            for bb in range(B):
                y[g0 + i, bb] -= P[j, i, bb] * y[g0 + j, bb]
        for i in range(u):
            for bb in range(B):
                z[i, bb] += P[j, p + i, bb] * y[g0 + j, bb]
    for i in range(u):
        gi = rows[r0 + p + i]
        for bb in range(B):
            y[gi, bb] -= z[i, bb]


@numba.njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy")
def _backward(npiv, fsize, rows_ptr, rows, l_ptr, L, y):  # pragma: no cover - numba
    """Backward substitution ``L^T x = y`` with the factor of :func:`_factor`, in place."""
    B = _B
    nfr = npiv.size
    umax = 0
    for k in range(nfr):
        umax = max(umax, fsize[k] - npiv[k])
    z = np.empty((umax, B))
    for k in range(nfr - 1, -1, -1):
        f, p = fsize[k], npiv[k]
        u = f - p
        r0 = rows_ptr[k]
        g0 = rows[r0]
        P = L[l_ptr[k] * B:(l_ptr[k] + p * f) * B].reshape((p, f, B))
        for i in range(u):
            gi = rows[r0 + p + i]
            for bb in range(B):
                z[i, bb] = y[gi, bb]
        for j in range(p - 1, -1, -1):
            for i in range(u):
                for bb in range(B):
                    y[g0 + j, bb] -= P[j, p + i, bb] * z[i, bb]
            for i in range(j + 1, p):
                for bb in range(B):
                    y[g0 + j, bb] -= P[j, i, bb] * y[g0 + i, bb]
            for bb in range(B):
                y[g0 + j, bb] /= P[j, j, bb]
