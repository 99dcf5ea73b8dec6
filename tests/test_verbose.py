"""verbose announces the number of fits up front, and is silent at 0."""

import re

import numpy as np
import pytest

import instransfer as it


@pytest.fixture(scope="module")
def data():
    d = it.datasets.make_covariate_shift(n_source=300, n_target=200, random_state=0)
    return d.X, d.domain


CASES = [
    (it.ClassifierWeighter(cv=3, random_state=0), r"totalling 4 fits"),
    (
        it.density_ratio.ULSIFCV(
            gammas=[0.1, 1.0], reg_lambdas=[0.1, 1, 10], random_state=0
        ),
        r"2 widths x 3 regularisers, totalling 6 candidates",
    ),
    (
        it.density_ratio.RULSIFCV(gammas=[0.5], reg_lambdas=[0.1, 1], random_state=0),
        r"1 widths x 2 regularisers, totalling 2 candidates",
    ),
    (
        it.density_ratio.KLIEPCV(gammas=[0.1, 0.5, 1.0], cv=2, random_state=0),
        r"2 folds for each of 3 widths, totalling 6 fits",
    ),
    (it.KMM(mode="exact"), r"exact QP over 300 source and 200 target rows"),
]


@pytest.mark.parametrize("est, expected", CASES, ids=lambda c: type(c).__name__)
def test_verbose_announces_the_work(data, capsys, est, expected):
    X, domain = data
    quiet = est.fit(X, domain).weights_
    assert capsys.readouterr().out == ""
    loud = est.set_params(verbose=1).fit(X, domain).weights_
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert re.search(expected, first), out
    np.testing.assert_array_equal(quiet, loud)  # printing changes nothing


def test_classifier_weighter_verbose_2_reports_joblib_progress(data, capsys):
    X, domain = data
    it.ClassifierWeighter(cv=3, verbose=2, random_state=0).fit(X, domain)
    captured = capsys.readouterr()
    assert "totalling 4 fits" in captured.out
    assert "Done" in captured.err + captured.out  # joblib's progress lines
