"""``instransfer weigh``: importance weights of the rows of one CSV for another."""

import sys

import numpy as np

from ._common import (
    CLIError,
    Progress,
    balance_legend,
    count_imbalanced,
    encoded_model,
    format_balance,
    format_summary,
    love_plot_size,
    make_output_dir,
    save_plots,
)
from ._csv import parse_sep, refuse_infinite

# method name -> (public class of instransfer, compares encoded rows by distance)
METHODS = {
    "classifier": ("ClassifierWeighter", False),
    "nn": ("NearestNeighborWeighter", True),
    "ulsif": ("ULSIFCV", True),
    "kliep": ("KLIEPCV", True),
    "kmm": ("KMM", True),
}


def add_parser(subparsers):
    p = subparsers.add_parser(
        "weigh",
        help="importance weights of source.csv rows for target.csv",
        description=(
            "Estimate importance weights p_target(x) / p_source(x) for the rows of "
            "SOURCE from the covariates of SOURCE and TARGET (CSV files with a "
            "header row), and write them (mean 1) to --out."
        ),
        epilog=(
            "Covariates are encoded as instransfer.preprocessing.CovariateEncoder "
            "does, on the rows of both files: text/categorical columns one-hot "
            "(levels in fewer than 10 rows grouped), missing values imputed with "
            "a 0/1 indicator, continuous columns standardised, 0/1 columns kept "
            "as 0/1. Left out with a note unless named in --columns: columns "
            "with a distinct integer or text value on every row (IDs), one "
            "value throughout, or text with a new value on most rows (free "
            "text, dates). A column with one value in SOURCE and another in "
            "TARGET (a domain label) is always left out. "
            "Exit status: 0 success, 1 the weighting failed on this data, 2 bad "
            "arguments or input files."
        ),
    )
    p.add_argument(
        "source",
        help="CSV of the source rows (the rows to weight); or parquet (a file, "
        "directory or glob), read through Dask, weights written as parquet to --out",
    )
    p.add_argument("target", help="CSV (or parquet) of the target rows")
    p.add_argument(
        "--method",
        choices=sorted(METHODS),
        default="classifier",
        help="weighting method (default: classifier, a logistic domain classifier)",
    )
    p.add_argument(
        "--columns",
        nargs="+",
        metavar="COL",
        help="covariates to use (default: every column, which must match)",
    )
    p.add_argument(
        "--index-col",
        metavar="COL",
        help="column of SOURCE that identifies rows; written to --out beside the "
        "weight (default: the row number, from 0)",
    )
    p.add_argument(
        "--flatten",
        type=_non_negative,
        default=1.0,
        metavar="L",
        help="exponent of the weights, w**L (0: no weighting, 1: full; default 1)",
    )
    p.add_argument(
        "--clip",
        type=_at_least_one,
        metavar="C",
        help="largest weight, as a multiple of the mean weight (>= 1)",
    )
    p.add_argument(
        "--clip-quantile",
        type=_open_unit,
        metavar="Q",
        help="cap the weights at this quantile of theirs, e.g. 0.99",
    )
    p.add_argument(
        "--out", required=True, metavar="FILE", help="CSV to write the weights to"
    )
    p.add_argument(
        "--report",
        metavar="DIR",
        help="folder for the balance table (CSV), weight summary, plots (PNG) and "
        "report.html (CSV input only)",
    )
    p.add_argument(
        "--sep",
        type=parse_sep,
        metavar="CHAR",
        help="column delimiter of both files, e.g. ';' or tab (default: taken from "
        "the header line: ',', ';', tab or '|')",
    )
    p.add_argument(
        "--decimal", default=".", metavar="CHAR", help="decimal mark (default '.')"
    )
    p.add_argument(
        "--encoding",
        default="utf-8",
        metavar="NAME",
        help="text encoding of both files (default utf-8; e.g. latin-1)",
    )
    p.add_argument(
        "--na-values",
        nargs="+",
        metavar="TEXT",
        help="cell values that mean missing in both files, besides empty cells and "
        "pandas' defaults (NA, NaN, n/a, ...), e.g. --na-values . unknown",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(run=run)
    return p


def _refuse_overwriting_inputs(args):
    """--out naming SOURCE or TARGET would replace the data by its weights."""
    from pathlib import Path

    out = Path(args.out).resolve()
    for what in ("source", "target"):
        if Path(getattr(args, what)).resolve() == out:
            raise CLIError(
                f"--out {args.out!r} is the {what} file: writing the weights there "
                "would replace the data; give another file name."
            )


def _number(text):
    try:
        value = float(text)
    except ValueError:
        import argparse

        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    return value


def _non_negative(text):
    import argparse

    v = _number(text)
    if not (np.isfinite(v) and v >= 0):
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return v


def _at_least_one(text):
    import argparse

    v = _number(text)
    if not (np.isfinite(v) and v >= 1):
        raise argparse.ArgumentTypeError(
            f"must be >= 1 (a multiple of the mean weight), got {text}"
        )
    return v


def _open_unit(text):
    import argparse

    v = _number(text)
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return v


def read_csv(path, what, index_col=None, args=None):
    import pandas as pd

    from ._csv import read_frame

    options = (
        {k: getattr(args, k) for k in ("sep", "decimal", "encoding", "na_values")}
        if args
        else {}
    )
    frame = read_frame(path, what, index_col, **options)
    if index_col is not None:
        _refuse_ambiguous_ids(frame.index, index_col, what)
    # True/False columns are 0/1 covariates (imputers and kernels need numbers)
    flags = [c for c in frame.columns if pd.api.types.is_bool_dtype(frame[c])]
    return frame.astype({c: float for c in flags}) if flags else frame


def _refuse_ambiguous_ids(index, name, what):
    """An ID that is missing or repeated cannot join the weights back."""
    missing = int(index.isna().sum())
    repeated = index[index.duplicated() & index.notna()].unique()
    if not missing and not len(repeated):
        return
    problems = []
    if missing:
        problems.append(f"missing on {missing} row(s)")
    if len(repeated):
        problems.append(f"repeated ({len(repeated)} value(s), e.g. {repeated[0]!r})")
    raise CLIError(
        f"--index-col {name!r} is {' and '.join(problems)} in the {what} file, so "
        "the weights could not be joined back to its rows; choose a column with a "
        "distinct value on every row, or leave out --index-col (rows numbered "
        "from 0)."
    )


def select_columns(source, target, columns):
    """Common covariates of both frames, in the source's order."""
    if columns:
        for frame, what in ((source, "source"), (target, "target")):
            missing = [c for c in columns if c not in frame.columns]
            if missing:
                raise CLIError(
                    f"--columns {missing} not found in the {what} file; its columns "
                    f"are {list(frame.columns)}."
                )
        if len(set(columns)) != len(columns):
            raise CLIError(f"--columns lists a column twice: {columns}.")
        return source[list(columns)], target[list(columns)]
    only_s = [c for c in source.columns if c not in target.columns]
    only_t = [c for c in target.columns if c not in source.columns]
    if only_s or only_t:
        from ..preprocessing import id_like_columns

        ident = ""
        ids = [c for c in only_s if c in id_like_columns(source[only_s])]
        if ids:
            ident = (
                f" If {ids[0]!r} identifies the source rows (an ID), pass "
                f"--index-col {ids[0]}: it is then written beside the weights "
                "and not used as a covariate."
            )
        raise CLIError(
            "source and target have different columns (only in source: "
            f"{only_s}; only in target: {only_t}). Give the covariates to use with "
            f"--columns COL [COL ...].{ident}"
        )
    return source, target[list(source.columns)]


def resolve_method(name, seed):
    """An unfitted weighter for ``name``, imported only now."""
    import instransfer

    class_name, _ = METHODS[name]
    try:
        cls = getattr(instransfer, class_name)
    except (ImportError, AttributeError) as exc:
        raise CLIError(
            f"--method {name} needs instransfer.{class_name}, which this "
            f"installation cannot import ({exc}). Use another --method.",
            code=1,
        ) from None
    est = cls()
    if "random_state" in est.get_params():
        est.set_params(random_state=seed)
    return est


def drop_id_columns(source, target, columns, index_col):
    """Leave out columns that identify rows (unique integer/text per row).

    An ID as a covariate makes every row a level of its own (hundreds of
    "target-only levels", a love plot thousands of pixels tall) or orders the
    rows by entry; named in ``--columns`` it is the user's choice and kept.
    The note goes to stderr even with --quiet: it changes the covariates.
    """
    from ..preprocessing import id_like_columns

    if columns or len(source) < 3 or len(target) < 3:
        return source, target
    ids = [c for c in id_like_columns(source) if c in id_like_columns(target)]
    if not ids:
        return source, target
    hint = (
        f"pass --index-col {ids[0]} to write it beside the weights"
        if index_col is None
        else "choose the covariates with --columns"
    )
    print(
        f"note: column(s) {ids} hold a distinct integer or text value on every "
        f"row (an ID) and are left out of the covariates; {hint}.",
        file=sys.stderr,
    )
    return source.drop(columns=ids), target.drop(columns=ids)


# A text column with more distinct values than this share of its rows is free
# text or dates: as categories nearly every level is rarer than the encoder's
# min_frequency (10 rows) and is grouped away, while the balance table and the
# love plot get one row per value.
MAX_TEXT_DISTINCT_SHARE = 0.5


def _single_value(series):
    """The column's only value (a plain Python value), or None."""
    values = series.dropna().unique()
    if len(values) != 1:
        return None
    value = values[0]
    # numpy scalars print as np.int64(1) in messages
    return value.item() if hasattr(value, "item") else value


def screen_columns(source, target, columns):
    """Columns no weighting can use, as ``{name: reason}``; refuse the worst.

    A column with one value in the source and another in the target (a
    domain label such as ``source``/``target`` or 1/2 left in both files)
    tells the files apart by construction: the domain classifier separates
    them perfectly and the weights are meaningless, so it is refused when
    named in ``--columns`` and left out otherwise. A column with the same
    single value in both files carries nothing (and has no spread to
    standardise by); text with a different value on most rows (free text,
    dates) is grouped into one rare level. Those two are left out unless
    named in ``--columns``.
    """
    import pandas as pd

    from ..preprocessing._encoder import _is_numeric

    reasons = {}
    for col in source.columns:
        s_val, t_val = _single_value(source[col]), _single_value(target[col])
        if s_val is not None and t_val is not None and s_val != t_val:
            if columns:
                raise CLIError(
                    f"column {col!r} is {s_val!r} on every source row and "
                    f"{t_val!r} on every target row, so it tells the files apart "
                    "by construction (a domain label?); leave it out of --columns."
                )
            reasons[col] = (
                f"{s_val!r} in every source row, {t_val!r} in every target row "
                "(a domain label): it separates the files by construction"
            )
        elif columns:
            continue
        elif s_val is not None and s_val == t_val:
            reasons[col] = (
                f"the same value ({s_val!r}) on every row that has one: it "
                "carries nothing"
            )
        elif not _is_numeric(source[col]):
            both = pd.concat([source[col], target[col]], ignore_index=True)
            both = both.dropna()
            if len(both) >= 20 and both.nunique() > MAX_TEXT_DISTINCT_SHARE * len(both):
                reasons[col] = (
                    f"text with {both.nunique()} distinct values in {len(both)} "
                    "rows (free text or dates): as categories it carries nothing; "
                    "to use a date, convert it to a number (e.g. the year) and "
                    "name it in --columns"
                )
    return reasons


def drop_screened(source, target, reasons):
    """Drop the screened columns, with one note per column on stderr."""
    for col, why in reasons.items():
        print(f"note: column {col!r} is left out: {why}.", file=sys.stderr)
    cols = list(reasons)
    return source.drop(columns=cols), target.drop(columns=cols)


def fit_weights(source, target, method, seed, progress):
    """Full importance weights (flatten=1) of the source rows, and the weighter."""
    from ..preprocessing import CovariateEncoder
    from ..utils._domain import stack_domains

    weighter = resolve_method(method, seed)
    X, domain = stack_domains(source, target)
    if METHODS[method][1]:
        # one encoding fitted on both files' rows: distances see standardised
        # continuous columns beside 0/1 flags and one-hot levels
        X = CovariateEncoder().set_output(transform="pandas").fit_transform(X)
    else:
        from sklearn.linear_model import LogisticRegression

        weighter.set_params(
            estimator=encoded_model(source, LogisticRegression(max_iter=1000))
        )
    with progress.step(f"fitting {type(weighter).__name__} on {len(X)} rows"):
        try:
            weighter.fit(X, domain)
        except (ValueError, np.linalg.LinAlgError) as exc:
            raise CLIError(f"{type(weighter).__name__} failed: {exc}", code=1) from None
    return weighter.weights_, weighter, X, domain


def run(args, out=None):
    import pandas as pd

    from .._weights import postprocess_weights
    from ..metrics import balance_table, weight_summary

    out = out if out is not None else sys.stdout
    from ._parquet import is_parquet

    if is_parquet(args.source):  # through Dask, partition by partition
        from ._parquet import run_parquet

        return run_parquet(args, out)
    progress = Progress(args.quiet)
    _refuse_overwriting_inputs(args)
    source = read_csv(args.source, "source", args.index_col, args)
    target = read_csv(args.target, "target", args=args)
    if args.index_col is not None and args.index_col in target.columns:
        target = target.drop(columns=args.index_col)
    all_columns = [*source.columns, *(c for c in target.columns if c not in source)]
    source, target = select_columns(source, target, args.columns)
    left_out = {c: "not among --columns" for c in all_columns if c not in source}
    if args.index_col is not None:
        left_out[args.index_col] = "--index-col: identifies rows, not a covariate"
    kept = list(source.columns)
    source, target = drop_id_columns(source, target, args.columns, args.index_col)
    left_out.update(
        {
            c: "unique on every row (an ID): name it with --index-col"
            for c in kept
            if c not in source
        }
    )
    screened = screen_columns(source, target, args.columns)
    source, target = drop_screened(source, target, screened)
    left_out.update(screened)
    if source.shape[1] == 0:
        raise CLIError(
            "no covariate is left to weight on (see the notes above); give the "
            "covariates with --columns COL [COL ...]."
        )
    refuse_infinite(source, "source")
    refuse_infinite(target, "target")
    for name, frame in (("source", source), ("target", target)):
        empty = [str(c) for c in frame.columns if frame[c].isna().all()]
        if empty:
            raise CLIError(
                f"{name} column(s) {empty} have no value at all, so they cannot be "
                "balanced or weighted on; leave them out with --columns, or fill "
                "them in."
            )
    if len(source) < 2 or len(target) < 2:
        raise CLIError(
            f"need at least 2 rows in each file; got {len(source)} source and "
            f"{len(target)} target rows."
        )
    if args.report:
        report_dir = make_output_dir(args.report)  # fail before the long fit
    from ._validity import reported_fit_warnings

    with reported_fit_warnings():  # the validity section below states them
        full, weighter, X, domain = fit_weights(
            source, target, args.method, args.seed, progress
        )
    weights = postprocess_weights(
        full, flatten=args.flatten, clip=args.clip, clip_quantile=args.clip_quantile
    )
    index = source.index.copy()
    if index.name is None:
        index.name = "row"
    result = pd.Series(weights, index=index, name="weight")
    try:
        from pathlib import Path

        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        result.to_csv(args.out, header=True)
    except OSError as exc:
        raise CLIError(f"cannot write --out {args.out!r}: {exc.strerror}.") from None

    print(
        f"Weighted {len(source)} source rows for {len(target)} target rows on "
        f"{source.shape[1]} covariates with --method {args.method} "
        f"(flatten {args.flatten:g}: exponent of the weights, 1 full, 0 none"
        + (f", clip {args.clip:g}" if args.clip else "")
        + (f", clip-quantile {args.clip_quantile:g}" if args.clip_quantile else "")
        + ").",
        file=out,
    )
    # the library's low-ESS warning names Python remedies; here, the options
    summary = weight_summary(weights, min_ess_fraction=None)
    _warn_low_ess(summary, args)
    print(format_summary(summary), file=out)
    _print_validity(X, domain, full, source, target, result, args, out)
    print(f"Weights written to {args.out}", file=out)
    if not args.report:
        return 0

    import warnings

    try:
        with warnings.catch_warnings():
            # the report prints these levels on a line of their own, below
            warnings.filterwarnings(
                "ignore", message=r".*occur in the target but in no source row"
            )
            table = balance_table(source, target, result)
    except ValueError as exc:
        raise CLIError(f"cannot build the balance report: {exc}", code=1) from None
    table.to_csv(report_dir / "balance.csv")
    summary.to_frame("value").to_csv(report_dir / "weight_summary.csv")
    n_bad = count_imbalanced(table)
    from ._validity import wrapped

    print(
        "\n"
        + wrapped(
            f"Balance: {n_bad[0]} of {len(table)} rows out of bounds before "
            f"weighting, {n_bad[1]} after. {balance_legend()}",
            "",
        ),
        file=out,
    )
    print(format_balance(table, max_rows=25), file=out)
    only = _target_only_line(table)
    if only:
        print(only, file=out)
    flags = _subgroup_line(source, weights)
    if flags:
        print(flags, file=out)
    _report_plots(
        report_dir, table, weights, full, weighter, X, domain, args, progress, out
    )
    _write_html(report_dir, source, target, weights, left_out, args, progress, out)
    return 0


def _write_html(report_dir, source, target, weights, left_out, args, progress, out):
    """The same numbers as one shareable page, report.html."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    from ..report import write_report
    from ..utils._domain import stack_domains

    X_raw, domain_raw = stack_domains(source, target)
    with progress.step("writing report.html"):
        written = write_report(
            report_dir / "report.html",
            X_raw,
            domain_raw,
            weights,
            question=f"Can the rows of {args.source}, weighted, stand for the rows "
            f"of {args.target}?",
            left_out=left_out,
            random_state=args.seed,
        )
    print(f"Shareable page (opens offline): {written.path}", file=out)


def _print_validity(X, domain, full, source, target, weights, args, out):
    """Shift test, overlap, residual imbalance, collapsed subgroups, in words."""
    import warnings

    from ..metrics import balance_table
    from ._validity import validity_lines

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # reported below
            table = balance_table(source, target, weights)
    except ValueError:
        table = None
    from ..utils._domain import stack_domains

    # the raw columns, so that the overlap rules read in the file's units
    X_raw, domain_raw = stack_domains(source, target)
    from ._validity import wrapped

    print("Is the answer valid on the target?", file=out)
    lines = validity_lines(X_raw, domain_raw, full, table, seed=args.seed, what="rows")
    for line in lines:
        print(wrapped(line, "  - "), file=out)


def _target_only_line(table):
    """The levels no weighting can balance, on one line ("" when none)."""
    from ..metrics._balance import _target_only_text

    count, shown = _target_only_text(table)
    if not count:
        return ""
    return (
        f"Only in the target ({count} level(s), no source row): {shown}. No "
        "weighting of the source rows can balance a level the source lacks: "
        "report it, restrict the target file to the levels the source has, or "
        "collect source rows of that level."
    )


def _subgroup_line(source, weights, limit=10):
    """Mean weight of the source rows in each 0/1 subgroup, smallest first.

    A weighter that isolates a small subgroup gives it a tiny (or huge) mean
    weight while the balance table's proportion barely moves; one line shows
    it ("" when the file has no 0/1 column).
    """
    from ..preprocessing._encoder import _is_binary, _is_numeric

    groups = []
    for col in source.columns:
        if not _is_numeric(source[col]):
            continue
        v = source[col].to_numpy(dtype=float, na_value=np.nan)
        if _is_binary(v) and 0 < np.nansum(v) < len(v):
            rows = v == 1
            groups.append((int(rows.sum()), col, float(weights[rows].mean())))
    if not groups:
        return ""
    groups.sort()
    shown = ", ".join(f"{c} ({n} rows) {m:.3g}" for n, c, m in groups[:limit])
    more = f" (+{len(groups) - limit} more)" if len(groups) > limit else ""
    return f"Mean weight of the source rows in each 0/1 subgroup: {shown}{more}."


# as weight_summary's default min_ess_fraction
MIN_ESS_FRACTION = 0.1


def _warn_low_ess(summary, args):
    import warnings

    from ..metrics import LowEffectiveSampleSizeWarning

    if summary["ess_fraction"] >= MIN_ESS_FRACTION:
        return
    look = "" if args.report else " See the overlap of the two files with --report DIR."
    warnings.warn(
        f"The effective sample size is {summary['ess']:.1f} of "
        f"{int(summary['n'])} rows ({100 * summary['ess_fraction']:.1f} %), below "
        f"{100 * MIN_ESS_FRACTION:g} %: a few rows dominate any weighted fit. "
        f"Flatten the weights with a smaller --flatten (now {args.flatten:g}; e.g. "
        "0.5, 0 = no weighting) or cap them with --clip C (C times the mean "
        "weight, e.g. 10) or --clip-quantile Q (e.g. 0.99)." + look,
        LowEffectiveSampleSizeWarning,
        stacklevel=2,
    )


def _report_plots(
    report_dir, table, weights, full, weighter, X, domain, args, progress, out
):
    from ..plotting import (
        love_plot,
        plot_domain_overlap,
        plot_ess_flatten,
        plot_weight_distribution,
    )

    overlap_model = weighter
    if args.method != "classifier":
        # the overlap plot shows a logistic domain classifier whatever the method
        from ..density_ratio import ClassifierWeighter

        overlap_model = ClassifierWeighter(cv="in_sample", random_state=args.seed).fit(
            X, domain
        )
    chosen = args.flatten if args.flatten != 1 else None
    plots = [
        (
            "love_plot.png",
            lambda ax: love_plot(table, ax=ax),
            love_plot_size(len(table)),
        ),
        ("weights.png", lambda ax: plot_weight_distribution(weights, ax=ax), (6.4, 4)),
        (
            "overlap.png",
            lambda ax: plot_domain_overlap(
                overlap_model, X, domain, weights=weights, ax=ax
            ),
            (6.4, 4),
        ),
        (
            "ess_flatten.png",
            lambda ax: plot_ess_flatten(full, chosen=chosen, ax=ax),
            (6.4, 4),
        ),
    ]
    with progress.step("drawing plots"):
        written = save_plots(report_dir, plots, progress)
    names = ["balance.csv", "weight_summary.csv"] + [p.name for p in written]
    print(f"Report written to {report_dir}: {', '.join(names)}", file=out)
