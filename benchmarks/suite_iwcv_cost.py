"""What choosing ``flatten`` costs: ImportanceWeighted*CV over one plain fit.

``ImportanceWeightedClassifierCV`` on ``make_covariate_shift(n, n,
n_features=10)`` (``n`` rows per side), timed side by side with one plain
(unweighted) fit of the same estimator on the ``n`` source rows, interleaved
in rounds (``_harness.compare_times``), every BLAS/OpenMP pool pinned to one
thread per process. Variants, all with the adaptive schedule and the fast
weighted HGB binning (``instransfer/_hgb.py``):

- ``former default, 2 jobs``: ``weighter_fit="per_fold"``, the weighter refit
  on every training fold (the previous measurement's ``after, 2 jobs``);
- ``now, 1 job``: ``weighter_fit="once"`` (the default): the weighter fitted
  once on all rows, reused by every fold and by the final model,
  ``n_jobs=1``;
- ``now, 2 jobs``: the same with ``n_jobs=2``, the default a user gets on
  both cores.

Two references put the ratio in context: ``GridSearchCV, 5 values``, a
plain ``GridSearchCV`` of the same estimator over five values of one
hyper-parameter with 5 folds and 2 jobs (26 fits: what a user expects
"choose one of five values" to cost), and ``weighter alone``, the default
weighter's fit on the stacked rows, which every IWCV fit pays once whatever
its schedule.

Estimators: ``LogisticRegression()``, ``HistGradientBoostingClassifier(
max_iter=100, random_state=0)``, ``XGBClassifier(n_estimators=100,
max_depth=3, n_jobs=1)``; the weighter is the default ``ClassifierWeighter``
(logistic regression, 5-fold cross-fitting: 6 fits on twice the rows).
"""

import math
import os
import time
from unittest import mock

import numpy as np

from benchmarks._harness import (
    compare_times,
    have,
    is_smoke,
    markdown_table,
    pinned,
    write_results,
)

SIZES = (2_000, 20_000, 200_000)
# at 200 000 rows the cheaper estimators first: a run cut short keeps them
ORDER_BIG = ("LogisticRegression", "XGBoost", "HistGradientBoosting")
TARGET = 30
# The previous round's measurement (commit 29617a69d1, load average 5-19):
# "before" is the full schedule with the weighter per fold and
# scikit-learn's weighted HGB binning; "after, 2 jobs" was then the default.
_EARLIER_HEADER = [
    "estimator",
    "rows per side",
    "plain fit (s)",
    "before: s (× plain)",
    "after, 1 job",
    "after, 2 jobs",
    "fits / folds run (after)",
    "flatten chosen (before / after)",
    "load avg (start / end)",
]
_EARLIER_ROWS = [
    [
        "LogisticRegression",
        "2,000",
        "0.023",
        "14.12 (612×)",
        "10.47 (454×)",
        "15.14 (657×)",
        "96 / 20",
        "0.5 / 0.5",
        "19.1 / 17.2",
    ],
    [
        "HistGradientBoosting",
        "2,000",
        "1.531",
        "311.93 (204×)",
        "27.32 (18×)",
        "107.34 (70×)",
        "90 / 18",
        "0 / 0",
        "17.2 / 6.4",
    ],
    [
        "XGBoost",
        "2,000",
        "0.055",
        "5.60 (101×)",
        "4.73 (85×)",
        "7.79 (141×)",
        "84 / 18",
        "0 / 0",
        "6.3 / 5.6",
    ],
    [
        "LogisticRegression",
        "20,000",
        "0.005",
        "4.15 (888×)",
        "3.25 (696×)",
        "5.20 (1114×)",
        "58 / 20",
        "0.75 / 0.75",
        "5.6 / 5.1",
    ],
    [
        "HistGradientBoosting",
        "20,000",
        "0.149",
        "244.23 (1635×)",
        "43.61 (292×)",
        "7.49 (50×)",
        "60 / 12",
        "0 / 0",
        "5.1 / 6.4",
    ],
    [
        "XGBoost",
        "20,000",
        "0.301",
        "37.94 (126×)",
        "25.34 (84×)",
        "26.77 (89×)",
        "60 / 12",
        "0 / 0",
        "6.4 / 7.2",
    ],
    [
        "LogisticRegression",
        "200,000",
        "0.102",
        "–",
        "–",
        "32.16 (315×)",
        "30 / 6",
        "– / 0.75",
        "7.2 / 8.1",
    ],
    [
        "XGBoost",
        "200,000",
        "2.825",
        "–",
        "–",
        "105.38 (37×)",
        "30 / 6",
        "– / 0",
        "8.1 / 8.6",
    ],
    [
        "HistGradientBoosting",
        "200,000",
        "3.134",
        "–",
        "–",
        "130.51 (42×)",
        "30 / 6",
        "– / 0",
        "8.6 / 8.7",
    ],
]


def _estimators():
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    out = {
        "LogisticRegression": LogisticRegression(),
        "HistGradientBoosting": HistGradientBoostingClassifier(
            max_iter=20 if is_smoke() else 100, random_state=0
        ),
    }
    if is_smoke():
        return {"LogisticRegression": out["LogisticRegression"]}
    if have("xgboost"):
        from xgboost import XGBClassifier

        out["XGBoost"] = XGBClassifier(n_estimators=100, max_depth=3, n_jobs=1)
    return out


# five values of one hyper-parameter per estimator: the plain search a user
# compares "choose one of five flattens" with
GRIDS = {
    "LogisticRegression": {"C": [0.01, 0.1, 1.0, 10.0, 100.0]},
    "HistGradientBoosting": {"learning_rate": [0.03, 0.05, 0.1, 0.2, 0.3]},
    "XGBoost": {"learning_rate": [0.03, 0.05, 0.1, 0.2, 0.3]},
}


def _grid_search(name, est, X, y):
    from sklearn.model_selection import GridSearchCV

    def fit():
        folds = 3 if is_smoke() else 5
        return GridSearchCV(est, GRIDS[name], cv=folds, n_jobs=2).fit(X, y)

    return fit


def _weighter_alone(X, src):
    import instransfer as it

    domain = (~src).astype(int)
    return lambda: it.ClassifierWeighter().fit(X, domain)


def _data(n):
    import instransfer as it

    d = it.datasets.make_covariate_shift(n, n, n_features=10, random_state=0)
    return d.X, np.where(d.domain == 1, -1, d.y), d.domain == 0


def _iwcv(est, X, y, schedule, n_jobs, slow_hgb=False, inner=None, weighter_fit="once"):
    import instransfer as it
    from instransfer import _hgb
    from instransfer.model_selection import _iwcv_eval

    def fit():
        # smoke: 3 folds, only to check that the suite runs
        folds = dict(cv=3) if is_smoke() else {}
        model = it.ImportanceWeightedClassifierCV(
            est,
            schedule=schedule,
            n_jobs=n_jobs,
            weighter_fit=weighter_fit,
            random_state=0,
            **folds,
        )
        with (
            mock.patch.object(_hgb, "_upstream_is_fast", return_value=slow_hgb),
            mock.patch.object(
                _iwcv_eval,
                "_inner_threads",
                side_effect=(lambda n: inner) if inner else _iwcv_eval._inner_threads,
            ),
        ):
            return model.fit(X, y)

    return fit


def _warm_worker():
    import importlib

    from sklearn.frozen import FrozenEstimator  # noqa: F401

    import instransfer as it
    from instransfer.model_selection import _iwcv_eval  # noqa: F401

    for name in ("sklearn.ensemble", "sklearn.linear_model", "sklearn.pipeline"):
        importlib.import_module(name)
    it.ClassifierWeighter  # noqa: B018 (the lazy import)
    if have("xgboost"):
        importlib.import_module("xgboost")
    return _load()


def _start_workers():
    from joblib import Parallel, delayed

    Parallel(n_jobs=2)(delayed(_warm_worker)() for _ in range(4))


def _load():
    return f"{os.getloadavg()[0]:.1f}"


def run(quick=False):
    from sklearn.base import clone

    sizes = (300,) if is_smoke() else SIZES[:2] if quick else SIZES
    rows, path = [], None
    t_start = time.perf_counter()
    with pinned():
        for n in sizes:
            X, y, src = _data(n)
            ests = _estimators()
            if n >= 200_000:
                ests = {k: ests[k] for k in ORDER_BIG if k in ests}
            for name, est in ests.items():
                big = n >= 200_000
                fns = {
                    "plain": lambda est=est, A=X[src], b=y[src]: clone(est).fit(A, b),
                    "former default, 2 jobs": _iwcv(
                        est, X, y, "adaptive", 2, weighter_fit="per_fold"
                    ),
                    "now, 2 jobs": _iwcv(est, X, y, "adaptive", 2),
                    "GridSearchCV, 5 values": _grid_search(name, est, X[src], y[src]),
                    "weighter alone": _weighter_alone(X, src),
                }
                if not big:
                    fns["now, 1 job"] = _iwcv(est, X, y, "adaptive", 1)
                # loky's workers stop after 300 s idle and take 10-20 s to
                # start again on a loaded machine: started before the timed
                # rounds, as in a session that has used them (reported below)
                _start_workers()
                load0 = _load()
                # one round: the machine is shared and the former algorithm
                # takes minutes at 20 000 rows; the plain fit is warmed up
                # (imports) and timed in the same round as the others
                fns["plain"]()
                res = compare_times(fns, repeat=1, warmup=False)
                med = {k: float(np.median(t)) for k, (t, _) in res.items()}
                model = res["now, 2 jobs"][1]
                former = res["former default, 2 jobs"][1]
                ratio = {k: med[k] / med["plain"] for k in med}
                rows.append(
                    [
                        name,
                        f"{n:,}",
                        f"{med['plain']:.3f}",
                        _cell(med, ratio, "former default, 2 jobs"),
                        _cell(med, ratio, "now, 1 job"),
                        _cell(med, ratio, "now, 2 jobs"),
                        _cell(med, ratio, "GridSearchCV, 5 values"),
                        f"{med['now, 2 jobs'] / med['GridSearchCV, 5 values']:.1f}×",
                        _cell(med, ratio, "weighter alone"),
                        f"{model.n_fits_} / {model.scores_.shape[0]}",
                        f"{former.flatten_:g} / {model.flatten_:g}",
                        f"{load0} / {_load()}",
                    ]
                )
                print(
                    f"  {name} n={n}: {rows[-1][3:6]} "
                    f"({time.perf_counter() - t_start:.0f} s)",
                    flush=True,
                )
                path = _write(rows, quick)  # after every row: a long run
    return path


def _write(rows, quick):
    notes = []
    header = [
        "estimator",
        "rows per side",
        "plain fit (s)",
        "former default, 2 jobs: s (× plain)",
        "now, 1 job",
        "now, 2 jobs",
        "GridSearchCV, 5 values, 2 jobs",
        "now, 2 jobs / GridSearchCV",
        "weighter alone",
        "fits / folds run (now)",
        "flatten chosen (former / now)",
        "load avg (start / end)",
    ]
    notes.append(
        f"Target: IWCV at most {TARGET}× one plain fit at 20 000 rows and "
        "above, 2 jobs. One interleaved round per cell (plain fit, then the "
        "IWCV variants) on a 2-core machine (its load average in the last "
        "column: above 2, other jobs shared the cores): read "
        "the ratios, which pair each IWCV fit with the plain fit of its round. "
        "joblib's 2 worker processes were started, and imported scikit-learn, "
        "instransfer and xgboost, before each cell (once per session, not "
        "counted). At 200 000 rows ``now, 1 job`` was not "
        "run; rows missing there did not finish in time."
    )
    sections = [
        ("Setup", __doc__.split("\n\n", 1)[1]),
        ("Verdict", _verdict(rows)),
        ("Fit time", markdown_table(header, rows) + "\n\n" + "\n".join(notes)),
    ]
    if not is_smoke():
        earlier = (
            "The previous round, before the weighter was fitted once (commit "
            "29617a69d1; load average 5-19 on 2 cores while measured): "
            "``before`` is the full schedule (100 fits) with the weighter "
            "refit per fold and scikit-learn's weighted HGB binning, ``after, "
            "2 jobs`` the default of then, measured again above as ``former "
            "default, 2 jobs``.\n\n" + markdown_table(_EARLIER_HEADER, _EARLIER_ROWS)
        )
        sections.append(("Earlier measurement", earlier))
    return write_results(
        "iwcv_cost",
        "What choosing flatten costs (ImportanceWeighted*CV over one plain fit)",
        sections,
        quick,
    )


def _ratio(cell):
    return float(cell.split("(")[1].rstrip("×)")) if "(" in cell else None


def _verdict(rows):
    """Computed from the rows of this run (columns as in :func:`_write`)."""
    big = [r for r in rows if int(r[1].replace(",", "")) >= 20_000]
    if not big:
        return "No row at 20 000 rows per side or more: the target is not judged."
    now = [(r[0], r[1], _ratio(r[5])) for r in big if _ratio(r[5]) is not None]
    met = [f"{e} at {n}" for e, n, x in now if x <= TARGET]
    lines = [
        f"IWCV (now, 2 jobs) at most {TARGET}× one plain fit at 20 000 rows per "
        f"side and above: met in {len(met)} of {len(now)} cells"
        + (f" ({', '.join(met)})" if met else "")
        + "; ratios "
        + ", ".join(f"{e} at {n}: {x:.0f}×" for e, n, x in now)
        + ".",
        "The same IWCV fit over a plain GridSearchCV of five values (5 folds, "
        "2 jobs): " + ", ".join(f"{r[0]} at {r[1]}: {r[7]}" for r in big) + ".",
        "The default weighter's fit alone, in plain fits: "
        + ", ".join(
            f"{r[0]} at {r[1]}: {_ratio(r[8]):.0f}×"
            for r in big
            if _ratio(r[8]) is not None
        )
        + ".",
    ]
    return "\n".join(f"- {x}" for x in lines)


def _cell(med, ratio, key):
    if key not in med or not math.isfinite(med[key]):
        return "–"
    return f"{med[key]:.2f} ({ratio[key]:.0f}×)"
