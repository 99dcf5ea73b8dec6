import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import instransfer as it
from instransfer.model_selection import DomainStratifiedKFold, make_iw_scorer


@pytest.fixture
def fitted():
    data = it.datasets.make_covariate_shift(400, 300, 2, shift=0.7, random_state=0)
    y = np.where(data.domain == 1, -1, data.y)
    pipe = make_pipeline(
        StandardScaler(), it.ImportanceWeightedClassifier(flatten=0.25)
    ).fit(data.X, y)
    return data, y, pipe


def test_iw_scorer_matches_hand_computation(fitted):
    data, y, pipe = fitted
    rows = y != -1
    Xs = pipe[0].transform(data.X[rows])
    # the FULL ratio of the fitted weighter, not the candidate's flattened one
    ratio = pipe[-1].weighter_.predict_ratio(Xs)
    expected = -log_loss(y[rows], pipe.predict_proba(data.X[rows]), sample_weight=ratio)
    assert make_iw_scorer("neg_log_loss")(pipe, data.X, y) == pytest.approx(expected)
    auc = roc_auc_score(
        y[rows], pipe.predict_proba(data.X[rows])[:, 1], sample_weight=ratio
    )
    assert make_iw_scorer("roc_auc")(pipe, data.X, y) == pytest.approx(auc)
    assert make_iw_scorer(
        log_loss, response_method="predict_proba", greater_is_better=False
    )(pipe, data.X, y) == pytest.approx(expected)


def test_iw_scorer_ignores_unlabeled_rows(fitted):
    data, y, pipe = fitted
    scorer = make_iw_scorer("accuracy")
    rows = y != -1
    assert scorer(pipe, data.X, y) == pytest.approx(scorer(pipe, data.X[rows], y[rows]))


def test_iw_scorer_leaves_out_labeled_target_rows_given_domain(fitted):
    data, y, pipe = fitted
    scorer = make_iw_scorer("accuracy")
    rows = y != -1
    # the target labels kept, their rows named by domain (routed to the scorer)
    assert scorer(pipe, data.X, data.y, domain=data.domain) == pytest.approx(
        scorer(pipe, data.X[rows], y[rows])
    )


def test_iw_scorer_needs_a_weighted_estimator(fitted):
    data, y, _ = fitted
    plain = LogisticRegression().fit(data.X[y != -1], y[y != -1])
    with pytest.raises(TypeError, match="ImportanceWeighted"):
        make_iw_scorer("accuracy")(plain, data.X, y)


# a strong shift on purpose (target N(1.2, 0.7^2) in 2 columns)
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.WeightConcentrationWarning")
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.ResidualImbalanceWarning")
@pytest.mark.filterwarnings("ignore::instransfer.exceptions.NoOverlapWarning")
def test_flatten_zero_can_win_where_weighting_only_adds_variance():
    # well-specified model (labels linear in x), strong shift: weighting only
    # adds variance, and IWCV with the full ratio must be able to say so
    wins = []
    for seed in range(6):
        rng = np.random.RandomState(seed)
        Xs = rng.normal(0, 1, (300, 2))
        Xt = rng.normal(1.2, 0.7, (300, 2))
        X = np.r_[Xs, Xt]
        p = 1 / (1 + np.exp(-(X[:, 0] - X[:, 1])))
        y = (rng.rand(600) < p).astype(int)
        y[300:] = -1
        search = GridSearchCV(
            it.ImportanceWeightedClassifier(
                weighter=it.ClassifierWeighter(cv="in_sample")
            ),
            {"flatten": [0, 0.5, 1]},
            scoring=make_iw_scorer("neg_log_loss"),
            cv=DomainStratifiedKFold(5, random_state=seed),
        ).fit(X, y)
        wins.append(search.best_params_["flatten"])
    assert wins.count(0) >= 3, wins


def test_splitter_keeps_both_domains_and_classes():
    y = np.r_[np.zeros(30), np.ones(30), np.full(20, -1)].astype(int)
    X = np.zeros((80, 1))
    for train, test in DomainStratifiedKFold(5, random_state=0).split(X, y):
        assert (y[train] == -1).sum() == 16 and (y[test] == -1).sum() == 4
        assert (y[test] == 1).sum() == 6
    # regression: NaN marks the target rows
    yr = np.r_[np.linspace(0, 1, 60), np.full(20, np.nan)]
    for _, test in DomainStratifiedKFold(4, random_state=0).split(X, yr):
        assert np.isnan(yr[test]).sum() == 5
    # weighter tuning: y is the domain
    d = np.r_[np.zeros(60), np.ones(20)]
    for _, test in DomainStratifiedKFold(4, random_state=0).split(X, d):
        assert d[test].sum() == 5


def test_splitter_falls_back_to_domains_for_rare_classes():
    y = np.r_[np.zeros(40), [1, 1], np.full(10, -1)]
    folds = list(DomainStratifiedKFold(5, random_state=0).split(np.zeros((52, 1)), y))
    assert all((y[test] == -1).sum() == 2 for _, test in folds)
    with pytest.raises(ValueError, match="smallest domain has 3 rows"):
        list(
            DomainStratifiedKFold(5).split(
                np.zeros((43, 1)), np.r_[np.zeros(40), np.full(3, -1)]
            )
        )


def test_fold_without_target_rows_gives_a_clear_error():
    data = it.datasets.make_covariate_shift(200, 40, 2, random_state=0)
    y = np.where(data.domain == 1, -1, data.y)
    search = GridSearchCV(
        it.ImportanceWeightedClassifier(),
        {"flatten": [0, 1]},
        scoring=make_iw_scorer("accuracy"),
        cv=KFold(6),
        error_score="raise",
    )
    with (
        pytest.raises(ValueError, match="DomainStratifiedKFold"),
        pytest.warns(UserWarning, match="no target rows"),
    ):
        search.fit(data.X, y)


# --------------------------------------------------------------------------
# metadata routing, held-out folds of one domain, pandas labels


def _routing_data():
    data = it.datasets.make_covariate_shift(150, 120, 2, random_state=0)
    sw = np.random.RandomState(1).uniform(0.5, 2.0, data.X.shape[0])
    base = it.ImportanceWeightedClassifier(
        weighter=it.ClassifierWeighter(cv="in_sample", random_state=0)
    )
    return data, sw, base


def _hand_rolled_iwcv(data, base, cv, flattens, sw=None):
    """Mean held-out IW log-loss, labeled target rows left out of the score."""
    from sklearn.base import clone

    X, y, d = data.X, data.y, data.domain
    means = []
    for flatten in flattens:
        scores = []
        for train, test in cv.split(X, y, domain=d):
            model = clone(base).set_params(flatten=flatten)
            model.fit(
                X[train],
                y[train],
                domain=d[train],
                sample_weight=None if sw is None else sw[train],
            )
            src = test[d[test] == 0]
            w = model.weighter_.predict_ratio(X[src])
            if sw is not None:
                w = w * sw[src]
            scores.append(
                -log_loss(y[src], model.predict_proba(X[src]), sample_weight=w)
            )
        means.append(np.mean(scores))
    return np.array(means)


def test_routed_domain_reaches_the_scorer_and_the_splitter():
    import sklearn

    data, _, base = _routing_data()
    cv = DomainStratifiedKFold(3, random_state=0)
    expected = _hand_rolled_iwcv(data, base, cv, [0, 1])
    with sklearn.config_context(enable_metadata_routing=True):
        # domain is requested by default: labeled target rows are not scored
        search = GridSearchCV(
            base.set_fit_request(domain=True),
            {"flatten": [0, 1]},
            scoring=make_iw_scorer("neg_log_loss"),
            cv=cv,
        ).fit(data.X, data.y, domain=data.domain)
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], expected)


def test_set_score_request_routes_sample_weight():
    import sklearn

    data, sw, base = _routing_data()
    cv = DomainStratifiedKFold(3, random_state=0)
    expected = _hand_rolled_iwcv(data, base, cv, [0, 1], sw=sw)
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = make_iw_scorer("neg_log_loss").set_score_request(
            domain=True, sample_weight=True
        )
        assert scorer.get_metadata_routing().score.requests == {
            "domain": True,
            "sample_weight": True,
        }
        search = GridSearchCV(
            base.set_fit_request(domain=True, sample_weight=True),
            {"flatten": [0, 1]},
            scoring=scorer,
            cv=cv,
        ).fit(data.X, data.y, domain=data.domain, sample_weight=sw)
        np.testing.assert_allclose(search.cv_results_["mean_test_score"], expected)
        # unrequested sample_weight is an error, as for scikit-learn's scorers
        with pytest.raises(ValueError, match="set_score_request"):
            GridSearchCV(
                base, {"flatten": [0, 1]}, scoring=make_iw_scorer("neg_log_loss"), cv=cv
            ).fit(data.X, data.y, domain=data.domain, sample_weight=sw)
    with pytest.raises(RuntimeError, match="metadata routing"):
        make_iw_scorer("accuracy").set_score_request(domain=True)


def test_iw_scorer_domain_of_one_domain_only(fitted):
    data, y, pipe = fitted
    scorer = make_iw_scorer("neg_log_loss")
    src = np.flatnonzero(data.domain == 0)[:30]
    X, labels = data.X[src], data.y[src]
    # a held-out fold of source rows only
    assert scorer(pipe, X, labels, domain=np.zeros(30)) == pytest.approx(
        scorer(pipe, X, labels)
    )
    # one target row: left out, the rest scored
    d = np.zeros(30)
    d[0] = 1
    assert scorer(pipe, X, labels, domain=d) == pytest.approx(
        scorer(pipe, X[1:], labels[1:])
    )


def test_splitter_accepts_pandas_string_labels_with_na():
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    is_target = np.r_[np.zeros(40, bool), np.ones(12, bool)]
    labels = rng.choice(["a", "b"], 52)
    as_object = np.array(
        [None if t else v for t, v in zip(is_target, labels, strict=True)]
    )
    as_string = pd.Series(as_object, dtype="string")
    assert as_string.isna().sum() == 12
    X = np.zeros((52, 1))
    cv = DomainStratifiedKFold(4, random_state=0)
    folds = list(cv.split(X, as_string))
    assert len(folds) == 4
    for (_, test), (_, test_o) in zip(folds, cv.split(X, as_object), strict=True):
        np.testing.assert_array_equal(test, test_o)
        assert is_target[test].sum() == 3


def test_splitter_with_labeled_target_rows_needs_the_domain():
    d = np.r_[np.zeros(40, int), np.ones(12, int)]
    y = np.zeros(52, int)
    y[:3] = 1  # a rare class among fully labeled source and target rows
    X = np.zeros((52, 1))
    cv = DomainStratifiedKFold(4, random_state=0)
    # without the domain, y reads as a domain vector: say so and what to do
    with pytest.raises(ValueError, match="no unlabeled rows.*metadata routing"):
        list(cv.split(X, y))
    y3 = np.where(y == 1, 2, y)  # classes {0, 2}: not a domain vector at all
    with pytest.raises(ValueError, match="cannot tell target rows"):
        list(cv.split(X, y3))
    # with it, every fold keeps its share of target rows
    for train, test in cv.split(X, y, domain=d):
        assert d[test].sum() == 3 and d[train].sum() == 9
    assert cv.get_metadata_routing().split.requests == {"domain": True}
