"""Traps a new user fell into: each now gets a warning or an error that helps.

1. kernel / neighbour weighters on raw columns of very different spreads;
2. labeled target rows scored as source rows when ``domain`` misses the scorer;
3. encoding source and target tables apart (different dummy columns);
4. ``balance_table(X, domain, w)`` in the stacked convention;
5. ``stack_domains`` index and its minimum number of rows.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from _helpers import nmse
from sklearn.base import clone
from sklearn.compose import make_column_transformer  # noqa: F401 (eval'd recipes)
from sklearn.impute import SimpleImputer  # noqa: F401
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: F401

import instransfer as it
from instransfer import FeatureScaleWarning
from instransfer._validation import check_feature_scales
from instransfer.exceptions import ResidualImbalanceWarning
from instransfer.model_selection import DomainStratifiedKFold, make_iw_scorer

# ---------------------------------------------------------------------------
# 1. one kernel width for columns of very different spreads

SCALES = np.array([1e-3, 1.0, 1e3, 1e5])


@pytest.fixture(scope="module")
def scaled():
    data = it.datasets.make_covariate_shift(
        150, 150, n_features=4, shift=[0.7, 0.5, 0, 0], random_state=0
    )
    return data, data.X * SCALES


SCALE_SENSITIVE = [
    it.ULSIF(),
    it.ULSIFCV(),
    it.RULSIF(),
    it.RULSIFCV(),
    it.KLIEP(),
    it.KLIEPCV(),
    it.KMM(),
    it.NearestNeighborWeighter(),
]


@pytest.mark.parametrize("weighter", SCALE_SENSITIVE, ids=lambda w: type(w).__name__)
# raw scales make the kernel weights nearly uniform (the trap this warns of);
# the default width corrects this 4-column shift only partly even standardised
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_kernel_weighters_warn_on_raw_scales_not_on_standardised(scaled, weighter):
    data, X_raw = scaled
    name = type(weighter).__name__
    with pytest.warns(FeatureScaleWarning) as record:
        weighter.fit(X_raw, data.domain)
    msg = str(record[0].message)
    # the factor, the widest and narrowest columns, and the fix
    assert "factor of 9" in msg and "e+07" in msg
    assert "widest column 3" in msg and "narrowest column 0" in msg
    assert f"make_pipeline(StandardScaler(), {name}())" in msg
    assert "RobustScaler" in msg
    with warnings.catch_warnings():
        warnings.simplefilter("error", FeatureScaleWarning)
        make_pipeline(StandardScaler(), weighter).fit(X_raw, data.domain)


def test_the_warning_is_about_near_uniform_weights():
    # why it warns: the same method loses most of its accuracy on raw scales
    data = it.datasets.make_covariate_shift(
        500, 500, n_features=4, shift=[0.7, 0.5, 0, 0], random_state=0
    )
    X_raw = data.X * SCALES
    r = data.true_ratio[data.domain == 0]
    # nearly uniform weights leave the shift in place, and the fit says so
    with (
        pytest.warns(FeatureScaleWarning),
        pytest.warns(ResidualImbalanceWarning, match="still imbalanced"),
    ):
        raw = it.ULSIFCV(random_state=0).fit(X_raw, data.domain).weights_
    std = make_pipeline(StandardScaler(), it.ULSIFCV(random_state=0))
    std = std.fit(X_raw, data.domain)[-1].weights_
    assert nmse(raw, r) > 2 * nmse(std, r)


# raw scales make the kernel weights nearly uniform (the trap this warns of)
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_scale_warning_names_dataframe_columns_and_skips_constants(scaled):
    data, X_raw = scaled
    frame = pd.DataFrame(X_raw, columns=["tiny", "unit", "kilo", "huge"])
    frame["const"] = 0.1  # no spread: no distance, not the narrowest column
    with pytest.warns(FeatureScaleWarning, match="widest column 'huge'") as rec:
        it.ULSIF().fit(frame, data.domain)
    assert "narrowest column 'tiny'" in str(rec[0].message)


def test_scale_check_threshold_and_extreme_values():
    rng = np.random.RandomState(0)
    Z = rng.standard_normal((50, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error", FeatureScaleWarning)
        check_feature_scales(Z * [1, 50, 1], "ULSIF")  # within the factor 100
        check_feature_scales(np.c_[Z, np.full(50, 3.3)], "ULSIF")  # constant column
    with pytest.warns(FeatureScaleWarning, match="factor of"):
        check_feature_scales(Z * [1, 500, 1], "ULSIF")
    # squares over/underflow at these scales; the spreads are still compared
    with pytest.warns(FeatureScaleWarning, match=r"more than 1e308 .*e\+199"):
        check_feature_scales(Z * [1e-200, 1, 1e200], "ULSIF")


def test_scale_insensitive_weighter_does_not_warn(scaled):
    data, X_raw = scaled
    with warnings.catch_warnings():
        warnings.simplefilter("error", FeatureScaleWarning)
        it.ClassifierWeighter(random_state=0).fit(X_raw, data.domain)


# ---------------------------------------------------------------------------
# 2. labeled target rows and a scorer without domain


@pytest.fixture(scope="module")
def labeled_target():
    data = it.datasets.make_covariate_shift(200, 150, 2, shift=0.7, random_state=0)
    model = it.ImportanceWeightedClassifier(
        LogisticRegression(), it.ClassifierWeighter(cv="in_sample")
    )
    return data, model


def test_iw_scorer_warns_when_fit_saw_labeled_target_rows_but_score_no_domain(
    labeled_target,
):
    data, model = labeled_target
    search = GridSearchCV(
        make_pipeline(StandardScaler(), model),
        {"importanceweightedclassifier__flatten": [0, 1]},
        scoring=make_iw_scorer("neg_log_loss"),
        cv=DomainStratifiedKFold(3, random_state=0),
    )
    # routing off: domain reaches the model's fit, not the scorer
    with pytest.warns(UserWarning, match="scored as a source row") as rec:
        search.fit(data.X, data.y, importanceweightedclassifier__domain=data.domain)
    msg = str(rec[0].message)
    assert "enable_metadata_routing=True" in msg and "(-1)" in msg
    # masked labels: nothing to warn about
    y_masked = np.where(data.domain == 1, -1, data.y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        search.fit(data.X, y_masked)


def test_iw_scorer_and_score_are_quiet_when_domain_reaches_them(labeled_target):
    data, model = labeled_target
    fitted = model.fit(data.X, data.y, domain=data.domain)
    scorer = make_iw_scorer("accuracy")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scorer(fitted, data.X, data.y, domain=data.domain)
        fitted.score(data.X, data.y, domain=data.domain)
    with pytest.warns(UserWarning, match="150 labeled target rows"):
        scorer(fitted, data.X, data.y)
    # score's rule: a fully labeled y without domain is the population itself
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = fitted.score(data.X, data.y)
    assert got == pytest.approx(accuracy_score(data.y, fitted.predict(data.X)))


def test_iw_scorer_says_why_a_model_has_no_target_rows(labeled_target):
    from sklearn import config_context

    from instransfer import NoTargetRowsWarning

    data, model = labeled_target
    # routing on, domain requested but never passed, y fully labeled: no
    # splitter helps, and the error says so instead of blaming the folds
    with config_context(enable_metadata_routing=True):
        step = clone(model).set_fit_request(domain=True)
        search = GridSearchCV(
            make_pipeline(StandardScaler(), step),
            {"importanceweightedclassifier__flatten": [0, 1]},
            scoring=make_iw_scorer("neg_log_loss"),
            cv=DomainStratifiedKFold(3, random_state=0),
            error_score="raise",
        )
        with pytest.warns(NoTargetRowsWarning):
            with pytest.raises(ValueError, match="y has no unlabeled rows") as exc:
                search.fit(data.X, data.y)
    msg = str(exc.value)
    assert "set_fit_request(domain=True)" in msg and "(-1 or None/NaN)" in msg
    assert "training fold had none" not in msg
    scorer = make_iw_scorer("accuracy")
    source = data.domain == 0
    with pytest.warns(NoTargetRowsWarning):
        fitted = clone(model).fit(data.X[source], data.y[source])
    # domain reached the scorer but not the fit: request it for fit
    with pytest.raises(ValueError, match="reached the scorer but not the fit"):
        scorer(fitted, data.X, data.y, domain=data.domain)
    # a training fold without the target rows, which the held-out fold holds:
    # the splitter is the cause
    y_masked = np.where(data.domain == 1, -1, data.y)
    with pytest.raises(ValueError, match="training fold had none"):
        scorer(fitted, data.X, y_masked)


# ---------------------------------------------------------------------------
# 3. encode the stacked table, not each side


def _cohort(n, mean_age, cats, rng, with_nan):
    frame = pd.DataFrame(
        {
            "age": rng.normal(mean_age, 8, n),
            "ward": pd.Categorical(rng.choice(cats, n)),
            "smoker": rng.rand(n) < 0.3,
        }
    )
    if with_nan:
        frame.loc[::7, "age"] = np.nan
    return frame


@pytest.mark.parametrize("with_nan", [False, True])
# ward D has no source rows on purpose
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.NoOverlapWarning")
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_non_numeric_message_stacks_first_and_its_advice_runs(with_nan):
    rng = np.random.RandomState(0)
    src = _cohort(80, 50, ["A", "B", "C"], rng, with_nan)
    tgt = _cohort(60, 58, ["B", "C", "D"], rng, with_nan)
    X, domain = it.stack_domains(src, tgt)
    with pytest.raises(ValueError, match="not numeric") as info:
        it.KMM().fit(X, domain)
    msg = str(info.value)
    assert "instransfer.stack_domains(X_source, X_target)" in msg
    assert "Mixed-type cohort tables" in msg  # the recipes, executed in the docs
    assert len(msg) <= 300
    if with_nan:
        assert "NaN in ['age']" in msg
    else:
        assert "NaN" not in msg
        # the advice, followed: the stacked X encoded once, one set of columns
        assert "X = pandas.get_dummies(X, columns=cat_cols)" in msg
        encoded = pd.get_dummies(X, columns=["ward"])
        assert {"ward_A", "ward_D"} <= set(encoded.columns)
        it.KMM().fit(encoded, domain)


# ---------------------------------------------------------------------------
# 4. balance_table takes the two sides, not (X, domain)


@pytest.mark.parametrize("as_frame", [False, True])
def test_balance_table_refuses_stacked_x_and_domain(as_frame):
    data = it.datasets.make_covariate_shift(60, 40, 2, random_state=0)
    X, domain = data.X, data.domain
    if as_frame:
        X = pd.DataFrame(X, columns=["a", "b"])
    w = np.ones(60)
    for d in (domain, domain.astype(bool), pd.Series(domain)):
        with pytest.raises(ValueError, match=r"X\[domain == 0\], X\[domain == 1\]"):
            it.metrics.balance_table(X, d, w)
    # the advice works
    table = it.metrics.balance_table(X[domain == 0], X[domain == 1], w)
    assert table.shape[0] == 2


# ---------------------------------------------------------------------------
# 5. stack_domains: fresh index, and no minimum of its own


def test_stack_domains_fresh_index_and_a_single_target_row():
    src = pd.DataFrame({"a": [1.0, 2.0, 3.0]}, index=["s0", "s1", "s2"])
    tgt = pd.DataFrame({"a": [4.0]}, index=[10])
    X, domain = it.stack_domains(src, tgt)
    pd.testing.assert_index_equal(X.index, pd.RangeIndex(4))
    np.testing.assert_array_equal(domain, [0, 0, 0, 1])
    X, domain = it.stack_domains(src.to_numpy(), tgt.to_numpy())
    assert X.shape == (4, 1) and domain.sum() == 1
    # the weighter then says what it needs
    with pytest.raises(ValueError, match="Found 1 target row"):
        it.ULSIF().fit(np.r_[X, X], np.r_[domain, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="X_target has no rows"):
        it.stack_domains(src, tgt.iloc[:0])


def test_importance_weights_keep_the_source_index():
    rng = np.random.RandomState(0)
    src = pd.DataFrame({"a": rng.randn(30)}, index=[f"s{i}" for i in range(30)])
    tgt = pd.DataFrame({"a": rng.randn(20) + 0.5})
    w = it.importance_weights(src, tgt, method=it.ULSIF())
    pd.testing.assert_index_equal(w.index, src.index)


def test_one_hot_levels_do_not_trigger_the_scale_warning():
    # a rare one-hot level has a tiny std; standardising it would make its
    # rows distance outliers, so 0/1 indicator columns are left out
    import warnings

    from instransfer._validation import FeatureScaleWarning, check_feature_scales

    rng = np.random.default_rng(0)
    X = np.c_[rng.normal(size=(20000, 3)), np.zeros(20000)]
    X[0, 3] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", FeatureScaleWarning)
        check_feature_scales(X, "ULSIFCV")
    X[:, 2] *= 1e4  # a real scale mismatch among the numeric columns still warns
    with pytest.warns(FeatureScaleWarning):
        check_feature_scales(X, "ULSIFCV")
