"""Weighted HistGradientBoosting with unweighted bin placement (``_hgb.py``)."""

from unittest import mock

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.ensemble._hist_gradient_boosting import binning
from sklearn.linear_model import LogisticRegression

from instransfer import _hgb
from instransfer._hgb import fit_weighted

KW = dict(max_iter=15, early_stopping=False, random_state=0)

# scikit-learn < 1.7 places HGB's bins without the weights: the fast path
# steps aside there (``_upstream_is_fast``), so there is nothing to compare
pytestmark = pytest.mark.skipif(
    _hgb._upstream_is_fast(), reason="this scikit-learn bins weighted data fast"
)


def _data(n=3000, seed=0, regression=False):
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n, 5))
    X[rng.random_sample(X.shape) < 0.05] = np.nan  # missing values too
    X[:, 3] = rng.randint(0, 7, n)  # a column with few distinct values
    f = np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 1]) ** 2
    y = f + rng.standard_normal(n) if regression else (f > 1).astype(int)
    w = np.exp(1.5 * rng.standard_normal(n))  # skewed, as importance weights
    return X, y, w


def _unweighted_binning_fit(est, X, y, w):
    """The reference: scikit-learn's own fit with the binning not weighted."""
    fit = binning._BinMapper.fit

    def unweighted(self, X, y=None, sample_weight=None):
        return fit(self, X, y)

    with mock.patch.object(binning._BinMapper, "fit", unweighted):
        return est.fit(X, y, sample_weight=w)


@pytest.mark.parametrize("regression", [False, True])
def test_equals_weighted_fit_with_unweighted_bins(regression):
    X, y, w = _data(regression=regression)
    cls = (
        HistGradientBoostingRegressor if regression else HistGradientBoostingClassifier
    )
    fast = fit_weighted(cls(**KW), X, y, w)
    ref = _unweighted_binning_fit(cls(**KW), X, y, w)
    plain = cls(**KW).fit(X, y, sample_weight=w)
    method = "predict" if regression else "predict_proba"
    X_new, _, _ = _data(n=2000, seed=1, regression=regression)
    np.testing.assert_array_equal(
        getattr(fast, method)(X_new), getattr(ref, method)(X_new)
    )
    # it is not the plain weighted fit: the bins do differ (the test has teeth)
    assert not np.allclose(getattr(fast, method)(X_new), getattr(plain, method)(X_new))


def test_exact_when_columns_have_at_most_max_bins_values():
    X, y, w = _data()
    X = np.round(X, 1)  # at most ~80 distinct values per column
    X_df = pd.DataFrame(X, columns=[f"c{j}" for j in range(X.shape[1])])
    for max_bins in (255, 100):
        est = HistGradientBoostingClassifier(max_bins=max_bins, **KW)
        fast = fit_weighted(est, X_df, y, w)
        plain = HistGradientBoostingClassifier(max_bins=max_bins, **KW)
        plain.fit(X_df, y, sample_weight=w)
        np.testing.assert_array_equal(
            fast.predict_proba(X_df), plain.predict_proba(X_df)
        )
        assert list(fast.feature_names_in_) == list(X_df.columns)
    # with fewer bins than values the columns are mapped, and the fit differs
    fast = fit_weighted(HistGradientBoostingClassifier(max_bins=20, **KW), X, y, w)
    plain = HistGradientBoostingClassifier(max_bins=20, **KW).fit(X, y, sample_weight=w)
    assert not np.allclose(fast.predict_proba(X), plain.predict_proba(X))


def test_split_thresholds_are_raw_values():
    # a step at x = 0.3 found through bins: the threshold is a raw value
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, (4000, 1))
    y = (X[:, 0] > 0.3).astype(int)
    est = HistGradientBoostingClassifier(
        max_iter=1, max_depth=1, **{k: v for k, v in KW.items() if k != "max_iter"}
    )
    fit_weighted(est, X, y, rng.uniform(0.5, 2, 4000))
    root = est._predictors[0][0].nodes[0]
    assert abs(root["num_threshold"] - 0.3) < 0.02


def test_steps_aside():
    X, y, w = _data(n=500)
    # other estimators, no weights, warm_start: the plain call
    lr = fit_weighted(LogisticRegression(), X[:, 3:4], y, w)
    assert hasattr(lr, "coef_")
    for est in (
        HistGradientBoostingClassifier(warm_start=True, **KW),
        HistGradientBoostingClassifier(categorical_features=[3], **KW),
    ):
        with mock.patch.object(est, "fit", wraps=est.fit) as fit:
            fit_weighted(est, X, y, w)
        assert fit.call_args.args[0] is X
    est = HistGradientBoostingClassifier(**KW)
    with mock.patch.object(_hgb, "_upstream_is_fast", return_value=True):
        with mock.patch.object(est, "fit", wraps=est.fit) as fit:
            fit_weighted(est, X, y, w)
    assert fit.call_args.args[0] is X


def test_upstream_version_check():
    with mock.patch("sklearn.__version__", "1.9.1"):
        assert not _hgb._upstream_is_fast()
    with mock.patch("sklearn.__version__", "1.10.dev0"):
        assert _hgb._upstream_is_fast()


def test_weighted_wrapper_uses_fast_path():
    import instransfer as it

    X, y, w = _data(n=1500)
    domain = (np.arange(X.shape[0]) % 3 == 0).astype(int)
    y_m = np.where(domain == 1, -1, y)
    est = HistGradientBoostingClassifier(**KW)
    with mock.patch.object(
        _hgb, "_restore_thresholds", wraps=_hgb._restore_thresholds
    ) as rt:
        it.ImportanceWeightedClassifier(est, random_state=0).fit(np.nan_to_num(X), y_m)
    assert rt.call_count == 1


def test_boosting_uses_fast_path():
    import instransfer as it

    X, y, _ = _data(n=600)
    domain = (np.arange(X.shape[0]) % 3 == 0).astype(int)
    y_m = np.where(domain == 1, -1, y)
    y_m[:30] = y[:30]  # a few labeled target rows
    domain[:30] = 1
    est = HistGradientBoostingClassifier(max_iter=5, early_stopping=False)
    with mock.patch.object(
        _hgb, "_restore_thresholds", wraps=_hgb._restore_thresholds
    ) as rt:
        it.TrAdaBoostClassifier(est, n_estimators=3, random_state=0).fit(
            np.nan_to_num(X), y_m, domain=domain
        )
    assert rt.call_count >= 1
