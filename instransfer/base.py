"""The weighter contract.

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

This module holds the contract only. The importance-weighted estimators live
in :mod:`instransfer._importance_weighted` (re-exported here and at the top
level), the domain conventions and :func:`~instransfer.stack_domains` in
:mod:`instransfer.utils._domain`; see ``docs/architecture.rst``.
"""

import contextlib
from abc import abstractmethod

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import ClassifierTags
from sklearn.utils.validation import check_is_fitted, validate_data

from ._kernels import single_threaded_blas
from ._lazy import attach
from ._validation import (
    _num_rows,
    check_feature_scales,
    check_frame,
    check_numeric_covariates,
)
from ._weights import (
    ALL_ZERO_WEIGHTS,
    POSTPROCESS_CONSTRAINTS,
    WeightTransform,
    log_mean_exp,
)
from .utils._compat import _fit_context, _safe_indexing
from .utils._domain import as_indexable, check_domain

# The weighted estimators and the stacking helpers lived here once; their old
# import paths (instransfer.base.ImportanceWeightedClassifier, ...) still work,
# resolved on first use: importing them here would make the contract depend on
# the weighters built on it.
_getattr, _dir, _moved = attach(
    __name__,
    {
        "ImportanceWeightedClassifier": "instransfer._importance_weighted",
        "ImportanceWeightedRegressor": "instransfer._importance_weighted",
        "importance_weights": "instransfer._importance_weighted",
        "stack_domains": "instransfer.utils._domain",
    },
)

__all__ = ["BaseWeighter", *_moved]


def __getattr__(name):
    return _getattr(name)


_MAX_LOG_RATIO = 700.0  # exp(700) ~ 1e304 < float64 max


def _is_dask(X):
    # by module name: in-memory input never imports dask (import stays light)
    return type(X).__module__.startswith("dask") and _dask_collection(X)


def _dask_collection(X):
    from ._dask import is_dask_collection

    return is_dask_collection(X)


class BaseWeighter(BaseEstimator):
    """Base class of every weighter: estimates ``p_target(x) / p_source(x)``.

    Subclasses implement the algorithm only:

    - ``_fit_log_ratio(X_source, X_target)`` fits and returns the log-ratio at
      the source rows (``-inf`` allowed for a zero weight); a weighter that
      needs the stacked rows as passed (cross-fitting, a user's splitter)
      implements ``_fit_stacked(X, is_target)`` instead, with the same
      return value;
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
    diagnostics_ : dict
        What ``fit`` measured on its own rows (never changing the weights):
        ``ess``, ``ess_fraction``, ``max_share`` and ``max_row`` (the largest
        weight's share and position), ``balance`` (weighted SMD per encoded
        column, before and after, with ``imbalanced`` / ``collapsed`` flags)
        and ``overlap`` (share of target rows without source support). ``fit``
        warns from them: :class:`~instransfer.exceptions.WeightConcentrationWarning`,
        :class:`~instransfer.exceptions.NoOverlapWarning`,
        :class:`~instransfer.exceptions.ResidualImbalanceWarning` (see
        :doc:`/diagnostics`).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of str
        Names of features seen during ``fit`` (DataFrame input only).
    """

    _parameter_constraints: dict = dict(POSTPROCESS_CONSTRAINTS)

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
        if _is_dask(X):
            from ._dask import _weighter

            return _weighter.fit(self, X, y)
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
        self.n_source_, self.n_target_ = int((~is_target).sum()), int(is_target.sum())
        with self._blas_context():
            log_r = self._fit_stacked(X, is_target)
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
        from ._diagnostics import record_fit_diagnostics  # sets diagnostics_, warns

        record_fit_diagnostics(self, X, is_target)
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
        if _is_dask(X):  # a lazy dask array, one block per partition
            from ._dask import _weighter

            return _weighter.predict_ratio(self, X)
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
            A lazy dask array when ``X`` is a dask collection.
        """
        check_is_fitted(self)
        if _is_dask(X):
            from ._dask import _weighter

            return _weighter.predict_weights(self, X)
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
        if _is_dask(X):
            from ._dask import _weighter

            return _weighter.score(self, X, y)
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

    def _fit_stacked(self, X, is_target):
        """Fit on the stacked rows; return the log-ratio at the source rows.

        The hook :meth:`fit` calls, with ``X`` validated and ``is_target`` the
        domain as a mask. The default hands each domain's rows to
        :meth:`_fit_log_ratio`. A weighter that needs the rows as passed (to
        cross-fit over them, or to split them with a user's splitter)
        overrides this instead: it then neither re-stacks the two blocks nor
        keeps the domain on ``self``.
        """
        return self._fit_log_ratio(
            _safe_indexing(X, ~is_target), _safe_indexing(X, is_target)
        )

    def _fit_log_ratio(self, X_source, X_target):
        """Fit; return the log-ratio at the source rows."""
        raise NotImplementedError

    @abstractmethod
    def _log_ratio(self, X):
        """Log-ratio at new rows, on the scale of ``_fit_log_ratio``."""

    def _validate_X(self, X, reset):
        check_frame(X, type(self).__name__)
        if self._validate_numeric:
            check_numeric_covariates(X, type(self).__name__)
            return validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])
        validate_data(self, X, reset=reset, skip_check_array=True)
        return as_indexable(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        # The domain is a binary label: the common checks then draw 0/1 domains.
        tags.classifier_tags = ClassifierTags(multi_class=False)
        return tags
