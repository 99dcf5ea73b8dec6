"""Diagnostics: ESS and weight summaries, balance table, bootstrap evaluation."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    get_scorer,
    log_loss,
    mean_squared_error,
    roc_auc_score,
)

import instransfer as it
from instransfer._weights import postprocess_weights
from instransfer.metrics import (
    LowEffectiveSampleSizeWarning,
    balance_table,
    design_effect,
    domain_probability,
    effective_sample_size,
    ess_by_flatten,
    evaluate,
    truncate_weights,
    weight_summary,
)
from instransfer.metrics._balance import weighted_ecdf_distance

# --------------------------------------------------------------------------
# effective sample size and summaries


def test_ess_identities():
    assert effective_sample_size(np.ones(37)) == pytest.approx(37)
    assert effective_sample_size([0, 0, 2.5, 0, 0]) == pytest.approx(1)
    # (1 + 1 + 1 + 5)^2 / (1 + 1 + 1 + 25) = 64 / 28
    assert effective_sample_size([1, 1, 1, 5]) == pytest.approx(64 / 28)
    w = np.random.RandomState(0).exponential(size=100)
    assert effective_sample_size(7.3 * w) == pytest.approx(effective_sample_size(w))
    # an integer weight is a repeated row only for the sum, not for the ESS:
    # k equal weights give k whatever their value
    assert effective_sample_size([3, 3, 0]) == pytest.approx(2)


def test_ess_does_not_overflow():
    assert effective_sample_size([1e200, 1e200]) == pytest.approx(2)


def test_design_effect_is_one_plus_cv_squared():
    w = np.random.RandomState(1).lognormal(0, 1, size=300)
    cv = w.std() / w.mean()
    assert design_effect(w) == pytest.approx(1 + cv**2)
    assert design_effect(w) == pytest.approx(300 / effective_sample_size(w))


@pytest.mark.parametrize(
    "bad, match",
    [
        ([1.0, -1.0], "negative"),
        ([1.0, np.nan], "NaN or infinite"),
        ([1.0, np.inf], "NaN or infinite"),
        ([], "empty"),
        ([0.0, 0.0], "all zero"),
        (np.ones((3, 2)), "1-D"),
        (["a", "b"], "numeric"),
    ],
)
def test_weight_functions_reject_bad_weights(bad, match):
    for fn in (effective_sample_size, design_effect, weight_summary):
        with pytest.raises(ValueError, match=match):
            fn(bad)


def test_weight_summary_matches_hand_computation():
    rng = np.random.RandomState(2)
    w = rng.exponential(size=250)
    w[:3] = 0
    s = weight_summary(w, min_ess_fraction=None)
    q = np.quantile(w, [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99])
    np.testing.assert_allclose(
        s[["p1", "p5", "p25", "p50", "p75", "p95", "p99"]].to_numpy(), q
    )
    assert s["n"] == 250 and s["n_zero"] == 3
    assert s["min"] == 0 and s["max"] == w.max()
    assert s["cv"] == pytest.approx(w.std() / w.mean())
    assert s["ess_fraction"] == pytest.approx(effective_sample_size(w) / 250)
    # top 1 % of 250 rows = the 3 largest weights
    assert s["top1pct_share"] == pytest.approx(np.sort(w)[-3:].sum() / w.sum())
    # fewer than 100 rows: the single largest weight
    small = np.array([1.0, 2.0, 7.0])
    assert weight_summary(small)["top1pct_share"] == pytest.approx(0.7)


def test_weight_summary_warns_below_the_fraction_asked_for():
    w = np.r_[np.full(99, 0.01), 50.0]  # ESS ~ 1.04 of 100
    assert issubclass(LowEffectiveSampleSizeWarning, UserWarning)
    with pytest.warns(LowEffectiveSampleSizeWarning, match="effective sample size"):
        weight_summary(w)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        weight_summary(w, min_ess_fraction=None)
        weight_summary(np.ones(10), min_ess_fraction=1.0)  # ESS/n = 1, not below
    moderate = np.r_[np.ones(50), np.full(50, 3.0)]  # ESS/n = 0.8
    with pytest.warns(LowEffectiveSampleSizeWarning):
        weight_summary(moderate, min_ess_fraction=0.9)
    with pytest.raises(ValueError, match="min_ess_fraction"):
        weight_summary(moderate, min_ess_fraction=2)


def test_truncate_weights_quantile_reuses_the_weight_transform():
    w = np.random.RandomState(3).lognormal(0, 1.5, size=400)
    w_before = w.copy()
    res = truncate_weights(w, quantile=0.9)
    np.testing.assert_allclose(res.weights, postprocess_weights(w, clip_quantile=0.9))
    np.testing.assert_array_equal(w, w_before)  # input kept
    assert res.weights.mean() == pytest.approx(1)
    assert res.n_truncated == np.count_nonzero(w > np.quantile(w, 0.9))
    assert res.threshold == pytest.approx(np.quantile(w, 0.9))
    assert res.ess_after > res.ess_before
    assert res.ess_before == pytest.approx(effective_sample_size(w))
    assert res.ess_after == pytest.approx(effective_sample_size(res.weights))


def test_truncate_weights_absolute_cap_holds_after_renormalisation():
    w = np.random.RandomState(4).exponential(size=300) ** 3
    res = truncate_weights(w, max_weight=3.0)
    assert res.weights.max() == pytest.approx(3.0)
    assert res.weights.mean() == pytest.approx(1)
    # weights below the cap keep their ratios
    kept = w <= res.threshold
    ratio = res.weights[kept] / w[kept]
    np.testing.assert_allclose(ratio, ratio[0])


def test_truncate_weights_keeps_series_index_and_checks_arguments():
    s = pd.Series([1.0, 1.0, 1.0, 9.0], index=list("abcd"), name="w")
    res = truncate_weights(s, max_weight=2.0)
    assert isinstance(res.weights, pd.Series)
    assert list(res.weights.index) == list("abcd") and res.weights.name == "w"
    np.testing.assert_allclose(res.weights, [2 / 3, 2 / 3, 2 / 3, 2])
    with pytest.raises(ValueError, match="quantile= and/or max_weight="):
        truncate_weights(s)
    with pytest.raises(ValueError, match="max_weight"):
        truncate_weights(s, max_weight=0.5)
    with pytest.raises(ValueError, match="quantile"):
        truncate_weights(s, quantile=1.0)


def test_ess_by_flatten_endpoints():
    w = np.random.RandomState(5).lognormal(0, 1, size=200)
    path = ess_by_flatten(w, [0, 0.5, 1])
    assert path["ess"].iloc[0] == pytest.approx(200)
    assert path["ess"].iloc[2] == pytest.approx(effective_sample_size(w))
    assert path["ess"].iloc[1] == pytest.approx(effective_sample_size(np.sqrt(w)))
    assert path["max_weight"].iloc[2] == pytest.approx(w.max() / w.mean())
    with pytest.raises(ValueError, match="non-negative"):
        ess_by_flatten(w, [-1])


def test_domain_probability_is_the_classifier_probability():
    data = it.datasets.make_covariate_shift(200, 100, random_state=0)
    wtr = it.ClassifierWeighter(cv="in_sample").fit(data.X, data.domain)
    p = domain_probability(wtr, data.X)
    np.testing.assert_allclose(p, wtr.estimator_.predict_proba(data.X)[:, 1])
    with pytest.raises(TypeError, match="fitted weighter"):
        domain_probability(LogisticRegression().fit(data.X, data.domain), data.X)


# --------------------------------------------------------------------------
# balance table


def _small_tables():
    src = pd.DataFrame(
        {
            "age": [20.0, 30.0, 40.0, 50.0],
            "smoker": ["y", "n", "n", "n"],
            "sex": [0, 1, 1, 0],
        },
        index=[10, 11, 12, 13],
    )
    tgt = pd.DataFrame(
        {"age": [40.0, 50.0, 60.0], "smoker": ["y", "y", "n"], "sex": [1, 1, 0]}
    )
    w = np.array([0.2, 0.4, 1.4, 2.0])
    return src, tgt, w


def test_balance_table_matches_hand_computation():
    src, tgt, w = _small_tables()
    tab = balance_table(src, tgt, w)
    assert tab.index.tolist() == ["age", "smoker=n", "smoker=y", "sex"]
    assert tab.loc["age", "type"] == "continuous"
    assert tab.loc["sex", "type"] == "binary"
    assert tab.loc["smoker=y", "type"] == "categorical"
    age = tab.loc["age"]
    # target SD of (40, 50, 60) = 10; source mean 35; weighted mean 172 / 4 = 43
    assert age["mean_weighted"] == pytest.approx(43)
    assert age["diff_before"] == pytest.approx(-1.5)
    assert age["diff_after"] == pytest.approx(-0.7)
    # variance ratios: var(20..50, ddof=1) = 166.67 over 100
    assert age["var_ratio_before"] == pytest.approx(166.666667 / 100)
    v1, v2 = w.sum(), (w**2).sum()
    wvar = (w * (src["age"] - 43) ** 2).sum() / (v1 - v2 / v1)
    assert age["var_ratio_after"] == pytest.approx(wvar / 100)
    # KS before: largest gap at 30, source ECDF 0.5 and target's 0
    assert age["ks_before"] == pytest.approx(0.5)
    # smoker = y: target 2/3, source 1/4, weighted 0.2 / 4
    assert tab.loc["smoker=y", "diff_before"] == pytest.approx(0.25 - 2 / 3)
    assert tab.loc["smoker=y", "diff_after"] == pytest.approx(0.05 - 2 / 3)
    assert tab.loc["smoker=y", "ks_after"] == pytest.approx(2 / 3 - 0.05)
    # binary sex: proportions, not SMD; weighted share of 1s = (0.4 + 1.4) / 4
    assert tab.loc["sex", "diff_after"] == pytest.approx(0.45 - 2 / 3)
    assert np.isnan(tab.loc["sex", "var_ratio_after"])
    assert tab["imbalanced_before"].tolist() == [True, True, True, True]
    assert tab.attrs["ess"] == pytest.approx(effective_sample_size(w))
    assert tab.attrs["sd"] == "target" and tab.attrs["threshold"] == 0.1


def test_balance_table_sd_conventions_and_binary_option():
    src, tgt, w = _small_tables()
    pooled = balance_table(src, tgt, w, sd="pooled")
    s = np.sqrt((np.var([20, 30, 40, 50], ddof=1) + 100) / 2)
    assert pooled.loc["age", "diff_before"] == pytest.approx(-15 / s)
    smd = balance_table(src, tgt, w, binary="smd")
    assert smd.loc["sex", "type"] == "continuous"
    assert smd.loc["sex", "diff_before"] == pytest.approx(
        (0.5 - 2 / 3) / np.std([1, 1, 0], ddof=1)
    )
    # a numeric code declared categorical gets one row per level
    cat = balance_table(src, tgt, w, categorical=["sex"])
    assert {"sex=0", "sex=1"} <= set(cat.index)


def test_balance_table_uniform_weights_after_equals_before():
    src, tgt, _ = _small_tables()
    tab = balance_table(src, tgt)
    np.testing.assert_allclose(tab["diff_after"], tab["diff_before"])
    np.testing.assert_allclose(tab["ks_after"], tab["ks_before"])


def test_balance_table_missing_values_get_their_own_row():
    src, tgt, w = _small_tables()
    src = src.astype({"age": float})
    src.loc[11, "age"] = np.nan
    src.loc[12, "smoker"] = None
    tab = balance_table(src, tgt, w)
    assert tab.loc["age=<NA>", "type"] == "missing"
    assert tab.loc["age=<NA>", "mean_weighted"] == pytest.approx(0.4 / 4)
    # the observed rows carry the continuous statistics
    obs = np.array([20.0, 40.0, 50.0])
    wo = w[[0, 2, 3]]
    assert tab.loc["age", "mean_weighted"] == pytest.approx(np.average(obs, weights=wo))
    assert tab.loc["smoker=<NA>", "mean_source"] == pytest.approx(0.25)


@pytest.mark.parametrize("seed", range(4))
def test_weighted_ks_matches_brute_force_ecdf(seed):
    rng = np.random.RandomState(seed)
    xs = rng.randint(0, 8, size=40).astype(float)  # ties on purpose
    xt = rng.randint(2, 10, size=30).astype(float)
    ws = rng.exponential(size=40)

    def brute(x):
        fs = ws[xs <= x].sum() / ws.sum()
        ft = np.mean(xt <= x)
        return abs(fs - ft)

    grid = np.linspace(-1, 11, 1201)  # a fine grid covers every jump
    expected = max(brute(x) for x in grid)
    assert weighted_ecdf_distance(xs, ws, xt) == pytest.approx(expected)
    tab = balance_table(xs[:, None], xt[:, None], ws)
    assert tab.loc["x0", "ks_after"] == pytest.approx(expected)


def test_balance_table_with_oracle_weights_balances_the_shift():
    data = it.datasets.make_covariate_shift(4000, 4000, 3, random_state=0)
    Xs, Xt = data.X[data.domain == 0], data.X[data.domain == 1]
    tab = balance_table(Xs, Xt, data.true_ratio[data.domain == 0])
    assert tab.index.tolist() == ["x0", "x1", "x2"]
    assert (tab["diff_before"].abs() > 0.4).all()
    assert (tab["diff_after"].abs() < 0.1).all()
    assert (tab["ks_after"] < tab["ks_before"]).all()


def test_balance_table_pandas_round_trip_and_no_mutation():
    src, tgt, w = _small_tables()
    src_copy, tgt_copy, w_copy = src.copy(), tgt.copy(), w.copy()
    series = pd.Series(w, index=src.index)
    shuffled = series.iloc[[2, 0, 3, 1]]  # same labels, other order: aligned
    a = balance_table(src, tgt[["sex", "smoker", "age"]], series)
    b = balance_table(src, tgt, shuffled)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(src, src_copy)
    pd.testing.assert_frame_equal(tgt, tgt_copy)
    np.testing.assert_array_equal(w, w_copy)
    # CSV round trip keeps names and numbers
    back = pd.read_csv(pd.io.common.StringIO(a.to_csv()), index_col="covariate")
    assert back.index.tolist() == a.index.tolist()
    np.testing.assert_allclose(back["diff_after"], a["diff_after"])


def test_balance_table_errors():
    src, tgt, w = _small_tables()
    with pytest.raises(ValueError, match="different columns"):
        balance_table(src, tgt.drop(columns="sex"), w)
    with pytest.raises(ValueError, match="4 rows"):
        balance_table(src, tgt, w[:3])
    with pytest.raises(ValueError, match="negative"):
        balance_table(src, tgt, -w)
    with pytest.raises(ValueError, match="sd must be"):
        balance_table(src, tgt, w, sd="treated")
    with pytest.raises(TypeError, match="DataFrame"):
        balance_table(src, tgt.to_numpy(), w)
    with pytest.raises(ValueError, match="same covariates"):
        balance_table(np.zeros((4, 2)), np.zeros((3, 3)), w)
    with pytest.raises(ValueError, match="unknown columns"):
        balance_table(src, tgt, w, categorical=["height"])


# --------------------------------------------------------------------------
# evaluation with bootstrap intervals


@pytest.fixture(scope="module")
def fitted_classifier():
    data = it.datasets.make_covariate_shift(300, 300, 2, random_state=1)
    src = data.domain == 0
    model = LogisticRegression().fit(data.X[src], data.y[src])
    return model, data


def test_evaluate_point_estimates_are_scikit_learn_metrics(fitted_classifier):
    model, data = fitted_classifier
    tgt = data.domain == 1
    X, y = data.X[tgt], data.y[tgt]
    res = evaluate(
        model, X, y, scoring=["accuracy", "log_loss", "roc_auc"], n_resamples=0
    )
    p = model.predict_proba(X)[:, 1]
    assert res.loc["accuracy", "estimate"] == pytest.approx(
        accuracy_score(y, model.predict(X))
    )
    assert res.loc["log_loss", "estimate"] == pytest.approx(log_loss(y, p))
    assert res.loc["roc_auc", "estimate"] == pytest.approx(roc_auc_score(y, p))
    assert res["ess"].iloc[0] == pytest.approx(len(y))
    assert np.isnan(res["ci_low"]).all()


def test_evaluate_importance_weighted_source_score(fitted_classifier):
    model, data = fitted_classifier
    src = data.domain == 0
    w = data.true_ratio[src]
    res = evaluate(
        model,
        data.X[src],
        data.y[src],
        scoring="log_loss",
        sample_weight=w,
        n_resamples=0,
    )
    expected = log_loss(data.y[src], model.predict_proba(data.X[src]), sample_weight=w)
    assert res.loc["log_loss", "estimate"] == pytest.approx(expected)
    assert res.loc["log_loss", "ess"] == pytest.approx(effective_sample_size(w))


def _two_class_models():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(260, 3))
    y = (X[:, 0] + rng.normal(size=260) > 0).astype(int)
    a = LogisticRegression().fit(X[:100], y[:100])
    b = LogisticRegression(C=0.01).fit(X[:100], y[:100])
    return {"a": a, "b": b}, X[100:], y[100:], rng.exponential(size=160)


@pytest.mark.parametrize(
    "name, sk_name",
    [
        ("accuracy", "accuracy"),
        ("log_loss", "neg_log_loss"),
        ("brier_score_loss", "neg_brier_score"),
        ("roc_auc", "roc_auc"),
    ],
)
def test_fast_bootstrap_equals_scikit_learn_scorers(name, sk_name):
    models, X, y, w = _two_class_models()
    sign = -1 if sk_name.startswith("neg_") else 1
    fast = evaluate(
        models,
        X,
        y,
        scoring=[name],
        sample_weight=w,
        baseline="a",
        n_resamples=40,
        random_state=3,
    )
    # a scorer object takes the generic path: scikit-learn on every resample
    slow = evaluate(
        models,
        X,
        y,
        scoring={
            name: lambda est, X_, y_, sample_weight=None: (
                sign * get_scorer(sk_name)(est, X_, y_, sample_weight=sample_weight)
            )
        },
        sample_weight=w,
        baseline="a",
        n_resamples=40,
        random_state=3,
    )
    pd.testing.assert_frame_equal(fast, slow, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "name, sk_name",
    [
        ("r2", "r2"),
        ("mean_squared_error", "neg_mean_squared_error"),
        ("root_mean_squared_error", "neg_root_mean_squared_error"),
        ("mean_absolute_error", "neg_mean_absolute_error"),
    ],
)
def test_fast_bootstrap_equals_scikit_learn_regression_scorers(name, sk_name):
    rng = np.random.RandomState(1)
    X = rng.normal(size=(200, 2))
    y = X @ [1.0, -2.0] + rng.normal(size=200)
    model = Ridge().fit(X[:80], y[:80])
    sign = -1 if sk_name.startswith("neg_") else 1
    w = rng.exponential(size=120)
    fast = evaluate(
        model,
        X[80:],
        y[80:],
        scoring=[name],
        sample_weight=w,
        n_resamples=40,
        random_state=0,
    )
    slow = evaluate(
        model,
        X[80:],
        y[80:],
        scoring={
            name: lambda est, X_, y_, sample_weight=None: (
                sign * get_scorer(sk_name)(est, X_, y_, sample_weight=sample_weight)
            )
        },
        sample_weight=w,
        n_resamples=40,
        random_state=0,
    )
    pd.testing.assert_frame_equal(fast, slow, rtol=1e-9, atol=1e-12)
    if name == "mean_squared_error":
        assert fast.iloc[0]["estimate"] == pytest.approx(
            mean_squared_error(y[80:], model.predict(X[80:]), sample_weight=w)
        )


def test_fast_bootstrap_multiclass_log_loss():
    rng = np.random.RandomState(2)
    X = rng.normal(size=(300, 2))
    y = np.digitize(X[:, 0] + 0.5 * rng.normal(size=300), [-0.5, 0.5])
    model = LogisticRegression().fit(X[:100], y[:100])
    fast = evaluate(
        model,
        X[100:],
        y[100:],
        scoring=["log_loss", "accuracy"],
        n_resamples=30,
        random_state=0,
    )
    slow = evaluate(
        model,
        X[100:],
        y[100:],
        scoring={
            "log_loss": lambda e, X_, y_, sample_weight=None: (
                -get_scorer("neg_log_loss")(e, X_, y_, sample_weight=sample_weight)
            ),
            "accuracy": get_scorer("accuracy"),
        },
        n_resamples=30,
        random_state=0,
    )
    pd.testing.assert_frame_equal(fast, slow, rtol=1e-9, atol=1e-12)


def test_bootstrap_standard_error_of_accuracy_matches_binomial():
    rng = np.random.RandomState(4)
    X = rng.normal(size=(1600, 1))
    y = (X[:, 0] + rng.normal(size=1600) > 0).astype(int)
    model = LogisticRegression().fit(X[:400], y[:400])
    res = evaluate(model, X[400:], y[400:], n_resamples=2000, random_state=0)
    p = res.loc["accuracy", "estimate"]
    assert res.loc["accuracy", "std_error"] == pytest.approx(
        np.sqrt(p * (1 - p) / 1200), rel=0.1
    )
    lo, hi = res.loc["accuracy", ["ci_low", "ci_high"]]
    assert hi - lo == pytest.approx(2 * 1.96 * np.sqrt(p * (1 - p) / 1200), rel=0.15)


def test_evaluate_is_seeded_and_pairs_the_baseline():
    models, X, y, _ = _two_class_models()
    kw = dict(scoring=["roc_auc", "log_loss"], baseline="a", n_resamples=200)
    r1 = evaluate(models, X, y, random_state=0, **kw)
    r2 = evaluate(models, X, y, random_state=0, **kw)
    r3 = evaluate(models, X, y, random_state=1, **kw)
    pd.testing.assert_frame_equal(r1, r2)
    assert not np.allclose(r1["ci_low"], r3["ci_low"])
    assert r1.index.names == ["model", "metric"]
    np.testing.assert_array_equal(r1.loc["a", "diff"], 0.0)
    np.testing.assert_array_equal(r1.loc["a", "diff_ci_low"], 0.0)
    assert r1.loc[("b", "log_loss"), "diff"] == pytest.approx(
        r1.loc[("b", "log_loss"), "estimate"] - r1.loc[("a", "log_loss"), "estimate"]
    )
    # the paired interval is narrower than the two unpaired ones side by side
    width = (
        r1.loc[("b", "roc_auc"), "diff_ci_high"]
        - r1.loc[("b", "roc_auc"), "diff_ci_low"]
    )
    assert (
        width < r1.loc[("b", "roc_auc"), "ci_high"] - r1.loc[("b", "roc_auc"), "ci_low"]
    )


def test_evaluate_counts_undefined_resamples():
    models, X, y, _ = _two_class_models()
    y = y.copy()
    y[:] = 0
    y[:2] = 1  # most resamples of 160 rows still hold a 1; some hold none
    res = evaluate(
        models["a"], X, y, scoring="roc_auc", n_resamples=300, random_state=0
    )
    assert 0 < res.attrs["n_failed"] < 300
    assert np.isfinite(res.loc["roc_auc", "ci_low"])


def test_evaluate_errors():
    models, X, y, _ = _two_class_models()
    with pytest.raises(ValueError, match="baseline"):
        evaluate(models, X, y, baseline="c")
    with pytest.raises(ValueError, match="Unknown scoring"):
        evaluate(models["a"], X, y, scoring="nope")
    with pytest.raises(ValueError, match="n_resamples"):
        evaluate(models["a"], X, y, n_resamples=-1)
    with pytest.raises(ValueError, match="confidence_level"):
        evaluate(models["a"], X, y, confidence_level=95)
    with pytest.raises(ValueError, match="y has .* entries but X has"):
        evaluate(models["a"], X, y[:-1])
    with pytest.raises(ValueError, match="sample_weight has 3 entries but X has"):
        evaluate(models["a"], X, y, sample_weight=np.ones(3))


class _Float32Step(ClassifierMixin, BaseEstimator):
    """A step-function classifier whose float32 probabilities are exactly 0/1."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        p = (np.asarray(X)[:, 0] > 0).astype(np.float32)
        return np.c_[1 - p, p].astype(np.float32)

    def predict(self, X):
        return self.classes_[(np.asarray(X)[:, 0] > 0).astype(int)]


def test_fast_log_loss_clips_float32_probabilities_as_scikit_learn():
    # scikit-learn clips at the probabilities' own eps (1.2e-7 in float32):
    # every misclassified row costs -log(1.2e-7) = 15.9, not 36 as with the
    # float64 eps, so an interval computed with the wrong eps misses the estimate
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 1))
    y = (X[:, 0] + 0.3 * rng.normal(size=120) > 0).astype(int)
    model = _Float32Step().fit(X, y)
    res = evaluate(model, X, y, scoring="log_loss", n_resamples=200, random_state=0)
    draws = np.random.RandomState(0).randint(0, 120, size=(200, 120))
    brute = np.array([log_loss(y[d], model.predict_proba(X[d])) for d in draws])
    lo, hi = np.quantile(brute, [0.025, 0.975])
    assert res.loc["log_loss", "ci_low"] == pytest.approx(lo, rel=1e-5)
    assert res.loc["log_loss", "ci_high"] == pytest.approx(hi, rel=1e-5)
    assert res.loc["log_loss", "std_error"] == pytest.approx(
        brute.std(ddof=1), rel=1e-5
    )
    assert lo <= res.loc["log_loss", "estimate"] <= hi


def test_evaluate_metrics_without_sample_weight():
    from sklearn.metrics import make_scorer, max_error

    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 2))
    y = X @ [1.0, 2.0] + rng.normal(size=80)
    model = Ridge().fit(X, y)
    median_ae = make_scorer(
        lambda a, b: float(np.median(np.abs(a - b))), greater_is_better=False
    )
    res = evaluate(
        model,
        X,
        y,
        scoring={"neg": "neg_max_error", "max_error": "max_error", "mae": median_ae},
        n_resamples=50,
        random_state=0,
    )
    resid = np.abs(y - model.predict(X))
    assert res.loc["neg", "estimate"] == pytest.approx(-max_error(y, model.predict(X)))
    assert res.loc["max_error", "estimate"] == pytest.approx(resid.max())
    assert res.loc["mae", "estimate"] == pytest.approx(-np.median(resid))
    # the bootstrap is the plain one: the metric on the drawn rows
    draws = np.random.RandomState(0).randint(0, 80, size=(50, 80))
    brute = np.array([resid[d].max() for d in draws])
    np.testing.assert_allclose(
        res.loc["max_error", ["ci_low", "ci_high"]].astype(float),
        np.quantile(brute, [0.025, 0.975]),
    )
    brute = np.array([-np.median(resid[d]) for d in draws])
    assert res.loc["mae", "std_error"] == pytest.approx(brute.std(ddof=1))
    # weights for a metric that takes none: a clear error, not a TypeError
    with pytest.raises(ValueError, match="does not take sample_weight"):
        evaluate(model, X, y, scoring="max_error", sample_weight=np.ones(80))


def test_balance_table_object_array_and_levels_that_print_alike():
    src, tgt, w = _small_tables()
    # an object array: numeric columns stay numeric (continuous), as from pandas
    tab = balance_table(src.to_numpy(dtype=object), tgt.to_numpy(dtype=object), w)
    ref = balance_table(src, tgt, w)
    assert tab.index.tolist() == ["x0", "x1=n", "x1=y", "x2"]
    assert tab.loc["x0", "type"] == "continuous" and tab.loc["x2", "type"] == "binary"
    np.testing.assert_allclose(
        tab["diff_after"].to_numpy(), ref["diff_after"].to_numpy()
    )
    # 1 and "1" are different levels: different, unique row names
    s = pd.DataFrame({"m": [1, "1", "a", 1]}, dtype=object)
    t = pd.DataFrame({"m": ["1", 1, "a"]}, dtype=object)
    tab = balance_table(s, t, w)
    assert tab.index.is_unique and len(tab) == 3
    assert tab.loc["m=1", "mean_source"] == pytest.approx(0.5)
    assert tab.loc["m='1'", "mean_source"] == pytest.approx(0.25)


def test_balance_table_flags_and_warns_about_levels_only_in_the_target():
    rng = np.random.RandomState(0)
    src = pd.DataFrame(
        {
            "ward": ["A", "B", "C", "A", "B", "C", "A", "E"],
            "age": rng.normal(50, 5, 8),
            "flag": [0, 0, 0, 0, 0, 0, 1, 0],
        }
    )
    tgt = pd.DataFrame(
        {
            "ward": ["B", "C", "D", "D", "B", None, "C", "D", "B", "C"],
            "age": rng.normal(55, 5, 10),
            "flag": [1, 0, 1, 0, 0, 0, 1, 0, 0, 0],
        }
    )
    w = np.array([1.0, 0.5, 2.0, 1.0, 1.0, 1.0, 0.0, 1.0])  # flag=1 row: weight 0
    with pytest.warns(UserWarning, match="level") as record:
        tab = balance_table(src, tgt, w)
    flagged = tab.index[tab["target_only"]].tolist()
    # D and the missing ward: no source row; flag=1: no source row of positive
    # weight; E (source only) can be weighted away, so it is not flagged
    assert flagged == ["ward=D", "ward=<NA>", "flag"]
    assert tab["target_only"].dtype == bool
    assert not tab.loc[["ward=A", "ward=B", "ward=E", "age"], "target_only"].any()
    # no weighting balances them: the weighted share stays 0 whatever the weights
    for _ in range(5):
        with pytest.warns(UserWarning, match="ward=D"):
            other = balance_table(src, tgt, rng.uniform(0.1, 5, 8))
        assert other.loc["ward=D", "mean_weighted"] == 0
        assert other.loc["ward=D", "diff_after"] == pytest.approx(-0.3)
    assert not other.loc["flag", "target_only"]  # flag=1 row weighted now
    ours = [r for r in record if "occur in the target" in str(r.message)]
    assert len(ours) == 1  # once, naming every level
    message = str(ours[0].message)
    assert "ward=D (30.0 % of target rows)" in message
    assert "ward=<NA> (10.0 % of target rows)" in message
    assert "flag=1 (30.0 % of target rows)" in message
    assert "restrict the target population" in message and "collect" in message
    assert ours[0].filename == __file__  # points at the caller
    # nothing only in the target: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tab = balance_table(src, src.iloc[:6], np.ones(8))
    assert not tab["target_only"].any()


def test_a_constant_column_is_balanced_whatever_the_weights():
    # the same constant on both sides: no weighting can move it; the rounding
    # residue of a weighted mean over a zero SD once read as an infinite SMD
    # and flagged the column as imbalanced after weighting
    rng = np.random.default_rng(0)
    s = pd.DataFrame({"age": rng.normal(50, 10, 50), "site": 3.0})
    t = pd.DataFrame({"age": rng.normal(60, 10, 40), "site": 3.0})
    w = rng.uniform(0.5, 2, 50)
    row = balance_table(s, t, w).loc["site"]
    assert row["diff_after"] == 0 and row["var_ratio_after"] == 1
    assert not row["imbalanced_after"]
