"""Entropy balancing: the closest weights to the base weights that balance moments.

Entropy balancing (Hainmueller, Political Analysis 20(1), 2012, Sec. 3.1)
chooses source weights ``w_i`` that minimise the Kullback-Leibler divergence
``sum_i w_i log(w_i / q_i)`` from base weights ``q_i`` subject to the balance
constraints ``sum_i w_i c_r(x_i) = m_r`` (``m_r`` the target's moments), the
normalisation ``sum_i w_i = 1`` and ``w_i >= 0``. The Lagrangian gives the
weights in closed form (Sec. 3.1, "the solution"):

    w_i = q_i exp(lambda . c(x_i)) / sum_k q_k exp(lambda . c(x_k)),

an exponential tilting of the base weights (Hainmueller writes the exponent
with a minus sign). ``lambda`` minimises the convex dual (Sec. 3.2)

    L(lambda) = log sum_i q_i exp(lambda . (c(x_i) - m)),

whose gradient is the moment gap ``sum_i w_i (c(x_i) - m)`` and whose Hessian
is the weighted covariance of the moment functions: Newton's method with the
exact Hessian and a backtracking line search (Hainmueller uses the same
Newton iteration, Sec. 3.2) converges quadratically, typically in 5-15 steps.
The dual is the log-linear density-ratio model fitted by maximum likelihood
(log-linear KLIEP, Tsuboi, Kashima, Hido, Bickel & Sugiyama, JIP 17, 2009):
``log r(x) = lambda . c(x) + const`` is the estimated ratio at *any* row, so
new rows are weighted by the same formula.

A solution with positive weights exists iff the target's moment vector lies
in the relative interior of the convex hull of the source rows' moment
vectors. Outside it the dual is unbounded below, ``lambda`` diverges along a
separating direction, and the columns with the largest standardised
``|lambda_r|`` are the ones that cannot be balanced: the error names them.
"""

import warnings
from itertools import combinations
from numbers import Integral, Real

import numpy as np
from scipy import linalg
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import Bunch
from sklearn.utils.validation import check_is_fitted

from .._validation import _num_rows, check_domain
from ..base import BaseWeighter
from ..utils._compat import Interval, StrOptions, _check_sample_weight

__all__ = ["EntropyBalancing"]

_MOMENTS = ("mean", "variance", "interaction")
_ARMIJO = 1e-4  # sufficient-decrease constant of the line search
_MIN_STEP = 1e-12


def _resolve_terms(moments, n_features, feature_names):
    """Moment functions as tuples of column indices: (j,), (j, j), (j, k)."""
    names = None if feature_names is None else [str(n) for n in feature_names]

    def column(c):
        if isinstance(c, Integral | np.integer) and not isinstance(c, bool):
            if not -n_features <= int(c) < n_features:
                raise ValueError(
                    f"moments names column {c}, but X has {n_features} column(s)."
                )
            return int(c) % n_features
        if names is not None and str(c) in names:
            return names.index(str(c))
        raise ValueError(
            f"moments names column {c!r}, which is not a column of X; use column "
            "names of the DataFrame seen in fit or integer positions."
        )

    terms = [(j,) for j in range(n_features)]
    if isinstance(moments, str):
        if moments in ("variance", "interaction"):
            terms += [(j, j) for j in range(n_features)]
        if moments == "interaction":
            terms += list(combinations(range(n_features), 2))
        return terms
    unknown = set(moments) - {"variance", "interaction"}
    if unknown:
        raise ValueError(
            f"moments has unknown key(s) {sorted(unknown)}; use 'variance' (a list "
            "of columns) and/or 'interaction' (a list of column pairs)."
        )
    for c in moments.get("variance", ()):
        terms.append((column(c), column(c)))
    for pair in moments.get("interaction", ()):
        if len(pair) != 2:
            raise ValueError(
                f"moments['interaction'] holds {pair!r}; give pairs of columns, "
                "e.g. [('age', 'bmi')]."
            )
        j, k = sorted((column(pair[0]), column(pair[1])))
        terms.append((j, k))
    return list(dict.fromkeys(terms))  # drop repeats, keep order


def _term_names(terms, feature_names, n_features):
    names = (
        [str(n) for n in feature_names]
        if feature_names is not None
        else [f"x{j}" for j in range(n_features)]
    )
    out = []
    for t in terms:
        if len(t) == 1:
            out.append(names[t[0]])
        elif t[0] == t[1]:
            out.append(f"{names[t[0]]}^2")
        else:
            out.append(f"{names[t[0]]}*{names[t[1]]}")
    return out


def _moment_matrix(X, terms):
    X = np.asarray(X, dtype=float)
    return np.column_stack(
        [X[:, t[0]] if len(t) == 1 else X[:, t[0]] * X[:, t[1]] for t in terms]
    )


def _dual(C, log_q, lam):
    """Dual value, normalised weights, gradient (the moment gap) at ``lam``."""
    s = log_q + C @ lam
    value = logsumexp(s)
    w = np.exp(s - value)
    return value, w, C.T @ w


def _newton(C, log_q, lam, tol, max_iter):
    """Minimise ``log sum_i q_i exp(lam . C_i)`` by damped Newton.

    Returns ``(lam, w, gap, n_iter, converged)``; ``gap`` is the largest
    absolute moment gap (``C`` is centred at the target moments and scaled).
    """
    value, w, grad = _dual(C, log_q, lam)
    for it in range(1, max_iter + 1):
        gap = np.max(np.abs(grad)) if grad.size else 0.0
        if gap <= tol:
            return lam, w, gap, it - 1, True
        # exact Hessian: the w-weighted covariance of the moment functions
        Cw = C * np.sqrt(w)[:, None]
        H = Cw.T @ Cw - np.outer(grad, grad)
        try:
            step = -linalg.solve(H, grad, assume_a="pos")
        except (linalg.LinAlgError, ValueError):
            # collinear constraints (e.g. every level of a one-hot column):
            # the minimum-norm step solves the consistent part
            step = -linalg.lstsq(H, grad)[0]
        slope = grad @ step
        if not slope < 0:  # not a descent direction: numerically done
            return lam, w, gap, it, False
        t = 1.0
        while t >= _MIN_STEP:
            new_value, new_w, new_grad = _dual(C, log_q, lam + t * step)
            # Near the optimum the dual is flat to rounding (its changes fall
            # below one ulp of L) while the gap can still shrink 1e3-fold: a
            # step that lowers the gap is then accepted too.
            if new_value <= value + _ARMIJO * t * slope or (
                np.max(np.abs(new_grad)) < 0.5 * gap
            ):
                break
            t *= 0.5
        else:
            return lam, w, gap, it, False
        lam = lam + t * step
        value, w, grad = new_value, new_w, new_grad
    gap = np.max(np.abs(grad)) if grad.size else 0.0
    return lam, w, gap, max_iter, gap <= tol


def _strictly_feasible(C):
    """Whether some weights ``w_i > 0`` summing to 1 give ``C' w = 0``.

    The linear programme ``max t  s.t.  w_i >= t, sum w = 1, C' w = 0``
    (HiGHS) has a positive optimum iff the origin -- the target's moments --
    lies in the relative interior of the convex hull of the rows of ``C``,
    the condition for entropy balancing to have a solution. Run only when
    Newton did not converge, to tell an infeasible problem from a slow one.
    """
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix, hstack, identity

    n, k = C.shape
    # variables (w_1..w_n, t); minimise -t; w_i >= t as t - w_i <= 0
    cost = np.r_[np.zeros(n), -1.0]
    A_ub = hstack([-identity(n), csr_matrix(np.ones((n, 1)))]).tocsr()
    A_eq = np.vstack([np.c_[C.T, np.zeros(k)], np.r_[np.ones(n), 0.0]])
    b_eq = np.r_[np.zeros(k), 1.0]
    res = linprog(
        cost,
        A_ub=A_ub,
        b_ub=np.zeros(n),
        A_eq=A_eq,
        b_eq=b_eq,
        bounds=[(0, None)] * n + [(None, None)],
        method="highs",
    )
    return bool(res.status == 0 and -res.fun > 1e-9 / n)


class EntropyBalancing(BaseWeighter):
    """Entropy balancing: weights whose weighted moments equal the target's.

    Finds the source weights of maximum entropy relative to the base weights
    (uniform, or ``sample_weight`` of the source rows) whose weighted means
    -- and optionally second moments and interactions -- equal the target
    rows' exactly (Hainmueller, 2012). The weights are an exponential tilting
    ``w(x) ∝ exp(lambda . c(x))`` of the base weights, so ``predict_weights``
    weights new rows by the same formula, like any density-ratio weighter:
    it is the log-linear ratio model fitted by maximum likelihood.

    Read more in :ref:`the entropy-balancing page <entropy_balancing>`.

    Parameters
    ----------
    moments : {"mean", "variance", "interaction"} or dict, default="mean"
        Moments to balance. ``"mean"``: every column's mean; ``"variance"``:
        also every column's second moment (hence variance); ``"interaction"``:
        also every pairwise product. A dict balances every mean plus the
        chosen ones: ``{"variance": ["age"], "interaction": [("age", "bmi")]}``
        (column names of a DataFrame, or integer positions).
    tol : float, default=1e-10
        Stop when the largest moment gap, in units of the source standard
        deviation of each moment function, is below ``tol``.
    max_iter : int, default=200
        Newton iterations.
    warm_start : bool, default=False
        Start from the previous fit's ``coef_`` when the moment functions are
        the same (a refit on a bootstrap sample or a CV fold, say).
    flatten : float, default=1.0
        Exponent ``lambda`` applied to the weights; 0 gives uniform weights.
        Any value but 1 gives up the exact balance.
    clip : float or None, default=None
        Largest allowed weight, as a multiple of the mean weight.
    clip_quantile : float or None, default=None
        Weights above this quantile are capped at it.

    Attributes
    ----------
    weights_ : ndarray of shape (n_source,)
        Weights of the source rows seen in ``fit``, mean 1; the base weights
        (``sample_weight``) included.
    coef_ : ndarray of shape (n_moments,)
        The tilting coefficients ``lambda`` on the raw moment functions:
        ``log r(x) = coef_ . (c(x) - target_moments_) + const``.
    target_moments_ : ndarray of shape (n_moments,)
        The target rows' (weighted) moments that the weights reproduce.
    moment_names_ : list of str
        Name of each moment function (``"age"``, ``"age^2"``, ``"age*bmi"``).
    moment_gap_ : float
        Largest absolute gap between the weighted source and the target
        moments at the solution, in source standard deviations.
    n_iter_ : int
        Newton iterations run.
    log_norm_, n_source_, n_target_, n_features_in_, feature_names_in_
        As for every weighter (:class:`~instransfer.BaseWeighter`).

    See Also
    --------
    ClassifierWeighter : the logistic-regression ratio, also log-linear in
        ``x``, fitted by a different criterion (it does not balance exactly).
    instransfer.metrics.balance_table : standardised differences before and
        after weighting.

    Notes
    -----
    Balancing the means of ``x`` is maximum-likelihood estimation of the
    ratio model ``r(x) ∝ exp(lambda . x)``; balancing second moments too
    makes it exact for two Gaussians with different covariances. A target
    moment outside the range the source can reach (say, a binary column that
    is 1 in every target row but not in every source row, or an age beyond
    every source patient's) has no solution: ``fit`` raises a ValueError
    naming the moments.

    The standard errors of estimates computed with these weights should
    account for their estimation (Zhao & Percival, J. Causal Inference 5,
    2017, show entropy balancing is doubly robust for linear outcome models).

    References
    ----------
    .. [1] J. Hainmueller, "Entropy Balancing for Causal Effects: A
       Multivariate Reweighting Method to Produce Balanced Samples in
       Observational Studies", Political Analysis 20(1), 25-46, 2012.
    .. [2] Y. Tsuboi, H. Kashima, S. Hido, S. Bickel and M. Sugiyama, "Direct
       Density Ratio Estimation for Large-scale Covariate Shift Adaptation",
       Journal of Information Processing 17, 138-155, 2009.

    Examples
    --------
    >>> import numpy as np
    >>> from instransfer.datasets import make_covariate_shift
    >>> from instransfer.density_ratio import EntropyBalancing
    >>> data = make_covariate_shift(random_state=0)
    >>> eb = EntropyBalancing().fit(data.X, data.domain)
    >>> Xs, Xt = data.X[data.domain == 0], data.X[data.domain == 1]
    >>> gap = np.average(Xs, axis=0, weights=eb.weights_) - Xt.mean(axis=0)
    >>> bool(np.abs(gap).max() < 1e-8)
    True
    """

    _SEPARABLE = (
        "the check's domains are make_blobs clusters (or uniform draws split "
        "at random with a few rows) whose target means lie outside the source "
        "rows' convex hull: no weighting of the source can match them, and "
        "EntropyBalancing raises its infeasibility error, as it must"
    )
    _DOMAIN_12 = (
        "the check draws domain labels {1, 2} with sample weights; a weighter "
        "accepts 0/1 only and gets a clear ValueError"
    )
    _xfail_checks = {
        **BaseWeighter._xfail_checks,
        **dict.fromkeys(
            [
                "check_estimators_overwrite_params",
                "check_dont_overwrite_parameters",
                "check_estimators_fit_returns_self",
                "check_readonly_memmap_input",
                "check_n_features_in_after_fitting",
                "check_positive_only_tag_during_fit",
                "check_dtype_object",
                "check_pipeline_consistency",
                "check_estimators_pickle",
                "check_f_contiguous_array_estimator",
                "check_methods_sample_order_invariance",
                "check_methods_subset_invariance",
                "check_dict_unchanged",
                "check_fit2d_predict1d",
            ],
            _SEPARABLE,
        ),
        **dict.fromkeys(
            [
                "check_sample_weights_pandas_series",
                "check_sample_weights_not_an_array",
                "check_sample_weights_shape",
                "check_sample_weights_not_overwritten",
                "check_sample_weight_equivalence_on_dense_data",
            ],
            _DOMAIN_12,
        ),
    }

    _parameter_constraints: dict = {
        **BaseWeighter._parameter_constraints,
        "moments": [StrOptions(set(_MOMENTS)), dict],
        "tol": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
    }

    def __init__(
        self,
        moments="mean",
        *,
        tol=1e-10,
        max_iter=200,
        warm_start=False,
        flatten=1.0,
        clip=None,
        clip_quantile=None,
    ):
        self.moments = moments
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start
        self.flatten = flatten
        self.clip = clip
        self.clip_quantile = clip_quantile

    def fit(self, X, y, sample_weight=None):
        """Fit the balancing weights on stacked source and target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows, stacked.
        y : array-like of shape (n_samples,)
            The domain of each row: 0 (or False) source, 1 (or True) target.
        sample_weight : array-like of shape (n_samples,), default=None
            Base weights ``q`` of the source rows and the weights of the
            target rows in their moments (survey or design weights). An
            integer weight is the same as repeating the row.

        Returns
        -------
        self : object
            Fitted weighter.
        """
        self._sample_weight = None
        if sample_weight is not None:
            n = _num_rows(X)
            sw = _check_sample_weight(
                sample_weight, np.empty((n, 0)), ensure_non_negative=True
            )
            is_target = check_domain(y, n, min_source=0, min_target=0)
            self._sample_weight = (sw[~is_target], sw[is_target])
        try:
            return super().fit(X, y)
        finally:
            del self._sample_weight

    def _fit_log_ratio(self, X_source, X_target):
        p = self._moment_problem(X_source, X_target)
        lam0 = np.zeros(p.C.shape[1])
        previous = getattr(self, "coef_", None)
        if (
            self.warm_start
            and previous is not None
            and getattr(self, "moment_names_", None) == p.names
        ):
            lam0 = (previous * p.scale)[p.active]
        lam, _, gap, n_iter, converged = _newton(
            p.C, p.log_q, lam0, self.tol, self.max_iter
        )
        if not converged:
            active_names = [n for n, a in zip(p.names, p.active, strict=True) if a]
            self._diagnose(p.C, p.log_q, lam, gap, n_iter, active_names)

        coef = np.zeros(len(p.terms))
        coef[p.active] = lam / p.scale[p.active]
        self.coef_ = coef
        self.target_moments_ = p.target_moments
        self.moment_names_ = p.names
        self.moment_gap_ = float(gap)
        self.n_iter_ = n_iter
        self._terms = p.terms
        self._scale = p.scale
        return p.log_q + p.centred @ coef

    def _moment_problem(self, X_source, X_target):
        """Moment functions centred at the target's, scaled, and checked."""
        n_features = X_source.shape[1]
        feature_names = getattr(self, "feature_names_in_", None)
        terms = _resolve_terms(self.moments, n_features, feature_names)
        names = _term_names(terms, feature_names, n_features)
        C_s = _moment_matrix(X_source, terms)
        C_t = _moment_matrix(X_target, terms)
        q_s, q_t = self._sample_weight or (None, None)
        q_s = np.ones(C_s.shape[0]) if q_s is None else q_s
        q_t = np.ones(C_t.shape[0]) if q_t is None else q_t
        if q_s.sum() <= 0 or q_t.sum() <= 0:
            raise ValueError(
                "sample_weight is 0 on every source or every target row; give "
                "each domain some positive weight."
            )
        target_moments = np.average(C_t, axis=0, weights=q_t)
        with np.errstate(divide="ignore"):
            log_q = np.log(q_s / q_s.mean())

        # Scale each moment function by its source spread so that one
        # tolerance fits every column and the Hessian is well conditioned.
        keep = q_s > 0
        scale = np.std(C_s[keep], axis=0)
        centred = C_s - target_moments
        # relative to the column's own magnitude, never to 1: a covariate
        # measured on a tiny scale (1e-12) is not a constant one
        size = np.maximum(np.abs(C_s[keep]).max(axis=0), np.abs(target_moments))
        constant = scale <= 1e-12 * size
        off = constant & (np.abs(centred[keep]).max(axis=0) > 1e-9 * size)
        if off.any():
            self._raise_infeasible([names[r] for r in np.flatnonzero(off)])
        active = ~constant
        scale = np.where(active, scale, 1.0)
        C = centred[:, active] / scale[active]
        # A moment at or beyond the edge of the source's range on its own
        # needs zero weights (edge) or has no solution (beyond); Newton would
        # "converge" on the edge with weights of 1e-11, silently dropping rows.
        edge = 1e-12 * np.maximum(1.0, np.abs(target_moments[active]) / scale[active])
        alone = (C[keep].min(axis=0) >= -edge) | (C[keep].max(axis=0) <= edge)
        if alone.any():
            named = [n for n, a in zip(names, active, strict=True) if a]
            self._raise_infeasible([named[r] for r in np.flatnonzero(alone)])
        return Bunch(
            terms=terms,
            names=names,
            C=C,
            centred=centred,
            scale=scale,
            active=active,
            log_q=log_q,
            target_moments=target_moments,
        )

    def _diagnose(self, C, log_q, lam, gap, n_iter, names):
        """Raise for an infeasible problem, warn for a slow one."""
        if not _strictly_feasible(C[np.isfinite(log_q)]):
            # out of reach: lambda diverges along a separating direction; its
            # largest standardised components name the moments involved
            big = np.abs(lam)
            order = np.argsort(-big)
            chosen = [names[r] for r in order if big[r] >= 0.2 * big[order[0]]][:5]
            self._raise_infeasible(chosen)
        warnings.warn(
            f"EntropyBalancing stopped after {n_iter} iterations with a "
            f"moment gap of {gap:.2g} source SDs (tol={self.tol:g}); raise "
            "max_iter or tol.",
            ConvergenceWarning,
            stacklevel=4,
        )

    @staticmethod
    def _raise_infeasible(names):
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise ValueError(
            f"EntropyBalancing cannot match the target's moments of {shown}: they "
            "lie outside what weighting the source rows can reach (their convex "
            "hull); drop or coarsen those moments, or restrict the target to rows "
            "the source covers."
        )

    def _log_ratio(self, X):
        return (_moment_matrix(X, self._terms) - self.target_moments_) @ self.coef_

    def score(self, X, y):
        """Held-out balance: minus the RMS standardised moment gap.

        The held-out source rows are weighted by :meth:`predict_weights`
        (self-normalised) and their weighted moments compared with the
        held-out target rows' mean moments, in units of the source standard
        deviations seen in ``fit``; ``score = -sqrt(mean_r gap_r ** 2)``, 0
        for perfect balance, higher is better. On the fit's own rows it is
        0 up to ``tol`` (with ``flatten=1`` and no clipping), so compare
        candidates on held-out folds (``GridSearchCV`` with
        :class:`~instransfer.model_selection.DomainStratifiedKFold`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Held-out source and target rows, stacked.
        y : array-like of shape (n_samples,)
            Domain of each row (0 source, 1 target); both domains needed.

        Returns
        -------
        score : float
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        is_target = check_domain(y, _num_rows(X), min_source=1, min_target=1)
        w = self.predict_weights(X[~is_target])
        C = _moment_matrix(X, self._terms)
        gap = np.average(C[~is_target], axis=0, weights=w) - C[is_target].mean(0)
        return -float(np.sqrt(np.mean((gap / self._scale) ** 2)))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags
