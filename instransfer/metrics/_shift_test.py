"""Is there a covariate shift at all? Calibrated two-sample tests.

Two tests of ``H0: p_source = p_target`` on the covariates, both with a
permutation null (exact in finite samples: under ``H0`` the domain labels are
exchangeable, so the statistic of the observed labels is one draw among the
permuted ones; Lehmann & Romano, "Testing Statistical Hypotheses", 2005,
Sec. 15.2):

- ``"classifier"``: the classifier two-sample test (Lopez-Paz & Oquab, "Revisiting
  classifier two-sample tests", ICLR 2017). A logistic regression is
  cross-fitted to tell the domains apart and the statistic is the AUC of its
  held-out scores (0.5: no shift; 1: disjoint). ``null="split"`` uses one
  half of the rows to fit and the other to test, with the Mann–Whitney null of
  the AUC of the held-out half (exact for small samples): no refit, less power.
- ``"mmd"``: the kernel two-sample test (Gretton, Borgwardt, Rasch, Schölkopf
  & Smola, "A kernel two-sample test", JMLR 13, 2012): the unbiased
  ``MMD²_u`` (their eq. 3) with a Gaussian kernel of median-heuristic width
  (their Sec. 8), computed from one kernel matrix; each permutation is a
  matrix-vector product.

Both take the encoding of :func:`~instransfer.metrics.balance_table` (numeric
columns standardised on the pooled rows, missing values imputed by the
median, one 0/1 column per category level), so DataFrames work as they are.
"""

from numbers import Integral

import numpy as np
from sklearn.utils import Bunch, check_random_state

__all__ = ["shift_test"]


def _encoded(X, y, feature_names):
    from .._diagnostics import encode_covariates
    from ._overlap import _stacked, _standardise

    X, is_target = _stacked(X, y)
    names = list(getattr(X, "columns", [])) or feature_names
    Z, _, indicator = encode_covariates(X, names)
    if hasattr(Z, "toarray"):
        Z = Z.toarray()
    return _standardise(Z, indicator), is_target


def _cross_fitted_auc(S, is_target, cv, seed):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    scores = np.zeros(is_target.shape[0])
    folds = StratifiedKFold(cv, shuffle=True, random_state=seed)
    for tr, te in folds.split(S, is_target):
        model = LogisticRegression(max_iter=1000).fit(S[tr], is_target[tr])
        scores[te] = model.decision_function(S[te])
    return roc_auc_score(is_target, scores)


def _classifier_test(S, is_target, null, n_permutations, cv, rng):
    if null == "split":
        from scipy.stats import mannwhitneyu
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import train_test_split

        idx = np.arange(is_target.shape[0])
        tr, te = train_test_split(
            idx, test_size=0.5, stratify=is_target, random_state=rng.randint(2**31 - 1)
        )
        model = LogisticRegression(max_iter=1000).fit(S[tr], is_target[tr])
        score = model.decision_function(S[te])
        t, s = score[is_target[te]], score[~is_target[te]]
        res = mannwhitneyu(t, s, alternative="greater")
        auc = res.statistic / (t.shape[0] * s.shape[0])
        return float(auc), float(res.pvalue), None
    seed = rng.randint(2**31 - 1)
    auc = _cross_fitted_auc(S, is_target, cv, seed)
    null_stats = np.array(
        [
            _cross_fitted_auc(S, rng.permutation(is_target), cv, seed)
            for _ in range(n_permutations)
        ]
    )
    return auc, _perm_pvalue(auc, null_stats), null_stats


def _perm_pvalue(stat, null_stats):
    # (1 + #{null >= observed}) / (B + 1): the observed labels count as one
    # permutation, which makes the test exact (valid at every level).
    return float((1 + np.count_nonzero(null_stats >= stat)) / (null_stats.shape[0] + 1))


def _mmd_test(S, is_target, n_permutations, gamma, rng):
    from .._kernels import median_heuristic_gamma, rbf_kernel

    if gamma is None:
        gamma = median_heuristic_gamma(S, random_state=rng.randint(2**31 - 1))
    K = rbf_kernel(S, S, gamma)
    np.fill_diagonal(K, 0.0)  # the unbiased statistic leaves out i == j
    n = is_target.shape[0]
    labels = np.empty((n, n_permutations + 1), dtype=bool)
    labels[:, 0] = is_target
    for b in range(n_permutations):
        labels[:, b + 1] = rng.permutation(is_target)
    T = labels.astype(float)
    Sx = 1.0 - T
    m, k = int((~is_target).sum()), int(is_target.sum())
    KT, KS = K @ T, K @ Sx
    xx = np.einsum("ij,ij->j", Sx, KS) / (m * (m - 1))
    yy = np.einsum("ij,ij->j", T, KT) / (k * (k - 1))
    xy = np.einsum("ij,ij->j", Sx, KT) / (m * k)
    mmd2 = xx + yy - 2 * xy  # Gretton et al. (2012), eq. 3
    return float(mmd2[0]), _perm_pvalue(mmd2[0], mmd2[1:]), mmd2[1:], float(gamma)


def shift_test(
    X,
    y=None,
    *,
    method="classifier",
    null="permutation",
    n_permutations=200,
    cv=5,
    gamma=None,
    max_rows=2500,
    random_state=0,
    feature_names=None,
):
    """Two-sample test of a covariate shift between source and target rows.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        Stacked source and target rows (with ``y`` the domain), or the source
        rows alone (with ``y`` the target rows). Text and category columns
        and missing values are encoded as :func:`balance_table` does.
    y : array-like of shape (n_samples,), or of shape (n_target, n_features)
        The domain of each row (0 source, 1 target), or ``X_target``.
    method : {"classifier", "mmd"}, default="classifier"
        Classifier two-sample test (cross-fitted AUC of a logistic
        regression; Lopez-Paz & Oquab, 2017) or kernel MMD with a Gaussian
        kernel (Gretton et al., 2012).
    null : {"permutation", "split"}, default="permutation"
        Null distribution: permutations of the domain labels, refitting the
        classifier each time (``method="classifier"``) or reusing one kernel
        matrix (``"mmd"``); or, for the classifier only, ``"split"``: fit on
        half of the rows, Mann–Whitney test of the AUC on the other half (no
        refit; the p-value is exact, the power lower).
    n_permutations : int, default=200
        Permutations of the null; the smallest p-value is ``1 / (B + 1)``.
    cv : int, default=5
        Folds of the cross-fitted classifier.
    gamma : float or None, default=None
        Width of the Gaussian kernel of the MMD on the standardised
        covariates, ``exp(-gamma ||x - y||²)``; None is the median heuristic.
    max_rows : int or None, default=2500
        Subsample each domain to at most this many rows (seeded): the MMD
        holds an ``n × n`` kernel matrix and the classifier test refits
        ``cv * n_permutations`` times. None uses every row.
    random_state : int, RandomState instance or None, default=0
        Seed of the folds, the permutations and the subsample.
    feature_names : list of str, default=None
        Column names for array input.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        ``statistic`` (AUC, or ``MMD²_u``), ``pvalue``, ``effect_size`` (the
        AUC: 0.5 none, 1 disjoint; or the MMD, ``sqrt(max(MMD²_u, 0))``, in
        units of the kernel's feature space, at most ``sqrt(2)``),
        ``null_distribution`` (the permuted statistics, None for
        ``null="split"``), ``method``, ``null``, ``n_source``, ``n_target``,
        ``gamma`` (MMD only) and ``summary`` (one sentence).

    See Also
    --------
    overlap_report : Which target rows have no comparable source rows.

    References
    ----------
    .. [1] D. Lopez-Paz and M. Oquab, "Revisiting classifier two-sample
       tests", ICLR 2017.
    .. [2] A. Gretton, K. M. Borgwardt, M. J. Rasch, B. Schölkopf and A.
       Smola, "A kernel two-sample test", JMLR 13, 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from instransfer.metrics import shift_test
    >>> rng = np.random.RandomState(0)
    >>> X = np.r_[rng.normal(0, 1, (100, 2)), rng.normal(0.8, 1, (100, 2))]
    >>> domain = np.r_[np.zeros(100), np.ones(100)]
    >>> res = shift_test(X, domain, method="mmd", n_permutations=99)
    >>> res.pvalue
    0.01
    """
    if method not in ("classifier", "mmd"):
        raise ValueError(f"method must be 'classifier' or 'mmd'; got {method!r}.")
    if null not in ("permutation", "split"):
        raise ValueError(f"null must be 'permutation' or 'split'; got {null!r}.")
    if null == "split" and method != "classifier":
        raise ValueError("null='split' is for method='classifier'; use 'permutation'.")
    if not (isinstance(n_permutations, Integral) and n_permutations >= 1):
        raise ValueError(
            f"n_permutations must be a positive integer; got {n_permutations!r}."
        )
    if not (isinstance(cv, Integral) and cv >= 2):
        raise ValueError(f"cv must be an integer >= 2; got {cv!r}.")
    if max_rows is not None and not (isinstance(max_rows, Integral) and max_rows >= 2):
        raise ValueError(f"max_rows must be an integer >= 2 or None; got {max_rows!r}.")
    rng = check_random_state(random_state)
    S, is_target = _encoded(X, y, feature_names)
    if max_rows is not None:
        from .._diagnostics import _subsample

        rows = _subsample(is_target, max_rows, rng)
        S, is_target = S[rows], is_target[rows]
    n_s, n_t = int((~is_target).sum()), int(is_target.sum())
    if min(n_s, n_t) < max(cv, 2):
        raise ValueError(
            f"shift_test needs at least {max(cv, 2)} rows of each domain; got "
            f"{n_s} source and {n_t} target rows."
        )
    out = Bunch(method=method, null=null, n_source=n_s, n_target=n_t, gamma=None)
    if method == "classifier":
        stat, p, null_stats = _classifier_test(
            S, is_target, null, n_permutations, cv, rng
        )
        out.update(statistic=stat, effect_size=stat)
        what = f"a domain classifier tells the rows apart with AUC {stat:.2f}"
    else:
        stat, p, null_stats, gamma = _mmd_test(
            S, is_target, n_permutations, rng=rng, gamma=gamma
        )
        out.update(
            statistic=stat, effect_size=float(np.sqrt(max(stat, 0.0))), gamma=gamma
        )
        what = f"kernel MMD {out.effect_size:.3f}"
    out.update(pvalue=p, null_distribution=null_stats)
    verdict = "a shift" if p <= 0.05 else "no detectable shift"
    out.summary = f"Shift test ({method}): {verdict}, p = {p:.3g}; {what}."
    return out
