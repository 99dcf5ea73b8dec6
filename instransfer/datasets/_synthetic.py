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
