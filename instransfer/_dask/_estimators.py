"""Importance-weighted training on dask collections, through ``xgboost.dask``.

:class:`~instransfer.ImportanceWeightedClassifier` / ``Regressor`` given a
dask ``X`` fit the weighter on the dask rows (see :mod:`._weighter`), keep the
source rows of every partition and hand them, their labels and their weights
(a dask array chunked exactly like those rows, so each partition's weights
travel with its rows) to a dask-aware estimator: by default
``xgboost.dask.DaskXGBClassifier`` / ``DaskXGBRegressor``, which need a
``distributed`` client. Nothing of size ``n`` reaches the client.
"""

import numpy as np

from .._weights import WeightTransform
from ._input import _domain_array, as_dask_rows, domain_counts


def default_estimator(task):
    """``xgboost.dask``'s estimator for the task (the extra's dependency)."""
    try:
        from xgboost import dask as xgb_dask
    except ImportError as exc:  # pragma: no cover - the extra installs it
        raise ImportError(
            "Weighted training on dask collections uses xgboost.dask; install "
            "the extra: pip install 'instransfer[dask]'."
        ) from exc
    if task == "classification":
        return xgb_dask.DaskXGBClassifier(n_estimators=100, tree_method="hist")
    return xgb_dask.DaskXGBRegressor(n_estimators=100, tree_method="hist")


def _block_source(A, t):
    return np.asarray(A)[~np.asarray(t, bool).ravel()]


def _source_rows(arr, rows, n_source):
    """The source rows of a dask array, lazily, with known chunk lengths."""
    import dask.array as da

    t = rows.is_target if arr.ndim == 1 else rows.is_target[:, None]
    chunks = (n_source,) if arr.ndim == 1 else (n_source, arr.chunks[1])
    return da.map_blocks(
        _block_source,
        arr,
        t,
        chunks=chunks,
        dtype=arr.dtype,
        meta=np.zeros((0,) * arr.ndim),
    )


def fit(meta, X, y, domain, sample_weight, fit_params):
    """Fit ``meta`` (an importance-weighted estimator) on dask rows."""
    from sklearn.base import clone

    owner = type(meta).__name__
    if domain is None:
        raise ValueError(
            f"{owner} on dask collections needs domain= (0 source, 1 target per "
            "row, aligned with X's partitions); inferring it from y is in memory only."
        )
    if meta.clip is not None or meta.clip_quantile is not None:
        raise ValueError(
            f"{owner} on dask collections supports flatten only; set clip or "
            "clip_quantile on the weighter instead (fitted on its sample)."
        )
    if sample_weight is not None:
        raise ValueError(
            f"{owner} on dask collections takes no sample_weight yet; multiply it "
            "into the weights and fit the dask estimator yourself."
        )
    rows = as_dask_rows(X, domain, owner)
    counts = domain_counts(rows)
    n_source = tuple(int(c) for c in counts[:, 0])
    y_arr = _domain_array(y, rows.X.shape[0], rows.X.chunks[0], owner).astype(
        _label_dtype(y)
    )
    weighter = meta._get_weighter()
    if meta.weighter is not None:
        weighter = clone(weighter)
    meta.weighter_ = weighter.fit(X, domain)
    w = meta.weighter_.weights_
    tf = WeightTransform(meta.flatten, None, None)
    # the estimator's flatten: one more mean over all source rows
    scale = 1.0 if meta.flatten == 1 else float((w**meta.flatten).mean().compute())
    tf.scale_, tf.log_scale_, tf.cap_, tf.renorm_ = scale, None, np.inf, 1.0
    meta._transform, meta._fit_in_source = tf, None
    meta._n_labeled_target = 0
    meta.n_source_fit_ = int(sum(n_source))
    meta.n_features_in_ = meta.weighter_.n_features_in_
    if hasattr(meta.weighter_, "feature_names_in_"):
        meta.feature_names_in_ = meta.weighter_.feature_names_in_
    estimator = (
        clone(meta.estimator)
        if meta.estimator is not None
        else default_estimator(meta._task)
    )
    X_src = _source_rows(rows.X, rows, n_source)
    y_src = _source_rows(y_arr, rows, n_source)
    fit_weight = w.map_blocks(tf.transform, dtype=float)
    meta.estimator_ = estimator.fit(
        X_src, y_src, sample_weight=fit_weight, **(fit_params or {})
    )
    return meta


def _label_dtype(y):
    dtype = getattr(y, "dtype", None)
    return dtype if dtype is not None and np.dtype(dtype).kind in "biuf" else float
