"""Plain words shared by the HTML report and the command line.

The balance thresholds are cobalt's defaults for "balanced" (Greifer,
``bal.tab``: ``|SMD| <= 0.1``; variance ratio within ``[1/2, 2]``, Rubin,
2001, Health Services & Outcomes Research Methodology 2, p. 174; KS
statistic ``<= 0.1``). The table's own ``threshold`` replaces 0.1 for the
difference when it is set.
"""

import math

SMD_THRESHOLD = 0.1
VAR_RATIO_BOUNDS = (0.5, 2.0)
KS_THRESHOLD = 0.1

GLOSSARY = {
    "diff": "source minus target: the standardised mean difference (SMD, in "
    "target standard deviations) for continuous covariates, the difference of "
    "proportions for binary and categorical ones; negative means the source "
    "has less of it than the target.",
    "variance ratio": "the source variance over the target variance (1 is "
    "equal); flagged outside 0.5 to 2.",
    "KS": "the Kolmogorov-Smirnov statistic: the largest gap between the two "
    "cumulative distributions (0 identical, 1 disjoint); flagged above 0.1.",
    "ESS": "effective sample size, Kish's (sum w)^2 / sum w^2: how many "
    "equally weighted rows carry as much information as the weighted rows.",
    "design effect": "n / ESS: how much the weighting inflates the variance of "
    "a mean (2 means the weighted mean is as noisy as one from half the rows).",
    "flatten": "the exponent L of the weights w**L: 0 is no weighting, 1 the "
    "full density ratio; values between trade bias for variance.",
    "IW-CV": "importance-weighted cross-validation: held-out source rows, "
    "scored with weights so that the score estimates the target's.",
    "paired standard error": "the standard error of the difference between "
    "two models (or two flattens) scored on the same folds or rows, which "
    "accounts for their errors moving together.",
    "oracle-weighted": "fitted with the true density ratio, known only because "
    "the demo draws the shift itself: what the estimated weights aim at.",
    "shift test": "a classifier asked to tell source rows from target rows; an "
    "AUC near 0.5 means it cannot (no shift detected).",
    "overlap": "the share of target rows that have comparable source rows; a "
    "target row without any cannot be reached by weighting.",
}


def glossary_lines(terms=None):
    """``term: definition`` lines, for the end of a text report."""
    terms = list(GLOSSARY) if terms is None else terms
    return [f"{t}: {GLOSSARY[t]}" for t in terms]


def _tripped(value, test):
    return value is not None and not _isnan(value) and test(value)


def _isnan(value):
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def imbalance_reasons(row, when="after", threshold=None):
    """Which balance statistics of one balance-table row are out of bounds.

    Parameters
    ----------
    row : mapping or pandas.Series
        A row of :func:`~instransfer.metrics.balance_table`.
    when : {"after", "before"}
        Weighted or unweighted statistics.
    threshold : float or None
        Bound of ``|diff|``; ``None`` is 0.1.

    Returns
    -------
    reasons : list of str
        Among ``"SMD"`` (``"diff"`` for proportions), ``"VR"`` and ``"KS"``.
    """
    threshold = SMD_THRESHOLD if threshold is None else threshold
    lo, hi = VAR_RATIO_BOUNDS
    reasons = []
    diff = row.get(f"diff_{when}")
    if _tripped(diff, lambda v: abs(v) > threshold):
        reasons.append("SMD" if row.get("type") == "continuous" else "diff")
    if _tripped(row.get(f"var_ratio_{when}"), lambda v: v > hi or v < lo):
        reasons.append("VR")
    if _tripped(row.get(f"ks_{when}"), lambda v: v > KS_THRESHOLD):
        reasons.append("KS")
    return reasons


def imbalance_flags(table, when="after"):
    """One flag string per row of a balance table ("" when balanced)."""
    threshold = table.attrs.get("threshold", SMD_THRESHOLD)
    return [
        ",".join(imbalance_reasons(r, when, threshold)) for _, r in table.iterrows()
    ]


FLAG_LEGEND = (
    "the last column names what is still out of bounds after weighting: SMD "
    "(|diff| > 0.1), VR (variance ratio outside 0.5 to 2), KS (KS > 0.1)"
)
