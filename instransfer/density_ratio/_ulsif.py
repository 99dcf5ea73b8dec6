"""uLSIF and RuLSIF: least-squares fitting of a Gaussian-kernel density ratio.

The ratio is modelled as ``r(x) = sum_l theta_l exp(-gamma ||x - c_l||^2)``
with centres ``c_l`` drawn from the target rows. uLSIF (Kanamori, Hido &
Sugiyama, JMLR 2009) minimises the squared error to ``p_t / p_s``,

    J(theta) = 1/2 E_s[r(x)^2] - E_t[r(x)]   (+ const),

whose regularised empirical version ``1/2 theta' H theta - h' theta +
lambda/2 theta' theta`` has the closed form ``theta = (H + lambda I)^-1 h``,
negative coefficients clipped (JMLR 2009, eqs. 8-9, Sec. 3.3). RuLSIF (Yamada
et al., NIPS 2011) fits the *relative* ratio ``p_t / (alpha p_t + (1 - alpha)
p_s)``, bounded by ``1 / alpha``, with ``H = (1 - alpha) H_s + alpha H_t``.

Leave-one-out cross-validation is exact and analytic: holding out a pair
(one source row, one target row) changes ``H`` by a rank-1 (uLSIF) or rank-2
(RuLSIF) term and ``h`` by one row, so the held-out solution follows from the
Sherman-Morrison-Woodbury formula (JMLR 2009, Sec. 3.4). One eigendecomposition
per kernel width makes every regularisation value a diagonal rescaling, so
the whole width x lambda grid costs about one matrix product per grid point.
"""

from numbers import Integral, Real

import numpy as np
from scipy import linalg
from sklearn.utils import check_random_state, gen_batches

from .. import _kernels
from ..base import BaseWeighter
from ..utils._compat import Interval

__all__ = ["ULSIF", "ULSIFCV", "RULSIF", "RULSIFCV"]

# Regularisation grid of the authors' reference code (uLSIF.m, Sugiyama).
DEFAULT_REG_LAMBDAS = tuple(np.logspace(-3, 1, 9).tolist())
# The reference code's width grid, sigma = logspace(-3, 1, 9), is in the
# units of the data; we place nine widths around the median heuristic instead,
# so that the default works whatever the scale of the features (leave-one-out
# mostly picks 1-8 times the heuristic's gamma, more with more rows).
# Neighbours differ by a factor 2 in gamma (sqrt 2 in sigma), which also lets
# one kernel block be squared into the next instead of a new exp.
DEFAULT_GAMMA_FACTORS = tuple((2.0 ** np.arange(-3, 6)).tolist())

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


def _canonical_order(X):
    """A row order that depends on the rows' values only, not on their order.

    Centres and held-out pairs are drawn from this order, so shuffling the
    rows of the input leaves the fitted model unchanged. A fixed random
    projection has distinct values on distinct rows (almost surely); tied
    rows are identical, so their order does not matter.
    """
    u = np.random.RandomState(0).standard_normal(X.shape[1])
    return np.argsort((X * u).sum(axis=1), kind="stable")


def _select_centers(X_target, n_centers, centers, rng, order=None):
    if centers is not None:
        C = np.array(centers, dtype=np.float64)  # a copy: centers_ is ours
        if C.ndim != 2 or C.shape[1] != X_target.shape[1] or C.shape[0] < 1:
            raise ValueError(
                f"centers must have shape (n_centers, {X_target.shape[1]}); got "
                f"{C.shape}."
            )
        if not np.isfinite(C).all():
            raise ValueError("centers must be finite.")
        return C
    n_t = X_target.shape[0]
    b = min(n_centers, n_t)
    if order is None:
        order = _canonical_order(X_target)
    idx = order[np.sort(rng.choice(n_t, b, replace=False))]
    return np.array(X_target[idx], dtype=np.float64)


def _median_gamma(X_source, X_target, orders=(None, None), max_rows=250):
    """Median heuristic on a subsample pooled from both domains.

    The subsample has a fixed seed, as in KMM: the kernel width depends on the
    data only, not on ``random_state`` (which draws the centres and held-out
    pairs).
    """
    rng = np.random.RandomState(0)
    parts = []
    for X, order in zip((X_source, X_target), orders, strict=True):
        if order is None:
            order = _canonical_order(X)
        if X.shape[0] > max_rows:
            order = order[np.sort(rng.choice(X.shape[0], max_rows, replace=False))]
        parts.append(X[order])
    return _kernels.median_heuristic_gamma(
        np.vstack(parts), max_rows=2 * max_rows, random_state=0
    )


def _resolve_gamma_grid(gammas, X_source, X_target, orders=(None, None)):
    """The kernel widths to try, the median-heuristic one included."""
    if gammas is None:
        g0 = _median_gamma(X_source, X_target, orders)
        return g0 * np.asarray(DEFAULT_GAMMA_FACTORS)  # exact doublings
    grid = np.atleast_1d(np.asarray(gammas, dtype=object))
    out = []
    g0 = None
    for g in grid.ravel():
        if g is None:
            if g0 is None:
                g0 = _median_gamma(X_source, X_target, orders)
            out.append(g0)
        else:
            out.append(float(g))
    out = np.asarray(out, dtype=np.float64)
    if out.size == 0 or not np.all(np.isfinite(out)) or np.any(out <= 0):
        raise ValueError(f"gammas must be positive finite numbers; got {gammas!r}.")
    return out


def _check_lambdas(reg_lambdas):
    lam = np.atleast_1d(np.asarray(reg_lambdas, dtype=np.float64)).ravel()
    if lam.size == 0 or not np.all(np.isfinite(lam)) or np.any(lam <= 0):
        raise ValueError(
            f"reg_lambdas must be positive finite numbers; got {reg_lambdas!r}."
        )
    return lam


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
            total[g] += J.sum(axis=0)
            total_sq[g] += (J**2).sum(axis=0)
    mean = total / m
    var = np.maximum(total_sq / m - mean**2, 0.0)
    return mean, np.sqrt(var)


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
    # divide-and-conquer eigh: ~20% faster than the default driver at b=100
    s, V = linalg.eigh(A, driver="evd", check_finite=False)
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


class _BaseLSIF(BaseWeighter):
    """Shared fitting of uLSIF/RuLSIF over a grid (one point for ULSIF)."""

    _parameter_constraints: dict = {
        **BaseWeighter._parameter_constraints,
        "n_centers": [Interval(Integral, 1, None, closed="left")],
        "centers": ["array-like", None],
        "random_state": ["random_state"],
    }

    _alpha_value = 0.0
    _single_threaded_blas = True  # products with ~100 centres
    _scale_sensitive = True  # one isotropic Gaussian width

    def _grid(self):
        """(gammas or None for the median heuristic, reg_lambdas, do_loo)."""
        raise NotImplementedError

    def _fit_log_ratio(self, X_source, X_target):
        rng = check_random_state(self.random_state)
        X_source = np.asarray(X_source, dtype=np.float64)
        X_target = np.asarray(X_target, dtype=np.float64)
        alpha = float(self._alpha_value)
        gammas, reg_lambdas, do_loo = self._grid()
        orders = (_canonical_order(X_source), _canonical_order(X_target))
        gammas = _resolve_gamma_grid(gammas, X_source, X_target, orders)
        reg_lambdas = _check_lambdas(reg_lambdas)
        C = _select_centers(X_target, self.n_centers, self.centers, rng, orders[1])
        Hs, Ht, h = _lsif_moments(X_source, X_target, C, gammas, alpha)

        if do_loo:
            max_pairs = getattr(self, "max_loo_pairs", None)
            idx_s, idx_t = _loo_pairs(*orders, max_pairs, rng)
            self._loo_pairs = (idx_s, idx_t)
            means, stds = _lsif_loo(
                X_source,
                X_target,
                (idx_s, idx_t),
                C,
                gammas,
                Hs,
                Ht,
                h,
                alpha,
                reg_lambdas,
            )
            scores = -means  # higher is better, like ``score``
            best = np.unravel_index(np.argmax(scores), scores.shape)
            self.cv_results_ = _grid_results(gammas, reg_lambdas, scores, stds)
            self.best_score_ = float(scores[best])
            g_best, l_best = best
        else:
            g_best, l_best = 0, 0

        self.gamma_ = float(gammas[g_best])
        self.reg_lambda_ = float(reg_lambdas[l_best])
        H = Hs[g_best] * (1 - alpha)
        if Ht is not None:
            H = H + alpha * Ht[g_best]
        self.coef_ = _lsif_coef(H, h[g_best], self.reg_lambda_)
        self.centers_ = C
        return self._log_ratio(X_source)

    def _log_ratio(self, X):
        with np.errstate(divide="ignore"):
            log_coef = np.log(self.coef_)
        return _kernels.log_rbf_expansion(X, self.centers_, self.gamma_, log_coef)

    def score(self, X, y):
        """Minus the held-out squared loss ``J`` of the ratio (higher is better).

        ``-J = mean_target(r) - 1/2 mean_source(r^2)`` for uLSIF (Kanamori et
        al., JMLR 2009, eq. 3 up to a constant) and ``mean_target(r -
        alpha/2 r^2) - (1 - alpha)/2 mean_source(r^2)`` for RuLSIF (Yamada et
        al., NIPS 2011, Sec. 3), on the raw fitted model ``r``: the criterion
        the method minimises, so :class:`~sklearn.model_selection.GridSearchCV`
        needs no scorer. As for every weighter, it is the mean over the pooled
        held-out rows of per-row terms, each domain's scaled by its share
        ``pi`` seen in ``fit`` (see :meth:`BaseWeighter.score`); with that
        share in the held-out rows it is exactly ``-J``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Held-out source and target rows, stacked.
        y : array-like of shape (n_samples,)
            Domain of each row (0 source, 1 target).

        Returns
        -------
        score : float
        """
        return super().score(X, y)

    def _score_terms(self, X_source, X_target):
        # the fitted criterion itself, on the raw model (not renormalised)
        pi = self.n_target_ / (self.n_source_ + self.n_target_)
        a = float(self._alpha_value)
        r_s = self._raw_ratio(X_source)
        r_t = self._raw_ratio(X_target)
        return -0.5 * (1 - a) * r_s**2 / (1 - pi), (r_t - 0.5 * a * r_t**2) / pi

    def _raw_ratio(self, X):
        if X.shape[0] == 0:
            return np.zeros(0)
        return np.exp(self._log_ratio(X))


def _grid_results(gammas, reg_lambdas, scores, stds):
    """``cv_results_`` in the layout of GridSearchCV (gamma varies slowest)."""
    from scipy.stats import rankdata

    G, L = scores.shape
    flat = scores.ravel()
    ranks = rankdata(-flat, method="min").astype(np.int32)
    param_gamma = np.repeat(gammas, L)
    param_lambda = np.tile(reg_lambdas, G)
    return {
        "params": [
            {"gamma": float(g), "reg_lambda": float(lam)}
            for g, lam in zip(param_gamma, param_lambda, strict=True)
        ],
        "param_gamma": param_gamma,
        "param_reg_lambda": param_lambda,
        "mean_test_score": flat.copy(),
        "std_test_score": stds.ravel().copy(),
        "rank_test_score": ranks,
    }


_COMMON_PARAMS_DOC = """
    n_centers : int, default=100
        Number of kernel centres, drawn without replacement from the target
        rows (all of them when there are fewer).
    centers : array-like of shape (n_centers, n_features), default=None
        Fixed kernel centres; overrides ``n_centers`` (e.g. to compare fits
        on the same basis).
    random_state : int, RandomState instance or None, default=None
        Seeds the choice of centres (and of held-out pairs). The draw is
        made from the rows sorted by content, so the fit does not depend on
        the order of the rows. The median heuristic's subsample (above 250
        rows per domain) has a fixed seed: ``gamma_`` does not depend on it.
    flatten : float, default=1.0
        Exponent applied to the ratio (0: uniform weights).
    clip : float or None, default=None
        Largest weight as a multiple of the mean weight.
    clip_quantile : float or None, default=None
        Quantile of the weights at which to cap them."""


class ULSIF(_BaseLSIF):
    """Unconstrained least-squares importance fitting (uLSIF), one setting.

    Fits ``r(x) = sum_l theta_l exp(-gamma ||x - c_l||^2)`` to ``p_t / p_s``
    by least squares, ``theta = max(0, (H + reg_lambda I)^-1 h)`` with
    ``H = Phi_s' Phi_s / n_s`` and ``h = Phi_t' 1 / n_t`` (Kanamori, Hido &
    Sugiyama, 2009, eqs. 6-9). To choose ``gamma`` and ``reg_lambda`` use
    :class:`ULSIFCV` (exact leave-one-out) or
    :class:`~sklearn.model_selection.GridSearchCV`: :meth:`score` is minus the
    held-out squared loss ``J``.

    Parameters
    ----------
    gamma : float or None, default=None
        Kernel width, ``k(x, c) = exp(-gamma ||x - c||^2)``; ``None`` uses the
        median heuristic on a subsample of both domains.
    reg_lambda : float, default=0.1
        Ridge penalty ``lambda`` on the coefficients.
    {common}

    Attributes
    ----------
    coef_ : ndarray of shape (n_centers,)
        Non-negative coefficients ``theta``.
    centers_ : ndarray of shape (n_centers, n_features)
        Kernel centres.
    gamma_ : float
        Kernel width used (the median heuristic's when ``gamma=None``).
    reg_lambda_ : float
        Regularisation used.
    weights_ : ndarray of shape (n_source,)
        Weights of the source rows seen in ``fit``, mean 1.
    log_norm_ : float
        Log of the mean raw ratio over the fit's source rows.
    n_source_, n_target_ : int
        Rows of each domain seen in ``fit``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of str
        Names of features seen during ``fit`` (DataFrame input only).

    See Also
    --------
    ULSIFCV : Chooses ``gamma`` and ``reg_lambda`` by exact leave-one-out.
    RULSIF : The relative ratio, bounded by ``1 / alpha``.
    KLIEP : Kullback-Leibler fitting of the same model.

    References
    ----------
    .. [1] T. Kanamori, S. Hido and M. Sugiyama, "A least-squares approach to
       direct importance estimation", JMLR 10, 2009, eqs. 6-9.

    Examples
    --------
    >>> import instransfer as it
    >>> data = it.datasets.make_covariate_shift(random_state=0)
    >>> w = it.ULSIF(random_state=0).fit(data.X, data.domain)
    >>> w.weights_.shape, round(w.weights_.mean(), 6)
    ((500,), 1.0)
    """

    _parameter_constraints: dict = {
        **_BaseLSIF._parameter_constraints,
        "gamma": [Interval(Real, 0, None, closed="neither"), None],
        "reg_lambda": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        gamma=None,
        reg_lambda=0.1,
        *,
        n_centers=100,
        centers=None,
        random_state=None,
        flatten=1.0,
        clip=None,
        clip_quantile=None,
    ):
        self.gamma = gamma
        self.reg_lambda = reg_lambda
        self.n_centers = n_centers
        self.centers = centers
        self.random_state = random_state
        self.flatten = flatten
        self.clip = clip
        self.clip_quantile = clip_quantile

    def _grid(self):
        return [self.gamma], [self.reg_lambda], False


class ULSIFCV(_BaseLSIF):
    """uLSIF with ``gamma`` and ``reg_lambda`` chosen by exact leave-one-out.

    For every pair of the grid the leave-one-out squared loss is computed in
    closed form (Kanamori, Hido & Sugiyama, JMLR 2009, Sec. 3.4): a held-out
    (source, target) pair changes ``H`` by a rank-1 term, and the
    Sherman-Morrison formula gives the refit without it exactly, clipping
    included. One eigendecomposition per width serves every ``reg_lambda``,
    and a pass over the data computes ``H`` for every width at once, so the
    9 x 9 default grid at 100 000 + 100 000 rows takes seconds and memory
    independent of ``n`` beyond the input.

    Parameters
    ----------
    gammas : array-like of float or None, default=None
        Kernel widths to try; ``None`` tries the median heuristic ``g0``
        times ``2 ** [-3, ..., 5]``; a ``None`` inside the list stands for
        ``g0``.
    reg_lambdas : array-like of float, default=np.logspace(-3, 1, 9)
        Regularisation values to try (the authors' reference grid).
    max_loo_pairs : int or None, default=5000
        Largest number of held-out pairs averaged in the criterion; above it a
        seeded random subset of pairs is used (each still scored exactly).
        ``None`` uses all ``min(n_source, n_target)`` pairs.
    {common}

    Attributes
    ----------
    gamma_ : float
        Chosen kernel width.
    reg_lambda_ : float
        Chosen regularisation.
    cv_results_ : dict of ndarray
        The whole criterion surface in :class:`~sklearn.model_selection.GridSearchCV`'s
        layout (``gamma`` varying slowest): ``params``, ``param_gamma``,
        ``param_reg_lambda``, ``mean_test_score`` (minus the leave-one-out
        ``J``; higher is better), ``std_test_score`` (over held-out pairs),
        ``rank_test_score``. ``mean_test_score.reshape(n_gammas, n_lambdas)``
        gives the grid. There is no ``split{k}_test_score``: the held-out
        splits are the leave-one-out pairs (thousands), whose criterion is
        summed as it is computed, chunk by chunk, so memory stays bounded.
    best_score_ : float
        ``mean_test_score`` of the chosen pair.
    coef_ : ndarray of shape (n_centers,)
        Non-negative coefficients refitted on all rows.
    centers_ : ndarray of shape (n_centers, n_features)
        Kernel centres (shared by every grid point and held-out fit).
    weights_ : ndarray of shape (n_source,)
        Weights of the source rows seen in ``fit``, mean 1.
    log_norm_ : float
        Log of the mean raw ratio over the fit's source rows.
    n_source_, n_target_ : int
        Rows of each domain seen in ``fit``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of str
        Names of features seen during ``fit`` (DataFrame input only).

    See Also
    --------
    ULSIF : One setting, for use inside GridSearchCV.
    RULSIFCV : The relative ratio with the same leave-one-out.

    References
    ----------
    .. [1] T. Kanamori, S. Hido and M. Sugiyama, "A least-squares approach to
       direct importance estimation", JMLR 10, 2009, Sec. 3.4.

    Examples
    --------
    >>> import instransfer as it
    >>> data = it.datasets.make_covariate_shift(random_state=0)
    >>> w = it.ULSIFCV(random_state=0).fit(data.X, data.domain)
    >>> len(w.cv_results_["mean_test_score"])
    81
    >>> round(w.weights_.mean(), 6)
    1.0
    """

    _parameter_constraints: dict = {
        **_BaseLSIF._parameter_constraints,
        "gammas": ["array-like", None],
        "reg_lambdas": ["array-like"],
        "max_loo_pairs": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        gammas=None,
        reg_lambdas=DEFAULT_REG_LAMBDAS,
        *,
        max_loo_pairs=5000,
        n_centers=100,
        centers=None,
        random_state=None,
        flatten=1.0,
        clip=None,
        clip_quantile=None,
    ):
        self.gammas = gammas
        self.reg_lambdas = reg_lambdas
        self.max_loo_pairs = max_loo_pairs
        self.n_centers = n_centers
        self.centers = centers
        self.random_state = random_state
        self.flatten = flatten
        self.clip = clip
        self.clip_quantile = clip_quantile

    def _grid(self):
        return self.gammas, self.reg_lambdas, True


class RULSIF(_BaseLSIF):
    """Relative uLSIF (RuLSIF): the ratio ``p_t / (alpha p_t + (1 - alpha) p_s)``.

    The relative ratio is bounded by ``1 / alpha``, so it is smoother and
    easier to estimate than ``p_t / p_s``; its weights trade a little bias
    for much less variance (Yamada, Suzuki, Kanamori, Hachiya & Sugiyama,
    NIPS 2011). ``theta = max(0, (H + reg_lambda I)^-1 h)`` with
    ``H = (1 - alpha) Phi_s' Phi_s / n_s + alpha Phi_t' Phi_t / n_t``.
    ``alpha=0`` is :class:`ULSIF`.

    Note that ``weights_`` estimate the *relative* ratio, not ``p_t / p_s``.

    Parameters
    ----------
    gamma : float or None, default=None
        Kernel width; ``None`` uses the median heuristic.
    reg_lambda : float, default=0.1
        Ridge penalty on the coefficients.
    alpha : float in [0, 1), default=0.1
        Share of the target density in the denominator.
    {common}

    Attributes
    ----------
    coef_ : ndarray of shape (n_centers,)
        Non-negative coefficients.
    centers_ : ndarray of shape (n_centers, n_features)
        Kernel centres.
    gamma_ : float
        Kernel width used.
    reg_lambda_ : float
        Regularisation used.
    weights_ : ndarray of shape (n_source,)
        Relative-ratio weights of the source rows seen in ``fit``, mean 1.
    log_norm_ : float
        Log of the mean raw ratio over the fit's source rows.
    n_source_, n_target_ : int
        Rows of each domain seen in ``fit``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of str
        Names of features seen during ``fit`` (DataFrame input only).

    See Also
    --------
    RULSIFCV : Chooses ``gamma`` and ``reg_lambda`` by exact leave-one-out.
    ULSIF : The plain ratio (``alpha=0``).

    References
    ----------
    .. [1] M. Yamada, T. Suzuki, T. Kanamori, H. Hachiya and M. Sugiyama,
       "Relative density-ratio estimation for robust distribution
       comparison", NIPS 2011, Sec. 3.

    Examples
    --------
    >>> import instransfer as it
    >>> data = it.datasets.make_covariate_shift(random_state=0)
    >>> w = it.RULSIF(alpha=0.5, random_state=0).fit(data.X, data.domain)
    >>> w.weights_.shape, round(w.weights_.mean(), 6)
    ((500,), 1.0)
    """

    _parameter_constraints: dict = {
        **_BaseLSIF._parameter_constraints,
        "gamma": [Interval(Real, 0, None, closed="neither"), None],
        "reg_lambda": [Interval(Real, 0, None, closed="neither")],
        "alpha": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        gamma=None,
        reg_lambda=0.1,
        *,
        alpha=0.1,
        n_centers=100,
        centers=None,
        random_state=None,
        flatten=1.0,
        clip=None,
        clip_quantile=None,
    ):
        self.gamma = gamma
        self.reg_lambda = reg_lambda
        self.alpha = alpha
        self.n_centers = n_centers
        self.centers = centers
        self.random_state = random_state
        self.flatten = flatten
        self.clip = clip
        self.clip_quantile = clip_quantile

    @property
    def _alpha_value(self):
        return self.alpha

    def _grid(self):
        return [self.gamma], [self.reg_lambda], False


class RULSIFCV(_BaseLSIF):
    """RuLSIF with ``gamma`` and ``reg_lambda`` chosen by exact leave-one-out.

    A held-out (source, target) pair changes ``H`` by a rank-2 term; the
    Woodbury identity gives every held-out refit exactly (the rank-1 formula
    of Kanamori et al., JMLR 2009, Sec. 3.4, extended to the relative ratio of
    Yamada et al., NIPS 2011). ``alpha`` is fixed, not tuned: criteria for
    different ``alpha`` measure different ratios.

    Parameters
    ----------
    gammas : array-like of float or None, default=None
        Kernel widths to try; ``None``: the median heuristic times
        ``2 ** [-3, ..., 5]``.
    reg_lambdas : array-like of float, default=np.logspace(-3, 1, 9)
        Regularisation values to try.
    alpha : float in [0, 1), default=0.1
        Share of the target density in the denominator.
    max_loo_pairs : int or None, default=5000
        Largest number of held-out pairs averaged in the criterion.
    {common}

    Attributes
    ----------
    gamma_ : float
        Chosen kernel width.
    reg_lambda_ : float
        Chosen regularisation.
    cv_results_ : dict of ndarray
        Criterion surface, as in :class:`ULSIFCV`.
    best_score_ : float
        ``mean_test_score`` of the chosen pair.
    coef_ : ndarray of shape (n_centers,)
        Non-negative coefficients refitted on all rows.
    centers_ : ndarray of shape (n_centers, n_features)
        Kernel centres.
    weights_ : ndarray of shape (n_source,)
        Relative-ratio weights of the source rows seen in ``fit``, mean 1.
    log_norm_ : float
        Log of the mean raw ratio over the fit's source rows.
    n_source_, n_target_ : int
        Rows of each domain seen in ``fit``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of str
        Names of features seen during ``fit`` (DataFrame input only).

    See Also
    --------
    RULSIF : One setting.
    ULSIFCV : The plain ratio.

    References
    ----------
    .. [1] M. Yamada, T. Suzuki, T. Kanamori, H. Hachiya and M. Sugiyama,
       "Relative density-ratio estimation for robust distribution
       comparison", NIPS 2011.

    Examples
    --------
    >>> import instransfer as it
    >>> data = it.datasets.make_covariate_shift(random_state=0)
    >>> w = it.RULSIFCV(alpha=0.5, random_state=0).fit(data.X, data.domain)
    >>> sorted(w.cv_results_)[:2]
    ['mean_test_score', 'param_gamma']
    """

    _parameter_constraints: dict = {
        **_BaseLSIF._parameter_constraints,
        "gammas": ["array-like", None],
        "reg_lambdas": ["array-like"],
        "alpha": [Interval(Real, 0, 1, closed="left")],
        "max_loo_pairs": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        gammas=None,
        reg_lambdas=DEFAULT_REG_LAMBDAS,
        *,
        alpha=0.1,
        max_loo_pairs=5000,
        n_centers=100,
        centers=None,
        random_state=None,
        flatten=1.0,
        clip=None,
        clip_quantile=None,
    ):
        self.gammas = gammas
        self.reg_lambdas = reg_lambdas
        self.alpha = alpha
        self.max_loo_pairs = max_loo_pairs
        self.n_centers = n_centers
        self.centers = centers
        self.random_state = random_state
        self.flatten = flatten
        self.clip = clip
        self.clip_quantile = clip_quantile

    @property
    def _alpha_value(self):
        return self.alpha

    def _grid(self):
        return self.gammas, self.reg_lambdas, True


for _cls in (ULSIF, ULSIFCV, RULSIF, RULSIFCV):
    _cls.__doc__ = _cls.__doc__.replace("    {common}", _COMMON_PARAMS_DOC.strip("\n"))
del _cls
