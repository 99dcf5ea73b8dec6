"""The examples of the bad-input campaign (issue 13), as regression tests.

Each was a silent wrong answer or a deep, misleading error; each test states
what the library now does. The classes they belong to are covered over
random inputs by ``test_fuzz.py``.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

import instransfer as it
from instransfer.datasets import make_covariate_shift
from instransfer.exceptions import UnreachableClipWarning, WeightConcentrationWarning
from instransfer.metrics import balance_table, evaluate
from instransfer.model_selection import make_iw_scorer

NEGATIVE = r"sample_weight has \d+ negative value\(s\) \(min -1\); weights must be"


@pytest.fixture(scope="module")
def shift():
    return make_covariate_shift(200, 200, random_state=0)


def _ess(w):
    return w.sum() ** 2 / (w**2).sum()


# --------------------------------------------------------------------------
# silent wrong results


def test_an_outlier_no_longer_takes_all_the_weight(shift):
    X = shift.X.copy()
    X[0, 0] = 20.0  # the true ratio there is ~exp(-97)
    w = it.ClassifierWeighter(random_state=0).fit(X, shift.domain).weights_
    assert w[0] < 10  # was 199.6 of the 200 units of weight (ESS 1.0)
    assert _ess(w) > 50
    # rows inside the fitted range are untouched by the bound
    plain = it.ClassifierWeighter(random_state=0).fit(shift.X, shift.domain)
    unbounded = it.ClassifierWeighter(random_state=0)
    unbounded._bounded = False
    unbounded.fit(shift.X, shift.domain)
    # (up to the mean-1 normalisation, which a clamped row changes)
    factor = plain.weights_ / unbounded.weights_
    inside = np.isclose(factor, np.median(factor), rtol=1e-9)
    assert inside.mean() > 0.9


def test_a_new_outlier_gets_at_most_the_largest_fitted_ratio(shift):
    wtr = it.ClassifierWeighter(random_state=0).fit(shift.X, shift.domain)
    far = np.array([[50.0, 0.0], [-50.0, 0.0]])
    ratio = wtr.predict_ratio(far)
    assert ratio.max() <= wtr.predict_ratio(shift.X).max() * (1 + 1e-12)


def test_iw_scorer_checks_lengths(shift):
    y = np.where(shift.domain == 1, -1, shift.y)
    clf = it.ImportanceWeightedClassifier(random_state=0).fit(shift.X, y)
    scorer = make_iw_scorer("accuracy")
    with pytest.raises(ValueError, match="y has 300 entries but X has 400 rows"):
        scorer(clf, shift.X, y[:300])
    with pytest.raises(ValueError, match="sample_weight has 999 entries"):
        scorer(clf, shift.X, y, sample_weight=np.ones(999))


def test_negative_sample_weight_one_rule_one_message(shift):
    y = np.where(shift.domain == 1, -1, shift.y)
    neg = -np.ones(400)
    clf = it.ImportanceWeightedClassifier(random_state=0).fit(shift.X, y)
    calls = [
        lambda: it.ImportanceWeightedClassifier().fit(shift.X, y, sample_weight=neg),
        lambda: it.ImportanceWeightedClassifierCV(flattens=[0, 1], cv=2).fit(
            shift.X, y, sample_weight=neg
        ),
        lambda: clf.score(shift.X, y, sample_weight=neg),
        lambda: make_iw_scorer("accuracy")(clf, shift.X, y, sample_weight=neg),
        lambda: it.TrAdaBoostClassifier(n_estimators=2).fit(
            shift.X, shift.y, domain=shift.domain, sample_weight=neg
        ),
    ]
    for call in calls:
        with pytest.raises(ValueError, match=NEGATIVE):
            call()
    with pytest.raises(ValueError, match=r"sample_weight has 3 negative value"):
        evaluate(clf, shift.X[:3], shift.y[:3], sample_weight=[-1.0, -1.0, -1.0])


@pytest.mark.parametrize("scale", [1e-200, 1e154, 1e300, 2.0**-1000])
def test_classifier_weighter_is_unit_free_at_any_scale(shift, scale):
    plain = it.ClassifierWeighter(random_state=0).fit(shift.X, shift.domain)
    scaled = it.ClassifierWeighter(random_state=0).fit(shift.X * scale, shift.domain)
    # was uniform at 1e-200, overflow at 1e154, "contains NaN" beyond
    np.testing.assert_allclose(scaled.weights_, plain.weights_, rtol=1e-6)


@pytest.mark.parametrize("scale", [1e-170, 1e150, 3.0])
def test_nearest_neighbours_unit_free_at_any_scale(shift, scale):
    plain = it.NearestNeighborWeighter().fit(shift.X, shift.domain).weights_
    scaled = it.NearestNeighborWeighter().fit(shift.X * scale, shift.domain)
    np.testing.assert_allclose(scaled.weights_, plain, rtol=1e-9)


def test_nearest_neighbour_ties_are_shared():
    Xs = np.array([[0.0], [1.0], [5.0]])
    Xt = np.array([[0.5], [0.5], [5.0]])  # midway between the first two
    X, d = it.stack_domains(Xs, Xt)
    for unit in (1.0, 0.1, 3.0, 1e-7):
        wtr = it.NearestNeighborWeighter(smoothing=0).fit(X * unit, d)
        np.testing.assert_allclose(wtr.counts_, [1.0, 1.0, 1.0])
    # a new row midway gets the mean ratio of the two cells
    wtr = it.NearestNeighborWeighter(smoothing=1.0).fit(X, d)
    mid = wtr.predict_ratio(np.array([[0.5]]))
    np.testing.assert_allclose(mid, wtr.predict_ratio(np.array([[0.0]])))


@pytest.mark.parametrize("scale", [1e-200, 1e160])
def test_balance_table_is_unit_free(shift, scale):
    Xs, Xt = shift.X[shift.domain == 0], shift.X[shift.domain == 1]
    plain = balance_table(Xs, Xt)
    scaled = balance_table(Xs * scale, Xt * scale)
    # was 0 (a perfect balance that was not there) or -inf
    np.testing.assert_allclose(scaled["diff_before"], plain["diff_before"], rtol=1e-9)
    np.testing.assert_allclose(
        scaled["var_ratio_before"], plain["var_ratio_before"], rtol=1e-9
    )


def test_balance_table_refuses_inf_and_sparse(shift):
    Xs, Xt = shift.X[shift.domain == 0].copy(), shift.X[shift.domain == 1]
    Xs[0, 1] = np.inf
    with pytest.raises(ValueError, match="Column 'x1' has infinite values"):
        balance_table(Xs, Xt)
    with pytest.raises(TypeError, match="toarray"):
        balance_table(sp.csr_matrix(Xt), sp.csr_matrix(Xt))


# shift=2 with 30 target rows: some have no source rows nearby
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.NoOverlapWarning")
def test_unreachable_clip_warns():
    wtr = it.NearestNeighborWeighter(smoothing=0, clip=1.2)
    data = make_covariate_shift(100, 30, shift=2.0, random_state=0)
    with pytest.warns(UnreachableClipWarning, match="clip=1.2 cannot be met"):
        wtr.fit(data.X, data.domain)
    assert wtr.weights_.max() > 1.2  # the mean-1 weights cannot honour it
    np.testing.assert_allclose(wtr.weights_.mean(), 1.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"shift": np.nan},
        {"shift": [0.5, np.inf]},
        {"noise": np.nan},
        {"target_scale": 0.0},
        {"target_scale": np.nan},
        {"n_source": -1},
        {"n_target": 10.5},
        {"n_features": 0},
    ],
)
def test_generators_refuse_nan_zero_and_bad_sizes(kwargs):
    with pytest.raises(ValueError):  # never NaN rows, never an IndexError
        make_covariate_shift(**kwargs)


# --------------------------------------------------------------------------
# deep or misleading errors


@pytest.mark.parametrize(
    "weighter", [it.ClassifierWeighter(), it.NearestNeighborWeighter(), it.KMM()]
)
def test_not_fitted_error_before_fit(weighter):
    for method in ("predict_weights", "predict_ratio"):
        with pytest.raises(NotFittedError):
            getattr(weighter, method)(np.zeros((2, 2)))


def test_kmm_on_a_huge_outlier(shift):
    X = shift.X.copy()
    X[0, 0] = 1e9  # was "matrix is not positive definite even with jitter"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", it.FeatureScaleWarning)
        w = it.KMM().fit(X, shift.domain).weights_
    assert np.isfinite(w).all() and w[0] < 1e-2


def test_kmm_gives_identical_rows_one_weight():
    rng = np.random.RandomState(0)
    Xs = np.round(rng.standard_normal((30, 1)))
    Xt = rng.standard_normal((20, 1)) + 0.5
    X, d = it.stack_domains(Xs, Xt)
    w = it.KMM().fit(X, d).weights_
    for value in np.unique(Xs):
        group = w[Xs[:, 0] == value]
        np.testing.assert_allclose(group, group[0])


def test_iwcv_names_a_class_too_rare_for_the_folds(shift):
    y = np.where(shift.domain == 1, -1, shift.y)
    y[0] = 7  # a class present in one row
    with pytest.raises(ValueError, match=r"class\(es\) \[7\]"):
        it.ImportanceWeightedClassifierCV(random_state=0).fit(shift.X, y)


def test_iwcv_regressor_with_huge_targets_chooses():
    data = make_covariate_shift(100, 100, task="regression", random_state=0)
    y = np.where(data.domain == 1, np.nan, data.y * 1e160)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        reg = it.ImportanceWeightedRegressorCV(random_state=0).fit(data.X, y)
    assert reg.flatten_ in reg.flattens  # was an IndexError


def test_sparse_rows_after_a_dense_fit(shift):
    wtr = it.ClassifierWeighter(random_state=0).fit(shift.X, shift.domain)
    with pytest.raises(ValueError, match="fit on dense X but got sparse rows"):
        wtr.predict_weights(sp.csr_matrix(shift.X))


# ratio**1000 over-corrects the means; the weight concentration is asserted
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_a_large_flatten_is_not_blamed_on_the_data(shift):
    wtr = it.ClassifierWeighter(random_state=0, flatten=1000.0)
    # ratio**1000 puts all the weight on one row: said as concentration (was
    # "no source row resembles")
    with pytest.warns(WeightConcentrationWarning, match="concentrate"):
        w = wtr.fit(shift.X, shift.domain).weights_
    assert np.isfinite(w).all() and w.mean() == pytest.approx(1.0)


def test_boosting_names_text_and_datetime_columns(shift):
    X = pd.DataFrame(
        {
            "a": shift.X[:, 0],
            "note": ["x"] * 400,
            "when": pd.date_range("2020-01-01", periods=400),
        }
    )
    # the default learner encodes them (a learner that cannot is named with
    # the columns: tests/test_boosting_defaults.py); was a numpy DType error
    clf = it.TrAdaBoostClassifier(n_estimators=2, random_state=0)
    clf.fit(X, shift.y, domain=shift.domain)
    assert clf.predict(X).shape == (400,)


def test_check_array_failures_get_context(shift):
    dup = pd.DataFrame(shift.X, columns=["a", "a"])
    with pytest.raises(ValueError, match=r"duplicated column names \['a'\]"):
        it.ULSIF().fit(dup, shift.domain)
    sparse = pd.DataFrame(
        {c: pd.arrays.SparseArray(shift.X[:, j]) for j, c in enumerate("ab")}
    )
    with pytest.raises(ValueError, match="sparse columns"):
        it.ClassifierWeighter().fit(sparse, shift.domain)
