"""Weighters on dask collections: the same answers as in memory, lazily.

Every test runs on dask's synchronous scheduler inside a context manager
(nothing global); ``test_dask_xgboost.py`` has the one LocalCluster test.
"""

import numpy as np
import pytest

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
pd = pytest.importorskip("pandas")

import instransfer as it  # noqa: E402
from instransfer._dask import _input  # noqa: E402
from instransfer._diagnostics import weighted_smd  # noqa: E402
from instransfer.datasets import make_covariate_shift  # noqa: E402

# the in-memory reference fits warn on this small shifted sample; not the subject
pytestmark = pytest.mark.filterwarnings(
    "ignore::instransfer.exceptions.ResidualImbalanceWarning"
)


@pytest.fixture(autouse=True)
def synchronous():
    with dask.config.set(scheduler="synchronous"):
        yield


@pytest.fixture(scope="module")
def data():
    d = make_covariate_shift(700, 300, 2, shift=0.7, random_state=0)
    return np.asarray(d.X, float), np.asarray(d.domain), d


def _dask(X, domain, rows=230):
    # uneven partitions, each holding both domains or one only
    return da.from_array(X, chunks=(rows, -1)), da.from_array(domain, chunks=(rows,))


@pytest.mark.parametrize(
    "make",
    [
        lambda: it.ULSIF(gamma=0.4, random_state=0),
        lambda: it.RULSIF(alpha=0.3, random_state=0),
        lambda: it.ULSIFCV(random_state=0, reg_lambdas=[0.01, 0.1, 1.0]),
        lambda: it.RULSIFCV(random_state=0, reg_lambdas=[0.01, 0.1]),
        lambda: it.KLIEP(random_state=0),
        lambda: it.ClassifierWeighter(cv="in_sample", random_state=0),
    ],
)
def test_equal_to_in_memory_when_the_rows_fit(data, make):
    X, domain, _ = data
    mem = make().fit(X, domain)
    lazy = make().fit(*_dask(X, domain))
    assert isinstance(lazy.weights_, da.Array)
    w = lazy.weights_.compute()
    np.testing.assert_allclose(w, mem.weights_, rtol=1e-10, atol=1e-12)
    assert lazy.log_norm_ == pytest.approx(mem.log_norm_, rel=1e-10, abs=1e-12)
    Xd, _ = _dask(X, domain, rows=333)
    np.testing.assert_allclose(
        lazy.predict_weights(Xd).compute(), mem.predict_weights(X), rtol=1e-10
    )


def test_lsif_sums_use_all_rows_beyond_the_sample(data, monkeypatch):
    # fixed width and centres: only H and h depend on the rows, and the
    # partition sums give the in-memory fit exactly though the sample is small
    X, domain, _ = data
    C = X[domain == 1][:40]
    monkeypatch.setattr(_input, "SAMPLE_ROWS", 60)
    mem = it.RULSIF(gamma=0.5, alpha=0.2, centers=C).fit(X, domain)
    # partitions of one domain only (350 + 350 source, 300 target)
    lazy = it.RULSIF(gamma=0.5, alpha=0.2, centers=C).fit(*_dask(X, domain, 350))
    assert lazy.sample_fractions_[0] < 0.1
    np.testing.assert_allclose(lazy.coef_, mem.coef_, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(lazy.weights_.compute(), mem.weights_, rtol=1e-10)


def test_kliep_constraint_uses_all_source_rows(data, monkeypatch):
    # source sampled at ~10 %: KLIEP's b = mean_source phi still sums all rows,
    # so with fixed centres and width the fit is the in-memory one, to the
    # iterative solver's tolerance (two solves on sums rounded differently)
    X, domain, _ = data
    C = X[domain == 1][:30]
    monkeypatch.setattr(_input, "SAMPLE_ROWS", 300)
    mem = it.KLIEP(gamma=0.5, centers=C).fit(X, domain)
    lazy = it.KLIEP(gamma=0.5, centers=C).fit(*_dask(X, domain, 350))
    assert lazy.sample_fractions_ == pytest.approx((300 / 700, 1.0))
    np.testing.assert_allclose(lazy.weights_.compute(), mem.weights_, rtol=1e-4)


def test_dataframe_with_a_domain_column(data):
    X, domain, _ = data
    frame = pd.DataFrame(X, columns=["age", "bmi"]).assign(domain=domain)
    ddf = dd.from_pandas(frame, npartitions=4)
    lazy = it.ULSIF(gamma=0.4, random_state=0).fit(ddf, "domain")
    mem = it.ULSIF(gamma=0.4, random_state=0).fit(frame[["age", "bmi"]], domain)
    assert list(lazy.feature_names_in_) == ["age", "bmi"]
    np.testing.assert_allclose(lazy.weights_.compute(), mem.weights_, rtol=1e-10)
    # a dask Series as the domain, aligned partitions
    lazy2 = it.ULSIF(gamma=0.4, random_state=0).fit(ddf[["age", "bmi"]], ddf["domain"])
    np.testing.assert_allclose(lazy2.weights_.compute(), mem.weights_, rtol=1e-10)
    p = lazy.predict_weights(ddf[["age", "bmi"]])
    assert isinstance(p, da.Array)
    np.testing.assert_allclose(p.compute(), mem.predict_weights(frame[["age", "bmi"]]))


def test_classifier_on_a_source_sample_agrees_with_the_full_fit(data, monkeypatch):
    # source rows kept with probability 300/700, fitted with weight 700/300:
    # the weighted fit estimates the full data's model, prior included
    X, domain, _ = data
    monkeypatch.setattr(_input, "SAMPLE_ROWS", 300)
    mem = it.ClassifierWeighter(cv="in_sample", random_state=0).fit(X, domain)
    lazy = it.ClassifierWeighter(cv="in_sample", random_state=0).fit(*_dask(X, domain))
    assert lazy.sample_fractions_ == pytest.approx((300 / 700, 1.0))
    assert lazy._log_prior == pytest.approx(mem._log_prior)  # log(n_s / n_t)
    # E_source[p_t / p_s] = 1: the raw ratio has mean ~1 over the source rows
    # (log_norm_ ~ 0); without the sampling accounted for it would be off by
    # log(700 / 300) = 0.85
    assert abs(lazy.log_norm_) < 0.15
    assert lazy.log_norm_ == pytest.approx(mem.log_norm_, abs=0.1)
    w, ref = lazy.weights_.compute(), mem.weights_
    # measured over 5 draws of data and sample: correlation 0.95-0.998, median
    # |log w - log w_full| 0.07-0.17, largest gap 13-51 % of the largest
    # weight; this draw: 0.996, 0.137, 21 %
    assert np.corrcoef(w, ref)[0, 1] > 0.98
    assert np.median(np.abs(np.log(w) - np.log(ref))) < 0.2
    assert np.max(np.abs(w - ref)) < 0.35 * ref.max()
    assert w.mean() == pytest.approx(1.0, rel=1e-12)


def test_normalisation_clip_and_diagnostics(data):
    X, domain, _ = data
    est = it.ULSIF(gamma=0.4, random_state=0, flatten=0.7, clip=1.5)
    mem = it.ULSIF(gamma=0.4, random_state=0, flatten=0.7, clip=1.5).fit(X, domain)
    lazy = est.fit(*_dask(X, domain))
    w = lazy.weights_.compute()
    assert w.mean() == pytest.approx(1.0, rel=1e-12)
    assert w.max() == pytest.approx(1.5, rel=1e-9)
    np.testing.assert_allclose(w, mem.weights_, rtol=1e-10)
    diag = lazy.diagnostics_
    assert diag["ess"] == pytest.approx(w.sum() ** 2 / (w**2).sum(), rel=1e-10)
    assert diag["ess"] == pytest.approx(mem.diagnostics_["ess"], rel=1e-10)
    assert diag["max_row"] == int(np.argmax(w))
    assert diag["max_share"] == pytest.approx(w.max() / w.sum(), rel=1e-10)
    ref = weighted_smd(X, domain == 1, w)
    np.testing.assert_allclose(
        diag["balance"]["smd_after"], ref["smd_after"], rtol=1e-9
    )
    np.testing.assert_allclose(
        diag["balance"]["smd_before"], ref["smd_before"], rtol=1e-9
    )
    assert np.abs(ref["smd_after"]).max() < np.abs(ref["smd_before"]).max()


def test_score_matches_in_memory(data):
    X, domain, _ = data
    mem = it.ULSIF(gamma=0.4, random_state=0).fit(X, domain)
    assert mem.score(*_dask(X, domain)) == pytest.approx(
        mem.score(X, domain), rel=1e-10
    )


def test_weights_against_the_true_ratio():
    d = make_covariate_shift(3000, 1000, 2, shift=0.7, random_state=1)
    X, domain = np.asarray(d.X), np.asarray(d.domain)
    lazy = it.ULSIFCV(random_state=0).fit(*_dask(X, domain, rows=900))
    true = d.true_ratio[domain == 0]
    w = lazy.weights_.compute()
    true = true / true.mean()
    nmse = np.mean((w - true) ** 2) / np.mean(true**2)
    assert nmse < 0.2


def test_unknown_chunks_are_refused(data):
    X, domain, _ = data
    Xd, dom = _dask(X, domain)
    unknown = Xd[Xd[:, 0] > -np.inf]  # boolean indexing: NaN chunk lengths
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        it.ULSIF().fit(unknown, dom)
    est = it.ULSIF(gamma=0.4).fit(Xd, dom)
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        est.predict_weights(unknown)


def test_misaligned_domain_is_refused(data):
    X, domain, _ = data
    Xd, _ = _dask(X, domain, rows=230)
    with pytest.raises(ValueError, match="do not align"):
        it.ULSIF().fit(Xd, da.from_array(domain, chunks=(300,)))
    frame = dd.from_pandas(pd.DataFrame(X, columns=["a", "b"]), npartitions=4)
    series = dd.from_pandas(pd.Series(domain), npartitions=3)
    with pytest.raises(ValueError, match="partitions"):
        it.ULSIF().fit(frame, series)


def test_domain_column_missing(data):
    X, domain, _ = data
    frame = pd.DataFrame(X, columns=["a", "b"]).assign(domain=domain)
    ddf = dd.from_pandas(frame, npartitions=3)
    with pytest.raises(ValueError, match="no domain column 'group'"):
        it.ULSIF().fit(ddf, "group")
    # one partition (e.g. one parquet file) without the column
    parts = [frame.iloc[:500], frame.iloc[500:].drop(columns="domain")]
    broken = dd.from_delayed(
        [dask.delayed(p) for p in parts], meta=frame.iloc[:0], verify_meta=False
    )
    with pytest.raises(ValueError, match="missing from a partition"):
        it.ULSIF().fit(broken, "domain")


def test_bad_domain_values(data):
    X, domain, _ = data
    Xd, dom = _dask(X, 2 * domain)
    with pytest.raises(ValueError, match="0 .source. or 1"):
        it.ULSIF().fit(Xd, dom)


def test_feature_mismatch_at_predict(data):
    X, domain, _ = data
    est = it.ULSIF(gamma=0.4).fit(*_dask(X, domain))
    with pytest.raises(ValueError, match="features"):
        est.predict_weights(da.ones((10, 3), chunks=5))


def test_lazy_tasks_carry_a_snapshot_whose_size_does_not_grow_with_the_sample():
    # every partition's task pickles its own copy of the fitted model: an
    # attribute that grows with the sample (the leave-one-out's per-pair
    # scores) would grow the workers' memory with the number of partitions
    import pickle

    from instransfer._dask._weighter import _frozen

    sizes = []
    for n in (400, 1600):  # 100 centres at both (n_centers="auto")
        d = make_covariate_shift(n, n, 2, shift=0.7, random_state=0)
        est = it.ULSIFCV(random_state=0, reg_lambdas=[0.01, 0.1]).fit(
            *_dask(np.asarray(d.X, float), np.asarray(d.domain))
        )
        assert "split0_test_score" in est.cv_results_  # the user's copy keeps them
        sizes.append(len(pickle.dumps(_frozen(est))))
    assert sizes[1] < 1.2 * sizes[0], sizes
