"""The folds x candidates evaluation of ImportanceWeighted*CV (_iwcv_eval.py)."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils._param_validation import InvalidParameterError

import instransfer as it
from instransfer.model_selection._iwcv import _select_flatten
from instransfer.model_selection._iwcv_eval import _batches, replay, settled

# _clear_cut is a variance shift (target N(1.2, 0.5^2)) whose quadratic
# log-ratio the linear-logit weighter cannot represent: it is left imbalanced
# on purpose, and its tail rows lack source rows; the tests are about the
# evaluation schedule
pytestmark = [
    pytest.mark.filterwarnings(
        "ignore::instransfer.exceptions.ResidualImbalanceWarning"
    ),
    pytest.mark.filterwarnings("ignore::instransfer.exceptions.NoOverlapWarning"),
]


def _weighter():
    return it.ClassifierWeighter(cv="in_sample", random_state=0)


def _clear_cut(kind, n=500):
    """A shift where weighting clearly helps (misspecified) or does not."""
    rng = np.random.RandomState(0)
    x_s = rng.normal(0.0, 1.0, (n, 1))
    x_t = rng.normal(1.2, 0.5, (n, 1))
    X = np.vstack([x_s, x_t])
    f = X[:, 0] ** 2 if kind == "curved" else X[:, 0]
    y = f + 0.1 * rng.standard_normal(2 * n)
    return X, np.where(np.arange(2 * n) >= n, np.nan, y)


@pytest.mark.parametrize("kind, expected", [("curved", 1.0), ("linear", 0.0)])
def test_adaptive_picks_the_full_choice_on_clear_cut_cases(kind, expected):
    X, y = _clear_cut(kind)
    kw = dict(estimator=Ridge(), weighter=_weighter(), random_state=0)
    full = it.ImportanceWeightedRegressorCV(schedule="full", **kw).fit(X, y)
    fast = it.ImportanceWeightedRegressorCV(**kw).fit(X, y)
    assert full.flatten_ == fast.flatten_ == expected
    assert full.n_fits_ == 100
    assert fast.n_fits_ < 100  # settled early: fewer fits for the same choice
    # it ran the same folds, in order: its scores are the full ones
    rows = fast.scores_.shape[0]
    done = np.isfinite(fast.scores_)
    np.testing.assert_allclose(fast.scores_[done], full.scores_[:rows][done])
    np.testing.assert_array_equal(fast.fold_weights_, full.fold_weights_[:rows])


def test_replay_reproduces_the_adaptive_run():
    X, y = _clear_cut("curved", n=300)
    kw = dict(estimator=Ridge(), weighter=_weighter(), random_state=1)
    full = it.ImportanceWeightedRegressorCV(schedule="full", **kw).fit(X, y)
    fast = it.ImportanceWeightedRegressorCV(**kw).fit(X, y)
    scores, n_fits = replay(full.scores_, full.fold_weights_, "paired_se", 10)
    np.testing.assert_allclose(scores, fast.scores_)  # NaN where left out
    assert n_fits == fast.n_fits_
    w = full.fold_weights_[: scores.shape[0]]
    assert fast.flatten_ == full.cv_results_["flatten"][_select_flatten(scores, w)]


def test_n_jobs_gives_the_same_result():
    data = it.datasets.make_covariate_shift(300, 300, random_state=0)
    y = np.where(data.domain == 1, -1, data.y)
    kw = dict(estimator=LogisticRegression(), weighter=_weighter(), random_state=0)
    one = it.ImportanceWeightedClassifierCV(n_jobs=1, **kw).fit(data.X, y)
    two = it.ImportanceWeightedClassifierCV(n_jobs=2, **kw).fit(data.X, y)
    np.testing.assert_allclose(one.scores_, two.scores_, rtol=1e-12)
    assert one.flatten_ == two.flatten_
    np.testing.assert_allclose(
        one.predict_proba(data.X), two.predict_proba(data.X), rtol=1e-12
    )


def test_settled_drops_clearly_worse_and_keeps_ties():
    rng = np.random.RandomState(0)
    base = rng.normal(0, 1, (6, 1))
    noise = 0.01 * rng.standard_normal((6, 4))
    # candidate 0 far worse, 1 and 2 tied at the top, 3 far worse
    scores = base + np.array([-5.0, 0.01, 0.0, -5.0]) + noise
    live, stop = settled(scores, np.ones(6), np.ones(4, bool), "paired_se", 20)
    np.testing.assert_array_equal(live, [False, True, True, False])
    assert stop  # the choice (1, the smaller of the tie) and one above it left
    # the same tie, with the larger one ahead: 1 may still be chosen, go on
    scores = base + np.array([-5.0, 0.0, 0.01, -5.0]) + noise
    live, stop = settled(scores, np.ones(6), np.ones(4, bool), "paired_se", 20)
    np.testing.assert_array_equal(live, [False, True, True, False])
    assert not stop
    # undecided when the differences are noise: keep everything, go on
    scores = base + 0.5 * rng.standard_normal((6, 4))
    live, stop = settled(scores, np.ones(6), np.ones(4, bool), "paired_se", 20)
    assert live.all() and not stop
    assert _batches(20, 10) == [6, 12, 18, 20] and _batches(5, 5) == [5]


def test_verbose_announces_the_fits(capsys):
    X, y = _clear_cut("linear", n=200)
    it.ImportanceWeightedRegressorCV(
        Ridge(), _weighter(), verbose=1, random_state=0
    ).fit(X, y)
    out = capsys.readouterr().out
    assert out.startswith(
        "Fitting up to 20 folds for each of 5 candidates, totalling up to 100 fits"
    )
    it.ImportanceWeightedRegressorCV(
        Ridge(), _weighter(), cv=3, n_repeats=1, schedule="full", verbose=1
    ).fit(X, y)
    assert "Fitting 3 folds for each of 5 candidates, totalling 15 fits" in (
        capsys.readouterr().out
    )


def test_schedule_is_validated():
    X, y = _clear_cut("linear", n=50)
    with pytest.raises(InvalidParameterError, match="schedule"):
        it.ImportanceWeightedRegressorCV(schedule="fast").fit(X, y)
