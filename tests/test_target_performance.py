"""Target performance estimates (IW, doubly robust) and their intervals."""

import numpy as np
import pytest
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import (
    brier_score_loss,
    log_loss,
    mean_squared_error,
    roc_auc_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import SplineTransformer

from instransfer.datasets import make_covariate_shift
from instransfer.metrics import target_performance

ZERO = DummyRegressor(strategy="constant", constant=0.0)


def _classification(seed=1):
    train = make_covariate_shift(random_state=0, noise=1.0)
    src = train.domain == 0
    model = LogisticRegression().fit(train.X[src], train.y[src])
    held = make_covariate_shift(random_state=seed, noise=1.0)
    return model, held, np.where(held.domain == 1, -1, held.y)


def _regression_setup(shift=1.0):
    # a line fit on the source's x < 0 extrapolates badly to the target around
    # x = 1: its target MSE is 2.6, its source MSE 0.97
    train = make_covariate_shift(
        2000, 10, 1, shift=shift, task="regression", random_state=0
    )
    left = train.X[:2000, 0] < 0
    model = LinearRegression().fit(train.X[:2000][left], train.y[:2000][left])
    big = make_covariate_shift(
        10, 200_000, 1, shift=shift, task="regression", random_state=1
    )
    x = big.X[big.domain == 1]
    signal = np.sinc(x[:, 0]) + 0.3 * x[:, 0]
    true_risk = np.mean((signal - model.predict(x)) ** 2) + 0.3**2
    return model, true_risk


def test_dr_with_a_zero_loss_model_is_the_iw_estimate_exactly():
    model, held, y_masked = _classification()
    kw = dict(
        weights=held.true_ratio, scoring=["log_loss", "brier_score_loss", "accuracy"]
    )
    dr = target_performance(model, held.X, y_masked, loss_model=ZERO, **kw)
    iw = target_performance(model, held.X, y_masked, method="iw", **kw)
    np.testing.assert_array_equal(dr["estimate"], iw["estimate"])
    np.testing.assert_array_equal(dr["estimate"], dr["iw_estimate"])
    np.testing.assert_array_equal(dr["std_error"], iw["std_error"])


def test_iw_estimates_are_scikit_learns_weighted_metrics():
    model, held, y_masked = _classification()
    src = held.domain == 0
    w = held.true_ratio[src]
    res = target_performance(
        model,
        held.X,
        y_masked,
        weights=held.true_ratio,
        method="iw",
        scoring=["log_loss", "brier_score_loss", "accuracy", "roc_auc"],
        n_resamples=50,
        random_state=0,
    )
    p = model.predict_proba(held.X[src])
    y = held.y[src]
    assert res.loc["log_loss", "estimate"] == pytest.approx(
        log_loss(y, p, sample_weight=w), rel=1e-12
    )
    assert res.loc["brier_score_loss", "estimate"] == pytest.approx(
        brier_score_loss(y, p[:, 1], sample_weight=w), rel=1e-12
    )
    assert res.loc["accuracy", "estimate"] == pytest.approx(
        np.average(model.predict(held.X[src]) == y, weights=w), rel=1e-12
    )
    assert res.loc["roc_auc", "estimate"] == pytest.approx(
        roc_auc_score(y, p[:, 1], sample_weight=w), rel=1e-12
    )


def test_influence_and_bootstrap_intervals_agree():
    model, held, y_masked = _classification()
    kw = dict(
        weights=held.true_ratio,
        scoring="log_loss",
        loss_model=make_pipeline(SplineTransformer(), Ridge()),
        random_state=0,
    )
    inf = target_performance(model, held.X, y_masked, **kw)
    boot = target_performance(
        model, held.X, y_masked, interval="bootstrap", n_resamples=2000, **kw
    )
    assert inf["estimate"].iloc[0] == boot["estimate"].iloc[0]
    assert boot["std_error"].iloc[0] == pytest.approx(
        inf["std_error"].iloc[0], rel=0.15
    )


@pytest.mark.parametrize("method", ["iw", "dr"])
def test_interval_covers_the_true_target_risk(method):
    model, true_risk = _regression_setup()
    hits = []
    for seed in range(80):
        held = make_covariate_shift(
            300, 300, 1, shift=1.0, task="regression", random_state=100 + seed
        )
        y_masked = np.where(held.domain == 1, np.nan, held.y)
        res = target_performance(
            model,
            held.X,
            y_masked,
            weights=held.true_ratio,
            method=method,
            loss_model=make_pipeline(SplineTransformer(), Ridge(1e-3)),
            random_state=seed,
        )
        hits.append(res["ci_low"].iloc[0] <= true_risk <= res["ci_high"].iloc[0])
    # 95 % nominal; 80 draws: 3 SE below is 0.877
    assert np.mean(hits) >= 0.87


def test_dr_survives_either_misspecification():
    model, true_risk = _regression_setup()
    good_g = make_pipeline(SplineTransformer(n_knots=8), Ridge(1e-3))
    errors = {
        "iw wrong w": [],
        "dr wrong w": [],
        "plugin wrong g": [],
        "dr wrong g": [],
    }
    for seed in range(30):
        held = make_covariate_shift(
            400, 400, 1, shift=1.0, task="regression", random_state=200 + seed
        )
        y_masked = np.where(held.domain == 1, np.nan, held.y)
        ones = np.ones(held.X.shape[0])
        est = {
            "iw wrong w": dict(method="iw", weights=ones),
            "dr wrong w": dict(method="dr", weights=ones, loss_model=good_g),
            "plugin wrong g": dict(
                method="plugin", weights=held.true_ratio, loss_model=DummyRegressor()
            ),
            "dr wrong g": dict(
                method="dr", weights=held.true_ratio, loss_model=DummyRegressor()
            ),
        }
        for name, kw in est.items():
            res = target_performance(model, held.X, y_masked, random_state=seed, **kw)
            errors[name].append(res["estimate"].iloc[0] - true_risk)
    bias = {k: np.mean(v) for k, v in errors.items()}
    se = {k: np.std(v) / np.sqrt(len(v)) for k, v in errors.items()}
    for wrong in ("iw wrong w", "plugin wrong g"):
        assert abs(bias[wrong]) > 4 * se[wrong]  # the single-model estimates fail
    for dr in ("dr wrong w", "dr wrong g"):
        assert abs(bias[dr]) < 3 * se[dr] + 0.2 * abs(bias["iw wrong w"])


def test_paired_difference_and_errors():
    model, held, y_masked = _classification()
    other = LogisticRegression(C=0.01).fit(
        held.X[held.domain == 0], held.y[held.domain == 0]
    )
    X0, y0 = held.X.copy(), y_masked.copy()
    res = target_performance(
        {"a": model, "b": other, "a2": model},
        held.X,
        y_masked,
        weights=held.true_ratio,
        baseline="a",
        method="iw",
        scoring="log_loss",
    )
    assert res.loc[("a2", "log_loss"), "diff"] == 0
    assert res.loc[("a2", "log_loss"), "diff_ci_low"] == 0
    b = res.loc[("b", "log_loss")]
    assert b["diff"] == pytest.approx(
        b["estimate"] - res.loc[("a", "log_loss"), "estimate"]
    )
    assert b["diff_ci_low"] < b["diff"] < b["diff_ci_high"]
    np.testing.assert_array_equal(held.X, X0)
    np.testing.assert_array_equal(y_masked, y0)
    with pytest.raises(ValueError, match="method must be"):
        target_performance(model, held.X, y_masked, method="x")
    with pytest.raises(ValueError, match="0 target row"):
        target_performance(model, held.X, held.y, domain=np.zeros(len(held.y)))
    with pytest.raises(ValueError, match="confidence_level"):
        target_performance(model, held.X, y_masked, confidence_level=1.0)


def test_estimated_weights_by_default():
    model, held, y_masked = _classification()
    res = target_performance(
        model, held.X, y_masked, method="iw", scoring="accuracy", random_state=0
    )
    assert 0 < res["ess"].iloc[0] < 500
    assert 0 <= res["estimate"].iloc[0] <= 1
    reg, _ = _regression_setup()
    held = make_covariate_shift(
        200, 200, 1, shift=1.0, task="regression", random_state=5
    )
    y_masked = np.where(held.domain == 1, np.nan, held.y)
    res = target_performance(reg, held.X, y_masked, method="iw", random_state=0)
    src = held.domain == 0
    assert res.index.tolist() == ["mean_squared_error"]
    assert res["estimate"].iloc[0] > 0
    assert mean_squared_error(held.y[src], reg.predict(held.X[src])) > 0
