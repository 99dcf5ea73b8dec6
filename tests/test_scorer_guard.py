"""Plain scikit-learn scorers on stacked y: one clear error, not NaN.

In ``cross_val_score(model, X, y_masked, scoring="roc_auc")`` scikit-learn's
scorer compares the held-out ``y`` as given, so the ``-1``/``NaN`` marker of
the unlabeled target rows is read as a class (NaN with multi-class warnings
for ROC AUC; every target row counted wrong for accuracy). The fit refuses
it, naming ``make_iw_scorer``; ``scoring=None`` (the score rule) and
``make_iw_scorer`` work.
"""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

import instransfer as it
from instransfer.calibration import ImportanceWeightedCalibratedClassifier
from instransfer.conformal import WeightedConformalClassifier
from instransfer.datasets import make_covariate_shift
from instransfer.model_selection import DomainStratifiedKFold, make_iw_scorer
from instransfer.utils._compat import enclosing_cv_fold, label_reading_scorers

GUARD = "plain scikit-learn scorer.*make_iw_scorer"


def _weighter():
    return it.ClassifierWeighter(LogisticRegression(), cv="in_sample", random_state=0)


@pytest.fixture(scope="module")
def data():
    d = make_covariate_shift(n_source=150, n_target=100, random_state=0)
    return d, np.where(d.domain == 1, -1, d.y)


CLASSIFIERS = [
    lambda: it.ImportanceWeightedClassifier(weighter=_weighter()),
    lambda: it.ImportanceWeightedClassifierCV(
        weighter=_weighter(), flattens=(0.0, 1.0), cv=3, n_repeats=1
    ),
    lambda: WeightedConformalClassifier(weighter=_weighter(), random_state=0),
    lambda: ImportanceWeightedCalibratedClassifier(
        weighter=_weighter(), cv=3, random_state=0
    ),
]


@pytest.mark.parametrize("make", CLASSIFIERS, ids=lambda m: type(m()).__name__)
@pytest.mark.parametrize("scoring", ["roc_auc", "accuracy"])
def test_plain_scorer_on_masked_y_raises_one_clear_error(make, scoring, data):
    d, y = data
    # scikit-learn collects the fits' errors; with error_score="raise" the
    # estimator's own error reaches the caller unchanged
    with pytest.raises(ValueError, match=GUARD) as info:
        cross_val_score(make(), d.X, y, scoring=scoring, cv=3, error_score="raise")
    assert len(str(info.value)) < 300
    # by default every fit fails and scikit-learn's error carries the message
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="make_iw_scorer"):
            cross_val_score(make(), d.X, y, scoring=scoring, cv=3)


def test_grid_search_and_multi_metric_are_refused(data):
    d, y = data
    grid = GridSearchCV(
        it.ImportanceWeightedClassifier(weighter=_weighter()),
        {"flatten": [0.5, 1.0]},
        scoring={"iw": make_iw_scorer("roc_auc"), "plain": "roc_auc"},
        refit="iw",
        cv=3,
        error_score="raise",
    )
    with pytest.raises(ValueError, match=GUARD):
        grid.fit(d.X, y)


def test_regression_nan_marker_is_refused():
    d = make_covariate_shift(120, 80, task="regression", random_state=0)
    y = np.where(d.domain == 1, np.nan, d.y)
    model = it.ImportanceWeightedRegressor(Ridge(), weighter=_weighter())
    with pytest.raises(ValueError, match=GUARD):
        cross_val_score(model, d.X, y, scoring="r2", cv=3, error_score="raise")


def test_boosting_with_unlabeled_target_rows_is_refused(data):
    d, _ = data
    y = d.y.copy()
    y[np.flatnonzero(d.domain == 1)[30:]] = -1  # 30 labeled target rows
    model = it.TrAdaBoostClassifier(n_estimators=3, cv=2, random_state=0)
    with pytest.raises(ValueError, match=GUARD):
        cross_val_score(
            model,
            d.X,
            y,
            scoring="accuracy",
            cv=3,
            params={"domain": d.domain},
            error_score="raise",
        )


def test_score_rule_and_iw_scorer_work(data):
    d, y = data
    model = it.ImportanceWeightedClassifier(weighter=_weighter())
    folds = list(DomainStratifiedKFold(3, random_state=0).split(d.X, y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no multi-class or scoring warnings
        iw = cross_val_score(model, d.X, y, scoring=make_iw_scorer("roc_auc"), cv=folds)
        rule = cross_val_score(model, d.X, y, cv=folds)
    assert np.isfinite(iw).all() and np.isfinite(rule).all()
    # scoring=None is the score rule: the fold model's own score
    for (train, test), got in zip(folds, rule, strict=True):
        fitted = model.fit(d.X[train], y[train])
        assert got == pytest.approx(fitted.score(d.X[test], y[test]))


def test_plain_scorer_is_allowed_when_held_out_rows_are_labeled(data):
    d, y = data
    # folds that hold out labeled source rows only: the plain metric on them
    # is what the user asked for (unweighted), nothing is misread
    source = np.flatnonzero(d.domain == 0)
    target = np.flatnonzero(d.domain == 1)
    folds = [
        (np.r_[np.setdiff1d(source, part), target], part)
        for part in np.array_split(source, 3)
    ]
    scores = cross_val_score(
        it.ImportanceWeightedClassifier(weighter=_weighter()),
        d.X,
        y,
        scoring="roc_auc",
        cv=folds,
        error_score="raise",
    )
    assert np.isfinite(scores).all() and (scores > 0.5).all()


class _Spy(LogisticRegression):
    def fit(self, X, y, sample_weight=None):
        _Spy.fold = enclosing_cv_fold()
        return super().fit(X, y, sample_weight=sample_weight)


def test_the_cross_validation_fold_is_found_on_this_scikit_learn(data):
    # the guard reads scikit-learn's _fit_and_score frame; if a release
    # renames its arguments the guard is off, and this test says so
    d, _ = data
    _Spy.fold = None
    cross_val_score(_Spy(), d.X, d.y, scoring="accuracy", cv=KFold(3))
    scorer, y, test = _Spy.fold
    assert y is d.y
    assert test.ndim == 1 and 0 < test.shape[0] < d.X.shape[0]
    assert label_reading_scorers(scorer)
    assert enclosing_cv_fold() is None
