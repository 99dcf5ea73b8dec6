"""The ML engineer's path at scale: memory of a weighted fit, n_jobs, pickles.

Measured on ``make_covariate_shift`` at a stated size (full: 100 000 source +
20 000 target rows, 30 columns; issue #23 used 300 000 + 60 000 and 115
columns, which a shared 2-core machine cannot run in a benchmark's time):

- **memory**: the rise of the peak RSS during the fit alone, in a fresh
  interpreter (``_harness.subprocess_peak_rss``), of a plain
  ``LogisticRegression`` on the source rows, of
  ``ImportanceWeightedClassifier(LogisticRegression())`` on the stacked rows
  (default ``ClassifierWeighter``, 5-fold cross-fitting) and of that weighter
  alone, in copies of the design matrix;
- **n_jobs**: ``ClassifierWeighter(n_jobs=2)`` against ``n_jobs=1``,
  interleaved (``compare_times``), BLAS pinned to one thread per process;
- **pickle**: the size of a pickled weighted model against its weights.
"""

import pickle

import numpy as np

from benchmarks._harness import (
    compare_times,
    fmt_bytes,
    fmt_ratio,
    fmt_times,
    is_smoke,
    markdown_table,
    subprocess_peak_rss,
    write_results,
)


def _sizes(quick):
    if is_smoke():
        return 2000, 400, 5
    if quick:
        return 20000, 4000, 30
    return 100000, 20000, 30


def _data(n_source, n_target, n_features, seed=0):
    from instransfer.datasets import make_covariate_shift

    d = make_covariate_shift(n_source, n_target, n_features, random_state=seed)
    y_masked = np.where(d.domain == 1, -1, d.y)
    return d, y_masked


def case(kind, n_source, n_target, n_features):
    """Setup in the child: build the data, return the fit to measure."""
    import warnings

    from sklearn.linear_model import LogisticRegression

    import instransfer as it

    d, y_masked = _data(n_source, n_target, n_features)
    src = d.domain == 0
    X_source, y_source = d.X[src], d.y[src]  # the user's own source table

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "unweighted":
                LogisticRegression().fit(X_source, y_source)
            elif kind == "weighted":
                it.ImportanceWeightedClassifier(
                    LogisticRegression(), random_state=0
                ).fit(d.X, y_masked)
            else:  # the weighter alone
                it.ClassifierWeighter(random_state=0).fit(d.X, d.domain)
        return 0

    return fit


def _memory(n_s, n_t, d):
    x_bytes = (n_s + n_t) * d * 8
    rows, deltas = [], {}
    for kind, label in (
        ("unweighted", "LogisticRegression on the source rows"),
        ("weighter", "ClassifierWeighter() alone (5-fold cross-fitting)"),
        ("weighted", "ImportanceWeightedClassifier(LogisticRegression())"),
    ):
        out = subprocess_peak_rss(
            "benchmarks.suite_engineer:case",
            {"kind": kind, "n_source": n_s, "n_target": n_t, "n_features": d},
        )
        if "error" in out:
            rows.append([label, out["error"], "", ""])
            continue
        deltas[kind] = out["rss_delta"]
        rows.append(
            [
                label,
                fmt_bytes(out["rss_delta"]),
                f"{out['rss_delta'] / x_bytes:.2f}",
                f"{out['seconds']:.1f} s",
            ]
        )
    body = (
        f"{n_s} source + {n_t} target rows, {d} columns: the stacked float64 X is "
        f"{fmt_bytes(x_bytes)}. Rise of the peak RSS during the fit alone "
        "(fresh interpreter, data built before), in bytes and in copies of X.\n\n"
        + markdown_table(["fit", "peak rise", "copies of X", "time"], rows)
    )
    if "weighted" in deltas and "unweighted" in deltas:
        extra = (deltas["weighted"] - deltas["unweighted"]) / x_bytes
        verdict = "meets" if extra <= 1 else "**misses**"
        body += (
            f"\n\nThe weighted fit peaks {extra:.2f} copies of X above the "
            f"unweighted one; issue #23's target (at most 1 copy more) "
            f"{verdict} it at this size."
        )
    return body


def _n_jobs(n_s, n_t, d, quick):
    import instransfer as it

    data, _ = _data(n_s, n_t, d)
    fns = {
        f"n_jobs={j}": (
            lambda j=j: (
                it.ClassifierWeighter(n_jobs=j, random_state=0)
                .fit(data.X, data.domain)
                .weights_
            )
        )
        for j in (1, 2)
    }
    repeat = 1 if is_smoke() else 3 if quick else 5
    res = compare_times(fns, repeat=repeat)
    base = np.median(res["n_jobs=1"][0])
    rows = [
        [k, fmt_times(t), fmt_ratio(np.median(t) / base)] for k, (t, _) in res.items()
    ]
    same = np.array_equal(res["n_jobs=1"][1], res["n_jobs=2"][1])
    speedup = base / np.median(res["n_jobs=2"][0])
    verdict = (
        f"n_jobs=2 is {speedup:.2f}x as fast as n_jobs=1"
        + (" (identical weights)" if same else " (weights differ!)")
        + ("; it pays." if speedup >= 1.3 else "; it does not pay here.")
    )
    return (
        f"`ClassifierWeighter` (default LogisticRegression, 5 folds) on {n_s} + "
        f"{n_t} rows, {d} columns; {repeat} interleaved rounds after a warm-up, "
        "BLAS pinned to one thread per process, the machine shared with other "
        "jobs while measured (read the ratio).\n\n"
        + markdown_table(["n_jobs", "time (median ± half-range)", "ratio"], rows)
        + f"\n\n{verdict}"
    )


def _pickle(n_s, n_t, d):
    from sklearn.linear_model import LogisticRegression

    import instransfer as it

    data, y_masked = _data(n_s, n_t, d)
    model = it.ImportanceWeightedClassifier(LogisticRegression(), random_state=0)
    model.fit(data.X, y_masked)
    size = len(pickle.dumps(model))
    w = model.weights_.nbytes
    return (
        f"A pickled `ImportanceWeightedClassifier(LogisticRegression())` fit on "
        f"{n_s} + {n_t} rows: {fmt_bytes(size)}, for weights of {fmt_bytes(w)} "
        f"({size / w:.2f} times their size: the weights are stored once, in the "
        "fitted weighter; the model's `weights_` is computed from them)."
    )


def run(quick):
    n_s, n_t, d = _sizes(quick)
    sections = [
        ("Peak memory of a weighted fit", _memory(n_s, n_t, d)),
        ("n_jobs in ClassifierWeighter", _n_jobs(n_s, n_t, d, quick)),
        ("Pickle size", _pickle(n_s, n_t, d)),
    ]
    return write_results("engineer", "The ML engineer's path at scale", sections, quick)
