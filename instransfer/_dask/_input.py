"""Dask collections as stacked rows: validation, alignment, counts and the sample.

Everything here works partition by partition; nothing holds more than one
partition per task, and only bounded results (counts, a sample of at most
``SAMPLE_ROWS`` rows per domain, ``b x b`` sums) reach the client.
"""

import numpy as np

# Rows per domain brought to the client to choose what needs all pairs of rows
# (kernel centres, the median-heuristic width, the leave-one-out grid, the
# domain classifier). Above it each domain is sampled uniformly: a density
# ratio p_t / p_s is unchanged by uniform subsampling of either domain, only
# its constant, which the mean-1 normalisation over all source rows removes.
SAMPLE_ROWS = 50_000

# Partial results summed per tree node: a tree of fan-in 8 keeps the client
# and every worker to a few b x b matrices at a time, however many partitions.
_FAN_IN = 8

_UNKNOWN_CHUNKS = (
    "{what} has unknown partition lengths (NaN chunks); call "
    "X.compute_chunk_sizes() on a dask array, or pass a dask DataFrame "
    "(converted with to_dask_array(lengths=True))."
)


def is_dask_collection(obj):
    """True for a dask array/DataFrame/Series, without importing dask otherwise."""
    # the module check first: in-memory input never imports dask
    if not type(obj).__module__.startswith("dask"):
        return False
    import dask

    return dask.is_dask_collection(obj)


class DaskRows:
    """Stacked rows as a dask array of float64 features and a target mask.

    Attributes
    ----------
    X : dask.array.Array of shape (n, d)
        One chunk across the columns.
    is_target : dask.array.Array of bool, shape (n,), chunked like ``X``.
    columns : list of str or None
        Column names when ``X`` was a DataFrame.
    """

    def __init__(self, X, is_target, columns):
        self.X, self.is_target, self.columns = X, is_target, columns

    def blocks(self):
        """``(X block, is_target block)`` delayed pairs, partition by partition."""
        xs = self.X.to_delayed().ravel()
        ts = self.is_target.to_delayed().ravel()
        return list(zip(xs, ts, strict=True))

    def frame(self, X):
        """``X`` (a client-side block) as a DataFrame when the input had names."""
        if self.columns is None:
            return X
        import pandas as pd

        return pd.DataFrame(X, columns=self.columns)


def _as_float_part(part, column, owner):
    if column is not None and column not in part.columns:
        raise ValueError(
            f"{owner}: the domain column {column!r} is missing from a partition of X; "
            "write it into every file or partition (0 source, 1 target)."
        )
    return part.astype(np.float64)


def _check_known(arr, what):
    if any(np.isnan(c) for c in arr.chunks[0]):
        raise ValueError(_UNKNOWN_CHUNKS.format(what=what))


def _frame_to_array(frame, owner, column=None):
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    meta = frame._meta
    bad = [
        c
        for c in meta.columns
        if not (is_numeric_dtype(meta[c]) or is_bool_dtype(meta[c]))
    ]
    if bad:
        raise ValueError(
            f"{owner} on a dask DataFrame needs numeric columns; {bad[:5]} are not: "
            "encode them first (e.g. categorize() then one-hot per partition)."
        )
    meta_f = meta.astype(np.float64)
    frame = frame.map_partitions(_as_float_part, column, owner, meta=meta_f)
    return frame.to_dask_array(lengths=True)


def _domain_array(y, n_rows, chunks, owner):
    import dask.array as da
    import dask.dataframe as dd

    if isinstance(y, dd.Series | dd.DataFrame):
        y = y.to_dask_array(lengths=True)
    elif not is_dask_collection(y):
        y = np.asarray(y)
        if y.ndim != 1 or y.shape[0] != n_rows:
            raise ValueError(
                f"{owner}: domain has shape {y.shape}, X has {n_rows} rows; pass one "
                "0/1 value per row."
            )
        return da.from_array(y, chunks=(chunks,))
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{owner}: domain must be 1-D; got {y.ndim} dimensions.")
    _check_known(y, "domain")
    if tuple(y.chunks[0]) != tuple(chunks):
        raise ValueError(
            f"{owner}: the domain's partitions (lengths {_short(y.chunks[0])}) do not "
            f"align with X's ({_short(chunks)}); build both from one DataFrame, or "
            "rechunk the domain with domain.rechunk((X.chunks[0],))."
        )
    return y


def _short(chunks):
    chunks = tuple(int(c) if np.isfinite(c) else c for c in chunks)
    return chunks if len(chunks) <= 4 else (*chunks[:3], "...")


def as_dask_rows(X, y, owner):
    """Validate a dask ``X`` (array or DataFrame) and its domain; align them.

    ``y`` is a dask array/Series aligned with ``X``'s partitions, an
    in-memory array (chunked like ``X``), or, for a DataFrame ``X``, the name
    of its domain column (dropped from the features).
    """
    import dask.dataframe as dd

    columns = None
    if isinstance(X, dd.DataFrame):
        if isinstance(y, str):
            if y not in X.columns:
                raise ValueError(
                    f"{owner}: X has no domain column {y!r}; its columns are "
                    f"{list(X.columns)[:8]}. Pass the column's name or the domain."
                )
            arr = _frame_to_array(X, owner, column=y)
            pos = list(X.columns).index(y)
            columns = [str(c) for c in X.columns if c != y]
            keep = [i for i in range(arr.shape[1]) if i != pos]
            Xa, dom = arr[:, keep], arr[:, pos]
        else:
            if isinstance(y, dd.Series) and y.npartitions != X.npartitions:
                raise ValueError(
                    f"{owner}: the domain has {y.npartitions} partitions and X "
                    f"{X.npartitions}; they must align (build both from one DataFrame)."
                )
            columns = [str(c) for c in X.columns]
            Xa = _frame_to_array(X, owner)
            dom = _domain_array(y, Xa.shape[0], Xa.chunks[0], owner)
    else:
        Xa = X
        if Xa.ndim != 2:
            raise ValueError(
                f"{owner}: X must be 2-D (rows, features); got {Xa.ndim} dimensions."
            )
        _check_known(Xa, "X")
        if isinstance(y, str):
            raise ValueError(
                f"{owner}: a domain column name needs a dask DataFrame X; with a dask "
                "array pass the domain itself."
            )
        Xa = Xa.astype(np.float64)
        dom = _domain_array(y, Xa.shape[0], Xa.chunks[0], owner)
    Xa = Xa.rechunk({1: -1})
    return DaskRows(Xa, dom.map_blocks(_target_mask, dtype=bool), columns)


def _target_mask(d):
    d = np.asarray(d)
    if d.dtype == bool:
        return d
    ok = (d == 0) | (d == 1)
    if not ok.all():
        bad = d[~ok][:3]
        raise ValueError(
            f"domain values must be 0 (source) or 1 (target); found {bad.tolist()}."
        )
    return d == 1


def as_dask_features(est, X):
    """A dask ``X`` for prediction, checked against what ``fit`` saw."""
    import dask.dataframe as dd

    owner = type(est).__name__
    if isinstance(X, dd.DataFrame):
        names = getattr(est, "feature_names_in_", None)
        cols = [str(c) for c in X.columns]
        if names is not None and cols != list(names):
            raise ValueError(
                f"{owner}: X's columns {cols[:6]} differ from those seen in fit "
                f"{list(names)[:6]}; select them in the same order."
            )
        Xa = _frame_to_array(X, owner)
    else:
        Xa = X
        if Xa.ndim != 2:
            raise ValueError(f"{owner}: X must be 2-D; got {Xa.ndim} dimensions.")
        _check_known(Xa, "X")
        Xa = Xa.astype(np.float64)
    if Xa.shape[1] != est.n_features_in_:
        raise ValueError(
            f"X has {Xa.shape[1]} features, but {owner} is expecting "
            f"{est.n_features_in_} features as input."
        )
    return Xa.rechunk({1: -1})


def tree_reduce(parts, combine):
    """Sum delayed partial results in a tree of fan-in ``_FAN_IN``; compute it."""
    import dask

    combine = dask.delayed(combine, pure=True)
    while len(parts) > 1:
        parts = [
            combine(*parts[i : i + _FAN_IN]) for i in range(0, len(parts), _FAN_IN)
        ]
    return dask.compute(parts[0])[0]


def add_tuples(*parts):
    """Elementwise sum of tuples of arrays (a tree node of :func:`tree_reduce`)."""
    return tuple(sum(vals) for vals in zip(*parts, strict=True))


def _block_counts(t):
    t = np.asarray(t, bool)
    n_t = int(t.sum())
    return np.array([[t.shape[0] - n_t, n_t]])


def domain_counts(rows):
    """Per-partition ``(n_source, n_target)``: an int array, one pass."""
    import dask

    per_block = dask.compute(
        *[dask.delayed(_block_counts)(t) for t in rows.is_target.to_delayed().ravel()]
    )
    return np.concatenate(per_block, axis=0)


def _block_sample(X, t, fractions, seed):
    t = np.asarray(t, bool)
    keep = np.ones(t.shape[0], bool)
    if min(fractions) < 1:
        u = np.random.default_rng(seed).random(t.shape[0])
        keep = u < np.where(t, fractions[1], fractions[0])
    return np.asarray(X)[keep], t[keep]


def draw_sample(rows, counts, seed, max_rows=None):
    """All rows of a domain up to ``max_rows``, else a uniform Bernoulli sample.

    Returns ``(X, is_target, fractions)`` on the client, rows in the input's
    order; ``fractions`` are each domain's sampling probability.
    """
    import dask

    max_rows = SAMPLE_ROWS if max_rows is None else max_rows
    totals = counts.sum(axis=0)
    fractions = tuple(min(1.0, max_rows / max(n, 1)) for n in totals)
    # one independent stream per partition from one seed (NumPy's SeedSequence)
    seeds = np.random.SeedSequence(seed).spawn(len(counts))
    parts = [
        dask.delayed(_block_sample)(xb, tb, fractions, s)
        for (xb, tb), s in zip(rows.blocks(), seeds, strict=True)
    ]
    parts = dask.compute(*parts)
    X = np.concatenate([p[0] for p in parts], axis=0)
    t = np.concatenate([p[1] for p in parts], axis=0)
    return X, t, fractions
