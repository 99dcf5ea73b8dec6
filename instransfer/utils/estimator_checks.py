"""Checks every weighter must pass, beyond scikit-learn's common checks.

scikit-learn's ``check_estimator`` knows nothing of density ratios; like
imbalanced-learn does for samplers, we add the checks of our kind: weights are
non-negative, one per source row, mean 1, close to 1 when source and target
come from one distribution, invariant to row order, flattened to exactly 1 by
``flatten=0``, capped by ``clip``; inputs are not modified; feature mismatches
and one-domain inputs raise clear errors.
"""

import re
from contextlib import contextmanager

import numpy as np
from sklearn.base import clone


@contextmanager
def _raises(exc_type, match):
    """Like ``pytest.raises``, without needing pytest installed."""
    try:
        yield
    except exc_type as exc:
        if not re.search(match, str(exc)):
            raise AssertionError(
                f"{exc_type.__name__} raised, but its message {str(exc)!r} does "
                f"not match {match!r}"
            ) from exc
    else:
        raise AssertionError(f"{exc_type.__name__} not raised (expected {match!r})")


def _fresh(weighter):
    """Unfitted copy, seeded when it has a random_state left at None."""
    est = clone(weighter)
    if est.get_params().get("random_state", 0) is None:
        est.set_params(random_state=0)
    return est


def _shift_data(n_source=300, n_target=200, n_features=3, shift=0.7, seed=0):
    rng = np.random.RandomState(seed)
    Xs = rng.standard_normal((n_source, n_features))
    Xt = shift + 0.8 * rng.standard_normal((n_target, n_features))
    X = np.vstack([Xs, Xt])
    domain = np.r_[np.zeros(n_source, dtype=int), np.ones(n_target, dtype=int)]
    return X, domain


def check_weights_valid(weighter):
    """Weights: finite, >= 0, one per source row, mean 1; ratios on that scale."""
    X, domain = _shift_data()
    w = _fresh(weighter).fit(X, domain)
    n_s = int((domain == 0).sum())
    assert w.weights_.shape == (n_s,), w.weights_.shape
    assert np.all(np.isfinite(w.weights_)) and np.all(w.weights_ >= 0)
    np.testing.assert_allclose(w.weights_.mean(), 1.0, rtol=1e-10)
    assert (w.n_source_, w.n_target_) == (n_s, X.shape[0] - n_s)
    pw = w.predict_weights(X)
    assert pw.shape == (X.shape[0],) and np.all(np.isfinite(pw)) and np.all(pw >= 0)
    ratio = w.predict_ratio(X)
    assert ratio.shape == (X.shape[0],) and np.all(ratio >= 0)
    assert np.isfinite(w.score(X, domain))


def check_weights_near_one_without_shift(weighter):
    """One distribution for both domains: weights keep most of the sample."""
    rng = np.random.RandomState(1)
    X = rng.standard_normal((800, 2))
    domain = np.r_[np.zeros(400, dtype=int), np.ones(400, dtype=int)]
    w = _fresh(weighter).fit(X, domain).weights_
    ess_fraction = w.sum() ** 2 / (w**2).sum() / w.shape[0]
    assert ess_fraction > 0.7, (
        f"{type(weighter).__name__}: without a shift the weights keep only "
        f"{ess_fraction:.2f} of the effective sample size"
    )
    Xs, domain_s = _shift_data(400, 400, 2, shift=1.0, seed=1)
    w_shift = _fresh(weighter).fit(Xs, domain_s).weights_
    ess_shift = w_shift.sum() ** 2 / (w_shift**2).sum() / w_shift.shape[0]
    assert ess_shift < ess_fraction, "a real shift should cost effective samples"


def check_row_order_invariance(weighter, min_corr=0.95):
    """Shuffling the rows (domains interleaved) permutes the weights alike.

    Exact for deterministic weighters; randomised ones (random folds or
    centres) must still agree closely.
    """
    X, domain = _shift_data()
    perm = np.random.RandomState(2).permutation(X.shape[0])
    w1 = _fresh(weighter).fit(X, domain)
    w2 = _fresh(weighter).fit(X[perm], domain[perm])
    # source rows in the order fit sees them after the permutation
    src_perm = perm[domain[perm] == 0]
    ref = w1.weights_[src_perm]  # source rows come first in X
    corr = np.corrcoef(ref, w2.weights_)[0, 1]
    assert corr > min_corr, f"weights changed with row order (corr {corr:.3f})"


def check_flatten_and_clip(weighter):
    """``flatten=0`` gives exactly uniform weights; ``clip`` caps them."""
    X, domain = _shift_data()
    w0 = _fresh(weighter).set_params(flatten=0).fit(X, domain)
    np.testing.assert_allclose(w0.weights_, 1.0, rtol=1e-12)
    full = _fresh(weighter).fit(X, domain).weights_
    cap = max(1.5, 0.5 * full.max())
    wc = _fresh(weighter).set_params(clip=cap).fit(X, domain).weights_
    assert wc.max() <= cap * (1 + 1e-9)
    np.testing.assert_allclose(wc.mean(), 1.0, rtol=1e-10)


def check_inputs_not_modified(weighter):
    """Neither ``X`` nor ``domain`` is written to."""
    X, domain = _shift_data()
    X0, d0 = X.copy(), domain.copy()
    est = _fresh(weighter).fit(X, domain)
    est.predict_weights(X)
    est.score(X, domain)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(domain, d0)


def check_bad_input(weighter):
    """Clear errors: one domain only, too few targets, foreign labels, shapes."""
    X, domain = _shift_data()
    with _raises(ValueError, match="target row"):
        _fresh(weighter).fit(X, np.zeros_like(domain))
    one_target = np.zeros_like(domain)
    one_target[-1] = 1
    with _raises(ValueError, match="at least 2"):
        _fresh(weighter).fit(X, one_target)
    with _raises(ValueError, match="only 0 .source. and 1 .target."):
        _fresh(weighter).fit(X, domain + 1)
    with _raises(ValueError, match="domain has"):
        _fresh(weighter).fit(X, domain[:-1])
    est = _fresh(weighter).fit(X, domain)
    with _raises(ValueError, match="features"):
        est.predict_weights(X[:, :-1])


def check_pandas_feature_names(weighter):
    """DataFrames keep their column names; the same frame predicts."""
    pd = __import__("pandas")
    X, domain = _shift_data()
    df = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
    est = _fresh(weighter).fit(df, pd.Series(domain))
    assert list(est.feature_names_in_) == list(df.columns)
    np.testing.assert_allclose(
        est.predict_weights(df), _fresh(weighter).fit(X, domain).predict_weights(X)
    )


WEIGHTER_CHECKS = (
    check_weights_valid,
    check_weights_near_one_without_shift,
    check_row_order_invariance,
    check_flatten_and_clip,
    check_inputs_not_modified,
    check_bad_input,
    check_pandas_feature_names,
)


def check_weighter(weighter):
    """Run every weighter check on ``weighter`` (raises on the first failure).

    Parameters
    ----------
    weighter : BaseWeighter
        An unfitted weighter; it is cloned for each check.
    """
    for check in WEIGHTER_CHECKS:
        check(weighter)
