"""The base of every meta-estimator fit on stacked source and target rows.

A domain-aware meta-estimator wraps an ``estimator`` and is fit with
``fit(X, y, *, domain=None, sample_weight=None)`` on one stacked ``X``. This
base does, once, what every such family needs:

- :meth:`BaseDomainMetaEstimator._resolve` validates ``X`` (feature names and
  count, not values: the inner estimator checks those), and resolves
  ``(X, y, domain, sample_weight)`` into target rows and labeled source rows
  (:func:`~instransfer.utils._domain.resolve_stacked`), and refuses a plain
  scikit-learn scorer in a cross-validation whose held-out ``y`` marks
  unlabeled rows (:func:`~instransfer.utils._scoring.check_cv_scorer`);
- ``predict``, ``predict_proba``, ``predict_log_proba`` and
  ``decision_function`` delegate to the fitted model (``estimator_``, or the
  attribute named by ``_delegate_attr``), each present exactly when that
  model has it (``available_if``);
- the input tags (NaN, strings, categorical, sparse) are the wrapped
  estimator's.

Subclasses set ``_task`` (``"classification"`` or ``"regression"``),
implement ``_default()`` (the estimator used when ``estimator=None``) and
``fit``. The estimators that also fit a weighter build on its subclass
:class:`instransfer._importance_weighted.BaseWeightedMetaEstimator`.
"""

from sklearn.base import BaseEstimator, MetaEstimatorMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, validate_data

from ._compat import safe_tags
from ._domain import resolve_stacked
from ._scoring import check_cv_scorer

__all__ = ["BaseDomainMetaEstimator"]


def _estimator_has(attr):
    """``available_if`` check: the fitted (or, unfitted, the given) model."""

    def check(self):
        return hasattr(self._delegate(), attr)

    return check


class BaseDomainMetaEstimator(MetaEstimatorMixin, BaseEstimator):
    """Base of meta-estimators fit on stacked rows with a per-row domain.

    Subclasses set ``_task``, implement ``_default`` and ``fit`` (calling
    :meth:`_resolve` first), and set ``estimator_``; prediction is delegated
    to it.
    """

    _task = None  # "classification" or "regression"
    # the fitted model that predictions are delegated to
    _delegate_attr = "estimator_"

    def _default(self):
        raise NotImplementedError

    def _get_estimator(self):
        return self.estimator if self.estimator is not None else self._default()

    def _delegate(self):
        """The fitted model, or before fit the estimator that will be fit."""
        fitted = getattr(self, self._delegate_attr, None)
        return fitted if fitted is not None else self._get_estimator()

    def _resolve(self, X, y, domain=None, sample_weight=None):
        """Validate ``X`` (resetting ``n_features_in_``) and resolve the rows.

        Returns
        -------
        rows : :class:`~instransfer.utils._domain.StackedRows`
        """
        validate_data(self, X, reset=True, skip_check_array=True)
        # warnings point at the caller of fit: fit's wrapper, fit, this, ...
        rows = resolve_stacked(X, y, domain, sample_weight, self._task, stacklevel=6)
        check_cv_scorer(self, self._task)
        return rows

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
        return getattr(self, self._delegate_attr).predict(X)

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
        return getattr(self, self._delegate_attr).predict_proba(X)

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
        return getattr(self, self._delegate_attr).predict_log_proba(X)

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
        return getattr(self, self._delegate_attr).decision_function(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        est = safe_tags(self._get_estimator())
        if est is not None:  # third-party estimators without tags keep defaults
            for name in ("allow_nan", "string", "categorical", "sparse"):
                setattr(tags.input_tags, name, getattr(est.input_tags, name))
        return tags
