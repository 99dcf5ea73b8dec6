"""Weighted Kaplan-Meier estimate of the target population's survival curve.

With importance weights ``w(x) = p_target(x) / p_source(x)`` on the source
rows, the weighted product-limit estimator

    S(t) = prod_{u_j <= t} (1 - d_j / Y_j),
    d_j = sum_i w_i 1{T_i = u_j, event_i},   Y_j = sum_i w_i 1{T_i >= u_j},

estimates the target's survival curve when censoring is independent of the
event time given ``x`` and the shift is a covariate shift (the event-time
distribution given ``x`` is the same in both populations): the weighted
at-risk and event counts estimate the target's. Integer weights give the
estimate of the data with each row repeated that many times, exactly.

Two variances, both reducing to Greenwood's formula at unit weights:

- ``"robust"`` (default): the sandwich (influence-function) variance that
  treats the rows as independent draws and each weight as a fixed function of
  the row, ``Var(log S(t)) = sum_i (w_i z_i(t))^2`` with ``z_i`` the
  derivative of ``log S(t)`` in ``w_i`` -- the linearisation variance of a
  survey-weighted Kaplan-Meier curve (Binder, Biometrika 79, 1992, Sec. 3;
  as in R's ``survey::svykm``);
- ``"xie-liu"``: Greenwood's formula with the at-risk count of each time
  replaced by Kish's effective sample size of the weights at risk (Xie & Liu,
  Statistics in Medicine 24, 2005, Sec. 2.1).

Neither accounts for the estimation of the weights themselves; with weights
from a fitted weighter the intervals are then approximate (see the coverage
benchmark in ``benchmarks/results/entropy_survival.md``).
"""

import numpy as np
from scipy.stats import norm

__all__ = ["kaplan_meier"]

_VARIANCES = ("robust", "xie-liu")


def check_survival_data(time, event, sample_weight=None, *, name="time"):
    """Validated float time, boolean event and float weights (copies)."""
    time = np.asarray(time, dtype=float).reshape(-1)
    event_arr = np.asarray(event)
    if event_arr.dtype.kind not in "biuf":
        raise ValueError(
            f"event must be boolean or 0/1, got dtype {event_arr.dtype}; code an "
            "observed event as 1 (True) and a censored row as 0 (False)."
        )
    event_arr = event_arr.reshape(-1)
    if not np.isin(event_arr, (0, 1)).all():
        raise ValueError(
            "event must hold only 0/1 (or True/False): 1 for an observed event, 0 "
            "for a censored row."
        )
    if event_arr.shape[0] != time.shape[0]:
        raise ValueError(
            f"{name} and event have different lengths ({time.shape[0]} and "
            f"{event_arr.shape[0]}); give one of each per row."
        )
    if not np.all(np.isfinite(time)):
        raise ValueError(f"{name} has missing or infinite values; drop those rows.")
    if time.shape[0] == 0:
        raise ValueError("Found 0 rows; survival estimates need at least one.")
    if sample_weight is None:
        weight = np.ones(time.shape[0])
    else:
        weight = np.asarray(sample_weight, dtype=float).reshape(-1)
        if weight.shape[0] != time.shape[0]:
            raise ValueError(
                f"sample_weight has {weight.shape[0]} values for {time.shape[0]} "
                "rows; give one weight per row (e.g. a weighter's weights_)."
            )
        if not np.all(np.isfinite(weight)) or (weight < 0).any():
            raise ValueError("sample_weight must be finite and non-negative.")
        if weight.sum() <= 0:
            raise ValueError("sample_weight is 0 on every row; give some weight.")
    return time, event_arr.astype(bool), weight


def _risk_table(time, event, weight):
    """Unique times with weighted events, censorings and at-risk totals."""
    order = np.argsort(time, kind="stable")
    t, e, w = time[order], event[order], weight[order]
    uniq, start = np.unique(t, return_index=True)
    d = np.add.reduceat(w * e, start)
    c = np.add.reduceat(w * ~e, start)
    at_risk = np.cumsum((d + c)[::-1])[::-1]
    return uniq, d, c, at_risk, order, start


def _step(times_grid, values, at, before):
    """Right-continuous step function through ``values`` evaluated at ``at``."""
    pos = np.searchsorted(times_grid, at, side="right") - 1
    out = np.where(pos >= 0, values[np.maximum(pos, 0)], before)
    return out


def _survival_from_table(d, at_risk):
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk > 0, d / at_risk, 0.0)
    return np.cumprod(1.0 - hazard)


def _robust_var_log(time, event, weight, uniq, d, at_risk):
    """Sandwich variance of ``log S`` at each unique time (Binder, 1992).

    ``z_i(t) = -[event_i 1{T_i <= t} / (Y(T_i) - d(T_i)) - B(min(t, T_i))]``
    with ``B(t) = sum_{u_j <= t} d_j / (Y_j (Y_j - d_j))``. Rows still at risk
    at ``t`` share ``z_i = B(t)``, so the sum over rows is a running sum over
    the rows that left plus ``B(t)^2`` times the squared weights at risk:
    O(n log n) instead of the O(n m) table of every row at every time.
    """
    left = at_risk - d
    with np.errstate(divide="ignore", invalid="ignore"):
        inc = np.where((d > 0) & (left > 0), d / (at_risk * left), 0.0)
        jump = np.where(left > 0, 1.0 / left, np.inf)
    B = np.cumsum(inc)
    pos = np.searchsorted(uniq, time)  # each row's own time index
    own = np.where(event, jump[pos], 0.0) - B[pos]
    with np.errstate(invalid="ignore"):
        term = np.where(weight > 0, (weight * own) ** 2, 0.0)
    gone = np.bincount(pos, weights=term, minlength=uniq.shape[0])
    w2 = np.bincount(pos, weights=weight**2, minlength=uniq.shape[0])
    w2_after = np.r_[np.cumsum(w2[::-1])[::-1][1:], 0.0]  # rows with T_i > u_j
    return np.cumsum(gone) + B**2 * w2_after


def _xie_liu_var_log(time, weight, uniq, d, at_risk):
    """Greenwood with Kish's effective at-risk count (Xie & Liu, 2005)."""
    pos = np.searchsorted(uniq, time)
    w2 = np.bincount(pos, weights=weight**2, minlength=uniq.shape[0])
    w2_at_risk = np.cumsum(w2[::-1])[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        m_eff = at_risk**2 / w2_at_risk
        left = at_risk - d
        inc = np.where(d > 0, d / (m_eff * left), 0.0)
    inc = np.where((d > 0) & (left <= 0), np.inf, inc)
    return np.cumsum(inc)


def kaplan_meier(
    time,
    event,
    sample_weight=None,
    *,
    times=None,
    conf_level=0.95,
    variance="robust",
):
    """Weighted Kaplan-Meier survival curve with pointwise confidence intervals.

    With the importance weights of a weighter on the source rows
    (``weighter.weights_``), this estimates the survival curve of the
    **target** population under covariate shift.

    Parameters
    ----------
    time : array-like of shape (n_samples,)
        Follow-up time of each row (event or censoring).
    event : array-like of shape (n_samples,)
        1 (True) if the event was observed, 0 (False) if censored.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights (importance weights); None is the plain estimator. An
        integer weight gives the estimate with the row repeated, exactly.
    times : array-like or None, default=None
        Times at which to evaluate the curve (right-continuous steps); None
        gives every distinct observed time.
    conf_level : float, default=0.95
        Level of the pointwise intervals, computed on the log(-log S) scale
        (Kalbfleisch & Prentice, 2002, Sec. 4.3; lifelines' default too) so
        they stay in [0, 1].
    variance : {"robust", "xie-liu"}, default="robust"
        ``"robust"``: the sandwich variance for weights that are fixed
        functions of the rows (Binder, 1992); ``"xie-liu"``: Greenwood's
        formula with Kish's effective number at risk (Xie & Liu, 2005). Both
        are Greenwood's at unit weights. Neither accounts for the estimation
        of the weights.

    Returns
    -------
    curve : pandas.DataFrame
        Indexed by time, with columns ``survival``, ``std_err`` (of the
        survival probability, by the delta method), ``lower``, ``upper``,
        ``at_risk`` and ``events`` (weighted counts at that time; at the
        asked ``times``, those of the last observed time at or before it,
        0 before the first).

    References
    ----------
    .. [1] E. L. Kaplan and P. Meier, "Nonparametric estimation from
       incomplete observations", JASA 53, 457-481, 1958.
    .. [2] D. A. Binder, "Fitting Cox's proportional hazards models from
       survey data", Biometrika 79, 139-147, 1992.
    .. [3] J. Xie and C. Liu, "Adjusted Kaplan-Meier estimator and log-rank
       test with inverse probability of treatment weighting for survival
       data", Statistics in Medicine 24, 3089-3110, 2005.

    Examples
    --------
    >>> from instransfer.survival import kaplan_meier
    >>> km = kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0], [1, 2, 1, 1, 1])
    >>> km["survival"].round(3).tolist()
    [0.833, 0.5, 0.25, 0.25]
    """
    import pandas as pd

    if variance not in _VARIANCES:
        raise ValueError(f"variance must be one of {_VARIANCES}; got {variance!r}.")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be in (0, 1); got {conf_level}.")
    time, event, weight = check_survival_data(time, event, sample_weight)
    uniq, d, c, at_risk, _, _ = _risk_table(time, event, weight)
    surv = _survival_from_table(d, at_risk)
    if variance == "robust":
        var_log = _robust_var_log(time, event, weight, uniq, d, at_risk)
    else:
        var_log = _xie_liu_var_log(time, weight, uniq, d, at_risk)

    if times is None:
        at = uniq
        s, v = surv, var_log
        n_risk, n_event = at_risk, d
    else:
        at = np.asarray(times, dtype=float).reshape(-1)
        if not np.all(np.isfinite(at)):
            raise ValueError("times must be finite.")
        s = _step(uniq, surv, at, 1.0)
        v = _step(uniq, var_log, at, 0.0)
        n_risk = _step(uniq, at_risk, at, 0.0)
        n_event = _step(uniq, d, at, 0.0)

    z = norm.ppf(0.5 + conf_level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        se_log = np.sqrt(v)
        log_s = np.log(s)
        # log(-log S) scale: se = se(log S) / |log S|
        se_ll = se_log / np.abs(log_s)
        lower = s ** np.exp(z * se_ll)
        upper = s ** np.exp(-z * se_ll)
    flat = (s >= 1.0) | (v == 0)  # before the first event: no uncertainty
    lower = np.where(flat, s, lower)
    upper = np.where(flat, s, upper)
    dead = s <= 0  # every row at risk had the event
    lower, upper = np.where(dead, 0.0, lower), np.where(dead, 0.0, upper)
    with np.errstate(invalid="ignore"):
        std_err = np.where(dead, 0.0, s * se_log)
    return pd.DataFrame(
        {
            "survival": s,
            "std_err": std_err,
            "lower": lower,
            "upper": upper,
            "at_risk": n_risk,
            "events": n_event,
        },
        index=pd.Index(at, name="time"),
    )


def censoring_survival(time, event, weight):
    """Reverse Kaplan-Meier ``G`` of the censoring times, as a callable.

    Events at a tied time come before censorings (the rows that have the
    event are not at risk of being censored then), as in scikit-survival's
    ``CensoringDistributionEstimator``; ``G`` is right-continuous.
    """
    uniq, d, c, at_risk, _, _ = _risk_table(time, event, weight)
    g = _survival_from_table(c, at_risk - d)
    return lambda at: _step(uniq, g, np.asarray(at, dtype=float), 1.0)
