"""
==================================================
Transfer boosting with a few labeled target rows
==================================================

When some target rows are labeled, the question changes from "how are the
covariates shifted?" to "which source rows does the target agree with?".
:class:`~instransfer.TrAdaBoostClassifier` (Dai et al., 2007) boosts on the
stacked source and labeled target rows, lowers the weight of the source rows
its learners get wrong, and raises that of the target rows they get wrong.

The data: scikit-learn's breast cancer table, split by ``mean compactness``.
Tumours at or below its median form the source, the others the target, and
the feature is then *hidden* from the learners. The two domains differ in
something the model cannot see, so part of what the source teaches misleads
on the target. Five percent of the source size is labeled in the target (14
rows); the remaining target rows are the test set.

By default the booster chooses how many rounds to keep by cross-validation
over the labeled target rows, keeping one round -- the base learner fit on
all labeled rows -- unless more are clearly better there, and its
probabilities are a soft vote of the learners' probabilities. Where the
target merely has other patients (a covariate shift), that is what keeps it
from doing harm: see ``benchmarks/results/boosting_cohorts.md``.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

import instransfer as it

data = load_breast_cancer()
f = list(data.feature_names).index("mean compactness")
in_target = data.data[:, f] > np.median(data.data[:, f])
X_all = StandardScaler().fit_transform(np.delete(data.data, f, axis=1))
y_all = data.target


def split(seed):
    """Stacked source + labeled target rows, and the target test rows."""
    rng = np.random.RandomState(seed)
    source = np.flatnonzero(~in_target)
    target = rng.permutation(np.flatnonzero(in_target))
    n_labeled = round(0.05 * source.size)
    labeled, test = target[:n_labeled], target[n_labeled:]
    X = np.vstack([X_all[source], X_all[labeled]])
    y = np.r_[y_all[source], y_all[labeled]]
    domain = np.r_[np.zeros(source.size, int), np.ones(labeled.size, int)]
    return X, y, domain, X_all[test], y_all[test]


X, y, domain, X_test, y_test = split(0)
print(
    f"{(domain == 0).sum()} source rows, {(domain == 1).sum()} labeled target "
    f"rows, {y_test.size} target test rows"
)

# %%
# Three ways to use the labels
# ----------------------------
# The source alone, the few target rows alone, and TrAdaBoost on both, each
# with the same base learner. One split is one draw of 14 labeled rows, so the
# errors are averaged over 10 draws (mean and standard error).

learners = {
    "logistic regression": LogisticRegression(C=0.1),
    "tree, depth 3": DecisionTreeClassifier(max_depth=3, random_state=0),
}
rows = []
for name, base in learners.items():
    errors = {"source only": [], "target only": [], "TrAdaBoost": []}
    for seed in range(10):
        X, y, domain, X_test, y_test = split(seed)
        s, t = domain == 0, domain == 1
        models = {
            "source only": clone(base).fit(X[s], y[s]),
            "target only": clone(base).fit(X[t], y[t]),
            "TrAdaBoost": it.TrAdaBoostClassifier(
                clone(base), n_estimators=50, random_state=seed
            ).fit(X, y, domain=domain),
        }
        for key, model in models.items():
            errors[key].append(np.mean(model.predict(X_test) != y_test))
    rows.append(
        {
            "learner": name,
            **{
                k: f"{np.mean(v):.3f} ± {np.std(v, ddof=1) / np.sqrt(len(v)):.3f}"
                for k, v in errors.items()
            },
        }
    )
print(pd.DataFrame(rows).set_index("learner").to_string())

# %%
# ``benchmarks/results/tradaboost.md`` runs this split and others, with
# adapt's TrAdaBoost on the same draws, both with the defaults and with the
# paper's algorithm run for all its rounds.
#
# How many rounds were kept
# -------------------------
# ``n_rounds_`` is the number of rounds the cross-validation kept (1: the
# pooled fit) and ``estimator_errors_`` each kept round's error on the
# labeled target rows. A learner that fits every labeled row (error 0) also
# ends the boosting, as in scikit-learn's AdaBoost. With more labeled target
# rows the cross-validation can tell more rounds apart from noise.


def compare(fraction, seed, base):
    rng = np.random.RandomState(seed)
    source = np.flatnonzero(~in_target)
    target = rng.permutation(np.flatnonzero(in_target))
    n_labeled = round(fraction * source.size)
    labeled, test = target[:n_labeled], target[n_labeled:]
    X = np.vstack([X_all[source], X_all[labeled]])
    y = np.r_[y_all[source], y_all[labeled]]
    domain = np.r_[np.zeros(source.size, int), np.ones(labeled.size, int)]
    boost = it.TrAdaBoostClassifier(clone(base), random_state=seed)
    boost.fit(X, y, domain=domain)
    target_only = clone(base).fit(X_all[labeled], y_all[labeled])
    source_only = clone(base).fit(X_all[source], y_all[source])
    err = lambda m: np.mean(m.predict(X_all[test]) != y_all[test])  # noqa: E731
    return boost.n_rounds_, err(boost), err(target_only), err(source_only)


tree = DecisionTreeClassifier(max_depth=3, random_state=0)
fractions = [0.05, 0.1, 0.2, 0.4]
results = np.array(
    [[compare(frac, seed, tree) for seed in range(10)] for frac in fractions]
)  # (fraction, seed, [rounds, TrAdaBoost, target-only, source-only errors])
print(
    pd.DataFrame(
        results.mean(axis=1),
        index=pd.Index(fractions, name="labeled target / source"),
        columns=["rounds", "TrAdaBoost", "target only", "source only"],
    ).round(3)
)

fig, ax = plt.subplots(figsize=(5.5, 3.4))
ax.plot(fractions, results[:, :, 1].mean(axis=1), "o-", label="TrAdaBoost")
ax.plot(fractions, results[:, :, 2].mean(axis=1), "s-", label="target only")
ax.plot(fractions, results[:, :, 3].mean(axis=1), "^:", label="source only")
ax.set_xlabel("labeled target rows / source rows")
ax.set_ylabel("target test error (10 draws)")
ax.legend()
fig.tight_layout()
