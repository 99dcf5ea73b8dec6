"""Weighted split conformal prediction sets for classification."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from ..utils._compat import HasMethods, StrOptions
from ..utils._docstrings import fill_doc
from ._base import BaseWeightedConformal


def _aps_scores(proba):
    """Score of every class: probability mass of the classes ranked up to it.

    Non-randomised adaptive prediction sets (Romano, Sesia & Candès, NeurIPS
    2020, eq. 5 with ``u = 1``): classes in decreasing probability, ties in
    column order; conservative by at most the mass of one class.
    """
    order = np.argsort(-proba, axis=1, kind="stable")
    ranked = np.take_along_axis(proba, order, axis=1)
    cum = np.cumsum(ranked, axis=1)
    scores = np.empty_like(cum)
    np.put_along_axis(scores, order, cum, axis=1)
    return scores


@fill_doc
class WeightedConformalClassifier(ClassifierMixin, BaseWeightedConformal):
    """Prediction sets that hold the *target's* labels (weighted conformal).

    The wrapped classifier (any with ``predict_proba``) is fit on a training
    part of the labeled source rows; the calibration rows' scores are
    weighted by the estimated density ratio, with the test point's own weight
    in the quantile (Tibshirani, Barber, Candès & Ramdas, NeurIPS 2019,
    Corollary 1). With the true ratio the set holds the target label with
    probability ``>= 1 - alpha``; with equal weights (``flatten=0``) it is
    plain split conformal exactly. A test point whose weight dominates
    (``w > alpha / (1 - alpha)`` times the calibration weights' sum) gets
    every class, with an
    :class:`~instransfer.exceptions.UnboundedPredictionWarning`.

    Parameters
    ----------
    estimator : classifier, default=None
        Needs ``predict_proba``; ``None`` means
        :class:`~sklearn.linear_model.LogisticRegression`.
    weighter : weighter, default=None
        ``None`` means ``ClassifierWeighter(random_state=random_state)``.
    alpha : float in (0, 1), default=0.1
        Miscoverage rate used when :meth:`predict_set` gets none.
    conformity_score : {"lac", "aps"}, default="lac"
        ``"lac"``: ``1 - p_y(x)``, the smallest sets on average (Sadinle, Lei
        & Wasserman, JASA 2019); ``"aps"``: the probability mass of the
        classes ranked at or above ``y`` (non-randomised adaptive prediction
        sets, Romano, Sesia & Candès, NeurIPS 2020), sets that grow with the
        model's uncertainty.
    calibration_size : float in (0, 1) or int, default=0.3
        Share (or number) of the labeled source rows held out to calibrate;
        the split is stratified by class where every class has 2 rows.
    flatten : float, default=1.0
        Exponent of the ratio; 0 is plain split conformal.
    clip, clip_quantile : float or None, default=None
        Cap the weights as in the weighters.
    random_state : int, RandomState instance or None, default=None
        Seeds the split and the default weighter.

    Attributes
    ----------
    estimator_ : classifier
        The model fit on the training rows.
    weighter_ : weighter or None
        The fitted weighter (None when fit without target rows).
    classes_ : ndarray
        Class labels: the columns of :meth:`predict_set`.
    calibration_scores_, calibration_weights_ : ndarray of shape (n_calibration_,)
        Scores of the calibration rows and their weights (mean 1).
    calibration_rows_ : ndarray of shape (n_calibration_,)
        Positions in the ``X`` given to ``fit`` of the calibration rows.
    n_calibration_, n_train_ : int
        Rows used to calibrate and to fit the model.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of str
        Names of features seen during fit (DataFrame input only).

    See Also
    --------
    WeightedConformalRegressor : Prediction intervals for regression.

    References
    ----------
    .. [1] R. J. Tibshirani, R. Foygel Barber, E. J. Candès and A. Ramdas,
       "Conformal prediction under covariate shift", NeurIPS 2019.
    .. [2] M. Sadinle, J. Lei and L. Wasserman, "Least ambiguous set-valued
       classifiers with bounded error levels", JASA 114, 2019.
    .. [3] Y. Romano, M. Sesia and E. J. Candès, "Classification with valid
       and adaptive coverage", NeurIPS 2020.

    Examples
    --------
    >>> import numpy as np
    >>> import instransfer as it
    >>> from instransfer.conformal import WeightedConformalClassifier
    >>> data = it.datasets.make_covariate_shift(random_state=0)
    >>> y_masked = np.where(data.domain == 1, -1, data.y)
    >>> cp = WeightedConformalClassifier(random_state=0).fit(data.X, y_masked)
    >>> sets = cp.predict_set(data.X[data.domain == 1][:5], alpha=0.1)
    >>> sets.shape, sets.dtype
    ((5, 2), dtype('bool'))
    """

    _task = "classification"

    _parameter_constraints: dict = {
        **BaseWeightedConformal._parameter_constraints,
        "estimator": [HasMethods(["fit", "predict_proba"]), None],
        "conformity_score": [StrOptions({"lac", "aps"})],
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
        alpha=0.1,
        conformity_score="lac",
        calibration_size=0.3,
        flatten=1.0,
        clip=None,
        clip_quantile=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.weighter = weighter
        self.alpha = alpha
        self.conformity_score = conformity_score
        self.calibration_size = calibration_size
        self.flatten = flatten
        self.clip = clip
        self.clip_quantile = clip_quantile
        self.random_state = random_state

    def _default(self):
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression()

    @property
    def classes_(self):
        """Class labels of the fitted model (columns of :meth:`predict_set`)."""
        check_is_fitted(self)
        return self.estimator_.classes_

    def _class_scores(self, proba):
        if self.conformity_score == "lac":
            return 1.0 - proba
        return _aps_scores(proba)

    def _calibration_scores(self, X, y):
        proba = np.asarray(self.estimator_.predict_proba(X), dtype=float)
        scores = self._class_scores(proba)
        classes = np.asarray(self.classes_)
        out = np.ones(y.shape[0])  # a label the model never saw: worst score
        for k, label in enumerate(classes):
            seen = y == label
            out[seen] = scores[seen, k]
        return out

    def predict_set(self, X, alpha=None):
        """Prediction sets valid on the target population.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Test rows (typically target rows).
        alpha : float in (0, 1), default=None
            Miscoverage rate; ``None`` uses ``self.alpha``.

        Returns
        -------
        sets : ndarray of bool, shape (n_samples, n_classes)
            ``sets[i, k]``: class ``classes_[k]`` is in the set of row ``i``.
            Rows whose weight dominates hold every class; a set may be empty
            (no class conforms at this ``alpha``).
        """
        check_is_fitted(self)
        q = self._quantiles(X, alpha)
        scores = self._class_scores(np.asarray(self.predict_proba(X), dtype=float))
        return scores <= q[:, None]

    def score(self, X, y, *, domain=None, sample_weight=None):
        """Accuracy of the point predictions on the target population.

        Labeled target rows (by ``domain``) give the plain accuracy on them;
        otherwise the labeled source rows are weighted by the estimated ratio
        (importance-weighted validation); without ``domain`` and without
        unlabeled rows, all rows count alike.

        Parameters
        ----------
        %(score_params)s

        Returns
        -------
        score : float
        """
        from sklearn.metrics import accuracy_score

        return self._target_score(X, y, domain, sample_weight, accuracy_score)
