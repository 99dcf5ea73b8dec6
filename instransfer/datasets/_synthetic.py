"""Covariate-shift problems whose density ratio is known in closed form."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch, check_random_state

from ..utils._compat import Interval, StrOptions, validate_params


def _check_shift(shift, n_features):
    """The target mean as a finite vector of ``n_features`` entries."""
    try:
        mu = np.asarray(shift, dtype=float)
        mu = np.broadcast_to(mu, (n_features,))
    except (TypeError, ValueError):
        raise ValueError(
            f"shift must be a number or {n_features} numbers (one per feature); "
            f"got {shift!r}."
        ) from None
    if not np.isfinite(mu).all():
        raise ValueError(f"shift must be finite; got {shift!r}.")
    return mu


def gaussian_log_ratio(X, shift=0.5, target_scale=0.8):
    """Log of ``N(x; shift, target_scale²I) / N(x; 0, I)``, the true log-ratio.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Rows to evaluate.
    shift : float or array-like of shape (n_features,), default=0.5
        Mean of the target distribution (the source has mean 0).
    target_scale : float, default=0.8
        Standard deviation of each target coordinate (the source has 1).

    Returns
    -------
    log_ratio : ndarray of shape (n_samples,)
        ``log p_target(x) - log p_source(x)``, computed in log space so it never
        underflows, whatever the dimension.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (rows x features); got shape {X.shape}.")
    d = X.shape[1]
    mu = _check_shift(shift, d)
    if not (isinstance(target_scale, Real) and 0 < target_scale < np.inf):
        raise ValueError(
            f"target_scale must be a positive finite number; got {target_scale!r}."
        )
    s2 = float(target_scale) ** 2
    return (
        -0.5 * ((X - mu) ** 2).sum(axis=1) / s2
        + 0.5 * (X**2).sum(axis=1)
        - d * np.log(target_scale)
    )


@validate_params(
    {
        "n_source": [Interval(Integral, 2, None, closed="left")],
        "n_target": [Interval(Integral, 2, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "shift": [Interval(Real, None, None, closed="neither"), "array-like"],
        "target_scale": [Interval(Real, 0, None, closed="neither")],
        "task": [StrOptions({"classification", "regression"})],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_covariate_shift(
    n_source=500,
    n_target=500,
    n_features=2,
    *,
    shift=0.5,
    target_scale=0.8,
    task="classification",
    noise=0.3,
    random_state=None,
):
    """Draw a covariate-shift problem with a closed-form density ratio.

    Source rows are drawn from ``N(0, I)``, target rows from
    ``N(shift, target_scale² I)``, so ``p_t(x) / p_s(x)`` is known exactly
    (:func:`gaussian_log_ratio`). Labels follow the same conditional law in both
    domains and depend non-linearly on the first feature, so a linear model is
    misspecified and importance weighting has something to correct (Shimodaira,
    2000, Sec. 2).

    Parameters
    ----------
    n_source, n_target : int, default=500
        Rows per domain.
    n_features : int, default=2
        Number of features.
    shift : float or array-like of shape (n_features,), default=0.5
        Mean of the target distribution.
    target_scale : float, default=0.8
        Standard deviation of each target coordinate.
    task : {"classification", "regression"}, default="classification"
        Kind of label.
    noise : float, default=0.3
        Noise level of the label: the standard deviation of the Gaussian
        regression noise; for classification, the scale of the logistic noise
        added to the latent score (its standard deviation is
        ``noise * pi / sqrt(3)``).
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``X`` (stacked, source rows first), ``y`` (labels of every row, target
        included, for evaluation), ``domain`` (0/1), ``true_ratio`` (the exact
        ``p_t / p_s`` at every row) and ``log_ratio``.

    Examples
    --------
    >>> from instransfer.datasets import make_covariate_shift
    >>> data = make_covariate_shift(n_source=100, n_target=50, random_state=0)
    >>> data.X.shape, data.domain.sum()
    ((150, 2), 50)
    """
    if task not in ("classification", "regression"):
        raise ValueError(
            f"task must be 'classification' or 'regression', got {task!r}."
        )
    if not (np.isscalar(target_scale) and np.isfinite(target_scale)) or not (
        target_scale > 0
    ):
        raise ValueError(
            f"target_scale must be a positive number (the target's standard "
            f"deviation in every feature), got {target_scale!r}."
        )
    mu = _check_shift(shift, n_features)
    if not np.isfinite(noise) or not np.isfinite(target_scale):
        raise ValueError(
            f"noise and target_scale must be finite; got {noise!r} and "
            f"{target_scale!r}."
        )
    rng = check_random_state(random_state)
    Xs = rng.standard_normal((n_source, n_features))
    Xt = mu + target_scale * rng.standard_normal((n_target, n_features))
    X = np.vstack([Xs, Xt])
    domain = np.r_[np.zeros(n_source, dtype=int), np.ones(n_target, dtype=int)]
    x0 = X[:, 0]
    signal = np.sinc(x0) + 0.3 * x0  # curved in x0: a line cannot fit it everywhere
    if task == "regression":
        y = signal + noise * rng.standard_normal(X.shape[0])
    else:
        latent = 4.0 * (signal - 0.5) + noise * rng.logistic(size=X.shape[0])
        y = (latent > 0).astype(int)
    log_ratio = gaussian_log_ratio(X, mu, target_scale)
    return Bunch(
        X=X, y=y, domain=domain, true_ratio=np.exp(log_ratio), log_ratio=log_ratio
    )


# Kinds of shift of make_ratio_problem: what the first (relevant) coordinates
# do; the other coordinates are N(0, 1) in both domains (irrelevant columns).
RATIO_PROBLEM_KINDS = ("mean_shift", "scale", "mixture", "heavy_tails")


def _t3_logpdf(z):
    # Student t with 3 degrees of freedom: log Gamma(2) - log Gamma(3/2)
    # - log(pi * 3) / 2 - 2 log(1 + z^2 / 3)
    from scipy.special import gammaln

    c = gammaln(2.0) - gammaln(1.5) - 0.5 * np.log(3 * np.pi)
    return c - 2.0 * np.log1p(z * z / 3.0)


def make_ratio_problem(
    kind="mean_shift",
    n_source=500,
    n_target=500,
    n_features=2,
    *,
    n_relevant=None,
    random_state=None,
):
    """Draw source and target rows whose density ratio is known in closed form.

    A family of shifts for measuring density-ratio estimators. The first
    ``n_relevant`` coordinates carry the shift; the others are ``N(0, 1)`` in
    both domains, so they are irrelevant to the ratio (it depends on the
    relevant coordinates only). Per relevant coordinate ``x_j``:

    - ``"mean_shift"``: source ``N(0, 1)``, target ``N(1 / sqrt(k), 1)``
      (``k`` relevant coordinates: a shift of one standard deviation in all);
      ``log w = sum_j (x_j / sqrt(k) - 1 / (2k))``.
    - ``"scale"``: source ``N(0, 1)``, target ``N(0, 0.7^2)``, narrower;
      ``log w = sum_j (-log 0.7 - x_j^2 / (2 * 0.49) + x_j^2 / 2)``.
    - ``"mixture"``: source ``N(0, 1.5^2)``, target the bimodal mixture
      ``1/2 N(-1, 0.5^2) + 1/2 N(1, 0.5^2)``; the ratio is a difference of
      log-sum-exps.
    - ``"heavy_tails"``: source Student ``t_3``, target ``t_3`` shifted by 1
      (outlying rows in both domains); ``log w = log t_3(x_j - 1) - log
      t_3(x_j)``.

    Every ratio has a finite second moment under the source, so the NMSE of
    an estimate is well defined.

    Parameters
    ----------
    kind : {"mean_shift", "scale", "mixture", "heavy_tails"}, default="mean_shift"
        The shift of the relevant coordinates.
    n_source, n_target : int, default=500
        Rows per domain.
    n_features : int, default=2
        Number of columns.
    n_relevant : int or None, default=None
        Coordinates that carry the shift; ``None``: ``min(n_features, 2)``.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``X`` (stacked, source rows first), ``domain`` (0/1), ``true_ratio``
        and ``log_ratio`` (exact, at every row), ``kind``.

    Examples
    --------
    >>> from instransfer.datasets import make_ratio_problem
    >>> data = make_ratio_problem("scale", 200, 100, 5, random_state=0)
    >>> data.X.shape, round(float(data.true_ratio[data.domain == 0].mean()), 1)
    ((300, 5), 1.0)
    """
    if kind not in RATIO_PROBLEM_KINDS:
        raise ValueError(f"kind must be one of {RATIO_PROBLEM_KINDS}, got {kind!r}.")
    k = min(n_features, 2) if n_relevant is None else int(n_relevant)
    if not 1 <= k <= n_features:
        raise ValueError(
            f"n_relevant must be between 1 and n_features={n_features}; got {k}."
        )
    rng = check_random_state(random_state)
    Xs = rng.standard_normal((n_source, n_features))
    Xt = rng.standard_normal((n_target, n_features))
    if kind == "mean_shift":
        Xt[:, :k] += 1.0 / np.sqrt(k)
    elif kind == "scale":
        Xt[:, :k] *= 0.7
    elif kind == "mixture":
        Xs[:, :k] *= 1.5
        sign = np.where(rng.random_sample((n_target, k)) < 0.5, -1.0, 1.0)
        Xt[:, :k] = sign + 0.5 * Xt[:, :k]
    else:
        Xs[:, :k] = rng.standard_t(3, (n_source, k))
        Xt[:, :k] = 1.0 + rng.standard_t(3, (n_target, k))
    X = np.vstack([Xs, Xt])
    Z = X[:, :k]
    if kind == "mean_shift":
        log_ratio = (Z / np.sqrt(k) - 0.5 / k).sum(axis=1)
    elif kind == "scale":
        log_ratio = (-np.log(0.7) - Z**2 / (2 * 0.49) + Z**2 / 2).sum(axis=1)
    elif kind == "mixture":
        from scipy.special import logsumexp

        def log_norm(z, m, s):
            return -0.5 * ((z - m) / s) ** 2 - np.log(s) - 0.5 * np.log(2 * np.pi)

        log_t = logsumexp([log_norm(Z, -1, 0.5), log_norm(Z, 1, 0.5)], axis=0)
        log_t -= np.log(2)
        log_ratio = (log_t - log_norm(Z, 0, 1.5)).sum(axis=1)
    else:
        log_ratio = (_t3_logpdf(Z - 1.0) - _t3_logpdf(Z)).sum(axis=1)
    domain = np.r_[np.zeros(n_source, dtype=int), np.ones(n_target, dtype=int)]
    return Bunch(
        X=X,
        domain=domain,
        true_ratio=np.exp(log_ratio),
        log_ratio=log_ratio,
        kind=kind,
    )
