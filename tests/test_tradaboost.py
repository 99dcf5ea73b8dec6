"""TrAdaBoost family: paper references, transfer, weights, API and bad input.

These tests check the papers' algorithms, so the classifier and TrAdaBoost.R2
run here as the papers (and earlier versions) define them: every round
(``early_stopping=False``), the classifier with a depth-3 tree, the hard vote
and no recalibration, unless a test says otherwise. The safe defaults (rounds
chosen by cross-validation, soft vote, recalibration, categorical columns)
are tested in ``tests/test_boosting_defaults.py``.
"""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone, is_classifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from instransfer import TrAdaBoostClassifier as _TrAdaBoostClassifier
from instransfer import TrAdaBoostRegressor as _TrAdaBoostRegressor
from instransfer import TwoStageTrAdaBoostRegressor
from instransfer._validation import NoDomainWarning
from instransfer.boosting._two_stage import _shift_to_target

# --------------------------------------------------------------------------
# the papers' algorithms


def TrAdaBoostClassifier(estimator=None, **params):  # noqa: N802
    """Dai et al.'s TrAdaBoost: all rounds, hard vote, no recalibration."""
    # the soft hypothesis came with the probability vote in earlier versions
    vote = "soft" if params.get("hypothesis") == "soft" else "hard"
    params = {"early_stopping": False, "vote": vote, "calibration": None, **params}
    if estimator is None:
        estimator = DecisionTreeClassifier(max_depth=3)
    return _TrAdaBoostClassifier(estimator, **params)


def TrAdaBoostRegressor(estimator=None, **params):  # noqa: N802
    """Pardoe & Stone's TrAdaBoost.R2: all rounds."""
    return _TrAdaBoostRegressor(estimator, **{"early_stopping": False, **params})


# --------------------------------------------------------------------------
# data


def _concept_shift(n_source=300, n_target=40, n_classes=2, seed=0):
    """Source labels follow a rotated boundary: they partly disagree."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_source + n_target, 3))
    domain = np.r_[np.zeros(n_source, int), np.ones(n_target, int)]
    score_t = X[:, 0] + X[:, 1]
    score_s = X[:, 0] - 0.3 * X[:, 1]
    score = np.where(domain == 0, score_s, score_t) + 0.5 * rng.normal(size=len(X))
    if n_classes == 2:
        y = (score > 0).astype(int)
    else:
        y = np.digitize(
            score, np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1])
        )
    return X, y, domain


def _regression_shift(n_source=200, n_target=30, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-2, 2, size=(n_source + n_target, 2))
    domain = np.r_[np.zeros(n_source, int), np.ones(n_target, int)]
    y = np.sin(X[:, 0]) + np.where(domain == 1, 0.6 * X[:, 1], 0.0)
    return X, y + 0.1 * rng.normal(size=len(X)), domain


# --------------------------------------------------------------------------
# slow, obviously-correct references of the papers' algorithms


def _dai_reference(X, y, domain, N):
    """Dai et al. (2007), Algorithm 1, with plain products (binary y in {0, 1})."""
    tgt = domain == 1
    n_s = int((~tgt).sum())
    w = np.ones(len(y))
    beta = 1.0 / (1.0 + np.sqrt(2.0 * np.log(n_s) / N))
    learners, beta_ts, errors = [], [], []
    for _ in range(N):
        p = w / w.sum()  # step 1
        h = LogisticRegression().fit(X, y, sample_weight=p * len(y))  # step 2
        err = np.abs(h.predict(X) - y)
        eps = np.sum(w[tgt] * err[tgt]) / np.sum(w[tgt])  # step 3
        beta_t = eps / (1.0 - eps)  # step 4
        w = np.where(tgt, w * beta_t ** (-err), w * beta**err)  # step 5
        learners.append(h)
        beta_ts.append(beta_t)
        errors.append(eps)
    return learners, np.array(beta_ts), np.array(errors), p


def _dai_predict(learners, beta_ts, X):
    N = len(learners)
    start = int(np.ceil(N / 2)) - 1  # t = ceil(N/2), ..., N (1-based)
    lhs = np.ones(len(X))
    rhs = 1.0
    for h, b in zip(learners[start:], beta_ts[start:], strict=True):
        lhs = lhs * b ** (-h.predict(X))
        rhs = rhs * b ** (-0.5)
    return (lhs >= rhs).astype(int)


def test_binary_update_matches_dai_algorithm_1():
    X, y, domain = _concept_shift(200, 100, seed=7)
    N = 8
    ref_learners, beta_ts, ref_errors, ref_p = _dai_reference(X, y, domain, N)
    assert np.all((ref_errors > 0) & (ref_errors < 0.5))  # no early stop
    clf = TrAdaBoostClassifier(LogisticRegression(), n_estimators=N).fit(
        X, y, domain=domain
    )
    assert_allclose(clf.estimator_errors_, ref_errors, rtol=1e-9)
    assert_allclose(clf.estimator_weights_, np.log(1.0 / beta_ts), rtol=1e-9)
    assert_allclose(clf.boost_weights_, ref_p, rtol=1e-8)
    X_new = np.random.RandomState(5).normal(size=(500, 3))
    assert_array_equal(clf.predict(X_new), _dai_predict(ref_learners, beta_ts, X_new))
    # N = 8 votes with learners 4..8: floor(N/2) + 1 of them
    assert clf._vote_slice() == slice(3, 8)


def test_multiclass_uses_samme_correction():
    X, y, domain = _concept_shift(n_classes=3, seed=2)
    clf = TrAdaBoostClassifier(LogisticRegression(), n_estimators=3).fit(
        X, y, domain=domain
    )
    # reference: round 1 is the plain LR fit; its target error and weight
    h = LogisticRegression().fit(X, y)
    wrong = h.predict(X) != y
    eps = wrong[domain == 1].mean()
    assert clf.estimator_errors_[0] == pytest.approx(eps)
    assert clf.estimator_weights_[0] == pytest.approx(
        np.log((1 - eps) / eps) + np.log(2.0)
    )
    proba = clf.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1.0)
    assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
    dec = clf.decision_function(X)
    assert_allclose(dec.sum(axis=1), 0.0, atol=1e-12)
    assert_array_equal(dec.argmax(axis=1), proba.argmax(axis=1))


def _r2_reference(X, y, domain, N, loss="linear"):
    """Pardoe & Stone (2010), Algorithm 2, with plain products and Ridge."""
    tgt = domain == 1
    n_s = int((~tgt).sum())
    w = np.ones(len(y)) / len(y)
    beta = 1.0 / (1.0 + np.sqrt(2.0 * np.log(n_s) / N))
    learners, beta_ts = [], []
    for _ in range(N):
        h = Ridge().fit(X, y, sample_weight=w / w.sum() * len(y))
        r = np.abs(h.predict(X) - y)
        e = r / r.max()
        if loss == "square":
            e = e**2
        elif loss == "exponential":
            e = 1 - np.exp(-e)
        eps = np.sum(w[tgt] * e[tgt]) / np.sum(w[tgt])
        beta_t = eps / (1 - eps)
        w = np.where(tgt, w * beta_t ** (-e), w * beta**e)
        w = w / w.sum()
        learners.append(h)
        beta_ts.append(beta_t)
    return learners, np.array(beta_ts)


def _median_reference(learners, beta_ts, X):
    N = len(learners)
    start = int(np.ceil(N / 2)) - 1
    out = []
    for x in X:
        preds = np.array([h.predict(x[None])[0] for h in learners[start:]])
        wts = np.log(1 / beta_ts[start:])
        order = np.argsort(preds)
        cum = np.cumsum(wts[order])
        out.append(preds[order][np.searchsorted(cum, 0.5 * cum[-1] - 1e-12)])
    return np.array(out)


@pytest.mark.parametrize("loss", ["linear", "square", "exponential"])
def test_tradaboost_r2_matches_pardoe_stone_algorithm_2(loss):
    X, y, domain = _regression_shift(seed=3)
    N = 6
    learners, beta_ts = _r2_reference(X, y, domain, N, loss)
    # the paper's uniform w^1 (the regressor's default is target_weight="balanced")
    reg = TrAdaBoostRegressor(
        Ridge(), n_estimators=N, loss=loss, target_weight=None
    ).fit(X, y, domain=domain)
    assert_allclose(reg.estimator_weights_, np.log(1 / beta_ts), rtol=1e-8)
    X_new = np.random.RandomState(0).uniform(-2, 2, size=(60, 2))
    assert_allclose(reg.predict(X_new), _median_reference(learners, beta_ts, X_new))


def test_stage_one_shift_matches_bisection():
    rng = np.random.RandomState(0)
    is_t = np.r_[np.zeros(50, bool), np.ones(10, bool)]
    w = rng.uniform(0.5, 2, size=60)
    log_w = np.log(w / w.sum())
    err = rng.uniform(size=60)
    new = np.exp(_shift_to_target(log_w, is_t, err, 0.4))
    assert new[is_t].sum() == pytest.approx(0.4)
    # brute force: bisection on beta in plain space
    lo, hi = 0.0, 1.0
    for _ in range(200):
        b = 0.5 * (lo + hi)
        src = (w[~is_t] * b ** err[~is_t]).sum()
        if w[is_t].sum() / (w[is_t].sum() + src) > 0.4:
            lo = b
        else:
            hi = b
    ref = w.copy()
    ref[~is_t] *= lo ** err[~is_t]
    assert_allclose(new, ref / ref.sum(), rtol=1e-7)
    # rows with zero error cannot be moved by beta: scaled to honour the schedule
    err0 = np.where(np.arange(60) < 40, 0.0, err)
    new0 = np.exp(_shift_to_target(log_w, is_t, err0, 0.9))
    assert new0[is_t].sum() == pytest.approx(0.9)
    assert np.all(new0[40:50] == 0)


# --------------------------------------------------------------------------
# transfer actually helps


def test_tradaboost_beats_source_only_and_target_only_on_breast_cancer():
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    data = load_breast_cancer()
    X_all = StandardScaler().fit_transform(data.data)
    f = list(data.feature_names).index("mean compactness")
    in_target = X_all[:, f] > np.median(X_all[:, f])
    X_all = np.delete(X_all, f, axis=1)  # hidden: P(y | x) differs by domain
    errs = []
    for seed in range(4):
        rng = np.random.RandomState(seed)
        s = np.flatnonzero(~in_target)
        t = rng.permutation(np.flatnonzero(in_target))
        lab, test = t[:14], t[14:]  # 5 % of the source size
        X = np.vstack([X_all[s], X_all[lab]])
        y = np.r_[data.target[s], data.target[lab]]
        domain = np.r_[np.zeros(len(s), int), np.ones(len(lab), int)]
        lr = LogisticRegression(C=0.1)
        clf = TrAdaBoostClassifier(lr, random_state=seed).fit(X, y, domain=domain)
        errs.append(
            [
                1 - clf.score(X_all[test], data.target[test]),
                1
                - clone(lr)
                .fit(X_all[s], data.target[s])
                .score(X_all[test], data.target[test]),
                1
                - clone(lr)
                .fit(X_all[lab], data.target[lab])
                .score(X_all[test], data.target[test]),
            ]
        )
    ours, source_only, target_only = np.mean(errs, axis=0)
    assert ours < source_only and ours < target_only


def test_disagreeing_source_rows_lose_weight():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 2))
    domain = np.r_[np.zeros(300, int), np.ones(100, int)]
    y = (X[:, 0] > 0).astype(int)
    flipped = (domain == 0) & (X[:, 1] > 0.5)  # source rows of another concept
    y[flipped] = 1 - y[flipped]
    noisy = rng.uniform(size=400) < 0.05
    y[noisy] = 1 - y[noisy]
    tree = DecisionTreeClassifier(max_depth=3)
    clf = TrAdaBoostClassifier(tree, n_estimators=30, random_state=0)
    clf.fit(X, y, domain=domain)
    agree = (domain == 0) & ~flipped
    assert clf.boost_weights_[flipped].mean() < 0.2 * clf.boost_weights_[agree].mean()
    X_new = rng.normal(size=(1000, 2))
    y_new = (X_new[:, 0] > 0).astype(int)
    source_only = clone(tree).fit(X[domain == 0], y[domain == 0])
    assert clf.score(X_new, y_new) > source_only.score(X_new, y_new) + 0.2


def test_weak_learner_gets_no_vote_and_boosting_goes_on():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(360, 2))
    domain = np.r_[np.zeros(300, int), np.ones(60, int)]
    y = (X[:, 0] > 0).astype(int)
    y[(domain == 0) & (X[:, 1] > 0.5)] ^= 1
    y[rng.uniform(size=360) < 0.05] ^= 1
    clf = TrAdaBoostClassifier(
        DecisionTreeClassifier(max_depth=2), n_estimators=10, random_state=0
    ).fit(X, y, domain=domain)
    weak = clf.estimator_errors_ >= 0.5 - 1e-9  # 1/2 up to rounding: guessing
    assert weak.any() and len(clf.estimators_) == 10
    assert_array_equal(clf.estimator_weights_[weak], 0.0)
    assert np.all(clf.estimator_weights_[~weak] > 0)


def test_two_stage_schedule_and_choice_by_cv():
    X, y, domain = _regression_shift(seed=4)
    reg = TwoStageTrAdaBoostRegressor(
        n_steps=5, n_estimators=4, cv=3, random_state=0
    ).fit(X, y, domain=domain)
    f0 = 30 / 230
    assert_allclose(reg.target_weight_fractions_, f0 + np.arange(5) / 4 * (1 - f0))
    assert reg.best_step_ == int(np.nanargmin(reg.cv_errors_))
    # the chosen step's weights: the target rows hold the scheduled share
    w = reg.boost_weights_
    assert w[domain == 1].sum() == pytest.approx(
        reg.target_weight_fractions_[reg.best_step_]
    )
    # it transfers: better than source-only on fresh target rows
    rng = np.random.RandomState(9)
    X_new = rng.uniform(-2, 2, size=(500, 2))
    y_new = np.sin(X_new[:, 0]) + 0.6 * X_new[:, 1]
    src = DecisionTreeRegressor(max_depth=3).fit(X[domain == 0], y[domain == 0])
    assert reg.score(X_new, y_new) > src.score(X_new, y_new) + 0.1


@pytest.mark.parametrize("params", [{"n_steps": 1}, {"n_estimators": 1}])
def test_two_stage_with_a_single_step_or_learner(params):
    X, y, domain = _regression_shift(seed=5)
    reg = TwoStageTrAdaBoostRegressor(**{"n_steps": 3, "cv": 2, **params})
    reg.set_params(random_state=0).fit(X, y, domain=domain)
    assert np.isfinite(reg.predict(X)).all()
    if params.get("n_steps") == 1:
        assert np.isnan(reg.cv_errors_).all() and reg.best_step_ == 0
    else:
        assert len(reg.estimators_) == 1


# --------------------------------------------------------------------------
# base learners


def _learners():
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    out = [
        DecisionTreeClassifier(max_depth=2),
        LogisticRegression(),
        HistGradientBoostingClassifier(max_iter=10),
        make_pipeline(StandardScaler(), LogisticRegression()),
    ]
    try:
        from xgboost import XGBClassifier

        out.append(XGBClassifier(n_estimators=10, max_depth=2, n_jobs=1))
    except ImportError:  # pragma: no cover - xgboost is a test dependency
        pass
    return out


@pytest.mark.parametrize("learner", _learners(), ids=lambda e: type(e).__name__)
def test_any_weighted_base_learner(learner):
    X, y, domain = _concept_shift(seed=6)
    labels = np.array(["no", "yes"])[y]  # string labels: coded for the learner
    clf = TrAdaBoostClassifier(learner, n_estimators=4, random_state=0)
    clf.fit(X, labels, domain=domain)
    assert set(clf.predict(X)) <= {"no", "yes"}
    assert clf.predict_proba(X).shape == (len(X), 2)
    seeds = [
        v
        for e in clf.estimators_
        for k, v in e.get_params().items()
        if k == "random_state" or k.endswith("__random_state")
    ]
    assert all(isinstance(s, int) for s in seeds)
    if len(clf.estimators_) > 1 and seeds:
        assert len(set(seeds)) > 1


@pytest.mark.parametrize("update", ["stabilised", "dai"])
def test_fully_grown_tree_stops_at_zero_error(update):
    X, y, domain = _concept_shift(seed=7)
    clf = TrAdaBoostClassifier(
        DecisionTreeClassifier(), n_estimators=20, update=update, random_state=0
    ).fit(X, y, domain=domain)
    assert_array_equal(clf.estimator_errors_, [0.0])
    if update == "dai":  # beta_t = 0: ln(1 / beta_t) is infinite
        assert np.isinf(clf.estimator_weights_[0])
    else:  # W- = 0 smoothed to half a target row: ln(1 + 2 n_t), n_t = 40
        assert clf.estimator_weights_[0] == pytest.approx(np.log(81.0))
    tree = clf.estimators_[0]
    X_new = np.random.RandomState(1).normal(size=(100, 3))
    assert_array_equal(clf.predict(X_new), tree.predict(X_new))
    assert_array_equal(clf.predict_proba(X_new).max(axis=1), 1.0)


def _stalling_data(seed=1, n_source=300, n_target=30):
    """Noisy target labels, a source sub-population labelled by another rule."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_source + n_target, 3))
    domain = np.r_[np.zeros(n_source, int), np.ones(n_target, int)]
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.8 * rng.normal(size=len(X)) > 0).astype(int)
    other = (domain == 0) & (X[:, 2] > 0.5)
    y[other] = (X[other, 0] - X[other, 1] > 0).astype(int)
    return X, y, domain


def _stall_reference(X, y, domain, N, update):
    """Algorithm 1 with plain products, plus each ``update``'s rule at eps >= 1/2."""
    tgt = domain == 1
    n_s, n_t = int((~tgt).sum()), int(tgt.sum())
    beta = 1.0 / (1.0 + np.sqrt(2.0 * np.log(n_s) / N))
    w = np.ones(len(y))
    errors, alphas, shares = [], [], []
    for _ in range(N):
        p = w / w.sum()
        shares.append(p[tgt].sum())
        h = LogisticRegression().fit(X, y, sample_weight=p * len(y))
        err = np.abs(h.predict(X) - y)
        eps = np.sum(w[tgt] * err[tgt]) / np.sum(w[tgt])
        errors.append(eps)
        if eps == 0:
            alphas.append(np.inf if update == "dai" else np.log(1 + 2 * n_t))
            break
        w[~tgt] *= beta ** err[~tgt]
        if eps >= 0.5 - 1e-9:
            alphas.append(0.0)
            if update == "stabilised":
                # target rows back to w^1 (uniform), total max(T, min(T/beta, S))
                T = w[tgt].sum()
                w[tgt] = max(T, min(T / beta, w[~tgt].sum())) / n_t
        else:
            if update == "stabilised":  # errors below half a row are floored
                eps = max(eps, 0.5 / (n_t + 1))
            beta_t = eps / (1.0 - eps)
            alphas.append(np.log(1.0 / beta_t))
            w[tgt] *= beta_t ** (-err[tgt])
    return np.array(errors), np.array(alphas), np.array(shares), p


@pytest.mark.parametrize("update", ["stabilised", "dai"])
def test_update_after_a_guessing_round_matches_reference(update):
    X, y, domain = _stalling_data()
    N = 12
    errors, alphas, shares, p = _stall_reference(X, y, domain, N, update)
    weak = errors >= 0.5 - 1e-9
    assert weak[:4].any() and (errors[~weak] > 0).all()  # the case under test
    clf = TrAdaBoostClassifier(
        LogisticRegression(), n_estimators=N, update=update, random_state=0
    ).fit(X, y, domain=domain)
    assert_allclose(clf.estimator_errors_, errors, rtol=1e-8)
    assert_allclose(clf.estimator_weights_, alphas, rtol=1e-8)
    assert_allclose(clf.boost_weights_, p, rtol=1e-6)
    first = np.argmax(weak)
    if update == "dai":
        # target weights left as they are: only the source shrinkage moves
        # the target share, by less than the stabilised restart's 1/beta
        beta = 1.0 / (1.0 + np.sqrt(2.0 * np.log(300) / N))
        odds = shares / (1.0 - shares)
        assert odds[first] <= odds[first + 1] < odds[first] / beta
    else:
        # the restart multiplies the target total by 1/beta, up to the
        # source total (the source total can only have shrunk meanwhile)
        beta = 1.0 / (1.0 + np.sqrt(2.0 * np.log(300) / N))
        odds = shares / (1.0 - shares)
        assert odds[first] < 1.0 and odds[first + 1] <= 1.0 + 1e-12
        assert odds[first + 1] >= min(odds[first] / beta, 1.0) * (1 - 1e-9)
        assert not weak[first + 1 :].all()


def test_restart_never_lowers_a_target_share_the_user_set():
    # target_weight=0.9 puts 90 % of the weight on the target rows; a guessing
    # round must not cut their total down to the source total
    X, y, domain = _stalling_data()
    clf = TrAdaBoostClassifier(
        LogisticRegression(), n_estimators=12, target_weight=0.9, random_state=0
    )
    shares = []

    class Spy(LogisticRegression):
        def fit(self, X, y, sample_weight=None):
            shares.append(sample_weight[domain == 1].sum() / sample_weight.sum())
            return super().fit(X, y, sample_weight=sample_weight)

    clf.set_params(estimator=Spy()).fit(X, y, domain=domain)
    weak = clf.estimator_errors_ >= 0.5 - 1e-9
    assert weak[:-1].any()  # the case under test: a round after a weak one
    after_weak = np.flatnonzero(weak[:-1]) + 1
    assert all(shares[k] >= shares[k - 1] - 1e-9 for k in after_weak)
    assert min(shares) >= 0.9 - 1e-9


def test_vote_weight_never_falls_as_the_target_error_falls():
    # an error of 0 is smoothed to half a target row, ln(1 + 2 n_t); smaller
    # positive errors are floored there, so a perfect learner never weighs
    # less than an imperfect one
    clf = TrAdaBoostClassifier()
    clf.n_classes_ = 2
    n_t = 40.0
    e0 = 0.5 / (n_t + 1)
    errors = [0.0, 1e-12, e0 / 2, e0, 2 * e0, 0.1, 0.4]
    weights = [clf._vote_weight(e, n_t) for e in errors]
    assert weights[0] == pytest.approx(np.log(81.0))
    assert all(a >= b - 1e-12 for a, b in zip(weights[:-1], weights[1:], strict=True))
    assert weights[3] == pytest.approx(weights[0])  # continuous at e0
    assert weights[5] == pytest.approx(np.log(0.9 / 0.1))  # Algorithm 1 above e0
    clf.set_params(update="dai")
    assert np.isinf(clf._vote_weight(0.0, n_t))
    assert clf._vote_weight(1e-12, n_t) == pytest.approx(np.log((1 - 1e-12) / 1e-12))


def test_stabilised_update_escapes_the_stall_and_transfers():
    # A source sub-population follows another rule (the benchmark's
    # generator). Under update="dai" a depth-3 tree is stuck at target error
    # 1/2 for most rounds; the stabilised restart lets the target labels move
    # it, so it beats both the paper's conventions and the source alone.
    from benchmarks._transfer_data import partial_disagreement_classification

    errs = []
    for seed in range(3):
        X, y, domain, X_new, y_new = partial_disagreement_classification(
            n_source=1000,
            n_target_labeled=50,
            n_test=1000,
            n_features=5,
            random_state=seed,
        )
        tree = DecisionTreeClassifier(max_depth=3)
        src = clone(tree).fit(X[domain == 0], y[domain == 0])
        row = [np.mean(src.predict(X_new) != y_new)]
        for update in ("stabilised", "dai"):
            clf = TrAdaBoostClassifier(
                tree, n_estimators=30, update=update, random_state=seed
            ).fit(X, y, domain=domain)
            row.append(np.mean(clf.predict(X_new) != y_new))
        errs.append(row)
    source_only, stabilised, dai = np.mean(errs, axis=0)
    assert stabilised < dai - 0.01 and stabilised < source_only - 0.03


def _flipped_data(seed=0, n_source=300, n_target=30):
    """Target boundary far from the source's: the first soft errors exceed 1/2."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_source + n_target, 3))
    domain = np.r_[np.zeros(n_source, int), np.ones(n_target, int)]
    y = np.where(domain == 0, X[:, 0] > 0, X[:, 0] + 1.5 * X[:, 1] < 0.3)
    return X, y.astype(int), domain


def _soft_reference(X, y, domain, N, update):
    """Algorithm 1 with real-valued hypotheses, plain products, LR learners.

    h_t(x) is the probability vector; the row loss is 1 - P(true class)
    (|h_t(x) - c(x)| for two classes), the vote the ln(1 / beta_t)-weighted
    mean of the probabilities; SAMME's ln(K - 1) for K > 2 classes.
    """
    tgt = domain == 1
    n_s, n_t = int((~tgt).sum()), int(tgt.sum())
    k = len(np.unique(y))
    beta = 1.0 / (1.0 + np.sqrt(2.0 * np.log(n_s) / N))
    w = np.ones(len(y))
    learners, errors, alphas = [], [], []
    for _ in range(N):
        p = w / w.sum()
        h = LogisticRegression().fit(X, y, sample_weight=p * len(y))
        loss = 1.0 - h.predict_proba(X)[np.arange(len(y)), y]
        eps = np.sum(w[tgt] * loss[tgt]) / np.sum(w[tgt])
        learners.append(h)
        errors.append(eps)
        w[~tgt] *= beta ** loss[~tgt]
        if eps >= 1.0 - 1.0 / k - 1e-9:
            alphas.append(0.0)
            if update == "stabilised":
                total = min(w[tgt].sum() / beta, w[~tgt].sum())
                w[tgt] = total / n_t
        else:
            beta_t = eps / (1.0 - eps) / (k - 1.0)
            alphas.append(np.log(1.0 / beta_t))
            w[tgt] *= beta_t ** (-loss[tgt])
    return learners, np.array(errors), np.array(alphas), p


@pytest.mark.parametrize("update", ["stabilised", "dai"])
@pytest.mark.parametrize("data", ["binary", "flipped", "three classes"])
def test_soft_hypotheses_match_reference(update, data):
    if data == "binary":
        X, y, domain = _concept_shift(200, 100, seed=7)
    elif data == "flipped":
        X, y, domain = _flipped_data()
    else:
        X, y, domain = _concept_shift(n_classes=3, seed=2)
    N = 12
    learners, errors, alphas, p = _soft_reference(X, y, domain, N, update)
    weak = alphas == 0
    if data == "flipped":  # the case where the two updates part
        assert weak[:2].all() and not weak.all()
    else:
        assert not weak.any()
    # real-valued: the soft error is not a multiple of 1 / n_t
    assert np.all(np.abs(errors * 100 - np.round(errors * 100)) > 1e-6)
    clf = TrAdaBoostClassifier(
        LogisticRegression(), n_estimators=N, update=update, hypothesis="soft"
    ).fit(X, y, domain=domain)
    assert_allclose(clf.estimator_errors_, errors, rtol=1e-8)
    assert_allclose(clf.estimator_weights_, alphas, rtol=1e-8)
    assert_allclose(clf.boost_weights_, p, rtol=1e-6)
    X_new = np.random.RandomState(5).normal(size=(300, 3))
    voters = slice(int(np.ceil(N / 2)) - 1, N)
    a = alphas[voters]
    probs = [h.predict_proba(X_new) for h in learners[voters]]
    shares = sum(ai * pi for ai, pi in zip(a, probs, strict=True)) / a.sum()
    assert_allclose(clf.predict_proba(X_new), shares, rtol=1e-8)
    if data != "three classes":
        # Dai et al.'s output rule with h_t(x) = P(class 1):
        # prod beta_t^-h_t(x) >= prod beta_t^-1/2
        lhs = sum(ai * pi[:, 1] for ai, pi in zip(a, probs, strict=True))
        assert_array_equal(clf.predict(X_new), (lhs >= 0.5 * a.sum()).astype(int))
    else:
        assert_array_equal(clf.predict(X_new), shares.argmax(axis=1))
    staged = list(clf.staged_predict_proba(X_new))
    assert len(staged) == N
    assert_allclose(staged[-1], clf.predict_proba(X_new))


def test_soft_and_hard_updates_compose_differently_after_a_guessing_round():
    X, y, domain = _flipped_data()
    new = {
        u: TrAdaBoostClassifier(
            LogisticRegression(), n_estimators=12, update=u, hypothesis="soft"
        ).fit(X, y, domain=domain)
        for u in ("stabilised", "dai")
    }
    # the restart raises the target share, so later soft errors fall faster
    assert new["stabilised"].estimator_errors_[-1] < 0.3
    assert new["dai"].estimator_errors_[-1] > 0.4


def test_soft_zero_error_only_with_hard_probabilities():
    # A fully grown tree's leaves are pure: P(true class) = 1 on every
    # training row, so the soft error is 0 too and the fit is the hard one.
    X, y, domain = _concept_shift(seed=7)
    fits = [
        TrAdaBoostClassifier(
            DecisionTreeClassifier(), n_estimators=20, hypothesis=h, random_state=0
        ).fit(X, y, domain=domain)
        for h in ("hard", "soft")
    ]
    for clf in fits:
        assert_array_equal(clf.estimator_errors_, [0.0])
        assert clf.estimator_weights_[0] == pytest.approx(np.log(81.0))
    X_new = np.random.RandomState(1).normal(size=(100, 3))
    assert_array_equal(fits[0].predict_proba(X_new), fits[1].predict_proba(X_new))


def test_soft_needs_predict_proba():
    from sklearn.svm import LinearSVC

    X, y, domain = _concept_shift(seed=3)
    clf = TrAdaBoostClassifier(LinearSVC(), n_estimators=3, hypothesis="soft")
    with pytest.raises(ValueError, match="predict_proba.*hypothesis='hard'"):
        clf.fit(X, y, domain=domain)
    assert not hasattr(clf, "classes_")
    clf.set_params(hypothesis="hard", vote="hard").fit(X, y, domain=domain)
    with pytest.raises(ValueError, match="hypothesis"):
        TrAdaBoostClassifier(hypothesis="proba").fit(X, y, domain=domain)


def test_first_round_is_the_base_learner_on_all_labeled_rows():
    X, y, domain = _concept_shift(seed=8)
    sw = np.random.RandomState(0).uniform(0.5, 2, size=len(y))
    clf = TrAdaBoostClassifier(LogisticRegression(), n_estimators=1)
    clf.fit(X, y, domain=domain, sample_weight=sw)
    ref = LogisticRegression().fit(X, y, sample_weight=sw)
    assert_array_equal(clf.estimators_[0].coef_, ref.coef_)


def test_perfect_learner_in_window_and_regressor_first_learner_kept():
    # regression: a first learner worse than 0.5 on the target is kept alone
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(120, 1))
    domain = np.r_[np.zeros(100, int), np.ones(20, int)]
    y = np.where(domain == 0, 0.0, 10.0) + 0.01 * rng.normal(size=120)
    reg = TrAdaBoostRegressor(Ridge(alpha=1e6), n_estimators=5).fit(X, y, domain=domain)
    assert len(reg.estimators_) == 1 and reg.estimator_errors_[0] >= 0.5
    assert_allclose(reg.predict(X[:3]), reg.estimators_[0].predict(X[:3]))


# --------------------------------------------------------------------------
# sample weights, unlabeled rows, classes


def test_integer_weight_on_target_rows_is_a_repeated_row():
    X, y, domain = _concept_shift(seed=9)
    sw = np.ones(len(y))
    rows = np.flatnonzero(domain == 1)[:5]
    sw[rows] = 3
    a = TrAdaBoostClassifier(LogisticRegression(), n_estimators=5).fit(
        X, y, domain=domain, sample_weight=sw
    )
    rep = np.r_[np.arange(len(y)), rows, rows]
    b = TrAdaBoostClassifier(LogisticRegression(), n_estimators=5).fit(
        X[rep], y[rep], domain=domain[rep]
    )
    assert_allclose(a.estimator_errors_, b.estimator_errors_, rtol=1e-6)
    X_new = np.random.RandomState(2).normal(size=(200, 3))
    assert_allclose(a.predict_proba(X_new), b.predict_proba(X_new), rtol=1e-6)


def test_zero_weight_is_an_absent_row_and_weights_are_not_mutated():
    X, y, domain = _concept_shift(seed=10)
    sw = np.ones(len(y))
    sw[:30] = 0
    sw_copy = sw.copy()
    tree = DecisionTreeClassifier(max_depth=2)
    a = TrAdaBoostClassifier(tree, n_estimators=5, random_state=0)
    a.fit(X, y, domain=domain, sample_weight=sw)
    assert_array_equal(sw, sw_copy)
    b = TrAdaBoostClassifier(tree, n_estimators=5, random_state=0)
    b.fit(X[30:], y[30:], domain=domain[30:])
    assert_allclose(a.estimator_errors_, b.estimator_errors_)
    assert_array_equal(a.predict(X), b.predict(X))
    # scaling all weights changes nothing for a scale-free learner
    c = TrAdaBoostClassifier(tree, n_estimators=5, random_state=0)
    c.fit(X, y, domain=domain, sample_weight=7 * sw)
    assert_allclose(a.boost_weights_, c.boost_weights_)
    assert_array_equal(a.predict(X), c.predict(X))


class _RecordingTreeClassifier(DecisionTreeClassifier):
    def fit(self, X, y, sample_weight=None):
        self.fit_weight_ = np.array(sample_weight, dtype=float)
        return super().fit(X, y, sample_weight=sample_weight)


class _RecordingTreeRegressor(DecisionTreeRegressor):
    def fit(self, X, y, sample_weight=None):
        self.fit_weight_ = np.array(sample_weight, dtype=float)
        return super().fit(X, y, sample_weight=sample_weight)


def _recording_fit(cls, target_weight, sample_weight=None):
    if cls is TrAdaBoostClassifier:
        X, y, domain = _concept_shift(seed=15)
        base = _RecordingTreeClassifier(max_depth=2)
    else:
        X, y, domain = _regression_shift(seed=15)
        base = _RecordingTreeRegressor(max_depth=2)
    est = cls(base, n_estimators=3, target_weight=target_weight, random_state=0)
    est.fit(X, y, domain=domain, sample_weight=sample_weight)
    return est, X, y, domain


@pytest.mark.parametrize("cls", [TrAdaBoostClassifier, TrAdaBoostRegressor])
@pytest.mark.parametrize("target_weight", ["balanced", 0.3, 0.9, None])
def test_target_weight_sets_the_initial_target_share(cls, target_weight):
    est, X, y, domain = _recording_fit(cls, target_weight)
    tgt = domain == 1
    w1 = est.estimators_[0].fit_weight_
    share = {"balanced": 0.5, None: tgt.mean()}.get(target_weight, target_weight)
    assert w1[tgt].sum() / w1.sum() == pytest.approx(share, rel=1e-12)
    # rows of one domain weigh alike, and the total is the number of rows
    assert np.ptp(w1[tgt]) < 1e-12 and np.ptp(w1[~tgt]) < 1e-12
    assert w1.sum() == pytest.approx(len(y), rel=1e-12)


@pytest.mark.parametrize("cls", [TrAdaBoostClassifier, TrAdaBoostRegressor])
def test_target_weight_is_applied_before_sample_weight(cls):
    sw = np.random.RandomState(3).uniform(
        0.5, 2.0, size=340 if cls is TrAdaBoostClassifier else 230
    )
    est, X, y, domain = _recording_fit(cls, 0.25, sample_weight=sw)
    tgt = domain == 1
    total, total_t = sw.sum(), sw[tgt].sum()
    base = np.where(tgt, 0.25 * total / total_t, 0.75 * total / (total - total_t))
    fit_w = est.estimators_[0].fit_weight_
    assert_allclose(fit_w, base * sw, rtol=1e-12)
    # the share is of the weight, sample_weight included
    assert fit_w[tgt].sum() / fit_w.sum() == pytest.approx(0.25, rel=1e-12)
    # None: the first learner gets the user's weights bit for bit
    plain, *_ = _recording_fit(cls, None, sample_weight=sw)
    assert_array_equal(plain.estimators_[0].fit_weight_, sw)


@pytest.mark.parametrize("cls", [TrAdaBoostClassifier, TrAdaBoostRegressor])
def test_target_weight_none_is_the_uniform_w1(cls):
    # None is the paper's uniform w^1, the same as asking for the rows' share
    a, X, y, domain = _recording_fit(cls, None)
    b, *_ = _recording_fit(cls, float(np.mean(domain == 1)))
    assert_allclose(a.estimator_errors_, b.estimator_errors_, rtol=1e-9)
    assert_allclose(a.boost_weights_, b.boost_weights_, rtol=1e-9)
    assert_allclose(a.predict(X), b.predict(X))
    # and a larger share changes the fit
    c, *_ = _recording_fit(cls, "balanced")
    assert not np.allclose(a.boost_weights_, c.boost_weights_)


@pytest.mark.parametrize("cls", [TrAdaBoostClassifier, TrAdaBoostRegressor])
@pytest.mark.parametrize("bad", ["equal", 0, 0.0, 1, 1.5, -0.2])
def test_target_weight_bad_values_raise(cls, bad):
    X, y, domain = (
        _concept_shift if cls is TrAdaBoostClassifier else _regression_shift
    )()
    with pytest.raises(ValueError, match="target_weight"):
        cls(target_weight=bad).fit(X, y, domain=domain)


def test_target_weight_defaults():
    assert TrAdaBoostClassifier().target_weight is None
    assert TrAdaBoostRegressor().target_weight == "balanced"


def test_unlabeled_rows_are_ignored():
    X, y, domain = _concept_shift(seed=11)
    rng = np.random.RandomState(0)
    X_u = rng.normal(size=(50, 3))
    X2 = np.vstack([X, X_u])
    y2 = np.r_[y, -np.ones(50, int)]
    d2 = np.r_[domain, np.ones(50, int)]
    a = TrAdaBoostClassifier(n_estimators=5, random_state=0).fit(X, y, domain=domain)
    b = TrAdaBoostClassifier(n_estimators=5, random_state=0).fit(X2, y2, domain=d2)
    assert_array_equal(a.predict(X), b.predict(X))
    assert_array_equal(b.boost_weights_[len(y) :], 0)
    Xr, yr, dr = _regression_shift(seed=12)
    yr2 = np.r_[yr, np.full(50, np.nan)]
    Xr2 = np.vstack([Xr, rng.uniform(-2, 2, size=(50, 2))])
    dr2 = np.r_[dr, np.ones(50, int)]
    for est in (
        TrAdaBoostRegressor(n_estimators=3),
        TwoStageTrAdaBoostRegressor(n_steps=2, n_estimators=2, cv=2),
    ):
        est.set_params(random_state=0)
        p1 = clone(est).fit(Xr, yr, domain=dr).predict(Xr)
        p2 = clone(est).fit(Xr2, yr2, domain=dr2).predict(Xr)
        assert_allclose(p1, p2)


def test_class_only_in_the_target_is_learned():
    X, y, domain = _concept_shift(seed=13)
    y = y.copy()
    new = np.flatnonzero(domain == 1)[:8]
    X = X.copy()
    X[new] = np.array([4.0, 4.0, 0.0]) + 0.1 * np.random.RandomState(0).normal(
        size=(8, 3)
    )
    y[new] = 2
    clf = TrAdaBoostClassifier(
        DecisionTreeClassifier(max_depth=3), n_estimators=10, random_state=0
    ).fit(X, y, domain=domain)
    assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X).shape[1] == 3
    assert np.all(clf.predict(np.array([[4.0, 4.0, 0.0]])) == 2)


# --------------------------------------------------------------------------
# bad input


# --------------------------------------------------------------------------
# no domain: warn, then every labeled row is a target row (AdaBoost)

NO_SOURCE = [
    TrAdaBoostClassifier(LogisticRegression(), n_estimators=6, random_state=0),
    TrAdaBoostClassifier(n_estimators=6, random_state=0),
    TrAdaBoostRegressor(Ridge(), n_estimators=6, random_state=0),
    TrAdaBoostRegressor(n_estimators=6, random_state=0),
    TwoStageTrAdaBoostRegressor(n_steps=3, n_estimators=4, random_state=0),
]


@pytest.mark.parametrize("est", NO_SOURCE, ids=lambda e: type(e).__name__)
def test_no_domain_warns_and_equals_domain_all_ones(est):
    X, y, _ = _data("clf" if is_classifier(est) else "reg")
    with pytest.warns(NoDomainWarning, match=r"no domain=.*\(0 source, 1\s+target\)"):
        a = clone(est).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # domain all ones says "no source": no warning
        b = clone(est).fit(X, y, domain=np.ones(len(y), int))
    assert (a.n_source_, a.n_target_) == (b.n_source_, b.n_target_) == (0, len(y))
    assert_array_equal(a.estimator_weights_, b.estimator_weights_)
    assert_array_equal(a.estimator_errors_, b.estimator_errors_)
    assert_array_equal(a.predict(X), b.predict(X))
    assert_allclose(a.boost_weights_.sum(), 1.0)
    assert np.all(a.estimator_errors_[a.estimator_weights_ > 0] < 0.5)
    if isinstance(est, TwoStageTrAdaBoostRegressor):
        # stage 1 has nothing to shift: skipped, with its cross-validation
        assert a.cv_errors_.shape == (1,) and np.isnan(a.cv_errors_[0])
        assert_array_equal(a.target_weight_fractions_, [1.0])


def test_no_source_rows_is_adaboost_by_hand():
    # 1 feature, so a stump has no feature draw and is the same in both fits
    X = np.arange(10.0)[:, None]
    y = np.array([0, 0, 1, 0, 0, 1, 1, 1, 0, 1])
    stump = DecisionTreeClassifier(max_depth=1)
    clf = TrAdaBoostClassifier(stump, n_estimators=3)
    with pytest.warns(NoDomainWarning):
        clf.fit(X, y)
    # classic AdaBoost (Freund & Schapire 1997) with plain products
    w = np.full(10, 0.1)
    errors, alphas, fit_ws = [], [], []
    for _ in range(3):
        fit_ws.append(w / w.sum())
        h = clone(stump).fit(X, y, sample_weight=w / w.sum() * 10)
        miss = h.predict(X) != y
        eps = w[miss].sum() / w.sum()
        alpha = np.log((1 - eps) / eps)
        w = w * np.exp(alpha * miss)
        errors.append(eps)
        alphas.append(alpha)
    # round 1 by eye: best stump x <= 4.5 -> 0 misses rows 2 and 8
    assert errors[0] == pytest.approx(0.2)
    assert_allclose(clf.estimator_errors_, errors, rtol=1e-12)
    assert_allclose(clf.estimator_weights_, alphas, rtol=1e-12)
    assert_allclose(clf.boost_weights_, fit_ws[-1], rtol=1e-12)
    # and scikit-learn's AdaBoostClassifier (SAMME, K = 2) agrees
    from sklearn.ensemble import AdaBoostClassifier

    ada = AdaBoostClassifier(stump, n_estimators=3, random_state=0).fit(X, y)
    assert_allclose(ada.estimator_errors_, errors, rtol=1e-10)
    assert_allclose(ada.estimator_weights_, alphas, rtol=1e-10)
    # the vote is still the paper's: learners ceil(N/2)..N
    assert clf._vote_slice() == slice(1, 3)


def test_no_source_rows_regressors_are_adaboost_r2():
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 2, size=(40, 1))
    y = np.sin(2 * X[:, 0]) + 0.1 * rng.normal(size=40)
    tree = DecisionTreeRegressor(max_depth=2)
    # AdaBoost.R2 (Drucker 1997) with sample_weight, linear loss, plain products
    w = np.full(40, 1 / 40)
    errors, alphas = [], []
    for _ in range(4):
        h = clone(tree).fit(X, y, sample_weight=w / w.sum() * 40)
        r = np.abs(h.predict(X) - y)
        e = r / r.max()
        eps = np.sum(w * e) / w.sum()
        beta = eps / (1 - eps)
        w = w * beta ** (1 - e)
        errors.append(eps)
        alphas.append(np.log(1 / beta))
    assert all(0 < eps < 0.5 for eps in errors)
    with pytest.warns(NoDomainWarning):
        one = TrAdaBoostRegressor(tree, n_estimators=4).fit(X, y)
    with pytest.warns(NoDomainWarning):
        two = TwoStageTrAdaBoostRegressor(tree, n_estimators=4, n_steps=5).fit(X, y)
    for reg in (one, two):
        assert_allclose(reg.estimator_errors_, errors, rtol=1e-10)
        assert_allclose(reg.estimator_weights_, alphas, rtol=1e-10)
    # the two-stage model is the whole AdaBoost.R2 ensemble (Drucker's weighted
    # median); TrAdaBoost.R2 keeps its output rule, learners ceil(N/2)..N
    beta_ts = np.exp(-np.asarray(alphas))
    assert_allclose(one.predict(X), _median_reference(one.estimators_, beta_ts, X))
    preds = np.sort(np.column_stack([h.predict(X) for h in two.estimators_]), axis=1)
    order = np.argsort(np.column_stack([h.predict(X) for h in two.estimators_]), axis=1)
    cum = np.cumsum(np.asarray(alphas)[order], axis=1)
    pick = (cum >= 0.5 * cum[:, -1:] - 1e-12).argmax(axis=1)
    assert_allclose(two.predict(X), preds[np.arange(40), pick])


@pytest.mark.parametrize("est", NO_SOURCE, ids=lambda e: type(e).__name__)
def test_no_domain_integer_weights_are_repeated_rows(est):
    rng = np.random.RandomState(42)
    X = rng.rand(15, 30)
    y = rng.randint(0, 3, size=15)
    y = y if is_classifier(est) else y.astype(float)
    sw = rng.randint(0, 5, size=15)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoDomainWarning)
        a = clone(est).fit(X.repeat(sw, axis=0), y.repeat(sw))
        b = clone(est).fit(X, y, sample_weight=sw)
    assert_allclose(a.predict(X), b.predict(X), rtol=1e-9)
    # except the smoothed vote of a learner with (almost) no target error,
    # which counts the rows, not their weight (scale-free; see
    # test_weight_scale_changes_nothing_even_with_a_zero_error_learner)
    exact = a.estimator_errors_ >= 0.5 / (np.count_nonzero(sw) + 1)
    if not is_classifier(est):
        exact[:] = True  # TrAdaBoost.R2 has no smoothing
    assert exact.any() or len(exact) == 1
    assert_allclose(a.estimator_weights_[exact], b.estimator_weights_[exact], rtol=1e-9)


def test_no_domain_bad_input():
    X, y, _ = _concept_shift()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoDomainWarning)
        with pytest.raises(ValueError, match="no labeled rows"):
            TrAdaBoostClassifier().fit(X, np.full(len(y), -1))
        with pytest.raises(ValueError, match="weight.*zero"):
            TrAdaBoostClassifier().fit(X, y, sample_weight=np.zeros(len(y)))
        with pytest.raises(ValueError, match="one class"):
            TrAdaBoostClassifier().fit(X[:1], y[:1])
        # one row of regression: the first learner fits it, error 0
        reg = TwoStageTrAdaBoostRegressor().fit(X[:1], [2.0])
        assert_array_equal(reg.predict(X[:3]), 2.0)


def test_no_labeled_target_rows():
    X, y, domain = _concept_shift()
    y = np.where(domain == 1, -1, y)
    with pytest.raises(ValueError, match="No labeled target rows.*Label a few"):
        TrAdaBoostClassifier().fit(X, y, domain=domain)
    sw = np.where(domain == 1, 0.0, 1.0)
    X, y, domain = _concept_shift()
    with pytest.raises(ValueError, match="sample_weight 0"):
        TrAdaBoostClassifier().fit(X, y, domain=domain, sample_weight=sw)
    Xr, yr, dr = _regression_shift()
    with pytest.raises(ValueError, match="No labeled target rows"):
        TwoStageTrAdaBoostRegressor().fit(Xr, np.where(dr == 1, np.nan, yr), domain=dr)


def test_other_bad_input():
    X, y, domain = _concept_shift()
    with pytest.raises(ValueError, match="No labeled source rows"):
        TrAdaBoostClassifier().fit(X, np.where(domain == 0, -1, y), domain=domain)
    with pytest.raises(ValueError, match="recode it"):
        TrAdaBoostClassifier().fit(X, 2 * y - 1, domain=domain)
    with pytest.raises(ValueError, match="domain must contain only 0"):
        TrAdaBoostClassifier().fit(X, y, domain=domain + 1)
    Xr, yr, dr = _regression_shift(n_target=1)
    with pytest.raises(ValueError, match="at least 2"):
        TwoStageTrAdaBoostRegressor().fit(Xr, yr, domain=dr)
    clf = TrAdaBoostClassifier(early_stopping="cv", cv=5)
    with pytest.raises(ValueError, match="only 1"):
        clf.fit(X[:301], y[:301], domain=domain[:301])


# --------------------------------------------------------------------------
# estimator API on stacked data (what the common checks cannot reach)

ESTIMATORS = [
    (_TrAdaBoostClassifier(n_estimators=5, random_state=0), "clf"),
    (TrAdaBoostRegressor(n_estimators=5, random_state=0), "reg"),
    (
        TwoStageTrAdaBoostRegressor(n_steps=3, n_estimators=3, cv=2, random_state=0),
        "reg",
    ),
]


def _data(kind):
    return _concept_shift(seed=14) if kind == "clf" else _regression_shift(seed=14)


@pytest.mark.parametrize("est,kind", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_clone_pickle_idempotence_and_no_mutation(est, kind):
    X, y, domain = _data(kind)
    X0, y0, d0 = X.copy(), y.copy(), domain.copy()
    a = clone(est).fit(X, y, domain=domain)
    assert_array_equal(X, X0)
    assert_array_equal(y, y0)
    assert_array_equal(domain, d0)
    p = a.predict(X)
    b = pickle.loads(pickle.dumps(a))
    assert_array_equal(b.predict(X), p)
    assert_array_equal(a.fit(X, y, domain=domain).predict(X), p)  # idempotent
    assert a.get_params() == clone(est).get_params()
    with pytest.raises(ValueError, match="features"):
        a.predict(X[:, :-1])


@pytest.mark.parametrize("est,kind", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_pandas_feature_names(est, kind):
    pd = pytest.importorskip("pandas")
    X, y, domain = _data(kind)
    df = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
    a = clone(est).fit(df, pd.Series(y), domain=pd.Series(domain))
    assert list(a.feature_names_in_) == list(df.columns)
    assert a.n_features_in_ == X.shape[1]
    assert_allclose(a.predict(df), clone(est).fit(X, y, domain=domain).predict(X))
    with pytest.raises(ValueError, match="feature names"):
        a.predict(df[df.columns[::-1]])


def test_staged_methods_end_at_the_final_model():
    X, y, domain = _concept_shift(seed=15)
    clf = TrAdaBoostClassifier(LogisticRegression(), n_estimators=6).fit(
        X, y, domain=domain
    )
    staged = list(clf.staged_predict_proba(X))
    assert len(staged) == len(clf.estimators_)
    assert_allclose(staged[-1], clf.predict_proba(X))
    assert_array_equal(list(clf.staged_predict(X))[-1], clf.predict(X))
    assert_allclose(list(clf.staged_decision_function(X))[-1], clf.decision_function(X))
    # binary decision: >= 0 predicts classes_[1] (Algorithm 1's output rule)
    dec = clf.decision_function(X)
    assert_array_equal(clf.classes_[(dec >= 0).astype(int)], clf.predict(X))
    Xr, yr, dr = _regression_shift(seed=15)
    for reg in (
        TrAdaBoostRegressor(n_estimators=5),
        TwoStageTrAdaBoostRegressor(n_steps=2, n_estimators=4, cv=2),
    ):
        reg.set_params(random_state=0).fit(Xr, yr, domain=dr)
        assert_allclose(list(reg.staged_predict(Xr))[-1], reg.predict(Xr))


def test_score_with_domain_counts_target_rows_and_grid_search_routes_it():
    from sklearn import config_context
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    X, y, domain = _concept_shift(seed=17)
    clf = TrAdaBoostClassifier(n_estimators=5, random_state=0).fit(X, y, domain=domain)
    t = domain == 1
    assert clf.score(X, y, domain=domain) == pytest.approx(clf.score(X[t], y[t]))
    folds = list(StratifiedKFold(3).split(X, 2 * domain + y))
    with config_context(enable_metadata_routing=True):
        est = TrAdaBoostClassifier(random_state=0)
        est.set_fit_request(domain=True, sample_weight=False)
        est.set_score_request(domain=True, sample_weight=False)
        gs = GridSearchCV(est, {"n_estimators": [2, 6]}, cv=folds)
        gs.fit(X, y, domain=domain)
    assert gs.best_params_["n_estimators"] in (2, 6)


def test_pipeline_passes_domain_to_the_step():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y, domain = _concept_shift(seed=18)
    pipe = make_pipeline(StandardScaler(), TrAdaBoostClassifier(n_estimators=4))
    pipe.fit(X, y, tradaboostclassifier__domain=domain)
    assert pipe.predict(X).shape == (len(X),)


def test_sparse_input_with_a_tree():
    sp = pytest.importorskip("scipy.sparse")
    X, y, domain = _concept_shift(seed=19)
    a = TrAdaBoostClassifier(n_estimators=3, random_state=0).fit(X, y, domain=domain)
    b = TrAdaBoostClassifier(n_estimators=3, random_state=0).fit(
        sp.csr_matrix(X), y, domain=domain
    )
    # the first learner is the same tree; later ones may break ties between
    # equally good splits differently (scikit-learn's sparse splitter)
    Xs = sp.csr_matrix(X)
    assert_array_equal(a.estimators_[0].predict(X), b.estimators_[0].predict(Xs))
    assert np.mean(a.predict(X) == b.predict(Xs)) > 0.97


def test_soft_hypothesis_rejects_non_finite_probabilities():
    class BadProba(LogisticRegression):
        def predict_proba(self, X):
            proba = super().predict_proba(X)
            proba[0, 0] = np.inf
            return proba

    X, y, domain = _concept_shift(seed=0)
    with pytest.raises(ValueError, match="non-finite"):
        TrAdaBoostClassifier(BadProba(), hypothesis="soft").fit(X, y, domain=domain)


def test_weight_scale_changes_nothing_even_with_a_zero_error_learner():
    # the smoothed vote counts target rows: weights normalised to sum 1 (a
    # common habit) must not shrink it, nor floor every error near 1/2
    X, y, domain = _concept_shift(seed=1)
    tree = DecisionTreeClassifier(max_depth=3)
    a = TrAdaBoostClassifier(tree, n_estimators=20, random_state=0)
    a.fit(X, y, domain=domain)
    assert (a.estimator_errors_ < 0.5 / (domain.sum() + 1)).any()  # the case
    b = TrAdaBoostClassifier(tree, n_estimators=20, random_state=0)
    b.fit(X, y, domain=domain, sample_weight=np.full(len(y), 1.0 / len(y)))
    assert_allclose(b.estimator_weights_, a.estimator_weights_)
    assert_array_equal(b.predict(X), a.predict(X))


@pytest.mark.parametrize("tiny", [1e-32, 1e-310])
def test_shift_to_target_with_float_noise_errors(tiny):
    # a tree leaf's mean 1 ulp off, squared, gives errors ~1e-32 (or below
    # the normal range): the root bracket reached -1e33 or -inf and Brent's
    # method failed to converge
    rng = np.random.RandomState(0)
    n = 300
    is_t = np.zeros(n, bool)
    is_t[-15:] = True
    err = rng.uniform(0.1, 1.0, n)
    err[:15] = tiny
    err[is_t] = 0.0
    log_w = np.full(n, -np.log(n))
    new = np.exp(_shift_to_target(log_w, is_t, err, 0.4))
    assert np.isfinite(new).all()
    assert new.sum() == pytest.approx(1.0)
    assert new[is_t].sum() == pytest.approx(0.4, rel=1e-9)


def test_grid_search_with_few_target_rows_needs_the_domain_splitter():
    # 5 labeled target rows, 5 folds: only a splitter that sees the domain
    # puts one in every test fold; the score's error says how to get there
    from sklearn import config_context
    from sklearn.model_selection import GridSearchCV

    from instransfer.model_selection import DomainStratifiedKFold

    X, y, domain = _concept_shift(seed=5)
    keep = np.r_[np.flatnonzero(domain == 0), np.flatnonzero(domain == 1)[:5]]
    X, y, domain = X[keep], y[keep], domain[keep]
    clf = TrAdaBoostClassifier(n_estimators=3, random_state=0).fit(X, y, domain=domain)
    s = domain == 0
    with pytest.raises(ValueError, match="DomainStratifiedKFold"):
        clf.score(X[s], y[s], domain=domain[s])
    with config_context(enable_metadata_routing=True):
        est = TrAdaBoostClassifier(n_estimators=3, random_state=0)
        est.set_fit_request(domain=True, sample_weight=False)
        est.set_score_request(domain=True, sample_weight=False)
        gs = GridSearchCV(
            est,
            {"target_weight": [None, "balanced"]},
            cv=DomainStratifiedKFold(5, random_state=0),
            error_score="raise",
        )
        gs.fit(X, y, domain=domain)
    for k in range(5):
        assert np.isfinite(gs.cv_results_[f"split{k}_test_score"]).all()


def test_pipeline_base_with_routing_on_fits_at_once_and_leaves_it_alone():
    # the fit request goes on each clone's final step, not on the user's one
    from sklearn import config_context
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y, domain = _concept_shift(seed=3)
    lr = LogisticRegression()
    pipe = make_pipeline(StandardScaler(), lr)
    expected = TrAdaBoostClassifier(pipe, n_estimators=4, random_state=0)
    expected = expected.fit(X, y, domain=domain).predict_proba(X)
    with config_context(enable_metadata_routing=True):
        got = TrAdaBoostClassifier(pipe, n_estimators=4, random_state=0)
        got = got.fit(X, y, domain=domain).predict_proba(X)
        assert lr._get_metadata_request().fit.requests.get("sample_weight") is None
    np.testing.assert_allclose(got, expected)


@pytest.mark.parametrize("kind", ["classifier", "regressor", "two_stage"])
def test_dataframe_reaches_a_column_selecting_pipeline(kind):
    # a ColumnTransformer that selects columns by name needs the DataFrame
    pd = pytest.importorskip("pandas")
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    rng = np.random.default_rng(0)
    n = 160
    domain = (np.arange(n) >= 140).astype(int)
    df = pd.DataFrame(
        {"age": rng.normal(60, 10, n), "stage": rng.choice(["I", "II", "III"], n)}
    )
    signal = (df["age"].to_numpy() - 60) / 10 + (df["stage"] == "III").to_numpy()
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["stage"]), (StandardScaler(), ["age"])
    )
    if kind == "classifier":
        model = TrAdaBoostClassifier(
            make_pipeline(encode, LogisticRegression()), n_estimators=3
        )
        y = (signal > 0).astype(int)
    else:
        cls = (
            TrAdaBoostRegressor if kind == "regressor" else TwoStageTrAdaBoostRegressor
        )
        params = (
            {"n_estimators": 3}
            if kind == "regressor"
            else {"n_steps": 2, "n_estimators": 2, "cv": 2}
        )
        model = cls(make_pipeline(encode, Ridge()), random_state=0, **params)
        y = signal
    model.fit(df, y, domain=domain)
    assert model.feature_names_in_.tolist() == ["age", "stage"]
    assert model.predict(df).shape == (n,)
    with pytest.raises(ValueError, match="feature names"):
        model.predict(df[["stage", "age"]])
