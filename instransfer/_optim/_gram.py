"""Gram operators of the KMM quadratic programme.

``DenseGram`` holds the exact kernel matrix, ``LowRankGram`` its Nystroem
approximation ``Phi Phi' + diag(D)``.

The solvers of :mod:`._kmm_qp` see ``K`` only through these operators: a
product ``K v``, the equality-constrained step on a free set, and the
factorisation of ``K + Theta`` of the interior-point method. The low-rank one
does each in ``O(n r^2)`` by Woodbury algebra, so one solver serves both
modes of :class:`~instransfer.KMM`.
"""

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve

__all__ = ["DenseGram", "LowRankGram"]

# Rows of a low-rank factor processed per block (bounded temporaries).
_BLOCK_ROWS = 16384


def _cholesky(A, jitter_scale):
    """Cholesky factor of ``A`` (overwritten), adding jitter when needed."""
    try:
        return cho_factor(A, lower=True, overwrite_a=False, check_finite=False)
    except LinAlgError:
        pass
    diag = np.diag_indices_from(A)
    base = A[diag].copy()
    for jitter in (1e-12, 1e-10, 1e-8, 1e-6):
        A[diag] = base + jitter * jitter_scale
        try:
            return cho_factor(A, lower=True, overwrite_a=False, check_finite=False)
        except LinAlgError:
            continue
    raise LinAlgError("matrix is not positive definite even with jitter")


class DenseGram:
    """The exact kernel matrix ``K`` held in memory (float64)."""

    def __init__(self, K):
        self.K = K
        self.n = K.shape[0]
        self._scale = float(np.max(np.diag(K))) if self.n else 1.0

    def matvec(self, v):
        return self.K @ v

    def free_step(self, F, U, kappa, upper, target):
        """Minimiser over the free rows ``F`` with ``U`` held at ``upper``.

        The sum of the weights is held at ``target`` (multiplier ``nu``)
        unless it is None. Returns ``beta, nu, K beta``.
        """
        beta = np.zeros(self.n)
        nu = 0.0
        if U.size:
            beta[U] = upper
        if F.size:
            rhs = kappa[F]
            if U.size:
                # K[F][:, U] @ 1 through the rows of U (K is symmetric)
                rhs = rhs - upper * self.K[np.ix_(U, F)].sum(axis=0)
            cf = self._cf = _cholesky(self.K[np.ix_(F, F)], self._scale)
            if target is None:
                x = cho_solve(cf, rhs, check_finite=False)
            else:
                sol = cho_solve(
                    cf, np.column_stack([rhs, np.ones(F.size)]), check_finite=False
                )
                fixed = upper * U.size if U.size else 0.0
                nu = (sol[:, 0].sum() + fixed - target) / sol[:, 1].sum()
                x = sol[:, 0] - nu * sol[:, 1]
            beta[F] = x
        return beta, nu, self.K @ beta

    def correct(self, F, rhs, with_sum):
        """Correction ``d`` of the last :meth:`free_step` (iterative refinement).

        Solves ``K_FF d = rhs - nu'`` (with ``sum(d) = 0`` when ``with_sum``)
        with the factor of the last step; returns ``d``, ``nu'``, ``K d``. Its
        rounding errors scale with the small ``rhs``, not with ``beta``.
        """
        x = cho_solve(self._cf, rhs, check_finite=False)
        nu = 0.0
        if with_sum:
            e = cho_solve(self._cf, np.ones(F.size), check_finite=False)
            nu = x.sum() / e.sum()
            x = x - nu * e
        delta = np.zeros(self.n)
        delta[F] = x
        return delta, nu, self.K @ delta

    def factor_shifted(self, theta):
        A = self.K.copy()
        A[np.diag_indices_from(A)] += theta
        self._cs = _cholesky(A, self._scale)

    def solve_shifted(self, rhs):
        return cho_solve(self._cs, rhs, check_finite=False)


class LowRankGram:
    """``Phi Phi' + diag(D)`` with ``Phi`` of shape (n, r), ``D > 0``.

    Solves on a subset of rows use the Woodbury identity, so every operation
    costs ``O(rows * r^2)`` at most and no ``n x n`` matrix is formed.
    """

    def __init__(self, Phi, D):
        self.Phi = Phi
        self.D = D
        self.n, self.r = Phi.shape

    def _blocks(self, rows):
        for start in range(0, rows.shape[0], _BLOCK_ROWS):
            idx = rows[start : start + _BLOCK_ROWS]
            yield start, idx, self.Phi[idx]

    def _t_matvec(self, rows, v):
        """``Phi[rows].T @ v``."""
        out = np.zeros((self.r,) + v.shape[1:])
        for start, _, P in self._blocks(rows):
            out += P.T @ v[start : start + P.shape[0]]
        return out

    def _all_rows_times(self, W):
        """``Phi @ W`` over all rows, a block at a time."""
        out = np.empty((self.n,) + W.shape[1:])
        for start in range(0, self.n, _BLOCK_ROWS):
            sl = slice(start, start + _BLOCK_ROWS)
            np.matmul(self.Phi[sl], W, out=out[sl])
        return out

    def matvec(self, v):
        S = np.flatnonzero(v)
        return self._all_rows_times(self._t_matvec(S, v[S])) + self.D * v

    def _accumulate(self, rows, kappa, sign):
        """Add (``sign=1``) or remove rows' terms of the free-set sums."""
        for _, idx, P in self._blocks(rows):
            inv_d = 1.0 / self.D[idx]
            Q = P * np.sqrt(inv_d)[:, None]
            self._A += sign * (Q.T @ Q)
            self._w += sign * (P.T @ np.column_stack([kappa[idx] * inv_d, inv_d]))
            self._s += sign * np.array([kappa[idx] @ inv_d, inv_d.sum()])

    def free_step(self, F, U, kappa, upper, target):
        """As :meth:`DenseGram.free_step`, in one pass over the rows.

        On the free rows, with ``A = Phi_F' diag(1/D_F) Phi_F``, Woodbury
        gives the solution ``x = (kappa_F - nu - Phi_F v) / D_F`` with
        ``v = c + (I + A)^-1 (w_kappa - nu w_1 - A c)``, where ``c`` is
        ``Phi_U' 1`` times the upper bound, ``w_kappa = Phi_F' (kappa_F /
        D_F)`` and ``w_1 = Phi_F' (1 / D_F)``; ``Phi' beta`` and the sum of
        ``x`` follow from the same small quantities. ``A``, ``w`` and the
        scalar sums are updated with the rows that entered or left the free
        set since the last call (active sets change little from one
        iteration to the next), so a step costs one pass ``Phi @ [v, Phi'
        beta]`` over the rows plus ``O(changed rows * r^2)``.
        """
        n, r = self.n, self.r
        free = np.zeros(n, dtype=bool)
        free[F] = True
        prev = getattr(self, "_free", None)
        if prev is None or 2 * np.count_nonzero(prev != free) > F.size:
            self._A = np.zeros((r, r))
            self._w = np.zeros((r, 2))
            self._s = np.zeros(2)
            self._accumulate(F, kappa, 1.0)
        else:
            self._accumulate(np.flatnonzero(free & ~prev), kappa, 1.0)
            self._accumulate(np.flatnonzero(prev & ~free), kappa, -1.0)
        self._free = free
        beta = np.zeros(n)
        c = np.zeros(r)
        if U.size:
            beta[U] = upper
            c = upper * self._t_matvec(U, np.ones(U.size))
        if not F.size:
            return beta, 0.0, self.matvec(beta)
        A, (w_k, w_1), (s_k, s_1) = self._A, self._w.T, self._s
        M = A + np.eye(r)
        cf = self._cf = _cholesky(M.copy(), 1.0)
        z = cho_solve(cf, np.column_stack([w_k - A @ c, w_1]), check_finite=False)
        nu = 0.0
        if target is not None:
            # sum_F x = s_k - nu s_1 - w_1' v, linear in nu through v
            fixed = upper * U.size if U.size else 0.0
            sum0 = s_k - w_1 @ (c + z[:, 0])
            sum1 = s_1 - w_1 @ z[:, 1]
            nu = (sum0 + fixed - target) / sum1
        v = c + z[:, 0] - nu * z[:, 1]
        u = w_k - nu * w_1 - A @ v + c  # Phi' beta
        G = self._all_rows_times(np.column_stack([v, u]))
        beta[F] = (kappa[F] - nu - G[F, 0]) / self.D[F]
        return beta, nu, G[:, 1] + self.D * beta

    def correct(self, F, rhs, with_sum):
        """As :meth:`DenseGram.correct`, with the last Woodbury factor.

        One pass over the free rows, one over all rows.
        """
        A, w_1, s_1 = self._A, self._w[:, 1], self._s[1]
        d = self.D[F]
        y = rhs / d
        w = self._t_matvec(F, y)
        z = cho_solve(self._cf, np.column_stack([w, w_1]), check_finite=False)
        nu = 0.0
        if with_sum:
            nu = (y.sum() - w_1 @ z[:, 0]) / (s_1 - w_1 @ z[:, 1])
        v = z[:, 0] - nu * z[:, 1]
        u = w - nu * w_1 - A @ v  # Phi_F' d
        G = self._all_rows_times(np.column_stack([v, u]))
        delta = np.zeros(self.n)
        delta[F] = y - (nu + G[F, 0]) / d
        return delta, nu, G[:, 1] + self.D * delta

    def factor_shifted(self, theta):
        """Woodbury core of ``K + diag(theta)`` over all rows."""
        self._ds = self.D + theta
        M = np.eye(self.r)
        for start in range(0, self.n, _BLOCK_ROWS):
            sl = slice(start, start + _BLOCK_ROWS)
            Q = self.Phi[sl] / np.sqrt(self._ds[sl])[:, None]
            M += Q.T @ Q
        self._cs = _cholesky(M, 1.0)

    def solve_shifted(self, rhs):
        dd = self._ds if rhs.ndim == 1 else self._ds[:, None]
        y = rhs / dd
        Pty = np.zeros((self.r,) + rhs.shape[1:])
        for start in range(0, self.n, _BLOCK_ROWS):
            sl = slice(start, start + _BLOCK_ROWS)
            Pty += self.Phi[sl].T @ y[sl]
        z = cho_solve(self._cs, Pty, check_finite=False)
        return y - self._all_rows_times(z) / dd
