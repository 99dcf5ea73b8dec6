"""``instransfer weigh`` on parquet: read through Dask, write parquet partitions.

Taken when SOURCE is a ``.parquet`` file, a directory or a glob of them and
Dask is installed (the ``dask`` extra). Memory stays bounded by the partition
size: the weighter is fitted as on any dask collection (a bounded sample on
the client, sums over partitions; see :doc:`/at_scale`), and the weights are
written partition by partition, one parquet file per source partition, with
the ``--index-col`` column (or the row number) beside ``weight``.
"""

import contextlib
import glob
import os
import sys
import warnings

import numpy as np

from ._common import CLIError

_DOMAIN = "__instransfer_domain__"


def is_parquet(path):
    """SOURCE names parquet data: a file, a directory of them, or a glob."""
    path = str(path)
    if path.endswith((".parquet", ".pq")):
        return True
    if os.path.isdir(path):
        return bool(glob.glob(os.path.join(path, "**", "*.parquet"), recursive=True))
    return any(ch in path for ch in "*?[") and any(
        p.endswith((".parquet", ".pq")) for p in glob.glob(path)
    )


def _read(path, what):
    import dask.dataframe as dd

    try:
        frame = dd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise CLIError(f"cannot read the {what} parquet data {path!r}: {exc}") from None
    # Dask fuses parquet files into fewer partitions when only some columns
    # are read (in proportion to the share read): the stacked covariates would
    # then be partitioned unlike the source frame the weights are written
    # beside, and the fit fails on partition lengths. An opaque per-partition
    # step keeps one partition per file.
    return frame.map_partitions(_same_rows, meta=frame._meta)


def _same_rows(part):
    return part


def _columns(source, target, columns, index_col):
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    src_cols = [c for c in source.columns if c != index_col]
    if columns:
        for frame, what in ((source, "source"), (target, "target")):
            missing = [c for c in columns if c not in frame.columns]
            if missing:
                raise CLIError(f"--columns {missing} not found in the {what} data.")
        cols = list(columns)
    else:
        only = [c for c in src_cols if c not in target.columns]
        if only:
            raise CLIError(
                f"columns {only} are in the source data only; give the covariates "
                "with --columns COL [COL ...] (or the row ID with --index-col)."
            )
        cols = src_cols
    meta = source._meta
    bad = [c for c in cols if not (is_numeric_dtype(meta[c]) or is_bool_dtype(meta[c]))]
    if bad:
        raise CLIError(
            f"parquet input needs numeric covariates; {bad[:5]} are not: encode "
            "them first, or leave them out with --columns."
        )
    return cols


def _screen(source, target, cols, columns, index_col):
    """The covariates left after the CSV path's column rules, with notes.

    As for CSV files (see ``_weigh.screen_columns``): a column with one value
    in the source and another in the target (a domain label) separates the
    files by construction; one value throughout carries nothing; an integer
    with a distinct value on every row is an ID. Computed in one pass over the
    partitions (minima, maxima, counts, and HyperLogLog distinct counts, whose
    memory is bounded whatever the number of rows).
    """
    import dask

    ints = [c for c in cols if pd_is_integer(source._meta[c])]
    ints = [c for c in ints if pd_is_integer(target._meta[c])]
    parts = dask.compute(
        source[cols].min(),
        source[cols].max(),
        target[cols].min(),
        target[cols].max(),
        source[cols].count(),
        target[cols].count(),
        [source[c].nunique_approx() for c in ints],
        [target[c].nunique_approx() for c in ints],
    )
    s_min, s_max, t_min, t_max, s_n, t_n, s_nu, t_nu = parts
    notes, ids = {}, []
    for c in cols:
        one_s, one_t = s_min[c] == s_max[c], t_min[c] == t_max[c]
        if one_s and one_t and s_min[c] != t_min[c]:
            s_val, t_val = _plain(s_min[c]), _plain(t_min[c])
            if columns:
                raise CLIError(
                    f"column {c!r} is {s_val!r} on every source row and {t_val!r} "
                    "on every target row, so it tells the files apart by "
                    "construction (a domain label?); leave it out of --columns."
                )
            notes[c] = (
                f"{s_val!r} in every source row, {t_val!r} in every target row "
                "(a domain label): it separates the files by construction"
            )
        elif not columns and one_s and one_t:
            notes[c] = (
                f"the same value ({_plain(s_min[c])!r}) on every row that has "
                "one: it carries nothing"
            )
    if not columns:
        # HyperLogLog is within ~1 % of the distinct count: 0.98 of the rows
        # keeps the few-valued integers (age, counts) far away
        for c, a, b in zip(ints, s_nu, t_nu, strict=True):
            if c not in notes and a >= 0.98 * s_n[c] > 2 and b >= 0.98 * t_n[c] > 2:
                ids.append(c)
    if ids:
        hint = (
            f"pass --index-col {ids[0]} to write it beside the weights"
            if index_col is None
            else "choose the covariates with --columns"
        )
        print(
            f"note: column(s) {ids} hold a distinct integer value on every row "
            f"(an ID) and are left out of the covariates; {hint}.",
            file=sys.stderr,
        )
    for c, why in notes.items():
        print(f"note: column {c!r} is left out: {why}.", file=sys.stderr)
    kept = [c for c in cols if c not in notes and c not in ids]
    if not kept:
        raise CLIError(
            "no covariate is left to weight on (see the notes above); give the "
            "covariates with --columns COL [COL ...]."
        )
    return kept


def _plain(value):
    """A Python number for messages: 1, not 1.0 or np.int64(1)."""
    value = value.item() if hasattr(value, "item") else value
    return int(value) if isinstance(value, float) and value.is_integer() else value


def pd_is_integer(series):
    from pandas.api.types import is_integer_dtype

    return is_integer_dtype(series)


@contextlib.contextmanager
def _no_feature_name_warning():
    """Silence scikit-learn's feature-name check on the partitions.

    The classifier is fitted on a frame (the sample on the client) and
    predicts each partition as an array, with the same columns in the same
    order; the check then fires once per partition, addressed to developers.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            message="X does not have valid feature names",
            category=UserWarning,
        )
        yield


def _weights_frame(part, w, offset, index_col):
    import pandas as pd

    ids = (
        part[index_col].to_numpy()
        if index_col is not None
        else np.arange(offset, offset + len(part))
    )
    return pd.DataFrame({index_col or "row": ids, "weight": np.asarray(w)})


def run_parquet(args, out):
    """Fit on parquet SOURCE/TARGET through Dask; write weights as parquet."""
    try:
        import dask
        import dask.dataframe as dd
    except ImportError:
        raise CLIError(
            "parquet input is read through Dask; install the extra: "
            "pip install 'instransfer[dask]'."
        ) from None
    from .. import ULSIFCV, ClassifierWeighter

    if args.report:
        raise CLIError(
            "--report needs every row in memory and is not available for parquet "
            "input; weigh a sample written to CSV files to get the report."
        )
    source, target = _read(args.source, "source"), _read(args.target, "target")
    if args.index_col is not None and args.index_col not in source.columns:
        raise CLIError(f"--index-col {args.index_col!r} is not a source column.")
    cols = _columns(source, target, args.columns, args.index_col)
    cols = _screen(source, target, cols, args.columns, args.index_col)
    if args.method not in ("classifier", "ulsif"):
        raise CLIError(
            "parquet input supports --method classifier or ulsif (their sums run "
            f"over partitions); got {args.method}."
        )
    stacked = dd.concat(
        [source[cols].assign(**{_DOMAIN: 0}), target[cols].assign(**{_DOMAIN: 1})]
    )
    cls = ClassifierWeighter if args.method == "classifier" else ULSIFCV
    weighter = cls(
        random_state=args.seed,
        flatten=args.flatten,
        clip=args.clip,
        clip_quantile=args.clip_quantile,
    )
    try:
        with _no_feature_name_warning():
            weighter.fit(stacked, _DOMAIN)
    except ValueError as exc:
        raise CLIError(f"{cls.__name__} failed: {exc}", code=1) from None
    # source partitions come first in the stack: weights_'s first blocks
    w_blocks = weighter.weights_.to_delayed().ravel()[: source.npartitions]
    counts = weighter.weights_.chunks[0][: source.npartitions]
    offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
    meta = _weights_frame(source._meta, np.zeros(0), 0, args.index_col)
    parts = [
        dask.delayed(_weights_frame)(p, w, int(o), args.index_col)
        for p, w, o in zip(source.to_delayed(), w_blocks, offsets, strict=True)
    ]
    try:
        with _no_feature_name_warning():
            dd.from_delayed(parts, meta=meta).to_parquet(args.out, write_index=False)
    except OSError as exc:
        raise CLIError(f"cannot write --out {args.out!r}: {exc}") from None
    d = weighter.diagnostics_
    print(
        f"Weighted {weighter.n_source_} source rows for {weighter.n_target_} target "
        f"rows on {len(cols)} covariates with --method {args.method} through Dask "
        f"({source.npartitions} source partitions); effective sample size "
        f"{d['ess']:.0f} ({100 * d['ess_fraction']:.1f} %).\n"
        f"Weights written to {args.out} (parquet, one file per source partition).",
        file=out,
    )
    return 0
