"""The score rule, over every public estimator that is not a weighter.

``score(X, y, *, domain=None, sample_weight=None)`` estimates performance on
the target population: labeled target rows (by ``domain``) -> the plain
metric on them; otherwise labeled source rows weighted by the full estimated
ratio (estimators with a weighter), or, for estimators without one, an
error (no weights to correct source rows with); no ``domain`` and no
unlabeled marker -> the plain metric on the rows given.
"""

import inspect

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.metrics import accuracy_score, r2_score

from instransfer.base import BaseWeighter
from instransfer.datasets import make_covariate_shift
from instransfer.utils.discovery import all_estimators

# estimators that predict (transformers such as CovariateEncoder have no score)
ESTIMATORS = [
    cls
    for _, cls in all_estimators()
    if not issubclass(cls, BaseWeighter) and hasattr(cls, "predict")
]


def _fast(cls):
    import instransfer as it

    est = cls()
    params = est.get_params()
    fast = {"random_state": 0}
    if "n_estimators" in params:
        fast["n_estimators"] = 3
    if "weighter" in params:
        fast["weighter"] = it.ClassifierWeighter(cv="in_sample", random_state=0)
    if "flattens" in params:
        fast["flattens"] = (0.0, 1.0)
        fast["cv"] = 3
        fast["n_repeats"] = 1
    return est.set_params(**{k: v for k, v in fast.items() if k in params})


def _data(classification):
    data = make_covariate_shift(
        n_source=150,
        n_target=90,
        task="classification" if classification else "regression",
        random_state=0,
    )
    is_t = data.domain == 1
    marker = -1 if classification else np.nan
    y_masked = np.where(is_t, marker, data.y)
    if not classification:
        y_masked = y_masked.astype(float)
    # a few labeled target rows, for the families that learn from them
    y_fit = y_masked.copy()
    y_fit[np.flatnonzero(is_t)[:30]] = data.y[np.flatnonzero(is_t)[:30]]
    return data, is_t, y_masked, y_fit


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_score_follows_the_rule(cls):
    est = _fast(cls)
    params = list(inspect.signature(est.score).parameters.values())
    assert [p.name for p in params] == ["X", "y", "domain", "sample_weight"]
    assert all(p.kind is p.KEYWORD_ONLY and p.default is None for p in params[2:])

    classification = is_classifier(est)
    metric = accuracy_score if classification else r2_score
    data, is_t, y_masked, y_fit = _data(classification)
    est.fit(data.X, y_fit, domain=data.domain)
    X_t, y_t = data.X[is_t], data.y[is_t]
    X_s, y_s = data.X[~is_t], data.y[~is_t]
    plain_target = metric(y_t, est.predict(X_t))
    w = np.random.RandomState(0).uniform(0.5, 2, data.X.shape[0])

    # no domain, no unlabeled marker: the rows given are the population
    assert est.score(X_t, y_t) == pytest.approx(plain_target)
    assert est.score(X_t, y_t, sample_weight=w[is_t]) == pytest.approx(
        metric(y_t, est.predict(X_t), sample_weight=w[is_t])
    )
    # labeled target rows by domain: the plain metric on them alone
    assert est.score(data.X, data.y, domain=data.domain) == pytest.approx(plain_target)
    assert est.score(
        data.X, data.y, domain=data.domain, sample_weight=w
    ) == pytest.approx(metric(y_t, est.predict(X_t), sample_weight=w[is_t]))

    weighter = getattr(est, "weighter_", None)
    if weighter is not None:
        # no labeled target row: labeled source rows, weighted by the full ratio
        ratio = weighter.predict_ratio(X_s)
        expected = metric(y_s, est.predict(X_s), sample_weight=ratio * w[~is_t])
        got = est.score(data.X, y_masked, domain=data.domain, sample_weight=w)
        assert got == pytest.approx(expected)
        # without domain, labeled rows are taken as source rows: the labeled
        # target rows seen in fit could be among them, and that is said
        with pytest.warns(UserWarning, match="labeled target rows"):
            got = est.score(data.X, y_masked, sample_weight=w)
        assert got == pytest.approx(expected)
        assert expected != pytest.approx(
            metric(y_s, est.predict(X_s), sample_weight=w[~is_t])
        )
    else:
        # no weights to correct source rows with: say so with domain, and
        # without it when the markers leave only source rows labeled (their
        # plain metric would be the source's, returned as the target's)
        with pytest.raises(ValueError, match="no importance weights"):
            est.score(data.X, y_masked, domain=data.domain)
        with pytest.raises(ValueError, match="no importance weights"):
            est.score(data.X, y_masked)
        with pytest.raises(ValueError, match="no importance weights"):
            est.score(data.X, y_masked, sample_weight=w)


def test_cross_validation_on_stacked_y_scores_by_the_rule():
    # a plain scorer cannot drop the unlabeled target rows (the estimator never
    # sees y_true); scoring=None (the rule) and make_iw_scorer do
    import instransfer as it
    from instransfer.model_selection import DomainStratifiedKFold, make_iw_scorer

    data, _, y_masked, _ = _data(True)
    model = it.ImportanceWeightedClassifier(
        weighter=it.ClassifierWeighter(cv="in_sample", random_state=0)
    )
    cv = DomainStratifiedKFold(3, random_state=0)
    from sklearn.model_selection import cross_val_score

    by_rule = cross_val_score(model, data.X, y_masked, cv=cv)
    auc = cross_val_score(
        model, data.X, y_masked, cv=cv, scoring=make_iw_scorer("roc_auc")
    )
    assert np.isfinite(by_rule).all() and np.isfinite(auc).all()
    assert (auc > 0.5).all()
    # fold by fold, the rule is the IW accuracy of the held-out source rows
    for k, (train, test) in enumerate(cv.split(data.X, y_masked)):
        fitted = clone(model).fit(data.X[train], y_masked[train])
        rows = test[y_masked[test] != -1]
        ratio = fitted.weighter_.predict_ratio(data.X[rows])
        expected = accuracy_score(
            y_masked[rows], fitted.predict(data.X[rows]), sample_weight=ratio
        )
        assert by_rule[k] == pytest.approx(expected)
