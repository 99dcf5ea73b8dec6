"""The one normalisation convention and the shared post-processing of weights.

Convention: **weights have mean 1 over the source rows they were fitted on.**
Every weighter and every weighted estimator goes through :class:`WeightTransform`:

1. ``r``: the estimated ratio ``p_target(x) / p_source(x)``, divided by its mean
   over the fit's source rows (done by the weighter, in log space);
2. flattening ``r ** flatten`` (Shimodaira 2000, Sec. 4; Sugiyama, Krauledat &
   Müller 2007, "adaptive importance weighting"), renormalised to mean 1;
   ``flatten=0`` gives uniform weights, ``flatten=1`` the full ratio;
3. optional clipping from above, at a quantile of the flattened weights
   (``clip_quantile``) and/or so that no final weight exceeds ``clip`` times
   the mean weight, followed by renormalisation to mean 1.

The transform is fitted once on the source rows and is then a fixed monotone
map, so :meth:`predict_weights` on new rows is on the scale of ``weights_``.
"""

from numbers import Real

import numpy as np
from scipy.special import logsumexp

from .utils._compat import Interval

# the parameters of WeightTransform, as every weighter and weighted estimator
# declares them in its _parameter_constraints
POSTPROCESS_CONSTRAINTS = {
    "flatten": [Interval(Real, 0, None, closed="left")],
    "clip": [Interval(Real, 1, None, closed="left"), None],
    "clip_quantile": [Interval(Real, 0, 1, closed="neither"), None],
}

ALL_ZERO_WEIGHTS = (
    "All importance weights are zero or not finite: the weighter found no source "
    "row that resembles the target rows. Check that source and target share "
    "features and units, or use a smoother weighter (e.g. a larger kernel width "
    "or more regularisation)."
)


def log_mean_exp(log_values):
    """``log(mean(exp(log_values)))`` without overflow; ``-inf`` entries allowed."""
    log_values = np.asarray(log_values, dtype=float)
    return float(logsumexp(log_values) - np.log(log_values.shape[0]))


def cap_for_max_weight(w, max_weight):
    """Cap ``t`` with ``max(min(w, t)) / mean(min(w, t)) == max_weight``.

    ``g(t) = t / mean(min(w, t))`` is non-decreasing in ``t`` (its derivative has
    the sign of ``mean(w; w <= t) >= 0``), so the fixed point is found exactly
    on the sorted weights: on the segment where ``k`` weights lie below ``t``,
    ``t = c * S_k / (n - c * (n - k))`` with ``S_k`` the sum of those ``k``.
    """
    w = np.sort(np.asarray(w, dtype=float))
    n = w.shape[0]
    mean = w.mean()
    if mean <= 0 or w[-1] / mean <= max_weight:
        return np.inf
    prefix = np.concatenate(([0.0], np.cumsum(w)))  # prefix[k] = S_k
    k = np.arange(1, n)
    denom = n - max_weight * (n - k)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(denom > 0, max_weight * prefix[k] / denom, np.inf)
    lower, upper = w[k - 1], w[k]
    rtol = 1e-12 * max(1.0, w[-1])
    # t = 0 (segments of zero weights) is never a cap: it would zero them all
    ok = (t >= lower - rtol) & (t <= upper + rtol) & (t > 0)
    if ok.any():
        return float(t[np.argmax(ok)])
    # max_weight is below what any threshold can reach (many zero weights):
    # the closest reachable point makes every positive weight equal.
    positive = w[w > 0]
    return float(positive[0])


def _warn_unreachable_clip(clip, f, reached):
    import warnings

    from .exceptions import UnreachableClipWarning

    n_zero = int(np.count_nonzero(f == 0))
    warnings.warn(
        f"clip={clip:g} cannot be met: {n_zero} of {f.shape[0]} weights are 0, so "
        f"mean 1 forces the largest weight to {reached:.3g} (every positive weight "
        "is now equal). Accept that, or use a weighter that leaves fewer zeros.",
        UnreachableClipWarning,
        stacklevel=4,
    )


class WeightTransform:
    """Flatten, clip and renormalise ratios; fitted on the source rows.

    Parameters
    ----------
    flatten : float, default=1.0
        Exponent applied to the ratio.
    clip : float or None, default=None
        Largest allowed final weight, as a multiple of the mean weight (>= 1).
    clip_quantile : float or None, default=None
        Weights above this quantile of the flattened weights are set to it.
    """

    def __init__(self, flatten=1.0, clip=None, clip_quantile=None):
        self.flatten = flatten
        self.clip = clip
        self.clip_quantile = clip_quantile

    def fit(self, ratio):
        """Fit the normalising constants on the (mean-1) source ratios."""
        with np.errstate(over="ignore"):
            f = self._flat(ratio)
        self.scale_, self.log_scale_ = f.mean(), None
        if not (np.isfinite(self.scale_) and self.scale_ > 0):
            # in log space: ratio ** flatten overflows for a large flatten
            # (1e3 on ratios of ~2 gave inf, a mean of inf, blamed on the data)
            log_f = self._log_flat(ratio)
            self.scale_, self.log_scale_ = None, log_mean_exp(log_f)
            if not np.isfinite(self.log_scale_):
                raise ValueError(ALL_ZERO_WEIGHTS)
            f = np.exp(log_f - self.log_scale_)
        else:
            f = f / self.scale_
        cap = np.inf
        if self.clip_quantile is not None:
            cap = float(np.quantile(f, self.clip_quantile))
            if cap <= 0:  # the quantile falls on zero weights: keep the positive
                cap = float(f[f > 0].min())
        if self.clip is not None:
            cap = min(cap, cap_for_max_weight(np.minimum(f, cap), self.clip))
        self.cap_ = cap
        self.renorm_ = float(np.minimum(f, cap).mean())
        # the largest weight reached, not the cap: cap is inf when no weight
        # exceeds clip, which is no failure to meet it
        reached = float(np.minimum(f, cap).max()) / self.renorm_ if f.size else 0.0
        if self.clip is not None and reached > self.clip * (1 + 1e-9):
            _warn_unreachable_clip(self.clip, f, reached)
        return self

    def transform(self, ratio):
        """Map ratios to weights on the scale fitted by :meth:`fit`."""
        if self.log_scale_ is None:
            with np.errstate(over="ignore"):
                f = self._flat(ratio) / self.scale_
        else:  # capped at exp(700), finite, like BaseWeighter.predict_ratio
            f = np.exp(np.minimum(self._log_flat(ratio) - self.log_scale_, 700.0))
        return np.minimum(f, self.cap_) / self.renorm_

    def fit_transform(self, ratio):
        """Fit, then transform the same ratios (mean 1 by construction)."""
        return self.fit(ratio).transform(ratio)

    def _flat(self, ratio):
        ratio = np.asarray(ratio, dtype=float)
        if self.flatten == 1:
            return ratio
        # 0 ** 0 == 1: flatten=0 gives uniform weights even where the ratio is 0.
        return np.power(ratio, self.flatten)

    def _log_flat(self, ratio):
        ratio = np.asarray(ratio, dtype=float)
        if self.flatten == 0:
            # 0 ** 0 == 1: uniform weights even where the ratio is 0
            return np.zeros(ratio.shape)
        with np.errstate(divide="ignore"):
            return self.flatten * np.log(ratio)


def postprocess_weights(weights, flatten=1.0, clip=None, clip_quantile=None):
    """Flatten, clip and renormalise weights to mean 1 (one-shot helper).

    Parameters
    ----------
    weights : array-like of shape (n_samples,)
        Non-negative weights or ratios.
    flatten : float, default=1.0
        Exponent ``lambda`` in ``w ** lambda``. On weights already flattened
        with exponent ``a`` (a weighter's ``flatten``) the exponents multiply:
        the result is the ratio to the power ``a * lambda``.
    clip : float or None, default=None
        Largest allowed final weight, as a multiple of the mean (>= 1).
    clip_quantile : float or None, default=None
        Quantile of the flattened weights above which weights are capped.

    Returns
    -------
    ndarray of shape (n_samples,)
        Weights with mean 1.

    Examples
    --------
    >>> from instransfer._weights import postprocess_weights
    >>> postprocess_weights([1.0, 1.0, 4.0], clip=1.5)
    array([0.75, 0.75, 1.5 ])
    >>> postprocess_weights([0.0, 1.0, 2.0], flatten=0)
    array([1., 1., 1.])
    """
    w = np.asarray(weights, dtype=float)
    mean = w.mean()
    return WeightTransform(flatten, clip, clip_quantile).fit_transform(w / mean)


def mean_over_duplicates(X, values):
    """Replace ``values`` of identical rows of ``X`` by their group's mean.

    A solver whose objective sees identical rows only through their sum (KMM's
    QP: identical rows have identical Gram columns) may split a group's total
    any way, and which split it returns depends on the order of the rows.
    Averaging keeps the objective, and the box and sum constraints (convex),
    and gives identical rows one weight whatever their order.
    """
    _, inverse, counts = np.unique(X, axis=0, return_inverse=True, return_counts=True)
    if counts.max() == 1:
        return values
    inverse = inverse.ravel()
    sums = np.bincount(inverse, weights=values, minlength=counts.shape[0])
    return (sums / counts)[inverse]
