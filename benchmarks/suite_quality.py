"""Quality: ratio NMSE on known ratios, and target performance on shifted
real cohorts, for every method of every library.

Part 1 uses ``make_covariate_shift`` (exact ``true_ratio``). Part 2 uses the
packaged clinical cohorts split by age (``make_age_shift``, exact oracle
ratio) and compares, on the target rows, a model fit on the source rows:
unweighted, oracle-weighted, weighted by each method's defaults, and with
``flatten`` chosen by IWCV (``ImportanceWeightedClassifierCV`` /
``RegressorCV``). Methods that have not landed yet are listed as not
available, so the suite picks them up when they do.
"""

import math
import statistics
import time

import numpy as np

from benchmarks._harness import (
    fmt_mean_se,
    fmt_time,
    have_peer,
    import_peer,
    is_smoke,
    markdown_table,
    mean_se,
    nmse,
    pinned,
    quiet,
    skada_domain,
    wants_part,
    write_results,
)

NAME = "quality"
VERDICTS = ("**helps**", "**hurts**", "no difference", "–")

MEASURED = {
    "ratio": """\
The known-ratio generator `make_covariate_shift` (exact `true_ratio`): ratio
NMSE of every method of every installed library, and the target performance
of a model weighted by each (a positive control where weighting should help).
The shifted real cohorts are in `quality_cohorts.md` (classification) and
`quality_cohorts_regression.md`.
""",
    "cohorts": """\
Packaged clinical cohorts split by age (`make_age_shift`, exact oracle
ratio). A model is fit on the source rows and evaluated on the target rows:
unweighted, oracle-weighted, weighted by each method with its defaults, and
(ours) with `flatten` chosen by IWCV (`ImportanceWeightedClassifierCV` /
`ImportanceWeightedRegressorCV`). Classification cohorts are in
`quality_cohorts.md`, regression cohorts in `quality_cohorts_regression.md`,
the known-ratio results in `quality.md`.
""",
}

# Our weighters: key -> (public name, kwargs beyond random_state).
OURS = {
    "ours_clf": ("ClassifierWeighter", {}),
    "ours_nn": ("NearestNeighborWeighter", {}),
    "ours_ulsif": ("ULSIF", {}),
    "ours_ulsifcv": ("ULSIFCV", {}),
    "ours_rulsif": ("RULSIF", {}),
    "ours_rulsifcv": ("RULSIFCV", {}),
    "ours_kliep": ("KLIEP", {}),
    "ours_kliepcv": ("KLIEPCV", {}),
    "ours_kmm": ("KMM", {}),
}
# The cheap subset the smoke test runs.
SMOKE_OURS = ("ours_clf", "ours_nn", "ours_ulsif")
# Ours with flatten chosen by IWCV (the CV variants stand for their family).
IWCV_OURS = (
    "ours_clf",
    "ours_nn",
    "ours_ulsifcv",
    "ours_rulsifcv",
    "ours_kliepcv",
    "ours_kmm",
)

NMSE_NOTE = """\
Source N(0, I), target N(0.5, 0.8² I). NMSE after scaling both to mean 1 over
the source rows, mean((ŵ−w)²)/mean(w²); RuLSIF methods are compared with the
true *relative* ratio w/(αw + 1 − α) at their own α. Every library with its
defaults (skada's KLIEP has no default kernel width: a 3-point grid around
1/d). Fit times are medians over all draws, measured on a shared machine.
"""

CONTROL_NOTE = """\
The generator's label depends non-linearly on x₀, so a logistic model is
misspecified and importance weighting has something to correct: here the
oracle weights should help, and a good estimate should help too. Same draws
and same weights as the NMSE table; the model and the evaluation are those of
the cohort tables (`quality_cohorts.md`).
"""

COHORT_NOTE = """\
Each cohort is split by age with `make_age_shift(strength={strength})` (target
older; at most {cap} rows per domain), {n_seeds} seeds. Covariates: the
cohort's numeric encoding, median-imputed and standardised on all rows. Model:
`LogisticRegression(max_iter=1000)` (classification) or `Ridge()`
(regression), fit on the source rows with the weights rescaled to mean 1 (so
the libraries' different scales do not matter here), evaluated on the target
rows. Differences are paired by seed; *helps* / *hurts*: |mean Δ| > 2 s.e.
IWCV: `ImportanceWeightedClassifierCV` / `RegressorCV` with their defaults
around our weighter (a CV weighter is fixed at the hyper-parameters it chose
on all rows, so each fold refits one model). These models already represent
the outcome's (roughly linear) dependence on age, so even the oracle ratio
is not expected to help much: the question is which methods do no harm.
"""


class Method:
    """A ratio estimator of any library, called on the stacked data.

    ``fit(D)`` returns the raw weights of the source rows (the library's own
    scale); ``alpha`` is set for relative-ratio methods (RuLSIF), whose target
    is ``w / (alpha w + 1 - alpha)``.
    """

    def __init__(self, key, label, lib, fit, alpha=None, make=None):
        self.key, self.label, self.lib = key, label, lib
        self.fit, self.alpha, self.make = fit, alpha, make
        self.fitted = None  # ours: the estimator of the last fit


def _ours(keys):
    import instransfer as it

    out, missing = [], []
    for key in keys:
        name, kwargs = OURS[key]
        try:
            cls = getattr(it, name)
        except (ImportError, AttributeError):
            missing.append(name)
            continue

        def make(cls=cls, kwargs=kwargs, seed=0):
            est = cls(**kwargs)
            if "random_state" in est.get_params():
                est.set_params(random_state=seed)
            return est

        alpha = make().get_params().get("alpha")
        method = Method(key, f"{name}()", "ours", None, alpha=alpha, make=make)

        def fit(D, make=make, method=method):
            est = make(seed=D.seed).fit(D.X, D.domain)
            method.fitted = est  # reused by IWCV on the same split
            return est.weights_

        method.fit = fit
        out.append(method)
    return out, missing


def _adapt():
    ai = import_peer("adapt.instance_based")

    def call(cls, **kw):
        def fit(D):
            with quiet():
                model = cls(verbose=0, random_state=D.seed, **kw)
                return model.fit_weights(D.Xs, D.Xt)

        return fit

    return [
        Method("adapt_kmm", "KMM()", "adapt", call(ai.KMM)),
        Method("adapt_kliep", "KLIEP()", "adapt", call(ai.KLIEP)),
        Method("adapt_ulsif", "ULSIF()", "adapt", call(ai.ULSIF)),
        Method("adapt_rulsif", "RULSIF() (α=0.1)", "adapt", call(ai.RULSIF), 0.1),
        Method(
            "adapt_nnw",
            "NearestNeighborsWeighting()",
            "adapt",
            call(ai.NearestNeighborsWeighting),
        ),
        Method("adapt_iwc", "IWC()", "adapt", call(ai.IWC)),
        Method("adapt_ldm", "LDM()", "adapt", call(ai.LDM)),
    ]


def _skada():
    skada = import_peer("skada")

    def call(make):
        def fit(D):
            with quiet():
                a = make(D).fit(D.X, None, sample_domain=D.sd)
                w = a.compute_weights(D.X, None, sample_domain=D.sd)
            return w[D.domain == 0]

        return fit

    d = lambda D: D.X.shape[1]  # noqa: E731
    return [
        Method(
            "skada_disc",
            "DiscriminatorReweightAdapter()",
            "skada",
            call(lambda D: skada.DiscriminatorReweightAdapter()),
        ),
        Method(
            "skada_nn",
            "NearestNeighborReweightAdapter()",
            "skada",
            call(lambda D: skada.NearestNeighborReweightAdapter()),
        ),
        Method(
            "skada_kliep",
            "KLIEPReweightAdapter(gamma=[0.1, 1, 10]/d)",
            "skada",
            call(
                lambda D: skada.KLIEPReweightAdapter(
                    gamma=[0.1 / d(D), 1 / d(D), 10 / d(D)], random_state=D.seed
                )
            ),
        ),
        Method(
            "skada_kmm",
            "KMMReweightAdapter()",
            "skada",
            call(lambda D: skada.KMMReweightAdapter()),
        ),
        Method(
            "skada_gauss",
            "GaussianReweightAdapter()",
            "skada",
            call(lambda D: skada.GaussianReweightAdapter()),
        ),
        Method(
            "skada_kde",
            "DensityReweightAdapter() (KDE)",
            "skada",
            call(lambda D: skada.DensityReweightAdapter()),
        ),
    ]


def _densratio():
    dr = import_peer("densratio")

    def call(method):
        def fit(D):
            # densratio draws its centres from numpy's global RNG, unseeded
            with quiet():
                res = dr.densratio(D.Xt, D.Xs, method=method, verbose=False)
                return res.compute_density_ratio(D.Xs)

        return fit

    return [
        Method(
            "densratio_ulsif", "densratio(method='uLSIF')", "densratio", call("uLSIF")
        ),
        Method(
            "densratio_rulsif",
            "densratio(method='RuLSIF') (α=0.1)",
            "densratio",
            call("RuLSIF"),
            0.1,
        ),
        Method(
            "densratio_kliep", "densratio(method='KLIEP')", "densratio", call("KLIEP")
        ),
    ]


def all_methods(smoke=False):
    """Every method of every installed (and enabled) library; and the names of
    ours that are not available yet."""
    methods, missing = _ours(SMOKE_OURS if smoke else OURS)
    if have_peer("adapt"):
        methods += _adapt()
    if have_peer("skada"):
        methods += _skada()
    if have_peer("densratio"):
        methods += _densratio()
    return methods, missing


def _target_ratio(method, ratio):
    """What ``method`` estimates: the ratio, or RuLSIF's relative ratio."""
    if method.alpha:
        return ratio / (method.alpha * ratio + 1 - method.alpha)
    return ratio


def _run_method(method, D):
    """Raw weights (or None when the method failed), and seconds."""
    t0 = time.perf_counter()
    try:
        with pinned():
            w = np.asarray(method.fit(D), dtype=float).ravel()
    except Exception as exc:  # a peer failing on a draw is a result, not a crash
        print(f"    {method.lib} {method.label} failed: {exc!r:.120}", flush=True)
        return None, time.perf_counter() - t0
    seconds = time.perf_counter() - t0
    if w.shape[0] != D.Xs.shape[0] or not np.isfinite(w).all() or w.mean() <= 0:
        return None, seconds
    return w, seconds


# --------------------------------------------------------------------------
# one split, every condition


def _model(task):
    from sklearn.linear_model import LogisticRegression, Ridge

    return LogisticRegression(max_iter=1000) if task == "classification" else Ridge()


def _evaluate(model, D):
    src = D.domain == 0
    Xt, yt = D.X[~src], D.y[~src]
    if D.task == "classification":
        from sklearn.metrics import log_loss

        p = model.predict_proba(Xt)
        return {
            "logloss": float(log_loss(yt, p, labels=model.classes_)),
            "acc": float(np.mean(model.classes_[p.argmax(1)] == yt)),
        }
    return {"rmse": float(np.sqrt(np.mean((model.predict(Xt) - yt) ** 2)))}


def _fit_weighted(D, w):
    src = D.domain == 0
    model = _model(D.task)
    with pinned():
        if w is None:
            model.fit(D.Xs, D.y[src])
        else:
            model.fit(D.Xs, D.y[src], sample_weight=w / w.mean())
    return model


def _ess(w):
    """Kish's effective sample size as a share of the rows."""
    return float(w.sum() ** 2 / (w**2).sum() / w.shape[0])


def _frozen(method, fitted, seed):
    """The weighter IWCV refits in each fold: for a CV weighter, its non-CV
    class at the hyper-parameters it chose on all rows (each fold then fits one
    model, not a grid); otherwise the method's defaults."""
    import instransfer as it

    name = type(fitted).__name__
    if not name.endswith("CV"):
        return method.make(seed=seed)
    base = getattr(it, name[:-2])()
    names = base.get_params()
    params = {p: v for p, v in fitted.get_params().items() if p in names}
    params.update(
        {p: getattr(fitted, p + "_") for p in names if hasattr(fitted, p + "_")}
    )
    return base.set_params(**params)


def _iwcv(D, weighter):
    import instransfer as it

    src = D.domain == 0
    if D.task == "classification":
        cls = it.ImportanceWeightedClassifierCV
        y = np.where(src, D.y, -1).astype(int)
    else:
        cls = it.ImportanceWeightedRegressorCV
        y = np.where(src, D.y, np.nan)
    model = cls(_model(D.task), weighter, random_state=D.seed)
    with pinned(), quiet():
        model.fit(D.X, y)
    return model.estimator_, float(model.flatten_)


def _have_iwcv():
    import instransfer as it

    try:
        it.ImportanceWeightedClassifierCV  # noqa: B018
        it.ImportanceWeightedRegressorCV  # noqa: B018
    except (ImportError, AttributeError):
        return False
    return True


def _conditions(D, methods, iwcv_keys):
    """Every condition on one split: ``{key: record}``; records hold the
    target metrics, ``ess``, ``nmse`` (vs the true ratio), ``flatten`` (IWCV)
    or ``failed``."""
    recs = {
        "unweighted": {**_evaluate(_fit_weighted(D, None), D), "ess": 1.0},
        "oracle": {**_evaluate(_fit_weighted(D, D.ratio), D), "ess": _ess(D.ratio)},
    }
    for m in methods:
        w, seconds = _run_method(m, D)
        if w is None:
            recs[m.key] = {"failed": True, "seconds": seconds}
            continue
        recs[m.key] = {
            **_evaluate(_fit_weighted(D, w), D),
            "ess": _ess(w),
            "nmse": nmse(w, _target_ratio(m, D.ratio)),
            "seconds": seconds,
        }
        if m.key in iwcv_keys:
            try:
                est, lam = _iwcv(D, _frozen(m, m.fitted, D.seed))
                recs[m.key + "+iwcv"] = {**_evaluate(est, D), "flatten": lam}
            except Exception as exc:
                print(f"    IWCV {m.label} failed: {exc!r:.120}", flush=True)
                recs[m.key + "+iwcv"] = {"failed": True}
    return recs


def _collect(splits, methods, iwcv_keys, tag):
    per = {}
    for D in splits:
        for key, rec in _conditions(D, methods, iwcv_keys).items():
            per.setdefault(key, []).append(rec)
        print(f"  {tag} seed={D.seed} done", flush=True)
    return per


# --------------------------------------------------------------------------
# data


def _synthetic(n, d, seed):
    from sklearn.utils import Bunch

    from instransfer.datasets import make_covariate_shift

    data = make_covariate_shift(n, n, d, random_state=seed)
    src = data.domain == 0
    return Bunch(
        X=data.X,
        domain=data.domain,
        Xs=data.X[src],
        Xt=data.X[~src],
        sd=skada_domain(data.domain),
        y=data.y,
        ratio=data.true_ratio[src],
        task="classification",
        seed=seed,
    )


def _cohort_split(cohort, seed, strength, cap):
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler
    from sklearn.utils import Bunch

    from instransfer.datasets import make_age_shift

    sh = make_age_shift(cohort, strength=strength, random_state=seed)
    n_s, n_t = int((sh.domain == 0).sum()), int((sh.domain == 1).sum())
    if n_s > cap or n_t > cap:
        sh = make_age_shift(
            cohort,
            strength=strength,
            n_source=min(n_s, cap),
            n_target=min(n_t, cap),
            random_state=seed,
        )
    Xn = np.asarray(sh.X_numeric if sh.get("X_numeric") is not None else sh.X, float)
    # Unsupervised preprocessing on all rows (target covariates are available
    # to every method); every library gets the same numeric matrix.
    Z = SimpleImputer(strategy="median").fit_transform(Xn)
    Z = StandardScaler().fit_transform(Z)
    src = sh.domain == 0
    return Bunch(
        X=Z,
        domain=np.asarray(sh.domain),
        Xs=Z[src],
        Xt=Z[~src],
        sd=skada_domain(sh.domain),
        y=np.asarray(sh.y),
        ratio=np.asarray(sh.true_ratio)[src],
        task=sh.task,
        seed=seed,
    )


# --------------------------------------------------------------------------
# tables


def _label(key, labels):
    label = labels.get(key.removesuffix("+iwcv"), key)
    return label + " + flatten by IWCV" if key.endswith("+iwcv") else label


def _nmse_table(per_setting, methods, settings):
    rows = []
    for m in methods:
        row = [m.lib, m.label]
        for s in settings:
            recs = per_setting[s][m.key]
            vals = [r.get("nmse", math.nan) for r in recs]
            failed = sum(bool(r.get("failed")) for r in recs)
            row.append(fmt_mean_se(vals, 3) + (f" ({failed} failed)" if failed else ""))
        secs = [r["seconds"] for s in settings for r in per_setting[s][m.key]]
        row.append(fmt_time(statistics.median(secs)))
        rows.append(row)
    header = ["library", "method (defaults)"]
    header += [f"NMSE, n_s = n_t = {n}, d={d}" for n, d in settings]
    header += ["median fit time"]
    return markdown_table(header, rows)


def _paired(per, key, metric):
    return [
        r[metric] - b[metric]
        for r, b in zip(per[key], per["unweighted"], strict=True)
        if not r.get("failed")
    ]


def _verdict(diffs, lower_is_better=True):
    m, se = mean_se(diffs)
    if not math.isfinite(m):
        return "–"
    if not math.isfinite(se) or abs(m) <= 2 * se:
        return "no difference"
    better = m < 0 if lower_is_better else m > 0
    return "**helps**" if better else "**hurts**"


def _share(diffs, oracle):
    """Mean improvement as a share of the oracle's, when the oracle helps."""
    if _verdict(oracle) != "**helps**":
        return "–"
    return f"{100 * mean_se(diffs)[0] / mean_se(oracle)[0]:.0f} %"


def _outcome_table(task, per, labels):
    metric = "logloss" if task == "classification" else "rmse"
    oracle = _paired(per, "oracle", metric)
    rows = []
    for key, recs in per.items():
        ok = [r for r in recs if not r.get("failed")]
        failed = len(recs) - len(ok)
        row = [_label(key, labels), fmt_mean_se([r[metric] for r in ok], 3)]
        if key == "unweighted":
            row += ["(reference)", "", ""]
        else:
            diffs = _paired(per, key, metric)
            row += [
                fmt_mean_se(diffs, 3, signed=True),
                _verdict(diffs),
                _share(diffs, oracle),
            ]
        if task == "classification":
            if key == "unweighted":
                row.append(fmt_mean_se([r["acc"] for r in ok], 3))
            else:
                row.append(fmt_mean_se(_paired(per, key, "acc"), 3, signed=True))
        ess = [r["ess"] for r in ok if "ess" in r]
        row.append(f"{100 * statistics.fmean(ess):.0f} %" if ess else "")
        lam = [r["flatten"] for r in ok if "flatten" in r]
        row.append(fmt_mean_se(lam, 2) if lam else "")
        row.append(str(failed) if failed else "")
        rows.append(row)
    name = "log-loss" if task == "classification" else "RMSE"
    header = [
        "weights",
        f"target {name}",
        f"Δ {name} vs unweighted (paired)",
        "verdict",
        "share of the oracle's gain",
    ]
    if task == "classification":
        header.append("target accuracy (Δ vs unweighted)")
    header += ["ESS / n_source", "flatten chosen", "failed seeds"]
    return markdown_table(header, rows)


def _summary(results, labels):
    counts = {}
    for task, per in results.values():
        metric = "logloss" if task == "classification" else "rmse"
        for key in per:
            if key == "unweighted":
                continue
            c = counts.setdefault(key, dict.fromkeys(VERDICTS, 0))
            c[_verdict(_paired(per, key, metric))] += 1
    rows = [
        [_label(key, labels), c["**helps**"], c["no difference"], c["**hurts**"]]
        for key, c in counts.items()
    ]
    header = ["weights", "helps", "no significant difference", "hurts"]
    return markdown_table(header, rows)


# --------------------------------------------------------------------------


def _config(quick):
    if is_smoke():
        return {
            "settings": [(150, 2)],
            "seeds": range(2),
            "cohorts": ["rossi"],
            "cohorts_regression": ["diabetes"],
            "c_seeds": range(2),
            "cap": 150,
        }
    if quick:
        return {
            "settings": [(300, 2), (300, 10)],
            "seeds": range(3),
            "cohorts": ["rossi", "gbsg2", "kidney", "actg175"],
            "cohorts_regression": ["diabetes"],
            "c_seeds": range(3),
            "cap": 300,
        }
    return {
        "settings": [(500, 2), (500, 10)],
        "seeds": range(10),
        "cohorts": ["rossi", "gbsg2", "actg175", "kidney"],
        "cohorts_regression": ["diabetes", "actg175_cd4"],
        "c_seeds": range(10),
        "cap": 400,
    }


def _preamble(part, missing, iwcv_keys):
    sections = [("What is measured", MEASURED[part])]
    if missing:
        sections.append(
            (
                "Not available yet",
                ", ".join(f"`{m}`" for m in missing)
                + ": not importable from `instransfer` yet; rerun the suite when "
                "they land.",
            )
        )
    if not iwcv_keys:
        sections.append(("IWCV", "`ImportanceWeighted*CV` not available yet."))
    return sections


def run_ratio(quick, methods, missing, iwcv_keys, labels):
    """Part ``ratio``: NMSE on known ratios and the positive control."""
    cfg = _config(quick)
    settings, seeds = cfg["settings"], cfg["seeds"]
    sections = _preamble("ratio", missing, iwcv_keys)
    per_setting = {}
    for n, d in settings:
        splits = (_synthetic(n, d, seed) for seed in seeds)
        keys = iwcv_keys if (n, d) == settings[0] else ()
        per_setting[n, d] = _collect(splits, methods, keys, f"ratio n={n} d={d}")
    sections.append(
        (
            f"Ratio NMSE on the known-ratio generator ({len(seeds)} seeds, "
            "mean ± s.e.)",
            NMSE_NOTE + "\n\n" + _nmse_table(per_setting, methods, settings),
        )
    )
    n0, d0 = settings[0]
    sections.append(
        (
            f"Positive control: target performance on the generator (n={n0}, "
            f"d={d0}, {len(seeds)} seeds)",
            CONTROL_NOTE
            + "\n\n"
            + _outcome_table("classification", per_setting[settings[0]], labels),
        )
    )
    return write_results(NAME, "Quality of the weights: known ratios", sections, quick)


def run_cohorts(quick, methods, missing, iwcv_keys, labels, part="cohorts"):
    """Parts ``cohorts`` (classification) and ``cohorts_regression``: target
    performance on age-shifted real cohorts, one file each."""
    cfg = _config(quick)
    cap, c_seeds, strength = cfg["cap"], cfg["c_seeds"], 1.5
    sections = _preamble("cohorts", missing, iwcv_keys)
    kind = "classification" if part == "cohorts" else "regression"
    title = f"Quality of the weights: shifted real cohorts, {kind}"
    name_out = f"{NAME}_{part}"
    try:
        from instransfer.datasets import load_cohort

        loaded = {name: load_cohort(name) for name in cfg[part]}
    except ImportError as exc:
        sections.append(("Shifted cohorts", f"Skipped: {exc}"))
        return write_results(name_out, title, sections, quick)
    sections.append(
        (
            "Set-up",
            COHORT_NOTE.format(strength=strength, cap=cap, n_seeds=len(c_seeds)),
        )
    )
    results = {}
    for name, cohort in loaded.items():
        splits = (_cohort_split(cohort, s, strength, cap) for s in c_seeds)
        per = _collect(splits, methods, iwcv_keys, f"cohort {name}")
        results[name] = (cohort.task, per)
        sections.append(
            (
                f"Cohort `{name}` ({cohort.task}: {cohort.target_name})",
                _outcome_table(cohort.task, per, labels),
            )
        )
    sections.insert(
        len(sections) - len(results),
        (
            "Summary over cohorts: does weighting help the target?",
            _summary(results, labels)
            + "\n\nNumber of cohorts per verdict (log-loss for classification, "
            "RMSE for regression; paired over seeds, |mean Δ| > 2 s.e.). Where "
            "even the oracle ratio hurts, no estimate can be expected to help: "
            "the useful property is to do no harm, which `flatten` chosen by "
            "IWCV gives. The positive control in `quality.md` (a misspecified "
            "model on the Gaussian generator) shows the same methods helping "
            "where weighting has something to correct.",
        ),
    )
    return write_results(name_out, title, sections, quick)


def run(quick):
    """Parts ``ratio`` (``quality.md``), ``cohorts`` (``quality_cohorts.md``,
    classification) and ``cohorts_regression``; run one with
    ``python -m benchmarks.run quality --part cohorts`` (each part of the full
    mode takes a few minutes)."""
    methods, missing = all_methods(is_smoke())
    iwcv_keys = ()
    if _have_iwcv():
        iwcv_keys = ("ours_nn",) if is_smoke() else IWCV_OURS
    labels = {m.key: f"{m.lib} {m.label}" for m in methods}
    labels.update(unweighted="unweighted", oracle="oracle (true ratio)")
    out = None
    if wants_part("ratio"):
        out = run_ratio(quick, methods, missing, iwcv_keys, labels)
    for part in ("cohorts", "cohorts_regression"):
        if wants_part(part):
            out = run_cohorts(quick, methods, missing, iwcv_keys, labels, part)
    return out
