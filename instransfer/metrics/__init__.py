"""Diagnostics of importance weights: balance, effective sample size, evaluation.

The questions an analyst asks after weighting, answered in the vocabulary of
R's cobalt/WeightIt: *do the covariates balance against the target now?*
(:func:`balance_table`), *how many effective samples are left?*
(:func:`effective_sample_size`, :func:`weight_summary`,
:func:`truncate_weights`, :func:`ess_by_flatten`) and *did weighting change the
model's target performance?* (:func:`evaluate`, with bootstrap intervals;
:func:`target_performance` without target labels, importance-weighted or
doubly robust, with intervals).
"""

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "balance_table": "._balance",
        "effective_sample_size": "._weight_stats",
        "design_effect": "._weight_stats",
        "weight_summary": "._weight_stats",
        "truncate_weights": "._weight_stats",
        "ess_by_flatten": "._weight_stats",
        "domain_probability": "._weight_stats",
        "LowEffectiveSampleSizeWarning": "..exceptions",
        "evaluate": "._evaluation",
        "target_performance": "._target_performance",
        "overlap_report": "._overlap",
        "shift_test": "._shift_test",
        "weighting_diagnostics": "._fit_checks",
        "NoOverlapWarning": "..exceptions",
        "ResidualImbalanceWarning": "..exceptions",
        "WeightConcentrationWarning": "..exceptions",
    },
)
