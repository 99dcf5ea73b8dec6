"""The stacked-data convention: one ``X``, a per-row ``domain``, unlabeled rows.

Source rows have ``domain == 0`` (or ``False``), target rows ``domain == 1``
(or ``True``). Without ``domain``, a weighted estimator takes its target rows
to be the *unlabeled* rows of ``y``, marked as scikit-learn's semi-supervised
estimators mark them: ``-1`` (or ``None``/``NaN``) for classification,
``NaN`` for regression.

Everything that turns user input into "which rows are source, which are
target, which are labeled" lives here, once: :func:`check_domain`,
:func:`unlabeled_mask`, :func:`resolve_rows`, and :func:`stack_domains`,
which builds the stacked ``X`` from two tables.
"""

import numbers
import warnings
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy.sparse import issparse
from scipy.sparse import vstack as sparse_vstack
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d

from ..exceptions import NoTargetRowsWarning
from ._compat import _num_samples

__all__ = [
    "SOURCE",
    "TARGET",
    "as_indexable",
    "check_domain",
    "check_domain_sizes",
    "labels_array",
    "StackedRows",
    "resolve_rows",
    "resolve_stacked",
    "stack_domains",
    "unlabeled_mask",
]

SOURCE, TARGET = 0, 1

_DOMAIN_HELP = (
    "Pass `domain` as a 1-D array with 0 (or False) for source rows and 1 (or "
    "True) for target rows, aligned with the rows of X."
)


def check_domain(domain, n_samples=None, *, min_source=2, min_target=2):
    """Validate a domain vector and return a boolean mask of target rows.

    Parameters
    ----------
    domain : array-like of shape (n_samples,)
        0/False for source rows, 1/True for target rows.
    n_samples : int, default=None
        Expected length (the number of rows of ``X``).
    min_source, min_target : int, default=2
        Smallest number of rows each domain must have.

    Returns
    -------
    is_target : ndarray of bool, shape (n_samples,)
    """
    if domain is None:
        raise ValueError(
            "This estimator requires y to be passed, but the target y is None: y "
            "is the domain of each row, so a weighter knows which rows are source "
            "and which are target. " + _DOMAIN_HELP
        )
    d = np.asarray(domain)
    if d.ndim == 2 and d.shape[1] == 1:
        d = d.ravel()
    if d.ndim != 1:
        raise ValueError(
            f"domain must be 1-D, got an array of shape {d.shape}. " + _DOMAIN_HELP
        )
    if n_samples is not None and d.shape[0] != n_samples:
        raise ValueError(
            f"domain has {d.shape[0]} entries but X has {n_samples} rows. "
            + _DOMAIN_HELP
        )
    if d.dtype == bool:
        is_target = d
    elif d.dtype.kind == "c":
        raise ValueError("Complex data not supported: domain has a complex dtype.")
    else:
        try:
            values = d.astype(float)
        except (TypeError, ValueError):
            values = None
        if values is None or np.isnan(values).any():
            found = _preview_values(d)
            raise ValueError(
                f"domain must contain only 0 (source) and 1 (target); got values "
                f"{found}. Map source rows to 0 and target rows to 1."
            )
        bad = (values != 0) & (values != 1)
        if bad.any():
            found = _preview_values(d)
            raise ValueError(
                f"domain must contain only 0 (source) and 1 (target); got values "
                f"{found}. Map source rows to 0 and target rows to 1."
            )
        is_target = values == 1
    check_domain_sizes(is_target, min_source=min_source, min_target=min_target)
    return is_target


def check_domain_sizes(is_target, *, min_source=2, min_target=2, context=""):
    """Raise a clear error when one domain has too few rows."""
    n_target = int(np.count_nonzero(is_target))
    n_source = int(is_target.shape[0] - n_target)
    where = f" {context}" if context else ""
    if n_target < min_target:
        raise ValueError(
            f"Found {n_target} target row(s){where}; at least {min_target} are "
            "needed. Mark target rows with domain=1 (or leave their y unlabeled: "
            "-1, or NaN for regression); in a CV, use DomainStratifiedKFold."
        )
    if n_source < min_source:
        raise ValueError(
            f"Found {n_source} source row(s){where}; at least {min_source} are "
            "needed. Mark source rows with domain=0."
        )
    return n_source, n_target


def _preview_values(a, limit=5):
    try:
        uniq = np.unique(a[~_is_missing(a)])
    except TypeError:
        uniq = np.array(list({repr(v) for v in a.tolist()}), dtype=object)
    shown = [v.item() if hasattr(v, "item") else v for v in uniq[:limit]]
    if _is_missing(a).any():
        shown.append("NaN/None")
    more = ", ..." if uniq.shape[0] > limit else ""
    return f"{shown}{more}"


def _is_missing(a):
    """Element-wise None/NaN test that works on numeric and object arrays."""
    a = np.asarray(a)
    if a.dtype.kind == "f":
        return np.isnan(a)
    if a.dtype.kind == "O":
        # pandas' isna: None, NaN, and pandas' NA (nullable "string"/Int64)
        import pandas as pd

        return np.asarray(pd.isna(a), dtype=bool)
    return np.zeros(a.shape, dtype=bool)


def unlabeled_mask(y, task):
    """Boolean mask of unlabeled rows of ``y``.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
    task : {"classification", "regression"}
        Classification marks unlabeled rows with ``-1`` (scikit-learn's
        semi-supervised convention), ``None`` or ``NaN``; regression with
        ``NaN`` only (``-1`` is a valid regression target).
    """
    y = np.asarray(y)
    missing = _is_missing(y)
    if task == "regression" or y.dtype.kind in "US":
        return missing
    if y.dtype.kind in "iufb":
        return missing | (y == -1)
    # object: -1 may stand beside string labels (e.g. pandas with mixed types)
    minus_one = np.array(
        [
            isinstance(v, numbers.Number) and not isinstance(v, bool) and v == -1
            for v in y
        ],
        dtype=bool,
    )
    return missing | minus_one


def _has_strings(y):
    y = np.asarray(y)
    if y.dtype.kind in "US":
        return True
    return y.dtype.kind == "O" and any(isinstance(v, str) for v in y)


def resolve_rows(y, domain, task, n_samples, *, stacklevel=4):
    """Work out target rows and labeled source rows from ``y`` and ``domain``.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Labels, unlabeled rows marked.
    domain : array-like of shape (n_samples,) or None
        0 source, 1 target; without it the unlabeled rows are the target.
    task : {"classification", "regression"}
        Which unlabeled markers apply (see :func:`unlabeled_mask`).
    n_samples : int
        Rows of ``X``.
    stacklevel : int, default=4
        Where the warnings point (4: the caller of a ``fit`` that calls this).

    Returns
    -------
    is_target : ndarray of bool
        Rows used as the target sample by the weighter.
    fit_rows : ndarray of bool
        Labeled source rows: the rows the wrapped estimator is fit on.
    """
    unlabeled = unlabeled_mask(y, task)
    marker = "-1 (or None/NaN)" if task == "classification" else "NaN"
    if domain is not None:
        is_target = check_domain(domain, n_samples)
        fit_rows = ~is_target & ~unlabeled
        marked = ~is_target & unlabeled & ~_is_missing(y)
        if marked.any():
            # -1 on source rows: scikit-learn's "unlabeled", or a class?
            warnings.warn(
                f"{int(marked.sum())} source rows (domain=0) have y = -1, which "
                "marks an unlabeled row (scikit-learn's convention), so they are "
                "left out of the fit. If -1 is a class (labels {-1, 1}), recode "
                "it, e.g. y = (y + 1) // 2.",
                UserWarning,
                stacklevel=stacklevel,
            )
        if not fit_rows.any():
            raise ValueError(
                "No labeled source rows: every row with domain=0 has an unlabeled "
                f"y ({marker}). The estimator is fit on labeled source rows."
            )
        return is_target, fit_rows
    missing = _is_missing(y)
    minus_one = unlabeled & ~missing
    if missing.any() and minus_one.any():
        # Two markers: NaN/None surely marks the target rows, but -1 may be a
        # class of source rows (labels {-1, 1}); taking it as unlabeled would
        # silently move those rows to the target sample.
        raise ValueError(
            f"y marks {int(missing.sum())} rows unlabeled with None/NaN and "
            f"{int(minus_one.sum())} rows with -1: is -1 a class or a target row? If "
            "a class, recode it (e.g. y = (y + 1) // 2); else use one marker, or "
            "pass domain= (0 source, 1 target)."
        )
    if unlabeled.all():
        raise ValueError(
            f"y has no labeled rows: every row is marked unlabeled ({marker}). "
            "The estimator is fit on the labeled source rows; give their labels."
        )
    if not unlabeled.any():
        if task == "classification" and _has_strings(y):
            raise ValueError(
                "y has string labels and no unlabeled rows, so no row is known to "
                "be a target row. Mark target rows with None (or NaN) in y, or pass "
                "domain= (0 source, 1 target)."
            )
        # As scikit-learn's SelfTrainingClassifier does without unlabeled rows:
        # say so loudly, then fit the plain (unweighted) estimator.
        warnings.warn(
            f"y has no unlabeled rows ({marker}) and no domain was given, so there "
            "are no target rows: fitting the estimator unweighted (all weights 1). "
            f"Mark the target rows of the stacked X as unlabeled in y ({marker}) or "
            "pass domain= (0 source, 1 target).",
            NoTargetRowsWarning,
            stacklevel=stacklevel - 1,
        )
        return unlabeled, ~unlabeled
    check_domain_sizes(unlabeled, min_source=1)
    return unlabeled, ~unlabeled


def labels_array(y):
    """Labels of an object ``y`` as an int (or float) array when all are.

    An object array of ints with ``None`` marking unlabeled rows stays object
    after those rows are dropped; scikit-learn then calls its type "unknown".
    Boolean, integer (or real) labels get a bool, int (or float) dtype, so
    ``classes_`` are of that type; strings, which scikit-learn takes as
    object, and mixed labels (left to scikit-learn's own error) are returned
    as they are.
    """
    if y.dtype != object or y.shape[0] == 0:
        return y
    values = y.tolist()
    if all(isinstance(v, (bool, np.bool_)) for v in values):
        return np.asarray(values, dtype=bool)
    for kind, dtype in ((Integral, np.int64), (Real, np.float64)):
        if all(isinstance(v, kind) and not isinstance(v, bool) for v in values):
            return np.asarray(values, dtype=dtype)
    return y


def as_indexable(X):
    """Row-indexable view of X without numeric conversion.

    DataFrames and arrays pass through (the inner estimator validates them);
    sparse input becomes CSR (COO/DIA cannot be row-indexed) and array-likes
    that are neither become arrays.
    """
    if issparse(X):
        X = X.tocsr()
    elif not (hasattr(X, "iloc") or isinstance(X, np.ndarray)):
        X = np.asarray(X)
    if getattr(X, "dtype", None) is not None and X.dtype.kind == "c":
        raise ValueError("Complex data not supported: X has a complex dtype.")
    return X


def _union_categories(X_source, X_target):
    """Give categorical columns of both frames the union of their categories.

    ``pd.concat`` of categoricals with different categories falls back to an
    object (or string) column, which a ``ColumnTransformer`` selecting
    ``dtype_include="category"`` then silently leaves out.
    """
    from pandas import CategoricalDtype

    new_s, new_t = {}, {}
    for col in X_source.columns:
        ds, dt = X_source[col].dtype, X_target[col].dtype
        if not (isinstance(ds, CategoricalDtype) and isinstance(dt, CategoricalDtype)):
            continue
        if ds == dt:
            continue
        if ds.ordered or dt.ordered:
            if ds.ordered and set(dt.categories) <= set(ds.categories):
                new_t[col] = X_target[col].astype(ds)  # the source's order rules
                continue
            raise ValueError(
                f"Column {col!r} is an ordered categorical whose categories "
                f"differ between source ({list(ds.categories)}) and target "
                f"({list(dt.categories)}); give both the same ordered categories "
                "(Series.cat.set_categories)."
            )
        extra = dt.categories[~dt.categories.isin(ds.categories)]
        union = CategoricalDtype(ds.categories.append(extra))
        new_s[col] = X_source[col].astype(union)
        new_t[col] = X_target[col].astype(union)
    frames = []
    for X, new in ((X_source, new_s), (X_target, new_t)):
        if new:
            X = X.copy()  # a copy: the caller's frame is kept
            for col, values in new.items():
                X[col] = values
        frames.append(X)
    return tuple(frames)


def stack_domains(X_source, X_target):
    """Stack source and target rows into one ``X`` and a ``domain`` vector.

    DataFrames must have the same columns; the target's are reordered to the
    source's order, and a categorical column gets the union of both sides'
    categories (source's first) so that it stays categorical. Arrays must be
    both dense or both sparse.

    Parameters
    ----------
    X_source : array-like of shape (n_source, n_features)
        Source rows.
    X_target : array-like of shape (n_target, n_features)
        Target rows.

    Returns
    -------
    X : ndarray, sparse matrix or DataFrame of shape (n_source + n_target, n_features)
        Source rows first, then target rows. A DataFrame gets a fresh
        ``RangeIndex`` (``0 .. n_source + n_target - 1``): the index labels of
        ``X_source`` and ``X_target`` are not kept, so the weights of
        ``weighter.fit(X, domain).weights_`` line up with the source rows by
        position. :func:`importance_weights` returns them as a Series with
        ``X_source``'s index.
    domain : ndarray of shape (n_source + n_target,)
        0 for the source rows, 1 for the target rows.
    """
    import pandas as pd

    is_df = isinstance(X_source, pd.DataFrame), isinstance(X_target, pd.DataFrame)
    if all(is_df):
        missing = [c for c in X_source.columns if c not in X_target.columns]
        extra = [c for c in X_target.columns if c not in X_source.columns]
        if missing or extra:
            raise ValueError(
                "Source and target DataFrames have different columns: "
                f"missing from target {missing}, only in target {extra}. Select "
                "the same covariates in both (e.g. X_target[X_source.columns])."
            )
        X_source, X_target = _union_categories(X_source, X_target[X_source.columns])
        X = pd.concat([X_source, X_target], ignore_index=True)
        n_s, n_t = len(X_source), len(X_target)
    elif any(is_df):
        raise TypeError(
            "One of X_source/X_target is a DataFrame and the other is not; pass "
            "both as DataFrames (with the same columns) or both as arrays."
        )
    elif issparse(X_source) != issparse(X_target):
        sparse, dense = (
            ("X_source", "X_target") if issparse(X_source) else ("X_target", "X_source")
        )
        raise TypeError(
            f"{sparse} is a sparse matrix and {dense} is not; pass both sparse "
            f"(e.g. scipy.sparse.csr_matrix({dense})) or both dense "
            f"({sparse}.toarray())."
        )
    elif issparse(X_source) and issparse(X_target):
        if X_source.shape[1] != X_target.shape[1]:
            raise ValueError(
                f"X_source has {X_source.shape[1]} features but X_target has "
                f"{X_target.shape[1]}; both must have the same columns."
            )
        X = sparse_vstack([X_source, X_target], format="csr")
        n_s, n_t = X_source.shape[0], X_target.shape[0]
    else:
        Xs, Xt = np.asarray(X_source), np.asarray(X_target)
        if Xs.ndim != 2 or Xt.ndim != 2:
            raise ValueError(
                "X_source and X_target must be 2-D (rows x features); got shapes "
                f"{Xs.shape} and {Xt.shape}. Reshape a single feature with "
                "x.reshape(-1, 1)."
            )
        if Xs.shape[1] != Xt.shape[1]:
            raise ValueError(
                f"X_source has {Xs.shape[1]} features but X_target has "
                f"{Xt.shape[1]}; both must have the same columns."
            )
        X = np.concatenate([Xs, Xt])
        n_s, n_t = Xs.shape[0], Xt.shape[0]
    # Stacking needs a row of each side only; how many rows an estimator
    # needs is its own check (a weighter asks for 2 of each in fit).
    for name, n_rows in (("X_source", n_s), ("X_target", n_t)):
        if n_rows == 0:
            raise ValueError(f"{name} has no rows; give at least one.")
    domain = np.r_[np.zeros(n_s, dtype=int), np.ones(n_t, dtype=int)]
    return X, domain


@dataclass
class StackedRows:
    """The rows of one ``fit(X, y, domain=..., sample_weight=...)``, resolved.

    Attributes
    ----------
    X : ndarray, sparse matrix or DataFrame
        The stacked rows, row-indexable (see :func:`as_indexable`).
    y : ndarray of shape (n_samples,)
        The labels as given (float for regression), unlabeled rows included.
    is_target : ndarray of bool
        Target rows: the weighter's target sample.
    fit_rows : ndarray of bool
        Labeled source rows: what the wrapped estimator is fit on.
    y_fit : ndarray
        ``y[fit_rows]`` with the dtype scikit-learn expects (see
        :func:`labels_array`).
    sample_weight : ndarray of shape (n_samples,) or None
        The user's weights, validated (a new array).
    n_labeled_target : int
        Target rows that carry a label (possible only with ``domain``).
    """

    X: object
    y: np.ndarray
    is_target: np.ndarray
    fit_rows: np.ndarray
    y_fit: np.ndarray
    sample_weight: object
    n_labeled_target: int


def resolve_stacked(X, y, domain, sample_weight, task, *, stacklevel=5):
    """Resolve ``(X, y, domain, sample_weight)`` into target and fit rows.

    The one preamble of every meta-estimator fit on stacked rows: ``y`` made
    1-D (float for regression), lengths checked, target rows and labeled
    source rows worked out by :func:`resolve_rows`, classification targets
    checked on the labeled source rows, ``sample_weight`` validated.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Source and target rows, stacked (not converted: the inner estimator
        validates the values).
    y : array-like of shape (n_samples,)
        Labels; unlabeled rows mark the target rows when ``domain`` is None.
    domain : array-like of shape (n_samples,) or None
        0 source, 1 target.
    sample_weight : array-like of shape (n_samples,) or None
        User weights of the rows.
    task : {"classification", "regression"}
        Which unlabeled markers apply.
    stacklevel : int, default=5
        Where the warnings point (5: the caller of a ``fit`` that calls this).

    Returns
    -------
    rows : StackedRows
    """
    X = as_indexable(X)
    y = column_or_1d(y, warn=True)
    if task == "regression" and y.dtype.kind not in "fc":
        y = y.astype(float)
    from .._validation import check_same_rows, check_sample_weight

    n = _num_samples(X)
    check_same_rows(n, y=y, sample_weight=sample_weight)
    is_target, fit_rows = resolve_rows(y, domain, task, n, stacklevel=stacklevel)
    y_fit = y[fit_rows]
    if task == "classification":
        y_fit = labels_array(y_fit)
        check_classification_targets(y_fit)
    sw = None
    if sample_weight is not None:
        sw = check_sample_weight(sample_weight, n)
    return StackedRows(
        X=X,
        y=y,
        is_target=is_target,
        fit_rows=fit_rows,
        y_fit=y_fit,
        sample_weight=sw,
        n_labeled_target=int(np.count_nonzero(is_target & ~unlabeled_mask(y, task))),
    )
