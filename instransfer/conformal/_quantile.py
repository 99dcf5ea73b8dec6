"""The weighted conformal quantile of Tibshirani et al. (NeurIPS 2019).

For calibration scores ``V_1 .. V_n`` with weights ``w_1 .. w_n`` (the density
ratio at the calibration rows) and a test point of weight ``w``, the paper's
Corollary 1 (eq. 7) takes the ``1 - alpha`` quantile of

    ``sum_i p_i delta_{V_i} + p_{n+1} delta_{+inf}``,
    ``p_i = w_i / (sum_j w_j + w)``, ``p_{n+1} = w / (sum_j w_j + w)``.

The test point's own mass sits at ``+inf``: when ``w > alpha / (1 - alpha) *
sum_j w_j`` it reaches past the quantile and the interval is infinite (the
set holds every class). With equal weights ``p_i = 1 / (n + 1)`` and the
quantile is the ``ceil((1 - alpha)(n + 1))``-th smallest score, plain split
conformal (Vovk, Gammerman & Shafer, 2005; Lei et al., JASA 2018, eq. 2).
"""

import math
from numbers import Real

import numpy as np

# The cumulative weights are compared with (1 - alpha) * total up to this
# relative slack: (1 - 0.1) * 20 is 18.000000000000004 in floating point, and
# the 18th of 19 equal weights must still count as reaching it, as the exact
# ceil((1 - alpha)(n + 1)) rule of plain split conformal says.
_REL_TOL = 1e-12


def check_alpha(alpha):
    """Return ``alpha`` as a float in (0, 1) or raise a clear ValueError."""
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0 < alpha < 1:
        raise ValueError(
            f"alpha must be a number in (0, 1), the miscoverage rate (0.1 for 90 % "
            f"intervals); got {alpha!r}."
        )
    return float(alpha)


def min_calibration_rows(alpha):
    """Fewest calibration rows that give a finite quantile at equal weights.

    ``ceil((1 - alpha)(n + 1)) <= n`` holds iff ``n >= (1 - alpha) / alpha``.

    Parameters
    ----------
    alpha : float in (0, 1)
        Miscoverage rate.

    Returns
    -------
    n : int
    """
    alpha = check_alpha(alpha)
    return max(1, math.ceil((1 - alpha) / alpha - 1e-9))


def weighted_conformal_quantile(scores, weights, test_weights, alpha):
    """The ``1 - alpha`` weighted conformal quantile for each test point.

    Parameters
    ----------
    scores : array-like of shape (n_calibration,)
        Non-conformity scores of the calibration rows.
    weights : array-like of shape (n_calibration,)
        Their weights (the density ratio, any common scale), ``>= 0``.
    test_weights : array-like of shape (n_test,)
        Weight of each test point, on the scale of ``weights``.
    alpha : float in (0, 1)
        Miscoverage rate.

    Returns
    -------
    quantiles : ndarray of shape (n_test,)
        ``+inf`` where the test point's weight exceeds
        ``alpha / (1 - alpha)`` times the calibration weights' sum.

    References
    ----------
    .. [1] R. J. Tibshirani, R. Foygel Barber, E. J. Candès and A. Ramdas,
       "Conformal prediction under covariate shift", NeurIPS 2019,
       Corollary 1, eq. (7).

    Examples
    --------
    >>> import numpy as np
    >>> from instransfer.conformal import weighted_conformal_quantile
    >>> scores = np.arange(1.0, 20.0)            # 19 calibration scores
    >>> weighted_conformal_quantile(scores, np.ones(19), np.ones(2), 0.1)
    array([18., 18.])
    >>> weighted_conformal_quantile(scores, np.ones(19), np.array([1.0, 3.0]), 0.1)
    array([18., inf])
    """
    alpha = check_alpha(alpha)
    scores = np.asarray(scores, dtype=float)
    weights = np.asarray(weights, dtype=float)
    test_weights = np.asarray(test_weights, dtype=float)
    if scores.shape != weights.shape or scores.ndim != 1:
        raise ValueError(
            f"scores and weights must be 1-D of one length; got shapes "
            f"{scores.shape} and {weights.shape}."
        )
    if scores.shape[0] == 0:
        return np.full(test_weights.shape, np.inf)
    order = np.argsort(scores, kind="stable")
    sorted_scores = scores[order]
    cum = np.cumsum(weights[order])
    need = (1 - alpha) * (cum[-1] + test_weights) * (1 - _REL_TOL)
    # first calibration score whose cumulative mass reaches 1 - alpha
    k = np.searchsorted(cum, need, side="left")
    out = np.full(test_weights.shape, np.inf)
    finite = k < cum.shape[0]
    out[finite] = sorted_scores[k[finite]]
    return out


# Test rows per block in ``weighted_quantile_rows``: a block sorts an
# (n_block, n_calibration) array, so this bounds the memory to a few MB.
_BLOCK_CELLS = 1 << 20


def weighted_quantile_rows(values, weights, test_weights, alpha):
    """The weighted conformal quantile of a different set of values per test row.

    Jackknife+ and CV+ (Barber, Candès, Ramdas & Tibshirani, Ann. Statist.
    2021) do not take the quantile of fixed scores but of
    ``mu_{-i}(x) + R_i``, which depends on the test point ``x``; row ``j`` of
    ``values`` holds them for test point ``j``. The rule is that of
    :func:`weighted_conformal_quantile` applied row by row (the test point's
    weight sits at ``+inf``), so with equal weights it is the
    ``ceil((1 - alpha)(n + 1))``-th smallest value of each row.

    Parameters
    ----------
    values : ndarray of shape (n_test, n_calibration)
        Values whose quantile is taken, one row per test point.
    weights : ndarray of shape (n_calibration,)
        Weights of the calibration rows (columns), ``>= 0``.
    test_weights : ndarray of shape (n_test,)
        Weight of each test point, on the scale of ``weights``.
    alpha : float in (0, 1)
        Miscoverage rate.

    Returns
    -------
    quantiles : ndarray of shape (n_test,)
        ``+inf`` where the test point's weight exceeds
        ``alpha / (1 - alpha)`` times the calibration weights' sum.
    """
    alpha = check_alpha(alpha)
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    test_weights = np.asarray(test_weights, dtype=float)
    m, n = values.shape
    out = np.full(m, np.inf)
    if n == 0:
        return out
    need = (1 - alpha) * (weights.sum() + test_weights) * (1 - _REL_TOL)
    step = max(1, _BLOCK_CELLS // n)
    for start in range(0, m, step):
        block = slice(start, start + step)
        order = np.argsort(values[block], axis=1, kind="stable")
        cum = np.cumsum(weights[order], axis=1)
        # cumulative weights are non-decreasing along a row: counting the
        # entries below the need is searchsorted(side="left") row by row
        k = np.count_nonzero(cum < need[block, None], axis=1)
        finite = k < n
        rows = np.flatnonzero(finite)
        sorted_vals = np.take_along_axis(values[block], order, axis=1)
        out[start + rows] = sorted_vals[rows, k[finite]]
    return out
