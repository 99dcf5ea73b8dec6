"""EntropyBalancing: exact balance, agreement with ebal and a primal solve, errors."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import instransfer as it
from instransfer.datasets import make_covariate_shift
from instransfer.density_ratio import EntropyBalancing
from instransfer.model_selection import DomainStratifiedKFold


def _split(data):
    src = data.domain == 0
    return data.X[src], data.X[~src]


@pytest.mark.parametrize("moments", ["mean", "variance", "interaction"])
def test_weighted_moments_equal_the_targets(moments):
    data = make_covariate_shift(500, 300, 3, shift=0.6, random_state=1)
    eb = EntropyBalancing(moments).fit(data.X, data.domain)
    Xs, Xt = _split(data)
    feats = [Xs, Xt]
    if moments != "mean":
        feats = [np.c_[X, X**2] for X in feats]
    if moments == "interaction":
        feats = [np.c_[F, F[:, [0]] * F[:, [1]], F[:, [0]] * F[:, [2]]] for F in feats]
        feats = [np.c_[F, F[:, [1]] * F[:, [2]]] for F in feats]
    gap = np.average(feats[0], axis=0, weights=eb.weights_) - feats[1].mean(axis=0)
    assert np.abs(gap).max() < 1e-8
    assert eb.moment_gap_ < 1e-8
    n_moments = {"mean": 3, "variance": 6, "interaction": 9}[moments]
    assert len(eb.moment_names_) == n_moments == eb.coef_.shape[0]
    np.testing.assert_allclose(eb.weights_.mean(), 1.0, rtol=1e-12)


def _primal_reference(Xs, Xt):
    """Minimise sum w log w s.t. X_s' w = mean(X_t), sum w = 1 (SLSQP)."""
    n = Xs.shape[0]
    target = Xt.mean(axis=0)
    cons = [
        {"type": "eq", "fun": lambda w: Xs.T @ w - target, "jac": lambda w: Xs.T},
        {"type": "eq", "fun": lambda w: w.sum() - 1, "jac": lambda w: np.ones((1, n))},
    ]
    res = minimize(
        lambda w: np.sum(w * np.log(np.maximum(w, 1e-300))),
        np.full(n, 1.0 / n),
        jac=lambda w: np.log(np.maximum(w, 1e-300)) + 1,
        bounds=[(1e-12, 1)] * n,
        constraints=cons,
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 500},
    )
    assert res.success, res.message
    return res.x * n


def test_matches_an_independent_primal_solve():
    data = make_covariate_shift(120, 80, 2, shift=0.5, random_state=3)
    Xs, Xt = _split(data)
    eb = EntropyBalancing().fit(data.X, data.domain)
    np.testing.assert_allclose(eb.weights_, _primal_reference(Xs, Xt), atol=1e-5)


def test_matches_the_ebal_package():
    ebal = pytest.importorskip("ebal")
    for seed in range(3):
        data = make_covariate_shift(400, 250, 4, shift=0.5, random_state=seed)
        eb = EntropyBalancing().fit(data.X, data.domain)
        ref = ebal.ebal_bin(
            PCA=False, print_level=-1, constraint_tolerance=1e-12, max_iterations=200
        ).ebalance(data.domain, data.X, np.zeros(data.X.shape[0]))
        assert ref["converged"]
        w_ref = ref["w"][data.domain == 0]
        np.testing.assert_allclose(eb.weights_, w_ref / w_ref.mean(), atol=1e-6)


def test_mean_balancing_is_the_log_linear_ratio():
    # Gaussians with one covariance: log r(x) is linear in x, so balancing
    # the means estimates the true ratio (up to sampling error)
    data = make_covariate_shift(
        4000, 4000, 2, shift=0.5, target_scale=1.0, random_state=0
    )
    eb = EntropyBalancing().fit(data.X, data.domain)
    truth = data.true_ratio[data.domain == 0]
    truth = truth / truth.mean()
    assert np.mean((eb.weights_ - truth) ** 2) / np.mean(truth**2) < 0.01
    # predict_weights reproduces the fitted weights (exponential tilting)
    np.testing.assert_allclose(
        eb.predict_weights(data.X[data.domain == 0]), eb.weights_, rtol=1e-10
    )


def test_integer_base_weights_equal_repeated_rows():
    data = make_covariate_shift(150, 100, 3, shift=0.4, random_state=2)
    rng = np.random.RandomState(0)
    sw = rng.randint(1, 4, data.X.shape[0])
    eb_w = EntropyBalancing().fit(data.X, data.domain, sample_weight=sw)
    rep = np.repeat(np.arange(data.X.shape[0]), sw)
    eb_r = EntropyBalancing().fit(data.X[rep], data.domain[rep])
    np.testing.assert_allclose(eb_w.coef_, eb_r.coef_, atol=1e-9)
    # each repeated copy carries the weight of one base unit of its row
    src = data.domain == 0
    per_row = eb_w.weights_ / sw[src]
    np.testing.assert_allclose(
        per_row[np.repeat(np.arange(src.sum()), sw[src])] * sw[src].mean(),
        eb_r.weights_,
        rtol=1e-8,
    )


def test_infeasible_target_names_the_columns():
    rng = np.random.RandomState(0)
    Xs = pd.DataFrame(
        {"age": rng.normal(50, 8, 200), "smoker": (rng.rand(200) < 0.3) * 1.0}
    )
    Xt = pd.DataFrame({"age": rng.normal(52, 8, 80), "smoker": np.ones(80)})
    X, d = it.stack_domains(Xs, Xt)
    with pytest.raises(ValueError, match="moments of smoker: they lie outside") as e:
        EntropyBalancing().fit(X, d)
    assert len(str(e.value)) < 300
    Xt["smoker"], Xt["age"] = 0.5, 120.0  # beyond every source age
    X, d = it.stack_domains(Xs, Xt)
    with pytest.raises(ValueError, match="moments of age:"):
        EntropyBalancing().fit(X, d)
    # jointly out of reach, each column within its source range
    u = rng.rand(600, 2)
    Xs2 = u[u.sum(axis=1) < 1.0]
    X2 = np.vstack([Xs2, np.full((20, 2), 0.6)])
    d2 = np.r_[np.zeros(len(Xs2)), np.ones(20)]
    with pytest.raises(ValueError, match="moments of x[01], x[01]:"):
        EntropyBalancing().fit(X2, d2)


def test_moments_dict_with_column_names():
    rng = np.random.RandomState(0)
    Xs = pd.DataFrame({"age": rng.normal(50, 8, 300), "bmi": rng.normal(25, 3, 300)})
    Xt = pd.DataFrame({"age": rng.normal(55, 6, 150), "bmi": rng.normal(26, 3, 150)})
    X, d = it.stack_domains(Xs, Xt)
    eb = EntropyBalancing({"variance": ["age"], "interaction": [("bmi", "age")]})
    eb.fit(X, d)
    assert eb.moment_names_ == ["age", "bmi", "age^2", "age*bmi"]
    w = eb.weights_
    assert abs(np.average(Xs.age**2, weights=w) - np.mean(Xt.age**2)) < 1e-8 * 3000
    assert abs(np.average(Xs.age * Xs.bmi, weights=w) - np.mean(Xt.age * Xt.bmi)) < 1e-5
    with pytest.raises(ValueError, match="not a column of X"):
        EntropyBalancing({"variance": ["weight"]}).fit(X, d)
    with pytest.raises(ValueError, match="unknown key"):
        EntropyBalancing({"variances": ["age"]}).fit(X, d)


def test_warm_start_reuses_the_solution():
    data = make_covariate_shift(500, 300, 3, shift=0.8, random_state=0)
    eb = EntropyBalancing(warm_start=True).fit(data.X, data.domain)
    cold_iter = eb.n_iter_
    eb.fit(data.X, data.domain)
    assert cold_iter >= 2 and eb.n_iter_ <= 1


# shifted sample (shift=1, 3 columns); the test is about max_iter
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.NoOverlapWarning")
def test_max_iter_warns():
    data = make_covariate_shift(500, 300, 3, shift=1.0, random_state=0)
    with pytest.warns(ConvergenceWarning, match="raise max_iter"):
        EntropyBalancing(max_iter=1).fit(data.X, data.domain)


# the flatten=0 and 0.5 candidates leave part of the shift, as they should:
# that is why they lose
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_score_is_held_out_balance_and_tunes_in_a_grid_search():
    data = make_covariate_shift(400, 300, 2, shift=0.6, random_state=0)
    eb = EntropyBalancing().fit(data.X, data.domain)
    assert abs(eb.score(data.X, data.domain)) < 1e-8  # fit rows: exact balance
    unweighted = EntropyBalancing(flatten=0).fit(data.X, data.domain)
    other = make_covariate_shift(400, 300, 2, shift=0.6, random_state=1)
    held = eb.score(other.X, other.domain)
    assert held > unweighted.score(other.X, other.domain)
    search = GridSearchCV(
        EntropyBalancing(),
        {"flatten": [0.0, 0.5, 1.0]},
        cv=DomainStratifiedKFold(3, random_state=0),
    ).fit(data.X, data.domain)
    assert search.best_params_["flatten"] == 1.0
    with pytest.raises(ValueError, match="target row"):
        eb.score(data.X[data.domain == 0], data.domain[data.domain == 0])


def test_in_a_weighted_pipeline_and_pickled():
    data = make_covariate_shift(300, 200, 2, shift=0.5, random_state=0)
    y = np.where(data.domain == 1, -1, data.y)
    pipe = make_pipeline(
        StandardScaler(),
        it.ImportanceWeightedClassifier(
            LogisticRegression(), weighter=EntropyBalancing()
        ),
    ).fit(data.X, y)
    eb = pickle.loads(pickle.dumps(EntropyBalancing().fit(data.X, data.domain)))
    np.testing.assert_allclose(
        eb.predict_weights(data.X),
        EntropyBalancing().fit(data.X, data.domain).predict_weights(data.X),
    )
    assert pipe.predict(data.X).shape == (data.X.shape[0],)


def test_constant_column_equal_in_both_domains_is_fine():
    data = make_covariate_shift(200, 100, 2, shift=0.3, random_state=0)
    X = np.c_[data.X, np.ones(data.X.shape[0])]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        eb = EntropyBalancing().fit(X, data.domain)
    assert eb.coef_[-1] == 0
    X[data.domain == 1, -1] = 2.0
    with pytest.raises(ValueError, match="moments of x2"):
        EntropyBalancing().fit(X, data.domain)


@pytest.mark.parametrize("scale", [1e-6, 1e-12, 1e-15])
def test_covariates_on_tiny_scales_are_balanced_not_dropped(scale):
    # a covariate measured in tiny units is not a constant one: the weights
    # must not depend on the unit (they once came out all 1 below 1e-12)
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 0.5, (60, 2)), rng.normal(0.4, 0.5, (40, 2))]
    domain = np.r_[np.zeros(60), np.ones(40)].astype(int)
    reference = EntropyBalancing().fit(X, domain).weights_
    weights = EntropyBalancing().fit(X * scale, domain).weights_
    np.testing.assert_allclose(weights, reference, atol=1e-9)
    assert np.ptp(weights) > 0.1


def test_a_tiny_constant_column_the_target_differs_on_is_infeasible():
    # constant at 1e-12 in the source, 2e-12 in the target: no weighting can
    # move it, and the error says so instead of ignoring the column
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1, (100, 2))
    domain = np.r_[np.zeros(60), np.ones(40)].astype(int)
    tiny = np.where(domain == 1, 2e-12, 1e-12)
    with pytest.raises(ValueError, match="x2"):
        EntropyBalancing().fit(np.c_[X, tiny], domain)
