"""Valid on the target: weighted conformal coverage, target-risk intervals, calibration.

Every problem has a known density ratio (``make_covariate_shift``: source
``N(0, I)``, target ``N(shift, scale² I)``) and a known outcome law, so the
truth is known:

- **conformal**: the share of *target* outcomes inside the intervals (sets)
  of :class:`WeightedConformalRegressor` (``Classifier``) at ``alpha = 0.1``,
  with the oracle ratio, an estimated ratio (a domain classifier on quadratic
  features, well specified for two Gaussians) and equal weights (plain split
  conformal); the Monte-Carlo standard error is over repetitions (each with
  fresh source, calibration and target rows); width and share of infinite
  intervals against the calibration weights' effective sample size; and
  MAPIE's split conformal side by side at equal weights;
- **target performance**: coverage of the true target risk of fixed models by
  the 95 % intervals of :func:`instransfer.metrics.target_performance`, and
  the bias of the doubly robust estimate when either the weights or the loss
  model is wrong;
- **calibration**: target ECE and Brier score of a logistic model calibrated
  on source rows, unweighted vs importance-weighted.

Verdicts are computed from the numbers in the tables.
"""

import math
import time
import warnings

import numpy as np

from benchmarks._harness import (
    fmt_mean_se,
    have_peer,
    is_smoke,
    markdown_table,
    mean_se,
    pinned,
    wants_part,
    write_results,
)

ALPHA = 0.1


def _oracle_weighter(shift, scale):
    from instransfer.base import BaseWeighter
    from instransfer.datasets import gaussian_log_ratio

    class OracleWeighter(BaseWeighter):
        def __init__(self, *, flatten=1.0, clip=None, clip_quantile=None):
            self.flatten, self.clip, self.clip_quantile = flatten, clip, clip_quantile

        def _fit_log_ratio(self, X_source, X_target):
            return self._log_ratio(X_source)

        def _log_ratio(self, X):
            return gaussian_log_ratio(X, shift, scale)

    return OracleWeighter()


def _quadratic_weighter(seed):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    import instransfer as it

    return it.ClassifierWeighter(
        make_pipeline(PolynomialFeatures(2), StandardScaler(), LogisticRegression()),
        random_state=seed,
    )


class _Holder:
    """A fitted weighter behind a non-estimator, so ``clone`` copies it as is."""

    def __init__(self, fitted):
        self.fitted = fitted

    def __deepcopy__(self, memo):
        return self  # read-only: no copy needed


def _frozen(fitted):
    """A weighter that reuses an already fitted one (fit once per repetition,
    shared by every method that uses the same estimated ratio)."""
    from instransfer.base import BaseWeighter

    class FrozenWeighter(BaseWeighter):
        def __init__(self, holder=None, *, flatten=1.0, clip=None, clip_quantile=None):
            self.holder = holder
            self.flatten, self.clip, self.clip_quantile = flatten, clip, clip_quantile

        def _fit_log_ratio(self, X_source, X_target):
            return self._log_ratio(X_source)

        def _log_ratio(self, X):
            return np.log(self.holder.fitted.predict_ratio(X))

    return FrozenWeighter(_Holder(fitted))


def _estimated_ratio(data, seed):
    """Cross-fitted estimated weights of the source rows, one per row of X
    (what ``target_performance(weighter=...)`` uses), fit once and shared."""
    fitted = _quadratic_weighter(seed).fit(data.X, data.domain)
    w = np.ones(data.X.shape[0])
    w[data.domain == 0] = fitted.weights_
    return w


def _ess(w):
    return float(w.sum() ** 2 / (w**2).sum())


def _reps(quick, full):
    if is_smoke():
        return 2
    return max(20, full // 5) if quick else full


def _fmt_cov(values, target=1 - ALPHA):
    m, se = mean_se(values)
    return f"{m:.3f} ± {se:.3f}", m, se


def _verdict(m, se, nominal):
    if not math.isfinite(se):
        return "–"
    if m >= nominal - 2 * se:
        return "valid (≥ nominal − 2 SE)"
    if m < nominal - 3 * se:
        return "**under-covers** (< nominal − 3 SE)"
    return "borderline"


# --------------------------------------------------------------------------
# conformal coverage


def _regression_coverage(quick):
    from sklearn.linear_model import LinearRegression

    import instransfer as it
    from instransfer.conformal import WeightedConformalRegressor
    from instransfer.datasets import make_covariate_shift

    shift, scale, n = -1.5, 0.5, (60 if is_smoke() else 300)
    reps = _reps(quick, 500)
    methods = {
        "plain split conformal (flatten=0)": lambda s: dict(flatten=0),
        "weighted, oracle ratio": lambda s: dict(
            weighter=_oracle_weighter(shift, scale)
        ),
        "weighted, estimated ratio": lambda s: dict(weighter=_frozen(fitted)),
        "weighted, default weighter (spline logit)": lambda s: dict(),
        "weighted, ClassifierWeighter() (linear logit, the default before)": (
            lambda s: dict(weighter=it.ClassifierWeighter(random_state=s))
        ),
    }
    out = {m: dict(cov=[], width=[], inf=[], ess=[]) for m in methods}
    t0 = time.perf_counter()
    for seed in range(reps):
        data = make_covariate_shift(
            n,
            n,
            1,
            shift=shift,
            target_scale=scale,
            noise=0.1,
            task="regression",
            random_state=seed,
        )
        y_masked = np.where(data.domain == 1, np.nan, data.y)
        t = data.domain == 1
        fitted = _quadratic_weighter(seed).fit(data.X, data.domain)
        for name, kw in methods.items():
            cp = WeightedConformalRegressor(
                LinearRegression(), random_state=seed, **kw(seed)
            ).fit(data.X, y_masked)
            iv = cp.predict_interval(data.X[t], ALPHA)
            finite = np.isfinite(iv[:, 1])
            out[name]["cov"].append(
                np.mean((data.y[t] >= iv[:, 0]) & (data.y[t] <= iv[:, 1]))
            )
            out[name]["width"].append(
                np.median(iv[finite, 1] - iv[finite, 0]) if finite.any() else np.nan
            )
            out[name]["inf"].append(1 - finite.mean())
            out[name]["ess"].append(_ess(cp.calibration_weights_))
    rows, verdicts = [], {}
    for name, r in out.items():
        cov, m, se = _fmt_cov(r["cov"])
        verdicts[name] = _verdict(m, se, 1 - ALPHA)
        rows.append(
            [
                name,
                cov,
                verdicts[name],
                fmt_mean_se(r["width"]),
                f"{100 * np.mean(r['inf']):.2f} %",
                f"{np.mean(r['ess']):.0f} of {len(cp.calibration_weights_)}",
            ]
        )
    table = markdown_table(
        [
            "method",
            "target coverage",
            "verdict",
            "median width",
            "infinite",
            "calibration ESS",
        ],
        rows,
    )
    text = (
        f"One feature, source N(0, 1), target N({shift}, {scale}²), outcome "
        f"sin(πx)/(πx) + 0.3x + N(0, 0.1²), a straight line fit on 70 % of {n} "
        f"labeled source rows, the other 30 % calibrate; {n} target rows per "
        f"repetition, {reps} repetitions, alpha = {ALPHA} (nominal 0.9). "
        f"({time.perf_counter() - t0:.0f} s)\n\n" + table
    )
    return text, out


def _ess_sweep(quick):
    from sklearn.linear_model import LinearRegression

    from instransfer.conformal import WeightedConformalRegressor
    from instransfer.datasets import make_covariate_shift

    reps = _reps(quick, 500)
    n = 60 if is_smoke() else 300
    rows = []
    for shift in (0.0, 0.5, 1.0, 1.5, 2.0):
        cov, width, inf, ess = [], [], [], []
        for seed in range(reps):
            data = make_covariate_shift(
                n,
                n,
                1,
                shift=shift,
                target_scale=0.7,
                noise=0.1,
                task="regression",
                random_state=10_000 + seed,
            )
            y_masked = np.where(data.domain == 1, np.nan, data.y)
            t = data.domain == 1
            cp = WeightedConformalRegressor(
                LinearRegression(), _oracle_weighter(shift, 0.7), random_state=seed
            ).fit(data.X, y_masked)
            iv = cp.predict_interval(data.X[t], ALPHA)
            finite = np.isfinite(iv[:, 1])
            cov.append(np.mean((data.y[t] >= iv[:, 0]) & (data.y[t] <= iv[:, 1])))
            width.append(
                np.median(iv[finite, 1] - iv[finite, 0]) if finite.any() else np.nan
            )
            inf.append(1 - finite.mean())
            ess.append(_ess(cp.calibration_weights_))
        c, m, se = _fmt_cov(cov)
        rows.append(
            [
                f"{shift:g}",
                f"{np.mean(ess):.1f} of {cp.n_calibration_}",
                c,
                _verdict(m, se, 1 - ALPHA),
                fmt_mean_se(width),
                f"{100 * np.mean(inf):.2f} %",
            ]
        )
    return (
        f"Oracle ratio, target N(shift, 0.7²), the rest as above; {reps} "
        "repetitions per row. A smaller effective sample size of the calibration "
        "weights gives wider intervals and more infinite ones (test points whose "
        f"weight exceeds alpha / (1 - alpha) = {ALPHA / (1 - ALPHA):.3f} times "
        "the calibration weights' sum).\n\n"
        + markdown_table(
            [
                "target mean",
                "calibration ESS",
                "target coverage",
                "verdict",
                "median width",
                "infinite",
            ],
            rows,
        )
    )


def _reweighted(cp, X, weighter, flatten=1.0):
    """A fitted conformal estimator with other calibration weights."""
    import copy

    from instransfer._weights import WeightTransform

    new = copy.copy(cp)
    new.flatten, new.weighter_ = flatten, weighter
    new._transform = WeightTransform(flatten, None, None)
    new.calibration_weights_ = new._transform.fit_transform(
        new._full_ratio(X[cp.calibration_rows_])
    )
    return new


def _small_sample_coverage(quick):
    """Weighted split vs jackknife+ / CV+ (JAWS) at small source sizes."""
    from sklearn.linear_model import LinearRegression

    from instransfer.conformal import WeightedConformalRegressor
    from instransfer.datasets import make_covariate_shift

    shift, scale = 1.0, 0.7
    sizes = (30,) if is_smoke() else (50, 100, 200)
    reps = _reps(quick, 500)
    names = [
        "plain jackknife+ (flatten=0)",
        "weighted split, oracle",
        "weighted CV+ (5 folds), oracle",
        "weighted jackknife+ (JAWS), oracle",
        "weighted split, estimated",
        "weighted jackknife+ (JAWS), estimated",
    ]
    rows = []
    t0 = time.perf_counter()
    for n in sizes:
        out = {m: dict(cov=[], width=[], inf=[]) for m in names}
        for seed in range(reps):
            data = make_covariate_shift(
                n,
                200,
                1,
                shift=shift,
                target_scale=scale,
                noise=0.1,
                task="regression",
                random_state=40_000 + seed,
            )
            y_masked = np.where(data.domain == 1, np.nan, data.y)
            t = data.domain == 1
            fitted = _quadratic_weighter(seed).fit(data.X, data.domain)
            oracle = _oracle_weighter(shift, scale)
            fits = {
                m: WeightedConformalRegressor(
                    LinearRegression(), oracle, method=m, random_state=seed
                ).fit(data.X, y_masked)
                for m in ("split", "cv+", "jackknife+")
            }
            # the model fits and scores do not depend on the weights: the
            # other weightings reuse them (what a refit would give)
            variants = {
                names[0]: _reweighted(fits["jackknife+"], data.X, None, 0.0),
                names[1]: fits["split"],
                names[2]: fits["cv+"],
                names[3]: fits["jackknife+"],
                names[4]: _reweighted(fits["split"], data.X, fitted),
                names[5]: _reweighted(fits["jackknife+"], data.X, fitted),
            }
            for name, cp in variants.items():
                iv = cp.predict_interval(data.X[t], ALPHA)
                finite = np.isfinite(iv[:, 1])
                out[name]["cov"].append(
                    np.mean((data.y[t] >= iv[:, 0]) & (data.y[t] <= iv[:, 1]))
                )
                out[name]["width"].append(
                    np.median(iv[finite, 1] - iv[finite, 0]) if finite.any() else np.nan
                )
                out[name]["inf"].append(1 - finite.mean())
        for name, r in out.items():
            c, m, se = _fmt_cov(r["cov"])
            widths = [w for w in r["width"] if np.isfinite(w)]
            rows.append(
                [
                    n,
                    name,
                    c,
                    _verdict(m, se, 1 - ALPHA),
                    fmt_mean_se(widths) if widths else "–",
                    f"{100 * np.mean(r['inf']):.2f} %",
                ]
            )
    elapsed = time.perf_counter() - t0
    return (
        f"One feature, source N(0, 1), target N({shift}, {scale}²), the outcome of "
        "the first table, a straight line; n labeled source rows (split: 30 % of "
        "them calibrate; jackknife+: n leave-one-out refits; CV+: 5 refits), 200 "
        f"target rows, {reps} repetitions per size, alpha = {ALPHA}. The "
        "estimated ratio is the quadratic-feature domain classifier of the first "
        "table, fit once per repetition. JAWS guarantees 1 − 2 alpha in theory "
        "(Prinster et al. 2022, Theorem 1); the verdicts use the nominal "
        f"1 − alpha. Width: median over the finite intervals. ({elapsed:.0f} s)\n\n"
        + markdown_table(
            [
                "labeled source rows",
                "method",
                "target coverage",
                "verdict",
                "median width",
                "infinite",
            ],
            rows,
        )
    )


def _weighter_candidates(seed):
    from sklearn.ensemble import HistGradientBoostingClassifier

    import instransfer as it

    return {
        "linear logit (ClassifierWeighter())": it.ClassifierWeighter(random_state=seed),
        "spline logit (the conformal default)": None,
        "quadratic logit": _quadratic_weighter(seed),
        "gradient boosting (HistGradientBoostingClassifier)": it.ClassifierWeighter(
            HistGradientBoostingClassifier(max_iter=50),
            cv="in_sample",
            random_state=seed,
        ),
    }


def _weighter_choice(quick):
    """Target coverage of each domain classifier on every problem of the suite."""
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from instransfer.conformal import (
        WeightedConformalClassifier,
        WeightedConformalRegressor,
    )
    from instransfer.datasets import make_covariate_shift

    problems = [
        ("regression, target N(−1.5, 0.5²) (first table)", -1.5, 0.5, 1, "r"),
        ("regression, target N(1, 0.7²) (ESS sweep)", 1.0, 0.7, 1, "r"),
        ("regression, target N(1, 1²) (mean shift only)", 1.0, 1.0, 1, "r"),
        ("regression, 3 features, target N(0.5, 0.8²)", 0.5, 0.8, 3, "r"),
        ("classification, target N(1.5, 0.5²) (LAC, sets table)", 1.5, 0.5, 1, "c"),
    ]
    reps = _reps(quick, 300)
    n = 60 if is_smoke() else 300
    rows, worst = [], {}
    t0 = time.perf_counter()
    for label, shift, scale, d, task in problems:
        out = {}
        for seed in range(reps):
            data = make_covariate_shift(
                n,
                n,
                d,
                shift=shift,
                target_scale=scale,
                noise=0.1 if task == "r" else 1.0,
                task="regression" if task == "r" else "classification",
                random_state=50_000 + seed,
            )
            t = data.domain == 1
            for name, wtr in _weighter_candidates(seed).items():
                if task == "r":
                    cp = WeightedConformalRegressor(
                        LinearRegression(), wtr, random_state=seed
                    ).fit(data.X, data.y, domain=data.domain)
                    iv = cp.predict_interval(data.X[t], ALPHA)
                    cov = np.mean((data.y[t] >= iv[:, 0]) & (data.y[t] <= iv[:, 1]))
                    inf = np.mean(np.isinf(iv[:, 1]))
                    fin = ~np.isinf(iv[:, 1])
                    size = np.median(iv[fin, 1] - iv[fin, 0]) if fin.any() else np.nan
                else:
                    cp = WeightedConformalClassifier(
                        LogisticRegression(), wtr, random_state=seed
                    ).fit(data.X, data.y, domain=data.domain)
                    sets = cp.predict_set(data.X[t], ALPHA)
                    cov = sets[np.arange(t.sum()), data.y[t]].mean()
                    inf = np.mean(sets.all(axis=1))
                    size = sets.sum(axis=1).mean()
                r = out.setdefault(name, dict(cov=[], inf=[], size=[]))
                r["cov"].append(cov)
                if np.isfinite(size):
                    r["size"].append(size)
                r["inf"].append(inf)
        for name, r in out.items():
            c, m, se = _fmt_cov(r["cov"])
            v = _verdict(m, se, 1 - ALPHA)
            worst.setdefault(name, []).append(v)
            rows.append(
                [
                    label,
                    name,
                    c,
                    v,
                    fmt_mean_se(r["size"]) if r["size"] else "–",
                    f"{100 * np.mean(r['inf']):.2f} %",
                ]
            )
    elapsed = time.perf_counter() - t0
    valid_all = [k for k, v in worst.items() if all(x.startswith("valid") for x in v)]
    return (
        f"Each weighter inside `WeightedConformalRegressor(LinearRegression())` "
        "(`WeightedConformalClassifier(LogisticRegression())` for the last "
        f"problem), split conformal, {n} labeled source and {n} target rows, "
        f"{reps} repetitions per problem, alpha = {ALPHA}. The spline logit is "
        "`ClassifierWeighter(make_pipeline(SplineTransformer(), "
        "LogisticRegression()), cv='in_sample')`, what the conformal "
        "estimators use when `weighter=None`; the quadratic logit is the "
        "estimated ratio of the first table (well specified for these Gaussian "
        "shifts, but its feature count grows as d²). Width: median of the finite "
        "intervals (classification: mean set size); 'unbounded' is the share "
        f"of infinite intervals (full sets). ({elapsed:.0f} s)\n\n"
        + markdown_table(
            [
                "problem",
                "weighter",
                "target coverage",
                "verdict",
                "median width (set size)",
                "unbounded",
            ],
            rows,
        )
        + "\n\nValid on every problem: "
        + (", ".join(valid_all) if valid_all else "none")
        + "."
    )


def _classification_coverage(quick):
    from sklearn.linear_model import LogisticRegression

    from instransfer.conformal import WeightedConformalClassifier
    from instransfer.datasets import make_covariate_shift

    shift, scale, n = 1.5, 0.5, (60 if is_smoke() else 300)
    reps = _reps(quick, 500)
    methods = {
        "plain (flatten=0)": lambda s: dict(flatten=0),
        "weighted, oracle": lambda s: dict(weighter=_oracle_weighter(shift, scale)),
        "weighted, estimated": lambda s: dict(weighter=_frozen(fitted)),
    }
    out = {(m, sc): dict(cov=[], size=[]) for m in methods for sc in ("lac", "aps")}
    for seed in range(reps):
        data = make_covariate_shift(
            n,
            n,
            1,
            shift=shift,
            target_scale=scale,
            noise=1.0,
            random_state=20_000 + seed,
        )
        y_masked = np.where(data.domain == 1, -1, data.y)
        t = data.domain == 1
        fitted = _quadratic_weighter(seed).fit(data.X, data.domain)
        for name, kw in methods.items():
            cp = WeightedConformalClassifier(
                LogisticRegression(), random_state=seed, **kw(seed)
            ).fit(data.X, y_masked)
            for score in ("lac", "aps"):
                # the same split, model and weights with the other score:
                # what a refit with conformity_score=score gives, at half
                # the cost
                cp.set_params(conformity_score=score)
                rows = cp.calibration_rows_
                cp.calibration_scores_ = cp._calibration_scores(
                    data.X[rows], data.y[rows]
                )
                sets = cp.predict_set(data.X[t], ALPHA)
                out[name, score]["cov"].append(
                    sets[np.arange(t.sum()), data.y[t]].mean()
                )
                out[name, score]["size"].append(sets.sum(axis=1).mean())
    rows = []
    for (name, score), r in out.items():
        c, m, se = _fmt_cov(r["cov"])
        rows.append(
            [name, score.upper(), c, _verdict(m, se, 1 - ALPHA), fmt_mean_se(r["size"])]
        )
    return (
        f"One feature, source N(0, 1), target N({shift}, {scale}²), binary "
        "outcome of the generator (noise 1.0), logistic regression; "
        f"{n} labeled source rows (30 % calibrate), {n} target rows, {reps} "
        "repetitions, alpha = 0.1. APS is the non-randomised score: with two "
        "classes a set that holds the less probable class holds both, so when "
        "more than alpha of the (weighted) calibration rows are misclassified "
        "every APS set is full; LAC is the score to use for binary outcomes.\n\n"
        + markdown_table(
            ["weights", "score", "target coverage", "verdict", "mean set size"], rows
        )
    )


def _mapie_side_by_side():
    if not have_peer("mapie"):
        return "MAPIE not installed (`pip install -e '.[bench]'`): not run."
    from importlib.metadata import version

    from mapie.classification import SplitConformalClassifier
    from mapie.regression import SplitConformalRegressor
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from instransfer.conformal import (
        WeightedConformalClassifier,
        WeightedConformalRegressor,
    )
    from instransfer.datasets import make_covariate_shift

    def refused(fn, *args):
        try:
            return fn(*args), False
        except ValueError:  # too few calibration rows for this alpha
            return None, True

    rows = []
    for n_cal in (19, 90, 99, 137):
        for alpha in (0.05, 0.1, 0.2):
            reg_diff, cls_diff, ours_no, theirs_no, both_no = 0.0, 0, 0, 0, 0
            for seed in range(5):
                data = make_covariate_shift(
                    400, 200, 2, task="regression", random_state=seed
                )
                y_masked = np.where(data.domain == 1, np.nan, data.y)
                X_t = data.X[data.domain == 1]
                cp = WeightedConformalRegressor(
                    LinearRegression(),
                    flatten=0,
                    calibration_size=n_cal,
                    random_state=seed,
                ).fit(data.X, y_masked)
                rc = cp.calibration_rows_
                ref = SplitConformalRegressor(
                    cp.estimator_, confidence_level=1 - alpha, prefit=True
                ).conformalize(data.X[rc], data.y[rc])
                ours, no_ours = refused(cp.predict_interval, X_t, alpha)
                theirs, no_theirs = refused(ref.predict_interval, X_t)
                ours_no += no_ours
                theirs_no += no_theirs
                both_no += no_ours and no_theirs
                if ours is not None and theirs is not None:
                    theirs = theirs[1]
                    reg_diff = max(
                        reg_diff, float(np.max(np.abs(ours - theirs[:, :, 0])))
                    )
                cdata = make_covariate_shift(400, 200, 2, noise=1.0, random_state=seed)
                yc = np.where(cdata.domain == 1, -1, cdata.y)
                X_ct = cdata.X[cdata.domain == 1]
                cc = WeightedConformalClassifier(
                    LogisticRegression(),
                    flatten=0,
                    calibration_size=n_cal,
                    random_state=seed,
                ).fit(cdata.X, yc)
                rc = cc.calibration_rows_
                cref = SplitConformalClassifier(
                    cc.estimator_, confidence_level=1 - alpha, prefit=True
                ).conformalize(cdata.X[rc], cdata.y[rc])
                ours, _ = refused(cc.predict_set, X_ct, alpha)
                theirs, _ = refused(cref.predict_set, X_ct)
                if ours is not None and theirs is not None:
                    theirs = theirs[1]
                    cls_diff += int((ours != theirs[:, :, 0]).sum())
            rows.append(
                [
                    n_cal,
                    alpha,
                    f"{reg_diff:.1e}",
                    cls_diff,
                    f"{ours_no} / {theirs_no} / {both_no}",
                ]
            )
    agree = all(float(r[2]) <= 1e-9 and r[3] == 0 for r in rows)
    only_mapie = [
        (r[0], r[1])
        for r in rows
        if int(r[4].split(" / ")[1]) > int(r[4].split(" / ")[0])
    ]
    only_ours = [
        (r[0], r[1])
        for r in rows
        if int(r[4].split(" / ")[0]) > int(r[4].split(" / ")[1])
    ]
    refusals = ""
    if only_mapie:
        refusals += (
            f" MAPIE alone refuses at (calibration rows, alpha) = {only_mapie}: it "
            "asks for more than 1 / alpha rows, where the finite plain split "
            "conformal quantile (the largest score, k = n) exists and ours gives it."
        )
    if only_ours:
        refusals += f" Ours alone refuses at {only_ours}."
    return (
        f"MAPIE {version('mapie')} `SplitConformalRegressor` / "
        "`SplitConformalClassifier` (LAC), `prefit=True`, given our fitted model "
        "and our calibration rows (`calibration_rows_`); ours with `flatten=0`. "
        "5 problems per row, 200 target rows each. With fewer calibration rows "
        "than alpha needs for a finite interval both refuse (ValueError); the "
        "last column counts the refusals (ours / MAPIE's / both).\n\n"
        + markdown_table(
            [
                "calibration rows",
                "alpha",
                "max abs. interval difference",
                "set entries that differ",
                "refused (ours / MAPIE / both)",
            ],
            rows,
        )
        + "\n\nVerdict: "
        + (
            "equal intervals and sets wherever both answer."
            if agree
            else "**differences found** (see the table)."
        )
        + refusals
    )


def _crepes_rank_check():
    """Which rank each library takes on scores 1..90 at equal weights."""
    from crepes import ConformalRegressor

    from instransfer.conformal import weighted_conformal_quantile

    scores = np.random.default_rng(0).permutation(np.arange(1.0, 91.0))
    out = {"ours": weighted_conformal_quantile(scores, np.ones(90), [1.0], ALPHA)[0]}
    out["crepes"] = (
        ConformalRegressor().fit(scores).predict_int(np.zeros(1), confidence=1 - ALPHA)
    )[0, 1]
    if have_peer("crepes_weighted"):
        from crepes_weighted import ConformalRegressor as WeightedCR

        out["crepes-weighted"] = (
            WeightedCR()
            .fit(scores, likelihood_ratios=np.ones(90))
            .predict(np.zeros(1), likelihood_ratios=np.ones(1), confidence=1 - ALPHA)
        )[0, 1]
    return out


def _crepes_side_by_side(quick):
    """crepes (no weights) and crepes-weighted against ours on the same residuals."""
    if not have_peer("crepes"):
        return "crepes not installed (`pip install -e '.[bench]'`): not run."
    from importlib.metadata import version

    from crepes import ConformalClassifier, ConformalRegressor
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from instransfer.conformal import (
        WeightedConformalClassifier,
        WeightedConformalRegressor,
    )
    from instransfer.datasets import make_covariate_shift

    weighted_peer = have_peer("crepes_weighted")
    if weighted_peer:
        from crepes_weighted import ConformalRegressor as WeightedCR

    def refused(fn, *args):
        try:
            return fn(*args)
        except ValueError:  # too few calibration rows for this alpha
            return None

    def differ(a, b):
        """Test rows whose two ends are not both equal (inf == inf counts equal)."""
        return int((~(a == b).all(axis=1)).sum())

    rows = []
    for n_cal in (19, 90, 137):
        for alpha in (0.05, 0.1, 0.2):
            c = dict(plain=0, cls=0, cw1=0, cww=0, inf_o=0, inf_c=0, m=0, refused=0)
            for seed in range(2 if is_smoke() else 5):
                data = make_covariate_shift(
                    400, 200, 2, task="regression", random_state=seed
                )
                y_masked = np.where(data.domain == 1, np.nan, data.y)
                X_t = data.X[data.domain == 1]
                plain = WeightedConformalRegressor(
                    LinearRegression(),
                    flatten=0,
                    calibration_size=n_cal,
                    random_state=seed,
                ).fit(data.X, y_masked)
                rc = plain.calibration_rows_
                resid = data.y[rc] - plain.estimator_.predict(data.X[rc])
                y_hat = plain.predict(X_t)
                ours = refused(plain.predict_interval, X_t, alpha)
                if ours is None:
                    c["refused"] += 1
                    continue
                c["m"] += X_t.shape[0]
                theirs = ConformalRegressor().fit(resid)
                c["plain"] += differ(
                    ours, theirs.predict_int(y_hat, confidence=1 - alpha)
                )
                cdata = make_covariate_shift(400, 200, 2, noise=1.0, random_state=seed)
                cc = WeightedConformalClassifier(
                    LogisticRegression(),
                    flatten=0,
                    calibration_size=n_cal,
                    random_state=seed,
                ).fit(cdata.X, np.where(cdata.domain == 1, -1, cdata.y))
                X_ct = cdata.X[cdata.domain == 1]
                rcc = cc.calibration_rows_
                p_cal = cc.estimator_.predict_proba(cdata.X[rcc])
                # LAC's score is crepes' default "hinge" score, 1 - p(true class)
                hinge = 1 - p_cal[np.arange(rcc.shape[0]), cdata.y[rcc]]
                sets = (
                    ConformalClassifier()
                    .fit(hinge)
                    .predict_set(
                        1 - cc.estimator_.predict_proba(X_ct),
                        confidence=1 - alpha,
                        smoothing=False,
                    )
                )
                c["cls"] += int((cc.predict_set(X_ct, alpha) != sets).any(axis=1).sum())
                if not weighted_peer:
                    continue
                ones = WeightedCR().fit(resid, likelihood_ratios=np.ones(rc.shape[0]))
                c["cw1"] += differ(
                    ours,
                    ones.predict(
                        y_hat,
                        likelihood_ratios=np.ones(y_hat.shape[0]),
                        confidence=1 - alpha,
                    ),
                )
                cp = WeightedConformalRegressor(
                    LinearRegression(),
                    _oracle_weighter(0.5, 0.8),
                    calibration_size=n_cal,
                    random_state=seed,
                ).fit(data.X, y_masked)
                ours_w = cp.predict_interval(X_t, alpha)
                theirs_w = (
                    WeightedCR()
                    .fit(
                        data.y[cp.calibration_rows_]
                        - cp.estimator_.predict(data.X[cp.calibration_rows_]),
                        likelihood_ratios=cp.calibration_weights_,
                    )
                    .predict(
                        cp.predict(X_t),
                        likelihood_ratios=cp.test_weights(X_t),
                        confidence=1 - alpha,
                    )
                )
                c["cww"] += differ(ours_w, theirs_w)
                c["inf_o"] += int(np.isinf(ours_w[:, 1]).sum())
                c["inf_c"] += int(np.isinf(theirs_w[:, 1]).sum())
            m = max(c["m"], 1)

            def share(k, c=c, m=m):
                return f"{100 * c[k] / m:.1f} %"

            if c["m"] == 0:
                rows.append([n_cal, alpha, "ours refuses", "–", "–", "–", "–"])
                continue
            rows.append(
                [
                    n_cal,
                    alpha,
                    share("plain"),
                    share("cls"),
                    share("cw1") if weighted_peer else "not installed",
                    share("cww") if weighted_peer else "not installed",
                    f"{share('inf_o')} / {share('inf_c')}" if weighted_peer else "–",
                ]
            )
    ranks = _crepes_rank_check()
    rank_text = ", ".join(f"{k} {v:g}" for k, v in ranks.items())
    return (
        f"crepes {version('crepes')} `ConformalRegressor` / `ConformalClassifier` "
        "(no weights: its `fit` takes residuals or scores only) and "
        + (
            f"crepes-weighted {version('crepes_weighted')} `ConformalRegressor` "
            "(`likelihood_ratios=`; its classifier takes no weights) "
            if weighted_peer
            else "crepes-weighted (not installed) "
        )
        + "given our fitted model's residuals on our calibration rows; the LAC "
        "score is crepes' default hinge score. 5 problems per row, 200 target "
        "rows each; the weighted column uses the oracle ratio of a N(0.5, 0.8²) "
        "target in 2-D. Cells are the share of test rows whose interval (set) "
        "differs from ours.\n\n"
        + markdown_table(
            [
                "calibration rows",
                "alpha",
                "crepes vs ours (equal weights)",
                "crepes sets vs ours (LAC)",
                "crepes-weighted, ratio 1, vs ours",
                "crepes-weighted, oracle ratio, vs ours",
                "infinite (ours / crepes-weighted)",
            ],
            rows,
        )
        + "\n\nWhy they differ: on the calibration scores 1, …, 90 at equal "
        f"weights and alpha = {ALPHA}, the upper end is {rank_text}; plain split "
        f"conformal takes the ceil((1 - alpha)(n + 1)) = "
        f"{math.ceil(round((1 - ALPHA) * 91, 9))}-th smallest score (Lei et al., "
        "JASA 2018, eq. 2; Tibshirani et al. 2019, eq. 7). crepes computes that "
        "rank in floating point, int((1 - confidence)(n + 1)) with confidence = "
        "1 - alpha, so where alpha (n + 1) is a whole number and 1 - (1 - alpha) "
        "rounds below alpha (here n = 19 at alpha 0.1 and 0.2; at 0.05 it rounds "
        "up and the ranks agree) it takes one rank more (wider, still valid). "
        "crepes-weighted puts the test "
        "point's mass on top of the scores and then steps one score further, so "
        "it is one calibration weight more conservative everywhere, equal "
        "weights included, and makes intervals infinite as soon as the test "
        "weight plus the largest score's weight exceeds alpha (the paper: the "
        "test weight alone)."
    )


# --------------------------------------------------------------------------
# target performance


def _semi_synthetic_regression():
    from sklearn.linear_model import LinearRegression

    from instransfer.datasets import make_covariate_shift

    shift, scale = 1.0, 0.8
    train = make_covariate_shift(
        2000, 10, 1, shift=shift, target_scale=scale, task="regression", random_state=0
    )
    Xs, ys = train.X[:2000], train.y[:2000]
    left = Xs[:, 0] < 0
    models = {
        "A (line fit on x < 0)": LinearRegression().fit(Xs[left], ys[left]),
        "B (line fit on all)": LinearRegression().fit(Xs, ys),
    }
    big = make_covariate_shift(
        10,
        200_000,
        1,
        shift=shift,
        target_scale=scale,
        task="regression",
        random_state=1,
    )
    x = big.X[big.domain == 1]
    signal = np.sinc(x[:, 0]) + 0.3 * x[:, 0]
    truth = {
        k: float(np.mean((signal - m.predict(x)) ** 2) + 0.3**2)
        for k, m in models.items()
    }
    return models, truth, shift, scale


def _target_performance_coverage(quick):
    from sklearn.dummy import DummyRegressor
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import SplineTransformer

    from instransfer.datasets import make_covariate_shift
    from instransfer.metrics import target_performance

    models, truth, shift, scale = _semi_synthetic_regression()
    reps = _reps(quick, 200)
    n = 60 if is_smoke() else 300
    good_g = make_pipeline(SplineTransformer(n_knots=8), Ridge(1e-3))
    variants = {
        "IW, oracle ratio": dict(method="iw", oracle=True),
        "DR, oracle ratio, spline loss model": dict(
            method="dr", oracle=True, loss_model=good_g
        ),
        "IW, estimated ratio": dict(method="iw"),
        "DR, estimated ratio, spline loss model": dict(method="dr", loss_model=good_g),
        "IW, oracle ratio, bootstrap interval": dict(
            method="iw", oracle=True, interval="bootstrap"
        ),
    }
    misspec = {
        "IW, wrong weights (uniform)": dict(method="iw", ones=True),
        "DR, wrong weights, right loss model": dict(
            method="dr", ones=True, loss_model=good_g
        ),
        "loss model alone, wrong (constant)": dict(
            method="plugin", oracle=True, loss_model=DummyRegressor()
        ),
        "DR, right weights, wrong loss model": dict(
            method="dr", oracle=True, loss_model=DummyRegressor()
        ),
    }
    res = {k: dict(hit=[], err=[], width=[], dhit=[]) for k in {**variants, **misspec}}
    t0 = time.perf_counter()
    for seed in range(reps):
        held = make_covariate_shift(
            n,
            n,
            1,
            shift=shift,
            target_scale=scale,
            task="regression",
            random_state=30_000 + seed,
        )
        y_masked = np.where(held.domain == 1, np.nan, held.y)
        est_w = _estimated_ratio(held, seed)
        for name, spec in {**variants, **misspec}.items():
            spec = dict(spec)
            kw = dict(
                method=spec.pop("method"),
                interval=spec.pop("interval", "influence"),
                n_resamples=300,
                random_state=seed,
            )
            if spec.pop("oracle", False):
                kw["weights"] = held.true_ratio
            elif spec.pop("ones", False):
                kw["weights"] = np.ones(held.X.shape[0])
            else:
                kw["weights"] = est_w
            kw.update(spec)
            out = target_performance(
                models, held.X, y_masked, baseline="B (line fit on all)", **kw
            )
            a = out.loc[("A (line fit on x < 0)", "mean_squared_error")]
            true_a = truth["A (line fit on x < 0)"]
            true_diff = true_a - truth["B (line fit on all)"]
            res[name]["hit"].append(float(a["ci_low"] <= true_a <= a["ci_high"]))
            res[name]["err"].append(a["estimate"] - true_a)
            res[name]["width"].append(a["ci_high"] - a["ci_low"])
            res[name]["dhit"].append(
                float(a["diff_ci_low"] <= true_diff <= a["diff_ci_high"])
            )
    rows = []
    for name in variants:
        r = res[name]
        c, m, se = _fmt_cov(r["hit"])
        d, dm, dse = _fmt_cov(r["dhit"])
        rows.append(
            [
                name,
                c,
                _near(m, se),
                d,
                fmt_mean_se(r["err"], signed=True),
                fmt_mean_se(r["width"]),
            ]
        )
    cov_text = (
        f"Fixed models: A, a line fit on 2 000 source rows with x < 0 "
        f"(true target MSE {truth['A (line fit on x < 0)']:.3f}); B, a line fit "
        f"on all of them ({truth['B (line fit on all)']:.3f}); true risks from "
        "200 000 target draws of the known outcome law. Each repetition draws "
        f"{n} labeled source and {n} unlabeled target rows (source N(0, 1), "
        f"target N({shift}, {scale}²)) and estimates model A's target MSE and "
        f"the paired difference A − B with 95 % intervals; {reps} repetitions "
        f"({time.perf_counter() - t0:.0f} s with the table below).\n\n"
        + markdown_table(
            [
                "estimator",
                "coverage of the true risk",
                "verdict",
                "coverage of the true A − B",
                "bias",
                "mean interval width",
            ],
            rows,
        )
    )
    rows, verdict = [], {}
    misspec["DR, both right"] = None  # the row of the coverage table
    res["DR, both right"] = res["DR, oracle ratio, spline loss model"]
    for name in misspec:
        m, se = mean_se(res[name]["err"])
        biased = abs(m) > 3 * se
        verdict[name] = biased
        rows.append(
            [
                name,
                fmt_mean_se(res[name]["err"], signed=True),
                "**biased** (> 3 SE)" if biased else "unbiased (≤ 3 SE)",
            ]
        )
    dr_ok = (
        not verdict["DR, wrong weights, right loss model"]
        and not verdict["DR, right weights, wrong loss model"]
    )
    single_bad = (
        verdict["IW, wrong weights (uniform)"]
        and verdict["loss model alone, wrong (constant)"]
    )
    mis_text = (
        "Bias of model A's target-MSE estimate (estimate − truth, mean ± SE over "
        "the same repetitions) when one ingredient is wrong: uniform weights "
        "(no shift correction) or a constant loss model.\n\n"
        + markdown_table(["estimator", "bias", "verdict"], rows)
        + "\n\nVerdict: "
        + (
            "the doubly robust estimate stays unbiased when either the weights or "
            "the loss model is wrong"
            if dr_ok
            else "**the doubly robust estimate is biased in at least one case**"
        )
        + (
            ", while importance weighting alone and the loss model alone are "
            "biased by the same errors."
            if single_bad
            else "."
        )
    )
    return cov_text, mis_text


def _near(m, se, nominal=0.95):
    if abs(m - nominal) <= max(2 * se, 0.02):
        return "near nominal"
    return "**below nominal**" if m < nominal else "above nominal"


def _classification_risk_coverage(quick):
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import SplineTransformer

    from instransfer.datasets import make_covariate_shift
    from instransfer.metrics import target_performance

    shift, scale, noise = 1.0, 0.5, 1.0
    train = make_covariate_shift(
        2000, 10, 1, shift=shift, target_scale=scale, noise=noise, random_state=0
    )
    model = LogisticRegression().fit(train.X[:2000], train.y[:2000])
    big = make_covariate_shift(
        10, 200_000, 1, shift=shift, target_scale=scale, noise=noise, random_state=1
    )
    x = big.X[big.domain == 1]
    signal = np.sinc(x[:, 0]) + 0.3 * x[:, 0]
    p1 = 1 / (1 + np.exp(-4 * (signal - 0.5) / noise))  # P(y = 1 | x), exact
    q = np.clip(model.predict_proba(x)[:, 1], 1e-15, 1 - 1e-15)
    pred = model.predict(x)
    truth = {
        "log_loss": float(np.mean(-p1 * np.log(q) - (1 - p1) * np.log(1 - q))),
        "brier_score_loss": float(np.mean(p1 * (1 - q) ** 2 + (1 - p1) * q**2)),
        "accuracy": float(np.mean(np.where(pred == 1, p1, 1 - p1))),
    }
    reps = _reps(quick, 200)
    n = 60 if is_smoke() else 400
    good_g = make_pipeline(SplineTransformer(n_knots=8), Ridge(1e-3))
    variants = {
        "IW, oracle": dict(method="iw", oracle=True),
        "DR, oracle, spline loss model": dict(method="dr", oracle=True),
        "IW, estimated": dict(method="iw"),
        "DR, estimated, spline loss model": dict(method="dr"),
    }
    res = {(v, m): dict(hit=[], err=[]) for v in variants for m in truth}
    for seed in range(reps):
        held = make_covariate_shift(
            n,
            n,
            1,
            shift=shift,
            target_scale=scale,
            noise=noise,
            random_state=40_000 + seed,
        )
        y_masked = np.where(held.domain == 1, -1, held.y)
        est_w = _estimated_ratio(held, seed)
        for name, spec in variants.items():
            kw = dict(
                method=spec["method"],
                loss_model=good_g,
                random_state=seed,
                scoring=list(truth),
            )
            if spec.get("oracle"):
                kw["weights"] = held.true_ratio
            else:
                kw["weights"] = est_w
            out = target_performance(model, held.X, y_masked, **kw)
            for metric, true in truth.items():
                r = out.loc[metric]
                res[name, metric]["hit"].append(
                    float(r["ci_low"] <= true <= r["ci_high"])
                )
                res[name, metric]["err"].append(r["estimate"] - true)
    rows = []
    for (name, metric), r in res.items():
        c, m, se = _fmt_cov(r["hit"])
        rows.append(
            [
                name,
                metric,
                f"{truth[metric]:.4f}",
                c,
                _near(m, se),
                fmt_mean_se(r["err"], 4, signed=True),
            ]
        )
    return (
        f"Logistic regression fit on 2 000 source rows; one feature, target "
        f"N({shift}, {scale}²), P(y = 1 | x) known, true target risks from "
        f"200 000 draws. {n} labeled source + {n} target rows per repetition, "
        f"{reps} repetitions, 95 % influence-function intervals.\n\n"
        + markdown_table(
            ["estimator", "metric", "true target value", "coverage", "verdict", "bias"],
            rows,
        )
    )


# --------------------------------------------------------------------------
# calibration


def _ece(p, y, bins=10):
    k = np.minimum((p * bins).astype(int), bins - 1)
    return float(
        sum(
            (k == b).mean() * abs(p[k == b].mean() - y[k == b].mean())
            for b in range(bins)
            if (k == b).any()
        )
    )


def _calibration(quick):
    from sklearn.linear_model import LogisticRegression

    from instransfer.calibration import ImportanceWeightedCalibratedClassifier
    from instransfer.datasets import make_covariate_shift

    shift, scale = 1.0, 0.5
    reps = _reps(quick, 50)
    n_s, n_t = (100, 200) if is_smoke() else (600, 2000)
    variants = {"logistic regression, uncalibrated": None}
    for method in ("sigmoid", "isotonic"):
        variants[f"{method}, unweighted (= CalibratedClassifierCV)"] = dict(
            method=method, flatten=0
        )
        variants[f"{method}, IW, oracle ratio"] = dict(method=method, oracle=True)
        variants[f"{method}, IW, estimated ratio"] = dict(method=method)
    res = {k: dict(ece=[], brier=[]) for k in variants}
    for seed in range(reps):
        data = make_covariate_shift(
            n_s,
            n_t,
            1,
            shift=shift,
            target_scale=scale,
            noise=0.5,
            random_state=50_000 + seed,
        )
        y_masked = np.where(data.domain == 1, -1, data.y)
        t = data.domain == 1
        for name, spec in variants.items():
            if spec is None:
                model = LogisticRegression().fit(data.X[~t], data.y[~t])
            else:
                spec = dict(spec)
                if spec.pop("oracle", False):
                    spec["weighter"] = _oracle_weighter(shift, scale)
                elif spec.get("flatten") != 0:
                    spec["weighter"] = _quadratic_weighter(seed)
                model = ImportanceWeightedCalibratedClassifier(
                    LogisticRegression(), **spec
                ).fit(data.X, y_masked)
            p = model.predict_proba(data.X[t])[:, 1]
            res[name]["ece"].append(_ece(p, data.y[t]))
            res[name]["brier"].append(float(np.mean((p - data.y[t]) ** 2)))
    rows = [[k, fmt_mean_se(r["ece"]), fmt_mean_se(r["brier"])] for k, r in res.items()]
    better = []
    for method in ("sigmoid", "isotonic"):
        base = res[f"{method}, unweighted (= CalibratedClassifierCV)"]
        for kind in ("oracle ratio", "estimated ratio"):
            r = res[f"{method}, IW, {kind}"]
            d_ece = np.array(r["ece"]) - np.array(base["ece"])
            d_b = np.array(r["brier"]) - np.array(base["brier"])
            m1, s1 = mean_se(d_ece)
            m2, s2 = mean_se(d_b)
            better.append(
                f"{method} with the {kind}: target ECE {m1:+.3f} ± {s1:.3f}, "
                f"Brier {m2:+.4f} ± {s2:.4f} vs unweighted "
                + (
                    "(better)"
                    if m1 + 2 * s1 < 0 and m2 + 2 * s2 < 0
                    else "(not better on both)"
                )
            )
    return (
        f"One feature, source N(0, 1), target N({shift}, {scale}²), binary "
        f"outcome (noise 0.5), logistic regression (misspecified: the log-odds "
        f"curve in x); {n_s} labeled source rows, {n_t} target rows to score; "
        f"5-fold cross-fitting; {reps} repetitions; ECE with 10 equal-width "
        "bins. The importance-weighted variants weight the classifier's fit "
        "too (as `ImportanceWeightedClassifier`), then the calibration map.\n\n"
        + markdown_table(["model", "target ECE", "target Brier"], rows)
        + "\n\nPaired differences (mean ± SE over repetitions):\n\n"
        + "\n".join(f"- {b}" for b in better)
    )


def _timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    print(f"   {fn.__name__}: {time.perf_counter() - t0:.0f} s", flush=True)
    return out


def run(quick=False):
    sections = []
    with pinned(), warnings.catch_warnings():
        # infinite intervals are counted in the tables; low-ESS notes are the
        # point of the ESS sweep
        warnings.simplefilter("ignore")
        if wants_part("conformal"):
            text, _ = _timed(_regression_coverage, quick)
            sections.append(("Conformal intervals: target coverage (regression)", text))
            sections.append(
                ("Width and infinite intervals against ESS", _timed(_ess_sweep, quick))
            )
            sections.append(
                ("Choice of the default weighter", _timed(_weighter_choice, quick))
            )
            sections.append(
                (
                    "Small source samples: weighted jackknife+ and CV+ (JAWS)",
                    _timed(_small_sample_coverage, quick),
                )
            )
            sections.append(
                (
                    "Conformal sets: target coverage (classification)",
                    _timed(_classification_coverage, quick),
                )
            )
            sections.append(
                (
                    "Side by side with MAPIE at equal weights",
                    _timed(_mapie_side_by_side),
                )
            )
            sections.append(
                (
                    "Side by side with crepes and crepes-weighted",
                    _timed(_crepes_side_by_side, quick),
                )
            )
        if wants_part("performance"):
            cov, mis = _timed(_target_performance_coverage, quick)
            sections.append(("Target-risk intervals: coverage (regression)", cov))
            sections.append(("Doubly robust under misspecification", mis))
            sections.append(
                (
                    "Target-risk intervals: coverage (classification)",
                    _timed(_classification_risk_coverage, quick),
                )
            )
        if wants_part("calibration"):
            sections.append(("Calibration on the target", _timed(_calibration, quick)))
    return write_results(
        "conformal",
        "Valid on the target: conformal coverage, target-risk intervals, calibration",
        sections,
        quick,
    )
