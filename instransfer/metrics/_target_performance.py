"""A fitted model's performance on the target population, with intervals.

Under covariate shift the target risk of a model ``f`` with loss ``l`` is
``R_t = E_target[l(f(X), Y)] = E_source[w(X) l(f(X), Y)]``, ``w = p_t / p_s``
(Shimodaira, 2000; Sugiyama, Krauledat & Müller, JMLR 2007, eq. 9). From
labeled source rows ``i`` and unlabeled target rows ``j``:

- importance-weighted (self-normalised, Hájek) estimate
  ``R_IW = sum_i w_i l_i / sum_i w_i``;
- doubly robust estimate, augmented with a *loss model*
  ``g(x) ~ E[l(f(X), Y) | X = x]`` fit on the source rows (cross-fitted):
  ``R_DR = mean_j g(x_j) + sum_i w_i (l_i - g(x_i)) / sum_i w_i``
  (Steingrimsson, Gatsonis, Li & Dahabreh, Am J Epidemiol 192, 2023, eq. 3;
  Morrison, Gatsonis, Dahabreh, Li & Steingrimsson, Stat Med 2022, for
  loss-based measures). It is consistent when *either* the weights or the
  loss model is right, and with ``g = 0`` it is ``R_IW`` exactly.

Intervals are Wald intervals from the influence functions of these
estimators (default), or percentile bootstrap intervals that resample the
source and the target rows separately (``interval="bootstrap"``). Influence
functions are the default because both estimators are smooth means of
per-row terms: the interval is closed-form, free of resampling noise, and a
paired difference of two models is the difference of their influence
functions on the same rows; the benchmark measured its coverage near nominal
(``benchmarks/results/conformal.md``). The ROC AUC is a pairwise statistic
and always gets the bootstrap. Neither interval counts the error of the
*estimated* weights: the weighter is fitted once (for
:class:`~instransfer.ClassifierWeighter` its weights are cross-fitted).
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_consistent_length, column_or_1d

from .._validation import _num_rows
from ..utils._compat import _safe_indexing
from ..utils._domain import resolve_rows
from ._evaluation import _bootstrap_counts, _CachedResponse, _fast_roc_auc
from ._weight_stats import _check_weights, effective_sample_size

__all__ = ["target_performance"]

# name -> (higher is better, needs)
_METRICS = {
    "log_loss": (False, "predict_proba"),
    "brier_score_loss": (False, "predict_proba"),
    "accuracy": (True, "predict"),
    "mean_squared_error": (False, "predict"),
    "mean_absolute_error": (False, "predict"),
    "roc_auc": (True, "auc"),
}
_DEFAULT_SCORING = {
    "classification": ("log_loss", "brier_score_loss", "accuracy"),
    "regression": ("mean_squared_error",),
}


def _label_columns(y, classes):
    """Column of each label in ``classes`` (-1 for a label the model never saw)."""
    lookup = {label: k for k, label in enumerate(np.asarray(classes).tolist())}
    return np.array([lookup.get(v, -1) for v in np.asarray(y).tolist()])


def per_row_loss(name, model, X, y):
    """Per-row terms of a metric whose mean is the metric (scikit-learn's form).

    Parameters
    ----------
    name : str
        One of ``log_loss``, ``brier_score_loss``, ``accuracy``,
        ``mean_squared_error``, ``mean_absolute_error``.
    model : fitted estimator
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)

    Returns
    -------
    terms : ndarray of shape (n_samples,)
    """
    if name in ("accuracy",):
        return (np.asarray(model.predict(X)) == np.asarray(y)).astype(float)
    if name in ("mean_squared_error", "mean_absolute_error"):
        resid = np.asarray(y, dtype=float) - np.asarray(model.predict(X), dtype=float)
        return resid**2 if name == "mean_squared_error" else np.abs(resid)
    proba = np.asarray(model.predict_proba(X))
    col = _label_columns(y, model.classes_)
    rows = np.arange(proba.shape[0])
    p_true = np.where(col >= 0, proba[rows, np.maximum(col, 0)], 0.0)
    if name == "log_loss":
        # scikit-learn's clipping at the precision of the probabilities
        dtype = proba.dtype if proba.dtype in (np.float32, np.float64) else np.float64
        eps = np.finfo(dtype).eps
        return -np.log(np.clip(p_true.astype(np.float64), eps, 1 - eps))
    onehot = np.zeros(proba.shape)
    onehot[rows[col >= 0], col[col >= 0]] = 1.0
    terms = ((onehot - proba) ** 2).sum(axis=1)
    if proba.shape[1] < 3:  # scikit-learn's binary Brier score: (y - p)**2
        terms *= 0.5
    return terms


def _cross_fitted_loss_model(loss_model, X_s, terms, X_t, cv, rng):
    """Out-of-fold ``g`` at the source rows, fold-averaged ``g`` at the target."""
    from sklearn.model_selection import KFold

    n = terms.shape[0]
    g_s = np.empty(n)
    g_t = np.zeros(_num_rows(X_t))
    folds = KFold(min(cv, n), shuffle=True, random_state=rng.randint(2**31))
    for train, test in folds.split(np.zeros((n, 1))):
        model = clone(loss_model).fit(_safe_indexing(X_s, train), terms[train])
        g_s[test] = model.predict(_safe_indexing(X_s, test))
        g_t += np.asarray(model.predict(X_t), dtype=float) / folds.get_n_splits()
    return g_s, g_t


def _default_loss_model():
    from sklearn.ensemble import HistGradientBoostingRegressor

    # handles missing values and category columns of cohort tables as they are
    return HistGradientBoostingRegressor(max_iter=100, random_state=0)


class _Terms:
    """Per-row pieces of one (model, metric) estimate, and its influence function."""

    def __init__(self, w, loss, g_s=None, g_t=None, plugin=False):
        self.w, self.loss, self.g_s, self.g_t = w, loss, g_s, g_t
        self.plugin = plugin

    def estimate(self, cs=None, ct=None):
        """Estimate on resampled rows (counts ``cs``/``ct``, matrices) or all."""
        w = self.w if cs is None else cs * self.w
        if self.plugin:
            return self._mean_t(ct)
        resid = self.loss if self.g_s is None else self.loss - self.g_s
        with np.errstate(invalid="ignore", divide="ignore"):
            est = (w @ resid) / w.sum(axis=-1)
        if self.g_s is None:
            return est
        return self._mean_t(ct) + est

    def _mean_t(self, ct):
        if ct is None:
            return self.g_t.mean()
        return (ct @ self.g_t) / ct.sum(axis=1)

    def influence(self):
        """Influence of each source row and each target row (each sums to 0)."""
        n_s = self.w.shape[0]
        if self.plugin:
            inf_s = np.zeros(n_s)
        else:
            resid = self.loss if self.g_s is None else self.loss - self.g_s
            omega = self.w / self.w.mean()
            inf_s = omega * (resid - np.sum(self.w * resid) / self.w.sum())
        if self.g_t is None:
            return inf_s, np.zeros(0)
        return inf_s, self.g_t - self.g_t.mean()


def _se(inf_s, inf_t):
    var = np.sum(inf_s**2) / inf_s.shape[0] ** 2
    if inf_t.shape[0]:
        var += np.sum(inf_t**2) / inf_t.shape[0] ** 2
    return float(np.sqrt(var))


def _from_boot(samples, lo_q, hi_q):
    """Percentile interval and standard error of bootstrap estimates."""
    ok = samples[np.isfinite(samples)]
    if ok.size < 2:
        return np.nan, np.nan, np.nan
    lo, hi = np.quantile(ok, [lo_q, hi_q])
    return lo, hi, ok.std(ddof=1)


def _paired_interval(diff, key, bkey, terms, boot, z, lo_q, hi_q):
    """Interval of a paired difference: bootstrap or influence functions."""
    if key in boot:
        dlo, dhi, _ = _from_boot(boot[key] - boot[bkey], lo_q, hi_q)
        return dlo, dhi
    a_s, a_t = terms[key][0].influence()
    b_s, b_t = terms[bkey][0].influence()
    dse = _se(a_s - b_s, a_t - b_t)
    return diff - z * dse, diff + z * dse


def _bootstrap_estimates(terms, models, X_s, y_s, w, n_t, interval, n_resamples, rng):
    """Bootstrap estimates per (model, metric).

    Source and target rows are resampled independently: the two samples are.
    """
    cs = np.concatenate(list(_bootstrap_counts(rng, w.shape[0], n_resamples)))
    ct = np.concatenate(list(_bootstrap_counts(rng, n_t, n_resamples)))
    boot = {}
    for key, t in terms.items():
        if t is None:
            model = _CachedResponse(models[key[0]], X_s)
            with np.errstate(invalid="ignore", divide="ignore"):
                boot[key] = _fast_roc_auc(y_s, model, cs * w)
        elif interval == "bootstrap":
            boot[key] = t[0].estimate(cs, ct)
    return boot


def _check_arguments(
    models, method, interval, confidence_level, n_resamples, cv, scoring
):
    """Validate the options of :func:`target_performance`; the task and scorings."""
    if method not in ("dr", "iw", "plugin"):
        raise ValueError(f"method must be 'dr', 'iw' or 'plugin'; got {method!r}.")
    if interval not in ("influence", "bootstrap"):
        raise ValueError(
            f"interval must be 'influence' or 'bootstrap'; got {interval!r}."
        )
    if (
        isinstance(confidence_level, bool)
        or not isinstance(confidence_level, Real)
        or not (0 < confidence_level < 1)
    ):
        raise ValueError(
            f"confidence_level must be in (0, 1); got {confidence_level!r}."
        )
    if not isinstance(n_resamples, Integral) or n_resamples < 0:
        raise ValueError(
            f"n_resamples must be a non-negative integer; got {n_resamples!r}."
        )
    if not isinstance(cv, Integral) or cv < 2:
        raise ValueError(f"cv must be an integer >= 2; got {cv!r}.")
    first = next(iter(models.values()))
    task = "classification" if is_classifier(first) else "regression"
    if scoring is None:
        scoring = _DEFAULT_SCORING[task]
    elif isinstance(scoring, str):
        scoring = (scoring,)
    unknown = [s for s in scoring if s not in _METRICS]
    if unknown or not scoring:
        raise ValueError(
            f"Unknown scoring {unknown or scoring!r}; use any of {sorted(_METRICS)}."
        )

    return task, scoring


def _source_weights(weights, weighter, X, y, is_target, source_rows, rng):
    """Importance weights of the labeled source rows: given, or fitted."""
    from .._importance_weighted import default_weighter

    if weights is not None:
        w_all = _check_weights(weights, "weights")
        check_consistent_length(y, w_all)
        w = w_all[source_rows]
        if w.sum() <= 0:
            raise ValueError("weights are all zero on the labeled source rows.")
    else:
        wtr = clone(weighter) if weighter is not None else default_weighter(rng)
        wtr.fit(X, is_target.astype(int))
        source_w = np.zeros(is_target.shape[0])
        source_w[~is_target] = wtr.weights_
        w = source_w[source_rows]
    return w


def target_performance(
    estimator,
    X,
    y,
    *,
    domain=None,
    scoring=None,
    method="dr",
    weighter=None,
    weights=None,
    loss_model=None,
    cv=5,
    interval="influence",
    baseline=None,
    n_resamples=1000,
    confidence_level=0.95,
    random_state=None,
):
    """Estimate fitted models' performance on the target population, with intervals.

    Give held-out rows in the data convention: labeled *source* rows the
    models were not fit on, and (unlabeled) *target* rows. The weighter is fit
    on them; each metric is estimated on the target by importance weighting
    (``method="iw"``) or doubly robustly (``method="dr"``, the default), see
    the module description for the formulas.

    Parameters
    ----------
    estimator : fitted estimator or dict of str to fitted estimator
        Model(s) to assess; a dict assesses all on the same rows and weights.
    X : array-like or DataFrame of shape (n_samples, n_features)
        Held-out source rows and target rows, stacked.
    y : array-like of shape (n_samples,)
        Labels of the source rows; unlabeled rows (``-1``/``None``/``NaN`` for
        classes, ``NaN`` for regression) are the target rows when ``domain``
        is not given. Target labels, if any, are not used (score labeled
        target rows directly with :func:`evaluate`).
    domain : array-like of shape (n_samples,), default=None
        0 for source rows, 1 for target rows.
    scoring : str or list of str, default=None
        Any of ``"log_loss"``, ``"brier_score_loss"``, ``"accuracy"``,
        ``"roc_auc"`` (binary; importance-weighted only, bootstrap interval),
        ``"mean_squared_error"``, ``"mean_absolute_error"``. ``None``: log
        loss, Brier score and accuracy for classifiers, MSE for regressors.
    method : {"dr", "iw", "plugin"}, default="dr"
        Doubly robust, importance-weighted (self-normalised), or the loss
        model's mean over the target rows alone (``"plugin"``, for
        comparison: biased when the loss model is).
    weighter : weighter, default=None
        Estimates the ratio from ``X``; ``None`` means
        ``ClassifierWeighter(random_state=random_state)``. Its ``weights_``
        for the source rows are used (cross-fitted for the classifier
        weighter).
    weights : array-like of shape (n_samples,), default=None
        The density ratio at every row of ``X`` if known (e.g. an oracle);
        only the labeled source rows' values are used, and no weighter is fit.
    loss_model : regressor, default=None
        Model of the per-row loss given ``X`` for ``"dr"`` and ``"plugin"``,
        cross-fitted over ``cv`` folds of the source rows; ``None`` means
        :class:`~sklearn.ensemble.HistGradientBoostingRegressor`. A model
        that predicts 0 gives the importance-weighted estimate exactly.
    cv : int, default=5
        Folds for cross-fitting the loss model.
    interval : {"influence", "bootstrap"}, default="influence"
        Wald intervals from the influence functions, or percentile bootstrap
        intervals resampling source and target rows separately.
    baseline : str, default=None
        With a dict of models, the one the others are compared with: paired
        differences ``model - baseline`` and their intervals.
    n_resamples : int, default=1000
        Bootstrap resamples (``interval="bootstrap"`` and ROC AUC).
    confidence_level : float in (0, 1), default=0.95
        Coverage of the intervals.
    random_state : int, RandomState instance or None, default=None
        Seeds the weighter, the folds and the bootstrap.

    Returns
    -------
    result : pandas.DataFrame
        Indexed by metric (or ``(model, metric)`` for a dict), with columns
        ``estimate``, ``ci_low``, ``ci_high``, ``std_error``, ``method``,
        ``iw_estimate`` (the importance-weighted estimate beside the doubly
        robust one), ``n_source``, ``n_target``, ``ess`` (Kish's effective
        sample size of the source weights); with ``baseline`` also ``diff``,
        ``diff_ci_low``, ``diff_ci_high``. Losses are reported as losses
        (lower is better), accuracy and AUC as scores.

    See Also
    --------
    evaluate : Scores on labeled rows with bootstrap intervals.
    instransfer.model_selection.make_iw_scorer : Importance-weighted scorer
        for cross-validation.

    References
    ----------
    .. [1] J. A. Steingrimsson, C. Gatsonis, B. Li and I. J. Dahabreh,
       "Transporting a prediction model for use in a new target population",
       Am J Epidemiol 192(2), 2023.
    .. [2] S. Morrison, C. Gatsonis, I. J. Dahabreh, B. Li and J. A.
       Steingrimsson, "Robust estimation of loss-based measures of model
       performance under covariate shift", Stat Med 41, 2022 (arXiv
       2210.01980).
    .. [3] M. Sugiyama, M. Krauledat and K.-R. Müller, "Covariate shift
       adaptation by importance weighted cross validation", JMLR 8, 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> import instransfer as it
    >>> from instransfer.metrics import target_performance
    >>> train = it.datasets.make_covariate_shift(random_state=0)
    >>> model = LogisticRegression().fit(train.X[train.domain == 0],
    ...                                  train.y[train.domain == 0])
    >>> held_out = it.datasets.make_covariate_shift(random_state=1)
    >>> y_masked = np.where(held_out.domain == 1, -1, held_out.y)
    >>> res = target_performance(model, held_out.X, y_masked,
    ...                          weights=held_out.true_ratio, random_state=0)
    >>> res.columns.tolist()[:4]
    ['estimate', 'ci_low', 'ci_high', 'std_error']
    """
    import pandas as pd
    from scipy.stats import norm

    models = estimator if isinstance(estimator, dict) else {None: estimator}
    if not models:
        raise ValueError("estimator is an empty dict; give at least one model.")
    if baseline is not None and baseline not in models:
        raise ValueError(
            f"baseline={baseline!r} is not one of the models {list(models)}."
        )
    task, scoring = _check_arguments(
        models, method, interval, confidence_level, n_resamples, cv, scoring
    )
    from ..utils._domain import as_indexable, labels_array

    X = as_indexable(X)
    y = column_or_1d(y)
    if task == "regression" and y.dtype.kind not in "fc":
        y = y.astype(float)
    n = _num_rows(X)
    check_consistent_length(X, y)
    is_target, fit_rows = resolve_rows(y, domain, task, n)
    source_rows = fit_rows  # labeled source rows
    if not is_target.any():
        raise ValueError(
            "No target rows: mark them unlabeled in y (-1/None/NaN for classes, "
            "NaN for regression) or pass domain= (0 source, 1 target)."
        )
    rng = check_random_state(random_state)
    w = _source_weights(weights, weighter, X, y, is_target, source_rows, rng)
    w = w / w.mean()
    X_s, X_t = _safe_indexing(X, source_rows), _safe_indexing(X, is_target)
    y_s = labels_array(y[source_rows])
    n_s, n_t = int(source_rows.sum()), int(is_target.sum())
    if method != "iw":
        lm = _default_loss_model() if loss_model is None else loss_model
    z = norm.ppf(0.5 + confidence_level / 2)

    terms = {}
    for name, model in models.items():
        for metric in scoring:
            if metric == "roc_auc":
                terms[name, metric] = None
                continue
            loss = per_row_loss(metric, model, X_s, y_s)
            iw = _Terms(w, loss)
            if method == "iw":
                terms[name, metric] = (iw, iw)
                continue
            g_s, g_t = _cross_fitted_loss_model(lm, X_s, loss, X_t, cv, rng)
            terms[name, metric] = (
                _Terms(w, loss, g_s, g_t, plugin=method == "plugin"),
                iw,
            )

    # bootstrap resamples: counts of source rows and of target rows, drawn
    # independently (the two samples are independent)
    boot = {}
    if n_resamples > 0 and (interval == "bootstrap" or "roc_auc" in scoring):
        boot = _bootstrap_estimates(
            terms, models, X_s, y_s, w, n_t, interval, n_resamples, rng
        )
    lo_q, hi_q = (1 - confidence_level) / 2, 1 - (1 - confidence_level) / 2

    def point(key):
        t = terms[key]
        if t is None:
            model = _CachedResponse(models[key[0]], X_s)
            auc = _fast_roc_auc(y_s, model, w[None, :])
            return float(auc[0]), float(auc[0])
        return float(t[0].estimate()), float(t[1].estimate())

    records, index = [], []
    ess = effective_sample_size(w)
    for name in models:
        for metric in scoring:
            key = (name, metric)
            est, iw_est = point(key)
            if key in boot:
                lo, hi, se = _from_boot(boot[key], lo_q, hi_q)
            else:
                se = _se(*terms[key][0].influence())
                lo, hi = est - z * se, est + z * se
            rec = {
                "estimate": est,
                "ci_low": lo,
                "ci_high": hi,
                "std_error": se,
                "method": "iw" if terms[key] is None else method,
                "iw_estimate": iw_est,
                "n_source": n_s,
                "n_target": n_t,
                "ess": ess,
            }
            if baseline is not None:
                bkey = (baseline, metric)
                diff = est - point(bkey)[0]
                dlo, dhi = _paired_interval(diff, key, bkey, terms, boot, z, lo_q, hi_q)
                rec.update(diff=diff, diff_ci_low=dlo, diff_ci_high=dhi)
            records.append(rec)
            index.append(metric if name is None else (name, metric))
    if isinstance(estimator, dict):
        index = pd.MultiIndex.from_tuples(index, names=["model", "metric"])
    else:
        index = pd.Index(index, name="metric")
    result = pd.DataFrame(records, index=index)
    result.attrs.update(
        method=method,
        interval=interval,
        confidence_level=float(confidence_level),
        n_resamples=int(n_resamples),
    )
    return result
