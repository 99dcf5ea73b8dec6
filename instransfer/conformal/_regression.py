"""Weighted split conformal prediction intervals for regression."""

import numpy as np
from sklearn.base import RegressorMixin, clone
from sklearn.utils.validation import check_is_fitted

from ..utils._compat import HasMethods, StrOptions
from ..utils._docstrings import fill_doc
from ._base import BaseWeightedConformal


@fill_doc
class WeightedConformalRegressor(RegressorMixin, BaseWeightedConformal):
    """Prediction intervals that cover the *target's* outcomes (weighted conformal).

    The wrapped regressor is fit on a training part of the labeled source
    rows; the rest (``calibration_size``) are the calibration rows, whose
    non-conformity scores are weighted by the estimated density ratio
    ``p_target(x) / p_source(x)``. The interval of a test point ``x`` is
    ``mu(x) +/- q(x)`` (``mu(x) +/- q(x) sigma(x)`` for the normalised score),
    ``q(x)`` the ``1 - alpha`` quantile of the calibration scores weighted
    with the test point's own weight included (Tibshirani, Barber, Candès &
    Ramdas, NeurIPS 2019, Corollary 1). With the true ratio, target outcomes
    fall inside with probability ``>= 1 - alpha`` under covariate shift; with
    equal weights (``flatten=0``, or no target rows) it is plain split
    conformal exactly.

    When a test point's weight exceeds ``alpha / (1 - alpha)`` times the sum
    of the calibration weights, the quantile is undefined and its interval is
    ``(-inf, inf)``; :meth:`predict_interval` warns with
    :class:`~instransfer.exceptions.UnboundedPredictionWarning` and how many.

    Parameters
    ----------
    estimator : regressor, default=None
        Point predictor; ``None`` means :class:`~sklearn.linear_model.Ridge`.
        Any model works: the guarantee does not depend on it.
    weighter : weighter, default=None
        Estimates the ratio from the stacked rows; ``None`` means
        ``ClassifierWeighter(random_state=random_state)``.
    alpha : float in (0, 1), default=0.1
        Miscoverage rate used when :meth:`predict_interval` gets none.
    conformity_score : {"absolute", "normalized"}, default="absolute"
        ``"absolute"``: ``|y - mu(x)|``, intervals of one width up to the
        weights. ``"normalized"``: ``|y - mu(x)| / sigma(x)``, ``sigma`` a
        model of the absolute residual (``scale_estimator``) fit on
        out-of-fold residuals of the training rows, so intervals widen where
        the model errs more (locally weighted conformal, Lei et al., JASA
        2018, Sec. 5.2).
    scale_estimator : regressor, default=None
        Model of ``|y - mu(x)|`` for ``conformity_score="normalized"``; ``None`` means
        :class:`~sklearn.ensemble.HistGradientBoostingRegressor`. Its
        predictions are floored at 5 % of the mean absolute residual.
    calibration_size : float in (0, 1) or int, default=0.3
        Share (or number) of the labeled source rows held out to calibrate.
        A finite interval needs at least ``(1 - alpha) / alpha`` of them even
        without shift (9 for ``alpha=0.1``); under shift, many more.
    flatten : float, default=1.0
        Exponent of the ratio (``w ** flatten``); 0 is plain split conformal.
    clip, clip_quantile : float or None, default=None
        Cap the weights as in the weighters (this voids the guarantee where
        it bites, for shorter intervals).
    random_state : int, RandomState instance or None, default=None
        Seeds the split and the default weighter.

    Attributes
    ----------
    estimator_ : regressor
        The model fit on the training rows.
    weighter_ : weighter or None
        The fitted weighter (None when fit without target rows).
    scale_estimator_ : regressor or None
        The fitted scale model (``conformity_score="normalized"``).
    calibration_scores_ : ndarray of shape (n_calibration_,)
        Non-conformity scores of the calibration rows.
    calibration_weights_ : ndarray of shape (n_calibration_,)
        Their weights (mean 1).
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
    WeightedConformalClassifier : Prediction sets for classification.
    instransfer.metrics.target_performance : The model's target risk with an
        interval.

    References
    ----------
    .. [1] R. J. Tibshirani, R. Foygel Barber, E. J. Candès and A. Ramdas,
       "Conformal prediction under covariate shift", NeurIPS 2019.
    .. [2] J. Lei, M. G'Sell, A. Rinaldo, R. J. Tibshirani and L. Wasserman,
       "Distribution-free predictive inference for regression", JASA 113,
       2018.

    Examples
    --------
    >>> import numpy as np
    >>> import instransfer as it
    >>> from instransfer.conformal import WeightedConformalRegressor
    >>> data = it.datasets.make_covariate_shift(task="regression", random_state=0)
    >>> y_masked = np.where(data.domain == 1, np.nan, data.y)
    >>> cp = WeightedConformalRegressor(random_state=0).fit(data.X, y_masked)
    >>> cp.predict_interval(data.X[data.domain == 1][:3], alpha=0.1).shape
    (3, 2)
    """

    _task = "regression"

    _parameter_constraints: dict = {
        **BaseWeightedConformal._parameter_constraints,
        "conformity_score": [StrOptions({"absolute", "normalized"})],
        "scale_estimator": [HasMethods(["fit", "predict"]), None],
    }

    def __init__(
        self,
        estimator=None,
        weighter=None,
        *,
        alpha=0.1,
        conformity_score="absolute",
        scale_estimator=None,
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
        self.scale_estimator = scale_estimator
        self.calibration_size = calibration_size
        self.flatten = flatten
        self.clip = clip
        self.clip_quantile = clip_quantile
        self.random_state = random_state

    def _default(self):
        from sklearn.linear_model import Ridge

        return Ridge()

    def _fit_extra(self, X_train, y_train, rng):
        self.scale_estimator_ = None
        if self.conformity_score != "normalized":
            return
        from sklearn.model_selection import KFold, cross_val_predict

        n = y_train.shape[0]
        if n < 4:
            raise ValueError(
                f"conformity_score='normalized' needs at least 4 training rows for the "
                f"out-of-fold residuals of its scale model; got {n}. Use "
                "conformity_score='absolute' or more labeled source rows."
            )
        cv = KFold(min(5, n // 2), shuffle=True, random_state=rng.randint(2**31))
        oof = cross_val_predict(clone(self._get_estimator()), X_train, y_train, cv=cv)
        abs_resid = np.abs(y_train - oof)
        if self.scale_estimator is None:
            from sklearn.ensemble import HistGradientBoostingRegressor

            scale = HistGradientBoostingRegressor(max_iter=100, random_state=0)
        else:
            scale = clone(self.scale_estimator)
        self.scale_estimator_ = scale.fit(X_train, abs_resid)
        # a scale near 0 (or negative, from a linear scale model) would make
        # the score explode: floor it at a small share of the typical error
        self._scale_floor = max(0.05 * float(abs_resid.mean()), 1e-12)

    def _scale(self, X):
        if self.scale_estimator_ is None:
            return None
        s = np.asarray(self.scale_estimator_.predict(X), dtype=float)
        return np.maximum(s, self._scale_floor)

    def _calibration_scores(self, X, y):
        resid = np.abs(y - np.asarray(self.estimator_.predict(X), dtype=float))
        scale = self._scale(X)
        return resid if scale is None else resid / scale

    def predict_interval(self, X, alpha=None):
        """Prediction intervals valid on the target population.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Test rows (typically target rows).
        alpha : float in (0, 1), default=None
            Miscoverage rate; ``None`` uses ``self.alpha``.

        Returns
        -------
        intervals : ndarray of shape (n_samples, 2)
            Lower and upper ends; ``-inf`` and ``inf`` for the test rows whose
            weight dominates (see the class description).
        """
        check_is_fitted(self)
        q = self._quantiles(X, alpha)
        mu = np.asarray(self.predict(X), dtype=float)
        scale = self._scale(X)
        half = q if scale is None else q * scale
        half = np.where(np.isinf(q), np.inf, half)  # inf * 0 would be NaN
        return np.column_stack([mu - half, mu + half])

    def score(self, X, y, *, domain=None, sample_weight=None):
        """R² of the point predictions on the target population.

        Labeled target rows (by ``domain``) give the plain R² on them;
        otherwise the labeled source rows are weighted by the estimated ratio
        (importance-weighted validation, Sugiyama et al., JMLR 2007); without
        ``domain`` and without ``NaN`` rows, all rows count alike.

        Parameters
        ----------
        %(score_params)s

        Returns
        -------
        score : float
        """
        from sklearn.metrics import r2_score

        return self._target_score(X, y, domain, sample_weight, r2_score)
