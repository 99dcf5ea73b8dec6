import numpy as np
import pandas as pd
import pytest

from instransfer.datasets import (
    _cohorts,
    encode_cohort,
    list_cohorts,
    load_cohort,
    make_age_shift,
)

LIFELINES = [n for n in list_cohorts() if n != "diabetes"]
SIZES = {
    "rossi": (432, 7),
    "gbsg2": (557, 8),
    "actg175": (1941, 17),
    "actg175_cd4": (2139, 17),
    "kidney": (647, 3),
    "diabetes": (442, 10),
}


def _needs(name):
    if name != "diabetes":
        pytest.importorskip("lifelines")


def test_list_cohorts():
    cohorts = list_cohorts()
    assert set(cohorts) == set(SIZES)
    assert sum("classification" in v for v in cohorts.values()) >= 4


@pytest.mark.parametrize("name", sorted(SIZES))
def test_load_cohort_raw_and_numeric(name):
    _needs(name)
    c = load_cohort(name)
    assert c.data.shape == SIZES[name]
    assert isinstance(c.data, pd.DataFrame) and isinstance(c.target, pd.Series)
    assert c.age == "age" and "age" in c.feature_names
    assert c.frame.shape == (SIZES[name][0], SIZES[name][1] + 1)
    assert c.frame.columns[-1] == c.target_name
    for col in c.categorical:
        assert isinstance(c.data[col].dtype, pd.CategoricalDtype)
    if c.task == "classification":
        assert set(np.unique(c.target)) == {0, 1}
    else:
        assert c.target.dtype == float
    assert c.description and c.name == name

    n = load_cohort(name, as_frame=False)
    assert n.data.dtype == float and n.data.shape[0] == SIZES[name][0]
    assert n.data.shape[1] == len(n.feature_names)
    assert n.frame is None
    np.testing.assert_array_equal(n.data, c.data_numeric.to_numpy())
    np.testing.assert_array_equal(n.target, c.target.to_numpy())
    # the numeric age column is the raw one
    np.testing.assert_array_equal(
        n.data[:, n.feature_names.index("age")], c.data["age"].to_numpy(float)
    )


def test_known_outcome_counts():
    pytest.importorskip("lifelines")
    # published event counts: 114 of 432 re-arrested (Rossi et al. 1980)
    assert int(load_cohort("rossi").target.sum()) == 114
    # kidney: 140 deaths in total (KMsurv::kidtran), fewer within two years
    assert 0 < int(load_cohort("kidney").target.sum()) < 140


def test_encode_cohort_recipe():
    raw = pd.DataFrame(
        {
            "age": [30, 40, 50],
            "grade": pd.Categorical(["I", "III", None], ["I", "II", "III"], True),
            "sex": pd.Categorical(["f", "m", "m"], ["f", "m"]),
        }
    )
    enc = encode_cohort(raw)
    assert list(enc.columns) == ["age", "grade", "sex_m"]
    np.testing.assert_array_equal(enc["grade"].to_numpy(), [1.0, 3.0, np.nan])
    np.testing.assert_array_equal(enc["sex_m"].to_numpy(), [0.0, 1.0, 1.0])


def test_unknown_cohort():
    with pytest.raises(ValueError, match="Unknown cohort 'nope'"):
        load_cohort("nope")


def test_missing_lifelines_message(monkeypatch):
    monkeypatch.setattr(_cohorts.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match=r"instransfer\[demo\]"):
        load_cohort("rossi")


# --------------------------------------------------------------------------
# make_age_shift


@pytest.fixture(scope="module")
def diabetes():
    return load_cohort("diabetes")


def test_age_shift_structure(diabetes):
    before = diabetes.data.copy()
    sh = make_age_shift(diabetes, strength=1.5, random_state=0)
    pd.testing.assert_frame_equal(diabetes.data, before)  # input untouched
    n = sh.X.shape[0]
    assert n == diabetes.data.shape[0]  # whole pools by default
    assert list(sh.X.index) == list(range(n))
    assert np.all(np.diff(sh.domain) >= 0)  # source rows first
    assert sh.y.shape == sh.domain.shape == sh.true_ratio.shape == (n,)
    np.testing.assert_array_equal(sh.y, diabetes.target.to_numpy()[sh.row])
    np.testing.assert_allclose(sh.true_ratio, np.exp(sh.log_ratio))
    assert len(set(sh.row)) == n  # a row is in one domain only
    age = sh.X["age"].to_numpy()
    assert age[sh.domain == 1].mean() > age[sh.domain == 0].mean() + 5
    # the ratio is increasing in age
    order = np.argsort(age)
    assert np.all(np.diff(sh.true_ratio[order]) >= 0)
    np.testing.assert_array_equal(sh.X_numeric.to_numpy(), sh.X.to_numpy(float))
    again = make_age_shift(diabetes, strength=1.5, random_state=0)
    np.testing.assert_array_equal(again.row, sh.row)


def test_age_shift_subsample_and_numeric(diabetes):
    arr = load_cohort("diabetes", as_frame=False)
    sh = make_age_shift(arr, strength=1.0, n_source=100, n_target=50, random_state=1)
    assert isinstance(sh.X, np.ndarray) and sh.X.shape == (150, 10)
    assert (sh.domain == 0).sum() == 100 and (sh.domain == 1).sum() == 50
    same = make_age_shift(
        diabetes, strength=1.0, n_source=100, n_target=50, random_state=1
    )
    np.testing.assert_array_equal(same.row, sh.row)
    np.testing.assert_allclose(same.true_ratio, sh.true_ratio)


def test_no_shift_gives_ratio_one(diabetes):
    sh = make_age_shift(diabetes, strength=0.0, random_state=0)
    np.testing.assert_allclose(sh.true_ratio, 1.0)


def test_oracle_population_identity(diabetes):
    # E_source[w f] = E_target[f] exactly over the table (sum over rows of
    # (1 - s) w f / sum (1 - s) = sum s f / sum s), for any f.
    age = diabetes.data["age"].to_numpy(float)
    s = 1 / (1 + np.exp(-2.0 * (age - age.mean()) / age.std()))
    sh = make_age_shift(diabetes, strength=2.0, random_state=0)
    w = np.empty_like(age)
    w[sh.row] = sh.true_ratio
    for f in (age, diabetes.data["bmi"].to_numpy(float), diabetes.target.to_numpy()):
        lhs = np.sum((1 - s) * w * f) / np.sum(1 - s)
        rhs = np.sum(s * f) / np.sum(s)
        np.testing.assert_allclose(lhs, rhs, rtol=1e-12)
    np.testing.assert_allclose(np.sum((1 - s) * w) / np.sum(1 - s), 1.0)


def _weighted_gap(cohort, strength, ratio_of, draws=300):
    """Mean over random splits of mean_source(w f) - mean_target(f), and its SE."""
    gaps, raw_gaps = [], []
    for seed in range(draws):
        sh = make_age_shift(cohort, strength=strength, random_state=seed)
        src, tgt = sh.domain == 0, sh.domain == 1
        f = sh.X["age"].to_numpy(float)
        w = ratio_of(sh)[src]
        gaps.append(np.mean(w * f[src]) - f[tgt].mean())
        raw_gaps.append(f[src].mean() - f[tgt].mean())
    gaps = np.asarray(gaps)
    return gaps.mean(), gaps.std(ddof=1) / np.sqrt(draws), np.mean(raw_gaps)


def test_oracle_balances_age_over_draws(diabetes):
    gap, se, raw = _weighted_gap(diabetes, 1.5, lambda sh: sh.true_ratio)
    assert raw < -10  # the shift is large: source ~13 years younger
    assert abs(gap) < 3 * se + 0.05
    # a wrong ratio (selection slope 0.7x the true one) is detected: the test
    # has power
    wrong = lambda sh: sh.true_ratio**0.7 / np.mean(sh.true_ratio**0.7)  # noqa: E731
    gap_w, se_w, _ = _weighted_gap(diabetes, 1.5, wrong)
    assert abs(gap_w) > 3 * se_w + 0.5


def test_oracle_on_lifelines_cohort():
    pytest.importorskip("lifelines")
    rossi = load_cohort("rossi")
    gap, se, raw = _weighted_gap(rossi, 1.0, lambda sh: sh.true_ratio, draws=200)
    assert raw < -3
    assert abs(gap) < 3 * se + 0.05


def test_age_shift_errors(diabetes):
    with pytest.raises(ValueError, match="n_source=10000"):
        make_age_shift(diabetes, n_source=10000, random_state=0)
    with pytest.raises(ValueError, match="positive integer"):
        make_age_shift(diabetes, n_target=0, random_state=0)
    with pytest.raises(TypeError, match="cohort name or the Bunch"):
        make_age_shift(diabetes.data)
    with pytest.raises(ValueError, match="finite"):
        make_age_shift(diabetes, strength=np.inf)
