"""The transfer boosters' safe defaults, with known answers.

Rounds chosen by cross-validation over the labeled target rows (falling back
to the pooled fit), the soft vote recalibrated by closed testing, the default
learner on mixed-type tables, ``cv`` in all its forms, ``boost_weights_``.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, logit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from instransfer import (
    TrAdaBoostClassifier,
    TrAdaBoostRegressor,
    TwoStageTrAdaBoostRegressor,
)
from instransfer.boosting._calibration import (
    apply_recalibration,
    closed_test_recalibration,
)
from instransfer.model_selection import DomainStratifiedKFold


def _logistic_problem(n_source, n_target, coef_s, coef_t, seed, n_test=4000):
    """Stacked rows with known risks ``sigmoid(X @ coef)`` per domain."""
    rng = np.random.RandomState(seed)
    d = len(coef_s) - 1
    X = rng.normal(size=(n_source + n_target + n_test, d))
    domain = np.r_[np.zeros(n_source, int), np.ones(n_target + n_test, int)]
    coef = np.where(domain[:, None] == 1, coef_t, coef_s)
    risk = expit(coef[:, 0] + np.sum(X * coef[:, 1:], axis=1))
    y = (rng.uniform(size=len(risk)) < risk).astype(int)
    n = n_source + n_target
    return X[:n], y[:n], domain[:n], X[n:], y[n:], risk[n:]


# --------------------------------------------------------------------------
# safe by default: fall back where boosting cannot help, win where it can


@pytest.mark.parametrize("n_target", [10, 50])
def test_falls_back_to_the_pooled_fit_when_the_concept_is_shared(n_target):
    # one logistic law for both domains: nothing to transfer away from, so
    # the pooled fit is the model, exactly (no extra round, no recalibration)
    coef = [-0.5, 1.0, -1.0, 0.5]
    rounds = []
    for seed in range(3):
        X, y, domain, Xte, _, _ = _logistic_problem(300, n_target, coef, coef, seed)
        clf = TrAdaBoostClassifier(random_state=0).fit(X, y, domain=domain)
        rounds.append(clf.n_rounds_)
        if clf.n_rounds_ == 1 and clf.calibration_[0] == "none":
            pooled = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
            assert_allclose(
                clf.predict_proba(Xte), pooled.predict_proba(Xte), rtol=1e-10
            )
    assert rounds.count(1) >= 2, rounds


def test_wins_where_the_target_concept_differs():
    # the source labels follow x0, the target's follow x1: the pooled fit
    # (mostly source) guesses on the target; boosting moves the weight to the
    # target rows, and the cross-validation sees it
    coef_s, coef_t = [0.0, 3.0, 0.0], [0.0, 0.0, 3.0]
    X, y, domain, Xte, yte, risk = _logistic_problem(600, 50, coef_s, coef_t, 0)
    clf = TrAdaBoostClassifier(random_state=0).fit(X, y, domain=domain)
    pooled = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    assert clf.n_rounds_ > 1
    acc = np.mean(clf.predict(Xte) == yte)
    acc_pooled = np.mean(pooled.predict(Xte) == yte)
    assert acc > acc_pooled + 0.15, (acc, acc_pooled)
    assert log_loss(yte, clf.predict_proba(Xte)) < log_loss(
        yte, pooled.predict_proba(Xte)
    )


def test_paper_rounds_without_early_stopping():
    coef = [-0.5, 1.0, -1.0]
    X, y, domain, *_ = _logistic_problem(300, 30, coef, coef, 1)
    clf = TrAdaBoostClassifier(early_stopping=False, calibration=None)
    clf.fit(X, y, domain=domain)
    assert clf.n_rounds_ == 50 and clf.cv_results_ is None


# --------------------------------------------------------------------------
# probabilities that are risks


def test_closed_test_recovers_a_known_miscalibration():
    rng = np.random.RandomState(0)
    p = rng.uniform(0.02, 0.98, size=3000)
    true = expit(1.0 + 0.5 * logit(p))  # too extreme, and too low on average
    y = (rng.uniform(size=p.size) < true).astype(float)
    method, (a, b) = closed_test_recalibration(p, y, np.ones_like(p))
    assert method == "logistic"
    assert a == pytest.approx(1.0, abs=0.15) and b == pytest.approx(0.5, abs=0.1)
    assert_allclose(apply_recalibration(p, (a, b)), true, atol=0.05)


def test_closed_test_leaves_calibrated_risks_and_refuses_a_reversal():
    rng = np.random.RandomState(1)
    p = rng.uniform(0.05, 0.95, size=400)
    y = (rng.uniform(size=p.size) < p).astype(float)
    assert closed_test_recalibration(p, y, np.ones_like(p))[0] == "none"
    # labels against the risks: a negative slope would reverse the ranking
    y_rev = (rng.uniform(size=p.size) < 1 - p).astype(float)
    method, (_, b) = closed_test_recalibration(p, y_rev, np.ones_like(p))
    assert method in ("none", "intercept") and b == 1.0
    # one class only: the intercept runs off (separation), nothing is updated
    assert closed_test_recalibration(p[:20], np.zeros(20), np.ones(20))[0] == "none"


def test_probabilities_match_known_target_risks():
    # target risks are the source's shifted by +1.5 on the logit scale: the
    # pooled fit is too low on the target (by 0.24 on average); the default
    # boosts towards the target rows (measured: 19-44 rounds over 4 seeds)
    coef_s, coef_t = [-1.0, 1.0, -0.5], [0.5, 1.0, -0.5]
    X, y, domain, Xte, _, risk = _logistic_problem(800, 150, coef_s, coef_t, 2)
    clf = TrAdaBoostClassifier(random_state=0).fit(X, y, domain=domain)
    pooled = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    p = clf.predict_proba(Xte)[:, 1]
    p_pooled = pooled.predict_proba(Xte)[:, 1]
    assert np.mean(np.abs(p - risk)) < 0.5 * np.mean(np.abs(p_pooled - risk))
    assert abs(p.mean() - risk.mean()) < 0.1 < abs(p_pooled.mean() - risk.mean())
    assert_allclose(clf.predict_proba(Xte).sum(axis=1), 1.0)
    # soft vote: risks, not vote shares at 0 or 1
    assert np.mean((p > 1e-3) & (p < 1 - 1e-3)) > 0.99


def test_hard_vote_is_the_papers_and_predict_follows_predict_proba():
    coef = [0.0, 1.0, -1.0]
    X, y, domain, Xte, *_ = _logistic_problem(300, 40, coef, coef, 3)
    clf = TrAdaBoostClassifier(
        DecisionTreeClassifier(max_depth=2),
        vote="hard",
        calibration=None,
        early_stopping=False,
        n_estimators=8,
        random_state=0,
    ).fit(X, y, domain=domain)
    shares = clf.predict_proba(Xte)
    sl = slice(int(np.ceil(len(clf.estimators_) / 2)) - 1, len(clf.estimators_))
    a = clf.estimator_weights_[sl]
    votes = sum(
        ai * (e.predict(Xte)[:, None] == np.arange(2))
        for ai, e in zip(a, clf.estimators_[sl], strict=True)
    )
    assert_allclose(shares, votes / a.sum(), rtol=1e-12)
    assert_array_equal(clf.predict(Xte), (shares[:, 1] >= shares[:, 0]).astype(int))


# --------------------------------------------------------------------------
# mixed-type tables


def _mixed_frame(seed=0, n=240):
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(seed)
    df = pd.DataFrame(
        {
            "age": rng.normal(60, 10, n),
            "grade": pd.Categorical(rng.choice(["I", "II", "III"], n)),
            "sex": rng.choice(["f", "m"], n).astype(object),
            "dose": np.where(rng.uniform(size=n) < 0.1, np.nan, rng.uniform(0, 1, n)),
        }
    )
    score = 0.05 * (df["age"] - 60) + (df["grade"] == "III") - 0.5 * (df["sex"] == "m")
    y = (rng.uniform(size=n) < expit(score.to_numpy())).astype(int)
    domain = (np.arange(n) >= n - 30).astype(int)
    return df, y, domain


def test_default_learner_encodes_categorical_columns_and_missing_values():
    df, y, domain = _mixed_frame()
    clf = TrAdaBoostClassifier(random_state=0).fit(df, y, domain=domain)
    p = clf.predict_proba(df.iloc[:5])
    assert p.shape == (5, 2) and np.isfinite(p).all()
    assert list(clf.feature_names_in_) == ["age", "grade", "sex", "dose"]
    reg = TrAdaBoostRegressor(n_estimators=4, random_state=0)
    assert np.isfinite(reg.fit(df, y * 1.0, domain=domain).predict(df)).all()
    two = TwoStageTrAdaBoostRegressor(n_steps=2, n_estimators=2, random_state=0)
    assert np.isfinite(two.fit(df, y * 1.0, domain=domain).predict(df)).all()


def test_a_learner_that_cannot_read_text_columns_names_them():
    df, y, domain = _mixed_frame()
    clf = TrAdaBoostClassifier(DecisionTreeClassifier(max_depth=2))
    with pytest.raises(ValueError, match=r"\[.grade., .sex.\].*OneHotEncoder"):
        clf.fit(df.drop(columns="dose"), y, domain=domain)


# --------------------------------------------------------------------------
# cv in every form, deterministic, cv_results_


def test_cv_none_int_splitter_and_iterable_agree():
    from sklearn.model_selection import StratifiedKFold

    coef_s, coef_t = [0.0, 2.0, 0.0], [0.0, 1.0, 1.5]
    X, y, domain, *_ = _logistic_problem(200, 30, coef_s, coef_t, 4)
    t = np.flatnonzero(domain == 1)
    # cv=None: 5 folds of the target rows stratified by class, seed 0
    skf = StratifiedKFold(5, shuffle=True, random_state=0)
    by_hand = [(None, t[test]) for _, test in skf.split(t[:, None], y[t])]
    splitter = DomainStratifiedKFold(4, random_state=0)
    strata = np.where(domain == 1, y, -1)
    fits = {}
    for name, cv in [
        ("none", None),
        ("int", 5),
        ("iterable", by_hand),
        ("splitter", splitter),
        ("its splits", list(splitter.split(X, strata))),
    ]:
        clf = TrAdaBoostClassifier(cv=cv, n_estimators=12)
        fits[name] = clf.fit(X, y, domain=domain)
    for a, b in [("none", "int"), ("none", "iterable"), ("splitter", "its splits")]:
        assert_allclose(
            fits[a].cv_results_["mean_test_score"],
            fits[b].cv_results_["mean_test_score"],
        )
        assert fits[a].n_rounds_ == fits[b].n_rounds_
    ref = fits["none"].cv_results_
    keys = {"params", "mean_test_score", "std_test_score", "rank_test_score"}
    assert keys <= set(ref) and "split4_test_score" in ref
    assert ref["params"][0] == {"n_rounds": 1}
    assert ref["rank_test_score"].min() == 1
    assert "split3_test_score" in fits["splitter"].cv_results_


@pytest.mark.parametrize(
    "cv", [None, 3, DomainStratifiedKFold(3, random_state=0), "iterable"]
)
def test_two_stage_takes_every_form_of_cv(cv):
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 2, size=(130, 2))
    domain = np.r_[np.zeros(110, int), np.ones(20, int)]
    y = np.sin(X[:, 0]) + np.where(domain == 1, 0.6 * X[:, 1], 0.0)
    if cv == "iterable":
        t = np.flatnonzero(domain == 1)
        cv = [(np.setdiff1d(np.arange(130), t[k::3]), t[k::3]) for k in range(3)]
    params = dict(n_steps=3, n_estimators=3, cv=cv, random_state=0)
    reg = TwoStageTrAdaBoostRegressor(DecisionTreeRegressor(max_depth=2), **params)
    reg.fit(X, y, domain=domain)
    assert np.isfinite(reg.cv_errors_).all()
    again = TwoStageTrAdaBoostRegressor(DecisionTreeRegressor(max_depth=2), **params)
    assert_array_equal(reg.cv_errors_, again.fit(X, y, domain=domain).cv_errors_)


def test_regressor_rounds_by_cv_fall_back():
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 2, size=(230, 2))
    domain = np.r_[np.zeros(200, int), np.ones(30, int)]
    y = X[:, 0] + 0.3 * rng.normal(size=230)  # one law for both domains
    reg = TrAdaBoostRegressor(random_state=0).fit(X, y, domain=domain)
    assert reg.n_rounds_ < 50 and len(reg.estimators_) <= reg.n_rounds_
    assert -reg.cv_results_["mean_test_score"].min() < 1.0


def test_boost_weights_and_the_deprecated_alias():
    coef = [0.0, 1.0, -1.0]
    X, y, domain, *_ = _logistic_problem(200, 20, coef, coef, 5)
    clf = TrAdaBoostClassifier(early_stopping=False, n_estimators=5).fit(
        X, y, domain=domain
    )
    assert clf.boost_weights_.sum() == pytest.approx(1.0)
    with pytest.warns(FutureWarning, match="boost_weights_"):
        assert_array_equal(clf.weights_, clf.boost_weights_)
