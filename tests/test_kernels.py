"""The shared Gaussian-kernel module: values, chunked reductions, memory bound."""

import numpy as np
import pytest
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.metrics.pairwise import rbf_kernel as sk_rbf_kernel

import instransfer as it
from instransfer import _kernels as k
from instransfer.datasets import make_covariate_shift


@pytest.fixture
def xy():
    rng = np.random.RandomState(0)
    return rng.normal(size=(157, 6)), 3 + 2 * rng.normal(size=(83, 6))


def test_rbf_kernel_matches_sklearn_float64(xy):
    X, Y = xy
    for gamma in (1e-3, 0.05, 1.0):
        np.testing.assert_allclose(
            k.rbf_kernel(X, Y, gamma), sk_rbf_kernel(X, Y, gamma=gamma), atol=1e-14
        )
    # Y=None: the diagonal is exactly 1 (distance exactly 0)
    K = k.rbf_kernel(X, gamma=0.3)
    assert np.all(np.diag(K) == 1.0)
    np.testing.assert_allclose(K, sk_rbf_kernel(X, gamma=0.3), atol=1e-14)


def test_rbf_kernel_float32_stays_float32_and_accurate(xy):
    X, Y = xy
    K32 = k.rbf_kernel(
        X.astype(np.float32), Y.astype(np.float32), 0.05, dtype=np.float32
    )
    assert K32.dtype == np.float32
    np.testing.assert_allclose(K32, sk_rbf_kernel(X, Y, gamma=0.05), atol=2e-6)


def test_sq_dists_clamped_and_exact(xy):
    X, Y = xy
    D2 = k.sq_dists(X, Y)
    np.testing.assert_allclose(
        D2, euclidean_distances(X, Y, squared=True), rtol=1e-12, atol=1e-10
    )
    # a point repeated with a large offset: the expansion cancels, never < 0
    Z = np.full((3, 4), 1e8) + np.arange(3)[:, None] * 1e-3
    assert np.all(k.sq_dists(Z, Z) >= 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("working_memory", [None, 0.01])
def test_reductions_match_dense(xy, dtype, working_memory):
    X, Y = xy
    gamma = 0.07
    K = sk_rbf_kernel(X, Y, gamma=gamma)
    rng = np.random.RandomState(1)
    v1, v2 = rng.normal(size=Y.shape[0]), rng.normal(size=(Y.shape[0], 3))
    u1, u2 = rng.normal(size=X.shape[0]), rng.normal(size=(X.shape[0], 2))
    tol = dict(rtol=1e-10, atol=1e-10) if dtype == np.float64 else dict(atol=1e-3)
    kw = dict(working_memory=working_memory, dtype=dtype)
    np.testing.assert_allclose(k.rbf_matvec(X, Y, gamma, v1, **kw), K @ v1, **tol)
    np.testing.assert_allclose(k.rbf_matvec(X, Y, gamma, v2, **kw), K @ v2, **tol)
    np.testing.assert_allclose(k.rbf_rmatvec(X, Y, gamma, u1, **kw), K.T @ u1, **tol)
    np.testing.assert_allclose(k.rbf_rmatvec(X, Y, gamma, u2, **kw), K.T @ u2, **tol)
    np.testing.assert_allclose(k.rbf_row_sums(X, Y, gamma, **kw), K.sum(1), **tol)
    np.testing.assert_allclose(k.rbf_column_sums(X, Y, gamma, **kw), K.sum(0), **tol)
    np.testing.assert_allclose(k.rbf_gram(X, Y, gamma, **kw), K.T @ K, **tol)


def test_blocks_respect_the_memory_budget(xy):
    X, Y = xy
    budget_mib = 0.01  # 10 KiB: 16 rows of 83 float64 values
    rows = []
    for _sl, block in k.iter_rbf_blocks(X, Y, 0.1, working_memory=budget_mib):
        assert block.nbytes <= budget_mib * 2**20
        rows.append(block.copy())
    assert len(rows) > 5
    np.testing.assert_allclose(
        np.vstack(rows), sk_rbf_kernel(X, Y, gamma=0.1), atol=1e-14
    )
    # Y = X: exact zeros on the diagonal across block boundaries
    diag = np.concatenate(
        [
            D[np.arange(D.shape[0]), np.arange(sl.start, sl.stop)]
            for sl, D in k.iter_sq_dist_blocks(X, None, working_memory=0.01)
        ]
    )
    assert np.all(diag == 0)


def test_median_heuristic_exact_and_robust():
    X = np.array([[0.0], [1.0], [3.0]])
    assert k.median_heuristic_gamma(X) == 1 / 4  # squared distances 1, 4, 9
    # between two sets
    assert k.median_heuristic_gamma(X, np.array([[0.0]])) == 1 / 1
    # mostly duplicated rows: median of the non-zero distances
    Xd = np.array([[0.0]] * 10 + [[2.0]])
    assert k.median_heuristic_gamma(Xd) == pytest.approx(1 / 4, rel=1e-12)
    # all rows identical: finite fallback 1 / n_features
    assert k.median_heuristic_gamma(np.ones((5, 4))) == 1 / 4
    # bounded subsample, deterministic for a seed, close to the full median
    rng = np.random.RandomState(0)
    Z = rng.normal(size=(5000, 3))
    g1 = k.median_heuristic_gamma(Z, max_rows=500, random_state=1)
    assert g1 == k.median_heuristic_gamma(Z, max_rows=500, random_state=1)
    full = 1 / np.median(
        euclidean_distances(Z[:2000], squared=True)[np.triu_indices(2000, 1)]
    )
    assert abs(g1 / full - 1) < 0.05
    # every row identical, far from the origin: still the fallback
    assert k.median_heuristic_gamma(np.full((6, 3), 0.1) + 1e6) == 1 / 3
    # scale invariance down to where squared distances stay normal floats
    for scale in (1e-150, 1e150):
        assert k.median_heuristic_gamma(Z * scale) * scale**2 == pytest.approx(
            k.median_heuristic_gamma(Z), rel=1e-12
        )


def test_log_rbf_expansion_never_underflows():
    C = np.array([[0.0], [1.0]])
    coef = np.array([0.5, 2.0])
    X = np.array([[0.2], [0.7], [60.0]])
    gamma = 1.0
    log_r = k.log_rbf_expansion(X, C, gamma, np.log(coef))
    np.testing.assert_allclose(log_r[:2], np.log(k.rbf_kernel(X[:2], C, gamma) @ coef))
    # exp(-59^2) is 0 in float64, the log is not
    assert np.exp(-gamma * 59.0**2) == 0.0
    np.testing.assert_allclose(log_r[2], np.log(2.0) - gamma * 59.0**2)
    # a zero coefficient is skipped, all zero gives -inf
    with np.errstate(divide="ignore"):
        lz = np.log(np.array([0.0, 2.0]))
        assert np.all(k.log_rbf_expansion(X, C, gamma, np.log(np.zeros(2))) == -np.inf)
    np.testing.assert_allclose(
        k.log_rbf_expansion(X, C, gamma, lz), np.log(2.0) - gamma * (X[:, 0] - 1) ** 2
    )


def test_gamma_validation(xy):
    X, Y = xy
    for bad in (0.0, -1.0, np.inf, np.nan):
        with pytest.raises(ValueError, match="gamma must be a positive"):
            k.rbf_kernel(X, Y, bad)
    # None means the median heuristic
    np.testing.assert_allclose(
        k.rbf_kernel(X, Y), k.rbf_kernel(X, Y, k.median_heuristic_gamma(X))
    )


def _blas_threads():
    from threadpoolctl import threadpool_info

    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


@pytest.fixture
def two_blas_threads():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        if not before or max(before) < 2:
            pytest.skip("this BLAS cannot run two threads")
        yield before


@pytest.mark.parametrize("name", ["ULSIFCV", "KLIEP", "KMM"])
def test_kernel_weighters_run_blas_on_one_thread_and_restore_it(
    name, monkeypatch, two_blas_threads
):
    # Small BLAS products are many times slower with threads on a busy machine
    # (benchmarks/results/kernel_ratio.md); the user's setting must come back.
    import instransfer as it
    from instransfer.datasets import make_covariate_shift

    cls = getattr(it, name)
    seen = []
    for method in ("_fit_log_ratio", "_log_ratio"):
        original = getattr(cls, method)

        def spy(self, *args, _original=original, _method=method):
            seen.append((_method, _blas_threads()))
            return _original(self, *args)

        monkeypatch.setattr(cls, method, spy)
    data = make_covariate_shift(n_source=60, n_target=40, random_state=0)
    est = cls(random_state=0).fit(data.X, data.domain)
    est.predict_weights(data.X[:5])
    est.score(data.X, data.domain)
    assert _blas_threads() == two_blas_threads
    one = [1] * len(two_blas_threads)
    assert seen and all(threads == one for _, threads in seen)
    assert {m for m, _ in seen} >= {"_fit_log_ratio", "_log_ratio"}

    # many features: the products are large enough for threads, no limit
    seen.clear()
    wide = np.hstack([data.X, np.zeros((data.X.shape[0], 150))])
    cls(random_state=0).fit(wide, data.domain)
    assert seen and all(threads == two_blas_threads for _, threads in seen)


def test_fits_in_threads_leave_the_callers_blas_setting():
    # the limit is process-wide: a fit ending in one thread must not restore
    # another thread's limit as the caller's setting. In a fresh process whose
    # BLAS starts at two threads (threadpoolctl contexts of the main thread
    # would hide the problem).
    import json
    import os
    import subprocess
    import sys

    script = """
import json
from joblib import Parallel, delayed
from threadpoolctl import threadpool_info
import instransfer as it
from instransfer.datasets import make_covariate_shift

def blas():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

data = make_covariate_shift(n_source=60, n_target=40, random_state=0)
before = blas()
for _ in range(3):
    Parallel(n_jobs=2, prefer="threads")(
        delayed(it.ULSIFCV(random_state=s).fit)(data.X, data.domain)
        for s in range(8)
    )
print(json.dumps([before, blas()]))
"""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="2", OMP_NUM_THREADS="2")
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    before, after = json.loads(out.stdout)
    if not before or max(before) < 2:
        pytest.skip("this BLAS cannot run two threads")
    assert after == before


def test_distances_keep_their_precision_under_a_large_offset(xy):
    # the plain expansion ||x||^2 + ||y||^2 - 2 x.y loses ~1e-3 here
    from scipy.spatial.distance import cdist

    X, Y = xy
    for offset in (1e6, 1.7e9):
        Xo, Yo = X + offset, Y + offset
        ref = cdist(X, Y, "sqeuclidean")
        np.testing.assert_allclose(k.sq_dists(Xo, Yo), ref, rtol=0, atol=1e-4)
        blocks = np.vstack([D2.copy() for _, D2 in k.iter_sq_dist_blocks(Xo, Yo)])
        np.testing.assert_allclose(blocks, ref, rtol=0, atol=1e-4)
    np.testing.assert_allclose(
        k.sq_dists(X + 1e6), cdist(X, X, "sqeuclidean"), rtol=0, atol=1e-5
    )


@pytest.mark.parametrize("name", ["ULSIF", "ULSIFCV", "KLIEP", "KMM"])
def test_kernel_weights_do_not_depend_on_a_common_offset(name):
    # e.g. raw calendar years or incomes: a shift of every row changes nothing
    import instransfer as it
    from instransfer.datasets import make_covariate_shift

    data = make_covariate_shift(n_source=80, n_target=60, random_state=0)
    est = getattr(it, name)(random_state=0)
    w = est.fit(data.X, data.domain).weights_
    w_shifted = est.fit(data.X + 1e6, data.domain).weights_
    np.testing.assert_allclose(w_shifted, w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("scale", [1e155, 1e200])
def test_overflowing_distances_raise_with_the_remedy(xy, scale):
    # ||x - y||^2 above the largest float: every kernel value would be NaN
    X, Y = xy
    match = r"overflow float64.*RobustScaler or MaxAbsScaler"
    with pytest.raises(ValueError, match=match):
        k.sq_dists(X * scale, Y * scale)
    with pytest.raises(ValueError, match=match):
        k.sq_dists(X * scale)
    with pytest.raises(ValueError, match=match):  # one huge row is enough
        next(k.iter_sq_dist_blocks(np.vstack([X, X[:1] * scale]), Y))
    with pytest.raises(ValueError, match=match):
        k.rbf_kernel(X, Y * scale, gamma=1.0)
    with pytest.raises(ValueError, match=match):
        k.median_heuristic_gamma(X * scale)
    with pytest.raises(ValueError, match="overflow float32"):
        k.rbf_kernel(X * 1e20, gamma=1.0, dtype=np.float32)
    # just below the limit everything is finite
    assert np.isfinite(k.sq_dists(X * 1e150, Y * 1e150)).all()


@pytest.mark.parametrize("scale", [1e-160, 1e-300])
def test_underflowing_median_distance_raises_with_the_remedy(xy, scale):
    # 1 / median would overflow (or divide by 0): a fallback width would make
    # every kernel value 1 and every weight 1, silently
    X, Y = xy
    match = r"underflow float64.*multiply X by ~1e"
    with pytest.raises(ValueError, match=match):
        k.median_heuristic_gamma(X * scale)
    with pytest.raises(ValueError, match=match):
        k.median_heuristic_gamma(X * scale, Y * scale)
    with pytest.raises(ValueError, match=match):
        k.rbf_kernel(X * scale)


@pytest.mark.parametrize(
    "cls",
    [it.ULSIF, it.ULSIFCV, it.RULSIF, it.RULSIFCV, it.KLIEP, it.KLIEPCV, it.KMM],
)
@pytest.mark.parametrize(
    "scale, match",
    [
        (1e155, r"overflow float64.*RobustScaler or MaxAbsScaler"),
        (1e-160, r"underflow float64.*multiply X by ~1e160"),
    ],
)
def test_extreme_feature_scales_raise_with_the_remedy(cls, scale, match):
    # squared distances beyond float64's range: NaN kernels deep in a solver
    # (overflow) or an infinite median-heuristic width, i.e. silently uniform
    # weights (underflow), before these were refused
    data = make_covariate_shift(60, 40, 2, random_state=0)
    with pytest.raises(ValueError, match=match):
        cls().fit(data.X * scale, data.domain)
    if scale > 1:  # a given width cannot help either
        params = {"gammas": [1.0]} if "gammas" in cls().get_params() else {"gamma": 1.0}
        with pytest.raises(ValueError, match=match):
            cls(**params).fit(data.X * scale, data.domain)


@pytest.mark.parametrize(
    "name",
    [
        "ULSIF",
        "ULSIFCV",
        # RULSIF's relative ratio (alpha > 0) leaves part of the shift by design
        pytest.param(
            "RULSIF",
            marks=pytest.mark.filterwarnings(
                "ignore::instransfer.exceptions.ResidualImbalanceWarning"
            ),
        ),
        "RULSIFCV",
        "KLIEP",
        "KLIEPCV",
    ],
)
def test_median_heuristic_width_does_not_depend_on_random_state(name):
    # above 250 rows per domain the heuristic subsamples; its seed is fixed
    # (as in KMM), so random_state only draws centres (and held-out pairs)
    data = make_covariate_shift(400, 300, 2, random_state=0)
    kw = dict(centers=data.X[data.domain == 1][:20])
    if "CV" in name:
        kw["gammas"] = [None]
    if name == "KLIEPCV":
        kw["cv"] = 2
    gammas = {
        getattr(it, name)(random_state=seed, **kw).fit(data.X, data.domain).gamma_
        for seed in (0, 1, 2)
    }
    assert len(gammas) == 1
