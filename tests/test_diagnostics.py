"""Fit-time diagnostics, overlap report, shift tests, collapsed levels."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kstest

import instransfer as it
from instransfer.datasets import load_cohort, make_age_shift, make_covariate_shift
from instransfer.exceptions import (
    NoOverlapWarning,
    ResidualImbalanceWarning,
    WeightConcentrationWarning,
)
from instransfer.metrics import (
    balance_table,
    overlap_report,
    shift_test,
    weighting_diagnostics,
)

OURS = (NoOverlapWarning, ResidualImbalanceWarning, WeightConcentrationWarning)


def _weighters():
    return [
        it.ClassifierWeighter(random_state=0),
        it.NearestNeighborWeighter(),
        it.ULSIFCV(random_state=0),
        it.RULSIFCV(random_state=0),
        it.KLIEPCV(random_state=0),
        it.KMM(random_state=0),
        it.ULSIF(random_state=0),
        it.KLIEP(random_state=0),
    ]


def _fit_recording(weighter, X, domain):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        weighter.fit(X, domain)
    return {r.category for r in rec if issubclass(r.category, OURS)}


def _std(X):
    X = np.asarray(X, float)
    return (X - X.mean(0)) / X.std(0)


@pytest.fixture(scope="module")
def diabetes():
    return load_cohort("diabetes", as_frame=False)


# --------------------------------------------------------------------------
# fit-time warnings


# the hand-made outlier weight also moves the weighted mean of x0
# far off; the test is about the concentration warning
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_outlier_concentration_warns_in_weighter_and_estimator():
    # issue #13: one outlying row took weight 199.6 of 200 (ESS 1.0), silently.
    # ClassifierWeighter now bounds that row's log-odds (test_hardening.py);
    # the concentration check is exercised on the unbounded weights
    data = make_covariate_shift(200, 200, random_state=0)
    X = data.X.copy()
    X[0, 0] = 20.0
    bounded = it.ClassifierWeighter(random_state=0).fit(X, data.domain)
    assert bounded.diagnostics_["max_share"] < 0.2
    # the unbounded weights of the issue: the check names the row
    w = np.ones(200)
    w[0] = 199.6 * 199 / (200 - 199.6)
    with pytest.warns(WeightConcentrationWarning, match="source row 0 holds"):
        diag = it.metrics.weighting_diagnostics(X, data.domain, w / w.mean())
    assert diag["max_row"] == 0 and diag["ess"] < 2
    # end to end, the weighted estimator on the data is no longer
    # carried by the outlier
    y = np.where(data.domain == 1, -1, data.y)
    clf = it.ImportanceWeightedClassifier(
        weighter=it.ClassifierWeighter(random_state=0)
    )
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        clf.fit(X, y)
    assert not any(issubclass(r.category, WeightConcentrationWarning) for r in rec)
    assert clf.weights_.max() < 0.2 * clf.weights_.sum()


@pytest.mark.parametrize("weighter", _weighters(), ids=lambda w: type(w).__name__)
def test_hard_split_warns_no_overlap_for_every_weighter(weighter, diabetes):
    X = _std(diabetes.data)
    age = diabetes.data[:, 0]
    domain = (age >= np.median(age)).astype(int)
    got = _fit_recording(weighter, X, domain)
    assert NoOverlapWarning in got
    overlap = weighter.diagnostics_["overlap"]
    assert overlap["share_unsupported"] >= 0.05


@pytest.mark.parametrize("seed", [0, 1])
def test_no_shift_and_overlapping_shift_do_not_warn_of_overlap(seed, diabetes):
    rng = np.random.RandomState(seed)
    X = _std(diabetes.data)
    random_split = (rng.rand(X.shape[0]) < 0.5).astype(int)
    sh = make_age_shift(diabetes, strength=1.0, random_state=seed)
    for weighter in _weighters()[:4]:
        assert not _fit_recording(weighter, X, random_split)  # nothing at all
        assert NoOverlapWarning not in _fit_recording(weighter, _std(sh.X), sh.domain)


def test_diagnostics_never_change_the_weights(monkeypatch):
    import instransfer._diagnostics as diag

    data = make_covariate_shift(150, 150, random_state=1)
    with_hook = it.ULSIFCV(random_state=0).fit(data.X, data.domain)
    monkeypatch.setattr(diag, "record_fit_diagnostics", lambda *a, **k: None)
    without = it.ULSIFCV(random_state=0).fit(data.X, data.domain)
    np.testing.assert_array_equal(with_hook.weights_, without.weights_)
    assert not hasattr(without, "diagnostics_")


def test_residual_imbalance_names_columns_and_is_silent_when_balanced():
    data = make_covariate_shift(300, 300, shift=1.0, random_state=0)
    # a kernel far wider than the data: nearly uniform weights, age-like x0
    # and x1 stay imbalanced
    wide = it.ULSIF(gamma=1e-4, random_state=0)
    with pytest.warns(ResidualImbalanceWarning, match=r"x0 \(-") as rec:
        wide.fit(data.X, data.domain)
    assert "another weighter" in str(rec[0].message)
    table = wide.diagnostics_["balance"]
    assert table.loc["x0", "imbalanced"] and table.loc["x1", "imbalanced"]
    moderate = make_covariate_shift(300, 300, random_state=0)
    good = it.ClassifierWeighter(random_state=0)
    assert not _fit_recording(good, moderate.X, moderate.domain)
    bal = good.diagnostics_["balance"]
    assert (bal["smd_after"].abs() < bal["smd_before"].abs() / 2).all()


def test_weighted_smd_matches_balance_table():
    data = make_covariate_shift(120, 80, n_features=3, random_state=3)
    w = it.ClassifierWeighter(random_state=0).fit(data.X, data.domain)
    ours = w.diagnostics_["balance"]
    is_t = data.domain == 1
    ref = balance_table(data.X[~is_t], data.X[is_t], w.weights_)
    np.testing.assert_allclose(ours["smd_before"], ref["diff_before"], rtol=1e-10)
    np.testing.assert_allclose(ours["smd_after"], ref["diff_after"], rtol=1e-10)


def test_weighting_diagnostics_thresholds_and_errors():
    data = make_covariate_shift(200, 200, random_state=0)
    w = it.ULSIFCV(random_state=0).fit(data.X, data.domain).weights_
    quiet = weighting_diagnostics(data.X, data.domain, w, warn=False)
    assert quiet["warnings"] == []
    strict = weighting_diagnostics(data.X, data.domain, w, smd_z=0, warn=False)
    assert strict["warnings"] and "x0" in strict["warnings"][0]
    with pytest.raises(ValueError, match="one weight per source row"):
        weighting_diagnostics(data.X, data.domain, w[:-1])
    w_copy = w.copy()
    weighting_diagnostics(data.X, data.domain, w, warn=False)
    np.testing.assert_array_equal(w, w_copy)


def test_collapsed_category_warns_at_fit():
    rng = np.random.RandomState(0)
    n = 400
    Xs = rng.normal(size=(n, 2))
    Xt = rng.normal(size=(n, 2))
    Xs[:, 1] = (rng.rand(n) < 0.04).astype(float)
    Xt[:, 1] = (rng.rand(n) < 0.04).astype(float)
    X = np.vstack([Xs, Xt])
    domain = np.r_[np.zeros(n, int), np.ones(n, int)]
    w = np.where(Xs[:, 1] == 1, 0.006, 1.0)
    with pytest.warns(ResidualImbalanceWarning, match="collapsed"):
        d = weighting_diagnostics(X, domain, w)
    assert d["balance"].loc["x1", "collapsed"]
    assert not d["balance"].loc["x0", "collapsed"]


# --------------------------------------------------------------------------
# balance_table: collapsed levels


def test_balance_table_flags_a_rare_level_that_vanishes():
    # issue #14: 15 source patients with perforation, mean weight 0.006, target
    # share 0.025: |diff| < 0.1, so imbalanced_after said nothing
    rng = np.random.RandomState(0)
    src = pd.DataFrame(
        {"age": rng.normal(60, 10, 400), "perfor": np.r_[np.ones(15), np.zeros(385)]}
    )
    tgt = pd.DataFrame(
        {"age": rng.normal(62, 10, 400), "perfor": np.r_[np.ones(10), np.zeros(390)]}
    )
    w = np.where(src["perfor"] == 1, 0.006, 1.0)
    tab = balance_table(src, tgt, w)
    assert abs(tab.loc["perfor", "diff_after"]) < 0.1
    assert not tab.loc["perfor", "imbalanced_after"]
    assert tab.loc["perfor", "collapsed"]
    assert not tab.loc["age", "collapsed"]
    assert not balance_table(src, tgt)["collapsed"].any()  # uniform weights
    cat = balance_table(
        src.assign(perfor=src["perfor"].map({1.0: "yes", 0.0: "no"})),
        tgt.assign(perfor=tgt["perfor"].map({1.0: "yes", 0.0: "no"})),
        w,
    )
    assert cat.loc["perfor=yes", "collapsed"] and not cat.loc["perfor=no", "collapsed"]
    with pytest.raises(ValueError, match="collapse_ratio"):
        balance_table(src, tgt, w, collapse_ratio=1.5)


# --------------------------------------------------------------------------
# overlap_report


def _age_split(seed=0):
    rng = np.random.RandomState(seed)
    age = np.r_[rng.uniform(20, 60, 200), rng.uniform(40, 80, 200)]
    other = rng.normal(size=400)
    X = pd.DataFrame({"age": age, "bmi": other})
    return X, np.r_[np.zeros(200, int), np.ones(200, int)]


def test_overlap_report_known_answer_and_remedy():
    X, domain = _age_split()
    rep = overlap_report(X, domain)
    above = (X["age"] > 60).to_numpy() & (domain == 1)
    # the target rows above the source's range are (nearly) all unsupported,
    # and the flagged rows are above it
    # no row below the cut is flagged, and most above it are (those within
    # half a source SD of the cut have neighbours across it)
    assert not rep.unsupported[~above].any()
    assert rep.unsupported[above].mean() > 0.7
    far = above & (X["age"] > 60 + 0.5 * X["age"][domain == 0].std()).to_numpy()
    assert rep.by_range[far].all()
    assert rep.regions["rule"][0].startswith("age >")
    assert rep.regions["n_source"][0] == 0
    assert "has no comparable source rows: age >" in rep.summary
    kept = X[rep.keep]
    assert kept["age"][domain[rep.keep] == 1].max() < 67
    assert rep.keep[domain == 0].all()
    # the same answer from (X_source, X_target)
    rep2 = overlap_report(X[domain == 0], X[domain == 1])
    np.testing.assert_array_equal(rep.unsupported, rep2.unsupported)


def test_overlap_report_without_shift_and_with_categories():
    rng = np.random.RandomState(0)
    n = 300
    X = pd.DataFrame(
        {
            "age": rng.normal(50, 10, 2 * n),
            "stage": pd.Categorical(rng.choice(["I", "II"], 2 * n)),
        }
    )
    domain = np.r_[np.zeros(n, int), np.ones(n, int)]
    assert overlap_report(X, domain).n_unsupported == 0
    # a stage that only the target has: those rows have no support
    X.loc[n : n + 39, "stage"] = np.nan
    X["stage"] = X["stage"].cat.add_categories("IV")
    X.loc[n : n + 39, "stage"] = "IV"
    rep = overlap_report(X, domain)
    assert rep.unsupported[n : n + 40].mean() >= 0.85
    assert "stage=IV" in rep.regions["rule"][0]


def test_overlap_report_errors_and_no_mutation():
    X, domain = _age_split()
    before = X.copy()
    with pytest.raises(ValueError, match="domain of each row"):
        overlap_report(X)
    with pytest.raises(ValueError, match="alpha"):
        overlap_report(X, domain, alpha=0.7)
    overlap_report(X, domain, max_rows=100)
    pd.testing.assert_frame_equal(X, before)


# --------------------------------------------------------------------------
# shift_test


def test_shift_test_pvalues_uniform_without_shift():
    # the benchmark runs >= 200 simulations; 40 keep this test fast
    p_mmd, p_split = [], []
    for i in range(30):
        d = make_covariate_shift(30, 30, shift=0.0, target_scale=1.0, random_state=i)
        p_mmd.append(shift_test(d.X, d.domain, method="mmd", n_permutations=99).pvalue)
        p_split.append(shift_test(d.X, d.domain, null="split", random_state=i).pvalue)
    for p in (p_mmd, p_split):
        assert kstest(p, "uniform").pvalue > 0.001
        assert np.mean(np.asarray(p) <= 0.05) <= 0.15


@pytest.mark.parametrize(
    "kw",
    [
        dict(method="mmd", n_permutations=99),
        dict(method="classifier", n_permutations=39, cv=3),
        dict(method="classifier", null="split"),
    ],
)
def test_shift_test_detects_a_shift(kw):
    d = make_covariate_shift(100, 100, shift=1.0, random_state=0)
    res = shift_test(d.X, d.domain, **kw)
    assert res.pvalue <= 0.05
    if kw["method"] == "classifier":
        assert res.effect_size > 0.7  # AUC
    else:
        assert res.effect_size > 0.2
    assert "a shift" in res.summary


def test_shift_test_mmd_matches_brute_force():
    from instransfer._kernels import rbf_kernel
    from instransfer._support import _standardise

    d = make_covariate_shift(30, 20, random_state=0)
    res = shift_test(d.X, d.domain, method="mmd", n_permutations=9, gamma=0.5)
    S = _standardise(d.X, np.zeros(2, bool))
    Xs, Xt = S[d.domain == 0], S[d.domain == 1]
    kxx, kyy, kxy = (
        rbf_kernel(Xs, Xs, 0.5),
        rbf_kernel(Xt, Xt, 0.5),
        rbf_kernel(Xs, Xt, 0.5),
    )
    m, n = len(Xs), len(Xt)
    ref = (
        (kxx.sum() - m) / (m * (m - 1))
        + (kyy.sum() - n) / (n * (n - 1))
        - 2 * kxy.mean()
    )
    assert res.statistic == pytest.approx(ref, rel=1e-10)


def test_shift_test_dataframe_and_errors():
    X, domain = _age_split()
    X = X.assign(site=np.where(domain == 1, "b", "a"))
    X.loc[::3, "site"] = None
    res = shift_test(X, domain, method="classifier", null="split")
    assert res.pvalue < 0.001
    with pytest.raises(ValueError, match="method"):
        shift_test(X, domain, method="energy")
    with pytest.raises(ValueError, match="split"):
        shift_test(X, domain, method="mmd", null="split")
    with pytest.raises(ValueError, match="n_permutations"):
        shift_test(X, domain, n_permutations=0)


# --------------------------------------------------------------------------
# command line


def test_weigh_reports_shift_overlap_and_imbalance_in_words(tmp_path, capsys):
    from instransfer.__main__ import main

    rng = np.random.RandomState(0)
    n = 200
    src = pd.DataFrame(
        {
            "age": rng.uniform(20, 60, n).round(),
            "perfor": np.r_[np.ones(12), np.zeros(n - 12)].astype(int),
        }
    )
    tgt = pd.DataFrame(
        {
            "age": rng.uniform(40, 80, n).round(),
            "perfor": np.r_[np.ones(8), np.zeros(n - 8)].astype(int),
        }
    )
    src.to_csv(tmp_path / "s.csv", index=False)
    tgt.to_csv(tmp_path / "t.csv", index=False)
    args = ["weigh", str(tmp_path / "s.csv"), str(tmp_path / "t.csv")]
    # the default classifier: NearestNeighborWeighter's smoothing="auto" now
    # takes age within noise here (one edge row takes the votes of the 88
    # unsupported target rows: ESS 4.5 %, warned), so no imbalance is left
    args += ["--out", str(tmp_path / "w.csv"), "--quiet"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the report says it in words
        assert main(args) == 0
    out = " ".join(capsys.readouterr().out.split())  # undo the line wrapping
    assert "Is the answer valid on the target?" in out
    assert "Shift: the target differs from the source" in out
    assert "(88 of 200 rows) has no comparable source rows: age > 61" in out
    assert "Residual imbalance: 1 covariate(s) still differ" in out
