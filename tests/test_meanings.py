"""One meaning per name: ``cv``, ``cv_results_`` and default determinism."""

import numpy as np
import pytest
from _helpers import masked
from sklearn.base import is_classifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

import instransfer as it
from instransfer.base import BaseWeighter
from instransfer.datasets import make_covariate_shift
from instransfer.model_selection import DomainStratifiedKFold
from instransfer.utils.discovery import all_estimators

GRID_KEYS = {"params", "mean_test_score", "std_test_score", "rank_test_score"}


@pytest.fixture(scope="module")
def data():
    return make_covariate_shift(n_source=120, n_target=80, random_state=0)


def _iwcv(**params):
    weighter = it.ClassifierWeighter(
        LogisticRegression(), cv="in_sample", random_state=0
    )
    return it.ImportanceWeightedClassifierCV(
        weighter=weighter, flattens=(0.0, 0.5, 1.0), **params
    )


_masked = masked


def test_iwcv_cv_none_is_five_folds_and_takes_any_splitter(data):
    y = _masked(data)
    assert _iwcv(cv=None).fit(data.X, y).scores_.shape == (5, 3)
    splits = list(DomainStratifiedKFold(3, random_state=1).split(data.X, y))
    by_list = _iwcv(cv=splits).fit(data.X, y)
    by_splitter = _iwcv(cv=DomainStratifiedKFold(3, random_state=1)).fit(data.X, y)
    assert by_list.scores_.shape == (3, 3)
    np.testing.assert_array_equal(by_list.scores_, by_splitter.scores_)


def test_kliepcv_cv_none_is_five_folds_and_takes_any_splitter(data):
    wtr = it.KLIEPCV(gammas=[0.5, 1.0], random_state=0).fit(data.X, data.domain)
    assert sum(k.startswith("split") for k in wtr.cv_results_) == 5
    splits = list(KFold(3, shuffle=True, random_state=0).split(data.X))
    by_list = it.KLIEPCV(gammas=[0.5, 1.0], cv=splits, random_state=0)
    assert (
        sum(k.startswith("split") for k in by_list.fit(data.X, data.domain).cv_results_)
        == 3
    )


# every public estimator that selects by cross-validation reports cv_results_
CV_ESTIMATORS = [
    cls for _, cls in all_estimators() if "cv_results_ :" in (cls.__doc__ or "")
]


def _fit_cv_estimator(cls, data):
    """Fit ``cls`` small, on the data its family takes; return the estimator."""
    y = _masked(data)
    if issubclass(cls, BaseWeighter):
        params = {"random_state": 0}
        if "gammas" in cls().get_params():
            params["gammas"] = [0.5, 1.0]
        if "cv" in cls().get_params():
            params["cv"] = 3
        return cls(**params).fit(data.X, data.domain)
    if "flattens" in cls().get_params():
        weighter = it.ClassifierWeighter(cv="in_sample", random_state=0)
        est = cls(weighter=weighter, flattens=(0.0, 0.5, 1.0), cv=3, n_repeats=1)
        y_fit = y if is_classifier(cls()) else _regression_y(data)
        return est.fit(data.X, y_fit)
    # transfer boosting: labeled target rows, folds over them
    y_fit = data.y if is_classifier(cls()) else _regression_y(data, True)
    params = {"cv": 3, "random_state": 0, "n_estimators": 4}
    if "n_steps" in cls().get_params():
        params["n_steps"] = 3
    return cls(**params).fit(data.X, y_fit, domain=data.domain)


def _regression_y(data, labeled_target=False):
    y = data.X[:, 0] + 0.1 * np.random.RandomState(0).normal(size=data.X.shape[0])
    if not labeled_target:
        y = np.where(data.domain == 1, np.nan, y)
    return y


def test_every_cv_estimator_is_found():
    names = {cls.__name__ for cls in CV_ESTIMATORS}
    assert {
        "ImportanceWeightedClassifierCV",
        "ImportanceWeightedRegressorCV",
        "KLIEPCV",
        "ULSIFCV",
        "RULSIFCV",
        "TrAdaBoostClassifier",
        "TrAdaBoostRegressor",
        "TwoStageTrAdaBoostRegressor",
    } <= names


@pytest.mark.parametrize("cls", CV_ESTIMATORS, ids=lambda c: c.__name__)
def test_cv_results_have_grid_search_keys(cls, data):
    res = _fit_cv_estimator(cls, data).cv_results_
    assert GRID_KEYS <= set(res)
    n = len(res["params"])
    assert res["mean_test_score"].shape == res["rank_test_score"].shape == (n,)
    best = int(np.nanargmax(res["mean_test_score"]))
    assert res["rank_test_score"][best] == 1
    # GridSearchCV's split keys: split0 ... split{K-1}, one score per candidate
    n_splits = sum(k.startswith("split") and k.endswith("_test_score") for k in res)
    assert n_splits >= 2
    splits = np.array([res[f"split{k}_test_score"] for k in range(n_splits)])
    assert splits.shape == (n_splits, n)
    np.testing.assert_allclose(res["std_test_score"], splits.std(axis=0))


def test_iwcv_cv_results_are_its_scores(data):
    fitted = _iwcv(cv=3, n_repeats=1).fit(data.X, _masked(data))
    iwcv = fitted.cv_results_
    assert iwcv["params"] == [{"flatten": 0.0}, {"flatten": 0.5}, {"flatten": 1.0}]
    np.testing.assert_allclose(iwcv["std_test_score"], fitted.scores_.std(axis=0))
    for k in range(3):
        np.testing.assert_array_equal(iwcv[f"split{k}_test_score"], fitted.scores_[k])


def test_iwcv_is_deterministic_without_random_state(data):
    y = _masked(data)
    # the default weighter too: it is seeded from the estimator's fixed seed
    params = {"cv": 3, "n_repeats": 1, "flattens": (0.0, 1.0)}
    a = it.ImportanceWeightedClassifierCV(**params).fit(data.X, y)
    b = it.ImportanceWeightedClassifierCV(**params).fit(data.X, y)
    np.testing.assert_array_equal(a.scores_, b.scores_)
    np.testing.assert_array_equal(a.weights_, b.weights_)


def test_domain_stratified_kfold_is_deterministic_without_random_state(data):
    y = _masked(data)
    first = list(DomainStratifiedKFold(4).split(data.X, y))
    second = list(DomainStratifiedKFold(4).split(data.X, y))
    for (tr_a, te_a), (tr_b, te_b) in zip(first, second, strict=True):
        np.testing.assert_array_equal(te_a, te_b)
        np.testing.assert_array_equal(tr_a, tr_b)
    # an explicit RandomState still draws anew at every split
    rng = np.random.RandomState(0)
    cv = DomainStratifiedKFold(4, random_state=rng)
    a = [te for _, te in cv.split(data.X, y)]
    b = [te for _, te in cv.split(data.X, y)]
    assert any(not np.array_equal(x, z) for x, z in zip(a, b, strict=True))
