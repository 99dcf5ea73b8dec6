"""The linear algebra of uLSIF/RuLSIF: moments, closed-form fit, exact leave-one-out.

Holding out a pair (one source row, one target row) changes ``H`` by a rank-1
(uLSIF) or rank-2 (RuLSIF) term and ``h`` by one row, so the held-out solution
follows from the Sherman-Morrison-Woodbury formula (Kanamori, Hido &
Sugiyama, JMLR 2009, Sec. 3.4). One eigendecomposition per kernel width makes
every regularisation value a diagonal rescaling, so the whole width x lambda
grid costs about one matrix product per grid point. The estimators live in
:mod:`._ulsif`.
"""

import numpy as np
from scipy import linalg
from sklearn.utils import gen_batches

from .. import _kernels

# Held-out pairs per block of the clipping correction: the (rows, b)
# temporaries stay in L2 and each block's worst-case clipping radius is
# tighter than a larger block's (measured ~25% faster than 1024 rows at 1000).
_LOO_SMALL_BLOCK = 192
# Held-out pairs per chunk of the leave-one-out: a chunk's kernel rows and
# (pairs, b) products are all that is held at once (~70 MB at b = 100),
# however many pairs there are.
_LOO_CHUNK = 8192
# Rows per kernel block when accumulating H and h: the block is reused once per
# kernel width, so it is kept cache-sized whatever the memory budget.
_MOMENT_BLOCK = 2048


def _lsif_moments(X_source, X_target, C, gammas, alpha):
    """``H_s``, ``H_t`` and ``h`` of JMLR 2009 eq. 6 for every kernel width.

    One pass over the rows: the squared distances of a block of rows to the
    centres are computed once and exponentiated for each width. Memory is a
    few blocks of ``_MOMENT_BLOCK x b`` whatever the number of rows.

    Returns arrays of shape (n_gammas, b, b), (n_gammas, b, b) or None when
    ``alpha == 0``, and (n_gammas, b).
    """
    b = C.shape[0]
    G = len(gammas)
    Hs = np.zeros((G, b, b))
    Ht = np.zeros((G, b, b)) if alpha > 0 else None
    h = np.zeros((G, b))
    # Widths in increasing order; when one is exactly twice the previous,
    # exp(-2 g D) = exp(-g D)^2 is one multiplication instead of an exp (the
    # default grid is such a ladder; relative rounding grows to ~1e-14 only).
    order = np.argsort(gammas, kind="stable")
    doubles = [k > 0 and gammas[order[k]] == 2 * gammas[order[k - 1]] for k in range(G)]
    K = np.empty((min(_MOMENT_BLOCK, max(X_source.shape[0], X_target.shape[0])), b))
    for X, is_target in ((X_source, False), (X_target, True)):
        for sl, D2 in _kernels.iter_sq_dist_blocks(X, C, max_rows=_MOMENT_BLOCK):
            Kb = K[: sl.stop - sl.start]
            for k, g in enumerate(order):
                if doubles[k]:
                    np.multiply(Kb, Kb, out=Kb)
                else:
                    np.multiply(D2, -gammas[g], out=Kb)
                    np.exp(Kb, out=Kb)
                if is_target:
                    h[g] += Kb.sum(axis=0)
                    if Ht is not None:
                        Ht[g] += Kb.T @ Kb  # numpy uses BLAS syrk for A.T @ A
                else:
                    Hs[g] += Kb.T @ Kb
    Hs /= X_source.shape[0]
    h /= X_target.shape[0]
    if Ht is not None:
        Ht /= X_target.shape[0]
    return Hs, Ht, h


def _lsif_coef(H, h, reg_lambda):
    """``max(0, (H + lambda I)^-1 h)`` (JMLR 2009, eq. 9 and Sec. 3.3)."""
    A = H + reg_lambda * np.eye(H.shape[0])
    try:
        theta = linalg.cho_solve(linalg.cho_factor(A, lower=True), h)
    except linalg.LinAlgError:  # not PD by rounding: lambda tiny vs |H|
        theta = linalg.lstsq(A, h)[0]
    return np.maximum(theta, 0.0)


def _lsif_loo(X_source, X_target, pairs, C, gammas, Hs, Ht, h, alpha, reg_lambdas):
    """Exact leave-one-pair-out criterion on the whole width x lambda grid.

    Held-out pair ``i`` is the source row ``X_source[pairs[0][i]]`` and the
    target row ``X_target[pairs[1][i]]``; the fit without them uses every
    other row (see :func:`_loo_pair_losses` for the formula).

    The pairs are taken ``_LOO_CHUNK`` at a time: a chunk's squared distances
    to the centres are computed once and exponentiated for each width, and
    only the sums of ``J`` and ``J^2`` per grid point are carried from one
    chunk to the next, so the ``(pairs, b)`` kernel rows and products never
    exceed one chunk, whatever the number of pairs.

    Returns
    -------
    mean, std : ndarray of shape (n_gammas, n_lambdas)
        Mean and standard deviation over the pairs of the held-out
        ``J_i = (1 - a)/2 r_i(x_s)^2 + a/2 r_i(x_t)^2 - r_i(x_t)``.
    per_pair : ndarray of shape (n_pairs, n_gammas, n_lambdas)
        Each pair's ``J_i``: the pairs are the folds, so these are the
        ``split{k}_test_score`` of a GridSearchCV over leave-one-pair-out
        folds (8 bytes per pair and grid point: 2.5 MB at the default 5 000
        pairs and 63 points).
    """
    idx_s, idx_t = pairs
    n_source, n_target = X_source.shape[0], X_target.shape[0]
    n_gammas, n_lambdas = len(gammas), len(reg_lambdas)
    # one eigendecomposition per width, shared by every chunk of pairs
    bases = [
        _loo_basis(
            Hs[g],
            None if Ht is None else Ht[g],
            h[g],
            n_source,
            n_target,
            alpha,
            reg_lambdas,
        )
        for g in range(n_gammas)
    ]
    total = np.zeros((n_gammas, n_lambdas))
    total_sq = np.zeros((n_gammas, n_lambdas))
    m = idx_s.shape[0]
    per_pair = np.empty((m, n_gammas, n_lambdas))
    Ps_buf = np.empty((min(m, _LOO_CHUNK), C.shape[0]))
    Pt_buf = np.empty_like(Ps_buf)
    for sl in gen_batches(m, _LOO_CHUNK):
        D2s = _kernels.sq_dists(X_source[idx_s[sl]], C)
        D2t = _kernels.sq_dists(X_target[idx_t[sl]], C)
        Ps, Pt = Ps_buf[: sl.stop - sl.start], Pt_buf[: sl.stop - sl.start]
        for g, gamma in enumerate(gammas):
            np.exp(np.multiply(D2s, -gamma, out=Ps), out=Ps)
            np.exp(np.multiply(D2t, -gamma, out=Pt), out=Pt)
            J = _loo_pair_losses(Ps, Pt, bases[g], n_source, n_target, alpha)
            per_pair[sl, g] = J
            total[g] += J.sum(axis=0)
            total_sq[g] += (J**2).sum(axis=0)
    mean = total / m
    var = np.maximum(total_sq / m - mean**2, 0.0)
    return mean, np.sqrt(var), per_pair


def _loo_basis(Hs, Ht, h, n_source, n_target, alpha, reg_lambdas):
    """What the held-out solutions of one width share, for every lambda.

    The eigenvectors ``V`` of ``A`` (see :func:`_loo_pair_losses`), the
    eigenvalues of ``G^-1 = (A + lambda I)^-1`` as ``F`` (b, L) and its
    transpose, ``V' h``, and the full-data solutions ``theta_bar`` scaled by
    ``n_t / (n_t - 1)``, one row per lambda.
    """
    A = Hs * (n_source / (n_source - 1)) * (1 - alpha)
    if alpha > 0:
        A = A + Ht * (alpha * n_target / (n_target - 1))
    # divide-and-conquer eigh: ~20% faster than the default driver at b=100;
    # SciPy before 1.11 sizes its workspace wrongly for a 1 x 1 matrix (one
    # centre, n_centers="auto" on a handful of target rows), so not there
    driver = "evd" if A.shape[0] > 1 else None
    s, V = linalg.eigh(A, driver=driver, check_finite=False)
    s = np.maximum(s, 0.0)  # A is PSD; eigh can return -1e-17
    lams = np.asarray(reg_lambdas, dtype=np.float64)
    F = 1.0 / (s[:, None] + lams[None, :])  # (b, L): eigenvalues of G^-1
    FT = np.ascontiguousarray(F.T)
    hv = V.T @ h
    kappa = n_target / (n_target - 1)
    # full-data solutions theta_bar_l = G_l^-1 h, one row per lambda
    TB = kappa * ((FT * hv) @ V.T)
    return V, F, FT, hv, TB


def _loo_pair_losses(Ps, Pt, basis, n_source, n_target, alpha):
    """Held-out losses ``J_i`` of a set of pairs, for every lambda.

    Held-out pair ``i`` is the source row with design ``phi_i = Ps[i]`` and
    the target row with design ``psi_i = Pt[i]``; the fit without them uses
    every other row. With ``A = (1 - a) n_s/(n_s - 1) H_s + a n_t/(n_t - 1)
    H_t`` (``a`` = alpha) and ``G = A + lambda I``, the held-out matrix is
    ``G - c phi phi' - a' psi psi'`` with ``c = (1 - a)/(n_s - 1)``, ``a' =
    a/(n_t - 1)``, and ``h_i = (n_t h - psi_i)/(n_t - 1)``. Woodbury's
    identity gives the held-out solution

        theta_i = G^-1 h_i + G^-1 W z,   z = (I - D W' G^-1 W)^-1 D W' G^-1 h_i,

    ``W = [phi_i, psi_i]``, ``D = diag(c, a')`` (JMLR 2009, Sec. 3.4, where
    ``a' = 0`` and this is Sherman-Morrison). In the eigenbasis of ``A``
    every ``G^-1`` is a diagonal scaling, so all lambdas share one
    decomposition (``basis``, from :func:`_loo_basis`). The clipped
    coefficients ``max(0, theta_i)`` are then evaluated at the held-out rows,
    exactly as a refit would: the unclipped values come from products already
    at hand, and since ``theta_i`` differs from the full-data ``theta`` by
    ``V (f * w_i)``, whose entries are at most ``||f * w_i||`` in size, only
    the coefficients that a held-out pair can make negative are formed (about
    a quarter of them on typical data).

    Returns
    -------
    J : ndarray of shape (n_pairs, n_lambdas)
        ``(1 - a)/2 r_i(x_s)^2 + a/2 r_i(x_t)^2 - r_i(x_t)``.
    """
    V, F, FT, hv, TB = basis
    kappa = n_target / (n_target - 1)
    inv_nt1 = 1.0 / (n_target - 1)
    c = (1 - alpha) / (n_source - 1)
    a = alpha / (n_target - 1)
    L = F.shape[1]
    m = Ps.shape[0]
    # Everything that does not depend on which coordinates get clipped is
    # formed once for all pairs: (m, b) products and (b, L) matrix products
    # with F treat every lambda in one BLAS call.
    p = Ps @ V
    q = Pt @ V
    pp, pq, qq = p * p, p * q, q * q
    Spp, Spq, Sqq = pp @ F, pq @ F, qq @ F
    # (p * e) @ F with e = kappa hv - q / (n_t - 1), e never formed
    pfe = kappa * (p @ (hv[:, None] * F)) - inv_nt1 * Spq
    M11 = 1.0 - c * Spp
    M12 = -c * Spq
    rhs1 = c * pfe
    if a > 0:
        qfe = kappa * (q @ (hv[:, None] * F)) - inv_nt1 * Sqq
        M21 = -a * Spq
        M22 = 1.0 - a * Sqq
        rhs2 = a * qfe
        det = M11 * M22 - M12 * M21
        z1 = (M22 * rhs1 - M12 * rhs2) / det
        z2 = (M11 * rhs2 - M21 * rhs1) / det
        z2 -= inv_nt1
    else:
        z1 = rhs1 / M11  # Sherman-Morrison: the rank-1 case
        z2 = None  # the constant -1 / (n_t - 1)
        q_z2 = q * -inv_nt1
    # theta_i = kappa theta_bar + V (f * w_i) with w_i = z1 p_i + z2 q_i;
    # unclipped, its values at the held-out rows are sums over the
    # eigen-coordinates that the products above already hold
    if z2 is None:
        r_s = Ps @ TB.T + z1 * Spp - inv_nt1 * Spq
        r_t = Pt @ TB.T + z1 * Spq - inv_nt1 * Sqq
        F2 = F * F
        rad2 = (
            z1 * z1 * (pp @ F2)
            - (2 * inv_nt1) * z1 * (pq @ F2)
            + inv_nt1**2 * (qq @ F2)
        )
    else:
        r_s = Ps @ TB.T + z1 * Spp + z2 * Spq
        r_t = Pt @ TB.T + z1 * Spq + z2 * Sqq
        F2 = F * F
        rad2 = z1 * z1 * (pp @ F2) + 2 * z1 * z2 * (pq @ F2) + z2 * z2 * (qq @ F2)
    del pp, pq, qq
    np.maximum(rad2, 0.0, out=rad2)
    # Blocks of pairs small enough for the (rows, b) temporaries to stay in
    # cache; a smaller block also has a smaller worst-case radius below.
    block = _LOO_SMALL_BLOCK
    fw_buf = np.empty((min(block, m), p.shape[1]))
    for sl in gen_batches(m, block):
        p_b, ps_b, pt_b = p[sl], Ps[sl], Pt[sl]
        fw = fw_buf[: p_b.shape[0]]
        # |(V (f * w_i))_j| <= ||f * w_i|| as V's rows have unit norm, so
        # centres whose kappa theta_bar exceeds that stay positive for every
        # pair of the block: clipping changes only the other coordinates
        radius = np.sqrt(rad2[sl].max(axis=0))
        thr = radius * (1 + 1e-8) + 1e-300
        for k in range(L):
            R = np.flatnonzero(TB[k] <= thr[k])
            if not R.size:
                continue
            np.multiply(p_b, z1[sl, k, None], out=fw)
            if z2 is None:
                fw += q_z2[sl]
            else:
                fw += q[sl] * z2[sl, k, None]
            # the scaling by f moves onto the small (b, |R|) factor
            theta_R = fw @ (FT[k, :, None] * V[R].T)
            theta_R += TB[k, R]
            np.minimum(theta_R, 0.0, out=theta_R)  # the part clipping removes
            r_s[sl, k] -= np.einsum("mr,mr->m", ps_b[:, R], theta_R)
            r_t[sl, k] -= np.einsum("mr,mr->m", pt_b[:, R], theta_R)
    return 0.5 * (1 - alpha) * r_s**2 + 0.5 * alpha * r_t**2 - r_t


def _loo_pairs(order_s, order_t, max_pairs, rng):
    """Indices of the held-out (source, target) pairs.

    ``min(n_s, n_t)`` pairs as in JMLR 2009 Sec. 3.4, or a random subset of
    ``max_pairs`` of them: each held-out pair is still scored exactly (its
    refit uses every other row), only fewer pairs are averaged. As in the
    paper, the centres stay fixed, so a held-out target row may be a centre.
    """
    n_s, n_t = order_s.shape[0], order_t.shape[0]
    m = min(n_s, n_t)
    if max_pairs is not None:
        m = min(m, max_pairs)
    idx_s = order_s[rng.choice(n_s, m, replace=False)]
    idx_t = order_t[rng.choice(n_t, m, replace=False)]
    return idx_s, idx_t
