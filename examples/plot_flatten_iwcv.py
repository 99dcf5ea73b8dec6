"""
==============================================================
When does weighting help? Flattening and IWCV on a known shift
==============================================================

Importance weighting corrects the fit of a model that *cannot* represent the
outcome everywhere (a misspecified model) and only adds variance to one that
can. This example shows both cases on one covariate-shift problem, and how
importance-weighted cross-validation (IWCV) finds the right amount of
weighting, :math:`w^\\lambda`, without any target label.

The data come from :func:`~instransfer.datasets.make_covariate_shift`: source
rows from :math:`N(0, 1)`, target rows from :math:`N(1, 0.6^2)`, and an outcome
that curves in :math:`x` -- the same in both populations (covariate shift).
"""

# %%
# The problem
# -----------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import mean_squared_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, SplineTransformer

import instransfer as it

data = it.datasets.make_covariate_shift(
    n_source=300,
    n_target=300,
    n_features=1,
    shift=1.0,
    target_scale=0.6,
    task="regression",
    noise=0.2,
    random_state=0,
)
source, target = data.domain == 0, data.domain == 1
y_masked = np.where(target, np.nan, data.y)  # target labels unknown

# %%
# Two models of the outcome: a straight line (misspecified: the outcome
# curves) and a cubic spline (flexible enough to be right everywhere).
models = {
    "straight line": Ridge(alpha=1e-3),
    "spline": make_pipeline(SplineTransformer(n_knots=8), Ridge(alpha=1e-3)),
}

# %%
# One weighter for both: the true log-ratio of two Gaussians is quadratic in
# :math:`x`, so a logistic regression on :math:`(x, x^2)` is a well-specified
# domain classifier.
weighter = it.ClassifierWeighter(
    make_pipeline(PolynomialFeatures(2), LogisticRegression()), random_state=0
)

# %%
# Target error for each amount of weighting
# -----------------------------------------
# For every exponent :math:`\lambda`, fit the weighted model and measure its
# error on the target rows (possible here because the generator kept their
# labels). :class:`~instransfer.model_selection.ImportanceWeightedRegressorCV`
# scores the same grid by IWCV on the source rows alone and picks one.
flattens = np.linspace(0, 1, 9)
results = {}
for name, model in models.items():
    target_mse = [
        mean_squared_error(
            data.y[target],
            it.ImportanceWeightedRegressor(model, weighter=weighter, flatten=lam)
            .fit(data.X, y_masked)
            .predict(data.X[target]),
        )
        for lam in flattens
    ]
    cv = it.ImportanceWeightedRegressorCV(
        model,
        weighter=weighter,
        flattens=flattens,
        scoring="neg_mean_squared_error",
        random_state=0,
    ).fit(data.X, y_masked)
    results[name] = (np.array(target_mse), cv)
    print(
        f"{name:14s} IWCV picks flatten={cv.flatten_:.3g}; target MSE "
        f"unweighted {target_mse[0]:.4f}, fully weighted {target_mse[-1]:.4f}"
    )

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
for ax, (name, (target_mse, cv)) in zip(axes, results.items(), strict=True):
    ax.plot(flattens, target_mse, "o-", label="true target MSE")
    iw = -cv.cv_results_["mean_test_score"]
    se = cv.cv_results_["se_test_score"]
    ax.errorbar(
        cv.cv_results_["flatten"],
        iw,
        yerr=se,
        fmt="s--",
        ms=4,
        capsize=2,
        label="IWCV estimate (± 1 SE)",
    )
    ax.axvline(cv.flatten_, color="0.3", ls=":", label=f"IWCV choice {cv.flatten_:g}")
    ax.set(
        title=name,
        xlabel=r"flatten $\lambda$ (weights $w^\lambda$)",
        ylabel="mean squared error",
    )
    ax.legend(fontsize="small")

# %%
# The straight line gets much better on the target as the weights sharpen:
# weighting moves it from the best line for the *source* rows to the best line
# for the *target* rows. The spline is right everywhere, so weights cannot fix
# anything and only make its fit noisier. IWCV needs no target label to tell
# the two situations apart.
#
# What the fits look like
# -----------------------
grid = np.linspace(-3, 3, 200).reshape(-1, 1)
fig, ax = plt.subplots(figsize=(6.4, 4), layout="constrained")
ax.scatter(data.X[source, 0], data.y[source], s=6, c="C0", alpha=0.4, label="source")
ax.scatter(
    data.X[target, 0],
    data.y[target],
    s=6,
    c="C1",
    alpha=0.4,
    label="target (labels hidden)",
)
for lam, style in ((0.0, "--"), (1.0, "-")):
    fit = it.ImportanceWeightedRegressor(
        models["straight line"], weighter=weighter, flatten=lam
    ).fit(data.X, y_masked)
    ax.plot(
        grid[:, 0],
        fit.predict(grid),
        "k" + style,
        label=f"straight line, flatten={lam:g}",
    )
ax.set(xlabel="x", ylabel="y", ylim=(-1.5, 2.0))
ax.legend(fontsize="small")
plt.show()
