"""Importance-weighted estimators: any estimator fit on reweighted source rows.

:class:`ImportanceWeightedClassifier` and :class:`ImportanceWeightedRegressor`
fit a weighter on all rows of the stacked ``X`` and any estimator that takes
``sample_weight`` on the labeled source rows, weighted by ``w ** flatten``
(Shimodaira 2000). :func:`importance_weights` is the functional form for two
tables.

Layering: this module sits above the weighter contract (:mod:`instransfer.base`)
and the weighters (:mod:`instransfer.density_ratio`, for the default
:class:`~instransfer.ClassifierWeighter`); the CV versions in
:mod:`instransfer.model_selection` subclass these.
"""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.validation import (
    check_is_fitted,
)

from ._validation import _num_rows
from ._weights import POSTPROCESS_CONSTRAINTS, WeightTransform
from .density_ratio._classifier import ClassifierWeighter
from .utils._compat import (
    HasMethods,
    _fit_context,
    _num_samples,
    _routing_enabled,
    _safe_indexing,
    safe_tags,
)
from .utils._docstrings import fill_doc
from .utils._domain import (
    stack_domains,
)
from .utils._meta import BaseDomainMetaEstimator
from .utils._routing import check_weightable, fit_weighted
from .utils._scoring import target_score, warn_labeled_target  # noqa: F401

__all__ = [
    "ImportanceWeightedClassifier",
    "ImportanceWeightedRegressor",
    "importance_weights",
]


def default_weighter(random_state):
    """The weighter used when ``weighter=None``: a seeded ClassifierWeighter."""
    return ClassifierWeighter(random_state=random_state)


class BaseWeightedMetaEstimator(BaseDomainMetaEstimator):
    """A domain-aware meta-estimator that also fits a weighter.

    Adds to :class:`~instransfer.utils._meta.BaseDomainMetaEstimator` the
    weighter (the user's ``weighter``, cloned, or the default seeded with
    ``random_state``) fit on all stacked rows, and the score rule with its
    full estimated ratio. The importance-weighted and IWCV estimators, the
    weighted conformal estimators and the target-calibrated classifier
    subclass it.
    """

    def _get_weighter(self):
        """The user's weighter, or the default seeded with ``random_state``."""
        if self.weighter is not None:
            return self.weighter
        return default_weighter(self.random_state)

    def _fit_weighter(self, X, is_target):
        """Fit the weighter on the stacked rows; None without target rows.

        The default weighter is built here, seeded with ``random_state`` (a
        RandomState instance is shared, not copied, as in scikit-learn); the
        user's weighter is cloned and keeps its own ``random_state``.
        """
        if not is_target.any():  # warned by resolve_rows: no shift assumed
            return None
        weighter = self._get_weighter()
        if self.weighter is not None:
            weighter = clone(weighter)
        return weighter.fit(X, is_target.astype(int))

    def _full_ratio(self, X):
        """Estimated ratio at ``X``: flatten=1, no clip; ones without a weighter."""
        # IWCV weighs every candidate by the full ratio (flatten=1, no clip)
        # so that all estimate one quantity, the target risk
        if self.weighter_ is None:  # fit without target rows: no shift assumed
            return np.ones(_num_samples(X))
        return self.weighter_.predict_ratio(X)

    def _target_score(self, X, y, domain, sample_weight, metric):
        """The score rule (:func:`~instransfer.utils._scoring.target_score`)."""
        check_is_fitted(self)
        return target_score(
            self,
            X,
            y,
            domain=domain,
            sample_weight=sample_weight,
            metric=metric,
            ratio=self._full_ratio,
        )


@fill_doc
class _BaseImportanceWeighted(BaseWeightedMetaEstimator):
    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"]), None],
        "weighter": [HasMethods(["fit", "predict_ratio"]), None],
        **POSTPROCESS_CONSTRAINTS,
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        weighter=None,
        *,
        flatten=1.0,
        clip=None,
        clip_quantile=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.weighter = weighter
        self.flatten = flatten
        self.clip = clip
        self.clip_quantile = clip_quantile
        self.random_state = random_state

    @_fit_context(
        # the inner estimator and weighter are validated by their own fit
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, *, domain=None, sample_weight=None, **fit_params):
        """Fit the weighter on all rows and the estimator on labeled source rows.

        Parameters
        ----------
        %(fit_X)s
        %(fit_y)s
        %(fit_domain)s
        %(fit_sample_weight)s
        **fit_params : dict
            Further parameters of ``estimator.fit``, e.g. xgboost's
            ``eval_set`` and ``sample_weight_eval_set`` for early stopping.
            With metadata routing off they are passed as given (a pipeline's
            as ``<step>__<param>``); with it on, each reaches the estimator
            that requested it (``set_fit_request(eval_set=True)``). An eval
            set drawn from the source is weighted like the fit rows by
            passing ``sample_weight_eval_set=[model.importance_weights(X_val)]``
            from a first fit (see the user guide, "Fit parameters").

        Returns
        -------
        self : object
            Fitted estimator.
        """
        estimator = clone(self._get_estimator())
        path, final = check_weightable(estimator, type(self).__name__)
        fit_params = self._route_fit_params(fit_params)
        rows = self._resolve(X, y, domain, sample_weight)
        self._fit_rows(rows, estimator, path, final, fit_params)
        return self

    def _route_fit_params(self, fit_params):
        """The extra fit parameters meant for ``estimator`` (scikit-learn's SLEP006)."""
        if not _routing_enabled():
            return fit_params
        # domain and sample_weight are consumed here (the estimator gets the
        # product of the importance and user weights), so only the extras are
        # routed; an extra nobody requested raises scikit-learn's own error
        routed = process_routing(self, "fit", **fit_params)
        return dict(routed.estimator.fit)

    def get_metadata_routing(self):
        """Metadata routing of this estimator: ``fit`` extras to ``estimator``.

        ``domain`` and ``sample_weight`` are consumed by this estimator; any
        other fit parameter is routed to ``estimator.fit`` when the estimator
        requested it (``set_fit_request``).

        Returns
        -------
        routing : MetadataRouter
        """
        router = MetadataRouter(owner=self.__class__.__name__).add_self_request(self)
        return router.add(
            estimator=self._get_estimator(),
            method_mapping=MethodMapping().add(caller="fit", callee="fit"),
        )

    def _fit_rows(self, rows, estimator, path, final, fit_params=None):
        """Fit the weighter on all rows, then ``estimator`` on the fit rows."""
        # Labeled target rows (possible only with domain): an IW scorer given
        # no domain cannot tell them from source rows, and warns (_scorer.py).
        self._n_labeled_target = rows.n_labeled_target
        is_target, fit_rows = rows.is_target, rows.fit_rows
        source_w = np.ones(is_target.shape[0])
        # no target rows (warned): no weighter, the plain estimator
        self.weighter_ = self._fit_weighter(rows.X, is_target)
        if self.weighter_ is not None:
            # weights_ of the weighter are ordered as the source rows of X
            source_w[~is_target] = self.weighter_.weights_
        self._transform = WeightTransform(self.flatten, self.clip, self.clip_quantile)
        fit_weight = self._transform.fit_transform(source_w[fit_rows])
        # weights_ is recomputed from the weighter's (a property), not stored:
        # a pickle then carries the source weights once (issue #23: twice was
        # 4.8 MB of a 4.6 MiB model file); transform is deterministic, so the
        # values are those the estimator was fit with, bit for bit
        fitted_source = fit_rows[~is_target]
        self._fit_in_source = None if fitted_source.all() else fitted_source
        if rows.sample_weight is not None:
            # a new array: the caller's is kept
            fit_weight = fit_weight * rows.sample_weight[fit_rows]
        self.n_source_fit_ = int(fit_rows.sum())
        self.estimator_ = fit_weighted(
            estimator,
            _safe_indexing(rows.X, fit_rows),
            rows.y_fit,
            fit_weight,
            path,
            final,
            **(fit_params or {}),
        )

    @property
    def weights_(self):
        """Importance weights of the labeled source rows (mean 1).

        Before any user ``sample_weight``; ordered as those rows in ``X``.
        """
        check_is_fitted(self)
        if self.weighter_ is None:  # fit without target rows: no shift assumed
            source_w = np.ones(self.n_source_fit_)
        else:
            source_w = self.weighter_.weights_
            if self._fit_in_source is not None:
                source_w = source_w[self._fit_in_source]
        return self._transform.transform(source_w)

    def importance_weights(self, X):
        """Weights this model would give rows of ``X`` (flatten/clip applied).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to weight.

        Returns
        -------
        weights : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        if self.weighter_ is None:
            return np.ones(_num_rows(X))
        w = self.weighter_.predict_weights(X)
        return self._transform.transform(w)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        est_tags = safe_tags(self._get_estimator())
        wtr_tags = safe_tags(self._get_weighter())
        if est_tags is not None and wtr_tags is not None:
            for name in ("allow_nan", "string", "categorical"):
                setattr(
                    tags.input_tags,
                    name,
                    getattr(est_tags.input_tags, name)
                    and getattr(wtr_tags.input_tags, name),
                )
            tags.input_tags.sparse = (
                est_tags.input_tags.sparse and wtr_tags.input_tags.sparse
            )
        return tags


@fill_doc
class ImportanceWeightedClassifier(ClassifierMixin, _BaseImportanceWeighted):
    """Classifier fit on source rows weighted by ``p_target / p_source``.

    Fits ``weighter`` on all rows of the stacked ``X`` (source and target) and
    ``clone(estimator)`` on the labeled source rows with
    ``sample_weight = weights ** flatten`` (clipped, mean 1) times any user
    ``sample_weight``. Any estimator whose ``fit`` accepts ``sample_weight``
    works, a :class:`~sklearn.pipeline.Pipeline` too (the weight goes to its
    final step).

    Parameters
    ----------
    estimator : estimator object, default=None
        Classifier to weight; ``None`` means
        :class:`~sklearn.linear_model.LogisticRegression`.
    weighter : weighter object, default=None
        A weighter (e.g. :class:`~instransfer.ClassifierWeighter`); ``None``
        means ``ClassifierWeighter(random_state=random_state)``.
    flatten : float, default=1.0
        Exponent ``lambda`` of the weights; 0 is the unweighted model.
        Choose it by cross-validation with
        :func:`~instransfer.model_selection.make_iw_scorer`. It applies on
        top of the weighter's own ``flatten``: the exponents multiply
        (``weighter=ClassifierWeighter(flatten=a)`` with ``flatten=b`` gives
        ``w ** (a * b)``), so tune only one of the two in a grid and leave the
        other at 1.
    clip : float or None, default=None
        Largest allowed weight as a multiple of the mean weight (>= 1).
    clip_quantile : float or None, default=None
        Weights above this quantile are capped at it.
    random_state : int, RandomState instance or None, default=None
        Seeds the default weighter (``weighter=None``) and nothing else: a
        weighter you pass is cloned and keeps its own ``random_state`` (set
        that one for reproducible weights), and ``estimator`` keeps its own.

    Attributes
    ----------
    estimator_ : estimator
        The fitted estimator.
    weighter_ : weighter
        The fitted weighter.
    weights_ : ndarray of shape (n_source_fit_,)
        Importance weights used for the labeled source rows (mean 1), before
        any user ``sample_weight``.
    classes_ : ndarray
        Class labels.
    n_source_fit_ : int
        Number of labeled source rows the estimator was fit on.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Names of features seen during fit (DataFrame input only).

    See Also
    --------
    ImportanceWeightedRegressor : The same for regression.
    instransfer.model_selection.make_iw_scorer : IWCV scorers to choose
        ``flatten``.

    References
    ----------
    .. [1] H. Shimodaira, "Improving predictive inference under covariate shift
       by weighting the log-likelihood function", J. Stat. Plan. Inference,
       2000.
    .. [2] M. Sugiyama, M. Krauledat and K.-R. Müller, "Covariate shift
       adaptation by importance weighted cross validation", JMLR 8, 2007.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> import instransfer as it
    >>> data = it.datasets.make_covariate_shift(random_state=0)
    >>> y_masked = np.where(data.domain == 1, -1, data.y)
    >>> clf = it.ImportanceWeightedClassifier(LogisticRegression())
    >>> clf.fit(data.X, y_masked).weights_.mean()
    1.0...
    """

    _task = "classification"

    _xfail_checks = {
        "check_classifiers_classes": (
            "string labels with no unlabeled marker (None/NaN) and no domain leave "
            "no row known to be a target row; issue #2 asks for a clear error"
        ),
    }

    def _default(self):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression()

    @property
    def classes_(self):
        """Class labels of the fitted estimator."""
        check_is_fitted(self)
        return self.estimator_.classes_

    def score(self, X, y, *, domain=None, sample_weight=None):
        """Accuracy on the target population, by the library's score rule.

        Labeled target rows marked by ``domain`` -> plain accuracy on them;
        otherwise the labeled source rows, each weighted by the fitted
        weighter's full ratio (``flatten=1``, unclipped, so that scores are
        comparable across ``flatten``; IWCV, Sugiyama, Krauledat & Müller,
        JMLR 2007, eq. 9); without ``domain`` and without unlabeled rows in
        ``y``, the rows given are the population: plain accuracy on all of them
        (``score(X_target, y_target)`` is the target accuracy). See the table in
        the data-convention guide.

        Parameters
        ----------
        %(score_params)s

        Returns
        -------
        score : float
        """
        from sklearn.metrics import accuracy_score

        return self._target_score(X, y, domain, sample_weight, accuracy_score)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        est_tags = safe_tags(self._get_estimator())
        if est_tags is not None and est_tags.classifier_tags is not None:
            tags.classifier_tags.multi_class = est_tags.classifier_tags.multi_class
        return tags


@fill_doc
class ImportanceWeightedRegressor(RegressorMixin, _BaseImportanceWeighted):
    """Regressor fit on source rows weighted by ``p_target / p_source``.

    Fits ``weighter`` on all rows of the stacked ``X`` and
    ``clone(estimator)`` on the labeled source rows (target rows are those
    with ``y = NaN`` unless ``domain`` is given) with importance weights
    ``w ** flatten`` (clipped, mean 1) times any user ``sample_weight``.

    Parameters
    ----------
    estimator : estimator object, default=None
        Regressor to weight; ``None`` means :class:`~sklearn.linear_model.Ridge`.
    weighter : weighter object, default=None
        A weighter; ``None`` means
        ``ClassifierWeighter(random_state=random_state)``.
    flatten : float, default=1.0
        Exponent ``lambda`` of the weights; 0 is the unweighted model. It
        applies on top of the weighter's own ``flatten``: the exponents
        multiply (``weighter=ClassifierWeighter(flatten=a)`` with
        ``flatten=b`` gives ``w ** (a * b)``), so tune only one of the two in
        a grid and leave the other at 1.
    clip : float or None, default=None
        Largest allowed weight as a multiple of the mean weight (>= 1).
    clip_quantile : float or None, default=None
        Weights above this quantile are capped at it.
    random_state : int, RandomState instance or None, default=None
        Seeds the default weighter (``weighter=None``) and nothing else: a
        weighter you pass is cloned and keeps its own ``random_state`` (set
        that one for reproducible weights), and ``estimator`` keeps its own.

    Attributes
    ----------
    estimator_ : estimator
        The fitted estimator.
    weighter_ : weighter
        The fitted weighter.
    weights_ : ndarray of shape (n_source_fit_,)
        Importance weights used for the labeled source rows (mean 1).
    n_source_fit_ : int
        Number of labeled source rows the estimator was fit on.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Names of features seen during fit (DataFrame input only).

    See Also
    --------
    ImportanceWeightedClassifier : The same for classification.

    References
    ----------
    .. [1] H. Shimodaira, "Improving predictive inference under covariate shift
       by weighting the log-likelihood function", J. Stat. Plan. Inference,
       2000.

    Examples
    --------
    >>> import numpy as np
    >>> import instransfer as it
    >>> data = it.datasets.make_covariate_shift(task="regression", random_state=0)
    >>> y_masked = np.where(data.domain == 1, np.nan, data.y)
    >>> reg = it.ImportanceWeightedRegressor().fit(data.X, y_masked)
    >>> reg.predict(data.X[:2]).shape
    (2,)
    """

    _task = "regression"

    def _default(self):
        from sklearn.linear_model import Ridge

        return Ridge()

    def score(self, X, y, *, domain=None, sample_weight=None):
        """R² on the target population, by the library's score rule.

        Labeled target rows marked by ``domain`` -> plain R² on them;
        otherwise the labeled source rows, each weighted by the fitted
        weighter's full ratio (``flatten=1``, unclipped, so that scores are
        comparable across ``flatten``; IWCV, Sugiyama, Krauledat & Müller,
        JMLR 2007, eq. 9); without ``domain`` and without unlabeled rows in
        ``y``, the rows given are the population: plain R² on all of them
        (``score(X_target, y_target)`` is the target R²). See the table in
        the data-convention guide.

        Parameters
        ----------
        %(score_params)s

        Returns
        -------
        score : float
        """
        from sklearn.metrics import r2_score

        return self._target_score(X, y, domain, sample_weight, r2_score)


def importance_weights(X_source, X_target, method=None, *, random_state=None):
    """Importance weights ``p_target / p_source`` for the source rows.

    Parameters
    ----------
    X_source : array-like or DataFrame of shape (n_source, n_features)
        Source rows.
    X_target : array-like or DataFrame of shape (n_target, n_features)
        Target rows, with the same columns.
    method : weighter object, default=None
        Any weighter (unfitted; it is cloned). ``None`` means
        ``ClassifierWeighter(random_state=random_state)``.
    random_state : int, RandomState instance or None, default=None
        Seeds the default weighter (``method=None``) only; a ``method`` you
        pass keeps its own ``random_state``.

    Returns
    -------
    weights : ndarray or Series of shape (n_source,)
        Mean 1 over the source rows; a Series with ``X_source``'s index when
        ``X_source`` is a DataFrame.

    Examples
    --------
    >>> import instransfer as it
    >>> data = it.datasets.make_covariate_shift(random_state=0)
    >>> Xs, Xt = data.X[data.domain == 0], data.X[data.domain == 1]
    >>> w = it.importance_weights(Xs, Xt, method=it.ClassifierWeighter())
    >>> w.shape, round(w.mean(), 6)
    ((500,), 1.0)
    """
    import pandas as pd

    if method is None:
        weighter = default_weighter(random_state)
    elif isinstance(method, BaseEstimator) and hasattr(method, "predict_ratio"):
        weighter = clone(method)
    else:
        raise TypeError(
            f"method must be a weighter such as it.ClassifierWeighter(); got "
            f"{method!r}."
        )
    X, domain = stack_domains(X_source, X_target)
    weights = weighter.fit(X, domain).weights_
    if isinstance(X_source, pd.DataFrame):
        return pd.Series(weights, index=X_source.index, name="weight")
    return weights
