"""Probability calibration on the target population (importance-weighted).

A classifier calibrated on source rows is calibrated *for the source*: under
covariate shift its reliability on the target drifts wherever the model is
misspecified. Fitting the calibration map (Platt's sigmoid or isotonic
regression) on held-out source rows weighted by the density ratio
``p_target(x) / p_source(x)`` calibrates it for the target instead (Park,
Bastani, Weimer & Lee, "Calibrated prediction with covariate shift via
unsupervised domain adaptation", AISTATS 2020, Sec. 3: the importance-weighted
calibration loss is an unbiased estimate of the target's).

The cross-fitting is scikit-learn's own
:class:`~sklearn.calibration.CalibratedClassifierCV`, given the importance
weights as ``sample_weight``: with equal weights the result *is*
``CalibratedClassifierCV``'s.
"""

import warnings
from numbers import Integral

import numpy as np
from sklearn.base import ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from ._importance_weighted import BaseWeightedMetaEstimator
from ._weights import POSTPROCESS_CONSTRAINTS, WeightTransform
from .utils._compat import HasMethods, StrOptions, _fit_context, _safe_indexing
from .utils._docstrings import fill_doc

__all__ = ["ImportanceWeightedCalibratedClassifier"]


@fill_doc
class ImportanceWeightedCalibratedClassifier(
    ClassifierMixin, BaseWeightedMetaEstimator
):
    """Classifier whose probabilities are calibrated for the *target* population.

    Fits ``weighter`` on all stacked rows, then scikit-learn's
    :class:`~sklearn.calibration.CalibratedClassifierCV` on the labeled source
    rows with the importance weights ``w ** flatten`` as ``sample_weight``:
    in each of the ``cv`` folds the classifier is fit on the other folds and
    the sigmoid (Platt, 1999) or isotonic map on the held-out fold, both
    weighted (Park et al., AISTATS 2020). With equal weights (``flatten=0``
    or no target rows) it equals ``CalibratedClassifierCV(estimator, method,
    cv=cv, ensemble=ensemble)`` fit on the labeled source rows.

    Parameters
    ----------
    estimator : classifier, default=None
        ``None`` means :class:`~sklearn.linear_model.LogisticRegression`.
        If its ``fit`` takes ``sample_weight`` it is weighted too (as
        :class:`~instransfer.ImportanceWeightedClassifier` would fit it);
        otherwise (a :class:`~sklearn.pipeline.Pipeline`, whose ``fit`` takes
        none) it is fit unweighted and only the calibration map is weighted.
    weighter : weighter, default=None
        ``None`` means ``ClassifierWeighter(random_state=random_state)``.
    method : {"sigmoid", "isotonic"}, default="sigmoid"
        Platt's logistic map, or isotonic regression (needs more rows: with
        weights, its effective sample size).
    cv : int or cross-validation generator, default=5
        Folds of the labeled source rows, as in ``CalibratedClassifierCV``.
    ensemble : bool or "auto", default="auto"
        As in ``CalibratedClassifierCV``.
    flatten : float, default=1.0
        Exponent of the ratio; 0 is unweighted calibration.
    clip, clip_quantile : float or None, default=None
        Cap the weights as in the weighters.
    random_state : int, RandomState instance or None, default=None
        Seeds the default weighter.

    Attributes
    ----------
    calibrated_ : CalibratedClassifierCV
        The fitted calibrated classifier.
    weighter_ : weighter or None
        The fitted weighter (None when fit without target rows).
    weights_ : ndarray of shape (n_source_fit_,)
        Weights of the labeled source rows (mean 1).
    classes_ : ndarray
        Class labels.
    n_source_fit_ : int
        Labeled source rows used.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Names of features seen during fit (DataFrame input only).

    See Also
    --------
    sklearn.calibration.CalibratedClassifierCV : The unweighted calibration.

    References
    ----------
    .. [1] S. Park, O. Bastani, J. Weimer and I. Lee, "Calibrated prediction
       with covariate shift via unsupervised domain adaptation", AISTATS 2020.
    .. [2] J. Platt, "Probabilistic outputs for support vector machines",
       Advances in Large Margin Classifiers, 1999.

    Examples
    --------
    >>> import numpy as np
    >>> import instransfer as it
    >>> from instransfer.calibration import ImportanceWeightedCalibratedClassifier
    >>> data = it.datasets.make_covariate_shift(random_state=0)
    >>> y_masked = np.where(data.domain == 1, -1, data.y)
    >>> clf = ImportanceWeightedCalibratedClassifier(random_state=0)
    >>> clf.fit(data.X, y_masked).predict_proba(data.X[:2]).shape
    (2, 2)
    """

    _task = "classification"
    _delegate_attr = "calibrated_"

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"]), None],
        "weighter": [HasMethods(["fit", "predict_ratio"]), None],
        "method": [StrOptions({"sigmoid", "isotonic"})],
        "cv": ["cv_object"],
        "ensemble": ["boolean", StrOptions({"auto"})],
        **POSTPROCESS_CONSTRAINTS,
        "random_state": ["random_state"],
    }

    _xfail_checks = {
        "check_classifiers_classes": (
            "string labels with no unlabeled marker (None/NaN) and no domain leave "
            "no row known to be a target row: a clear ValueError asks for one"
        ),
    }

    def __init__(
        self,
        estimator=None,
        weighter=None,
        *,
        method="sigmoid",
        cv=5,
        ensemble="auto",
        flatten=1.0,
        clip=None,
        clip_quantile=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.weighter = weighter
        self.method = method
        self.cv = cv
        self.ensemble = ensemble
        self.flatten = flatten
        self.clip = clip
        self.clip_quantile = clip_quantile
        self.random_state = random_state

    def _default(self):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression()

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, domain=None):
        """Fit the weighter on all rows and the calibrated classifier on source rows.

        Parameters
        ----------
        %(fit_X)s
        %(fit_y)s
        %(fit_domain)s

        Returns
        -------
        self : object
        """
        from sklearn.calibration import CalibratedClassifierCV

        rows = self._resolve(X, y, domain)
        X, is_target, fit_rows = rows.X, rows.is_target, rows.fit_rows
        y_fit = rows.y_fit
        self._n_labeled_target = rows.n_labeled_target
        source_w = np.ones(is_target.shape[0])
        self.weighter_ = self._fit_weighter(X, is_target)
        if self.weighter_ is not None:
            source_w[~is_target] = self.weighter_.weights_
        transform = WeightTransform(self.flatten, self.clip, self.clip_quantile)
        self.weights_ = transform.fit_transform(source_w[fit_rows])
        # equal weights: no sample_weight at all, so the fit is exactly
        # CalibratedClassifierCV's (ones would take other code paths)
        sw = None if np.all(self.weights_ == self.weights_[0]) else self.weights_
        cv = self.cv
        if isinstance(cv, Integral):
            smallest = int(np.unique(y_fit, return_counts=True)[1].min())
            cv = min(cv, smallest)
            if cv < 2:
                raise ValueError(
                    f"A class has n_samples={smallest} labeled source row(s); each "
                    "class needs at least 2 to be calibrated on held-out folds. "
                    "Give more labeled rows."
                )
        calibrated = CalibratedClassifierCV(
            clone(self._get_estimator()),
            method=self.method,
            cv=cv,
            ensemble=self.ensemble,
        )
        with warnings.catch_warnings():
            # a classifier whose fit takes no sample_weight (a Pipeline) is fit
            # unweighted and only the calibration map is weighted, as the
            # class documents; scikit-learn's warning would say it again
            warnings.filterwarnings(
                "ignore", message=".*does not appear to accept sample_weight"
            )
            self.calibrated_ = calibrated.fit(
                _safe_indexing(X, fit_rows), y_fit, sample_weight=sw
            )
        self.n_source_fit_ = int(fit_rows.sum())
        return self

    def _delegate(self):
        # before fit: the calibrated classifier that fit builds (it has
        # predict and predict_proba only, whatever the wrapped classifier has)
        fitted = getattr(self, "calibrated_", None)
        if fitted is not None:
            return fitted
        from sklearn.calibration import CalibratedClassifierCV

        return CalibratedClassifierCV(self._get_estimator())

    @property
    def classes_(self):
        """Class labels."""
        check_is_fitted(self)
        return self.calibrated_.classes_

    def score(self, X, y, *, domain=None, sample_weight=None):
        """Accuracy on the target population (the score rule).

        Labeled target rows (by ``domain``) give the plain accuracy on them;
        otherwise the labeled source rows are weighted by the estimated ratio;
        without ``domain`` and without unlabeled rows, all rows count alike.

        Parameters
        ----------
        %(score_params)s

        Returns
        -------
        score : float
        """
        from sklearn.metrics import accuracy_score

        return self._target_score(X, y, domain, sample_weight, accuracy_score)
