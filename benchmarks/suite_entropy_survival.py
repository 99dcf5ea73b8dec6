"""Entropy balancing and survival on the target population.

Parts (``--part``):

- ``ebal``: ``EntropyBalancing`` against the PyPI ``ebal`` package on the same
  data: largest weight difference, moment gaps, fit time side by side;
- ``coverage``: the weighted Kaplan-Meier curve against the *true* target
  survival curve on simulated Weibull data with a known covariate-shift ratio:
  pointwise coverage of the 95 % intervals over repetitions;
- ``cohorts``: target log-loss of a logistic model weighted by
  ``EntropyBalancing`` beside the other weighters on the age-shifted cohorts,
  with the harness (and the exact set-up) of ``suite_quality``;
- ``survival_cohorts``: the weighted Kaplan-Meier curve of the source against
  the target's own curve on the packaged time-to-event cohorts split by age,
  and the importance-weighted C-index of a Cox model against the target's.

Writes ``results/entropy_survival.md``.
"""

import math
import statistics

import numpy as np

from benchmarks import suite_quality as sq
from benchmarks._harness import (
    compare_times,
    fmt_mean_se,
    fmt_ratio,
    fmt_times,
    have_peer,
    is_smoke,
    markdown_table,
    pinned,
    quiet,
    wants_part,
    write_results,
)

NAME = "entropy_survival"

# ---------------------------------------------------------------------------
# ebal agreement and timing


def _ebal_fit(X, domain):
    from ebal import ebal_bin

    est = ebal_bin(
        PCA=False, print_level=-1, constraint_tolerance=1e-10, max_iterations=500
    )
    out = est.ebalance(domain, X, np.zeros(X.shape[0]))
    w = out["w"][domain == 0]
    return w / w.mean(), bool(out["converged"])


def _moment_gap(Xs, Xt, w):
    sd = Xs.std(axis=0)
    return float(
        np.max(np.abs(np.average(Xs, axis=0, weights=w) - Xt.mean(axis=0)) / sd)
    )


def run_ebal(quick):
    import instransfer as it
    from instransfer._diagnostics import fit_diagnostics
    from instransfer.datasets import make_covariate_shift

    if is_smoke():
        cases, rounds = [(300, 300, 3, "mean")], 1
    elif quick:
        cases, rounds = [(1000, 1000, 5, "mean"), (10_000, 10_000, 10, "mean")], 3
    else:
        cases = [
            (1000, 1000, 5, "mean"),
            (1000, 1000, 5, "variance"),
            (10_000, 10_000, 10, "mean"),
            (10_000, 10_000, 10, "variance"),
            (100_000, 50_000, 10, "mean"),
        ]
        rounds = 3
    peers = have_peer("ebal")
    rows, ratios, checks = [], [], []
    largest = max(c[0] for c in cases)
    for n_s, n_t, d, moments in cases:
        data = make_covariate_shift(n_s, n_t, d, shift=0.5, random_state=0)
        X, domain = data.X, data.domain
        # ebal balances the columns it is given: append the squares for the
        # variance case, as its documentation suggests
        X_ebal = np.c_[X, X**2] if moments == "variance" else X
        Xs, Xt = X_ebal[domain == 0], X_ebal[domain == 1]
        fns = {
            "ours": lambda X=X, m=moments, d=domain: it.EntropyBalancing(m).fit(X, d)
        }
        if peers:
            fns["ebal"] = lambda Xe=X_ebal, d=domain: _ebal_fit(Xe, d)
        # the fit-time overlap and balance checks every weighter runs (part
        # of "ours"), timed alone on the same weights
        with pinned(), quiet():
            w_fit = it.EntropyBalancing(moments).fit(X, domain).weights_
        fns["checks"] = lambda X=X, t=domain == 1, w=w_fit: fit_diagnostics(X, t, w)
        with pinned(), quiet():
            res = compare_times(fns, repeat=rounds)
        ours = res["ours"][1]
        checks.append(
            (
                f"{n_s:,} / {n_t:,} ({moments})",
                statistics.median(res["checks"][0]) / statistics.median(res["ours"][0]),
            )
        )
        row = [
            f"{n_s:,} / {n_t:,}",
            d,
            moments,
            fmt_times(res["ours"][0]),
            f"{_moment_gap(Xs, Xt, ours.weights_):.1e}",
            ours.n_iter_,
        ]
        if peers:
            w_ebal, converged = res["ebal"][1]
            ratio = statistics.median(res["ebal"][0]) / statistics.median(
                res["ours"][0]
            )
            ratios.append(ratio)
            row += [
                fmt_times(res["ebal"][0]),
                f"{_moment_gap(Xs, Xt, w_ebal):.1e}"
                + ("" if converged else " (not converged)"),
                f"{np.max(np.abs(ours.weights_ - w_ebal)):.1e}",
                fmt_ratio(ratio),
            ]
        else:
            row += ["not run"] * 4
        rows.append(row)
    header = [
        "n_source / n_target",
        "d",
        "moments",
        "ours: fit time",
        "ours: max moment gap (source SDs)",
        "ours: Newton steps",
        "ebal: fit time",
        "ebal: max moment gap",
        "max abs. w_ours − w_ebal (mean-1 weights)",
        "ebal time / ours",
    ]
    body = (
        "Gaussian shift (`make_covariate_shift`, shift 0.5), mean-1 weights. "
        "ebal 1.0.0 `ebal_bin(PCA=False, constraint_tolerance=1e-10)` (its "
        "PCA rotation balances the same moments; off so the columns are the "
        "same), ours with its defaults (`tol=1e-10` on the standardised gap). "
        "Thread pools pinned to one thread, same process, interleaved rounds "
        f"({rounds}); medians with half-range. The machine is shared with other "
        "jobs while measured: read the ratios.\n\n" + markdown_table(header, rows)
    )
    verdict = "ebal not installed: ours only."
    if ratios:
        diffs = [float(r[8]) for r in rows]
        faster = sum(r > 1 for r in ratios)
        verdict = (
            f"Weights agree to {max(diffs):.0e} or better in every case "
            f"(bar: 1e-6: {'met' if max(diffs) <= 1e-6 else '**not met**'}). ebal's "
            f"time over ours: {min(ratios):.2g}–{max(ratios):.2g}×; ours is faster "
            f"in {faster} of {len(ratios)} cases (at {largest:,} source rows: "
            f"{ratios[-1]:.2g}×). Our fit includes the fit-time overlap and "
            "balance checks that every weighter runs (timed alone on the same "
            "weights): "
            + ", ".join(f"{100 * sh:.0f} % of it at {case}" for case, sh in checks)
            + "."
        )
    return [("Agreement with ebal and fit time", body + "\n\n" + verdict)]


# ---------------------------------------------------------------------------
# coverage of the weighted Kaplan-Meier curve


_SHAPE, _BASE, _BETA, _CENS = 1.5, 10.0, 0.5, 25.0


def _weibull_shift(n, mu, rng):
    """Source x ~ N(0, I_2), target N((mu, 0), I_2); T | x Weibull whose scale
    depends on x_0; censoring uniform on (0, 25), independent of x."""
    x = rng.standard_normal((n, 2))
    scale = _BASE * np.exp(-_BETA * x[:, 0])
    T = scale * rng.weibull(_SHAPE, n)
    C = rng.uniform(0, _CENS, n)
    ratio = np.exp(mu * x[:, 0] - mu**2 / 2)
    return x, np.minimum(T, C), T <= C, ratio


def _true_survival(t, mu):
    from scipy.special import roots_hermitenorm

    nodes, weights = roots_hermitenorm(80)
    scale = _BASE * np.exp(-_BETA * (nodes + mu))
    surv = np.exp(-((np.asarray(t, float)[:, None] / scale) ** _SHAPE))
    return surv @ weights / weights.sum()


def run_coverage(quick):
    import instransfer as it
    from instransfer.survival import kaplan_meier

    mu, n = 0.8, 400
    reps = 20 if is_smoke() else 200 if quick else 500
    times = np.array([2.0, 5.0, 10.0])
    truth = _true_survival(times, mu)
    rng = np.random.RandomState(0)
    conds = {
        "unweighted (the source's curve)": ("none", "robust"),
        "true ratio, robust variance": ("oracle", "robust"),
        "true ratio, Xie–Liu variance": ("oracle", "xie-liu"),
        "EntropyBalancing, robust variance": ("eb", "robust"),
        "EntropyBalancing, Xie–Liu variance": ("eb", "xie-liu"),
    }
    hits = {k: [] for k in conds}
    err = {k: [] for k in conds}
    width = {k: [] for k in conds}
    for _ in range(reps):
        x, time, event, ratio = _weibull_shift(n, mu, rng)
        # the target's covariates: a sample of its own, as a weighter sees it
        xt = rng.standard_normal((n, 2)) + np.array([mu, 0.0])
        X = np.vstack([x, xt])
        domain = np.r_[np.zeros(n, int), np.ones(n, int)]
        weights = {
            "none": None,
            "oracle": ratio,
            "eb": it.EntropyBalancing().fit(X, domain).weights_,
        }
        for key, (wkey, variance) in conds.items():
            km = kaplan_meier(
                time, event, weights[wkey], times=times, variance=variance
            )
            lo, hi, s = km["lower"].to_numpy(), km["upper"].to_numpy(), km["survival"]
            hits[key].append((lo <= truth) & (truth <= hi))
            err[key].append(s.to_numpy() - truth)
            width[key].append(hi - lo)
    rows = []
    for key in conds:
        h, e, wd = np.array(hits[key]), np.array(err[key]), np.array(width[key])
        p = h.mean(axis=0)
        cov = [
            f"{100 * pj:.1f} ± {100 * math.sqrt(pj * (1 - pj) / reps):.1f} %"
            for pj in p
        ]
        rows.append(
            [key, *cov, fmt_mean_se(e.ravel(), 4, signed=True), f"{wd.mean():.3f}"]
        )
    header = ["weights, variance"]
    header += [
        f"coverage at t={t:g} (S={s:.2f})" for t, s in zip(times, truth, strict=True)
    ]
    header += ["bias (all t)", "mean CI width"]
    cov_oracle = np.array(hits["true ratio, robust variance"]).mean()
    cov_eb = np.array(hits["EntropyBalancing, robust variance"]).mean()
    cov_plain = np.array(hits["unweighted (the source's curve)"]).mean()
    se = math.sqrt(0.95 * 0.05 / (reps * len(times)))
    verdict = (
        f"With the true ratio the robust intervals cover the true target curve "
        f"{100 * cov_oracle:.1f} % of the time (nominal 95 %, "
        f"{'within' if abs(cov_oracle - 0.95) <= 3 * se else '**outside**'} 3 binomial "
        f"s.e. = {300 * se:.1f} points); with EntropyBalancing weights, fitted on "
        f"each draw, {100 * cov_eb:.1f} % (the variance ignores the fit of the "
        f"weights); the unweighted curve covers it {100 * cov_plain:.1f} %."
    )
    body = (
        f"Source x ~ N(0, I₂), target x ~ N(({mu}, 0), I₂): the true ratio is "
        f"exp({mu} x₀ − {mu}²/2). T | x ~ Weibull(shape {_SHAPE}, scale "
        f"{_BASE}·exp(−{_BETA} x₀)); censoring uniform on (0, {_CENS:g}), "
        f"independent. n = {n} source rows (and {n} target covariate rows for the "
        f"weighter) per draw, {reps} draws; 95 % log-log intervals. The true "
        "target curve is E_target[S(t | x)] by 80-point Gauss–Hermite "
        "quadrature. Coverage ± binomial s.e.\n\n"
        + markdown_table(header, rows)
        + "\n\n"
        + verdict
    )
    return [("Weighted Kaplan-Meier: coverage of the true target curve", body)]


# ---------------------------------------------------------------------------
# target log-loss on the cohorts, beside the other weighters


_COHORT_OURS = ("ours_clf", "ours_nn", "ours_ulsifcv", "ours_kliepcv")


def _eb_method():
    import instransfer as it

    method = sq.Method("ours_eb", "EntropyBalancing()", "ours", None)

    def make(seed=0):
        return it.EntropyBalancing()

    def fit(D):
        est = make().fit(D.X, D.domain)
        method.fitted = est
        return est.weights_

    method.make, method.fit = make, fit
    return method


def run_cohorts(quick):
    from instransfer.datasets import load_cohort

    cfg = sq._config(quick)
    cap, seeds, strength = cfg["cap"], cfg["c_seeds"], 1.5
    ours, _ = sq._ours(("ours_clf",) if is_smoke() else _COHORT_OURS)
    methods = [_eb_method(), *ours]
    iwcv = tuple(m.key for m in methods) if sq._have_iwcv() else ()
    if is_smoke():
        iwcv = ("ours_eb",)
    labels = {m.key: f"{m.lib} {m.label}" for m in methods}
    labels.update(unweighted="unweighted", oracle="oracle (true ratio)")
    results, sections = {}, []
    for name in cfg["cohorts"]:
        cohort = load_cohort(name)
        splits = (sq._cohort_split(cohort, s, strength, cap) for s in seeds)
        per = sq._collect(splits, methods, iwcv, f"cohort {name}")
        results[name] = (cohort.task, per)
        sections.append(
            (
                f"Cohort `{name}`: target log-loss ({cohort.target_name})",
                sq._outcome_table(cohort.task, per, labels),
            )
        )
    counts = {}
    for _task, per in results.values():
        for key in per:
            if key != "unweighted":
                v = sq._verdict(sq._paired(per, key, "logloss"))
                counts.setdefault(key, dict.fromkeys(sq.VERDICTS, 0))[v] += 1
    eb = counts.get("ours_eb", {})
    eb_iwcv = counts.get("ours_eb+iwcv", {})
    summary = markdown_table(
        ["weights", "helps", "no significant difference", "hurts"],
        [
            [sq._label(k, labels), c["**helps**"], c["no difference"], c["**hurts**"]]
            for k, c in counts.items()
        ],
    )
    verdict = (
        f"EntropyBalancing with its full weights: helps on {eb.get('**helps**', 0)}, "
        f"hurts on {eb.get('**hurts**', 0)} of {len(results)} cohorts; with flatten "
        f"chosen by IWCV: helps on {eb_iwcv.get('**helps**', 0)}, hurts on "
        f"{eb_iwcv.get('**hurts**', 0)}."
    )
    note = sq.COHORT_NOTE.format(strength=strength, cap=cap, n_seeds=len(seeds))
    return [
        (
            "Cohorts: target log-loss with EntropyBalancing beside the other weighters",
            note + "\n\nSame harness, splits and model as `quality_cohorts.md` (the "
            "other weighters' rows are re-measured here on the same seeds).\n\n"
            + summary
            + "\n\n"
            + verdict,
        ),
        *sections,
    ]


# ---------------------------------------------------------------------------
# survival cohorts: weighted KM vs the target's own, IW C-index


def _cox_risk(Xs, time, event, Xt):
    """Linear predictor of an (unweighted, lightly penalised) Cox model."""
    import pandas as pd
    from lifelines import CoxPHFitter

    cols = [f"x{j}" for j in range(Xs.shape[1])]
    df = pd.DataFrame(Xs, columns=cols).assign(T=time, E=event)
    cph = CoxPHFitter(penalizer=0.01).fit(df, "T", "E")
    return (
        cph.predict_log_partial_hazard(pd.DataFrame(Xs, columns=cols)).to_numpy(),
        cph.predict_log_partial_hazard(pd.DataFrame(Xt, columns=cols)).to_numpy(),
    )


def _survival_verdict(rows_km, rows_c):
    """One sentence per table, from the verdict column."""

    def where(rows, key, verdict):
        return [r[0] for r in rows if r[1] == key and r[4] == verdict]

    out = []
    for what, rows in (("the curve", rows_km), ("the C-index", rows_c)):
        parts = []
        for key in ("oracle (true ratio)", "EntropyBalancing()"):
            helps, hurts = where(rows, key, "**helps**"), where(rows, key, "**hurts**")
            parts.append(
                f"{key} helps on {', '.join(helps) or 'none'} and hurts on "
                f"{', '.join(hurts) or 'none'}"
            )
        out.append(f"For {what}: " + "; ".join(parts) + ".")
    return (
        " ".join(out) + " Weighting pays where the outcome depends on age "
        "strongly enough for the shift to move the curve more than the weights' "
        "variance does (compare the unweighted error with the oracle's)."
    )


def run_survival_cohorts(quick):
    import instransfer as it
    from instransfer.datasets import load_survival_cohort, make_age_shift
    from instransfer.survival import concordance_index, kaplan_meier

    names = ["kidney"] if is_smoke() else ["kidney", "gbsg2", "rossi"]
    seeds = range(2) if is_smoke() else range(10) if quick else range(20)
    conds = (
        "unweighted",
        "oracle (true ratio)",
        "EntropyBalancing()",
        "ClassifierWeighter()",
    )
    rows_km, rows_c = [], []
    for name in names:
        cohort = load_survival_cohort(name)
        km_err = {k: [] for k in conds}
        c_err = {k: [] for k in conds}
        ess = {k: [] for k in conds}
        for seed in seeds:
            sh = make_age_shift(cohort, strength=1.5, random_state=seed)
            from sklearn.impute import SimpleImputer
            from sklearn.preprocessing import StandardScaler

            Z = StandardScaler().fit_transform(
                SimpleImputer(strategy="median").fit_transform(sh.X_numeric)
            )
            src = sh.domain == 0
            t, e = sh.y["time"], sh.y["event"]
            grid = np.quantile(t[~src & e], [0.25, 0.5, 0.75])
            target_km = kaplan_meier(t[~src], e[~src], times=grid)[
                "survival"
            ].to_numpy()
            try:
                with quiet():
                    risk_s, risk_t = _cox_risk(Z[src], t[src], e[src], Z[~src])
                target_c = concordance_index(t[~src], e[~src], risk_t)
            except Exception as exc:  # a Cox fit failing on a draw is a result
                print(f"    cox {name} seed={seed} failed: {exc!r:.100}", flush=True)
                risk_s = None
            with pinned():
                weights = {
                    "unweighted": None,
                    "oracle (true ratio)": sh.true_ratio[src],
                    "EntropyBalancing()": it.EntropyBalancing()
                    .fit(Z, sh.domain)
                    .weights_,
                    "ClassifierWeighter()": it.ClassifierWeighter(random_state=seed)
                    .fit(Z, sh.domain)
                    .weights_,
                }
            for key, w in weights.items():
                km = kaplan_meier(t[src], e[src], w, times=grid)["survival"].to_numpy()
                km_err[key].append(float(np.mean(np.abs(km - target_km))))
                ww = np.ones(src.sum()) if w is None else w
                ess[key].append(float(ww.sum() ** 2 / (ww**2).sum() / ww.shape[0]))
                if risk_s is not None:
                    c = concordance_index(t[src], e[src], risk_s, w)
                    c_err[key].append(abs(c - target_c))
        for key in conds:
            diffs = [
                a - b for a, b in zip(km_err[key], km_err["unweighted"], strict=True)
            ]
            rows_km.append(
                [
                    name,
                    key,
                    fmt_mean_se(km_err[key], 3),
                    "(reference)"
                    if key == "unweighted"
                    else fmt_mean_se(diffs, 3, signed=True),
                    "" if key == "unweighted" else sq._verdict(diffs),
                    f"{100 * statistics.fmean(ess[key]):.0f} %",
                ]
            )
            cd = [a - b for a, b in zip(c_err[key], c_err["unweighted"], strict=True)]
            rows_c.append(
                [
                    name,
                    key,
                    fmt_mean_se(c_err[key], 3),
                    "(reference)"
                    if key == "unweighted"
                    else fmt_mean_se(cd, 3, signed=True),
                    "" if key == "unweighted" else sq._verdict(cd),
                ]
            )
    km_table = markdown_table(
        [
            "cohort",
            "weights of the source rows",
            "mean abs. S_source,w(t) − S_target(t) at the target's event-time "
            "quartiles",
            "Δ vs unweighted (paired)",
            "verdict",
            "ESS / n_source",
        ],
        rows_km,
    )
    c_table = markdown_table(
        [
            "cohort",
            "weights",
            "abs. C-index on source rows − C-index on target rows",
            "Δ vs unweighted (paired)",
            "verdict",
        ],
        rows_c,
    )
    body = (
        "Time-to-event cohorts (`load_survival_cohort`) split by age with "
        f"`make_age_shift(strength=1.5)`, {len(seeds)} seeds; covariates "
        "median-imputed and standardised on all rows. The *target's own* "
        "Kaplan-Meier curve (its rows' follow-up, unused by the weighters) is "
        "the reference; it is an estimate itself (a few hundred rows), so even "
        "the oracle does not reach 0. *helps*/*hurts*: paired |mean Δ| > 2 s.e.\n\n"
        + km_table
        + "\n\nImportance-weighted C-index (Harrell's, pairs weighted by "
        "w_i w_j) of a Cox model fitted on the source rows (lifelines, "
        "`penalizer=0.01`), computed on the source rows, against the same "
        "model's C-index on the target rows:\n\n"
        + c_table
        + "\n\n"
        + _survival_verdict(rows_km, rows_c)
    )
    return [("Survival cohorts: the target's curve and C-index from source rows", body)]


def run(quick):
    """Parts ``ebal``, ``coverage``, ``cohorts``, ``survival_cohorts``."""
    sections = [
        (
            "What is measured",
            "`EntropyBalancing` against the `ebal` package (agreement, fit time); "
            "coverage of the weighted Kaplan-Meier intervals on a known shift; "
            "target log-loss on the age-shifted cohorts beside the other "
            "weighters; the target's survival curve and C-index estimated from "
            "weighted source rows on the packaged time-to-event cohorts.",
        )
    ]
    if wants_part("ebal"):
        sections += run_ebal(quick)
    if wants_part("coverage"):
        sections += run_coverage(quick)
    if wants_part("survival_cohorts"):
        try:
            sections += run_survival_cohorts(quick)
        except ImportError as exc:
            sections.append(("Survival cohorts", f"Skipped: {exc}"))
    if wants_part("cohorts"):
        try:
            sections += run_cohorts(quick)
        except ImportError as exc:
            sections.append(("Cohorts", f"Skipped: {exc}"))
    return write_results(
        NAME, "Entropy balancing and survival on the target", sections, quick
    )
