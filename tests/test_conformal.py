"""Weighted split conformal prediction: exact answers, coverage, API."""

import math
import warnings

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from instransfer.base import BaseWeighter
from instransfer.conformal import (
    WeightedConformalClassifier,
    WeightedConformalRegressor,
    min_calibration_rows,
    weighted_conformal_quantile,
)
from instransfer.datasets import gaussian_log_ratio, make_covariate_shift
from instransfer.exceptions import UnboundedPredictionWarning


class OracleWeighter(BaseWeighter):
    """The true ratio of make_covariate_shift (a test helper)."""

    def __init__(
        self, shift=0.5, target_scale=0.8, *, flatten=1.0, clip=None, clip_quantile=None
    ):
        self.shift = shift
        self.target_scale = target_scale
        self.flatten = flatten
        self.clip = clip
        self.clip_quantile = clip_quantile

    def _fit_log_ratio(self, X_source, X_target):
        return self._log_ratio(X_source)

    def _log_ratio(self, X):
        return gaussian_log_ratio(X, self.shift, self.target_scale)


def _brute_quantile(scores, weights, w_test, alpha):
    """The paper's definition, literally: smallest v with F(v) >= 1 - alpha."""
    total = weights.sum() + w_test
    for v in np.sort(np.unique(scores)):
        if weights[scores <= v].sum() / total >= 1 - alpha - 1e-12:
            return v
    return np.inf


def _regression(seed=0, n=300, shift=1.0):
    data = make_covariate_shift(
        n, n, 2, shift=shift, task="regression", random_state=seed
    )
    return data, np.where(data.domain == 1, np.nan, data.y)


def _covered(intervals, y):
    return (y >= intervals[:, 0]) & (y <= intervals[:, 1])


# -- the quantile -----------------------------------------------------------


@pytest.mark.parametrize("n", [1, 9, 19, 20, 99, 137])
@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.2, 0.5])
def test_equal_weights_is_plain_split_conformal(n, alpha):
    rng = np.random.RandomState(n)
    scores = rng.exponential(size=n)
    q = weighted_conformal_quantile(scores, np.full(n, 2.5), np.full(3, 2.5), alpha)
    # ceil((1 - alpha)(n + 1)), computed in exact rational arithmetic
    from fractions import Fraction

    k = math.ceil((1 - Fraction(str(alpha))) * (n + 1))
    expected = np.sort(scores)[k - 1] if k <= n else np.inf
    assert np.all(q == expected)
    assert (k <= n) == (n >= min_calibration_rows(alpha))


def test_weighted_quantile_matches_the_definition():
    rng = np.random.RandomState(0)
    for _ in range(200):
        n = rng.randint(1, 30)
        scores = rng.choice(rng.exponential(size=n), size=n)  # with ties
        weights = rng.exponential(size=n) * (rng.rand(n) > 0.2)
        w_test = rng.exponential(size=4) * rng.choice([0.1, 1, 10], size=4)
        alpha = rng.uniform(0.02, 0.6)
        got = weighted_conformal_quantile(scores, weights, w_test, alpha)
        want = [_brute_quantile(scores, weights, w, alpha) for w in w_test]
        np.testing.assert_array_equal(got, want)


def test_infinite_exactly_when_the_test_weight_dominates():
    scores = np.arange(1.0, 101.0)
    alpha = 0.1
    limit = alpha / (1 - alpha) * 100  # sum of the calibration weights is 100
    q = weighted_conformal_quantile(
        scores, np.ones(100), [limit * 0.99, limit * 1.01], alpha
    )
    assert np.isfinite(q[0]) and np.isinf(q[1])


# -- the regressor ----------------------------------------------------------


def test_flatten_zero_is_plain_split_conformal():
    data, y_masked = _regression()
    cp = WeightedConformalRegressor(LinearRegression(), flatten=0, random_state=0)
    cp.fit(data.X, y_masked)
    np.testing.assert_array_equal(cp.calibration_weights_, 1.0)
    X_t = data.X[data.domain == 1]
    k = math.ceil(0.9 * (cp.n_calibration_ + 1))
    q = np.sort(cp.calibration_scores_)[k - 1]
    mu = cp.predict(X_t)
    np.testing.assert_array_equal(
        cp.predict_interval(X_t, alpha=0.1), np.column_stack([mu - q, mu + q])
    )


def test_equal_to_mapie_split_conformal_at_constant_weights():
    mapie = pytest.importorskip("mapie.regression")
    data, y_masked = _regression(seed=3)
    cp = WeightedConformalRegressor(LinearRegression(), flatten=0, random_state=1)
    cp.fit(data.X, y_masked)
    # the calibration rows: the labeled source rows the model was not fit on
    rng = np.random.RandomState(1)
    perm = rng.permutation(300)
    cal = np.sort(perm[: cp.n_calibration_])
    X_s, y_s = data.X[data.domain == 0], data.y[data.domain == 0]
    ref = mapie.SplitConformalRegressor(
        cp.estimator_, confidence_level=0.8, prefit=True
    )
    ref.conformalize(X_s[cal], y_s[cal])
    X_t = data.X[data.domain == 1]
    _, pis = ref.predict_interval(X_t)
    np.testing.assert_allclose(
        cp.predict_interval(X_t, alpha=0.2), pis[:, :, 0], rtol=0, atol=1e-12
    )


def test_no_target_rows_is_plain_split_conformal():
    data, _ = _regression()
    src = data.domain == 0
    with pytest.warns(UserWarning, match="no target rows"):
        cp = WeightedConformalRegressor(random_state=0).fit(data.X[src], data.y[src])
    assert cp.weighter_ is None
    np.testing.assert_array_equal(cp.test_weights(data.X[:5]), 1.0)


# suspected false alarm, kept visible (not an error): the true ratio here is
# bounded (at most ~9), yet 10-26 % of the target rows are called unreachable;
# source rows with that same ratio exist, and the oracle weights reach the
# flagged rows (the test's coverage holds)
@pytest.mark.filterwarnings("default::instransfer.exceptions.NoOverlapWarning")
def test_target_coverage_with_oracle_weights_and_plain_undercoverage():
    # target N(-1.5, 0.5²) where the line misses sin(x)/x: plain split
    # conformal covered 0.82 of the target there (measured), not 0.9
    hits_w, hits_p = [], []
    for seed in range(60):
        data = make_covariate_shift(
            200,
            200,
            1,
            shift=-1.5,
            target_scale=0.5,
            noise=0.1,
            task="regression",
            random_state=seed,
        )
        y_masked = np.where(data.domain == 1, np.nan, data.y)
        t = data.domain == 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnboundedPredictionWarning)
            for hits, flatten in ((hits_w, 1.0), (hits_p, 0.0)):
                cp = WeightedConformalRegressor(
                    LinearRegression(),
                    OracleWeighter(-1.5, 0.5),
                    flatten=flatten,
                    random_state=seed,
                ).fit(data.X, y_masked)
                hits.append(_covered(cp.predict_interval(data.X[t], 0.1), data.y[t]))
    cov_w, cov_p = np.mean(hits_w), np.mean(hits_p)
    se_w = np.std([h.mean() for h in hits_w]) / np.sqrt(len(hits_w))
    assert cov_w >= 0.9 - 3 * se_w
    assert cov_p < 0.86  # plain split conformal under-covers the target
    assert cov_w - cov_p > 0.05


# a ratio far stronger than the data's shift on purpose (to get an unbounded
# interval): the fit's weights concentrate and over-correct
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.WeightConcentrationWarning")
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_unbounded_intervals_are_counted_and_warned():
    data, y_masked = _regression()
    # target N((3, 3), I): log-ratio 3 (x1 + x2) - 9, e^27 at (6, 6)
    cp = WeightedConformalRegressor(weighter=OracleWeighter(3.0, 1.0), random_state=0)
    cp.fit(data.X, y_masked)
    far = np.array([[0.0, 0.0], [6.0, 6.0]])
    with pytest.warns(UnboundedPredictionWarning, match="1 of 2 test rows"):
        intervals = cp.predict_interval(far, alpha=0.1)
    assert np.isfinite(intervals[0]).all()
    assert intervals[1, 0] == -np.inf and intervals[1, 1] == np.inf


@pytest.mark.parametrize("alpha", [0, 1, -0.1, 1.5, True, "0.1", np.nan])
def test_alpha_outside_the_unit_interval(alpha):
    data, y_masked = _regression()
    cp = WeightedConformalRegressor(random_state=0).fit(data.X, y_masked)
    with pytest.raises(ValueError, match=r"alpha must be a number in \(0, 1\)"):
        cp.predict_interval(data.X[:3], alpha=alpha)


def test_too_few_calibration_rows_says_how_many():
    data, y_masked = _regression()
    cp = WeightedConformalRegressor(calibration_size=15, random_state=0)
    cp.fit(data.X, y_masked)
    with pytest.raises(ValueError, match="needs at least 19 calibration rows"):
        cp.predict_interval(data.X[:3], alpha=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnboundedPredictionWarning)
        assert cp.predict_interval(data.X[:3], alpha=0.1).shape == (3, 2)


def test_normalized_score_adapts_and_covers():
    hits, widths = [], []
    for seed in range(20):
        data = make_covariate_shift(
            300, 300, 1, shift=1.0, task="regression", random_state=seed
        )
        y_masked = np.where(data.domain == 1, np.nan, data.y)
        t = data.domain == 1
        cp = WeightedConformalRegressor(
            LinearRegression(),
            OracleWeighter(1.0),
            conformity_score="normalized",
            random_state=seed,
        ).fit(data.X, y_masked)
        intervals = cp.predict_interval(data.X[t], 0.1)
        hits.append(_covered(intervals, data.y[t]).mean())
        widths.append(np.ptp(intervals[:, 1] - intervals[:, 0]))
    assert np.mean(hits) >= 0.88
    assert np.mean(widths) > 0  # widths vary with x


def test_pipeline_gridsearch_dataframe_and_nothing_mutated():
    pd = pytest.importorskip("pandas")
    data, y_masked = _regression()
    X = pd.DataFrame(data.X, columns=["a", "b"])
    X0, y0 = X.copy(), y_masked.copy()
    pipe = make_pipeline(StandardScaler(), WeightedConformalRegressor(random_state=0))
    pipe.fit(X, y_masked)
    assert pipe.predict(X.iloc[:4]).shape == (4,)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnboundedPredictionWarning)
        intervals = pipe[-1].predict_interval(pipe[:-1].transform(X.iloc[:4]))
    assert intervals.shape == (4, 2)
    search = GridSearchCV(
        WeightedConformalRegressor(random_state=0),
        {"calibration_size": [0.2, 0.4]},
        cv=KFold(3, shuffle=True, random_state=0),
    ).fit(X, y_masked)
    assert np.isfinite(search.best_score_)
    pd.testing.assert_frame_equal(X, X0)
    np.testing.assert_array_equal(y_masked, y0)


def test_score_follows_the_score_rule():
    from sklearn.metrics import r2_score

    data, y_masked = _regression()
    cp = WeightedConformalRegressor(weighter=OracleWeighter(1.0), random_state=0)
    cp.fit(data.X, y_masked)
    t = data.domain == 1
    # labeled target rows: the plain metric on them
    assert cp.score(data.X, data.y, domain=data.domain) == pytest.approx(
        r2_score(data.y[t], cp.predict(data.X[t]))
    )
    # no target labels: importance-weighted on the labeled source rows
    w = cp.weighter_.predict_ratio(data.X[~t])
    assert cp.score(data.X, y_masked) == pytest.approx(
        r2_score(data.y[~t], cp.predict(data.X[~t]), sample_weight=w)
    )
    # fully labeled, no domain: the rows are the population
    assert cp.score(data.X, data.y) == pytest.approx(
        r2_score(data.y, cp.predict(data.X))
    )


# -- the classifier ---------------------------------------------------------


def _classification(seed=0, n=400, shift=1.0):
    data = make_covariate_shift(n, n, 2, shift=shift, noise=1.0, random_state=seed)
    return data, np.where(data.domain == 1, -1, data.y)


@pytest.mark.parametrize("score", ["lac", "aps"])
def test_classifier_flatten_zero_is_plain_split_conformal(score):
    data, y_masked = _classification()
    cp = WeightedConformalClassifier(conformity_score=score, flatten=0, random_state=0)
    cp.fit(data.X, y_masked)
    X_t = data.X[data.domain == 1]
    k = math.ceil(0.8 * (cp.n_calibration_ + 1))
    q = np.sort(cp.calibration_scores_)[k - 1]
    proba = cp.predict_proba(X_t)
    if score == "lac":
        expected = 1 - proba <= q
    else:  # brute force: mass of the classes ranked at or above each class
        expected = np.array(
            [
                [proba[i][proba[i] >= proba[i, k]].sum() <= q for k in range(2)]
                for i in range(len(proba))
            ]
        )
    np.testing.assert_array_equal(cp.predict_set(X_t, alpha=0.2), expected)


# shifted sample (shift=1); the test compares constant-weight sets with MAPIE
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.NoOverlapWarning")
def test_classifier_equal_to_mapie_lac_at_constant_weights():
    mapie = pytest.importorskip("mapie.classification")
    data, y_masked = _classification(seed=2)
    cp = WeightedConformalClassifier(flatten=0, random_state=0).fit(data.X, y_masked)
    X_s, y_s = data.X[data.domain == 0], data.y[data.domain == 0]
    # the calibration rows: those whose score is among the fitted ones
    proba_s = cp.predict_proba(X_s)
    lac = 1 - proba_s[np.arange(400), y_s]
    cal = np.flatnonzero(np.isin(lac, cp.calibration_scores_))
    assert cal.shape[0] == cp.n_calibration_
    ref = mapie.SplitConformalClassifier(
        cp.estimator_, confidence_level=0.8, prefit=True
    )
    ref.conformalize(X_s[cal], y_s[cal])
    X_t = data.X[data.domain == 1]
    _, sets = ref.predict_set(X_t)
    np.testing.assert_array_equal(cp.predict_set(X_t, alpha=0.2), sets[:, :, 0])


# shift=1.5: at a third of the target rows the true ratio (up to ~500) exceeds
# every source row's (~30), so no overlap there, concentrated weights and a
# residual imbalance are all right, even with the exact ratio
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.WeightConcentrationWarning")
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.NoOverlapWarning")
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_classifier_target_coverage_with_oracle_weights():
    hits_w, hits_p = [], []
    for seed in range(40):
        data, y_masked = _classification(seed, n=300, shift=1.5)
        t = data.domain == 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnboundedPredictionWarning)
            for hits, flatten in ((hits_w, 1.0), (hits_p, 0.0)):
                cp = WeightedConformalClassifier(
                    weighter=OracleWeighter(1.5), flatten=flatten, random_state=seed
                ).fit(data.X, y_masked)
                sets = cp.predict_set(data.X[t], 0.1)
                hits.append(sets[np.arange(t.sum()), data.y[t]].mean())
    se = np.std(hits_w) / np.sqrt(len(hits_w))
    assert np.mean(hits_w) >= 0.9 - 3 * se
    assert np.mean(hits_w) > np.mean(hits_p)


# a ratio far stronger than the data's shift on purpose (to get an unbounded
# set): the fit's weights concentrate and over-correct
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.WeightConcentrationWarning")
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_classifier_pipeline_and_unbounded_sets():
    data, y_masked = _classification()
    pipe = make_pipeline(
        StandardScaler(),
        WeightedConformalClassifier(
            LogisticRegression(), OracleWeighter(1.0), random_state=0
        ),
    ).fit(data.X, y_masked)
    assert set(pipe.predict(data.X[:10])) <= {0, 1}
    cp = WeightedConformalClassifier(weighter=OracleWeighter(3.0, 1.0), random_state=0)
    cp.fit(data.X, y_masked)
    with pytest.warns(UnboundedPredictionWarning, match="all classes"):
        sets = cp.predict_set(np.array([[6.0, 6.0]]))
    assert sets.all()


@pytest.mark.parametrize("method", ["split", "jackknife+"])
def test_text_columns_are_named_with_the_recipe(method):
    # scikit-learn's "could not convert string to float" named neither the
    # column nor the fix
    import pandas as pd
    from sklearn.linear_model import LinearRegression

    from instransfer.conformal import WeightedConformalRegressor
    from instransfer.preprocessing import CovariateEncoder

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=100), "site": rng.choice(["x", "y"], 100)})
    domain = np.r_[np.zeros(60), np.ones(40)].astype(int)
    y = np.where(domain == 1, np.nan, rng.normal(size=100))
    model = WeightedConformalRegressor(LinearRegression(), method=method)
    with pytest.raises(ValueError, match=r"non-numeric columns \['site'\].*Encoder"):
        model.fit(X, y, domain=domain)
    # the recipe works
    Z = CovariateEncoder().fit_transform(X)
    model.fit(Z, y, domain=domain)
