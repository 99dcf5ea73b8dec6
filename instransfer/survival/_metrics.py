"""Target-population metrics for survival models: weighted C-index and Brier score.

Under covariate shift a metric computed on labeled source rows estimates the
source's performance; weighting every row's contribution by its importance
weight ``w(x) = p_target(x) / p_source(x)`` makes it estimate the target's
(importance-weighted validation, Sugiyama, Krauledat & Müller, JMLR 8, 2007,
Theorem 1):

- the concordance index counts each comparable pair ``(i, j)`` with weight
  ``w_i w_j`` (the pair's density ratio), and, with ``ipcw=True``, also with
  the inverse squared censoring probability of Uno, Cai, Pencina,
  D'Agostino & Wei (Statistics in Medicine 30, 2011, eq. 6), which removes
  the dependence of Harrell's C on the censoring distribution;
- the Brier score at time ``t`` averages ``w_i`` times Graf's inverse
  probability of censoring weighted squared error (Graf, Schmoor, Sauerbrei &
  Schumacher, Statistics in Medicine 18, 1999, Sec. 3, eq. 6).

The censoring survival ``G`` is the reverse Kaplan-Meier of the given rows,
weighted by the same importance weights (censoring independent of the event
time and of ``x``, as both papers assume). Integer weights give the metric of
the data with each row repeated, exactly.
"""

import numpy as np

from ._kaplan_meier import censoring_survival, check_survival_data

__all__ = ["brier_score", "concordance_index", "integrated_brier_score"]


class _Fenwick:
    """Prefix sums of weights over risk-score ranks (binary indexed tree)."""

    def __init__(self, n):
        self.tree = np.zeros(n + 1)

    def add(self, i, value):
        i += 1
        tree, n = self.tree, self.tree.shape[0]
        while i < n:
            tree[i] += value
            i += i & -i

    def prefix(self, i):
        """Sum of the values at ranks < i."""
        total, tree = 0.0, self.tree
        while i > 0:
            total += tree[i]
            i -= i & -i
        return total


def _concordance_sums(time, event, risk, pair_left, weight, tied_tol):
    """Weighted concordant, tied-risk and comparable totals.

    A pair ``(i, j)`` is comparable when ``i`` has the event and ``T_i < T_j``,
    or ``T_i = T_j`` and ``j`` is censored (scikit-survival's and lifelines'
    convention); it is concordant when ``risk_i > risk_j``. Its weight is
    ``pair_left[i] * weight[j]``. Rows are visited from the latest time down,
    each time's censored rows entering the tree before its events query it:
    O(n log n).
    """
    # risk ranks, with scores within tied_tol of each other sharing a rank
    order_r = np.argsort(risk, kind="stable")
    sorted_r = risk[order_r]
    new_rank = np.r_[True, np.diff(sorted_r) > tied_tol]
    rank = np.empty(risk.shape[0], dtype=np.intp)
    rank[order_r] = np.cumsum(new_rank) - 1
    n_ranks = int(rank.max()) + 1 if rank.size else 0

    tree = _Fenwick(n_ranks)
    total = 0.0
    concordant = tied = comparable = 0.0
    order = np.argsort(-time, kind="stable")
    t_sorted = time[order]
    bounds = np.flatnonzero(np.r_[True, np.diff(t_sorted) != 0, True])
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        group = order[a:b]
        events, censored = group[event[group]], group[~event[group]]
        for j in censored:
            tree.add(rank[j], weight[j])
            total += weight[j]
        for i in events:
            if pair_left[i] == 0 or total == 0:
                continue
            below = tree.prefix(rank[i])
            same = tree.prefix(rank[i] + 1) - below
            concordant += pair_left[i] * below
            tied += pair_left[i] * same
            comparable += pair_left[i] * total
        for i in events:
            tree.add(rank[i], weight[i])
            total += weight[i]
    return concordant, tied, comparable


def concordance_index(
    time,
    event,
    risk_score,
    sample_weight=None,
    *,
    ipcw=False,
    tau=None,
    tied_tol=1e-8,
):
    """Importance-weighted concordance index of a survival model.

    The probability that, of two comparable rows of the *target* population,
    the one with the earlier event has the higher predicted risk (ties in
    risk count one half). Each comparable pair of source rows counts with
    the product of their importance weights, so the index estimates the
    target's from labeled source rows.

    Parameters
    ----------
    time : array-like of shape (n_samples,)
        Follow-up times.
    event : array-like of shape (n_samples,)
        1 (True) for an observed event, 0 (False) for a censored row.
    risk_score : array-like of shape (n_samples,)
        Predicted risk: higher means an earlier event (scikit-survival's
        ``predict``; for lifelines' ``predict_expectation`` or a predicted
        survival time, pass its negative).
    sample_weight : array-like of shape (n_samples,), default=None
        Importance weights (a weighter's ``weights_``); None or constant
        weights give the plain index (Harrell's, or Uno's with ``ipcw``).
    ipcw : bool, default=False
        Weight each pair also by ``1 / G(T_i)^2``, ``G`` the (weighted)
        reverse Kaplan-Meier of the censoring times: Uno et al.'s C (2011,
        eq. 6), consistent for a concordance that does not depend on the
        censoring. Use it with ``tau``.
    tau : float or None, default=None
        Only pairs whose earlier time is below ``tau`` count (Uno's
        truncation; choose ``tau`` where ``G`` is not too small).
    tied_tol : float, default=1e-8
        Risk scores closer than this are tied.

    Returns
    -------
    cindex : float

    References
    ----------
    .. [1] F. E. Harrell, R. M. Califf, D. B. Pryor, K. L. Lee and R. A.
       Rosati, "Evaluating the yield of medical tests", JAMA 247, 1982.
    .. [2] H. Uno, T. Cai, M. J. Pencina, R. B. D'Agostino and L. J. Wei, "On
       the C-statistics for evaluating overall adequacy of risk prediction
       procedures with censored survival data", Statistics in Medicine 30,
       1105-1117, 2011.

    Examples
    --------
    >>> from instransfer.survival import concordance_index
    >>> concordance_index([1, 2, 3, 4], [1, 1, 0, 1], [0.9, 0.5, 0.7, 0.1])
    0.8
    """
    time, event, weight = check_survival_data(time, event, sample_weight)
    risk = np.asarray(risk_score, dtype=float).reshape(-1)
    if risk.shape[0] != time.shape[0]:
        raise ValueError(
            f"risk_score has {risk.shape[0]} values for {time.shape[0]} rows."
        )
    if not np.all(np.isfinite(risk)):
        raise ValueError("risk_score has missing or infinite values.")
    pair_left = weight.copy()
    if ipcw:
        g = censoring_survival(time, event, weight)(time)
        if np.any((g <= 0) & event & (weight > 0)):
            raise ValueError(
                "The censoring survival G reaches 0 before some event times; set "
                "tau below the last censoring time."
            )
        with np.errstate(divide="ignore"):
            pair_left = np.where(event, weight / np.maximum(g, 1e-300) ** 2, 0.0)
    if tau is not None:
        pair_left = np.where(time < tau, pair_left, 0.0)
    concordant, tied, comparable = _concordance_sums(
        time, event, risk, pair_left, weight, tied_tol
    )
    if comparable == 0:
        raise ValueError(
            "No comparable pairs (an event before another row's time) with "
            "positive weight; the concordance index is undefined."
        )
    return float((concordant + 0.5 * tied) / comparable)


def _check_survival_prob(survival_prob, n_rows, times):
    prob = np.asarray(survival_prob, dtype=float)
    if prob.ndim == 1:
        prob = prob.reshape(-1, 1)
    if prob.shape != (n_rows, times.shape[0]):
        raise ValueError(
            f"survival_prob has shape {prob.shape}; expected (n_rows, n_times) = "
            f"({n_rows}, {times.shape[0]}): each row's predicted survival at each "
            "time."
        )
    if not np.all(np.isfinite(prob)):
        raise ValueError("survival_prob has missing or infinite values.")
    return prob


def brier_score(time, event, survival_prob, times, sample_weight=None):
    """Importance-weighted IPCW Brier score at given times.

    ``BS(t) = sum_i w_i [ S_i(t)^2 1{T_i <= t, event_i} / G(T_i)
    + (1 - S_i(t))^2 1{T_i > t} / G(t) ] / sum_i w_i``, the squared error
    of the predicted survival probability against the observed status,
    inverse-probability-of-censoring weighted (Graf et al., 1999, eq. 6) and
    importance weighted (``w_i``). Lower is better.

    Parameters
    ----------
    time, event : array-like of shape (n_samples,)
        Follow-up times and event indicators (1 event, 0 censored).
    survival_prob : array-like of shape (n_samples, n_times)
        Predicted survival probability of each row at each of ``times``.
    times : array-like of shape (n_times,)
        Evaluation times.
    sample_weight : array-like of shape (n_samples,), default=None
        Importance weights; None or constant gives Graf's Brier score
        (scikit-survival's ``brier_score`` with the same rows as training
        data for the censoring distribution).

    Returns
    -------
    scores : ndarray of shape (n_times,)

    References
    ----------
    .. [1] E. Graf, C. Schmoor, W. Sauerbrei and M. Schumacher, "Assessment
       and comparison of prognostic classification schemes for survival
       data", Statistics in Medicine 18, 2529-2545, 1999.
    """
    time, event, weight = check_survival_data(time, event, sample_weight)
    times = np.atleast_1d(np.asarray(times, dtype=float))
    prob = _check_survival_prob(survival_prob, time.shape[0], times)
    G = censoring_survival(time, event, weight)
    g_own, g_t = G(time), G(times)
    scores = np.empty(times.shape[0])
    for k, t in enumerate(times):
        case = event & (time <= t)
        control = time > t
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(case, prob[:, k] ** 2 / g_own, 0.0) + np.where(
                control, (1.0 - prob[:, k]) ** 2 / g_t[k], 0.0
            )
        if np.any(~np.isfinite(term) & (weight > 0)):
            raise ValueError(
                f"The censoring survival G is 0 at or before t={t:g}; evaluate the "
                "Brier score at earlier times."
            )
        scores[k] = np.sum(weight * np.where(weight > 0, term, 0.0)) / weight.sum()
    return scores


def integrated_brier_score(time, event, survival_prob, times, sample_weight=None):
    """Importance-weighted IPCW Brier score integrated over ``times``.

    The trapezoidal integral of :func:`brier_score` over ``times`` divided by
    their range (Graf et al., 1999, Sec. 3; scikit-survival's convention).

    Parameters
    ----------
    time, event, survival_prob, times, sample_weight
        As for :func:`brier_score`; at least two increasing ``times``.

    Returns
    -------
    score : float
    """
    times = np.asarray(times, dtype=float)
    if times.ndim != 1 or times.shape[0] < 2 or np.any(np.diff(times) <= 0):
        raise ValueError("times must be at least two increasing values.")
    scores = brier_score(time, event, survival_prob, times, sample_weight)
    return float(np.trapezoid(scores, times) / (times[-1] - times[0]))
