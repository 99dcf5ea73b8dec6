"""Transfer boosting on real cohorts: does the default do no harm?

Four packaged clinical cohorts (``instransfer.datasets``), each split by
:func:`~instransfer.datasets.make_age_shift` into a younger source and an
older target; 10, 20 or 50 target rows are labeled, the other target rows
are the test set. Every method sees the same split and the same labeled rows
in each draw. Baselines (one logistic regression pipeline, categorical
columns one-hot encoded, numeric ones standardised): source only, target
only, pooled (source and labeled target rows), pooled with the target rows
holding half the weight, and the importance-weighted estimator (source rows
weighted by a ClassifierWeighter fit on source vs all target rows). Boosting:
``TrAdaBoostClassifier()`` with its defaults, and the paper's algorithm as
earlier versions ran it (depth-3 tree, 50 rounds, hard vote).

The verdict of each row is computed from the draws: the default's mean
log-loss (accuracy) is compared with the better of source only and pooled,
and passes when it is worse by at most ``max(SE, 0.01)``, SE the standard
error of the paired per-draw difference.
"""

import time
import warnings

import numpy as np

from benchmarks._harness import is_smoke, markdown_table, pinned, write_results

COHORTS = ("rossi", "gbsg2", "actg175", "kidney")
N_LABELED = (10, 20, 50)
STRENGTH = 1.5
TOLERANCE = 0.01
METHODS = (
    ("source", "source only"),
    ("target", "target only"),
    ("pooled", "pooled"),
    ("upweighted", "pooled, target half the weight"),
    ("iw", "importance-weighted"),
    ("default", "TrAdaBoostClassifier()"),
    ("paper", "paper TrAdaBoost (tree, 50 rounds, hard vote)"),
)


def _logistic(X):
    """The baselines' learner: one-hot categories, standardise numbers, LR."""
    from pandas.api.types import is_numeric_dtype
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    cats = [c for c in X.columns if not is_numeric_dtype(X[c])]
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), cats),
        remainder=StandardScaler(),
    )
    return make_pipeline(encode, LogisticRegression())


def _metrics(y, p):
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

    p = np.clip(p, 1e-15, 1 - 1e-15)
    auc = roc_auc_score(y, p) if len(np.unique(y)) == 2 else np.nan
    return {
        "log_loss": log_loss(y, p, labels=[0, 1]),
        "brier": float(np.mean((p - y) ** 2)),
        "auc": auc,
        "accuracy": accuracy_score(y, p >= 0.5),
    }


def _split(cohort, n_labeled, draw):
    """Stacked training rows and the test rows of one draw."""
    from instransfer.datasets import make_age_shift

    shifted = make_age_shift(cohort, strength=STRENGTH, random_state=draw)
    # the labeled rows are drawn from a stream of their own: reusing the
    # split's seed correlates them with the split's draws (measured: the
    # labeled rows were then easier than the test rows)
    rng = np.random.default_rng([draw, n_labeled, 7])
    target = np.flatnonzero(shifted.domain == 1)
    labeled = np.sort(rng.choice(target, n_labeled, replace=False))
    source = np.flatnonzero(shifted.domain == 0)
    return shifted, source, labeled, np.setdiff1d(target, labeled), target


def _fit_predict(key, shifted, source, labeled, test, target, draw):
    """Target-test risks of one method, and its extra facts."""
    from sklearn.tree import DecisionTreeClassifier

    from instransfer import (
        ClassifierWeighter,
        ImportanceWeightedClassifier,
        TrAdaBoostClassifier,
    )

    X, y = shifted.X, shifted.y
    rows = np.r_[source, labeled]
    domain = np.r_[np.zeros(source.size, int), np.ones(labeled.size, int)]
    Xtest = X.iloc[test]
    extra = {}
    if key == "source":
        model = _logistic(X).fit(X.iloc[source], y[source])
    elif key == "pooled":
        model = _logistic(X).fit(X.iloc[rows], y[rows])
    elif key == "upweighted":
        w = np.where(domain == 1, source.size / labeled.size, 1.0)
        model = _logistic(X).fit(
            X.iloc[rows], y[rows], logisticregression__sample_weight=w
        )
    elif key == "target":
        yl = y[labeled]
        if len(np.unique(yl)) < 2:  # one class among the labels: its rate
            rate = (yl.sum() + 0.5) / (yl.size + 1.0)
            return np.full(test.size, rate), extra
        model = _logistic(X).fit(X.iloc[labeled], yl)
    elif key == "iw":
        all_rows = np.r_[source, target]
        y_iw = np.r_[y[source], np.full(target.size, -1)]
        d_iw = np.r_[np.zeros(source.size, int), np.ones(target.size, int)]
        model = ImportanceWeightedClassifier(
            _logistic(X), ClassifierWeighter(_logistic(X)), random_state=draw
        )
        model.fit(X.iloc[all_rows], y_iw, domain=d_iw)
    elif key == "default":
        model = TrAdaBoostClassifier(random_state=draw)
        model.fit(X.iloc[rows], y[rows], domain=domain)
        extra = {
            "rounds": model.n_rounds_,
            "recalibrated": model.calibration_[0] != "none",
        }
    else:  # the paper's algorithm as earlier versions ran it
        Xn = shifted.X_numeric.to_numpy(float)
        model = TrAdaBoostClassifier(
            DecisionTreeClassifier(max_depth=3),
            early_stopping=False,
            vote="hard",
            calibration=None,
            random_state=draw,
        ).fit(Xn[rows], y[rows], domain=domain)
        Xtest = Xn[test]
    return model.predict_proba(Xtest)[:, 1], extra


def _paired(a, b):
    d = np.asarray(a, float) - np.asarray(b, float)
    d = d[np.isfinite(d)]
    se = d.std(ddof=1) / np.sqrt(d.size) if d.size > 1 else np.nan
    return d.mean(), se


def _cell(values):
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    se = v.std(ddof=1) / np.sqrt(v.size) if v.size > 1 else np.nan
    return f"{v.mean():.3f} ± {se:.3f}"


def _verdict(res, metric, lower_better):
    """Default vs the better of source only and pooled (by mean), paired."""
    means = {k: np.nanmean(res[k][metric]) for k in ("source", "pooled")}
    pick = min if lower_better else max
    best = pick(means, key=means.get)
    diff, se = _paired(res["default"][metric], res[best][metric])
    harm = diff if lower_better else -diff
    allowed = max(se, TOLERANCE) if np.isfinite(se) else TOLERANCE
    ok = harm <= allowed
    return f"{harm:+.3f} ± {se:.3f} vs {best}", "yes" if ok else "**no**", ok


def run(quick=False):
    import importlib.util

    from instransfer.datasets import load_cohort

    if importlib.util.find_spec("lifelines") is None:  # the cohorts' files
        note = (
            "Not measured: the cohorts ship with lifelines "
            '(pip install "instransfer[demo]").'
        )
        return write_results(
            "boosting_cohorts",
            "Transfer boosting on age-shifted real cohorts",
            [("Summary", note)],
            quick,
        )
    smoke = is_smoke()
    # the smoke run takes the cohort with categorical columns
    cohorts = COHORTS[1:2] if smoke else COHORTS[:2] if quick else COHORTS
    sizes = (20,) if smoke or quick else N_LABELED
    draws = range(1 if smoke else 5 if quick else 20)
    keys = [k for k, _ in METHODS]
    table_rows = {m: [] for m in ("log_loss", "accuracy", "brier", "auc")}
    behaviour, passes, seconds = [], [], {k: 0.0 for k in keys}
    t_start = time.perf_counter()
    with pinned(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter of the baselines
        for name in cohorts:
            cohort = load_cohort(name)
            for n_labeled in sizes:
                res = {k: {m: [] for m in table_rows} for k in keys}
                rounds, recal = [], []
                for draw in draws:
                    shifted, source, labeled, test, target = _split(
                        cohort, n_labeled, draw
                    )
                    for key in keys:
                        t0 = time.perf_counter()
                        p, extra = _fit_predict(
                            key, shifted, source, labeled, test, target, draw
                        )
                        seconds[key] += time.perf_counter() - t0
                        for m, v in _metrics(shifted.y[test], p).items():
                            res[key][m].append(v)
                        if extra:
                            rounds.append(extra["rounds"])
                            recal.append(extra["recalibrated"])
                label = [name, str(n_labeled)]
                for metric, lower in (("log_loss", True), ("accuracy", False)):
                    text, mark, ok = _verdict(res, metric, lower)
                    passes.append(ok)
                    cells = [_cell(res[k][metric]) for k in keys]
                    table_rows[metric].append(label + cells + [text, mark])
                for metric in ("brier", "auc"):
                    table_rows[metric].append(
                        label + [_cell(res[k][metric]) for k in keys]
                    )
                rounds = np.asarray(rounds)
                behaviour.append(
                    label
                    + [
                        f"{np.mean(rounds == 1):.2f}",
                        f"{rounds.mean():.1f}",
                        str(int(rounds.max())),
                        f"{np.mean(recal):.2f}",
                    ]
                )
    total = time.perf_counter() - t_start
    names = [title for _, title in METHODS]
    head = ["cohort", "labeled target rows", *names]
    verdict_head = ["default − best of source/pooled (paired)", "no harm"]
    n_pass, n_all = int(np.sum(passes)), len(passes)
    summary = (
        f"Target rows = the older patients of `make_age_shift(strength="
        f"{STRENGTH})`; mean ± standard error over {len(draws)} draws (split and "
        f"labeled rows); test = the unlabeled target rows. The safety target: "
        f"the default's log-loss and accuracy no worse than the better of "
        f"source only and pooled by more than max(SE, {TOLERANCE}) (SE of the "
        f"paired per-draw difference). **Met in {n_pass} of {n_all} "
        f"(cohort, labeled rows, metric) cells.** Total run time {total:.0f} s "
        f"(shared machine); seconds per fit: "
        + ", ".join(
            f"{title} {seconds[k] / max(1, len(draws) * len(sizes) * len(cohorts)):.2f}"
            for k, title in METHODS
        )
        + "."
    )
    sections = [
        ("Summary", summary),
        (
            "Target log-loss (lower is better)",
            markdown_table(head + verdict_head, table_rows["log_loss"]),
        ),
        (
            "Target accuracy (higher is better)",
            markdown_table(head + verdict_head, table_rows["accuracy"]),
        ),
        ("Target Brier score", markdown_table(head, table_rows["brier"])),
        ("Target ROC AUC", markdown_table(head, table_rows["auc"])),
        (
            "What the default chose",
            "Rounds chosen by the cross-validation over the labeled target rows "
            "(1 round = the pooled fit) and how often the closed test "
            "recalibrated the risks.\n\n"
            + markdown_table(
                [
                    "cohort",
                    "labeled target rows",
                    "share of draws with 1 round",
                    "mean rounds",
                    "most rounds",
                    "share recalibrated",
                ],
                behaviour,
            ),
        ),
    ]
    return write_results(
        "boosting_cohorts",
        "Transfer boosting on age-shifted real cohorts",
        sections,
        quick,
    )
