"""
=====================================================
When the answer is invalid: overlap and shift tests
=====================================================

Weighting can only move source rows toward the target where the source has
rows. This example asks, on real cohorts, the three questions to settle
before trusting a weighted answer on the target population:

1. *Is there a shift at all?* -- :func:`~instransfer.metrics.shift_test`;
2. *Does every target row have comparable source rows?* --
   :func:`~instransfer.metrics.overlap_report`, and the warning every
   weighter's ``fit`` gives when a material share does not;
3. *Did the weights balance the covariates?* -- the ``diagnostics_`` every
   weighter records, and :func:`~instransfer.metrics.balance_table`.

Three splits: a *hard* one (source: women under 50, target: women over 60,
those in between shared at random: the target's over-60s have no source
patient of their age), a *soft* one (patients selected by a logistic
function of age: every age in both), and a *natural* one, two strata of the
ACTG 175 trial (antiretroviral-naive vs pre-treated patients).
"""

# %%
# A hard and a soft split of a breast-cancer trial
# ------------------------------------------------
# GBSG2: 557 women with node-positive breast cancer, shipped with lifelines.
import warnings

import matplotlib.pyplot as plt
import numpy as np

import instransfer as it
from instransfer.datasets import load_cohort, make_age_shift
from instransfer.metrics import balance_table, overlap_report, shift_test

gbsg2 = load_cohort("gbsg2")
X_all = gbsg2.data_numeric  # numeric encoding (tumour grade as 1-3, ...)
age = X_all["age"].to_numpy()
rng = np.random.RandomState(0)
hard_domain = np.where(age < 50, 0, np.where(age > 60, 1, rng.rand(age.size) < 0.5))
hard_domain = hard_domain.astype(int)
soft = make_age_shift(gbsg2, strength=1.0, random_state=0)
X_soft = soft.X_numeric

# %%
# Is there a shift? Both splits shift the covariates, and both tests see it
# (the classifier test's effect size is the AUC of a cross-fitted domain
# classifier; 0.5 is no shift).
for name, X, domain in (
    ("hard", X_all, hard_domain),
    ("soft", X_soft, soft.domain),
):
    clf_test = shift_test(X, domain, method="classifier", null="split")
    mmd_test = shift_test(X, domain, method="mmd", n_permutations=199)
    print(f"{name}: {clf_test.summary}  MMD p = {mmd_test.pvalue:.3f}")

# %%
# Where is there no overlap? On the hard split the women over 60 have no
# source patient of their age; on the soft split every target row has
# comparable source rows.
hard_report = overlap_report(X_all, hard_domain)
soft_report = overlap_report(X_soft, soft.domain)
print(hard_report.summary)
print(soft_report.summary)
print(hard_report.regions[["rule", "n_target", "n_source"]])

# %%
# Every weighter's ``fit`` says so too. The weights are still fitted (and
# never changed by the checks); the warnings name the problem and the remedy.
for name, X, domain in (
    ("hard", X_all, hard_domain),
    ("soft", X_soft, soft.domain),
):
    weighter = it.ClassifierWeighter(random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        weighter.fit(X, domain)
    d = weighter.diagnostics_
    print(
        f"{name}: ESS {d['ess']:.0f} of {weighter.n_source_}, "
        f"{100 * d['overlap']['share_unsupported']:.0f} % of the target unsupported, "
        f"age SMD {d['balance'].loc['age', 'smd_before']:+.2f} -> "
        f"{d['balance'].loc['age', 'smd_after']:+.2f}"
    )
    for w in caught:
        print(f"   {w.category.__name__}: {str(w.message)[:160]}...")

# %%
# The remedy: restrict the target to the common support
# ------------------------------------------------------
# ``keep`` drops the unsupported target rows. **The estimand changes**: the
# weighted answer is now about the target patients *inside* the source's
# support (here, the target's women aged 50 to 60), and must be reported
# as such, with the rule that defines them.
keep = hard_report.keep
X_kept, domain_kept = X_all[keep], hard_domain[keep]
weighter = it.ClassifierWeighter(random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    weighter.fit(X_kept, domain_kept)
table = balance_table(
    X_kept[domain_kept == 0], X_kept[domain_kept == 1], weighter.weights_
)
print(
    f"kept {int(domain_kept.sum())} of {int(hard_domain.sum())} target rows; age SMD "
    f"{table.loc['age', 'diff_before']:+.2f} -> {table.loc['age', 'diff_after']:+.2f}"
)

# %%
# The flagged rows are exactly where the picture says they are:
fig, ax = plt.subplots(figsize=(6.4, 3.6))
bins = np.linspace(age.min(), age.max(), 30)
ax.hist(age[hard_domain == 0], bins=bins, alpha=0.6, label="source")
ax.hist(age[hard_domain == 1], bins=bins, alpha=0.6, label="target")
ax.hist(
    age[hard_report.unsupported],
    bins=bins,
    histtype="step",
    color="k",
    lw=2,
    label="target without support",
)
ax.set_xlabel("age (years)")
ax.set_ylabel("patients")
ax.legend()
fig.tight_layout()

# %%
# A natural shift: two strata of one trial
# ----------------------------------------
# ACTG 175 enrolled antiretroviral-naive and pre-treated HIV patients. A
# model developed on the naive patients cannot be transported to the
# pre-treated ones by weighting: the days of prior therapy (``preanti``) are
# 0 for every naive patient. The report finds the rule by itself. The
# randomised arms of the same trial are a negative control: no shift.
actg = load_cohort("actg175")
covariates = actg.data.drop(columns=["str2", "strat"])  # the stratum itself
pretreated = actg.data["str2"].to_numpy()
print(overlap_report(covariates, pretreated).summary)

arm = (actg.data["arms"] == "ZDV").to_numpy().astype(int)
control = shift_test(covariates.drop(columns="arms"), arm, method="mmd")
print(f"randomised arms: {control.summary}")
