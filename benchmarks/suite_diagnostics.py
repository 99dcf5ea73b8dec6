"""Diagnostics: are the shift tests calibrated, how powerful, and do the fit warnings
fire when they should (and only then)?

Parts:

- ``calibration``: p-values of :func:`instransfer.metrics.shift_test` over
  random splits without shift (Gaussian generator and random halves of
  packaged cohorts); a Kolmogorov–Smirnov test of their uniformity and the
  rejection rate at 0.05.
- ``power``: rejection rate at 0.05 against the Gaussian generator's shift
  (mean shift, and a change of spread only), side by side with per-column KS
  tests with a Bonferroni correction.
- ``overlap``: the fit-time overlap check alone over 200 draws per scenario.
- ``warnings``: how often every weighter's ``fit`` warns
  (``WeightConcentrationWarning``, ``NoOverlapWarning``,
  ``ResidualImbalanceWarning``) on no-shift splits, overlapping shifts, strong
  shifts, hard splits and one outlier.
"""

import warnings

import numpy as np

from benchmarks._harness import (
    is_smoke,
    markdown_table,
    mean_se,
    pinned,
    wants_part,
    write_results,
)

COHORTS = ["diabetes", "gbsg2", "kidney", "rossi"]


def _cohorts():
    from instransfer.datasets import load_cohort

    out = {}
    for name in COHORTS:
        try:
            out[name] = load_cohort(name, as_frame=False)
        except ImportError:  # lifelines absent: the sklearn table only
            continue
    return out


def _std(X):
    X = np.asarray(X, float)
    X = np.where(np.isnan(X), np.nanmedian(X, axis=0), X)
    sd = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1)


# --------------------------------------------------------------------------
# calibration


def _null_problem(i, cohorts, n):
    from instransfer.datasets import make_covariate_shift

    rng = np.random.RandomState(1000 + i)
    if i % 2 == 0 or not cohorts:
        d = make_covariate_shift(
            n, n, n_features=5, shift=0.0, target_scale=1.0, random_state=i
        )
        return d.X, d.domain, "gaussian"
    name = sorted(cohorts)[(i // 2) % len(cohorts)]
    X = _std(cohorts[name].data)
    rows = rng.choice(X.shape[0], 2 * n, replace=False)
    return X[rows], np.r_[np.zeros(n, int), np.ones(n, int)], name


TESTS = {
    "classifier, split null": dict(method="classifier", null="split"),
    "classifier, permutation null": dict(method="classifier", n_permutations=49, cv=3),
    "MMD, permutation null": dict(method="mmd", n_permutations=199),
}


def _ks_bonferroni(X, domain):
    from scipy.stats import ks_2samp

    p = [
        ks_2samp(X[domain == 0, j], X[domain == 1, j]).pvalue for j in range(X.shape[1])
    ]
    return min(1.0, min(p) * X.shape[1])


def _calibration(quick):
    from scipy.stats import kstest

    from instransfer.metrics import shift_test

    reps = 3 if is_smoke() else 60 if quick else 200
    n = 30 if is_smoke() else 100
    cohorts = _cohorts()
    pvals = {name: [] for name in [*TESTS, "per-column KS, Bonferroni"]}
    for i in range(reps):
        X, domain, _ = _null_problem(i, cohorts, n)
        for name, kw in TESTS.items():
            if is_smoke() and "n_permutations" in kw:
                kw = {**kw, "n_permutations": 9}
            pvals[name].append(shift_test(X, domain, random_state=i, **kw).pvalue)
        pvals["per-column KS, Bonferroni"].append(_ks_bonferroni(X, domain))
    rows, verdicts = [], []
    for name, p in pvals.items():
        p = np.asarray(p)
        ks = kstest(p, "uniform")
        rate = float(np.mean(p <= 0.05))
        se = float(np.sqrt(0.05 * 0.95 / p.size))
        rows.append(
            [
                name,
                p.size,
                f"{rate:.3f}",
                f"{np.mean(p):.3f}",
                f"{ks.statistic:.3f}",
                f"{ks.pvalue:.3f}",
            ]
        )
        if name.startswith("per-column"):
            continue  # Bonferroni is conservative by design, not uniform
        ok = ks.pvalue > 0.01 and rate <= 0.05 + 2 * se
        verdicts.append(
            f"- {name}: {'calibrated' if ok else 'NOT calibrated'} (KS p = "
            f"{ks.pvalue:.3f}, rejection rate {rate:.3f} at level 0.05, "
            f"tolerance {0.05 + 2 * se:.3f})."
        )
    body = (
        f"{reps} random splits without shift ({n} + {n} rows; even draws: the "
        "Gaussian generator, 5 features, `shift=0`, `target_scale=1`; odd draws: "
        f"random halves of the packaged cohorts {sorted(cohorts)}, standardised). "
        "Under no shift a calibrated p-value is uniform: the KS test below "
        "compares the p-values with U(0, 1) (the permutation p-values live on "
        "a grid of 1/(B+1), which makes them slightly conservative).\n\n"
        + markdown_table(
            [
                "test",
                "simulations",
                "rejected at 0.05",
                "mean p",
                "KS statistic",
                "KS p-value",
            ],
            rows,
        )
        + "\n\nVerdicts (computed from the table):\n\n"
        + "\n".join(verdicts)
    )
    return [("Calibration under no shift", body)]


# --------------------------------------------------------------------------
# power


def _power(quick):
    from instransfer.datasets import make_covariate_shift
    from instransfer.metrics import shift_test

    reps = 2 if is_smoke() else 20 if quick else 40
    n = 30 if is_smoke() else 100
    d = 5
    settings = [("mean", s, 1.0) for s in (0.0, 0.1, 0.2, 0.3, 0.5)]
    settings += [("spread", 0.0, s) for s in (0.8, 0.6)]
    if is_smoke():
        settings = settings[:2]
    tests = {
        "classifier (split)": dict(method="classifier", null="split"),
        "classifier (perm.)": dict(method="classifier", n_permutations=29, cv=3),
        "MMD (perm.)": dict(method="mmd", n_permutations=99),
    }
    rows, wins = [], []
    for kind, shift, scale in settings:
        rej = {name: [] for name in [*tests, "KS + Bonferroni"]}
        for i in range(reps):
            data = make_covariate_shift(
                n, n, n_features=d, shift=shift, target_scale=scale, random_state=i
            )
            for name, kw in tests.items():
                if is_smoke() and "n_permutations" in kw:
                    kw = {**kw, "n_permutations": 9}
                p = shift_test(data.X, data.domain, random_state=i, **kw).pvalue
                rej[name].append(p <= 0.05)
            rej["KS + Bonferroni"].append(_ks_bonferroni(data.X, data.domain) <= 0.05)
        cells = []
        for name in rej:
            m, se = mean_se(np.asarray(rej[name], float))
            cells.append(f"{m:.2f} ± {se:.2f}" if np.isfinite(se) else f"{m:.2f}")
        rows.append([kind, f"{shift:g}", f"{scale:g}", *cells])
        best = max(rej, key=lambda k: np.mean(rej[k]))
        if shift > 0 or scale != 1:
            wins.append(
                f"- {kind} shift {shift:g}, target scale {scale:g}: most powerful "
                f"{best} ({np.mean(rej[best]):.2f}); KS + Bonferroni "
                f"{np.mean(rej['KS + Bonferroni']):.2f}, MMD "
                f"{np.mean(rej['MMD (perm.)']):.2f}."
            )
    body = (
        f"Rejection rate at level 0.05 (mean ± s.e. over {reps} draws) on "
        "`make_covariate_shift(n, n, n_features=5, shift=s, target_scale=c)`, "
        f"n = {n}: the source is N(0, I), the target N(s, c² I). Rows with "
        "shift 0 and scale 1 are the level (should be near 0.05).\n\n"
        + markdown_table(
            ["kind", "shift", "target scale", *rej.keys()],
            rows,
        )
        + "\n\nVerdicts (computed from the table):\n\n"
        + "\n".join(wins)
    )
    return [("Power against the known-ratio generator", body)]


# --------------------------------------------------------------------------
# fit-time warnings


def _weighters(seed):
    import instransfer as it

    if is_smoke():
        return {
            "ClassifierWeighter": it.ClassifierWeighter(random_state=seed),
            "NearestNeighborWeighter": it.NearestNeighborWeighter(),
        }
    return {
        "ClassifierWeighter": it.ClassifierWeighter(random_state=seed),
        "NearestNeighborWeighter": it.NearestNeighborWeighter(),
        "ULSIFCV": it.ULSIFCV(random_state=seed),
        "RULSIFCV": it.RULSIFCV(random_state=seed),
        "KLIEPCV": it.KLIEPCV(random_state=seed),
        "KMM": it.KMM(random_state=seed),
    }


SCENARIOS = {
    "no shift (Gaussian)": "null",
    "no shift (cohort halves)": "null",
    "overlapping (Gaussian default)": "overlap",
    "overlapping (age logistic, strength 1)": "overlap",
    "strong (age logistic, strength 2)": "strong",
    "hard split (age >= median)": "hard",
    "one outlier (X[0, 0] = 20)": "outlier",
}


def _scenario(name, seed, cohorts):
    from instransfer.datasets import make_age_shift, make_covariate_shift

    rng = np.random.RandomState(seed)
    small = is_smoke()
    n = 60 if small else 200
    if name == "no shift (Gaussian)":
        d = make_covariate_shift(n, n, shift=0.0, target_scale=1.0, random_state=seed)
        return d.X, d.domain
    if name == "overlapping (Gaussian default)":
        d = make_covariate_shift(n, n, random_state=seed)
        return d.X, d.domain
    if name == "one outlier (X[0, 0] = 20)":
        d = make_covariate_shift(n, n, random_state=seed)
        X = d.X.copy()
        X[0, 0] = 20.0
        return X, d.domain
    cname = sorted(cohorts)[seed % len(cohorts)]
    c = cohorts[cname]
    X = _std(c.data)
    if name == "no shift (cohort halves)":
        return X, (rng.rand(X.shape[0]) < 0.5).astype(int)
    if name.startswith(("overlapping (age", "strong")):
        strength = 1.0 if name.startswith("overlapping") else 2.0
        s = make_age_shift(c, strength=strength, random_state=seed)
        return _std(s.X), s.domain
    age = np.asarray(c.data, float)[:, list(c.feature_names).index("age")]
    return X, (age >= np.median(age)).astype(int)


def _fit_warnings(quick):
    from instransfer.exceptions import (
        NoOverlapWarning,
        ResidualImbalanceWarning,
        WeightConcentrationWarning,
    )

    kinds = {
        "concentration": WeightConcentrationWarning,
        "no overlap": NoOverlapWarning,
        "residual imbalance": ResidualImbalanceWarning,
    }
    seeds = 1 if is_smoke() else 4 if quick else 12
    cohorts = _cohorts()
    scenarios = list(SCENARIOS)
    if is_smoke():
        scenarios = [scenarios[0], scenarios[5], scenarios[6]]
    if not cohorts:
        scenarios = [s for s in scenarios if "cohort" not in s and "age" not in s]
    counts = {}
    for scen in scenarios:
        for seed in range(seeds):
            X, domain = _scenario(scen, seed, cohorts)
            for wname, w in _weighters(seed).items():
                with warnings.catch_warnings(record=True) as rec:
                    warnings.simplefilter("always")
                    w.fit(X, domain)
                got = {k for k, cat in kinds.items() for r in rec if r.category is cat}
                for k in kinds:
                    counts.setdefault((scen, wname, k), []).append(k in got)
    rows = []
    for scen in scenarios:
        for wname in _weighters(0):
            cells = [f"{np.mean(counts[(scen, wname, k)]):.2f}" for k in kinds]
            rows.append([scen, wname, *cells])
    rate = {
        (scen, k): np.mean([np.mean(counts[(scen, w, k)]) for w in _weighters(0)])
        for scen in scenarios
        for k in kinds
    }
    verdicts = []
    for scen in scenarios:
        kind = SCENARIOS[scen]
        if kind in ("null", "overlap"):
            fa = rate[(scen, "no overlap")]
            verdicts.append(
                f"- {scen}: NoOverlapWarning false-alarm rate {fa:.3f} over every "
                f"weighter and seed ({'none' if fa == 0 else 'some'})."
            )
        if kind == "null":
            for k in ("concentration", "residual imbalance"):
                verdicts.append(
                    f"- {scen}: {k} warning rate {rate[(scen, k)]:.3f} (false alarms)."
                )
        if kind == "hard":
            every = all(
                np.mean(counts[(scen, w, "no overlap")]) == 1 for w in _weighters(0)
            )
            verdicts.append(
                f"- {scen}: NoOverlapWarning for every weighter and seed: "
                f"{'yes' if every else 'no'} (rate {rate[(scen, 'no overlap')]:.3f})."
            )
        if kind == "outlier":
            hit = np.mean(counts[(scen, "ClassifierWeighter", "concentration")])
            verdicts.append(
                f"- {scen}: ClassifierWeighter warns of weight concentration in "
                f"{hit:.0%} of the seeds."
            )
    body = (
        f"Share of fits that raised each warning, {seeds} seeds per scenario "
        "(cohort scenarios rotate over "
        f"{sorted(cohorts)}, covariates standardised; Gaussian scenarios "
        "`make_covariate_shift(200, 200)`). *No shift* and *overlapping* rows "
        "should not warn of overlap; the hard split (source: age below the "
        "median, target: at or above) should warn for every weighter. A "
        "residual-imbalance warning on an overlapping shift is a weighter "
        "failing to balance a column (the kernel weighters on the clinical "
        "tables), not a false alarm.\n\n"
        + markdown_table(["scenario", "weighter", *kinds], rows)
        + "\n\nVerdicts (computed from the table):\n\n"
        + "\n".join(verdicts)
    )
    return [("Fit-time warnings per weighter", body)]


def _overlap_rates(quick):
    """The fit-time overlap check alone (it does not depend on the weighter)."""
    from instransfer._diagnostics import (
        MAX_ROWS,
        MIN_UNSUPPORTED_ROWS,
        UNSUPPORTED_SHARE,
        _subsample,
        encode_covariates,
    )
    from instransfer.metrics._overlap import _support

    draws = 2 if is_smoke() else 50 if quick else 200
    cohorts = _cohorts()
    scenarios = [s for s in SCENARIOS if SCENARIOS[s] != "outlier"]
    if is_smoke():
        scenarios = [scenarios[0], scenarios[-1]]
    if not cohorts:
        scenarios = [s for s in scenarios if "cohort" not in s and "age" not in s]
    rows, verdicts = [], []
    for scen in scenarios:
        shares, warned = [], []
        for seed in range(draws):
            X, domain = _scenario(scen, seed, cohorts)
            is_t = np.asarray(domain) == 1
            Z, names, ind = encode_covariates(X)
            sub = _subsample(is_t, MAX_ROWS, np.random.RandomState(0))
            flags = _support(Z[sub], is_t[sub], ind, cv=3, random_state=0)
            n_bad = int(flags["unsupported"].sum())
            share = n_bad / int(is_t[sub].sum())
            shares.append(share)
            warned.append(share >= UNSUPPORTED_SHARE and n_bad >= MIN_UNSUPPORTED_ROWS)
        m, se = mean_se(shares)
        rate = float(np.mean(warned))
        rows.append(
            [
                scen,
                draws,
                f"{m:.3f} ± {se:.3f}",
                f"{np.quantile(shares, 0.95):.3f}",
                f"{max(shares):.3f}",
                f"{np.mean(np.asarray(shares) >= 0.05):.3f}",
                f"{np.mean(np.asarray(shares) >= 0.10):.3f}",
                f"{rate:.3f}",
            ]
        )
        kind = SCENARIOS[scen]
        want = "no warning" if kind in ("null", "overlap") else "a warning"
        ok = rate == 0 if kind in ("null", "overlap") else rate >= 0.99
        if kind in ("null", "overlap", "hard"):
            verdicts.append(
                f"- {scen}: warned in {rate:.1%} of {draws} draws; wanted {want}: "
                f"{'met' if ok else 'NOT met'}."
            )
    body = (
        "The check every weighter's `fit` runs (at most 1 000 rows per domain, "
        "3-fold domain classifier, neighbours and range), on many more draws "
        "than the per-weighter table, since it does not depend on the weighter. "
        "Share of target rows flagged as without support, the share of draws "
        "above 5 % and 10 % of the target (candidate thresholds), and the rate of "
        f"the warning as shipped (from {UNSUPPORTED_SHARE:.0%} of the target and "
        f"{MIN_UNSUPPORTED_ROWS} rows).\n\n"
        + markdown_table(
            [
                "scenario",
                "draws",
                "share unsupported (mean ± s.e.)",
                "95th percentile",
                "max",
                "share >= 5 %",
                "share >= 10 %",
                "warning rate",
            ],
            rows,
        )
        + "\n\nVerdicts (computed from the table):\n\n"
        + "\n".join(verdicts)
    )
    return [("The overlap check's false alarms and hits", body)]


def run(quick=False):
    sections = []
    with pinned():
        if wants_part("calibration"):
            sections += _calibration(quick)
        if wants_part("power"):
            sections += _power(quick)
        if wants_part("warnings"):
            sections += _fit_warnings(quick)
        if wants_part("overlap"):
            sections += _overlap_rates(quick)
    sections.append(
        (
            "Notes",
            "Measured on a shared 2-core machine (threads pinned to one); only "
            "rates and p-values are reported, no timings. Reproduce with "
            "`python -m benchmarks.run diagnostics` (`--part calibration`, "
            "`--part power`, `--part warnings`, `--part overlap`).",
        )
    )
    return write_results(
        "diagnostics", "Shift tests and fit-time diagnostics", sections, quick
    )
