"""Validation of covariates: numeric columns, missing values, column scales.

The domain and label conventions (``check_domain``, ``unlabeled_mask``,
``resolve_rows``) live in :mod:`instransfer.utils._domain`; they are
re-exported here for the old import paths.
"""

import sys
import warnings

import numpy as np

from .exceptions import (  # noqa: F401 (old paths)
    FeatureScaleWarning,
    NoDomainWarning,
    NoTargetRowsWarning,
)
from .utils._compat import _num_samples
from .utils._domain import (  # noqa: F401 (old paths)
    _DOMAIN_HELP,
    SOURCE,
    TARGET,
    _has_strings,
    _is_missing,
    _preview_values,
    check_domain,
    check_domain_sizes,
    resolve_rows,
    unlabeled_mask,
)


def _num_rows(X):
    return _num_samples(X)


def _shown(names, limit=10):
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"{list(names[:limit])}{more}"


def check_numeric_covariates(X, owner):
    """Refuse, with the remedy, covariates a numeric weighter cannot use.

    Kernel, neighbour and the default classifier weighters compute with the
    covariates as numbers. A DataFrame's text, category (or other non-numeric)
    columns, and missing values, would otherwise fail deep inside (pandas'
    "Cannot cast object dtype to float64", or scikit-learn's advice for
    supervised learners); here they are named. Boolean columns are numeric.

    Parameters
    ----------
    X : array-like, DataFrame or sparse matrix
        The covariates, before conversion.
    owner : str
        What needs numbers, for the message (e.g. the weighter's class name).
    """
    pd = sys.modules.get("pandas")  # a DataFrame means pandas is imported
    is_frame = pd is not None and isinstance(X, pd.DataFrame)
    if is_frame:
        other_types = {
            c: t for c, t in X.dtypes.items() if not pd.api.types.is_numeric_dtype(t)
        }
        other = list(other_types)
        has_nan = X.isna().to_numpy().any(axis=0)
        nan_cols = [c for c, bad in zip(X.columns, has_nan, strict=True) if bad]
        if other:
            kinds = sorted({str(t) for t in other_types.values()})
            # Encoding X_source and X_target apart (get_dummies on each) gives
            # different columns when their categories differ: stack first.
            also = f" Impute the NaN in {_shown(nan_cols)} too." if nan_cols else ""
            raise ValueError(
                f"{owner} needs numeric covariates, but these columns are not "
                f"numeric ({', '.join(kinds)}): {_shown(other)}; encode the "
                "stacked X (X, domain = instransfer.stack_domains(X_source, "
                "X_target); X = pandas.get_dummies(X, columns=cat_cols)), see "
                f"'Mixed-type cohort tables' in the docs.{also}"
            )
    else:
        nan_cols = _nan_columns(X)
    if nan_cols:
        where = "columns" if is_frame else "column indices"
        raise ValueError(
            f"{owner} cannot use missing values, but X has NaN in {where} "
            f"{_shown(nan_cols)}; impute them (sklearn.impute.SimpleImputer("
            "add_indicator=True)), drop those rows, or use ClassifierWeighter("
            "HistGradientBoostingClassifier()), which handles them."
        )


def _nan_columns(X):
    """Indices of the columns of a float array (dense or sparse) holding NaN."""
    from scipy.sparse import issparse

    if issparse(X):
        values = getattr(X, "data", None)
        if values is None or values.dtype.kind != "f" or not np.isnan(values).any():
            return []
        coo = X.tocoo()
        return np.unique(coo.col[np.isnan(coo.data)]).tolist()
    if not isinstance(X, np.ndarray) or X.dtype.kind != "f" or X.ndim != 2:
        return []  # lists and other inputs: left to check_array
    # one pass without a temporary: NaN propagates through the sum
    if not np.isnan(X.sum()):
        return []
    return np.flatnonzero(np.isnan(X).any(axis=0)).tolist()


# A single isotropic kernel width (or Euclidean distance) cannot serve columns
# whose standard deviations differ by more than this factor: the widest column
# sets the width and the narrowest ones stop counting, so the weights come out
# near-uniform without any error.
_MAX_SCALE_RATIO = 100.0


def check_feature_scales(X, owner, feature_names=None):
    """Warn when the columns' standard deviations differ by more than 100x.

    Constant columns are left out (they do not enter a distance). Sparse
    input is skipped: the weighters that use this check need dense arrays.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The stacked covariates, validated (float).
    owner : str
        The weighter's class name, for the message.
    feature_names : array-like of str, default=None
        Column names (``feature_names_in_``); indices are shown otherwise.
    """
    from scipy.sparse import issparse

    if issparse(X) or X.ndim != 2 or X.shape[0] < 2 or X.shape[1] < 2:
        return
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        std = X.std(axis=0)
        # no |X| temporary: one copy of X less at every fit
        amax = np.maximum(X.max(axis=0), -X.min(axis=0))
        # Very large or very small values overflow or underflow the squares
        # of the variance: redo those (few) columns on values scaled to <= 1.
        redo = ~np.isfinite(std) | ((std < 1e-150) & (amax > 0))
        for j in np.flatnonzero(redo):
            std[j] = (X[:, j] / amax[j]).std() * amax[j]
    # a constant column has a std of rounding error, ~eps * |value|, not 0
    varying = std > 100 * np.finfo(X.dtype).eps * amax
    # 0/1 indicator columns (one-hot levels) are left out: a rare level has a
    # tiny std, yet standardising it would put its few rows far from the rest
    indicator = np.all((X == 0) | (X == 1), axis=0)
    varying &= ~indicator
    if np.count_nonzero(varying) < 2:
        return
    cols = np.flatnonzero(varying)
    wide, narrow = cols[np.argmax(std[cols])], cols[np.argmin(std[cols])]
    with np.errstate(over="ignore"):
        ratio = std[wide] / std[narrow]
    if not ratio > _MAX_SCALE_RATIO:
        return
    factor = f"{ratio:.3g}" if np.isfinite(ratio) else "more than 1e308"

    def name(j):
        if feature_names is not None:
            return f"column {feature_names[j]!r}"
        return f"column {j}"

    warnings.warn(
        f"The standard deviations of X's columns differ by a factor of {factor} "
        f"(widest {name(wide)}: {std[wide]:.3g}, narrowest {name(narrow)}: "
        f"{std[narrow]:.3g}), so {owner}'s one distance ignores the narrow ones; "
        f"standardise X: make_pipeline(StandardScaler(), {owner}()), or "
        "RobustScaler() with outliers.",
        FeatureScaleWarning,
        stacklevel=4,
    )


# --------------------------------------------------------------------------
# One rule per kind of input, shared by every estimator, scorer and metric.


def negative_weights_message(name, w):
    """The one message for negative weights, wherever they are refused."""
    return (
        f"{name} has {int(np.count_nonzero(w < 0))} negative value(s) (min "
        f"{np.min(w):.3g}); weights must be non-negative: give 0 to leave a row out."
    )


def check_sample_weight(sample_weight, n_samples, *, name="sample_weight"):
    """Validate a user's per-row weights: one per row, finite, non-negative.

    One rule and one message everywhere (weighted estimators, IWCV, boosting,
    scorers and metrics): scikit-learn's own check accepts negative weights
    unless asked, and numpy fails on them deep inside a regressor.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or scalar
        The weights; a scalar is every row's weight.
    n_samples : int
        Rows of ``X`` the weights must match.
    name : str, default="sample_weight"
        The argument's name, for the message.

    Returns
    -------
    weights : ndarray of float64, shape (n_samples,)
        A new array (the caller's is never changed).
    """
    w = np.asarray(sample_weight)
    if w.ndim == 0:
        w = np.full(n_samples, w.item() if w.dtype.kind != "O" else w[()])
    if w.dtype.kind not in "biuf":
        try:
            w = w.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"{name} must be numeric; got dtype {w.dtype}. Give one finite, "
                "non-negative number per row."
            ) from None
    w = np.array(w, dtype=np.float64)  # a copy: the caller's array is kept
    if w.ndim == 2 and w.shape[1] == 1:
        w = w.ravel()
    if w.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D (one weight per row); got shape {w.shape}."
        )
    if w.shape[0] != n_samples:
        raise ValueError(
            f"{name} has {w.shape[0]} entries but X has {n_samples} rows; give "
            "one weight per row of X."
        )
    if not np.isfinite(w).all():
        raise ValueError(
            f"{name} has {int(np.count_nonzero(~np.isfinite(w)))} NaN or infinite "
            "value(s); give finite, non-negative weights."
        )
    if (w < 0).any():
        raise ValueError(negative_weights_message(name, w))
    return w


def check_same_rows(n_rows, what="X", **arrays):
    """Refuse arrays whose length differs from the rows of ``X``, naming them.

    scikit-learn's ``check_consistent_length`` lists the lengths without
    saying which argument is off; ``None`` entries are skipped.
    """
    for name, a in arrays.items():
        if a is None:
            continue
        m = _num_samples(a)
        if m != n_rows:
            raise ValueError(
                f"{name} has {m} entries but {what} has {n_rows} rows; give one "
                f"entry per row of {what}."
            )


def power_of_two_scale(X):
    """A power of two ``s`` with ``max |s X|`` in ``[0.5, 1)``; 1 if none.

    Multiplying by a power of two is exact in floating point (away from the
    subnormal range), so a method that is invariant to the units of ``X``
    (the same factor on every column) stays exactly invariant, while squares
    and distances of values near 1e-170 or 1e154 no longer underflow or
    overflow float64.
    """
    from scipy.sparse import issparse

    values = X.data if issparse(X) else X
    if values.size == 0:
        return 1.0
    with np.errstate(invalid="ignore"):
        amax = float(np.nanmax(np.abs(values))) if values.size else 0.0
    if not (np.isfinite(amax) and amax > 0):
        return 1.0
    # at most 2**1000 (finite): subnormal values come out near 1e-10, enough
    return float(np.ldexp(1.0, min(-np.frexp(amax)[1], 1000)))


def check_finite_values(X, owner):
    """Refuse infinite values with the columns that hold them.

    scikit-learn's message says "Input contains infinity or a value too
    large"; this one names the columns and the remedy.
    """
    from scipy.sparse import issparse

    values = X.data if issparse(X) else np.asarray(X)
    if values.dtype.kind != "f" or values.size == 0:
        return
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(values.sum()):  # one pass, no temporary, the usual case
            return
    if not np.isinf(values).any():
        return
    cols = (
        np.unique(X.tocoo().col[np.isinf(X.tocoo().data)])
        if issparse(X)
        else np.flatnonzero(np.isinf(values).any(axis=0))
    )
    raise ValueError(
        f"{owner} got infinite values in column(s) {_shown(cols.tolist())}; "
        "replace them (e.g. by NaN, then impute) or drop those rows."
    )


def check_frame(X, owner):
    """Refuse DataFrames scikit-learn's check_array fails on without context.

    Duplicated column names (pandas' bare "DuplicateError") and columns of
    pandas' sparse dtype ("fill value must be 0 when converting to COO").
    """
    pd = sys.modules.get("pandas")
    if pd is None or not isinstance(X, pd.DataFrame):
        return
    dup = X.columns[X.columns.duplicated()]
    if len(dup):
        raise ValueError(
            f"X has duplicated column names {_shown(list(dict.fromkeys(dup)))}; "
            f"give every column of X a unique name before {owner}."
        )
    if any(isinstance(t, pd.SparseDtype) for t in X.dtypes):
        raise ValueError(
            f"{owner} got a DataFrame with sparse columns; pass "
            "X.sparse.to_coo().tocsr() (all columns sparse) or "
            "X.sparse.to_dense()."
        )
