"""Weighted survival on the target: Kaplan-Meier, C-index, Brier score."""

import numpy as np
import pytest
from scipy.special import roots_hermitenorm

from instransfer.survival import (
    brier_score,
    concordance_index,
    integrated_brier_score,
    kaplan_meier,
)


def _censored(n, seed, ties=True):
    rng = np.random.RandomState(seed)
    T = rng.exponential(5, n)
    C = rng.exponential(8, n)
    if ties:
        T, C = np.round(T, 1) + 0.1, np.round(C, 1) + 0.1
    time, event = np.minimum(T, C), T <= C
    risk = np.round(-T + rng.normal(0, 3, n))  # tied scores too
    return time, event, risk, rng


def test_unit_weights_match_lifelines_and_greenwood():
    lifelines = pytest.importorskip("lifelines")
    time, event, _, _ = _censored(300, 0)
    kmf = lifelines.KaplanMeierFitter().fit(time, event)
    grid = kmf.survival_function_.index.to_numpy()[1:]
    ref_ci = kmf.confidence_interval_.iloc[1:].to_numpy()
    for variance in ("robust", "xie-liu"):
        km = kaplan_meier(time, event, times=grid, variance=variance)
        np.testing.assert_allclose(
            km["survival"], kmf.survival_function_.iloc[1:, 0], atol=1e-12
        )
        ok = km["survival"].to_numpy() > 0
        np.testing.assert_allclose(
            km[["lower", "upper"]].to_numpy()[ok], ref_ci[ok], atol=1e-10
        )


def test_integer_weights_equal_repeated_rows_exactly():
    time, event, risk, rng = _censored(200, 1)
    w = rng.randint(0, 4, time.shape[0])
    rep = np.repeat(np.arange(time.shape[0]), w)
    km_w = kaplan_meier(time, event, w)
    km_r = kaplan_meier(time[rep], event[rep])
    grid = km_r.index.to_numpy()
    np.testing.assert_array_equal(
        kaplan_meier(time, event, w, times=grid)["survival"], km_r["survival"]
    )
    assert km_w.shape[0] >= km_r.shape[0]  # rows of weight 0 add censoring times only
    assert concordance_index(time, event, risk, w) == concordance_index(
        time[rep], event[rep], risk[rep]
    )
    assert concordance_index(time, event, risk, w, ipcw=True, tau=8) == pytest.approx(
        concordance_index(time[rep], event[rep], risk[rep], ipcw=True, tau=8), abs=1e-13
    )
    times = np.array([1.0, 3.0, 6.0])
    prob = np.exp(-np.outer(np.exp(risk / 5), times) / 5)
    np.testing.assert_allclose(
        brier_score(time, event, prob, times, w),
        brier_score(time[rep], event[rep], prob[rep], times),
        rtol=1e-13,
    )


def test_constant_weights_give_the_plain_concordance_index():
    time, event, risk, _ = _censored(300, 2)
    plain = concordance_index(time, event, risk)
    assert concordance_index(time, event, risk, np.full(300, 3.7)) == pytest.approx(
        plain, abs=1e-14
    )
    lifelines_utils = pytest.importorskip("lifelines.utils")
    # lifelines takes predicted survival times: higher means later
    assert plain == pytest.approx(
        lifelines_utils.concordance_index(time, -risk, event), abs=1e-12
    )
    # brute force over all pairs, with weights
    w = np.random.RandomState(0).rand(300)
    num = den = 0.0
    for i in np.flatnonzero(event):
        comp = (time > time[i]) | ((time == time[i]) & ~event)
        pw = w[i] * w[comp]
        num += np.sum(pw * ((risk[comp] < risk[i]) + 0.5 * (risk[comp] == risk[i])))
        den += pw.sum()
    assert concordance_index(time, event, risk, w) == pytest.approx(
        num / den, abs=1e-12
    )


def test_matches_scikit_survival_uno_c_and_brier():
    sk = pytest.importorskip("sksurv.metrics")
    from sksurv.util import Surv

    time, event, risk, _ = _censored(300, 3)
    y = Surv.from_arrays(event, time)
    assert concordance_index(time, event, risk, ipcw=True, tau=10) == pytest.approx(
        sk.concordance_index_ipcw(y, y, risk, tau=10)[0], abs=1e-12
    )
    times = np.array([2.0, 4.0, 6.0])
    prob = np.exp(-np.outer(np.exp(risk / 5), times) / 5)
    np.testing.assert_allclose(
        brier_score(time, event, prob, times), sk.brier_score(y, y, prob, times)[1]
    )
    grid = np.linspace(1, 8, 15)
    prob = np.exp(-np.outer(np.exp(risk / 5), grid) / 5)
    assert integrated_brier_score(time, event, prob, grid) == pytest.approx(
        sk.integrated_brier_score(y, y, prob, grid), rel=1e-10
    )


def _weibull_shift(n, mu, rng):
    """Source x ~ N(0, 1); target N(mu, 1); T | x Weibull; uniform censoring."""
    x = rng.standard_normal(n)
    shape, base = 1.5, 10.0
    scale = base * np.exp(-0.5 * x)
    T = scale * rng.weibull(shape, n)
    C = rng.uniform(0, 25, n)
    ratio = np.exp(mu * x - mu**2 / 2)
    return np.minimum(T, C), T <= C, ratio / ratio.mean()


def _true_target_survival(t, mu):
    nodes, weights = roots_hermitenorm(60)
    x = nodes + mu
    scale = 10.0 * np.exp(-0.5 * x)
    surv = np.exp(-((np.asarray(t)[:, None] / scale) ** 1.5))
    return surv @ weights / weights.sum()


def test_weighted_km_covers_the_true_target_curve():
    # the full coverage study (more repetitions and times) is in
    # benchmarks/results/entropy_survival.md
    rng = np.random.RandomState(0)
    mu, times = 0.8, np.array([4.0, 8.0])
    truth = _true_target_survival(times, mu)
    hits = {"robust": 0, "xie-liu": 0}
    plain_hits, reps = 0, 100
    for _ in range(reps):
        time, event, w = _weibull_shift(400, mu, rng)
        for variance in hits:
            km = kaplan_meier(time, event, w, times=times, variance=variance)
            hits[variance] += np.sum((km.lower <= truth) & (truth <= km.upper))
        km0 = kaplan_meier(time, event, times=times)
        plain_hits += np.sum((km0.lower <= truth) & (truth <= km0.upper))
    # 200 intervals: binomial SE of a 95 % coverage is 1.5 points
    assert hits["robust"] / (2 * reps) > 0.9
    assert plain_hits / (2 * reps) < 0.5  # the unweighted curve is the source's


def test_errors():
    with pytest.raises(ValueError, match="only 0/1"):
        kaplan_meier([1, 2], [0, 2])
    with pytest.raises(ValueError, match="different lengths"):
        kaplan_meier([1, 2, 3], [0, 1])
    with pytest.raises(ValueError, match="one weight per row"):
        kaplan_meier([1, 2], [1, 1], [1.0])
    with pytest.raises(ValueError, match="variance must be"):
        kaplan_meier([1, 2], [1, 1], variance="greenwood")
    with pytest.raises(ValueError, match="No comparable pairs"):
        concordance_index([1, 2], [0, 0], [0.1, 0.2])
    with pytest.raises(ValueError, match="expected"):
        brier_score([1, 2], [1, 0], np.ones((2, 3)), [1.0, 2.0])


def test_inputs_not_modified_and_lists_accepted():
    time, event, risk, rng = _censored(50, 4)
    w = rng.rand(50)
    copies = [a.copy() for a in (time, event, risk, w)]
    kaplan_meier(time, event, w)
    concordance_index(time, event, risk, w, ipcw=True)
    for a, b in zip((time, event, risk, w), copies, strict=True):
        np.testing.assert_array_equal(a, b)
    km = kaplan_meier(list(time), list(event.astype(int)))
    assert km["survival"].is_monotonic_decreasing
