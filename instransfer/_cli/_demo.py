"""``instransfer demo``: the whole story on a packaged clinical cohort.

A cohort is split by age into a younger source and an older target with a
known selection (:func:`instransfer.datasets.make_age_shift`), so the oracle
density ratio is known. The target labels are hidden from every fit and used
only to score: the demo shows what an analyst would see (balance, ESS) next
to what only the oracle knows (target performance, oracle weights).
"""

import sys

import numpy as np

from ..report._words import glossary_lines
from ._common import (
    CLIError,
    Progress,
    balance_legend,
    count_imbalanced,
    encoded_model,
    format_balance,
    format_summary,
    love_plot_size,
    make_output_dir,
    save_plots,
    shared_decimals,
)

DEFAULT_COHORT = "gbsg2"
FLATTENS = (0.0, 0.25, 0.5, 0.75, 1.0)
# defined at the end of the demo's output, once
DEMO_TERMS = (
    "diff",
    "ESS",
    "design effect",
    "flatten",
    "IW-CV",
    "paired standard error",
    "oracle-weighted",
    "shift test",
    "overlap",
)
# metric -> (short name, which way is better); the first loss drives the verdict
SCORING = {
    "classification": {
        "roc_auc": ("ROC AUC", "higher"),
        "log_loss": ("log loss", "lower"),
        "brier_score_loss": ("Brier score", "lower"),
    },
    "regression": {
        "r2": ("R²", "higher"),
        "root_mean_squared_error": ("RMSE", "lower"),
        "mean_absolute_error": ("MAE", "lower"),
    },
}


def add_parser(subparsers):
    p = subparsers.add_parser(
        "demo",
        help="weighting on a real cohort with an age shift, start to finish",
        description=(
            "Split a packaged clinical cohort into a younger source and an older "
            "target (known selection on age), weigh the source rows, and show the "
            "balance before/after, the effective sample size, and the target "
            "performance of a model fit unweighted, fully weighted, with the "
            "flattening chosen by importance-weighted CV, and with the oracle "
            "weights. Target labels are never used for fitting."
        ),
    )
    p.add_argument(
        "--cohort",
        default=DEFAULT_COHORT,
        metavar="NAME",
        help=f"packaged cohort to use (default {DEFAULT_COHORT}; see --list-cohorts)",
    )
    p.add_argument(
        "--list-cohorts",
        action="store_true",
        help="list the packaged cohorts and exit",
    )
    p.add_argument(
        "--strength",
        type=float,
        default=1.5,
        help="slope of the selection on standardised age (default 1.5; 0 = no shift)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument(
        "--bootstrap",
        type=int,
        default=1000,
        metavar="N",
        help="bootstrap resamples for the confidence intervals (default 1000)",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        help="folder to write the balance table, scores (CSV) and plots (PNG) to",
    )
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(run=run)
    return p


def _load(args):
    from ..datasets import list_cohorts, load_cohort, make_age_shift

    names = list(list_cohorts())
    if args.cohort not in names:
        raise CLIError(f"unknown cohort {args.cohort!r}; choose one of {names}.")
    if not np.isfinite(args.strength):
        raise CLIError(f"--strength must be a finite number; got {args.strength}.")
    if args.bootstrap < 0:
        raise CLIError(f"--bootstrap must be >= 0; got {args.bootstrap}.")
    try:
        cohort = load_cohort(args.cohort)
    except ImportError as exc:
        raise CLIError(str(exc), code=1) from None
    try:
        shifted = make_age_shift(cohort, strength=args.strength, random_state=args.seed)
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    return cohort, shifted


def _masked(y, domain, task):
    if task == "classification":
        return np.where(domain == 1, -1, y)
    return np.where(domain == 1, np.nan, y.astype(float))


def run(args, out=None):
    # The demo's fits are small (a few hundred rows): BLAS and OpenMP threads
    # cost more than they save, and on a loaded 2-core machine the demo ran
    # 3.5-5x slower with them. The caller's settings come back afterwards.
    from threadpoolctl import threadpool_limits

    from ._validity import reported_fit_warnings

    with threadpool_limits(limits=1), reported_fit_warnings():
        return _run(args, out)


def _say_validity(out, X, domain, weights, table, seed):
    """Shift test, overlap and residual imbalance in words (see _validity.py)."""
    from ._validity import validity_lines, wrapped

    print("\n   Is the answer valid on the target?", file=out)
    for line in validity_lines(X, domain, weights, table, seed=seed):
        print(wrapped(line, "   - "), file=out)


def _run(args, out=None):
    import instransfer as it

    from ..metrics import (
        balance_table,
        ess_by_flatten,
        evaluate,
        weight_summary,
    )

    out = out if out is not None else sys.stdout
    if args.list_cohorts:
        from ..datasets import list_cohorts

        for name, about in list_cohorts().items():
            print(f"{name:12s} {about}", file=out)
        return 0
    progress = Progress(args.quiet)
    out_dir = make_output_dir(args.out) if args.out else None
    cohort, sh = _load(args)
    task = sh.task
    X, domain = sh.X, sh.domain
    is_t = domain == 1
    Xs, Xt = X[~is_t], X[is_t]
    ys, yt = sh.y[~is_t], sh.y[is_t]
    age = sh.age

    def say(text="", indent=""):
        print(_wrap(text, indent=indent) if text else "", file=out)

    say(f"instransfer demo: cohort {cohort.name!r} ({task})")
    say(cohort.description)
    say()
    rate = "rate" if task == "classification" else "mean"
    say(
        f"Age shift (strength {args.strength:g}, seed {args.seed}): source "
        f"{len(Xs)} rows, mean age {Xs[age].mean():.1f}; target {len(Xt)} rows, "
        f"mean age {Xt[age].mean():.1f}. Outcome {cohort.target_name!r}: {rate} "
        f"{ys.mean():.3g} in the source, {yt.mean():.3g} in the target. The "
        "target labels are hidden from every fit and used only for scoring."
    )

    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression

    # the library's routing of sample_weight to the pipeline's final step
    from ..utils._routing import fit_weighted

    if task == "classification":
        model = encoded_model(X, LogisticRegression(max_iter=1000))
        weighted_cls = it.ImportanceWeightedClassifier
        cv_cls = it.ImportanceWeightedClassifierCV
        model_name, cv_loss = "logistic regression", "log loss"
    else:
        from sklearn.linear_model import RidgeCV

        model = encoded_model(X, RidgeCV(alphas=np.logspace(-3, 3, 13)))
        weighted_cls = it.ImportanceWeightedRegressor
        cv_cls = it.ImportanceWeightedRegressorCV
        model_name, cv_loss = "ridge regression", "MSE"
    weighter = it.ClassifierWeighter(
        encoded_model(X, LogisticRegression(max_iter=1000)), random_state=args.seed
    )

    progress.note("Running the demo:")
    with progress.step("1/4 weighting: logistic domain classifier, cross-fitted"):
        weighter.fit(X, domain)
    w_full = weighter.weights_
    table = balance_table(Xs, Xt, w_full)
    say()
    say(
        "1. Covariate balance, source vs target, before and after weighting. "
        "Weights from ClassifierWeighter: a logistic domain classifier on the "
        "one-hot encoded covariates, cross-fitted over 5 folds (each row's "
        "weight comes from a model that did not see it). " + balance_legend()
    )
    print(_indent(format_balance(table)), file=out)
    n_before, n_after = count_imbalanced(table)
    say(
        f"{n_before} of {len(table)} rows out of bounds before weighting, {n_after} "
        f"after; age: SMD {table.loc[age, 'diff_before']:+.2f} -> "
        f"{table.loc[age, 'diff_after']:+.2f}.",
        indent="   ",
    )

    # no library warning: its remedies are Python calls, and section 3 is the
    # demo's answer to a low effective sample size
    summary = weight_summary(w_full, min_ess_fraction=None)
    say()
    say("2. The weights (mean 1)")
    print(_indent(format_summary(summary)), file=out)
    if summary["ess_fraction"] < 0.1:
        say(
            "Under 10 % effective rows: a fully weighted fit rests on a few rows. "
            "Section 3 chooses how far to flatten the weights (w**flatten).",
            indent="   ",
        )

    _say_validity(out, X, domain, w_full, table, args.seed)

    y_fit = _masked(sh.y, domain, task)
    fitted = {}
    with progress.step(f"2/4 fitting {model_name}: unweighted, weighted, oracle"):
        fitted["unweighted"] = fit_weighted(clone(model), Xs, ys, None)
        fitted["weighted (flatten 1)"] = weighted_cls(
            clone(model), weighter, flatten=1.0
        ).fit(X, y_fit)
        w_oracle = sh.true_ratio[~is_t] / sh.true_ratio[~is_t].mean()
        oracle = fit_weighted(clone(model), Xs, ys, w_oracle)
    with progress.step(
        f"3/4 choosing flatten by importance-weighted CV ({len(FLATTENS)} "
        "flatten values, each scored on 10 folds repeated twice)"
    ):
        iwcv = cv_cls(
            clone(model), weighter, flattens=FLATTENS, random_state=args.seed
        ).fit(X, y_fit)
    fitted[f"IWCV-flattened (flatten {iwcv.flatten_:g})"] = iwcv
    fitted["oracle-weighted"] = oracle

    path = ess_by_flatten(w_full, iwcv.cv_results_["flatten"])
    say()
    say(
        f"3. How much to weight: {cv_cls.__name__} scores {model_name} fit with "
        "w**flatten for each flatten (the exponent of the weights: 0 = no "
        "weighting, 1 = the full ratio) by "
        f"{cv_loss} on held-out source rows weighted by the full ratio "
        "(importance-weighted cross-validation, IW-CV: its score estimates the "
        "target's), and picks "
        + (
            "the smallest flatten within one paired standard error of the best "
            "(the standard error of the difference of two flattens scored on "
            "the same folds)."
            if iwcv.selection == "paired_se"
            else f"by the {iwcv.selection!r} rule."
        )
    )
    print(_indent(_format_iwcv(iwcv, path, cv_loss)), file=out)

    labels = SCORING[task]
    with progress.step(
        f"4/4 scoring on the target rows ({args.bootstrap} bootstrap resamples)"
    ):
        scores = evaluate(
            fitted,
            Xt,
            yt,
            scoring=list(labels),
            baseline="unweighted",
            n_resamples=args.bootstrap,
            random_state=args.seed,
        )
    say()
    say(
        f"4. Target performance of {model_name} on the {len(Xt)} target rows, "
        f"95 % bootstrap intervals ({args.bootstrap} resamples); diff = the "
        "model's score minus the unweighted model's, on the same resampled rows "
        "(paired). oracle-weighted = fit with the true density ratio, known only "
        "because the demo draws the shift itself: what the estimated weights aim "
        "at."
    )
    print(_indent(_format_scores(scores, labels)), file=out)
    say()
    print(_verdict(scores, labels, iwcv.flatten_, summary["ess"], len(Xs)), file=out)
    from ._demo_valid import valid_on_target

    say()
    for text, is_table in valid_on_target(sh, model, weighter, args.seed, progress):
        print(text, file=out) if is_table else say(text)

    say()
    say("Glossary")
    from ._validity import wrapped

    for line in glossary_lines(DEMO_TERMS):
        print(wrapped(line, "  "), file=out)
    if out_dir is not None:
        _write_outputs(
            out_dir,
            table,
            summary,
            scores,
            path,
            w_full,
            weighter,
            X,
            domain,
            iwcv.flatten_,
            progress,
            out,
        )
    return 0


def _format_iwcv(iwcv, path, loss):
    res = iwcv.cv_results_
    best = int(np.argmax(res["mean_test_score"]))
    d = shared_decimals(-res["mean_test_score"], max_decimals=4)
    lines = [f"flatten     ESS   IW-CV {loss} (+- SE)"]
    for k, f in enumerate(res["flatten"]):
        mark = ""
        if k == iwcv.best_index_:
            mark = "  <- chosen"
        if k == best:
            mark += "  (best mean)" if k != iwcv.best_index_ else " (best mean)"
        lines.append(
            f"{f:7g}  {path['ess'].iloc[k]:6.0f}   {-res['mean_test_score'][k]:.{d}f} "
            f"+- {res['se_test_score'][k]:.{d}f}{mark}"
        )
    return "\n".join(lines)


def _wrap(text, width=88, indent=""):
    import textwrap

    return textwrap.fill(
        text, width=width, initial_indent=indent, subsequent_indent=indent
    )


def _indent(text, prefix="   "):
    return "\n".join(prefix + line for line in text.splitlines())


def _fmt(v):
    return "nan" if not np.isfinite(v) else f"{v:.3f}"


def _format_scores(scores, labels):
    import pandas as pd

    blocks = []
    models = list(dict.fromkeys(scores.index.get_level_values(0)))
    width = max(len(m) for m in models)
    for metric, (name, better) in labels.items():
        lines = [f"{name} ({better} is better)"]
        for m in models:
            r = scores.loc[(m, metric)]
            has_ci = not pd.isna(r["ci_low"])
            line = f"  {m:<{width}}  {_fmt(r['estimate'])}"
            if has_ci:
                line += f"  [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]"
            if m != "unweighted" and "diff" in r and not pd.isna(r["diff"]):
                line += f"   diff {r['diff']:+.3f}"
                if not pd.isna(r["diff_ci_low"]):
                    line += f" [{r['diff_ci_low']:+.3f}, {r['diff_ci_high']:+.3f}]"
            lines.append(line)
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def _verdict(scores, labels, flatten, ess, n_source):
    """What weighting did, judged by paired intervals on the first loss.

    The closing paragraph is built from the outcomes just printed: which of
    the weighted models beat the unweighted one, then what that suggests.
    """
    metric = [m for m in labels if labels[m][1] == "lower"][0]
    short = labels[metric][0]
    models = list(dict.fromkeys(scores.index.get_level_values(0)))
    lines, outcome = [], {}
    for m in models[1:]:
        r = scores.loc[(m, metric)]
        if not np.isfinite(r.get("diff_ci_low", np.nan)):
            continue
        if r["diff_ci_high"] < 0:
            outcome[m] = "better"
            word = "better than"
        elif r["diff_ci_low"] > 0:
            outcome[m] = "worse"
            word = "worse than"
        else:
            outcome[m] = "unclear"
            word = "not distinguishable from"
        lines.append(f"  {m}: {word} unweighted (diff {r['diff']:+.3g})")
    if not lines:
        return "No verdict without bootstrap intervals (--bootstrap > 0)."
    head = f"Verdict (paired 95 % intervals of the difference in {short}):"
    lesson = _lesson(outcome, short, flatten, ess, n_source)
    return head + "\n" + "\n".join(lines) + "\n" + _wrap(lesson)


def _names(models):
    if len(models) == 1:
        return models[0]
    return ", ".join(models[:-1]) + " and " + models[-1]


def _lesson(outcome, short, flatten, ess, n_source):
    """The closing paragraph, consistent with the verdict lines above it."""
    oracle = outcome.get("oracle-weighted", "unclear")
    estimated = [m for m in outcome if m != "oracle-weighted"]
    helped = [m for m in estimated if outcome[m] == "better"]
    hurt = [m for m in estimated if outcome[m] == "worse"]
    effective = f"{ess:.0f} effective rows out of {n_source} at the full ratio"
    chose = f"Importance-weighted CV chose flatten {flatten:g}" + (
        " (no weighting)." if flatten == 0 else "."
    )
    if oracle == "better":
        text = (
            f"The oracle weights lower the target {short}: weighting pays on this "
            f"split, despite the variance of {effective}. "
        )
        if helped:
            text += f"The estimated weights recover a gain too: {_names(helped)}. "
        else:
            text += (
                "The estimated weights do not recover a distinguishable gain"
                + (f" ({_names(hurt)} made it worse)" if hurt else "")
                + ": the error of the estimated ratio costs what the true ratio "
                "gains. "
            )
        return text + chose
    if helped:
        oracle_word = (
            "made it worse" if oracle == "worse" else "did not distinguishably help"
        )
        text = (
            f"Here {_names(helped)} lowered the target {short}, although the full "
            f"oracle weights {oracle_word}. "
        )
        if all(m.startswith("IWCV") for m in helped) and 0 < flatten < 1:
            text += (
                "Flattening the weights trades a little bias for much less "
                f"variance (the full ratio leaves {ess:.0f} effective rows out of "
                f"{n_source}): a partial correction can pay where the full one "
                "does not. "
            )
        return text + chose + " Check such a gain on other splits before relying on it."
    oracle_text = (
        f"The oracle weights make the target {short} worse"
        if oracle == "worse"
        else f"Even the oracle weights do not improve the target {short}"
    )
    text = (
        f"{oracle_text}, and no estimated weights improve it"
        + (f"; {_names(hurt)} made it worse" if hurt else "")
        + ". With a model that already represents how the outcome depends on the "
        "shifted covariates, weighting corrects little bias and costs variance "
        f"(here {effective}). This is common on real cohorts. "
    )
    return text + chose + " Measure before you weight."


def _write_outputs(
    out_dir,
    table,
    summary,
    scores,
    path,
    w_full,
    weighter,
    X,
    domain,
    chosen,
    progress,
    out,
):
    from ..plotting import (
        love_plot,
        plot_domain_overlap,
        plot_ess_flatten,
        plot_weight_distribution,
    )

    table.to_csv(out_dir / "balance.csv")
    summary.to_frame("value").to_csv(out_dir / "weight_summary.csv")
    scores.to_csv(out_dir / "target_scores.csv")
    path.to_csv(out_dir / "ess_by_flatten.csv", index=False)
    plots = [
        (
            "love_plot.png",
            lambda ax: love_plot(table, ax=ax),
            love_plot_size(len(table)),
        ),
        ("weights.png", lambda ax: plot_weight_distribution(w_full, ax=ax), (6.4, 4)),
        (
            "overlap.png",
            lambda ax: plot_domain_overlap(weighter, X, domain, weights=w_full, ax=ax),
            (6.4, 4),
        ),
        (
            "ess_flatten.png",
            lambda ax: plot_ess_flatten(w_full, chosen=chosen, ax=ax),
            (6.4, 4),
        ),
    ]
    with progress.step("drawing plots"):
        written = save_plots(out_dir, plots, progress)
    from ..report import write_report

    if not written:  # no matplotlib: save_plots said so, and the page needs it
        names = ["balance.csv", "weight_summary.csv", "target_scores.csv"]
        print(
            f"\nWritten to {out_dir}: {', '.join(names)}, ess_by_flatten.csv", file=out
        )
        return
    with progress.step("writing report.html"):
        write_report(
            out_dir / "report.html",
            X,
            domain,
            w_full,
            performance=scores,
            performance_note=(
                "Measured on the target rows' labels (hidden from every fit, "
                "revealed by the demo), 95 % bootstrap intervals."
            ),
            question="Do the source patients, weighted, stand for the target "
            "patients, and does weighting improve the model on the target?",
            random_state=0,
        )
    names = [
        "balance.csv",
        "weight_summary.csv",
        "target_scores.csv",
        "ess_by_flatten.csv",
    ] + [p.name for p in written]
    names.append("report.html (one page, opens offline)")
    print(f"\nWritten to {out_dir}: {', '.join(names)}", file=out)
