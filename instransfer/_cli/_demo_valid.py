"""Section 5 of ``instransfer demo``: answers with guarantees on the target.

Target performance with an interval, estimated *without* target labels
(doubly robust, :func:`instransfer.metrics.target_performance`), beside the
actual value that the demo can compute from the hidden labels; and the
target coverage of plain vs weighted conformal prediction.
"""

import warnings

import numpy as np

ALPHA = 0.1


def _masked(y, is_target, task):
    if task == "classification":
        return np.where(is_target, -1, y)
    return np.where(is_target, np.nan, y.astype(float))


def valid_on_target(sh, model, weighter, seed, progress):
    """Section 5 of the demo as text (the caller prints it).

    Parameters
    ----------
    sh : Bunch
        The demo's cohort split (``make_age_shift``).
    model, weighter : estimators
        The demo's (unfitted) model and weighter.
    seed : int
        Seeds the half split, the estimates and the conformal split.
    progress : Progress
        Reports the step's duration.

    Returns
    -------
    lines : list of (str, bool)
        Text and whether it is a table line (not wrapped).
    """
    from sklearn.base import clone

    import instransfer as it

    from ..conformal import WeightedConformalClassifier, WeightedConformalRegressor
    from ..exceptions import UnboundedPredictionWarning
    from ..metrics import target_performance
    from ..metrics._target_performance import per_row_loss

    task, X, y = sh.task, sh.X, np.asarray(sh.y)
    is_t = sh.domain == 1
    rng = np.random.RandomState(seed)
    src = np.flatnonzero(~is_t)
    half = np.zeros(len(y), dtype=bool)
    half[rng.choice(src, size=len(src) // 2, replace=False)] = True
    if task == "classification":
        weighted_cls, cp_cls = (
            it.ImportanceWeightedClassifier,
            WeightedConformalClassifier,
        )
        metric, short = "log_loss", "log loss"
    else:
        weighted_cls, cp_cls = (
            it.ImportanceWeightedRegressor,
            WeightedConformalRegressor,
        )
        metric, short = "mean_squared_error", "MSE"

    def rows(mask):
        return X[mask].reset_index(drop=True), _masked(y[mask], is_t[mask], task)

    with progress.step("5. target performance without target labels, conformal"):
        X_fit, y_fit = rows(half | is_t)
        models = {
            "unweighted": clone(model).fit(X[half], y[half]),
            "weighted": weighted_cls(clone(model), clone(weighter)).fit(X_fit, y_fit),
        }
        X_eval, y_eval = rows(~half)  # the other source half and the target
        est = target_performance(
            models,
            X_eval,
            y_eval,
            scoring=metric,
            weighter=clone(weighter),
            baseline="unweighted",
            random_state=seed,
        )
        X_all, y_all = rows(np.ones(len(y), dtype=bool))
        conformal = {}
        for name, flatten in (("plain split conformal", 0.0), ("weighted", 1.0)):
            cp = cp_cls(
                clone(model), clone(weighter), flatten=flatten, random_state=seed
            ).fit(X_all, y_all)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UnboundedPredictionWarning)
                if task == "classification":
                    sets = cp.predict_set(X[is_t], ALPHA)
                    codes = np.searchsorted(cp.classes_, y[is_t])
                    covered = sets[np.arange(len(codes)), codes]
                    # the rule of Tibshirani et al.: the quantile is infinite
                    limit = ALPHA / (1 - ALPHA) * cp.calibration_weights_.sum()
                    unbounded = cp.test_weights(X[is_t]) > limit
                    size = f"mean set size {sets.sum(axis=1).mean():.2f}"
                else:
                    iv = cp.predict_interval(X[is_t], ALPHA)
                    covered = (y[is_t] >= iv[:, 0]) & (y[is_t] <= iv[:, 1])
                    unbounded = np.isinf(iv[:, 1])
                    width = iv[~unbounded, 1] - iv[~unbounded, 0]
                    size = f"median width {np.median(width):.3g}" if len(width) else ""
            conformal[name] = (covered.mean(), size, int(unbounded.sum()))

    out = [
        (
            f"5. Valid on the target. Target {short} estimated WITHOUT target "
            "labels: each model fit on half of the source rows; its loss on the "
            "target estimated from the other half, weighted by the ratio and "
            "augmented with a model of the loss (doubly robust), with 95 % "
            "influence-function intervals; 'actual' uses the hidden labels.",
            False,
        )
    ]
    width = max(len(m) for m in models)
    for name, fitted in models.items():
        r = est.loc[(name, metric)]
        actual = per_row_loss(metric, fitted, X[is_t], y[is_t]).mean()
        line = (
            f"   {name:<{width}}  {r['estimate']:.4g} [{r['ci_low']:.4g}, "
            f"{r['ci_high']:.4g}]   actual {actual:.4g}"
        )
        if name != "unweighted":
            line += (
                f"   diff {r['diff']:+.3g} [{r['diff_ci_low']:+.3g}, "
                f"{r['diff_ci_high']:+.3g}]"
            )
        out.append((line, True))
    kind = "sets" if task == "classification" else "intervals"
    out.append(
        (
            f"Conformal prediction {kind} at alpha = {ALPHA:g} (90 % nominal), "
            f"calibrated on 30 % of the labeled source rows; coverage measured on "
            f"the {int(is_t.sum())} target rows with their hidden labels:",
            False,
        )
    )
    width = max(len(m) for m in conformal)
    for name, (cov, size, n_inf) in conformal.items():
        what = "sets of all classes" if task == "classification" else "unbounded"
        extra = f", {n_inf} {what} (weight too large)" if n_inf else ""
        out.append((f"   {name:<{width}}  coverage {cov:.3f}, {size}{extra}", True))
    return out
