"""Overlap (positivity): the target rows that have comparable source rows.

Importance weighting can only move source rows toward the target where the
source has rows: ``w(x) = p_t(x) / p_s(x)`` is unbounded, and no estimate of
it is reliable, where ``p_s(x) = 0`` (the positivity assumption; Petersen,
Porter, Gruber, Wang & van der Laan, "Diagnosing and responding to violations
in the positivity assumption", Stat. Methods Med. Res. 21(1), 2012). A target
row is flagged as *without support* when either of two checks says so:

- **domain classifier**: its cross-fitted probability of being a target row,
  on balanced domains (``e(x) = w(x) / (1 + w(x))``), exceeds ``1 - alpha``.
  This is the propensity-score rule of Crump, Hotz, Imbens & Mitnik
  ("Dealing with limited overlap in estimation of average treatment
  effects", Biometrika 96(1), 2009, Sec. 4: keep ``alpha <= e(x) <= 1 -
  alpha``) applied to the target side only. ``alpha = 0.01`` means ``w(x) >
  99``: fewer than one source row per 99 target rows around ``x``.
- **nearest neighbours**: none of its ``k`` nearest rows of the pooled
  sample is a source row, ``k`` chosen so that 7 source rows are expected
  among them without a shift (then a false flag has probability ~e^-7; the
  nearest-neighbour ratio of Loog, 2012, would be infinite there). It sees
  gaps that a linear classifier cannot (a target in both tails, a hole).
- **range**: its value of a continuous column lies beyond every source
  row's by more than half the source's SD, in a tail holding more target rows
  than exchangeable rows would put there (a Bonferroni-corrected 0.001 test
  over the tails): the rows past a hard cut, which the other two checks blur
  when other columns add distance.

Both run on the encoding of :func:`~instransfer.metrics.balance_table`
(numeric columns standardised, missing values imputed by the median, one 0/1
column per category level).
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch

__all__ = ["overlap_report"]

from .._diagnostics import _subsample, encode_covariates
from .._support import _describe_regions, _support


def _stacked(X, y):
    """``(X, is_target)`` from a stacked ``(X, domain)`` or ``(X_source, X_target)``."""
    from .._validation import _num_rows
    from ..utils._domain import check_domain, stack_domains

    if y is None:
        raise ValueError(
            "Give the domain of each row (overlap_report(X, domain)) or the target "
            "rows (overlap_report(X_source, X_target))."
        )
    if hasattr(y, "shape") and len(y.shape) == 2:
        X, domain = stack_domains(X, y)
        return X, domain.astype(bool)
    return X, check_domain(y, _num_rows(X))


def overlap_report(
    X, y=None, *, alpha=0.01, cv=5, max_rows=None, random_state=0, feature_names=None
):
    """How much of the target lies outside the source's support, and where.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        Stacked source and target rows (with ``y`` the domain), or the source
        rows alone (with ``y`` the target rows). DataFrames may hold text and
        category columns and missing values (encoded as
        :func:`balance_table` does).
    y : array-like of shape (n_samples,), or of shape (n_target, n_features)
        The domain of each row of ``X`` (0 source, 1 target), or ``X_target``.
    alpha : float in (0, 0.5), default=0.01
        A target row whose cross-fitted balanced probability of being a
        target row exceeds ``1 - alpha`` is unsupported (Crump et al., 2009);
        ``0.01`` means an estimated ratio above 99.
    cv : int, default=5
        Folds of the cross-fitted domain classifier (logistic regression).
    max_rows : int or None, default=None
        Subsample each domain to at most this many rows (seeded) to bound the
        cost; the counts then refer to the subsample.
    random_state : int, default=0
        Seed of the folds and of the subsample.
    feature_names : list of str, default=None
        Column names for array input (DataFrames use their own).

    Returns
    -------
    report : :class:`~sklearn.utils.Bunch`
        - ``share_unsupported``, ``n_unsupported``, ``n_target``, ``n_source``;
        - ``unsupported``: bool array over the rows of the stacked ``X``, True
          for a target row without support;
        - ``keep``: its complement, True for every source row and every
          supported target row: ``X[keep], domain[keep]`` restricts the target
          population to the common support. **The estimand changes**: the
          answer is then about this sub-population, not the whole target;
          report the rule (``regions``) with it;
        - ``propensity``: cross-fitted ``P(target | x)`` on balanced domains;
        - ``by_classifier``, ``by_neighbours``, ``by_range``: which check
          flagged a row;
        - ``regions``: DataFrame of rules (``rule``, ``n_target``,
          ``n_source``, ``n_unsupported``, ``text``), e.g. ``"age > 78: 64
          target rows, 0 source rows"``;
        - ``summary``: one sentence for a report.

    See Also
    --------
    shift_test : Is there a shift at all?
    balance_table : Balance of the covariates after weighting.

    References
    ----------
    .. [1] R. K. Crump, V. J. Hotz, G. W. Imbens and O. A. Mitnik, "Dealing
       with limited overlap in estimation of average treatment effects",
       Biometrika 96(1), 2009.
    .. [2] M. L. Petersen, K. E. Porter, S. Gruber, Y. Wang and M. J. van der
       Laan, "Diagnosing and responding to violations in the positivity
       assumption", Statistical Methods in Medical Research 21(1), 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from instransfer.metrics import overlap_report
    >>> rng = np.random.RandomState(0)
    >>> age = np.r_[rng.uniform(20, 60, 200), rng.uniform(40, 80, 200)]
    >>> domain = np.r_[np.zeros(200), np.ones(200)]
    >>> rep = overlap_report(age[:, None], domain, feature_names=["age"])
    >>> 0.3 < rep.share_unsupported < 0.55
    True
    >>> print(rep.summary)  # doctest: +NORMALIZE_WHITESPACE
    44 % of the target (88 of 200 rows) has no comparable source rows:
    age > 61.61: 88 target rows, 0 source rows.
    """
    if not (isinstance(alpha, Real) and 0 < alpha < 0.5):
        raise ValueError(f"alpha must be a number in (0, 0.5); got {alpha!r}.")
    if not (isinstance(cv, Integral) and cv >= 2):
        raise ValueError(f"cv must be an integer >= 2; got {cv!r}.")
    if max_rows is not None and not (isinstance(max_rows, Integral) and max_rows >= 2):
        raise ValueError(f"max_rows must be an integer >= 2 or None; got {max_rows!r}.")
    X, is_target = _stacked(X, y)
    names = list(getattr(X, "columns", [])) or feature_names
    Z, names, indicator = encode_covariates(X, names)
    if hasattr(Z, "toarray"):
        Z = Z.toarray()
    rows = np.arange(is_target.shape[0])
    if max_rows is not None:
        rows = _subsample(is_target, max_rows, np.random.RandomState(random_state))
        Z, is_target = Z[rows], is_target[rows]
    flags = _support(
        Z, is_target, indicator, alpha=alpha, cv=cv, random_state=random_state
    )
    bad = flags["unsupported"]
    n_t, n_bad = int(is_target.sum()), int(bad.sum())
    regions = _describe_regions(Z, is_target, bad, names, indicator)
    share = n_bad / n_t
    if n_bad == 0:
        summary = f"Every target row ({n_t}) has comparable source rows."
    else:
        where = "; ".join(regions["text"]) if len(regions) else "scattered"
        summary = (
            f"{100 * share:.0f} % of the target ({n_bad} of {n_t} rows) has no "
            f"comparable source rows: {where}."
        )
    from scipy.special import expit

    return Bunch(
        share_unsupported=share,
        n_unsupported=n_bad,
        n_target=n_t,
        n_source=int((~is_target).sum()),
        unsupported=bad,
        keep=~bad,
        propensity=expit(flags["log_ratio"]),
        by_classifier=flags["by_classifier"],
        by_neighbours=flags["by_neighbours"],
        by_range=flags["by_range"],
        regions=regions,
        rows=rows,
        summary=summary,
    )
