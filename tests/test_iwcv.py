import numpy as np
import pandas as pd
import pytest
from _helpers import masked
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import log_loss, mean_squared_error
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

import instransfer as it
from instransfer._validation import NoTargetRowsWarning
from instransfer.datasets import make_covariate_shift
from instransfer.model_selection import DomainStratifiedKFold, make_iw_scorer
from instransfer.model_selection._iwcv import _select_flatten, _weighted_mean_se


def _fast_weighter(seed=0):
    return it.ClassifierWeighter(cv="in_sample", random_state=seed)


def _linear_logistic(seed, n_s=400, n_t=200, d=5):
    """Well-specified logistic model, one covariate shifted by 1.5 SD.

    The model can represent the outcome everywhere, so weighting only adds
    variance: with ~50 effective source rows of 400, the fully weighted model
    is clearly worse on the target (expected log-loss +0.03 to +0.04 for the
    seeds used).
    """
    rng = np.random.RandomState(seed)
    Xs = rng.standard_normal((n_s, d))
    Xt = rng.standard_normal((n_t, d))
    Xt[:, -1] += 1.5
    X = np.vstack([Xs, Xt])
    p = 1 / (1 + np.exp(-(X @ np.r_[1.5, -1.0, 1.0, 0.5, 0.0])))
    y = (rng.random_sample(X.shape[0]) < p).astype(int)
    domain = np.r_[np.zeros(n_s, int), np.ones(n_t, int)]
    return X, y, domain, p


_masked = masked


# --------------------------------------------------------------------------
# choosing lambda


@pytest.mark.parametrize("seed", range(2))
def test_no_weighting_wins_when_weighting_hurts(seed):
    X, y, domain, p = _linear_logistic(seed)
    y_masked = np.where(domain == 1, -1, y)
    clf = it.ImportanceWeightedClassifierCV(
        weighter=_fast_weighter(seed), random_state=seed
    ).fit(X, y_masked)
    assert clf.flatten_ <= 0.25
    # and the choice is right: the full-weight model is worse on the target
    tgt = domain == 1
    full = it.ImportanceWeightedClassifier(weighter=_fast_weighter(seed)).fit(
        X, y_masked
    )
    q_cv, q_full = clf.predict_proba(X[tgt])[:, 1], full.predict_proba(X[tgt])[:, 1]
    expected = lambda q: -np.mean(p[tgt] * np.log(q) + (1 - p[tgt]) * np.log1p(-q))  # noqa: E731
    assert expected(q_cv) < expected(q_full)


def _curved_logistic(seed, n_s=300, n_t=300):
    """Logit 1.5 - 1.5 x0**2, target shifted by 1.5 in x0: a line fit on the
    source (flat around 0) is wrong on the target; weighting helps a lot."""
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n_s + n_t, 2))
    X[n_s:, 0] += 1.5
    p = 1 / (1 + np.exp(-(1.5 - 1.5 * X[:, 0] ** 2)))
    y = (rng.random_sample(n_s + n_t) < p).astype(int)
    return X, y, np.r_[np.zeros(n_s, int), np.ones(n_t, int)], p


@pytest.mark.parametrize("seed", range(2))
def test_weighting_wins_when_model_is_misspecified(seed):
    X, y, domain, p = _curved_logistic(seed)
    y_masked = np.where(domain == 1, -1, y)
    clf = it.ImportanceWeightedClassifierCV(
        weighter=_fast_weighter(seed), random_state=seed
    ).fit(X, y_masked)
    assert clf.flatten_ >= 0.5
    tgt = domain == 1
    plain = LogisticRegression().fit(X[~tgt], y[~tgt])
    loss = lambda m: log_loss(y[tgt], m.predict_proba(X[tgt]))  # noqa: E731
    assert loss(clf) < loss(plain) - 0.1


# the cheap test weighter over-corrects x0 a little on this shift; the test is
# about the choice of flatten
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_regressor_chooses_and_predicts():
    data = make_covariate_shift(
        300,
        300,
        1,
        shift=1.0,
        target_scale=0.6,
        task="regression",
        noise=0.1,
        random_state=0,
    )
    y = np.where(data.domain == 1, np.nan, data.y)
    reg = it.ImportanceWeightedRegressorCV(
        weighter=_fast_weighter(), cv=4, n_repeats=1, random_state=0
    ).fit(data.X, y)
    assert reg.scores_.shape == (4, 5)
    assert reg.flatten_ >= 0.5
    tgt = data.domain == 1
    plain = Ridge().fit(data.X[~tgt], data.y[~tgt])
    assert mean_squared_error(data.y[tgt], reg.predict(data.X[tgt])) < (
        0.8 * mean_squared_error(data.y[tgt], plain.predict(data.X[tgt]))
    )
    assert isinstance(reg.score(data.X, y), float)


# --------------------------------------------------------------------------
# the selection rules, on hand-made score matrices


def test_select_flatten_rules():
    # lambda=1 best on average but within noise of lambda=0 (folds disagree)
    noisy = np.array([[0.0, 0.5], [0.0, -0.3], [0.0, 0.4], [0.0, -0.2]])
    assert _select_flatten(noisy, selection="best") == 1
    assert _select_flatten(noisy, selection="paired_se") == 0
    assert _select_flatten(noisy, selection="one_se") == 0
    # better by 0.2 in every fold: clearly better
    clear = np.array([[0.0, 0.2], [-2.0, -1.8], [1.0, 1.2], [-1.0, -0.8]])
    assert _select_flatten(clear, selection="best") == 1
    assert _select_flatten(clear, selection="paired_se") == 1
    # the unpaired rule cannot see it: the fold-to-fold spread hides it
    assert _select_flatten(clear, selection="one_se") == 0


def test_fold_weights_give_the_pooled_estimate():
    scores = np.array([[-0.2, -0.5], [-1.0, -0.6]])
    # equal folds: lambda=1 wins; the second fold holds 9x the weight: still
    mean_eq, _ = _weighted_mean_se(scores, np.ones(2))
    np.testing.assert_allclose(mean_eq, [-0.6, -0.55])
    mean_w, se_w = _weighted_mean_se(scores, np.array([1.0, 9.0]))
    np.testing.assert_allclose(mean_w, [-0.92, -0.59])
    # first fold heavy: lambda=0
    assert _select_flatten(scores, np.array([9.0, 1.0]), "best") == 0
    assert _select_flatten(scores, np.array([1.0, 9.0]), "best") == 1
    assert np.all(se_w > 0)


def test_cv_results_are_consistent():
    data = make_covariate_shift(150, 150, 2, random_state=0)
    clf = it.ImportanceWeightedClassifierCV(
        weighter=_fast_weighter(),
        flattens=[1, 0, 0.5, 0.5],
        cv=3,
        n_repeats=2,
        selection="best",
        random_state=0,
    ).fit(data.X, _masked(data))
    res = clf.cv_results_
    np.testing.assert_array_equal(res["flatten"], [0.0, 0.5, 1.0])  # sorted, unique
    assert clf.scores_.shape == (6, 3) and clf.fold_weights_.shape == (6,)
    np.testing.assert_array_equal(res["split4_test_score"], clf.scores_[4])
    expected = np.average(clf.scores_, axis=0, weights=clf.fold_weights_)
    np.testing.assert_allclose(res["mean_test_score"], expected)
    assert clf.best_index_ == int(np.argmax(expected))
    assert clf.flatten_ == res["flatten"][clf.best_index_]
    # the final model is the plain weighted wrapper with the chosen flatten
    final = clf.best_estimator_
    assert isinstance(final, it.ImportanceWeightedClassifier)
    assert final.flatten == clf.flatten_
    assert clf.weighter_ is final.weighter_ and clf.estimator_ is final.estimator_
    np.testing.assert_allclose(clf.weights_.mean(), 1.0)
    ref = it.ImportanceWeightedClassifier(
        weighter=_fast_weighter(), flatten=clf.flatten_
    ).fit(data.X, _masked(data))
    np.testing.assert_allclose(clf.predict_proba(data.X), ref.predict_proba(data.X))
    np.testing.assert_array_equal(clf.classes_, [0, 1])


def _first_fold(data, y):
    # fit draws the default weighter's seed, then the folds' seed
    rng = np.random.RandomState(0)
    rng.randint(np.iinfo(np.int32).max)
    cv_seed = int(rng.randint(np.iinfo(np.int32).max))
    return next(DomainStratifiedKFold(3, random_state=cv_seed).split(data.X, y))


def _hand_rolled_score(data, y, train, test, w_train_src, r_test, lam):
    src = y[train] != -1
    w_src = w_train_src**lam
    model = LogisticRegression().fit(
        data.X[train][src], y[train][src], sample_weight=w_src / w_src.mean()
    )
    rows = y[test] != -1
    proba = model.predict_proba(data.X[test][rows])
    return -log_loss(y[test][rows], proba, sample_weight=r_test)


def test_scores_match_a_hand_rolled_fold_per_fold_weighter():
    # the first fold's score for every flatten, recomputed from scratch
    data = make_covariate_shift(120, 120, 2, random_state=1)
    y = _masked(data)
    clf = it.ImportanceWeightedClassifierCV(
        weighter=_fast_weighter(),
        flattens=[0, 1],
        cv=3,
        weighter_fit="per_fold",
        random_state=0,
    ).fit(data.X, y)
    train, test = _first_fold(data, y)
    wtr = clone(_fast_weighter()).fit(data.X[train], (y[train] == -1).astype(int))
    r = wtr.predict_ratio(data.X[test][y[test] != -1])
    for j, lam in enumerate([0, 1]):
        expected = _hand_rolled_score(data, y, train, test, wtr.weights_, r, lam)
        np.testing.assert_allclose(clf.scores_[0, j], expected, rtol=1e-6)


def test_scores_match_a_hand_rolled_fold_once_fitted_weighter():
    # the weighter fitted once on all rows: its out-of-fold ratios (5-fold
    # cross-fitting) weigh the fold's training rows and score its held-out
    # rows; the choice is the one of the hand-rolled matrix
    data = make_covariate_shift(150, 150, 2, shift=1.0, random_state=1)
    y = _masked(data)
    flattens = [0, 0.5, 1]
    wtr = it.ClassifierWeighter(random_state=0)
    clf = it.ImportanceWeightedClassifierCV(
        weighter=wtr, flattens=flattens, cv=3, n_repeats=1, random_state=0
    ).fit(data.X, y)
    full = clone(wtr).fit(data.X, (y == -1).astype(int))
    np.testing.assert_array_equal(clf.weighter_.weights_, full.weights_)
    ratio = np.full(y.shape[0], np.nan)
    ratio[y != -1] = full.weights_  # out-of-fold, the weighter's own scale
    rng = np.random.RandomState(0)
    rng.randint(np.iinfo(np.int32).max)
    cv = DomainStratifiedKFold(3, random_state=int(rng.randint(np.iinfo(np.int32).max)))
    expected = np.empty((3, len(flattens)))
    fold_w = np.empty(3)
    for k, (train, test) in enumerate(cv.split(data.X, y)):
        r_test = ratio[test][y[test] != -1]
        fold_w[k] = r_test.sum()
        for j, lam in enumerate(flattens):
            w_tr = ratio[train][y[train] != -1]
            expected[k, j] = _hand_rolled_score(data, y, train, test, w_tr, r_test, lam)
    np.testing.assert_allclose(clf.scores_, expected, rtol=1e-6)
    np.testing.assert_allclose(clf.fold_weights_, fold_w, rtol=1e-12)
    ref = _select_flatten(expected, fold_w, "paired_se")
    assert clf.flatten_ == flattens[ref]


# --------------------------------------------------------------------------
# efficiency: one weighter fit per fold, or one in all


class _CountingWeighter(it.ClassifierWeighter):
    fits = []

    def fit(self, X, y):
        type(self).fits.append(len(y))
        return super().fit(X, y)


@pytest.mark.parametrize("weighter_fit, n_fits", [("per_fold", 7), ("once", 1)])
def test_weighter_fits(weighter_fit, n_fits):
    data = make_covariate_shift(100, 100, 2, random_state=0)
    _CountingWeighter.fits = []
    clf = it.ImportanceWeightedClassifierCV(
        weighter=_CountingWeighter(cv="in_sample", random_state=0),
        cv=3,
        n_repeats=2,
        weighter_fit=weighter_fit,
        random_state=0,
    ).fit(data.X, _masked(data))
    # per fold: 6 folds + the final fit on all 200 rows, 5 flattens sharing
    # each fold's fit; once: the final model's weighter serves every fold
    assert len(_CountingWeighter.fits) == n_fits
    assert _CountingWeighter.fits[-1] == 200
    assert clf.scores_.shape == (6, 5)
    assert type(clf.weighter_) is _CountingWeighter
    assert clf.best_estimator_.weighter is clf.weighter


# --------------------------------------------------------------------------
# inputs and composition


def test_pandas_input():
    data = make_covariate_shift(120, 100, 2, random_state=0)
    X = pd.DataFrame(data.X, columns=["age", "bmi"])
    y = pd.Series(_masked(data), name="event")
    clf = it.ImportanceWeightedClassifierCV(
        weighter=_fast_weighter(), cv=3, random_state=0
    ).fit(X, y)
    np.testing.assert_array_equal(clf.feature_names_in_, ["age", "bmi"])
    assert clf.predict(X).shape == (220,)
    # string labels with None marking target rows
    y_str = pd.Series(
        np.where(data.domain == 1, None, np.where(data.y, "yes", "no")), dtype=object
    )
    clf_s = it.ImportanceWeightedClassifierCV(
        weighter=_fast_weighter(), cv=3, random_state=0
    ).fit(X, y_str)
    assert set(clf_s.classes_) == {"no", "yes"}
    np.testing.assert_allclose(clf_s.scores_, clf.scores_)


def test_explicit_domain_ignores_target_labels():
    data = make_covariate_shift(120, 100, 2, random_state=0)
    a = it.ImportanceWeightedClassifierCV(
        weighter=_fast_weighter(), cv=3, random_state=0
    ).fit(data.X, data.y, domain=data.domain)
    b = it.ImportanceWeightedClassifierCV(
        weighter=_fast_weighter(), cv=3, random_state=0
    ).fit(data.X, _masked(data))
    np.testing.assert_allclose(a.scores_, b.scores_)
    assert a.flatten_ == b.flatten_


def test_pipeline_and_grid_search():
    data = make_covariate_shift(120, 120, 2, random_state=0)
    y = _masked(data)
    pipe = make_pipeline(
        StandardScaler(),
        it.ImportanceWeightedClassifierCV(
            weighter=_fast_weighter(), flattens=[0, 1], cv=3, random_state=0
        ),
    )
    assert pipe.fit(data.X, y).predict_proba(data.X).shape == (240, 2)
    search = GridSearchCV(
        it.ImportanceWeightedClassifierCV(
            weighter=_fast_weighter(), flattens=[0, 1], cv=2, random_state=0
        ),
        {"estimator": [LogisticRegression(C=0.1), LogisticRegression(C=10.0)]},
        scoring=make_iw_scorer("neg_log_loss"),
        cv=DomainStratifiedKFold(3, random_state=0),
    ).fit(data.X, y)
    assert search.best_estimator_.flatten_ in (0.0, 1.0)
    assert np.isfinite(search.best_score_)


def test_custom_scoring_and_cv_object():
    data = make_covariate_shift(120, 120, 2, random_state=0)
    clf = it.ImportanceWeightedClassifierCV(
        weighter=_fast_weighter(),
        scoring="accuracy",
        cv=DomainStratifiedKFold(4, random_state=0),
        random_state=0,
    ).fit(data.X, _masked(data))
    assert clf.scores_.shape == (4, 5)
    assert np.all((clf.scores_ >= 0) & (clf.scores_ <= 1))
    # a plain KFold on stacked, unshuffled rows would leave folds without
    # target rows: the error says which splitter to use
    with pytest.raises(ValueError, match="Fold 0 of cv has 0 source"):
        it.ImportanceWeightedClassifierCV(weighter=_fast_weighter(), cv=KFold(2)).fit(
            data.X, _masked(data)
        )


def test_sample_weight_not_mutated_and_used():
    data = make_covariate_shift(100, 100, 2, random_state=0)
    y = _masked(data)
    sw = np.linspace(0.5, 2.0, 200)
    sw_copy = sw.copy()
    kw = dict(weighter=_fast_weighter(), flattens=[0, 1], cv=3, random_state=0)
    a = it.ImportanceWeightedClassifierCV(**kw).fit(data.X, y, sample_weight=sw)
    np.testing.assert_array_equal(sw, sw_copy)
    b = it.ImportanceWeightedClassifierCV(**kw).fit(data.X, y)
    assert not np.allclose(a.scores_, b.scores_)
    # weights reach the folds' fits and scores
    sw0 = np.ones(200)
    sw0[:20] = 0.0
    c = it.ImportanceWeightedClassifierCV(**kw).fit(data.X, y, sample_weight=sw0)
    assert not np.allclose(c.scores_, b.scores_)


def test_no_target_rows_warns_and_fits_unweighted():
    data = make_covariate_shift(60, 60, 2, random_state=0)
    with pytest.warns(NoTargetRowsWarning):
        clf = it.ImportanceWeightedClassifierCV(cv=3).fit(data.X, data.y)
    assert clf.flatten_ == 0.0 and clf.weighter_ is None
    np.testing.assert_allclose(clf.weights_, 1.0)


@pytest.mark.parametrize(
    "params, err, match",
    [
        ({"flattens": []}, ValueError, "non-empty"),
        ({"flattens": [0, -1]}, ValueError, ">= 0"),
        ({"flattens": [0, np.nan]}, ValueError, "finite"),
        ({"selection": "median"}, InvalidParameterError, "selection"),
        ({"n_repeats": 0}, InvalidParameterError, "n_repeats"),
        ({"cv": KFold(3), "n_repeats": 2}, ValueError, "n_repeats applies"),
        ({"cv": 1}, InvalidParameterError, "cv"),
        ({"estimator": KNeighborsClassifier()}, TypeError, "sample_weight"),
        ({"scoring": "no_such_metric"}, ValueError, "no_such_metric"),
    ],
)
def test_bad_parameters(params, err, match):
    data = make_covariate_shift(60, 60, 2, random_state=0)
    with pytest.raises(err, match=match):
        it.ImportanceWeightedClassifierCV(**{"cv": 3, **params}).fit(
            data.X, _masked(data)
        )


def test_not_fitted_and_delegation():
    from sklearn.exceptions import NotFittedError

    clf = it.ImportanceWeightedClassifierCV()
    with pytest.raises(NotFittedError):
        clf.predict(np.zeros((2, 2)))
    assert hasattr(clf, "predict_proba")
    assert not hasattr(
        it.ImportanceWeightedClassifierCV(make_pipeline(StandardScaler(), Ridge())),
        "predict_proba",
    )


def test_parallel_folds_match_serial():
    data = make_covariate_shift(100, 100, 2, random_state=0)
    kw = dict(weighter=_fast_weighter(), flattens=[0, 1], cv=3, random_state=0)
    a = it.ImportanceWeightedClassifierCV(**kw).fit(data.X, _masked(data))
    b = it.ImportanceWeightedClassifierCV(n_jobs=2, **kw).fit(data.X, _masked(data))
    np.testing.assert_allclose(a.scores_, b.scores_)
    np.testing.assert_allclose(a.fold_weights_, b.fold_weights_)


# --------------------------------------------------------------------------
# classes too rare for the folds


def _rare_class_data(n_rare, multiclass):
    data = make_covariate_shift(150, 150, 2, random_state=2)
    src = np.flatnonzero(data.domain == 0)
    X = data.X.copy()
    if multiclass:
        y = (X[:, 0] > 0).astype(int)
        y[src[:n_rare]] = 2
    else:
        y = np.zeros(X.shape[0], int)
        y[src[:n_rare]] = 1
    X[src[:n_rare], 1] += 3.0  # the rare class is learnable
    return X, np.where(data.domain == 1, -1, y)


def test_rare_class_is_scored_with_all_the_model_classes():
    # 6 labeled rows of class 2 and the default 2 x 10 folds: most held-out
    # folds lack class 2, which the models still predict
    X, y = _rare_class_data(6, multiclass=True)
    clf = it.ImportanceWeightedClassifierCV(
        weighter=_fast_weighter(), schedule="full", random_state=0
    ).fit(X, y)
    assert clf.scores_.shape == (20, 5) and np.isfinite(clf.scores_).all()
    model = clf.best_estimator_
    rows = (y != -1) & (y != 2)  # a held-out set without class 2
    ratio = model.weighter_.predict_ratio(X[rows])
    expected = -log_loss(
        y[rows],
        model.predict_proba(X[rows]),
        sample_weight=ratio,
        labels=model.classes_,
    )
    got = make_iw_scorer("neg_log_loss")(model, X[rows], y[rows])
    assert got == pytest.approx(expected)
    # binary, 3 positives over 5 folds: some held-out folds have no positive
    Xb, yb = _rare_class_data(3, multiclass=False)
    clf = it.ImportanceWeightedClassifierCV(
        weighter=_fast_weighter(), cv=5, random_state=0
    ).fit(Xb, yb)
    assert np.isfinite(clf.scores_).all()


def test_score_undefined_in_every_candidate_gives_a_clear_error():
    Xb, yb = _rare_class_data(3, multiclass=False)
    clf = it.ImportanceWeightedClassifierCV(
        weighter=_fast_weighter(), cv=5, scoring="roc_auc", random_state=0
    )
    with pytest.raises(ValueError, match=r"(?s)NaN.*too rare.*fewer folds"):
        clf.fit(Xb, yb)


def test_object_int_labels_with_none_marker_are_ints():
    # ints with None for the unlabeled rows (an object array) fit and score as
    # the same labels with -1 markers
    import instransfer as it

    d = it.datasets.make_covariate_shift(300, 200, 2, random_state=0)
    y_obj = d.y.astype(object)
    y_obj[d.domain == 1] = None
    y_int = np.where(d.domain == 1, -1, d.y)
    a = it.ImportanceWeightedClassifierCV(random_state=0, cv=3).fit(d.X, y_obj)
    b = it.ImportanceWeightedClassifierCV(random_state=0, cv=3).fit(d.X, y_int)
    assert a.classes_.dtype.kind == "i"
    np.testing.assert_array_equal(a.classes_, b.classes_)
    np.testing.assert_allclose(a.scores_, b.scores_)
    assert a.flatten_ == b.flatten_


def test_fold_weighters_do_not_repeat_the_fit_diagnostics():
    # a hard split (no source row where x0 > 0.5): the weighter fitted on all
    # rows says so once; the fold weighters must not say it again per fold
    import warnings
    from collections import Counter

    data = it.datasets.make_covariate_shift(400, 400, random_state=0)
    domain = (data.X[:, 0] > 0.5).astype(int)
    y = np.where(domain == 1, -1, data.y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        it.ImportanceWeightedClassifierCV(random_state=0).fit(data.X, y)
    kinds = Counter(type(w.message).__name__ for w in caught)
    assert kinds["NoOverlapWarning"] == 1
    diagnostics = {"NoOverlapWarning", "WeightConcentrationWarning"}
    assert all(n == 1 for k, n in kinds.items() if k in diagnostics)


# shifted sample (shift=1, 120 rows); the test checks the fold weights
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.NoOverlapWarning")
def test_once_fitted_weighter_scores_with_the_full_ratio():
    # a weighter with its own flatten: its weights_ are not the full ratio,
    # so the held-out rows are scored with predict_ratio (flatten=1)
    data = make_covariate_shift(120, 120, 2, shift=1.0, random_state=2)
    y = _masked(data)
    wtr = it.ClassifierWeighter(cv="in_sample", flatten=0.5, random_state=0)
    clf = it.ImportanceWeightedClassifierCV(
        weighter=wtr, flattens=[0, 1], cv=3, n_repeats=1, random_state=0
    ).fit(data.X, y)
    full = clone(wtr).fit(data.X, (y == -1).astype(int))
    rng = np.random.RandomState(0)
    rng.randint(np.iinfo(np.int32).max)
    cv = DomainStratifiedKFold(3, random_state=int(rng.randint(np.iinfo(np.int32).max)))
    expected = [
        full.predict_ratio(data.X[test][y[test] != -1]).sum()
        for _, test in cv.split(data.X, y)
    ]
    np.testing.assert_allclose(clf.fold_weights_, expected, rtol=1e-12)
    assert not np.allclose(
        clf.fold_weights_,
        [
            full.predict_weights(data.X[t][y[t] != -1]).sum()
            for _, t in cv.split(data.X, y)
        ],
    )


def test_weighter_fit_is_validated():
    data = make_covariate_shift(60, 60, 2, random_state=0)
    with pytest.raises(InvalidParameterError, match="weighter_fit"):
        it.ImportanceWeightedClassifierCV(weighter_fit="twice").fit(
            data.X, _masked(data)
        )
