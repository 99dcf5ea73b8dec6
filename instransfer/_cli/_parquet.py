"""``instransfer weigh`` on parquet: read through Dask, write parquet partitions.

Taken when SOURCE is a ``.parquet`` file, a directory or a glob of them and
Dask is installed (the ``dask`` extra). Memory stays bounded by the partition
size: the weighter is fitted as on any dask collection (a bounded sample on
the client, sums over partitions; see :doc:`/at_scale`), and the weights are
written partition by partition, one parquet file per source partition, with
the ``--index-col`` column (or the row number) beside ``weight``.
"""

import glob
import os

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
        return dd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise CLIError(f"cannot read the {what} parquet data {path!r}: {exc}") from None


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

    source, target = _read(args.source, "source"), _read(args.target, "target")
    if args.index_col is not None and args.index_col not in source.columns:
        raise CLIError(f"--index-col {args.index_col!r} is not a source column.")
    cols = _columns(source, target, args.columns, args.index_col)
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
