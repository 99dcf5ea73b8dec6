"""How much to weight: which rule should ImportanceWeighted*CV use to pick lambda?

Packaged clinical cohorts (``instransfer.datasets.load_cohort``) are split by a
known age selection (``make_age_shift``: source young, target old), so the
oracle ratio is known. For each cohort three outcomes:

- ``real``: the cohort's own outcome (does weighting help? the oracle says);
- ``linear``: a semi-synthetic outcome drawn from a model linear in the
  covariates (the cohort's own outcome regressed on them), so the linear model
  we fit is well specified and weighting can only add variance;
- ``curved``: the same plus a curved age effect ``kappa * (z_age**2 - 1)``, so
  the linear model is misspecified and weighting should help (Shimodaira 2000).

The model is logistic regression (classification) or ridge (regression) on
the standardised numeric encoding; the weighter a logistic domain classifier
(well specified for this selection, which is logistic in age). Per replicate
``ImportanceWeighted*CV`` is fit with 3 repeats of 5 folds and with 2
repeats of 10 folds, the weighter fitted once on all rows and reused by every
fold (the default), and once more with 2 x 10 folds and the weighter refit on
every training fold (the former default, ``weighter_fit="per_fold"``, same
folds and seeds); every rule is applied to those score matrices (rules
named "5f"/"10f" use the first repeat only; "equal folds" averages the folds'
self-normalised scores with equal weights, as ``GridSearchCV`` with
``make_iw_scorer`` does, instead of pooling the held-out rows). Target
performance is the log-loss (or MSE in units of var(y)) on the target rows:
the *expected* loss under the known outcome law for the semi-synthetic
outcomes, the empirical one for ``real``.

Judgement per setting: weighting *helps* when the oracle-weighted model beats
the unweighted one by more than 2 standard errors over replicates; then a
rule's *recovered* share is ``(L_unweighted - L_rule) / (L_unweighted -
L_oracle)``. Elsewhere a rule's *harm* is ``L_rule - L_unweighted``, compared
with its standard error (noise).
"""

import math
import time

import numpy as np

from benchmarks._harness import (
    is_smoke,
    markdown_table,
    mean_se,
    pinned,
    wants_part,
    write_results,
)

# the replicates run in joblib workers: the code they measure
MEASURES = (
    "instransfer.model_selection._iwcv",
    "instransfer.model_selection._iwcv_eval",
    "instransfer.model_selection._scorer",
    "instransfer.density_ratio._classifier",
    "instransfer.datasets._cohorts",
    "instransfer.base",
)
FLATTENS = (0.0, 0.25, 0.5, 0.75, 1.0)
STRENGTH = 1.5
KAPPA = 1.0
# fold configurations: name -> (n_splits, n_repeats[, weighter_fit]); the
# default weighter_fit is "once" (the weighter fitted on all rows, reused by
# every fold); "2x10f per-fold weighter" is the former default's refit per
# fold, on the same folds and seeds
CONFIGS = {
    "3x5f": (5, 3),
    "2x10f": (10, 2),
    "2x10f per-fold weighter": (10, 2, "per_fold"),
}

RULES = {
    # name: (selection, configuration, folds used, folds weighted by their
    # total importance weight = pooled estimate)
    "best 5f equal folds": ("best", "3x5f", 5, False),
    "best 5f": ("best", "3x5f", 5, True),
    "one_se 5f": ("one_se", "3x5f", 5, True),
    "paired_se 5f": ("paired_se", "3x5f", 5, True),
    "best 3x5f": ("best", "3x5f", 15, True),
    "one_se 3x5f": ("one_se", "3x5f", 15, True),
    "paired_se 3x5f": ("paired_se", "3x5f", 15, True),
    "best 10f": ("best", "2x10f", 10, True),
    "paired_se 10f": ("paired_se", "2x10f", 10, True),
    "best 2x10f equal folds": ("best", "2x10f", 20, False),
    "best 2x10f": ("best", "2x10f", 20, True),
    "one_se 2x10f": ("one_se", "2x10f", 20, True),
    "paired_se 2x10f full": ("paired_se", "2x10f", 20, True),
    # the adaptive schedule, replayed on the 2 x 10 folds it would have run
    # (``_iwcv_eval.replay``: it runs the same folds in order and only leaves
    # cells out), with its margin z
    "paired_se 2x10f adaptive (default)": ("paired_se", "2x10f", 20, True, 3.0),
    "paired_se 2x10f adaptive z=2": ("paired_se", "2x10f", 20, True, 2.0),
    # the former default: adaptive, the weighter refit on every training fold
    "paired_se 2x10f adaptive, weighter per fold (former default)": (
        "paired_se",
        "2x10f per-fold weighter",
        20,
        True,
        3.0,
    ),
}
# ``--part default``: the former default against the new one only (2 x 10
# folds fit once per replicate), written to flatten_choice_default.md
DEFAULT_RULES = [
    "best 2x10f",
    "paired_se 2x10f full",
    "paired_se 2x10f adaptive, weighter per fold (former default)",
    "paired_se 2x10f adaptive (default)",
]
# columns of the per-setting table
SHOWN = [
    "best 5f equal folds",
    "best 2x10f",
    "one_se 2x10f",
    "paired_se 3x5f",
    "paired_se 2x10f adaptive, weighter per fold (former default)",
    "paired_se 2x10f adaptive (default)",
]
FIXED = {"lambda=0.5": 0.5, "lambda=1 (estimated w)": 1.0}
SEED0 = 5000


def _dump(results):
    """Keep the replicates for re-analysis when INSTRANSFER_BENCH_DUMP names a file."""
    import os
    import pickle

    path = os.environ.get("INSTRANSFER_BENCH_DUMP")
    if path:
        with open(path, "wb") as f:
            pickle.dump({k: reps for k, (reps, _) in results.items()}, f)


def _load_dump():
    """Replicates of a previous run, when INSTRANSFER_BENCH_LOAD names its dump."""
    import os
    import pickle

    path = os.environ.get("INSTRANSFER_BENCH_LOAD")
    if not path:
        return {}
    with open(path, "rb") as f:
        return pickle.load(f)


def _standardise(a):
    a = np.asarray(a, dtype=float)
    sd = a.std(axis=0)
    return (a - a.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def _outcome_model(cohort_name, variant):
    """Covariates (standardised, full table) and the outcome law of a setting.

    Returns ``Z, task, law`` where ``law`` is None for the real outcome, else
    ``(f, sigma)``: the true logit (classification) or mean (regression, in
    units of the real outcome's SD) of every row, and the noise SD.
    """
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from instransfer.datasets import load_cohort

    c = load_cohort(cohort_name, as_frame=False)
    Z = _standardise(c.data)
    y = np.asarray(c.target, dtype=float)
    if c.task == "regression":
        y = _standardise(y)
    if variant == "real":
        return c, Z, y, None
    age = Z[:, c.feature_names.index(c.age)]
    curve = KAPPA * (age**2 - 1.0) if variant == "curved" else 0.0
    if c.task == "classification":
        lin = LogisticRegression(C=1.0).fit(Z, y).decision_function(Z)
        return c, Z, y, (lin + curve, None)
    ols = LinearRegression().fit(Z, y)
    sigma = float(np.std(y - ols.predict(Z)))
    return c, Z, y, (ols.predict(Z) + sigma * curve, sigma)


def _target_loss(task, law, y_t, pred_t, idx_t):
    """Loss on target rows: expected under the known law, else empirical."""
    if task == "classification":
        q = np.clip(pred_t, 1e-12, 1 - 1e-12)
        if law is None:
            return float(-np.mean(y_t * np.log(q) + (1 - y_t) * np.log1p(-q)))
        p = 1.0 / (1.0 + np.exp(-law[0][idx_t]))
        return float(-np.mean(p * np.log(q) + (1 - p) * np.log1p(-q)))
    if law is None:
        return float(np.mean((y_t - pred_t) ** 2))
    f, sigma = law
    return float(np.mean((f[idx_t] - pred_t) ** 2) + sigma**2)


def _replicate(setting, seed, configs=CONFIGS):
    """One age split: losses of lambda=0, the oracle, every lambda, the scores."""
    from sklearn.base import clone
    from sklearn.frozen import FrozenEstimator
    from sklearn.linear_model import LogisticRegression, Ridge

    import instransfer as it
    from instransfer.datasets import make_age_shift

    cohort, Z, y_real, law, n_source = setting
    task = cohort.task
    rng = np.random.RandomState(seed)
    sh = make_age_shift(cohort, strength=STRENGTH, random_state=rng, n_source=n_source)
    X = Z[sh.row]
    if law is None:
        y = y_real[sh.row]
    elif task == "classification":
        p = 1.0 / (1.0 + np.exp(-law[0][sh.row]))
        y = (rng.random_sample(p.shape[0]) < p).astype(int)
    else:
        y = law[0][sh.row] + law[1] * rng.standard_normal(sh.row.shape[0])
    src, tgt = sh.domain == 0, sh.domain == 1
    idx_t = sh.row[tgt]
    if task == "classification":
        est, cv_cls = LogisticRegression(), it.ImportanceWeightedClassifierCV
        weighted_cls = it.ImportanceWeightedClassifier
        predict = lambda m, A: m.predict_proba(A)[:, 1]  # noqa: E731
        y_masked = np.where(tgt, -1, y)
    else:
        est, cv_cls = Ridge(alpha=1.0), it.ImportanceWeightedRegressorCV
        weighted_cls = it.ImportanceWeightedRegressor
        predict = lambda m, A: m.predict(A)  # noqa: E731
        y_masked = np.where(tgt, np.nan, y)
    weighter = it.ClassifierWeighter(LogisticRegression(), random_state=seed)
    scores, fold_weights, seconds = {}, {}, {}
    for name, (n_splits, n_repeats, *fit) in configs.items():
        t0 = time.perf_counter()
        cvm = cv_cls(
            est,
            weighter,
            flattens=FLATTENS,
            selection="best",
            schedule="full",  # every cell: the rules are replayed below
            weighter_fit=fit[0] if fit else "once",
            n_repeats=n_repeats,
            cv=n_splits,
            random_state=seed,
        ).fit(X, y_masked)
        seconds[name] = time.perf_counter() - t0
        scores[name], fold_weights[name] = cvm.scores_, cvm.fold_weights_
    # the final weighter is the same in every configuration (same seed)
    frozen = FrozenEstimator(cvm.weighter_)
    grid = []
    for lam in FLATTENS:
        m = weighted_cls(est, frozen, flatten=lam).fit(X, y_masked)
        grid.append(_target_loss(task, law, y[tgt], predict(m, X[tgt]), idx_t))
    oracle = clone(est).fit(X[src], y[src], sample_weight=sh.true_ratio[src])
    w = cvm.weighter_.weights_
    return dict(
        grid=np.asarray(grid),
        oracle=_target_loss(task, law, y[tgt], predict(oracle, X[tgt]), idx_t),
        scores=scores,
        fold_weights=fold_weights,
        ess=float(w.sum() ** 2 / (w**2).sum() / w.shape[0]),
        seconds=seconds,
        n_source=int(src.sum()),
    )


def _choose(r, sel, config, k, pooled, z=None):
    """A rule's chosen index on one replicate and its estimator fits."""
    from instransfer.model_selection._iwcv import _select_flatten
    from instransfer.model_selection._iwcv_eval import replay

    scores = r["scores"][config][:k]
    weights = r["fold_weights"][config][:k] if pooled else None
    if z is None:
        return _select_flatten(scores, weights, sel), scores.size
    scores, n_fits = replay(scores, weights, sel, CONFIGS[config][0], z=z)
    return _select_flatten(scores, weights[: scores.shape[0]], sel), n_fits


def _evaluate(reps, rules):
    """Per-rule losses relative to lambda=0 for one setting."""
    l0 = np.array([r["grid"][0] for r in reps])
    out = {"oracle": np.array([r["oracle"] for r in reps]) - l0, "chosen": {}}
    out["fits"] = {}
    for name in rules:
        picks = [_choose(r, *RULES[name]) for r in reps]
        idx = [i for i, _ in picks]
        out["fits"][name] = float(np.mean([f for _, f in picks]))
        out.setdefault("idx", {})[name] = np.asarray(idx)
        out[name] = (
            np.array([r["grid"][i] for r, i in zip(reps, idx, strict=True)]) - l0
        )
        out["chosen"][name] = float(np.mean([FLATTENS[i] for i in idx]))
    for name, lam in FIXED.items():
        j = FLATTENS.index(lam)
        out[name] = np.array([r["grid"][j] for r in reps]) - l0
    hindsight = np.array([r["grid"].min() for r in reps]) - l0
    out["best lambda in hindsight"] = hindsight
    return out


def _settings(quick):
    cohorts = ["rossi", "gbsg2", "kidney", "actg175", "diabetes", "actg175_cd4"]
    variants = ["real", "linear", "curved"]
    if is_smoke():
        cohorts, variants = ["diabetes"], ["curved"]
    out = []
    for name in cohorts:
        for variant in variants:
            c, Z, y, law = _outcome_model(name, variant)
            # the two ACTG tables have ~1000 source rows: subsample to the
            # "few hundred" regime too
            n_source = 300 if name.startswith("actg") else None
            out.append((f"{name} / {variant}", (c, Z, y, law, n_source)))
    return out


DEFAULT_RULE = "paired_se 2x10f adaptive (default)"
FORMER_RULE = "paired_se 2x10f adaptive, weighter per fold (former default)"
FULL_RULE = "paired_se 2x10f full"
PLAIN_RULE = "best 2x10f"
TIMID_RULE = "one_se 2x10f"


def _verdict(stats, n_reps):
    """The verdict, computed from this run's numbers (no prose written by hand).

    ``stats[rule]`` maps each setting to ``(helps, mean, se, share, noise)``:
    whether the oracle helps there, the rule's mean loss change and its s.e.,
    the share of the oracle's gain it kept (helping settings) and the SD of
    one evaluation (the unweighted model's loss over replicates).
    """

    def helping(rule):
        return {k: v for k, v in stats[rule].items() if v[0]}

    def others(rule):
        return {k: v for k, v in stats[rule].items() if not v[0]}

    lines = [
        f"Computed from this run ({n_reps} replicates per setting). Default: "
        '``selection="paired_se"`` on 2 repeats of 10 folds, folds pooled by '
        "their importance weight (``ImportanceWeighted*CV()`` without arguments).",
        "",
    ]
    hd = helping(DEFAULT_RULE)
    if hd:
        kept = sorted(hd.items(), key=lambda kv: -kv[1][3])
        good = [f"{k.split(' / ')[0]} {v[3]:.0%}" for k, v in kept if v[3] >= 0.8]
        bad = [f"{k.split(' / ')[0]} {v[3]:.0%}" for k, v in kept if v[3] < 0.8]
        lines.append(
            f"- Where weighting helps ({len(hd)} settings: the oracle beats the "
            f"unweighted model by > 2 s.e.), the default kept >= 80 % of the "
            f"oracle's gain in {len(good)} of {len(hd)}"
            + (f" ({', '.join(good)})" if good else "")
            + (f"; less in {', '.join(bad)}" if bad else "")
            + "."
        )
    od = others(DEFAULT_RULE)
    if od:
        harmful = [k for k, v in od.items() if np.isfinite(v[2]) and v[1] > 2 * v[2]]
        worst_k, worst = max(od.items(), key=lambda kv: kv[1][1])
        worst_sd = max(v[1] / v[4] for v in od.values() if v[4] > 0)
        lines.append(
            f"- Where weighting does not help ({len(od)} settings), its loss "
            f"exceeded the unweighted model's by more than 2 s.e. in "
            f"{len(harmful)} of {len(od)}"
            + (f" ({', '.join(harmful)})" if harmful else "")
            + f"; worst {worst_k}, {worst[1]:+.3f} ± {worst[2]:.3f}; at most "
            f"{worst_sd:.2f} SD of one evaluation's noise."
        )
    for rule, what in (
        (FORMER_RULE, "the former default, the weighter refit per fold"),
        (FULL_RULE, "the default's rule on every fold (full schedule)"),
        (PLAIN_RULE, "plain IWCV"),
        (TIMID_RULE, '"one_se"'),
    ):
        if rule not in stats:
            continue
        h, o = helping(rule), others(rule)
        shares = [v[3] for v in h.values()]
        harmful = sum(np.isfinite(v[2]) and v[1] > 2 * v[2] for v in o.values())
        lines.append(
            f"- {what} (``{rule}``): >= 80 % of the gain in "
            f"{sum(x >= 0.8 for x in shares)} of {len(shares)} helping settings"
            + (f" (median {np.median(shares):.0%})" if shares else "")
            + f"; harm > 2 s.e. in {harmful} of {len(o)} others."
        )
    return "\n".join(lines)


def _fmt(m, se, digits=3):
    if not math.isfinite(m):
        return "–"
    return f"{m:+.{digits}f} ± {se:.{digits}f}"


def run(quick=False):
    from joblib import Parallel, delayed

    default_only = wants_part("default") and not wants_part("all")
    rules = DEFAULT_RULES if default_only else list(RULES)
    configs = (
        {k: CONFIGS[k] for k in ("2x10f", "2x10f per-fold weighter")}
        if default_only
        else CONFIGS
    )
    n_reps = 2 if is_smoke() else (6 if quick else 30)
    n_jobs = 1 if is_smoke() else 2
    settings = _settings(quick)
    results = {}
    t_start = time.perf_counter()
    with pinned():
        loaded = _load_dump()
        for label, setting in settings:
            if label in loaded:  # a previous run's replicates: re-analysed only
                reps = loaded[label]
                n_reps = len(reps)
            else:
                reps = Parallel(n_jobs=n_jobs)(
                    delayed(_replicate)(setting, SEED0 + s, configs)
                    for s in range(n_reps)
                )
            results[label] = (reps, _evaluate(reps, rules))
            _dump(results)
            print(f"  {label}: {time.perf_counter() - t_start:.0f} s", flush=True)

    names = rules + list(FIXED) + ["best lambda in hindsight"]
    shown = (rules if default_only else SHOWN) + list(FIXED)
    shown += ["best lambda in hindsight"]
    # -- per-setting table: loss change vs unweighted (negative is better)
    rows, helps, noise = [], {}, {}
    for label, (reps, ev) in results.items():
        m_or, se_or = mean_se(ev["oracle"])
        helps[label] = math.isfinite(se_or) and -m_or > 2 * se_or
        l0 = [r["grid"][0] for r in reps]
        noise[label] = float(np.std(l0, ddof=1)) if len(l0) > 1 else math.nan
        row = [
            label,
            reps[0]["n_source"],
            f"{np.mean([r['ess'] for r in reps]):.2f}",
            f"{np.mean(l0):.3f} ({noise[label]:.3f})",
            _fmt(m_or, se_or),
            "yes" if helps[label] else "no",
        ]
        row += [_fmt(*mean_se(ev[n])) for n in shown]
        rows.append(row)
    header = [
        "setting",
        "n_source",
        "ESS/n",
        "loss λ=0 (SD)",
        "oracle Δ",
        "helps?",
    ] + [f"{n} Δ" for n in shown]

    # -- summary per rule
    summary, stats = [], {}
    for name in names:
        recovered, harms, harmful, worst_sd = [], [], 0, -math.inf
        stats[name] = {}
        for label, (_, ev) in results.items():
            m_or = float(np.mean(ev["oracle"]))
            m, se = mean_se(ev[name])
            stats[name][label] = (helps[label], m, se, m / m_or, noise[label])
            if helps[label]:
                recovered.append(m / m_or)
            else:
                harms.append(m)
                worst_sd = max(worst_sd, m / noise[label])
                if math.isfinite(se) and m > 2 * se:
                    harmful += 1
        ok = sum(r >= 0.8 for r in recovered)
        summary.append(
            [
                name,
                f"{ok}/{len(recovered)}",
                f"{np.median(recovered):.0%}" if recovered else "–",
                f"{min(recovered):.0%}" if recovered else "–",
                f"{harmful}/{len(harms)}",
                f"{np.mean(harms):+.4f}" if harms else "–",
                f"{max(harms):+.4f}" if harms else "–",
                f"{worst_sd:+.2f}" if harms else "–",
            ]
        )
    sum_header = [
        "rule",
        "helps: ≥80 % of oracle gain",
        "median recovered",
        "worst recovered",
        "no help: harm > 2 s.e.",
        "mean harm",
        "worst harm",
        "worst harm / SD(loss λ=0)",
    ]
    chosen_rows = [
        [label] + [f"{ev['chosen'][n]:.2f}" for n in rules]
        for label, (_, ev) in results.items()
    ]
    secs = {
        c: np.median([r["seconds"][c] for reps, _ in results.values() for r in reps])
        for c in configs
    }
    timing = ", ".join(f"{c} {t:.2f} s" for c, t in secs.items())
    body_setup = (
        f"{n_reps} replicates per setting (random age splits, strength "
        f"{STRENGTH}, seeds {SEED0}+); flattens {FLATTENS}; curved age effect "
        f"kappa={KAPPA}; ACTG tables subsampled to 300 source rows. Median time "
        f"of one ImportanceWeighted*CV fit: {timing} (2 jobs side by side on a "
        "loaded 2-core machine: compare, do not quote). Δ = target loss minus "
        "the unweighted model's (log-loss, or MSE in units of var(y)); "
        "negative is better; mean ± s.e. over replicates. SD(loss λ=0) is the "
        "replicate-to-replicate SD of the unweighted model's target loss: the "
        "noise of one evaluation."
    )
    sections = [
        ("Setup", __doc__.split("\n\n", 1)[1] + "\n" + body_setup),
        ("Verdict", _verdict(stats, n_reps)),
        ("Summary per rule", markdown_table(sum_header, summary)),
        ("Loss change vs unweighted, per setting", markdown_table(header, rows)),
        (
            "Mean chosen lambda",
            markdown_table(["setting"] + rules, chosen_rows),
        ),
    ]
    for other, title, text in (
        (
            FORMER_RULE,
            "The default against the former default (weighter per fold), paired",
            "Same replicates, same folds, same selection rule and schedule: "
            "the weighter fitted once on all rows and reused by every fold "
            "(the default) against the weighter refit on every training fold "
            "(the former default). Δ = target loss of the default's choice "
            "minus the former default's.",
        ),
        (
            FULL_RULE,
            "The adaptive default against the full schedule, paired",
            "Same replicates, same folds: the adaptive schedule replayed on the "
            "full one's score matrices. Δ = target loss of the adaptive choice "
            "minus the full schedule's choice.",
        ),
    ):
        paired_rows = []
        for label, (_, ev) in results.items():
            if DEFAULT_RULE not in ev or other not in ev:
                continue
            diff = ev[DEFAULT_RULE] - ev[other]
            same = np.mean(ev["idx"][DEFAULT_RULE] == ev["idx"][other])
            paired_rows.append(
                [
                    label,
                    _fmt(*mean_se(diff), digits=4),
                    f"{np.max(np.abs(diff)):.4f}",
                    f"{same:.0%}",
                    f"{ev['fits'][other]:.0f} / {ev['fits'][DEFAULT_RULE]:.0f}",
                ]
            )
        if paired_rows:
            sections.append(
                (
                    title,
                    text
                    + "\n\n"
                    + markdown_table(
                        [
                            "setting",
                            "Δ loss (mean ± s.e.)",
                            "largest |Δ|",
                            "same λ chosen",
                            "estimator fits: other / default",
                        ],
                        paired_rows,
                    ),
                )
            )
    fits_rows = [
        [label] + [f"{ev['fits'][n]:.0f}" for n in rules]
        for label, (_, ev) in results.items()
    ]
    sections.append(
        (
            "Mean estimator fits in the cross-validation",
            markdown_table(["setting"] + rules, fits_rows),
        )
    )
    return write_results(
        "flatten_choice_default" if default_only else "flatten_choice",
        "Choosing flatten by IWCV on shifted cohorts",
        sections,
        quick,
    )
