"""
===================================================
Weighting a clinical cohort towards older patients
===================================================

A prognostic model is developed on one cohort and will be used on patients
who are, on average, older. Does re-weighting the development cohort to look
like the target population improve the model there? This example walks
through the questions to ask, on a real breast-cancer trial (GBSG2, shipped
with the ``lifelines`` package):

1. *How different are the populations?* -- a balance table and a love plot;
2. *Do the weights fix that, and at what price?* -- balance after weighting,
   the weights' distribution, the effective sample size;
3. *Does weighting improve the model on the target?* -- target log-loss of
   the unweighted, fully weighted and flattened models, with bootstrap
   confidence intervals, and the amount of weighting that importance-weighted
   cross-validation picks without seeing a single target label.

The split into a younger *source* and an older *target* is made by
:func:`~instransfer.datasets.make_age_shift`, which selects patients by a known
function of age: the exact density ratio (the *oracle* weights) is known, so
we can also see how good the estimated weights are.
"""

# %%
# The data
# --------
# 557 women with node-positive breast cancer; the outcome is recurrence or
# death within three years. Each patient joins the target pool with a
# probability that rises with age.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import instransfer as it
from instransfer.datasets import load_cohort, make_age_shift
from instransfer.metrics import balance_table, evaluate, weight_summary
from instransfer.plotting import (
    love_plot,
    plot_domain_overlap,
    plot_ess_flatten,
    plot_weight_distribution,
)

cohort = load_cohort("gbsg2")
shifted = make_age_shift(cohort, strength=1.5, random_state=0)
source, target = shifted.domain == 0, shifted.domain == 1
X_raw = shifted.X  # clinical coding: categories kept, for the balance table
X = shifted.X_numeric  # numeric encoding, for the models
print(f"source: {source.sum()} patients, mean age {X_raw.age[source].mean():.1f}")
print(f"target: {target.sum()} patients, mean age {X_raw.age[target].mean():.1f}")

# %%
# How different are the populations?
# -----------------------------------
# Standardised mean differences (SMD) against the target, with the target's
# standard deviation as the scale (cobalt's convention for weighting towards
# a target population). Age is far out of balance by construction; menopausal
# status follows it.
before = balance_table(X_raw[source], X_raw[target])
before[["type", "mean_source", "mean_target", "diff_before", "imbalanced_before"]]

# %%
# Estimating the weights
# ----------------------
# A logistic regression of the domain on the standardised covariates gives the
# ratio :math:`p_t(x) / p_s(x)` from its odds. The source weights are
# cross-fitted (each from a model that did not see that patient).
weighter = it.ClassifierWeighter(
    make_pipeline(StandardScaler(), LogisticRegression()), random_state=0
)
weighter.fit(X, shifted.domain)
weights = weighter.weights_
print(
    "correlation with the oracle ratio:",
    round(np.corrcoef(weights, shifted.true_ratio[source])[0, 1], 3),
)

# %%
# Do the weights balance the covariates?
# --------------------------------------
table = balance_table(X_raw[source], X_raw[target], weights)
love_plot(table)

# %%
# At what price? The weights' distribution and the effective sample size
# -----------------------------------------------------------------------
# Kish's effective sample size says how many unweighted patients the weighted
# sample is worth.
summary = weight_summary(weights)
summary[
    ["n", "min", "p50", "p99", "max", "ess", "ess_fraction", "top1pct_share"]
].round(3)

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
plot_weight_distribution(weights, ax=axes[0])
plot_domain_overlap(weighter, X, shifted.domain, weights=weights, ax=axes[1])

# %%
# Does weighting improve the model on the target?
# -----------------------------------------------
# The same logistic model, fitted on the source patients (the target's labels
# are hidden: ``-1``), without weights, with the full estimated weights, with
# the weights flattened to :math:`w^{1/2}`, and with the *oracle* weights --
# the best any weighter could do. The target labels are used only to score.
y_masked = np.where(target, -1, shifted.y)
model = make_pipeline(StandardScaler(), LogisticRegression())


def weighted(flatten):
    return it.ImportanceWeightedClassifier(
        model, weighter=weighter, flatten=flatten
    ).fit(X, y_masked)


oracle = make_pipeline(StandardScaler(), LogisticRegression()).fit(
    X[source],
    shifted.y[source],
    logisticregression__sample_weight=shifted.true_ratio[source],
)
models = {
    "unweighted": weighted(0.0),
    "weighted": weighted(1.0),
    "flattened (0.5)": weighted(0.5),
    "oracle weights": oracle,
}
scores = evaluate(
    models,
    X[target],
    shifted.y[target],
    scoring="log_loss",
    baseline="unweighted",
    n_resamples=500,
    random_state=0,
)
scores[["estimate", "ci_low", "ci_high", "diff", "diff_ci_low", "diff_ci_high"]]

# %%
# On this cohort, weighting does not help the logistic model: it already
# represents how the outcome depends on age, so the unweighted fit is
# consistent for the older population too, and weights only add variance --
# even the exact oracle weights make the target log-loss worse. This is the
# common case on real cohorts (see :ref:`when_weighting_helps`).
#
# Letting the data decide
# -----------------------
# :class:`~instransfer.model_selection.ImportanceWeightedClassifierCV` scores
# a grid of flattening exponents by importance-weighted cross-validation on
# the *source* patients only, and keeps the smallest amount of weighting that
# is not clearly worse than the best.
cv_model = it.ImportanceWeightedClassifierCV(
    model, weighter=weighter, random_state=0
).fit(X, y_masked)
print("flatten chosen by IWCV:", cv_model.flatten_)
print(
    "its target log-loss:",
    round(log_loss(shifted.y[target], cv_model.predict_proba(X[target])), 4),
)

# %%
# How fast the effective sample size falls as the weights sharpen, with the
# exponent IWCV chose:
plot_ess_flatten(weights, chosen=cv_model.flatten_)
plt.show()
