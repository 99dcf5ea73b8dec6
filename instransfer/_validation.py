"""Validation of covariates: numeric columns, missing values, column scales.

The domain and label conventions (``check_domain``, ``unlabeled_mask``,
``resolve_rows``) live in :mod:`instransfer.utils._domain`; they are
re-exported here for the old import paths.
"""

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


_MIXED_TYPES_RECIPE = (
    "ClassifierWeighter(make_pipeline(make_column_transformer("
    '(OneHotEncoder(handle_unknown="ignore"), cat_cols), '
    "remainder=StandardScaler()), LogisticRegression()))"
)
# the same with an imputer in both branches, for tables with missing values
_MIXED_TYPES_NAN_RECIPE = (
    "ClassifierWeighter(make_pipeline(make_column_transformer("
    '(make_pipeline(SimpleImputer(strategy="most_frequent"), '
    'OneHotEncoder(handle_unknown="ignore")), cat_cols), '
    'remainder=make_pipeline(SimpleImputer(strategy="median"), '
    "StandardScaler())), LogisticRegression()))"
)


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
    import sys

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
            stack = "X, domain = instransfer.stack_domains(X_source, X_target), then "
            if nan_cols:
                problem = (
                    f" X also has missing values (in {_shown(nan_cols)})."
                    f" Either stack the tables first ({stack}impute and encode "
                    "the stacked X, so that source and target rows get the same "
                    "columns), or weight with a ClassifierWeighter whose "
                    "classifier imputes and encodes them itself: "
                    f"{_MIXED_TYPES_NAN_RECIPE}"
                )
            else:
                problem = (
                    f" Either stack the tables first and encode the stacked X, "
                    "so that source and target rows get the same columns "
                    f"({stack}X = pandas.get_dummies(X, columns=cat_cols)), or "
                    "weight with a ClassifierWeighter whose classifier encodes "
                    f"them itself: {_MIXED_TYPES_RECIPE}"
                )
            raise ValueError(
                f"{owner} needs numeric covariates, but these columns of X are "
                f"not numeric ({', '.join(kinds)}): {_shown(other)}.{problem}, "
                f"with cat_cols = {_shown(other)}. Boolean columns count as "
                "numeric. See 'Mixed-type cohort tables' in the data convention "
                "guide."
            )
    else:
        nan_cols = _nan_columns(X)
    if nan_cols:
        where = "columns" if is_frame else "column indices"
        raise ValueError(
            f"{owner} cannot use missing values, but X has NaN in {where} "
            f"{_shown(nan_cols)}. Impute them first (e.g. sklearn.impute."
            "SimpleImputer; add_indicator=True keeps missingness as covariates) or "
            "drop those rows, or weight with a ClassifierWeighter whose "
            "classifier handles them, e.g. ClassifierWeighter(make_pipeline("
            "SimpleImputer(add_indicator=True), StandardScaler(), "
            "LogisticRegression())) or ClassifierWeighter("
            "HistGradientBoostingClassifier())."
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
        f"The columns of X have standard deviations that differ by a factor of "
        f"{factor} (widest {name(wide)}: {std[wide]:.3g}, narrowest "
        f"{name(narrow)}: {std[narrow]:.3g}). {owner} compares rows by one "
        "distance over all columns (one kernel width), so the widest columns "
        "decide it alone and the weights can come out near-uniform. Standardise "
        f"X first: make_pipeline(StandardScaler(), {owner}()), or RobustScaler() "
        "when there are outliers.",
        FeatureScaleWarning,
        stacklevel=4,
    )
