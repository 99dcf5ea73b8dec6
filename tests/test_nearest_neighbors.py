import numpy as np
import pytest
from _helpers import nmse

import instransfer as it
from instransfer.datasets import make_covariate_shift


def _brute_force(Xs, Xt, smoothing, k=1):
    d2 = ((Xt[:, None, :] - Xs[None, :, :]) ** 2).sum(-1)
    votes = np.zeros(Xs.shape[0])
    for row in np.argsort(d2, axis=1)[:, :k]:
        votes[row] += 1.0 / k
    w = votes + smoothing
    return w / w.mean(), votes


@pytest.mark.parametrize("k, smoothing", [(1, 1.0), (3, 0.5), (1, 0.0)])
# smoothing > 0 pulls the weights toward 1 and leaves part of the shift, by
# design (tests/test_nn_smoothing.py measures how much)
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_matches_brute_force_voronoi_counts(shift_data, k, smoothing):
    X, d = shift_data.X, shift_data.domain
    wtr = it.NearestNeighborWeighter(k, smoothing=smoothing).fit(X, d)
    ref, votes = _brute_force(X[d == 0], X[d == 1], smoothing, k)
    np.testing.assert_allclose(wtr.weights_, ref, rtol=1e-12)
    np.testing.assert_allclose(wtr.counts_, votes)
    assert wtr.counts_.sum() == pytest.approx((d == 1).sum())


def test_smoothing_leaves_no_zero_unless_asked(shift_data):
    X, d = shift_data.X, shift_data.domain
    assert (it.NearestNeighborWeighter().fit(X, d).weights_ > 0).all()
    raw = it.NearestNeighborWeighter(smoothing=0).fit(X, d).weights_
    assert (raw == 0).mean() > 0.1  # the unsmoothed estimator's known zeros


def test_new_rows_take_their_voronoi_cell(shift_data):
    X, d = shift_data.X, shift_data.domain
    wtr = it.NearestNeighborWeighter().fit(X, d)
    np.testing.assert_allclose(wtr.predict_weights(X[d == 0]), wtr.weights_)
    np.testing.assert_allclose(
        wtr.predict_weights(X[d == 0][:5] + 1e-9), wtr.weights_[:5]
    )


def test_known_ratio_better_than_uniform():
    for seed in range(3):
        data = make_covariate_shift(
            1000, 1000, 2, shift=0.7, target_scale=1.0, random_state=seed
        )
        truth = data.true_ratio[data.domain == 0]
        w = it.NearestNeighborWeighter(10).fit(data.X, data.domain).weights_
        assert nmse(w, truth) < 0.7 * nmse(np.ones_like(truth), truth)


def test_identical_source_rows_share_their_cell():
    Xs = np.array([[0.0], [0.0], [5.0], [6.0]])
    Xt = np.array([[0.1], [0.2], [5.4]])
    wtr = it.NearestNeighborWeighter().fit(np.vstack([Xs, Xt]), [0, 0, 0, 0, 1, 1, 1])
    assert wtr.weights_[0] == pytest.approx(wtr.weights_[1])
    np.testing.assert_allclose(wtr.predict_weights(Xs), wtr.weights_)
    np.testing.assert_allclose(wtr.counts_, [1.0, 1.0, 1.0, 0.0])


@pytest.mark.parametrize("k", [1, 5, 20])
def test_k_nearest_rows_count_copies_of_repeated_values(k):
    # discrete data: every target row's k nearest source rows are copies of
    # its own value, so each value's weight is the exact ratio of frequencies
    rng = np.random.RandomState(0)
    values = np.array([0.0, 1.0, 2.0])
    xs = rng.choice(values, 600, p=[0.5, 0.3, 0.2])
    xt = rng.choice(values, 400, p=[0.2, 0.3, 0.5])
    X = np.r_[xs, xt][:, None]
    domain = np.r_[np.zeros(600), np.ones(400)]
    w = it.NearestNeighborWeighter(k, smoothing=0).fit(X, domain).weights_
    for v in values:
        exact = np.mean(xt == v) / np.mean(xs == v)
        np.testing.assert_allclose(w[xs == v], exact, rtol=1e-12)
