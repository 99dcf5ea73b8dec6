"""The weighter contract and the importance-weighted estimators.

A *weighter* estimates the density ratio ``w(x) = p_target(x) / p_source(x)``
from one stacked ``X`` and a per-row ``domain`` (0 source, 1 target):

- ``fit(X, domain)`` learns it; ``weights_`` holds the weights of the source
  rows seen in ``fit``, **mean 1 over those rows**;
- ``predict_weights(X)`` gives weights for any rows on the scale of
  ``weights_``; ``predict_ratio(X)`` the same before flattening and clipping;
- ``score(X, domain)`` is the method's own held-out criterion (higher is
  better), so plain :class:`~sklearn.model_selection.GridSearchCV` tunes it.

The second argument of ``fit``/``score`` is called ``y`` in the signatures, as
scikit-learn's tools (``GridSearchCV``, ``cross_validate``) pass it
positionally and split it; it is the domain vector.

:class:`ImportanceWeightedClassifier` and :class:`ImportanceWeightedRegressor`
fit a weighter on all rows and any estimator that takes ``sample_weight`` on
the labeled source rows.
"""

import contextlib
import warnings
from abc import abstractmethod
from numbers import Integral, Real

import numpy as np
from scipy.sparse import issparse
from scipy.sparse import vstack as sparse_vstack
from sklearn import get_config
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    _fit_context,
    clone,
)
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._validation import (
    _num_rows,
    check_domain,
    check_feature_scales,
    check_frame,
    check_numeric_covariates,
    check_same_rows,
    check_sample_weight,
    resolve_rows,
    unlabeled_mask,
)
from ._weights import ALL_ZERO_WEIGHTS, WeightTransform, log_mean_exp

__all__ = [
    "BaseWeighter",
    "ImportanceWeightedClassifier",
    "ImportanceWeightedRegressor",
    "importance_weights",
]

_POSTPROCESS_CONSTRAINTS = {
    "flatten": [Interval(Real, 0, None, closed="left")],
    "clip": [Interval(Real, 1, None, closed="left"), None],
    "clip_quantile": [Interval(Real, 0, 1, closed="neither"), None],
}


_MAX_LOG_RATIO = 700.0  # exp(700) ~ 1e304 < float64 max


class BaseWeighter(BaseEstimator):
    """Base class of every weighter: estimates ``p_target(x) / p_source(x)``.

    Subclasses implement the algorithm only:

    - ``_fit_log_ratio(X_source, X_target)`` fits and returns the log-ratio at
      the source rows (``-inf`` allowed for a zero weight);
    - ``_log_ratio(X)`` returns the log-ratio at new rows on the same scale;
    - optionally ``_score_terms(X_source, X_target)``, the per-row terms of
      the method's own held-out criterion (default: minus the squared loss of
      the ratio, see :meth:`score`); ``score`` is their mean over all rows.

    Validation, splitting by domain, the mean-1 normalisation and the shared
    flatten/clip post-processing live here, once.

    Parameters
    ----------
    flatten : float, default=1.0
        Exponent ``lambda`` applied to the ratio (``w ** lambda``); 0 gives
        uniform weights, 1 the full ratio. Inside a weighted estimator, its
        own ``flatten`` multiplies this one (``w ** (a * b)``): tune only one.
    clip : float or None, default=None
        Largest allowed weight, as a multiple of the mean weight (>= 1).
    clip_quantile : float or None, default=None
        Weights above this quantile (over the source rows) are capped at it.
        These three parameters are common to all weighters.

    Attributes
    ----------
    weights_ : ndarray of shape (n_source,)
        Weights of the source rows seen in ``fit``, in their order; mean 1.
    log_norm_ : float
        Log of the mean raw ratio over the fit's source rows (the scale).
    n_source_, n_target_ : int
        Rows of each domain seen in ``fit``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of str
        Names of features seen during ``fit`` (DataFrame input only).
    """

    _parameter_constraints: dict = dict(_POSTPROCESS_CONSTRAINTS)

    # Expected failures of scikit-learn's common checks (tests/test_common.py).
    _xfail_checks = {
        "check_estimators_dtypes": (
            "the domain must be 0/1 (or bool); the check draws labels {1, 2}, "
            "which name no target side, and gets a clear ValueError"
        ),
        "check_fit2d_1feature": (
            "the check draws domain labels {1, 2}; a weighter accepts 0/1 only"
        ),
    }

    # Weighters that only hand X to an inner estimator (which validates it
    # itself) set this to False so raw DataFrames with categoricals pass.
    _validate_numeric = True
    # Weighters whose work is many small BLAS products (the kernel methods)
    # set this to True: fit, predict and score then run with BLAS limited to
    # one thread (see ``_kernels.single_threaded_blas``), up to
    # ``_single_threaded_blas_max_features`` features: with many more the
    # distance products are large enough for threads to pay (measured in
    # benchmarks/results/kernel_ratio.md, "BLAS threads").
    _single_threaded_blas = False
    _single_threaded_blas_max_features = 100
    # Weighters built on one isotropic kernel width or a Euclidean-type
    # distance set this to True: fit then warns when the columns' spreads
    # differ too much for one width (``FeatureScaleWarning``).
    _scale_sensitive = False

    def _blas_context(self):
        n_features = getattr(self, "n_features_in_", 0)
        if (
            self._single_threaded_blas
            and n_features <= self._single_threaded_blas_max_features
        ):
            from ._kernels import single_threaded_blas

            return single_threaded_blas()
        return contextlib.nullcontext()

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the weighter on stacked source and target rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows, stacked.
        y : array-like of shape (n_samples,)
            The domain of each row: 0 (or False) for source, 1 (or True) for
            target.

        Returns
        -------
        self : object
            Fitted weighter.
        """
        X = self._validate_X(X, reset=True)
        if _num_rows(X) < 4:
            raise ValueError(
                f"Found {_num_rows(X)} sample(s); a weighter needs at least 2 source "
                "and 2 target rows."
            )
        is_target = check_domain(y, _num_rows(X))
        if self._scale_sensitive:
            check_feature_scales(
                X, type(self).__name__, getattr(self, "feature_names_in_", None)
            )
        X_source = _safe_indexing(X, ~is_target)
        X_target = _safe_indexing(X, is_target)
        self.n_source_, self.n_target_ = int((~is_target).sum()), int(is_target.sum())
        with self._blas_context():
            log_r = self._fit_log_ratio(X_source, X_target)
        log_r = np.asarray(log_r, dtype=float)
        if np.isnan(log_r).any() or np.isposinf(log_r).any():
            raise RuntimeError(
                f"{type(self).__name__} produced non-finite log-ratios; this is a "
                "bug, please report it with the data shape and parameters."
            )
        self.log_norm_ = log_mean_exp(log_r)
        if not np.isfinite(self.log_norm_):  # every source weight is 0
            raise ValueError(ALL_ZERO_WEIGHTS)
        self._transform = WeightTransform(self.flatten, self.clip, self.clip_quantile)
        self.weights_ = self._transform.fit_transform(np.exp(log_r - self.log_norm_))
        return self

    def predict_ratio(self, X):
        """Estimated density ratio at ``X``, before flattening and clipping.

        Scaled like the ratio at the fit's source rows, whose mean is 1.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to evaluate.

        Returns
        -------
        ratio : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        with self._blas_context():
            log_r = np.asarray(self._log_ratio(X), dtype=float) - self.log_norm_
        # A row far from every source row can have a log-ratio past exp's
        # range; cap it at a finite (astronomical) weight rather than inf.
        return np.exp(np.minimum(log_r, _MAX_LOG_RATIO))

    def predict_weights(self, X):
        """Importance weights for any rows, on the scale of ``weights_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to weight.

        Returns
        -------
        weights : ndarray of shape (n_samples,)
            Flattened and clipped ratio, with the normalisation fitted on the
            source rows (so these are not renormalised to mean 1 over ``X``).
        """
        check_is_fitted(self)
        return self._transform.transform(self.predict_ratio(X))

    def score(self, X, y):
        """Held-out criterion of the weighter; higher is better.

        The default is minus the squared-loss criterion of uLSIF
        (Kanamori, Hido & Sugiyama, JMLR 2009, eq. 3),
        ``J = mean_source(r ** 2) / 2 - mean_target(r)``, evaluated with
        :meth:`predict_ratio`. It is written as a mean of per-row terms over
        the pooled rows (``r² / (2 (1 - pi))`` for a source row, ``-r / pi``
        for a target row, ``pi`` the target share seen in ``fit``), so a
        held-out fold holding one domain only still gets a score and the
        average over equal folds of unshuffled, stacked data is the pooled
        criterion: plain :class:`~sklearn.model_selection.GridSearchCV` works.
        Weighters with a likelihood override it.

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
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        is_target = check_domain(y, _num_rows(X), min_source=0, min_target=0)
        with self._blas_context():
            src, tgt = self._score_terms(
                _safe_indexing(X, ~is_target), _safe_indexing(X, is_target)
            )
        return float((np.sum(src) + np.sum(tgt)) / is_target.shape[0])

    def _score_terms(self, X_source, X_target):
        """Per-row criterion terms of held-out source and target rows."""
        pi = self.n_target_ / (self.n_source_ + self.n_target_)
        r_s, r_t = self._heldout_ratio(X_source), self._heldout_ratio(X_target)
        return -0.5 * r_s**2 / (1 - pi), r_t / pi

    def _heldout_ratio(self, X):
        # estimators refuse empty input: a fold may hold one domain only
        if _num_rows(X) == 0:
            return np.zeros(0)
        return np.exp(np.asarray(self._log_ratio(X), float) - self.log_norm_)

    @abstractmethod
    def _fit_log_ratio(self, X_source, X_target):
        """Fit; return the log-ratio at the source rows."""

    @abstractmethod
    def _log_ratio(self, X):
        """Log-ratio at new rows, on the scale of ``_fit_log_ratio``."""

    def _validate_X(self, X, reset):
        check_frame(X, type(self).__name__)
        if self._validate_numeric:
            check_numeric_covariates(X, type(self).__name__)
            return validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])
        validate_data(self, X, reset=reset, skip_check_array=True)
        return _as_indexable(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        # The domain is a binary label: the common checks then draw 0/1 domains.
        from sklearn.utils import ClassifierTags

        tags.classifier_tags = ClassifierTags(multi_class=False)
        return tags


def _as_indexable(X):
    """Row-indexable view of X without numeric conversion.

    DataFrames and arrays pass through (the inner estimator validates them);
    sparse input becomes CSR (COO/DIA cannot be row-indexed) and array-likes
    that are neither become arrays.
    """
    if issparse(X):
        X = X.tocsr()
    elif not (hasattr(X, "iloc") or isinstance(X, np.ndarray)):
        X = np.asarray(X)
    if getattr(X, "dtype", None) is not None and X.dtype.kind == "c":
        raise ValueError("Complex data not supported: X has a complex dtype.")
    return X


# --------------------------------------------------------------------------
# Weighted estimators


def _final_step(estimator):
    """Names of the nested Pipeline steps down to the final estimator, and it."""
    from sklearn.pipeline import Pipeline

    path = []
    while isinstance(estimator, Pipeline):
        name, estimator = estimator.steps[-1]
        path.append(name)
    return path, estimator


def _accepts_sample_weight(estimator):
    from inspect import Parameter, signature

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


def _check_weightable(estimator, owner):
    path, final = _final_step(estimator)
    if final is None or final == "passthrough" or not _accepts_sample_weight(final):
        where = f" (the final step of the pipeline, {'__'.join(path)})" if path else ""
        tags = _safe_tags(final) if final not in (None, "passthrough") else None
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


def _fit_weighted(estimator, X, y, sample_weight, path, final):
    """Fit ``estimator`` with ``sample_weight`` routed to its final step."""
    if not path:
        return estimator.fit(X, y, sample_weight=sample_weight)
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
                    if _accepts_sample_weight(sub) and hasattr(sub, "set_fit_request"):
                        sub.set_fit_request(sample_weight=False)
            node = node.steps[-1][1]
        if hasattr(final, "set_fit_request"):
            final.set_fit_request(sample_weight=True)
        return estimator.fit(X, y, sample_weight=sample_weight)
    return estimator.fit(X, y, **{"__".join(path) + "__sample_weight": sample_weight})


def _labels_array(y):
    """Labels of an object ``y`` as an int (or float) array when all are.

    An object array of ints with ``None`` marking unlabeled rows stays object
    after those rows are dropped; scikit-learn then calls its type "unknown".
    Boolean, integer (or real) labels get a bool, int (or float) dtype, so
    ``classes_`` are of that type; strings, which scikit-learn takes as
    object, and mixed labels (left to scikit-learn's own error) are returned
    as they are.
    """
    if y.dtype != object or y.shape[0] == 0:
        return y
    values = y.tolist()
    if all(isinstance(v, (bool, np.bool_)) for v in values):
        return np.asarray(values, dtype=bool)
    for kind, dtype in ((Integral, np.int64), (Real, np.float64)):
        if all(isinstance(v, kind) and not isinstance(v, bool) for v in values):
            return np.asarray(values, dtype=dtype)
    return y


def _warn_labeled_target(weighted, owner, stacklevel):
    """Warn that labeled target rows seen in fit are scored as source rows."""
    n = getattr(weighted, "_n_labeled_target", 0)
    if not n:
        return
    marker = "-1" if weighted._task == "classification" else "NaN"
    warnings.warn(
        f"The model was fit with {n} labeled target rows (domain=1), but {owner} "
        "got no domain, so each is scored as a source row; route domain to it "
        "(set_config(enable_metadata_routing=True)) or mask their labels in y "
        f"({marker}); see 'What the library refuses' in the docs.",
        UserWarning,
        stacklevel=stacklevel + 1,
    )


def _estimator_has(attr):
    def check(self):
        est = getattr(self, "estimator_", None)
        if est is None:
            est = self._get_estimator()
        return hasattr(est, attr)

    return check


class _BaseImportanceWeighted(MetaEstimatorMixin, BaseEstimator):
    _task = None  # "classification" or "regression"

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"]), None],
        "weighter": [HasMethods(["fit", "predict_ratio"]), None],
        **_POSTPROCESS_CONSTRAINTS,
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

    def _get_weighter(self):
        if self.weighter is not None:
            return self.weighter
        from .density_ratio import ClassifierWeighter

        return ClassifierWeighter(random_state=self.random_state)

    @_fit_context(
        # the inner estimator and weighter are validated by their own fit
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y, *, domain=None, sample_weight=None):
        """Fit the weighter on all rows and the estimator on labeled source rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Source and target rows, stacked. Validated by the inner estimator
            and weighter, so a DataFrame with categorical columns works when
            both carry their own encoding.
        y : array-like of shape (n_samples,)
            Labels of source rows. Unlabeled rows (``-1`` or ``None``/``NaN``
            for classes, ``NaN`` for regression) are the target rows when
            ``domain`` is not given.
        domain : array-like of shape (n_samples,), default=None
            0 for source rows, 1 for target rows. Overrides the inference
            from unlabeled ``y``.
        sample_weight : array-like of shape (n_samples,), default=None
            Multiplied with the importance weights of the source rows.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        estimator = clone(self._get_estimator())
        path, final = _check_weightable(estimator, type(self).__name__)
        validate_data(self, X, reset=True, skip_check_array=True)
        X = _as_indexable(X)
        y = column_or_1d(y, warn=True)
        n = _num_rows(X)
        check_same_rows(n, y=y, sample_weight=sample_weight)
        is_target, fit_rows = resolve_rows(y, domain, self._task, n)
        # Labeled target rows (possible only with domain): an IW scorer given
        # no domain cannot tell them from source rows, and warns (_scorer.py).
        self._n_labeled_target = int(
            np.count_nonzero(is_target & ~unlabeled_mask(y, self._task))
        )
        y_fit = y[fit_rows]
        if self._task == "classification":
            from sklearn.utils.multiclass import check_classification_targets

            y_fit = _labels_array(y_fit)
            check_classification_targets(y_fit)
        source_w = np.ones(n)
        if is_target.any():
            # the default weighter is built here, seeded with random_state (a
            # RandomState instance is shared, not copied, as in scikit-learn);
            # the user's weighter is cloned with its own random_state
            weighter = self._get_weighter()
            if self.weighter is not None:
                weighter = clone(weighter)
            self.weighter_ = weighter.fit(X, is_target.astype(int))
            # weights_ of the weighter are ordered as the source rows of X
            source_w[~is_target] = self.weighter_.weights_
        else:  # no target rows (warned): the plain estimator
            self.weighter_ = None
        self._transform = WeightTransform(self.flatten, self.clip, self.clip_quantile)
        self.weights_ = self._transform.fit_transform(source_w[fit_rows])
        fit_weight = self.weights_
        if sample_weight is not None:
            sw = check_sample_weight(sample_weight, n)
            fit_weight = fit_weight * sw[fit_rows]  # a new array: caller's is kept
        self.n_source_fit_ = int(fit_rows.sum())
        self.estimator_ = _fit_weighted(
            estimator,
            _safe_indexing(X, fit_rows),
            y_fit,
            fit_weight,
            path,
            final,
        )
        return self

    def _get_estimator(self):
        return self.estimator if self.estimator is not None else self._default()

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

    @available_if(_estimator_has("predict"))
    def predict(self, X):
        """Predict with the fitted estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.estimator_.predict(X)

    def _labeled_source(self, X, y, domain, sample_weight):
        """Rows of a held-out (X, y) that IW scores use, and their weights."""
        check_is_fitted(self)
        X = _as_indexable(X)
        y = column_or_1d(y)
        n = _num_rows(X)
        check_same_rows(n, y=y, sample_weight=sample_weight)
        rows = ~unlabeled_mask(y, self._task)
        if domain is not None:
            rows &= ~check_domain(domain, n, min_source=1, min_target=0)
        else:
            _warn_labeled_target(self, "score", stacklevel=3)
        if not rows.any():
            raise ValueError(
                "No labeled source rows to score: importance-weighted scores are "
                "computed on labeled source rows."
            )
        X_l = _safe_indexing(X, rows)
        if self.weighter_ is None:  # fit without target rows: no shift assumed
            w = np.ones(_num_rows(X_l))
        else:
            w = self.weighter_.predict_ratio(X_l)
        if sample_weight is not None:
            w = w * check_sample_weight(sample_weight, n)[rows]
        return X_l, _labels_array(y[rows]), w

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        est_tags = _safe_tags(self._get_estimator())
        wtr_tags = _safe_tags(self._get_weighter())
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


def _safe_tags(est):
    from sklearn.utils import get_tags

    try:
        return get_tags(est)
    except Exception:  # third-party estimators without tags
        return None


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

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from the fitted estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities from the fitted estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self.estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the fitted estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to evaluate.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        check_is_fitted(self)
        return self.estimator_.decision_function(X)

    def score(self, X, y, *, domain=None, sample_weight=None):
        """Importance-weighted accuracy on the labeled source rows (IWCV).

        Unlabeled rows are ignored; each labeled source row counts with the
        full estimated ratio (``flatten=1``, unclipped) of the fitted weighter,
        which makes scores comparable across ``flatten`` values (Sugiyama,
        Krauledat & Müller, JMLR 2007, Sec. 3).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Held-out rows.
        y : array-like of shape (n_samples,)
            Labels; unlabeled rows are skipped.
        domain : array-like of shape (n_samples,), default=None
            When given, only rows with domain 0 are scored.
        sample_weight : array-like of shape (n_samples,), default=None
            Multiplied with the importance weights.

        Returns
        -------
        score : float
        """
        from sklearn.metrics import accuracy_score

        X_l, y_l, w = self._labeled_source(X, y, domain, sample_weight)
        return float(accuracy_score(y_l, self.predict(X_l), sample_weight=w))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        est_tags = _safe_tags(self._get_estimator())
        if est_tags is not None and est_tags.classifier_tags is not None:
            tags.classifier_tags.multi_class = est_tags.classifier_tags.multi_class
        return tags


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

    def fit(self, X, y, *, domain=None, sample_weight=None):  # noqa: D102
        y = column_or_1d(y, warn=True)
        if y.dtype.kind not in "fc":
            y = y.astype(float)
        return super().fit(X, y, domain=domain, sample_weight=sample_weight)

    fit.__doc__ = _BaseImportanceWeighted.fit.__doc__

    def score(self, X, y, *, domain=None, sample_weight=None):
        """Importance-weighted R² on the labeled source rows (IWCV).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Held-out rows.
        y : array-like of shape (n_samples,)
            Targets; ``NaN`` rows are skipped.
        domain : array-like of shape (n_samples,), default=None
            When given, only rows with domain 0 are scored.
        sample_weight : array-like of shape (n_samples,), default=None
            Multiplied with the importance weights.

        Returns
        -------
        score : float
        """
        from sklearn.metrics import r2_score

        X_l, y_l, w = self._labeled_source(X, y, domain, sample_weight)
        return float(r2_score(y_l, self.predict(X_l), sample_weight=w))


# --------------------------------------------------------------------------


def _union_categories(X_source, X_target):
    """Give categorical columns of both frames the union of their categories.

    ``pd.concat`` of categoricals with different categories falls back to an
    object (or string) column, which a ``ColumnTransformer`` selecting
    ``dtype_include="category"`` then silently leaves out.
    """
    from pandas import CategoricalDtype

    new_s, new_t = {}, {}
    for col in X_source.columns:
        ds, dt = X_source[col].dtype, X_target[col].dtype
        if not (isinstance(ds, CategoricalDtype) and isinstance(dt, CategoricalDtype)):
            continue
        if ds == dt:
            continue
        if ds.ordered or dt.ordered:
            if ds.ordered and set(dt.categories) <= set(ds.categories):
                new_t[col] = X_target[col].astype(ds)  # the source's order rules
                continue
            raise ValueError(
                f"Column {col!r} is an ordered categorical whose categories "
                f"differ between source ({list(ds.categories)}) and target "
                f"({list(dt.categories)}); give both the same ordered categories "
                "(Series.cat.set_categories)."
            )
        extra = dt.categories[~dt.categories.isin(ds.categories)]
        union = CategoricalDtype(ds.categories.append(extra))
        new_s[col] = X_source[col].astype(union)
        new_t[col] = X_target[col].astype(union)
    frames = []
    for X, new in ((X_source, new_s), (X_target, new_t)):
        if new:
            X = X.copy()  # a copy: the caller's frame is kept
            for col, values in new.items():
                X[col] = values
        frames.append(X)
    return tuple(frames)


def stack_domains(X_source, X_target):
    """Stack source and target rows into one ``X`` and a ``domain`` vector.

    DataFrames must have the same columns; the target's are reordered to the
    source's order, and a categorical column gets the union of both sides'
    categories (source's first) so that it stays categorical. Arrays must be
    both dense or both sparse.

    Parameters
    ----------
    X_source : array-like of shape (n_source, n_features)
        Source rows.
    X_target : array-like of shape (n_target, n_features)
        Target rows.

    Returns
    -------
    X : ndarray, sparse matrix or DataFrame of shape (n_source + n_target, n_features)
        Source rows first, then target rows. A DataFrame gets a fresh
        ``RangeIndex`` (``0 .. n_source + n_target - 1``): the index labels of
        ``X_source`` and ``X_target`` are not kept, so the weights of
        ``weighter.fit(X, domain).weights_`` line up with the source rows by
        position. :func:`importance_weights` returns them as a Series with
        ``X_source``'s index.
    domain : ndarray of shape (n_source + n_target,)
        0 for the source rows, 1 for the target rows.
    """
    import pandas as pd

    is_df = isinstance(X_source, pd.DataFrame), isinstance(X_target, pd.DataFrame)
    if all(is_df):
        missing = [c for c in X_source.columns if c not in X_target.columns]
        extra = [c for c in X_target.columns if c not in X_source.columns]
        if missing or extra:
            raise ValueError(
                "Source and target DataFrames have different columns: "
                f"missing from target {missing}, only in target {extra}. Select "
                "the same covariates in both (e.g. X_target[X_source.columns])."
            )
        X_source, X_target = _union_categories(X_source, X_target[X_source.columns])
        X = pd.concat([X_source, X_target], ignore_index=True)
        n_s, n_t = len(X_source), len(X_target)
    elif any(is_df):
        raise TypeError(
            "One of X_source/X_target is a DataFrame and the other is not; pass "
            "both as DataFrames (with the same columns) or both as arrays."
        )
    elif issparse(X_source) != issparse(X_target):
        sparse, dense = (
            ("X_source", "X_target") if issparse(X_source) else ("X_target", "X_source")
        )
        raise TypeError(
            f"{sparse} is a sparse matrix and {dense} is not; pass both sparse "
            f"(e.g. scipy.sparse.csr_matrix({dense})) or both dense "
            f"({sparse}.toarray())."
        )
    elif issparse(X_source) and issparse(X_target):
        if X_source.shape[1] != X_target.shape[1]:
            raise ValueError(
                f"X_source has {X_source.shape[1]} features but X_target has "
                f"{X_target.shape[1]}; both must have the same columns."
            )
        X = sparse_vstack([X_source, X_target], format="csr")
        n_s, n_t = X_source.shape[0], X_target.shape[0]
    else:
        Xs, Xt = np.asarray(X_source), np.asarray(X_target)
        if Xs.ndim != 2 or Xt.ndim != 2:
            raise ValueError(
                "X_source and X_target must be 2-D (rows x features); got shapes "
                f"{Xs.shape} and {Xt.shape}. Reshape a single feature with "
                "x.reshape(-1, 1)."
            )
        if Xs.shape[1] != Xt.shape[1]:
            raise ValueError(
                f"X_source has {Xs.shape[1]} features but X_target has "
                f"{Xt.shape[1]}; both must have the same columns."
            )
        X = np.concatenate([Xs, Xt])
        n_s, n_t = Xs.shape[0], Xt.shape[0]
    # Stacking needs a row of each side only; how many rows an estimator
    # needs is its own check (a weighter asks for 2 of each in fit).
    for name, n_rows in (("X_source", n_s), ("X_target", n_t)):
        if n_rows == 0:
            raise ValueError(f"{name} has no rows; give at least one.")
    domain = np.r_[np.zeros(n_s, dtype=int), np.ones(n_t, dtype=int)]
    return X, domain


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
        from .density_ratio import ClassifierWeighter

        weighter = ClassifierWeighter(random_state=random_state)
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
