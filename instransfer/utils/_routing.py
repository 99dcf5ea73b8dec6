"""Routing ``sample_weight`` to the estimator a meta-estimator wraps.

A weighted estimator hands importance weights to ``estimator.fit``. When that
estimator is a :class:`~sklearn.pipeline.Pipeline`, the weights belong to its
final step, which scikit-learn reaches in one of two ways: with metadata
routing off, the ``<step>__sample_weight`` fit parameter; with routing on,
``set_fit_request(sample_weight=True)`` on the final step and a plain
``sample_weight=``. :func:`fit_weighted` does whichever applies, so every
family (weighted estimators, IWCV, boosting, the CLI) routes the same way.
"""

from inspect import Parameter, signature

from sklearn import get_config
from sklearn.pipeline import Pipeline

from .. import _hgb
from ._compat import safe_tags

__all__ = ["accepts_sample_weight", "check_weightable", "final_step", "fit_weighted"]


def final_step(estimator):
    """Names of the nested Pipeline steps down to the final estimator, and it."""
    path = []
    while isinstance(estimator, Pipeline):
        name, estimator = estimator.steps[-1]
        path.append(name)
    return path, estimator


def accepts_sample_weight(estimator):
    """Whether ``estimator.fit`` takes ``sample_weight`` (or ``**kwargs``)."""
    try:
        params = signature(estimator.fit).parameters
    except (AttributeError, TypeError, ValueError):
        return False
    return "sample_weight" in params or any(
        p.kind is Parameter.VAR_KEYWORD for p in params.values()
    )


_WEIGHTABLE_EXAMPLES = {
    "classifier": "LogisticRegression, HistGradientBoostingClassifier or "
    "xgboost's XGBClassifier",
    "regressor": "Ridge, HistGradientBoostingRegressor or xgboost's XGBRegressor",
}


def check_weightable(estimator, owner):
    """Pipeline path to the final step and that step; raise if it cannot weigh.

    Parameters
    ----------
    estimator : estimator or Pipeline
        What ``owner`` will fit with weights.
    owner : str
        The meta-estimator's class name, for the message.

    Returns
    -------
    path : list of str
        Names of the nested Pipeline steps down to the final estimator.
    final : estimator
        The final estimator, whose ``fit`` takes ``sample_weight``.
    """
    path, final = final_step(estimator)
    if final is None or final == "passthrough" or not accepts_sample_weight(final):
        where = f" (the final step of the pipeline, {'__'.join(path)})" if path else ""
        tags = safe_tags(final) if final not in (None, "passthrough") else None
        kind = getattr(tags, "estimator_type", None)
        if kind not in _WEIGHTABLE_EXAMPLES:  # unknown: name what the owner needs
            kind = "regressor" if "Regressor" in owner else "classifier"
        raise TypeError(
            f"{owner} needs an estimator whose fit accepts sample_weight; "
            f"{type(final).__name__}{where} does not, so it cannot be weighted. "
            f"Use a {kind} whose fit takes sample_weight, e.g. "
            f"{_WEIGHTABLE_EXAMPLES[kind]}."
        )
    return path, final


def fit_weighted(estimator, X, y, sample_weight, path=None, final=None, **fit_params):
    """Fit ``estimator`` with ``sample_weight`` routed to its final step.

    Parameters
    ----------
    estimator : estimator or Pipeline
        A clone owned by the caller: with metadata routing on, the fit
        requests of its steps are set.
    X, y : array-like
        Training rows and labels.
    sample_weight : ndarray of shape (n_samples,) or None
        Weights for the final step.
    path, final : list of str and estimator, default=None
        What :func:`check_weightable` returned; worked out when omitted.
    **fit_params : dict
        Further parameters of ``estimator.fit`` (``eval_set``, ...), passed
        as given: with routing off, a pipeline's take the ``<step>__`` prefix;
        with routing on, they are the ones already routed to ``estimator``.

    Returns
    -------
    estimator : estimator
        The fitted ``estimator``.
    """
    if path is None:
        path, final = final_step(estimator)
    if not path:
        if fit_params:  # eval_set & co. name rows the binned path would not map
            return estimator.fit(X, y, sample_weight=sample_weight, **fit_params)
        # HistGradientBoosting: unweighted bin placement, fast (_hgb.py)
        return _hgb.fit_weighted(estimator, X, y, sample_weight)
    if get_config().get("enable_metadata_routing", False):
        # Routing on: the pipeline routes sample_weight by request. On our own
        # clone, the steps before the final one (and what they contain)
        # decline, the final one asks; estimators inside the final step keep
        # their own requests (e.g. a calibrated classifier's inner model); the
        # user's estimator is untouched.
        node = estimator
        for _ in path:  # one Pipeline per level, down to the final step
            for _, step in node.steps[:-1]:
                if not hasattr(step, "get_params"):
                    continue  # "passthrough" or None
                for sub in [step, *step.get_params(deep=True).values()]:
                    if accepts_sample_weight(sub) and hasattr(sub, "set_fit_request"):
                        sub.set_fit_request(sample_weight=False)
            node = node.steps[-1][1]
        if hasattr(final, "set_fit_request"):
            final.set_fit_request(sample_weight=True)
        return estimator.fit(X, y, sample_weight=sample_weight, **fit_params)
    fit_params["__".join(path) + "__sample_weight"] = sample_weight
    return estimator.fit(X, y, **fit_params)
