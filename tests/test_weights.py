import numpy as np
import pytest

from instransfer._weights import (
    WeightTransform,
    cap_for_max_weight,
    log_mean_exp,
    postprocess_weights,
)
from instransfer.exceptions import UnreachableClipWarning


def _cap_by_bisection(w, c):
    """Slow reference: bisection on g(t) = t / mean(min(w, t))."""
    lo, hi = 0.0, w.max()
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid / np.minimum(w, mid).mean() < c:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("c", [1.2, 2.0, 5.0])
def test_cap_matches_bisection(seed, c):
    w = np.random.RandomState(seed).lognormal(0, 1.5, size=200)
    w /= w.mean()
    t = cap_for_max_weight(w, c)
    np.testing.assert_allclose(t, _cap_by_bisection(w, c), rtol=1e-8)
    clipped = np.minimum(w, t)
    np.testing.assert_allclose(clipped.max() / clipped.mean(), c, rtol=1e-10)


def test_cap_not_needed_returns_inf():
    assert cap_for_max_weight(np.array([1.0, 1.0, 1.2]), 5.0) == np.inf


def test_clip_max_is_honoured_after_renormalisation():
    w = np.random.RandomState(0).exponential(size=500) ** 3
    out = postprocess_weights(w, clip=4.0)
    assert out.max() == pytest.approx(4.0)
    assert out.mean() == pytest.approx(1.0)
    # ranks are kept: clipping is monotone
    assert np.all(np.diff(out[np.argsort(w)]) >= -1e-12)


def test_clip_quantile_caps_the_top():
    w = np.arange(1.0, 101.0)
    out = postprocess_weights(w, clip_quantile=0.9)
    top = out[w >= np.quantile(w, 0.9)]
    np.testing.assert_allclose(top, top[0])
    assert out.mean() == pytest.approx(1.0)


def test_flatten_zero_is_uniform_even_with_zero_weights():
    np.testing.assert_array_equal(postprocess_weights([0.0, 0.5, 7.0], flatten=0), 1)


def test_flatten_interpolates():
    w = np.array([0.25, 1.0, 4.0])
    out = postprocess_weights(w, flatten=0.5)
    np.testing.assert_allclose(out, np.sqrt(w) / np.sqrt(w).mean())


def test_transform_is_fixed_after_fit():
    r = np.random.RandomState(1).lognormal(size=100)
    r /= r.mean()
    tr = WeightTransform(flatten=0.7, clip=3.0).fit(r)
    np.testing.assert_allclose(tr.transform(r), tr.fit_transform(r))
    # a new row's weight does not depend on the other new rows
    np.testing.assert_allclose(tr.transform(r[:3]), tr.transform(r)[:3])


def test_all_zero_weights_raise_clearly():
    with pytest.raises(ValueError, match="All importance weights are zero"):
        WeightTransform().fit(np.zeros(5))


def test_log_mean_exp_no_overflow():
    assert log_mean_exp([1000.0, 1000.0]) == pytest.approx(1000.0)
    assert log_mean_exp([-np.inf, 0.0]) == pytest.approx(np.log(0.5))


@pytest.mark.parametrize(
    "kwargs",
    [{"clip": 1.5}, {"clip_quantile": 0.5}, {"clip": 1.2, "clip_quantile": 0.4}],
)
def test_caps_with_many_zero_weights_stay_finite(kwargs):
    # more zeros than the cap can absorb: the closest reachable point (every
    # positive weight equal) instead of a cap of 0 and weights 0 / 0
    w = np.array([0.0, 0.0, 0.0, 1.0, 2.0, 3.0])
    if "clip" in kwargs:  # mean 1 with 3 zeros forces the largest weight to 2
        with pytest.warns(UnreachableClipWarning, match="cannot be met"):
            out = postprocess_weights(w, **kwargs)
    else:
        out = postprocess_weights(w, **kwargs)
    assert np.isfinite(out).all()
    assert out.mean() == pytest.approx(1.0)
    assert (out[:3] == 0).all() and (out[3:] > 0).all()
