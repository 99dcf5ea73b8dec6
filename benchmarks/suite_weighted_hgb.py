"""Weighted HistGradientBoosting: scikit-learn's weighted binning against ours.

``HistGradientBoostingClassifier(max_iter=100, early_stopping=False)`` fit on
the source rows of ``make_covariate_shift(n, n, n_features=10)`` with the true
density ratio as ``sample_weight``, three ways, interleaved in rounds with
every pool pinned to one thread:

- ``plain weighted``: ``fit(X, y, sample_weight=w)``, scikit-learn's weighted
  bin thresholds (weighted percentiles in Python, up to 1.9);
- ``ours``: ``instransfer._hgb.fit_weighted``, bin thresholds placed without
  the weights, everything else weighted (docs: "Why weighted
  HistGradientBoosting is slow in scikit-learn, and what we do");
- ``unweighted``: ``fit(X, y)``, the cost to aim at.

Quality: the target log-loss of ``ours`` minus that of the plain weighted fit
on the target rows (the labels drawn by the generator), paired over seeds:
does placing the bins without the weights cost anything on the target?
"""

import numpy as np

from benchmarks._harness import (
    compare_times,
    fmt_mean_se,
    is_smoke,
    markdown_table,
    pinned,
    write_results,
)


def _case(n, seed):
    import instransfer as it

    d = it.datasets.make_covariate_shift(n, n, n_features=10, random_state=seed)
    src, tgt = d.domain == 0, d.domain == 1
    return d.X[src], d.y[src], d.true_ratio[src], d.X[tgt], d.y[tgt]


def _fits(est, X, y, w, fit_weighted):
    from sklearn.base import clone

    return {
        "plain weighted": lambda: clone(est).fit(X, y, sample_weight=w),
        "ours": lambda: fit_weighted(clone(est), X, y, w),
        "unweighted": lambda: clone(est).fit(X, y),
    }


def run(quick=False):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import log_loss

    from instransfer._hgb import fit_weighted

    sizes = (300,) if is_smoke() else (2_000, 20_000)
    n_seeds = 1 if is_smoke() else (3 if quick else 5)
    est = HistGradientBoostingClassifier(
        max_iter=10 if is_smoke() else 100, early_stopping=False, random_state=0
    )
    rows = []
    with pinned():
        for n in sizes:
            times = {"plain weighted": [], "ours": [], "unweighted": []}
            diffs = []
            for seed in range(n_seeds):
                Xs, ys, w, Xt, yt = _case(n, seed)
                res = compare_times(
                    _fits(est, Xs, ys, w, fit_weighted), repeat=1, warmup=seed == 0
                )
                for k, (t, _) in res.items():
                    times[k] += t
                loss = {
                    k: log_loss(yt, res[k][1].predict_proba(Xt))
                    for k in ("plain weighted", "ours")
                }
                diffs.append(loss["ours"] - loss["plain weighted"])
            med = {k: float(np.median(v)) for k, v in times.items()}
            rows.append(
                [
                    f"{n:,}",
                    f"{med['plain weighted']:.2f}",
                    f"{med['ours']:.2f}",
                    f"{med['unweighted']:.2f}",
                    f"{med['plain weighted'] / med['ours']:.1f}×",
                    f"{med['ours'] / med['unweighted']:.2f}×",
                    fmt_mean_se(diffs, digits=4, signed=True),
                ]
            )
            print(f"  n={n}: {rows[-1]}", flush=True)
    header = [
        "source rows",
        "plain weighted fit (s)",
        "ours (s)",
        "unweighted (s)",
        "plain weighted / ours",
        "ours / unweighted",
        "target log-loss, ours − plain weighted",
    ]
    note = (
        f"Median over {n_seeds} seeds (one interleaved round each) on a "
        "2-core machine (the header gives its load average while measured): "
        "read the ratios. The loss difference is a mean ± s.e. over the seeds."
    )
    return write_results(
        "weighted_hgb",
        "Weighted HistGradientBoosting: scikit-learn's binning and ours",
        [
            ("Setup", __doc__.split("\n\n", 1)[1]),
            ("Results", markdown_table(header, rows) + "\n\n" + note),
        ],
        quick,
    )
