"""KLIEP: a solver that reaches the optimum, likelihood CV, known ratios."""

import warnings

import numpy as np
import pytest
from _helpers import nmse
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.model_selection import GridSearchCV

import instransfer as it
from instransfer._optim import kliep_solve as _kliep_solve
from instransfer.datasets import make_covariate_shift
from instransfer.model_selection import DomainStratifiedKFold


def _em_reference(A, n_iter=100_000, tol=1e-12):
    """Multiplicative EM for max mean log(A beta) on the simplex (monotone)."""
    beta = np.full(A.shape[1], 1.0 / A.shape[1])
    for _ in range(n_iter):
        g = A.T @ (1.0 / (A @ beta)) / A.shape[0]
        if g.max() - 1.0 < tol:
            break
        beta = beta * g
    return beta


def test_solver_reaches_the_optimum_with_a_certificate():
    rng = np.random.RandomState(0)
    for _trial in range(8):
        n, b = rng.randint(30, 200), rng.randint(2, 25)
        A = np.exp(-rng.uniform(0.5, 15) * rng.rand(n, b))
        A /= A.max(axis=1, keepdims=True)
        beta, f, gap, n_iter, ok = _kliep_solve(A.T.copy(), max_iter=100, tol=1e-10)
        assert ok and -1e-13 < gap <= 1e-10
        assert abs(beta.sum() - 1) < 1e-12 and beta.min() >= 0
        ref = _em_reference(A)
        # the gap bounds the distance to the optimum: the reference cannot beat it
        assert np.log(A @ ref).mean() <= f + gap + 1e-13
        # KKT: gradient <= 1 everywhere, = 1 on the support
        g = A.T @ (1 / (A @ beta)) / n
        assert g.max() <= 1 + 1e-9
        assert np.all(np.abs(g[beta > 1e-8] - 1) < 1e-6)
        assert n_iter < 40


def test_kliep_solves_the_paper_problem():
    data = make_covariate_shift(300, 200, 2, random_state=0)
    s = data.domain == 0
    est = it.KLIEP(gamma=0.5, n_centers=40, tol=1e-9, random_state=0).fit(
        data.X, data.domain
    )
    Phi_s = rbf_kernel(data.X[s], est.centers_, gamma=0.5)
    Phi_t = rbf_kernel(data.X[~s], est.centers_, gamma=0.5)
    alpha = est.coef_
    assert alpha.min() >= 0
    # the constraint: mean ratio 1 over the source rows (AISM 2008, eq. 5)
    np.testing.assert_allclose((Phi_s @ alpha).mean(), 1.0, rtol=1e-12)
    np.testing.assert_allclose(est.objective_, np.log(Phi_t @ alpha).mean(), rtol=1e-10)
    assert est.duality_gap_ <= 1e-9
    assert abs(est.log_norm_) < 1e-12
    # any other feasible point is worse: e.g. the normalised uniform alpha
    u = np.ones_like(alpha) / (Phi_s.mean(0).sum())
    assert np.log(Phi_t @ u).mean() < est.objective_
    np.testing.assert_allclose(est.weights_, Phi_s @ alpha, rtol=1e-9)


def test_convergence_warning():
    data = make_covariate_shift(200, 200, 2, random_state=0)
    with pytest.warns(ConvergenceWarning, match="duality gap"):
        est = it.KLIEP(gamma=2.0, max_iter=1, tol=1e-12, random_state=0).fit(
            data.X, data.domain
        )
    assert est.duality_gap_ > 1e-12 and np.all(np.isfinite(est.weights_))


@pytest.mark.parametrize("splitter", ["partition", "shuffle", "time"])
# the grid's widest and narrowest widths leave the shift in place, as they
# should; the test compares the CV with GridSearchCV
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_kliepcv_equals_gridsearch_on_the_same_folds(splitter):
    from sklearn.model_selection import StratifiedShuffleSplit, TimeSeriesSplit

    data = make_covariate_shift(150, 120, 2, random_state=3)
    gammas = [0.05, 0.3, 1.5, 6.0]
    # test sets that partition the rows, overlap, or leave rows out of both
    folds = {
        "partition": DomainStratifiedKFold(3, random_state=0),
        "shuffle": StratifiedShuffleSplit(3, test_size=0.3, random_state=0),
        "time": TimeSeriesSplit(3),
    }[splitter]
    X, domain = data.X, data.domain
    if splitter == "time":  # rows shuffled: both domains in every fold
        order = np.random.RandomState(0).permutation(len(domain))
        X, domain = X[order], domain[order]
    cv = it.KLIEPCV(
        gammas=gammas, cv=folds, n_centers=30, tol=1e-10, random_state=0
    ).fit(X, domain)
    search = GridSearchCV(
        it.KLIEP(n_centers=30, tol=1e-10, random_state=0), {"gamma": gammas}, cv=folds
    ).fit(X, domain)
    np.testing.assert_allclose(
        cv.cv_results_["mean_test_score"],
        search.cv_results_["mean_test_score"],
        rtol=1e-7,
        atol=1e-9,
    )
    for k in range(3):
        np.testing.assert_allclose(
            cv.cv_results_[f"split{k}_test_score"],
            search.cv_results_[f"split{k}_test_score"],
            rtol=1e-7,
            atol=1e-9,
        )
    assert cv.gamma_ == search.best_params_["gamma"]
    # and the refit is the single-width model
    single = it.KLIEP(gamma=cv.gamma_, n_centers=30, tol=1e-10, random_state=0).fit(
        X, domain
    )
    np.testing.assert_allclose(cv.weights_, single.weights_, rtol=1e-6)


def test_likelihood_cv_does_not_run_to_the_narrowest_kernel(shift_data):
    # with only the training normalisation the held-out likelihood keeps
    # growing as kernels narrow; the held-out source term stops it
    est = it.KLIEPCV(random_state=0).fit(shift_data.X, shift_data.domain)
    gam = est.cv_results_["param_gamma"]
    assert gam.min() < est.gamma_ < gam.max()
    s = shift_data.domain == 0
    assert nmse(est.weights_, shift_data.true_ratio[s]) < 0.05


@pytest.mark.parametrize("est", [it.KLIEP(random_state=0), it.KLIEPCV(random_state=0)])
def test_nmse_against_the_true_ratio(shift_data, est):
    s = shift_data.domain == 0
    w = est.fit(shift_data.X, shift_data.domain).weights_
    assert nmse(w, shift_data.true_ratio[s]) < 0.05


def test_score_is_the_heldout_likelihood_criterion():
    data = make_covariate_shift(200, 200, 2, random_state=1)
    est = it.KLIEP(gamma=0.5, random_state=0).fit(data.X, data.domain)
    s = data.domain == 0
    log_r_t = np.log(rbf_kernel(data.X[~s], est.centers_, gamma=0.5) @ est.coef_)
    r_s = rbf_kernel(data.X[s], est.centers_, gamma=0.5) @ est.coef_
    np.testing.assert_allclose(
        est.score(data.X, data.domain), log_r_t.mean() - r_s.mean() + 1, rtol=1e-10
    )


# KLIEP corrects this selection only partly (as adapt's does; asserted below)
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_diabetes_sample_bias_is_corrected():
    # adapt's example: younger patients over-sampled; the weighted mean of the
    # outcome should move from the biased 142.4 toward the population's 152.1
    X, y = load_diabetes(return_X_y=True)
    p = np.exp(-20 * np.abs(X[:, 0] + 0.06))
    idx = np.random.RandomState(123).choice(len(X), len(X), p=p / p.sum())
    Xs, ys = X[idx], y[idx]
    assert abs(ys.mean() - 142.39) < 0.01 and abs(y.mean() - 152.13) < 0.01
    Xall, domain = it.stack_domains(Xs, X)
    w = it.KLIEPCV(random_state=0).fit(Xall, domain).weights_
    corrected = np.average(ys, weights=w)
    assert abs(corrected - y.mean()) < 0.4 * abs(ys.mean() - y.mean())
    assert corrected > 148.3  # adapt's KLIEP


@pytest.mark.parametrize("cls", [it.KLIEP, it.KLIEPCV])
# degenerate inputs on purpose (500 columns, far-apart domains, 2 target rows)
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.WeightConcentrationWarning")
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.NoOverlapWarning")
def test_degenerate_inputs_give_valid_weights(cls):
    rng = np.random.RandomState(0)
    Xs, Xt = rng.normal(size=(60, 3)), 0.5 + rng.normal(size=(40, 3))
    X, d = np.vstack([Xs, Xt]), np.r_[np.zeros(60), np.ones(40)]
    const = X.copy()
    const[:, 1] = 7.0
    cases = {
        "constant column": (const, d),
        "duplicated rows": (np.repeat(X[:20], 5, axis=0), d),
        "all rows equal": (np.ones((100, 3)), d),
        "d=1": (X[:, :1], d),
        "d=500": (
            np.vstack([rng.normal(size=(60, 500)), 0.3 + rng.normal(size=(40, 500))]),
            d,
        ),
        "two target rows": (np.vstack([Xs, Xt[:2]]), np.r_[np.zeros(60), np.ones(2)]),
        "domains far apart": (np.vstack([Xs, Xt + 30]), d),
    }
    for name, (Xc, dc) in cases.items():
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            est = cls(random_state=0).fit(Xc, dc)
        w = est.weights_
        assert np.all(np.isfinite(w)) and np.all(w >= 0), name
        assert abs(w.mean() - 1) < 1e-9, name
        assert np.isfinite(est.score(Xc, dc)), name
        if name == "all rows equal":
            np.testing.assert_allclose(w, 1.0)


def test_row_order_does_not_matter():
    data = make_covariate_shift(150, 100, 2, random_state=5)
    perm = np.random.RandomState(0).permutation(250)
    a = it.KLIEPCV(gammas=[0.1, 0.5, 2.0], cv=3, random_state=0).fit(
        data.X, data.domain
    )
    b = it.KLIEPCV(gammas=[0.1, 0.5, 2.0], cv=3, random_state=0).fit(
        data.X[perm], data.domain[perm]
    )
    src_perm = perm[data.domain[perm] == 0]
    np.testing.assert_allclose(b.weights_, a.weights_[src_perm], rtol=1e-6)


@pytest.mark.peers
def test_better_than_adapt_kliep_on_the_same_draws():
    adapt = pytest.importorskip("adapt.instance_based")
    wins = 0
    for seed in range(3):
        data = make_covariate_shift(300, 300, 2, shift=0.7, random_state=seed)
        s = data.domain == 0
        truth = data.true_ratio[s]
        ours = it.KLIEPCV(random_state=seed).fit(data.X, data.domain)
        peer = adapt.KLIEP(
            gamma=list(ours.cv_results_["param_gamma"]), random_state=seed, verbose=0
        )
        theirs = np.asarray(peer.fit_weights(data.X[s], data.X[~s])).ravel()
        wins += nmse(ours.weights_, truth) < nmse(theirs, truth)
    assert wins >= 2
