"""uLSIF / RuLSIF: closed form, exact leave-one-out, known ratios, edge cases."""

import tracemalloc

import numpy as np
import pytest
from _helpers import nmse
from sklearn.base import clone
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.model_selection import GridSearchCV

import instransfer as it
from instransfer.datasets import make_covariate_shift
from instransfer.density_ratio import _lsif_loo
from instransfer.model_selection import DomainStratifiedKFold


def _split(data):
    s = data.domain == 0
    return data.X[s], data.X[~s]


def _fit_direct(Phi_s, Phi_t, alpha, lam):
    """RuLSIF/uLSIF coefficients from the definitions (alpha=0: uLSIF)."""
    H = (1 - alpha) * Phi_s.T @ Phi_s / len(Phi_s) + alpha * Phi_t.T @ Phi_t / len(
        Phi_t
    )
    h = Phi_t.mean(axis=0)
    return np.maximum(np.linalg.solve(H + lam * np.eye(len(h)), h), 0)


def _brute_force_loo(Xs, Xt, C, gamma, lam, alpha, pairs):
    """Literal leave-one-out: drop each pair, refit, score the held-out pair."""
    Js = []
    for i, j in zip(*pairs, strict=True):
        theta = _fit_direct(
            rbf_kernel(np.delete(Xs, i, 0), C, gamma=gamma),
            rbf_kernel(np.delete(Xt, j, 0), C, gamma=gamma),
            alpha,
            lam,
        )
        r_s = rbf_kernel(Xs[i : i + 1], C, gamma=gamma) @ theta
        r_t = rbf_kernel(Xt[j : j + 1], C, gamma=gamma) @ theta
        Js.append((1 - alpha) / 2 * r_s[0] ** 2 + alpha / 2 * r_t[0] ** 2 - r_t[0])
    return np.mean(Js), np.std(Js)


@pytest.mark.parametrize(
    "cls, alpha, n_s, n_t",
    [
        (it.ULSIFCV, 0.0, 40, 25),
        (it.ULSIFCV, 0.0, 20, 30),
        (it.RULSIFCV, 0.3, 35, 25),
        (it.RULSIFCV, 0.6, 22, 22),
    ],
)
def test_loocv_matches_brute_force_refits(cls, alpha, n_s, n_t):
    data = make_covariate_shift(n_s, n_t, 3, shift=0.6, random_state=n_s)
    gammas, lams = [0.1, 0.5], [1e-3, 0.05, 1.0]
    params = dict(gammas=gammas, reg_lambdas=lams, n_centers=12, random_state=0)
    if alpha:
        params["alpha"] = alpha
    est = cls(**params).fit(data.X, data.domain)
    Xs, Xt = _split(data)
    res = est.cv_results_
    for k, p in enumerate(res["params"]):
        mean, std = _brute_force_loo(
            Xs, Xt, est.centers_, p["gamma"], p["reg_lambda"], alpha, est._loo_pairs
        )
        # the score is minus the leave-one-out J
        assert abs(res["mean_test_score"][k] + mean) <= 1e-10 * max(1, abs(mean))
        assert abs(res["std_test_score"][k] - std) <= 1e-8 * max(1, std)
    assert est.best_score_ == res["mean_test_score"].max()
    best = res["params"][int(np.argmax(res["mean_test_score"]))]
    assert (est.gamma_, est.reg_lambda_) == (best["gamma"], best["reg_lambda"])


def test_loocv_with_a_pair_subsample_is_exact_on_those_pairs():
    data = make_covariate_shift(60, 50, 2, random_state=3)
    est = it.ULSIFCV(
        gammas=[0.4], reg_lambdas=[0.01], n_centers=10, max_loo_pairs=7, random_state=1
    ).fit(data.X, data.domain)
    assert est._loo_pairs[0].shape == (7,)
    Xs, Xt = _split(data)
    mean, _ = _brute_force_loo(Xs, Xt, est.centers_, 0.4, 0.01, 0.0, est._loo_pairs)
    np.testing.assert_allclose(-est.cv_results_["mean_test_score"][0], mean, rtol=1e-10)


@pytest.mark.parametrize(
    "cls, extra",
    [
        (it.ULSIFCV, {}),
        # the relative ratio (alpha > 0) leaves part of the shift by design
        pytest.param(
            it.RULSIFCV,
            {"alpha": 0.3},
            marks=pytest.mark.filterwarnings(
                "ignore::instransfer.exceptions.ResidualImbalanceWarning"
            ),
        ),
    ],
)
def test_loocv_in_chunks_of_pairs_equals_one_chunk(monkeypatch, cls, extra):
    # 55 pairs in chunks of 8 (the last one short) against one chunk of 55
    data = make_covariate_shift(70, 55, 3, random_state=2)
    params = dict(n_centers=20, max_loo_pairs=None, random_state=0, **extra)
    whole = cls(**params).fit(data.X, data.domain)
    monkeypatch.setattr(_lsif_loo, "_LOO_CHUNK", 8)
    chunked = cls(**params).fit(data.X, data.domain)
    for key in ("mean_test_score", "std_test_score", "split54_test_score"):
        np.testing.assert_allclose(
            chunked.cv_results_[key], whole.cv_results_[key], rtol=1e-12
        )
    assert (chunked.gamma_, chunked.reg_lambda_) == (whole.gamma_, whole.reg_lambda_)


def test_loocv_memory_is_one_chunk_of_pairs_whatever_their_number(monkeypatch):
    # All 8000 pairs held out, 1000 at a time. The kernel rows of every pair
    # at once (source and target, distances and kernel values, b = 100
    # centres) would be 4 * 8000 * 100 * 8 B = 25.6 MB on their own (38 MB
    # peak measured when they were); one chunk and its products stay ~11 MB,
    # plus the pairs' split scores in cv_results_ (8000 x 63 x 8 B = 4 MB).
    monkeypatch.setattr(_lsif_loo, "_LOO_CHUNK", 1000)
    rng = np.random.RandomState(0)
    n = 8000
    X = np.vstack([rng.normal(size=(n, 5)), 0.3 + 0.8 * rng.normal(size=(n, 5))])
    d = np.r_[np.zeros(n), np.ones(n)]
    est = it.ULSIFCV(max_loo_pairs=None, random_state=0)
    tracemalloc.start()
    try:
        est.fit(X, d)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert est._loo_pairs[0].shape == (n,)
    assert peak < 20 * 2**20, f"peak {peak / 2**20:.1f} MB"


def test_closed_form_and_relative_reduces_to_plain():
    data = make_covariate_shift(120, 80, 2, random_state=0)
    Xs, Xt = _split(data)
    est = it.ULSIF(gamma=0.3, reg_lambda=0.02, n_centers=30, random_state=0).fit(
        data.X, data.domain
    )
    C = est.centers_
    assert C.shape == (30, 2)
    # centres are target rows, without replacement
    assert len({tuple(c) for c in C}) == 30
    assert all((Xt == c).all(axis=1).any() for c in C)
    theta = _fit_direct(
        rbf_kernel(Xs, C, gamma=0.3), rbf_kernel(Xt, C, gamma=0.3), 0.0, 0.02
    )
    np.testing.assert_allclose(est.coef_, theta, rtol=1e-9, atol=1e-12)
    ratio = rbf_kernel(Xs, C, gamma=0.3) @ theta
    np.testing.assert_allclose(est.weights_, ratio / ratio.mean(), rtol=1e-9)
    # RuLSIF with alpha=0 is uLSIF; alpha>0 is its own closed form
    rel0 = it.RULSIF(
        gamma=0.3, reg_lambda=0.02, alpha=0.0, n_centers=30, random_state=0
    ).fit(data.X, data.domain)
    np.testing.assert_allclose(rel0.coef_, est.coef_, rtol=1e-12)
    rel = it.RULSIF(
        gamma=0.3, reg_lambda=0.02, alpha=0.4, n_centers=30, random_state=0
    ).fit(data.X, data.domain)
    theta_rel = _fit_direct(
        rbf_kernel(Xs, C, gamma=0.3), rbf_kernel(Xt, C, gamma=0.3), 0.4, 0.02
    )
    np.testing.assert_allclose(rel.coef_, theta_rel, rtol=1e-9, atol=1e-12)


def test_cv_refit_is_the_single_setting_model():
    data = make_covariate_shift(150, 100, 2, random_state=1)
    cv = it.ULSIFCV(random_state=4).fit(data.X, data.domain)
    single = it.ULSIF(gamma=cv.gamma_, reg_lambda=cv.reg_lambda_, random_state=4).fit(
        data.X, data.domain
    )
    np.testing.assert_array_equal(cv.centers_, single.centers_)
    np.testing.assert_allclose(cv.coef_, single.coef_, rtol=1e-10)
    np.testing.assert_allclose(cv.weights_, single.weights_, rtol=1e-10)
    # 100 target rows: the bounded default grid, 7 widths x 9 lambdas
    assert len(cv.cv_results_["mean_test_score"]) == 63


@pytest.mark.parametrize("cls, extra", [(it.ULSIF, {}), (it.RULSIF, {"alpha": 0.2})])
def test_cv_equals_gridsearch_on_leave_pair_out_folds(cls, extra):
    # balanced domains: each leave-one-pair-out fold has the fit's target share
    data = make_covariate_shift(30, 30, 2, shift=0.5, random_state=7)
    grid = {"gamma": [0.2, 1.0], "reg_lambda": [0.01, 0.3]}
    cv_cls = it.ULSIFCV if cls is it.ULSIF else it.RULSIFCV
    est = cv_cls(
        gammas=grid["gamma"],
        reg_lambdas=grid["reg_lambda"],
        n_centers=10,
        random_state=0,
        **extra,
    ).fit(data.X, data.domain)
    n_s = 30
    folds = []
    for i, j in zip(*est._loo_pairs, strict=True):
        test = np.array([i, n_s + j])
        folds.append((np.setdiff1d(np.arange(60), test), test))
    search = GridSearchCV(cls(centers=est.centers_, **extra), grid, cv=folds).fit(
        data.X, data.domain
    )
    for key in ("mean_test_score", "std_test_score") + tuple(
        f"split{k}_test_score" for k in range(len(folds))
    ):
        np.testing.assert_allclose(
            search.cv_results_[key], est.cv_results_[key], rtol=1e-9, atol=1e-12
        )
    assert f"split{len(folds)}_test_score" not in est.cv_results_
    assert search.best_params_ == {"gamma": est.gamma_, "reg_lambda": est.reg_lambda_}


# the grid's widest width leaves the shift in place, as it should (it loses)
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_gridsearch_needs_no_scorer_and_score_is_minus_j():
    data = make_covariate_shift(200, 150, 2, random_state=2)
    search = GridSearchCV(
        it.ULSIF(random_state=0),
        {"gamma": [0.05, 0.5, 5.0]},
        cv=DomainStratifiedKFold(3, random_state=0),
    ).fit(data.X, data.domain)
    assert search.best_params_["gamma"] in (0.5, 5.0)
    est = it.ULSIF(gamma=0.5, random_state=0).fit(data.X, data.domain)
    Xs, Xt = _split(data)
    r_s = np.exp(est._log_ratio(Xs))
    r_t = np.exp(est._log_ratio(Xt))
    # on rows with the fit's target share the score is exactly -J
    np.testing.assert_allclose(
        est.score(data.X, data.domain), -(0.5 * np.mean(r_s**2) - np.mean(r_t))
    )


@pytest.mark.parametrize(
    "est, threshold",
    [(it.ULSIFCV(random_state=0), 0.12), (it.ULSIF(random_state=0), 0.2)],
)
# the fixed median-heuristic width corrects the shift only partly (its NMSE
# threshold is 0.2, the CV's 0.12)
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_nmse_against_the_true_ratio(shift_data, est, threshold):
    s = shift_data.domain == 0
    w = clone(est).fit(shift_data.X, shift_data.domain).weights_
    assert nmse(w, shift_data.true_ratio[s]) < threshold
    # far better than no weighting at all
    assert nmse(w, shift_data.true_ratio[s]) < 0.3 * nmse(
        np.ones(s.sum()), shift_data.true_ratio[s]
    )


# the relative ratio (alpha > 0) leaves part of the shift by design
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_rulsif_estimates_the_relative_ratio(shift_data):
    alpha = 0.2
    s = shift_data.domain == 0
    r = shift_data.true_ratio[s]
    relative = r / (alpha * r + 1 - alpha)
    w = (
        it.RULSIFCV(alpha=alpha, random_state=0)
        .fit(shift_data.X, shift_data.domain)
        .weights_
    )
    assert nmse(w, relative) < 0.05
    assert nmse(w, relative) < nmse(w, r)


def test_row_order_does_not_matter():
    data = make_covariate_shift(200, 150, 3, random_state=5)
    perm = np.random.RandomState(0).permutation(350)
    a = it.ULSIFCV(random_state=0).fit(data.X, data.domain)
    b = it.ULSIFCV(random_state=0).fit(data.X[perm], data.domain[perm])
    src_perm = perm[data.domain[perm] == 0]
    np.testing.assert_allclose(b.weights_, a.weights_[src_perm], rtol=1e-9)
    assert (a.gamma_, a.reg_lambda_) == (b.gamma_, b.reg_lambda_)


@pytest.mark.parametrize("cls", [it.ULSIF, it.ULSIFCV, it.RULSIF, it.RULSIFCV])
# degenerate inputs on purpose (500 columns, far-apart domains, 2 target rows)
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
        "far-off source rows": (
            np.vstack([Xs, [[40.0, 40, 40]], Xt]),
            np.r_[np.zeros(61), np.ones(40)],
        ),
    }
    for name, (Xc, dc) in cases.items():
        est = cls(random_state=0).fit(Xc, dc)
        w = est.weights_
        assert np.all(np.isfinite(w)) and np.all(w >= 0), name
        assert abs(w.mean() - 1) < 1e-9, name
        assert np.isfinite(est.score(Xc, dc)), name
        if name == "all rows equal":
            np.testing.assert_allclose(w, 1.0)
        if name == "far-off source rows":
            # exp(-gamma d^2) underflows to 0 for every centre; the log-space
            # model still ranks the row, with a finite (very negative) log-ratio
            log_r = est._log_ratio(Xc[60:61])
            assert np.isfinite(log_r[0]) and log_r[0] < np.log(w.min() + 1e-300)
            assert w[60] < 1e-6


def test_bad_grids_raise():
    data = make_covariate_shift(50, 50, 2, random_state=0)
    with pytest.raises(ValueError, match="gammas must be positive"):
        it.ULSIFCV(gammas=[0.1, -1]).fit(data.X, data.domain)
    with pytest.raises(ValueError, match="reg_lambdas must be positive"):
        it.ULSIFCV(reg_lambdas=[0.0, 1.0]).fit(data.X, data.domain)
    with pytest.raises(ValueError, match="centers must have shape"):
        it.ULSIF(centers=np.zeros((3, 5))).fit(data.X, data.domain)


@pytest.mark.peers
def test_better_than_adapt_ulsif_on_the_same_draws():
    adapt = pytest.importorskip("adapt.instance_based")
    wins = 0
    for seed in range(3):
        data = make_covariate_shift(300, 300, 2, shift=0.7, random_state=seed)
        Xs, Xt = _split(data)
        truth = data.true_ratio[data.domain == 0]
        ours = it.ULSIFCV(random_state=seed).fit(data.X, data.domain).weights_
        gammas = list(
            it.ULSIFCV(random_state=seed)
            .fit(data.X, data.domain)
            .cv_results_["param_gamma"][::9]
        )
        peer = adapt.ULSIF(
            gamma=gammas,
            lambdas=[1e-3, 1e-2, 1e-1, 1.0],
            max_centers=100,
            random_state=seed,
            verbose=0,
        )
        theirs = np.asarray(peer.fit_weights(Xs, Xt)).ravel()
        wins += nmse(ours, truth) < nmse(theirs, truth)
    assert wins >= 2


@pytest.mark.parametrize("name", ["ULSIF", "KLIEP"])
def test_given_centers_are_copied(name):
    # the fitted model must not change when the caller edits its array later
    data = make_covariate_shift(n_source=60, n_target=40, random_state=0)
    C = data.X[data.domain == 1][:10].copy()
    est = getattr(it, name)(centers=C).fit(data.X, data.domain)
    before = est.predict_ratio(data.X[:5])
    C += 100.0
    np.testing.assert_array_equal(est.predict_ratio(data.X[:5]), before)


def test_predicting_at_overflowing_rows_raises():
    data = make_covariate_shift(60, 40, 2, random_state=0)
    est = it.ULSIF(random_state=0).fit(data.X, data.domain)
    with pytest.raises(ValueError, match="overflow float64"):
        est.predict_ratio(data.X[:3] * 1e160)
