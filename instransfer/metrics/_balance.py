"""Covariate balance between weighted source rows and target rows.

The statistics and defaults follow the conventions of R's cobalt (Greifer,
``bal.tab``), with the target sample in the role of cobalt's "treated" group
under the ATT estimand: the target is the population we want to describe,
so its standard deviation is the default yardstick.

- Continuous covariates: standardised mean difference
  ``SMD = (mean_w(source) - mean(target)) / s`` before (uniform weights) and
  after weighting. The denominator ``s`` is **unweighted and the same before
  and after**, so a change in SMD is a change in means only: ``sd="target"``
  (default) uses the target sample's SD, ``sd="pooled"`` uses
  ``sqrt((var_source + var_target) / 2)`` (both unweighted, ``ddof=1``), as
  cobalt's ``s.d.denom`` options do (Austin & Stuart, 2015, eq. 1).
- Binary covariates and each level of a categorical one: the difference of
  proportions (cobalt's default for binary variables), which is on a natural
  scale and is not inflated for rare levels.
- Variance ratio ``var_w(source) / var(target)``, with the unbiased weighted
  variance ``sum w (x - m)² / (V1 - V2 / V1)``, ``V1 = sum w``,
  ``V2 = sum w²`` ("reliability" weights, ``ddof=1`` for uniform weights).
- Kolmogorov–Smirnov statistic ``sup_x |F_w(x) - F_target(x)|`` with the
  weighted empirical CDF of the source (Austin & Stuart, 2015, sec. 4.1.3).
"""

import warnings
from numbers import Real

import numpy as np

from .._validation import power_of_two_scale
from ._weight_stats import _check_weights, effective_sample_size

__all__ = ["balance_table"]

COLUMNS = [
    "variable",
    "level",
    "type",
    "mean_target",
    "mean_source",
    "mean_weighted",
    "diff_before",
    "diff_after",
    "var_ratio_before",
    "var_ratio_after",
    "ks_before",
    "ks_after",
    "imbalanced_before",
    "imbalanced_after",
    "target_only",
    "collapsed",
]
_FLOATS = COLUMNS[3:12]

_MISSING = "<NA>"


def weighted_ecdf_distance(x_source, w_source, x_target, w_target=None):
    """``sup_x |F_source,w(x) - F_target,w(x)|`` of two weighted samples.

    Both empirical CDFs are right-continuous step functions jumping only at
    sample values, so the supremum is attained at one of those values and
    evaluating both CDFs on the union of the values is exact.
    """
    grid = np.unique(np.concatenate([x_source, x_target]))

    def ecdf(x, w):
        order = np.argsort(x, kind="stable")
        cum = np.cumsum(w[order])
        cum /= cum[-1]
        k = np.searchsorted(x[order], grid, side="right")
        return np.where(k > 0, cum[np.maximum(k - 1, 0)], 0.0)

    if w_target is None:
        w_target = np.ones(x_target.shape[0])
    return float(np.max(np.abs(ecdf(x_source, w_source) - ecdf(x_target, w_target))))


def _weighted_var(x, w):
    if x.size and x.min() == x.max():
        return 0.0  # exactly: the dot products below leave rounding residue
    v1 = w.sum()
    v2 = np.dot(w, w)
    denom = v1 - v2 / v1
    if denom <= 0:  # a single row carries all the weight
        return np.nan
    m = np.dot(w, x) / v1
    return float(np.dot(w, (x - m) ** 2) / denom)


def _ratio(num, den):
    if den > 0:
        return num / den
    if np.isnan(num):
        return np.nan
    return 1.0 if num == 0 else np.inf


def _standardised(diff, s, s_fallback):
    s = s if s > 0 else s_fallback
    if s > 0:
        return diff / s
    # constant in both samples: equal constants balance exactly
    return 0.0 if diff == 0 else np.copysign(np.inf, diff)


def _check_not_domain(X_source, X_target):
    """Refuse a stacked ``(X, domain)`` passed where ``(X_source, X_target)`` go.

    A 1-D second argument is never a valid ``X_target`` (it must be 2-D); one
    of 0/1 (or bool) values with one entry per row of the first is the
    library's stacked convention, which would otherwise fail with an unrelated
    message (a DataFrame with an array, or shapes).
    """
    if hasattr(X_target, "shape") and len(X_target.shape) != 1:
        return
    try:
        d = np.asarray(X_target)
        n_rows = X_source.shape[0] if hasattr(X_source, "shape") else len(X_source)
    except (TypeError, ValueError):
        return
    if d.ndim != 1 or d.shape[0] != n_rows or d.dtype.kind not in "biuf":
        return
    if not np.isin(d, (0, 1)).all():
        return
    raise ValueError(
        "balance_table takes (X_source, X_target, weights), but its second "
        "argument looks like a domain vector (1-D, 0/1, one entry per row of "
        "the first): a stacked (X, domain). Split the rows first: "
        "balance_table(X[domain == 0], X[domain == 1], weighter.weights_)."
    )


def _as_frames(X_source, X_target):
    import pandas as pd
    from scipy.sparse import issparse

    if issparse(X_source) or issparse(X_target):
        raise TypeError(
            "balance_table needs dense rows, but got a sparse matrix; pass "
            "X.toarray() (or a DataFrame) for the covariates to compare."
        )
    is_df = isinstance(X_source, pd.DataFrame), isinstance(X_target, pd.DataFrame)
    if any(is_df) and not all(is_df):
        raise TypeError(
            "One of X_source/X_target is a DataFrame and the other is not; pass "
            "both as DataFrames (with the same columns) or both as arrays."
        )
    if not all(is_df):
        Xs, Xt = np.asarray(X_source), np.asarray(X_target)
        if Xs.ndim != 2 or Xt.ndim != 2:
            raise ValueError(
                "X_source and X_target must be 2-D (rows x covariates); got shapes "
                f"{Xs.shape} and {Xt.shape}."
            )
        if Xs.shape[1] != Xt.shape[1]:
            raise ValueError(
                f"X_source has {Xs.shape[1]} columns but X_target has "
                f"{Xt.shape[1]}; both must have the same covariates."
            )
        names = [f"x{j}" for j in range(Xs.shape[1])]
        # an object array holds every column as object: give numeric columns
        # back their numeric dtype, as a DataFrame would have them
        return (
            pd.DataFrame(Xs, columns=names).infer_objects(),
            pd.DataFrame(Xt, columns=names).infer_objects(),
        )
    missing = [c for c in X_source.columns if c not in X_target.columns]
    extra = [c for c in X_target.columns if c not in X_source.columns]
    if missing or extra:
        raise ValueError(
            "Source and target DataFrames have different columns: missing from "
            f"target {missing}, only in target {extra}. Select the same covariates "
            "in both (e.g. X_target[X_source.columns])."
        )
    if X_source.columns.duplicated().any():
        dup = list(X_source.columns[X_source.columns.duplicated()])
        raise ValueError(f"Duplicated column names in X_source: {dup}.")
    return X_source, X_target[X_source.columns]


def _align_weights(weights, X_source):
    import pandas as pd

    if weights is None:
        return np.ones(len(X_source))
    if isinstance(weights, pd.Series) and isinstance(X_source, pd.DataFrame):
        idx = X_source.index
        if not weights.index.equals(idx) and (
            weights.index.is_unique
            and idx.is_unique
            and len(weights) == len(idx)
            and weights.index.isin(idx).all()
        ):
            weights = weights.reindex(idx)  # same labels, other order: align
    w = _check_weights(weights)
    if w.shape[0] != len(X_source):
        raise ValueError(
            f"weights has {w.shape[0]} entries but X_source has {len(X_source)} "
            "rows; give one weight per source row (e.g. weighter.weights_)."
        )
    return w


def _is_categorical(series):
    import pandas as pd

    return not (
        pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)
    )


def _levels(s, t):
    import pandas as pd

    if isinstance(s.dtype, pd.CategoricalDtype):
        levels = list(s.dtype.categories)
        levels += [v for v in t.dropna().unique() if v not in set(levels)]
    else:
        seen = pd.unique(pd.concat([s.dropna(), t.dropna()], ignore_index=True))
        levels = sorted(seen, key=lambda v: (str(type(v)), str(v)))
    return [v for v in levels if (s == v).any() or (t == v).any()]


# A level whose weighted source share is below COLLAPSE_RATIO times its
# target share, with at least MIN_LEVEL_ROWS target rows, has "collapsed": the
# weighted source barely represents it even when |diff| < 0.1 (a level at 2.5 %
# of the target weighted down to 0 differs by only 0.025).
MIN_LEVEL_ROWS = 5


def _collapsed(p_w, p_t, n_t, ratio):
    return bool(p_t * n_t >= MIN_LEVEL_ROWS and p_w < ratio * p_t)


def _proportion_row(
    name, variable, level, ind_s, ind_t, w, threshold, kind, collapse_ratio=0.2
):
    # a level the target has but no source row of positive weight: every
    # weighting leaves its weighted proportion at 0 (for a binary covariate,
    # either of its two values)
    kept = w > 0
    target_only = bool(ind_t.any() and not np.dot(kept, ind_s) > 0)
    if kind == "binary":
        target_only |= bool((ind_t < 1).any() and not np.dot(kept, 1 - ind_s) > 0)
    p_t = ind_t.mean() if ind_t.size else np.nan
    p_s = ind_s.mean() if ind_s.size else np.nan
    p_w = np.dot(w, ind_s) / w.sum() if ind_s.size else np.nan
    before, after = p_s - p_t, p_w - p_t
    n_t = ind_t.shape[0]
    collapsed = _collapsed(p_w, p_t, n_t, collapse_ratio)
    if kind == "binary":  # the value 0 is a level too
        collapsed |= _collapsed(1 - p_w, 1 - p_t, n_t, collapse_ratio)
    return name, {
        "variable": variable,
        "level": level,
        "type": kind,
        "mean_target": p_t,
        "mean_source": p_s,
        "mean_weighted": p_w,
        "diff_before": before,
        "diff_after": after,
        "var_ratio_before": np.nan,
        "var_ratio_after": np.nan,
        # for an indicator, the largest ECDF gap is the gap in proportions
        "ks_before": abs(before),
        "ks_after": abs(after),
        "imbalanced_before": bool(abs(before) > threshold),
        "imbalanced_after": bool(abs(after) > threshold),
        "target_only": target_only,
        "collapsed": collapsed,
    }


def _continuous_row(name, xs, xt, ws, sd, threshold):
    if np.isinf(xs).any() or np.isinf(xt).any():
        raise ValueError(
            f"Column {name!r} has infinite values; replace them by NaN (reported "
            "as missing) or drop those rows."
        )
    # SMDs and variance ratios do not depend on the units; an exact
    # power-of-two rescaling keeps the squares of values near 1e-200 (or
    # 1e160) from underflowing to 0 (or overflowing), which reported a
    # perfect balance (or -inf) that was not there. Means are scaled back.
    unit = power_of_two_scale(np.concatenate([xs, xt]))
    name, row = _continuous_row_scaled(name, xs * unit, xt * unit, ws, sd, threshold)
    for key in ("mean_target", "mean_source", "mean_weighted"):
        row[key] = row[key] / unit
    return name, row


def _continuous_row_scaled(name, xs, xt, ws, sd, threshold):
    var_t = float(np.var(xt, ddof=1)) if xt.size > 1 else np.nan
    var_s = float(np.var(xs, ddof=1)) if xs.size > 1 else np.nan
    mean_t, mean_s = xt.mean(), xs.mean()
    mean_w = np.dot(ws, xs) / ws.sum()
    if xs.size and xs.min() == xs.max():
        # a constant column: no weighting moves its mean, and the rounding
        # residue of the dot product over a zero SD read as an infinite SMD
        mean_w = mean_s = xs[0]
    pooled = float(np.sqrt((var_s + var_t) / 2))
    if sd == "target":
        s, fallback = float(np.sqrt(var_t)), pooled
    else:
        s, fallback = pooled, float(np.sqrt(var_t))
    before = _standardised(mean_s - mean_t, s, fallback)
    after = _standardised(mean_w - mean_t, s, fallback)
    return name, {
        "variable": name,
        "level": None,
        "type": "continuous",
        "mean_target": mean_t,
        "mean_source": mean_s,
        "mean_weighted": mean_w,
        "diff_before": before,
        "diff_after": after,
        "var_ratio_before": _ratio(var_s, var_t),
        "var_ratio_after": _ratio(_weighted_var(xs, ws), var_t),
        "ks_before": weighted_ecdf_distance(xs, np.ones(xs.size), xt),
        "ks_after": weighted_ecdf_distance(xs, ws, xt),
        "imbalanced_before": bool(abs(before) > threshold),
        "imbalanced_after": bool(abs(after) > threshold),
        "target_only": False,
        "collapsed": False,
    }


def _collapsed_text(table, limit=8):
    """``(count, text)`` of the collapsed rows, largest target share first."""
    rows = table[table["collapsed"]]
    shown = [
        f"{name} (weighted source {r.mean_weighted:.3f} vs target {r.mean_target:.3f})"
        for name, r in rows.sort_values("mean_target", ascending=False).iterrows()
    ]
    more = len(shown) - limit
    return len(shown), ", ".join(shown[:limit]) + (
        f" and {more} more" if more > 0 else ""
    )


def _target_only_text(table, limit=8):
    """The ``target_only`` rows of a table, largest target share first.

    Returns ``(count, text)``; ``text`` names at most ``limit`` of them (an ID
    column taken for a covariate has a target-only level per target row).
    """
    names, shares = [], []
    for name, row in table[table["target_only"]].iterrows():
        share = row["mean_target"]
        if row["type"] == "binary":  # the value that the weighted source lacks
            value = 1 if row["mean_weighted"] == 0 else 0
            name, share = f"{name}={value}", share if value else 1 - share
        names.append(name)
        shares.append(share)
    order = np.argsort(-np.asarray(shares, dtype=float), kind="stable")
    shown = [f"{names[i]} ({100 * shares[i]:.1f} % of target rows)" for i in order]
    more = len(shown) - limit
    text = ", ".join(shown[:limit]) + (f" and {more} more" if more > 0 else "")
    return len(shown), text


def _warn_target_only(table):
    """Warn once about the levels that no weighting of the source can balance."""
    count, shown = _target_only_text(table)
    if not count:
        return
    warnings.warn(
        f"{count} level(s) occur in the target but in no source row with a "
        f"positive weight: {shown}. No weighting of the source rows can balance "
        "a level the source lacks (its weighted share stays 0). Report it, "
        "restrict the target population to the levels the source has, or "
        "collect source rows of that level.",
        UserWarning,
        stacklevel=3,
    )


def balance_table(
    X_source,
    X_target,
    weights=None,
    *,
    sd="target",
    binary="proportion",
    threshold=0.1,
    categorical=None,
    collapse_ratio=0.2,
):
    """Covariate balance of weighted source rows against the target rows.

    One row per covariate (per level for categorical covariates), comparing
    the target sample with the source sample before weighting (uniform
    weights) and after (``weights``).

    It takes the source and target rows apart, not the stacked ``(X,
    domain)`` of the weighters: split those with ``X[domain == 0]`` and
    ``X[domain == 1]``.

    Parameters
    ----------
    X_source : DataFrame or array-like of shape (n_source, n_covariates)
        Source rows. Column names are kept; arrays get ``x0, x1, ...``.
    X_target : DataFrame or array-like of shape (n_target, n_covariates)
        Target rows, with the same columns (any order). A 1-D array of 0/1
        with one entry per row of ``X_source`` (a domain vector) raises a
        ``ValueError`` that shows how to split a stacked ``X``.
    weights : array-like of shape (n_source,) or None, default=None
        Weights of the source rows (any scale), e.g. ``weighter.weights_``. A
        Series whose index holds the same labels as ``X_source``'s is aligned
        by label; otherwise weights are matched by position. ``None`` means
        uniform weights (then "after" equals "before").
    sd : {"target", "pooled"}, default="target"
        Denominator of the SMD of continuous covariates, unweighted and the
        same before and after weighting: the target sample's SD (the
        population the weights aim at, like cobalt's ATT default), or
        ``sqrt((var_source + var_target) / 2)``. Where it is 0 the other one
        is used.
    binary : {"proportion", "smd"}, default="proportion"
        Numeric covariates taking only the values 0 and 1 are summarised by
        the difference of proportions (``"proportion"``, as cobalt does) or
        treated as continuous (``"smd"``).
    threshold : float, default=0.1
        ``|diff|`` above which a covariate is flagged as imbalanced, both for
        SMDs and for proportion differences (Austin, 2009).
    categorical : list of str or None, default=None
        Numeric columns to treat as categorical (e.g. integer codes).
        Non-numeric columns (object, string, category) always are; booleans are
        binary.
    collapse_ratio : float in (0, 1), default=0.2
        A binary value or categorical level is flagged ``collapsed`` when its
        weighted source share is below ``collapse_ratio`` times its target
        share (and the target has at least 5 rows of it), whatever ``|diff|``:
        a level at 2.5 % of the target weighted down to 0 differs by only
        0.025, yet the weighted source no longer represents it. The ratio
        rule is the one of a weighted share against its target; the SMD of the
        indicator (``diff / sqrt(p (1 - p))``) would also be large there.

    Returns
    -------
    table : pandas.DataFrame
        Indexed by covariate (``"col=level"`` for categorical levels and
        ``"col=<NA>"`` for the share of missing values), with columns

        - ``variable``, ``level``, ``type`` (``"continuous"``, ``"binary"``,
          ``"categorical"`` or ``"missing"``);
        - ``mean_target``, ``mean_source``, ``mean_weighted``: means
          (proportions for binary/categorical rows);
        - ``diff_before``, ``diff_after``: SMD (continuous) or difference of
          proportions (others), source minus target;
        - ``var_ratio_before``, ``var_ratio_after``: source over target
          variance (continuous only);
        - ``ks_before``, ``ks_after``: Kolmogorov–Smirnov statistic;
        - ``imbalanced_before``, ``imbalanced_after``: ``|diff| > threshold``;
        - ``target_only``: True for a categorical level or a missing-value
          row whose rows occur in the target but in no source row with a
          positive weight (for a binary covariate: one of its two values). No
          weighting of the source rows can balance such a level (its weighted
          share stays 0); a ``UserWarning`` names these levels;
        - ``collapsed``: True for a binary value or level whose weighted
          source share fell below ``collapse_ratio`` times its target share
          (see ``collapse_ratio``).

        ``table.attrs`` holds ``sd``, ``threshold``, ``n_source``,
        ``n_target`` and ``ess`` (Kish's ESS of the weights). Statistics of a
        numeric column with missing values use its observed rows; the share
        of missing values gets its own row.

    See Also
    --------
    instransfer.plotting.love_plot : Plot of ``diff_before`` / ``diff_after``.
    effective_sample_size : How many rows the weights effectively keep.

    References
    ----------
    .. [1] P. C. Austin and E. A. Stuart, "Moving towards best practice when
       using inverse probability of treatment weighting (IPTW) using the
       propensity score to estimate causal treatment effects in observational
       studies", Statistics in Medicine 34(28), 2015.
    .. [2] P. C. Austin, "Balance diagnostics for comparing the distribution
       of baseline covariates between treatment groups in propensity-score
       matched samples", Statistics in Medicine 28(25), 2009.
    .. [3] N. Greifer, "cobalt: Covariate Balance Tables and Plots", R package.

    Examples
    --------
    >>> import pandas as pd
    >>> from instransfer.metrics import balance_table
    >>> src = pd.DataFrame({"age": [20.0, 30, 40, 50], "smoker": ["y", "n", "n", "n"]})
    >>> tgt = pd.DataFrame({"age": [40.0, 50, 60], "smoker": ["y", "y", "n"]})
    >>> tab = balance_table(src, tgt, weights=[0.2, 0.4, 1.4, 2.0])
    >>> tab.index.tolist()
    ['age', 'smoker=n', 'smoker=y']
    >>> tab.loc["age", ["diff_before", "diff_after"]].astype(float).round(3).tolist()
    [-1.5, -0.7]
    """
    import pandas as pd

    if sd not in ("target", "pooled"):
        raise ValueError(f"sd must be 'target' or 'pooled'; got {sd!r}.")
    if binary not in ("proportion", "smd"):
        raise ValueError(f"binary must be 'proportion' or 'smd'; got {binary!r}.")
    if not isinstance(threshold, Real) or threshold < 0:
        raise ValueError(f"threshold must be a non-negative number; got {threshold!r}.")
    if not isinstance(collapse_ratio, Real) or not 0 < collapse_ratio < 1:
        raise ValueError(
            f"collapse_ratio must be a number in (0, 1); got {collapse_ratio!r}."
        )
    _check_not_domain(X_source, X_target)
    Xs, Xt = _as_frames(X_source, X_target)
    if len(Xs) < 1 or len(Xt) < 2:
        raise ValueError(
            f"Need at least 1 source row and 2 target rows; got {len(Xs)} and "
            f"{len(Xt)}."
        )
    if Xs.shape[1] == 0:
        raise ValueError("X_source has no columns: there is nothing to balance.")
    w = _align_weights(weights, X_source)
    categorical = set() if categorical is None else set(categorical)
    unknown = categorical - set(Xs.columns)
    if unknown:
        raise ValueError(f"categorical names unknown columns: {sorted(unknown)}.")

    rows = []
    for col in Xs.columns:
        s, t = Xs[col], Xt[col]
        name = str(col)
        if col in categorical or _is_categorical(s) or _is_categorical(t):
            miss_s, miss_t = s.isna().to_numpy(), t.isna().to_numpy()
            levels = _levels(s, t)
            shown = [str(v) for v in levels]
            # levels that print alike (1 and "1") are told apart by repr
            clash = {v for v in shown if shown.count(v) > 1}
            shown = [
                repr(v) if x in clash else x for v, x in zip(levels, shown, strict=True)
            ]
            for level, text in zip(levels, shown, strict=True):
                ind_s = (s == level).to_numpy(dtype=float, na_value=0.0)
                ind_t = (t == level).to_numpy(dtype=float, na_value=0.0)
                rows.append(
                    _proportion_row(
                        f"{name}={text}",
                        name,
                        text,
                        ind_s,
                        ind_t,
                        w,
                        threshold,
                        "categorical",
                        collapse_ratio,
                    )
                )
        else:
            vs = s.to_numpy(dtype=float, na_value=np.nan)
            vt = t.to_numpy(dtype=float, na_value=np.nan)
            miss_s, miss_t = np.isnan(vs), np.isnan(vt)
            xs, xt, ws = vs[~miss_s], vt[~miss_t], w[~miss_s]
            if ws.sum() <= 0 or xt.size < 2:
                raise ValueError(
                    f"Column {name!r} has too few observed values (source rows with "
                    f"positive weight: {int((ws > 0).sum())}, target rows: "
                    f"{xt.size}) to compare its distributions."
                )
            observed = np.unique(np.concatenate([xs, xt]))
            is_binary = pd.api.types.is_bool_dtype(s) or (
                binary == "proportion" and np.isin(observed, (0.0, 1.0)).all()
            )
            if is_binary:
                rows.append(
                    _proportion_row(
                        name,
                        name,
                        None,
                        xs,
                        xt,
                        ws,
                        threshold,
                        "binary",
                        collapse_ratio,
                    )
                )
            else:
                rows.append(_continuous_row(name, xs, xt, ws, sd, threshold))
        if miss_s.any() or miss_t.any():
            rows.append(
                _proportion_row(
                    f"{name}={_MISSING}",
                    name,
                    _MISSING,
                    miss_s.astype(float),
                    miss_t.astype(float),
                    w,
                    threshold,
                    "missing",
                    collapse_ratio,
                )
            )

    table = pd.DataFrame([r for _, r in rows], index=[n for n, _ in rows])
    table = table[COLUMNS]
    table.index.name = "covariate"
    for col in _FLOATS:
        table[col] = table[col].astype(float)
    table.attrs.update(
        sd=sd,
        threshold=float(threshold),
        n_source=len(Xs),
        n_target=len(Xt),
        ess=effective_sample_size(w),
        collapse_ratio=float(collapse_ratio),
    )
    _warn_target_only(table)
    return table
