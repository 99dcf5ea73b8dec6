"""KLIEP: the density ratio that maximises the target likelihood.

Kullback-Leibler importance estimation (Sugiyama, Suzuki, Nakajima, Kashima,
von Bünau & Kawanabe, AISM 2008) models ``r(x) = sum_l alpha_l k(x, c_l)``
with Gaussian kernels centred on target rows and solves (eq. 5)

    max_alpha  mean_target log r(x)   s.t.  mean_source r(x) = 1,  alpha >= 0.

With ``beta_l = alpha_l * b_l`` (``b_l = mean_source k(x, c_l)``) the feasible
set is the probability simplex and the problem is ``max mean_j log (A beta)_j``
with ``A_jl = k(x_j, c_l) / b_l``, a smooth concave maximisation over the
simplex. Its gradient ``g`` satisfies ``g . beta = 1`` on the simplex, so the
Frank-Wolfe duality gap ``max_l g_l - 1`` bounds the distance to the optimum of
the mean log-likelihood: we stop when it falls below ``tol``, a certificate,
not a heuristic. The solver is a projected Newton method: each step maximises
the local quadratic model over the simplex (by accelerated projected gradient,
Beck & Teboulle 2009, on the small working set) and a backtracking line
search along the segment keeps the iterate feasible; it typically needs 5-30
steps where first-order methods need thousands.

Everything that can underflow is kept in log space: ``log b_l`` is a
log-sum-exp over the source rows, each row of ``A`` is scaled by its largest
entry, and the fitted log-ratio is a log-sum-exp over the centres.
"""

import copy
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state

from .. import _kernels
from .._optim import kliep_solve
from ..base import BaseWeighter
from ..utils._compat import Interval
from ..utils._docstrings import fill_doc
from ._feature_scaling import (
    FEATURE_SCALING_CONSTRAINT,
    FEATURE_SCALING_DOC,
    FeatureScalingMixin,
)
from ._ulsif import _resolve_gamma_grid

__all__ = ["KLIEP", "KLIEPCV"]

_BLOCK = 4096  # rows per kernel block in the log-space reductions


def _log_kernel_sums(X, C, gamma):
    """``log sum_i k(x_i, c_l)`` for each centre, as a streaming log-sum-exp.

    ``b_l`` of KLIEP is a mean of kernel values that underflow to 0 for
    centres far from every source row when ``gamma`` is large; in log space
    it stays exact.
    """
    top = np.full(C.shape[0], -np.inf)
    acc = np.zeros(C.shape[0])
    for _, M in _kernels.iter_sq_dist_blocks(X, C, max_rows=_BLOCK):
        M *= -gamma  # in place in the distance block: no temporaries
        new_top = np.maximum(top, M.max(axis=0))
        M -= new_top
        np.exp(M, out=M)
        acc *= np.exp(top - new_top)
        acc += M.sum(axis=0)
        top = new_top
    with np.errstate(divide="ignore"):
        return np.log(acc) + top


def _kliep_fit(D2T_target, log_b, gamma, max_iter, tol):
    """Solve KLIEP given the centres' squared distances to the target rows.

    ``D2T_target`` has one row per centre, one column per target row.

    Returns ``(log_coef, objective, gap, n_iter, converged)`` where
    ``log_coef = log alpha`` (``-inf`` for zero coefficients) and the
    objective is the training mean log-ratio.
    """
    keep = np.isfinite(log_b)  # centres with some source mass
    D2T = D2T_target if keep.all() else D2T_target[keep]
    # log A_jl = -gamma D2_jl - log b_l, each target row j shifted by its
    # maximum so that exp never overflows nor underflows a whole row (in
    # place: 1 array); A is held transposed, see _kliep_solve
    AT = np.multiply(D2T, -gamma)
    AT -= log_b[keep, None]
    row_top = AT.max(axis=0)
    AT -= row_top
    np.exp(AT, out=AT)
    beta, f, gap, n_iter, ok = kliep_solve(AT, max_iter, tol)
    log_coef = np.full(log_b.shape[0], -np.inf)
    with np.errstate(divide="ignore"):
        log_coef[keep] = np.log(beta) - log_b[keep]
    return log_coef, f + float(row_top.mean()), gap, n_iter, ok


def _log_ratio_from_d2(D2, gamma, log_coef):
    """``logsumexp_l(log_coef_l - gamma D2_l)`` row by row."""
    keep = np.isfinite(log_coef)
    M = -gamma * D2[:, keep] + log_coef[keep]
    top = M.max(axis=1)
    return np.log(np.exp(M - top[:, None]).sum(axis=1)) + top


def _score_terms_from_log(log_r_source, log_r_target, pi):
    """Per-row terms of the held-out KLIEP criterion (see ``KLIEP.score``).

    Their mean over rows whose target share is ``pi`` is ``mean_t log r -
    mean_s r + 1``.
    """
    with np.errstate(over="ignore"):
        src = -(np.exp(log_r_source) - 1.0) / (1.0 - pi)
    return src, np.asarray(log_r_target) / pi


def _warn_not_converged(gap, tol, max_iter, where=""):
    warnings.warn(
        f"KLIEP did not converge{where}: after {max_iter} iterations the duality "
        f"gap (a bound on the distance to the optimal mean log-ratio) is "
        f"{gap:.2e} > tol={tol:.1e}. Increase max_iter, or choose a wider kernel "
        "(smaller gamma).",
        ConvergenceWarning,
        stacklevel=3,
    )


class _BaseKLIEP(FeatureScalingMixin, BaseWeighter):
    _parameter_constraints: dict = {
        **BaseWeighter._parameter_constraints,
        "n_centers": [Interval(Integral, 1, None, closed="left")],
        "centers": ["array-like", None],
        "feature_scaling": FEATURE_SCALING_CONSTRAINT,
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
    }
    _single_threaded_blas = True  # products with ~100 centres

    def _fit_one(self, X_source, X_target, C, gamma, D2T_target=None):
        if D2T_target is None:
            D2T_target = _kernels.sq_dists(C, X_target)
        log_b = _log_kernel_sums(X_source, C, gamma) - np.log(X_source.shape[0])
        return _kliep_fit(D2T_target, log_b, gamma, self.max_iter, self.tol)

    def _set_fitted(self, C, gamma, result):
        log_coef, objective, gap, n_iter, ok = result
        self.centers_ = C
        self.gamma_ = float(gamma)
        self._log_coef = log_coef
        with np.errstate(over="ignore"):
            self.coef_ = np.exp(log_coef)
        self.objective_ = objective
        self.duality_gap_ = gap
        self.n_iter_ = n_iter
        if not ok:
            _warn_not_converged(gap, self.tol, self.max_iter)

    def _log_ratio(self, X):
        return self._log_ratio_scaled(self._scaled(X))

    def _log_ratio_scaled(self, X):
        return _kernels.log_rbf_expansion(X, self.centers_, self.gamma_, self._log_coef)

    def _score_terms(self, X_source, X_target):
        pi = self.n_target_ / (self.n_source_ + self.n_target_)

        def log_r(X):
            return self._log_ratio(X) if X.shape[0] else np.zeros(0)

        return _score_terms_from_log(log_r(X_source), log_r(X_target), pi)

    def score(self, X, y):
        """Held-out KLIEP criterion ``mean_target(log r) - mean_source(r) + 1``.

        The mean log-ratio of the held-out target rows is KLIEP's likelihood
        cross-validation criterion (Sugiyama et al., AISM 2008, Sec. 3.3); the
        model ``r`` is normalised on the source rows seen in ``fit``, and the
        held-out source rows check that normalisation: ``- mean_source(r) +
        1`` is the first-order version of ``- log mean_source(r)`` and makes
        the criterion the variational lower bound of ``KL(p_t || p_s)``
        (Nguyen, Wainwright & Jordan, IEEE Trans. Inf. Theory 2010), which the
        true ratio maximises. Without it, narrower kernels always look better
        (their ratio averages more than 1 over new source rows, inflating
        every target log-ratio). As for every weighter, the score is a mean of
        per-row terms over the pooled held-out rows, each domain's scaled by
        its share ``pi`` seen in ``fit``. Higher is better.

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


# the parameters every class of this module shares (``%(common)s``)
_COMMON_PARAMS_DOC = """\
n_centers : int, default=100
    Number of kernel centres, drawn without replacement from the target
    rows (all of them when there are fewer).
centers : array-like of shape (n_centers, n_features), default=None
    Fixed kernel centres; overrides ``n_centers``.
max_iter : int, default=100
    Largest number of Newton steps.
tol : float, default=1e-6
    Stop when the duality gap, an upper bound on how far the training
    mean log-ratio is below its optimum, is at most ``tol``.
%(feature_scaling)s
random_state : int, RandomState instance or None, default=None
    Seeds the choice of centres (drawn from the rows sorted by content,
    so the row order does not matter). The median heuristic's subsample
    (above 250 rows per domain) has a fixed seed: ``gamma_`` does not
    depend on it.
%(weight_transform)s"""


class KLIEP(_BaseKLIEP):
    """Kullback-Leibler importance estimation (KLIEP), one kernel width.

    Maximises the mean log-ratio of the target rows subject to the ratio
    averaging 1 over the source rows (Sugiyama et al., AISM 2008, eq. 5), for
    ``r(x) = sum_l alpha_l exp(-gamma ||x - c_l||^2)``, ``alpha >= 0``. The
    solver is a projected Newton method with line search; it stops on a
    duality-gap certificate (``duality_gap_ <= tol``) and warns with a
    :class:`~sklearn.exceptions.ConvergenceWarning` when ``max_iter`` comes
    first. Choose ``gamma`` with :class:`KLIEPCV` or
    :class:`~sklearn.model_selection.GridSearchCV` (:meth:`score` is the
    held-out likelihood).

    Parameters
    ----------
    gamma : float or None, default=None
        Kernel width, ``k(x, c) = exp(-gamma ||x - c||^2)``; ``None`` uses the
        median heuristic on a subsample of both domains.
    %(common)s

    Attributes
    ----------
    coef_ : ndarray of shape (n_centers,)
        Non-negative coefficients ``alpha`` (mean ratio 1 over the source).
    centers_ : ndarray of shape (n_centers, n_features)
        Kernel centres.
    gamma_ : float
        Kernel width used.
    objective_ : float
        Mean log-ratio of the training target rows at the solution.
    duality_gap_ : float
        Certified bound on the optimum minus ``objective_``.
    n_iter_ : int
        Iterations run.
    weights_ : ndarray of shape (n_source,)
        Weights of the source rows seen in ``fit``, mean 1.
    log_norm_ : float
        Log of the mean raw ratio over the fit's source rows (0 up to
        rounding: KLIEP's constraint).
    n_source_, n_target_ : int
        Rows of each domain seen in ``fit``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of str
        Names of features seen during ``fit`` (DataFrame input only).

    See Also
    --------
    KLIEPCV : Chooses ``gamma`` by likelihood cross-validation.
    ULSIF : Least-squares fitting of the same model, in closed form.

    References
    ----------
    .. [1] M. Sugiyama, T. Suzuki, S. Nakajima, H. Kashima, P. von Bünau and
       M. Kawanabe, "Direct importance estimation for covariate shift
       adaptation", Annals of the Institute of Statistical Mathematics 60,
       2008, eq. 5 and Sec. 3.3.
    .. [2] A. Beck and M. Teboulle, "A fast iterative shrinkage-thresholding
       algorithm for linear inverse problems", SIAM J. Imaging Sci., 2009.

    Examples
    --------
    >>> import instransfer as it
    >>> data = it.datasets.make_covariate_shift(random_state=0)
    >>> w = it.KLIEP(random_state=0).fit(data.X, data.domain)
    >>> w.weights_.shape, bool(w.duality_gap_ <= w.tol)
    ((500,), True)
    """

    _parameter_constraints: dict = {
        **_BaseKLIEP._parameter_constraints,
        "gamma": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(
        self,
        gamma=None,
        *,
        n_centers=100,
        centers=None,
        feature_scaling="none",
        max_iter=100,
        tol=1e-6,
        random_state=None,
        flatten=1.0,
        clip=None,
        clip_quantile=None,
    ):
        self.gamma = gamma
        self.n_centers = n_centers
        self.centers = centers
        self.feature_scaling = feature_scaling
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.flatten = flatten
        self.clip = clip
        self.clip_quantile = clip_quantile

    def _fit_log_ratio(self, X_source, X_target):
        rng = check_random_state(self.random_state)
        X_source, X_target = self._scale_fit_inputs(X_source, X_target)
        # the source rows' order only serves the median heuristic (made there)
        orders = (None, _kernels.canonical_order(X_target))
        gamma = _resolve_gamma_grid([self.gamma], X_source, X_target, orders)[0]
        C = _kernels.select_centers(
            X_target, self.n_centers, self._scaled_centers(), rng, orders[1]
        )
        self._set_fitted(C, gamma, self._fit_one(X_source, X_target, C, gamma))
        return self._log_ratio_scaled(X_source)


class KLIEPCV(_BaseKLIEP):
    """KLIEP with the kernel width chosen by likelihood cross-validation.

    For each width and fold, KLIEP is fitted on the training rows of both
    domains and scored by the mean log-ratio of the held-out target rows
    (Sugiyama et al., AISM 2008, Sec. 3.3); the width with the best mean score
    is refitted on all rows. Each fold draws its centres from its own training
    target rows: centres shared with the held-out rows (as in the authors'
    code) score a held-out row by its own kernel and favour ever narrower
    kernels. Distances to a fold's centres are computed once for all widths.
    With an integer ``random_state`` and the same folds, ``cv_results_``
    equals that of ``GridSearchCV(KLIEP(random_state=...), {"gamma": gammas},
    cv=...)`` and the final model that of ``KLIEP(gamma=gamma_, ...)``.

    Parameters
    ----------
    gammas : array-like of float or None, default=None
        Kernel widths to try; ``None``: the median heuristic ``g0`` times
        ``2 ** [-3, ..., K]``, ``K`` from 3 to 5 with the rows, as in
        :class:`~instransfer.ULSIFCV`. A ``None`` in the list stands for
        ``g0``.
    cv : int, cross-validation splitter, iterable or None, default=5
        An int (``None``: 5) makes that many folds, stratified by domain,
        from the rows sorted by content (so the row order does not matter);
        a splitter (e.g.
        :class:`~instransfer.model_selection.DomainStratifiedKFold`) or an
        iterable of (train, test) indices is applied to ``X`` and the domain
        as passed to ``fit``.
    verbose : int, default=0
        1 announces the number of fits up front (folds times widths, then one
        final fit); 2 and more also report each fold as it ends.
    %(common)s

    Attributes
    ----------
    gamma_ : float
        Chosen kernel width.
    cv_results_ : dict of ndarray
        In :class:`~sklearn.model_selection.GridSearchCV`'s layout: ``params``,
        ``param_gamma``, ``split<k>_test_score``, ``mean_test_score``,
        ``std_test_score``, ``rank_test_score``.
    best_score_ : float
        Mean held-out log-ratio of the chosen width.
    coef_ : ndarray of shape (n_centers,)
        Coefficients refitted on all rows.
    centers_ : ndarray of shape (n_centers, n_features)
        Kernel centres.
    objective_ : float
        Training mean log-ratio of the final fit.
    duality_gap_ : float
        Certified bound on the optimum minus ``objective_``.
    n_iter_ : int
        Iterations of the final fit.
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
    KLIEP : One kernel width.
    ULSIFCV : Least-squares fitting with exact leave-one-out.

    References
    ----------
    .. [1] M. Sugiyama, T. Suzuki, S. Nakajima, H. Kashima, P. von Bünau and
       M. Kawanabe, "Direct importance estimation for covariate shift
       adaptation", Annals of the Institute of Statistical Mathematics 60,
       2008, Sec. 3.3.

    Examples
    --------
    >>> import instransfer as it
    >>> data = it.datasets.make_covariate_shift(random_state=0)
    >>> w = it.KLIEPCV(gammas=[0.1, 0.5, 2.0], cv=3, random_state=0)
    >>> w.fit(data.X, data.domain).gamma_ in (0.1, 0.5, 2.0)
    True
    """

    _parameter_constraints: dict = {
        **_BaseKLIEP._parameter_constraints,
        "gammas": ["array-like", None],
        "cv": [Interval(Integral, 2, None, closed="left"), "cv_object"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        gammas=None,
        *,
        cv=5,
        n_centers=100,
        centers=None,
        feature_scaling="none",
        max_iter=100,
        tol=1e-6,
        verbose=0,
        random_state=None,
        flatten=1.0,
        clip=None,
        clip_quantile=None,
    ):
        self.gammas = gammas
        self.cv = cv
        self.verbose = verbose
        self.n_centers = n_centers
        self.centers = centers
        self.feature_scaling = feature_scaling
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.flatten = flatten
        self.clip = clip
        self.clip_quantile = clip_quantile

    def _fit_stacked(self, X, is_target):
        # a user's splitter indexes the rows of X as passed: hand them down
        return self._fit_log_ratio(X[~is_target], X[is_target], (X, is_target))

    def _folds(self, X_source, X_target, orders, rng, stacked):
        """``(train_s, train_t, test_s, test_t)`` row indices of every split.

        Indices are positions within each domain. A splitter's own training
        rows are used (not the complement of its test rows), so splits whose
        test sets overlap or do not cover every row (ShuffleSplit,
        TimeSeriesSplit, a hand-made list) are honoured as GridSearchCV would.
        """
        n_s, n_t = X_source.shape[0], X_target.shape[0]
        if self.cv is None or isinstance(self.cv, Integral):
            k = int(min(5 if self.cv is None else self.cv, n_t, n_s))
            if k < 2:
                raise ValueError(
                    "KLIEPCV needs at least 2 source and 2 target rows to "
                    f"cross-validate; got {n_s} source and {n_t} target rows."
                )
            fold_s = np.empty(n_s, dtype=np.intp)
            fold_t = np.empty(n_t, dtype=np.intp)
            fold_s[orders[0]] = rng.permutation(n_s) % k
            fold_t[orders[1]] = rng.permutation(n_t) % k
            return [
                (
                    np.flatnonzero(fold_s != j),
                    np.flatnonzero(fold_t != j),
                    np.flatnonzero(fold_s == j),
                    np.flatnonzero(fold_t == j),
                )
                for j in range(k)
            ]
        from sklearn.model_selection import check_cv

        X, is_target = stacked
        # position of each row of X within its own domain
        within = np.empty(n_s + n_t, dtype=np.intp)
        within[~is_target] = np.arange(n_s)
        within[is_target] = np.arange(n_t)
        out = []
        for train, test in check_cv(self.cv).split(X, is_target.astype(int)):
            train, test = np.asarray(train), np.asarray(test)
            out.append(
                (
                    np.sort(within[train[~is_target[train]]]),
                    np.sort(within[train[is_target[train]]]),
                    np.sort(within[test[~is_target[test]]]),
                    np.sort(within[test[is_target[test]]]),
                )
            )
        return out

    def _fit_log_ratio(self, X_source, X_target, stacked=None):
        # Every fit (each fold and the final one) starts from the same random
        # state, exactly as clones of KLIEP(random_state=...) would in
        # GridSearchCV: same centres, same results.
        state = copy.deepcopy(check_random_state(self.random_state))
        rng = copy.deepcopy(state)
        X_source, X_target = self._scale_fit_inputs(X_source, X_target)
        orders = (
            _kernels.canonical_order(X_source),
            _kernels.canonical_order(X_target),
        )
        gammas = _resolve_gamma_grid(self.gammas, X_source, X_target, orders)
        if stacked is None:  # the blocks alone: source rows first
            n_s = X_source.shape[0]
            is_target = np.arange(n_s + X_target.shape[0]) >= n_s
            stacked = (np.concatenate([X_source, X_target]), is_target)
        splits = self._folds(X_source, X_target, orders, rng, stacked)
        scores = np.full((gammas.shape[0], len(splits)), np.nan)
        if self.verbose:
            n_fits = len(splits) * gammas.shape[0]
            print(
                f"[KLIEPCV] Fitting {len(splits)} folds for each of "
                f"{gammas.shape[0]} widths, totalling {n_fits} fits, then 1 final fit",
                flush=True,
            )
        for k, (train_s, train_t, held_s, held_t) in enumerate(splits):
            Xs_k, Xt_k = X_source[train_s], X_target[train_t]
            test_t = X_target[held_t]
            if Xs_k.shape[0] == 0 or Xt_k.shape[0] == 0:
                raise ValueError(
                    f"Fold {k} leaves no {'source' if Xs_k.shape[0] == 0 else 'target'}"
                    " rows to train on; use a splitter that keeps both domains in "
                    "every training fold (DomainStratifiedKFold)."
                )
            if test_t.shape[0] + held_s.shape[0] == 0:
                continue  # nothing to score in this fold
            rng_k = copy.deepcopy(state)
            C = _kernels.select_centers(
                Xt_k,
                self.n_centers,
                self._scaled_centers(),
                rng_k,
                _kernels.canonical_order(Xt_k),
            )
            D2T_train = _kernels.sq_dists(C, Xt_k)
            D2_test = _kernels.sq_dists(test_t, C)
            test_s = X_source[held_s]
            D2_test_s = _kernels.sq_dists(test_s, C)
            pi = Xt_k.shape[0] / (Xt_k.shape[0] + Xs_k.shape[0])
            for g, gamma in enumerate(gammas):
                log_b = _log_kernel_sums(Xs_k, C, gamma) - np.log(Xs_k.shape[0])
                log_coef, _, gap, _, ok = _kliep_fit(
                    D2T_train, log_b, gamma, self.max_iter, self.tol
                )
                if not ok:
                    _warn_not_converged(
                        gap, self.tol, self.max_iter, f" (gamma={gamma:.3g}, fold {k})"
                    )
                src, tgt = _score_terms_from_log(
                    _log_ratio_from_d2(D2_test_s, gamma, log_coef),
                    _log_ratio_from_d2(D2_test, gamma, log_coef),
                    pi,
                )
                scores[g, k] = (src.sum() + tgt.sum()) / (src.size + tgt.size)
            if self.verbose > 1:
                print(f"[KLIEPCV] fold {k + 1}/{len(splits)} done", flush=True)
        self.cv_results_ = _cv_results(gammas, scores)
        mean = self.cv_results_["mean_test_score"]
        best = int(np.nanargmax(mean)) if np.isfinite(mean).any() else 0
        self.best_score_ = float(mean[best])
        gamma = gammas[best]
        rng = copy.deepcopy(state)
        C = _kernels.select_centers(
            X_target, self.n_centers, self._scaled_centers(), rng, orders[1]
        )
        self._set_fitted(C, gamma, self._fit_one(X_source, X_target, C, gamma))
        return self._log_ratio_scaled(X_source)


def _cv_results(gammas, scores):
    from scipy.stats import rankdata

    valid = ~np.isnan(scores)
    mean = np.array(
        [
            s[v].mean() if v.any() else np.nan
            for s, v in zip(scores, valid, strict=False)
        ]
    )
    std = np.array(
        [s[v].std() if v.any() else np.nan for s, v in zip(scores, valid, strict=False)]
    )
    ranks = rankdata(-np.nan_to_num(mean, nan=-np.inf), method="min").astype(np.int32)
    out = {
        "params": [{"gamma": float(g)} for g in gammas],
        "param_gamma": np.asarray(gammas, dtype=float),
    }
    for k in range(scores.shape[1]):
        out[f"split{k}_test_score"] = scores[:, k].copy()
    out.update(mean_test_score=mean, std_test_score=std, rank_test_score=ranks)
    return out


for _cls in (KLIEP, KLIEPCV):
    fill_doc(_cls, common=_COMMON_PARAMS_DOC, feature_scaling=FEATURE_SCALING_DOC)
del _cls
