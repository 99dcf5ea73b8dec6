"""The weighted wrappers and the contract snippets of the foundation issue."""

import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.compose import make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import instransfer as it
from instransfer._validation import NoTargetRowsWarning
from instransfer.model_selection import DomainStratifiedKFold, make_iw_scorer


@pytest.fixture
def clf_data():
    data = it.datasets.make_covariate_shift(400, 300, 2, shift=0.7, random_state=0)
    y_masked = np.where(data.domain == 1, -1, data.y)
    return data, y_masked


def test_contract_snippets(clf_data):
    data, y = clf_data
    X, domain = data.X, data.domain
    Xs, Xt = X[domain == 0], X[domain == 1]
    # 1. weights for source rows in one line
    w = it.importance_weights(Xs, Xt, method=it.ClassifierWeighter())
    assert w.shape == (400,) and w.mean() == pytest.approx(1)
    # 2. a weighter on stacked data
    wtr = it.ClassifierWeighter().fit(X, domain)
    assert wtr.predict_weights(Xt).shape == (300,)
    assert wtr.weights_.mean() == pytest.approx(1)
    # 3. weighted model as the last step of a Pipeline
    pipe = make_pipeline(
        StandardScaler(),
        it.ImportanceWeightedClassifier(
            LogisticRegression(), weighter=it.ClassifierWeighter()
        ),
    )
    pipe.fit(X, y)
    assert pipe.predict(Xt).shape == (300,)
    # 4. grid search over the model and the amount of weighting
    GridSearchCV(
        pipe,
        {
            "importanceweightedclassifier__flatten": [0, 0.5, 1],
            "importanceweightedclassifier__estimator__C": [0.1, 1],
        },
    ).fit(X, y)
    # 5. tune a weighter alone, plain GridSearchCV, unshuffled stacked rows
    search = GridSearchCV(it.ClassifierWeighter(), {"cv": [None, 3]}).fit(X, domain)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_scaler_sees_source_and_target_rows(clf_data):
    # the trap of passing target data beside X: earlier steps must see it
    data, y = clf_data
    pipe = make_pipeline(StandardScaler(), it.ImportanceWeightedClassifier())
    pipe.fit(data.X, y)
    np.testing.assert_allclose(pipe[0].mean_, data.X.mean(axis=0))


def test_fit_equals_manual_weighted_fit(clf_data):
    data, y = clf_data
    wtr = it.ClassifierWeighter(random_state=0)
    clf = it.ImportanceWeightedClassifier(LogisticRegression(), weighter=wtr)
    clf.fit(data.X, y)
    w = clone(wtr).fit(data.X, data.domain).weights_
    ref = LogisticRegression().fit(data.X[y != -1], y[y != -1], sample_weight=w)
    np.testing.assert_allclose(clf.estimator_.coef_, ref.coef_, rtol=1e-6)
    np.testing.assert_allclose(clf.weights_, w)


def test_flatten_zero_is_the_unweighted_model(clf_data):
    data, y = clf_data
    clf = it.ImportanceWeightedClassifier(LogisticRegression(), flatten=0).fit(
        data.X, y
    )
    ref = LogisticRegression().fit(data.X[y != -1], y[y != -1])
    np.testing.assert_allclose(clf.estimator_.coef_, ref.coef_, rtol=1e-8)


def test_flatten_and_clip_on_the_wrapper(clf_data):
    data, y = clf_data
    wtr = it.ClassifierWeighter(random_state=0)
    full = it.ImportanceWeightedClassifier(weighter=wtr).fit(data.X, y).weights_
    half = it.ImportanceWeightedClassifier(weighter=wtr, flatten=0.5).fit(data.X, y)
    np.testing.assert_allclose(half.weights_, np.sqrt(full) / np.sqrt(full).mean())
    clipped = it.ImportanceWeightedClassifier(clip=2.0).fit(data.X, y).weights_
    assert clipped.max() == pytest.approx(2.0) and clipped.mean() == pytest.approx(1)


def test_domain_overrides_and_target_labels_are_ignored(clf_data):
    data, y = clf_data
    wtr = it.ClassifierWeighter(random_state=0)
    masked = it.ImportanceWeightedClassifier(weighter=wtr).fit(data.X, y)
    with_domain = it.ImportanceWeightedClassifier(weighter=wtr).fit(
        data.X, data.y, domain=data.domain
    )
    np.testing.assert_allclose(
        masked.estimator_.coef_, with_domain.estimator_.coef_, rtol=1e-10
    )


def test_sample_weight_multiplies_and_is_not_mutated(clf_data):
    data, y = clf_data
    sw = np.linspace(0.5, 2, y.shape[0])
    sw0 = sw.copy()
    clf = it.ImportanceWeightedClassifier().fit(data.X, y, sample_weight=sw)
    np.testing.assert_array_equal(sw, sw0)
    ref = LogisticRegression().fit(
        data.X[y != -1], y[y != -1], sample_weight=clf.weights_ * sw[y != -1]
    )
    np.testing.assert_allclose(clf.estimator_.coef_, ref.coef_, rtol=1e-6)


def test_inputs_not_mutated(clf_data):
    data, y = clf_data
    X0, y0 = data.X.copy(), y.copy()
    it.ImportanceWeightedClassifier().fit(data.X, y).score(data.X, y)
    np.testing.assert_array_equal(data.X, X0)
    np.testing.assert_array_equal(y, y0)


@pytest.mark.parametrize("nested", [False, True])
def test_pipeline_estimator_gets_the_weight_on_its_last_step(clf_data, nested):
    data, y = clf_data
    inner = make_pipeline(StandardScaler(), LogisticRegression())
    if nested:
        inner = Pipeline([("outer", inner)])
    clf = it.ImportanceWeightedClassifier(inner).fit(data.X, y)
    rows = y != -1
    ref = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        data.X[rows], y[rows], logisticregression__sample_weight=clf.weights_
    )
    final = clf.estimator_[-1] if not nested else clf.estimator_[-1][-1]
    np.testing.assert_allclose(final.coef_, ref[-1].coef_, rtol=1e-6)


def test_estimator_without_sample_weight_is_refused(clf_data):
    data, y = clf_data
    with pytest.raises(TypeError, match="sample_weight; KNeighborsClassifier does not"):
        it.ImportanceWeightedClassifier(KNeighborsClassifier()).fit(data.X, y)
    with pytest.raises(TypeError, match="final step of the pipeline"):
        it.ImportanceWeightedClassifier(
            make_pipeline(StandardScaler(), KNeighborsClassifier())
        ).fit(data.X, y)


@pytest.mark.parametrize(
    "make",
    [
        it.ImportanceWeightedRegressor,
        it.TrAdaBoostRegressor,
        it.TwoStageTrAdaBoostRegressor,
    ],
)
def test_regressor_without_sample_weight_error_names_regressors(make):
    # The refusal must suggest regressors, not classifiers, for a regressor.
    from sklearn.neighbors import KNeighborsRegressor

    rng = np.random.RandomState(0)
    X, domain = rng.randn(20, 2), np.repeat([0, 1], 10)
    y = np.where(domain == 1, np.nan, X[:, 0]) if "Import" in make.__name__ else X[:, 0]
    with pytest.raises(TypeError) as exc:
        make(KNeighborsRegressor()).fit(X, y, domain=domain)
    msg = str(exc.value)
    assert "KNeighborsRegressor does not" in msg
    assert "Use a regressor whose fit takes sample_weight" in msg
    assert "Ridge" in msg
    assert "Classifier" not in msg and "LogisticRegression" not in msg


def test_hist_gradient_boosting_and_xgboost(clf_data):
    data, y = clf_data
    xgb = pytest.importorskip("xgboost")
    for est in (
        HistGradientBoostingClassifier(max_iter=20),
        xgb.XGBClassifier(n_estimators=20, max_depth=2, n_jobs=1),
    ):
        clf = it.ImportanceWeightedClassifier(est).fit(data.X, y)
        proba = clf.predict_proba(data.X[data.domain == 1])
        assert proba.shape == (300, 2)
        np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)


def test_xgboost_regressor():
    xgb = pytest.importorskip("xgboost")
    data = it.datasets.make_covariate_shift(
        300, 200, 2, task="regression", random_state=0
    )
    y = np.where(data.domain == 1, np.nan, data.y)
    reg = it.ImportanceWeightedRegressor(
        xgb.XGBRegressor(n_estimators=20, n_jobs=1)
    ).fit(data.X, y)
    assert reg.predict(data.X).shape == (500,)


def test_score_is_importance_weighted_accuracy(clf_data):
    data, y = clf_data
    clf = it.ImportanceWeightedClassifier(flatten=0.3).fit(data.X, y)
    rows = y != -1
    ratio = clf.weighter_.predict_ratio(data.X[rows])  # full ratio, not flattened
    expected = accuracy_score(y[rows], clf.predict(data.X[rows]), sample_weight=ratio)
    assert clf.score(data.X, y) == pytest.approx(expected)


def test_regressor_score_and_nan_marker():
    data = it.datasets.make_covariate_shift(
        300, 200, 2, task="regression", random_state=1
    )
    y = np.where(data.domain == 1, np.nan, data.y)
    reg = it.ImportanceWeightedRegressor(LinearRegression()).fit(data.X, y)
    rows = ~np.isnan(y)
    ratio = reg.weighter_.predict_ratio(data.X[rows])
    assert reg.score(data.X, y) == pytest.approx(
        r2_score(y[rows], reg.predict(data.X[rows]), sample_weight=ratio)
    )
    assert reg.n_source_fit_ == 300


def test_no_target_rows_warns_and_fits_unweighted(clf_data):
    data, _ = clf_data
    with pytest.warns(NoTargetRowsWarning, match="no target rows"):
        clf = it.ImportanceWeightedClassifier().fit(data.X, data.y)
    np.testing.assert_array_equal(clf.weights_, 1.0)
    ref = LogisticRegression().fit(data.X, data.y)
    np.testing.assert_allclose(clf.estimator_.coef_, ref.coef_)


@pytest.mark.parametrize(
    "y_kind, match",
    [
        ("all_unlabeled", "no labeled rows"),
        ("strings", "string labels and no unlabeled rows"),
        ("continuous", "Unknown label type"),
    ],
)
def test_bad_labels_raise_clearly(clf_data, y_kind, match):
    data, y = clf_data
    bad = {
        "all_unlabeled": np.full_like(y, -1),
        "strings": np.where(data.y == 1, "sick", "well"),
        "continuous": np.where(y == -1, np.nan, data.X[:, 0]),
    }[y_kind]
    with pytest.raises(ValueError, match=match):
        it.ImportanceWeightedClassifier().fit(data.X, bad)


def test_string_labels_with_none_marker(clf_data):
    data, y = clf_data
    labels = np.where(data.y == 1, "sick", "well").astype(object)
    labels[data.domain == 1] = None
    clf = it.ImportanceWeightedClassifier().fit(data.X, labels)
    assert set(clf.classes_) == {"sick", "well"}
    assert set(clf.predict(data.X)) <= {"sick", "well"}


# a 20-year age shift on purpose: the oldest target ages have no source rows
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.NoOverlapWarning")
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
def test_raw_dataframe_end_to_end_with_iw_grid_search():
    rng = np.random.RandomState(0)
    n = 300
    age = np.r_[rng.normal(40, 10, n), rng.normal(60, 10, n)]
    df = pd.DataFrame(
        {
            "age": age,
            "sex": rng.choice(["F", "M"], 2 * n),
            "bmi": np.where(rng.rand(2 * n) < 0.1, np.nan, rng.normal(27, 4, 2 * n)),
        }
    )
    y = (rng.rand(2 * n) < 1 / (1 + np.exp(-(age - 50) / 10))).astype(int)
    y_masked = np.r_[y[:n], np.full(n, -1)]
    df0 = df.copy()

    def prep():
        return make_column_transformer(
            (make_pipeline(SimpleImputer(), StandardScaler()), ["age", "bmi"]),
            (OneHotEncoder(handle_unknown="ignore"), ["sex"]),
        )

    clf = it.ImportanceWeightedClassifier(
        make_pipeline(prep(), LogisticRegression()),
        weighter=it.ClassifierWeighter(make_pipeline(prep(), LogisticRegression())),
    )
    search = GridSearchCV(
        clf,
        {"flatten": [0, 0.25, 0.5, 0.75, 1]},
        scoring=make_iw_scorer("neg_log_loss"),
        cv=DomainStratifiedKFold(3, random_state=0),
    ).fit(df, y_masked)
    pd.testing.assert_frame_equal(df, df0)
    assert list(search.best_estimator_.feature_names_in_) == list(df.columns)
    assert search.best_estimator_.predict_proba(df.iloc[n:]).shape == (n, 2)


def test_metadata_routing_for_domain_and_sample_weight(clf_data):
    data, _ = clf_data
    assert not sklearn.get_config()["enable_metadata_routing"]
    with sklearn.config_context(enable_metadata_routing=True):
        clf = it.ImportanceWeightedClassifier(
            make_pipeline(StandardScaler(), LogisticRegression())
        ).set_fit_request(domain=True, sample_weight=True)
        clf.set_score_request(domain=True, sample_weight=False)
        y_masked = np.where(data.domain == 1, -1, data.y)
        search = GridSearchCV(
            clf, {"flatten": [0, 1]}, cv=DomainStratifiedKFold(3, random_state=0)
        )
        search.fit(
            data.X, y_masked, domain=data.domain, sample_weight=np.ones(data.X.shape[0])
        )
        assert search.best_estimator_.weighter_ is not None
    assert not sklearn.get_config()["enable_metadata_routing"]


def test_routing_reaches_estimators_inside_the_final_step(clf_data):
    # a calibrated classifier as the final step routes sample_weight on to its
    # inner model; declining every sub-estimator but the final one dropped it
    from sklearn.calibration import CalibratedClassifierCV

    data, _ = clf_data
    y_masked = np.where(data.domain == 1, -1, data.y)
    coefs = []
    with sklearn.config_context(enable_metadata_routing=True):
        for flatten in (0.0, 1.0):
            inner = LogisticRegression().set_fit_request(sample_weight=True)
            clf = it.ImportanceWeightedClassifier(
                make_pipeline(StandardScaler(), CalibratedClassifierCV(inner, cv=2)),
                flatten=flatten,
            ).fit(data.X, y_masked)
            calibrated = clf.estimator_[-1].calibrated_classifiers_[0]
            coefs.append(calibrated.estimator.coef_.copy())
    assert not np.allclose(coefs[0], coefs[1])


def test_domain_as_fit_param_without_routing(clf_data):
    data, _ = clf_data
    search = GridSearchCV(
        it.ImportanceWeightedClassifier(),
        {"flatten": [0, 1]},
        cv=DomainStratifiedKFold(3, random_state=0),
    )
    # without routing, GridSearchCV slices fit params of length n_samples, but
    # score gets no domain and a fully labeled y: by the score rule the
    # held-out rows are then the population, scored plainly (no warning)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        search.fit(data.X, data.y, domain=data.domain)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.weighter_.n_target_ == 300


def test_importance_weights_dataframes():
    rng = np.random.RandomState(0)
    src = pd.DataFrame(
        {"a": rng.randn(50), "b": rng.randn(50)}, index=[f"p{i}" for i in range(50)]
    )
    tgt = pd.DataFrame({"b": rng.randn(40) + 1, "a": rng.randn(40)})
    w = it.importance_weights(src, tgt, method=it.NearestNeighborWeighter())
    assert isinstance(w, pd.Series) and list(w.index) == list(src.index)
    # target columns reordered by name, not position
    w2 = it.importance_weights(
        src, tgt[["a", "b"]], method=it.NearestNeighborWeighter()
    )
    np.testing.assert_allclose(w, w2)
    with pytest.raises(ValueError, match="different columns.*only in target \\['c'\\]"):
        it.importance_weights(src, tgt.assign(c=1))
    with pytest.raises(TypeError, match="weighter"):
        it.importance_weights(src, tgt, method=LogisticRegression())


def test_regressor_default_is_ridge():
    data = it.datasets.make_covariate_shift(
        200, 100, 2, task="regression", random_state=0
    )
    y = np.where(data.domain == 1, np.nan, data.y)
    reg = it.ImportanceWeightedRegressor().fit(data.X, y)
    assert isinstance(reg.estimator_, Ridge)


@pytest.mark.parametrize("kind", ["float", "object"])
def test_nan_and_minus_one_markers_together_are_ambiguous(clf_data, kind):
    # -1 is a class of source rows, NaN/None marks the target rows: -1 used to
    # be taken as "unlabeled" too, silently moving those rows to the target
    data, _ = clf_data
    y = np.where(data.y == 1, 1, -1).astype(float if kind == "float" else object)
    y[data.domain == 1] = np.nan if kind == "float" else None
    n_minus_one = int(np.sum((data.y == 0) & (data.domain == 0)))
    with pytest.raises(ValueError, match=f"{n_minus_one} rows with -1") as exc:
        it.ImportanceWeightedClassifier().fit(data.X, y)
    assert "recode" in str(exc.value) and "domain=" in str(exc.value)
    # the remedy works: -1 recoded, None/NaN alone marks the 300 target rows
    recoded = y.copy()
    recoded[data.domain == 0] = (y[data.domain == 0] + 1) // 2
    clf = it.ImportanceWeightedClassifier().fit(data.X, recoded)
    assert clf.weighter_.n_target_ == 300 and clf.n_source_fit_ == 400


def test_object_int_labels_with_none_marker(clf_data):
    # ints with None for unlabeled rows (a documented marker) stayed an object
    # array: scikit-learn said "Unknown label type: unknown"
    data, y_minus_one = clf_data
    labels = data.y.astype(object)
    labels[data.domain == 1] = None
    wtr = it.ClassifierWeighter(random_state=0)
    clf = it.ImportanceWeightedClassifier(weighter=wtr).fit(data.X, labels)
    ref = it.ImportanceWeightedClassifier(weighter=wtr).fit(data.X, y_minus_one)
    assert clf.classes_.dtype.kind == "i" and list(clf.classes_) == [0, 1]
    np.testing.assert_array_equal(clf.predict(data.X), ref.predict(data.X))
    np.testing.assert_array_equal(clf.weights_, ref.weights_)
    # a pandas Series of objects, as read from a table with missing labels
    clf = it.ImportanceWeightedClassifier(weighter=wtr).fit(data.X, pd.Series(labels))
    assert clf.classes_.dtype.kind == "i"


def test_random_state_seeds_the_default_weighter(clf_data):
    # the default ClassifierWeighter had random_state=None and no way to set it:
    # weights differed by up to 1.2 between identical fits
    data, y = clf_data
    a = it.ImportanceWeightedClassifier(random_state=0).fit(data.X, y)
    b = it.ImportanceWeightedClassifier(random_state=0).fit(data.X, y)
    np.testing.assert_array_equal(a.weights_, b.weights_)
    np.testing.assert_array_equal(a.estimator_.coef_, b.estimator_.coef_)
    assert a.random_state == 0 and a.weighter is None  # stored untouched
    # it flows to the default weighter, which then gives exactly its weights
    assert a.weighter_.random_state == 0
    alone = it.ClassifierWeighter(random_state=0).fit(data.X, data.domain)
    np.testing.assert_array_equal(a.weights_, alone.weights_)
    other = it.ImportanceWeightedClassifier(random_state=1).fit(data.X, y)
    assert not np.array_equal(a.weights_, other.weights_)
    # a weighter the user gives keeps its own random_state
    mine = it.ClassifierWeighter(random_state=3)
    c = it.ImportanceWeightedClassifier(weighter=mine, random_state=0).fit(data.X, y)
    assert c.weighter_.random_state == 3 and mine.random_state == 3
    assert c.weighter_ is not mine
    np.testing.assert_array_equal(
        c.weights_,
        it.ClassifierWeighter(random_state=3).fit(data.X, data.domain).weights_,
    )


def test_random_state_of_regressor_and_importance_weights():
    data = it.datasets.make_covariate_shift(
        200, 100, 2, task="regression", random_state=0
    )
    y = np.where(data.domain == 1, np.nan, data.y)
    a = it.ImportanceWeightedRegressor(random_state=0).fit(data.X, y)
    b = it.ImportanceWeightedRegressor(random_state=0).fit(data.X, y)
    np.testing.assert_array_equal(a.weights_, b.weights_)
    np.testing.assert_array_equal(a.estimator_.coef_, b.estimator_.coef_)
    assert a.weighter_.random_state == 0
    src, tgt = data.X[data.domain == 0], data.X[data.domain == 1]
    w = it.importance_weights(src, tgt, random_state=0)
    np.testing.assert_array_equal(w, it.importance_weights(src, tgt, random_state=0))
    np.testing.assert_array_equal(w, a.weights_)  # same default weighter, same seed


def test_stack_domains_sparse_with_dense_says_what_to_do():
    from scipy.sparse import csr_matrix

    rng = np.random.RandomState(0)
    Xs, Xt = rng.randn(30, 3), rng.randn(20, 3) + 0.5
    # was: "must be 2-D ... got shapes () and (20, 3)"
    with pytest.raises(TypeError, match="X_source is a sparse matrix and X_target"):
        it.stack_domains(csr_matrix(Xs), Xt)
    with pytest.raises(TypeError, match="X_target is a sparse matrix and X_source"):
        it.stack_domains(Xs, csr_matrix(Xt))
    with pytest.raises(TypeError, match="both sparse"):
        it.importance_weights(csr_matrix(Xs), Xt)
    X, domain = it.stack_domains(csr_matrix(Xs), csr_matrix(Xt))  # the advice works
    np.testing.assert_array_equal(X.toarray(), np.r_[Xs, Xt])


def test_score_with_object_labels_and_none_markers():
    # fit converted ints/bools with None markers; score did not
    import instransfer as it

    d = it.datasets.make_covariate_shift(300, 200, 2, random_state=0)
    ref = it.ImportanceWeightedClassifier(random_state=0)
    y_int = np.where(d.domain == 1, -1, d.y)
    expected = ref.fit(d.X, y_int).score(d.X, y_int)
    for labels in (d.y, d.y.astype(bool)):
        y_obj = labels.astype(object)
        y_obj[d.domain == 1] = None
        clf = it.ImportanceWeightedClassifier(random_state=0).fit(d.X, y_obj)
        assert clf.classes_.dtype.kind in "ib"
        assert clf.score(d.X, y_obj) == pytest.approx(expected)
