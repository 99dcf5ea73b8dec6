"""Weighted jackknife+ / CV+ (JAWS): exact answers against brute force and MAPIE."""

import math

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, Ridge

from instransfer import ClassifierWeighter
from instransfer.conformal import WeightedConformalRegressor
from instransfer.conformal._quantile import weighted_quantile_rows
from instransfer.datasets import make_covariate_shift
from instransfer.exceptions import UnboundedPredictionWarning
from tests.test_conformal import OracleWeighter, _brute_quantile


def _small(seed=0, n=40, shift=1.0):
    data = make_covariate_shift(
        n, n, 2, shift=shift, task="regression", random_state=seed
    )
    return data, np.where(data.domain == 1, np.nan, data.y)


def _left_out_predictions(cp, X_s, y_s, X_t, model=LinearRegression):
    """Explicit refits without each row's fold: mu_{-i}(x) and R_i."""
    folds = cp.calibration_folds_
    mu = np.empty((X_t.shape[0], folds.shape[0]))
    resid = np.empty(folds.shape[0])
    for i in range(folds.shape[0]):
        keep = folds != folds[i]
        fit = model().fit(X_s[keep], y_s[keep])
        resid[i] = abs(y_s[i] - fit.predict(X_s[i : i + 1])[0])
        mu[:, i] = fit.predict(X_t)
    return mu, resid


@pytest.mark.parametrize("method", ["jackknife+", "cv+"])
@pytest.mark.parametrize("alpha", [0.1, 0.2])
def test_equal_weights_is_plain_jackknife_plus_by_brute_force(method, alpha):
    data, y_masked = _small()
    s, t = data.domain == 0, data.domain == 1
    cp = WeightedConformalRegressor(
        LinearRegression(), method=method, cv=4, flatten=0, random_state=2
    ).fit(data.X, y_masked)
    n = int(s.sum())
    assert cp.n_calibration_ == n
    assert len(cp.estimators_) == (n if method == "jackknife+" else 4)
    mu, resid = _left_out_predictions(cp, data.X[s], data.y[s], data.X[t])
    np.testing.assert_allclose(cp.calibration_scores_, resid, rtol=1e-12)
    # Barber et al. (2021), eq. 6: the floor(alpha (n+1))-th smallest of
    # mu_{-i} - R_i and the ceil((1 - alpha)(n+1))-th smallest of mu_{-i} + R_i
    lo = np.sort(mu - resid, axis=1)[:, math.floor(alpha * (n + 1)) - 1]
    hi = np.sort(mu + resid, axis=1)[:, math.ceil((1 - alpha) * (n + 1)) - 1]
    np.testing.assert_allclose(
        cp.predict_interval(data.X[t], alpha), np.column_stack([lo, hi]), atol=1e-12
    )
    # predict is the model fit on every labeled source row
    full = LinearRegression().fit(data.X[s], data.y[s])
    np.testing.assert_allclose(cp.predict(data.X[t]), full.predict(data.X[t]))


@pytest.mark.parametrize("method", ["jackknife+", "cv+"])
def test_equal_to_mapie_cross_conformal_at_constant_weights(method):
    mapie = pytest.importorskip("mapie.regression")
    from sklearn.model_selection import LeaveOneOut, PredefinedSplit

    data, y_masked = _small(seed=5, n=60)
    s, t = data.domain == 0, data.domain == 1
    for alpha in (0.05, 0.1, 0.2):
        cp = WeightedConformalRegressor(
            Ridge(), method=method, flatten=0, random_state=0
        ).fit(data.X, y_masked)
        cv = (
            LeaveOneOut()
            if method == "jackknife+"
            else PredefinedSplit(cp.calibration_folds_)
        )
        peer = mapie.CrossConformalRegressor(
            Ridge(), confidence_level=1 - alpha, method="plus", cv=cv
        )
        peer.fit_conformalize(data.X[s], data.y[s])
        _, ends = peer.predict_interval(data.X[t])
        np.testing.assert_allclose(
            cp.predict_interval(data.X[t], alpha), ends[:, :, 0], atol=1e-10
        )


# a stand-in ratio (not the data's) to make the weights unequal; the test
# checks the interval ends against brute force
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_weighted_ends_match_the_jaws_definition():
    data, y_masked = _small(seed=1, n=50)
    s, t = data.domain == 0, data.domain == 1
    cp = WeightedConformalRegressor(
        LinearRegression(), OracleWeighter(1.0, 1.0), method="jackknife+"
    ).fit(data.X, y_masked)
    mu, resid = _left_out_predictions(cp, data.X[s], data.y[s], data.X[t])
    w_cal, w_test = cp.calibration_weights_, cp.test_weights(data.X[t])
    assert np.ptp(w_cal) > 1  # really weighted
    alpha = 0.2
    want = np.array(
        [
            [
                -_brute_quantile(resid - mu[j], w_cal, w_test[j], alpha),
                _brute_quantile(mu[j] + resid, w_cal, w_test[j], alpha),
            ]
            for j in range(mu.shape[0])
        ]
    )
    with pytest.warns(UnboundedPredictionWarning) if np.isinf(want).any() else _noop():
        got = cp.predict_interval(data.X[t], alpha)
    np.testing.assert_allclose(got, want, atol=1e-12)


class _noop:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_rows_quantile_is_the_split_quantile_row_by_row():
    rng = np.random.RandomState(0)
    values = rng.choice(rng.exponential(size=15), size=(30, 15))  # with ties
    weights = rng.exponential(size=15)
    w_test = rng.exponential(size=30) * rng.choice([0.1, 1, 10], size=30)
    got = weighted_quantile_rows(values, weights, w_test, 0.15)
    want = [_brute_quantile(values[j], weights, w_test[j], 0.15) for j in range(30)]
    np.testing.assert_array_equal(got, want)


# a ratio far stronger than the data's shift on purpose (to get an unbounded
# interval): the fit's weights concentrate and over-correct
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.WeightConcentrationWarning")
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_jackknife_plus_unbounded_when_the_test_weight_dominates():
    data, y_masked = _small(n=60)
    cp = WeightedConformalRegressor(
        weighter=OracleWeighter(3.0, 1.0), method="jackknife+"
    ).fit(data.X, y_masked)
    far = np.array([[0.0, 0.0], [6.0, 6.0]])
    with pytest.warns(UnboundedPredictionWarning, match="1 of 2 test rows"):
        ends = cp.predict_interval(far, alpha=0.1)
    assert np.isfinite(ends[0]).all()
    assert ends[1, 0] == -np.inf and ends[1, 1] == np.inf


def test_cross_methods_reject_the_normalized_score_and_few_rows():
    data, y_masked = _small()
    with pytest.raises(ValueError, match="conformity_score='absolute' only"):
        WeightedConformalRegressor(method="cv+", conformity_score="normalized").fit(
            data.X, y_masked
        )
    rows = np.r_[np.flatnonzero(data.domain == 0)[:15], np.flatnonzero(data.domain)]
    cp = WeightedConformalRegressor(method="jackknife+", flatten=0).fit(
        data.X[rows], y_masked[rows]
    )
    with pytest.raises(ValueError, match="needs at least 19 calibration rows"):
        cp.predict_interval(data.X[:3], alpha=0.05)
    with pytest.raises(ValueError, match="cv"):
        WeightedConformalRegressor(method="cv+", cv=1).fit(data.X, y_masked)


# -- the default weighter ---------------------------------------------------


# the linear-logit arm cannot represent the quadratic log-ratio, which is what
# the test shows: its weights concentrate and leave x0 imbalanced
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.WeightConcentrationWarning")
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_default_weighter_represents_a_variance_shift():
    from instransfer.datasets import gaussian_log_ratio

    # a narrower target: the true log-ratio is quadratic in x
    data = make_covariate_shift(
        1000, 1000, 1, shift=-1.5, target_scale=0.5, task="regression", random_state=0
    )
    y_masked = np.where(data.domain == 1, np.nan, data.y)
    grid = np.linspace(-2.5, 0.0, 50)[:, None]  # where the target lives
    truth = gaussian_log_ratio(grid, -1.5, 0.5)
    errors = {}
    for name, weighter in {
        "default": None,
        "linear": ClassifierWeighter(random_state=0),
    }.items():
        cp = WeightedConformalRegressor(weighter=weighter, random_state=0)
        cp.fit(data.X, y_masked)
        est = np.log(cp.weighter_.predict_ratio(grid))
        # the ratio's scale is free (weights are normalised): compare shapes
        errors[name] = np.mean((est - est.mean() - (truth - truth.mean())) ** 2)
    assert errors["default"] < 0.25 * errors["linear"]
    assert errors["default"] < 0.2  # measured 0.058; the linear logit 0.61


def test_default_weighter_on_sparse_input_is_the_linear_one():
    import scipy.sparse as sp

    data, y_masked = _small(n=80)
    cp = WeightedConformalRegressor(random_state=0).fit(sp.csr_matrix(data.X), y_masked)
    assert cp.weighter_.estimator is None  # ClassifierWeighter's linear default
    dense = WeightedConformalRegressor(random_state=0).fit(data.X, y_masked)
    assert dense.weighter_.estimator is not None
