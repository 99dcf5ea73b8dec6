"""Shared plumbing of the weighted conformal estimators.

``fit`` splits the labeled source rows into a training part (the wrapped
model) and a calibration part (the scores), fits the weighter on all stacked
rows, and keeps the calibration scores with their weights. Subclasses give
the score (``_calibration_scores``) and the prediction region.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._importance_weighted import BaseWeightedMetaEstimator
from .._weights import POSTPROCESS_CONSTRAINTS, WeightTransform
from ..exceptions import UnboundedPredictionWarning
from ..utils._compat import HasMethods, Interval, _fit_context, _safe_indexing
from ..utils._docstrings import fill_doc
from ..utils._domain import as_indexable
from ._quantile import check_alpha, min_calibration_rows, weighted_conformal_quantile


def default_conformal_weighter(random_state, sparse=False):
    """The conformal estimators' default: a domain classifier on spline features.

    A logistic regression linear in ``x`` cannot represent a log-ratio that
    is curved in ``x`` (a target narrower or wider than the source gives a
    quadratic one), and weighted conformal prediction then under-covers the
    target: 0.790 ± 0.008 at nominal 0.9 on the benchmark's variance shift,
    where a cubic B-spline basis per column (additive log-odds) covers
    (benchmarks/results/conformal.md, "Choice of the default weighter").
    Only the ratio at new rows is used (``predict_ratio``), never the
    cross-fitted ``weights_``, so the classifier is fit once
    (``cv="in_sample"``). Sparse input keeps the linear default:
    scikit-learn's ``SplineTransformer`` needs dense input.
    """
    from ..density_ratio import ClassifierWeighter

    if sparse:
        return ClassifierWeighter(cv="in_sample", random_state=random_state)
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import SplineTransformer

    return ClassifierWeighter(
        make_pipeline(SplineTransformer(), LogisticRegression()),
        cv="in_sample",
        random_state=random_state,
    )


def _name_text_columns(X, exc):
    """Re-raise a failure on a DataFrame's text columns with the recipe.

    The model is the user's (it may encode text itself, e.g. a Pipeline), so
    the columns are named only once the model or the weighter has failed,
    instead of scikit-learn's "could not convert string to float".
    """
    import pandas as pd

    if not isinstance(X, pd.DataFrame):
        return
    text = [
        c
        for c, t in X.dtypes.items()
        if not (pd.api.types.is_numeric_dtype(t) or pd.api.types.is_bool_dtype(t))
    ]
    if text:
        raise ValueError(
            f"The non-numeric columns {text[:10]} of X cannot be read by the model "
            "and the weighter: encode the stacked X first (X = instransfer."
            "preprocessing.CovariateEncoder().fit_transform(X), source and target "
            "rows together; see 'Mixed-type cohort tables' in the data "
            "convention guide)."
        ) from exc


@fill_doc
class BaseWeightedConformal(BaseWeightedMetaEstimator):
    """Split weighted conformal prediction on stacked source and target rows.

    Input resolution, prediction delegation and tags come from
    :class:`~instransfer.utils._meta.BaseDomainMetaEstimator`.
    """

    _task = None

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "weighter": [HasMethods(["fit", "predict_ratio"]), None],
        "alpha": [Interval(Real, 0, 1, closed="neither")],
        "calibration_size": [
            Interval(Real, 0, 1, closed="neither"),
            Interval(Integral, 1, None, closed="left"),
        ],
        **POSTPROCESS_CONSTRAINTS,
        "random_state": ["random_state"],
    }

    def _get_weighter(self):
        if self.weighter is not None:
            return self.weighter
        return default_conformal_weighter(self.random_state)

    def _fit_weighter(self, X, is_target):
        import scipy.sparse as sp

        if self.weighter is None and is_target.any() and sp.issparse(X):
            wtr = default_conformal_weighter(self.random_state, sparse=True)
            return wtr.fit(X, is_target.astype(int))
        return super()._fit_weighter(X, is_target)

    def _split(self, fit_idx, y_fit, rng):
        """Training and calibration positions among the labeled source rows."""
        n = fit_idx.shape[0]
        if n < 2:
            raise ValueError(
                f"Found n_samples={n} labeled source row(s); split conformal "
                "needs at least 2 (one to fit the model, one to calibrate), and "
                "(1 - alpha) / alpha calibration rows for finite intervals."
            )
        if isinstance(self.calibration_size, Integral):
            n_cal = int(self.calibration_size)
        else:
            n_cal = int(round(self.calibration_size * n))
        n_cal = min(max(n_cal, 1), n - 1)
        perm = rng.permutation(n)
        if self._task == "classification":
            # stratified where possible: a class missing from the training part
            # would have no probability column
            labels, counts = np.unique(y_fit, return_counts=True)
            if counts.min() >= 2 and min(n_cal, n - n_cal) >= labels.shape[0]:
                from sklearn.model_selection import train_test_split

                train, cal = train_test_split(
                    np.arange(n), test_size=n_cal, stratify=y_fit, random_state=rng
                )
                return np.sort(train), np.sort(cal)
        return np.sort(perm[n_cal:]), np.sort(perm[:n_cal])

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, *, domain=None):
        """Fit the model on source rows, the weighter on all rows, calibrate.

        Parameters
        ----------
        %(fit_X)s
        %(fit_y)s
        %(fit_domain)s

        Returns
        -------
        self : object
        """
        rows = self._resolve(X, y, domain)
        X, is_target, y_fit = rows.X, rows.is_target, rows.y_fit
        # labeled target rows: a score without domain warns that it takes them
        # for source rows (utils._scoring)
        self._n_labeled_target = rows.n_labeled_target
        fit_idx = np.flatnonzero(rows.fit_rows)
        rng = check_random_state(self.random_state)
        try:
            cal = self._fit_model_and_scores(X, fit_idx, y_fit, rng)
            # no target rows (warned by resolve_rows): plain split conformal
            self.weighter_ = self._fit_weighter(X, is_target)
        except ValueError as exc:
            _name_text_columns(X, exc)
            raise
        ratio = self._full_ratio(_safe_indexing(X, fit_idx[cal]))
        self._transform = WeightTransform(self.flatten, self.clip, self.clip_quantile)
        self.calibration_weights_ = self._transform.fit_transform(ratio)
        self.calibration_rows_ = fit_idx[cal]
        self.n_calibration_ = int(cal.shape[0])
        return self

    def _fit_model_and_scores(self, X, fit_idx, y_fit, rng):
        """Split, fit the model, score the calibration rows; return their positions."""
        train, cal = self._split(fit_idx, y_fit, rng)
        X_train = _safe_indexing(X, fit_idx[train])
        self.estimator_ = clone(self._get_estimator()).fit(X_train, y_fit[train])
        self._fit_extra(X_train, y_fit[train], rng)
        X_cal = _safe_indexing(X, fit_idx[cal])
        self.calibration_scores_ = self._calibration_scores(X_cal, y_fit[cal])
        self.n_train_ = int(train.shape[0])
        return cal

    def _fit_extra(self, X_train, y_train, rng):
        """Fit anything besides the model on the training rows (scale models)."""

    def test_weights(self, X):
        """Weight of each row of ``X`` as a test point, on the calibration scale.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Test rows.

        Returns
        -------
        weights : ndarray of shape (n_samples,)
            The ratio at ``X`` flattened and clipped as the calibration
            weights (``calibration_weights_``, mean 1).
        """
        check_is_fitted(self)
        return self._transform.transform(self._full_ratio(as_indexable(X)))

    def _quantiles(self, X, alpha):
        check_is_fitted(self)
        alpha = self._check_enough_rows(alpha)
        w = self.test_weights(X)
        q = weighted_conformal_quantile(
            self.calibration_scores_, self.calibration_weights_, w, alpha
        )
        self._warn_unbounded(q, alpha)
        return q

    def _check_enough_rows(self, alpha):
        alpha = check_alpha(self.alpha if alpha is None else alpha)
        needed = min_calibration_rows(alpha)
        if self.n_calibration_ < needed:
            raise ValueError(
                f"alpha={alpha:g} needs at least {needed} calibration rows for a "
                f"finite interval even without shift; this model has "
                f"{self.n_calibration_}. Give more labeled source rows, a larger "
                "calibration_size, or a larger alpha."
            )
        return alpha

    def _warn_unbounded(self, q, alpha):
        n_inf = int(np.isinf(q).sum())
        if n_inf:
            limit = alpha / (1 - alpha) * self.calibration_weights_.sum()
            warnings.warn(
                f"{n_inf} of {q.shape[0]} test rows get an unbounded "
                f"{'interval' if self._task == 'regression' else 'set (all classes)'}"
                f": their weight exceeds {limit:.3g}, alpha / (1 - alpha) times "
                "the calibration weights' sum, so the calibration rows cannot "
                "vouch for them. Use more calibration rows, a larger alpha, or "
                "flatten < 1.",
                UnboundedPredictionWarning,
                stacklevel=4,
            )
