"""TrAdaBoost family vs source-only, target-only and adapt, on the same splits.

Target error on fresh target rows, mean and standard error over seeds; every
method sees the same split of each seed. Also: adapt's behaviours we avoid,
and the boosting overhead beyond the base learner at 100 000 source rows.
"""

import time
import warnings

import numpy as np

from benchmarks._harness import (
    have,
    is_smoke,
    markdown_table,
    pinned,
    write_results,
)
from benchmarks._transfer_data import (
    breast_cancer_split,
    diabetes_split,
    friedman_drift_regression,
    hidden_shift_classification,
    partial_disagreement_classification,
)

# the seeds run in joblib workers: the code they measure
MEASURES = (
    "instransfer.boosting._base",
    "instransfer.boosting._calibration",
    "instransfer.boosting._rounds",
    "instransfer.boosting._tradaboost",
    "instransfer.boosting._tradaboost_r2",
    "instransfer.boosting._two_stage",
    "benchmarks._transfer_data",
)
N_ROUNDS = 50
# 20 seeds: the paired differences that decide the verdicts have standard
# errors of 0.002-0.010 at 20 seeds (tradaboost.md), and the full run fits
# in 20 minutes on two cores
N_SEEDS = 20
# the paper's algorithm as earlier versions ran it by default: every round,
# the weighted vote of the predicted classes, no recalibration
PAPER = {"early_stopping": False, "vote": "hard", "calibration": None}


def _mean_se(values):
    v = np.asarray(values, float)
    se = v.std(ddof=1) / np.sqrt(v.size) if v.size > 1 else float("nan")
    return f"{v.mean():.3f} ± {se:.3f}"


def _paired(a, b):
    """Mean paired difference ``a - b`` over the seeds, with its standard error."""
    diff = np.asarray(a, float) - np.asarray(b, float)
    se = diff.std(ddof=1) / np.sqrt(diff.size) if diff.size > 1 else float("nan")
    return diff.mean(), se


def _seeded(base, seed):
    """A clone of ``base`` with ``random_state=seed`` where it has one.

    Trees break ties between equal splits at random: without a seed the
    baselines would differ from run to run.
    """
    from sklearn.base import clone

    est = clone(base)
    if "random_state" in est.get_params():
        est.set_params(random_state=seed)
    return est


def _cell(values, bold):
    """``mean ± se`` of a column, bold if it is the row's best."""
    text = _mean_se(values) if values else "not installed"
    return f"**{text}**" if bold else text


def _err(model, X, y):
    return float(np.mean(model.predict(X) != y))


def _fit_adapt(adapt_cls, base, X, y, d, seed, **params):
    """An adapt booster fit on the stacked data (source in fit, target in init)."""
    from sklearn.base import clone

    s, t = d == 0, d == 1
    params = {"n_estimators": N_ROUNDS, **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = adapt_cls(
            clone(base), Xt=X[t], yt=y[t], verbose=0, random_state=seed, **params
        )
        return model.fit(X[s], y[s])


def _mse(model, X, y):
    return float(np.mean((model.predict(X) - y) ** 2))


# --------------------------------------------------------------------------
# classification


# (name, maker key, judged): the bar is judged on the rows whose source
# partly disagrees with the target; the hidden-shift rows are kept as
# evidence of where transfer cannot help (see the note written below the
# table).
CLASS_CASES = [
    ("breast cancer, split by worst texture, 5 %", "bc:worst texture", True),
    ("breast cancer, split by mean compactness, 5 %", "bc:mean compactness", True),
    ("breast cancer, split by worst area, 5 %", "bc:worst area", True),
    ("synthetic partial disagreement, 5 % (100 / 2000)", "pd:100", True),
    ("synthetic partial disagreement, 1 % (20 / 2000)", "pd:20", True),
    ("synthetic hidden shift, 5 % (100 / 2000)", "hs:100", False),
    ("synthetic hidden shift, 1 % (20 / 2000)", "hs:20", False),
]
LEARNERS = ("LogisticRegression(C=0.1)", "DecisionTree(max_depth=3)")


def _make(key, seed):
    """The split of one seed: ``X, y, domain, X_test, y_test``."""
    kind, arg = key.split(":")
    if kind == "bc":
        return breast_cancer_split(arg, 0.05, seed)
    if kind == "pd":
        return partial_disagreement_classification(
            n_target_labeled=int(arg), random_state=seed
        )
    return hidden_shift_classification(n_target_labeled=int(arg), random_state=seed)


def _learner(name):
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    if name.startswith("Logistic"):
        return LogisticRegression(C=0.1)
    return DecisionTreeClassifier(max_depth=3)


def _classification_seed(key, lname, seed, with_adapt):
    """Target errors of every method on one seed's split (a joblib task)."""
    from instransfer import TrAdaBoostClassifier

    base = _learner(lname)
    out = {}
    with pinned(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X, y, d, Xte, yte = _make(key, seed)
        s, t = d == 0, d == 1
        out["src"] = _err(_seeded(base, seed).fit(X[s], y[s]), Xte, yte)
        if len(np.unique(y[t])) > 1:
            out["tgt"] = _err(_seeded(base, seed).fit(X[t], y[t]), Xte, yte)
        else:  # one class among the few target labels: predict it
            out["tgt"] = float(np.mean(yte != y[t][0]))
        # the base learner on the stacked rows, uniform weights: what
        # TrAdaBoost's first round fits, and all of it when that round
        # already fits every target row
        out["pool"] = _err(_seeded(base, seed).fit(X, y), Xte, yte)
        for name, params in (
            ("ours", {}),
            ("paper", PAPER),
            ("dai", {**PAPER, "update": "dai"}),
            ("soft", {**PAPER, "hypothesis": "soft", "vote": "soft"}),
        ):
            model = TrAdaBoostClassifier(
                base, n_estimators=N_ROUNDS, random_state=seed, **params
            )
            out[name] = _err(model.fit(X, y, domain=d), Xte, yte)
            if name == "ours":
                out["rounds"] = len(model.estimators_)
        if with_adapt:
            from adapt.instance_based import TrAdaBoost as adapt

            out["adapt"] = _err(_fit_adapt(adapt, base, X, y, d, seed), Xte, yte)
    return out


def _run_tasks(fn, tasks):
    """``fn(*task)`` for every task, over two joblib workers (one in smoke)."""
    from joblib import Parallel, delayed

    n_jobs = 1 if is_smoke() else 2
    return Parallel(n_jobs=n_jobs)(delayed(fn)(*task) for task in tasks)


def _classification(quick):
    with_adapt = have("adapt")
    seeds = range(3 if quick else N_SEEDS)
    cases = CLASS_CASES
    if quick:
        cases = cases[:1] + cases[3:4] + cases[5:6]
    cells = [
        (case, key, judged, lname) for case, key, judged in cases for lname in LEARNERS
    ]
    outs = _run_tasks(
        _classification_seed,
        [
            (key, lname, seed, with_adapt)
            for _, key, _, lname in cells
            for seed in seeds
        ],
    )
    rows, wins, hidden_cells = [], [], []
    for i, (case, _key, judged, lname) in enumerate(cells):
        per_seed = outs[i * len(seeds) : (i + 1) * len(seeds)]
        res = {
            k: [o[k] for o in per_seed if k in o]
            for k in ("src", "tgt", "pool", "ours", "paper", "dai", "soft", "adapt")
        }
        rounds = [o["rounds"] for o in per_seed]
        m = {k: np.mean(v) if v else np.nan for k, v in res.items()}
        beats = m["ours"] < m["src"] and m["ours"] < m["tgt"]
        soft_hard = "{:+.3f} ± {:.3f}".format(*_paired(res["soft"], res["paper"]))
        ours_paper = "{:+.3f} ± {:.3f}".format(*_paired(res["ours"], res["paper"]))
        paper_beats = m["paper"] < m["src"] and m["paper"] < m["tgt"]
        if not with_adapt:
            vs_adapt, paired, within = "–", "not installed", "–"
            soft_vs_adapt = "–"
        else:
            diff, se = _paired(res["ours"], res["adapt"])
            vs_adapt = "yes" if diff <= 0 else "no"
            paired = f"{diff:+.3f} ± {se:.3f}"
            within = "yes" if diff <= 2 * se else "no"
            sdiff, _ = _paired(res["soft"], res["adapt"])
            soft_vs_adapt = "yes" if sdiff <= 0 else "no"
        wins.append((judged, beats, vs_adapt, within, soft_vs_adapt, paper_beats))
        # bold: the lowest mean error among the baselines, ours and adapt
        best = min(
            ("src", "tgt", "pool", "ours", "adapt"),
            key=lambda k: m[k] if np.isfinite(m[k]) else np.inf,
        )

        rows.append(
            [
                case,
                lname,
                "yes" if judged else "no (see below)",
                _cell(res["src"], best == "src"),
                _cell(res["tgt"], best == "tgt"),
                _cell(res["pool"], best == "pool"),
                _cell(res["ours"], best == "ours"),
                f"{np.mean(rounds):.1f}",
                _mean_se(res["paper"]),
                ours_paper,
                _mean_se(res["dai"]),
                _mean_se(res["soft"]),
                soft_hard,
                _cell(res["adapt"], best == "adapt"),
                paired,
                "yes" if beats else "no",
                vs_adapt,
                within,
            ]
        )
        hidden_cells.append((judged, lname, case, *_paired(res["ours"], res["src"])))
    header = [
        "problem",
        "base learner",
        "bar row",
        "source only",
        "target only",
        "pooled (one fit on all labeled rows)",
        "TrAdaBoostClassifier (defaults)",
        "rounds run (mean)",
        "all rounds, hard vote (the paper; earlier default)",
        "defaults − paper (paired)",
        "update='dai'",
        "hypothesis='soft'",
        "soft − paper (paired)",
        "adapt TrAdaBoost",
        "ours − adapt (paired)",
        "< both baselines",
        "<= adapt (mean)",
        "not worse than adapt by > 2 SE",
    ]
    bar = [w for w in wins if w[0]]
    n_beat = sum(w[1] for w in bar)
    n_adapt = sum(w[2] == "yes" for w in bar)
    n_within = sum(w[3] == "yes" for w in bar)
    n_soft = sum(w[4] == "yes" for w in bar)
    n_paper = sum(w[5] for w in bar)
    n_kept = sum(w[1] and w[5] for w in bar)
    note = (
        f"Target error rate (fresh target rows), mean ± standard error over "
        f"{len(seeds)} seeds; {N_ROUNDS} rounds for both boosters, the same "
        f"splits and seeds for every method. TrAdaBoostClassifier runs with its "
        f"defaults (rounds chosen by cross-validation over the labeled target "
        f"rows, soft vote, closed-test recalibration, `update='stabilised'`); "
        f"'all rounds, hard vote' is the paper's algorithm as earlier versions "
        f"ran it by default (`early_stopping=False, vote='hard', "
        f"calibration=None`), and the next two columns are variants of it: "
        f"the `update='dai'` column is "
        f"Dai et al.'s update with the previous conventions outside it "
        f"(target weights left as they are after a round no better than "
        f"guessing, a learner with zero target error deciding alone). The "
        f"`hypothesis='soft'` column is the default update with real-valued "
        f"hypotheses (h_t(x) = predict_proba, row loss 1 - P(true class), "
        f"probability vote). 'a − b' columns are the mean over seeds of the "
        f"paired difference of target errors (negative: a better) with its "
        f"standard error. 'Pooled' is the base learner fit once on the stacked "
        f"source and labeled target rows with uniform weights - TrAdaBoost's "
        f"first round; where 'rounds run' is near 1, the first learner already "
        f"fit every labeled target row (error 0 ends the boosting), and "
        f"TrAdaBoost is about the pooled fit. Bold: the lowest mean error among "
        f"the baselines, TrAdaBoostClassifier and adapt.\n\n"
        f"On the {len(bar)} bar rows: the defaults below both baselines in "
        f"{n_beat} (the paper's all-rounds run: {n_paper}; of the paper's "
        f"{n_paper} wins, the defaults keep {n_kept}); the defaults' mean at "
        f"most adapt's in {n_adapt}; not worse than adapt by more than two "
        f"paired standard errors in {n_within}. With `hypothesis='soft'` "
        f"instead: mean at most adapt's in {n_soft}.\n\n"
    )
    hidden = []
    for judged, lname, case, diff, se in hidden_cells:
        if judged:
            continue
        verdict = "within" if abs(diff) <= 2 * se else "beyond"
        hidden.append(
            f"{lname} at {case.rsplit(', ', 1)[1]}: ours − source only "
            f"{diff:+.3f} ± {se:.3f} ({verdict} 2 paired SE)"
        )
    after = (
        "Which rows the bar is judged on: those whose source *partly* "
        "disagrees with the target, the setting of the issue and of Dai et "
        "al.'s 20 Newsgroups splits - the breast cancer splits (the domains "
        "differ in a hidden feature, so part of the source's labels mislead) "
        "and the partial-disagreement generator (a sub-population of the "
        "source labelled by another rule). The hidden-shift rows are not "
        "judged: the hidden variable moves the log-odds of *every* source row "
        "by a smooth amount, so no source row disagrees with the target more "
        "than the others, and TrAdaBoost's mechanism (lowering the weight of "
        "the source rows the target disagrees with) has nothing to single "
        "out. Measured there (paired over the seeds; negative: ours better): "
        + "; ".join(hidden)
        + "."
    )
    return note + markdown_table(header, rows) + "\n\n" + after


def _vs_ours_cell(res, key):
    """``mean (paired difference to ours ± se)``; ours as ``mean ± se``."""
    if not res[key]:
        return "not installed"
    if key == "ours":
        return _mean_se(res[key])
    diff, se = _paired(res[key], res["ours"])
    return f"{np.mean(res[key]):.3f} ({diff:+.3f} ± {se:.3f})"


def _adapt_beta_class():
    """TrAdaBoostClassifier with adapt's ``beta_t = eps / (2 - eps)``.

    A probe for this benchmark only, not an option of the library: Dai et
    al.'s ``beta_t = eps / (1 - eps)`` is replaced in the vote weight and in
    the target update (both use ``ln(1 / beta_t)``); the smoothed floor of a
    zero error stays.
    """
    from instransfer import TrAdaBoostClassifier

    class AdaptBeta(TrAdaBoostClassifier):
        def _vote_weight(self, eps, n_t):
            eps = max(eps, 0.5 / (n_t + 1.0))
            return np.log((2.0 - eps) / eps) + np.log(self.n_classes_ - 1.0)

    return AdaptBeta


FACTOR_CASES = [
    ("synthetic partial disagreement, 5 %", "DecisionTree(max_depth=3)", "pd:100"),
    ("breast cancer, worst area, 5 %", "DecisionTree(max_depth=3)", "bc:worst area"),
    (
        "breast cancer, worst texture, 5 %",
        "DecisionTree(max_depth=3)",
        "bc:worst texture",
    ),
    ("synthetic partial disagreement, 5 %", "LogisticRegression(C=0.1)", "pd:100"),
    ("synthetic partial disagreement, 1 %", "LogisticRegression(C=0.1)", "pd:20"),
    ("breast cancer, worst area, 5 %", "LogisticRegression(C=0.1)", "bc:worst area"),
]
FACTOR_VARIANTS = ("ours", "soft", "soft_ab", "hard_ab")


def _factors_seed(key, lname, seed, with_adapt):
    """Target errors of the paper's algorithm and adapt's departures (a task)."""
    from instransfer import TrAdaBoostClassifier

    adapt_beta = _adapt_beta_class()
    soft = {**PAPER, "hypothesis": "soft", "vote": "soft"}
    builds = {
        "ours": (TrAdaBoostClassifier, PAPER),
        "soft": (TrAdaBoostClassifier, soft),
        "soft_ab": (adapt_beta, soft),
        "hard_ab": (adapt_beta, PAPER),
    }
    base = _learner(lname)
    out = {}
    with pinned(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X, y, d, Xte, yte = _make(key, seed)
        for name in FACTOR_VARIANTS:
            cls, params = builds[name]
            model = cls(base, n_estimators=N_ROUNDS, random_state=seed, **params)
            out[name] = _err(model.fit(X, y, domain=d), Xte, yte)
        if with_adapt:
            from adapt.instance_based import TrAdaBoost as adapt

            out["adapt"] = _err(_fit_adapt(adapt, base, X, y, d, seed), Xte, yte)
    return out


def _adapt_factors(quick):
    """Which of adapt's departures from the paper gives it its edge with trees."""
    with_adapt = have("adapt")
    seeds = range(3 if quick else N_SEEDS)
    cases = FACTOR_CASES[:1] + FACTOR_CASES[3:4] if quick else FACTOR_CASES
    outs = _run_tasks(
        _factors_seed,
        [(key, lname, seed, with_adapt) for _, lname, key in cases for seed in seeds],
    )
    variants = FACTOR_VARIANTS
    rows, at_most = [], dict.fromkeys(variants, 0)
    for i, (case, lname, _key) in enumerate(cases):
        per_seed = outs[i * len(seeds) : (i + 1) * len(seeds)]
        res = {k: [o[k] for o in per_seed if k in o] for k in (*variants, "adapt")}
        rows.append([case, lname, *(_vs_ours_cell(res, k) for k in res)])
        if res["adapt"]:
            for key in variants:
                at_most[key] += np.mean(res[key]) <= np.mean(res["adapt"])
    header = [
        "problem",
        "base learner",
        "ours (hard, Dai's beta_t)",
        "hypothesis='soft'",
        "soft + adapt's beta_t",
        "hard + adapt's beta_t",
        "adapt TrAdaBoost",
    ]
    note = (
        f"The paper's algorithm (all rounds, no recalibration). "
        f"Target error, mean over {len(seeds)} seeds (in brackets: paired "
        "difference to ours ± its standard error; negative is better). adapt's "
        "TrAdaBoost departs from Dai et al. (2007) in two ways (shared/PEERS.md): "
        "a soft error (1 - P(true class)) and beta_t = eps / (2 - eps) instead "
        "of eps / (1 - eps). The two middle columns put adapt's beta_t into "
        "our estimator (a subclass in this script, not a library option). "
        + (
            f"Rows whose mean error is at most adapt's, of {len(rows)}: "
            + ", ".join(
                f"{label} {at_most[key]}"
                for key, label in zip(variants, header[2:], strict=False)
            )
            if with_adapt
            else "adapt was not installed for this run: its column is empty."
        )
        + "\n\n"
    )
    return note + markdown_table(header, rows)


# --------------------------------------------------------------------------
# regression


REGRESSION_CASES = [
    ("Friedman #1, source coefficients drifted, 5 % (100 / 2000)", "friedman"),
    ("diabetes, split by sex, 10 % (24 rows)", "diabetes"),
]
REGRESSION_KEYS = ("src", "tgt", "pool", "r2", "r2_w1", "r2_adapt", "two", "two_adapt")


def _regression_seed(key, seed, with_adapt):
    """Target MSE of every regression method on one seed's split (a task)."""
    from sklearn.tree import DecisionTreeRegressor

    from instransfer import TrAdaBoostRegressor, TwoStageTrAdaBoostRegressor

    base = DecisionTreeRegressor(max_depth=4)
    out = {}
    with pinned(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if key == "friedman":
            X, y, d, Xte, yte = friedman_drift_regression(
                n_target_labeled=100, random_state=seed
            )
        else:
            X, y, d, Xte, yte = diabetes_split(0.10, seed)
        s, t = d == 0, d == 1
        out["src"] = _mse(_seeded(base, seed).fit(X[s], y[s]), Xte, yte)
        out["tgt"] = _mse(_seeded(base, seed).fit(X[t], y[t]), Xte, yte)
        out["pool"] = _mse(_seeded(base, seed).fit(X, y), Xte, yte)
        r2 = TrAdaBoostRegressor(
            base, n_estimators=N_ROUNDS, early_stopping=False, random_state=seed
        )
        out["r2"] = _mse(r2.fit(X, y, domain=d), Xte, yte)
        r2.set_params(target_weight=None)  # the papers' uniform w^1
        out["r2_w1"] = _mse(r2.fit(X, y, domain=d), Xte, yte)
        two = TwoStageTrAdaBoostRegressor(
            base, n_steps=10, n_estimators=10, cv=5, random_state=seed
        )
        out["two"] = _mse(two.fit(X, y, domain=d), Xte, yte)
        if with_adapt:
            from adapt.instance_based import TrAdaBoostR2, TwoStageTrAdaBoostR2

            a = _fit_adapt(TrAdaBoostR2, base, X, y, d, seed)
            out["r2_adapt"] = _mse(a, Xte, yte)
            a2 = _fit_adapt(
                TwoStageTrAdaBoostR2,
                base,
                X,
                y,
                d,
                seed,
                n_estimators=10,
                n_estimators_fs=10,
                cv=5,
            )
            out["two_adapt"] = _mse(a2, Xte, yte)
    return out


def _regression(quick):
    seeds = range(3 if quick else 10)
    cases = REGRESSION_CASES[:1] if quick else REGRESSION_CASES
    outs = _run_tasks(
        _regression_seed,
        [(key, seed, have("adapt")) for _, key in cases for seed in seeds],
    )
    keys = REGRESSION_KEYS
    rows = []
    for i, (case, _key) in enumerate(cases):
        per_seed = outs[i * len(seeds) : (i + 1) * len(seeds)]
        res = {k: [o[k] for o in per_seed if k in o] for k in keys}
        m = {k: np.mean(v) if v else np.inf for k, v in res.items()}
        best = min(m, key=m.get)
        rows.append([case] + [_cell(res[k], k == best) for k in keys])
    header = [
        "problem",
        "source only",
        "target only",
        "pooled (one fit on all labeled rows)",
        "TrAdaBoostRegressor",
        "TrAdaBoostRegressor(target_weight=None)",
        "adapt TrAdaBoostR2",
        "TwoStageTrAdaBoostRegressor",
        "adapt TwoStageTrAdaBoostR2",
    ]
    note = (
        f"Target mean squared error, mean ± standard error over {len(seeds)} "
        f"seeds; base learner DecisionTreeRegressor(max_depth=4); TrAdaBoost.R2 "
        f"{N_ROUNDS} rounds (all of them: `early_stopping=False`); two-stage S = "
        f"10 steps, N = 10 learners, 5 folds "
        f"(adapt: n_estimators=10, n_estimators_fs=10, cv=5). "
        f"TrAdaBoostRegressor runs with its default `target_weight='balanced'`; "
        f"the `target_weight=None` column is the papers' uniform initial "
        f"weights. Bold: the lowest mean error in the row.\n\n"
    )
    return note + markdown_table(header, rows)


# --------------------------------------------------------------------------
# behaviours of adapt we avoid


def _peer_behaviour():
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    from instransfer import TrAdaBoostClassifier, TwoStageTrAdaBoostRegressor

    X, y, d, Xte, yte = hidden_shift_classification(
        n_target_labeled=100, random_state=0
    )
    ours = TrAdaBoostClassifier(
        DecisionTreeClassifier(), n_estimators=20, random_state=0, **PAPER
    ).fit(X, y, domain=d)
    lines = [
        f"- Fully grown tree, ours: target error 0 in round 1, so boosting stops "
        f"there ({len(ours.estimators_)} learner, vote weight "
        f"{ours.estimator_weights_[0]:.2f} = ln(1 + 2 n_t); documented). "
        f"Target test error {_err(ours, Xte, yte):.3f}."
    ]
    Xr, yr, dr, Xrt, yrt = friedman_drift_regression(
        n_target_labeled=50, random_state=0
    )
    two = TwoStageTrAdaBoostRegressor(
        DecisionTreeRegressor(max_depth=4), n_steps=1, n_estimators=10, random_state=0
    )
    two.fit(Xr, yr, domain=dr)
    lines.append(
        f"- TwoStageTrAdaBoostRegressor(n_steps=1): fits, target MSE "
        f"{_mse(two, Xrt, yrt):.2f}; n_estimators=1 fits too."
    )
    if not have("adapt"):
        return "\n".join(lines + ["- adapt not installed: its rows skipped."])
    from adapt.instance_based import TrAdaBoost, TwoStageTrAdaBoostR2

    s, t = d == 0, d == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = TrAdaBoost(
            DecisionTreeClassifier(),
            n_estimators=20,
            Xt=X[t],
            yt=y[t],
            verbose=0,
            random_state=0,
        ).fit(X[s], y[s])
    w0, w_end = a.sample_weights_src_[0], a.sample_weights_src_[-1]
    moved = float(np.max(np.abs(w_end / w0.sum() - w0 / w0.sum())))
    lines.append(
        f"- Fully grown tree, adapt TrAdaBoost: {len(a.estimators_)} rounds, "
        f"errors {np.round(a.estimator_errors_[:3], 3).tolist()}..., largest change "
        f"of a normalised source weight from round 1 to the last: {moved:.1e} "
        f"(frozen). Target test error {_err(a, Xte, yte):.3f}."
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            TwoStageTrAdaBoostR2(
                DecisionTreeRegressor(max_depth=4),
                n_estimators=1,
                Xt=Xr[dr == 1],
                yt=yr[dr == 1],
                verbose=0,
                random_state=0,
            ).fit(Xr[dr == 0], yr[dr == 0])
        lines.append("- adapt TwoStageTrAdaBoostR2(n_estimators=1): fitted.")
    except ZeroDivisionError as exc:
        lines.append(
            f"- adapt TwoStageTrAdaBoostR2(n_estimators=1): ZeroDivisionError ({exc})."
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------
# overhead of the boosting loop beyond the base learner


_BASE_TIME = [0.0]


def _timed(cls):
    class Timed(cls):
        def fit(self, X, y, sample_weight=None):
            t0 = time.perf_counter()
            out = super().fit(X, y, sample_weight=sample_weight)
            _BASE_TIME[0] += time.perf_counter() - t0
            return out

        def predict(self, X, check_input=True):
            t0 = time.perf_counter()
            out = super().predict(X, check_input=check_input)
            _BASE_TIME[0] += time.perf_counter() - t0
            return out

    Timed.__name__ = Timed.__qualname__ = f"Timed{cls.__name__}"
    globals()[Timed.__name__] = Timed  # picklable / clonable by name
    return Timed


def _overhead(quick):
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    from instransfer import TrAdaBoostClassifier, TrAdaBoostRegressor

    n_source = 20_000 if quick else 100_000
    rng = np.random.RandomState(0)
    n_t = n_source // 50
    X = rng.normal(size=(n_source + n_t, 10))
    d = np.r_[np.zeros(n_source, int), np.ones(n_t, int)]
    logit = X[:, 0] + X[:, 1] - np.where(d == 1, 0.5 * X[:, 2], 0.0)
    y_c = (rng.uniform(size=len(X)) < 1 / (1 + np.exp(-2 * logit))).astype(int)
    y_r = logit + 0.3 * rng.normal(size=len(X))
    rows = []
    for name, est, y in [
        (
            "TrAdaBoostClassifier",
            TrAdaBoostClassifier(
                _timed(DecisionTreeClassifier)(max_depth=3),
                n_estimators=20,
                random_state=0,
                **PAPER,
            ),
            y_c,
        ),
        (
            "TrAdaBoostRegressor",
            TrAdaBoostRegressor(
                _timed(DecisionTreeRegressor)(max_depth=3),
                n_estimators=20,
                early_stopping=False,
                random_state=0,
            ),
            y_r,
        ),
    ]:
        _BASE_TIME[0] = 0.0
        t0 = time.perf_counter()
        est.fit(X, y, domain=d)
        total = time.perf_counter() - t0
        base = _BASE_TIME[0]
        rows.append(
            [
                name,
                f"{n_source:,}",
                len(est.estimators_),
                f"{total:.2f} s",
                f"{base:.2f} s",
                f"{(total - base) / total:.1%}",
            ]
        )
    header = [
        "estimator",
        "source rows",
        "rounds",
        "fit total",
        "inside base fit + predict",
        "overhead",
    ]
    note = (
        "Base learner DecisionTree(max_depth=3), 10 features, 2 % target "
        "rows; the base learner's fit and predict are timed from inside "
        "(a subclass), the rest is validation and the boosting updates.\n\n"
    )
    return note + markdown_table(header, rows)


def run(quick=False):
    with pinned():
        sections = [
            (
                "Classification: TrAdaBoost vs baselines and adapt",
                _classification(quick),
            ),
            (
                "Regression: TrAdaBoost.R2 and two-stage vs baselines and adapt",
                _regression(quick),
            ),
            (
                "Where adapt's edge with trees comes from",
                _adapt_factors(quick),
            ),
            ("adapt behaviours we avoid", _peer_behaviour()),
            ("Boosting overhead beyond the base learner", _overhead(quick)),
        ]
    return write_results("tradaboost", "TrAdaBoost family", sections, quick)
