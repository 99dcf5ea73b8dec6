"""One numeric encoding of a mixed-type cohort table for the weighters.

Density-ratio weighters compare rows as numbers. A clinical table mixes
continuous measurements (age, a lab value), 0/1 flags (a diagnosis, a
subgroup), categories (stage, site) and missing values; how they are turned
into numbers decides what a kernel or a domain classifier sees. The rules
here, and why:

- **Fitted on the stacked source and target rows**: one set of columns and
  one scale for both domains (encoding each table alone gives different
  one-hot columns when their levels differ, and different scales).
- **Continuous columns standardised** (pooled mean and SD), so that one
  kernel width fits them all.
- **0/1 columns left as 0/1**: standardising a flag divides it by
  ``sqrt(p (1 - p))``, which puts the few rows of a rare flag (a 1 % subgroup:
  ~10 SDs) so far from all others that a kernel or a classifier isolates them
  (the command line gave a 15-row subgroup a mean weight of 0.006). The
  library's own feature-scale check leaves them out for the same reason.
- **Categories one-hot encoded**, every level a 0/1 column (no level dropped,
  so a level never seen in ``fit`` is all zeros, distinct from every known
  level). Levels seen in fewer than ``min_frequency`` stacked rows are
  grouped into one ``infrequent`` column: a level of 3 rows cannot be
  balanced or estimated, and many such columns would dilute every distance.
  An unknown level at ``transform`` joins that group when the column has
  one, and is all zeros otherwise.
- **Missing values imputed** (median for continuous columns, most frequent
  value for 0/1 columns) **with a 0/1 missingness indicator** per column that
  had missing values in ``fit``: missingness often differs between cohorts
  and is itself a covariate to balance. A missing category is a level of its
  own (``"<missing>"``).
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..utils._compat import Interval, StrOptions, _fit_context

__all__ = ["CovariateEncoder", "id_like_columns"]

MISSING_LEVEL = "<missing>"


def _as_text(X):
    """Category columns as plain strings, ``"<missing>"`` for a missing value.

    OneHotEncoder needs one comparable type per column: CSV columns mixing
    numbers and text, pandas' string and category dtypes and NaN all become
    strings.
    """
    import pandas as pd

    frame = pd.DataFrame(X)
    out = frame.astype(object).where(frame.notna(), MISSING_LEVEL)
    return out.astype(str).to_numpy(dtype=object)


def _is_numeric(series):
    import pandas as pd

    return pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _is_binary(values):
    """0/1 column (booleans included), missing values aside, both levels or one."""
    v = values[~np.isnan(values)]
    return v.size > 0 and bool(np.all((v == 0) | (v == 1)))


def id_like_columns(frame):
    """Columns that identify rows: a distinct value on every row, integer or text.

    A patient or record number is not a covariate: as a category every row is
    a level of its own, as a number it orders the rows by when they were
    entered. Floats are not flagged (a continuous measurement is often
    distinct on every row).

    Parameters
    ----------
    frame : DataFrame
        The covariates (e.g. the stacked source and target rows).

    Returns
    -------
    names : list
        The ID-like columns, in the frame's order.

    Examples
    --------
    >>> import pandas as pd
    >>> from instransfer.preprocessing import id_like_columns
    >>> frame = pd.DataFrame({"id": [10, 11, 12], "age": [50.5, 61.0, 47.2],
    ...                       "sex": ["f", "m", "f"]})
    >>> id_like_columns(frame)
    ['id']
    """
    import pandas as pd

    if len(frame) < 3:  # every column of 2 rows is unique too often
        return []
    out = []
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_float_dtype(s):
            continue
        if not (
            pd.api.types.is_integer_dtype(s)
            or pd.api.types.is_object_dtype(s)
            or pd.api.types.is_string_dtype(s)
            or isinstance(s.dtype, pd.CategoricalDtype)
        ):
            continue
        if s.notna().all() and s.nunique() == len(s):
            out.append(col)
    return out


class CovariateEncoder(TransformerMixin, BaseEstimator):
    """Encode a mixed-type covariate table as numbers for the weighters.

    Fit it on the **stacked** source and target rows (``X`` of the data
    convention). Continuous columns are imputed (median) and standardised;
    0/1 columns (booleans included) are imputed (most frequent value) and
    left as 0/1; other columns (text, categories) are one-hot encoded with
    rare levels grouped; every numeric column with missing values in ``fit``
    gets a 0/1 missingness indicator. Why each rule: see the module
    :mod:`instransfer.preprocessing` and :ref:`mixed_types`.

    Parameters
    ----------
    categorical : "auto" or list of str or int, default="auto"
        Columns to one-hot encode. ``"auto"``: every column that is not
        numeric or boolean (text, pandas ``category``/``string``). A list
        adds numeric columns to those, by name (DataFrame) or position: codes
        such as a site number are then levels, not quantities.
    min_frequency : int or float, default=10
        Levels seen in fewer stacked rows than this (a fraction of the rows
        when a float in (0, 1)) are grouped into one ``<column>_infrequent``
        column, as :class:`~sklearn.preprocessing.OneHotEncoder` does. ``1``
        keeps every level.
    scale : {"standard", "none"}, default="standard"
        ``"standard"`` centres the continuous columns and divides them by
        their standard deviation over the stacked rows; ``"none"`` keeps their
        units (imputation and encoding still apply).

    Attributes
    ----------
    continuous_ : list
        Numeric columns that are standardised.
    binary_ : list
        0/1 columns, kept unscaled.
    categorical_ : list
        Columns one-hot encoded.
    transformer_ : ColumnTransformer
        The fitted encoding.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names seen in ``fit`` (DataFrame input only).

    See Also
    --------
    sklearn.preprocessing.OneHotEncoder : The one-hot encoding used here.
    instransfer.metrics.balance_table : Balance of the raw covariates.

    Notes
    -----
    A numeric column is "0/1" when all its non-missing values in ``fit`` are 0
    or 1. Standardising such a flag would scale a level with share ``p`` by
    ``1 / sqrt(p (1 - p))``: a 1 % subgroup would sit ~10 standard deviations
    from the other rows in one coordinate, and a kernel weighter or a domain
    classifier then isolates it.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from instransfer.preprocessing import CovariateEncoder
    >>> X = pd.DataFrame({"age": [50.0, 60.0, np.nan, 70.0],
    ...                   "smoker": [0, 1, 1, 0],
    ...                   "stage": ["I", "II", "II", None]})
    >>> enc = CovariateEncoder(min_frequency=1).fit(X)
    >>> list(enc.get_feature_names_out())  # doctest: +NORMALIZE_WHITESPACE
    ['age', 'smoker', 'age_missing', 'stage_<missing>', 'stage_I', 'stage_II']
    >>> enc.transform(X)[:, 1]  # the 0/1 column unscaled
    array([0., 1., 1., 0.])
    """

    _parameter_constraints: dict = {
        "categorical": [StrOptions({"auto"}), list],
        "min_frequency": [
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="neither"),
        ],
        "scale": [StrOptions({"standard", "none"})],
    }

    def __init__(self, categorical="auto", min_frequency=10, scale="standard"):
        self.categorical = categorical
        self.min_frequency = min_frequency
        self.scale = scale

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Choose the encoding of each column from the stacked rows.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Source and target rows, stacked.
        y : None
            Ignored (accepted for pipelines, e.g. the domain vector).

        Returns
        -------
        self : CovariateEncoder
        """
        frame = self._as_frame(X, reset=True)
        cats = self._categorical_columns(frame)
        numeric = [c for c in frame.columns if c not in cats]
        values = {c: frame[c].to_numpy(dtype=float, na_value=np.nan) for c in numeric}
        self.binary_ = [c for c in numeric if _is_binary(values[c])]
        self.continuous_ = [c for c in numeric if c not in self.binary_]
        self.categorical_ = cats
        with_missing = [c for c in numeric if np.isnan(values[c]).any()]
        self.transformer_ = self._build(with_missing).fit(frame)
        return self

    def transform(self, X):
        """Encode rows with the fitted encoding.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Rows with the columns seen in ``fit``.

        Returns
        -------
        X_encoded : ndarray of shape (n_samples, n_features_out)
            Float64. Continuous columns standardised, 0/1 columns and
            indicators as 0/1, one-hot columns.
        """
        check_is_fitted(self, "transformer_")
        frame = self._as_frame(X, reset=False)
        return np.asarray(self.transformer_.transform(frame), dtype=np.float64)

    def get_feature_names_out(self, input_features=None):
        """Names of the encoded columns.

        ``<col>`` for continuous and 0/1 columns, ``<col>_missing`` for the
        missingness indicators, ``<col>_<level>`` (and ``<col>_infrequent``)
        for one-hot levels.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored unless it differs from the names seen in ``fit``.

        Returns
        -------
        feature_names_out : ndarray of str
        """
        check_is_fitted(self, "transformer_")
        seen = getattr(self, "feature_names_in_", None)
        if input_features is not None and (
            len(input_features) != self.n_features_in_
            or (seen is not None and list(input_features) != list(seen))
        ):
            raise ValueError(
                "input_features is not equal to feature_names_in_ (or has the "
                "wrong length); pass None or the names seen in fit."
            )
        names = []
        for name, trans, cols in self.transformer_.transformers_:
            if name == "remainder" or trans == "drop" or len(cols) == 0:
                continue
            if name == "missing":
                names += [f"{c}_missing" for c in cols]
            elif name == "categorical":
                # sklearn names the grouped levels "<col>_infrequent_sklearn"
                names += [
                    n.removesuffix("_sklearn")
                    if n.endswith("_infrequent_sklearn")
                    else n
                    for n in trans[-1].get_feature_names_out(cols)
                ]
            else:
                names += [str(c) for c in cols]
        return np.asarray(names, dtype=object)

    def _as_frame(self, X, reset):
        import pandas as pd
        from sklearn.utils.validation import validate_data

        if isinstance(X, pd.DataFrame):
            # validate_data records feature names and the column count
            # without coercing the mixed types to one dtype
            validate_data(self, X, reset=reset, skip_check_array=True)
            frame = X
        else:
            arr = validate_data(
                self, X, reset=reset, dtype=None, ensure_all_finite="allow-nan"
            )
            frame = pd.DataFrame(arr)
            names = getattr(self, "feature_names_in_", None)
            if not reset and names is not None:
                # fitted on a DataFrame: an array is read by position, as
                # scikit-learn reads one (validate_data has warned)
                frame.columns = list(names)
            if arr.dtype != object:
                frame = frame.astype(float)
            else:  # object arrays: numbers where a column holds only numbers
                frame = frame.apply(_numbers_if_possible)
        if frame.shape[0] < 1:
            raise ValueError(
                "Found array with 0 sample(s) (shape="
                f"{frame.shape}) while a minimum of 1 is required."
            )
        if frame.shape[1] < 1:
            raise ValueError(
                "Found array with 0 feature(s) (shape="
                f"{frame.shape}) while a minimum of 1 is required."
            )
        # booleans are 0/1 columns (the imputers need numbers); a copy
        flags = [c for c in frame.columns if pd.api.types.is_bool_dtype(frame[c])]
        if flags:
            frame = frame.astype({c: float for c in flags})
        if not reset:
            return frame
        for col in frame.columns:
            if _is_numeric(frame[col]):
                v = frame[col].to_numpy(dtype=float, na_value=np.nan)
                if np.isinf(v).any():
                    raise ValueError(
                        f"Column {col!r} has infinite values; replace them (e.g. "
                        "with NaN, which is imputed) before encoding."
                    )
        return frame

    def _categorical_columns(self, frame):
        cols = list(frame.columns)
        out = [c for c in cols if not _is_numeric(frame[c])]
        if isinstance(self.categorical, str):
            return out
        for c in self.categorical:
            if isinstance(c, Integral) and not isinstance(c, bool) and c not in cols:
                if not 0 <= c < len(cols):
                    raise ValueError(
                        f"categorical lists column {c}, but X has {len(cols)} columns."
                    )
                c = cols[c]
            elif c not in cols:
                raise ValueError(
                    f"categorical lists {c!r}, which is not a column of X."
                )
            out.append(c)
        return [c for c in cols if c in out]

    def _build(self, with_missing):
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import MissingIndicator, SimpleImputer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import (
            FunctionTransformer,
            OneHotEncoder,
            StandardScaler,
        )

        steps = []
        if self.continuous_:
            cont = [SimpleImputer(strategy="median", keep_empty_features=True)]
            if self.scale == "standard":
                cont.append(StandardScaler())
            steps.append(("continuous", make_pipeline(*cont), self.continuous_))
        if self.binary_:
            steps.append(
                (
                    "binary",
                    SimpleImputer(strategy="most_frequent", keep_empty_features=True),
                    self.binary_,
                )
            )
        if with_missing:
            # error_on_new=False: a value missing at transform only in a column
            # complete in fit is imputed, without a column the fit never had
            steps.append(
                (
                    "missing",
                    MissingIndicator(features="all", error_on_new=False),
                    with_missing,
                )
            )
        if self.categorical_:
            steps.append(
                (
                    "categorical",
                    make_pipeline(
                        FunctionTransformer(_as_text, feature_names_out="one-to-one"),
                        OneHotEncoder(
                            handle_unknown="infrequent_if_exist",
                            min_frequency=self.min_frequency,
                            sparse_output=False,
                        ),
                    ),
                    self.categorical_,
                )
            )
        return ColumnTransformer(
            steps, remainder="drop", verbose_feature_names_out=False
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags


def _numbers_if_possible(column):
    import pandas as pd

    converted = pd.to_numeric(column, errors="coerce")
    if converted.notna().sum() == column.notna().sum():
        return converted.astype(float)
    return column
