"""Weighted HistGradientBoosting at the cost of an unweighted fit.

scikit-learn (up to 1.9) places the bin thresholds of a weighted
:class:`~sklearn.ensemble.HistGradientBoostingClassifier` /
:class:`~sklearn.ensemble.HistGradientBoostingRegressor` at *weighted*
percentiles of each column, computed in Python one percentile at a time
(``_weighted_percentile`` called ``max_bins - 1`` times per column): a weighted
fit cost 3.6x an unweighted one at 2 000-20 000 rows, and 78 % of an
importance-weighted CV fit went there (scikit-learn issue #34304, fixed by
PR #34248 after 1.9.1). A column with at most ``max_bins`` distinct values
skips the percentiles: its thresholds are the midpoints between the values.

The thresholds only place the *candidate* splits; the gradients, hessians,
split gains and leaf values are weighted all the same. So, per column with
more than ``max_bins`` distinct values, we compute the unweighted thresholds
``t_0 < ... < t_{B-2}`` ourselves (the percentiles scikit-learn uses without
weights), hand HistGradientBoosting the bin index ``i`` of each value (``t_{i-1}
< x <= t_i``, as scikit-learn maps values to bins; NaN stays NaN), which it
bins exactly (integer columns, midpoint thresholds ``i + 1/2``), and after the
fit replace every split threshold ``theta`` of such a column by
``t_{floor(theta)}``: on integer bin indices ``b <= theta`` holds exactly when
``b <= floor(theta)``, that is when ``x <= t_{floor(theta)}``. The fitted model
is therefore the weighted fit with unweighted bin placement, and it is the
plain weighted fit exactly when every column has at most ``max_bins`` distinct
values (those columns are handed over unchanged). ``tests/test_hgb.py`` checks
both against scikit-learn.

With the upstream fix installed (scikit-learn >= 1.10) the weighted binning
is fast and this module steps aside.
"""

import re

import numpy as np

__all__ = ["fit_weighted"]

# scikit-learn's own subsample for finding thresholds (_BinMapper.subsample)
_BIN_SUBSAMPLE = 200_000


def _upstream_is_fast():
    """True when scikit-learn bins weighted data fast.

    From 1.10 (the fix of PR #34248), and before 1.7, whose binning ignores
    the weights (measured at 1.6: the plain weighted fit equals the
    unweighted-bins fit).
    """
    import sklearn

    major, minor = (int(p) for p in re.findall(r"\d+", sklearn.__version__)[:2])
    return (major, minor) >= (1, 10) or (major, minor) < (1, 7)


def _is_hgb(estimator):
    # by name first: importing sklearn.ensemble for every weighted fit is slow
    if not any("HistGradientBoosting" in c.__name__ for c in type(estimator).__mro__):
        return False
    from sklearn.ensemble import (
        HistGradientBoostingClassifier,
        HistGradientBoostingRegressor,
    )

    return isinstance(
        estimator, HistGradientBoostingClassifier | HistGradientBoostingRegressor
    )


def _dense_numeric(X):
    """``X`` as a float64 ndarray and its DataFrame metadata, or None."""
    if hasattr(X, "iloc") and hasattr(X, "dtypes"):
        from pandas.api.types import is_bool_dtype, is_numeric_dtype

        if not all(is_numeric_dtype(d) or is_bool_dtype(d) for d in X.dtypes):
            return None  # categorical/object columns: HGB's own handling
        return np.asarray(X, dtype=np.float64), (X.columns, X.index)
    if isinstance(X, np.ndarray) and X.ndim == 2 and X.dtype.kind in "biuf":
        return np.asarray(X, dtype=np.float64), None
    return None


def _thresholds(col, max_bins, rng):
    """Unweighted bin thresholds of a column with more than ``max_bins`` values.

    The same as scikit-learn's ``_find_binning_thresholds`` without weights:
    percentiles ``100 k / max_bins`` by the averaged inverted CDF, duplicates
    removed, on a subsample of 200 000 rows drawn with replacement.
    """
    col = col[~np.isnan(col)]
    if col.shape[0] > _BIN_SUBSAMPLE:
        col = col[rng.choice(col.shape[0], _BIN_SUBSAMPLE, replace=True)]
    percentiles = np.linspace(0, 100, num=max_bins + 1)[1:-1]
    t = np.unique(np.percentile(col, percentiles, method="averaged_inverted_cdf"))
    return np.clip(t, None, np.finfo(np.float64).max)


def _to_bins(X, max_bins, rng):
    """Bin indices of the columns with more than ``max_bins`` distinct values.

    Returns the new array and ``{column: thresholds}`` of the columns mapped.
    """
    Xb, mapped = X, {}
    for j in range(X.shape[1]):
        col = X[:, j]
        values = np.unique(col[~np.isnan(col)])
        if values.shape[0] <= max_bins:
            continue  # scikit-learn's midpoints, weighted or not: keep as is
        t = _thresholds(col, max_bins, rng)
        if Xb is X:
            Xb = X.copy()
        # scikit-learn's bin of x: the number of thresholds strictly below x
        b = np.searchsorted(t, col, side="left").astype(np.float64)
        b[np.isnan(col)] = np.nan
        Xb[:, j] = b
        mapped[j] = t
    return Xb, mapped


def _raw_threshold(theta, t):
    """Raw-scale threshold of a split ``bin <= theta`` on bin indices."""
    out = np.full(theta.shape, np.inf)
    finite = np.isfinite(theta)
    k = np.floor(theta[finite]).astype(np.int64)
    inside = k < t.shape[0]
    out_f = out[finite]
    out_f[inside] = t[k[inside]]
    out[finite] = out_f
    return out


def _restore_thresholds(model, mapped):
    """Put raw-scale thresholds into the fitted trees and bin mapper."""
    for trees in model._predictors:
        for predictor in trees:
            nodes = predictor.nodes
            split = (nodes["is_leaf"] == 0) & (nodes["is_categorical"] == 0)
            for j, t in mapped.items():
                rows = split & (nodes["feature_idx"] == j)
                if rows.any():
                    nodes["num_threshold"][rows] = _raw_threshold(
                        nodes["num_threshold"][rows], t
                    )
    bin_mapper = model._bin_mapper
    for j, t in mapped.items():
        bin_mapper.bin_thresholds_[j] = _raw_threshold(
            np.asarray(bin_mapper.bin_thresholds_[j], dtype=np.float64), t
        )


def _fast_path_applies(estimator, X, sample_weight):
    if sample_weight is None or not _is_hgb(estimator) or _upstream_is_fast():
        return False
    # warm_start continues on the binning of the previous fit; explicit
    # categorical features are reordered by HGB: both keep the plain fit
    if estimator.warm_start:
        return False
    cats = estimator.categorical_features
    return cats is None or (isinstance(cats, str) and cats == "from_dtype")


def fit_weighted(estimator, X, y, sample_weight):
    """``estimator.fit(X, y, sample_weight=sample_weight)``, fast for HGB.

    For a HistGradientBoosting estimator on a numeric array or DataFrame the
    bin thresholds are placed without the weights (module docstring); any
    other estimator, input or scikit-learn with the upstream fix gets the
    plain call.

    Parameters
    ----------
    estimator : estimator
        Unfitted estimator, fitted in place.
    X : array-like of shape (n_samples, n_features)
        Training rows.
    y : array-like of shape (n_samples,)
        Targets.
    sample_weight : array-like of shape (n_samples,) or None
        Weights.

    Returns
    -------
    estimator : estimator
        The fitted ``estimator``.
    """
    if not _fast_path_applies(estimator, X, sample_weight):
        return estimator.fit(X, y, sample_weight=sample_weight)
    dense = _dense_numeric(X)
    if dense is None:
        return estimator.fit(X, y, sample_weight=sample_weight)
    A, frame = dense
    # seeded from the estimator so that refits are reproducible; only used
    # above 200 000 rows, as scikit-learn's own subsample
    seed = estimator.random_state
    rng = np.random.RandomState(seed if isinstance(seed, int | np.integer) else 0)
    Xb, mapped = _to_bins(A, estimator.max_bins, rng)
    if not mapped:
        return estimator.fit(X, y, sample_weight=sample_weight)
    if frame is not None:
        import pandas as pd

        Xb = pd.DataFrame(Xb, columns=frame[0], index=frame[1])
    estimator.fit(Xb, y, sample_weight=sample_weight)
    _restore_thresholds(estimator, mapped)
    return estimator
