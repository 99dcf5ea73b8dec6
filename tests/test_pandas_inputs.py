"""Raw cohort DataFrames: clear errors where numbers are needed, and the recipe.

Kernel and neighbour weighters, and ClassifierWeighter with its default
classifier, compute with the covariates as numbers: a DataFrame with text,
category or missing values must fail before any fit, naming the columns and the
fix. A ClassifierWeighter given a classifier that encodes them must work.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import instransfer as it


def _cohort(n, mean_age, rng):
    frame = pd.DataFrame(
        {
            "age": rng.normal(mean_age, 8, n),
            "stage": pd.Categorical(rng.choice(["I", "II", "III"], n)),
            "smoker": rng.rand(n) < 0.3,
            "site": rng.choice(["north", "south"], n).astype(object),
        }
    )
    frame.loc[1, "age"] = np.nan
    frame.loc[2, "site"] = None
    return frame


@pytest.fixture(scope="module")
def cohorts():
    rng = np.random.RandomState(0)
    return _cohort(80, 50, rng), _cohort(60, 58, rng)


NUMERIC_WEIGHTERS = [
    it.ClassifierWeighter(),
    it.NearestNeighborWeighter(),
    it.ULSIF(),
    it.ULSIFCV(),
    it.RULSIF(),
    it.KLIEP(),
    it.KMM(),
]


@pytest.mark.parametrize("weighter", NUMERIC_WEIGHTERS, ids=lambda w: type(w).__name__)
def test_non_numeric_columns_are_named_with_the_fix(cohorts, weighter):
    src, tgt = cohorts
    X, domain = it.stack_domains(src, tgt)
    with pytest.raises(ValueError, match="not numeric") as info:
        weighter.fit(X, domain)
    msg = str(info.value)
    assert "['stage', 'site']" in msg  # the bool column is numeric: not named
    assert "smoker" not in msg
    # the fix in one line; the recipes are in the docs (executed there)
    assert "stack_domains(X_source, X_target)" in msg
    assert "Mixed-type cohort tables" in msg
    # the missing values are named too
    assert "Impute the NaN in ['age', 'site'] too" in msg


def test_importance_weights_default_explains_mixed_types(cohorts):
    src, tgt = cohorts
    with pytest.raises(ValueError, match="default classifier .* not numeric"):
        it.importance_weights(src, tgt)


def test_weighted_estimator_with_default_weighter_explains(cohorts):
    src, tgt = cohorts
    X, domain = it.stack_domains(src, tgt)
    y = np.where(domain == 1, -1, np.arange(len(X)) % 2)
    with pytest.raises(ValueError, match=r"not numeric .*\['stage', 'site'\]"):
        it.ImportanceWeightedClassifier().fit(X, y)


@pytest.mark.parametrize(
    "weighter",
    [it.ClassifierWeighter(), it.NearestNeighborWeighter(), it.ULSIF(), it.KMM()],
    ids=lambda w: type(w).__name__,
)
def test_missing_values_are_named(cohorts, weighter):
    src, tgt = cohorts
    X, domain = it.stack_domains(src[["age", "smoker"]], tgt[["age", "smoker"]])
    with pytest.raises(ValueError, match=r"NaN in columns \['age'\]") as info:
        weighter.fit(X, domain)
    assert "SimpleImputer" in str(info.value)
    # an array: the column is numbered
    A = X.to_numpy(dtype=float)
    with pytest.raises(ValueError, match=r"NaN in column indices \[0\]"):
        weighter.fit(A, domain)


def test_predict_weights_checks_new_rows_too(cohorts):
    src, tgt = cohorts
    cols = ["age", "smoker"]
    X, domain = it.stack_domains(src[cols].fillna(50), tgt[cols].fillna(50))
    wtr = it.ULSIF(random_state=0).fit(X, domain)
    with pytest.raises(ValueError, match=r"NaN in columns \['age'\]"):
        wtr.predict_weights(src[cols])


def test_bool_columns_count_as_numeric(cohorts):
    src, tgt = cohorts
    cols = ["age", "smoker"]
    X, domain = it.stack_domains(src[cols].fillna(50), tgt[cols].fillna(50))
    w_frame = it.ULSIF(random_state=0).fit(X, domain).weights_
    w_array = it.ULSIF(random_state=0).fit(X.to_numpy(float), domain).weights_
    np.testing.assert_allclose(w_frame, w_array)


def test_user_classifier_is_not_second_guessed(cohorts):
    # a classifier that handles NaN natively: no check on the frame
    src, tgt = cohorts
    cols = ["age", "smoker"]
    X, domain = it.stack_domains(src[cols], tgt[cols])
    wtr = it.ClassifierWeighter(
        HistGradientBoostingClassifier(max_iter=20), random_state=0
    ).fit(X, domain)
    assert np.isfinite(wtr.weights_).all()


def test_column_transformer_recipe_weights_a_mixed_cohort(cohorts):
    src, tgt = cohorts
    cat_cols, num_cols = ["stage", "site"], ["age", "smoker"]
    clf = make_pipeline(
        make_column_transformer(
            (
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                cat_cols,
            ),
            (
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                num_cols,
            ),
        ),
        LogisticRegression(),
    )
    w = it.importance_weights(
        src, tgt, method=it.ClassifierWeighter(clf, random_state=0)
    )
    assert list(w.index) == list(src.index)
    assert w.mean() == pytest.approx(1.0)
    table = it.metrics.balance_table(src, tgt, w)
    # the target is older: weighting moves the source's mean age towards it
    assert abs(table.loc["age", "diff_after"]) < 0.5 * abs(
        table.loc["age", "diff_before"]
    )


# site C has no source rows on purpose
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.NoOverlapWarning")
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_stack_domains_keeps_categoricals_with_different_categories():
    # concat of categoricals with different categories gave an object/string
    # column: a ColumnTransformer selecting dtype "category" dropped it silently
    # and the site shift was ignored (mean weights A 1.001, B 0.996)
    from sklearn.compose import make_column_selector

    rng = np.random.RandomState(0)
    src = pd.DataFrame(
        {
            "site": pd.Categorical(rng.choice(["A", "B"], 300, p=[0.8, 0.2])),
            "age": rng.randn(300),
        }
    )
    tgt = pd.DataFrame(
        {
            "site": pd.Categorical(rng.choice(["A", "B", "C"], 300, p=[0.2, 0.7, 0.1])),
            "age": rng.randn(300),
        }
    )
    src_before, tgt_before = src.copy(), tgt.copy()
    X, domain = it.stack_domains(src, tgt)
    assert isinstance(X["site"].dtype, pd.CategoricalDtype)
    assert list(X["site"].cat.categories) == ["A", "B", "C"]
    assert X["site"].tolist() == src["site"].tolist() + tgt["site"].tolist()
    pd.testing.assert_frame_equal(src, src_before)  # inputs untouched
    pd.testing.assert_frame_equal(tgt, tgt_before)
    prep = make_column_transformer(
        (
            OneHotEncoder(handle_unknown="ignore"),
            make_column_selector(dtype_include="category"),
        ),
        (StandardScaler(), make_column_selector(dtype_include="number")),
    )
    wtr = it.ClassifierWeighter(
        make_pipeline(prep, LogisticRegression()), random_state=0
    )
    w = it.importance_weights(src, tgt, method=wtr)
    by_site = w.groupby(src["site"].to_numpy()).mean()
    # true ratios: A 0.2 / 0.8 = 0.25, B 0.7 / 0.2 = 3.5
    assert by_site["A"] < 0.4 and by_site["B"] > 2.5


def test_stack_domains_categoricals_edge_cases():
    # integer column labels are kept (no renaming), the same categories pass
    src = pd.DataFrame({0: pd.Categorical(["x", "y"] * 3), 1: np.arange(6.0)})
    tgt = pd.DataFrame({0: pd.Categorical(["z", "x"] * 2), 1: np.arange(4.0)})
    X, _ = it.stack_domains(src, tgt)
    assert list(X.columns) == [0, 1] and X[0].dtype == pd.CategoricalDtype(list("xyz"))
    X, _ = it.stack_domains(src, src)
    assert X[0].dtype == src[0].dtype
    # ordered: target categories inside the source's keep the source's order
    order = pd.CategoricalDtype(["low", "mid", "high"], ordered=True)
    src = pd.DataFrame({"grade": pd.Series(["low", "high", "mid"] * 2, dtype=order)})
    tgt = pd.DataFrame({"grade": pd.Categorical(["high", "low"] * 2, ordered=True)})
    X, _ = it.stack_domains(src, tgt)
    assert X["grade"].dtype == order
    with pytest.raises(
        ValueError, match="ordered categorical.*'grade'|'grade'.*ordered"
    ):
        it.stack_domains(tgt, src)  # the source's categories miss "mid"
