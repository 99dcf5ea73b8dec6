"""Importance-weighted xgboost.dask on a LocalCluster (2 workers, 1 thread each)."""

import numpy as np
import pytest

pytest.importorskip("dask")
pytest.importorskip("distributed")
pytest.importorskip("xgboost")
da = pytest.importorskip("dask.array")

import instransfer as it  # noqa: E402
from instransfer.datasets import make_covariate_shift  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    # distributed's own warnings (ports, shutdown) are not the subject
    "ignore::UserWarning:distributed.*",
    "ignore::DeprecationWarning",
    "ignore::instransfer.exceptions.ResidualImbalanceWarning",
)


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
        silence_logs=50,
    )
    try:
        with Client(cluster) as c:
            yield c
    finally:
        cluster.close()


def test_weighted_xgboost_dask_matches_in_memory_xgboost(client):
    import xgboost

    d = make_covariate_shift(
        1500, 500, 2, shift=0.7, task="classification", random_state=0
    )
    X, y, domain = np.asarray(d.X), np.asarray(d.y), np.asarray(d.domain)
    y = np.where(domain == 1, 0, y).astype(float)  # labels of target rows are unused
    Xd = da.from_array(X, chunks=(500, -1))
    yd, dd_ = da.from_array(y, chunks=500), da.from_array(domain, chunks=500)
    weighter = it.ULSIF(gamma=0.5, random_state=0)
    model = it.ImportanceWeightedClassifier(weighter=weighter, flatten=0.5)
    model.fit(Xd, yd, domain=dd_)
    w = model.weights_.compute()
    assert w.shape == ((domain == 0).sum(),)
    assert w.mean() == pytest.approx(1.0, rel=1e-10)
    # the same weights in memory, and the same trees from the same weighted rows
    mem = it.ImportanceWeightedClassifier(
        xgboost.XGBClassifier(n_estimators=100, tree_method="hist"),
        weighter=it.ULSIF(gamma=0.5, random_state=0),
        flatten=0.5,
    ).fit(X, y, domain=domain)
    np.testing.assert_allclose(w, mem.weights_, rtol=1e-10)
    p_dask = model.predict_proba(Xd).compute()[:, 1]
    p_mem = mem.predict_proba(X)[:, 1]
    # histogram bins are built per worker: close, not bitwise equal
    assert np.corrcoef(p_dask, p_mem)[0, 1] > 0.95
    tgt = domain == 1
    acc = np.mean((p_dask[tgt] > 0.5) == np.asarray(d.y)[tgt])
    assert acc > 0.6


def test_weighted_regressor_on_the_cluster(client):
    d = make_covariate_shift(1200, 400, 2, shift=0.7, task="regression", random_state=1)
    X, y, domain = np.asarray(d.X), np.asarray(d.y), np.asarray(d.domain)
    Xd = da.from_array(X, chunks=(400, -1))
    model = it.ImportanceWeightedRegressor(weighter=it.ULSIF(gamma=0.5))
    model.fit(Xd, da.from_array(y, chunks=400), domain=da.from_array(domain, 400))
    pred = model.predict(Xd).compute()
    import xgboost

    mem = it.ImportanceWeightedRegressor(
        xgboost.XGBRegressor(n_estimators=100, tree_method="hist"),
        weighter=it.ULSIF(gamma=0.5),
    ).fit(X, y, domain=domain)
    ref = mem.predict(X)
    tgt = domain == 1
    # the same weighted rows: predictions agree up to the per-worker bins,
    # and the target MSE (labels never seen) is within 10 % of in memory
    assert np.corrcoef(pred, ref)[0, 1] > 0.97
    mse = np.mean((pred[tgt] - y[tgt]) ** 2)
    assert mse < 1.1 * np.mean((ref[tgt] - y[tgt]) ** 2)
    assert model.importance_weights(Xd).compute().shape == (1600,)


def test_dask_training_needs_a_domain():
    X = da.ones((20, 2), chunks=10)
    with pytest.raises(ValueError, match="needs domain="):
        it.ImportanceWeightedClassifier().fit(X, da.zeros(20, chunks=10))
    with pytest.raises(ValueError, match="flatten only"):
        it.ImportanceWeightedClassifier(clip=3).fit(X, X[:, 0], domain=X[:, 0])
