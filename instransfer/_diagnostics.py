"""Fit-time diagnostics of every weighter: whether the answer holds on the target.

:meth:`instransfer.base.BaseWeighter.fit` calls :func:`record_fit_diagnostics`
once, after the weights are fitted. It never changes them; it measures three
things on the fit's own rows, records them in ``diagnostics_`` and warns:

- **weight concentration**
  (:class:`~instransfer.exceptions.WeightConcentrationWarning`): Kish's ESS
  below ``ESS_FRACTION`` of the source rows, or one row holding more than
  ``MAX_SHARE`` of the total weight;
- **no overlap** (:class:`~instransfer.exceptions.NoOverlapWarning`): the
  share of target rows outside the source's support
  (:func:`instransfer.metrics.overlap_report`, on at most ``MAX_ROWS`` rows
  per domain) reaches ``UNSUPPORTED_SHARE``;
- **residual imbalance** (:class:`~instransfer.exceptions.ResidualImbalanceWarning`):
  weighted standardised mean differences, one pass over the columns.

The thresholds were chosen by measurement (``benchmarks/suite_diagnostics.py``,
``benchmarks/results/diagnostics.md``): no warning on random splits without
shift and on logistic age selections for every weighter, a warning on every
hard split.
"""

import warnings

import numpy as np
from scipy.sparse import issparse

from ._support import _describe_regions, _support

# Kish's ESS below 5 % of the source rows: measured on overlapping shifts
# (logistic age selection, strength 1, and the Gaussian generator's default)
# every weighter stays above 8 %; a hard split or one outlier falls below 2 %.
ESS_FRACTION = 0.05
# One row holding more than 20 % of the total weight (and a mean-1 weight above
# MAX_WEIGHT, so that tiny samples are not flagged for weights of 3): exact KMM
# reached 16 % on the Gaussian generator's default shift (its weights are
# sparse by design); the outlier of make_covariate_shift (X[0, 0] = 20) holds
# 99.8 %.
MAX_SHARE = 0.2
MAX_WEIGHT = 10.0
# NoOverlapWarning from 10 % of the target rows (and at least 5 rows) without
# support (see instransfer._support for the per-row rule). Over 200
# draws of a logistic age selection of strength 1 (every age in both
# populations) the flagged share exceeded 5 % in a few draws of the most skewed
# cohort (rossi), 10 % in fewer; every hard split flags > 70 %.
UNSUPPORTED_SHARE = 0.10
MIN_UNSUPPORTED_ROWS = 5
# cobalt's default balance threshold (Austin, 2009) ...
SMD_THRESHOLD = 0.1
# ... flagged only beyond sampling noise: |SMD after| > Z * its standard
# error. Z = 3.29 is a two-sided 0.001 test per column, so that a table of ~10
# columns stays below ~1 % false alarms on random splits without shift.
SMD_Z = 3.29
# A category whose weighted source share falls below a fifth of its target
# share (with >= 5 target rows and >= 5 source rows expected) has collapsed.
COLLAPSE_RATIO = 0.2
MIN_LEVEL_ROWS = 5
# The overlap check at fit time subsamples each domain to this many rows so
# that its cost stays a small share of the fit (a cross-fitted logistic
# regression and one k-nearest-neighbour query).
MAX_ROWS = 1000

_MISSING = "<NA>"


def encode_covariates(X, feature_names=None):
    """Float matrix of the covariates for the diagnostics, with column names.

    Numeric and boolean columns are kept (missing values as NaN); other
    columns (text, category) become one 0/1 indicator per level, as in
    :func:`instransfer.metrics.balance_table`, with missing values as a level
    ``"<NA>"`` of their own. Sparse input is returned as CSR.

    Returns
    -------
    Z : ndarray or sparse matrix of shape (n_samples, n_encoded)
    names : list of str
    indicator : ndarray of bool, True for 0/1 indicator columns
    """
    import pandas as pd

    if issparse(X):
        Z = X.tocsr().astype(float)
        names = _names(feature_names, Z.shape[1])
        return Z, names, np.zeros(Z.shape[1], dtype=bool)
    if not isinstance(X, pd.DataFrame):
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise ValueError(f"X must be 2-D; got an array of shape {arr.shape}.")
        try:
            # no copy of a float X (issue #23: it was one copy at each fit)
            Z = arr.astype(float, copy=False)
        except (TypeError, ValueError):
            X = pd.DataFrame(arr, columns=_names(feature_names, arr.shape[1]))
        else:
            names = _names(feature_names, Z.shape[1])
            return Z, names, _is_indicator(Z)
    parts, names, indicator = [], [], []
    for col in X.columns:
        s = X[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            v = s.to_numpy(dtype=float, na_value=np.nan)
            parts.append(v)
            names.append(str(col))
            indicator.append(bool(np.isin(v[~np.isnan(v)], (0.0, 1.0)).all()))
            continue
        miss = s.isna().to_numpy()
        levels = pd.unique(s[~miss])
        for level in sorted(levels, key=lambda v: (str(type(v)), str(v))):
            parts.append((s == level).to_numpy(dtype=float, na_value=0.0))
            names.append(f"{col}={level}")
            indicator.append(True)
        if miss.any():
            parts.append(miss.astype(float))
            names.append(f"{col}={_MISSING}")
            indicator.append(True)
    Z = np.column_stack(parts) if parts else np.zeros((len(X), 0))
    return Z, names, np.asarray(indicator, dtype=bool)


def _names(feature_names, n):
    if feature_names is not None and len(feature_names) == n:
        return [str(c) for c in feature_names]
    return [f"x{j}" for j in range(n)]


def _column_blocks(Z):
    """Slices of ~2 MB of columns: temporaries of one block, not of ``Z``."""
    step = max(1, 2**18 // max(1, Z.shape[0]))
    return [slice(j, j + step) for j in range(0, Z.shape[1], step)]


def _is_indicator(Z):
    if Z.shape[1] == 0:
        return np.zeros(0, dtype=bool)
    out = []
    for cols in _column_blocks(Z):
        block = Z[:, cols]
        out.append(((block == 0) | (block == 1) | np.isnan(block)).all(axis=0))
    return np.concatenate(out)


def weight_concentration(weights):
    """Kish's ESS, its fraction of the rows, and the largest row's share."""
    w = np.asarray(weights, dtype=float)
    total = w.sum()
    top = int(np.argmax(w))
    scaled = w / w[top]  # no overflow in the squares
    ess = float(scaled.sum() ** 2 / np.dot(scaled, scaled))
    return {
        "ess": ess,
        "ess_fraction": ess / w.shape[0],
        "max_share": float(w[top] / total),
        "max_row": top,
    }


def _column_moments(Z, rows, w=None):
    """Weighted mean, variance and variance of the weighted mean, NaN-aware."""
    A = Z[rows]
    if issparse(A):
        A = A.toarray() if A.shape[1] <= 2000 else A
    if issparse(A):  # very wide sparse input: uniform-weight moments only
        wts = np.ones(A.shape[0]) if w is None else w
        sw = wts.sum()
        mean = np.asarray(A.T @ wts).ravel() / sw
        sq = np.asarray(A.multiply(A).T @ wts).ravel() / sw
        var = np.maximum(sq - mean**2, 0)
        neff = sw**2 / np.dot(wts, wts)
        return mean, var, var / neff, np.full(A.shape[1], A.shape[0], float)
    obs = ~np.isnan(A)
    A0 = np.where(obs, A, 0.0)
    wts = np.ones(A.shape[0]) if w is None else w
    sw = wts @ obs
    # over: values near 1e154 square to inf; their SMD is then undefined
    # (NaN, no warning), which a unit-free diagnostic should not raise on
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        mean = (wts @ A0) / sw
        dev = np.where(obs, A0 - mean, 0.0)
        var = (wts @ dev**2) / sw
        # linearised variance of a ratio (weighted mean) estimator
        var_mean = ((wts**2) @ dev**2) / sw**2
    return mean, var, var_mean, obs.sum(axis=0).astype(float)


def weighted_smd(Z, is_target, weights):
    """Standardised mean differences before and after weighting, per column.

    ``SMD = (mean_w(source) - mean(target)) / s_target`` with the target's
    unweighted SD (the pooled SD where that is 0), as
    :func:`~instransfer.metrics.balance_table` does, and the standard error of
    the weighted difference ``sqrt(Var(mean_w) + var_t / n_t) / s``.
    """
    Z = Z if issparse(Z) else np.asarray(Z, dtype=float)
    if not issparse(Z) and len(_column_blocks(Z)) > 1:
        # column blocks: the moments are per column, and the scaled and
        # centred temporaries of all columns at once were 5 copies of X
        # (issue #23)
        parts = [
            weighted_smd(Z[:, cols], is_target, weights) for cols in _column_blocks(Z)
        ]
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    if not issparse(Z):
        # SMDs do not depend on the units: bring every column to a maximum
        # near 1 by an exact power of two, so squares cannot overflow (1e154)
        # or underflow (1e-200)
        finite = np.where(np.isfinite(Z), np.abs(Z), 0.0)
        amax = finite.max(axis=0) if Z.shape[0] else np.ones(Z.shape[1])
        # (maxima land in [1, 2): 0/1 indicator columns keep their values)
        Z = np.ldexp(Z, 1 - np.frexp(np.where(amax > 0, amax, 1.0))[1])
    src, tgt = np.flatnonzero(~is_target), np.flatnonzero(is_target)
    m_t, v_t, _, n_t = _column_moments(Z, tgt)
    m_s, v_s, _, _ = _column_moments(Z, src)
    m_w, _, vm_w, _ = _column_moments(Z, src, np.asarray(weights, float))
    with np.errstate(invalid="ignore", divide="ignore"):
        v_t1 = v_t * n_t / np.maximum(n_t - 1, 1)  # ddof=1 as balance_table
        s = np.sqrt(v_t1)
        pooled = np.sqrt((v_s + v_t1) / 2)
        s = np.where(s > 0, s, pooled)
        before = np.where(s > 0, (m_s - m_t) / s, 0.0)
        after = np.where(s > 0, (m_w - m_t) / s, 0.0)
        se = np.where(s > 0, np.sqrt(vm_w + v_t1 / n_t) / s, np.inf)
    return {
        "mean_target": m_t,
        "mean_source": m_s,
        "mean_weighted": m_w,
        "smd_before": before,
        "smd_after": after,
        "se_after": se,
    }


def residual_imbalance(
    Z,
    names,
    indicator,
    is_target,
    weights,
    *,
    threshold=SMD_THRESHOLD,
    z=SMD_Z,
    collapse_ratio=COLLAPSE_RATIO,
):
    """Columns still imbalanced after weighting and categories that collapsed.

    Returns a DataFrame with one row per encoded column (``smd_before``,
    ``smd_after``, ``se_after``, ``imbalanced``, ``collapsed``).
    """
    import pandas as pd

    smd = weighted_smd(Z, is_target, weights)
    before, after, se = smd["smd_before"], smd["smd_after"], smd["se_after"]
    with np.errstate(invalid="ignore"):
        imbalanced = (
            (np.abs(before) > threshold)
            & (np.abs(after) > threshold)
            & (np.abs(after) > z * se)
        )
        n_s, n_t = int((~is_target).sum()), int(is_target.sum())
        p_t, p_w, p_s = smd["mean_target"], smd["mean_weighted"], smd["mean_source"]
        enough = (p_t * n_t >= MIN_LEVEL_ROWS) & (p_t * n_s >= MIN_LEVEL_ROWS)
        # for 0/1 columns both values are levels: 1 - p collapses too
        low = (p_w < collapse_ratio * p_t) & enough
        q_t, q_w = 1 - p_t, 1 - p_w
        enough_q = (q_t * n_t >= MIN_LEVEL_ROWS) & (q_t * n_s >= MIN_LEVEL_ROWS)
        low_q = (q_w < collapse_ratio * q_t) & enough_q
        # only when weighting made it so (the raw source share was not as low)
        collapsed = indicator & (
            (low & ~(p_s < collapse_ratio * p_t))
            | (low_q & ~(1 - p_s < collapse_ratio * q_t))
        )
    table = pd.DataFrame(
        {
            "mean_target": p_t,
            "mean_source": p_s,
            "mean_weighted": p_w,
            "smd_before": before,
            "smd_after": after,
            "se_after": se,
            "imbalanced": np.nan_to_num(imbalanced, nan=0).astype(bool),
            "collapsed": np.nan_to_num(collapsed, nan=0).astype(bool),
        },
        index=pd.Index(names, name="column"),
    )
    return table


def _subsample(is_target, max_rows, rng):
    rows = []
    for side in (False, True):
        idx = np.flatnonzero(is_target == side)
        if idx.shape[0] > max_rows:
            idx = np.sort(rng.choice(idx, max_rows, replace=False))
        rows.append(idx)
    return np.concatenate(rows)


def _shown(names, limit=6):
    more = len(names) - limit
    return ", ".join(names[:limit]) + (f" and {more} more" if more > 0 else "")


def fit_diagnostics(
    X,
    is_target,
    weights,
    *,
    feature_names=None,
    owner="weighter",
    ess_fraction=ESS_FRACTION,
    max_share=MAX_SHARE,
    unsupported_share=UNSUPPORTED_SHARE,
    smd_threshold=SMD_THRESHOLD,
    smd_z=SMD_Z,
    collapse_ratio=COLLAPSE_RATIO,
    max_rows=MAX_ROWS,
):
    """Every fit-time check; returns ``(diagnostics dict, [(message, category)])``."""
    from .exceptions import (
        NoOverlapWarning,
        ResidualImbalanceWarning,
        WeightConcentrationWarning,
    )

    found = []
    diag = weight_concentration(weights)
    n_s = int((~is_target).sum())
    top_weight = diag["max_share"] * n_s  # on the mean-1 scale
    if diag["ess_fraction"] < ess_fraction or (
        diag["max_share"] > max_share and top_weight > MAX_WEIGHT
    ):
        found.append(
            (
                f"{owner}: the weights concentrate on few source rows: effective "
                f"sample size {diag['ess']:.1f} of {n_s} "
                f"({100 * diag['ess_fraction']:.1f} %), and source row "
                f"{diag['max_row']} holds "
                f"{100 * diag['max_share']:.1f} % of the total weight. A weighted "
                "fit rests on those rows: check them for outliers, flatten (flatten"
                "=0.5) or clip (clip=10) the weights, or check the overlap "
                "(instransfer.metrics.overlap_report).",
                WeightConcentrationWarning,
            )
        )
    try:
        Z, names, indicator = encode_covariates(X, feature_names)
    except (TypeError, ValueError):  # an input only the inner model can read
        diag["overlap"] = diag["balance"] = None
        return diag, found

    table = residual_imbalance(
        Z,
        names,
        indicator,
        is_target,
        weights,
        threshold=smd_threshold,
        z=smd_z,
        collapse_ratio=collapse_ratio,
    )
    diag["balance"] = table
    bad = table.index[table["imbalanced"]].tolist()
    collapsed = table.index[table["collapsed"]].tolist()
    if bad or collapsed:
        parts = []
        if bad:
            shown = [f"{c} ({table.loc[c, 'smd_after']:+.2f})" for c in bad]
            parts.append(
                f"{len(bad)} column(s) still imbalanced after weighting (|SMD| > "
                f"{smd_threshold:g} before and after, beyond noise): {_shown(shown)}"
            )
        if collapsed:
            shown = [
                f"{c} (weighted {table.loc[c, 'mean_weighted']:.3f} vs target "
                f"{table.loc[c, 'mean_target']:.3f})"
                for c in collapsed
            ]
            parts.append(
                f"{len(collapsed)} category share(s) collapsed by the weights: "
                f"{_shown(shown)}"
            )
        found.append(
            (
                f"{owner}: " + "; ".join(parts) + ". The weights do not make the "
                "source resemble the target there: try another weighter or its "
                "width (a *CV weighter, ClassifierWeighter), encode or scale the "
                "columns differently, or check the overlap; see "
                "instransfer.metrics.balance_table.",
                ResidualImbalanceWarning,
            )
        )

    if issparse(Z) and Z.shape[1] > 200:
        diag["overlap"] = None
        return diag, found
    rng = np.random.RandomState(0)
    rows = _subsample(is_target, max_rows, rng)
    Zs = Z[rows]
    if issparse(Zs):
        Zs = Zs.toarray()
    flags = _support(Zs, is_target[rows], indicator, cv=3, random_state=0)
    n_t = int(is_target[rows].sum())
    n_bad = int(flags["unsupported"].sum())
    share = n_bad / n_t
    diag["overlap"] = {
        "share_unsupported": share,
        "n_unsupported": n_bad,
        "n_target": n_t,
    }
    if share >= unsupported_share and n_bad >= MIN_UNSUPPORTED_ROWS:
        regions = _describe_regions(
            Zs, is_target[rows], flags["unsupported"], names, indicator
        )
        where = "; ".join(regions["text"].tolist()[:3]) if len(regions) else ""
        found.append(
            (
                f"{owner}: {100 * share:.0f} % of the target rows ({n_bad} of {n_t}) "
                "have no comparable source rows"
                + (f" ({where})" if where else "")
                + ". No weighting reaches them: the estimate there is an "
                "extrapolation. Restrict the target to the common support "
                "(instransfer.metrics.overlap_report(...).keep), which changes the "
                "population the answer is about.",
                NoOverlapWarning,
            )
        )
    return diag, found


def _caller_stacklevel():
    """``stacklevel`` of the first frame outside instransfer and sklearn.base.

    The warning then points at the user's ``fit`` call, also when the weighter
    is fitted inside a weighted estimator or a ``*CV`` weighter (frames of ours)
    and through scikit-learn's ``_fit_context`` wrapper.
    """
    import sys

    frame, level = sys._getframe(1), 1
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not (
            module == "instransfer"
            or module.startswith("instransfer.")
            or module == "sklearn.base"
        ):
            return level
        frame, level = frame.f_back, level + 1
    return 1


def record_fit_diagnostics(weighter, X, is_target):
    """The hook of ``BaseWeighter.fit``: set ``diagnostics_`` and warn."""
    diag, found = fit_diagnostics(
        X,
        np.asarray(is_target, dtype=bool),
        weighter.weights_,
        feature_names=getattr(weighter, "feature_names_in_", None),
        owner=type(weighter).__name__,
    )
    weighter.diagnostics_ = diag
    for message, category in found:
        # counted from this frame, as warn() counts from its caller
        warnings.warn(message, category, stacklevel=_caller_stacklevel())
