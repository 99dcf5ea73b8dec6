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

# expected source rows among the k nearest neighbours of a row without shift
_EXPECTED_SOURCE_NEIGHBOURS = 7


def _standardise(Z, indicator):
    """Median-imputed, pooled-standardised continuous columns; 0/1 kept."""
    Z = np.array(Z, dtype=float)
    med = np.nanmedian(np.where(np.isnan(Z).all(axis=0), 0.0, Z), axis=0)
    nan = np.isnan(Z)
    if nan.any():
        Z[nan] = np.take(med, np.nonzero(nan)[1])
    sd = Z.std(axis=0)
    keep = sd > 0
    cont = keep & ~indicator
    Z[:, cont] = (Z[:, cont] - Z[:, cont].mean(axis=0)) / sd[cont]
    return Z[:, keep]


def _classifier_log_odds(S, is_target, cv, random_state):
    """Cross-fitted balanced log-odds ``log w(x)`` of a logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    n_s, n_t = int((~is_target).sum()), int(is_target.sum())
    n_splits = min(cv, n_s, n_t)
    out = np.zeros(is_target.shape[0])
    if S.shape[1] == 0 or n_splits < 2:
        return out
    folds = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
    for tr, te in folds.split(S, is_target):
        model = LogisticRegression(max_iter=1000).fit(S[tr], is_target[tr])
        prior = np.log(is_target[tr].mean() / (1 - is_target[tr].mean()))
        out[te] = model.decision_function(S[te]) - prior
    return out


def _neighbour_flags(S, is_target):
    """Target rows without a source row among their k nearest pooled rows."""
    from sklearn.neighbors import NearestNeighbors

    n, n_s = is_target.shape[0], int((~is_target).sum())
    k = int(np.ceil(_EXPECTED_SOURCE_NEIGHBOURS * (n - 1) / n_s))
    k = min(max(k, 10), n - 1, 200)
    if S.shape[1] == 0:
        return np.zeros(n, dtype=bool)
    tgt = np.flatnonzero(is_target)
    nn = NearestNeighbors(n_neighbors=k + 1).fit(S)
    _, idx = nn.kneighbors(S[tgt])
    neighbours = idx[:, 1:]  # the row itself comes first (or a duplicate)
    flags = np.zeros(n, dtype=bool)
    flags[tgt] = ~(~is_target[neighbours]).any(axis=1)
    return flags


# Range check: a target row must lie this many source SDs beyond the source's
# extreme value. Without a margin, the oldest target rows of a logistic age
# selection of strength 1 (every age in both populations) were flagged in
# 18.5 % of 200 draws; see benchmarks/results/diagnostics.md.
RANGE_MARGIN = 0.5


def _range_flags(Z, is_target, indicator, level=1e-3, margin=None):
    """Target rows beyond the source's range of a column, when too many are.

    Without a shift the rows are exchangeable, so the number ``K`` of target
    rows above the largest source value of a column has
    ``P(K >= k) = C(n_t, k) / C(n, k)`` (the top ``k`` of ``n`` exchangeable
    rows are all target rows). A tail is flagged when its count has
    probability below ``level`` divided by the number of tails tested
    (Bonferroni), so that a few target rows past the source's extremes, as
    sampling makes them, are not.
    """
    from scipy.special import gammaln

    n_t, n = int(is_target.sum()), is_target.shape[0]
    flags = np.zeros(n, dtype=bool)
    cont = np.flatnonzero(~indicator)
    if cont.size == 0 or n_t == n:
        return flags
    k = np.arange(1, n_t + 1)
    log_p = (
        gammaln(n_t + 1) - gammaln(n_t - k + 1) - gammaln(n + 1) + gammaln(n - k + 1)
    )
    bound = np.log(level / (2 * cont.size))
    below = np.flatnonzero(log_p < bound)
    if below.size == 0:
        return flags
    k_min = int(k[below[0]])
    margin = RANGE_MARGIN if margin is None else margin
    src, tgt = Z[~is_target], Z[is_target]
    tgt_rows = np.flatnonzero(is_target)
    for j in cont:
        s = src[:, j][~np.isnan(src[:, j])]
        t = tgt[:, j]
        if s.size == 0:
            continue
        gap = margin * s.std()
        for beyond in (t > s.max() + gap, t < s.min() - gap):
            if beyond.sum() >= k_min:
                flags[tgt_rows[beyond]] = True
    return flags


def _support(Z, is_target, indicator, *, alpha=0.01, cv=5, random_state=0):
    """Per-row support flags on an encoded matrix (see the module docstring)."""
    S = _standardise(Z, indicator)
    log_w = _classifier_log_odds(S, is_target, cv, random_state)
    by_classifier = is_target & (log_w > np.log((1 - alpha) / alpha))
    by_neighbours = _neighbour_flags(S, is_target)
    by_range = _range_flags(np.asarray(Z, float), is_target, indicator)
    return {
        "log_ratio": log_w,
        "by_classifier": by_classifier,
        "by_neighbours": by_neighbours,
        "by_range": by_range,
        "unsupported": by_classifier | by_neighbours | by_range,
    }


def _fmt(v):
    return f"{v:.4g}"


def _condition(name, is_indicator, le, thr):
    if is_indicator:
        if "=" in name:  # a category level
            return f"{name}" if not le else f"not {name}"
        return f"{name} = {0 if le else 1}"
    return f"{name} {'<=' if le else '>'} {_fmt(thr)}"


def _describe_regions(Z, is_target, unsupported, names, indicator, *, max_regions=3):
    """Where the unsupported target rows are: leaves of a depth-2 tree.

    The tree separates the unsupported target rows from every other row, on
    the covariates in their own units, so each leaf reads as a rule such as
    ``age > 78`` with its counts of target and source rows (separating them
    from the source rows alone put the cut midway to the supported target
    rows, and the rule then counted those too).
    """
    import pandas as pd
    from sklearn.tree import DecisionTreeClassifier

    cols = ["rule", "n_target", "n_source", "n_unsupported"]
    if not unsupported.any():
        return pd.DataFrame(columns=cols)
    Z = np.array(Z, dtype=float)
    nan = np.isnan(Z)
    if nan.any():
        med = np.nanmedian(np.where(nan.all(axis=0), 0.0, Z), axis=0)
        Z[nan] = np.take(med, np.nonzero(nan)[1])
    tree = DecisionTreeClassifier(
        max_depth=2,
        min_samples_leaf=max(3, int(0.01 * Z.shape[0])),
        class_weight="balanced",
        random_state=0,
    ).fit(Z, unsupported)
    t = tree.tree_
    paths = tree.decision_path(Z).tocsc()
    # a node holding no source row is read as one region: its children would
    # only split the unsupported rows into rules that say the same
    n_source_in = np.asarray(paths[np.flatnonzero(~is_target)].sum(axis=0)).ravel()
    rows = []

    def walk(node, conds):
        if t.children_left[node] == -1 or n_source_in[node] == 0:
            in_leaf = paths[:, node].toarray().ravel().astype(bool)
            n_bad = int((in_leaf & unsupported).sum())
            if n_bad == 0:
                return
            rows.append(
                {
                    "rule": " and ".join(_merge(conds)) or "everywhere",
                    "n_target": int((in_leaf & is_target).sum()),
                    "n_source": int((in_leaf & ~is_target).sum()),
                    "n_unsupported": n_bad,
                }
            )
            return
        j, thr = t.feature[node], t.threshold[node]
        walk(t.children_left[node], conds + [(j, True, thr)])
        walk(t.children_right[node], conds + [(j, False, thr)])

    def _merge(conds):
        tightest = {}
        for j, le, thr in conds:
            key = (j, le)
            if key not in tightest:
                tightest[key] = thr
            else:
                tightest[key] = (
                    min(thr, tightest[key]) if le else max(thr, tightest[key])
                )
        return [
            _condition(names[j], bool(indicator[j]), le, thr)
            for (j, le), thr in tightest.items()
        ]

    walk(0, [])
    table = pd.DataFrame(rows, columns=cols)
    # regions mostly made of unsupported rows (against the source rows and
    # against the other target rows), those first
    purity = table["n_unsupported"] / (table["n_source"] + table["n_unsupported"])
    of_target = table["n_unsupported"] / table["n_target"]
    table = table.assign(_p=purity).sort_values(
        ["_p", "n_unsupported"], ascending=False
    )
    keep = (table["_p"] >= 0.5) & (of_target.loc[table.index] >= 0.5)
    table = table[keep].drop(columns="_p").head(max_regions)
    table["text"] = [
        f"{r.rule}: {r.n_target} target rows, {r.n_source} source rows"
        for r in table.itertuples()
    ]
    return table.reset_index(drop=True)


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
    from .._diagnostics import _subsample, encode_covariates

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
