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
from sklearn.utils import check_random_state

from .. import _kernels
from ..base import BaseWeighter
from ..utils._compat import Interval, StrOptions
from ..utils._docstrings import fill_doc
from ._feature_scaling import (
    FEATURE_SCALING_CONSTRAINT,
    FEATURE_SCALING_DOC,
    FeatureScalingMixin,
)
from ._lsif_loo import _loo_pairs, _lsif_coef, _lsif_loo, _lsif_moments

__all__ = ["ULSIF", "ULSIFCV", "RULSIF", "RULSIFCV"]

# Regularisation grid of the authors' reference code (uLSIF.m, Sugiyama).
DEFAULT_REG_LAMBDAS = tuple(np.logspace(-3, 1, 9).tolist())
# The reference code's width grid, sigma = logspace(-3, 1, 9), is in the
# units of the data; we place the widths around the median heuristic's g0
# instead, so that the default works whatever the scale of the features.
# Neighbours differ by a factor 2 in gamma (sqrt 2 in sigma), which also lets
# one kernel block be squared into the next instead of a new exp.
DEFAULT_GAMMA_FACTORS = tuple((2.0 ** np.arange(-3, 6)).tolist())
# The default grid stops at 8 g0 up to 4 000 rows per domain, and its top
# doubles each time the rows grow 4-fold (gamma ~ sqrt(n), faster than the
# n^(2 / (d + 4)) a kernel estimator's optimal width allows in any
# dimension), up to 32 g0 from 16 000 rows: with the full ladder at every
# size, the exact leave-one-out picked 8-16 g0 kernels on small samples whose
# best width in the grid was 1-2 g0, at 2-5x that point's ratio NMSE; capped
# this way the choice was never worse than adapt's ULSIF and within the
# factor stated in benchmarks/results/kernel_defaults.md of the best width.
_DEFAULT_TOP_ROWS = 1000


def default_gamma_factors(n_rows):
    """Factors of the median heuristic's gamma tried by default.

    ``2 ** [-3, ..., K]`` with ``K = 3 + floor(log4(n_rows / 1000))`` between
    3 and 5, ``n_rows`` the smaller domain's row count.
    """
    extra = 0
    if n_rows > _DEFAULT_TOP_ROWS:
        extra = int(np.floor(np.log2(n_rows / _DEFAULT_TOP_ROWS) / 2))
    top = min(3 + max(extra, 0), 5)
    return DEFAULT_GAMMA_FACTORS[: top + 4]


# Rows per domain pooled for the median heuristic: its cost stays a few ms
# (the automatic grid at 1 000 rows takes ~70 ms in all, kernel_ratio.md).
_MEDIAN_ROWS = 250


def _median_gamma(X_source, X_target, orders=(None, None)):
    return _kernels.pooled_median_gamma(X_source, X_target, _MEDIAN_ROWS, orders)


def _resolve_gamma_grid(gammas, X_source, X_target, orders=(None, None)):
    """The kernel widths to try, the median-heuristic one included."""
    if gammas is None:
        g0 = _median_gamma(X_source, X_target, orders)
        n_rows = min(X_source.shape[0], X_target.shape[0])
        return g0 * np.asarray(default_gamma_factors(n_rows))  # exact doublings
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


# ``n_centers="auto"``: one centre per 4 target rows, at most 100. Measured
# on the known-ratio family (benchmarks/results/kernel_defaults.md): at 200
# rows per domain, 50 centres instead of 100 cut uLSIF's ratio NMSE on heavy
# tails in one column from 0.061 to 0.047 (adapt's ULSIF: 0.042; 6 seeds),
# the one problem where the default had been significantly worse than adapt,
# and moved no other 200-row problem significantly; 200 centres did not help.
# From 400 target rows on it is the former default, 100.
_MAX_AUTO_CENTERS = 100
_ROWS_PER_CENTER = 4


def _auto_centers(n_centers, n_target):
    if n_centers == "auto":
        return min(_MAX_AUTO_CENTERS, max(1, n_target // _ROWS_PER_CENTER))
    return n_centers


def _check_lambdas(reg_lambdas):
    lam = np.atleast_1d(np.asarray(reg_lambdas, dtype=np.float64)).ravel()
    if lam.size == 0 or not np.all(np.isfinite(lam)) or np.any(lam <= 0):
        raise ValueError(
            f"reg_lambdas must be positive finite numbers; got {reg_lambdas!r}."
        )
    return lam


class _BaseLSIF(FeatureScalingMixin, BaseWeighter):
    """Shared fitting of uLSIF/RuLSIF over a grid (one point for ULSIF)."""

    _parameter_constraints: dict = {
        **BaseWeighter._parameter_constraints,
        "n_centers": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "centers": ["array-like", None],
        "feature_scaling": FEATURE_SCALING_CONSTRAINT,
        "random_state": ["random_state"],
    }

    _alpha_value = 0.0
    _single_threaded_blas = True  # products with ~100 centres

    def _grid(self):
        """(gammas or None for the median heuristic, reg_lambdas, do_loo)."""
        raise NotImplementedError

    def _fit_log_ratio(self, X_source, X_target):
        rng = check_random_state(self.random_state)
        X_source, X_target = self._scale_fit_inputs(X_source, X_target)
        alpha = float(self._alpha_value)
        gammas, reg_lambdas, do_loo = self._grid()
        orders = (
            _kernels.canonical_order(X_source),
            _kernels.canonical_order(X_target),
        )
        gammas = _resolve_gamma_grid(gammas, X_source, X_target, orders)
        reg_lambdas = _check_lambdas(reg_lambdas)
        C = _kernels.select_centers(
            X_target,
            _auto_centers(self.n_centers, X_target.shape[0]),
            self._scaled_centers(),
            rng,
            orders[1],
        )
        Hs, Ht, h = _lsif_moments(X_source, X_target, C, gammas, alpha)

        if do_loo:
            max_pairs = getattr(self, "max_loo_pairs", None)
            idx_s, idx_t = _loo_pairs(*orders, max_pairs, rng)
            self._loo_pairs = (idx_s, idx_t)
            if getattr(self, "verbose", 0):
                n_g, n_l = len(gammas), len(reg_lambdas)
                print(
                    f"[{type(self).__name__}] Scoring {n_g} widths x {n_l} "
                    f"regularisers, totalling {n_g * n_l} candidates by exact "
                    f"leave-one-out over {len(idx_s)} pairs, then 1 final fit",
                    flush=True,
                )
            means, stds, per_pair = _lsif_loo(
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
            np.negative(per_pair, out=per_pair)  # scores: higher is better
            self.cv_results_ = _grid_results(
                gammas, reg_lambdas, scores, stds, per_pair
            )
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
        return self._log_ratio_scaled(X_source)

    def _log_ratio(self, X):
        return self._log_ratio_scaled(self._scaled(X))

    def _log_ratio_scaled(self, X):
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


def _grid_results(gammas, reg_lambdas, scores, stds, split_scores):
    """``cv_results_`` in the layout of GridSearchCV (gamma varies slowest).

    Each held-out pair is a fold: ``split{k}_test_score`` is pair ``k``'s
    score (minus its held-out ``J``), as GridSearchCV reports it over
    leave-one-pair-out folds; the mean and the standard deviation are over
    the pairs, as there.
    """
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
        **{
            f"split{k}_test_score": split.ravel()
            for k, split in enumerate(split_scores)
        },
    }


# the parameters every class of this module shares (``%(common)s``)
_COMMON_PARAMS_DOC = """\
n_centers : int or "auto", default="auto"
    Number of kernel centres, drawn without replacement from the target
    rows (all of them when there are fewer). ``"auto"``: one per 4 target
    rows, at most 100 (chosen on the known-ratio benchmark: fewer centres
    than rows / 2 lower the variance on small samples).
centers : array-like of shape (n_centers, n_features), default=None
    Fixed kernel centres; overrides ``n_centers`` (e.g. to compare fits
    on the same basis).
%(feature_scaling)s
random_state : int, RandomState instance or None, default=None
    Seeds the choice of centres (and of held-out pairs). The draw is
    made from the rows sorted by content, so the fit does not depend on
    the order of the rows. The median heuristic's subsample (above 250
    rows per domain) has a fixed seed: ``gamma_`` does not depend on it.
%(weight_transform)s"""


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
    %(common)s

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
        n_centers="auto",
        centers=None,
        feature_scaling="none",
        random_state=None,
        flatten=1.0,
        clip=None,
        clip_quantile=None,
    ):
        self.gamma = gamma
        self.reg_lambda = reg_lambda
        self.n_centers = n_centers
        self.centers = centers
        self.feature_scaling = feature_scaling
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
        times ``2 ** [-3, ..., K]``, ``K = 3`` up to 4 000 rows in the smaller
        domain, 4 up to 16 000, 5 above (a bounded width grid, chosen by
        measurement: ``benchmarks/results/kernel_defaults.md``); a ``None``
        inside the list stands for ``g0``.
    reg_lambdas : array-like of float, default=np.logspace(-3, 1, 9)
        Regularisation values to try (the authors' reference grid).
    max_loo_pairs : int or None, default=5000
        Largest number of held-out pairs averaged in the criterion; above it a
        seeded random subset of pairs is used (each still scored exactly).
        ``None`` uses all ``min(n_source, n_target)`` pairs.
    verbose : int, default=0
        1 announces the size of the grid up front (widths times
        regularisers, all scored by one closed-form leave-one-out pass, then
        one final fit).
    %(common)s

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
        ``rank_test_score``, and ``split{k}_test_score``, the score of held-out
        pair ``k`` (the pairs are the folds: GridSearchCV over
        leave-one-pair-out folds reports the same keys and values).
        ``mean_test_score.reshape(n_gammas, n_lambdas)`` gives the grid. The
        split scores take 8 bytes per pair and candidate (2.5 MB at the
        default 5 000 pairs and 63 candidates); ``max_loo_pairs`` bounds them.
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
    63
    >>> round(w.weights_.mean(), 6)
    1.0
    """

    _parameter_constraints: dict = {
        **_BaseLSIF._parameter_constraints,
        "gammas": ["array-like", None],
        "reg_lambdas": ["array-like"],
        "max_loo_pairs": [Interval(Integral, 1, None, closed="left"), None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        gammas=None,
        reg_lambdas=DEFAULT_REG_LAMBDAS,
        *,
        max_loo_pairs=5000,
        verbose=0,
        n_centers="auto",
        centers=None,
        feature_scaling="none",
        random_state=None,
        flatten=1.0,
        clip=None,
        clip_quantile=None,
    ):
        self.gammas = gammas
        self.reg_lambdas = reg_lambdas
        self.max_loo_pairs = max_loo_pairs
        self.verbose = verbose
        self.n_centers = n_centers
        self.centers = centers
        self.feature_scaling = feature_scaling
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
    %(common)s

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
        n_centers="auto",
        centers=None,
        feature_scaling="none",
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
        self.feature_scaling = feature_scaling
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
        ``2 ** [-3, ..., K]``, ``K`` from 3 to 5 with the rows, as in
        :class:`ULSIFCV`.
    reg_lambdas : array-like of float, default=np.logspace(-3, 1, 9)
        Regularisation values to try.
    alpha : float in [0, 1), default=0.1
        Share of the target density in the denominator.
    max_loo_pairs : int or None, default=5000
        Largest number of held-out pairs averaged in the criterion.
    verbose : int, default=0
        1 announces the size of the grid up front (widths times
        regularisers, all scored by one closed-form leave-one-out pass, then
        one final fit).
    %(common)s

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
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        gammas=None,
        reg_lambdas=DEFAULT_REG_LAMBDAS,
        *,
        alpha=0.1,
        max_loo_pairs=5000,
        verbose=0,
        n_centers="auto",
        centers=None,
        feature_scaling="none",
        random_state=None,
        flatten=1.0,
        clip=None,
        clip_quantile=None,
    ):
        self.gammas = gammas
        self.reg_lambdas = reg_lambdas
        self.alpha = alpha
        self.max_loo_pairs = max_loo_pairs
        self.verbose = verbose
        self.n_centers = n_centers
        self.centers = centers
        self.feature_scaling = feature_scaling
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
    fill_doc(_cls, common=_COMMON_PARAMS_DOC, feature_scaling=FEATURE_SCALING_DOC)
del _cls
