"""Kernel Mean Matching (Huang, Gretton, Borgwardt, Schölkopf & Smola, NIPS 2007).

KMM reweights the source rows so that their kernel mean embedding matches the
target rows' (eq. 5 of the paper), which is the quadratic programme (eq. 6-7)

    minimise    1/2 beta' K beta - kappa' beta
    subject to  0 <= beta_i <= B,   |sum(beta) - n_s| <= n_s eps,

with ``K_ij = k(x_i, x_j)`` over source rows and
``kappa_i = (n_s / n_t) sum_j k(x_i, x'_j)`` over target rows ``x'_j``.

Two modes:

- ``"exact"`` builds ``K`` and solves the QP to a certified tolerance with
  the active-set / interior-point solver of :mod:`instransfer._optim`.
- ``"nystroem"`` never forms an ``n x n`` matrix: ``K`` is replaced by its
  Nystroem approximation with landmarks drawn from the target rows plus the
  diagonal it misses, ``Phi Phi' + diag(1 - ||phi_i||^2)`` (the "FITC"
  correction of Snelson & Ghahramani, NIPS 2005, which keeps
  ``K_ii = 1`` exact), and ``kappa`` by the same features. The same QP,
  same constraints, is solved with Woodbury algebra in ``O(n r^2)`` per
  iteration. Measured against the exact solution in
  ``benchmarks/results/kmm.md``.

Out-of-sample weights (:meth:`KMM.predict_weights`) are the Nadaraya-Watson
kernel smoother of ``beta`` over the source rows (same kernel), a weighted
average of the fitted weights and so on their scale.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from .. import _kernels
from .._optim import DenseGram, LowRankGram, slab_bounds, solve_kmm_qp
from .._weights import mean_over_duplicates
from ..base import BaseWeighter
from ..utils._compat import Interval, StrOptions
from ..utils._docstrings import fill_doc
from ._feature_scaling import (
    FEATURE_SCALING_CONSTRAINT,
    FEATURE_SCALING_DOC,
    FeatureScalingMixin,
)

__all__ = ["KMM"]

# mode="auto" solves exactly up to this many source rows: the Gram matrix is
# then at most 0.8 GB and the exact solve takes seconds (kmm.md, "scaling").
_AUTO_EXACT_MAX_ROWS = 10_000
# ... unless the kernel matrix is numerically singular (the landmark Gram of
# the warm start loses rank: smooth kernels in low dimension) and there are
# more source rows than this: the exact solve then needs the interior-point
# fallback, O(n^3) per iteration (15 s at 4 000 rows in 2-D), while the
# Nystroem mode, whose rank then covers the kernel's numerical rank, reaches
# the same objective to ~1e-9 in about a second (kmm.md, "robustness").
_AUTO_SINGULAR_ROWS = 3000
# Nystroem landmarks r when n_components is None: a pass over the features
# costs n_s r^2 flops, kept at _NYSTROEM_FLOPS (~2 s on one core), within the
# bounds: 2 000 up to 10 000 source rows (the fidelity target there), 632 at
# 10^5, 200 at 10^6 (a 1.6 GB feature matrix).
_NYSTROEM_FLOPS = 4e10
_MIN_COMPONENTS, _MAX_COMPONENTS = 100, 2000
# Eigenvalues of the landmark Gram matrix below this fraction of the largest
# are dropped: their 1 / sqrt amplifies rounding (rank-revealing truncation).
_NYSTROEM_RCOND = 1e-10
# Floor of the Nystroem diagonal correction: keeps the approximate Gram
# matrix positive definite for rows that coincide with a landmark.
_DIAG_FLOOR = 1e-6
# The exact mode starts its active-set method from the sets of a Nystroem
# solution (n_s / 10 landmarks, within the bounds) when there are more source
# rows than _WARM_START_ROWS: 3-10x faster at 3 000-10 000 rows, same optimum.
_WARM_START_ROWS = 1000
_WARM_START_COMPONENTS = (200, 500)
# The out-of-sample smoother averages over at most this many source rows.
_MAX_SMOOTHER_ROWS = 20_000
# Rows per domain pooled for the median heuristic.
_MEDIAN_ROWS = 1000
# MiB per kernel block when streaming over rows: cache-sized blocks keep the
# element-wise passes of the distance computation in cache, and the peak
# memory of the at-scale mode in check (measured in kmm.md).
_BLOCK_MIB = 16


def _median_gamma(X_source, X_target):
    return _kernels.pooled_median_gamma(X_source, X_target, _MEDIAN_ROWS)


def _gram(X, gamma):
    """Kernel matrix of ``X`` assembled from cache-sized blocks.

    The element-wise passes of the distance computation then run in cache
    (measured on 2e8 entries: 7.7 s as one matrix, 1.3 s in 16 MiB blocks).
    """
    K = np.empty((X.shape[0], X.shape[0]))
    for sl, block in _kernels.iter_rbf_blocks(X, X, gamma, working_memory=_BLOCK_MIB):
        K[sl] = block
    return K


def _n_components(n_components, n_source, n_target):
    if n_components is not None:
        return min(int(n_components), n_source + n_target)
    budget = int(np.sqrt(_NYSTROEM_FLOPS / max(n_source, 1)))
    return int(min(max(_MIN_COMPONENTS, budget), _MAX_COMPONENTS, n_source + n_target))


def _nystroem_problem(X_source, X_target, gamma, n_components, rng):
    """Features ``Phi`` (n_s x r), diagonal correction and ``kappa``, approximated.

    Landmarks are target rows (then source rows if more are asked for): KMM's
    weights are non-zero where the target lives, and measured at n = 3 000 and
    10 000 target landmarks match the exact weights better than landmarks
    drawn from the pooled or the source rows (kmm.md).
    """
    n_s, n_t = X_source.shape[0], X_target.shape[0]
    m = _n_components(n_components, n_s, n_t)
    idx_t = _kernels.subsample_rows(X_target, min(m, n_t), rng)
    C = X_target[idx_t]
    if m > n_t:
        C = np.vstack([C, X_source[_kernels.subsample_rows(X_source, m - n_t, rng)]])
    w, V = np.linalg.eigh(_kernels.rbf_kernel(C, gamma=gamma))
    keep = w > _NYSTROEM_RCOND * w[-1]
    T = V[:, keep] / np.sqrt(w[keep])
    Phi = np.empty((n_s, T.shape[1]))
    for sl, K_block in _kernels.iter_rbf_blocks(
        X_source, C, gamma, working_memory=_BLOCK_MIB
    ):
        np.matmul(K_block, T, out=Phi[sl])
    # kappa_i ~ (n_s / n_t) phi(x_i)' sum_j phi(x'_j): the target mean
    # embedding in the same features (consistent: kmm.md measured it closer
    # to the exact weights than the exact kappa with approximate K).
    mean_t = T.T @ _kernels.rbf_row_sums(C, X_target, gamma, working_memory=_BLOCK_MIB)
    kappa = (n_s / n_t) * (Phi @ mean_t)
    D = np.maximum(1.0 - np.einsum("ij,ij->i", Phi, Phi), _DIAG_FLOOR)
    return Phi, D, kappa


class KMM(FeatureScalingMixin, BaseWeighter):
    r"""Kernel Mean Matching: weights that match the kernel means of the domains.

    Solves the quadratic programme of Huang et al. (2007, eq. 6-7),

    .. math::

        \min_\beta \tfrac12 \beta^\top K \beta - \kappa^\top \beta
        \quad\text{s.t.}\quad 0 \le \beta_i \le B,\;
        \Big|\sum_i \beta_i - n_s\Big| \le n_s \epsilon,

    with the Gaussian kernel ``k(x, y) = exp(-gamma ||x - y||^2)`` (scikit-
    learn's convention), ``K`` over the source rows and
    ``kappa_i = (n_s / n_t) sum_j k(x_i, x'_j)`` over the target rows.
    ``beta_`` is the solution on its own scale; ``weights_`` is ``beta_``
    divided by its mean (then flattened/clipped as asked).

    ``mode="exact"`` solves this QP to a certified relative duality gap
    ``tol`` (a primal-dual active-set method, with an interior-point method
    when the kernel matrix is numerically singular; chosen by measurement
    against OSQP, Clarabel, cvxopt and FISTA, see
    ``benchmarks/results/kmm.md``). ``mode="nystroem"`` solves the same QP,
    same constraints, with the kernel replaced by a rank-``n_components``
    Nystroem approximation plus its missing diagonal, in memory and time
    linear in the number of rows; it is meant for 10^5-10^6 source rows.

    The solution is sparse: most source rows far from the target get weight
    exactly 0, which is the QP's optimum, not a failure (chunked solvers that
    skip rows, as adapt's, produce zeros of another kind). Weights of new rows
    (:meth:`predict_weights`) come from the Nadaraya-Watson smoother of
    ``beta_`` over the source rows with the same kernel,
    ``sum_i k(x, x_i) beta_i / sum_i k(x, x_i)``, which is positive
    everywhere and on the scale of ``beta_``.

    Parameters
    ----------
    gamma : float or None, default=None
        Kernel width. ``None`` uses the median heuristic on rows pooled from
        both domains (``1 / median ||x - y||^2``).
    B : float, default=10.0
        Upper bound of every ``beta_i`` (the weights have mean about 1). The
        paper's and peers' value is 1000; 10 was chosen by measurement on the
        known-ratio family of ``benchmarks/results/kernel_defaults.md``: with
        the median-heuristic width it cut the ratio NMSE's worst factor over
        the best width in grid from about 20 to about 4 (and its median from
        about 3 to 2), kept the age balance on the packaged cohorts, and is no
        slower. A width is not the lever: narrower kernels, which the ratio
        NMSE favours on most problems, left the cohorts' age imbalanced. Ratios
        above ``B`` times the mean are capped there: raise ``B`` (e.g. to 1000)
        when the ratio is known to reach further and the QP should follow it.
    eps : float or None, default=None
        Slack of the sum constraint, ``|sum(beta) - n_s| <= n_s eps``.
        ``None`` means ``(sqrt(n_s) - 1) / sqrt(n_s)`` (Huang et al., 2007,
        Sec. 4.3).
    mode : {"auto", "exact", "nystroem"}, default="auto"
        ``"auto"`` is exact up to 10 000 source rows and Nystroem above, or
        above 3 000 rows when the kernel matrix is numerically singular
        (there the Nystroem mode matches the exact objective to ~1e-9 at a
        fraction of the cost); the choice is stored in ``mode_``.
    n_components : int or None, default=None
        Landmarks of the Nystroem mode. ``None`` takes
        ``sqrt(4e10 / n_source)`` between 100 and 2 000, so that a pass over
        the features costs about the same at every size: 2 000 up to 10 000
        source rows, 632 at 10^5, 200 at 10^6.
    tol : float, default=1e-8
        Target of the certified relative duality gap of the QP
        (``duality_gap_ / |objective_|``).
    max_iter : int, default=200
        Newton iterations allowed per QP solve (active-set and interior-point
        together); the warm start of the exact mode is a solve of its own.
    %(feature_scaling)s
    verbose : int, default=0
        1 announces the problem up front (mode, source rows, Gram size or
        Nystroem rank, iteration budget) and reports the solver's iterations
        and duality gap at the end.
    random_state : int, RandomState instance or None, default=None
        Seeds the choice of Nystroem landmarks and of the rows the smoother
        averages over when there are more than 20 000 source rows. The exact
        mode does not depend on it, nor does the median heuristic (its
        subsample has a fixed seed).
    %(weight_transform)s

    Attributes
    ----------
    beta_ : ndarray of shape (n_source,)
        Solution of the QP (on its own scale: ``0 <= beta_ <= B`` and
        ``|sum(beta_) - n_s| <= n_s eps``).
    weights_ : ndarray of shape (n_source,)
        ``beta_`` normalised to mean 1, then flattened and clipped.
    mode_ : {"exact", "nystroem"}
        The mode used.
    gamma_ : float
        Kernel width used.
    eps_ : float
        Slack of the sum constraint used.
    objective_ : float
        ``1/2 beta' K beta - kappa' beta`` at ``beta_`` (with the
        approximate kernel in the Nystroem mode).
    duality_gap_ : float
        Certified bound on ``objective_ - optimum`` of the problem solved; a
        :class:`~sklearn.exceptions.ConvergenceWarning` is raised when it
        exceeds ``tol * |objective_|``.
    solver_ : str
        "active-set", "interior-point" or "interior-point+active-set".
    n_iter_ : int
        Newton iterations used, all phases counted: the warm start (exact
        mode above 1 000 source rows: a Nystroem solve whose active sets
        start the exact one), then active-set, interior-point and polishing
        iterations of the final solve.
    n_components_ : int
        Rank of the Nystroem approximation (Nystroem mode only).
    log_norm_ : float
        Log of the mean of ``beta_``.
    n_source_, n_target_ : int
        Rows of each domain seen in ``fit``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of str
        Names of features seen during ``fit`` (DataFrame input only).

    See Also
    --------
    ULSIF : Least-squares density-ratio fit with a closed form.
    KLIEP : Density ratio by maximum likelihood.

    Notes
    -----
    Cost of the exact mode: the ``n_s x n_s`` kernel matrix (8 n_s^2 bytes:
    0.8 GB at 10 000 rows) and 8-20 Cholesky factorisations of the free
    block, a few seconds at 10 000 rows (``benchmarks/results/kmm.md``).
    When the kernel matrix is numerically singular but not caught by
    ``mode="auto"`` (e.g. 5 features, median-heuristic width, 4 000 rows),
    the interior-point fallback factorises the whole matrix at every
    iteration, like cvxopt: ~17 s at 4 000 rows, growing as n_s^3.

    The exact solution over-fits the sample: on the Gaussian benchmark its
    ratio NMSE is *higher* than that of the smoother Nystroem solution with
    a few hundred landmarks (kmm.md). KMM matches kernel means; it is not
    tuned to estimate the ratio pointwise.

    References
    ----------
    .. [1] J. Huang, A. Gretton, K. Borgwardt, B. Schölkopf and A. J. Smola,
       "Correcting sample selection bias by unlabeled data", NIPS 2007,
       eq. 5-7.
    .. [2] M. Hintermüller, K. Ito and K. Kunisch, "The primal-dual active set
       strategy as a semismooth Newton method", SIAM J. Optim. 13(3), 2003.
    .. [3] C. K. I. Williams and M. Seeger, "Using the Nyström method to speed
       up kernel machines", NIPS 2001.

    Examples
    --------
    >>> import instransfer as it
    >>> data = it.datasets.make_covariate_shift(200, 200, random_state=0)
    >>> kmm = it.KMM(gamma=0.5).fit(data.X, data.domain)
    >>> kmm.mode_, kmm.beta_.shape, round(kmm.weights_.mean(), 6)
    ('exact', (200,), 1.0)
    >>> bool(kmm.duality_gap_ <= 1e-8 * abs(kmm.objective_))
    True
    """

    _xfail_checks = {
        **BaseWeighter._xfail_checks,
        "check_flatten_and_clip": (
            "with the default bound B = 10 only 1/6 of the check's source rows "
            "get a weight (10 times the mean each), so the check's cap of half "
            "the largest weight cannot keep the mean at 1; flatten and clip are "
            "checked on KMM(B=1000) in tests/test_kmm.py"
        ),
        "check_weights_near_one_without_shift": (
            "KMM's exact QP solution is sparse even without a shift: on the "
            "check's data most source rows sit at the bound 0 (effective sample "
            "share 0.05; cvxopt's solution of the same QP gives 0.05 too). It "
            "is the estimator, not the solver: use flatten/clip, the Nystroem "
            "mode (smoother) or a density-ratio fit when that matters"
        ),
    }

    _parameter_constraints: dict = {
        **BaseWeighter._parameter_constraints,
        "gamma": [Interval(Real, 0, None, closed="neither"), None],
        "B": [Interval(Real, 0, None, closed="neither")],
        "eps": [Interval(Real, 0, None, closed="left"), None],
        "mode": [StrOptions({"auto", "exact", "nystroem"})],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "feature_scaling": FEATURE_SCALING_CONSTRAINT,
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }
    # one BLAS thread: measured faster, exact QP at 2 000 rows on a busy
    # machine (benchmarks/results/kernel_ratio.md, "BLAS threads")
    _single_threaded_blas = True

    def __init__(
        self,
        gamma=None,
        B=10.0,
        eps=None,
        *,
        mode="auto",
        n_components=None,
        tol=1e-8,
        max_iter=200,
        feature_scaling="none",
        verbose=0,
        random_state=None,
        flatten=1.0,
        clip=None,
        clip_quantile=None,
    ):
        self.gamma = gamma
        self.B = B
        self.eps = eps
        self.mode = mode
        self.n_components = n_components
        self.tol = tol
        self.max_iter = max_iter
        self.feature_scaling = feature_scaling
        self.verbose = verbose
        self.random_state = random_state
        self.flatten = flatten
        self.clip = clip
        self.clip_quantile = clip_quantile

    def _fit_log_ratio(self, X_source, X_target):
        Xs, Xt = self._scale_fit_inputs(X_source, X_target)
        n_s, n_t = Xs.shape[0], Xt.shape[0]
        rng = check_random_state(self.random_state)
        self.gamma_ = (
            float(self.gamma) if self.gamma is not None else _median_gamma(Xs, Xt)
        )
        self.eps_ = (
            float(self.eps)
            if self.eps is not None
            else (np.sqrt(n_s) - 1) / np.sqrt(n_s)
        )
        upper = float(self.B)
        lo, hi = slab_bounds(n_s, self.eps_, upper)
        if lo > hi:
            raise ValueError(
                f"B={self.B} and eps={self.eps_:.4g} leave no feasible weights: the "
                f"sum of the {n_s} weights must be at least n_s * (1 - eps) = "
                f"{lo:.4g}, but B caps it at n_s * B = {n_s * upper:.4g}. Increase "
                "B (at least 1 - eps) or eps."
            )
        mode = self.mode
        if mode == "auto" and n_s > _AUTO_EXACT_MAX_ROWS:
            mode = "nystroem"
        start, warm_iter = None, 0
        if mode != "nystroem" and n_s > _WARM_START_ROWS:
            # fixed seed: the exact solution must not depend on random_state
            m = int(np.clip(n_s // 10, *_WARM_START_COMPONENTS))
            Phi, D, kappa = _nystroem_problem(
                Xs, Xt, self.gamma_, m, np.random.RandomState(0)
            )
            singular = Phi.shape[1] < min(m, n_s + n_t)
            if mode == "auto" and singular and n_s > _AUTO_SINGULAR_ROWS:
                mode = "nystroem"
            else:
                start, warm = solve_kmm_qp(
                    LowRankGram(Phi, D),
                    kappa,
                    upper,
                    lo,
                    hi,
                    tol=1e-6,
                    max_iter=self.max_iter,
                )
                warm_iter = warm["n_iter"]
            del Phi, D
        self.mode_ = mode = "exact" if mode == "auto" else mode
        if self.verbose:
            size = (
                f"a dense {n_s} x {n_s} Gram matrix ({n_s * n_s * 8 / 2**20:.0f} MiB)"
                if mode == "exact"
                else "a Nystroem factor"
            )
            print(
                f"[KMM] {mode} QP over {n_s} source and {n_t} target rows with "
                f"{size}, up to {self.max_iter} iterations"
                + (f" after a {warm_iter}-iteration warm start" if warm_iter else ""),
                flush=True,
            )
        if mode == "exact":
            kappa = (n_s / n_t) * _kernels.rbf_row_sums(
                Xs, Xt, self.gamma_, working_memory=_BLOCK_MIB
            )
            op = DenseGram(_gram(Xs, self.gamma_))
        else:
            Phi, D, kappa = _nystroem_problem(
                Xs, Xt, self.gamma_, self.n_components, rng
            )
            self.n_components_ = Phi.shape[1]
            op = LowRankGram(Phi, D)
        beta, info = solve_kmm_qp(
            op,
            kappa,
            upper,
            lo,
            hi,
            tol=self.tol,
            max_iter=self.max_iter,
            start=start,
        )
        del op
        self.beta_ = beta = mean_over_duplicates(Xs, beta)
        self.objective_ = info["objective"]
        self.duality_gap_ = info["gap"]
        self.solver_ = info["method"]
        self.n_iter_ = warm_iter + info["n_iter"]
        if self.verbose:
            print(
                f"[KMM] {self.solver_} stopped after {self.n_iter_} iterations at a "
                f"duality gap of {self.duality_gap_:.3g}",
                flush=True,
            )
        if self.duality_gap_ > self.tol * max(abs(self.objective_), 1e-300):
            import warnings

            warnings.warn(
                f"KMM's QP stopped at a relative duality gap of "
                f"{self.duality_gap_ / max(abs(self.objective_), 1e-300):.2g} after "
                f"{self.n_iter_} iterations, above tol={self.tol:g}. The weights "
                "are feasible but not optimal to that tolerance; increase "
                "max_iter, or use a larger gamma (a smoother kernel matrix is "
                "numerically singular).",
                ConvergenceWarning,
                stacklevel=4,
            )
        # rows the out-of-sample smoother averages over
        keep = (
            _kernels.subsample_rows(Xs, _MAX_SMOOTHER_ROWS, rng)
            if n_s > _MAX_SMOOTHER_ROWS
            else np.arange(n_s)
        )
        self._smoother_X = Xs[keep]
        with np.errstate(divide="ignore"):
            self._smoother_log_beta = np.log(beta[keep])
            return np.log(beta)

    def _log_ratio(self, X):
        """Nadaraya-Watson smoother of ``beta_`` in log space.

        ``log sum_i exp(-gamma d_i^2 + log beta_i) - log sum_i exp(-gamma d_i^2)``
        with log-sum-exp, so rows far from every source row (where both sums
        underflow) get the weight of their nearest source rows, not 0/0.
        """
        from scipy.special import logsumexp

        X = self._scaled(X)
        out = np.empty(X.shape[0])
        log_beta = self._smoother_log_beta
        support = np.isfinite(log_beta)
        for sl, D2 in _kernels.iter_sq_dist_blocks(
            X, self._smoother_X, working_memory=4 * _BLOCK_MIB
        ):
            D2 *= -self.gamma_
            den = logsumexp(D2, axis=1)
            num = logsumexp(D2[:, support] + log_beta[support], axis=1)
            out[sl] = num - den
        return out


fill_doc(KMM, feature_scaling=FEATURE_SCALING_DOC)
