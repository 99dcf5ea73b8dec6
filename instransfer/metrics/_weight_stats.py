"""Summaries of a weight vector: effective sample size, spread, truncation.

Kish's effective sample size ``ESS = (sum w)² / sum w²`` is the size of an
unweighted sample whose weighted mean has the same variance as the weighted
one, for an outcome unrelated to the weights (Kish, "Survey Sampling", 1965,
sec. 11.7). The design effect is ``n / ESS = 1 + CV²`` with the coefficient of
variation ``CV = std(w) / mean(w)`` (population ``std``, ``ddof=0``).
"""

import math
import warnings
from numbers import Real

import numpy as np

from .._validation import negative_weights_message
from .._weights import WeightTransform, postprocess_weights
from ..exceptions import LowEffectiveSampleSizeWarning  # noqa: F401 (old path)

__all__ = [
    "LowEffectiveSampleSizeWarning",
    "design_effect",
    "domain_probability",
    "effective_sample_size",
    "ess_by_flatten",
    "truncate_weights",
    "weight_summary",
]

DEFAULT_QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)


def _check_weights(weights, name="weights"):
    """1-D float copy of non-negative finite weights with a positive sum."""
    w = np.asarray(weights)
    if w.ndim == 2 and w.shape[1] == 1:
        w = w.ravel()
    if w.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got an array of shape {w.shape}.")
    if w.shape[0] == 0:
        raise ValueError(f"{name} is empty; at least one weight is needed.")
    try:
        w = w.astype(float)  # astype copies: callers never see our edits
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric; got dtype {w.dtype}.") from exc
    if not np.isfinite(w).all():
        raise ValueError(
            f"{name} contains NaN or infinite values ({int((~np.isfinite(w)).sum())} "
            "of them); importance weights must be finite."
        )
    if (w < 0).any():
        raise ValueError(negative_weights_message(name, w))
    if w.sum() <= 0:
        raise ValueError(f"{name} are all zero; at least one must be positive.")
    return w


def _index_of(weights):
    import pandas as pd

    return weights.index if isinstance(weights, pd.Series) else None


def effective_sample_size(weights):
    """Kish's effective sample size ``(sum w)² / sum w²``.

    Equal to ``n`` for uniform weights, to 1 when one weight carries
    everything, and unchanged by rescaling the weights.

    Parameters
    ----------
    weights : array-like of shape (n_samples,)
        Non-negative weights.

    Returns
    -------
    ess : float
        Between 1 and ``n``.

    See Also
    --------
    design_effect : ``n / ESS``.
    weight_summary : ESS with the spread of the weights.

    References
    ----------
    .. [1] L. Kish, "Survey Sampling", Wiley, 1965, sec. 11.7.

    Examples
    --------
    >>> from instransfer.metrics import effective_sample_size
    >>> effective_sample_size([1, 1, 1, 1])
    4.0
    >>> effective_sample_size([0, 0, 3, 0])
    1.0
    """
    w = _check_weights(weights)
    # divide by the largest weight first: squares of huge weights cannot overflow
    w = w / w.max()
    return float(w.sum() ** 2 / np.dot(w, w))


def design_effect(weights):
    """Kish's design effect ``n / ESS = 1 + CV²`` of the weights.

    The factor by which weighting inflates the variance of a mean compared
    with an unweighted sample of the same size.

    Parameters
    ----------
    weights : array-like of shape (n_samples,)
        Non-negative weights.

    Returns
    -------
    deff : float
        At least 1.

    Examples
    --------
    >>> from instransfer.metrics import design_effect
    >>> design_effect([1, 1, 1, 1])
    1.0
    >>> design_effect([1, 1, 1, 5])  # 1 + CV², CV = sqrt(3) / 2
    1.75
    """
    w = _check_weights(weights)
    return float(w.shape[0] / effective_sample_size(w))


def _top_share(w, fraction=0.01):
    k = max(1, math.ceil(fraction * w.shape[0]))
    return float(np.sort(w)[-k:].sum() / w.sum())


def weight_summary(weights, *, quantiles=DEFAULT_QUANTILES, min_ess_fraction=0.1):
    """Distribution of the weights, ESS and concentration, in one Series.

    Parameters
    ----------
    weights : array-like of shape (n_samples,)
        Non-negative weights (e.g. ``weighter.weights_``).
    quantiles : sequence of float, default=(0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
        Quantiles to report, labelled ``p1``, ``p5``, ... (percent).
    min_ess_fraction : float or None, default=0.1
        Warn with :class:`LowEffectiveSampleSizeWarning` when ``ESS / n`` is
        below it; ``None`` never warns.

    Returns
    -------
    summary : pandas.Series
        ``n``, ``n_zero``, ``min``, the quantiles, ``max``, ``mean``, ``cv``
        (``std / mean``, ``ddof=0``), ``ess``, ``ess_fraction`` (``ess / n``),
        ``design_effect`` (``n / ess = 1 + cv²``) and ``top1pct_share``, the
        share of the total weight held by the largest 1 % of the weights
        (at least one weight; ``0.01`` means no concentration).

    Warns
    -----
    LowEffectiveSampleSizeWarning
        When ``ess / n < min_ess_fraction``.

    See Also
    --------
    effective_sample_size : Kish's ESS alone.
    truncate_weights : Cap the largest weights, reporting the ESS gained.

    Examples
    --------
    >>> from instransfer.metrics import weight_summary
    >>> s = weight_summary([1.0, 1.0, 1.0, 1.0], min_ess_fraction=None)
    >>> s[["ess", "cv", "top1pct_share"]].tolist()
    [4.0, 0.0, 0.25]
    """
    import pandas as pd

    w = _check_weights(weights)
    if min_ess_fraction is not None and not (
        isinstance(min_ess_fraction, Real) and 0 <= min_ess_fraction <= 1
    ):
        raise ValueError(
            f"min_ess_fraction must be a number in [0, 1] or None; got "
            f"{min_ess_fraction!r}."
        )
    q = np.asarray(quantiles, dtype=float).ravel()
    if ((q < 0) | (q > 1)).any():
        raise ValueError(f"quantiles must lie in [0, 1]; got {list(quantiles)}.")
    n = w.shape[0]
    ess = effective_sample_size(w)
    mean = w.mean()
    values = {"n": float(n), "n_zero": float(np.count_nonzero(w == 0)), "min": w.min()}
    values.update(
        {f"p{100 * qi:g}": v for qi, v in zip(q, np.quantile(w, q), strict=True)}
    )
    values.update(
        {
            "max": w.max(),
            "mean": mean,
            "cv": w.std() / mean,
            "ess": ess,
            "ess_fraction": ess / n,
            "design_effect": n / ess,
            "top1pct_share": _top_share(w),
        }
    )
    if min_ess_fraction is not None and ess / n < min_ess_fraction:
        warnings.warn(
            f"The effective sample size is {ess:.1f} of {n} rows "
            f"({100 * ess / n:.1f} %), below min_ess_fraction={min_ess_fraction:g}: "
            "a few rows dominate any weighted fit. Flatten the weights (flatten < 1, "
            "e.g. chosen by ImportanceWeightedClassifierCV) or truncate them "
            "(instransfer.metrics.truncate_weights).",
            LowEffectiveSampleSizeWarning,
            stacklevel=2,
        )
    return pd.Series(values, name="weights", dtype=float)


def truncate_weights(weights, *, quantile=None, max_weight=None):
    """Cap the largest weights at a quantile or at an absolute value.

    Weights are first scaled to mean 1 (the project's convention); those above
    the cap are set to it and the result is scaled back to mean 1. This is
    "trimming" in WeightIt's ``trim()`` and "truncation" in much of the
    epidemiology literature (Cole & Hernán, 2008): no row is dropped. It
    trades bias for variance; the returned ESS before and after say how much
    variance was bought.

    Parameters
    ----------
    weights : array-like of shape (n_samples,)
        Non-negative weights (any scale).
    quantile : float in (0, 1) or None, default=None
        Cap the weights at this quantile of theirs (e.g. ``0.99``).
    max_weight : float >= 1 or None, default=None
        Largest allowed final weight on the mean-1 scale. The cap is found
        exactly, accounting for the renormalisation after capping.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``weights`` (mean 1; a Series with the input's index when given one),
        ``threshold`` (the cap on the input's scale), ``n_truncated`` (weights
        that were capped), ``ess_before`` and ``ess_after``.

    See Also
    --------
    weight_summary : Spread and concentration of weights.
    instransfer.base.BaseWeighter : ``clip`` and ``clip_quantile`` do the same
        inside any weighter.

    References
    ----------
    .. [1] S. R. Cole and M. A. Hernán, "Constructing inverse probability
       weights for marginal structural models", Am. J. Epidemiol. 168(6), 2008.

    Examples
    --------
    >>> from instransfer.metrics import truncate_weights
    >>> res = truncate_weights([1.0, 1.0, 1.0, 9.0], max_weight=2.0)
    >>> res.weights
    array([0.66666667, 0.66666667, 0.66666667, 2.        ])
    >>> res.n_truncated, round(res.ess_before, 2), round(res.ess_after, 2)
    (1, 1.71, 3.0)
    """
    import pandas as pd
    from sklearn.utils import Bunch

    if quantile is None and max_weight is None:
        raise ValueError("Give quantile= and/or max_weight= to truncate the weights.")
    if quantile is not None and not (isinstance(quantile, Real) and 0 < quantile < 1):
        raise ValueError(f"quantile must be in (0, 1); got {quantile!r}.")
    if max_weight is not None and not (
        isinstance(max_weight, Real) and max_weight >= 1
    ):
        raise ValueError(
            f"max_weight is a final weight on the mean-1 scale and must be >= 1; got "
            f"{max_weight!r}."
        )
    w = _check_weights(weights)
    mean = w.mean()
    transform = WeightTransform(1.0, clip=max_weight, clip_quantile=quantile)
    out = transform.fit_transform(w / mean)
    n_truncated = int(np.count_nonzero(w / mean > transform.cap_))
    index = _index_of(weights)
    if index is not None:
        out = pd.Series(out, index=index, name=getattr(weights, "name", None))
    return Bunch(
        weights=out,
        threshold=float(transform.cap_ * mean),
        n_truncated=n_truncated,
        ess_before=effective_sample_size(w),
        ess_after=effective_sample_size(out),
    )


def ess_by_flatten(weights, flatten=None):
    """ESS of the flattened weights ``w ** lambda`` over a grid of ``lambda``.

    Parameters
    ----------
    weights : array-like of shape (n_samples,)
        Full importance weights (``flatten=1``), e.g. ``weights_`` of a weighter
        fitted with the default ``flatten``.
    flatten : array-like of float or None, default=None
        Exponents to evaluate; ``None`` means 0, 0.1, ..., 1.

    Returns
    -------
    path : pandas.DataFrame
        One row per exponent: ``flatten``, ``ess``, ``ess_fraction`` and
        ``max_weight`` (largest weight on the mean-1 scale).

    Examples
    --------
    >>> from instransfer.metrics import ess_by_flatten
    >>> ess_by_flatten([1.0, 4.0], flatten=[0, 1])["ess"].tolist()
    [2.0, 1.4705882352941178]
    """
    import pandas as pd

    w = _check_weights(weights)
    lambdas = np.linspace(0, 1, 11) if flatten is None else np.asarray(flatten, float)
    if lambdas.ndim != 1 or (lambdas < 0).any() or not np.isfinite(lambdas).all():
        raise ValueError(f"flatten must be non-negative finite numbers; got {flatten}.")
    rows = []
    for lam in lambdas:
        wl = postprocess_weights(w, flatten=float(lam))
        ess = effective_sample_size(wl)
        rows.append((float(lam), ess, ess / w.shape[0], float(wl.max())))
    return pd.DataFrame(rows, columns=["flatten", "ess", "ess_fraction", "max_weight"])


def domain_probability(weighter, X):
    """Probability that a row is a target row, implied by a fitted weighter.

    By Bayes' rule the odds of the target domain are
    ``(n_t / n_s) * p_t(x) / p_s(x)``, so any density-ratio estimate implies a
    domain "propensity score". For :class:`~instransfer.ClassifierWeighter` it
    is the domain classifier's own probability. Overlap of these scores
    between source and target rows (see
    :func:`~instransfer.plotting.plot_domain_overlap`) shows how much of the
    target lies where source rows are rare.

    Parameters
    ----------
    weighter : fitted weighter
        Any fitted :class:`~instransfer.base.BaseWeighter`.
    X : array-like of shape (n_samples, n_features)
        Rows to score.

    Returns
    -------
    proba : ndarray of shape (n_samples,)
        ``P(target | x)`` under the fit's domain proportions.
    """
    from scipy.special import expit
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(weighter)
    if not hasattr(weighter, "predict_ratio") or not hasattr(weighter, "n_target_"):
        raise TypeError(
            "domain_probability needs a fitted weighter (e.g. ClassifierWeighter); "
            f"got {type(weighter).__name__}."
        )
    with np.errstate(divide="ignore"):
        log_ratio = np.log(weighter.predict_ratio(X)) + weighter.log_norm_
    return expit(log_ratio + np.log(weighter.n_target_ / weighter.n_source_))
