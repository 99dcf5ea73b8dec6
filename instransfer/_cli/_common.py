"""Shared pieces of the command line: errors, progress, output, warnings."""

import contextlib
import sys
import time
import warnings


class CLIError(Exception):
    """A mistake in the user's input: printed without a traceback.

    ``code`` is the exit status: 2 for bad arguments or input files (as
    argparse uses), 1 for a computation that failed on the given data.
    """

    def __init__(self, message, code=2):
        super().__init__(message)
        self.code = code


class Progress:
    """One line per long step on stderr, with its duration; silent if quiet."""

    def __init__(self, quiet=False, stream=None):
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stderr

    def note(self, message):
        if not self.quiet:
            print(message, file=self.stream, flush=True)

    @contextlib.contextmanager
    def step(self, message):
        start = time.perf_counter()
        if not self.quiet:
            print(f"  {message} ...", end="", file=self.stream, flush=True)
        try:
            yield
        except BaseException:
            if not self.quiet:
                print(" failed", file=self.stream, flush=True)
            raise
        if not self.quiet:
            elapsed = time.perf_counter() - start
            print(f" done ({elapsed:.1f} s)", file=self.stream, flush=True)


# Addressed to developers of the libraries underneath, not to the command's user.
_DEVELOPER_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


@contextlib.contextmanager
def collected_warnings(stream=None):
    """Record warnings during a command and print each distinct one once.

    Library warnings (e.g. a low effective sample size) are worth one line;
    the same warning raised in every fold is not worth ten.
    """
    stream = stream if stream is not None else sys.stderr
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            seen = set()
            for w in caught:
                if issubclass(w.category, _DEVELOPER_WARNINGS):
                    continue
                key = (w.category, str(w.message))
                if key in seen:
                    continue
                seen.add(key)
                n = sum(1 for v in caught if (v.category, str(v.message)) == key)
                times = f" (x{n})" if n > 1 else ""
                print(
                    f"warning: {w.category.__name__}: {w.message}{times}",
                    file=stream,
                    flush=True,
                )


def make_output_dir(path):
    """Create ``path`` (and parents); a clear error if it is a file."""
    from pathlib import Path

    out = Path(path)
    if out.exists() and not out.is_dir():
        raise CLIError(f"--out/--report {path!r} exists and is not a directory.")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CLIError(f"cannot create directory {path!r}: {exc.strerror}.") from exc
    return out


def save_plots(directory, plots, progress):
    """Draw each ``(filename, draw(ax))`` to a PNG without touching pyplot.

    Figures are built with :class:`matplotlib.figure.Figure` and saved by the
    Agg canvas, so the command works headless and never changes the user's
    backend. Returns the paths written, or [] with a note when matplotlib is
    missing.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        progress.note(
            "note: plots skipped: matplotlib is not installed "
            '(pip install "instransfer[plot]").'
        )
        return []
    written = []
    for filename, draw, size in plots:
        fig = Figure(figsize=size, layout="constrained")
        draw(fig.subplots())
        path = directory / filename
        fig.savefig(path, dpi=110)
        written.append(path)
    return written


def love_plot_size(n_rows):
    return (6.4, 1.2 + 0.28 * max(n_rows, 3))


BALANCE_LEGEND = (
    "diff = source minus target: the standardised mean difference (SMD, in "
    "target SDs) for continuous covariates, the difference of proportions "
    "otherwise. VR = variance ratio, source over target; KS = Kolmogorov-Smirnov "
    "statistic (largest gap of the two cumulative distributions). Column out: "
)


def balance_legend():
    """The one paragraph that defines the balance table's columns."""
    from ..report._words import FLAG_LEGEND

    return BALANCE_LEGEND + FLAG_LEGEND.replace("the last column names ", "") + "."


def count_imbalanced(table):
    """Rows out of bounds (SMD, VR or KS) before and after weighting."""
    from ..report._words import imbalance_flags

    return tuple(
        sum(bool(f) for f in imbalance_flags(table, w)) for w in ("before", "after")
    )


def format_balance(table, max_rows=None):
    """Compact text view of a balance table."""
    view = table[
        [
            "type",
            "mean_target",
            "mean_source",
            "mean_weighted",
            "diff_before",
            "diff_after",
            "var_ratio_after",
            "ks_before",
            "ks_after",
        ]
    ].copy()
    view.columns = [
        "type",
        "target",
        "source",
        "weighted",
        "diff before",
        "diff after",
        "VR after",
        "KS before",
        "KS after",
    ]
    from ..report._words import imbalance_flags

    # what is out of bounds after weighting: SMD, variance ratio and KS
    view["out"] = imbalance_flags(table)
    if max_rows is not None and len(view) > max_rows:
        order = table["diff_before"].abs().sort_values(ascending=False).index
        view = view.loc[order[:max_rows]]
    # The three means of a row share units, so they share decimals: four
    # significant digits at the largest (110.2 beside 98.3, not 110 beside
    # 98.275), at most three decimals. Differences and KS distances: three.
    means = ["target", "source", "weighted"]
    view[means] = view[means].apply(_same_decimals, axis=1, result_type="expand")
    return view.to_string(float_format=lambda v: f"{v:.3f}")


def shared_decimals(values, significant=4, max_decimals=3):
    """Decimals that show the largest of ``values`` to ``significant`` digits."""
    import numpy as np

    values = np.abs(np.asarray(values, dtype=float))
    values = values[np.isfinite(values)]
    largest = values.max() if values.size else 0.0
    digits = int(np.floor(np.log10(largest))) + 1 if largest >= 1 else 1
    return min(max_decimals, max(0, significant - digits))


def _same_decimals(row):
    values = row.to_numpy(dtype=float)
    d = shared_decimals(values)
    return [f"{v:.{d}f}" if v == v else "nan" for v in values]


def format_summary(summary):
    s = summary
    return (
        f"ESS {s['ess']:.1f} of {int(s['n'])} rows ({100 * s['ess_fraction']:.1f} %) "
        "= effective sample size\n"
        f"  design effect {s['design_effect']:.2f} (= rows / ESS, the variance "
        f"inflation of a weighted mean); CV {s['cv']:.2f} (std / mean weight)\n"
        f"  weights: min {s['min']:.3g}, p5 {s['p5']:.3g}, median {s['p50']:.3g}, "
        f"p95 {s['p95']:.3g}, p99 {s['p99']:.3g}, max {s['max']:.3g}\n"
        f"  the top 1 % of rows hold {100 * s['top1pct_share']:.1f} % of the total "
        "weight"
    )


def encoded_model(frame, estimator):
    """``estimator`` behind the library's covariate encoding.

    :class:`~instransfer.preprocessing.CovariateEncoder` (continuous columns
    imputed and standardised, 0/1 columns and missingness indicators left as
    0/1, categories one-hot encoded with rare levels grouped), fitted, like
    the estimator, on the rows it is given. ``frame`` is unused (kept for the
    callers' signature).
    """
    from sklearn.pipeline import make_pipeline

    from ..preprocessing import CovariateEncoder

    del frame
    return make_pipeline(CovariateEncoder(), estimator)
