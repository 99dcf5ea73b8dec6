"""
=================================================================
Valid on the target: risk with an interval, and conformal sets
=================================================================

A prognostic model developed on younger patients will be used on older ones.
Without a single target label, how good will it be *there* -- give or take
how much -- and which predictions can we trust there? On a real breast-cancer
trial (GBSG2, shipped with ``lifelines``) split by a known selection on age
(:func:`~instransfer.datasets.make_age_shift`, so the oracle ratio is known
and the hidden target labels let us check every answer):

1. the target log loss of an unweighted and a weighted model, estimated
   doubly robustly with 95 % intervals
   (:func:`~instransfer.metrics.target_performance`), against the actual
   value;
2. conformal prediction sets at 90 %: plain split conformal vs weighted
   (:class:`~instransfer.conformal.WeightedConformalClassifier`), coverage
   on the target by age;
3. the calibration of the probabilities on the target
   (:class:`~instransfer.calibration.ImportanceWeightedCalibratedClassifier`).
"""

# %%
# The split
# ---------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import instransfer as it
from instransfer.calibration import ImportanceWeightedCalibratedClassifier
from instransfer.conformal import WeightedConformalClassifier
from instransfer.datasets import make_age_shift
from instransfer.exceptions import UnboundedPredictionWarning
from instransfer.metrics import target_performance

shifted = make_age_shift("gbsg2", strength=1.5, random_state=0)
X, y, domain = shifted.X_numeric, shifted.y, shifted.domain
source, target = domain == 0, domain == 1
age = X["age"].to_numpy()
print(
    f"source {source.sum()} patients (mean age {age[source].mean():.0f}), "
    f"target {target.sum()} (mean age {age[target].mean():.0f})"
)


def model():
    return make_pipeline(StandardScaler(), LogisticRegression())


def weighter():
    return it.ClassifierWeighter(model(), random_state=0)


# %%
# How good on the target, without target labels?
# ----------------------------------------------
# Half of the source patients fit the models; the other half, weighted by the
# ratio to the target, estimates their target log loss. The doubly robust
# estimate adds a cross-fitted model of the loss; its interval comes from the
# influence function. The actual target log loss uses the hidden labels.
rng = np.random.RandomState(0)
fit_half = np.zeros(len(y), dtype=bool)
src_rows = np.flatnonzero(source)
fit_half[rng.choice(src_rows, size=len(src_rows) // 2, replace=False)] = True
y_masked = np.where(target, -1, y)

stack = fit_half | target
models = {
    "unweighted": model().fit(X[fit_half], y[fit_half]),
    "weighted": it.ImportanceWeightedClassifier(model(), weighter()).fit(
        X[stack].reset_index(drop=True), y_masked[stack]
    ),
}
held_out = ~fit_half  # the other source half, and the target rows
estimates = {
    kind: target_performance(
        models,
        X[held_out].reset_index(drop=True),
        y_masked[held_out],
        scoring="log_loss",
        baseline="unweighted",
        random_state=0,
        **kw,
    )
    for kind, kw in {
        "estimated ratio": dict(weighter=weighter()),
        "oracle ratio": dict(weights=shifted.true_ratio[held_out]),
    }.items()
}
estimates["estimated ratio"][
    ["estimate", "ci_low", "ci_high", "diff", "diff_ci_low", "diff_ci_high"]
].round(3)

# %%
from sklearn.metrics import log_loss  # noqa: E402

fig, ax = plt.subplots(figsize=(7, 3), layout="constrained")
for k, name in enumerate(models):
    actual = log_loss(y[target], models[name].predict_proba(X[target]))
    ax.plot(actual, k, "k*", markersize=12, label="actual" if k == 0 else None)
    for j, (kind, est) in enumerate(estimates.items()):
        r = est.loc[(name, "log_loss")]
        ax.errorbar(
            r["estimate"],
            k + 0.15 * (j + 1),
            xerr=[[r["estimate"] - r["ci_low"]], [r["ci_high"] - r["estimate"]]],
            fmt="o",
            color=f"C{j}",
            label=kind if k == 0 else None,
        )
ax.set_yticks(range(len(models)), list(models))
ax.set_xlabel("target log loss (95 % interval)")
ax.legend(loc="lower right")
ax.set_title("Doubly robust target log loss, without target labels")

# %%
# Conformal prediction sets that hold on the target
# -------------------------------------------------
# At alpha = 0.1 the sets should hold the true outcome of 90 % of target
# patients. Plain split conformal (``flatten=0``) is calibrated on source
# patients; the weighted version reweights the calibration scores by the
# ratio, the test patient's own weight included. A patient whose weight is
# too large for the calibration sample gets both outcomes (counted below).
y_all = np.where(target, -1, y)
coverage = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UnboundedPredictionWarning)
    for name, kw in {
        "plain split conformal": dict(flatten=0),
        "weighted (estimated ratio)": dict(weighter=weighter()),
    }.items():
        cp = WeightedConformalClassifier(model(), random_state=0, **kw).fit(X, y_all)
        sets = cp.predict_set(X[target], alpha=0.1)
        hit = sets[np.arange(target.sum()), np.searchsorted(cp.classes_, y[target])]
        limit = 0.1 / 0.9 * cp.calibration_weights_.sum()
        n_all = int((cp.test_weights(X[target]) > limit).sum())
        coverage[name] = hit
        print(
            f"{name}: target coverage {hit.mean():.3f}, mean set size "
            f"{sets.sum(axis=1).mean():.2f}, {n_all} unbounded"
        )

# %%
# Coverage by age: the oldest patients are the ones the source barely has.
bins = np.quantile(age[target], [0, 1 / 3, 2 / 3, 1])
group = np.clip(np.searchsorted(bins, age[target], side="right") - 1, 0, 2)
fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
for j, (name, hit) in enumerate(coverage.items()):
    ax.bar(
        np.arange(3) + 0.4 * j,
        [hit[group == g].mean() for g in range(3)],
        width=0.4,
        label=name,
    )
ax.axhline(0.9, color="k", linestyle="--", linewidth=1)
ax.set_xticks(
    np.arange(3) + 0.2, [f"{bins[g]:.0f}-{bins[g + 1]:.0f}" for g in range(3)]
)
ax.set_xlabel("target age tertile")
ax.set_ylabel("coverage")
ax.set_ylim(0, 1)
ax.legend(loc="lower left")

# %%
# Calibrated for the target?
# --------------------------
# Platt scaling fitted on source folds, unweighted and weighted by the ratio;
# the Brier score on the target rows (lower is better).
for name, flatten in (("unweighted", 0.0), ("importance-weighted", 1.0)):
    calibrated = ImportanceWeightedCalibratedClassifier(
        model(), weighter(), flatten=flatten
    ).fit(X, y_all)
    p = calibrated.predict_proba(X[target])[:, 1]
    print(f"{name} calibration: target Brier {np.mean((p - y[target]) ** 2):.4f}")
