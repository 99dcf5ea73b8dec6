"""The ML engineer's path at scale: memory of a weighted fit, n_jobs, pickles.

Measured on a generated claims-style table at issue #23's size (full: 300 000
source + 60 000 target rows, 30 mixed columns, 115 after encoding; quick: a
tenth of the rows) and on ``make_covariate_shift`` (100 000 + 20 000 rows, 30
columns) for the timings:

- **memory**: the rise of the peak RSS during the fit alone, in a fresh
  interpreter (``_harness.subprocess_peak_rss``), of a plain
  ``LogisticRegression`` on the source rows, of
  ``ImportanceWeightedClassifier(LogisticRegression())`` on the stacked rows
  (default ``ClassifierWeighter``, 5-fold cross-fitting) and of that weighter
  alone, in copies of the encoded design matrix;
- **the engineer's pipeline**: ``CovariateEncoder`` + logistic regression or
  XGBoost with early stopping on a held-out source split, weighted against
  unweighted: wall time and peak memory side by side;
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


def _claims_sizes(quick):
    if is_smoke():
        return 2000, 400
    if quick:
        return 30000, 6000
    return 300000, 60000


# 12 categorical columns with these many levels (95 one-hot columns), 12
# continuous (3 with missing values: 3 indicators), 6 flags: 30 columns, 115
# after CovariateEncoder (measured in the results file)
_LEVELS = (2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 15)


def claims_table(n_source, n_target, seed=0):
    """A claims-style table: 30 mixed columns, the target older and sicker.

    Returns the DataFrame of the stacked rows, the outcome (-1 on target
    rows) and the domain (0 source, 1 target).
    """
    import pandas as pd

    rng = np.random.default_rng(seed)
    n = n_source + n_target
    domain = np.r_[np.zeros(n_source, int), np.ones(n_target, int)]
    shift = domain.astype(float)
    cols = {"age": rng.normal(50 + 8 * shift, 12)}
    for j in range(11):
        v = rng.normal(0.3 * shift * (j % 3 == 0), 1.0) * 10 ** (j % 4)
        if j < 3:  # lab values not always taken
            v[rng.random(n) < 0.1 + 0.1 * shift] = np.nan
        cols[f"lab{j}"] = v
    for j in range(6):
        cols[f"flag{j}"] = rng.random(n) < 0.1 + 0.1 * j / 6 + 0.1 * shift
    for j, k in enumerate(_LEVELS):
        # the first levels more frequent; the target leans to the last ones
        logits = -0.3 * np.arange(k) + 0.4 * shift[:, None] * (np.arange(k) >= k // 2)
        p = np.exp(logits)
        u = rng.random((n, 1)) * p.sum(axis=1, keepdims=True)
        level = (np.cumsum(p, axis=1) < u).sum(axis=1)
        cols[f"cat{j}"] = pd.Categorical.from_codes(
            np.minimum(level, k - 1), [f"c{j}_{i}" for i in range(k)]
        )
    df = pd.DataFrame(cols)
    z = 0.04 * (cols["age"] - 50) + 0.5 * cols["flag0"] - 1.0
    z = z + 0.3 * (np.asarray(cols["cat9"].codes) > 5)
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    y_masked = np.where(domain == 1, -1, y)
    return df, y_masked, domain


def _data(n_source, n_target, n_features, seed=0):
    from instransfer.datasets import make_covariate_shift

    d = make_covariate_shift(n_source, n_target, n_features, random_state=seed)
    y_masked = np.where(d.domain == 1, -1, d.y)
    return d, y_masked


def case(kind, n_source, n_target, n_features=None):
    """Setup in the child: build the data, return the fit to measure.

    The encoded claims table is built here, before the measurement: the
    peak rise is the fit's own.
    """
    import gc
    import warnings

    from sklearn.linear_model import LogisticRegression

    import instransfer as it

    df, y_masked, domain = claims_table(n_source, n_target)
    X = it.CovariateEncoder().fit_transform(df)
    del df
    gc.collect()
    src = domain == 0
    X_source, y_source = X[src], y_masked[src]  # the user's own source table

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "unweighted":
                LogisticRegression().fit(X_source, y_source)
            elif kind == "weighted":
                it.ImportanceWeightedClassifier(
                    LogisticRegression(), random_state=0
                ).fit(X, y_masked)
            else:  # the weighter alone
                it.ClassifierWeighter(random_state=0).fit(X, domain)
        return int(X.shape[1])

    return fit


def pipeline_case(kind, n_source, n_target):
    """The engineer's whole path, encoder included: return the fit to measure.

    ``kind`` is ``"<lr|xgb>_<weighted|unweighted>"``. XGBoost stops early on
    a held-out fifth of the source rows (20 rounds without improvement of
    its log-loss, at most 200 rounds); the weighted fit passes the eval set
    through ``ImportanceWeightedClassifier`` (issue #23's first point).
    """
    import warnings

    from sklearn.linear_model import LogisticRegression

    import instransfer as it

    df, y_masked, domain = claims_table(n_source, n_target)
    rng = np.random.default_rng(1)
    val = (domain == 0) & (rng.random(domain.shape[0]) < 0.2)
    model_name, how = kind.split("_")

    def make():
        if model_name == "lr":
            return LogisticRegression(max_iter=200)
        from xgboost import XGBClassifier

        return XGBClassifier(
            n_estimators=200,
            early_stopping_rounds=20,
            max_depth=6,
            learning_rate=0.2,
            tree_method="hist",
            n_jobs=1,
            random_state=0,
        )

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            enc = it.CovariateEncoder().fit(df)  # source and target rows
            X = enc.transform(df[~val])
            y, dom = y_masked[~val], domain[~val]
            extra = {}
            if model_name == "xgb":
                extra["eval_set"] = [(enc.transform(df[val]), y_masked[val])]
            if how == "unweighted":
                model = make().fit(X[dom == 0], y[dom == 0], **extra)
            else:
                model = it.ImportanceWeightedClassifier(make(), random_state=0)
                model.fit(X, y, **extra)
                model = model.estimator_
        rounds = getattr(model, "best_iteration", None)
        return {"columns": int(X.shape[1]), "rounds": rounds}

    return fit


def _pipeline(n_s, n_t):
    rows, out_by = [], {}
    for kind, label in (
        ("lr_unweighted", "LogisticRegression, source rows"),
        ("lr_weighted", "ImportanceWeightedClassifier(LogisticRegression())"),
        ("xgb_unweighted", "XGBClassifier + early stopping, source rows"),
        (
            "xgb_weighted",
            "ImportanceWeightedClassifier(XGBClassifier) + early stopping",
        ),
    ):
        if kind.startswith("xgb"):
            try:
                import xgboost  # noqa: F401
            except ImportError:
                rows.append([label, "xgboost not installed", "", ""])
                continue
        out = subprocess_peak_rss(
            "benchmarks.suite_engineer:pipeline_case",
            {"kind": kind, "n_source": n_s, "n_target": n_t},
            timeout=3600,
        )
        if "error" in out:
            rows.append([label, out["error"], "", ""])
            continue
        out_by[kind] = out
        rounds = out["result"]["rounds"]
        rows.append(
            [
                label,
                f"{out['seconds']:.1f} s",
                fmt_bytes(out["rss_delta"]),
                "" if rounds is None else str(rounds + 1),
            ]
        )
    ratios = []
    for m in ("lr", "xgb"):
        w, u = out_by.get(f"{m}_weighted"), out_by.get(f"{m}_unweighted")
        if w and u:
            t = w["seconds"] / u["seconds"]
            mem = w["rss_delta"] / max(u["rss_delta"], 1)
            ratios.append(
                f"{m.upper()}: weighted/unweighted time {t:.1f}x, "
                f"peak memory {mem:.1f}x"
            )
    peaks = [o["rss_delta"] for o in out_by.values()]
    if len(peaks) > 1 and max(peaks) <= 1.02 * min(peaks):
        ratios.append(
            "the peaks are equal because the encoding of the raw table "
            "(`CovariateEncoder` fit and transform, the float64 X and its "
            "temporaries) is the highest point of every run: no model fit, "
            "weighted or not, rises above it (the fits alone: the section above)"
        )
    n_cols = next((o["result"]["columns"] for o in out_by.values()), "?")
    return (
        f"The claims-style table ({n_s} source + {n_t} target rows, 30 mixed "
        f"columns, {n_cols} after `CovariateEncoder`); a fifth of the source "
        "rows held out as XGBoost's early-stopping set. Each fit in a fresh "
        "interpreter, timed from the raw DataFrame (encoder fit and transform "
        "included), one run each, threads pinned to 1 (the header gives the "
        "machine's load while measured; read the ratios, not the seconds).\n\n"
        + markdown_table(["fit", "wall time", "peak RSS rise", "boosting rounds"], rows)
        + ("\n\n" + "; ".join(ratios) + "." if ratios else "")
    )


def _memory(n_s, n_t):
    rows, deltas, x_bytes, d = [], {}, None, None
    rows, deltas = [], {}
    for kind, label in (
        ("unweighted", "LogisticRegression on the source rows"),
        ("weighter", "ClassifierWeighter() alone (5-fold cross-fitting)"),
        ("weighted", "ImportanceWeightedClassifier(LogisticRegression())"),
    ):
        out = subprocess_peak_rss(
            "benchmarks.suite_engineer:case",
            {"kind": kind, "n_source": n_s, "n_target": n_t},
        )
        if "error" in out:
            rows.append([label, out["error"], "", ""])
            continue
        deltas[kind] = out["rss_delta"]
        d = out["result"]
        x_bytes = (n_s + n_t) * d * 8
        rows.append(
            [
                label,
                fmt_bytes(out["rss_delta"]),
                f"{out['rss_delta'] / x_bytes:.2f}",
                f"{out['seconds']:.1f} s",
            ]
        )
    if x_bytes is None:
        return markdown_table(["fit", "peak rise", "copies of X", "time"], rows)
    body = (
        f"The claims-style table, {n_s} source + {n_t} target rows, 30 mixed "
        f"columns, {d} after `CovariateEncoder`: the stacked float64 X is "
        f"{fmt_bytes(x_bytes)}. Rise of the peak RSS during the fit alone "
        "(fresh interpreter, data built and encoded before), in bytes and in "
        "copies of X.\n\n"
        + markdown_table(["fit", "peak rise", "copies of X", "time"], rows)
    )
    if "weighted" in deltas and "unweighted" in deltas:
        extra = (deltas["weighted"] - deltas["unweighted"]) / x_bytes
        # a peak-RSS reading moves by a few MB with the allocator's reuse of
        # memory the setup freed: within 1 % of a copy is at the target
        verdict = (
            "meets"
            if extra <= 1.0
            else "is within 1 % of"
            if extra <= 1.01
            else "**misses**"
        )
        body += (
            f"\n\nThe weighted fit peaks {extra:.3f} copies of X above the "
            f"unweighted one; issue #23's target (at most 1 copy more) "
            f"{verdict} it at this size. That copy is the standardised matrix "
            "the default domain classifier is fit on (scaled in place once "
            "made); the cross-fitting folds take their rows one at a time "
            "and scale them in place, predictions and fit diagnostics run in "
            "batches of ~2 MB (before: 2.8 copies above, at 100 000 + 20 000 "
            "rows and 30 columns)."
        )
    return body


def _n_jobs(n_s, n_t, d, quick):
    import instransfer as it

    data, _ = _data(n_s, n_t, d)

    def fit(j, backend=None):
        from joblib import parallel_backend

        wtr = it.ClassifierWeighter(n_jobs=j, random_state=0)
        if backend is None:
            return wtr.fit(data.X, data.domain).weights_
        with parallel_backend(backend):
            return wtr.fit(data.X, data.domain).weights_

    fns = {
        "n_jobs=1": lambda: fit(1),
        "n_jobs=2 (threads, the default)": lambda: fit(2),
        "n_jobs=2, processes (loky)": lambda: fit(2, "loky"),
    }
    repeat = 1 if is_smoke() else 3 if quick else 5
    res = compare_times(fns, repeat=repeat)
    base = np.median(res["n_jobs=1"][0])
    rows = [
        [k, fmt_times(t), fmt_ratio(np.median(t) / base)] for k, (t, _) in res.items()
    ]
    two = "n_jobs=2 (threads, the default)"
    same = all(np.array_equal(res["n_jobs=1"][1], v[1]) for v in res.values())
    speedup = base / np.median(res[two][0])
    verdict = (
        f"n_jobs=2 (threads) is {speedup:.2f}x as fast as n_jobs=1"
        + (" (identical weights in all three)" if same else " (weights differ!)")
        + (
            "; it pays (at least 1.3x, the bar for a second core that also "
            "holds a second fold's rows)."
            if speedup >= 1.3
            else "; below 1.3x, the bar for a second core that also holds a "
            "second fold's rows (the load average above says how busy the "
            "machine was)."
        )
    )
    return (
        f"`ClassifierWeighter` (default LogisticRegression, 5 folds) on {n_s} + "
        f"{n_t} rows, {d} columns; {repeat} interleaved rounds after a warm-up, "
        "BLAS pinned to one thread per process (read the ratio).\n\n"
        + markdown_table(["n_jobs", "time (median ± half-range)", "ratio"], rows)
        + f"\n\n{verdict}"
    )


def _smoothed(counts, a, mean_votes):
    # NearestNeighborWeighter's ratio for a pseudo-count a (its docstring)
    w = (counts + a) / (mean_votes + a)
    return w / w.mean()


def _nn_smoothing(quick):
    """NearestNeighborWeighter's smoothing rules on a known ratio and on claims."""
    import warnings

    import instransfer as it
    from benchmarks._harness import fmt_mean_se, nmse
    from instransfer.datasets import make_covariate_shift

    smoke = is_smoke()
    n_seeds = 2 if smoke else 5 if quick else 10
    ks = (1, 5) if smoke else (1, 5, 10)
    configs = [(5000, 1000, 2), (5000, 1000, 10), (2000, 2000, 2)]
    if smoke:
        configs = [(500, 100, 2)]
    rules = ("0", "1", "min(1, n_t/n_s) (before)", "auto")
    blocks = []
    for n_s, n_t, d in configs:
        m = n_t / n_s
        stats = {(k, r): {"nmse": [], "smd": [], "ess": []} for k in ks for r in rules}
        for seed in range(n_seeds):
            data = make_covariate_shift(n_s, n_t, d, random_state=seed)
            src = data.domain == 0
            Xs, Xt, r_true = data.X[src], data.X[~src], data.true_ratio[src]
            smd0 = np.abs(Xt.mean(0) - Xs.mean(0)) / Xt.std(0, ddof=1)
            for k in ks:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    auto = it.NearestNeighborWeighter(k).fit(data.X, data.domain)
                for rule in rules:
                    a = {
                        "0": 0.0,
                        "1": 1.0,
                        "min(1, n_t/n_s) (before)": min(1.0, m),
                        "auto": auto.smoothing_,
                    }[rule]
                    w = _smoothed(auto.counts_, a, m)
                    smd = np.abs(Xt.mean(0) - np.average(Xs, 0, w)) / Xt.std(0, ddof=1)
                    st = stats[(k, rule)]
                    st["nmse"].append(nmse(w, r_true))
                    st["smd"].append(float(np.mean(smd) / np.mean(smd0)))
                    st["ess"].append(float(w.sum() ** 2 / (w @ w) / n_s))
        rows = [
            [
                str(k),
                rule,
                fmt_mean_se(stats[(k, rule)]["nmse"], 3),
                fmt_mean_se(stats[(k, rule)]["smd"], 2),
                fmt_mean_se(stats[(k, rule)]["ess"], 2),
            ]
            for k in ks
            for rule in rules
        ]
        blocks.append(
            f"`make_covariate_shift({n_s}, {n_t}, n_features={d})`, {n_seeds} "
            "draws, mean ± standard error:\n\n"
            + markdown_table(
                [
                    "n_neighbors",
                    "smoothing",
                    "NMSE to the true ratio",
                    "mean abs. SMD left (weighted / unweighted)",
                    "ESS / n",
                ],
                rows,
            )
        )
    # the case: a claims-style target 5 times smaller, age SMD
    c_s, c_t = (2000, 400) if smoke else (10000, 2000) if quick else (25000, 5000)
    rows = []
    ages = {}
    for seed in range(1 if smoke else 3):
        df, _, domain = claims_table(c_s, c_t, seed=seed)
        X = it.CovariateEncoder().fit_transform(df)
        age, src = df["age"].to_numpy(), domain == 0
        sd = age[~src].std(ddof=1)
        ages.setdefault("unweighted", []).append(
            (age[src].mean() - age[~src].mean()) / sd
        )
        for k in (1, 5):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                auto = it.NearestNeighborWeighter(k).fit(X, domain)
            for rule, a in (
                ("0", 0.0),
                ("1", 1.0),
                ("min(1, n_t/n_s) (before)", min(1.0, c_t / c_s)),
                ("auto", auto.smoothing_),
            ):
                w = _smoothed(auto.counts_, a, c_t / c_s)
                smd = (np.average(age[src], weights=w) - age[~src].mean()) / sd
                ages.setdefault(f"n_neighbors={k}, smoothing {rule}", []).append(smd)
    rows = [[k, fmt_mean_se(v, 2, signed=True)] for k, v in ages.items()]
    blocks.append(
        f"The issue's small-target case: the claims-style table, {c_s} source + "
        f"{c_t} target rows (n_t/n_s = 0.2, {X.shape[1]} encoded columns), "
        f"{1 if smoke else 3} draws: the SMD of age (target older) before and "
        "after weighting.\n\n" + markdown_table(["weights", "age SMD"], rows)
    )
    return (
        "`NearestNeighborWeighter`'s pseudo-count: none, 1, the earlier "
        "`min(1, n_t/n_s)` and the new `auto` (half the empirical-Bayes "
        "shrinkage of the vote ratio, chosen from the votes' variance beyond "
        "their Poisson noise and the cells' own mass variance). All four "
        "rules are applied to the same votes of each draw; rows and sizes "
        "as in the issue's small-target case (n_t/n_s = 0.2) and one with "
        "equal sizes.\n\n" + "\n\n".join(blocks)
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
    c_s, c_t = _claims_sizes(quick)
    sections = [
        ("Peak memory of a weighted fit", _memory(c_s, c_t)),
        ("The engineer's pipeline at scale", _pipeline(c_s, c_t)),
        ("n_jobs in ClassifierWeighter", _n_jobs(n_s, n_t, d, quick)),
        ("Pickle size", _pickle(n_s, n_t, d)),
        ("NearestNeighborWeighter smoothing", _nn_smoothing(quick)),
    ]
    return write_results("engineer", "The ML engineer's path at scale", sections, quick)
