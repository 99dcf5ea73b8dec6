"""Importance-weighted scorers (IWCV, Sugiyama, Krauledat & Müller, JMLR 2007).

Under covariate shift the held-out *source* loss is a biased estimate of the
target loss; weighting each held-out labeled source row by the density ratio
``p_t(x) / p_s(x)`` makes it unbiased (Sugiyama et al. 2007, Theorem 1). The
weights must be the **full** ratio whatever ``flatten`` a candidate model uses:
the candidates are compared on one estimate of one quantity, the target loss,
so ``flatten=0`` (no weighting) can win when weighting does not pay.
"""

from copy import copy
from inspect import signature

import numpy as np
from sklearn.utils.validation import column_or_1d

from .._importance_weighted import warn_labeled_target as _warn_labeled_target
from .._validation import _num_rows, check_same_rows, check_sample_weight
from ..utils._compat import (
    _BaseScorer,
    _MetadataRequester,
    _routing_enabled,
    _safe_indexing,
)
from ..utils._domain import check_domain, unlabeled_mask
from ..utils._domain import labels_array as _labels_array


def _locate_weighted(estimator, X):
    """The fitted importance-weighted step of ``estimator`` and X as it sees it."""
    from sklearn.pipeline import Pipeline

    while True:
        if hasattr(estimator, "weighter_") and hasattr(estimator, "_task"):
            return estimator, X
        if isinstance(estimator, Pipeline):
            if len(estimator) > 1:
                X = estimator[:-1].transform(X)
            estimator = estimator[-1]
        elif hasattr(estimator, "best_estimator_"):
            estimator = estimator.best_estimator_
        else:
            raise TypeError(
                "An importance-weighted scorer needs a fitted ImportanceWeighted* "
                "estimator (alone or as the last step of a Pipeline) to weight the "
                f"held-out rows; got {type(estimator).__name__}."
            )


def _with_full_labels(scorer, classes):
    """``scorer`` with ``labels=classes`` when its metric scores probabilities.

    A held-out fold may lack a class that the model knows (a rare class, or a
    few positives spread over many folds); ``log_loss`` and its kin then infer
    the classes from ``y_true`` and fail, or mis-assign the probability
    columns. The fitted model's ``classes_`` are the columns of its
    ``predict_proba``, so they are the right labels, as
    ``LogisticRegressionCV`` passes them. Metrics of label predictions are left
    alone: there ``labels`` selects the classes averaged over.
    """
    if classes is None or not isinstance(scorer, _BaseScorer):
        return scorer
    if "labels" in scorer._kwargs:
        return scorer
    methods = scorer._response_method
    methods = (methods,) if isinstance(methods, str) else tuple(methods)
    if "predict" in methods:
        return scorer
    try:
        params = signature(scorer._score_func).parameters
    except (TypeError, ValueError):
        return scorer
    if "labels" not in params:
        return scorer
    out = copy(scorer)
    out._kwargs = {**scorer._kwargs, "labels": np.asarray(classes)}
    return out


def _no_target_message(weighted, y, domain):
    """Why a model fit without target rows cannot be scored, and the remedy.

    Its fit got no domain (a domain of zeros only is refused), so its training
    y had no unlabeled rows. If the held-out y has none either and no domain
    reached the scorer, the whole y of the search has none: no splitter can
    help, unlike a fold that only happened to miss the target rows.
    """
    marker = "-1 or None/NaN" if weighted._task == "classification" else "NaN"
    if domain is not None and np.any(np.asarray(domain) == 1):
        return (
            "This model was fit without target rows: domain reached the scorer "
            "but not the fit, and its y has no unlabeled rows. Request it for fit "
            "with set_fit_request(domain=True) on the importance-weighted "
            "estimator (with sklearn.set_config(enable_metadata_routing=True))."
        )
    if domain is None and not unlabeled_mask(y, weighted._task).any():
        return (
            f"This model was fit without target rows: y has no unlabeled rows "
            f"({marker}) and no domain was given, so no row of the stacked X is a "
            "target row and there are no importance weights to score with (the "
            "cv splitter is not the cause). Mask the target rows' labels in y "
            f"({marker}), or pass domain= (0 source, 1 target): with "
            "sklearn.set_config(enable_metadata_routing=True), call "
            "set_fit_request(domain=True) on the importance-weighted estimator "
            "and GridSearchCV(...).fit(X, y, domain=domain)."
        )
    return (
        "This model was fit without target rows (its training fold had none), so "
        "it has no importance weights to score with. Use "
        "instransfer.model_selection.DomainStratifiedKFold as cv so that every "
        "training fold keeps target rows."
    )


class _IWScorer(_MetadataRequester):
    """Scorer that weights labeled source rows by the fitted weighter's ratio.

    A metadata-routing consumer of its ``score``: ``domain`` is requested by
    default (a routed domain marks the held-out target rows, which are never
    scored), ``sample_weight`` must be requested with
    ``set_score_request(sample_weight=True)``, as scikit-learn's scorers ask.
    """

    def __init__(self, scorer, name):
        self._scorer = scorer
        self._name = name

    def __call__(self, estimator, X, y_true, sample_weight=None, **kwargs):
        weighted, X_seen = _locate_weighted(estimator, X)
        y = column_or_1d(y_true)
        n = _num_rows(X)
        check_same_rows(n, y=y, sample_weight=sample_weight)
        if sample_weight is not None:
            sample_weight = check_sample_weight(sample_weight, n)
        if weighted.weighter_ is None:
            raise ValueError(_no_target_message(weighted, y, kwargs.get("domain")))
        rows = ~unlabeled_mask(y, weighted._task)
        domain = kwargs.pop("domain", None)
        if domain is not None:  # routed to the scorer: labeled target rows out
            # a held-out fold may hold source rows only (or a single target row)
            rows &= ~check_domain(domain, y.shape[0], min_source=1, min_target=0)
        else:
            _warn_labeled_target(
                weighted, "the importance-weighted scorer", stacklevel=2
            )
        if not rows.any():
            raise ValueError(
                "No labeled rows in this held-out fold: an importance-weighted "
                "score is computed on labeled source rows. Use "
                "instransfer.model_selection.DomainStratifiedKFold."
            )
        idx = np.flatnonzero(rows)
        ratio = weighted.weighter_.predict_ratio(_safe_indexing(X_seen, idx))
        if sample_weight is not None:
            ratio = ratio * sample_weight[idx]
        classes = getattr(weighted, "classes_", None)
        scorer = _with_full_labels(self._scorer, classes)
        # object labels (ints with None for unlabeled rows) as the model saw them
        y_fold = _labels_array(y[idx])
        return scorer(
            estimator, _safe_indexing(X, idx), y_fold, sample_weight=ratio, **kwargs
        )

    def __repr__(self):
        return f"make_iw_scorer({self._name})"

    def _routing_repr(self):
        # how scikit-learn's routing errors name this consumer
        return repr(self)

    def _accept_sample_weight(self):
        # scikit-learn's check without routing (e.g. in a multi-metric dict)
        return True

    def set_score_request(self, **kwargs):
        """Request metadata for the scorer (with metadata routing enabled).

        ``domain`` is requested by default; ``sample_weight`` is not.

        Parameters
        ----------
        **kwargs : dict
            ``param=alias`` with alias ``True``, ``False``, ``None`` or a
            string, e.g. ``set_score_request(sample_weight=True)``.

        Returns
        -------
        self : object
            The scorer, updated.
        """
        from sklearn.utils.metadata_routing import UNCHANGED

        if not _routing_enabled():
            raise RuntimeError(
                "This method is only available when metadata routing is enabled. "
                "You can enable it using "
                "sklearn.set_config(enable_metadata_routing=True)."
            )
        request = self._get_metadata_request()
        for param, alias in kwargs.items():
            if alias is not UNCHANGED:
                request.score.add_request(param=param, alias=alias)
        self._metadata_request = request
        return self

    def _get_metadata_request(self):
        from sklearn.utils.metadata_routing import (
            MetadataRequest,
            get_routing_for_object,
        )

        if hasattr(self, "_metadata_request"):
            return get_routing_for_object(self._metadata_request)
        request = MetadataRequest(owner=self)
        # domain only removes rows, it cannot be misused: requested by default,
        # as scikit-learn's group splitters request groups
        request.score.add_request(param="domain", alias=True)
        request.score.add_request(param="sample_weight", alias=None)
        return request


def make_iw_scorer(scoring, **kwargs):
    """Importance-weighted version of any scikit-learn scorer or metric.

    The returned scorer ignores unlabeled rows (``-1``/``None`` for classes,
    ``NaN`` for regression), and weights each held-out labeled source row by the
    **full** importance weight (``flatten=1``, unclipped) of the weighter
    fitted inside the candidate model, so that candidates with different
    ``flatten`` are compared on an estimate of the same target risk (IWCV,
    Sugiyama, Krauledat & Müller, JMLR 8, 2007, eq. 9).

    Which rows are source rows: those with a label, unless ``domain`` reaches
    the scorer. With metadata routing on
    (``sklearn.set_config(enable_metadata_routing=True)``) the scorer requests
    ``domain`` by default, so
    ``GridSearchCV(model.set_fit_request(domain=True), ...).fit(X, y, domain=d)``
    hands it to the model's ``fit``, to this scorer and to
    :class:`DomainStratifiedKFold`; ``sample_weight`` reaches the scorer after
    ``set_score_request(sample_weight=True)``. Without routing, ``domain``
    goes to the model's ``fit`` only, so labeled target rows in ``y`` would
    be scored as source rows: mask their labels (``-1``/``NaN``).

    Probability metrics that take ``labels`` (``log_loss``,
    ``brier_score_loss``, ...) get the model's ``classes_``, so a held-out
    fold that lacks a rare class is still scored.

    Parameters
    ----------
    scoring : str, scorer or callable
        A scorer name (``"roc_auc"``, ``"neg_log_loss"``, ...), a scorer built
        by :func:`~sklearn.metrics.make_scorer`, or a metric function
        ``metric(y_true, y_pred, sample_weight=...)``, which is wrapped with
        ``make_scorer(metric, **kwargs)``.
    **kwargs
        Passed to :func:`~sklearn.metrics.make_scorer` when ``scoring`` is a
        metric function (e.g. ``response_method="predict_proba"``,
        ``greater_is_better=False``).

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)``, usable as ``scoring=`` in
        :class:`~sklearn.model_selection.GridSearchCV`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GridSearchCV
    >>> import instransfer as it
    >>> from instransfer.model_selection import make_iw_scorer, DomainStratifiedKFold
    >>> data = it.datasets.make_covariate_shift(random_state=0)
    >>> y = np.where(data.domain == 1, -1, data.y)
    >>> search = GridSearchCV(
    ...     it.ImportanceWeightedClassifier(weighter=it.ClassifierWeighter(cv=None)),
    ...     {"flatten": [0, 0.5, 1]},
    ...     scoring=make_iw_scorer("neg_log_loss"),
    ...     cv=DomainStratifiedKFold(3, random_state=0),
    ... ).fit(data.X, y)
    >>> search.best_params_["flatten"] in (0, 0.5, 1)
    True
    """
    from sklearn.metrics import get_scorer, make_scorer

    if isinstance(scoring, str):
        if kwargs:
            raise TypeError("Keyword arguments only apply when scoring is a metric.")
        return _IWScorer(get_scorer(scoring), repr(scoring))
    if isinstance(scoring, _BaseScorer):
        return _IWScorer(scoring, repr(scoring))
    if callable(scoring):
        name = getattr(scoring, "__name__", repr(scoring))
        return _IWScorer(make_scorer(scoring, **kwargs), name)
    raise TypeError(
        f"scoring must be a scorer name, a scorer or a metric function; got "
        f"{scoring!r}."
    )
