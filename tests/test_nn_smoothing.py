"""NearestNeighborWeighter's automatic smoothing on a small target."""

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

import instransfer as it


@pytest.fixture(scope="module")
def small_target():
    d = it.datasets.make_covariate_shift(n_source=5000, n_target=1000, random_state=0)
    s = d.domain == 0
    return d, d.X[s], d.X[~s]


def _mean_smd(Xs, Xt, w=None):
    diff = Xt.mean(0) - np.average(Xs, axis=0, weights=w)
    return np.mean(np.abs(diff) / np.sqrt((Xs.var(0) + Xt.var(0)) / 2))


def test_auto_is_the_mean_vote_capped_at_one(small_target):
    d, Xs, Xt = small_target
    wtr = it.NearestNeighborWeighter().fit(d.X, d.domain)
    assert wtr.smoothing_ == pytest.approx(1000 / 5000)
    rev = np.where(d.domain == 1, 0, 1)  # five times more target than source
    assert it.NearestNeighborWeighter().fit(d.X, rev).smoothing_ == 1.0
    np.testing.assert_array_equal(
        it.NearestNeighborWeighter().fit(d.X, rev).weights_,
        it.NearestNeighborWeighter(smoothing=1).fit(d.X, rev).weights_,
    )


@pytest.mark.parametrize("smoothing", ["auto", 1.0, 0.0])
def test_weighted_mean_leaves_a_over_1_plus_a_of_the_imbalance(small_target, smoothing):
    # brute force: the weighted source mean is that of the target rows'
    # nearest source rows, pulled to the source mean by a = s * n_s / n_t
    d, Xs, Xt = small_target
    wtr = it.NearestNeighborWeighter(smoothing=smoothing).fit(d.X, d.domain)
    idx = NearestNeighbors(n_neighbors=1).fit(Xs).kneighbors(Xt)[1][:, 0]
    m_nn, m_s = Xs[idx].mean(0), Xs.mean(0)
    a = wtr.smoothing_ * Xs.shape[0] / Xt.shape[0]
    expected = (m_nn + a * m_s) / (1 + a)
    np.testing.assert_allclose(np.average(Xs, axis=0, weights=wtr.weights_), expected)


def test_auto_corrects_more_than_a_fixed_pseudo_count(small_target):
    d, Xs, Xt = small_target
    before = _mean_smd(Xs, Xt)
    auto = it.NearestNeighborWeighter().fit(d.X, d.domain).weights_
    fixed = it.NearestNeighborWeighter(smoothing=1).fit(d.X, d.domain).weights_
    # fixed: 5/6 of the imbalance left (a = 5); auto: about half (a = 1)
    assert _mean_smd(Xs, Xt, fixed) / before == pytest.approx(5 / 6, abs=0.02)
    assert _mean_smd(Xs, Xt, auto) / before == pytest.approx(1 / 2, abs=0.02)
    # and the ratio with 5 neighbours is closer to the truth than with a = 5
    r = d.true_ratio[d.domain == 0]
    r = r / r.mean()

    def nmse(w):
        return np.mean((w - r) ** 2) / np.mean(r**2)

    w5 = it.NearestNeighborWeighter(5).fit(d.X, d.domain).weights_
    w5_fixed = it.NearestNeighborWeighter(5, smoothing=1).fit(d.X, d.domain).weights_
    assert nmse(w5) < nmse(w5_fixed)
