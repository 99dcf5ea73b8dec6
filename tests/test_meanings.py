"""One meaning per name: ``cv``, ``cv_results_`` and default determinism."""

import numpy as np
import pytest
from _helpers import masked
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

import instransfer as it
from instransfer.datasets import make_covariate_shift
from instransfer.model_selection import DomainStratifiedKFold

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


def test_cv_results_have_grid_search_keys(data):
    y = _masked(data)
    fitted = [
        _iwcv(cv=3, n_repeats=1).fit(data.X, y),
        it.KLIEPCV(gammas=[0.5, 1.0], cv=3, random_state=0).fit(data.X, data.domain),
        it.ULSIFCV(random_state=0).fit(data.X, data.domain),
        it.RULSIFCV(random_state=0).fit(data.X, data.domain),
    ]
    for est in fitted:
        res = est.cv_results_
        assert GRID_KEYS <= set(res), type(est).__name__
        n = len(res["params"])
        assert res["mean_test_score"].shape == res["rank_test_score"].shape == (n,)
        best = int(np.nanargmax(res["mean_test_score"]))
        assert res["rank_test_score"][best] == 1
    iwcv = fitted[0].cv_results_
    assert iwcv["params"] == [{"flatten": 0.0}, {"flatten": 0.5}, {"flatten": 1.0}]
    np.testing.assert_allclose(iwcv["std_test_score"], fitted[0].scores_.std(axis=0))
    for k in range(3):
        np.testing.assert_array_equal(
            iwcv[f"split{k}_test_score"], fitted[0].scores_[k]
        )


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
