"""NearestNeighborWeighter's automatic smoothing: half the empirical-Bayes shrinkage."""

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


def _nmse(w, r):
    w, r = w / w.mean(), r / r.mean()
    return np.mean((w - r) ** 2) / np.mean(r**2)


@pytest.mark.parametrize("k", [1, 5])
# smoothing leaves a / (1 + a) of the shift by design, as this module measures
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_auto_is_half_the_moment_estimate_of_the_optimal_shrinkage(small_target, k):
    # by hand from the votes: z = c / m = r v + Poisson noise (variance
    # 1 / (k m)), v the cell's relative mass (variance V, measured on the
    # source rows alone); the squared-error-optimal shrinkage is
    # B* = s2 / (s2 + tau2), s2 = (1 + tau2) V + 1 / (k m); auto uses B*/2
    from instransfer.density_ratio._nearest_neighbors import _cell_variance

    d, Xs, Xt = small_target
    wtr = it.NearestNeighborWeighter(k).fit(d.X, d.domain)
    m = Xt.shape[0] / Xs.shape[0]
    z = wtr.counts_ / m
    v = _cell_variance(np.unique(Xs * wtr._scale, axis=0), k, "euclidean")
    assert 0 < v < 0.5  # 0.28 for Poisson-Voronoi cells in the plane (k = 1)
    poisson = 1 / (k * m)
    tau2 = (z.var() - v - poisson) / (1 + v)
    s2 = (1 + tau2) * v + poisson
    b = 0.5 * s2 / (s2 + tau2)
    assert wtr.smoothing_ == pytest.approx(m * b / (1 - b), rel=1e-9)
    np.testing.assert_allclose(
        wtr.weights_,
        it.NearestNeighborWeighter(k, smoothing=wtr.smoothing_)
        .fit(d.X, d.domain)
        .weights_,
    )


@pytest.mark.parametrize("smoothing", ["auto", 1.0, 0.0])
# smoothing leaves a / (1 + a) of the shift by design, as this module measures
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
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


@pytest.mark.parametrize("k", [1, 5, 10])
# smoothing leaves a / (1 + a) of the shift by design, as this module measures
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_auto_is_no_worse_than_no_smoothing_on_the_known_ratio(small_target, k):
    d, Xs, Xt = small_target
    r = d.true_ratio[d.domain == 0]
    auto = it.NearestNeighborWeighter(k).fit(d.X, d.domain).weights_
    none = it.NearestNeighborWeighter(k, smoothing=0).fit(d.X, d.domain).weights_
    # measured 1.25 / 3.33, 0.37 / 0.65, 0.22 / 0.32 (k = 1, 5, 10)
    assert _nmse(auto, r) < 0.8 * _nmse(none, r)


# smoothing leaves a / (1 + a) of the shift by design, as this module measures
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_auto_corrects_a_small_target_where_a_fixed_count_did_not(small_target):
    d, Xs, Xt = small_target
    before = _mean_smd(Xs, Xt)
    auto = it.NearestNeighborWeighter().fit(d.X, d.domain).weights_
    fixed = it.NearestNeighborWeighter(smoothing=1).fit(d.X, d.domain).weights_
    # fixed: 5/6 of the imbalance left (a = 5); auto: well under half
    assert _mean_smd(Xs, Xt, fixed) / before == pytest.approx(5 / 6, abs=0.02)
    assert _mean_smd(Xs, Xt, auto) / before < 0.45


def test_auto_gives_near_uniform_weights_without_a_shift():
    d = it.datasets.make_covariate_shift(
        n_source=2000, n_target=2000, shift=0.0, target_scale=1.0, random_state=1
    )
    r = np.ones(2000)
    auto = it.NearestNeighborWeighter().fit(d.X, d.domain).weights_
    none = it.NearestNeighborWeighter(smoothing=0).fit(d.X, d.domain).weights_
    assert _nmse(auto, r) < 0.5 * _nmse(none, r)
