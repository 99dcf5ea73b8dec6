"""A pickled weighted model carries the source weights once."""

import pickle

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import instransfer as it


@pytest.fixture(scope="module")
def data():
    d = it.datasets.make_covariate_shift(n_source=20000, n_target=4000, random_state=0)
    return d, np.where(d.domain == 1, -1, d.y)


@pytest.mark.parametrize("flatten", [1.0, 0.5])
def test_pickle_holds_the_weights_once(data, flatten):
    d, y_masked = data
    model = it.ImportanceWeightedClassifier(flatten=flatten, clip=5, random_state=0)
    model.fit(d.X, y_masked)
    n_bytes = model.weighter_.weights_.nbytes  # 8 bytes per source row
    blob = pickle.dumps(model)
    # one copy of the weights plus two small models; two copies were > 2 * n_bytes
    assert len(blob) < 1.2 * n_bytes
    again = pickle.loads(blob)
    np.testing.assert_array_equal(again.weights_, model.weights_)
    # the public value is the one the estimator was fit with
    ref = LogisticRegression().fit(
        d.X[d.domain == 0], d.y[d.domain == 0], sample_weight=model.weights_
    )
    np.testing.assert_array_equal(ref.coef_, model.estimator_.coef_)
    assert model.weights_.mean() == pytest.approx(1.0)


def test_weights_of_a_subset_and_without_target(data):
    d, y_masked = data
    y_part = y_masked.copy()
    unlabeled = np.flatnonzero(d.domain == 0)[:50]
    y_part[unlabeled] = -1  # source rows with no label: weighed, not fit
    with pytest.warns(UserWarning, match="left out of the fit"):
        model = it.ImportanceWeightedClassifier(random_state=0).fit(
            d.X, y_part, domain=d.domain
        )
    assert model.weights_.shape == (model.n_source_fit_,) == (19950,)
    source_w = model.weighter_.weights_
    kept = np.ones(source_w.shape[0], bool)
    kept[:50] = False
    expected = source_w[kept] / source_w[kept].mean()
    np.testing.assert_allclose(model.weights_, expected, rtol=1e-12)


def test_cv_model_exposes_the_chosen_weights(data):
    d, y_masked = data
    n = 1500
    rows = np.r_[np.flatnonzero(d.domain == 0)[:n], np.flatnonzero(d.domain == 1)[:500]]
    model = it.ImportanceWeightedClassifierCV(cv=3, flattens=(0, 1), random_state=0)
    model.fit(d.X[rows], y_masked[rows])
    np.testing.assert_array_equal(model.weights_, model.best_estimator_.weights_)
    assert model.weights_.shape == (n,)
