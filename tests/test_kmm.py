"""KMM: the QP against slow references, constraints, modes, extension, peers."""

import warnings

import numpy as np
import pytest
from _helpers import nmse
from scipy.optimize import minimize
from scipy.special import logsumexp
from sklearn.exceptions import ConvergenceWarning

import instransfer as it
from instransfer import _kernels, _optim
from instransfer._optim import _kmm_qp as _qp
from instransfer.datasets import make_covariate_shift
from instransfer.density_ratio import _kmm


def _problem(n_s, n_t, d, shift=0.5, seed=0, gamma=None):
    rng = np.random.RandomState(seed)
    Xs = rng.standard_normal((n_s, d))
    Xt = shift + 0.8 * rng.standard_normal((n_t, d))
    return Xs, Xt


def _stack(Xs, Xt):
    X = np.vstack([Xs, Xt])
    domain = np.r_[np.zeros(len(Xs), dtype=int), np.ones(len(Xt), dtype=int)]
    return X, domain


def _qp_arrays(Xs, Xt, gamma, B, eps):
    n_s, n_t = len(Xs), len(Xt)
    K = _kernels.rbf_kernel(Xs, gamma=gamma)
    kappa = (n_s / n_t) * _kernels.rbf_kernel(Xs, Xt, gamma=gamma).sum(axis=1)
    if eps is None:
        eps = (np.sqrt(n_s) - 1) / np.sqrt(n_s)
    lo, hi = max(n_s * (1 - eps), 0.0), n_s * (1 + eps)
    return K, kappa, lo, hi


def _objective(K, kappa, beta):
    return 0.5 * beta @ K @ beta - kappa @ beta


def _reference_qp(K, kappa, B, lo, hi):
    """The QP by SLSQP from several starts: slow, obviously correct."""
    n = len(kappa)
    cons = [
        {"type": "ineq", "fun": lambda b: b.sum() - lo, "jac": lambda b: np.ones(n)},
        {"type": "ineq", "fun": lambda b: hi - b.sum(), "jac": lambda b: -np.ones(n)},
    ]
    best = None
    for start in (np.full(n, min(1.0, B / 2)), np.full(n, min(lo / n, B) + 1e-3)):
        res = minimize(
            lambda b: _objective(K, kappa, b),
            start,
            jac=lambda b: K @ b - kappa,
            bounds=[(0, B)] * n,
            constraints=cons,
            method="SLSQP",
            options={"ftol": 1e-15, "maxiter": 2000},
        )
        beta = np.clip(res.x, 0, B)
        if best is None or _objective(K, kappa, beta) < _objective(K, kappa, best):
            best = beta
    return best


CASES = {
    # name: (n_s, n_t, d, gamma, B, eps)
    "default": (60, 60, 5, 0.2, 1000.0, None),
    "B binding": (60, 60, 5, 0.2, 1.6, None),
    "eps binding": (60, 40, 5, 0.2, 1000.0, 0.02),
    "eps zero, B binding": (50, 70, 3, 0.5, 2.5, 0.0),
    "n_s != n_t": (70, 25, 4, 0.3, 1000.0, None),
    "singular K (1-D)": (50, 50, 1, 1.0, 1000.0, None),
    "singular K, eps >= 1 (no lower sum bound)": (50, 50, 1, 1.0, 1000.0, 1.5),
    # the sum an equality and K numerically singular: the interior point
    # takes over, and its slab slacks would start (and stay) at 0
    "eps zero, singular K": (40, 60, 3, 0.2, 1.5, 0.0),
    "eps zero, singular K (2-D)": (100, 100, 2, 0.5, 1000.0, 0.0),
}


@pytest.mark.parametrize("case", list(CASES))
# KMM's exact QP solution is sparse by design (B=1000): on the 1-D cases a
# few rows hold the weight
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.WeightConcentrationWarning")
def test_kmm_matches_reference_qp(case):
    n_s, n_t, d, gamma, B, eps = CASES[case]
    Xs, Xt = _problem(n_s, n_t, d, seed=3)
    X, domain = _stack(Xs, Xt)
    kmm = it.KMM(gamma=gamma, B=B, eps=eps).fit(X, domain)
    K, kappa, lo, hi = _qp_arrays(Xs, Xt, gamma, B, eps)
    ref = _reference_qp(K, kappa, B, lo, hi)
    f, f_ref = _objective(K, kappa, kmm.beta_), _objective(K, kappa, ref)
    # as low as the reference up to the certified gap (<= tol = 1e-8
    # relative), and the same optimum to 1e-6
    assert f <= f_ref + kmm.duality_gap_ + 1e-12 * abs(f_ref)
    assert abs(f - f_ref) <= 1e-6 * abs(f_ref)
    assert kmm.objective_ == pytest.approx(f, rel=1e-12)
    # constraints exactly (to 1e-9)
    b = kmm.beta_
    assert b.min() >= 0 and b.max() <= B
    assert lo - 1e-9 * lo <= b.sum() <= hi + 1e-9 * hi
    # the certificate is below the tolerance
    assert 0 <= kmm.duality_gap_ <= 1e-8 * abs(f)
    # weights_ is the mean-1 normalisation of beta_
    np.testing.assert_allclose(kmm.weights_, b / b.mean(), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("case", ["default", "B binding", "eps zero, B binding"])
def test_kmm_matches_cvxopt(case):
    cvxopt = pytest.importorskip("cvxopt")
    n_s, n_t, d, gamma, B, eps = CASES[case]
    Xs, Xt = _problem(n_s, n_t, d, seed=3)
    kmm = it.KMM(gamma=gamma, B=B, eps=eps).fit(*_stack(Xs, Xt))
    K, kappa, lo, hi = _qp_arrays(Xs, Xt, gamma, B, eps)
    n = n_s
    G = np.vstack([-np.eye(n), np.eye(n), np.ones((1, n)), -np.ones((1, n))])
    h = np.r_[np.zeros(n), np.full(n, B), hi, -lo]
    before = dict(cvxopt.solvers.options)
    sol = cvxopt.solvers.qp(
        cvxopt.matrix(K),
        cvxopt.matrix(-kappa),
        cvxopt.matrix(G),
        cvxopt.matrix(h),
        options={"show_progress": False, "abstol": 1e-11, "reltol": 1e-11},
    )
    assert dict(cvxopt.solvers.options) == before
    f_ref = _objective(K, kappa, np.array(sol["x"]).ravel())
    f = _objective(K, kappa, kmm.beta_)
    assert f <= f_ref + 1e-9 * abs(f_ref)
    assert abs(f - f_ref) <= 1e-6 * abs(f_ref)


# shift=1 in 6 columns and free/capped bounds on purpose: the test is about
# the constraints
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.WeightConcentrationWarning")
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.NoOverlapWarning")
def test_bounds_bind_exactly():
    Xs, Xt = _problem(300, 300, 6, shift=1.0, seed=1)
    X, domain = _stack(Xs, Xt)
    free = it.KMM(gamma=0.15, B=1000.0).fit(X, domain).beta_
    assert free.max() > 10
    capped = it.KMM(gamma=0.15, B=3.0).fit(X, domain)
    assert capped.beta_.max() == 3.0  # the bound itself, not 3 - 1e-7
    assert np.count_nonzero(capped.beta_ == 3.0) > 5
    tight = it.KMM(gamma=0.15, eps=0.0).fit(X, domain)
    assert tight.beta_.sum() == pytest.approx(300, rel=1e-12)
    slab = it.KMM(gamma=0.15, eps=0.05, B=1.5).fit(X, domain)
    assert slab.beta_.max() <= 1.5
    assert 285 * (1 - 1e-12) <= slab.beta_.sum() <= 315 * (1 + 1e-12)


def test_eps_default_and_infeasible_bounds():
    Xs, Xt = _problem(100, 80, 3)
    X, domain = _stack(Xs, Xt)
    kmm = it.KMM(gamma=0.3).fit(X, domain)
    assert kmm.eps_ == pytest.approx((10 - 1) / 10)
    with pytest.raises(ValueError, match="no feasible weights"):
        it.KMM(B=0.5, eps=0.1).fit(X, domain)


def test_default_gamma_is_pooled_median_heuristic():
    Xs, Xt = _problem(150, 100, 3)
    X, domain = _stack(Xs, Xt)
    kmm = it.KMM().fit(X, domain)
    d2 = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
    med = np.median(d2[np.triu_indices(len(X), k=1)])
    assert kmm.gamma_ == pytest.approx(1 / med, rel=1e-10)


def test_singular_kernel_takes_interior_point_and_certifies():
    # duplicated rows and a wide kernel in 2-D: K is singular to rounding
    Xs, Xt = _problem(150, 150, 2, seed=4)
    Xs = np.vstack([Xs, Xs[:30]])
    X, domain = _stack(Xs, Xt)
    kmm = it.KMM().fit(X, domain)
    assert kmm.solver_.startswith("interior-point")
    assert kmm.duality_gap_ <= 1e-8 * abs(kmm.objective_)
    b = kmm.beta_
    assert b.min() >= 0 and b.max() <= 1000
    n = len(Xs)
    assert n * (1 - kmm.eps_) <= b.sum() <= n * (1 + kmm.eps_)


def test_active_set_and_interior_point_agree():
    Xs, Xt = _problem(200, 150, 8, seed=2)
    K, kappa, lo, hi = _qp_arrays(Xs, Xt, 0.12, 1000.0, None)
    op = _optim.DenseGram(K)
    beta, info = _qp.solve_kmm_qp(op, kappa, 1000.0, lo, hi)
    assert info["method"] == "active-set"
    b_ip = _qp._ipm(op, kappa, 1000.0, lo, hi, tol=1e-10, max_iter=100)[0]
    f, f_ip = _objective(K, kappa, beta), _objective(K, kappa, b_ip)
    assert f <= f_ip + 1e-12 * abs(f)
    assert f_ip - f <= 1e-9 * abs(f)


def test_duality_gap_bounds_suboptimality():
    rng = np.random.RandomState(0)
    Xs, Xt = _problem(60, 60, 4)
    K, kappa, lo, hi = _qp_arrays(Xs, Xt, 0.25, 3.0, 0.3)
    op = _optim.DenseGram(K)
    best, info = _qp.solve_kmm_qp(op, kappa, 3.0, lo, hi)
    f_star = _objective(K, kappa, best)
    for _ in range(20):
        beta, _ = _qp._project_box_slab(rng.uniform(-1, 4, 60), 3.0, lo, hi)
        gap, nu = _qp._duality_gap(beta, K @ beta - kappa, 3.0, lo, hi)
        assert _objective(K, kappa, beta) - f_star <= gap * (1 + 1e-12) + 1e-9

        # the minimum over nu is exact: no multiplier on a fine grid does better
        def value(v, beta=beta):
            r = K @ beta - kappa + v
            out = beta @ np.maximum(r, 0) + (3.0 - beta) @ np.maximum(-r, 0)
            return out + (v * (hi - beta.sum()) if v > 0 else -v * (beta.sum() - lo))

        grid = np.r_[np.linspace(-50, 50, 2001), -(K @ beta - kappa)]
        assert gap <= min(value(v) for v in grid) + 1e-9


def test_projection_onto_box_and_slab():
    rng = np.random.RandomState(1)
    for _ in range(10):
        z = rng.normal(1, 2, 8)
        x, _ = _qp._project_box_slab(z, 2.0, 3.0, 7.0)
        res = minimize(
            lambda v, z=z: ((v - z) ** 2).sum(),
            np.ones(8),
            bounds=[(0, 2)] * 8,
            constraints=[
                {"type": "ineq", "fun": lambda v: v.sum() - 3},
                {"type": "ineq", "fun": lambda v: 7 - v.sum()},
            ],
            method="SLSQP",
            options={"ftol": 1e-14},
        )
        np.testing.assert_allclose(x, res.x, atol=1e-6)
        assert x.min() >= 0 and x.max() <= 2 and 3 - 1e-12 <= x.sum() <= 7 + 1e-12


@pytest.mark.parametrize("B, eps", [(1000.0, None), (2.0, None), (1000.0, 0.01)])
def test_low_rank_operator_matches_dense(B, eps):
    # the Woodbury algebra (incremental free-set sums included) against the
    # same approximate kernel held as a dense matrix
    Xs, Xt = _problem(300, 200, 5, seed=5)
    rng = np.random.RandomState(0)
    Phi, D, kappa = _kmm._nystroem_problem(Xs, Xt, 0.2, 60, rng)
    n = len(Xs)
    eps = (np.sqrt(n) - 1) / np.sqrt(n) if eps is None else eps
    lo, hi = _qp.slab_bounds(n, eps, B)
    low_rank, info = _qp.solve_kmm_qp(_optim.LowRankGram(Phi, D), kappa, B, lo, hi)
    dense, _ = _qp.solve_kmm_qp(
        _optim.DenseGram(Phi @ Phi.T + np.diag(D)), kappa, B, lo, hi
    )
    np.testing.assert_allclose(low_rank, dense, rtol=1e-6, atol=1e-8)
    assert info["gap"] <= 1e-8 * abs(info["objective"])
    # and the interior point on the low-rank operator reaches the same optimum
    ip = _qp._ipm(
        _optim.LowRankGram(Phi, D), kappa, B, lo, hi, tol=1e-11, max_iter=100
    )[0]
    K = Phi @ Phi.T + np.diag(D)
    f, f_ip = _objective(K, kappa, dense), _objective(K, kappa, ip)
    assert 0 <= f_ip - f <= 1e-10 * abs(f)


# 10 shifted columns: a fifth of the target rows lie beyond the source rows
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.NoOverlapWarning")
def test_nystroem_mode_tracks_exact_solution():
    data = make_covariate_shift(1500, 1500, 10, random_state=0)
    exact = it.KMM(gamma=0.1, mode="exact").fit(data.X, data.domain)
    approx = it.KMM(gamma=0.1, mode="nystroem", n_components=300, random_state=0)
    approx.fit(data.X, data.domain)
    assert approx.mode_ == "nystroem" and approx.n_components_ == 300
    assert np.corrcoef(approx.beta_, exact.beta_)[0, 1] > 0.95
    # the same constraints hold exactly in the approximate mode
    n = 1500
    eps = (np.sqrt(n) - 1) / np.sqrt(n)
    assert approx.beta_.min() >= 0 and approx.beta_.max() <= 1000
    assert n * (1 - eps) <= approx.beta_.sum() <= n * (1 + eps)
    # both estimate the known ratio better than uniform weights, the
    # approximation (smoother) more so
    truth = data.true_ratio[data.domain == 0]
    uniform = nmse(np.ones_like(truth), truth)
    assert nmse(approx.weights_, truth) < nmse(exact.weights_, truth) < uniform


def _wolfe_gap(beta, grad, B, lo, hi):
    """The certified gap by brute force: the Wolfe bound at every breakpoint.

    The bound is convex and piecewise linear in the slab multiplier ``nu``,
    with kinks at 0 and every ``-grad_i``: its minimum is at one of them.
    """
    s = beta.sum()
    best = np.inf
    for nu in np.r_[0.0, -grad]:
        r = grad + nu
        v = beta @ np.maximum(r, 0) + (B - beta) @ np.maximum(-r, 0)
        v += nu * (hi - s) if nu > 0 else -nu * (s - lo)
        best = min(best, v)
    return max(best, 0.0)


@pytest.mark.parametrize(
    "B, eps, d, gamma, m",
    [(1000.0, None, 5, 0.2, 50), (3.0, None, 3, 0.5, 80), (1000.0, 0.01, 8, 0.1, 100)],
)
def test_nystroem_duality_gap_is_certified_from_fresh_products(B, eps, d, gamma, m):
    # duality_gap_ of the Nystroem mode bounds objective_ - optimum of the
    # low-rank QP it solved; recompute both from beta_ and the dense
    # Phi Phi' + diag(D) (the solver's running K beta once drifted and made
    # the gap 2-6x too small here)
    Xs, Xt = _problem(400, 300, d, seed=1)
    X, domain = _stack(Xs, Xt)
    kmm = it.KMM(
        gamma=gamma, B=B, eps=eps, mode="nystroem", n_components=m, random_state=0
    ).fit(X, domain)
    # the same landmarks: the fit's first draw from RandomState(0)
    Phi, D, kappa = _kmm._nystroem_problem(Xs, Xt, gamma, m, np.random.RandomState(0))
    K = Phi @ Phi.T + np.diag(D)
    lo, hi = _qp.slab_bounds(len(Xs), kmm.eps_, B)
    beta = kmm.beta_
    f = _objective(K, kappa, beta)
    gap = _wolfe_gap(beta, K @ beta - kappa, B, lo, hi)
    assert kmm.objective_ == pytest.approx(f, rel=1e-14, abs=1e-10)
    assert kmm.duality_gap_ == pytest.approx(gap, rel=1e-2, abs=1e-11)
    # a valid bound against a tight reference solve of the same QP ...
    ref, info = _qp.solve_kmm_qp(_optim.DenseGram(K), kappa, B, lo, hi, tol=1e-13)
    f_ref = _objective(K, kappa, ref)
    assert f - f_ref <= kmm.duality_gap_ + 1e-13 * abs(f_ref)
    assert f_ref - f <= info["gap"] + 1e-13 * abs(f_ref)
    # ... and small at convergence
    assert 0 <= kmm.duality_gap_ <= kmm.tol * abs(kmm.objective_)


def test_n_iter_counts_the_warm_start(monkeypatch):
    # above _WARM_START_ROWS the exact mode first solves a Nystroem QP; its
    # iterations are part of n_iter_
    calls = []

    def spy(*args, **kwargs):
        beta, info = solve(*args, **kwargs)
        calls.append((type(args[0]).__name__, info["n_iter"]))
        return beta, info

    solve = _kmm.solve_kmm_qp
    monkeypatch.setattr(_kmm, "solve_kmm_qp", spy)
    monkeypatch.setattr(_kmm, "_WARM_START_ROWS", 100)
    Xs, Xt = _problem(200, 150, 4)
    X, domain = _stack(Xs, Xt)
    kmm = it.KMM(gamma=0.2, mode="exact").fit(X, domain)
    assert [name for name, _ in calls] == ["LowRankGram", "DenseGram"]
    assert all(n >= 1 for _, n in calls)
    assert kmm.n_iter_ == sum(n for _, n in calls)
    # without a warm start, n_iter_ is the one solve's count
    calls.clear()
    monkeypatch.setattr(_kmm, "_WARM_START_ROWS", 1000)
    kmm = it.KMM(gamma=0.2, mode="exact").fit(X, domain)
    assert len(calls) == 1 and kmm.n_iter_ == calls[0][1]


def test_auto_mode_switches_by_size(monkeypatch):
    Xs, Xt = _problem(120, 100, 4)
    X, domain = _stack(Xs, Xt)
    assert it.KMM(gamma=0.2).fit(X, domain).mode_ == "exact"
    monkeypatch.setattr(_kmm, "_AUTO_EXACT_MAX_ROWS", 100)
    kmm = it.KMM(gamma=0.2, random_state=0).fit(X, domain)
    assert kmm.mode_ == "nystroem"
    assert kmm.n_components_ <= 220


def test_n_components_rule():
    assert _kmm._n_components(None, 10_000, 10_000) == 2000
    assert _kmm._n_components(None, 1_000_000, 100_000) == 200
    assert _kmm._n_components(None, 100_000, 100_000) == 632
    assert _kmm._n_components(None, 300, 200) == 500
    assert _kmm._n_components(50, 300, 200) == 50


# one interior-point iteration leaves the shift in place on purpose
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_convergence_warning_keeps_a_feasible_point():
    Xs, Xt = _problem(200, 200, 6)
    X, domain = _stack(Xs, Xt)
    with pytest.warns(ConvergenceWarning, match="duality gap"):
        kmm = it.KMM(gamma=0.2, max_iter=1).fit(X, domain)
    eps = kmm.eps_
    assert kmm.beta_.min() >= 0
    assert 200 * (1 - eps) <= kmm.beta_.sum() <= 200 * (1 + eps)
    assert kmm.duality_gap_ > 1e-8 * abs(kmm.objective_)


def test_exact_mode_is_deterministic_and_order_invariant():
    Xs, Xt = _problem(1200, 900, 6, seed=7)  # above the warm-start size
    X, domain = _stack(Xs, Xt)
    a = it.KMM(gamma=0.15, random_state=0).fit(X, domain)
    b = it.KMM(gamma=0.15, random_state=123).fit(X, domain)
    np.testing.assert_allclose(a.beta_, b.beta_, rtol=1e-10, atol=1e-12)
    perm = np.random.RandomState(0).permutation(len(X))
    c = it.KMM(gamma=0.15).fit(X[perm], domain[perm])
    src_perm = perm[domain[perm] == 0]
    np.testing.assert_allclose(c.beta_, a.beta_[src_perm], rtol=1e-7, atol=1e-9)


def test_out_of_sample_weights_are_the_kernel_smoother():
    Xs, Xt = _problem(120, 100, 3, seed=2)
    X, domain = _stack(Xs, Xt)
    kmm = it.KMM(gamma=0.4).fit(X, domain)
    X_new = np.random.RandomState(5).normal(0.3, 1.2, (40, 3))
    X_new[0] = 30.0  # far from every source row: both sums underflow
    a = -0.4 * ((X_new[:, None] - Xs[None]) ** 2).sum(-1)
    with np.errstate(divide="ignore"):
        log_smooth = logsumexp(a + np.log(kmm.beta_), axis=1) - logsumexp(a, axis=1)
    assert np.all(np.exp(a[0]) == 0)  # a direct evaluation would be 0/0
    ratio = kmm.predict_ratio(X_new)
    np.testing.assert_allclose(ratio, np.exp(log_smooth) / kmm.beta_.mean(), rtol=1e-9)
    with np.errstate(invalid="ignore"):
        k = np.exp(a[1:])
        direct = (k @ kmm.beta_) / k.sum(axis=1)
    np.testing.assert_allclose(ratio[1:], direct / kmm.beta_.mean(), rtol=1e-9)
    assert np.isfinite(ratio[0]) and (kmm.predict_weights(X_new) > 0).all()


def test_inputs_and_global_state_untouched():
    import sys

    import sklearn

    Xs, Xt = _problem(150, 150, 4)
    X, domain = _stack(Xs, Xt)
    X0, config = X.copy(), sklearn.get_config()
    rng_state = np.random.get_state()[1].copy()  # noqa: NPY002 (global RNG)
    had_cvxopt = "cvxopt" in sys.modules
    it.KMM(mode="nystroem", random_state=0).fit(X, domain)
    it.KMM().fit(X.astype(np.float32), domain)
    np.testing.assert_array_equal(X, X0)
    assert sklearn.get_config() == config
    np.testing.assert_array_equal(np.random.get_state()[1], rng_state)  # noqa: NPY002
    assert ("cvxopt" in sys.modules) == had_cvxopt  # no QP package imported


def test_in_pipeline_and_grid_search():
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from instransfer.model_selection import DomainStratifiedKFold

    data = make_covariate_shift(150, 150, 3, random_state=1)
    pipe = make_pipeline(StandardScaler(), it.KMM()).fit(data.X, data.domain)
    assert pipe[-1].weights_.shape == (150,)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        search = GridSearchCV(
            it.KMM(), {"gamma": [0.05, 0.5]}, cv=DomainStratifiedKFold(3)
        ).fit(data.X, data.domain)
    assert search.best_params_["gamma"] in (0.05, 0.5)


# 10 shifted columns: a fifth of the target rows lie beyond the source rows
# (true ratio there up to ~140 vs ~44 at most among source rows)
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.NoOverlapWarning")
def test_weights_follow_known_ratio():
    data = make_covariate_shift(800, 800, 10, random_state=3)
    truth = data.true_ratio[data.domain == 0]
    w = it.KMM(gamma=0.1, B=1000.0).fit(data.X, data.domain).weights_
    assert np.corrcoef(w, truth)[0, 1] > 0.7
    assert nmse(w, truth) < 0.8 * nmse(np.ones_like(truth), truth)
    # the default bound B = 10 caps the 2 % of rows whose ratio exceeds 10 x
    # the mean (up to 38 x here): a lower ratio error, a lower correlation
    capped = it.KMM(gamma=0.1).fit(data.X, data.domain)
    assert capped.beta_.max() <= 10.0
    assert nmse(capped.weights_, truth) < 0.8 * nmse(w, truth)


@pytest.mark.peers
def test_objective_at_least_as_good_as_adapt_and_skada():
    adapt_ib = pytest.importorskip("adapt.instance_based")
    import sklearn

    Xs, Xt = _problem(250, 250, 6, seed=6)
    X, domain = _stack(Xs, Xt)
    ours = it.KMM(gamma=0.15, B=1000.0).fit(X, domain).beta_
    K, kappa, lo, hi = _qp_arrays(Xs, Xt, 0.15, 1000.0, None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = adapt_ib.KMM(
            kernel="rbf", gamma=0.15, max_size=250, verbose=0, random_state=0
        ).fit_weights(Xs, Xt)
    f, f_adapt = _objective(K, kappa, ours), _objective(K, kappa, theirs)
    assert f <= f_adapt
    assert abs(f - f_adapt) <= 1e-5 * abs(f)  # the same optimum, cvxopt's tolerance
    config = sklearn.get_config()
    skada = pytest.importorskip("skada")
    sklearn.set_config(**config)
    sd = np.where(domain == 1, -2, 1)
    w2 = skada.KMMReweightAdapter(gamma=0.15, B=2.0).fit(X, None, sample_domain=sd)
    assert w2.source_weights_.max() > 2.0  # skada's Frank-Wolfe drops B
    assert it.KMM(gamma=0.15, B=2.0).fit(X, domain).beta_.max() <= 2.0


# the common check's shifted sample and its flatten/clip fits; the test is
# about the API
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.WeightConcentrationWarning")
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_flatten_and_clip_with_the_papers_bound():
    # the common check_flatten_and_clip is expected to fail at the default
    # B = 10 (too few nonzero weights for its cap); at B = 1000 it holds
    from instransfer.utils.estimator_checks import check_flatten_and_clip

    check_flatten_and_clip(it.KMM(B=1000.0))
