"""The documented composition of the two ``flatten`` parameters."""

import numpy as np
import pytest

import instransfer as it


def test_estimator_and_weighter_flatten_multiply():
    # the docstrings say: weighter flatten a, estimator flatten b -> w ** (a * b)
    data = it.datasets.make_covariate_shift(n_source=120, n_target=80, random_state=0)
    y = np.where(data.domain == 1, -1, data.y)
    full = it.ClassifierWeighter(cv="in_sample", random_state=0)
    full.fit(data.X, data.domain)
    clf = it.ImportanceWeightedClassifier(
        weighter=it.ClassifierWeighter(cv="in_sample", random_state=0, flatten=0.5),
        flatten=0.6,
    ).fit(data.X, y)
    expected = full.weights_**0.3
    np.testing.assert_allclose(clf.weights_, expected / expected.mean())
    assert clf.weights_.mean() == pytest.approx(1.0)
