"""Property-based checks over every public weighter and estimator.

No silent wrong answer on any input: on random finite matrices (any scale
from 1e-200 to 1e200, duplicated rows, an outlier, one constant column) a
weighter returns finite, non-negative weights of mean 1, or raises a
ValueError whose message is one short sentence. Weights do not depend on the
order of the rows or on the units of ``X`` where the method claims it; no
input is modified; nothing answers before ``fit``; every scorer checks that
its arguments have one entry per row.

Estimators are discovered as in ``test_common.py``. The example budget comes
from a hypothesis profile chosen by ``INSTRANSFER_FUZZ_PROFILE``: ``ci`` (the
default, the whole file well under a minute) or ``long`` (thousands of
examples, for a local run before a release).
"""

import functools
import os
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError

import instransfer as it
from instransfer import exceptions as ix
from instransfer.base import BaseWeighter
from instransfer.utils.discovery import all_estimators

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

settings.register_profile(
    "ci",
    max_examples=6,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI cannot flake
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
FUZZ = settings.get_profile(os.environ.get("INSTRANSFER_FUZZ_PROFILE", "ci"))

LIMIT = 300  # characters of an error message (tests/test_messages.py)
ESTIMATORS = dict(all_estimators())
WEIGHTERS = sorted(n for n, c in ESTIMATORS.items() if issubclass(c, BaseWeighter))
# models predict; transformers (CovariateEncoder) have their own tests
MODELS = sorted(
    n for n, cls in ESTIMATORS.items() if n not in WEIGHTERS and hasattr(cls, "predict")
)

# Our own warnings say the answer may be invalid on the target; they are the
# library working as documented, not a silent failure.
OWN_WARNINGS = tuple(getattr(ix, name) for name in ix.__all__) + (ConvergenceWarning,)


def _make(name):
    est = ESTIMATORS[name]()
    params = est.get_params()
    if "random_state" in params:
        est.set_params(random_state=0)
    if "n_estimators" in params:  # boosting: a few rounds are enough here
        est.set_params(n_estimators=3)
    if "flattens" in params:  # IWCV: a small grid and 2 folds keep it fast
        est.set_params(flattens=[0.0, 1.0], cv=2)
    if "n_steps" in params:
        est.set_params(n_steps=2, cv=2)
    return est


@st.composite
def stacked(draw, min_rows=4, max_rows=24, max_features=3):
    """A stacked ``(X, domain)`` with the nastiness a user table can have."""
    seed = draw(st.integers(0, 2**31 - 1))
    n_s = draw(st.integers(min_rows, max_rows))
    n_t = draw(st.integers(min_rows, max_rows))
    d = draw(st.integers(1, max_features))
    rng = np.random.RandomState(seed)
    X = rng.standard_normal((n_s + n_t, d))
    X[n_s:] += draw(st.floats(-3, 3))  # a shift of the target rows
    if draw(st.booleans()):  # few distinct values: duplicated rows, ties
        X = np.round(X)
    if draw(st.booleans()):  # one outlying row
        X[rng.randint(n_s + n_t), rng.randint(d)] *= 1e6
    if d > 1 and draw(st.booleans()):
        X[:, -1] = 7.0  # a constant column
    X *= 10.0 ** draw(st.integers(-200, 200))  # units, or extreme scales
    domain = np.r_[np.zeros(n_s, int), np.ones(n_t, int)]
    return X, domain


def _fit_or_refuse(est, *args, **kwargs):
    """Fit; a refusal must be a ValueError of one short message."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OWN_WARNINGS)
        try:
            return est.fit(*args, **kwargs)
        except ValueError as exc:
            message = str(exc)
            assert len(message) <= LIMIT, f"long message ({len(message)}): {message}"
            assert "bug" not in message, message
            return None


def _check_weights(w, n):
    assert w.shape == (n,)
    assert np.isfinite(w).all(), "non-finite weights"
    assert (w >= 0).all(), "negative weights"
    assert w.mean() == pytest.approx(1.0, rel=1e-9)


# --------------------------------------------------------------------------
# weighters


@pytest.mark.parametrize("name", WEIGHTERS)
@FUZZ
@given(data=stacked())
def test_weights_are_valid_or_refused(name, data):
    X, domain = data
    X0 = X.copy()
    wtr = _fit_or_refuse(_make(name), X, domain)
    np.testing.assert_array_equal(X, X0)  # input never modified
    if wtr is None:
        return
    _check_weights(wtr.weights_, int((domain == 0).sum()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OWN_WARNINGS)
        new = wtr.predict_weights(X)
    assert np.isfinite(new).all() and (new >= 0).all()
    np.testing.assert_array_equal(X, X0)


# Cross-fitting assigns rows to folds by position: ClassifierWeighter is row-
# order invariant with cv="in_sample" only. Each of these claims the invariance.
ROW_ORDER = {name: {} for name in WEIGHTERS}
ROW_ORDER["ClassifierWeighter"] = {"cv": "in_sample"}
# Iterative solvers agree to their tolerance, not to the last digit: KMM's QP
# (the order of the rows changes the order of its floating-point sums).
RTOL = dict.fromkeys(WEIGHTERS, 1e-5) | {"KMM": 1e-2}


@pytest.mark.parametrize("name", WEIGHTERS)
@FUZZ
@given(data=stacked(max_rows=16), seed=st.integers(0, 1000))
def test_weights_follow_the_rows(name, data, seed):
    X, domain = data
    est = _make(name).set_params(**ROW_ORDER[name])
    wtr = _fit_or_refuse(clone(est), X, domain)
    if wtr is None:
        return
    perm = np.random.RandomState(seed).permutation(X.shape[0])
    again = _fit_or_refuse(clone(est), X[perm], domain[perm])
    assert again is not None, "refused the same rows in another order"
    # the second fit's source rows are old rows perm[new_src], in that order
    position = np.cumsum(domain == 0) - 1  # old row -> index in weights_
    new_src = np.flatnonzero(domain[perm] == 0)
    expected = wtr.weights_[position[perm[new_src]]]
    np.testing.assert_allclose(again.weights_, expected, rtol=RTOL[name], atol=1e-8)


@pytest.mark.parametrize("name", WEIGHTERS)
@FUZZ
@given(data=stacked(max_rows=16), exponent=st.integers(-40, 40))
def test_weights_do_not_depend_on_the_units(name, data, exponent):
    # every weighter's default is unit-free: the classifier standardises each
    # column, the neighbour search and the kernel widths (median heuristic)
    # scale with X. A power of two is an exact change of units.
    X, domain = data
    wtr = _fit_or_refuse(_make(name), X, domain)
    if wtr is None:
        return
    again = _fit_or_refuse(_make(name), X * 2.0**exponent, domain)
    if again is None:  # units near float64's limits: refused with the remedy
        amax = np.abs(X).max() * 2.0**exponent
        assert amax > 1e100 or amax < 1e-100
        return
    np.testing.assert_allclose(again.weights_, wtr.weights_, rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------------------
# every estimator


_ANSWERS = (
    "predict",
    "predict_proba",
    "decision_function",
    "predict_weights",
    "predict_ratio",
    "importance_weights",
    "score",
)


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_nothing_answers_before_fit(name):
    est = _make(name)
    X = np.zeros((4, 2))
    y = np.array([0, 1, 0, 1])
    for method in _ANSWERS:
        if not hasattr(est, method):
            continue
        args = (X, y) if method == "score" else (X,)
        with pytest.raises(NotFittedError):
            getattr(est, method)(*args)


def _labeled(X, domain, task, rng):
    y = (X[:, 0] > np.median(X[:, 0])).astype(float)
    if task == "regression":
        y = X[:, 0] + rng.standard_normal(X.shape[0])
    return y


@pytest.mark.parametrize("name", MODELS)
@FUZZ
@given(data=stacked(min_rows=6), seed=st.integers(0, 1000))
def test_models_fit_or_refuse_and_predict_finite(name, data, seed):
    X, domain = data
    est = _make(name)
    task = "regression" if "Regressor" in name else "classification"
    y = _labeled(X, domain, task, np.random.RandomState(seed))
    boosting = "Boost" in name
    if boosting:  # a few labeled target rows, domain given
        y_fit, kwargs = y, {"domain": domain}
    else:  # target rows unlabeled
        y_fit = np.where(domain == 1, -1 if task == "classification" else np.nan, y)
        kwargs = {}
    X0, y0 = X.copy(), y_fit.copy()
    model = _fit_or_refuse(est, X, y_fit, **kwargs)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y_fit, y0)
    if model is None:
        return
    pred = model.predict(X)
    assert pred.shape == (X.shape[0],)
    if task == "regression":
        assert np.isfinite(pred).all()
    weights = getattr(model, "weights_", None)
    if weights is not None and not boosting:
        _check_weights(weights, weights.shape[0])


@functools.cache
def _fitted_model(name):
    data = it.datasets.make_covariate_shift(
        60,
        40,
        2,
        task="regression" if "Regressor" in name else "classification",
        random_state=0,
    )
    est = _make(name)
    task = "regression" if "Regressor" in name else "classification"
    if "Boost" in name:
        keep = (data.domain == 0) | (np.arange(100) % 4 == 0)
        X, y, d = data.X[keep], data.y[keep].astype(float), data.domain[keep]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OWN_WARNINGS)
            est.fit(X, y, domain=d)
        return est, X, y, d
    marker = -1 if task == "classification" else np.nan
    y = np.where(data.domain == 1, marker, data.y).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OWN_WARNINGS)
        est.fit(data.X, y)
    return est, data.X, y, None


@pytest.mark.parametrize("name", MODELS)
def test_scores_enforce_one_entry_per_row(name):
    from instransfer.model_selection import make_iw_scorer

    est, X, y, d = _fitted_model(name)
    n = X.shape[0]
    kwargs = {} if d is None else {"domain": d}
    scorers = [lambda X_, y_, **kw: est.score(X_, y_, **kwargs, **kw)]
    if "Boost" not in name:
        iw = make_iw_scorer("accuracy" if "Classifier" in name else "r2")
        scorers.append(lambda X_, y_, **kw: iw(est, X_, y_, **kw))
    for score in scorers:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OWN_WARNINGS)
            assert np.isfinite(score(X, y))
            with pytest.raises(ValueError, match="y has .* entries but X has"):
                score(X, y[:-1])
            with pytest.raises(ValueError, match="sample_weight has .* entries"):
                score(X, y, sample_weight=np.ones(n + 5))
            with pytest.raises(ValueError, match="negative value"):
                score(X, y, sample_weight=-np.ones(n))


@pytest.mark.parametrize("name", MODELS)
def test_negative_sample_weight_one_message_in_fit(name):
    from inspect import signature

    if "sample_weight" not in signature(ESTIMATORS[name].fit).parameters:
        pytest.skip(f"{name}.fit takes no sample_weight")
    est, X, y, d = _fitted_model(name)
    kwargs = {} if d is None else {"domain": d}
    sw = np.ones(X.shape[0])
    sw[3] = -0.5
    with pytest.raises(ValueError) as info:
        clone(est).fit(X, y, sample_weight=sw, **kwargs)
    assert str(info.value) == (
        "sample_weight has 1 negative value(s) (min -0.5); weights must be "
        "non-negative: give 0 to leave a row out."
    )
