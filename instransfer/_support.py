"""Where the target has source support: the per-row rules and their description.

The low layer shared by the fit-time diagnostics (``instransfer._diagnostics``)
and the analyst's :func:`instransfer.metrics.overlap_report`: a target row is
supported when a cross-fitted domain classifier does not put it beyond the
source (Crump et al., Biometrika 2009, the trimming rule), when a source row
is among its nearest neighbours, and when it lies inside the source's range;
unsupported rows are described as regions of the covariates by a shallow tree.
"""

import numpy as np

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
