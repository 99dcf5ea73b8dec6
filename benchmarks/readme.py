"""The README's measured numbers, rendered from ``benchmarks/results/``.

``python -m benchmarks.readme`` rewrites the block between
``<!-- measured:begin -->`` and ``<!-- measured:end -->`` in README.md from
the full results files; ``--check`` exits 1 when the README differs from what
the files say (``tests/test_readme_claims.py`` runs the same check), so the
README cannot say more than the results do.

Each row below reads its numbers from one results file through
:func:`cell`; wording states the worst case beside the typical one. A row
whose file or table is missing says so instead of keeping an old number.
"""

import argparse
import re
import sys
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
README = HERE.parent / "README.md"
BEGIN, END = "<!-- measured:begin -->", "<!-- measured:end -->"


class Missing(LookupError):
    """A results file, table or row the README needs is not there."""


# --------------------------------------------------------------------------
# reading results files


@cache
def tables(name):
    """``{heading: [row dict, ...]}`` for every markdown table of a file."""
    path = RESULTS / name
    if not path.is_file():
        raise Missing(f"{name} is missing")
    out, heading, header = {}, None, None
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            heading, header = line[3:].strip(), None
        elif line.startswith("|") and heading is not None:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if header is None:
                header = cells
            elif set(line.replace("|", "").strip()) <= {"-", ":", " "}:
                continue
            else:
                out.setdefault(heading, []).append(
                    dict(zip(header, cells, strict=False))
                )
        elif not line.startswith("|"):
            header = None
    return out


def table(name, heading):
    """The rows of the table under the heading that starts with ``heading``."""
    for h, rows in tables(name).items():
        if h.startswith(heading):
            return rows
    raise Missing(f"{name} has no table under '{heading}'")


def row(name, heading, **match):
    """The first row whose columns start with the given values."""
    for r in table(name, heading):
        if all(r.get(k, "").startswith(v) for k, v in match.items()):
            return r
    raise Missing(f"{name}, '{heading}': no row with {match}")


def cell(name, heading, column, **match):
    return row(name, heading, **match)[column]


def number(text):
    """The first number in a cell (``'0.215 s ±15% (n=5)'`` -> 0.215)."""
    m = re.search(r"[-+]?\d[\d ,]*\.?\d*(?:e[-+]?\d+)?", text.replace("\u2212", "-"))
    if m is None:
        raise Missing(f"no number in {text!r}")
    return float(m.group(0).replace(" ", "").replace(",", ""))


def strip_timing(text):
    """``'0.215 s ±15% (n=5)'`` -> ``'0.215 s'``."""
    return text.split(" ±")[0].split(" (")[0]


def quoted_files():
    """The results files the README's measured block reads."""
    return sorted({name for name, _ in ROWS} | set(FINDINGS_FILES) | ALSO_READ)


# --------------------------------------------------------------------------
# the rows: (results file, function returning the row's four cells)


def _kmm_exact():
    f, h = "kmm.md", "Against adapt and skada"
    ours = row(f, h, **{"n_s = n_t": "3000", "method": "instransfer KMM (exact"})
    adapt = row(f, h, **{"n_s = n_t": "3000", "method": "adapt KMM, max_size=n"})
    chunks = row(f, h, **{"n_s = n_t": "3000", "method": "adapt KMM, default"})
    skada = row(
        f, h, **{"n_s = n_t": "3000", "method": "skada KMMReweightAdapter, defaults"}
    )
    ratios = [number(r["time / ours"]) for r in (adapt, chunks, skada)]
    return (
        "exact KMM QP, n = 3 000, d = 10",
        f"{ours['fit time']}",
        f"adapt (cvxopt, one QP: `max_size=n`) {adapt['fit time']}, objective "
        f"{adapt['rel. to ours']} relative to ours; adapt's default (chunks of "
        f"1 000) {chunks['fit time']}, objective {chunks['rel. to ours']}; "
        f"skada {skada['fit time']}, objective {skada['rel. to ours']}",
        f"{_speed(ratios[0])} faster than the one QP, {_speed(min(ratios))}–"
        f"{_speed(max(ratios))} over the three",
    )


def _speed(ratio):
    """``'176×'``; a ratio below 1 says the peer was faster."""
    if ratio >= 1:
        return f"{ratio:.3g}×" if ratio < 10 else f"{ratio:.0f}×"
    return f"{ratio:.2g}× (peer {1 / ratio:.2g}× faster)"


def _kmm_scale():
    r = row("kmm.md", "At scale", **{"source x target rows": "1,000,000"})
    return (
        "KMM at scale, 10⁶ source × 10⁵ target rows (fresh interpreter, n=1)",
        f"{r['fit (wall)']}, {r['peak RSS (whole process)']} peak, "
        f"{r['mode']}, ratio NMSE {r['ratio NMSE']}",
        "—",
        "",
    )


def _ulsif_adapt():
    f, h = "kernel_ratio.md", "uLSIF leave-one-out vs adapt"
    ours = row(f, h, case="ours `ULSIFCV`")
    adapt = row(f, h, case="adapt `ULSIF`")
    t = number(adapt["fit time"]) / number(ours["fit time"])
    m = _bytes(adapt["RSS rise during fit"]) / _bytes(ours["RSS rise during fit"])
    return (
        f"uLSIF exact LOOCV, 3×3 grid, {ours['rows per domain']} rows "
        "(fresh interpreters, one run each)",
        f"{ours['fit time']}, RSS rise {ours['RSS rise during fit']}",
        f"adapt {adapt['fit time']}, RSS rise {adapt['RSS rise during fit']}",
        f"{t:.0f}× faster, {m:.0f}× less memory",
    )


def _ulsif_large():
    f, h = "kernel_ratio.md", "uLSIF exact leave-one-out, 9"
    ours = row(f, h, case="ours, 9×9 default grid (5")
    every = row(f, h, case="ours, 9×9 default grid, all")
    n = f"{int(number(ours['rows per domain'])):,}".replace(",", " ")
    return (
        f"uLSIF exact LOOCV, 9×9 grid, {n} + {n} rows (fresh interpreter, n=1)",
        f"{ours['fit time']}, {ours['peak RSS (VmHWM)']} peak (every held-out "
        f"pair: {every['fit time']}, {every['peak RSS (VmHWM)']})",
        "—",
        "",
    )


def _ulsif_densratio():
    f, h = "kernel_ratio.md", "uLSIF automatic tuning vs densratio"
    rows = table(f, h)
    ours = [r for r in rows if r["method"].startswith("ours")]
    peer = [r for r in rows if r["method"].startswith("densratio")]
    ratios = [number(p["time / ours"]) for p in peer]
    conds = ", ".join(
        f"{strip_timing(p['time'])} {p['threads']}" for p in peer
    ).replace("pinned, 1 thread", "pinned")
    worst = min(peer, key=lambda p: number(p["time / ours"]))["threads"]
    return (
        f"uLSIF automatic grid, {ours[0]['rows per domain']} rows",
        f"{strip_timing(ours[0]['time'])}, exact leave-one-out",
        f"densratio {conds}; its criterion is not the exact leave-one-out",
        (
            f"{min(ratios):.0f}–{max(ratios):.0f}× faster"
            if min(ratios) >= 1
            else f"{_speed(min(ratios))} to {max(ratios):.0f}× faster"
        )
        + f" (worst: {worst})",
    )


def _kliep():
    f, h = "kernel_ratio.md", "KLIEP vs adapt"
    same = row(f, h, solver="ours on adapt's centres")
    adapt = row(f, h, solver="adapt `KLIEP`")
    ours = row(f, h, solver="ours `KLIEP`")
    return (
        "KLIEP, 20 000 rows, adapt's centres (like for like)",
        f"{strip_timing(same['time'])}, duality gap "
        f"{same['duality gap (bound on optimum − objective)']}",
        f"adapt {strip_timing(adapt['time'])}, gap "
        f"{adapt['duality gap (bound on optimum − objective)']} "
        f"({adapt['iterations'].split(' (')[0]}); with our own centres the "
        f"objective is lower ({ours['objective (one formula)']} vs "
        f"{adapt['objective (one formula)']}) and the ratio error higher "
        f"(NMSE {ours['ratio NMSE vs truth']} vs {adapt['ratio NMSE vs truth']})",
        f"{same['peer time / ours'].replace('adapt ', '')} faster",
    )


def _blas():
    f, h = "kernel_ratio.md", "BLAS threads"
    rows = [r for r in table(f, h) if r["what ours does"] == "limited"]
    found = [
        number(r["slow-down without the limit"])
        for r in rows
        if r["machine"] == "as found"
    ]
    busy = [
        number(r["slow-down without the limit"])
        for r in rows
        if r["machine"] != "as found"
    ]
    return (
        "kernel weighters (≤ 100 features) with BLAS allowed 2 threads",
        "BLAS limited to one thread in `fit`/`predict`/`score`",
        "same code without the limit",
        f"without the limit: {min(found):.2g}–{max(found):.2g}× the time as "
        f"found, {min(busy):.2g}–{max(busy):.2g}× with another process busy on "
        "one core",
    )


def _import():
    f, h = "import.md", "Import cost"
    lazy = row(f, h, **{"statement (fresh interpreter)": "`import instransfer`"})
    stmt = "statement (fresh interpreter)"
    first = row(f, h, **{stmt: "`from instransfer import ClassifierWeighter`"})
    adapt = row(f, h, **{"statement (fresh interpreter)": "`import adapt`"})
    key = next(k for k in first if k.startswith("time alone"))
    reps = re.search(r"median of (\d+)", key)
    after = "time after an untimed `import sklearn.base`"
    t_first, t_adapt = number(first[key]), number(adapt[key])
    heavy = [
        m
        for m in ("tensorflow", "torch", "matplotlib")
        if m in adapt["heavy modules loaded"]
    ]
    return (
        "import cost (fresh interpreters"
        + (f", median of {reps.group(1)})" if reps else ")"),
        f"first weighter {strip_timing(first[key])}, {first['peak RSS added']}, "
        f"of which {strip_timing(first[after])} after scikit-learn is imported "
        f"(`import instransfer` alone {strip_timing(lazy[key])}, lazy)",
        f"`import adapt` {strip_timing(adapt[key])}, {adapt['peak RSS added']}"
        + (f" (loads {', '.join(heavy)})" if heavy else ""),
        f"{_speed(t_adapt / t_first)} faster to a first weighter",
    )


def _tradaboost():
    f, h = "tradaboost.md", "Classification: TrAdaBoost vs baselines"
    bar = [r for r in table(f, h) if r["bar row"] == "yes"]
    below = sum(r["< both baselines"] == "yes" for r in bar)
    paper_col = "all rounds, hard vote (the paper; earlier default)"
    src, tgt = "source only", "target only"

    def beats(r, col):
        return number(r[col]) < min(number(r[src]), number(r[tgt]))

    if not bar or paper_col not in bar[0]:
        raise Missing(f"{f} has no column '{paper_col}' (written before it)")
    paper = [r for r in bar if beats(r, paper_col)]
    kept = sum(r["< both baselines"] == "yes" for r in paper)
    lost = [r for r in paper if r["< both baselines"] != "yes"]
    learners = sorted({r["base learner"].split("(")[0] for r in lost})
    lr = [r for r in bar if r["base learner"].startswith("Logistic")]
    trees = [r for r in bar if r["base learner"].startswith("DecisionTree")]
    if any(number_or_none(r["ours − adapt (paired)"]) is None for r in bar):
        peer = "adapt not installed for this run"
    else:

        def diffs(rows):
            return [number(r["ours − adapt (paired)"]) for r in rows]

        lr_better = [d for d in diffs(lr) if d < 0]
        tree_worse = [r for r in trees if number(r["ours − adapt (paired)"]) > 0]
        beyond = sum(r["not worse than adapt by > 2 SE"] == "no" for r in bar)
        peer = (
            f"adapt: ours better in {len(lr_better)} of {len(lr)} "
            f"logistic-regression rows, worse with trees in {len(tree_worse)} of "
            f"{len(trees)}; worse beyond 2 paired SE in {beyond} of {len(bar)} rows"
        )
    return (
        f"TrAdaBoost classifier, {len(bar)} rows, 5 % / 1 % labeled target rows",
        f"defaults below source-only and target-only in {below} of {len(bar)} "
        f"rows; the paper's algorithm (all rounds) in {len(paper)}",
        peer,
        (
            f"the defaults keep {kept} of the paper's {len(paper)} wins"
            + (f" (lost with {', '.join(learners)})" if lost else "")
        ),
    )


def number_or_none(text):
    """:func:`number`, or None for a cell without one (a peer not installed)."""
    try:
        return number(text)
    except Missing:
        return None


def _tradaboost_r2():
    f, h = "tradaboost.md", "Regression: TrAdaBoost.R2"
    r = row(f, h, problem="Friedman #1")
    d = row(f, h, problem="diabetes")
    ours = number(r["TrAdaBoostRegressor"]), number(d["TrAdaBoostRegressor"])
    src = number(r["source only"]), number(d["source only"])
    peer = [number_or_none(x["adapt TrAdaBoostR2"]) for x in (r, d)]
    adapt = (
        f", adapt {peer[0]:.1f} / {peer[1]:.3f}"
        if None not in peer
        else "; adapt not installed for this run"
    )
    verdict = [
        f"{'better' if o < s_ else 'worse'} than source-only on the {where}"
        for o, s_, where in zip(
            ours, src, ("synthetic drift", "real split"), strict=True
        )
    ]
    return (
        "TrAdaBoost.R2, Friedman #1 drifted, 5 % / diabetes by sex, 10 %",
        f"target MSE {ours[0]:.1f} / {ours[1]:.3f}",
        f"source-only {src[0]:.1f} / {src[1]:.3f}{adapt}",
        "; ".join(verdict),
    )


def _boosting_overhead():
    f, h = "tradaboost.md", "Boosting overhead"
    rows = table(f, h)
    worst = max(rows, key=lambda r: number(r["overhead"]))
    return (
        f"TrAdaBoost overhead beyond base fits, {worst['source rows']} rows "
        "(one run each, n=1)",
        f"{worst['overhead']} at worst ({len(rows)} estimators)",
        "",
        "",
    )


def _boosting_cohorts():
    f = "boosting_cohorts.md"
    cells, met = 0, 0
    for h in ("Target log-loss", "Target accuracy"):
        for r in table(f, h):
            cells += 1
            met += r["no harm"] == "yes"
    ll = table(f, "Target log-loss")
    paper = [number(r["paper TrAdaBoost (tree, 50 rounds, hard vote)"]) for r in ll]
    pooled = [number(r["pooled"]) for r in ll]
    cohorts = len({r["cohort"] for r in ll})
    sizes = "/".join(sorted({r["labeled target rows"] for r in ll}, key=int))
    return (
        f"TrAdaBoostClassifier() on {cohorts} age-shifted cohorts, {sizes} "
        "labeled target rows",
        f"target log-loss and accuracy no worse than the better of source-only "
        f"and pooled (by > max(1 SE, 0.01)) in {met} of {cells} cells",
        f"the paper's algorithm (tree, 50 rounds, hard vote): log-loss "
        f"{min(paper):.2f}–{max(paper):.2f} vs pooled "
        f"{min(pooled):.2f}–{max(pooled):.2f}",
        "",
    )


def _conformal():
    f, h = "conformal.md", "Conformal intervals: target coverage"
    plain = row(f, h, method="plain split conformal")
    oracle = row(f, h, method="weighted, oracle ratio")
    est = row(f, h, method="weighted, estimated ratio")
    default = row(f, h, method="weighted, default weighter")
    linear = row(f, h, method="weighted, ClassifierWeighter() (linear logit")
    mapie = table(f, "Side by side with MAPIE")
    diff = max(number(r["max abs. interval difference"]) for r in mapie)
    return (
        "weighted conformal intervals, alpha 0.1, known-ratio data",
        f"target coverage {oracle['target coverage']} (true ratio), "
        f"{default['target coverage']} (default spline-logit weighter), "
        f"{est['target coverage']} (quadratic logit), with "
        f"{oracle['infinite']} / {default['infinite']} / {est['infinite']} "
        f"infinite intervals; {linear['target coverage']} with a linear-logit "
        "weighter that cannot represent the shift",
        f"plain split conformal {plain['target coverage']}; MAPIE at equal "
        "weights: "
        + ("identical intervals" if diff == 0 else f"intervals differ by {diff:.0e}"),
        "",
    )


def _entropy():
    f, h = "entropy_survival.md", "Agreement with ebal"
    rows = table(f, h)
    big = rows[-1]
    gap = max(number(r["max abs. w_ours − w_ebal (mean-1 weights)"]) for r in rows)
    ratios = [number(r["ebal time / ours"]) for r in rows]
    return (
        f"entropy balancing, {big['n_source / n_target']} rows, d = {big['d']}",
        f"{strip_timing(big['ours: fit time'])}, weights equal ebal's to "
        f"{gap:.0e} or better",
        f"ebal {strip_timing(big['ebal: fit time'])}",
        f"{_faster_or_slower(ratios[-1])} here; {_faster_or_slower(min(ratios))} "
        f"to {_faster_or_slower(max(ratios))} over the {len(ratios)} cases "
        "measured",
    )


def _faster_or_slower(ratio):
    """``peer time / ours`` as words: '2.3× faster' or '8.3× slower'."""
    if ratio >= 1:
        return f"{ratio:.2g}× faster"
    return f"{1 / ratio:.2g}× slower"


def _kaplan_meier():
    f, h = "entropy_survival.md", "Weighted Kaplan-Meier"
    true = row(f, h, **{"weights, variance": "true ratio, robust"})
    eb = row(f, h, **{"weights, variance": "EntropyBalancing, robust"})
    un = row(f, h, **{"weights, variance": "unweighted"})
    cols = [k for k in true if k.startswith("coverage at")]

    def rng(r):
        v = [number(r[c]) for c in cols]
        return f"{min(v):.1f}–{max(v):.1f} %"

    return (
        "weighted Kaplan-Meier, 95 % band covering the true target curve",
        f"{rng(true)} (true ratio), {rng(eb)} (EntropyBalancing weights)",
        f"unweighted curve {rng(un)}",
        "",
    )


def _kernel_defaults(method):
    def build():
        f = "kernel_defaults.md"
        rows = table(f, method)
        verdicts = [
            r["default vs adapt"].strip("*")
            for r in rows
            if r["adapt"] not in ("", "–")
        ]
        fresh = [r for r in table(f, "Where adapt was better") if r["method"] == method]
        worse = [r for r in fresh if r["verdict"].strip("*") == "worse"]
        worst = "; ".join(
            f"{r['shift']}, d = {r['d']}, {r['rows/domain']} rows: "
            f"{r['default']} vs {r['adapt']}"
            for r in worse
        )
        return (
            f"{method} default selection, {len(rows)} known-ratio problems "
            "(d 1–20, mean/scale/mixture/heavy tails)",
            f"ratio NMSE lower than adapt's on {verdicts.count('better')} of "
            f"{len(verdicts)}, higher within 2 paired SE on "
            f"{verdicts.count('tie')}, higher beyond (or with one seed) on "
            f"{verdicts.count('worse')}",
            f"adapt's {method} with a typical grid; where adapt looked better, "
            f"{len(fresh)} problems re-drawn with fresh seeds: ours significantly "
            f"worse on {len(worse)}" + (f" ({worst})" if worse else ""),
            "",
        )

    build.__name__ = f"_kernel_defaults_{method}"
    return build


def _weighted_hgb():
    rows = table("weighted_hgb.md", "Results")
    speed = [number(r["plain weighted / ours"]) for r in rows]
    cost = [number(r["ours / unweighted"]) for r in rows]
    loss = "; ".join(
        f"{r['target log-loss, ours − plain weighted']} at {r['source rows']} rows"
        for r in rows
    )
    return (
        "weighted HistGradientBoosting (bins placed without the weights)",
        f"{min(cost):.2f}–{max(cost):.2f}× an unweighted fit; target log-loss "
        f"vs scikit-learn's weighted fit {loss}",
        "scikit-learn 1.9's weighted fit (weighted percentiles in Python)",
        f"{min(speed):.1f}–{max(speed):.1f}× faster",
    )


TARGET_IWCV = 30


def _iwcv_cost():
    rows = table("iwcv_cost.md", "Fit time")
    big = [r for r in rows if number(r["rows per side"]) >= 20000]

    def ratio(cell):
        return number(cell.split("(")[1]) if "(" in cell else None

    now = [(r["estimator"], r["rows per side"], ratio(r["now, 2 jobs"])) for r in big]
    max_load = max(
        number(x) for r in big for x in r["load avg (start / end)"].split("/")
    )
    now = [a for a in now if a[2] is not None]
    former = [ratio(r["former default, 2 jobs: s (× plain)"]) for r in big]
    former = [f for f in former if f is not None]
    worst = {}
    for est, _, x in now:
        worst[est] = max(worst.get(est, 0), x)
    met = [f"{e} at {n}" for e, n, x in now if x <= TARGET_IWCV]
    status = (
        f"target ≤ {TARGET_IWCV}× met"
        if len(met) == len(now)
        else f"target ≤ {TARGET_IWCV}× met only for {', '.join(met)} rows"
        if met
        else f"target ≤ {TARGET_IWCV}× not met"
    )
    per_est = "; ".join(
        f"{e} {min(x for f, _, x in now if f == e):.0f}–{worst[e]:.0f}×"
        for e in sorted(worst)
    )
    grid = [ratio(r["GridSearchCV, 5 values, 2 jobs"]) for r in big]
    grid = [g for g in grid if g is not None]
    over_grid = [number(r["now, 2 jobs / GridSearchCV"]) for r in big]
    return (
        "choosing flatten (IWCV, 5 values), ≥ 20 000 rows per side, 2 jobs, "
        f"one round each, load average ≤ {max_load:.1f} on 2 cores",
        f"{per_est} one plain fit",
        f"weighter refit per fold (former default): {min(former):.0f}–"
        f"{max(former):.0f}×; a plain GridSearchCV over five values: "
        f"{min(grid):.0f}–{max(grid):.0f}× (IWCV {min(over_grid):.1f}–"
        f"{max(over_grid):.1f}× its time)",
        status,
    )


def _shift_tests():
    f = "diagnostics.md"
    cal = table(f, "Calibration under no shift")
    ours = [r for r in cal if not r["test"].startswith("per-column")]
    rej = [number(r["rejected at 0.05"]) for r in ours]
    ks = [number(r["KS p-value"]) for r in ours]
    mean02 = row(f, "Power against", kind="mean", shift="0.2")
    spread = row(f, "Power against", kind="spread", **{"target scale": "0.8"})
    return (
        f"shift tests, {ours[0]['simulations']} null splits",
        f"rejection {min(rej):.3f}–{max(rej):.3f} at 0.05, KS p of the p-values "
        f"≥ {min(ks):.2f}; power at a 0.2 mean shift: classifier "
        f"{mean02['classifier (split)']}, MMD {mean02['MMD (perm.)']}",
        f"per-column KS + Bonferroni: {mean02['KS + Bonferroni']} at the mean "
        f"shift, {spread['KS + Bonferroni']} on a change of spread (MMD "
        f"{spread['MMD (perm.)']})",
        "",
    )


def _overlap_warning():
    rows = table("diagnostics.md", "The overlap check")

    def rate(prefix):
        return number(
            row("diagnostics.md", "The overlap check", scenario=prefix)["warning rate"]
        )

    n = rows[0]["draws"]
    text = (RESULTS / "diagnostics.md").read_text()
    verdicts = re.findall(
        r"^- (.+?): warned in .*?; wanted (.+?): (met|NOT met)\.$", text, re.M
    )
    missed = [scenario for scenario, _, v in verdicts if v != "met"]
    return (
        f"overlap warning, {n} draws per scenario",
        f"{rate('no shift (Gaussian)'):.0%} without shift, "
        f"{rate('overlapping (age logistic'):.1%} on overlapping age shifts "
        f"(worst), {rate('hard split'):.0%} on hard splits",
        "",
        f"as wanted in {len(verdicts) - len(missed)} of {len(verdicts)} scenarios"
        + (f" (not in: {', '.join(missed)})" if missed else ""),
    )


def _outlier_bound():
    f = "hardening.md"
    h = "One outlying source row"
    weight = row(f, h, **{"": "weight of the outlier"})
    ess = row(f, h, **{"": "effective sample size"})
    acc = table(f, "Known-ratio accuracy")
    diffs = [number(r["paired difference"]) for r in acc]
    return (
        "one outlying source row of 200 (`X[0, 0] = 20`), default ClassifierWeighter",
        f"its weight {weight['bounded']}, ESS {ess['bounded']} (log-odds "
        "bounded to the fitted range)",
        f"unbounded: weight {weight['unbounded']}, ESS {ess['unbounded']}",
        f"ratio NMSE on {len(acc)} known-ratio problems: "
        + (
            "never worse"
            if max(diffs) <= 0
            else f"worse on {sum(x > 0 for x in diffs)}"
        )
        + f" (paired difference {min(diffs):+.3f} to {max(diffs):+.3f})",
    )


def _jaws():
    f, h = "conformal.md", "Small source samples"
    rows = table(f, h)
    n = min(number(r["labeled source rows"]) for r in rows)
    at = [r for r in rows if number(r["labeled source rows"]) == n]

    def pick(start):
        return next(r for r in at if r["method"].startswith(start))

    jaws_est = pick("weighted jackknife+ (JAWS), estimated")
    jaws_orc = pick("weighted jackknife+ (JAWS), oracle")
    split = pick("weighted split, oracle")
    plain = pick("plain jackknife+")
    return (
        f"weighted jackknife+ (JAWS), {n:.0f} labeled source rows, alpha 0.1",
        f"target coverage {jaws_est['target coverage']} (estimated ratio), "
        f"{jaws_orc['target coverage']} (true ratio); infinite intervals "
        f"{jaws_est['infinite']} / {jaws_orc['infinite']}",
        f"weighted split conformal: {split['infinite']} infinite; plain "
        f"jackknife+ {plain['target coverage']} ({plain['verdict']})",
        "",
    )


def _engineer_memory():
    f = "engineer.md"
    h = "Peak memory of a weighted fit"
    text = (RESULTS / f).read_text()
    size = re.search(
        r"(\d+) source \+ (\d+) target rows, (\d+) mixed columns, (\d+) after", text
    )
    copies = re.search(r"The weighted fit peaks ([0-9.]+) copies of X above", text)
    if size is None or copies is None:
        raise Missing(f"{f}: no sizes or no copies sentence")
    n_s, n_t, _, d = (int(g) for g in size.groups())
    x = float(copies.group(1))
    plain = row(f, h, fit="LogisticRegression on the source rows")
    weighted = row(f, h, fit="ImportanceWeightedClassifier(LogisticRegression())")
    verdict = (
        "target ≤ 1 copy of X above the unweighted fit: met"
        if x <= 1
        else f"within {100 * (x - 1):.1f} % of the target (≤ 1 copy)"
        if x <= 1.01
        else "target ≤ 1 copy not met"
    )
    return (
        f"weighted fit, claims-style table, {n_s:,} + {n_t:,} rows × {d} encoded "
        "columns (fresh interpreter, n=1)",
        f"`ImportanceWeightedClassifier(LogisticRegression())`: peak rise "
        f"{weighted['peak rise']}, {x:.3f} copies of X above the unweighted fit",
        f"unweighted LogisticRegression: {plain['peak rise']}",
        verdict,
    )


def _engineer_pipeline():
    f = "engineer.md"
    rows = table(f, "The engineer's pipeline at scale")

    def secs(start):
        r = next(r for r in rows if r["fit"].startswith(start))
        return number(r["wall time"]), r["peak RSS rise"]

    lr, lr_peak = secs("LogisticRegression, source rows")
    wlr, wlr_peak = secs("ImportanceWeightedClassifier(LogisticRegression())")
    xgb, _ = secs("XGBClassifier + early stopping")
    wxgb, _ = secs("ImportanceWeightedClassifier(XGBClassifier)")
    return (
        "encoder + weighted LogisticRegression / XGBoost with early stopping, "
        "same table (fresh interpreters, n=1)",
        f"{wlr / lr:.1f}× / {wxgb / xgb:.1f}× the unweighted wall time; peak RSS "
        f"rise {wlr_peak} (LR)",
        f"unweighted pipeline: peak RSS rise {lr_peak}",
        "",
    )


def _bytes(text):
    """A size cell (``'254 MB'``, binary units as the harness writes) in bytes."""
    unit = re.search(r"([KMGT]?B)\b", text)
    scale = {"B": 1, "KB": 2**10, "MB": 2**20, "GB": 2**30, "TB": 2**40}
    return number(text) * scale[unit.group(1) if unit else "B"]


def _dask():
    rows = table("dask.md", "Results")
    clf = table("dask_classifier.md", "Results")
    n = [number(r["source rows"]) for r in rows]
    lo, hi = rows[n.index(min(n))], rows[n.index(max(n))]
    big_clf = max(clf, key=lambda r: number(r["source rows"]))
    mem = next(
        (r for r in clf if r["in memory: fit, peak RSS rise, NMSE"] != "–"), None
    )
    in_mem = (
        ""
        if mem is None
        else (
            f"ClassifierWeighter in memory at {mem['source rows']} rows: "
            f"{mem['in memory: fit, peak RSS rise, NMSE']}"
        )
    )
    grow = _bytes(hi["peak RSS per worker"]) / _bytes(lo["peak RSS per worker"])
    return (
        f"weights on Dask, 2-worker LocalCluster, {lo['source rows']} → "
        f"{hi['source rows']} source rows (+10 % target; one run per size, n=1)",
        f"peak RSS per worker {lo['peak RSS per worker']} → "
        f"{hi['peak RSS per worker']}; ULSIFCV NMSE {hi['NMSE (dask)']} at "
        f"{hi['source rows']} rows (fit {hi['dask fit (s)']} s); ClassifierWeighter "
        f"NMSE {big_clf['NMSE (dask)']} at {big_clf['source rows']}",
        in_mem,
        f"peak memory per worker {grow:.1f}× for {max(n) / min(n):.0f}× the rows"
        + (" (flat)" if grow <= 1.2 else " (not flat)"),
    )


# results files a row reads besides the one it is listed under
ALSO_READ = {"dask_classifier.md"}

ROWS = [
    ("kmm.md", _kmm_exact),
    ("kmm.md", _kmm_scale),
    ("kernel_ratio.md", _ulsif_adapt),
    ("kernel_ratio.md", _ulsif_large),
    ("kernel_ratio.md", _ulsif_densratio),
    ("kernel_ratio.md", _kliep),
    ("kernel_ratio.md", _blas),
    ("import.md", _import),
    ("tradaboost.md", _tradaboost),
    ("tradaboost.md", _tradaboost_r2),
    ("tradaboost.md", _boosting_overhead),
    ("boosting_cohorts.md", _boosting_cohorts),
    ("conformal.md", _conformal),
    ("conformal.md", _jaws),
    ("entropy_survival.md", _entropy),
    ("entropy_survival.md", _kaplan_meier),
    ("kernel_defaults.md", _kernel_defaults("uLSIF")),
    ("kernel_defaults.md", _kernel_defaults("KLIEP")),
    ("weighted_hgb.md", _weighted_hgb),
    ("iwcv_cost.md", _iwcv_cost),
    ("diagnostics.md", _shift_tests),
    ("diagnostics.md", _overlap_warning),
    ("hardening.md", _outlier_bound),
    ("engineer.md", _engineer_memory),
    ("engineer.md", _engineer_pipeline),
    ("dask.md", _dask),
]


# --------------------------------------------------------------------------
# findings paragraph

FINDINGS_FILES = [
    "quality_cohorts.md",
    "quality_cohorts_regression.md",
    "flatten_choice.md",
]


def _oracle_counts(name):
    r = row(name, "Summary over cohorts", weights="oracle")
    return {
        k: int(number(r[k])) for k in ("helps", "no significant difference", "hurts")
    }


def _flatten_choice():
    rows = table("flatten_choice.md", "Loss change vs unweighted")
    # the rule the library ships: the column the suite labels "(default)"
    col = next(k for k in rows[0] if k.endswith("(default) Δ"))
    helping, others = [], []
    for r in rows:
        m_or = number(r["oracle Δ"])
        m, se = number(r[col]), number(r[col].split("±")[1])
        if r["helps?"] == "yes":
            helping.append((r["setting"].split(" / ")[0], m / m_or))
        else:
            others.append((r["setting"], m, se))
    good = sorted(s for _, s in helping if s >= 0.8)
    worst = min(helping, key=lambda x: x[1])
    worst_harm = max(others, key=lambda x: x[1])
    # the counts as the suite computed them from unrounded losses (the cells
    # above are rounded to 3 decimals: too coarse to judge 2 standard errors)
    summary = next(
        r
        for r in table("flatten_choice.md", "Summary per rule")
        if r["rule"].endswith("(default)")
    )
    kept = summary["helps: ≥80 % of oracle gain"]
    harmful = summary["no help: harm > 2 s.e."]
    return (
        f"kept at least 80 % of the oracle weights' gain in "
        f"{kept.replace('/', ' of ')} settings where weighting helps "
        f"({good[0]:.0%}–{good[-1]:.0%}), {worst[1]:.0%} at worst ({worst[0]}); "
        f"where it does not help, its loss exceeded the unweighted model's by "
        f"more than 2 standard errors in {harmful.replace('/', ' of ')} settings "
        f"(worst {worst_harm[0]}, {worst_harm[1]:+.3f} ± {worst_harm[2]:.3f})"
    )


def findings():
    c = _oracle_counts("quality_cohorts.md")
    r = _oracle_counts("quality_cohorts_regression.md")
    n_c, n_r = sum(c.values()), sum(r.values())
    helped = c["helps"] + r["helps"]
    head = (
        "did not improve the target beyond noise on any packaged cohort"
        if helped == 0
        else f"improved the target beyond noise on {helped} of {n_c + n_r} "
        "packaged cohorts"
    )
    return (
        "Honest findings: with a model that can already represent the outcome, "
        f"full importance weights with the true (oracle) ratio {head}: target "
        f"log-loss was worse beyond noise on {c['hurts']} of {n_c} "
        f"classification cohorts (within noise on "
        f"{c['no significant difference']}) and target RMSE on {r['hurts']} of "
        f"{n_r} regression cohorts (within noise on "
        f"{r['no significant difference']}) "
        "([`quality_cohorts.md`](benchmarks/results/quality_cohorts.md), "
        "[`quality_cohorts_regression.md`]"
        "(benchmarks/results/quality_cohorts_regression.md)). "
        "`ImportanceWeighted*CV`'s default "
        + _flatten_choice()
        + " ([`flatten_choice.md`](benchmarks/results/flatten_choice.md))."
    )


# --------------------------------------------------------------------------


def render():
    lines = [
        BEGIN,
        "<!-- generated by `python -m benchmarks.readme` from benchmarks/results/;"
        " do not edit by hand -->",
        "",
        "| what | instransfer | peer | |",
        "|---|---|---|---|",
    ]
    stale = _stale_files()
    for name, fn in ROWS:
        try:
            cells = list(fn())
        except (Missing, KeyError, ValueError, IndexError) as exc:
            cells = [fn.__name__.strip("_"), f"not measured: {exc}", "", ""]
        if name in stale:
            cells[0] += " †"
        lines.append("| " + " | ".join(cells) + " |")
    text = findings()
    old = sorted(f for f in FINDINGS_FILES if f in stale)
    if old:
        text += (
            " † "
            + ", ".join(f"`{f}`" for f in old)
            + (" measured an earlier version of the code.")
        )
    marked = sorted(f for f, _ in ROWS if f in stale)
    if marked:
        lines += [
            "",
            "† Measured on an earlier version of the code "
            f"({len(set(marked))} results file{'s' * (len(set(marked)) > 1)}; "
            "`python -m benchmarks.run --check` lists them, "
            "`--stale` reruns them): read these rows as the last measurement, "
            "not as the code shipped.",
        ]
    lines += ["", text, END]
    return "\n".join(lines)


def _stale_files():
    """The quoted results files whose measured code changed since they were
    written (the README marks their rows rather than let them pass as
    current)."""
    from benchmarks._harness import stale_reason

    return {f for f in quoted_files() if stale_reason(RESULTS / f) is not None}


def updated_readme(text):
    if BEGIN not in text or END not in text:
        raise SystemExit(f"README.md has no {BEGIN} ... {END} block")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return head + render() + tail


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 on a mismatch")
    args = parser.parse_args(argv)
    text = README.read_text()
    new = updated_readme(text)
    if args.check:
        if new != text:
            print(
                "README.md's measured block differs from benchmarks/results/; "
                "run `python -m benchmarks.readme`."
            )
            return 1
        print("README.md's measured block matches benchmarks/results/")
        return 0
    README.write_text(new)
    print("README.md's measured block rendered from benchmarks/results/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
